/* main.c: starling-post, posts (see postapp.h).
 *
 * URL prefixes served (the web server maps them here; see docs/routes.md):
 *   /api/v1/post/   /p/   /u/   /compose   /bookmarks */
#include "config.h"

#include "jobkinds.h"
#include "pages.h"
#include "postapp.h"
#include "post.h"

/* Lengths here only bound the input: the text's own limit ([posts] max_chars, counted after
 * NFC normalization) is lib/social/post.c's, with its own code (40010). A text may hold more code
 * points before normalization than after ("e" + U+0301 is one character), hence the room. */
#define TEXT_PARAM_MAX  4000
/* A media URL is one this server issued (media.h): far shorter; a longer one is refused. */
#define MEDIA_PARAM_MAX 1000
/* Up to POST_MEDIA_MAX media, each with its alt text (at most POST_ALT_MAX characters: the
 * table refuses more with the field named): "media" (as before) and "alt_text", then
 * "media_2" .. "media_4" with "alt_text_2" .. A form's fields cannot be arrays, hence the
 * numbers; api.c refuses a media_5 and above. One entry a line, so that
 * tests/tools/openapi_routes.py reads them as it reads the tables. */
#define MEDIA_1 { "media",      PARAM_STRING, 0, 0, MEDIA_PARAM_MAX, NULL }
#define MEDIA_2 { "media_2",    PARAM_STRING, 0, 0, MEDIA_PARAM_MAX, NULL }
#define MEDIA_3 { "media_3",    PARAM_STRING, 0, 0, MEDIA_PARAM_MAX, NULL }
#define MEDIA_4 { "media_4",    PARAM_STRING, 0, 0, MEDIA_PARAM_MAX, NULL }
#define ALT_1   { "alt_text",   PARAM_STRING, 0, 0, POST_ALT_MAX, NULL }
#define ALT_2   { "alt_text_2", PARAM_STRING, 0, 0, POST_ALT_MAX, NULL }
#define ALT_3   { "alt_text_3", PARAM_STRING, 0, 0, POST_ALT_MAX, NULL }
#define ALT_4   { "alt_text_4", PARAM_STRING, 0, 0, POST_ALT_MAX, NULL }
#define MEDIA_PARAMS MEDIA_1, ALT_1, MEDIA_2, ALT_2, MEDIA_3, ALT_3, MEDIA_4, ALT_4
/* The pages' forms: the files are image, image_2 .. (request_file), the alt texts as above. */
#define ALT_PARAMS ALT_1, ALT_2, ALT_3, ALT_4
/* A content warning is at most POST_WARNING_MAX characters (lib/social/post.c counts them, 40010); as for
 * the text, room for what normalization may fold, and no more. */
#define WARNING_PARAM_MAX 1000
/* What create, reply and repost (and the forms) take besides their own parameters: the content
 * warning and the sensitive flag of the media (docs/api.md, "Content warnings"). */
#define WARNING   { "content_warning", PARAM_STRING, 0, 0, WARNING_PARAM_MAX, NULL }
#define SENSITIVE { "sensitive", PARAM_BOOL, 0, 0, 0, NULL }
/* post_ids: up to POST_STATS_MAX IDs of at most 20 digits, with commas. */
#define IDS_PARAM_MAX   (POST_STATS_MAX * 21)

static const struct param_spec create_params[] = {
	{ "content_text",   PARAM_STRING, 0, 0, TEXT_PARAM_MAX, NULL },
	MEDIA_PARAMS,
	{ "reply_settings", PARAM_INT,    0, 0, 2, NULL },
	WARNING,
	SENSITIVE,
	PARAM_END
};
static const struct param_spec reply_params[] = {
	{ "original_post_id", PARAM_ID,     PARAM_REQUIRED, 0, 0, NULL },
	{ "content_text",     PARAM_STRING, 0, 0, TEXT_PARAM_MAX, NULL },
	MEDIA_PARAMS,
	WARNING,
	SENSITIVE,
	PARAM_END
};
static const struct param_spec repost_params[] = {
	{ "original_post_id", PARAM_ID,     PARAM_REQUIRED, 0, 0, NULL },
	{ "content_text",     PARAM_STRING, 0, 0, TEXT_PARAM_MAX, NULL },
	MEDIA_PARAMS,
	{ "reply_settings",   PARAM_INT,    0, 0, 2, NULL },
	WARNING,
	SENSITIVE,
	PARAM_END
};
static const struct param_spec id_params[] = {
	{ "post_id", PARAM_ID, PARAM_REQUIRED, 0, 0, NULL },
	PARAM_END
};
static const struct param_spec like_params[] = {
	{ "post_id", PARAM_ID,  PARAM_REQUIRED, 0, 0, NULL },
	{ "islike",  PARAM_INT, PARAM_REQUIRED, 0, 1, NULL },
	PARAM_END
};
static const struct param_spec report_params[] = {
	{ "post_id",       PARAM_ID,  PARAM_REQUIRED, 0, 0, NULL },
	{ "report_reason", PARAM_INT, PARAM_REQUIRED, 1, 255, NULL },
	PARAM_END
};
static const struct param_spec stats_params[] = {
	{ "post_ids", PARAM_STRING, PARAM_REQUIRED, 1, IDS_PARAM_MAX, NULL },
	PARAM_END
};
static const struct param_spec replies_params[] = {
	{ "post_id", PARAM_ID,     PARAM_REQUIRED, 0, 0, NULL },
	{ "cursor",  PARAM_CURSOR, 0, 0, 0, NULL },
	PARAM_END
};
static const struct param_spec bookmark_params[] = {
	{ "post_id",    PARAM_ID,  PARAM_REQUIRED, 0, 0, NULL },
	{ "isbookmark", PARAM_INT, 0, 0, 1, NULL },
	PARAM_END
};
static const struct param_spec bookmarks_params[] = {
	{ "cursor", PARAM_STRING, 0, 0, 20, NULL },
	PARAM_END
};
static const struct param_spec people_params[] = {
	{ "post_id", PARAM_ID,     PARAM_REQUIRED, 0, 0, NULL },
	{ "cursor",  PARAM_STRING, 0, 0, 20, NULL },
	PARAM_END
};
static const struct param_spec people_page_cursor[] = {
	{ "cursor", PARAM_STRING, 0, 0, 20, NULL },
	PARAM_END
};
static const struct param_spec pin_params[] = {
	{ "post_id", PARAM_ID,  PARAM_REQUIRED, 0, 0, NULL },
	{ "ispin",   PARAM_INT, 0, 0, 1, NULL },
	PARAM_END
};

/* The pages' forms (pages.c). */
static const char *const reply_choices[] = { "everyone", "mentioned", "followers", NULL };
#define RETURN_TO { "return_to", PARAM_STRING, 0, 0, 512, NULL }
#define IDEM_KEY  { "idempotency_key", PARAM_STRING, 0, 0, 64, NULL }
static const struct param_spec page_params[] = {
	{ "cursor",   PARAM_ID,   0, 0, 0, NULL },
	{ "reported", PARAM_BOOL, 0, 0, 0, NULL },
	PARAM_END
};
static const char *const tab_choices[] = { "posts", "replies", "likes", NULL };
static const struct param_spec user_page_params[] = {
	{ "tab",      PARAM_ENUM, 0, 0, 0, tab_choices },
	{ "cursor",   PARAM_ID,   0, 0, 0, NULL },
	{ "reported", PARAM_BOOL, 0, 0, 0, NULL },
	PARAM_END
};
static const struct param_spec people_page_params[] = {
	{ "cursor", PARAM_ID, 0, 0, 0, NULL },
	PARAM_END
};
static const struct param_spec compose_form_params[] = {
	{ "content_text",   PARAM_STRING, 0, 0, TEXT_PARAM_MAX, NULL },
	{ "reply_settings", PARAM_ENUM,   0, 0, 0, reply_choices },
	WARNING,
	SENSITIVE,
	IDEM_KEY,
	ALT_PARAMS,
	PARAM_END
};
static const struct param_spec text_form_params[] = {
	{ "content_text", PARAM_STRING, 0, 0, TEXT_PARAM_MAX, NULL },
	WARNING,
	SENSITIVE,
	IDEM_KEY,
	ALT_PARAMS,
	PARAM_END
};
static const struct param_spec like_form_params[] = {
	{ "islike", PARAM_BOOL, 0, 0, 0, NULL },
	RETURN_TO,
	PARAM_END
};
static const char *const act_choices[] = { "like", "unlike", "repost", "undo_repost", "bookmark",
	"unbookmark", NULL };
static const struct param_spec act_form_params[] = {
	{ "act", PARAM_ENUM, PARAM_REQUIRED, 0, 0, act_choices },
	RETURN_TO,
	PARAM_END
};
static const struct param_spec pin_form_params[] = {
	{ "ispin", PARAM_BOOL, 0, 0, 0, NULL },
	RETURN_TO,
	PARAM_END
};
static const struct param_spec report_form_params[] = {
	{ "report_reason", PARAM_INT, PARAM_REQUIRED, 1, 255, NULL },
	RETURN_TO,
	PARAM_END
};
static const struct param_spec relation_form_params[] = {
	{ "flag", PARAM_BOOL, PARAM_REQUIRED, 0, 0, NULL },
	RETURN_TO,
	PARAM_END
};
static const struct param_spec back_form_params[] = {
	RETURN_TO,
	PARAM_END
};

#define AUTH ROUTE_AUTH
#define PAGE ROUTE_HTML
/* A form: a logged-in user, the CSRF token, and the page again with the error when refused. */
#define FORM (ROUTE_HTML | ROUTE_AUTH | ROUTE_CSRF | ROUTE_RETRY)

static const struct route routes[] = {
	/* JSON API: writes need a login; reads work for visitors too. */
	{ HTTP_POST, "/api/v1/post/create",      AUTH, api_create,      create_params,  NULL },
	{ HTTP_POST, "/api/v1/post/reply",       AUTH, api_reply,       reply_params,   NULL },
	{ HTTP_POST, "/api/v1/post/repost",      AUTH, api_repost,      repost_params,  NULL },
	{ HTTP_POST, "/api/v1/post/undo_repost", AUTH, api_undo_repost, id_params,      NULL },
	{ HTTP_POST, "/api/v1/post/like",        AUTH, api_like,        like_params,    NULL },
	{ HTTP_POST, "/api/v1/post/report",      AUTH, api_report,      report_params,  NULL },
	{ HTTP_POST, "/api/v1/post/delete",      AUTH, api_delete,      id_params,      NULL },
	{ HTTP_POST, "/api/v1/post/pin",         AUTH, api_pin,         pin_params,     NULL },
	{ HTTP_GET,  "/api/v1/post/detail",      0,    api_detail,      id_params,      NULL },
	{ HTTP_GET,  "/api/v1/post/stats",       0,    api_stats,       stats_params,   NULL },
	{ HTTP_GET,  "/api/v1/post/replies",     0,    api_replies,     replies_params, NULL },
	{ HTTP_POST, "/api/v1/post/bookmark",    AUTH, api_bookmark,    bookmark_params, NULL },
	{ HTTP_GET,  "/api/v1/post/bookmarks",   AUTH, api_bookmarks,   bookmarks_params, NULL },
	{ HTTP_GET,  "/api/v1/post/likers",      0,    api_likers,      people_params,  NULL },
	{ HTTP_GET,  "/api/v1/post/reposters",   0,    api_reposters,   people_params,  NULL },

	/* Pages. The first GET route of a template shows it again after a refused form. */
	{ HTTP_GET,  "/compose",            PAGE | AUTH, pages_compose,      NULL,        "compose" },
	{ HTTP_POST, "/compose",            FORM | ROUTE_UPLOAD, pages_compose_send,
	                                                          compose_form_params, "compose" },
	{ HTTP_GET,  "/p/:id",              PAGE,        pages_post,         page_params, "post" },
	{ HTTP_GET,  "/p/:id/likes",        PAGE,        pages_likers,  people_page_cursor,
	                                                                            "post_people" },
	{ HTTP_GET,  "/p/:id/reposts",      PAGE,        pages_reposters, people_page_cursor,
	                                                                            "post_people" },
	{ HTTP_GET,  "/bookmarks",          PAGE | AUTH, pages_bookmarks, bookmarks_params,
	                                                                              "bookmarks" },
	{ HTTP_GET,  "/u/:username",        PAGE,        pages_user,    user_page_params, "user" },
	{ HTTP_GET,  "/u/:username/feed.atom", 0,        pages_user_feed, NULL,           NULL },
	{ HTTP_GET,  "/u/:username/following", PAGE,     pages_following, people_page_params,
	                                                                              "user_list" },
	{ HTTP_GET,  "/u/:username/followers", PAGE,     pages_followers, people_page_params,
	                                                                              "user_list" },
	{ HTTP_POST, "/u/:username/follow", FORM,        pages_user_follow, relation_form_params,
	                                                                              "user" },
	{ HTTP_POST, "/u/:username/block",  FORM,        pages_user_block,  relation_form_params,
	                                                                              "user" },
	{ HTTP_POST, "/u/:username/mute",   FORM,        pages_user_mute,   relation_form_params,
	                                                                              "user" },
	{ HTTP_POST, "/u/:username/report", FORM,        pages_user_report, report_form_params,
	                                                                              "user" },
	{ HTTP_POST, "/p/:id/act",          FORM,        pages_act,          act_form_params,    "post" },
	{ HTTP_POST, "/p/:id/like",         FORM,        pages_like,         like_form_params,   "post" },
	{ HTTP_POST, "/p/:id/repost",       FORM,        pages_repost,       back_form_params,   "post" },
	{ HTTP_POST, "/p/:id/undo_repost",  FORM,        pages_undo_repost,  back_form_params,   "post" },
	{ HTTP_POST, "/p/:id/pin",          FORM,        pages_pin,          pin_form_params,    "post" },
	{ HTTP_POST, "/p/:id/delete",       FORM,        pages_delete,       back_form_params,   "post" },
	{ HTTP_POST, "/p/:id/report",       FORM,        pages_report,       report_form_params, "post" },
	{ HTTP_POST, "/p/:id/reply",        FORM | ROUTE_UPLOAD, pages_reply, text_form_params, "post" },
	{ HTTP_POST, "/p/:id/quote",        FORM | ROUTE_UPLOAD, pages_quote, text_form_params, "post" },
};

const struct app post_app = {
	"starling-post", routes, sizeof routes / sizeof routes[0],
};

/* Unit tests may link this file with -DSTARLING_NO_MAIN and drive post_app in process. */
#ifndef STARLING_NO_MAIN
int
main(int argc, char **argv)
{
	jobkinds_install();
	return app_main(&post_app, argc, argv);
}
#endif
