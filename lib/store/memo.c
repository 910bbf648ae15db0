/* memo.c: a request's memory of cache answers: a small hash table of copied keys and bytes. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "memo.h"
#include "xalloc.h"

/* A power of two, about the keys of a busy page (posts, counts, authors and relations of 20
 * cards and their originals are some 150 keys): chains stay short without resizing. */
#define MEMO_BUCKETS 512

struct memo_entry {
	struct memo_entry *next;
	char              *key;
	char              *raw;   /* NULL when n is 0 */
	size_t             n;
};

struct memo {
	struct memo_entry *bucket[MEMO_BUCKETS];
	size_t             count;
};

uint32_t
memo_key_hash(const char *key)
{
	uint32_t h = 2166136261u;   /* FNV-1a */

	for (; *key; key++)
		h = (h ^ (unsigned char)*key) * 16777619u;
	return h;
}

static size_t
bucket_of(const char *key)
{
	return memo_key_hash(key) & (MEMO_BUCKETS - 1);
}

static struct memo_entry **
find(struct memo *m, const char *key)
{
	struct memo_entry **e = &m->bucket[bucket_of(key)];

	while (*e != NULL && strcmp((*e)->key, key) != 0)
		e = &(*e)->next;
	return e;
}

struct memo *
memo_new(void)
{
	return xcalloc(1, sizeof(struct memo));
}

void
memo_put(struct memo *m, const char *key, const void *raw, size_t n)
{
	struct memo_entry **slot = find(m, key), *e = *slot;

	if (e == NULL) {
		if (m->count >= MEMO_MAX)
			return;
		e = xcalloc(1, sizeof *e);
		e->key = xstrdup(key);
		*slot = e;
		m->count++;
	}
	free(e->raw);
	e->raw = NULL;
	e->n = n;
	if (n > 0) {
		e->raw = xmalloc(n);
		memcpy(e->raw, raw, n);
	}
}

bool
memo_get(const struct memo *m, const char *key, const char **raw, size_t *n)
{
	const struct memo_entry *e = m->bucket[bucket_of(key)];

	while (e != NULL && strcmp(e->key, key) != 0)
		e = e->next;
	if (e == NULL)
		return false;
	*raw = e->raw;
	*n = e->n;
	return true;
}

static void
entry_free(struct memo_entry *e)
{
	free(e->key);
	free(e->raw);
	free(e);
}

void
memo_drop(struct memo *m, const char *key)
{
	struct memo_entry **slot = find(m, key), *e = *slot;

	if (e == NULL)
		return;
	*slot = e->next;
	entry_free(e);
	m->count--;
}

void
memo_clear(struct memo *m)
{
	struct memo_entry *e, *next;
	size_t i;

	if (m->count == 0)
		return;
	for (i = 0; i < MEMO_BUCKETS; i++) {
		for (e = m->bucket[i]; e != NULL; e = next) {
			next = e->next;
			entry_free(e);
		}
		m->bucket[i] = NULL;
	}
	m->count = 0;
}

size_t
memo_count(const struct memo *m)
{
	return m->count;
}

void
memo_free(struct memo *m)
{
	if (m == NULL)
		return;
	memo_clear(m);
	free(m);
}
