/* cache.h: the memcached pool, where Starling keeps copies of database rows.
 *
 * The database is the truth; the cache only holds copies (cache-aside). Keys are spread over the
 * nodes by consistent hashing (ketama), so adding or losing a node moves only that node's share.
 * Every key gets the configured prefix, so several sites can share one pool. Timeouts are short:
 * a slow or dead node makes reads fall through to the database, never hangs a request.
 *
 * Failed nodes. A cache failure means slower, never wrong and never down:
 *   - A node that fails a request (refused, timed out, or reset again on a fresh connection: a
 *     node restarted since the last request only breaks the old one) is taken out of this
 *     process's ring at once, for [memcached] dead_timeout seconds; its keys go to the other
 *     nodes meanwhile. Then the next request probes it with a flush_all sent to it alone: if it
 *     answers it comes back, empty, and owns its keys again; if not, it stays out for another
 *     dead_timeout.
 *   - Why it comes back empty: while it was out, writes deleted its keys on the other nodes, not
 *     on it. If it kept its memory (a partition or a hung process rather than a restart), it
 *     still holds the values from before those writes. Flushing it before this process reads
 *     from it again costs misses; skipping the flush would serve old values.
 *   - cache_delete goes to every node, not only to the key's node in this process's ring: a
 *     process that took a node out places keys differently from one that did not, and copies
 *     filled on a stand-in node while their node was out would be found again the next time it
 *     is out. A node that is out gets the delete too while it answers (a node taken out for one
 *     slow answer is usually fine); once it fails, it gets nothing more until its next probe.
 *   - The ring is built by cache.c from the nodes that are in, in configuration order, with
 *     libmemcached's ketama: the same placement libmemcached's own ejection would compute, so
 *     every process with the same configuration and the same view of the nodes agrees where a
 *     key lives. libmemcached's own ejection (MEMCACHED_BEHAVIOR_REMOVE_FAILED_SERVERS) is not
 *     used: with libmemcached 1.1 a node that hangs (it still accepts connections, but does not
 *     answer) only times out, which never counts towards the failure limit, so it is never taken
 *     out and every request for its keys waits the whole timeout; and it takes a node back in the
 *     middle of an ordinary get, with no point where the node could be flushed first.
 * What this does not cover:
 *   - Each process decides on its own, from the failures it sees. A process that never saw a
 *     node fail keeps reading from it; if another process could not reach that node to delete a
 *     key (a partition), the first one can read the old copy until the node is flushed by a
 *     process that took it out, or until the key's TTL ends.
 *   - A plain cache_set sent to a node that then hangs can be applied when the node resumes,
 *     after the flush. Fills by cache_get_or_load cannot: they are compare-and-swap on a lease,
 *     which the flush removed.
 *   - A node that fails once stays out for dead_timeout and comes back empty, once per process
 *     that took it out: a flapping node costs misses (the database takes the load).
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

/* Sets up the pool from conf->memcached_servers ("host:port, ..."), every node in the ring;
 * connects lazily. Returns NULL with a message in err when the list is malformed or names a node
 * twice. conf is borrowed and must outlive the cache. */
struct cache *cache_new(const struct conf *conf, struct buf *err);

/* Checks that every node answers, for the health route. A node that is out of the ring counts as
 * down even if it would answer now: it is not used until its probe brings it back (which this
 * call does when the probe is due). Returns 0, or -1 with "host:port: why" for each node that is
 * down in err (also logged). */
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
 * process, or a cached "not found"), -1 when the cache failed or every node is out (logged when
 * the node failed). */
int cache_get(struct cache *c, const char *key, struct buf *out);

/* Stores n bytes under key for ttl seconds. Returns 1, or -1 (logged). */
int cache_set(struct cache *c, const char *key, const void *value, size_t n, unsigned ttl);

/* Removes key from every node: after a write to the database, so the next read loads the new
 * row. Returns 1 (deleted, or was not there, on every node in the ring), or -1 (logged) when a
 * node in the ring failed or key is refused. The failed node is out of the ring and is flushed
 * before this process reads from it again; the caller cannot do better than log it. */
int cache_delete(struct cache *c, const char *key);

/* Reads n keys in one round trip per node (all nodes at once). vals[i] gets the value of keys[i] appended and hit[i]
 * says whether it was there; the keys of a node that fails are misses. Returns the number of
 * hits, or -1 for a refused key (logged; every hit[i] false). */
int cache_mget(struct cache *c, const char *const *keys, size_t n, struct buf *vals, bool *hit);

/*
 * The request's memo (lib/store/memo.h). Between cache_memo_begin and cache_memo_end (lib/app/app.c
 * wraps every request in them), what a node answered for a key is kept, and a second cache_get,
 * cache_get_or_load or cache_mget of that key is answered from it without a round trip; every
 * cache_set, cache_delete, cache_append and fill of a key updates or drops its entry. Outside
 * (starling-worker's jobs, starling-admin), every read asks the node, as before.
 *
 * cache_prefetch fetches keys into the memo with one multi-get (a round trip per node, all
 * nodes at once), so that a page that knows what it will read (the posts of a timeline, their
 * authors, the viewer's relations to them) reads it all at once, and the per-key calls that
 * follow cost nothing. Returns the number of hits, 0 when no memo is in use (nothing fetched),
 * or -1 for a refused key (logged).
 */
void cache_memo_begin(struct cache *c);
void cache_memo_end(struct cache *c);
int cache_prefetch(struct cache *c, const char *const *keys, size_t n);

/* The keys of one prefetch, gathered from the modules that own them (each key's format stays
 * in its owner: post_keys, user_keys, graph_keys, ...). Owns its copies of the keys. */
struct cache_keys {
	char    **k;
	size_t    n, cap;
	uint32_t *slot;     /* open addressing over k: index + 1, 0 empty; nslots a power of 2 */
	size_t    nslots;
};
#define CACHE_KEYS_INIT { NULL, 0, 0, NULL, 0 }

/* Adds the key printf-formatted from fmt (a repeat is added once). */
void cache_keys_add(struct cache_keys *ks, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* cache_prefetch of every key gathered; ks keeps them. */
int cache_keys_prefetch(struct cache *c, const struct cache_keys *ks);
/* Frees the keys (ks is then empty and can be used again); NULL is fine. */
void cache_keys_free(struct cache_keys *ks);

/* Loads a value from the database for cache_get_or_load: appends it to out and returns 1, returns
 * 0 when the row does not exist, -1 on a database failure, or CACHE_LOAD_PARTIAL for a value
 * gathered from several shards of which some did not answer: the caller gets it, the cache
 * does not (nor the request's memo: a second read tries the shards again). It may read other
 * keys through the same cache (nested calls are fine). */
typedef int (*cache_loader)(void *arg, struct buf *out);
#define CACHE_LOAD_PARTIAL 2

/*
 * Cache-aside, as the seed says: read the cache; on a miss, read the database (load) and fill
 * the cache. Returns what load would: 1 found (value in out), 0 not found, -1 database failure,
 * CACHE_LOAD_PARTIAL (value in out, not cached; the lease is given up at once).
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
/* cache_incr adding delta (a counter created at delta). */
int cache_incr_by(struct cache *c, const char *key, uint32_t delta, unsigned ttl,
    uint64_t *value);
/* Reads n counters in one round trip per node (all nodes at once), as cache_mget reads values:
 * values[i] gets the count of keys[i] (0 when absent). Counters change under other processes,
 * so this never answers from, nor fills, the request's memo. Returns how many were present, or
 * -1 for a refused key or when a node holding some of them failed (logged; the counts of the
 * other nodes are filled all the same). */
int cache_counters(struct cache *c, const char *const *keys, size_t n, uint64_t *values);

/* Appends n bytes to the value of key, only if key holds one: memcached "append", which never
 * creates a key (a list that is not cached stays missing, to be built whole by its next read).
 * The append is atomic on the node, so concurrent appends all land, in some order. It adds to
 * the stored bytes whatever they are: use it only for keys whose values are lists of fixed-size
 * records that never go through cache_get_or_load's "not found" (a lease that gets appended to
 * makes its fill fail, which only costs a load). The TTL stays the one the value was set with.
 * Returns 1 appended, 0 no such key, -1 failure (logged), a value the node refused to grow
 * (past its item size; logged), or a key being filled under a lease (cache_get_or_load): the
 * caller should drop the key, which now lacks the bytes or holds them after a placeholder. It is
 * cache_append_many with one key (below), and needs memcached 1.6 or later as that does. */
int cache_append(struct cache *c, const char *key, const void *value, size_t n);

/* cache_append for many keys at once (a timeline push: one entry into each follower's list):
 * appends the same n bytes to each of the nkeys keys, only where the key holds a value, with one
 * round trip per node that holds some of them instead of one per key (pipelined, on a
 * connection of its own per node). res[i] gets what cache_append would return for keys[i]: 1
 * appended, 0 no such key (nothing created), -1 failed: its node failed (logged; taken out of
 * the ring as for any request; its keys all get -1) or the value would outgrow the node's item
 * size (logged; memcached answers NOT_STORED to both, so each append goes with a meta-get "mg"
 * that tells them apart: memcached 1.6 or later, else every key not appended gets -1). The
 * caller should drop the keys that got -1. A connection that breaks in the middle is retried
 * once for the keys not answered yet, which the node may have applied all the same: such a key
 * can get the bytes twice, so use it only for lists whose readers drop repeats.
 * Returns how many were appended, or -1 for a refused key or value (logged; nothing sent, every
 * res[i] -1). */
int cache_append_many(struct cache *c, const char *const *keys, size_t nkeys, const void *value,
    size_t n, int *res);

/* How many requests this process has sent to memcached nodes so far (a multi-get or a pipelined
 * batch counts once per node it went to): the access log shows each request's share, and
 * tests/bench reads it to count round trips per route. */
uint64_t cache_round_trips(const struct cache *c);
/* How many keys this process asked memcached nodes for, in gets and multi-gets that the node
 * answered, and how many of them it found (the request's memo answers are not counted): the hit
 * ratio that /metrics shows (lib/base/metrics.h). Both only grow. */
void cache_key_counts(const struct cache *c, uint64_t *asked, uint64_t *found);

/* Closes every connection and frees c; NULL is fine. */
void cache_free(struct cache *c);

#endif
