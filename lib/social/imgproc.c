/* imgproc.c: uploaded images decoded with limits, stripped and resized with libvips. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vips/vips.h>

#include "imgproc.h"
#include "log.h"
#include "media.h"

/* Outputs per image at most: two sizes, two formats. */
#define NOUT 4
/* The loaders allowed, by the class name's start: each covers its file, buffer and source
 * variants. Everything else libvips could load stays blocked (imgproc_init). */
static const struct {
	const char *ext, *loader;
} loaders[] = {
	{ "jpg", "VipsForeignLoadJpeg" },
	{ "jpeg", "VipsForeignLoadJpeg" },
	{ "png", "VipsForeignLoadPng" },
	{ "gif", "VipsForeignLoadNsgif" },
};

/* libvips's warnings (a damaged tile of a file being refused) in our log, at debug level: the
 * refusal itself is what the job logs, once, with its reason. */
static void
on_vips_warning(const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer arg)
{
	(void)domain;
	(void)level;
	(void)arg;
	log_debug("libvips: %s", message);
}

int
imgproc_init(const char *argv0, struct buf *err)
{
	size_t i;

	if (VIPS_INIT(argv0) != 0) {
		buf_printf(err, "libvips: %s", vips_error_buffer());
		vips_error_clear();
		return -1;
	}
	/* Each file is decoded once: a cache would only hold strangers' pixels in memory. */
	vips_cache_set_max(0);
	/* One thread: the worker shares the host with the web server's processes. */
	vips_concurrency_set(1);
	/* Loaders marked untrusted (ImageMagick, PDF, SVG...) are off, and every loader but ours:
	 * a file named .png that is really an SVG or a PDF must not reach their parsers. */
	vips_block_untrusted_set(TRUE);
	g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING, on_vips_warning, NULL);
	vips_operation_block_set("VipsForeignLoad", TRUE);
	for (i = 0; i < sizeof loaders / sizeof loaders[0]; i++)
		vips_operation_block_set(loaders[i].loader, FALSE);
	return 0;
}

void
imgproc_output_path(const char *base, int px, bool webp, struct buf *out)
{
	buf_printf(out, "%s.%d.%s", base, px, webp ? "webp" : "jpg");
}

/* The libvips error as the reason, without its paths (the error buffer may name the file). */
static enum imgproc_rc
fail(enum imgproc_rc rc, struct buf *err, const char *what)
{
	const char *v = vips_error_buffer();
	size_t n = strcspn(v, "\n");

	buf_printf(err, "%s", what);
	if (n > 0)
		buf_printf(err, " (%.*s)", (int)(n > 160 ? 160 : n), v);
	vips_error_clear();
	return rc;
}

/* Whether the loader libvips picked from the bytes is the one ext names. */
static bool
loader_matches(const char *ext, const char *loader)
{
	size_t i;

	for (i = 0; i < sizeof loaders / sizeof loaders[0]; i++)
		if (strcmp(ext, loaders[i].ext) == 0)
			return strncmp(loader, loaders[i].loader, strlen(loaders[i].loader)) == 0;
	return false;
}

static double
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* libvips calls this as it computes an image: past the deadline, the computation is killed,
 * and the operation that asked for pixels fails. */
static void
on_eval(VipsImage *image, VipsProgress *progress, void *arg)
{
	const double *deadline = arg;

	(void)progress;
	if (now_mono() > *deadline)
		vips_image_set_kill(image, TRUE);
}

/* Watches image against the deadline while it is computed. */
static void
watch(VipsImage *image, double *deadline)
{
	vips_image_set_progress(image, TRUE);
	g_signal_connect(image, "eval", G_CALLBACK(on_eval), deadline);
}

/* Checks an animation's frames (a GIF's pages, read from its header: the decoder walks the
 * frames' headers, not their pixels) against the limits: a few KB of GIF can declare thousands
 * of frames, each as large as a still may be. */
static enum imgproc_rc
check_frames(const struct imgproc_opts *o, int frames, int64_t frame_pixels, struct buf *err)
{
	int64_t total = frames * frame_pixels;

	if (frames > o->max_frames) {
		buf_printf(err, "the animation has %d frames; the limit is %d ([media] max_frames)",
		    frames, o->max_frames);
		return IMGPROC_TOO_LARGE;
	}
	if (total > o->max_anim_pixels) {
		buf_printf(err, "the animation has %d frames of %" PRId64 " pixels, %" PRId64 " in all; "
		    "the limit is %" PRId64 " ([media] max_anim_pixels)", frames, frame_pixels, total,
		    o->max_anim_pixels);
		return IMGPROC_TOO_LARGE;
	}
	return IMGPROC_OK;
}

/* Checks src's header: the loader, the pixel count, and for a GIF its frames (*frames: 1 for a
 * still). Nothing is decoded yet: libvips reads pixels only when asked for them. */
static enum imgproc_rc
check_header(const struct imgproc_opts *o, const char *src, const char *ext, int *frames,
    struct buf *err)
{
	const char *loader = vips_foreign_find_load(src);
	VipsImage *in;
	int64_t pixels;

	if (loader == NULL || !loader_matches(ext, loader))
		return fail(IMGPROC_NOT_IMAGE, err, "not an image of its type");
	in = vips_image_new_from_file(src, "access", VIPS_ACCESS_SEQUENTIAL,
	    "fail_on", VIPS_FAIL_ON_ERROR, NULL);
	if (in == NULL)
		return fail(IMGPROC_CORRUPT, err, "the image's header cannot be read");
	pixels = (int64_t)vips_image_get_width(in) * vips_image_get_height(in);
	/* Only GIFs animate here: the PNG loader reads no APNG frames, a JPEG has none. */
	*frames = strcmp(ext, "gif") == 0 ? vips_image_get_n_pages(in) : 1;
	g_object_unref(in);
	if (pixels > o->max_pixels) {
		buf_printf(err, "the image has %" PRId64 " pixels; the limit is %" PRId64, pixels,
		    o->max_pixels);
		return IMGPROC_TOO_LARGE;
	}
	return *frames > 1 ? check_frames(o, *frames, pixels, err) : IMGPROC_OK;
}

/* Removes every metadata item of img (EXIF and its parsed fields, XMP, IPTC, ICC, comments,
 * text chunks): what is left are the basic properties, which libvips will not remove. The
 * savers' strip is not enough on its own: 8.14.1's webpsave ignores it and copies the EXIF. */
static void
strip_fields(VipsImage *img)
{
	gchar **fields = vips_image_get_fields(img);
	size_t i;

	for (i = 0; fields[i] != NULL; i++)
		(void)vips_image_remove(img, fields[i]);
	g_strfreev(fields);
}

/* The same for an animation, but for what makes it one: the frames' height, their delays and
 * the loop count (numbers only, no text of the uploader's). */
static void
strip_fields_but_animation(VipsImage *img)
{
	static const char *const keep[] = { "page-height", "delay", "loop" };
	gchar **fields = vips_image_get_fields(img);
	size_t i, j;

	for (i = 0; fields[i] != NULL; i++) {
		for (j = 0; j < sizeof keep / sizeof keep[0]; j++)
			if (strcmp(fields[i], keep[j]) == 0)
				break;
		if (j == sizeof keep / sizeof keep[0])
			(void)vips_image_remove(img, fields[i]);
	}
	g_strfreev(fields);
}

/* How a still and an animation are loaded, and what their failures are called: the two go
 * through the same steps, and the uploader is told which of the two failed. */
struct loading {
	const char *options, *undecodable, *colours, *late, *damaged;
};

/* fail_on=error makes a truncated file an error, not a grey lower half and a warning. */
static const struct loading still = {
	"fail_on=error", "the image cannot be decoded", "the image's colours cannot be converted",
	"the image took too long", "the image is truncated or damaged",
};

/* n=-1: every frame, as one tall image whose page-height says where each one starts;
 * thumbnail then bounds each frame, not the whole strip. */
static const struct loading animation = {
	"n=-1,fail_on=error", "the animation cannot be decoded",
	"the animation's colours cannot be converted", "the animation took too long",
	"the animation is truncated or damaged",
};

/* src as l says, shrunk to the display size, upright and in sRGB, into *out (unref it, also
 * after a failure: it may be set then). Nothing is decoded yet: pixels come when asked for. */
static enum imgproc_rc
load_srgb(const struct imgproc_opts *o, const char *src, const struct loading *l,
    VipsImage **out, struct buf *err)
{
	VipsSource *in = vips_source_new_from_file(src);
	VipsImage *t = NULL;
	enum imgproc_rc rc = IMGPROC_OK;

	/* thumbnail applies the EXIF orientation (autorot) and imports an embedded ICC profile.
	 * The source form, because only it passes the loader options in 8.14. */
	if (in == NULL || vips_thumbnail_source(in, &t, o->display_px, "height", o->display_px,
	    "size", VIPS_SIZE_DOWN, "option_string", l->options, NULL) != 0) {
		rc = fail(IMGPROC_CORRUPT, err, l->undecodable);
		goto out;
	}
	if (vips_colourspace(t, out, vips_image_get_bands(t) < 3 ?
	    VIPS_INTERPRETATION_B_W : VIPS_INTERPRETATION_sRGB, NULL) != 0)
		rc = fail(IMGPROC_CORRUPT, err, l->colours);
out:
	if (t != NULL)
		g_object_unref(t);
	if (in != NULL)
		g_object_unref(in);
	return rc;
}

/* The failure of a pipeline that ran under watch(): past the deadline it was cut short, else
 * the file gave out while its pixels were read. */
static enum imgproc_rc
fail_reading(const struct loading *l, double deadline, struct buf *err)
{
	return now_mono() > deadline ? fail(IMGPROC_TIMEOUT, err, l->late) :
	    fail(IMGPROC_CORRUPT, err, l->damaged);
}

/* The display size of src, decoded into memory (a few MB at most: display_px squared), upright
 * and in sRGB. JPEG shrinks on load, so a 12-megapixel photo is never decoded whole. */
static enum imgproc_rc
decode(const struct imgproc_opts *o, const char *src, double *deadline, VipsImage **out,
    struct buf *err)
{
	VipsImage *srgb = NULL;
	enum imgproc_rc rc;

	if ((rc = load_srgb(o, src, &still, &srgb, err)) != IMGPROC_OK)
		goto out;
	watch(srgb, deadline);
	*out = vips_image_copy_memory(srgb);
	if (*out != NULL)
		strip_fields(*out);
	else
		rc = fail_reading(&still, *deadline, err);
out:
	if (srgb != NULL)
		g_object_unref(srgb);
	return rc;
}

/* The little-endian 32-bit number at p (RIFF sizes). */
static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void
put_le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

/* Drops the EXIF, XMP and ICC chunks of a WebP file in place (n bytes at p), and their flags in
 * VP8X: 8.14.1's webpsave writes an EXIF chunk even with strip (one it makes up, without the
 * photo's tags, but a marker all the same). Returns the new length, or 0 for a file that is not
 * the RIFF WebP libvips writes. */
static size_t
webp_drop_meta(unsigned char *p, size_t n)
{
	size_t in = 12, out = 12, len;

	if (n < 12 || memcmp(p, "RIFF", 4) != 0 || memcmp(p + 8, "WEBP", 4) != 0 ||
	    le32(p + 4) != n - 8)
		return 0;
	while (in + 8 <= n) {
		len = le32(p + in + 4);
		len += len & 1;   /* chunks are padded to an even size */
		if (len > n - in - 8)
			return 0;
		if (memcmp(p + in, "EXIF", 4) != 0 && memcmp(p + in, "XMP ", 4) != 0 &&
		    memcmp(p + in, "ICCP", 4) != 0) {
			if (memcmp(p + in, "VP8X", 4) == 0 && len >= 1)
				p[in + 8] &= (unsigned char)~(0x20 | 0x08 | 0x04);   /* ICC, EXIF, XMP */
			memmove(p + out, p + in, len + 8);
			out += len + 8;
		}
		in += len + 8;
	}
	if (in != n)
		return 0;
	put_le32(p + 4, (uint32_t)(out - 8));
	return out;
}

/* Encodes img as JPEG or WebP into *data (g_free it) and *len. JPEG has no alpha: transparent
 * pixels become white, not black. */
static int
encode(VipsImage *img, bool webp, int quality, void **data, size_t *len)
{
	VipsArrayDouble *white = NULL;
	VipsImage *flat = NULL;
	int rc = -1;

	if (webp) {
		if (vips_webpsave_buffer(img, data, len, "Q", quality, "strip", TRUE, NULL) != 0)
			return -1;
		*len = webp_drop_meta(*data, *len);
		return *len > 0 ? 0 : -1;
	}
	if (vips_image_hasalpha(img)) {
		white = vips_array_double_newv(1, 255.0);
		if (vips_flatten(img, &flat, "background", white, NULL) != 0)
			goto out;
		img = flat;
	}
	rc = vips_jpegsave_buffer(img, data, len, "Q", quality, "strip", TRUE,
	    "optimize_coding", TRUE, "interlace", TRUE, NULL);
out:
	if (flat != NULL)
		g_object_unref(flat);
	if (white != NULL)
		vips_area_unref(VIPS_AREA(white));
	return rc;
}

/* The animation of src at the display size, encoded as WebP into *data (g_free it) and *len:
 * upright and in sRGB like a still, every frame bounded as the display size, with no metadata
 * but its timing. Its frames are decoded as the encoder asks for them, never all at once into
 * memory; the frame limits (check_frames) bound the work. */
static enum imgproc_rc
encode_animation(const struct imgproc_opts *o, const char *src, double *deadline, void **data,
    size_t *len, struct buf *err)
{
	VipsImage *srgb = NULL;
	enum imgproc_rc rc;

	if ((rc = load_srgb(o, src, &animation, &srgb, err)) != IMGPROC_OK)
		goto out;
	strip_fields_but_animation(srgb);
	watch(srgb, deadline);
	if (vips_webpsave_buffer(srgb, data, len, "Q", o->quality, "strip", TRUE, NULL) != 0 ||
	    (*len = webp_drop_meta(*data, *len)) == 0)
		rc = fail_reading(&animation, *deadline, err);
out:
	if (srgb != NULL)
		g_object_unref(srgb);
	return rc;
}

/* Writes the len bytes at data to path through a temporary file beside it: a reader sees the
 * whole file or none. Returns 0 or -1 (nothing left at either name). */
static int
write_bytes(const char *path, const void *data, size_t len, struct buf *err)
{
	struct buf tmp = BUF_INIT;
	const char *slash = strrchr(path, '/');
	int fd = -1, rc = -1;

	buf_printf(&tmp, "%.*s/.proc-XXXXXX", slash ? (int)(slash - path) : 1, slash ? path : ".");
	fd = mkstemp(tmp.data);
	if (fd < 0) {
		buf_printf(err, "cannot create a file beside %s: %s", path, strerror(errno));
		goto out;
	}
	if (media_write_all(fd, data, len) != 0 || fchmod(fd, 0644) != 0 || close(fd) != 0) {
		fd = -2;
		buf_printf(err, "cannot write %s: %s", tmp.data, strerror(errno));
		goto out;
	}
	fd = -2;
	if (rename(tmp.data, path) != 0) {
		buf_printf(err, "cannot write %s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc != 0 && fd != -1)
		unlink(tmp.data);
	buf_free(&tmp);
	return rc;
}

/* Encodes img and writes it to path. Returns 0 or -1 (nothing left). */
static int
save(VipsImage *img, const char *path, bool webp, int quality, struct buf *err)
{
	void *data = NULL;
	size_t len = 0;
	int rc = -1;

	if (encode(img, webp, quality, &data, &len) != 0)
		fail(IMGPROC_FAILED, err, webp ? "cannot make the WebP copy" : "cannot make the JPEG copy");
	else
		rc = write_bytes(path, data, len, err);
	g_free(data);
	return rc;
}

/* What one image is written as, in order: the thumbnail's JPEG last (imgproc.h). Either an
 * image to encode, or bytes encoded already (data: an animation, encoded before anything is
 * written, so that a damaged frame is a refusal, not a failure to retry). */
struct output {
	VipsImage  *img;
	int         px;
	bool        webp;
	const void *data;
	size_t      len;
};

static enum imgproc_rc
write_all(const struct imgproc_opts *o, const char *base, const struct output *outs, size_t n,
    struct buf *err)
{
	struct buf paths[NOUT] = { BUF_INIT, BUF_INIT, BUF_INIT, BUF_INIT };
	size_t i, done = 0;
	enum imgproc_rc rc = IMGPROC_OK;

	for (i = 0; i < n; i++) {
		imgproc_output_path(base, outs[i].px, outs[i].webp, &paths[i]);
		if ((outs[i].data != NULL ?
		    write_bytes(buf_cstr(&paths[i]), outs[i].data, outs[i].len, err) :
		    save(outs[i].img, buf_cstr(&paths[i]), outs[i].webp, o->quality, err)) != 0) {
			rc = IMGPROC_FAILED;
			break;
		}
		done++;
	}
	/* A failure leaves none of the image's outputs: a half set would read as processed. */
	for (i = 0; rc != IMGPROC_OK && i < done; i++)
		unlink(buf_cstr(&paths[i]));
	for (i = 0; i < NOUT; i++)
		buf_free(&paths[i]);
	return rc;
}

enum imgproc_rc
imgproc_process(const struct imgproc_opts *o, const char *src, const char *ext,
    const char *base, struct buf *err)
{
	double deadline = now_mono() + o->max_seconds;
	VipsImage *disp = NULL, *thumb = NULL;
	struct output outs[NOUT];
	void *anim = NULL;
	size_t n = 0, anim_len = 0;
	int frames = 1;
	enum imgproc_rc rc;

	if ((rc = check_header(o, src, ext, &frames, err)) != IMGPROC_OK)
		goto out;
	if ((rc = decode(o, src, &deadline, &disp, err)) != IMGPROC_OK)
		goto out;
	if (vips_thumbnail_image(disp, &thumb, o->thumb_px, "height", o->thumb_px,
	    "size", VIPS_SIZE_DOWN, NULL) != 0) {
		rc = fail(IMGPROC_FAILED, err, "cannot make the thumbnail");
		goto out;
	}
	strip_fields(thumb);
	/* An animation: its WebP at the display size only (no WebP thumbnail: media.h tells an
	 * animation by that), the JPEGs its first frame, for browsers without WebP and as poster.
	 * Without WebP (the media_quality switch) it is a still, as the costlier format skipped. */
	if (frames > 1 && o->webp &&
	    (rc = encode_animation(o, src, &deadline, &anim, &anim_len, err)) != IMGPROC_OK)
		goto out;
	if (anim != NULL) {
		outs[n++] = (struct output){ .px = o->display_px, .webp = true, .data = anim,
		    .len = anim_len };
	} else if (o->webp) {
		outs[n++] = (struct output){ .img = disp, .px = o->display_px, .webp = true };
		outs[n++] = (struct output){ .img = thumb, .px = o->thumb_px, .webp = true };
	}
	outs[n++] = (struct output){ .img = disp, .px = o->display_px };
	outs[n++] = (struct output){ .img = thumb, .px = o->thumb_px };
	rc = write_all(o, base, outs, n, err);
out:
	g_free(anim);
	if (thumb != NULL)
		g_object_unref(thumb);
	if (disp != NULL)
		g_object_unref(disp);
	return rc;
}
