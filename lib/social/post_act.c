/* post_act.c: the write side of what is done to a post that exists: likes, reports, deletion (by
 * its author, or a moderator's removal), undoing a repost, pinning (post.h has the contract;
 * post.c the creation of records and the rules and jobs both files share, post_int.h). */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "apierr.h"
#include "cache.h"
#include "ctx.h"
#include "clock.h"
#include "db.h"
#include "graphread.h"
#include "id.h"
#include "job.h"
#include "jsonx.h"
#include "limit.h"
#include "linkcard.h"
#include "media.h"
#include "mediaclean.h"
#include "post.h"
#include "post_int.h"
#include "shard.h"
#include "switches.h"
#include "text.h"
#include "timeline.h"
#include "user.h"
#include "utf8.h"
#include "valid.h"


/* ------------------------------------------------------------------------------------------ */
/* Likes and reports */

struct like_tx {
	uint64_t     like_id, liker, record;
	int64_t      now;            /* created_at of the like, told to its like.sync */
	int          content_type;
	bool         like, changed;
	struct jobs *jobs;
};

static int
like_tx(struct db *db, void *arg)
{
	struct like_tx *a = arg;
	struct db_rows r = DB_ROWS_INIT;
	unsigned shard = id_shard(a->liker);
	int64_t now = a->now;
	int rc;

	a->changed = false;
	if (a->like)
		rc = db_exec(db, shard, "INSERT IGNORE INTO {db}.tb_post_like (id, content_type, "
		    "record_id, liker_id, created_at) VALUES (?, ?, ?, ?, ?)",
		    DB_PARAMS(DB_U64(a->like_id), DB_I64(a->content_type), DB_U64(a->record),
			DB_U64(a->liker), DB_I64(now)), &r);
	else
		rc = db_exec(db, shard, "DELETE FROM {db}.tb_post_like WHERE liker_id = ? AND "
		    "record_id = ?", DB_PARAMS(DB_U64(a->liker), DB_U64(a->record)), &r);
	if (rc != 0 || r.affected != 1)
		goto out;
	a->changed = true;
	rc = user_count_move(db, a->liker, USER_COUNT_LIKES, a->like ? 1 : -1);
	if (rc == 0)
		rc = post_jobs_queue(db, a->jobs);
out:
	db_rows_free(&r);
	return rc == 0 ? 0 : -1;
}

enum apierr
post_like(struct ctx *ctx, uint64_t record_id, bool like)
{
	struct jobs jobs = { .shard = id_shard(ctx->user_id) };
	struct like_tx a = { .liker = ctx->user_id, .record = record_id, .now = clock_now_s(),
	    .like = like, .jobs = &jobs };
	json_object *rec = NULL;
	int rc;

	if ((rc = post_check_writer(ctx, NULL)) != APIERR_OK)
		goto out;
	rc = post_resolve(ctx->env, record_id, &rec);
	if (rc < 0) {
		rc = post_unavailable(ctx);
		goto out;
	}
	/* Unliking a record deleted since is allowed (it takes the like back); liking is not. */
	if (rc == 0 && like) {
		rc = post_not_found(ctx);
		goto out;
	}
	/* Taking a like back stays allowed after a block. */
	if (like && (rc = post_check_not_blocked(ctx, rec)) != APIERR_OK)
		goto out;
	if (rec != NULL) {
		a.record = jsonx_id(rec, "id");
		a.content_type = post_jtype(rec) == POST_REPLY;
	}
	/* Taking a like back is never limited. */
	if (like && (rc = limit_check(ctx, LIMIT_LIKE, NULL, 0)) != APIERR_OK)
		goto out;
	if (ctx_new_id(ctx, id_shard(ctx->user_id), &a.like_id) != 0 ||
	    post_jobs_add(ctx, &jobs, "like.sync", "liker_id", ctx->user_id, NULL, NULL) != 0) {
		rc = post_unavailable(ctx);
		goto out;
	}
	/* What this request writes, so that the jobs need not read it back first (job.h). */
	json_object_object_add(jobs.v[0].payload, "record_id", jsonx_id_new(a.record));
	json_object_object_add(jobs.v[0].payload, "like", json_object_new_boolean(like));
	json_object_object_add(jobs.v[0].payload, "like_id", jsonx_id_new(a.like_id));
	json_object_object_add(jobs.v[0].payload, "content_type",
	    json_object_new_int(a.content_type));
	json_object_object_add(jobs.v[0].payload, "created_at", json_object_new_int64(a.now));
	/* A like notifies its author; taken back, it withdraws that notification
	 * (lib/social/notify.h). */
	if (post_jobs_add(ctx, &jobs, "notify.like", "liker_id", ctx->user_id, NULL, NULL) != 0) {
		rc = post_unavailable(ctx);
		goto out;
	}
	json_object_object_add(jobs.v[1].payload, "record_id", jsonx_id_new(a.record));
	json_object_object_add(jobs.v[1].payload, "like", json_object_new_boolean(like));
	if (db_tx(ctx->env->db, id_shard(ctx->user_id), like_tx, &a) != 0) {
		rc = post_unavailable(ctx);
		goto out;
	}
	if (a.changed) {
		if (like)
			limit_count(ctx, LIMIT_LIKE, NULL, 0);
		post_jobs_run(ctx, &jobs);
		user_counts_forget(ctx->env, ctx->user_id);
	}
	rc = APIERR_OK;
out:
	json_object_put(rec);
	post_jobs_free(&jobs);
	return rc;
}

struct report_tx {
	uint64_t id, record, author, reporter;
	int      content_type, reason;
};

static int
report_tx(struct db *db, void *arg)
{
	struct report_tx *a = arg;
	struct db_rows r = DB_ROWS_INIT;
	int64_t now = clock_now_s();
	int rc = db_exec(db, id_shard(a->record), "INSERT IGNORE INTO {db}.tb_reported_content (id, "
	    "content_type, record_id, post_user_id, reporter_id, report_reason, created_at, updated_at) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
	    DB_PARAMS(DB_U64(a->id), DB_I64(a->content_type), DB_U64(a->record),
		DB_U64(a->author), DB_U64(a->reporter), DB_I64(a->reason), DB_I64(now), DB_I64(now)), &r);

	if (rc == 0 && r.affected == 1)
		rc = job_bump_count(db, a->record, "count_reported", 1, a->content_type == 1 ?
		    JOB_RECORD_REPLY : JOB_RECORD_POST);
	db_rows_free(&r);
	return rc == 0 ? 0 : -1;
}

enum apierr
post_report(struct ctx *ctx, uint64_t record_id, int reason)
{
	struct report_tx a = { 0, 0, 0, ctx->user_id, 0, reason };
	json_object *rec = NULL;
	int rc;

	if (reason < 1 || reason > 255)
		return ctx_fail(ctx, APIERR_INVALID_PARAM, "report_reason: 1 to 255");
	if ((rc = post_check_writer(ctx, NULL)) != APIERR_OK ||
	    (rc = post_live(ctx, record_id, &rec)) != APIERR_OK)
		goto out;
	a.record = jsonx_id(rec, "id");
	a.author = jsonx_id(rec, "authorId");
	a.content_type = post_jtype(rec) == POST_REPLY;
	if ((rc = limit_check(ctx, LIMIT_REPORT, NULL, 0)) != APIERR_OK)
		goto out;
	/* The report lives with the record, so its count moves in the same transaction. */
	if (ctx_new_id(ctx, id_shard(a.record), &a.id) != 0 ||
	    db_tx(ctx->env->db, id_shard(a.record), report_tx, &a) != 0) {
		rc = post_unavailable(ctx);
		goto out;
	}
	limit_count(ctx, LIMIT_REPORT, NULL, 0);
	rc = APIERR_OK;
out:
	json_object_put(rec);
	return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Deleting, undoing a repost, pinning */

struct delete_tx {
	uint64_t     id, user, parent;  /* reply: the record whose count_comments it moved */
	bool         reply, deleted;
	struct jobs *jobs;
};

static int
delete_tx(struct db *db, void *arg)
{
	struct delete_tx *a = arg;
	unsigned shard = id_shard(a->id);
	int64_t now = clock_now_s();
	int rc;

	/* The guard is_deleted = 0 makes a second (or concurrent) delete change nothing. */
	rc = post_exec_once(db, shard, a->reply ?
	    "UPDATE {db}.tb_post_reply SET is_deleted = 1, deleted_at = ?, updated_at = ?, "
	    "search_text = '' WHERE id = ? AND is_deleted = 0" :
	    "UPDATE {db}.tb_post SET is_deleted = 1, deleted_at = ?, updated_at = ?, search_text = '' "
	    "WHERE id = ? AND is_deleted = 0",
	    DB_PARAMS(DB_I64(now), DB_I64(now), DB_U64(a->id)), &a->deleted);
	if (rc != 0 || !a->deleted)
		goto out;
	rc = db_exec(db, shard, a->reply ?
	    "UPDATE {db}.tb_post_reply_extended SET is_deleted = 1, deleted_at = ?, updated_at = ? "
	    "WHERE post_reply_id = ?" :
	    "UPDATE {db}.tb_post_extended SET is_deleted = 1, deleted_at = ?, updated_at = ? "
	    "WHERE post_id = ?", DB_PARAMS(DB_I64(now), DB_I64(now), DB_U64(a->id)), NULL);
	if (rc != 0)
		goto out;
	if (a->reply) {
		rc = job_bump_count(db, a->parent, "count_comments", -1, JOB_RECORD_UNKNOWN);
	} else {
		/* The author's row is on this shard too (a post lives on its author's shard). */
		rc = user_count_move(db, a->user, USER_COUNT_POSTS, -1);
		if (rc == 0)
			rc = user_unpin_if(db, a->user, a->id);
	}
	if (rc == 0)
		rc = post_jobs_queue(db, a->jobs);
out:
	return rc == 0 ? 0 : -1;
}

/* The row of live record id into *r (the caller frees it, also after a failure). From the
 * database, not the cache: what is decided on it (a delete, a pin) is decided on the truth.
 * Answers 503, or 404 for a record missing or deleted, itself. */
static enum apierr
live_row(struct ctx *ctx, uint64_t id, struct db_rows *r)
{
	if (post_row(ctx->env, id, r) != 0)
		return post_unavailable(ctx);
	if (r->nrows == 0 || db_i64(r, 0, POST_R_DELETED) != 0)
		return post_not_found(ctx);
	return APIERR_OK;
}

/* Deletes record id, already checked to be one ctx->user_id may delete (row: its load_row). */
static int
delete_record(struct ctx *ctx, uint64_t id, const struct db_rows *row)
{
	struct jobs jobs = { .shard = id_shard(id) };
	struct delete_tx a = { id, db_u64(row, 0, POST_R_USER), 0, false, false, &jobs };
	int64_t type = db_i64(row, 0, POST_R_TYPE);
	int rc = 0;

	a.reply = type == POST_REPLY;
	if (a.reply) {
		a.parent = db_u64(row, 0, POST_R_ORIGINAL) ? db_u64(row, 0, POST_R_ORIGINAL) :
		    db_u64(row, 0, POST_R_ROOT);
		rc = post_jobs_add(ctx, &jobs, "user_reply.sync", "reply_id", id, NULL, NULL);
	} else if (type == POST_REPOST || type == POST_QUOTE) {
		rc = post_jobs_add(ctx, &jobs, "repost.sync", "post_id", id, NULL, NULL);
	}
	if (rc == 0)
		rc = post_jobs_add_tags(ctx, &jobs, id, db_str(row, 0, POST_R_HASHTAGS));
	/* Its upload is released for the clean-up, in the transaction of the delete (the row in
	 * tb_media is on another shard). */
	if (rc == 0 && (*db_str(row, 0, POST_R_IMAGE) || *db_str(row, 0, POST_R_VIDEO)))
		rc = post_jobs_add(ctx, &jobs, MEDIACLEAN_JOB, "record_id", id, NULL, NULL);
	if (rc != 0 || db_tx(ctx->env->db, id_shard(id), delete_tx, &a) != 0) {
		rc = post_unavailable(ctx);
		goto out;
	}
	if (a.deleted) {
		post_jobs_run(ctx, &jobs);
		post_forget(ctx->env, id);
		post_counts_forget(ctx->env, id);
		if (a.reply)
			post_counts_forget(ctx->env, a.parent);
		else
			user_counts_forget(ctx->env, a.user);
	}
	rc = APIERR_OK;
out:
	post_jobs_free(&jobs);
	return rc;
}

/* The one body of post_delete (only the author's: author NULL) and post_remove (anyone's,
 * the author into *author first). */
static int
delete_checked(struct ctx *ctx, uint64_t id, uint64_t *author)
{
	struct db_rows r = DB_ROWS_INIT;
	int rc;

	rc = live_row(ctx, id, &r);
	if (rc == APIERR_OK && author == NULL && db_u64(&r, 0, POST_R_USER) != ctx->user_id)
		rc = ctx_fail(ctx, APIERR_NOT_OWNER, "only its author can delete a post");
	else if (rc == APIERR_OK)
		rc = delete_record(ctx, id, &r);
	if (author != NULL && r.nrows > 0)
		*author = db_u64(&r, 0, POST_R_USER);
	db_rows_free(&r);
	return rc;
}

enum apierr
post_delete(struct ctx *ctx, uint64_t id)
{
	return delete_checked(ctx, id, NULL);
}

enum apierr
post_author(struct ctx *ctx, uint64_t id, uint64_t *author)
{
	struct db_rows r = DB_ROWS_INIT;
	int rc;

	*author = 0;
	if ((rc = live_row(ctx, id, &r)) == APIERR_OK)
		*author = db_u64(&r, 0, POST_R_USER);
	db_rows_free(&r);
	return rc;
}

enum apierr
post_remove(struct ctx *ctx, uint64_t id, uint64_t *author)
{
	*author = 0;
	return delete_checked(ctx, id, author);
}

enum apierr
post_undo_repost(struct ctx *ctx, uint64_t id)
{
	struct db_rows r = DB_ROWS_INIT;
	uint64_t target = id, repost = 0;
	int rc;

	if (post_row(ctx->env, id, &r) != 0) {
		rc = post_unavailable(ctx);
		goto out;
	}
	if (r.nrows > 0 && db_i64(&r, 0, POST_R_TYPE) == POST_REPOST) {
		/* My own repost: undo it. Someone else's: I reposted what it reposts, if anything. */
		if (db_u64(&r, 0, POST_R_USER) == ctx->user_id && db_i64(&r, 0, POST_R_DELETED) == 0)
			repost = id;
		target = db_u64(&r, 0, POST_R_ORIGINAL);
	}
	if (repost == 0) {
		if (post_find_repost(ctx, target, &repost) != 0) {
			rc = post_unavailable(ctx);
			goto out;
		}
		if (repost == 0) {
			rc = APIERR_OK;   /* nothing to undo */
			goto out;
		}
		if (post_row(ctx->env, repost, &r) != 0 || r.nrows == 0) {
			rc = post_unavailable(ctx);
			goto out;
		}
	}
	rc = delete_record(ctx, repost, &r);
out:
	db_rows_free(&r);
	return rc;
}

enum apierr
post_pin(struct ctx *ctx, uint64_t id, bool pin)
{
	struct db_rows r = DB_ROWS_INIT;
	int64_t type;
	int rc;

	/* Unpinning is checked as pinning is: someone else's post is 403 and a missing one 404,
	 * not a silent 0 that tells the caller nothing true. */
	if ((rc = live_row(ctx, id, &r)) != APIERR_OK)
		goto out;
	type = db_i64(&r, 0, POST_R_TYPE);
	if (db_u64(&r, 0, POST_R_USER) != ctx->user_id) {
		rc = ctx_fail(ctx, APIERR_NOT_OWNER, pin ? "you can only pin your own posts" :
		    "you can only unpin your own posts");
		goto out;
	}
	if (!pin) {
		rc = user_unpin_if(ctx->env->db, ctx->user_id, id);
		goto done;
	}
	if (type == POST_REPOST || type == POST_REPLY) {
		rc = ctx_fail(ctx, APIERR_INVALID_PARAM, "post_id: a %s cannot be pinned, only a post "
		    "or a quote", type == POST_REPOST ? "repost" : "reply");
		goto out;
	}
	rc = user_pin(ctx->env->db, ctx->user_id, id);
done:
	if (rc != 0) {
		rc = post_unavailable(ctx);
		goto out;
	}
	user_counts_forget(ctx->env, ctx->user_id);
	rc = APIERR_OK;
out:
	db_rows_free(&r);
	return rc;
}

