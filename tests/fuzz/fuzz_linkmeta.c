/* fuzz_linkmeta.c: the head parser of link cards (lib/base/linkmeta.c) on any bytes.
 *
 * Beyond "no crash, no leak, linear time", checked on every input: title and description are
 * valid UTF-8 within their code-point limits, without control characters, NUL or double spaces,
 * and no space at either end; the image is empty or an https:// URL of at most
 * LINKMETA_IMAGE_MAX printable ASCII bytes with no quote, bracket or white space, so whatever a
 * page says can only reach a card as escaped text and an https image. */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "buf.h"
#include "fuzz.h"
#include "linkmeta.h"
#include "utf8.h"

static void
check_text(const struct buf *b, size_t max)
{
	const char *s = buf_cstr(b);
	size_t i;

	FUZZ_CHECK(strlen(s) == b->len && utf8_valid(s, b->len));
	FUZZ_CHECK(utf8_count(s, b->len) <= max);
	FUZZ_CHECK(b->len == 0 || (s[0] != ' ' && s[b->len - 1] != ' '));
	FUZZ_CHECK(strstr(s, "  ") == NULL);
	for (i = 0; i < b->len; i++)
		FUZZ_CHECK((unsigned char)s[i] >= 0x20 && s[i] != 0x7f);
}

static void
check_image(const struct buf *b)
{
	const char *s = buf_cstr(b);
	size_t i;

	if (b->len == 0)
		return;
	FUZZ_CHECK(b->len <= LINKMETA_IMAGE_MAX && strncasecmp(s, "https://", 8) == 0);
	for (i = 0; i < b->len; i++)
		FUZZ_CHECK((unsigned char)s[i] > 0x20 && (unsigned char)s[i] < 0x7f &&
		    strchr("<>\"'\\^`{|}", s[i]) == NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct linkmeta m = LINKMETA_INIT;

	linkmeta_parse((const char *)data, size, &m);
	check_text(&m.title, LINKMETA_TITLE_MAX);
	check_text(&m.description, LINKMETA_DESC_MAX);
	check_image(&m.image);
	linkmeta_free(&m);
	return 0;
}
