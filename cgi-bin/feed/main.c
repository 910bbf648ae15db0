/* main.c: starling-feed, reading and discovering (see feed.h).
 *
 * URL prefixes served (the web server maps them here; see docs/routes.md):
 *   /api/v1/timeline/  /api/v1/search/  /api/v1/trends/  /api/v1/notification/
 *   /hashtag/  /search  /explore  /notifications  and the home page, / exactly (as /home) */
#include "config.h"

#include "feed.h"
#include "jobkinds.h"

/* A search query is bounded here; the search itself says what it accepts (lib/social/search.h). */
#define QUERY_PARAM_MAX 100
/* A tag key: at most TEXT_TAG_MAX code points (lib/social/text.h); a longer one names no tag. */
#define TAG_PARAM_MAX   100

static const struct param_spec cursor_params[] = {
	{ "cursor", PARAM_CURSOR, 0, 0, 0, NULL },
	PARAM_END
};
/* since_id: the newest post a page shows; only newer ones are answered (static/starling.js). */
static const struct param_spec home_params[] = {
	{ "cursor",   PARAM_CURSOR, 0, 0, 0, NULL },
	{ "since_id", PARAM_ID,     0, 0, 0, NULL },
	PARAM_END
};
static const struct param_spec hashtag_params[] = {
	{ "tag",    PARAM_STRING, PARAM_REQUIRED, 1, TAG_PARAM_MAX, NULL },
	{ "cursor", PARAM_CURSOR, 0, 0, 0, NULL },
	PARAM_END
};
static const struct param_spec search_params[] = {
	{ "q",      PARAM_STRING, PARAM_REQUIRED, 1, QUERY_PARAM_MAX, NULL },
	{ "cursor", PARAM_STRING, 0, 0, 64, NULL },
	PARAM_END
};
static const struct param_spec search_tag_params[] = {
	{ "q", PARAM_STRING, PARAM_REQUIRED, 1, QUERY_PARAM_MAX, NULL },
	PARAM_END
};
static const struct param_spec read_params[] = {
	{ "up_to_id", PARAM_ID, PARAM_REQUIRED, 0, 0, NULL },
	PARAM_END
};

/* The pages. */
static const char *const search_types[] = { "posts", "users", NULL };
static const struct param_spec page_cursor_params[] = {
	{ "cursor", PARAM_ID, 0, 0, 0, NULL },
	PARAM_END
};
static const struct param_spec home_page_params[] = {
	{ "cursor",   PARAM_ID, 0, 0, 0, NULL },
	{ "since_id", PARAM_ID, 0, 0, 0, NULL },
	PARAM_END
};
static const struct param_spec search_page_params[] = {
	{ "q",      PARAM_STRING, 0, 0, QUERY_PARAM_MAX, NULL },
	{ "type",   PARAM_ENUM,   0, 0, 0, search_types },
	{ "cursor", PARAM_STRING, 0, 0, 64, NULL },
	PARAM_END
};
static const struct param_spec read_form_params[] = {
	{ "up_to_id", PARAM_ID, PARAM_REQUIRED, 0, 0, NULL },
	PARAM_END
};

#define AUTH ROUTE_AUTH
#define PAGE ROUTE_HTML
#define FORM (ROUTE_HTML | ROUTE_AUTH | ROUTE_CSRF | ROUTE_RETRY)

static const struct route routes[] = {
	{ HTTP_GET,  "/api/v1/timeline/home",    AUTH, feed_timeline_home,    home_params,    NULL },
	{ HTTP_GET,  "/api/v1/timeline/hashtag", 0,    feed_timeline_hashtag, hashtag_params, NULL },
	{ HTTP_GET,  "/api/v1/search/posts",     0,    feed_search_posts,     search_params,  NULL },
	{ HTTP_GET,  "/api/v1/search/users",     0,    feed_search_users,     search_params,  NULL },
	{ HTTP_GET,  "/api/v1/search/hashtags",  0,    feed_search_hashtags, search_tag_params, NULL },
	{ HTTP_GET,  "/api/v1/trends/hashtags",  0,    feed_trends_hashtags,  NULL,           NULL },
	{ HTTP_GET,  "/api/v1/trends/users",     0,    feed_trends_users,     NULL,           NULL },
	{ HTTP_GET,  "/api/v1/notification/list", AUTH, feed_notification_list, cursor_params, NULL },
	{ HTTP_GET,  "/api/v1/notification/unread_count", AUTH, feed_notification_unread, NULL,
	                                                                                   NULL },
	{ HTTP_POST, "/api/v1/notification/read", AUTH, feed_notification_read, read_params, NULL },

	/* Pages. The first GET route of a template shows it again after a refused form. */
	{ HTTP_GET,  "/",              PAGE,        feed_home,             home_page_params, "home" },
	{ HTTP_GET,  "/hashtag/:tag",  PAGE,        feed_hashtag_page,     page_cursor_params,
	                                                                                 "hashtag" },
	{ HTTP_GET,  "/hashtag/:tag/feed.atom", 0,  feed_hashtag_feed,     NULL,           NULL },
	{ HTTP_GET,  "/search",        PAGE,        feed_search_page,      search_page_params,
	                                                                                  "search" },
	{ HTTP_GET,  "/explore",       PAGE,        feed_explore_page,     NULL,       "explore" },
	{ HTTP_GET,  "/notifications", PAGE | AUTH, feed_notifications_page, page_cursor_params,
	                                                                           "notifications" },
	{ HTTP_POST, "/notifications/read", FORM,   feed_notifications_read_form, read_form_params,
	                                                                           "notifications" },
};

const struct app feed_app = {
	"starling-feed", routes, sizeof routes / sizeof routes[0],
};

/* Unit tests may link this file with -DSTARLING_NO_MAIN and drive feed_app in process. */
#ifndef STARLING_NO_MAIN
int
main(int argc, char **argv)
{
	jobkinds_install();
	return app_main(&feed_app, argc, argv);
}
#endif
