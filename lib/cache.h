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

#include <stddef.h>

#include "buf.h"
#include "conf.h"

struct cache;

/* Sets up the pool from conf->memcached_servers ("host:port, ..."); connects lazily. Returns NULL
 * with a message in err when the list is malformed. conf is borrowed and must outlive the cache. */
struct cache *cache_new(const struct conf *conf, struct buf *err);

/* Checks that every node answers. Returns 0, or -1 with what failed in err (also logged). */
int cache_ping(struct cache *c, struct buf *err);

void cache_free(struct cache *c);

#endif
