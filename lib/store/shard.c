/* shard.c: the logical shard map (see shard.h). */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "id.h"
#include "shard.h"
#include "xalloc.h"

struct shard_map {
	unsigned  n;
	size_t   *instance;   /* n entries */
};

/* Parses an unsigned decimal at *p (advancing it); false when there is none or it overflows. */
static bool
parse_uint(const char **p, unsigned long *out)
{
	char *end;

	if (**p < '0' || **p > '9')
		return false;
	errno = 0;
	*out = strtoul(*p, &end, 10);
	if (errno != 0)
		return false;
	*p = end;
	return true;
}

static void
skip_blanks(const char **p)
{
	while (**p == ' ' || **p == '\t')
		(*p)++;
}

/* Parses one "FIRST-LAST@INSTANCE" item at *p and marks its shards; returns 0 or -1 with err. */
static int
parse_range(struct shard_map *m, size_t ninstances, bool *seen, const char **p, struct buf *err)
{
	unsigned long first, last, inst, s;
	const char *start = *p;

	bool ok;

	skip_blanks(p);
	ok = parse_uint(p, &first) && **p == '-';
	if (ok) {
		(*p)++;
		ok = parse_uint(p, &last) && **p == '@';
	}
	if (ok) {
		(*p)++;
		ok = parse_uint(p, &inst);
	}
	if (!ok) {
		buf_printf(err, "[mysql] shard_map: expected FIRST-LAST@INSTANCE at \"%.32s\"", start);
		return -1;
	}
	skip_blanks(p);
	if (first > last || last >= m->n) {
		buf_printf(err, "[mysql] shard_map: range %lu-%lu is not within 0-%u", first, last,
		    m->n - 1);
		return -1;
	}
	if (inst >= ninstances) {
		buf_printf(err, "[mysql] shard_map: instance %lu does not exist (there are %zu)", inst,
		    ninstances);
		return -1;
	}
	for (s = first; s <= last; s++) {
		if (seen[s]) {
			buf_printf(err, "[mysql] shard_map: shard %lu is mapped twice", s);
			return -1;
		}
		seen[s] = true;
		m->instance[s] = inst;
	}
	return 0;
}

struct shard_map *
shard_map_new(unsigned nshards, size_t ninstances, const char *spec, struct buf *err)
{
	struct shard_map *m;
	bool *seen = NULL;
	const char *p = spec;
	unsigned s;

	if (nshards == 0 || nshards > ID_MAX_SHARDS || ninstances == 0) {
		buf_printf(err, "[mysql] logical_shards must be 1 to %u, over at least one instance",
		    ID_MAX_SHARDS);
		return NULL;
	}
	m = xcalloc(1, sizeof *m);
	m->n = nshards;
	m->instance = xcalloc(nshards, sizeof *m->instance);
	skip_blanks(&p);
	if (*p == '\0') {
		/* Even split in order: instance i holds a contiguous block, so adding an instance
		 * later means moving whole blocks. */
		for (s = 0; s < nshards; s++)
			m->instance[s] = (size_t)s * ninstances / nshards;
		return m;
	}
	seen = xcalloc(nshards, sizeof *seen);
	for (;;) {
		if (parse_range(m, ninstances, seen, &p, err) != 0)
			goto fail;
		if (*p == '\0')
			break;
		if (*p != ',') {
			buf_printf(err, "[mysql] shard_map: expected a comma at \"%.32s\"", p);
			goto fail;
		}
		p++;
	}
	for (s = 0; s < nshards; s++) {
		if (!seen[s]) {
			buf_printf(err, "[mysql] shard_map: shard %u is not mapped to any instance", s);
			goto fail;
		}
	}
	free(seen);
	return m;
fail:
	free(seen);
	shard_map_free(m);
	return NULL;
}

unsigned
shard_count(const struct shard_map *m)
{
	return m->n;
}

size_t
shard_instance(const struct shard_map *m, unsigned s)
{
	return m->instance[s < m->n ? s : 0];
}

void
shard_db_name(const char *prefix, unsigned s, struct buf *out)
{
	buf_printf(out, "%s_%04u", prefix, s);
}

unsigned
shard_for_key(const struct shard_map *m, const char *key, size_t n)
{
	uint64_t h = 14695981039346656037ULL;   /* FNV-1a 64-bit offset basis */
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)key[i];
		h *= 1099511628211ULL;               /* FNV-1a 64-bit prime */
	}
	return (unsigned)(h % m->n);
}

void
shard_map_free(struct shard_map *m)
{
	if (m == NULL)
		return;
	free(m->instance);
	free(m);
}
