/* test_breaker.c: circuit breakers: opening, failing fast, one probe per host, backing off, the
 * state shared through the file between maps (as between processes), and the fallbacks. */
#include "config.h"

#include "test.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "breaker.h"
#include "conf.h"

struct fixture {
	struct conf conf;
	char        path[64];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	int fd;

	snprintf(f->path, sizeof f->path, "/tmp/test_breaker.XXXXXX");
	fd = mkstemp(f->path);
	assert_true(fd >= 0);
	close(fd);
	f->conf.breaker_state_file = f->path;
	f->conf.breaker_failures = 2;
	f->conf.breaker_open_seconds = 1;
	f->conf.breaker_max_open_seconds = 4;
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

/* Sleeps until a breaker opened now for open_seconds is half-open. */
static void
wait_open_over(const struct fixture *f)
{
	usleep((useconds_t)f->conf.breaker_open_seconds * 1000000 + 50000);
}

static void
test_opens_after_failures_in_a_row(void **state)
{
	struct fixture *f = *state;
	struct breaker_map *m = breaker_map_open(&f->conf);
	int s = breaker_slot(m, "mysql 127.0.0.1:1");
	uint64_t retry;

	assert_true(s >= 0);
	assert_true(breaker_allow(m, s, NULL));
	breaker_fail(m, s, "test");
	assert_true(breaker_allow(m, s, NULL));          /* 1 of 2 */
	breaker_ok(m, s);                           /* a success starts the count again */
	breaker_fail(m, s, "test");
	assert_int_equal(breaker_state(m, s, NULL), BREAKER_CLOSED);
	breaker_fail(m, s, "test");                 /* 2 in a row */
	assert_int_equal(breaker_state(m, s, &retry), BREAKER_OPEN);
	assert_true(retry > 0 && retry <= 1000);
	assert_false(breaker_allow(m, s, NULL));
	assert_false(breaker_allow(m, s, NULL));
	breaker_map_free(m);
}

/* Two maps of one file are two processes: what one finds, the other knows without trying. */
static void
test_state_is_shared_through_the_file(void **state)
{
	struct fixture *f = *state;
	struct breaker_map *a = breaker_map_open(&f->conf), *b = breaker_map_open(&f->conf);
	int sa = breaker_slot(a, "mysql 127.0.0.1:2"), sb = breaker_slot(b, "mysql 127.0.0.1:2");
	int other = breaker_slot(b, "mysql 127.0.0.1:3");

	assert_int_equal(sa, sb);
	assert_int_not_equal(sa, other);
	breaker_fail(a, sa, "test");
	breaker_fail(b, sb, "test");                /* the count is the host's */
	assert_false(breaker_allow(a, sa, NULL));
	assert_false(breaker_allow(b, sb, NULL));
	assert_true(breaker_allow(b, other, NULL));       /* another instance is not touched */
	breaker_map_free(a);
	breaker_map_free(b);
}

/* After the open time, one request of the host probes; the others still fail at once. */
static void
test_one_probe_then_closed(void **state)
{
	struct fixture *f = *state;
	struct breaker_map *a = breaker_map_open(&f->conf), *b = breaker_map_open(&f->conf);
	int s = breaker_slot(a, "mysql 127.0.0.1:4");

	assert_int_equal(breaker_slot(b, "mysql 127.0.0.1:4"), s);
	breaker_fail(a, s, "test");
	breaker_fail(a, s, "test");
	wait_open_over(f);
	bool probe = false;

	assert_int_equal(breaker_state(b, s, NULL), BREAKER_HALF_OPEN);
	assert_true(breaker_allow(b, s, &probe));         /* b probes */
	assert_true(probe);
	assert_false(breaker_allow(a, s, NULL));
	assert_false(breaker_allow(b, s, NULL));
	breaker_ok(b, s);
	assert_int_equal(breaker_state(a, s, NULL), BREAKER_CLOSED);
	assert_true(breaker_allow(a, s, NULL));
	assert_true(breaker_allow(a, s, NULL));
	breaker_map_free(a);
	breaker_map_free(b);
}

/* A failed probe opens the breaker again, for twice as long, up to the most. */
static void
test_failed_probe_backs_off(void **state)
{
	struct fixture *f = *state;
	struct breaker_map *m = breaker_map_open(&f->conf);
	int s = breaker_slot(m, "mysql 127.0.0.1:5");
	uint64_t retry;

	breaker_fail(m, s, "test");
	breaker_fail(m, s, "test");
	wait_open_over(f);
	assert_true(breaker_allow(m, s, NULL));
	breaker_fail(m, s, "probe");
	assert_int_equal(breaker_state(m, s, &retry), BREAKER_OPEN);
	assert_true(retry > 1000 && retry <= 2000);
	/* A late failure of a request sent before does not push it further. */
	breaker_fail(m, s, "late");
	assert_int_equal(breaker_state(m, s, &retry), BREAKER_OPEN);
	assert_true(retry <= 2000);
	breaker_map_free(m);
}

/* Without a file each map keeps its own state; it still opens and fails fast. */
static void
test_private_without_a_file(void **state)
{
	struct fixture *f = *state;
	struct breaker_map *a, *b;
	int sa, sb;

	f->conf.breaker_state_file = f->path + strlen(f->path);   /* "" */
	a = breaker_map_open(&f->conf);
	b = breaker_map_open(&f->conf);
	sa = breaker_slot(a, "mysql 127.0.0.1:6");
	sb = breaker_slot(b, "mysql 127.0.0.1:6");
	breaker_fail(a, sa, "test");
	breaker_fail(a, sa, "test");
	assert_false(breaker_allow(a, sa, NULL));
	assert_true(breaker_allow(b, sb, NULL));
	breaker_map_free(a);
	breaker_map_free(b);
}

/* A file that is not a breaker file (another version) is left alone: private state. */
static void
test_foreign_file_left_alone(void **state)
{
	struct fixture *f = *state;
	char junk[64];
	struct breaker_map *a, *b;
	int fd, sa;

	memset(junk, 0x5a, sizeof junk);
	fd = open(f->path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, junk, sizeof junk), (ssize_t)sizeof junk);
	close(fd);
	a = breaker_map_open(&f->conf);
	b = breaker_map_open(&f->conf);
	sa = breaker_slot(a, "mysql 127.0.0.1:7");
	breaker_fail(a, sa, "test");
	breaker_fail(a, sa, "test");
	assert_false(breaker_allow(a, sa, NULL));
	assert_true(breaker_allow(b, breaker_slot(b, "mysql 127.0.0.1:7"), NULL));
	breaker_map_free(a);
	breaker_map_free(b);
	/* And the file was not written over. */
	fd = open(f->path, O_RDONLY);
	assert_int_equal(read(fd, junk, sizeof junk), (ssize_t)sizeof junk);
	close(fd);
	assert_int_equal(junk[0], 0x5a);
	assert_int_equal(junk[sizeof junk - 1], 0x5a);
}

/* A full file: the backend that finds no slot is never broken. */
static void
test_full_file_never_breaks(void **state)
{
	struct fixture *f = *state;
	struct breaker_map *m = breaker_map_open(&f->conf);
	char name[32];
	int i, s;

	for (i = 0; i < BREAKER_SLOTS; i++) {
		snprintf(name, sizeof name, "node %d", i);
		assert_true(breaker_slot(m, name) >= 0);
	}
	assert_int_equal(breaker_slot(m, "node 0"), breaker_slot(m, "node 0"));
	s = breaker_slot(m, "one too many");
	assert_int_equal(s, -1);
	breaker_fail(m, s, "test");
	breaker_fail(m, s, "test");
	assert_true(breaker_allow(m, s, NULL));
	assert_int_equal(breaker_state(m, s, NULL), BREAKER_CLOSED);
	breaker_map_free(m);
}

static void
test_state_names(void **state)
{
	(void)state;
	assert_string_equal(breaker_state_name(BREAKER_CLOSED), "closed");
	assert_string_equal(breaker_state_name(BREAKER_OPEN), "open");
	assert_string_equal(breaker_state_name(BREAKER_HALF_OPEN), "half-open");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_opens_after_failures_in_a_row, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_is_shared_through_the_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_probe_then_closed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_probe_backs_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_private_without_a_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_file_left_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_file_never_breaks, setup, teardown),
		cmocka_unit_test(test_state_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
