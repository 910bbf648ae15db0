/* postlist.h: the profile's lists of a user: their posts, their replies and what they liked,
 * newest first, a page at a time; and the user's own bookmarks, read the same way.
 *
 * Where the lists come from (docs/schema.md), each one index range on the user's shard:
 *   posts    tb_post idx_user_id (user_id, id): originals, quotes and reposts, not deleted
 *   replies  tb_user_reply (user_id, reply_id), then each reply from its thread's shard
 *   likes    tb_post_like idx_liker_id (liker_id, id), then each liked record from its shard
 *   bookmarks tb_bookmark idx_user_id (user_id, id), then each record (lib/social/bookmark.h):
 *            only ever the viewer's own (they are private; no route names another user)
 * Every item is shown as post_view shows it (post.h); a record deleted since the range was read,
 * or whose deletion the index row does not know of yet (tb_user_reply is written by a job, a
 * like outlives the record it names), is left out.
 *
 * Cursors are keyed by ID, never by offset: the next page is "IDs below the last one seen"
 * (the post's, the reply's, the like's or the bookmark's ID), so rows added between two requests (they have
 * higher IDs) can neither repeat an item nor push one past a page boundary. */
#ifndef STARLING_POSTLIST_H
#define STARLING_POSTLIST_H

#include "apierr.h"

#include <stdint.h>

#include <json-c/json.h>

struct ctx;

/* Items per page (the seed's page size). */
#define POSTLIST_PAGE 20

enum postlist_tab { POSTLIST_POSTS, POSTLIST_REPLIES, POSTLIST_LIKES, POSTLIST_BOOKMARKS };

/* One page of user_id's tab, as ctx->user_id (0: a visitor) may see it, below cursor (0: the
 * first page). *out (new reference) is {posts: [post_view objects], cursor: "<last ID>" or "-1"
 * on the last page}. On the first page of POSTLIST_POSTS the pinned post, if any, comes first
 * with "pinned": true, on top of the page's POSTLIST_PAGE rows (so that page may hold one more),
 * and it is not repeated further down on any page. A page may hold fewer than POSTLIST_PAGE items
 * (deleted ones are left out) and still not be the last.
 * Returns 0, or an apierr code recorded with ctx_fail (50300 when a database is down). The user
 * is not checked: the caller found user_id by its username. */
enum apierr postlist_page(struct ctx *ctx, uint64_t user_id, enum postlist_tab tab, uint64_t cursor,
    json_object **out);

#endif
