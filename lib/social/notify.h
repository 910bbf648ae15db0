/* notify.h: notifications: likes, replies, reposts, quotes, follows and mentions, kept on the
 * recipient's shard (tb_notification), with the unread count and mark-as-read.
 *
 * A notification is made by a job after the action commits (the action is on the actor's or the
 * thread's shard; the notification on the recipient's): notify.post and notify.like are queued
 * by lib/social/post.c with the write, and follow.sync (lib/social/graph.c) calls notify_follow.
 * None is made for your own actions, nor for the actions of a user the recipient muted or who is
 * in a block with them. The event's unique key (recipient, type, actor, record) makes every job
 * idempotent, and a like, a repost or a follow undone and redone does not notify twice (a repost's
 * key is the original, not the repost record, which is new each time; each quote is a post of its
 * own and tells each time). Each job reads the truth when it runs: a record deleted, a like taken
 * back or a follow ended before it ran notifies nobody. A like taken back after its notification
 * was made withdraws it (out of the list and the unread count); given again, it brings that same
 * notification back as it was (read or not, in its old place), never a second one. One record
 * tells one person once: a reply that also mentions the author it answers makes the reply
 * notification only; a name mentioned twice, one mention.
 *
 * What each row names (docs/notifications.md):
 *   type     recipient                   post_id             record_id
 *   like     the liked record's author   the liked record    the liked record
 *   reply    the answered record's       the answered record the reply
 *   repost   the reposted record's       the reposted record the reposted record
 *   quote    the quoted record's         the quoted record   the quote
 *   mention  each user mentioned         the mentioning one  the mentioning record
 *   follow   the followee                0                   0
 *
 * Caching: "notifn:<user_id>" holds the unread count, deleted whenever it changes: a
 * notification added, withdrawn or brought back, a mark-as-read, and a block or an unblock
 * (which hides or shows again the other side's notifications: lib/social/graph.c calls
 * notify_forget_unread for both users). It lives at most a minute in case a delete was lost.
 *
 * Jobs (lib/social/job.h's table):
 *   notify.post {record_id}            a new post, quote, repost or reply: its mentions, the
 *                                      quoted or reposted record's author, the answered author
 *                                      (not queued for a plain post that names nobody)
 *   notify.like {liker_id, record_id}  queued with every like and unlike that changed something:
 *                                      a sync job (job.h), the like notification made to match
 *                                      the like as it is when the job runs (made or brought back
 *                                      if it stands, withdrawn if not); "like" (true or false),
 *                                      what the request wrote, spares the first read
 *
 * Return convention: APIERR_OK or an apierr code recorded with ctx_fail for functions taking a
 * ctx; otherwise <0 failure (logged), 0 nothing done, >0 done. */
#ifndef STARLING_NOTIFY_H
#define STARLING_NOTIFY_H

#include "apierr.h"

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "buf.h"

struct app_env;
struct ctx;

#define NOTIFY_PAGE 20
/* The unread count stops here (docs/schema.md: the badge shows "99+" beyond): counting is one
 * bounded index range, however many a popular user has. */
#define NOTIFY_UNREAD_MAX 100

enum notify_type {
	NOTIFY_LIKE = 1, NOTIFY_REPLY = 2, NOTIFY_REPOST = 3, NOTIFY_QUOTE = 4, NOTIFY_FOLLOW = 5,
	NOTIFY_MENTION = 6,
	/* The outcome of a report, to its reporter (lib/social/mod.c): the actor is the moderator, post_id
	 * the reported record (0 for an account), record_id the reported record or account. */
	NOTIFY_REPORT_DISMISSED = 7, NOTIFY_REPORT_UPHELD = 8,
};

/* "like", "reply", "repost", "quote", "follow", "mention", "report_dismissed", "report_upheld"
 * (static), or NULL for another value. */
const char *notify_type_name(int type);

/* Adds one notification for recipient unless the rules above leave it out. */
int notify_add(struct app_env *env, uint64_t recipient, enum notify_type type, uint64_t actor,
    uint64_t post_id, uint64_t record_id);

/* Deletes user's cached unread count (any other change of what it counts than the ones this
 * module makes: a block or an unblock). */
void notify_forget_unread(struct app_env *env, uint64_t user);

/* Called by follow.sync once the pair is in sync: notifies followee when follower follows them
 * now (read from the follower's row). Returns as notify_add. */
int notify_follow(struct app_env *env, uint64_t follower, uint64_t followee);

/* A page of ctx->user_id's notifications below cursor (0: the first page), newest first, in
 * *out (new reference): {notifications: [{id, type (notify_type_name), actor {id, username,
 * displayName, avatarUrl}, post (post_view object, or null when there is none, it is deleted or
 * the viewer may not see it), read, createdAt (when the notification was made: Unix seconds,
 * as a post's createdAt)}], cursor ("<last id read>", or "-1" on the last page)}. Items of an
 * actor now in a block with the viewer (either way), or whose account is gone, and withdrawn
 * ones (a like taken back) are left out, so a page may hold fewer than NOTIFY_PAGE and still
 * not be the last. The post shown is the actor's record for a reply, quote or mention, the
 * viewer's own for a like or repost. Only the viewer's shard must answer: an item whose actor,
 * blocks or post cannot be read (their shard down) is left out too, and *out then has
 * "partial": true (lib/base/partial.h). Errors: 50300. */
enum apierr notify_list(struct ctx *ctx, uint64_t cursor, json_object **out);
/* ctx->user_id's unread count (cached): at most NOTIFY_UNREAD_MAX, without the notifications of
 * actors in a block with the user. Only the user's shard must answer: the notifications of actors
 * whose blocks cannot be read (their shard down) are not counted, as notify_list leaves them
 * out, and *partial is set (such a count is not cached). Errors: 50300. */
enum apierr notify_unread(struct ctx *ctx, long *count, bool *partial);
/* The same count for the header's badge on every page, where a failure must not become the
 * page's error: 1 with *count (a partial count too: it is what the list shows), 0 for no user,
 * -1 when the user's shard is down (logged below; the page shows no badge). Warm, it costs the
 * one memcached get of "notifn:<user>" and no SQL. */
int notify_unread_badge(struct app_env *env, uint64_t user, long *count);
/* Marks ctx->user_id's notifications with id <= up_to_id read (updated_at: when), withdrawn ones
 * too (brought back, they are read); later ones stay unread. Errors: 50300. */
enum apierr notify_read(struct ctx *ctx, uint64_t up_to_id);

/* The job handlers (job.h's job_handler). */
int notify_post_job(struct app_env *env, json_object *payload, struct buf *err);
int notify_like_job(struct app_env *env, json_object *payload, struct buf *err);

#endif
