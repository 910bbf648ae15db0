/* test_response.c: header injection, cookie flags, JSON envelope, security headers, serializing. */
#include "config.h"

#include "test.h"

#include <limits.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "apierr.h"
#include "response.h"

/* How many headers named name (any case) r holds. */
static size_t
count_headers(const struct response *r, const char *name)
{
	size_t i, n = 0;

	for (i = 0; i < r->headers.n; i++)
		n += strcasecmp(r->headers.items[i].name, name) == 0;
	return n;
}

/* A fresh response is 200 with nothing in it. */
static void
test_init_is_empty_200(void **state)
{
	struct response r;

	(void)state;
	memset(&r, 0x5a, sizeof r);
	response_init(&r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.headers.n, 0);
	assert_int_equal(r.body.len, 0);
	response_free(&r);
	response_free(NULL);
}

/* response_header: token names and CR/LF-free values only; a refusal sets nothing. */
struct header_row {
	int         line;
	const char *name;
	const char *value;
	int         rc;
};

static const struct header_row header_rows[] = {
	{ __LINE__, "X-Foo", "bar", 0 },
	{ __LINE__, "X-Foo", "", 0 },
	{ __LINE__, "X-Foo", "a b\tc ; , = \" \xc3\xa9", 0 },
	{ __LINE__, "!#$%&'*+-.^_`|~09AZaz", "v", 0 },     /* every token punctuation */
	/* Response splitting. */
	{ __LINE__, "X-Foo", "a\r\nSet-Cookie: sid=evil", -1 },
	{ __LINE__, "X-Foo", "a\nSet-Cookie: sid=evil", -1 },
	{ __LINE__, "X-Foo", "a\rb", -1 },
	{ __LINE__, "X-Foo", "\r", -1 },
	{ __LINE__, "X-Foo", "\n", -1 },
	{ __LINE__, "X-Foo", "ok\r\n\r\n<script>", -1 },
	/* Names that are not tokens. */
	{ __LINE__, "", "v", -1 },
	{ __LINE__, "X Foo", "v", -1 },
	{ __LINE__, "X-Foo:", "v", -1 },
	{ __LINE__, "X:Foo", "v", -1 },
	{ __LINE__, " X-Foo", "v", -1 },
	{ __LINE__, "X-Foo ", "v", -1 },
	{ __LINE__, "X\tFoo", "v", -1 },
	{ __LINE__, "X\r\nY", "v", -1 },
	{ __LINE__, "X\nY", "v", -1 },
	{ __LINE__, "X(", "v", -1 },
	{ __LINE__, "X)", "v", -1 },
	{ __LINE__, "X<", "v", -1 },
	{ __LINE__, "X>", "v", -1 },
	{ __LINE__, "X@", "v", -1 },
	{ __LINE__, "X,", "v", -1 },
	{ __LINE__, "X;", "v", -1 },
	{ __LINE__, "X\\", "v", -1 },
	{ __LINE__, "X\"", "v", -1 },
	{ __LINE__, "X/Y", "v", -1 },
	{ __LINE__, "X[", "v", -1 },
	{ __LINE__, "X]", "v", -1 },
	{ __LINE__, "X?", "v", -1 },
	{ __LINE__, "X=Y", "v", -1 },
	{ __LINE__, "X{", "v", -1 },
	{ __LINE__, "X}", "v", -1 },
	{ __LINE__, "X\x01", "v", -1 },
	{ __LINE__, "X\x7f", "v", -1 },
	{ __LINE__, "X-\xc3\xa9", "v", -1 },
};

static void
test_header_refuses_injection(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof header_rows / sizeof header_rows[0]; i++) {
		const struct header_row *h = &header_rows[i];
		struct response r;
		int rc;

		response_init(&r);
		response_header(&r, "X-Foo", "before");
		rc = response_header(&r, h->name, h->value);
		if (rc != h->rc)
			fail_msg("line %d: response_header gave %d, want %d", h->line, rc, h->rc);
		if (rc == 0 && (kvlist_get_ci(&r.headers, h->name) == NULL ||
		    strcmp(kvlist_get_ci(&r.headers, h->name), h->value) != 0))
			fail_msg("line %d: header not set", h->line);
		/* A refusal sets nothing and leaves the earlier value. */
		if (rc != 0 && (r.headers.n != 1 ||
		    strcmp(kvlist_get(&r.headers, "X-Foo"), "before") != 0))
			fail_msg("line %d: a refused header changed the headers", h->line);
		response_free(&r);
	}
}

/* A header replaces an earlier one of its name, in place; Set-Cookie repeats. */
static void
test_header_replaces_but_set_cookie_repeats(void **state)
{
	struct response r;

	(void)state;
	response_init(&r);
	assert_int_equal(response_header(&r, "Content-Type", "text/plain"), 0);
	assert_int_equal(response_header(&r, "X-Other", "1"), 0);
	assert_int_equal(response_header(&r, "Content-Type", "text/html"), 0);
	assert_int_equal(r.headers.n, 2);
	assert_string_equal(r.headers.items[0].name, "Content-Type");
	assert_string_equal(r.headers.items[0].value, "text/html");
	assert_int_equal(response_header(&r, "Set-Cookie", "a=1"), 0);
	assert_int_equal(response_header(&r, "Set-Cookie", "b=2"), 0);
	assert_int_equal(response_header(&r, "set-cookie", "c=3"), 0);
	assert_int_equal(count_headers(&r, "Set-Cookie"), 3);
	response_free(&r);
}

/* Header names are case-insensitive (RFC 9110 5.1): setting "content-type" after "Content-Type"
 * replaces it rather than sending two. (Fails on response.c as of writing: kvlist_set matches
 * exactly.) */
static void
test_header_replaces_regardless_of_case(void **state)
{
	struct response r;
	struct buf out = BUF_INIT;

	(void)state;
	response_init(&r);
	response_header(&r, "Content-Type", "text/plain");
	response_header(&r, "content-type", "application/json");
	response_header(&r, "X-FRAME-OPTIONS", "SAMEORIGIN");
	response_security_headers(&r, true, false);
	response_serialize(&r, false, &out);
	if (count_headers(&r, "Content-Type") != 1 || count_headers(&r, "X-Frame-Options") != 1) {
		size_t ct = count_headers(&r, "Content-Type"), xfo = count_headers(&r, "X-Frame-Options");

		buf_free(&out);
		response_free(&r);
		fail_msg("%zu Content-Type and %zu X-Frame-Options headers, want one each", ct, xfo);
	}
	buf_free(&out);
	response_free(&r);
}

/* Set-Cookie lines: the value, Path=/, Max-Age, HttpOnly, Secure, SameSite, in that order. */
struct cookie_row {
	int                line;
	const char        *name;
	const char        *value;
	struct cookie_opts opts;
	const char        *want;   /* the Set-Cookie value, or NULL when refused */
};

#define COOKIE(name, value, max_age, readable, secure, same_site, want) \
	{ __LINE__, name, value, { max_age, readable, secure, same_site }, want }

static const struct cookie_row cookie_rows[] = {
	COOKIE("sid", "abc", -1, false, false, NULL, "sid=abc; Path=/; HttpOnly; SameSite=Lax"),
	COOKIE("sid", "abc", 3600, false, true, NULL,
	    "sid=abc; Path=/; Max-Age=3600; HttpOnly; Secure; SameSite=Lax"),
	COOKIE("sid", "", 0, false, true, NULL,                      /* deletion */
	    "sid=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax"),
	COOKIE("lang", "zh", 31536000, true, false, "Strict",
	    "lang=zh; Path=/; Max-Age=31536000; SameSite=Strict"),
	COOKIE("starling_csrf", "0123abcd", -1, false, true, "Lax",
	    "starling_csrf=0123abcd; Path=/; HttpOnly; Secure; SameSite=Lax"),
	COOKIE("big", "v", LONG_MAX, false, false, NULL,
	    "big=v; Path=/; Max-Age=9223372036854775807; HttpOnly; SameSite=Lax"),
	COOKIE("c", "!#$%&'()*+-./:<=>?@[]^_`{|}~", -1, false, false, NULL,
	    "c=!#$%&'()*+-./:<=>?@[]^_`{|}~; Path=/; HttpOnly; SameSite=Lax"),
	/* Values that are not cookie-octets. */
	COOKIE("sid", "a;b", -1, false, false, NULL, NULL),
	COOKIE("sid", "a b", -1, false, false, NULL, NULL),
	COOKIE("sid", "a,b", -1, false, false, NULL, NULL),
	COOKIE("sid", "a\"b", -1, false, false, NULL, NULL),
	COOKIE("sid", "a\\b", -1, false, false, NULL, NULL),
	COOKIE("sid", "a\tb", -1, false, false, NULL, NULL),
	COOKIE("sid", "a\r\nSet-Cookie: x=y", -1, false, false, NULL, NULL),
	COOKIE("sid", "a\nb", -1, false, false, NULL, NULL),
	COOKIE("sid", "\x7f", -1, false, false, NULL, NULL),
	COOKIE("sid", "\xc3\xa9", -1, false, false, NULL, NULL),
	COOKIE("sid", "x; Domain=evil.example", -1, false, false, NULL, NULL),
	/* Names that are not tokens. */
	COOKIE("", "v", -1, false, false, NULL, NULL),
	COOKIE("a b", "v", -1, false, false, NULL, NULL),
	COOKIE("a=b", "v", -1, false, false, NULL, NULL),
	COOKIE("a;b", "v", -1, false, false, NULL, NULL),
	COOKIE("a\r\n", "v", -1, false, false, NULL, NULL),
	/* SameSite cannot smuggle a header either. */
	COOKIE("sid", "v", -1, false, false, "Lax\r\nX-Evil: 1", NULL),
};

static void
test_cookie_flags_and_refusals(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cookie_rows / sizeof cookie_rows[0]; i++) {
		const struct cookie_row *c = &cookie_rows[i];
		struct response r;
		const char *got;
		int rc;

		response_init(&r);
		rc = response_cookie(&r, c->name, c->value, &c->opts);
		got = kvlist_get(&r.headers, "Set-Cookie");
		if (c->want == NULL) {
			if (rc != -1 || r.headers.n != 0)
				fail_msg("line %d: accepted (rc %d): %s", c->line, rc, got ? got : "");
		} else if (rc != 0 || got == NULL || strcmp(got, c->want) != 0) {
			fail_msg("line %d: rc %d, Set-Cookie \"%s\", want \"%s\"", c->line, rc,
			    got ? got : "NULL", c->want);
		}
		response_free(&r);
	}
}

/* Several cookies make several Set-Cookie headers, in order. */
static void
test_cookies_accumulate(void **state)
{
	struct cookie_opts o = { -1, false, false, NULL };
	struct response r;

	(void)state;
	response_init(&r);
	assert_int_equal(response_cookie(&r, "a", "1", &o), 0);
	assert_int_equal(response_cookie(&r, "b", "2", &o), 0);
	assert_int_equal(response_cookie(&r, "a", "3", &o), 0);
	assert_int_equal(r.headers.n, 3);
	assert_string_equal(r.headers.items[0].value, "a=1; Path=/; HttpOnly; SameSite=Lax");
	assert_string_equal(r.headers.items[1].value, "b=2; Path=/; HttpOnly; SameSite=Lax");
	assert_string_equal(r.headers.items[2].value, "a=3; Path=/; HttpOnly; SameSite=Lax");
	response_free(&r);
}

/* The JSON envelope: parsed back, it has exactly code, message and data; data is null on error;
 * the status follows the code. */
struct json_row {
	int         line;
	int         code;
	const char *message;    /* passed in; NULL for the default */
	bool        with_data;
	int         status;
	const char *want_message;
};

static const struct json_row json_rows[] = {
	{ __LINE__, APIERR_OK, NULL, true, 200, "ok" },
	{ __LINE__, APIERR_OK, NULL, false, 200, "ok" },
	{ __LINE__, APIERR_OK, "created", true, 200, "created" },
	{ __LINE__, APIERR_NOT_FOUND, NULL, true, 404, "not found" },       /* data dropped */
	{ __LINE__, APIERR_NOT_FOUND, "no such user", false, 404, "no such user" },
	{ __LINE__, APIERR_CSRF, NULL, false, 403, NULL },
	{ __LINE__, APIERR_INVALID_PARAM, "", false, 400, "" },
	{ __LINE__, APIERR_UNAVAILABLE, NULL, true, 503, "service temporarily unavailable" },
	{ __LINE__, 12345, NULL, true, 500, "internal error" },            /* unknown code */
	{ __LINE__, APIERR_BAD_JSON, "bad \"quote\" </script> \xe2\x82\xac", false, 400,
	    "bad \"quote\" </script> \xe2\x82\xac" },
};

static void
test_json_envelope(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof json_rows / sizeof json_rows[0]; i++) {
		const struct json_row *j = &json_rows[i];
		json_object *data = NULL, *env, *v;
		struct response r;
		const char *want_message = j->want_message ? j->want_message : apierr_message(j->code);

		if (j->with_data) {
			data = json_object_new_object();
			json_object_object_add(data, "id", json_object_new_string("1234567890123"));
		}
		response_init(&r);
		buf_puts(&r.body, "old body, replaced");
		response_json(&r, j->code, j->message, data);
		if (r.status != j->status)
			fail_msg("line %d: status %d, want %d", j->line, r.status, j->status);
		if (kvlist_get(&r.headers, "Content-Type") == NULL ||
		    strcmp(kvlist_get(&r.headers, "Content-Type"),
		    "application/json; charset=utf-8") != 0)
			fail_msg("line %d: Content-Type", j->line);
		if (r.body.len == 0 || r.body.data[r.body.len - 1] != '\n' ||
		    strlen(r.body.data) != r.body.len)
			fail_msg("line %d: body does not end in one newline", j->line);
		env = json_tokener_parse(buf_cstr(&r.body));
		if (env == NULL || !json_object_is_type(env, json_type_object))
			fail_msg("line %d: body is not a JSON object: %s", j->line, buf_cstr(&r.body));
		if (json_object_object_length(env) != 3)
			fail_msg("line %d: %d keys", j->line, json_object_object_length(env));
		if (!json_object_object_get_ex(env, "code", &v) || !json_object_is_type(v, json_type_int) ||
		    json_object_get_int(v) != j->code)
			fail_msg("line %d: code", j->line);
		if (!json_object_object_get_ex(env, "message", &v) ||
		    !json_object_is_type(v, json_type_string) ||
		    strcmp(json_object_get_string(v), want_message) != 0)
			fail_msg("line %d: message \"%s\", want \"%s\"", j->line,
			    v ? json_object_get_string(v) : "", want_message);
		if (!json_object_object_get_ex(env, "data", &v))
			fail_msg("line %d: no data key", j->line);
		if (j->code == APIERR_OK && j->with_data) {
			if (!json_object_equal(v, data))
				fail_msg("line %d: data differs", j->line);
		} else if (v != NULL) {
			fail_msg("line %d: data is %s, want null", j->line, json_object_to_json_string(v));
		}
		json_object_put(env);
		/* The caller still owns its data: this put must be the last (ASan would see a
		 * double free or a leak otherwise). */
		json_object_put(data);
		response_free(&r);
	}
}

/* The serialized text, byte for byte. */
static void
test_json_envelope_exact_text(void **state)
{
	json_object *data = json_object_new_object();
	struct response r;

	(void)state;
	json_object_object_add(data, "a", json_object_new_string("b"));
	response_init(&r);
	response_json(&r, APIERR_OK, NULL, data);
	assert_string_equal(buf_cstr(&r.body), "{\"code\":0,\"message\":\"ok\",\"data\":{\"a\":\"b\"}}\n");
	response_json(&r, APIERR_NOT_FOUND, NULL, data);
	assert_string_equal(buf_cstr(&r.body),
	    "{\"code\":40400,\"message\":\"not found\",\"data\":null}\n");
	response_json(&r, APIERR_OK, NULL, NULL);
	assert_string_equal(buf_cstr(&r.body), "{\"code\":0,\"message\":\"ok\",\"data\":null}\n");
	/* Called twice, still one Content-Type. */
	assert_int_equal(count_headers(&r, "Content-Type"), 1);
	json_object_put(data);
	response_free(&r);
}

/* '/' is escaped as "\/" in the text, so "</script>" never appears raw, in data or message. */
static void
test_json_escapes_slash(void **state)
{
	json_object *data = json_object_new_object(), *env, *v;
	struct response r;
	const char *evil = "</script><script>alert(1)</script>";

	(void)state;
	json_object_object_add(data, "text", json_object_new_string(evil));
	json_object_object_add(data, "url", json_object_new_string("https://example.com/a/b"));
	response_init(&r);
	response_json(&r, APIERR_OK, evil, data);
	assert_null(strstr(buf_cstr(&r.body), "</"));
	assert_null(strstr(buf_cstr(&r.body), "</script>"));
	assert_non_null(strstr(buf_cstr(&r.body), "<\\/script>"));
	assert_non_null(strstr(buf_cstr(&r.body), "https:\\/\\/example.com\\/a\\/b"));
	/* And it parses back to the original text. */
	env = json_tokener_parse(buf_cstr(&r.body));
	assert_non_null(env);
	assert_true(json_object_object_get_ex(env, "data", &v));
	assert_true(json_object_object_get_ex(v, "text", &v));
	assert_string_equal(json_object_get_string(v), evil);
	assert_true(json_object_object_get_ex(env, "message", &v));
	assert_string_equal(json_object_get_string(v), evil);
	json_object_put(env);
	json_object_put(data);
	response_free(&r);
}

/* response_html sets the status and the HTML content type, and keeps the body. */
static void
test_html(void **state)
{
	struct response r;

	(void)state;
	response_init(&r);
	buf_puts(&r.body, "<p>hi</p>");
	response_html(&r, 404);
	assert_int_equal(r.status, 404);
	assert_string_equal(kvlist_get(&r.headers, "Content-Type"), "text/html; charset=utf-8");
	assert_string_equal(buf_cstr(&r.body), "<p>hi</p>");
	response_html(&r, 200);
	assert_int_equal(count_headers(&r, "Content-Type"), 1);
	response_free(&r);
}

/* Redirects: status, Location, empty body; a Location with CR/LF falls back to "/". */
struct redirect_row {
	int         line;
	int         status;
	const char *location;
	const char *want;
};

static const struct redirect_row redirect_rows[] = {
	{ __LINE__, 303, "/home", "/home" },
	{ __LINE__, 302, "/login?next=%2Fsettings", "/login?next=%2Fsettings" },
	{ __LINE__, 301, "https://starling.example/x", "https://starling.example/x" },
	{ __LINE__, 303, "/a\r\nSet-Cookie: sid=evil", "/" },
	{ __LINE__, 303, "/a\nb", "/" },
	{ __LINE__, 302, "\r", "/" },
};

static void
test_redirect(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof redirect_rows / sizeof redirect_rows[0]; i++) {
		const struct redirect_row *d = &redirect_rows[i];
		struct response r;

		response_init(&r);
		buf_puts(&r.body, "stale");
		response_redirect(&r, d->status, d->location);
		if (r.status != d->status || r.body.len != 0)
			fail_msg("line %d: status %d, body %zu bytes", d->line, r.status, r.body.len);
		if (kvlist_get(&r.headers, "Location") == NULL ||
		    strcmp(kvlist_get(&r.headers, "Location"), d->want) != 0)
			fail_msg("line %d: Location \"%s\", want \"%s\"", d->line,
			    kvlist_get(&r.headers, "Location"), d->want);
		if (count_headers(&r, "Set-Cookie") != 0 || r.headers.n != 1)
			fail_msg("line %d: extra headers", d->line);
		response_free(&r);
	}
}

/* Security headers for pages and for JSON, with and without HTTPS. */
#define CSP_HTML "default-src 'self'; img-src 'self' https: data:; media-src 'self' https:; " \
	"style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; " \
	"form-action 'self'; frame-ancestors 'none'"
#define CSP_JSON "default-src 'none'; frame-ancestors 'none'"
#define HSTS "max-age=31536000; includeSubDomains"

struct security_row {
	int         line;
	bool        html;
	bool        https;
	const char *cache_control;   /* set by the handler first, or NULL */
	const char *want_cache;
};

static const struct security_row security_rows[] = {
	{ __LINE__, true, false, NULL, "no-store" },
	{ __LINE__, true, true, NULL, "no-store" },
	{ __LINE__, false, false, NULL, "no-store" },
	{ __LINE__, false, true, NULL, "no-store" },
	{ __LINE__, true, true, "public, max-age=60", "public, max-age=60" },
	{ __LINE__, false, false, "private, max-age=5", "private, max-age=5" },
};

static void
test_security_headers(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof security_rows / sizeof security_rows[0]; i++) {
		const struct security_row *s = &security_rows[i];
		const char *csp, *hsts, *cc;
		struct response r;

		response_init(&r);
		if (s->cache_control)
			response_header(&r, "Cache-Control", s->cache_control);
		response_security_headers(&r, s->html, s->https);
		if (strcmp(kvlist_get(&r.headers, "X-Content-Type-Options"), "nosniff") != 0)
			fail_msg("line %d: nosniff", s->line);
		if (strcmp(kvlist_get(&r.headers, "X-Frame-Options"), "DENY") != 0)
			fail_msg("line %d: X-Frame-Options", s->line);
		if (strcmp(kvlist_get(&r.headers, "Referrer-Policy"),
		    "strict-origin-when-cross-origin") != 0)
			fail_msg("line %d: Referrer-Policy", s->line);
		csp = kvlist_get(&r.headers, "Content-Security-Policy");
		if (csp == NULL || strcmp(csp, s->html ? CSP_HTML : CSP_JSON) != 0)
			fail_msg("line %d: CSP \"%s\"", s->line, csp ? csp : "NULL");
		if (strstr(csp, "unsafe-inline") != NULL || strstr(csp, "unsafe-eval") != NULL)
			fail_msg("line %d: CSP allows inline script", s->line);
		cc = kvlist_get(&r.headers, "Cache-Control");
		if (cc == NULL || strcmp(cc, s->want_cache) != 0 || count_headers(&r, "Cache-Control") != 1)
			fail_msg("line %d: Cache-Control \"%s\"", s->line, cc ? cc : "NULL");
		hsts = kvlist_get(&r.headers, "Strict-Transport-Security");
		if (s->https ? (hsts == NULL || strcmp(hsts, HSTS) != 0) : hsts != NULL)
			fail_msg("line %d: HSTS \"%s\"", s->line, hsts ? hsts : "NULL");
		response_free(&r);
	}
}

/* A Cache-Control set in another case still counts as set. */
static void
test_security_headers_keep_lowercase_cache_control(void **state)
{
	struct response r;

	(void)state;
	response_init(&r);
	response_header(&r, "cache-control", "max-age=60");
	response_security_headers(&r, false, false);
	assert_int_equal(count_headers(&r, "Cache-Control"), 1);
	assert_string_equal(kvlist_get_ci(&r.headers, "Cache-Control"), "max-age=60");
	response_free(&r);
}

/* Serialization: Status line with reason, headers in order, Content-Length, blank line, body. */
struct serialize_row {
	int         line;
	int         status;
	const char *body;
	size_t      blen;
	bool        head_only;
	const char *want;
	size_t      wlen;
};

#define SER(status, body, head_only, want) \
	{ __LINE__, status, body, sizeof body - 1, head_only, want, sizeof want - 1 }

static const struct serialize_row serialize_rows[] = {
	SER(404, "hello", false,
	    "Status: 404 Not Found\r\nContent-Type: text/plain\r\nX-A: b\r\n"
	    "Content-Length: 5\r\n\r\nhello"),
	SER(404, "hello", true,     /* HEAD: no body, the same Content-Length */
	    "Status: 404 Not Found\r\nContent-Type: text/plain\r\nX-A: b\r\n"
	    "Content-Length: 5\r\n\r\n"),
	SER(200, "", false,
	    "Status: 200 OK\r\nContent-Type: text/plain\r\nX-A: b\r\nContent-Length: 0\r\n\r\n"),
	SER(200, "", true,
	    "Status: 200 OK\r\nContent-Type: text/plain\r\nX-A: b\r\nContent-Length: 0\r\n\r\n"),
	SER(503, "a\0b", false,     /* NULs in the body are bytes like the others */
	    "Status: 503 Service Unavailable\r\nContent-Type: text/plain\r\nX-A: b\r\n"
	    "Content-Length: 3\r\n\r\na\0b"),
	SER(303, "", false,
	    "Status: 303 See Other\r\nContent-Type: text/plain\r\nX-A: b\r\nContent-Length: 0\r\n\r\n"),
	SER(500, "\r\n\r\n", false,
	    "Status: 500 Internal Server Error\r\nContent-Type: text/plain\r\nX-A: b\r\n"
	    "Content-Length: 4\r\n\r\n\r\n\r\n"),
};

static void
test_serialize(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof serialize_rows / sizeof serialize_rows[0]; i++) {
		const struct serialize_row *s = &serialize_rows[i];
		struct buf out = BUF_INIT;
		struct response r;

		response_init(&r);
		r.status = s->status;
		response_header(&r, "Content-Type", "text/plain");
		response_header(&r, "X-A", "b");
		buf_append(&r.body, s->body, s->blen);
		response_serialize(&r, s->head_only, &out);
		if (out.len != s->wlen || memcmp(out.data, s->want, s->wlen) != 0)
			fail_msg("line %d: got \"%s\" (%zu bytes), want \"%s\"", s->line,
			    buf_cstr(&out), out.len, s->want);
		buf_free(&out);
		response_free(&r);
	}
}

/* A response that never had a body serializes to Content-Length 0. */
static void
test_serialize_without_body(void **state)
{
	struct buf out = BUF_INIT;
	struct response r;

	(void)state;
	response_init(&r);
	response_serialize(&r, false, &out);
	assert_string_equal(buf_cstr(&out), "Status: 200 OK\r\nContent-Length: 0\r\n\r\n");
	buf_free(&out);
	response_free(&r);
}

/* The whole path a JSON error takes, cookies included. */
static void
test_serialize_full_json_error(void **state)
{
	struct cookie_opts o = { 0, false, true, NULL };
	struct buf out = BUF_INIT;
	struct response r;
	const char *want =
	    "Status: 401 Unauthorized\r\n"
	    "Set-Cookie: sid=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax\r\n"
	    "Content-Type: application/json; charset=utf-8\r\n"
	    "X-Content-Type-Options: nosniff\r\n"
	    "X-Frame-Options: DENY\r\n"
	    "Referrer-Policy: strict-origin-when-cross-origin\r\n"
	    "Content-Security-Policy: " CSP_JSON "\r\n"
	    "Cache-Control: no-store\r\n"
	    "Strict-Transport-Security: " HSTS "\r\n"
	    "Content-Length: 54\r\n"
	    "\r\n"
	    "{\"code\":40100,\"message\":\"login required\",\"data\":null}\n";

	(void)state;
	response_init(&r);
	assert_int_equal(response_cookie(&r, "sid", "", &o), 0);
	response_json(&r, APIERR_UNAUTHORIZED, NULL, NULL);
	response_security_headers(&r, false, true);
	response_serialize(&r, false, &out);
	assert_string_equal(buf_cstr(&out), want);
	buf_free(&out);
	response_free(&r);
}

/* response_reset makes the response fresh again for the next request. */
static void
test_reset(void **state)
{
	struct cookie_opts o = { -1, false, false, NULL };
	struct buf out = BUF_INIT;
	struct response r;

	(void)state;
	response_init(&r);
	response_cookie(&r, "a", "1", &o);
	response_json(&r, APIERR_NOT_FOUND, NULL, NULL);
	response_security_headers(&r, true, true);
	response_reset(&r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.headers.n, 0);
	assert_int_equal(r.body.len, 0);
	assert_null(kvlist_get(&r.headers, "Set-Cookie"));
	response_serialize(&r, false, &out);
	assert_string_equal(buf_cstr(&out), "Status: 200 OK\r\nContent-Length: 0\r\n\r\n");
	/* And usable again. */
	response_html(&r, 200);
	buf_puts(&r.body, "x");
	assert_int_equal(r.headers.n, 1);
	buf_free(&out);
	response_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_is_empty_200),
		cmocka_unit_test(test_header_refuses_injection),
		cmocka_unit_test(test_header_replaces_but_set_cookie_repeats),
		cmocka_unit_test(test_header_replaces_regardless_of_case),
		cmocka_unit_test(test_cookie_flags_and_refusals),
		cmocka_unit_test(test_cookies_accumulate),
		cmocka_unit_test(test_json_envelope),
		cmocka_unit_test(test_json_envelope_exact_text),
		cmocka_unit_test(test_json_escapes_slash),
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_redirect),
		cmocka_unit_test(test_security_headers),
		cmocka_unit_test(test_security_headers_keep_lowercase_cache_control),
		cmocka_unit_test(test_serialize),
		cmocka_unit_test(test_serialize_without_body),
		cmocka_unit_test(test_serialize_full_json_error),
		cmocka_unit_test(test_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
