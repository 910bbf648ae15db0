/* metrics.c: GET /metrics, the host's counters in the Prometheus text format (lib/base/metrics.h).
 *
 * Answered only to the addresses of [metrics] allow (loopback by default): anyone else gets 404,
 * as if there were no such page, since the counts describe the site's traffic. Besides the
 * counters that every process adds to, it reads at scrape time: each MariaDB instance's state
 * (from its breaker: no ping, so a scrape never waits on a hung instance), the operators'
 * switches, and the background jobs of every shard by state (one statement per shard) with the
 * age of the oldest job that is due. A shard whose jobs cannot be read is counted in
 * starling_jobs_unread_shards, not an error: the other figures still answer. */
#include "config.h"

#include <inttypes.h>
#include <time.h>

#include "apierr.h"
#include "job.h"
#include "shard.h"
#include "site.h"

static void
gauge(struct buf *out, const char *name, const char *help)
{
	buf_printf(out, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

static void
render_instances(struct ctx *ctx, struct buf *out)
{
	size_t i, n = db_instance_count(ctx->env->db);
	uint64_t retry;

	gauge(out, "starling_mysql_instance_up", "1 while the instance's circuit breaker lets "
	    "requests through; 0 while it fails them fast (lib/store/breaker.h).");
	for (i = 0; i < n; i++)
		buf_printf(out, "starling_mysql_instance_up{instance=\"%zu\"} %d\n", i,
		    db_instance_state(ctx->env->db, i, &retry) == DB_INSTANCE_DOWN ? 0 : 1);
}

static void
render_switches(struct ctx *ctx, struct buf *out)
{
	int i;

	gauge(out, "starling_switch", "The operators' degradation switches (0: off; "
	    "docs/operations.md).");
	for (i = 0; i < SWITCH_COUNT; i++)
		buf_printf(out, "starling_switch{name=\"%s\"} %ld\n", switches_def((enum switch_id)i)->name,
		    switches_get(ctx->env->switches, (enum switch_id)i));
}

static void
render_jobs(struct ctx *ctx, struct buf *out)
{
	static const char *const names[] = { "ready", "running", NULL, "failed", "parked" };
	struct job_counts c = { { 0 }, 0 };
	unsigned s, n = shard_count(db_shards(ctx->env->db)), unread = 0;
	int64_t now = (int64_t)time(NULL);
	size_t i;

	for (s = 0; s < n; s++)
		if (job_counts_add(ctx->env->db, s, now, &c) != 0)
			unread++;
	gauge(out, "starling_jobs", "Background jobs by state, over every shard (failed: set "
	    "aside after their last attempt; parked: held by an operator's switch).");
	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i] != NULL)
			buf_printf(out, "starling_jobs{state=\"%s\"} %" PRIu64 "\n", names[i], c.n[i]);
	gauge(out, "starling_jobs_oldest_due_seconds", "How long the oldest job that is due has "
	    "waited for a runner (0: none waits).");
	buf_printf(out, "starling_jobs_oldest_due_seconds %" PRId64 "\n", c.oldest_due_s);
	gauge(out, "starling_jobs_unread_shards", "Shards whose jobs could not be read for this "
	    "scrape (their instance is down).");
	buf_printf(out, "starling_jobs_unread_shards %u\n", unread);
}

enum apierr
site_metrics(struct ctx *ctx)
{
	struct buf *out = &ctx->resp.body;

	if (!metrics_allowed(&ctx->env->conf, ctx->req.remote_addr))
		return ctx_fail(ctx, APIERR_NOT_FOUND, NULL);
	metrics_render(ctx->env->metrics, out);
	render_instances(ctx, out);
	render_switches(ctx, out);
	render_jobs(ctx, out);
	ctx_body_ready(ctx, "text/plain; version=0.0.4; charset=utf-8");
	return APIERR_OK;
}
