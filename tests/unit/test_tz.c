/* test_tz.c: zone names (lib/base/tz.h): only names of the system's zoneinfo are taken, nothing
 * that could leave its directory or reach the C library's TZ rule parser; and a time converted to a
 * zone lands on that zone's wall clock, across a DST change. Needs the system's tzdata (skipped
 * without it). */
#include "config.h"

#include "test.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tz.h"

struct valid_row {
	int         line;
	const char *name;
	bool        want;
};

static const struct valid_row valid_rows[] = {
	{ __LINE__, "UTC", true },
	{ __LINE__, "Asia/Shanghai", true },
	{ __LINE__, "America/New_York", true },
	{ __LINE__, "America/Argentina/Buenos_Aires", true },
	{ __LINE__, "Etc/GMT+5", true },
	{ __LINE__, "Europe/London", true },
	{ __LINE__, NULL, false },
	{ __LINE__, "", false },
	{ __LINE__, "Asia", false },                /* a directory */
	{ __LINE__, "Asia/", false },
	{ __LINE__, "Mars/Olympus_Mons", false },  /* the shape, but no such file */
	{ __LINE__, "/etc/passwd", false },
	{ __LINE__, "../../../etc/passwd", false },
	{ __LINE__, "Asia/../../../../etc/passwd", false },
	{ __LINE__, "Asia//Shanghai", false },
	{ __LINE__, ":Asia/Shanghai", false },     /* glibc's "file" prefix */
	{ __LINE__, "EST5EDT,M3.2.0,M11.1.0", false }, /* a POSIX rule, not a name */
	{ __LINE__, "CST-8", false },
	{ __LINE__, "-Asia/Shanghai", false },
	{ __LINE__, "Asia/Shanghai ", false },
	{ __LINE__, "Asia/Shanghai\n", false },
	{ __LINE__, "Asia/上海", false },
	{ __LINE__, "<script>", false },
	/* 65 bytes: one over TZ_NAME_MAX. */
	{ __LINE__, "Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false },
};

/* Skips the test on a system without tzdata: nothing to check the names against. */
static void
need_tzdata(void)
{
	if (access("/usr/share/zoneinfo/Asia/Shanghai", R_OK) != 0 && getenv("TZDIR") == NULL)
		skip();
}

static void
test_tz_valid(void **state)
{
	size_t i;

	(void)state;
	need_tzdata();
	for (i = 0; i < sizeof valid_rows / sizeof valid_rows[0]; i++) {
		const struct valid_row *r = &valid_rows[i];

		if (tz_valid(r->name) != r->want)
			fail_msg("line %d: tz_valid(%s) is %d", r->line, r->name ? r->name : "NULL",
			    !r->want);
	}
}

/* A Unix time, a zone, and the wall clock and abbreviation there. */
struct local_row {
	int         line;
	long long   t;
	const char *zone;
	int         rc, year, mon, mday, hour, min;
	const char *abbr;
};

static const struct local_row local_rows[] = {
	/* 2026-01-15 12:00 UTC: Shanghai is +8 all year, New York -5 in winter. */
	{ __LINE__, 1768478400, "Asia/Shanghai", 0, 2026, 1, 15, 20, 0, "CST" },
	{ __LINE__, 1768478400, "America/New_York", 0, 2026, 1, 15, 7, 0, "EST" },
	{ __LINE__, 1768478400, "UTC", 0, 2026, 1, 15, 12, 0, "UTC" },
	/* DST in New York began 2026-03-08 at 2:00 EST (07:00 UTC): a minute before, then at. */
	{ __LINE__, 1772953140, "America/New_York", 0, 2026, 3, 8, 1, 59, "EST" },
	{ __LINE__, 1772953200, "America/New_York", 0, 2026, 3, 8, 3, 0, "EDT" },
	{ __LINE__, 1772953200, "Asia/Shanghai", 0, 2026, 3, 8, 15, 0, "CST" },
	/* 2026-07-04 16:00 UTC: -4 in summer. */
	{ __LINE__, 1783180800, "America/New_York", 0, 2026, 7, 4, 12, 0, "EDT" },
	/* It ends 2026-11-01 at 2:00 EDT (06:00 UTC): 1:59 EDT, then 1:00 EST again. */
	{ __LINE__, 1793512740, "America/New_York", 0, 2026, 11, 1, 1, 59, "EDT" },
	{ __LINE__, 1793512800, "America/New_York", 0, 2026, 11, 1, 1, 0, "EST" },
	/* A refused zone is UTC, and says so. */
	{ __LINE__, 1768478400, "../etc/passwd", -1, 2026, 1, 15, 12, 0, "UTC" },
	{ __LINE__, 1768478400, "EST5EDT,M3.2.0,M11.1.0", -1, 2026, 1, 15, 12, 0, "UTC" },
	{ __LINE__, 1768478400, NULL, -1, 2026, 1, 15, 12, 0, "UTC" },
	/* And the zone after it is its own again (TZ is set per call, not left stale). */
	{ __LINE__, 1768478400, "Asia/Shanghai", 0, 2026, 1, 15, 20, 0, "CST" },
};

static void
test_tz_local(void **state)
{
	size_t i;

	(void)state;
	need_tzdata();
	for (i = 0; i < sizeof local_rows / sizeof local_rows[0]; i++) {
		const struct local_row *r = &local_rows[i];
		struct tm tm;
		char abbr[16];
		int rc = tz_local((time_t)r->t, r->zone, &tm, abbr, sizeof abbr);

		if (rc != r->rc)
			fail_msg("line %d: rc %d, want %d", r->line, rc, r->rc);
		if (tm.tm_year + 1900 != r->year || tm.tm_mon + 1 != r->mon ||
		    tm.tm_mday != r->mday || tm.tm_hour != r->hour || tm.tm_min != r->min)
			fail_msg("line %d: %04d-%02d-%02d %02d:%02d, want %04d-%02d-%02d %02d:%02d",
			    r->line, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
			    tm.tm_min, r->year, r->mon, r->mday, r->hour, r->min);
		if (strcmp(abbr, r->abbr) != 0)
			fail_msg("line %d: abbreviation %s, want %s", r->line, abbr, r->abbr);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tz_valid),
		cmocka_unit_test(test_tz_local),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
