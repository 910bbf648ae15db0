/* test_graph.c: lib/social/graph.h on Starling's schema (tests/dbunit/run.sh starts the servers):
 * follow and unfollow move both counters once (the follow.sync job runs at once), the lists show
 * the follower; a block ends the follow both ways and refuses new ones, each with its code; a
 * mute is told to the muter only; the refusals of the caller themself and of an unknown user. */
#include "config.h"

#include "harness.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "apierr.h"
#include "graph.h"
#include "user.h"

/* A counter of user's profile (user_profile: the cached counters are dropped by each write). */
static int64_t
count(uint64_t user, const char *name)
{
	json_object *p = NULL;
	int64_t n;

	assert_int_equal(user_profile(&dbunit_env, user, 0, &p), 1);
	n = dbunit_int(p, name);
	json_object_put(p);
	return n;
}

/* graph_set as user; returns its code. */
static int
set(uint64_t user, enum graph_action action, const char *target, bool on)
{
	struct ctx ctx;
	int rc;

	dbunit_as(&ctx, user);
	rc = graph_set(&ctx, action, target, on);
	ctx_free(&ctx);
	return rc;
}

/* Whether the first page of list of whose shows user. */
static bool
listed(enum graph_list list, uint64_t whose, uint64_t viewer, uint64_t user)
{
	struct ctx ctx;
	json_object *users;
	char want[24];
	size_t i;
	bool found = false;

	snprintf(want, sizeof want, "%llu", (unsigned long long)user);
	dbunit_as(&ctx, viewer);
	assert_int_equal(graph_list(&ctx, list, whose, NULL), APIERR_OK);
	users = dbunit_get(ctx.data, "users");
	assert_non_null(users);
	for (i = 0; i < json_object_array_length(users); i++)
		found |= strcmp(dbunit_str(json_object_array_get_idx(users, i), "id"), want) == 0;
	ctx_free(&ctx);
	return found;
}

static void
test_follow_unfollow_counts(void **state)
{
	char bname[DBUNIT_NAME_MAX];
	uint64_t a = dbunit_user("ga", NULL), b = dbunit_user("gb", bname);
	int follow = -1;
	bool muted = true;

	(void)state;
	assert_int_equal(set(a, GRAPH_FOLLOW, bname, true), APIERR_OK);
	assert_int_equal(set(a, GRAPH_FOLLOW, bname, true), APIERR_OK);   /* a repeat: no change */
	assert_int_equal(graph_relation(&dbunit_env, a, b, &follow, &muted), 0);
	assert_int_equal(follow, 1);
	assert_false(muted);
	assert_int_equal(count(a, "countFollowings"), 1);
	assert_int_equal(count(b, "countFollowers"), 1);
	assert_true(listed(GRAPH_FOLLOWERS, b, 0, a));
	assert_true(listed(GRAPH_FOLLOWING, a, 0, b));
	assert_int_equal(set(a, GRAPH_FOLLOW, bname, false), APIERR_OK);
	assert_int_equal(count(a, "countFollowings"), 0);
	assert_int_equal(count(b, "countFollowers"), 0);
	assert_false(listed(GRAPH_FOLLOWERS, b, 0, a));
}

static void
test_block_ends_and_refuses_follows(void **state)
{
	char aname[DBUNIT_NAME_MAX], bname[DBUNIT_NAME_MAX];
	uint64_t a = dbunit_user("ga", aname), b = dbunit_user("gb", bname);
	int follow = -1;
	bool muted;

	(void)state;
	assert_int_equal(set(a, GRAPH_FOLLOW, bname, true), APIERR_OK);
	assert_int_equal(set(b, GRAPH_FOLLOW, aname, true), APIERR_OK);
	assert_int_equal(count(a, "countFollowers"), 1);
	assert_int_equal(set(a, GRAPH_BLOCK, bname, true), APIERR_OK);
	assert_int_equal(graph_blocked_either(&dbunit_env, a, b), 1);
	assert_int_equal(graph_blocked_either(&dbunit_env, b, a), 1);
	/* Both follows are gone, with their counts. */
	assert_int_equal(graph_relation(&dbunit_env, b, a, &follow, &muted), 0);
	assert_int_equal(follow, 0);
	assert_int_equal(count(a, "countFollowers"), 0);
	assert_int_equal(count(b, "countFollowers"), 0);
	assert_true(listed(GRAPH_BLOCKED, a, a, b));
	/* The blocked one is refused without being told why; the blocker must unblock first. */
	assert_int_equal(set(b, GRAPH_FOLLOW, aname, true), APIERR_FORBIDDEN);
	assert_int_equal(set(a, GRAPH_FOLLOW, bname, true), APIERR_CONFLICT);
	assert_int_equal(set(a, GRAPH_BLOCK, bname, false), APIERR_OK);
	assert_int_equal(graph_blocked_either(&dbunit_env, b, a), 0);
	assert_int_equal(set(b, GRAPH_FOLLOW, aname, true), APIERR_OK);
	assert_int_equal(count(a, "countFollowers"), 1);
}

static void
test_mute_told_to_the_muter(void **state)
{
	char bname[DBUNIT_NAME_MAX];
	uint64_t a = dbunit_user("ga", NULL), b = dbunit_user("gb", bname);

	(void)state;
	assert_int_equal(graph_muted(&dbunit_env, a, b), 0);
	assert_int_equal(set(a, GRAPH_MUTE, bname, true), APIERR_OK);
	assert_int_equal(graph_muted(&dbunit_env, a, b), 1);
	assert_int_equal(graph_muted(&dbunit_env, b, a), 0);
	assert_true(listed(GRAPH_MUTED, a, a, b));
	assert_int_equal(graph_blocked_either(&dbunit_env, a, b), 0);
	assert_int_equal(set(a, GRAPH_MUTE, bname, false), APIERR_OK);
	assert_int_equal(graph_muted(&dbunit_env, a, b), 0);
}

static void
test_refusals(void **state)
{
	char aname[DBUNIT_NAME_MAX];
	uint64_t a = dbunit_user("ga", aname);
	struct ctx ctx;

	(void)state;
	assert_int_equal(set(a, GRAPH_FOLLOW, aname, true), APIERR_INVALID_PARAM);
	assert_int_equal(set(a, GRAPH_BLOCK, "nosuchuser0000", true), APIERR_NOT_FOUND);
	dbunit_as(&ctx, a);
	assert_int_equal(graph_list(&ctx, GRAPH_FOLLOWERS, a, "01"), APIERR_INVALID_PARAM);
	assert_true(ctx.message.len > 0);   /* a message naming what was wrong */
	ctx_free(&ctx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_follow_unfollow_counts),
		cmocka_unit_test(test_block_ends_and_refuses_follows),
		cmocka_unit_test(test_mute_told_to_the_muter),
		cmocka_unit_test(test_refusals),
	};

	return dbunit_main("graph", tests, sizeof tests / sizeof tests[0]);
}
