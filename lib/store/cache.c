/* cache.c: the memcached pool (libmemcached): keys placed on a ketama ring of the nodes that are
 * in, one connection per node, failed nodes taken out and brought back emptied (see cache.h).
 * The operations are in cache_op.c, cache_aside.c and cache_append.c; cache_int.h is what they
 * share. */
#include "config.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmemcached/memcached.h>

#include "breaker.h"
#include "cache.h"
#include "cache_int.h"
#include "clock.h"
#include "log.h"
#include "memo.h"
#include "xalloc.h"

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
struct node *
cache_owner(struct cache *c, const char *key, size_t n)
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
bool
cache_answered(memcached_return_t rc)
{
	return !memcached_fatal(rc);
}

/* The node's own error for a request that returned rc: libmemcached sums up a call that can span
 * several servers (flush, stat) as "some errors", and keeps the server's own as the last one. */
memcached_return_t
cache_node_error(struct node *nd, memcached_return_t rc)
{
	memcached_return_t last = memcached_last_error(nd->mc);

	return !cache_answered(rc) && !cache_answered(last) ? last : rc;
}

/* Records what went wrong with node nd's last request (rc, and the system's reason if any). */
void
cache_describe(struct node *nd, memcached_return_t rc)
{
	int e = memcached_last_error_errno(nd->mc);

	/* libmemcached reports a connect that failed after a failed one as "temporarily disabled",
	 * although it did try (see cache_try_node): the reason recorded then says more. */
	if (rc == MEMCACHED_SERVER_TEMPORARILY_DISABLED && nd->why.len > 0)
		return;
	buf_reset(&nd->why);
	buf_puts(&nd->why, memcached_strerror(nd->mc, rc));
	if (e != 0)
		buf_printf(&nd->why, " (%s)", strerror(e));
}

/* What went wrong with node nd: the last failure cache_on_node saw, or rc if it saw none. */
const char *
cache_node_why(struct node *nd, memcached_return_t rc)
{
	if (nd->why.len == 0)
		buf_puts(&nd->why, memcached_strerror(nd->mc, rc));
	return buf_cstr(&nd->why);
}

/* Closes nd's pipelined connection (cache_append_many), if open. */
void
cache_pipe_close(struct node *nd)
{
	if (nd->pipe_fd >= 0)
		close(nd->pipe_fd);
	nd->pipe_fd = -1;
}

/* Node nd failed with rc: if it is in the ring, out until its probe, dead_timeout from now. */
void
cache_node_fail(struct cache *c, struct node *nd, memcached_return_t rc)
{
	if (nd->out)
		return;
	nd->out = true;
	nd->quiet = false;   /* deletes still try it: one slow answer is not a dead node */
	cache_pipe_close(nd);      /* answers still in flight on it must never be read as new ones */
	nd->probe_at = (long long)clock_mono_ms() + c->conf->memcached_dead_timeout * 1000;
	c->nout++;
	ring_rebuild(c);
	breaker_open_for(c->brk, nd->slot, (uint64_t)c->conf->memcached_dead_timeout * 1000);
	log_warn("memcached %s: out of the ring for %ld s: %s", nd->name,
	    c->conf->memcached_dead_timeout, cache_node_why(nd, rc));
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
			cache_pipe_close(nd);
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

/* Runs req on node nd once, and returns the node's own result. libmemcached pauses a server
 * for a while after a failed connect (MEMCACHED_BEHAVIOR_RETRY_TIMEOUT, to whole seconds) and
 * then declines requests to it without trying; cache.c paces its requests to a failed node
 * itself (dead_timeout, quiet), so the pause is lifted: a request sent is a request tried. */
memcached_return_t
cache_try_node(struct cache *c, struct node *nd, node_request req, void *arg)
{
	memcached_instance_next_retry(memcached_server_instance_by_position(nd->mc, 0), 0);
	c->round_trips++;
	return cache_node_error(nd, req(c, nd, arg));
}

/* Runs req on node nd; records why it failed in nd->why. A node restarted since this process
 * last used it fails the first request on the old connection at once (and libmemcached drops
 * that connection), so a failure is tried once more, on a fresh connection, before it counts:
 * a quick restart must not cost every process dead_timeout of misses. Not tried again: a
 * timeout (it would double the wait) and a failed connect (no old connection was to blame).
 * Every request here can be repeated (get, set, delete, flush, stats; add and cas fail safe:
 * the process then waits for a fill or does not fill). */
memcached_return_t
cache_on_node(struct cache *c, struct node *nd, node_request req, void *arg)
{
	memcached_return_t rc = cache_try_node(c, nd, req, arg);

	if (cache_answered(rc))
		return rc;
	cache_describe(nd, rc);
	if (rc == MEMCACHED_TIMEOUT || rc == MEMCACHED_SERVER_TEMPORARILY_DISABLED)
		return rc;
	rc = cache_try_node(c, nd, req, arg);
	if (!cache_answered(rc))
		cache_describe(nd, rc);
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
void
cache_probe_due(struct cache *c)
{
	long long now = (long long)clock_mono_ms();
	size_t i;
	bool back = follow_host(c, now);

	for (i = 0; c->nout > 0 && i < c->n; i++) {
		struct node *nd = &c->nodes[i];
		memcached_return_t rc;

		if (!nd->out || now < nd->probe_at)
			continue;
		rc = cache_on_node(c, nd, req_flush, NULL);
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
		    c->conf->memcached_dead_timeout, cache_node_why(nd, rc));
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

	cache_probe_due(c);
	for (i = 0; i < c->n; i++) {
		struct node *nd = &c->nodes[i];

		if (!nd->out) {
			memcached_return_t mrc = cache_on_node(c, nd, req_stat, NULL);

			if (mrc == MEMCACHED_SUCCESS)
				continue;
			/* A node that fails its health check is not trusted with keys either. */
			cache_node_fail(c, nd, mrc);
		}
		log_error("memcached %s: out of the ring: %s", nd->name, cache_node_why(nd, MEMCACHED_FAILURE));
		buf_printf(err, "%s%s: %s", err->len ? "; " : "", nd->name,
		    cache_node_why(nd, MEMCACHED_FAILURE));
		rc = -1;
	}
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
		cache_pipe_close(&c->nodes[i]);
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
