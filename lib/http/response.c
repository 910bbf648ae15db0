/* response.c: status, headers, cookies, the JSON envelope, and serialization. */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "apierr.h"
#include "response.h"

void
response_init(struct response *r)
{
	r->status = 200;
	memset(&r->headers, 0, sizeof r->headers);
	buf_init(&r->body);
}

void
response_reset(struct response *r)
{
	r->status = 200;
	kvlist_reset(&r->headers);
	buf_reset(&r->body);
}

void
response_free(struct response *r)
{
	if (r == NULL)
		return;
	kvlist_free(&r->headers);
	buf_free(&r->body);
}

/* RFC 9110 token characters. */
static bool
is_token(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= 0x20 || c >= 0x7f || strchr("()<>@,;:\\\"/[]?={}", c) != NULL)
			return false;
	}
	return true;
}

/* RFC 9110 field values: no control characters but horizontal tab. */
static bool
is_header_value(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return false;
	}
	return true;
}

/* RFC 6265 cookie-octet: printable ASCII but for space, '"', ',', ';' and '\'. */
static bool
is_cookie_value(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= 0x20 || c >= 0x7f || c == '"' || c == ',' || c == ';' || c == '\\')
			return false;
	}
	return true;
}

int
response_header(struct response *r, const char *name, const char *value)
{
	if (!is_token(name) || !is_header_value(value))
		return -1;
	if (strcasecmp(name, "Set-Cookie") == 0)
		kvlist_add(&r->headers, name, value, strlen(value));
	else
		kvlist_set_ci(&r->headers, name, value);
	return 0;
}

int
response_cookie(struct response *r, const char *name, const char *value,
    const struct cookie_opts *opts)
{
	struct buf line = BUF_INIT;
	int rc;

	if (!is_token(name) || !is_cookie_value(value))
		return -1;
	buf_printf(&line, "%s=%s; Path=/", name, value);
	if (opts->max_age >= 0)
		buf_printf(&line, "; Max-Age=%ld", opts->max_age);
	if (!opts->script_readable)
		buf_puts(&line, "; HttpOnly");
	if (opts->secure)
		buf_puts(&line, "; Secure");
	buf_printf(&line, "; SameSite=%s", opts->same_site ? opts->same_site : "Lax");
	rc = response_header(r, "Set-Cookie", buf_cstr(&line));
	buf_free(&line);
	return rc;
}

void
response_json(struct response *r, int code, const char *message, json_object *data)
{
	json_object *env = json_object_new_object();

	json_object_object_add(env, "code", json_object_new_int(code));
	json_object_object_add(env, "message",
	    json_object_new_string(message ? message : apierr_message(code)));
	/* json_object_get: the envelope takes a reference, the caller keeps its own. */
	json_object_object_add(env, "data", code == APIERR_OK ? json_object_get(data) : NULL);
	r->status = apierr_status(code);
	buf_reset(&r->body);
	/* Default flags escape '/', so "</script>" in a value can never close a script element. */
	buf_puts(&r->body, json_object_to_json_string_ext(env, JSON_C_TO_STRING_PLAIN));
	buf_putc(&r->body, '\n');
	json_object_put(env);
	response_header(r, "Content-Type", "application/json; charset=utf-8");
}

void
response_html(struct response *r, int status)
{
	r->status = status;
	response_header(r, "Content-Type", "text/html; charset=utf-8");
}

void
response_redirect(struct response *r, int status, const char *location)
{
	r->status = status;
	buf_reset(&r->body);
	if (response_header(r, "Location", location) != 0)
		response_header(r, "Location", "/");
}

void
response_security_headers(struct response *r, bool html, bool https)
{
	response_header(r, "X-Content-Type-Options", "nosniff");
	response_header(r, "X-Frame-Options", "DENY");
	response_header(r, "Referrer-Policy", "strict-origin-when-cross-origin");
	if (html)
		/* Pages load only their own CSS and scripts; media may come from the object store
		 * over https. No inline script or style is allowed, so injected markup cannot run. */
		response_header(r, "Content-Security-Policy",
		    "default-src 'self'; img-src 'self' https: data:; media-src 'self' https:; "
		    "style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; "
		    "form-action 'self'; frame-ancestors 'none'");
	else
		response_header(r, "Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
	if (kvlist_get_ci(&r->headers, "Cache-Control") == NULL)
		/* Responses are per user; a shared cache must never keep one. */
		response_header(r, "Cache-Control", "no-store");
	if (https)
		response_header(r, "Strict-Transport-Security", "max-age=31536000; includeSubDomains");
}

void
response_serialize(const struct response *r, bool head_only, struct buf *out)
{
	size_t i;

	buf_printf(out, "Status: %d %s\r\n", r->status, apierr_reason(r->status));
	for (i = 0; i < r->headers.n; i++)
		buf_printf(out, "%s: %s\r\n", r->headers.items[i].name, r->headers.items[i].value);
	buf_printf(out, "Content-Length: %zu\r\n\r\n", r->body.len);
	if (!head_only)
		buf_append(out, r->body.data ? r->body.data : "", r->body.len);
}
