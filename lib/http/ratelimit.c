/* ratelimit.c: sliding-window counters in memcached (the two-window approximation). */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>

#include "log.h"
#include "ratelimit.h"
#include "xalloc.h"

/* Counts are capped here so that count * window stays far inside 64 bits. */
#define COUNT_CAP UINT32_MAX

/* Builds the counter's key; keys longer than the cache allows are cut (the key part is an
 * account ID, an email or an IP address, all far shorter). Memcached keys must be printable
 * ASCII without spaces; anything else is replaced. */
static void
counter_key(const struct ratelimit *rl, const char *key, time_t start, struct buf *out)
{
	size_t i, from = out->len;

	buf_printf(out, "rl:%s:%.120s:%lld", rl->kind, key, (long long)start);
	for (i = from; i < out->len; i++)
		if ((unsigned char)out->data[i] <= ' ' || (unsigned char)out->data[i] >= 0x7f)
			out->data[i] = '_';
}

static time_t
window_start(const struct ratelimit *rl, time_t now)
{
	return now - now % (time_t)rl->window;
}

/* The counts weighted by what of each window is inside the sliding one, times the window's
 * length (integers: no rounding decides a refusal). e is the time since the current window
 * began. */
static uint64_t
weighted(uint64_t w, uint64_t e, uint64_t prev, uint64_t cur)
{
	return prev * (w - e) + cur * w;
}

/* Seconds from now (e into the current window) until n more events fit beside prev and cur,
 * assuming none come meanwhile. Only called when they do not fit now. */
static unsigned
retry_after(uint64_t w, uint64_t e, uint64_t limit, uint64_t prev, uint64_t cur, uint64_t n)
{
	uint64_t at, s;

	if (n > limit)                  /* never: say when the counted events are all gone */
		return (unsigned)(2 * w - e);
	/* Later in this window, as the previous window's share shrinks: the first e' with
	 * prev * (w - e') <= (limit - cur - n) * w. */
	if (cur + n <= limit && prev > 0) {
		at = w - (limit - cur - n) * w / prev;
		if (at < w)
			return (unsigned)(at > e ? at - e : 1);
	}
	/* In the next window, where this one is the previous: the first s with
	 * cur * (w - s) + n * w <= limit * w. */
	s = cur > 0 ? w - (limit - n) * w / cur : 0;
	return (unsigned)(w - e + s);
}

/* Fills st for n more events beside the counts prev and cur at now. */
static void
fill(const struct ratelimit *rl, time_t now, uint64_t prev, uint64_t cur, unsigned n,
    struct ratelimit_state *st)
{
	uint64_t w = rl->window, limit = rl->limit, start = (uint64_t)window_start(rl, now);
	uint64_t e = (uint64_t)now - start, used = weighted(w, e, prev, cur);

	st->limit = rl->limit;
	st->remaining = used >= limit * w ? 0 : (unsigned)((limit * w - used) / w);
	st->over = used + n * w > limit * w;
	st->retry_after = st->over ? retry_after(w, e, limit, prev, cur, n) : 0;
	st->reset = (time_t)(cur > 0 ? start + 2 * w : prev > 0 ? start + w : (uint64_t)now);
}

static uint64_t
capped(uint64_t v)
{
	return v > COUNT_CAP ? COUNT_CAP : v;
}

/* Reads the counters of every ask in one multi-get, counts[2i] the previous window's and
 * counts[2i + 1] the current one's (2n of them), and answers each ask. Returns the first ask
 * that is over, or NULL. */
static struct ratelimit_ask *
peek(struct cache *c, struct ratelimit_ask *asks, size_t n, time_t now, uint64_t *counts)
{
	struct buf *k = xcalloc(2 * n + 1, sizeof *k);
	const char **keys = xcalloc(2 * n + 1, sizeof *keys);
	struct ratelimit_ask *first = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		time_t start = window_start(asks[i].rl, now);

		counter_key(asks[i].rl, asks[i].key, start - (time_t)asks[i].rl->window, &k[2 * i]);
		counter_key(asks[i].rl, asks[i].key, start, &k[2 * i + 1]);
		keys[2 * i] = buf_cstr(&k[2 * i]);
		keys[2 * i + 1] = buf_cstr(&k[2 * i + 1]);
	}
	if (n > 0 && cache_counters(c, keys, 2 * n, counts) < 0)
		for (i = 0; i < n; i++)
			log_warn("rate limit %s: cache unavailable; not enforced", asks[i].rl->kind);
	for (i = 0; i < n; i++) {
		counts[2 * i] = capped(counts[2 * i]);
		counts[2 * i + 1] = capped(counts[2 * i + 1]);
		fill(asks[i].rl, now, counts[2 * i], counts[2 * i + 1], asks[i].n, &asks[i].st);
		if (first == NULL && asks[i].st.over)
			first = &asks[i];
	}
	for (i = 0; i < 2 * n; i++)
		buf_free(&k[i]);
	free(k);
	free(keys);
	return first;
}

struct ratelimit_ask *
ratelimit_peek_many(struct cache *c, struct ratelimit_ask *asks, size_t n, time_t now)
{
	uint64_t *counts = xcalloc(2 * n + 1, sizeof *counts);
	struct ratelimit_ask *first = peek(c, asks, n, now, counts);

	free(counts);
	return first;
}

void
ratelimit_peek(struct cache *c, const struct ratelimit *rl, const char *key, time_t now,
    struct ratelimit_state *st)
{
	struct ratelimit_ask a = { rl, key, 1, { 0 } };

	ratelimit_peek_many(c, &a, 1, now);
	*st = a.st;
}

/* Counts n events in the current window; *count gets the new count (0 when the cache failed:
 * logged, and the events go uncounted). */
static void
add(struct cache *c, const struct ratelimit *rl, const char *key, unsigned n, time_t now,
    uint64_t *count)
{
	struct buf k = BUF_INIT;

	counter_key(rl, key, window_start(rl, now), &k);
	/* Two windows and a second: it is the previous window's count for the whole next one. */
	if (cache_incr_by(c, buf_cstr(&k), n, 2 * rl->window + 1, count) < 0) {
		log_warn("rate limit %s: cache unavailable; not counted", rl->kind);
		*count = 0;
	}
	buf_free(&k);
}

void
ratelimit_add(struct cache *c, const struct ratelimit *rl, const char *key, unsigned n,
    time_t now)
{
	uint64_t count;

	if (n > 0)
		add(c, rl, key, n, now, &count);
}

void
ratelimit_hit(struct cache *c, const struct ratelimit *rl, const char *key, time_t now,
    struct ratelimit_state *st)
{
	struct ratelimit_ask a = { rl, key, 1, { 0 } };
	uint64_t counts[2], cur;

	peek(c, &a, 1, now, counts);
	*st = a.st;
	if (st->over)
		return;
	add(c, rl, key, 1, now, &cur);
	if (cur == 0)                     /* not counted: the cache failed (logged) */
		return;
	/* Judged again as if this event came after all those counted before it, including any
	 * of a request that raced this one since the peek. */
	fill(rl, now, counts[0], capped(cur) - 1, 1, st);
	if (!st->over)
		st->remaining--;
}

void
ratelimit_headers(const struct ratelimit_state *st, time_t now, struct response *resp)
{
	char v[32];

	snprintf(v, sizeof v, "%u", st->limit);
	response_header(resp, "X-RateLimit-Limit", v);
	snprintf(v, sizeof v, "%u", st->over ? 0 : st->remaining);
	response_header(resp, "X-RateLimit-Remaining", v);
	snprintf(v, sizeof v, "%lld", (long long)(st->over ? now + (time_t)st->retry_after :
	    st->reset));
	response_header(resp, "X-RateLimit-Reset", v);
	if (st->over) {
		snprintf(v, sizeof v, "%u", st->retry_after > 0 ? st->retry_after : 1);
		response_header(resp, "Retry-After", v);
	}
}
