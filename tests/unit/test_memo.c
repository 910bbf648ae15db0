/* test_memo.c: the request's memo of cache answers: copies, "holds nothing" entries, replace,
 * drop, clear, the bound on entries, and many keys in one bucket chain. */
#include "config.h"

#include "test.h"

#include <stdio.h>
#include <string.h>

#include "memo.h"

static void
test_put_get_copies(void **state)
{
	struct memo *m = memo_new();
	char key[16] = "post:1", raw[8] = "vabc";
	const char *v;
	size_t n;

	(void)state;
	assert_false(memo_get(m, "post:1", &v, &n));
	memo_put(m, key, raw, 4);
	/* The memo holds copies: the caller's buffers can change. */
	key[5] = '2';
	raw[1] = 'X';
	assert_true(memo_get(m, "post:1", &v, &n));
	assert_int_equal(n, 4);
	assert_memory_equal(v, "vabc", 4);
	assert_false(memo_get(m, "post:2", &v, &n));
	assert_int_equal(memo_count(m), 1);
	memo_free(m);
}

/* n 0 records "the node holds nothing", which is known, unlike a key never asked. */
static void
test_nothing_is_known(void **state)
{
	struct memo *m = memo_new();
	const char *v = "x";
	size_t n = 9;

	(void)state;
	memo_put(m, "rel:1:2", NULL, 0);
	assert_true(memo_get(m, "rel:1:2", &v, &n));
	assert_int_equal(n, 0);
	assert_null(v);
	memo_free(m);
}

static void
test_replace_drop_clear(void **state)
{
	struct memo *m = memo_new();
	const char *v;
	size_t n;

	(void)state;
	memo_put(m, "k", "v1", 2);
	memo_put(m, "k", "v22", 3);
	assert_true(memo_get(m, "k", &v, &n));
	assert_int_equal(n, 3);
	assert_memory_equal(v, "v22", 3);
	assert_int_equal(memo_count(m), 1);
	memo_put(m, "k", NULL, 0);
	assert_true(memo_get(m, "k", &v, &n));
	assert_int_equal(n, 0);
	memo_drop(m, "k");
	assert_false(memo_get(m, "k", &v, &n));
	memo_drop(m, "never");    /* dropping what is not there is fine */
	assert_int_equal(memo_count(m), 0);
	memo_put(m, "a", "1", 1);
	memo_put(m, "b", "2", 1);
	memo_clear(m);
	assert_int_equal(memo_count(m), 0);
	assert_false(memo_get(m, "a", &v, &n));
	memo_put(m, "a", "3", 1);   /* usable again after a clear */
	assert_true(memo_get(m, "a", &v, &n));
	memo_free(m);
	memo_free(NULL);
}

/* Thousands of keys (every bucket chained): each found with its own value; past MEMO_MAX a new
 * key is not kept, while known ones still change. */
static void
test_many_keys_and_the_bound(void **state)
{
	struct memo *m = memo_new();
	char k[32], want[32];
	const char *v;
	size_t n, i;

	(void)state;
	for (i = 0; i < MEMO_MAX + 10; i++) {
		snprintf(k, sizeof k, "user:%zu", i);
		memo_put(m, k, k, strlen(k));
	}
	assert_int_equal(memo_count(m), MEMO_MAX);
	for (i = 0; i < MEMO_MAX; i += 97) {
		snprintf(k, sizeof k, "user:%zu", i);
		assert_true(memo_get(m, k, &v, &n));
		assert_int_equal(n, strlen(k));
		assert_memory_equal(v, k, n);
	}
	snprintf(k, sizeof k, "user:%d", MEMO_MAX + 5);
	assert_false(memo_get(m, k, &v, &n));
	snprintf(k, sizeof k, "user:%d", 7);
	snprintf(want, sizeof want, "new");
	memo_put(m, k, want, 3);
	assert_true(memo_get(m, k, &v, &n));
	assert_memory_equal(v, "new", 3);
	/* Dropping from the middle of a chain leaves the rest of the chain reachable. */
	for (i = 0; i < 600; i += 2) {
		snprintf(k, sizeof k, "user:%zu", i);
		memo_drop(m, k);
	}
	for (i = 1; i < 600; i += 2) {
		snprintf(k, sizeof k, "user:%zu", i);
		assert_true(memo_get(m, k, &v, &n));
	}
	memo_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_get_copies),
		cmocka_unit_test(test_nothing_is_known),
		cmocka_unit_test(test_replace_drop_clear),
		cmocka_unit_test(test_many_keys_and_the_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
