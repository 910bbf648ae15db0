/* xalloc.c: allocation wrappers that abort on out-of-memory (see xalloc.h for why). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xalloc.h"

static void
oom(size_t n)
{
	/* No log module here: it allocates. A fixed message with write(2) always works. */
	char msg[96];
	int len = snprintf(msg, sizeof msg, "starling: out of memory allocating %zu bytes\n", n);

	if (len > 0)
		(void)!write(STDERR_FILENO, msg, (size_t)len);
	abort();
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		oom(n);
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (p == NULL)
		oom(nmemb * size);
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		oom(n);
	return q;
}

char *
xmemdup(const void *p, size_t n)
{
	char *q = xmalloc(n + 1);

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
