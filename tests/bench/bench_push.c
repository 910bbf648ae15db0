/* bench_push.c: how long a timeline push's appends take, one round trip per list (as before
 * cache_append_many) against one pipelined batch per memcached node. Prints figures; asserts
 * nothing. Run by tests/bench/push.sh, which starts two memcached servers; by hand:
 *
 *   tests/bench/bench_push "127.0.0.1:11211, 127.0.0.1:11212" [runs]
 *
 * For N = 1000 and 5000 cached lists (every list cached: the costliest push), each way is timed
 * `runs` times (default 7); the median of each and the ratio of the old way (libmemcached's
 * memcached_append per list, what timeline.push did before) to the batch are printed. The
 * column between is cache_append per list (a batch of one: also a round trip each). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmemcached/memcached.h>

#include "cache.h"
#include "conf.h"

#define RUNS_MAX 99

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static int
by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, by_value);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Every list cached again, at a small size (the appends of the previous run dropped). */
static int
fill(struct cache *c, const char *const *keys, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (cache_set(c, keys[i], "header", 6, 600) != 1)
			return -1;
	return 0;
}

int
main(int argc, char **argv)
{
	static const size_t sizes[] = { 1000, 5000 };
	struct conf conf;
	struct buf err = BUF_INIT;
	struct cache *c = NULL;
	char (*names)[48] = NULL;
	const char **keys = NULL;
	int *res = NULL, runs = 7, rc = 1, r;
	double old[RUNS_MAX], one[RUNS_MAX], many[RUNS_MAX], t;
	memcached_st *mc = NULL;
	memcached_server_st *list = NULL;
	const char entry[16] = "0123456789abcdef";   /* a timeline entry's size */
	size_t s, i, n;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: %s \"host:port, host:port\" [runs]\n", argv[0]);
		return 2;
	}
	if (argc == 3)
		runs = (int)strtol(argv[2], NULL, 10);
	if (runs < 1 || runs > RUNS_MAX) {
		fprintf(stderr, "%s: runs: 1 .. %d\n", argv[0], RUNS_MAX);
		return 2;
	}
	conf_defaults(&conf);
	free(conf.memcached_servers);
	conf.memcached_servers = strdup(argv[1]);
	conf.memcached_timeout_ms = 1000;
	if ((c = cache_new(&conf, &err)) == NULL || cache_ping(c, &err) != 0) {
		fprintf(stderr, "%s: %s\n", argv[0], buf_cstr(&err));
		goto out;
	}
	/* The old way's client: the same nodes, ketama, the same key prefix (as cache.c's ring). */
	if ((mc = memcached_create(NULL)) == NULL)
		goto out;
	memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_DISTRIBUTION, MEMCACHED_DISTRIBUTION_CONSISTENT);
	memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_TCP_NODELAY, 1);
	list = memcached_servers_parse(argv[1]);
	if (list == NULL || memcached_server_push(mc, list) != MEMCACHED_SUCCESS) {
		fprintf(stderr, "%s: libmemcached refuses %s\n", argv[0], argv[1]);
		goto out;
	}
	n = sizes[sizeof sizes / sizeof sizes[0] - 1];
	names = calloc(n, sizeof *names);
	keys = calloc(n, sizeof *keys);
	res = calloc(n, sizeof *res);
	for (i = 0; i < n; i++) {
		snprintf(names[i], sizeof names[i], "bench:tl:%zu", i);
		keys[i] = names[i];
	}
	printf("lists  memcached_append each (ms)  cache_append each (ms)  "
	    "cache_append_many (ms)  ratio\n");
	for (s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
		n = sizes[s];
		for (r = 0; r < runs; r++) {
			char full[64];

			if (fill(c, keys, n) != 0)
				goto out;
			t = now_ms();
			for (i = 0; i < n; i++) {
				snprintf(full, sizeof full, "%s%s", conf.memcached_key_prefix, keys[i]);
				if (memcached_append(mc, full, strlen(full), entry, sizeof entry, 0, 0) !=
				    MEMCACHED_SUCCESS)
					goto failed;
			}
			old[r] = now_ms() - t;
			if (fill(c, keys, n) != 0)
				goto out;
			t = now_ms();
			for (i = 0; i < n; i++)
				if (cache_append(c, keys[i], entry, sizeof entry) != 1)
					goto failed;
			one[r] = now_ms() - t;
			if (fill(c, keys, n) != 0)
				goto out;
			t = now_ms();
			if (cache_append_many(c, keys, n, entry, sizeof entry, res) != (int)n)
				goto failed;
			many[r] = now_ms() - t;
		}
		t = median(old, runs);
		printf("%5zu  %30.2f  %22.2f  %22.2f  %5.1f\n", n, t, median(one, runs),
		    median(many, runs), t / median(many, runs));
	}
	rc = 0;
	goto out;
failed:
	fprintf(stderr, "%s: an append did not land (see the log above)\n", argv[0]);
out:
	free(names);
	free(keys);
	free(res);
	if (list != NULL)
		memcached_server_list_free(list);
	if (mc != NULL)
		memcached_free(mc);
	cache_free(c);
	conf_free(&conf);
	buf_free(&err);
	return rc;
}
