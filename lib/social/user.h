/* user.h: accounts: the user row on its shard, the username and email lookups that keep both
 * unique across shards, activation and reset codes, and the cached profile.
 *
 * Where the rows live (docs/data.md): tb_user, tb_user_extended and tb_user_reset on the user's
 * shard (the shard inside the user's ID, picked at random at sign-up); tb_username_lookup and
 * tb_email_lookup on shard_for_key(lowercased key); tb_reserved_username on shard 0.
 *
 * Caching (cache-aside, lib/store/cache.h): the profile row is "user:<id>" (a JSON object, without
 * the password hash or any code); lookups are "uname:<lowercased>" and "email:<lowercased>" (the
 * ID as text). Every write goes to the database first and then deletes the keys it changed.
 *
 * Return convention: <0 failure (the database is down: 503; logged), 0 not found / not done,
 * 1 found / done, unless a function says otherwise. */
#ifndef STARLING_USER_H
#define STARLING_USER_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "cache.h"

struct app_env;
struct db;

/* user_create's refusals. */
#define USER_NAME_TAKEN  2
#define USER_EMAIL_TAKEN 3
#define USER_RESERVED    4

struct user_new {
	const char *username;       /* valid_username() */
	const char *email;          /* valid_email() */
	const char *password_hash;  /* password_hash() */
	const char *activate_hash;  /* jwt_code_hash() of the emailed code */
	int64_t     activate_expires_at;
	const char *language;       /* "en", "zh" or "" */
};

/* Creates the account: claims the username and the email in their lookups (a lowercased key
 * already there means taken), then writes the user rows in one transaction on the new user's
 * shard. Anything that fails undoes the claims. Returns 1 with *id, USER_NAME_TAKEN,
 * USER_EMAIL_TAKEN, USER_RESERVED, or -1. */
int user_create(struct app_env *env, const struct user_new *n, uint64_t *id);

/* The profile row of id as a JSON object (new reference in *out): id (string), username, email,
 * displayName, bannerUrl, avatarUrl, description, website, location, language, timeZone,
 * dobYear/Month/Day, isVisibleDobYear/Month/Day, verified, suspended, suspendedUntil,
 * suspensionReason, activated,
 * tokensValidAfter, credentialGen, createdAt, updatedAt. Never the password hash or a code. */
int user_get(struct app_env *env, uint64_t id, json_object **out);

/* Adds the cache key user_get reads for id to ks, for a page's one prefetch (cache.h). */
void user_keys(struct cache_keys *ks, uint64_t id);

/* A new object holding only the given members (a NULL-terminated list of user_get's names) of
 * user id: what a card, an author line or a list of people shows. Returns 1 with *out, 0 for
 * no such user (*out NULL), -1 on failure (*out NULL). */
int user_pick(struct app_env *env, uint64_t id, const char *const *fields, json_object **out);
/* user_pick for what others are shown of an account (a list of people, a notification's actor,
 * a search hit): 0, as for no such user, while it is suspended (user_suspended). */
int user_pick_shown(struct app_env *env, uint64_t id, const char *const *fields,
    json_object **out);

/* Adds the counters of id (tb_user_extended, cached as "userx:<id>") to profile: countFollowers,
 * countFollowings, countPosts, countLikes, pinnedPostId (a string; "0" for none). */
int user_add_counts(struct app_env *env, uint64_t id, json_object *profile);

/* Adds the cache keys user_profile reads (the profile and its counters) to ks. */
void user_profile_keys(struct cache_keys *ks, uint64_t id);

/* The profile of id as viewer (0: a visitor) may see it: user_public plus the counters
 * (user_add_counts), both keys read in one round. Returns 1 with *out (new), 0 no such user (or
 * one suspended, to anyone but themself), or -1 failure. */
int user_profile(struct app_env *env, uint64_t id, uint64_t viewer, json_object **out);

/* The ID of a username or an email (any letter case). */
int user_id_by_username(struct app_env *env, const char *username, uint64_t *id);
int user_id_by_email(struct app_env *env, const char *email, uint64_t *id);

/* What a viewer may see of profile u (from user_get): a new object. The email and the
 * account flags only for the user themself; each date-of-birth part only when its visibility
 * flag says so (or to the user themself); never tokensValidAfter or credentialGen. */
json_object *user_public(json_object *u, bool self);

/* Reads the password hash of id into hash and its credential generation into *gen (from the
 * database, never the cache: the pair is what a login checks and then signs). */
int user_password_hash(struct app_env *env, uint64_t id, struct buf *hash, int64_t *gen);

/* Stores a new password hash and moves the credential generation on in the same statement, which
 * ends every session of the account (lib/social/auth.c refuses a token of another generation). With
 * gen (the generation read with the old hash), only if it is still that one: 1 done, 0 the
 * password changed meanwhile (nothing written; the new generation is then not gen + 1).
 * USER_ANY_GEN: whatever the generation is (a reset, which read no hash). */
#define USER_ANY_GEN (-1)
int user_set_password(struct app_env *env, uint64_t id, const char *hash, int64_t gen);

/* Stores a new hash of the same password (a raised iteration count), keeping the generation:
 * only while it is still gen, so that a password changed meanwhile is never overwritten by a hash
 * of the old one. 1 done, 0 not (changed meanwhile), -1. */
int user_rehash_password(struct app_env *env, uint64_t id, const char *hash, int64_t gen);

/* tokens_valid_after = now: every token issued before this second is refused. */
int user_revoke_tokens(struct app_env *env, uint64_t id);

/* Suspends id until the time until (0: until lifted) for reason (at most 500 bytes), and ends
 * every session of it (tokens_valid_after = now). 1 done, 0 no such user, -1. */
int user_suspend(struct app_env *env, uint64_t id, int64_t until, const char *reason);
/* Lifts id's suspension: 1 lifted, 0 it was not suspended, -1. */
int user_unsuspend(struct app_env *env, uint64_t id);
/* Whether profile u (user_get) is suspended at now: the flag set and its end (suspendedUntil,
 * 0: none) not reached. An expired suspension needs no write: every check reads the end. */
bool user_suspended(json_object *u, int64_t now);

/* Reads the activation state: the code's hash and expiry, and whether the account is active. */
int user_activation(struct app_env *env, uint64_t id, struct buf *code_hash, int64_t *expires_at,
    bool *activated);
/* Marks the account active and forgets the code. 1 done, 0 was active already. */
int user_activate(struct app_env *env, uint64_t id);
/* Replaces the activation code (a new email). */
int user_set_activation(struct app_env *env, uint64_t id, const char *code_hash, int64_t expires_at);

/* Sets the language ("en", "zh" or ""). */
int user_set_language(struct app_env *env, uint64_t id, const char *lang);
/* Sets the time zone (a name tz_valid accepts, or "": the browser's). */
int user_set_time_zone(struct app_env *env, uint64_t id, const char *zone);

/* The editable profile fields; strings already validated. */
struct user_info {
	const char *display_name, *banner_url, *avatar_url, *location, *website, *description;
	int         dob_year, dob_month, dob_day;
	bool        visible_year, visible_month, visible_day;
};
int user_save_info(struct app_env *env, uint64_t id, const struct user_info *info);

/* Password reset codes (tb_user_reset). */
struct user_reset {
	uint64_t id;
	char     code_hash[65];
	int      attempts;
	int64_t  expires_at, used_at;
};
int user_reset_create(struct app_env *env, uint64_t user_id, const char *email,
    const char *code_hash, int64_t expires_at);
/* The latest code sent to user_id. */
int user_reset_latest(struct app_env *env, uint64_t user_id, struct user_reset *out);
/* Counts a wrong guess. */
int user_reset_failed(struct app_env *env, uint64_t user_id, uint64_t reset_id);
/* Uses the code: 1 done, 0 it was used already (by a concurrent request). */
int user_reset_use(struct app_env *env, uint64_t user_id, uint64_t reset_id);

/* ------------------------------------------------------------------------------------------ *
 * The counters and the pin: tb_user_extended, cached as "userx:<id>" (user_add_counts).
 * Only user.c reads or writes the table and builds the key. A module whose action moves a
 * count (posting, liking, following) calls user_count_move inside its own transaction on the
 * user's shard, then user_counts_forget once it committed.
 * ------------------------------------------------------------------------------------------ */

enum user_count {
	USER_COUNT_FOLLOWERS,       /* count_followers: the user's rows of the reversed graph */
	USER_COUNT_FOLLOWINGS,      /* count_followings */
	USER_COUNT_POSTS,           /* count_posts: posts, quotes and reposts (not replies) */
	USER_COUNT_LIKES,           /* count_likes: likes the user gave */
};

/* Moves count c of user by delta (+1, or -1 and never below 0) through db on user's shard
 * (inside a db_tx on that shard too). Returns 0 or -1. */
int user_count_move(struct db *db, uint64_t user, enum user_count c, int delta);
/* Pins post on user's profile. user_unpin_if takes the pin off only if it is post (an unpin,
 * or the pinned post deleted). Both through db on user's shard; 0 or -1. */
int user_pin(struct db *db, uint64_t user, uint64_t post);
int user_unpin_if(struct db *db, uint64_t user, uint64_t post);
/* Drops the cached counters of user after a count or the pin moved. */
void user_counts_forget(struct app_env *env, uint64_t user);
/* Best effort: the time of a login (a failure is logged by db and otherwise ignored). */
void user_note_login(struct app_env *env, uint64_t user);
/* Those of users[0..n) (sorted by shard) with at least min followers, appended to *out
 * (xrealloc'd; *nout entries). One query per shard per DB_IN_MAX users, all in one round.
 * Returns how many of those queries failed (their users are left out). */
size_t user_with_followers(struct app_env *env, const uint64_t *users, size_t n, int64_t min,
    uint64_t **out, size_t *nout);
/* Repair: sets count_followers and count_followings of shard's users to what the graph's rows
 * say (lib/social/graph.h) where they differ, and drops their cached counters; each (may be NULL)
 * is told of every user corrected. Returns how many were, or -1. */
long user_repair_follow_counts(struct app_env *env, unsigned shard,
    void (*each)(uint64_t user, void *arg), void *arg);

#endif
