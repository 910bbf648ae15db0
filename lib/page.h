/* page.h: what handlers that serve both a JSON route and a page share.
 *
 * A handler builds its data once; these helpers cover the few places where the two faces differ:
 * the page's title from the message catalog, and the end of a successful change (a page is sent
 * on with 303 See Other, the API answers the data). */
#ifndef STARLING_PAGE_H
#define STARLING_PAGE_H

#include <stdbool.h>

#include <json-c/json.h>

#include "app.h"

/* A new page object titled with the catalog's "<section>.title". Owned by the caller. */
json_object *page_new(struct ctx *ctx, const char *section);

/* The end of a successful change: a page is sent on to path (303; data is dropped), the API
 * answers data (NULL: "data": null). Takes data. Returns APIERR_OK. */
int page_done(struct ctx *ctx, const char *path, json_object *data);

/* Whether the request came through an HTML route. */
bool page_html(const struct ctx *ctx);

/* Whether p is a path on this site that a form may send the browser back to ("/p/1", not
 * "//evil.example", "/\\evil" or anything with a line break): the guard against open redirects
 * through a return_to field. */
bool page_local_path(const char *p);

#endif
