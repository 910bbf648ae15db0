/* page.c: helpers for handlers that serve both the API and a page (page.h). */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "apierr.h"
#include "buf.h"
#include "atom.h"
#include "ctx.h"
#include "i18n.h"
#include "media.h"
#include "page.h"
#include "request.h"
#include "route.h"
#include "utf8.h"

json_object *
page_new(struct ctx *ctx, const char *section)
{
	json_object *page = json_object_new_object();
	char key[64];

	snprintf(key, sizeof key, "%s.title", section);
	json_object_object_add(page, "title", json_object_new_string(ctx_t(ctx, key)));
	return page;
}

enum apierr
page_done(struct ctx *ctx, const char *path, json_object *data)
{
	if (page_html(ctx)) {
		json_object_put(data);
		ctx_redirect(ctx, path);
	} else {
		ctx_set_data(ctx, data);
	}
	return APIERR_OK;
}

const struct page_words page_profile_words[] = {
	{ "countPosts", "counts.posts" }, { "countFollowings", "counts.following" },
	{ "countFollowers", "counts.followers" }, { "countLikes", "counts.likes" },
	{ NULL, NULL },
};

void
page_add_words(struct ctx *ctx, json_object *o, const struct page_words *w)
{
	json_object *words = json_object_new_object(), *v;

	for (; w->count != NULL; w++) {
		long long n = json_object_object_get_ex(o, w->count, &v) ?
		    (long long)json_object_get_int64(v) : 0;

		json_object_object_add(words, w->count, json_object_new_string(
		    i18n_plural(ctx->env->i18n, ctx->lang, w->key, n)));
	}
	json_object_object_add(o, "words", words);
}

/* The extension of an image part by its bytes (browsers label a file by its name, which proves
 * nothing), or NULL when it is none of the image types. */
static const char *
image_ext(const struct request_file *f)
{
	static const char *const exts[] = { "png", "jpg", "gif" };
	size_t i;

	for (i = 0; i < sizeof exts / sizeof exts[0]; i++)
		if (media_sniff(MEDIA_IMAGE, exts[i], f->data, f->len))
			return exts[i];
	return NULL;
}

enum apierr
page_form_image(struct ctx *ctx, const struct request_file *f, struct buf *url)
{
	struct buf msg = BUF_INIT;
	const char *ext;
	int rc = APIERR_OK;

	/* A form whose file input was left empty still sends the part, with no bytes. */
	if (f == NULL || f->len == 0)
		return APIERR_OK;
	if ((ext = image_ext(f)) == NULL)
		return ctx_fail(ctx, APIERR_MEDIA_TYPE, "the attached file is not a PNG, JPEG or GIF "
		    "image");
	rc = media_store_upload(ctx->env->media, ctx->user_id, MEDIA_IMAGE, ext, f->data, f->len,
	    (int64_t)time(NULL), url);
	if (rc != 0) {
		rc = media_apierr(ctx->env->media, rc, MEDIA_IMAGE, ext, f->len, &msg);
		rc = ctx_fail(ctx, rc, "%s", buf_cstr(&msg));
	}
	buf_free(&msg);
	return rc;
}

bool
page_html(const struct ctx *ctx)
{
	return ctx->route != NULL && (ctx->route->flags & ROUTE_HTML);
}

/* The ASCII a local path may hold besides letters and digits: RFC 3986's pchar, and '/', '?' and
 * '#' for the path, query and fragment. '%' is checked apart: it must start an escape. */
#define LOCAL_PATH_PUNCT "-._~!$&'()*+,;=:@/?#"

static bool
is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/*
 * Only what we could have written ourselves passes, rather than all but what is known to be
 * dangerous: browsers drop TAB, CR and LF anywhere in a URL and read '\\' as '/', so
 * "/\t/evil.example" and "/\\evil.example" are both "//evil.example", another site. Bytes above
 * 0x7f are UTF-8 past U+009F (a decoded path such as /hashtag/<tag>): a browser encodes them and
 * never reads them as a separator. No space, quote, '<', '\\', control character (C1 included)
 * or stray '%'.
 */
bool
page_local_path(const char *p)
{
	size_t i, n;
	unsigned char c;

	if (p == NULL || p[0] != '/' || p[1] == '/')
		return false;
	n = strlen(p);
	if (!utf8_valid(p, n))
		return false;
	for (i = 1; i < n; i++) {
		c = (unsigned char)p[i];
		if (c >= 0x80) {
			/* U+0080..U+009F, the C1 controls, are C2 80..C2 9F; p[i + 1] is there, as the
			 * text is valid UTF-8. */
			if (c == 0xc2 && (unsigned char)p[i + 1] < 0xa0)
				return false;
		} else if (c == '%') {
			if (!is_hex(p[i + 1]) || !is_hex(p[i + 2]))
				return false;
			i += 2;
		} else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr(LOCAL_PATH_PUNCT, c) != NULL)) {
			return false;
		}
	}
	return true;
}

const char *
page_return_to(const struct ctx *ctx)
{
	const char *back = params_str(&ctx->params, "return_to");
	const char *ref = request_header(&ctx->req, "referer");
	const char *scheme = ctx->env->conf.https ? "https://" : "http://";
	const char *host = ctx->req.host;
	size_t n = strlen(scheme);

	if (back != NULL)
		return page_local_path(back) ? back : NULL;
	/* Browsers send the whole URL to the same origin (our Referrer-Policy is
	 * strict-origin-when-cross-origin, lib/http/response.c) and no fragment. What follows the
	 * origin must begin with '/': "http://host.evil/" or "http://host:81/" is another site. */
	if (ref == NULL || host == NULL || host[0] == '\0' || strncasecmp(ref, scheme, n) != 0 ||
	    strncasecmp(ref + n, host, strlen(host)) != 0)
		return NULL;
	ref += n + strlen(host);
	return page_local_path(ref) ? ref : NULL;
}

void
page_atom(struct ctx *ctx, const char *title, const char *page_path, json_object *list)
{
	struct buf name = BUF_INIT, self = BUF_INIT;
	json_object *posts = NULL;

	json_object_object_get_ex(list, "posts", &posts);
	buf_printf(&name, "%s on %s", title, ctx->env->conf.site_name);
	buf_printf(&self, "%s/feed.atom", page_path);
	atom_render(&(struct atom_feed){ ctx->env->conf.base_url, buf_cstr(&name), page_path,
	    buf_cstr(&self) }, posts, &ctx->resp.body);
	ctx_body_ready(ctx, "application/atom+xml; charset=utf-8");
	buf_free(&name);
	buf_free(&self);
}

/* White space as the description counts it: ASCII's, which is what a post's text may hold
 * besides printable characters (lib/base/valid.c refuses other controls). */
static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

void
page_describe(struct buf *out, const char *text, size_t max)
{
	struct buf one = BUF_INIT;
	size_t cut;

	for (; text != NULL && *text; text++) {
		if (!is_space(*text))
			buf_putc(&one, *text);
		else if (one.len > 0 && !is_space(text[1]) && text[1] != '\0')
			buf_putc(&one, ' ');
	}
	if (max > 0 && utf8_count(one.data ? one.data : "", one.len) > max) {
		cut = utf8_prefix(one.data, one.len, max - 1);
		/* No space before the ellipsis: "a b…", not "a b …". */
		while (cut > 0 && one.data[cut - 1] == ' ')
			cut--;
		buf_append(out, one.data, cut);
		buf_puts(out, "…");
	} else if (max > 0) {
		buf_append(out, one.data ? one.data : "", one.len);
	}
	buf_free(&one);
}

/* url as a preview needs it, absolute, into out: an http(s) URL as it is, a path ("/media/1.png",
 * [media] storage = local) after base_url. Returns false (out unchanged) for anything else. */
static bool
absolute_url(const struct ctx *ctx, const char *url, struct buf *out)
{
	if (url == NULL)
		return false;
	if (strncmp(url, "https://", 8) == 0 || strncmp(url, "http://", 7) == 0) {
		buf_puts(out, url);
		return true;
	}
	if (url[0] != '/' || url[1] == '/')
		return false;
	buf_printf(out, "%s%s", ctx->env->conf.base_url, url);
	return true;
}

void
page_add_meta(struct ctx *ctx, json_object *page, const struct page_meta *m)
{
	json_object *meta = json_object_new_object();
	struct buf s = BUF_INIT;
	bool image;

	json_object_object_add(meta, "title", json_object_new_string(m->title));
	page_describe(&s, m->text != NULL && m->text[0] ? m->text : m->title, PAGE_DESCRIPTION_MAX);
	json_object_object_add(meta, "description", json_object_new_string(buf_cstr(&s)));
	buf_reset(&s);
	(void)absolute_url(ctx, m->path, &s);
	json_object_object_add(meta, "url", json_object_new_string(buf_cstr(&s)));
	json_object_object_add(meta, "type", json_object_new_string(m->type));
	buf_reset(&s);
	image = m->image != NULL && m->image[0] && absolute_url(ctx, m->image, &s);
	if (image)
		json_object_object_add(meta, "image", json_object_new_string(buf_cstr(&s)));
	json_object_object_add(meta, "card", json_object_new_string(image && m->large ?
	    "summary_large_image" : "summary"));
	json_object_object_add(page, "meta", meta);
	buf_free(&s);
}

void
page_older_link(json_object *page, json_object *list, const char *base)
{
	struct buf url = BUF_INIT;
	json_object *v;
	const char *c;

	if (!json_object_object_get_ex(list, "cursor", &v) || (c = json_object_get_string(v)) == NULL
	    || *c == '\0' || strcmp(c, ROUTE_CURSOR_END) == 0)
		return;
	buf_puts(&url, base);
	buf_puts(&url, strchr(base, '?') != NULL ? "&cursor=" : "?cursor=");
	buf_put_url_component(&url, c);
	json_object_object_add(page, "olderUrl", json_object_new_string(buf_cstr(&url)));
	buf_free(&url);
}
