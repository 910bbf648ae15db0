/* test_utf8.c: utf8_valid and utf8_count against every class of well- and malformed input. */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "test.h"
#include "utf8.h"

/* One input: its bytes (len given, so NUL can be part of it), whether it is valid UTF-8, and for
 * valid input its number of code points. */
struct row {
	int         line;
	const char *s;
	size_t      len;
	bool        valid;
	size_t      count;
};

#define ROW(s, valid, count) { __LINE__, s, sizeof s - 1, valid, count }

static const struct row rows[] = {
	/* Valid: empty, ASCII, NUL, and one of each length. */
	ROW("", true, 0),
	ROW("hello", true, 5),
	ROW("a\0b", true, 3),
	ROW("\xc3\xa9", true, 1),                       /* U+00E9 é */
	ROW("\xe2\x82\xac", true, 1),                   /* U+20AC € */
	ROW("\xf0\x9f\x98\x80", true, 1),               /* U+1F600 */
	ROW("caf\xc3\xa9 \xe2\x82\xac\xf0\x9f\x98\x80", true, 7),
	/* Boundary code points. */
	ROW("\x7f", true, 1),                           /* U+007F, last 1-byte */
	ROW("\xc2\x80", true, 1),                       /* U+0080, first 2-byte */
	ROW("\xdf\xbf", true, 1),                       /* U+07FF, last 2-byte */
	ROW("\xe0\xa0\x80", true, 1),                   /* U+0800, first 3-byte */
	ROW("\xed\x9f\xbf", true, 1),                   /* U+D7FF, just below the surrogates */
	ROW("\xee\x80\x80", true, 1),                   /* U+E000, just above them */
	ROW("\xef\xbf\xbd", true, 1),                   /* U+FFFD */
	ROW("\xef\xbf\xbf", true, 1),                   /* U+FFFF, last 3-byte */
	ROW("\xf0\x90\x80\x80", true, 1),               /* U+10000, first 4-byte */
	ROW("\xf4\x8f\xbf\xbf", true, 1),               /* U+10FFFF, the last code point */
	ROW("\xf3\xbf\xbf\xbf", true, 1),               /* U+FFFFF */
	/* Overlong forms, including the C0/C1 leads. */
	ROW("\xc0\x80", false, 0),                      /* NUL in two bytes */
	ROW("\xc0\xaf", false, 0),                      /* '/' in two bytes */
	ROW("\xc1\xbf", false, 0),                      /* U+007F in two bytes */
	ROW("\xe0\x80\xaf", false, 0),                  /* '/' in three bytes */
	ROW("\xe0\x9f\xbf", false, 0),                  /* U+07FF in three bytes */
	ROW("\xf0\x80\x80\xaf", false, 0),              /* '/' in four bytes */
	ROW("\xf0\x8f\xbf\xbf", false, 0),              /* U+FFFF in four bytes */
	/* Surrogates, alone and paired (CESU-8). */
	ROW("\xed\xa0\x80", false, 0),                  /* U+D800 */
	ROW("\xed\xad\xbf", false, 0),                  /* U+DB7F */
	ROW("\xed\xb0\x80", false, 0),                  /* U+DC00 */
	ROW("\xed\xbf\xbf", false, 0),                  /* U+DFFF */
	ROW("\xed\xa0\xbd\xed\xb8\x80", false, 0),      /* U+1F600 as a surrogate pair */
	/* Beyond U+10FFFF, and leads that can only start such sequences. */
	ROW("\xf4\x90\x80\x80", false, 0),              /* U+110000 */
	ROW("\xf5\x80\x80\x80", false, 0),
	ROW("\xf7\xbf\xbf\xbf", false, 0),
	ROW("\xf8\x88\x80\x80\x80", false, 0),          /* old 5-byte form */
	ROW("\xfc\x84\x80\x80\x80\x80", false, 0),      /* old 6-byte form */
	ROW("\xfe", false, 0),
	ROW("\xff", false, 0),
	/* Truncated sequences, at the end and in the middle. */
	ROW("\xc3", false, 0),
	ROW("\xe2\x82", false, 0),
	ROW("\xe2", false, 0),
	ROW("\xf0\x9f\x98", false, 0),
	ROW("\xf0\x9f", false, 0),
	ROW("\xf0", false, 0),
	ROW("a\xc3" "b", false, 0),
	ROW("\xe2\x82" "a", false, 0),
	ROW("\xf0\x9f\x98" "a", false, 0),
	ROW("\xc3\xc3\xa9", false, 0),
	/* Stray continuation bytes. */
	ROW("\x80", false, 0),
	ROW("\xbf", false, 0),
	ROW("a\x80" "b", false, 0),
	ROW("\xc3\xa9\xa9", false, 0),
	ROW("\xe2\x82\xac\x80", false, 0),
	ROW("\xf0\x9f\x98\x80\x80", false, 0),
	/* A bad byte after good text must still be found. */
	ROW("hello world, this is fine \xc3\xa9 until \xff", false, 0),
};

static void
test_rows(void **state)
{
	size_t i;
	bool got;

	(void)state;
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		got = utf8_valid(rows[i].s, rows[i].len);
		if (got != rows[i].valid)
			fail_msg("line %d: utf8_valid gave %d, want %d", rows[i].line, got,
			    rows[i].valid);
		if (rows[i].valid && utf8_count(rows[i].s, rows[i].len) != rows[i].count)
			fail_msg("line %d: utf8_count gave %zu, want %zu", rows[i].line,
			    utf8_count(rows[i].s, rows[i].len), rows[i].count);
	}
}

/* Only the first n bytes are looked at: a valid prefix of invalid text is valid. */
static void
test_length_bounds(void **state)
{
	(void)state;
	assert_true(utf8_valid("ab\xff", 2));
	assert_false(utf8_valid("ab\xff", 3));
	/* A sequence cut by n is truncated even when the bytes after n would complete it. */
	assert_false(utf8_valid("\xe2\x82\xac", 2));
	assert_true(utf8_valid(NULL, 0));
	assert_int_equal(utf8_count(NULL, 0), 0);
}

/* Every 2-byte input, and every 3-byte input with a 3-byte lead, decoded by hand, agrees with
 * utf8_valid: that is the whole space the lead-byte ranges carve up, so an off-by-one in any range
 * shows here. */
static bool
reference_valid3(unsigned a, unsigned b, unsigned c)
{
	unsigned cp;

	if (a < 0xe0 || a > 0xef || (b & 0xc0) != 0x80 || (c & 0xc0) != 0x80)
		return false;
	cp = (a & 0x0f) << 12 | (b & 0x3f) << 6 | (c & 0x3f);
	return cp >= 0x800 && (cp < 0xd800 || cp > 0xdfff);
}

static void
test_exhaustive_2_3(void **state)
{
	unsigned a, b, c;
	char s[3];
	bool want;

	(void)state;
	for (a = 0x80; a <= 0xff; a++) {
		for (b = 0; b <= 0xff; b++) {
			s[0] = (char)a;
			s[1] = (char)b;
			want = a >= 0xc2 && a <= 0xdf && (b & 0xc0) == 0x80;
			if (utf8_valid(s, 2) != want)
				fail_msg("%02x %02x: want %d", a, b, want);
			if (a < 0xe0 || a > 0xef)
				continue;
			for (c = 0; c <= 0xff; c++) {
				s[2] = (char)c;
				want = reference_valid3(a, b, c);
				if (utf8_valid(s, 3) != want)
					fail_msg("%02x %02x %02x: want %d", a, b, c, want);
			}
		}
	}
}

/* Four-byte sequences: first and last valid second byte for each lead, and one beyond each. */
static void
test_four_byte_edges(void **state)
{
	static const struct {
		int           line;
		unsigned char lead, second;
		bool          valid;
	} edges[] = {
		{ __LINE__, 0xf0, 0x8f, false }, { __LINE__, 0xf0, 0x90, true },
		{ __LINE__, 0xf0, 0xbf, true },  { __LINE__, 0xf0, 0xc0, false },
		{ __LINE__, 0xf1, 0x7f, false }, { __LINE__, 0xf1, 0x80, true },
		{ __LINE__, 0xf3, 0xbf, true },  { __LINE__, 0xf3, 0xc0, false },
		{ __LINE__, 0xf4, 0x80, true },  { __LINE__, 0xf4, 0x8f, true },
		{ __LINE__, 0xf4, 0x90, false }, { __LINE__, 0xf5, 0x80, false },
	};
	char s[4];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof edges / sizeof edges[0]; i++) {
		s[0] = (char)edges[i].lead;
		s[1] = (char)edges[i].second;
		s[2] = (char)0x80;
		s[3] = (char)0x80;
		if (utf8_valid(s, 4) != edges[i].valid)
			fail_msg("line %d: want %d", edges[i].line, edges[i].valid);
		/* The same with a bad last byte is never valid. */
		s[3] = 'a';
		if (utf8_valid(s, 4))
			fail_msg("line %d: bad fourth byte accepted", edges[i].line);
	}
}

static void
test_count_long(void **state)
{
	char s[3000];
	size_t i;

	(void)state;
	/* 1000 copies of the 3-byte euro sign. */
	for (i = 0; i < 1000; i++)
		memcpy(s + 3 * i, "\xe2\x82\xac", 3);
	assert_true(utf8_valid(s, sizeof s));
	assert_int_equal(utf8_count(s, sizeof s), 1000);
}

/* A prefix of so many characters never splits one: ASCII, 2-, 3- and 4-byte sequences. */
static const struct { int line; const char *s; size_t chars, want; } prefix_rows[] = {
	{ __LINE__, "", 3, 0 },
	{ __LINE__, "abc", 0, 0 },
	{ __LINE__, "abc", 2, 2 },
	{ __LINE__, "abc", 3, 3 },
	{ __LINE__, "abc", 9, 3 },
	{ __LINE__, "\xc3\xa4x", 1, 2 },                  /* a-umlaut */
	{ __LINE__, "\xe4\xbd\xa0\xe5\xa5\xbd", 1, 3 },       /* two CJK characters */
	{ __LINE__, "\xe4\xbd\xa0\xe5\xa5\xbd", 2, 6 },
	{ __LINE__, "a\xf0\x9f\x98\x80" "b", 2, 5 },            /* an emoji */
	{ __LINE__, "a\xf0\x9f\x98\x80" "b", 3, 6 },
};

static void
test_prefix(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof prefix_rows / sizeof prefix_rows[0]; i++) {
		size_t got = utf8_prefix(prefix_rows[i].s, strlen(prefix_rows[i].s),
		    prefix_rows[i].chars);

		if (got != prefix_rows[i].want)
			fail_msg("line %d: %zu bytes, want %zu", prefix_rows[i].line, got,
			    prefix_rows[i].want);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_length_bounds),
		cmocka_unit_test(test_exhaustive_2_3),
		cmocka_unit_test(test_four_byte_edges),
		cmocka_unit_test(test_count_long),
		cmocka_unit_test(test_prefix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
