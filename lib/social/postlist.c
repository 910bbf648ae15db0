/* postlist.c: a user's posts, replies, likes and bookmarks, newest first (postlist.h has the
 * contract). */
#include "config.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apierr.h"
#include "ctx.h"
#include "db.h"
#include "id.h"
#include "jsonx.h"
#include "postlist.h"
#include "postview.h"
#include "route.h"
#include "user.h"

/* Each tab is one range on the user's shard, newest first: column 0 is the cursor (the ID the
 * range is ordered by), column 1 the record to show. One row more than a page says whether
 * there is a next page. */
static const char *const tab_sql[] = {
	[POSTLIST_POSTS] = "SELECT id, id FROM {db}.tb_post WHERE user_id = ? AND id < ? AND "
	    "is_deleted = 0 ORDER BY id DESC LIMIT ?",
	[POSTLIST_REPLIES] = "SELECT reply_id, reply_id FROM {db}.tb_user_reply WHERE user_id = ? "
	    "AND reply_id < ? ORDER BY reply_id DESC LIMIT ?",
	[POSTLIST_LIKES] = "SELECT id, record_id FROM {db}.tb_post_like WHERE liker_id = ? AND "
	    "id < ? ORDER BY id DESC LIMIT ?",
	[POSTLIST_BOOKMARKS] = "SELECT id, record_id FROM {db}.tb_bookmark WHERE user_id = ? AND "
	    "id < ? ORDER BY id DESC LIMIT ?",
};

/* The pinned post of user_id (0: none), from the cached counters. */
static int
pinned_of(struct ctx *ctx, uint64_t user_id, uint64_t *pinned)
{
	json_object *counts = json_object_new_object();
	int rc = user_add_counts(ctx->env, user_id, counts);

	*pinned = rc > 0 ? jsonx_id(counts, "pinnedPostId") : 0;
	json_object_put(counts);
	return rc < 0 ? ctx_fail(ctx, APIERR_UNAVAILABLE, NULL) : APIERR_OK;
}

enum apierr
postlist_page(struct ctx *ctx, uint64_t user_id, enum postlist_tab tab, uint64_t cursor,
    json_object **out)
{
	struct db_rows r = DB_ROWS_INIT;
	json_object *list = json_object_new_array(), *views[POSTLIST_PAGE + 1];
	uint64_t pinned = 0, rec, ids[POSTLIST_PAGE + 1];
	char next[24];
	size_t i, nids = 0;
	int rc;

	*out = NULL;
	if (tab == POSTLIST_POSTS && (rc = pinned_of(ctx, user_id, &pinned)) != APIERR_OK)
		goto out;
	if (db_exec(ctx->env->db, id_shard(user_id), tab_sql[tab],
	    DB_PARAMS(DB_U64(user_id), DB_U64(cursor ? cursor : UINT64_MAX),
		DB_I64(POSTLIST_PAGE + 1)), &r) != 0) {
		rc = ctx_fail(ctx, APIERR_UNAVAILABLE, NULL);
		goto out;
	}
	/* The pinned post heads the first page only; on every page its own row is skipped. It is
	 * loaded with the page's records (multi-gets: one round for them all, not one each). */
	if (pinned != 0 && cursor == 0)
		ids[nids++] = pinned;
	for (i = 0; i < r.nrows && i < POSTLIST_PAGE; i++) {
		rec = db_u64(&r, i, 1);
		if (!(tab == POSTLIST_POSTS && rec == pinned))
			ids[nids++] = rec;
	}
	if ((rc = post_view_many(ctx, ids, nids, views, NULL)) != APIERR_OK)
		goto out;
	for (i = 0; i < nids; i++) {
		if (views[i] == NULL)
			continue;
		/* Only the user's own live post counts as pinned: the counters may lag behind a
		 * deletion by a moment. */
		if (i == 0 && pinned != 0 && cursor == 0) {
			if (jsonx_id(views[i], "authorId") != user_id) {
				json_object_put(views[i]);
				continue;
			}
			json_object_object_add(views[i], "pinned", json_object_new_boolean(true));
		}
		json_object_array_add(list, views[i]);
	}
	/* The cursor is the last row read, shown or not, so what was left out is not read again. */
	if (r.nrows > POSTLIST_PAGE)
		snprintf(next, sizeof next, "%" PRIu64, db_u64(&r, POSTLIST_PAGE - 1, 0));
	else
		snprintf(next, sizeof next, "%s", ROUTE_CURSOR_END);
	*out = json_object_new_object();
	json_object_object_add(*out, "posts", list);
	json_object_object_add(*out, "cursor", json_object_new_string(next));
	list = NULL;
	rc = APIERR_OK;
out:
	json_object_put(list);
	db_rows_free(&r);
	return rc;
}
