/* graphread.h: the read side of the social graph (lib/social/graphread.c): a's row about b, cached
 * as "rel:<a>:<b>" ("<status_follow> <status_mute>"), and the questions the read models ask of it.
 * It calls nothing above the cache and the database; the writes are graph.h. Returns: <0 failure
 * (logged), 0 no, >0 yes, as each says. */
#ifndef STARLING_GRAPHREAD_H
#define STARLING_GRAPHREAD_H

#include <stdbool.h>
#include <stdint.h>

#include "cache.h"

struct app_env;
struct ctx;
struct db;

/* a's own row about b (cached), for a's view of b's profile: *follow 0 nothing, 1 a follows b,
 * 2 a blocks b; *muted whether a mutes b. Whether b blocks a is not told. 0, or -1 failure. */
int graph_relation(struct app_env *env, uint64_t a, uint64_t b, int *follow, bool *muted);

/* Whether a blocks b or b blocks a (cached). 1 yes, 0 no (also for a == b or a 0), -1 failure. */
int graph_blocked_either(struct app_env *env, uint64_t a, uint64_t b);

/* Adds to ks the cache keys that graph_blocked_either, graph_muted and graph_relation read
 * about viewer and user (both rows of the pair), for a page's one prefetch (cache.h). Nothing
 * for a visitor (viewer 0) or viewer == user. */
void graph_keys(struct cache_keys *ks, uint64_t viewer, uint64_t user);

/* Whether muter mutes target (cached). 1 yes, 0 no, -1 failure. */
int graph_muted(struct app_env *env, uint64_t muter, uint64_t target);

/* a's row about b in tb_user_relationship (on a's shard), for the writes: exists false and
 * the rest 0 without a row. */
struct graph_rel {
	int      follow, mute;   /* status_follow, status_mute; 0 0 without a row */
	uint64_t id;
	int64_t  created_at;
	bool     exists;
};

/* a's row about b from the database, uncached (lock: FOR UPDATE, inside a transaction on db).
 * 0 with *out, or -1. */
int graph_rel_read(struct db *db, uint64_t a, uint64_t b, bool lock, struct graph_rel *out);

/* Deletes "rel:<a>:<b>" after a's row about b changed (failures are logged by the cache; the
 * TTL bounds them). */
void graph_forget_rel(struct app_env *env, uint64_t a, uint64_t b);

/* The IDs of user's followers (the reversed rows on user's shard), or of those user follows
 * (user's forward rows), from the database: into *out (the caller's: free; never NULL on 0),
 * *n of them, in no particular order. Return 0 or -1. */
int graph_follower_ids(struct app_env *env, uint64_t user, uint64_t **out, size_t *n);
int graph_following_ids(struct app_env *env, uint64_t user, uint64_t **out, size_t *n);

#endif
