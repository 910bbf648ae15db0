/* bench_media.c: the image processing benchmark (tests/bench/media.sh runs it; docs/media.md).
 *
 *   bench_media make FILE             writes a 12-megapixel (4000 x 3000) photo-like JPEG
 *   bench_media anim DIR RUNS         writes an animated GIF (ANIM_FRAMES frames of ANIM_W x
 *                                     ANIM_H, a moving noise) in DIR and processes it RUNS times
 *                                     (an animated WebP and first-frame JPEGs); prints its medians
 *                                     and sizes as "anim_..." pairs
 *   bench_media run FILE RUNS DIR [Q] processes FILE into every size RUNS times (outputs in DIR),
 *                                     at quality Q without WebP when given (the media_quality
 *                                     switch), then a 30000 x 30000 PNG bomb once; prints one line of
 *                                     "key value" pairs: median wall and CPU seconds of a run,
 *                                     peak RSS, output bytes, the bomb's refusal time
 *
 * Each mode is its own process, so the peak RSS of run is the processing's, not the making's. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include <vips/vips.h>
#include <zlib.h>

#include "buf.h"
#include "imgproc.h"

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Noise over a gradient, blurred a little: compresses like a photo (about 3 to 5 MB at Q 92),
 * not like a flat test card. */
static int
make(const char *path)
{
	VipsImage *noise = NULL, *xyz = NULL, *grad = NULL, *sum = NULL, *blur = NULL, *rgb = NULL,
	    *u8 = NULL;
	int rc = -1;

	if (vips_gaussnoise(&noise, 4000, 3000, "mean", 128.0, "sigma", 40.0, NULL) ||
	    vips_xyz(&xyz, 4000, 3000, NULL) || vips_extract_band(xyz, &grad, 0, NULL) ||
	    vips_linear1(grad, &sum, 0.05, 0.0, NULL) || vips_gaussblur(noise, &blur, 1.2, NULL))
		goto out;
	g_object_unref(xyz);
	xyz = NULL;
	g_object_unref(noise);
	noise = NULL;
	if (vips_add(blur, sum, &noise, NULL) || vips_bandjoin_const1(noise, &rgb, 96.0, NULL) ||
	    vips_bandjoin2(rgb, blur, &xyz, NULL) || vips_cast_uchar(xyz, &u8, NULL))
		goto out;
	vips_image_set_string(u8, "exif-ifd0-Model", "BenchCam");
	if (vips_jpegsave(u8, path, "Q", 92, NULL))
		goto out;
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "bench_media: %s\n", vips_error_buffer());
	VIPS_UNREF(u8);
	VIPS_UNREF(rgb);
	VIPS_UNREF(blur);
	VIPS_UNREF(sum);
	VIPS_UNREF(grad);
	VIPS_UNREF(xyz);
	VIPS_UNREF(noise);
	return rc;
}

static void
be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static void
chunk(FILE *f, const char *type, const unsigned char *d, uint32_t n)
{
	unsigned char b[4];
	uLong crc = crc32(crc32(0, (const Bytef *)type, 4), d, n);

	be32(b, n);
	fwrite(b, 1, 4, f);
	fwrite(type, 1, 4, f);
	fwrite(d, 1, n, f);
	be32(b, (uint32_t)crc);
	fwrite(b, 1, 4, f);
}

static int
make_bomb(const char *path)
{
	static unsigned char raw[4 * (1 + 3 * 30000)], z[8192];
	unsigned char ihdr[13] = { 0 };
	uLongf zn = sizeof z;
	FILE *f = fopen(path, "wb");

	if (f == NULL || compress(z, &zn, raw, sizeof raw) != Z_OK)
		return -1;
	be32(ihdr, 30000);
	be32(ihdr + 4, 30000);
	ihdr[8] = 8;
	ihdr[9] = 2;
	fwrite("\x89PNG\r\n\x1a\n", 1, 8, f);
	chunk(f, "IHDR", ihdr, sizeof ihdr);
	chunk(f, "IDAT", z, (uint32_t)zn);
	chunk(f, "IEND", (const unsigned char *)"", 0);
	return fclose(f) == 0 ? 0 : -1;
}

static long
file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long)st.st_size : 0;
}

/* The [media] defaults (lib/base/conf.c), with a time limit no benchmark run reaches. */
static const struct imgproc_opts defaults = { .thumb_px = 640, .display_px = 1600,
	.quality = 80, .webp = true, .max_pixels = 50000000, .max_seconds = 60, .max_frames = 300,
	.max_anim_pixels = 50000000 };

/* The animated GIF: a short clip of a typical size, two seconds at 30 frames a second. */
#define ANIM_W      480
#define ANIM_H      270
#define ANIM_FRAMES 60

/* Writes the animated GIF to path: noise over a gradient that moves frame by frame. */
static int
make_anim(const char *path)
{
	VipsImage *frames[ANIM_FRAMES] = { NULL }, *strip = NULL, *noise = NULL, *xyz = NULL,
	    *grad = NULL, *sum = NULL, *rgb = NULL;
	int delay[ANIM_FRAMES], i, rc = -1;

	for (i = 0; i < ANIM_FRAMES; i++) {
		if (vips_gaussnoise(&noise, ANIM_W, ANIM_H, "mean", 128.0, "sigma", 20.0, NULL) ||
		    vips_xyz(&xyz, ANIM_W, ANIM_H, NULL) || vips_extract_band(xyz, &grad, 0, NULL) ||
		    vips_linear1(grad, &sum, 0.3, 2.0 * i, NULL) || vips_add(noise, sum, &rgb, NULL) ||
		    vips_bandjoin_const1(rgb, &strip, 64.0, NULL) ||
		    vips_bandjoin2(strip, rgb, &frames[i], NULL))
			goto out;
		VIPS_UNREF(noise);
		VIPS_UNREF(xyz);
		VIPS_UNREF(grad);
		VIPS_UNREF(sum);
		VIPS_UNREF(rgb);
		VIPS_UNREF(strip);
		delay[i] = 33;
	}
	if (vips_arrayjoin(frames, &rgb, ANIM_FRAMES, "across", 1, NULL) ||
	    vips_cast_uchar(rgb, &strip, NULL))
		goto out;
	vips_image_set_int(strip, "page-height", ANIM_H);
	vips_image_set_array_int(strip, "delay", delay, ANIM_FRAMES);
	vips_image_set_int(strip, "loop", 0);
	rc = vips_gifsave(strip, path, NULL) == 0 ? 0 : -1;
out:
	if (rc != 0)
		fprintf(stderr, "bench_media: %s\n", vips_error_buffer());
	for (i = 0; i < ANIM_FRAMES; i++)
		VIPS_UNREF(frames[i]);
	VIPS_UNREF(noise);
	VIPS_UNREF(xyz);
	VIPS_UNREF(grad);
	VIPS_UNREF(sum);
	VIPS_UNREF(rgb);
	VIPS_UNREF(strip);
	return rc;
}

static int
run_anim(const char *dir, int runs)
{
	struct imgproc_opts o = defaults;
	double *wall = calloc((size_t)runs, sizeof *wall), *cpus = calloc((size_t)runs, sizeof *cpus);
	struct buf src = BUF_INIT, base = BUF_INIT, err = BUF_INIT, p = BUF_INIT, jpg = BUF_INIT;
	struct rusage ru;
	double t0, c0;
	int i, rc = 1;

	buf_printf(&src, "%s/.orig-anim.gif", dir);
	buf_printf(&base, "%s/anim", dir);
	if (make_anim(buf_cstr(&src)) != 0)
		goto out;
	for (i = 0; i < runs; i++) {
		t0 = mono();
		c0 = cpu();
		if (imgproc_process(&o, buf_cstr(&src), "gif", buf_cstr(&base), &err) != IMGPROC_OK) {
			fprintf(stderr, "bench_media: %s\n", buf_cstr(&err));
			goto out;
		}
		wall[i] = mono() - t0;
		cpus[i] = cpu() - c0;
	}
	getrusage(RUSAGE_SELF, &ru);
	imgproc_output_path(buf_cstr(&base), o.display_px, true, &p);
	imgproc_output_path(buf_cstr(&base), o.display_px, false, &jpg);
	qsort(wall, (size_t)runs, sizeof *wall, cmp_double);
	qsort(cpus, (size_t)runs, sizeof *cpus, cmp_double);
	printf("anim_frames %d anim_w %d anim_h %d anim_wall_s %.3f anim_cpu_s %.3f "
	    "anim_peak_rss_mb %.1f anim_gif_bytes %ld anim_webp_bytes %ld anim_poster_jpg %ld\n",
	    ANIM_FRAMES, ANIM_W, ANIM_H, wall[runs / 2], cpus[runs / 2],
	    (double)ru.ru_maxrss / 1024.0, file_size(buf_cstr(&src)), file_size(buf_cstr(&p)),
	    file_size(buf_cstr(&jpg)));
	rc = 0;
out:
	free(wall);
	free(cpus);
	buf_free(&src);
	buf_free(&base);
	buf_free(&err);
	buf_free(&p);
	buf_free(&jpg);
	return rc;
}

static int
run(const char *src, int runs, const char *dir, int low)
{
	struct imgproc_opts o = defaults;
	static const int px[2] = { 640, 1600 };
	double *wall = calloc((size_t)runs, sizeof *wall), *cpus = calloc((size_t)runs, sizeof *cpus);
	struct buf base = BUF_INIT, err = BUF_INIT, p = BUF_INIT;
	double t0, c0, bomb_s;
	long out_bytes[2][2] = { { 0 } };
	struct rusage ru;
	int i, j, k;

	if (low > 0) {
		o.quality = low;
		o.webp = false;
	}
	buf_printf(&base, "%s/bench", dir);
	for (i = 0; i < runs; i++) {
		t0 = mono();
		c0 = cpu();
		if (imgproc_process(&o, src, "jpg", buf_cstr(&base), &err) != IMGPROC_OK) {
			fprintf(stderr, "bench_media: %s\n", buf_cstr(&err));
			return 1;
		}
		wall[i] = mono() - t0;
		cpus[i] = cpu() - c0;
	}
	for (j = 0; j < 2; j++)
		for (k = 0; k < 2; k++) {
			buf_reset(&p);
			imgproc_output_path(buf_cstr(&base), px[j], k == 1, &p);
			out_bytes[j][k] = file_size(buf_cstr(&p));
		}
	getrusage(RUSAGE_SELF, &ru);
	buf_reset(&p);
	buf_printf(&p, "%s/.orig-bomb.png", dir);
	if (make_bomb(buf_cstr(&p)) != 0)
		return 1;
	buf_reset(&err);
	buf_reset(&base);
	buf_printf(&base, "%s/bomb", dir);
	t0 = mono();
	if (imgproc_process(&o, buf_cstr(&p), "png", buf_cstr(&base), &err) != IMGPROC_TOO_LARGE) {
		fprintf(stderr, "bench_media: the bomb was not refused\n");
		return 1;
	}
	bomb_s = mono() - t0;
	qsort(wall, (size_t)runs, sizeof *wall, cmp_double);
	qsort(cpus, (size_t)runs, sizeof *cpus, cmp_double);
	printf("wall_s %.3f cpu_s %.3f peak_rss_mb %.1f original_bytes %ld thumb_jpg %ld "
	    "thumb_webp %ld display_jpg %ld display_webp %ld bomb_ms %.2f bomb_bytes %ld "
	    "bomb_error \"%s\"\n", wall[runs / 2], cpus[runs / 2], (double)ru.ru_maxrss / 1024.0,
	    file_size(src), out_bytes[0][0], out_bytes[0][1], out_bytes[1][0], out_bytes[1][1],
	    bomb_s * 1000.0, file_size(buf_cstr(&p)), buf_cstr(&err));
	free(wall);
	free(cpus);
	buf_free(&base);
	buf_free(&err);
	buf_free(&p);
	return 0;
}

/* s as a whole decimal number within 0 .. 10000, or -1. */
static int
count_of(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	return *s != '\0' && *end == '\0' && v >= 0 && v <= 10000 ? (int)v : -1;
}

int
main(int argc, char **argv)
{
	struct buf err = BUF_INIT;

	if (imgproc_init(argv[0], &err) != 0) {
		fprintf(stderr, "bench_media: %s\n", buf_cstr(&err));
		return 1;
	}
	if (argc == 3 && strcmp(argv[1], "make") == 0)
		return make(argv[2]) == 0 ? 0 : 1;
	if (argc == 4 && strcmp(argv[1], "anim") == 0 && count_of(argv[3]) > 0)
		return run_anim(argv[2], count_of(argv[3]));
	if ((argc == 5 || argc == 6) && strcmp(argv[1], "run") == 0 && count_of(argv[3]) > 0 &&
	    (argc == 5 || count_of(argv[5]) >= 0))
		return run(argv[2], count_of(argv[3]), argv[4], argc == 6 ? count_of(argv[5]) : 0);
	fprintf(stderr, "usage: bench_media make FILE | run FILE RUNS DIR [QUALITY] | anim DIR "
	    "RUNS\n");
	return 2;
}
