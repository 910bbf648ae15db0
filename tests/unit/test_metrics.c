/* test_metrics.c: the host's counters: requests by binary and status, the latency histogram,
 * round trips and cache keys, shared through the file between maps (as between processes), the
 * private fallback, the text format, and who may read it. */
#include "config.h"

#include "test.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "metrics.h"

struct fixture {
	struct conf conf;
	char        path[64];
	char        allow[64];
	char        none[1];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	int fd;

	snprintf(f->path, sizeof f->path, "/tmp/test_metrics.XXXXXX");
	fd = mkstemp(f->path);
	assert_true(fd >= 0);
	close(fd);
	f->conf.metrics_state_file = f->path;
	snprintf(f->allow, sizeof f->allow, "127.0.0.1, ::1  10.1.2.3");
	f->conf.metrics_allow = f->allow;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	unlink(f->path);
	free(f);
	return 0;
}

/* The value of the line that starts with series (name and labels) followed by a space, or -1. */
static double
value_of(const struct buf *text, const char *series)
{
	const char *p = buf_cstr(text);
	size_t n = strlen(series);

	while ((p = strstr(p, series)) != NULL) {
		if ((p == buf_cstr(text) || p[-1] == '\n') && p[n] == ' ')
			return atof(p + n + 1);
		p += n;
	}
	return -1;
}

static void
request(struct metrics *m, int status, double ms)
{
	struct metrics_request r = { status, ms, 3, 2, 10, 9, status == 503 };

	metrics_request(m, &r);
}

/* Two maps of one file (two processes, two binaries) add to the same counts. */
static void
test_shared_between_processes(void **state)
{
	struct fixture *f = *state;
	struct metrics *post = metrics_open(&f->conf, "starling-post");
	struct metrics *post2 = metrics_open(&f->conf, "starling-post");
	struct metrics *site = metrics_open(&f->conf, "starling-site");
	struct buf out = BUF_INIT;

	request(post, 200, 1.5);
	request(post2, 200, 30);
	request(post2, 404, 0.2);
	request(site, 503, 2);
	metrics_render(site, &out);
	assert_true(value_of(&out, "starling_requests_total{binary=\"starling-post\",status=\"200\"}") == 2);
	assert_true(value_of(&out, "starling_requests_total{binary=\"starling-post\",status=\"404\"}") == 1);
	assert_true(value_of(&out, "starling_requests_total{binary=\"starling-site\",status=\"503\"}") == 1);
	/* A status never answered is left out. */
	assert_true(value_of(&out, "starling_requests_total{binary=\"starling-site\",status=\"200\"}") == -1);
	assert_true(value_of(&out, "starling_memcached_round_trips_total{binary=\"starling-post\"}") == 9);
	assert_true(value_of(&out, "starling_mysql_round_trips_total{binary=\"starling-post\"}") == 6);
	assert_true(value_of(&out, "starling_cache_keys_total{binary=\"starling-post\"}") == 30);
	assert_true(value_of(&out, "starling_cache_hits_total{binary=\"starling-post\"}") == 27);
	assert_true(value_of(&out, "starling_shed_total{binary=\"starling-site\"}") == 1);
	assert_true(value_of(&out, "starling_shed_total{binary=\"starling-post\"}") == 0);
	assert_true(value_of(&out, "starling_metrics_shared") == 1);
	metrics_free(post);
	metrics_free(post2);
	metrics_free(site);
	buf_free(&out);
}

/* Each process adds the growth of its own totals per instance; the host's sum is shown. */
static void
test_instances(void **state)
{
	struct fixture *f = *state;
	struct metrics *a = metrics_open(&f->conf, "starling-post");
	struct metrics *b = metrics_open(&f->conf, "starling-feed");
	struct buf out = BUF_INIT;

	metrics_instance(a, 1, 2, 0);
	metrics_instance(a, 1, 2, 0);     /* no growth: nothing added */
	metrics_instance(a, 1, 5, 1);     /* 3 more errors, 1 timeout */
	metrics_instance(b, 1, 1, 4);
	metrics_instance(b, METRICS_INSTANCES, 9, 9);   /* beyond the table: left out */
	metrics_render(a, &out);
	assert_true(value_of(&out, "starling_mysql_errors_total{instance=\"1\"}") == 6);
	assert_true(value_of(&out, "starling_mysql_timeouts_total{instance=\"1\"}") == 5);
	assert_true(value_of(&out, "starling_mysql_errors_total{instance=\"0\"}") == -1);
	metrics_free(a);
	metrics_free(b);
	buf_free(&out);
}

/* Buckets are cumulative, +Inf is the count, the sum is in seconds. */
static void
test_histogram(void **state)
{
	struct fixture *f = *state;
	struct metrics *m = metrics_open(&f->conf, "starling-feed");
	struct buf out = BUF_INIT;

	request(m, 200, 0.5);     /* le 0.001 */
	request(m, 200, 1.0);     /* le 0.001: a bound is inclusive */
	request(m, 200, 7);       /* le 0.01 */
	request(m, 200, 60000);   /* only +Inf */
	metrics_render(m, &out);
#define B(le) "starling_request_duration_seconds_bucket{binary=\"starling-feed\",le=\"" le "\"}"
	assert_true(value_of(&out, B("0.001")) == 2);
	assert_true(value_of(&out, B("0.005")) == 2);
	assert_true(value_of(&out, B("0.01")) == 3);
	assert_true(value_of(&out, B("10")) == 3);
	assert_true(value_of(&out, B("+Inf")) == 4);
#undef B
	assert_true(value_of(&out,
	    "starling_request_duration_seconds_count{binary=\"starling-feed\"}") == 4);
	assert_true(value_of(&out,
	    "starling_request_duration_seconds_sum{binary=\"starling-feed\"}") > 60.008);
	assert_true(value_of(&out,
	    "starling_request_duration_seconds_sum{binary=\"starling-feed\"}") < 60.009);
	metrics_free(m);
	buf_free(&out);
}

/* Unknown binaries and statuses have their own row and column; every series line is
 * name{labels} number, after its family's HELP and TYPE. */
static void
test_other_and_format(void **state)
{
	struct fixture *f = *state;
	struct metrics *m = metrics_open(&f->conf, "starling-admin");
	struct buf out = BUF_INIT;
	const char *line, *end;

	request(m, 418, 1);
	metrics_render(m, &out);
	assert_true(value_of(&out, "starling_requests_total{binary=\"other\",status=\"other\"}") == 1);
	assert_non_null(strstr(buf_cstr(&out), "# TYPE starling_requests_total counter\n"));
	assert_non_null(strstr(buf_cstr(&out),
	    "# TYPE starling_request_duration_seconds histogram\n"));
	for (line = buf_cstr(&out); *line; line = end + 1) {
		end = strchr(line, '\n');
		assert_non_null(end);
		if (*line == '#')
			continue;
		/* name, optional {labels}, one space, a number, nothing else. */
		{
			size_t name = strspn(line, "abcdefghijklmnopqrstuvwxyz_");
			const char *v = line + name;
			char *after;

			assert_true(name > 0);
			if (*v == '{')
				v = strchr(v, '}') + 1;
			assert_int_equal(*v, ' ');
			(void)strtod(v + 1, &after);
			assert_ptr_equal(after, end);
		}
	}
	metrics_free(m);
	buf_free(&out);
}

/* Without a file, or with a file of another kind, a process counts for itself. */
static void
test_private_fallback(void **state)
{
	struct fixture *f = *state;
	struct metrics *a, *b;
	struct buf out = BUF_INIT;
	int fd;

	f->conf.metrics_state_file = f->none;
	a = metrics_open(&f->conf, "starling-site");
	b = metrics_open(&f->conf, "starling-site");
	request(a, 200, 1);
	metrics_render(b, &out);
	assert_true(value_of(&out, "starling_requests_total{binary=\"starling-site\",status=\"200\"}") == -1);
	assert_true(value_of(&out, "starling_metrics_shared") == 0);
	metrics_free(a);
	metrics_free(b);
	/* Not a metrics file: left alone. */
	fd = open(f->path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "SBRK\1\0\0\0", 8), 8);
	close(fd);
	f->conf.metrics_state_file = f->path;
	a = metrics_open(&f->conf, "starling-site");
	buf_reset(&out);
	metrics_render(a, &out);
	assert_true(value_of(&out, "starling_metrics_shared") == 0);
	metrics_free(a);
	buf_free(&out);
}

static const struct { int line; const char *addr; bool want; } allow_rows[] = {
	{ __LINE__, "127.0.0.1", true },
	{ __LINE__, "::1", true },
	{ __LINE__, "10.1.2.3", true },
	{ __LINE__, "::ffff:127.0.0.1", true },     /* IPv4-mapped */
	{ __LINE__, "::ffff:10.1.2.3", true },
	{ __LINE__, "0:0:0:0:0:0:0:1", true },      /* another spelling of ::1 */
	{ __LINE__, "127.0.0.2", false },
	{ __LINE__, "10.1.2.30", false },
	{ __LINE__, "10.1.2", false },
	{ __LINE__, "", false },
	{ __LINE__, "127.0.0.1 ", false },
	{ __LINE__, "localhost", false },
	{ __LINE__, "::2", false },
};

static void
test_allowed(void **state)
{
	struct fixture *f = *state;
	size_t i;

	for (i = 0; i < sizeof allow_rows / sizeof allow_rows[0]; i++)
		if (metrics_allowed(&f->conf, allow_rows[i].addr) != allow_rows[i].want)
			fail_msg("line %d: %s", allow_rows[i].line, allow_rows[i].addr);
	assert_false(metrics_allowed(&f->conf, NULL));
	f->conf.metrics_allow = f->none;
	assert_false(metrics_allowed(&f->conf, "127.0.0.1"));
	snprintf(f->allow, sizeof f->allow, "nonsense, 127.0.0.1");
	f->conf.metrics_allow = f->allow;
	assert_true(metrics_allowed(&f->conf, "127.0.0.1"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_shared_between_processes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_histogram, setup, teardown),
		cmocka_unit_test_setup_teardown(test_instances, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_and_format, setup, teardown),
		cmocka_unit_test_setup_teardown(test_private_fallback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_allowed, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
