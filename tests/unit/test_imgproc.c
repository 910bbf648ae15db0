/* test_imgproc.c: lib/social/imgproc.c with real libvips: metadata stripped, orientation applied,
 * bounds kept, bombs and bad files refused with nothing left behind. The fixtures are
 * tests/golden/media (made by its make.py); the bomb is made here. */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <vips/vips.h>
#include <zlib.h>

#include "buf.h"
#include "imgproc.h"
#include "test.h"

static const struct imgproc_opts opts = {
	.thumb_px = 128, .display_px = 1600, .quality = 80, .webp = true,
	.max_pixels = 50000000, .max_seconds = 20, .max_frames = 300, .max_anim_pixels = 50000000,
};

static char dir[] = "/tmp/test_imgproc.XXXXXX";

static int
setup(void **state)
{
	struct buf err = BUF_INIT;

	(void)state;
	if (imgproc_init("test_imgproc", &err) != 0) {
		fprintf(stderr, "%s\n", buf_cstr(&err));
		return -1;
	}
	buf_free(&err);
	/* The test reads the WebP outputs back; the worker never loads a WebP. */
	vips_operation_block_set("VipsForeignLoadWebp", FALSE);
	return mkdtemp(dir) == NULL ? -1 : 0;
}

/* Empties dir: each test starts with none of the others' outputs. */
static void
clear_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct buf p = BUF_INIT;

	while (d != NULL && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		buf_reset(&p);
		buf_printf(&p, "%s/%s", dir, e->d_name);
		unlink(buf_cstr(&p));
	}
	if (d != NULL)
		closedir(d);
	buf_free(&p);
}

static int
teardown(void **state)
{
	(void)state;
	clear_dir();
	rmdir(dir);
	vips_shutdown();
	return 0;
}

static int
before(void **state)
{
	(void)state;
	clear_dir();
	return 0;
}

/* How many files dir holds (a refusal must leave none, temporary files included). */
static int
count_files(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void
fixture(const char *name, struct buf *out)
{
	buf_printf(out, "%s/tests/golden/media/%s", test_srcdir(), name);
}

static void
write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

/* Whether the n bytes at hay hold needle. */
static bool
has_bytes(const struct buf *hay, const char *needle)
{
	size_t n = strlen(needle), i;

	for (i = 0; i + n <= hay->len; i++)
		if (memcmp(hay->data + i, needle, n) == 0)
			return true;
	return false;
}

/* Checks one output: no metadata field libvips sees, no marker in the bytes, within bound. Its
 * size goes to *w, *h. */
static void
check_output(const char *path, int bound, int *w, int *h)
{
	static const char *const markers[] = { "Exif", "StarlingCam", "Starling Optics", "secret",
	    "tEXt", "iTXt", "eXIf", "xmpmeta", "ICC_PROFILE" };
	struct buf bytes = BUF_INIT, err = BUF_INIT;
	VipsImage *img;
	gchar **fields;
	size_t i;

	assert_int_equal(buf_read_file(&bytes, path, 1 << 24, &err), 0);
	for (i = 0; i < sizeof markers / sizeof markers[0]; i++)
		if (has_bytes(&bytes, markers[i]))
			fail_msg("%s holds \"%s\"", path, markers[i]);
	img = vips_image_new_from_file(path, NULL);
	assert_non_null(img);
	fields = vips_image_get_fields(img);
	for (i = 0; fields[i] != NULL; i++)
		if (strncmp(fields[i], "exif-", 5) == 0 || strcmp(fields[i], "xmp-data") == 0 ||
		    strcmp(fields[i], "iptc-data") == 0 || strcmp(fields[i], "icc-profile-data") == 0 ||
		    strcmp(fields[i], "orientation") == 0 || strncmp(fields[i], "png-comment", 11) == 0 ||
		    strcmp(fields[i], "jpeg-comment") == 0 || strcmp(fields[i], "gif-comment") == 0)
			fail_msg("%s has metadata %s", path, fields[i]);
	g_strfreev(fields);
	*w = vips_image_get_width(img);
	*h = vips_image_get_height(img);
	assert_true(*w <= bound && *h <= bound);
	g_object_unref(img);
	buf_free(&bytes);
	buf_free(&err);
}

static void
output(const char *base, int px, bool webp, struct buf *out)
{
	buf_reset(out);
	imgproc_output_path(base, px, webp, out);
}

/* The photo with GPS, a camera and orientation 6 (stored 300 x 200, upright 200 x 300, a white
 * band at the stored top, which is the upright right side). */
static void
test_jpeg_gps(void **state)
{
	struct buf src = BUF_INIT, base = BUF_INIT, out = BUF_INIT, err = BUF_INIT;
	double left[3], right[3];
	double *v;
	int w, h, n;
	VipsImage *img;

	(void)state;
	fixture("gps.jpg", &src);
	buf_printf(&base, "%s/photo", dir);
	assert_int_equal(imgproc_process(&opts, buf_cstr(&src), "jpg", buf_cstr(&base), &err),
	    IMGPROC_OK);
	output(buf_cstr(&base), 1600, false, &out);
	check_output(buf_cstr(&out), 1600, &w, &h);
	assert_int_equal(w, 200);   /* upright, and never enlarged */
	assert_int_equal(h, 300);
	output(buf_cstr(&base), 1600, true, &out);
	check_output(buf_cstr(&out), 1600, &w, &h);
	assert_int_equal(w, 200);
	output(buf_cstr(&base), 128, true, &out);
	check_output(buf_cstr(&out), 128, &w, &h);
	output(buf_cstr(&base), 128, false, &out);
	check_output(buf_cstr(&out), 128, &w, &h);
	assert_int_equal(h, 128);
	assert_in_range(w, 84, 86);
	/* The band is on the right: the pixels were turned, not only the tag dropped. */
	output(buf_cstr(&base), 1600, false, &out);
	img = vips_image_new_from_file(buf_cstr(&out), NULL);
	assert_non_null(img);
	assert_int_equal(vips_getpoint(img, &v, &n, 195, 150, NULL), 0);
	memcpy(right, v, sizeof right);
	g_free(v);
	assert_int_equal(vips_getpoint(img, &v, &n, 5, 150, NULL), 0);
	memcpy(left, v, sizeof left);
	g_free(v);
	g_object_unref(img);
	assert_true(right[1] > 200 && right[2] > 200);   /* white */
	assert_true(left[0] > 150 && left[1] < 80);      /* red */
	assert_int_equal(count_files(), 4);
	buf_free(&src);
	buf_free(&base);
	buf_free(&out);
	buf_free(&err);
}

/* A PNG with alpha, tEXt, iTXt (XMP) and eXIf chunks (stored 120 x 80; its eXIf says
 * orientation 6 too, so upright it is 80 x 120). */
static void
test_png_meta(void **state)
{
	struct buf src = BUF_INIT, base = BUF_INIT, out = BUF_INIT, err = BUF_INIT;
	int w, h;

	(void)state;
	fixture("meta.png", &src);
	buf_printf(&base, "%s/pic", dir);
	assert_int_equal(imgproc_process(&opts, buf_cstr(&src), "png", buf_cstr(&base), &err),
	    IMGPROC_OK);
	output(buf_cstr(&base), 1600, false, &out);
	check_output(buf_cstr(&out), 1600, &w, &h);
	assert_int_equal(w, 80);
	assert_int_equal(h, 120);
	output(buf_cstr(&base), 1600, true, &out);
	check_output(buf_cstr(&out), 1600, &w, &h);
	output(buf_cstr(&base), 128, false, &out);
	check_output(buf_cstr(&out), 128, &w, &h);
	output(buf_cstr(&base), 128, true, &out);
	check_output(buf_cstr(&out), 128, &w, &h);
	assert_int_equal(count_files(), 4);
	buf_free(&src);
	buf_free(&base);
	buf_free(&out);
	buf_free(&err);
}

/* Without WebP (the media_quality switch): the JPEG copies only. */
static void
test_no_webp(void **state)
{
	struct imgproc_opts o = opts;
	struct buf src = BUF_INIT, base = BUF_INIT, out = BUF_INIT, err = BUF_INIT;

	(void)state;
	o.webp = false;
	o.quality = 50;
	fixture("gps.jpg", &src);
	buf_printf(&base, "%s/low", dir);
	assert_int_equal(imgproc_process(&o, buf_cstr(&src), "jpg", buf_cstr(&base), &err),
	    IMGPROC_OK);
	assert_int_equal(count_files(), 2);
	output(buf_cstr(&base), 128, false, &out);
	assert_int_equal(access(buf_cstr(&out), F_OK), 0);
	output(buf_cstr(&base), 128, true, &out);
	assert_int_not_equal(access(buf_cstr(&out), F_OK), 0);
	buf_free(&src);
	buf_free(&base);
	buf_free(&out);
	buf_free(&err);
}

static void
put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* Appends a PNG chunk: length, type, data, CRC over type and data. */
static void
png_chunk(struct buf *b, const char *type, const unsigned char *data, uint32_t n)
{
	unsigned char be[4];
	uLong crc;

	put_be32(be, n);
	buf_append(b, (const char *)be, 4);
	buf_append(b, type, 4);
	buf_append(b, (const char *)data, n);
	crc = crc32(0, (const Bytef *)type, 4);
	crc = crc32(crc, data, n);
	put_be32(be, (uint32_t)crc);
	buf_append(b, (const char *)be, 4);
}

/* A decompression bomb: a PNG of a few KB declaring 30000 x 30000 RGB pixels (2.7 GB decoded),
 * its IDAT the zlib stream of a few rows of zeros. */
static void
make_bomb(const char *path)
{
	static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	unsigned char ihdr[13] = { 0 }, *raw, z[8192];
	uLongf zn = sizeof z;
	struct buf b = BUF_INIT;
	size_t rawn = 4 * (1 + 3 * 30000);

	put_be32(ihdr, 30000);
	put_be32(ihdr + 4, 30000);
	ihdr[8] = 8;   /* bit depth */
	ihdr[9] = 2;   /* RGB */
	raw = calloc(1, rawn);
	assert_non_null(raw);
	assert_int_equal(compress(z, &zn, raw, rawn), Z_OK);
	buf_append(&b, (const char *)sig, sizeof sig);
	png_chunk(&b, "IHDR", ihdr, sizeof ihdr);
	png_chunk(&b, "IDAT", z, (uint32_t)zn);
	png_chunk(&b, "IEND", NULL, 0);
	assert_true(b.len < 16384);
	write_file(path, b.data, b.len);
	free(raw);
	buf_free(&b);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
test_bomb(void **state)
{
	struct buf src = BUF_INIT, base = BUF_INIT, err = BUF_INIT;
	double t0;

	(void)state;
	buf_printf(&src, "%s/.orig-bomb.png", dir);
	make_bomb(buf_cstr(&src));
	buf_printf(&base, "%s/bomb", dir);
	t0 = now_s();
	assert_int_equal(imgproc_process(&opts, buf_cstr(&src), "png", buf_cstr(&base), &err),
	    IMGPROC_TOO_LARGE);
	/* Refused from the header: well under the 100 ms of the target, even under sanitizers. */
	assert_true(now_s() - t0 < 0.5);
	assert_non_null(strstr(buf_cstr(&err), "900000000 pixels"));
	assert_int_equal(count_files(), 1);   /* the bomb itself only */
	buf_free(&src);
	buf_free(&base);
	buf_free(&err);
}

/* Bad files: each refused with its code, nothing written. */
/* Writes an animated GIF of frames frames of w x h to path, each a different grey: made here
 * with libvips's own GIF saver, no binary fixture. */
static void
make_gif(const char *path, int frames, int w, int h)
{
	VipsImage **v = g_new0(VipsImage *, (gsize)frames), *strip = NULL, *black;
	int *delay = g_new(int, (gsize)frames), i;

	for (i = 0; i < frames; i++) {
		assert_int_equal(vips_black(&black, w, h, "bands", 3, NULL), 0);
		assert_int_equal(vips_linear1(black, &v[i], 1.0, 20.0 + 200.0 * i / frames, "uchar",
		    TRUE, NULL), 0);
		g_object_unref(black);
		delay[i] = 100;
	}
	assert_int_equal(vips_arrayjoin(v, &strip, frames, "across", 1, NULL), 0);
	vips_image_set_int(strip, "page-height", h);
	vips_image_set_array_int(strip, "delay", delay, frames);
	vips_image_set_int(strip, "loop", 0);
	if (vips_gifsave(strip, path, NULL) != 0)
		fail_msg("gifsave: %s", vips_error_buffer());
	g_object_unref(strip);
	for (i = 0; i < frames; i++)
		g_object_unref(v[i]);
	g_free(v);
	g_free(delay);
}

/* The frames of the image at path, as libvips's header says (n-pages); multi: a format that
 * has frames (GIF, WebP), whose loader takes "n". */
static int
n_pages(const char *path, bool multi)
{
	VipsImage *img = multi ? vips_image_new_from_file(path, "n", -1, NULL) :
	    vips_image_new_from_file(path, NULL);
	int n;

	if (img == NULL)
		fail_msg("%s: %s", path, vips_error_buffer());
	n = vips_image_get_n_pages(img);
	g_object_unref(img);
	return n;
}

/* An animated GIF: an animated WebP at the display size, first-frame JPEGs, no WebP thumbnail;
 * without WebP (the switch) stills only; over either frame limit refused, nothing left. */
static void
test_animated_gif(void **state)
{
	struct buf src = BUF_INIT, base = BUF_INIT, out = BUF_INIT, err = BUF_INIT;
	struct imgproc_opts o = opts;
	int w, h;

	(void)state;
	buf_printf(&src, "%s/.orig-anim.gif", dir);
	buf_printf(&base, "%s/anim", dir);
	make_gif(buf_cstr(&src), 4, 300, 200);
	assert_int_equal(n_pages(buf_cstr(&src), true), 4);
	if (imgproc_process(&o, buf_cstr(&src), "gif", buf_cstr(&base), &err) != IMGPROC_OK)
		fail_msg("animated GIF: %s", buf_cstr(&err));
	output(buf_cstr(&base), o.display_px, true, &out);
	assert_true(n_pages(buf_cstr(&out), true) > 1);
	check_output(buf_cstr(&out), o.display_px, &w, &h);
	assert_int_equal(w, 300);
	output(buf_cstr(&base), o.thumb_px, true, &out);
	assert_int_not_equal(access(buf_cstr(&out), F_OK), 0);
	output(buf_cstr(&base), o.display_px, false, &out);
	assert_int_equal(n_pages(buf_cstr(&out), false), 1);
	check_output(buf_cstr(&out), o.display_px, &w, &h);
	assert_int_equal(w, 300);
	assert_int_equal(h, 200);
	output(buf_cstr(&base), o.thumb_px, false, &out);
	check_output(buf_cstr(&out), o.thumb_px, &w, &h);
	assert_int_equal(count_files(), 4);   /* the original, one WebP, two JPEGs */

	/* Without WebP: a still, like any image under the switch. */
	clear_dir();
	make_gif(buf_cstr(&src), 4, 300, 200);
	o.webp = false;
	assert_int_equal(imgproc_process(&o, buf_cstr(&src), "gif", buf_cstr(&base), &err),
	    IMGPROC_OK);
	assert_int_equal(count_files(), 3);
	o.webp = true;

	/* Over the frame count, then over the pixels in all: refused, with why. */
	o.max_frames = 3;
	buf_reset(&err);
	assert_int_equal(imgproc_process(&o, buf_cstr(&src), "gif", buf_cstr(&base), &err),
	    IMGPROC_TOO_LARGE);
	assert_non_null(strstr(buf_cstr(&err), "4 frames"));
	assert_non_null(strstr(buf_cstr(&err), "max_frames"));
	o.max_frames = 300;
	o.max_anim_pixels = 4 * 300 * 200 - 1;
	buf_reset(&err);
	clear_dir();
	make_gif(buf_cstr(&src), 4, 300, 200);
	assert_int_equal(imgproc_process(&o, buf_cstr(&src), "gif", buf_cstr(&base), &err),
	    IMGPROC_TOO_LARGE);
	assert_non_null(strstr(buf_cstr(&err), "240000 in all"));
	assert_non_null(strstr(buf_cstr(&err), "max_anim_pixels"));
	assert_int_equal(count_files(), 1);
	buf_free(&src);
	buf_free(&base);
	buf_free(&out);
	buf_free(&err);
}

static void
test_refused(void **state)
{
	static const char svg[] = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" "
	    "height=\"10\"><rect width=\"10\" height=\"10\"/></svg>";
	struct buf jpg = BUF_INIT, png = BUF_INIT, err = BUF_INIT, src = BUF_INIT, base = BUF_INIT;
	const struct {
		int         line;
		const char *what, *ext;
		const void *p;
		size_t      n;
		int         want;
	} *t, cases[] = {
		{ __LINE__, "a truncated JPEG", "jpg", NULL, 0, IMGPROC_CORRUPT },
		{ __LINE__, "a PNG named .jpg", "jpg", NULL, 0, IMGPROC_NOT_IMAGE },
		{ __LINE__, "an SVG named .png", "png", svg, sizeof svg - 1, IMGPROC_NOT_IMAGE },
		{ __LINE__, "text named .gif", "gif", "GIF89a, or so it says", 21, IMGPROC_CORRUPT },
		{ __LINE__, "an empty file", "jpg", "", 0, IMGPROC_NOT_IMAGE },
	};
	size_t i;

	(void)state;
	fixture("gps.jpg", &src);
	assert_int_equal(buf_read_file(&jpg, buf_cstr(&src), 1 << 20, &err), 0);
	buf_reset(&src);
	fixture("meta.png", &src);
	assert_int_equal(buf_read_file(&png, buf_cstr(&src), 1 << 20, &err), 0);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		t = &cases[i];
		clear_dir();
		buf_reset(&src);
		buf_reset(&base);
		buf_reset(&err);
		buf_printf(&src, "%s/.orig-bad.%s", dir, t->ext);
		buf_printf(&base, "%s/bad", dir);
		if (i == 0)
			write_file(buf_cstr(&src), jpg.data, jpg.len * 2 / 3);
		else if (i == 1)
			write_file(buf_cstr(&src), png.data, png.len);
		else
			write_file(buf_cstr(&src), t->p, t->n);
		if (imgproc_process(&opts, buf_cstr(&src), t->ext, buf_cstr(&base), &err) != t->want)
			fail_msg("line %d, %s: not refused as expected (%s)", t->line, t->what,
			    buf_cstr(&err));
		assert_true(err.len > 0);
		if (count_files() != 1)
			fail_msg("line %d, %s: outputs left behind", t->line, t->what);
	}
	buf_free(&jpg);
	buf_free(&png);
	buf_free(&err);
	buf_free(&src);
	buf_free(&base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_jpeg_gps, before),
		cmocka_unit_test_setup(test_png_meta, before),
		cmocka_unit_test_setup(test_no_webp, before),
		cmocka_unit_test_setup(test_bomb, before),
		cmocka_unit_test_setup(test_refused, before),
		cmocka_unit_test_setup(test_animated_gif, before),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
