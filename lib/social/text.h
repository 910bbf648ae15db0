/* text.h: the text of posts and replies: normalization, length, hashtags, mentions, URLs, and
 * the search form of a text.
 *
 * The rules (docs/api.md, "Posts"):
 *   - The text must be valid UTF-8 without NUL or other C0 controls except '\n', '\t' and '\r'
 *     (nor DEL or C1 controls, as valid_text; the caller has validated UTF-8 already for request
 *     parameters; text_prepare checks again, because it is the one place that decides what a post
 *     may hold).
 *   - It is normalized to NFC (utf8proc), "\r\n" and lone "\r" become "\n", and leading and trailing
 *     white space (tab, LF, Unicode Zs, Zl, Zp: U+00A0 and U+3000 too) is removed: "e" + U+0301
 *     and U+00E9 are one character, as the reader sees it.
 *   - Its length is the number of Unicode code points after that, at most max_chars (280).
 *   - Hashtags: '#' followed by 1 to TEXT_TAG_MAX code points that are letters, marks, digits or
 *     '_' (Unicode categories L*, M*, N*, and '_'), not all digits ("#1" is not a tag), where the
 *     '#' is at the start of the text or follows a character that is not a letter, mark, digit,
 *     '_' or '&' (so "a#b", "我爱#北京" and "&#39;" hold no tag). The tag ends at the first other
 *     character; a longer run is no tag at all (never cut to a shorter one). Tags are
 *     compared without regard to case: the key is the tag case-folded (utf8proc CASEFOLD) after
 *     NFC ("#Straße" and "#STRASSE" are one tag); a tag keeps its written form for display.
 *     Folding can lengthen a tag ("ß" is "ss"): a key of more than 128 code points (the size of
 *     tb_hashtag.tag_key) is no tag either.
 *     A text lists each key once, in order of first appearance, at most TEXT_MAX_TAGS, and only
 *     while the keys fit whole in text_post.hashtags: the tags recorded are exactly the keys of
 *     that column (which deleting a post reads), so recording stops at the first that does not.
 *   - Mentions: '@' followed by 1 to 15 ASCII letters, digits or '_' (a username's alphabet), not
 *     preceded by a letter, mark, digit, '_' or '.' and not followed by one more such character
 *     (of any script: "@bobé" mentions nobody) or by '@' ("mail@example.com" mentions nobody).
 *     Keys are lowercased; each once, in order, at most TEXT_MAX_MENTIONS.
 *   - URLs: "http://" or "https://" in any case (no other scheme is ever a link), not preceded by
 *     an ASCII letter or digit nor by one of ":/.@-&=%+~#?$*" (so "javascript:http://x" or
 *     "a/http://x" start nothing), then printable ASCII up to white space, a non-ASCII
 *     character (CJK around a URL is not part of it) or one of <>"\^`{|}; trailing ".,;:!?'*"
 *     and a ')' or ']' that closes nothing the URL opened are left to the sentence. The
 *     authority (up to '/', '?' or '#') must be a host of ASCII letters, digits, '-' and '.'
 *     (at least one letter or digit) or an IPv6 address in brackets, with an optional port of
 *     1 to 5 digits; userinfo ("http://a@b") makes it no URL, since it would show one host and
 *     lead to another. At most TEXT_URL_MAX bytes: a longer run is no URL (never cut). A URL is
 *     taken whole, so a '#' or '@' inside it is no tag or mention. Each once, in order, at most
 *     TEXT_MAX_URLS, as written.
 *   - The search form (tb_post.search_text, InnoDB FULLTEXT with its default parser, which splits
 *     on white space and punctuation): the text lowercased (case-folded), with every run of CJK
 *     characters (Han, Hiragana, Katakana, Hangul) c1..cn written as its overlapping bigrams
 *     and its last character, each prefixed with "cj" ("我爱北京" -> "cj我爱 cj爱北 cj北京 cj京"; one
 *     character: "cj北"; docs/schema.md, "Search", has the reasons and the query side), so that a search
 *     for a two-character word finds it in text without spaces. A CJK run is set apart from the
 *     characters touching it by a space ("I❤北京!" -> "i❤ cj北京 cj京 !"); white space and controls
 *     become single spaces, none at either end. Other characters are kept.
 *     At most TEXT_SEARCH_MAX bytes, cut at a character boundary (and a space left last dropped).
 *
 * Ownership: struct text_post owns everything it points to; text_post_free releases it. */
#ifndef STARLING_TEXT_H
#define STARLING_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define TEXT_TAG_MAX       100   /* code points in one hashtag (tb_hashtag.tag_key is 128) */
#define TEXT_MAX_TAGS      10    /* distinct hashtags recorded per text */
#define TEXT_MAX_MENTIONS  10    /* distinct mentions recorded per text */
#define TEXT_SEARCH_MAX    1500  /* bytes of tb_post.search_text */
#define TEXT_HASHTAGS_MAX  300   /* bytes of tb_post.hashtags */
#define TEXT_URL_MAX       2048  /* bytes of one URL (tb_parsed_url.url is varchar(2048)) */
#define TEXT_MAX_URLS      4     /* distinct URLs recorded per text (each gets a link card fetch) */
#define TEXT_URL_SHOWN     32    /* bytes of a URL shown in a link, after its scheme */

struct text_tag {
	char *key;    /* case-folded, NFC, without '#': what tb_hashtag.tag_key holds */
	char *name;   /* as first written in the text, without '#' */
};

struct text_post {
	char            *text;        /* normalized text (NUL-terminated; "" allowed) */
	size_t           len;         /* its bytes */
	size_t           chars;       /* its code points */
	struct text_tag *tags;
	size_t           ntags;
	char           **mentions;    /* lowercased usernames, without '@' */
	size_t           nmentions;
	char           **urls;        /* as written, http(s) only */
	size_t           nurls;
	char            *search;      /* the search form */
	char            *hashtags;    /* the tag keys joined by single spaces, at most
	                               * TEXT_HASHTAGS_MAX bytes (whole keys only): tb_post.hashtags */
};

/* Outcomes of text_prepare. */
#define TEXT_OK        0
#define TEXT_BAD_UTF8  1   /* not UTF-8, or a NUL or control character */
#define TEXT_TOO_LONG  2   /* more than max_chars code points after normalization */

/*
 * Normalizes the n bytes at s and extracts what a post needs into out (zeroed first). Returns
 * TEXT_OK, TEXT_BAD_UTF8 or TEXT_TOO_LONG; on those two out is left empty (nothing to free, but
 * text_post_free is harmless). An empty text (or only white space) is TEXT_OK with len 0: whether
 * that is allowed (only with media) is the caller's rule. On TEXT_OK, text, search and hashtags
 * are never NULL ("" when empty); tags, mentions and urls are NULL when there are none.
 */
int text_prepare(const char *s, size_t n, size_t max_chars, struct text_post *out);

/* Releases what out holds and zeroes it; NULL is fine. */
void text_post_free(struct text_post *out);

/* The search form of a query typed into search (same rules as text_post.search, without the
 * length limit of posts): appended to out. Returns 0, or -1 for text that is not valid UTF-8. */
int text_search_form(const char *s, size_t n, struct buf *out);

/* The key of one hashtag as typed in a URL or a search box, with or without its '#': 0 and the
 * key appended to out, or -1 when it is not one valid tag. The input is normalized to NFC first
 * and white space around it is ignored; the rest must be exactly one tag by the rules above,
 * but of up to 128 code points rather than TEXT_TAG_MAX: links to a tag's page carry its key,
 * which may be longer than the tag as written ("#" and 60 "ß" have a key of 120 "s"), and the
 * key of every recorded tag gives itself back. */
int text_tag_key(const char *s, size_t n, struct buf *out);

/* The n bytes of a normalized text as HTML, appended to out: every character escaped (& < > " ',
 * and ` = as tmpl_escape_html does), "\n" as <br>, each hashtag a link to /hashtag/<key,
 * percent-encoded> and each mention to /u/<lowercased username>, recognized by the rules above
 * (the same scanner as text_prepare), as in <a href="/hashtag/strasse">#Straße</a> and
 * <a href="/u/bob">@Bob</a>; each URL a link to itself, shown without its scheme and cut after
 * TEXT_URL_SHOWN bytes with "…": <a href="https://example.com/a?b&amp;c"
 * rel="nofollow ugc noopener">example.com/a?b&amp;c</a>. Nothing else of the text becomes markup. Any bytes are accepted:
 * what is not UTF-8, and controls other than tab and "\n", become U+FFFD, so the output is
 * always valid UTF-8. */
void text_html(const char *s, size_t n, struct buf *out);

/* The first URL of the n bytes at s (any bytes) that starts at or after byte from, by the rules
 * above: true with its bytes in [*start, *end), false when there is none. */
bool text_url_find(const char *s, size_t n, size_t from, size_t *start, size_t *end);

/* Letters, marks and numbers (L*, M*, N*) and '_': what a hashtag is made of, and what InnoDB's
 * FULLTEXT parser keeps together as a word (lib/social/search.c builds its queries with it). */
bool text_word_char(int32_t cp);

#endif
