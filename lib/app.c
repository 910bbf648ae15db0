/* app.c: process set-up, the request pipeline, and the FastCGI / CGI loop. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <mysql.h>
#include <openssl/rand.h>

#include "apierr.h"
#include "app.h"
#include "auth.h"
#include "clock.h"
#include "csrf.h"
#include "log.h"
#include "notify.h"
#include "mediajob.h"
#include "shed.h"
#include "user.h"
#include "xalloc.h"

#ifndef STARLING_DATADIR
#define STARLING_DATADIR "/usr/share/starling"
#endif

extern char **environ;

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
/* The per-request context */

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

int
ctx_fail(struct ctx *ctx, int code, const char *fmt, ...)
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

/* ------------------------------------------------------------------------------------------ */
/* Rendering */

/* Whether the answer is the JSON envelope: the route says so; without a route (a request that
 * failed before routing), anything under /api/ is. */
static bool
wants_json(const struct ctx *ctx, char *const *envp)
{
	const char *path;

	if (ctx->route != NULL)
		return !(ctx->route->flags & ROUTE_HTML);
	path = ctx->req.path && *ctx->req.path ? ctx->req.path : request_env(envp, "REQUEST_URI");
	return path == NULL || strncmp(path, "/api/", 5) == 0;
}

/* viewer.unread, the header's badge: {count: "3" or "99+"} when the user has unread
 * notifications. From the cached count (one memcached get when warm); nothing when there are
 * none or the user's shard is down: a badge is not worth failing a page for. */
static void
add_unread(struct ctx *ctx, json_object *viewer)
{
	json_object *unread;
	char n[24];
	long count = 0;

	if (notify_unread_badge(ctx->env, ctx->user_id, &count) <= 0 || count <= 0)
		return;
	/* NOTIFY_UNREAD_MAX counts "that many or more". */
	if (count >= NOTIFY_UNREAD_MAX)
		snprintf(n, sizeof n, "%d+", NOTIFY_UNREAD_MAX - 1);
	else
		snprintf(n, sizeof n, "%ld", count);
	unread = json_object_new_object();
	json_object_object_add(unread, "count", json_object_new_string(n));
	json_object_object_add(viewer, "unread", unread);
}

/* The logged-in user as pages see them: "viewer": {id, username, displayName, unread} (nothing
 * when nobody is logged in, or when the profile cannot be read: the page still renders). */
static void
add_viewer(struct ctx *ctx, json_object *root)
{
	static const char *const keys[] = { "id", "username", "displayName", "activated" };
	json_object *u = NULL, *viewer, *v;
	size_t i;

	if (ctx->user_id == 0 || user_get(ctx->env, ctx->user_id, &u) != 1)
		return;
	viewer = json_object_new_object();
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (json_object_object_get_ex(u, keys[i], &v))
			json_object_object_add(viewer, keys[i], json_object_get(v));
	add_unread(ctx, viewer);
	json_object_object_add(root, "viewer", viewer);
	json_object_put(u);
}

/* The context every page template sees: the site, the catalog of the request's language, the
 * CSRF token for forms, the current path, and the handler's data under "page". */
static json_object *
page_context(struct ctx *ctx, json_object *page)
{
	json_object *root = json_object_new_object(), *site = json_object_new_object();
	json_object *langs = json_object_new_array(), *title = NULL;
	char masked[CSRF_MASKED_LEN + 1];
	static const struct { const char *code, *label; } names[] = {
		{ "en", "English" }, { "zh", "中文" },
	};
	size_t i;

	json_object_object_add(site, "name", json_object_new_string(ctx->env->conf.site_name));
	json_object_object_add(site, "staticUrl", json_object_new_string(ctx->env->conf.static_url));
	/* For static/starling.js: how often it refreshes a page, and the compose boxes' limit. */
	json_object_object_add(site, "refreshS",
	    json_object_new_int64(ctx->env->conf.pages_refresh_s));
	json_object_object_add(site, "maxChars",
	    json_object_new_int64(ctx->env->conf.posts_max_chars));
	json_object_object_add(root, "site", site);
	json_object_object_add(root, "t", json_object_get(i18n_catalog(ctx->env->i18n, ctx->lang)));
	json_object_object_add(root, "lang", json_object_new_string(ctx->lang));
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		json_object *l = json_object_new_object();

		json_object_object_add(l, "code", json_object_new_string(names[i].code));
		json_object_object_add(l, "label", json_object_new_string(names[i].label));
		json_object_object_add(l, "selected",
		    json_object_new_boolean(strcmp(names[i].code, ctx->lang) == 0));
		json_object_array_add(langs, l);
	}
	json_object_object_add(root, "languages", langs);
	/* Masked afresh for each page, never the cookie's token itself: BREACH (csrf.h). A failed
	 * mask leaves "", which the check refuses. */
	csrf_mask(ctx->csrf_token, masked);
	json_object_object_add(root, "csrfToken", json_object_new_string(masked));
	json_object_object_add(root, "path", json_object_new_string(ctx->shown_path.len ?
	    buf_cstr(&ctx->shown_path) : ctx->req.path ? ctx->req.path : "/"));
	/* A page shown again after a refused form is not at its own URL: its forms say where they
	 * come from (partials/form_keys), as the Referer would name the form's URL. */
	json_object_object_add(root, "shownAgain", json_object_new_boolean(ctx->shown_path.len > 0));
	json_object_object_add(root, "requestId", json_object_new_string(ctx->request_id));
	add_viewer(ctx, root);
	if (switches_on(ctx->env->switches, SWITCH_READ_ONLY))
		json_object_object_add(root, "switchNotice",
		    json_object_new_string(ctx_t(ctx, "error.readOnly")));
	if (page != NULL && json_object_object_get_ex(page, "title", &title))
		json_object_object_add(root, "title", json_object_get(title));
	json_object_object_add(root, "page", json_object_get(page));
	return root;
}

/* Renders template name inside the layout into the response body. Returns 0 or -1 (logged). */
static int
render_page(struct ctx *ctx, const char *name, json_object *page, int status)
{
	json_object *root = page_context(ctx, page);
	struct buf body = BUF_INIT, err = BUF_INIT;
	int rc = -1;

	if (tmpl_render(ctx->env->tmpls, name, root, &body, &err) != 0)
		goto out;
	/* The page body is HTML we just rendered with escaping; the layout inserts it raw. */
	json_object_object_add(root, "body", json_object_new_string_len(buf_cstr(&body), (int)body.len));
	buf_reset(&ctx->resp.body);
	if (tmpl_render(ctx->env->tmpls, "layout", root, &ctx->resp.body, &err) != 0)
		goto out;
	response_html(&ctx->resp, status);
	rc = 0;
out:
	if (rc != 0)
		log_error("rendering %s: %s", name, buf_cstr(&err));
	buf_free(&body);
	buf_free(&err);
	json_object_put(root);
	return rc;
}

/* What a failed form gives back: every field as typed, except passwords and the CSRF token. */
static json_object *
form_input(const struct ctx *ctx)
{
	json_object *in = json_object_new_object();
	size_t i;

	for (i = 0; i < ctx->req.body_fields.n; i++) {
		const struct kv *f = &ctx->req.body_fields.items[i];

		if (strstr(f->name, "password") == NULL && strcmp(f->name, CSRF_FIELD) != 0)
			json_object_object_add(in, f->name, json_object_new_string_len(f->value,
			    (int)f->vlen));
	}
	return in;
}

/*
 * The message of a refusal as a page shows it, appended to out. The handlers' messages are
 * English: they name the field and the rule ("content_text: too long; at most 280 characters").
 * A page in another language shows the catalog's sentence for the code ("apierr.c40010"), and
 * the handler's detail after it when it says more than the code's default message.
 */
static void
page_message(const struct ctx *ctx, int code, const char *detail, struct buf *out)
{
	char key[32];
	const char *text;

	snprintf(key, sizeof key, "apierr.c%d", code);
	text = ctx_t(ctx, key);
	if (strcmp(ctx->lang, "en") == 0 || strcmp(text, key) == 0) {
		buf_puts(out, detail);
		return;
	}
	buf_puts(out, text);
	if (strcmp(detail, apierr_message(code)) != 0)
		buf_printf(out, "(%s)", detail);
}

/* HTML answers to a failure that are better than the error page: a page that needs login sends
 * the visitor to the login page; a form that failed comes back, built by the page's own GET
 * route, with the message (page.error) and what was typed (page.input). Returns true when it
 * answered. */
/* The path of pattern ("/p/:id") with its ":name" segments taken from captures, into out. */
static void
route_fill(const char *pattern, const struct kvlist *captures, struct buf *out)
{
	buf_reset(out);
	while (*pattern) {
		size_t n = strcspn(pattern + 1, "/") + 1;

		if (pattern[1] == ':') {
			char name[64];
			const char *v;

			snprintf(name, sizeof name, "%.*s", (int)(n - 2), pattern + 2);
			v = kvlist_get(captures, name);
			buf_putc(out, '/');
			buf_puts(out, v ? v : "");
		} else {
			buf_append(out, pattern, n);
		}
		pattern += n;
	}
	if (out->len == 0)
		buf_putc(out, '/');
}

static bool
render_html_failure(struct ctx *ctx, int code)
{
	const struct route *r = ctx->route, *get = NULL;
	int status = apierr_status(code);
	char *message;
	json_object *page;
	size_t i;
	bool done = false;

	if (r == NULL || !(r->flags & ROUTE_HTML))
		return false;
	if (code == APIERR_UNAUTHORIZED && r->method == HTTP_GET) {
		/* Back to this page after the login (the login page checks it is local). */
		struct buf to = BUF_INIT;

		buf_puts(&to, "/login");
		if (ctx->req.path != NULL && strcmp(ctx->req.path, "/") != 0) {
			buf_puts(&to, "?return_to=");
			buf_put_query_value(&to, ctx->req.path);
		}
		ctx_redirect(ctx, buf_cstr(&to));
		buf_free(&to);
		return true;
	}
	/* A 401 here is a wrong password in the form, not a missing login (handled above). */
	if (!(r->flags & ROUTE_RETRY) || status < 400 || status >= 500 || status == 404 ||
	    status == 405)
		return false;
	for (i = 0; i < ctx->app->nroutes && get == NULL; i++)
		if (ctx->app->routes[i].method == HTTP_GET && ctx->app->routes[i].tmpl != NULL &&
		    strcmp(ctx->app->routes[i].tmpl, r->tmpl) == 0)
			get = &ctx->app->routes[i];
	if (get == NULL)
		return false;
	/* The page's own forms send the browser back to where the page lives (/p/1), not to the
	 * refused form's URL (/p/1/like), which answers POST only. */
	route_fill(get->pattern, &ctx->captures, &ctx->shown_path);
	message = xstrdup(ctx->message.len ? buf_cstr(&ctx->message) : apierr_message(code));
	json_object_put(ctx->data);
	ctx->data = NULL;
	if (get->handler(ctx) == APIERR_OK) {
		struct buf shown = BUF_INIT;

		page = ctx->data ? ctx->data : json_object_new_object();
		ctx->data = NULL;
		page_message(ctx, code, message, &shown);
		json_object_object_add(page, "error", json_object_new_string(buf_cstr(&shown)));
		buf_free(&shown);
		json_object_object_add(page, "input", form_input(ctx));
		done = render_page(ctx, r->tmpl, page, status) == 0;
		json_object_put(page);
	}
	buf_reset(&ctx->message);
	buf_puts(&ctx->message, message);
	free(message);
	return done;
}

/* Answers code (non-zero) with the handler's message, or the code's default one. */
static void
render_error(struct ctx *ctx, char *const *envp, int code)
{
	const char *message = ctx->message.len ? buf_cstr(&ctx->message) : apierr_message(code);
	int status = apierr_status(code);
	struct buf shown = BUF_INIT;
	json_object *page;
	char key[32];

	/* A shed request is counted, and told once a period (shed_log): a line for each one
	 * would cost an overloaded host a write per refusal. */
	if (status >= 500 && code != APIERR_OVERLOADED)
		log_error("answering %d (code %d): %s", status, code, message);
	if (wants_json(ctx, envp)) {
		response_json(&ctx->resp, code, message, NULL);
		return;
	}
	snprintf(key, sizeof key, "error.status%d", status);
	if (strcmp(ctx_t(ctx, key), key) == 0)
		snprintf(key, sizeof key, "error.status%d", status < 500 ? 400 : 500);
	page = json_object_new_object();
	json_object_object_add(page, "title", json_object_new_string(ctx_t(ctx, key)));
	json_object_object_add(page, "status", json_object_new_int(status));
	json_object_object_add(page, "code", json_object_new_int(code));
	page_message(ctx, code, message, &shown);
	json_object_object_add(page, "message", json_object_new_string(buf_cstr(&shown)));
	buf_free(&shown);
	if (render_page(ctx, "error", page, status) != 0) {
		/* The error page itself failed: plain text, never nothing. */
		buf_reset(&ctx->resp.body);
		buf_printf(&ctx->resp.body, "%d %s\n", status, apierr_reason(status));
		ctx->resp.status = status;
		response_header(&ctx->resp, "Content-Type", "text/plain; charset=utf-8");
	}
	json_object_put(page);
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

/* The operators' switches (lib/switches.h): read_only refuses writes, anon_shed a share of the
 * visitors not logged in; routes flagged ROUTE_ESSENTIAL pass whatever they say. */
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

/* Parses CONTENT_LENGTH for reading; a malformed one reads as 0 and request_parse reports it. */
static size_t
declared_length(char *const *envp)
{
	const char *s = request_env(envp, "CONTENT_LENGTH");
	unsigned long long v;
	char *end;

	if (s == NULL || *s == '\0' || strspn(s, "0123456789") != strlen(s))
		return 0;
	errno = 0;
	v = strtoull(s, &end, 10);
	return errno ? SIZE_MAX : (size_t)v;
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
	if (route_max > max && (r->flags & ROUTE_AUTH) && declared_length(envp) > max &&
	    !token_good_or_unknown(ctx, envp))
		return max;
	return route_max;
}

/* How often a process logs what it shed: once a period while it sheds, never per request. */
#define SHED_LOG_PERIOD_MS 10000

/* What this process refused since it last said so (one process, one count), and what it saw of
 * its binary's queue. */
static struct shed_stats shed_stats;
static struct shed_queue shed_queue;
static struct shed_signal shed_signal;

/* Whether every database instance answers, as the host's breakers say: a queue that stands
 * while one does not is the failure's (its requests wait out their deadlines until the breaker
 * opens), not more work than the machine can do, and refusing every anonymous read of the site
 * for it would spread one instance's failure to all. */
static bool
shed_all_up(struct db *db)
{
	size_t i, n = db_instance_count(db);
	uint64_t retry;

	for (i = 0; i < n; i++)
		if (db_instance_state(db, i, &retry) != DB_INSTANCE_UP)
			return false;
	return true;
}

/* Tells the web server to refuse reads without a login for a while (shed.h, "The web server's
 * part"), at most once an interval: the line goes to a file of this process's own first, then
 * takes the signal's name at once, so the web server never reads half a line. */
static void
shed_tell_web_server(struct ctx *ctx)
{
	const struct conf *c = &ctx->env->conf;
	static uint64_t warned_ms;
	char line[48], tmp[4200];
	int len, fd, ok = 0;

	if (c->shed_signal_file == NULL || *c->shed_signal_file == '\0' ||
	    !shed_signal_due(&shed_signal, clock_mono_ms()) || !shed_all_up(ctx->env->db))
		return;
	len = shed_signal_line(line, sizeof line, clock_wall_ms(), c->shed_retry_after);
	snprintf(tmp, sizeof tmp, "%s.%ld", c->shed_signal_file, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		ok = len > 0 && write(fd, line, (size_t)len) == len;
		ok = close(fd) == 0 && ok && rename(tmp, c->shed_signal_file) == 0;
		if (!ok)
			unlink(tmp);
	}
	if (!ok && clock_mono_ms() >= warned_ms) {
		warned_ms = clock_mono_ms() + SHED_LOG_PERIOD_MS;
		log_warn("load shedding: cannot write [shed] signal_file %s: %s; the web server "
		    "does not refuse for the binaries", c->shed_signal_file, strerror(errno));
	}
}

/* Load shedding (shed.h): APIERR_OVERLOADED with Retry-After when the request waited longer for
 * this process than its class may, before any work is done for it. r is the route found before
 * parsing (NULL: none, an anonymous 404 to be). */
static int
shed_check(struct ctx *ctx, const struct route *r)
{
	const struct conf *c = &ctx->env->conf;
	bool get = ctx->req.method == HTTP_GET || ctx->req.method == HTTP_HEAD;
	bool credentials = request_cookie(&ctx->req, AUTH_COOKIE) != NULL ||
	    request_header(&ctx->req, "authorization") != NULL;
	enum shed_class k = shed_classify(r != NULL &&
	    (r->flags & (ROUTE_NOSHED | ROUTE_UPLOAD | ROUTE_RAW)), get, credentials);
	long wait = k == SHED_EXEMPT ? -1 :
	    shed_wait_ms(request_header(&ctx->req, "x-request-start"), clock_wall_us());
	long anon = c->shed_anonymous_wait_ms, user = c->shed_wait_ms;
	bool standing, refuse;
	char retry[24];

	if (wait < 0)
		return APIERR_OK;
	/* While a queue stands, anonymous reads give way at its target and the others at
	 * queue_wait_ms, not after their whole budgets: every request in a queue waits all of it,
	 * so the budgets would let it grow to the longest of them, refusals included. */
	standing = shed_observe(&shed_queue, wait, clock_mono_ms(), c->shed_queue_target_ms);
	if (standing) {
		anon = shed_budget_min(anon, c->shed_queue_target_ms);
		user = shed_budget_min(user, c->shed_queue_wait_ms);
	}
	refuse = shed_refuse(k, wait, anon, user);
	/* Only a queue of reads is the web server's to relieve (it refuses only reads): a pool
	 * that serves writes alone (a bulkhead, etc/lighttpd.conf.in) sheds by itself. */
	if ((standing && get) || (refuse && k == SHED_ANON))
		shed_tell_web_server(ctx);
	if (!refuse)
		return APIERR_OK;
	shed_count(&shed_stats, wait, clock_mono_ms());
	snprintf(retry, sizeof retry, "%ld", c->shed_retry_after);
	response_header(&ctx->resp, "Retry-After", retry);
	return ctx_fail(ctx, APIERR_OVERLOADED, "the site is busy: this request waited %ld ms for "
	    "a free process (at most %ld ms for %s); try again in %ld s", wait,
	    k == SHED_ANON ? anon : user,
	    k == SHED_ANON ? "a read without a login" : "this request", c->shed_retry_after);
}

/* Logs what this process shed in the last period, when it shed something. */
static void
shed_log(struct ctx *ctx)
{
	unsigned refused;
	long max_wait;

	if (shed_report_due(&shed_stats, clock_mono_ms(), SHED_LOG_PERIOD_MS, &refused, &max_wait))
		log_warn("load shedding: refused %u requests in the last %d s (waits up to %ld ms; "
		    "budgets %ld ms without a login, %ld ms otherwise: [shed])", refused,
		    SHED_LOG_PERIOD_MS / 1000, max_wait, ctx->env->conf.shed_anonymous_wait_ms,
		    ctx->env->conf.shed_wait_ms);
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
	code = shed_check(ctx, pre);
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

/* The request's access log line and its share of the host's counters (lib/metrics.h). mc and
 * db: the round trips it made to memcached and MariaDB; prep: those it spent preparing
 * statements on its process's connections (db.h). */
static void
count_request(struct ctx *ctx, int code, double ms, uint64_t mc, uint64_t db, uint64_t prep,
    uint64_t keys0, uint64_t hits0)
{
	struct metrics_request m = { ctx->resp.status, ms, mc, db, 0, 0, code == APIERR_OVERLOADED };
	size_t i;

	log_info("%s %s %d %.1fms mc=%" PRIu64 " db=%" PRIu64 " prep=%" PRIu64,
	    ctx->req.method_name ? ctx->req.method_name : "-", ctx->req.path ? ctx->req.path : "-",
	    ctx->resp.status, ms, mc, db, prep);
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
	html = !wants_json(ctx, envp);
	if (html && prepare_csrf(ctx) != 0 && code == APIERR_OK)
		code = ctx_fail(ctx, APIERR_INTERNAL, NULL);

	/* 7. Render: the envelope, a page, or an error in the route's format; a handler that wrote
	 * its own body (a text format: ctx->body_ready) is sent as it is. */
	if (code == APIERR_OK && ctx->body_ready)
		;
	else if (code != APIERR_OK) {
		if (!html || !render_html_failure(ctx, code))
			render_error(ctx, envp, code);
	} else if (!html)
		response_json(&ctx->resp, APIERR_OK, NULL, ctx->data);
	else if (ctx->resp.status < 300 || ctx->resp.status >= 400) {
		if (render_page(ctx, ctx->route->tmpl, ctx->data, ctx->resp.status) != 0)
			render_error(ctx, envp, ctx_fail(ctx, APIERR_INTERNAL, NULL));
	}

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

	shed_log(ctx);
	/* 9. Reset: nothing of this request survives into the next one. */
	cache_memo_end(ctx->env->cache);
	ctx_reset(ctx);
}

/* ------------------------------------------------------------------------------------------ */
/* The loop */

static volatile sig_atomic_t stop_requested;

static void
on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* SIGTERM (the FastCGI spec, lighttpd, spawn-fcgi) and SIGUSR1 (mod_fcgid's graceful stop, and
 * multiwatch's) ask the worker to finish. serve_fastcgi keeps them blocked except inside ppoll(),
 * while it waits with no connection: there one is taken at once, and one that comes during a
 * request waits for its end. Not inside FCGX_Accept_r: after accept() it waits up to 2 s for a
 * connection's first bytes and then reads the PARAMS, and a signal interrupting either (EINTR; no
 * SA_RESTART) makes libfcgi close the connection unanswered (tests/integration/signals.sh holds
 * a request mid-PARAMS to show it); and one landing just before its accept() went unseen until
 * the next connection. */
static void
install_signals(sigset_t *stopset)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigemptyset(stopset);
	sigaddset(stopset, SIGTERM);
	sigaddset(stopset, SIGUSR1);
}

/* Reads and discards what a CGI request's body holds, up to want bytes. A CGI server (mod_cgid)
 * writes the whole body to the program before it reads the answer: a program that exits without
 * reading it makes the server drop the connection, and the client never sees the 413. The web
 * server's own limit (LimitRequestBody) bounds this. */
static void
drain_stdin(size_t want)
{
	char chunk[8192];
	size_t n;

	while (want > 0) {
		n = fread(chunk, 1, want < sizeof chunk ? want : sizeof chunk, stdin);
		if (n == 0)
			break;
		want -= n;
	}
}

/* Reads the body from a FastCGI stream (in != NULL) or stdin. Returns the bytes read into body; a
 * declared length over max is not read (see app_handle); under CGI it is drained. */
static const char *
read_body(FCGX_Stream *in, char *const *envp, size_t max, struct buf *body, size_t *len)
{
	size_t want = declared_length(envp);
	char chunk[8192];

	if (want > max) {
		if (in == NULL)
			drain_stdin(want);
		*len = want;
		return NULL;
	}
	while (body->len < want) {
		size_t n = want - body->len < sizeof chunk ? want - body->len : sizeof chunk;
		int got = in ? FCGX_GetStr(chunk, (int)n, in) : (int)fread(chunk, 1, n, stdin);

		if (got <= 0)
			break;
		buf_append(body, chunk, (size_t)got);
	}
	*len = body->len;
	return buf_cstr(body);
}

static void
serve_cgi(struct ctx *ctx)
{
	struct buf body = BUF_INIT, out = BUF_INIT;
	const char *b;
	size_t len;

	b = read_body(NULL, environ, app_body_limit(ctx, environ), &body, &len);
	app_handle(ctx, environ, b, len, &out);
	fwrite(out.data, 1, out.len, stdout);
	fflush(stdout);
	buf_free(&out);
	buf_free(&body);
}

static int
serve_fastcgi(struct ctx *ctx)
{
	struct buf body = BUF_INIT, out = BUF_INIT;
	FCGX_Request req;
	sigset_t stopset, waitmask;
	const char *b;
	size_t len;
	int flags, status = 0;

	install_signals(&stopset);
	sigprocmask(SIG_BLOCK, &stopset, &waitmask);
	sigdelset(&waitmask, SIGTERM);
	sigdelset(&waitmask, SIGUSR1);
	FCGX_Init();
	FCGX_InitRequest(&req, 0, 0);
	/* Several processes may share the socket (lighttpd's max-procs, multiwatch, mod_fcgid): all
	 * wake for one connection, and those that lose it must come back to ppoll(), where a signal
	 * reaches them, not sleep in accept() with the signals blocked. */
	flags = fcntl(req.listen_sock, F_GETFL);
	if (flags < 0 || fcntl(req.listen_sock, F_SETFL, flags | O_NONBLOCK) < 0) {
		log_error("cannot make the FastCGI socket non-blocking: %s", strerror(errno));
		status = 1;
	}
	while (status == 0 && !stop_requested) {
		struct pollfd pfd = { req.listen_sock, POLLIN, 0 };
		int rc;

		if (ppoll(&pfd, 1, NULL, &waitmask) < 0) {
			if (errno == EINTR)
				continue;
			log_error("waiting for a connection: %s", strerror(errno));
			break;
		}
		rc = FCGX_Accept_r(&req);
		if (rc == -EAGAIN || rc == -EWOULDBLOCK)
			continue; /* another process took the connection */
		if (rc < 0)
			break;
		b = read_body(req.in, req.envp, app_body_limit(ctx, req.envp), &body, &len);
		app_handle(ctx, req.envp, b, len, &out);
		/* FCGX_PutStr, never FCGX_FPrintF: libfcgi's printf stops silently at %zu. */
		if (FCGX_PutStr(out.data, (int)out.len, req.out) < 0)
			log_warn("client went away before the response was written");
		FCGX_Finish_r(&req);
		buf_reset(&out);
		buf_reset(&body);
	}
	FCGX_Finish_r(&req);
	buf_free(&out);
	buf_free(&body);
	log_info("stopping: %s", stop_requested ? "asked to by a signal" : "accept failed");
	return status;
}

int
app_main(const struct app *app, int argc, char **argv)
{
	struct buf err = BUF_INIT;
	struct app_env *env;
	struct ctx ctx;
	sigset_t stopset, saved;
	int status;

	(void)argc;
	(void)argv;
	/* A stop signal during start-up (loading the configuration and templates) is held, and
	 * serve_fastcgi acts on it before its first connection, instead of the default action
	 * killing the process with status 143. A CGI process keeps the default. */
	sigemptyset(&stopset);
	sigaddset(&stopset, SIGTERM);
	sigaddset(&stopset, SIGUSR1);
	sigprocmask(SIG_BLOCK, &stopset, &saved);
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
	if (FCGX_IsCGI()) {
		sigprocmask(SIG_SETMASK, &saved, NULL);
		serve_cgi(&ctx);
		status = 0;
	} else {
		status = serve_fastcgi(&ctx);
	}
	ctx_free(&ctx);
	app_env_free(env);
	mysql_library_end();
	buf_free(&err);
	return status;
}
