/* moderation.c: the moderators' JSON API (lib/mod.h, docs/moderation.md).
 *
 *   GET  /api/v1/mod/reports   the open reports of every shard, grouped (moderator)
 *   POST /api/v1/mod/action    action, target_type, target_id, until, reason (moderator)
 *   GET  /api/v1/mod/audit     the audit log (administrator)
 * Statuses: 200; 400 (40004: a bad target_id, until or reason); 401; 403 (40300: no role, or a
 * moderator acting on an administrator); 404 (no such post or user); 429; 503. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "account.h"
#include "apierr.h"
#include "mod.h"

/* A moderator works through a queue by hand: a few hundred actions an hour is a busy shift;
 * beyond that it is a script or a stolen session. */
static const struct ratelimit mod_actions = { "mod-action", 600, 3600 };

int
acct_mod_reports(struct ctx *ctx)
{
	enum mod_role role;
	json_object *out;
	int rc;

	if ((rc = mod_require(ctx, MOD_MODERATOR, &role)) != APIERR_OK ||
	    (rc = mod_queue(ctx, &out)) != APIERR_OK)
		return rc;
	ctx_set_data(ctx, out);
	return APIERR_OK;
}

int
acct_mod_audit(struct ctx *ctx)
{
	enum mod_role role;
	json_object *out;
	int rc;

	if ((rc = mod_require(ctx, MOD_ADMIN, &role)) != APIERR_OK ||
	    (rc = mod_audit(ctx, &out)) != APIERR_OK)
		return rc;
	ctx_set_data(ctx, out);
	return APIERR_OK;
}

int
acct_mod_action(struct ctx *ctx)
{
	static const char *const actions[] = { "dismiss", "delete_post", "suspend", "lift" };
	const char *action = params_str(&ctx->params, "action");
	const char *reason = params_str(&ctx->params, "reason");
	struct mod_act a = { .reason = reason != NULL ? reason : "" };
	enum mod_role role;
	json_object *out;
	char key[24];
	size_t i;
	int rc;

	snprintf(key, sizeof key, "%llu", (unsigned long long)ctx->user_id);
	for (i = 0; i < sizeof actions / sizeof actions[0]; i++)
		if (strcmp(action, actions[i]) == 0)
			a.action = (enum mod_action)i;
	a.on_post = strcmp(params_str(&ctx->params, "target_type"), "post") == 0;
	a.until = params_int(&ctx->params, "until", 0);
	a.target = params_id(&ctx->params, "target_id");
	if ((rc = mod_require(ctx, MOD_MODERATOR, &role)) != APIERR_OK ||
	    (rc = acct_limit(ctx, &mod_actions, key, "moderation actions")) != APIERR_OK ||
	    (rc = mod_do(ctx, role, &a, &out)) != APIERR_OK)
		return rc;
	ctx_set_data(ctx, out);
	return APIERR_OK;
}
