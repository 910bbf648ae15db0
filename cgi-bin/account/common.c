/* common.c: helpers the account handlers share. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "account.h"
#include "apierr.h"
#include "auth.h"
#include "limit.h"
#include "log.h"
#include "user.h"

enum apierr
acct_unavailable(struct ctx *ctx)
{
	return ctx_fail(ctx, APIERR_UNAVAILABLE, NULL);
}

enum apierr
acct_check(struct ctx *ctx, const char *name, const char *problem)
{
	if (problem == NULL)
		return APIERR_OK;
	return ctx_fail(ctx, APIERR_INVALID_PARAM, "%s: %s", name, problem);
}

void
acct_code_normalize(const char *in, struct buf *out)
{
	for (; *in; in++) {
		if (*in == ' ' || *in == '-' || *in == '\t')
			continue;
		buf_putc(out, (*in >= 'a' && *in <= 'z') ? (char)(*in - 32) : *in);
	}
}

const char *
acct_client_ip(const struct ctx *ctx)
{
	const char *ip = ctx->req.remote_addr;

	return ip && *ip ? ip : "unknown";
}

enum apierr
acct_limit(struct ctx *ctx, const struct ratelimit *rl, const char *key, const char *what)
{
	struct ratelimit_state st;

	ratelimit_hit(ctx->env->cache, rl, key, time(NULL), &st);
	if (st.over)
		return limit_refuse(ctx, rl, &st, what);
	ratelimit_headers(&st, time(NULL), &ctx->resp);
	return APIERR_OK;
}

enum apierr
acct_limited(struct ctx *ctx, const struct ratelimit *rl, const char *key, const char *what)
{
	struct ratelimit_state st;

	ratelimit_peek(ctx->env->cache, rl, key, time(NULL), &st);
	if (st.over)
		return limit_refuse(ctx, rl, &st, what);
	ratelimit_headers(&st, time(NULL), &ctx->resp);
	return APIERR_OK;
}

void
acct_count_failure(struct ctx *ctx, const struct ratelimit *rl, const char *key)
{
	ratelimit_add(ctx->env->cache, rl, key, 1, time(NULL));
}

enum apierr
acct_start_session(struct ctx *ctx, uint64_t user_id, int64_t gen, json_object *data)
{
	struct buf token = BUF_INIT;

	/* A new session gets a new CSRF token too: one someone knew before (planted, or read off
	 * a shared machine) must not carry over into it. */
	if (auth_issue(ctx->env, user_id, gen, &token) != 1 ||
	    (page_html(ctx) && ctx_csrf_rotate(ctx) != 0)) {
		buf_free(&token);
		return ctx_fail(ctx, APIERR_INTERNAL, NULL);
	}
	if (page_html(ctx))
		ctx_cookie(ctx, AUTH_COOKIE, buf_cstr(&token), ctx->env->conf.auth_token_ttl);
	else if (data != NULL)
		json_object_object_add(data, "token", json_object_new_string(buf_cstr(&token)));
	/* Best effort: a missed last_login is not worth failing a login for. */
	user_note_login(ctx->env, user_id);
	buf_free(&token);
	return APIERR_OK;
}

json_object *
acct_own_profile(struct ctx *ctx, uint64_t user_id, int *rc)
{
	json_object *u = NULL, *pub;
	int r = user_get(ctx->env, user_id, &u);

	if (r != 1) {
		*rc = r < 0 ? acct_unavailable(ctx) : ctx_fail(ctx, APIERR_NOT_FOUND, "no such user");
		return NULL;
	}
	pub = user_public(u, true);
	json_object_put(u);
	if (user_add_counts(ctx->env, user_id, pub) < 0) {
		json_object_put(pub);
		*rc = acct_unavailable(ctx);
		return NULL;
	}
	*rc = APIERR_OK;
	return pub;
}
