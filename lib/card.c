/* card.c: posts as pages show them (card.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apierr.h"
#include "card.h"
#include "i18n.h"
#include "jwt.h"
#include "linkcard.h"
#include "post.h"
#include "text.h"
#include "user.h"
#include "xalloc.h"

static const char *
str_of(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "";
}

static uint64_t
id_of(json_object *o, const char *key)
{
	uint64_t id;

	return route_parse_id(str_of(o, key), &id) ? id : 0;
}

static void
add_str(json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, json_object_new_string(value));
}

static void
add_bool(json_object *o, const char *key, bool value)
{
	json_object_object_add(o, key, json_object_new_boolean(value));
}

/* "/p/<id>" into o[key]. */
static void
add_url(json_object *o, const char *key, uint64_t id)
{
	char url[32];

	snprintf(url, sizeof url, "/p/%llu", (unsigned long long)id);
	add_str(o, key, url);
}

void
card_time(json_object *o)
{
	json_object *v;
	time_t t = 0;
	struct tm tm;
	char shown[32], iso[32];

	if (json_object_object_get_ex(o, "createdAt", &v))
		t = (time_t)json_object_get_int64(v);
	if (gmtime_r(&t, &tm) == NULL)
		memset(&tm, 0, sizeof tm);
	strftime(shown, sizeof shown, "%Y-%m-%d %H:%M UTC", &tm);
	strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
	add_str(o, "time", shown);
	add_str(o, "timeIso", iso);
}

/* o[to]: text_html of o[from]. */
static void
add_html_of(json_object *o, const char *from, const char *to)
{
	struct buf html = BUF_INIT;
	const char *text = str_of(o, from);

	text_html(text, strlen(text), &html);
	add_str(o, to, buf_cstr(&html));
	buf_free(&html);
}

static void
add_html(json_object *o)
{
	add_html_of(o, "contentText", "html");
}

void
card_bio(json_object *user)
{
	add_html_of(user, "description", "descriptionHtml");
}


/* The counts of a card, with the catalog key of each one's words ("1 like", "2 likes"). */
static const struct {
	const char *count, *words;
} stat_words[] = {
	{ "comments", "post.replies" },
	{ "reposts",  "post.reposts" },
	{ "quotes",   "post.quotes" },
	{ "likes",    "post.likes" },
};

/* o.statsWords: the words after each count of s in the request's language, in the plural form
 * for that count (i18n_plural): a template cannot choose between "like" and "likes". */
static void
add_stats_words(const struct card_set *c, json_object *o, json_object *s)
{
	json_object *w = json_object_new_object(), *v;
	size_t i;

	for (i = 0; i < sizeof stat_words / sizeof stat_words[0]; i++) {
		long long n = json_object_object_get_ex(s, stat_words[i].count, &v) ?
		    (long long)json_object_get_int64(v) : 0;

		add_str(w, stat_words[i].count, i18n_plural(c->ctx->env->i18n, c->ctx->lang,
		    stat_words[i].words, n));
	}
	json_object_object_add(o, "statsWords", w);
}

/* o.stats: its counts; zeros for a record post_stats does not know; none when they could not be
 * read (null in c->stats): not shown rather than shown as zero. */
static void
add_stats(const struct card_set *c, json_object *o)
{
	json_object *s = NULL;
	bool known = c->stats != NULL && json_object_object_get_ex(c->stats, str_of(o, "id"), &s);
	size_t i;

	if (known && s == NULL)
		return;
	if (!known) {
		s = json_object_new_object();
		for (i = 0; i < sizeof stat_words / sizeof stat_words[0]; i++)
			json_object_object_add(s, stat_words[i].count, json_object_new_int(0));
	} else {
		json_object_get(s);
	}
	json_object_object_add(o, "stats", s);
	add_stats_words(c, o, s);
}

/* The first URL of a view's text: true with its bytes. */
static bool
first_url(json_object *o, const char **url, size_t *n)
{
	const char *text = str_of(o, "contentText");
	size_t start, end;

	if (!text_url_find(text, strlen(text), 0, &start, &end))
		return false;
	*url = text + start;
	*n = end - start;
	return true;
}

/* o.link: the card of its first URL, when the worker has read that page (lib/linkcard.h). A
 * card that cannot be read is left out: the text still links the URL. */
static void
add_link(const struct card_set *c, json_object *o)
{
	json_object *link = NULL;
	const char *url;
	size_t n;

	if (first_url(o, &url, &n) && linkcard_get(c->ctx->env, url, n, &link) == 1)
		json_object_object_add(o, "link", link);
}

/* Adds to o (a post_view object with an imageUrl) how its image is shown (media.h). */
static void
add_image(const struct card_set *c, json_object *o)
{
	const char *url = str_of(o, "imageUrl");

	if (url != NULL && *url != '\0' && c->ctx->env->media != NULL)
		json_object_object_add(o, "image", media_image_view(c->ctx->env->media, url));
}

/* Decorates a post_view object (a post, quote or reply; not a repost) in place. */
static void
decorate(const struct card_set *c, json_object *o)
{
	const char *type = str_of(o, "type");
	json_object *viewer = NULL, *own = NULL, *orig = NULL;
	bool is_own, is_reply = strcmp(type, "reply") == 0;
	uint64_t id = id_of(o, "id");

	add_html(o);
	add_image(c, o);
	card_time(o);
	add_url(o, "url", id);
	add_url(o, "rootUrl", id_of(o, "rootId"));
	add_bool(o, "isReply", is_reply);
	if (is_reply)
		add_url(o, "parentUrl", id_of(o, "originalId"));
	is_own = json_object_object_get_ex(o, "viewer", &viewer) &&
	    json_object_object_get_ex(viewer, "own", &own) && json_object_get_boolean(own);
	add_bool(o, "canAct", c->ctx->user_id != 0);
	add_bool(o, "canPin", is_own && !is_reply);
	add_bool(o, "pinned", c->pinned != 0 && c->pinned == id);
	add_stats(c, o);
	add_link(c, o);
	if (strcmp(type, "quote") == 0) {
		if (json_object_object_get_ex(o, "original", &orig) && orig != NULL) {
			add_html(orig);
			add_image(c, orig);
			card_time(orig);
			add_url(orig, "url", id_of(orig, "id"));
			json_object_object_add(o, "quoted", json_object_get(orig));
		} else {
			add_bool(o, "quoteGone", true);
		}
	}
}

/* The card of a post_view object (taken): a repost becomes its original's card with repostedBy.
 * NULL for a repost whose original is gone: there is nothing left to show. */
json_object *
card_make(const struct card_set *c, json_object *view)
{
	json_object *orig = NULL, *author = NULL, *out = view;

	if (strcmp(str_of(view, "type"), "repost") == 0) {
		if (!json_object_object_get_ex(view, "original", &orig) || orig == NULL) {
			json_object_put(view);
			return NULL;
		}
		out = json_object_get(orig);
		if (json_object_object_get_ex(view, "author", &author))
			json_object_object_add(out, "repostedBy", json_object_get(author));
		json_object_put(view);
	}
	decorate(c, out);
	return out;
}

/* The cache keys of the link cards of the views (the first URL of each card's text), fetched in
 * one multi-get: the cards then read them from the request's memo. Nothing is asked of a page
 * without URLs. */
static void
prefetch_links(struct ctx *ctx, json_object *const *views, size_t nviews)
{
	struct cache_keys ks = CACHE_KEYS_INIT;
	json_object *o, *orig;
	const char *url;
	size_t i, n;

	for (i = 0; i < nviews; i++) {
		o = views[i];
		if (strcmp(str_of(o, "type"), "repost") == 0)
			o = json_object_object_get_ex(o, "original", &orig) ? orig : NULL;
		if (o != NULL && first_url(o, &url, &n))
			linkcard_keys(&ks, url, n);
	}
	if (ks.n > 0)
		(void)cache_keys_prefetch(ctx->env->cache, &ks);
	cache_keys_free(&ks);
}

/* The id whose counts a view's card shows: its own, or a repost's original's (its card). A quoted
 * original shows none (partials/post_quoted), so its shard is not asked. */
static void
collect_ids(json_object *view, uint64_t *ids, size_t *n, size_t max)
{
	json_object *orig = NULL;

	if (*n == max)
		return;
	if (strcmp(str_of(view, "type"), "repost") != 0)
		ids[(*n)++] = id_of(view, "id");
	else if (json_object_object_get_ex(view, "original", &orig) && orig != NULL)
		ids[(*n)++] = id_of(orig, "id");
}

/* Fills c for the views of one page: their counts, and the pinned post of owner (0: none), which
 * gets its badge: the viewer's own on a post page, the profile's owner's on a profile. gather:
 * counts that cannot be read are left out (c->partial) instead of failing. */
static int
set_init(struct card_set *c, struct ctx *ctx, json_object *const *views, size_t nviews,
    uint64_t owner, bool gather)
{
	uint64_t ids[POST_STATS_MAX];
	size_t i, n = 0;
	json_object *u = NULL, *pinned;
	int rc;

	c->ctx = ctx;
	c->stats = NULL;
	c->pinned = 0;
	c->partial = false;
	for (i = 0; i < nviews; i++)
		collect_ids(views[i], ids, &n, POST_STATS_MAX);
	if (n > 0 && (rc = post_stats_some(ctx, ids, n, &c->stats, gather ? &c->partial : NULL)) !=
	    APIERR_OK)
		return rc;
	prefetch_links(ctx, views, nviews);
	if (owner == 0)
		return APIERR_OK;
	if (user_get(ctx->env, owner, &u) == 1 && user_add_counts(ctx->env, owner, u) >= 0 &&
	    json_object_object_get_ex(u, "pinnedPostId", &pinned))
		route_parse_id(json_object_get_string(pinned), &c->pinned);
	json_object_put(u);
	return APIERR_OK;
}

int
card_set_init(struct card_set *c, struct ctx *ctx, json_object *const *views, size_t nviews,
    uint64_t owner)
{
	return set_init(c, ctx, views, nviews, owner, false);
}

int
card_set_gather(struct card_set *c, struct ctx *ctx, json_object *const *views,
    size_t nviews, uint64_t owner)
{
	return set_init(c, ctx, views, nviews, owner, true);
}

/* A form object for partials/compose_form.mustache. text: what was typed, after a refusal. */
json_object *
card_compose_form(struct ctx *ctx, const char *action, const char *form_id, const char *section,
    bool with_media, bool with_settings, const char *text)
{
	json_object *f = json_object_new_object();
	struct buf key = BUF_INIT, t = BUF_INIT;

	add_str(f, "action", action);
	add_str(f, "formId", form_id);
	buf_printf(&t, "%s_heading", section);
	add_str(f, "heading", ctx_t(ctx, buf_cstr(&t)));
	buf_reset(&t);
	buf_printf(&t, "%s_placeholder", section);
	add_str(f, "placeholder", ctx_t(ctx, buf_cstr(&t)));
	buf_reset(&t);
	buf_printf(&t, "%s_submit", section);
	add_str(f, "submit", ctx_t(ctx, buf_cstr(&t)));
	add_bool(f, "withMedia", with_media);
	add_bool(f, "withSettings", with_settings);
	add_str(f, "text", text ? text : "");
	/* A fresh key per rendering: one post per rendered form, however often it is sent. */
	if (jwt_random_hex(16, &key) == 0)
		add_str(f, "idempotencyKey", buf_cstr(&key));
	buf_free(&key);
	buf_free(&t);
	return f;
}

void
card_set_free(struct card_set *c)
{
	if (c == NULL)
		return;
	json_object_put(c->stats);
	c->stats = NULL;
}

int
card_list(struct ctx *ctx, json_object *views, uint64_t owner, json_object **out,
    bool *partial)
{
	struct card_set c = CARD_SET_INIT;
	json_object **v = NULL;
	size_t i, n = views ? json_object_array_length(views) : 0;
	int rc;

	*out = NULL;
	v = n ? xcalloc(n, sizeof *v) : NULL;
	for (i = 0; i < n; i++)
		v[i] = json_object_array_get_idx(views, i);
	if ((rc = set_init(&c, ctx, v, n, owner, partial != NULL)) != APIERR_OK)
		goto out;
	if (c.partial)
		*partial = true;
	*out = json_object_new_array();
	for (i = 0; i < n; i++) {
		json_object *card = card_make(&c, json_object_get(v[i]));

		if (card != NULL)
			json_object_array_add(*out, card);
	}
out:
	card_set_free(&c);
	free(v);
	return rc;
}
