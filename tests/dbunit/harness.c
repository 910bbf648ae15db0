/* harness.c: the environment, users and contexts of the database unit tests (harness.h). */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>
#include <cmocka.h>

#include <json-c/json.h>

#include "ctx.h"
#include "buf.h"
#include "cache.h"
#include "conf.h"
#include "db.h"
#include "id.h"
#include "idlease.h"
#include "jobkinds.h"
#include "jwt.h"
#include "media.h"
#include "user.h"

#include "harness.h"

struct app_env dbunit_env;

static int
setup(void **state)
{
	struct buf err = BUF_INIT;

	(void)state;
	conf_defaults(&dbunit_env.conf);
	if (conf_load(&dbunit_env.conf, getenv("STARLING_TEST_CONF"), &err) != 0)
		fail_msg("conf: %s", buf_cstr(&err));
	dbunit_env.db = db_new(&dbunit_env.conf, &err);
	if (dbunit_env.db == NULL)
		fail_msg("db_new: %s", buf_cstr(&err));
	dbunit_env.cache = cache_new(&dbunit_env.conf, &err);
	if (dbunit_env.cache == NULL)
		fail_msg("cache_new: %s", buf_cstr(&err));
	dbunit_env.ids = idlease_new(dbunit_env.db, NULL);
	/* As every binary's main does: the jobs a write runs at once (counts, mirrors) need their
	 * handlers (lib/app/jobkinds.c). */
	jobkinds_install();
	buf_free(&err);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	idlease_free(dbunit_env.ids);
	cache_free(dbunit_env.cache);
	db_free(dbunit_env.db);
	conf_free(&dbunit_env.conf);
	return 0;
}

int
dbunit_main(const char *name, const struct CMUnitTest *tests, size_t n)
{
	if (getenv("STARLING_TEST_CONF") == NULL) {
		printf("%s: skipped, STARLING_TEST_CONF is not set (tests/dbunit/run.sh sets it)\n",
		    name);
		return 77;
	}
	return _cmocka_run_group_tests(name, tests, n, setup, teardown);
}

/* n random hex digits and a NUL into out (n + 1 bytes), one digit per random byte.
 * Random rather than a counter, so that a reused database never holds the name yet. */
static void
random_hex(char *out, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char raw[16];
	FILE *f = fopen("/dev/urandom", "rb");
	size_t i;

	assert_true(n <= sizeof raw);
	assert_non_null(f);
	assert_int_equal(fread(raw, 1, n, f), n);
	fclose(f);
	for (i = 0; i < n; i++)
		out[i] = digits[raw[i] & 15];
	out[n] = '\0';
}

uint64_t
dbunit_user(const char *prefix, char name[DBUNIT_NAME_MAX])
{
	char own[DBUNIT_NAME_MAX], email[DBUNIT_NAME_MAX + sizeof "@example.com"];
	size_t len = strlen(prefix);
	uint64_t id = 0;
	/* The hashes are never checked here: these tests do not log in. */
	struct user_new n = { .username = own, .email = email, .password_hash = "x",
		.activate_hash = "x", .activate_expires_at = 0, .language = "en" };

	assert_true(len <= 4);
	memcpy(own, prefix, len);
	random_hex(own + len, DBUNIT_NAME_MAX - 1 - len);
	snprintf(email, sizeof email, "%s@example.com", own);
	if (user_create(&dbunit_env, &n, &id) != 1)
		fail_msg("user_create %s failed", own);
	assert_int_equal(user_activate(&dbunit_env, id), 1);
	if (name != NULL)
		memcpy(name, own, sizeof own);
	return id;
}

json_object *
dbunit_get(json_object *o, const char *path)
{
	char name[64];
	const char *dot;
	size_t len;

	while (o != NULL && *path != '\0') {
		dot = strchr(path, '.');
		len = dot ? (size_t)(dot - path) : strlen(path);
		assert_true(len < sizeof name);
		memcpy(name, path, len);
		name[len] = '\0';
		if (!json_object_object_get_ex(o, name, &o))
			return NULL;
		path += len + (dot != NULL);
	}
	return o;
}

const char *
dbunit_str(json_object *o, const char *path)
{
	json_object *v = dbunit_get(o, path);

	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

int64_t
dbunit_int(json_object *o, const char *path)
{
	json_object *v = dbunit_get(o, path);

	return v == NULL ? -1 : json_object_get_int64(v);
}

uint64_t
dbunit_new_id(unsigned shard)
{
	uint64_t id = 0;

	assert_int_equal(idlease_next_id(dbunit_env.ids, shard, &id), 0);
	return id;
}

uint64_t
dbunit_unused_id(void)
{
	return dbunit_new_id(0);
}

void
dbunit_exec(unsigned shard, const char *sql, const struct db_val *params, size_t n)
{
	if (db_exec(dbunit_env.db, shard, sql, params, n, NULL) != 0)
		fail_msg("shard %u: %s failed", shard, sql);
}

uint64_t
dbunit_value(unsigned shard, const char *sql, uint64_t a, uint64_t b)
{
	struct db_rows r = DB_ROWS_INIT;
	uint64_t v;

	if (db_exec(dbunit_env.db, shard, sql, (struct db_val[]){ DB_U64(a), DB_U64(b) },
	    strchr(sql, '?') != strrchr(sql, '?') ? 2 : 1, &r) != 0)
		fail_msg("shard %u: %s failed", shard, sql);
	v = r.nrows ? db_u64(&r, 0, 0) : 0;
	db_rows_free(&r);
	return v;
}

uint64_t
dbunit_post_row(uint64_t user, int type, uint64_t original, const char *hashtags)
{
	uint64_t id = dbunit_new_id(id_shard(user));

	dbunit_exec(id_shard(user), "INSERT INTO {db}.tb_post (id, user_id, post_type, original_id, "
	    "hashtags, created_at) VALUES (?, ?, ?, ?, ?, 1)",
	    DB_PARAMS(DB_U64(id), DB_U64(user), DB_I64(type), DB_U64(original),
		DB_STR(hashtags)));
	dbunit_exec(id_shard(user), "INSERT INTO {db}.tb_post_extended (post_id, user_id) VALUES "
	    "(?, ?)", DB_PARAMS(DB_U64(id), DB_U64(user)));
	return id;
}

uint64_t
dbunit_post_count(uint64_t post, const char *column)
{
	char sql[160];

	snprintf(sql, sizeof sql, "SELECT %s FROM {db}.tb_post_extended WHERE post_id = ?", column);
	return dbunit_value(id_shard(post), sql, post, 0);
}

void
dbunit_as(struct ctx *ctx, uint64_t user)
{
	ctx_init(ctx, NULL, &dbunit_env);
	ctx->user_id = user;
}

/* The media tests' signing key: any 32 bytes or more. */
static const char MEDIA_KEY[] = "a media test key of at least thirty-two bytes";

/* Removes path and what it holds (files, and directories of files, as media stores them). */
static void
rm_tree(const char *path)
{
	struct buf p = BUF_INIT;
	struct dirent *e;
	DIR *d = opendir(path);

	while (d != NULL && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		buf_reset(&p);
		buf_printf(&p, "%s/%s", path, e->d_name);
		if (unlink(buf_cstr(&p)) != 0)
			rm_tree(buf_cstr(&p));
	}
	if (d != NULL)
		closedir(d);
	rmdir(path);
	buf_free(&p);
}

struct dbunit_media *
dbunit_media_new(const char *name)
{
	struct dbunit_media *m = calloc(1, sizeof *m);
	struct buf err = BUF_INIT;
	static char local[] = "local";

	snprintf(m->dir, sizeof m->dir, "/tmp/%s.XXXXXX", name);
	if (mkdtemp(m->dir) == NULL) {
		free(m);
		return NULL;
	}
	m->env = dbunit_env;
	/* The conf is dbunit_env's (its strings are borrowed, never freed here) but for these. */
	m->env.conf.media_storage = local;
	m->env.conf.media_local_dir = m->dir;
	m->keys = jwt_keys_new(MEDIA_KEY, strlen(MEDIA_KEY), NULL, 0);
	m->env.media = media_new(&m->env.conf, m->keys, &err);
	if (m->env.media == NULL)
		fail_msg("media_new: %s", buf_cstr(&err));
	buf_free(&err);
	return m;
}

void
dbunit_media_free(struct dbunit_media *m)
{
	media_free(m->env.media);
	jwt_keys_free(m->keys);
	rm_tree(m->dir);
	free(m);
}
