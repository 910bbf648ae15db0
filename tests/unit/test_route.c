/* test_route.c: path matching with captures, 404 versus 405, and typed, whitelisted parameters. */
#include "config.h"

#include "test.h"

#include <string.h>

#include <json-c/json.h>

#include "apierr.h"
#include "route.h"

static enum apierr
dummy(struct ctx *ctx)
{
	(void)ctx;
	return 0;
}

static const struct route table[] = {
	{ HTTP_GET,  "/api/v1/health",          0, dummy, NULL, NULL },
	{ HTTP_GET,  "/u/:username",            ROUTE_HTML, dummy, NULL, "profile" },
	{ HTTP_GET,  "/u/:username/followers",  ROUTE_HTML, dummy, NULL, "followers" },
	{ HTTP_POST, "/u/:username/follow",     ROUTE_HTML | ROUTE_CSRF, dummy, NULL, "profile" },
	{ HTTP_POST, "/api/v1/post/like",       ROUTE_AUTH, dummy, NULL, NULL },
	{ HTTP_GET,  "/",                       ROUTE_HTML, dummy, NULL, "home" },
};
#define NTABLE (sizeof table / sizeof table[0])

struct match_case {
	int              line;
	enum http_method method;
	const char      *path;
	int              want;
	int              route;     /* index in table when want is OK */
	const char      *capture;   /* username capture expected, or NULL */
	const char      *allow;     /* Allow header expected on 405 */
};

static const struct match_case match_cases[] = {
	{ __LINE__, HTTP_GET,  "/api/v1/health", APIERR_OK, 0, NULL, NULL },
	{ __LINE__, HTTP_HEAD, "/api/v1/health", APIERR_OK, 0, NULL, NULL },
	{ __LINE__, HTTP_POST, "/api/v1/health", APIERR_METHOD_NOT_ALLOWED, 0, NULL, "GET, HEAD" },
	{ __LINE__, HTTP_GET,  "/api/v1/healthx", APIERR_NOT_FOUND, 0, NULL, NULL },
	{ __LINE__, HTTP_GET,  "/api/v1/health/", APIERR_NOT_FOUND, 0, NULL, NULL },
	{ __LINE__, HTTP_GET,  "/api/v1", APIERR_NOT_FOUND, 0, NULL, NULL },
	{ __LINE__, HTTP_GET,  "/u/alice", APIERR_OK, 1, "alice", NULL },
	{ __LINE__, HTTP_GET,  "/u/alice/followers", APIERR_OK, 2, "alice", NULL },
	{ __LINE__, HTTP_POST, "/u/bob/follow", APIERR_OK, 3, "bob", NULL },
	{ __LINE__, HTTP_GET,  "/u/bob/follow", APIERR_METHOD_NOT_ALLOWED, 0, NULL, "POST" },
	{ __LINE__, HTTP_GET,  "/u/", APIERR_NOT_FOUND, 0, NULL, NULL },
	{ __LINE__, HTTP_GET,  "/u//followers", APIERR_NOT_FOUND, 0, NULL, NULL },
	{ __LINE__, HTTP_GET,  "/u/a/b", APIERR_NOT_FOUND, 0, NULL, NULL },
	{ __LINE__, HTTP_GET,  "/", APIERR_OK, 5, NULL, NULL },
	{ __LINE__, HTTP_GET,  "", APIERR_NOT_FOUND, 0, NULL, NULL },
	{ __LINE__, HTTP_GET,  "//", APIERR_NOT_FOUND, 0, NULL, NULL },
	{ __LINE__, HTTP_DELETE, "/api/v1/post/like", APIERR_METHOD_NOT_ALLOWED, 0, NULL, "POST" },
	{ __LINE__, HTTP_OTHER, "/", APIERR_METHOD_NOT_ALLOWED, 0, NULL, "GET, HEAD" },
};

static void
test_match_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof match_cases / sizeof match_cases[0]; i++) {
		const struct match_case *mc = &match_cases[i];
		struct kvlist caps = KVLIST_INIT;
		struct buf allow = BUF_INIT;
		const struct route *found;
		int rc;

		rc = route_match(table, NTABLE, mc->method, mc->path, &found, &caps, &allow);
		if (rc != mc->want)
			fail_msg("row at line %d: got %d, want %d", mc->line, rc, mc->want);
		if (rc == APIERR_OK && found != &table[mc->route])
			fail_msg("row at line %d: matched the wrong route %s", mc->line, found->pattern);
		if (rc != APIERR_OK && found != NULL)
			fail_msg("row at line %d: a route was returned with an error", mc->line);
		if (mc->capture && (kvlist_get(&caps, "username") == NULL ||
		    strcmp(kvlist_get(&caps, "username"), mc->capture) != 0))
			fail_msg("row at line %d: capture %s missing", mc->line, mc->capture);
		if (!mc->capture && caps.n != 0)
			fail_msg("row at line %d: stray captures left behind", mc->line);
		if (mc->allow && strcmp(buf_cstr(&allow), mc->allow) != 0)
			fail_msg("row at line %d: Allow \"%s\", want \"%s\"", mc->line, buf_cstr(&allow),
			    mc->allow);
		kvlist_free(&caps);
		buf_free(&allow);
	}
}

static const char *const colours[] = { "red", "green", NULL };

static const struct param_spec specs[] = {
	{ "name",   PARAM_STRING, PARAM_REQUIRED, 1, 5, NULL },
	{ "count",  PARAM_INT,    0, -10, 100, NULL },
	{ "id",     PARAM_ID,     0, 0, 0, NULL },
	{ "flag",   PARAM_BOOL,   0, 0, 0, NULL },
	{ "colour", PARAM_ENUM,   0, 0, 0, colours },
	{ "cursor", PARAM_CURSOR, 0, 0, 0, NULL },
	PARAM_END
};

static const struct route get_route = { HTTP_GET, "/x", 0, dummy, specs, NULL };
static const struct route post_route = { HTTP_POST, "/x", 0, dummy, specs, NULL };

struct param_case {
	int         line;
	const char *query;   /* "a=1&b=2" style, split by hand below (no decoding needed here) */
	int         want;
	const char *expect;  /* a piece of the error message, or NULL */
};

static const struct param_case param_cases[] = {
	{ __LINE__, "name=abc", APIERR_OK, NULL },
	{ __LINE__, "name=\xe4\xb8\xad\xe6\x96\x87\xe5\xad\x97\xe7\xac\xa6\xe4\xb8\xb2", APIERR_OK, NULL },
	{ __LINE__, "", APIERR_MISSING_PARAM, "\"name\" is required" },
	{ __LINE__, "name=", APIERR_INVALID_PARAM, "1 to 5 characters" },
	{ __LINE__, "name=abcdef", APIERR_INVALID_PARAM, "got 6" },
	{ __LINE__, "name=a&name=b", APIERR_INVALID_PARAM, "more than once" },
	{ __LINE__, "name=a&count=100", APIERR_OK, NULL },
	{ __LINE__, "name=a&count=-10", APIERR_OK, NULL },
	{ __LINE__, "name=a&count=101", APIERR_INVALID_PARAM, "\"count\" must be a whole number" },
	{ __LINE__, "name=a&count=1e3", APIERR_INVALID_PARAM, "\"count\"" },
	{ __LINE__, "name=a&count= 5", APIERR_INVALID_PARAM, "\"count\"" },
	{ __LINE__, "name=a&count=+5", APIERR_INVALID_PARAM, "\"count\"" },
	{ __LINE__, "name=a&count=-", APIERR_INVALID_PARAM, "\"count\"" },
	{ __LINE__, "name=a&count=99999999999999999999", APIERR_INVALID_PARAM, "\"count\"" },
	{ __LINE__, "name=a&id=18446744073709551615", APIERR_OK, NULL },
	{ __LINE__, "name=a&id=18446744073709551616", APIERR_INVALID_PARAM, "\"id\" must be an id" },
	{ __LINE__, "name=a&id=0", APIERR_INVALID_PARAM, "\"id\"" },
	{ __LINE__, "name=a&id=-1", APIERR_INVALID_PARAM, "\"id\"" },
	{ __LINE__, "name=a&id=12ab", APIERR_INVALID_PARAM, "\"id\"" },
	{ __LINE__, "name=a&flag=1", APIERR_OK, NULL },
	{ __LINE__, "name=a&flag=false", APIERR_OK, NULL },
	{ __LINE__, "name=a&flag=2", APIERR_INVALID_PARAM, "\"flag\" must be 1 or 0" },
	{ __LINE__, "name=a&colour=green", APIERR_OK, NULL },
	{ __LINE__, "name=a&colour=blue", APIERR_INVALID_PARAM, "one of: red green" },
	{ __LINE__, "name=a&undeclared=zzz", APIERR_OK, NULL },
	{ __LINE__, "name=a&cursor=", APIERR_OK, NULL },
	{ __LINE__, "name=a&cursor=-1", APIERR_OK, NULL },
	{ __LINE__, "name=a&cursor=18446744073709551615", APIERR_OK, NULL },
	{ __LINE__, "name=a&cursor=-2", APIERR_INVALID_PARAM, "\"cursor\" must be the cursor" },
	{ __LINE__, "name=a&cursor=0", APIERR_INVALID_PARAM, "or -1" },
	{ __LINE__, "name=a&cursor=1x", APIERR_INVALID_PARAM, "\"cursor\"" },
	{ __LINE__, "name=a&cursor=18446744073709551616", APIERR_INVALID_PARAM, "\"cursor\"" },
};

/* Splits "a=1&b=2" into fields without decoding (request.c's job, tested there). */
static void
split(const char *q, struct kvlist *out)
{
	while (*q) {
		size_t n = strcspn(q, "&"), eq = strcspn(q, "=");
		char name[64];

		if (eq > n)
			eq = n;
		memcpy(name, q, eq);
		name[eq] = '\0';
		kvlist_add(out, name, q + (eq < n ? eq + 1 : eq), eq < n ? n - eq - 1 : 0);
		q += n + (q[n] == '&');
	}
}

static void
test_param_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof param_cases / sizeof param_cases[0]; i++) {
		const struct param_case *pc = &param_cases[i];
		struct request req;
		struct params p;
		struct buf err = BUF_INIT;
		int rc;

		request_init(&req);
		req.method = HTTP_GET;
		split(pc->query, &req.query_fields);
		rc = route_params(&get_route, &req, &p, &err);
		if (rc != pc->want)
			fail_msg("row at line %d: got %d (%s), want %d", pc->line, rc, buf_cstr(&err),
			    pc->want);
		if (pc->expect && strstr(buf_cstr(&err), pc->expect) == NULL)
			fail_msg("row at line %d: message \"%s\" lacks \"%s\"", pc->line, buf_cstr(&err),
			    pc->expect);
		if (rc == APIERR_OK && params_get(&p, "undeclared") != NULL)
			fail_msg("row at line %d: an undeclared field got through", pc->line);
		request_reset(&req);
		request_free(&req);
		buf_free(&err);
	}
}

static void
test_typed_accessors(void **state)
{
	struct request req;
	struct params p;
	struct buf err = BUF_INIT;

	(void)state;
	request_init(&req);
	req.method = HTTP_GET;
	split("name=abc&count=-7&id=123456789012345678&flag=true&colour=red", &req.query_fields);
	assert_int_equal(route_params(&get_route, &req, &p, &err), APIERR_OK);
	assert_string_equal(params_str(&p, "name"), "abc");
	assert_int_equal(params_int(&p, "count", 0), -7);
	assert_true(params_id(&p, "id") == 123456789012345678ULL);
	assert_true(params_bool(&p, "flag", false));
	assert_string_equal(params_str(&p, "colour"), "red");
	assert_null(params_str(&p, "missing"));
	assert_int_equal(params_int(&p, "missing", 42), 42);
	assert_true(params_id(&p, "missing") == 0);
	request_free(&req);
	buf_free(&err);
}

/* params_cursor: the first page, a page below an ID, and the end, told apart. */
static void
test_cursor_accessor(void **state)
{
	static const struct { const char *query; bool end; uint64_t below; } cases[] = {
		{ "name=a", false, 0 },
		{ "name=a&cursor=", false, 0 },
		{ "name=a&cursor=977", false, 977 },
		{ "name=a&cursor=-1", true, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct request req;
		struct params p;
		struct buf err = BUF_INIT;
		uint64_t below = 5;

		request_init(&req);
		req.method = HTTP_GET;
		split(cases[i].query, &req.query_fields);
		assert_int_equal(route_params(&get_route, &req, &p, &err), APIERR_OK);
		assert_int_equal(params_cursor(&p, "cursor", &below), cases[i].end);
		assert_true(below == cases[i].below);
		/* A parameter of another type is no cursor: the first page, whatever it holds. */
		assert_false(params_cursor(&p, "name", &below));
		assert_true(below == 0);
		request_free(&req);
		buf_free(&err);
	}
}

/* A POST takes its parameters from the body, never the query string. */
static void
test_post_reads_body_only(void **state)
{
	struct request req;
	struct params p;
	struct buf err = BUF_INIT;

	(void)state;
	request_init(&req);
	req.method = HTTP_POST;
	split("name=qry", &req.query_fields);
	assert_int_equal(route_params(&post_route, &req, &p, &err), APIERR_MISSING_PARAM);
	split("name=body", &req.body_fields);
	buf_reset(&err);
	assert_int_equal(route_params(&post_route, &req, &p, &err), APIERR_OK);
	assert_string_equal(params_str(&p, "name"), "body");
	request_free(&req);
	buf_free(&err);
}

/* A JSON body member that is an object or array is refused with its name, not silently missing. */
static void
test_json_nested_value_is_refused(void **state)
{
	struct request req;
	struct params p;
	struct buf err = BUF_INIT;

	(void)state;
	request_init(&req);
	req.method = HTTP_POST;
	req.json = json_tokener_parse("{\"name\": {\"a\": 1}}");
	assert_int_equal(route_params(&post_route, &req, &p, &err), APIERR_INVALID_PARAM);
	assert_non_null(strstr(buf_cstr(&err), "\"name\" must be a string or a number"));
	request_free(&req);
	buf_free(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match_table),
		cmocka_unit_test(test_param_table),
		cmocka_unit_test(test_typed_accessors),
		cmocka_unit_test(test_cursor_accessor),
		cmocka_unit_test(test_post_reads_body_only),
		cmocka_unit_test(test_json_nested_value_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
