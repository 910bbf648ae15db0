/* request.c: turns one request's CGI environment and body into a checked struct request: the
 * parser's core (environment, headers, path, sizes, content type, the body's dispatch). The
 * body's forms are in request_form.c (percent-decoding, urlencoded, cookies), request_json.c and
 * request_multipart.c; request_int.h is what they share. */
#include "config.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "apierr.h"
#include "request.h"
#include "request_int.h"
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

static const struct where where_query = { "query string", "query field" };
static const struct where where_path = { "path", "path" };

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
void
request_err_quote(struct buf *err, const char *s, size_t n)
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
char
request_ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

bool
request_is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* Narrows [*s, *s + *n) to exclude leading and trailing spaces and tabs. */
void
request_trim(const char **s, size_t *n)
{
	while (*n > 0 && request_is_ows(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && request_is_ows((*s)[*n - 1]))
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
		buf_putc(name, var[i] == '_' ? '-' : request_ascii_lower(var[i]));
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
			request_err_quote(err, name.data, name.len);
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
		request_err_quote(err, buf_cstr(&raw), raw.len);
		buf_printf(err, " does not start with \"/\"");
		goto out;
	}
	if (uri != NULL) {
		rc = request_decode_text(raw.data, raw.len, false, path, &where_path, false, raw.data, raw.len,
		    err);
	} else {
		/* Already decoded by the server; a NUL cannot be in an environment variable. */
		buf_append(path, raw.data, raw.len);
		if (!utf8_valid(path->data, path->len)) {
			rc = APIERR_BAD_UTF8;
			buf_printf(err, "path ");
			request_err_quote(err, raw.data, raw.len);
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
		request_err_quote(err, cl, strlen(cl));
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
	request_trim(&s, &nlen);
	request_trim(&v, &vlen);
	if (nlen != 7 || strncasecmp(s, "charset", 7) != 0)
		goto out;
	if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
		v++;
		vlen -= 2;
	}
	if (vlen != 5 || strncasecmp(v, "utf-8", 5) != 0) {
		rc = APIERR_UNSUPPORTED_MEDIA;
		buf_printf(err, "charset ");
		request_err_quote(err, v, vlen);
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
	request_trim(&p, &n);
	free(r->content_type);
	r->content_type = xstrndup(p, n);
	for (i = 0; i < n; i++)
		r->content_type[i] = request_ascii_lower(r->content_type[i]);
	while (has_body && semi != NULL && rc == APIERR_OK) {
		p = semi + 1;
		semi = strchr(p, ';');
		n = semi != NULL ? (size_t)(semi - p) : strlen(p);
		rc = check_type_param(p, n, err);
	}
out:
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
		rc = request_urlencoded_fields(body, n, lim->max_fields, &request_where_form,
		    &r->body_fields, err);
	} else if (strcmp(r->content_type, "application/json") == 0) {
		rc = request_parse_json(r, body, n, lim, err);
	} else if (upload && strcmp(r->content_type, "multipart/form-data") == 0) {
		rc = request_parse_multipart(r, body, n, ct, lim, err);
	} else if (r->content_type[0] == '\0') {
		rc = APIERR_UNSUPPORTED_MEDIA;
		buf_printf(err, "the request has a %zu-byte body but no content type; %s", n,
		    upload ? ACCEPTED_TYPES_UPLOAD : ACCEPTED_TYPES);
	} else {
		rc = APIERR_UNSUPPORTED_MEDIA;
		buf_printf(err, "content type ");
		request_err_quote(err, r->content_type, strlen(r->content_type));
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
	if ((rc = request_urlencoded_fields(r->query, strlen(r->query), lim->max_fields, &where_query,
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
