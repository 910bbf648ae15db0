/* postapp.h: starling-post, the binary for posts: create, reply, repost and quote, like, report,
 * detail, counts, replies, delete and pin, as JSON under /api/v1/post/ (api.c), and the post
 * pages (pages.c, with the same rules: both call lib/social/post.h).
 *
 * Each handler lists its inputs and the codes it answers; the rules themselves are in
 * lib/social/post.c so that the pages apply exactly the same ones. */
#ifndef STARLING_POSTAPP_H
#define STARLING_POSTAPP_H

#include "apierr.h"

#include "app.h"

extern const struct app post_app;

/* api.c: the JSON API. */
enum apierr api_create(struct ctx *ctx);
enum apierr api_reply(struct ctx *ctx);
enum apierr api_repost(struct ctx *ctx);
enum apierr api_undo_repost(struct ctx *ctx);
enum apierr api_like(struct ctx *ctx);
enum apierr api_report(struct ctx *ctx);
enum apierr api_detail(struct ctx *ctx);
enum apierr api_stats(struct ctx *ctx);
enum apierr api_replies(struct ctx *ctx);
enum apierr api_delete(struct ctx *ctx);
enum apierr api_pin(struct ctx *ctx);

/* bookmarks.c: the caller's bookmarks (POST bookmark, GET bookmarks; the page is pages.h's). */
enum apierr api_bookmark(struct ctx *ctx);
enum apierr api_bookmarks(struct ctx *ctx);

/* people.c: who liked and who reposted a record (GET likers, reposters; the pages are pages.h's). */
enum apierr api_likers(struct ctx *ctx);
enum apierr api_reposters(struct ctx *ctx);

#endif
