/* postview.h: the read side of the post module (lib/social/postview.c): a record's cached content,
 * a post as its viewer sees it, counts and replies. The read models (timeline, notify, search,
 * postlist, card) include this header; the writes (create, reply, repost, like, delete, pin,
 * report) are in post.h, which includes it. Nothing here writes the database or queues a job.
 *
 * Calls that take a ctx record a refusal or a failure with ctx_fail() and return its code
 * (apierr.h); the ones that take an app_env return 1 / 0 / -1 as each says.
 *
 * Caching (cache-aside, invalidated after every write that changes them):
 *   "post:<id>"   the content of a post or reply (post_get's object, without author or counts)
 *   "postx:<id>"  its counts (post_stats)
 *
 * The JSON of a post or reply (post_get; the API and templates rely on these names):
 *   id, type ("post" | "repost" | "quote" | "reply"), authorId, contentText, imageUrl (the first
 *   image), videoUrl, media [{url, alt}] (0 .. POST_MEDIA_MAX images, in order: post_row_media),
 *   hashtags [tag keys], mentions [lowercased usernames], originalId (repost/quote: the original
 *   record; reply: the post or reply answered; "0" otherwise), rootId (reply: the thread's post;
 *   else the post's own id), replySettings ("everyone" | "mentioned" | "followers"), createdAt
 *   (unix seconds), contentWarning (the warning the text and media are hidden behind; "" for
 *   none), sensitive (true: the media is blurred until revealed). IDs are strings (64-bit
 *   values do not survive JavaScript numbers).
 * post_view adds: author {id, username, displayName, avatarUrl, verified}, original (the embedded
 * original of a repost or quote, itself with its author; null when it was deleted or its author
 * and the viewer are in a block pair: a repost of such a record is then 404), and, for a
 * logged-in viewer, viewer {liked, reposted, bookmarked, own}. The JSON routes add image at answer time
 * (post_add_images). */
#ifndef STARLING_POSTVIEW_H
#define STARLING_POSTVIEW_H

#include "apierr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "cache.h"

/* Images one post, quote or reply may carry; a video is posted alone (lib/social/post.c checks). */
#define POST_MEDIA_MAX 4
/* Characters (code points) of an image's alt text: room for a real description of a chart or
 * a screenshot, which screen readers read out whole. */
#define POST_ALT_MAX 1000

struct app_env;
struct ctx;
struct db_rows;
struct media;

enum post_type { POST_ORIGINAL = 0, POST_REPOST = 1, POST_QUOTE = 2, POST_REPLY = 3 };

/* Most ids post_stats (and post_view_many) take at once, and the page size of post_replies,
 * which views a page in one post_view_many: it must stay within POST_STATS_MAX. */
#define POST_STATS_MAX    100
#define POST_REPLIES_PAGE 20

/* The content of a live post or reply (object described above; new reference in *out).
 * Returns 1, 0 when there is no such record or it is deleted, -1 on failure (no ctx_fail). */
int post_get(struct app_env *env, uint64_t id, json_object **out);

/* The post as the API and the pages show it (post_get plus author, original, viewer): the
 * batch view post_view_many with one id, so both follow one set of rules. Returns 0 with *out,
 * or an apierr code (404 for a missing or deleted record, or one hidden from the viewer by a
 * block; 503 when it cannot be read). */
enum apierr post_view(struct ctx *ctx, uint64_t id, json_object **out);
/* post_view for an item of a list: APIERR_OK with *out, or APIERR_OK with *out NULL when the
 * record is gone or hidden from the viewer (post_view's 404 leaves it out of the list and is not
 * the list's error); another apierr code on failure. */
enum apierr post_view_listed(struct ctx *ctx, uint64_t id, json_object **out);

/* The counts of up to POST_STATS_MAX records: an object keyed by id, each {comments, likes,
 * reposts, quotes}; unknown and deleted ids are left out. Returns 0 with *out, or an apierr
 * code. */
enum apierr post_stats(struct ctx *ctx, const uint64_t *ids, size_t n, json_object **out);
/* post_stats for a page that gathers from many shards (partial not NULL): the counts of a shard
 * that does not answer (and are not cached) are not a failure; their ids map to null in *out,
 * and *partial is set. */
enum apierr post_stats_some(struct ctx *ctx, const uint64_t *ids, size_t n, json_object **out,
    bool *partial);

/* A page of replies, oldest first, after cursor (0: from the start): for a post, every reply
 * in its thread; for a reply, its direct replies. *out is {replies: [post_view objects],
 * cursor: "<last id>" or "-1" when there is no more}; the page's replies are viewed with one
 * post_view_many (its round trips do not grow with the replies), and those gone or hidden from
 * the viewer are left out. Returns 0 or an apierr code (404 for a missing or deleted record). */
enum apierr post_replies(struct ctx *ctx, uint64_t id, uint64_t cursor, json_object **out);

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
enum apierr post_view_many(struct ctx *ctx, const uint64_t *ids, size_t n, json_object **views,
    bool *partial);

/* Adds "image" (media_image_view: how to show it, and whether it is still processing) to every
 * post object within data, an answer's data as built (a post, a page of them, notifications
 * with their posts; originals included): to each object with a non-empty imageUrl. Called by
 * every JSON route that answers posts, just before ctx_set_data. Why not in post_view: the state
 * changes within seconds of the upload, so it is read at answer time and never cached; it costs
 * a stat or two per image (the files say it, media.h) and no cache or database round trip. */
void post_add_images(struct ctx *ctx, json_object *data);

/* Adds to post (one post object: a post_get or post_view object) how each of its images is
 * shown: every member of its "media" array [{url, alt}] gains the keys of media_image_view (state,
 * ready, src, full, srcset, webpSrcset, sizes, animated) and thumbUrl (src: the card's size),
 * processing (true until its sizes exist). A post object without "media" (cached before the
 * column) gets it from its imageUrl, with no alt text. Nothing for a post without images or when
 * m is NULL. post_add_images and the cards (lib/app/card.c) call it: one body for both faces. */
void post_media_view(const struct media *m, json_object *post);

/* The "media" of row i of post_row's rows: [{url, alt}] from media_json, or, for a record without
 * it (written before sql/017_post_media.sql), [{url: image_url, alt: ""}]; [] with no image. New
 * array (the caller owns it). */
json_object *post_row_media(const struct db_rows *r, size_t i);

/* ---------------------------------------------------------------------------------------- */
/* For the write side (post.c) only: the rows and members it acts on. */

/* The columns of post_row's row. For a reply, POST_R_ORIGINAL is the answered reply (0: the
 * root post) and POST_R_ROOT the root post; a post's POST_R_ROOT is 0. */
enum { POST_R_USER, POST_R_TYPE, POST_R_ORIGINAL, POST_R_ROOT, POST_R_SETTINGS, POST_R_DELETED,
       POST_R_HASHTAGS, POST_R_CREATED, POST_R_TEXT, POST_R_IMAGE, POST_R_VIDEO,
       POST_R_ORIGINAL_TYPE, POST_R_MEDIA, POST_R_WARNING, POST_R_SENSITIVE };

/* Record id's row (deleted or not) from tb_post or tb_post_reply on id_shard(id), into *r (the
 * caller's: db_rows_free). Returns 0 (no row for an unknown id or shard), or -1. */
int post_row(struct app_env *env, uint64_t id, struct db_rows *r);

/* Drop the cached record ("post:<id>") or its counts ("postx:<id>", post_stats) of id after a
 * write moved them: the next reader loads them from the database. postview.c builds both keys;
 * failures are logged by the cache (the TTL bounds them). */
void post_forget(struct app_env *env, uint64_t id);
void post_counts_forget(struct app_env *env, uint64_t id);

/* What a timeline push needs of post (a post, quote or repost; not a reply), read from the
 * database in one statement on its shard: its author and the author's count_followers. That
 * count is user.c's (tb_user_extended), read here, never written: the one read that joins
 * another module's table, so that a push costs two statements (test_budget), not three.
 * Returns 1 with both, 0 when post is no live post (deleted, a reply, unknown), or -1. */
int post_push_facts(struct app_env *env, uint64_t post, uint64_t *author, int64_t *followers);

/* The type of a post object (its "type" member; jsonx.h reads its other members). */
enum post_type post_jtype(json_object *o);

/* A live record for an action on it, with a repost standing for its original (liking,
 * reporting, replying to or reposting a repost acts on what it reposted): post_get's returns. */
int post_resolve(struct app_env *env, uint64_t id, json_object **out);
/* post_resolve with the failures recorded: APIERR_OK with *out (the caller's), 404, 503. */
enum apierr post_live(struct ctx *ctx, uint64_t id, json_object **out);
/* Records "no such post" (404) and returns its code. */
enum apierr post_not_found(struct ctx *ctx);

#endif
