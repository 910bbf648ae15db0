/* test_cache.c: the memcached layer against a real memcached started by the test: plain
 * operations, multi-get, cache-aside with negative caching and leases, the stale-fill race, and a
 * dead server (which must only make things slower, never wrong). */
#include "config.h"

#include "test.h"

#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cache.h"
#include "conf.h"

static pid_t server_pid;
static char servers[64];

static int
free_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0)
		return -1;
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/* Starts a private memcached on a free loopback port and waits until it answers. */
static int
start_server(void **state)
{
	struct conf conf;
	struct buf err = BUF_INIT;
	struct cache *c;
	char port[16];
	int p = free_port(), i;

	(void)state;
	if (p < 0)
		return -1;
	snprintf(port, sizeof port, "%d", p);
	snprintf(servers, sizeof servers, "127.0.0.1:%d", p);
	server_pid = fork();
	if (server_pid == 0) {
		execlp("memcached", "memcached", "-l", "127.0.0.1", "-p", port, "-U", "0", "-u", "root",
		    (char *)NULL);
		_exit(127);
	}
	/* Wait with plain connects: a failed libmemcached call would disable the server for a while. */
	for (i = 0; i < 100; i++) {
		struct sockaddr_in a;
		int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

		memset(&a, 0, sizeof a);
		a.sin_family = AF_INET;
		a.sin_port = htons((unsigned short)p);
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
		close(fd);
		if (ok)
			break;
		usleep(20000);
	}
	conf_defaults(&conf);
	free(conf.memcached_servers);
	conf.memcached_servers = strdup(servers);
	c = cache_new(&conf, &err);
	if (i == 100 || cache_ping(c, &err) != 0)
		i = 100;
	cache_free(c);
	conf_free(&conf);
	buf_free(&err);
	return i < 100 ? 0 : -1;
}

static int
stop_server(void **state)
{
	(void)state;
	kill(server_pid, SIGTERM);
	waitpid(server_pid, NULL, 0);
	return 0;
}

struct fixture {
	struct conf   conf;
	struct cache *cache;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	struct buf err = BUF_INIT;

	conf_defaults(&f->conf);
	free(f->conf.memcached_servers);
	f->conf.memcached_servers = strdup(servers);
	f->cache = cache_new(&f->conf, &err);
	assert_non_null(f->cache);
	buf_free(&err);
	*state = f;
	return 0;
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
	if (l->result == 1)
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
	l.result = 1;
	l.value = "back";
	/* The failed fill left only its short lease: the next reader waits it out or loads. */
	assert_int_equal(cache_get_or_load(f->cache, key("dbf"), 60, load, &l, &out), 1);
	assert_string_equal(buf_cstr(&out), "back");
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

/* A cache that does not answer makes reads slower, never wrong. */
static void
test_dead_server_falls_back_to_database(void **state)
{
	struct conf conf;
	struct buf err = BUF_INIT, out = BUF_INIT;
	struct loader l = { 0, 1, "from-db", NULL, NULL, BUF_INIT, 0 };
	struct cache *c;

	(void)state;
	conf_defaults(&conf);
	free(conf.memcached_servers);
	conf.memcached_servers = strdup("127.0.0.1:1");
	conf.memcached_timeout_ms = 100;
	c = cache_new(&conf, &err);
	assert_non_null(c);
	assert_int_equal(cache_get(c, "k", &out), -1);
	assert_int_equal(cache_set(c, "k", "v", 1, 60), -1);
	assert_int_equal(cache_get_or_load(c, "k", 60, load, &l, &out), 1);
	assert_string_equal(buf_cstr(&out), "from-db");
	cache_free(c);
	conf_free(&conf);
	buf_free(&err);
	buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_set_get_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_keys_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mget, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_or_load_fills_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_found_is_cached, setup, teardown),
		cmocka_unit_test_setup_teardown(test_database_failure_is_not_cached, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete_during_load_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lease_holder_blocks_second_filler, setup, teardown),
		cmocka_unit_test(test_dead_server_falls_back_to_database),
	};

	return cmocka_run_group_tests(tests, start_server, stop_server);
}
