/* idlease.c: leasing lib/id worker numbers from tb_id_worker_lease (shard 0). */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "idlease.h"
#include "log.h"
#include "xalloc.h"

struct idlease {
	struct db     *db;
	idlease_clock  now;
	char           holder[128];
	int            worker;      /* -1: none */
	time_t         expires_at;  /* of the lease held */
	struct id_gen  gen;
};

/* The shard that keeps the lease table: one table for every process of the site. */
#define LEASE_SHARD 0

static time_t
clock_real(void)
{
	return time(NULL);
}

struct idlease *
idlease_new(struct db *db, idlease_clock now)
{
	struct idlease *l = xcalloc(1, sizeof *l);
	unsigned char r[6];
	char host[64];

	l->db = db;
	l->now = now ? now : clock_real;
	l->worker = -1;
	if (gethostname(host, sizeof host) != 0)
		snprintf(host, sizeof host, "unknown");
	host[sizeof host - 1] = '\0';
	/* The random part tells apart two processes with the same pid (containers, pid reuse). */
	if (RAND_bytes(r, sizeof r) != 1)
		memset(r, 0, sizeof r);
	snprintf(l->holder, sizeof l->holder, "%.64s:%ld:%02x%02x%02x%02x%02x%02x", host,
	    (long)getpid(), r[0], r[1], r[2], r[3], r[4], r[5]);
	return l;
}

/* Tries to take worker w: free (no row), given back or expired. Returns 1 taken, with *after the
 * Unix ms the new holder's IDs must come after (0: none); 0 held by another; -1. */
static int
take(struct idlease *l, unsigned w, time_t now, uint64_t *after)
{
	struct db_rows r = DB_ROWS_INIT;
	time_t exp = now + IDLEASE_TTL;
	int rc;

	*after = 0;
	rc = db_exec(l->db, LEASE_SHARD, "INSERT INTO {db}.tb_id_worker_lease "
	    "(worker, holder, expires_at, acquired_at, updated_at) VALUES (?, ?, ?, ?, ?)",
	    DB_PARAMS(DB_U64(w), DB_STR(l->holder), DB_I64(exp), DB_I64(now), DB_I64(now)), NULL);
	if (rc == 0)
		return 1;
	if (rc < 0)
		return -1;
	/* The row exists: take it over only if it was given back or ran out. A holder that ran out
	 * stopped making IDs at expires_at, so that second is a floor too; last_id_ms is assigned
	 * first, while expires_at is still the old holder's. */
	rc = db_exec(l->db, LEASE_SHARD, "UPDATE {db}.tb_id_worker_lease SET "
	    "last_id_ms = GREATEST(last_id_ms, expires_at * 1000), holder = ?, expires_at = ?, "
	    "acquired_at = ?, updated_at = ? WHERE worker = ? AND expires_at < ?",
	    DB_PARAMS(DB_STR(l->holder), DB_I64(exp), DB_I64(now), DB_I64(now), DB_U64(w),
		DB_I64(now)), &r);
	if (rc != 0)
		return -1;
	rc = r.affected == 1;
	db_rows_free(&r);
	if (rc != 1)
		return 0;
	/* Ours now: only the holder writes last_id_ms, so this read sees what the last one left. */
	if (db_exec(l->db, LEASE_SHARD, "SELECT last_id_ms FROM {db}.tb_id_worker_lease "
	    "WHERE worker = ? AND holder = ?", DB_PARAMS(DB_U64(w), DB_STR(l->holder)),
	    &r) != 0)
		return -1;   /* held but unusable: it runs out like a crashed holder's */
	*after = r.nrows == 1 ? db_u64(&r, 0, 0) : 0;
	db_rows_free(&r);
	return 1;
}

/* Leases a worker number, starting from a random one so that processes starting together do not
 * all race for 0. Returns 0 or -1. */
static int
acquire(struct idlease *l, time_t now)
{
	unsigned char start;
	unsigned i;

	if (RAND_bytes(&start, 1) != 1)
		start = (unsigned char)getpid();
	for (i = 0; i < ID_MAX_WORKERS; i++) {
		unsigned w = (start + i) % ID_MAX_WORKERS;
		uint64_t after;
		int rc = take(l, w, now, &after);

		if (rc < 0)
			return -1;
		if (rc == 1) {
			l->worker = (int)w;
			l->expires_at = now + IDLEASE_TTL;
			id_gen_init(&l->gen, w, NULL, NULL);
			id_gen_after(&l->gen, after);
			log_info("id worker %u leased until %lld", w, (long long)l->expires_at);
			return 0;
		}
	}
	log_error("id worker lease: all %u worker numbers are held; too many processes", ID_MAX_WORKERS);
	return -1;
}

/* Extends the lease held. Returns 0, or -1 with the lease dropped when another process holds
 * the number now or the database failed past the lease's end. */
static int
renew(struct idlease *l, time_t now)
{
	struct db_rows r = DB_ROWS_INIT;
	int rc;

	rc = db_exec(l->db, LEASE_SHARD, "UPDATE {db}.tb_id_worker_lease SET expires_at = ?, "
	    "updated_at = ? WHERE worker = ? AND holder = ?",
	    DB_PARAMS(DB_I64(now + IDLEASE_TTL), DB_I64(now), DB_I64(l->worker),
		DB_STR(l->holder)), &r);
	if (rc == 0 && r.affected == 1) {
		l->expires_at = now + IDLEASE_TTL;
		db_rows_free(&r);
		return 0;
	}
	db_rows_free(&r);
	if (rc == 0) {
		log_error("id worker %d: lease lost to another process; leasing another number",
		    l->worker);
		l->worker = -1;
	} else if (now >= l->expires_at) {
		l->worker = -1;   /* never make IDs on a number that may be someone else's now */
	}
	return -1;
}

int
idlease_next_id(struct idlease *l, unsigned shard, uint64_t *id)
{
	time_t now = l->now();
	bool was = db_count_as_setup(l->db, true);   /* the process's, not the request's */
	int rc = 0;

	/* Renewed when half the lease is gone; a failed renewal is tried on each later call and
	 * the number is kept until the lease's end. */
	if (l->worker >= 0 && now >= l->expires_at - IDLEASE_TTL / 2)
		(void)renew(l, now);
	if (l->worker < 0 && acquire(l, now) != 0)
		rc = -1;
	(void)db_count_as_setup(l->db, was);
	return rc == 0 ? id_next(&l->gen, shard, id) : -1;
}

int
idlease_worker(const struct idlease *l)
{
	return l->worker;
}

/* The number is free at once: the row keeps the time of the last ID made with it, and the next
 * holder starts after that (take). A burst may have run that ID ahead of the clock (id.h); a
 * process that took the number in the same millisecond would otherwise make it again. */
void
idlease_release(struct idlease *l)
{
	if (l->worker < 0)
		return;
	(void)db_exec(l->db, LEASE_SHARD, "UPDATE {db}.tb_id_worker_lease SET expires_at = 0, "
	    "last_id_ms = ?, updated_at = ? WHERE worker = ? AND holder = ?",
	    DB_PARAMS(DB_U64(ID_EPOCH_MS + l->gen.last_ms), DB_I64(l->now()), DB_I64(l->worker),
		DB_STR(l->holder)), NULL);
	l->worker = -1;
}

void
idlease_free(struct idlease *l)
{
	if (l == NULL)
		return;
	idlease_release(l);
	free(l);
}
