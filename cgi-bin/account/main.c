/* main.c: starling-account, accounts and sessions (see account.h).
 *
 * URL prefixes served (the web server maps them here; see docs/routes.md):
 *   /api/v1/account/   /api/v1/user/   /api/v1/mod/   /signup   /login   /logout   /activate   /reset
 *   /settings   /mod/ */
#include "config.h"

#include "account.h"
#include "jobkinds.h"
#include "mod.h"
#include "tz.h"

static const char *const languages[] = { "en", "zh", NULL };

/* Lengths here only bound the input; the rules (lib/base/valid.h) give the precise messages. */
static const struct param_spec create_params[] = {
	{ "username", PARAM_STRING, PARAM_REQUIRED, 0, 64, NULL },
	{ "email",    PARAM_STRING, PARAM_REQUIRED, 0, 320, NULL },
	{ "password", PARAM_STRING, PARAM_REQUIRED, 0, 1024, NULL },
	PARAM_END
};
static const struct param_spec activate_page_params[] = {
	{ "username", PARAM_STRING, 0, 0, 64, NULL },
	{ "code",     PARAM_STRING, 0, 0, 64, NULL },
	{ "resent",   PARAM_BOOL,   0, 0, 0, NULL },
	PARAM_END
};
static const struct param_spec activate_params[] = {
	{ "username",      PARAM_STRING, PARAM_REQUIRED, 1, 64, NULL },
	{ "activate_code", PARAM_STRING, PARAM_REQUIRED, 1, 64, NULL },
	PARAM_END
};
static const struct param_spec reset_page_params[] = {
	{ "email", PARAM_STRING, 0, 0, 320, NULL },
	{ "sent",  PARAM_BOOL,   0, 0, 0, NULL },
	PARAM_END
};
static const struct param_spec email_params[] = {
	{ "email", PARAM_STRING, PARAM_REQUIRED, 0, 320, NULL },
	PARAM_END
};
static const struct param_spec verify_params[] = {
	{ "email", PARAM_STRING, PARAM_REQUIRED, 1, 320, NULL },
	{ "code",  PARAM_STRING, PARAM_REQUIRED, 1, 64, NULL },
	PARAM_END
};
static const struct param_spec reset_params[] = {
	{ "email",      PARAM_STRING, PARAM_REQUIRED, 1, 320, NULL },
	{ "reset_code", PARAM_STRING, PARAM_REQUIRED, 1, 64, NULL },
	{ "password",   PARAM_STRING, PARAM_REQUIRED, 0, 1024, NULL },
	PARAM_END
};
static const struct param_spec login_page_params[] = {
	{ "reset",     PARAM_BOOL,   0, 0, 0, NULL },
	{ "return_to", PARAM_STRING, 0, 0, 512, NULL },
	PARAM_END
};
static const struct param_spec login_params[] = {
	{ "name",      PARAM_STRING, PARAM_REQUIRED, 1, 320, NULL },
	{ "password",  PARAM_STRING, PARAM_REQUIRED, 1, 1024, NULL },
	{ "return_to", PARAM_STRING, 0, 0, 512, NULL },
	PARAM_END
};
static const struct param_spec language_params[] = {
	{ "language", PARAM_ENUM, PARAM_REQUIRED, 0, 0, languages },
	PARAM_END
};
/* TZ_NAME_MAX: no zone name is longer, and tb_user.time_zone holds no more. */
static const struct param_spec time_zone_params[] = {
	{ "time_zone", PARAM_STRING, PARAM_REQUIRED, 0, TZ_NAME_MAX, NULL },
	PARAM_END
};
static const struct param_spec password_params[] = {
	{ "password",     PARAM_STRING, PARAM_REQUIRED, 0, 1024, NULL },
	{ "old_password", PARAM_STRING, PARAM_REQUIRED, 1, 1024, NULL },
	PARAM_END
};
static const struct param_spec info_params[] = {
	{ "display_name",         PARAM_STRING, 0, 0, 200, NULL },
	{ "banner_url",           PARAM_STRING, 0, 0, 1000, NULL },
	{ "avatar_url",           PARAM_STRING, 0, 0, 1000, NULL },
	{ "location",             PARAM_STRING, 0, 0, 200, NULL },
	{ "website",              PARAM_STRING, 0, 0, 1000, NULL },
	{ "description",          PARAM_STRING, 0, 0, 1000, NULL },
	{ "dob_year",             PARAM_INT,    0, 0, 9999, NULL },
	{ "dob_month",            PARAM_INT,    0, 0, 12, NULL },
	{ "dob_day",              PARAM_INT,    0, 0, 31, NULL },
	{ "is_visible_dob_year",  PARAM_BOOL,   0, 0, 0, NULL },
	{ "is_visible_dob_month", PARAM_BOOL,   0, 0, 0, NULL },
	{ "is_visible_dob_day",   PARAM_BOOL,   0, 0, 0, NULL },
	PARAM_END
};
static const struct param_spec settings_page_params[] = {
	{ "welcome",   PARAM_BOOL, 0, 0, 0, NULL },
	{ "saved",     PARAM_BOOL, 0, 0, 0, NULL },
	{ "activated", PARAM_BOOL, 0, 0, 0, NULL },
	PARAM_END
};
static const struct param_spec profile_params[] = {
	{ "username", PARAM_STRING, PARAM_REQUIRED, 1, 64, NULL },
	PARAM_END
};
static const struct param_spec list_params[] = {
	{ "username", PARAM_STRING, PARAM_REQUIRED, 1, 64, NULL },
	{ "cursor",   PARAM_CURSOR, 0, 0, 0, NULL },
	PARAM_END
};

static const struct param_spec relation_params[] = {
	{ "target_username", PARAM_STRING, PARAM_REQUIRED, 1, 64, NULL },
	{ "flag",            PARAM_INT,    PARAM_REQUIRED, 0, 1, NULL },
	PARAM_END
};
static const struct param_spec report_params[] = {
	{ "target_username", PARAM_STRING, PARAM_REQUIRED, 1, 64, NULL },
	{ "report_reason",   PARAM_INT,    PARAM_REQUIRED, 1, 255, NULL },
	PARAM_END
};
/* A cursor is a 64-bit ID: at most 20 digits. */
static const struct param_spec user_list_params[] = {
	{ "username", PARAM_STRING, PARAM_REQUIRED, 1, 64, NULL },
	{ "cursor",   PARAM_STRING, 0, 0, 24, NULL },
	PARAM_END
};
static const struct param_spec own_list_params[] = {
	{ "cursor", PARAM_STRING, 0, 0, 24, NULL },
	PARAM_END
};

static const char *const mod_actions[] = { "dismiss", "delete_post", "suspend", "lift", NULL };
static const char *const mod_targets[] = { "post", "user", NULL };
/* until: unix seconds, 0 for until lifted (mod.h). */
static const struct param_spec mod_action_params[] = {
	{ "action",      PARAM_ENUM,   PARAM_REQUIRED, 0, 0, mod_actions },
	{ "target_type", PARAM_ENUM,   PARAM_REQUIRED, 0, 0, mod_targets },
	{ "target_id",   PARAM_ID,     PARAM_REQUIRED, 0, 0, NULL },
	{ "until",       PARAM_INT,    0, 0, MOD_UNTIL_MAX, NULL },
	{ "reason",      PARAM_STRING, 0, 0, MOD_REASON_MAX, NULL },
	PARAM_END
};

#define PAGE  ROUTE_HTML
#define FORM  (ROUTE_HTML | ROUTE_CSRF | ROUTE_RETRY)
#define AUTH  ROUTE_AUTH
/* Logging in and out: served whatever the operators' switches say (read_only, anon_shed). */
#define IN    ROUTE_ESSENTIAL
#define OUT   (ROUTE_AUTH | ROUTE_ESSENTIAL)

static const struct route routes[] = {
	/* JSON API */
	{ HTTP_POST, "/api/v1/account/create",          0,    acct_create,          create_params,   NULL },
	{ HTTP_POST, "/api/v1/account/activate",        0,    acct_activate,        activate_params, NULL },
	{ HTTP_POST, "/api/v1/account/activation/resend", 0,  acct_resend_activation, email_params,  NULL },
	{ HTTP_POST, "/api/v1/account/send_reset_code", 0,    acct_send_reset_code, email_params,    NULL },
	{ HTTP_POST, "/api/v1/account/verify_code",     0,    acct_verify_code,     verify_params,   NULL },
	{ HTTP_POST, "/api/v1/account/reset_password",  0,    acct_reset_password,  reset_params,    NULL },
	{ HTTP_POST, "/api/v1/user/login",              IN,   acct_login,           login_params,    NULL },
	{ HTTP_POST, "/api/v1/user/logout",             OUT,  acct_logout,          NULL,            NULL },
	{ HTTP_POST, "/api/v1/user/change_language",    AUTH, acct_change_language, language_params, NULL },
	{ HTTP_POST, "/api/v1/user/change_time_zone",   AUTH, acct_change_time_zone, time_zone_params, NULL },
	{ HTTP_POST, "/api/v1/user/change_password",    AUTH, acct_change_password, password_params, NULL },
	{ HTTP_POST, "/api/v1/user/save_info",          AUTH, acct_save_info,       info_params,     NULL },
	{ HTTP_GET,  "/api/v1/user/profile",            0,    acct_profile,         profile_params,  NULL },
	{ HTTP_GET,  "/api/v1/user/posts",              0,    acct_user_posts,      list_params,     NULL },
	{ HTTP_GET,  "/api/v1/user/replies",            0,    acct_user_replies,    list_params,     NULL },
	{ HTTP_GET,  "/api/v1/user/likes",              0,    acct_user_likes,      list_params,     NULL },
	{ HTTP_POST, "/api/v1/user/follow",             AUTH, acct_follow,          relation_params, NULL },
	{ HTTP_POST, "/api/v1/user/block",              AUTH, acct_block,           relation_params, NULL },
	{ HTTP_POST, "/api/v1/user/mute",               AUTH, acct_mute,            relation_params, NULL },
	{ HTTP_POST, "/api/v1/user/report",             AUTH, acct_report,          report_params,   NULL },
	{ HTTP_GET,  "/api/v1/user/following",          0,    acct_following,       user_list_params, NULL },
	{ HTTP_GET,  "/api/v1/user/followers",          0,    acct_followers,       user_list_params, NULL },
	{ HTTP_GET,  "/api/v1/user/blocked",            AUTH, acct_blocked,         own_list_params, NULL },
	{ HTTP_GET,  "/api/v1/user/muted",              AUTH, acct_muted,           own_list_params, NULL },
	/* Moderation (moderation.c): the role is checked by each handler (lib/social/mod.h). */
	{ HTTP_GET,  "/api/v1/mod/reports",             AUTH, acct_mod_reports,     NULL,            NULL },
	{ HTTP_POST, "/api/v1/mod/action",              AUTH, acct_mod_action,      mod_action_params, NULL },
	{ HTTP_GET,  "/api/v1/mod/audit",               AUTH, acct_mod_audit,       NULL,            NULL },
	/* Pages */
	{ HTTP_GET,  "/signup",            PAGE,        acct_signup_page,     NULL,                 "signup" },
	{ HTTP_POST, "/signup",            FORM,        acct_create,          create_params,        "signup" },
	{ HTTP_GET,  "/activate",          PAGE,        acct_activate_page,   activate_page_params, "activate" },
	{ HTTP_POST, "/activate",          FORM,        acct_activate,        activate_params,      "activate" },
	{ HTTP_POST, "/activate/resend",   FORM,        acct_resend_activation, email_params,       "activate" },
	{ HTTP_GET,  "/reset",             PAGE,        acct_reset_page,      reset_page_params,    "reset" },
	{ HTTP_POST, "/reset/send",        FORM,        acct_send_reset_code, email_params,         "reset" },
	{ HTTP_POST, "/reset/password",    FORM,        acct_reset_password,  reset_params,         "reset" },
	{ HTTP_GET,  "/login",             PAGE | IN,   acct_login_page,      login_page_params,    "login" },
	{ HTTP_POST, "/login",             FORM | IN,   acct_login,           login_params,         "login" },
	{ HTTP_GET,  "/logout",            PAGE | OUT,  acct_logout_page,     NULL,                 "logout" },
	{ HTTP_POST, "/logout",            FORM | OUT,  acct_logout,          NULL,                 "logout" },
	{ HTTP_GET,  "/settings",          PAGE | AUTH, acct_settings_page,   settings_page_params, "settings" },
	{ HTTP_POST, "/settings/language", FORM | AUTH, acct_change_language, language_params,      "settings" },
	{ HTTP_POST, "/settings/time_zone", FORM | AUTH, acct_change_time_zone, time_zone_params,   "settings" },
	{ HTTP_POST, "/settings/password", FORM | AUTH, acct_change_password, password_params,      "settings" },
	{ HTTP_POST, "/settings/info",     FORM | AUTH, acct_save_info,       info_params,          "settings" },
	{ HTTP_POST, "/settings/images",   FORM | AUTH | ROUTE_UPLOAD, acct_save_images, NULL,      "settings" },
	{ HTTP_GET,  "/settings/blocked",  PAGE | AUTH, acct_blocked_page,    own_list_params,      "hidden_list" },
	{ HTTP_GET,  "/settings/muted",    PAGE | AUTH, acct_muted_page,      own_list_params,      "hidden_list" },
	{ HTTP_GET,  "/mod/reports",       PAGE | AUTH, acct_mod_reports,     NULL,                 "mod_reports" },
	{ HTTP_POST, "/mod/action",        FORM | AUTH, acct_mod_action,      mod_action_params,    "mod_reports" },
	{ HTTP_GET,  "/mod/audit",         PAGE | AUTH, acct_mod_audit,       NULL,                 "mod_audit" },
};

const struct app account_app = {
	"starling-account", routes, sizeof routes / sizeof routes[0],
};

/* The unit tests link this file with -DSTARLING_NO_MAIN and drive account_app in process. */
#ifndef STARLING_NO_MAIN
int
main(int argc, char **argv)
{
	jobkinds_install();
	return app_main(&account_app, argc, argv);
}
#endif
