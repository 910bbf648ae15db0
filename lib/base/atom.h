/* atom.h: Atom feeds (RFC 4287) of posts: a profile's and a hashtag's, which feed readers and
 * other sites follow (Mastodon serves one per account). Linked from their pages with
 * <link rel="alternate" type="application/atom+xml">.
 *
 * Each post is an entry: its page as id and link, "@author: the start of its text" as title, the
 * whole text as plain-text content (a repost's is the original's, "Reposted @name: ..."); behind
 * a content warning the title is "CW: <the warning>" and the content starts with it; its
 * time as published and updated, its author's display name and profile. Every URL is absolute,
 * under [site] base_url. Text is XML-escaped, and characters XML 1.0 does not allow (control
 * characters but tab and newline) are left out, so the document always parses. */
#ifndef STARLING_ATOM_H
#define STARLING_ATOM_H

#include <json-c/json.h>

#include "buf.h"

struct atom_feed {
	const char *base_url;    /* [site] base_url, no trailing slash needed */
	const char *title;       /* "@ada on Starling", "#cats on Starling" */
	const char *page_path;   /* the page the feed follows ("/u/ada"): the feed's id and link */
	const char *self_path;   /* the feed itself ("/u/ada/feed.atom") */
};

/* Appends the feed of views (a JSON array of post objects as post_view makes them, newest first;
 * borrowed) to out. The feed's updated time is its newest entry's, or 1970 for an empty feed
 * (a fixed time: the same empty feed reads the same). */
void atom_render(const struct atom_feed *f, json_object *views, struct buf *out);

/* Appends s escaped for XML text and attributes (&, <, >, ", ' as entities; disallowed
 * characters dropped). */
void atom_escape(struct buf *out, const char *s);

#endif
