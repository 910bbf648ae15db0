/* profile.c: GET /api/v1/user/profile?username: the public profile with its counters.
 *
 * Everyone sees the public fields (lib/social/user.c user_public); the user themself also sees
 * their email and account flags. 40400 for an unknown username. */
#include "config.h"

#include "account.h"
#include "apierr.h"
#include "user.h"

enum apierr
acct_profile(struct ctx *ctx)
{
	json_object *pub = NULL;
	uint64_t id = 0;
	int rc = user_id_by_username(ctx->env, params_str(&ctx->params, "username"), &id);

	if (rc == 1)
		rc = user_profile(ctx->env, id, ctx->user_id, &pub);
	if (rc < 0)
		return acct_unavailable(ctx);
	if (rc == 0)
		return ctx_fail(ctx, APIERR_NOT_FOUND, "no user with that username");
	ctx_set_data(ctx, pub);
	return APIERR_OK;
}
