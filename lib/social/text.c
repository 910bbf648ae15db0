/* text.c: the text of posts: NFC and length, hashtags, mentions and URLs, the search form, the
 * HTML. */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <utf8proc.h>

#include "log.h"
#include "text.h"
#include "tmpl.h"
#include "utf8.h"
#include "valid.h"
#include "xalloc.h"

/* tb_hashtag.tag_key is varchar(128). Case folding can lengthen a tag ("ß" is "ss", "ﬃ" is
 * "ffi"), so a tag of TEXT_TAG_MAX code points may have a longer key: such a tag is no tag at all,
 * rather than a row MariaDB would refuse when the post is saved. */
#define TAG_KEY_MAX 128

/* What a byte that starts no well-formed sequence becomes in HTML: U+FFFD, so the page stays
 * valid UTF-8 whatever the database handed us. */
static const char REPLACEMENT[] = "\xef\xbf\xbd";

/* The scripts whose words are written without spaces, or which the search form treats alike:
 * Han, Hiragana, Katakana, Hangul. The blocks also hold punctuation (U+30FB "・"), which
 * text_cjk() leaves out by category. */
static const struct {
	int32_t lo, hi;
} cjk_blocks[] = {
	{ 0x1100, 0x11ff },     /* Hangul Jamo */
	{ 0x2e80, 0x2fdf },     /* CJK Radicals Supplement, Kangxi Radicals */
	{ 0x3005, 0x3007 },     /* 々 〆 〇 */
	{ 0x3021, 0x3029 },     /* Hangzhou numerals */
	{ 0x3031, 0x3035 },     /* kana repeat marks */
	{ 0x3038, 0x303c },     /* Hangzhou numerals, 〻 〼 */
	{ 0x3041, 0x30ff },     /* Hiragana, Katakana */
	{ 0x3131, 0x318e },     /* Hangul Compatibility Jamo */
	{ 0x31f0, 0x31ff },     /* Katakana Phonetic Extensions */
	{ 0x3400, 0x4dbf },     /* CJK Unified Ideographs Extension A */
	{ 0x4e00, 0x9fff },     /* CJK Unified Ideographs */
	{ 0xa960, 0xa97f },     /* Hangul Jamo Extended-A */
	{ 0xac00, 0xd7ff },     /* Hangul Syllables, Hangul Jamo Extended-B */
	{ 0xf900, 0xfaff },     /* CJK Compatibility Ideographs */
	{ 0xff66, 0xffdc },     /* halfwidth Katakana and Hangul */
	{ 0x1b000, 0x1b16f },   /* Kana Supplement, Kana Extended-A, Small Kana Extension */
	{ 0x20000, 0x323af },   /* CJK Unified Ideographs Extensions B to H, Compatibility Supplement */
};

/*
 * The code point at s[i] (i < n): its length in bytes, at least 1, and in *cp the code point, or
 * -1 for a byte that starts no well-formed sequence, which is then taken alone. utf8proc_iterate
 * refuses overlong forms, surrogates and code points above U+10FFFF, as utf8_valid does, so the
 * two agree on what is text.
 */
static size_t
text_decode(const char *s, size_t n, size_t i, int32_t *cp)
{
	utf8proc_ssize_t len;

	len = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), cp);
	if (len <= 0) {
		*cp = -1;
		return 1;
	}
	return (size_t)len;
}

/* Letters, marks and numbers (L*, M*, N*) and '_': what a hashtag is made of, and what may not
 * stand right before a '#' or '@' (marks count, as they belong to the letter before them). */
bool
text_word_char(int32_t cp)
{
	if (cp < 0)
		return false;
	if (cp == '_')
		return true;
	switch (utf8proc_category(cp)) {
	case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
	case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
	case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
		return true;
	default:
		return false;
	}
}

/* Numbers of any kind (N*): a tag made only of them ("#1", "#２０２４") is a number, not a topic. */
static bool
text_number(int32_t cp)
{
	switch (utf8proc_category(cp)) {
	case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
		return true;
	default:
		return false;
	}
}

/* White space: tab, line feed and the Unicode separators (Zs, Zl, Zp: space, no-break space,
 * ideographic space, U+2028, U+2029). */
static bool
text_space(int32_t cp)
{
	if (cp == '\t' || cp == '\n')
		return true;
	if (cp < 0)
		return false;
	switch (utf8proc_category(cp)) {
	case UTF8PROC_CATEGORY_ZS: case UTF8PROC_CATEGORY_ZL: case UTF8PROC_CATEGORY_ZP:
		return true;
	default:
		return false;
	}
}

/* C0, DEL and C1. */
static bool
text_control(int32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

/* A username's alphabet (valid_username): ASCII letters, digits and '_'. */
static bool
text_name_char(int32_t cp)
{
	return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9') ||
	    cp == '_';
}

static bool
text_cjk(int32_t cp)
{
	size_t i;

	for (i = 0; i < sizeof cjk_blocks / sizeof cjk_blocks[0]; i++)
		if (cp >= cjk_blocks[i].lo && cp <= cjk_blocks[i].hi)
			return text_word_char(cp);
	return false;
}

/*
 * Appends the n bytes at s, normalized to NFC and transformed as extra says (0 or
 * UTF8PROC_CASEFOLD), to out. Returns 0, or -1 when utf8proc refuses the text (not UTF-8).
 * utf8proc_map allocates with malloc; running out of memory aborts, as xalloc does everywhere.
 */
static int
text_map(const char *s, size_t n, utf8proc_option_t extra, struct buf *out)
{
	utf8proc_uint8_t *m = NULL;
	utf8proc_ssize_t len;

	len = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &m,
	    (utf8proc_option_t)(UTF8PROC_STABLE | UTF8PROC_COMPOSE | extra));
	if (len == UTF8PROC_ERROR_NOMEM) {
		log_error("text: utf8proc: %s", utf8proc_errmsg(len));
		abort();
	}
	if (len >= 0)
		buf_append(out, m, (size_t)len);
	free(m);
	return len < 0 ? -1 : 0;
}

/* The bytes [*start, *end) of s without leading and trailing white space. */
static void
text_trim(const char *s, size_t n, size_t *start, size_t *end)
{
	size_t i = 0, len;
	int32_t cp;
	bool seen = false;

	*start = *end = 0;
	while (i < n) {
		len = text_decode(s, n, i, &cp);
		if (!text_space(cp)) {
			if (!seen)
				*start = i;
			seen = true;
			*end = i + len;
		}
		i += len;
	}
}

/* ---------------------------------------------------------------------------------------------
 * The scanner: the one place that says what is a hashtag, a mention and a URL. Extraction
 * (text_prepare), text_tag_key and text_html all walk a text with it, so a link in a page is
 * exactly a tag, mention or URL the post was recorded under. */

enum tok_kind { TOK_TAG, TOK_MENTION, TOK_URL };

struct scan {
	const char *s;
	size_t      n;
	size_t      pos;
	int32_t     prev;     /* the code point before pos; -1 at the start (or after a bad byte) */
	size_t      tag_max;  /* code points a tag may have: TEXT_TAG_MAX in a text */
};

struct tok {
	enum tok_kind kind;
	size_t        start, end;   /* the token's bytes in the text, '#' or '@' included */
};

#define SCAN_INIT(s, n) { (s), (n), 0, -1, TEXT_TAG_MAX }

/* A hashtag of at most max code points whose '#' is at s[at]: true with *end (the byte after
 * it), *last (its last code point) and the key in key (emptied first); false when there is
 * none. */
static bool
scan_tag(const char *s, size_t n, size_t at, size_t max, size_t *end, int32_t *last,
    struct buf *key)
{
	size_t i = at + 1, count = 0, len;
	bool numbers_only = true;
	int32_t cp, lastcp = '#';

	while (i < n) {
		len = text_decode(s, n, i, &cp);
		if (!text_word_char(cp))
			break;
		/* Too long is no tag, not a shorter one: cutting would make a tag nobody wrote. */
		if (++count > max)
			return false;
		if (!text_number(cp))
			numbers_only = false;
		lastcp = cp;
		i += len;
	}
	if (count == 0 || numbers_only)
		return false;
	buf_reset(key);
	if (text_map(s + at + 1, i - at - 1, UTF8PROC_CASEFOLD, key) != 0 ||
	    utf8_count(key->data, key->len) > TAG_KEY_MAX)
		return false;
	*end = i;
	*last = lastcp;
	return true;
}

/* A mention whose '@' is at s[at]: as scan_tag, with the lowercased username in key. */
static bool
scan_mention(const char *s, size_t n, size_t at, size_t *end, int32_t *last, struct buf *key)
{
	size_t i = at + 1, count;
	int32_t cp;

	/* One more than a username may hold is enough to know it is too long. */
	while (i < n && i - (at + 1) <= VALID_USERNAME_MAX && text_name_char((unsigned char)s[i]))
		i++;
	count = i - (at + 1);
	if (count == 0 || count > VALID_USERNAME_MAX)
		return false;
	/* "@bob_é" or "@bob@example.com" name nobody: the name goes on past what we matched. */
	if (i < n) {
		(void)text_decode(s, n, i, &cp);
		if (text_word_char(cp) || cp == '@')
			return false;
	}
	buf_reset(key);
	valid_lower_ascii(s + at + 1, count, key);
	*end = i;
	*last = (unsigned char)s[i - 1];
	return true;
}

/* What may stand right before "http": not a letter or digit ("xhttp://"), nor what a URL or an
 * address is made of ("javascript:http://", "/http://", "a.http://"), so a link never starts in
 * the middle of another URL. Anything else (white space, brackets, quotes, CJK) may. */
static bool
url_may_follow(int32_t prev)
{
	if (prev < 0 || prev >= 0x80)
		return true;
	if (text_name_char(prev))
		return false;
	return prev == 0 || strchr(":/.@-&=%+~#?$*", (int)prev) == NULL;
}

/* The bytes a URL runs over: printable ASCII but for what RFC 3986 never allows unencoded and
 * what ends a URL in running text ("<>\"\\^`{|}"). A non-ASCII character ends it too, so
 * "看https://example.com/a的" links "https://example.com/a". */
static bool
url_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && strchr("<>\"\\^`{|}", c) == NULL;
}

/* The authority of the URL s[0..n) (after "scheme://", up to '/', '?' or '#'): a host name of
 * letters, digits, '-' and '.', or an IPv6 address in brackets, with an optional port. No
 * userinfo: "http://bank.example@evil.example" shows one host and goes to another. */
static bool
url_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool
url_authority(const char *s, size_t n)
{
	size_t i = 0, digits;
	bool alnum = false;

	if (n > 0 && s[0] == '[') {
		for (i = 1; i < n && (url_alnum(s[i]) || s[i] == ':' || s[i] == '.'); i++)
			;
		if (i == 1 || i == n || s[i] != ']')
			return false;
		i++;
		alnum = true;
	} else {
		for (; i < n && (url_alnum(s[i]) || s[i] == '-' || s[i] == '.'); i++)
			alnum = alnum || url_alnum(s[i]);
	}
	if (!alnum)
		return false;
	if (i < n && s[i] == ':') {
		for (digits = 0, i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			digits++;
		if (digits == 0 || digits > 5)
			return false;
	}
	return i == n;
}

/* The length of "http://" or "https://" (any case) at s[at], or 0. */
static size_t
url_scheme(const char *s, size_t n, size_t at)
{
	if (n - at >= 7 && strncasecmp(s + at, "http://", 7) == 0)
		return 7;
	if (n - at >= 8 && strncasecmp(s + at, "https://", 8) == 0)
		return 8;
	return 0;
}

/* Trailing punctuation belongs to the sentence, not the URL ("see http://a.example/x."), and a
 * closing bracket only when it closes one the URL opened ("(http://a.example/b)" but
 * "http://en.wikipedia.org/wiki/C_(language)"): one is dropped while the URL closes more than
 * it opens. Linear: the brackets are counted once. */
static size_t
url_trim(const char *s, size_t start, size_t end)
{
	long paren = 0, square = 0;   /* closed minus opened */
	size_t i;
	char c;

	for (i = start; i < end; i++) {
		paren += (s[i] == ')') - (s[i] == '(');
		square += (s[i] == ']') - (s[i] == '[');
	}
	while (end > start) {
		c = s[end - 1];
		if (strchr(".,;:!?'*", c) != NULL)
			;
		else if (c == ')' && paren > 0)
			paren--;
		else if (c == ']' && square > 0)
			square--;
		else
			break;
		end--;
	}
	return end;
}

/* A URL whose "http" is at s[at]: true with *end (the byte after it); false when there is
 * none. Too long is no URL, not a shorter one (as tags). */
static bool
scan_url(const char *s, size_t n, size_t at, size_t *end)
{
	size_t i, scheme = url_scheme(s, n, at), host;

	if (scheme == 0)
		return false;
	for (i = at + scheme; i < n && url_char((unsigned char)s[i]); i++)
		if (i - at > TEXT_URL_MAX)
			return false;
	i = url_trim(s, at + scheme, i);
	if (i - at > TEXT_URL_MAX)
		return false;
	for (host = at + scheme; host < i && strchr("/?#", s[host]) == NULL; host++)
		;
	if (!url_authority(s + at + scheme, host - at - scheme))
		return false;
	*end = i;
	return true;
}

/* The next hashtag, mention or URL at or after sc->pos: true with it in t and its key in key
 * (empty for a URL), false at the end of the text. Any bytes are accepted (a bad byte is a
 * character that is none of them). */
static bool
scan_next(struct scan *sc, struct tok *t, struct buf *key)
{
	size_t at, len, end;
	int32_t cp, last;

	while (sc->pos < sc->n) {
		at = sc->pos;
		len = text_decode(sc->s, sc->n, at, &cp);
		/* '&' before '#' is an HTML entity someone pasted ("&#39;"), '.' before '@' the end of
		 * an address's local part. */
		if (cp == '#' && !text_word_char(sc->prev) && sc->prev != '&' &&
		    scan_tag(sc->s, sc->n, at, sc->tag_max, &end, &last, key))
			t->kind = TOK_TAG;
		else if (cp == '@' && !text_word_char(sc->prev) && sc->prev != '.' &&
		    scan_mention(sc->s, sc->n, at, &end, &last, key))
			t->kind = TOK_MENTION;
		/* A URL is taken whole, so the '#' of its fragment or an '@' in its path is no
		 * tag or mention. */
		else if ((cp == 'h' || cp == 'H') && url_may_follow(sc->prev) &&
		    scan_url(sc->s, sc->n, at, &end)) {
			t->kind = TOK_URL;
			last = (unsigned char)sc->s[end - 1];
		} else {
			sc->prev = cp;
			sc->pos += len;
			continue;
		}
		t->start = at;
		t->end = end;
		sc->pos = end;
		sc->prev = last;
		return true;
	}
	return false;
}

bool
text_url_find(const char *s, size_t n, size_t from, size_t *start, size_t *end)
{
	struct scan sc = SCAN_INIT(s, n);
	struct buf key = BUF_INIT;
	struct tok t;
	bool found = false;

	/* The scanner from the start, not from `from`: what precedes decides what is a URL. */
	while (!found && scan_next(&sc, &t, &key))
		found = t.kind == TOK_URL && t.start >= from;
	buf_free(&key);
	if (found) {
		*start = t.start;
		*end = t.end;
	}
	return found;
}

/* ---------------------------------------------------------------------------------------------
 * Extraction. */

/* Records a tag unless its key is there already. The tags are exactly the keys that fit whole in
 * the hashtags column, which is what deleting a post reads to find its tb_post_reply_hashtag
 * rows: a tag recorded but missing from the column would be left behind. So recording stops at
 * TEXT_MAX_TAGS or at the first key that no longer fits. */
static void
text_add_tag(struct text_post *p, const char *name, size_t namelen, const struct buf *key,
    struct buf *column, bool *full)
{
	size_t i, need;

	if (*full)
		return;
	for (i = 0; i < p->ntags; i++)
		if (strcmp(p->tags[i].key, key->data) == 0)
			return;
	need = key->len + (column->len > 0 ? 1 : 0);
	if (p->ntags == TEXT_MAX_TAGS || column->len + need > TEXT_HASHTAGS_MAX) {
		*full = true;
		return;
	}
	if (p->tags == NULL)
		p->tags = xcalloc(TEXT_MAX_TAGS, sizeof *p->tags);
	p->tags[p->ntags].key = xmemdup(key->data, key->len);
	p->tags[p->ntags].name = xmemdup(name, namelen);
	p->ntags++;
	if (column->len > 0)
		buf_putc(column, ' ');
	buf_append(column, key->data, key->len);
}

static void
text_add_mention(struct text_post *p, const struct buf *key)
{
	size_t i;

	if (p->nmentions == TEXT_MAX_MENTIONS)
		return;
	for (i = 0; i < p->nmentions; i++)
		if (strcmp(p->mentions[i], key->data) == 0)
			return;
	if (p->mentions == NULL)
		p->mentions = xcalloc(TEXT_MAX_MENTIONS, sizeof *p->mentions);
	p->mentions[p->nmentions++] = xmemdup(key->data, key->len);
}

/* Records a URL unless it is there already, at most TEXT_MAX_URLS. */
static void
text_add_url(struct text_post *p, const char *url, size_t n)
{
	size_t i;

	if (p->nurls == TEXT_MAX_URLS)
		return;
	for (i = 0; i < p->nurls; i++)
		if (strlen(p->urls[i]) == n && memcmp(p->urls[i], url, n) == 0)
			return;
	if (p->urls == NULL)
		p->urls = xcalloc(TEXT_MAX_URLS, sizeof *p->urls);
	p->urls[p->nurls++] = xmemdup(url, n);
}

static void
text_extract(struct text_post *p)
{
	struct scan sc = SCAN_INIT(p->text, p->len);
	struct buf key = BUF_INIT, column = BUF_INIT;
	struct tok t;
	bool full = false;

	while (scan_next(&sc, &t, &key)) {
		if (t.kind == TOK_TAG)
			text_add_tag(p, p->text + t.start + 1, t.end - t.start - 1, &key, &column, &full);
		else if (t.kind == TOK_MENTION)
			text_add_mention(p, &key);
		else
			text_add_url(p, p->text + t.start, t.end - t.start);
	}
	p->hashtags = buf_detach(&column);
	buf_free(&key);
}

/* ---------------------------------------------------------------------------------------------
 * The search form. */

/* One space, unless the form (which starts at out->data + base) is empty or ends with one:
 * spaces only separate words for the FULLTEXT parser, so one is enough. */
static void
search_space(struct buf *out, size_t base)
{
	if (out->len > base && out->data[out->len - 1] != ' ')
		buf_putc(out, ' ');
}

/* One CJK token: "cj", then one or two characters. The prefix makes every token 3 characters
 * or more (InnoDB's default innodb_ft_min_token_size), and no real word starts with "cj"
 * followed by a CJK character, since a real word never touches one. */
static void
search_cjk(struct buf *out, size_t base, const char *a, size_t alen, const char *b, size_t blen)
{
	search_space(out, base);
	buf_puts(out, "cj");
	buf_append(out, a, alen);
	if (b != NULL)
		buf_append(out, b, blen);
}

/* Appends the search form of the n bytes at s (valid UTF-8) to out: case-folded NFC, every
 * white space or control character a single space, every run of CJK characters its "cj" tokens, set
 * apart from what is around it by spaces. Returns 0, or -1 when utf8proc refuses the text. */
static int
search_append(const char *s, size_t n, struct buf *out)
{
	struct buf f = BUF_INIT;
	size_t base = out->len, i, len, prev_at = 0, prev_len = 0, run = 0;
	int32_t cp;
	int rc = -1;

	if (text_map(s, n, UTF8PROC_CASEFOLD, &f) != 0)
		goto out;
	for (i = 0; i < f.len; i += len) {
		len = text_decode(f.data, f.len, i, &cp);
		if (text_cjk(cp)) {
			/* c1 c2 ... cn becomes "cjc1c2 cjc2c3 ... cjc(n-1)cn cjcn" (docs/schema.md,
			 * "Search"): each pair is written when its second character arrives, the last
			 * character alone when the run ends. */
			if (run > 0)
				search_cjk(out, base, f.data + prev_at, prev_len, f.data + i, len);
			else
				search_space(out, base);
			run++;
			prev_at = i;
			prev_len = len;
			continue;
		}
		if (run > 0) {
			search_cjk(out, base, f.data + prev_at, prev_len, NULL, 0);
			run = 0;
			search_space(out, base);
		}
		if (cp < 0 || text_control(cp) || text_space(cp))
			search_space(out, base);
		else
			buf_append(out, f.data + i, len);
	}
	if (run > 0)
		search_cjk(out, base, f.data + prev_at, prev_len, NULL, 0);
	if (out->len > base && out->data[out->len - 1] == ' ')
		out->data[--out->len] = '\0';
	rc = 0;
out:
	buf_free(&f);
	return rc;
}

/* Cuts b to at most max bytes, at the start of a character, and drops a space left at the end. */
static void
search_cut(struct buf *b, size_t max)
{
	size_t k = max;

	if (b->len <= max)
		return;
	/* b->data[max] is the first byte cut off: if it continues a character, that character goes
	 * too. */
	while (k > 0 && ((unsigned char)b->data[k] & 0xc0) == 0x80)
		k--;
	while (k > 0 && b->data[k - 1] == ' ')
		k--;
	b->len = k;
	b->data[k] = '\0';
}

/* ---------------------------------------------------------------------------------------------
 * The public functions. */

int
text_prepare(const char *s, size_t n, size_t max_chars, struct text_post *out)
{
	struct buf lf = BUF_INIT, nfc = BUF_INIT, search = BUF_INIT;
	size_t i, start, end, chars;
	int rc;

	memset(out, 0, sizeof *out);
	/* Line breaks first: '\r' is ASCII, never part of a longer sequence, so this is safe on any
	 * bytes, and valid_text then judges the text with only '\n' and '\t' left to allow. */
	buf_grow(&lf, n);
	for (i = 0; i < n; i++) {
		if (s[i] != '\r')
			buf_putc(&lf, s[i]);
		else if (i + 1 == n || s[i + 1] != '\n')
			buf_putc(&lf, '\n');
	}
	if (valid_text(buf_cstr(&lf), lf.len, SIZE_MAX, true) != NULL ||
	    text_map(buf_cstr(&lf), lf.len, 0, &nfc) != 0) {
		rc = TEXT_BAD_UTF8;
		goto out;
	}
	text_trim(buf_cstr(&nfc), nfc.len, &start, &end);
	chars = utf8_count(buf_cstr(&nfc) + start, end - start);
	if (chars > max_chars) {
		rc = TEXT_TOO_LONG;
		goto out;
	}
	out->text = xmemdup(buf_cstr(&nfc) + start, end - start);
	out->len = end - start;
	out->chars = chars;
	text_extract(out);
	if (search_append(out->text, out->len, &search) != 0) {
		/* Cannot happen: utf8proc has just produced this text. */
		text_post_free(out);
		rc = TEXT_BAD_UTF8;
		goto out;
	}
	search_cut(&search, TEXT_SEARCH_MAX);
	out->search = buf_detach(&search);
	rc = TEXT_OK;
out:
	buf_free(&search);
	buf_free(&nfc);
	buf_free(&lf);
	return rc;
}

void
text_post_free(struct text_post *out)
{
	size_t i;

	if (out == NULL)
		return;
	free(out->text);
	for (i = 0; i < out->ntags; i++) {
		free(out->tags[i].key);
		free(out->tags[i].name);
	}
	free(out->tags);
	for (i = 0; i < out->nmentions; i++)
		free(out->mentions[i]);
	free(out->mentions);
	for (i = 0; i < out->nurls; i++)
		free(out->urls[i]);
	free(out->urls);
	free(out->search);
	free(out->hashtags);
	memset(out, 0, sizeof *out);
}

int
text_search_form(const char *s, size_t n, struct buf *out)
{
	if (!utf8_valid(s, n))
		return -1;
	return search_append(s, n, out);
}

int
text_tag_key(const char *s, size_t n, struct buf *out)
{
	struct buf nfc = BUF_INIT, tag = BUF_INIT, key = BUF_INIT;
	struct scan sc;
	struct tok t;
	size_t start, end;
	int rc = -1;

	if (!utf8_valid(s, n) || text_map(s, n, 0, &nfc) != 0)
		goto out;
	text_trim(buf_cstr(&nfc), nfc.len, &start, &end);
	if (start < end && nfc.data[start] == '#')
		start++;
	/* One tag is a text that is a '#' and a tag the scanner sees whole, and nothing more. */
	buf_putc(&tag, '#');
	buf_append(&tag, buf_cstr(&nfc) + start, end - start);
	sc = (struct scan)SCAN_INIT(tag.data, tag.len);
	/* What a link to a tag's page carries is its key, which folding may have made longer than
	 * the tag as written ("ß" is "ss"): the key of every recorded tag must be a tag here. */
	sc.tag_max = TAG_KEY_MAX;
	if (!scan_next(&sc, &t, &key) || t.kind != TOK_TAG || t.start != 0 || t.end != tag.len)
		goto out;
	buf_append(out, key.data, key.len);
	rc = 0;
out:
	buf_free(&key);
	buf_free(&tag);
	buf_free(&nfc);
	return rc;
}

/* Appends the n bytes at s percent-encoded, all but RFC 3986's unreserved characters. */
static void
html_percent(struct buf *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			buf_putc(out, (char)c);
		} else {
			buf_putc(out, '%');
			buf_putc(out, hex[c >> 4]);
			buf_putc(out, hex[c & 0x0f]);
		}
	}
}

/* Text between links: escaped, '\n' as <br>, and what is not printable text (a bad byte, a
 * control character other than tab) as U+FFFD, so nothing the database holds can break the page
 * or its encoding. */
static void
html_plain(struct buf *out, const char *s, size_t n)
{
	size_t i = 0, run = 0, len;
	int32_t cp;

	while (i < n) {
		len = text_decode(s, n, i, &cp);
		if (cp == '\t' || (cp >= 0 && !text_control(cp))) {
			i += len;
			continue;
		}
		tmpl_escape_html(out, s + run, i - run);
		buf_puts(out, cp == '\n' ? "<br>" : REPLACEMENT);
		i += len;
		run = i;
	}
	tmpl_escape_html(out, s + run, n - run);
}

/* A URL's link: the whole URL as its href (escaped: the scanner took no quote, but escaping
 * keeps this the one path by which text reaches the page), rel="nofollow ugc noopener" (what
 * users write earns the target no ranking, and it gets no window.opener), and shown without its
 * scheme, cut after TEXT_URL_SHOWN bytes with an ellipsis (a URL is ASCII: any cut is at a
 * character boundary). */
static void
html_url(struct buf *out, const char *s, size_t n)
{
	size_t skip = url_scheme(s, n, 0);

	buf_puts(out, "<a href=\"");
	tmpl_escape_html(out, s, n);
	buf_puts(out, "\" rel=\"nofollow ugc noopener\">");
	if (n - skip > TEXT_URL_SHOWN) {
		tmpl_escape_html(out, s + skip, TEXT_URL_SHOWN - 1);
		buf_puts(out, "\xe2\x80\xa6");
	} else {
		tmpl_escape_html(out, s + skip, n - skip);
	}
	buf_puts(out, "</a>");
}

void
text_html(const char *s, size_t n, struct buf *out)
{
	struct scan sc = SCAN_INIT(s, n);
	struct buf key = BUF_INIT;
	struct tok t;
	size_t pos = 0;

	if (n == 0)
		return;
	while (scan_next(&sc, &t, &key)) {
		html_plain(out, s + pos, t.start - pos);
		pos = t.end;
		if (t.kind == TOK_URL) {
			html_url(out, s + t.start, t.end - t.start);
			continue;
		}
		if (t.kind == TOK_TAG) {
			buf_puts(out, "<a href=\"/hashtag/");
			html_percent(out, key.data, key.len);
		} else {
			/* A username is [a-z0-9_]: nothing to encode. */
			buf_puts(out, "<a href=\"/u/");
			buf_append(out, key.data, key.len);
		}
		buf_puts(out, "\">");
		/* The scanner took only letters, marks, digits and '_' after the sigil; escaping
		 * anyway keeps this the one path by which text reaches the page. */
		tmpl_escape_html(out, s + t.start, t.end - t.start);
		buf_puts(out, "</a>");
	}
	html_plain(out, s + pos, n - pos);
	buf_free(&key);
}
