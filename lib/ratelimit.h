/* ratelimit.h: fixed-window counters in memcached, against guessing and flooding.
 *
 * A limit is "at most LIMIT events of a kind for one key (an account, an IP address, an email)
 * per WINDOW seconds". Each window is one memcached counter, "rl:<kind>:<key>:<window start>",
 * created with the window's length as its TTL, so nothing needs cleaning up. Counters live only
 * in the cache: if the cache is down, limits are not enforced (logged), because locking everyone
 * out would be worse; the database is never written for a counter.
 *
 * Over a limit, the caller answers 429 with ratelimit_headers (Retry-After, X-RateLimit-Limit,
 * X-RateLimit-Remaining, X-RateLimit-Reset). */
#ifndef STARLING_RATELIMIT_H
#define STARLING_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "cache.h"
#include "response.h"

struct ratelimit {
	const char *kind;      /* "login-user", "signup-ip", ... */
	unsigned    limit;     /* events allowed per window */
	unsigned    window;    /* seconds */
};

struct ratelimit_state {
	unsigned limit, remaining;
	time_t   reset;        /* when the window ends (Unix seconds) */
	bool     over;
};

/* Reads the count of key without adding to it (for limits on failures: checked before an
 * attempt, counted only when it fails). Fills st; st->over when the limit is reached. */
void ratelimit_peek(struct cache *c, const struct ratelimit *rl, const char *key, time_t now,
    struct ratelimit_state *st);

/* Counts one event for key and fills st; st->over when this event is beyond the limit. */
void ratelimit_hit(struct cache *c, const struct ratelimit *rl, const char *key, time_t now,
    struct ratelimit_state *st);

/* Adds the X-RateLimit-* headers (and Retry-After when over) to resp. */
void ratelimit_headers(const struct ratelimit_state *st, time_t now, struct response *resp);

#endif
