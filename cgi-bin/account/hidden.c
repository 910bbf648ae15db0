/* hidden.c: the settings' lists of the accounts the user blocked and muted, as pages:
 *
 *   GET /settings/blocked ?cursor   the accounts the user blocked, newest first
 *   GET /settings/muted   ?cursor   the accounts the user muted, newest first
 *
 * The login's own lists (graph_list_page: the API's user/blocked and user/muted, their strict
 * cursors, nobody left out), GRAPH_PAGE to a page with an "Older" link. Each account has an
 * Unblock or Unmute button: a form to the profile's own route (POST /u/:username/block or mute
 * {flag: 0, return_to}, starling-post) that comes back to this page. 40004 for a cursor that is
 * not one of the list's; 50300 when the user's shard is down. */
#include "config.h"

#include <stdio.h>

#include "account.h"
#include "apierr.h"
#include "graph.h"
#include "partial.h"
#include "route.h"

/* Each list: its graph list, its path's last segment, and the action of its button (the
 * profile's route and the catalog's key). */
static const struct {
	enum graph_list list;
	const char     *name;
	const char     *action;
	const char     *undo;
} lists[] = {
	{ GRAPH_BLOCKED, "blocked", "block", "unblock" },
	{ GRAPH_MUTED,   "muted",   "mute",  "unmute" },
};

/* page[member] = the catalog's "hidden.<name><suffix>". */
static void
add_key(struct ctx *ctx, json_object *page, const char *member, const char *name,
    const char *suffix)
{
	struct buf key = BUF_INIT;

	buf_printf(&key, "hidden.%s%s", name, suffix);
	json_object_object_add(page, member, json_object_new_string(ctx_t(ctx, buf_cstr(&key))));
	buf_free(&key);
}

/* The page's words and links for list which, around list's users. */
static void
fill(struct ctx *ctx, size_t which, json_object *page, json_object *list)
{
	struct buf url = BUF_INIT;

	add_key(ctx, page, "title", lists[which].name, "_title");
	add_key(ctx, page, "intro", lists[which].name, "_intro");
	add_key(ctx, page, "empty", lists[which].name, "_empty");
	add_key(ctx, page, "undo", lists[which].undo, "");
	json_object_object_add(page, "action", json_object_new_string(lists[which].action));
	buf_printf(&url, "/settings/%s", lists[which].name);
	json_object_object_add(page, "self", json_object_new_string(buf_cstr(&url)));
	json_object_object_add(page, "users", json_object_get(json_object_object_get(list,
	    "users")));
	partial_mark(page, partial_of(list));
	page_older_link(page, list, buf_cstr(&url));
	buf_free(&url);
}

static int
hidden_page(struct ctx *ctx, size_t which)
{
	json_object *page, *list = NULL;
	int rc = graph_list_page(ctx, lists[which].list, ctx->user_id,
	    params_str(&ctx->params, "cursor"), &list);

	if (rc != APIERR_OK)
		return rc;
	page = json_object_new_object();
	fill(ctx, which, page, list);
	json_object_put(list);
	ctx_set_data(ctx, page);
	return APIERR_OK;
}

enum apierr
acct_blocked_page(struct ctx *ctx)
{
	return hidden_page(ctx, 0);
}

enum apierr
acct_muted_page(struct ctx *ctx)
{
	return hidden_page(ctx, 1);
}
