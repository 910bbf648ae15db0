/* metrics.h: counters of what a host's FastCGI processes did, in the Prometheus text format.
 *
 * Every process of every binary adds to one small file mapped shared ([metrics] state_file, on a
 * tmpfs such as /run/starling: lib/base/shmfile.h), so that /metrics answers for the host, not for
 * the one process that happens to serve the scrape; a counter only grows (until the file is
 * removed, at a reboot), which is what Prometheus's rate() expects of a counter. Without a file
 * (empty, or it cannot be used: logged) a process counts for itself alone.
 *
 * Counted per binary (starling-site, -account, -post, -feed, -upload): requests by status, their
 * time inside the process as a histogram, the memcached and MariaDB round trips they made, the
 * memcached keys they asked for and found, and the requests refused by load shedding; per
 * MariaDB instance, the errors and timeouts met. The counts are kept at fixed places (a table of binaries, of statuses, of buckets), so adding to
 * them is one atomic add each and no lock. */
#ifndef STARLING_METRICS_H
#define STARLING_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "conf.h"

struct metrics;

/* What one request did, for metrics_request. */
struct metrics_request {
	int      status;
	double   ms;            /* inside the process, as the access log line */
	uint64_t mc, db;        /* round trips to memcached and MariaDB */
	uint64_t keys, hits;    /* memcached keys asked for, and found */
	bool     shed;          /* refused by load shedding (lib/http/shed.h) */
};

/* Maps conf's [metrics] state_file, or private memory when none is set or it cannot be used
 * (logged). binary is the program's name ("starling-post"); a name not in the table counts as
 * "other". Never NULL; free with metrics_free. conf is borrowed. */
struct metrics *metrics_open(const struct conf *conf, const char *binary);
void metrics_free(struct metrics *m);

/* Adds one request of this process's binary. */
void metrics_request(struct metrics *m, const struct metrics_request *r);

/* The MariaDB instances whose failures are counted (by their index in [mysql] instances, the
 * same in every process of a host); those beyond are left out. */
#define METRICS_INSTANCES 64

/* Adds what this process found of instance i since its last call: errors and timeouts are its
 * running totals (db_instance_failures), of which only the growth is added to the host's. */
void metrics_instance(struct metrics *m, size_t i, uint64_t errors, uint64_t timeouts);

/* Appends every counter of the host (of this process alone without a shared file) to out, in
 * the Prometheus text exposition format 0.0.4, with HELP and TYPE lines. */
void metrics_render(const struct metrics *m, struct buf *out);

/* Whether addr (a REMOTE_ADDR, IPv4 or IPv6 text) is one of conf's [metrics] allow list: only
 * those may read /metrics. An IPv4-mapped IPv6 address matches its IPv4 form. */
bool metrics_allowed(const struct conf *conf, const char *addr);

#endif
