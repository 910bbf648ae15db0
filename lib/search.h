/* search.h: finding posts, users and hashtags, and the hashtag timeline.
 *
 * Every search asks every shard and merges (docs/search.md):
 *   posts     InnoDB FULLTEXT on tb_post.search_text of each shard (the query put through
 *             text_search_form, lib/text.h, so CJK matches as it was indexed), merged newest
 *             first, cursor = the last post ID
 *   users     username or display-name prefix (tb_user), merged by username, cursor = the last
 *             username
 *   hashtags  tag-key prefix (tb_hashtag on every shard), the most used first
 *   hashtag   the posts and replies carrying a tag (tb_post_reply_hashtag on the tag's shard),
 *             newest first, cursor = the last record ID
 * Users in a block with the viewer and deleted posts never appear.
 *
 * Return convention: APIERR_OK or an apierr code recorded with ctx_fail. */
#ifndef STARLING_SEARCH_H
#define STARLING_SEARCH_H

#include <stdint.h>

#include <json-c/json.h>

#include "app.h"

#define SEARCH_PAGE 20

/* {posts: [post_view objects], cursor} */
int search_posts(struct ctx *ctx, const char *q, uint64_t cursor, json_object **out);
/* {users: [{id, username, displayName, avatarUrl, description}], cursor}; cursor NULL or "" for
 * the first page. */
int search_users(struct ctx *ctx, const char *q, const char *cursor, json_object **out);
/* {hashtags: [{tag, name, count}]} */
int search_hashtags(struct ctx *ctx, const char *q, json_object **out);
/* {tag, name, posts: [post_view objects], cursor}: 40400 for a tag never used. */
int search_hashtag_posts(struct ctx *ctx, const char *tag, uint64_t cursor, json_object **out);

#endif
