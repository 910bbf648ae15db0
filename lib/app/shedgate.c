/* shedgate.c: the pipeline's load-shedding stage: the request's wait measured against its class's
 * budget (the rules are shed.c's), what this process refused, and the signal to the web server. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "apierr.h"
#include "auth.h"
#include "clock.h"
#include "ctx.h"
#include "db.h"
#include "log.h"
#include "shed.h"
#include "shedgate.h"

/* How often a process logs what it shed: once a period while it sheds, never per request. */
#define SHED_LOG_PERIOD_MS 10000

/* What this process refused since it last said so (one process, one count), and what it saw of
 * its binary's queue. */
static struct shed_stats shed_stats;
static struct shed_queue shed_queue;
static struct shed_signal shed_signal;

/* Whether every database instance answers, as the host's breakers say: a queue that stands
 * while one does not is the failure's (its requests wait out their deadlines until the breaker
 * opens), not more work than the machine can do, and refusing every anonymous read of the site
 * for it would spread one instance's failure to all. */
static bool
shed_all_up(struct db *db)
{
	size_t i, n = db_instance_count(db);
	uint64_t retry;

	for (i = 0; i < n; i++)
		if (db_instance_state(db, i, &retry) != DB_INSTANCE_UP)
			return false;
	return true;
}

/* Tells the web server to refuse reads without a login for a while (shed.h, "The web server's
 * part"), at most once an interval: the line goes to a file of this process's own first, then
 * takes the signal's name at once, so the web server never reads half a line. */
static void
shed_tell_web_server(struct ctx *ctx)
{
	const struct conf *c = &ctx->env->conf;
	static uint64_t warned_ms;
	char line[48], tmp[4200];
	int len, fd, ok = 0;

	if (c->shed_signal_file == NULL || *c->shed_signal_file == '\0' ||
	    !shed_signal_due(&shed_signal, clock_mono_ms()) || !shed_all_up(ctx->env->db))
		return;
	len = shed_signal_line(line, sizeof line, clock_wall_ms(), c->shed_retry_after);
	snprintf(tmp, sizeof tmp, "%s.%ld", c->shed_signal_file, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		ok = len > 0 && write(fd, line, (size_t)len) == len;
		ok = close(fd) == 0 && ok && rename(tmp, c->shed_signal_file) == 0;
		if (!ok)
			unlink(tmp);
	}
	if (!ok && clock_mono_ms() >= warned_ms) {
		warned_ms = clock_mono_ms() + SHED_LOG_PERIOD_MS;
		log_warn("load shedding: cannot write [shed] signal_file %s: %s; the web server "
		    "does not refuse for the binaries", c->shed_signal_file, strerror(errno));
	}
}

enum apierr
shedgate_check(struct ctx *ctx, const struct route *r)
{
	const struct conf *c = &ctx->env->conf;
	bool get = ctx->req.method == HTTP_GET || ctx->req.method == HTTP_HEAD;
	bool credentials = request_cookie(&ctx->req, AUTH_COOKIE) != NULL ||
	    request_header(&ctx->req, "authorization") != NULL;
	enum shed_class k = shed_classify(r != NULL &&
	    (r->flags & (ROUTE_NOSHED | ROUTE_UPLOAD | ROUTE_RAW)), get, credentials);
	long wait = k == SHED_EXEMPT ? -1 :
	    shed_wait_ms(request_header(&ctx->req, "x-request-start"), clock_wall_us());
	long anon = c->shed_anonymous_wait_ms, user = c->shed_wait_ms;
	bool standing, refuse;
	char retry[24];

	if (wait < 0)
		return APIERR_OK;
	/* While a queue stands, anonymous reads give way at its target and the others at
	 * queue_wait_ms, not after their whole budgets: every request in a queue waits all of it,
	 * so the budgets would let it grow to the longest of them, refusals included. */
	standing = shed_observe(&shed_queue, wait, clock_mono_ms(), c->shed_queue_target_ms);
	if (standing) {
		anon = shed_budget_min(anon, c->shed_queue_target_ms);
		user = shed_budget_min(user, c->shed_queue_wait_ms);
	}
	refuse = shed_refuse(k, wait, anon, user);
	/* Only a queue of reads is the web server's to relieve (it refuses only reads): a pool
	 * that serves writes alone (a bulkhead, etc/lighttpd.conf.in) sheds by itself. */
	if ((standing && get) || (refuse && k == SHED_ANON))
		shed_tell_web_server(ctx);
	if (!refuse)
		return APIERR_OK;
	shed_count(&shed_stats, wait, clock_mono_ms());
	snprintf(retry, sizeof retry, "%ld", c->shed_retry_after);
	response_header(&ctx->resp, "Retry-After", retry);
	return ctx_fail(ctx, APIERR_OVERLOADED, "the site is busy: this request waited %ld ms for "
	    "a free process (at most %ld ms for %s); try again in %ld s", wait,
	    k == SHED_ANON ? anon : user,
	    k == SHED_ANON ? "a read without a login" : "this request", c->shed_retry_after);
}

void
shedgate_log(struct ctx *ctx)
{
	unsigned refused;
	long max_wait;

	if (shed_report_due(&shed_stats, clock_mono_ms(), SHED_LOG_PERIOD_MS, &refused, &max_wait))
		log_warn("load shedding: refused %u requests in the last %d s (waits up to %ld ms; "
		    "budgets %ld ms without a login, %ld ms otherwise: [shed])", refused,
		    SHED_LOG_PERIOD_MS / 1000, max_wait, ctx->env->conf.shed_anonymous_wait_ms,
		    ctx->env->conf.shed_wait_ms);
}

