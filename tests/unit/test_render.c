/* test_render.c: lib/app/render.h's JSON side, into the response's buffer: which requests get the
 * envelope (the route's flag; without a route, the path under /api/), the envelope of a
 * success and of each kind of error (the handler's message or the code's default, the status
 * from the code, data null), "</script>" kept from closing a page's script, a handler's own body
 * left alone, and which errors are logged (5xx, not a shed request). The HTML pages are
 * tests/golden's and the integration suite's. */
#include "config.h"

#include "test.h"

#include <stdio.h>
#include <string.h>

#include "apierr.h"
#include "buf.h"
#include "conf.h"
#include "ctx.h"
#include "log.h"
#include "render.h"

static enum apierr
noop(struct ctx *ctx)
{
	(void)ctx;
	return APIERR_OK;
}

static const struct route json_route = { HTTP_GET, "/api/v1/x", 0, noop, NULL, NULL };
static const struct route html_route = { HTTP_GET, "/x", ROUTE_HTML, noop, NULL, "home" };
static const struct app app = { "test-render", &json_route, 1 };

struct fixture {
	struct app_env env;
	struct ctx     ctx;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	conf_defaults(&f->env.conf);
	ctx_init(&f->ctx, &app, &f->env);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	ctx_free(&f->ctx);
	conf_free(&f->env.conf);
	free(f);
	return 0;
}

struct wants_row {
	int                 line;
	const struct route *route;
	const char         *path;   /* the parsed request's; NULL: none */
	const char         *uri;    /* REQUEST_URI; NULL: none */
	bool                json;
};

static const struct wants_row wants_rows[] = {
	{ __LINE__, &json_route, "/x",         NULL,       true },
	{ __LINE__, &html_route, "/api/v1/x",  NULL,       false },   /* the route decides */
	{ __LINE__, NULL,        "/api/v1/no", NULL,       true },
	{ __LINE__, NULL,        "/apix",      NULL,       false },
	{ __LINE__, NULL,        "/home",      "/api/v1/", false },   /* the path first */
	{ __LINE__, NULL,        "",           "/api/v1/", true },
	{ __LINE__, NULL,        NULL,         "/login",   false },
	/* Nothing to go by (a request that failed before its path was read): the envelope. */
	{ __LINE__, NULL,        NULL,         NULL,       true },
};

static void
test_wants_json(void **state)
{
	struct fixture *f = *state;
	char uri[64], *envp[2] = { NULL, NULL };
	size_t i;

	for (i = 0; i < sizeof wants_rows / sizeof wants_rows[0]; i++) {
		const struct wants_row *r = &wants_rows[i];

		ctx_reset(&f->ctx);
		f->ctx.route = r->route;
		f->ctx.req.path = r->path ? strdup(r->path) : NULL;
		envp[0] = NULL;
		if (r->uri != NULL) {
			snprintf(uri, sizeof uri, "REQUEST_URI=%s", r->uri);
			envp[0] = uri;
		}
		if (render_wants_json(&f->ctx, envp) != r->json)
			fail_msg("line %d: render_wants_json = %d", r->line, !r->json);
	}
}

/* The envelope in the body, parsed; its status and Content-Type checked. */
static json_object *
envelope(const struct ctx *ctx, int status)
{
	const char *body = buf_cstr(&ctx->resp.body);
	json_object *o = json_tokener_parse(body);
	struct buf head = BUF_INIT;

	if (o == NULL || !json_object_is_type(o, json_type_object))
		fail_msg("not a JSON object: %s", body);
	assert_int_equal(ctx->resp.status, status);
	response_serialize(&ctx->resp, true, &head);
	assert_non_null(strstr(buf_cstr(&head), "Content-Type: application/json; charset=utf-8"));
	buf_free(&head);
	return o;
}

static void
test_success(void **state)
{
	struct fixture *f = *state;
	json_object *data = json_object_new_object(), *o, *v;
	char *envp[] = { NULL };

	json_object_object_add(data, "n", json_object_new_int(3));
	f->ctx.route = &json_route;
	ctx_set_data(&f->ctx, data);
	render_response(&f->ctx, envp, APIERR_OK, false);
	o = envelope(&f->ctx, 200);
	assert_int_equal(json_object_get_int(json_object_object_get(o, "code")), 0);
	assert_true(json_object_object_get_ex(o, "message", &v));
	assert_true(json_object_object_get_ex(o, "data", &v));
	assert_int_equal(json_object_get_int(json_object_object_get(v, "n")), 3);
	json_object_put(o);
	/* The context still owns its data (ctx_reset releases it). */
	assert_ptr_equal(f->ctx.data, data);
}

struct error_row {
	int         line;
	int         code;
	const char *message;   /* given to ctx_fail; NULL: the code's default */
	int         status;
	bool        logged;
};

static const struct error_row error_rows[] = {
	{ __LINE__, APIERR_NOT_FOUND,   "no post 12", 404, false },
	{ __LINE__, APIERR_NOT_FOUND,   NULL,         404, false },
	{ __LINE__, APIERR_BAD_REQUEST, "bad thing",  400, false },
	{ __LINE__, APIERR_INTERNAL,    NULL,         500, true },
	{ __LINE__, APIERR_UNAVAILABLE, "shard down", 503, true },
	/* A shed request is counted and told once a period, never a line each. */
	{ __LINE__, APIERR_OVERLOADED,  "busy",       503, false },
};

static void
test_errors(void **state)
{
	struct fixture *f = *state;
	char *envp[] = { NULL }, logged[2048];
	size_t i, n;

	for (i = 0; i < sizeof error_rows / sizeof error_rows[0]; i++) {
		const struct error_row *r = &error_rows[i];
		FILE *log = tmpfile();
		json_object *o, *v;
		const char *want = r->message ? r->message : apierr_message(r->code);

		assert_non_null(log);
		ctx_reset(&f->ctx);
		f->ctx.route = &json_route;
		/* Data a handler set before failing is not sent with the error. */
		ctx_set_data(&f->ctx, json_object_new_string("half-built"));
		if (r->message != NULL)
			(void)ctx_fail(&f->ctx, r->code, "%s", r->message);
		log_set_fd(fileno(log));
		render_response(&f->ctx, envp, r->code, false);
		log_set_fd(-1);
		rewind(log);
		n = fread(logged, 1, sizeof logged - 1, log);
		logged[n] = '\0';
		fclose(log);
		o = envelope(&f->ctx, r->status);
		if (json_object_get_int(json_object_object_get(o, "code")) != r->code ||
		    strcmp(json_object_get_string(json_object_object_get(o, "message")), want) != 0)
			fail_msg("line %d: %s", r->line, buf_cstr(&f->ctx.resp.body));
		assert_true(json_object_object_get_ex(o, "data", &v));
		assert_null(v);
		if ((strstr(logged, "answering") != NULL) != r->logged)
			fail_msg("line %d: logged \"%s\"", r->line, logged);
		json_object_put(o);
	}
}

/* A message holding "</script>" cannot end a script element the envelope is put in. */
static void
test_script_escaped(void **state)
{
	struct fixture *f = *state;
	char *envp[] = { NULL };

	f->ctx.route = &json_route;
	(void)ctx_fail(&f->ctx, APIERR_BAD_REQUEST, "%s", "</script><script>alert(1)</script>");
	render_response(&f->ctx, envp, APIERR_BAD_REQUEST, false);
	assert_null(strstr(buf_cstr(&f->ctx.resp.body), "</script>"));
	assert_non_null(strstr(buf_cstr(&f->ctx.resp.body), "<\\/script>"));
}

/* A handler that wrote its own body: render leaves it as it is. */
static void
test_body_ready_untouched(void **state)
{
	struct fixture *f = *state;
	char *envp[] = { NULL };

	f->ctx.route = &json_route;
	buf_puts(&f->ctx.resp.body, "# metrics\n");
	ctx_body_ready(&f->ctx, "text/plain");
	render_response(&f->ctx, envp, APIERR_OK, false);
	assert_string_equal(buf_cstr(&f->ctx.resp.body), "# metrics\n");
	/* ... unless it failed after all: then the error is the answer. */
	render_response(&f->ctx, envp, APIERR_INTERNAL, false);
	assert_non_null(strstr(buf_cstr(&f->ctx.resp.body), "\"code\":50000"));
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_wants_json),
		T(test_success),
		T(test_errors),
		T(test_script_escaped),
		T(test_body_ready_untouched),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
