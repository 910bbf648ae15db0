/* test_linkcard.c: lib/social/linkcard.h without a database: the host a card shows, the job's
 * payload and its refusals, the cache key of a URL, and the card linkcard_get makes of each cached
 * row (read from a private memcached the test starts): shown, nothing to show, or a corrupt entry
 * deleted. The database is a loopback port nobody listens on, so a row not in the cache is a
 * failure (-1); the worker's fetch and store are tests/integration/test_links.py's. */
#include "config.h"

#include "test.h"

#include <stdio.h>
#include <string.h>

#include "cache.h"
#include "conf.h"
#include "ctx.h"
#include "db.h"
#include "linkcard.h"
#include "memcached.h"

static struct server srv;

/* SHA-256 of "https://example.com/", as sha256sum prints it. */
#define EXAMPLE_URL "https://example.com/"
#define EXAMPLE_KEY "url:0f115db062b7c0dd030b16878c99dea5c354b49dc37b38eb8846179c7783e9d7"

static char *
nowhere(void)
{
	char a[32];

	snprintf(a, sizeof a, "127.0.0.1:%d", free_port());
	return strdup(a);
}

static int
setup(void **state)
{
	struct app_env *env = calloc(1, sizeof *env);
	struct buf err = BUF_INIT;

	srv.port = free_port();
	if (srv.port < 0 || server_start(&srv) != 0)
		return -1;
	conf_defaults(&env->conf);
	free(env->conf.mysql_instances);
	env->conf.mysql_instances = nowhere();
	free(env->conf.memcached_servers);
	env->conf.memcached_servers = strdup(srv.addr);
	env->db = db_new(&env->conf, &err);
	env->cache = cache_new(&env->conf, &err);
	if (env->db == NULL || env->cache == NULL)
		fail_msg("set-up: %s", buf_cstr(&err));
	buf_free(&err);
	*state = env;
	return 0;
}

static int
teardown(void **state)
{
	struct app_env *env = *state;

	cache_free(env->cache);
	db_free(env->db);
	conf_free(&env->conf);
	free(env);
	server_kill(&srv);
	return 0;
}

/* ---------------------------------------------------------------------------------------------
 * linkcard_host. */

struct host_row {
	int         line;
	const char *url;
	size_t      n;      /* 0: strlen(url) */
	const char *host;
};

static const struct host_row host_rows[] = {
	{ __LINE__, "https://example.com/a/b?c#d",      0, "example.com" },
	{ __LINE__, "HTTP://WWW.Example.COM",            0, "www.example.com" },
	{ __LINE__, "https://example.com:8443/x",        0, "example.com:8443" },
	{ __LINE__, "https://example.com?q=1",           0, "example.com" },
	{ __LINE__, "https://example.com#top",           0, "example.com" },
	{ __LINE__, "https://example.com",               0, "example.com" },
	{ __LINE__, "https://",                          0, "" },
	{ __LINE__, "https:/example.com",                0, "" },
	{ __LINE__, "example.com/path",                  0, "" },
	{ __LINE__, "",                                  0, "" },
	{ __LINE__, "x:",                                0, "" },
	/* Only the n bytes given: the host is cut where they end. */
	{ __LINE__, "https://example.com/",              15, "example" },
	{ __LINE__, "https://example.com/",              7, "" },
	/* Non-ASCII bytes are kept as they are; only A-Z is folded. */
	{ __LINE__, "https://\xc3\x89t\xc3\xa9.fr/",     0, "\xc3\x89t\xc3\xa9.fr" },
};

static void
test_host(void **state)
{
	struct buf out = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof host_rows / sizeof host_rows[0]; i++) {
		const struct host_row *r = &host_rows[i];

		buf_reset(&out);
		buf_puts(&out, "");
		linkcard_host(r->url, r->n ? r->n : strlen(r->url), &out);
		if (strcmp(buf_cstr(&out), r->host) != 0)
			fail_msg("line %d: host \"%s\", want \"%s\"", r->line, buf_cstr(&out), r->host);
	}
	/* It appends. */
	buf_reset(&out);
	buf_puts(&out, "at ");
	linkcard_host(EXAMPLE_URL, strlen(EXAMPLE_URL), &out);
	assert_string_equal(buf_cstr(&out), "at example.com");
	buf_free(&out);
}

/* ---------------------------------------------------------------------------------------------
 * The payload, the job's refusals, the key. */

static void
test_payload(void **state)
{
	json_object *p = linkcard_payload(EXAMPLE_URL, UINT64_C(18446744073709551615)), *v;

	(void)state;
	assert_true(json_object_object_get_ex(p, "url", &v));
	assert_string_equal(json_object_get_string(v), EXAMPLE_URL);
	/* The job ID as a string of all 20 digits, as every ID in a payload. */
	assert_true(json_object_object_get_ex(p, "job_id", &v));
	assert_true(json_object_is_type(v, json_type_string));
	assert_string_equal(json_object_get_string(v), "18446744073709551615");
	assert_int_equal(json_object_object_length(p), 2);
	json_object_put(p);
}

struct job_row {
	int         line;
	const char *payload;   /* JSON */
	const char *err;
};

static const struct job_row job_rows[] = {
	{ __LINE__, "{}",                                    "link.fetch: no valid URL" },
	{ __LINE__, "{\"url\":42}",                          "link.fetch: no valid URL" },
	{ __LINE__, "{\"url\":\"\"}",                        "link.fetch: no valid URL" },
	{ __LINE__, "{\"url\":\"not a url\"}",               "link.fetch: no valid URL" },
	{ __LINE__, "{\"url\":\"ftp://example.com/\"}",      "link.fetch: no valid URL" },
	/* More than one URL, or one inside text: the payload is one URL, whole. */
	{ __LINE__, "{\"url\":\"see https://example.com/\"}", "link.fetch: no valid URL" },
	{ __LINE__, "{\"url\":\"https://example.com/ x\"}",  "link.fetch: no valid URL" },
	/* A good URL with the database down: the worker tries again later. */
	{ __LINE__, "{\"url\":\"" EXAMPLE_URL "\"}",
	  "link.fetch: tb_parsed_url could not be read" },
};

static void
test_job_refusals(void **state)
{
	struct app_env *env = *state;
	struct buf err = BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof job_rows / sizeof job_rows[0]; i++) {
		const struct job_row *r = &job_rows[i];
		json_object *p = json_tokener_parse(r->payload);
		int rc;

		assert_non_null(p);
		buf_reset(&err);
		buf_puts(&err, "");
		rc = linkcard_job(env, p, &err);
		if (rc != -1 || strcmp(buf_cstr(&err), r->err) != 0)
			fail_msg("line %d: linkcard_job = %d (%s), want -1 (%s)", r->line, rc,
			    buf_cstr(&err), r->err);
		json_object_put(p);
	}
	buf_free(&err);
}

static void
test_keys(void **state)
{
	struct cache_keys ks = CACHE_KEYS_INIT;

	(void)state;
	linkcard_keys(&ks, EXAMPLE_URL, strlen(EXAMPLE_URL));
	/* The same URL twice is one key; the key hashes exactly the n bytes given. */
	linkcard_keys(&ks, EXAMPLE_URL, strlen(EXAMPLE_URL));
	linkcard_keys(&ks, EXAMPLE_URL "more", strlen(EXAMPLE_URL));
	assert_int_equal(ks.n, 1);
	assert_string_equal(ks.k[0], EXAMPLE_KEY);
	linkcard_keys(&ks, "https://example.com", strlen("https://example.com"));
	assert_int_equal(ks.n, 2);
	assert_string_not_equal(ks.k[1], EXAMPLE_KEY);
	cache_keys_free(&ks);
}

/* ---------------------------------------------------------------------------------------------
 * linkcard_get of each cached row. */

struct get_row {
	int         line;
	const char *cached;   /* the value under the URL's key; NULL: none */
	int         rc;
	const char *title, *description, *image;   /* the card, when rc is 1 */
};

static const struct get_row get_rows[] = {
	{ __LINE__, "{\"t\":\"T\",\"d\":\"D\",\"i\":\"https://example.com/i.png\",\"s\":0}", 1,
	  "T", "D", "https://example.com/i.png" },
	{ __LINE__, "{\"t\":\"Title only\",\"d\":\"\",\"i\":\"\",\"s\":0}", 1, "Title only", "", "" },
	{ __LINE__, "{\"t\":\"\",\"d\":\"Description only\",\"i\":\"\",\"s\":0}", 1, "",
	  "Description only", "" },
	/* Members of the wrong type read as empty. */
	{ __LINE__, "{\"t\":\"T\",\"d\":5,\"i\":null,\"s\":0}", 1, "T", "", "" },
	/* Nothing to show: neither title nor description, or the fetch did not read a page. */
	{ __LINE__, "{\"t\":\"\",\"d\":\"\",\"i\":\"https://example.com/i.png\",\"s\":0}", 0,
	  NULL, NULL, NULL },
	{ __LINE__, "{\"t\":\"T\",\"d\":\"D\",\"i\":\"\",\"s\":1}", 0, NULL, NULL, NULL },
	{ __LINE__, "{\"t\":\"T\",\"d\":\"D\",\"i\":\"\",\"s\":2}", 0, NULL, NULL, NULL },
	{ __LINE__, "{\"t\":\"T\",\"d\":\"D\",\"i\":\"\",\"s\":3}", 0, NULL, NULL, NULL },
	{ __LINE__, "{\"t\":\"T\",\"d\":\"D\",\"i\":\"\"}", 0, NULL, NULL, NULL },
	/* Not what linkcard caches: an error, and the entry goes. */
	{ __LINE__, "not json", -1, NULL, NULL, NULL },
	{ __LINE__, "[1,2]", -1, NULL, NULL, NULL },
	/* Not cached, and the database down. */
	{ __LINE__, NULL, -1, NULL, NULL, NULL },
};

static void
test_get(void **state)
{
	struct app_env *env = *state;
	struct buf val = BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof get_rows / sizeof get_rows[0]; i++) {
		const struct get_row *r = &get_rows[i];
		json_object *card = (json_object *)1;
		int rc;

		(void)cache_delete(env->cache, EXAMPLE_KEY);
		if (r->cached != NULL)
			assert_int_equal(cache_set(env->cache, EXAMPLE_KEY, r->cached, strlen(r->cached),
			    60), 1);
		rc = linkcard_get(env, EXAMPLE_URL, strlen(EXAMPLE_URL), &card);
		if (rc != r->rc)
			fail_msg("line %d: linkcard_get = %d, want %d", r->line, rc, r->rc);
		if (rc != 1) {
			if (card != NULL)
				fail_msg("line %d: *out not NULL with %d", r->line, rc);
			if (r->cached != NULL && rc < 0) {
				buf_reset(&val);
				if (cache_get(env->cache, EXAMPLE_KEY, &val) == 1)
					fail_msg("line %d: the corrupt entry was kept", r->line);
			}
			continue;
		}
		assert_string_equal(json_object_get_string(json_object_object_get(card, "url")),
		    EXAMPLE_URL);
		assert_string_equal(json_object_get_string(json_object_object_get(card, "host")),
		    "example.com");
		if (strcmp(json_object_get_string(json_object_object_get(card, "title")), r->title) ||
		    strcmp(json_object_get_string(json_object_object_get(card, "description")),
		    r->description) ||
		    strcmp(json_object_get_string(json_object_object_get(card, "image")), r->image))
			fail_msg("line %d: card %s", r->line, json_object_to_json_string(card));
		json_object_put(card);
	}
	buf_free(&val);
}

/* The card's url is the n bytes asked for, not the rest of the string (a URL inside a post's
 * text). */
static void
test_get_takes_n_bytes(void **state)
{
	struct app_env *env = *state;
	static const char row[] = "{\"t\":\"T\",\"d\":\"D\",\"i\":\"\",\"s\":0}";
	json_object *card = NULL;

	assert_int_equal(cache_set(env->cache, EXAMPLE_KEY, row, strlen(row), 60), 1);
	assert_int_equal(linkcard_get(env, EXAMPLE_URL " and more text", strlen(EXAMPLE_URL),
	    &card), 1);
	assert_string_equal(json_object_get_string(json_object_object_get(card, "url")),
	    EXAMPLE_URL);
	json_object_put(card);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host),
		cmocka_unit_test(test_payload),
		cmocka_unit_test(test_job_refusals),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_get),
		cmocka_unit_test(test_get_takes_n_bytes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
