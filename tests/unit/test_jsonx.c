/* test_jsonx.c: the JSON helpers for IDs and members (lib/base/jsonx.c). */
#include "config.h"

#include <string.h>

#include "test.h"
#include "jsonx.h"

static void
test_id_new_is_a_string(void **state)
{
	json_object *o = jsonx_id_new(UINT64_MAX);

	(void)state;
	assert_true(json_object_is_type(o, json_type_string));
	assert_string_equal(json_object_get_string(o), "18446744073709551615");
	json_object_put(o);
}

/* IDs read back from objects: what the modules put there, and 0 for whatever is not an ID. */
static void
test_id_reads_only_ids(void **state)
{
	json_object *o = json_object_new_object();

	(void)state;
	json_object_object_add(o, "id", jsonx_id_new(123456789));
	json_object_object_add(o, "neg", json_object_new_string("-5"));
	json_object_object_add(o, "junk", json_object_new_string("12abc"));
	json_object_object_add(o, "zero", json_object_new_string("0"));
	json_object_object_add(o, "null", NULL);
	assert_int_equal(jsonx_id(o, "id"), 123456789);
	assert_int_equal(jsonx_id(o, "neg"), 0);
	assert_int_equal(jsonx_id(o, "junk"), 0);
	assert_int_equal(jsonx_id(o, "zero"), 0);
	assert_int_equal(jsonx_id(o, "null"), 0);
	assert_int_equal(jsonx_id(o, "absent"), 0);
	assert_int_equal(jsonx_id(NULL, "id"), 0);
	json_object_put(o);
}

static void
test_str_borrowed_or_empty(void **state)
{
	json_object *o = json_object_new_object();

	(void)state;
	json_object_object_add(o, "text", json_object_new_string("hello"));
	json_object_object_add(o, "null", NULL);
	assert_string_equal(jsonx_str(o, "text"), "hello");
	assert_ptr_equal(jsonx_str(o, "text"), json_object_get_string(
	    json_object_object_get(o, "text")));
	assert_string_equal(jsonx_str(o, "null"), "");
	assert_string_equal(jsonx_str(o, "absent"), "");
	assert_string_equal(jsonx_str(NULL, "text"), "");
	json_object_put(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_new_is_a_string),
		cmocka_unit_test(test_id_reads_only_ids),
		cmocka_unit_test(test_str_borrowed_or_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
