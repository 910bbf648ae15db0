/* test_mod.c: moderation's names (roles and actions, both ways, and what names none) and the suspension rule every
 * check reads (lib/social/user.h user_suspended): the flag, its end, an expired one, a profile cached
 * before the end existed. The database paths are tests/integration/test_moderation.py's. */
#include "config.h"

#include "test.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

#include "mod.h"
#include "user.h"

struct role_row {
	int           line;
	const char   *name;
	enum mod_role role;
};

static const struct role_row role_rows[] = {
	{ __LINE__, "moderator",      MOD_MODERATOR },
	{ __LINE__, "administrator",  MOD_ADMIN },
	{ __LINE__, "",               MOD_NONE },
	{ __LINE__, "Moderator",      MOD_NONE },   /* exact spelling only */
	{ __LINE__, "admin",          MOD_NONE },
	{ __LINE__, "moderator ",     MOD_NONE },
};

static void
test_roles(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof role_rows / sizeof role_rows[0]; i++) {
		const struct role_row *r = &role_rows[i];

		if (mod_role_parse(r->name) != r->role)
			fail_msg("line %d: mod_role_parse(\"%s\") = %d, want %d", r->line, r->name,
			    mod_role_parse(r->name), r->role);
		if (r->role != MOD_NONE && strcmp(mod_role_name(r->role), r->name) != 0)
			fail_msg("line %d: mod_role_name(%d) = %s", r->line, r->role,
			    mod_role_name(r->role));
	}
	assert_null(mod_role_name(MOD_NONE));
	assert_null(mod_role_name((enum mod_role)3));
	/* The order the checks rely on: an administrator may do what a moderator may. */
	assert_true(MOD_ADMIN > MOD_MODERATOR && MOD_MODERATOR > MOD_NONE);
}

static void
test_actions(void **state)
{
	static const char *const want[] = { "dismiss", "delete_post", "suspend", "lift" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof want / sizeof want[0]; i++) {
		assert_string_equal(mod_action_name((enum mod_action)i), want[i]);
		assert_int_equal(mod_action_parse(want[i]), (int)i);
	}
	assert_null(mod_action_name((enum mod_action)4));
	assert_null(mod_action_name((enum mod_action)-1));
	assert_int_equal(mod_action_parse(""), -1);
	assert_int_equal(mod_action_parse("Dismiss"), -1);
	assert_int_equal(mod_action_parse("delete"), -1);
}

/* A profile (user_get's members that matter) and whether it is suspended at NOW. */
#define NOW 1800000000
struct susp_row {
	int         line;
	const char *json;
	bool        suspended;
};

static const struct susp_row susp_rows[] = {
	{ __LINE__, "{}",                                                      false },
	{ __LINE__, "{\"suspended\":false}",                                   false },
	{ __LINE__, "{\"suspended\":false,\"suspendedUntil\":1900000000}",     false },
	{ __LINE__, "{\"suspended\":true}",                                    true },  /* cached before 018 */
	{ __LINE__, "{\"suspended\":true,\"suspendedUntil\":0}",               true },  /* until lifted */
	{ __LINE__, "{\"suspended\":true,\"suspendedUntil\":1800000001}",      true },
	{ __LINE__, "{\"suspended\":true,\"suspendedUntil\":1800000000}",      false }, /* ends at its second */
	{ __LINE__, "{\"suspended\":true,\"suspendedUntil\":1700000000}",      false }, /* expired */
};

static void
test_suspended(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof susp_rows / sizeof susp_rows[0]; i++) {
		const struct susp_row *r = &susp_rows[i];
		json_object *u = json_tokener_parse(r->json);

		if (u == NULL)
			fail_msg("line %d: the row's JSON does not parse", r->line);
		if (user_suspended(u, NOW) != r->suspended)
			fail_msg("line %d: user_suspended(%s) = %d, want %d", r->line, r->json,
			    !r->suspended, r->suspended);
		json_object_put(u);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_actions),
		cmocka_unit_test(test_suspended),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
