/* profile.c: GET /api/v1/user/profile?username: the public profile with its counters.
 *
 * Everyone sees the public fields (lib/user.c user_public); the user themself also sees their
 * email and account flags. 40400 for an unknown username. */
#include "config.h"

#include "account.h"
#include "apierr.h"
#include "user.h"

int
acct_profile(struct ctx *ctx)
{
	json_object *u = NULL, *pub;
	uint64_t id = 0;
	int rc = user_id_by_username(ctx->env, params_str(&ctx->params, "username"), &id);

	if (rc == 1)
		rc = user_get(ctx->env, id, &u);
	if (rc < 0)
		return acct_unavailable(ctx);
	if (rc == 0)
		return ctx_fail(ctx, APIERR_NOT_FOUND, "no user with that username");
	pub = user_public(u, id == ctx->user_id);
	json_object_put(u);
	if (user_add_counts(ctx->env, id, pub) < 0) {
		json_object_put(pub);
		return acct_unavailable(ctx);
	}
	ctx_set_data(ctx, pub);
	return APIERR_OK;
}
