/* response.h: what a request answers: status, headers, cookies and body, serialized once.
 *
 * Only the pipeline (app.c) writes bytes to the client, through response_serialize(). Security
 * headers are set in one place, response_security_headers(), not by handlers. Header values with
 * CR or LF are refused, so no input can split a response. */
#ifndef STARLING_RESPONSE_H
#define STARLING_RESPONSE_H

#include <stdbool.h>

#include <json-c/json.h>

#include "buf.h"
#include "kv.h"

struct response {
	int           status;
	struct kvlist headers;   /* in order; Set-Cookie may repeat */
	struct buf    body;
};

/* How a cookie is sent. Starling's cookies are always HttpOnly unless said otherwise, always
 * SameSite (Lax by default) and Secure whenever the site runs on HTTPS. */
struct cookie_opts {
	long        max_age;     /* seconds; 0 deletes the cookie; -1 lasts for the browser session */
	bool        script_readable; /* true drops HttpOnly (no Starling cookie needs it yet) */
	bool        secure;
	const char *same_site;   /* "Lax" (NULL) or "Strict" */
};

void response_init(struct response *r);
/* Empties the response for the next request (status 200, no headers, empty body). */
void response_reset(struct response *r);
void response_free(struct response *r);

/* Sets header name to value, replacing an earlier one of that name. Returns 0, or -1 (and sets
 * nothing) when the name or value holds CR, LF or NUL, or the name is not a token. */
int response_header(struct response *r, const char *name, const char *value);
/* Adds a Set-Cookie header. Names must be tokens; values must be cookie-octets (RFC 6265), which
 * Starling's own values always are (hex tokens, language codes). Returns 0 or -1. */
int response_cookie(struct response *r, const char *name, const char *value,
    const struct cookie_opts *opts);

/* Replaces the body with the JSON envelope {"code", "message", "data"} and sets the status from
 * code (apierr_status) and Content-Type. data is borrowed (NULL gives "data": null); message NULL
 * means the code's default message. IDs inside data must already be strings. */
void response_json(struct response *r, int code, const char *message, json_object *data);
/* Sets the status and Content-Type for an HTML body that the caller appends to r->body. */
void response_html(struct response *r, int status);
/* A redirect (301, 302, 303) to a local path or absolute URL; the body is empty. */
void response_redirect(struct response *r, int status, const char *location);

/* Adds the headers every response carries: X-Content-Type-Options, X-Frame-Options,
 * Referrer-Policy, a Content-Security-Policy (strict for JSON, 'self'-only for pages), Cache-Control
 * when the handler set none, and HSTS when https is true. */
void response_security_headers(struct response *r, bool html, bool https);

/* Writes the CGI response (Status line, headers, blank line, body unless head_only) to out. */
void response_serialize(const struct response *r, bool head_only, struct buf *out);

#endif
