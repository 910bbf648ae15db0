/* test_text.c: the text of posts: NFC, line breaks, trimming, length, hashtags, mentions, the
 * search form, tag keys and HTML; then a deterministic fuzz of text_prepare and text_html. */
#include "config.h"

#include "test.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "text.h"
#include "utf8.h"

#define MAX_CHARS 280

/* Strings with NUL bytes inside give their length explicitly; 0 means strlen. */
static size_t
row_len(const char *s, size_t n)
{
	return n ? n : strlen(s);
}

/* n copies of piece, with head before and tail after. */
static void
repeat(struct buf *b, const char *head, const char *piece, size_t n, const char *tail)
{
	size_t i;

	buf_reset(b);
	buf_puts(b, head);
	for (i = 0; i < n; i++)
		buf_puts(b, piece);
	buf_puts(b, tail);
}

/* The tags of p as "key/name key/name", the mentions as "a b". */
static void
join_tags(const struct text_post *p, struct buf *b)
{
	size_t i;

	buf_reset(b);
	buf_puts(b, "");
	for (i = 0; i < p->ntags; i++)
		buf_printf(b, "%s%s/%s", i ? " " : "", p->tags[i].key, p->tags[i].name);
}

static void
join_mentions(const struct text_post *p, struct buf *b)
{
	size_t i;

	buf_reset(b);
	buf_puts(b, "");
	for (i = 0; i < p->nmentions; i++)
		buf_printf(b, "%s%s", i ? " " : "", p->mentions[i]);
}

static void
assert_empty_post(const struct text_post *p, int line)
{
	if (p->text || p->len || p->chars || p->tags || p->ntags || p->mentions || p->nmentions ||
	    p->search || p->hashtags)
		fail_msg("line %d: out is not left empty", line);
}

/* ---------------------------------------------------------------------------------------------
 * Normalization: NFC, line breaks, trimming; what is refused. */

struct norm_row {
	int         line;
	const char *in;
	size_t      n;        /* 0: strlen(in) */
	int         rc;
	const char *text;     /* when TEXT_OK */
	size_t      chars;
};

static const struct norm_row norm_rows[] = {
	{ __LINE__, "hello", 0, TEXT_OK, "hello", 5 },
	{ __LINE__, "e\xcc\x81", 0, TEXT_OK, "\xc3\xa9", 1 },                  /* e + U+0301 -> é */
	{ __LINE__, "\xc3\xa9", 0, TEXT_OK, "\xc3\xa9", 1 },
	{ __LINE__, "A\xcc\x8a\xcc\x81", 0, TEXT_OK, "\xc7\xba", 1 },          /* A + ring + acute -> Ǻ */
	/* Hangul jamo compose into one syllable (한). */
	{ __LINE__, "\xe1\x84\x92\xe1\x85\xa1\xe1\x86\xab", 0, TEXT_OK, "\xed\x95\x9c", 1 },
	/* NFC, not NFKC: the ligature and the fullwidth letter stay. */
	{ __LINE__, "\xef\xac\x81\xef\xbc\xa1", 0, TEXT_OK, "\xef\xac\x81\xef\xbc\xa1", 2 },
	{ __LINE__, "\xf0\x9f\x98\x80", 0, TEXT_OK, "\xf0\x9f\x98\x80", 1 },   /* emoji: one */
	{ __LINE__, "a\r\nb", 0, TEXT_OK, "a\nb", 3 },
	{ __LINE__, "a\rb", 0, TEXT_OK, "a\nb", 3 },
	{ __LINE__, "a\r\r\nb\n\rc", 0, TEXT_OK, "a\n\nb\n\nc", 7 },
	{ __LINE__, "a\tb", 0, TEXT_OK, "a\tb", 3 },
	{ __LINE__, "  hello  ", 0, TEXT_OK, "hello", 5 },
	{ __LINE__, "\r\n\t hi there \n\r\n", 0, TEXT_OK, "hi there", 8 },
	/* Unicode white space: ideographic space, no-break space, line separator. */
	{ __LINE__, "\xe3\x80\x80x\xc2\xa0\xe2\x80\xa8", 0, TEXT_OK, "x", 1 },
	{ __LINE__, "a \xe3\x80\x80 b", 0, TEXT_OK, "a \xe3\x80\x80 b", 5 },   /* inside: kept */
	{ __LINE__, "", 0, TEXT_OK, "", 0 },
	{ __LINE__, " \r\n\t ", 0, TEXT_OK, "", 0 },
	/* A zero-width space is not white space. */
	{ __LINE__, "\xe2\x80\x8b", 0, TEXT_OK, "\xe2\x80\x8b", 1 },
	/* Refused: not UTF-8. */
	{ __LINE__, "\xff", 0, TEXT_BAD_UTF8, NULL, 0 },
	{ __LINE__, "ok\x80", 0, TEXT_BAD_UTF8, NULL, 0 },
	{ __LINE__, "\xc0\xaf", 0, TEXT_BAD_UTF8, NULL, 0 },                    /* overlong '/' */
	{ __LINE__, "\xed\xa0\x80", 0, TEXT_BAD_UTF8, NULL, 0 },                /* surrogate */
	{ __LINE__, "\xf4\x90\x80\x80", 0, TEXT_BAD_UTF8, NULL, 0 },            /* > U+10FFFF */
	{ __LINE__, "\xe4\xb8", 0, TEXT_BAD_UTF8, NULL, 0 },                    /* cut short */
	/* Refused: NUL and control characters. */
	{ __LINE__, "a\0b", 3, TEXT_BAD_UTF8, NULL, 0 },
	{ __LINE__, "\0", 1, TEXT_BAD_UTF8, NULL, 0 },
	{ __LINE__, "a\x01", 0, TEXT_BAD_UTF8, NULL, 0 },
	{ __LINE__, "\x1b[31mred", 0, TEXT_BAD_UTF8, NULL, 0 },
	{ __LINE__, "a\x0b", 0, TEXT_BAD_UTF8, NULL, 0 },                       /* vertical tab */
	{ __LINE__, "a\x7f", 0, TEXT_BAD_UTF8, NULL, 0 },                       /* DEL */
	{ __LINE__, "a\xc2\x85", 0, TEXT_BAD_UTF8, NULL, 0 },                   /* NEL (C1) */
	{ __LINE__, "  \x08  ", 0, TEXT_BAD_UTF8, NULL, 0 },                    /* even when blank */
};

static void
test_prepare_normalizes(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof norm_rows / sizeof norm_rows[0]; i++) {
		const struct norm_row *r = &norm_rows[i];
		struct text_post p;
		int rc;

		rc = text_prepare(r->in, row_len(r->in, r->n), MAX_CHARS, &p);
		if (rc != r->rc)
			fail_msg("line %d: text_prepare gave %d, want %d", r->line, rc, r->rc);
		if (rc != TEXT_OK) {
			assert_empty_post(&p, r->line);
			text_post_free(&p);
			continue;
		}
		if (p.len != strlen(r->text) || strcmp(p.text, r->text) != 0)
			fail_msg("line %d: text \"%s\", want \"%s\"", r->line, p.text, r->text);
		if (p.chars != r->chars)
			fail_msg("line %d: %zu chars, want %zu", r->line, p.chars, r->chars);
		if (p.search == NULL || p.hashtags == NULL)
			fail_msg("line %d: search or hashtags is NULL", r->line);
		text_post_free(&p);
	}
}

/* ---------------------------------------------------------------------------------------------
 * Length: code points after normalization, at the limit and one past it. */

struct len_row {
	int         line;
	const char *head, *piece, *tail;
	size_t      count;
	size_t      max;
	int         rc;
	size_t      chars;    /* when TEXT_OK */
	size_t      bytes;
};

static const struct len_row len_rows[] = {
	{ __LINE__, "", "a", "", 280, 280, TEXT_OK, 280, 280 },
	{ __LINE__, "", "a", "", 281, 280, TEXT_TOO_LONG, 0, 0 },
	{ __LINE__, "", "\xc3\xa9", "", 280, 280, TEXT_OK, 280, 560 },                 /* é */
	{ __LINE__, "", "\xc3\xa9", "", 281, 280, TEXT_TOO_LONG, 0, 0 },
	/* e + U+0301 is two code points as sent, one after NFC. */
	{ __LINE__, "", "e\xcc\x81", "", 280, 280, TEXT_OK, 280, 560 },
	{ __LINE__, "", "e\xcc\x81", "", 281, 280, TEXT_TOO_LONG, 0, 0 },
	{ __LINE__, "", "\xe5\x8c\x97", "", 280, 280, TEXT_OK, 280, 840 },             /* 北 */
	{ __LINE__, "", "\xe5\x8c\x97", "", 281, 280, TEXT_TOO_LONG, 0, 0 },
	{ __LINE__, "", "\xf0\x9f\x98\x80", "", 280, 280, TEXT_OK, 280, 1120 },        /* 😀 */
	{ __LINE__, "", "\xf0\x9f\x98\x80", "", 281, 280, TEXT_TOO_LONG, 0, 0 },
	/* A mark that composes with nothing stays a code point of its own. */
	{ __LINE__, "", "x\xcc\xb2", "", 140, 280, TEXT_OK, 280, 420 },
	{ __LINE__, "y", "x\xcc\xb2", "", 140, 280, TEXT_TOO_LONG, 0, 0 },
	/* White space around does not count; CRLF inside is one. */
	{ __LINE__, "  \r\n ", "a", " \t\r\n", 280, 280, TEXT_OK, 280, 280 },
	{ __LINE__, "a", "\r\n", "b", 278, 280, TEXT_OK, 280, 280 },
	{ __LINE__, "a", "\r\n", "b", 279, 280, TEXT_TOO_LONG, 0, 0 },
	{ __LINE__, "", "a", "", 0, 0, TEXT_OK, 0, 0 },
	{ __LINE__, "", "a", "", 1, 0, TEXT_TOO_LONG, 0, 0 },
	/* Bad bytes win over length. */
	{ __LINE__, "\x01", "a", "", 300, 280, TEXT_BAD_UTF8, 0, 0 },
};

static void
test_prepare_length(void **state)
{
	struct buf in = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof len_rows / sizeof len_rows[0]; i++) {
		const struct len_row *r = &len_rows[i];
		struct text_post p;
		int rc;

		repeat(&in, r->head, r->piece, r->count, r->tail);
		rc = text_prepare(in.data, in.len, r->max, &p);
		if (rc != r->rc)
			fail_msg("line %d: text_prepare gave %d, want %d", r->line, rc, r->rc);
		if (rc == TEXT_OK) {
			if (p.chars != r->chars || p.len != r->bytes || strlen(p.text) != r->bytes)
				fail_msg("line %d: %zu chars in %zu bytes, want %zu in %zu", r->line,
				    p.chars, p.len, r->chars, r->bytes);
			if (utf8_count(p.text, p.len) != p.chars)
				fail_msg("line %d: chars disagrees with utf8_count", r->line);
		} else {
			assert_empty_post(&p, r->line);
		}
		text_post_free(&p);
	}
	buf_free(&in);
}

/* ---------------------------------------------------------------------------------------------
 * Hashtags and mentions. */

struct extract_row {
	int         line;
	const char *in;
	const char *tags;       /* "key/name ..." */
	const char *mentions;   /* "a b ..." */
};

static const struct extract_row extract_rows[] = {
	{ __LINE__, "no tags here", "", "" },
	{ __LINE__, "#hello world", "hello/hello", "" },
	{ __LINE__, "say #Hello, #World!", "hello/Hello world/World", "" },
	/* Case folding, not just lowercasing: ß is ss. First written form kept. */
	{ __LINE__, "#Straße und #STRASSE", "strasse/Straße", "" },
	{ __LINE__, "#STRASSE und #Straße", "strasse/STRASSE", "" },
	{ __LINE__, "#Tag #tag #TAG #tAg", "tag/Tag", "" },
	{ __LINE__, "#\xce\xa3\xce\xbf\xcf\x86\xce\xaf\xce\xb1", "σοφία/Σοφία", "" },
	{ __LINE__, "#\xef\xac\x83", "ffi/ﬃ", "" },                   /* the ligature folds to three */
	/* CJK: letters like any other. */
	{ __LINE__, "#北京 欢迎你", "北京/北京", "" },
	{ __LINE__, "去 #東京タワー。", "東京タワー/東京タワー", "" },
	{ __LINE__, "#한국어", "한국어/한국어", "" },
	/* After a letter (CJK ones too) a '#' starts nothing. */
	{ __LINE__, "我爱#北京", "", "" },
	/* Composed as NFC before anything: the key and the name are é, not e + U+0301. */
	{ __LINE__, "#cafe\xcc\x81", "café/café", "" },
	/* Numbers alone are not tags; with anything else they are. */
	{ __LINE__, "#1 #2024 #\xef\xbc\x92\xef\xbc\x90 #\xe2\x85\xab", "", "" },
	{ __LINE__, "#123abc #4_", "123abc/123abc 4_/4_", "" },
	{ __LINE__, "#_", "_/_", "" },
	/* Where a tag may start, and where it ends. */
	{ __LINE__, "&#39; a#b _#c 1#d é#e", "", "" },
	{ __LINE__, "&#x27; &#tag", "", "" },     /* the '&' rule, not the digits, keeps these out */
	{ __LINE__, "(#tag) [#two] \"#three\"", "tag/tag two/two three/three", "" },
	{ __LINE__, "#tag's #end.", "tag/tag end/end", "" },
	{ __LINE__, "#a#b", "a/a", "" },
	{ __LINE__, "##a", "a/a", "" },
	{ __LINE__, "# a #", "", "" },
	{ __LINE__, "#-a #!", "", "" },
	{ __LINE__, "x\n#line", "line/line", "" },
	{ __LINE__, "\xf0\x9f\x98\x80#emoji #love\xe2\x9d\xa4", "emoji/emoji love/love", "" },
	/* A URL is taken whole: its fragment is no tag, its path's '@' no mention. */
	{ __LINE__, "http://example.com/#frag", "", "" },
	{ __LINE__, "https://example.com/@bob #real", "real/real", "" },
	/* Mentions: a username's alphabet, lowercased, once each. */
	{ __LINE__, "@Bob hi", "", "bob" },
	{ __LINE__, "hi @Bob @bob @BOB @alice", "", "bob alice" },
	{ __LINE__, "(@bob) @bob. @carol, @dave's", "", "bob carol dave" },
	{ __LINE__, "@a @a_1", "", "a a_1" },
	{ __LINE__, "@abcdefghijklmno", "", "abcdefghijklmno" },      /* 15: the longest */
	{ __LINE__, "@abcdefghijklmnop", "", "" },                    /* 16: nobody */
	/* Email addresses and their look-alikes mention nobody. */
	{ __LINE__, "mail@example.com", "", "" },
	{ __LINE__, "@bob@example.com", "", "" },
	{ __LINE__, "first.@bob _@bob 1@bob é@bob", "", "" },
	{ __LINE__, "@bobé @bob_\xc3\xa9 @北京 @ @-x", "", "" },
	{ __LINE__, "@@bob", "", "bob" },
	/* Both at once, in order. */
	{ __LINE__, "@Ann: #Go @ann #go #Rust", "go/Go rust/Rust", "ann" },
};

static void
test_extract(void **state)
{
	struct buf got = BUF_INIT, keys = BUF_INIT;
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof extract_rows / sizeof extract_rows[0]; i++) {
		const struct extract_row *r = &extract_rows[i];
		struct text_post p;

		if (text_prepare(r->in, strlen(r->in), MAX_CHARS, &p) != TEXT_OK)
			fail_msg("line %d: text_prepare refused the text", r->line);
		join_tags(&p, &got);
		if (strcmp(buf_cstr(&got), r->tags) != 0)
			fail_msg("line %d: tags \"%s\", want \"%s\"", r->line, buf_cstr(&got), r->tags);
		join_mentions(&p, &got);
		if (strcmp(buf_cstr(&got), r->mentions) != 0)
			fail_msg("line %d: mentions \"%s\", want \"%s\"", r->line, buf_cstr(&got),
			    r->mentions);
		/* The hashtags column is the keys, space-separated. */
		buf_reset(&keys);
		buf_puts(&keys, "");
		for (k = 0; k < p.ntags; k++)
			buf_printf(&keys, "%s%s", k ? " " : "", p.tags[k].key);
		if (strcmp(p.hashtags, buf_cstr(&keys)) != 0)
			fail_msg("line %d: hashtags \"%s\", want \"%s\"", r->line, p.hashtags,
			    buf_cstr(&keys));
		text_post_free(&p);
	}
	buf_free(&got);
	buf_free(&keys);
}

/* Limits: tag length in code points, key length after folding, how many tags and mentions, and
 * the bytes of the hashtags column. */
static void
test_extract_limits(void **state)
{
	struct buf in = BUF_INIT, want = BUF_INIT;
	struct text_post p;
	size_t i;

	(void)state;
	/* TEXT_TAG_MAX code points is a tag, one more is none (not a shorter one). */
	repeat(&in, "#", "\xe5\x8c\x97", TEXT_TAG_MAX, " end");
	assert_int_equal(text_prepare(in.data, in.len, MAX_CHARS, &p), TEXT_OK);
	assert_int_equal(p.ntags, 1);
	assert_int_equal(utf8_count(p.tags[0].name, strlen(p.tags[0].name)), TEXT_TAG_MAX);
	text_post_free(&p);
	repeat(&in, "#", "\xe5\x8c\x97", TEXT_TAG_MAX + 1, " end");
	assert_int_equal(text_prepare(in.data, in.len, MAX_CHARS, &p), TEXT_OK);
	assert_int_equal(p.ntags, 0);
	assert_string_equal(p.hashtags, "");
	text_post_free(&p);

	/* tb_hashtag.tag_key holds 128 characters: 64 "ß" fold to 128 "s", 65 to 130. */
	repeat(&in, "#", "\xc3\x9f", 64, "");
	assert_int_equal(text_prepare(in.data, in.len, MAX_CHARS, &p), TEXT_OK);
	assert_int_equal(p.ntags, 1);
	assert_int_equal(strlen(p.tags[0].key), 128);
	/* Its page, /hashtag/<key> (the link text_html writes), finds it by that key. */
	buf_reset(&want);
	assert_int_equal(text_tag_key(p.tags[0].key, 128, &want), 0);
	assert_string_equal(buf_cstr(&want), p.tags[0].key);
	text_post_free(&p);
	repeat(&in, "#", "\xc3\x9f", 65, "");
	assert_int_equal(text_prepare(in.data, in.len, MAX_CHARS, &p), TEXT_OK);
	assert_int_equal(p.ntags, 0);
	text_post_free(&p);

	/* TEXT_MAX_TAGS distinct tags; repeats do not use up the count. */
	buf_reset(&in);
	buf_reset(&want);
	buf_puts(&want, "");
	for (i = 0; i < TEXT_MAX_TAGS + 3; i++) {
		buf_printf(&in, "#t%zu #T0 ", i);
		if (i < TEXT_MAX_TAGS)
			buf_printf(&want, "%st%zu", i ? " " : "", i);
	}
	assert_int_equal(text_prepare(in.data, in.len, MAX_CHARS, &p), TEXT_OK);
	assert_int_equal(p.ntags, TEXT_MAX_TAGS);
	assert_string_equal(p.hashtags, buf_cstr(&want));
	text_post_free(&p);

	/* TEXT_MAX_MENTIONS distinct mentions. */
	buf_reset(&in);
	for (i = 0; i < TEXT_MAX_MENTIONS + 3; i++)
		buf_printf(&in, "@user%zu @USER0 ", i);
	assert_int_equal(text_prepare(in.data, in.len, MAX_CHARS, &p), TEXT_OK);
	assert_int_equal(p.nmentions, TEXT_MAX_MENTIONS);
	assert_string_equal(p.mentions[0], "user0");
	assert_string_equal(p.mentions[TEXT_MAX_MENTIONS - 1], "user9");
	text_post_free(&p);

	/* The hashtags column: 99 + 1 + 99 + 1 + 100 bytes is exactly TEXT_HASHTAGS_MAX; the next
	 * key does not fit, and neither it nor any later tag is recorded. */
	repeat(&in, "#", "a", 99, " ");
	repeat(&want, "", "b", 99, "");
	buf_printf(&in, "#%s ", buf_cstr(&want));
	repeat(&want, "", "c", 100, "");
	buf_printf(&in, "#%s #d #a #e", buf_cstr(&want));
	assert_int_equal(text_prepare(in.data, in.len, 1000, &p), TEXT_OK);
	assert_int_equal(strlen(p.hashtags), TEXT_HASHTAGS_MAX);
	assert_int_equal(p.ntags, 3);
	assert_int_equal(p.hashtags[99], ' ');
	assert_int_equal(p.hashtags[199], ' ');
	assert_int_equal(p.hashtags[200], 'c');
	text_post_free(&p);

	/* Whole keys only: three 40-character Chinese tags are 120 bytes each; the third would make
	 * 362 bytes. */
	repeat(&in, "#", "\xe4\xb8\x80", 40, " #");                   /* 一 */
	repeat(&want, "", "\xe4\xba\x8c", 40, " #");                  /* 二 */
	buf_puts(&in, buf_cstr(&want));
	repeat(&want, "", "\xe4\xb8\x89", 40, "");                    /* 三 */
	buf_puts(&in, buf_cstr(&want));
	assert_int_equal(text_prepare(in.data, in.len, MAX_CHARS, &p), TEXT_OK);
	assert_int_equal(p.ntags, 2);
	assert_int_equal(strlen(p.hashtags), 241);
	text_post_free(&p);

	buf_free(&in);
	buf_free(&want);
}

/* ---------------------------------------------------------------------------------------------
 * The search form. */

struct search_row {
	int         line;
	const char *in;
	size_t      n;        /* 0: strlen(in) */
	int         rc;
	const char *form;
};

static const struct search_row search_rows[] = {
	{ __LINE__, "Hello World", 0, 0, "hello world" },
	{ __LINE__, "STRASSE Straße", 0, 0, "strasse strasse" },
	{ __LINE__, "\xce\xa3\xce\x9f\xce\xa6\xce\x8a\xce\x91", 0, 0, "σοφία" },
	{ __LINE__, "Cafe\xcc\x81", 0, 0, "café" },
	/* CJK runs become their overlapping bigrams and last character, each with "cj" before. */
	{ __LINE__, "我爱北京", 0, 0, "cj我爱 cj爱北 cj北京 cj京" },
	{ __LINE__, "北京", 0, 0, "cj北京 cj京" },
	{ __LINE__, "北", 0, 0, "cj北" },
	{ __LINE__, "東京タワー", 0, 0, "cj東京 cj京タ cjタワ cjワー cjー" },
	{ __LINE__, "ひらがな", 0, 0, "cjひら cjらが cjがな cjな" },
	{ __LINE__, "한국어 공부", 0, 0, "cj한국 cj국어 cj어 cj공부 cj부" },
	/* Mixed scripts: CJK runs are set apart from what touches them. */
	{ __LINE__, "I love 北京!", 0, 0, "i love cj北京 cj京 !" },
	{ __LINE__, "hello北京world", 0, 0, "hello cj北京 cj京 world" },
	{ __LINE__, "a北b京c", 0, 0, "a cj北 b cj京 c" },
	{ __LINE__, "I\xe2\x9d\xa4北京!", 0, 0, "i\xe2\x9d\xa4 cj北京 cj京 !" },       /* text.h's example */
	{ __LINE__, "#北京 @Bob", 0, 0, "# cj北京 cj京 @bob" },
	{ __LINE__, "北京。上海", 0, 0, "cj北京 cj京 。 cj上海 cj海" },
	{ __LINE__, "iPhone用户", 0, 0, "iphone cj用户 cj户" },
	/* White space and controls are single spaces; none at either end. */
	{ __LINE__, "  a\t\tb\nc \xe3\x80\x80 d  ", 0, 0, "a b c d" },
	{ __LINE__, "a\0b", 3, 0, "a b" },
	{ __LINE__, "a\x01\x7f" "b", 0, 0, "a b" },
	{ __LINE__, "", 0, 0, "" },
	{ __LINE__, " \n ", 0, 0, "" },
	/* Not UTF-8: refused, nothing appended. */
	{ __LINE__, "ab\xff", 0, -1, "" },
	{ __LINE__, "\xed\xa0\x80", 0, -1, "" },
};

static void
test_search_form(void **state)
{
	struct buf out = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof search_rows / sizeof search_rows[0]; i++) {
		const struct search_row *r = &search_rows[i];
		int rc;

		/* The form is appended: what was there stays. */
		buf_reset(&out);
		buf_puts(&out, "pre:");
		rc = text_search_form(r->in, row_len(r->in, r->n), &out);
		if (rc != r->rc)
			fail_msg("line %d: text_search_form gave %d, want %d", r->line, rc, r->rc);
		if (strncmp(buf_cstr(&out), "pre:", 4) != 0 || strcmp(buf_cstr(&out) + 4, r->form))
			fail_msg("line %d: form \"%s\", want \"pre:%s\"", r->line, buf_cstr(&out),
			    r->form);
	}
	buf_free(&out);
}

/* A post's search form is the same as a query's, cut to TEXT_SEARCH_MAX bytes at a character
 * boundary: 280 Chinese characters make 280 "cj" tokens of 6 to 9 bytes, far more than that. The ASCII
 * heads move the cut to every place in a bigram and its space. */
static void
test_search_form_of_post_is_cut(void **state)
{
	static const char *const heads[] = { "", "x", "xy", "xyz", "xyzw", "xyzwv", "xyzwvu" };
	struct buf in = BUF_INIT, full = BUF_INIT;
	struct text_post p;
	size_t i, k, len;

	(void)state;
	for (k = 0; k < sizeof heads / sizeof heads[0]; k++) {
		buf_reset(&in);
		buf_puts(&in, heads[k]);
		for (i = strlen(heads[k]); i < MAX_CHARS; i++)
			buf_puts(&in, i % 2 ? "\xe5\x8c\x97" : "\xe4\xba\xac");     /* 北 京 */
		if (text_prepare(in.data, in.len, MAX_CHARS, &p) != TEXT_OK)
			fail_msg("head \"%s\": refused", heads[k]);
		buf_reset(&full);
		assert_int_equal(text_search_form(p.text, p.len, &full), 0);
		assert_true(full.len > TEXT_SEARCH_MAX);
		len = strlen(p.search);
		if (len > TEXT_SEARCH_MAX || len < TEXT_SEARCH_MAX - 7)
			fail_msg("head \"%s\": %zu bytes", heads[k], len);
		assert_true(utf8_valid(p.search, len));
		assert_memory_equal(p.search, full.data, len);
		assert_true(p.search[len - 1] != ' ');
		/* Cut before a lead byte, a space or the end, never inside a character. */
		assert_true((full.data[len] & 0xc0) != 0x80);
		text_post_free(&p);
	}
	/* A short text's form is whole. */
	assert_int_equal(text_prepare("我爱北京 Tokyo", strlen("我爱北京 Tokyo"), MAX_CHARS, &p),
	    TEXT_OK);
	assert_string_equal(p.search, "cj我爱 cj爱北 cj北京 cj京 tokyo");
	text_post_free(&p);
	buf_free(&in);
	buf_free(&full);
}

/* ---------------------------------------------------------------------------------------------
 * One tag as typed in a URL or a search box. */

struct key_row {
	int         line;
	const char *in;
	size_t      n;
	const char *key;   /* NULL: -1 */
};

static const struct key_row key_rows[] = {
	{ __LINE__, "tag", 0, "tag" },
	{ __LINE__, "#Tag", 0, "tag" },
	{ __LINE__, "#Straße", 0, "strasse" },
	{ __LINE__, "STRASSE", 0, "strasse" },
	{ __LINE__, "北京", 0, "北京" },
	{ __LINE__, "#北京", 0, "北京" },
	{ __LINE__, "cafe\xcc\x81", 0, "café" },
	{ __LINE__, "  #tag \n", 0, "tag" },
	{ __LINE__, "123abc", 0, "123abc" },
	{ __LINE__, "_", 0, "_" },
	{ __LINE__, "", 0, NULL },
	{ __LINE__, "#", 0, NULL },
	{ __LINE__, "  ", 0, NULL },
	{ __LINE__, "1", 0, NULL },
	{ __LINE__, "#2024", 0, NULL },
	{ __LINE__, "##tag", 0, NULL },
	{ __LINE__, "a b", 0, NULL },
	{ __LINE__, "a#b", 0, NULL },
	{ __LINE__, "tag!", 0, NULL },
	{ __LINE__, "tag,x", 0, NULL },
	{ __LINE__, "@bob", 0, NULL },
	{ __LINE__, "ta\0g", 4, NULL },
	{ __LINE__, "t\x01", 0, NULL },
	{ __LINE__, "t\xff", 0, NULL },
	{ __LINE__, "\xc3", 0, NULL },
};

static void
test_tag_key(void **state)
{
	struct buf out = BUF_INIT, in = BUF_INIT;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof key_rows / sizeof key_rows[0]; i++) {
		const struct key_row *r = &key_rows[i];

		buf_reset(&out);
		buf_puts(&out, "k=");
		rc = text_tag_key(r->in, row_len(r->in, r->n), &out);
		if (rc != (r->key ? 0 : -1))
			fail_msg("line %d: text_tag_key gave %d", r->line, rc);
		if (strcmp(buf_cstr(&out) + 2, r->key ? r->key : "") != 0)
			fail_msg("line %d: key \"%s\", want \"k=%s\"", r->line, buf_cstr(&out),
			    r->key ? r->key : "");
	}
	/* A key may be longer than its tag as written (a link to the tag's page carries the key):
	 * up to the 128 code points of tb_hashtag.tag_key, as written or once folded. */
	repeat(&in, "#", "x", 128, "");
	buf_reset(&out);
	assert_int_equal(text_tag_key(in.data, in.len, &out), 0);
	assert_int_equal(out.len, 128);
	repeat(&in, "#", "x", 129, "");
	assert_int_equal(text_tag_key(in.data, in.len, &out), -1);
	repeat(&in, "", "\xc3\x9f", 65, "");
	assert_int_equal(text_tag_key(in.data, in.len, &out), -1);
	buf_free(&in);
	buf_free(&out);
}

/* ---------------------------------------------------------------------------------------------
 * URLs: what text_url_find (the scanner's URL rule) takes, as "start:end" of each URL found,
 * in order; "" for none. */

struct url_row {
	int         line;
	const char *in;
	const char *want;   /* the URLs found, separated by single spaces */
};

static const struct url_row url_rows[] = {
	{ __LINE__, "see http://example.com", "http://example.com" },
	{ __LINE__, "https://example.com/a?b=1&c=2#top", "https://example.com/a?b=1&c=2#top" },
	/* Trailing punctuation belongs to the sentence. */
	{ __LINE__, "go to https://example.com/x.", "https://example.com/x" },
	{ __LINE__, "https://a.example, https://b.example; https://c.example!?",
	  "https://a.example https://b.example https://c.example" },
	{ __LINE__, "\"https://example.com/q\"", "https://example.com/q" },
	{ __LINE__, "'https://example.com/q'", "https://example.com/q" },
	/* Brackets: kept when the URL opened them, else the sentence's. */
	{ __LINE__, "(see https://example.com/a)", "https://example.com/a" },
	{ __LINE__, "https://en.wikipedia.org/wiki/C_(language)",
	  "https://en.wikipedia.org/wiki/C_(language)" },
	{ __LINE__, "(https://en.wikipedia.org/wiki/C_(language))",
	  "https://en.wikipedia.org/wiki/C_(language)" },
	{ __LINE__, "[https://example.com/a]", "https://example.com/a" },
	{ __LINE__, "<https://example.com/a>", "https://example.com/a" },
	/* CJK around a URL is not part of it; CJK before it may start one. */
	{ __LINE__, "看看https://example.com/北京很好", "https://example.com/" },
	{ __LINE__, "链接：https://example.com。", "https://example.com" },
	{ __LINE__, "（https://example.com）", "https://example.com" },
	/* Any case of the scheme; nothing else is a URL. */
	{ __LINE__, "HTTPS://EXAMPLE.COM/A HtTp://x.example", "HTTPS://EXAMPLE.COM/A HtTp://x.example" },
	{ __LINE__, "javascript:alert(1) data:text/html,x ftp://example.com file:///etc/passwd", "" },
	{ __LINE__, "javascript:http://example.com jAvAsCrIpT://example.com/%0aalert(1)", "" },
	{ __LINE__, "xhttp://example.com a/http://example.com a.http://b.example", "" },
	{ __LINE__, "http:example.com http:/example.com http:// https://", "" },
	/* Userinfo would show one host and lead to another: no URL. */
	{ __LINE__, "http://a@b http://bank.example@evil.example/ http://u:p@h.example", "" },
	/* The authority: a host name, an IPv6 address, a port. */
	{ __LINE__, "http://127.0.0.1:8080/x http://[::1]:80/ http://localhost",
	  "http://127.0.0.1:8080/x http://[::1]:80/ http://localhost" },
	{ __LINE__, "http://-./ http://a_b.example http://a.example:/ http://a.example:123456", "" },
	{ __LINE__, "http://a.example:x http://[::1 http://[]/", "" },
	/* What ends a URL: white space, quotes, markup, controls. */
	{ __LINE__, "https://a.example/<script>", "https://a.example/" },
	{ __LINE__, "https://a.example/\"onmouseover=x", "https://a.example/" },
	{ __LINE__, "https://a.example/`x`", "https://a.example/" },
	{ __LINE__, "https://a.example/\nnext", "https://a.example/" },
	/* After a tag or mention, and around them. */
	{ __LINE__, "#tag https://a.example @bob", "https://a.example" },
	{ __LINE__, "@bob:https://a.example", "" },
};

static void
join_urls_found(const char *s, size_t n, struct buf *got)
{
	size_t from = 0, start, end;

	buf_reset(got);
	buf_puts(got, "");
	while (text_url_find(s, n, from, &start, &end)) {
		if (got->len > 0)
			buf_putc(got, ' ');
		buf_append(got, s + start, end - start);
		from = end;
	}
}

static void
test_urls(void **state)
{
	struct buf got = BUF_INIT;
	struct text_post p;
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof url_rows / sizeof url_rows[0]; i++) {
		const struct url_row *r = &url_rows[i];

		join_urls_found(r->in, strlen(r->in), &got);
		if (strcmp(buf_cstr(&got), r->want) != 0)
			fail_msg("line %d: URLs \"%s\", want \"%s\"", r->line, buf_cstr(&got), r->want);
		/* text_prepare records the same (these texts are normalized already). */
		assert_int_equal(text_prepare(r->in, strlen(r->in), MAX_CHARS, &p), TEXT_OK);
		buf_reset(&got);
		buf_puts(&got, "");
		for (k = 0; k < p.nurls; k++)
			buf_printf(&got, "%s%s", k ? " " : "", p.urls[k]);
		if (strcmp(buf_cstr(&got), r->want) != 0)
			fail_msg("line %d: recorded \"%s\", want \"%s\"", r->line, buf_cstr(&got),
			    r->want);
		text_post_free(&p);
	}
	buf_free(&got);
}

/* Each URL once, at most TEXT_MAX_URLS; a URL of TEXT_URL_MAX bytes is one, a longer run is
 * none (not a shorter one). */
static void
test_url_limits(void **state)
{
	struct buf in = BUF_INIT, got = BUF_INIT;
	struct text_post p;
	size_t start, end;

	(void)state;
	assert_int_equal(text_prepare("http://a.example http://a.example http://b.example "
	    "http://c.example http://d.example http://e.example", 101, MAX_CHARS, &p), TEXT_OK);
	assert_int_equal(p.nurls, TEXT_MAX_URLS);
	assert_string_equal(p.urls[0], "http://a.example");
	assert_string_equal(p.urls[3], "http://d.example");
	text_post_free(&p);

	buf_puts(&in, "https://a.example/");
	while (in.len < TEXT_URL_MAX)
		buf_putc(&in, 'x');
	assert_true(text_url_find(in.data, in.len, 0, &start, &end));
	assert_int_equal(start, 0);
	assert_int_equal(end, TEXT_URL_MAX);
	buf_putc(&in, 'x');
	assert_false(text_url_find(in.data, in.len, 0, &start, &end));
	/* Nor is its tail a URL, or a tag. */
	buf_puts(&in, "/#tag");
	join_urls_found(in.data, in.len, &got);
	assert_string_equal(buf_cstr(&got), "");
	buf_free(&got);
	buf_free(&in);
}

/* ---------------------------------------------------------------------------------------------
 * HTML. */

struct html_row {
	int         line;
	const char *in;
	size_t      n;
	const char *html;
};

static const struct html_row html_rows[] = {
	{ __LINE__, "plain text", 0, "plain text" },
	{ __LINE__, "a & b < c > d \" e ' f", 0, "a &amp; b &lt; c &gt; d &quot; e &#39; f" },
	{ __LINE__, "line1\nline2\n", 0, "line1<br>line2<br>" },
	{ __LINE__, "a\tb", 0, "a\tb" },
	{ __LINE__, "#Tag", 0, "<a href=\"/hashtag/tag\">#Tag</a>" },
	{ __LINE__, "#Straße!", 0, "<a href=\"/hashtag/strasse\">#Straße</a>!" },
	{ __LINE__, "看 #北京", 0, "看 <a href=\"/hashtag/%E5%8C%97%E4%BA%AC\">#北京</a>" },
	{ __LINE__, "#a_b-c", 0, "<a href=\"/hashtag/a_b\">#a_b</a>-c" },
	{ __LINE__, "@Bob: hi", 0, "<a href=\"/u/bob\">@Bob</a>: hi" },
	{ __LINE__, "#x @y", 0, "<a href=\"/hashtag/x\">#x</a> <a href=\"/u/y\">@y</a>" },
	/* What extraction does not take is not linked either. */
	{ __LINE__, "mail@example.com a#b #1", 0, "mail@example.com a#b #1" },
	{ __LINE__, "&#39;", 0, "&amp;#39;" },
	{ __LINE__, "&#x27;", 0, "&amp;#x27;" },
	{ __LINE__, "&lt;b&gt;", 0, "&amp;lt;b&amp;gt;" },
	/* Hostile text stays text. */
	{ __LINE__, "<script>#x\"onmouseover=", 0,
	  "&lt;script&gt;<a href=\"/hashtag/x\">#x</a>&quot;onmouseover&#61;" },
	{ __LINE__, "\"><img src=x onerror=alert(1)>", 0,
	  "&quot;&gt;&lt;img src&#61;x onerror&#61;alert(1)&gt;" },
	{ __LINE__, "@a\"b", 0, "<a href=\"/u/a\">@a</a>&quot;b" },
	{ __LINE__, "`x`", 0, "&#96;x&#96;" },
	/* URLs: the href whole and escaped, the text without its scheme, cut with an ellipsis. */
	{ __LINE__, "see https://example.com/a?b=1&c=2.", 0,
	  "see <a href=\"https://example.com/a?b&#61;1&amp;c&#61;2\" rel=\"nofollow ugc noopener\">"
	  "example.com/a?b&#61;1&amp;c&#61;2</a>." },
	{ __LINE__, "https://example.com/a/very/long/path/that/goes/on", 0,
	  "<a href=\"https://example.com/a/very/long/path/that/goes/on\" "
	  "rel=\"nofollow ugc noopener\">example.com/a/very/long/path/th\xe2\x80\xa6</a>" },
	{ __LINE__, "看HTTP://X.EXAMPLE的", 0,
	  "看<a href=\"HTTP://X.EXAMPLE\" rel=\"nofollow ugc noopener\">X.EXAMPLE</a>的" },
	{ __LINE__, "https://x.example/'onclick='a", 0,
	  "<a href=\"https://x.example/&#39;onclick&#61;&#39;a\" rel=\"nofollow ugc noopener\">"
	  "x.example/&#39;onclick&#61;&#39;a</a>" },
	{ __LINE__, "javascript:alert(1) http://a@b", 0, "javascript:alert(1) http://a@b" },
	{ __LINE__, "https://x.example/#frag @bob", 0,
	  "<a href=\"https://x.example/#frag\" rel=\"nofollow ugc noopener\">x.example/#frag</a> "
	  "<a href=\"/u/bob\">@bob</a>" },
	/* Not normalized text, or not text at all: still valid UTF-8 out, controls replaced. */
	{ __LINE__, "a\xff" "b", 0, "a\xef\xbf\xbd" "b" },
	{ __LINE__, "a\0b", 3, "a\xef\xbf\xbd" "b" },
	{ __LINE__, "a\r\x1b" "b", 0, "a\xef\xbf\xbd\xef\xbf\xbd" "b" },
	{ __LINE__, "#\xe4\xb8", 0, "#\xef\xbf\xbd\xef\xbf\xbd" },
	{ __LINE__, "", 0, "" },
};

static void
test_html(void **state)
{
	struct buf out = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof html_rows / sizeof html_rows[0]; i++) {
		const struct html_row *r = &html_rows[i];
		size_t n = r->n ? r->n : strlen(r->in);

		buf_reset(&out);
		buf_puts(&out, "<p>");
		text_html(r->in, n, &out);
		if (strncmp(buf_cstr(&out), "<p>", 3) != 0 || strcmp(buf_cstr(&out) + 3, r->html) != 0)
			fail_msg("line %d: html \"%s\", want \"<p>%s\"", r->line, buf_cstr(&out),
			    r->html);
	}
	buf_free(&out);
}

/* text_post_free takes NULL, an empty post and a freed post. */
static void
test_free_accepts_null_and_empty(void **state)
{
	struct text_post p;

	(void)state;
	text_post_free(NULL);
	memset(&p, 0, sizeof p);
	text_post_free(&p);
	assert_int_equal(text_prepare("#a @b", 5, MAX_CHARS, &p), TEXT_OK);
	text_post_free(&p);
	assert_null(p.text);
	assert_int_equal(p.ntags, 0);
	text_post_free(&p);
	/* A refused text leaves nothing to free, and freeing is still harmless. */
	assert_int_equal(text_prepare("\xff", 1, MAX_CHARS, &p), TEXT_BAD_UTF8);
	text_post_free(&p);
}

/* ---------------------------------------------------------------------------------------------
 * Fuzz: random mixes of pieces rich in sigils, separators, marks, CJK, bad bytes and controls,
 * from a fixed seed so a failure reproduces everywhere. Checked for every input:
 *   - text_prepare either refuses or gives valid UTF-8 without '\r', at most MAX_CHARS code
 *     points, that text_prepare gives back unchanged (normalizing is idempotent);
 *   - the tags are the hashtags column, the search form is valid UTF-8 within its limit;
 *   - text_html of the raw input and of the text is valid UTF-8, its only markup is ours, and
 *     every recorded tag and mention is linked;
 *   - text_search_form refuses exactly what is not UTF-8. */

#define FUZZ_ITERATIONS 6000
#define FUZZ_MAX_PIECES 40

/* Pieces a post may hold: sigils, separators, letters that fold or compose, CJK, Hangul jamo,
 * white space of every kind, an emoji, a fullwidth digit. */
static const char *const good_pieces[] = {
	"#", "#", "@", "@", "&", ".", "_", "a", "B", "z9", "1", " ", "\n", "\r", "\r\n", "\t", "<",
	">", "\"", "'", "=", "`", "/", "\xc3\xa9", "e", "\xcc\x81", "\xc3\x9f", "\xef\xac\x83",
	"\xe5\x8c\x97", "\xe4\xba\xac", "\xe3\x82\xbf", "\xed\x95\x9c", "\xe1\x84\x92",
	"\xe1\x85\xa1", "\xe3\x80\x80", "\xf0\x9f\x98\x80", "\xef\xbc\x92", "\xc2\xa0",
	"&#39;", "mail@example.com", "@abcdefghijklmno", "#Tag", "#STRASSE",
	"http://", "https://a.example", "HTTPS://", "(", ")", "?", "[::1]", ":80", "@b", "javascript:",
};
/* Pieces it may not: bad UTF-8 and controls. */
static const char *const bad_pieces[] = {
	"\xff", "\x80", "\xc3", "\xe4\xb8", "\xed\xa0\x80", "\xc0\xaf", "\x01", "\x7f", "\xc2\x85",
};

#define NGOOD (sizeof good_pieces / sizeof good_pieces[0])
#define NBAD  (sizeof bad_pieces / sizeof bad_pieces[0])

static uint64_t rng_state = 0x7e47c0de5eed1234ULL;

static uint32_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545F4914F6CDD1DULL) >> 32);
}

/* Every '<' in out opens one of the tags text_html writes. */
static void
assert_only_our_markup(const struct buf *out)
{
	const char *p = buf_cstr(out);

	while ((p = strchr(p, '<')) != NULL) {
		if (strncmp(p, "<br>", 4) != 0 && strncmp(p, "</a>", 4) != 0 &&
		    strncmp(p, "<a href=\"/hashtag/", 18) != 0 && strncmp(p, "<a href=\"/u/", 12) != 0 &&
		    strncasecmp(p, "<a href=\"http://", 16) != 0 &&
		    strncasecmp(p, "<a href=\"https://", 17) != 0)
			fail_msg("markup not made by text_html: \"%.40s\"", p);
		p++;
	}
}

static void
fuzz_one(const struct buf *in, unsigned *accepted)
{
	struct text_post p, again;
	struct buf html = BUF_INIT, want = BUF_INIT, key = BUF_INIT;
	size_t i;
	int rc;

	buf_puts(&html, "");
	text_html(in->data, in->len, &html);
	assert_true(utf8_valid(html.data, html.len));
	assert_only_our_markup(&html);

	buf_reset(&want);
	rc = text_search_form(in->data, in->len, &want);
	assert_int_equal(rc, utf8_valid(in->data, in->len) ? 0 : -1);
	assert_true(utf8_valid(want.data, want.len));

	rc = text_prepare(in->data, in->len, MAX_CHARS, &p);
	if (rc != TEXT_OK) {
		assert_true(rc == TEXT_BAD_UTF8 || rc == TEXT_TOO_LONG);
		assert_empty_post(&p, __LINE__);
		goto out;
	}
	(*accepted)++;
	assert_true(utf8_valid(p.text, p.len));
	assert_int_equal(strlen(p.text), p.len);
	assert_null(memchr(p.text, '\r', p.len));
	assert_true(p.chars <= MAX_CHARS);
	assert_int_equal(utf8_count(p.text, p.len), p.chars);
	assert_true(strlen(p.search) <= TEXT_SEARCH_MAX);
	assert_true(utf8_valid(p.search, strlen(p.search)));
	assert_true(strlen(p.hashtags) <= TEXT_HASHTAGS_MAX);

	assert_int_equal(text_prepare(p.text, p.len, MAX_CHARS, &again), TEXT_OK);
	assert_string_equal(again.text, p.text);
	assert_string_equal(again.hashtags, p.hashtags);
	assert_int_equal(again.nmentions, p.nmentions);
	text_post_free(&again);

	buf_reset(&html);
	text_html(p.text, p.len, &html);
	assert_true(utf8_valid(html.data, html.len));
	assert_only_our_markup(&html);
	buf_reset(&want);
	buf_puts(&want, "");
	for (i = 0; i < p.ntags; i++) {
		buf_printf(&want, "%s%s", i ? " " : "", p.tags[i].key);
		/* A recorded tag is one tag to text_tag_key too, with the same key. */
		buf_reset(&key);
		assert_int_equal(text_tag_key(p.tags[i].name, strlen(p.tags[i].name), &key), 0);
		assert_string_equal(buf_cstr(&key), p.tags[i].key);
	}
	assert_string_equal(p.hashtags, buf_cstr(&want));
	for (i = 0; i < p.nmentions; i++) {
		buf_reset(&want);
		buf_printf(&want, "<a href=\"/u/%s\">", p.mentions[i]);
		assert_non_null(strstr(buf_cstr(&html), buf_cstr(&want)));
	}
out:
	text_post_free(&p);
	buf_free(&key);
	buf_free(&html);
	buf_free(&want);
}

static void
test_fuzz(void **state)
{
	struct buf in = BUF_INIT;
	unsigned accepted = 0;
	size_t i, k, count;

	(void)state;
	for (i = 0; i < FUZZ_ITERATIONS; i++) {
		buf_reset(&in);
		count = rng() % (FUZZ_MAX_PIECES + 1);
		/* Mostly good pieces, so that many inputs get past validation. */
		for (k = 0; k < count; k++)
			buf_puts(&in, rng() % 64 ? good_pieces[rng() % NGOOD] : bad_pieces[rng() % NBAD]);
		/* Now and then raw bytes, NUL included. */
		if (rng() % 4 == 0)
			for (k = rng() % 8; k > 0; k--)
				buf_putc(&in, (char)(rng() & 0xff));
		fuzz_one(&in, &accepted);
	}
	print_message("accepted %u of %d\n", accepted, FUZZ_ITERATIONS);
	/* A fuzz that never gets past validation tests little. */
	assert_true(accepted > FUZZ_ITERATIONS / 4);
	assert_true(accepted < FUZZ_ITERATIONS);
	buf_free(&in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prepare_normalizes),
		cmocka_unit_test(test_prepare_length),
		cmocka_unit_test(test_extract),
		cmocka_unit_test(test_extract_limits),
		cmocka_unit_test(test_search_form),
		cmocka_unit_test(test_search_form_of_post_is_cut),
		cmocka_unit_test(test_tag_key),
		cmocka_unit_test(test_urls),
		cmocka_unit_test(test_url_limits),
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_free_accepts_null_and_empty),
		cmocka_unit_test(test_fuzz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
