/* test_switches.c: the degradation switches without a database: names, values and reasons as
 * starling-admin takes them, change detection, and what the pipeline and the worker decide from
 * a process's copy. The table itself is driven through the real stack by
 * tests/integration/test_switches.py. */
#include "config.h"

#include "test.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "switches.h"

static void
test_find(void **state)
{
	static const struct { int line; const char *name; int want; } rows[] = {
		{ __LINE__, "fanout_hold", SWITCH_FANOUT_HOLD },
		{ __LINE__, "search_off", SWITCH_SEARCH_OFF },
		{ __LINE__, "trends_off", SWITCH_TRENDS_OFF },
		{ __LINE__, "notify_off", SWITCH_NOTIFY_OFF },
		{ __LINE__, "read_only", SWITCH_READ_ONLY },
		{ __LINE__, "retries_off", SWITCH_RETRIES_OFF },
		{ __LINE__, "anon_shed", SWITCH_ANON_SHED },
		{ __LINE__, "media_quality", SWITCH_MEDIA_QUALITY },
		{ __LINE__, "READ_ONLY", -1 },      /* exact names only */
		{ __LINE__, "read_only ", -1 },
		{ __LINE__, "read", -1 },
		{ __LINE__, "", -1 },
		{ __LINE__, NULL, -1 },
	};
	size_t i;
	int k;

	(void)state;
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++)
		if (switches_find(rows[i].name) != rows[i].want)
			fail_msg("line %d: switches_find(%s) = %d, want %d", rows[i].line,
			    rows[i].name ? rows[i].name : "NULL", switches_find(rows[i].name), rows[i].want);
	/* Every switch is found by its own name, and says what it does. */
	for (k = 0; k < SWITCH_COUNT; k++) {
		assert_int_equal(switches_find(switches_def((enum switch_id)k)->name), k);
		assert_true(strlen(switches_def((enum switch_id)k)->what) > 10);
	}
}

static void
test_parse_value(void **state)
{
	static const struct {
		int line;
		enum switch_id id;
		const char *text;
		bool ok;
		long want;
	} rows[] = {
		{ __LINE__, SWITCH_READ_ONLY, "on", true, 1 },
		{ __LINE__, SWITCH_READ_ONLY, "true", true, 1 },
		{ __LINE__, SWITCH_READ_ONLY, "1", true, 1 },
		{ __LINE__, SWITCH_READ_ONLY, "off", true, 0 },
		{ __LINE__, SWITCH_READ_ONLY, "false", true, 0 },
		{ __LINE__, SWITCH_READ_ONLY, "0", true, 0 },
		{ __LINE__, SWITCH_READ_ONLY, "2", false, 0 },
		{ __LINE__, SWITCH_READ_ONLY, "ON", false, 0 },
		{ __LINE__, SWITCH_READ_ONLY, "yes", false, 0 },
		{ __LINE__, SWITCH_READ_ONLY, "", false, 0 },
		{ __LINE__, SWITCH_FANOUT_HOLD, " 1", false, 0 },
		{ __LINE__, SWITCH_ANON_SHED, "0", true, 0 },
		{ __LINE__, SWITCH_ANON_SHED, "off", true, 0 },
		{ __LINE__, SWITCH_ANON_SHED, "50", true, 50 },
		{ __LINE__, SWITCH_ANON_SHED, "100", true, 100 },
		{ __LINE__, SWITCH_ANON_SHED, "007", true, 7 },
		{ __LINE__, SWITCH_ANON_SHED, "101", false, 0 },
		{ __LINE__, SWITCH_ANON_SHED, "-1", false, 0 },
		{ __LINE__, SWITCH_ANON_SHED, "+5", false, 0 },
		{ __LINE__, SWITCH_ANON_SHED, "5 ", false, 0 },
		{ __LINE__, SWITCH_ANON_SHED, "5x", false, 0 },
		{ __LINE__, SWITCH_ANON_SHED, "0x10", false, 0 },
		{ __LINE__, SWITCH_ANON_SHED, "on", false, 0 },   /* a share, not a flag */
		{ __LINE__, SWITCH_ANON_SHED, "99999999999999999999", false, 0 },
		{ __LINE__, SWITCH_ANON_SHED, "", false, 0 },
		{ __LINE__, SWITCH_MEDIA_QUALITY, "80", true, 80 },
		{ __LINE__, SWITCH_MEDIA_QUALITY, "1000", false, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		long v = -42;
		const char *why = switches_parse_value(rows[i].id, rows[i].text, &v);

		if (rows[i].ok && (why != NULL || v != rows[i].want))
			fail_msg("line %d: \"%s\": %s, value %ld, want %ld", rows[i].line, rows[i].text,
			    why ? why : "accepted", v, rows[i].want);
		if (!rows[i].ok && (why == NULL || v != -42))
			fail_msg("line %d: \"%s\" was accepted (%ld) or changed the value",
			    rows[i].line, rows[i].text, v);
	}
}

static void
test_reason(void **state)
{
	char long_ok[SWITCH_REASON_MAX + 1], too_long[SWITCH_REASON_MAX + 2];

	(void)state;
	memset(long_ok, 'a', SWITCH_REASON_MAX);
	long_ok[SWITCH_REASON_MAX] = '\0';
	memset(too_long, 'a', SWITCH_REASON_MAX + 1);
	too_long[SWITCH_REASON_MAX + 1] = '\0';
	assert_true(switches_reason_ok(""));
	assert_true(switches_reason_ok("surge after the match; see INC-42"));
	assert_true(switches_reason_ok("流量高峰"));
	assert_true(switches_reason_ok(long_ok));
	assert_false(switches_reason_ok(too_long));
	assert_false(switches_reason_ok("two\nlines"));    /* a forged log line */
	assert_false(switches_reason_ok("tab\there"));
	assert_false(switches_reason_ok("del\x7f"));
	assert_false(switches_reason_ok("\xc3("));         /* not UTF-8 */
}

/* A process's copy without a database: switches_update sets what a read would. */
struct fixture {
	struct conf      conf;
	struct switches *sw;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	conf_defaults(&f->conf);
	f->sw = switches_new(NULL, &f->conf);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	switches_free(f->sw);
	conf_free(&f->conf);
	free(f);
	return 0;
}

static void
set(struct switches *sw, enum switch_id id, long v)
{
	struct switch_state next[SWITCH_COUNT];
	int i;

	memset(next, 0, sizeof next);
	for (i = 0; i < SWITCH_COUNT; i++)
		next[i].value = switches_get(sw, (enum switch_id)i);
	next[id].value = v;
	snprintf(next[id].reason, sizeof next[id].reason, "test");
	(void)switches_update(sw, next, false);
}

static void
test_update_counts_changes(void **state)
{
	struct fixture *f = *state;
	struct switch_state next[SWITCH_COUNT];
	int i;

	memset(next, 0, sizeof next);
	for (i = 0; i < SWITCH_COUNT; i++)
		assert_int_equal(switches_get(f->sw, (enum switch_id)i), 0);
	assert_int_equal(switches_update(f->sw, next, true), 0);     /* all off, as before */
	next[SWITCH_READ_ONLY].value = 1;
	next[SWITCH_ANON_SHED].value = 30;
	snprintf(next[SWITCH_READ_ONLY].reason, sizeof next[0].reason, "migration");
	assert_int_equal(switches_update(f->sw, next, false), 2);
	assert_true(switches_on(f->sw, SWITCH_READ_ONLY));
	assert_int_equal(switches_get(f->sw, SWITCH_ANON_SHED), 30);
	/* The same again: nothing changed, even with another reason. */
	snprintf(next[SWITCH_READ_ONLY].reason, sizeof next[0].reason, "still migrating");
	assert_int_equal(switches_update(f->sw, next, false), 0);
	next[SWITCH_ANON_SHED].value = 0;
	assert_int_equal(switches_update(f->sw, next, false), 1);
	assert_false(switches_on(f->sw, SWITCH_ANON_SHED));
	/* Out of range: read as off, never a crash. */
	assert_int_equal(switches_get(f->sw, (enum switch_id)SWITCH_COUNT), 0);
	assert_int_equal(switches_get(NULL, SWITCH_READ_ONLY), 0);
}

static void
test_shed_share_and_determinism(void **state)
{
	char client[32];
	int i, shed = 0;

	(void)state;
	assert_false(switches_shed(0, "10.0.0.1", "/"));
	assert_true(switches_shed(100, "10.0.0.1", "/"));
	assert_true(switches_shed(100, NULL, NULL));
	for (i = 0; i < 2000; i++) {
		bool s;

		snprintf(client, sizeof client, "10.%d.%d.%d", i / 65536, (i / 256) % 256, i % 256);
		s = switches_shed(25, client, "/u/alice");

		/* The same client and path: the same answer every time. */
		assert_true(s == switches_shed(25, client, "/u/alice"));
		/* A share never sheds what a larger one keeps. */
		if (s)
			assert_true(switches_shed(60, client, "/u/alice"));
		shed += s;
	}
	/* About a quarter of 2000 clients (a fair hash: well within 400 .. 600). */
	if (shed < 400 || shed > 600)
		fail_msg("25%% shed %d of 2000", shed);
}

static void
test_gate(void **state)
{
	struct fixture *f = *state;
	struct switches_request get = { false, false, false, "10.0.0.1", "/" };
	struct switches_request post = { true, true, false, "10.0.0.1", "/api/v1/post/create" };
	struct switches_request login = { true, false, true, "10.0.0.1", "/api/v1/user/login" };
	struct switches_request mine = { false, true, false, "10.0.0.1", "/" };

	assert_int_equal(switches_gate(f->sw, &get), SWITCHES_PASS);
	assert_int_equal(switches_gate(f->sw, &post), SWITCHES_PASS);
	set(f->sw, SWITCH_READ_ONLY, 1);
	assert_int_equal(switches_gate(f->sw, &post), SWITCHES_READ_ONLY);
	assert_int_equal(switches_gate(f->sw, &get), SWITCHES_PASS);      /* reads go on */
	assert_int_equal(switches_gate(f->sw, &login), SWITCHES_PASS);    /* so does logging in */
	set(f->sw, SWITCH_READ_ONLY, 0);
	set(f->sw, SWITCH_ANON_SHED, 100);
	assert_int_equal(switches_gate(f->sw, &get), SWITCHES_SHED);
	assert_int_equal(switches_gate(f->sw, &mine), SWITCHES_PASS);     /* logged in */
	assert_int_equal(switches_gate(f->sw, &login), SWITCHES_PASS);    /* essential */
	set(f->sw, SWITCH_ANON_SHED, 0);
	assert_int_equal(switches_gate(f->sw, &get), SWITCHES_PASS);
}

static void
test_retry_delays(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(switches_retry_after(f->sw), f->conf.switches_retry_after);
	assert_int_equal(switches_job_delay(f->sw, 10), 10);
	assert_int_equal(switches_job_delay(f->sw, 3600), 3600);
	set(f->sw, SWITCH_RETRIES_OFF, 1);
	assert_int_equal(switches_retry_after(f->sw), f->conf.switches_slow_retry_after);
	assert_true(switches_retry_after(f->sw) > f->conf.switches_retry_after);
	assert_int_equal(switches_job_delay(f->sw, 10), f->conf.switches_slow_job_retry);
	/* Never shorter than the normal back-off. */
	assert_int_equal(switches_job_delay(f->sw, 7200), 7200);
	set(f->sw, SWITCH_RETRIES_OFF, 0);
	assert_int_equal(switches_job_delay(f->sw, 10), 10);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_parse_value),
		cmocka_unit_test(test_reason),
		cmocka_unit_test_setup_teardown(test_update_counts_changes, setup, teardown),
		cmocka_unit_test(test_shed_share_and_determinism),
		cmocka_unit_test_setup_teardown(test_gate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retry_delays, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
