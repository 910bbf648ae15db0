/* test_worker.c: the worker's timing, without servers: when a periodic task runs again, how long
 * an idle worker sleeps while shards are unreachable, and the back-off of failed jobs. The loop
 * itself runs against real servers in tests/integration/worker.sh. */
#include "config.h"

#include "test.h"

#include <stdbool.h>

#include "job.h"
#include "worker.h"

struct next_row {
	int     line;
	int64_t now;
	long    interval;
	bool    ok;
	int64_t want;
};

static void
test_task_next(void **state)
{
	static const struct next_row rows[] = {
		/* Done: a whole interval later. */
		{ __LINE__, 1000, 300, true, 1300 },
		{ __LINE__, 1000, 3600, true, 4600 },
		{ __LINE__, 0, 10, true, 10 },
		/* Failed: sooner, after WORKER_RETRY_S... */
		{ __LINE__, 1000, 3600, false, 1000 + WORKER_RETRY_S },
		{ __LINE__, 1000, 300, false, 1000 + WORKER_RETRY_S },
		/* ...unless the interval itself is shorter. */
		{ __LINE__, 1000, 10, false, 1010 },
		{ __LINE__, 1000, WORKER_RETRY_S, false, 1000 + WORKER_RETRY_S },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		const struct next_row *r = &rows[i];
		int64_t got = worker_task_next(r->now, r->interval, r->ok);

		if (got != r->want)
			fail_msg("line %d: next %lld, want %lld", r->line, (long long)got,
			    (long long)r->want);
	}
}

struct idle_row {
	int      line;
	long     poll_ms;
	unsigned failures;
	long     want;
};

static void
test_idle_backs_off_while_unreachable(void **state)
{
	static const struct idle_row rows[] = {
		/* Every shard read: the poll interval. */
		{ __LINE__, 200, 0, 200 },
		{ __LINE__, 10, 0, 10 },
		/* Doubling per failed pass... */
		{ __LINE__, 200, 1, 400 },
		{ __LINE__, 200, 2, 800 },
		{ __LINE__, 200, 5, 6400 },
		/* ...up to the ceiling, however long it lasts. */
		{ __LINE__, 200, 6, WORKER_BACKOFF_MAX_MS },
		{ __LINE__, 200, 1000, WORKER_BACKOFF_MAX_MS },
		{ __LINE__, 10, 4000000000u, WORKER_BACKOFF_MAX_MS },
		/* A poll interval beyond the ceiling is never shortened by a failure. */
		{ __LINE__, 60000, 0, 60000 },
		{ __LINE__, 60000, 3, 60000 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		const struct idle_row *r = &rows[i];
		long got = worker_idle_ms(r->poll_ms, r->failures);

		if (got != r->want)
			fail_msg("line %d: idle %ld ms, want %ld", r->line, got, r->want);
	}
}

struct backoff_row {
	int      line;
	unsigned attempts;
	long     want;
};

static void
test_job_backoff(void **state)
{
	static const struct backoff_row rows[] = {
		{ __LINE__, 0, JOB_BACKOFF_BASE },
		{ __LINE__, 1, JOB_BACKOFF_BASE },
		{ __LINE__, 2, 2 * JOB_BACKOFF_BASE },
		{ __LINE__, 3, 4 * JOB_BACKOFF_BASE },
		{ __LINE__, JOB_MAX_ATTEMPTS - 1, 64 * JOB_BACKOFF_BASE },
		{ __LINE__, 40, JOB_BACKOFF_MAX },
		{ __LINE__, 4000000000u, JOB_BACKOFF_MAX },
	};
	long total = 0;
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		long got = job_backoff(rows[i].attempts);

		if (got != rows[i].want)
			fail_msg("line %d: back-off %ld s, want %ld", rows[i].line, got, rows[i].want);
	}
	/* A job that keeps failing is set aside within a day, never retried for ever. */
	for (i = 1; i < JOB_MAX_ATTEMPTS; i++)
		total += job_backoff(i);
	assert_true(total < 86400);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_task_next),
		cmocka_unit_test(test_idle_backs_off_while_unreachable),
		cmocka_unit_test(test_job_backoff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
