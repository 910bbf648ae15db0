/* account.h: starling-account, the binary for accounts and sessions: sign-up, activation,
 * password reset, login, logout, settings and profiles, as JSON under /api/v1/account/ and
 * /api/v1/user/, and as the pages /signup, /login, /logout, /activate, /reset, /settings (and
 * /settings/blocked, /settings/muted).
 *
 * Each handler serves both: a JSON route and an HTML route share it, and page_html() tells them
 * apart where they differ (a page sets the session cookie and redirects; the API returns the
 * token). */
#ifndef STARLING_ACCOUNT_H
#define STARLING_ACCOUNT_H

#include "apierr.h"

#include <stdbool.h>

#include "app.h"
#include "page.h"
#include "ratelimit.h"

extern const struct app account_app;

/* signup.c */
enum apierr acct_signup_page(struct ctx *ctx);
enum apierr acct_create(struct ctx *ctx);
enum apierr acct_activate_page(struct ctx *ctx);
enum apierr acct_activate(struct ctx *ctx);
enum apierr acct_resend_activation(struct ctx *ctx);
/* reset.c */
enum apierr acct_reset_page(struct ctx *ctx);
enum apierr acct_send_reset_code(struct ctx *ctx);
enum apierr acct_verify_code(struct ctx *ctx);
enum apierr acct_reset_password(struct ctx *ctx);
/* session.c */
enum apierr acct_login_page(struct ctx *ctx);
enum apierr acct_login(struct ctx *ctx);
enum apierr acct_logout_page(struct ctx *ctx);
enum apierr acct_logout(struct ctx *ctx);
/* settings.c */
enum apierr acct_settings_page(struct ctx *ctx);
enum apierr acct_change_language(struct ctx *ctx);
enum apierr acct_change_time_zone(struct ctx *ctx);
enum apierr acct_change_password(struct ctx *ctx);
enum apierr acct_save_info(struct ctx *ctx);
enum apierr acct_save_images(struct ctx *ctx);
/* profile.c */
enum apierr acct_profile(struct ctx *ctx);
/* lists.c: the profile's tabs (postlist.h) */
enum apierr acct_user_posts(struct ctx *ctx);
enum apierr acct_user_replies(struct ctx *ctx);
enum apierr acct_user_likes(struct ctx *ctx);
/* relations.c */
enum apierr acct_follow(struct ctx *ctx);
enum apierr acct_block(struct ctx *ctx);
enum apierr acct_mute(struct ctx *ctx);
enum apierr acct_report(struct ctx *ctx);
enum apierr acct_following(struct ctx *ctx);
enum apierr acct_followers(struct ctx *ctx);
enum apierr acct_blocked(struct ctx *ctx);
enum apierr acct_muted(struct ctx *ctx);
/* moderation.c: the moderators' API (lib/social/mod.h) */
enum apierr acct_mod_reports(struct ctx *ctx);
enum apierr acct_mod_action(struct ctx *ctx);
enum apierr acct_mod_audit(struct ctx *ctx);
/* hidden.c: the settings' pages of blocked and muted accounts */
enum apierr acct_blocked_page(struct ctx *ctx);
enum apierr acct_muted_page(struct ctx *ctx);

/* common.c: what several handlers share. */

/* The 503 of a database or cache failure (already logged below). */
enum apierr acct_unavailable(struct ctx *ctx);
/* Refuses parameter name with the validator's message, when there is one: returns 40004 then,
 * else APIERR_OK. */
enum apierr acct_check(struct ctx *ctx, const char *name, const char *problem);
/* A typed code as it was made: upper case, blanks and dashes dropped (people copy "abcd efgh"). */
void acct_code_normalize(const char *in, struct buf *out);
/* Counts an event against rl for key: when over the limit, answers 42900 through limit_refuse
 * (what names the limit in its message: "sign-ups from this address") and returns it (the
 * handler returns it); else sets the X-RateLimit-* headers and returns APIERR_OK. When only
 * failures count, acct_limited() says whether to refuse before the attempt, without counting,
 * and acct_count_failure() counts one that failed. */
enum apierr acct_limit(struct ctx *ctx, const struct ratelimit *rl, const char *key, const char *what);
enum apierr acct_limited(struct ctx *ctx, const struct ratelimit *rl, const char *key, const char *what);
void acct_count_failure(struct ctx *ctx, const struct ratelimit *rl, const char *key);
/* The client's address, for per-IP limits. */
const char *acct_client_ip(const struct ctx *ctx);
/* Logs user_id in with credential generation gen (user_password_hash's, read with the hash just
 * checked; 0 for a new account): a new token into data as "token" (API), or the session cookie
 * and a fresh CSRF token (pages). Returns APIERR_OK or the failure's code. */
enum apierr acct_start_session(struct ctx *ctx, uint64_t user_id, int64_t gen, json_object *data);
/* The user's own profile (user_public with self) with counters, or NULL (code in *rc). */
json_object *acct_own_profile(struct ctx *ctx, uint64_t user_id, int *rc);

#endif
