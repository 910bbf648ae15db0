/* reset.c: getting back into an account with an emailed code.
 *
 * POST /api/v1/account/send_reset_code {email}: always the same answer, and the same work (a
 *   queued job), known email or not, so nobody can probe for accounts by answer or by time.
 *   starling-worker then mails a known, not suspended account a code, good for
 *   MAILCODE_RESET_TTL seconds and RESET_TRIES guesses (lib/social/mailcode.h). 42900 when too many
 *   codes were asked for that email, or from the client's address.
 * POST /api/v1/account/verify_code {email, code}: whether the code is good (it stays good).
 * POST /api/v1/account/reset_password {email, reset_code, password}: sets the password, uses the
 *   code up and ends every session of the account.
 *   40006 for an unknown email, a wrong, used or expired code (one answer for all).
 * GET /reset and POST /reset (step=send|reset): the same as pages. */
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

#define RESET_TRIES 5


enum apierr
acct_reset_page(struct ctx *ctx)
{
	json_object *page = page_new(ctx, "reset");
	const char *email = params_str(&ctx->params, "email");

	json_object_object_add(page, "email", json_object_new_string(email ? email : ""));
	json_object_object_add(page, "sent", json_object_new_boolean(params_bool(&ctx->params, "sent",
	    false)));
	ctx_set_data(ctx, page);
	return APIERR_OK;
}

/* Queues a code for email (mailcode.h): the request does the same whatever the address, known,
 * unknown or suspended; starling-worker looks it up and mails the code. */
enum apierr
acct_send_reset_code(struct ctx *ctx)
{
	const char *email = params_str(&ctx->params, "email");
	struct buf lower = BUF_INIT;
	struct ratelimit per_email, per_ip;
	int rc;

	if ((rc = acct_check(ctx, "email", valid_email(email, strlen(email)))) != APIERR_OK)
		goto out;
	valid_lower_ascii(email, strlen(email), &lower);
	per_email = (struct ratelimit){ "reset-email",
	    (unsigned)ctx->env->conf.limit_reset_codes_per_email, 3600 };
	per_ip = (struct ratelimit){ "reset-ip",
	    (unsigned)ctx->env->conf.limit_reset_codes_per_email * 10, 3600 };
	if ((rc = acct_limit(ctx, &per_ip, acct_client_ip(ctx), "reset codes sent from this "
	    "address")) != APIERR_OK ||
	    (rc = acct_limit(ctx, &per_email, buf_cstr(&lower), "reset codes sent to this email "
	    "address")) != APIERR_OK)
		goto out;
	if (mailcode_queue_reset(ctx->env, email, ctx->lang) != 0) {
		rc = acct_unavailable(ctx);
		goto out;
	}
	rc = page_done(ctx, "/reset?sent=1", NULL);
out:
	buf_free(&lower);
	return rc;
}

/* Checks email + code: APIERR_OK with *user and *reset filled, or the error to answer. A wrong
 * guess is counted on the code, which dies after RESET_TRIES. */
static int
check_code(struct ctx *ctx, const char *email, const char *code, uint64_t *user,
    struct user_reset *reset)
{
	struct buf typed = BUF_INIT;
	int rc = user_id_by_email(ctx->env, email, user);

	acct_code_normalize(code, &typed);
	if (rc == 1)
		rc = user_reset_latest(ctx->env, *user, reset);
	if (rc < 0) {
		rc = acct_unavailable(ctx);
		goto out;
	}
	if (rc == 1 && reset->used_at == 0 && reset->expires_at >= (int64_t)time(NULL) &&
	    reset->attempts < RESET_TRIES) {
		if (jwt_code_matches(ctx->env->keys, buf_cstr(&typed), typed.len, reset->code_hash)) {
			rc = APIERR_OK;
			goto out;
		}
		if (user_reset_failed(ctx->env, *user, reset->id) < 0) {
			rc = acct_unavailable(ctx);
			goto out;
		}
	}
	rc = ctx_fail(ctx, APIERR_BAD_CODE, "wrong, used or expired reset code");
out:
	buf_free(&typed);
	return rc;
}

enum apierr
acct_verify_code(struct ctx *ctx)
{
	struct user_reset reset;
	uint64_t id;
	int rc;

	rc = check_code(ctx, params_str(&ctx->params, "email"), params_str(&ctx->params, "code"), &id,
	    &reset);
	if (rc == APIERR_OK)
		ctx_set_data(ctx, NULL);
	return rc;
}

enum apierr
acct_reset_password(struct ctx *ctx)
{
	const char *password = params_str(&ctx->params, "password");
	struct buf hash = BUF_INIT;
	struct user_reset reset;
	uint64_t id;
	int rc;

	if ((rc = acct_check(ctx, "password", valid_password(password, strlen(password)))) != 0)
		goto out;
	rc = check_code(ctx, params_str(&ctx->params, "email"), params_str(&ctx->params,
	    "reset_code"), &id, &reset);
	if (rc != APIERR_OK)
		goto out;
	if (password_hash(password, strlen(password), &ctx->env->conf.auth_password_cost,
	    &hash) != 0) {
		rc = ctx_fail(ctx, APIERR_INTERNAL, NULL);
		goto out;
	}
	/* Used first, atomically: of two requests racing with one code, one wins. */
	switch (user_reset_use(ctx->env, id, reset.id)) {
	case 1:
		break;
	case 0:
		rc = ctx_fail(ctx, APIERR_BAD_CODE, "wrong, used or expired reset code");
		goto out;
	default:
		rc = acct_unavailable(ctx);
		goto out;
	}
	/* Whatever the generation is now: the code, not a hash, proved who this is. */
	if (user_set_password(ctx->env, id, buf_cstr(&hash), USER_ANY_GEN) < 0) {
		rc = acct_unavailable(ctx);
		goto out;
	}
	log_info("user %llu: password reset; every session ended", (unsigned long long)id);
	rc = page_done(ctx, "/login?reset=1", NULL);
out:
	OPENSSL_cleanse(hash.data, hash.len);
	buf_free(&hash);
	return rc;
}
