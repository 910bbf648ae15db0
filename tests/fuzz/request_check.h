/* request_check.h: the contract of request_parse (request.h), checked after every parse by the
 * request and json targets. */
#ifndef STARLING_REQUEST_CHECK_H
#define STARLING_REQUEST_CHECK_H

#include <stddef.h>

#include "buf.h"
#include "request.h"

/* Aborts unless r, rc and err are what request_parse may leave for a body of n bytes at body
 * under lim: every string set, a documented code, a one-line UTF-8 message exactly on error,
 * and on success only checked text (valid UTF-8, no NUL) within the limits. */
void request_check(const struct request *r, int rc, const struct buf *err, const char *body,
    size_t n, const struct request_limits *lim);

#endif
