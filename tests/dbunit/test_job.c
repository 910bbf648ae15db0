/* test_job.c: lib/social/job.c against real MariaDB instances (two) and memcached, with Starling's
 * schema, started by tests/dbunit/run.sh (on the dbunit harness): queueing in a transaction,
 * claiming, running a job twice, jobs run out of order, back-off and failing for good, and each
 * sync handler (likes, reposts and quotes, a user's replies, hashtags) with its counters and cache
 * keys; what the worker uses: the next ready job (oldest first, SKIP LOCKED), jobs put back from a
 * dead runner, clean-ups in batches; what the operator uses: the jobs set aside listed (fields,
 * order, limit), put back one by one or all at once, and refused for any other job; the kinds run
 * only as the installed table has them. Skipped (77) when run without the servers.
 *
 * It needs run.sh's layout (8 shards, 0-3 on the first instance, 4-7 on the second) and runs
 * first there, on fresh servers: its worker tests take "the next job" of a shard. */
#include "config.h"

#include "harness.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app.h"
#include "buf.h"
#include "cache.h"
#include "conf.h"
#include "db.h"
#include "id.h"
#include "idlease.h"
#include "job.h"
#include "jobkinds.h"
#include "shard.h"

/* Shards of the test's users: 8 shards, 0-3 on the first instance, 4-7 on the second, so
 * every cross-shard write here also crosses instances. */
#define SHARD_A 1
#define SHARD_B 6
/* The worker's tests take "the next job" of a shard: one no other test queues on. */
#define SHARD_C 3

struct queue_arg {
	unsigned    shard;
	uint64_t    id;
	const char *type;
	json_object *payload;
};

static int
queue_tx(struct db *db, void *arg)
{
	struct queue_arg *q = arg;

	return job_queue(db, q->shard, q->id, q->type, q->payload);
}

/* Queues a job on shard in a transaction of its own; payload is JSON text. Returns its ID. */
static uint64_t
queue(unsigned shard, const char *type, const char *payload)
{
	struct queue_arg q = { shard, dbunit_new_id(shard), type, json_tokener_parse(payload) };

	assert_non_null(q.payload);
	assert_int_equal(db_tx(dbunit_env.db, shard, queue_tx, &q), 0);
	json_object_put(q.payload);
	return q.id;
}

static json_object *
ids_payload(const char *a, uint64_t x, const char *b, uint64_t y)
{
	json_object *o = json_object_new_object();
	char s[24];

	snprintf(s, sizeof s, "%" PRIu64, x);
	json_object_object_add(o, a, json_object_new_string(s));
	if (b != NULL) {
		snprintf(s, sizeof s, "%" PRIu64, y);
		json_object_object_add(o, b, json_object_new_string(s));
	}
	return o;
}

static uint64_t
queue_ids(unsigned shard, const char *type, const char *a, uint64_t x, const char *b, uint64_t y)
{
	json_object *o = ids_payload(a, x, b, y);
	uint64_t id = queue(shard, type, json_object_to_json_string(o));

	json_object_put(o);
	return id;
}

static int64_t
job_col(unsigned shard, uint64_t id, const char *column)
{
	char sql[120];

	snprintf(sql, sizeof sql, "SELECT %s FROM {db}.tb_job WHERE id = ?", column);
	return (int64_t)dbunit_value(shard, sql, id, 0);
}

/* A like or unlike as post.c writes it: the source row on the liker's shard, and its job. */
static uint64_t
like(uint64_t liker, uint64_t record, bool on)
{
	if (on)
		dbunit_exec(id_shard(liker), "INSERT IGNORE INTO {db}.tb_post_like (id, record_id, "
		    "liker_id, created_at) VALUES (?, ?, ?, 1)",
		    DB_PARAMS(DB_U64(dbunit_new_id(id_shard(liker))), DB_U64(record), DB_U64(liker)));
	else
		dbunit_exec(id_shard(liker), "DELETE FROM {db}.tb_post_like WHERE liker_id = ? AND "
		    "record_id = ?", DB_PARAMS(DB_U64(liker), DB_U64(record)));
	return queue_ids(id_shard(liker), "like.sync", "liker_id", liker, "record_id", record);
}

static uint64_t
reversed_likes(uint64_t record)
{
	return dbunit_value(id_shard(record), "SELECT COUNT(*) FROM {db}.tb_post_like_reversed WHERE "
	    "record_id = ?", record, 0);
}

static void
test_like_run_twice_and_cache(void **state)
{
	uint64_t author = dbunit_new_id(SHARD_A), liker = dbunit_new_id(SHARD_B);
	uint64_t post = dbunit_post_row(author, 0, 0, "");
	uint64_t job;
	struct buf key = BUF_INIT, val = BUF_INIT;

	(void)state;
	job = like(liker, post, true);
	assert_int_equal(job_col(SHARD_B, job, "state"), JOB_READY);
	/* A cached count must go when the job changes it. */
	buf_printf(&key, "postx:%" PRIu64, post);
	assert_int_equal(cache_set(dbunit_env.cache, buf_cstr(&key), "0 0 0 0", 7, 60), 1);

	assert_int_equal(job_run(&dbunit_env, SHARD_B, job), 1);
	assert_int_equal(job_col(SHARD_B, job, "state"), JOB_DONE);
	assert_int_equal(dbunit_post_count(post, "count_likes"), 1);
	assert_int_equal(reversed_likes(post), 1);
	assert_int_equal(cache_get(dbunit_env.cache, buf_cstr(&key), &val), 0);

	/* The same job again is not claimed; a second job for the same like changes nothing. */
	assert_int_equal(job_run(&dbunit_env, SHARD_B, job), 0);
	job = queue_ids(SHARD_B, "like.sync", "liker_id", liker, "record_id", post);
	assert_int_equal(job_run(&dbunit_env, SHARD_B, job), 1);
	assert_int_equal(dbunit_post_count(post, "count_likes"), 1);
	assert_int_equal(reversed_likes(post), 1);
	/* No such job: nothing to claim. */
	assert_int_equal(job_run(&dbunit_env, SHARD_B, job + 1), 0);
	buf_free(&key);
	buf_free(&val);
}

static void
test_like_jobs_out_of_order(void **state)
{
	uint64_t author = dbunit_new_id(SHARD_A), liker = dbunit_new_id(SHARD_B);
	uint64_t other = dbunit_new_id(SHARD_A);
	uint64_t post = dbunit_post_row(author, 0, 0, "");
	uint64_t j_like, j_unlike, j_like2;

	(void)state;
	/* Like then unlike, the unlike's job first: each reads the source, so both end "not liked". */
	j_like = like(liker, post, true);
	j_unlike = like(liker, post, false);
	assert_int_equal(job_run(&dbunit_env, SHARD_B, j_unlike), 1);
	assert_int_equal(dbunit_post_count(post, "count_likes"), 0);
	assert_int_equal(job_run(&dbunit_env, SHARD_B, j_like), 1);
	assert_int_equal(dbunit_post_count(post, "count_likes"), 0);
	assert_int_equal(reversed_likes(post), 0);

	/* Like, unlike, like again, jobs in reverse order: liked once. A second liker on the
	 * post's own shard counts too. */
	j_like = like(liker, post, true);
	j_unlike = like(liker, post, false);
	j_like2 = like(liker, post, true);
	assert_int_equal(job_run(&dbunit_env, SHARD_B, j_like2), 1);
	assert_int_equal(job_run(&dbunit_env, SHARD_B, j_unlike), 1);
	assert_int_equal(job_run(&dbunit_env, SHARD_B, j_like), 1);
	assert_int_equal(dbunit_post_count(post, "count_likes"), 1);
	assert_int_equal(job_run(&dbunit_env, SHARD_A, like(other, post, true)), 1);
	assert_int_equal(dbunit_post_count(post, "count_likes"), 2);
	assert_int_equal(reversed_likes(post), 2);
}

static void
test_failing_job_backs_off_then_fails(void **state)
{
	uint64_t job;
	unsigned i;
	int64_t before, wait;

	(void)state;
	/* A payload the handler refuses: a failure that is retried (the handler cannot tell a bad
	 * payload from a row that is not there yet). */
	job = queue(SHARD_A, "like.sync", "{\"liker_id\":\"x\"}");
	for (i = 1; i < JOB_MAX_ATTEMPTS; i++) {
		before = (int64_t)time(NULL);
		assert_int_equal(job_run(&dbunit_env, SHARD_A, job), -1);
		assert_int_equal(job_col(SHARD_A, job, "state"), JOB_READY);
		assert_int_equal(job_col(SHARD_A, job, "attempts"), i);
		wait = job_col(SHARD_A, job, "run_after") - before;
		assert_true(wait >= job_backoff(i) - 1 && wait <= job_backoff(i) + 1);
		assert_int_equal(job_col(SHARD_A, job, "locked_at"), 0);
	}
	/* The back-off doubles, up to its ceiling. */
	assert_int_equal(job_backoff(1), JOB_BACKOFF_BASE);
	assert_int_equal(job_backoff(2), 2 * JOB_BACKOFF_BASE);
	assert_int_equal(job_backoff(3), 4 * JOB_BACKOFF_BASE);
	assert_int_equal(job_backoff(40), JOB_BACKOFF_MAX);
	/* The last attempt: failed for good, never claimed again. */
	assert_int_equal(job_run(&dbunit_env, SHARD_A, job), -1);
	assert_int_equal(job_col(SHARD_A, job, "state"), JOB_FAILED);
	assert_int_equal(job_col(SHARD_A, job, "attempts"), JOB_MAX_ATTEMPTS);
	assert_int_equal(job_run(&dbunit_env, SHARD_A, job), 0);

	/* An unknown type or a payload that is not an object fails for good at once. */
	job = queue(SHARD_A, "no.such.type", "{}");
	assert_int_equal(job_run(&dbunit_env, SHARD_A, job), -1);
	assert_int_equal(job_col(SHARD_A, job, "state"), JOB_FAILED);
	job = queue(SHARD_A, "like.sync", "[1]");
	assert_int_equal(job_run(&dbunit_env, SHARD_A, job), -1);
	assert_int_equal(job_col(SHARD_A, job, "state"), JOB_FAILED);
}

/* Queues, then fails: the transaction rolls back, and the job with it. */
static int
queue_then_fail_tx(struct db *db, void *arg)
{
	return queue_tx(db, arg) == 0 ? -1 : 0;
}

static void
test_queue_rolls_back_with_its_transaction(void **state)
{
	struct queue_arg q = { SHARD_A, dbunit_new_id(SHARD_A), "like.sync", NULL };

	(void)state;
	q.payload = json_object_new_object();
	assert_int_equal(db_tx(dbunit_env.db, SHARD_A, queue_then_fail_tx, &q), -1);
	assert_int_equal(dbunit_value(SHARD_A, "SELECT COUNT(*) FROM {db}.tb_job WHERE id = ?", q.id,
	    0), 0);
	assert_int_equal(job_run(&dbunit_env, SHARD_A, q.id), 0);
	/* Committed: there, ready, run_after not in the future. */
	assert_int_equal(db_tx(dbunit_env.db, SHARD_A, queue_tx, &q), 0);
	assert_int_equal(job_col(SHARD_A, q.id, "state"), JOB_READY);
	assert_true(job_col(SHARD_A, q.id, "run_after") <= (int64_t)time(NULL));
	json_object_put(q.payload);
}

static void
test_repost_and_quote_counts(void **state)
{
	uint64_t author = dbunit_new_id(SHARD_A), fan = dbunit_new_id(SHARD_B);
	uint64_t post = dbunit_post_row(author, 0, 0, "");
	uint64_t repost = dbunit_post_row(fan, 1, post, ""), quote = dbunit_post_row(fan, 2, post, "");
	uint64_t j;

	(void)state;
	j = queue_ids(SHARD_B, "repost.sync", "post_id", repost, NULL, 0);
	assert_int_equal(job_run(&dbunit_env, SHARD_B, j), 1);
	j = queue_ids(SHARD_B, "repost.sync", "post_id", quote, NULL, 0);
	assert_int_equal(job_run(&dbunit_env, SHARD_B, j), 1);
	j = queue_ids(SHARD_B, "repost.sync", "post_id", quote, NULL, 0);
	assert_int_equal(job_run(&dbunit_env, SHARD_B, j), 1);
	assert_int_equal(dbunit_post_count(post, "count_reposts"), 1);
	assert_int_equal(dbunit_post_count(post, "count_quote"), 1);
	assert_int_equal(dbunit_value(SHARD_A, "SELECT user_id FROM {db}.tb_post_repost_reversed WHERE "
	    "original_id = ? AND post_id = ?", post, quote), fan);

	/* Deleted (softly): the mirror row and the count go. */
	dbunit_exec(SHARD_B, "UPDATE {db}.tb_post SET is_deleted = 1 WHERE id = ?",
	    DB_PARAMS(DB_U64(repost)));
	j = queue_ids(SHARD_B, "repost.sync", "post_id", repost, NULL, 0);
	assert_int_equal(job_run(&dbunit_env, SHARD_B, j), 1);
	assert_int_equal(dbunit_post_count(post, "count_reposts"), 0);
	assert_int_equal(dbunit_post_count(post, "count_quote"), 1);
	assert_int_equal(dbunit_value(SHARD_A, "SELECT COUNT(*) FROM {db}.tb_post_repost_reversed WHERE "
	    "original_id = ?", post, 0), 1);
	/* An original post has nothing to mirror. */
	j = queue_ids(SHARD_A, "repost.sync", "post_id", post, NULL, 0);
	assert_int_equal(job_run(&dbunit_env, SHARD_A, j), 1);
}

static void
test_user_reply_mirror(void **state)
{
	uint64_t author = dbunit_new_id(SHARD_A), replier = dbunit_new_id(SHARD_B);
	uint64_t post = dbunit_post_row(author, 0, 0, ""), reply = dbunit_new_id(SHARD_A), j;

	(void)state;
	dbunit_exec(SHARD_A, "INSERT INTO {db}.tb_post_reply (id, user_id, post_id, created_at) VALUES "
	    "(?, ?, ?, 5)", DB_PARAMS(DB_U64(reply), DB_U64(replier), DB_U64(post)));
	j = queue_ids(SHARD_A, "user_reply.sync", "reply_id", reply, NULL, 0);
	assert_int_equal(job_run(&dbunit_env, SHARD_A, j), 1);
	assert_int_equal(dbunit_value(SHARD_B, "SELECT post_id FROM {db}.tb_user_reply WHERE user_id = ? "
	    "AND reply_id = ?", replier, reply), post);
	dbunit_exec(SHARD_A, "UPDATE {db}.tb_post_reply SET is_deleted = 1 WHERE id = ?",
	    DB_PARAMS(DB_U64(reply)));
	j = queue_ids(SHARD_A, "user_reply.sync", "reply_id", reply, NULL, 0);
	assert_int_equal(job_run(&dbunit_env, SHARD_A, j), 1);
	assert_int_equal(dbunit_value(SHARD_B, "SELECT COUNT(*) FROM {db}.tb_user_reply WHERE user_id = ? "
	    "AND reply_id = ?", replier, reply), 0);
}

static uint64_t
tag_job(unsigned shard, uint64_t record, const char *tag)
{
	json_object *o = ids_payload("record_id", record, NULL, 0);
	uint64_t id;

	json_object_object_add(o, "tag", json_object_new_string(tag));
	json_object_object_add(o, "name", json_object_new_string("Written"));
	id = queue(shard, "hashtag.sync", json_object_to_json_string(o));
	json_object_put(o);
	return id;
}

static void
test_hashtags(void **state)
{
	uint64_t a = dbunit_new_id(SHARD_A), b = dbunit_new_id(SHARD_B);
	char tag[40];
	uint64_t p1, p2, hid;
	unsigned ts;
	int i;

	(void)state;
	/* A tag nobody used before (the tests share the databases with other runs of this test). */
	snprintf(tag, sizeof tag, "t%" PRIx64, dbunit_new_id(0));
	ts = shard_for_key(db_shards(dbunit_env.db), tag, strlen(tag));
	p1 = dbunit_post_row(a, 0, 0, "other");
	p2 = dbunit_post_row(b, 0, 0, "");
	dbunit_exec(SHARD_A, "UPDATE {db}.tb_post SET hashtags = CONCAT('x ', ?, ' y') WHERE id = ?",
	    DB_PARAMS(DB_STR(tag), DB_U64(p1)));
	dbunit_exec(SHARD_B, "UPDATE {db}.tb_post SET hashtags = ? WHERE id = ?",
	    DB_PARAMS(DB_STR(tag), DB_U64(p2)));
	/* Twice each: counted once. */
	for (i = 0; i < 2; i++) {
		assert_int_equal(job_run(&dbunit_env, SHARD_A, tag_job(SHARD_A, p1, tag)), 1);
		assert_int_equal(job_run(&dbunit_env, SHARD_B, tag_job(SHARD_B, p2, tag)), 1);
	}
	{
		struct db_rows r = DB_ROWS_INIT;

		assert_int_equal(db_exec(dbunit_env.db, ts, "SELECT id, count_mentions, tag_name FROM "
		    "{db}.tb_hashtag WHERE tag_key = ?", DB_PARAMS(DB_STR(tag)), &r), 0);
		assert_int_equal(r.nrows, 1);
		hid = db_u64(&r, 0, 0);
		assert_int_equal(id_shard(hid), ts);
		assert_int_equal(db_u64(&r, 0, 1), 2);
		assert_string_equal(db_str(&r, 0, 2), "Written");
		db_rows_free(&r);
	}
	assert_int_equal(dbunit_value(ts, "SELECT COUNT(*) FROM {db}.tb_post_reply_hashtag WHERE "
	    "hashtag_id = ?", hid, 0), 2);
	/* A tag the record does not carry ("y" is in the list, "x y" is not one tag). */
	assert_int_equal(job_run(&dbunit_env, SHARD_B, tag_job(SHARD_B, p2, "other")), 1);
	/* Deleted: uncounted. */
	dbunit_exec(SHARD_A, "UPDATE {db}.tb_post SET is_deleted = 1 WHERE id = ?",
	    DB_PARAMS(DB_U64(p1)));
	assert_int_equal(job_run(&dbunit_env, SHARD_A, tag_job(SHARD_A, p1, tag)), 1);
	assert_int_equal(dbunit_value(ts, "SELECT count_mentions FROM {db}.tb_hashtag WHERE id = ?",
	    hid, 0), 1);
	assert_int_equal(dbunit_value(ts, "SELECT COUNT(*) FROM {db}.tb_post_reply_hashtag WHERE "
	    "hashtag_id = ? AND record_id = ?", hid, p1), 0);
}

/* ------------------------------------------------------------------------------------------ */
/* What the worker uses */

/* A job on SHARD_C that succeeds without data (a like of nothing: nothing to mirror), ready
 * since run_after. */
static uint64_t
ready_job(int64_t run_after)
{
	uint64_t job = queue_ids(SHARD_C, "like.sync", "liker_id", dbunit_new_id(SHARD_B), "record_id",
	    dbunit_new_id(SHARD_A));

	dbunit_exec(SHARD_C, "UPDATE {db}.tb_job SET run_after = ? WHERE id = ?",
	    DB_PARAMS(DB_I64(run_after), DB_U64(job)));
	return job;
}

static void
test_run_next_oldest_ready_first(void **state)
{
	int64_t now = (int64_t)time(NULL);
	uint64_t late, early, future, bad;
	struct job_ran ran;

	(void)state;
	dbunit_exec(SHARD_C, "DELETE FROM {db}.tb_job", NULL, 0);
	assert_int_equal(job_run_next(&dbunit_env, SHARD_C, &ran), 0);
	assert_int_equal(ran.id, 0);
	late = ready_job(now - 10);
	early = ready_job(now - 20);
	future = ready_job(now + 100);
	assert_int_equal(job_run_next(&dbunit_env, SHARD_C, &ran), 1);
	assert_int_equal(ran.id, early);
	assert_string_equal(ran.type, "like.sync");
	assert_int_equal(job_col(SHARD_C, early, "state"), JOB_DONE);
	assert_int_equal(job_run_next(&dbunit_env, SHARD_C, &ran), 1);
	assert_int_equal(ran.id, late);
	/* Not before its run_after. */
	assert_int_equal(job_run_next(&dbunit_env, SHARD_C, &ran), 0);
	assert_int_equal(job_col(SHARD_C, future, "state"), JOB_READY);

	/* A failing job: -1 with its ID, recorded as job_run records it. */
	bad = queue(SHARD_C, "no.such.type", "{}");
	assert_int_equal(job_run_next(&dbunit_env, SHARD_C, &ran), -1);
	assert_int_equal(ran.id, bad);
	assert_string_equal(ran.type, "no.such.type");
	assert_int_equal(job_col(SHARD_C, bad, "state"), JOB_FAILED);
	assert_int_equal(job_run_next(&dbunit_env, SHARD_C, &ran), 0);
	/* A shard that does not exist: -1 with no ID (the database failed, nothing claimed). */
	assert_int_equal(job_run_next(&dbunit_env, 1000, &ran), -1);
	assert_int_equal(ran.id, 0);
}

/* Which shards of an instance have a ready job: one statement, the instance's slots set (false
 * too), the other instance's left alone. */
static void
test_ready_shards(void **state)
{
	int64_t now = (int64_t)time(NULL);
	bool ready[8];
	unsigned s;

	(void)state;
	for (s = 0; s < 4; s++)
		dbunit_exec(s, "DELETE FROM {db}.tb_job", NULL, 0);
	memset(ready, 1, sizeof ready);
	assert_int_equal(job_ready_shards(&dbunit_env, 0, ready), 0);
	for (s = 0; s < 8; s++)
		assert_int_equal(ready[s], s >= 4);   /* instance 1's slots untouched */

	(void)ready_job(now - 5);                 /* SHARD_C (3): ready */
	dbunit_exec(2, "INSERT INTO {db}.tb_job (id, type, payload, state, run_after, created_at, "
	    "updated_at) VALUES (?, 'like.sync', '{}', 0, ?, ?, ?)",
	    DB_PARAMS(DB_U64(dbunit_new_id(2)), DB_I64(now + 100), DB_I64(now), DB_I64(now)));   /* not yet */
	dbunit_exec(1, "INSERT INTO {db}.tb_job (id, type, payload, state, run_after, created_at, "
	    "updated_at) VALUES (?, 'like.sync', '{}', 3, ?, ?, ?)",
	    DB_PARAMS(DB_U64(dbunit_new_id(1)), DB_I64(now - 5), DB_I64(now), DB_I64(now)));     /* set aside */
	memset(ready, 0, sizeof ready);
	assert_int_equal(job_ready_shards(&dbunit_env, 0, ready), 1);
	for (s = 0; s < 8; s++)
		assert_int_equal(ready[s], s == SHARD_C);
	/* An instance that holds no shard: nothing to ask. */
	assert_int_equal(job_ready_shards(&dbunit_env, 7, ready), 0);
	for (s = 0; s < 4; s++)
		dbunit_exec(s, "DELETE FROM {db}.tb_job", NULL, 0);
}

/* Holds the row lock of one job on another connection (another runner claiming it) while this
 * process looks for the next job. */
struct holder {
	uint64_t held;
	int      rc;
	struct job_ran ran;
};

static int
hold_tx(struct db *other, void *arg)
{
	struct holder *h = arg;

	if (db_exec(other, SHARD_C, "SELECT id FROM {db}.tb_job WHERE id = ? FOR UPDATE",
	    DB_PARAMS(DB_U64(h->held)), NULL) != 0)
		return -1;
	h->rc = job_run_next(&dbunit_env, SHARD_C, &h->ran);
	return 0;
}

static void
test_run_next_skips_locked_rows(void **state)
{
	int64_t now = (int64_t)time(NULL);
	struct buf err = BUF_INIT;
	struct holder h;
	struct db *other;
	uint64_t second;

	(void)state;
	other = db_new(&dbunit_env.conf, &err);
	assert_non_null(other);
	dbunit_exec(SHARD_C, "DELETE FROM {db}.tb_job", NULL, 0);
	memset(&h, 0, sizeof h);
	h.held = ready_job(now - 30);
	second = ready_job(now - 5);
	/* The oldest is locked: the next one is taken at once, without waiting for the lock. */
	assert_int_equal(db_tx(other, SHARD_C, hold_tx, &h), 0);
	assert_int_equal(h.rc, 1);
	assert_int_equal(h.ran.id, second);
	assert_int_equal(job_col(SHARD_C, h.held, "state"), JOB_READY);
	/* Only the locked one is ready: nothing for us (0, not an error, not a wait). */
	assert_int_equal(db_tx(other, SHARD_C, hold_tx, &h), 0);
	assert_int_equal(h.rc, 0);
	assert_int_equal(h.ran.id, 0);
	/* Released: ours. */
	assert_int_equal(job_run_next(&dbunit_env, SHARD_C, &h.ran), 1);
	assert_int_equal(h.ran.id, h.held);
	db_free(other);
	buf_free(&err);
}

/* A job as a runner that died left it: claimed at locked_at, attempts so far. */
static uint64_t
abandoned_job(int64_t locked_at, unsigned attempts)
{
	uint64_t job = ready_job(0);

	dbunit_exec(SHARD_C, "UPDATE {db}.tb_job SET state = 1, locked_by = 'gone:42', locked_at = ?, "
	    "attempts = ? WHERE id = ?",
	    DB_PARAMS(DB_I64(locked_at), DB_I64(attempts), DB_U64(job)));
	return job;
}

static void
test_reap_puts_back_abandoned_jobs(void **state)
{
	int64_t now = (int64_t)time(NULL);
	uint64_t old, fresh, last;
	struct db_rows r = DB_ROWS_INIT;
	struct job_ran ran;

	(void)state;
	dbunit_exec(SHARD_C, "DELETE FROM {db}.tb_job", NULL, 0);
	old = abandoned_job(now - 301, 2);
	fresh = abandoned_job(now - 10, 0);
	last = abandoned_job(now - 1000, JOB_MAX_ATTEMPTS - 1);
	assert_int_equal(job_reap(dbunit_env.db, SHARD_C, now, 300), 2);
	/* Ready again at once, the attempt counted, the dead runner named. */
	assert_int_equal(job_col(SHARD_C, old, "state"), JOB_READY);
	assert_int_equal(job_col(SHARD_C, old, "attempts"), 3);
	assert_int_equal(job_col(SHARD_C, old, "locked_at"), 0);
	assert_true(job_col(SHARD_C, old, "run_after") <= now);
	assert_int_equal(db_exec(dbunit_env.db, SHARD_C, "SELECT last_error, locked_by FROM {db}.tb_job "
	    "WHERE id = ?", DB_PARAMS(DB_U64(old)), &r), 0);
	assert_string_equal(db_str(&r, 0, 0), "abandoned by gone:42: no outcome within 300 s");
	assert_string_equal(db_str(&r, 0, 1), "");
	db_rows_free(&r);
	/* Its runner may still be alive (only slow): the job is no longer its to finish. */
	assert_int_equal(job_col(SHARD_C, fresh, "state"), JOB_RUNNING);
	/* The last attempt: set aside, never claimed again. */
	assert_int_equal(job_col(SHARD_C, last, "state"), JOB_FAILED);
	assert_int_equal(job_col(SHARD_C, last, "attempts"), JOB_MAX_ATTEMPTS);
	assert_int_equal(job_reap(dbunit_env.db, SHARD_C, now, 300), 0);
	assert_int_equal(job_run_next(&dbunit_env, SHARD_C, &ran), 1);
	assert_int_equal(ran.id, old);
	assert_int_equal(job_run_next(&dbunit_env, SHARD_C, &ran), 0);
	/* A shard that does not exist. */
	assert_int_equal(job_reap(dbunit_env.db, 1000, now, 300), -1);
}

struct queue_many_arg {
	unsigned              shard;
	const struct job_new *jobs;
	size_t                n;
};

static int
queue_many_tx(struct db *db, void *arg)
{
	struct queue_many_arg *q = arg;

	return job_queue_many(db, q->shard, q->jobs, q->n);
}

/* Jobs queued held, as a request queues those it runs itself: one insert for all, claimed by
 * this runner from the start (a worker passes them by), run from their payloads, the done ones
 * marked in one update, a failure given back to the workers with its attempt counted; a ready
 * job of the same batch left alone; a held job whose runner died given back by the reaper. */
static void
test_held_jobs_run_by_their_request(void **state)
{
	uint64_t author = dbunit_new_id(SHARD_A), liker = dbunit_new_id(SHARD_C);
	uint64_t post = dbunit_post_row(author, 0, 0, "");
	json_object *good = ids_payload("liker_id", liker, "record_id", post);
	json_object *bad = json_tokener_parse("{\"liker_id\":\"x\"}");
	json_object *other = ids_payload("liker_id", liker, "record_id", post);
	struct job_new jobs[3] = {
		{ .id = dbunit_new_id(SHARD_C), .type = "like.sync", .payload = good, .held = true },
		{ .id = dbunit_new_id(SHARD_C), .type = "like.sync", .payload = bad, .held = true },
		{ .id = dbunit_new_id(SHARD_C), .type = "like.sync", .payload = other, .held = false },
	};
	struct queue_many_arg q = { SHARD_C, jobs, 3 };
	struct job_ran ran;
	uint64_t rt0;
	int64_t now = (int64_t)time(NULL);

	(void)state;
	dbunit_exec(SHARD_C, "DELETE FROM {db}.tb_job", NULL, 0);
	dbunit_exec(SHARD_C, "INSERT IGNORE INTO {db}.tb_post_like (id, record_id, liker_id, "
	    "created_at) VALUES (?, ?, ?, 1)", DB_PARAMS(DB_U64(dbunit_new_id(SHARD_C)),
		DB_U64(post), DB_U64(liker)));
	rt0 = db_round_trips(dbunit_env.db);
	assert_int_equal(db_tx(dbunit_env.db, SHARD_C, queue_many_tx, &q), 0);
	/* START TRANSACTION, one INSERT for the three rows, COMMIT. */
	assert_int_equal(db_round_trips(dbunit_env.db) - rt0, 3);
	assert_int_equal(job_col(SHARD_C, jobs[0].id, "state"), JOB_RUNNING);
	assert_int_equal(job_col(SHARD_C, jobs[1].id, "state"), JOB_RUNNING);
	assert_int_equal(job_col(SHARD_C, jobs[2].id, "state"), JOB_READY);
	assert_true(job_col(SHARD_C, jobs[0].id, "locked_at") >= now);

	/* Held rows are passed by: the worker's next job is the ready one. */
	assert_int_equal(job_run_next(&dbunit_env, SHARD_C, &ran), 1);
	assert_int_equal(ran.id, jobs[2].id);
	assert_int_equal(job_run_next(&dbunit_env, SHARD_C, &ran), 0);

	/* The request runs its held jobs: one fails. */
	assert_int_equal(job_run_held(&dbunit_env, SHARD_C, jobs, 3), 1);
	assert_int_equal(job_col(SHARD_C, jobs[0].id, "state"), JOB_DONE);
	assert_int_equal(dbunit_post_count(post, "count_likes"), 1);
	assert_int_equal(job_col(SHARD_C, jobs[1].id, "state"), JOB_READY);
	assert_int_equal(job_col(SHARD_C, jobs[1].id, "attempts"), 1);
	assert_int_equal(job_col(SHARD_C, jobs[1].id, "locked_at"), 0);
	assert_true(job_col(SHARD_C, jobs[1].id, "run_after") >= now + job_backoff(1) - 1);
	/* Run again: nothing is held any more, nothing changes. */
	assert_int_equal(job_run_held(&dbunit_env, SHARD_C, jobs, 1), 0);
	assert_int_equal(dbunit_post_count(post, "count_likes"), 1);

	/* A request that died after its commit: the reaper gives its held row back. */
	jobs[0].id = dbunit_new_id(SHARD_C);
	q.n = 1;
	assert_int_equal(db_tx(dbunit_env.db, SHARD_C, queue_many_tx, &q), 0);
	dbunit_exec(SHARD_C, "UPDATE {db}.tb_job SET locked_at = locked_at - 1000 WHERE id = ?",
	    DB_PARAMS(DB_U64(jobs[0].id)));
	assert_int_equal(job_reap(dbunit_env.db, SHARD_C, (int64_t)time(NULL), 300), 1);
	assert_int_equal(job_run_next(&dbunit_env, SHARD_C, &ran), 1);
	assert_int_equal(ran.id, jobs[0].id);
	assert_int_equal(dbunit_post_count(post, "count_likes"), 1);
	dbunit_exec(SHARD_C, "DELETE FROM {db}.tb_job", NULL, 0);
	json_object_put(good);
	json_object_put(bad);
	json_object_put(other);
}

/* A held job of a process of this host that is gone goes back at once, whatever its age; one of
 * a live process (this one), or of another host, waits for the timeout. */
static void
test_reap_takes_back_a_dead_local_process_jobs(void **state)
{
	int64_t now = (int64_t)time(NULL);
	const char *self = job_runner_name();
	uint64_t dead = ready_job(0), alive = ready_job(0), remote = ready_job(0);
	struct buf who = BUF_INIT;
	struct db_rows r = DB_ROWS_INIT;
	pid_t child;
	int status;

	(void)state;
	/* A pid that was this host's and is no more: a child that has exited. */
	child = fork();
	assert_true(child >= 0);
	if (child == 0)
		_exit(0);
	assert_int_equal(waitpid(child, &status, 0), child);
	buf_append(&who, self, (size_t)(strrchr(self, ':') - self));
	buf_printf(&who, ":%ld", (long)child);
	dbunit_exec(SHARD_C, "UPDATE {db}.tb_job SET state = 1, locked_by = ?, locked_at = ? WHERE id = ?",
	    DB_PARAMS(DB_STR(buf_cstr(&who)), DB_I64(now), DB_U64(dead)));
	dbunit_exec(SHARD_C, "UPDATE {db}.tb_job SET state = 1, locked_by = ?, locked_at = ? WHERE id = ?",
	    DB_PARAMS(DB_STR(self), DB_I64(now), DB_U64(alive)));
	dbunit_exec(SHARD_C, "UPDATE {db}.tb_job SET state = 1, locked_by = 'elsewhere:1', locked_at = ? "
	    "WHERE id = ?", DB_PARAMS(DB_I64(now), DB_U64(remote)));
	assert_int_equal(job_reap(dbunit_env.db, SHARD_C, now, 300), 1);
	assert_int_equal(job_col(SHARD_C, dead, "state"), JOB_READY);
	assert_int_equal(job_col(SHARD_C, dead, "attempts"), 1);
	assert_int_equal(db_exec(dbunit_env.db, SHARD_C, "SELECT last_error FROM {db}.tb_job WHERE id = ?",
	    DB_PARAMS(DB_U64(dead)), &r), 0);
	assert_non_null(strstr(db_str(&r, 0, 0), "the process is gone"));
	assert_int_equal(job_col(SHARD_C, alive, "state"), JOB_RUNNING);
	assert_int_equal(job_col(SHARD_C, remote, "state"), JOB_RUNNING);
	dbunit_exec(SHARD_C, "DELETE FROM {db}.tb_job", NULL, 0);
	db_rows_free(&r);
	buf_free(&who);
}

/* The first column of a query without parameters, as a number. */
static uint64_t
count(unsigned shard, const char *sql)
{
	struct db_rows r = DB_ROWS_INIT;
	uint64_t v;

	if (db_exec(dbunit_env.db, shard, sql, NULL, 0, &r) != 0)
		fail_msg("shard %u: %s failed", shard, sql);
	v = r.nrows ? db_u64(&r, 0, 0) : 0;
	db_rows_free(&r);
	return v;
}

static void
test_purge_in_batches(void **state)
{
	int64_t now = (int64_t)time(NULL), day_ago = now - JOB_DONE_KEEP;
	uint64_t user = dbunit_new_id(SHARD_C), fresh;
	unsigned n = JOB_PURGE_BATCH + 7;

	(void)state;
	dbunit_exec(SHARD_C, "DELETE FROM {db}.tb_job", NULL, 0);
	/* More old done jobs than a batch (the sequence engine makes the rows), one fresh done job,
	 * and old jobs in the other states, which stay whatever their age. */
	dbunit_exec(SHARD_C, "INSERT INTO {db}.tb_job (id, type, payload, state, updated_at) SELECT seq, "
	    "'like.sync', '{}', 2, ? FROM {db}.seq_1_to_1007",
	    DB_PARAMS(DB_I64(day_ago - 5)));
	assert_int_equal(count(SHARD_C, "SELECT COUNT(*) FROM {db}.tb_job"), n);
	fresh = ready_job(0);
	dbunit_exec(SHARD_C, "UPDATE {db}.tb_job SET state = 2, updated_at = ? WHERE id = ?",
	    DB_PARAMS(DB_I64(day_ago + 60), DB_U64(fresh)));
	dbunit_exec(SHARD_C, "INSERT INTO {db}.tb_job (id, type, payload, state, updated_at) VALUES "
	    "(5001, 'x', '{}', 0, 1), (5002, 'x', '{}', 1, 1), (5003, 'x', '{}', 3, 1)", NULL, 0);
	assert_int_equal(job_purge_done(dbunit_env.db, SHARD_C, day_ago), (int)n);
	assert_int_equal(count(SHARD_C, "SELECT COUNT(*) FROM {db}.tb_job WHERE state = 2"), 1);
	assert_int_equal(job_col(SHARD_C, fresh, "state"), JOB_DONE);
	assert_int_equal(count(SHARD_C, "SELECT COUNT(*) FROM {db}.tb_job WHERE id BETWEEN 5001 "
	    "AND 5003"), 3);
	assert_int_equal(job_purge_done(dbunit_env.db, SHARD_C, day_ago), 0);

	/* Idempotency keys: made before the cut-off go, the others stay. */
	dbunit_exec(SHARD_C, "INSERT INTO {db}.tb_idempotency_key (user_id, idem_key, created_at) "
	    "VALUES (?, 'old-1', ?), (?, 'old-2', ?), (?, 'new', ?)",
	    DB_PARAMS(DB_U64(user), DB_I64(day_ago - 1), DB_U64(user), DB_I64(1),
		DB_U64(user), DB_I64(now)));
	assert_int_equal(job_purge_idempotency_keys(dbunit_env.db, SHARD_C, day_ago), 2);
	assert_int_equal(dbunit_value(SHARD_C, "SELECT COUNT(*) FROM {db}.tb_idempotency_key WHERE "
	    "user_id = ? AND idem_key = 'new'", user, 0), 1);
	assert_int_equal(dbunit_value(SHARD_C, "SELECT COUNT(*) FROM {db}.tb_idempotency_key WHERE "
	    "user_id = ?", user, 0), 1);
	assert_int_equal(job_purge_idempotency_keys(dbunit_env.db, 1000, day_ago), -1);
	dbunit_exec(SHARD_C, "DELETE FROM {db}.tb_job", NULL, 0);
}

/* ------------------------------------------------------------------------------------------ */
/* The jobs set aside, for an operator (starling-admin jobs, retry-job) */

/* Shards no other test queues on: these tests count and retry every failed job of theirs. */
#define SHARD_D 5
#define SHARD_E 2

/* A job on shard set aside the real way: an unknown type fails for good at its first attempt. */
static uint64_t
set_aside(unsigned shard, const char *type)
{
	uint64_t job = queue(shard, type, "{}");

	assert_int_equal(job_run(&dbunit_env, shard, job), -1);
	assert_int_equal(job_col(shard, job, "state"), JOB_FAILED);
	return job;
}

static void
set_updated_at(unsigned shard, uint64_t job, int64_t when)
{
	dbunit_exec(shard, "UPDATE {db}.tb_job SET updated_at = ? WHERE id = ?",
	    DB_PARAMS(DB_I64(when), DB_U64(job)));
}

/* Where job id is in l: its index, or l->n when it is not there. */
static size_t
find_failed(const struct job_failed_list *l, uint64_t id)
{
	size_t i;

	for (i = 0; i < l->n && l->v[i].id != id; i++)
		;
	return i;
}

static void
test_failed_jobs_listed(void **state)
{
	struct job_failed_list l = JOB_FAILED_LIST_INIT;
	const struct job_failed *f;
	size_t k;
	int64_t before = (int64_t)time(NULL), after;
	uint64_t unknown, worn, ready, done;
	unsigned i;

	(void)state;
	dbunit_exec(SHARD_D, "DELETE FROM {db}.tb_job", NULL, 0);
	assert_int_equal(job_list_failed(dbunit_env.db, SHARD_D, 10, &l), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(job_count_failed(dbunit_env.db, SHARD_D), 0);

	unknown = set_aside(SHARD_D, "no.such.type");
	/* Worn out: a payload like.sync refuses, every attempt (run_after is not waited for). */
	worn = queue(SHARD_D, "like.sync", "{\"liker_id\":\"x\"}");
	for (i = 0; i < JOB_MAX_ATTEMPTS; i++)
		assert_int_equal(job_run(&dbunit_env, SHARD_D, worn), -1);
	assert_int_equal(job_col(SHARD_D, worn, "state"), JOB_FAILED);
	/* Neither a ready nor a done job is listed. */
	ready = queue(SHARD_D, "no.such.type", "{}");
	done = queue(SHARD_D, "like.sync", "{}");
	dbunit_exec(SHARD_D, "UPDATE {db}.tb_job SET state = 2 WHERE id = ?",
	    DB_PARAMS(DB_U64(done)));
	after = (int64_t)time(NULL);

	assert_int_equal(job_list_failed(dbunit_env.db, SHARD_D, 10, &l), 2);
	assert_int_equal(job_count_failed(dbunit_env.db, SHARD_D), 2);
	assert_int_equal(find_failed(&l, ready), l.n);
	assert_int_equal(find_failed(&l, done), l.n);
	k = find_failed(&l, unknown);
	assert_true(k < l.n);
	f = &l.v[k];
	assert_int_equal(f->shard, SHARD_D);
	assert_string_equal(f->type, "no.such.type");
	assert_int_equal(f->attempts, 1);
	assert_true(f->failed_at >= before && f->failed_at <= after);
	assert_string_equal(f->last_error, "unknown job type no.such.type");
	k = find_failed(&l, worn);
	assert_true(k < l.n);
	f = &l.v[k];
	assert_string_equal(f->type, "like.sync");
	assert_int_equal(f->attempts, JOB_MAX_ATTEMPTS);
	assert_string_equal(f->last_error, "like.sync: liker_id and record_id are required");

	/* Oldest failure first, whatever the IDs say; appended to what the list held. */
	set_updated_at(SHARD_D, unknown, before - 100);
	set_updated_at(SHARD_D, worn, before - 200);
	assert_int_equal(job_list_failed(dbunit_env.db, SHARD_D, 10, &l), 2);
	assert_int_equal(l.n, 4);
	assert_int_equal(l.v[2].id, worn);
	assert_int_equal(l.v[2].failed_at, before - 200);
	assert_int_equal(l.v[3].id, unknown);
	/* A shard that does not exist: -1, the list unchanged. */
	assert_int_equal(job_list_failed(dbunit_env.db, 1000, 10, &l), -1);
	assert_int_equal(l.n, 4);
	assert_int_equal(job_count_failed(dbunit_env.db, 1000), -1);
	job_failed_list_free(&l);
	assert_int_equal(l.n, 0);
	assert_null(l.v);
	job_failed_list_free(&l);
	job_failed_list_free(NULL);
	dbunit_exec(SHARD_D, "DELETE FROM {db}.tb_job", NULL, 0);
}

static void
test_failed_jobs_limit(void **state)
{
	struct job_failed_list l = JOB_FAILED_LIST_INIT;
	int64_t t = (int64_t)time(NULL) - 1000;
	uint64_t d[3], e[2];
	size_t i;

	(void)state;
	dbunit_exec(SHARD_D, "DELETE FROM {db}.tb_job", NULL, 0);
	dbunit_exec(SHARD_E, "DELETE FROM {db}.tb_job", NULL, 0);
	/* Failures interleaved over the two shards: e0 d0 e1 d1 d2, oldest first. */
	for (i = 0; i < 3; i++) {
		d[i] = set_aside(SHARD_D, "no.such.type");
		set_updated_at(SHARD_D, d[i], t + 10 + (int64_t)i * 10 + (i == 2 ? 5 : 0));
	}
	for (i = 0; i < 2; i++) {
		e[i] = set_aside(SHARD_E, "gone.type");
		set_updated_at(SHARD_E, e[i], t + 5 + (int64_t)i * 10);
	}
	/* Each shard gives at most limit, its oldest. */
	assert_int_equal(job_list_failed(dbunit_env.db, SHARD_D, 2, &l), 2);
	assert_int_equal(l.v[0].id, d[0]);
	assert_int_equal(l.v[1].id, d[1]);
	assert_int_equal(job_count_failed(dbunit_env.db, SHARD_D), 3);
	assert_int_equal(job_list_failed(dbunit_env.db, SHARD_E, 2, &l), 2);
	/* Trimmed to the limit: the oldest of both shards, in order. */
	job_failed_list_trim(&l, 3);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.v[0].id, e[0]);
	assert_int_equal(l.v[0].shard, SHARD_E);
	assert_string_equal(l.v[0].type, "gone.type");
	assert_int_equal(l.v[1].id, d[0]);
	assert_int_equal(l.v[2].id, e[1]);
	/* Trimming to more than it holds keeps everything; to 0, nothing. */
	job_failed_list_trim(&l, 10);
	assert_int_equal(l.n, 3);
	job_failed_list_trim(&l, 0);
	assert_int_equal(l.n, 0);
	/* limit 0 lists nothing. */
	assert_int_equal(job_list_failed(dbunit_env.db, SHARD_D, 0, &l), 0);
	assert_int_equal(l.n, 0);
	job_failed_list_free(&l);
	dbunit_exec(SHARD_D, "DELETE FROM {db}.tb_job", NULL, 0);
	dbunit_exec(SHARD_E, "DELETE FROM {db}.tb_job", NULL, 0);
}

static void
test_retry_failed_job(void **state)
{
	struct db_rows r = DB_ROWS_INIT;
	uint64_t worn, unknown;
	int64_t before;
	int st = 99;
	unsigned i;

	(void)state;
	dbunit_exec(SHARD_D, "DELETE FROM {db}.tb_job", NULL, 0);
	worn = queue(SHARD_D, "like.sync", "{\"liker_id\":\"x\"}");
	for (i = 0; i < JOB_MAX_ATTEMPTS; i++)
		assert_int_equal(job_run(&dbunit_env, SHARD_D, worn), -1);
	/* As a row set to 3 by hand may be: still naming a runner. */
	dbunit_exec(SHARD_D, "UPDATE {db}.tb_job SET locked_by = 'gone:1', locked_at = 5 WHERE id = ?",
	    DB_PARAMS(DB_U64(worn)));
	before = (int64_t)time(NULL);
	assert_int_equal(job_retry(dbunit_env.db, SHARD_D, worn, &st), 1);
	assert_int_equal(st, 99);
	assert_int_equal(job_col(SHARD_D, worn, "state"), JOB_READY);
	assert_int_equal(job_col(SHARD_D, worn, "attempts"), 0);
	assert_int_equal(job_col(SHARD_D, worn, "locked_at"), 0);
	assert_true(job_col(SHARD_D, worn, "run_after") >= before);
	assert_true(job_col(SHARD_D, worn, "run_after") <= (int64_t)time(NULL));
	assert_int_equal(db_exec(dbunit_env.db, SHARD_D, "SELECT last_error, locked_by FROM {db}.tb_job "
	    "WHERE id = ?", DB_PARAMS(DB_U64(worn)), &r), 0);
	assert_string_equal(db_str(&r, 0, 0), "like.sync: liker_id and record_id are required");
	assert_string_equal(db_str(&r, 0, 1), "");
	db_rows_free(&r);
	/* Twice: it is no longer set aside. */
	assert_int_equal(job_retry(dbunit_env.db, SHARD_D, worn, &st), 0);
	assert_int_equal(st, JOB_READY);

	/* Its cause not fixed: a full set of attempts again, then set aside again. */
	for (i = 0; i < JOB_MAX_ATTEMPTS - 1; i++)
		assert_int_equal(job_run(&dbunit_env, SHARD_D, worn), -1);
	assert_int_equal(job_col(SHARD_D, worn, "state"), JOB_READY);
	assert_int_equal(job_run(&dbunit_env, SHARD_D, worn), -1);
	assert_int_equal(job_col(SHARD_D, worn, "state"), JOB_FAILED);
	/* Fixed (here: the payload; usually a server back, a new release): runs as usual. */
	dbunit_exec(SHARD_D, "UPDATE {db}.tb_job SET payload = ? WHERE id = ?",
	    DB_PARAMS(DB_STR("{\"liker_id\":\"7\",\"record_id\":\"8\"}"), DB_U64(worn)));
	assert_int_equal(job_retry(dbunit_env.db, SHARD_D, worn, NULL), 1);
	assert_int_equal(job_run(&dbunit_env, SHARD_D, worn), 1);
	assert_int_equal(job_col(SHARD_D, worn, "state"), JOB_DONE);

	/* An unknown type put back is set aside again at its first attempt, by the worker's path. */
	unknown = set_aside(SHARD_D, "no.such.type");
	assert_int_equal(job_retry(dbunit_env.db, SHARD_D, unknown, NULL), 1);
	{
		struct job_ran ran;

		assert_int_equal(job_run_next(&dbunit_env, SHARD_D, &ran), -1);
		assert_int_equal(ran.id, unknown);
	}
	assert_int_equal(job_col(SHARD_D, unknown, "state"), JOB_FAILED);
	assert_int_equal(job_col(SHARD_D, unknown, "attempts"), 1);
	dbunit_exec(SHARD_D, "DELETE FROM {db}.tb_job", NULL, 0);
}

/* Retry is refused, changing nothing, for a job in any state but 3 and for no job. */
struct refuse_row {
	int line;
	int state;      /* the job's state, or -1: no such job */
};

static const struct refuse_row refuse_rows[] = {
	{ __LINE__, JOB_READY },
	{ __LINE__, JOB_RUNNING },
	{ __LINE__, JOB_DONE },
	{ __LINE__, -1 },
};

static void
test_retry_refused(void **state)
{
	struct db_rows before = DB_ROWS_INIT, after = DB_ROWS_INIT;
	const char *sql = "SELECT state, attempts, run_after, last_error, locked_by, locked_at, "
	    "updated_at FROM {db}.tb_job WHERE id = ?";
	size_t i, c;
	uint64_t job;
	int st;

	(void)state;
	dbunit_exec(SHARD_D, "DELETE FROM {db}.tb_job", NULL, 0);
	for (i = 0; i < sizeof refuse_rows / sizeof refuse_rows[0]; i++) {
		const struct refuse_row *t = &refuse_rows[i];

		job = queue(SHARD_D, "like.sync", "{}");
		if (t->state >= 0)
			dbunit_exec(SHARD_D, "UPDATE {db}.tb_job SET state = ?, attempts = 3, run_after = 77, "
			    "last_error = 'e', locked_by = 'h:1', locked_at = 9, updated_at = 11 "
			    "WHERE id = ?", DB_PARAMS(DB_I64(t->state), DB_U64(job)));
		else
			dbunit_exec(SHARD_D, "DELETE FROM {db}.tb_job WHERE id = ?",
			    DB_PARAMS(DB_U64(job)));
		assert_int_equal(db_exec(dbunit_env.db, SHARD_D, sql, DB_PARAMS(DB_U64(job)),
		    &before), 0);
		st = 99;
		if (job_retry(dbunit_env.db, SHARD_D, job, &st) != 0)
			fail_msg("row at line %d: not refused", t->line);
		if (st != t->state)
			fail_msg("row at line %d: state %d, want %d", t->line, st, t->state);
		assert_int_equal(db_exec(dbunit_env.db, SHARD_D, sql, DB_PARAMS(DB_U64(job)),
		    &after), 0);
		if (after.nrows != before.nrows)
			fail_msg("row at line %d: rows changed", t->line);
		for (c = 0; c < after.nrows * after.ncols; c++)
			if (strcmp(after.cell[c], before.cell[c]) != 0)
				fail_msg("row at line %d: column %zu changed", t->line, c);
	}
	/* A shard that does not exist: a failure, not a refusal. */
	assert_int_equal(job_retry(dbunit_env.db, 1000, 1, &st), -1);
	db_rows_free(&before);
	db_rows_free(&after);
	dbunit_exec(SHARD_D, "DELETE FROM {db}.tb_job", NULL, 0);
}

static void
test_retry_all(void **state)
{
	uint64_t ready, done, failed[2];
	unsigned n = JOB_PURGE_BATCH + 7;

	(void)state;
	dbunit_exec(SHARD_D, "DELETE FROM {db}.tb_job", NULL, 0);
	assert_int_equal(job_retry_all(dbunit_env.db, SHARD_D), 0);
	failed[0] = set_aside(SHARD_D, "no.such.type");
	failed[1] = set_aside(SHARD_D, "no.such.type");
	ready = queue(SHARD_D, "like.sync", "{}");
	done = queue(SHARD_D, "like.sync", "{}");
	dbunit_exec(SHARD_D, "UPDATE {db}.tb_job SET state = 2 WHERE id = ?",
	    DB_PARAMS(DB_U64(done)));
	assert_int_equal(job_retry_all(dbunit_env.db, SHARD_D), 2);
	assert_int_equal(job_col(SHARD_D, failed[0], "state"), JOB_READY);
	assert_int_equal(job_col(SHARD_D, failed[1], "attempts"), 0);
	assert_int_equal(job_col(SHARD_D, ready, "state"), JOB_READY);
	assert_int_equal(job_col(SHARD_D, done, "state"), JOB_DONE);
	assert_int_equal(job_count_failed(dbunit_env.db, SHARD_D), 0);
	assert_int_equal(job_retry_all(dbunit_env.db, SHARD_D), 0);

	/* More than a batch (the sequence engine makes the rows): every one of them. */
	dbunit_exec(SHARD_D, "DELETE FROM {db}.tb_job", NULL, 0);
	dbunit_exec(SHARD_D, "INSERT INTO {db}.tb_job (id, type, payload, state, attempts, updated_at) "
	    "SELECT seq, 'x', '{}', 3, 8, 1 FROM {db}.seq_1_to_1007", NULL, 0);
	assert_int_equal(job_count_failed(dbunit_env.db, SHARD_D), n);
	assert_int_equal(job_retry_all(dbunit_env.db, SHARD_D), n);
	assert_int_equal(count(SHARD_D, "SELECT COUNT(*) FROM {db}.tb_job WHERE state = 0 AND "
	    "attempts = 0"), n);
	assert_int_equal(job_retry_all(dbunit_env.db, 1000), -1);
	dbunit_exec(SHARD_D, "DELETE FROM {db}.tb_job", NULL, 0);
}

/* last_error on one line: control characters and non-ASCII escaped, cut at width. */
struct shown_row {
	int         line;
	const char *in;
	size_t      width;
	const char *want;
};

static const struct shown_row shown_rows[] = {
	{ __LINE__, "", 10, "" },
	{ __LINE__, "plain words", 100, "plain words" },
	{ __LINE__, "a\nb\tc\rd\\e", 100, "a\\nb\\tc\\rd\\\\e" },
	{ __LINE__, "\x01\x1b[2J\x7f", 100, "\\x01\\x1b[2J\\x7f" },
	{ __LINE__, "caf\xc3\xa9", 100, "caf\\xc3\\xa9" },
	{ __LINE__, "abcdef", 6, "abcdef" },            /* exactly the width: not cut */
	{ __LINE__, "abcdefg", 6, "abcdef..." },
	{ __LINE__, "ab\ncd", 3, "ab..." },             /* an escape is never split */
	{ __LINE__, "ab\ncd", 4, "ab\\n..." },
	{ __LINE__, "x", 0, "..." },
};

static void
test_error_shown(void **state)
{
	struct buf b = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof shown_rows / sizeof shown_rows[0]; i++) {
		const struct shown_row *t = &shown_rows[i];

		buf_reset(&b);
		buf_puts(&b, ">");   /* appended, not replaced */
		job_error_shown(&b, t->in, t->width);
		if (strcmp(buf_cstr(&b) + 1, t->want) != 0 || buf_cstr(&b)[0] != '>')
			fail_msg("row at line %d: got \"%s\", want \">%s\"", t->line, buf_cstr(&b),
			    t->want);
	}
	buf_free(&b);
}

/* ------------------------------------------------------------------------------------------ */
/* The installed table: the runners know only the kinds job_install gave them. */

static int test_kind_runs;

/* A kind of this test only: counts its runs, and refuses a payload without "ok". */
static int
test_kind(struct app_env *e, json_object *payload, struct buf *err)
{
	(void)e;
	test_kind_runs++;
	if (job_payload_str(payload, "ok") == NULL) {
		buf_puts(err, "test.kind: ok is required");
		return -1;
	}
	return 0;
}

static const struct job_kind test_kinds[] = {
	{ .type = "test.kind", .run = test_kind },
};

/* Puts the real table back, whatever the test left. */
static int
kinds_restore(void **state)
{
	(void)state;
	jobkinds_install();
	return 0;
}

static void
test_runs_only_installed_kinds(void **state)
{
	uint64_t job;
	struct job_new held[2] = {
		{ .id = dbunit_new_id(SHARD_C), .type = "like.sync", .held = true },
		{ .id = dbunit_new_id(SHARD_C), .type = "test.kind", .held = true },
	};
	struct queue_many_arg q = { SHARD_C, held, 2 };

	(void)state;
	held[0].payload = held[1].payload = json_tokener_parse("{\"ok\":\"1\"}");
	job_install(test_kinds, 1);
	assert_ptr_equal(job_handler_find("test.kind"), &test_kinds[0]);
	assert_null(job_handler_find("like.sync"));
	assert_null(job_handler_find(NULL));

	/* An installed kind runs, with its payload; its failure is retried as any other. */
	test_kind_runs = 0;
	job = queue(SHARD_A, "test.kind", "{\"ok\":\"1\"}");
	assert_int_equal(job_run(&dbunit_env, SHARD_A, job), 1);
	assert_int_equal(job_col(SHARD_A, job, "state"), JOB_DONE);
	job = queue(SHARD_A, "test.kind", "{}");
	assert_int_equal(job_run(&dbunit_env, SHARD_A, job), -1);
	assert_int_equal(job_col(SHARD_A, job, "state"), JOB_READY);
	assert_int_equal(test_kind_runs, 2);

	/* A type the table lacks is unknown, as before: set aside at its first attempt, by the
	 * worker's run and the request's alike, its handler elsewhere never called. */
	job = queue(SHARD_A, "like.sync", "{}");
	assert_int_equal(job_run(&dbunit_env, SHARD_A, job), -1);
	assert_int_equal(job_col(SHARD_A, job, "state"), JOB_FAILED);
	assert_int_equal(job_col(SHARD_A, job, "attempts"), 1);
	dbunit_exec(SHARD_C, "DELETE FROM {db}.tb_job", NULL, 0);
	assert_int_equal(db_tx(dbunit_env.db, SHARD_C, queue_many_tx, &q), 0);
	assert_int_equal(job_run_held(&dbunit_env, SHARD_C, held, 2), 1);
	assert_int_equal(job_col(SHARD_C, held[0].id, "state"), JOB_FAILED);
	assert_int_equal(job_col(SHARD_C, held[1].id, "state"), JOB_DONE);
	assert_int_equal(test_kind_runs, 3);

	/* No table at all (a binary that forgot job_install): nothing runs, and nothing is set
	 * aside either; the job waits, its attempt counted, for a runner with the table. */
	job_install(NULL, 0);
	assert_null(job_handler_find("test.kind"));
	job = queue(SHARD_A, "test.kind", "{\"ok\":\"1\"}");
	assert_int_equal(job_run(&dbunit_env, SHARD_A, job), -1);
	assert_int_equal(job_col(SHARD_A, job, "state"), JOB_READY);
	assert_int_equal(job_col(SHARD_A, job, "attempts"), 1);
	held[1].id = dbunit_new_id(SHARD_C);
	q.jobs = &held[1];
	q.n = 1;
	assert_int_equal(db_tx(dbunit_env.db, SHARD_C, queue_many_tx, &q), 0);
	assert_int_equal(job_run_held(&dbunit_env, SHARD_C, &held[1], 1), 1);
	assert_int_equal(job_col(SHARD_C, held[1].id, "state"), JOB_READY);
	assert_int_equal(test_kind_runs, 3);

	/* Installed again: it runs (job_run claims a ready job whatever its run_after). */
	job_install(test_kinds, 1);
	assert_int_equal(job_run(&dbunit_env, SHARD_A, job), 1);
	assert_int_equal(test_kind_runs, 4);
	dbunit_exec(SHARD_C, "DELETE FROM {db}.tb_job", NULL, 0);
	json_object_put(held[0].payload);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_like_run_twice_and_cache),
		cmocka_unit_test(test_like_jobs_out_of_order),
		cmocka_unit_test(test_failing_job_backs_off_then_fails),
		cmocka_unit_test(test_queue_rolls_back_with_its_transaction),
		cmocka_unit_test(test_repost_and_quote_counts),
		cmocka_unit_test(test_user_reply_mirror),
		cmocka_unit_test(test_hashtags),
		cmocka_unit_test(test_run_next_oldest_ready_first),
		cmocka_unit_test(test_run_next_skips_locked_rows),
		cmocka_unit_test(test_reap_puts_back_abandoned_jobs),
		cmocka_unit_test(test_held_jobs_run_by_their_request),
		cmocka_unit_test(test_reap_takes_back_a_dead_local_process_jobs),
		cmocka_unit_test(test_purge_in_batches),
		cmocka_unit_test(test_failed_jobs_listed),
		cmocka_unit_test(test_failed_jobs_limit),
		cmocka_unit_test(test_retry_failed_job),
		cmocka_unit_test(test_retry_refused),
		cmocka_unit_test(test_retry_all),
		cmocka_unit_test(test_error_shown),
		cmocka_unit_test(test_ready_shards),
		cmocka_unit_test_teardown(test_runs_only_installed_kinds, kinds_restore),
	};

	return dbunit_main("job", tests, sizeof tests / sizeof tests[0]);
}
