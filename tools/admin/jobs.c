/* jobs.c: starling-admin jobs and retry-job: the background jobs set aside (lib/social/job.h),
 * listed and put back (admin.h). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "buf.h"
#include "db.h"
#include "id.h"
#include "job.h"
#include "progress.h"
#include "shard.h"

#include "admin.h"

/* ------------------------------------------------------------------------------------------ */
/* jobs, retry-job: the background jobs set aside (lib/social/job.h) */

/* One job a line, columns as the header; type and last_error escaped (job_error_shown): rows may
 * have been written by hand, and a control character must not reach the terminal. */
static void
jobs_print(const struct job_failed_list *l)
{
	struct buf type = BUF_INIT, when = BUF_INIT, error = BUF_INIT;
	size_t i;

	printf("%-20s %5s  %-20s %8s  %-20s  %s\n", "ID", "SHARD", "TYPE", "ATTEMPTS",
	    "FAILED (UTC)", "LAST ERROR");
	for (i = 0; i < l->n; i++) {
		const struct job_failed *j = &l->v[i];

		buf_reset(&type);
		buf_reset(&when);
		buf_reset(&error);
		job_error_shown(&type, j->type, JOB_TYPE_MAX);
		admin_utc_time(j->failed_at, &when);
		job_error_shown(&error, j->last_error, JOBS_ERROR_WIDTH);
		printf("%-20" PRIu64 " %5u  %-20s %8u  %-20s  %s\n", j->id, j->shard,
		    buf_cstr(&type), j->attempts, buf_cstr(&when), buf_cstr(&error));
	}
	buf_free(&type);
	buf_free(&when);
	buf_free(&error);
}

/* Every shard's jobs set aside, the oldest failures first. Each shard gives its oldest limit,
 * and the list is trimmed to limit after each, so it never holds more than twice the limit
 * however many shards there are. An instance down or a shard that cannot be read is reported
 * and skipped: the others are listed, and the exit status is 1. */
int
cmd_jobs(struct admin *a)
{
	const struct shard_map *m = db_shards(a->db);
	struct job_failed_list list = JOB_FAILED_LIST_INIT;
	struct buf label = BUF_INIT;
	size_t limit = a->opt.limit;
	const char *partial;
	long n, parked, total = 0, total_parked = 0;
	unsigned s;
	bool ok, *up = admin_instances_up(a, "their jobs are not listed", &ok);

	for (s = 0; s < shard_count(m); s++) {
		if (!up[shard_instance(m, s)])
			continue;
		if ((n = job_count_failed(a->db, s)) < 0 ||
		    (parked = job_count_parked(a->db, s)) < 0 ||
		    (n > 0 && job_list_failed(a->db, s, limit, &list) < 0)) {
			buf_reset(&label);
			admin_shard_label(a, s, &label);
			admin_fail("%s: cannot read its jobs (server error above); not listed",
			    buf_cstr(&label));
			ok = false;
			continue;
		}
		total += n;
		total_parked += parked;
		job_failed_list_trim(&list, limit);
	}
	if (list.n > 0)
		jobs_print(&list);
	/* Shards not read are not counted: the count says so. */
	partial = ok ? "" : " on the shards that could be read";
	if (total == 0)
		printf("jobs: no job set aside%s\n", partial);
	else if ((size_t)total > list.n)
		printf("jobs: %ld jobs set aside%s, %zu shown: the oldest failures (--limit %zu)\n",
		    total, partial, list.n, limit);
	else
		printf("jobs: %ld job%s set aside%s\n", total, total == 1 ? "" : "s", partial);
	if (total_parked > 0)
		printf("jobs: %ld job%s parked by a switch%s (fanout_hold, notify_off: switch list); "
		    "released a few a second once it is off\n", total_parked,
		    total_parked == 1 ? "" : "s", partial);
	free(up);
	job_failed_list_free(&list);
	buf_free(&label);
	return ok ? EXIT_DONE : EXIT_FAILED;
}

/* Why job id of shard was not put back, from job_retry's state. */
static const char *
not_retried(int state)
{
	switch (state) {
	case JOB_READY:
		return "is ready already (queued, or waiting for its next attempt)";
	case JOB_RUNNING:
		return "is running now";
	case JOB_DONE:
		return "is done";
	case -1:
		return "does not exist (done and cleaned up, or not an ID that jobs printed)";
	default:
		return "is in an unknown state";
	}
}

/* retry-job ID: the shard is the ID's own (a job's ID is made on the shard that queues it). */
static int
retry_one(struct admin *a, const char *arg)
{
	unsigned s, n = shard_count(db_shards(a->db));
	struct buf label = BUF_INIT;
	int rc = EXIT_FAILED, state = -1;
	uint64_t id;

	if (!admin_parse_u64(arg, UINT64_MAX, &id) || id == 0) {
		/* Quoted escaped and cut: it may come from a script, with anything in it. */
		job_error_shown(&label, arg, 64);
		admin_fail("retry-job: \"%s\" is not a job ID (the decimal number in the first column "
		    "of jobs); nothing changed", buf_cstr(&label));
		goto out;
	}
	if ((s = id_shard(id)) >= n) {
		admin_fail("retry-job: %" PRIu64 " is no job ID of this site: it names shard %u, and "
		    "there are %u (0-%u); nothing changed", id, s, n, n - 1);
		goto out;
	}
	admin_shard_label(a, s, &label);
	switch (job_retry(a->db, s, id, &state)) {
	case 1:
		printf("retry-job: job %" PRIu64 " on %s is ready again; starling-worker runs it on "
		    "its next pass\n", id, buf_cstr(&label));
		rc = EXIT_DONE;
		break;
	case 0:
		admin_fail("retry-job: job %" PRIu64 " on %s %s: only a job set aside is retried; "
		    "nothing changed", id, buf_cstr(&label), not_retried(state));
		break;
	default:
		admin_fail("retry-job: %s: cannot put job %" PRIu64 " back (server error above)",
		    buf_cstr(&label), id);
		break;
	}
out:
	buf_free(&label);
	return rc;
}

/* retry-job --all: shard by shard; one that cannot be reached is reported, the others done. */
static int
retry_all(struct admin *a)
{
	const struct shard_map *m = db_shards(a->db);
	struct buf label = BUF_INIT;
	struct progress prog;
	long n, total = 0;
	unsigned s;
	bool ok, *up = admin_instances_up(a, "their jobs are not retried", &ok);

	admin_progress(a, &prog, "retry-job", "job ready again", "jobs ready again");
	for (s = 0; s < shard_count(m); s++) {
		if (!up[shard_instance(m, s)])
			continue;
		buf_reset(&label);
		admin_shard_label(a, s, &label);
		if ((n = job_retry_all(a->db, s)) < 0) {
			admin_fail("retry-job: %s: cannot put its jobs back (server error above)",
			    buf_cstr(&label));
			ok = false;
		} else if (n > 0) {
			admin_report("retry-job: %s: %ld job%s ready again\n", buf_cstr(&label), n,
			    n == 1 ? "" : "s");
			total += n;
		}
		progress_shard_done(&prog, s, (uint64_t)total);
	}
	progress_end(&prog);
	if (total == 0)
		printf("retry-job: no job set aside%s\n", ok ? "" : " on the shards that could be read");
	else
		printf("retry-job: %ld job%s ready again; starling-worker runs them on its next pass\n",
		    total, total == 1 ? "" : "s");
	free(up);
	buf_free(&label);
	return ok ? EXIT_DONE : EXIT_FAILED;
}

int
cmd_retry_job(struct admin *a)
{
	return a->opt.all ? retry_all(a) : retry_one(a, a->opt.id);
}
