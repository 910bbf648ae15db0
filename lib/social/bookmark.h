/* bookmark.h: a user's bookmarks, private to them: the write (add, remove). The list is read as a
 * tab of lib/social/postlist.h (POSTLIST_BOOKMARKS, the caller's own only) and what the viewer
 * bookmarked among a page's records with their likes and reposts (postview.h, viewer).
 *
 * Where rows live (sql/019_bookmarks.sql, docs/schema.md): tb_bookmark on the bookmarking user's
 * shard, one row per (user, record), its ID made at bookmark time: the list's newest-first cursor.
 * Nobody else reads it, so nothing is mirrored elsewhere and no job is queued.
 *
 * A deleted record, or one whose author and the user came to block each other, is left out of
 * every read (post_view_many's rules); its row is kept, as a like's is, and not removed by the
 * record's deletion: a row costs 40 bytes, and a later unblock shows the post again. */
#ifndef STARLING_BOOKMARK_H
#define STARLING_BOOKMARK_H

#include "apierr.h"

#include <stdbool.h>
#include <stdint.h>

struct ctx;

/* Bookmarks (on true) or removes the bookmark of record_id as ctx->user_id; both idempotent. A
 * repost stands for its original. Adding answers 404 (40400) for a missing or deleted record and
 * for one the user may not see (a block either way: post_view's rule); removing never refuses,
 * the record gone or not. Returns APIERR_OK or an apierr code recorded with ctx_fail (50300 when
 * the user's shard is down). */
enum apierr bookmark_set(struct ctx *ctx, uint64_t record_id, bool on);

#endif
