/* test_limit.c: the write limits of an account against a real memcached started by the test:
 * each kind has its own counter and its own [limits] keys, the mentions of a write are checked
 * with it, the 429 says which limit and when, and a cache that is down lets writes through. */
#include "config.h"

#include "test.h"

#include <stdio.h>
#include <string.h>

#include "apierr.h"
#include "cache.h"
#include "ctx.h"
#include "limit.h"
#include "memcached.h"

static struct server srv;

static enum apierr
noop(struct ctx *ctx)
{
	(void)ctx;
	return APIERR_OK;
}

static const struct route routes[] = {
	{ HTTP_POST, "/api/v1/thing", ROUTE_AUTH, noop, NULL, NULL },
};
static const struct app app = { "test-limit", routes, 1 };

struct fixture {
	struct app_env env;
	struct ctx     ctx;
};

static int
start_server(void **state)
{
	(void)state;
	srv.port = free_port();
	return srv.port < 0 || server_start(&srv) != 0 ? -1 : 0;
}

static int
stop_server(void **state)
{
	(void)state;
	server_kill(&srv);
	return 0;
}

/* A process with small limits on the servers given, and a request of a fresh account. */
static struct fixture *
fixture_new(const char *servers)
{
	struct fixture *f = calloc(1, sizeof *f);
	struct buf err = BUF_INIT;
	static unsigned serial;

	conf_defaults(&f->env.conf);
	free(f->env.conf.memcached_servers);
	f->env.conf.memcached_servers = strdup(servers);
	f->env.conf.memcached_timeout_ms = 200;
	f->env.conf.limit_posts = 3;
	f->env.conf.limit_posts_window = 10800;
	f->env.conf.limit_likes = 2;
	f->env.conf.limit_likes_window = 90;
	f->env.conf.limit_mentions = 4;
	f->env.conf.limit_mentions_per_user = 2;
	f->env.cache = cache_new(&f->env.conf, &err);
	buf_free(&err);
	ctx_init(&f->ctx, &app, &f->env);
	f->ctx.user_id = ((uint64_t)getpid() << 20) + ++serial;
	return f;
}

static int
setup(void **state)
{
	*state = fixture_new(srv.addr);
	return ((struct fixture *)*state)->env.cache ? 0 : -1;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	ctx_free(&f->ctx);
	cache_free(f->env.cache);
	conf_free(&f->env.conf);
	free(f);
	return 0;
}

/* Up to the limit, then 42900 with the headers and a message naming it; other kinds are not
 * touched by it; checking alone never counts. */
static void
test_kind_limit(void **state)
{
	struct fixture *f = *state;
	int i;

	for (i = 0; i < 3; i++) {
		assert_int_equal(limit_check(&f->ctx, LIMIT_POST, NULL, 0), APIERR_OK);
		assert_int_equal(limit_check(&f->ctx, LIMIT_POST, NULL, 0), APIERR_OK);
		limit_count(&f->ctx, LIMIT_POST, NULL, 0);
	}
	assert_int_equal(limit_check(&f->ctx, LIMIT_POST, NULL, 0), APIERR_RATE_LIMITED);
	assert_non_null(strstr(buf_cstr(&f->ctx.message), "too many posts: at most 3 every 3 hours; "
	    "try again in "));
	assert_non_null(kvlist_get_ci(&f->ctx.resp.headers, "Retry-After"));
	assert_string_equal(kvlist_get_ci(&f->ctx.resp.headers, "X-RateLimit-Limit"), "3");
	assert_string_equal(kvlist_get_ci(&f->ctx.resp.headers, "X-RateLimit-Remaining"), "0");
	assert_int_equal(limit_check(&f->ctx, LIMIT_REPLY, NULL, 0), APIERR_OK);
	assert_int_equal(limit_check(&f->ctx, LIMIT_LIKE, NULL, 0), APIERR_OK);
}

/* A window that is no round number of hours is said in minutes or seconds. */
static void
test_message_units(void **state)
{
	struct fixture *f = *state;

	limit_count(&f->ctx, LIMIT_LIKE, NULL, 0);
	limit_count(&f->ctx, LIMIT_LIKE, NULL, 0);
	assert_int_equal(limit_check(&f->ctx, LIMIT_LIKE, NULL, 0), APIERR_RATE_LIMITED);
	assert_non_null(strstr(buf_cstr(&f->ctx.message), "too many likes: at most 2 every 90 "
	    "seconds"));
}

/* The mentions of a post count against the sender's total and against each mentioned account;
 * the first limit over is the one named. */
static void
test_mentions(void **state)
{
	struct fixture *f = *state;
	/* Writable, as text_post's are. */
	char b[] = "bob", c[] = "carol", d[] = "dave", e[] = "erin";
	char *bob[] = { b }, *three[] = { c, d, e };
	char msg[256];

	assert_int_equal(limit_check(&f->ctx, LIMIT_POST, bob, 1), APIERR_OK);
	limit_count(&f->ctx, LIMIT_POST, bob, 1);
	limit_count(&f->ctx, LIMIT_REPLY, bob, 1);
	/* bob twice already: a third mention of bob is refused, one of someone else is not. */
	assert_int_equal(limit_check(&f->ctx, LIMIT_REPLY, bob, 1), APIERR_RATE_LIMITED);
	snprintf(msg, sizeof msg, "%s", buf_cstr(&f->ctx.message));
	assert_non_null(strstr(msg, "too many mentions of one account: at most 2 every 1 hour"));
	assert_int_equal(limit_check(&f->ctx, LIMIT_POST, &three[0], 1), APIERR_OK);
	/* 2 mentions sent, 4 allowed: three more do not fit, whoever they name. */
	assert_int_equal(limit_check(&f->ctx, LIMIT_POST, three, 3), APIERR_RATE_LIMITED);
	assert_non_null(strstr(buf_cstr(&f->ctx.message), "too many mentions: at most 4"));
	assert_int_equal(limit_check(&f->ctx, LIMIT_POST, three, 2), APIERR_OK);
}

/* memcached down: writes pass (the cache logs it), nothing is refused. */
static void
test_cache_down_lets_writes_through(void **state)
{
	char nowhere[32];
	struct fixture *f;
	int i;

	(void)state;
	snprintf(nowhere, sizeof nowhere, "127.0.0.1:%d", free_port());
	f = fixture_new(nowhere);
	for (i = 0; i < 5; i++) {
		assert_int_equal(limit_check(&f->ctx, LIMIT_POST, NULL, 0), APIERR_OK);
		limit_count(&f->ctx, LIMIT_POST, NULL, 0);
	}
	teardown((void **)&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_kind_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_message_units, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mentions, setup, teardown),
		cmocka_unit_test(test_cache_down_lets_writes_through),
	};

	return cmocka_run_group_tests(tests, start_server, stop_server);
}
