/* test_shard.c: the logical shard map, database names, and the lookup-key hash. */
#include "config.h"

#include "test.h"

#include <stdio.h>
#include <string.h>

#include "shard.h"

static void
test_even_split_in_order(void **state)
{
	struct buf err = BUF_INIT;
	struct shard_map *m = shard_map_new(64, 2, "", &err);
	unsigned s;

	(void)state;
	assert_non_null(m);
	assert_int_equal(shard_count(m), 64);
	for (s = 0; s < 64; s++)
		assert_int_equal(shard_instance(m, s), s < 32 ? 0 : 1);
	shard_map_free(m);
	m = shard_map_new(10, 3, "  ", &err);
	assert_non_null(m);
	/* 10 over 3: blocks of 4, 3, 3, every instance used. */
	assert_int_equal(shard_instance(m, 0), 0);
	assert_int_equal(shard_instance(m, 3), 0);
	assert_int_equal(shard_instance(m, 4), 1);
	assert_int_equal(shard_instance(m, 9), 2);
	shard_map_free(m);
	buf_free(&err);
}

static void
test_explicit_map(void **state)
{
	struct buf err = BUF_INIT;
	struct shard_map *m = shard_map_new(8, 3, "0-1@2, 2-6@0,7-7@1", &err);

	(void)state;
	if (m == NULL)
		fail_msg("%s", buf_cstr(&err));
	assert_int_equal(shard_instance(m, 0), 2);
	assert_int_equal(shard_instance(m, 1), 2);
	assert_int_equal(shard_instance(m, 2), 0);
	assert_int_equal(shard_instance(m, 6), 0);
	assert_int_equal(shard_instance(m, 7), 1);
	shard_map_free(m);
	buf_free(&err);
}

struct bad_map {
	int         line;
	unsigned    nshards;
	size_t      ninst;
	const char *spec;
	const char *expect;
};

static const struct bad_map bad_maps[] = {
	{ __LINE__, 0, 1, "", "logical_shards must be 1 to 1024" },
	{ __LINE__, 1025, 1, "", "logical_shards must be 1 to 1024" },
	{ __LINE__, 8, 0, "", "at least one instance" },
	{ __LINE__, 8, 2, "0-3@0", "shard 4 is not mapped" },
	{ __LINE__, 8, 2, "0-4@0, 4-7@1", "shard 4 is mapped twice" },
	{ __LINE__, 8, 2, "0-7@2", "instance 2 does not exist" },
	{ __LINE__, 8, 2, "0-8@0", "range 0-8 is not within 0-7" },
	{ __LINE__, 8, 2, "5-2@0", "range 5-2" },
	{ __LINE__, 8, 2, "0-7", "expected FIRST-LAST@INSTANCE" },
	{ __LINE__, 8, 2, "a-7@0", "expected FIRST-LAST@INSTANCE" },
	{ __LINE__, 8, 2, "0-7@0;", "expected a comma" },
	{ __LINE__, 8, 2, "0-7@0,", "expected FIRST-LAST@INSTANCE" },
	{ __LINE__, 8, 2, "-1-7@0", "expected FIRST-LAST@INSTANCE" },
	{ __LINE__, 8, 2, "0-99999999999999999999999@0", "expected FIRST-LAST@INSTANCE" },
};

static void
test_bad_maps_are_refused(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad_maps / sizeof bad_maps[0]; i++) {
		const struct bad_map *b = &bad_maps[i];
		struct buf err = BUF_INIT;
		struct shard_map *m = shard_map_new(b->nshards, b->ninst, b->spec, &err);

		if (m != NULL || strstr(buf_cstr(&err), b->expect) == NULL)
			fail_msg("row at line %d: got \"%s\", want \"%s\"", b->line, buf_cstr(&err),
			    b->expect);
		buf_free(&err);
	}
}

static void
test_db_names(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	shard_db_name("starling", 7, &b);
	assert_string_equal(buf_cstr(&b), "starling_0007");
	buf_reset(&b);
	shard_db_name("x", 1023, &b);
	assert_string_equal(buf_cstr(&b), "x_1023");
	buf_free(&b);
}

/* The key hash is part of the data: these values must never change (lookup rows would be lost). */
static void
test_key_hash_is_fixed_and_spread(void **state)
{
	struct buf err = BUF_INIT;
	struct shard_map *m = shard_map_new(64, 1, "", &err);
	unsigned hits[64] = { 0 }, s, empty = 0;
	char key[32];
	int i;

	(void)state;
	/* FNV-1a 64 of "" is the offset basis; of "a" is 0xaf63dc4c8601ec8c. */
	assert_int_equal(shard_for_key(m, "", 0), (unsigned)(14695981039346656037ULL % 64));
	assert_int_equal(shard_for_key(m, "a", 1), (unsigned)(0xaf63dc4c8601ec8cULL % 64));
	assert_int_equal(shard_for_key(m, "alice", 5), shard_for_key(m, "alice", 5));
	for (i = 0; i < 64000; i++) {
		int n = snprintf(key, sizeof key, "user%d@example.com", i);

		hits[shard_for_key(m, key, (size_t)n)]++;
	}
	for (s = 0; s < 64; s++) {
		if (hits[s] == 0)
			empty++;
		/* 1000 expected per shard; a fair hash stays well within a third of that. */
		if (hits[s] < 666 || hits[s] > 1333)
			fail_msg("shard %u got %u of 64000 keys", s, hits[s]);
	}
	assert_int_equal(empty, 0);
	shard_map_free(m);
	buf_free(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_even_split_in_order),
		cmocka_unit_test(test_explicit_map),
		cmocka_unit_test(test_bad_maps_are_refused),
		cmocka_unit_test(test_db_names),
		cmocka_unit_test(test_key_hash_is_fixed_and_spread),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
