/* home.c: the home timeline, as JSON and as the home page (feed.h).
 *
 * GET /api/v1/timeline/home ?cursor ?since_id (login required) -> {posts: [post_view objects],
 *   cursor}: cursor absent or empty for the first page, the cursor of the previous page for the
 *   next one ("-1": past the last page, an empty page); since_id (a post ID) keeps only the posts
 *   newer than it; "partial": true when some shards did not answer (the page holds what the
 *   others do). 40004 a malformed cursor or since_id, 40100 not logged in, 50300 the viewer's
 *   own shard (or every cache and shard) is down.
 * GET / ?cursor ?since_id: for a logged-in user the compose box and a page of the timeline as
 *   cards, with a link to the older posts, and the newest post's timeline ID (newestId: what
 *   static/starling.js asks since_id of), and the trends and popular users of /explore beside
 *   them; for a visitor a landing page (login, sign-up) with the trends and popular users. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "apierr.h"
#include "card.h"
#include "feed.h"
#include "page.h"
#include "partial.h"
#include "post.h"
#include "route.h"
#include "timeline.h"

/* How many trends and popular users the home page's side column shows. */
#define SIDE_TAGS  5
#define SIDE_USERS 3

enum apierr
feed_timeline_home(struct ctx *ctx)
{
	uint64_t cursor;
	json_object *o;
	int rc;

	if (params_cursor(&ctx->params, "cursor", &cursor)) {
		/* The cursor of the last page: nothing more. */
		ctx_set_last_page(ctx, "posts");
		return APIERR_OK;
	}
	rc = timeline_home(ctx, cursor, params_id(&ctx->params, "since_id"), &o);
	if (rc != APIERR_OK)
		return rc;
	post_add_images(ctx, o);
	ctx_set_data(ctx, o);
	return APIERR_OK;
}

/* The logged-in home page: the compose box, then the timeline from cursor (0: the newest). */
static int
home_timeline(struct ctx *ctx, json_object *page)
{
	json_object *tl = NULL, *posts, *cards = NULL;
	bool partial;
	int rc;

	json_object_object_add(page, "compose", card_compose_form(ctx, "/compose", "compose",
	    "home.compose", true, true, NULL));
	if ((rc = timeline_home(ctx, params_id(&ctx->params, "cursor"),
	    params_id(&ctx->params, "since_id"), &tl)) != APIERR_OK)
		return rc;
	posts = json_object_object_get(tl, "posts");
	/* The timeline's own ID of the first entry (a repost's, not its original's, which its card
	 * shows): the page asks for posts newer than it. */
	if (json_object_array_length(posts) > 0)
		json_object_object_add(page, "newestId", json_object_get(json_object_object_get(
		    json_object_array_get_idx(posts, 0), "id")));
	partial = partial_of(tl);
	if ((rc = card_list(ctx, posts, 0, &cards, &partial)) != APIERR_OK)
		goto out;
	json_object_object_add(page, "posts", cards);
	page_older_link(page, tl, "/");
	json_object_object_add(page, "paged", json_object_new_boolean(
	    params_id(&ctx->params, "cursor") != 0));
	partial_mark(page, partial);
out:
	json_object_put(tl);
	return rc;
}

/* page.side: the trends and popular users of /explore for the home page's side column, in
 * an object of their own so that their partial mark is not the timeline's. The timeline is
 * what the page is for: without them it is still served. */
static void
home_side(struct ctx *ctx, json_object *page)
{
	json_object *side = json_object_new_object(), *list;

	if (feed_discover_fill(ctx, side) != APIERR_OK) {
		buf_reset(&ctx->message);
		json_object_put(side);
		return;
	}
	/* A column beside the timeline, not a second page: the first few of each (/explore has
	 * them all), in the compact form (partials/discover). */
	list = json_object_object_get(side, "hashtags");
	if (json_object_is_type(list, json_type_array) && json_object_array_length(list) > SIDE_TAGS)
		json_object_array_del_idx(list, SIDE_TAGS, json_object_array_length(list) - SIDE_TAGS);
	list = json_object_object_get(side, "users");
	if (json_object_is_type(list, json_type_array) && json_object_array_length(list) > SIDE_USERS)
		json_object_array_del_idx(list, SIDE_USERS, json_object_array_length(list) - SIDE_USERS);
	json_object_object_add(side, "compact", json_object_new_boolean(true));
	json_object_object_add(page, "side", side);
}

enum apierr
feed_home(struct ctx *ctx)
{
	json_object *page = page_new(ctx, "home");
	int rc;

	if (ctx->user_id != 0 && (rc = home_timeline(ctx, page)) != APIERR_OK) {
		json_object_put(page);
		return rc;
	}
	/* A visitor's landing page still shows its way in when trends cannot be read. */
	if (ctx->user_id == 0 && feed_discover_fill(ctx, page) != APIERR_OK)
		buf_reset(&ctx->message);
	if (ctx->user_id != 0)
		home_side(ctx, page);
	ctx_set_data(ctx, page);
	return APIERR_OK;
}
