/* test_atom.c: Atom feeds of posts: escaping (markup, quotes, characters XML cannot hold),
 * titles cut at whole characters, reposts, content warnings, absolute links and the empty
 * feed's fixed time. */
#include "config.h"

#include "test.h"

#include <string.h>

#include <json-c/json.h>

#include "atom.h"
#include "buf.h"

static const struct atom_feed FEED = { "https://example.org", "@ada on Starling", "/u/ada",
    "/u/ada/feed.atom" };

static json_object *
views(const char *json)
{
	json_object *v = json_tokener_parse(json);

	assert_non_null(v);
	return v;
}

static void
test_escape(void **state)
{
	static const struct { const char *in, *want; } rows[] = {
		{ "a<b>&\"c'", "a&lt;b&gt;&amp;&quot;c&#39;" },
		{ "tab\there\nnew", "tab\there\nnew" },
		{ "bell\x07" "esc\x1b" "nul-free", "bellescnul-free" },   /* not XML 1.0 characters */
		{ "\xe4\xbd\xa0\xe5\xa5\xbd", "\xe4\xbd\xa0\xe5\xa5\xbd" },
		{ "", "" },
	};
	struct buf out = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		buf_reset(&out);
		atom_escape(&out, rows[i].in);
		assert_string_equal(buf_cstr(&out), rows[i].want);
	}
	buf_free(&out);
}

static void
test_entries(void **state)
{
	json_object *v = views("[{\"id\":\"2\",\"type\":\"post\",\"contentText\":\"<script>x</script> & "
	    "\\u4f60\",\"createdAt\":86400,\"author\":{\"username\":\"ada\",\"displayName\":\"Ada L\"}},"
	    "{\"id\":\"1\",\"type\":\"repost\",\"contentText\":\"\",\"createdAt\":60,\"author\":"
	    "{\"username\":\"ada\",\"displayName\":\"\"},\"original\":{\"id\":\"9\",\"contentText\":"
	    "\"theirs\",\"author\":{\"username\":\"bob\"}}}]");
	struct buf out = BUF_INIT;
	const char *s;

	(void)state;
	atom_render(&FEED, v, &out);
	s = buf_cstr(&out);
	assert_non_null(strstr(s, "<feed xmlns=\"http://www.w3.org/2005/Atom\">"));
	assert_non_null(strstr(s, "<id>https://example.org/u/ada</id>"));
	assert_non_null(strstr(s, "<link rel=\"self\" type=\"application/atom+xml\" "
	    "href=\"https://example.org/u/ada/feed.atom\"/>"));
	/* The newest entry's time is the feed's. */
	assert_non_null(strstr(s, "<updated>1970-01-02T00:00:00Z</updated>\n<link rel=\"self\""));
	assert_non_null(strstr(s, "<content type=\"text\">&lt;script&gt;x&lt;/script&gt; &amp; "
	    "\xe4\xbd\xa0</content>"));
	assert_null(strstr(s, "<script>"));
	assert_non_null(strstr(s, "<id>https://example.org/p/2</id>"));
	assert_non_null(strstr(s, "<author><name>Ada L</name><uri>https://example.org/u/ada</uri>"));
	/* A repost: the original's text, naming its author; no display name: the username. */
	assert_non_null(strstr(s, "<content type=\"text\">Reposted @bob: theirs</content>"));
	assert_non_null(strstr(s, "<author><name>ada</name>"));
	json_object_put(v);
	buf_free(&out);
}

/* A content warning is the title and comes first in the content; the text is not in the title. */
static void
test_content_warning(void **state)
{
	json_object *v = views("[{\"id\":\"3\",\"type\":\"post\",\"contentText\":\"the ending\","
	    "\"contentWarning\":\"spoilers <b>\",\"createdAt\":1,\"author\":{\"username\":\"ada\"}},"
	    "{\"id\":\"4\",\"type\":\"repost\",\"contentText\":\"\",\"createdAt\":1,\"author\":"
	    "{\"username\":\"ada\"},\"original\":{\"id\":\"9\",\"contentText\":\"theirs\","
	    "\"contentWarning\":\"cw\",\"author\":{\"username\":\"bob\"}}}]");
	struct buf out = BUF_INIT;
	const char *s;

	(void)state;
	atom_render(&FEED, v, &out);
	s = buf_cstr(&out);
	assert_non_null(strstr(s, "<title>@ada: CW: spoilers &lt;b&gt;</title>"));
	assert_non_null(strstr(s, "<content type=\"text\">CW: spoilers &lt;b&gt;\n\nthe ending"
	    "</content>"));
	assert_null(strstr(s, "<title>@ada: the ending"));
	/* A repost of a warned post: the original's warning, after whose post it is. */
	assert_non_null(strstr(s, "<title>@ada: Reposted @bob: CW: cw</title>"));
	assert_non_null(strstr(s, "<content type=\"text\">Reposted @bob: CW: cw\n\ntheirs</content>"));
	json_object_put(v);
	buf_free(&out);
}

/* 80 characters of the text, whole UTF-8 sequences, then an ellipsis. */
static void
test_title_cut(void **state)
{
	struct buf text = BUF_INIT, json = BUF_INIT, out = BUF_INIT, want = BUF_INIT;
	json_object *v;
	size_t i;

	(void)state;
	for (i = 0; i < 100; i++)
		buf_puts(&text, "\xe4\xbd\xa0");   /* 3 bytes each */
	buf_printf(&json, "[{\"id\":\"5\",\"type\":\"post\",\"contentText\":\"%s\",\"createdAt\":1,"
	    "\"author\":{\"username\":\"ada\"}}]", buf_cstr(&text));
	v = views(buf_cstr(&json));
	atom_render(&FEED, v, &out);
	buf_puts(&want, "<title>@ada: ");
	buf_append(&want, text.data, 80 * 3);
	buf_puts(&want, "\xe2\x80\xa6</title>");
	assert_non_null(strstr(buf_cstr(&out), buf_cstr(&want)));
	json_object_put(v);
	buf_free(&text);
	buf_free(&json);
	buf_free(&out);
	buf_free(&want);
}

static void
test_empty(void **state)
{
	json_object *v = views("[]");
	struct buf out = BUF_INIT;

	(void)state;
	atom_render(&FEED, v, &out);
	assert_non_null(strstr(buf_cstr(&out), "<updated>1970-01-01T00:00:00Z</updated>"));
	assert_null(strstr(buf_cstr(&out), "<entry>"));
	assert_non_null(strstr(buf_cstr(&out), "</feed>\n"));
	json_object_put(v);
	buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_entries),
		cmocka_unit_test(test_title_cut),
		cmocka_unit_test(test_content_warning),
		cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
