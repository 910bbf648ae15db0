/* cache.c: the memcached pool (libmemcached): keys placed on a ketama ring of the nodes that are
 * in, one connection per node, failed nodes taken out and brought back emptied (see cache.h). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libmemcached/memcached.h>

#include "breaker.h"
#include "cache.h"
#include "clock.h"
#include "log.h"
#include "memo.h"
#include "xalloc.h"

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

/* How long a lease holds: longer than any sane database read, short enough that a crashed
 * filler does not block the key for long. */
#define LEASE_TTL 3
/* How long a process waits for another one's fill before loading by itself: 10 x 10 ms. */
#define LEASE_POLLS 10
#define LEASE_POLL_US 10000

/* ------------------------------------------------------------------------------------------ */
/* Nodes and the ring */

/* A client for one node, with the short timeouts of cache.h. */
static memcached_st *
node_client(const struct conf *conf, const char *host, in_port_t port)
{
	memcached_st *mc = memcached_create(NULL);
	uint64_t ms = (uint64_t)conf->memcached_timeout_ms;

	if (mc == NULL)
		abort();  /* out of memory, as xmalloc */
	memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_CONNECT_TIMEOUT, ms);
	memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_POLL_TIMEOUT, ms);
	memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_RCV_TIMEOUT, ms * 1000);
	memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_SND_TIMEOUT, ms * 1000);
	memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_TCP_NODELAY, 1);
	/* gets/cas, for leases (see cache_get_or_load). */
	memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_SUPPORT_CAS, 1);
	if (memcached_server_add(mc, host, port) != MEMCACHED_SUCCESS)
		abort();  /* the name passed ring_build at start-up: only memory can fail here */
	return mc;
}

/* Rebuilds c->ring from the nodes that are in, in configuration order. Ketama places a node's
 * points by its "host:port" alone, so this is the ring libmemcached's own ejection would leave,
 * and every process with the same configuration and the same view builds the same one.
 * Returns 0, or -1 with a message in err (a name libmemcached refuses). */
static int
ring_build(struct cache *c, struct buf *err)
{
	size_t i, k = 0;

	if (c->ring != NULL)
		memcached_free(c->ring);
	c->ring = NULL;
	if (c->nout == c->n)
		return 0;
	c->ring = memcached_create(NULL);
	if (c->ring == NULL)
		abort();
	memcached_behavior_set(c->ring, MEMCACHED_BEHAVIOR_DISTRIBUTION,
	    MEMCACHED_DISTRIBUTION_CONSISTENT);
	for (i = 0; i < c->n; i++) {
		memcached_return_t rc;

		if (c->nodes[i].out)
			continue;
		rc = memcached_server_add(c->ring, c->nodes[i].host, c->nodes[i].port);
		if (rc != MEMCACHED_SUCCESS) {
			buf_printf(err, "[memcached] servers: %s: %s", c->nodes[i].name,
			    memcached_strerror(c->ring, rc));
			return -1;
		}
		c->ring_node[k++] = i;
	}
	return 0;
}

/* Same, when only memory can fail (the names passed at start-up). */
static void
ring_rebuild(struct cache *c)
{
	struct buf err = BUF_INIT;

	if (ring_build(c, &err) != 0)
		abort();
	buf_free(&err);
}

/* The node that holds the prefixed key (n bytes) in this process's ring, or NULL when every node
 * is out. */
static struct node *
owner(struct cache *c, const char *key, size_t n)
{
	const memcached_instance_st *s;
	uint32_t i, count;

	if (c->ring == NULL)
		return NULL;
	s = memcached_server_by_key(c->ring, key, n, NULL);
	count = memcached_server_count(c->ring);
	for (i = 0; i < count; i++) {
		if (memcached_server_instance_by_position(c->ring, i) == s)
			return &c->nodes[c->ring_node[i]];
	}
	return NULL;
}

/* Whether rc says the node answered (a hit, a miss, "not stored", ...). Anything else is the
 * node failing: refused, reset, timed out, garbled. */
static bool
answered(memcached_return_t rc)
{
	return !memcached_fatal(rc);
}

/* The node's own error for a request that returned rc: libmemcached sums up a call that can span
 * several servers (flush, stat) as "some errors", and keeps the server's own as the last one. */
static memcached_return_t
node_error(struct node *nd, memcached_return_t rc)
{
	memcached_return_t last = memcached_last_error(nd->mc);

	return !answered(rc) && !answered(last) ? last : rc;
}

/* Records what went wrong with node nd's last request (rc, and the system's reason if any). */
static void
describe(struct node *nd, memcached_return_t rc)
{
	int e = memcached_last_error_errno(nd->mc);

	/* libmemcached reports a connect that failed after a failed one as "temporarily disabled",
	 * although it did try (see try_node): the reason recorded then says more. */
	if (rc == MEMCACHED_SERVER_TEMPORARILY_DISABLED && nd->why.len > 0)
		return;
	buf_reset(&nd->why);
	buf_puts(&nd->why, memcached_strerror(nd->mc, rc));
	if (e != 0)
		buf_printf(&nd->why, " (%s)", strerror(e));
}

/* What went wrong with node nd: the last failure on_node saw, or rc if it saw none. */
static const char *
node_why(struct node *nd, memcached_return_t rc)
{
	if (nd->why.len == 0)
		buf_puts(&nd->why, memcached_strerror(nd->mc, rc));
	return buf_cstr(&nd->why);
}

/* Closes nd's pipelined connection (cache_append_many), if open. */
static void
pipe_close(struct node *nd)
{
	if (nd->pipe_fd >= 0)
		close(nd->pipe_fd);
	nd->pipe_fd = -1;
}

/* Node nd failed with rc: if it is in the ring, out until its probe, dead_timeout from now. */
static void
node_fail(struct cache *c, struct node *nd, memcached_return_t rc)
{
	if (nd->out)
		return;
	nd->out = true;
	nd->quiet = false;   /* deletes still try it: one slow answer is not a dead node */
	pipe_close(nd);      /* answers still in flight on it must never be read as new ones */
	nd->probe_at = (long long)clock_mono_ms() + c->conf->memcached_dead_timeout * 1000;
	c->nout++;
	ring_rebuild(c);
	breaker_open_for(c->brk, nd->slot, (uint64_t)c->conf->memcached_dead_timeout * 1000);
	log_warn("memcached %s: out of the ring for %ld s: %s", nd->name,
	    c->conf->memcached_dead_timeout, node_why(nd, rc));
}

/* Follows what the host's other processes found (the breaker file): a node one of them took
 * out is out here too, until its probe, without this process paying a timeout to learn it;
 * a node whose probe there answered (and flushed it) is back here too, with no flush of its
 * own: this process sent it nothing meanwhile. Returns whether the ring changed. */
static bool
follow_host(struct cache *c, long long now)
{
	bool changed = false;
	size_t i;

	for (i = 0; i < c->n; i++) {
		struct node *nd = &c->nodes[i];
		uint64_t retry;
		enum breaker_state st;

		if (nd->slot < 0)
			continue;
		st = breaker_state(c->brk, nd->slot, &retry);
		if (!nd->out && st == BREAKER_OPEN) {
			nd->out = nd->quiet = true;
			pipe_close(nd);
			nd->probe_at = now + (long long)retry;
			c->nout++;
			changed = true;
			log_info("memcached %s: out of the ring for %llu ms: another process of the "
			    "host found it failing", nd->name, (unsigned long long)retry);
		} else if (nd->out && st == BREAKER_CLOSED) {
			nd->out = nd->quiet = false;
			buf_reset(&nd->why);
			c->nout--;
			changed = true;
			log_info("memcached %s: back in the ring: another process of the host found "
			    "it answering and flushed it", nd->name);
		}
	}
	return changed;
}

/* One request to one node; returns what libmemcached said. arg is the request's own. */
typedef memcached_return_t (*node_request)(struct cache *c, struct node *nd, void *arg);

/* Runs req on node nd once, and returns the node's own result. libmemcached pauses a server
 * for a while after a failed connect (MEMCACHED_BEHAVIOR_RETRY_TIMEOUT, to whole seconds) and
 * then declines requests to it without trying; cache.c paces its requests to a failed node
 * itself (dead_timeout, quiet), so the pause is lifted: a request sent is a request tried. */
static memcached_return_t
try_node(struct cache *c, struct node *nd, node_request req, void *arg)
{
	memcached_instance_next_retry(memcached_server_instance_by_position(nd->mc, 0), 0);
	c->round_trips++;
	return node_error(nd, req(c, nd, arg));
}

/* Runs req on node nd; records why it failed in nd->why. A node restarted since this process
 * last used it fails the first request on the old connection at once (and libmemcached drops
 * that connection), so a failure is tried once more, on a fresh connection, before it counts:
 * a quick restart must not cost every process dead_timeout of misses. Not tried again: a
 * timeout (it would double the wait) and a failed connect (no old connection was to blame).
 * Every request here can be repeated (get, set, delete, flush, stats; add and cas fail safe:
 * the process then waits for a fill or does not fill). */
static memcached_return_t
on_node(struct cache *c, struct node *nd, node_request req, void *arg)
{
	memcached_return_t rc = try_node(c, nd, req, arg);

	if (answered(rc))
		return rc;
	describe(nd, rc);
	if (rc == MEMCACHED_TIMEOUT || rc == MEMCACHED_SERVER_TEMPORARILY_DISABLED)
		return rc;
	rc = try_node(c, nd, req, arg);
	if (!answered(rc))
		describe(nd, rc);
	return rc;
}

static memcached_return_t
req_flush(struct cache *c, struct node *nd, void *arg)
{
	(void)c;
	(void)arg;
	return memcached_flush(nd->mc, 0);
}

/* Probes every node whose time has come, before this request uses the ring: a flush_all sent to
 * the node alone. If it answers, it is empty and comes back; if not, it stays out for another
 * dead_timeout. The flush comes first, so no request of this process can read a value the node
 * kept from before it went out. */
static void
probe_due(struct cache *c)
{
	long long now = (long long)clock_mono_ms();
	size_t i;
	bool back = follow_host(c, now);

	for (i = 0; c->nout > 0 && i < c->n; i++) {
		struct node *nd = &c->nodes[i];
		memcached_return_t rc;

		if (!nd->out || now < nd->probe_at)
			continue;
		rc = on_node(c, nd, req_flush, NULL);
		if (rc == MEMCACHED_SUCCESS) {
			nd->out = false;
			nd->quiet = false;
			buf_reset(&nd->why);
			c->nout--;
			back = true;
			breaker_ok(c->brk, nd->slot);
			log_info("memcached %s: answering again; flushed and back in the ring", nd->name);
			continue;
		}
		nd->quiet = true;
		nd->probe_at = now + c->conf->memcached_dead_timeout * 1000;
		breaker_open_for(c->brk, nd->slot, (uint64_t)c->conf->memcached_dead_timeout * 1000);
		log_warn("memcached %s: still not answering, next try in %ld s: %s", nd->name,
		    c->conf->memcached_dead_timeout, node_why(nd, rc));
	}
	if (back)
		ring_rebuild(c);
}

/* Splits the server list into c->nodes; returns 0 or -1 with a message in err.
 * memcached_servers_parse takes "host:port, host:port" and reports nothing on junk, so its
 * result is checked for being non-empty. */
static int
nodes_parse(struct cache *c, struct buf *err)
{
	memcached_server_st *servers = memcached_servers_parse(c->conf->memcached_servers);
	memcached_st *all = memcached_create(NULL);
	struct buf name = BUF_INIT;
	uint32_t i, j;
	int rc = -1;

	if (all == NULL)
		abort();
	if (servers == NULL || memcached_server_list_count(servers) == 0) {
		buf_printf(err, "[memcached] servers: cannot parse \"%.128s\"", c->conf->memcached_servers);
		goto out;
	}
	if (memcached_server_push(all, servers) != MEMCACHED_SUCCESS) {
		buf_printf(err, "[memcached] servers: cannot use \"%.128s\"", c->conf->memcached_servers);
		goto out;
	}
	c->n = memcached_server_count(all);
	c->nodes = xcalloc(c->n, sizeof *c->nodes);
	for (i = 0; i < c->n; i++)
		c->nodes[i].pipe_fd = -1;
	c->ring_node = xcalloc(c->n, sizeof *c->ring_node);
	for (i = 0; i < c->n; i++) {
		const memcached_instance_st *s = memcached_server_instance_by_position(all, i);
		struct node *nd = &c->nodes[i];

		nd->host = xstrdup(memcached_server_name(s));
		nd->port = memcached_server_port(s);
		buf_reset(&name);
		buf_printf(&name, "%s:%u", nd->host, (unsigned)nd->port);
		nd->name = xstrdup(buf_cstr(&name));
		/* A node listed twice would get twice the keys and fail twice. */
		for (j = 0; j < i; j++) {
			if (strcmp(c->nodes[j].name, nd->name) == 0) {
				buf_printf(err, "[memcached] servers: %s is listed twice", nd->name);
				goto out;
			}
		}
	}
	rc = 0;
out:
	memcached_server_list_free(servers);
	memcached_free(all);
	buf_free(&name);
	return rc;
}

struct cache *
cache_new(const struct conf *conf, struct buf *err)
{
	struct cache *c = xcalloc(1, sizeof *c);
	size_t i;

	c->conf = conf;
	c->seed = (unsigned int)time(NULL) ^ (unsigned int)getpid();
	if (nodes_parse(c, err) != 0 || ring_build(c, err) != 0)
		goto fail;
	c->brk = breaker_map_open(conf);
	for (i = 0; i < c->n; i++) {
		struct buf name = BUF_INIT;

		c->nodes[i].mc = node_client(conf, c->nodes[i].host, c->nodes[i].port);
		buf_printf(&name, "memcached %s", c->nodes[i].name);
		c->nodes[i].slot = breaker_slot(c->brk, buf_cstr(&name));
		buf_free(&name);
	}
	return c;
fail:
	cache_free(c);
	return NULL;
}

/* "stats" is a fresh round trip (memcached_version is not: libmemcached keeps a version once it
 * has one). */
static memcached_return_t
req_stat(struct cache *c, struct node *nd, void *arg)
{
	memcached_return_t rc;
	memcached_stat_st *stats = memcached_stat(nd->mc, NULL, &rc);

	(void)c;
	(void)arg;
	memcached_stat_free(nd->mc, stats);
	return rc;
}

int
cache_ping(struct cache *c, struct buf *err)
{
	size_t i;
	int rc = 0;

	probe_due(c);
	for (i = 0; i < c->n; i++) {
		struct node *nd = &c->nodes[i];

		if (!nd->out) {
			memcached_return_t mrc = on_node(c, nd, req_stat, NULL);

			if (mrc == MEMCACHED_SUCCESS)
				continue;
			/* A node that fails its health check is not trusted with keys either. */
			node_fail(c, nd, mrc);
		}
		log_error("memcached %s: out of the ring: %s", nd->name, node_why(nd, MEMCACHED_FAILURE));
		buf_printf(err, "%s%s: %s", err->len ? "; " : "", nd->name,
		    node_why(nd, MEMCACHED_FAILURE));
		rc = -1;
	}
	return rc;
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

/* Builds the prefixed key and finds its node, after probing the nodes that are due. NULL for a
 * refused key (logged) or when every node is out (logged when each one failed). */
static struct node *
locate(struct cache *c, const char *key)
{
	if (make_key(c, key) != 0)
		return NULL;
	probe_due(c);
	return owner(c, c->key.data, c->key.len);
}

static time_t
jittered(struct cache *c, unsigned ttl)
{
	unsigned spread = ttl / 10;

	return (time_t)(ttl + (spread ? (unsigned)rand_r(&c->seed) % (spread + 1) : 0));
}

/* Request what (about subject, a key, or NULL) to node nd failed with rc, as on_node returned
 * it: logs it, and takes the node out of the ring if it did not answer. Returns -1. */
static int
failed(struct cache *c, struct node *nd, const char *what, const char *subject,
    memcached_return_t rc)
{
	log_warn("cache: %s%s%s on %s: %s", what, subject ? " " : "", subject ? subject : "",
	    nd->name, answered(rc) ? memcached_strerror(nd->mc, rc) : node_why(nd, rc));
	if (!answered(rc))
		node_fail(c, nd, rc);
	return -1;
}

/* ------------------------------------------------------------------------------------------ */
/* The request's memo (cache.h: cache_memo_begin; lib/memo.h). Keyed by the prefixed key. */

/* Records that the prefixed key holds the n stored bytes raw (n 0: nothing). */
static void
memo_record(struct cache *c, const char *full, const void *raw, size_t n)
{
	if (c->memo_on)
		memo_put(c->memo, full, raw, n);
}

/* The same for a value about to be stored: its tag, then its bytes. */
static void
memo_record_tagged(struct cache *c, const char *full, char tag, const void *value, size_t n)
{
	struct buf raw = BUF_INIT;

	if (!c->memo_on)
		return;
	buf_putc(&raw, tag);
	buf_append(&raw, value, n);
	memo_put(c->memo, full, raw.data, raw.len);
	buf_free(&raw);
}

static void
memo_forget(struct cache *c, const char *full)
{
	if (c->memo_on)
		memo_drop(c->memo, full);
}

/* What the memo knows of the prefixed key in c->key: 1 with its stored bytes appended to raw,
 * 0 when it holds nothing, -1 when it is not known (or no memo is in use). */
static int
memo_lookup(struct cache *c, struct buf *raw)
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
static int
fetch(struct cache *c, struct node *nd, struct buf *raw, uint64_t *cas)
{
	struct fetch_req f = { raw, cas, false };
	memcached_return_t rc = on_node(c, nd, req_fetch, &f);

	if (rc != MEMCACHED_END && rc != MEMCACHED_SUCCESS && rc != MEMCACHED_NOTFOUND)
		return failed(c, nd, "get", buf_cstr(&c->key), rc);
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
static memcached_return_t
store(struct cache *c, struct node *nd, char tag, const void *value, size_t n, unsigned ttl,
    bool add, uint64_t cas)
{
	struct store_req s = { jittered(c, ttl), add, cas };

	/* Whatever the node makes of it, the memo's copy is no longer known to be right. */
	memo_forget(c, buf_cstr(&c->key));
	buf_reset(&c->val);
	buf_putc(&c->val, tag);
	buf_append(&c->val, value, n);
	return on_node(c, nd, req_store, &s);
}

/* ------------------------------------------------------------------------------------------ */
/* Plain operations */

int
cache_get(struct cache *c, const char *key, struct buf *out)
{
	struct buf raw = BUF_INIT;
	struct node *nd = locate(c, key);
	uint64_t cas;
	int rc;

	if (nd == NULL)
		return -1;
	if ((rc = memo_lookup(c, &raw)) < 0)
		rc = fetch(c, nd, &raw, &cas);
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
	nd = locate(c, key);
	if (nd == NULL)
		return -1;
	rc = store(c, nd, TAG_VALUE, value, n, ttl, false, 0);
	if (rc != MEMCACHED_SUCCESS)
		return failed(c, nd, "set", buf_cstr(&c->key), rc);
	memo_record_tagged(c, buf_cstr(&c->key), TAG_VALUE, value, n);
	return 1;
}

static memcached_return_t
req_delete(struct cache *c, struct node *nd, void *arg)
{
	(void)arg;
	return memcached_delete(nd->mc, c->key.data, c->key.len, 0);
}

int
cache_delete(struct cache *c, const char *key)
{
	size_t i;
	int rc = 1;

	if (make_key(c, key) != 0)
		return -1;
	memo_forget(c, buf_cstr(&c->key));
	probe_due(c);
	/* Every node, not only the key's (see cache.h). */
	for (i = 0; i < c->n; i++) {
		struct node *nd = &c->nodes[i];
		memcached_return_t mrc;

		if (nd->quiet)
			continue;
		mrc = on_node(c, nd, req_delete, NULL);
		if (mrc == MEMCACHED_SUCCESS || mrc == MEMCACHED_NOTFOUND)
			continue;
		if (nd->out) {
			/* It is flushed before it is used again: just stop sending to it. */
			if (!answered(mrc))
				nd->quiet = true;
			continue;
		}
		rc = failed(c, nd, "delete", buf_cstr(&c->key), mrc);
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

/* Both halves, for a node asked again on a fresh connection (on_node). */
static memcached_return_t
req_mget(struct cache *c, struct node *nd, void *arg)
{
	memcached_return_t rc = mget_send(c, nd, arg);

	return rc == MEMCACHED_SUCCESS ? mget_collect(c, nd, arg) : rc;
}

/* The answers of node nd to the multi-get sent (sent) or not (a failed send): read, or asked
 * again as on_node would (a broken old connection gets one more try, a timeout does not). */
static void
mget_node(struct cache *c, struct node *nd, struct mget_req *m, bool sent)
{
	memcached_return_t rc = MEMCACHED_CONNECTION_FAILURE;
	size_t i;

	if (sent)
		rc = node_error(nd, mget_collect(c, nd, m));
	if (sent && !answered(rc))
		describe(nd, rc);
	if (!answered(rc) && rc != MEMCACHED_TIMEOUT &&
	    rc != MEMCACHED_SERVER_TEMPORARILY_DISABLED) {
		rc = try_node(c, nd, req_mget, m);
		if (!answered(rc))
			describe(nd, rc);
	}
	if (rc != MEMCACHED_END && rc != MEMCACHED_SUCCESS && rc != MEMCACHED_NOTFOUND) {
		failed(c, nd, "multi-get", NULL, rc);
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
		if (make_key(c, keys[i]) != 0) {
			m.hits = -1;
			goto out;
		}
		offs[i] = all.len;
		lens[i] = c->key.len;
		buf_append(&all, c->key.data, c->key.len + 1);
	}
	if (n == 0)
		goto out;
	probe_due(c);
	for (i = 0; i < n; i++) {
		full[i] = all.data + offs[i];
		owners[i] = owner(c, full[i], lens[i]);
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
			sent[j] = try_node(c, &c->nodes[j], mget_send, &m) == MEMCACHED_SUCCESS;
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
	int rc = use_memo ? memo_lookup(c, &raw) : -1;

	if (rc < 0)
		rc = nd->out ? -1 : fetch(c, nd, &raw, cas);
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
	memcached_return_t mrc = store(c, nd, TAG_LEASE, "", 0, LEASE_TTL, true, 0);
	int rc;

	if (mrc == MEMCACHED_NOTSTORED || mrc == MEMCACHED_DATA_EXISTS)
		return wait_for_fill(c, nd, out);
	if (mrc != MEMCACHED_SUCCESS) {
		failed(c, nd, "lease", buf_cstr(&c->key), mrc);
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
	struct node *nd = locate(c, key);
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
		memo_forget(c, buf_cstr(&c->key));
		mrc = on_node(c, nd, req_delete, NULL);
		if (mrc != MEMCACHED_SUCCESS && mrc != MEMCACHED_NOTFOUND)
			failed(c, nd, "delete", buf_cstr(&c->key), mrc);
	} else if (found >= 0 && rc == 4 && !nd->out) {
		mrc = found ? store(c, nd, TAG_VALUE, value.data, value.len, ttl, false, cas) :
		    store(c, nd, TAG_MISSING, "", 0, ttl < CACHE_NEGATIVE_TTL ? ttl : CACHE_NEGATIVE_TTL,
		    false, cas);
		if (mrc != MEMCACHED_SUCCESS && mrc != MEMCACHED_DATA_EXISTS && mrc != MEMCACHED_NOTFOUND)
			failed(c, nd, "fill", buf_cstr(&c->key), mrc);
	}
	/* The request asks the database once per key, whatever the cache did with the value. */
	if (found == 0 || found == 1)
		memo_record_tagged(c, buf_cstr(&c->key), found ? TAG_VALUE : TAG_MISSING,
		    value.data ? value.data : "", found ? value.len : 0);
	if (found == 1 || found == CACHE_LOAD_PARTIAL)
		buf_append(out, value.data ? value.data : "", value.len);
	buf_free(&value);
	buf_free(&key_here);
	return found;
}

/* ------------------------------------------------------------------------------------------ */
/* Appending to lists: a pipeline of its own */

/*
 * libmemcached waits for each append's answer before it sends the next one, so n appends cost n
 * round trips. Its "noreply" mode gives the answers up (and memcached still sends some errors
 * then, which libmemcached would read as the answer to a later request on that connection); its
 * buffered mode applies to sets only. cache_append_many needs every answer, so it speaks
 * memcached's text protocol itself, on a connection of its own to each node: all of a node's
 * requests are written at once and the answers read as they arrive, one line each, in order
 * (memcached answers the requests of a connection in the order it read them). Writing and
 * reading overlap (poll), so a batch larger than the socket buffers cannot deadlock against a
 * node waiting for us to read.
 *
 * memcached answers NOT_STORED both to an append to a missing key and to one that would make
 * the value larger than its item size; the first means "not cached, fine", the second that the
 * list now lacks the entry and must be dropped. So each append is preceded by a meta-get of the
 * key's client flags ("mg <key> f": "HD f<flags>" when the key exists, EN when not; memcached
 * 1.6 and later) in the same batch: NOT_STORED after HD is a refusal, and an append to a lease's
 * placeholder (FLAG_LEASE: the list is being built) is answered -1 too, so that the caller drops
 * the key instead of leaving a placeholder with bytes behind it that no fill can replace. A key deleted between the two gets -1 (dropped once
 * more: harmless); a key made between them was built from the database after the write that the
 * append carries, so it misses nothing.
 */

/* How much is read at a time; an answer is a short line. */
#define PIPE_READ 16384

/* Records why nd's pipelined connection failed, for the log and cache_ping. */
static void
pipe_why(struct node *nd, const char *what, int e)
{
	buf_reset(&nd->why);
	buf_printf(&nd->why, "%s%s%s", what, e ? ": " : "", e ? strerror(e) : "");
}

/* Waits until fd is ready for events, at most ms. Returns >0 ready, 0 timed out, -1 (errno). */
static int
pipe_wait(int fd, short events, long ms, short *revents)
{
	struct pollfd p = { fd, events, 0 };
	int r;

	do
		r = poll(&p, 1, (int)ms);
	while (r < 0 && errno == EINTR);
	*revents = p.revents;
	return r;
}

/* Connects to nd with the connect timeout of cache.h. Returns 0 (nd->pipe_fd open), or -1 with
 * why in nd->why. */
static int
pipe_connect(struct cache *c, struct node *nd)
{
	struct addrinfo hints, *res = NULL, *ai;
	char port[8];
	int fd = -1, e = 0, one = 1, gai;
	socklen_t elen = sizeof e;
	short rev;

	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(port, sizeof port, "%u", (unsigned)nd->port);
	if ((gai = getaddrinfo(nd->host, port, &hints, &res)) != 0) {
		buf_reset(&nd->why);
		buf_printf(&nd->why, "cannot resolve: %s", gai_strerror(gai));
		return -1;
	}
	for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd < 0) {
			e = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		e = errno;
		if (e == EINPROGRESS) {
			int r = pipe_wait(fd, POLLOUT, c->conf->memcached_timeout_ms, &rev);

			e = r == 0 ? ETIMEDOUT : r < 0 ? errno : 0;
			if (e == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) != 0)
				e = errno;
			if (e == 0)
				break;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		pipe_why(nd, "connect", e);
		return -1;
	}
	/* Small requests and answers: no waiting for a full segment. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	nd->pipe_fd = fd;
	return 0;
}

/* Sends req on nd's pipelined connection and reads until in holds `want` answer lines, or the
 * node fails. Returns how many complete lines in holds (`want` when all came); on a failure, why
 * is in nd->why, the connection is closed (answers may still be in flight on it), and
 * *timed_out says whether the node stopped answering rather than refused or broke. */
static size_t
pipe_exchange(struct cache *c, struct node *nd, const struct buf *req, size_t want,
    struct buf *in, bool *timed_out)
{
	size_t sent = 0, lines = 0, scanned = 0;
	ssize_t k;
	short rev;
	int r;

	*timed_out = false;
	c->round_trips++;
	while (lines < want) {
		r = pipe_wait(nd->pipe_fd, (short)(POLLIN | (sent < req->len ? POLLOUT : 0)),
		    c->conf->memcached_timeout_ms, &rev);
		if (r <= 0) {
			*timed_out = r == 0;
			pipe_why(nd, "append pipeline", r == 0 ? ETIMEDOUT : errno);
			goto failed;
		}
		if ((rev & POLLOUT) && sent < req->len) {
			k = send(nd->pipe_fd, req->data + sent, req->len - sent, MSG_NOSIGNAL);
			if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
				pipe_why(nd, "append pipeline: send", errno);
				goto failed;
			}
			sent += k > 0 ? (size_t)k : 0;
		}
		if (rev & (POLLIN | POLLHUP | POLLERR)) {
			buf_grow(in, PIPE_READ);
			k = recv(nd->pipe_fd, in->data + in->len, PIPE_READ, 0);
			if (k == 0 || (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)) {
				pipe_why(nd, k == 0 ? "append pipeline: closed by the node" :
				    "append pipeline: recv", k == 0 ? 0 : errno);
				goto failed;
			}
			in->len += k > 0 ? (size_t)k : 0;
			in->data[in->len] = '\0';
			for (; scanned + 1 < in->len; scanned++)
				if (in->data[scanned] == '\r' && in->data[scanned + 1] == '\n')
					lines++;
		}
	}
	return lines;
failed:
	pipe_close(nd);
	return lines < want ? lines : want;
}

/* The appends of one node: the prefixed keys full[idx[0..k)] (lengths lens[]), value n bytes;
 * each answer goes to res[idx[i]], and the hit count to *appended. */
struct append_batch {
	const char *const *full;
	const size_t      *lens;
	const void        *value;
	size_t             n;
	int               *res;
	int                appended;
};

/* Writes the requests of keys idx[0..k) into req. */
static void
append_requests(const struct append_batch *b, const size_t *idx, size_t k, struct buf *req)
{
	size_t i;

	buf_reset(req);
	for (i = 0; i < k; i++) {
		buf_puts(req, "mg ");
		buf_append(req, b->full[idx[i]], b->lens[idx[i]]);
		/* " f": its client flags, which mark a lease's placeholder. "append <key> <flags>
		 * <exptime> <bytes>": flags and exptime are ignored by append (the value keeps its
		 * own); the data block follows. */
		buf_puts(req, " f\r\nappend ");
		buf_append(req, b->full[idx[i]], b->lens[idx[i]]);
		buf_printf(req, " 0 0 %zu\r\n", b->n);
		buf_append(req, b->value, b->n);
		buf_puts(req, "\r\n");
	}
}

/* The next answer line of in at *p: its length, *p moved past it. pipe_exchange counted the
 * "\r\n" of every line handed here, and in ends with a NUL. */
static size_t
answer_line(const char **p, const char **line)
{
	const char *end = *p;

	while (end[0] != '\r' || end[1] != '\n')
		end++;
	*line = *p;
	*p = end + 2;
	return (size_t)(end - *line);
}

static bool
answer_is(const char *line, size_t len, const char *want)
{
	return len == strlen(want) && memcmp(line, want, len) == 0;
}

/* Reads the answers of keys idx[0..got) (two lines each: the meta-get's and the append's) from
 * in into b->res. A refused append (too large, or a server error) is logged; the node answered,
 * so it stays in. */
static void
append_answers(struct node *nd, struct append_batch *b, const size_t *idx, size_t got,
    const struct buf *in)
{
	const char *p = in->data, *mg, *ap;
	size_t i, mlen, alen;

	for (i = 0; i < got; i++) {
		mlen = answer_line(&p, &mg);
		alen = answer_line(&p, &ap);
		/* A list being built: the append landed on the builder's placeholder, whose fill then
		 * fails, leaving the placeholder for readers to wait on. Dropped instead (-1): the
		 * builder's fill fails cleanly and the next reader builds it, with this entry. */
		if (answer_is(mg, mlen, "HD f1")) {
			b->res[idx[i]] = -1;
			continue;
		}
		if (answer_is(ap, alen, "STORED")) {
			b->res[idx[i]] = 1;
			b->appended++;
			continue;
		}
		if (answer_is(ap, alen, "NOT_STORED") && answer_is(mg, mlen, "EN")) {
			b->res[idx[i]] = 0;
			continue;
		}
		b->res[idx[i]] = -1;
		log_warn("cache: append %.*s on %s refused: %.*s%s", (int)b->lens[idx[i]],
		    b->full[idx[i]], nd->name, (int)(alen < 200 ? alen : 200), ap,
		    answer_is(mg, mlen, "HD f0") ? " (the value would be too large)" : "");
		/* Anything but these means the two ends may no longer agree on where an answer
		 * starts: the next batch starts on a new connection. */
		if (!answer_is(ap, alen, "NOT_STORED") && !answer_is(ap, alen, "ERROR") &&
		    (alen < 12 || memcmp(ap, "SERVER_ERROR", 12) != 0))
			pipe_close(nd);
	}
}

/* Appends b->value to keys idx[0..k) on node nd, one round trip when it answers. A connection
 * this process had open may be stale (the node restarted since): when it breaks, the keys not
 * answered yet are tried once more on a fresh one, as on_node does (not after a timeout or a
 * failed connect). What a broken connection did not answer may have been applied all the same;
 * sent again, it is appended twice, which readers of such lists must accept (cache.h). A node
 * that still fails is taken out of the ring (logged) and its keys get -1. */
static void
append_node(struct cache *c, struct node *nd, struct append_batch *b, size_t *idx, size_t k)
{
	struct buf req = BUF_INIT, in = BUF_INIT;
	size_t got, i;
	bool timed_out = false, fresh = false;

	while (k > 0) {
		if (nd->pipe_fd < 0) {
			if (pipe_connect(c, nd) != 0)
				break;
			fresh = true;
		}
		append_requests(b, idx, k, &req);
		buf_reset(&in);
		got = pipe_exchange(c, nd, &req, 2 * k, &in, &timed_out) / 2;
		append_answers(nd, b, idx, got, &in);
		idx += got;
		k -= got;
		if (k == 0 || timed_out || fresh)
			break;
	}
	if (k > 0) {
		for (i = 0; i < k; i++)
			b->res[idx[i]] = -1;
		failed(c, nd, "multi-append", NULL, MEMCACHED_CONNECTION_FAILURE);
	}
	buf_free(&req);
	buf_free(&in);
}

int
cache_append_many(struct cache *c, const char *const *keys, size_t nkeys, const void *value,
    size_t n, int *res)
{
	size_t m = nkeys ? nkeys : 1, i, j, k;
	const char **full = xcalloc(m, sizeof *full);
	size_t *lens = xcalloc(m, sizeof *lens), *offs = xcalloc(m, sizeof *offs);
	size_t *idx = xcalloc(m, sizeof *idx);
	struct node **owners = xcalloc(m, sizeof *owners);
	struct append_batch b = { full, lens, value, n, res, 0 };
	struct buf all = BUF_INIT;

	for (i = 0; i < nkeys; i++)
		res[i] = -1;
	if (n > CACHE_VALUE_MAX) {
		log_error("cache: refusing to append %zu bytes to %zu keys", n, nkeys);
		b.appended = -1;
		goto out;
	}
	/* All prefixed keys in one buffer; offsets, not pointers, because it grows. */
	for (i = 0; i < nkeys; i++) {
		if (make_key(c, keys[i]) != 0) {
			b.appended = -1;
			goto out;
		}
		offs[i] = all.len;
		lens[i] = c->key.len;
		buf_append(&all, c->key.data, c->key.len + 1);
		memo_forget(c, buf_cstr(&c->key));
	}
	if (nkeys == 0)
		goto out;
	probe_due(c);
	for (i = 0; i < nkeys; i++) {
		full[i] = all.data + offs[i];
		owners[i] = owner(c, full[i], lens[i]);
	}
	/* Node by node, each key once; a key of no node (every node out) stays -1. */
	for (j = 0; j < c->n; j++) {
		for (i = k = 0; i < nkeys; i++)
			if (owners[i] == &c->nodes[j])
				idx[k++] = i;
		if (k > 0)
			append_node(c, &c->nodes[j], &b, idx, k);
	}
out:
	free(full);
	free(lens);
	free(offs);
	free(idx);
	free(owners);
	buf_free(&all);
	return b.appended;
}

int
cache_append(struct cache *c, const char *key, const void *value, size_t n)
{
	int res;

	/* A batch of one: the same answers, and the same "too large" check. */
	return cache_append_many(c, &key, 1, value, n, &res) < 0 ? -1 : res;
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
	struct node *nd = locate(c, key);
	memcached_return_t rc;

	*value = 0;
	if (nd == NULL)
		return -1;
	rc = on_node(c, nd, req_incr, &r);
	if (rc != MEMCACHED_SUCCESS)
		return failed(c, nd, "incr", buf_cstr(&c->key), rc);
	return 1;
}

int
cache_counter(struct cache *c, const char *key, uint64_t *value)
{
	struct buf raw = BUF_INIT;
	struct node *nd = locate(c, key);
	uint64_t cas;
	int rc;

	*value = 0;
	if (nd == NULL)
		return -1;
	rc = fetch(c, nd, &raw, &cas);
	if (rc == 1)
		*value = counter_value(raw.data, raw.len);
	buf_free(&raw);
	return rc;
}

void
cache_free(struct cache *c)
{
	size_t i;

	if (c == NULL)
		return;
	memo_free(c->memo);
	for (i = 0; i < c->n; i++) {
		if (c->nodes[i].mc != NULL)
			memcached_free(c->nodes[i].mc);
		pipe_close(&c->nodes[i]);
		free(c->nodes[i].host);
		free(c->nodes[i].name);
		buf_free(&c->nodes[i].why);
	}
	free(c->nodes);
	free(c->ring_node);
	breaker_map_free(c->brk);
	if (c->ring != NULL)
		memcached_free(c->ring);
	buf_free(&c->key);
	buf_free(&c->val);
	free(c);
}

void
cache_key_counts(const struct cache *c, uint64_t *asked, uint64_t *found)
{
	*asked = c == NULL ? 0 : c->keys_asked;
	*found = c == NULL ? 0 : c->keys_found;
}

uint64_t
cache_round_trips(const struct cache *c)
{
	return c == NULL ? 0 : c->round_trips;
}
