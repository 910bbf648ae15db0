/* utf8.h: UTF-8 validation (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF). */
#ifndef STARLING_UTF8_H
#define STARLING_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* True when the n bytes at s are well-formed UTF-8. NUL bytes count as valid here; callers that
 * hand text to C string functions reject them separately. */
bool utf8_valid(const char *s, size_t n);
/* The number of code points in n bytes of valid UTF-8. */
size_t utf8_count(const char *s, size_t n);
/* The bytes of the first chars code points of n bytes of valid UTF-8 (n when it has no more):
 * where to cut a text for a shortened display without splitting a character. */
size_t utf8_prefix(const char *s, size_t n, size_t chars);

#endif
