/* fuzz_url.c: the URL finder of lib/social/text.c (text_url_find) and the links text_html makes of
 * it, on any bytes.
 *
 * Checked on every input, beyond "no crash, no leak":
 *   - every URL found lies within the input, after the previous one, is at most TEXT_URL_MAX
 *     bytes, starts with "http://" or "https://" (any case), is printable ASCII without a quote,
 *     '<', '>' or '`', has a non-empty authority without userinfo ('@'), and ends on no
 *     punctuation the sentence would own;
 *   - text_html writes exactly one link to an http(s) URL per URL found, each with
 *     rel="nofollow ugc noopener", and no other scheme ever reaches an href. */
#include "config.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "fuzz.h"
#include "text.h"

static size_t
scheme_len(const char *s, size_t n)
{
	if (n >= 7 && strncasecmp(s, "http://", 7) == 0)
		return 7;
	if (n >= 8 && strncasecmp(s, "https://", 8) == 0)
		return 8;
	return 0;
}

static void
check_url(const char *u, size_t n)
{
	size_t skip = scheme_len(u, n), i, host;

	FUZZ_CHECK(skip > 0 && n <= TEXT_URL_MAX);
	for (i = 0; i < n; i++)
		FUZZ_CHECK(u[i] > 0x20 && u[i] < 0x7f && strchr("\"<>`\\", u[i]) == NULL);
	for (host = skip; host < n && strchr("/?#", u[host]) == NULL; host++)
		FUZZ_CHECK(u[host] != '@');
	FUZZ_CHECK(host > skip);
	FUZZ_CHECK(strchr(".,;:!?'*", u[n - 1]) == NULL);
}

/* The links to http(s) URLs in html, each checked for its rel; returns how many. */
static size_t
count_links(const char *html)
{
	static const char open[] = "<a href=\"", rel[] = "\" rel=\"nofollow ugc noopener\">";
	const char *p = html, *q;
	size_t count = 0;

	while ((p = strstr(p, open)) != NULL) {
		p += sizeof open - 1;
		if (*p == '/')
			continue;   /* a tag's or a mention's link */
		FUZZ_CHECK(scheme_len(p, strlen(p)) > 0);
		q = strchr(p, '"');
		FUZZ_CHECK(q != NULL && strncmp(q, rel, sizeof rel - 1) == 0);
		count++;
	}
	return count;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct buf html = BUF_INIT;
	size_t from = 0, start, end, found = 0;

	while (text_url_find(s, size, from, &start, &end)) {
		FUZZ_CHECK(start >= from && start < end && end <= size);
		check_url(s + start, end - start);
		found++;
		from = end;
	}
	text_html(s, size, &html);
	FUZZ_CHECK(count_links(buf_cstr(&html)) == found);
	buf_free(&html);
	return 0;
}
