/* tmpl.h: Mustache templates, compiled once at start-up, rendered from json-c data.
 *
 * Semantics follow the Mustache spec (https://github.com/mustache/spec), minus lambdas and
 * set-delimiter tags (which Starling's templates never need):
 *   {{name}}            HTML-escaped: & < > " ' ` = become entities (' and " too, so a value is
 *                       safe inside a quoted or unquoted attribute)
 *   {{{name}}} {{&name}} raw, unescaped. Rare and loudly named in templates; review each one.
 *   {{a.b.c}}           dotted names; {{.}} the current item
 *   {{#name}}..{{/name}} section: over each item of an array, into an object, once for a true
 *                       scalar; skipped for false, null, "", 0 and empty arrays (see tmpl.c)
 *   {{^name}}..{{/name}} inverted section: rendered when name is missing, false, null or empty
 *   {{! comment }}      dropped
 *   {{> partial}}       another template of the same set, by name, with the current context
 * Names are looked up through the context stack, innermost first, as the spec says. Numbers render
 * as json-c prints them; booleans as "true"/"false"; null and missing names as nothing.
 * Standalone tags (alone on their line) do not leave blank lines behind, as the spec says.
 *
 * Error messages are appended to err (which may be NULL), as everywhere in lib/.
 * {{name}} of an object or array prints nothing (dumping it could leak fields such as an email);
 * handlers pass display numbers as preformatted strings.
 *
 * A template's name is its path under the set's directory without ".mustache":
 * templates/partials/header.mustache is "partials/header". */
#ifndef STARLING_TMPL_H
#define STARLING_TMPL_H

#include <stddef.h>

#include <json-c/json.h>

#include "buf.h"

struct tmpl_set;

/* Compiles every *.mustache file under dir (recursively). Any syntax error (an unclosed tag or
 * section, a mismatched {{/name}}) or a partial that names no template of the set fails the whole
 * load: returns NULL with a message in err naming the file, the line and the problem. The caller
 * frees the set with tmpl_set_free. */
struct tmpl_set *tmpl_set_load(const char *dir, struct buf *err);

/* An empty set, for tmpl_set_add. */
struct tmpl_set *tmpl_set_new(void);
/* Compiles one template from memory and adds it to set under name (for tests and tools),
 * replacing one of the same name; a failed compile leaves the old one in place. Partials it names
 * are resolved at render time. Returns 0, or -1 with a message in err. */
int tmpl_set_add(struct tmpl_set *set, const char *name, const char *src, size_t len,
    struct buf *err);

/* True when the set holds a template of that name. */
int tmpl_set_has(const struct tmpl_set *set, const char *name);

/* Renders template name with ctx (any json-c value; NULL means an empty context), appending to out.
 * Returns 0, or -1 with a message in err (an unknown template or partial, or partials nested more
 * than 32 deep, which only a recursive partial can reach). out may hold partial output then. */
int tmpl_render(const struct tmpl_set *set, const char *name, json_object *ctx, struct buf *out,
    struct buf *err);

/* Appends s (n bytes) HTML-escaped as {{name}} does. */
void tmpl_escape_html(struct buf *out, const char *s, size_t n);

void tmpl_set_free(struct tmpl_set *set);

#endif
