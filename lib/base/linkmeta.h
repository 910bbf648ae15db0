/* linkmeta.h: the title, description and image of a web page, read from the first bytes of its
 * HTML by a small, bounded parser (the link cards of lib/social/linkcard.h).
 *
 * What it reads, in the page's <head> (it stops at <body> or </head>):
 *   - title: <meta property="og:title" content="...">, else the text of <title>;
 *   - description: og:description, else <meta name="description">;
 *   - image: og:image (or og:image:url, og:image:secure_url), only an absolute https:// URL of
 *     printable ASCII without quotes, brackets or white space, at most LINKMETA_IMAGE_MAX bytes
 *     (the pages' CSP shows images from https: and 'self' only; a relative or http image is
 *     dropped rather than resolved).
 * The contents of <script>, <style> and comments are skipped, never read; nothing is run.
 * Attributes are name=value with double, single or no quotes, names in any case. Character
 * references &amp; &lt; &gt; &quot; &apos; &#39; &nbsp; and numeric ones (&#NNN; &#xHH;) are
 * decoded; others stay as written. The page is taken as UTF-8: a byte that starts no
 * well-formed sequence, a NUL or a control character becomes a space (the caller escapes the
 * text when it shows it), runs of white space become one space, none at either end; title and
 * description are cut at LINKMETA_TITLE_MAX and LINKMETA_DESC_MAX code points (within
 * tb_parsed_url's columns). An attribute value longer than LINKMETA_ATTR_MAX bytes is ignored.
 *
 * Any bytes are accepted; the work is linear in n. Ownership: struct linkmeta owns its buffers;
 * linkmeta_free releases them. */
#ifndef STARLING_LINKMETA_H
#define STARLING_LINKMETA_H

#include <stddef.h>

#include "buf.h"

#define LINKMETA_TITLE_MAX 300    /* code points (tb_parsed_url.title is varchar(512)) */
#define LINKMETA_DESC_MAX  600    /* code points (description is varchar(1024)) */
#define LINKMETA_IMAGE_MAX 2048   /* bytes (image_url is varchar(2048)) */
#define LINKMETA_ATTR_MAX  8192   /* bytes of one attribute value considered */

struct linkmeta {
	struct buf title;         /* "" when none */
	struct buf description;
	struct buf image;         /* an https:// URL, or "" */
};
#define LINKMETA_INIT { BUF_INIT, BUF_INIT, BUF_INIT }

/* Reads the n bytes at s into m (emptied first). */
void linkmeta_parse(const char *s, size_t n, struct linkmeta *m);

/* Releases what m holds (m is then empty); NULL is fine. */
void linkmeta_free(struct linkmeta *m);

#endif
