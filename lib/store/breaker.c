/* breaker.c: circuit breakers in a shared mapped file (breaker.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "breaker.h"
#include "clock.h"
#include "log.h"
#include "shmfile.h"
#include "xalloc.h"

#define NAME_MAX_LEN 47
/* "SBRK" and the layout's version: a file of another layout is not used (logged). */
#define MAGIC   0x4b524253u
#define LAYOUT_VERSION 1u

/* One backend. Every field is only read and written with __atomic operations. */
struct slot {
	uint64_t key;          /* hash of the name; 0: free */
	char     name[NAME_MAX_LEN + 1];
	uint64_t failures;     /* in a row */
	uint64_t open_until;   /* ms; 0: closed */
	uint64_t probe_until;  /* ms: the probe in flight may take until then */
	uint64_t open_ms;      /* how long the breaker opened for the last time */
};

struct file {
	struct shmfile_head head;
	struct slot   slot[BREAKER_SLOTS];
};

struct breaker_map {
	const struct conf *conf;
	struct file       *f;
	bool               mapped;   /* f is the shared file (else private memory) */
	bool               full_logged;
};

/* FNV-1a of the first NAME_MAX_LEN bytes, never 0 (the mark of a free slot). */
static uint64_t
name_hash(const char *name)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; name[i] && i < NAME_MAX_LEN; i++)
		h = (h ^ (unsigned char)name[i]) * 1099511628211ULL;
	return h ? h : 1;
}

static uint64_t
load(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void
store(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static bool
cas(uint64_t *p, uint64_t old, uint64_t v)
{
	return __atomic_compare_exchange_n(p, &old, v, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

struct breaker_map *
breaker_map_open(const struct conf *conf)
{
	struct breaker_map *m = xcalloc(1, sizeof *m);

	m->conf = conf;
	m->f = shmfile_open(conf->breaker_state_file, sizeof *m->f, MAGIC, LAYOUT_VERSION, "breaker",
	    &m->mapped);
	return m;
}

void
breaker_map_free(struct breaker_map *m)
{
	if (m == NULL)
		return;
	shmfile_close(m->f, sizeof *m->f, m->mapped);
	free(m);
}

int
breaker_slot(struct breaker_map *m, const char *name)
{
	uint64_t h = name_hash(name);
	size_t i, at;

	for (i = 0; i < BREAKER_SLOTS; i++) {
		struct slot *s;
		uint64_t k;

		at = (size_t)((h + i) % BREAKER_SLOTS);
		s = &m->f->slot[at];
		k = load(&s->key);
		if (k == 0 && cas(&s->key, 0, h)) {
			/* Ours now. The name is for health and the logs only: the key decides. */
			snprintf(s->name, sizeof s->name, "%s", name);
			return (int)at;
		}
		if (load(&s->key) == h)
			return (int)at;
	}
	if (!m->full_logged)
		log_warn("breaker: %d backends already in the state file; %s has no breaker",
		    BREAKER_SLOTS, name);
	m->full_logged = true;
	return -1;
}

bool
breaker_allow(struct breaker_map *m, int slot, bool *is_probe)
{
	struct slot *s;
	uint64_t now, until, probe;

	if (is_probe != NULL)
		*is_probe = false;
	if (slot < 0)
		return true;
	s = &m->f->slot[slot];
	until = load(&s->open_until);
	if (until == 0)
		return true;
	now = clock_wall_ms();
	if (now < until)
		return false;
	/* Half-open: one probe at a time for the whole host. A probe whose process died (or that
	 * hangs) frees the way when its time is over. */
	probe = load(&s->probe_until);
	if (probe > now ||
	    !cas(&s->probe_until, probe, now + (uint64_t)m->conf->breaker_open_seconds * 1000))
		return false;
	if (is_probe != NULL)
		*is_probe = true;
	return true;
}

void
breaker_ok(struct breaker_map *m, int slot)
{
	struct slot *s;
	uint64_t until;

	if (slot < 0)
		return;
	s = &m->f->slot[slot];
	if (load(&s->failures) != 0)
		store(&s->failures, 0);
	until = load(&s->open_until);
	if (until != 0 && cas(&s->open_until, until, 0)) {
		store(&s->probe_until, 0);
		store(&s->open_ms, 0);
		log_warn("breaker %s: closed: it answers again", s->name);
	}
}

void
breaker_fail(struct breaker_map *m, int slot, const char *why)
{
	const struct conf *c = m->conf;
	struct slot *s;
	uint64_t n, now, until, ms;

	if (slot < 0)
		return;
	s = &m->f->slot[slot];
	n = __atomic_add_fetch(&s->failures, 1, __ATOMIC_ACQ_REL);
	now = clock_wall_ms();
	until = load(&s->open_until);
	if (until == 0) {
		if (n < (uint64_t)c->breaker_failures)
			return;
		ms = (uint64_t)c->breaker_open_seconds * 1000;
		if (!cas(&s->open_until, 0, now + ms))
			return;   /* another process opened it first */
		store(&s->open_ms, ms);
		log_error("breaker %s: open for %llu s after %llu failures in a row (last: %s); its "
		    "requests fail at once meanwhile", s->name, (unsigned long long)(ms / 1000),
		    (unsigned long long)n, why);
		return;
	}
	if (now < until)
		return;   /* a request sent before the breaker opened: already counted in */
	/* The probe failed: open again, for twice as long. */
	ms = load(&s->open_ms) * 2;
	if (ms < (uint64_t)c->breaker_open_seconds * 1000)
		ms = (uint64_t)c->breaker_open_seconds * 1000;
	if (ms > (uint64_t)c->breaker_max_open_seconds * 1000)
		ms = (uint64_t)c->breaker_max_open_seconds * 1000;
	if (!cas(&s->open_until, until, now + ms))
		return;
	store(&s->open_ms, ms);
	store(&s->probe_until, 0);
	log_error("breaker %s: still failing (%s); open for %llu s more", s->name, why,
	    (unsigned long long)(ms / 1000));
}

void
breaker_open_for(struct breaker_map *m, int slot, uint64_t ms)
{
	struct slot *s;
	uint64_t until, want;

	if (slot < 0)
		return;
	s = &m->f->slot[slot];
	want = clock_wall_ms() + ms;
	do {
		until = load(&s->open_until);
		if (until >= want)
			return;
	} while (!cas(&s->open_until, until, want));
	store(&s->open_ms, ms);
	store(&s->probe_until, 0);
}

enum breaker_state
breaker_state(struct breaker_map *m, int slot, uint64_t *retry_ms)
{
	uint64_t until, now;

	if (retry_ms)
		*retry_ms = 0;
	if (slot < 0)
		return BREAKER_CLOSED;
	until = load(&m->f->slot[slot].open_until);
	if (until == 0)
		return BREAKER_CLOSED;
	now = clock_wall_ms();
	if (now >= until)
		return BREAKER_HALF_OPEN;
	if (retry_ms)
		*retry_ms = until - now;
	return BREAKER_OPEN;
}

const char *
breaker_state_name(enum breaker_state s)
{
	switch (s) {
	case BREAKER_OPEN:      return "open";
	case BREAKER_HALF_OPEN: return "half-open";
	case BREAKER_CLOSED:    break;
	}
	return "closed";
}
