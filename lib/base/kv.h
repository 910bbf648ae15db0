/* kv.h: ordered lists of name/value string pairs (headers, cookies, query and form fields).
 *
 * A kvlist owns copies of every name and value. Values may hold any bytes (vlen is their length;
 * they are NUL-terminated too). Lookups are linear: the lists are small and bounded by the request
 * limits, and order matters for headers. */
#ifndef STARLING_KV_H
#define STARLING_KV_H

#include <stddef.h>

struct kv {
	char   *name;
	char   *value;
	size_t  vlen;
};

struct kvlist {
	struct kv *items;
	size_t     n;
	size_t     cap;
};

#define KVLIST_INIT { NULL, 0, 0 }

/* Appends copies of name and of value's vlen bytes. */
void kvlist_add(struct kvlist *l, const char *name, const char *value, size_t vlen);
/* Replaces the first pair named name, or appends one: kvlist_set matches names exactly,
 * kvlist_set_ci without regard to ASCII case (HTTP headers). */
void kvlist_set(struct kvlist *l, const char *name, const char *value);
void kvlist_set_ci(struct kvlist *l, const char *name, const char *value);
/* The value of the first pair named name: borrowed, valid until the list changes. NULL if none.
 * kvlist_get matches names exactly; kvlist_get_ci without regard to ASCII case (HTTP headers). */
const char *kvlist_get(const struct kvlist *l, const char *name);
const char *kvlist_get_ci(const struct kvlist *l, const char *name);
const struct kv *kvlist_find(const struct kvlist *l, const char *name);
/* Empties the list, freeing the pairs; keeps the array unless it grew large. NULL is accepted. */
void kvlist_reset(struct kvlist *l);
void kvlist_free(struct kvlist *l);

#endif
