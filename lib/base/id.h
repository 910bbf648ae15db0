/* id.h: 64-bit, time-ordered IDs that carry their shard, made without coordination.
 *
 * Layout (bit 63 is always 0, so an ID is also a positive signed 64-bit number for any client):
 *
 *   63 | 62 ............ 22 | 21 ...... 12 | 11 ..... 4 | 3 .. 0
 *    0 | milliseconds since |  logical    |  worker    |  sequence
 *      | 2026-01-01 (41 b)  |  shard (10) |  (8)       |  (4)
 *
 * - Time first, so IDs sort by creation time: "newest first" is ORDER BY id DESC, and an id is a
 *   cursor. 41 bits of milliseconds last until the year 2095.
 * - The logical shard (0 .. 1023) is inside, so any ID routes to its database without a lookup.
 * - The worker (0 .. 255) keeps two processes apart: each process must use its own worker number
 *   (leased at start-up; never on the hot path). Same worker, same shard, same millisecond: the
 *   sequence tells them apart.
 * - 16 IDs per millisecond per worker and shard. The generator never waits: a 17th ID in one
 *   millisecond takes the next one, so during a burst IDs run slightly ahead of the clock and
 *   fall back in step when it ends. A clock that steps backwards is treated the same way: IDs keep
 *   growing from the last one, never repeat.
 */
#ifndef STARLING_ID_H
#define STARLING_ID_H

#include <stdbool.h>
#include <stdint.h>

#define ID_TIME_BITS   41
#define ID_SHARD_BITS  10
#define ID_WORKER_BITS 8
#define ID_SEQ_BITS    4

#define ID_MAX_SHARDS  (1u << ID_SHARD_BITS)
#define ID_MAX_WORKERS (1u << ID_WORKER_BITS)

/* 2026-01-01T00:00:00Z in Unix milliseconds: the zero of the time field. */
#define ID_EPOCH_MS 1767225600000ULL

/* A clock in Unix milliseconds; tests inject their own. */
typedef uint64_t (*id_clock)(void *arg);

struct id_gen {
	unsigned  worker;
	uint64_t  last_ms;   /* time field of the last ID, in ms since ID_EPOCH_MS */
	unsigned  seq;       /* sequence of the last ID */
	id_clock  now;
	void     *now_arg;
};

/* The real clock (CLOCK_REALTIME). */
uint64_t id_clock_real(void *arg);

/* Prepares g for worker (0 .. ID_MAX_WORKERS-1) with a clock (NULL: the real one). Returns 0, or
 * -1 when the worker number is out of range. */
int id_gen_init(struct id_gen *g, unsigned worker, id_clock now, void *now_arg);

/* Makes every later ID of g fall in a millisecond after unix_ms: a process that takes over a
 * worker number starts after the last ID its previous holder made, even when that ID ran ahead
 * of the clock or this machine's clock is behind. */
void id_gen_after(struct id_gen *g, uint64_t unix_ms);

/* A fresh ID for shard (0 .. ID_MAX_SHARDS-1): larger than every ID g made before. Returns 0, or
 * -1 when the shard is out of range or the clock is before 2026 or after 2095. */
int id_next(struct id_gen *g, unsigned shard, uint64_t *out);

/* The text of an ID, as the API and the pages carry it: decimal, at most 20 digits and a NUL. */
#define ID_STR_SIZE 24
void id_format(uint64_t id, char out[ID_STR_SIZE]);
/* Parses an ID's text: digits only (no sign, blank or leading "+"), at most 20 of them, not 0
 * and not above 2^64-1. Returns false, *out untouched, for anything else. */
bool id_parse(const char *s, uint64_t *out);

/* The parts of an ID. */
unsigned id_shard(uint64_t id);
unsigned id_worker(uint64_t id);
unsigned id_seq(uint64_t id);
/* Creation time in Unix milliseconds. */
uint64_t id_unix_ms(uint64_t id);

/* An ID from its parts (ms since ID_EPOCH_MS), for tests and for cursors such as "everything
 * before this time": id_compose(t, 0, 0, 0) is below every ID made at t or later. Parts are
 * masked to their widths. */
uint64_t id_compose(uint64_t epoch_ms, unsigned shard, unsigned worker, unsigned seq);

#endif
