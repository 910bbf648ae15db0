/* xalloc.h: allocation wrappers that never return NULL.
 *
 * Out of memory in a FastCGI worker is not something a request can recover from: the wrappers log
 * one line and abort(), and the web server starts a fresh process. Every other module allocates
 * through these, so no caller checks for NULL. */
#ifndef STARLING_XALLOC_H
#define STARLING_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
/* Copies of s (NUL-terminated) or of its first n bytes; the caller frees. NULL in gives NULL out. */
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* A copy of n bytes followed by a NUL byte; the caller frees. */
char *xmemdup(const void *p, size_t n);

#endif
