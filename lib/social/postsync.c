/* postsync.c: the outbox's jobs of posts: the other shard's half of a like, repost, reply or
 * hashtag made to match its source of truth (postsync.h). */
#include "config.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctx.h"
#include "buf.h"
#include "cache.h"
#include "clock.h"
#include "db.h"
#include "id.h"
#include "idlease.h"
#include "job.h"
#include "postsync.h"
#include "postview.h"
#include "shard.h"

/* How many times a handler writes again when the source changed under it (each change has its
 * own job, so this only has to outlast a short burst; beyond it the job is retried later). */
#define SYNC_ROUNDS 4

/* Runs an INSERT IGNORE or a DELETE, then bumps column of record_id when it changed a row. */
static int
write_and_count(struct db *db, unsigned shard, const char *sql, const struct db_val *p, size_t n,
    uint64_t record_id, const char *column, int delta, int content_type)
{
	struct db_rows r = DB_ROWS_INIT;
	int rc = db_exec(db, shard, sql, p, n, &r);

	if (rc == 0 && r.affected == 1 && column != NULL)
		rc = job_bump_count(db, record_id, column, delta, content_type);
	db_rows_free(&r);
	return rc == 0 ? 0 : -1;
}

/* A sync handler: read says whether the source holds the thing now (filling the handler's
 * state for apply), apply makes the target match. */
struct sync_ops {
	const char *what;
	int (*read)(struct app_env *env, void *arg, bool *present);
	int (*apply)(struct app_env *env, void *arg, bool present);
};

/* read, apply, read again: done when the source did not change meanwhile; else once more (a
 * concurrent opposite change may have been applied by its own job between our read and our
 * write, which ours then undid). hint, when not NULL, stands in for the first read: what the
 * request that queued the job wrote (its handler's state filled from the payload). It is safe
 * even when stale (a worker running the job late): the read after the write still decides. */
static int
sync_run(struct app_env *env, const struct sync_ops *ops, void *arg, const bool *hint,
    struct buf *err)
{
	bool want, now;
	int i;

	for (i = 0; i < SYNC_ROUNDS; i++) {
		if (i == 0 && hint != NULL)
			want = *hint;
		else if (ops->read(env, arg, &want) != 0) {
			buf_printf(err, "%s: cannot read the source", ops->what);
			return -1;
		}
		if (ops->apply(env, arg, want) != 0) {
			buf_printf(err, "%s: cannot write the target", ops->what);
			return -1;
		}
		if (ops->read(env, arg, &now) != 0) {
			buf_printf(err, "%s: cannot read the source again", ops->what);
			return -1;
		}
		if (now == want)
			return 0;
	}
	buf_printf(err, "%s: the source kept changing", ops->what);
	return -1;
}

/* ------------------------------------------------------------------------------------------ */
/* like.sync {liker_id, record_id} */

struct like_sync {
	uint64_t liker, record, like_id;
	int64_t  type, created_at;
};

static int
like_read(struct app_env *env, void *arg, bool *present)
{
	struct like_sync *s = arg;
	struct db_rows r = DB_ROWS_INIT;
	int rc = db_exec(env->db, id_shard(s->liker), "SELECT id, content_type, created_at FROM "
	    "{db}.tb_post_like WHERE liker_id = ? AND record_id = ?",
	    DB_PARAMS(DB_U64(s->liker), DB_U64(s->record)), &r);

	if (rc == 0) {
		*present = r.nrows > 0;
		s->like_id = db_u64(&r, 0, 0);
		s->type = db_i64(&r, 0, 1);
		s->created_at = db_i64(&r, 0, 2);
	}
	db_rows_free(&r);
	return rc == 0 ? 0 : -1;
}

struct like_tx {
	struct like_sync *s;
	bool              present;
};

static int
like_apply_tx(struct db *db, void *arg)
{
	struct like_tx *t = arg;
	struct like_sync *s = t->s;
	unsigned shard = id_shard(s->record);

	if (t->present)
		return write_and_count(db, shard, "INSERT IGNORE INTO {db}.tb_post_like_reversed "
		    "(record_id, liker_id, content_type, like_id, created_at) VALUES (?, ?, ?, ?, ?)",
		    DB_PARAMS(DB_U64(s->record), DB_U64(s->liker), DB_I64(s->type),
			DB_U64(s->like_id), DB_I64(s->created_at)), s->record, "count_likes", 1,
		    s->type == 1 ? JOB_RECORD_REPLY : JOB_RECORD_POST);
	return write_and_count(db, shard, "DELETE FROM {db}.tb_post_like_reversed WHERE "
	    "record_id = ? AND liker_id = ?", DB_PARAMS(DB_U64(s->record), DB_U64(s->liker)),
	    s->record, "count_likes", -1, JOB_RECORD_UNKNOWN);
}

static int
like_apply(struct app_env *env, void *arg, bool present)
{
	struct like_tx t = { arg, present };
	int rc = db_tx(env->db, id_shard(t.s->record), like_apply_tx, &t);

	post_counts_forget(env, t.s->record);
	return rc;
}

int
postsync_like(struct app_env *env, json_object *payload, struct buf *err)
{
	static const struct sync_ops ops = { "like.sync", like_read, like_apply };
	struct like_sync s = { job_payload_id(payload, "liker_id"), job_payload_id(payload, "record_id"),
	    0, 0, 0 };
	json_object *v;
	bool hint;

	if (s.liker == 0 || s.record == 0) {
		buf_puts(err, "like.sync: liker_id and record_id are required");
		return -1;
	}
	/* What the request wrote (job.h): the like, with what its mirror row copies. */
	if (!json_object_object_get_ex(payload, "like", &v) || !json_object_is_type(v,
	    json_type_boolean))
		return sync_run(env, &ops, &s, NULL, err);
	hint = json_object_get_boolean(v);
	s.like_id = job_payload_id(payload, "like_id");
	if (hint && s.like_id == 0)
		return sync_run(env, &ops, &s, NULL, err);
	s.type = json_object_object_get_ex(payload, "content_type", &v) ? json_object_get_int(v) : 0;
	s.created_at = json_object_object_get_ex(payload, "created_at", &v) ?
	    json_object_get_int64(v) : 0;
	return sync_run(env, &ops, &s, &hint, err);
}

/* ------------------------------------------------------------------------------------------ */
/* repost.sync {post_id} */

struct repost_sync {
	uint64_t post, user, original;
	int64_t  type, created_at;
};

static int
repost_read(struct app_env *env, void *arg, bool *present)
{
	struct repost_sync *s = arg;
	struct db_rows r = DB_ROWS_INIT;
	int rc = db_exec(env->db, id_shard(s->post), "SELECT user_id, post_type, original_id, "
	    "is_deleted, created_at FROM {db}.tb_post WHERE id = ?",
	    DB_PARAMS(DB_U64(s->post)), &r);

	if (rc == 0) {
		s->user = db_u64(&r, 0, 0);
		s->type = db_i64(&r, 0, 1);
		s->original = db_u64(&r, 0, 2);
		s->created_at = db_i64(&r, 0, 4);
		*present = r.nrows > 0 && db_i64(&r, 0, 3) == 0;
	}
	db_rows_free(&r);
	return rc == 0 ? 0 : -1;
}

struct repost_tx {
	struct repost_sync *s;
	bool                present;
};

static int
repost_apply_tx(struct db *db, void *arg)
{
	struct repost_tx *t = arg;
	struct repost_sync *s = t->s;
	const char *column = s->type == 1 ? "count_reposts" : "count_quote";
	unsigned shard = id_shard(s->original);

	if (t->present)
		return write_and_count(db, shard, "INSERT IGNORE INTO {db}.tb_post_repost_reversed "
		    "(original_id, post_id, user_id, post_type, created_at) VALUES (?, ?, ?, ?, ?)",
		    DB_PARAMS(DB_U64(s->original), DB_U64(s->post), DB_U64(s->user),
			DB_I64(s->type), DB_I64(s->created_at)), s->original, column, 1,
		    JOB_RECORD_UNKNOWN);
	return write_and_count(db, shard, "DELETE FROM {db}.tb_post_repost_reversed WHERE "
	    "original_id = ? AND post_id = ?",
	    DB_PARAMS(DB_U64(s->original), DB_U64(s->post)), s->original, column, -1,
	    JOB_RECORD_UNKNOWN);
}

static int
repost_apply(struct app_env *env, void *arg, bool present)
{
	struct repost_tx t = { arg, present };
	int rc;

	/* A post that is not a repost or quote (or no post at all) has nothing to mirror. */
	if (t.s->original == 0 || (t.s->type != 1 && t.s->type != 2))
		return 0;
	rc = db_tx(env->db, id_shard(t.s->original), repost_apply_tx, &t);
	post_counts_forget(env, t.s->original);
	return rc;
}

int
postsync_repost(struct app_env *env, json_object *payload, struct buf *err)
{
	static const struct sync_ops ops = { "repost.sync", repost_read, repost_apply };
	struct repost_sync s = { job_payload_id(payload, "post_id"), 0, 0, 0, 0 };

	if (s.post == 0) {
		buf_puts(err, "repost.sync: post_id is required");
		return -1;
	}
	return sync_run(env, &ops, &s, NULL, err);
}

/* ------------------------------------------------------------------------------------------ */
/* user_reply.sync {reply_id} */

struct reply_sync {
	uint64_t reply, user, post;
	int64_t  created_at;
};

static int
reply_read(struct app_env *env, void *arg, bool *present)
{
	struct reply_sync *s = arg;
	struct db_rows r = DB_ROWS_INIT;
	int rc = db_exec(env->db, id_shard(s->reply), "SELECT user_id, post_id, is_deleted, "
	    "created_at FROM {db}.tb_post_reply WHERE id = ?",
	    DB_PARAMS(DB_U64(s->reply)), &r);

	if (rc == 0) {
		s->user = db_u64(&r, 0, 0);
		s->post = db_u64(&r, 0, 1);
		s->created_at = db_i64(&r, 0, 3);
		*present = r.nrows > 0 && db_i64(&r, 0, 2) == 0;
	}
	db_rows_free(&r);
	return rc == 0 ? 0 : -1;
}

static int
reply_apply(struct app_env *env, void *arg, bool present)
{
	struct reply_sync *s = arg;

	if (s->user == 0)
		return 0;
	if (present)
		return db_exec(env->db, id_shard(s->user), "INSERT IGNORE INTO {db}.tb_user_reply "
		    "(user_id, reply_id, post_id, created_at) VALUES (?, ?, ?, ?)",
		    DB_PARAMS(DB_U64(s->user), DB_U64(s->reply), DB_U64(s->post),
			DB_I64(s->created_at)), NULL) == 0 ? 0 : -1;
	return db_exec(env->db, id_shard(s->user), "DELETE FROM {db}.tb_user_reply WHERE "
	    "user_id = ? AND reply_id = ?", DB_PARAMS(DB_U64(s->user), DB_U64(s->reply)),
	    NULL) == 0 ? 0 : -1;
}

int
postsync_user_reply(struct app_env *env, json_object *payload, struct buf *err)
{
	static const struct sync_ops ops = { "user_reply.sync", reply_read, reply_apply };
	struct reply_sync s = { job_payload_id(payload, "reply_id"), 0, 0, 0 };

	if (s.reply == 0) {
		buf_puts(err, "user_reply.sync: reply_id is required");
		return -1;
	}
	return sync_run(env, &ops, &s, NULL, err);
}

/* ------------------------------------------------------------------------------------------ */
/* hashtag.sync {record_id, tag, name} */

struct tag_sync {
	uint64_t    record, user, hashtag_id;
	const char *tag, *name;
	int64_t     type, created_at;
};

/* Whether the space-separated list holds key as one whole word. */
static bool
list_has(const char *list, const char *key)
{
	size_t n = strlen(key);

	while (*list) {
		size_t w = strcspn(list, " ");

		if (w == n && memcmp(list, key, n) == 0)
			return true;
		list += w;
		list += strspn(list, " ");
	}
	return false;
}

static int
tag_read(struct app_env *env, void *arg, bool *present)
{
	struct tag_sync *s = arg;
	struct db_rows r = DB_ROWS_INIT;
	int rc = db_exec(env->db, id_shard(s->record), "SELECT user_id, hashtags, is_deleted, "
	    "created_at, 0 FROM {db}.tb_post WHERE id = ? UNION ALL SELECT user_id, hashtags, "
	    "is_deleted, created_at, 1 FROM {db}.tb_post_reply WHERE id = ?",
	    DB_PARAMS(DB_U64(s->record), DB_U64(s->record)), &r);

	if (rc == 0) {
		s->user = db_u64(&r, 0, 0);
		s->created_at = db_i64(&r, 0, 3);
		s->type = db_i64(&r, 0, 4);
		*present = r.nrows > 0 && db_i64(&r, 0, 2) == 0 && list_has(db_str(&r, 0, 1), s->tag);
	}
	db_rows_free(&r);
	return rc == 0 ? 0 : -1;
}

static unsigned
tag_shard(struct app_env *env, const char *tag)
{
	return shard_for_key(db_shards(env->db), tag, strlen(tag));
}

struct tag_tx {
	struct tag_sync *s;
	struct app_env  *env;
	bool             present;
	uint64_t         new_id;   /* an ID made on the tag's shard, in case the tag is new */
};

static int
tag_apply_tx(struct db *db, void *arg)
{
	struct tag_tx *t = arg;
	struct tag_sync *s = t->s;
	unsigned shard = tag_shard(t->env, s->tag);
	struct db_rows r = DB_ROWS_INIT;
	int64_t now = clock_now_s();
	uint64_t hid;
	int rc = 0;

	/* The upsert takes the tag row's exclusive lock at once, new row or not. INSERT IGNORE took
	 * a shared lock on a row it found, and two posts of one tag then deadlocked upgrading it for
	 * the count below. */
	if (t->present)
		rc = db_exec(db, shard, "INSERT INTO {db}.tb_hashtag (id, tag_key, tag_name, "
		    "user_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) "
		    "ON DUPLICATE KEY UPDATE id = id",
		    DB_PARAMS(DB_U64(t->new_id), DB_STR(s->tag), DB_STR(s->name),
			DB_U64(s->user), DB_I64(now), DB_I64(now)), NULL);
	if (rc == 0)
		rc = db_exec(db, shard, "SELECT id FROM {db}.tb_hashtag WHERE tag_key = ? FOR UPDATE",
		    DB_PARAMS(DB_STR(s->tag)), &r);
	if (rc != 0 || r.nrows == 0) {
		/* No tag row and nothing to add: nothing was ever counted. */
		db_rows_free(&r);
		return rc == 0 ? 0 : -1;
	}
	hid = db_u64(&r, 0, 0);
	db_rows_free(&r);
	if (t->present)
		rc = db_exec(db, shard, "INSERT IGNORE INTO {db}.tb_post_reply_hashtag (hashtag_id, "
		    "record_id, content_type, user_id, created_at) VALUES (?, ?, ?, ?, ?)",
		    DB_PARAMS(DB_U64(hid), DB_U64(s->record), DB_I64(s->type), DB_U64(s->user),
			DB_I64(s->created_at)), &r);
	else
		rc = db_exec(db, shard, "DELETE FROM {db}.tb_post_reply_hashtag WHERE hashtag_id = ? "
		    "AND record_id = ?", DB_PARAMS(DB_U64(hid), DB_U64(s->record)), &r);
	if (rc == 0 && r.affected == 1)
		rc = db_exec(db, shard, t->present ?
		    "UPDATE {db}.tb_hashtag SET count_mentions = count_mentions + 1, updated_at = ? "
		    "WHERE id = ?" :
		    "UPDATE {db}.tb_hashtag SET count_mentions = count_mentions - 1, updated_at = ? "
		    "WHERE id = ? AND count_mentions > 0",
		    DB_PARAMS(DB_I64(now), DB_U64(hid)), NULL);
	db_rows_free(&r);
	return rc == 0 ? 0 : -1;
}

static int
tag_apply(struct app_env *env, void *arg, bool present)
{
	struct tag_tx t = { arg, env, present, 0 };

	/* The ID is made before the transaction: making one may touch shard 0 (the lease), which
	 * a transaction on another shard refuses. */
	if (present && idlease_next_id(env->ids, tag_shard(env, t.s->tag), &t.new_id) != 0)
		return -1;
	return db_tx(env->db, tag_shard(env, t.s->tag), tag_apply_tx, &t);
}

int
postsync_hashtag(struct app_env *env, json_object *payload, struct buf *err)
{
	static const struct sync_ops ops = { "hashtag.sync", tag_read, tag_apply };
	struct tag_sync s = { job_payload_id(payload, "record_id"), 0, 0, job_payload_str(payload, "tag"),
	    job_payload_str(payload, "name"), 0, 0 };

	if (s.record == 0 || s.tag == NULL || *s.tag == '\0' || strlen(s.tag) > 512) {
		buf_puts(err, "hashtag.sync: record_id and tag are required");
		return -1;
	}
	if (s.name == NULL || *s.name == '\0')
		s.name = s.tag;
	return sync_run(env, &ops, &s, NULL, err);
}
