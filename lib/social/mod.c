/* mod.c: roles, the reports queue, the moderators' actions and their audit log (mod.h). */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "apierr.h"
#include "clock.h"
#include "ctx.h"
#include "db.h"
#include "id.h"
#include "jsonx.h"
#include "log.h"
#include "mod.h"
#include "notify.h"
#include "partial.h"
#include "post.h"
#include "shard.h"
#include "user.h"
#include "xalloc.h"

static const char *const role_names[] = { [MOD_MODERATOR] = "moderator",
	[MOD_ADMIN] = "administrator" };
static const char *const action_names[] = { [MOD_DISMISS] = "dismiss",
	[MOD_DELETE_POST] = "delete_post", [MOD_SUSPEND] = "suspend", [MOD_LIFT] = "lift" };

const char *
mod_role_name(enum mod_role r)
{
	return r == MOD_MODERATOR || r == MOD_ADMIN ? role_names[r] : NULL;
}

enum mod_role
mod_role_parse(const char *name)
{
	if (strcmp(name, "moderator") == 0)
		return MOD_MODERATOR;
	return strcmp(name, "administrator") == 0 ? MOD_ADMIN : MOD_NONE;
}

const char *
mod_action_name(enum mod_action a)
{
	/* Unsigned: a parse's -1 cast to the enum is out of range too. */
	return (unsigned)a <= MOD_LIFT ? action_names[a] : NULL;
}

int
mod_action_parse(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof action_names / sizeof action_names[0]; i++)
		if (strcmp(name, action_names[i]) == 0)
			return (int)i;
	return -1;
}

static unsigned
nshards(struct app_env *env)
{
	return shard_count(db_shards(env->db));
}

/* ------------------------------------------------------------------------------------------ */
/* Roles: from the database every time, never a cache a revoke could leave behind. */

int
mod_role_of(struct app_env *env, uint64_t user, enum mod_role *role)
{
	struct db_rows r = DB_ROWS_INIT;
	int rc = db_exec(env->db, id_shard(user), "SELECT COALESCE(MAX(role), 0) FROM "
	    "{db}.tb_user_role WHERE user_id = ?", DB_PARAMS(DB_U64(user)), &r);

	*role = MOD_NONE;
	if (rc == 0 && r.nrows > 0)
		*role = (enum mod_role)db_i64(&r, 0, 0);
	db_rows_free(&r);
	return rc == 0 ? 1 : -1;
}

int
mod_role_set(struct app_env *env, uint64_t user, enum mod_role role, bool grant, const char *by)
{
	struct db_rows r = DB_ROWS_INIT;
	int rc = grant ?
	    db_exec(env->db, id_shard(user), "INSERT IGNORE INTO {db}.tb_user_role (user_id, role, "
		"granted_by, created_at) VALUES (?, ?, ?, ?)", DB_PARAMS(DB_U64(user),
		DB_I64(role), DB_STR(by), DB_I64(clock_now_s())), &r) :
	    db_exec(env->db, id_shard(user), "DELETE FROM {db}.tb_user_role WHERE user_id = ? AND "
		"role = ?", DB_PARAMS(DB_U64(user), DB_I64(role)), &r);

	if (rc == 0)
		rc = r.affected > 0;
	else
		rc = -1;
	db_rows_free(&r);
	return rc;
}

size_t
mod_roles_each(struct app_env *env, void (*each)(uint64_t user, enum mod_role role,
    const char *by, int64_t at, void *arg), void *arg)
{
	size_t failed = 0, i;
	unsigned s;

	for (s = 0; s < nshards(env); s++) {
		struct db_rows r = DB_ROWS_INIT;

		if (db_exec(env->db, s, "SELECT user_id, role, granted_by, created_at FROM "
		    "{db}.tb_user_role ORDER BY user_id, role", NULL, 0, &r) != 0)
			failed++;
		for (i = 0; i < r.nrows; i++)
			each(db_u64(&r, i, 0), (enum mod_role)db_i64(&r, i, 1), db_str(&r, i, 2),
			    db_i64(&r, i, 3), arg);
		db_rows_free(&r);
	}
	return failed;
}

enum apierr
mod_require(struct ctx *ctx, enum mod_role min, enum mod_role *role)
{
	if (mod_role_of(ctx->env, ctx->user_id, role) < 0)
		return ctx_fail(ctx, APIERR_UNAVAILABLE, NULL);
	if (*role < min)
		return ctx_fail(ctx, APIERR_FORBIDDEN, "this needs the %s role",
		    mod_role_name(min));
	return APIERR_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* The queue */

/* What a moderator sees of an account: NULL members when it is gone. */
static json_object *
who(struct app_env *env, uint64_t id)
{
	static const char *const fields[] = { "id", "username", "displayName", NULL };
	json_object *o = NULL, *u = NULL;

	if (user_pick(env, id, fields, &o) != 1 || o == NULL) {
		o = json_object_new_object();
		json_object_object_add(o, "id", jsonx_id_new(id));
	}
	if (user_get(env, id, &u) == 1)
		json_object_object_add(o, "suspended",
		    json_object_new_boolean(user_suspended(u, clock_now_s())));
	json_object_put(u);
	return o;
}

/* "3,7" (GROUP_CONCAT) as [3, 7]. */
static json_object *
reasons_of(const char *list)
{
	json_object *a = json_object_new_array();
	char *end;

	while (*list != '\0') {
		long v = strtol(list, &end, 10);

		if (end == list)
			break;
		json_object_array_add(a, json_object_new_int64(v));
		list = *end == ',' ? end + 1 : end;
	}
	return a;
}

static void
add_group(json_object *arr, json_object *item, const struct db_rows *r, size_t i, size_t c)
{
	json_object_object_add(item, "count", json_object_new_int64(db_i64(r, i, c)));
	json_object_object_add(item, "reasons", reasons_of(db_str(r, i, c + 1)));
	json_object_object_add(item, "firstReportedAt", json_object_new_int64(db_i64(r, i, c + 2)));
	json_object_array_add(arr, item);
}

/* The open groups of shard s into posts and accounts: 0, or -1 (the shard did not answer). */
static int
queue_shard(struct app_env *env, unsigned s, json_object *posts, json_object *accounts)
{
	struct db_rows c = DB_ROWS_INIT, u = DB_ROWS_INIT;
	size_t i;
	int rc;

	rc = db_exec(env->db, s, "SELECT record_id, MAX(content_type), MAX(post_user_id), COUNT(*), "
	    "GROUP_CONCAT(DISTINCT report_reason ORDER BY report_reason), MIN(created_at) FROM "
	    "{db}.tb_reported_content WHERE status = 0 GROUP BY record_id ORDER BY MIN(id) LIMIT ?",
	    DB_PARAMS(DB_I64(MOD_QUEUE_MAX)), &c);
	if (rc == 0)
		rc = db_exec(env->db, s, "SELECT user_id, COUNT(*), GROUP_CONCAT(DISTINCT "
		    "report_reason ORDER BY report_reason), MIN(created_at) FROM {db}.tb_reported_user "
		    "WHERE status = 0 GROUP BY user_id ORDER BY MIN(id) LIMIT ?",
		    DB_PARAMS(DB_I64(MOD_QUEUE_MAX)), &u);
	for (i = 0; rc == 0 && i < c.nrows; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "recordId", jsonx_id_new(db_u64(&c, i, 0)));
		json_object_object_add(o, "contentType",
		    json_object_new_string(db_i64(&c, i, 1) == 1 ? "reply" : "post"));
		json_object_object_add(o, "author", who(env, db_u64(&c, i, 2)));
		add_group(posts, o, &c, i, 3);
	}
	for (i = 0; rc == 0 && i < u.nrows; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "user", who(env, db_u64(&u, i, 0)));
		add_group(accounts, o, &u, i, 1);
	}
	db_rows_free(&c);
	db_rows_free(&u);
	return rc == 0 ? 0 : -1;
}

enum apierr
mod_queue(struct ctx *ctx, json_object **out)
{
	json_object *posts = json_object_new_array(), *accounts = json_object_new_array();
	unsigned s, failed = 0;

	for (s = 0; s < nshards(ctx->env); s++)
		if (queue_shard(ctx->env, s, posts, accounts) != 0)
			failed++;
	*out = NULL;
	if (failed == nshards(ctx->env)) {
		json_object_put(posts);
		json_object_put(accounts);
		return ctx_fail(ctx, APIERR_UNAVAILABLE, NULL);
	}
	*out = json_object_new_object();
	json_object_object_add(*out, "posts", posts);
	json_object_object_add(*out, "accounts", accounts);
	partial_mark(*out, failed > 0);
	return APIERR_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Actions */

struct act_state {
	uint64_t  target_user;  /* the account acted on, or the post's author */
	uint64_t  record;       /* the post acted on; 0: an account */
	uint64_t *reporters;    /* of the reports settled */
	size_t    nreporters;
};

struct settle_tx {
	const struct mod_act *a;
	struct act_state     *st;
	uint64_t              moderator;
	int                   status;
};

/* The reporters of the open reports of the target, then those reports settled with status: in
 * one transaction, the rows locked as they are read, so that a report made meanwhile stays open
 * (for the next action) and two moderators settling at once do not both tell its reporter. */
static int
settle_tx(struct db *db, void *arg)
{
	struct settle_tx *t = arg;
	unsigned shard = id_shard(t->a->target);
	struct db_rows r = DB_ROWS_INIT;
	int64_t now = clock_now_s();
	size_t i;
	int rc;

	rc = db_exec(db, shard, t->a->on_post ?
	    "SELECT id, reporter_id FROM {db}.tb_reported_content WHERE record_id = ? AND status = 0 "
	    "FOR UPDATE" :
	    "SELECT id, reporter_id FROM {db}.tb_reported_user WHERE user_id = ? AND status = 0 "
	    "FOR UPDATE", DB_PARAMS(DB_U64(t->a->target)), &r);
	free(t->st->reporters);
	t->st->reporters = xcalloc(r.nrows + 1, sizeof *t->st->reporters);
	t->st->nreporters = 0;
	for (i = 0; rc == 0 && i < r.nrows; i++) {
		rc = db_exec(db, shard, t->a->on_post ?
		    "UPDATE {db}.tb_reported_content SET status = ?, handled_by = ?, handled_at = ?, "
		    "updated_at = ? WHERE id = ?" :
		    "UPDATE {db}.tb_reported_user SET status = ?, handled_by = ?, handled_at = ?, "
		    "updated_at = ? WHERE id = ?", DB_PARAMS(DB_I64(t->status), DB_U64(t->moderator),
			DB_I64(now), DB_I64(now), DB_U64(db_u64(&r, i, 0))), NULL);
		t->st->reporters[t->st->nreporters++] = db_u64(&r, i, 1);
	}
	db_rows_free(&r);
	return rc == 0 ? 0 : -1;
}

static int
settle(struct ctx *ctx, const struct mod_act *a, struct act_state *st, int status)
{
	struct settle_tx t = { a, st, ctx->user_id, status };

	if (db_tx(ctx->env->db, id_shard(a->target), settle_tx, &t) == 0)
		return 0;
	st->nreporters = 0;   /* rolled back: nobody to tell */
	return -1;
}

static int
audit_write(struct ctx *ctx, const struct mod_act *a, const struct act_state *st)
{
	unsigned shard = id_shard(st->target_user);
	uint64_t id;

	if (ctx_new_id(ctx, shard, &id) != 0)
		return -1;
	return db_exec(ctx->env->db, shard, "INSERT INTO {db}.tb_moderation_log (id, actor_id, "
	    "action, target_user_id, record_id, until_at, reason, created_at) VALUES "
	    "(?, ?, ?, ?, ?, ?, ?, ?)", DB_PARAMS(DB_U64(id), DB_U64(ctx->user_id),
		DB_STR(mod_action_name(a->action)), DB_U64(st->target_user), DB_U64(st->record),
		DB_I64(a->until), DB_STR(a->reason), DB_I64(clock_now_s())), NULL) == 0 ? 0 : -1;
}

/* The account acted on: its author for a post (404 when gone); 40300 when a moderator would act
 * on an administrator. */
static int
resolve(struct ctx *ctx, enum mod_role role, const struct mod_act *a, struct act_state *st)
{
	enum mod_role theirs;
	json_object *u = NULL;
	int rc;

	/* An ID of no shard of this site names nothing on it (not a database failure). */
	if (id_shard(a->target) >= nshards(ctx->env))
		return ctx_fail(ctx, APIERR_NOT_FOUND, a->on_post ? "no such post" : "no such user");
	if (a->on_post) {
		st->record = a->target;
		if ((rc = post_author(ctx, a->target, &st->target_user)) != APIERR_OK)
			return rc;
	} else {
		st->target_user = a->target;
		rc = user_get(ctx->env, a->target, &u);
		json_object_put(u);
		if (rc <= 0)
			return rc < 0 ? ctx_fail(ctx, APIERR_UNAVAILABLE, NULL) :
			    ctx_fail(ctx, APIERR_NOT_FOUND, "no such user");
	}
	if (mod_role_of(ctx->env, st->target_user, &theirs) < 0)
		return ctx_fail(ctx, APIERR_UNAVAILABLE, NULL);
	if (theirs == MOD_ADMIN && role < MOD_ADMIN)
		return ctx_fail(ctx, APIERR_FORBIDDEN, "a moderator cannot act on an administrator");
	return APIERR_OK;
}

/* The action's own change. */
static int
apply(struct ctx *ctx, const struct mod_act *a, struct act_state *st)
{
	uint64_t author;

	switch (a->action) {
	case MOD_DISMISS:
		return APIERR_OK;
	case MOD_DELETE_POST:
		return post_remove(ctx, st->record, &author);
	case MOD_SUSPEND:
		return user_suspend(ctx->env, st->target_user, a->until, a->reason) < 0 ?
		    ctx_fail(ctx, APIERR_UNAVAILABLE, NULL) : APIERR_OK;
	case MOD_LIFT:
		return user_unsuspend(ctx->env, st->target_user) < 0 ?
		    ctx_fail(ctx, APIERR_UNAVAILABLE, NULL) : APIERR_OK;
	}
	return ctx_fail(ctx, APIERR_INVALID_PARAM, "action: unknown");
}

static int
check_act(struct ctx *ctx, const struct mod_act *a)
{
	if (mod_action_name(a->action) == NULL)
		return ctx_fail(ctx, APIERR_INVALID_PARAM, "action: dismiss, delete_post, suspend "
		    "or lift");
	if (a->action == MOD_DELETE_POST && !a->on_post)
		return ctx_fail(ctx, APIERR_INVALID_PARAM, "target_type: delete_post takes a post");
	if (strlen(a->reason) > MOD_REASON_MAX)
		return ctx_fail(ctx, APIERR_INVALID_PARAM, "reason: at most %d bytes", MOD_REASON_MAX);
	if (a->action == MOD_SUSPEND && *a->reason == '\0')
		return ctx_fail(ctx, APIERR_INVALID_PARAM, "reason: a suspension needs one (the user "
		    "is told it)");
	if (a->action == MOD_SUSPEND && a->until != 0 && a->until <= clock_now_s())
		return ctx_fail(ctx, APIERR_INVALID_PARAM, "until: a time in the future (unix "
		    "seconds), or 0 for until lifted");
	return APIERR_OK;
}

static void
tell_reporters(struct ctx *ctx, const struct mod_act *a, const struct act_state *st, bool upheld)
{
	size_t i;

	/* Best effort: a notification lost is logged by notify_add, the action stands. */
	for (i = 0; i < st->nreporters; i++)
		(void)notify_add(ctx->env, st->reporters[i], upheld ? NOTIFY_REPORT_UPHELD :
		    NOTIFY_REPORT_DISMISSED, ctx->user_id, a->on_post ? a->target : 0, a->target);
}

enum apierr
mod_do(struct ctx *ctx, enum mod_role role, const struct mod_act *a, json_object **out)
{
	struct act_state st = { 0, 0, NULL, 0 };
	bool upheld = a->action == MOD_DELETE_POST || a->action == MOD_SUSPEND;
	int rc;

	*out = NULL;
	if ((rc = check_act(ctx, a)) != APIERR_OK || (rc = resolve(ctx, role, a, &st)) != APIERR_OK ||
	    (rc = apply(ctx, a, &st)) != APIERR_OK)
		goto out;
	/* A lift settles nothing: the reports were settled by the suspension. */
	if (a->action != MOD_LIFT && settle(ctx, a, &st, upheld ? 2 : 1) != 0) {
		rc = ctx_fail(ctx, APIERR_UNAVAILABLE, NULL);
		goto out;
	}
	if (audit_write(ctx, a, &st) != 0) {
		rc = ctx_fail(ctx, APIERR_UNAVAILABLE, NULL);
		goto out;
	}
	tell_reporters(ctx, a, &st, upheld);
	log_info("moderation: user %" PRIu64 " %s on user %" PRIu64 " record %" PRIu64, ctx->user_id,
	    mod_action_name(a->action), st.target_user, st.record);
	*out = json_object_new_object();
	json_object_object_add(*out, "action", json_object_new_string(mod_action_name(a->action)));
	json_object_object_add(*out, "targetUserId", jsonx_id_new(st.target_user));
	json_object_object_add(*out, "settled", json_object_new_int64((int64_t)st.nreporters));
out:
	free(st.reporters);
	return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* The audit log */

static json_object *
audit_entry(struct app_env *env, const struct db_rows *r, size_t i)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", jsonx_id_new(db_u64(r, i, 0)));
	json_object_object_add(o, "actor", who(env, db_u64(r, i, 1)));
	json_object_object_add(o, "action", json_object_new_string(db_str(r, i, 2)));
	json_object_object_add(o, "targetUser", who(env, db_u64(r, i, 3)));
	json_object_object_add(o, "recordId", jsonx_id_new(db_u64(r, i, 4)));
	json_object_object_add(o, "until", json_object_new_int64(db_i64(r, i, 5)));
	json_object_object_add(o, "reason", json_object_new_string(db_str(r, i, 6)));
	json_object_object_add(o, "createdAt", json_object_new_int64(db_i64(r, i, 7)));
	return o;
}

static int
by_newest(const void *x, const void *y)
{
	json_object *const *a = x, *const *b = y;
	int64_t ta = json_object_get_int64(json_object_object_get(*a, "createdAt"));
	int64_t tb = json_object_get_int64(json_object_object_get(*b, "createdAt"));

	return ta < tb ? 1 : ta > tb ? -1 : 0;
}

enum apierr
mod_audit(struct ctx *ctx, json_object **out)
{
	json_object *entries = json_object_new_array();
	unsigned s, failed = 0;
	size_t i;

	for (s = 0; s < nshards(ctx->env); s++) {
		struct db_rows r = DB_ROWS_INIT;

		if (db_exec(ctx->env->db, s, "SELECT id, actor_id, action, target_user_id, record_id, "
		    "until_at, reason, created_at FROM {db}.tb_moderation_log ORDER BY id DESC LIMIT ?",
		    DB_PARAMS(DB_I64(MOD_AUDIT_MAX)), &r) != 0)
			failed++;
		for (i = 0; i < r.nrows; i++)
			json_object_array_add(entries, audit_entry(ctx->env, &r, i));
		db_rows_free(&r);
	}
	*out = NULL;
	if (failed == nshards(ctx->env)) {
		json_object_put(entries);
		return ctx_fail(ctx, APIERR_UNAVAILABLE, NULL);
	}
	json_object_array_sort(entries, by_newest);
	*out = json_object_new_object();
	json_object_object_add(*out, "entries", entries);
	partial_mark(*out, failed > 0);
	return APIERR_OK;
}
