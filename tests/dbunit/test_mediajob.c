/* test_mediajob.c: lib/social/mediajob.h on local storage in a temporary directory, with a
 * processor the test installs in place of libvips's (it writes the two sizes, or refuses, or
 * fails), and the jobs queued on Starling's schema (tests/dbunit/run.sh starts the servers): an
 * upload taken out of the served tree and served processed, a job run twice processing once, a
 * refused image deleted for good, a failure kept for the retry, the refusals of a bad key or a
 * process without a processor, the options, and the backlog queueing exactly the unprocessed
 * uploads. */
#include "config.h"

#include "harness.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "jwt.h"
#include "media.h"
#include "mediajob.h"
#include "shard.h"


/* What the test's processor does, and what it was given. */
static struct {
	enum imgproc_rc     rc;
	int                 calls;
	struct imgproc_opts opts;
	char                ext[8];
} proc;

/* The JPEG of one size, as imgproc writes it (libvips is the worker's only: not linked here). */
static void
jpeg_path(const char *base, int px, struct buf *out)
{
	buf_printf(out, "%s.%d.jpg", base, px);
}

static enum imgproc_rc
fake_process(const struct imgproc_opts *o, const char *src, const char *ext, const char *base,
    struct buf *err)
{
	struct buf path = BUF_INIT;
	int px[2] = { o->thumb_px, o->display_px }, i;
	FILE *fp;

	proc.calls++;
	proc.opts = *o;
	snprintf(proc.ext, sizeof proc.ext, "%s", ext);
	assert_int_equal(access(src, R_OK), 0);
	if (proc.rc == IMGPROC_OK)
		for (i = 0; i < 2; i++) {
			buf_reset(&path);
			jpeg_path(base, px[i], &path);
			fp = fopen(buf_cstr(&path), "w");
			assert_non_null(fp);
			fprintf(fp, "jpeg of %d px", px[i]);
			fclose(fp);
		}
	else
		buf_puts(err, "the test's processor said no");
	buf_free(&path);
	return proc.rc;
}


static int
setup(void **state)
{
	struct dbunit_media *f = dbunit_media_new("test_mediajob");

	if (f == NULL)
		return -1;
	mediajob_set_processor(fake_process);
	memset(&proc, 0, sizeof proc);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct dbunit_media *f = *state;

	mediajob_set_processor(NULL);
	dbunit_media_free(f);
	return 0;
}

/* A key of the shape media_sign_upload makes (media_files reads the shape, not the MAC), new to
 * every run, for day and ext; into key (96 bytes). */
static void
new_key(char key[96], const char *day, const char *ext)
{
	snprintf(key, 96, "images/%s/%024" PRIx64 "-0123456789abcdef0123456789abcdef.%s", day,
	    dbunit_unused_id(), ext);
}

/* Writes an upload at key's served name, its day's directory made. */
static void
upload(struct dbunit_media *f, const char *key)
{
	struct buf p = BUF_INIT;
	FILE *fp;

	buf_printf(&p, "%s/images", f->dir);
	(void)mkdir(buf_cstr(&p), 0700);
	buf_reset(&p);
	buf_printf(&p, "%s/%.*s", f->dir, 15, key);
	(void)mkdir(buf_cstr(&p), 0700);
	buf_reset(&p);
	buf_printf(&p, "%s/%s", f->dir, key);
	fp = fopen(buf_cstr(&p), "w");
	assert_non_null(fp);
	fputs("not really a png", fp);
	fclose(fp);
	buf_free(&p);
}

static int
run(struct dbunit_media *f, const char *key, struct buf *err)
{
	json_object *p = json_object_new_object();
	int rc;

	if (key != NULL)
		json_object_object_add(p, "key", json_object_new_string(key));
	buf_reset(err);
	buf_puts(err, "");
	rc = mediajob_run(&f->env, p, err);
	json_object_put(p);
	return rc;
}

static bool
exists(const struct buf *path)
{
	return access(buf_cstr(path), F_OK) == 0;
}

static void
test_processed_and_served(void **state)
{
	struct dbunit_media *f = *state;
	struct buf err = BUF_INIT, display = BUF_INIT;
	struct media_files mf;
	struct stat served, shown;
	char key[96];

	new_key(key, "20260101", "png");
	upload(f, key);
	assert_int_equal(media_files(f->env.media, key, &mf), 0);
	assert_int_equal(run(f, key, &err), 0);
	assert_int_equal(proc.calls, 1);
	assert_string_equal(proc.ext, "png");
	/* The sizes and quality of [media], WebP while the quality switch is off. */
	assert_int_equal(proc.opts.thumb_px, f->env.conf.media_thumb_px);
	assert_int_equal(proc.opts.display_px, f->env.conf.media_display_px);
	assert_int_equal(proc.opts.quality, f->env.conf.media_quality);
	assert_true(proc.opts.webp);
	/* The original is kept hidden; the served name is now the display size, one file. */
	assert_true(exists(&mf.original));
	assert_true(exists(&mf.thumb));
	jpeg_path(buf_cstr(&mf.base), mf.display_px, &display);
	assert_int_equal(stat(buf_cstr(&mf.upload), &served), 0);
	assert_int_equal(stat(buf_cstr(&display), &shown), 0);
	assert_true(served.st_ino == shown.st_ino);
	/* Again: nothing processed twice, still served. */
	assert_int_equal(run(f, key, &err), 0);
	assert_int_equal(proc.calls, 1);
	assert_true(exists(&mf.upload));
	media_files_free(&mf);
	buf_free(&display);
	buf_free(&err);
}

static void
test_refused_deleted(void **state)
{
	struct dbunit_media *f = *state;
	struct buf err = BUF_INIT;
	struct media_files mf;
	char key[96];

	new_key(key, "20260102", "jpg");
	upload(f, key);
	assert_int_equal(media_files(f->env.media, key, &mf), 0);
	proc.rc = IMGPROC_NOT_IMAGE;
	/* Done (trying again cannot help), and nothing of it is left to serve. */
	assert_int_equal(run(f, key, &err), 0);
	assert_false(exists(&mf.upload));
	assert_false(exists(&mf.original));
	assert_false(exists(&mf.thumb));
	/* Run again: nothing to process, the processor not asked. */
	assert_int_equal(run(f, key, &err), 0);
	assert_int_equal(proc.calls, 1);
	media_files_free(&mf);
	buf_free(&err);
}

static void
test_failure_kept_for_retry(void **state)
{
	struct dbunit_media *f = *state;
	struct buf err = BUF_INIT;
	struct media_files mf;
	char key[96];

	new_key(key, "20260103", "png");
	upload(f, key);
	assert_int_equal(media_files(f->env.media, key, &mf), 0);
	proc.rc = IMGPROC_FAILED;
	assert_int_equal(run(f, key, &err), -1);
	/* Out of the served tree all the same, the original kept for the retry. */
	assert_false(exists(&mf.upload));
	assert_true(exists(&mf.original));
	proc.rc = IMGPROC_OK;
	assert_int_equal(run(f, key, &err), 0);
	assert_int_equal(proc.calls, 2);
	assert_true(exists(&mf.upload));
	assert_true(exists(&mf.thumb));
	media_files_free(&mf);
	buf_free(&err);
}

static void
test_refusals(void **state)
{
	struct dbunit_media *f = *state;
	struct buf err = BUF_INIT;
	struct media_files mf;
	char key[96];

	new_key(key, "20260104", "png");
	upload(f, key);
	assert_int_equal(run(f, NULL, &err), -1);
	assert_string_equal(buf_cstr(&err),
	    "media.process: key missing or not an image's, or [media] local_dir not set");
	assert_int_equal(run(f, "images/../../etc/passwd", &err), -1);
	assert_int_equal(run(f, "videos/20260104/x.mp4", &err), -1);
	/* A FastCGI binary has no processor: the job waits for a worker, the upload untouched. */
	mediajob_set_processor(NULL);
	assert_int_equal(run(f, key, &err), -1);
	assert_string_equal(buf_cstr(&err), "media.process: runs in starling-worker only");
	mediajob_set_processor(fake_process);
	assert_int_equal(proc.calls, 0);
	assert_int_equal(media_files(f->env.media, key, &mf), 0);
	assert_true(exists(&mf.upload));
	assert_false(exists(&mf.original));
	media_files_free(&mf);
	buf_free(&err);
}

/* How many media.process jobs for key wait on its shard. */
static uint64_t
jobs_for(const char *key)
{
	struct db_rows r = DB_ROWS_INIT;
	unsigned shard = shard_for_key(db_shards(dbunit_env.db), key, strlen(key));
	uint64_t n;

	assert_int_equal(db_exec(dbunit_env.db, shard, "SELECT COUNT(*) FROM {db}.tb_job WHERE "
	    "type = 'media.process' AND state = 0 AND JSON_VALUE(payload, '$.key') = ?",
	    DB_PARAMS(DB_STR(key)), &r), 0);
	n = db_u64(&r, 0, 0);
	db_rows_free(&r);
	return n;
}

static void
test_queue_and_backlog(void **state)
{
	struct dbunit_media *f = *state;
	struct buf err = BUF_INIT, p = BUF_INIT;
	char waiting[96], done[96], other[96];
	static char none[] = "";
	FILE *fp;

	/* Nothing uploaded yet: no images directory, nothing to queue. */
	assert_int_equal(mediajob_queue_backlog(&f->env), 0);
	new_key(waiting, "20260105", "png");
	new_key(done, "20260105", "jpg");
	new_key(other, "20260106", "gif");
	upload(f, waiting);
	upload(f, done);
	upload(f, other);
	assert_int_equal(run(f, done, &err), 0);   /* processed: no longer backlog */
	/* What is no key is passed over: a stray file, a directory that is no day. */
	buf_printf(&p, "%s/images/20260105/notes.txt", f->dir);
	fp = fopen(buf_cstr(&p), "w");
	assert_non_null(fp);
	fclose(fp);
	buf_reset(&p);
	buf_printf(&p, "%s/images/tmp", f->dir);
	assert_int_equal(mkdir(buf_cstr(&p), 0700), 0);

	assert_int_equal(mediajob_queue(&f->env, waiting), 0);
	assert_int_equal(jobs_for(waiting), 1);
	assert_int_equal(mediajob_queue_backlog(&f->env), 2);
	assert_int_equal(jobs_for(waiting), 2);
	assert_int_equal(jobs_for(other), 1);
	assert_int_equal(jobs_for(done), 0);

	/* Only what is stored locally is processed: without a local_dir, nothing is. */
	f->env.conf.media_local_dir = none;
	assert_int_equal(mediajob_queue_backlog(&f->env), -1);
	f->env.conf.media_local_dir = f->dir;
	buf_free(&p);
	buf_free(&err);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_processed_and_served),
		T(test_refused_deleted),
		T(test_failure_kept_for_retry),
		T(test_refusals),
		T(test_queue_and_backlog),
	};
#undef T

	return dbunit_main("mediajob", tests, sizeof tests / sizeof tests[0]);
}
