/* cache.h: the memcached pool, where Starling keeps copies of database rows.
 *
 * The database is the truth; the cache only holds copies (cache-aside). Keys are spread over the
 * nodes by consistent hashing (ketama), so adding a node moves only a share of the keys. Every
 * key gets the configured prefix, so several sites can share one pool. Timeouts are short: a slow
 * or dead node makes reads fall through to the database, never hangs a request.
 *
 * Return convention: <0 failure (logged), 0 miss, >0 hit/done. */
#ifndef STARLING_CACHE_H
#define STARLING_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "conf.h"

struct cache;

/* Sets up the pool from conf->memcached_servers ("host:port, ..."); connects lazily. Returns NULL
 * with a message in err when the list is malformed. conf is borrowed and must outlive the cache. */
struct cache *cache_new(const struct conf *conf, struct buf *err);

/* Checks that every node answers. Returns 0, or -1 with what failed in err (also logged). */
int cache_ping(struct cache *c, struct buf *err);

/*
 * Keys: what callers pass is the key without the site prefix ("user:7234..."): printable ASCII
 * with no space, at most CACHE_KEY_MAX bytes. Values are any bytes, at most CACHE_VALUE_MAX.
 * TTLs are seconds; every write adds up to 10% random jitter, so keys filled together (a
 * deploy, a cold start) do not all expire in the same second.
 */
#define CACHE_KEY_MAX   200
#define CACHE_VALUE_MAX (512 * 1024)

/* Reads key into out (appending). Returns 1 hit, 0 miss (also for a key being loaded by another
 * process, or a cached "not found"), -1 when the cache failed (logged). */
int cache_get(struct cache *c, const char *key, struct buf *out);

/* Stores n bytes under key for ttl seconds. Returns 1, or -1 (logged). */
int cache_set(struct cache *c, const char *key, const void *value, size_t n, unsigned ttl);

/* Removes key: after a write to the database, so the next read loads the new row. Returns 1
 * (deleted, or was not there), or -1 (logged): the caller cannot do better than log it, and the
 * TTL bounds how long the stale copy can live. */
int cache_delete(struct cache *c, const char *key);

/* Reads n keys in one round trip per node. vals[i] gets the value of keys[i] appended and hit[i]
 * says whether it was there. Returns the number of hits, or -1 (logged; every hit[i] false). */
int cache_mget(struct cache *c, const char *const *keys, size_t n, struct buf *vals, bool *hit);

/* Loads a value from the database for cache_get_or_load: appends it to out and returns 1, returns
 * 0 when the row does not exist, -1 on a database failure. */
typedef int (*cache_loader)(void *arg, struct buf *out);

/*
 * Cache-aside, as the seed says: read the cache; on a miss, read the database (load) and fill
 * the cache. Returns what load would: 1 found (value in out), 0 not found, -1 database failure.
 *   - "Not found" is cached too (for at most CACHE_NEGATIVE_TTL), so a missing row costs the
 *     database one query, not one per request.
 *   - A miss takes a lease (memcached "add" of a placeholder, as the leases of Facebook's
 *     memcache paper): one process loads, the others wait a few milliseconds for its value
 *     instead of all querying the database at once (no thundering herd). The filler stores with
 *     compare-and-swap on its placeholder, so a cache_delete that happened while it was loading
 *     wins: a stale row is never written back.
 *   - Any cache failure only makes the call slower: it loads from the database and answers.
 */
#define CACHE_NEGATIVE_TTL 30
int cache_get_or_load(struct cache *c, const char *key, unsigned ttl, cache_loader load,
    void *arg, struct buf *out);

/*
 * Counters (rate limits): plain decimal values outside the tagged format above, so never read
 * them with cache_get. cache_incr adds one to key, creating it at 1 with ttl seconds (exactly:
 * no jitter, a window must end on time); *value gets the new count. cache_counter reads the
 * count (0 when absent). Both return 1 (cache_counter: 0 when absent), or -1 when the cache
 * failed (logged).
 */
int cache_incr(struct cache *c, const char *key, unsigned ttl, uint64_t *value);
int cache_counter(struct cache *c, const char *key, uint64_t *value);

void cache_free(struct cache *c);

#endif
