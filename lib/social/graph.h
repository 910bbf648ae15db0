/* graph.h: the social graph: follow, block, mute and report between users, their lists, and
 * the follow outbox (follow.sync).
 *
 * Where the rows live (docs/schema.md): tb_user_relationship on the acting user's shard is the
 * source of truth for follow (status_follow 1), block (2) and mute (status_mute 1), with
 * count_followings in the same transaction; tb_user_relationship_reversed and count_followers on
 * the followee's shard are the mirror, written by the follow.sync job queued in the same
 * transaction (lib/social/job.h). tb_reported_user on the reported user's shard.
 *
 * Block works both ways: the blocker's row becomes status 2, and follow.sync of both directions
 * is queued; the job of a follow whose followee blocks the follower also ends the follow at its
 * source (the follower's row goes back to 0), so a follow racing a block cannot survive it.
 *
 * Caching: "rel:<a>:<b>" holds a's row about b ("<status_follow> <status_mute>"), read by
 * graph_blocked_either and graph_muted, deleted on every change of that row; "userx:<id>" (the
 * counters, lib/social/user.h) is deleted whenever a count moved.
 *
 * This header is the write side (lib/social/graph.c) and the lists; the cached reads the read
 * models need (graph_blocked_either, graph_muted, graph_relation, graph_keys) are graphread.h,
 * included here so that a caller of both needs one header.
 *
 * Handlers' functions take the request (ctx): they answer APIERR_OK, or the error code after
 * ctx_fail (the message names what was wrong). Others: <0 failure (logged), 0 no / nothing
 * done, >0 yes / done. */
#ifndef STARLING_GRAPH_H
#define STARLING_GRAPH_H

#include "apierr.h"

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "buf.h"
#include "graphread.h"

struct app_env;
struct ctx;

/* Page size of the lists. */
#define GRAPH_PAGE 20

/* What graph_set changes. */
enum graph_action { GRAPH_FOLLOW, GRAPH_BLOCK, GRAPH_MUTE };

/* ctx->user_id follows (on) or unfollows, blocks or unblocks, mutes or unmutes the user named
 * target. A repeat changes nothing. Errors: 40004 the caller themself, 40400 no such user, 40303
 * following a suspended user, 40300 following a user who blocks the caller ("you cannot follow
 * this account", the block is not told), 40900 following a user the caller blocks, 40303/40302
 * for a caller who cannot write, 50300. */
enum apierr graph_set(struct ctx *ctx, enum graph_action action, const char *target, bool on);

/* ctx->user_id reports the user named target for reason (1..255). Once per reporter: a repeat
 * changes nothing. Errors as graph_set (no 40300/40900: anyone may report anyone else). */
enum apierr graph_report(struct ctx *ctx, const char *target, int reason);

/* The lists of people: of a user (user_id below), or, for GRAPH_LIKERS and GRAPH_REPOSTERS, of
 * a post or reply (user_id is then the record's ID: who liked it, newest like first, from
 * tb_post_like_reversed; who reposted it, not quoted, newest first, from tb_post_repost_reversed;
 * both on the record's shard). The caller checks the record is one the viewer may see. */
enum graph_list { GRAPH_FOLLOWING, GRAPH_FOLLOWERS, GRAPH_BLOCKED, GRAPH_MUTED, GRAPH_LIKERS,
                  GRAPH_REPOSTERS };

/* A page of list of user_id, newest first, after cursor (an ID from a previous page; NULL or ""
 * for the first page): {cursor, users: [{id, username, displayName, avatarUrl, description}]},
 * cursor "-1" on the last page. Set as ctx's data. Errors: 40004 a malformed cursor, 50300.
 * GRAPH_FOLLOWING, GRAPH_FOLLOWERS, GRAPH_LIKERS and GRAPH_REPOSTERS leave out the users in a
 * block pair with the viewer
 * (ctx->user_id), as their posts are left out everywhere; a page may then hold fewer than
 * GRAPH_PAGE users and still not be the last. GRAPH_BLOCKED and GRAPH_MUTED are the caller's own
 * and show everyone on them. Only user_id's shard must answer (50300 without it): a user whose
 * card or block state cannot be read (their shard down) is left out, the page has
 * "partial": true (lib/base/partial.h), and its cursor is the same as a whole page's. */
enum apierr graph_list(struct ctx *ctx, enum graph_list list, uint64_t user_id, const char *cursor);

/* A lists' cursor as graph_list hands it out: the decimal digits of an ID, 1 .. UINT64_MAX,
 * without a sign, blanks or a leading zero (so one row has one cursor). true with *id, or
 * false (*id untouched). */
bool graph_parse_cursor(const char *s, uint64_t *id);

/* The same page as a new object in *out (the caller's) instead of ctx's data: for pages that
 * show it among other things. */
enum apierr graph_list_page(struct ctx *ctx, enum graph_list list, uint64_t user_id, const char *cursor,
    json_object **out);

/* The follow.sync job (lib/app/jobkinds.c's table): payload {follower_id, followee_id}. Makes the
 * followee's reversed row and count_followers match the follower's row, and ends the follow at
 * its source when the followee blocks the follower. Returns 0, or -1 with why in err. */
int graph_follow_sync(struct app_env *env, json_object *payload, struct buf *err);

/* The same for one pair, without a payload (starling-admin repair-graph). *changed (may be NULL)
 * says whether a row was written. Returns 0 or -1 (why in err). */
int graph_sync_pair(struct app_env *env, uint64_t follower, uint64_t followee, bool *changed,
    struct buf *err);

#endif
