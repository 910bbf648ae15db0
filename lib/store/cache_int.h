/* cache_int.h: what the files of lib/store/cache.c's module share (cache.c, cache_op.c,
 * cache_aside.c, cache_append.c): the pool's structures, the stored values' tags, and the helpers
 * each file lends the others. Internal: nothing outside those files includes it. */
#ifndef STARLING_CACHE_INT_H
#define STARLING_CACHE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <netinet/in.h>

#include <libmemcached/memcached.h>

#include "buf.h"
#include "cache.h"

struct node {
	char         *host;
	in_port_t     port;
	char         *name;      /* "host:port", for messages */
	memcached_st *mc;        /* this node alone: every request to the node goes through it */
	bool          out;       /* out of the ring: failed, and not flushed since */
	bool          quiet;     /* out, and failed again: sent nothing until its next probe */
	int           slot;      /* its breaker: whether the host's other processes have it out */
	long long     probe_at;  /* out: when to probe it (monotonic ms) */
	struct buf    why;       /* out: what failed, for cache_ping */
	int           pipe_fd;   /* cache_append_many's own connection; -1 when closed */
};

struct cache {
	const struct conf *conf;
	struct node       *nodes;     /* in configuration order */
	size_t             n;
	size_t             nout;      /* how many are out: 0 is the fast path */
	memcached_st      *ring;      /* the nodes that are in, for placement only; NULL if none */
	size_t            *ring_node; /* ring position -> index in nodes */
	struct buf         key;       /* scratch: the prefixed key */
	struct buf         val;       /* scratch: tag byte + value */
	unsigned int       seed;      /* for TTL jitter */
	uint64_t           round_trips;   /* requests sent to nodes, for cache_round_trips */
	uint64_t           keys_asked, keys_found;   /* of nodes that answered: cache_key_counts */
	struct memo       *memo;      /* what the request in flight learnt: cache_memo_begin */
	bool               memo_on;
	struct breaker_map *brk;      /* the nodes' state, shared by the host's processes */
};

/* Every stored value starts with a tag byte, so a cached "not found" and a lease placeholder are
 * never mistaken for data. */
#define TAG_VALUE   'v'
#define TAG_MISSING 'n'
#define TAG_LEASE   'l'
/* memcached's client flags of a stored item: a lease's placeholder carries FLAG_LEASE, so that a
 * pipelined append can tell it from a value without reading it (cache_append_many). */

/* One request to one node; returns what libmemcached said. arg is the request's own. */
typedef memcached_return_t (*node_request)(struct cache *c, struct node *nd, void *arg);

/* ------------------------------------------------------------------------------------------ */
/* cache.c: the nodes and the ring (each function's contract is in its definition's comment). */

/* The node that holds the prefixed key (n bytes), or NULL when every node is out. */
struct node *cache_owner(struct cache *c, const char *key, size_t n);
/* Whether rc says the node answered; the node's own error for rc; why it failed. */
bool cache_answered(memcached_return_t rc);
memcached_return_t cache_node_error(struct node *nd, memcached_return_t rc);
void cache_describe(struct node *nd, memcached_return_t rc);
const char *cache_node_why(struct node *nd, memcached_return_t rc);
/* Closes nd's pipelined connection (cache_append_many), if open. */
void cache_pipe_close(struct node *nd);
/* Node nd failed with rc: out of the ring until its probe. */
void cache_node_fail(struct cache *c, struct node *nd, memcached_return_t rc);
/* Runs req on node nd: once (cache_try_node), or again on a fresh connection when the node was
 * restarted (cache_on_node, which records why it failed). */
memcached_return_t cache_try_node(struct cache *c, struct node *nd, node_request req, void *arg);
memcached_return_t cache_on_node(struct cache *c, struct node *nd, node_request req, void *arg);
/* Probes every node whose time has come, before a request uses the ring. */
void cache_probe_due(struct cache *c);

/* ------------------------------------------------------------------------------------------ */
/* cache_op.c: keys, the request's memo, single reads and writes. */

/* Builds the prefixed key in c->key (-1, logged, if memcached would refuse it); finds its node. */
int cache_make_key(struct cache *c, const char *key);
struct node *cache_locate(struct cache *c, const char *key);
/* Request what (about subject) to node nd failed with rc: logged, node failed if it did not
 * answer. Returns -1. */
int cache_failed(struct cache *c, struct node *nd, const char *what, const char *subject,
    memcached_return_t rc);
/* The memo of the request in flight, keyed by the prefixed key. */
void cache_memo_record_tagged(struct cache *c, const char *full, char tag, const void *value,
    size_t n);
void cache_memo_forget(struct cache *c, const char *full);
int cache_memo_lookup(struct cache *c, struct buf *raw);
/* Reads (raw stored bytes and cas) or stores (tag + value, with set, add or cas) the prefixed
 * key in c->key on node nd; deletes it (a node_request). */
int cache_fetch(struct cache *c, struct node *nd, struct buf *raw, uint64_t *cas);
memcached_return_t cache_store(struct cache *c, struct node *nd, char tag, const void *value,
    size_t n, unsigned ttl, bool add, uint64_t cas);
memcached_return_t cache_req_delete(struct cache *c, struct node *nd, void *arg);

#endif
