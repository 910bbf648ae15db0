/* app.h: a Starling binary: its process-lifetime resources, the request pipeline every route goes
 * through, and app_main, which runs it in the FastCGI / CGI loop (loop.h).
 *
 * A binary's main() is one line: return app_main(&my_app, argc, argv). app_main loads the
 * configuration, templates and catalogs (any error stops start-up, never a request), then answers
 * requests under FastCGI, or one request under plain CGI, through app_handle():
 *
 *   parse (400/413/414/415/431) → route (404/405) → parameters (400) → login (401)
 *   → the operators' switches (503: read_only, anon_shed; switches.h) → CSRF for forms (403)
 *   → handler → JSON envelope or HTML page → security headers (Retry-After on a 503) → reset
 *
 * The top of the library's layers: the pipeline calls the domain modules (login, the page header's
 * user and badge, media jobs). The request context and the handlers' helpers are ctx.h's, which
 * the domain modules use; no other header under lib/ includes this one (tests/tools/headers.sh).
 * For the binaries' handlers it also includes the base, store and HTTP headers they use. */
#ifndef STARLING_APP_H
#define STARLING_APP_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "buf.h"
#include "cache.h"
#include "conf.h"
#include "csrf.h"
#include "ctx.h"
#include "db.h"
#include "i18n.h"
#include "idlease.h"
#include "jwt.h"
#include "mail.h"
#include "media.h"
#include "metrics.h"
#include "kv.h"
#include "request.h"
#include "response.h"
#include "route.h"
#include "switches.h"
#include "tmpl.h"

/* Runs a binary: returns its exit status (0 after a clean shutdown on SIGTERM or SIGUSR1). */
int app_main(const struct app *app, int argc, char **argv);

/* Loads the configuration at conf_path, the templates and catalogs, and prepares (without
 * connecting) the database and cache clients. Checks that every HTML route of app has its
 * template. Returns NULL with a message in err on any problem. */
struct app_env *app_env_new(const struct app *app, const char *conf_path, struct buf *err);
void app_env_free(struct app_env *env);

/* The most body bytes the request in envp (not parsed yet) may send, for its reader: a declared
 * length over it is not read at all. The route's limit ([http] max_body_bytes, larger for
 * uploads), except that a route that needs login takes more than max_body_bytes only from a
 * caller whose token is good (checked here, before the body arrives). */
size_t app_body_limit(struct ctx *ctx, char *const *envp);

/*
 * Runs one request through the pipeline and appends the complete CGI response to out; the context
 * is reset afterwards. envp is the CGI environment (NULL-terminated "NAME=value"). body_len bytes
 * of body were read; when the declared length was over app_body_limit the body was not read at
 * all: then body is NULL and body_len the declared length, and the answer is 413, or 401 when
 * the route would have taken that much from a logged-in caller.
 */
void app_handle(struct ctx *ctx, char *const *envp, const char *body, size_t body_len,
    struct buf *out);

#endif
