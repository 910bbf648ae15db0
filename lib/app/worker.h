/* worker.h: starling-worker's loop (docs/worker.md): the jobs of every shard left for later
 * (job.h), and the periodic tasks: putting back jobs whose runner died, the trends, the clean-ups.
 *
 * One process, one job at a time. A pass asks each instance which of its shards have a ready
 * job (one statement per instance: job_ready_shards), then goes shard by shard, up to
 * WORKER_BATCH of a shard before the next one, so that a busy shard does not starve the others;
 * when a whole pass found nothing, the worker sleeps [worker] poll_ms. Several workers may run at once (on
 * one host or several): a job is claimed with SKIP LOCKED, so each runs on one of them.
 *
 * Stopping: SIGTERM and SIGINT are blocked for the life of the loop and only looked at between
 * two jobs (or two shards of a task) and while it sleeps, so a job is never abandoned half-way; a
 * second signal while a job runs changes nothing, the job still finishes. Only SIGKILL stops a job
 * in the middle, and then job_reap puts it back later.
 *
 * A database or memcached that is down is not fatal: the shards that cannot be read are logged
 * (once, then when they are back), and the idle sleep grows (poll_ms doubled per failed pass, at
 * most WORKER_BACKOFF_MAX_MS) until a pass reaches every shard again. */
#ifndef STARLING_WORKER_H
#define STARLING_WORKER_H

#include <stdbool.h>
#include <stdint.h>

struct app_env;

#define WORKER_BATCH          16      /* jobs of one shard before the next shard's turn */
#define WORKER_BACKOFF_MAX_MS 10000   /* longest sleep while shards are unreachable */
#define WORKER_REAP_INTERVAL  60      /* seconds between two looks for abandoned jobs */
#define WORKER_RETRY_S        60      /* a periodic task that failed runs again after this */

enum worker_mode {
	WORKER_DAEMON,   /* until SIGTERM or SIGINT */
	WORKER_ONCE,     /* every pending job and each periodic task once, then return (cron) */
};

/* Runs the worker with env (borrowed; its configuration's [worker] keys). Blocks SIGTERM and
 * SIGINT (their disposition reset to the default) and ignores SIGPIPE for the rest of the process.
 * Returns 0 after a stop asked by a signal, or when a WORKER_ONCE run reached every shard and
 * each task succeeded; 1 when a WORKER_ONCE run could not (a shard unreachable, a task failed:
 * what could run, ran). Job failures are the jobs' own (recorded in tb_job), not the worker's. */
int worker_run(struct app_env *env, enum worker_mode mode);

/* Pure parts, for tests. */

/* When a periodic task of interval seconds runs again after running at now: a task that failed
 * is tried again sooner (after WORKER_RETRY_S, or interval when that is shorter). */
int64_t worker_task_next(int64_t now, long interval, bool ok);

/* Milliseconds to sleep after a pass that ran nothing: poll_ms, doubled for each of the failures
 * passes in a row that could not reach some shard, at most WORKER_BACKOFF_MAX_MS (but never less
 * than poll_ms). */
long worker_idle_ms(long poll_ms, unsigned failures);

#endif
