/* request_int.h: what the files of lib/http/request.c's parser share (request.c, request_form.c,
 * request_json.c, request_multipart.c). Internal: nothing outside those files includes it. */
#ifndef STARLING_REQUEST_INT_H
#define STARLING_REQUEST_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "kv.h"
#include "request.h"

/* How an urlencoded text is named in messages: query field "q", too many fields in the query. */
struct where {
	const char *whole;
	const char *field;
};
/* How form bodies are named in messages (request_form.c). */
extern const struct where request_where_form;

/* request.c: the small helpers (each function's contract is in its definition's comment). */

/* Appends n bytes of client input to err, quoted, cut to ECHO_MAX bytes, escaped. */
void request_err_quote(struct buf *err, const char *s, size_t n);
/* ASCII lowercase; optional whitespace (space, tab); [*s, *s + *n) narrowed to exclude it. */
char request_ascii_lower(char c);
bool request_is_ows(char c);
void request_trim(const char **s, size_t *n);

/* request_form.c: percent-decoding and urlencoded fields, named in messages after w. */
int request_decode_text(const char *s, size_t n, bool plus_is_space, struct buf *out,
    const struct where *w, bool is_name, const char *q, size_t qlen, struct buf *err);
int request_urlencoded_fields(const char *s, size_t n, size_t max_fields, const struct where *w,
    struct kvlist *out, struct buf *err);

/* The body's parsers, each a stage of request_parse: a request_parse code, a message in err. */
int request_parse_json(struct request *r, const char *body, size_t n,
    const struct request_limits *lim, struct buf *err);
int request_parse_multipart(struct request *r, const char *body, size_t n, const char *ct,
    const struct request_limits *lim, struct buf *err);

#endif
