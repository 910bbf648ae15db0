/* request.c: turns one request's CGI environment and body into a checked struct request. */
#include "config.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "apierr.h"
#include "request.h"
#include "utf8.h"
#include "xalloc.h"

/* Error messages quote client input so a developer can find the culprit, but never more than this
 * many bytes of it: a 1 MB field echoed back would turn a 400 into a bandwidth amplifier and flood
 * the logs. */
#define ECHO_MAX 64

/* Said in every 415 so the client learns what to send instead. */
#define ACCEPTED_TYPES "send application/json or application/x-www-form-urlencoded"
#define ACCEPTED_TYPES_UPLOAD "send application/json, application/x-www-form-urlencoded or " \
	"multipart/form-data"

/* How an urlencoded text is named in messages: query field "q", too many fields in the query. */
struct where {
	const char *whole;
	const char *field;
};

static const struct where where_query = { "query string", "query field" };
static const struct where where_form = { "form body", "form field" };
static const struct where where_path = { "path", "path" };

/* Why percent-decoding failed, so the message can say which of the two it was. */
enum decode_result {
	DECODE_OK = 0,
	DECODE_BAD_ESCAPE,
	DECODE_NUL,
};

static const struct {
	enum http_method  method;
	const char       *name;
} methods[] = {
	{ HTTP_GET, "GET" }, { HTTP_HEAD, "HEAD" }, { HTTP_POST, "POST" }, { HTTP_PUT, "PUT" },
	{ HTTP_DELETE, "DELETE" }, { HTTP_PATCH, "PATCH" }, { HTTP_OPTIONS, "OPTIONS" },
};

/* ---- error messages ------------------------------------------------------------------------ */

/* err may be NULL (a caller that only wants the code): buf_printf then discards the text. */

/*
 * Appends n bytes of client input in double quotes, cut to ECHO_MAX bytes ("..." after the quote
 * says it was cut). Control bytes, quotes and backslashes become \xNN, and so does every byte
 * >= 0x80 unless the quoted bytes are valid UTF-8: the message ends up in a JSON response and a
 * log line, and neither may receive invalid UTF-8 or a raw newline from a client.
 */
static void
err_quote(struct buf *err, const char *s, size_t n)
{
	size_t len = n, i;
	unsigned char c;
	bool valid;

	if (err == NULL)
		return;
	if (len > ECHO_MAX) {
		len = ECHO_MAX;
		/* Cut on a character boundary so a valid UTF-8 name stays readable. */
		while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
			len--;
	}
	valid = utf8_valid(s, len);
	buf_putc(err, '"');
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\' || (c >= 0x80 && !valid))
			buf_printf(err, "\\x%02x", c);
		else
			buf_putc(err, (char)c);
	}
	buf_puts(err, len < n ? "\"..." : "\"");
}

/* ---- small text helpers -------------------------------------------------------------------- */

const char *
request_env(char *const *envp, const char *name)
{
	size_t len = strlen(name);

	for (; envp != NULL && *envp != NULL; envp++)
		if (strncmp(*envp, name, len) == 0 && (*envp)[len] == '=')
			return *envp + len + 1;
	return NULL;
}

/* A copy of the variable's value, or of "" when it is not set; the caller frees. */
static char *
env_dup(char *const *envp, const char *name)
{
	const char *v = request_env(envp, name);

	return xstrdup(v != NULL ? v : "");
}

/* ASCII only, on purpose: tolower() follows the locale, and header names are ASCII anyway. */
static char
ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool
is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* Narrows [*s, *s + *n) to exclude leading and trailing spaces and tabs. */
static void
trim(const char **s, size_t *n)
{
	while (*n > 0 && is_ows(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && is_ows((*s)[*n - 1]))
		(*n)--;
}

/* Parses a plain decimal number (digits only: no sign, no spaces, no empty string) without
 * overflow. strtoull would accept "+5", " 5" and "-1" (as a huge number), which a Content-Length
 * must not be. */
static bool
parse_size(const char *s, size_t *out)
{
	size_t v = 0, d;

	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return false;
		d = (size_t)(*s - '0');
		if (v > (SIZE_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

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
	err_quote(err, q, qlen);
}

/*
 * Decodes one part of the request (the path, a field name or value) into out and checks that the
 * result is text: no NUL, valid UTF-8. w, is_name and the quoted bytes q say where in the message
 * ("query field "q"", "path "/a%zz""). Returns an apierr code.
 */
static int
decode_text(const char *s, size_t n, bool plus_is_space, struct buf *out, const struct where *w,
    bool is_name, const char *q, size_t qlen, struct buf *err)
{
	size_t at = 0;
	int rc = APIERR_OK;

	switch (decode(s, n, plus_is_space, out, &at)) {
	case DECODE_BAD_ESCAPE:
		rc = APIERR_BAD_ENCODING;
		buf_printf(err, "invalid percent-encoding ");
		err_quote(err, s + at, n - at < 3 ? n - at : 3);
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
	rc = decode_text(s, nlen, true, name, w, true, s, nlen, err);
	if (rc != APIERR_OK)
		goto out;
	if (eq != NULL) {
		rc = decode_text(eq + 1, n - nlen - 1, true, value, w, false, buf_cstr(name),
		    name->len, err);
		if (rc != APIERR_OK)
			goto out;
	}
	kvlist_add(out, buf_cstr(name), buf_cstr(value), value->len);
out:
	return rc;
}

static int
parse_urlencoded(const char *s, size_t n, size_t max_fields, const struct where *w,
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
	return parse_urlencoded(s, n, max_fields, &where_form, out, err);
}

/* ---- cookies ------------------------------------------------------------------------------- */

/* One "name=value" piece of a Cookie header; junk is dropped without a word (see request.h). */
static void
add_cookie(const char *s, size_t n, struct kvlist *out)
{
	const char *eq, *v;
	size_t nlen, vlen;
	char *name;

	trim(&s, &n);
	eq = memchr(s, '=', n);
	if (eq == NULL)
		return;
	nlen = (size_t)(eq - s);
	v = eq + 1;
	vlen = n - nlen - 1;
	trim(&s, &nlen);
	trim(&v, &vlen);
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

/* ---- methods and lookups ------------------------------------------------------------------- */

/* Method names are case-sensitive (RFC 9110 9.1): "get" is not GET. */
enum http_method
request_method_parse(const char *name)
{
	size_t i;

	if (name == NULL)
		return HTTP_OTHER;
	for (i = 0; i < sizeof methods / sizeof methods[0]; i++)
		if (strcmp(methods[i].name, name) == 0)
			return methods[i].method;
	return HTTP_OTHER;
}

const char *
request_method_name(enum http_method m)
{
	size_t i;

	for (i = 0; i < sizeof methods / sizeof methods[0]; i++)
		if (methods[i].method == m)
			return methods[i].name;
	return "OTHER";
}

/* Header names are stored lowercased; matching without regard to case also lets a caller write
 * "Accept-Language" without surprise. */
const char *
request_header(const struct request *r, const char *name)
{
	return kvlist_get_ci(&r->headers, name);
}

/* Cookie names are case-sensitive (RFC 6265): "SID" and "sid" are different cookies. */
const char *
request_cookie(const struct request *r, const char *name)
{
	return kvlist_get(&r->cookies, name);
}

const struct request_file *
request_file(const struct request *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nfiles; i++)
		if (strcmp(r->files[i].name, name) == 0)
			return &r->files[i];
	return NULL;
}

/* ---- lifetime ------------------------------------------------------------------------------ */

void
request_init(struct request *r)
{
	memset(r, 0, sizeof *r);
	r->method = HTTP_OTHER;
}

/* request_reset() without the NULL check, for request_parse(), whose r is never NULL. */
static void
clear(struct request *r)
{
	size_t i;

	free(r->method_name);
	free(r->path);
	free(r->query);
	free(r->content_type);
	free(r->remote_addr);
	free(r->host);
	r->method_name = r->path = r->query = r->content_type = r->remote_addr = r->host = NULL;
	r->method = HTTP_OTHER;
	r->https = false;
	/* The lists keep their arrays (kvlist_reset frees large ones) for the next request. */
	kvlist_reset(&r->headers);
	kvlist_reset(&r->cookies);
	kvlist_reset(&r->query_fields);
	kvlist_reset(&r->body_fields);
	json_object_put(r->json);
	r->json = NULL;
	r->body = NULL;
	r->body_len = 0;
	for (i = 0; i < r->nfiles; i++) {
		free(r->files[i].name);
		free(r->files[i].filename);
		free(r->files[i].content_type);
	}
	r->nfiles = 0;
}

void
request_reset(struct request *r)
{
	if (r != NULL)
		clear(r);
}

void
request_free(struct request *r)
{
	if (r == NULL)
		return;
	request_reset(r);
	kvlist_free(&r->headers);
	kvlist_free(&r->cookies);
	kvlist_free(&r->query_fields);
	kvlist_free(&r->body_fields);
	free(r->files);
	r->files = NULL;
	r->files_cap = 0;
}

/* ---- request_parse stages ------------------------------------------------------------------ */

/* Every string member gets a value first, so that after any return, error or not, none is NULL. */
static void
set_strings(struct request *r, char *const *envp)
{
	const char *https = request_env(envp, "HTTPS");

	r->method_name = env_dup(envp, "REQUEST_METHOD");
	r->method = request_method_parse(r->method_name);
	r->path = xstrdup("");
	r->query = env_dup(envp, "QUERY_STRING");
	r->content_type = xstrdup("");
	r->remote_addr = env_dup(envp, "REMOTE_ADDR");
	r->host = env_dup(envp, "HTTP_HOST");
	r->https = https != NULL && (strcasecmp(https, "on") == 0 || strcmp(https, "1") == 0);
}

/* Without REQUEST_URI the URI is rebuilt from its CGI parts, and the limit applies to that. */
static int
check_uri_length(char *const *envp, size_t max_uri, struct buf *err)
{
	const char *uri = request_env(envp, "REQUEST_URI");
	const char *script, *info, *query;
	size_t len;
	int rc = APIERR_OK;

	if (uri != NULL) {
		len = strlen(uri);
	} else {
		script = request_env(envp, "SCRIPT_NAME");
		info = request_env(envp, "PATH_INFO");
		query = request_env(envp, "QUERY_STRING");
		len = (script != NULL ? strlen(script) : 0) + (info != NULL ? strlen(info) : 0) +
		    (query != NULL && *query != '\0' ? strlen(query) + 1 : 0);
	}
	if (len > max_uri) {
		rc = APIERR_URI_TOO_LONG;
		buf_printf(err, "request URI is %zu bytes; the limit is %zu", len, max_uri);
	}
	return rc;
}

/*
 * The header name for an environment variable, into name: "HTTP_ACCEPT_LANGUAGE" gives
 * "accept-language", CONTENT_TYPE and CONTENT_LENGTH give theirs. Returns false for variables that
 * are no header. HTTP_CONTENT_TYPE/LENGTH are skipped: the body is parsed by CONTENT_TYPE and
 * CONTENT_LENGTH, and a second, possibly different, copy under the same name would mislead.
 */
static bool
header_name(const char *var, size_t len, struct buf *name)
{
	size_t i;

	buf_reset(name);
	if (len == 12 && strncmp(var, "CONTENT_TYPE", 12) == 0) {
		buf_puts(name, "content-type");
		return true;
	}
	if (len == 14 && strncmp(var, "CONTENT_LENGTH", 14) == 0) {
		buf_puts(name, "content-length");
		return true;
	}
	if (len <= 5 || strncmp(var, "HTTP_", 5) != 0)
		return false;
	for (i = 5; i < len; i++)
		buf_putc(name, var[i] == '_' ? '-' : ascii_lower(var[i]));
	return strcmp(name->data, "content-type") != 0 && strcmp(name->data, "content-length") != 0;
}

/* Collects the headers in environment order. An empty CONTENT_TYPE or CONTENT_LENGTH counts as
 * absent: nginx's stock fastcgi_params sends both, empty, on every request without a body. */
static int
parse_headers(struct request *r, char *const *envp, size_t max_header, struct buf *err)
{
	struct buf name = BUF_INIT;
	const char *eq, *value;
	size_t vlen;
	int rc = APIERR_OK;

	for (; envp != NULL && *envp != NULL; envp++) {
		eq = strchr(*envp, '=');
		if (eq == NULL || !header_name(*envp, (size_t)(eq - *envp), &name))
			continue;
		value = eq + 1;
		vlen = strlen(value);
		if (vlen == 0 && strncmp(*envp, "CONTENT_", 8) == 0)
			continue;
		if (vlen > max_header) {
			rc = APIERR_HEADERS_TOO_LARGE;
			buf_printf(err, "header ");
			err_quote(err, name.data, name.len);
			buf_printf(err, " is %zu bytes; the limit is %zu", vlen, max_header);
			goto out;
		}
		kvlist_add(&r->headers, buf_cstr(&name), value, vlen);
	}
out:
	buf_free(&name);
	return rc;
}

static int
check_body_size(size_t body_len, size_t max_body, struct buf *err)
{
	if (body_len <= max_body)
		return APIERR_OK;
	buf_printf(err, "request body is %zu bytes; the limit is %zu", body_len, max_body);
	return APIERR_TOO_LARGE;
}

/*
 * The path from REQUEST_URI, percent-decoded ('+' stays '+': form encoding is for queries and
 * bodies only). Without REQUEST_URI it is SCRIPT_NAME + PATH_INFO, which the server has already
 * decoded (RFC 3875 4.1.5); decoding them again would turn "%2525" into "%", so they are only
 * checked.
 */
static int
env_path(char *const *envp, struct buf *path, struct buf *err)
{
	const char *uri = request_env(envp, "REQUEST_URI");
	const char *script, *info, *q;
	struct buf raw = BUF_INIT;
	int rc = APIERR_OK;

	if (uri != NULL) {
		q = strchr(uri, '?');
		buf_append(&raw, uri, q != NULL ? (size_t)(q - uri) : strlen(uri));
	} else {
		script = request_env(envp, "SCRIPT_NAME");
		info = request_env(envp, "PATH_INFO");
		buf_puts(&raw, script != NULL ? script : "");
		buf_puts(&raw, info != NULL ? info : "");
	}
	if (raw.len == 0 || raw.data[0] != '/') {
		rc = APIERR_BAD_REQUEST;
		buf_printf(err, "request path ");
		err_quote(err, buf_cstr(&raw), raw.len);
		buf_printf(err, " does not start with \"/\"");
		goto out;
	}
	if (uri != NULL) {
		rc = decode_text(raw.data, raw.len, false, path, &where_path, false, raw.data, raw.len,
		    err);
	} else {
		/* Already decoded by the server; a NUL cannot be in an environment variable. */
		buf_append(path, raw.data, raw.len);
		if (!utf8_valid(path->data, path->len)) {
			rc = APIERR_BAD_UTF8;
			buf_printf(err, "path ");
			err_quote(err, raw.data, raw.len);
			buf_printf(err, " is not valid UTF-8");
		}
	}
out:
	buf_free(&raw);
	return rc;
}

static int
parse_path(struct request *r, char *const *envp, struct buf *err)
{
	struct buf path = BUF_INIT;
	int rc = env_path(envp, &path, err);

	if (rc == APIERR_OK) {
		free(r->path);
		r->path = buf_detach(&path);
	}
	buf_free(&path);
	return rc;
}

bool
request_env_path(char *const *envp, struct buf *path)
{
	return env_path(envp, path, NULL) == APIERR_OK;
}

/* CONTENT_LENGTH, when sent, must state exactly the bytes the server handed over: a mismatch means
 * a truncated read or a confused proxy, and parsing half a body would act on half a request. */
static int
check_content_length(char *const *envp, size_t body_len, struct buf *err)
{
	const char *cl = request_env(envp, "CONTENT_LENGTH");
	size_t n;
	int rc = APIERR_OK;

	if (cl == NULL || *cl == '\0')
		goto out;
	if (!parse_size(cl, &n)) {
		rc = APIERR_BAD_REQUEST;
		buf_printf(err, "Content-Length ");
		err_quote(err, cl, strlen(cl));
		buf_printf(err, " is not a plain decimal number");
	} else if (n != body_len) {
		rc = APIERR_BAD_REQUEST;
		buf_printf(err, "Content-Length is %zu but the body has %zu bytes", n, body_len);
	}
out:
	return rc;
}

/* Checks one "name=value" parameter of the content type; only charset matters to us. */
static int
check_type_param(const char *s, size_t n, struct buf *err)
{
	const char *eq = memchr(s, '=', n);
	const char *v;
	size_t nlen, vlen;
	int rc = APIERR_OK;

	if (eq == NULL)
		goto out;
	nlen = (size_t)(eq - s);
	v = eq + 1;
	vlen = n - nlen - 1;
	trim(&s, &nlen);
	trim(&v, &vlen);
	if (nlen != 7 || strncasecmp(s, "charset", 7) != 0)
		goto out;
	if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
		v++;
		vlen -= 2;
	}
	if (vlen != 5 || strncasecmp(v, "utf-8", 5) != 0) {
		rc = APIERR_UNSUPPORTED_MEDIA;
		buf_printf(err, "charset ");
		err_quote(err, v, vlen);
		buf_printf(err, " is not accepted; send UTF-8 text, with charset=utf-8 or no charset");
	}
out:
	return rc;
}

/*
 * Sets r->content_type to the lowercased media type of CONTENT_TYPE ("" if none). With a body the
 * parameters are checked too: text in any other charset would be misread, so it is refused (415).
 * Without a body nothing is read, so any content type will do.
 */
static int
parse_content_type(struct request *r, const char *ct, bool has_body, struct buf *err)
{
	const char *p, *semi;
	size_t n, i;
	int rc = APIERR_OK;

	if (ct == NULL)
		goto out;
	semi = strchr(ct, ';');
	p = ct;
	n = semi != NULL ? (size_t)(semi - ct) : strlen(ct);
	trim(&p, &n);
	free(r->content_type);
	r->content_type = xstrndup(p, n);
	for (i = 0; i < n; i++)
		r->content_type[i] = ascii_lower(r->content_type[i]);
	while (has_body && semi != NULL && rc == APIERR_OK) {
		p = semi + 1;
		semi = strchr(p, ';');
		n = semi != NULL ? (size_t)(semi - p) : strlen(p);
		rc = check_type_param(p, n, err);
	}
out:
	return rc;
}

/* ---- application/json ---------------------------------------------------------------------- */

/*
 * Finds a NUL character in the strings of a well-formed JSON text, raw or as \u0000, and sets *at.
 * json-c keeps a NUL in values but silently cuts member names at it ("a\u0000b" becomes "a"), so
 * the text is searched rather than the tree. Only called on text json-c accepted, where a backslash
 * only occurs in strings; skipping the escaped character keeps "\\u0000" (a literal backslash)
 * from matching.
 */
static bool
json_find_nul(const char *s, size_t n, size_t *at)
{
	size_t i;

	for (i = 0; i < n; i++) {
		*at = i;
		if (s[i] == '\0')
			return true;
		if (s[i] != '\\' || i + 1 >= n)
			continue;
		if (s[i + 1] == 'u' && n - i >= 6 && memcmp(s + i + 2, "0000", 4) == 0)
			return true;
		i++;
	}
	return false;
}

/* json-c reads NaN and Infinity even in strict mode, and 1e999 as infinity; none is a number a
 * route can store or compare, so they are refused wherever they are nested. */
static bool
json_finite(json_object *o)
{
	size_t i, n;

	switch (json_object_get_type(o)) {
	case json_type_double:
		return isfinite(json_object_get_double(o));
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			if (!json_finite(json_object_array_get_idx(o, i)))
				return false;
		return true;
	case json_type_object: {
		json_object_object_foreach(o, key, val) {
			(void)key;
			if (!json_finite(val))
				return false;
		}
		return true;
	}
	default:
		return true;
	}
}

/* Runs json-c's strict tokener over the whole body; *out is the object, or NULL with an error. */
static int
json_tokenize(const char *body, size_t n, int max_depth, json_object **out, struct buf *err)
{
	struct json_tokener *tok;
	enum json_tokener_error jerr;
	size_t end;
	int rc = APIERR_BAD_JSON;

	*out = NULL;
	/* json-c counts every value on the way down, the top object being 1: {"a":1} is 2 deep and
	 * {"a":{"b":1}} 3. At least 1, or json-c would refuse even "{}". */
	tok = json_tokener_new_ex(max_depth > 0 ? max_depth : 1);
	if (tok == NULL) {
		rc = APIERR_INTERNAL;
		buf_printf(err, "out of memory while parsing the JSON body");
		goto out;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	*out = json_tokener_parse_ex(tok, body, (int)n);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (jerr == json_tokener_error_depth)
		buf_printf(err, "JSON body is nested deeper than %d levels", max_depth);
	else if (jerr == json_tokener_continue)
		buf_printf(err, "malformed JSON body at offset %zu: the body ends before the JSON "
		    "object does", n);
	else if (jerr != json_tokener_success)
		buf_printf(err, "malformed JSON body at offset %zu: %s", end,
		    json_tokener_error_desc(jerr));
	else if (end != n)
		/* Strict json-c refuses trailing bytes other than whitespace and eats that whitespace;
		 * this is the guard should a later version stop doing either. */
		buf_printf(err, "malformed JSON body at offset %zu: unexpected data after the object",
		    end);
	else if (!json_object_is_type(*out, json_type_object))
		buf_printf(err, "JSON body must be an object ({\"name\": value, ...})");
	else
		rc = APIERR_OK;
out:
	if (tok != NULL)
		json_tokener_free(tok);
	if (rc != APIERR_OK) {
		json_object_put(*out);
		*out = NULL;
	}
	return rc;
}

/* Copies the top-level strings, numbers (as json-c prints them) and booleans ("1"/"0") into
 * body_fields, so a route reads form and JSON input alike. */
static void
json_copy_fields(struct request *r)
{
	const char *s;

	json_object_object_foreach(r->json, key, val) {
		switch (json_object_get_type(val)) {
		case json_type_string:
			kvlist_add(&r->body_fields, key, json_object_get_string(val),
			    (size_t)json_object_get_string_len(val));
			break;
		case json_type_int:
		case json_type_double:
			s = json_object_get_string(val);
			kvlist_add(&r->body_fields, key, s, strlen(s));
			break;
		case json_type_boolean:
			kvlist_add(&r->body_fields, key, json_object_get_boolean(val) ? "1" : "0", 1);
			break;
		default:
			break;
		}
	}
}

/* RFC 8259's whitespace, all that may stand between a member name and its ':'. */
static bool
json_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The member name of the JSON string at s (n bytes, both quotes included), decoded into name.
 * Most names hold no escape and are their bytes; the others are decoded by json-c, so that "a"
 * and "\u0061" are one name, as they are to json-c. */
static void
json_name(const char *s, size_t n, struct buf *name)
{
	struct json_tokener *tok;
	json_object *str = NULL;

	buf_reset(name);
	if (memchr(s + 1, '\\', n - 2) == NULL) {
		buf_append(name, s + 1, n - 2);
		return;
	}
	tok = json_tokener_new();
	if (tok != NULL)
		str = json_tokener_parse_ex(tok, s, (int)n);
	if (json_object_is_type(str, json_type_string))
		buf_append(name, json_object_get_string(str), (size_t)json_object_get_string_len(str));
	else
		buf_append(name, s + 1, n - 2);   /* not reached on text json-c took: the raw name */
	json_object_put(str);
	if (tok != NULL)
		json_tokener_free(tok);
}

/*
 * Finds a member name given twice in one object of a well-formed JSON text, at any depth, and
 * sets name to it. json-c keeps the last of the two without a word, where a query or a form
 * naming a parameter twice is refused (route.c): the text is walked once more, as the tree keeps
 * no trace of the first. Only called on text json-c accepted, with no \u0000 in it: a string
 * followed by ':' is then a member name, and strings and nesting are all there is to follow.
 * Each open object's names are kept in a json-c object used as a set (its values null).
 */
static bool
json_find_duplicate(const char *s, size_t n, struct buf *name)
{
	json_object **open = NULL;   /* one per open '{' or '[' (NULL: an array), innermost last */
	size_t depth = 0, cap = 0, i, start, j;
	bool dup = false;

	for (i = 0; i < n && !dup; i++) {
		if (s[i] == '{' || s[i] == '[') {
			if (depth == cap) {
				cap = cap ? 2 * cap : 8;
				open = xrealloc(open, cap * sizeof *open);
			}
			open[depth++] = s[i] == '{' ? json_object_new_object() : NULL;
		} else if ((s[i] == '}' || s[i] == ']') && depth > 0) {
			json_object_put(open[--depth]);
		} else if (s[i] == '"') {
			for (start = i++; i < n && s[i] != '"'; i++)
				if (s[i] == '\\')
					i++;
			for (j = i + 1; j < n && json_space(s[j]); j++)
				;
			if (j >= n || s[j] != ':' || depth == 0 || open[depth - 1] == NULL)
				continue;
			json_name(s + start, i + 1 - start, name);
			if (json_object_object_get_ex(open[depth - 1], buf_cstr(name), NULL))
				dup = true;
			else
				json_object_object_add(open[depth - 1], buf_cstr(name), NULL);
		}
	}
	while (depth > 0)
		json_object_put(open[--depth]);
	free(open);
	return dup;
}

/* Checks what the tokener lets through: member count, NUL characters, a member name twice,
 * non-finite numbers. */
static int
json_check(json_object *o, const char *body, size_t n, size_t max_fields, struct buf *err)
{
	struct buf name = BUF_INIT;
	size_t at;
	int rc = APIERR_OK;

	if ((size_t)json_object_object_length(o) > max_fields) {
		rc = APIERR_BAD_REQUEST;
		buf_printf(err, "too many members in the JSON body: the limit is %zu", max_fields);
		goto out;
	}
	if (json_find_nul(body, n, &at)) {
		rc = APIERR_BAD_ENCODING;
		buf_printf(err, "JSON body has a NUL character (\\u0000) in a string at offset %zu, "
		    "which is not allowed", at);
		goto out;
	}
	if (json_find_duplicate(body, n, &name)) {
		rc = APIERR_BAD_JSON;
		buf_printf(err, "JSON member ");
		err_quote(err, buf_cstr(&name), name.len);
		buf_printf(err, " is given more than once in one object; send each name once");
		goto out;
	}
	json_object_object_foreach(o, key, val) {
		if (!json_finite(val)) {
			rc = APIERR_BAD_JSON;
			buf_printf(err, "JSON member ");
			err_quote(err, key, strlen(key));
			buf_printf(err, " holds NaN, Infinity or a number too large for a double");
			goto out;
		}
	}
out:
	buf_free(&name);
	return rc;
}

static int
parse_json(struct request *r, const char *body, size_t n, const struct request_limits *lim,
    struct buf *err)
{
	json_object *o = NULL;
	int rc;

	/* Checked first so json-c never sees invalid UTF-8 (it would copy it into strings as is). */
	if (!utf8_valid(body, n)) {
		rc = APIERR_BAD_UTF8;
		buf_printf(err, "JSON body is not valid UTF-8");
		goto out;
	}
	/* json-c takes an int length; max_body is far below this in any sane configuration. */
	if (n > INT_MAX) {
		rc = APIERR_TOO_LARGE;
		buf_printf(err, "JSON body is %zu bytes; the limit is %d", n, INT_MAX);
		goto out;
	}
	rc = json_tokenize(body, n, lim->max_json_depth, &o, err);
	if (rc != APIERR_OK)
		goto out;
	rc = json_check(o, body, n, lim->max_fields, err);
	if (rc != APIERR_OK)
		goto out;
	r->json = o;
	o = NULL;
	json_copy_fields(r);
out:
	json_object_put(o);
	return rc;
}

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
		trim(&p, &nlen);
		if (nlen != 8 || strncasecmp(p, "boundary", 8) != 0)
			continue;
		v++;
		vlen = semi ? (size_t)(semi - v) : strlen(v);
		trim(&v, &vlen);
		if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
			v++;
			vlen -= 2;
		}
		if (vlen == 0 || vlen > BOUNDARY_MAX || v[vlen - 1] == ' ' ||
		    strspn(v, BOUNDARY_CHARS) < vlen) {
			buf_printf(err, "multipart boundary ");
			err_quote(err, v, vlen);
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
	while (*p < end && is_ows(**p))
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
	err_quote(err, s, n);
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
			err_quote(err, line, llen);
			buf_printf(err, " is not \"Name: value\"");
			return APIERR_BAD_REQUEST;
		}
		v = colon + 1;
		vlen = (size_t)(line + llen - v);
		trim(&v, &vlen);
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
			trim(&pt->type, &pt->type_len);
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
		err_quote(err, pt->name, pt->name_len);
		buf_printf(err, " is sent twice or holds a NUL byte");
		goto out;
	}
	if (!pt->has_filename) {
		if (memchr(data, '\0', len) != NULL) {
			rc = APIERR_BAD_ENCODING;
			buf_printf(err, "multipart field ");
			err_quote(err, pt->name, pt->name_len);
			buf_printf(err, " contains a NUL byte, which is not allowed");
		} else if (!utf8_valid(data, len)) {
			rc = APIERR_BAD_UTF8;
			buf_printf(err, "multipart field ");
			err_quote(err, pt->name, pt->name_len);
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
		f->content_type[i] = ascii_lower(f->content_type[i]);
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
static int
parse_multipart(struct request *r, const char *body, size_t n, const char *ct,
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

/* ---- the body ------------------------------------------------------------------------------ */

static int
parse_body(struct request *r, const char *body, size_t n, const char *ct,
    const struct request_limits *lim, struct buf *err)
{
	bool upload = lim->body == REQUEST_BODY_UPLOAD;
	int rc = APIERR_OK;

	r->body = n > 0 ? body : NULL;
	r->body_len = n;
	if (n == 0 || lim->body == REQUEST_BODY_RAW)
		goto out;
	if (strcmp(r->content_type, "application/x-www-form-urlencoded") == 0) {
		rc = parse_urlencoded(body, n, lim->max_fields, &where_form, &r->body_fields, err);
	} else if (strcmp(r->content_type, "application/json") == 0) {
		rc = parse_json(r, body, n, lim, err);
	} else if (upload && strcmp(r->content_type, "multipart/form-data") == 0) {
		rc = parse_multipart(r, body, n, ct, lim, err);
	} else if (r->content_type[0] == '\0') {
		rc = APIERR_UNSUPPORTED_MEDIA;
		buf_printf(err, "the request has a %zu-byte body but no content type; %s", n,
		    upload ? ACCEPTED_TYPES_UPLOAD : ACCEPTED_TYPES);
	} else {
		rc = APIERR_UNSUPPORTED_MEDIA;
		buf_printf(err, "content type ");
		err_quote(err, r->content_type, strlen(r->content_type));
		buf_printf(err, " is not accepted; %s", upload ? ACCEPTED_TYPES_UPLOAD : ACCEPTED_TYPES);
	}
out:
	return rc;
}

bool
request_parse_code_known(int rc)
{
	switch (rc) {
	case APIERR_OK: case APIERR_BAD_ENCODING: case APIERR_BAD_UTF8: case APIERR_BAD_JSON:
	case APIERR_BAD_REQUEST: case APIERR_TOO_LARGE: case APIERR_URI_TOO_LONG:
	case APIERR_HEADERS_TOO_LARGE: case APIERR_UNSUPPORTED_MEDIA:
		return true;
	default:
		return false;
	}
}

/*
 * One linear pipeline. Limits come first, so an oversized request is refused before any work is
 * spent decoding it; then the parts in the order a client would fix them.
 */
int
request_parse(struct request *r, char *const *envp, const char *body, size_t body_len,
    const struct request_limits *lim, struct buf *err)
{
	const char *ct;
	int rc;

	if (err != NULL)
		buf_reset(err);
	/* A caller that forgot request_reset() must not leak the previous request into this one. */
	clear(r);
	set_strings(r, envp);
	/* 414, 431, 413: checked before anything is decoded. */
	if ((rc = check_uri_length(envp, lim->max_uri, err)) != APIERR_OK)
		goto out;
	if ((rc = parse_headers(r, envp, lim->max_header, err)) != APIERR_OK)
		goto out;
	if ((rc = check_body_size(body_len, lim->max_body, err)) != APIERR_OK)
		goto out;
	/* Only an over-limit body may be left unread (app.c does not read one); any other missing
	 * body is a caller's bug. */
	if (body == NULL && body_len > 0) {
		rc = APIERR_INTERNAL;
		buf_printf(err, "request_parse: %zu body bytes but no body", body_len);
		goto out;
	}
	/* Where the request goes and what its URI says. */
	if ((rc = parse_path(r, envp, err)) != APIERR_OK)
		goto out;
	if ((rc = parse_urlencoded(r->query, strlen(r->query), lim->max_fields, &where_query,
	    &r->query_fields, err)) != APIERR_OK)
		goto out;
	request_parse_cookies(request_env(envp, "HTTP_COOKIE"), &r->cookies);
	/* The body: its length, its type, then its syntax. */
	if ((rc = check_content_length(envp, body_len, err)) != APIERR_OK)
		goto out;
	ct = request_env(envp, "CONTENT_TYPE");
	/* A raw body's type parameters are the handler's business, not a charset to enforce. */
	if ((rc = parse_content_type(r, ct, body_len > 0 && lim->body != REQUEST_BODY_RAW, err)) !=
	    APIERR_OK)
		goto out;
	rc = parse_body(r, body, body_len, ct, lim, err);
out:
	return rc;
}
