/* idlease.h: the worker number of lib/id, leased from the database so that no two running
 * processes ever share one.
 *
 * An ID is unique because no two processes make IDs with the same worker number at the same
 * time (id.h). Each process leases a number (0 .. 255) from tb_id_worker_lease on shard 0: a row
 * per number, held by "host:pid:random" until expires_at. Taking a free or expired number is one
 * atomic statement (an INSERT, or an UPDATE guarded by expires_at), so two processes can never
 * both win it. The lease lasts IDLEASE_TTL seconds and is renewed when less than half remains;
 * a process that cannot renew in time stops making IDs (writes fail with 503) rather than risk
 * a number that another process may take over. A new holder's IDs come after the last holder's
 * (the row's last_id_ms, or its expiry), whatever its own clock says. The hot path is a clock
 * check: the database is touched once per IDLEASE_TTL / 2 per process.
 *
 * Machines' clocks must agree to well within IDLEASE_TTL / 2 (NTP does far better).
 *
 * Return convention: 0 done, -1 failure (logged: database down, or all 256 numbers held). */
#ifndef STARLING_IDLEASE_H
#define STARLING_IDLEASE_H

#include <stdint.h>
#include <time.h>

#include "db.h"
#include "id.h"

#define IDLEASE_TTL 600

struct idlease;

/* A lease holder for this process; takes nothing yet. db is borrowed. now is the clock
 * (NULL: time(NULL)), for tests. */
typedef time_t (*idlease_clock)(void);
struct idlease *idlease_new(struct db *db, idlease_clock now);

/* A new ID on shard: leases or renews the worker number first when needed. Returns 0 or -1. */
int idlease_next_id(struct idlease *l, unsigned shard, uint64_t *id);

/* The worker number held, or -1 when none is held (for tests and logs). */
int idlease_worker(const struct idlease *l);

/* Gives the number back (at a clean exit): free for another process at once rather than at
 * expiry. The row keeps the time of the last ID made with it, and the next holder's IDs come
 * after that time (id_gen_after), so none is made twice. */
void idlease_release(struct idlease *l);

/* Releases the lease and frees l. */
void idlease_free(struct idlease *l);

#endif
