/* pages.c: the pages of starling-post (pages.h).
 *
 * A page shows post_view() objects as cards (lib/app/card.h: the same card on every page of the
 * site).
 *
 * The forms post to /p/:id/<action> or /u/:username/<action> with a return_to field (the page
 * they were on) and go back there; a refused form shows the post page, or the profile, again
 * with the error (ROUTE_RETRY). New posts from
 * the compose box, the reply form and the quote form carry an idempotency key made when the page
 * was rendered, so a double click or a reload of the POST makes one post. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "apierr.h"
#include "bookmark.h"
#include "card.h"
#include "graph.h"
#include "page.h"
#include "pages.h"
#include "partial.h"
#include "post.h"
#include "postlist.h"
#include "user.h"

/* The post a /p/:id route names: 404 for anything but a valid ID. */
static int
capture_id(struct ctx *ctx, uint64_t *id)
{
	if (!route_parse_id(ctx_capture(ctx, "id") ? ctx_capture(ctx, "id") : "", id))
		return ctx_fail(ctx, APIERR_NOT_FOUND, "no such post");
	return APIERR_OK;
}

static const char *
str_of(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "";
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

/* The text of a refused form, when the page is shown again for route handler h. */
static const char *
retried_text(const struct ctx *ctx, route_handler h)
{
	if (ctx->route == NULL || ctx->route->handler != h)
		return NULL;
	return params_str(&ctx->params, "content_text");
}

enum apierr
pages_compose(struct ctx *ctx)
{
	json_object *page = page_new(ctx, "compose");

	json_object_object_add(page, "compose", card_compose_form(ctx, "/compose", "compose",
	    "compose.form", true, true, retried_text(ctx, pages_compose_send)));
	ctx_set_data(ctx, page);
	return APIERR_OK;
}

/* "Name (@user)" of a post_view's author, into out. */
static void
author_title(json_object *author, struct buf *out)
{
	const char *name = str_of(author, "displayName"), *username = str_of(author, "username");

	if (name[0])
		buf_printf(out, "%s (@%s)", name, username);
	else
		buf_printf(out, "@%s", username);
}

/* page.meta of the post page of view (id's post_view, so one the viewer may see): its author,
 * text and image; a repost's are its original's, which post_view checked the same way (a
 * repost of a hidden original is 404). A preview shows what the card shows closed: behind a
 * content warning only the warning, and no image that is behind one or marked sensitive. */
static void
post_meta(struct ctx *ctx, json_object *page, uint64_t id, json_object *view)
{
	json_object *shown = view, *original, *sensitive;
	struct buf title = BUF_INIT;
	const char *warning;
	bool hidden;
	char path[32];

	if (strcmp(str_of(view, "type"), "repost") == 0 &&
	    json_object_object_get_ex(view, "original", &original) &&
	    json_object_is_type(original, json_type_object))
		shown = original;
	author_title(json_object_object_get(shown, "author"), &title);
	snprintf(path, sizeof path, "/p/%llu", (unsigned long long)id);
	warning = str_of(shown, "contentWarning");
	hidden = *warning != '\0' || (json_object_object_get_ex(shown, "sensitive", &sensitive) &&
	    json_object_get_boolean(sensitive));
	page_add_meta(ctx, page, &(struct page_meta){
		.title = buf_cstr(&title),
		.text  = *warning != '\0' ? warning : str_of(shown, "contentText"),
		.path  = path,
		.type  = "article",
		.image = hidden ? "" : str_of(shown, "imageUrl"),
		.large = true,
	});
	buf_free(&title);
}

enum apierr
pages_post(struct ctx *ctx)
{
	json_object *view = NULL, *replies = NULL, *list, *page = NULL, *cards_out;
	json_object *views[1 + POST_REPLIES_PAGE];
	struct card_set c = CARD_SET_INIT;
	size_t i, nreplies = 0, nviews = 0;
	uint64_t id;
	int rc;

	if ((rc = capture_id(ctx, &id)) != APIERR_OK)
		return rc;
	if ((rc = post_view(ctx, id, &view)) != APIERR_OK)
		goto out;
	if ((rc = post_replies(ctx, id, params_id(&ctx->params, "cursor"), &replies)) != APIERR_OK)
		goto out;
	views[nviews++] = view;
	if (json_object_object_get_ex(replies, "replies", &list))
		nreplies = json_object_array_length(list);
	for (i = 0; i < nreplies && nviews < sizeof views / sizeof views[0]; i++)
		views[nviews++] = json_object_array_get_idx(list, i);
	if ((rc = card_set_init(&c, ctx, views, nviews, ctx->user_id)) != APIERR_OK)
		goto out;

	page = page_new(ctx, "post");
	json_object_object_add(page, "post", card_make(&c, json_object_get(view)));
	cards_out = json_object_new_array();
	for (i = 0; i < nreplies; i++) {
		json_object *r = card_make(&c, json_object_get(json_object_array_get_idx(list, i)));

		if (r != NULL)
			json_object_array_add(cards_out, r);
	}
	json_object_object_add(page, "replies", cards_out);
	{
		char base[32];

		snprintf(base, sizeof base, "/p/%llu", (unsigned long long)id);
		page_older_link(page, replies, base);
	}
	if (ctx->user_id != 0) {
		char action[48];

		snprintf(action, sizeof action, "/p/%llu/reply", (unsigned long long)id);
		json_object_object_add(page, "compose", card_compose_form(ctx, action, "reply",
		    "post.reply", true, false, retried_text(ctx, pages_reply)));
		if (strcmp(str_of(view, "type"), "reply") != 0) {
			snprintf(action, sizeof action, "/p/%llu/quote", (unsigned long long)id);
			json_object_object_add(page, "quote", card_compose_form(ctx, action, "quote",
			    "post.quote", true, false, retried_text(ctx, pages_quote)));
		}
	}
	if (params_bool(&ctx->params, "reported", false))
		add_str(page, "notice", ctx_t(ctx, "post.reported"));
	post_meta(ctx, page, id, view);
	ctx_set_data(ctx, page);
	page = NULL;
	rc = APIERR_OK;
out:
	card_set_free(&c);
	json_object_put(view);
	json_object_put(replies);
	json_object_put(page);
	return rc;
}

/* Where a form sends the browser back to: page_return_to (its return_to, or the page it was on
 * by the Referer), else the post's page; with the post's anchor so the browser scrolls back to
 * it. */
static int
back_to(struct ctx *ctx, uint64_t id, const char *fallback)
{
	const char *back = page_return_to(ctx);
	struct buf to = BUF_INIT;
	int rc;

	if (back != NULL)
		buf_puts(&to, back);
	else if (fallback != NULL)
		buf_puts(&to, fallback);
	else
		buf_printf(&to, "/p/%llu", (unsigned long long)id);
	if (strchr(buf_cstr(&to), '#') == NULL && id != 0)
		buf_printf(&to, "#post-%llu", (unsigned long long)id);
	rc = page_done(ctx, buf_cstr(&to), NULL);
	buf_free(&to);
	return rc;
}

enum apierr
pages_like(struct ctx *ctx)
{
	uint64_t id;
	int rc;

	if ((rc = capture_id(ctx, &id)) != APIERR_OK ||
	    (rc = post_like(ctx, id, params_bool(&ctx->params, "islike", true))) != APIERR_OK)
		return rc;
	return back_to(ctx, id, NULL);
}

enum apierr
pages_repost(struct ctx *ctx)
{
	uint64_t id, repost;
	int rc;

	if ((rc = capture_id(ctx, &id)) != APIERR_OK ||
	    (rc = post_repost(ctx, id, &repost)) != APIERR_OK)
		return rc;
	return back_to(ctx, id, NULL);
}

enum apierr
pages_undo_repost(struct ctx *ctx)
{
	uint64_t id;
	int rc;

	if ((rc = capture_id(ctx, &id)) != APIERR_OK ||
	    (rc = post_undo_repost(ctx, id)) != APIERR_OK)
		return rc;
	return back_to(ctx, id, NULL);
}

/* POST /p/:id/act {act: like, unlike, repost, undo_repost, bookmark or unbookmark; return_to?}: a
 * card's one form for its like, repost and bookmark buttons, each naming its action
 * (docs/pages.md, "Page weight"); back as back_to, or post_like's, post_repost's and
 * bookmark_set's refusals. */
enum apierr
pages_act(struct ctx *ctx)
{
	const char *act = params_str(&ctx->params, "act");
	uint64_t id, repost;
	int rc;

	if ((rc = capture_id(ctx, &id)) != APIERR_OK)
		return rc;
	if (strcmp(act, "like") == 0 || strcmp(act, "unlike") == 0)
		rc = post_like(ctx, id, strcmp(act, "like") == 0);
	else if (strcmp(act, "repost") == 0)
		rc = post_repost(ctx, id, &repost);
	else if (strcmp(act, "bookmark") == 0 || strcmp(act, "unbookmark") == 0)
		rc = bookmark_set(ctx, id, strcmp(act, "bookmark") == 0);
	else
		rc = post_undo_repost(ctx, id);
	return rc != APIERR_OK ? rc : back_to(ctx, id, NULL);
}

enum apierr
pages_pin(struct ctx *ctx)
{
	uint64_t id;
	int rc;

	if ((rc = capture_id(ctx, &id)) != APIERR_OK ||
	    (rc = post_pin(ctx, id, params_bool(&ctx->params, "ispin", true))) != APIERR_OK)
		return rc;
	return back_to(ctx, id, NULL);
}

enum apierr
pages_delete(struct ctx *ctx)
{
	const char *back = page_return_to(ctx);
	char own_page[32];
	size_t n;
	uint64_t id;
	int rc;

	if ((rc = capture_id(ctx, &id)) != APIERR_OK || (rc = post_delete(ctx, id)) != APIERR_OK)
		return rc;
	/* The post's own page is gone now (with any query, as a Referer has it; strchr finds the
	 * NUL too): go home instead. */
	n = (size_t)snprintf(own_page, sizeof own_page, "/p/%llu", (unsigned long long)id);
	if (back == NULL || (strncmp(back, own_page, n) == 0 && strchr("?#", back[n]) != NULL))
		return page_done(ctx, "/", NULL);
	return page_done(ctx, back, NULL);
}

enum apierr
pages_report(struct ctx *ctx)
{
	char to[48];
	uint64_t id;
	int rc;

	if ((rc = capture_id(ctx, &id)) != APIERR_OK ||
	    (rc = post_report(ctx, id, (int)params_int(&ctx->params, "report_reason", 0))) !=
	    APIERR_OK)
		return rc;
	snprintf(to, sizeof to, "/p/%llu?reported=1", (unsigned long long)id);
	return page_done(ctx, to, NULL);
}

/* The files and their alt texts of a form (image, alt_text, then image_2, alt_text_2 ..: the
 * fields of card.c's media_slots), each file stored as an upload (url: its public URL). */
struct form_media {
	const struct request_file *file[POST_MEDIA_MAX];
	const char                *alt[POST_MEDIA_MAX];
	struct buf                 url[POST_MEDIA_MAX];
};

static void
form_media_free(struct form_media *m)
{
	size_t i;

	for (i = 0; i < POST_MEDIA_MAX; i++)
		buf_free(&m->url[i]);
}

/* The hex SHA-256 of what a form asks to post (its route, text, warning, alt texts and attached
 * files), which stands for the request in the idempotency check: a multipart body is not
 * byte-identical when sent again (browsers pick a new boundary), but what it asks is. Each part
 * is hashed with its NUL or its length, so that moving bytes from one field to the next changes
 * the hash. */
static void
form_hash(const struct ctx *ctx, const struct post_new *n, const struct form_media *m,
    char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	EVP_MD_CTX *h = EVP_MD_CTX_new();
	const char *path = ctx->req.path ? ctx->req.path : "";
	bool ok;
	size_t k, len;

	out[0] = '\0';
	if (h == NULL)
		return;
	ok = EVP_DigestInit_ex(h, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(h, path, strlen(path) + 1) == 1 &&
	    EVP_DigestUpdate(h, n->text, n->text_len + 1) == 1 &&
	    EVP_DigestUpdate(h, n->content_warning, strlen(n->content_warning) + 1) == 1 &&
	    EVP_DigestUpdate(h, n->sensitive ? "1" : "0", 1) == 1;
	for (k = 0; ok && k < POST_MEDIA_MAX; k++) {
		const char *alt = m->alt[k] ? m->alt[k] : "";

		len = m->file[k] ? m->file[k]->len : 0;
		ok = EVP_DigestUpdate(h, alt, strlen(alt) + 1) == 1 &&
		    EVP_DigestUpdate(h, &len, sizeof len) == 1 &&
		    (len == 0 || EVP_DigestUpdate(h, m->file[k]->data, len) == 1);
	}
	if (ok && EVP_DigestFinal_ex(h, md, &mdlen) == 1) {
		for (i = 0; i < mdlen && i < 32; i++) {
			out[2 * i] = hex[md[i] >> 4];
			out[2 * i + 1] = hex[md[i] & 0xf];
		}
		out[2 * i] = '\0';
	}
	EVP_MD_CTX_free(h);
}

static int
reply_settings(const struct ctx *ctx)
{
	const char *s = params_str(&ctx->params, "reply_settings");

	if (s != NULL && strcmp(s, "mentioned") == 0)
		return POST_REPLY_MENTIONED;
	if (s != NULL && strcmp(s, "followers") == 0)
		return POST_REPLY_FOLLOWERS;
	return POST_REPLY_EVERYONE;
}

/* Reads the form's files and alt texts into m and stores each file given (a file input left
 * empty still sends its part, with no bytes) as an upload, through the checks of a presigned
 * one (page_form_image). */
static int
form_media(struct ctx *ctx, struct form_media *m)
{
	char file[16], alt[16];
	size_t i;
	int rc = APIERR_OK;

	for (i = 0; i < POST_MEDIA_MAX; i++) {
		buf_init(&m->url[i]);
		snprintf(file, sizeof file, i == 0 ? "image" : "image_%zu", i + 1);
		snprintf(alt, sizeof alt, i == 0 ? "alt_text" : "alt_text_%zu", i + 1);
		m->file[i] = request_file(&ctx->req, file);
		m->alt[i] = params_str(&ctx->params, alt);
	}
	for (i = 0; i < POST_MEDIA_MAX && rc == APIERR_OK; i++)
		rc = page_form_image(ctx, m->file[i], &m->url[i]);
	return rc;
}

/* What the compose, reply and quote forms share: the text, the key and hash, and the media
 * (m, stored by form_media: its URLs are borrowed by n). */
static void
form_post(const struct ctx *ctx, struct post_new *n, const struct form_media *m, char hash[65])
{
	const char *text = params_str(&ctx->params, "content_text");
	size_t i;

	memset(n, 0, sizeof *n);
	n->text = text ? text : "";
	n->text_len = strlen(n->text);
	for (i = 0; i < POST_MEDIA_MAX; i++) {
		n->media[i].url = m->url[i].len ? buf_cstr(&m->url[i]) : NULL;
		n->media[i].alt = m->alt[i];
	}
	n->reply_settings = reply_settings(ctx);
	n->content_warning = params_str(&ctx->params, "content_warning");
	if (n->content_warning == NULL)
		n->content_warning = "";
	n->sensitive = params_bool(&ctx->params, "sensitive", false);
	n->idem_key = params_str(&ctx->params, "idempotency_key");
	form_hash(ctx, n, m, hash);
	n->request_hash = hash;
}

static int
to_post(struct ctx *ctx, uint64_t id)
{
	char to[32];

	snprintf(to, sizeof to, "/p/%llu", (unsigned long long)id);
	return page_done(ctx, to, NULL);
}

/* The compose, reply and quote forms: a new record made by make (post_create or post_reply)
 * from the form's text and images, answering or quoting original (0: a post of its own). */
static int
media_form(struct ctx *ctx, uint64_t original,
    enum apierr (*make)(struct ctx *, const struct post_new *, uint64_t *))
{
	struct form_media m;
	struct post_new n;
	char hash[65];
	uint64_t made;
	int rc;

	if ((rc = form_media(ctx, &m)) != APIERR_OK)
		goto out;
	form_post(ctx, &n, &m, hash);
	n.original_id = original;
	if ((rc = make(ctx, &n, &made)) == APIERR_OK)
		rc = to_post(ctx, made);
out:
	form_media_free(&m);
	return rc;
}

/* The reply and quote forms answer or quote the post of the page. */
static int
text_form(struct ctx *ctx, enum apierr (*make)(struct ctx *, const struct post_new *,
    uint64_t *))
{
	uint64_t id;
	int rc;

	if ((rc = capture_id(ctx, &id)) != APIERR_OK)
		return rc;
	return media_form(ctx, id, make);
}

enum apierr
pages_reply(struct ctx *ctx)
{
	return text_form(ctx, post_reply);
}

enum apierr
pages_quote(struct ctx *ctx)
{
	return text_form(ctx, post_create);
}

enum apierr
pages_compose_send(struct ctx *ctx)
{
	return media_form(ctx, 0, post_create);
}

/* The tabs of a profile, in the order the page shows them. */
static const struct {
	const char       *name;
	enum postlist_tab tab;
} tabs[] = {
	{ "posts", POSTLIST_POSTS }, { "replies", POSTLIST_REPLIES }, { "likes", POSTLIST_LIKES },
};

/* The profile's header: its public fields (user_public: the email only to its owner) and
 * counts, as the page shows them. */
static int
profile_of(struct ctx *ctx, uint64_t id, json_object **out)
{
	struct cache_keys ks = CACHE_KEYS_INIT;
	int rc;

	/* The viewer's relation to the user (relation_of) comes in the same round. */
	user_profile_keys(&ks, id);
	graph_keys(&ks, ctx->user_id, id);
	(void)cache_keys_prefetch(ctx->env->cache, &ks);
	cache_keys_free(&ks);
	rc = user_profile(ctx->env, id, ctx->user_id, out);
	if (rc < 0)
		return ctx_fail(ctx, APIERR_UNAVAILABLE, NULL);
	if (rc == 0)
		return ctx_fail(ctx, APIERR_NOT_FOUND, "no user with that username");
	return APIERR_OK;
}

/* The tab links: [{name, label, url, current}]. */
static json_object *
tab_links(struct ctx *ctx, const char *username, size_t current)
{
	json_object *list = json_object_new_array();
	struct buf url = BUF_INIT, key = BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof tabs / sizeof tabs[0]; i++) {
		json_object *t = json_object_new_object();

		buf_reset(&url);
		buf_reset(&key);
		buf_printf(&url, "/u/%s", username);
		if (i != 0)
			buf_printf(&url, "?tab=%s", tabs[i].name);
		buf_printf(&key, "profile.tab_%s", tabs[i].name);
		add_str(t, "name", tabs[i].name);
		add_str(t, "label", ctx_t(ctx, buf_cstr(&key)));
		add_str(t, "url", buf_cstr(&url));
		add_bool(t, "current", i == current);
		json_object_array_add(list, t);
	}
	buf_free(&url);
	buf_free(&key);
	return list;
}

/* The user a /u/:username route names: APIERR_OK with *id, or a 404 page naming the username. */
static int
capture_user(struct ctx *ctx, uint64_t *id)
{
	const char *username = ctx_capture(ctx, "username");
	int rc = user_id_by_username(ctx->env, username ? username : "", id);

	if (rc < 0)
		return ctx_fail(ctx, APIERR_UNAVAILABLE, NULL);
	if (rc == 0)
		return ctx_fail(ctx, APIERR_NOT_FOUND, "there is no user called @%s",
		    username ? username : "");
	return APIERR_OK;
}

/* The viewer's relation to the profile's user, for its forms: {following, blocked, muted}; NULL
 * for a visitor or the owner, who get none of the forms. */
static int
relation_of(struct ctx *ctx, uint64_t id, json_object **out)
{
	json_object *r;
	int follow;
	bool muted;

	*out = NULL;
	if (ctx->user_id == 0 || ctx->user_id == id)
		return APIERR_OK;
	if (graph_relation(ctx->env, ctx->user_id, id, &follow, &muted) != 0)
		return ctx_fail(ctx, APIERR_UNAVAILABLE, NULL);
	r = json_object_new_object();
	add_bool(r, "following", follow == 1);
	add_bool(r, "blocked", follow == 2);
	add_bool(r, "muted", muted);
	*out = r;
	return APIERR_OK;
}

/* The date-of-birth parts profile shows (user_public left out the hidden ones), in the order
 * year/month/day: {parts: [{part, value, sep}]} (sep: a "/" goes before it); NULL when none. */
static json_object *
dob_parts(json_object *profile)
{
	static const struct { const char *key, *part; } parts[] = {
		{ "dobYear", "year" }, { "dobMonth", "month" }, { "dobDay", "day" },
	};
	json_object *list = NULL, *v, *one;
	size_t i;

	for (i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		/* 0: never given. */
		if (!json_object_object_get_ex(profile, parts[i].key, &v) || json_object_get_int(v) <= 0)
			continue;
		if (list == NULL)
			list = json_object_new_array();
		one = json_object_new_object();
		add_str(one, "part", parts[i].part);
		json_object_object_add(one, "value", json_object_new_int(json_object_get_int(v)));
		add_bool(one, "sep", json_object_array_length(list) > 0);
		json_object_array_add(list, one);
	}
	if (list == NULL)
		return NULL;
	one = json_object_new_object();
	json_object_object_add(one, "parts", list);
	return one;
}

/* What the profile page and the lists of people share in their header: the profile with its
 * counts, its URL (base), the links to its lists, and the visible parts of the birth date. */
static int
profile_page(struct ctx *ctx, uint64_t id, json_object **page)
{
	json_object *profile = NULL;
	struct buf url = BUF_INIT;
	int rc;

	*page = NULL;
	if ((rc = profile_of(ctx, id, &profile)) != APIERR_OK)
		return rc;
	*page = json_object_new_object();
	buf_printf(&url, "/u/%s", str_of(profile, "username"));
	add_str(*page, "base", buf_cstr(&url));
	buf_puts(&url, "/feed.atom");
	add_str(*page, "feedUrl", buf_cstr(&url));
	buf_reset(&url);
	buf_printf(&url, "/u/%s", str_of(profile, "username"));
	buf_puts(&url, "/following");
	add_str(*page, "followingUrl", buf_cstr(&url));
	buf_reset(&url);
	buf_printf(&url, "/u/%s/followers", str_of(profile, "username"));
	add_str(*page, "followersUrl", buf_cstr(&url));
	buf_free(&url);
	json_object_object_add(*page, "dob", dob_parts(profile));
	page_add_words(ctx, profile, page_profile_words);
	card_bio(profile);
	json_object_object_add(*page, "profile", profile);
	add_bool(*page, "own", id == ctx->user_id);
	return APIERR_OK;
}

/* page.meta of a profile page (tab: the index in tabs[]): its name, bio and avatar, all shown
 * on the page to anyone. A tab other than the first is a page of its own: its URL is canonical. */
static void
profile_meta(struct ctx *ctx, json_object *page, json_object *profile, size_t tab)
{
	struct buf title = BUF_INIT, path = BUF_INIT;

	author_title(profile, &title);
	buf_printf(&path, "/u/%s", str_of(profile, "username"));
	if (tab != 0)
		buf_printf(&path, "?tab=%s", tabs[tab].name);
	page_add_meta(ctx, page, &(struct page_meta){
		.title = buf_cstr(&title),
		.text  = str_of(profile, "description"),
		.path  = buf_cstr(&path),
		.type  = "profile",
		.image = str_of(profile, "avatarUrl"),
	});
	buf_free(&title);
	buf_free(&path);
}

enum apierr
pages_user(struct ctx *ctx)
{
	const char *tab = params_str(&ctx->params, "tab"), *username;
	json_object *profile, *list = NULL, *items, *page = NULL, *cards_out, *rel = NULL;
	json_object *views[POSTLIST_PAGE + 1];
	struct card_set c = CARD_SET_INIT;
	size_t i, t = 0, n = 0, nviews = 0;
	uint64_t id = 0;
	int rc;

	for (i = 0; tab != NULL && i < sizeof tabs / sizeof tabs[0]; i++)
		if (strcmp(tab, tabs[i].name) == 0)
			t = i;
	if ((rc = capture_user(ctx, &id)) != APIERR_OK ||
	    (rc = profile_page(ctx, id, &page)) != APIERR_OK ||
	    (rc = relation_of(ctx, id, &rel)) != APIERR_OK ||
	    (rc = postlist_page(ctx, id, tabs[t].tab, params_id(&ctx->params, "cursor"), &list)) !=
	    APIERR_OK)
		goto out;
	if (json_object_object_get_ex(list, "posts", &items))
		n = json_object_array_length(items);
	for (i = 0; i < n && nviews < sizeof views / sizeof views[0]; i++)
		views[nviews++] = json_object_array_get_idx(items, i);
	if ((rc = card_set_init(&c, ctx, views, nviews, id)) != APIERR_OK)
		goto out;

	profile = json_object_object_get(page, "profile");
	username = str_of(profile, "username");
	add_str(page, "title", username);
	json_object_object_add(page, "tabs", tab_links(ctx, username, t));
	if (rel != NULL) {
		json_object_object_add(page, "relation", rel);
		rel = NULL;
	}
	cards_out = json_object_new_array();
	for (i = 0; i < n; i++) {
		json_object *r = card_make(&c, json_object_get(json_object_array_get_idx(items, i)));

		if (r != NULL)
			json_object_array_add(cards_out, r);
	}
	json_object_object_add(page, "posts", cards_out);
	{
		struct buf url = BUF_INIT;

		buf_printf(&url, "/u/%s?tab=%s", username, tabs[t].name);
		page_older_link(page, list, buf_cstr(&url));
		buf_free(&url);
	}
	if (params_bool(&ctx->params, "reported", false))
		add_str(page, "notice", ctx_t(ctx, "profile.reported"));
	profile_meta(ctx, page, profile, t);
	ctx_set_data(ctx, page);
	page = NULL;
	rc = APIERR_OK;
out:
	card_set_free(&c);
	json_object_put(rel);
	json_object_put(list);
	json_object_put(page);
	return rc;
}

/* The profile forms: POST /u/:username/follow, block, mute {flag: 1 or 0, return_to}. On
 * success back to return_to (a local path) or the profile; refused (graph_set's errors), the
 * profile again with the message. */
static int
relation_form(struct ctx *ctx, enum graph_action action)
{
	const char *username = ctx_capture(ctx, "username");
	struct buf profile = BUF_INIT;
	int rc;

	if ((rc = graph_set(ctx, action, username ? username : "",
	    params_bool(&ctx->params, "flag", true))) != APIERR_OK)
		return rc;
	/* graph_set found the user, so the name is a valid username: safe in a Location. */
	buf_printf(&profile, "/u/%s", username);
	rc = back_to(ctx, 0, buf_cstr(&profile));
	buf_free(&profile);
	return rc;
}

enum apierr
pages_user_follow(struct ctx *ctx)
{
	return relation_form(ctx, GRAPH_FOLLOW);
}

enum apierr
pages_user_block(struct ctx *ctx)
{
	return relation_form(ctx, GRAPH_BLOCK);
}

enum apierr
pages_user_mute(struct ctx *ctx)
{
	return relation_form(ctx, GRAPH_MUTE);
}

enum apierr
pages_user_report(struct ctx *ctx)
{
	const char *username = ctx_capture(ctx, "username");
	struct buf to = BUF_INIT;
	int rc;

	if ((rc = graph_report(ctx, username ? username : "",
	    (int)params_int(&ctx->params, "report_reason", 0))) != APIERR_OK)
		return rc;
	buf_printf(&to, "/u/%s?reported=1", username);
	rc = page_done(ctx, buf_cstr(&to), NULL);
	buf_free(&to);
	return rc;
}

/* The lists of people: their catalog keys and where each page lives. */
static const struct {
	enum graph_list list;
	const char     *name;   /* the URL's last segment and the catalog's key prefix */
} people[] = {
	{ GRAPH_FOLLOWING, "following" }, { GRAPH_FOLLOWERS, "followers" },
};

/* GET /u/:username/following and /followers ?cursor: the profile's header, then a page of
 * graph_list (the API's cursors, the same users left out), with an "Older" link and the notice
 * of a partial page. */
static int
people_page(struct ctx *ctx, size_t which)
{
	json_object *page = NULL, *list = NULL;
	struct buf s = BUF_INIT;
	const char *username;
	uint64_t id = 0;
	int rc;

	if ((rc = capture_user(ctx, &id)) != APIERR_OK ||
	    (rc = profile_page(ctx, id, &page)) != APIERR_OK ||
	    (rc = graph_list_page(ctx, people[which].list, id, params_str(&ctx->params, "cursor"),
	    &list)) != APIERR_OK)
		goto out;
	username = str_of(json_object_object_get(page, "profile"), "username");
	buf_printf(&s, "user_list.%s", people[which].name);
	add_str(page, "heading", ctx_t(ctx, buf_cstr(&s)));
	buf_reset(&s);
	buf_printf(&s, "%s · @%s", str_of(page, "heading"), username);
	add_str(page, "title", buf_cstr(&s));
	buf_reset(&s);
	buf_printf(&s, "user_list.empty_%s", people[which].name);
	add_str(page, "empty", ctx_t(ctx, buf_cstr(&s)));
	add_bool(page, which == 0 ? "isFollowing" : "isFollowers", true);
	json_object_object_add(page, "users", json_object_get(json_object_object_get(list,
	    "users")));
	partial_mark(page, partial_of(list));
	buf_reset(&s);
	buf_printf(&s, "/u/%s/%s", username, people[which].name);
	page_older_link(page, list, buf_cstr(&s));
	ctx_set_data(ctx, page);
	page = NULL;
	rc = APIERR_OK;
out:
	buf_free(&s);
	json_object_put(list);
	json_object_put(page);
	return rc;
}

enum apierr
pages_following(struct ctx *ctx)
{
	return people_page(ctx, 0);
}

enum apierr
pages_followers(struct ctx *ctx)
{
	return people_page(ctx, 1);
}

/* GET /u/:username/feed.atom: the user's latest posts (the first page of the profile's posts
 * tab) as an Atom feed (lib/base/atom.h). 404 40400 for no such user; 503. */
enum apierr
pages_user_feed(struct ctx *ctx)
{
	const char *username = ctx_capture(ctx, "username");
	struct buf title = BUF_INIT, page = BUF_INIT;
	json_object *list = NULL;
	uint64_t id = 0;
	int rc;

	if ((rc = capture_user(ctx, &id)) != APIERR_OK ||
	    (rc = postlist_page(ctx, id, POSTLIST_POSTS, 0, &list)) != APIERR_OK)
		goto out;
	buf_printf(&title, "@%s", username);
	buf_printf(&page, "/u/%s", username);
	page_atom(ctx, buf_cstr(&title), buf_cstr(&page), list);
out:
	json_object_put(list);
	buf_free(&title);
	buf_free(&page);
	return rc;
}
