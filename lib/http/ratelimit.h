/* ratelimit.h: sliding-window counters in memcached, against guessing and flooding.
 *
 * A limit is "at most LIMIT events of a kind for one key (an account, an IP address, an email)
 * in any WINDOW seconds". Time is cut into fixed windows of WINDOW seconds, each one memcached
 * counter "rl:<kind>:<key>:<window start>" that lives two windows (its TTL), so nothing needs
 * cleaning up. The count at time t is the usual two-window approximation of a sliding window:
 * the current window's count, plus the previous window's count weighted by the share of that
 * window still inside the last WINDOW seconds (its events taken as spread evenly). A fixed
 * window alone lets twice the limit through across a boundary (LIMIT just before it, LIMIT
 * just after); here the events before the boundary still weigh on the ones after it. Both
 * counters are read in one multi-get (cache_counters), and several limits of one request are
 * read in the same one (ratelimit_peek_many).
 *
 * Counters live only in the cache: if the cache is down, limits are not enforced (logged with
 * the limit's kind), because locking everyone out would be worse; the database is never written
 * for a counter.
 *
 * Over a limit, the caller answers 429 with ratelimit_headers (Retry-After, X-RateLimit-Limit,
 * X-RateLimit-Remaining, X-RateLimit-Reset). Times are whole seconds: now is a Unix time. */
#ifndef STARLING_RATELIMIT_H
#define STARLING_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "cache.h"
#include "response.h"

struct ratelimit {
	const char *kind;      /* "login-user", "post", ...: printable ASCII, no blank */
	unsigned    limit;     /* events allowed in any window */
	unsigned    window;    /* seconds, at least 1 */
};

struct ratelimit_state {
	unsigned limit;
	unsigned remaining;    /* events that still fit now (after a counted hit: after it) */
	time_t   reset;        /* when every event counted so far has left the window */
	unsigned retry_after;  /* when over: seconds until the events asked for fit */
	bool     over;         /* the events asked for do not fit */
};

/* One question of ratelimit_peek_many: do n more events of rl for key fit now? key is borrowed
 * for the call. */
struct ratelimit_ask {
	const struct ratelimit *rl;
	const char             *key;
	unsigned                n;
	struct ratelimit_state  st;   /* the answer */
};

/* Answers every ask without counting anything, with one multi-get for all of them. Returns the
 * first ask that is over, or NULL when all fit. */
struct ratelimit_ask *ratelimit_peek_many(struct cache *c, struct ratelimit_ask *asks, size_t n,
    time_t now);

/* ratelimit_peek_many for one event of one limit: for limits on failures, checked before an
 * attempt and counted (ratelimit_add) only when it fails. Fills st. */
void ratelimit_peek(struct cache *c, const struct ratelimit *rl, const char *key, time_t now,
    struct ratelimit_state *st);

/* Counts n events for key (after the action they stand for was done). */
void ratelimit_add(struct cache *c, const struct ratelimit *rl, const char *key, unsigned n,
    time_t now);

/* Checks one event for key and counts it when it fits; fills st (st->over: refused, and not
 * counted, so that a client that keeps trying while refused does not push its own Retry-After
 * further away). Two requests racing for the last event can both be counted; the later one is
 * then over all the same. */
void ratelimit_hit(struct cache *c, const struct ratelimit *rl, const char *key, time_t now,
    struct ratelimit_state *st);

/* Adds the X-RateLimit-* headers (and Retry-After when over) to resp. */
void ratelimit_headers(const struct ratelimit_state *st, time_t now, struct response *resp);

#endif
