/* discover.c: hashtag pages, search, trends and popular users, as JSON and as pages (feed.h).
 *
 * The rules are in lib/social/search.c and lib/social/trend.c; this file reads the parameters,
 * turns the lists into cards for the pages (lib/app/card.h) and builds the links. Cursors: a first
 * page has none (or an empty one), a later page the "cursor" of the one before, and "-1" (the last
 * page's cursor) answers an empty page. */
#include "config.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "apierr.h"
#include "card.h"
#include "feed.h"
#include "page.h"
#include "partial.h"
#include "post.h"
#include "search.h"
#include "trend.h"

/* Below every ID: the search asked with it finds nothing, which is what "-1" means. */
#define CURSOR_END 1

static void
add_str(json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, json_object_new_string(value));
}

/* The "cursor" parameter of an ID-keyed list: APIERR_OK with *id (0 for the first page,
 * CURSOR_END for "-1"), or 40004. */
static int
id_cursor(struct ctx *ctx, uint64_t *id)
{
	const char *c = params_str(&ctx->params, "cursor");

	*id = 0;
	if (c == NULL || *c == '\0')
		return APIERR_OK;
	if (strcmp(c, ROUTE_CURSOR_END) == 0) {
		*id = CURSOR_END;
		return APIERR_OK;
	}
	if (!route_parse_id(c, id))
		return ctx_fail(ctx, APIERR_INVALID_PARAM, "cursor: an ID from the previous page, or "
		    "-1");
	return APIERR_OK;
}

/* Adds "url": "/hashtag/<key>" to each {tag, ...} of a list. */
static void
add_tag_urls(json_object *tags)
{
	struct buf url = BUF_INIT;
	size_t i, n = tags ? json_object_array_length(tags) : 0;

	for (i = 0; i < n; i++) {
		json_object *t = json_object_array_get_idx(tags, i);

		buf_reset(&url);
		buf_puts(&url, "/hashtag/");
		buf_put_url_component(&url, json_object_get_string(json_object_object_get(t, "tag")));
		add_str(t, "url", buf_cstr(&url));
	}
	buf_free(&url);
}

/* ---------------------------------------------------------------------------------------------
 * JSON routes. */

/* GET /api/v1/timeline/hashtag ?tag&cursor: 200 {tag, name, count, posts, cursor}; 400 40004 a
 * malformed cursor or tag, 40005 no tag; 404 40400 a tag never used; 503. */
enum apierr
feed_timeline_hashtag(struct ctx *ctx)
{
	json_object *out = NULL;
	uint64_t cursor;
	int rc;

	if ((rc = id_cursor(ctx, &cursor)) != APIERR_OK ||
	    (rc = search_hashtag_posts(ctx, params_str(&ctx->params, "tag"), cursor, &out)) !=
	    APIERR_OK)
		return rc;
	post_add_images(ctx, out);
	ctx_set_data(ctx, out);
	return APIERR_OK;
}

/* The operators' search_off switch (lib/store/switches.h): every search route answers 503 (50310)
 * while it is on. APIERR_OK when search runs. */
static int
search_paused(struct ctx *ctx)
{
	if (!switches_on(ctx->env->switches, SWITCH_SEARCH_OFF))
		return APIERR_OK;
	return ctx_fail(ctx, APIERR_PAUSED, "search is paused by the operators for a while, to "
	    "keep the rest of the site up; try again later");
}

/* GET /api/v1/search/posts ?q&cursor: 200 {posts, cursor}; 400 40004 a malformed cursor or a
 * query without a searchable word, 40005 no q; 503 (50310 while search_off is on). */
enum apierr
feed_search_posts(struct ctx *ctx)
{
	json_object *out = NULL;
	uint64_t cursor;
	int rc;

	if ((rc = search_paused(ctx)) != APIERR_OK || (rc = id_cursor(ctx, &cursor)) != APIERR_OK ||
	    (rc = search_posts(ctx, params_str(&ctx->params, "q"), cursor, &out)) != APIERR_OK)
		return rc;
	post_add_images(ctx, out);
	ctx_set_data(ctx, out);
	return APIERR_OK;
}

/* The users search of the API and the page: "-1" answers the empty last page. */
static int
users_page(struct ctx *ctx, const char *q, json_object **out)
{
	const char *c = params_str(&ctx->params, "cursor");

	if (c != NULL && strcmp(c, ROUTE_CURSOR_END) == 0) {
		*out = json_object_new_object();
		json_object_object_add(*out, "users", json_object_new_array());
		add_str(*out, "cursor", ROUTE_CURSOR_END);
		return APIERR_OK;
	}
	return search_users(ctx, q, c, out);
}

/* GET /api/v1/search/users ?q&cursor: 200 {users, cursor}; 400 40004 a malformed cursor, 40005
 * no q; 503 (50310 while search_off is on). */
enum apierr
feed_search_users(struct ctx *ctx)
{
	json_object *out = NULL;
	int rc = search_paused(ctx);

	if (rc == APIERR_OK)
		rc = users_page(ctx, params_str(&ctx->params, "q"), &out);
	if (rc != APIERR_OK)
		return rc;
	ctx_set_data(ctx, out);
	return APIERR_OK;
}

/* GET /api/v1/search/hashtags ?q: 200 {hashtags}; 400 40004 nothing left of q after '#', 40005
 * no q; 503 (50310 while search_off is on). */
enum apierr
feed_search_hashtags(struct ctx *ctx)
{
	json_object *out = NULL;
	int rc = search_paused(ctx);

	if (rc == APIERR_OK)
		rc = search_hashtags(ctx, params_str(&ctx->params, "q"), &out);
	if (rc != APIERR_OK)
		return rc;
	ctx_set_data(ctx, out);
	return APIERR_OK;
}

/* GET /api/v1/trends/hashtags: 200 {hashtags}; 503. */
enum apierr
feed_trends_hashtags(struct ctx *ctx)
{
	json_object *out = NULL;
	int rc = trend_hashtags(ctx, &out);

	if (rc != APIERR_OK)
		return rc;
	ctx_set_data(ctx, out);
	return APIERR_OK;
}

/* GET /api/v1/trends/users: 200 {users} ("partial": true when some users could not be read);
 * 503. */
enum apierr
feed_trends_users(struct ctx *ctx)
{
	json_object *out = NULL;
	int rc = trend_users(ctx, &out);

	if (rc != APIERR_OK)
		return rc;
	ctx_set_data(ctx, out);
	return APIERR_OK;
}

/* ---------------------------------------------------------------------------------------------
 * Pages. */

/* page.posts (the cards of list.posts), page.olderUrl (base + the list's cursor, unless it is
 * the last page) and page.partial. */
static int
add_cards(struct ctx *ctx, json_object *page, json_object *list, const char *base)
{
	json_object *cards = NULL, *posts = NULL;
	bool partial = partial_of(list);
	int rc;

	(void)json_object_object_get_ex(list, "posts", &posts);
	if ((rc = card_list(ctx, posts, 0, &cards, &partial)) != APIERR_OK)
		return rc;
	json_object_object_add(page, "posts", cards);
	partial_mark(page, partial);
	page_older_link(page, list, base);
	return APIERR_OK;
}

/* The words after a count of the explore lists, by the member that holds the count. */
static const struct page_words tag_words[] = {
	{ "users", "explore.people" }, { "uses", "explore.uses" }, { NULL, NULL },
};
static const struct page_words user_words[] = {
	{ "followers", "explore.followers" }, { "newFollowers", "explore.new_followers" },
	{ NULL, NULL },
};
/* The "count" of uses of the hashtag page, and of the search's hashtags. */
static const struct page_words use_words[] = {
	{ "count", "counts.uses" }, { NULL, NULL },
};
static const struct page_words search_use_words[] = {
	{ "count", "counts.search_uses" }, { NULL, NULL },
};

/* item.words of every item of list: the words after each count, in the plural form for it in
 * the request's language ("1 person", "2 people"), which a template cannot choose. */
static void
add_count_words(struct ctx *ctx, json_object *list, const struct page_words *w)
{
	size_t i, n = json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;

	for (i = 0; i < n; i++)
		page_add_words(ctx, json_object_array_get_idx(list, i), w);
}

/* page.meta of a hashtag's page (path: its own, "/hashtag/<tag>"): "#Tag: 12 uses". */
static void
hashtag_meta(struct ctx *ctx, json_object *page, const char *path)
{
	struct buf text = BUF_INIT;
	const char *title = json_object_get_string(json_object_object_get(page, "title"));

	buf_printf(&text, "%s: %s %s", title,
	    json_object_get_string(json_object_object_get(page, "count")),
	    json_object_get_string(json_object_object_get(json_object_object_get(page, "words"),
	    "count")));
	page_add_meta(ctx, page, &(struct page_meta){
		.title = title, .text = buf_cstr(&text), .path = path, .type = "website",
	});
	buf_free(&text);
}

/* GET /hashtag/:tag ?cursor: the tag's posts and replies, newest first, as cards, with an
 * "Older" link. 400 40004 text that is not a hashtag; 404 40400 a tag never used; 503. */
enum apierr
feed_hashtag_page(struct ctx *ctx)
{
	json_object *list = NULL, *page = NULL;
	struct buf base = BUF_INIT, title = BUF_INIT, feed = BUF_INIT;
	const char *tag = ctx_capture(ctx, "tag");
	int rc;

	if ((rc = search_hashtag_posts(ctx, tag ? tag : "", params_id(&ctx->params, "cursor"),
	    &list)) != APIERR_OK)
		goto out;
	page = page_new(ctx, "hashtag");
	buf_printf(&title, "#%s", json_object_get_string(json_object_object_get(list, "name")));
	add_str(page, "title", buf_cstr(&title));
	json_object_object_add(page, "tag", json_object_get(json_object_object_get(list, "tag")));
	json_object_object_add(page, "count",
	    json_object_get(json_object_object_get(list, "count")));
	page_add_words(ctx, page, use_words);
	buf_puts(&base, "/hashtag/");
	buf_put_url_component(&base, json_object_get_string(json_object_object_get(list, "tag")));
	buf_printf(&feed, "%s/feed.atom", buf_cstr(&base));
	add_str(page, "feedUrl", buf_cstr(&feed));
	hashtag_meta(ctx, page, buf_cstr(&base));
	if ((rc = add_cards(ctx, page, list, buf_cstr(&base))) != APIERR_OK)
		goto out;
	ctx_set_data(ctx, page);
	page = NULL;
out:
	json_object_put(page);
	json_object_put(list);
	buf_free(&base);
	buf_free(&title);
	buf_free(&feed);
	return rc;
}

/* GET /search ?q&type=posts|users&cursor: the form, and with q its results: posts as cards (and
 * the hashtags starting with q above them) or users with links to their profiles, each with an
 * "Older" link. A query with nothing searchable, or a malformed cursor, shows the form with why,
 * not an error page. 400 40004 another type (the route's check); 503. While search_off is on,
 * the form with the notice (page.paused) and no results, answered 503 when q was given. */
enum apierr
feed_search_page(struct ctx *ctx)
{
	const char *q = params_str(&ctx->params, "q"), *type = params_str(&ctx->params, "type");
	json_object *page = page_new(ctx, "search"), *list = NULL, *tags = NULL, *v;
	struct buf base = BUF_INIT;
	bool users = type != NULL && strcmp(type, "users") == 0;
	uint64_t cursor;
	int rc = APIERR_OK;

	add_str(page, "q", q ? q : "");
	json_object_object_add(page, users ? "typeUsers" : "typePosts",
	    json_object_new_boolean(true));
	if (switches_on(ctx->env->switches, SWITCH_SEARCH_OFF)) {
		json_object_object_add(page, "paused", json_object_new_boolean(true));
		if (q != NULL && *q != '\0')
			ctx->resp.status = 503;
		goto done;
	}
	if (q == NULL || *q == '\0')
		goto done;
	json_object_object_add(page, "searched", json_object_new_boolean(true));
	buf_puts(&base, "/search?q=");
	buf_put_url_component(&base, q);
	buf_printf(&base, "&type=%s", users ? "users" : "posts");
	if (users) {
		if ((rc = users_page(ctx, q, &list)) != APIERR_OK)
			goto refused;
		json_object_object_add(page, "users",
		    json_object_get(json_object_object_get(list, "users")));
		partial_mark(page, partial_of(list));
		page_older_link(page, list, buf_cstr(&base));
		goto done;
	}
	if ((rc = id_cursor(ctx, &cursor)) != APIERR_OK ||
	    (rc = search_posts(ctx, q, cursor, &list)) != APIERR_OK)
		goto refused;
	if ((rc = add_cards(ctx, page, list, buf_cstr(&base))) != APIERR_OK)
		goto out;
	/* The tags that start with the query, on its first page: a way to the hashtag pages. A
	 * query that is no tag prefix simply has none. */
	if (cursor == 0) {
		if (search_hashtags(ctx, q, &tags) == APIERR_OK) {
			v = json_object_object_get(tags, "hashtags");
			add_tag_urls(v);
			add_count_words(ctx, v, search_use_words);
			if (json_object_array_length(v) > 0)
				json_object_object_add(page, "tagBox", json_object_get(tags));
		} else {
			buf_reset(&ctx->message);
		}
	}
	goto done;
refused:
	if (rc != APIERR_INVALID_PARAM)
		goto out;
	/* The words typed, refused: shown with the form, which is where they can be changed. */
	add_str(page, "error", buf_cstr(&ctx->message));
	buf_reset(&ctx->message);
	rc = APIERR_OK;
done:
	ctx_set_data(ctx, page);
	page = NULL;
out:
	json_object_put(page);
	json_object_put(list);
	json_object_put(tags);
	buf_free(&base);
	return rc;
}

/* The generated avatar of each user of list without one (card_avatar). */
static void
add_avatars(json_object *list)
{
	size_t i, n = json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;

	for (i = 0; i < n; i++)
		card_avatar(json_object_array_get_idx(list, i));
}

/* GET /explore: the trending hashtags and the popular users (with links to their profiles,
 * where the follow button is), and page.partial when some users could not be read. 503. */
enum apierr
feed_discover_fill(struct ctx *ctx, json_object *page)
{
	json_object *tags = NULL, *users = NULL;
	int rc;

	if ((rc = trend_hashtags(ctx, &tags)) != APIERR_OK ||
	    (rc = trend_users(ctx, &users)) != APIERR_OK)
		goto out;
	add_tag_urls(json_object_object_get(tags, "hashtags"));
	add_count_words(ctx, json_object_object_get(tags, "hashtags"), tag_words);
	add_count_words(ctx, json_object_object_get(users, "users"), user_words);
	add_avatars(json_object_object_get(users, "users"));
	json_object_object_add(page, "hashtags",
	    json_object_get(json_object_object_get(tags, "hashtags")));
	json_object_object_add(page, "users",
	    json_object_get(json_object_object_get(users, "users")));
	partial_mark(page, partial_of(users));
out:
	json_object_put(tags);
	json_object_put(users);
	return rc;
}

enum apierr
feed_explore_page(struct ctx *ctx)
{
	json_object *page = page_new(ctx, "explore");
	int rc;

	if ((rc = feed_discover_fill(ctx, page)) != APIERR_OK) {
		json_object_put(page);
		return rc;
	}
	ctx_set_data(ctx, page);
	return APIERR_OK;
}
