/* mediajob.c: the media.process job, queued at upload, run by starling-worker. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
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

/* Every upload is noted for the clean-up (lib/social/mediaclean.h); an image is queued for its
 * processing too (a video is served as it came). */
static void
on_stored(void *arg, const char *key)
{
	(void)mediaclean_note(arg, key);
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

int
mediajob_run(struct app_env *env, json_object *payload, struct buf *err)
{
	const char *key = job_payload_str(payload, "key");
	struct media_files f;
	struct imgproc_opts o;
	enum imgproc_rc prc;
	int rc = -1;

	if (media_files(env->media, key, &f) != 0) {
		buf_puts(err, JOB_TYPE ": key missing, not an image's, or storage not local");
		goto out;
	}
	if (processor == NULL) {
		buf_puts(err, JOB_TYPE ": runs in starling-worker only");
		goto out;
	}
	mediajob_opts(env, &o);
	o.thumb_px = f.thumb_px;
	o.display_px = f.display_px;
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
