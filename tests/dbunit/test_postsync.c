/* test_postsync.c: lib/social/postsync.h's handlers called directly on Starling's schema
 * (tests/dbunit/run.sh starts the servers), for what going through the outbox does not show
 * (test_job runs each handler as a job, out of order and twice): every malformed payload
 * refused with its reason; a like's hint from the request that the source no longer holds,
 * corrected by the read after the write; a post that is no repost, or no record at all, mirrored
 * as nothing; a hashtag's name as first written (the key when none is given), its count moved
 * once, and no tag row made for a record that does not carry it. */
#include "config.h"

#include "harness.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "id.h"
#include "postsync.h"
#include "shard.h"

typedef int (*handler)(struct app_env *, json_object *, struct buf *);

/* Runs h on the payload of JSON text; returns its result, its reason in err (the caller's). */
static int
run(handler h, const char *payload, struct buf *err)
{
	json_object *p = json_tokener_parse(payload);
	int rc;

	assert_non_null(p);
	buf_reset(err);
	buf_puts(err, "");
	rc = h(&dbunit_env, p, err);
	json_object_put(p);
	return rc;
}

static uint64_t
reversed_likes(uint64_t record)
{
	return dbunit_value(id_shard(record), "SELECT COUNT(*) FROM {db}.tb_post_like_reversed "
	    "WHERE record_id = ?", record, 0);
}

/* ---------------------------------------------------------------------------------------------
 * Payloads. */

struct refuse_row {
	int         line;
	handler     h;
	const char *payload;
	const char *err;
};

#define LIKE_ERR "like.sync: liker_id and record_id are required"
#define TAG_ERR "hashtag.sync: record_id and tag are required"

static const struct refuse_row refuse_rows[] = {
	{ __LINE__, postsync_like, "{}", LIKE_ERR },
	{ __LINE__, postsync_like, "{\"liker_id\":\"12\"}", LIKE_ERR },
	{ __LINE__, postsync_like, "{\"record_id\":\"12\"}", LIKE_ERR },
	{ __LINE__, postsync_like, "{\"liker_id\":\"x\",\"record_id\":\"12\"}", LIKE_ERR },
	{ __LINE__, postsync_like, "{\"liker_id\":\"0\",\"record_id\":\"12\"}", LIKE_ERR },
	{ __LINE__, postsync_like, "{\"liker_id\":\"12\",\"record_id\":\"-12\"}", LIKE_ERR },
	{ __LINE__, postsync_repost, "{}", "repost.sync: post_id is required" },
	{ __LINE__, postsync_repost, "{\"post_id\":\"\"}", "repost.sync: post_id is required" },
	{ __LINE__, postsync_user_reply, "{\"post_id\":\"12\"}",
	  "user_reply.sync: reply_id is required" },
	{ __LINE__, postsync_hashtag, "{\"record_id\":\"12\"}", TAG_ERR },
	{ __LINE__, postsync_hashtag, "{\"record_id\":\"12\",\"tag\":\"\"}", TAG_ERR },
	{ __LINE__, postsync_hashtag, "{\"tag\":\"abc\"}", TAG_ERR },
	{ __LINE__, postsync_hashtag, "{\"record_id\":\"12\",\"tag\":7}", TAG_ERR },
};

static void
test_payloads_refused(void **state)
{
	struct buf err = BUF_INIT, p = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof refuse_rows / sizeof refuse_rows[0]; i++) {
		const struct refuse_row *r = &refuse_rows[i];
		int rc = run(r->h, r->payload, &err);

		if (rc != -1 || strcmp(buf_cstr(&err), r->err) != 0)
			fail_msg("line %d: %d (%s), want -1 (%s)", r->line, rc, buf_cstr(&err), r->err);
	}
	/* A tag key longer than a tag_key column can be: 512 bytes pass the check, 513 do not. */
	buf_puts(&p, "{\"record_id\":\"12\",\"tag\":\"");
	for (i = 0; i < 513; i++)
		buf_putc(&p, 'a');
	buf_puts(&p, "\"}");
	assert_int_equal(run(postsync_hashtag, buf_cstr(&p), &err), -1);
	assert_string_equal(buf_cstr(&err), TAG_ERR);
	buf_free(&p);
	buf_free(&err);
}

/* ---------------------------------------------------------------------------------------------
 * Likes: the request's hint. */

static void
like_payload(struct buf *p, uint64_t liker, uint64_t record, bool like, uint64_t like_id)
{
	buf_reset(p);
	buf_printf(p, "{\"liker_id\":\"%" PRIu64 "\",\"record_id\":\"%" PRIu64 "\",\"like\":%s,"
	    "\"like_id\":\"%" PRIu64 "\",\"content_type\":0,\"created_at\":1}", liker, record,
	    like ? "true" : "false", like_id);
}

static void
test_like_stale_hint(void **state)
{
	uint64_t author = dbunit_user("sa", NULL), liker = dbunit_user("sb", NULL);
	uint64_t post = dbunit_post_row(author, 0, 0, "");
	uint64_t like_id = dbunit_new_id(id_shard(liker));
	struct buf p = BUF_INIT, err = BUF_INIT;

	(void)state;
	/* The request said "liked", but the like is gone from the source by the time the job runs
	 * (an unlike whose own job ran first): the mirror written from the hint is taken back. */
	like_payload(&p, liker, post, true, like_id);
	assert_int_equal(run(postsync_like, buf_cstr(&p), &err), 0);
	assert_int_equal(reversed_likes(post), 0);
	assert_int_equal(dbunit_post_count(post, "count_likes"), 0);

	/* The other way: "not liked", with the like in the source: mirrored and counted once. */
	dbunit_exec(id_shard(liker), "INSERT INTO {db}.tb_post_like (id, record_id, liker_id, "
	    "created_at) VALUES (?, ?, ?, 1)",
	    DB_PARAMS(DB_U64(like_id), DB_U64(post), DB_U64(liker)));
	like_payload(&p, liker, post, false, 0);
	assert_int_equal(run(postsync_like, buf_cstr(&p), &err), 0);
	assert_int_equal(reversed_likes(post), 1);
	assert_int_equal(dbunit_post_count(post, "count_likes"), 1);
	/* The mirror copies the source's like ID, not one of the payload's. */
	assert_int_equal(dbunit_value(id_shard(post), "SELECT like_id FROM "
	    "{db}.tb_post_like_reversed WHERE record_id = ? AND liker_id = ?", post, liker), like_id);

	/* A true hint and the source agreeing: nothing moves twice. */
	like_payload(&p, liker, post, true, like_id);
	assert_int_equal(run(postsync_like, buf_cstr(&p), &err), 0);
	assert_int_equal(dbunit_post_count(post, "count_likes"), 1);
	buf_free(&p);
	buf_free(&err);
}

/* ---------------------------------------------------------------------------------------------
 * Reposts and replies with nothing to mirror. */

static void
test_nothing_to_mirror(void **state)
{
	uint64_t author = dbunit_user("sa", NULL);
	uint64_t post = dbunit_post_row(author, 0, 0, "");
	struct buf p = BUF_INIT, err = BUF_INIT;

	(void)state;
	/* A plain post is no repost: done, and its counters untouched. */
	buf_printf(&p, "{\"post_id\":\"%" PRIu64 "\"}", post);
	assert_int_equal(run(postsync_repost, buf_cstr(&p), &err), 0);
	assert_int_equal(dbunit_post_count(post, "count_reposts"), 0);
	assert_int_equal(dbunit_post_count(post, "count_quote"), 0);
	/* No such post or reply: done (a job for a record that never was, or was purged). */
	buf_reset(&p);
	buf_printf(&p, "{\"post_id\":\"%" PRIu64 "\"}", dbunit_unused_id());
	assert_int_equal(run(postsync_repost, buf_cstr(&p), &err), 0);
	buf_reset(&p);
	buf_printf(&p, "{\"reply_id\":\"%" PRIu64 "\"}", dbunit_unused_id());
	assert_int_equal(run(postsync_user_reply, buf_cstr(&p), &err), 0);
	buf_free(&p);
	buf_free(&err);
}

/* A repost deleted in the source: its mirror row and count go, once however often it runs. */
static void
test_repost_deleted(void **state)
{
	uint64_t author = dbunit_user("sa", NULL), reposter = dbunit_user("sb", NULL);
	uint64_t post = dbunit_post_row(author, 0, 0, "");
	uint64_t repost = dbunit_post_row(reposter, 1, post, "");
	struct buf p = BUF_INIT, err = BUF_INIT;

	(void)state;
	buf_printf(&p, "{\"post_id\":\"%" PRIu64 "\"}", repost);
	assert_int_equal(run(postsync_repost, buf_cstr(&p), &err), 0);
	assert_int_equal(dbunit_post_count(post, "count_reposts"), 1);
	dbunit_exec(id_shard(reposter), "UPDATE {db}.tb_post SET is_deleted = 1 WHERE id = ?",
	    DB_PARAMS(DB_U64(repost)));
	assert_int_equal(run(postsync_repost, buf_cstr(&p), &err), 0);
	assert_int_equal(run(postsync_repost, buf_cstr(&p), &err), 0);
	assert_int_equal(dbunit_post_count(post, "count_reposts"), 0);
	assert_int_equal(dbunit_value(id_shard(post), "SELECT COUNT(*) FROM "
	    "{db}.tb_post_repost_reversed WHERE original_id = ?", post, 0), 0);
	buf_free(&p);
	buf_free(&err);
}

/* ---------------------------------------------------------------------------------------------
 * Hashtags. */

/* A tag key no other run of the test has used. */
static void
fresh_tag(char *tag, size_t n)
{
	snprintf(tag, n, "dbu%" PRIx64, dbunit_unused_id());
}

static uint64_t
tag_value(const char *tag, const char *column, struct buf *text)
{
	struct db_rows r = DB_ROWS_INIT;
	unsigned shard = shard_for_key(db_shards(dbunit_env.db), tag, strlen(tag));
	char sql[120];
	uint64_t v = 0;

	snprintf(sql, sizeof sql, "SELECT %s FROM {db}.tb_hashtag WHERE tag_key = ?", column);
	assert_int_equal(db_exec(dbunit_env.db, shard, sql, DB_PARAMS(DB_STR(tag)), &r),
	    0);
	if (r.nrows > 0 && text != NULL)
		buf_puts(text, db_str(&r, 0, 0));
	if (r.nrows > 0 && text == NULL)
		v = db_u64(&r, 0, 0);
	if (r.nrows == 0)
		v = UINT64_MAX;
	db_rows_free(&r);
	return v;
}

static void
test_hashtag_name_and_count(void **state)
{
	uint64_t author = dbunit_user("sa", NULL);
	struct buf p = BUF_INIT, err = BUF_INIT, name = BUF_INIT;
	char tag[40], hashtags[48];
	uint64_t a, b;

	(void)state;
	fresh_tag(tag, sizeof tag);
	snprintf(hashtags, sizeof hashtags, "other %s", tag);
	a = dbunit_post_row(author, 0, 0, hashtags);
	b = dbunit_post_row(author, 0, 0, tag);

	/* Without a name, the tag row is named by its key. */
	buf_printf(&p, "{\"record_id\":\"%" PRIu64 "\",\"tag\":\"%s\"}", a, tag);
	assert_int_equal(run(postsync_hashtag, buf_cstr(&p), &err), 0);
	assert_int_equal(run(postsync_hashtag, buf_cstr(&p), &err), 0);
	assert_int_equal(tag_value(tag, "count_mentions", NULL), 1);
	(void)tag_value(tag, "tag_name", &name);
	assert_string_equal(buf_cstr(&name), tag);
	/* A second record with another spelling: counted, the first name kept. */
	buf_reset(&p);
	buf_printf(&p, "{\"record_id\":\"%" PRIu64 "\",\"tag\":\"%s\",\"name\":\"DBU\"}", b, tag);
	assert_int_equal(run(postsync_hashtag, buf_cstr(&p), &err), 0);
	assert_int_equal(tag_value(tag, "count_mentions", NULL), 2);
	buf_reset(&name);
	(void)tag_value(tag, "tag_name", &name);
	assert_string_equal(buf_cstr(&name), tag);
	/* The record deleted: its mention goes, the count follows, once. */
	dbunit_exec(id_shard(author), "UPDATE {db}.tb_post SET is_deleted = 1 WHERE id = ?",
	    DB_PARAMS(DB_U64(b)));
	assert_int_equal(run(postsync_hashtag, buf_cstr(&p), &err), 0);
	assert_int_equal(run(postsync_hashtag, buf_cstr(&p), &err), 0);
	assert_int_equal(tag_value(tag, "count_mentions", NULL), 1);
	buf_free(&p);
	buf_free(&err);
	buf_free(&name);
}

/* A record whose hashtags column does not hold the key as a whole word makes no tag row. */
static void
test_hashtag_not_carried(void **state)
{
	uint64_t author = dbunit_user("sa", NULL);
	struct buf p = BUF_INIT, err = BUF_INIT;
	char tag[40], longer[48];
	uint64_t post;

	(void)state;
	fresh_tag(tag, sizeof tag);
	snprintf(longer, sizeof longer, "%sx", tag);   /* the key is a prefix of a word: no match */
	post = dbunit_post_row(author, 0, 0, longer);
	buf_printf(&p, "{\"record_id\":\"%" PRIu64 "\",\"tag\":\"%s\"}", post, tag);
	assert_int_equal(run(postsync_hashtag, buf_cstr(&p), &err), 0);
	assert_true(tag_value(tag, "count_mentions", NULL) == UINT64_MAX);
	/* Nor a record that does not exist. */
	buf_reset(&p);
	buf_printf(&p, "{\"record_id\":\"%" PRIu64 "\",\"tag\":\"%s\"}", dbunit_unused_id(), tag);
	assert_int_equal(run(postsync_hashtag, buf_cstr(&p), &err), 0);
	assert_true(tag_value(tag, "count_mentions", NULL) == UINT64_MAX);
	buf_free(&p);
	buf_free(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_payloads_refused),
		cmocka_unit_test(test_like_stale_hint),
		cmocka_unit_test(test_nothing_to_mirror),
		cmocka_unit_test(test_repost_deleted),
		cmocka_unit_test(test_hashtag_name_and_count),
		cmocka_unit_test(test_hashtag_not_carried),
	};

	return dbunit_main("postsync", tests, sizeof tests / sizeof tests[0]);
}
