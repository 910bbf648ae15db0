/* request_form.c: percent-decoding, application/x-www-form-urlencoded (query strings and form
 * bodies) and cookies, for lib/http/request.c's parser (request_int.h). */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "apierr.h"
#include "request.h"
#include "request_int.h"
#include "utf8.h"
#include "xalloc.h"

const struct where request_where_form = { "form body", "form field" };

/* Why percent-decoding failed, so the message can say which of the two it was. */
enum decode_result {
	DECODE_OK = 0,
	DECODE_BAD_ESCAPE,
	DECODE_NUL,
};

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* ---- percent-decoding ---------------------------------------------------------------------- */

/* Decodes into out; on failure *at is the offset of the offending '%' (or raw NUL byte). */
static enum decode_result
decode(const char *s, size_t n, bool plus_is_space, struct buf *out, size_t *at)
{
	size_t i;
	int hi, lo;
	char c;

	/* One allocation up front (decoding only shrinks), and a terminated buffer even for n == 0. */
	buf_grow(out, n);
	out->data[out->len] = '\0';
	for (i = 0; i < n; i++) {
		*at = i;
		c = s[i];
		if (c == '%') {
			if (n - i < 3 || (hi = hex_value(s[i + 1])) < 0 || (lo = hex_value(s[i + 2])) < 0)
				return DECODE_BAD_ESCAPE;
			c = (char)(hi << 4 | lo);
			i += 2;
		} else if (c == '+' && plus_is_space) {
			c = ' ';
		}
		if (c == '\0')
			return DECODE_NUL;
		buf_putc(out, c);
	}
	return DECODE_OK;
}

int
request_urldecode(const char *s, size_t n, bool plus_is_space, struct buf *out)
{
	size_t at;

	return decode(s, n, plus_is_space, out, &at) == DECODE_OK ? 0 : -1;
}

/* Names the part being decoded at the start of an error message: "query field name "a%zz"". */
static void
err_where(struct buf *err, const struct where *w, bool is_name, const char *q, size_t qlen)
{
	buf_printf(err, "%s%s ", w->field, is_name ? " name" : "");
	request_err_quote(err, q, qlen);
}

/*
 * Decodes one part of the request (the path, a field name or value) into out and checks that the
 * result is text: no NUL, valid UTF-8. w, is_name and the quoted bytes q say where in the message
 * ("query field "q"", "path "/a%zz""). Returns an apierr code.
 */
int
request_decode_text(const char *s, size_t n, bool plus_is_space, struct buf *out,
    const struct where *w, bool is_name, const char *q, size_t qlen, struct buf *err)
{
	size_t at = 0;
	int rc = APIERR_OK;

	switch (decode(s, n, plus_is_space, out, &at)) {
	case DECODE_BAD_ESCAPE:
		rc = APIERR_BAD_ENCODING;
		buf_printf(err, "invalid percent-encoding ");
		request_err_quote(err, s + at, n - at < 3 ? n - at : 3);
		buf_printf(err, " in ");
		err_where(err, w, is_name, q, qlen);
		buf_printf(err, "; a %% must be followed by two hex digits (write %%25 for a %% sign)");
		goto out;
	case DECODE_NUL:
		rc = APIERR_BAD_ENCODING;
		err_where(err, w, is_name, q, qlen);
		buf_printf(err, " contains a NUL byte at offset %zu, which is not allowed", at);
		goto out;
	case DECODE_OK:
		break;
	}
	if (!utf8_valid(out->data, out->len)) {
		rc = APIERR_BAD_UTF8;
		err_where(err, w, is_name, q, qlen);
		buf_printf(err, " is not valid UTF-8 once decoded");
	}
out:
	return rc;
}

/* ---- application/x-www-form-urlencoded ----------------------------------------------------- */

/*
 * Decodes one "name=value" piece (name not empty) and appends it to out. A bad name is quoted as
 * sent, since it did not decode; a bad value is named by its decoded, already checked, name.
 */
static int
add_field(const char *s, size_t n, const struct where *w, struct kvlist *out, struct buf *name,
    struct buf *value, struct buf *err)
{
	const char *eq = memchr(s, '=', n);
	size_t nlen = eq != NULL ? (size_t)(eq - s) : n;
	int rc;

	buf_reset(name);
	buf_reset(value);
	rc = request_decode_text(s, nlen, true, name, w, true, s, nlen, err);
	if (rc != APIERR_OK)
		goto out;
	if (eq != NULL) {
		rc = request_decode_text(eq + 1, n - nlen - 1, true, value, w, false, buf_cstr(name),
		    name->len, err);
		if (rc != APIERR_OK)
			goto out;
	}
	kvlist_add(out, buf_cstr(name), buf_cstr(value), value->len);
out:
	return rc;
}

int
request_urlencoded_fields(const char *s, size_t n, size_t max_fields, const struct where *w,
    struct kvlist *out, struct buf *err)
{
	struct buf name = BUF_INIT, value = BUF_INIT;
	size_t start = 0, end, count = 0;
	const char *amp;
	int rc = APIERR_OK;

	while (start < n) {
		amp = memchr(s + start, '&', n - start);
		end = amp != NULL ? (size_t)(amp - s) : n;
		/* Empty pieces and nameless fields carry nothing a route could ask for. */
		if (end > start && s[start] != '=') {
			if (++count > max_fields) {
				rc = APIERR_BAD_REQUEST;
				buf_printf(err, "too many fields in the %s: the limit is %zu", w->whole,
				    max_fields);
				goto out;
			}
			rc = add_field(s + start, end - start, w, out, &name, &value, err);
			if (rc != APIERR_OK)
				goto out;
		}
		start = end + 1;
	}
out:
	buf_free(&name);
	buf_free(&value);
	return rc;
}

int
request_parse_urlencoded(const char *s, size_t n, size_t max_fields, struct kvlist *out,
    struct buf *err)
{
	if (err != NULL)
		buf_reset(err);
	return request_urlencoded_fields(s, n, max_fields, &request_where_form, out, err);
}

/* ---- cookies ------------------------------------------------------------------------------- */

/* One "name=value" piece of a Cookie header; junk is dropped without a word (see request.h). */
static void
add_cookie(const char *s, size_t n, struct kvlist *out)
{
	const char *eq, *v;
	size_t nlen, vlen;
	char *name;

	request_trim(&s, &n);
	eq = memchr(s, '=', n);
	if (eq == NULL)
		return;
	nlen = (size_t)(eq - s);
	v = eq + 1;
	vlen = n - nlen - 1;
	request_trim(&s, &nlen);
	request_trim(&v, &vlen);
	if (nlen == 0)
		return;
	name = xstrndup(s, nlen);
	kvlist_add(out, name, v, vlen);
	free(name);
}

void
request_parse_cookies(const char *header, struct kvlist *out)
{
	const char *p = header, *semi;
	size_t n;

	if (header == NULL)
		return;
	for (;;) {
		semi = strchr(p, ';');
		n = semi != NULL ? (size_t)(semi - p) : strlen(p);
		add_cookie(p, n, out);
		if (semi == NULL)
			break;
		p = semi + 1;
	}
}
