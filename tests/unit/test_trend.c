/* test_trend.c: trend_compute when a shard does not answer: it fails, stores nothing (it never
 * reaches shard 0's transaction), and its warning names the shard and the instance that holds it
 * under the shard map. The instances are loopback ports nobody listens on, so every connect is
 * refused at once; the rankings with real databases are tests/integration/test_trends.py's, and
 * a hung instance test_resilience.py's. */
#include "config.h"

#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "buf.h"
#include "cache.h"
#include "conf.h"
#include "db.h"
#include "log.h"
#include "memcached.h"
#include "trend.h"

/* A shard map of 8 shards over two instances, and the warning trend_compute must log: the first
 * shard it reads (0) fails, on the instance the map puts it on. */
struct down_row {
	int         line;
	const char *map;
	const char *warning;
};

static const struct down_row down_rows[] = {
	{ __LINE__, "",              "trends: not computed: shard 0 (instance 0) does not answer" },
	{ __LINE__, "0-3@1, 4-7@0", "trends: not computed: shard 0 (instance 1) does not answer" },
};

/* A free loopback port as "127.0.0.1:<port>" (the caller frees it): nobody listens there. */
static char *
nowhere(void)
{
	char a[32];

	snprintf(a, sizeof a, "127.0.0.1:%d", free_port());
	return strdup(a);
}

static void
set_str(char **field, char *value)
{
	free(*field);
	*field = value;
}

static void
test_compute_fails_naming_the_shard(void **state)
{
	struct buf err = BUF_INIT, addrs = BUF_INIT;
	char logged[8192];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof down_rows / sizeof down_rows[0]; i++) {
		const struct down_row *r = &down_rows[i];
		struct app_env env;
		char *a = nowhere(), *b = nowhere();
		FILE *log = tmpfile();
		int rc;

		assert_non_null(log);
		memset(&env, 0, sizeof env);
		conf_defaults(&env.conf);
		buf_reset(&addrs);
		buf_printf(&addrs, "%s, %s", a, b);
		set_str(&env.conf.mysql_instances, strdup(buf_cstr(&addrs)));
		set_str(&env.conf.mysql_shard_map, strdup(r->map));
		set_str(&env.conf.memcached_servers, nowhere());
		env.conf.mysql_logical_shards = 8;
		env.db = db_new(&env.conf, &err);
		env.cache = cache_new(&env.conf, &err);
		if (env.db == NULL || env.cache == NULL)
			fail_msg("line %d: %s", r->line, buf_cstr(&err));
		log_set_fd(fileno(log));
		rc = trend_compute(&env);
		log_set_fd(-1);
		rewind(log);
		n = fread(logged, 1, sizeof logged - 1, log);
		logged[n] = '\0';
		fclose(log);
		if (rc != -1)
			fail_msg("line %d: trend_compute = %d with no instance up, want -1", r->line, rc);
		if (strstr(logged, r->warning) == NULL)
			fail_msg("line %d: no \"%s\" in the log:\n%s", r->line, r->warning, logged);
		/* Nothing was stored, so nothing says it was. */
		if (strstr(logged, "ranked") != NULL || strstr(logged, "not stored") != NULL)
			fail_msg("line %d: trend_compute went on past the failed shard:\n%s", r->line,
			    logged);
		cache_free(env.cache);
		db_free(env.db);
		conf_free(&env.conf);
		free(a);
		free(b);
	}
	buf_free(&err);
	buf_free(&addrs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compute_fails_naming_the_shard),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
