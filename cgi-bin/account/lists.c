/* lists.c: the profile's lists of posts, as JSON (lib/social/postlist.h builds the pages):
 *
 *   GET /api/v1/user/posts   ?username&cursor  the user's posts, quotes and reposts (pinned first)
 *   GET /api/v1/user/replies ?username&cursor  the user's replies
 *   GET /api/v1/user/likes   ?username&cursor  what the user liked, newest like first
 *
 * Visitors too. Each answers {posts: [post_view objects], cursor}: cursor absent or empty (the
 * first page), the cursor of the previous page, or "-1" (the end: an empty page); 40004 for any
 * other cursor; 40400 for an unknown username; 50300 when a database is down. */
#include "config.h"

#include <string.h>

#include "account.h"
#include "apierr.h"
#include "post.h"
#include "postlist.h"
#include "user.h"

static int
list(struct ctx *ctx, enum postlist_tab tab)
{
	uint64_t id = 0, cursor;
	bool end = params_cursor(&ctx->params, "cursor", &cursor);
	json_object *o;
	int rc;

	rc = user_id_by_username(ctx->env, params_str(&ctx->params, "username"), &id);
	if (rc < 0)
		return acct_unavailable(ctx);
	if (rc == 0)
		return ctx_fail(ctx, APIERR_NOT_FOUND, "no user with that username");
	if (end) {
		/* The last page's cursor: nothing more (the user must still exist). */
		ctx_set_last_page(ctx, "posts");
		return APIERR_OK;
	}
	if ((rc = postlist_page(ctx, id, tab, cursor, &o)) != APIERR_OK)
		return rc;
	post_add_images(ctx, o);
	ctx_set_data(ctx, o);
	return APIERR_OK;
}

enum apierr
acct_user_posts(struct ctx *ctx)
{
	return list(ctx, POSTLIST_POSTS);
}

enum apierr
acct_user_replies(struct ctx *ctx)
{
	return list(ctx, POSTLIST_REPLIES);
}

enum apierr
acct_user_likes(struct ctx *ctx)
{
	return list(ctx, POSTLIST_LIKES);
}
