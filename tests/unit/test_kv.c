/* test_kv.c: name/value lists: copies, binary values, exact and ci lookup, set, reset. */
#include "config.h"

#include "test.h"

#include <stdio.h>
#include <string.h>

#include "kv.h"

/* Pairs are kept in order, first match wins, and the list owns copies of what it was given. */
static void
test_add_keeps_order_and_copies(void **state)
{
	struct kvlist l = KVLIST_INIT;
	char name[8] = "a", value[8] = "one";

	(void)state;
	kvlist_add(&l, name, value, strlen(value));
	kvlist_add(&l, "b", "two", 3);
	kvlist_add(&l, "a", "three", 5);
	/* Changing the caller's strings changes nothing in the list. */
	name[0] = 'z';
	value[0] = 'Z';
	assert_int_equal(l.n, 3);
	assert_string_equal(l.items[0].name, "a");
	assert_string_equal(l.items[0].value, "one");
	assert_string_equal(l.items[1].name, "b");
	assert_string_equal(l.items[2].value, "three");
	assert_string_equal(kvlist_get(&l, "a"), "one");
	assert_null(kvlist_get(&l, "z"));
	kvlist_free(&l);
}

/* Values are vlen bytes: NULs inside count, a prefix can be taken, and a NUL follows them. */
struct value_row {
	int         line;
	const char *value;
	size_t      vlen;
};

static const struct value_row value_rows[] = {
	{ __LINE__, "", 0 },
	{ __LINE__, "x", 1 },
	{ __LINE__, "\0", 1 },
	{ __LINE__, "a\0b\0", 4 },
	{ __LINE__, "abcdef", 3 },            /* only the first vlen bytes are copied */
	{ __LINE__, "\xff\x80\x01", 3 },
	{ __LINE__, "=&;%\r\n", 6 },          /* the list does not judge its contents */
};

static void
test_add_copies_vlen_bytes(void **state)
{
	struct kvlist l = KVLIST_INIT;
	const struct kv *kv;
	size_t i;
	char name[16];

	(void)state;
	for (i = 0; i < sizeof value_rows / sizeof value_rows[0]; i++) {
		snprintf(name, sizeof name, "k%zu", i);
		kvlist_add(&l, name, value_rows[i].value, value_rows[i].vlen);
	}
	for (i = 0; i < sizeof value_rows / sizeof value_rows[0]; i++) {
		const struct value_row *r = &value_rows[i];

		snprintf(name, sizeof name, "k%zu", i);
		kv = kvlist_find(&l, name);
		if (kv == NULL)
			fail_msg("line %d: %s not found", r->line, name);
		if (kv->vlen != r->vlen || memcmp(kv->value, r->value, r->vlen) != 0)
			fail_msg("line %d: value differs (vlen %zu, want %zu)", r->line, kv->vlen,
			    r->vlen);
		if (kv->value[r->vlen] != '\0')
			fail_msg("line %d: value is not NUL-terminated", r->line);
		if (kvlist_get(&l, name) != kv->value)
			fail_msg("line %d: kvlist_get and kvlist_find disagree", r->line);
	}
	kvlist_free(&l);
}

/* Lookups in a list holding the names below. */
static const char *const stored[] = { "Content-Type", "X-Foo", "x-foo", "cookie", "", "A.b" };

struct lookup_row {
	int         line;
	const char *name;
	const char *exact;   /* kvlist_get: value, or NULL */
	const char *ci;      /* kvlist_get_ci: value, or NULL */
};

static const struct lookup_row lookup_rows[] = {
	{ __LINE__, "Content-Type", "v0", "v0" },
	{ __LINE__, "content-type", NULL, "v0" },
	{ __LINE__, "CONTENT-TYPE", NULL, "v0" },
	{ __LINE__, "cOnTeNt-TyPe", NULL, "v0" },
	{ __LINE__, "X-Foo", "v1", "v1" },
	{ __LINE__, "x-foo", "v2", "v1" },      /* ci: the first one in order wins */
	{ __LINE__, "X-FOO", NULL, "v1" },
	{ __LINE__, "Cookie", NULL, "v3" },
	{ __LINE__, "", "v4", "v4" },           /* an empty name is a name like any other */
	{ __LINE__, "a.B", NULL, "v5" },
	/* Near misses: prefixes, extensions, spaces, other separators. */
	{ __LINE__, "Content-Typ", NULL, NULL },
	{ __LINE__, "Content-Type ", NULL, NULL },
	{ __LINE__, " Content-Type", NULL, NULL },
	{ __LINE__, "Content_Type", NULL, NULL },
	{ __LINE__, "X-Fooo", NULL, NULL },
	{ __LINE__, "cookies", NULL, NULL },
	{ __LINE__, "\xc3\xa9", NULL, NULL },
};

static void
test_lookup_exact_and_case_insensitive(void **state)
{
	struct kvlist l = KVLIST_INIT;
	char value[8];
	const char *got;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof stored / sizeof stored[0]; i++) {
		snprintf(value, sizeof value, "v%zu", i);
		kvlist_add(&l, stored[i], value, strlen(value));
	}
	for (i = 0; i < sizeof lookup_rows / sizeof lookup_rows[0]; i++) {
		const struct lookup_row *r = &lookup_rows[i];

		got = kvlist_get(&l, r->name);
		if ((got == NULL) != (r->exact == NULL) || (got && strcmp(got, r->exact) != 0))
			fail_msg("line %d: kvlist_get(\"%s\") gave %s, want %s", r->line, r->name,
			    got ? got : "NULL", r->exact ? r->exact : "NULL");
		if ((kvlist_find(&l, r->name) == NULL) != (r->exact == NULL))
			fail_msg("line %d: kvlist_find disagrees with kvlist_get", r->line);
		got = kvlist_get_ci(&l, r->name);
		if ((got == NULL) != (r->ci == NULL) || (got && strcmp(got, r->ci) != 0))
			fail_msg("line %d: kvlist_get_ci(\"%s\") gave %s, want %s", r->line, r->name,
			    got ? got : "NULL", r->ci ? r->ci : "NULL");
	}
	kvlist_free(&l);
}

/* An empty list finds nothing. */
static void
test_lookup_in_empty_list(void **state)
{
	struct kvlist l = KVLIST_INIT;

	(void)state;
	assert_null(kvlist_get(&l, "a"));
	assert_null(kvlist_get_ci(&l, "a"));
	assert_null(kvlist_find(&l, ""));
	kvlist_free(&l);
}

/* kvlist_set replaces the first exact match in place (order kept), or appends. */
static void
test_set_replaces_first_or_appends(void **state)
{
	struct kvlist l = KVLIST_INIT;
	const struct kv *kv;

	(void)state;
	kvlist_set(&l, "a", "1");
	assert_int_equal(l.n, 1);
	kvlist_add(&l, "b", "2", 1);
	kvlist_add(&l, "a", "dup", 3);
	kvlist_set(&l, "a", "a much longer value than before");
	assert_int_equal(l.n, 3);
	assert_string_equal(l.items[0].name, "a");
	assert_string_equal(l.items[0].value, "a much longer value than before");
	assert_int_equal(l.items[0].vlen, strlen("a much longer value than before"));
	assert_string_equal(l.items[2].value, "dup");   /* only the first is replaced */
	/* Exact match: a name differing in case is another pair. */
	kvlist_set(&l, "A", "upper");
	assert_int_equal(l.n, 4);
	assert_string_equal(kvlist_get(&l, "a"), "a much longer value than before");
	assert_string_equal(kvlist_get(&l, "A"), "upper");
	/* Replacing with the empty string. */
	kvlist_set(&l, "b", "");
	kv = kvlist_find(&l, "b");
	assert_non_null(kv);
	assert_int_equal(kv->vlen, 0);
	assert_string_equal(kv->value, "");
	assert_ptr_equal(kv, &l.items[1]);
	kvlist_free(&l);
}

/* kvlist_reset empties the list; the array stays for small lists and is freed for large ones. */
struct reset_row {
	int    line;
	size_t n;       /* pairs added before the reset */
	int    kept;
};

static const struct reset_row reset_rows[] = {
	{ __LINE__, 0, 1 },
	{ __LINE__, 1, 1 },
	{ __LINE__, 8, 1 },
	{ __LINE__, 9, 1 },
	{ __LINE__, 64, 1 },
	{ __LINE__, 65, 0 },     /* grew past 64 pairs: released */
	{ __LINE__, 1000, 0 },
};

static void
test_reset_keeps_small_frees_large(void **state)
{
	size_t i, k;
	char name[32];

	(void)state;
	for (i = 0; i < sizeof reset_rows / sizeof reset_rows[0]; i++) {
		const struct reset_row *r = &reset_rows[i];
		struct kvlist l = KVLIST_INIT;
		struct kv *items;
		size_t cap;

		for (k = 0; k < r->n; k++) {
			snprintf(name, sizeof name, "name%zu", k);
			kvlist_add(&l, name, name, strlen(name));
		}
		items = l.items;
		cap = l.cap;
		kvlist_reset(&l);
		if (l.n != 0)
			fail_msg("line %d: %zu pairs left after reset", r->line, l.n);
		if (kvlist_get(&l, "name0") != NULL)
			fail_msg("line %d: a pair is still found after reset", r->line);
		if (r->kept && (l.items != items || l.cap != cap))
			fail_msg("line %d: array of %zu not kept", r->line, cap);
		if (!r->kept && (l.items != NULL || l.cap != 0))
			fail_msg("line %d: array of %zu kept", r->line, cap);
		/* Reusable either way; the pairs freed by reset show up as leaks or double frees
		 * under ASan if reset got them wrong. */
		kvlist_add(&l, "again", "v", 1);
		assert_string_equal(kvlist_get(&l, "again"), "v");
		assert_int_equal(l.n, 1);
		kvlist_reset(&l);
		kvlist_free(&l);
	}
}

/* reset and free accept NULL and empty lists, and free leaves a reusable list. */
static void
test_reset_free_accept_null_and_empty(void **state)
{
	struct kvlist l = KVLIST_INIT;

	(void)state;
	kvlist_reset(NULL);
	kvlist_free(NULL);
	kvlist_reset(&l);
	kvlist_free(&l);
	kvlist_add(&l, "a", "b", 1);
	kvlist_free(&l);
	assert_null(l.items);
	assert_int_equal(l.n, 0);
	assert_int_equal(l.cap, 0);
	kvlist_add(&l, "c", "d", 1);
	assert_string_equal(kvlist_get(&l, "c"), "d");
	kvlist_free(&l);
	kvlist_free(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_keeps_order_and_copies),
		cmocka_unit_test(test_add_copies_vlen_bytes),
		cmocka_unit_test(test_lookup_exact_and_case_insensitive),
		cmocka_unit_test(test_lookup_in_empty_list),
		cmocka_unit_test(test_set_replaces_first_or_appends),
		cmocka_unit_test(test_reset_keeps_small_frees_large),
		cmocka_unit_test(test_reset_free_accept_null_and_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
