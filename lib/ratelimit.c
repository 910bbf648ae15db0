/* ratelimit.c: fixed-window counters in memcached. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>

#include "log.h"
#include "ratelimit.h"

/* Builds the counter's key; keys longer than the cache allows are cut (the key part is an
 * account name, an email or an IP address, all far shorter). */
static void
counter_key(const struct ratelimit *rl, const char *key, time_t start, struct buf *out)
{
	buf_printf(out, "rl:%s:%.120s:%lld", rl->kind, key, (long long)start);
}

/* Fills st from the count after (or without) this event. */
static void
fill(const struct ratelimit *rl, time_t start, uint64_t count, bool counting,
    struct ratelimit_state *st)
{
	st->limit = rl->limit;
	st->reset = start + (time_t)rl->window;
	st->remaining = count >= rl->limit ? 0 : rl->limit - (unsigned)count;
	st->over = counting ? count > rl->limit : count >= rl->limit;
}

static void
run(struct cache *c, const struct ratelimit *rl, const char *key, time_t now, bool counting,
    struct ratelimit_state *st)
{
	time_t start = now - now % (time_t)rl->window;
	struct buf k = BUF_INIT;
	uint64_t count = 0;
	int rc;

	counter_key(rl, key, start, &k);
	/* Memcached keys must be printable ASCII without spaces; anything else is replaced. */
	for (size_t i = 0; i < k.len; i++)
		if ((unsigned char)k.data[i] <= ' ' || (unsigned char)k.data[i] >= 0x7f)
			k.data[i] = '_';
	if (counting)
		rc = cache_incr(c, buf_cstr(&k), rl->window + 1, &count);
	else
		rc = cache_counter(c, buf_cstr(&k), &count);
	if (rc < 0) {
		log_warn("rate limit %s: cache unavailable; not enforced", rl->kind);
		count = 0;
	}
	fill(rl, start, count, counting, st);
	buf_free(&k);
}

void
ratelimit_peek(struct cache *c, const struct ratelimit *rl, const char *key, time_t now,
    struct ratelimit_state *st)
{
	run(c, rl, key, now, false, st);
}

void
ratelimit_hit(struct cache *c, const struct ratelimit *rl, const char *key, time_t now,
    struct ratelimit_state *st)
{
	run(c, rl, key, now, true, st);
}

void
ratelimit_headers(const struct ratelimit_state *st, time_t now, struct response *resp)
{
	char v[32];

	snprintf(v, sizeof v, "%u", st->limit);
	response_header(resp, "X-RateLimit-Limit", v);
	snprintf(v, sizeof v, "%u", st->over ? 0 : st->remaining);
	response_header(resp, "X-RateLimit-Remaining", v);
	snprintf(v, sizeof v, "%lld", (long long)st->reset);
	response_header(resp, "X-RateLimit-Reset", v);
	if (st->over) {
		snprintf(v, sizeof v, "%lld", (long long)(st->reset > now ? st->reset - now : 1));
		response_header(resp, "Retry-After", v);
	}
}
