/* test_id.c: the ID layout (round trips, bounds), ordering, sequence exhaustion, clock steps. */
#include "config.h"

#include "test.h"

#include "id.h"

/* A clock the test moves by hand. */
struct fake_clock {
	uint64_t ms;
	uint64_t step;   /* added after each reading */
};

static uint64_t
fake_now(void *arg)
{
	struct fake_clock *c = arg;
	uint64_t now = c->ms;

	c->ms += c->step;
	return now;
}

struct parts_case {
	int      line;
	uint64_t ms;
	unsigned shard, worker, seq;
};

static const struct parts_case parts_cases[] = {
	{ __LINE__, 0, 0, 0, 0 },
	{ __LINE__, 1, 1, 1, 1 },
	{ __LINE__, 123456789, 63, 200, 7 },
	{ __LINE__, (1ULL << 41) - 1, 1023, 255, 15 },
	{ __LINE__, 1ULL << 40, 512, 128, 8 },
};

static void
test_parts_round_trip(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof parts_cases / sizeof parts_cases[0]; i++) {
		const struct parts_case *c = &parts_cases[i];
		uint64_t id = id_compose(c->ms, c->shard, c->worker, c->seq);

		if (id_shard(id) != c->shard || id_worker(id) != c->worker || id_seq(id) != c->seq ||
		    id_unix_ms(id) != c->ms + ID_EPOCH_MS)
			fail_msg("row at line %d: parts do not round-trip", c->line);
		/* Bit 63 stays clear: every ID is a positive signed 64-bit number. */
		if (id >> 63)
			fail_msg("row at line %d: top bit set", c->line);
	}
	/* The largest ID of all is exactly 2^63 - 1. */
	assert_true(id_compose((1ULL << 41) - 1, 1023, 255, 15) == INT64_MAX);
}

static void
test_parts_are_masked(void **state)
{
	(void)state;
	assert_int_equal(id_shard(id_compose(5, 1024 + 3, 0, 0)), 3);
	assert_int_equal(id_worker(id_compose(5, 0, 256 + 9, 0)), 9);
	assert_int_equal(id_seq(id_compose(5, 0, 0, 16 + 2)), 2);
}

static void
test_time_orders_ids(void **state)
{
	(void)state;
	/* A later millisecond beats everything in an earlier one, whatever the other fields. */
	assert_true(id_compose(1001, 0, 0, 0) > id_compose(1000, 1023, 255, 15));
}

static void
test_next_carries_shard_worker_time(void **state)
{
	struct fake_clock clk = { ID_EPOCH_MS + 5000, 0 };
	struct id_gen g;
	uint64_t id;

	(void)state;
	assert_int_equal(id_gen_init(&g, 42, fake_now, &clk), 0);
	assert_int_equal(id_next(&g, 17, &id), 0);
	assert_int_equal(id_shard(id), 17);
	assert_int_equal(id_worker(id), 42);
	assert_true(id_unix_ms(id) == ID_EPOCH_MS + 5000);
}

static void
test_strictly_increasing_with_running_clock(void **state)
{
	struct fake_clock clk = { ID_EPOCH_MS + 1, 1 };
	struct id_gen g;
	uint64_t prev = 0, id;
	int i;

	(void)state;
	id_gen_init(&g, 1, fake_now, &clk);
	for (i = 0; i < 100000; i++) {
		assert_int_equal(id_next(&g, (unsigned)i % 64, &id), 0);
		if (id <= prev)
			fail_msg("id %d not above the one before", i);
		prev = id;
	}
}

/* A stopped clock: the 16 sequence numbers of the millisecond are used, then the next
 * millisecond is borrowed, and IDs keep growing. */
static void
test_millisecond_exhaustion_borrows_next(void **state)
{
	struct fake_clock clk = { ID_EPOCH_MS + 777, 0 };
	struct id_gen g;
	uint64_t prev = 0, id;
	unsigned i;

	(void)state;
	id_gen_init(&g, 3, fake_now, &clk);
	for (i = 0; i < 16; i++) {
		assert_int_equal(id_next(&g, 5, &id), 0);
		assert_int_equal(id_seq(id), i);
		assert_true(id_unix_ms(id) == ID_EPOCH_MS + 777);
		assert_true(id > prev);
		prev = id;
	}
	assert_int_equal(id_next(&g, 5, &id), 0);
	assert_int_equal(id_seq(id), 0);
	assert_true(id_unix_ms(id) == ID_EPOCH_MS + 778);
	assert_true(id > prev);
	/* When the real clock passes the borrowed millisecond, IDs follow the clock again. */
	clk.ms = ID_EPOCH_MS + 900;
	assert_int_equal(id_next(&g, 5, &id), 0);
	assert_true(id_unix_ms(id) == ID_EPOCH_MS + 900);
	assert_int_equal(id_seq(id), 0);
}

static void
test_clock_stepping_back_never_repeats(void **state)
{
	struct fake_clock clk = { ID_EPOCH_MS + 10000, 0 };
	struct id_gen g;
	uint64_t before, after;

	(void)state;
	id_gen_init(&g, 0, fake_now, &clk);
	assert_int_equal(id_next(&g, 0, &before), 0);
	clk.ms -= 5000;  /* NTP stepped the clock back */
	assert_int_equal(id_next(&g, 0, &after), 0);
	assert_true(after > before);
}

/* Two processes (workers) in the same millisecond on the same shard get different IDs. */
static void
test_workers_do_not_collide(void **state)
{
	struct fake_clock c1 = { ID_EPOCH_MS + 99, 0 }, c2 = { ID_EPOCH_MS + 99, 0 };
	struct id_gen a, b;
	uint64_t ia, ib;
	int i;

	(void)state;
	id_gen_init(&a, 1, fake_now, &c1);
	id_gen_init(&b, 2, fake_now, &c2);
	for (i = 0; i < 40; i++) {
		assert_int_equal(id_next(&a, 9, &ia), 0);
		assert_int_equal(id_next(&b, 9, &ib), 0);
		assert_true(ia != ib);
	}
}

/* A number taken over: its new holder starts after the last ID of the one before, though its own
 * clock is behind that ID; a floor behind the clock changes nothing. */
static void
test_gen_after_a_previous_holder(void **state)
{
	struct fake_clock clk = { ID_EPOCH_MS + 1000, 0 };
	struct id_gen g;
	uint64_t id, prev;

	(void)state;
	id_gen_init(&g, 5, fake_now, &clk);
	id_gen_after(&g, ID_EPOCH_MS + 1500);
	assert_int_equal(id_next(&g, 2, &id), 0);
	assert_true(id_unix_ms(id) == ID_EPOCH_MS + 1501);
	assert_int_equal(id_seq(id), 0);
	prev = id;
	assert_int_equal(id_next(&g, 2, &id), 0);
	assert_true(id > prev);
	assert_true(id_unix_ms(id) == ID_EPOCH_MS + 1501);

	id_gen_init(&g, 5, fake_now, &clk);
	id_gen_after(&g, ID_EPOCH_MS + 400);
	id_gen_after(&g, 0);   /* a number nobody held: no floor */
	assert_int_equal(id_next(&g, 2, &id), 0);
	assert_true(id_unix_ms(id) == ID_EPOCH_MS + 1000);
	assert_int_equal(id_seq(id), 0);
	/* A floor below the IDs already made does not move them back. */
	id_gen_after(&g, ID_EPOCH_MS + 10);
	prev = id;
	assert_int_equal(id_next(&g, 2, &id), 0);
	assert_true(id > prev);
}

static void
test_out_of_range_is_refused(void **state)
{
	struct fake_clock clk = { ID_EPOCH_MS + 1, 0 };
	struct fake_clock early = { ID_EPOCH_MS - 1, 0 };
	struct fake_clock late = { ID_EPOCH_MS + (1ULL << 41), 0 };
	struct id_gen g;
	uint64_t id = 0;

	(void)state;
	assert_int_equal(id_gen_init(&g, ID_MAX_WORKERS, fake_now, &clk), -1);
	assert_int_equal(id_gen_init(&g, 0, fake_now, &clk), 0);
	assert_int_equal(id_next(&g, ID_MAX_SHARDS, &id), -1);
	id_gen_init(&g, 0, fake_now, &early);
	assert_int_equal(id_next(&g, 0, &id), -1);
	id_gen_init(&g, 0, fake_now, &late);
	assert_int_equal(id_next(&g, 0, &id), -1);
}

static void
test_real_clock_is_after_epoch(void **state)
{
	struct id_gen g;
	uint64_t id;

	(void)state;
	assert_int_equal(id_gen_init(&g, 7, NULL, NULL), 0);
	assert_int_equal(id_next(&g, 1, &id), 0);
	assert_true(id_unix_ms(id) >= ID_EPOCH_MS);
}

/* The text form: what id_format writes id_parse reads back; anything that is not plain digits
 * of a non-zero 64-bit number is refused and leaves the output alone. */
static void
test_text_round_trip_and_refusals(void **state)
{
	static const char *const bad[] = { "", "0", "-1", "+1", " 1", "1 ", "1a", "0x10",
		"18446744073709551616", "123456789012345678901", "99999999999999999999" };
	char s[ID_STR_SIZE];
	uint64_t v = 7;
	size_t i;

	(void)state;
	id_format(UINT64_MAX, s);
	assert_string_equal(s, "18446744073709551615");
	assert_true(id_parse(s, &v));
	assert_true(v == UINT64_MAX);
	id_format(42, s);
	assert_true(id_parse(s, &v));
	assert_int_equal(v, 42);
	assert_true(id_parse("007", &v));
	assert_int_equal(v, 7);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		v = 5;
		assert_false(id_parse(bad[i], &v));
		assert_int_equal(v, 5);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parts_round_trip),
		cmocka_unit_test(test_parts_are_masked),
		cmocka_unit_test(test_time_orders_ids),
		cmocka_unit_test(test_next_carries_shard_worker_time),
		cmocka_unit_test(test_strictly_increasing_with_running_clock),
		cmocka_unit_test(test_millisecond_exhaustion_borrows_next),
		cmocka_unit_test(test_clock_stepping_back_never_repeats),
		cmocka_unit_test(test_workers_do_not_collide),
		cmocka_unit_test(test_gen_after_a_previous_holder),
		cmocka_unit_test(test_out_of_range_is_refused),
		cmocka_unit_test(test_real_clock_is_after_epoch),
		cmocka_unit_test(test_text_round_trip_and_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
