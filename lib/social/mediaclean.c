/* mediaclean.c: tb_media, and the sweep of uploads no post needs (mediaclean.h). */
#include "config.h"

#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "ctx.h"
#include "db.h"
#include "job.h"
#include "jsonx.h"
#include "log.h"
#include "media.h"
#include "mediaclean.h"
#include "postview.h"
#include "shard.h"

enum { ST_UPLOADED, ST_ATTACHED, ST_RELEASED, ST_SWEEPING, ST_KEPT };

static unsigned
key_shard(struct app_env *env, const char *key)
{
	return shard_for_key(db_shards(env->db), key, strlen(key));
}

int
mediaclean_note(struct app_env *env, const char *key)
{
	int64_t now = clock_now_s();
	int rc;

	/* IGNORE: a second note of one key (a job run twice) keeps the first row's state. */
	rc = db_exec(env->db, key_shard(env, key), "INSERT IGNORE INTO {db}.tb_media (media_key, "
	    "state, created_at, updated_at) VALUES (?, 0, ?, ?)",
	    DB_PARAMS(DB_STR(key), DB_I64(now), DB_I64(now)), NULL);
	if (rc != 0)
		log_error("media %s: not noted for the clean-up; it is kept until removed by hand", key);
	return rc == 0 ? 0 : -1;
}

/* The state and record of key's row into *state (-1: no row) and *record. Returns 0 or -1. */
static int
read_row(struct app_env *env, const char *key, int *state, uint64_t *record)
{
	struct db_rows r = DB_ROWS_INIT;
	int rc = db_exec(env->db, key_shard(env, key), "SELECT state, record_id FROM {db}.tb_media "
	    "WHERE media_key = ?", DB_PARAMS(DB_STR(key)), &r);

	*state = -1;
	*record = 0;
	if (rc == 0 && r.nrows > 0) {
		*state = (int)db_i64(&r, 0, 0);
		*record = db_u64(&r, 0, 1);
	}
	db_rows_free(&r);
	return rc == 0 ? 0 : -1;
}

/* One body for attach (record_id > 0) and keep (0): the conditional UPDATE, and when it changed
 * nothing, the row read to tell why. */
static int
take(struct app_env *env, const char *url, uint64_t record_id)
{
	struct db_rows r = DB_ROWS_INIT;
	struct buf key = BUF_INIT;
	int64_t now = clock_now_s();
	uint64_t record;
	int rc = 0, state;

	/* Not an upload's URL (an older profile URL): nothing is tracked. */
	if (media_url_key(env->media, url, &key) != 0)
		goto out;
	/* s3: no row (the bucket's lifecycle rules clean up there), but the server learns only
	 * now that the upload was made: its processing is queued (media_uploaded). */
	if (!media_is_local(env->media)) {
		media_uploaded(env->media, buf_cstr(&key));
		goto out;
	}
	rc = record_id > 0 ?
	    db_exec(env->db, key_shard(env, buf_cstr(&key)), "UPDATE {db}.tb_media SET state = 1, "
		"record_id = ?, updated_at = ? WHERE media_key = ? AND (state IN (0, 2) OR "
		"(state = 1 AND record_id = ?))", DB_PARAMS(DB_U64(record_id), DB_I64(now),
		DB_STR(buf_cstr(&key)), DB_U64(record_id)), &r) :
	    db_exec(env->db, key_shard(env, buf_cstr(&key)), "UPDATE {db}.tb_media SET state = 4, "
		"updated_at = ? WHERE media_key = ? AND state IN (0, 1, 2)",
		DB_PARAMS(DB_I64(now), DB_STR(buf_cstr(&key))), &r);
	if (rc != 0 || r.affected == 1) {
		rc = rc == 0 ? 0 : -1;
		goto out;
	}
	if (read_row(env, buf_cstr(&key), &state, &record) != 0) {
		rc = -1;
		goto out;
	}
	/* No row (older than tb_media), kept, or this record's already (same second): fine. */
	if (state == -1 || state == ST_KEPT || (state == ST_ATTACHED && record == record_id))
		rc = 0;
	else if (state == ST_ATTACHED)
		rc = record_id > 0 ? MEDIACLEAN_TAKEN : 0;
	else
		rc = MEDIACLEAN_GONE;
out:
	db_rows_free(&r);
	buf_free(&key);
	return rc;
}

int
mediaclean_attach(struct app_env *env, const char *url, uint64_t record_id)
{
	return record_id == 0 ? -1 : take(env, url, record_id);
}

int
mediaclean_keep(struct app_env *env, const char *url)
{
	return take(env, url, 0);
}

/* Releases url's row if record_id still holds it. Returns 0 or -1. */
static int
release(struct app_env *env, const char *url, uint64_t record_id, int64_t now)
{
	struct buf key = BUF_INIT;
	int rc = 0;

	if (*url != '\0' && media_url_key(env->media, url, &key) == 0)
		rc = db_exec(env->db, key_shard(env, buf_cstr(&key)), "UPDATE {db}.tb_media SET "
		    "state = 2, updated_at = ? WHERE media_key = ? AND state = 1 AND record_id = ?",
		    DB_PARAMS(DB_I64(now), DB_STR(buf_cstr(&key)), DB_U64(record_id)),
		    NULL);
	buf_free(&key);
	return rc == 0 ? 0 : -1;
}

int
mediaclean_release_job(struct app_env *env, json_object *payload, struct buf *err)
{
	uint64_t id = job_payload_id(payload, "record_id");
	struct db_rows r = DB_ROWS_INIT;
	json_object *media = NULL;
	int64_t now = clock_now_s();
	size_t i, n;
	int rc = -1;

	if (id == 0) {
		buf_puts(err, MEDIACLEAN_JOB ": record_id missing");
		goto out;
	}
	if (post_row(env, id, &r) != 0) {
		buf_puts(err, MEDIACLEAN_JOB ": the record cannot be read");
		goto out;
	}
	/* Read again, not trusted from the payload: media of a live record are never released. */
	rc = 0;
	if (r.nrows == 0 || db_i64(&r, 0, POST_R_DELETED) == 0)
		goto out;
	media = post_row_media(&r, 0);
	n = json_object_array_length(media);
	/* Every image (image_url is the first of them, or the one of an older record). */
	for (i = 0; i < n && rc == 0; i++)
		rc = release(env, jsonx_str(json_object_array_get_idx(media, i), "url"), id, now);
	if (rc != 0 || release(env, db_str(&r, 0, POST_R_VIDEO), id, now) != 0) {
		buf_puts(err, MEDIACLEAN_JOB ": tb_media cannot be written");
		rc = -1;
	}
out:
	json_object_put(media);
	db_rows_free(&r);
	return rc;
}

/* Marks up to MEDIACLEAN_BATCH due rows of shard s as being swept. Returns 0 or -1. */
static int
mark_due(struct app_env *env, unsigned s, int64_t now)
{
	int64_t cut = now - env->conf.media_orphan_grace;

	return db_exec(env->db, s, "UPDATE {db}.tb_media SET state = 3, updated_at = ? WHERE "
	    "state IN (0, 2) AND updated_at <= ? ORDER BY updated_at LIMIT ?",
	    DB_PARAMS(DB_I64(now), DB_I64(cut), DB_I64(MEDIACLEAN_BATCH)), NULL) == 0 ?
	    0 : -1;
}

/* Removes the files of one marked row, then the row. Returns 0 or -1. */
static int
sweep_one(struct app_env *env, unsigned s, const char *key)
{
	int rc = media_remove(env->media, key);

	/* MEDIA_FORGED: a row whose key is none (written by hand): it has no files to remove. */
	if (rc < 0)
		return -1;
	return db_exec(env->db, s, "DELETE FROM {db}.tb_media WHERE media_key = ? AND state = 3",
	    DB_PARAMS(DB_STR(key)), NULL) == 0 ? 0 : -1;
}

/* One batch: marks, then sweeps every marked row (those a crash left marked too). Returns how
 * many were removed, or -1; *more when the batch was full. */
static long
sweep_batch(struct app_env *env, unsigned s, int64_t now, bool *more)
{
	struct db_rows r = DB_ROWS_INIT;
	long n = 0;
	size_t i;

	*more = false;
	if (mark_due(env, s, now) != 0 ||
	    db_exec(env->db, s, "SELECT media_key FROM {db}.tb_media WHERE state = 3 LIMIT ?",
	    DB_PARAMS(DB_I64(MEDIACLEAN_BATCH)), &r) != 0) {
		n = -1;
		goto out;
	}
	for (i = 0; i < r.nrows && n >= 0; i++)
		n = sweep_one(env, s, db_str(&r, i, 0)) == 0 ? n + 1 : -1;
	*more = n >= 0 && r.nrows == MEDIACLEAN_BATCH;
out:
	db_rows_free(&r);
	return n;
}

long
mediaclean_sweep(struct app_env *env, unsigned s, int64_t now)
{
	long total = 0, n;
	bool more = true;

	if (!media_is_local(env->media) || env->conf.media_local_dir[0] == '\0')
		return 0;
	while (more && total < MEDIACLEAN_RUN_MAX) {
		if ((n = sweep_batch(env, s, now, &more)) < 0)
			return -1;
		total += n;
	}
	return total;
}

int
mediaclean_counts(struct db *db, unsigned s, int64_t now, long grace,
    struct mediaclean_counts *c)
{
	struct db_rows r = DB_ROWS_INIT;
	size_t i;
	int rc;

	memset(c, 0, sizeof *c);
	rc = db_exec(db, s, "SELECT state, COUNT(*), COALESCE(SUM(updated_at <= ?), 0) FROM "
	    "{db}.tb_media GROUP BY state", DB_PARAMS(DB_I64(now - grace)), &r);
	for (i = 0; rc == 0 && i < r.nrows; i++) {
		int64_t st = db_i64(&r, i, 0);
		uint64_t n = db_u64(&r, i, 1), due = db_u64(&r, i, 2);

		if (st < 0 || st > ST_KEPT)
			continue;
		c->by_state[st] = n;
		if (st == ST_SWEEPING)
			c->due += n;
		else if (st == ST_UPLOADED || st == ST_RELEASED) {
			c->due += due;
			c->waiting += n - due;
		}
	}
	db_rows_free(&r);
	return rc == 0 ? 0 : -1;
}
