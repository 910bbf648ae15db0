/* test_partial.c: the mark of a partial answer: added only for a partial one, read back from any
 * answer (none, a whole one, a partial one), the same spelling both ways. */
#include "config.h"

#include "test.h"

#include <stdbool.h>
#include <string.h>

#include <json-c/json.h>

#include "partial.h"

/* An answer as JSON text (NULL: no answer at all), and whether partial_of reads it as partial. */
struct of_row {
	int         line;
	const char *json;
	bool        partial;
};

static const struct of_row of_rows[] = {
	{ __LINE__, NULL,                                false },
	{ __LINE__, "{}",                                false },
	{ __LINE__, "{\"posts\":[],\"cursor\":\"-1\"}",  false },
	{ __LINE__, "{\"partial\":true}",                true },
	{ __LINE__, "{\"posts\":[],\"partial\":true}",   true },
	{ __LINE__, "{\"partial\":false}",               false },
	{ __LINE__, "{\"partial\":null}",                false },
	/* Nested: only the answer's own member counts, not an item's. */
	{ __LINE__, "{\"users\":[{\"partial\":true}]}",  false },
};

static void
test_partial_of(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof of_rows / sizeof of_rows[0]; i++) {
		const struct of_row *r = &of_rows[i];
		json_object *o = r->json ? json_tokener_parse(r->json) : NULL;

		if (r->json != NULL && o == NULL)
			fail_msg("line %d: the row's JSON does not parse", r->line);
		if (partial_of(o) != r->partial)
			fail_msg("line %d: partial_of(%s) = %d, want %d", r->line,
			    r->json ? r->json : "NULL", !r->partial, r->partial);
		json_object_put(o);
	}
}

/* A whole answer gets no member at all (clients test for its presence); a partial one gets
 * "partial": true, once however often it is marked, and partial_of reads it back. */
static void
test_partial_mark(void **state)
{
	json_object *o = json_object_new_object();

	(void)state;
	partial_mark(o, false);
	assert_string_equal(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), "{}");
	assert_false(partial_of(o));
	partial_mark(o, true);
	partial_mark(o, true);
	assert_string_equal(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
	    "{\"partial\":true}");
	assert_true(partial_of(o));
	/* A later whole read does not unmark it: what was left out is still left out. */
	partial_mark(o, false);
	assert_true(partial_of(o));
	json_object_put(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_partial_of),
		cmocka_unit_test(test_partial_mark),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
