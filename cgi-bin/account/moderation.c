/* moderation.c: the moderators' JSON API and pages (lib/social/mod.h, docs/moderation.md).
 *
 *   GET  /api/v1/mod/reports   /mod/reports   the open reports of every shard, grouped (moderator)
 *   POST /api/v1/mod/action    /mod/action    action, target_type, target_id, until, reason
 *                                             (moderator; the form comes back to /mod/reports)
 *   GET  /api/v1/mod/audit     /mod/audit     the audit log (administrator)
 * Statuses: 200; 400 (40004: a bad target_id, until or reason); 401; 403 (40300: no role, or a
 * moderator acting on an administrator); 404 (no such post or user); 429; 503. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "account.h"
#include "apierr.h"
#include "clock.h"
#include "mod.h"

/* A moderator works through a queue by hand: a few hundred actions an hour is a busy shift;
 * beyond that it is a script or a stolen session. */
static const struct ratelimit mod_actions = { "mod-action", 600, 3600 };

/* The suspension lengths the page offers, in days (0: until lifted). */
static const int suspend_days[] = { 1, 7, 30, 0 };

/* The page's choices of until for a suspension: [{value, label}], ends computed now. */
static json_object *
until_choices(struct ctx *ctx)
{
	json_object *a = json_object_new_array();
	char key[40];
	size_t i;

	for (i = 0; i < sizeof suspend_days / sizeof suspend_days[0]; i++) {
		json_object *o = json_object_new_object();
		int d = suspend_days[i];

		snprintf(key, sizeof key, "mod.suspend_%d", d);
		json_object_object_add(o, "value", json_object_new_int64(d == 0 ? 0 :
		    clock_now_s() + (int64_t)d * 86400));
		json_object_object_add(o, "label", json_object_new_string(ctx_t(ctx, key)));
		json_object_array_add(a, o);
	}
	return a;
}

/* Each audit entry's createdAt also as "when": UTC, to the minute (an audit log is read by
 * people comparing it with other logs, which are in UTC). */
static void
add_times(json_object *page)
{
	json_object *entries, *e;
	char when[32];
	struct tm tm;
	size_t i;

	if (!json_object_object_get_ex(page, "entries", &entries))
		return;
	for (i = 0; i < json_object_array_length(entries); i++) {
		time_t t;

		e = json_object_array_get_idx(entries, i);
		t = (time_t)json_object_get_int64(json_object_object_get(e, "createdAt"));
		if (gmtime_r(&t, &tm) == NULL)
			continue;
		strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm);
		json_object_object_add(e, "when", json_object_new_string(when));
	}
}

/* The API's answer out as the page's object, with its title (the catalog's key). */
static json_object *
as_page(struct ctx *ctx, const char *title, json_object *out, enum mod_role role)
{
	json_object *page = page_new(ctx, "mod");

	json_object_object_add(page, "title", json_object_new_string(ctx_t(ctx, title)));
	json_object_object_foreach(out, k, v)
		json_object_object_add(page, k, json_object_get(v));
	add_times(page);
	json_object_object_add(page, "isAdmin", json_object_new_boolean(role == MOD_ADMIN));
	json_object_object_add(page, "untilChoices", until_choices(ctx));
	json_object_put(out);
	return page;
}

/* One body for the two reads: the role they need, what they read, the page's title. */
static int
mod_read(struct ctx *ctx, enum mod_role min, enum apierr (*read)(struct ctx *, json_object **),
    const char *title)
{
	enum mod_role role;
	json_object *out;
	int rc;

	if ((rc = mod_require(ctx, min, &role)) != APIERR_OK || (rc = read(ctx, &out)) != APIERR_OK)
		return rc;
	ctx_set_data(ctx, page_html(ctx) ? as_page(ctx, title, out, role) : out);
	return APIERR_OK;
}

enum apierr
acct_mod_reports(struct ctx *ctx)
{
	return mod_read(ctx, MOD_MODERATOR, mod_queue, "mod.reports_title");
}

enum apierr
acct_mod_audit(struct ctx *ctx)
{
	return mod_read(ctx, MOD_ADMIN, mod_audit, "mod.audit_title");
}

enum apierr
acct_mod_action(struct ctx *ctx)
{
	const char *reason = params_str(&ctx->params, "reason");
	struct mod_act a = {
		/* The route's PARAM_ENUM took only the names mod_action_parse knows. */
		.action = (enum mod_action)mod_action_parse(params_str(&ctx->params, "action")),
		.on_post = strcmp(params_str(&ctx->params, "target_type"), "post") == 0,
		.target = params_id(&ctx->params, "target_id"),
		.until = params_int(&ctx->params, "until", 0),
		.reason = reason != NULL ? reason : "",
	};
	enum mod_role role;
	json_object *out;
	char key[24];
	int rc;

	snprintf(key, sizeof key, "%llu", (unsigned long long)ctx->user_id);
	if ((rc = mod_require(ctx, MOD_MODERATOR, &role)) != APIERR_OK ||
	    (rc = acct_limit(ctx, &mod_actions, key, "moderation actions")) != APIERR_OK ||
	    (rc = mod_do(ctx, role, &a, &out)) != APIERR_OK)
		return rc;
	return page_done(ctx, "/mod/reports", out);
}
