/* fuzz_conf.c: the configuration parser (lib/base/conf.c) on any file.
 *
 * conf.h's contract, checked on every input: a file is taken or refused as a whole; a refusal
 * says "origin:line: ..." in one line; whatever happened, the struct holds only valid values
 * (the limits a request is parsed under and the token leeway are checked here: each is what
 * keeps a hostile request cheap or a token check sound); parsing is deterministic. */
#include "config.h"

#include <string.h>

#include "buf.h"
#include "conf.h"
#include "fuzz.h"
#include "jwt.h"

#define ORIGIN "fuzz.conf"

static void
check_values(const struct conf *c)
{
	FUZZ_CHECK(c->max_body_bytes >= 1024 && c->max_body_bytes <= 67108864);
	FUZZ_CHECK(c->max_uri_bytes >= 256 && c->max_uri_bytes <= 65536);
	FUZZ_CHECK(c->max_fields >= 1 && c->max_fields <= 10000);
	FUZZ_CHECK(c->max_header_bytes >= 256 && c->max_header_bytes <= 65536);
	FUZZ_CHECK(c->max_json_depth >= 2 && c->max_json_depth <= 64);
	FUZZ_CHECK(c->auth_token_leeway >= 0 && c->auth_token_leeway <= 600 &&
	    c->auth_token_leeway <= JWT_LEEWAY_MAX);
	FUZZ_CHECK(c->posts_max_chars >= 1 && c->posts_max_chars <= 280);
	FUZZ_CHECK(c->site_name != NULL && c->base_url != NULL && c->mysql_database != NULL &&
	    c->mysql_password != NULL && c->auth_token_key_file != NULL);
	FUZZ_CHECK(strncmp(c->base_url, "http://", 7) == 0 ||
	    strncmp(c->base_url, "https://", 8) == 0);
	FUZZ_CHECK(c->mysql_database[0] != '\0' && strspn(c->mysql_database,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") ==
	    strlen(c->mysql_database));
}

static int
parse(const uint8_t *data, size_t size, struct conf *c, struct buf *err)
{
	conf_defaults(c);
	return conf_parse(c, (const char *)data, size, ORIGIN, err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf c, again;
	struct buf err = BUF_INIT, err2 = BUF_INIT;
	int rc = parse(data, size, &c, &err);

	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc == 0) {
		FUZZ_CHECK(err.len == 0);
	} else {
		FUZZ_CHECK(strncmp(buf_cstr(&err), ORIGIN ":", sizeof ORIGIN) == 0);
		FUZZ_CHECK(strchr(buf_cstr(&err), '\n') == NULL);
	}
	check_values(&c);
	FUZZ_CHECK(parse(data, size, &again, &err2) == rc);
	FUZZ_CHECK(strcmp(buf_cstr(&err), buf_cstr(&err2)) == 0);
	conf_free(&again);
	conf_free(&c);
	buf_free(&err);
	buf_free(&err2);
	return 0;
}
