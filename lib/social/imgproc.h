/* imgproc.h: an uploaded image made safe to serve, with libvips: decoded with limits, turned
 * upright, stripped of every piece of metadata, and written again in the sizes the pages show.
 *
 * Only starling-worker (and the tests) link this module and libvips: no FastCGI binary decodes
 * an image. docs/media.md describes the pipeline and why libvips.
 *
 * What is refused, before any output is written:
 *   - a file that no allowed loader takes (JPEG, PNG, GIF only: every other libvips loader,
 *     SVG, PDF, ImageMagick's, is blocked), or whose loader is not the one its extension names;
 *   - more than max_pixels pixels, read from the header before a pixel is decoded (a
 *     decompression bomb: a few KB of PNG declaring 30000 x 30000);
 *   - an animated GIF of more than max_frames frames, or more than max_anim_pixels pixels in
 *     all (frames x width x height), from its header too;
 *   - a truncated or damaged file (the loaders fail on the first error, not on a warning);
 *   - an image that takes longer than max_seconds.
 *
 * Outputs, for base "DIR/NAME": DIR/NAME.<px>.jpg and, with webp, DIR/NAME.<px>.webp, for px the
 * thumbnail's bound then the display size's (the longer side; never enlarged). Each is written
 * to a temporary file in DIR and renamed into place, the thumbnail's JPEG last: once it exists,
 * every size does (imgproc_done). No output keeps EXIF, XMP, IPTC, ICC, text chunks or comments:
 * pixels are turned to sRGB first, then saved with strip. An animated GIF (with webp) becomes an
 * animated WebP at the display size, DIR/NAME.<display>.webp, with no WebP thumbnail; its JPEGs
 * are its first frame (the still for browsers without WebP). Without webp it is a still.
 *
 * Return convention: IMGPROC_OK, a refusal (> 0, the input is bad: retrying cannot help), or
 * IMGPROC_FAILED (< 0, the machine failed: a full disk; worth a retry). Nothing is left behind
 * but complete outputs. */
#ifndef STARLING_IMGPROC_H
#define STARLING_IMGPROC_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"

enum imgproc_rc {
	IMGPROC_FAILED    = -1,
	IMGPROC_OK        = 0,
	IMGPROC_NOT_IMAGE = 1,   /* no allowed loader takes it, or not the type its name says */
	IMGPROC_TOO_LARGE = 2,   /* over max_pixels, max_frames or max_anim_pixels */
	IMGPROC_CORRUPT   = 3,   /* truncated or damaged */
	IMGPROC_TIMEOUT   = 4,   /* over max_seconds */
};

struct imgproc_opts {
	int     thumb_px;       /* the cards' size */
	int     display_px;     /* the post page's size */
	int     quality;        /* JPEG and WebP, 1 .. 100 */
	bool    webp;           /* write the WebP copies too (off under the media_quality switch) */
	int64_t max_pixels;
	int     max_seconds;
	int     max_frames;      /* an animation's frames at most */
	int64_t max_anim_pixels; /* frames x width x height at most */
};

/* Starts libvips for this process, with what a server decoding strangers' files needs: no
 * operation cache (each file is decoded once), one thread (the worker is one of many processes
 * on the host), untrusted loaders blocked, and only the JPEG, PNG and GIF loaders allowed.
 * argv0 as main's. Returns 0, or -1 with why in err. Once per process. */
int imgproc_init(const char *argv0, struct buf *err);

/* Processes the image at src, which should be of type ext ("jpg", "jpeg", "png", "gif"), into
 * the outputs of base (above). Returns IMGPROC_OK or a refusal or failure, with why in err (for
 * the log and tb_job.last_error: no path but src's name). */
enum imgproc_rc imgproc_process(const struct imgproc_opts *o, const char *src, const char *ext,
    const char *base, struct buf *err);

/* The path of one output of base into out: base.<px>.jpg or .webp. */
void imgproc_output_path(const char *base, int px, bool webp, struct buf *out);

#endif
