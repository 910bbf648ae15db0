/* valid.h: checks on what users type into account and profile forms.
 *
 * Every check returns NULL when the input is acceptable, else a short English message saying what
 * is wrong, in static storage (never freed), ready for the JSON error envelope. Strings are given
 * as (s, n): n bytes at s, which may hold anything, NUL bytes included (always refused); s may be
 * NULL when n is 0. Whether a field may be left empty is the caller's decision: these checks
 * judge a value that was given (and refuse "" where "" is not a valid value, as for a URL).
 * They say nothing of uniqueness or reserved names: that is the database's job. */
#ifndef STARLING_VALID_H
#define STARLING_VALID_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* The seed's account rules. */
#define VALID_USERNAME_MIN       4
#define VALID_USERNAME_MAX       15
#define VALID_EMAIL_MAX          254      /* RFC 5321 4.5.3.1.3: a path is 256 with its <> */
#define VALID_EMAIL_LOCAL_MAX    64       /* RFC 5321 4.5.3.1.1 */
#define VALID_PASSWORD_MIN       8        /* code points */
#define VALID_PASSWORD_MAX       128      /* code points */
/* Bytes: a cheap bound checked before any decoding (128 code points take at most 512 bytes). */
#define VALID_PASSWORD_MAX_BYTES 1024
#define VALID_URL_MAX            255
#define VALID_YEAR_MIN           1900

/* 4 to 15 ASCII letters, digits or '_'. */
const char *valid_username(const char *s, size_t n);

/* local@domain, ASCII only, at most 254 bytes. The local part: 1 to 64 letters, digits and
 * !#$%&'*+/=?^_`{|}~.- with no '.' first, last or twice in a row (no quoted forms). The domain: at
 * least two labels of 1 to 63 letters, digits and '-', no label starting or ending with '-', the
 * last one letters only and at least 2 long (no IP literals). */
const char *valid_email(const char *s, size_t n);

/* 8 to 128 code points of UTF-8 (at most VALID_PASSWORD_MAX_BYTES bytes), no NUL, with at least
 * one ASCII letter and one ASCII digit. */
const char *valid_password(const char *s, size_t n);

/*
 * An absolute http or https URL a profile may link to, at most 255 bytes:
 *   scheme "http://" or "https://" (any case), then a host: dot-separated labels of letters,
 *   digits and '-' (as in valid_email, but one label is enough and digits may end it, so
 *   "localhost" and "192.0.2.1" pass) or an IPv6 address in brackets; then an optional :port
 *   (1 to 65535); then an optional path, query or fragment starting with '/', '?' or '#'.
 * Only the characters RFC 3986 allows unescaped are accepted (letters, digits and
 * -._~:/?#@!$&'()*+,;=), plus '%' followed by two hex digits: no space, control, non-ASCII, '\',
 * '"', '<', '>' and the like, which a browser would escape itself. No user name or password
 * before the host.
 */
const char *valid_http_url(const char *s, size_t n);

/* A full date that exists in the Gregorian calendar (29 February only in leap years: 2000 and
 * 2024 are, 1900 is not), with a year from VALID_YEAR_MIN to current_year. */
const char *valid_date(int year, int month, int day, int current_year);

/* A partial date such as a profile's birthday: each part is 0 when not given. A given year must
 * be VALID_YEAR_MIN .. current_year, a month 1 .. 12, a day 1 .. 31; a day and month given together
 * must exist in some year (29 February without a year, never 31 April), and in the given year
 * when all three are there. */
const char *valid_date_parts(int year, int month, int day, int current_year);

/* Free text: valid UTF-8 of at most max_codepoints code points, with no NUL, no other control
 * character (C0, DEL, C1) except, when allow_newlines is true, tab, LF and CRLF (which is how
 * browsers send a textarea's line breaks, and counts as one code point, as its maxlength does). */
const char *valid_text(const char *s, size_t n, size_t max_codepoints, bool allow_newlines);

/* Appends the n bytes at s to out with A-Z made a-z and every other byte unchanged: the key under
 * which usernames and email addresses are unique without regard to case. */
void valid_lower_ascii(const char *s, size_t n, struct buf *out);

#endif
