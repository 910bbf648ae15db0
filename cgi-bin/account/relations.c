/* relations.c: the social graph under /api/v1/user/: follow, block, mute, report, and the lists
 * following, followers (anyone's), blocked and muted (the caller's own). lib/social/graph.h has the
 * rules; docs/api.md the routes.
 *
 * Inputs are checked by the route table (main.c): target_username 1..64 characters, flag 0 or 1,
 * report_reason 1..255, username 1..64, cursor up to 24 characters. */
#include "config.h"

#include "account.h"
#include "apierr.h"
#include "graph.h"
#include "user.h"

static int
set(struct ctx *ctx, enum graph_action action)
{
	return graph_set(ctx, action, params_str(&ctx->params, "target_username"),
	    params_int(&ctx->params, "flag", 0) == 1);
}

/* POST user/follow {target_username, flag}: 200, 40004 (yourself), 40300, 40303, 40400, 40900,
 * 42900 (following over [limits] follows; unfollowing is never limited). */
enum apierr
acct_follow(struct ctx *ctx)
{
	return set(ctx, GRAPH_FOLLOW);
}

/* POST user/block {target_username, flag}: 200, 40004, 40400. */
enum apierr
acct_block(struct ctx *ctx)
{
	return set(ctx, GRAPH_BLOCK);
}

/* POST user/mute {target_username, flag}: 200, 40004, 40400. */
enum apierr
acct_mute(struct ctx *ctx)
{
	return set(ctx, GRAPH_MUTE);
}

/* POST user/report {target_username, report_reason}: 200, 40004, 40400, 42900 ([limits]
 * reports, shared with reports of posts). */
enum apierr
acct_report(struct ctx *ctx)
{
	return graph_report(ctx, params_str(&ctx->params, "target_username"),
	    (int)params_int(&ctx->params, "report_reason", 0));
}

/* GET user/following and user/followers ?username&cursor: 200, 40004 (cursor), 40400. */
static int
public_list(struct ctx *ctx, enum graph_list list)
{
	uint64_t id = 0;
	int rc = user_id_by_username(ctx->env, params_str(&ctx->params, "username"), &id);

	if (rc < 0)
		return acct_unavailable(ctx);
	if (rc == 0)
		return ctx_fail(ctx, APIERR_NOT_FOUND, "username: no user with that username");
	return graph_list(ctx, list, id, params_str(&ctx->params, "cursor"));
}

enum apierr
acct_following(struct ctx *ctx)
{
	return public_list(ctx, GRAPH_FOLLOWING);
}

enum apierr
acct_followers(struct ctx *ctx)
{
	return public_list(ctx, GRAPH_FOLLOWERS);
}

/* GET user/blocked and user/muted ?cursor (login): 200, 40004 (cursor). */
enum apierr
acct_blocked(struct ctx *ctx)
{
	return graph_list(ctx, GRAPH_BLOCKED, ctx->user_id, params_str(&ctx->params, "cursor"));
}

enum apierr
acct_muted(struct ctx *ctx)
{
	return graph_list(ctx, GRAPH_MUTED, ctx->user_id, params_str(&ctx->params, "cursor"));
}
