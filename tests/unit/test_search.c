/* test_search.c: the pure parts of search: the boolean FULLTEXT query made from what a user
 * typed (CJK bigram phrases, prefixes, words InnoDB cannot match dropped, operators inert) and
 * the LIKE prefix with its wildcards escaped. The searches themselves run against MariaDB in
 * tests/integration/test_search.py. */
#include "config.h"

#include "test.h"

#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "search.h"

struct query_row {
	int         line;
	const char *q;
	int         terms;   /* search_boolean_query's answer */
	const char *want;    /* the query; "" when nothing is searchable */
};

static const struct query_row query_rows[] = {
	/* Words are quoted and required; case is folded as the index folds it. */
	{ __LINE__, "hello", 1, "+\"hello\"" },
	{ __LINE__, "Hello  WORLD", 2, "+\"hello\" +\"world\"" },
	{ __LINE__, "straße", 1, "+\"strasse\"" },
	/* Too short or a stopword: not in the index, so requiring it would match nothing. */
	{ __LINE__, "the", 0, "" },
	{ __LINE__, "ab cd", 0, "" },
	{ __LINE__, "the cat sat", 2, "+\"cat\" +\"sat\"" },
	{ __LINE__, "", 0, "" },
	{ __LINE__, "   ", 0, "" },
	/* InnoDB's operators cannot get through: punctuation splits words as the parser does. */
	{ __LINE__, "c++ rocks", 1, "+\"rocks\"" },
	{ __LINE__, "-hello +world", 2, "+\"hello\" +\"world\"" },
	{ __LINE__, "\"unterminated", 1, "+\"unterminated\"" },
	{ __LINE__, "@bob* (x) ~y <z> @@@", 1, "+\"bob\"" },
	{ __LINE__, "foo_bar-baz", 2, "+\"foo_bar\" +\"baz\"" },
	{ __LINE__, "won't", 1, "+\"won\"" },
	/* CJK: a run is the phrase of its bigrams (without the last character's own token, which
	 * the text only has where a run ends), one character a prefix. */
	{ __LINE__, "北京", 1, "+\"cj北京\"" },
	{ __LINE__, "天安门", 1, "+\"cj天安 cj安门\"" },
	{ __LINE__, "猫", 1, "+cj猫*" },
	{ __LINE__, "北京 猫", 2, "+\"cj北京\" +cj猫*" },
	{ __LINE__, "我爱北京abc", 2, "+\"cj我爱 cj爱北 cj北京\" +\"abc\"" },
	{ __LINE__, "東京タワー", 1, "+\"cj東京 cj京タ cjタワ cjワー\"" },
	{ __LINE__, "서울", 1, "+\"cj서울\"" },
	/* A real word that starts with "cj" stays a word. */
	{ __LINE__, "cjxyz", 1, "+\"cjxyz\"" },
	{ __LINE__, "cjé", 1, "+\"cjé\"" },
	/* Not UTF-8. */
	{ __LINE__, "\xff\xfe", -1, "" },
};

static void
test_boolean_query(void **state)
{
	struct buf out = BUF_INIT;
	size_t i;
	int got;

	(void)state;
	for (i = 0; i < sizeof query_rows / sizeof query_rows[0]; i++) {
		const struct query_row *r = &query_rows[i];
		char where[32];

		snprintf(where, sizeof where, "line %d", r->line);
		buf_reset(&out);
		got = search_boolean_query(r->q, strlen(r->q), &out);
		if (got != r->terms || strcmp(buf_cstr(&out), r->want) != 0)
			fail_msg("%s: %s: %d terms \"%s\", want %d \"%s\"", where, r->q, got,
			    buf_cstr(&out), r->terms, r->want);
	}
	buf_free(&out);
}

/* A query appends to what out holds, and leaves it alone when nothing is searchable. */
static void
test_boolean_query_appends(void **state)
{
	struct buf out = BUF_INIT;

	(void)state;
	buf_puts(&out, "x");
	assert_int_equal(search_boolean_query("the", 3, &out), 0);
	assert_string_equal(buf_cstr(&out), "x");
	assert_int_equal(search_boolean_query("word", 4, &out), 1);
	assert_string_equal(buf_cstr(&out), "x+\"word\"");
	buf_free(&out);
}

struct like_row {
	int         line;
	const char *s;
	const char *want;
};

static const struct like_row like_rows[] = {
	{ __LINE__, "ali", "ali%" },
	{ __LINE__, "", "%" },
	{ __LINE__, "%", "!%%" },
	{ __LINE__, "a_b", "a!_b%" },
	{ __LINE__, "100%_!", "100!%!_!!%" },
	{ __LINE__, "\\x'", "\\x'%" },   /* only ! % _ mean anything with ESCAPE '!' */
	{ __LINE__, "北京", "北京%" },
};

static void
test_like_prefix(void **state)
{
	struct buf out = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof like_rows / sizeof like_rows[0]; i++) {
		buf_reset(&out);
		search_like_prefix(like_rows[i].s, strlen(like_rows[i].s), &out);
		if (strcmp(buf_cstr(&out), like_rows[i].want) != 0)
			fail_msg("line %d: \"%s\" gave \"%s\", want \"%s\"", like_rows[i].line,
			    like_rows[i].s, buf_cstr(&out), like_rows[i].want);
	}
	buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_boolean_query),
		cmocka_unit_test(test_boolean_query_appends),
		cmocka_unit_test(test_like_prefix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
