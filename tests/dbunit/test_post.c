/* test_post.c: lib/social/post.h on Starling's schema (tests/dbunit/run.sh starts the servers): a
 * post created, viewed as its author and as another user, refused to others for deletion, deleted
 * and gone; a like counted once and undone; a reply listed under its post and counted; a block that
 * hides a post from the blocked user (and refuses their like); text empty, too long or not UTF-8
 * refused. */
#include "config.h"

#include "harness.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "apierr.h"
#include "graph.h"
#include "post.h"

/* post_create (original_id 0) or post_reply as user; returns the code, the id in *id. */
static int
write_as(uint64_t user, const char *text, uint64_t original, uint64_t *id)
{
	struct ctx ctx;
	struct post_new n = { .text = text, .text_len = strlen(text), .original_id = original };
	int rc;

	dbunit_as(&ctx, user);
	rc = original ? post_reply(&ctx, &n, id) : post_create(&ctx, &n, id);
	ctx_free(&ctx);
	return rc;
}

static uint64_t
post_as(uint64_t user, const char *text)
{
	uint64_t id = 0;

	assert_int_equal(write_as(user, text, 0, &id), APIERR_OK);
	assert_true(id != 0);
	return id;
}

/* post_view of id as viewer: the code, and the view in *out (the caller's) when 0. */
static int
view_as(uint64_t viewer, uint64_t id, json_object **out)
{
	struct ctx ctx;
	int rc;

	*out = NULL;
	dbunit_as(&ctx, viewer);
	rc = post_view(&ctx, id, out);
	ctx_free(&ctx);
	return rc;
}

/* One of id's counts (post_stats: comments, likes, reposts, quotes). */
static int64_t
count_of(uint64_t id, const char *name)
{
	struct ctx ctx;
	json_object *all = NULL;
	char path[48];
	int64_t n;

	snprintf(path, sizeof path, "%llu.%s", (unsigned long long)id, name);
	dbunit_as(&ctx, 0);
	assert_int_equal(post_stats(&ctx, &id, 1, &all), APIERR_OK);
	n = dbunit_int(all, path);
	json_object_put(all);
	ctx_free(&ctx);
	return n;
}

/* An action of user on id (post_delete or post_like); returns its code. */
static int
act(uint64_t user, uint64_t id, int like)
{
	struct ctx ctx;
	int rc;

	dbunit_as(&ctx, user);
	rc = like < 0 ? post_delete(&ctx, id) : post_like(&ctx, id, like != 0);
	ctx_free(&ctx);
	return rc;
}

static void
test_create_view_delete(void **state)
{
	char aname[DBUNIT_NAME_MAX];
	uint64_t a = dbunit_user("pa", aname), b = dbunit_user("pb", NULL);
	uint64_t id = post_as(a, "hello <world> #dbunit");
	json_object *v = NULL;

	(void)state;
	assert_int_equal(view_as(a, id, &v), APIERR_OK);
	assert_string_equal(dbunit_str(v, "contentText"), "hello <world> #dbunit");
	assert_string_equal(dbunit_str(v, "type"), "post");
	assert_string_equal(dbunit_str(v, "author.username"), aname);
	assert_true(json_object_get_boolean(dbunit_get(v, "viewer.own")));
	json_object_put(v);
	assert_int_equal(view_as(b, id, &v), APIERR_OK);
	assert_false(json_object_get_boolean(dbunit_get(v, "viewer.own")));
	json_object_put(v);
	assert_int_equal(view_as(0, id, &v), APIERR_OK);   /* a visitor */
	assert_null(dbunit_get(v, "viewer"));
	json_object_put(v);
	/* Only the author deletes; then it is gone for everyone, and a second delete is 404. */
	assert_int_equal(act(b, id, -1), APIERR_NOT_OWNER);
	assert_int_equal(act(a, id, -1), APIERR_OK);
	assert_int_equal(view_as(a, id, &v), APIERR_NOT_FOUND);
	assert_int_equal(post_get(&dbunit_env, id, &v), 0);
	assert_int_equal(act(a, id, -1), APIERR_NOT_FOUND);
	assert_int_equal(view_as(a, dbunit_unused_id(), &v), APIERR_NOT_FOUND);
}

static void
test_like_counted_once(void **state)
{
	uint64_t a = dbunit_user("pa", NULL), b = dbunit_user("pb", NULL);
	uint64_t id = post_as(a, "like me");
	json_object *v = NULL;

	(void)state;
	assert_int_equal(count_of(id, "likes"), 0);
	assert_int_equal(act(b, id, 1), APIERR_OK);
	assert_int_equal(act(b, id, 1), APIERR_OK);   /* a repeat: still one */
	assert_int_equal(count_of(id, "likes"), 1);
	assert_int_equal(view_as(b, id, &v), APIERR_OK);
	assert_true(json_object_get_boolean(dbunit_get(v, "viewer.liked")));
	json_object_put(v);
	assert_int_equal(act(b, id, 0), APIERR_OK);
	assert_int_equal(count_of(id, "likes"), 0);
	assert_int_equal(act(b, dbunit_unused_id(), 1), APIERR_NOT_FOUND);
}

static void
test_reply_listed_and_counted(void **state)
{
	uint64_t a = dbunit_user("pa", NULL), b = dbunit_user("pb", NULL);
	uint64_t id = post_as(a, "a thread"), reply = 0;
	struct ctx ctx;
	json_object *page = NULL, *replies;
	char want[24];

	(void)state;
	assert_int_equal(write_as(b, "an answer", id, &reply), APIERR_OK);
	assert_int_equal(count_of(id, "comments"), 1);
	dbunit_as(&ctx, a);
	assert_int_equal(post_replies(&ctx, id, 0, &page), APIERR_OK);
	ctx_free(&ctx);
	replies = dbunit_get(page, "replies");
	assert_int_equal(json_object_array_length(replies), 1);
	snprintf(want, sizeof want, "%llu", (unsigned long long)reply);
	assert_string_equal(dbunit_str(json_object_array_get_idx(replies, 0), "id"), want);
	assert_string_equal(dbunit_str(json_object_array_get_idx(replies, 0), "type"), "reply");
	assert_string_equal(dbunit_str(page, "cursor"), "-1");
	json_object_put(page);
}

static void
test_block_hides_post(void **state)
{
	char bname[DBUNIT_NAME_MAX];
	uint64_t a = dbunit_user("pa", NULL), b = dbunit_user("pb", bname);
	uint64_t id = post_as(a, "not for b");
	struct ctx ctx;
	json_object *v = NULL;

	(void)state;
	assert_int_equal(view_as(b, id, &v), APIERR_OK);   /* seen once: cached */
	json_object_put(v);
	dbunit_as(&ctx, a);
	assert_int_equal(graph_set(&ctx, GRAPH_BLOCK, bname, true), APIERR_OK);
	ctx_free(&ctx);
	assert_int_equal(view_as(b, id, &v), APIERR_NOT_FOUND);
	assert_int_equal(act(b, id, 1), APIERR_FORBIDDEN);   /* as for a follow: not told why */
	assert_int_equal(view_as(0, id, &v), APIERR_OK);   /* others still see it */
	json_object_put(v);
}

static void
test_text_refused(void **state)
{
	uint64_t a = dbunit_user("pa", NULL), id = 0;
	char long_text[1200];

	(void)state;
	assert_int_equal(write_as(a, "", 0, &id), APIERR_TEXT_EMPTY);
	assert_int_equal(write_as(a, " \n\t ", 0, &id), APIERR_TEXT_EMPTY);
	memset(long_text, 'x', sizeof long_text - 1);
	long_text[sizeof long_text - 1] = '\0';
	assert_int_equal(write_as(a, long_text, 0, &id), APIERR_TEXT_TOO_LONG);
	assert_int_equal(write_as(a, "\xc0\xaf", 0, &id), APIERR_BAD_UTF8);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_view_delete),
		cmocka_unit_test(test_like_counted_once),
		cmocka_unit_test(test_reply_listed_and_counted),
		cmocka_unit_test(test_block_hides_post),
		cmocka_unit_test(test_text_refused),
	};

	return dbunit_main("post", tests, sizeof tests / sizeof tests[0]);
}
