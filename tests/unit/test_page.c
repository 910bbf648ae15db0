/* test_page.c: the helpers shared by handlers that serve both a page and the API. */
#include "config.h"

#include "test.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "apierr.h"
#include "ctx.h"
#include "i18n.h"
#include "page.h"
#include "utf8.h"

static enum apierr
noop(struct ctx *ctx)
{
	(void)ctx;
	return APIERR_OK;
}

static const struct param_spec back_params[] = {
	{ "return_to", PARAM_STRING, 0, 0, 512, NULL },
	PARAM_END
};

static const struct route routes[] = {
	{ HTTP_POST, "/api/v1/thing", 0,          noop, NULL, NULL },
	{ HTTP_POST, "/thing",        ROUTE_HTML, noop, NULL, "help" },
	{ HTTP_POST, "/p/1/act",      ROUTE_HTML, noop, back_params, "help" },
};
static const struct app app = { "test-page", routes, 3 };

struct fixture {
	struct app_env env;
	struct ctx     ctx;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	struct buf dir = BUF_INIT, err = BUF_INIT;

	buf_printf(&dir, "%s/templates/i18n", test_srcdir());
	f->env.i18n = i18n_load(buf_cstr(&dir), &err);
	if (f->env.i18n == NULL)
		fail_msg("i18n_load: %s", buf_cstr(&err));
	ctx_init(&f->ctx, &app, &f->env);
	buf_free(&dir);
	buf_free(&err);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	json_object_put(f->ctx.data);
	f->ctx.data = NULL;
	ctx_free(&f->ctx);
	i18n_free(f->env.i18n);
	free(f);
	return 0;
}

/* The title comes from "<section>.title" in the request's language. */
static void
test_page_new_title(void **state)
{
	struct fixture *f = *state;
	static const struct {
		int         line;
		const char *lang, *section;
	} rows[] = {
		{ __LINE__, "en", "help" },
		{ __LINE__, "zh", "help" },
		{ __LINE__, "en", "login" },
	};
	size_t i;

	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		json_object *page, *title;
		char key[32];

		f->ctx.lang = rows[i].lang;
		snprintf(key, sizeof key, "%s.title", rows[i].section);
		page = page_new(&f->ctx, rows[i].section);
		assert_true(json_object_object_get_ex(page, "title", &title));
		if (strcmp(json_object_get_string(title), i18n_get(f->env.i18n, rows[i].lang, key)) != 0)
			fail_msg("line %d: title \"%s\"", rows[i].line, json_object_get_string(title));
		json_object_put(page);
	}
	/* The two languages really differ, so the rows above could fail. */
	assert_string_not_equal(i18n_get(f->env.i18n, "en", "help.title"),
	    i18n_get(f->env.i18n, "zh", "help.title"));
}

/* A page is redirected (303 with Location) and its data dropped; the API keeps the data. */
static void
test_page_done(void **state)
{
	struct fixture *f = *state;

	f->ctx.route = &routes[1];
	assert_true(page_html(&f->ctx));
	assert_int_equal(page_done(&f->ctx, "/p/1", json_object_new_object()), APIERR_OK);
	assert_int_equal(f->ctx.resp.status, 303);
	assert_string_equal(kvlist_get(&f->ctx.resp.headers, "Location"), "/p/1");
	assert_null(f->ctx.data);

	ctx_reset(&f->ctx);
	f->ctx.route = &routes[0];
	assert_false(page_html(&f->ctx));
	assert_int_equal(page_done(&f->ctx, "/p/1", json_object_new_int(7)), APIERR_OK);
	assert_int_equal(json_object_get_int(f->ctx.data), 7);
	assert_null(kvlist_get(&f->ctx.resp.headers, "Location"));

	f->ctx.route = NULL;
	assert_false(page_html(&f->ctx));
}

/* Only local paths pass, from a strict set of characters: browsers treat "//host" and "/\\host" as
 * another site, and drop TAB, CR and LF first ("/\t/host" is "//host"). */
static void
test_page_local_path(void **state)
{
	static const struct {
		int         line;
		const char *path;
		bool        ok;
	} rows[] = {
		{ __LINE__, "/",                       true },
		{ __LINE__, "/p/123",                  true },
		{ __LINE__, "/p/123?cursor=4",         true },
		{ __LINE__, "/p/123#post-123",         true },
		{ __LINE__, "/u/ann_b-c.d~e",          true },
		{ __LINE__, "/search?q=a+b&x=%2F%20",  true },
		{ __LINE__, "/p/1?a=!$'()*,;:@",       true },
		{ __LINE__, "/hashtag/\xe4\xb8\xad\xe6\x96\x87", true },  /* 中文 */
		{ __LINE__, "/hashtag/caf\xc3\xa9",    true },  /* é, U+00E9 */
		{ __LINE__, "/%2F/evil.example",       true },  /* an escape is not a slash */
		{ __LINE__, "//evil.example/",         false },
		{ __LINE__, "/\\evil.example",         false },
		{ __LINE__, "/a\\b",                   false },
		{ __LINE__, "/\t/evil.example",        false },  /* the outside test's finding */
		{ __LINE__, "/\t\t/evil.example",      false },
		{ __LINE__, "/a\tb",                   false },
		{ __LINE__, "/\n/evil.example",        false },
		{ __LINE__, "/\r/evil.example",        false },
		{ __LINE__, "/a\r\nSet-Cookie: x",     false },
		{ __LINE__, "/a\nb",                   false },
		{ __LINE__, "/\x01/evil.example",      false },
		{ __LINE__, "/\x1f",                   false },
		{ __LINE__, "/\x7f",                   false },
		{ __LINE__, "/\xc2\x85/evil.example",  false },  /* U+0085, a C1 control (NEL) */
		{ __LINE__, "/\xc2\x9f",               false },
		{ __LINE__, "/\xff/evil.example",      false },  /* not UTF-8 */
		{ __LINE__, "/\xe4\xb8",               false },  /* cut UTF-8 */
		{ __LINE__, "/ /evil.example",         false },
		{ __LINE__, "/a b",                    false },
		{ __LINE__, "/a\"onmouseover=x",       false },
		{ __LINE__, "/a<b>",                   false },
		{ __LINE__, "/a`b",                    false },
		{ __LINE__, "/a{b}|^",                 false },
		{ __LINE__, "/a[b]",                   false },
		{ __LINE__, "/50%",                    false },
		{ __LINE__, "/50%2",                   false },
		{ __LINE__, "/50%zz",                  false },
		{ __LINE__, "https://evil.example/",   false },
		{ __LINE__, "\t/evil.example",         false },
		{ __LINE__, " /p/1",                   false },
		{ __LINE__, "p/123",                   false },
		{ __LINE__, "",                        false },
		{ __LINE__, NULL,                      false },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++)
		if (page_local_path(rows[i].path) != rows[i].ok)
			fail_msg("line %d: \"%s\" should be %s", rows[i].line,
			    rows[i].path ? rows[i].path : "(null)", rows[i].ok ? "local" : "refused");
}

/* page_return_to: the form's return_to when it has one (a bad one is refused, never replaced by
 * the Referer); else the Referer's path when it is this site's, by scheme and Host, and local. */
static void
test_page_return_to(void **state)
{
	static const struct request_limits lim = { 4096, 4096, 16, 4096, 4, REQUEST_BODY_FIELDS };
	static const struct {
		int         line;
		bool        https;
		const char *host, *referer, *body, *want;   /* NULL: none */
	} rows[] = {
		{ __LINE__, false, "site.test", NULL, "return_to=%2Fhashtag%2Fx", "/hashtag/x" },
		{ __LINE__, false, "site.test", "http://site.test/u/bob", "return_to=%2Fhelp", "/help" },
		{ __LINE__, false, "site.test", "http://site.test/u/bob", "return_to=%2F%2Fevil.example",
		    NULL },
		{ __LINE__, false, "site.test", "http://site.test/u/bob", "", "/u/bob" },
		{ __LINE__, false, "site.test", "http://site.test/?cursor=12", "", "/?cursor=12" },
		{ __LINE__, false, "site.test:8080", "http://site.test:8080/p/2", "", "/p/2" },
		{ __LINE__, false, "Site.Test", "HTTP://site.test/p/2", "", "/p/2" },
		{ __LINE__, false, "site.test", "http://site.test/", "", "/" },
		{ __LINE__, false, "site.test", NULL, "", NULL },
		{ __LINE__, false, "site.test", "", "", NULL },
		{ __LINE__, false, "site.test", "http://site.test", "", NULL },
		{ __LINE__, false, "site.test", "https://site.test/u/bob", "", NULL },   /* scheme */
		{ __LINE__, true,  "site.test", "http://site.test/u/bob", "", NULL },
		{ __LINE__, true,  "site.test", "https://site.test/u/bob", "", "/u/bob" },
		{ __LINE__, false, "site.test", "http://evil.example/u/bob", "", NULL },
		{ __LINE__, false, "site.test", "http://site.test.evil.example/u/bob", "", NULL },
		{ __LINE__, false, "site.test", "http://site.test:81/u/bob", "", NULL },
		{ __LINE__, false, "site.test", "http://site.test@evil.example/", "", NULL },
		{ __LINE__, false, "site.test", "http://site.test//evil.example/", "", NULL },
		{ __LINE__, false, "site.test", "http://site.test/\\evil.example", "", NULL },
		{ __LINE__, false, "site.test", "/u/bob", "", NULL },
		{ __LINE__, false, "", "http:///u/bob", "", NULL },
		{ __LINE__, false, NULL, "http:///u/bob", "", NULL },
	};
	struct fixture *f = *state;
	struct buf err = BUF_INIT;
	char method[] = "REQUEST_METHOD=POST", uri[] = "REQUEST_URI=/p/1/act";
	char type[] = "CONTENT_TYPE=application/x-www-form-urlencoded", host[128], ref[128];
	size_t i;

	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		char *envp[] = { method, uri, type, NULL, NULL, NULL };
		size_t n = 3;
		const char *got;

		if (rows[i].host != NULL) {
			snprintf(host, sizeof host, "HTTP_HOST=%s", rows[i].host);
			envp[n++] = host;
		}
		if (rows[i].referer != NULL) {
			snprintf(ref, sizeof ref, "HTTP_REFERER=%s", rows[i].referer);
			envp[n++] = ref;
		}
		f->env.conf.https = rows[i].https;
		assert_int_equal(request_parse(&f->ctx.req, envp, rows[i].body,
		    strlen(rows[i].body), &lim, &err), APIERR_OK);
		assert_int_equal(route_params(&routes[2], &f->ctx.req, &f->ctx.params, &err),
		    APIERR_OK);
		got = page_return_to(&f->ctx);
		if ((got == NULL) != (rows[i].want == NULL) ||
		    (got != NULL && strcmp(got, rows[i].want) != 0))
			fail_msg("line %d: \"%s\", want \"%s\"", rows[i].line, got ? got : "(null)",
			    rows[i].want ? rows[i].want : "(null)");
	}
	buf_free(&err);
}

/* The words after each count of a profile, in the plural form for it; a missing count reads as
 * 0, and Chinese has one form. */
static void
test_page_add_words(void **state)
{
	struct fixture *f = *state;
	static const struct {
		int         line;
		const char *lang;
		int         followers;   /* -1: absent */
		const char *want;
	} rows[] = {
		{ __LINE__, "en", 0,  "followers" },
		{ __LINE__, "en", 1,  "follower" },
		{ __LINE__, "en", 2,  "followers" },
		{ __LINE__, "en", -1, "followers" },
		{ __LINE__, "zh", 1,  "位关注者" },
		{ __LINE__, "zh", 2,  "位关注者" },
	};
	size_t i;

	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		json_object *o = json_object_new_object(), *words, *w;

		f->ctx.lang = rows[i].lang;
		if (rows[i].followers >= 0)
			json_object_object_add(o, "countFollowers",
			    json_object_new_int(rows[i].followers));
		json_object_object_add(o, "countPosts", json_object_new_int(1));
		page_add_words(&f->ctx, o, page_profile_words);
		assert_true(json_object_object_get_ex(o, "words", &words));
		assert_true(json_object_object_get_ex(words, "countFollowers", &w));
		if (strcmp(json_object_get_string(w), rows[i].want) != 0)
			fail_msg("line %d: \"%s\"", rows[i].line, json_object_get_string(w));
		assert_true(json_object_object_get_ex(words, "countPosts", &w));
		assert_string_equal(json_object_get_string(w), strcmp(rows[i].lang, "en") == 0 ?
		    "post" : "条帖子");
		assert_int_equal(json_object_object_length(words), 4);
		json_object_put(o);
	}
}

/* page_describe: one line, cut on a character boundary with an ellipsis, never mid-UTF-8. */
static void
test_page_describe(void **state)
{
	static const struct {
		int         line;
		const char *in;
		size_t      max;
		const char *want;
	} rows[] = {
		{ __LINE__, "hello", 10, "hello" },
		{ __LINE__, "  a \n\n b\t c  ", 10, "a b c" },
		{ __LINE__, "", 10, "" },
		{ __LINE__, "\n \t", 10, "" },
		{ __LINE__, "abcdefghij", 10, "abcdefghij" },
		{ __LINE__, "abcdefghijk", 10, "abcdefghi…" },
		/* Three bytes a character: cut after 4 characters (12 bytes), never inside one. */
		{ __LINE__, "中文中文中文", 5, "中文中文…" },
		{ __LINE__, "ab cd", 4, "ab…" },
		{ __LINE__, "é€😀xyz", 4, "é€😀…" },
		{ __LINE__, "\"<&>'", 10, "\"<&>'" },
		{ __LINE__, "abc", 0, "" },
		{ __LINE__, "abc", 1, "…" },
	};
	struct buf out = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		buf_reset(&out);
		page_describe(&out, rows[i].in, rows[i].max);
		if (strcmp(buf_cstr(&out), rows[i].want) != 0)
			fail_msg("line %d: \"%s\"", rows[i].line, buf_cstr(&out));
	}
	/* A 280-character post of two-byte characters: 199 of them and the ellipsis, valid. */
	buf_reset(&out);
	{
		struct buf in = BUF_INIT;

		for (i = 0; i < 280; i++)
			buf_puts(&in, "é");
		page_describe(&out, buf_cstr(&in), PAGE_DESCRIPTION_MAX);
		buf_free(&in);
	}
	assert_true(utf8_valid(out.data, out.len));
	assert_int_equal(utf8_count(out.data, out.len), PAGE_DESCRIPTION_MAX);
	assert_int_equal(out.len, 2 * (PAGE_DESCRIPTION_MAX - 1) + 3);
	buf_free(&out);
}

static const char *
meta_str(json_object *page, const char *key)
{
	json_object *meta, *v;

	assert_true(json_object_object_get_ex(page, "meta", &meta));
	return json_object_object_get_ex(meta, key, &v) ? json_object_get_string(v) : NULL;
}

/* page_add_meta: absolute URLs from base_url; an image only when it is a URL or a path. */
static void
test_page_add_meta(void **state)
{
	struct fixture *f = *state;
	json_object *page = json_object_new_object();
	char base[] = "https://s.example";

	f->env.conf.base_url = base;
	page_add_meta(&f->ctx, page, &(struct page_meta){ .title = "Ann (@ann)", .text = "hi\nthere",
	    .path = "/p/7", .type = "article", .image = "/media/1.png", .large = true });
	assert_string_equal(meta_str(page, "url"), "https://s.example/p/7");
	assert_string_equal(meta_str(page, "description"), "hi there");
	assert_string_equal(meta_str(page, "image"), "https://s.example/media/1.png");
	assert_string_equal(meta_str(page, "card"), "summary_large_image");
	assert_string_equal(meta_str(page, "type"), "article");
	assert_string_equal(meta_str(page, "title"), "Ann (@ann)");

	/* No text: the title describes the page; a protocol-relative or odd image is dropped. */
	page_add_meta(&f->ctx, page, &(struct page_meta){ .title = "#Tag", .path = "/hashtag/tag",
	    .type = "website", .image = "//evil.example/x.png", .large = true });
	assert_string_equal(meta_str(page, "description"), "#Tag");
	assert_null(meta_str(page, "image"));
	assert_string_equal(meta_str(page, "card"), "summary");
	page_add_meta(&f->ctx, page, &(struct page_meta){ .title = "u", .path = "/u/u",
	    .type = "profile", .image = "javascript:alert(1)" });
	assert_null(meta_str(page, "image"));
	page_add_meta(&f->ctx, page, &(struct page_meta){ .title = "u", .path = "/u/u",
	    .type = "profile", .image = "https://cdn.example/a.png" });
	assert_string_equal(meta_str(page, "image"), "https://cdn.example/a.png");
	assert_string_equal(meta_str(page, "card"), "summary");
	f->env.conf.base_url = NULL;
	json_object_put(page);
}

/* page.olderUrl: base, then the list's cursor (URL-encoded, after "?" or "&"); none past the
 * last page or without a cursor. */
static void
test_page_older_link(void **state)
{
	static const struct { const char *base, *cursor, *want; } cases[] = {
		{ "/p/9", "123", "/p/9?cursor=123" },
		{ "/u/ann?tab=likes", "77", "/u/ann?tab=likes&cursor=77" },
		{ "/search?q=x&type=users", "a b&c", "/search?q=x&type=users&cursor=a%20b%26c" },
		{ "/", "-1", NULL },
		{ "/", "", NULL },
		{ "/", NULL, NULL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_object *page = json_object_new_object(), *list = json_object_new_object(), *v;

		if (cases[i].cursor != NULL)
			json_object_object_add(list, "cursor", json_object_new_string(cases[i].cursor));
		page_older_link(page, list, cases[i].base);
		if (cases[i].want == NULL)
			assert_false(json_object_object_get_ex(page, "olderUrl", &v));
		else {
			assert_true(json_object_object_get_ex(page, "olderUrl", &v));
			assert_string_equal(json_object_get_string(v), cases[i].want);
		}
		json_object_put(page);
		json_object_put(list);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_page_new_title, setup, teardown),
		cmocka_unit_test_setup_teardown(test_page_done, setup, teardown),
		cmocka_unit_test(test_page_local_path),
		cmocka_unit_test_setup_teardown(test_page_return_to, setup, teardown),
		cmocka_unit_test_setup_teardown(test_page_add_words, setup, teardown),
		cmocka_unit_test(test_page_describe),
		cmocka_unit_test(test_page_older_link),
		cmocka_unit_test_setup_teardown(test_page_add_meta, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
