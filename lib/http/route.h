/* route.h: a binary's route table, path matching, and typed, whitelisted parameters.
 *
 * Each binary declares its routes up front (method, path pattern, flags, handler, parameters).
 * The pipeline in app.c matches the request against the table, then builds the parameters: only
 * the declared ones, each checked against its type and range, anything else dropped. Handlers
 * therefore never see an unchecked or undeclared input, and never re-check the flags. */
#ifndef STARLING_ROUTE_H
#define STARLING_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "apierr.h"
#include "kv.h"
#include "request.h"

struct ctx;
typedef enum apierr (*route_handler)(struct ctx *ctx);

enum param_type {
	PARAM_STRING,  /* valid UTF-8 (already checked); min..max code points */
	PARAM_INT,     /* decimal integer in min..max */
	PARAM_ID,      /* a 64-bit id: decimal digits, 1 .. 2^64-1 (JSON numbers or strings) */
	PARAM_BOOL,    /* 1/0, true/false */
	PARAM_ENUM,    /* one of choices */
	PARAM_CURSOR,  /* a list's page: "" (the first), an ID (below it), or ROUTE_CURSOR_END */
};

/* The cursor of the page after the last one: every list answers it with an empty page, and
 * gives it as the next cursor when no more exists (docs/api.md, "Paging"). */
#define ROUTE_CURSOR_END "-1"

#define PARAM_REQUIRED 0x1u

struct param_spec {
	const char         *name;
	enum param_type     type;
	unsigned            flags;
	long                min, max;  /* STRING: length in code points; INT: value */
	const char *const  *choices;   /* ENUM: NULL-terminated */
};

/* The end of a param_spec array. */
#define PARAM_END { NULL, PARAM_STRING, 0, 0, 0, NULL }

/* The most parameters one route may declare. */
#define ROUTE_MAX_PARAMS 24

/* Route flags, enforced once by the pipeline. */
#define ROUTE_AUTH 0x1u  /* needs a logged-in user: 401 otherwise */
#define ROUTE_CSRF 0x2u  /* a form post: needs the CSRF token (403 otherwise) */
#define ROUTE_HTML 0x4u  /* answers an HTML page through tmpl; otherwise the JSON envelope */
#define ROUTE_RETRY 0x8u /* a form whose failure (4xx) shows its page again, built by the GET
                          * route of the same template, with page.error and page.input */
#define ROUTE_RAW 0x10u    /* the body is not parsed: the handler reads ctx->req.body, body_len
                          * and content_type; parameters come from the query whatever the
                          * method. May be as large as ROUTE_UPLOAD's. */
#define ROUTE_UPLOAD 0x20u /* also takes multipart/form-data (request_file); the body may be up
                            * to max([http] max_body_bytes, [media] max_video_bytes + 64 KiB) */
#define ROUTE_SIGNED 0x40u /* the URL carries its own authorization (a signed upload link): no
                            * login is looked up, so a session cookie sent along neither
                            * identifies anyone nor calls for a CSRF token */
#define ROUTE_NOSHED 0x80u /* never refused by load shedding (health: it must say what is wrong
                          * when the site is busiest) */
#define ROUTE_ESSENTIAL 0x100u /* never refused by an operator's switch (switches.h): health,
                               * so monitors see the truth; login and logout, so that people can
                               * still log in to read while read_only or anon_shed is on */

struct route {
	enum http_method          method;   /* HTTP_GET also answers HEAD */
	const char               *pattern;  /* "/api/v1/health", "/u/:username" */
	unsigned                  flags;
	route_handler             handler;
	const struct param_spec  *params;   /* NULL or ended by PARAM_END */
	const char               *tmpl;     /* the page template of an HTML route */
};

struct param {
	const char      *name;   /* the spec's name (static) */
	enum param_type  type;
	const char      *str;    /* the value as sent, borrowed from the request */
	long long        num;    /* INT and BOOL */
	uint64_t         id;     /* ID */
};

struct params {
	struct param items[ROUTE_MAX_PARAMS];
	size_t       n;
};

/*
 * Finds the route for method and path. Captures (":name" segments, each one whole non-empty
 * segment) are added to captures. Returns APIERR_OK with *found set; APIERR_NOT_FOUND when no
 * pattern matches the path; APIERR_METHOD_NOT_ALLOWED when some pattern matches it but not for
 * this method, with the allowed methods ("GET, HEAD") in allow.
 */
int route_match(const struct route *routes, size_t n, enum http_method method, const char *path,
    const struct route **found, struct kvlist *captures, struct buf *allow);

/*
 * Builds the declared parameters of route r from the request: the query for GET and HEAD, the
 * body for other methods. Returns APIERR_OK, or APIERR_MISSING_PARAM / APIERR_INVALID_PARAM with
 * a message naming the parameter and the rule it broke. The values are borrowed from req.
 */
int route_params(const struct route *r, const struct request *req, struct params *out,
    struct buf *err);

/* An ID as PARAM_ID takes it (decimal digits only, 1 .. 2^64-1), for path captures: true with
 * *out, or false. */
bool route_parse_id(const char *s, uint64_t *out);

/* Lookups in built parameters: NULL / 0 / false when the parameter was not sent. */
const struct param *params_get(const struct params *p, const char *name);
const char *params_str(const struct params *p, const char *name);
long long params_int(const struct params *p, const char *name, long long def);
uint64_t params_id(const struct params *p, const char *name);
bool params_bool(const struct params *p, const char *name, bool def);
/* A PARAM_CURSOR: true when it is ROUTE_CURSOR_END (past the last page: answer an empty one);
 * otherwise false with *below the ID the page starts under (0: the first page, also when the
 * parameter was not sent). */
bool params_cursor(const struct params *p, const char *name, uint64_t *below);

#endif
