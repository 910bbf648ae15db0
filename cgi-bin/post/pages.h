/* pages.h: starling-post's pages: the compose page (/compose), the post page (/p/:id) with the
 * forms that act on a post (/p/:id/act: a card's like, repost and bookmark buttons; like, repost,
 * undo_repost, pin, delete, report, reply, quote), and the profile (/u/:username) with its forms (follow, block, mute, report) and its
 * lists of people (/u/:username/following, /followers). Every form carries the CSRF token and,
 * on success, sends the browser on (303); a refused form shows its page again with the message
 * and what was typed (ROUTE_RETRY). The rules are lib/social/post.c's and lib/social/graph.c's, the
 * same as the API's. */
#ifndef STARLING_POST_PAGES_H
#define STARLING_POST_PAGES_H

#include "apierr.h"

#include "app.h"

enum apierr pages_compose(struct ctx *ctx);
enum apierr pages_compose_send(struct ctx *ctx);
enum apierr pages_post(struct ctx *ctx);
enum apierr pages_like(struct ctx *ctx);
enum apierr pages_act(struct ctx *ctx);
enum apierr pages_repost(struct ctx *ctx);
enum apierr pages_undo_repost(struct ctx *ctx);
enum apierr pages_pin(struct ctx *ctx);
enum apierr pages_delete(struct ctx *ctx);
enum apierr pages_report(struct ctx *ctx);
enum apierr pages_reply(struct ctx *ctx);
enum apierr pages_quote(struct ctx *ctx);
/* GET /u/:username?tab=posts|replies|likes&cursor&reported: a profile with its tabs and, for
 * a logged-in viewer who is not its owner, the forms below in the state the viewer is in. */
enum apierr pages_user(struct ctx *ctx);
enum apierr pages_user_feed(struct ctx *ctx);
/* POST /u/:username/follow, block, mute {flag: 1 or 0, return_to} and report {report_reason,
 * return_to}: lib/social/graph.h's rules, the same as the API's (user/follow ...). A report goes
 * back to the profile with ?reported=1 (the page thanks the user). */
enum apierr pages_user_follow(struct ctx *ctx);
enum apierr pages_user_block(struct ctx *ctx);
enum apierr pages_user_mute(struct ctx *ctx);
enum apierr pages_user_report(struct ctx *ctx);
/* GET /u/:username/following and /followers ?cursor: a page of people (graph_list: the API's
 * cursors, users in a block pair with the viewer left out). 404 naming an unknown user. */
enum apierr pages_following(struct ctx *ctx);
enum apierr pages_followers(struct ctx *ctx);
/* GET /bookmarks ?cursor: the viewer's own bookmarks as cards (bookmarks.c). */
enum apierr pages_bookmarks(struct ctx *ctx);
/* GET /p/:id/likes and /p/:id/reposts ?cursor: who liked and who reposted it (people.c). */
enum apierr pages_likers(struct ctx *ctx);
enum apierr pages_reposters(struct ctx *ctx);

#endif
