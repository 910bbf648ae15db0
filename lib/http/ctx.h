/* ctx.h: the per-request context every handler and domain function is given, and the process's
 * resources it reaches through ctx->env.
 *
 * Low in the layers: it names the base, store and HTTP modules only (the resources it points to
 * are declared, not included), never a domain module or the pipeline (app.h), so a domain header
 * that passes a struct ctx along needs at most this file, and usually just `struct ctx;`.
 *
 * A handler builds its data once (ctx_set_data) or reports an error (return ctx_fail(...)); the
 * route's flags decide whether the data goes out as the JSON envelope or through its template
 * (app.h runs the pipeline, render.h renders). */
#ifndef STARLING_CTX_H
#define STARLING_CTX_H

#include "apierr.h"

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "buf.h"
#include "conf.h"
#include "csrf.h"
#include "kv.h"
#include "request.h"
#include "response.h"
#include "route.h"

struct cache;
struct db;
struct i18n;
struct idlease;
struct jwt_keys;
struct mail;
struct media;
struct metrics;
struct switches;
struct tmpl_set;

/* The login token a request came with (auth.h). */
struct auth_session {
	uint64_t user_id;
	char     jti[65];
	int64_t  iat, exp;
};

struct app {
	const char         *name;     /* program name in logs: "starling-site" */
	const struct route *routes;
	size_t              nroutes;
};

/* What a worker process keeps from start to exit (made by app_env_new, app.h). */
struct app_env {
	struct conf       conf;
	char             *templates_dir;
	struct tmpl_set  *tmpls;
	struct i18n      *i18n;
	struct db        *db;
	struct cache     *cache;
	struct idlease   *ids;      /* new IDs; the worker number is leased on first use */
	struct jwt_keys  *keys;     /* signs login tokens and hashes emailed codes */
	struct mail      *mail;
	struct media     *media;    /* upload URLs and the check of a post's media (media.h) */
	struct switches  *switches; /* the operators' degradation switches (switches.h) */
	struct metrics   *metrics;  /* the host's request counters (metrics.h) */
	bool              https_warned; /* the [site] https warning was logged (once per process) */
};

/* Everything one request owns. ctx_reset() clears all of it, so nothing survives into the next
 * request: no user, no parameters, no data, no headers. */
struct ctx {
	const struct app    *app;
	struct app_env      *env;
	struct request       req;
	struct response      resp;
	const struct route  *route;
	struct kvlist        captures;    /* ":name" segments of the path */
	struct params        params;      /* the route's declared parameters, checked */
	uint64_t             user_id;     /* 0: not logged in */
	struct auth_session  session;     /* the token user_id came with */
	bool                 auth_cookie; /* ... from the session cookie (not a Bearer header) */
	const char          *lang;        /* "en" or "zh" (static) */
	char                 request_id[33];
	char                 csrf_token[CSRF_TOKEN_LEN + 1];
	bool                 csrf_cookie_ok; /* the browser already holds csrf_token */
	bool                 body_ready;  /* the handler wrote resp's body and Content-Type itself
	                                   * (a text format such as /metrics): sent as it is */
	json_object         *data;        /* what the handler built; owned */
	struct buf           message;     /* the handler's error message */
	struct buf           scratch;     /* free for handlers; emptied between requests */
	struct buf           shown_path;  /* where a page shown again after a refused form lives
	                                   * (its GET route's path); empty: the request's path */
};

void ctx_init(struct ctx *ctx, const struct app *app, struct app_env *env);
void ctx_reset(struct ctx *ctx);
void ctx_free(struct ctx *ctx);

/* For handlers. */

/* Records an error: code from apierr.h, and a message for the client (printf-style; NULL fmt
 * means the code's default message). Returns code, so a handler says: return ctx_fail(...). */
enum apierr ctx_fail(struct ctx *ctx, enum apierr code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Hands the handler's result to the pipeline, which owns it from then on. */
/* The answer of a list asked for past its last page (its cursor ROUTE_CURSOR_END, route.h):
 * {<list>: [], cursor: ROUTE_CURSOR_END}. Every paged list answers it the same way. */
void ctx_set_last_page(struct ctx *ctx, const char *list);
void ctx_set_data(struct ctx *ctx, json_object *data);
/* A redirect (303 See Other) to a local path; for form posts. */
void ctx_redirect(struct ctx *ctx, const char *path);
/* The handler wrote ctx->resp.body itself, in a text format of content_type (a feed, /metrics):
 * the pipeline sends it as it is, with the headers every response carries. */
void ctx_body_ready(struct ctx *ctx, const char *content_type);
/* The text of a catalog key in the request's language (borrowed). */
const char *ctx_t(const struct ctx *ctx, const char *key);
/* A captured path segment, or NULL. */
const char *ctx_capture(const struct ctx *ctx, const char *name);
/* A new ID on shard (id.h). Returns 0, or -1 when no worker number could be leased (the
 * database is down): the handler answers 503. */
int ctx_new_id(struct ctx *ctx, unsigned shard, uint64_t *id);
/* Gives the browser a fresh CSRF token with this answer (an HTML route's: at login, csrf.h), in
 * place of the one it holds. Returns 0, or -1 (no randomness; logged: the handler answers 500). */
int ctx_csrf_rotate(struct ctx *ctx);
/* Sets a cookie with Starling's flags (HttpOnly, SameSite=Lax, Secure under HTTPS). */
void ctx_cookie(struct ctx *ctx, const char *name, const char *value, long max_age);

#endif
