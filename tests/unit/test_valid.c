/* test_valid.c: the input checks for accounts and profiles, at their edges and past them. */
#include "config.h"

#include "test.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "valid.h"

/* Long strings by repetition of a one-character (or one-code-point) literal. */
#define R10(c)  c c c c c c c c c c
#define R50(c)  R10(c) R10(c) R10(c) R10(c) R10(c)
#define R100(c) R50(c) R50(c)

/* The strings at the edges of the length limits; test_edge_lengths proves their sizes. */
#define LABEL63   R50("a") R10("a") "aaa"
#define LABEL64   LABEL63 "a"
#define LOCAL64   R50("l") R10("l") "llll"
#define LOCAL65   LOCAL64 "l"
#define EMAIL254  LOCAL64 "@" LABEL63 "." LABEL63 "." R50("b") "bbbbbbb" ".com"
#define EMAIL255  LOCAL64 "@" LABEL63 "." LABEL63 "." R50("b") "bbbbbbbb" ".com"
#define PASS128   R100("p") R10("p") R10("p") "ppppppp1"
#define PASS129   PASS128 "q"
#define PASS1025  R100("p") R100("p") R100("p") R100("p") R100("p") R100("p") R100("p") \
	R100("p") R100("p") R100("p") R10("p") R10("p") "pppp1"
#define CJK126    R100("\xe5\xaf\x86") R10("\xe5\xaf\x86") R10("\xe5\xaf\x86") \
	"\xe5\xaf\x86\xe5\xaf\x86\xe5\xaf\x86\xe5\xaf\x86\xe5\xaf\x86\xe5\xaf\x86"
#define EMOJI126  R100("\xf0\x9f\x98\x80") R10("\xf0\x9f\x98\x80") R10("\xf0\x9f\x98\x80") \
	"\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80" \
	"\xf0\x9f\x98\x80"
#define URL255    "https://example.com/" R100("u") R100("u") R10("u") R10("u") R10("u") "uuuuu"
#define URL256    URL255 "v"

/* The edge strings above have the lengths their names claim, or the edge rows prove nothing. */
static void
test_edge_lengths(void **state)
{
	(void)state;
	assert_int_equal(strlen(LABEL63), 63);
	assert_int_equal(strlen(LABEL64), 64);
	assert_int_equal(strlen(LOCAL64), 64);
	assert_int_equal(strlen(LOCAL65), 65);
	assert_int_equal(strlen(EMAIL254), 254);
	assert_int_equal(strlen(EMAIL255), 255);
	assert_int_equal(strlen(PASS128), 128);
	assert_int_equal(strlen(PASS129), 129);
	assert_int_equal(strlen(PASS1025), 1025);
	assert_int_equal(strlen(CJK126), 126 * 3);
	assert_int_equal(strlen(EMOJI126), 126 * 4);
	assert_int_equal(strlen(URL255), 255);
	assert_int_equal(strlen(URL256), 256);
}

/* One string check: the input (n bytes, so NUL can be inside) and a piece of the expected
 * message, or NULL when the input must be accepted. */
struct str_row {
	int         line;
	const char *s;
	size_t      n;
	const char *expect;
};

#define OK(s)       { __LINE__, s, sizeof s - 1, NULL }
#define BAD(s, msg) { __LINE__, s, sizeof s - 1, msg }

static void
run_str_rows(const char *name, const char *(*check)(const char *, size_t),
    const struct str_row *rows, size_t n)
{
	const char *got;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct str_row *r = &rows[i];

		got = check(r->s, r->n);
		if (r->expect == NULL && got != NULL)
			fail_msg("line %d: %s refused \"%.60s\": %s", r->line, name, r->s, got);
		if (r->expect != NULL && got == NULL)
			fail_msg("line %d: %s accepted \"%.60s\"", r->line, name, r->s);
		if (r->expect != NULL && strstr(got, r->expect) == NULL)
			fail_msg("line %d: %s said \"%s\", want \"%s\"", r->line, name, got, r->expect);
	}
}

#define RUN_STR_ROWS(check, rows) run_str_rows(#check, check, rows, sizeof rows / sizeof rows[0])

static const struct str_row username_rows[] = {
	OK("abcd"),                       /* 4: the shortest */
	OK("abcdefghijklmno"),            /* 15: the longest */
	OK("ABCD"),
	OK("a_b_"),
	OK("____"),
	OK("1234"),
	OK("User_2026"),
	BAD("", "username must be 4 to 15 letters, digits or _"),
	BAD("abc", "4 to 15"),            /* 3 */
	BAD("abcdefghijklmnop", "4 to 15"),   /* 16 */
	BAD("abc-d", "4 to 15"),
	BAD("abc.d", "4 to 15"),
	BAD("abc d", "4 to 15"),
	BAD(" abcd", "4 to 15"),
	BAD("abcd\n", "4 to 15"),
	BAD("ab\0cd", "4 to 15"),         /* NUL inside: 5 bytes */
	BAD("abcd\0", "4 to 15"),
	BAD("abc\xc3\xa9", "4 to 15"),    /* é */
	BAD("\xe7\x94\xa8\xe6\x88\xb7\xe5\x90\x8d\xe5\xad\x97", "4 to 15"),   /* 用户名字 */
	BAD("abc@d", "4 to 15"),
	BAD("abc$", "4 to 15"),
};

static void
test_username(void **state)
{
	(void)state;
	RUN_STR_ROWS(valid_username, username_rows);
}

/* Every byte after "abc": only letters, digits and '_' make a username. */
static void
test_username_every_byte(void **state)
{
	static const char allowed[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_";
	char s[4] = "abc";
	int b;

	(void)state;
	for (b = 0; b < 256; b++) {
		bool want = b != 0 && strchr(allowed, b) != NULL;

		s[3] = (char)b;
		if ((valid_username(s, 4) == NULL) != want)
			fail_msg("byte 0x%02x: %s", b, want ? "refused" : "accepted");
	}
}

#define DOM_MSG   "domain of the email address"
#define LOCAL_MSG "before @"
#define AT_MSG    "exactly one @"

static const struct str_row email_rows[] = {
	OK("a@b.co"),
	OK("user@example.com"),
	OK("USER@EXAMPLE.COM"),
	OK("user.name+tag@example.com"),
	OK("a.b.c@example.com"),
	OK("!#$%&'*+/=?^_`{|}~-@example.com"),
	OK("x@sub.example.co.uk"),
	OK("x@ex-ample.com"),
	OK("x@a--b.com"),
	OK("x@123.example.com"),
	OK("x@example.museum"),
	OK(LOCAL64 "@example.com"),       /* 64-byte local part */
	OK("x@" LABEL63 ".com"),          /* 63-byte label */
	OK(EMAIL254),
	BAD(LOCAL65 "@example.com", LOCAL_MSG),
	BAD("x@" LABEL64 ".com", DOM_MSG),
	BAD(EMAIL255, "at most 254"),
	BAD("", AT_MSG),
	BAD("user", AT_MSG),
	BAD("user.example.com", AT_MSG),
	BAD("a@@example.com", AT_MSG),
	BAD("a@b@example.com", AT_MSG),
	BAD("@example.com", LOCAL_MSG),
	BAD(".a@example.com", LOCAL_MSG),
	BAD("a.@example.com", LOCAL_MSG),
	BAD("a..b@example.com", LOCAL_MSG),
	BAD("a b@example.com", LOCAL_MSG),
	BAD("\"a b\"@example.com", LOCAL_MSG),   /* quoted local parts are not taken */
	BAD("a(b)@example.com", LOCAL_MSG),
	BAD("a,b@example.com", LOCAL_MSG),
	BAD("a<b>@example.com", LOCAL_MSG),
	BAD("a\\b@example.com", LOCAL_MSG),
	BAD("\xc3\xa9@example.com", LOCAL_MSG),
	BAD("a\0b@example.com", LOCAL_MSG),
	BAD("a@", DOM_MSG),
	BAD("a@com", DOM_MSG),                   /* one label */
	BAD("a@example.c", DOM_MSG),             /* last label of 1 */
	BAD("a@example.c0m", DOM_MSG),           /* last label not letters */
	BAD("a@example.123", DOM_MSG),
	BAD("a@127.0.0.1", DOM_MSG),
	BAD("a@[127.0.0.1]", DOM_MSG),
	BAD("a@-example.com", DOM_MSG),
	BAD("a@example-.com", DOM_MSG),
	BAD("a@example.-com", DOM_MSG),
	BAD("a@.example.com", DOM_MSG),
	BAD("a@example..com", DOM_MSG),
	BAD("a@example.com.", DOM_MSG),
	BAD("a@exa_mple.com", DOM_MSG),
	BAD("a@exa mple.com", DOM_MSG),
	BAD("a@ex\xc3\xa4mple.com", DOM_MSG),
	BAD("a@example.com\n", DOM_MSG),
	BAD("a@example.com\r\nBcc: b@example.com", AT_MSG),
	BAD("a@example.com\r\nBcc: evil", DOM_MSG),
	BAD("a@example.com\0", DOM_MSG),
	BAD("a@example.com\0.evil.org", DOM_MSG),
};

static void
test_email(void **state)
{
	(void)state;
	RUN_STR_ROWS(valid_email, email_rows);
}

#define LEN_MSG   "password must be 8 to 128 characters"
#define MIX_MSG   "at least one letter and one digit"
#define CHAR_MSG  "not allowed"

static const struct str_row password_rows[] = {
	OK("abcdefg1"),                                   /* 8 */
	OK("1234567a"),
	OK("Correct horse battery staple 9"),
	OK("a1 !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"),
	OK(PASS128),
	/* Code points, not bytes: 6 CJK characters + 2 = 8, in 20 bytes. */
	OK("\xe5\xaf\x86\xe7\xa0\x81\xe5\xaf\x86\xe7\xa0\x81\xe5\xaf\x86\xe7\xa0\x81" "a1"),
	OK(CJK126 "a1"),                                  /* 128 code points, 380 bytes */
	OK(EMOJI126 "a1"),                                /* 128 code points, 506 bytes */
	BAD("", LEN_MSG),
	BAD("abcdef1", LEN_MSG),                          /* 7 */
	BAD(PASS129, LEN_MSG),
	BAD(PASS1025, LEN_MSG),
	/* 7 code points in 17 bytes: a byte count would have let it through. */
	BAD("\xe5\xaf\x86\xe7\xa0\x81\xe5\xaf\x86\xe7\xa0\x81\xe5\xaf\x86" "a1", LEN_MSG),
	BAD(CJK126 "a1b", LEN_MSG),                       /* 129 code points */
	BAD(EMOJI126 "a1b", LEN_MSG),
	BAD("abcdefgh", MIX_MSG),
	BAD("12345678", MIX_MSG),
	BAD("!@#$%^&*()", MIX_MSG),
	/* Letters outside ASCII do not count as the letter. */
	BAD("\xc3\xa4\xc3\xb6\xc3\xbc\xc3\xa4\xc3\xb6\xc3\xbc" "12", MIX_MSG),
	BAD("\xe5\xaf\x86\xe7\xa0\x81\xe5\xaf\x86\xe7\xa0\x81\xe5\xaf\x86\xe7\xa0\x81" "12", MIX_MSG),
	/* Fullwidth digit one (U+FF11) is not an ASCII digit. */
	BAD("abcdefg\xef\xbc\x91", MIX_MSG),
	BAD("abcd\0efg1", CHAR_MSG),
	BAD("abcdefg1\0", CHAR_MSG),
	BAD("abcdefg1\xff", CHAR_MSG),
	BAD("abcdefg1\xc3", CHAR_MSG),                    /* truncated sequence */
	BAD("abcdefg1\xc0\xaf", CHAR_MSG),                /* overlong '/' */
	BAD("abcdefg1\xed\xa0\x80", CHAR_MSG),            /* surrogate */
};

static void
test_password(void **state)
{
	(void)state;
	RUN_STR_ROWS(valid_password, password_rows);
}

#define SCHEME_MSG "must start with http:// or https://"
#define HOST_MSG   "host is not valid"
#define PORT_MSG   "port must be a number from 1 to 65535"
#define URLCH_MSG  "character that is not allowed"
#define USER_MSG   "user name or password"

static const struct str_row url_rows[] = {
	OK("http://example.com"),
	OK("https://example.com/"),
	OK("HTTPS://EXAMPLE.COM"),
	OK("hTtP://example.com"),
	OK("http://localhost"),
	OK("http://localhost:8080/x"),
	OK("http://192.0.2.1/"),
	OK("http://[::1]/"),
	OK("http://[2001:db8::1]:443/a?b#c"),
	OK("http://[::ffff:192.0.2.1]"),
	OK("https://example.com/a/b?c=d&e=f#frag"),
	OK("https://example.com/%E4%BD%A0%e5%a5%bd"),
	OK("https://example.com/a@b"),                     /* '@' in a path is only a character */
	OK("https://example.com?q"),
	OK("https://example.com#x"),
	OK("https://example.com/path;param=1,2"),
	OK("https://example.com/~user/(x)*!$'+"),
	OK("https://example.com/a:b"),
	OK("https://a-b.example.com"),
	OK("https://xn--fsqu00a.xn--0zwm56d/"),
	OK("http://example.com:1"),
	OK("http://example.com:65535"),
	OK("http://example.com:00080"),
	OK("https://" LABEL63 ".com"),
	OK(URL255),
	/* Not http(s). */
	BAD("", SCHEME_MSG),
	BAD("javascript:alert(1)", SCHEME_MSG),
	BAD("JAVASCRIPT:alert(1)", SCHEME_MSG),
	BAD("javascript://example.com/%0Aalert(1)", SCHEME_MSG),
	BAD("data:text/plain,hi", SCHEME_MSG),
	BAD("vbscript:x", SCHEME_MSG),
	BAD("ftp://example.com", SCHEME_MSG),
	BAD("//example.com", SCHEME_MSG),
	BAD("http:/example.com", SCHEME_MSG),
	BAD("http:example.com", SCHEME_MSG),
	BAD("http//example.com", SCHEME_MSG),
	BAD("example.com", SCHEME_MSG),
	BAD("httpx://example.com", SCHEME_MSG),
	BAD("http:", SCHEME_MSG),
	/* No host, or a bad one. */
	BAD("http://", HOST_MSG),
	BAD("https://", HOST_MSG),
	BAD("http:///path", HOST_MSG),
	BAD("http://?q", HOST_MSG),
	BAD("http://:80", HOST_MSG),
	BAD("http://-example.com", HOST_MSG),
	BAD("http://example-.com", HOST_MSG),
	BAD("http://exa_mple.com", HOST_MSG),
	BAD("http://example..com", HOST_MSG),
	BAD("http://.example.com", HOST_MSG),
	BAD("http://example.com.", HOST_MSG),
	BAD("http://" LABEL64 ".com", HOST_MSG),
	BAD("http://[::1", HOST_MSG),
	BAD("http://[]/", HOST_MSG),
	BAD("http://[:]/", HOST_MSG),
	BAD("http://[::1]x/", HOST_MSG),
	BAD("http://[g::1]/", HOST_MSG),
	BAD("http://[127.0.0.1]/", HOST_MSG),
	BAD("http://[::1%25eth0]/", HOST_MSG),
	BAD("http://exa[mple.com", HOST_MSG),
	/* Ports. */
	BAD("http://example.com:", PORT_MSG),
	BAD("http://example.com:/x", PORT_MSG),
	BAD("http://example.com:0", PORT_MSG),
	BAD("http://example.com:65536", PORT_MSG),
	BAD("http://example.com:99999", PORT_MSG),
	BAD("http://example.com:123456", PORT_MSG),
	BAD("http://example.com:8o", PORT_MSG),
	BAD("http://example.com:-1", PORT_MSG),
	BAD("http://example.com:80:80", PORT_MSG),
	/* User info, whichever way it is dressed. */
	BAD("http://user@example.com", USER_MSG),
	BAD("http://user:pass@example.com", USER_MSG),
	BAD("http://example.com@evil.example", USER_MSG),
	BAD("http://@example.com", USER_MSG),
	BAD("http://example.com:80@evil.example/", USER_MSG),
	/* Characters. */
	BAD("http://exa mple.com", URLCH_MSG),
	BAD(" http://example.com", URLCH_MSG),
	BAD("http://example.com ", URLCH_MSG),
	BAD("http://example.com/a b", URLCH_MSG),
	BAD("http://example.com/\t", URLCH_MSG),
	BAD("http://example.com/\n", URLCH_MSG),
	BAD("http://example.com/\r\nSet-Cookie: x=y", URLCH_MSG),
	BAD("http://example.com/\x7f", URLCH_MSG),
	BAD("http://example.com\0/", URLCH_MSG),
	BAD("http://example.com/\0", URLCH_MSG),
	BAD("http://ex\xc3\xa4mple.com", URLCH_MSG),
	BAD("http://example.com/\xc3\xbc", URLCH_MSG),
	BAD("http://example.com\\@evil.example", URLCH_MSG),
	BAD("http:\\\\example.com", URLCH_MSG),
	BAD("http://example.com/<script>", URLCH_MSG),
	BAD("http://example.com/\"onmouseover=x", URLCH_MSG),
	BAD("http://example.com/{x}", URLCH_MSG),
	BAD("http://example.com/a|b", URLCH_MSG),
	BAD("http://example.com/a^b", URLCH_MSG),
	BAD("http://example.com/`", URLCH_MSG),
	BAD("http://example.com/[x]", URLCH_MSG),
	BAD("http://example.com/?a[]=1", URLCH_MSG),
	BAD("http://example.com/a%", URLCH_MSG),
	BAD("http://example.com/a%2", URLCH_MSG),
	BAD("http://example.com/a%zz", URLCH_MSG),
	BAD("http://example.com/a%%41", URLCH_MSG),
	BAD(URL256, "at most 255"),
};

static void
test_http_url(void **state)
{
	(void)state;
	RUN_STR_ROWS(valid_http_url, url_rows);
}

/* Every byte at the end of a path: only RFC 3986's unreserved and reserved characters, without
 * brackets, pass on their own. */
static void
test_http_url_every_byte(void **state)
{
	static const char allowed[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-._~:/?#@!$&'()*+,;=";
	char s[] = "http://example.com/x";
	size_t last = sizeof s - 2;
	int b;

	(void)state;
	for (b = 0; b < 256; b++) {
		bool want = b != 0 && strchr(allowed, b) != NULL;

		s[last] = (char)b;
		if ((valid_http_url(s, sizeof s - 1) == NULL) != want)
			fail_msg("byte 0x%02x: %s", b, want ? "refused" : "accepted");
	}
}

/* Dates: the parts, the current year, and a piece of the message (NULL: accepted). */
struct date_row {
	int         line;
	int         y, m, d, current;
	const char *expect;
};

#define EXIST "date does not exist"
#define YEAR  "year must be from 1900"
#define MONTH "month must be from 1 to 12"
#define DAY   "day must be from 1 to 31"

static const struct date_row date_rows[] = {
	{ __LINE__, 2000, 2, 29, 2026, NULL },      /* divisible by 400: leap */
	{ __LINE__, 2024, 2, 29, 2026, NULL },
	{ __LINE__, 1996, 2, 29, 2026, NULL },
	{ __LINE__, 1900, 2, 29, 2026, EXIST },     /* divisible by 100, not 400: not leap */
	{ __LINE__, 2023, 2, 29, 2026, EXIST },
	{ __LINE__, 2024, 2, 30, 2026, EXIST },
	{ __LINE__, 2023, 2, 28, 2026, NULL },
	{ __LINE__, 1900, 1, 1, 2026, NULL },
	{ __LINE__, 1899, 12, 31, 2026, YEAR },
	{ __LINE__, 2026, 12, 31, 2026, NULL },
	{ __LINE__, 2027, 1, 1, 2026, YEAR },
	{ __LINE__, 2030, 1, 1, 2030, NULL },       /* the limit moves with current_year */
	{ __LINE__, 2024, 4, 30, 2026, NULL },
	{ __LINE__, 2024, 4, 31, 2026, EXIST },
	{ __LINE__, 2024, 6, 31, 2026, EXIST },
	{ __LINE__, 2024, 9, 31, 2026, EXIST },
	{ __LINE__, 2024, 11, 31, 2026, EXIST },
	{ __LINE__, 2024, 7, 31, 2026, NULL },
	{ __LINE__, 2024, 8, 31, 2026, NULL },
	{ __LINE__, 2024, 12, 31, 2026, NULL },
	{ __LINE__, 2024, 1, 31, 2026, NULL },
	{ __LINE__, 2024, 13, 1, 2026, MONTH },
	{ __LINE__, 2024, 0, 1, 2026, MONTH },
	{ __LINE__, 2024, -1, 1, 2026, MONTH },
	{ __LINE__, 2024, 1, 0, 2026, DAY },
	{ __LINE__, 2024, 1, 32, 2026, DAY },
	{ __LINE__, 2024, 1, -1, 2026, DAY },
	{ __LINE__, 0, 1, 1, 2026, YEAR },
	{ __LINE__, -2024, 1, 1, 2026, YEAR },
	{ __LINE__, 2024, 1, 1, 1899, YEAR },       /* no year can be valid */
};

static void
test_date(void **state)
{
	const char *got;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof date_rows / sizeof date_rows[0]; i++) {
		const struct date_row *r = &date_rows[i];

		got = valid_date(r->y, r->m, r->d, r->current);
		if ((got == NULL) != (r->expect == NULL) || (got && !strstr(got, r->expect)))
			fail_msg("line %d: valid_date(%d, %d, %d) gave %s, want %s", r->line, r->y,
			    r->m, r->d, got ? got : "NULL", r->expect ? r->expect : "NULL");
	}
}

static const struct date_row parts_rows[] = {
	{ __LINE__, 0, 0, 0, 2026, NULL },          /* nothing given */
	{ __LINE__, 0, 2, 29, 2026, NULL },         /* 29 February exists in some year */
	{ __LINE__, 0, 2, 30, 2026, EXIST },
	{ __LINE__, 0, 4, 31, 2026, EXIST },        /* 31 April never does */
	{ __LINE__, 0, 4, 30, 2026, NULL },
	{ __LINE__, 0, 12, 31, 2026, NULL },
	{ __LINE__, 2023, 2, 29, 2026, EXIST },     /* with the year: that year's calendar */
	{ __LINE__, 2024, 2, 29, 2026, NULL },
	{ __LINE__, 1900, 2, 29, 2026, EXIST },
	{ __LINE__, 2000, 2, 29, 2026, NULL },
	{ __LINE__, 0, 0, 31, 2026, NULL },         /* a day alone */
	{ __LINE__, 0, 0, 32, 2026, DAY },
	{ __LINE__, 2023, 0, 31, 2026, NULL },      /* year and day, no month */
	{ __LINE__, 0, 6, 0, 2026, NULL },          /* a month alone */
	{ __LINE__, 2024, 0, 0, 2026, NULL },       /* a year alone */
	{ __LINE__, 1900, 0, 0, 2026, NULL },
	{ __LINE__, 2026, 0, 0, 2026, NULL },
	{ __LINE__, 1899, 0, 0, 2026, YEAR },
	{ __LINE__, 2027, 0, 0, 2026, YEAR },
	{ __LINE__, 0, 13, 0, 2026, MONTH },
	{ __LINE__, -5, 0, 0, 2026, YEAR },
	{ __LINE__, 0, -1, 0, 2026, MONTH },
	{ __LINE__, 0, 0, -1, 2026, DAY },
	{ __LINE__, 2024, 4, 31, 2026, EXIST },
};

static void
test_date_parts(void **state)
{
	const char *got;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof parts_rows / sizeof parts_rows[0]; i++) {
		const struct date_row *r = &parts_rows[i];

		got = valid_date_parts(r->y, r->m, r->d, r->current);
		if ((got == NULL) != (r->expect == NULL) || (got && !strstr(got, r->expect)))
			fail_msg("line %d: valid_date_parts(%d, %d, %d) gave %s, want %s", r->line,
			    r->y, r->m, r->d, got ? got : "NULL", r->expect ? r->expect : "NULL");
	}
}

/* Every full date from 1900 to 2100 against the calendar of the C library (timegm normalises a
 * day past the month's end into the next month, so a date exists when it comes back unchanged).
 * valid_date and valid_date_parts with all three parts must agree with it and with each other. */
static void
test_date_against_libc(void **state)
{
	int y, m, d;

	(void)state;
	for (y = 1900; y <= 2100; y++) {
		for (m = 1; m <= 12; m++) {
			for (d = 1; d <= 31; d++) {
				struct tm tm = { 0 };
				bool exists, full, parts;

				tm.tm_year = y - 1900;
				tm.tm_mon = m - 1;
				tm.tm_mday = d;
				tm.tm_hour = 12;
				(void)timegm(&tm);
				exists = tm.tm_mday == d && tm.tm_mon == m - 1;
				full = valid_date(y, m, d, 2100) == NULL;
				parts = valid_date_parts(y, m, d, 2100) == NULL;
				if (full != exists || parts != exists)
					fail_msg("%04d-%02d-%02d: libc says %d, valid_date %d, "
					    "valid_date_parts %d", y, m, d, exists, full, parts);
			}
		}
	}
}

/* Free text: the bytes, the limit, whether newlines are allowed, and the expected message. */
struct text_row {
	int         line;
	const char *s;
	size_t      n;
	size_t      max;
	bool        nl;
	const char *expect;
};

#define TEXT(s, max, nl, expect) { __LINE__, s, sizeof s - 1, max, nl, expect }
#define LONG "text is too long"
#define CTL  "control character"
#define UTF  "not valid UTF-8"

static const struct text_row text_rows[] = {
	TEXT("", 0, false, NULL),
	TEXT("", 10, true, NULL),
	TEXT("hello", 5, false, NULL),
	TEXT("hello", 4, false, LONG),
	TEXT("\xe4\xbd\xa0\xe5\xa5\xbd\xe4\xb8\x96\xe7\x95\x8c", 4, false, NULL),   /* 你好世界 */
	TEXT("\xe4\xbd\xa0\xe5\xa5\xbd\xe4\xb8\x96\xe7\x95\x8c", 3, false, LONG),
	TEXT("\xf0\x9f\x98\x80", 1, false, NULL),
	TEXT("\xf0\x9f\x98\x80\xf0\x9f\x98\x80", 1, false, LONG),
	TEXT("a b\xc2\xa0" "c", 5, false, NULL),          /* a no-break space is text */
	TEXT("a\nb", 3, true, NULL),
	TEXT("a\nb", 3, false, CTL),
	TEXT("a\tb", 3, true, NULL),
	TEXT("a\tb", 3, false, CTL),
	TEXT("a\r\nb", 3, true, NULL),                    /* CRLF counts as one */
	TEXT("a\r\nb", 2, true, LONG),
	TEXT("\r\n\r\n", 2, true, NULL),
	TEXT("a\r\nb", 4, false, CTL),
	TEXT("a\rb", 3, true, CTL),                       /* a lone CR is not a line break */
	TEXT("a\r", 3, true, CTL),
	TEXT("\n\n\n", 3, true, NULL),
	TEXT("\n\n\n", 2, true, LONG),
	TEXT("a\0b", 3, true, CTL),
	TEXT("a\0b", 3, false, CTL),
	TEXT("\x1b[31mred", 10, true, CTL),
	TEXT("a\x7f", 2, true, CTL),
	TEXT("a\x01", 2, true, CTL),
	TEXT("a\x1f", 2, true, CTL),
	TEXT("a\xc2\x85" "b", 3, true, CTL),              /* U+0085 NEL, a C1 control */
	TEXT("a\xc2\x80", 3, true, CTL),                  /* U+0080 */
	TEXT("a\xc2\x9f", 3, true, CTL),                  /* U+009F */
	TEXT("a\xc2\xa0", 3, true, NULL),                 /* U+00A0, just past C1 */
	TEXT("\xff", 10, true, UTF),
	TEXT("ab\xc3", 10, true, UTF),
	TEXT("\xc0\x8a", 10, true, UTF),                  /* overlong LF */
	TEXT("\xed\xa0\x80", 10, true, UTF),
};

static void
test_text(void **state)
{
	const char *got;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof text_rows / sizeof text_rows[0]; i++) {
		const struct text_row *r = &text_rows[i];

		got = valid_text(r->s, r->n, r->max, r->nl);
		if ((got == NULL) != (r->expect == NULL) || (got && !strstr(got, r->expect)))
			fail_msg("line %d: valid_text gave %s, want %s", r->line, got ? got : "NULL",
			    r->expect ? r->expect : "NULL");
	}
}

/* Every check takes (NULL, 0) as the empty string. */
static void
test_null_empty(void **state)
{
	struct buf out = BUF_INIT;

	(void)state;
	assert_non_null(valid_username(NULL, 0));
	assert_non_null(valid_email(NULL, 0));
	assert_non_null(valid_password(NULL, 0));
	assert_non_null(valid_http_url(NULL, 0));
	assert_null(valid_text(NULL, 0, 0, false));
	valid_lower_ascii(NULL, 0, &out);
	assert_int_equal(out.len, 0);
	buf_free(&out);
}

struct lower_row {
	int         line;
	const char *in;
	size_t      n;
	const char *out;
};

#define LOWER(in, out) { __LINE__, in, sizeof in - 1, out }

static const struct lower_row lower_rows[] = {
	LOWER("", ""),
	LOWER("ABC", "abc"),
	LOWER("abc", "abc"),
	LOWER("AZaz09_", "azaz09_"),
	LOWER("User@Example.COM", "user@example.com"),
	LOWER("@[\\]^_`{", "@[\\]^_`{"),                 /* the neighbours of A-Z and a-z */
	LOWER("\xc3\x84\xc3\x96", "\xc3\x84\xc3\x96"),     /* ÄÖ: not ASCII, left alone */
	LOWER("\xe7\x94\xa8X", "\xe7\x94\xa8x"),
	LOWER("A\0B", "a\0b"),
};

static void
test_lower_ascii(void **state)
{
	struct buf out = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof lower_rows / sizeof lower_rows[0]; i++) {
		const struct lower_row *r = &lower_rows[i];

		/* It appends: what was in the buffer stays in front. */
		buf_reset(&out);
		buf_puts(&out, "K:");
		valid_lower_ascii(r->in, r->n, &out);
		if (out.len != r->n + 2 || memcmp(out.data, "K:", 2) != 0 ||
		    memcmp(out.data + 2, r->out, r->n) != 0)
			fail_msg("line %d: got \"%s\"", r->line, buf_cstr(&out));
	}
	buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edge_lengths),
		cmocka_unit_test(test_username),
		cmocka_unit_test(test_username_every_byte),
		cmocka_unit_test(test_email),
		cmocka_unit_test(test_password),
		cmocka_unit_test(test_http_url),
		cmocka_unit_test(test_http_url_every_byte),
		cmocka_unit_test(test_date),
		cmocka_unit_test(test_date_parts),
		cmocka_unit_test(test_date_against_libc),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_null_empty),
		cmocka_unit_test(test_lower_ascii),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
