/* test_request.c: request_parse and its helpers on plain strings, well-formed and hostile. */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "test.h"
#include "apierr.h"
#include "buf.h"
#include "kv.h"
#include "request.h"
#include "utf8.h"
#include "xalloc.h"

/* Small limits, so every one of them is cheap to cross. */
static const struct request_limits lim = {
	.max_body = 1024,
	.max_uri = 256,
	.max_fields = 8,
	.max_header = 512,
	.max_json_depth = 4,
};

#define MAX_ENV 16
#define MAX_FIELDS 10

/*
 * One request and what parsing it must give. env: "NAME=value" strings. body: NUL-terminated
 * unless blen is set (for bodies holding a NUL). On success path (if set) and both field lists
 * ("name=value", in order, complete) are compared; on error msg must occur in the message.
 */
struct row {
	int         line;
	const char *env[MAX_ENV];
	const char *body;
	size_t      blen;
	int         code;
	const char *path;
	const char *query[MAX_FIELDS];
	const char *form[MAX_FIELDS];
	const char *msg;
};

#define GET(uri, qs) "REQUEST_METHOD=GET", "REQUEST_URI=" uri, "QUERY_STRING=" qs
#define POST(ct) "REQUEST_METHOD=POST", "REQUEST_URI=/api/v1/post", "CONTENT_TYPE=" ct
#define FORM POST("application/x-www-form-urlencoded")
#define JSON POST("application/json")
#define ACCEPTED "send application/json or application/x-www-form-urlencoded"

static const struct row rows[] = {
	/* ---- GET: path and query ---- */
	{ __LINE__, { GET("/home?q=hello+world&page=2", "q=hello+world&page=2") }, NULL, 0,
	    APIERR_OK, "/home", { "q=hello world", "page=2" }, { NULL }, NULL },
	{ __LINE__, { GET("/user/%C3%A9mile/a+b%2B", "") }, NULL, 0,
	    APIERR_OK, "/user/\xc3\xa9mile/a+b+", { NULL }, { NULL }, NULL },
	{ __LINE__, { GET("/", "a=1&&b=2&") }, NULL, 0,
	    APIERR_OK, "/", { "a=1", "b=2" }, { NULL }, NULL },
	{ __LINE__, { GET("/", "=x&c&d=&&=") }, NULL, 0,
	    APIERR_OK, "/", { "c=", "d=" }, { NULL }, NULL },
	{ __LINE__, { GET("/", "k=%3D%26%2b&%41%42=1&s=a%20b+c") }, NULL, 0,
	    APIERR_OK, "/", { "k==&+", "AB=1", "s=a b c" }, { NULL }, NULL },
	{ __LINE__, { GET("/", "q=%E2%82%AC&r=\xe2\x82\xac&dup=1&dup=2") }, NULL, 0,
	    APIERR_OK, "/", { "q=\xe2\x82\xac", "r=\xe2\x82\xac", "dup=1", "dup=2" }, { NULL }, NULL },
	{ __LINE__, { "REQUEST_METHOD=GET", "REQUEST_URI=/x" }, NULL, 0,
	    APIERR_OK, "/x", { NULL }, { NULL }, NULL },
	/* Without REQUEST_URI: SCRIPT_NAME + PATH_INFO, already decoded by the server. */
	{ __LINE__, { "REQUEST_METHOD=GET", "SCRIPT_NAME=/cgi-bin/app", "PATH_INFO=/a%20b",
	    "QUERY_STRING=x=1" }, NULL, 0,
	    APIERR_OK, "/cgi-bin/app/a%20b", { "x=1" }, { NULL }, NULL },
	{ __LINE__, { "REQUEST_METHOD=GET", "SCRIPT_NAME=/app" }, NULL, 0,
	    APIERR_OK, "/app", { NULL }, { NULL }, NULL },
	/* Exactly max_fields fields; nameless and empty pieces do not count. */
	{ __LINE__, { GET("/", "a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&=9&&") }, NULL, 0,
	    APIERR_OK, "/", { "a=1", "b=2", "c=3", "d=4", "e=5", "f=6", "g=7", "h=8" }, { NULL },
	    NULL },

	/* ---- path errors ---- */
	{ __LINE__, { GET("/a%zz", "") }, NULL, 0, APIERR_BAD_ENCODING, NULL, { NULL }, { NULL },
	    "invalid percent-encoding \"%zz\" in path \"/a%zz\"" },
	{ __LINE__, { GET("/a%4", "") }, NULL, 0, APIERR_BAD_ENCODING, NULL, { NULL }, { NULL },
	    "path \"/a%4\"" },
	{ __LINE__, { GET("/a%", "") }, NULL, 0, APIERR_BAD_ENCODING, NULL, { NULL }, { NULL },
	    "path" },
	{ __LINE__, { GET("/a%00b", "") }, NULL, 0, APIERR_BAD_ENCODING, NULL, { NULL }, { NULL },
	    "NUL" },
	{ __LINE__, { GET("/a%C0%AF", "") }, NULL, 0, APIERR_BAD_UTF8, NULL, { NULL }, { NULL },
	    "path \"/a%C0%AF\" is not valid UTF-8" },
	{ __LINE__, { GET("/%ED%A0%80", "") }, NULL, 0, APIERR_BAD_UTF8, NULL, { NULL }, { NULL },
	    "path" },
	{ __LINE__, { GET("/\xff", "") }, NULL, 0, APIERR_BAD_UTF8, NULL, { NULL }, { NULL },
	    "path \"/\\xff\"" },
	{ __LINE__, { GET("http://example.com/", "") }, NULL, 0, APIERR_BAD_REQUEST, NULL, { NULL },
	    { NULL }, "does not start with \"/\"" },
	{ __LINE__, { GET("", "") }, NULL, 0, APIERR_BAD_REQUEST, NULL, { NULL }, { NULL },
	    "request path \"\"" },
	{ __LINE__, { "REQUEST_METHOD=GET" }, NULL, 0, APIERR_BAD_REQUEST, NULL, { NULL }, { NULL },
	    "request path" },
	{ __LINE__, { "REQUEST_METHOD=GET", "SCRIPT_NAME=/a", "PATH_INFO=/\xc0\xaf" }, NULL, 0,
	    APIERR_BAD_UTF8, NULL, { NULL }, { NULL }, "path" },

	/* ---- query errors ---- */
	{ __LINE__, { GET("/s", "q=%zz") }, NULL, 0, APIERR_BAD_ENCODING, NULL, { NULL }, { NULL },
	    "invalid percent-encoding \"%zz\" in query field \"q\"" },
	{ __LINE__, { GET("/s", "a=1&q=ab%4") }, NULL, 0, APIERR_BAD_ENCODING, NULL, { NULL },
	    { NULL }, "query field \"q\"" },
	{ __LINE__, { GET("/s", "a%zz=1") }, NULL, 0, APIERR_BAD_ENCODING, NULL, { NULL }, { NULL },
	    "query field name \"a%zz\"" },
	{ __LINE__, { GET("/s", "q=a%00b") }, NULL, 0, APIERR_BAD_ENCODING, NULL, { NULL },
	    { NULL }, "query field \"q\" contains a NUL byte" },
	{ __LINE__, { GET("/s", "%00=1") }, NULL, 0, APIERR_BAD_ENCODING, NULL, { NULL }, { NULL },
	    "query field name \"%00\"" },
	{ __LINE__, { GET("/s", "q=%C0%AF") }, NULL, 0, APIERR_BAD_UTF8, NULL, { NULL }, { NULL },
	    "query field \"q\" is not valid UTF-8" },
	{ __LINE__, { GET("/s", "q=%ED%A0%80") }, NULL, 0, APIERR_BAD_UTF8, NULL, { NULL },
	    { NULL }, "query field \"q\"" },
	{ __LINE__, { GET("/s", "q=%F4%90%80%80") }, NULL, 0, APIERR_BAD_UTF8, NULL, { NULL },
	    { NULL }, "query field \"q\"" },
	{ __LINE__, { GET("/s", "q=\xff") }, NULL, 0, APIERR_BAD_UTF8, NULL, { NULL }, { NULL },
	    "query field \"q\"" },
	{ __LINE__, { GET("/s", "%ff=1") }, NULL, 0, APIERR_BAD_UTF8, NULL, { NULL }, { NULL },
	    "query field name \"%ff\"" },
	{ __LINE__, { GET("/s", "a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9") }, NULL, 0,
	    APIERR_BAD_REQUEST, NULL, { NULL }, { NULL },
	    "too many fields in the query string: the limit is 8" },

	/* ---- form bodies ---- */
	{ __LINE__, { FORM }, "title=Hello+there&body=caf%C3%A9+%26+cr%C3%A8me", 0,
	    APIERR_OK, "/api/v1/post", { NULL },
	    { "title=Hello there", "body=caf\xc3\xa9 & cr\xc3\xa8me" },
	    NULL },
	{ __LINE__, { POST("Application/X-WWW-Form-Urlencoded ; Charset=\"UTF-8\""),
	    "CONTENT_LENGTH=3" }, "a=1", 0,
	    APIERR_OK, "/api/v1/post", { NULL }, { "a=1" }, NULL },
	{ __LINE__, { "REQUEST_METHOD=POST", "REQUEST_URI=/p?x=1", "QUERY_STRING=x=1",
	    "CONTENT_TYPE=application/x-www-form-urlencoded;charset=utf-8", "CONTENT_LENGTH=0007" },
	    "a=1&b=2", 0, APIERR_OK, "/p", { "x=1" }, { "a=1", "b=2" }, NULL },
	{ __LINE__, { FORM }, "title=%zz", 0, APIERR_BAD_ENCODING, NULL, { NULL }, { NULL },
	    "in form field \"title\"" },
	{ __LINE__, { FORM }, "title=a%00", 0, APIERR_BAD_ENCODING, NULL, { NULL }, { NULL },
	    "form field \"title\" contains a NUL" },
	{ __LINE__, { FORM }, "title=a\0b", 9, APIERR_BAD_ENCODING, NULL, { NULL }, { NULL },
	    "form field \"title\" contains a NUL" },
	{ __LINE__, { FORM }, "ti\0tle=ab", 9, APIERR_BAD_ENCODING, NULL, { NULL }, { NULL },
	    "form field name \"ti\\x00tle\"" },
	{ __LINE__, { FORM }, "title=%C0%AF", 0, APIERR_BAD_UTF8, NULL, { NULL }, { NULL },
	    "form field \"title\" is not valid UTF-8" },
	{ __LINE__, { FORM }, "title=%ED%A0%80", 0, APIERR_BAD_UTF8, NULL, { NULL }, { NULL },
	    "form field \"title\"" },
	{ __LINE__, { FORM }, "title=\xc3", 0, APIERR_BAD_UTF8, NULL, { NULL }, { NULL },
	    "form field \"title\"" },
	{ __LINE__, { FORM }, "1=1&2=2&3=3&4=4&5=5&6=6&7=7&8=8&9=9", 0, APIERR_BAD_REQUEST, NULL,
	    { NULL }, { NULL }, "too many fields in the form body: the limit is 8" },

	/* ---- JSON bodies ---- */
	{ __LINE__, { JSON }, "{\"s\":\"str\",\"i\":42,\"neg\":-7,\"d\":1.5,\"t\":true,\"f\":false,"
	    "\"n\":null,\"o\":{\"x\":1}}", 0,
	    APIERR_OK, "/api/v1/post", { NULL }, { "s=str", "i=42", "neg=-7", "d=1.5", "t=1", "f=0" },
	    NULL },
	{ __LINE__, { JSON }, "{\"a\":[1,\"x\"],\"n\":null,\"e\":\"\",\"z\":0,\"x\":1E+2}", 0,
	    APIERR_OK, "/api/v1/post", { NULL }, { "e=", "z=0", "x=1E+2" }, NULL },
	{ __LINE__, { POST("application/json; charset=utf-8") },
	    " {\"e\":\"caf\\u00e9 \\\"q\\\"\", \"raw\":\"\xe2\x82\xac\", \"lit\":\"\\\\u0000\"} \r\n\t", 0,
	    APIERR_OK, "/api/v1/post", { NULL },
	    { "e=caf\xc3\xa9 \"q\"", "raw=\xe2\x82\xac", "lit=\\u0000" }, NULL },
	/* A member name twice in one object is refused (json-c would keep the last), at any depth
	 * and however it is spelt; one name in two objects, or as a value, is two things. */
	{ __LINE__, { JSON }, "{\"a\":\"1\",\"a\":\"2\"}", 0, APIERR_BAD_JSON, NULL, { NULL },
	    { NULL }, "JSON member \"a\" is given more than once" },
	{ __LINE__, { JSON }, "{\"a\":1,\"b\":2,\"a\":1}", 0, APIERR_BAD_JSON, NULL, { NULL },
	    { NULL }, "JSON member \"a\" is given more than once" },
	{ __LINE__, { JSON }, "{\"post_id\":\"1\", \"p\":0, \"post_id\" : \"2\"}", 0,
	    APIERR_BAD_JSON, NULL, { NULL }, { NULL }, "JSON member \"post_id\"" },
	{ __LINE__, { JSON }, "{\"a\":1,\"\\u0061\":2}", 0, APIERR_BAD_JSON, NULL, { NULL },
	    { NULL }, "JSON member \"a\" is given more than once" },
	{ __LINE__, { JSON }, "{\"\\\"q\\\"\":1,\"\\\"q\\u0022\":2}", 0, APIERR_BAD_JSON, NULL,
	    { NULL }, { NULL }, "JSON member \"\\x22q\\x22\"" },
	{ __LINE__, { JSON }, "{\"\":1,\"\":2}", 0, APIERR_BAD_JSON, NULL, { NULL }, { NULL },
	    "JSON member \"\" is given more than once" },
	{ __LINE__, { JSON }, "{\"o\":{\"x\":1,\"x\":[]}}", 0, APIERR_BAD_JSON, NULL, { NULL },
	    { NULL }, "JSON member \"x\"" },
	{ __LINE__, { JSON }, "{\"l\":[{\"x\":1},{\"y\":1,\"y\":2}]}", 0, APIERR_BAD_JSON, NULL,
	    { NULL }, { NULL }, "JSON member \"y\"" },
	{ __LINE__, { JSON }, "{\"caf\xc3\xa9\":1,\"caf\\u00e9\":1}", 0, APIERR_BAD_JSON, NULL,
	    { NULL }, { NULL }, "JSON member \"caf\xc3\xa9\"" },
	{ __LINE__, { JSON }, "{\"a\":\"a\",\"o\":{\"a\":{\"a\":1}},\"l\":[{\"a\":1},{\"a\":2}],"
	    "\"s\":\"\\\"a\\\":\",\"A\":1}", 0,
	    APIERR_OK, "/api/v1/post", { NULL }, { "a=a", "s=\"a\":", "A=1" }, NULL },
	{ __LINE__, { JSON }, "{}", 0, APIERR_OK, "/api/v1/post", { NULL }, { NULL }, NULL },
	/* Depth counts values from the top object (1) down: 4 is the limit here. */
	{ __LINE__, { JSON }, "{\"a\":{\"b\":[1]},\"c\":[{}]}", 0,
	    APIERR_OK, "/api/v1/post", { NULL }, { NULL }, NULL },
	{ __LINE__, { JSON }, "{\"a\":{\"b\":[[1]]}}", 0, APIERR_BAD_JSON, NULL, { NULL },
	    { NULL }, "nested deeper than 4 levels" },
	{ __LINE__, { JSON }, "{\"a\":{\"b\":[{\"c\":1}]}}", 0, APIERR_BAD_JSON, NULL, { NULL },
	    { NULL }, "nested deeper than 4 levels" },
	{ __LINE__, { JSON }, "{\"a\":}", 0, APIERR_BAD_JSON, NULL, { NULL }, { NULL },
	    "malformed JSON body at offset 5: unexpected character" },
	{ __LINE__, { JSON }, "{\"a\":1,}", 0, APIERR_BAD_JSON, NULL, { NULL }, { NULL },
	    "malformed JSON body at offset 7" },
	{ __LINE__, { JSON }, "{a:1}", 0, APIERR_BAD_JSON, NULL, { NULL }, { NULL },
	    "malformed JSON body at offset 1" },
	{ __LINE__, { JSON }, "{\"a\":1", 0, APIERR_BAD_JSON, NULL, { NULL }, { NULL },
	    "ends before the JSON object does" },
	{ __LINE__, { JSON }, "[1,2]", 0, APIERR_BAD_JSON, NULL, { NULL }, { NULL },
	    "must be an object" },
	{ __LINE__, { JSON }, "\"text\"", 0, APIERR_BAD_JSON, NULL, { NULL }, { NULL },
	    "must be an object" },
	{ __LINE__, { JSON }, "   ", 0, APIERR_BAD_JSON, NULL, { NULL }, { NULL }, "JSON body" },
	{ __LINE__, { JSON }, "{\"a\":1} x", 0, APIERR_BAD_JSON, NULL, { NULL }, { NULL },
	    "malformed JSON body at offset 8" },
	{ __LINE__, { JSON }, "{\"a\":1}{}", 0, APIERR_BAD_JSON, NULL, { NULL }, { NULL },
	    "malformed JSON body at offset 7" },
	{ __LINE__, { JSON }, "{\"a\":1}\0", 8, APIERR_BAD_JSON, NULL, { NULL }, { NULL },
	    "malformed JSON body" },
	{ __LINE__, { JSON }, "{\"a\":\"\xff\"}", 0, APIERR_BAD_UTF8, NULL, { NULL }, { NULL },
	    "JSON body is not valid UTF-8" },
	{ __LINE__, { JSON }, "{\"a\":\"\xed\xa0\x80\"}", 0, APIERR_BAD_UTF8, NULL, { NULL },
	    { NULL }, "not valid UTF-8" },
	{ __LINE__, { JSON }, "{\"a\":\"\xc0\xaf\"}", 0, APIERR_BAD_UTF8, NULL, { NULL }, { NULL },
	    "not valid UTF-8" },
	{ __LINE__, { JSON }, "{\"a\":\"x\\u0000y\"}", 0, APIERR_BAD_ENCODING, NULL, { NULL },
	    { NULL }, "NUL character (\\u0000) in a string at offset 7" },
	{ __LINE__, { JSON }, "{\"a\\u0000b\":1}", 0, APIERR_BAD_ENCODING, NULL, { NULL },
	    { NULL }, "NUL character" },
	{ __LINE__, { JSON }, "{\"o\":{\"a\":[\"\\u0000\"]}}", 0, APIERR_BAD_ENCODING, NULL,
	    { NULL }, { NULL }, "NUL character" },
	{ __LINE__, { JSON }, "{\"a\":NaN}", 0, APIERR_BAD_JSON, NULL, { NULL }, { NULL },
	    "JSON member \"a\" holds NaN" },
	{ __LINE__, { JSON }, "{\"a\":{\"b\":[-Infinity]}}", 0, APIERR_BAD_JSON, NULL, { NULL },
	    { NULL }, "JSON member \"a\"" },
	{ __LINE__, { JSON }, "{\"big\":1e999}", 0, APIERR_BAD_JSON, NULL, { NULL }, { NULL },
	    "JSON member \"big\"" },
	{ __LINE__, { JSON }, "{\"1\":1,\"2\":2,\"3\":3,\"4\":4,\"5\":5,\"6\":6,\"7\":7,\"8\":8,"
	    "\"9\":9}", 0, APIERR_BAD_REQUEST, NULL, { NULL }, { NULL },
	    "too many members in the JSON body: the limit is 8" },

	/* ---- content types ---- */
	{ __LINE__, { POST("text/plain") }, "hello", 0, APIERR_UNSUPPORTED_MEDIA, NULL, { NULL },
	    { NULL }, "content type \"text/plain\" is not accepted; " ACCEPTED },
	{ __LINE__, { POST("Multipart/Form-Data; boundary=xyz") }, "--xyz--", 0,
	    APIERR_UNSUPPORTED_MEDIA, NULL, { NULL }, { NULL }, "\"multipart/form-data\"" },
	{ __LINE__, { "REQUEST_METHOD=POST", "REQUEST_URI=/p" }, "a=1", 0,
	    APIERR_UNSUPPORTED_MEDIA, NULL, { NULL }, { NULL }, "no content type; " ACCEPTED },
	{ __LINE__, { POST("application/x-www-form-urlencoded; charset=latin1") }, "a=1", 0,
	    APIERR_UNSUPPORTED_MEDIA, NULL, { NULL }, { NULL }, "charset \"latin1\" is not accepted" },
	{ __LINE__, { POST("application/json;charset=\"ISO-8859-1\"") }, "{}", 0,
	    APIERR_UNSUPPORTED_MEDIA, NULL, { NULL }, { NULL }, "charset \"ISO-8859-1\"" },
	/* An empty body is fine whatever its type, and nginx's empty variables mean "absent". */
	{ __LINE__, { POST("text/plain; charset=latin1"), "CONTENT_LENGTH=0" }, "", 0,
	    APIERR_OK, "/api/v1/post", { NULL }, { NULL }, NULL },
	{ __LINE__, { GET("/", ""), "CONTENT_TYPE=", "CONTENT_LENGTH=" }, NULL, 0,
	    APIERR_OK, "/", { NULL }, { NULL }, NULL },

	/* ---- Content-Length ---- */
	{ __LINE__, { FORM, "CONTENT_LENGTH=5" }, "a=1", 0, APIERR_BAD_REQUEST, NULL, { NULL },
	    { NULL }, "Content-Length is 5 but the body has 3 bytes" },
	{ __LINE__, { GET("/", ""), "CONTENT_LENGTH=3" }, NULL, 0, APIERR_BAD_REQUEST, NULL,
	    { NULL }, { NULL }, "Content-Length is 3 but the body has 0 bytes" },
	{ __LINE__, { FORM, "CONTENT_LENGTH=abc" }, "a=1", 0, APIERR_BAD_REQUEST, NULL, { NULL },
	    { NULL }, "Content-Length \"abc\" is not a plain decimal number" },
	{ __LINE__, { FORM, "CONTENT_LENGTH=+3" }, "a=1", 0, APIERR_BAD_REQUEST, NULL, { NULL },
	    { NULL }, "\"+3\"" },
	{ __LINE__, { FORM, "CONTENT_LENGTH= 3" }, "a=1", 0, APIERR_BAD_REQUEST, NULL, { NULL },
	    { NULL }, "\" 3\"" },
	{ __LINE__, { FORM, "CONTENT_LENGTH=3 " }, "a=1", 0, APIERR_BAD_REQUEST, NULL, { NULL },
	    { NULL }, "\"3 \"" },
	{ __LINE__, { FORM, "CONTENT_LENGTH=-1" }, "a=1", 0, APIERR_BAD_REQUEST, NULL, { NULL },
	    { NULL }, "\"-1\"" },
	{ __LINE__, { FORM, "CONTENT_LENGTH=0x3" }, "a=1", 0, APIERR_BAD_REQUEST, NULL, { NULL },
	    { NULL }, "\"0x3\"" },
	{ __LINE__, { FORM, "CONTENT_LENGTH=99999999999999999999999999" }, "a=1", 0,
	    APIERR_BAD_REQUEST, NULL, { NULL }, { NULL }, "not a plain decimal number" },
};

/* ---- helpers ------------------------------------------------------------------------------- */

/* request_parse takes char *const * (environ's type); the rows hold string literals. */
static char **
env_new(const char *const *src)
{
	size_t n, i;
	char **envp;

	for (n = 0; src[n] != NULL; n++)
		;
	envp = xcalloc(n + 1, sizeof *envp);
	for (i = 0; i < n; i++)
		envp[i] = xstrdup(src[i]);
	return envp;
}

static void
env_free(char **envp)
{
	size_t i;

	for (i = 0; envp[i] != NULL; i++)
		free(envp[i]);
	free(envp);
}

/* Parses with a private copy of the environment, freed before the caller looks at r: anything r
 * still pointed into would be a use-after-free under ASan. */
static int
parse(struct request *r, const char *const *env, const char *body, size_t blen, struct buf *err)
{
	char **envp = env_new(env);
	int rc = request_parse(r, envp, body, blen, &lim, err);

	env_free(envp);
	return rc;
}

static void
check_fields(int line, const char *what, const struct kvlist *l, const char *const *want)
{
	const char *eq;
	size_t n, nlen;

	for (n = 0; want[n] != NULL; n++) {
		eq = strchr(want[n], '=');
		nlen = (size_t)(eq - want[n]);
		if (n >= l->n)
			fail_msg("line %d: %s: field %zu (%s) missing", line, what, n, want[n]);
		if (strlen(l->items[n].name) != nlen || memcmp(l->items[n].name, want[n], nlen) != 0 ||
		    l->items[n].vlen != strlen(eq + 1) || memcmp(l->items[n].value, eq + 1,
		    l->items[n].vlen) != 0)
			fail_msg("line %d: %s: field %zu is %s=%s, want %s", line, what, n,
			    l->items[n].name, l->items[n].value, want[n]);
	}
	if (l->n != n)
		fail_msg("line %d: %s has %zu fields, want %zu", line, what, l->n, n);
}

/* After any parse, error or not, no string member is NULL. */
static void
check_strings(int line, const struct request *r)
{
	if (!r->method_name || !r->path || !r->query || !r->content_type || !r->remote_addr ||
	    !r->host)
		fail_msg("line %d: a string member is NULL after request_parse", line);
}

static void
check_row(const struct row *row, struct request *r, struct buf *err)
{
	size_t blen = row->blen != 0 ? row->blen : row->body != NULL ? strlen(row->body) : 0;
	int rc = parse(r, row->env, row->body, blen, err);

	check_strings(row->line, r);
	if (rc != row->code)
		fail_msg("line %d: got %d (%s), want %d", row->line, rc, buf_cstr(err), row->code);
	if (rc != APIERR_OK) {
		if (err->len == 0 || !utf8_valid(err->data, err->len))
			fail_msg("line %d: empty or invalid message", row->line);
		if (row->msg != NULL && strstr(buf_cstr(err), row->msg) == NULL)
			fail_msg("line %d: message \"%s\" lacks \"%s\"", row->line, buf_cstr(err),
			    row->msg);
		return;
	}
	if (row->path != NULL && strcmp(r->path, row->path) != 0)
		fail_msg("line %d: path \"%s\", want \"%s\"", row->line, r->path, row->path);
	check_fields(row->line, "query_fields", &r->query_fields, row->query);
	check_fields(row->line, "body_fields", &r->body_fields, row->form);
}

/* ---- tests --------------------------------------------------------------------------------- */

/* All rows through one struct, so each row also tests that the one before left nothing behind. */
static void
test_rows(void **state)
{
	struct request r;
	struct buf err = BUF_INIT;
	size_t i;

	(void)state;
	request_init(&r);
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++)
		check_row(&rows[i], &r, &err);
	request_free(&r);
	buf_free(&err);
}

/* Each row again in a fresh struct: the result must not depend on what came before. */
static void
test_rows_fresh(void **state)
{
	struct request r;
	struct buf err = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		request_init(&r);
		check_row(&rows[i], &r, &err);
		request_free(&r);
	}
	buf_free(&err);
}

/* JSON bodies: the object itself is kept, with nested values and nulls only there. */
static void
test_json_object(void **state)
{
	static const char *const env[] = { JSON, NULL };
	static const char body[] = "{\"n\":null,\"o\":{\"x\":1},\"s\":\"v\",\"u\":18446744073709551615}";
	struct request r;
	struct buf err = BUF_INIT;
	json_object *o;

	(void)state;
	request_init(&r);
	assert_int_equal(parse(&r, env, body, sizeof body - 1, &err), APIERR_OK);
	assert_non_null(r.json);
	assert_true(json_object_object_get_ex(r.json, "o", &o));
	assert_int_equal(json_object_get_int(json_object_object_get(o, "x")), 1);
	assert_true(json_object_object_get_ex(r.json, "n", NULL));
	assert_null(kvlist_get(&r.body_fields, "n"));
	assert_null(kvlist_get(&r.body_fields, "o"));
	assert_string_equal(kvlist_get(&r.body_fields, "s"), "v");
	assert_string_equal(kvlist_get(&r.body_fields, "u"), "18446744073709551615");
	assert_string_equal(r.content_type, "application/json");
	request_free(&r);
	buf_free(&err);
}

/* A string of n copies of c, for crossing limits. */
static char *
repeat(char c, size_t n)
{
	char *s = xmalloc(n + 1);

	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* A "NAME=value" entry with a generated value; the caller frees. */
static char *
var(const char *name, const char *prefix, char c, size_t n)
{
	struct buf b = BUF_INIT;
	char *fill = repeat(c, n);

	buf_printf(&b, "%s=%s%s", name, prefix, fill);
	free(fill);
	return buf_detach(&b);
}

static int
parse_generated(struct request *r, char **envp, const char *body, size_t blen, struct buf *err)
{
	int rc = request_parse(r, envp, body, blen, &lim, err);

	check_strings(__LINE__, r);
	if (rc != APIERR_OK)
		assert_true(err->len > 0 && utf8_valid(err->data, err->len));
	return rc;
}

static void
test_uri_limit(void **state)
{
	struct request r;
	struct buf err = BUF_INIT;
	char *envp[4] = { NULL, NULL, NULL, NULL };

	(void)state;
	request_init(&r);
	/* "/" + 255 bytes is the limit exactly; one more is over it. */
	envp[0] = var("REQUEST_URI", "/", 'a', 255);
	assert_int_equal(parse_generated(&r, envp, NULL, 0, &err), APIERR_OK);
	free(envp[0]);
	envp[0] = var("REQUEST_URI", "/", 'a', 256);
	assert_int_equal(parse_generated(&r, envp, NULL, 0, &err), APIERR_URI_TOO_LONG);
	assert_non_null(strstr(buf_cstr(&err), "request URI is 257 bytes; the limit is 256"));
	free(envp[0]);
	/* Without REQUEST_URI, the parts it is rebuilt from count: 1 + 200 + 1 + 55 = 257. */
	envp[0] = var("SCRIPT_NAME", "/", 's', 200);
	envp[1] = var("QUERY_STRING", "q=", 'x', 53);
	assert_int_equal(parse_generated(&r, envp, NULL, 0, &err), APIERR_URI_TOO_LONG);
	free(envp[0]);
	free(envp[1]);
	request_free(&r);
	buf_free(&err);
}

static void
test_header_limit(void **state)
{
	static const char *const names[] = { "HTTP_USER_AGENT", "HTTP_COOKIE", "CONTENT_TYPE" };
	static const char *const want[] = { "\"user-agent\"", "\"cookie\"", "\"content-type\"" };
	struct request r;
	struct buf err = BUF_INIT;
	char *envp[3] = { NULL, NULL, NULL };
	size_t i;

	(void)state;
	request_init(&r);
	envp[0] = xstrdup("REQUEST_URI=/");
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		envp[1] = var(names[i], "", 'h', 512);
		assert_int_equal(parse_generated(&r, envp, NULL, 0, &err), APIERR_OK);
		free(envp[1]);
		envp[1] = var(names[i], "", 'h', 513);
		assert_int_equal(parse_generated(&r, envp, NULL, 0, &err), APIERR_HEADERS_TOO_LARGE);
		assert_non_null(strstr(buf_cstr(&err), want[i]));
		assert_non_null(strstr(buf_cstr(&err), "513 bytes; the limit is 512"));
		free(envp[1]);
	}
	free(envp[0]);
	request_free(&r);
	buf_free(&err);
}

/* A 431 quotes the header's name as every message quotes input: escaped and cut to 64 bytes. The
 * name comes from the CGI variable's, which a server fills from the client's header name. */
static void
test_header_limit_name_quoted(void **state)
{
#define A8 "AAAAAAAA"
#define L8 "aaaaaaaa"
#define TAIL " is 513 bytes; the limit is 512"
	static const struct {
		int         line;
		const char *var;
		const char *want;
	} cases[] = {
		{ __LINE__, "HTTP_X_\xff\a", "header \"x-\\xff\\x07\"" TAIL },
		{ __LINE__, "HTTP_A\x1b[31m", "header \"a\\x1b[31m\"" TAIL },
		{ __LINE__, "HTTP_" A8 A8 A8 A8 A8 A8 A8 A8 A8,
		    "header \"" L8 L8 L8 L8 L8 L8 L8 L8 "\"..." TAIL },
	};
#undef A8
#undef L8
#undef TAIL
	struct request r;
	struct buf err = BUF_INIT;
	char *envp[3] = { NULL, NULL, NULL };
	size_t i;

	(void)state;
	request_init(&r);
	envp[0] = xstrdup("REQUEST_URI=/");
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		envp[1] = var(cases[i].var, "", 'h', 513);
		assert_int_equal(parse_generated(&r, envp, NULL, 0, &err),
		    APIERR_HEADERS_TOO_LARGE);
		if (strcmp(buf_cstr(&err), cases[i].want) != 0)
			fail_msg("line %d: message \"%s\", want \"%s\"", cases[i].line,
			    buf_cstr(&err), cases[i].want);
		free(envp[1]);
	}
	free(envp[0]);
	request_free(&r);
	buf_free(&err);
}

/* 413 comes before anything else about the body: its length header, its type, its syntax. */
static void
test_body_limit(void **state)
{
	struct request r;
	struct buf err = BUF_INIT;
	char *envp[4] = { NULL, NULL, NULL, NULL };
	char *body = repeat('x', 1025);

	(void)state;
	request_init(&r);
	envp[0] = xstrdup("REQUEST_URI=/p");
	envp[1] = xstrdup("CONTENT_TYPE=text/plain");
	envp[2] = xstrdup("CONTENT_LENGTH=12");
	assert_int_equal(parse_generated(&r, envp, body, 1025, &err), APIERR_TOO_LARGE);
	assert_string_equal(buf_cstr(&err), "request body is 1025 bytes; the limit is 1024");
	/* At the limit the other checks run. */
	assert_int_equal(parse_generated(&r, envp, body, 1024, &err), APIERR_BAD_REQUEST);
	free(envp[2]);
	envp[2] = NULL;
	assert_int_equal(parse_generated(&r, envp, body, 1024, &err), APIERR_UNSUPPORTED_MEDIA);
	free(envp[1]);
	envp[1] = xstrdup("CONTENT_TYPE=application/x-www-form-urlencoded");
	body[0] = 'a';
	body[1] = '=';
	assert_int_equal(parse_generated(&r, envp, body, 1024, &err), APIERR_OK);
	assert_int_equal(r.body_fields.n, 1);
	assert_int_equal(r.body_fields.items[0].vlen, 1022);
	free(envp[0]);
	free(envp[1]);
	free(body);
	request_free(&r);
	buf_free(&err);
}

/* Echoed input is cut to about 64 bytes and escaped, so the message stays short and valid UTF-8. */
static void
test_message_echo(void **state)
{
	struct request r;
	struct buf err = BUF_INIT;
	struct buf q = BUF_INIT;
	char *envp[3] = { NULL, NULL, NULL };
	char *name = repeat('n', 5000);

	(void)state;
	request_init(&r);
	envp[0] = xstrdup("REQUEST_URI=/");
	buf_printf(&q, "QUERY_STRING=%s=%%zz", name);
	envp[1] = buf_detach(&q);
	assert_int_equal(parse_generated(&r, envp, NULL, 0, &err), APIERR_BAD_ENCODING);
	assert_true(err.len < 300);
	assert_non_null(strstr(buf_cstr(&err), "nnnn\"..."));
	free(envp[1]);
	/* Control bytes and invalid UTF-8 in a name come back as \xNN. */
	envp[1] = xstrdup("QUERY_STRING=a%0Ab\xff\"\\%zz=1");
	assert_int_equal(parse_generated(&r, envp, NULL, 0, &err), APIERR_BAD_ENCODING);
	assert_non_null(strstr(buf_cstr(&err), "\"a%0Ab\\xff\\x22\\x5c%zz\""));
	free(envp[1]);
	/* A cut never splits a UTF-8 character. */
	buf_puts(&q, "QUERY_STRING=a");
	for (size_t i = 0; i < 40; i++)
		buf_puts(&q, "\xc3\xa9");
	buf_puts(&q, "=%zz");
	envp[1] = buf_detach(&q);
	assert_int_equal(parse_generated(&r, envp, NULL, 0, &err), APIERR_BAD_ENCODING);
	assert_null(strstr(buf_cstr(&err), "\\x"));
	free(envp[1]);
	free(envp[0]);
	free(name);
	request_free(&r);
	buf_free(&err);
}

static void
test_cookies(void **state)
{
	static const struct {
		int         line;
		const char *header;
		const char *want[MAX_FIELDS];
	} rows_c[] = {
		{ __LINE__, "a=1; b=2", { "a=1", "b=2" } },
		{ __LINE__, "  a = 1 ;b=2  ;\tc=3\t", { "a=1", "b=2", "c=3" } },
		{ __LINE__, "a=1; a=2", { "a=1", "a=2" } },
		{ __LINE__, "junk; =x; c=; d=e=f; ;; =", { "c=", "d=e=f" } },
		{ __LINE__, "sid=\"quoted value\"; enc=%41+b", { "sid=\"quoted value\"", "enc=%41+b" } },
		{ __LINE__, "", { NULL } },
		{ __LINE__, ";;;", { NULL } },
		{ __LINE__, "SID=upper; sid=lower", { "SID=upper", "sid=lower" } },
	};
	struct kvlist l = KVLIST_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof rows_c / sizeof rows_c[0]; i++) {
		kvlist_reset(&l);
		request_parse_cookies(rows_c[i].header, &l);
		check_fields(rows_c[i].line, "cookies", &l, rows_c[i].want);
	}
	kvlist_reset(&l);
	request_parse_cookies(NULL, &l);
	assert_int_equal(l.n, 0);
	kvlist_free(&l);
}

/* Through request_parse: lookups take the first duplicate, and names keep their case. */
static void
test_cookie_lookup(void **state)
{
	static const char *const env[] = { "REQUEST_URI=/",
		"HTTP_COOKIE=theme=dark; sid=abc; sid=evil; SID=X; junk", NULL };
	struct request r;
	struct buf err = BUF_INIT;

	(void)state;
	request_init(&r);
	assert_int_equal(parse(&r, env, NULL, 0, &err), APIERR_OK);
	assert_string_equal(request_cookie(&r, "sid"), "abc");
	assert_string_equal(request_cookie(&r, "SID"), "X");
	assert_string_equal(request_cookie(&r, "theme"), "dark");
	assert_null(request_cookie(&r, "junk"));
	assert_null(request_cookie(&r, "missing"));
	request_free(&r);
	buf_free(&err);
}

static void
test_methods(void **state)
{
	static const struct {
		int              line;
		const char      *name;
		enum http_method m;
	} m[] = {
		{ __LINE__, "GET", HTTP_GET }, { __LINE__, "HEAD", HTTP_HEAD },
		{ __LINE__, "POST", HTTP_POST }, { __LINE__, "PUT", HTTP_PUT },
		{ __LINE__, "DELETE", HTTP_DELETE }, { __LINE__, "PATCH", HTTP_PATCH },
		{ __LINE__, "OPTIONS", HTTP_OPTIONS }, { __LINE__, "get", HTTP_OTHER },
		{ __LINE__, "GETX", HTTP_OTHER }, { __LINE__, "GE", HTTP_OTHER },
		{ __LINE__, "TRACE", HTTP_OTHER }, { __LINE__, "", HTTP_OTHER },
	};
	const char *env[] = { "REQUEST_URI=/", NULL, NULL };
	struct request r;
	struct buf err = BUF_INIT;
	struct buf v = BUF_INIT;
	size_t i;

	(void)state;
	request_init(&r);
	for (i = 0; i < sizeof m / sizeof m[0]; i++) {
		if (request_method_parse(m[i].name) != m[i].m)
			fail_msg("line %d: wrong method", m[i].line);
		if (m[i].m != HTTP_OTHER && strcmp(request_method_name(m[i].m), m[i].name) != 0)
			fail_msg("line %d: wrong name", m[i].line);
		buf_reset(&v);
		buf_printf(&v, "REQUEST_METHOD=%s", m[i].name);
		env[1] = buf_cstr(&v);
		assert_int_equal(parse(&r, env, NULL, 0, &err), APIERR_OK);
		if (r.method != m[i].m || strcmp(r.method_name, m[i].name) != 0)
			fail_msg("line %d: request_parse method", m[i].line);
	}
	assert_int_equal(request_method_parse(NULL), HTTP_OTHER);
	assert_string_equal(request_method_name(HTTP_OTHER), "OTHER");
	assert_string_equal(request_method_name((enum http_method)99), "OTHER");
	/* No REQUEST_METHOD at all. */
	env[1] = NULL;
	assert_int_equal(parse(&r, env, NULL, 0, &err), APIERR_OK);
	assert_int_equal(r.method, HTTP_OTHER);
	assert_string_equal(r.method_name, "");
	request_free(&r);
	buf_free(&err);
	buf_free(&v);
}

static void
test_headers(void **state)
{
	static const char *const env[] = {
		"REQUEST_METHOD=GET", "REQUEST_URI=/", "SERVER_NAME=ignored", "HTTP_=no name",
		"HTTP_ACCEPT_LANGUAGE=fr-CH, fr;q=0.9", "HTTP_USER_AGENT=curl/8", "HTTP_HOST=example.org",
		"HTTP_X_FORWARDED_FOR=10.0.0.1", "CONTENT_TYPE=Text/Plain; charset=x",
		"CONTENT_LENGTH=0", "HTTP_CONTENT_TYPE=other/type", "HTTP_CONTENT_LENGTH=99",
		"REMOTE_ADDR=192.0.2.7", "HTTP_ACCEPT_LANGUAGE=second", "NOEQUALS", NULL,
	};
	static const char *const want[] = {
		"accept-language=fr-CH, fr;q=0.9", "user-agent=curl/8", "host=example.org",
		"x-forwarded-for=10.0.0.1", "content-type=Text/Plain; charset=x", "content-length=0",
		"accept-language=second", NULL,
	};
	struct request r;
	struct buf err = BUF_INIT;

	(void)state;
	request_init(&r);
	assert_int_equal(parse(&r, env, NULL, 0, &err), APIERR_OK);
	check_fields(__LINE__, "headers", &r.headers, want);
	assert_string_equal(request_header(&r, "accept-language"), "fr-CH, fr;q=0.9");
	assert_string_equal(request_header(&r, "Accept-Language"), "fr-CH, fr;q=0.9");
	assert_string_equal(request_header(&r, "content-type"), "Text/Plain; charset=x");
	assert_null(request_header(&r, "server-name"));
	assert_null(request_header(&r, "accept"));
	assert_string_equal(r.host, "example.org");
	assert_string_equal(r.remote_addr, "192.0.2.7");
	assert_string_equal(r.content_type, "text/plain");
	assert_false(r.https);
	request_free(&r);
	buf_free(&err);
}

static void
test_https(void **state)
{
	static const struct {
		int         line;
		const char *var;
		bool        https;
	} h[] = {
		{ __LINE__, "HTTPS=on", true }, { __LINE__, "HTTPS=ON", true },
		{ __LINE__, "HTTPS=On", true }, { __LINE__, "HTTPS=1", true },
		{ __LINE__, "HTTPS=off", false }, { __LINE__, "HTTPS=0", false },
		{ __LINE__, "HTTPS=", false }, { __LINE__, "HTTPS=onx", false },
		{ __LINE__, "NOT_HTTPS=on", false },
	};
	const char *env[] = { "REQUEST_URI=/", NULL, NULL };
	struct request r;
	struct buf err = BUF_INIT;
	size_t i;

	(void)state;
	request_init(&r);
	for (i = 0; i < sizeof h / sizeof h[0]; i++) {
		env[1] = h[i].var;
		assert_int_equal(parse(&r, env, NULL, 0, &err), APIERR_OK);
		if (r.https != h[i].https)
			fail_msg("line %d: https %d", h[i].line, r.https);
	}
	request_free(&r);
	buf_free(&err);
}

/* Two different requests into one struct: nothing of the first may show in the second. */
static void
test_reuse(void **state)
{
	static const char *const first[] = {
		"REQUEST_METHOD=POST", "REQUEST_URI=/first?a=1", "QUERY_STRING=a=1",
		"CONTENT_TYPE=application/json", "HTTP_COOKIE=sid=1", "HTTP_HOST=one.example",
		"REMOTE_ADDR=192.0.2.1", "HTTPS=on", "HTTP_X_FIRST=yes", NULL,
	};
	static const char *const second[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/second", NULL };
	static const char body[] = "{\"title\":\"one\",\"n\":{\"x\":1}}";
	struct request r;
	struct buf err = BUF_INIT;

	(void)state;
	request_init(&r);
	/* After init and after reset: the documented state, strings NULL. */
	assert_null(r.path);
	assert_null(r.json);
	assert_int_equal(parse(&r, first, body, sizeof body - 1, &err), APIERR_OK);
	assert_non_null(r.json);
	assert_int_equal(r.body_fields.n, 1);
	assert_int_equal(parse(&r, second, NULL, 0, &err), APIERR_OK);
	assert_int_equal(r.method, HTTP_GET);
	assert_string_equal(r.path, "/second");
	assert_string_equal(r.query, "");
	assert_string_equal(r.content_type, "");
	assert_string_equal(r.host, "");
	assert_string_equal(r.remote_addr, "");
	assert_false(r.https);
	assert_null(r.json);
	assert_int_equal(r.headers.n, 0);
	assert_int_equal(r.cookies.n, 0);
	assert_int_equal(r.query_fields.n, 0);
	assert_int_equal(r.body_fields.n, 0);
	assert_null(request_cookie(&r, "sid"));
	assert_null(request_header(&r, "x-first"));
	/* The same after a failed parse, and after an explicit reset. */
	assert_int_equal(parse(&r, first, "{", 1, &err), APIERR_BAD_JSON);
	assert_int_equal(parse(&r, second, NULL, 0, &err), APIERR_OK);
	assert_int_equal(r.cookies.n + r.headers.n + r.query_fields.n + r.body_fields.n, 0);
	assert_int_equal(parse(&r, first, body, sizeof body - 1, &err), APIERR_OK);
	request_reset(&r);
	assert_null(r.path);
	assert_null(r.method_name);
	assert_null(r.json);
	assert_int_equal(r.method, HTTP_OTHER);
	assert_int_equal(r.cookies.n + r.headers.n + r.query_fields.n + r.body_fields.n, 0);
	request_free(&r);
	request_free(NULL);
	request_reset(NULL);
	buf_free(&err);
}

static void
test_urldecode(void **state)
{
	static const struct {
		int         line;
		const char *in;
		bool        plus;
		int         rc;
		const char *out;
	} d[] = {
		{ __LINE__, "a+b%20c", true, 0, "a b c" },
		{ __LINE__, "a+b%20c", false, 0, "a+b c" },
		{ __LINE__, "%41%62%7e%7E", false, 0, "Ab~~" },
		{ __LINE__, "", false, 0, "" },
		{ __LINE__, "%", false, -1, NULL },
		{ __LINE__, "%4", false, -1, NULL },
		{ __LINE__, "%4g", false, -1, NULL },
		{ __LINE__, "%g4", false, -1, NULL },
		{ __LINE__, "%00", false, -1, NULL },
		{ __LINE__, "%%41", false, -1, NULL },
	};
	struct buf out = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof d / sizeof d[0]; i++) {
		buf_reset(&out);
		buf_puts(&out, ">");
		if (request_urldecode(d[i].in, strlen(d[i].in), d[i].plus, &out) != d[i].rc)
			fail_msg("line %d: wrong result", d[i].line);
		/* Decoding appends: the ">" stays in front. */
		if (d[i].out != NULL && strcmp(out.data + 1, d[i].out) != 0)
			fail_msg("line %d: got \"%s\"", d[i].line, out.data);
	}
	/* A raw NUL is refused like an encoded one. */
	assert_int_equal(request_urldecode("a\0b", 3, false, &out), -1);
	buf_free(&out);
}

/* The public form parser; err may be NULL. */
static void
test_parse_urlencoded(void **state)
{
	struct kvlist l = KVLIST_INIT;
	struct buf err = BUF_INIT;

	(void)state;
	assert_int_equal(request_parse_urlencoded("a=1&b", 5, 2, &l, &err), APIERR_OK);
	assert_int_equal(l.n, 2);
	assert_int_equal(request_parse_urlencoded(NULL, 0, 2, &l, &err), APIERR_OK);
	assert_int_equal(request_parse_urlencoded("x=%zz", 5, 2, &l, NULL), APIERR_BAD_ENCODING);
	assert_int_equal(request_parse_urlencoded("x=%zz", 5, 2, &l, &err), APIERR_BAD_ENCODING);
	assert_non_null(strstr(buf_cstr(&err), "form field \"x\""));
	kvlist_reset(&l);
	assert_int_equal(request_parse_urlencoded("a&b", 3, 1, &l, &err), APIERR_BAD_REQUEST);
	assert_int_equal(request_parse_urlencoded("a&b", 3, 0, &l, NULL), APIERR_BAD_REQUEST);
	kvlist_free(&l);
	buf_free(&err);
}

/* ---- fuzz ---------------------------------------------------------------------------------- */

/* xorshift64*: our own generator, so the sequence is the same under every libc. */
static uint64_t
fuzz_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static size_t
fuzz_below(uint64_t *s, size_t n)
{
	return (size_t)(fuzz_next(s) % n);
}

/* Random bytes, weighted towards the ones parsers care about. nul: whether NUL may appear. */
static void
fuzz_text(uint64_t *s, struct buf *b, size_t max, bool nul)
{
	static const char special[] = "%&=+;  \t\"\\{}[]:,u0123456789abcdefABCDEF.-eE";
	static const char *const chunks[] = {
		"%C0%AF", "%ED%A0%80", "%00", "%zz", "%E2%82%AC", "\xc3\xa9", "\xff", "\xed\xa0\x80",
		"\\u0000", "\\\\", "true", "null", "NaN", "1e999", "{\"a\":", "[", "\"x\"",
	};
	size_t n = fuzz_below(s, max + 1), i;
	char c;

	for (i = 0; i < n; i++) {
		switch (fuzz_below(s, 8)) {
		case 0:
			buf_puts(b, chunks[fuzz_below(s, sizeof chunks / sizeof chunks[0])]);
			break;
		case 1:
			c = (char)fuzz_below(s, 256);
			if (c != '\0' || nul)
				buf_putc(b, c);
			break;
		default:
			buf_putc(b, special[fuzz_below(s, sizeof special - 1)]);
			break;
		}
	}
}

/* A syntactically plausible JSON body with random damage, to get past the tokener's front door. */
static void
fuzz_json(uint64_t *s, struct buf *b)
{
	static const char *const bodies[] = {
		"{\"a\":1,\"b\":\"x\",\"c\":[1,{\"d\":null}],\"e\":true,\"f\":1.5e3}",
		"{\"s\":\"caf\\u00e9\",\"t\":\"\\ud83d\\ude00\",\"n\":-0}",
		"{\"o\":{\"o\":{\"o\":{\"o\":{}}}}}",
	};
	size_t i, flips;

	buf_puts(b, bodies[fuzz_below(s, sizeof bodies / sizeof bodies[0])]);
	flips = fuzz_below(s, 3);
	for (i = 0; i < flips && b->len > 0; i++)
		b->data[fuzz_below(s, b->len)] = (char)fuzz_below(s, 256);
}

/* Whatever parsed is text: names and values valid UTF-8, without NUL. */
static void
check_text_fields(unsigned iter, const struct kvlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!utf8_valid(l->items[i].value, l->items[i].vlen) ||
		    memchr(l->items[i].value, '\0', l->items[i].vlen) != NULL ||
		    !utf8_valid(l->items[i].name, strlen(l->items[i].name)))
			fail_msg("iteration %u: field %zu is not clean text", iter, i);
}

static void
fuzz_one(unsigned iter, uint64_t *s, struct request *r, struct buf *err)
{
	static const char *const types[] = {
		"CONTENT_TYPE=application/x-www-form-urlencoded", "CONTENT_TYPE=application/json",
		"CONTENT_TYPE=text/plain", "CONTENT_TYPE=application/json; charset=utf-8",
	};
	struct buf q = BUF_INIT, uri = BUF_INIT, cookie = BUF_INIT, body = BUF_INIT;
	char *envp[6] = { NULL, NULL, NULL, NULL, NULL, NULL };
	size_t nenv = 0;
	int rc;

	/* Each part is fuzzed only some of the time, so that later stages (the body) are reached. */
	buf_puts(&q, "QUERY_STRING=");
	if (fuzz_below(s, 2) == 0)
		fuzz_text(s, &q, 200, false);
	else
		buf_puts(&q, "page=2");
	buf_printf(&uri, "REQUEST_URI=/f%s?%s", fuzz_below(s, 8) == 0 ? "%C3" : "", q.data + 13);
	buf_puts(&cookie, "HTTP_COOKIE=");
	fuzz_text(s, &cookie, 100, false);
	if (fuzz_below(s, 2) == 0)
		fuzz_json(s, &body);
	else
		fuzz_text(s, &body, 300, true);
	envp[nenv++] = buf_detach(&q);
	envp[nenv++] = buf_detach(&uri);
	envp[nenv++] = buf_detach(&cookie);
	if (fuzz_below(s, 5) != 0)
		envp[nenv++] = xstrdup(types[fuzz_below(s, sizeof types / sizeof types[0])]);
	if (fuzz_below(s, 3) == 0)
		envp[nenv++] = xstrdup(fuzz_below(s, 2) ? "CONTENT_LENGTH=12" : "CONTENT_LENGTH=x");
	rc = request_parse(r, envp, body.data, body.len, &lim, err);
	if (!request_parse_code_known(rc))
		fail_msg("iteration %u: code %d", iter, rc);
	check_strings((int)iter, r);
	if (rc != APIERR_OK && (err->len == 0 || err->len > 400 || !utf8_valid(err->data, err->len)))
		fail_msg("iteration %u: bad message \"%s\"", iter, buf_cstr(err));
	check_text_fields(iter, &r->query_fields);
	check_text_fields(iter, &r->body_fields);
	while (nenv > 0)
		free(envp[--nenv]);
	buf_free(&body);
}

static void
test_fuzz(void **state)
{
	struct request r;
	struct buf err = BUF_INIT;
	uint64_t seed = 0x5eed5eed12345678ULL;
	unsigned i;

	(void)state;
	request_init(&r);
	for (i = 0; i < 5000; i++)
		fuzz_one(i, &seed, &r, &err);
	request_free(&r);
	buf_free(&err);
}

/* ---- multipart/form-data and raw bodies ---------------------------------------------------- */

/* parse() under other limits. */
static int
parse_with(struct request *r, const char *const *env, const char *body, size_t blen,
    const struct request_limits *l, struct buf *err)
{
	char **envp = env_new(env);
	int rc = request_parse(r, envp, body, blen, l, err);

	env_free(envp);
	return rc;
}

static const struct request_limits lim_upload = {
	.max_body = 1024,
	.max_uri = 256,
	.max_fields = 8,
	.max_header = 512,
	.max_json_depth = 4,
	.body = REQUEST_BODY_UPLOAD,
};

#define MAX_FILES 3

/*
 * One multipart body (boundary "XyZ" unless ct is given) and what it must give: text fields as
 * "name=value", files as "name|filename|content type|bytes" (bytes without NUL), or an error
 * code whose message contains msg.
 */
struct mp_row {
	int         line;
	const char *ct;
	const char *body;
	size_t      blen;
	int         code;
	const char *fields[MAX_FIELDS];
	const char *files[MAX_FILES];
	const char *msg;
};

#define MP_CT "multipart/form-data; boundary=XyZ"
#define CD "Content-Disposition: form-data; "
#define PART(name) "--XyZ\r\n" CD "name=\"" name "\"\r\n\r\n"

static const struct mp_row mp_rows[] = {
	/* ---- accepted ---- */
	{ __LINE__, NULL, PART("csrf_token") "abc\r\n" PART("text") "hi there\r\n--XyZ--\r\n", 0,
	    APIERR_OK, { "csrf_token=abc", "text=hi there" }, { NULL }, NULL },
	{ __LINE__, NULL, PART("a") "1\r\n--XyZ\r\n" CD "name=\"image\"; filename=\"p.png\"\r\n"
	    "Content-Type: Image/PNG\r\n\r\n\x89PNG\r\n--X\r\n--XyZ--", 0,
	    APIERR_OK, { "a=1" }, { "image|p.png|image/png|\x89PNG\r\n--X" }, NULL },
	/* an empty file input, as browsers send it; and an empty text field */
	{ __LINE__, NULL, "--XyZ\r\n" CD "name=\"f\"; filename=\"\"\r\nContent-Type: "
	    "application/octet-stream\r\n\r\n\r\n" PART("t") "\r\n--XyZ--", 0,
	    APIERR_OK, { "t=" }, { "f||application/octet-stream|" }, NULL },
	/* quoted boundary, transport padding, header names in any case, token values, an epilogue */
	{ __LINE__, "multipart/form-data; charset=utf-8; boundary=\"a b'()+_,-./:=?\"",
	    "--a b'()+_,-./:=?  \r\ncontent-disposition:form-data;name=x\r\n\r\nv\r\n"
	    "--a b'()+_,-./:=?--\r\nepilogue, ignored", 0,
	    APIERR_OK, { "x=v" }, { NULL }, NULL },
	/* a file without Content-Type; a filename with a ';' and UTF-8 */
	{ __LINE__, NULL, "--XyZ\r\n" CD "name=\"doc\"; filename=\"a;\xc3\xa9.gif\"\r\n\r\nGIF89a"
	    "\r\n--XyZ--", 0, APIERR_OK, { NULL }, { "doc|a;\xc3\xa9.gif||GIF89a" }, NULL },

	/* ---- refused ---- */
	{ __LINE__, "multipart/form-data", PART("a") "1\r\n--XyZ--", 0, APIERR_BAD_REQUEST,
	    { NULL }, { NULL }, "needs a boundary parameter" },
	{ __LINE__, "multipart/form-data; boundary=", PART("a") "1\r\n--XyZ--", 0,
	    APIERR_BAD_REQUEST, { NULL }, { NULL }, "must be 1 to 70" },
	{ __LINE__, "multipart/form-data; boundary=a<b", "--a<b\r\n", 0, APIERR_BAD_REQUEST,
	    { NULL }, { NULL }, "must be 1 to 70" },
	{ __LINE__, "multipart/form-data; boundary=12345678901234567890123456789012345678901234567890"
	    "123456789012345678901", "--x", 0, APIERR_BAD_REQUEST, { NULL }, { NULL },
	    "must be 1 to 70" },
	{ __LINE__, "multipart/form-data; boundary=\"ab \"", "--ab \r\n", 0, APIERR_BAD_REQUEST,
	    { NULL }, { NULL }, "must be 1 to 70" },
	{ __LINE__, NULL, "preamble\r\n" PART("a") "1\r\n--XyZ--", 0, APIERR_BAD_REQUEST,
	    { NULL }, { NULL }, "must start with" },
	{ __LINE__, NULL, PART("a") "1\r\n--XyZ", 0, APIERR_BAD_REQUEST, { NULL }, { NULL },
	    "must end with CR LF" },
	{ __LINE__, NULL, PART("a") "1", 0, APIERR_BAD_REQUEST, { NULL }, { NULL },
	    "ends before the boundary" },
	{ __LINE__, NULL, PART("a") "1\r\n--XyZ--junk", 0, APIERR_BAD_REQUEST, { NULL }, { NULL },
	    "after the closing" },
	{ __LINE__, NULL, "--XyZ--\r\n", 0, APIERR_BAD_REQUEST, { NULL }, { NULL }, "no parts" },
	{ __LINE__, NULL, "--XyZ\n" CD "name=\"a\"\r\n\r\n1\r\n--XyZ--", 0, APIERR_BAD_REQUEST,
	    { NULL }, { NULL }, "must end with CR LF" },
	{ __LINE__, NULL, "--XyZ\r\n" CD "name=\"a\"\n\n1\r\n--XyZ--", 0, APIERR_BAD_REQUEST,
	    { NULL }, { NULL }, "ending in CR LF" },
	{ __LINE__, NULL, "--XyZ\r\n" CD "name=\"a\"\r\n1\r\n--XyZ--", 0, APIERR_BAD_REQUEST,
	    { NULL }, { NULL }, "is not \"Name: value\"" },
	{ __LINE__, NULL, "--XyZ\r\n" CD "name=\"a\"\r\nX: a\rb\r\n\r\n1\r\n--XyZ--", 0,
	    APIERR_BAD_REQUEST, { NULL }, { NULL }, "bare CR" },
	{ __LINE__, NULL, "--XyZ\r\nContent-Type: text/plain\r\n\r\n1\r\n--XyZ--", 0,
	    APIERR_BAD_REQUEST, { NULL }, { NULL }, "no Content-Disposition" },
	{ __LINE__, NULL, "--XyZ\r\n" CD "name=\"a\"\r\n" CD "name=\"b\"\r\n\r\n1\r\n--XyZ--", 0,
	    APIERR_BAD_REQUEST, { NULL }, { NULL }, "two Content-Disposition" },
	{ __LINE__, NULL, "--XyZ\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\n1\r\n--XyZ--",
	    0, APIERR_BAD_REQUEST, { NULL }, { NULL }, "malformed Content-Disposition" },
	{ __LINE__, NULL, "--XyZ\r\n" CD "filename=\"a\"\r\n\r\n1\r\n--XyZ--", 0,
	    APIERR_BAD_REQUEST, { NULL }, { NULL }, "no field name" },
	{ __LINE__, NULL, "--XyZ\r\n" CD "name=\"\"\r\n\r\n1\r\n--XyZ--", 0,
	    APIERR_BAD_REQUEST, { NULL }, { NULL }, "no field name" },
	{ __LINE__, NULL, "--XyZ\r\n" CD "name=\"a\"; name=\"b\"\r\n\r\n1\r\n--XyZ--", 0,
	    APIERR_BAD_REQUEST, { NULL }, { NULL }, "malformed Content-Disposition" },
	{ __LINE__, NULL, "--XyZ\r\n" CD "name=\"a\r\n\r\n1\r\n--XyZ--", 0,
	    APIERR_BAD_REQUEST, { NULL }, { NULL }, "malformed Content-Disposition" },
	{ __LINE__, NULL, "--XyZ\r\n" CD "name=\r\n\r\n1\r\n--XyZ--", 0,
	    APIERR_BAD_REQUEST, { NULL }, { NULL }, "malformed Content-Disposition" },
	{ __LINE__, NULL, PART("a") "1\r\n" PART("a") "2\r\n--XyZ--", 0, APIERR_BAD_REQUEST,
	    { NULL }, { NULL }, "\"a\" is sent twice" },
	{ __LINE__, NULL, PART("f") "1\r\n--XyZ\r\n" CD "name=\"f\"; filename=\"x\"\r\n\r\n2\r\n"
	    "--XyZ--", 0, APIERR_BAD_REQUEST, { NULL }, { NULL }, "sent twice" },
	{ __LINE__, NULL, PART("a") "\xff\r\n--XyZ--", 0, APIERR_BAD_UTF8, { NULL }, { NULL },
	    "not valid UTF-8" },
	{ __LINE__, NULL, PART("\xc3") "1\r\n--XyZ--", 0, APIERR_BAD_UTF8, { NULL }, { NULL },
	    "not valid UTF-8" },
	{ __LINE__, NULL, PART("a") "1\0002\r\n--XyZ--", 51 + 12, APIERR_BAD_ENCODING, { NULL },
	    { NULL }, "NUL byte" },
	{ __LINE__, NULL, PART("a") "\r\n" PART("b") "\r\n" PART("c") "\r\n" PART("d") "\r\n"
	    PART("e") "\r\n" PART("f") "\r\n" PART("g") "\r\n" PART("h") "\r\n" PART("i") "\r\n"
	    "--XyZ--", 0, APIERR_BAD_REQUEST, { NULL }, { NULL }, "too many parts" },
	{ __LINE__, NULL, "--XyZ\r\nA: 1\r\nB: 1\r\nC: 1\r\nD: 1\r\nE: 1\r\nF: 1\r\nG: 1\r\n"
	    "H: 1\r\n" CD "name=\"a\"\r\n\r\n1\r\n--XyZ--", 0, APIERR_BAD_REQUEST, { NULL },
	    { NULL }, "more than 8 headers" },
};

/* Compares r's files with want ("name|filename|type|bytes"). */
static void
check_files(int line, const struct request *r, const char *const *want)
{
	char expect[256];
	size_t n, i;

	for (n = 0; n < MAX_FILES && want[n] != NULL; n++)
		;
	if (r->nfiles != n)
		fail_msg("line %d: %zu files, want %zu", line, r->nfiles, n);
	for (i = 0; i < n; i++) {
		const struct request_file *f = &r->files[i];

		snprintf(expect, sizeof expect, "%s|%s|%s|%.*s", f->name, f->filename, f->content_type,
		    (int)f->len, f->data);
		if (strcmp(expect, want[i]) != 0)
			fail_msg("line %d: file %zu is %s, want %s", line, i, expect, want[i]);
		if (request_file(r, f->name) != f)
			fail_msg("line %d: request_file(%s) does not find it", line, f->name);
	}
}

static void
test_multipart_rows(void **state)
{
	struct request r;
	struct buf err = BUF_INIT, ct = BUF_INIT;
	size_t i, blen;
	int rc;

	(void)state;
	request_init(&r);
	for (i = 0; i < sizeof mp_rows / sizeof mp_rows[0]; i++) {
		const struct mp_row *row = &mp_rows[i];
		const char *env[4];

		blen = row->blen ? row->blen : strlen(row->body);
		buf_reset(&ct);
		buf_printf(&ct, "CONTENT_TYPE=%s", row->ct ? row->ct : MP_CT);
		env[0] = "REQUEST_METHOD=POST";
		env[1] = "REQUEST_URI=/compose";
		env[2] = ct.data;
		env[3] = NULL;
		rc = parse_with(&r, env, row->body, blen, &lim_upload, &err);
		if (rc != row->code)
			fail_msg("line %d: code %d, want %d (%s)", row->line, rc, row->code,
			    buf_cstr(&err));
		if (rc != APIERR_OK) {
			if (row->msg != NULL && strstr(buf_cstr(&err), row->msg) == NULL)
				fail_msg("line %d: message \"%s\" lacks \"%s\"", row->line, buf_cstr(&err),
				    row->msg);
			continue;
		}
		check_fields(row->line, "form", &r.body_fields, row->fields);
		check_files(row->line, &r, row->files);
		if (r.body != row->body || r.body_len != blen)
			fail_msg("line %d: body not kept", row->line);
	}
	request_free(&r);
	buf_free(&err);
	buf_free(&ct);
}

/* File bytes are taken as they are: NULs, CR LF and near-boundaries inside stay. */
static void
test_multipart_binary(void **state)
{
	static const char body[] = "--XyZ\r\n" CD "name=\"b\"; filename=\"b.bin\"\r\n\r\n"
	    "\0\r\n--Xy\r\n-XyZ\r\n--XyZ--";
	static const char want[] = "\0\r\n--Xy\r\n-XyZ";
	static const char *const env[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/x", "CONTENT_TYPE=" MP_CT, NULL };
	const struct request_file *f;
	struct request r;
	struct buf err = BUF_INIT;

	(void)state;
	request_init(&r);
	assert_int_equal(parse_with(&r, env, body, sizeof body - 1, &lim_upload, &err),
	    APIERR_OK);
	f = request_file(&r, "b");
	assert_non_null(f);
	assert_int_equal(f->len, sizeof want - 1);
	assert_memory_equal(f->data, want, sizeof want - 1);
	assert_string_equal(f->filename, "b.bin");
	assert_null(request_file(&r, "c"));
	/* A reset forgets the files. */
	request_reset(&r);
	assert_int_equal(r.nfiles, 0);
	assert_null(r.body);
	assert_null(request_file(&r, "b"));
	request_free(&r);
	buf_free(&err);
}

/* A copy of n bytes that ends where a page that may not be read begins: a parser reading one
 * byte past the end faults, even without AddressSanitizer. *map and *maplen are for munmap. */
static const char *
guarded_copy(const char *s, size_t n, void **map, size_t *maplen)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), data = (n + page - 1) / page * page;
	char *m;

	*maplen = data + page;
	m = mmap(NULL, *maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(m != MAP_FAILED);
	assert_int_equal(mprotect(m + data, page, PROT_NONE), 0);
	memcpy(m + data - n, s, n);
	*map = m;
	return m + data - n;
}

/* The body is not a C string (request.h): a part's Content-Type is read within its line, and no
 * byte past the body is, though nothing after the type holds the ';' or NUL a string function
 * would stop at. */
static void
test_multipart_unterminated(void **state)
{
	static const struct {
		int         line;
		const char *body;
		const char *file;
	} cases[] = {
		{ __LINE__, "--XyZ\r\n" CD "name=\"i\"; filename=\"p.png\"\r\nContent-Type: image/png"
		    "\r\n\r\n\x89PNG\r\n--XyZ--", "i|p.png|image/png|\x89PNG" },
		{ __LINE__, "--XyZ\r\n" CD "name=\"i\"; filename=\"p.png\"\r\nContent-Type: Image/PNG "
		    "\r\n\r\nab\r\n--XyZ--", "i|p.png|image/png|ab" },
		{ __LINE__, "--XyZ\r\nContent-Type: image/gif; x=\"y\"\r\n" CD "name=\"i\"; "
		    "filename=\"g.gif\"\r\n\r\nGIF\r\n--XyZ--", "i|g.gif|image/gif|GIF" },
		/* the ';' after the line is the content's, not a parameter of the type */
		{ __LINE__, "--XyZ\r\n" CD "name=\"i\"; filename=\"t\"\r\nContent-Type: text/x\r\n"
		    "\r\na;b\r\n--XyZ--", "i|t|text/x|a;b" },
	};
	static const char *const env[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/x",
		"CONTENT_TYPE=" MP_CT, NULL };
	struct request r;
	struct buf err = BUF_INIT;
	const char *body;
	size_t i, n, maplen;
	void *map;
	int rc;

	(void)state;
	request_init(&r);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *want[MAX_FILES] = { cases[i].file, NULL, NULL };

		n = strlen(cases[i].body);
		body = guarded_copy(cases[i].body, n, &map, &maplen);
		rc = parse_with(&r, env, body, n, &lim_upload, &err);
		if (rc != APIERR_OK)
			fail_msg("line %d: code %d (%s)", cases[i].line, rc, buf_cstr(&err));
		check_files(cases[i].line, &r, want);
		request_reset(&r);
		munmap(map, maplen);
	}
	request_free(&r);
	buf_free(&err);
}

/* A text field's name, quoted in the message about its content, is escaped and cut to 64 bytes
 * like any input: no terminal escape sequence reaches the log, no long name is echoed whole. */
static void
test_multipart_name_quoted(void **state)
{
#define N8 "nnnnnnnn"
#define N64 N8 N8 N8 N8 N8 N8 N8 N8
#define N70 N64 "nnnnnn"
	static const char nul_esc[] = PART("a\x1b[31mb") "x\0y\r\n--XyZ--";
	static const char nul_long[] = PART(N70) "x\0y\r\n--XyZ--";
	static const char utf8_esc[] = PART("a\x1b[31mb") "\xff\r\n--XyZ--";
	static const char utf8_long[] = PART(N70) "\xff\r\n--XyZ--";
	static const struct {
		int         line;
		const char *body;
		size_t      blen;
		int         code;
		const char *want;
	} cases[] = {
		{ __LINE__, nul_esc, sizeof nul_esc - 1, APIERR_BAD_ENCODING,
		    "multipart field \"a\\x1b[31mb\" contains a NUL byte, which is not allowed" },
		{ __LINE__, nul_long, sizeof nul_long - 1, APIERR_BAD_ENCODING,
		    "multipart field \"" N64 "\"... contains a NUL byte, which is not allowed" },
		{ __LINE__, utf8_esc, sizeof utf8_esc - 1, APIERR_BAD_UTF8,
		    "multipart field \"a\\x1b[31mb\" is not valid UTF-8" },
		{ __LINE__, utf8_long, sizeof utf8_long - 1, APIERR_BAD_UTF8,
		    "multipart field \"" N64 "\"... is not valid UTF-8" },
	};
#undef N70
#undef N64
#undef N8
	static const char *const env[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/x",
		"CONTENT_TYPE=" MP_CT, NULL };
	struct request r;
	struct buf err = BUF_INIT;
	size_t i;
	int rc;

	(void)state;
	request_init(&r);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		rc = parse_with(&r, env, cases[i].body, cases[i].blen, &lim_upload, &err);
		if (rc != cases[i].code)
			fail_msg("line %d: code %d, want %d (%s)", cases[i].line, rc, cases[i].code,
			    buf_cstr(&err));
		if (strcmp(buf_cstr(&err), cases[i].want) != 0)
			fail_msg("line %d: message \"%s\", want \"%s\"", cases[i].line,
			    buf_cstr(&err), cases[i].want);
	}
	request_free(&r);
	buf_free(&err);
}

/* Multipart only where the route takes uploads; raw bodies are not parsed at all. */
static void
test_body_modes(void **state)
{
	static const char mp[] = PART("a") "1\r\n--XyZ--";
	static const char *const env_mp[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/x", "CONTENT_TYPE=" MP_CT, NULL };
	static const char *const env_png[] = { "REQUEST_METHOD=PUT", "REQUEST_URI=/x?key=k", "QUERY_STRING=key=k",
		"CONTENT_TYPE=image/png; charset=latin1", NULL };
	static const char *const env_form[] = { "REQUEST_METHOD=PUT", "REQUEST_URI=/x",
		"CONTENT_TYPE=application/x-www-form-urlencoded", NULL };
	static const char *const env_none[] = { "REQUEST_METHOD=PUT", "REQUEST_URI=/x", NULL };
	struct request_limits raw = lim;
	struct request r;
	struct buf err = BUF_INIT;

	(void)state;
	raw.body = REQUEST_BODY_RAW;
	request_init(&r);
	assert_int_equal(parse_with(&r, env_mp, mp, sizeof mp - 1, &lim, &err),
	    APIERR_UNSUPPORTED_MEDIA);
	assert_non_null(strstr(buf_cstr(&err), ACCEPTED));
	assert_int_equal(parse_with(&r, env_none, "\x89PNG\0", 5, &lim_upload, &err),
	    APIERR_UNSUPPORTED_MEDIA);
	assert_non_null(strstr(buf_cstr(&err), "multipart/form-data"));
	/* Raw: any type, its charset unchecked, bytes as given, the query still parsed. */
	assert_int_equal(parse_with(&r, env_png, "\x89PNG\0", 5, &raw, &err), APIERR_OK);
	assert_string_equal(r.content_type, "image/png");
	assert_int_equal(r.body_len, 5);
	assert_memory_equal(r.body, "\x89PNG\0", 5);
	assert_string_equal(kvlist_get(&r.query_fields, "key"), "k");
	assert_int_equal(parse_with(&r, env_form, "a=1", 3, &raw, &err), APIERR_OK);
	assert_int_equal(r.body_fields.n, 0);
	assert_int_equal(parse_with(&r, env_none, "xyz", 3, &raw, &err), APIERR_OK);
	assert_int_equal(parse_with(&r, env_none, "xyz", 3, &lim, &err),
	    APIERR_UNSUPPORTED_MEDIA);
	/* The size limit holds for raw bodies too. */
	assert_int_equal(parse_with(&r, env_none, NULL, 1025, &raw, &err), APIERR_TOO_LARGE);
	/* Form and JSON bodies still work on upload routes. */
	assert_int_equal(parse_with(&r, env_form, "a=1", 3, &lim_upload, &err), APIERR_OK);
	assert_string_equal(kvlist_get(&r.body_fields, "a"), "1");
	request_free(&r);
	buf_free(&err);
}

/* Mangled multipart bodies: any answer but a crash, files always inside the body. */
static void
test_multipart_fuzz(void **state)
{
	static const char base[] = PART("csrf_token") "abc\r\n--XyZ\r\n" CD "name=\"image\"; "
	    "filename=\"p.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n--XyZ--\r\n";
	static const char *const env[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/x", "CONTENT_TYPE=" MP_CT, NULL };
	uint64_t seed = 0x6d756c7469706172ULL;
	struct request r;
	struct buf err = BUF_INIT;
	char body[sizeof base];
	size_t n, k, i, at;
	unsigned iter;
	int rc;

	(void)state;
	request_init(&r);
	for (iter = 0; iter < 5000; iter++) {
		memcpy(body, base, sizeof base);
		n = sizeof base - 1 - fuzz_below(&seed, 8) * (fuzz_below(&seed, 4) == 0);
		k = 1 + fuzz_below(&seed, 4);
		for (i = 0; i < k; i++) {
			static const char pick[] = "\r\n-\";=XyZ\0a";

			at = fuzz_below(&seed, n);
			body[at] = pick[fuzz_below(&seed, sizeof pick - 1)];
		}
		rc = parse_with(&r, env, body, n, &lim_upload, &err);
		if (!request_parse_code_known(rc))
			fail_msg("iteration %u: code %d", iter, rc);
		if (rc != APIERR_OK && (err.len == 0 || !utf8_valid(err.data, err.len)))
			fail_msg("iteration %u: bad message", iter);
		for (i = 0; i < r.nfiles; i++)
			if (r.files[i].data < body || r.files[i].data + r.files[i].len > body + n)
				fail_msg("iteration %u: file outside the body", iter);
		check_text_fields(iter, &r.body_fields);
	}
	request_free(&r);
	buf_free(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_rows_fresh),
		cmocka_unit_test(test_json_object),
		cmocka_unit_test(test_uri_limit),
		cmocka_unit_test(test_header_limit),
		cmocka_unit_test(test_header_limit_name_quoted),
		cmocka_unit_test(test_body_limit),
		cmocka_unit_test(test_message_echo),
		cmocka_unit_test(test_cookies),
		cmocka_unit_test(test_cookie_lookup),
		cmocka_unit_test(test_methods),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_https),
		cmocka_unit_test(test_reuse),
		cmocka_unit_test(test_urldecode),
		cmocka_unit_test(test_parse_urlencoded),
		cmocka_unit_test(test_fuzz),
		cmocka_unit_test(test_multipart_rows),
		cmocka_unit_test(test_multipart_binary),
		cmocka_unit_test(test_multipart_unterminated),
		cmocka_unit_test(test_multipart_name_quoted),
		cmocka_unit_test(test_body_modes),
		cmocka_unit_test(test_multipart_fuzz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
