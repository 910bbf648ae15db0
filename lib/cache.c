/* cache.c: the memcached pool (libmemcached). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <libmemcached/memcached.h>

#include "cache.h"
#include "log.h"
#include "xalloc.h"

struct cache {
	const struct conf *conf;
	memcached_st      *mc;
};

struct cache *
cache_new(const struct conf *conf, struct buf *err)
{
	struct cache *c = xcalloc(1, sizeof *c);
	memcached_server_st *servers;
	memcached_return_t rc;
	uint64_t ms = (uint64_t)conf->memcached_timeout_ms;

	c->conf = conf;
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

void
cache_free(struct cache *c)
{
	if (c == NULL)
		return;
	if (c->mc != NULL)
		memcached_free(c->mc);
	free(c);
}
