/* test_cache.c: the memcached layer against two real memcached servers started by the test: plain
 * operations, multi-get, cache-aside with negative caching and leases, the stale-fill race, and
 * failed nodes: a node that is killed or hangs is taken out of the ring, its keys go to the other
 * node, it comes back emptied after dead_timeout, and no read returns a value older than the
 * last delete. A cache failure makes things slower, never wrong. */
#include "config.h"

#include "test.h"

#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "clock.h"
#include "memcached.h"
#include "conf.h"

/* Short timeouts keep the failure tests at a few seconds. */
#define TEST_TIMEOUT_MS   200
#define TEST_DEAD_TIMEOUT 1
/* Long enough for dead_timeout to have passed when a test waits for a node to come back. */
#define PAST_DEAD_TIMEOUT_MS (TEST_DEAD_TIMEOUT * 1000 + 150)

/* The two servers: A (index 0) is the one the failure tests kill, hang and bring back. */
static struct server srv[2];
static char servers[80];   /* "127.0.0.1:a, 127.0.0.1:b", the pool */

/* Starts both servers, each on a loopback port free at run time (A's before B's is chosen, so
 * they differ), and checks that the pool answers. */
static int
start_servers(void **state)
{
	struct conf conf;
	struct buf err = BUF_INIT;
	struct cache *c;
	size_t i;
	int rc = 0;

	(void)state;
	for (i = 0; i < 2; i++) {
		srv[i].port = free_port();
		if (srv[i].port < 0 || server_start(&srv[i]) != 0)
			return -1;
	}
	snprintf(servers, sizeof servers, "%s, %s", srv[0].addr, srv[1].addr);
	conf_defaults(&conf);
	free(conf.memcached_servers);
	conf.memcached_servers = strdup(servers);
	c = cache_new(&conf, &err);
	if (c == NULL || cache_ping(c, &err) != 0)
		rc = -1;
	cache_free(c);
	conf_free(&conf);
	buf_free(&err);
	return rc;
}

static int
stop_servers(void **state)
{
	(void)state;
	server_kill(&srv[0]);   /* SIGKILL ends a stopped process too */
	server_kill(&srv[1]);
	return 0;
}

/* The configuration of one process: the given servers, short timeouts. */
static void
test_conf(struct conf *conf, const char *list, long dead_timeout)
{
	conf_defaults(conf);
	free(conf->memcached_servers);
	conf->memcached_servers = strdup(list);
	conf->memcached_timeout_ms = TEST_TIMEOUT_MS;
	conf->memcached_dead_timeout = dead_timeout;
}

/* The pool as a process sees it, and, to see where a key lives, one cache per server that knows
 * only that server. */
struct fixture {
	struct conf   conf;
	struct cache *cache;
	struct conf   only_conf[2];
	struct cache *only[2];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	struct buf err = BUF_INIT;
	size_t i;

	test_conf(&f->conf, servers, TEST_DEAD_TIMEOUT);
	f->cache = cache_new(&f->conf, &err);
	assert_non_null(f->cache);
	for (i = 0; i < 2; i++) {
		test_conf(&f->only_conf[i], srv[i].addr, TEST_DEAD_TIMEOUT);
		f->only[i] = cache_new(&f->only_conf[i], &err);
		assert_non_null(f->only[i]);
	}
	buf_free(&err);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	size_t i;

	cache_free(f->cache);
	conf_free(&f->conf);
	for (i = 0; i < 2; i++) {
		cache_free(f->only[i]);
		conf_free(&f->only_conf[i]);
	}
	free(f);
	return 0;
}

/* Keys unique per test run, so runs never see each other's values. */
static const char *
key(const char *name)
{
	static char k[128];

	snprintf(k, sizeof k, "test:%ld:%s", (long)getpid(), name);
	return k;
}

static void
test_set_get_delete(void **state)
{
	struct fixture *f = *state;
	struct buf out = BUF_INIT;
	static const char bin[] = { 'a', '\0', 'b' };

	assert_int_equal(cache_get(f->cache, key("a"), &out), 0);
	assert_int_equal(cache_set(f->cache, key("a"), bin, sizeof bin, 60), 1);
	assert_int_equal(cache_get(f->cache, key("a"), &out), 1);
	assert_int_equal(out.len, 3);
	assert_memory_equal(out.data, bin, 3);
	assert_int_equal(cache_delete(f->cache, key("a")), 1);
	assert_int_equal(cache_delete(f->cache, key("a")), 1);  /* gone already: still fine */
	buf_reset(&out);
	assert_int_equal(cache_get(f->cache, key("a"), &out), 0);
	buf_free(&out);
}

/* Append (the cached timelines' pushes): never creates a key, adds to an existing value, which
 * a cache-aside fill then reads whole; a lease being filled is spoiled, not completed. */
static int
load_abc(void *arg, struct buf *out)
{
	(void)arg;
	buf_puts(out, "abc");
	return 1;
}

static void
test_append(void **state)
{
	struct fixture *f = *state;
	struct buf out = BUF_INIT;

	assert_int_equal(cache_append(f->cache, key("ap"), "x", 1), 0);
	assert_int_equal(cache_get(f->cache, key("ap"), &out), 0);   /* not created */
	assert_int_equal(cache_set(f->cache, key("ap"), "ab", 2, 60), 1);
	assert_int_equal(cache_append(f->cache, key("ap"), "c\0d", 3), 1);
	assert_int_equal(cache_append(f->cache, key("ap"), "e", 1), 1);
	assert_int_equal(cache_get(f->cache, key("ap"), &out), 1);
	assert_int_equal(out.len, 6);
	assert_memory_equal(out.data, "abc\0de", 6);
	/* A value filled by cache_get_or_load takes appends too. */
	assert_int_equal(cache_get_or_load(f->cache, key("ap2"), 60, load_abc, NULL, &out), 1);
	assert_int_equal(cache_append(f->cache, key("ap2"), "d", 1), 1);
	buf_reset(&out);
	assert_int_equal(cache_get_or_load(f->cache, key("ap2"), 60, load_abc, NULL, &out), 1);
	assert_string_equal(buf_cstr(&out), "abcd");
	assert_int_equal(cache_append(f->cache, "bad key", "x", 1), -1);
	buf_free(&out);
}

/* Counters (lib/http/ratelimit.c's storage): created at 1, counted up, read without counting. */
static void
test_counters(void **state)
{
	struct fixture *f = *state;
	uint64_t v = 99;
	int i;

	assert_int_equal(cache_counter(f->cache, key("n"), &v), 0);
	assert_int_equal(v, 0);
	for (i = 1; i <= 5; i++) {
		assert_int_equal(cache_incr(f->cache, key("n"), 60, &v), 1);
		assert_int_equal(v, (uint64_t)i);
	}
	assert_int_equal(cache_counter(f->cache, key("n"), &v), 1);
	assert_int_equal(v, 5);
	assert_int_equal(cache_incr(f->cache, "bad key", 60, &v), -1);
}

/* Counters read in one multi-get: never from the memo (another process may have counted since),
 * absent ones 0, counted by more than one; a refused key fails the batch. */
static void
test_counters_many(void **state)
{
	struct fixture *f = *state;
	char k1[128], k2[128], k3[128];
	const char *keys[3] = { k1, k2, k3 };
	uint64_t v[3], one;

	snprintf(k1, sizeof k1, "%s", key("m1"));
	snprintf(k2, sizeof k2, "%s", key("m2"));
	snprintf(k3, sizeof k3, "%s", key("m3"));
	cache_memo_begin(f->cache);
	assert_int_equal(cache_counters(f->cache, keys, 3, v), 0);
	assert_int_equal(cache_incr_by(f->cache, k1, 4, 60, &one), 1);
	assert_int_equal(one, 4);
	assert_int_equal(cache_incr_by(f->cache, k1, 3, 60, &one), 1);
	assert_int_equal(one, 7);
	assert_int_equal(cache_incr(f->cache, k3, 60, &one), 1);
	assert_int_equal(cache_counters(f->cache, keys, 3, v), 2);
	assert_int_equal(v[0], 7);
	assert_int_equal(v[1], 0);
	assert_int_equal(v[2], 1);
	cache_memo_end(f->cache);
	keys[1] = "bad key";
	assert_int_equal(cache_counters(f->cache, keys, 3, v), -1);
}

static void
test_bad_keys_are_refused(void **state)
{
	struct fixture *f = *state;
	struct buf out = BUF_INIT;
	char longkey[CACHE_KEY_MAX + 2];

	memset(longkey, 'k', sizeof longkey - 1);
	longkey[sizeof longkey - 1] = '\0';
	assert_int_equal(cache_set(f->cache, "has space", "x", 1, 60), -1);
	assert_int_equal(cache_set(f->cache, "", "x", 1, 60), -1);
	assert_int_equal(cache_set(f->cache, "new\nline", "x", 1, 60), -1);
	assert_int_equal(cache_get(f->cache, longkey, &out), -1);
	buf_free(&out);
}

static void
test_mget(void **state)
{
	struct fixture *f = *state;
	char k0[128], k1[128], k2[128];
	const char *keys[3] = { k0, k1, k2 };
	struct buf vals[3] = { BUF_INIT, BUF_INIT, BUF_INIT };
	bool hit[3];
	int i;

	snprintf(k0, sizeof k0, "%s", key("m0"));
	snprintf(k1, sizeof k1, "%s", key("m1"));
	snprintf(k2, sizeof k2, "%s", key("m2"));
	cache_set(f->cache, k0, "zero", 4, 60);
	cache_set(f->cache, k2, "two", 3, 60);
	assert_int_equal(cache_mget(f->cache, keys, 3, vals, hit), 2);
	assert_true(hit[0] && !hit[1] && hit[2]);
	assert_string_equal(buf_cstr(&vals[0]), "zero");
	assert_string_equal(buf_cstr(&vals[2]), "two");
	assert_int_equal(cache_mget(f->cache, keys, 0, vals, hit), 0);
	for (i = 0; i < 3; i++)
		buf_free(&vals[i]);
}

/* A loader standing in for the database. */
struct loader {
	int           calls;
	int           result;      /* 1 found, 0 not found, -1 failure */
	const char   *value;
	struct cache *cache;       /* for the loaders that act while loading */
	const char   *key;
	struct buf    inner;
	int           inner_rc;
};

static int
load(void *arg, struct buf *out)
{
	struct loader *l = arg;

	l->calls++;
	if (l->result == 1 || l->result == CACHE_LOAD_PARTIAL)
		buf_puts(out, l->value);
	return l->result;
}

static void
test_get_or_load_fills_once(void **state)
{
	struct fixture *f = *state;
	struct loader l = { 0, 1, "row-v1", NULL, NULL, BUF_INIT, 0 };
	struct buf out = BUF_INIT;

	assert_int_equal(cache_get_or_load(f->cache, key("gl"), 60, load, &l, &out), 1);
	assert_string_equal(buf_cstr(&out), "row-v1");
	buf_reset(&out);
	assert_int_equal(cache_get_or_load(f->cache, key("gl"), 60, load, &l, &out), 1);
	assert_string_equal(buf_cstr(&out), "row-v1");
	assert_int_equal(l.calls, 1);
	/* A write: database first, then delete; the next read loads the new row. */
	l.value = "row-v2";
	cache_delete(f->cache, key("gl"));
	buf_reset(&out);
	assert_int_equal(cache_get_or_load(f->cache, key("gl"), 60, load, &l, &out), 1);
	assert_string_equal(buf_cstr(&out), "row-v2");
	assert_int_equal(l.calls, 2);
	buf_free(&out);
}

static void
test_not_found_is_cached(void **state)
{
	struct fixture *f = *state;
	struct loader l = { 0, 0, NULL, NULL, NULL, BUF_INIT, 0 };
	struct buf out = BUF_INIT;

	assert_int_equal(cache_get_or_load(f->cache, key("nf"), 60, load, &l, &out), 0);
	assert_int_equal(cache_get_or_load(f->cache, key("nf"), 60, load, &l, &out), 0);
	assert_int_equal(l.calls, 1);
	assert_int_equal(out.len, 0);
	/* A plain get sees no value in a cached "not found". */
	assert_int_equal(cache_get(f->cache, key("nf"), &out), 0);
	buf_free(&out);
}

static void
test_database_failure_is_not_cached(void **state)
{
	struct fixture *f = *state;
	struct loader l = { 0, -1, NULL, NULL, NULL, BUF_INIT, 0 };
	struct buf out = BUF_INIT;

	assert_int_equal(cache_get_or_load(f->cache, key("dbf"), 60, load, &l, &out), -1);
	/* Nothing under the key, not even the lease: an append finds no value (0), where a
	 * placeholder left behind would answer -1 and make every next reader wait it out. */
	assert_int_equal(cache_append(f->cache, key("dbf"), "x", 1), 0);
	l.result = 1;
	l.value = "back";
	assert_int_equal(cache_get_or_load(f->cache, key("dbf"), 60, load, &l, &out), 1);
	assert_string_equal(buf_cstr(&out), "back");
	buf_free(&out);
}

/* A value gathered while some shards were down reaches its caller but is not cached, nor kept
 * in the request's memo, and its lease is given up at once (the next reader loads without
 * waiting on a placeholder). */
static void
test_partial_load_is_not_cached(void **state)
{
	struct fixture *f = *state;
	struct loader l = { 0, CACHE_LOAD_PARTIAL, "some shards", NULL, NULL, BUF_INIT, 0 };
	struct buf out = BUF_INIT;

	cache_memo_begin(f->cache);
	assert_int_equal(cache_get_or_load(f->cache, key("part"), 60, load, &l, &out),
	    CACHE_LOAD_PARTIAL);
	assert_string_equal(buf_cstr(&out), "some shards");
	/* Nothing under the key: an append finds no value (0), where a placeholder left behind
	 * would answer -1 (cache.h), and make the next readers wait it out. */
	assert_int_equal(cache_append(f->cache, key("part"), "x", 1), 0);
	buf_reset(&out);
	l.result = 1;
	l.value = "every shard";
	assert_int_equal(cache_get_or_load(f->cache, key("part"), 60, load, &l, &out), 1);
	cache_memo_end(f->cache);
	assert_string_equal(buf_cstr(&out), "every shard");
	assert_int_equal(l.calls, 2);
	/* The whole value is cached as usual. */
	buf_reset(&out);
	assert_int_equal(cache_get(f->cache, key("part"), &out), 1);
	assert_string_equal(buf_cstr(&out), "every shard");
	buf_free(&out);
}

/* The race leases exist for: a reader loads the old row; a writer updates the database and
 * deletes the key; the reader then fills. The old row must not land in the cache. */
static int
load_then_writer_deletes(void *arg, struct buf *out)
{
	struct loader *l = arg;

	l->calls++;
	buf_puts(out, "old-row");
	cache_delete(l->cache, l->key);   /* the writer, between the reader's load and its fill */
	return 1;
}

static void
test_delete_during_load_wins(void **state)
{
	struct fixture *f = *state;
	char k[128];
	struct loader l = { 0, 1, NULL, f->cache, k, BUF_INIT, 0 };
	struct loader fresh = { 0, 1, "new-row", NULL, NULL, BUF_INIT, 0 };
	struct buf out = BUF_INIT;

	snprintf(k, sizeof k, "%s", key("race"));
	assert_int_equal(cache_get_or_load(f->cache, k, 60, load_then_writer_deletes, &l, &out), 1);
	assert_string_equal(buf_cstr(&out), "old-row");
	buf_reset(&out);
	assert_int_equal(cache_get(f->cache, k, &out), 0);
	assert_int_equal(cache_get_or_load(f->cache, k, 60, load, &fresh, &out), 1);
	assert_string_equal(buf_cstr(&out), "new-row");
	buf_free(&out);
}

/* A timeline push appends to a list while a reader builds it: the append lands on the lease's
 * placeholder. It is answered -1, so the pusher drops the key (as lib/social/timeline.c's push_to),
 * and the builder's fill fails cleanly: no placeholder stays behind for readers to wait on
 * until the lease's TTL ends, and the next reader builds the list. */
static int
load_then_push_appends(void *arg, struct buf *out)
{
	struct loader *l = arg;

	l->calls++;
	buf_puts(out, "built-list");
	assert_int_equal(cache_append(l->cache, l->key, "+entry", 6), -1);
	assert_int_equal(cache_delete(l->cache, l->key), 1);
	return 1;
}

static void
test_append_during_load_leaves_no_placeholder(void **state)
{
	struct fixture *f = *state;
	char k[128];
	struct loader l = { 0, 1, NULL, f->cache, k, BUF_INIT, 0 };
	struct loader fresh = { 0, 1, "rebuilt", NULL, NULL, BUF_INIT, 0 };
	struct buf out = BUF_INIT;

	snprintf(k, sizeof k, "%s", key("pushrace"));
	assert_int_equal(cache_get_or_load(f->cache, k, 60, load_then_push_appends, &l, &out), 1);
	assert_string_equal(buf_cstr(&out), "built-list");
	buf_reset(&out);
	/* Gone: the next reader loads and fills at once, without waiting on a placeholder. */
	assert_int_equal(cache_get(f->cache, k, &out), 0);
	assert_int_equal(cache_get_or_load(f->cache, k, 60, load, &fresh, &out), 1);
	assert_string_equal(buf_cstr(&out), "rebuilt");
	assert_int_equal(fresh.calls, 1);
	buf_reset(&out);
	assert_int_equal(cache_get(f->cache, k, &out), 1);
	assert_string_equal(buf_cstr(&out), "rebuilt");
	buf_free(&out);
}

/* A loader that reads another key through the cache (the unread count's loader did, through
 * the relations' cache): its own fill must still land under its own key. */
static int
load_through_cache(void *arg, struct buf *out)
{
	struct loader *l = arg;

	l->calls++;
	buf_reset(&l->inner);
	l->inner_rc = cache_get_or_load(l->cache, l->key, 60, load, &(struct loader){ 0, 1, "inner",
	    NULL, NULL, BUF_INIT, 0 }, &l->inner);
	buf_puts(out, "outer");
	return 1;
}

static void
test_nested_load_fills_its_own_key(void **state)
{
	struct fixture *f = *state;
	char inner[128];
	struct loader l = { 0, 1, NULL, f->cache, inner, BUF_INIT, 0 };
	struct buf out = BUF_INIT;

	snprintf(inner, sizeof inner, "%s", key("nest-in"));
	assert_int_equal(cache_get_or_load(f->cache, key("nest-out"), 60, load_through_cache, &l,
	    &out), 1);
	assert_string_equal(buf_cstr(&out), "outer");
	assert_int_equal(l.inner_rc, 1);
	assert_string_equal(buf_cstr(&l.inner), "inner");
	/* Both filled, each under its own key: the next read loads nothing. */
	buf_reset(&out);
	assert_int_equal(cache_get_or_load(f->cache, key("nest-out"), 60, load_through_cache, &l,
	    &out), 1);
	assert_string_equal(buf_cstr(&out), "outer");
	assert_int_equal(l.calls, 1);
	buf_reset(&out);
	assert_int_equal(cache_get(f->cache, inner, &out), 1);
	assert_string_equal(buf_cstr(&out), "inner");
	buf_free(&out);
	buf_free(&l.inner);
}

/* While one process holds the lease, another one waits for the fill and then, the fill being
 * late, answers from the database itself: right value, no wrong one cached. */
static int
load_while_other_reads(void *arg, struct buf *out)
{
	struct loader *l = arg;
	struct loader other = { 0, 1, "same-row", NULL, NULL, BUF_INIT, 0 };

	l->calls++;
	l->inner_rc = cache_get_or_load(l->cache, l->key, 60, load, &other, &l->inner);
	l->calls += 100 * other.calls;
	buf_puts(out, "same-row");
	return 1;
}

static void
test_lease_holder_blocks_second_filler(void **state)
{
	struct fixture *f = *state;
	char k[128];
	struct loader l = { 0, 1, NULL, f->cache, k, BUF_INIT, 0 };
	struct buf out = BUF_INIT;

	snprintf(k, sizeof k, "%s", key("lease"));
	assert_int_equal(cache_get_or_load(f->cache, k, 60, load_while_other_reads, &l, &out), 1);
	assert_int_equal(l.inner_rc, 1);
	assert_string_equal(buf_cstr(&l.inner), "same-row");
	/* The second reader loaded once, after waiting; the lease holder's fill stands. */
	assert_int_equal(l.calls, 101);
	buf_reset(&out);
	assert_int_equal(cache_get(f->cache, k, &out), 1);
	assert_string_equal(buf_cstr(&out), "same-row");
	buf_free(&out);
	buf_free(&l.inner);
}

/* Where a key lives: a key named after name that the pool places on server i (candidates are
 * stored through the pool and looked for through the cache that knows only server i). */
static void
key_on(struct fixture *f, int i, const char *name, char *k, size_t size)
{
	struct buf out = BUF_INIT;
	int n;

	for (n = 0; n < 200; n++) {
		snprintf(k, size, "test:%ld:%s:%d", (long)getpid(), name, n);
		assert_int_equal(cache_set(f->cache, k, "where", 5, 60), 1);
		buf_reset(&out);
		if (cache_get(f->only[i], k, &out) == 1) {
			assert_int_equal(cache_delete(f->cache, k), 1);
			buf_free(&out);
			return;
		}
	}
	fail_msg("no key %s:* on server %d", name, i);
}

/* What server i itself holds under k: its cache_get result, value in out (reset first). */
static int
value_on(struct fixture *f, int i, const char *k, struct buf *out)
{
	buf_reset(out);
	return cache_get(f->only[i], k, out);
}

/* Every process builds the same ring from the same configuration: what one stores, another one
 * finds, and the keys spread over both nodes. */
static void
test_processes_agree_where_keys_live(void **state)
{
	struct fixture *f = *state;
	struct conf conf;
	struct buf err = BUF_INIT, out = BUF_INIT;
	struct cache *other;
	char k[160];
	int i, on[2] = { 0, 0 };

	test_conf(&conf, servers, TEST_DEAD_TIMEOUT);
	other = cache_new(&conf, &err);
	assert_non_null(other);
	for (i = 0; i < 40; i++) {
		snprintf(k, sizeof k, "%s:%d", key("agree"), i);
		assert_int_equal(cache_set(f->cache, k, k, strlen(k), 60), 1);
		buf_reset(&out);
		assert_int_equal(cache_get(other, k, &out), 1);
		assert_string_equal(buf_cstr(&out), k);
		on[0] += value_on(f, 0, k, &out) == 1;
		on[1] += value_on(f, 1, k, &out) == 1;
	}
	assert_int_equal(on[0] + on[1], 40);   /* each key on exactly one node */
	assert_true(on[0] > 0 && on[1] > 0);
	cache_free(other);
	conf_free(&conf);
	buf_free(&err);
	buf_free(&out);
}

/* The request's memo: a key read once is answered again without a round trip, a write through
 * this cache updates or drops it, and another process's write is seen at the next request. */
static void
test_memo_answers_within_a_request(void **state)
{
	struct fixture *f = *state;
	struct conf conf;
	struct buf err = BUF_INIT, out = BUF_INIT;
	struct cache *other;
	uint64_t rt;

	test_conf(&conf, servers, TEST_DEAD_TIMEOUT);
	other = cache_new(&conf, &err);
	assert_non_null(other);
	assert_int_equal(cache_set(f->cache, key("memo"), "one", 3, 60), 1);
	cache_memo_begin(f->cache);
	rt = cache_round_trips(f->cache);
	assert_int_equal(cache_get(f->cache, key("memo"), &out), 1);
	assert_int_equal(cache_round_trips(f->cache), rt + 1);
	/* Another process changes it: this request goes on with what it read. */
	assert_int_equal(cache_set(other, key("memo"), "two", 3, 60), 1);
	buf_reset(&out);
	assert_int_equal(cache_get(f->cache, key("memo"), &out), 1);
	assert_string_equal(buf_cstr(&out), "one");
	assert_int_equal(cache_round_trips(f->cache), rt + 1);
	/* Its own set is seen at once, without asking the node. */
	assert_int_equal(cache_set(f->cache, key("memo"), "three", 5, 60), 1);
	rt = cache_round_trips(f->cache);
	buf_reset(&out);
	assert_int_equal(cache_get(f->cache, key("memo"), &out), 1);
	assert_string_equal(buf_cstr(&out), "three");
	assert_int_equal(cache_round_trips(f->cache), rt);
	/* Its own delete: the next read asks the node, which has nothing. */
	assert_int_equal(cache_delete(f->cache, key("memo")), 1);
	rt = cache_round_trips(f->cache);
	buf_reset(&out);
	assert_int_equal(cache_get(f->cache, key("memo"), &out), 0);
	assert_int_equal(cache_round_trips(f->cache), rt + 1);
	cache_memo_end(f->cache);
	/* The next request sees the other process's write. */
	assert_int_equal(cache_set(other, key("memo"), "four", 4, 60), 1);
	cache_memo_begin(f->cache);
	buf_reset(&out);
	assert_int_equal(cache_get(f->cache, key("memo"), &out), 1);
	assert_string_equal(buf_cstr(&out), "four");
	cache_memo_end(f->cache);
	/* Without a memo every read asks the node. */
	rt = cache_round_trips(f->cache);
	buf_reset(&out);
	assert_int_equal(cache_get(f->cache, key("memo"), &out), 1);
	assert_int_equal(cache_get(f->cache, key("memo"), &out), 1);
	assert_int_equal(cache_round_trips(f->cache), rt + 2);
	cache_free(other);
	conf_free(&conf);
	buf_free(&err);
	buf_free(&out);
}

/* A prefetch costs one round trip per node whatever the number of keys; the reads that follow
 * cost none, for keys found and keys known to be missing alike; a missing key loaded with
 * cache_get_or_load goes straight to its lease, and is answered from the memo after its fill. */
static void
test_prefetch_one_round_per_node(void **state)
{
	struct fixture *f = *state;
	struct loader l = { 0, 1, "loaded", NULL, NULL, BUF_INIT, 0 };
	struct cache_keys ks = CACHE_KEYS_INIT;
	struct buf out = BUF_INIT;
	char k[160];
	uint64_t rt;
	int i;

	for (i = 0; i < 30; i++) {
		snprintf(k, sizeof k, "%s:%d", key("pf"), i);
		if (i < 25)
			assert_int_equal(cache_set(f->cache, k, k, strlen(k), 60), 1);
		cache_keys_add(&ks, "%s", k);
		cache_keys_add(&ks, "%s", k);   /* a repeat is kept once */
	}
	assert_int_equal(ks.n, 30);
	/* Outside a request nothing is fetched ahead. */
	rt = cache_round_trips(f->cache);
	assert_int_equal(cache_keys_prefetch(f->cache, &ks), 0);
	assert_int_equal(cache_round_trips(f->cache), rt);

	cache_memo_begin(f->cache);
	assert_int_equal(cache_keys_prefetch(f->cache, &ks), 25);
	assert_int_equal(cache_round_trips(f->cache), rt + 2);   /* two nodes */
	for (i = 0; i < 30; i++) {
		snprintf(k, sizeof k, "%s:%d", key("pf"), i);
		buf_reset(&out);
		assert_int_equal(cache_get(f->cache, k, &out), i < 25);
		if (i < 25)
			assert_string_equal(buf_cstr(&out), k);
	}
	/* Fetching the same keys again costs nothing either. */
	assert_int_equal(cache_keys_prefetch(f->cache, &ks), 25);
	assert_int_equal(cache_round_trips(f->cache), rt + 2);
	/* A known miss: lease (add), its CAS value (gets) and the fill (cas), no first get. */
	snprintf(k, sizeof k, "%s:%d", key("pf"), 27);
	buf_reset(&out);
	assert_int_equal(cache_get_or_load(f->cache, k, 60, load, &l, &out), 1);
	assert_string_equal(buf_cstr(&out), "loaded");
	assert_int_equal(cache_round_trips(f->cache), rt + 5);
	buf_reset(&out);
	assert_int_equal(cache_get_or_load(f->cache, k, 60, load, &l, &out), 1);
	assert_string_equal(buf_cstr(&out), "loaded");
	assert_int_equal(l.calls, 1);
	assert_int_equal(cache_round_trips(f->cache), rt + 5);
	cache_memo_end(f->cache);
	/* The fill reached the node. */
	buf_reset(&out);
	assert_int_equal(cache_get(f->cache, k, &out), 1);
	assert_string_equal(buf_cstr(&out), "loaded");
	cache_keys_free(&ks);
	cache_keys_free(&ks);
	buf_free(&out);
}

/* A server list that cannot be used stops the process at start-up, with the reason. */
struct list_row {
	int         line;
	const char *servers;
	const char *problem;   /* part of the message, or NULL when the list is good */
};

static const struct list_row list_rows[] = {
	{ __LINE__, "",                           "cannot parse" },
	{ __LINE__, "127.0.0.1:1, 127.0.0.1:1",   "127.0.0.1:1 is listed twice" },
	{ __LINE__, "127.0.0.1:1,127.0.0.2:1, 127.0.0.1:1", "listed twice" },
	{ __LINE__, "127.0.0.1:1",                NULL },
	{ __LINE__, "127.0.0.1:1, 127.0.0.1:2",   NULL },   /* same host, other port: two nodes */
};

/* A key set keeps each key once, in the order first added, however many there are (the index
 * grows past its first size several times here). */
static void
test_key_set_keeps_each_key_once(void **state)
{
	struct cache_keys ks = CACHE_KEYS_INIT;
	char want[32];
	size_t i;

	(void)state;
	for (i = 0; i < 3000; i++) {
		cache_keys_add(&ks, "post:%zu", i % 1000);
		cache_keys_add(&ks, "user:%zu", i % 7);
	}
	assert_int_equal(ks.n, 1007);
	assert_string_equal(ks.k[0], "post:0");
	assert_string_equal(ks.k[1], "user:0");
	for (i = 0; i < 1000; i++) {
		snprintf(want, sizeof want, "post:%zu", i);
		assert_string_equal(ks.k[i < 7 ? 2 * i : i + 7], want);
	}
	cache_keys_free(&ks);
	assert_int_equal(ks.n, 0);
	cache_keys_add(&ks, "%s", "again");   /* usable after a free */
	assert_int_equal(ks.n, 1);
	cache_keys_free(&ks);
	cache_keys_free(NULL);
}

static void
test_new_refuses_bad_lists(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof list_rows / sizeof list_rows[0]; i++) {
		const struct list_row *r = &list_rows[i];
		struct conf conf;
		struct buf err = BUF_INIT;
		struct cache *c;

		test_conf(&conf, r->servers, TEST_DEAD_TIMEOUT);
		c = cache_new(&conf, &err);
		if (r->problem == NULL && c == NULL)
			fail_msg("line %d: refused: %s", r->line, buf_cstr(&err));
		if (r->problem != NULL && c != NULL)
			fail_msg("line %d: accepted", r->line);
		if (r->problem != NULL && strstr(buf_cstr(&err), r->problem) == NULL)
			fail_msg("line %d: message \"%s\" lacks \"%s\"", r->line, buf_cstr(&err),
			    r->problem);
		cache_free(c);
		conf_free(&conf);
		buf_free(&err);
	}
}

/* A node that is killed: the requests that meet it fail over to the database, it is taken out,
 * its keys go to the other node (which keeps its own), cache_ping names it; still dead at its
 * probe, it stays out another dead_timeout; restarted on the same port, it is probed after that
 * and owns its keys again. */
/* The batched append (a timeline push): one call over many keys of both nodes appends where a
 * value exists and creates nothing where none does; each key answers for itself. */
#define MANY 300

static void
test_append_many(void **state)
{
	struct fixture *f = *state;
	static char names[MANY][160];
	const char *keys[MANY];
	int res[MANY], i, on[2] = { 0, 0 }, set = 0;
	struct buf out = BUF_INIT;

	for (i = 0; i < MANY; i++) {
		snprintf(names[i], sizeof names[i], "%s:%d", key("many"), i);
		keys[i] = names[i];
		/* Every third key is cached; the others are lists nobody built. */
		if (i % 3 == 0) {
			assert_int_equal(cache_set(f->cache, keys[i], "ab", 2, 60), 1);
			set++;
		}
	}
	assert_int_equal(cache_append_many(f->cache, keys, MANY, "c\0d", 3, res), set);
	for (i = 0; i < MANY; i++) {
		assert_int_equal(res[i], i % 3 == 0 ? 1 : 0);
		buf_reset(&out);
		assert_int_equal(cache_get(f->cache, keys[i], &out), i % 3 == 0);
		if (i % 3 == 0) {
			assert_int_equal(out.len, 5);
			assert_memory_equal(out.data, "abc\0d", 5);
			on[value_on(f, 0, keys[i], &out) == 1 ? 0 : 1]++;
		} else {
			/* Not created on either node. */
			assert_int_equal(value_on(f, 0, keys[i], &out), 0);
			assert_int_equal(value_on(f, 1, keys[i], &out), 0);
		}
	}
	assert_true(on[0] > 0 && on[1] > 0);   /* both nodes had some: one batch each */
	/* Again on the connections now open: appended once more, in order. */
	assert_int_equal(cache_append_many(f->cache, keys, MANY, "e", 1, res), set);
	assert_int_equal(cache_get(f->cache, keys[0], &out), 1);
	assert_int_equal(out.len, 6);
	assert_memory_equal(out.data, "abc\0de", 6);
	assert_int_equal(cache_append_many(f->cache, keys, 0, "e", 1, res), 0);
	buf_free(&out);
}

/* Refused input sends nothing: a bad key anywhere in the batch, or a value above the limit. */
static void
test_append_many_refuses_bad_input(void **state)
{
	static const struct {
		int         line;
		const char *second;   /* the second key of the batch */
		size_t      n;        /* bytes appended */
	} rows[] = {
		{ __LINE__, "bad key", 1 },
		{ __LINE__, "", 1 },
		{ __LINE__, "tab\tkey", 1 },
		{ __LINE__, NULL, CACHE_VALUE_MAX + 1 },
	};
	struct fixture *f = *state;
	struct buf out = BUF_INIT;
	char *big = calloc(1, CACHE_VALUE_MAX + 1);
	char good[128];
	size_t r;

	snprintf(good, sizeof good, "%s", key("refused"));
	assert_int_equal(cache_set(f->cache, good, "ab", 2, 60), 1);
	for (r = 0; r < sizeof rows / sizeof rows[0]; r++) {
		const char *keys[2] = { good, rows[r].second ? rows[r].second : good };
		int res[2] = { 7, 7 };

		if (cache_append_many(f->cache, keys, 2, big, rows[r].n, res) != -1 || res[0] != -1 ||
		    res[1] != -1)
			fail_msg("row at line %d: not refused", rows[r].line);
		buf_reset(&out);
		if (cache_get(f->cache, good, &out) != 1 || out.len != 2)
			fail_msg("row at line %d: the good key changed", rows[r].line);
	}
	free(big);
	buf_free(&out);
}

/* A value that would outgrow the node's item size (1 MB) is refused by the node for that key
 * alone: the keys after it in the same batch are still appended, and the node stays in. */
static void
test_append_many_too_large_is_one_key(void **state)
{
	struct fixture *f = *state;
	char k[3][128];
	const char *keys[3] = { k[0], k[1], k[2] };
	size_t half = CACHE_VALUE_MAX - 16;
	char *big = calloc(1, CACHE_VALUE_MAX);
	struct buf out = BUF_INIT, err = BUF_INIT;
	int res[3], i;

	/* All three on one node, the big one between the others. */
	key_on(f, 0, "large-before", k[0], sizeof k[0]);
	key_on(f, 0, "large-big", k[1], sizeof k[1]);
	key_on(f, 0, "large-after", k[2], sizeof k[2]);
	for (i = 0; i < 3; i += 2)
		assert_int_equal(cache_set(f->cache, k[i], "x", 1, 60), 1);
	assert_int_equal(cache_set(f->cache, k[1], big, half, 60), 1);
	/* Twice half a megabyte, and the item header: past the node's 1 MB items. */
	assert_int_equal(cache_append_many(f->cache, keys, 3, big, half, res), 2);
	assert_int_equal(res[0], 1);
	assert_int_equal(res[1], -1);
	assert_int_equal(res[2], 1);
	assert_int_equal(cache_ping(f->cache, &err), 0);   /* the node answered: still in */
	assert_int_equal(value_on(f, 0, k[2], &out), 1);
	assert_int_equal(out.len, 1 + half);
	assert_int_equal(value_on(f, 0, k[1], &out), 1);   /* the big one as it was */
	assert_int_equal(out.len, half);
	free(big);
	buf_free(&out);
	buf_free(&err);
}

/* A batch larger than the socket buffers both ways (a few MB of requests, thousands of answers):
 * writing and reading overlap, so neither end waits on the other for ever. */
static void
test_append_many_large_batch(void **state)
{
	enum { N = 5000, V = 1000 };
	struct fixture *f = *state;
	char (*names)[160] = calloc(N, sizeof *names);
	const char **keys = calloc(N, sizeof *keys);
	int *res = calloc(N, sizeof *res), i, set = 0;
	char *v = calloc(1, V);
	struct buf out = BUF_INIT;

	memset(v, 'z', V);
	for (i = 0; i < N; i++) {
		snprintf(names[i], sizeof names[i], "%s:%d", key("large-batch"), i);
		keys[i] = names[i];
		if (i % 10 == 0) {
			assert_int_equal(cache_set(f->cache, keys[i], "a", 1, 60), 1);
			set++;
		}
	}
	assert_int_equal(cache_append_many(f->cache, keys, N, v, V, res), set);
	for (i = 0; i < N; i += 10) {
		assert_int_equal(res[i], 1);
		assert_int_equal(res[i + 1], 0);
	}
	assert_int_equal(cache_get(f->cache, keys[N - 10], &out), 1);
	assert_int_equal(out.len, 1 + V);
	free(names);
	free(keys);
	free(res);
	free(v);
	buf_free(&out);
}

/* A dead node: its keys fail (the caller drops them), the other node's are appended, and the
 * dead one is out of the ring. Brought back (empty), it is used again; a connection to it left
 * from before its restart is replaced without a failure. */
static void
test_append_many_dead_node(void **state)
{
	struct fixture *f = *state;
	char ka[128], kb[128];
	const char *keys[2] = { ka, kb };
	struct buf out = BUF_INIT, err = BUF_INIT;
	int res[2];

	key_on(f, 0, "dead-a", ka, sizeof ka);
	key_on(f, 1, "dead-b", kb, sizeof kb);
	assert_int_equal(cache_set(f->cache, ka, "a", 1, 60), 1);
	assert_int_equal(cache_set(f->cache, kb, "b", 1, 60), 1);
	assert_int_equal(cache_append_many(f->cache, keys, 2, "1", 1, res), 2);  /* connections open */
	server_kill(&srv[0]);
	assert_int_equal(cache_append_many(f->cache, keys, 2, "2", 1, res), 1);
	assert_int_equal(res[0], -1);
	assert_int_equal(res[1], 1);
	assert_int_equal(value_on(f, 1, kb, &out), 1);
	assert_string_equal(buf_cstr(&out), "b12");
	assert_int_equal(cache_ping(f->cache, &err), -1);
	assert_non_null(strstr(buf_cstr(&err), srv[0].addr));
	/* While A is out its keys live on B, where ka has no value: nothing is created. */
	assert_int_equal(cache_append_many(f->cache, keys, 2, "3", 1, res), 1);
	assert_int_equal(res[0], 0);
	assert_int_equal(value_on(f, 1, ka, &out), 0);

	/* Back, flushed at its probe, and used again. */
	assert_int_equal(server_start(&srv[0]), 0);
	sleep_ms(PAST_DEAD_TIMEOUT_MS);
	buf_reset(&err);
	assert_int_equal(cache_ping(f->cache, &err), 0);
	assert_int_equal(cache_set(f->cache, ka, "A", 1, 60), 1);
	assert_int_equal(cache_append_many(f->cache, keys, 2, "4", 1, res), 2);
	assert_int_equal(value_on(f, 0, ka, &out), 1);
	assert_string_equal(buf_cstr(&out), "A4");

	/* Restarted between two batches: the open connection is stale, the retry on a new one
	 * succeeds, and the node stays in. */
	server_kill(&srv[0]);
	assert_int_equal(server_start(&srv[0]), 0);
	assert_int_equal(value_on(f, 0, ka, &out), 0);
	assert_int_equal(cache_set(f->only[0], ka, "R", 1, 60), 1);
	assert_int_equal(cache_append_many(f->cache, keys, 2, "5", 1, res), 2);
	assert_int_equal(res[0], 1);
	assert_int_equal(value_on(f, 0, ka, &out), 1);
	assert_string_equal(buf_cstr(&out), "R5");
	buf_reset(&err);
	assert_int_equal(cache_ping(f->cache, &err), 0);
	buf_free(&out);
	buf_free(&err);
}

static void
test_killed_node_is_taken_out_and_back(void **state)
{
	struct fixture *f = *state;
	char ka[128], kb[128];
	const char *keys[2] = { ka, kb };
	struct buf vals[2] = { BUF_INIT, BUF_INIT }, out = BUF_INIT, err = BUF_INIT;
	struct loader la = { 0, 1, "a-from-db", NULL, NULL, BUF_INIT, 0 };
	struct loader lb = { 0, 1, "b-from-db", NULL, NULL, BUF_INIT, 0 };
	bool hit[2];

	key_on(f, 0, "killed-a", ka, sizeof ka);
	key_on(f, 1, "killed-b", kb, sizeof kb);
	assert_int_equal(cache_set(f->cache, ka, "a-cached", 8, 60), 1);
	assert_int_equal(cache_set(f->cache, kb, "b-cached", 8, 60), 1);
	server_kill(&srv[0]);

	/* The first request that meets the dead node: its keys are misses, the others hits. */
	assert_int_equal(cache_mget(f->cache, keys, 2, vals, hit), 1);
	assert_false(hit[0]);
	assert_true(hit[1]);
	assert_string_equal(buf_cstr(&vals[1]), "b-cached");
	/* A is out now: its keys are loaded once and then served by B. */
	assert_int_equal(cache_get_or_load(f->cache, ka, 60, load, &la, &out), 1);
	assert_string_equal(buf_cstr(&out), "a-from-db");
	buf_reset(&out);
	assert_int_equal(cache_get_or_load(f->cache, ka, 60, load, &la, &out), 1);
	assert_string_equal(buf_cstr(&out), "a-from-db");
	assert_int_equal(la.calls, 1);
	assert_int_equal(value_on(f, 1, ka, &out), 1);
	assert_string_equal(buf_cstr(&out), "a-from-db");
	assert_int_equal(cache_set(f->cache, ka, "a-moved", 7, 60), 1);
	buf_reset(&out);
	assert_int_equal(cache_get(f->cache, ka, &out), 1);
	assert_string_equal(buf_cstr(&out), "a-moved");
	/* B's own keys did not move. */
	buf_reset(&out);
	assert_int_equal(cache_get_or_load(f->cache, kb, 60, load, &lb, &out), 1);
	assert_string_equal(buf_cstr(&out), "b-cached");
	assert_int_equal(lb.calls, 0);
	/* The health check names the node that is out, and only that one. */
	assert_int_equal(cache_ping(f->cache, &err), -1);
	assert_non_null(strstr(buf_cstr(&err), srv[0].addr));
	assert_null(strstr(buf_cstr(&err), srv[1].addr));

	/* Still dead at its probe: out for another dead_timeout, even once it is back. */
	sleep_ms(PAST_DEAD_TIMEOUT_MS);
	buf_reset(&err);
	assert_int_equal(cache_ping(f->cache, &err), -1);
	assert_non_null(strstr(buf_cstr(&err), srv[0].addr));
	assert_int_equal(server_start(&srv[0]), 0);
	buf_reset(&err);
	assert_int_equal(cache_ping(f->cache, &err), -1);
	buf_reset(&out);
	assert_int_equal(cache_get(f->cache, ka, &out), 1);   /* still on B */
	assert_string_equal(buf_cstr(&out), "a-moved");
	/* Then it is used again. */
	sleep_ms(PAST_DEAD_TIMEOUT_MS);
	buf_reset(&err);
	assert_int_equal(cache_ping(f->cache, &err), 0);
	assert_int_equal(err.len, 0);
	assert_int_equal(cache_set(f->cache, ka, "a-home", 6, 60), 1);
	assert_int_equal(value_on(f, 0, ka, &out), 1);
	assert_string_equal(buf_cstr(&out), "a-home");
	buf_reset(&out);
	assert_int_equal(cache_get(f->cache, ka, &out), 1);
	assert_string_equal(buf_cstr(&out), "a-home");
	buf_free(&vals[0]);
	buf_free(&vals[1]);
	buf_free(&out);
	buf_free(&err);
}

/* The stale-value hazard. A holds K; A hangs (SIGSTOP: a partition that keeps its memory); K is
 * updated while A is out, so the delete reaches B but not A; A resumes, still holding the old
 * value. After dead_timeout the pool takes A back, and must read the new value, never the old. */
static void
test_hung_node_never_serves_an_old_value(void **state)
{
	struct fixture *f = *state;
	char k[128];
	struct loader truth = { 0, 1, "v1", NULL, NULL, BUF_INIT, 0 };
	struct buf out = BUF_INIT;

	key_on(f, 0, "hung", k, sizeof k);
	assert_int_equal(cache_get_or_load(f->cache, k, 60, load, &truth, &out), 1);
	assert_int_equal(value_on(f, 0, k, &out), 1);
	assert_string_equal(buf_cstr(&out), "v1");
	server_stop(&srv[0]);

	/* A request times out on A: the database answers, and A is out. */
	buf_reset(&out);
	assert_int_equal(cache_get_or_load(f->cache, k, 60, load, &truth, &out), 1);
	assert_string_equal(buf_cstr(&out), "v1");
	assert_int_equal(truth.calls, 2);
	/* A node that is out still gets deletes while it answers; this one times out, and A gets
	 * nothing more until its probe, like a partition that drops the writes. */
	assert_int_equal(cache_delete(f->cache, key("hung-other")), 1);
	/* The update: database first, then delete. K now lives on B. */
	truth.value = "v2";
	assert_int_equal(cache_delete(f->cache, k), 1);
	buf_reset(&out);
	assert_int_equal(cache_get_or_load(f->cache, k, 60, load, &truth, &out), 1);
	assert_string_equal(buf_cstr(&out), "v2");
	buf_reset(&out);
	assert_int_equal(cache_get_or_load(f->cache, k, 60, load, &truth, &out), 1);
	assert_string_equal(buf_cstr(&out), "v2");
	assert_int_equal(truth.calls, 3);

	/* A resumes, still holding the old value: that is what reading it unflushed would give. */
	server_cont(&srv[0]);
	assert_int_equal(value_on(f, 0, k, &out), 1);
	assert_string_equal(buf_cstr(&out), "v1");
	sleep_ms(PAST_DEAD_TIMEOUT_MS);
	/* The pool takes A back, flushed: K is loaded anew and lives on A again. */
	buf_reset(&out);
	assert_int_equal(cache_get_or_load(f->cache, k, 60, load, &truth, &out), 1);
	assert_string_equal(buf_cstr(&out), "v2");
	assert_int_equal(truth.calls, 4);
	assert_int_equal(value_on(f, 0, k, &out), 1);
	assert_string_equal(buf_cstr(&out), "v2");
	buf_free(&out);
}

/* Two processes of one host (two caches sharing a breaker state file): the first to meet a hung
 * node takes it out for both, so the second never waits for it; when the first one's probe
 * finds it answering (and flushes it), the second takes it back too. */
static void
test_host_shares_what_one_process_found(void **state)
{
	struct fixture *f = *state;
	char path[] = "/tmp/starling-test-breakers-XXXXXX";
	struct conf ca, cb;
	struct cache *a, *b;
	struct buf out = BUF_INIT, err = BUF_INIT;
	struct loader l = { 0, 1, "from-db", NULL, NULL, BUF_INIT, 0 };
	char k[128];
	uint64_t t0;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	test_conf(&ca, servers, TEST_DEAD_TIMEOUT);
	test_conf(&cb, servers, TEST_DEAD_TIMEOUT);
	free(ca.breaker_state_file);
	ca.breaker_state_file = strdup(path);
	free(cb.breaker_state_file);
	cb.breaker_state_file = strdup(path);
	a = cache_new(&ca, &err);
	b = cache_new(&cb, &err);
	assert_non_null(a);
	assert_non_null(b);
	key_on(f, 0, "shared", k, sizeof k);
	server_stop(&srv[0]);
	/* a pays the timeout, and takes the node out. */
	assert_int_equal(cache_get_or_load(a, k, 60, load, &l, &out), 1);
	/* b, which never met the node, does not wait for it: the key is on the stand-in. */
	t0 = clock_mono_ms();
	buf_reset(&out);
	assert_int_equal(cache_get_or_load(b, k, 60, load, &l, &out), 1);
	assert_true(clock_mono_ms() - t0 < TEST_TIMEOUT_MS / 2);
	assert_int_equal(value_on(f, 1, k, &out), 1);
	assert_int_equal(cache_ping(b, &err), -1);
	assert_non_null(strstr(buf_cstr(&err), srv[0].addr));
	/* Back: a's probe flushes it; b then uses it again without a flush of its own. */
	server_cont(&srv[0]);
	sleep_ms(PAST_DEAD_TIMEOUT_MS);
	assert_int_equal(cache_set(a, key("shared-probe"), "x", 1, 60), 1);
	assert_int_equal(cache_set(f->only[0], key("shared-after"), "kept", 4, 60), 1);
	buf_reset(&err);
	assert_int_equal(cache_ping(b, &err), 0);
	buf_reset(&out);
	assert_int_equal(cache_get(f->only[0], key("shared-after"), &out), 1);
	assert_string_equal(buf_cstr(&out), "kept");
	cache_free(a);
	cache_free(b);
	conf_free(&ca);
	conf_free(&cb);
	unlink(path);
	buf_free(&out);
	buf_free(&err);
}

/* Copies filled on a stand-in node while their node was out must not come back the next time it
 * is out: a delete goes to every node. */
static void
test_delete_reaches_the_stand_in_node(void **state)
{
	struct fixture *f = *state;
	char k[128];
	struct loader truth = { 0, 1, "v1", NULL, NULL, BUF_INIT, 0 };
	struct buf out = BUF_INIT;

	key_on(f, 0, "stand-in", k, sizeof k);
	server_kill(&srv[0]);
	assert_int_equal(cache_get_or_load(f->cache, k, 60, load, &truth, &out), 1);
	assert_int_equal(cache_get_or_load(f->cache, k, 60, load, &truth, &out), 1);
	assert_int_equal(value_on(f, 1, k, &out), 1);   /* B stands in for A */
	assert_string_equal(buf_cstr(&out), "v1");
	assert_int_equal(server_start(&srv[0]), 0);
	sleep_ms(PAST_DEAD_TIMEOUT_MS);
	buf_reset(&out);
	assert_int_equal(cache_get_or_load(f->cache, k, 60, load, &truth, &out), 1);
	assert_int_equal(value_on(f, 0, k, &out), 1);   /* A is back and holds K */

	truth.value = "v2";
	assert_int_equal(cache_delete(f->cache, k), 1);
	assert_int_equal(value_on(f, 0, k, &out), 0);
	assert_int_equal(value_on(f, 1, k, &out), 0);   /* the stand-in's copy is gone too */
	/* A fails again: K goes back to B, which must not have the old copy. */
	server_kill(&srv[0]);
	buf_reset(&out);
	assert_int_equal(cache_get_or_load(f->cache, k, 60, load, &truth, &out), 1);
	assert_string_equal(buf_cstr(&out), "v2");
	buf_reset(&out);
	assert_int_equal(cache_get_or_load(f->cache, k, 60, load, &truth, &out), 1);
	assert_string_equal(buf_cstr(&out), "v2");
	assert_int_equal(server_start(&srv[0]), 0);
	buf_free(&out);
}

/* Processes decide on their own which nodes are out. A writer that took A out after one slow
 * answer still deletes on A while A answers, so a reader that kept A in does not read the old
 * value there. */
static void
test_node_out_here_still_gets_deletes(void **state)
{
	struct fixture *f = *state;
	struct conf conf;
	struct buf err = BUF_INIT, out = BUF_INIT;
	struct cache *writer;
	char k[128];
	struct loader truth = { 0, 1, "v1", NULL, NULL, BUF_INIT, 0 };

	test_conf(&conf, servers, 60);   /* A stays out in the writer for the whole test */
	writer = cache_new(&conf, &err);
	assert_non_null(writer);
	key_on(f, 0, "views", k, sizeof k);
	assert_int_equal(cache_get_or_load(f->cache, k, 60, load, &truth, &out), 1);
	server_stop(&srv[0]);
	assert_int_equal(cache_get(writer, k, &out), -1);   /* A is out, in the writer only */
	server_cont(&srv[0]);

	truth.value = "v2";
	assert_int_equal(cache_delete(writer, k), 1);
	assert_int_equal(value_on(f, 0, k, &out), 0);
	buf_reset(&out);
	assert_int_equal(cache_get_or_load(f->cache, k, 60, load, &truth, &out), 1);
	assert_string_equal(buf_cstr(&out), "v2");
	/* The writer still has A out, and says so. */
	assert_int_equal(cache_ping(writer, &err), -1);
	assert_non_null(strstr(buf_cstr(&err), srv[0].addr));
	cache_free(writer);
	conf_free(&conf);
	buf_free(&err);
	buf_free(&out);
}

/* A cache none of whose nodes answers makes reads slower, never wrong: once the node is out,
 * requests do not even try it until its probe. */
static void
test_dead_server_falls_back_to_database(void **state)
{
	struct conf conf;
	struct buf err = BUF_INIT, out = BUF_INIT, vals[1] = { BUF_INIT };
	struct loader l = { 0, 1, "from-db", NULL, NULL, BUF_INIT, 0 };
	const char *keys[1] = { "k" };
	bool hit[1];
	struct cache *c;

	(void)state;
	test_conf(&conf, "127.0.0.1:1", 60);
	c = cache_new(&conf, &err);
	assert_non_null(c);
	assert_int_equal(cache_delete(c, "k"), -1);  /* the node in the ring failed: now out */
	assert_int_equal(cache_delete(c, "k"), 1);   /* no node in the ring to miss it */
	assert_int_equal(cache_get(c, "k", &out), -1);
	assert_int_equal(cache_set(c, "k", "v", 1, 60), -1);
	assert_int_equal(cache_mget(c, keys, 1, vals, hit), 0);
	assert_false(hit[0]);
	assert_int_equal(cache_get_or_load(c, "k", 60, load, &l, &out), 1);
	assert_string_equal(buf_cstr(&out), "from-db");
	assert_int_equal(cache_ping(c, &err), -1);
	assert_non_null(strstr(buf_cstr(&err), "127.0.0.1:1: "));
	cache_free(c);
	conf_free(&conf);
	buf_free(&err);
	buf_free(&out);
	buf_free(&vals[0]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_set_get_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_keys_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counters_many, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mget, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_or_load_fills_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_found_is_cached, setup, teardown),
		cmocka_unit_test_setup_teardown(test_database_failure_is_not_cached, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partial_load_is_not_cached, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nested_load_fills_its_own_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete_during_load_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_during_load_leaves_no_placeholder, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_lease_holder_blocks_second_filler, setup, teardown),
		cmocka_unit_test_setup_teardown(test_processes_agree_where_keys_live, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memo_answers_within_a_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prefetch_one_round_per_node, setup, teardown),
		cmocka_unit_test(test_new_refuses_bad_lists),
		cmocka_unit_test(test_key_set_keeps_each_key_once),
		cmocka_unit_test_setup_teardown(test_append_many, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_many_refuses_bad_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_many_too_large_is_one_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_many_large_batch, setup, teardown),
		/* These stop and start server A; each leaves both servers running. */
		cmocka_unit_test_setup_teardown(test_killed_node_is_taken_out_and_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_many_dead_node, setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_shares_what_one_process_found, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_hung_node_never_serves_an_old_value, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_delete_reaches_the_stand_in_node, setup, teardown),
		cmocka_unit_test_setup_teardown(test_node_out_here_still_gets_deletes, setup, teardown),
		cmocka_unit_test(test_dead_server_falls_back_to_database),
	};

	return cmocka_run_group_tests(tests, start_servers, stop_servers);
}
