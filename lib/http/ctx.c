/* ctx.c: the per-request context: its life (init, reset between requests, free) and the helpers
 * handlers call on it. */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "ctx.h"
#include "i18n.h"
#include "idlease.h"
#include "log.h"

void
ctx_init(struct ctx *ctx, const struct app *app, struct app_env *env)
{
	memset(ctx, 0, sizeof *ctx);
	ctx->app = app;
	ctx->env = env;
	request_init(&ctx->req);
	response_init(&ctx->resp);
	ctx->lang = i18n_languages[0];
}

void
ctx_reset(struct ctx *ctx)
{
	request_reset(&ctx->req);
	response_reset(&ctx->resp);
	kvlist_reset(&ctx->captures);
	ctx->route = NULL;
	ctx->params.n = 0;
	ctx->user_id = 0;
	memset(&ctx->session, 0, sizeof ctx->session);
	ctx->auth_cookie = false;
	ctx->lang = i18n_languages[0];
	ctx->request_id[0] = '\0';
	ctx->csrf_token[0] = '\0';
	ctx->csrf_cookie_ok = false;
	ctx->body_ready = false;
	json_object_put(ctx->data);
	ctx->data = NULL;
	buf_reset(&ctx->message);
	buf_reset(&ctx->scratch);
	buf_reset(&ctx->shown_path);
	log_set_request_id(NULL);
}

void
ctx_free(struct ctx *ctx)
{
	if (ctx == NULL)
		return;
	ctx_reset(ctx);
	request_free(&ctx->req);
	response_free(&ctx->resp);
	kvlist_free(&ctx->captures);
	buf_free(&ctx->message);
	buf_free(&ctx->shown_path);
	buf_free(&ctx->scratch);
}

enum apierr
ctx_fail(struct ctx *ctx, enum apierr code, const char *fmt, ...)
{
	va_list ap;

	buf_reset(&ctx->message);
	if (fmt != NULL) {
		va_start(ap, fmt);
		buf_vprintf(&ctx->message, fmt, ap);
		va_end(ap);
	}
	return code;
}

void
ctx_set_last_page(struct ctx *ctx, const char *list)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, list, json_object_new_array());
	json_object_object_add(o, "cursor", json_object_new_string(ROUTE_CURSOR_END));
	ctx_set_data(ctx, o);
}

void
ctx_set_data(struct ctx *ctx, json_object *data)
{
	json_object_put(ctx->data);
	ctx->data = data;
}

void
ctx_body_ready(struct ctx *ctx, const char *content_type)
{
	response_header(&ctx->resp, "Content-Type", content_type);
	ctx->body_ready = true;
}

void
ctx_redirect(struct ctx *ctx, const char *path)
{
	response_redirect(&ctx->resp, 303, path);
}

const char *
ctx_t(const struct ctx *ctx, const char *key)
{
	return i18n_get(ctx->env->i18n, ctx->lang, key);
}

const char *
ctx_capture(const struct ctx *ctx, const char *name)
{
	return kvlist_get(&ctx->captures, name);
}

int
ctx_new_id(struct ctx *ctx, unsigned shard, uint64_t *id)
{
	return idlease_next_id(ctx->env->ids, shard, id);
}

int
ctx_csrf_rotate(struct ctx *ctx)
{
	if (csrf_new_token(ctx->csrf_token) != 0) {
		ctx->csrf_token[0] = '\0';
		log_error("no randomness for a CSRF token");
		return -1;
	}
	ctx->csrf_cookie_ok = false;
	ctx->body_ready = false;
	return 0;
}

void
ctx_cookie(struct ctx *ctx, const char *name, const char *value, long max_age)
{
	struct cookie_opts o = { max_age, false, ctx->env->conf.https, NULL };

	if (response_cookie(&ctx->resp, name, value, &o) != 0)
		log_error("cookie %s not set: value is not cookie-safe", name);
}
