/* atom.c: GET /hashtag/:tag/feed.atom, the latest posts of a hashtag as an Atom feed
 * (lib/base/atom.h), linked from the hashtag's page: the first page of the hashtag's timeline, as
 * GET /api/v1/timeline/hashtag answers it to a visitor. 400 40004 for text that is not one
 * hashtag, 404 40400 for a tag never used, 503. */
#include "config.h"

#include "apierr.h"
#include "feed.h"
#include "page.h"
#include "search.h"

enum apierr
feed_hashtag_feed(struct ctx *ctx)
{
	const char *tag = ctx_capture(ctx, "tag");
	struct buf title = BUF_INIT, page = BUF_INIT;
	json_object *list = NULL;
	int rc;

	if ((rc = search_hashtag_posts(ctx, tag ? tag : "", 0, &list)) != APIERR_OK)
		goto out;
	buf_printf(&title, "#%s", json_object_get_string(json_object_object_get(list, "name")));
	buf_puts(&page, "/hashtag/");
	/* A tag key has no '/', the one character a query value keeps that a segment must not. */
	buf_put_query_value(&page, json_object_get_string(json_object_object_get(list, "tag")));
	page_atom(ctx, buf_cstr(&title), buf_cstr(&page), list);
out:
	json_object_put(list);
	buf_free(&title);
	buf_free(&page);
	return rc;
}
