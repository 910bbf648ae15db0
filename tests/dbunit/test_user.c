/* test_user.c: lib/social/user.h on Starling's schema (tests/dbunit/run.sh starts the servers): a
 * sign-up read back through every lookup, usernames and emails unique in any letter case, the
 * activation, the profile as its owner and as others see it after an edit, and the counters
 * and the pin of tb_user_extended that only user.c writes. */
#include "config.h"

#include "harness.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "id.h"
#include "user.h"

/* s in capitals, into out (size bytes, cut to fit). */
static void
upper(const char *s, char *out, size_t size)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < size; i++)
		out[i] = (char)toupper((unsigned char)s[i]);
	out[i] = '\0';
}

static void
test_signup_read_back(void **state)
{
	char name[DBUNIT_NAME_MAX], email[64], shout[64];
	json_object *u = NULL;
	uint64_t id = dbunit_user("us", name), found = 0;

	(void)state;
	assert_int_equal(user_get(&dbunit_env, id, &u), 1);
	assert_string_equal(dbunit_str(u, "username"), name);
	snprintf(email, sizeof email, "%s@example.com", name);
	assert_string_equal(dbunit_str(u, "email"), email);
	assert_true(json_object_get_boolean(dbunit_get(u, "activated")));
	assert_null(dbunit_get(u, "passwordHash"));
	json_object_put(u);
	/* Both lookups, in another letter case. */
	upper(name, shout, sizeof shout);
	assert_int_equal(user_id_by_username(&dbunit_env, shout, &found), 1);
	assert_true(found == id);
	found = 0;
	upper(email, shout, sizeof shout);
	assert_int_equal(user_id_by_email(&dbunit_env, shout, &found), 1);
	assert_true(found == id);
	assert_int_equal(user_id_by_username(&dbunit_env, "nosuchuser0000", &found), 0);
	assert_int_equal(user_get(&dbunit_env, dbunit_unused_id(), &u), 0);
}

static void
test_names_unique_in_any_case(void **state)
{
	char name[DBUNIT_NAME_MAX], shout[64], email[96], other[96];
	uint64_t id = 0;
	struct user_new n = { .password_hash = "x", .activate_hash = "x", .language = "" };

	(void)state;
	dbunit_user("uq", name);
	upper(name, shout, sizeof shout);
	snprintf(other, sizeof other, "%.14sz@example.com", name);
	n.username = shout;
	n.email = other;
	assert_int_equal(user_create(&dbunit_env, &n, &id), USER_NAME_TAKEN);
	/* Another name, the first one's email in capitals. */
	snprintf(email, sizeof email, "%.40s@EXAMPLE.COM", shout);
	snprintf(other, sizeof other, "%.14sz", name);
	n.username = other;
	n.email = email;
	assert_int_equal(user_create(&dbunit_env, &n, &id), USER_EMAIL_TAKEN);
	/* The refused claims were undone: the second name is still free. */
	snprintf(email, sizeof email, "%.40s@example.com", other);
	assert_int_equal(user_create(&dbunit_env, &n, &id), 1);
}

static void
test_activation(void **state)
{
	char name[DBUNIT_NAME_MAX], email[64];
	struct buf hash = BUF_INIT;
	int64_t expires = 0;
	bool active = true;
	uint64_t id = 0;
	struct user_new n = { .username = name, .email = email, .password_hash = "x",
		.activate_hash = "c0de", .activate_expires_at = 4102444800, .language = "zh" };

	(void)state;
	/* A name of our own, not activated: dbunit_user's with one letter changed. */
	dbunit_user("ua", name);
	name[1] = 'b';
	snprintf(email, sizeof email, "%s@example.com", name);
	assert_int_equal(user_create(&dbunit_env, &n, &id), 1);
	assert_int_equal(user_activation(&dbunit_env, id, &hash, &expires, &active), 1);
	assert_false(active);
	assert_string_equal(buf_cstr(&hash), "c0de");
	assert_true(expires == 4102444800);
	assert_int_equal(user_activate(&dbunit_env, id), 1);
	assert_int_equal(user_activate(&dbunit_env, id), 0);
	buf_reset(&hash);
	assert_int_equal(user_activation(&dbunit_env, id, &hash, &expires, &active), 1);
	assert_true(active);
	buf_free(&hash);
}

static void
test_profile_as_owner_and_others(void **state)
{
	char name[DBUNIT_NAME_MAX];
	uint64_t id = dbunit_user("up", name), other = dbunit_user("uo", NULL);
	struct user_info info = { .display_name = "Ünïcode <b>", .banner_url = "",
		.avatar_url = "", .location = "Lyon", .website = "https://example.com/",
		.description = "about me", .dob_year = 1990, .dob_month = 7, .dob_day = 14,
		.visible_year = false, .visible_month = true, .visible_day = true };
	json_object *p = NULL;

	(void)state;
	/* Read once before the edit, so that a stale cached profile would show. */
	assert_int_equal(user_profile(&dbunit_env, id, other, &p), 1);
	json_object_put(p);
	assert_int_equal(user_save_info(&dbunit_env, id, &info), 1);
	assert_int_equal(user_profile(&dbunit_env, id, other, &p), 1);
	assert_string_equal(dbunit_str(p, "displayName"), "Ünïcode <b>");
	assert_string_equal(dbunit_str(p, "location"), "Lyon");
	assert_int_equal(dbunit_int(p, "countFollowers"), 0);
	assert_int_equal(dbunit_int(p, "dobMonth"), 7);
	assert_null(dbunit_get(p, "dobYear"));   /* hidden from others */
	assert_null(dbunit_get(p, "email"));
	json_object_put(p);
	assert_int_equal(user_profile(&dbunit_env, id, id, &p), 1);
	assert_int_equal(dbunit_int(p, "dobYear"), 1990);
	assert_non_null(dbunit_str(p, "email"));
	json_object_put(p);
	assert_int_equal(user_profile(&dbunit_env, dbunit_unused_id(), 0, &p), 0);
}

/* The profile's counter at name after user_counts_forget (the cached copy would hide a move). */
static int64_t
counter(uint64_t id, const char *name)
{
	json_object *p = NULL;
	int64_t v;

	user_counts_forget(&dbunit_env, id);
	assert_int_equal(user_profile(&dbunit_env, id, id, &p), 1);
	v = dbunit_int(p, name);
	json_object_put(p);
	return v;
}

static void
test_counters_move_never_below_zero(void **state)
{
	uint64_t id = dbunit_user("uc", NULL);
	struct db *db = dbunit_env.db;

	(void)state;
	assert_int_equal(counter(id, "countPosts"), 0);
	assert_int_equal(user_count_move(db, id, USER_COUNT_POSTS, 1), 0);
	assert_int_equal(user_count_move(db, id, USER_COUNT_POSTS, 1), 0);
	assert_int_equal(counter(id, "countPosts"), 2);
	assert_int_equal(user_count_move(db, id, USER_COUNT_POSTS, -1), 0);
	assert_int_equal(user_count_move(db, id, USER_COUNT_POSTS, -1), 0);
	assert_int_equal(user_count_move(db, id, USER_COUNT_POSTS, -1), 0);
	assert_int_equal(counter(id, "countPosts"), 0);
	assert_int_equal(user_count_move(db, id, USER_COUNT_LIKES, 1), 0);
	assert_int_equal(user_count_move(db, id, USER_COUNT_FOLLOWINGS, 1), 0);
	assert_int_equal(counter(id, "countLikes"), 1);
	assert_int_equal(counter(id, "countFollowings"), 1);
	assert_int_equal(counter(id, "countFollowers"), 0);
	assert_int_equal(counter(id, "countPosts"), 0);
}

static void
test_pin_and_unpin_if(void **state)
{
	uint64_t id = dbunit_user("up", NULL);

	(void)state;
	assert_int_equal(user_pin(dbunit_env.db, id, 777), 0);
	assert_int_equal(counter(id, "pinnedPostId"), 777);
	/* Another post deleted or unpinned: the pin stays. */
	assert_int_equal(user_unpin_if(dbunit_env.db, id, 555), 0);
	assert_int_equal(counter(id, "pinnedPostId"), 777);
	assert_int_equal(user_unpin_if(dbunit_env.db, id, 777), 0);
	assert_int_equal(counter(id, "pinnedPostId"), 0);
}

static void
test_with_followers_picks_by_count(void **state)
{
	uint64_t a = dbunit_user("wa", NULL), b = dbunit_user("wb", NULL), users[3], *out = NULL;
	size_t nout = 0, i;
	bool has_a = false, has_b = false;

	(void)state;
	for (i = 0; i < 3; i++)
		assert_int_equal(user_count_move(dbunit_env.db, a, USER_COUNT_FOLLOWERS, 1), 0);
	assert_int_equal(user_count_move(dbunit_env.db, b, USER_COUNT_FOLLOWERS, 1), 0);
	/* Sorted by shard, as the function takes them; an ID of no shard is passed over. */
	users[0] = id_shard(a) <= id_shard(b) ? a : b;
	users[1] = users[0] == a ? b : a;
	users[2] = id_compose(0, ID_MAX_SHARDS - 1, 0, 1);
	assert_int_equal(user_with_followers(&dbunit_env, users, 3, 2, &out, &nout), 0);
	for (i = 0; i < nout; i++) {
		has_a |= out[i] == a;
		has_b |= out[i] == b;
	}
	assert_true(has_a);
	assert_false(has_b);
	free(out);
}

struct corrected {
	uint64_t want;
	bool     seen;
};

static void
note_corrected(uint64_t user, void *arg)
{
	struct corrected *c = arg;

	c->seen |= user == c->want;
}

static void
test_repair_sets_counts_from_rows(void **state)
{
	uint64_t id = dbunit_user("ur", NULL);
	struct corrected c = { id, false };
	long n;

	(void)state;
	assert_int_equal(user_count_move(dbunit_env.db, id, USER_COUNT_FOLLOWERS, 1), 0);
	assert_int_equal(user_count_move(dbunit_env.db, id, USER_COUNT_FOLLOWINGS, 1), 0);
	assert_int_equal(counter(id, "countFollowers"), 1);
	n = user_repair_follow_counts(&dbunit_env, id_shard(id), note_corrected, &c);
	assert_true(n >= 1);
	assert_true(c.seen);
	/* No rows of the graph say otherwise: both back to 0, and the cached copy was dropped. */
	{
		json_object *p = NULL;

		assert_int_equal(user_profile(&dbunit_env, id, id, &p), 1);
		assert_int_equal(dbunit_int(p, "countFollowers"), 0);
		assert_int_equal(dbunit_int(p, "countFollowings"), 0);
		json_object_put(p);
	}
	c.seen = false;
	assert_true(user_repair_follow_counts(&dbunit_env, id_shard(id), note_corrected, &c) >= 0);
	assert_false(c.seen);     /* a second run finds nothing of it */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signup_read_back),
		cmocka_unit_test(test_names_unique_in_any_case),
		cmocka_unit_test(test_activation),
		cmocka_unit_test(test_profile_as_owner_and_others),
		cmocka_unit_test(test_counters_move_never_below_zero),
		cmocka_unit_test(test_pin_and_unpin_if),
		cmocka_unit_test(test_with_followers_picks_by_count),
		cmocka_unit_test(test_repair_sets_counts_from_rows),
	};

	return dbunit_main("user", tests, sizeof tests / sizeof tests[0]);
}
