/* xalloc.c: allocation wrappers that abort on out-of-memory (see xalloc.h for why). */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xalloc.h"

/* Logs what was asked, nmemb x size + plus bytes, and aborts. The parts are printed, never
 * their product or sum, which may be the very overflow that brought us here. */
static void
oom(size_t nmemb, size_t size, size_t plus)
{
	/* No log module here: it allocates. A fixed message with write(2) always works; 160 bytes
	 * hold the longest (three 20-digit numbers and the words). */
	char msg[160];
	int len;

	if (nmemb != 1)
		len = snprintf(msg, sizeof msg, "starling: out of memory allocating %zu x %zu bytes\n",
		    nmemb, size);
	else if (plus != 0)
		len = snprintf(msg, sizeof msg, "starling: out of memory allocating %zu + %zu bytes\n",
		    size, plus);
	else
		len = snprintf(msg, sizeof msg, "starling: out of memory allocating %zu bytes\n", size);
	if (len > 0)
		(void)!write(STDERR_FILENO, msg, (size_t)len);
	abort();
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		oom(1, n, 0);
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void *p;

	/* calloc checks the product too, but the message must not print a wrapped one. */
	if (nmemb != 0 && size > SIZE_MAX / nmemb)
		oom(nmemb, size, 0);
	p = calloc(nmemb ? nmemb : 1, size ? size : 1);
	if (p == NULL)
		oom(nmemb, size, 0);
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		oom(1, n, 0);
	return q;
}

char *
xmemdup(const void *p, size_t n)
{
	/* n + 1 would wrap to 0 for SIZE_MAX: a 1-byte block, then a copy of n bytes into it. */
	char *q = n < SIZE_MAX ? malloc(n + 1) : NULL;

	if (q == NULL)
		oom(1, n, 1);
	if (n)
		memcpy(q, p, n);
	q[n] = '\0';
	return q;
}

char *
xstrndup(const char *s, size_t n)
{
	if (s == NULL)
		return NULL;
	return xmemdup(s, strnlen(s, n));
}

char *
xstrdup(const char *s)
{
	if (s == NULL)
		return NULL;
	return xmemdup(s, strlen(s));
}
