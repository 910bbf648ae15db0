/* people.c: who liked and who reposted a post or reply (graph_list's GRAPH_LIKERS and
 * GRAPH_REPOSTERS, lib/social/graph.h), as JSON under /api/v1/post/ (docs/api.md, "Who liked and
 * reposted") and as the pages /p/:id/likes and /p/:id/reposts (linked from the post page).
 *
 *   GET /api/v1/post/likers    ?post_id&cursor → {users, cursor}, newest like first
 *   GET /api/v1/post/reposters ?post_id&cursor → {users, cursor}, newest repost first (quotes,
 *        posts of their own, are not in it)
 *   GET /p/:id/likes, /p/:id/reposts ?cursor: the same pages of people, with an "Older" link
 * Visitors too. A repost stands for its original. 40400 (a 404 page) for a record that is
 * missing, deleted, or hidden from the viewer by a block; users in a block pair with the viewer
 * are left out of the lists (a page may then hold fewer and still not be the last); 40004 for a
 * cursor that is not one of the list's; 50300 when the record's shard is down. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>

#include "apierr.h"
#include "graph.h"
#include "jsonx.h"
#include "page.h"
#include "pages.h"
#include "partial.h"
#include "post.h"
#include "postapp.h"

/* The record whose people are listed: id's, or a repost's original. Returns APIERR_OK with
 * *record, or post_view's refusal (404 for one the viewer may not see). */
static int
people_record(struct ctx *ctx, uint64_t id, uint64_t *record)
{
	json_object *v;
	int rc = post_view(ctx, id, &v);

	if (rc != APIERR_OK)
		return rc;
	*record = post_jtype(v) == POST_REPOST ? jsonx_id(v, "originalId") : id;
	json_object_put(v);
	return APIERR_OK;
}

static int
api_people(struct ctx *ctx, enum graph_list list)
{
	uint64_t record = 0;
	int rc = people_record(ctx, params_id(&ctx->params, "post_id"), &record);

	if (rc != APIERR_OK)
		return rc;
	return graph_list(ctx, list, record, params_str(&ctx->params, "cursor"));
}

enum apierr
api_likers(struct ctx *ctx)
{
	return api_people(ctx, GRAPH_LIKERS);
}

enum apierr
api_reposters(struct ctx *ctx)
{
	return api_people(ctx, GRAPH_REPOSTERS);
}

/* The two pages: their list, the URL's last segment and the catalog's keys. */
static const struct {
	enum graph_list list;
	const char     *segment, *heading, *empty;
} people_pages[] = {
	{ GRAPH_LIKERS,    "likes",   "people.likers",    "people.empty_likers" },
	{ GRAPH_REPOSTERS, "reposts", "people.reposters", "people.empty_reposters" },
};

static int
people_page(struct ctx *ctx, size_t which)
{
	json_object *page = NULL, *list = NULL, *cursor;
	const char *capture = ctx_capture(ctx, "id");
	uint64_t id = 0, record = 0, next = 0;
	char url[64];
	int rc;

	if (!route_parse_id(capture ? capture : "", &id))
		return ctx_fail(ctx, APIERR_NOT_FOUND, "no such post");
	if ((rc = people_record(ctx, id, &record)) != APIERR_OK ||
	    (rc = graph_list_page(ctx, people_pages[which].list, record,
	    params_str(&ctx->params, "cursor"), &list)) != APIERR_OK)
		goto out;
	/* Titled with its heading ("Liked by"), the section's title being the help's word. */
	page = page_new(ctx, "people");
	json_object_object_add(page, "title",
	    json_object_new_string(ctx_t(ctx, people_pages[which].heading)));
	json_object_object_add(page, "empty",
	    json_object_new_string(ctx_t(ctx, people_pages[which].empty)));
	snprintf(url, sizeof url, "/p/%" PRIu64, id);
	json_object_object_add(page, "postUrl", json_object_new_string(url));
	json_object_object_add(page, "users", json_object_get(json_object_object_get(list,
	    "users")));
	partial_mark(page, partial_of(list));
	if (json_object_object_get_ex(list, "cursor", &cursor) &&
	    route_parse_id(json_object_get_string(cursor), &next)) {
		snprintf(url, sizeof url, "/p/%" PRIu64 "/%s?cursor=%" PRIu64, id,
		    people_pages[which].segment, next);
		json_object_object_add(page, "olderUrl", json_object_new_string(url));
	}
	ctx_set_data(ctx, page);
	page = NULL;
out:
	json_object_put(list);
	json_object_put(page);
	return rc;
}

enum apierr
pages_likers(struct ctx *ctx)
{
	return people_page(ctx, 0);
}

enum apierr
pages_reposters(struct ctx *ctx)
{
	return people_page(ctx, 1);
}
