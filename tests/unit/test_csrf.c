/* test_csrf.c: CSRF tokens: length, charset, randomness, shape, masking and constant-time check. */
#include "config.h"

#include "test.h"

#include <stdbool.h>
#include <string.h>

#include "csrf.h"

#define HEX "0123456789abcdef"

/* A token is CSRF_TOKEN_LEN lowercase hex digits and a NUL, written into exactly that room (the
 * buffer is malloc'd to size, so ASan catches a byte too many). */
static void
test_new_token_length_and_charset(void **state)
{
	char *tok = malloc(CSRF_TOKEN_LEN + 1);

	(void)state;
	assert_non_null(tok);
	memset(tok, 'X', CSRF_TOKEN_LEN + 1);
	assert_int_equal(csrf_new_token(tok), 0);
	assert_int_equal(strlen(tok), CSRF_TOKEN_LEN);
	assert_int_equal(strspn(tok, HEX), CSRF_TOKEN_LEN);
	assert_true(csrf_token_wellformed(tok));
	assert_true(csrf_check(tok, tok));
	free(tok);
}

/* Fresh tokens differ from each other, and together use every hex digit (64 tokens are 4096
 * digits: a digit missing by chance has odds around 1e-113). */
static void
test_new_tokens_differ(void **state)
{
	char toks[64][CSRF_TOKEN_LEN + 1];
	int seen[16] = { 0 };
	size_t i, j;

	(void)state;
	for (i = 0; i < 64; i++) {
		assert_int_equal(csrf_new_token(toks[i]), 0);
		for (j = 0; j < i; j++)
			if (strcmp(toks[i], toks[j]) == 0)
				fail_msg("tokens %zu and %zu are equal: %s", j, i, toks[i]);
		for (j = 0; j < CSRF_TOKEN_LEN; j++)
			seen[strchr(HEX, toks[i][j]) - HEX] = 1;
		/* Two fresh tokens never pass the check together. */
		if (i > 0 && csrf_check(toks[i - 1], toks[i]))
			fail_msg("tokens %zu and %zu pass csrf_check", i - 1, i);
	}
	for (i = 0; i < 16; i++)
		if (!seen[i])
			fail_msg("hex digit %c never appears", HEX[i]);
}

/* 64 valid hex digits, and variants of it. */
#define GOOD  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define GOOD2 "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define LAST  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdee"
#define FIRST "1123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define SHORT "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde"
#define LONG  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0"
#define UPPER "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"
#define NONHEX "0123456789abcdeg0123456789abcdef0123456789abcdef0123456789abcdef"
#define SPACE "0123456789abcdef0123456789abcdef 123456789abcdef0123456789abcdef"
#define UTF8  "\xc3\xa9" "23456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

struct shape_row {
	int         line;
	const char *s;
	bool        wellformed;
};

static const struct shape_row shape_rows[] = {
	{ __LINE__, GOOD, true },
	{ __LINE__, GOOD2, true },
	{ __LINE__, "0000000000000000000000000000000000000000000000000000000000000000", true },
	{ __LINE__, NULL, false },
	{ __LINE__, "", false },
	{ __LINE__, "0", false },
	{ __LINE__, SHORT, false },
	{ __LINE__, LONG, false },
	{ __LINE__, UPPER, false },
	{ __LINE__, NONHEX, false },
	{ __LINE__, SPACE, false },
	{ __LINE__, UTF8, false },
	{ __LINE__, GOOD "\n", false },
	{ __LINE__, " " SHORT, false },
	{ __LINE__, "0x23456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", false },
	{ __LINE__, "-123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", false },
	/* A NUL cuts the string: what is left is short. */
	{ __LINE__, "0123456789abcdef\0" "123456789abcdef0123456789abcdef0123456789abcdef", false },
};

static void
test_wellformed(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof shape_rows / sizeof shape_rows[0]; i++) {
		const struct shape_row *r = &shape_rows[i];

		if (csrf_token_wellformed(r->s) != r->wellformed)
			fail_msg("line %d: csrf_token_wellformed(%s) = %d", r->line,
			    r->s ? r->s : "NULL", !r->wellformed);
	}
}

/* csrf_check: true only for two equal well-formed tokens. */
struct check_row {
	int         line;
	const char *cookie;
	const char *submitted;
	bool        ok;
};

static const struct check_row check_rows[] = {
	{ __LINE__, GOOD, GOOD, true },
	{ __LINE__, GOOD2, GOOD2, true },
	{ __LINE__, NULL, GOOD, false },
	{ __LINE__, GOOD, NULL, false },
	{ __LINE__, NULL, NULL, false },
	{ __LINE__, "", "", false },
	{ __LINE__, GOOD, "", false },
	{ __LINE__, SHORT, SHORT, false },       /* equal, but not tokens */
	{ __LINE__, LONG, LONG, false },
	{ __LINE__, UPPER, UPPER, false },
	{ __LINE__, NONHEX, NONHEX, false },
	{ __LINE__, SPACE, SPACE, false },
	{ __LINE__, GOOD, GOOD2, false },
	{ __LINE__, GOOD, LAST, false },         /* differ in the last digit only */
	{ __LINE__, GOOD, FIRST, false },        /* and in the first */
	{ __LINE__, GOOD, LONG, false },         /* a prefix match is no match */
	{ __LINE__, LONG, GOOD, false },
	{ __LINE__, GOOD, SHORT, false },
	{ __LINE__, GOOD, UPPER, false },        /* same value in another case */
	{ __LINE__, UPPER, GOOD, false },
};

static void
run_check_rows(const struct check_row *rows, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (csrf_check(rows[i].cookie, rows[i].submitted) != rows[i].ok)
			fail_msg("line %d: csrf_check gave %d, want %d", rows[i].line, !rows[i].ok,
			    rows[i].ok);
}

static void
test_check(void **state)
{
	(void)state;
	run_check_rows(check_rows, sizeof check_rows / sizeof check_rows[0]);
}

/* The check compares values, not pointers: a copy of the cookie passes. */
static void
test_check_compares_contents(void **state)
{
	char a[CSRF_TOKEN_LEN + 1], b[CSRF_TOKEN_LEN + 1];

	(void)state;
	assert_int_equal(csrf_new_token(a), 0);
	memcpy(b, a, sizeof a);
	assert_true(csrf_check(a, b));
	b[CSRF_TOKEN_LEN - 1] = b[CSRF_TOKEN_LEN - 1] == '0' ? '1' : '0';
	assert_false(csrf_check(a, b));
}

/* Masked forms of GOOD (computed apart, with Python's base64): with a mask of zeros (the token's
 * bytes appear as they are), of 0x00..0x1f, of 0xff bytes; and GOOD2 under the second mask. */
#define M_ZERO "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABI0VniavN7wEjRWeJq83vASNFZ4mrze8BI0VniavN7w"
#define M_SEQ  "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8BIkdkja7L6AkqT2yFpsPgETJXdJ2-2_gZOl98lbbT8A"
#define M_FF   "___________________________________________-3LqYdlQyEP7cuph2VDIQ_ty6mHZUMhD-3LqYdlQyEA"
#define M_SEQ2 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh_-3bibclE0F_bVsJN6WTwf7s2oi2JBJAfmxaCDakksDw"
/* M_SEQ in standard base64 ('+' and '/'), padded, cut, one longer, its last character with an
 * unused bit set (another spelling of the same bytes), one bit of the masked half flipped. */
#define M_STD  "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8BIkdkja7L6AkqT2yFpsPgETJXdJ2+2/gZOl98lbbT8A"
#define M_PAD  M_SEQ "=="
#define M_CUT  "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8BIkdkja7L6AkqT2yFpsPgETJXdJ2-2_gZOl98lbbT8"
#define M_LONG M_SEQ "A"
#define M_ODD  "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8BIkdkja7L6AkqT2yFpsPgETJXdJ2-2_gZOl98lbbT8B"
#define M_FLIP "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8BIkdkja7L6AkqT2yFpsPgETJXdJ2-2_gZOl98lbbT8Q"

/* csrf_check with a masked form: true for any mask of the cookie's token, false for another
 * token's, a malformed cookie, or anything but the exact canonical base64url spelling. */
static const struct check_row masked_rows[] = {
	{ __LINE__, GOOD, M_ZERO, true },
	{ __LINE__, GOOD, M_SEQ, true },
	{ __LINE__, GOOD, M_FF, true },
	{ __LINE__, GOOD2, M_SEQ2, true },
	{ __LINE__, GOOD2, M_SEQ, false },       /* another token under the same mask */
	{ __LINE__, GOOD, M_SEQ2, false },
	{ __LINE__, LAST, M_SEQ, false },        /* a token one digit away */
	{ __LINE__, UPPER, M_SEQ, false },       /* the cookie must be a token itself */
	{ __LINE__, NULL, M_SEQ, false },
	{ __LINE__, M_SEQ, M_SEQ, false },       /* a masked form is never a cookie */
	{ __LINE__, GOOD, M_STD, false },
	{ __LINE__, GOOD, M_PAD, false },
	{ __LINE__, GOOD, M_CUT, false },
	{ __LINE__, GOOD, M_LONG, false },
	{ __LINE__, GOOD, M_ODD, false },
	{ __LINE__, GOOD, M_FLIP, false },
};

static void
test_check_masked(void **state)
{
	(void)state;
	run_check_rows(masked_rows, sizeof masked_rows / sizeof masked_rows[0]);
}

/* csrf_mask: CSRF_MASKED_LEN base64url characters in exactly that room, a new mask each time
 * (so no two answers repeat the bytes: BREACH), never the token's own digits, and every one
 * accepted for the token and no other. */
static void
test_mask(void **state)
{
	char tok[CSRF_TOKEN_LEN + 1], other[CSRF_TOKEN_LEN + 1], prev[CSRF_MASKED_LEN + 1] = "";
	char *m = malloc(CSRF_MASKED_LEN + 1);
	int i;

	(void)state;
	assert_non_null(m);
	assert_int_equal(csrf_new_token(tok), 0);
	assert_int_equal(csrf_new_token(other), 0);
	for (i = 0; i < 32; i++) {
		memset(m, 'X', CSRF_MASKED_LEN + 1);
		assert_int_equal(csrf_mask(tok, m), 0);
		assert_int_equal(strlen(m), CSRF_MASKED_LEN);
		assert_int_equal(strspn(m, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789-_"), CSRF_MASKED_LEN);
		assert_null(strstr(m, tok));
		assert_string_not_equal(m, prev);
		assert_true(csrf_check(tok, m));
		assert_false(csrf_check(other, m));
		memcpy(prev, m, sizeof prev);
	}
	free(m);
}

/* Only a token is masked: anything else gives -1 and an empty string. */
static void
test_mask_refuses_malformed(void **state)
{
	static const char *const bad[] = { UPPER, SHORT, LONG, NONHEX, "", M_SEQ };
	char m[CSRF_MASKED_LEN + 1];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(m, 'X', sizeof m);
		assert_int_equal(csrf_mask(bad[i], m), -1);
		assert_string_equal(m, "");
	}
	assert_int_equal(csrf_mask(NULL, m), -1);
}

/* The cookie and field names the forms and the pipeline agree on. */
static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(CSRF_COOKIE, "starling_csrf");
	assert_string_equal(CSRF_FIELD, "csrf_token");
	assert_int_equal(CSRF_TOKEN_LEN, 64);
	assert_int_equal(CSRF_MASKED_LEN, 86);
}

/* Over https the cookie takes the __Host- prefix (Secure, Path=/, no Domain: csrf.h); over plain
 * HTTP a browser would refuse such a cookie, so the plain name stays. */
static void
test_cookie_name_by_scheme(void **state)
{
	(void)state;
	assert_string_equal(csrf_cookie_name(true), "__Host-starling_csrf");
	assert_string_equal(csrf_cookie_name(false), CSRF_COOKIE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_token_length_and_charset),
		cmocka_unit_test(test_new_tokens_differ),
		cmocka_unit_test(test_wellformed),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_check_compares_contents),
		cmocka_unit_test(test_check_masked),
		cmocka_unit_test(test_mask),
		cmocka_unit_test(test_mask_refuses_malformed),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_cookie_name_by_scheme),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
