/* test_app.c: the whole request pipeline in process, with starling-site's real routes and the real
 * templates: statuses, formats, CSRF, language, escaping, golden pages, and per-request reset. */
#include "config.h"

#include "test.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apierr.h"
#include "app.h"
#include "log.h"
#include "site.h"

/* A route that needs a login, beside starling-site's real ones, for the 401 stage. */
static const struct route private_routes[] = {
	{ HTTP_GET, "/api/v1/private", ROUTE_AUTH, site_health, NULL, NULL },
};
static const struct app private_app = { "test-private", private_routes, 1 };

#define TOKEN "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

struct fixture {
	char           dir[64];
	char           conf_path[96];
	struct app_env *env;
	struct ctx      ctx;
};

/* A parsed response. */
struct resp {
	int        status;
	struct buf headers;  /* "Name: value\r\n" lines */
	struct buf body;
};

/* A private directory per fixture: the configuration, a token key (mode 600) and a mail spool. */
static void
make_dir(struct fixture *f)
{
	char path[sizeof f->dir + 32];
	FILE *fp;

	snprintf(f->dir, sizeof f->dir, "/tmp/starling-test-app-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(path, sizeof path, "%s/token.key", f->dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("test-key-0123456789abcdef0123456789abcdef\n", fp);
	fclose(fp);
	assert_int_equal(chmod(path, 0600), 0);
	snprintf(path, sizeof path, "%s/mail", f->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(f->conf_path, sizeof f->conf_path, "%s/starling.conf", f->dir);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	struct buf err = BUF_INIT;
	FILE *fp;

	make_dir(f);
	fp = fopen(f->conf_path, "w");
	assert_non_null(fp);
	/* Port 1 refuses at once: the database and cache are "down" without any wait. */
	fprintf(fp, "[site]\ntemplates_dir = %s/templates\n[log]\nlevel = error\n"
	    "[http]\nmax_body_bytes = 4096\n"
	    "[mysql]\ninstances = 127.0.0.1:1\nconnect_timeout = 1\n"
	    "[memcached]\nservers = 127.0.0.1:1\ntimeout_ms = 100\n"
	    "[auth]\ntoken_key_file = %s/token.key\n"
	    "[mail]\ntransport = spool\nspool_dir = %s/mail\n", test_srcdir(), f->dir, f->dir);
	fclose(fp);
	f->env = app_env_new(&site_app, f->conf_path, &err);
	if (f->env == NULL)
		fail_msg("app_env_new: %s", buf_cstr(&err));
	ctx_init(&f->ctx, &site_app, f->env);
	buf_free(&err);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[sizeof f->dir + 16];

	ctx_free(&f->ctx);
	app_env_free(f->env);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* Runs one request; extra is a NULL-terminated list of further "NAME=value" variables. */
static void
run(struct fixture *f, const char *method, const char *uri, const char *const *extra,
    const char *body, struct resp *r)
{
	char *envp[32];
	char mbuf[64], ubuf[512], lbuf[64], qbuf[512];
	size_t n = 0, blen = body ? strlen(body) : 0;
	struct buf out = BUF_INIT;
	const char *p, *end;

	snprintf(mbuf, sizeof mbuf, "REQUEST_METHOD=%s", method);
	snprintf(ubuf, sizeof ubuf, "REQUEST_URI=%s", uri);
	envp[n++] = mbuf;
	envp[n++] = ubuf;
	/* Web servers pass the query both inside REQUEST_URI and on its own. */
	snprintf(qbuf, sizeof qbuf, "QUERY_STRING=%s", strchr(uri, '?') ? strchr(uri, '?') + 1 : "");
	envp[n++] = qbuf;
	if (body) {
		snprintf(lbuf, sizeof lbuf, "CONTENT_LENGTH=%zu", blen);
		envp[n++] = lbuf;
	}
	while (extra && *extra && n < 30)
		envp[n++] = (char *)(uintptr_t)*extra++;
	envp[n] = NULL;
	app_handle(&f->ctx, envp, body, blen, &out);

	memset(r, 0, sizeof *r);
	p = buf_cstr(&out);
	assert_int_equal(strncmp(p, "Status: ", 8), 0);
	r->status = (int)strtol(p + 8, NULL, 10);
	end = strstr(p, "\r\n\r\n");
	assert_non_null(end);
	buf_append(&r->headers, p, (size_t)(end - p) + 2);
	buf_append(&r->body, end + 4, out.len - (size_t)(end + 4 - p));
	buf_free(&out);
}

static void
resp_free(struct resp *r)
{
	buf_free(&r->headers);
	buf_free(&r->body);
}

static bool
has_header(const struct resp *r, const char *line)
{
	return strstr(buf_cstr(&r->headers), line) != NULL;
}

static bool
body_has(const struct resp *r, const char *s)
{
	return strstr(buf_cstr(&r->body), s) != NULL;
}

static json_object *
body_json(const struct resp *r)
{
	json_object *o = json_tokener_parse(buf_cstr(&r->body));

	assert_non_null(o);
	return o;
}

static int
json_code(const struct resp *r)
{
	json_object *o = body_json(r), *c;
	int code;

	assert_true(json_object_object_get_ex(o, "code", &c));
	code = json_object_get_int(c);
	json_object_put(o);
	return code;
}

#define FIELD "name=\"csrf_token\" value=\""

/* The body with each form's csrf_token written as "MASKED", once checked to be a masked form of
 * token (each page masks it afresh: csrf.h), so golden pages stay the same from run to run. */
static void
masks_checked(const struct resp *r, const char *token, struct buf *out)
{
	const char *p = buf_cstr(&r->body), *f;
	char v[CSRF_MASKED_LEN + 1];

	for (; (f = strstr(p, FIELD)) != NULL; p = f + strlen(FIELD) + CSRF_MASKED_LEN) {
		assert_true(strlen(f + strlen(FIELD)) > CSRF_MASKED_LEN);
		memcpy(v, f + strlen(FIELD), CSRF_MASKED_LEN);
		v[CSRF_MASKED_LEN] = '\0';
		if (!csrf_check(token, v) || strcmp(v, token) == 0)
			fail_msg("csrf_token %.*s is no masked form of the cookie's", CSRF_MASKED_LEN + 8,
			    f + strlen(FIELD));
		buf_append(out, p, (size_t)(f - p));
		buf_puts(out, FIELD "MASKED");
	}
	buf_puts(out, p);
}

/* Whether the page's first csrf_token field is a masked form of token. */
static bool
field_masks(const struct resp *r, const char *token)
{
	const char *f = strstr(buf_cstr(&r->body), FIELD);
	char v[CSRF_MASKED_LEN + 1];

	if (f == NULL || strlen(f + strlen(FIELD)) <= CSRF_MASKED_LEN)
		return false;
	memcpy(v, f + strlen(FIELD), CSRF_MASKED_LEN);
	v[CSRF_MASKED_LEN] = '\0';
	return csrf_check(token, v);
}

/* Compares the body (its csrf_token fields checked and made constant: masks_checked) with
 * tests/golden/pages/<name>; STARLING_UPDATE_GOLDEN=1 rewrites it. */
static void
golden(const struct resp *r, const char *name)
{
	struct buf path = BUF_INIT, want = BUF_INIT, got = BUF_INIT;
	char chunk[4096];
	size_t n;
	FILE *fp;

	masks_checked(r, TOKEN, &got);
	buf_printf(&path, "%s/tests/golden/pages/%s", test_srcdir(), name);
	if (getenv("STARLING_UPDATE_GOLDEN")) {
		fp = fopen(buf_cstr(&path), "w");
		assert_non_null(fp);
		fwrite(got.data, 1, got.len, fp);
		fclose(fp);
	}
	fp = fopen(buf_cstr(&path), "r");
	if (fp == NULL)
		fail_msg("missing golden file %s", buf_cstr(&path));
	while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
		buf_append(&want, chunk, n);
	fclose(fp);
	if (want.len != got.len || memcmp(want.data, got.data, want.len) != 0)
		fail_msg("%s differs from the rendered page:\n%s", buf_cstr(&path), buf_cstr(&got));
	buf_free(&path);
	buf_free(&want);
	buf_free(&got);
}

static const char *const fixed[] = {
	"HTTP_COOKIE=starling_csrf=" TOKEN, "HTTP_X_REQUEST_ID=golden", NULL,
};
static const char *const fixed_zh[] = {
	"HTTP_COOKIE=starling_csrf=" TOKEN "; lang=zh", "HTTP_X_REQUEST_ID=golden", NULL,
};

static void
test_help_page_golden_en(void **state)
{
	struct resp r;

	run(*state, "GET", "/help", fixed, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_true(has_header(&r, "Content-Type: text/html; charset=utf-8"));
	assert_true(has_header(&r, "Content-Language: en"));
	assert_false(has_header(&r, "Set-Cookie: starling_csrf"));  /* the browser has one */
	golden(&r, "help.en.html");
	resp_free(&r);
}

static void
test_help_page_golden_zh(void **state)
{
	struct resp r;

	run(*state, "GET", "/help", fixed_zh, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_true(has_header(&r, "Content-Language: zh"));
	assert_true(body_has(&r, "<html lang=\"zh\">"));
	golden(&r, "help.zh.html");
	resp_free(&r);
}

/* GET /robots.txt: the text, for any visitor, with the API and the own pages disallowed. */
static void
test_robots_txt(void **state)
{
	struct resp r;

	run(*state, "GET", "/robots.txt", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_true(has_header(&r, "Content-Type: text/plain; charset=utf-8"));
	assert_true(body_has(&r, "User-agent: *\n"));
	assert_true(body_has(&r, "Disallow: /api/\n"));
	assert_true(body_has(&r, "Disallow: /settings\n"));
	assert_true(body_has(&r, "Disallow: /mod/\n"));
	assert_true(body_has(&r, "Allow: /\n"));
	assert_false(body_has(&r, "Disallow: /p/"));
	resp_free(&r);
	run(*state, "POST", "/robots.txt", NULL, NULL, &r);
	assert_int_equal(r.status, 405);
	resp_free(&r);
}

static void
test_accept_language_picks_chinese(void **state)
{
	static const char *const al[] = { "HTTP_ACCEPT_LANGUAGE=fr;q=1, zh-CN;q=0.8, en;q=0.5", NULL };
	struct resp r;

	run(*state, "GET", "/help", al, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_true(has_header(&r, "Content-Language: zh"));
	resp_free(&r);
}

static void
test_first_visit_gets_csrf_cookie_and_form_token(void **state)
{
	struct resp r;
	const char *set, *field;
	char token[CSRF_TOKEN_LEN + 1];
	struct buf masked = BUF_INIT;

	run(*state, "GET", "/help", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	set = strstr(buf_cstr(&r.headers), "Set-Cookie: starling_csrf=");
	assert_non_null(set);
	memcpy(token, set + strlen("Set-Cookie: starling_csrf="), CSRF_TOKEN_LEN);
	token[CSRF_TOKEN_LEN] = '\0';
	assert_true(csrf_token_wellformed(token));
	assert_non_null(strstr(set, "HttpOnly"));
	assert_non_null(strstr(set, "SameSite=Lax"));
	field = strstr(buf_cstr(&r.body), FIELD);
	assert_non_null(field);
	/* The forms hold a masked form of the cookie's token, never the token (BREACH). */
	assert_null(strstr(buf_cstr(&r.body), token));
	masks_checked(&r, token, &masked);
	assert_non_null(strstr(buf_cstr(&masked), FIELD "MASKED\""));
	buf_free(&masked);
	resp_free(&r);
}

/* Two answers of the same page with the same cookie: their forms' tokens differ (a fresh mask
 * each), and each is accepted for the cookie. */
static void
test_csrf_field_masked_per_answer(void **state)
{
	struct resp a, b;
	const char *fa, *fb;

	run(*state, "GET", "/help", fixed, NULL, &a);
	run(*state, "GET", "/help", fixed, NULL, &b);
	fa = strstr(buf_cstr(&a.body), FIELD);
	fb = strstr(buf_cstr(&b.body), FIELD);
	assert_non_null(fa);
	assert_non_null(fb);
	assert_memory_not_equal(fa, fb, strlen(FIELD) + CSRF_MASKED_LEN);
	assert_null(strstr(buf_cstr(&a.body), TOKEN));
	golden(&a, "help.en.html");
	golden(&b, "help.en.html");
	resp_free(&a);
	resp_free(&b);
}

static const char *const form[] = {
	"CONTENT_TYPE=application/x-www-form-urlencoded", "HTTP_COOKIE=starling_csrf=" TOKEN, NULL,
};

static void
test_language_form_sets_cookie_and_redirects(void **state)
{
	struct resp r;

	run(*state, "POST", "/language", form,
	    "language=zh&return_to=%2Fhelp%23top&csrf_token=" TOKEN, &r);
	assert_int_equal(r.status, 303);
	assert_true(has_header(&r, "Location: /help#top\r\n"));
	assert_true(has_header(&r, "Set-Cookie: lang=zh; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax"));
	assert_int_equal(r.body.len, 0);
	resp_free(&r);
}

/* A form posts back the masked token its page carried: accepted for the cookie's token; a mask
 * of another token is refused like any wrong token. */
static void
test_form_with_masked_token(void **state)
{
	char masked[CSRF_MASKED_LEN + 1], other[CSRF_TOKEN_LEN + 1];
	struct buf body = BUF_INIT;
	struct resp r;

	assert_int_equal(csrf_mask(TOKEN, masked), 0);
	buf_printf(&body, "language=zh&csrf_token=%s", masked);
	run(*state, "POST", "/language", form, buf_cstr(&body), &r);
	assert_int_equal(r.status, 303);
	assert_true(has_header(&r, "Set-Cookie: lang=zh"));
	resp_free(&r);
	assert_int_equal(csrf_new_token(other), 0);
	assert_int_equal(csrf_mask(other, masked), 0);
	buf_reset(&body);
	buf_printf(&body, "language=zh&csrf_token=%s", masked);
	run(*state, "POST", "/language", form, buf_cstr(&body), &r);
	assert_int_equal(r.status, 403);
	assert_false(has_header(&r, "Set-Cookie: lang="));
	resp_free(&r);
	buf_free(&body);
}

static void
test_language_form_refuses_open_redirect(void **state)
{
	struct resp r;

	run(*state, "POST", "/language", form,
	    "language=en&return_to=%2F%2Fevil.example&csrf_token=" TOKEN, &r);
	assert_int_equal(r.status, 303);
	assert_true(has_header(&r, "Location: /help\r\n"));
	resp_free(&r);
}

static void
test_language_form_without_token_is_403(void **state)
{
	static const char *const nocookie[] = {
		"CONTENT_TYPE=application/x-www-form-urlencoded", NULL,
	};
	struct resp r;

	run(*state, "POST", "/language", form, "language=zh", &r);
	assert_int_equal(r.status, 403);
	assert_false(has_header(&r, "Set-Cookie: lang="));
	assert_true(body_has(&r, "CSRF"));
	resp_free(&r);
	run(*state, "POST", "/language", form,
	    "language=zh&csrf_token=" "1123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", &r);
	assert_int_equal(r.status, 403);
	resp_free(&r);
	/* A token in the form but no cookie: an attacker's page can do exactly this. */
	run(*state, "POST", "/language", nocookie, "language=zh&csrf_token=" TOKEN, &r);
	assert_int_equal(r.status, 403);
	assert_false(has_header(&r, "Set-Cookie: lang="));
	resp_free(&r);
}

/* A page in Chinese says why in Chinese: the catalog's sentence for the code, then the detail. */
static void
test_refusal_in_the_page_language(void **state)
{
	static const char *const zh_form[] = {
		"CONTENT_TYPE=application/x-www-form-urlencoded",
		"HTTP_COOKIE=starling_csrf=" TOKEN "; lang=zh", NULL,
	};
	struct resp r;

	run(*state, "POST", "/language", zh_form, "language=fr&csrf_token=" TOKEN, &r);
	assert_int_equal(r.status, 400);
	assert_true(body_has(&r, "参数的值无效"));
	assert_true(body_has(&r, "language"));
	resp_free(&r);
	/* The same refusal in English keeps the handler's own words. */
	run(*state, "POST", "/language", form, "language=fr&csrf_token=" TOKEN, &r);
	assert_int_equal(r.status, 400);
	assert_false(body_has(&r, "参数的值无效"));
	assert_true(body_has(&r, "language"));
	resp_free(&r);
}

static void
test_language_form_bad_language_is_400(void **state)
{
	struct resp r;

	run(*state, "POST", "/language", form, "language=fr&csrf_token=" TOKEN, &r);
	assert_int_equal(r.status, 400);
	assert_true(body_has(&r, "parameter &quot;language&quot; must be one of: en zh"));
	resp_free(&r);
}

static void
test_health_down_is_503_envelope(void **state)
{
	struct resp r;
	json_object *o, *data, *msg;

	run(*state, "GET", "/api/v1/health", NULL, NULL, &r);
	assert_int_equal(r.status, 503);
	assert_true(has_header(&r, "Content-Type: application/json; charset=utf-8"));
	o = body_json(&r);
	assert_true(json_object_object_get_ex(o, "code", &data));
	assert_int_equal(json_object_get_int(data), APIERR_UNAVAILABLE);
	assert_true(json_object_object_get_ex(o, "data", &data));
	assert_null(data);
	assert_true(json_object_object_get_ex(o, "message", &msg));
	/* Which instance, by its number in [mysql] instances (the only one here), not address. */
	assert_non_null(strstr(json_object_get_string(msg), "database: instance 0 of 1 down"));
	assert_non_null(strstr(json_object_get_string(msg), "cache down"));
	/* Addresses of internal servers are for the log, not for clients. */
	assert_null(strstr(json_object_get_string(msg), "127.0.0.1"));
	json_object_put(o);
	resp_free(&r);
}

static void
test_not_found_json_and_html(void **state)
{
	struct resp r;

	run(*state, "GET", "/api/v1/healthx", NULL, NULL, &r);
	assert_int_equal(r.status, 404);
	assert_int_equal(json_code(&r), APIERR_NOT_FOUND);
	resp_free(&r);
	run(*state, "GET", "/helpx", NULL, NULL, &r);
	assert_int_equal(r.status, 404);
	assert_true(has_header(&r, "Content-Type: text/html"));
	assert_true(body_has(&r, "Page not found"));
	resp_free(&r);
}

static void
test_method_not_allowed_has_allow(void **state)
{
	static const char *const json[] = { "CONTENT_TYPE=application/json", NULL };
	struct resp r;

	run(*state, "POST", "/api/v1/health", json, "{}", &r);
	assert_int_equal(r.status, 405);
	assert_true(has_header(&r, "Allow: GET, HEAD\r\n"));
	assert_int_equal(json_code(&r), APIERR_METHOD_NOT_ALLOWED);
	resp_free(&r);
}

static void
test_login_required_is_401(void **state)
{
	struct fixture *f = *state;
	struct resp r;

	ctx_free(&f->ctx);
	ctx_init(&f->ctx, &private_app, f->env);
	run(f, "GET", "/api/v1/private", NULL, NULL, &r);
	assert_int_equal(r.status, 401);
	assert_int_equal(json_code(&r), APIERR_UNAUTHORIZED);
	resp_free(&r);
}

struct bad_input {
	int         line;
	const char *method, *uri, *ctype, *body;
	int         status, code;
};

static const struct bad_input bad_inputs[] = {
	{ __LINE__, "GET", "/api/v1/health?q=%zz", NULL, NULL, 400, APIERR_BAD_ENCODING },
	{ __LINE__, "GET", "/api/v1/health?q=%C0%AF", NULL, NULL, 400, APIERR_BAD_UTF8 },
	{ __LINE__, "GET", "/api/v1/%ff", NULL, NULL, 400, APIERR_BAD_UTF8 },
	{ __LINE__, "POST", "/api/v1/health", "application/json", "{\"a\":", 400, APIERR_BAD_JSON },
	{ __LINE__, "POST", "/api/v1/health", "application/json", "[1]", 400, APIERR_BAD_JSON },
	{ __LINE__, "POST", "/api/v1/health", "text/plain", "hello", 415, APIERR_UNSUPPORTED_MEDIA },
	{ __LINE__, "POST", "/language", "text/plain", "hello", 415, APIERR_UNSUPPORTED_MEDIA },
	{ __LINE__, "POST", "/language", "application/x-www-form-urlencoded", "language=%", 400,
	  APIERR_BAD_ENCODING },
};

static void
test_bad_input_table(void **state)
{
	size_t i;

	for (i = 0; i < sizeof bad_inputs / sizeof bad_inputs[0]; i++) {
		const struct bad_input *b = &bad_inputs[i];
		char ct[128];
		const char *extra[] = { ct, NULL };
		struct resp r;

		snprintf(ct, sizeof ct, "CONTENT_TYPE=%s", b->ctype ? b->ctype : "");
		run(*state, b->method, b->uri, b->ctype ? extra : NULL, b->body, &r);
		if (r.status != b->status)
			fail_msg("row at line %d: status %d, want %d", b->line, r.status, b->status);
		if (strncmp(b->uri, "/api/", 5) == 0 && json_code(&r) != b->code)
			fail_msg("row at line %d: code %d, want %d", b->line, json_code(&r), b->code);
		if (strncmp(b->uri, "/api/", 5) != 0 && !has_header(&r, "Content-Type: text/html"))
			fail_msg("row at line %d: an HTML route answered without a page", b->line);
		resp_free(&r);
	}
}

static void
test_oversized_body_is_413_unread(void **state)
{
	struct fixture *f = *state;
	static char m[] = "REQUEST_METHOD=POST", u[] = "REQUEST_URI=/api/v1/health",
	    t[] = "CONTENT_TYPE=application/json", l[] = "CONTENT_LENGTH=2097152";
	char *envp[] = { m, u, t, l, NULL };
	struct buf out = BUF_INIT;

	app_handle(&f->ctx, envp, NULL, 2097152, &out);
	assert_int_equal(strncmp(buf_cstr(&out), "Status: 413", 11), 0);
	assert_non_null(strstr(buf_cstr(&out), "\"code\":41300"));
	buf_free(&out);
}

static void
test_hostile_path_is_escaped(void **state)
{
	struct resp r;

	run(*state, "GET", "/%3Cscript%3Ealert('x')%3C/script%3E", NULL, NULL, &r);
	assert_int_equal(r.status, 404);
	assert_false(body_has(&r, "<script>"));
	assert_true(body_has(&r, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
	resp_free(&r);
}

static void
test_security_headers_everywhere(void **state)
{
	struct resp r;

	run(*state, "GET", "/help", NULL, NULL, &r);
	assert_true(has_header(&r, "X-Content-Type-Options: nosniff"));
	assert_true(has_header(&r, "Content-Security-Policy: default-src 'self'"));
	assert_true(has_header(&r, "X-Frame-Options: DENY"));
	assert_true(has_header(&r, "X-Request-Id: "));
	assert_false(has_header(&r, "Strict-Transport-Security"));
	resp_free(&r);
	run(*state, "GET", "/api/v1/nope", NULL, NULL, &r);
	assert_true(has_header(&r, "X-Content-Type-Options: nosniff"));
	assert_true(has_header(&r, "Content-Security-Policy: default-src 'none'"));
	resp_free(&r);
}

/* What the log wrote to the non-blocking read end fd since the last call. */
static void
log_take(int fd, struct buf *out)
{
	char chunk[1024];
	ssize_t n;

	buf_reset(out);
	while ((n = read(fd, chunk, sizeof chunk)) > 0)
		buf_append(out, chunk, (size_t)n);
}

/* HTTPS=on from the web server with [site] https = false: a warning naming the setting, once per
 * process, and still no HSTS (the setting decides, not the variable). */
static void
test_https_without_setting_warns_once(void **state)
{
	static const char *const tls[] = { "HTTPS=on", NULL };
	struct buf logged = BUF_INIT;
	struct resp r;
	int fds[2];

	assert_int_equal(pipe(fds), 0);
	assert_int_equal(fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
	log_set_fd(fds[1]);
	log_set_level(LOG_LEVEL_WARN);

	run(*state, "GET", "/help", NULL, NULL, &r);
	log_take(fds[0], &logged);
	assert_null(strstr(buf_cstr(&logged), "[site] https"));
	resp_free(&r);

	run(*state, "GET", "/help", tls, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_false(has_header(&r, "Strict-Transport-Security"));
	log_take(fds[0], &logged);
	assert_non_null(strstr(buf_cstr(&logged), " level=warn "));
	assert_non_null(strstr(buf_cstr(&logged), "[site] https = false"));
	resp_free(&r);

	run(*state, "GET", "/help", tls, NULL, &r);
	log_take(fds[0], &logged);
	assert_null(strstr(buf_cstr(&logged), "[site] https"));
	resp_free(&r);

	log_set_level(LOG_LEVEL_ERROR);
	log_set_fd(-1);
	close(fds[0]);
	close(fds[1]);
	buf_free(&logged);
}

static void
test_head_has_no_body(void **state)
{
	struct resp r, g;
	char want[64];

	run(*state, "GET", "/help", fixed, NULL, &g);
	run(*state, "HEAD", "/help", fixed, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body.len, 0);
	snprintf(want, sizeof want, "Content-Length: %zu\r\n", g.body.len);
	assert_true(has_header(&r, want));
	resp_free(&r);
	resp_free(&g);
}

/* Nothing of one request reaches the next: language, error message, data, headers, user. */
static void
test_nothing_survives_a_request(void **state)
{
	struct fixture *f = *state;
	struct resp r;

	run(f, "GET", "/help", fixed_zh, NULL, &r);
	assert_true(has_header(&r, "Content-Language: zh"));
	resp_free(&r);
	run(f, "POST", "/language", form, "language=fr&csrf_token=" TOKEN, &r);
	assert_int_equal(r.status, 400);
	resp_free(&r);
	run(f, "GET", "/help", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_true(has_header(&r, "Content-Language: en"));
	assert_false(body_has(&r, "must be one of"));
	assert_false(has_header(&r, "Location:"));
	assert_false(has_header(&r, "Allow:"));
	resp_free(&r);
	assert_null(f->ctx.data);
	assert_null(f->ctx.route);
	assert_int_equal(f->ctx.params.n, 0);
	assert_int_equal(f->ctx.user_id, 0);
	assert_int_equal(f->ctx.resp.headers.n, 0);
	assert_int_equal(f->ctx.message.len, 0);
	assert_int_equal(f->ctx.captures.n, 0);
	assert_null(f->ctx.req.path);
}

/* Starts site_app with a configuration file holding text; the start-up must fail with a message
 * containing expect. */
static void
assert_startup_fails(const char *text, const char *expect)
{
	char path[] = "/tmp/starling-test-conf-XXXXXX";
	struct buf err = BUF_INIT;
	FILE *fp;
	int fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	fp = fdopen(fd, "w");
	fputs(text, fp);
	fclose(fp);
	assert_null(app_env_new(&site_app, path, &err));
	if (strstr(buf_cstr(&err), expect) == NULL)
		fail_msg("start-up error \"%s\" lacks \"%s\"", buf_cstr(&err), expect);
	unlink(path);
	buf_free(&err);
}

/* A start-up with a broken template directory fails with a message, before any request. */
static void
test_missing_templates_stop_startup(void **state)
{
	(void)state;
	assert_startup_fails("[site]\ntemplates_dir = /nonexistent/templates\n", "/nonexistent/templates");
}

/* A shard map that leaves a shard without an instance stops start-up too. */
static void
test_bad_shard_map_stops_startup(void **state)
{
	struct buf text = BUF_INIT;

	(void)state;
	buf_printf(&text, "[site]\ntemplates_dir = %s/templates\n[mysql]\n"
	    "instances = 127.0.0.1:1, 127.0.0.1:2\nlogical_shards = 8\nshard_map = 0-5@0\n",
	    test_srcdir());
	assert_startup_fails(buf_cstr(&text), "shard 6 is not mapped");
	buf_free(&text);
}

/* Without its token key (or with one anybody may read) a binary does not start. */
static void
test_missing_or_open_key_stops_startup(void **state)
{
	struct fixture f;
	struct buf text = BUF_INIT;
	char key[sizeof f.dir + 16], cmd[sizeof f.dir + 16];

	(void)state;
	make_dir(&f);
	buf_printf(&text, "[site]\ntemplates_dir = %s/templates\n[auth]\ntoken_key_file = %s/none\n",
	    test_srcdir(), f.dir);
	assert_startup_fails(buf_cstr(&text), "/none");
	buf_reset(&text);
	snprintf(key, sizeof key, "%s/token.key", f.dir);
	assert_int_equal(chmod(key, 0644), 0);
	buf_printf(&text, "[site]\ntemplates_dir = %s/templates\n[auth]\ntoken_key_file = %s\n"
	    "[mail]\ntransport = spool\nspool_dir = %s/mail\n", test_srcdir(), key, f.dir);
	assert_startup_fails(buf_cstr(&text), "token.key");
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f.dir);
	assert_int_equal(system(cmd), 0);
	buf_free(&text);
}

/* ---- raw and multipart bodies, and their size limit ---------------------------------------- */

/* Echoes what a raw route received: length, type, first byte, and its query parameter. */
static enum apierr
echo_raw(struct ctx *ctx)
{
	json_object *d = json_object_new_object();

	json_object_object_add(d, "len", json_object_new_int64((int64_t)ctx->req.body_len));
	json_object_object_add(d, "type", json_object_new_string(ctx->req.content_type));
	json_object_object_add(d, "key", json_object_new_string(params_str(&ctx->params, "key")));
	ctx_set_data(ctx, d);
	return APIERR_OK;
}

/* Echoes the "image" file and the "note" field of a multipart post. */
static enum apierr
echo_upload(struct ctx *ctx)
{
	const struct request_file *f = request_file(&ctx->req, "image");
	const char *note = params_str(&ctx->params, "note");
	json_object *d = json_object_new_object();

	if (f == NULL) {
		json_object_put(d);
		return ctx_fail(ctx, APIERR_MISSING_PARAM, "no image");
	}
	json_object_object_add(d, "len", json_object_new_int64((int64_t)f->len));
	json_object_object_add(d, "filename", json_object_new_string(f->filename));
	json_object_object_add(d, "type", json_object_new_string(f->content_type));
	json_object_object_add(d, "note", json_object_new_string(note ? note : ""));
	ctx_set_data(ctx, d);
	return APIERR_OK;
}

static const struct param_spec raw_params[] = {
	{ "key", PARAM_STRING, PARAM_REQUIRED, 1, 80, NULL },
	PARAM_END
};

static const struct param_spec upload_params[] = {
	{ "note", PARAM_STRING, 0, 0, 100, NULL },
	PARAM_END
};

static const struct route body_routes[] = {
	{ HTTP_PUT,  "/api/v1/raw",    ROUTE_RAW | ROUTE_SIGNED, echo_raw,    raw_params,    NULL },
	{ HTTP_POST, "/api/v1/up",     ROUTE_UPLOAD | ROUTE_CSRF, echo_upload, upload_params, NULL },
	{ HTTP_PUT,  "/api/v1/plain",  0,                        echo_raw,    NULL,          NULL },
	{ HTTP_POST, "/api/v1/up_login", ROUTE_UPLOAD | ROUTE_AUTH, echo_upload, upload_params, NULL },
};
static const struct app body_app = { "test-body", body_routes,
    sizeof body_routes / sizeof body_routes[0] };

#define MP_TYPE "CONTENT_TYPE=multipart/form-data; boundary=b0undary"
#define MP_BODY(csrf, file) "--b0undary\r\nContent-Disposition: form-data; name=\"csrf_token\"" \
	"\r\n\r\n" csrf "\r\n--b0undary\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\n" \
	"h\xc3\xa9llo\r\n--b0undary\r\nContent-Disposition: form-data; name=\"image\"; " \
	"filename=\"a.gif\"\r\nContent-Type: image/gif\r\n\r\n" file "\r\n--b0undary--\r\n"

static void
use_body_app(struct fixture *f)
{
	ctx_free(&f->ctx);
	ctx_init(&f->ctx, &body_app, f->env);
}

/* A raw route gets the bytes and type as sent, beyond [http] max_body_bytes (4096 here), with
 * its parameters from the query; other routes keep their 413. */
static void
test_raw_body_and_its_limit(void **state)
{
	struct fixture *f = *state;
	static const char *const png[] = { "CONTENT_TYPE=image/png", NULL };
	char *big = malloc(8193);
	json_object *o, *d, *v;
	struct resp r;

	use_body_app(f);
	memset(big, 'x', 8192);
	big[8192] = '\0';
	run(f, "PUT", "/api/v1/raw?key=images%2Fa.png", png, big, &r);
	assert_int_equal(r.status, 200);
	o = body_json(&r);
	assert_true(json_object_object_get_ex(o, "data", &d));
	assert_true(json_object_object_get_ex(d, "len", &v));
	assert_int_equal(json_object_get_int(v), 8192);
	assert_true(json_object_object_get_ex(d, "type", &v));
	assert_string_equal(json_object_get_string(v), "image/png");
	assert_true(json_object_object_get_ex(d, "key", &v));
	assert_string_equal(json_object_get_string(v), "images/a.png");
	json_object_put(o);
	resp_free(&r);
	/* No content type at all is fine for a raw body. */
	run(f, "PUT", "/api/v1/raw?key=k", NULL, "abc", &r);
	assert_int_equal(r.status, 200);
	resp_free(&r);
	/* Its parameters are still checked. */
	run(f, "PUT", "/api/v1/raw", png, "abc", &r);
	assert_int_equal(r.status, 400);
	assert_int_equal(json_code(&r), APIERR_MISSING_PARAM);
	resp_free(&r);
	/* The same bytes to an ordinary route: over its limit. */
	run(f, "PUT", "/api/v1/plain", png, big, &r);
	assert_int_equal(r.status, 413);
	assert_int_equal(json_code(&r), APIERR_TOO_LARGE);
	resp_free(&r);
	free(big);
}

/* Over max_video_bytes + 64 KiB, even an upload route answers 413 without reading the body. */
static void
test_upload_limit_is_413_unread(void **state)
{
	struct fixture *f = *state;
	static char m[] = "REQUEST_METHOD=PUT", u[] = "REQUEST_URI=/api/v1/raw?key=k",
	    q[] = "QUERY_STRING=key=k", l[64];
	char *envp[] = { m, u, q, l, NULL };
	size_t over = (size_t)f->env->conf.media_max_video_bytes + 64 * 1024 + 1;
	struct buf out = BUF_INIT;

	use_body_app(f);
	snprintf(l, sizeof l, "CONTENT_LENGTH=%zu", over);
	app_handle(&f->ctx, envp, NULL, over, &out);
	assert_int_equal(strncmp(buf_cstr(&out), "Status: 413", 11), 0);
	assert_non_null(strstr(buf_cstr(&out), "\"code\":41300"));
	buf_free(&out);
}

/* Multipart: fields are parameters (the CSRF token included), files are request_file's. */
static void
test_multipart_upload(void **state)
{
	struct fixture *f = *state;
	static const char *const mp[] = { MP_TYPE, "HTTP_COOKIE=starling_csrf=" TOKEN, NULL };
	static const char *const mp_nocookie[] = { MP_TYPE, NULL };
	json_object *o, *d, *v;
	struct resp r;

	use_body_app(f);
	run(f, "POST", "/api/v1/up", mp, MP_BODY(TOKEN, "GIF89a-bytes"), &r);
	assert_int_equal(r.status, 200);
	o = body_json(&r);
	assert_true(json_object_object_get_ex(o, "data", &d));
	assert_true(json_object_object_get_ex(d, "len", &v));
	assert_int_equal(json_object_get_int(v), 12);
	assert_true(json_object_object_get_ex(d, "filename", &v));
	assert_string_equal(json_object_get_string(v), "a.gif");
	assert_true(json_object_object_get_ex(d, "type", &v));
	assert_string_equal(json_object_get_string(v), "image/gif");
	assert_true(json_object_object_get_ex(d, "note", &v));
	assert_string_equal(json_object_get_string(v), "h\xc3\xa9llo");
	json_object_put(o);
	resp_free(&r);
	/* The CSRF check sees the multipart field. */
	run(f, "POST", "/api/v1/up", mp_nocookie, MP_BODY(TOKEN, "GIF89a"), &r);
	assert_int_equal(r.status, 403);
	resp_free(&r);
	run(f, "POST", "/api/v1/up", mp, MP_BODY("wrong", "GIF89a"), &r);
	assert_int_equal(r.status, 403);
	resp_free(&r);
	/* Malformed: a 400 envelope naming the problem. */
	run(f, "POST", "/api/v1/up", mp, "--b0undary\r\nContent-Disposition: form-data\r\n\r\nx\r\n"
	    "--b0undary--", &r);
	assert_int_equal(r.status, 400);
	assert_int_equal(json_code(&r), APIERR_BAD_REQUEST);
	assert_true(body_has(&r, "has no field name"));
	resp_free(&r);
	run(f, "POST", "/api/v1/up", mp, "--b0undary\r\nContent-Disposition: form-data; name=\"a\""
	    "\r\n\r\nno end", &r);
	assert_int_equal(r.status, 400);
	resp_free(&r);
	/* Multipart where no upload is declared: 415. */
	run(f, "PUT", "/api/v1/plain", mp, MP_BODY(TOKEN, "GIF89a"), &r);
	assert_int_equal(r.status, 415);
	assert_int_equal(json_code(&r), APIERR_UNSUPPORTED_MEDIA);
	resp_free(&r);
}

/* An upload route that needs login takes more than [http] max_body_bytes only with a good
 * token, checked before the body is read: an anonymous (or forged) large body is left unread
 * and answered 401, not parsed (this one is not even multipart). */
static void
test_large_anonymous_upload_is_401_unread(void **state)
{
	struct fixture *f = *state;
	char m[] = "REQUEST_METHOD=POST", u[] = "REQUEST_URI=/api/v1/up_login",
	    t[] = "CONTENT_TYPE=multipart/form-data; boundary=zz", l[] = "CONTENT_LENGTH=2097152",
	    small[] = "CONTENT_LENGTH=100", forged[] = "HTTP_AUTHORIZATION=Bearer abc.def.ghi",
	    other[] = "HTTP_COOKIE=starling_token=abc.def.ghi";
	char *anon[] = { m, u, t, l, NULL }, *bad[] = { m, u, t, l, forged, NULL },
	    *cookie[] = { m, u, t, l, other, NULL }, *little[] = { m, u, t, small, NULL };
	size_t upload = (size_t)f->env->conf.media_max_video_bytes + 64 * 1024;
	struct buf out = BUF_INIT;

	use_body_app(f);
	assert_int_equal(app_body_limit(&f->ctx, anon), 4096);
	assert_int_equal(app_body_limit(&f->ctx, bad), 4096);
	assert_int_equal(app_body_limit(&f->ctx, cookie), 4096);
	/* A body within the ordinary limit is read (the pipeline answers 401 as anywhere). */
	assert_int_equal(app_body_limit(&f->ctx, little), upload);
	app_handle(&f->ctx, anon, NULL, 2097152, &out);
	assert_int_equal(strncmp(buf_cstr(&out), "Status: 401", 11), 0);
	assert_non_null(strstr(buf_cstr(&out), "\"code\":40100"));
	buf_reset(&out);
	/* Routes that need no login keep their limit whoever calls. */
	u[sizeof "REQUEST_URI=/api/v1/up" - 1] = '\0';
	assert_int_equal(app_body_limit(&f->ctx, anon), upload);
	buf_free(&out);
}

/* Over https the CSRF cookie is __Host-starling_csrf, Secure; a plain starling_csrf cookie is not
 * taken for it (a sibling site or plain HTTP could have set that one). */
static void
test_csrf_cookie_is_host_prefixed_over_https(void **state)
{
	struct fixture *f = *state;
	static const char *const plain[] = { "HTTP_COOKIE=starling_csrf=" TOKEN, NULL };
	static const char *const host[] = { "HTTP_COOKIE=__Host-starling_csrf=" TOKEN, NULL };
	const char *set;
	struct resp r;

	f->env->conf.https = true;
	run(f, "GET", "/help", NULL, NULL, &r);
	set = strstr(buf_cstr(&r.headers), "Set-Cookie: __Host-starling_csrf=");
	assert_non_null(set);
	assert_non_null(strstr(set, "; Path=/"));
	assert_non_null(strstr(set, "; Secure"));
	assert_null(strstr(buf_cstr(&r.headers), "Domain="));
	resp_free(&r);
	run(f, "GET", "/help", plain, NULL, &r);
	assert_non_null(strstr(buf_cstr(&r.headers), "Set-Cookie: __Host-starling_csrf="));
	assert_false(field_masks(&r, TOKEN));
	resp_free(&r);
	run(f, "GET", "/help", host, NULL, &r);
	assert_null(strstr(buf_cstr(&r.headers), "starling_csrf="));
	assert_true(field_masks(&r, TOKEN));
	resp_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missing_or_open_key_stops_startup),
		cmocka_unit_test_setup_teardown(test_help_page_golden_en, setup, teardown),
		cmocka_unit_test_setup_teardown(test_help_page_golden_zh, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csrf_field_masked_per_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_accept_language_picks_chinese, setup, teardown),
		cmocka_unit_test_setup_teardown(test_robots_txt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_first_visit_gets_csrf_cookie_and_form_token, setup, teardown),
		cmocka_unit_test_setup_teardown(test_language_form_sets_cookie_and_redirects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_language_form_refuses_open_redirect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_form_with_masked_token, setup, teardown),
		cmocka_unit_test_setup_teardown(test_language_form_without_token_is_403, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusal_in_the_page_language, setup, teardown),
		cmocka_unit_test_setup_teardown(test_language_form_bad_language_is_400, setup, teardown),
		cmocka_unit_test_setup_teardown(test_health_down_is_503_envelope, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_found_json_and_html, setup, teardown),
		cmocka_unit_test_setup_teardown(test_method_not_allowed_has_allow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_login_required_is_401, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_input_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oversized_body_is_413_unread, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_path_is_escaped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_security_headers_everywhere, setup, teardown),
		cmocka_unit_test_setup_teardown(test_https_without_setting_warns_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_head_has_no_body, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nothing_survives_a_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_raw_body_and_its_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upload_limit_is_413_unread, setup, teardown),
		cmocka_unit_test_setup_teardown(test_multipart_upload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_large_anonymous_upload_is_401_unread, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csrf_cookie_is_host_prefixed_over_https, setup,
		    teardown),
		cmocka_unit_test(test_missing_templates_stop_startup),
		cmocka_unit_test(test_bad_shard_map_stops_startup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
