/* fuzz_text.c: the text of posts (lib/social/text.c): text_prepare, text_html, text_search_form and
 * text_tag_key on any bytes.
 *
 * Beyond "no crash, no leak", the contract of text.h is checked on every input:
 *   - what is not UTF-8 is refused; what is accepted is NFC text within the length limit, and
 *     preparing it again gives it back unchanged, with the same tags, mentions and search form;
 *   - every tag's key is what text_tag_key gives for its name and for the key itself (the link
 *     /hashtag/<key> in a page must lead to the tag's page), within the column sizes;
 *   - mentions are lowercased usernames; the search form is single-spaced UTF-8 within its size;
 *   - text_html's output is valid UTF-8 whose only markup is <br> and the tag, mention and URL
 *     links (an http(s) href, escaped): nothing of the text can open a tag or an attribute. */
#include "config.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "fuzz.h"
#include "text.h"
#include "utf8.h"
#include "valid.h"

/* The configured maximum of [posts] max_chars, so the longest accepted post is reached. */
#define MAX_CHARS 280

static bool
is_lower_name(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= VALID_USERNAME_MAX &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

/* text_tag_key of the n bytes at s equals key. */
static bool
tag_key_is(const char *s, size_t n, const char *key)
{
	struct buf out = BUF_INIT;
	bool same = text_tag_key(s, n, &out) == 0 && strcmp(buf_cstr(&out), key) == 0;

	buf_free(&out);
	return same;
}

static void
check_tags(const struct text_post *p)
{
	struct buf column = BUF_INIT;
	size_t i, j;

	FUZZ_CHECK(p->ntags <= TEXT_MAX_TAGS);
	FUZZ_CHECK((p->ntags == 0) == (p->tags == NULL));
	for (i = 0; i < p->ntags; i++) {
		const struct text_tag *t = &p->tags[i];

		FUZZ_CHECK(t->key[0] != '\0' && t->name[0] != '\0');
		FUZZ_CHECK(utf8_valid(t->key, strlen(t->key)));
		FUZZ_CHECK(utf8_count(t->key, strlen(t->key)) <= 128);
		FUZZ_CHECK(utf8_count(t->name, strlen(t->name)) <= TEXT_TAG_MAX);
		FUZZ_CHECK(tag_key_is(t->name, strlen(t->name), t->key));
		FUZZ_CHECK(tag_key_is(t->key, strlen(t->key), t->key));
		for (j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(p->tags[j].key, t->key) != 0);
		if (i > 0)
			buf_putc(&column, ' ');
		buf_puts(&column, t->key);
	}
	/* The column holds exactly the recorded keys (deleting a post reads it). */
	FUZZ_CHECK(strcmp(buf_cstr(&column), p->hashtags) == 0);
	FUZZ_CHECK(strlen(p->hashtags) <= TEXT_HASHTAGS_MAX);
	buf_free(&column);
}

static void
check_mentions(const struct text_post *p)
{
	size_t i, j;

	FUZZ_CHECK(p->nmentions <= TEXT_MAX_MENTIONS);
	for (i = 0; i < p->nmentions; i++) {
		FUZZ_CHECK(is_lower_name(p->mentions[i]));
		for (j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(p->mentions[j], p->mentions[i]) != 0);
	}
}

/* Single spaces between words, none at either end, no control characters. */
static void
check_search(const char *s)
{
	size_t n = strlen(s), i;

	FUZZ_CHECK(utf8_valid(s, n));
	FUZZ_CHECK(n == 0 || (s[0] != ' ' && s[n - 1] != ' '));
	FUZZ_CHECK(strstr(s, "  ") == NULL);
	for (i = 0; i < n; i++)
		FUZZ_CHECK((unsigned char)s[i] >= 0x20 && s[i] != 0x7f);
}

static bool
same_post(const struct text_post *a, const struct text_post *b)
{
	size_t i;

	if (a->len != b->len || memcmp(a->text, b->text, a->len) != 0 || a->chars != b->chars ||
	    a->ntags != b->ntags || a->nmentions != b->nmentions ||
	    strcmp(a->search, b->search) != 0 || strcmp(a->hashtags, b->hashtags) != 0)
		return false;
	for (i = 0; i < a->ntags; i++)
		if (strcmp(a->tags[i].key, b->tags[i].key) != 0 ||
		    strcmp(a->tags[i].name, b->tags[i].name) != 0)
			return false;
	for (i = 0; i < a->nmentions; i++)
		if (strcmp(a->mentions[i], b->mentions[i]) != 0)
			return false;
	return true;
}

static void
check_prepare(const char *s, size_t n)
{
	struct text_post p, again;
	int rc = text_prepare(s, n, MAX_CHARS, &p);

	if (!utf8_valid(s, n))
		FUZZ_CHECK(rc == TEXT_BAD_UTF8);
	if (rc != TEXT_OK) {
		FUZZ_CHECK(rc == TEXT_BAD_UTF8 || rc == TEXT_TOO_LONG);
		FUZZ_CHECK(p.text == NULL && p.tags == NULL && p.mentions == NULL &&
		    p.search == NULL && p.hashtags == NULL);
		goto out;
	}
	FUZZ_CHECK(p.text != NULL && p.search != NULL && p.hashtags != NULL);
	FUZZ_CHECK(strlen(p.text) == p.len && utf8_valid(p.text, p.len));
	FUZZ_CHECK(p.chars == utf8_count(p.text, p.len) && p.chars <= MAX_CHARS);
	FUZZ_CHECK(memchr(p.text, '\r', p.len) == NULL);
	FUZZ_CHECK(strlen(p.search) <= TEXT_SEARCH_MAX);
	check_search(p.search);
	check_tags(&p);
	check_mentions(&p);
	/* A prepared text is a fixed point: storing and editing it changes nothing. */
	FUZZ_CHECK(text_prepare(p.text, p.len, MAX_CHARS, &again) == TEXT_OK);
	FUZZ_CHECK(same_post(&p, &again));
	text_post_free(&again);
out:
	text_post_free(&p);
}

/* The length of the markup text_html may write at s ("<br>", "</a>", a link's opening tag), or
 * 0 when s starts anything else. */
static size_t
html_markup(const char *s)
{
	static const char tag[] = "<a href=\"/hashtag/", user[] = "<a href=\"/u/",
	    url[] = "<a href=\"", rel[] = "\" rel=\"nofollow ugc noopener\">";
	size_t n;

	if (strncmp(s, "<br>", 4) == 0 || strncmp(s, "</a>", 4) == 0)
		return 4;
	if (strncmp(s, tag, sizeof tag - 1) == 0) {
		n = sizeof tag - 1;
		n += strspn(s + n, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789%-._~");
	} else if (strncmp(s, user, sizeof user - 1) == 0) {
		n = sizeof user - 1;
		n += strspn(s + n, "abcdefghijklmnopqrstuvwxyz0123456789_");
	} else if (strncmp(s, url, sizeof url - 1) == 0 &&
	    (strncasecmp(s + sizeof url - 1, "http://", 7) == 0 ||
	    strncasecmp(s + sizeof url - 1, "https://", 8) == 0)) {
		/* The href is escaped text: no quote, bracket, '=' or '`' of its own. */
		n = sizeof url - 1;
		n += strcspn(s + n, "\"'<>`= ");
		return strncmp(s + n, rel, sizeof rel - 1) == 0 ? n + sizeof rel - 1 : 0;
	} else {
		return 0;
	}
	return strncmp(s + n, "\">", 2) == 0 ? n + 2 : 0;
}

static void
check_html(const char *s, size_t n)
{
	struct buf out = BUF_INIT;
	const char *h;
	size_t i, m;

	text_html(s, n, &out);
	h = buf_cstr(&out);
	FUZZ_CHECK(strlen(h) == out.len && utf8_valid(h, out.len));
	for (i = 0; i < out.len; i++) {
		if (h[i] == '<') {
			m = html_markup(h + i);
			FUZZ_CHECK(m > 0);
			i += m - 1;
			continue;
		}
		FUZZ_CHECK(strchr(">\"'`=", h[i]) == NULL);
	}
	buf_free(&out);
}

static void
check_search_form(const char *s, size_t n)
{
	struct buf out = BUF_INIT;
	int rc = text_search_form(s, n, &out);

	FUZZ_CHECK((rc == 0) == utf8_valid(s, n));
	if (rc == 0)
		check_search(buf_cstr(&out));
	buf_free(&out);
}

static void
check_tag_key(const char *s, size_t n)
{
	struct buf key = BUF_INIT;

	if (text_tag_key(s, n, &key) == 0) {
		FUZZ_CHECK(key.len > 0 && utf8_valid(key.data, key.len));
		FUZZ_CHECK(tag_key_is(key.data, key.len, key.data));
	}
	buf_free(&key);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;

	check_prepare(s, size);
	check_html(s, size);
	check_search_form(s, size);
	check_tag_key(s, size);
	return 0;
}
