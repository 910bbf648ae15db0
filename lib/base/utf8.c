/* utf8.c: strict UTF-8 validation (RFC 3629) and code point counting. */
#include "config.h"

#include <stdbool.h>
#include <stddef.h>

#include "utf8.h"

/*
 * The length of the well-formed sequence at p (at most avail bytes), or 0 if there is none.
 * The ranges are those of Unicode's table of well-formed byte sequences (Table 3-7): narrowing
 * the second byte after E0, ED, F0 and F4 is what rules out overlong forms, the surrogates
 * D800-DFFF and code points above U+10FFFF without decoding anything. C0, C1 and F5-FF never
 * start a sequence, and a continuation byte on its own is not one.
 */
static size_t
utf8_seq_len(const unsigned char *p, size_t avail)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (p[0] == 0xe0)
		lo = 0xa0;              /* below: overlong, fits in two bytes */
	else if (p[0] == 0xed)
		hi = 0x9f;              /* above: surrogates */
	else if (p[0] == 0xf0)
		lo = 0x90;              /* below: overlong, fits in three bytes */
	else if (p[0] == 0xf4)
		hi = 0x8f;              /* above: beyond U+10FFFF */
	if (avail < len || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

bool
utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, len;

	while (i < n) {
		len = utf8_seq_len(p + i, n - i);
		if (len == 0)
			return false;
		i += len;
	}
	return true;
}

/* Every code point has exactly one byte that is not a continuation byte (10xxxxxx), so counting
 * those is enough for valid input; for invalid input the result is that count, at most n. */
size_t
utf8_prefix(const char *s, size_t n, size_t chars)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i;

	/* A code point starts at every byte that is not a continuation byte. */
	for (i = 0; i < n; i++)
		if ((p[i] & 0xc0) != 0x80 && chars-- == 0)
			break;
	return i;
}

size_t
utf8_count(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i, count = 0;

	for (i = 0; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			count++;
	return count;
}
