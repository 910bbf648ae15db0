/* render.h: the render stage of the pipeline (app.h): what the handler built, or the error it
 * reported, as the JSON envelope or as an HTML page (the route's template inside the layout).
 *
 * Above the domain modules: a page's header shows the logged-in user (user.h) and the badge of
 * unread notifications (notify.h). */
#ifndef STARLING_RENDER_H
#define STARLING_RENDER_H

#include <stdbool.h>

struct ctx;

/* Whether the answer is the JSON envelope: the route says so; without a route (a request that
 * failed before routing), anything under /api/ is. envp is the request's CGI environment. */
bool render_wants_json(const struct ctx *ctx, char *const *envp);

/* Writes the answer to code (APIERR_OK or the code the stages returned) into ctx->resp: the
 * envelope or the page (html: !render_wants_json) for a success, a redirect left as it is, an
 * error in the route's format, or, for a handler that wrote its own body (ctx->body_ready),
 * nothing. A page that cannot be rendered becomes a 500 (logged). */
void render_response(struct ctx *ctx, char *const *envp, int code, bool html);

#endif
