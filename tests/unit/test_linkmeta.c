/* test_linkmeta.c: the head parser of link cards: what it reads, what it skips, and its bounds. */
#include "config.h"

#include "test.h"

#include <string.h>

#include "buf.h"
#include "linkmeta.h"
#include "utf8.h"

struct meta_row {
	int         line;
	const char *html;
	const char *title, *description, *image;
};

static const struct meta_row rows[] = {
	{ __LINE__, "<html><head><title>Hello</title></head></html>", "Hello", "", "" },
	/* og: wins over the plain tags, whatever the order. */
	{ __LINE__, "<title>Plain</title><meta property=\"og:title\" content=\"Open Graph\">"
	  "<meta name=\"description\" content=\"plain d\"><meta property=og:description "
	  "content='og d'>", "Open Graph", "og d", "" },
	{ __LINE__, "<META NAME=\"Description\" CONTENT=\"upper case\"><TITLE>T</TITLE>", "T",
	  "upper case", "" },
	/* The first of each is believed. */
	{ __LINE__, "<title>one</title><title>two</title>", "one", "", "" },
	/* References decoded; white space collapsed and trimmed; controls and bad bytes spaces. */
	{ __LINE__, "<title>  a &amp; b &lt;c&gt; &#233;&#xe9; &quot;q&quot; &apos;&#39;\n\t x"
	  "</title>", "a & b <c> éé \"q\" '' x", "", "" },
	{ __LINE__, "<title>a\x01\x7f" "b\xff" "c&#0;d&#xd800;e&#1114112;f&bogus;</title>",
	  "a b c d e f&bogus;", "", "" },
	{ __LINE__, "<title>北京 欢迎你</title>", "北京 欢迎你", "", "" },
	/* Only an absolute https image. */
	{ __LINE__, "<title>t</title><meta property=\"og:image\" content=\"https://cdn.example/a.png?x=1&amp;y=2\">",
	  "t", "", "https://cdn.example/a.png?x=1&y=2" },
	{ __LINE__, "<meta property=\"og:image\" content=\"http://cdn.example/a.png\">", "", "", "" },
	{ __LINE__, "<meta property=\"og:image\" content=\"/a.png\">", "", "", "" },
	{ __LINE__, "<meta property=\"og:image\" content=\"javascript:alert(1)\">", "", "", "" },
	{ __LINE__, "<meta property=\"og:image\" content=\"https://a.example/x&quot;onerror=y\">",
	  "", "", "" },
	{ __LINE__, "<meta property=\"og:image\" content=\"https:///x\">", "", "", "" },
	{ __LINE__, "<meta property=\"og:image:secure_url\" content=\"https://a.example/i\">", "", "",
	  "https://a.example/i" },
	/* What is not markup is not read: scripts, styles, comments, the body. */
	{ __LINE__, "<script>var s = '<title>no</title>';</script><title>yes</title>", "yes", "", "" },
	{ __LINE__, "<style>/* <meta name=description content=no> */</style>"
	  "<meta name=description content=yes>", "", "yes", "" },
	{ __LINE__, "<!-- <title>no</title> --><title>yes</title>", "yes", "", "" },
	{ __LINE__, "<head></head><title>late</title>", "", "", "" },
	{ __LINE__, "<body><title>in body</title>", "", "", "" },
	/* Broken markup ends quietly. */
	{ __LINE__, "<title>never closed", "never closed", "", "" },
	{ __LINE__, "<meta name=\"description\" content=\"open", "", "open", "" },
	{ __LINE__, "<meta name=description", "", "", "" },
	{ __LINE__, "<<<>>>< title>x</title><!--", "", "", "" },
	{ __LINE__, "", "", "", "" },
};

static void
test_rows(void **state)
{
	struct linkmeta m = LINKMETA_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		const struct meta_row *r = &rows[i];

		linkmeta_parse(r->html, strlen(r->html), &m);
		if (strcmp(buf_cstr(&m.title), r->title) != 0 ||
		    strcmp(buf_cstr(&m.description), r->description) != 0 ||
		    strcmp(buf_cstr(&m.image), r->image) != 0)
			fail_msg("line %d: title \"%s\" description \"%s\" image \"%s\"", r->line,
			    buf_cstr(&m.title), buf_cstr(&m.description), buf_cstr(&m.image));
	}
	linkmeta_free(&m);
	linkmeta_free(NULL);
}

/* Long fields are cut at their maximum of code points (at a character boundary), an attribute
 * past LINKMETA_ATTR_MAX is not read at all, and a NUL in the page is a space. */
static void
test_bounds(void **state)
{
	struct linkmeta m = LINKMETA_INIT;
	struct buf html = BUF_INIT;
	size_t i;

	(void)state;
	buf_puts(&html, "<title>");
	for (i = 0; i < LINKMETA_TITLE_MAX + 50; i++)
		buf_puts(&html, "\xe5\x8c\x97");
	buf_puts(&html, "</title><meta name=description content=\"");
	for (i = 0; i < LINKMETA_ATTR_MAX + 1; i++)
		buf_putc(&html, 'd');
	buf_puts(&html, "\"><meta property=og:image content=\"https://a.example/");
	for (i = 0; i < LINKMETA_IMAGE_MAX; i++)
		buf_putc(&html, 'i');
	buf_puts(&html, "\">");
	linkmeta_parse(html.data, html.len, &m);
	assert_true(utf8_valid(m.title.data, m.title.len));
	assert_int_equal(utf8_count(m.title.data, m.title.len), LINKMETA_TITLE_MAX);
	assert_string_equal(buf_cstr(&m.description), "");
	assert_string_equal(buf_cstr(&m.image), "");

	linkmeta_parse("<title>a\0b</title>", 18, &m);
	assert_string_equal(buf_cstr(&m.title), "a b");
	linkmeta_free(&m);
	buf_free(&html);
}

/* White space at the cut: never left last. */
static void
test_cut_at_space(void **state)
{
	struct linkmeta m = LINKMETA_INIT;
	struct buf html = BUF_INIT;
	size_t i;

	(void)state;
	buf_puts(&html, "<title>");
	for (i = 0; i < LINKMETA_TITLE_MAX - 1; i++)
		buf_putc(&html, 'a');
	buf_puts(&html, " b c</title>");
	linkmeta_parse(html.data, html.len, &m);
	assert_int_equal(m.title.len, LINKMETA_TITLE_MAX - 1);
	assert_true(m.title.data[m.title.len - 1] == 'a');
	linkmeta_free(&m);
	buf_free(&html);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_cut_at_space),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
