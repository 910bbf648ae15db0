/* test_ratelimit.c: the sliding-window limits against a real memcached started by the test: what
 * a window lets through, the boundary a fixed window would let twice the limit across, that
 * Retry-After is exactly when the next event fits, several limits and several events at once,
 * and that a cache that is down lets events through. Times are given, never read from the
 * clock, so every case is the same on every run. */
#include "config.h"

#include "test.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cache.h"
#include "conf.h"
#include "log.h"
#include "memcached.h"
#include "ratelimit.h"

/* A window starts at a multiple of its length: T0, a multiple of a week, is one for every
 * window below. */
#define T0 ((time_t)1800000000 - (time_t)1800000000 % 604800)

static struct server srv;

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

struct fixture {
	struct conf   conf;
	struct cache *cache;
	char          key[64];   /* the limited key, fresh in each test */
};

/* The cache of one process, on the list of servers given. */
static struct fixture *
fixture_new(const char *servers)
{
	struct fixture *f = calloc(1, sizeof *f);
	struct buf err = BUF_INIT;
	static unsigned serial;

	conf_defaults(&f->conf);
	free(f->conf.memcached_servers);
	f->conf.memcached_servers = strdup(servers);
	f->conf.memcached_timeout_ms = 200;
	f->cache = cache_new(&f->conf, &err);
	buf_free(&err);
	snprintf(f->key, sizeof f->key, "who-%ld-%u", (long)getpid(), ++serial);
	return f;
}

static int
setup(void **state)
{
	*state = fixture_new(srv.addr);
	return ((struct fixture *)*state)->cache ? 0 : -1;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	cache_free(f->cache);
	conf_free(&f->conf);
	free(f);
	return 0;
}

/* Hits at time t until one is refused (at most max): how many passed. */
static unsigned
hits_until_refused(struct fixture *f, const struct ratelimit *rl, time_t t, unsigned max)
{
	struct ratelimit_state st;
	unsigned n = 0;

	for (; n < max; n++) {
		ratelimit_hit(f->cache, rl, f->key, t, &st);
		if (st.over)
			break;
	}
	return n;
}

/* Within one window: peek never counts; the limit is reached; a refused hit is not counted (the
 * count stays where it was); the headers say so. */
static void
test_within_a_window(void **state)
{
	struct fixture *f = *state;
	struct ratelimit rl = { "test", 3, 60 };
	struct ratelimit_state st;
	struct response resp;
	time_t now = T0 + 7;
	int i;

	for (i = 0; i < 3; i++) {
		ratelimit_peek(f->cache, &rl, f->key, now, &st);
		assert_false(st.over);
		assert_int_equal(st.remaining, 3 - i);
		ratelimit_hit(f->cache, &rl, f->key, now, &st);
		assert_false(st.over);
		assert_int_equal(st.remaining, 2 - i);
	}
	ratelimit_peek(f->cache, &rl, f->key, now, &st);
	assert_true(st.over);
	for (i = 0; i < 5; i++)
		ratelimit_hit(f->cache, &rl, f->key, now, &st);
	assert_true(st.over);
	/* 3 counted, not 8: in the next window these 3 weigh as much of them as is still inside
	 * the last 60 s, and one more event fits once a third has left, 20 s after the
	 * boundary... */
	assert_int_equal(st.retry_after, 60 - 7 + 20);
	response_init(&resp);
	ratelimit_headers(&st, now, &resp);
	assert_string_equal(kvlist_get_ci(&resp.headers, "Retry-After"), "73");
	assert_string_equal(kvlist_get_ci(&resp.headers, "X-RateLimit-Remaining"), "0");
	assert_string_equal(kvlist_get_ci(&resp.headers, "X-RateLimit-Limit"), "3");
	response_free(&resp);
	/* ... and not a second before. */
	ratelimit_peek(f->cache, &rl, f->key, now + 72, &st);
	assert_true(st.over);
	ratelimit_peek(f->cache, &rl, f->key, now + 73, &st);
	assert_false(st.over);
	/* Two windows later everything counted is gone. */
	ratelimit_peek(f->cache, &rl, f->key, T0 + 120, &st);
	assert_int_equal(st.remaining, 3);
}

/* The boundary: 10 events in the last second of a window, then 10 in the first seconds of the
 * next. A fixed window lets all 20 through; the sliding one lets the second 10 in only as the
 * first 10 leave it, one every 6 s. */
static void
test_boundary_holds(void **state)
{
	struct fixture *f = *state;
	struct ratelimit rl = { "test", 10, 60 };
	struct ratelimit_state st;
	unsigned total;
	time_t t;

	assert_int_equal(hits_until_refused(f, &rl, T0 + 59, 20), 10);
	total = 10;
	for (t = T0 + 60; t < T0 + 66; t++)
		total += hits_until_refused(f, &rl, t, 20);
	assert_int_equal(total, 10);
	ratelimit_hit(f->cache, &rl, f->key, T0 + 65, &st);
	assert_true(st.over);
	assert_int_equal(st.retry_after, 1);
	assert_int_equal(hits_until_refused(f, &rl, T0 + 66, 20), 1);
	total++;
	/* The rest of the window: one more each time another of the first 10 has left. */
	for (t = T0 + 67; t < T0 + 120; t++)
		total += hits_until_refused(f, &rl, t, 20);
	assert_int_equal(total, 19);
}

/* Retry-After is the first second at which the events asked for fit: still over one second
 * before it, fits at it. Each row counts events at two times, then asks at a third. */
static void
test_retry_after_is_exact(void **state)
{
	static const struct {
		int      line;
		unsigned limit, window;
		unsigned before, after;   /* events counted at T0 + at1, at T0 + window + at2 */
		unsigned at1, at2, ask_at, n;
	} rows[] = {
		{ __LINE__, 10,  60,  10, 0,  59, 0,  60, 1 },
		{ __LINE__, 10,  60,  10, 0,  0,  0,  65, 3 },
		{ __LINE__, 10,  60,  5,  6,  30, 10, 75, 1 },
		{ __LINE__, 10,  60,  0,  10, 0,  0,  61, 1 },
		{ __LINE__, 300, 10800, 300, 0, 100, 0, 10800, 1 },
		{ __LINE__, 5,   3600, 2,  3,  10, 20, 3700, 5 },
		{ __LINE__, 1,   1,   1,  0,  0,  0,  1,  1 },
		{ __LINE__, 3,   60,  3,  0,  0,  0,  70, 4 },   /* more than the whole limit */
	};
	struct fixture *f = *state;
	size_t i;

	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct ratelimit rl = { "retry", rows[i].limit, rows[i].window };
		struct ratelimit_ask a = { &rl, f->key, rows[i].n, { 0 } };
		time_t ask = T0 + (time_t)rows[i].ask_at;
		unsigned r;

		snprintf(f->key, sizeof f->key, "retry-%ld-%d", (long)getpid(), rows[i].line);
		ratelimit_add(f->cache, &rl, f->key, rows[i].before, T0 + (time_t)rows[i].at1);
		ratelimit_add(f->cache, &rl, f->key, rows[i].after,
		    T0 + (time_t)(rows[i].window + rows[i].at2));
		if (ratelimit_peek_many(f->cache, &a, 1, ask) == NULL)
			fail_msg("line %d: not over", rows[i].line);
		r = a.st.retry_after;
		assert_true(r >= 1);
		if (rows[i].n > rows[i].limit) {
			/* Never fits: the answer is when everything counted has left. */
			assert_non_null(ratelimit_peek_many(f->cache, &a, 1, ask + (time_t)r));
			continue;
		}
		if (ratelimit_peek_many(f->cache, &a, 1, ask + (time_t)r - 1) == NULL)
			fail_msg("line %d: fits at %u s, before Retry-After %u", rows[i].line, r - 1, r);
		if (ratelimit_peek_many(f->cache, &a, 1, ask + (time_t)r) != NULL)
			fail_msg("line %d: still over at Retry-After %u", rows[i].line, r);
	}
}

/* Several limits in one multi-get, and several events at once (a post's mentions): the first
 * that is over is named; n events fit only when all of them do. */
static void
test_many_and_n(void **state)
{
	struct fixture *f = *state;
	struct ratelimit posts = { "posts", 100, 60 }, mentions = { "mentions", 5, 60 };
	struct ratelimit_ask a[2] = {
		{ &posts, f->key, 1, { 0 } },
		{ &mentions, f->key, 3, { 0 } },
	};
	time_t now = T0 + 1;

	assert_null(ratelimit_peek_many(f->cache, a, 2, now));
	ratelimit_add(f->cache, &mentions, f->key, 3, now);
	assert_ptr_equal(ratelimit_peek_many(f->cache, a, 2, now), &a[1]);
	assert_false(a[0].st.over);
	assert_int_equal(a[1].st.remaining, 2);
	a[1].n = 2;
	assert_null(ratelimit_peek_many(f->cache, a, 2, now));
	a[1].n = 6;      /* more than the whole limit: never */
	assert_ptr_equal(ratelimit_peek_many(f->cache, a, 2, now), &a[1]);
	assert_int_equal(a[1].st.retry_after, 119);
}

/* A cache that is down lets everything through, and says so in the log, naming the limit:
 * locking every user out because memcached is gone would be worse than a while without
 * limits. */
static void
test_cache_down_lets_through(void **state)
{
	struct ratelimit rl = { "down-kind", 1, 60 };
	struct ratelimit_state st;
	char nowhere[32], logged[4096];
	struct fixture *f;
	FILE *log = tmpfile();
	size_t n;

	(void)state;
	assert_non_null(log);
	snprintf(nowhere, sizeof nowhere, "127.0.0.1:%d", free_port());
	f = fixture_new(nowhere);
	assert_non_null(f->cache);
	log_set_fd(fileno(log));
	ratelimit_hit(f->cache, &rl, f->key, T0, &st);
	assert_false(st.over);
	ratelimit_hit(f->cache, &rl, f->key, T0, &st);
	assert_false(st.over);
	ratelimit_peek(f->cache, &rl, f->key, T0, &st);
	assert_false(st.over);
	log_set_fd(-1);
	rewind(log);
	n = fread(logged, 1, sizeof logged - 1, log);
	logged[n] = '\0';
	fclose(log);
	assert_non_null(strstr(logged, "rate limit down-kind: cache unavailable; not enforced"));
	teardown((void **)&f);
}

/* Keys that memcached would refuse (blanks, control characters, non-ASCII) are made printable,
 * so a limit on a name as typed still counts. */
static void
test_unprintable_keys_count(void **state)
{
	struct fixture *f = *state;
	struct ratelimit rl = { "test", 1, 60 };
	struct ratelimit_state st;

	ratelimit_hit(f->cache, &rl, "a b\n\xc3\xa9", T0, &st);
	assert_false(st.over);
	ratelimit_hit(f->cache, &rl, "a b\n\xc3\xa9", T0, &st);
	assert_true(st.over);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_within_a_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_boundary_holds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retry_after_is_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_and_n, setup, teardown),
		cmocka_unit_test(test_cache_down_lets_through),
		cmocka_unit_test_setup_teardown(test_unprintable_keys_count, setup, teardown),
	};

	return cmocka_run_group_tests(tests, start_server, stop_server);
}
