/* kv.c: ordered lists of name/value pairs. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kv.h"
#include "xalloc.h"

/* Arrays longer than this are released on reset rather than kept for the next request. */
#define KVLIST_KEEP_MAX 64

void
kvlist_add(struct kvlist *l, const char *name, const char *value, size_t vlen)
{
	struct kv *kv;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->items = xrealloc(l->items, l->cap * sizeof *l->items);
	}
	kv = &l->items[l->n++];
	kv->name = xstrdup(name);
	kv->value = xmemdup(value, vlen);
	kv->vlen = vlen;
}

const struct kv *
kvlist_find(const struct kvlist *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->items[i].name, name) == 0)
			return &l->items[i];
	return NULL;
}

static void
set_with(struct kvlist *l, const char *name, const char *value,
    int (*cmp)(const char *, const char *))
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (cmp(l->items[i].name, name) == 0) {
			free(l->items[i].value);
			l->items[i].vlen = strlen(value);
			l->items[i].value = xmemdup(value, l->items[i].vlen);
			return;
		}
	}
	kvlist_add(l, name, value, strlen(value));
}

void
kvlist_set(struct kvlist *l, const char *name, const char *value)
{
	set_with(l, name, value, strcmp);
}

void
kvlist_set_ci(struct kvlist *l, const char *name, const char *value)
{
	set_with(l, name, value, strcasecmp);
}

const char *
kvlist_get(const struct kvlist *l, const char *name)
{
	const struct kv *kv = kvlist_find(l, name);

	return kv ? kv->value : NULL;
}

const char *
kvlist_get_ci(const struct kvlist *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcasecmp(l->items[i].name, name) == 0)
			return l->items[i].value;
	return NULL;
}

void
kvlist_reset(struct kvlist *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++) {
		free(l->items[i].name);
		free(l->items[i].value);
	}
	l->n = 0;
	if (l->cap > KVLIST_KEEP_MAX) {
		free(l->items);
		l->items = NULL;
		l->cap = 0;
	}
}

void
kvlist_free(struct kvlist *l)
{
	if (l == NULL)
		return;
	kvlist_reset(l);
	free(l->items);
	l->items = NULL;
	l->cap = 0;
}
