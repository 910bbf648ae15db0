/* session.c: logging in and out.
 *
 * POST /api/v1/user/login, POST /login {name (username or email), password} -> {token}
 *   (the page sets the session cookie instead and redirects to the home timeline, what a
 *   user logs in for; settings is one link away in the header). 40100 for an unknown name or a
 *   wrong password (one answer for both, in about the same time); 40303 suspended;
 *   42900 after too many failures for the account or from the address.
 * POST /api/v1/user/logout, POST /logout: the token stops working on the server (the seed only
 *   forgets it in the client, which leaves every stolen copy valid).
 * GET /login, GET /logout: the forms. */
#include "config.h"

#include <time.h>

#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "clock.h"
#include "apierr.h"
#include "auth.h"
#include "log.h"
#include "password.h"
#include "timeline.h"
#include "user.h"
#include "valid.h"


/* A hash to check against when the name is unknown, so that answering "no" costs the same time
 * as a wrong password (no probing for accounts by timing). Made once per process. */
static char *dummy_hash;

static const char *
dummy(struct ctx *ctx)
{
	struct buf b = BUF_INIT;

	if (dummy_hash == NULL && password_hash("dummy password 1", 16,
	    &ctx->env->conf.auth_password_cost, &b) == 0)
		dummy_hash = buf_detach(&b);
	buf_free(&b);
	return dummy_hash ? dummy_hash : "";
}

enum apierr
acct_login_page(struct ctx *ctx)
{
	json_object *page = page_new(ctx, "login");

	const char *back = params_str(&ctx->params, "return_to");

	json_object_object_add(page, "reset", json_object_new_boolean(params_bool(&ctx->params,
	    "reset", false)));
	if (page_local_path(back))
		json_object_object_add(page, "returnTo", json_object_new_string(back));
	ctx_set_data(ctx, page);
	return APIERR_OK;
}

/* The login of a suspended account: 40303 saying why and until when (the user's own reason,
 * never who reported them). */
static int
refuse_suspended(struct ctx *ctx, json_object *u)
{
	json_object *v;
	int64_t until = json_object_object_get_ex(u, "suspendedUntil", &v) ?
	    json_object_get_int64(v) : 0;
	const char *reason = json_object_object_get_ex(u, "suspensionReason", &v) ?
	    json_object_get_string(v) : "";
	char end[32] = "a moderator lifts it";
	struct tm tm;
	time_t t = (time_t)until;

	if (until != 0 && gmtime_r(&t, &tm) != NULL)
		strftime(end, sizeof end, "%Y-%m-%d %H:%M UTC", &tm);
	return ctx_fail(ctx, APIERR_SUSPENDED, "this account is suspended until %s: %s", end,
	    *reason ? reason : "no reason given");
}

enum apierr
acct_login(struct ctx *ctx)
{
	const char *name = params_str(&ctx->params, "name");
	const char *password = params_str(&ctx->params, "password"), *back;
	struct buf key = BUF_INIT, hash = BUF_INIT;
	json_object *u = NULL, *data = NULL;
	bool rehash = false;
	uint64_t id = 0;
	int64_t gen = 0;
	int rc, ok;

	struct ratelimit per_user = { "login-user",
	    (unsigned)ctx->env->conf.limit_failed_logins_per_user, 900 };
	struct ratelimit per_ip = { "login-ip", (unsigned)ctx->env->conf.limit_failed_logins_per_ip,
	    900 };

	if ((rc = acct_limited(ctx, &per_ip, acct_client_ip(ctx), "failed logins from this "
	    "address")) != APIERR_OK)
		goto out;
	rc = strchr(name, '@') ? user_id_by_email(ctx->env, name, &id) :
	    user_id_by_username(ctx->env, name, &id);
	if (rc < 0) {
		rc = acct_unavailable(ctx);
		goto out;
	}
	/* Failures count against the account, however it was named (its username in any letter
	 * case, or its email): a name of no account counts under itself, lowercased. */
	if (rc == 1)
		buf_printf(&key, "id:%llu", (unsigned long long)id);
	else
		valid_lower_ascii(name, strlen(name), &key);
	if ((rc = acct_limited(ctx, &per_user, buf_cstr(&key), "failed logins for this "
	    "account")) != APIERR_OK)
		goto out;
	/* The generation comes with the hash: the token signed below carries it, so that a
	 * password change committing while this login spends its hashing time ends it too. */
	rc = id != 0 ? user_password_hash(ctx->env, id, &hash, &gen) : 0;
	if (rc < 0) {
		rc = acct_unavailable(ctx);
		goto out;
	}
	ok = password_verify(password, strlen(password), rc == 1 ? buf_cstr(&hash) : dummy(ctx),
	    &ctx->env->conf.auth_password_cost, &rehash);
	if (rc == 1 && ok < 0)
		log_error("user %llu: the stored password hash is malformed; the account cannot log "
		    "in until its password is reset", (unsigned long long)id);
	if (rc != 1 || ok != 1) {
		acct_count_failure(ctx, &per_ip, acct_client_ip(ctx));
		acct_count_failure(ctx, &per_user, buf_cstr(&key));
		rc = ctx_fail(ctx, APIERR_UNAUTHORIZED, "wrong username, email or password");
		goto out;
	}
	rc = user_get(ctx->env, id, &u);
	if (rc != 1) {
		rc = acct_unavailable(ctx);
		goto out;
	}
	if (user_suspended(u, clock_now_s())) {
		rc = refuse_suspended(ctx, u);
		goto out;
	}
	/* The hash is an earlier release's PBKDF2, or of another cost than the configured one:
	 * replace it now that the password is known (best effort; not over a password changed
	 * meanwhile). */
	if (rehash) {
		struct buf fresh = BUF_INIT;

		if (password_hash(password, strlen(password), &ctx->env->conf.auth_password_cost,
		    &fresh) == 0 && user_rehash_password(ctx->env, id, buf_cstr(&fresh), gen) == 1)
			log_info("user %llu: password hash upgraded", (unsigned long long)id);
		buf_free(&fresh);
	}
	data = json_object_new_object();
	rc = acct_start_session(ctx, id, gen, data);
	if (rc != APIERR_OK)
		goto out;
	log_info("user %llu logged in", (unsigned long long)id);
	/* The home page is next: its timeline is built meanwhile, by starling-worker. */
	timeline_queue_build(ctx, id);
	/* The page it came from (a local path only: page_local_path), else the home timeline. */
	back = params_str(&ctx->params, "return_to");
	rc = page_done(ctx, page_local_path(back) ? back : "/", data);
	data = NULL;
out:
	json_object_put(data);
	json_object_put(u);
	buf_free(&key);
	buf_free(&hash);
	return rc;
}

enum apierr
acct_logout_page(struct ctx *ctx)
{
	ctx_set_data(ctx, page_new(ctx, "logout"));
	return APIERR_OK;
}

enum apierr
acct_logout(struct ctx *ctx)
{
	if (auth_revoke(ctx->env, &ctx->session) < 0)
		return acct_unavailable(ctx);
	log_info("user %llu logged out", (unsigned long long)ctx->user_id);
	if (page_html(ctx))
		ctx_cookie(ctx, AUTH_COOKIE, "", 0);
	return page_done(ctx, "/login", NULL);
}
