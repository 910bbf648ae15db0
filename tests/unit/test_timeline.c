/* test_timeline.c: the cached timeline list (lib/social/timeline.h): its encoding round-trips,
 * entries appended by pushes are read back, garbled values are refused, and entries sort newest
 * first without repeats. */
#include "config.h"

#include "test.h"

#include <stdlib.h>
#include <string.h>

#include "timeline.h"

/* A list with followees, pulled authors and entries comes back as it went in; pushes appended
 * to its bytes are read as more entries. */
static void
test_round_trip_and_append(void **state)
{
	uint64_t follow[] = { 3, 70, (uint64_t)1 << 62 };
	uint64_t pulled[] = { 70 };
	struct timeline_entry e[] = { { 900, 3 }, { 800, 70 } };
	struct timeline_list in = { true, follow, 3, pulled, 1, e, 2, false };
	struct timeline_list out = TIMELINE_LIST_INIT;
	struct buf b = BUF_INIT;

	(void)state;
	timeline_list_encode(&in, &b);
	assert_int_equal(b.len, 10 + 8 * 4 + TIMELINE_ENTRY_SIZE * 2);
	timeline_entry_encode(950, (uint64_t)1 << 62, &b);
	assert_int_equal(timeline_list_decode(b.data, b.len, &out), 0);
	assert_true(out.complete);
	assert_int_equal(out.nfollow, 3);
	assert_memory_equal(out.follow, follow, sizeof follow);
	assert_int_equal(out.npulled, 1);
	assert_int_equal(out.pulled[0], 70);
	assert_int_equal(out.n, 3);
	assert_int_equal(out.e[0].post, 900);
	assert_int_equal(out.e[1].author, 70);
	assert_int_equal(out.e[2].post, 950);
	assert_int_equal(out.e[2].author, (uint64_t)1 << 62);
	timeline_list_free(&out);
	timeline_list_free(NULL);
	buf_free(&b);
}

/* An empty list (no followees, no posts) is valid too. */
static void
test_empty_list(void **state)
{
	struct timeline_list in = TIMELINE_LIST_INIT, out = TIMELINE_LIST_INIT;
	struct buf b = BUF_INIT;

	(void)state;
	timeline_list_encode(&in, &b);
	assert_int_equal(b.len, 10);
	assert_int_equal(timeline_list_decode(b.data, b.len, &out), 0);
	assert_false(out.complete);
	assert_int_equal(out.nfollow + out.npulled + out.n, 0);
	timeline_list_free(&out);
	buf_free(&b);
}

/* Values that are not a list of this version are refused, with nothing allocated. */
struct bad_row {
	int           line;
	const char   *bytes;
	size_t        len;
};

static const struct bad_row bad_rows[] = {
	{ __LINE__, "", 0 },
	{ __LINE__, "\x01\x00\x00\x00\x00", 5 },                               /* short header */
	{ __LINE__, "\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00", 10 },          /* another version */
	{ __LINE__, "\x01\x04\x00\x00\x00\x00\x00\x00\x00\x00", 10 },          /* unknown flag */
	{ __LINE__, "\x01\x00\x00\x00\x00\x01\x00\x00\x00\x00", 10 },          /* 1 followee, no bytes */
	{ __LINE__, "\x01\x00\xff\xff\xff\xff\xff\xff\xff\xff", 10 },          /* huge counts */
	{ __LINE__, "\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00" "12345", 15 },  /* torn entry */
	{ __LINE__, "\x01\x00\x00\x00\x00\x02\x00\x00\x00\x00"                 /* followees not */
	            "\x00\x00\x00\x00\x00\x00\x00\x09"                         /* ascending */
	            "\x00\x00\x00\x00\x00\x00\x00\x08", 26 },
};

static void
test_bad_values_are_refused(void **state)
{
	struct timeline_list l = TIMELINE_LIST_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad_rows / sizeof bad_rows[0]; i++) {
		if (timeline_list_decode(bad_rows[i].bytes, bad_rows[i].len, &l) != -1)
			fail_msg("line %d: accepted", bad_rows[i].line);
		if (l.e != NULL || l.follow != NULL || l.pulled != NULL || l.n != 0)
			fail_msg("line %d: refused, but the list is not empty", bad_rows[i].line);
	}
}

/* Entries come out newest first, each post once (a push that ran twice, or a post both pushed
 * and pulled). */
struct sort_row {
	int      line;
	uint64_t in[8];
	size_t   n;
	uint64_t want[8];
	size_t   nwant;
};

static const struct sort_row sort_rows[] = {
	{ __LINE__, { 0 }, 0, { 0 }, 0 },
	{ __LINE__, { 5 }, 1, { 5 }, 1 },
	{ __LINE__, { 1, 2, 3 }, 3, { 3, 2, 1 }, 3 },
	{ __LINE__, { 7, 7, 7 }, 3, { 7 }, 1 },
	{ __LINE__, { 4, 9, 4, 1, 9, 12 }, 6, { 12, 9, 4, 1 }, 4 },
	{ __LINE__, { UINT64_MAX, 0, UINT64_MAX }, 3, { UINT64_MAX, 0 }, 2 },
};

static void
test_sort_newest_first_without_repeats(void **state)
{
	struct timeline_entry e[8];
	size_t i, k, n;

	(void)state;
	for (i = 0; i < sizeof sort_rows / sizeof sort_rows[0]; i++) {
		for (k = 0; k < sort_rows[i].n; k++) {
			e[k].post = sort_rows[i].in[k];
			e[k].author = sort_rows[i].in[k] + 1;
		}
		n = timeline_entries_sort(e, sort_rows[i].n);
		if (n != sort_rows[i].nwant)
			fail_msg("line %d: %zu entries, want %zu", sort_rows[i].line, n,
			    sort_rows[i].nwant);
		for (k = 0; k < n; k++)
			if (e[k].post != sort_rows[i].want[k] || e[k].author != sort_rows[i].want[k] + 1)
				fail_msg("line %d: entry %zu differs", sort_rows[i].line, k);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_and_append),
		cmocka_unit_test(test_empty_list),
		cmocka_unit_test(test_bad_values_are_refused),
		cmocka_unit_test(test_sort_newest_first_without_repeats),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
