/* render.c: the answer's body: the JSON envelope, or the route's template inside the layout,
 * and errors in the same format (a refused form shown again, the login page, the error page). */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apierr.h"
#include "csrf.h"
#include "ctx.h"
#include "i18n.h"
#include "log.h"
#include "notify.h"
#include "render.h"
#include "switches.h"
#include "tmpl.h"
#include "user.h"
#include "xalloc.h"

bool
render_wants_json(const struct ctx *ctx, char *const *envp)
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

/* HTML answers to a failure that are better than the error page: a page that needs login sends
 * the visitor to the login page; a form that failed comes back, built by the page's own GET
 * route, with the message (page.error) and what was typed (page.input). Returns true when it
 * answered. */
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

	/* A shed request is counted, and told once a period (shedgate_log): a line for each one
	 * would cost an overloaded host a write per refusal. */
	if (status >= 500 && code != APIERR_OVERLOADED)
		log_error("answering %d (code %d): %s", status, code, message);
	if (render_wants_json(ctx, envp)) {
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

void
render_response(struct ctx *ctx, char *const *envp, int code, bool html)
{
	/* A handler that wrote its own body (a text format: ctx->body_ready) is sent as it is. */
	if (code == APIERR_OK && ctx->body_ready)
		return;
	if (code != APIERR_OK) {
		if (!html || !render_html_failure(ctx, code))
			render_error(ctx, envp, code);
	} else if (!html)
		response_json(&ctx->resp, APIERR_OK, NULL, ctx->data);
	else if (ctx->resp.status < 300 || ctx->resp.status >= 400) {
		if (render_page(ctx, ctx->route->tmpl, ctx->data, ctx->resp.status) != 0)
			render_error(ctx, envp, ctx_fail(ctx, APIERR_INTERNAL, NULL));
	}
}
