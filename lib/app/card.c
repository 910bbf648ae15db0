/* card.c: posts as pages show them (card.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apierr.h"
#include "cache.h"
#include "card.h"
#include "ctx.h"
#include "i18n.h"
#include "jwt.h"
#include "linkcard.h"
#include "media.h"
#include "postview.h"
#include "request.h"
#include "route.h"
#include "text.h"
#include "tz.h"
#include "user.h"
#include "utf8.h"
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

/* A catalog message of the short times with its fields filled: {n} the count ("{n} m" ->
 * "3 m"), {y} {m} {d} the year, month and day of tm, {b} the month's English abbreviation (the
 * catalogs choose their order and words; strftime's %b would follow the C locale, not the
 * page's language). Anything else is copied as it is. */
static void
put_fields(struct buf *out, const char *msg, long long n, const struct tm *tm)
{
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug",
	    "Sep", "Oct", "Nov", "Dec" };
	const char *p;

	for (p = msg; *p != '\0'; p++) {
		if (p[0] != '{' || p[1] == '\0' || p[2] != '}') {
			buf_putc(out, *p);
			continue;
		}
		switch (p[1]) {
		case 'n': buf_printf(out, "%lld", n); break;
		case 'y': buf_printf(out, "%d", tm->tm_year + 1900); break;
		case 'm': buf_printf(out, "%d", tm->tm_mon + 1); break;
		case 'd': buf_printf(out, "%d", tm->tm_mday); break;
		case 'b': buf_puts(out, months[tm->tm_mon >= 0 && tm->tm_mon < 12 ? tm->tm_mon : 0]); break;
		default: buf_append(out, p, 3); break;
		}
		p += 2;
	}
}

/* The short form of t seen at now: "now", "3 m", "2 h", "5 d" (the catalog's time.* forms: a
 * unit, never plural, as X and Mastodon show them), then the date in zone after a week (the year
 * too when it is not now's). A time ahead of now (clocks apart) is "now". */
static void
short_time(const struct card_set *c, time_t t, const struct tm *tm, time_t now, const char *zone,
    struct buf *out)
{
	static const struct { long long below, unit; const char *key; } steps[] = {
		{ 60, 1, "time.now" }, { 3600, 60, "time.minutes" }, { 86400, 3600, "time.hours" },
		{ 7 * 86400, 86400, "time.days" },
	};
	const struct i18n *cat = c->ctx->env->i18n;
	long long d = (long long)now - (long long)t;
	struct tm today;
	size_t i;

	for (i = 0; i < sizeof steps / sizeof steps[0]; i++)
		if (d < steps[i].below) {
			put_fields(out, i18n_get(cat, c->ctx->lang, steps[i].key), d / steps[i].unit,
			    tm);
			return;
		}
	tz_local(now, zone, &today, NULL, 0);
	put_fields(out, i18n_get(cat, c->ctx->lang, tm->tm_year == today.tm_year ? "time.date" :
	    "time.date_year"), 0, tm);
}

void
card_time(const struct card_set *c, json_object *o)
{
	json_object *v;
	time_t t = 0, now = c->now ? c->now : time(NULL);
	const char *zone = c->zone[0] != '\0' ? c->zone : "UTC";
	struct tm tm;
	struct buf shown = BUF_INIT, title = BUF_INIT;
	char abbr[16], iso[32];

	if (json_object_object_get_ex(o, "createdAt", &v))
		t = (time_t)json_object_get_int64(v);
	if (gmtime_r(&t, &tm) == NULL)
		memset(&tm, 0, sizeof tm);
	strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
	tz_local(t, zone, &tm, abbr, sizeof abbr);
	short_time(c, t, &tm, now, zone, &shown);
	/* The exact time on hover: the zone's abbreviation, and its name where that is ambiguous
	 * ("CST" is China's and America's). */
	buf_printf(&title, "%04d-%02d-%02d %02d:%02d %s", tm.tm_year + 1900, tm.tm_mon + 1,
	    tm.tm_mday, tm.tm_hour, tm.tm_min, abbr);
	if (strcmp(zone, "UTC") != 0)
		buf_printf(&title, " (%s)", zone);
	add_str(o, "time", buf_cstr(&shown));
	add_str(o, "timeTitle", buf_cstr(&title));
	add_str(o, "timeIso", iso);
	buf_free(&shown);
	buf_free(&title);
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

/* o.link: the card of its first URL, when the worker has read that page (lib/social/linkcard.h). A
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

/* Adds to o (a post_view object with an imageUrl) how its images are shown (media.h): "image"
 * for its first, and each of "media" (post_media_view), with "mediaCount" for the grid's
 * layout (partials/post_image.mustache). */
static void
add_image(const struct card_set *c, json_object *o)
{
	const char *url = str_of(o, "imageUrl");
	json_object *media;
	char count[24];

	if (url == NULL || *url == '\0' || c->ctx->env->media == NULL)
		return;
	json_object_object_add(o, "image", media_image_view(c->ctx->env->media, url));
	post_media_view(c->ctx->env->media, o);
	if (json_object_object_get_ex(o, "media", &media) &&
	    json_object_is_type(media, json_type_array)) {
		snprintf(count, sizeof count, "%zu", json_object_array_length(media));
		add_str(o, "mediaCount", count);
	}
}

/* The generated avatars' colours: white text on each is at least 4.5:1 (WCAG AA), in both themes
 * (the circle is its own background). */
static const char *const avatar_colors[] = {
	"#0b66c3", "#a0153e", "#1e7145", "#6b3fa0", "#9a4a00", "#00707a", "#4a5568", "#8a2a8f",
};

void
card_avatar(json_object *user)
{
	json_object *a, *v;
	const char *name = str_of(user, "displayName");
	uint64_t id = id_of(user, "id");
	char initial[8] = "?";
	size_t n;

	if (user == NULL || !json_object_is_type(user, json_type_object) ||
	    (json_object_object_get_ex(user, "avatarUrl", &v) && json_object_get_string_len(v) > 0))
		return;
	if (*name == '\0')
		name = str_of(user, "username");
	/* The first character, whole (a Chinese name's first character is its initial too). */
	n = utf8_prefix(name, strlen(name), 1);
	if (n > 0 && n < sizeof initial && utf8_valid(name, n)) {
		memcpy(initial, name, n);
		initial[n] = '\0';
		if (n == 1 && initial[0] >= 'a' && initial[0] <= 'z')
			initial[0] = (char)(initial[0] - 'a' + 'A');
	}
	a = json_object_new_object();
	add_str(a, "initial", initial);
	/* By id, so a user keeps their colour when they change their name. */
	add_str(a, "color", avatar_colors[(id * 2654435761u) % (sizeof avatar_colors /
	    sizeof avatar_colors[0])]);
	json_object_object_add(user, "avatar", a);
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
	card_time(c, o);
	card_avatar(json_object_object_get(o, "author"));
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
			card_time(c, orig);
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

/* Copies zone into c->zone when it is a zone of the system's; returns whether it did. */
static bool
take_zone(struct card_set *c, const char *zone)
{
	if (!tz_valid(zone))
		return false;
	snprintf(c->zone, sizeof c->zone, "%s", zone);
	return true;
}

/* c->zone: the zone the page's times are shown in: the logged-in viewer's setting
 * (tb_user.time_zone; their profile is read for the page's header anyway, so the request's
 * cache memo has it), else the browser's, which static/ script sets in the starling_tz cookie
 * (percent-encoded or not), else UTC. Both are checked (tz_valid): a bad one is skipped. */
static void
set_zone(struct card_set *c, struct ctx *ctx)
{
	json_object *u = NULL, *v;
	struct buf cookie = BUF_INIT;
	const char *raw = request_cookie(&ctx->req, "starling_tz");
	bool done = false;

	if (ctx->user_id != 0 && user_get(ctx->env, ctx->user_id, &u) == 1 &&
	    json_object_object_get_ex(u, "timeZone", &v))
		done = take_zone(c, json_object_get_string(v));
	json_object_put(u);
	if (!done && raw != NULL && strlen(raw) <= 3 * TZ_NAME_MAX &&
	    request_urldecode(raw, strlen(raw), false, &cookie) == 0)
		done = take_zone(c, buf_cstr(&cookie));
	if (!done)
		snprintf(c->zone, sizeof c->zone, "UTC");
	buf_free(&cookie);
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
	c->now = time(NULL);
	set_zone(c, ctx);
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

/* The file and alt text fields of a form with media: [{n, file, alt, first}] for image and
 * alt_text, then image_2 and alt_text_2 .. (cgi-bin/post/pages.c reads them by these names). */
static json_object *
media_slots(void)
{
	json_object *list = json_object_new_array(), *o;
	char file[16], alt[16], n[8];
	size_t i;

	for (i = 0; i < POST_MEDIA_MAX; i++) {
		snprintf(file, sizeof file, i == 0 ? "image" : "image_%zu", i + 1);
		snprintf(alt, sizeof alt, i == 0 ? "alt_text" : "alt_text_%zu", i + 1);
		snprintf(n, sizeof n, "%zu", i + 1);
		o = json_object_new_object();
		add_str(o, "n", n);
		add_str(o, "file", file);
		add_str(o, "alt", alt);
		add_bool(o, "first", i == 0);
		json_object_array_add(list, o);
	}
	return list;
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
	if (with_media)
		json_object_object_add(f, "mediaSlots", media_slots());
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

enum apierr
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
