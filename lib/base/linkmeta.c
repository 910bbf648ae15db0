/* linkmeta.c: title, description and image of a web page's <head> (linkmeta.h). */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include <utf8proc.h>

#include "linkmeta.h"

/* A span of the page: what an attribute or an element's text holds, before decoding. */
struct span {
	const char *s;
	size_t      n;
	bool        set;
};

/* What the head said, as found: the first of each wins (a page that says it twice is not
 * believed more the second time). */
struct found {
	struct span og_title, title, og_desc, desc, image;
};

static bool
space_byte(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static bool
name_byte(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    c == '-' || c == '_' || c == ':';
}

/* s[0..n) is lit, in any ASCII case. */
static bool
is(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && strncasecmp(s, lit, n) == 0;
}

/* The index of the first needle (any case) at or after i, or n when there is none. */
static size_t
find(const char *s, size_t n, size_t i, const char *needle)
{
	size_t k = strlen(needle);

	for (; i + k <= n; i++)
		if (strncasecmp(s + i, needle, k) == 0)
			return i;
	return n;
}

/* The index just past the first needle at or after i, or n. */
static size_t
past(const char *s, size_t n, size_t i, const char *needle)
{
	size_t at = find(s, n, i, needle);

	return at < n ? at + strlen(needle) : n;
}

static void
span_set(struct span *sp, const char *s, size_t n)
{
	if (sp->set || n > LINKMETA_ATTR_MAX)
		return;
	sp->s = s;
	sp->n = n;
	sp->set = true;
}

/* ---------------------------------------------------------------------------------------------
 * Text: character references decoded, white space collapsed, what is not text made a space. */

/* A character reference at s[0] ('&'): its length and *cp, or 0 when it is none we decode. */
static size_t
entity(const char *s, size_t n, int32_t *cp)
{
	static const struct {
		const char *name;
		int32_t     cp;
	} named[] = {
		{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' },
		{ "&apos;", '\'' }, { "&nbsp;", ' ' },
	};
	size_t i, k;
	long v = 0;
	bool hex;

	for (i = 0; i < sizeof named / sizeof named[0]; i++) {
		k = strlen(named[i].name);
		if (n >= k && memcmp(s, named[i].name, k) == 0) {
			*cp = named[i].cp;
			return k;
		}
	}
	if (n < 4 || s[1] != '#')
		return 0;
	hex = s[2] == 'x' || s[2] == 'X';
	/* Seven digits are more than any code point needs: a longer run is no reference. */
	for (i = hex ? 3 : 2; i < n && i < 10; i++) {
		char c = s[i];

		if (c >= '0' && c <= '9')
			v = v * (hex ? 16 : 10) + (c - '0');
		else if (hex && ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'))
			v = v * 16 + ((c | 0x20) - 'a' + 10);
		else
			break;
	}
	if (i == (hex ? 3u : 2u) || i >= n || s[i] != ';')
		return 0;
	/* An invalid code point (a surrogate, past U+10FFFF, NUL) becomes a space. */
	*cp = v > 0 && utf8proc_codepoint_valid((utf8proc_int32_t)v) ? (int32_t)v : ' ';
	return i + 1;
}

static bool
text_space(int32_t cp)
{
	if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
		return true;
	switch (utf8proc_category(cp)) {
	case UTF8PROC_CATEGORY_ZS: case UTF8PROC_CATEGORY_ZL: case UTF8PROC_CATEGORY_ZP:
		return true;
	default:
		return false;
	}
}

/* Appends the text of sp to out (emptied first), decoded and cleaned, at most max code points. */
static void
clean_text(const struct span *sp, size_t max, struct buf *out)
{
	const char *s = sp->s;
	size_t i = 0, count = 0, len;
	utf8proc_int32_t cp;
	utf8proc_uint8_t enc[4];
	bool space = false;

	buf_reset(out);
	while (i < sp->n && count < max) {
		if (s[i] == '&' && (len = entity(s + i, sp->n - i, &cp)) > 0) {
			/* decoded */
		} else {
			utf8proc_ssize_t l = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
			    (utf8proc_ssize_t)(sp->n - i), &cp);

			len = l > 0 ? (size_t)l : 1;
			if (l <= 0)
				cp = ' ';
		}
		i += len;
		if (text_space(cp)) {
			space = true;
			continue;
		}
		if (space && out->len > 0) {
			if (count + 1 >= max)
				break;
			buf_putc(out, ' ');
			count++;
		}
		space = false;
		buf_append(out, enc, (size_t)utf8proc_encode_char(cp, enc));
		count++;
	}
}

/* The image URL of sp into out, if it is one we show: absolute https, printable ASCII without
 * quotes, brackets or white space (after decoding, trimmed), a host, and short enough. */
static void
clean_image(const struct span *sp, struct buf *out)
{
	size_t i;
	const char *u;

	clean_text(sp, LINKMETA_IMAGE_MAX + 1, out);
	u = buf_cstr(out);
	if (out->len > LINKMETA_IMAGE_MAX || strncasecmp(u, "https://", 8) != 0 || out->len == 8 ||
	    strchr("/?#", u[8]) != NULL)
		goto refuse;
	for (i = 0; i < out->len; i++)
		if ((unsigned char)u[i] <= 0x20 || (unsigned char)u[i] >= 0x7f ||
		    strchr("<>\"'\\^`{|}", u[i]) != NULL)
			goto refuse;
	return;
refuse:
	buf_reset(out);
}

/* ---------------------------------------------------------------------------------------------
 * Tags. */

struct attr {
	struct span key;       /* property=, else name= */
	struct span content;
};

/* Reads the attributes of a tag from s[i] to its '>' (quotes respected); returns the index past
 * it (n when the page ends first). Only property, name and content are kept. */
static size_t
read_attrs(const char *s, size_t n, size_t i, struct attr *a)
{
	size_t k, nlen, v, vlen;
	const char *name;
	char q;

	memset(a, 0, sizeof *a);
	while (i < n) {
		while (i < n && (space_byte(s[i]) || s[i] == '/'))
			i++;
		if (i >= n || s[i] == '>')
			return i < n ? i + 1 : n;
		for (k = i; k < n && !space_byte(s[k]) && s[k] != '=' && s[k] != '>'; k++)
			;
		name = s + i;
		nlen = k - i;
		if (nlen == 0)
			k++;   /* a lone '=': skipped */
		for (i = k; i < n && space_byte(s[i]); i++)
			;
		v = i;
		vlen = 0;
		if (i < n && s[i] == '=' && nlen > 0) {
			for (i++; i < n && space_byte(s[i]); i++)
				;
			if (i < n && (s[i] == '"' || s[i] == '\'')) {
				q = s[i++];
				for (v = i; i < n && s[i] != q; i++)
					;
				vlen = i - v;
				if (i < n)
					i++;
			} else {
				for (v = i; i < n && !space_byte(s[i]) && s[i] != '>'; i++)
					;
				vlen = i - v;
			}
		}
		if (is(name, nlen, "property") || (is(name, nlen, "name") && !a->key.set))
			a->key = (struct span){ s + v, vlen, true };
		else if (is(name, nlen, "content"))
			a->content = (struct span){ s + v, vlen, true };
	}
	return n;
}

static void
meta(struct found *f, const struct attr *a)
{
	const struct span *c = &a->content;

	if (!a->key.set || !c->set)
		return;
	if (is(a->key.s, a->key.n, "og:title"))
		span_set(&f->og_title, c->s, c->n);
	else if (is(a->key.s, a->key.n, "og:description"))
		span_set(&f->og_desc, c->s, c->n);
	else if (is(a->key.s, a->key.n, "description"))
		span_set(&f->desc, c->s, c->n);
	else if (is(a->key.s, a->key.n, "og:image") || is(a->key.s, a->key.n, "og:image:url") ||
	    is(a->key.s, a->key.n, "og:image:secure_url"))
		span_set(&f->image, c->s, c->n);
}

/* One tag whose name starts at s[i] (just past '<'): what it says goes into f. Returns the index
 * to go on from, or n to stop (the head is over). */
static size_t
tag(const char *s, size_t n, size_t i, struct found *f)
{
	struct attr a;
	size_t k, end;
	bool closing = i < n && s[i] == '/';

	if (closing)
		i++;
	for (k = i; k < n && name_byte(s[k]); k++)
		;
	if (k == i)
		return i;   /* "<" in text, "<!DOCTYPE", "<?xml": not a tag we read */
	if (closing)
		return is(s + i, k - i, "head") ? n : k;
	if (is(s + i, k - i, "body"))
		return n;
	end = read_attrs(s, n, k, &a);
	if (is(s + i, k - i, "meta")) {
		meta(f, &a);
	} else if (is(s + i, k - i, "title")) {
		k = find(s, n, end, "</title");
		span_set(&f->title, s + end, k - end);
		return k;
	} else if (is(s + i, k - i, "script") || is(s + i, k - i, "style")) {
		/* Their contents are not markup: a "<meta" inside a script is text. */
		return past(s, n, end, is(s + i, k - i, "script") ? "</script" : "</style");
	}
	return end;
}

void
linkmeta_parse(const char *s, size_t n, struct linkmeta *m)
{
	struct found f;
	const char *lt;
	size_t i = 0;

	memset(&f, 0, sizeof f);
	while (i < n && (lt = memchr(s + i, '<', n - i)) != NULL) {
		i = (size_t)(lt - s) + 1;
		if (n - i >= 3 && memcmp(s + i, "!--", 3) == 0)
			i = past(s, n, i + 3, "-->");
		else
			i = tag(s, n, i, &f);
	}
	clean_text(f.og_title.set ? &f.og_title : &f.title, LINKMETA_TITLE_MAX, &m->title);
	clean_text(f.og_desc.set ? &f.og_desc : &f.desc, LINKMETA_DESC_MAX, &m->description);
	clean_image(&f.image, &m->image);
}

void
linkmeta_free(struct linkmeta *m)
{
	if (m == NULL)
		return;
	buf_free(&m->title);
	buf_free(&m->description);
	buf_free(&m->image);
}
