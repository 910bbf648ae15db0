/* breaker.h: circuit breakers for the backends (MariaDB instances, memcached nodes), shared by
 * every process of the host.
 *
 * A hung instance does not refuse connections: it accepts them and never answers, so every
 * process that sends it a statement waits out its read timeout, and a process that waits serves
 * nobody else. A breaker per backend bounds that cost to the first few failures:
 *   - closed: requests go through. Each failure (a connect that failed, a lost connection, a
 *     timeout: never an SQL error) adds one to a count that a success resets; at
 *     [breaker] failures in a row the breaker opens.
 *   - open: every request for the backend fails at once, without trying, for open_seconds.
 *   - half-open: after that, one request of the host (the first to ask) is let through as the
 *     probe, the others still fail at once. If it succeeds the breaker closes; if it fails, the
 *     breaker opens again for twice as long, up to max_open_seconds.
 * The state lives in a small file mapped shared ([breaker] state_file, on a tmpfs such as
 * /run/starling), so that one process's discovery spares every other process, binary and plain
 * CGI request of the host; not in memcached, which may be what failed. Without a file (empty,
 * or it cannot be opened: logged), each process keeps its own state, which still spares the
 * process's later requests.
 *
 * Slots are found by the backend's name ("mysql 127.0.0.1:3306"); every field of the shared file
 * is read and written with atomic operations, so no lock is ever held by a process that may die.
 * The file holds BREAKER_SLOTS backends; a backend that finds no free slot is never broken
 * (logged once). Times are wall-clock milliseconds, comparable between processes. */
#ifndef STARLING_BREAKER_H
#define STARLING_BREAKER_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"

#define BREAKER_SLOTS 128

struct breaker_map;

enum breaker_state {
	BREAKER_CLOSED,
	BREAKER_OPEN,        /* failing fast */
	BREAKER_HALF_OPEN,   /* open time over: the next request (or the one in flight) probes */
};

/* Maps conf's state file (creating it, mode 0600, when missing), or private memory when the file
 * is not set or cannot be used (logged). Never NULL. conf is borrowed and must outlive the map;
 * breaker_map_free unmaps. Several maps of one file in one process (the db and the cache each
 * have one) see the same state. */
struct breaker_map *breaker_map_open(const struct conf *conf);
void breaker_map_free(struct breaker_map *m);

/* The slot of backend name (at most 47 bytes are kept: longer names that share those bytes
 * share a slot), claimed when new. -1 when the file is full: such a backend always passes. */
int breaker_slot(struct breaker_map *m, const char *name);

/* Whether a request may go to the backend of slot now: true when closed, or when this call is
 * the probe of a half-open breaker (then *probe, when probe is not NULL: the caller should try
 * the backend cheaply first, so that a backend still hung costs the probe little); false while
 * it fails fast. */
bool breaker_allow(struct breaker_map *m, int slot, bool *probe);

/* The request to the backend answered: a failure count goes back to 0, an open breaker closes
 * (logged). Cheap when nothing changes: one read of the shared slot. */
void breaker_ok(struct breaker_map *m, int slot);

/* The backend failed (why: for the log line when this opens the breaker). */
void breaker_fail(struct breaker_map *m, int slot, const char *why);

/* Opens the breaker of slot at once for ms (or longer, if it is open longer already), whatever
 * its count: for a backend whose client keeps its own pace (memcached nodes, lib/store/cache.c: out
 * on the first failure, for dead_timeout), so that the other processes of the host see it out too.
 * Logs nothing: the caller says why. */
void breaker_open_for(struct breaker_map *m, int slot, uint64_t ms);

/* The state of slot, and (retry_ms, when not NULL) how long until the next probe may go. */
enum breaker_state breaker_state(struct breaker_map *m, int slot, uint64_t *retry_ms);

/* "closed", "open", "half-open". */
const char *breaker_state_name(enum breaker_state s);

#endif
