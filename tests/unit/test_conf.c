/* test_conf.c: the configuration parser, its defaults, and the example file that documents them. */
#include "config.h"

#include "test.h"

#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "conf.h"

struct bad_case {
	int         line;
	const char *text;
	const char *expect;  /* a piece the error message must contain */
};

static const struct bad_case bad_cases[] = {
	{ __LINE__, "[nosuch]\n", "unknown section [nosuch]" },
	{ __LINE__, "[site]\nnope = 1\n", "[site] unknown key nope" },
	{ __LINE__, "name = x\n", "outside any [section]" },
	{ __LINE__, "[site\n", "malformed section header" },
	{ __LINE__, "[site]\njust words\n", "expected \"key = value\"" },
	{ __LINE__, "[site]\nhttps = maybe\n", "[site] https must be true or false" },
	{ __LINE__, "[site]\ndefault_language = fr\n", "must be en or zh" },
	{ __LINE__, "[site]\nbase_url = ftp://x\n", "must start with http:// or https://" },
	{ __LINE__, "[site]\nbase_url = http://x/\n", "must not end with a slash" },
	{ __LINE__, "[log]\nlevel = loud\n", "must be error, warn, info or debug" },
	{ __LINE__, "[http]\nmax_body_bytes = 12abc\n", "must be a whole number" },
	{ __LINE__, "[http]\nmax_body_bytes = -5\n", "out of range" },
	{ __LINE__, "[http]\nmax_body_bytes = 99999999999999999999999\n", "must be a whole number" },
	{ __LINE__, "[http]\nmax_fields = 0\n", "out of range" },
	{ __LINE__, "[http]\nmax_json_depth = 65\n", "out of range" },
	{ __LINE__, "[http]\nmax_body_bytes =\n", "must be a whole number" },
	{ __LINE__, "[mysql]\ninstances =\n", "must name at least one server" },
	{ __LINE__, "[mysql]\nuser = a\nuser = b\n", "[mysql] user is set twice" },
	{ __LINE__, "[memcached]\ntimeout_ms = 5\n", "out of range" },
	{ __LINE__, "[pages]\nrefresh_s = -1\n", "out of range" },
	{ __LINE__, "[pages]\nrefresh_s = 3601\n", "out of range" },
	{ __LINE__, "[site]\nname = a\0b\n", "NUL byte" },
};

static void
test_bad_values_are_refused_with_line_and_key(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
		const struct bad_case *bc = &bad_cases[i];
		size_t len = strlen(bc->text);
		struct buf err = BUF_INIT;
		struct conf c;

		if (strstr(bc->expect, "NUL"))
			len = sizeof "[site]\nname = a\0b\n" - 1;
		conf_defaults(&c);
		if (conf_parse(&c, bc->text, len, "t.conf", &err) != -1 ||
		    strstr(buf_cstr(&err), bc->expect) == NULL ||
		    strncmp(buf_cstr(&err), "t.conf:", 7) != 0)
			fail_msg("row at line %d: got \"%s\", want \"%s\"", bc->line, buf_cstr(&err),
			    bc->expect);
		conf_free(&c);
		buf_free(&err);
	}
}

static void
test_error_names_the_line(void **state)
{
	const char *text = "; comment\n[site]\n\nname = ok\nbogus = 1\n";
	struct buf err = BUF_INIT;
	struct conf c;

	(void)state;
	conf_defaults(&c);
	assert_int_equal(conf_parse(&c, text, strlen(text), "f.conf", &err), -1);
	assert_non_null(strstr(buf_cstr(&err), "f.conf:5:"));
	conf_free(&c);
	buf_free(&err);
}

static void
test_password_is_never_echoed(void **state)
{
	const char *text = "[mysql]\npassword = s3cretvalue\nconnect_timeout = s3cretvalue\n";
	struct buf err = BUF_INIT;
	struct conf c;

	(void)state;
	conf_defaults(&c);
	assert_int_equal(conf_parse(&c, text, strlen(text), "f.conf", &err), -1);
	assert_null(strstr(buf_cstr(&err), "s3cret"));
	conf_free(&c);
	buf_free(&err);
}

static void
test_defaults(void **state)
{
	struct conf c;

	(void)state;
	conf_defaults(&c);
	assert_string_equal(c.site_name, "Starling");
	assert_false(c.https);
	assert_string_equal(c.default_language, "en");
	assert_int_equal(c.max_body_bytes, 1048576);
	assert_int_equal(c.log_level, LOG_LEVEL_INFO);
	assert_string_equal(c.mysql_instances, "127.0.0.1:3306");
	assert_string_equal(c.memcached_key_prefix, "starling:");
	assert_int_equal(c.pages_refresh_s, 30);
	conf_free(&c);
}

static void
test_values_are_parsed_and_trimmed(void **state)
{
	const char *text =
	    "# a comment\n"
	    "[site]\r\n"
	    "  name   =   My Site  \r\n"
	    "https = yes\n"
	    "default_language = zh\n"
	    "[ log ]\n"
	    "level = debug\n"
	    "[http]\n"
	    "max_body_bytes = 2048\n"
	    "[pages]\n"
	    "refresh_s = 0\n"
	    "[mysql]\n"
	    "instances = 10.0.0.1:3306, 10.0.0.2:3306\n"
	    "password = p=a;ss # not a comment\n";
	struct buf err = BUF_INIT;
	struct conf c;

	(void)state;
	conf_defaults(&c);
	assert_int_equal(conf_parse(&c, text, strlen(text), "ok.conf", &err), 0);
	assert_string_equal(c.site_name, "My Site");
	assert_true(c.https);
	assert_string_equal(c.default_language, "zh");
	assert_int_equal(c.log_level, LOG_LEVEL_DEBUG);
	assert_int_equal(c.max_body_bytes, 2048);
	assert_int_equal(c.pages_refresh_s, 0);
	assert_string_equal(c.mysql_instances, "10.0.0.1:3306, 10.0.0.2:3306");
	assert_string_equal(c.mysql_password, "p=a;ss # not a comment");
	conf_free(&c);
	buf_free(&err);
}

static void
test_load_missing_file(void **state)
{
	struct buf err = BUF_INIT;
	struct conf c;

	(void)state;
	conf_defaults(&c);
	assert_int_equal(conf_load(&c, "/nonexistent/starling.conf", &err), -1);
	assert_non_null(strstr(buf_cstr(&err), "/nonexistent/starling.conf: cannot open"));
	conf_free(&c);
	buf_free(&err);
}

static void
test_path_from_environment(void **state)
{
	(void)state;
	setenv("STARLING_CONF", "/tmp/x.conf", 1);
	assert_string_equal(conf_path(), "/tmp/x.conf");
	setenv("STARLING_CONF", "", 1);
	assert_string_not_equal(conf_path(), "");
	unsetenv("STARLING_CONF");
	assert_string_equal(conf_path(), STARLING_DEFAULT_CONF);
}

/* The example file is the documentation: it must parse, and list every key with its default. */
static void
test_example_documents_every_key(void **state)
{
	struct buf path = BUF_INIT, err = BUF_INIT, text = BUF_INIT, want = BUF_INIT;
	char chunk[4096];
	struct conf c;
	size_t i, n;
	FILE *f;

	(void)state;
	buf_printf(&path, "%s/etc/starling.conf.example", test_srcdir());
	conf_defaults(&c);
	if (conf_load(&c, buf_cstr(&path), &err) != 0)
		fail_msg("%s", buf_cstr(&err));
	conf_free(&c);
	f = fopen(buf_cstr(&path), "r");
	assert_non_null(f);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_append(&text, chunk, n);
	fclose(f);
	for (i = 0; i < conf_key_count(); i++) {
		const char *section, *name, *def;

		conf_key_info(i, &section, &name, &def);
		buf_reset(&want);
		buf_printf(&want, "\n%s = %s\n", name, def);
		if (strstr(buf_cstr(&text), buf_cstr(&want)) == NULL &&
		    !(def[0] == '\0' && strstr(buf_cstr(&text), name) != NULL))
			fail_msg("etc/starling.conf.example lacks \"%s = %s\" in [%s]", name, def, section);
	}
	buf_free(&path);
	buf_free(&err);
	buf_free(&text);
	buf_free(&want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_values_are_refused_with_line_and_key),
		cmocka_unit_test(test_error_names_the_line),
		cmocka_unit_test(test_password_is_never_echoed),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_values_are_parsed_and_trimmed),
		cmocka_unit_test(test_load_missing_file),
		cmocka_unit_test(test_path_from_environment),
		cmocka_unit_test(test_example_documents_every_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
