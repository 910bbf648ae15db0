/* page.h: what handlers that serve both a JSON route and a page share.
 *
 * A handler builds its data once; these helpers cover the few places where the two faces differ:
 * the page's title from the message catalog, and the end of a successful change (a page is sent
 * on with 303 See Other, the API answers the data). */
#ifndef STARLING_PAGE_H
#define STARLING_PAGE_H

#include "apierr.h"

#include <stdbool.h>

#include <json-c/json.h>

#include "buf.h"

struct ctx;
struct request_file;

/* A new page object titled with the catalog's "<section>.title". Owned by the caller. */
json_object *page_new(struct ctx *ctx, const char *section);

/* The end of a successful change: a page is sent on to path (303; data is dropped), the API
 * answers data (NULL: "data": null). Takes data. Returns APIERR_OK. */
enum apierr page_done(struct ctx *ctx, const char *path, json_object *data);

/* A count member of an object, and the catalog's plural message for the words after it. A table
 * of them ends with { NULL, NULL }. */
struct page_words {
	const char *count, *key;
};

/* The words after a profile's counts (user_add_counts' countPosts, countFollowers,
 * countFollowings, countLikes): "1 post", "2 followers". */
extern const struct page_words page_profile_words[];

/* o.words: {count: the words after o's count, in the plural form for it in the request's
 * language ("1 follower", "2 followers"; a missing count reads as 0)} for each of w. A template
 * cannot choose between the forms (docs/pages.md). */
void page_add_words(struct ctx *ctx, json_object *o, const struct page_words *w);

/* Stores the image part f of a form (NULL, or a part with no bytes: none chosen, then nothing is
 * done) as an upload of ctx->user_id, with the checks of a presigned upload (lib/social/media.h:
 * size, type by the bytes, once), and appends its public URL to url. Returns APIERR_OK, or the
 * refusal recorded with ctx_fail: 40014 for a file that is no PNG, JPEG or GIF, media_apierr's
 * codes. */
enum apierr page_form_image(struct ctx *ctx, const struct request_file *f, struct buf *url);

/* Whether the request came through an HTML route. */
bool page_html(const struct ctx *ctx);

/* page.olderUrl, the link to the next page of list (an API answer with a "cursor" member): base
 * (a local path, with or without a query), then "cursor=" and the cursor, URL-encoded. Nothing
 * when the list has no cursor, an empty one, or ROUTE_CURSOR_END (the last page). */
void page_older_link(json_object *page, json_object *list, const char *base);

/* Whether p is a path on this site that a form may send the browser back to: the guard against
 * open redirects through a return_to field. It must start with one '/' and hold only RFC 3986's
 * path, query and fragment characters, "%XX" escapes and UTF-8 above U+009F ("/p/1?x=2#post-1",
 * "/hashtag/<tag>"); never "//evil.example", a backslash, a space or quote, a stray '%', or any
 * control character (a browser drops TAB and line breaks, so "/\t/evil.example" is another site).
 * NULL is refused. */
bool page_local_path(const char *p);

/* Where a form sends the browser back to (borrowed from the request): its return_to field when
 * it has one and that is a local path (page_local_path); without one, the path of the Referer
 * when that is a page of this site (the same scheme and Host) and a local path, so the cards'
 * forms need not carry the page they are on; else NULL (the caller picks the page). A return_to
 * that is no local path gives NULL, never the Referer: the form named its page. */
const char *page_return_to(const struct ctx *ctx);

/* Answers the Atom feed (lib/base/atom.h) of list's posts (list: {posts: [post_view objects]}, as
 * postlist_page and search_hashtag_posts give them; borrowed) for the page at page_path, titled
 * "TITLE on SITE": the feed's own address is page_path + "/feed.atom". */
void page_atom(struct ctx *ctx, const char *title, const char *page_path, json_object *list);

/* What a page's link previews say (page_add_meta): the OpenGraph and Twitter-card tags, the
 * canonical link and the description that templates/layout.mustache writes from page.meta. The
 * strings are borrowed; only what the page itself shows to its viewer may go in (a post that
 * post_view refused never reaches here), since a preview is read by anyone holding the link. */
struct page_meta {
	const char *title;  /* og:title: "Name (@user)", "#Tag" */
	const char *text;   /* the description's source (a post's text, a bio); NULL or "": title */
	const char *path;   /* the page's canonical path on this site ("/p/1", "/u/ann") */
	const char *type;   /* og:type: "article", "profile" or "website" */
	const char *image;  /* an absolute or site-relative URL (a post's image, an avatar), or NULL */
	bool        large;  /* the image is the content (a post's): twitter:card summary_large_image */
};

/* Most characters of a preview's description: what the previews of the common sites show (two
 * or three lines) before they cut it themselves, mid-word. */
#define PAGE_DESCRIPTION_MAX 200

/* Appends text (valid UTF-8, as every stored text is) to out as one line for a preview: each run
 * of white space (line breaks too) as one space, trimmed, and when longer than max characters
 * cut on a character boundary to max - 1 of them and "…". max 0 appends nothing. */
void page_describe(struct buf *out, const char *text, size_t max);

/* page.meta: {title, description, url (absolute: [site] base_url + path), type, image (absolute;
 * left out when there is none or it is neither an http(s) URL nor a path), card ("summary" or
 * "summary_large_image")}, from m. The template escapes every value. */
void page_add_meta(struct ctx *ctx, json_object *page, const struct page_meta *m);

#endif
