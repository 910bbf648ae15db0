/* app.h: a Starling binary: its process-lifetime resources, the per-request context, and the
 * request pipeline every route goes through.
 *
 * A binary's main() is one line: return app_main(&my_app, argc, argv). app_main loads the
 * configuration, templates and catalogs (any error stops start-up, never a request), then answers
 * requests under FastCGI, or one request under plain CGI, through app_handle():
 *
 *   parse (400/413/414/415/431) → route (404/405) → parameters (400) → login (401)
 *   → the operators' switches (503: read_only, anon_shed; switches.h) → CSRF for forms (403)
 *   → handler → JSON envelope or HTML page → security headers (Retry-After on a 503) → reset
 *
 * A handler builds its data once (ctx_set_data) or reports an error (return ctx_fail(...)); the
 * route's flags decide whether the data goes out as the JSON envelope or through its template. */
#ifndef STARLING_APP_H
#define STARLING_APP_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "buf.h"
#include "cache.h"
#include "conf.h"
#include "csrf.h"
#include "db.h"
#include "i18n.h"
#include "idlease.h"
#include "jwt.h"
#include "mail.h"
#include "media.h"
#include "metrics.h"
#include "kv.h"
#include "request.h"
#include "response.h"
#include "route.h"
#include "switches.h"
#include "tmpl.h"

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

/* What a worker process keeps from start to exit. */
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

/* Runs a binary: returns its exit status (0 after a clean shutdown on SIGTERM or SIGUSR1). */
int app_main(const struct app *app, int argc, char **argv);

/* Loads the configuration at conf_path, the templates and catalogs, and prepares (without
 * connecting) the database and cache clients. Checks that every HTML route of app has its
 * template. Returns NULL with a message in err on any problem. */
struct app_env *app_env_new(const struct app *app, const char *conf_path, struct buf *err);
void app_env_free(struct app_env *env);

void ctx_init(struct ctx *ctx, const struct app *app, struct app_env *env);
void ctx_reset(struct ctx *ctx);
void ctx_free(struct ctx *ctx);

/* The most body bytes the request in envp (not parsed yet) may send, for its reader: a declared
 * length over it is not read at all. The route's limit ([http] max_body_bytes, larger for
 * uploads), except that a route that needs login takes more than max_body_bytes only from a
 * caller whose token is good (checked here, before the body arrives). */
size_t app_body_limit(struct ctx *ctx, char *const *envp);

/*
 * Runs one request through the pipeline and appends the complete CGI response to out; the context
 * is reset afterwards. envp is the CGI environment (NULL-terminated "NAME=value"). body_len bytes
 * of body were read; when the declared length was over app_body_limit the body was not read at
 * all: then body is NULL and body_len the declared length, and the answer is 413, or 401 when
 * the route would have taken that much from a logged-in caller.
 */
void app_handle(struct ctx *ctx, char *const *envp, const char *body, size_t body_len,
    struct buf *out);

/* For handlers. */

/* Records an error: code from apierr.h, and a message for the client (printf-style; NULL fmt
 * means the code's default message). Returns code, so a handler says: return ctx_fail(...). */
int ctx_fail(struct ctx *ctx, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Hands the handler's result to the pipeline, which owns it from then on. */
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
