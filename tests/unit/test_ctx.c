/* test_ctx.c: lib/http/ctx.h: a context starts empty in the first language; ctx_reset leaves
 * nothing of a request for the next (user, session, parameters, captures, data, messages, headers,
 * tokens) but keeps the process's app and env; ctx_fail's message, replaced or cleared;
 * ctx_set_data releasing what it replaces; the helpers that write the response (redirect, a
 * handler's own body, cookies: a value that is not cookie-safe is refused, not sent). */
#include "config.h"

#include "test.h"

#include <stdio.h>
#include <string.h>

#include "apierr.h"
#include "buf.h"
#include "conf.h"
#include "ctx.h"
#include "log.h"

static const struct app app = { "test-ctx", NULL, 0 };

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

/* The response's head as it would be sent, into out (emptied first). */
static void
head_of(const struct ctx *ctx, struct buf *out)
{
	buf_reset(out);
	buf_puts(out, "");
	response_serialize(&ctx->resp, true, out);
}

static void
test_init(void **state)
{
	struct fixture *f = *state;

	assert_ptr_equal(f->ctx.app, &app);
	assert_ptr_equal(f->ctx.env, &f->env);
	assert_string_equal(f->ctx.lang, "en");
	assert_int_equal(f->ctx.user_id, 0);
	assert_null(f->ctx.data);
	assert_null(f->ctx.route);
	assert_int_equal(f->ctx.message.len, 0);
	assert_null(ctx_capture(&f->ctx, "id"));
}

/* A request's every trace, then ctx_reset: nothing of it is left. */
static void
test_reset_leaves_nothing(void **state)
{
	struct fixture *f = *state;
	struct ctx *c = &f->ctx;
	static const struct route r = { HTTP_GET, "/x/:id", 0, NULL, NULL, NULL };
	struct buf head = BUF_INIT;

	c->route = &r;
	kvlist_add(&c->captures, "id", "42", 2);
	c->params.n = 3;
	c->user_id = 77;
	c->session.user_id = 77;
	snprintf(c->session.jti, sizeof c->session.jti, "abcdef");
	c->session.iat = 1;
	c->session.exp = 2;
	c->auth_cookie = true;
	c->lang = "zh";
	snprintf(c->request_id, sizeof c->request_id, "req-1");
	assert_int_equal(ctx_csrf_rotate(c), 0);
	c->csrf_cookie_ok = true;
	ctx_body_ready(c, "text/plain");
	ctx_set_data(c, json_object_new_string("data"));
	(void)ctx_fail(c, APIERR_BAD_REQUEST, "bad %s", "thing");
	buf_puts(&c->scratch, "scratch");
	buf_puts(&c->shown_path, "/shown");
	ctx_cookie(c, "k", "v", 60);
	log_set_request_id("req-1");
	assert_string_equal(ctx_capture(c, "id"), "42");

	ctx_reset(c);
	assert_ptr_equal(c->app, &app);
	assert_ptr_equal(c->env, &f->env);
	assert_null(c->route);
	assert_null(ctx_capture(c, "id"));
	assert_int_equal(c->params.n, 0);
	assert_int_equal(c->user_id, 0);
	assert_int_equal(c->session.user_id, 0);
	assert_string_equal(c->session.jti, "");
	assert_int_equal(c->session.iat, 0);
	assert_int_equal(c->session.exp, 0);
	assert_false(c->auth_cookie);
	assert_string_equal(c->lang, "en");
	assert_string_equal(c->request_id, "");
	assert_string_equal(c->csrf_token, "");
	assert_false(c->csrf_cookie_ok);
	assert_false(c->body_ready);
	assert_null(c->data);
	assert_int_equal(c->message.len, 0);
	assert_int_equal(c->scratch.len, 0);
	assert_int_equal(c->shown_path.len, 0);
	assert_true(log_request_id() == NULL || log_request_id()[0] == '\0');
	head_of(c, &head);
	assert_null(strstr(buf_cstr(&head), "Set-Cookie"));
	assert_null(strstr(buf_cstr(&head), "text/plain"));
	buf_free(&head);
}

static void
test_fail(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(ctx_fail(&f->ctx, APIERR_NOT_FOUND, "no post %d", 12), APIERR_NOT_FOUND);
	assert_string_equal(buf_cstr(&f->ctx.message), "no post 12");
	/* A second failure replaces the first message; NULL leaves the code's default (none). */
	assert_int_equal(ctx_fail(&f->ctx, APIERR_FORBIDDEN, "%s", "not yours"), APIERR_FORBIDDEN);
	assert_string_equal(buf_cstr(&f->ctx.message), "not yours");
	assert_int_equal(ctx_fail(&f->ctx, APIERR_UNAVAILABLE, NULL), APIERR_UNAVAILABLE);
	assert_int_equal(f->ctx.message.len, 0);
}

/* The data replaced is released (the sanitizers' leak check sees it otherwise). */
static void
test_set_data(void **state)
{
	struct fixture *f = *state;
	json_object *a = json_object_new_object(), *b = json_object_new_array();

	ctx_set_data(&f->ctx, a);
	assert_ptr_equal(f->ctx.data, a);
	ctx_set_data(&f->ctx, b);
	assert_ptr_equal(f->ctx.data, b);
	ctx_set_data(&f->ctx, NULL);
	assert_null(f->ctx.data);
}

static void
test_response_helpers(void **state)
{
	struct fixture *f = *state;
	struct buf head = BUF_INIT;

	ctx_redirect(&f->ctx, "/home");
	head_of(&f->ctx, &head);
	assert_non_null(strstr(buf_cstr(&head), "303"));
	assert_non_null(strstr(buf_cstr(&head), "Location: /home\r\n"));
	ctx_reset(&f->ctx);

	ctx_body_ready(&f->ctx, "text/plain; version=0.0.4");
	assert_true(f->ctx.body_ready);
	head_of(&f->ctx, &head);
	assert_non_null(strstr(buf_cstr(&head), "Content-Type: text/plain; version=0.0.4\r\n"));
	ctx_reset(&f->ctx);

	/* Starling's flags; Secure only under HTTPS. */
	ctx_cookie(&f->ctx, "lang", "zh", 3600);
	head_of(&f->ctx, &head);
	assert_non_null(strstr(buf_cstr(&head), "Set-Cookie: lang=zh"));
	assert_non_null(strstr(buf_cstr(&head), "HttpOnly"));
	assert_non_null(strstr(buf_cstr(&head), "SameSite=Lax"));
	assert_null(strstr(buf_cstr(&head), "Secure"));
	ctx_reset(&f->ctx);
	f->env.conf.https = true;
	ctx_cookie(&f->ctx, "lang", "zh", 3600);
	head_of(&f->ctx, &head);
	assert_non_null(strstr(buf_cstr(&head), "Secure"));
	f->env.conf.https = false;
	ctx_reset(&f->ctx);
	buf_free(&head);
}

/* A value that would break the header (a ';', a line break) is not sent at all. */
static void
test_cookie_refused(void **state)
{
	struct fixture *f = *state;
	struct buf head = BUF_INIT;
	char logged[1024];
	FILE *log = tmpfile();
	size_t n;

	assert_non_null(log);
	log_set_fd(fileno(log));
	ctx_cookie(&f->ctx, "k", "a;b", 60);
	ctx_cookie(&f->ctx, "k", "a\r\nSet-Cookie: evil=1", 60);
	log_set_fd(-1);
	rewind(log);
	n = fread(logged, 1, sizeof logged - 1, log);
	logged[n] = '\0';
	fclose(log);
	head_of(&f->ctx, &head);
	assert_null(strstr(buf_cstr(&head), "Set-Cookie"));
	assert_non_null(strstr(logged, "cookie k not set"));
	buf_free(&head);
}

static void
test_csrf_rotate(void **state)
{
	struct fixture *f = *state;
	char first[CSRF_TOKEN_LEN + 1];

	f->ctx.csrf_cookie_ok = true;
	assert_int_equal(ctx_csrf_rotate(&f->ctx), 0);
	assert_int_equal(strlen(f->ctx.csrf_token), CSRF_TOKEN_LEN);
	/* The browser must be given the new token: it does not hold it yet. */
	assert_false(f->ctx.csrf_cookie_ok);
	memcpy(first, f->ctx.csrf_token, sizeof first);
	assert_int_equal(ctx_csrf_rotate(&f->ctx), 0);
	assert_string_not_equal(first, f->ctx.csrf_token);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_init),
		T(test_reset_leaves_nothing),
		T(test_fail),
		T(test_set_data),
		T(test_response_helpers),
		T(test_cookie_refused),
		T(test_csrf_rotate),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
