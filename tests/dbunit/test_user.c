/* test_user.c: lib/user.h on Starling's schema (tests/dbunit/run.sh starts the servers): a
 * sign-up read back through every lookup, usernames and emails unique in any letter case, the
 * activation, and the profile as its owner and as others see it after an edit. */
#include "config.h"

#include "harness.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signup_read_back),
		cmocka_unit_test(test_names_unique_in_any_case),
		cmocka_unit_test(test_activation),
		cmocka_unit_test(test_profile_as_owner_and_others),
	};

	return dbunit_main("user", tests, sizeof tests / sizeof tests[0]);
}
