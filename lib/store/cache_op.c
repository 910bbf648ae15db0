/* cache_op.c: the operations of lib/store/cache.c's pool on keys: the prefixed key and its node,
 * the request's memo, get, set, delete, the multi-gets and prefetches, and counters (cache_int.h).
 * */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmemcached/memcached.h>

#include "cache.h"
#include "cache_int.h"
#include "log.h"
#include "memo.h"
#include "xalloc.h"
#define FLAG_LEASE  1u

/* A counter's stored text as a number: memcached keeps counters as decimal text (blank-padded
 * after a decrement); anything else reads as 0. */
static uint64_t
counter_value(const char *v, size_t n)
{
	uint64_t x = 0;
	size_t i;

	for (i = 0; i < n && v[i] >= '0' && v[i] <= '9' && x <= (UINT64_MAX - 9) / 10; i++)
		x = x * 10 + (uint64_t)(v[i] - '0');
	return x;
}


/* ------------------------------------------------------------------------------------------ */
/* Keys, values, TTLs */

/* Builds the prefixed key in c->key; -1 (logged) for a key memcached would refuse. */
int
cache_make_key(struct cache *c, const char *key)
{
	size_t i, n = strlen(key);

	for (i = 0; i < n; i++) {
		if ((unsigned char)key[i] <= 0x20 || (unsigned char)key[i] >= 0x7f)
			break;
	}
	if (n == 0 || n > CACHE_KEY_MAX || i < n) {
		log_error("cache: refusing key \"%.64s\": empty, too long, or not printable ASCII", key);
		return -1;
	}
	buf_reset(&c->key);
	buf_puts(&c->key, c->conf->memcached_key_prefix);
	buf_append(&c->key, key, n);
	return 0;
}

/* Builds the prefixed key and finds its node, after probing the nodes that are due. NULL for a
 * refused key (logged) or when every node is out (logged when each one failed). */
struct node *
cache_locate(struct cache *c, const char *key)
{
	if (cache_make_key(c, key) != 0)
		return NULL;
	cache_probe_due(c);
	return cache_owner(c, c->key.data, c->key.len);
}

static time_t
jittered(struct cache *c, unsigned ttl)
{
	unsigned spread = ttl / 10;

	return (time_t)(ttl + (spread ? (unsigned)rand_r(&c->seed) % (spread + 1) : 0));
}

/* Request what (about subject, a key, or NULL) to node nd failed with rc, as cache_on_node returned
 * it: logs it, and takes the node out of the ring if it did not answer. Returns -1. */
int
cache_failed(struct cache *c, struct node *nd, const char *what, const char *subject,
    memcached_return_t rc)
{
	log_warn("cache: %s%s%s on %s: %s", what, subject ? " " : "", subject ? subject : "",
	    nd->name, cache_answered(rc) ? memcached_strerror(nd->mc, rc) : cache_node_why(nd, rc));
	if (!cache_answered(rc))
		cache_node_fail(c, nd, rc);
	return -1;
}

/* ------------------------------------------------------------------------------------------ */
/* The request's memo (cache.h: cache_memo_begin; lib/store/memo.h). Keyed by the prefixed key. */

/* Records that the prefixed key holds the n stored bytes raw (n 0: nothing). */
static void
memo_record(struct cache *c, const char *full, const void *raw, size_t n)
{
	if (c->memo_on)
		memo_put(c->memo, full, raw, n);
}

/* The same for a value about to be stored: its tag, then its bytes. */
void
cache_memo_record_tagged(struct cache *c, const char *full, char tag, const void *value, size_t n)
{
	struct buf raw = BUF_INIT;

	if (!c->memo_on)
		return;
	buf_putc(&raw, tag);
	buf_append(&raw, value, n);
	memo_put(c->memo, full, raw.data, raw.len);
	buf_free(&raw);
}

void
cache_memo_forget(struct cache *c, const char *full)
{
	if (c->memo_on)
		memo_drop(c->memo, full);
}

/* What the memo knows of the prefixed key in c->key: 1 with its stored bytes appended to raw,
 * 0 when it holds nothing, -1 when it is not known (or no memo is in use). */
int
cache_memo_lookup(struct cache *c, struct buf *raw)
{
	const char *v;
	size_t n;

	if (!c->memo_on || !memo_get(c->memo, buf_cstr(&c->key), &v, &n))
		return -1;
	buf_append(raw, v, n);
	return n > 0;
}

void
cache_memo_begin(struct cache *c)
{
	if (c->memo == NULL)
		c->memo = memo_new();
	memo_clear(c->memo);
	c->memo_on = true;
}

void
cache_memo_end(struct cache *c)
{
	if (c->memo != NULL)
		memo_clear(c->memo);
	c->memo_on = false;
}

struct fetch_req {
	struct buf *raw;
	uint64_t   *cas;
	bool        found;
};

/* Gets the prefixed key in c->key into arg's raw (stored bytes) and cas. */
static memcached_return_t
req_fetch(struct cache *c, struct node *nd, void *arg)
{
	struct fetch_req *f = arg;
	const char *keys[1] = { buf_cstr(&c->key) };
	size_t lens[1] = { c->key.len };
	memcached_result_st *res;
	memcached_return_t rc;

	buf_reset(f->raw);
	f->found = false;
	rc = memcached_mget(nd->mc, keys, lens, 1);
	if (rc != MEMCACHED_SUCCESS)
		return rc;
	while ((res = memcached_fetch_result(nd->mc, NULL, &rc)) != NULL) {
		if (!f->found) {
			buf_append(f->raw, memcached_result_value(res), memcached_result_length(res));
			*f->cas = memcached_result_cas(res);
			f->found = true;
		}
		memcached_result_free(res);
	}
	return rc;
}

/* Fetches the prefixed key in c->key from node nd: 1 with the raw stored bytes in raw (and its
 * CAS value), 0 on a miss, -1 on failure. */
int
cache_fetch(struct cache *c, struct node *nd, struct buf *raw, uint64_t *cas)
{
	struct fetch_req f = { raw, cas, false };
	memcached_return_t rc = cache_on_node(c, nd, req_fetch, &f);

	if (rc != MEMCACHED_END && rc != MEMCACHED_SUCCESS && rc != MEMCACHED_NOTFOUND)
		return cache_failed(c, nd, "get", buf_cstr(&c->key), rc);
	memo_record(c, buf_cstr(&c->key), raw->data, f.found ? raw->len : 0);
	c->keys_asked++;
	c->keys_found += f.found;
	return f.found;
}

struct store_req {
	time_t   exp;
	bool     add;
	uint64_t cas;   /* not 0: compare-and-swap */
};

/* Stores c->val (tag + value) under the prefixed key with set, add or cas. */
static memcached_return_t
req_store(struct cache *c, struct node *nd, void *arg)
{
	struct store_req *s = arg;
	uint32_t flags = c->val.len > 0 && c->val.data[0] == TAG_LEASE ? FLAG_LEASE : 0;

	if (s->cas != 0)
		return memcached_cas(nd->mc, c->key.data, c->key.len, c->val.data, c->val.len, s->exp,
		    flags, s->cas);
	if (s->add)
		return memcached_add(nd->mc, c->key.data, c->key.len, c->val.data, c->val.len, s->exp,
		    flags);
	return memcached_set(nd->mc, c->key.data, c->key.len, c->val.data, c->val.len, s->exp,
	    flags);
}

/* Stores tag + value under the prefixed key on node nd with set, add or cas (cas != 0). */
memcached_return_t
cache_store(struct cache *c, struct node *nd, char tag, const void *value, size_t n, unsigned ttl,
    bool add, uint64_t cas)
{
	struct store_req s = { jittered(c, ttl), add, cas };

	/* Whatever the node makes of it, the memo's copy is no longer known to be right. */
	cache_memo_forget(c, buf_cstr(&c->key));
	buf_reset(&c->val);
	buf_putc(&c->val, tag);
	buf_append(&c->val, value, n);
	return cache_on_node(c, nd, req_store, &s);
}

/* ------------------------------------------------------------------------------------------ */
/* Plain operations */

int
cache_get(struct cache *c, const char *key, struct buf *out)
{
	struct buf raw = BUF_INIT;
	struct node *nd = cache_locate(c, key);
	uint64_t cas;
	int rc;

	if (nd == NULL)
		return -1;
	if ((rc = cache_memo_lookup(c, &raw)) < 0)
		rc = cache_fetch(c, nd, &raw, &cas);
	if (rc == 1) {
		if (raw.len > 0 && raw.data[0] == TAG_VALUE)
			buf_append(out, raw.data + 1, raw.len - 1);
		else
			rc = 0;
	}
	buf_free(&raw);
	return rc;
}

int
cache_set(struct cache *c, const char *key, const void *value, size_t n, unsigned ttl)
{
	struct node *nd;
	memcached_return_t rc;

	if (n > CACHE_VALUE_MAX) {
		log_error("cache: refusing a value of %zu bytes for \"%.64s\" (at most %d)", n, key,
		    CACHE_VALUE_MAX);
		return -1;
	}
	nd = cache_locate(c, key);
	if (nd == NULL)
		return -1;
	rc = cache_store(c, nd, TAG_VALUE, value, n, ttl, false, 0);
	if (rc != MEMCACHED_SUCCESS)
		return cache_failed(c, nd, "set", buf_cstr(&c->key), rc);
	cache_memo_record_tagged(c, buf_cstr(&c->key), TAG_VALUE, value, n);
	return 1;
}

memcached_return_t
cache_req_delete(struct cache *c, struct node *nd, void *arg)
{
	(void)arg;
	return memcached_delete(nd->mc, c->key.data, c->key.len, 0);
}

int
cache_delete(struct cache *c, const char *key)
{
	size_t i;
	int rc = 1;

	if (cache_make_key(c, key) != 0)
		return -1;
	cache_memo_forget(c, buf_cstr(&c->key));
	cache_probe_due(c);
	/* Every node, not only the key's (see cache.h). */
	for (i = 0; i < c->n; i++) {
		struct node *nd = &c->nodes[i];
		memcached_return_t mrc;

		if (nd->quiet)
			continue;
		mrc = cache_on_node(c, nd, cache_req_delete, NULL);
		if (mrc == MEMCACHED_SUCCESS || mrc == MEMCACHED_NOTFOUND)
			continue;
		if (nd->out) {
			/* It is flushed before it is used again: just stop sending to it. */
			if (!cache_answered(mrc))
				nd->quiet = true;
			continue;
		}
		rc = cache_failed(c, nd, "delete", buf_cstr(&c->key), mrc);
	}
	return rc;
}

/* A multi-get of those of the n prefixed keys full[] (lengths lens[]) whose owner is the node
 * asked: the values go to vals[], hit[] and hits; seen[] says which keys a node answered for
 * (found or not), so that the memo can record the rest as holding nothing. */
struct mget_req {
	const char *const  *full;
	const size_t       *lens;
	struct node *const *owners;
	size_t              n;
	struct buf         *vals;
	bool               *hit;
	bool               *seen;
	int                 hits;
	uint64_t           *counts;   /* not NULL: counters (cache_counters), never in the memo */
	bool                failed;   /* a node holding some of the keys failed */
};

/* Sends the multi-get of node nd's keys; the answers wait in the socket for mget_collect, so
 * that every node works on its part at once. */
static memcached_return_t
mget_send(struct cache *c, struct node *nd, void *arg)
{
	struct mget_req *m = arg;
	const char **mine = xcalloc(m->n, sizeof *mine);
	size_t *mylens = xcalloc(m->n, sizeof *mylens), i, k = 0;
	memcached_return_t rc;

	(void)c;
	for (i = 0; i < m->n; i++) {
		if (m->owners[i] == nd) {
			mine[k] = m->full[i];
			mylens[k++] = m->lens[i];
		}
	}
	rc = memcached_mget(nd->mc, mine, mylens, k);
	free(mine);
	free(mylens);
	return rc;
}

/* Reads node nd's answers to mget_send. */
static memcached_return_t
mget_collect(struct cache *c, struct node *nd, struct mget_req *m)
{
	memcached_result_st *res;
	memcached_return_t rc;
	size_t i;

	while ((res = memcached_fetch_result(nd->mc, NULL, &rc)) != NULL) {
		const char *key = memcached_result_key_value(res), *v = memcached_result_value(res);
		size_t klen = memcached_result_key_length(res), vlen = memcached_result_length(res);

		/* seen[i] is checked first, so a retry after a partial answer adds nothing twice. */
		for (i = 0; i < m->n; i++) {
			if (m->seen[i] || m->owners[i] != nd || m->lens[i] != klen ||
			    memcmp(m->full[i], key, klen) != 0)
				continue;
			m->seen[i] = true;
			if (m->counts != NULL) {
				m->counts[i] = counter_value(v, vlen);
				m->hits++;
				continue;
			}
			memo_record(c, m->full[i], v, vlen);
			if (vlen > 0 && v[0] == TAG_VALUE) {
				buf_append(&m->vals[i], v + 1, vlen - 1);
				m->hit[i] = true;
				m->hits++;
			}
		}
		memcached_result_free(res);
	}
	return rc;
}

/* Both halves, for a node asked again on a fresh connection (cache_on_node). */
static memcached_return_t
req_mget(struct cache *c, struct node *nd, void *arg)
{
	memcached_return_t rc = mget_send(c, nd, arg);

	return rc == MEMCACHED_SUCCESS ? mget_collect(c, nd, arg) : rc;
}

/* The answers of node nd to the multi-get sent (sent) or not (a failed send): read, or asked
 * again as cache_on_node would (a broken old connection gets one more try, a timeout does not). */
static void
mget_node(struct cache *c, struct node *nd, struct mget_req *m, bool sent)
{
	memcached_return_t rc = MEMCACHED_CONNECTION_FAILURE;
	size_t i;

	if (sent)
		rc = cache_node_error(nd, mget_collect(c, nd, m));
	if (sent && !cache_answered(rc))
		cache_describe(nd, rc);
	if (!cache_answered(rc) && rc != MEMCACHED_TIMEOUT &&
	    rc != MEMCACHED_SERVER_TEMPORARILY_DISABLED) {
		rc = cache_try_node(c, nd, req_mget, m);
		if (!cache_answered(rc))
			cache_describe(nd, rc);
	}
	if (rc != MEMCACHED_END && rc != MEMCACHED_SUCCESS && rc != MEMCACHED_NOTFOUND) {
		cache_failed(c, nd, "multi-get", NULL, rc);
		m->failed = true;
		return;
	}
	/* The node answered: its keys it did not send hold nothing. */
	for (i = 0; i < m->n; i++) {
		if (m->owners[i] != nd)
			continue;
		c->keys_asked++;
		c->keys_found += m->seen[i] && (m->counts != NULL || m->hit[i]);
		if (m->counts == NULL && !m->seen[i])
			memo_record(c, m->full[i], NULL, 0);
	}
}

/* Answers from the request's memo the keys it knows (their owner becomes NULL: not asked). */
static void
mget_from_memo(struct cache *c, struct mget_req *m, struct node **owners)
{
	const char *v;
	size_t i, n;

	for (i = 0; c->memo_on && i < m->n; i++) {
		if (owners[i] == NULL || !memo_get(c->memo, m->full[i], &v, &n))
			continue;
		owners[i] = NULL;
		if (n > 0 && v[0] == TAG_VALUE) {
			buf_append(&m->vals[i], v + 1, n - 1);
			m->hit[i] = true;
			m->hits++;
		}
	}
}

/* The multi-get of cache_mget and cache_counters, whose outputs m holds (vals and hit, or
 * counts); fills the rest of m. Returns m->hits. */
static int
mget_run(struct cache *c, const char *const *keys, size_t n, struct mget_req *mr)
{
	const char **full = xcalloc(n ? n : 1, sizeof *full);
	size_t *lens = xcalloc(n ? n : 1, sizeof *lens), i, j;
	size_t *offs = xcalloc(n ? n : 1, sizeof *offs);
	struct node **owners = xcalloc(n ? n : 1, sizeof *owners);
	bool *seen = xcalloc(n ? n : 1, sizeof *seen), *sent = xcalloc(c->n, sizeof *sent);
	struct mget_req m = { full, lens, owners, n, mr->vals, mr->hit, seen, 0, mr->counts,
	    false };
	struct buf all = BUF_INIT;

	/* All prefixed keys in one buffer; offsets, not pointers, because it grows. */
	for (i = 0; i < n; i++) {
		if (cache_make_key(c, keys[i]) != 0) {
			m.hits = -1;
			goto out;
		}
		offs[i] = all.len;
		lens[i] = c->key.len;
		buf_append(&all, c->key.data, c->key.len + 1);
	}
	if (n == 0)
		goto out;
	cache_probe_due(c);
	for (i = 0; i < n; i++) {
		full[i] = all.data + offs[i];
		owners[i] = cache_owner(c, full[i], lens[i]);
		/* Every node is out: for a counter that is a failure, not a count of 0. */
		if (owners[i] == NULL)
			m.failed = true;
	}
	if (m.counts == NULL)
		mget_from_memo(c, &m, owners);
	/* One round trip per node that holds some of the keys, all nodes at once: every request
	 * is sent before any answer is read. A node that fails leaves its keys misses, and what
	 * it sent before failing stands. */
	for (j = 0; j < c->n; j++) {
		for (i = 0; i < n && owners[i] != &c->nodes[j]; i++)
			continue;
		if (i < n)
			sent[j] = cache_try_node(c, &c->nodes[j], mget_send, &m) == MEMCACHED_SUCCESS;
	}
	for (j = 0; j < c->n; j++) {
		for (i = 0; i < n && owners[i] != &c->nodes[j]; i++)
			continue;
		if (i < n)
			mget_node(c, &c->nodes[j], &m, sent[j]);
	}
out:
	free(full);
	free(lens);
	free(offs);
	free(owners);
	free(seen);
	free(sent);
	buf_free(&all);
	mr->hits = m.hits;
	mr->failed = m.failed;
	return m.hits;
}

int
cache_mget(struct cache *c, const char *const *keys, size_t n, struct buf *vals, bool *hit)
{
	struct mget_req m = { .vals = vals, .hit = hit };
	size_t i;

	for (i = 0; i < n; i++)
		hit[i] = false;
	return mget_run(c, keys, n, &m);
}

int
cache_counters(struct cache *c, const char *const *keys, size_t n, uint64_t *values)
{
	struct mget_req m = { .counts = values };
	size_t i;

	for (i = 0; i < n; i++)
		values[i] = 0;
	if (mget_run(c, keys, n, &m) < 0 || m.failed)
		return -1;
	return m.hits;
}

/* The slot of key in ks's index: where it is, or the empty one where it goes. */
static uint32_t *
keys_slot(const struct cache_keys *ks, const char *key)
{
	size_t mask = ks->nslots - 1, i = memo_key_hash(key) & mask;

	while (ks->slot[i] != 0 && strcmp(ks->k[ks->slot[i] - 1], key) != 0)
		i = (i + 1) & mask;
	return &ks->slot[i];
}

/* Keeps the index at most half full, so that probes stay short. */
static void
keys_index_grow(struct cache_keys *ks)
{
	size_t i;

	if (2 * (ks->n + 1) <= ks->nslots)
		return;
	free(ks->slot);
	ks->nslots = ks->nslots ? 2 * ks->nslots : 64;
	ks->slot = xcalloc(ks->nslots, sizeof *ks->slot);
	for (i = 0; i < ks->n; i++)
		*keys_slot(ks, ks->k[i]) = (uint32_t)(i + 1);
}

void
cache_keys_add(struct cache_keys *ks, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	uint32_t *slot;
	va_list ap;

	/* A page names the same key many times (an author of several posts): a hash index
	 * finds a repeat at once, where a scan of the list made the gathering quadratic. */
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	keys_index_grow(ks);
	slot = keys_slot(ks, buf_cstr(&b));
	if (*slot != 0) {
		buf_free(&b);
		return;
	}
	if (ks->n == ks->cap) {
		ks->cap = ks->cap ? 2 * ks->cap : 32;
		ks->k = xrealloc(ks->k, ks->cap * sizeof *ks->k);
	}
	ks->k[ks->n++] = buf_detach(&b);
	*slot = (uint32_t)ks->n;
}

int
cache_keys_prefetch(struct cache *c, const struct cache_keys *ks)
{
	return cache_prefetch(c, (const char *const *)ks->k, ks->n);
}

void
cache_keys_free(struct cache_keys *ks)
{
	size_t i;

	if (ks == NULL)
		return;
	for (i = 0; i < ks->n; i++)
		free(ks->k[i]);
	free(ks->k);
	free(ks->slot);
	ks->k = NULL;
	ks->slot = NULL;
	ks->n = ks->cap = ks->nslots = 0;
}

int
cache_prefetch(struct cache *c, const char *const *keys, size_t n)
{
	struct buf *vals;
	bool *hit;
	size_t i;
	int rc;

	if (!c->memo_on || n == 0)
		return 0;
	vals = xcalloc(n, sizeof *vals);
	hit = xcalloc(n, sizeof *hit);
	rc = cache_mget(c, keys, n, vals, hit);
	for (i = 0; i < n; i++)
		buf_free(&vals[i]);
	free(vals);
	free(hit);
	return rc;
}


/* ------------------------------------------------------------------------------------------ */
/* Counters */

struct incr_req {
	uint64_t  delta;
	unsigned  ttl;
	uint64_t *value;
};

/* Adds one to the counter in c->key, creating it at 1 when absent; a concurrent creator wins
 * the add and this one then counts on its counter. */
static memcached_return_t
req_incr(struct cache *c, struct node *nd, void *arg)
{
	struct incr_req *r = arg;
	memcached_return_t rc;

	char start[24];
	int len;

	rc = memcached_increment(nd->mc, c->key.data, c->key.len, (uint32_t)r->delta, r->value);
	if (rc != MEMCACHED_NOTFOUND)
		return rc;
	len = snprintf(start, sizeof start, "%" PRIu64, r->delta);
	rc = memcached_add(nd->mc, c->key.data, c->key.len, start, (size_t)len, (time_t)r->ttl, 0);
	if (rc == MEMCACHED_SUCCESS) {
		*r->value = r->delta;
		return rc;
	}
	if (rc == MEMCACHED_NOTSTORED || rc == MEMCACHED_DATA_EXISTS)
		rc = memcached_increment(nd->mc, c->key.data, c->key.len, (uint32_t)r->delta,
		    r->value);
	return rc;
}

int
cache_incr(struct cache *c, const char *key, unsigned ttl, uint64_t *value)
{
	return cache_incr_by(c, key, 1, ttl, value);
}

int
cache_incr_by(struct cache *c, const char *key, uint32_t delta, unsigned ttl, uint64_t *value)
{
	struct incr_req r = { delta, ttl, value };
	struct node *nd = cache_locate(c, key);
	memcached_return_t rc;

	*value = 0;
	if (nd == NULL)
		return -1;
	rc = cache_on_node(c, nd, req_incr, &r);
	if (rc != MEMCACHED_SUCCESS)
		return cache_failed(c, nd, "incr", buf_cstr(&c->key), rc);
	return 1;
}

int
cache_counter(struct cache *c, const char *key, uint64_t *value)
{
	struct buf raw = BUF_INIT;
	struct node *nd = cache_locate(c, key);
	uint64_t cas;
	int rc;

	*value = 0;
	if (nd == NULL)
		return -1;
	rc = cache_fetch(c, nd, &raw, &cas);
	if (rc == 1)
		*value = counter_value(raw.data, raw.len);
	buf_free(&raw);
	return rc;
}
