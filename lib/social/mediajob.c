/* mediajob.c: the media.process job, queued at upload, run by starling-worker. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctx.h"
#include "db.h"
#include "id.h"
#include "idlease.h"
#include "job.h"
#include "log.h"
#include "media.h"
#include "mediaclean.h"
#include "mediajob.h"
#include "s3obj.h"
#include "shard.h"
#include "switches.h"

#define JOB_TYPE "media.process"

/* Process-wide, set once before the worker's loop: the layer above (the worker, which links
 * libvips) fills the slot, so this module and every FastCGI binary stay free of it. */
static mediajob_processor processor;

void
mediajob_set_processor(mediajob_processor fn)
{
	processor = fn;
}

/* Every local upload is noted for the clean-up (lib/social/mediaclean.h); an image is queued for its
 * processing too (a video is served as it came). With s3 this runs when a post or a profile
 * takes the upload (media_uploaded), and there is no clean-up row. */
static void
on_stored(void *arg, const char *key)
{
	struct app_env *env = arg;

	if (media_is_local(env->media))
		(void)mediaclean_note(env, key);
	if (strncmp(key, "images/", 7) == 0)
		(void)mediajob_queue(arg, key);
}

void
mediajob_install(struct app_env *env)
{
	media_on_stored(env->media, on_stored, env);
}

int
mediajob_queue(struct app_env *env, const char *key)
{
	unsigned shard = shard_for_key(db_shards(env->db), key, strlen(key));
	json_object *payload = NULL;
	uint64_t id;
	int rc = -1;

	if (idlease_next_id(env->ids, shard, &id) != 0)
		goto out;
	payload = json_object_new_object();
	json_object_object_add(payload, "key", json_object_new_string(key));
	rc = job_queue_alone(env->db, shard, id, JOB_TYPE, payload);
out:
	if (rc != 0)
		log_error("media %s: its processing could not be queued; it shows as processing until "
		    "a media.process job is queued for it (docs/media.md)", key);
	json_object_put(payload);
	return rc;
}

/* Queues the backlog of one day's directory, images/day. Returns how many, or -1. */
static long
queue_day(struct app_env *env, const char *day)
{
	struct buf dir = BUF_INIT, key = BUF_INIT;
	struct media_files f;
	struct dirent *e;
	long n = 0;
	DIR *d;

	buf_printf(&dir, "%s/images/%s", env->conf.media_local_dir, day);
	if ((d = opendir(buf_cstr(&dir))) == NULL) {
		log_error("media: cannot read %s: %s", buf_cstr(&dir), strerror(errno));
		n = -1;
	}
	while (n >= 0 && (e = readdir(d)) != NULL) {
		buf_reset(&key);
		buf_printf(&key, "images/%s/%s", day, e->d_name);
		/* Hidden names and the sizes ("N-M.640.jpg") are no key: media_files refuses them. */
		if (media_files(env->media, buf_cstr(&key), &f) == 0 &&
		    access(buf_cstr(&f.upload), F_OK) == 0 && access(buf_cstr(&f.thumb), F_OK) != 0)
			n = mediajob_queue(env, buf_cstr(&key)) == 0 ? n + 1 : -1;
		media_files_free(&f);
	}
	if (d != NULL)
		closedir(d);
	buf_free(&dir);
	buf_free(&key);
	return n;
}

long
mediajob_queue_backlog(struct app_env *env)
{
	struct buf dir = BUF_INIT;
	struct dirent *e;
	long n = 0, day;
	DIR *d;

	if (!media_is_local(env->media) || env->conf.media_local_dir[0] == '\0') {
		log_error("media: only images stored locally are processed ([media] storage = local, "
		    "local_dir)");
		return -1;
	}
	buf_printf(&dir, "%s/images", env->conf.media_local_dir);
	if ((d = opendir(buf_cstr(&dir))) == NULL) {
		/* No images directory yet: nothing was ever uploaded. */
		n = errno == ENOENT ? 0 : -1;
		if (n < 0)
			log_error("media: cannot read %s: %s", buf_cstr(&dir), strerror(errno));
		buf_free(&dir);
		return n;
	}
	while (n >= 0 && (e = readdir(d)) != NULL) {
		if (strlen(e->d_name) != 8 || strspn(e->d_name, "0123456789") != 8)
			continue;
		day = queue_day(env, e->d_name);
		n = day < 0 ? -1 : n + day;
	}
	closedir(d);
	buf_free(&dir);
	return n;
}

void
mediajob_opts(struct app_env *env, struct imgproc_opts *o)
{
	const struct conf *c = &env->conf;
	long low = switches_get(env->switches, SWITCH_MEDIA_QUALITY);

	o->thumb_px = (int)c->media_thumb_px;
	o->display_px = (int)c->media_display_px;
	o->quality = (int)c->media_quality;
	o->webp = true;
	o->max_pixels = c->media_max_pixels;
	o->max_seconds = (int)c->media_process_seconds;
	o->max_frames = (int)c->media_max_frames;
	o->max_anim_pixels = c->media_max_anim_pixels;
	/* The switch's value is the quality to use while it is on (docs/operations.md). */
	if (low > 0) {
		if (low < o->quality)
			o->quality = (int)low;
		o->webp = false;
	}
}

/* Removes path if it is there. */
static int
remove_file(const char *path, struct buf *err)
{
	if (unlink(path) == 0 || errno == ENOENT)
		return 0;
	buf_printf(err, "cannot remove %s: %s", path, strerror(errno));
	return -1;
}

/* Takes the upload out of the served tree: linked to its hidden name (if not already), then its
 * served name removed. Returns 1 when an original is there to process, 0 when none is (nothing
 * was ever uploaded, or a refused one was deleted), -1. */
static int
take(const struct media_files *f, struct buf *err)
{
	if (link(buf_cstr(&f->upload), buf_cstr(&f->original)) != 0 && errno != EEXIST &&
	    errno != ENOENT) {
		buf_printf(err, "cannot link %s: %s", buf_cstr(&f->original), strerror(errno));
		return -1;
	}
	if (remove_file(buf_cstr(&f->upload), err) != 0)
		return -1;
	return access(buf_cstr(&f->original), F_OK) == 0 ? 1 : 0;
}

/* Puts the display size's JPEG at the served name, so that every URL ever given for the upload
 * (a post's imageUrl, an avatar, a banner) shows the processed image, never a 404. A hard link:
 * no second copy. For a .png or .gif key the bytes are JPEG under a name the web servers send as
 * image/png or image/gif, which browsers decode by the bytes (docs/media.md). Returns 0 or -1. */
static int
serve_processed(const struct media_files *f, struct buf *err)
{
	struct buf display = BUF_INIT;
	int rc = 0;

	buf_printf(&display, "%s.%d.jpg", buf_cstr(&f->base), f->display_px);
	if (link(buf_cstr(&display), buf_cstr(&f->upload)) != 0 && errno != EEXIST) {
		buf_printf(err, "cannot link %s: %s", buf_cstr(&f->upload), strerror(errno));
		rc = -1;
	}
	buf_free(&display);
	return rc;
}

/* ---- s3: the original read from the bucket, the sizes written back (docs/media.md) ---- */

/* The Content-Type of an output file, by its name's end. */
static const char *
output_type(const char *name)
{
	size_t n = strlen(name);

	return n > 5 && strcmp(name + n - 5, ".webp") == 0 ? "image/webp" : "image/jpeg";
}

/* The name imgproc gives an output of base (imgproc_output_path, which only the worker links):
 * the bucket's keys are named the same way. */
static void
output_name(const char *base, int px, bool webp, struct buf *out)
{
	buf_printf(out, "%s.%d.%s", base, px, webp ? "webp" : "jpg");
}

/* PUTs local file path as object key. A file that is not there (no WebP under the quality
 * switch, no thumbnail WebP for an animation) is skipped: returns 1 then, else 0 or -1. */
static int
put_file(const struct s3obj_store *s, const char *path, const char *key, size_t max,
    struct buf *err)
{
	struct buf data = BUF_INIT;
	int rc = 0;

	if (access(path, F_OK) != 0)
		return 1;
	if (buf_read_file(&data, path, max, err) != 0)
		rc = -1;
	else if (s3obj_put(s, key, data.data ? data.data : "", data.len, output_type(key), err) !=
	    S3OBJ_OK)
		rc = -1;
	buf_free(&data);
	return rc;
}

/* Writes the outputs under local base tmp to the bucket, at f's keys: the display size, the
 * WebPs, the processed copy at the upload's own key (the display JPEG: every URL handed out
 * shows it), and the thumbnail's JPEG last, which says they are all there (as locally). */
static int
put_outputs(const struct s3obj_store *s, const struct media_files *f, const char *tmp,
    size_t max, struct buf *err)
{
	struct { int px; bool webp; bool served; } order[] = {
		{ f->display_px, false, false }, { f->display_px, true, false },
		{ f->thumb_px, true, false }, { f->display_px, false, true },
		{ f->thumb_px, false, false },
	};
	struct buf path = BUF_INIT, key = BUF_INIT;
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < sizeof order / sizeof order[0]; i++) {
		buf_reset(&path);
		buf_reset(&key);
		output_name(tmp, order[i].px, order[i].webp, &path);
		if (order[i].served)
			buf_append(&key, f->upload.data, f->upload.len);
		else
			output_name(buf_cstr(&f->base), order[i].px, order[i].webp, &key);
		rc = put_file(s, buf_cstr(&path), buf_cstr(&key), max, err) < 0 ? -1 : 0;
	}
	buf_free(&path);
	buf_free(&key);
	return rc;
}

/* Removes directory dir and the files in it (no subdirectories: imgproc makes none). */
static void
remove_tmpdir(const char *dir)
{
	struct buf p = BUF_INIT;
	struct dirent *e;
	DIR *d = opendir(dir);

	while (d != NULL && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		buf_reset(&p);
		buf_printf(&p, "%s/%s", dir, e->d_name);
		(void)unlink(buf_cstr(&p));
	}
	if (d != NULL)
		closedir(d);
	if (rmdir(dir) != 0 && errno != ENOENT)
		log_error("media: cannot remove %s: %s", dir, strerror(errno));
	buf_free(&p);
}

/* The original (body, already read) processed in a private temporary directory, the outputs
 * put to the bucket. Returns what the processor did, IMGPROC_FAILED for a failure here. */
static enum imgproc_rc
process_s3(const struct s3obj_store *s, const struct imgproc_opts *o,
    const struct media_files *f, const struct buf *body, size_t max, struct buf *err)
{
	const char *t = getenv("TMPDIR");
	struct buf dir = BUF_INIT, src = BUF_INIT, base = BUF_INIT;
	enum imgproc_rc prc = IMGPROC_FAILED;
	int fd = -1;

	buf_printf(&dir, "%s/starling-media-XXXXXX", t != NULL && *t == '/' ? t : "/tmp");
	if (mkdtemp(dir.data) == NULL) {
		buf_printf(err, "cannot make a directory %s: %s", buf_cstr(&dir), strerror(errno));
		buf_free(&dir);
		return IMGPROC_FAILED;
	}
	buf_printf(&src, "%s/orig.%s", buf_cstr(&dir), f->ext);
	buf_printf(&base, "%s/out", buf_cstr(&dir));
	if ((fd = open(buf_cstr(&src), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0 ||
	    media_write_all(fd, body->data, body->len) != 0) {
		buf_printf(err, "cannot write %s: %s", buf_cstr(&src), strerror(errno));
		goto out;
	}
	prc = processor(o, buf_cstr(&src), f->ext, buf_cstr(&base), err);
	if (prc == IMGPROC_OK && put_outputs(s, f, buf_cstr(&base), max, err) != 0)
		prc = IMGPROC_FAILED;
out:
	if (fd >= 0)
		close(fd);
	remove_tmpdir(buf_cstr(&dir));
	buf_free(&dir);
	buf_free(&src);
	buf_free(&base);
	return prc;
}

/* mediajob_run with s3 storage: the same steps as locally, through signed requests. The
 * original stays at its private key (kept, as locally); the transfers are limited to [media]
 * process_seconds each and the original to max_image_bytes, as an upload is. */
static int
run_s3(struct app_env *env, const struct media_files *f, const struct imgproc_opts *o,
    const char *key, struct buf *err)
{
	size_t max = (size_t)env->conf.media_max_image_bytes;
	/* An output may outgrow its upload (an animated WebP of a small, flat GIF): files read
	 * back to be PUT get room for that, still bounded. */
	size_t out_max = max * 4;
	struct s3obj_store s;
	struct buf body = BUF_INIT;
	enum s3obj_rc got;
	enum imgproc_rc prc;
	int rc = -1;

	(void)media_s3_store(env->media, env->conf.media_process_seconds * 1000L, &s);
	/* Processed already (a job run twice): the thumbnail's JPEG is written last. */
	if ((got = s3obj_head(&s, buf_cstr(&f->thumb), err)) != S3OBJ_NOT_FOUND) {
		rc = got == S3OBJ_OK ? 0 : -1;
		goto out;
	}
	buf_reset(err);
	got = s3obj_get(&s, buf_cstr(&f->original), max, &body, err);
	if (got == S3OBJ_NOT_FOUND) {
		/* Posted before its PUT finished, or never PUT: retried with the job's back-off. */
		buf_puts(err, " (not uploaded yet?)");
		goto out;
	}
	if (got == S3OBJ_TOO_LARGE) {
		prc = IMGPROC_TOO_LARGE;
	} else if (got != S3OBJ_OK) {
		goto out;
	} else {
		prc = process_s3(&s, o, f, &body, out_max, err);
	}
	rc = prc == IMGPROC_FAILED ? -1 : 0;
	if (prc > IMGPROC_OK) {
		/* Bad media leaves nothing behind; the post shows no image. */
		log_warn("media %s (%s bucket %s) refused: %s; deleted", key, s.endpoint, s.bucket,
		    buf_cstr(err));
		buf_reset(err);
		if (s3obj_delete(&s, buf_cstr(&f->original), err) != S3OBJ_OK)
			rc = -1;
	}
out:
	buf_free(&body);
	return rc;
}

int
mediajob_run(struct app_env *env, json_object *payload, struct buf *err)
{
	const char *key = job_payload_str(payload, "key");
	struct media_files f;
	struct imgproc_opts o;
	enum imgproc_rc prc;
	int rc = -1;

	if (media_files(env->media, key, &f) != 0) {
		buf_puts(err, JOB_TYPE ": key missing or not an image's, or [media] local_dir not set");
		goto out;
	}
	if (processor == NULL) {
		buf_puts(err, JOB_TYPE ": runs in starling-worker only");
		goto out;
	}
	mediajob_opts(env, &o);
	o.thumb_px = f.thumb_px;
	o.display_px = f.display_px;
	if (!media_is_local(env->media)) {
		rc = run_s3(env, &f, &o, key, err);
		goto out;
	}
	/* Processed already (a job run twice): the served name holds the processed copy. */
	if (access(buf_cstr(&f.thumb), F_OK) == 0) {
		rc = serve_processed(&f, err);
		goto out;
	}
	if ((rc = take(&f, err)) <= 0) {
		/* Nothing to process: done. */
		rc = rc < 0 ? -1 : 0;
		goto out;
	}
	prc = processor(&o, buf_cstr(&f.original), f.ext, buf_cstr(&f.base), err);
	rc = prc == IMGPROC_FAILED ? -1 : 0;
	if (prc == IMGPROC_OK && serve_processed(&f, err) != 0)
		rc = -1;
	if (prc > IMGPROC_OK) {
		/* Bad media leaves nothing behind; the post shows no image. */
		log_warn("media %s refused: %s; deleted", key, buf_cstr(err));
		if (remove_file(buf_cstr(&f.original), err) != 0)
			rc = -1;
	}
out:
	media_files_free(&f);
	return rc;
}
