/* app.c: process set-up, the request pipeline's stages in order, and app_main, which runs them
 * in the loop (loop.c); the context is ctx.c's, the rendering render.c's, shedding shedgate.c's. */
#include "config.h"

#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <mysql.h>
#include <openssl/rand.h>

#include "apierr.h"
#include "app.h"
#include "auth.h"
#include "ctx.h"
#include "log.h"
#include "loop.h"
#include "mediajob.h"
#include "render.h"
#include "shedgate.h"
#include "xalloc.h"

#ifndef STARLING_DATADIR
#define STARLING_DATADIR "/usr/share/starling"
#endif

/* ------------------------------------------------------------------------------------------ */
/* Process-lifetime resources */

struct app_env *
app_env_new(const struct app *app, const char *conf_path, struct buf *err)
{
	struct app_env *env = xcalloc(1, sizeof *env);
	struct buf dir = BUF_INIT;
	size_t i;

	conf_defaults(&env->conf);
	if (conf_load(&env->conf, conf_path, err) != 0)
		goto fail;
	log_set_level(env->conf.log_level);
	if (env->conf.templates_dir[0])
		env->templates_dir = xstrdup(env->conf.templates_dir);
	else
		env->templates_dir = xstrdup(STARLING_DATADIR "/templates");
	env->tmpls = tmpl_set_load(env->templates_dir, err);
	if (env->tmpls == NULL)
		goto fail;
	/* Every page is wrapped in the layout and every HTML error uses the error page: check them,
	 * and each HTML route's own template, now rather than on the first request that needs it. */
	if (!tmpl_set_has(env->tmpls, "layout") || !tmpl_set_has(env->tmpls, "error")) {
		buf_printf(err, "%s: templates \"layout\" and \"error\" are required", env->templates_dir);
		goto fail;
	}
	for (i = 0; i < app->nroutes; i++) {
		const struct route *r = &app->routes[i];

		if ((r->flags & ROUTE_HTML) && (r->tmpl == NULL || !tmpl_set_has(env->tmpls, r->tmpl))) {
			buf_printf(err, "%s: route %s needs template \"%s\", which is missing",
			    env->templates_dir, r->pattern, r->tmpl ? r->tmpl : "(none)");
			goto fail;
		}
	}
	buf_printf(&dir, "%s/i18n", env->templates_dir);
	env->i18n = i18n_load(buf_cstr(&dir), err);
	if (env->i18n == NULL)
		goto fail;
	env->db = db_new(&env->conf, err);
	if (env->db == NULL)
		goto fail;
	env->cache = cache_new(&env->conf, err);
	if (env->cache == NULL)
		goto fail;
	env->ids = idlease_new(env->db, NULL);
	env->switches = switches_new(env->db, &env->conf);
	env->metrics = metrics_open(&env->conf, app->name);
	env->keys = jwt_keys_load(env->conf.auth_token_key_file,
	    env->conf.auth_previous_token_key_file, err);
	if (env->keys == NULL)
		goto fail;
	env->mail = mail_new(&env->conf, err);
	if (env->mail == NULL)
		goto fail;
	env->media = media_new(&env->conf, env->keys, err);
	if (env->media == NULL)
		goto fail;
	mediajob_install(env);
	buf_free(&dir);
	return env;
fail:
	buf_free(&dir);
	app_env_free(env);
	return NULL;
}

void
app_env_free(struct app_env *env)
{
	if (env == NULL)
		return;
	media_free(env->media);   /* borrows the keys: freed first */
	mail_free(env->mail);
	jwt_keys_free(env->keys);
	idlease_free(env->ids);   /* gives the worker number back: needs the database */
	cache_free(env->cache);
	switches_free(env->switches);
	metrics_free(env->metrics);
	db_free(env->db);
	i18n_free(env->i18n);
	tmpl_set_free(env->tmpls);
	free(env->templates_dir);
	conf_free(&env->conf);
	free(env);
}

/* ------------------------------------------------------------------------------------------ */
/* The pipeline */

/* A request id: the client's X-Request-Id when it is short and plain (a proxy may have set it, and
 * one id across the whole path helps operators), else a fresh random one. */
static void
set_request_id(struct ctx *ctx, char *const *envp)
{
	const char *given = request_env(envp, "HTTP_X_REQUEST_ID");
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[8];
	size_t i;

	if (given != NULL && *given && strlen(given) < sizeof ctx->request_id &&
	    strspn(given, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") ==
	    strlen(given)) {
		snprintf(ctx->request_id, sizeof ctx->request_id, "%s", given);
	} else {
		if (RAND_bytes(raw, sizeof raw) != 1)
			memset(raw, 0, sizeof raw); /* an id only correlates log lines; zeros still work */
		for (i = 0; i < sizeof raw; i++) {
			ctx->request_id[2 * i] = hex[raw[i] >> 4];
			ctx->request_id[2 * i + 1] = hex[raw[i] & 0xf];
		}
		ctx->request_id[2 * sizeof raw] = '\0';
	}
	log_set_request_id(ctx->request_id);
}

/* Makes sure the browser holds a CSRF token, for the forms of the page it is about to get. A
 * token the handler rotated (ctx_csrf_rotate) is kept: it goes out as the new cookie. */
static int
prepare_csrf(struct ctx *ctx)
{
	const char *cookie = request_cookie(&ctx->req, csrf_cookie_name(ctx->env->conf.https));

	if (ctx->csrf_token[0] != '\0')
		return 0;
	if (csrf_token_wellformed(cookie)) {
		snprintf(ctx->csrf_token, sizeof ctx->csrf_token, "%s", cookie);
		ctx->csrf_cookie_ok = true;
		return 0;
	}
	if (csrf_new_token(ctx->csrf_token) != 0) {
		log_error("no randomness for a CSRF token");
		return -1;
	}
	return 0;
}

/* The CSRF token of a request: the form field, or the X-CSRF-Token header (scripts). */
static const char *
csrf_sent(const struct ctx *ctx)
{
	const char *t = kvlist_get(&ctx->req.body_fields, CSRF_FIELD);

	return t ? t : request_header(&ctx->req, "x-csrf-token");
}

/* The login token a request sends: the Bearer token of its Authorization header (authorization),
 * else its session cookie (cookie). NULL for none, and *other set for an Authorization header of
 * another scheme. */
static const char *
token_sent(const char *authorization, const char *cookie, bool *other)
{
	const char *tok;

	*other = false;
	if (authorization != NULL) {
		if (strncasecmp(authorization, "Bearer ", 7) != 0) {
			*other = true;
			return NULL;
		}
		for (tok = authorization + 7; *tok == ' '; tok++)
			;
		return tok;
	}
	return cookie != NULL && *cookie != '\0' ? cookie : NULL;
}

/* Finds who is calling. A route that needs login answers 401 for a bad token and 503 when the
 * check cannot be made; any other route carries on for an anonymous visitor. */
static int
authenticate(struct ctx *ctx)
{
	const char *h = request_header(&ctx->req, "authorization"), *tok, *why = "";
	bool needed = (ctx->route->flags & ROUTE_AUTH) != 0, cookie = h == NULL, other;
	int rc;

	if (ctx->route->flags & ROUTE_SIGNED)
		return APIERR_OK;
	tok = token_sent(h, request_cookie(&ctx->req, AUTH_COOKIE), &other);
	if (other)
		return needed ? ctx_fail(ctx, APIERR_UNAUTHORIZED,
		    "send the token as Authorization: Bearer <token>") : APIERR_OK;
	if (tok == NULL)
		return APIERR_OK;
	rc = auth_check(ctx->env, tok, strlen(tok), (int64_t)time(NULL), &ctx->session, &why);
	if (rc < 0)
		return needed ? APIERR_UNAVAILABLE : APIERR_OK;
	if (rc == 0) {
		log_info("token refused: %s", why);
		if (cookie)
			ctx_cookie(ctx, AUTH_COOKIE, "", 0);   /* stop sending a dead token */
		return needed ? ctx_fail(ctx, APIERR_UNAUTHORIZED,
		    "the token is invalid, expired or revoked; log in again") : APIERR_OK;
	}
	ctx->user_id = ctx->session.user_id;
	ctx->auth_cookie = cookie;
	return APIERR_OK;
}

/* The operators' switches (lib/store/switches.h): read_only refuses writes, anon_shed a share of
 * the visitors not logged in; routes flagged ROUTE_ESSENTIAL pass whatever they say. */
static int
check_switches(struct ctx *ctx)
{
	struct switches_request rq = {
		.write = ctx->req.method != HTTP_GET && ctx->req.method != HTTP_HEAD,
		.logged_in = ctx->user_id != 0,
		.essential = (ctx->route->flags & ROUTE_ESSENTIAL) != 0,
		.client = ctx->req.remote_addr,
		.path = ctx->req.path,
	};

	switch (switches_gate(ctx->env->switches, &rq)) {
	case SWITCHES_READ_ONLY:
		return ctx_fail(ctx, APIERR_READ_ONLY, "%s is read-only for a while: the operators "
		    "paused every change to keep the site up; reading still works, and logging in. "
		    "Try again later", ctx->env->conf.site_name);
	case SWITCHES_SHED:
		return ctx_fail(ctx, APIERR_SHED, NULL);
	case SWITCHES_PASS:
		break;
	}
	return APIERR_OK;
}

/* What multipart framing and form fields around a video may add to it. */
#define UPLOAD_OVERHEAD (64 * 1024)

/* The route a request will reach, found from the environment alone, before the body is read: its
 * flags decide how large a body may be and how it is parsed. NULL when none matches (the
 * pipeline then answers 404 or 405 after parsing, under the ordinary limit). */
static const struct route *
preroute(const struct ctx *ctx, char *const *envp)
{
	const struct route *r = NULL;
	struct kvlist caps = KVLIST_INIT;
	struct buf path = BUF_INIT, allow = BUF_INIT;

	if (request_env_path(envp, &path) &&
	    route_match(ctx->app->routes, ctx->app->nroutes,
	    request_method_parse(request_env(envp, "REQUEST_METHOD")), buf_cstr(&path), &r, &caps,
	    &allow) != APIERR_OK)
		r = NULL;
	kvlist_free(&caps);
	buf_free(&path);
	buf_free(&allow);
	return r;
}

/* The largest body route r may receive: uploads take a video and its form around it; every
 * other route keeps [http] max_body_bytes, so a large body costs nothing where none is due. */
static size_t
body_limit(const struct ctx *ctx, const struct route *r)
{
	const struct conf *c = &ctx->env->conf;
	size_t max = (size_t)c->max_body_bytes, upload;

	if (r == NULL || !(r->flags & (ROUTE_RAW | ROUTE_UPLOAD)))
		return max;
	upload = (size_t)c->media_max_video_bytes + UPLOAD_OVERHEAD;
	return upload > max ? upload : max;
}


/* Whether the request in envp (not parsed yet) sends a login token that auth_check takes, or one
 * that cannot be checked now (the database is down: the pipeline then answers 503 as for any
 * request, after parsing, and checks the token again). */
static bool
token_good_or_unknown(struct ctx *ctx, char *const *envp)
{
	struct kvlist cookies = KVLIST_INIT;
	struct auth_session s;
	const char *tok, *why = "";
	bool other;
	int rc = 0;

	request_parse_cookies(request_env(envp, "HTTP_COOKIE"), &cookies);
	tok = token_sent(request_env(envp, "HTTP_AUTHORIZATION"), kvlist_get(&cookies, AUTH_COOKIE),
	    &other);
	if (tok != NULL)
		rc = auth_check(ctx->env, tok, strlen(tok), (int64_t)time(NULL), &s, &why);
	kvlist_free(&cookies);
	return rc != 0;
}

size_t
app_body_limit(struct ctx *ctx, char *const *envp)
{
	const struct route *r = preroute(ctx, envp);
	size_t route_max = body_limit(ctx, r), max = (size_t)ctx->env->conf.max_body_bytes;

	/* A route that needs login takes a large body (an upload) only from a caller whose token
	 * is good, checked before a byte of the body is read: an anonymous 50 MB body must not
	 * hold a process while it arrives, only to be refused. Bodies up to the ordinary limit are
	 * read, and refused with 401 by the pipeline as for any route. */
	if (route_max > max && (r->flags & ROUTE_AUTH) && loop_declared_length(envp) > max &&
	    !token_good_or_unknown(ctx, envp))
		return max;
	return route_max;
}

/* Runs the stages up to and including the handler; returns APIERR_OK or the code to answer. */
static int
run_stages(struct ctx *ctx, char *const *envp, const char *body, size_t body_len)
{
	const struct conf *c = &ctx->env->conf;
	const struct route *pre = preroute(ctx, envp);
	struct request_limits lim = {
		body_limit(ctx, pre), (size_t)c->max_uri_bytes, (size_t)c->max_fields,
		(size_t)c->max_header_bytes, (int)c->max_json_depth,
		pre == NULL ? REQUEST_BODY_FIELDS : (pre->flags & ROUTE_RAW) ? REQUEST_BODY_RAW :
		(pre->flags & ROUTE_UPLOAD) ? REQUEST_BODY_UPLOAD : REQUEST_BODY_FIELDS,
	};
	struct buf allow = BUF_INIT;
	int code;

	/* 0. A body the route would take but that was left unread: app_body_limit found no good
	 * token (401, with nothing parsed: cookies and body are not needed to say so). */
	if (body == NULL && body_len > 0 && body_len <= lim.max_body)
		return ctx_fail(ctx, APIERR_UNAUTHORIZED, "log in first: a body this large is read "
		    "only from a logged-in user");
	/* 1. Parse: sizes, encodings, body syntax (400/413/414/415/431). */
	code = request_parse(&ctx->req, envp, body, body_len, &lim, &ctx->message);
	ctx->lang = i18n_negotiate(request_cookie(&ctx->req, "lang"),
	    request_header(&ctx->req, "accept-language"), c->default_language);
	if (code != APIERR_OK)
		return code;
	/* Load shedding (503): a request that waited too long is refused before any work. */
	code = shedgate_check(ctx, pre);
	if (code != APIERR_OK)
		return code;
	/* 2. Route (404/405). */
	code = route_match(ctx->app->routes, ctx->app->nroutes, ctx->req.method, ctx->req.path,
	    &ctx->route, &ctx->captures, &allow);
	if (code == APIERR_METHOD_NOT_ALLOWED)
		response_header(&ctx->resp, "Allow", buf_cstr(&allow));
	buf_free(&allow);
	if (code != APIERR_OK)
		return code;
	/* The body was read and parsed for the route found before: the same inputs give the same
	 * route, and anything else would be a bug to stop at, not a body to trust. */
	if (ctx->route != pre)
		return ctx_fail(ctx, APIERR_INTERNAL, "routing before and after parsing disagree");
	/* 3. Typed, whitelisted parameters (400). */
	code = route_params(ctx->route, &ctx->req, &ctx->params, &ctx->message);
	if (code != APIERR_OK)
		return code;
	/* 4. Login (401): a Bearer token (API clients) or the session cookie (browsers). */
	code = authenticate(ctx);
	if (code != APIERR_OK)
		return code;
	if ((ctx->route->flags & ROUTE_AUTH) && ctx->user_id == 0)
		return APIERR_UNAUTHORIZED;
	/* 4b. The operators' switches (503): read-only, visitors shed. */
	code = check_switches(ctx);
	if (code != APIERR_OK)
		return code;
	/* 5. CSRF (403), compared in constant time: for form posts, and for any other change made
	 * on the strength of the session cookie (a browser sends the cookie to a cross-site form
	 * too; a Bearer header it never sends by itself). */
	if (((ctx->route->flags & ROUTE_CSRF) || (ctx->auth_cookie && ctx->req.method != HTTP_GET &&
	    ctx->req.method != HTTP_HEAD)) && !csrf_check(request_cookie(&ctx->req,
	    csrf_cookie_name(ctx->env->conf.https)), csrf_sent(ctx)))
		return APIERR_CSRF;
	/* 6. The handler. */
	return ctx->route->handler(ctx);
}

static double
elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* A site reached over TLS with [site] https = false sends its session cookie without Secure and
 * no HSTS. The web server says HTTPS=on, but behind a TLS proxy it cannot, so the setting (not the
 * variable) decides; the variable only catches the forgotten setting, once per process. */
static void
warn_https_unset(struct ctx *ctx)
{
	if (!ctx->req.https || ctx->env->conf.https || ctx->env->https_warned)
		return;
	ctx->env->https_warned = true;
	log_warn("the web server says this request came over HTTPS, but [site] https = false: "
	    "cookies are sent without Secure and no Strict-Transport-Security; set [site] https = true "
	    "(docs/deploy.md, section 13)");
}

/*
 * The access log line, logfmt as every line (log.h; the field list is in docs/operations.md,
 * "Logs"): msg=request, then method, route, path, status, dur_ms, user, bytes, mc, db, prep.
 * route is the pattern of the route table that answered ("/p/:id"; "-" when none did: a 404, a
 * 405, a request refused before routing), so that a tool groups requests by what served them
 * without the ids of the raw path. user is the logged-in user's id ("-" for a visitor), bytes
 * the body's length (headers not counted; 0 for HEAD). The path is the decoded path without the
 * query, which may carry a code or a token.
 */
static void
log_access(const struct ctx *ctx, double ms, uint64_t mc, uint64_t db, uint64_t prep)
{
	char status[16], dur[32], user[24], bytes[24], n[3][24];
	const struct log_field f[] = {
		{ "method", ctx->req.method_name ? ctx->req.method_name : "-" },
		{ "route",  ctx->route ? ctx->route->pattern : "-" },
		{ "path",   ctx->req.path ? ctx->req.path : "-" },
		{ "status", status }, { "dur_ms", dur }, { "user", user }, { "bytes", bytes },
		{ "mc", n[0] }, { "db", n[1] }, { "prep", n[2] },
	};

	snprintf(status, sizeof status, "%d", ctx->resp.status);
	snprintf(dur, sizeof dur, "%.1f", ms);
	if (ctx->user_id != 0)
		snprintf(user, sizeof user, "%" PRIu64, ctx->user_id);
	else
		snprintf(user, sizeof user, "-");
	snprintf(bytes, sizeof bytes, "%zu", ctx->req.method == HTTP_HEAD ? 0 : ctx->resp.body.len);
	snprintf(n[0], sizeof n[0], "%" PRIu64, mc);
	snprintf(n[1], sizeof n[1], "%" PRIu64, db);
	snprintf(n[2], sizeof n[2], "%" PRIu64, prep);
	log_fields(LOG_LEVEL_INFO, "request", f, sizeof f / sizeof f[0]);
}

/* The request's access log line and its share of the host's counters (lib/base/metrics.h). mc and
 * db: the round trips it made to memcached and MariaDB; prep: those it spent preparing
 * statements on its process's connections (db.h). */
static void
count_request(struct ctx *ctx, int code, double ms, uint64_t mc, uint64_t db, uint64_t prep,
    uint64_t keys0, uint64_t hits0)
{
	struct metrics_request m = { ctx->resp.status, ms, mc, db, 0, 0, code == APIERR_OVERLOADED };
	size_t i;

	log_access(ctx, ms, mc, db, prep);
	cache_key_counts(ctx->env->cache, &m.keys, &m.hits);
	m.keys -= keys0;
	m.hits -= hits0;
	metrics_request(ctx->env->metrics, &m);
	for (i = 0; i < db_instance_count(ctx->env->db); i++) {
		uint64_t errors, timeouts;

		db_instance_failures(ctx->env->db, i, &errors, &timeouts);
		metrics_instance(ctx->env->metrics, i, errors, timeouts);
	}
}

void
app_handle(struct ctx *ctx, char *const *envp, const char *body, size_t body_len, struct buf *out)
{
	struct timespec t0;
	uint64_t mc0 = cache_round_trips(ctx->env->cache), db0 = db_round_trips(ctx->env->db);
	uint64_t prep0 = db_setup_trips(ctx->env->db), keys0, hits0;
	bool html;
	int code;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	cache_key_counts(ctx->env->cache, &keys0, &hits0);
	cache_memo_begin(ctx->env->cache);
	set_request_id(ctx, envp);
	code = run_stages(ctx, envp, body, body_len);
	warn_https_unset(ctx);
	html = !render_wants_json(ctx, envp);
	if (html && prepare_csrf(ctx) != 0 && code == APIERR_OK)
		code = ctx_fail(ctx, APIERR_INTERNAL, NULL);

	/* 7. Render: the envelope, a page, or an error in the route's format; a handler that wrote
	 * its own body (a text format: ctx->body_ready) is sent as it is (render.h). */
	render_response(ctx, envp, code, html);

	/* 8. Headers every response carries, then the bytes. A 503 says when to come back. */
	if (ctx->resp.status == 503 && kvlist_get(&ctx->resp.headers, "Retry-After") == NULL) {
		char secs[24];

		snprintf(secs, sizeof secs, "%ld", switches_retry_after(ctx->env->switches));
		response_header(&ctx->resp, "Retry-After", secs);
	}
	if (html && !ctx->csrf_cookie_ok)
		ctx_cookie(ctx, csrf_cookie_name(ctx->env->conf.https), ctx->csrf_token, -1);
	response_security_headers(&ctx->resp, html, ctx->env->conf.https);
	response_header(&ctx->resp, "X-Request-Id", ctx->request_id);
	if (html)
		response_header(&ctx->resp, "Content-Language", ctx->lang);
	response_serialize(&ctx->resp, ctx->req.method == HTTP_HEAD, out);
	count_request(ctx, code, elapsed_ms(&t0), cache_round_trips(ctx->env->cache) - mc0,
	    db_round_trips(ctx->env->db) - db0, db_setup_trips(ctx->env->db) - prep0, keys0, hits0);

	shedgate_log(ctx);
	/* 9. Reset: nothing of this request survives into the next one. */
	cache_memo_end(ctx->env->cache);
	ctx_reset(ctx);
}

/* ------------------------------------------------------------------------------------------ */
/* The process */

int
app_main(const struct app *app, int argc, char **argv)
{
	static const struct loop_pipeline pipeline = { app_body_limit, app_handle };
	struct buf err = BUF_INIT;
	struct app_env *env;
	struct ctx ctx;
	sigset_t saved;
	int status;

	(void)argc;
	(void)argv;
	/* A stop signal during start-up waits for the loop (loop.h); CGI gets the mask back. */
	loop_hold_signals(&saved);
	log_init(app->name, LOG_LEVEL_INFO);
	if (mysql_library_init(0, NULL, NULL) != 0) {
		log_error("cannot initialise the MySQL client library");
		return 1;
	}
	env = app_env_new(app, conf_path(), &err);
	if (env == NULL) {
		log_error("cannot start: %s", buf_cstr(&err));
		buf_free(&err);
		mysql_library_end();
		return 1;
	}
	ctx_init(&ctx, app, env);
	status = loop_serve(&ctx, &pipeline, &saved);
	ctx_free(&ctx);
	app_env_free(env);
	mysql_library_end();
	buf_free(&err);
	return status;
}
