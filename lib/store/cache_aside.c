/* cache_aside.c: cache-aside with leases (cache_get_or_load): one process fills a missed key
 * while the others wait a little for its fill (cache_int.h). */
#include "config.h"

#include <unistd.h>

#include <libmemcached/memcached.h>

#include "cache.h"
#include "cache_int.h"

/* How long a lease holds: longer than any sane database read, short enough that a crashed
 * filler does not block the key for long. */
#define LEASE_TTL 3
/* How long a process waits for another one's fill before loading by itself: 10 x 10 ms. */
#define LEASE_POLLS 10
#define LEASE_POLL_US 10000

/* ------------------------------------------------------------------------------------------ */
/* Cache-aside with leases */

/* What a lookup makes of stored bytes raw that were found (rc 1), not found (0) or not read
 * (-1): 1 value (appended to out), 0 cached "not found", 2 a lease (someone is loading), 3
 * nothing, -1 failure. */
static int
lookup_raw(const struct buf *raw, struct buf *out, int rc)
{
	if (rc != 1)
		return rc == 0 ? 3 : rc;
	if (raw->len > 0 && raw->data[0] == TAG_VALUE) {
		buf_append(out, raw->data + 1, raw->len - 1);
		return 1;
	}
	if (raw->len > 0 && raw->data[0] == TAG_MISSING)
		return 0;
	return 2;
}

/* Reads a stored value of the prefixed key from node nd, as lookup_raw answers (-1 also when
 * nd went out during this call: it is not asked again). With use_memo, what the request
 * already knows of the key is the answer (a lease's CAS value is never taken from it). */
static int
lookup(struct cache *c, struct node *nd, struct buf *out, uint64_t *cas, bool use_memo)
{
	struct buf raw = BUF_INIT;
	int rc = use_memo ? cache_memo_lookup(c, &raw) : -1;

	if (rc < 0)
		rc = nd->out ? -1 : cache_fetch(c, nd, &raw, cas);
	rc = lookup_raw(&raw, out, rc);
	buf_free(&raw);
	return rc;
}

/* Waits a little for another process's fill, as long as its lease stands. Returns as lookup
 * does: 2 when it gave up waiting, 3 when the lease went without a fill (the filler's load
 * failed, or a write deleted the key): then waiting longer is of no use. */
static int
wait_for_fill(struct cache *c, struct node *nd, struct buf *out)
{
	uint64_t cas;
	int i, rc = 2;

	for (i = 0; i < LEASE_POLLS && rc == 2; i++) {
		usleep(LEASE_POLL_US);
		rc = lookup(c, nd, out, &cas, false);
	}
	return rc;
}

/* A miss of the prefixed key in c->key: takes the lease, or waits for whoever has it. Returns
 * 4 with *cas when the lease is ours (fill it), else as wait_for_fill (2, 3 or -1: load without
 * filling). */
static int
take_lease(struct cache *c, struct node *nd, uint64_t *cas, struct buf *out)
{
	struct buf scratch = BUF_INIT;
	memcached_return_t mrc = cache_store(c, nd, TAG_LEASE, "", 0, LEASE_TTL, true, 0);
	int rc;

	if (mrc == MEMCACHED_NOTSTORED || mrc == MEMCACHED_DATA_EXISTS)
		return wait_for_fill(c, nd, out);
	if (mrc != MEMCACHED_SUCCESS) {
		cache_failed(c, nd, "lease", buf_cstr(&c->key), mrc);
		return -1;
	}
	/* Our lease: its CAS value, so the fill fails if a delete came in meanwhile. */
	rc = lookup(c, nd, &scratch, cas, false);
	buf_free(&scratch);
	return rc == 2 && *cas != 0 ? 4 : -1;
}

int
cache_get_or_load(struct cache *c, const char *key, unsigned ttl, cache_loader load,
    void *arg, struct buf *out)
{
	struct buf value = BUF_INIT, key_here = BUF_INIT;
	struct node *nd = cache_locate(c, key);
	memcached_return_t mrc;
	uint64_t cas = 0;
	int rc, found;

	if (nd == NULL)
		return load(arg, out);
	rc = lookup(c, nd, out, &cas, true);
	if (rc == 2)
		rc = wait_for_fill(c, nd, out);
	else if (rc == 3)
		rc = take_lease(c, nd, &cas, out);
	if (rc == 0 || rc == 1)
		return rc;
	/* Load: as the lease holder (rc 4), or without filling when the cache failed or the
	 * filler is slow or gone (the database answers, the cache is left to it). The loader may
	 * use the cache itself, which rewrites c->key: the fill needs ours back. */
	buf_append(&key_here, c->key.data, c->key.len);
	found = load(arg, &value);
	buf_reset(&c->key);
	buf_append(&c->key, key_here.data, key_here.len);
	if ((found == CACHE_LOAD_PARTIAL || found < 0) && rc == 4 && !nd->out) {
		/* No copy of the truth to fill in: the lease goes (from the memo too), so that the
		 * others load at once, not wait for a fill that never comes. A lease left behind
		 * by a failed load made every reader of the key sleep LEASE_POLLS x LEASE_POLL_US
		 * while the key's shard was down, and so held the processes. */
		cache_memo_forget(c, buf_cstr(&c->key));
		mrc = cache_on_node(c, nd, cache_req_delete, NULL);
		if (mrc != MEMCACHED_SUCCESS && mrc != MEMCACHED_NOTFOUND)
			cache_failed(c, nd, "delete", buf_cstr(&c->key), mrc);
	} else if (found >= 0 && rc == 4 && !nd->out) {
		mrc = found ? cache_store(c, nd, TAG_VALUE, value.data, value.len, ttl, false, cas) :
		    cache_store(c, nd, TAG_MISSING, "", 0, ttl < CACHE_NEGATIVE_TTL ? ttl : CACHE_NEGATIVE_TTL,
		    false, cas);
		if (mrc != MEMCACHED_SUCCESS && mrc != MEMCACHED_DATA_EXISTS && mrc != MEMCACHED_NOTFOUND)
			cache_failed(c, nd, "fill", buf_cstr(&c->key), mrc);
	}
	/* The request asks the database once per key, whatever the cache did with the value. */
	if (found == 0 || found == 1)
		cache_memo_record_tagged(c, buf_cstr(&c->key), found ? TAG_VALUE : TAG_MISSING,
		    value.data ? value.data : "", found ? value.len : 0);
	if (found == 1 || found == CACHE_LOAD_PARTIAL)
		buf_append(out, value.data ? value.data : "", value.len);
	buf_free(&value);
	buf_free(&key_here);
	return found;
}
