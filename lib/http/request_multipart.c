/* request_multipart.c: multipart/form-data bodies (uploads) for lib/http/request.c's parser: the
 * boundary, each part's headers, fields and files (request_int.h). */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "apierr.h"
#include "request.h"
#include "request_int.h"
#include "utf8.h"
#include "xalloc.h"

/* ---- multipart/form-data ------------------------------------------------------------------- */

/* RFC 2046 5.1.1: a boundary is 1 to 70 of these, not ending with a space. */
#define BOUNDARY_MAX 70
#define BOUNDARY_CHARS "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" \
	"'()+_,-./:=? "
/* Headers a part may carry: browsers send two (Content-Disposition, Content-Type); the bound
 * keeps a body of header lines from costing more than its size. */
#define PART_HEADERS_MAX 8

/* One part of a multipart body as its headers describe it (pointers into the body, lengths). */
struct part {
	const char *name, *filename, *type;
	size_t      name_len, filename_len, type_len;
	bool        has_name, has_filename;
};

static bool
is_token_char(char c)
{
	return c > 0x20 && c < 0x7f && strchr("()<>@,;:\\\"/[]?={}", c) == NULL;
}

/* Finds the boundary parameter of the Content-Type header ct, unquoted, into *b and *n. */
static int
multipart_boundary(const char *ct, const char **b, size_t *n, struct buf *err)
{
	const char *p = ct ? strchr(ct, ';') : NULL, *v, *semi;
	size_t nlen, vlen;

	for (; p != NULL; p = semi) {
		p++;
		semi = strchr(p, ';');
		v = memchr(p, '=', semi ? (size_t)(semi - p) : strlen(p));
		if (v == NULL)
			continue;
		nlen = (size_t)(v - p);
		request_trim(&p, &nlen);
		if (nlen != 8 || strncasecmp(p, "boundary", 8) != 0)
			continue;
		v++;
		vlen = semi ? (size_t)(semi - v) : strlen(v);
		request_trim(&v, &vlen);
		if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
			v++;
			vlen -= 2;
		}
		if (vlen == 0 || vlen > BOUNDARY_MAX || v[vlen - 1] == ' ' ||
		    strspn(v, BOUNDARY_CHARS) < vlen) {
			buf_printf(err, "multipart boundary ");
			request_err_quote(err, v, vlen);
			buf_printf(err, " must be 1 to %d letters, digits or '()+_,-./:=? (RFC 2046)",
			    BOUNDARY_MAX);
			return APIERR_BAD_REQUEST;
		}
		*b = v;
		*n = vlen;
		return APIERR_OK;
	}
	buf_printf(err, "multipart/form-data needs a boundary parameter in its Content-Type");
	return APIERR_BAD_REQUEST;
}

/* A parameter value of Content-Disposition: a quoted string (as browsers write it, with '"', CR
 * and LF percent-encoded and no backslash escapes, WHATWG HTML 4.10.21.8) or a token. */
static bool
disposition_value(const char **p, const char *end, const char **v, size_t *n)
{
	const char *s = *p, *q;

	if (s < end && *s == '"') {
		q = memchr(s + 1, '"', (size_t)(end - s - 1));
		if (q == NULL)
			return false;
		*v = s + 1;
		*n = (size_t)(q - s - 1);
		*p = q + 1;
		return true;
	}
	for (q = s; q < end && is_token_char(*q); q++)
		;
	*v = s;
	*n = (size_t)(q - s);
	*p = q;
	return *n > 0;
}

static void
skip_ows(const char **p, const char *end)
{
	while (*p < end && request_is_ows(**p))
		(*p)++;
}

/* Content-Disposition: form-data; name="x"[; filename="y"]. Other parameters are ignored
 * (filename*, which RFC 7578 4.2 says not to send, included). */
static int
parse_disposition(const char *s, size_t n, struct part *pt, struct buf *err)
{
	const char *p = s, *end = s + n, *pname, *v = NULL;
	size_t plen, vlen = 0;

	for (pname = p; p < end && is_token_char(*p); p++)
		;
	if ((size_t)(p - pname) != 9 || strncasecmp(pname, "form-data", 9) != 0)
		goto bad;
	for (;;) {
		skip_ows(&p, end);
		if (p == end)
			break;
		if (*p++ != ';')
			goto bad;
		skip_ows(&p, end);
		for (pname = p; p < end && is_token_char(*p) && *p != '='; p++)
			;
		plen = (size_t)(p - pname);
		skip_ows(&p, end);
		if (plen == 0 || p == end || *p++ != '=')
			goto bad;
		skip_ows(&p, end);
		if (!disposition_value(&p, end, &v, &vlen))
			goto bad;
		if (plen == 4 && strncasecmp(pname, "name", 4) == 0) {
			if (pt->has_name)
				goto bad;
			pt->name = v;
			pt->name_len = vlen;
			pt->has_name = true;
		} else if (plen == 8 && strncasecmp(pname, "filename", 8) == 0) {
			if (pt->has_filename)
				goto bad;
			pt->filename = v;
			pt->filename_len = vlen;
			pt->has_filename = true;
		}
	}
	if (!pt->has_name || pt->name_len == 0) {
		buf_printf(err, "a multipart part has no field name (Content-Disposition: form-data; "
		    "name=\"...\")");
		return APIERR_BAD_REQUEST;
	}
	if (!utf8_valid(pt->name, pt->name_len) || (pt->has_filename &&
	    !utf8_valid(pt->filename, pt->filename_len))) {
		buf_printf(err, "a multipart field name or file name is not valid UTF-8");
		return APIERR_BAD_UTF8;
	}
	return APIERR_OK;
bad:
	buf_printf(err, "malformed Content-Disposition ");
	request_err_quote(err, s, n);
	buf_printf(err, " in a multipart part: send form-data; name=\"field\"[; filename=\"f\"]");
	return APIERR_BAD_REQUEST;
}

/* The headers of one part, from *p up to and including the empty line; *p is left after it. */
static int
parse_part_headers(const char **p, const char *end, size_t max_header, struct part *pt,
    struct buf *err)
{
	const char *line, *eol, *colon, *v, *semi;
	size_t llen, vlen, count = 0;
	bool disposition = false;
	int rc;

	memset(pt, 0, sizeof *pt);
	for (;;) {
		line = *p;
		eol = memchr(line, '\n', (size_t)(end - line));
		if (eol == NULL || eol == line || eol[-1] != '\r') {
			buf_printf(err, "multipart part headers must be lines ending in CR LF, then an "
			    "empty line");
			return APIERR_BAD_REQUEST;
		}
		*p = eol + 1;
		llen = (size_t)(eol - 1 - line);
		if (llen == 0)
			break;
		if (++count > PART_HEADERS_MAX || llen > max_header) {
			buf_printf(err, "a multipart part has more than %d headers or one over %zu bytes",
			    PART_HEADERS_MAX, max_header);
			return APIERR_BAD_REQUEST;
		}
		if (memchr(line, '\r', llen) != NULL || memchr(line, '\0', llen) != NULL) {
			buf_printf(err, "a multipart part header holds a bare CR or a NUL byte");
			return APIERR_BAD_REQUEST;
		}
		colon = memchr(line, ':', llen);
		if (colon == NULL || colon == line) {
			buf_printf(err, "multipart part header ");
			request_err_quote(err, line, llen);
			buf_printf(err, " is not \"Name: value\"");
			return APIERR_BAD_REQUEST;
		}
		v = colon + 1;
		vlen = (size_t)(line + llen - v);
		request_trim(&v, &vlen);
		if ((size_t)(colon - line) == 19 && strncasecmp(line, "content-disposition", 19) == 0) {
			if (disposition) {
				buf_printf(err, "a multipart part has two Content-Disposition headers");
				return APIERR_BAD_REQUEST;
			}
			disposition = true;
			if ((rc = parse_disposition(v, vlen, pt, err)) != APIERR_OK)
				return rc;
		} else if ((size_t)(colon - line) == 12 && strncasecmp(line, "content-type", 12) == 0) {
			/* Within the line: the body is not a C string (request_parse), and a part's
			 * content is no business of its type. */
			semi = memchr(v, ';', vlen);
			pt->type = v;
			pt->type_len = semi != NULL ? (size_t)(semi - v) : vlen;
			request_trim(&pt->type, &pt->type_len);
		}
	}
	if (!disposition) {
		buf_printf(err, "a multipart part has no Content-Disposition header");
		return APIERR_BAD_REQUEST;
	}
	return APIERR_OK;
}

/* Whether a part named (name, n) came before: a field sent twice is refused, so a route never
 * has to wonder which of two CSRF tokens or two files counts. */
static bool
part_seen(const struct request *r, const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < r->body_fields.n; i++)
		if (strlen(r->body_fields.items[i].name) == n &&
		    memcmp(r->body_fields.items[i].name, name, n) == 0)
			return true;
	for (i = 0; i < r->nfiles; i++)
		if (strlen(r->files[i].name) == n && memcmp(r->files[i].name, name, n) == 0)
			return true;
	return false;
}

static int
add_part(struct request *r, const struct part *pt, const char *data, size_t len, struct buf *err)
{
	struct request_file *f;
	char *name = xstrndup(pt->name, pt->name_len);
	size_t i;
	int rc = APIERR_OK;

	if (memchr(pt->name, '\0', pt->name_len) != NULL || part_seen(r, pt->name, pt->name_len)) {
		rc = APIERR_BAD_REQUEST;
		buf_printf(err, "multipart field ");
		request_err_quote(err, pt->name, pt->name_len);
		buf_printf(err, " is sent twice or holds a NUL byte");
		goto out;
	}
	if (!pt->has_filename) {
		if (memchr(data, '\0', len) != NULL) {
			rc = APIERR_BAD_ENCODING;
			buf_printf(err, "multipart field ");
			request_err_quote(err, pt->name, pt->name_len);
			buf_printf(err, " contains a NUL byte, which is not allowed");
		} else if (!utf8_valid(data, len)) {
			rc = APIERR_BAD_UTF8;
			buf_printf(err, "multipart field ");
			request_err_quote(err, pt->name, pt->name_len);
			buf_printf(err, " is not valid UTF-8");
		} else {
			kvlist_add(&r->body_fields, name, data, len);
		}
		goto out;
	}
	if (r->nfiles == r->files_cap) {
		r->files_cap = r->files_cap ? 2 * r->files_cap : 4;
		r->files = xrealloc(r->files, r->files_cap * sizeof *r->files);
	}
	f = &r->files[r->nfiles++];
	f->name = name;
	name = NULL;
	f->filename = xstrndup(pt->filename, pt->filename_len);
	f->content_type = xstrndup(pt->type ? pt->type : "", pt->type_len);
	for (i = 0; i < pt->type_len; i++)
		f->content_type[i] = request_ascii_lower(f->content_type[i]);
	f->data = data;
	f->len = len;
out:
	free(name);
	return rc;
}

/*
 * RFC 7578 over RFC 2046 5.1: "--boundary" CRLF, headers, CRLF, content, then CRLF "--boundary"
 * again, until "--boundary--". The content is found by searching for CRLF "--boundary": a
 * sender must pick a boundary that does not occur in it, so no length is needed.
 */
int
request_parse_multipart(struct request *r, const char *body, size_t n, const char *ct,
    const struct request_limits *lim, struct buf *err)
{
	const char *b, *p = body, *end = body + n, *next;
	struct buf delim = BUF_INIT;
	struct part pt;
	size_t blen, parts = 0;
	int rc;

	if ((rc = multipart_boundary(ct, &b, &blen, err)) != APIERR_OK)
		goto out;
	buf_puts(&delim, "\r\n--");
	buf_append(&delim, b, blen);
	/* The first delimiter has no CR LF before it: the body starts with it. */
	if (n < delim.len - 2 || memcmp(p, delim.data + 2, delim.len - 2) != 0) {
		rc = APIERR_BAD_REQUEST;
		buf_printf(err, "multipart body must start with \"--\" and the boundary");
		goto out;
	}
	p += delim.len - 2;
	for (;;) {
		if (end - p >= 2 && p[0] == '-' && p[1] == '-') {
			/* The closing delimiter: what follows a CR LF is the epilogue, ignored. */
			p += 2;
			skip_ows(&p, end);
			if (p != end && (end - p < 2 || p[0] != '\r' || p[1] != '\n')) {
				rc = APIERR_BAD_REQUEST;
				buf_printf(err, "unexpected bytes after the closing multipart boundary");
				goto out;
			}
			break;
		}
		skip_ows(&p, end);
		if (end - p < 2 || p[0] != '\r' || p[1] != '\n') {
			rc = APIERR_BAD_REQUEST;
			buf_printf(err, "a multipart boundary line must end with CR LF (or \"--\" for the "
			    "last one)");
			goto out;
		}
		p += 2;
		if (++parts > lim->max_fields) {
			rc = APIERR_BAD_REQUEST;
			buf_printf(err, "too many parts in the multipart body: the limit is %zu",
			    lim->max_fields);
			goto out;
		}
		if ((rc = parse_part_headers(&p, end, lim->max_header, &pt, err)) != APIERR_OK)
			goto out;
		next = memmem(p, (size_t)(end - p), delim.data, delim.len);
		if (next == NULL) {
			rc = APIERR_BAD_REQUEST;
			buf_printf(err, "multipart body ends before the boundary that closes a part");
			goto out;
		}
		if ((rc = add_part(r, &pt, p, (size_t)(next - p), err)) != APIERR_OK)
			goto out;
		p = next + delim.len;
	}
	if (parts == 0) {
		rc = APIERR_BAD_REQUEST;
		buf_printf(err, "multipart body has no parts");
	}
out:
	buf_free(&delim);
	return rc;
}
