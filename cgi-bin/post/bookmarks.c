/* bookmarks.c: the user's bookmarks (lib/social/bookmark.h), private to them: the JSON routes under
 * /api/v1/post/ (docs/api.md, "Bookmarks") and the page /bookmarks (docs/pages.md). A card's
 * bookmark button is the act form's (pages.c, pages_act), as like and repost.
 *
 *   POST /api/v1/post/bookmark {post_id, isbookmark 1|0 (default 1)} → null: idempotent both
 *        ways; 40400 bookmarking a missing, deleted or hidden (block) record; removing never is
 *   GET  /api/v1/post/bookmarks ?cursor → {posts, cursor}, newest bookmark first: cursor absent
 *        or empty (the first page), the previous page's cursor, or "-1" (the end: an empty
 *        page); 40004 for any other cursor
 *   GET  /bookmarks ?cursor: the same list as cards, with an "Older" link
 * All need a login (40100, or the login page); 50300 when the user's shard is down. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "apierr.h"
#include "bookmark.h"
#include "card.h"
#include "page.h"
#include "pages.h"
#include "post.h"
#include "postapp.h"
#include "postlist.h"

enum apierr
api_bookmark(struct ctx *ctx)
{
	return bookmark_set(ctx, params_id(&ctx->params, "post_id"),
	    params_int(&ctx->params, "isbookmark", 1) == 1);
}

/* One page of the caller's bookmarks from the "cursor" parameter into *out (new reference). */
static int
bookmarks_page(struct ctx *ctx, json_object **out)
{
	const char *c = params_str(&ctx->params, "cursor");
	uint64_t cursor = 0;
	size_t n;

	*out = NULL;
	if (c != NULL && strcmp(c, "-1") == 0) {
		*out = json_object_new_object();
		json_object_object_add(*out, "posts", json_object_new_array());
		json_object_object_add(*out, "cursor", json_object_new_string("-1"));
		return APIERR_OK;
	}
	if (c != NULL && *c != '\0' && post_parse_ids(c, &cursor, 1, &n) != 0)
		return ctx_fail(ctx, APIERR_INVALID_PARAM, "cursor: the cursor of the previous page, "
		    "or -1");
	/* Only ever the caller's own list: no parameter names another user. */
	return postlist_page(ctx, ctx->user_id, POSTLIST_BOOKMARKS, cursor, out);
}

enum apierr
api_bookmarks(struct ctx *ctx)
{
	json_object *o;
	int rc = bookmarks_page(ctx, &o);

	if (rc != APIERR_OK)
		return rc;
	post_add_images(ctx, o);
	ctx_set_data(ctx, o);
	return APIERR_OK;
}

enum apierr
pages_bookmarks(struct ctx *ctx)
{
	json_object *list = NULL, *cards = NULL, *page, *next;
	uint64_t older = 0;
	char url[48];
	int rc;

	if ((rc = bookmarks_page(ctx, &list)) != APIERR_OK ||
	    (rc = card_list(ctx, json_object_object_get(list, "posts"), 0, &cards, NULL)) !=
	    APIERR_OK)
		goto out;
	page = page_new(ctx, "bookmarks");
	json_object_object_add(page, "posts", cards);
	next = json_object_object_get(list, "cursor");
	if (route_parse_id(json_object_get_string(next), &older)) {
		snprintf(url, sizeof url, "/bookmarks?cursor=%" PRIu64, older);
		json_object_object_add(page, "olderUrl", json_object_new_string(url));
	}
	ctx_set_data(ctx, page);
out:
	json_object_put(list);
	return rc;
}
