/* post.h: posts, replies, reposts and quotes, likes, reports, deletion and pinning: the writes.
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
 * runs that job at once (lib/social/job.h); a job that could not run is left for starling-worker.
 * Jobs make the other shard match the source ("sync"), so they can run twice or out of order.
 *
 * This is the write side of the module (lib/social/post.c): it validates, writes, invalidates the
 * cache keys of postview.h and queues the fan-out (timeline, notifications, hashtags, links).
 * The read side (content, views, counts, replies) is postview.h, included here so that a
 * caller of both needs one header. */
#ifndef STARLING_POST_H
#define STARLING_POST_H

#include "apierr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "postview.h"

struct app_env;
struct ctx;

enum post_reply_settings { POST_REPLY_EVERYONE = 0, POST_REPLY_MENTIONED = 1,
                           POST_REPLY_FOLLOWERS = 2 };

/* One medium of a new record: the public URL of an image or video that upload/sign_image or
 * sign_video issued to this user (media_check_url says which), and its alt text (an image's; ""
 * or NULL: none). Borrowed. */
struct post_medium {
	const char *url;
	const char *alt;
};
/* The longest content warning, in characters after NFC (as a post's text is counted): a
 * summary line, not a second post (Mastodon's and Misskey's are as short in practice). */
#define POST_WARNING_MAX 100

/* A new post, quote or reply. Strings are borrowed; NULL or "" means absent. */
struct post_new {
	const char *text;
	size_t      text_len;
	/* The seed's "media", now up to POST_MEDIA_MAX: images (the first becomes imageUrl too, for
	 * older clients), or one video (videoUrl). Entries with a NULL or "" url are skipped. */
	struct post_medium media[POST_MEDIA_MAX];
	int         reply_settings;  /* enum post_reply_settings (posts and quotes) */
	uint64_t    original_id;     /* quote: the quoted record; reply: the post or reply answered */
	const char *content_warning; /* shown in place of the text and media until opened: at most
	                              * POST_WARNING_MAX characters (counted as the text is), or NULL */
	bool        sensitive;       /* the media is blurred until revealed */
	const char *idem_key;        /* the Idempotency-Key header, or NULL */
	const char *request_hash;    /* hex SHA-256 of what was asked (post_request_hash), with a key */
};

/* Creates a post (original_id 0) or a quote (original_id set), as ctx->user_id. With an
 * idem_key already used by this user for the same request, *id is the post made then and
 * nothing new is written. Returns 0 with *id, or an apierr code (recorded with ctx_fail):
 * text not UTF-8, too long, empty without media; a content warning not UTF-8 (40011) or over
 * POST_WARNING_MAX (40010); media not issued to this user; quoted record not found; key reused
 * for another request. */
enum apierr post_create(struct ctx *ctx, const struct post_new *n, uint64_t *id);

/* Replies to the post or reply n->original_id (its reply_settings decide who may). As
 * post_create, with the same idempotency. */
enum apierr post_reply(struct ctx *ctx, const struct post_new *n, uint64_t *id);

/* Reposts original_id. A second repost of the same record is not an error: *id is the existing
 * repost. Reposting a repost reposts its original. */
enum apierr post_repost(struct ctx *ctx, uint64_t original_id, uint64_t *id);

/* post_repost with the Idempotency-Key of the request (NULL: none; request_hash NULL: computed
 * here), as post_create takes it: the same key with another request is 42200. */
enum apierr post_repost_idem(struct ctx *ctx, uint64_t original_id, const char *idem_key,
    const char *request_hash, uint64_t *id);

/* Undoes ctx->user_id's repost: id may be the repost itself or the reposted record. Undoing what
 * was not reposted is a no-op (0). */
enum apierr post_undo_repost(struct ctx *ctx, uint64_t id);

/* Likes (like true) or unlikes a post or reply; both idempotent. */
enum apierr post_like(struct ctx *ctx, uint64_t record_id, bool like);

/* Reports a post or reply with a reason (1 .. 255); a repeated report by the same user counts
 * once and is not an error. */
enum apierr post_report(struct ctx *ctx, uint64_t record_id, int reason);

/* Deletes (softly) a post, repost, quote or reply of ctx->user_id; it then disappears from every
 * read and count. Deleting someone else's is refused (403); a missing or deleted one is 404. */
enum apierr post_delete(struct ctx *ctx, uint64_t id);
/* The same for anyone's record (a moderator's removal, lib/social/mod.c: the caller checked the role),
 * its author into *author. post_author only reads the author of a live record (404 if none). */
enum apierr post_remove(struct ctx *ctx, uint64_t id, uint64_t *author);
enum apierr post_author(struct ctx *ctx, uint64_t id, uint64_t *author);

/* Pins (pin true) one of ctx->user_id's own posts or quotes (not a repost or a reply) to the
 * profile, replacing any pinned before; unpin clears it if id is the pinned one (another of the
 * user's own is no change, and no error). Either way someone else's post is refused (403) and a
 * missing or deleted one is 404. */
enum apierr post_pin(struct ctx *ctx, uint64_t id, bool pin);

/* The hex SHA-256 of a request for the idempotency check (65 bytes with the NUL): method, path
 * and the route's declared parameters as checked (ctx->params), so the JSON formatting of the
 * body and undeclared fields (a form's CSRF token) do not make two requests differ. */
void post_request_hash(const struct ctx *ctx, char out[65]);

#endif
