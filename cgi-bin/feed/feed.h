/* feed.h: starling-feed, the binary for reading and discovering: the home timeline, hashtag
 * pages, search, trends and popular users, and notifications, as JSON under /api/v1/timeline/,
 * /api/v1/search/, /api/v1/trends/ and /api/v1/notification/, and as pages (/, /hashtag/:tag,
 * /search, /explore, /notifications).
 *
 * Each handler builds its data once; the route decides whether it goes out as the JSON envelope
 * or through its template. The rules are in lib/ (timeline.h, search.h, trend.h, notify.h). */
#ifndef STARLING_FEED_H
#define STARLING_FEED_H

#include "apierr.h"

#include "app.h"

extern const struct app feed_app;

/* home.c */
enum apierr feed_timeline_home(struct ctx *ctx);     /* GET /api/v1/timeline/home ?cursor ?since_id */
enum apierr feed_home(struct ctx *ctx);              /* GET / (as /home): timeline or landing page */

/* discover.c */
enum apierr feed_timeline_hashtag(struct ctx *ctx);  /* GET /api/v1/timeline/hashtag ?tag&cursor */
enum apierr feed_search_posts(struct ctx *ctx);      /* GET /api/v1/search/posts ?q&cursor */
enum apierr feed_search_users(struct ctx *ctx);      /* GET /api/v1/search/users ?q&cursor */
enum apierr feed_search_hashtags(struct ctx *ctx);   /* GET /api/v1/search/hashtags ?q */
enum apierr feed_trends_hashtags(struct ctx *ctx);   /* GET /api/v1/trends/hashtags */
enum apierr feed_trends_users(struct ctx *ctx);      /* GET /api/v1/trends/users */
enum apierr feed_hashtag_page(struct ctx *ctx);      /* GET /hashtag/:tag ?cursor */
enum apierr feed_hashtag_feed(struct ctx *ctx);      /* GET /hashtag/:tag/feed.atom (atom.c) */
enum apierr feed_search_page(struct ctx *ctx);       /* GET /search ?q&type=posts|users&cursor */
enum apierr feed_explore_page(struct ctx *ctx);      /* GET /explore */
/* Adds the trends and popular users (hashtags, users) of partials/discover.mustache to page.
 * Returns APIERR_OK or an apierr code recorded with ctx_fail. */
enum apierr feed_discover_fill(struct ctx *ctx, json_object *page);

/* notifications.c */
enum apierr feed_notification_list(struct ctx *ctx);    /* GET /api/v1/notification/list ?cursor */
enum apierr feed_notification_unread(struct ctx *ctx);  /* GET /api/v1/notification/unread_count */
enum apierr feed_notification_read(struct ctx *ctx);    /* POST /api/v1/notification/read {up_to_id} */
enum apierr feed_notifications_page(struct ctx *ctx);   /* GET /notifications ?cursor */
enum apierr feed_notifications_read_form(struct ctx *ctx); /* POST /notifications/read {up_to_id} */

#endif
