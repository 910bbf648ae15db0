/* job.c: the outbox (tb_job): queueing, claiming, running and keeping jobs; their handlers are
 * installed by the layer above (job_install, lib/app/jobkinds.c). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctx.h"
#include "clock.h"
#include "db.h"
#include "id.h"
#include "job.h"
#include "log.h"
#include "shard.h"
#include "switches.h"
#include "xalloc.h"

/* How long job_run waits for a job another runner holds: 100 steps of 20 ms. */
#define JOB_WAIT_STEPS   100
#define JOB_WAIT_STEP_MS 20
/* tb_job.last_error is varchar(1024); our messages are ASCII. */
#define LAST_ERROR_MAX 1000

const char *
job_runner_name(void)
{
	static char name[128];

	if (name[0] == '\0') {
		char host[64];

		if (gethostname(host, sizeof host) != 0)
			snprintf(host, sizeof host, "localhost");
		host[sizeof host - 1] = '\0';
		snprintf(name, sizeof name, "%s:%ld", host, (long)getpid());
	}
	return name;
}

long
job_backoff(unsigned attempts)
{
	long wait = JOB_BACKOFF_BASE;

	while (attempts > 1 && wait < JOB_BACKOFF_MAX) {
		wait *= 2;
		attempts--;
	}
	return wait < JOB_BACKOFF_MAX ? wait : JOB_BACKOFF_MAX;
}

/* The columns of a tb_job row that job_queue_many writes, one parameter each. */
#define JOB_ROW_PARAMS 9

int
job_queue_many(struct db *db, unsigned shard, const struct job_new *jobs, size_t n)
{
	struct db_val *p;
	struct buf sql = BUF_INIT;
	int64_t now = clock_now_s();
	size_t i;
	int rc;

	if (n == 0)
		return 0;
	p = xcalloc(n * JOB_ROW_PARAMS, sizeof *p);
	buf_puts(&sql, "INSERT INTO {db}.tb_job (id, type, payload, state, locked_by, locked_at, "
	    "run_after, created_at, updated_at) VALUES ");
	for (i = 0; i < n; i++) {
		struct db_val *r = p + i * JOB_ROW_PARAMS;
		bool held = jobs[i].held;

		buf_puts(&sql, i ? ", (?, ?, ?, ?, ?, ?, ?, ?, ?)" : "(?, ?, ?, ?, ?, ?, ?, ?, ?)");
		/* A held row is claimed already (state 1, by us, now): no worker takes it unless we
		 * die before recording its outcome, and then job_reap gives it back. run_after = now:
		 * a ready row is for whichever runner comes first. */
		r[0] = DB_U64(jobs[i].id);
		r[1] = DB_STR(jobs[i].type);
		r[2] = DB_STR(json_object_to_json_string_ext(jobs[i].payload, JSON_C_TO_STRING_PLAIN));
		r[3] = DB_I64(held ? JOB_RUNNING : JOB_READY);
		r[4] = DB_STR(held ? job_runner_name() : "");
		r[5] = DB_I64(held ? now : 0);
		r[6] = r[7] = r[8] = DB_I64(now);
	}
	rc = db_exec(db, shard, buf_cstr(&sql), p, n * JOB_ROW_PARAMS, NULL) == 0 ? 0 : -1;
	buf_free(&sql);
	free(p);
	return rc;
}

int
job_queue(struct db *db, unsigned shard, uint64_t id, const char *type, json_object *payload)
{
	struct job_new j = { .id = id, .type = type, .payload = payload, .held = false };

	return job_queue_many(db, shard, &j, 1);
}

struct queue_alone {
	unsigned     shard;
	uint64_t     id;
	const char  *type;
	json_object *payload;
};

static int
queue_alone_tx(struct db *db, void *arg)
{
	struct queue_alone *a = arg;

	return job_queue(db, a->shard, a->id, a->type, a->payload);
}

int
job_queue_alone(struct db *db, unsigned shard, uint64_t id, const char *type,
    json_object *payload)
{
	struct queue_alone a = { shard, id, type, payload };

	return db_tx(db, shard, queue_alone_tx, &a) == 0 ? 0 : -1;
}

/* ------------------------------------------------------------------------------------------ */
/* What the handlers share */

uint64_t
job_payload_id(json_object *payload, const char *name)
{
	json_object *v;
	const char *s;
	char *end;
	uint64_t id;

	if (!json_object_object_get_ex(payload, name, &v) || !json_object_is_type(v, json_type_string))
		return 0;
	s = json_object_get_string(v);
	if (*s < '0' || *s > '9')
		return 0;
	errno = 0;
	id = strtoull(s, &end, 10);
	return errno != 0 || *end != '\0' ? 0 : id;
}

const char *
job_payload_str(json_object *payload, const char *name)
{
	json_object *v;

	if (!json_object_object_get_ex(payload, name, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

int
job_bump_count(struct db *db, uint64_t record_id, const char *column, int delta,
    int content_type)
{
	static const char *const tables[][2] = {
		{ "tb_post_extended", "post_id" },
		{ "tb_post_reply_extended", "post_reply_id" },
	};
	struct buf sql = BUF_INIT;
	size_t i;
	int rc = 0;

	for (i = 0; i < 2 && rc == 0; i++) {
		if (content_type != JOB_RECORD_UNKNOWN && (int)i != content_type)
			continue;
		buf_reset(&sql);
		if (delta > 0)
			buf_printf(&sql, "UPDATE {db}.%s SET %s = %s + 1, updated_at = ? WHERE %s = ?",
			    tables[i][0], column, column, tables[i][1]);
		else
			buf_printf(&sql, "UPDATE {db}.%s SET %s = %s - 1, updated_at = ? WHERE %s = ? "
			    "AND %s > 0", tables[i][0], column, column, tables[i][1], column);
		rc = db_exec(db, id_shard(record_id), buf_cstr(&sql),
		    DB_PARAMS(DB_I64(clock_now_s()), DB_U64(record_id)), NULL);
	}
	buf_free(&sql);
	return rc == 0 ? 0 : -1;
}

/* ------------------------------------------------------------------------------------------ */
/* The installed table */

static const struct job_kind *kinds;   /* job_install's, for the process's life */
static size_t nkinds;

void
job_install(const struct job_kind *table, size_t n)
{
	kinds = table;
	nkinds = table != NULL ? n : 0;
}

const struct job_kind *
job_handler_find(const char *type)
{
	size_t i;

	for (i = 0; type != NULL && i < nkinds; i++)
		if (strcmp(kinds[i].type, type) == 0)
			return &kinds[i];
	return NULL;
}

/* The kind of type, or NULL with why in err and whether that is for good in *permanent: a type
 * the installed table does not know can never run here (set aside at once, as a payload that
 * is not an object); with no table installed the fault is this process's (job_install
 * forgotten), so the job goes back for a runner that has one. */
static const struct job_kind *
kind_or_why(const char *type, struct buf *err, bool *permanent)
{
	const struct job_kind *k = job_handler_find(type);

	if (k != NULL)
		return k;
	*permanent = nkinds > 0;
	if (nkinds > 0)
		buf_printf(err, "unknown job type %s", type);
	else
		buf_puts(err, "no job kinds installed in this process (job_install)");
	return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Jobs parked by the operators' switches (lib/store/switches.h) */

bool
job_parked_now(struct app_env *env, const char *type)
{
	const struct job_kind *k = job_handler_find(type);

	return k != NULL && k->parkable && switches_on(env->switches, k->park_switch);
}

/* Parks job id, which this runner holds, instead of running it: state 4, no attempt counted;
 * job_release makes it ready again once its switch is off. */
static int
park(struct db *db, unsigned shard, uint64_t id)
{
	return db_exec(db, shard, "UPDATE {db}.tb_job SET state = 4, locked_by = '', locked_at = 0, "
	    "updated_at = ? WHERE id = ? AND state = 1 AND locked_by = ?",
	    DB_PARAMS(DB_I64(clock_now_s()), DB_U64(id), DB_STR(job_runner_name())),
	    NULL) == 0 ? 0 : -1;
}

/* Records the outcome of a job this runner claimed. Only while it still holds the row: a job
 * taken back by job_reap (this runner looked dead) belongs to whoever claims it next. While
 * retries_off is on, a failure waits at least [switches] slow_job_retry. */
static int
finish(struct app_env *env, unsigned shard, uint64_t id, unsigned attempts, bool ok,
    bool permanent, const char *error)
{
	struct db *db = env->db;
	int64_t now = clock_now_s();
	unsigned tries = attempts + 1;
	char msg[LAST_ERROR_MAX + 1];
	size_t i;

	if (ok)
		return db_exec(db, shard, "UPDATE {db}.tb_job SET state = 2, last_error = '', "
		    "updated_at = ? WHERE id = ? AND state = 1 AND locked_by = ?",
		    DB_PARAMS(DB_I64(now), DB_U64(id), DB_STR(job_runner_name())),
		    NULL) == 0 ? 0 : -1;
	/* Only printable ASCII goes into last_error (the column is text; our messages are ASCII). */
	snprintf(msg, sizeof msg, "%s", error);
	for (i = 0; msg[i]; i++)
		if ((unsigned char)msg[i] < 0x20 || (unsigned char)msg[i] > 0x7e)
			msg[i] = '?';
	return db_exec(db, shard, "UPDATE {db}.tb_job SET state = ?, attempts = ?, run_after = ?, "
	    "last_error = ?, locked_by = '', locked_at = 0, updated_at = ? WHERE id = ? AND state = 1 "
	    "AND locked_by = ?",
	    DB_PARAMS(DB_I64(permanent || tries >= JOB_MAX_ATTEMPTS ? JOB_FAILED : JOB_READY),
		DB_I64(tries), DB_I64(now + switches_job_delay(env->switches, job_backoff(tries))),
		DB_STR(msg), DB_I64(now), DB_U64(id),
		DB_STR(job_runner_name())), NULL) == 0 ? 0 : -1;
}

/* Runs job id of shard, which this runner has just claimed (state 1, locked_by us), and records
 * its outcome; type receives its type when not NULL (JOB_TYPE_MAX + 1 bytes). Returns 1 done,
 * -1 failed. */
static int
run_claimed(struct app_env *env, unsigned shard, uint64_t id, char *type)
{
	struct db_rows r = DB_ROWS_INIT;
	struct buf err = BUF_INIT;
	const struct job_kind *jt;
	json_object *payload = NULL;
	bool permanent = false;
	unsigned attempts;
	int rc;

	if (db_exec(env->db, shard, "SELECT type, payload, attempts FROM {db}.tb_job WHERE id = ?",
	    DB_PARAMS(DB_U64(id)), &r) != 0 || r.nrows == 0) {
		/* Claimed but unreadable: job_reap puts it back to 0 later. */
		rc = -1;
		goto out;
	}
	if (type != NULL)
		snprintf(type, JOB_TYPE_MAX + 1, "%s", db_str(&r, 0, 0));
	attempts = (unsigned)db_u64(&r, 0, 2);
	if (job_parked_now(env, db_str(&r, 0, 0))) {
		/* Its switch is on: back to the shelf, not an attempt (a ready row queued before the
		 * switch, or by a request that left it to the worker). */
		rc = park(env->db, shard, id) == 0 ? 0 : -1;
		goto out;
	}
	jt = kind_or_why(db_str(&r, 0, 0), &err, &permanent);
	payload = json_tokener_parse(db_str(&r, 0, 1));
	if (jt == NULL) {
		rc = -1;
	} else if (payload == NULL || !json_object_is_type(payload, json_type_object)) {
		buf_puts(&err, "the payload is not a JSON object");
		permanent = true;
		rc = -1;
	} else {
		rc = jt->run(env, payload, &err) == 0 ? 1 : -1;
	}
	/* The handler's message, never the payload: it may hold what a user wrote. */
	if (rc < 0)
		log_warn("job %" PRIu64 " %.64s (shard %u, attempt %u): %s", id, db_str(&r, 0, 0), shard,
		    attempts + 1, buf_cstr(&err));
	if (finish(env, shard, id, attempts, rc > 0, permanent, buf_cstr(&err)) != 0) {
		log_error("job %" PRIu64 " (shard %u): cannot record its outcome; left running for the "
		    "reaper", id, shard);
		rc = -1;
	}
out:
	json_object_put(payload);
	db_rows_free(&r);
	buf_free(&err);
	return rc;
}

/* The request that queued a job runs it right after its commit, and then reads what the job
 * wrote (a like, then the page with its count). A worker polling at that moment may have claimed
 * the job first: the request waits for it (a short while; jobs take milliseconds), so that it
 * still reads its own write. Returns 0. */
static int
wait_running(struct app_env *env, unsigned shard, uint64_t id)
{
	struct db_rows r = DB_ROWS_INIT;
	int i;

	for (i = 0; i < JOB_WAIT_STEPS; i++) {
		db_rows_free(&r);
		if (db_exec(env->db, shard, "SELECT state FROM {db}.tb_job WHERE id = ?",
		    DB_PARAMS(DB_U64(id)), &r) != 0 || r.nrows != 1 ||
		    db_u64(&r, 0, 0) != JOB_RUNNING)
			break;
		usleep(JOB_WAIT_STEP_MS * 1000);
	}
	db_rows_free(&r);
	return 0;
}

int
job_run(struct app_env *env, unsigned shard, uint64_t id)
{
	struct db_rows r = DB_ROWS_INIT;
	int64_t now = clock_now_s();
	int rc;

	/* The claim: one statement, so it is its own short transaction and no lock is held while the
	 * handler works on another shard. */
	rc = db_exec(env->db, shard, "UPDATE {db}.tb_job SET state = 1, locked_by = ?, locked_at = ?, "
	    "updated_at = ? WHERE id = ? AND state = 0",
	    DB_PARAMS(DB_STR(job_runner_name()), DB_I64(now), DB_I64(now), DB_U64(id)),
	    &r);
	if (rc == 0 && r.affected == 1)
		rc = run_claimed(env, shard, id, NULL);
	else if (rc == 0)
		rc = wait_running(env, shard, id);
	else
		rc = -1;
	db_rows_free(&r);
	return rc;
}

/* Marks the n jobs of ids done in one statement, while this runner holds them (as finish). */
static int
finish_done_many(struct db *db, unsigned shard, const uint64_t *ids, size_t n)
{
	struct db_val *p;
	struct buf sql = BUF_INIT;
	size_t i;
	int rc;

	if (n == 0)
		return 0;
	p = xcalloc(n + 2, sizeof *p);
	p[0] = DB_I64(clock_now_s());
	p[1] = DB_STR(job_runner_name());
	for (i = 0; i < n; i++)
		p[i + 2] = DB_U64(ids[i]);
	buf_puts(&sql, "UPDATE {db}.tb_job SET state = 2, last_error = '', updated_at = ? WHERE "
	    "state = 1 AND locked_by = ? AND id IN (");
	db_placeholders(&sql, n);
	buf_puts(&sql, ")");
	rc = db_exec(db, shard, buf_cstr(&sql), p, n + 2, NULL) == 0 ? 0 : -1;
	buf_free(&sql);
	free(p);
	return rc;
}

int
job_run_held(struct app_env *env, unsigned shard, const struct job_new *jobs, size_t n)
{
	uint64_t *done = xcalloc(n ? n : 1, sizeof *done);
	struct buf err = BUF_INIT;
	size_t i, ndone = 0;
	int failed = 0;

	for (i = 0; i < n; i++) {
		const struct job_kind *jt;
		bool permanent = false;

		if (!jobs[i].held)
			continue;
		if (job_parked_now(env, jobs[i].type)) {
			if (park(env->db, shard, jobs[i].id) != 0)
				log_error("job %" PRIu64 " (shard %u): cannot park it; left running for the "
				    "reaper", jobs[i].id, shard);
			continue;
		}
		buf_reset(&err);
		jt = kind_or_why(jobs[i].type, &err, &permanent);
		if (jt != NULL && jt->run(env, jobs[i].payload, &err) == 0) {
			done[ndone++] = jobs[i].id;
			continue;
		}
		log_warn("job %" PRIu64 " %.64s (shard %u, attempt 1): %s; left for the worker",
		    jobs[i].id, jobs[i].type, shard, buf_cstr(&err));
		failed++;
		if (finish(env, shard, jobs[i].id, 0, false, permanent, buf_cstr(&err)) != 0)
			log_error("job %" PRIu64 " (shard %u): cannot record its outcome; left running "
			    "for the reaper", jobs[i].id, shard);
	}
	if (finish_done_many(env->db, shard, done, ndone) != 0) {
		log_error("jobs of shard %u: cannot record that %zu ran; left running for the reaper, "
		    "which has them run again (harmless: every handler is idempotent)", shard, ndone);
		failed += (int)ndone;
	}
	buf_free(&err);
	free(done);
	return failed;
}

struct claim {
	unsigned shard;
	int64_t  now;
	uint64_t id;   /* the row claimed, 0 for none */
};

/* Takes the oldest ready row and marks it ours, in one transaction: the row lock of FOR UPDATE
 * keeps another worker off it until the commit, and SKIP LOCKED makes that worker take the next
 * row instead of waiting. db_tx may run this again after a deadlock: it starts from scratch. */
static int
claim_tx(struct db *db, void *arg)
{
	struct claim *c = arg;
	struct db_rows r = DB_ROWS_INIT;
	int rc;

	c->id = 0;
	rc = db_exec(db, c->shard, "SELECT id FROM {db}.tb_job WHERE state = 0 AND run_after <= ? "
	    "ORDER BY run_after, id LIMIT 1 FOR UPDATE SKIP LOCKED",
	    DB_PARAMS(DB_I64(c->now)), &r);
	if (rc == 0 && r.nrows == 1) {
		uint64_t id = db_u64(&r, 0, 0);

		rc = db_exec(db, c->shard, "UPDATE {db}.tb_job SET state = 1, locked_by = ?, "
		    "locked_at = ?, updated_at = ? WHERE id = ? AND state = 0",
		    DB_PARAMS(DB_STR(job_runner_name()), DB_I64(c->now), DB_I64(c->now),
			DB_U64(id)), &r);
		if (rc == 0 && r.affected == 1)
			c->id = id;
	}
	db_rows_free(&r);
	return rc == 0 ? 0 : -1;
}

int
job_run_next(struct app_env *env, unsigned shard, struct job_ran *ran)
{
	struct claim c = { shard, clock_now_s(), 0 };
	struct db_rows r = DB_ROWS_INIT;
	int rc;

	ran->id = 0;
	ran->type[0] = '\0';
	/* A plain read first: most polls find nothing, and then cost one statement, not three
	 * (BEGIN, SELECT, COMMIT) with locks. */
	rc = db_exec(env->db, shard, "SELECT 1 FROM {db}.tb_job WHERE state = 0 AND run_after <= ? "
	    "LIMIT 1", DB_PARAMS(DB_I64(c.now)), &r);
	if (rc != 0 || r.nrows == 0) {
		rc = rc != 0 ? -1 : 0;
		goto out;
	}
	if (db_tx(env->db, shard, claim_tx, &c) != 0) {
		rc = -1;
		goto out;
	}
	if (c.id == 0) {
		/* Taken by another runner between the read and the claim. */
		rc = 0;
		goto out;
	}
	ran->id = c.id;
	rc = run_claimed(env, shard, c.id, ran->type);
out:
	db_rows_free(&r);
	return rc;
}

/* What job_ready_shards gathers: the flags, and how many were set. */
struct ready {
	bool     *ready;
	unsigned  nshards;
	int       n;
};

static int
mark_ready(const struct db_rows *r, void *arg)
{
	struct ready *rd = arg;
	size_t i;

	for (i = 0; i < r->nrows; i++) {
		uint64_t s = db_u64(r, i, 0);

		if (s < rd->nshards && !rd->ready[s]) {
			rd->ready[s] = true;
			rd->n++;
		}
	}
	return 0;
}

/* Which shards of instance have a row sql ("SELECT {shard} FROM {db}.tb_job WHERE ... LIMIT 1")
 * finds: flags set for them, the instance's other shards cleared. Returns how many, or -1. */
static int
shards_with(struct app_env *env, size_t instance, bool *flags, const char *sql,
    const struct db_val *p, size_t np)
{
	const struct shard_map *m = db_shards(env->db);
	struct ready rd = { flags, shard_count(m), 0 };
	unsigned s;

	for (s = 0; s < rd.nshards; s++)
		if (shard_instance(m, s) == instance)
			flags[s] = false;
	if (db_exec_instance(env->db, instance, sql, p, np, mark_ready, &rd) != 0)
		return -1;
	return rd.n;
}

int
job_ready_shards(struct app_env *env, size_t instance, bool *ready)
{
	/* "(SELECT 3 FROM `starling_0003`.tb_job WHERE ... LIMIT 1) UNION ALL (...)": the same
	 * text at every poll (prepared once). */
	return shards_with(env, instance, ready, "SELECT {shard} FROM {db}.tb_job WHERE state = 0 AND "
	    "run_after <= ? LIMIT 1", DB_PARAMS(DB_I64(clock_now_s())));
}

long
job_release(struct app_env *env, unsigned shard, long limit)
{
	struct db_rows r = DB_ROWS_INIT;
	int64_t now = clock_now_s();
	long n = 0;
	size_t i;

	for (i = 0; i < nkinds && n < limit; i++) {
		if (!kinds[i].parkable || switches_on(env->switches, kinds[i].park_switch))
			continue;
		/* The oldest first, by the (state, run_after) index; run_after now: ready at once. */
		if (db_exec(env->db, shard, "UPDATE {db}.tb_job SET state = 0, run_after = ?, "
		    "updated_at = ? WHERE state = 4 AND type = ? ORDER BY run_after, id LIMIT ?",
		    DB_PARAMS(DB_I64(now), DB_I64(now), DB_STR(kinds[i].type),
			DB_I64(limit - n)), &r) != 0) {
			n = -1;
			break;
		}
		n += (long)r.affected;
	}
	db_rows_free(&r);
	return n;
}

int
job_parked_shards(struct app_env *env, size_t instance, bool *parked)
{
	return shards_with(env, instance, parked, "SELECT {shard} FROM {db}.tb_job WHERE state = 4 "
	    "LIMIT 1", NULL, 0);
}

/* ------------------------------------------------------------------------------------------ */
/* Keeping the table small */

/* The pid in a runner name "host:pid" when host is this host's, else 0. */
static long
local_pid(const char *runner)
{
	const char *self = job_runner_name(), *colon = strrchr(self, ':');
	size_t host = colon ? (size_t)(colon - self) + 1 : 0;
	char *end;
	long pid;

	if (host == 0 || strncmp(runner, self, host) != 0)
		return 0;
	errno = 0;
	pid = strtol(runner + host, &end, 10);
	return errno == 0 && *end == '\0' && pid > 0 ? pid : 0;
}

/* Puts back the jobs of shard held by a process of this host that is gone (a FastCGI worker
 * killed between its commit and its held jobs, job.h), at once rather than after the timeout.
 * Returns how many, or -1. */
static int
reap_dead_local(struct db *db, unsigned shard, int64_t now)
{
	struct db_rows r = DB_ROWS_INIT, u = DB_ROWS_INIT;
	const char *self = job_runner_name(), *colon = strrchr(self, ':');
	struct buf prefix = BUF_INIT;
	size_t i;
	int n = 0;

	buf_append(&prefix, self, colon ? (size_t)(colon - self) + 1 : 0);
	buf_putc(&prefix, '%');
	if (db_exec(db, shard, "SELECT id, locked_by FROM {db}.tb_job WHERE state = 1 AND "
	    "locked_by LIKE ?", DB_PARAMS(DB_STR(buf_cstr(&prefix))), &r) != 0)
		n = -1;
	for (i = 0; n >= 0 && i < r.nrows; i++) {
		long pid = local_pid(db_str(&r, i, 1));

		/* ESRCH only: a live process, or one we may not signal, keeps its rows. */
		if (pid == 0 || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		if (db_exec(db, shard, "UPDATE {db}.tb_job SET state = IF(attempts + 1 >= ?, 3, 0), "
		    "attempts = attempts + 1, last_error = CONCAT('abandoned by ', locked_by, "
		    "': the process is gone'), locked_by = '', locked_at = 0, run_after = ?, "
		    "updated_at = ? WHERE id = ? AND state = 1 AND locked_by = ?",
		    DB_PARAMS(DB_I64(JOB_MAX_ATTEMPTS), DB_I64(now), DB_I64(now),
			DB_U64(db_u64(&r, i, 0)), DB_STR(db_str(&r, i, 1))), &u) != 0)
			n = -1;
		else
			n += (int)u.affected;
	}
	db_rows_free(&u);
	db_rows_free(&r);
	buf_free(&prefix);
	return n;
}

int
job_reap(struct db *db, unsigned shard, int64_t now, long timeout)
{
	struct db_rows r = DB_ROWS_INIT;
	int rc, dead;

	/* Assignments are made left to right: state and last_error read attempts and locked_by
	 * before they change (and read the old values too under SIMULTANEOUS_ASSIGNMENT). */
	rc = db_exec(db, shard, "UPDATE {db}.tb_job SET state = IF(attempts + 1 >= ?, 3, 0), "
	    "attempts = attempts + 1, last_error = CONCAT('abandoned by ', locked_by, "
	    "': no outcome within ', ?, ' s'), locked_by = '', locked_at = 0, run_after = ?, "
	    "updated_at = ? WHERE state = 1 AND locked_at < ?",
	    DB_PARAMS(DB_I64(JOB_MAX_ATTEMPTS), DB_I64(timeout), DB_I64(now), DB_I64(now),
		DB_I64(now - timeout)), &r);
	rc = rc == 0 ? (int)r.affected : -1;
	db_rows_free(&r);
	if (rc >= 0 && (dead = reap_dead_local(db, shard, now)) != 0)
		rc = dead < 0 ? -1 : rc + dead;
	return rc;
}

/* Runs a DELETE ... LIMIT JOB_PURGE_BATCH with one parameter until it deletes less than a
 * batch. Each batch is its own statement, so locks are held for one batch only. */
static int
purge(struct db *db, unsigned shard, const char *sql, int64_t before)
{
	struct db_rows r = DB_ROWS_INIT;
	long total = 0;
	int rc;

	do {
		rc = db_exec(db, shard, sql, DB_PARAMS(DB_I64(before)), &r);
		if (rc == 0)
			total += (long)r.affected;
	} while (rc == 0 && r.affected >= JOB_PURGE_BATCH && total < INT_MAX - JOB_PURGE_BATCH);
	db_rows_free(&r);
	return rc == 0 ? (int)total : -1;
}

#define STR_(x) #x
#define STR(x)  STR_(x)

int
job_purge_done(struct db *db, unsigned shard, int64_t before)
{
	return purge(db, shard, "DELETE FROM {db}.tb_job WHERE state = 2 AND updated_at < ? "
	    "LIMIT " STR(JOB_PURGE_BATCH), before);
}

int
job_purge_idempotency_keys(struct db *db, unsigned shard, int64_t before)
{
	return purge(db, shard, "DELETE FROM {db}.tb_idempotency_key WHERE created_at < ? "
	    "LIMIT " STR(JOB_PURGE_BATCH), before);
}

/* ------------------------------------------------------------------------------------------ */
/* The jobs set aside */

/* What putting a job back sets, for one job (id = ?) or a batch (id > ? AND id <= ?): its
 * parameters are run_after and updated_at (now), then the ids. last_error stays for the operator
 * until the next attempt; locked_by and locked_at are cleared for a row set to 3 by hand. */
#define RETRY_SQL \
	"UPDATE {db}.tb_job SET state = 0, attempts = 0, run_after = ?, locked_by = '', " \
	"locked_at = 0, updated_at = ? WHERE state = 3 AND "

int
job_list_failed(struct db *db, unsigned shard, size_t limit, struct job_failed_list *list)
{
	struct db_rows r = DB_ROWS_INIT;
	size_t i;
	int rc = -1;

	/* A handful of rows in state 3 (an operator clears them): the filesort is cheap. */
	if (db_exec(db, shard, "SELECT id, type, attempts, updated_at, last_error FROM {db}.tb_job "
	    "WHERE state = 3 ORDER BY updated_at, id LIMIT ?",
	    DB_PARAMS(DB_U64(limit)), &r) != 0)
		goto out;
	if (list->n + r.nrows > list->cap) {
		list->cap = list->n + r.nrows;
		list->v = xrealloc(list->v, list->cap * sizeof *list->v);
	}
	for (i = 0; i < r.nrows; i++) {
		struct job_failed *j = &list->v[list->n++];

		j->id = db_u64(&r, i, 0);
		j->shard = shard;
		snprintf(j->type, sizeof j->type, "%s", db_str(&r, i, 1));
		j->attempts = (unsigned)db_u64(&r, i, 2);
		j->failed_at = db_i64(&r, i, 3);
		j->last_error = xstrdup(db_str(&r, i, 4));
	}
	rc = (int)r.nrows;
out:
	db_rows_free(&r);
	return rc;
}

static int
failed_cmp(const void *a, const void *b)
{
	const struct job_failed *x = a, *y = b;

	if (x->failed_at != y->failed_at)
		return x->failed_at < y->failed_at ? -1 : 1;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->shard < y->shard ? -1 : x->shard > y->shard;
}

void
job_failed_list_trim(struct job_failed_list *list, size_t keep)
{
	if (list->n > 1)
		qsort(list->v, list->n, sizeof *list->v, failed_cmp);
	while (list->n > keep)
		free(list->v[--list->n].last_error);
}

void
job_failed_list_free(struct job_failed_list *list)
{
	if (list == NULL)
		return;
	job_failed_list_trim(list, 0);
	free(list->v);
	list->v = NULL;
	list->cap = 0;
}

/* How many jobs of shard are in state, or -1. */
static long
count_state(struct db *db, unsigned shard, enum job_state state)
{
	struct db_rows r = DB_ROWS_INIT;
	long n = -1;

	if (db_exec(db, shard, "SELECT COUNT(*) FROM {db}.tb_job WHERE state = ?",
	    DB_PARAMS(DB_I64(state)), &r) == 0)
		n = (long)db_u64(&r, 0, 0);
	db_rows_free(&r);
	return n;
}

int
job_counts_add(struct db *db, unsigned shard, int64_t now, struct job_counts *c)
{
	struct db_rows r = DB_ROWS_INIT;
	size_t i;
	int rc;

	rc = db_exec(db, shard, "SELECT state, COUNT(*), COALESCE(MIN(CASE WHEN state = 0 AND "
	    "run_after <= ? THEN run_after END), 0) FROM {db}.tb_job WHERE state <> 2 GROUP BY state",
	    DB_PARAMS(DB_I64(now)), &r);
	for (i = 0; rc == 0 && i < r.nrows; i++) {
		uint64_t state = db_u64(&r, i, 0);
		int64_t due = db_i64(&r, i, 2);

		if (state <= JOB_PARKED)
			c->n[state] += db_u64(&r, i, 1);
		if (state == JOB_READY && due > 0 && now - due > c->oldest_due_s)
			c->oldest_due_s = now - due;
	}
	db_rows_free(&r);
	return rc == 0 ? 0 : -1;
}

long
job_count_failed(struct db *db, unsigned shard)
{
	return count_state(db, shard, JOB_FAILED);
}

long
job_count_parked(struct db *db, unsigned shard)
{
	return count_state(db, shard, JOB_PARKED);
}

int
job_retry(struct db *db, unsigned shard, uint64_t id, int *state)
{
	struct db_rows r = DB_ROWS_INIT;
	int64_t now = clock_now_s();
	int rc = -1;

	if (db_exec(db, shard, RETRY_SQL "id = ?",
	    DB_PARAMS(DB_I64(now), DB_I64(now), DB_U64(id)), &r) != 0)
		goto out;
	if (r.affected == 1) {
		rc = 1;
		goto out;
	}
	/* Not set aside: say what it is instead (read after the UPDATE, so only a report). */
	if (db_exec(db, shard, "SELECT state FROM {db}.tb_job WHERE id = ?",
	    DB_PARAMS(DB_U64(id)), &r) != 0)
		goto out;
	if (state != NULL)
		*state = r.nrows == 1 ? (int)db_u64(&r, 0, 0) : -1;
	rc = 0;
out:
	db_rows_free(&r);
	return rc;
}

long
job_retry_all(struct db *db, unsigned shard)
{
	struct db_rows ids = DB_ROWS_INIT, r = DB_ROWS_INIT;
	uint64_t lo = 0, hi;
	int64_t now = clock_now_s();
	long total = 0;

	/* By id ranges read first: the UPDATE covers (lo, hi], and lo only moves up, so a job put
	 * back here that fails for good again before the next batch is not met again. */
	do {
		if (db_exec(db, shard, "SELECT id FROM {db}.tb_job WHERE state = 3 AND id > ? "
		    "ORDER BY id LIMIT " STR(JOB_PURGE_BATCH),
		    DB_PARAMS(DB_U64(lo)), &ids) != 0) {
			total = -1;
			break;
		}
		if (ids.nrows == 0)
			break;
		hi = db_u64(&ids, ids.nrows - 1, 0);
		if (db_exec(db, shard, RETRY_SQL "id > ? AND id <= ?",
		    DB_PARAMS(DB_I64(now), DB_I64(now), DB_U64(lo), DB_U64(hi)),
		    &r) != 0) {
			total = -1;
			break;
		}
		total += (long)r.affected;
		lo = hi;
	} while (ids.nrows == JOB_PURGE_BATCH);
	db_rows_free(&ids);
	db_rows_free(&r);
	return total;
}

void
job_error_shown(struct buf *out, const char *s, size_t width)
{
	size_t used = 0;
	char esc[8];

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\n')
			snprintf(esc, sizeof esc, "\\n");
		else if (c == '\r')
			snprintf(esc, sizeof esc, "\\r");
		else if (c == '\t')
			snprintf(esc, sizeof esc, "\\t");
		else if (c == '\\')
			snprintf(esc, sizeof esc, "\\\\");
		else if (c < 0x20 || c > 0x7e)
			snprintf(esc, sizeof esc, "\\x%02x", c);
		else
			snprintf(esc, sizeof esc, "%c", c);
		if (used + strlen(esc) > width) {
			buf_puts(out, "...");
			return;
		}
		buf_puts(out, esc);
		used += strlen(esc);
	}
}
