/* fuzz_utf8.c: utf8_valid and utf8_count (lib/base/utf8.c) against a second, independent decoder.
 *
 * lib/base/utf8.c judges a sequence by Unicode's table of well-formed byte ranges; the reference
 * below decodes the code point from the bit patterns and then refuses overlong forms, surrogates
 * and values above U+10FFFF. Two formulations of RFC 3629 that must agree on every input, and
 * utf8proc_iterate (which lib/social/text.c walks text with) must agree with both. */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>

#include <utf8proc.h>

#include "fuzz.h"
#include "utf8.h"

/* The length of the sequence at p (avail bytes) if it is well formed, else 0. */
static size_t
ref_seq(const uint8_t *p, size_t avail)
{
	static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	uint32_t cp;
	size_t len, i;

	if (p[0] < 0x80)
		return 1;
	if ((p[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = p[0] & 0x1f;
	} else if ((p[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = p[0] & 0x0f;
	} else if ((p[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	if (avail < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if (cp < min[len] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

/* The reference verdict, and in *count the code points when valid. */
static bool
ref_valid(const uint8_t *p, size_t n, size_t *count)
{
	size_t i = 0, len;

	*count = 0;
	while (i < n) {
		if ((len = ref_seq(p + i, n - i)) == 0)
			return false;
		i += len;
		(*count)++;
	}
	return true;
}

/* utf8proc's verdict: every step of utf8proc_iterate decodes a code point. */
static bool
utf8proc_valid(const uint8_t *p, size_t n)
{
	utf8proc_int32_t cp;
	utf8proc_ssize_t len;
	size_t i = 0;

	while (i < n) {
		len = utf8proc_iterate(p + i, (utf8proc_ssize_t)(n - i), &cp);
		if (len <= 0)
			return false;
		i += (size_t)len;
	}
	return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	size_t count;
	bool valid = utf8_valid(s, size);

	FUZZ_CHECK(valid == ref_valid(data, size, &count));
	FUZZ_CHECK(valid == utf8proc_valid(data, size));
	FUZZ_CHECK(utf8_count(s, size) <= size);
	if (valid)
		FUZZ_CHECK(utf8_count(s, size) == count);
	return 0;
}
