/* test_notify.c: the notification types: their names (the API's "type", the rows' numbers of
 * sql/006_notifications.sql) and the sentence each one has on the page in every language; then,
 * against real MariaDB instances (two) and memcached with Starling's schema (started by
 * tests/integration/notify.sh, which sets STARLING_TEST_CONF; skipped without it), the jobs:
 * notify.like following the like through likes and unlikes, run twice and out of order (the
 * notification withdrawn and brought back, never made twice, its read state kept), mark-as-read
 * of a withdrawn one, a repost redone telling once while each quote tells, the cached unread
 * count deleted by every change, the header's badge read from it, and the blocks it leaves out.
 * The rules seen through HTTP are in
 * tests/integration/test_notify.py. */
#include "config.h"

#include "test.h"

#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "buf.h"
#include "cache.h"
#include "conf.h"
#include "db.h"
#include "i18n.h"
#include "id.h"
#include "idlease.h"
#include "notify.h"

/* The numbers are stored in tb_notification.type: they must never change. */
struct type_row {
	int         line;
	int         type;
	int         stored;
	const char *name;
};

static const struct type_row type_rows[] = {
	{ __LINE__, NOTIFY_LIKE,    1, "like" },
	{ __LINE__, NOTIFY_REPLY,   2, "reply" },
	{ __LINE__, NOTIFY_REPOST,  3, "repost" },
	{ __LINE__, NOTIFY_QUOTE,   4, "quote" },
	{ __LINE__, NOTIFY_FOLLOW,  5, "follow" },
	{ __LINE__, NOTIFY_MENTION, 6, "mention" },
	{ __LINE__, NOTIFY_REPORT_DISMISSED, 7, "report_dismissed" },
	{ __LINE__, NOTIFY_REPORT_UPHELD,    8, "report_upheld" },
};

static void
test_type_names(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof type_rows / sizeof type_rows[0]; i++) {
		const struct type_row *r = &type_rows[i];
		const char *name = notify_type_name(r->type);

		if (r->type != r->stored)
			fail_msg("line %d: %s is stored as %d, not %d", r->line, r->name, r->type,
			    r->stored);
		if (name == NULL || strcmp(name, r->name) != 0)
			fail_msg("line %d: type %d is named %s, want %s", r->line, r->type,
			    name ? name : "(null)", r->name);
	}
}

/* Values that name no type: a row written by a newer version, or a corrupt one. */
static const struct {
	int line;
	int type;
} unknown_rows[] = {
	{ __LINE__, 0 }, { __LINE__, 9 }, { __LINE__, -1 }, { __LINE__, 255 }, { __LINE__, INT_MAX },
	{ __LINE__, INT_MIN },
};

static void
test_unknown_types(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof unknown_rows / sizeof unknown_rows[0]; i++)
		if (notify_type_name(unknown_rows[i].type) != NULL)
			fail_msg("line %d: type %d has a name", unknown_rows[i].line,
			    unknown_rows[i].type);
}

/* The page says "@bob <sentence>" with the catalog's "notifications.<type>": every type has its
 * own sentence in every language (a missing one would show the key itself). */
static void
test_every_type_has_a_sentence(void **state)
{
	struct buf dir = BUF_INIT, err = BUF_INIT, key = BUF_INIT;
	const char *const *lang;
	struct i18n *c;
	size_t i, j;

	(void)state;
	buf_printf(&dir, "%s/templates/i18n", test_srcdir());
	c = i18n_load(buf_cstr(&dir), &err);
	if (c == NULL)
		fail_msg("%s", buf_cstr(&err));
	for (lang = i18n_languages; *lang != NULL; lang++) {
		for (i = 0; i < sizeof type_rows / sizeof type_rows[0]; i++) {
			const char *s;

			buf_reset(&key);
			buf_printf(&key, "notifications.%s", type_rows[i].name);
			s = i18n_get(c, *lang, buf_cstr(&key));
			if (strcmp(s, buf_cstr(&key)) == 0 || *s == '\0')
				fail_msg("line %d: no %s sentence for %s", type_rows[i].line, *lang,
				    type_rows[i].name);
			/* Two types with one sentence would tell the reader the wrong thing. */
			for (j = 0; j < i; j++) {
				struct buf other = BUF_INIT;

				buf_printf(&other, "notifications.%s", type_rows[j].name);
				if (strcmp(s, i18n_get(c, *lang, buf_cstr(&other))) == 0)
					fail_msg("line %d: %s says the same as %s in %s",
					    type_rows[i].line, type_rows[i].name, type_rows[j].name,
					    *lang);
				buf_free(&other);
			}
		}
	}
	i18n_free(c);
	buf_free(&dir);
	buf_free(&err);
	buf_free(&key);
}

/* ------------------------------------------------------------------------------------------ */
/* With the databases */

static struct app_env env;
static bool have_db;

/* Users on two shards of different instances (0-3 on the first, 4-7 on the second): every
 * notification here is written on another instance than the action. */
#define SHARD_A 2
#define SHARD_B 5

static int
db_setup(void **state)
{
	const char *conf = getenv("STARLING_TEST_CONF");
	struct buf err = BUF_INIT;

	(void)state;
	if (conf == NULL || *conf == '\0')
		return 0;
	conf_defaults(&env.conf);
	if (conf_load(&env.conf, conf, &err) != 0)
		fail_msg("conf: %s", buf_cstr(&err));
	env.db = db_new(&env.conf, &err);
	if (env.db == NULL)
		fail_msg("db_new: %s", buf_cstr(&err));
	env.cache = cache_new(&env.conf, &err);
	if (env.cache == NULL)
		fail_msg("cache_new: %s", buf_cstr(&err));
	env.ids = idlease_new(env.db, NULL);
	have_db = true;
	buf_free(&err);
	return 0;
}

static int
db_teardown(void **state)
{
	(void)state;
	if (!have_db)
		return 0;
	idlease_free(env.ids);
	cache_free(env.cache);
	db_free(env.db);
	conf_free(&env.conf);
	return 0;
}

static uint64_t
new_id(unsigned shard)
{
	uint64_t id;

	assert_int_equal(idlease_next_id(env.ids, shard, &id), 0);
	return id;
}

static void
exec_ok(unsigned shard, const char *sql, const struct db_val *p, size_t n)
{
	if (db_exec(env.db, shard, sql, p, n, NULL) != 0)
		fail_msg("shard %u: %s failed", shard, sql);
}

/* A live post of user: type 0 post, 1 repost, 2 quote (tb_post.post_type), of original. */
static uint64_t
make_post(uint64_t user, int type, uint64_t original)
{
	uint64_t id = new_id(id_shard(user));

	exec_ok(id_shard(user), "INSERT INTO {db}.tb_post (id, user_id, post_type, original_id, "
	    "content_text, created_at) VALUES (?, ?, ?, ?, 'hi', 1)",
	    DB_PARAMS(DB_U64(id), DB_U64(user), DB_I64(type), DB_U64(original)));
	return id;
}

/* Runs a job handler with {a: x, b: y}; returns its result, err printed on failure. */
static int
run_job(int (*handler)(struct app_env *, json_object *, struct buf *), const char *a,
    uint64_t x, const char *b, uint64_t y)
{
	json_object *o = json_object_new_object();
	struct buf err = BUF_INIT;
	char s[24];
	int rc;

	snprintf(s, sizeof s, "%" PRIu64, x);
	json_object_object_add(o, a, json_object_new_string(s));
	if (b != NULL) {
		snprintf(s, sizeof s, "%" PRIu64, y);
		json_object_object_add(o, b, json_object_new_string(s));
	}
	rc = handler(&env, o, &err);
	if (rc != 0)
		print_message("job: %s\n", buf_cstr(&err));
	json_object_put(o);
	buf_free(&err);
	return rc;
}

/* The like row as post.c writes (on) or deletes (off) it, without its job. */
static void
set_like(uint64_t liker, uint64_t record, bool on)
{
	if (on)
		exec_ok(id_shard(liker), "INSERT IGNORE INTO {db}.tb_post_like (id, record_id, "
		    "liker_id, created_at) VALUES (?, ?, ?, 1)",
		    DB_PARAMS(DB_U64(new_id(id_shard(liker))), DB_U64(record), DB_U64(liker)));
	else
		exec_ok(id_shard(liker), "DELETE FROM {db}.tb_post_like WHERE liker_id = ? AND "
		    "record_id = ?", DB_PARAMS(DB_U64(liker), DB_U64(record)));
}

/* recipient's rows of (type, actor): how many, and the id and is_read of the one there is. */
struct note_rows {
	size_t   n;
	uint64_t id;
	int64_t  is_read;
	uint64_t record;
};

static struct note_rows
notes(uint64_t recipient, int type, uint64_t actor)
{
	struct db_rows r = DB_ROWS_INIT;
	struct note_rows out = { 0, 0, -1, 0 };

	if (db_exec(env.db, id_shard(recipient), "SELECT id, is_read, record_id FROM "
	    "{db}.tb_notification WHERE user_id = ? AND type = ? AND actor_id = ? ORDER BY id",
	    DB_PARAMS(DB_U64(recipient), DB_I64(type), DB_U64(actor)), &r) != 0)
		fail_msg("cannot read the notifications of %" PRIu64, recipient);
	out.n = r.nrows;
	if (r.nrows > 0) {
		out.id = db_u64(&r, 0, 0);
		out.is_read = db_i64(&r, 0, 1);
		out.record = db_u64(&r, 0, 2);
	}
	db_rows_free(&r);
	return out;
}

static long
unread_of(uint64_t user)
{
	struct ctx ctx;
	long n = -1;
	bool partial = true;

	ctx_init(&ctx, NULL, &env);
	ctx.user_id = user;
	assert_int_equal(notify_unread(&ctx, &n, &partial), 0);
	assert_false(partial);
	ctx_free(&ctx);
	return n;
}

static void
read_up_to(uint64_t user, uint64_t id)
{
	struct ctx ctx;

	ctx_init(&ctx, NULL, &env);
	ctx.user_id = user;
	assert_int_equal(notify_read(&ctx, id), 0);
	ctx_free(&ctx);
}

/* A like's life, step by step: what is done, then the notification and count it leaves. The
 * like's row changes with LIKE and UNLIKE; its job runs after each step (JOB: only the job, a
 * retry or a late copy). READ marks everything read. Each row's want: the row's is_read (-1: no
 * row), and the author's unread count. */
enum step { LIKE, UNLIKE, JOB, READ };

static const struct like_row {
	int       line;
	enum step step;
	int64_t   is_read;
	long      unread;
} like_rows[] = {
	{ __LINE__, JOB,    -1, 0 },   /* a job before any like: nothing */
	{ __LINE__, LIKE,    0, 1 },
	{ __LINE__, JOB,     0, 1 },   /* run twice: nothing more */
	{ __LINE__, UNLIKE,  2, 0 },   /* withdrawn, out of the count */
	{ __LINE__, JOB,     2, 0 },   /* the like's job late, after the unlike: the like is gone */
	{ __LINE__, LIKE,    0, 1 },   /* the same row back, unread as it was */
	{ __LINE__, READ,    1, 0 },
	{ __LINE__, UNLIKE,  3, 0 },
	{ __LINE__, LIKE,    1, 0 },   /* back read: a like given again never pings twice */
	{ __LINE__, UNLIKE,  3, 0 },
	{ __LINE__, JOB,     3, 0 },
	{ __LINE__, LIKE,    1, 0 },
	{ __LINE__, UNLIKE,  3, 0 },
};

static void
test_like_job_follows_the_like(void **state)
{
	uint64_t author, liker, post, first = 0;
	struct note_rows got;
	size_t i;

	(void)state;
	if (!have_db)
		skip();
	author = new_id(SHARD_A);
	liker = new_id(SHARD_B);
	post = make_post(author, 0, 0);
	for (i = 0; i < sizeof like_rows / sizeof like_rows[0]; i++) {
		const struct like_row *r = &like_rows[i];

		/* Read first, so the count is cached and each step must delete it. */
		(void)unread_of(author);
		if (r->step == LIKE || r->step == UNLIKE)
			set_like(liker, post, r->step == LIKE);
		if (r->step == READ)
			read_up_to(author, UINT64_MAX);
		else if (run_job(notify_like_job, "liker_id", liker, "record_id", post) != 0)
			fail_msg("line %d: the job failed", r->line);
		got = notes(author, NOTIFY_LIKE, liker);
		if (got.n != (r->is_read < 0 ? 0u : 1u) || (got.n == 1 && got.is_read != r->is_read))
			fail_msg("line %d: %zu rows, is_read %" PRId64 "; want is_read %" PRId64,
			    r->line, got.n, got.is_read, r->is_read);
		if (got.n == 1 && first == 0)
			first = got.id;
		if (got.n == 1 && got.id != first)
			fail_msg("line %d: a new row %" PRIu64 ", not %" PRIu64, r->line, got.id,
			    first);
		if (unread_of(author) != r->unread)
			fail_msg("line %d: unread %ld, want %ld", r->line, unread_of(author),
			    r->unread);
	}
}

/* Bad payloads fail the job (it is set aside, not run forever on nothing). */
static void
test_like_job_refuses_bad_payloads(void **state)
{
	(void)state;
	if (!have_db)
		skip();
	assert_int_equal(run_job(notify_like_job, "liker_id", 0, "record_id", 1), -1);
	assert_int_equal(run_job(notify_like_job, "liker_id", new_id(SHARD_B), NULL, 0), -1);
	assert_int_equal(run_job(notify_like_job, "record_id", 1, NULL, 0), -1);
	/* A record that does not exist (deleted): nothing to do, not a failure. */
	assert_int_equal(run_job(notify_like_job, "liker_id", new_id(SHARD_B), "record_id",
	    new_id(SHARD_A)), 0);
}

/* Reposts undone and made again (a new record each time) tell once; each quote tells. */
static void
test_repost_redone_tells_once(void **state)
{
	uint64_t author, actor, post, r, q1, q2;
	struct note_rows got;
	int i;

	(void)state;
	if (!have_db)
		skip();
	author = new_id(SHARD_A);
	actor = new_id(SHARD_B);
	post = make_post(author, 0, 0);
	for (i = 0; i < 3; i++) {
		r = make_post(actor, 1, post);
		assert_int_equal(run_job(notify_post_job, "record_id", r, NULL, 0), 0);
		/* Undone: the repost record is deleted; the next one is a new record. */
		exec_ok(id_shard(actor), "UPDATE {db}.tb_post SET is_deleted = 1 WHERE id = ?",
		    DB_PARAMS(DB_U64(r)));
	}
	got = notes(author, NOTIFY_REPOST, actor);
	assert_int_equal(got.n, 1);
	assert_int_equal(got.record, post);
	assert_int_equal(unread_of(author), 1);
	q1 = make_post(actor, 2, post);
	q2 = make_post(actor, 2, post);
	assert_int_equal(run_job(notify_post_job, "record_id", q1, NULL, 0), 0);
	assert_int_equal(run_job(notify_post_job, "record_id", q2, NULL, 0), 0);
	assert_int_equal(run_job(notify_post_job, "record_id", q2, NULL, 0), 0);
	assert_int_equal(notes(author, NOTIFY_QUOTE, actor).n, 2);
	assert_int_equal(unread_of(author), 3);
}

/* notify_forget_unread (what a block calls): the next read counts again. */
static void
test_forget_unread(void **state)
{
	uint64_t user, actor;

	(void)state;
	if (!have_db)
		skip();
	user = new_id(SHARD_A);
	actor = new_id(SHARD_B);
	assert_int_equal(notify_add(&env, user, NOTIFY_FOLLOW, actor, 0, 0), 1);
	assert_int_equal(unread_of(user), 1);
	/* A row the count does not know of yet (as a block changes what it counts). */
	exec_ok(id_shard(user), "INSERT INTO {db}.tb_notification (id, user_id, type, actor_id, "
	    "created_at) VALUES (?, ?, 6, ?, 1)", DB_PARAMS(DB_U64(new_id(SHARD_A)),
		DB_U64(user), DB_U64(actor)));
	assert_int_equal(unread_of(user), 1);   /* cached */
	notify_forget_unread(&env, user);
	assert_int_equal(unread_of(user), 2);
	notify_forget_unread(&env, user);       /* nothing cached: no harm */
	assert_int_equal(unread_of(user), 2);
}

/* The header's badge: the cached count (a row added behind the cache's back is not seen until
 * the key is forgotten: no SQL when warm); nothing for no user or a shard that is not
 * configured; -1, not an error of the page, when the count cannot be read (here a value in the
 * cache that is no count, which is dropped). */
static void
test_unread_badge(void **state)
{
	uint64_t user, actor;
	char key[40];
	long n = -1;

	(void)state;
	if (!have_db)
		skip();
	user = new_id(SHARD_A);
	actor = new_id(SHARD_B);
	assert_int_equal(notify_unread_badge(&env, user, &n), 1);
	assert_int_equal(n, 0);
	notify_forget_unread(&env, user);
	assert_int_equal(notify_add(&env, user, NOTIFY_FOLLOW, actor, 0, 0), 1);
	assert_int_equal(notify_unread_badge(&env, user, &n), 1);
	assert_int_equal(n, 1);
	exec_ok(id_shard(user), "INSERT INTO {db}.tb_notification (id, user_id, type, actor_id, "
	    "created_at) VALUES (?, ?, 6, ?, 1)", DB_PARAMS(DB_U64(new_id(SHARD_A)),
		DB_U64(user), DB_U64(actor)));
	assert_int_equal(notify_unread_badge(&env, user, &n), 1);
	assert_int_equal(n, 1);                 /* the cached count */
	assert_int_equal(unread_of(user), 1);   /* the same as the API's */
	notify_forget_unread(&env, user);
	assert_int_equal(notify_unread_badge(&env, user, &n), 1);
	assert_int_equal(n, 2);
	assert_int_equal(notify_unread_badge(&env, 0, &n), 0);
	assert_int_equal(notify_unread_badge(&env, id_compose(1, ID_MAX_SHARDS - 1, 0, 0), &n), 0);
	snprintf(key, sizeof key, "notifn:%" PRIu64, user);
	assert_int_equal(cache_set(env.cache, key, "x", 1, 60), 1);
	assert_int_equal(notify_unread_badge(&env, user, &n), -1);
	assert_int_equal(notify_unread_badge(&env, user, &n), 1);   /* dropped, counted again */
	assert_int_equal(n, 2);
}

/* The count leaves out the actors in a block with the user, either way, whichever shard holds
 * the block's row: the user's (the user blocks) or the actor's (the actor blocks). */
static void
test_unread_leaves_out_blocks(void **state)
{
	uint64_t user, same, other, third;

	(void)state;
	if (!have_db)
		skip();
	user = new_id(SHARD_A);
	same = new_id(SHARD_A);    /* an actor on the user's shard */
	other = new_id(SHARD_B);
	third = new_id(SHARD_B);
	assert_int_equal(notify_add(&env, user, NOTIFY_FOLLOW, same, 0, 0), 1);
	assert_int_equal(notify_add(&env, user, NOTIFY_FOLLOW, other, 0, 0), 1);
	assert_int_equal(notify_add(&env, user, NOTIFY_FOLLOW, third, 0, 0), 1);
	assert_int_equal(notify_add(&env, user, NOTIFY_MENTION, third, 7, 7), 1);
	assert_int_equal(unread_of(user), 4);
	/* The user blocks same; third blocks the user; other only mutes the user (no block). */
	exec_ok(SHARD_A, "INSERT INTO {db}.tb_user_relationship (user_id, target_user, "
	    "status_follow, id) VALUES (?, ?, 2, 1)", DB_PARAMS(DB_U64(user),
		DB_U64(same)));
	exec_ok(SHARD_B, "INSERT INTO {db}.tb_user_relationship (user_id, target_user, "
	    "status_follow, status_mute, id) VALUES (?, ?, 0, 1, 1), (?, ?, 2, 0, 1)",
	    DB_PARAMS(DB_U64(other), DB_U64(user), DB_U64(third), DB_U64(user)));
	notify_forget_unread(&env, user);
	assert_int_equal(unread_of(user), 1);
	/* The blocks of someone else do not count: user's actor blocks a third person. */
	exec_ok(SHARD_B, "UPDATE {db}.tb_user_relationship SET status_follow = 0 WHERE user_id = ? "
	    "AND target_user = ?", DB_PARAMS(DB_U64(third), DB_U64(user)));
	exec_ok(SHARD_B, "INSERT INTO {db}.tb_user_relationship (user_id, target_user, "
	    "status_follow, id) VALUES (?, ?, 2, 1)", DB_PARAMS(DB_U64(third),
		DB_U64(other)));
	notify_forget_unread(&env, user);
	assert_int_equal(unread_of(user), 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_unknown_types),
		cmocka_unit_test(test_every_type_has_a_sentence),
		cmocka_unit_test(test_like_job_follows_the_like),
		cmocka_unit_test(test_like_job_refuses_bad_payloads),
		cmocka_unit_test(test_repost_redone_tells_once),
		cmocka_unit_test(test_forget_unread),
		cmocka_unit_test(test_unread_badge),
		cmocka_unit_test(test_unread_leaves_out_blocks),
	};

	return cmocka_run_group_tests(tests, db_setup, db_teardown);
}
