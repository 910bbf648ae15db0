/* shed.c: load shedding by queue wait (shed.h). */
#include "shed.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An hour, in ms: a longer wait is a clock that is wrong, not a queue. */
#define SHED_MAX_WAIT_MS (3600L * 1000)

/* The stamp in microseconds since the epoch, or 0 when unreadable. Its unit is told by its
 * size: 16 digits are microseconds until the year 2286, 13 milliseconds, 10 seconds. */
static uint64_t
stamp_us(const char *s)
{
	uint64_t whole = 0, frac = 0, scale = 1;
	size_t digits = 0;

	if (strncmp(s, "t=", 2) == 0)
		s += 2;
	for (; isdigit((unsigned char)*s) && digits < 19; s++, digits++)
		whole = whole * 10 + (uint64_t)(*s - '0');
	if (digits == 0)
		return 0;
	if (*s == '.') {
		for (s++; isdigit((unsigned char)*s) && scale < 1000000; s++, scale *= 10)
			frac = frac * 10 + (uint64_t)(*s - '0');
		while (isdigit((unsigned char)*s))
			s++;
	}
	if (*s != '\0' && !isspace((unsigned char)*s))
		return 0;
	if (whole >= 1000000000000000ULL)      /* 16+ digits: microseconds */
		return whole;
	if (whole >= 1000000000000ULL)         /* 13-15 digits: milliseconds */
		return whole * 1000;
	return whole * 1000000 + frac * (1000000 / scale);
}

long
shed_wait_ms(const char *stamp, uint64_t now_us)
{
	uint64_t t;

	if (stamp == NULL || (t = stamp_us(stamp)) == 0)
		return -1;
	if (t >= now_us)
		return 0;
	if ((now_us - t) / 1000 > (uint64_t)SHED_MAX_WAIT_MS)
		return -1;
	return (long)((now_us - t) / 1000);
}

enum shed_class
shed_classify(bool never_shed, bool get, bool credentials)
{
	if (never_shed)
		return SHED_EXEMPT;
	return !get || credentials ? SHED_USER : SHED_ANON;
}

bool
shed_refuse(enum shed_class k, long wait_ms, long anon_budget_ms, long user_budget_ms)
{
	long budget = k == SHED_ANON ? anon_budget_ms : k == SHED_USER ? user_budget_ms : 0;

	return budget > 0 && wait_ms > budget;
}

bool
shed_observe(struct shed_queue *q, long wait_ms, uint64_t now_ms, long target_ms)
{
	if (q->start_ms == 0 || now_ms - q->start_ms >= 2 * SHED_INTERVAL_MS) {
		/* The first request, or one after a quiet interval: nothing stands. */
		q->standing = false;
		q->start_ms = now_ms;
		q->min_wait = wait_ms;
	} else if (now_ms - q->start_ms >= SHED_INTERVAL_MS) {
		q->standing = target_ms > 0 && q->min_wait > target_ms;
		q->start_ms = now_ms;
		q->min_wait = wait_ms;
	} else if (wait_ms < q->min_wait)
		q->min_wait = wait_ms;
	return q->standing;
}

long
shed_budget_min(long a, long b)
{
	if (a <= 0)
		return 0;
	return b > 0 && b < a ? b : a;
}

void
shed_count(struct shed_stats *s, long wait_ms, uint64_t now_ms)
{
	if (s->refused == 0)
		s->since_ms = now_ms; /* a period begins with its first refusal */
	s->refused++;
	if (wait_ms > s->max_wait)
		s->max_wait = wait_ms;
}

bool
shed_report_due(struct shed_stats *s, uint64_t now_ms, uint64_t period_ms, unsigned *refused,
    long *max_wait)
{
	if (s->refused == 0 || now_ms - s->since_ms < period_ms)
		return false;
	*refused = s->refused;
	*max_wait = s->max_wait;
	s->refused = 0;
	s->max_wait = 0;
	return true;
}

bool
shed_signal_due(struct shed_signal *s, uint64_t now_ms)
{
	if (s->next_ms != 0 && now_ms < s->next_ms)
		return false;
	s->next_ms = now_ms + SHED_INTERVAL_MS;
	return true;
}

int
shed_signal_line(char *buf, size_t n, uint64_t wall_ms, long retry_after_s)
{
	int len = snprintf(buf, n, "%" PRIu64 " %ld\n", wall_ms + SHED_SIGNAL_MS, retry_after_s);

	return len < 0 || (size_t)len >= n ? -1 : len;
}
