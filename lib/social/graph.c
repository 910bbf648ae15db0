/* graph.c: the write side of the social graph: follow, block, mute, report, with their
 * invalidations and fan-out (timeline, notifications), the relationship lists, and follow.sync
 * (graph.h has the contract, docs/data.md the outbox; the cached reads are in graphread.c). */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apierr.h"
#include "cache.h"
#include "ctx.h"
#include "clock.h"
#include "db.h"
#include "graph.h"
#include "id.h"
#include "idlease.h"
#include "job.h"
#include "jsonx.h"
#include "limit.h"
#include "log.h"
#include "notify.h"
#include "partial.h"
#include "route.h"
#include "shard.h"
#include "timeline.h"
#include "user.h"

/* How many times follow.sync writes again when the source changed under it (as lib/social/job.c).
 * */
#define SYNC_ROUNDS 4

/* ------------------------------------------------------------------------------------------ */
/* follow.sync: the followee's side of a follow */

struct pair_tx {
	uint64_t   follower, followee, id, new_id;
	int64_t    created_at;
	bool       present, changed;
};

/* The mirror on the followee's shard: the reversed row with the forward row's id, or none. */
static int
mirror_tx(struct db *db, void *arg)
{
	struct pair_tx *t = arg;
	struct db_rows r = DB_ROWS_INIT;
	unsigned shard = id_shard(t->followee);
	int rc;

	t->changed = false;
	if (t->present) {
		rc = db_exec(db, shard, "INSERT IGNORE INTO {db}.tb_user_relationship_reversed "
		    "(user_id, follower_id, id, created_at) VALUES (?, ?, ?, ?)",
		    DB_PARAMS(DB_U64(t->followee), DB_U64(t->follower), DB_U64(t->id),
			DB_I64(t->created_at)), &r);
		if (rc == 0 && r.affected == 1) {
			t->changed = true;
			rc = user_count_move(db, t->followee, USER_COUNT_FOLLOWERS, 1);
		} else if (rc == 0) {
			/* A row from an older follow (or a wrong one): the list's cursor is the id. */
			rc = db_exec(db, shard, "UPDATE {db}.tb_user_relationship_reversed SET id = ?, "
			    "created_at = ? WHERE user_id = ? AND follower_id = ? AND id <> ?",
			    DB_PARAMS(DB_U64(t->id), DB_I64(t->created_at),
				DB_U64(t->followee), DB_U64(t->follower), DB_U64(t->id)), &r);
			t->changed = rc == 0 && r.affected > 0;
		}
	} else {
		rc = db_exec(db, shard, "DELETE FROM {db}.tb_user_relationship_reversed WHERE "
		    "user_id = ? AND follower_id = ?",
		    DB_PARAMS(DB_U64(t->followee), DB_U64(t->follower)), &r);
		if (rc == 0 && r.affected == 1) {
			t->changed = true;
			rc = user_count_move(db, t->followee, USER_COUNT_FOLLOWERS, -1);
		}
	}
	db_rows_free(&r);
	return rc == 0 ? 0 : -1;
}

/* The follower's row back to "not following", when the followee blocks them. */
static int
end_follow_tx(struct db *db, void *arg)
{
	struct pair_tx *t = arg;
	struct db_rows r = DB_ROWS_INIT;
	int rc = db_exec(db, id_shard(t->follower), "UPDATE {db}.tb_user_relationship SET "
	    "status_follow = 0, id = ?, updated_at = ? WHERE user_id = ? AND target_user = ? AND "
	    "status_follow = 1", DB_PARAMS(DB_U64(t->new_id), DB_I64(clock_now_s()),
		DB_U64(t->follower), DB_U64(t->followee)), &r);

	t->changed = false;
	if (rc == 0 && r.affected == 1) {
		t->changed = true;
		rc = user_count_move(db, t->follower, USER_COUNT_FOLLOWINGS, -1);
	}
	db_rows_free(&r);
	return rc == 0 ? 0 : -1;
}

/* One round: read the source, end it if blocked, write the mirror. */
static int
sync_round(struct app_env *env, struct pair_tx *t, struct graph_rel *src, struct buf *err)
{
	struct graph_rel back;

	if (graph_rel_read(env->db, t->follower, t->followee, false, src) != 0) {
		buf_puts(err, "follow.sync: cannot read the follower's row");
		return -1;
	}
	if (src->follow == 1) {
		if (graph_rel_read(env->db, t->followee, t->follower, false, &back) != 0) {
			buf_puts(err, "follow.sync: cannot read the followee's row");
			return -1;
		}
		if (back.follow == 2) {
			/* The ID is made before the transaction: making one may touch shard 0. */
			if (idlease_next_id(env->ids, id_shard(t->follower), &t->new_id) != 0 ||
			    db_tx(env->db, id_shard(t->follower), end_follow_tx, t) != 0) {
				buf_puts(err, "follow.sync: cannot end a blocked follow");
				return -1;
			}
			if (t->changed) {
				user_counts_forget(env, t->follower);
				graph_forget_rel(env, t->follower, t->followee);
			}
			src->follow = 0;
		}
	}
	t->present = src->follow == 1;
	t->id = src->id;
	t->created_at = src->created_at;
	if (db_tx(env->db, id_shard(t->followee), mirror_tx, t) != 0) {
		buf_puts(err, "follow.sync: cannot write the followee's side");
		return -1;
	}
	if (t->changed)
		user_counts_forget(env, t->followee);
	return 0;
}

int
graph_sync_pair(struct app_env *env, uint64_t follower, uint64_t followee, bool *changed,
    struct buf *err)
{
	struct pair_tx t = { follower, followee, 0, 0, 0, false, false };
	struct graph_rel want, now;
	bool any = false;
	int i;

	if (!db_id_has_shard(env->db, follower) || !db_id_has_shard(env->db, followee)) {
		buf_puts(err, "follow.sync: an ID names no shard");
		return -1;
	}
	/* Read, write, read again: a concurrent opposite change whose own job ran between our read
	 * and our write was undone by ours, so we go once more (as lib/social/job.c's sync
	 * handlers). */
	for (i = 0; i < SYNC_ROUNDS; i++) {
		if (sync_round(env, &t, &want, err) != 0)
			return -1;
		any = any || t.changed;
		if (graph_rel_read(env->db, follower, followee, false, &now) != 0) {
			buf_puts(err, "follow.sync: cannot read the follower's row again");
			return -1;
		}
		if (now.follow == want.follow && now.id == want.id) {
			if (changed != NULL)
				*changed = any;
			return 0;
		}
	}
	buf_puts(err, "follow.sync: the source kept changing");
	return -1;
}

int
graph_follow_sync(struct app_env *env, json_object *payload, struct buf *err)
{
	uint64_t follower = job_payload_id(payload, "follower_id");
	uint64_t followee = job_payload_id(payload, "followee_id");

	if (follower == 0 || followee == 0) {
		buf_puts(err, "follow.sync: follower_id and followee_id are required");
		return -1;
	}
	if (graph_sync_pair(env, follower, followee, NULL, err) != 0)
		return -1;
	/* A notification lost here is not worth a retry of the job: logged by notify_follow. */
	notify_follow(env, follower, followee);
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Follow, block, mute */

static int
unavailable(struct ctx *ctx)
{
	return ctx_fail(ctx, APIERR_UNAVAILABLE, NULL);
}

/* The caller may act (activated, not suspended): APIERR_OK, or the refusal. */
static int
check_actor(struct ctx *ctx)
{
	json_object *u = NULL, *v;
	int rc = user_get(ctx->env, ctx->user_id, &u);

	if (rc < 0)
		rc = unavailable(ctx);
	else if (rc == 0)
		rc = ctx_fail(ctx, APIERR_UNAUTHORIZED, NULL);
	else if (user_suspended(u, clock_now_s()))
		rc = ctx_fail(ctx, APIERR_SUSPENDED, NULL);
	else if (!json_object_object_get_ex(u, "activated", &v) || !json_object_get_boolean(v))
		rc = ctx_fail(ctx, APIERR_NOT_ACTIVATED, NULL);
	else
		rc = APIERR_OK;
	json_object_put(u);
	return rc;
}

/* The user named name, not the caller: APIERR_OK with *id and *suspended, or the refusal. */
static int
resolve_target(struct ctx *ctx, const char *name, uint64_t *id, bool *suspended)
{
	json_object *u = NULL;
	int rc = user_id_by_username(ctx->env, name, id);

	if (rc == 1)
		rc = user_get(ctx->env, *id, &u);
	if (rc < 0)
		return unavailable(ctx);
	if (rc == 0)
		return ctx_fail(ctx, APIERR_NOT_FOUND, "target_username: no user with that username");
	*suspended = user_suspended(u, clock_now_s());
	json_object_put(u);
	if (*id == ctx->user_id)
		return ctx_fail(ctx, APIERR_INVALID_PARAM, "target_username: that is you");
	return APIERR_OK;
}

struct set_tx {
	enum graph_action action;
	bool              on, changed, count_moved;
	int               count_delta;   /* count_followings */
	uint64_t          user, target, id;
	struct job_new    job[2];        /* follow.sync, held: run after the commit */
	int               njobs;
};

static int
set_tx(struct db *db, void *arg)
{
	struct set_tx *a = arg;
	unsigned shard = id_shard(a->user);
	int64_t now = clock_now_s();
	struct graph_rel cur;
	int follow, mute, rc;

	a->changed = false;
	a->count_delta = 0;
	if (graph_rel_read(db, a->user, a->target, true, &cur) != 0)
		return -1;
	follow = cur.follow;
	mute = cur.mute;
	switch (a->action) {
	case GRAPH_FOLLOW:
		/* Unfollowing only ends a follow: it never lifts a block. */
		if (a->on && follow == 0)
			follow = 1;
		else if (!a->on && follow == 1)
			follow = 0;
		break;
	case GRAPH_BLOCK:
		if (a->on)
			follow = 2;
		else if (follow == 2)
			follow = 0;
		break;
	case GRAPH_MUTE:
		mute = a->on;
		break;
	}
	if (follow == cur.follow && mute == cur.mute)
		return 0;
	a->changed = true;
	/* id is made again when status_follow changes (a re-follow goes to the top of the list);
	 * mute_id when muted. */
	if (!cur.exists)
		rc = db_exec(db, shard, "INSERT INTO {db}.tb_user_relationship (user_id, target_user, "
		    "status_follow, status_mute, id, mute_id, created_at, updated_at) VALUES "
		    "(?, ?, ?, ?, ?, ?, ?, ?)", DB_PARAMS(DB_U64(a->user), DB_U64(a->target),
			DB_I64(follow), DB_I64(mute), DB_U64(a->id), DB_U64(mute ? a->id : 0),
			DB_I64(now), DB_I64(now)), NULL);
	else if (follow != cur.follow)
		rc = db_exec(db, shard, "UPDATE {db}.tb_user_relationship SET status_follow = ?, "
		    "id = ?, updated_at = ? WHERE user_id = ? AND target_user = ?",
		    DB_PARAMS(DB_I64(follow), DB_U64(a->id), DB_I64(now), DB_U64(a->user),
			DB_U64(a->target)), NULL);
	else
		rc = db_exec(db, shard, "UPDATE {db}.tb_user_relationship SET status_mute = ?, "
		    "mute_id = ?, updated_at = ? WHERE user_id = ? AND target_user = ?",
		    DB_PARAMS(DB_I64(mute), DB_U64(mute ? a->id : 0), DB_I64(now),
			DB_U64(a->user), DB_U64(a->target)), NULL);
	if (rc != 0)
		return -1;
	if (follow != cur.follow && (follow == 1 || cur.follow == 1)) {
		a->count_delta = follow == 1 ? 1 : -1;
		if (user_count_move(db, a->user, USER_COUNT_FOLLOWINGS, a->count_delta) != 0)
			return -1;
	}
	/* The followee's side: of this follow, and on a block of the other direction too. */
	return job_queue_many(db, shard, a->job, (size_t)a->njobs);
}

static json_object *
follow_payload(uint64_t follower, uint64_t followee)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "follower_id", jsonx_id_new(follower));
	json_object_object_add(o, "followee_id", jsonx_id_new(followee));
	return o;
}

enum apierr
graph_set(struct ctx *ctx, enum graph_action action, const char *target, bool on)
{
	struct set_tx a = { .action = action, .on = on, .user = ctx->user_id };
	unsigned shard = id_shard(ctx->user_id);
	bool suspended = false;
	struct graph_rel mine;
	int rc, i, f;
	bool m;

	if ((rc = check_actor(ctx)) != APIERR_OK ||
	    (rc = resolve_target(ctx, target, &a.target, &suspended)) != APIERR_OK)
		goto out;
	if (action == GRAPH_FOLLOW && on) {
		if (suspended) {
			rc = ctx_fail(ctx, APIERR_SUSPENDED, "target_username: this account is "
			    "suspended and cannot be followed");
			goto out;
		}
		/* From the database, not the cache: this decides a write. */
		if (graph_rel_read(ctx->env->db, a.target, ctx->user_id, false, &mine) != 0) {
			rc = unavailable(ctx);
			goto out;
		}
		if (mine.follow == 2) {
			rc = ctx_fail(ctx, APIERR_FORBIDDEN, "you cannot follow this account");
			goto out;
		}
		if (graph_relation(ctx->env, ctx->user_id, a.target, &f, &m) != 0) {
			rc = unavailable(ctx);
			goto out;
		}
		if (f == 2) {
			rc = ctx_fail(ctx, APIERR_CONFLICT, "you have blocked this account: unblock "
			    "it first");
			goto out;
		}
		/* Only following is limited: unfollowing, blocking and muting never are. */
		if ((rc = limit_check(ctx, LIMIT_FOLLOW, NULL, 0)) != APIERR_OK)
			goto out;
	}
	if (action != GRAPH_MUTE) {
		a.job[a.njobs++].payload = follow_payload(ctx->user_id, a.target);
		if (action == GRAPH_BLOCK && on)
			a.job[a.njobs++].payload = follow_payload(a.target, ctx->user_id);
	}
	/* IDs before the transaction (db_tx may run its body again; an ID may touch shard 0). */
	for (i = 0; i < a.njobs; i++) {
		a.job[i].type = "follow.sync";
		a.job[i].held = true;
		if (ctx_new_id(ctx, shard, &a.job[i].id) != 0) {
			rc = unavailable(ctx);
			goto out;
		}
	}
	if (ctx_new_id(ctx, shard, &a.id) != 0 || db_tx(ctx->env->db, shard, set_tx, &a) != 0) {
		rc = unavailable(ctx);
		goto out;
	}
	if (a.changed) {
		if (action == GRAPH_FOLLOW && on)
			limit_count(ctx, LIMIT_FOLLOW, NULL, 0);
		graph_forget_rel(ctx->env, ctx->user_id, a.target);
		/* What the timelines show changed: rebuilt on their next read
		 * (lib/social/timeline.h). */
		timeline_forget(ctx->env, ctx->user_id);
		if (action == GRAPH_BLOCK) {
			timeline_forget(ctx->env, a.target);
			/* Each side's unread count leaves out (or counts again) the other's
			 * notifications: at once, not when the cached count expires. After the
			 * commit, so a count loaded from now on reads the new relationship. */
			notify_forget_unread(ctx->env, ctx->user_id);
			notify_forget_unread(ctx->env, a.target);
		}
		if (a.count_delta != 0)
			user_counts_forget(ctx->env, ctx->user_id);
		/* Each job now; one that fails stays queued for starling-worker. */
		(void)job_run_held(ctx->env, shard, a.job, (size_t)a.njobs);
	}
	rc = APIERR_OK;
out:
	for (i = 0; i < a.njobs; i++)
		json_object_put(a.job[i].payload);
	return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Report */

enum apierr
graph_report(struct ctx *ctx, const char *target, int reason)
{
	uint64_t target_id = 0, id;
	bool suspended;
	int64_t now = clock_now_s();
	int rc;

	if ((rc = check_actor(ctx)) != APIERR_OK ||
	    (rc = resolve_target(ctx, target, &target_id, &suspended)) != APIERR_OK)
		return rc;
	if (reason < 1 || reason > 255)
		return ctx_fail(ctx, APIERR_INVALID_PARAM, "report_reason: 1 to 255");
	if ((rc = limit_check(ctx, LIMIT_REPORT, NULL, 0)) != APIERR_OK)
		return rc;
	if (ctx_new_id(ctx, id_shard(target_id), &id) != 0)
		return unavailable(ctx);
	/* uiq_user_reporter: a repeat is ignored, so a user counts once per reporter. */
	if (db_exec(ctx->env->db, id_shard(target_id), "INSERT IGNORE INTO {db}.tb_reported_user "
	    "(id, user_id, reporter_id, report_reason, created_at, updated_at) VALUES "
	    "(?, ?, ?, ?, ?, ?)", DB_PARAMS(DB_U64(id), DB_U64(target_id),
		DB_U64(ctx->user_id), DB_I64(reason), DB_I64(now), DB_I64(now)), NULL) != 0)
		return unavailable(ctx);
	limit_count(ctx, LIMIT_REPORT, NULL, 0);
	return APIERR_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Lists */

/* The statement of each list: user, cursor, page size + 1 → (other user's ID, row ID). */
static const char *const list_sql[] = {
	[GRAPH_FOLLOWING] = "SELECT target_user, id FROM {db}.tb_user_relationship WHERE "
	    "user_id = ? AND status_follow = 1 AND id < ? ORDER BY id DESC LIMIT ?",
	[GRAPH_FOLLOWERS] = "SELECT follower_id, id FROM {db}.tb_user_relationship_reversed WHERE "
	    "user_id = ? AND id < ? ORDER BY id DESC LIMIT ?",
	[GRAPH_BLOCKED]   = "SELECT target_user, id FROM {db}.tb_user_relationship WHERE "
	    "user_id = ? AND status_follow = 2 AND id < ? ORDER BY id DESC LIMIT ?",
	[GRAPH_MUTED]     = "SELECT target_user, mute_id FROM {db}.tb_user_relationship WHERE "
	    "user_id = ? AND status_mute = 1 AND mute_id < ? ORDER BY mute_id DESC LIMIT ?",
	/* The people of a record: the mirrors post.c's jobs keep on the record's shard (the one
	 * read of this module on another's tables: the list is graph_list's in every other way). */
	[GRAPH_LIKERS]    = "SELECT liker_id, like_id FROM {db}.tb_post_like_reversed WHERE "
	    "record_id = ? AND like_id < ? ORDER BY like_id DESC LIMIT ?",
	[GRAPH_REPOSTERS] = "SELECT user_id, post_id FROM {db}.tb_post_repost_reversed WHERE "
	    "original_id = ? AND post_type = 1 AND post_id < ? ORDER BY post_id DESC LIMIT ?",
};

/* The card of a user in a list; NULL for a user that is gone or suspended. */
static int
user_card(struct app_env *env, uint64_t id, json_object **out)
{
	static const char *const fields[] = { "id", "username", "displayName", "avatarUrl",
	    "description", NULL };

	return user_pick_shown(env, id, fields, out);
}

/* Whether the viewer sees other in a list of people: not when one of them blocks the other.
 * 1 yes, 0 no, -1 failure. */
static int
list_shows(struct ctx *ctx, enum graph_list list, uint64_t other)
{
	int rc;

	/* The caller's own lists of whom they block or mute show everyone on them. */
	if (list == GRAPH_BLOCKED || list == GRAPH_MUTED)
		return 1;
	rc = graph_blocked_either(ctx->env, ctx->user_id, other);
	return rc < 0 ? -1 : !rc;
}

bool
graph_parse_cursor(const char *s, uint64_t *id)
{
	size_t i, n = strlen(s);
	uint64_t v = 0;
	unsigned d;

	/* strtoull would take blanks, a sign, "0x" and leading zeros; an ID has none of them. */
	if (n == 0 || s[0] == '0' || strspn(s, "0123456789") != n)
		return false;
	for (i = 0; i < n; i++) {
		d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;   /* past UINT64_MAX: no ID */
		v = v * 10 + d;
	}
	*id = v;
	return true;
}

enum apierr
graph_list_page(struct ctx *ctx, enum graph_list list, uint64_t user_id, const char *cursor,
    json_object **out)
{
	struct db_rows r = DB_ROWS_INIT;
	json_object *data = NULL, *users, *card;
	uint64_t after = UINT64_MAX, other;
	bool partial = false;
	size_t i, n;
	int rc;

	*out = NULL;
	if (cursor != NULL && *cursor != '\0' && !graph_parse_cursor(cursor, &after))
		return ctx_fail(ctx, APIERR_INVALID_PARAM, "cursor: an ID from the previous page "
		    "(decimal digits, no leading zero)");
	if (db_exec(ctx->env->db, id_shard(user_id), list_sql[list],
	    DB_PARAMS(DB_U64(user_id), DB_U64(after), DB_I64(GRAPH_PAGE + 1)), &r) != 0) {
		rc = unavailable(ctx);
		goto out;
	}
	n = r.nrows > GRAPH_PAGE ? GRAPH_PAGE : r.nrows;
	data = json_object_new_object();
	users = json_object_new_array();
	json_object_object_add(data, "users", users);
	for (i = 0; i < n; i++) {
		other = db_u64(&r, i, 0);
		if ((rc = list_shows(ctx, list, other)) == 0)
			continue;
		/* Whose block or card cannot be read (their shard down): left out, and the cursor
		 * passes them as it passes everyone left out. */
		if (rc < 0 || user_card(ctx->env, other, &card) < 0) {
			partial = true;
			continue;
		}
		if (card != NULL)
			json_object_array_add(users, card);
	}
	/* The next page starts below the last row read, shown or not: IDs only grow, so rows added
	 * meanwhile land above it and the pages neither repeat nor skip. */
	json_object_object_add(data, "cursor", r.nrows > GRAPH_PAGE ?
	    json_object_new_string(db_str(&r, n - 1, 1)) : json_object_new_string(ROUTE_CURSOR_END));
	partial_mark(data, partial);
	*out = data;
	data = NULL;
	rc = APIERR_OK;
out:
	json_object_put(data);
	db_rows_free(&r);
	return rc;
}

enum apierr
graph_list(struct ctx *ctx, enum graph_list list, uint64_t user_id, const char *cursor)
{
	json_object *data;
	int rc = graph_list_page(ctx, list, user_id, cursor, &data);

	if (rc == APIERR_OK)
		ctx_set_data(ctx, data);
	return rc;
}
