/* post.h: posts, replies, reposts and quotes, likes, reports, deletion and pinning; their cached
 * content and counts.
 *
 * One module serves both faces of every operation: the JSON handlers (cgi-bin/post/api.c) and the
 * page forms (cgi-bin/post/pages.c) call the same function, which checks the rules, writes, and on
 * a refusal records the error with ctx_fail() and returns its code (apierr.h): a caller only
 * says `if ((rc = post_like(ctx, id, true)) != 0) return rc;`. The acting user is ctx->user_id.
 *
 * Where rows live (docs/schema.md): a post on its author's shard; a reply on the shard of the post
 * at the root of its thread; a like on the liker's shard (tb_post_like, the source of truth) and
 * on the record's shard (tb_post_like_reversed with count_likes). A write that spans two shards
 * commits its source of truth together with a tb_job row on the source's shard (an outbox), then
 * runs that job at once (lib/job.h); a job that could not run is left for starling-worker. Jobs
 * make the other shard match the source ("sync"), so they can run twice or out of order.
 *
 * Caching (cache-aside, invalidated after every write that changes them):
 *   "post:<id>"   the content of a post or reply (post_get's object, without author or counts)
 *   "postx:<id>"  its counts (post_stats)
 *
 * The JSON of a post or reply (post_get; the API and templates rely on these names):
 *   id, type ("post" | "repost" | "quote" | "reply"), authorId, contentText, imageUrl, videoUrl,
 *   hashtags [tag keys], mentions [lowercased usernames], originalId (repost/quote: the original
 *   record; reply: the post or reply answered; "0" otherwise), rootId (reply: the thread's post;
 *   else the post's own id), replySettings ("everyone" | "mentioned" | "followers"), createdAt
 *   (unix seconds). IDs are strings (64-bit values do not survive JavaScript numbers).
 * post_view adds: author {id, username, displayName, avatarUrl, verified}, original (the embedded
 * original of a repost or quote, itself with its author; null when it was deleted or its author
 * and the viewer are in a block pair: a repost of such a record is then 404), and, for a
 * logged-in viewer, viewer {liked, reposted, own}. The JSON routes add image at answer time
 * (post_add_images). */
#ifndef STARLING_POST_H
#define STARLING_POST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "cache.h"

struct app_env;
struct ctx;

enum post_type { POST_ORIGINAL = 0, POST_REPOST = 1, POST_QUOTE = 2, POST_REPLY = 3 };
enum post_reply_settings { POST_REPLY_EVERYONE = 0, POST_REPLY_MENTIONED = 1,
                           POST_REPLY_FOLLOWERS = 2 };

/* Most ids post_stats takes at once, and the page size of post_replies. */
#define POST_STATS_MAX    100
#define POST_REPLIES_PAGE 20

/* A new post, quote or reply. Strings are borrowed; NULL or "" means absent. */
struct post_new {
	const char *text;
	size_t      text_len;
	const char *media;           /* the seed's "media": the public URL of an image or video that
	                              * upload/sign_image or sign_video issued to this user
	                              * (media_check_url says which; it becomes imageUrl or videoUrl) */
	int         reply_settings;  /* enum post_reply_settings (posts and quotes) */
	uint64_t    original_id;     /* quote: the quoted record; reply: the post or reply answered */
	const char *idem_key;        /* the Idempotency-Key header, or NULL */
	const char *request_hash;    /* hex SHA-256 of what was asked (post_request_hash), with a key */
};

/* Creates a post (original_id 0) or a quote (original_id set), as ctx->user_id. With an
 * idem_key already used by this user for the same request, *id is the post made then and
 * nothing new is written. Returns 0 with *id, or an apierr code (recorded with ctx_fail):
 * text not UTF-8, too long, empty without media; media not issued to this user; quoted record
 * not found; key reused for another request. */
int post_create(struct ctx *ctx, const struct post_new *n, uint64_t *id);

/* Replies to the post or reply n->original_id (its reply_settings decide who may). As
 * post_create, with the same idempotency. */
int post_reply(struct ctx *ctx, const struct post_new *n, uint64_t *id);

/* Reposts original_id. A second repost of the same record is not an error: *id is the existing
 * repost. Reposting a repost reposts its original. */
int post_repost(struct ctx *ctx, uint64_t original_id, uint64_t *id);

/* post_repost with the Idempotency-Key of the request (NULL: none; request_hash NULL: computed
 * here), as post_create takes it: the same key with another request is 42200. */
int post_repost_idem(struct ctx *ctx, uint64_t original_id, const char *idem_key,
    const char *request_hash, uint64_t *id);

/* Undoes ctx->user_id's repost: id may be the repost itself or the reposted record. Undoing what
 * was not reposted is a no-op (0). */
int post_undo_repost(struct ctx *ctx, uint64_t id);

/* Likes (like true) or unlikes a post or reply; both idempotent. */
int post_like(struct ctx *ctx, uint64_t record_id, bool like);

/* Reports a post or reply with a reason (1 .. 255); a repeated report by the same user counts
 * once and is not an error. */
int post_report(struct ctx *ctx, uint64_t record_id, int reason);

/* Deletes (softly) a post, repost, quote or reply of ctx->user_id; it then disappears from every
 * read and count. Deleting someone else's is refused (403); a missing or deleted one is 404. */
int post_delete(struct ctx *ctx, uint64_t id);

/* Pins (pin true) one of ctx->user_id's own posts or quotes (not a repost or a reply) to the
 * profile, replacing any pinned before; unpin clears it if id is the pinned one (another of the
 * user's own is no change, and no error). Either way someone else's post is refused (403) and a
 * missing or deleted one is 404. */
int post_pin(struct ctx *ctx, uint64_t id, bool pin);

/* The content of a live post or reply (object described above; new reference in *out).
 * Returns 1, 0 when there is no such record or it is deleted, -1 on failure (no ctx_fail). */
int post_get(struct app_env *env, uint64_t id, json_object **out);

/* The post as the API and the pages show it (post_get plus author, original, viewer).
 * Returns 0 with *out, or an apierr code (404 for a missing or deleted record). */
int post_view(struct ctx *ctx, uint64_t id, json_object **out);
/* post_view for an item of a list: APIERR_OK with *out, or APIERR_OK with *out NULL when the
 * record is gone or hidden from the viewer (post_view's 404 leaves it out of the list and is not
 * the list's error); another apierr code on failure. */
int post_view_listed(struct ctx *ctx, uint64_t id, json_object **out);

/* The counts of up to POST_STATS_MAX records: an object keyed by id, each {comments, likes,
 * reposts, quotes}; unknown and deleted ids are left out. Returns 0 with *out, or an apierr
 * code. */
int post_stats(struct ctx *ctx, const uint64_t *ids, size_t n, json_object **out);
/* post_stats for a page that gathers from many shards (partial not NULL): the counts of a shard
 * that does not answer (and are not cached) are not a failure; their ids map to null in *out,
 * and *partial is set. */
int post_stats_some(struct ctx *ctx, const uint64_t *ids, size_t n, json_object **out,
    bool *partial);

/* A page of replies, oldest first, after cursor (0: from the start): for a post, every reply
 * in its thread; for a reply, its direct replies. *out is {replies: [post_view objects],
 * cursor: "<last id>" or "-1" when there is no more}. Returns 0 or an apierr code (404 for a
 * missing or deleted record). */
int post_replies(struct ctx *ctx, uint64_t id, uint64_t cursor, json_object **out);

/* The hex SHA-256 of a request for the idempotency check (65 bytes with the NUL): method, path
 * and the route's declared parameters as checked (ctx->params), so the JSON formatting of the
 * body and undeclared fields (a form's CSRF token) do not make two requests differ. */
void post_request_hash(const struct ctx *ctx, char out[65]);

/* Parses a comma-separated list of 1 .. max decimal IDs ("7,8,9": no blanks, no empty item, no
 * 0) into ids. Returns 0 with *n, or -1. */
int post_parse_ids(const char *s, uint64_t *ids, size_t max, size_t *n);

/* Adds to ks the cache keys a card of record id reads first (its content and its counts), for
 * a page's one prefetch (cache.h): a page that knows its records before it views them (a
 * timeline's list) fetches them together with their authors (user_keys) and relations
 * (graph_keys). */
void post_keys(struct cache_keys *ks, uint64_t id);

/* post_view of n (at most POST_STATS_MAX) records at once, for a page of a timeline: the
 * contents in one multi-get (the per-id path for the misses), the originals of reposts and
 * quotes in a second, each author looked up once, and what the viewer liked and reposted in one
 * query each. views[i] gets a new reference, or NULL for a record that is missing, deleted, or
 * whose author and the viewer block each other (as post_view's 404). Returns APIERR_OK, or an
 * apierr code (recorded with ctx_fail; every views[i] NULL).
 * With partial (not NULL), a page that gathers from many shards is served from those that
 * answer: a record whose content, author, original or block state cannot be read (its shard
 * down) is left out (NULL) and *partial set, and so is it when the viewer's likes and reposts
 * cannot be read (then shown as not done); only a failure of the cache and every shard at once
 * would leave the page empty. */
int post_view_many(struct ctx *ctx, const uint64_t *ids, size_t n, json_object **views,
    bool *partial);

/* Adds "image" (media_image_view: how to show it, and whether it is still processing) to every
 * post object within data, an answer's data as built (a post, a page of them, notifications
 * with their posts; originals included): to each object with a non-empty imageUrl. Called by
 * every JSON route that answers posts, just before ctx_set_data. Why not in post_view: the state
 * changes within seconds of the upload, so it is read at answer time and never cached; it costs
 * a stat or two per image (the files say it, media.h) and no cache or database round trip. */
void post_add_images(struct ctx *ctx, json_object *data);

#endif
