/* test_postlist.c: lib/social/postlist.h on Starling's schema (tests/dbunit/run.sh starts the
 * servers): each tab newest first, a page at a time, the pages meeting without a repeat or a gap
 * and the last one saying so (also at exactly a page's worth); only the user's own rows; a deleted
 * record left out but its row still moving the cursor on; the pinned post heading the first page
 * only, never repeated, and dropped once deleted. */
#include "config.h"

#include "harness.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apierr.h"
#include "post.h"
#include "postlist.h"

static uint64_t
post_as(uint64_t user, const char *text, uint64_t original)
{
	struct ctx ctx;
	struct post_new n = { .text = text, .text_len = strlen(text), .original_id = original };
	uint64_t id = 0;

	dbunit_as(&ctx, user);
	assert_int_equal(original ? post_reply(&ctx, &n, &id) : post_create(&ctx, &n, &id),
	    APIERR_OK);
	ctx_free(&ctx);
	assert_true(id != 0);
	return id;
}

/* post_like, post_delete (like < 0) or post_pin (like 2) of id as user: the code. */
static int
act(uint64_t user, uint64_t id, int like)
{
	struct ctx ctx;
	int rc;

	dbunit_as(&ctx, user);
	if (like == 2)
		rc = post_pin(&ctx, id, true);
	else
		rc = like < 0 ? post_delete(&ctx, id) : post_like(&ctx, id, like != 0);
	ctx_free(&ctx);
	return rc;
}

/* One page of user's tab as viewer: the code; the page in *out (the caller's) when 0. */
static int
page_of(uint64_t viewer, uint64_t user, enum postlist_tab tab, uint64_t cursor, json_object **out)
{
	struct ctx ctx;
	int rc;

	dbunit_as(&ctx, viewer);
	rc = postlist_page(&ctx, user, tab, cursor, out);
	ctx_free(&ctx);
	return rc;
}

static uint64_t
id_at(json_object *page, size_t i)
{
	const char *s = dbunit_str(json_object_array_get_idx(dbunit_get(page, "posts"), i), "id");

	assert_non_null(s);
	return strtoull(s, NULL, 10);
}

static size_t
count(json_object *page)
{
	return json_object_array_length(dbunit_get(page, "posts"));
}

/* The next page's cursor (0 for "-1", the last page). */
static uint64_t
cursor_of(json_object *page)
{
	const char *c = dbunit_str(page, "cursor");

	assert_non_null(c);
	return strcmp(c, "-1") == 0 ? 0 : strtoull(c, NULL, 10);
}

/* Reads every page of user's tab; the IDs in the order shown into ids (cap); returns how many,
 * and how many pages in *pages. Fails on an item repeated, or, but for a pinned post and in the
 * likes tab (ordered by the like), on IDs that are not newest first. */
static size_t
read_all(uint64_t viewer, uint64_t user, enum postlist_tab tab, uint64_t *ids, size_t cap,
    size_t *pages)
{
	uint64_t cursor = 0, prev = UINT64_MAX;
	size_t n = 0, i, j;
	json_object *page, *item;

	*pages = 0;
	do {
		page = NULL;
		assert_int_equal(page_of(viewer, user, tab, cursor, &page), APIERR_OK);
		/* The pinned post comes on top of the first page's rows. */
		assert_true(count(page) <= POSTLIST_PAGE + (size_t)(cursor == 0 && tab == POSTLIST_POSTS));
		for (i = 0; i < count(page); i++) {
			assert_true(n < cap);
			ids[n] = id_at(page, i);
			for (j = 0; j < n; j++)
				if (ids[j] == ids[n])
					fail_msg("page %zu item %zu: %" PRIu64 " again", *pages, i, ids[n]);
			item = json_object_array_get_idx(dbunit_get(page, "posts"), i);
			if (tab != POSTLIST_LIKES && dbunit_get(item, "pinned") == NULL) {
				if (ids[n] >= prev)
					fail_msg("page %zu item %zu: %" PRIu64 " after %" PRIu64, *pages, i,
					    ids[n], prev);
				prev = ids[n];
			}
			n++;
		}
		cursor = cursor_of(page);
		json_object_put(page);
		(*pages)++;
	} while (cursor != 0 && *pages < 10);
	return n;
}

static void
test_posts_paged(void **state)
{
	uint64_t a = dbunit_user("la", NULL), b = dbunit_user("lb", NULL);
	uint64_t made[POSTLIST_PAGE + 5], got[64];
	size_t i, n, pages;
	char text[32];

	(void)state;
	for (i = 0; i < POSTLIST_PAGE + 5; i++) {
		snprintf(text, sizeof text, "post %zu", i);
		made[i] = post_as(a, text, 0);
	}
	(void)post_as(b, "not a's", 0);
	/* A reply of a's is in the replies tab, not here. */
	(void)post_as(a, "a reply", made[0]);
	n = read_all(b, a, POSTLIST_POSTS, got, 64, &pages);
	assert_int_equal(n, POSTLIST_PAGE + 5);
	assert_int_equal(pages, 2);
	for (i = 0; i < n; i++)
		assert_true(got[i] == made[POSTLIST_PAGE + 4 - i]);
	/* A visitor reads the same list. */
	n = read_all(0, a, POSTLIST_POSTS, got, 64, &pages);
	assert_int_equal(n, POSTLIST_PAGE + 5);
}

/* Exactly one page's worth: one page, and it says it is the last. */
static void
test_exactly_one_page(void **state)
{
	uint64_t a = dbunit_user("la", NULL);
	json_object *page = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < POSTLIST_PAGE; i++)
		(void)post_as(a, "one of a page", 0);
	assert_int_equal(page_of(a, a, POSTLIST_POSTS, 0, &page), APIERR_OK);
	assert_int_equal(count(page), POSTLIST_PAGE);
	assert_string_equal(dbunit_str(page, "cursor"), "-1");
	json_object_put(page);
	/* No posts at all: an empty last page. */
	assert_int_equal(page_of(a, dbunit_user("lb", NULL), POSTLIST_POSTS, 0, &page), APIERR_OK);
	assert_int_equal(count(page), 0);
	assert_string_equal(dbunit_str(page, "cursor"), "-1");
	json_object_put(page);
}

/* A deleted post is left out; deleting the post at a page's end moves no item across. */
static void
test_deleted_left_out(void **state)
{
	uint64_t a = dbunit_user("la", NULL), made[POSTLIST_PAGE + 2], got[64];
	size_t i, n, pages;

	(void)state;
	for (i = 0; i < POSTLIST_PAGE + 2; i++)
		made[i] = post_as(a, "soon gone, some", 0);
	assert_int_equal(act(a, made[5], -1), APIERR_OK);
	n = read_all(a, a, POSTLIST_POSTS, got, 64, &pages);
	assert_int_equal(n, POSTLIST_PAGE + 1);
	for (i = 0; i < n; i++)
		assert_true(got[i] != made[5]);
}

static void
test_replies_tab(void **state)
{
	uint64_t a = dbunit_user("la", NULL), b = dbunit_user("lb", NULL);
	uint64_t post = post_as(a, "a thread", 0), r1, r2, got[8];
	size_t n, pages;

	(void)state;
	r1 = post_as(b, "first answer", post);
	r2 = post_as(b, "second answer", post);
	n = read_all(a, b, POSTLIST_REPLIES, got, 8, &pages);
	assert_int_equal(n, 2);
	assert_true(got[0] == r2 && got[1] == r1);
	/* Not in b's posts, and a's replies tab is empty. */
	assert_int_equal(read_all(a, b, POSTLIST_POSTS, got, 8, &pages), 0);
	assert_int_equal(read_all(a, a, POSTLIST_REPLIES, got, 8, &pages), 0);
	/* A deleted reply goes from the tab. */
	assert_int_equal(act(b, r1, -1), APIERR_OK);
	n = read_all(a, b, POSTLIST_REPLIES, got, 8, &pages);
	assert_int_equal(n, 1);
	assert_true(got[0] == r2);
}

/* Likes newest like first (not newest post first), and a like of a deleted post left out. */
static void
test_likes_tab(void **state)
{
	uint64_t a = dbunit_user("la", NULL), b = dbunit_user("lb", NULL);
	uint64_t older = post_as(a, "older", 0), newer = post_as(a, "newer", 0), got[8];
	size_t n, pages;

	(void)state;
	assert_int_equal(act(b, newer, 1), APIERR_OK);
	assert_int_equal(act(b, older, 1), APIERR_OK);
	n = read_all(a, b, POSTLIST_LIKES, got, 8, &pages);
	/* Ordered by the like's ID, so the IDs of the posts run the other way: read them directly. */
	assert_int_equal(n, 2);
	assert_true(got[0] == older && got[1] == newer);
	assert_int_equal(act(b, older, 0), APIERR_OK);
	assert_int_equal(act(a, newer, -1), APIERR_OK);
	assert_int_equal(read_all(a, b, POSTLIST_LIKES, got, 8, &pages), 0);
}

static void
test_pinned_first_once(void **state)
{
	uint64_t a = dbunit_user("la", NULL), made[POSTLIST_PAGE + 3], got[64];
	json_object *page = NULL;
	size_t i, n, pages, seen = 0;

	(void)state;
	for (i = 0; i < POSTLIST_PAGE + 3; i++)
		made[i] = post_as(a, "pinnable", 0);
	assert_int_equal(act(a, made[0], 2), APIERR_OK);
	assert_int_equal(page_of(0, a, POSTLIST_POSTS, 0, &page), APIERR_OK);
	assert_true(id_at(page, 0) == made[0]);
	assert_true(json_object_get_boolean(dbunit_get(json_object_array_get_idx(
	    dbunit_get(page, "posts"), 0), "pinned")));
	assert_true(id_at(page, 1) == made[POSTLIST_PAGE + 2]);
	assert_int_equal(count(page), POSTLIST_PAGE + 1);
	json_object_put(page);
	/* Over all pages: every post once, the pinned one included. */
	n = read_all(0, a, POSTLIST_POSTS, got, 64, &pages);
	assert_int_equal(n, POSTLIST_PAGE + 3);
	for (i = 0; i < n; i++)
		seen += got[i] == made[0];
	assert_int_equal(seen, 1);
	/* Deleted: no longer pinned, nor listed. */
	assert_int_equal(act(a, made[0], -1), APIERR_OK);
	assert_int_equal(page_of(0, a, POSTLIST_POSTS, 0, &page), APIERR_OK);
	assert_true(id_at(page, 0) == made[POSTLIST_PAGE + 2]);
	assert_null(dbunit_get(json_object_array_get_idx(dbunit_get(page, "posts"), 0), "pinned"));
	json_object_put(page);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_posts_paged),
		cmocka_unit_test(test_exactly_one_page),
		cmocka_unit_test(test_deleted_left_out),
		cmocka_unit_test(test_replies_tab),
		cmocka_unit_test(test_likes_tab),
		cmocka_unit_test(test_pinned_first_once),
	};

	return dbunit_main("postlist", tests, sizeof tests / sizeof tests[0]);
}
