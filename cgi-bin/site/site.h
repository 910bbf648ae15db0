/* site.h: the handlers of starling-site, the binary for the site's own pages and health. */
#ifndef STARLING_SITE_H
#define STARLING_SITE_H

#include "apierr.h"

#include <stddef.h>

#include "app.h"

/* The binary: its name and route table (main.c). */
extern const struct app site_app;

enum apierr site_health(struct ctx *ctx);
enum apierr site_help(struct ctx *ctx);
enum apierr site_language(struct ctx *ctx);
enum apierr site_metrics(struct ctx *ctx);
enum apierr site_openapi(struct ctx *ctx);
enum apierr site_robots(struct ctx *ctx);

/* The text GET /robots.txt answers (robots.c), NUL-terminated. */
extern const char site_robots_txt[];

/* docs/openapi.json, compiled in by make (openapi_doc.c): its bytes, not NUL-terminated. */
extern const unsigned char site_openapi_doc[];
extern const size_t site_openapi_doc_len;

#endif
