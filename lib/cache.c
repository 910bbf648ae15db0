/* cache.c: the memcached pool (libmemcached). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <string.h>

#include <libmemcached/memcached.h>

#include "cache.h"
#include "log.h"
#include "xalloc.h"

struct cache {
	const struct conf *conf;
	memcached_st      *mc;
	struct buf         key;     /* scratch: the prefixed key */
	struct buf         val;     /* scratch: tag byte + value */
	unsigned int       seed;    /* for TTL jitter */
};

/* Every stored value starts with a tag byte, so a cached "not found" and a lease placeholder are
 * never mistaken for data. */
#define TAG_VALUE   'v'
#define TAG_MISSING 'n'
#define TAG_LEASE   'l'

/* How long a lease holds: longer than any sane database read, short enough that a crashed
 * filler does not block the key for long. */
#define LEASE_TTL 3
/* How long a process waits for another one's fill before loading by itself: 10 x 10 ms. */
#define LEASE_POLLS 10
#define LEASE_POLL_US 10000

struct cache *
cache_new(const struct conf *conf, struct buf *err)
{
	struct cache *c = xcalloc(1, sizeof *c);
	memcached_server_st *servers;
	memcached_return_t rc;
	uint64_t ms = (uint64_t)conf->memcached_timeout_ms;

	c->conf = conf;
	c->seed = (unsigned int)time(NULL) ^ (unsigned int)getpid();
	c->mc = memcached_create(NULL);
	if (c->mc == NULL) {
		buf_puts(err, "memcached: cannot create a client");
		goto fail;
	}
	/* memcached_servers_parse takes "host:port, host:port" and reports nothing on junk, so the
	 * result is checked for being non-empty. */
	servers = memcached_servers_parse(conf->memcached_servers);
	if (servers == NULL || memcached_server_list_count(servers) == 0) {
		buf_printf(err, "[memcached] servers: cannot parse \"%.128s\"", conf->memcached_servers);
		memcached_server_list_free(servers);
		goto fail;
	}
	rc = memcached_server_push(c->mc, servers);
	memcached_server_list_free(servers);
	if (rc != MEMCACHED_SUCCESS) {
		buf_printf(err, "[memcached] servers: %s", memcached_strerror(c->mc, rc));
		goto fail;
	}
	memcached_behavior_set(c->mc, MEMCACHED_BEHAVIOR_DISTRIBUTION, MEMCACHED_DISTRIBUTION_CONSISTENT);
	memcached_behavior_set(c->mc, MEMCACHED_BEHAVIOR_CONNECT_TIMEOUT, ms);
	memcached_behavior_set(c->mc, MEMCACHED_BEHAVIOR_POLL_TIMEOUT, ms);
	memcached_behavior_set(c->mc, MEMCACHED_BEHAVIOR_RCV_TIMEOUT, ms * 1000);
	memcached_behavior_set(c->mc, MEMCACHED_BEHAVIOR_SND_TIMEOUT, ms * 1000);
	memcached_behavior_set(c->mc, MEMCACHED_BEHAVIOR_TCP_NODELAY, 1);
	/* gets/cas, for leases (see cache_get_or_load). */
	memcached_behavior_set(c->mc, MEMCACHED_BEHAVIOR_SUPPORT_CAS, 1);
	/* Retry a failed node after 2 s rather than hammering it on every request. */
	memcached_behavior_set(c->mc, MEMCACHED_BEHAVIOR_RETRY_TIMEOUT, 2);
	return c;
fail:
	cache_free(c);
	return NULL;
}

int
cache_ping(struct cache *c, struct buf *err)
{
	uint32_t i, n = memcached_server_count(c->mc);
	memcached_return_t rc;

	memcached_stat_st *stats;

	/* "stats" is a fresh round trip to every node (memcached_version is not: libmemcached keeps
	 * a version once it has one). Its result says whether all answered, and each node's last
	 * error says which did not. */
	stats = memcached_stat(c->mc, NULL, &rc);
	memcached_stat_free(c->mc, stats);
	if (rc == MEMCACHED_SUCCESS)
		return 0;
	for (i = 0; i < n; i++) {
		const memcached_instance_st *s = memcached_server_instance_by_position(c->mc, i);
		const char *why = memcached_server_error(s);

		if (why == NULL)
			continue;
		log_error("memcached %s:%u: not answering: %s", memcached_server_name(s),
		    (unsigned)memcached_server_port(s), why);
		buf_printf(err, "%s%s:%u: %s", err->len ? "; " : "", memcached_server_name(s),
		    (unsigned)memcached_server_port(s), why);
	}
	if (err->len == 0) {
		log_error("memcached: %s", memcached_strerror(c->mc, rc));
		buf_puts(err, memcached_strerror(c->mc, rc));
	}
	return -1;
}

/* ------------------------------------------------------------------------------------------ */
/* Keys, values, TTLs */

/* Builds the prefixed key in c->key; -1 (logged) for a key memcached would refuse. */
static int
make_key(struct cache *c, const char *key)
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

static time_t
jittered(struct cache *c, unsigned ttl)
{
	unsigned spread = ttl / 10;

	return (time_t)(ttl + (spread ? (unsigned)rand_r(&c->seed) % (spread + 1) : 0));
}

static void
log_failure(struct cache *c, const char *what, memcached_return_t rc)
{
	log_warn("cache: %s %s: %s", what, buf_cstr(&c->key), memcached_strerror(c->mc, rc));
}

/* Fetches the prefixed key in c->key: 1 with the raw stored bytes in raw (and its CAS value),
 * 0 on a miss, -1 on failure. */
static int
fetch(struct cache *c, struct buf *raw, uint64_t *cas)
{
	const char *keys[1] = { buf_cstr(&c->key) };
	size_t lens[1] = { c->key.len };
	memcached_result_st *res;
	memcached_return_t rc;
	int found = 0;

	rc = memcached_mget(c->mc, keys, lens, 1);
	if (rc != MEMCACHED_SUCCESS) {
		log_failure(c, "get", rc);
		return -1;
	}
	while ((res = memcached_fetch_result(c->mc, NULL, &rc)) != NULL) {
		if (!found) {
			buf_append(raw, memcached_result_value(res), memcached_result_length(res));
			*cas = memcached_result_cas(res);
			found = 1;
		}
		memcached_result_free(res);
	}
	if (rc != MEMCACHED_END && rc != MEMCACHED_SUCCESS && rc != MEMCACHED_NOTFOUND) {
		log_failure(c, "get", rc);
		return -1;
	}
	return found;
}

/* Stores tag + value under the prefixed key with set, add or cas (cas != 0). */
static memcached_return_t
store(struct cache *c, char tag, const void *value, size_t n, unsigned ttl, bool add,
    uint64_t cas)
{
	buf_reset(&c->val);
	buf_putc(&c->val, tag);
	buf_append(&c->val, value, n);
	if (cas != 0)
		return memcached_cas(c->mc, c->key.data, c->key.len, c->val.data, c->val.len,
		    jittered(c, ttl), 0, cas);
	if (add)
		return memcached_add(c->mc, c->key.data, c->key.len, c->val.data, c->val.len,
		    jittered(c, ttl), 0);
	return memcached_set(c->mc, c->key.data, c->key.len, c->val.data, c->val.len,
	    jittered(c, ttl), 0);
}

/* ------------------------------------------------------------------------------------------ */
/* Plain operations */

int
cache_get(struct cache *c, const char *key, struct buf *out)
{
	struct buf raw = BUF_INIT;
	uint64_t cas;
	int rc;

	if (make_key(c, key) != 0)
		return -1;
	rc = fetch(c, &raw, &cas);
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
	memcached_return_t rc;

	if (make_key(c, key) != 0 || n > CACHE_VALUE_MAX)
		return -1;
	rc = store(c, TAG_VALUE, value, n, ttl, false, 0);
	if (rc != MEMCACHED_SUCCESS) {
		log_failure(c, "set", rc);
		return -1;
	}
	return 1;
}

int
cache_delete(struct cache *c, const char *key)
{
	memcached_return_t rc;

	if (make_key(c, key) != 0)
		return -1;
	rc = memcached_delete(c->mc, c->key.data, c->key.len, 0);
	if (rc != MEMCACHED_SUCCESS && rc != MEMCACHED_NOTFOUND) {
		log_failure(c, "delete", rc);
		return -1;
	}
	return 1;
}

int
cache_mget(struct cache *c, const char *const *keys, size_t n, struct buf *vals, bool *hit)
{
	const char **full = xcalloc(n ? n : 1, sizeof *full);
	size_t *lens = xcalloc(n ? n : 1, sizeof *lens), i;
	struct buf all = BUF_INIT;
	size_t *offs = xcalloc(n ? n : 1, sizeof *offs);
	memcached_result_st *res;
	memcached_return_t rc;
	int hits = 0;

	for (i = 0; i < n; i++)
		hit[i] = false;
	/* All prefixed keys in one buffer; offsets, not pointers, because it grows. */
	for (i = 0; i < n; i++) {
		if (make_key(c, keys[i]) != 0) {
			hits = -1;
			goto out;
		}
		offs[i] = all.len;
		lens[i] = c->key.len;
		buf_append(&all, c->key.data, c->key.len + 1);
	}
	for (i = 0; i < n; i++)
		full[i] = all.data + offs[i];
	if (n == 0)
		goto out;
	rc = memcached_mget(c->mc, full, lens, n);
	if (rc != MEMCACHED_SUCCESS && rc != MEMCACHED_SOME_ERRORS) {
		log_warn("cache: multi-get of %zu keys: %s", n, memcached_strerror(c->mc, rc));
		hits = -1;
		goto out;
	}
	while ((res = memcached_fetch_result(c->mc, NULL, &rc)) != NULL) {
		const char *k = memcached_result_key_value(res), *v = memcached_result_value(res);
		size_t klen = memcached_result_key_length(res), vlen = memcached_result_length(res);

		for (i = 0; i < n; i++) {
			if (!hit[i] && lens[i] == klen && memcmp(full[i], k, klen) == 0 && vlen > 0 &&
			    v[0] == TAG_VALUE) {
				buf_append(&vals[i], v + 1, vlen - 1);
				hit[i] = true;
				hits++;
			}
		}
		memcached_result_free(res);
	}
out:
	free(full);
	free(lens);
	free(offs);
	buf_free(&all);
	return hits;
}

/* ------------------------------------------------------------------------------------------ */
/* Cache-aside with leases */

/* Reads a stored value of the prefixed key: 1 value (appended to out), 0 cached "not found",
 * 2 a lease (someone is loading), 3 nothing, -1 failure. */
static int
lookup(struct cache *c, struct buf *out, uint64_t *cas)
{
	struct buf raw = BUF_INIT;
	int rc = fetch(c, &raw, cas);

	if (rc == 1) {
		if (raw.len > 0 && raw.data[0] == TAG_VALUE) {
			buf_append(out, raw.data + 1, raw.len - 1);
			rc = 1;
		} else if (raw.len > 0 && raw.data[0] == TAG_MISSING) {
			rc = 0;
		} else {
			rc = 2;
		}
	} else if (rc == 0) {
		rc = 3;
	}
	buf_free(&raw);
	return rc;
}

/* Waits a little for another process's fill. Returns as lookup does; 2 or 3 when it gave up. */
static int
wait_for_fill(struct cache *c, struct buf *out)
{
	uint64_t cas;
	int i, rc = 2;

	for (i = 0; i < LEASE_POLLS && (rc == 2 || rc == 3); i++) {
		usleep(LEASE_POLL_US);
		rc = lookup(c, out, &cas);
	}
	return rc;
}

int
cache_get_or_load(struct cache *c, const char *key, unsigned ttl, cache_loader load,
    void *arg, struct buf *out)
{
	struct buf value = BUF_INIT;
	memcached_return_t mrc;
	uint64_t cas = 0;
	int rc, found;

	if (make_key(c, key) != 0)
		return load(arg, out);
	rc = lookup(c, out, &cas);
	if (rc == 0 || rc == 1)
		return rc;
	if (rc == 2) {
		rc = wait_for_fill(c, out);
		if (rc == 0 || rc == 1)
			return rc;
		/* The filler is slow or gone: answer from the database, leave the cache to it. */
		return load(arg, out);
	}
	if (rc < 0)
		return load(arg, out);

	/* A miss: take the lease, or wait for whoever has it. */
	mrc = store(c, TAG_LEASE, "", 0, LEASE_TTL, true, 0);
	if (mrc == MEMCACHED_NOTSTORED || mrc == MEMCACHED_DATA_EXISTS) {
		rc = wait_for_fill(c, out);
		return rc == 0 || rc == 1 ? rc : load(arg, out);
	}
	if (mrc != MEMCACHED_SUCCESS) {
		log_failure(c, "lease", mrc);
		return load(arg, out);
	}
	/* Our lease: its CAS value, so the fill fails if a delete came in meanwhile. */
	if (lookup(c, &value, &cas) != 2)
		cas = 0;
	buf_reset(&value);
	found = load(arg, &value);
	if (found >= 0 && cas != 0) {
		mrc = found ? store(c, TAG_VALUE, value.data, value.len, ttl, false, cas) :
		    store(c, TAG_MISSING, "", 0, ttl < CACHE_NEGATIVE_TTL ? ttl : CACHE_NEGATIVE_TTL,
		    false, cas);
		if (mrc != MEMCACHED_SUCCESS && mrc != MEMCACHED_DATA_EXISTS && mrc != MEMCACHED_NOTFOUND)
			log_failure(c, "fill", mrc);
	}
	if (found == 1)
		buf_append(out, value.data ? value.data : "", value.len);
	buf_free(&value);
	return found;
}

int
cache_incr(struct cache *c, const char *key, unsigned ttl, uint64_t *value)
{
	memcached_return_t rc;

	if (make_key(c, key) != 0)
		return -1;
	rc = memcached_increment(c->mc, c->key.data, c->key.len, 1, value);
	if (rc == MEMCACHED_NOTFOUND) {
		/* First event of the window: create it; if another process just did, count on it. */
		rc = memcached_add(c->mc, c->key.data, c->key.len, "1", 1, (time_t)ttl, 0);
		if (rc == MEMCACHED_SUCCESS) {
			*value = 1;
			return 1;
		}
		if (rc == MEMCACHED_NOTSTORED || rc == MEMCACHED_DATA_EXISTS)
			rc = memcached_increment(c->mc, c->key.data, c->key.len, 1, value);
	}
	if (rc != MEMCACHED_SUCCESS) {
		log_warn("memcached incr %s: %s", key, memcached_strerror(c->mc, rc));
		return -1;
	}
	return 1;
}

int
cache_counter(struct cache *c, const char *key, uint64_t *value)
{
	memcached_return_t rc;
	size_t n = 0;
	uint32_t flags = 0;
	char *v, digits[24];

	*value = 0;
	if (make_key(c, key) != 0)
		return -1;
	v = memcached_get(c->mc, c->key.data, c->key.len, &n, &flags, &rc);
	if (rc == MEMCACHED_NOTFOUND) {
		free(v);
		return 0;
	}
	if (rc != MEMCACHED_SUCCESS || v == NULL) {
		free(v);
		log_warn("memcached get %s: %s", key, memcached_strerror(c->mc, rc));
		return -1;
	}
	/* memcached keeps counters as decimal text, maybe padded with blanks after a decrement. */
	snprintf(digits, sizeof digits, "%.*s", (int)(n < sizeof digits ? n : sizeof digits - 1), v);
	free(v);
	*value = strtoull(digits, NULL, 10);
	return 1;
}

void
cache_free(struct cache *c)
{
	if (c == NULL)
		return;
	if (c->mc != NULL)
		memcached_free(c->mc);
	buf_free(&c->key);
	buf_free(&c->val);
	free(c);
}
