/* worker.c: starling-worker's loop: jobs shard by shard, periodic tasks, a clean stop. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctx.h"
#include "db.h"
#include "job.h"
#include "log.h"
#include "mediaclean.h"
#include "shard.h"
#include "switches.h"
#include "trend.h"
#include "worker.h"
#include "xalloc.h"

int64_t
worker_task_next(int64_t now, long interval, bool ok)
{
	return now + (ok || interval < WORKER_RETRY_S ? interval : WORKER_RETRY_S);
}

long
worker_idle_ms(long poll_ms, unsigned failures)
{
	long ms = poll_ms;

	while (failures-- > 0 && ms < WORKER_BACKOFF_MAX_MS)
		ms *= 2;
	if (ms > WORKER_BACKOFF_MAX_MS)
		ms = WORKER_BACKOFF_MAX_MS;
	return ms > poll_ms ? ms : poll_ms;
}

/* ------------------------------------------------------------------------------------------ */
/* Stopping */

/* SIGTERM and SIGINT stay blocked: they are never delivered to a handler in the middle of a job
 * (or of a MySQL read, which an interrupted system call would break), only taken from the
 * pending set where the loop can stop. */
static sigset_t stopset;
static bool stop_asked;

static void
signals_setup(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	/* A shell starts background commands with SIGINT ignored, and an ignored signal is dropped,
	 * never pending: both mean "stop" here, whoever started us. */
	sa.sa_handler = SIG_DFL;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/* A memcached or MariaDB server that closes its socket must not kill the worker. */
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigemptyset(&stopset);
	sigaddset(&stopset, SIGTERM);
	sigaddset(&stopset, SIGINT);
	sigprocmask(SIG_BLOCK, &stopset, NULL);
	stop_asked = false;
}

/* Waits up to ms milliseconds for a stop signal (0: only looks). Returns whether one came, now
 * or before. */
static bool
wait_stop(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	int sig;

	if (stop_asked)
		return true;
	sig = sigtimedwait(&stopset, NULL, &ts);
	if (sig > 0) {
		log_info("stopping: %s received; the current work is finished first",
		    sig == SIGTERM ? "SIGTERM" : "SIGINT");
		stop_asked = true;
	}
	return stop_asked;
}

static bool
stopping(void)
{
	return wait_stop(0);
}

/* ------------------------------------------------------------------------------------------ */
/* Periodic tasks */

static unsigned
shards(const struct app_env *env)
{
	return shard_count(db_shards(env->db));
}

/* Jobs whose runner died (job_reap). */
static int
task_reap(struct app_env *env, int64_t now)
{
	unsigned s, n = shards(env);
	int rc = 0, got;

	for (s = 0; s < n && !stopping(); s++) {
		got = job_reap(env->db, s, now, env->conf.worker_lock_timeout);
		if (got < 0)
			rc = -1;
		else if (got > 0)
			log_warn("shard %u: %d job(s) put back: their runner gave no outcome within %ld s",
			    s, got, env->conf.worker_lock_timeout);
	}
	return rc;
}

/* The trends, unless the operators' trends_off switch is on: then the last ones computed stay
 * (the routes serve them) until a computation after the switch is off. */
static int
task_trends(struct app_env *env, int64_t now)
{
	(void)now;
	if (switches_on(env->switches, SWITCH_TRENDS_OFF)) {
		log_info("trends not computed: the trends_off switch is on (the last ones are served)");
		return 0;
	}
	return trend_compute(env) == 0 ? 0 : -1;
}

/* Jobs parked by fanout_hold or notify_off (job.h) made ready again once their switch is off:
 * at most budget of them in all, instance by instance (one statement asks which of its shards
 * hold any: most seconds, none). */
static int
release_parked(struct app_env *env, long budget)
{
	const struct shard_map *m = db_shards(env->db);
	unsigned s, n = shards(env);
	size_t i, ninst = db_instance_count(env->db);
	bool *parked = xcalloc(n, sizeof *parked);
	long got, total = 0;
	int rc = 0;

	for (i = 0; i < ninst && total < budget && !stopping(); i++) {
		if (job_parked_shards(env, i, parked) <= 0)
			continue;   /* none, or the instance is down (logged by db.c) */
		for (s = 0; s < n && total < budget; s++) {
			if (!parked[s] || shard_instance(m, s) != i)
				continue;
			if ((got = job_release(env, s, budget - total)) < 0)
				rc = -1;
			else
				total += got;
		}
	}
	if (total > 0)
		log_info("%ld parked job(s) made ready again (at most %ld a second: [switches] "
		    "release_per_second)", total, env->conf.switches_release_per_second);
	free(parked);
	return rc;
}

static int
task_release(struct app_env *env, int64_t now)
{
	(void)now;
	return release_parked(env, env->conf.switches_release_per_second);
}

/* Under --once (cron, a run a minute): a minute's worth at once. */
static int
task_release_once(struct app_env *env, int64_t now)
{
	(void)now;
	return release_parked(env, env->conf.switches_release_per_second * 60);
}

/* Done jobs a day old, and idempotency keys past [posts] idempotency_ttl. */
static int
task_cleanup(struct app_env *env, int64_t now)
{
	unsigned s, n = shards(env);
	int rc = 0, jobs, keys;

	for (s = 0; s < n && !stopping(); s++) {
		jobs = job_purge_done(env->db, s, now - JOB_DONE_KEEP);
		keys = job_purge_idempotency_keys(env->db, s, now - env->conf.posts_idempotency_ttl);
		if (jobs < 0 || keys < 0)
			rc = -1;
		if (jobs > 0 || keys > 0)
			log_info("shard %u: deleted %d done job(s) and %d expired idempotency key(s)", s,
			    jobs > 0 ? jobs : 0, keys > 0 ? keys : 0);
	}
	return rc;
}

/* Uploads no post needs any more (lib/social/mediaclean.h): shard by shard, in small batches. */
static int
task_media(struct app_env *env, int64_t now)
{
	unsigned s, n = shards(env);
	long got;
	int rc = 0;

	for (s = 0; s < n && !stopping(); s++) {
		if ((got = mediaclean_sweep(env, s, now)) < 0)
			rc = -1;
		else if (got > 0)
			log_info("shard %u: removed the files of %ld upload(s) no post needs ([media] "
			    "orphan_grace %ld s)", s, got, env->conf.media_orphan_grace);
	}
	return rc;
}

struct task {
	const char *name;
	long        interval;   /* seconds */
	int       (*run)(struct app_env *env, int64_t now);
	int64_t     next;       /* Unix seconds; 0: at once */
};

/* Runs every task due at now (all of them when force). Returns 0, or -1 when one failed. */
static int
run_tasks(struct app_env *env, struct task *tasks, size_t n, bool force)
{
	int64_t now = (int64_t)time(NULL);
	size_t i;
	int rc = 0;

	for (i = 0; i < n && !stopping(); i++) {
		bool ok;

		if (!force && tasks[i].next > now)
			continue;
		ok = tasks[i].run(env, now) == 0;
		if (!ok) {
			log_error("periodic task %s failed; trying again in %" PRId64 " s", tasks[i].name,
			    worker_task_next(now, tasks[i].interval, false) - now);
			rc = -1;
		}
		tasks[i].next = worker_task_next(now, tasks[i].interval, ok);
	}
	return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Jobs */

struct pass {
	unsigned ran;           /* jobs claimed (done or failed) */
	unsigned unreachable;   /* shards whose jobs could not be read */
};

static double
elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Up to WORKER_BATCH jobs of shard s. */
static void
run_shard(struct app_env *env, unsigned s, struct pass *p)
{
	unsigned k;

	for (k = 0; k < WORKER_BATCH && !stopping(); k++) {
		struct job_ran ran;
		struct timespec t0;
		int rc;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		rc = job_run_next(env, s, &ran);
		if (ran.id == 0) {
			if (rc < 0)
				p->unreachable++;
			break;
		}
		p->ran++;
		/* A failure was logged by job.c with its reason. */
		if (rc > 0)
			log_info("job %" PRIu64 " %s (shard %u) done in %.1fms", ran.id, ran.type, s,
			    elapsed_ms(&t0));
	}
}

/* One pass over every shard with a ready job, instance by instance: one statement asks which
 * of an instance's shards have one (most polls find none), then up to WORKER_BATCH jobs of
 * each. */
static void
run_pass(struct app_env *env, struct pass *p)
{
	const struct shard_map *m = db_shards(env->db);
	unsigned s, n = shards(env);
	size_t i, ninst = db_instance_count(env->db);
	bool *ready = xcalloc(n, sizeof *ready);

	memset(p, 0, sizeof *p);
	for (i = 0; i < ninst && !stopping(); i++) {
		if (job_ready_shards(env, i, ready) < 0) {
			for (s = 0; s < n; s++)
				p->unreachable += shard_instance(m, s) == i;
			continue;
		}
		for (s = 0; s < n && !stopping(); s++)
			if (ready[s] && shard_instance(m, s) == i)
				run_shard(env, s, p);
	}
	free(ready);
}

/* Counts passes in a row that could not read some shard, and logs when that starts and ends
 * (not at every pass: the database layer has logged each failure already). */
static void
note_reach(const struct pass *p, unsigned *failures)
{
	if (p->unreachable > 0) {
		if (*failures == 0)
			log_warn("%u shard(s) cannot be read (a database down?); trying again, backing off "
			    "up to %d ms while idle", p->unreachable, WORKER_BACKOFF_MAX_MS);
		/* Enough to reach the longest back-off; never wraps back to "all well". */
		if (*failures < 64)
			(*failures)++;
	} else if (*failures > 0) {
		log_info("every shard can be read again");
		*failures = 0;
	}
}

int
worker_run(struct app_env *env, enum worker_mode mode)
{
	struct task tasks[] = {
		{ "reap", WORKER_REAP_INTERVAL, task_reap, 0 },
		{ "release", 1, mode == WORKER_ONCE ? task_release_once : task_release, 0 },
		{ "trends", env->conf.worker_trends_interval, task_trends, 0 },
		{ "cleanup", env->conf.worker_cleanup_interval, task_cleanup, 0 },
		{ "media", env->conf.worker_cleanup_interval, task_media, 0 },
	};
	const size_t ntasks = sizeof tasks / sizeof tasks[0];
	unsigned failures = 0;
	struct pass p;
	int status = 0;

	signals_setup();
	log_info("started (%s): %u shard(s), poll %ld ms, trends every %ld s, clean-up every %ld s",
	    mode == WORKER_ONCE ? "once" : "daemon", shards(env), env->conf.worker_poll_ms,
	    env->conf.worker_trends_interval, env->conf.worker_cleanup_interval);
	if (mode == WORKER_ONCE) {
		/* The reaper and the release (tasks[0], [1]) first, so that abandoned and released
		 * jobs run in this pass; the other tasks after the jobs, which are what users wait
		 * for. */
		if (run_tasks(env, tasks, 2, true) != 0)
			status = 1;
		do {
			run_pass(env, &p);
			if (p.unreachable > 0)
				status = 1;
		} while (p.ran > 0 && !stopping());
		if (run_tasks(env, tasks + 2, ntasks - 2, true) != 0)
			status = 1;
		goto out;
	}
	while (!stopping()) {
		/* Reads the operators' switches when due, so that the worker logs their changes even
		 * while nothing it does asks for them. */
		(void)switches_get(env->switches, SWITCH_FANOUT_HOLD);
		(void)run_tasks(env, tasks, ntasks, false);
		run_pass(env, &p);
		note_reach(&p, &failures);
		/* Work found: more may be waiting. */
		if (p.ran == 0)
			(void)wait_stop(worker_idle_ms(env->conf.worker_poll_ms, failures));
	}
out:
	log_info("stopped");
	return stop_asked ? 0 : status;
}
