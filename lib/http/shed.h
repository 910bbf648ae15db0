/* shed.h: load shedding by queue wait: a request that waited too long for a free process is
 * refused at once (503 + Retry-After), so the processes spend their time on requests that can
 * still be answered in time (docs/operations.md, "Load shedding").
 *
 * The web server stamps each request when it arrives, in X-Request-Start (Apache's
 * RequestHeader ... "%t", lighttpd's etc/starling-stamp.lua; docs/deploy.md); the binary
 * compares the stamp with its clock when it takes the request. Waiting is what overload looks
 * like from inside: the backlog of a busy binary grows, and every request in it waits for it.
 * Anonymous reads have a shorter budget than writes and logged-in requests, so they give way
 * first. Pure logic, no I/O: lib/app/shedgate.c (the pipeline's stage) asks, answers and counts. */
#ifndef STARLING_SHED_H
#define STARLING_SHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum shed_class {
	SHED_EXEMPT, /* never shed: health, uploads (their wait includes sending the body) */
	SHED_ANON,   /* a read without credentials: the first to give way */
	SHED_USER,   /* a write, or a request with a token or session cookie */
};

/* The request's wait in ms at now_us (microseconds since the epoch) from its X-Request-Start
 * value: "t=1712345678901234" (microseconds, Apache's %t), "t=1712345678901" (milliseconds) or
 * "t=1712345678.901" (seconds, as nginx's $msec), with or without "t=". A stamp from the future
 * (clocks of two hosts) waited 0. -1 when stamp is NULL, unreadable or over an hour old (not a
 * queue but a wrong clock): such requests are never shed. */
long shed_wait_ms(const char *stamp, uint64_t now_us);

/* The class of a request: exempt when never_shed, a write unless get, a user's when it carries
 * credentials (they are not checked here: a forged token only buys the longer budget and then
 * a 401), anonymous otherwise. */
enum shed_class shed_classify(bool never_shed, bool get, bool credentials);

/* Whether a request of class k that waited wait_ms (shed_wait_ms) is refused, given the budgets
 * in ms (0: no budget, never refused). */
bool shed_refuse(enum shed_class k, long wait_ms, long anon_budget_ms, long user_budget_ms);

/* A standing queue, as CoDel tells one (Nichols and Jacobson, RFC 8289): the shortest wait of
 * the requests a process took over an interval stays above a small target. A burst drains
 * within the interval; a standing queue does not: more work arrives than the processes serve,
 * and every request in it waits the whole queue, the refused ones too. While one stands,
 * anonymous reads are refused as soon as they waited over the target rather than their whole
 * budget: their refusals are quick, and they drain the queue for the requests that stay. One
 * per process; the processes of a binary take from one queue, so they see the same. */
#define SHED_INTERVAL_MS 100

struct shed_queue {
	uint64_t start_ms;  /* the current interval's start (monotonic ms; 0: none yet) */
	long     min_wait;  /* the shortest wait seen in it */
	bool     standing;  /* the last whole interval's shortest wait was over the target */
};

/* Notes a request taken at now_ms that waited wait_ms (>= 0). Returns whether a queue stands:
 * the shortest wait of the last whole interval was over target_ms (0: never). An interval
 * without requests ends it. */
bool shed_observe(struct shed_queue *q, long wait_ms, uint64_t now_ms, long target_ms);

/* A class's budget a while a queue stands with the queue's budget b for it: the shorter; a class
 * never shed (a 0) stays so, and b 0 leaves a as it is. */
long shed_budget_min(long a, long b);

/* What a process tells the log about shedding: one line per period at most, not one per
 * refused request (an overload would flood the log with them). */
struct shed_stats {
	uint64_t since_ms; /* the first refusal of the period (monotonic ms) */
	unsigned refused;  /* refused in the period */
	long     max_wait; /* the longest wait refused in it */
};

/* Counts a refused request that waited wait_ms, at now_ms. */
void shed_count(struct shed_stats *s, long wait_ms, uint64_t now_ms);

/* True (once) when period_ms have passed since the first refusal of the period: *refused and
 * *max_wait are then the period's, and the next refusal begins a new one. */
bool shed_report_due(struct shed_stats *s, uint64_t now_ms, uint64_t period_ms,
    unsigned *refused, long *max_wait);

/* The web server's part (docs/operations.md, "Refusing at the web server"). A refusal inside a
 * binary still costs the web server's and the process's handling of the request, and waits in
 * the binary's queue for its turn: under a large overload those refusals alone fill the
 * machine. So a process that sheds tells the web server, through a small file that its script
 * (etc/starling-stamp.lua) reads for each request: until when it should refuse reads without a
 * login itself, before they reach any queue, and the Retry-After to give. The file is one line,
 * "UNTIL_MS RETRY_AFTER_S\n" (UNTIL_MS: ms since the epoch); written again at most once an
 * interval while the shedding lasts, so that it ends on its own SHED_SIGNAL_MS after the last
 * process stopped shedding, or died. */
#define SHED_SIGNAL_MS (2 * SHED_INTERVAL_MS)

struct shed_signal {
	uint64_t next_ms; /* monotonic ms before which the file is not written again (0: at once) */
};

/* Whether a process that sheds at now_ms (monotonic) writes the file now: once an interval. */
bool shed_signal_due(struct shed_signal *s, uint64_t now_ms);

/* The file's line for a signal written at wall_ms (ms since the epoch) into buf of n bytes:
 * its length, or -1 when it does not fit. */
int shed_signal_line(char *buf, size_t n, uint64_t wall_ms, long retry_after_s);

#endif
