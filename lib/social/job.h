/* job.h: the outbox: work on another shard, queued in the transaction that needs it (tb_job),
 * then run at once by the request, or later by starling-worker.
 *
 * A write that spans two shards commits its source of truth together with a tb_job row on the
 * same shard (job_queue_many inside the db_tx). The request queues the jobs it will run itself as
 * held (claimed by it from the start) and runs them after the commit (job_run_held), so an
 * inline job costs the request no statement of its own but its share of one insert and one
 * update for all; if a handler fails (the other shard is down) or the request dies in between,
 * the row goes back to the workers, and starling-worker runs it later with the same handler
 * table (job_handler_find).
 *
 * The outbox knows no job: each process installs the table of kinds it runs at start-up
 * (job_install), and the runners look a row's type up there (job_handler_find). The one table of
 * all kinds is lib/app/jobkinds.c, above the domain modules that own the handlers (postsync.h for
 * the posts' sync jobs, graph.h, timeline.h, notify.h, linkcard.h, mailcode.h, mediajob.h); it
 * says what each type's payload is. So this module includes none of them, as lighttpd's core
 * reaches its plugins through hook slots filled at start-up and includes no mod_*.h.
 *
 * Every job must be idempotent: most are "sync" jobs, which read the source of truth and make
 * the other shard match it (postsync.h), so running one twice, or two of the same pair in any
 * order, ends in the same state; that is what makes retries, and the reaper, safe.
 *
 * Life of a row: state 0 (ready) → 1 (claimed: locked_by, locked_at) → 2 (done); on failure back
 * to 0 with attempts + 1, last_error and run_after = now + back-off (JOB_BACKOFF_BASE * 2^n,
 * at most JOB_BACKOFF_MAX), or 3 (failed for good) after JOB_MAX_ATTEMPTS attempts. A row left
 * in 1 by a runner that died (a crash, a killed request) is put back by job_reap, which counts
 * it as a failed attempt (a job that kills its runner each time ends in 3, not in a crash loop).
 * Rows in 2 are deleted a day later (job_purge_done); rows in 3 ("set aside") are kept with
 * their last_error for an operator to read (job_list_failed: starling-admin jobs) and put back to
 * 0 once the cause is fixed (job_retry: starling-admin retry-job).
 *
 * Parked (state 4): a kind may name an operators' switch (lib/store/switches.h; jobkinds.c:
 * fanout_hold for timeline.push, notify_off for notify.post and notify.like). While it is on, jobs
 * of that kind are not run but parked, by whichever runner was about to run them (the request's
 * job_run_held, or a worker's claim), with no attempt counted. No runner takes a parked row; once
 * its switch is off, starling-worker makes them ready again a few at a time (job_release,
 * [switches] release_per_second), so that the backlog is not a second surge.
 *
 * The runners: the request that queued a job (job_run_held, or job_run by ID), and
 * starling-worker (job_run_next, the oldest ready job of a shard, taken with SELECT ... FOR
 * UPDATE SKIP LOCKED so that several workers never take the same row). All run it with the same
 * handler and record its outcome the same way.
 *
 * Return convention: <0 failure (logged), 0 nothing done, >0 done, unless said otherwise. */
#ifndef STARLING_JOB_H
#define STARLING_JOB_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "buf.h"
#include "db.h"
#include "switches.h"

struct app_env;

#define JOB_MAX_ATTEMPTS 8
#define JOB_BACKOFF_BASE 10     /* seconds before the first retry */
#define JOB_BACKOFF_MAX  3600   /* no retry waits longer */

#define JOB_TYPE_MAX 64   /* tb_job.type is varchar(64) */

enum job_state { JOB_READY = 0, JOB_RUNNING = 1, JOB_DONE = 2, JOB_FAILED = 3, JOB_PARKED = 4 };

/* A handler: makes the target match the source for payload (borrowed). Returns 0, or -1 with
 * why in err (stored in last_error; no secrets). It must be idempotent. */
typedef int (*job_handler)(struct app_env *env, json_object *payload, struct buf *err);

/* One kind of job, as the installed table lists it. */
struct job_kind {
	const char     *type;        /* tb_job.type: at most JOB_TYPE_MAX bytes, once per table */
	job_handler     run;
	bool            parkable;    /* parked while park_switch is on; false: never parked */
	enum switch_id  park_switch;
};

/* Installs the kinds of job this process runs: kinds[0 .. n-1], borrowed for the process's life
 * (a static table: lib/app/jobkinds.c's jobkinds_install). Called once at start-up, before any job
 * runs and before any thread starts (the table is read without a lock); a second call replaces
 * the first (tests). Until a table is installed no type is known, but a job is then not set
 * aside as unknown: it is left, with its attempt counted, for a runner that has the table
 * (starling-worker), since the fault is this process's, not the job's. */
void job_install(const struct job_kind *kinds, size_t n);

/* The kind of type in the installed table, or NULL: a type this build does not know (set aside
 * at its first attempt), a NULL type, or no table installed. */
const struct job_kind *job_handler_find(const char *type);

/* Queues a job: INSERT into shard's tb_job, to be called inside a db_tx fn on that shard (so the
 * job commits or rolls back with the change). id was made on shard before the transaction
 * (a db_tx fn may run again, and making an ID may touch shard 0). payload is borrowed.
 * Returns 0 or -1. */
int job_queue(struct db *db, unsigned shard, uint64_t id, const char *type, json_object *payload);
/* Queues a job that goes with no change of its own (a build, a processing step): job_queue in a
 * transaction of its own on shard. Returns 0 or -1. */
int job_queue_alone(struct db *db, unsigned shard, uint64_t id, const char *type,
    json_object *payload);

/* A job to queue with job_queue_many. */
struct job_new {
	uint64_t     id;        /* made on the shard before the transaction, as for job_queue */
	const char  *type;
	json_object *payload;   /* borrowed */
	bool         held;      /* queued as claimed by this process, which runs it itself after
	                         * the commit (job_run_held); false: ready for any runner (a worker
	                         * takes it) */
};

/* Queues the n jobs in one statement (inside a db_tx fn on shard, as job_queue). A held job
 * costs no claim and no read afterwards: the request that made it has its payload and owns its
 * row from the start; if the request dies before recording the outcome, job_reap gives the row
 * back to the workers after the timeout. Returns 0 or -1. */
int job_queue_many(struct db *db, unsigned shard, const struct job_new *jobs, size_t n);

/* After the commit: runs the held jobs of jobs[] (those of job_queue_many with held set) from
 * their payloads, and records their outcomes: all done ones in one statement; each failure as
 * job_run records it (back to ready with a back-off, for the worker). Returns how many did not
 * run (0: all done); each failure is logged. */
int job_run_held(struct app_env *env, unsigned shard, const struct job_new *jobs, size_t n);

/* Runs job id of shard now: claims it (state 0 → 1, whatever its run_after), runs its handler,
 * and marks it done (2), or records the failure (back to 0 with a back-off, or 3 after the last
 * attempt). Returns 1 done, 0 not claimed (no such job, or not ready: done, failed for good, or
 * held by another runner: a worker that took it first; then job_run waits up to two seconds for
 * that runner to finish, so the caller still reads its own write), -1 the handler failed (or
 * the database did; the job stays queued). */
int job_run(struct app_env *env, unsigned shard, uint64_t id);

/* What job_run_next ran: its ID (0 when nothing was claimed) and type. */
struct job_ran {
	uint64_t id;
	char     type[JOB_TYPE_MAX + 1];
};

/* Runs the oldest ready job of shard (state 0, run_after <= now): claims it in a transaction
 * with SELECT ... FOR UPDATE SKIP LOCKED (a row another runner is claiming is skipped, never
 * waited for), then runs it as job_run does. ran is filled in either case. Returns 1 done, 0 no
 * job ready, -1 with ran->id != 0 the job failed (recorded, as job_run), -1 with ran->id == 0
 * the database failed before anything was claimed (the shard's instance is down). */
int job_run_next(struct app_env *env, unsigned shard, struct job_ran *ran);

/* Which shards of instance (an index of [mysql] instances) have a ready job, in one statement
 * for all of them: an idle poll costs a statement per instance, not per shard. ready has a slot
 * per shard; those of the instance's shards are set, the others left alone. Returns how many
 * are ready, or -1 (the instance is down; nothing set). */
int job_ready_shards(struct app_env *env, size_t instance, bool *ready);

/* Whether a job of type is to be parked now: its kind is parkable and its switch is on. */
bool job_parked_now(struct app_env *env, const char *type);

/* Which shards of instance hold parked jobs (as job_ready_shards, one statement). */
int job_parked_shards(struct app_env *env, size_t instance, bool *parked);

/* Makes up to limit parked jobs of shard ready again (state 0, run_after now), the oldest
 * first, of the installed parkable kinds whose switch is off, in the table's order. Returns how
 * many, or -1. */
long job_release(struct app_env *env, unsigned shard, long limit);

/* Puts back the jobs of shard held (state 1) since before now - timeout seconds: their runner
 * died. Also, at once, those held by a process of this host that no longer exists (a FastCGI
 * worker killed between its commit and the jobs it held: job_run_held). Each counts as an
 * attempt: back to 0 (ready at once) with last_error naming the runner, or 3 when it was the
 * last. Returns how many were put back, or -1. */
int job_reap(struct db *db, unsigned shard, int64_t now, long timeout);

/* Clean-ups, in batches of JOB_PURGE_BATCH rows (short transactions, no long lock): the done jobs
 * of shard last changed before `before`, and the idempotency keys (tb_idempotency_key) made
 * before `before`. Returns how many rows went, or -1 (what was deleted stays deleted). */
#define JOB_PURGE_BATCH 1000
#define JOB_DONE_KEEP   86400   /* seconds a done job is kept: for a look at what just ran */
int job_purge_done(struct db *db, unsigned shard, int64_t before);
int job_purge_idempotency_keys(struct db *db, unsigned shard, int64_t before);

/* ------------------------------------------------------------------------------------------ */
/* The jobs set aside (state 3), for an operator: starling-admin jobs and retry-job
 * (docs/admin.md). A job is set aside after JOB_MAX_ATTEMPTS failed attempts, or at its first for
 * a type this build does not know or a payload that is not an object; it stays there, with its
 * last_error, until someone looks at it and puts it back. */

/* One job set aside, as job_list_failed reads it. */
struct job_failed {
	uint64_t id;
	unsigned shard;
	unsigned attempts;
	int64_t  failed_at;                /* updated_at: when its last attempt failed */
	char     type[JOB_TYPE_MAX + 1];
	char    *last_error;               /* owned by the list */
};

/* A growing array of them; owned by the caller: JOB_FAILED_LIST_INIT, then job_failed_list_free. */
struct job_failed_list {
	struct job_failed *v;
	size_t             n, cap;
};
#define JOB_FAILED_LIST_INIT { NULL, 0, 0 }

/* Appends to list the jobs of shard set aside, at most limit of them: the oldest failures
 * (failed_at, then id). Returns how many were appended, or -1 (list unchanged). */
int job_list_failed(struct db *db, unsigned shard, size_t limit, struct job_failed_list *list);

/* Sorts list by failure, oldest first (failed_at, then id), and keeps its first keep entries.
 * The lists of several shards, each cut at limit by job_list_failed, then trimmed to limit, are
 * the oldest limit failures of them all. */
void job_failed_list_trim(struct job_failed_list *list, size_t keep);

/* Frees what list holds and makes it empty again (reusable); NULL is accepted. */
void job_failed_list_free(struct job_failed_list *list);

/* How many jobs of shard are set aside, or -1. */
long job_count_failed(struct db *db, unsigned shard);

/* How many jobs of shard are parked by a switch (state 4), or -1: starling-admin jobs shows
 * them, so that an operator sees what a switch holds back before clearing it. */
long job_count_parked(struct db *db, unsigned shard);

/* The jobs of a shard by state, for /metrics: counts (indexed by enum job_state; done jobs are
 * not counted), and the oldest ready job that is due: now - its run_after, in seconds (0 when
 * none is due). */
struct job_counts {
	uint64_t n[JOB_PARKED + 1];
	int64_t  oldest_due_s;
};
/* Adds shard's counts to c (the oldest is the larger of the two). Returns 0, or -1 when the shard
 * cannot be read (c unchanged). One statement. */
int job_counts_add(struct db *db, unsigned shard, int64_t now, struct job_counts *c);

/* Puts job id of shard back to ready if it is set aside: state 0, attempts 0 (a full
 * JOB_MAX_ATTEMPTS again), run_after now (the next worker pass takes it). last_error is kept: it
 * shows the previous cause until the next attempt overwrites it (a success clears it). A job in
 * any other state is left alone. Returns 1 put back; 0 not, with *state (when not NULL) its
 * state, or -1 for no such job; -1 when the database failed. */
int job_retry(struct db *db, unsigned shard, uint64_t id, int *state);

/* Puts every job of shard set aside back to ready, as job_retry does, in batches of
 * JOB_PURGE_BATCH by id: a job that fails for good again meanwhile (its cause not fixed) is not
 * taken a second time, so this always ends. Returns how many were put back, or -1 (those before
 * the failure stay put back). */
long job_retry_all(struct db *db, unsigned shard);

/* Appends s (a last_error) to out as one line fit for a terminal: printable ASCII as it is,
 * \n \r \t and \\ so written, any other byte as \xHH; at most width bytes of that, then "..." when
 * cut (never in the middle of an escape). */
void job_error_shown(struct buf *out, const char *s, size_t width);

/* ------------------------------------------------------------------------------------------ */

/* Moves the counter column (count_likes, count_comments, ...: a static name, never input) of
 * record_id by delta: +1, or -1 never going below 0. content_type says what the record is:
 * JOB_RECORD_POST (tb_post_extended), JOB_RECORD_REPLY (tb_post_reply_extended), or
 * JOB_RECORD_UNKNOWN (both are tried, one statement each; the other has no such row). For a
 * transaction on the record's shard. Returns 0 or -1. */
enum { JOB_RECORD_UNKNOWN = -1, JOB_RECORD_POST = 0, JOB_RECORD_REPLY = 1 };
int job_bump_count(struct db *db, uint64_t record_id, const char *column, int delta,
    int content_type);

/* The seconds to wait before attempt number attempts + 1 (attempts >= 1 failed so far). */
long job_backoff(unsigned attempts);

/* "host:pid" of this process, as tb_job.locked_by records it (static). */
const char *job_runner_name(void);

/* A decimal ID member of a job payload ("123", as payloads write them): 0 when it is missing, not
 * a string of digits, or out of range. For the handlers (lib/social/postsync.c, lib/social/graph.c,
 * ...). */
uint64_t job_payload_id(json_object *payload, const char *name);

/* The string member name of a job's payload (owned by payload), or NULL when it is missing or
 * not a string. */
const char *job_payload_str(json_object *payload, const char *name);

#endif
