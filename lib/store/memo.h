/* memo.h: a request's memory of what the cache said: key -> the bytes a node holds (or nothing).
 *
 * Why: a page asks for the same keys many times (each author's relation to the viewer, once per
 * post and once per original) and learns most of its keys early (a timeline list names the
 * posts and their authors). lib/store/cache.c keeps a memo for the request in flight, so a key read
 * once, or fetched ahead in one multi-get (cache_prefetch), costs no second round trip. It lives
 * from cache_memo_begin to cache_memo_end (one request: a value changed meanwhile by another
 * process is seen at the next request, as if the request had read it all at its start), and
 * every write through the cache updates or drops the key's entry.
 *
 * Entries are copies: memo_put copies key and bytes, memo_get lends them until the next
 * memo_put, memo_drop or memo_clear of that memo. At most MEMO_MAX entries: a put beyond that is
 * ignored (the next read asks the node again), so a long request cannot grow without bound. */
#ifndef STARLING_MEMO_H
#define STARLING_MEMO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MEMO_MAX 4096

struct memo;

/* An empty memo. Never NULL (allocation failure aborts, as xmalloc). */
struct memo *memo_new(void);

/* Records that key holds the n bytes raw on its node (n 0: holds nothing), replacing what was
 * recorded. */
void memo_put(struct memo *m, const char *key, const void *raw, size_t n);

/* Whether key was recorded; then *raw and *n are its bytes (n 0: nothing there), borrowed as
 * above. */
bool memo_get(const struct memo *m, const char *key, const char **raw, size_t *n);

/* Forgets key (a write changed it). */
void memo_drop(struct memo *m, const char *key);

/* Forgets every key (the request ended). */
void memo_clear(struct memo *m);

/* How many keys are recorded. */
size_t memo_count(const struct memo *m);

/* The hash of a NUL-terminated key (FNV-1a) the memo files it under; cache.c's key sets use it
 * too. */
uint32_t memo_key_hash(const char *key);

/* Frees m; NULL is fine. */
void memo_free(struct memo *m);

#endif
