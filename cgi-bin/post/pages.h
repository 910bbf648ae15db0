/* pages.h: starling-post's pages: the compose page (/compose) and the post page
 * (/p/:id) with the forms that act on a post (/p/:id/like, repost, undo_repost, pin, delete,
 * report, reply, quote). Every form carries the CSRF token and, on success, sends the browser on
 * (303); a refused form shows its page again with the message and what was typed (ROUTE_RETRY).
 * The rules are lib/post.c's, the same as the API's. */
#ifndef STARLING_POST_PAGES_H
#define STARLING_POST_PAGES_H

#include "app.h"

int pages_compose(struct ctx *ctx);
int pages_compose_send(struct ctx *ctx);
int pages_post(struct ctx *ctx);
int pages_like(struct ctx *ctx);
int pages_repost(struct ctx *ctx);
int pages_undo_repost(struct ctx *ctx);
int pages_pin(struct ctx *ctx);
int pages_delete(struct ctx *ctx);
int pages_report(struct ctx *ctx);
int pages_reply(struct ctx *ctx);
int pages_quote(struct ctx *ctx);
/* GET /u/:username?tab=posts|replies|likes&cursor: a profile with its tabs. */
int pages_user(struct ctx *ctx);

#endif
