/* test_csrf.c: CSRF tokens: length, charset, randomness, shape and constant-time check. */
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
test_check(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof check_rows / sizeof check_rows[0]; i++) {
		const struct check_row *r = &check_rows[i];

		if (csrf_check(r->cookie, r->submitted) != r->ok)
			fail_msg("line %d: csrf_check gave %d, want %d", r->line, !r->ok, r->ok);
	}
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

/* The cookie and field names the forms and the pipeline agree on. */
static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(CSRF_COOKIE, "starling_csrf");
	assert_string_equal(CSRF_FIELD, "csrf_token");
	assert_int_equal(CSRF_TOKEN_LEN, 64);
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
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_cookie_name_by_scheme),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
