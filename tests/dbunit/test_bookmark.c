/* test_bookmark.c: lib/social/bookmark.h on Starling's schema (tests/dbunit/run.sh starts the
 * servers), read back through its one list (lib/social/postlist.h, POSTLIST_BOOKMARKS) and the
 * viewer's flags of a view: adding and removing each idempotent (one row, its place in the list
 * kept by a second add); a reply bookmarked as itself; a repost bookmarked as its original; a
 * missing record refused on add and not on remove; the list newest bookmark first, a page at a time by its cursor, without a
 * repeat or a gap; a deleted record, and one hidden by a block, left out of the list while their
 * rows stay (an unblock shows it again). */
#include "config.h"

#include "harness.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apierr.h"
#include "bookmark.h"
#include "graph.h"
#include "id.h"
#include "post.h"
#include "postlist.h"

/* How many rows user's bookmarks of record hold (at most one: the unique key). */
#define ROWS_SQL "SELECT COUNT(*) FROM {db}.tb_bookmark WHERE user_id = ? AND record_id = ?"

static uint64_t
post_as(uint64_t user, const char *text)
{
	struct ctx ctx;
	struct post_new n = { .text = text, .text_len = strlen(text) };
	uint64_t id = 0;

	dbunit_as(&ctx, user);
	assert_int_equal(post_create(&ctx, &n, &id), APIERR_OK);
	ctx_free(&ctx);
	assert_true(id != 0);
	return id;
}

/* bookmark_set of id as user: the code. */
static int
mark(uint64_t user, uint64_t id, bool on)
{
	struct ctx ctx;
	int rc;

	dbunit_as(&ctx, user);
	rc = bookmark_set(&ctx, id, on);
	ctx_free(&ctx);
	return rc;
}

static uint64_t
rows(uint64_t user, uint64_t record)
{
	return dbunit_value(id_shard(user), ROWS_SQL, user, record);
}

/* Whether user's view of id says they bookmarked it. */
static bool
flagged(uint64_t user, uint64_t id)
{
	struct ctx ctx;
	json_object *v = NULL, *b;
	bool on;

	dbunit_as(&ctx, user);
	assert_int_equal(post_view(&ctx, id, &v), APIERR_OK);
	ctx_free(&ctx);
	b = dbunit_get(v, "viewer.bookmarked");
	assert_non_null(b);
	on = json_object_get_boolean(b);
	json_object_put(v);
	return on;
}

/* One page of user's bookmarks below cursor, as user: the page (the caller's). */
static json_object *
page_of(uint64_t user, uint64_t cursor)
{
	struct ctx ctx;
	json_object *page = NULL;

	dbunit_as(&ctx, user);
	assert_int_equal(postlist_page(&ctx, user, POSTLIST_BOOKMARKS, cursor, &page), APIERR_OK);
	ctx_free(&ctx);
	assert_non_null(page);
	return page;
}

static size_t
count(json_object *page)
{
	return json_object_array_length(dbunit_get(page, "posts"));
}

static uint64_t
id_at(json_object *page, size_t i)
{
	const char *s = dbunit_str(json_object_array_get_idx(dbunit_get(page, "posts"), i), "id");

	assert_non_null(s);
	return strtoull(s, NULL, 10);
}

/* The next page's cursor: 0 for "-1", the last page. */
static uint64_t
cursor_of(json_object *page)
{
	const char *c = dbunit_str(page, "cursor");

	assert_non_null(c);
	return strcmp(c, "-1") == 0 ? 0 : strtoull(c, NULL, 10);
}

/* Every page of user's bookmarks: the IDs shown, in order, into ids (cap); returns how many, the
 * pages read in *pages. Fails on an ID shown twice or a page longer than POSTLIST_PAGE. */
static size_t
read_all(uint64_t user, uint64_t *ids, size_t cap, size_t *pages)
{
	uint64_t cursor = 0;
	size_t n = 0, i, j;
	json_object *page;

	*pages = 0;
	do {
		page = page_of(user, cursor);
		assert_true(count(page) <= POSTLIST_PAGE);
		for (i = 0; i < count(page); i++) {
			assert_true(n < cap);
			ids[n] = id_at(page, i);
			for (j = 0; j < n; j++)
				if (ids[j] == ids[n])
					fail_msg("page %zu item %zu: %" PRIu64 " again", *pages, i, ids[n]);
			n++;
		}
		cursor = cursor_of(page);
		json_object_put(page);
		(*pages)++;
	} while (cursor != 0 && *pages < 10);
	return n;
}

static void
test_add_remove_idempotent(void **state)
{
	uint64_t a = dbunit_user("ba", NULL), b = dbunit_user("bb", NULL);
	uint64_t id = post_as(a, "worth keeping");

	(void)state;
	assert_false(flagged(b, id));
	assert_int_equal(mark(b, id, true), APIERR_OK);
	assert_int_equal(rows(b, id), 1);
	assert_true(flagged(b, id));
	/* A second add is no second row, and no failure. */
	assert_int_equal(mark(b, id, true), APIERR_OK);
	assert_int_equal(rows(b, id), 1);
	/* Private: the author's own view does not carry b's bookmark. */
	assert_false(flagged(a, id));
	assert_int_equal(rows(a, id), 0);
	assert_int_equal(mark(b, id, false), APIERR_OK);
	assert_int_equal(rows(b, id), 0);
	assert_false(flagged(b, id));
	assert_int_equal(mark(b, id, false), APIERR_OK);
	assert_int_equal(rows(b, id), 0);
	/* One's own post may be bookmarked too. */
	assert_int_equal(mark(a, id, true), APIERR_OK);
	assert_true(flagged(a, id));
}

/* A reply is bookmarked as itself, and listed with posts, newest bookmark first. */
static void
test_reply(void **state)
{
	uint64_t a = dbunit_user("ba", NULL), b = dbunit_user("bb", NULL);
	uint64_t post = post_as(a, "a thread"), reply = 0, got[8];
	struct post_new answer = { .text = "an answer", .text_len = 9, .original_id = post };
	struct ctx ctx;
	size_t n, pages;

	(void)state;
	dbunit_as(&ctx, a);
	assert_int_equal(post_reply(&ctx, &answer, &reply), APIERR_OK);
	ctx_free(&ctx);
	assert_int_equal(mark(b, post, true), APIERR_OK);
	assert_int_equal(mark(b, reply, true), APIERR_OK);
	assert_int_equal(rows(b, reply), 1);
	n = read_all(b, got, 8, &pages);
	assert_int_equal(n, 2);
	assert_true(got[0] == reply && got[1] == post);
}

static void
test_missing_record(void **state)
{
	uint64_t b = dbunit_user("bb", NULL), none = dbunit_unused_id();

	(void)state;
	assert_int_equal(mark(b, none, true), APIERR_NOT_FOUND);
	assert_int_equal(rows(b, none), 0);
	/* Removing what was never there is done, not refused. */
	assert_int_equal(mark(b, none, false), APIERR_OK);
}

static void
test_repost_stands_for_original(void **state)
{
	uint64_t a = dbunit_user("ba", NULL), b = dbunit_user("bb", NULL);
	uint64_t orig = post_as(a, "the original"), rp = 0;
	struct ctx ctx;
	json_object *page;

	(void)state;
	dbunit_as(&ctx, b);
	assert_int_equal(post_repost(&ctx, orig, &rp), APIERR_OK);
	ctx_free(&ctx);
	assert_true(rp != 0 && rp != orig);
	assert_int_equal(mark(b, rp, true), APIERR_OK);
	assert_int_equal(rows(b, orig), 1);
	assert_int_equal(rows(b, rp), 0);
	page = page_of(b, 0);
	assert_int_equal(count(page), 1);
	assert_true(id_at(page, 0) == orig);
	json_object_put(page);
	/* Bookmarking the original as well is the same bookmark; removing through the repost takes
	 * it back. */
	assert_int_equal(mark(b, orig, true), APIERR_OK);
	assert_int_equal(rows(b, orig), 1);
	assert_int_equal(mark(b, rp, false), APIERR_OK);
	assert_int_equal(rows(b, orig), 0);
}

/* Newest bookmark first (not newest post), by pages of POSTLIST_PAGE, the cursor going on to
 * the end without a repeat or a gap; a second add keeps the first's place. */
static void
test_paged_by_cursor(void **state)
{
	enum { N = POSTLIST_PAGE + 5 };
	uint64_t a = dbunit_user("ba", NULL), b = dbunit_user("bb", NULL), c = dbunit_user("bc", NULL);
	uint64_t made[N], got[64];
	size_t i, n, pages;
	json_object *page;
	char text[32];

	(void)state;
	for (i = 0; i < N; i++) {
		snprintf(text, sizeof text, "bookmarkable %zu", i);
		made[i] = post_as(a, text);
	}
	/* Bookmarked oldest post last: the list's order is the bookmarks', not the posts'. */
	for (i = 0; i < N; i++)
		assert_int_equal(mark(b, made[N - 1 - i], true), APIERR_OK);
	assert_int_equal(mark(c, made[0], true), APIERR_OK);   /* someone else's: not b's */
	assert_int_equal(mark(b, made[N - 1], true), APIERR_OK);   /* again: keeps its place */
	page = page_of(b, 0);
	assert_int_equal(count(page), POSTLIST_PAGE);
	assert_true(cursor_of(page) != 0);
	json_object_put(page);
	n = read_all(b, got, 64, &pages);
	assert_int_equal(n, N);
	assert_int_equal(pages, 2);
	for (i = 0; i < N; i++)
		assert_true(got[i] == made[i]);
	/* c's list is c's alone. */
	n = read_all(c, got, 64, &pages);
	assert_int_equal(n, 1);
	assert_true(got[0] == made[0]);
	/* Exactly one page's worth after a removal: one page, and it says it is the last. */
	for (i = 0; i < 5; i++)
		assert_int_equal(mark(b, made[i], false), APIERR_OK);
	page = page_of(b, 0);
	assert_int_equal(count(page), POSTLIST_PAGE);
	assert_string_equal(dbunit_str(page, "cursor"), "-1");
	assert_true(id_at(page, 0) == made[5]);
	json_object_put(page);
	/* Nothing bookmarked: an empty last page. */
	page = page_of(dbunit_user("bd", NULL), 0);
	assert_int_equal(count(page), 0);
	assert_string_equal(dbunit_str(page, "cursor"), "-1");
	json_object_put(page);
}

static void
test_deleted_left_out(void **state)
{
	uint64_t a = dbunit_user("ba", NULL), b = dbunit_user("bb", NULL);
	uint64_t kept = post_as(a, "stays"), gone = post_as(a, "soon deleted"), got[8];
	struct ctx ctx;
	size_t n, pages;

	(void)state;
	assert_int_equal(mark(b, kept, true), APIERR_OK);
	assert_int_equal(mark(b, gone, true), APIERR_OK);
	dbunit_as(&ctx, a);
	assert_int_equal(post_delete(&ctx, gone), APIERR_OK);
	ctx_free(&ctx);
	n = read_all(b, got, 8, &pages);
	assert_int_equal(n, 1);
	assert_true(got[0] == kept);
	/* The row stays (bookmark.h), a new add is refused, a removal still takes it. */
	assert_int_equal(rows(b, gone), 1);
	assert_int_equal(mark(b, gone, true), APIERR_NOT_FOUND);
	assert_int_equal(mark(b, gone, false), APIERR_OK);
	assert_int_equal(rows(b, gone), 0);
}

static void
test_block_hides(void **state)
{
	char bname[DBUNIT_NAME_MAX];
	uint64_t a = dbunit_user("ba", NULL), b = dbunit_user("bb", bname);
	uint64_t id = post_as(a, "not for b for long"), got[8];
	struct ctx ctx;
	size_t n, pages;

	(void)state;
	assert_int_equal(mark(b, id, true), APIERR_OK);
	dbunit_as(&ctx, a);
	assert_int_equal(graph_set(&ctx, GRAPH_BLOCK, bname, true), APIERR_OK);
	ctx_free(&ctx);
	n = read_all(b, got, 8, &pages);
	assert_int_equal(n, 0);
	assert_int_equal(rows(b, id), 1);
	/* The row kept, an unblock shows it again (bookmark.h). */
	dbunit_as(&ctx, a);
	assert_int_equal(graph_set(&ctx, GRAPH_BLOCK, bname, false), APIERR_OK);
	ctx_free(&ctx);
	n = read_all(b, got, 8, &pages);
	assert_int_equal(n, 1);
	assert_true(got[0] == id);
	/* Blocked again: removed all the same, then refused, b may not see it. */
	dbunit_as(&ctx, a);
	assert_int_equal(graph_set(&ctx, GRAPH_BLOCK, bname, true), APIERR_OK);
	ctx_free(&ctx);
	assert_int_equal(mark(b, id, false), APIERR_OK);
	assert_int_equal(mark(b, id, true), APIERR_NOT_FOUND);
	assert_int_equal(rows(b, id), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_remove_idempotent),
		cmocka_unit_test(test_missing_record),
		cmocka_unit_test(test_reply),
		cmocka_unit_test(test_repost_stands_for_original),
		cmocka_unit_test(test_paged_by_cursor),
		cmocka_unit_test(test_deleted_left_out),
		cmocka_unit_test(test_block_hides),
	};

	return dbunit_main("bookmark", tests, sizeof tests / sizeof tests[0]);
}
