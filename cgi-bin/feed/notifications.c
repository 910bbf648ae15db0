/* notifications.c: notifications, as JSON and as the notifications page (feed.h; the rules are in
 * lib/social/notify.h).
 *
 *   GET  /api/v1/notification/list ?cursor  {notifications, cursor}: cursor absent or empty (the
 *        first page), the cursor of the previous page, or "-1" (the end: an empty page); 40004
 *        for any other cursor; "partial": true when some items could not be read (left out)
 *   GET  /api/v1/notification/unread_count  {count}; "partial": true when some could not be
 *                                           counted (their actors' blocks unreadable: left out)
 *   POST /api/v1/notification/read {up_to_id}  data null; 40005 missing, 40004 not an ID
 *   GET  /notifications ?cursor             the page: a sentence per notification, its post's
 *                                           card; the notice of a partial list
 *   POST /notifications/read {up_to_id}     the page's "mark all as read" form: 303 back
 *
 * All need login (401); 50300 when the user's shard is down (another shard down only makes the
 * list and the count partial: lib/social/notify.h). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "apierr.h"
#include "card.h"
#include "feed.h"
#include "notify.h"
#include "page.h"
#include "partial.h"
#include "post.h"

enum apierr
feed_notification_list(struct ctx *ctx)
{
	json_object *o;
	uint64_t cursor;
	int rc;

	if (params_cursor(&ctx->params, "cursor", &cursor)) {
		/* The last page's cursor: nothing more. */
		ctx_set_last_page(ctx, "notifications");
		return APIERR_OK;
	}
	if ((rc = notify_list(ctx, cursor, &o)) != APIERR_OK)
		return rc;
	post_add_images(ctx, o);
	ctx_set_data(ctx, o);
	return APIERR_OK;
}

enum apierr
feed_notification_unread(struct ctx *ctx)
{
	json_object *o;
	long count;
	bool partial;
	int rc;

	if ((rc = notify_unread(ctx, &count, &partial)) != APIERR_OK)
		return rc;
	o = json_object_new_object();
	json_object_object_add(o, "count", json_object_new_int64(count));
	partial_mark(o, partial);
	ctx_set_data(ctx, o);
	return APIERR_OK;
}

/* Both faces of mark-as-read: the API answers data null, the form goes back to the page. */
static int
mark_read(struct ctx *ctx)
{
	int rc = notify_read(ctx, params_id(&ctx->params, "up_to_id"));

	if (rc != APIERR_OK)
		return rc;
	return page_done(ctx, "/notifications", NULL);
}

enum apierr
feed_notification_read(struct ctx *ctx)
{
	return mark_read(ctx);
}

enum apierr
feed_notifications_read_form(struct ctx *ctx)
{
	return mark_read(ctx);
}

/* ------------------------------------------------------------------------------------------ */
/* The page */

static const char *
str_of(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "";
}

/* Turns notify_list's items (in place) into what templates/notifications.mustache shows: the
 * sentence of the type in the viewer's language, its time (card_time), the link (the post, or
 * the actor's profile for a follow), the post's card, and postGone when the post is deleted or
 * hidden. */
static void
decorate(struct ctx *ctx, json_object *items, const struct card_set *c)
{
	size_t i, n = json_object_array_length(items);
	struct buf key = BUF_INIT, url = BUF_INIT;
	json_object *it, *post, *actor, *card;

	for (i = 0; i < n; i++) {
		it = json_object_array_get_idx(items, i);
		buf_reset(&key);
		buf_printf(&key, "notifications.%s", str_of(it, "type"));
		json_object_object_add(it, "sentence", json_object_new_string(ctx_t(ctx,
		    buf_cstr(&key))));
		/* When it happened, shown as a post card shows its own time. */
		card_time(c, it);
		buf_reset(&url);
		post = NULL;
		if (json_object_object_get_ex(it, "post", &post) && post != NULL) {
			buf_printf(&url, "/p/%s", str_of(post, "id"));
			card = card_make(c, json_object_get(post));
			if (card != NULL)
				json_object_object_add(it, "card", card);
		} else if (json_object_object_get_ex(it, "actor", &actor)) {
			buf_printf(&url, "/u/%s", str_of(actor, "username"));
		}
		json_object_object_add(it, "url", json_object_new_string(buf_cstr(&url)));
		/* Something the notification was about is gone (not a follow, which has none, nor
		 * a report's outcome: an account's has none, a deleted post's says so itself). */
		json_object_object_add(it, "postGone", json_object_new_boolean(post == NULL &&
		    strcmp(str_of(it, "type"), "follow") != 0 &&
		    strncmp(str_of(it, "type"), "report_", 7) != 0));
	}
	buf_free(&key);
	buf_free(&url);
}

enum apierr
feed_notifications_page(struct ctx *ctx)
{
	json_object *list = NULL, *items, *page = NULL, *v, *views[NOTIFY_PAGE];
	struct card_set c = CARD_SET_INIT;
	size_t i, n, nviews = 0;
	bool any_unread = false;
	int rc;

	if ((rc = notify_list(ctx, params_id(&ctx->params, "cursor"), &list)) != APIERR_OK)
		goto out;
	items = json_object_object_get(list, "notifications");
	n = json_object_array_length(items);
	for (i = 0; i < n; i++) {
		json_object *it = json_object_array_get_idx(items, i), *post = NULL;

		if (json_object_object_get_ex(it, "post", &post) && post != NULL &&
		    nviews < sizeof views / sizeof views[0])
			views[nviews++] = post;
		if (json_object_object_get_ex(it, "read", &v) && !json_object_get_boolean(v))
			any_unread = true;
	}
	/* One post_stats call for every card of the page; those it cannot read show none. */
	if ((rc = card_set_gather(&c, ctx, views, nviews, ctx->user_id)) != APIERR_OK)
		goto out;
	decorate(ctx, items, &c);

	page = page_new(ctx, "notifications");
	json_object_object_add(page, "notifications", json_object_get(items));
	partial_mark(page, partial_of(list) || c.partial);
	/* "Mark all as read" marks up to the newest shown: what arrived since stays unread. */
	if (any_unread)
		json_object_object_add(page, "upToId", json_object_get(json_object_object_get(
		    json_object_array_get_idx(items, 0), "id")));
	page_older_link(page, list, "/notifications");
	ctx_set_data(ctx, page);
	page = NULL;
	rc = APIERR_OK;
out:
	card_set_free(&c);
	json_object_put(list);
	json_object_put(page);
	return rc;
}
