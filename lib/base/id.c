/* id.c: time-ordered 64-bit IDs with the shard inside (layout in id.h). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "id.h"

#define SEQ_SHIFT    0
#define WORKER_SHIFT (ID_SEQ_BITS)
#define SHARD_SHIFT  (ID_SEQ_BITS + ID_WORKER_BITS)
#define TIME_SHIFT   (ID_SEQ_BITS + ID_WORKER_BITS + ID_SHARD_BITS)
#define MASK(bits)   ((1ULL << (bits)) - 1)

uint64_t
id_clock_real(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int
id_gen_init(struct id_gen *g, unsigned worker, id_clock now, void *now_arg)
{
	if (worker >= ID_MAX_WORKERS)
		return -1;
	g->worker = worker;
	g->last_ms = 0;
	g->seq = 0;
	g->now = now ? now : id_clock_real;
	g->now_arg = now_arg;
	return 0;
}

void
id_gen_after(struct id_gen *g, uint64_t unix_ms)
{
	if (unix_ms < ID_EPOCH_MS || unix_ms - ID_EPOCH_MS < g->last_ms)
		return;
	/* The millisecond counts as used up: id_next moves to a later one. */
	g->last_ms = unix_ms - ID_EPOCH_MS;
	g->seq = MASK(ID_SEQ_BITS);
}

uint64_t
id_compose(uint64_t epoch_ms, unsigned shard, unsigned worker, unsigned seq)
{
	return (epoch_ms & MASK(ID_TIME_BITS)) << TIME_SHIFT |
	    (uint64_t)(shard & MASK(ID_SHARD_BITS)) << SHARD_SHIFT |
	    (uint64_t)(worker & MASK(ID_WORKER_BITS)) << WORKER_SHIFT |
	    (uint64_t)(seq & MASK(ID_SEQ_BITS)) << SEQ_SHIFT;
}

int
id_next(struct id_gen *g, unsigned shard, uint64_t *out)
{
	uint64_t now = g->now(g->now_arg);

	if (shard >= ID_MAX_SHARDS || now < ID_EPOCH_MS || now - ID_EPOCH_MS > MASK(ID_TIME_BITS))
		return -1;
	now -= ID_EPOCH_MS;
	if (now > g->last_ms) {
		g->last_ms = now;
		g->seq = 0;
	} else if (++g->seq > MASK(ID_SEQ_BITS)) {
		/* The millisecond is used up (or the clock went back): borrow the next one. */
		g->last_ms++;
		g->seq = 0;
	}
	if (g->last_ms > MASK(ID_TIME_BITS))
		return -1;
	*out = id_compose(g->last_ms, shard, g->worker, g->seq);
	return 0;
}

unsigned
id_shard(uint64_t id)
{
	return (unsigned)((id >> SHARD_SHIFT) & MASK(ID_SHARD_BITS));
}

unsigned
id_worker(uint64_t id)
{
	return (unsigned)((id >> WORKER_SHIFT) & MASK(ID_WORKER_BITS));
}

unsigned
id_seq(uint64_t id)
{
	return (unsigned)((id >> SEQ_SHIFT) & MASK(ID_SEQ_BITS));
}

uint64_t
id_unix_ms(uint64_t id)
{
	return (id >> TIME_SHIFT) + ID_EPOCH_MS;
}

void
id_format(uint64_t id, char out[ID_STR_SIZE])
{
	snprintf(out, ID_STR_SIZE, "%" PRIu64, id);
}

bool
id_parse(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	/* Digits only: strtoull would accept a sign and leading blanks. */
	if (*s == '\0' || strspn(s, "0123456789") != strlen(s) || strlen(s) > 20)
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0)
		return false;
	*out = v;
	return true;
}
