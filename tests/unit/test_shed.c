/* test_shed.c: load shedding: the web server's stamp read in each unit it comes in, the classes,
 * the budgets, and the log's periods. */
#include "config.h"

#include "test.h"

#include <stdbool.h>
#include <stdint.h>

#include "shed.h"

/* 2026-12-07 06:00:00 UTC, in microseconds. */
#define NOW_US 1796623200000000ULL

static void
test_wait_from_each_unit(void **state)
{
	(void)state;
	/* Apache's %t: microseconds. */
	assert_int_equal(shed_wait_ms("t=1796623199750000", NOW_US), 250);
	/* milliseconds, and no "t=" */
	assert_int_equal(shed_wait_ms("1796623199000", NOW_US), 1000);
	/* seconds with a fraction (nginx's $msec) */
	assert_int_equal(shed_wait_ms("t=1796623199.5", NOW_US), 500);
	assert_int_equal(shed_wait_ms("t=1796623199.123456789", NOW_US), 876);
	/* whole seconds */
	assert_int_equal(shed_wait_ms("t=1796623190", NOW_US), 10000);
	/* trailing white space is allowed */
	assert_int_equal(shed_wait_ms("t=1796623199750000 ", NOW_US), 250);
}

static void
test_unreadable_or_absurd_stamps_are_never_shed(void **state)
{
	(void)state;
	assert_int_equal(shed_wait_ms(NULL, NOW_US), -1);
	assert_int_equal(shed_wait_ms("", NOW_US), -1);
	assert_int_equal(shed_wait_ms("t=", NOW_US), -1);
	assert_int_equal(shed_wait_ms("t=abc", NOW_US), -1);
	assert_int_equal(shed_wait_ms("t=1796623199750000x", NOW_US), -1);
	assert_int_equal(shed_wait_ms("D=1234", NOW_US), -1);
	/* more than an hour ago: a wrong clock, not a queue */
	assert_int_equal(shed_wait_ms("t=1796619000000000", NOW_US), -1);
	/* from the future (another host's clock): waited nothing */
	assert_int_equal(shed_wait_ms("t=1796623201000000", NOW_US), 0);
	/* too many digits is not read as a huge number */
	assert_int_equal(shed_wait_ms("t=99999999999999999999999", NOW_US), -1);
}

static void
test_classes(void **state)
{
	(void)state;
	assert_int_equal(shed_classify(true, true, false), SHED_EXEMPT);
	assert_int_equal(shed_classify(true, false, true), SHED_EXEMPT);
	assert_int_equal(shed_classify(false, true, false), SHED_ANON);
	assert_int_equal(shed_classify(false, true, true), SHED_USER);
	assert_int_equal(shed_classify(false, false, false), SHED_USER);
}

static void
test_budgets(void **state)
{
	(void)state;
	assert_false(shed_refuse(SHED_ANON, 100, 100, 1000));
	assert_true(shed_refuse(SHED_ANON, 101, 100, 1000));
	assert_false(shed_refuse(SHED_USER, 999, 100, 1000));
	assert_true(shed_refuse(SHED_USER, 1001, 100, 1000));
	assert_false(shed_refuse(SHED_EXEMPT, 100000, 100, 1000));
	/* 0: that class is never shed */
	assert_false(shed_refuse(SHED_ANON, 100000, 0, 1000));
	assert_false(shed_refuse(SHED_USER, 100000, 100, 0));
	/* The shorter budget while a queue stands; a class never shed stays so. */
	assert_int_equal(shed_budget_min(100, 20), 20);
	assert_int_equal(shed_budget_min(20, 100), 20);
	assert_int_equal(shed_budget_min(0, 50), 0);
	assert_int_equal(shed_budget_min(1000, 0), 1000);
	assert_int_equal(shed_budget_min(0, 0), 0);
}

/* A burst is not a standing queue; a queue whose shortest wait stays over the target for a
 * whole interval is, until an interval has a short wait again, or no request at all. */
static void
test_standing_queue(void **state)
{
	struct shed_queue q = { 0, 0, false };
	uint64_t t = 1000;

	(void)state;
	/* A burst: long waits, but one request of the interval went through at once. */
	assert_false(shed_observe(&q, 300, t, 20));
	assert_false(shed_observe(&q, 2, t + 40, 20));
	assert_false(shed_observe(&q, 250, t + 80, 20));
	assert_false(shed_observe(&q, 90, t + 100, 20));    /* the interval ends: min 2 */
	/* Every wait of the next interval over 20 ms: from its end on, a queue stands. */
	assert_false(shed_observe(&q, 60, t + 150, 20));
	assert_true(shed_observe(&q, 45, t + 200, 20));     /* it ends: min 60 */
	assert_true(shed_observe(&q, 5, t + 250, 20));      /* still the last interval's verdict */
	assert_false(shed_observe(&q, 30, t + 300, 20));    /* it ends: min 5, it drained */
	/* Long waits again, then quiet: an interval without requests ends it. */
	assert_true(shed_observe(&q, 40, t + 400, 20));
	assert_false(shed_observe(&q, 40, t + 700, 20));
	/* Target 0: never. */
	q = (struct shed_queue){ 0, 0, false };
	assert_false(shed_observe(&q, 500, t, 0));
	assert_false(shed_observe(&q, 500, t + 100, 0));
	assert_false(shed_observe(&q, 500, t + 150, 0));
}

static void
test_log_once_per_period(void **state)
{
	struct shed_stats s = { 0, 0, 0 };
	unsigned n = 0;
	long max = 0;

	(void)state;
	assert_false(shed_report_due(&s, 50000, 10000, &n, &max));
	shed_count(&s, 150, 50000);
	shed_count(&s, 900, 52000);
	shed_count(&s, 300, 55000);
	assert_false(shed_report_due(&s, 59999, 10000, &n, &max));
	assert_true(shed_report_due(&s, 60000, 10000, &n, &max));
	assert_int_equal(n, 3);
	assert_int_equal(max, 900);
	/* reported once; nothing more until the next refusal and its period */
	assert_false(shed_report_due(&s, 60001, 10000, &n, &max));
	assert_false(shed_report_due(&s, 200000, 10000, &n, &max));
	shed_count(&s, 120, 300000);
	assert_false(shed_report_due(&s, 305000, 10000, &n, &max));
	assert_true(shed_report_due(&s, 310000, 10000, &n, &max));
	assert_int_equal(n, 1);
	assert_int_equal(max, 120);
}

/* The web server's signal: written once an interval while shedding, naming an end
 * SHED_SIGNAL_MS after it was written, so that it lapses on its own. */
static void
test_signal_once_an_interval(void **state)
{
	struct shed_signal s = { 0 };
	char line[48];

	(void)state;
	assert_true(shed_signal_due(&s, 5000));
	assert_false(shed_signal_due(&s, 5000));
	assert_false(shed_signal_due(&s, 5000 + SHED_INTERVAL_MS - 1));
	assert_true(shed_signal_due(&s, 5000 + SHED_INTERVAL_MS));
	assert_false(shed_signal_due(&s, 5000 + SHED_INTERVAL_MS + 1));

	assert_int_equal(shed_signal_line(line, sizeof line, 1765000000000ULL, 2), 16);
	assert_string_equal(line, "1765000000200 2\n");
	assert_int_equal(shed_signal_line(line, 10, 1765000000000ULL, 2), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wait_from_each_unit),
		cmocka_unit_test(test_unreadable_or_absurd_stamps_are_never_shed),
		cmocka_unit_test(test_classes),
		cmocka_unit_test(test_budgets),
		cmocka_unit_test(test_standing_queue),
		cmocka_unit_test(test_log_once_per_period),
		cmocka_unit_test(test_signal_once_an_interval),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
