/* valid.c: checks on user input for accounts and profiles. */
#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "buf.h"
#include "utf8.h"
#include "valid.h"

/* ASCII classes by hand: <ctype.h> follows the locale and takes no negative chars. */
static bool
valid_is_alpha(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool
valid_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
valid_is_alnum(char c)
{
	return valid_is_alpha(c) || valid_is_digit(c);
}

static bool
valid_is_hex(char c)
{
	return valid_is_digit(c) || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
}

/* A position in the set: memchr, because strchr would also find the set's NUL terminator. */
static bool
valid_in_set(char c, const char *set)
{
	return memchr(set, c, strlen(set)) != NULL;
}

/*
 * A DNS host name: at least min_labels labels separated by '.', each 1 to 63 letters, digits and
 * '-' with no '-' at either end (RFC 1123 2.1), at most 253 bytes in all. With alpha_tld, the last
 * label is letters only and at least 2 long (no top-level domain is otherwise: RFC 3696 2).
 */
static bool
valid_hostname(const char *s, size_t n, size_t min_labels, bool alpha_tld)
{
	size_t i, start = 0, labels = 0, k;

	if (n == 0 || n > 253)
		return false;
	for (i = 0; i <= n; i++) {
		if (i < n && s[i] != '.') {
			if (!valid_is_alnum(s[i]) && s[i] != '-')
				return false;
			continue;
		}
		/* A label is s[start .. i). */
		if (i == start || i - start > 63 || s[start] == '-' || s[i - 1] == '-')
			return false;
		labels++;
		if (i == n && alpha_tld) {
			if (i - start < 2)
				return false;
			for (k = start; k < i; k++)
				if (!valid_is_alpha(s[k]))
					return false;
		}
		start = i + 1;
	}
	return labels >= min_labels;
}

const char *
valid_username(const char *s, size_t n)
{
	static const char msg[] = "username must be 4 to 15 letters, digits or _";
	size_t i;

	if (n < VALID_USERNAME_MIN || n > VALID_USERNAME_MAX)
		return msg;
	for (i = 0; i < n; i++)
		if (!valid_is_alnum(s[i]) && s[i] != '_')
			return msg;
	return NULL;
}

const char *
valid_email(const char *s, size_t n)
{
	/* RFC 5322 atext: what an unquoted local part may hold besides letters, digits and dots. */
	static const char atext[] = "!#$%&'*+/=?^_`{|}~-";
	const char *at;
	size_t i, local;

	if (n > VALID_EMAIL_MAX)
		return "email address must be at most 254 characters";
	at = n ? memchr(s, '@', n) : NULL;
	if (at == NULL || memchr(at + 1, '@', n - (size_t)(at - s) - 1) != NULL)
		return "email address must contain exactly one @";
	local = (size_t)(at - s);
	if (local == 0 || local > VALID_EMAIL_LOCAL_MAX || s[0] == '.' || s[local - 1] == '.')
		goto bad_local;
	for (i = 0; i < local; i++) {
		if (s[i] == '.' && s[i + 1] == '.')
			goto bad_local;
		if (!valid_is_alnum(s[i]) && s[i] != '.' && !valid_in_set(s[i], atext))
			goto bad_local;
	}
	if (!valid_hostname(at + 1, n - local - 1, 2, true))
		return "the domain of the email address is not valid";
	return NULL;
bad_local:
	return "the part of the email address before @ is not valid";
}

const char *
valid_password(const char *s, size_t n)
{
	static const char len_msg[] = "password must be 8 to 128 characters";
	bool letter = false, digit = false;
	size_t i, count;

	if (n > VALID_PASSWORD_MAX_BYTES)
		return len_msg;
	if ((n && memchr(s, '\0', n) != NULL) || !utf8_valid(s, n))
		return "password contains a character that is not allowed";
	count = utf8_count(s, n);
	if (count < VALID_PASSWORD_MIN || count > VALID_PASSWORD_MAX)
		return len_msg;
	for (i = 0; i < n; i++) {
		letter = letter || valid_is_alpha(s[i]);
		digit = digit || valid_is_digit(s[i]);
	}
	if (!letter || !digit)
		return "password must contain at least one letter and one digit";
	return NULL;
}

/* The length of "http://" or "https://" (any case) at the start of s, or 0. */
static size_t
valid_url_scheme(const char *s, size_t n)
{
	static const char *const schemes[] = { "http://", "https://" };
	size_t i, k, len;

	for (i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
		len = strlen(schemes[i]);
		if (n < len)
			continue;
		for (k = 0; k < len; k++) {
			char c = s[k] >= 'A' && s[k] <= 'Z' ? (char)(s[k] - 'A' + 'a') : s[k];

			if (c != schemes[i][k])
				break;
		}
		if (k == len)
			return len;
	}
	return 0;
}

/* An IPv6 address between brackets, by its shape only (hex digits, ':' and '.' for an embedded
 * IPv4 part, at least two ':'): enough to keep it from being anything but an address. */
static bool
valid_ipv6_shape(const char *s, size_t n)
{
	size_t i, colons = 0;

	if (n < 2 || n > 45)    /* 45: INET6_ADDRSTRLEN without its NUL */
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] == ':')
			colons++;
		else if (!valid_is_hex(s[i]) && s[i] != '.')
			return false;
	}
	return colons >= 2;
}

const char *
valid_http_url(const char *s, size_t n)
{
	/* RFC 3986 2.2 and 2.3: reserved and unreserved characters, without '[' and ']' which only
	 * an IPv6 host may hold. */
	static const char uric[] = "-._~:/?#@!$&'()*+,;=";
	static const char bad_char[] = "URL contains a character that is not allowed";
	size_t i, host, end, port;

	if (n > VALID_URL_MAX)
		return "URL must be at most 255 characters";
	/* Every byte first, so no later step sees a space, control or non-ASCII byte. */
	for (i = 0; i < n; i++) {
		if (s[i] == '%') {
			if (i + 2 >= n || !valid_is_hex(s[i + 1]) || !valid_is_hex(s[i + 2]))
				return bad_char;
		} else if (!valid_is_alnum(s[i]) && !valid_in_set(s[i], uric) && s[i] != '[' &&
		    s[i] != ']') {
			return bad_char;
		}
	}
	host = valid_url_scheme(s, n);
	if (host == 0)
		return "URL must start with http:// or https://";
	/* The authority runs to the first '/', '?' or '#'. */
	for (end = host; end < n && s[end] != '/' && s[end] != '?' && s[end] != '#'; end++)
		if (s[end] == '@')
			return "URL must not contain a user name or password";
	/* The host, then where it ends. */
	if (host < end && s[host] == '[') {
		for (i = host + 1; i < end && s[i] != ']'; i++)
			;
		if (i == end || !valid_ipv6_shape(s + host + 1, i - host - 1))
			return "URL host is not valid";
		i++;
	} else {
		for (i = host; i < end && s[i] != ':'; i++)
			;
		if (!valid_hostname(s + host, i - host, 1, false))
			return "URL host is not valid";
	}
	/* Anything between the host and the end of the authority is a port. */
	if (i < end) {
		static const char port_msg[] = "URL port must be a number from 1 to 65535";

		if (s[i] != ':')
			return "URL host is not valid";    /* text after "[...]" */
		i++;
		if (end - i < 1 || end - i > 5)
			return port_msg;
		for (port = 0; i < end; i++) {
			if (!valid_is_digit(s[i]))
				return port_msg;
			port = port * 10 + (size_t)(s[i] - '0');
		}
		if (port < 1 || port > 65535)
			return port_msg;
	}
	for (i = end; i < n; i++)
		if (s[i] == '[' || s[i] == ']')
			return bad_char;
	return NULL;
}

/* Days in month (1 .. 12) of year; year 0 stands for "some year", in which February has 29. */
static int
valid_month_days(int year, int month)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = year == 0 || (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0));

	return month == 2 && leap ? 29 : days[month - 1];
}

const char *
valid_date_parts(int year, int month, int day, int current_year)
{
	if (year != 0 && (year < VALID_YEAR_MIN || year > current_year))
		return "year must be from 1900 to this year";
	if (month < 0 || month > 12)
		return "month must be from 1 to 12";
	if (day < 0 || day > 31)
		return "day must be from 1 to 31";
	if (month != 0 && day > valid_month_days(year, month))
		return "date does not exist";
	return NULL;
}

const char *
valid_date(int year, int month, int day, int current_year)
{
	if (year == 0)
		return "year must be from 1900 to this year";
	if (month == 0)
		return "month must be from 1 to 12";
	if (day == 0)
		return "day must be from 1 to 31";
	return valid_date_parts(year, month, day, current_year);
}

const char *
valid_text(const char *s, size_t n, size_t max_codepoints, bool allow_newlines)
{
	static const char ctl_msg[] = "text contains a control character";
	const unsigned char *p = (const unsigned char *)s;
	size_t i, count;

	if (!utf8_valid(s, n))
		return "text is not valid UTF-8";
	count = utf8_count(s, n);
	for (i = 0; i < n; i++) {
		if (allow_newlines && (p[i] == '\n' || p[i] == '\t'))
			continue;
		if (allow_newlines && p[i] == '\r' && i + 1 < n && p[i + 1] == '\n') {
			count--;   /* CRLF is one line break */
			continue;
		}
		/* C0 and DEL; C1 (U+0080 .. U+009F) is C2 80 .. C2 9F in UTF-8. */
		if (p[i] < 0x20 || p[i] == 0x7f || (p[i] == 0xc2 && i + 1 < n && p[i + 1] <= 0x9f))
			return ctl_msg;
	}
	if (count > max_codepoints)
		return "text is too long";
	return NULL;
}

void
valid_lower_ascii(const char *s, size_t n, struct buf *out)
{
	size_t i;

	buf_grow(out, n);
	for (i = 0; i < n; i++)
		buf_putc(out, s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') : s[i]);
}
