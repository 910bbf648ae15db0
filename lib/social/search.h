/* search.h: finding posts, users and hashtags, and the hashtag timeline.
 *
 * Every search asks every shard and merges (docs/search.md):
 *   posts     InnoDB FULLTEXT on tb_post.search_text and tb_post_reply.search_text of each
 *             shard, one statement per shard (the query put through text_search_form,
 * lib/social/text.h,
 *             so CJK matches as it was indexed, then written as a boolean query where every term
 *             is required: search_boolean_query), posts, quotes and replies merged newest first,
 *             cursor = the last ID read, a post's or a reply's
 *   users     username prefix (tb_username_lookup's key) or display-name prefix (tb_user
 *             idx_display_name), case-insensitive, merged by lowercased username, cursor = the
 *             last lowercased username
 *   hashtags  tag-key prefix (tb_hashtag on every shard), the most used first
 *   hashtag   the posts and replies carrying a tag (tb_post_reply_hashtag on the tag's shard),
 *             newest first, cursor = the last record ID
 * Users in a block with the viewer (ctx->user_id), suspended users and deleted posts and replies
 * never appear; nor a quote whose original's author is in a block with the viewer, nor (in
 * search_posts) a reply whose thread's post is deleted. Posts and replies whose own author the
 * viewer mutes are left out of search_posts and search_hashtag_posts (as on the home timeline: a
 * quote of a muted author's post by someone else stays, original included); search_users still
 * finds a muted user, so the viewer can unmute them. Items left out make a page shorter, never
 * the last one: only cursor "-1" says that.
 *
 * Shards that do not answer (an instance down) are left out: the answer is what the others hold,
 * with "partial": true (so is an item whose card, mutes or blocks cannot be read: left out). Only
 * when no instance answers, or the one shard a hashtag lives on, is it 503.
 *
 * Prefixes are matched with LIKE, their % and _ escaped (search_like_prefix), so a typed
 * wildcard only matches itself.
 *
 * Return convention: APIERR_OK or an apierr code recorded with ctx_fail; the helpers at the end
 * say their own. */
#ifndef STARLING_SEARCH_H
#define STARLING_SEARCH_H

#include "apierr.h"

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "buf.h"
#include "db.h"

struct app_env;
struct ctx;

#define SEARCH_PAGE 20
/* Hashtags search_hashtags answers: a suggestion list, not a paged one. */
#define SEARCH_TAGS_MAX 10

/* {posts: [post_view objects: posts, quotes and replies], cursor}; cursor 0 for the first page.
 * 40004 "q: ..." for a query without a single searchable word (search_boolean_query answers 0). */
enum apierr search_posts(struct ctx *ctx, const char *q, uint64_t cursor, json_object **out);
/* {users: [{id, username, displayName, avatarUrl, description}], cursor}; cursor NULL or "" for
 * the first page, else a lowercased username from a previous page (40004 for anything else).
 * A leading '@' of q is ignored. */
enum apierr search_users(struct ctx *ctx, const char *q, const char *cursor, json_object **out);
/* {hashtags: [{tag, name, count}]}: at most SEARCH_TAGS_MAX tags whose key starts with q
 * (case-folded, a leading '#' ignored), the most used first; tags no live post uses are left
 * out. */
enum apierr search_hashtags(struct ctx *ctx, const char *q, json_object **out);
/* {tag, name, count, posts: [post_view objects], cursor}: 40004 for text that is not one
 * hashtag, 40400 for a tag never used. */
enum apierr search_hashtag_posts(struct ctx *ctx, const char *tag, uint64_t cursor, json_object **out);

/* The public card of user id, as lists show it: {id, username, displayName, avatarUrl,
 * description}. 1 with *out (new), 0 for a user that does not exist or is suspended (*out NULL),
 * -1 on failure. */
int search_user_card(struct app_env *env, uint64_t id, json_object **out);

/* Fills the search_text of shard's live replies that have none but have text: replies written
 * before sql/012_reply_search.sql added the column (post_reply writes it since). The search
 * form is made by text_prepare, as post_reply makes it. Safe while the site runs and when run
 * again (a reply deleted or filled meanwhile is left alone); starling-admin reindex-replies runs
 * it on every shard. Returns 0 with the rows written in *filled, or -1 on a database failure
 * (logged; *filled says how far it got). */
int search_reindex_replies(struct db *db, unsigned shard, size_t *filled);

/* Helpers, exposed for tests. */

/* Appends to out the InnoDB boolean-mode query for the n bytes of q: every term required (+),
 * a CJK word of two or more characters as the phrase of its "cj" bigrams, a single CJK character
 * as the prefix "cj<c>*", every other word (letters, marks, digits, '_') quoted. Words InnoDB
 * does not index (under 3 characters, its default stopwords) are dropped, since a required word
 * that is not in the index would match nothing. Returns the number of terms (0: nothing
 * searchable; out unchanged), or -1 for text that is not UTF-8. */
int search_boolean_query(const char *q, size_t n, struct buf *out);

/* Appends s (n bytes) to out as a LIKE pattern "starts with s" for ESCAPE '!': '!', '%' and '_'
 * escaped, then '%'. */
void search_like_prefix(const char *s, size_t n, struct buf *out);

#endif
