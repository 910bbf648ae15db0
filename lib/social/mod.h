/* mod.h: moderation: roles (moderator, administrator), the reports queue gathered from every
 * shard, the moderators' actions on it, and the audit log of every action (docs/moderation.md).
 *
 * Where the rows live (sql/018_moderation.sql): tb_user_role on the user's shard; the reports
 * (sql/005) with what they report; tb_moderation_log on the shard of the target user. The
 * suspension itself is tb_user's (lib/social/user.h user_suspend, user_suspended).
 *
 * Return convention: functions taking a ctx return APIERR_OK or the apierr code they recorded
 * with ctx_fail; the others <0 failure (logged), 0 nothing done / none, 1 done / found. */
#ifndef STARLING_MOD_H
#define STARLING_MOD_H

#include "apierr.h"

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

struct app_env;
struct ctx;

enum mod_role { MOD_NONE = 0, MOD_MODERATOR = 1, MOD_ADMIN = 2 };

/* A reason is what the user and the audit log are told: tb_moderation_log.reason's size. */
#define MOD_REASON_MAX 500
/* Groups of the queue read per shard and kind: a moderator works from the oldest. */
#define MOD_QUEUE_MAX  100
/* The latest end a suspension may have (2100-01-01, unix seconds): later is a typo. */
#define MOD_UNTIL_MAX  4102444800
/* Audit rows read per shard (the newest; the page shows the newest of them all). */
#define MOD_AUDIT_MAX  200

/* "moderator", "administrator" (static), or NULL; mod_role_parse the reverse (MOD_NONE: none). */
const char *mod_role_name(enum mod_role r);
enum mod_role mod_role_parse(const char *name);

/* The highest role user holds, into *role: 1, or -1 (its shard is down). */
int mod_role_of(struct app_env *env, uint64_t user, enum mod_role *role);
/* Grants (grant true) or revokes role of user, by (who ran the command, for the row): 1 changed,
 * 0 it was so already, -1. */
int mod_role_set(struct app_env *env, uint64_t user, enum mod_role role, bool grant,
    const char *by);
/* Every role held on every shard, for each: its user, role, who granted it and when. Returns the
 * number of shards that failed (their rows are left out). */
size_t mod_roles_each(struct app_env *env, void (*each)(uint64_t user, enum mod_role role,
    const char *by, int64_t at, void *arg), void *arg);

/* The caller holds at least min: APIERR_OK with *role, or 403 (40300) / 503. */
enum apierr mod_require(struct ctx *ctx, enum mod_role min, enum mod_role *role);

/* The open reports of every shard, grouped, into *out (new): {posts: [{recordId, contentType
 * ("post" or "reply"), author {id, username, displayName, suspended}, count, reasons [n, ...],
 * firstReportedAt}], accounts: [{user {...}, count, reasons, firstReportedAt}]}, oldest group
 * first, with "partial": true when a shard did not answer. Never the reporters. Errors: 50300
 * when no shard answers. */
enum apierr mod_queue(struct ctx *ctx, json_object **out);

/* A moderator's action on the queue. */
enum mod_action { MOD_DISMISS, MOD_DELETE_POST, MOD_SUSPEND, MOD_LIFT };
struct mod_act {
	enum mod_action action;
	bool            on_post;   /* target is a post or reply (else an account) */
	uint64_t        target;    /* the record or the user */
	int64_t         until;     /* suspend: its end (unix seconds, in the future); 0: until lifted */
	const char     *reason;    /* at most MOD_REASON_MAX bytes; "" allowed but for suspend */
};
/* "dismiss", "delete_post", "suspend", "lift" (static), or NULL; mod_action_parse the reverse
 * (-1: none of them). */
const char *mod_action_name(enum mod_action a);
int mod_action_parse(const char *name);

/* Does a as ctx->user_id of role role (mod_require): the change, the reports it settles (status
 * 1 dismissed, 2 acted upon; a lift settles none), the audit row, and a notification of the
 * outcome to each reporter settled. A moderator may not act on an administrator's account or
 * post (40300). Into *out (new): {action, targetUserId, settled (reports)}. Errors: 40004
 * (bad until or reason), 40300, 40400 (no such post or user), 50300. */
enum apierr mod_do(struct ctx *ctx, enum mod_role role, const struct mod_act *a, json_object **out);

/* The audit log, newest first, from every shard (partial as mod_queue): {entries: [{id, actor
 * {id, username}, action, targetUser {id, username}, recordId, until, reason, createdAt}]}. */
enum apierr mod_audit(struct ctx *ctx, json_object **out);

#endif
