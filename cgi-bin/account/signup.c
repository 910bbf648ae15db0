/* signup.c: creating an account and activating it.
 *
 * POST /api/v1/account/create, POST /signup {username, email, password}
 *   201-style success as 200 with the new user's own profile (never the password, its hash or the
 *   activation code: the seed's example returns them, a leak). Sends the activation email.
 *   40004 a field breaks its rule; 40901 username taken (any letter case) or reserved;
 *   40902 email registered (any letter case); 42900 too many sign-ups from this address.
 * GET /signup: the form.
 * POST /api/v1/account/activate, POST /activate {username, activate_code}
 *   40006 for anything but a good code of an inactive account (unknown username, active account,
 *   wrong or expired code: one answer for all, each counted as a failed guess); 42900 after too
 *   many of them for the account (lowercased username) or from the client's address.
 * GET /activate?username&code&resent: the form, filled in from the emailed link (a GET never
 *   changes anything: mail scanners follow links); resent: the notice after a new code was asked.
 * POST /api/v1/account/activation/resend, POST /activate/resend {email}
 *   200 (the page: to /activate?resent=1) whatever the address: unknown, active, waiting, or
 *   over its limits, so that the answer tells nothing about an account. A waiting account gets
 *   a new code by mail (the old one stops working), queued as a job like a reset code
 *   (lib/social/mailcode.h). 40004 only for what is not an email address at all. */
#include "config.h"

#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "account.h"
#include "apierr.h"
#include "jwt.h"
#include "log.h"
#include "mailcode.h"
#include "password.h"
#include "user.h"
#include "valid.h"


enum apierr
acct_signup_page(struct ctx *ctx)
{
	ctx_set_data(ctx, page_new(ctx, "signup"));
	return APIERR_OK;
}

enum apierr
acct_create(struct ctx *ctx)
{
	const char *username = params_str(&ctx->params, "username");
	const char *email = params_str(&ctx->params, "email");
	const char *password = params_str(&ctx->params, "password");
	struct buf hash = BUF_INIT, code = BUF_INIT, link = BUF_INIT;
	struct user_new n;
	char code_hash[65];
	json_object *profile;
	struct ratelimit per_ip = { "signup-ip", (unsigned)ctx->env->conf.limit_signups_per_ip, 3600 };
	uint64_t id = 0;
	int rc;

	if ((rc = acct_check(ctx, "username", valid_username(username, strlen(username)))) ||
	    (rc = acct_check(ctx, "email", valid_email(email, strlen(email)))) ||
	    (rc = acct_check(ctx, "password", valid_password(password, strlen(password)))))
		goto out;
	if ((rc = acct_limit(ctx, &per_ip, acct_client_ip(ctx), "sign-ups from this address")) !=
	    APIERR_OK)
		goto out;
	if (password_hash(password, strlen(password), &ctx->env->conf.auth_password_cost,
	    &hash) != 0 || mailcode_new(&code) != 0 ||
	    jwt_code_hash(ctx->env->keys, code.data, code.len, code_hash) != 0) {
		rc = ctx_fail(ctx, APIERR_INTERNAL, NULL);
		goto out;
	}
	n = (struct user_new){ username, email, buf_cstr(&hash), code_hash,
	    (int64_t)time(NULL) + MAILCODE_ACTIVATE_TTL, ctx->lang };
	switch (user_create(ctx->env, &n, &id)) {
	case 1:
		break;
	case USER_NAME_TAKEN:
	case USER_RESERVED:
		rc = ctx_fail(ctx, APIERR_USERNAME_TAKEN, NULL);
		goto out;
	case USER_EMAIL_TAKEN:
		rc = ctx_fail(ctx, APIERR_EMAIL_TAKEN, NULL);
		goto out;
	default:
		rc = acct_unavailable(ctx);
		goto out;
	}
	log_info("user %llu signed up", (unsigned long long)id);
	mailcode_activate_link(ctx->env, username, buf_cstr(&code), &link);
	/* The account exists either way; a lost email is fixed by asking for a new code. */
	(void)mailcode_send(ctx->env, ctx->lang, email, "activate", buf_cstr(&code),
	    buf_cstr(&link));
	if (page_html(ctx)) {
		rc = acct_start_session(ctx, id, 0, NULL);   /* a new account: generation 0 */
		if (rc == APIERR_OK)
			ctx_redirect(ctx, "/settings?welcome=1");
		goto out;
	}
	profile = acct_own_profile(ctx, id, &rc);
	if (profile != NULL)
		ctx_set_data(ctx, profile);
out:
	OPENSSL_cleanse(hash.data, hash.len);
	OPENSSL_cleanse(code.data, code.len);
	buf_free(&hash);
	buf_free(&code);
	buf_free(&link);
	return rc;
}

enum apierr
acct_activate_page(struct ctx *ctx)
{
	json_object *page = page_new(ctx, "activate");
	const char *u = params_str(&ctx->params, "username"), *c = params_str(&ctx->params, "code");

	json_object_object_add(page, "username", json_object_new_string(u ? u : ""));
	json_object_object_add(page, "code", json_object_new_string(c ? c : ""));
	json_object_object_add(page, "resent", json_object_new_boolean(params_bool(&ctx->params,
	    "resent", false)));
	ctx_set_data(ctx, page);
	return APIERR_OK;
}

enum apierr
acct_activate(struct ctx *ctx)
{
	const char *username = params_str(&ctx->params, "username");
	struct buf stored = BUF_INIT, code = BUF_INIT, key = BUF_INIT;
	int64_t expires = 0;
	bool active = false;
	struct ratelimit per_user = { "activate-user",
	    (unsigned)ctx->env->conf.limit_failed_logins_per_user, 3600 };
	/* Besides the account's own limit: one address guessing the codes of many accounts. */
	struct ratelimit per_ip = { "activate-ip",
	    (unsigned)ctx->env->conf.limit_failed_activations_per_ip, 3600 };
	uint64_t id = 0;
	int rc;

	acct_code_normalize(params_str(&ctx->params, "activate_code"), &code);
	/* A username in any letter case is one account: the counter is the lowercased name. */
	valid_lower_ascii(username, strlen(username), &key);
	if ((rc = acct_limited(ctx, &per_ip, acct_client_ip(ctx), "wrong activation codes from "
	    "this address")) != APIERR_OK ||
	    (rc = acct_limited(ctx, &per_user, buf_cstr(&key), "wrong activation codes for this "
	    "account")) != APIERR_OK)
		goto out;
	rc = user_id_by_username(ctx->env, username, &id);
	if (rc == 1)
		rc = user_activation(ctx->env, id, &stored, &expires, &active);
	if (rc < 0) {
		rc = acct_unavailable(ctx);
		goto out;
	}
	/* Unknown user, active account, wrong code and expired code get the same answer, and all
	 * count against both limits: the answer must not tell which accounts exist or are active,
	 * and asking must cost guesses. */
	if (rc != 1 || active || expires < (int64_t)time(NULL) ||
	    !jwt_code_matches(ctx->env->keys, buf_cstr(&code), code.len, buf_cstr(&stored))) {
		acct_count_failure(ctx, &per_ip, acct_client_ip(ctx));
		acct_count_failure(ctx, &per_user, buf_cstr(&key));
		rc = ctx_fail(ctx, APIERR_BAD_CODE, "wrong or expired activation code (an account "
		    "that is active already needs none: log in)");
		goto out;
	}
	if (user_activate(ctx->env, id) < 0) {
		rc = acct_unavailable(ctx);
		goto out;
	}
	log_info("user %llu activated", (unsigned long long)id);
	rc = page_done(ctx, "/settings?activated=1", NULL);
out:
	buf_free(&stored);
	buf_free(&code);
	buf_free(&key);
	return rc;
}

/* Counts one new code against rl for key; whether it fits. Over the limit nothing is said to
 * the client (the answer must stay the same), only logged. */
static bool
resend_fits(struct ctx *ctx, const struct ratelimit *rl, const char *key)
{
	struct ratelimit_state st;

	ratelimit_hit(ctx->env->cache, rl, key, time(NULL), &st);
	if (st.over)
		log_info("%s: over its limit; no new activation code", rl->kind);
	return !st.over;
}

enum apierr
acct_resend_activation(struct ctx *ctx)
{
	const char *email = params_str(&ctx->params, "email");
	struct buf lower = BUF_INIT;
	/* As many codes as reset codes: both are mails anyone can make us send to an address. */
	unsigned n = (unsigned)ctx->env->conf.limit_reset_codes_per_email;
	struct ratelimit per_email = { "activate-resend-email", n, 3600 };
	struct ratelimit per_ip = { "activate-resend-ip", n * 10, 3600 };
	int rc;

	if ((rc = acct_check(ctx, "email", valid_email(email, strlen(email)))) != APIERR_OK)
		goto out;
	valid_lower_ascii(email, strlen(email), &lower);
	/* The IP first: an address flooding many emails uses up its own limit, not theirs. */
	if (resend_fits(ctx, &per_ip, acct_client_ip(ctx)) &&
	    resend_fits(ctx, &per_email, buf_cstr(&lower)) &&
	    mailcode_queue_activation(ctx->env, email, ctx->lang) != 0) {
		rc = acct_unavailable(ctx);
		goto out;
	}
	rc = page_done(ctx, "/activate?resent=1", NULL);
out:
	buf_free(&lower);
	return rc;
}
