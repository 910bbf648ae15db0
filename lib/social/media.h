/* media.h: images and videos: presigned upload URLs, and the check that a post's media URL is
 * one this server issued.
 *
 * The bytes never pass through the binaries that serve pages and the API: a client asks
 * upload/sign_image or upload/sign_video for a URL, PUTs the file there, then sends the public
 * URL with its post. Two storages, [media] storage (docs/media.md):
 *   - s3: the PUT URL is an AWS Signature Version 4 presigned URL (lib/ext/sigv4.h) for an
 *     S3-compatible store; the public URL is the object's address ([media] s3_public_url).
 *   - local: the PUT URL points at starling-upload itself (/api/v1/upload/local?...), signed with
 *     an HMAC and expiring; it checks size and type and writes the file under [media] local_dir,
 *     which the web server serves at [media] local_url.
 *
 * Object keys: "images/YYYYMMDD/<nonce>-<mac>.<ext>" and "videos/...", where nonce is random and
 * mac an HMAC (keyed from the token key, with its own label) of the user id, kind, date, nonce and
 * ext, truncated. So the public URL alone proves that this server issued it to that user, with no
 * table of uploads: media_check_url recomputes the mac. A URL issued to one user cannot be used
 * by another, and no URL can be made up.
 *
 * Return convention: <0 failure (logged), 0 done / valid, >0 a refusal named below. */
#ifndef STARLING_MEDIA_H
#define STARLING_MEDIA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "buf.h"
#include "conf.h"
#include "jwt.h"

struct media;

enum media_kind { MEDIA_IMAGE, MEDIA_VIDEO };

/* Refusals of media_check_url. */
#define MEDIA_FORGED   1  /* not a URL this server issued to this user for this kind */
#define MEDIA_MISSING  2  /* local storage: issued, but the file was never uploaded */
/* Refusals of the other functions. */
#define MEDIA_BAD_EXT  3  /* an extension the kind does not take (jpg jpeg png gif; mp4) */
#define MEDIA_BAD_TYPE 4  /* bytes that are not what the extension says */
#define MEDIA_TOO_LARGE 5 /* over [media] max_image_bytes or max_video_bytes */
#define MEDIA_EXISTS   6  /* local storage: the key was written already */
#define MEDIA_EXPIRED  7  /* a local upload link past its time, or wrongly signed */
#define MEDIA_NOT_LOCAL 8 /* storage is s3: the bytes cannot be taken here */
#define MEDIA_OFF      9  /* storage is local but [media] local_dir is not set */

/* Bounds of an object key: "videos/YYYYMMDD/" + 24 + "-" + 32 + ".jpeg". */
#define MEDIA_KEY_MAX 80
/* Bytes at the start of a file that media_sniff needs at most. */
#define MEDIA_SNIFF_MIN 16

/* Reads [media] from conf (and, for s3, the secret key file, which must not be world-readable).
 * keys is borrowed: it keys the HMACs. Returns NULL with a message in err on a bad setting. */
struct media *media_new(const struct conf *conf, const struct jwt_keys *keys, struct buf *err);
void media_free(struct media *m);

/* Writes the n bytes at data to fd, through short writes and signals: 0, or -1 (errno set). */
int media_write_all(int fd, const void *data, size_t n);

/* Checks that the n bytes at url are the public URL of an object issued to user_id, and tells
 * its kind (an image or a video: the object key says which). Returns 0 with *kind, MEDIA_FORGED,
 * MEDIA_MISSING, or -1. */
int media_check_url(const struct media *m, uint64_t user_id, const char *url, size_t n,
    enum media_kind *kind);

/* Issues an upload for user_id of a file of kind with extension ext (lower case; MEDIA_BAD_EXT
 * otherwise) at time now (Unix seconds). Appends to put_url where the client PUTs the bytes
 * (valid [media] url_ttl seconds: until media_expires_at(m, now)) and to public_url the URL to
 * send as the post's media. s3: a SigV4 presigned PUT; local: [site] base_url +
 * "/api/v1/upload/local?key=...&expires=...&sig=...". Returns 0, MEDIA_BAD_EXT, MEDIA_OFF or -1
 * (both bufs unchanged then). */
int media_sign_upload(const struct media *m, uint64_t user_id, enum media_kind kind,
    const char *ext, int64_t now, struct buf *put_url, struct buf *public_url);
/* When a URL issued at now stops working. */
int64_t media_expires_at(const struct media *m, int64_t now);

/* Whether storage is local (starling-upload then takes PUTs; with s3 that route is a 404). */
bool media_is_local(const struct media *m);

/* Checks a local upload link: key, expires and sig as the query of the PUT URL carries them.
 * Returns 0 with *kind when the signature (current or previous key) matches, the key is well
 * formed and now <= expires; MEDIA_EXPIRED otherwise, MEDIA_NOT_LOCAL with s3 storage. */
int media_check_upload(const struct media *m, const char *key, const char *expires,
    const char *sig, int64_t now, enum media_kind *kind);

/* True when the n bytes at p start like a file of the extension ext of kind: JPEG FF D8 FF, PNG
 * its 8-byte signature, GIF "GIF87a" or "GIF89a", MP4 an "ftyp" box at offset 4 of at least 16
 * bytes. A fake can still pass (only the start is read); a text file named .png cannot. */
bool media_sniff(enum media_kind kind, const char *ext, const void *p, size_t n);

/*
 * Local storage: writes the n bytes at p as object key (as media_sign_upload made it) under
 * [media] local_dir, creating its directories. The size limit of the key's kind and the type are
 * checked first. The bytes go to a temporary file, which is then linked into place: a reader
 * never sees a half-written file, and a key is written at most once, whatever the concurrency.
 * Files are mode 0644 (the web server reads them). Returns 0, MEDIA_FORGED (a malformed key),
 * MEDIA_TOO_LARGE, MEDIA_BAD_TYPE, MEDIA_EXISTS, MEDIA_NOT_LOCAL, MEDIA_OFF or -1 (logged).
 */
int media_store_local(const struct media *m, const char *key, const void *p, size_t n);

/* For forms without JavaScript, which post the file itself: media_sign_upload, then
 * media_store_local, in one call. Appends the public URL to public_url on success. Returns 0 or
 * what those two return; MEDIA_NOT_LOCAL with s3 storage (the browser must PUT the file). */
int media_store_upload(const struct media *m, uint64_t user_id, enum media_kind kind,
    const char *ext, const void *p, size_t n, int64_t now, struct buf *public_url);

/* Appends the public URL of object key (as media_sign_upload made it) to out. */
void media_public_url(const struct media *m, const char *key, struct buf *out);

/* The API error of a refusal of media_store_local or media_store_upload (a MEDIA_* code) for a
 * file of kind and size n, with the message for the client appended to msg: 41300, 40014,
 * 40903, 50300 (storage off), 40004 (not taken here with s3 storage) or 50000 for anything else.
 * One table for every route that stores bytes. */
int media_apierr(const struct media *m, int rc, enum media_kind kind, const char *ext, size_t n,
    struct buf *msg);

/* ------------------------------------------------------------------------------------------ */
/* Processed images (local storage; docs/media.md, "Processing")
 *
 * starling-worker's media.process job (lib/social/mediajob.h) makes each uploaded image safe to
 * serve (lib/social/imgproc.h). Its files, for the key "images/D/N-M.ext" under [media] local_dir:
 *   images/D/N-M.ext          the upload as it came, until the job takes it
 *   images/D/.orig-N-M.ext    the upload once taken: kept (to process again), never served: every
 *                             web server set-up refuses names starting with a dot under /media/
 *   images/D/N-M.<px>.jpg     the sizes ([media] thumb_px, display_px), and .webp beside them
 *                             (an animated GIF: one animated .webp, at the display size);
 *                             the thumbnail's JPEG is written last, so it says they are all there
 * The state of an image is read from these files, not stored (media_image_view). */

/* Called with each key media_store_local stored, image or video (fn(arg, key)): the upload
 * binary and the forms queue an image's processing through it, and note every upload for the
 * clean-up (lib/social/mediajob.c installs it; lib/social/mediaclean.h). */
typedef void (*media_stored_fn)(void *arg, const char *key);
void media_on_stored(struct media *m, media_stored_fn fn, void *arg);

/* s3: the upload of key was used (a post or a profile took its URL): the first sign the server
 * has that the browser PUT it, since the bytes went to the store directly. Calls the
 * media_on_stored function, which queues an image's processing. Nothing with local storage
 * (media_store_local calls it there). */
void media_uploaded(const struct media *m, const char *key);

/* The prefix of an image's original in the bucket with s3 storage: the presigned PUT writes
 * "originals/images/D/N-M.ext", a key the bucket policy keeps private (docs/media.md), and the
 * worker writes the processed copies at "images/D/N-M.ext" and its sizes. */
#define MEDIA_S3_ORIGINALS "originals/"

struct s3obj_store;
/* s3: fills s with the store and its credentials (borrowed from m: valid while m is), each
 * request limited to timeout_ms. Returns false with local storage. */
bool media_s3_store(const struct media *m, long timeout_ms, struct s3obj_store *s);

/* The files of image key (as media_sign_upload made it): local paths, or with s3 the object keys
 * in the bucket (upload: the key itself, which the worker writes the processed copy at;
 * original: MEDIA_S3_ORIGINALS + key, where the browser PUT it; base and thumb the same way,
 * with no directory). */
struct media_files {
	struct buf upload;     /* the served name, as uploaded (s3: as processed) */
	struct buf original;   /* the hidden name (s3: the private original's key) */
	struct buf base;       /* the sizes' names without ".<px>.jpg" */
	struct buf thumb;      /* the thumbnail's JPEG: there once every size is (imgproc.h) */
	char       ext[5];
	int        thumb_px, display_px;
};
/* Fills f (media_files_free it, whatever the outcome). Returns 0, MEDIA_FORGED (not an image's
 * key) or MEDIA_OFF (local storage without local_dir). */
int media_files(const struct media *m, const char *key, struct media_files *f);
void media_files_free(struct media_files *f);

/* What a file of a day directory of local storage (images/D/ or videos/D/, kind says which)
 * is, by its name alone: starling-admin media-usage counts them. */
enum media_file {
	MEDIA_FILE_OTHER,     /* no name this module or the worker makes */
	MEDIA_FILE_UPLOAD,    /* a key's served name: as uploaded, or (an image processed) a hard
	                       * link to its display size's JPEG, with no bytes of its own */
	MEDIA_FILE_ORIGINAL,  /* an image's hidden original (".orig-") */
	MEDIA_FILE_SIZE,      /* a processed size: "<stem>.<px>.jpg" or ".webp" */
	MEDIA_FILE_TEMP,      /* ".upload-*" or ".proc-*": being written, or left by a crash */
};
/* Classifies name. For UPLOAD, ORIGINAL and SIZE appends the key's stem ("<nonce>-<mac>") to
 * stem; for UPLOAD and ORIGINAL copies the key's extension to ext (a size's name does not say
 * it: ext is then ""). */
enum media_file media_file_kind(enum media_kind kind, const char *name, struct buf *stem,
    char ext[5]);

/* The i-th extension kind takes ("jpg", "jpeg", "png", "gif"; "mp4"), or NULL past the last. */
const char *media_ext(enum media_kind kind, size_t i);

/* Appends to key the object key of url when url is the public URL of a well-formed key (the
 * mac is not checked: media_check_url does that for a new post). Returns 0 or MEDIA_FORGED. */
int media_url_key(const struct media *m, const char *url, struct buf *key);

/* Removes every local file of key: a video's file; an image's upload, sizes (both formats) and
 * hidden original (lib/social/mediaclean.h's sweep). A file already gone is fine, so running it
 * again is safe. Sizes of bounds other than the current [media] thumb_px and display_px (written
 * before a change of configuration) are not looked for. Returns 0, MEDIA_FORGED, MEDIA_NOT_LOCAL,
 * MEDIA_OFF or -1 (some file could not be removed; logged). */
int media_remove(const struct media *m, const char *key);

/* How a page or the API shows the image at url (a post's imageUrl): a new object
 *   {state: "ready", ready: true, src, full, srcset, webpSrcset (absent without WebP copies),
 *    sizes}
 *   {state: "processing", ready: false}  uploaded, its sizes not written yet
 *   {state: "failed", ready: false}  the worker refused it (not an image, a bomb, truncated)
 *                           and deleted it: nothing to show
 *   s3 storage: always {state: "ready", src, full, srcset, sizes}, the JPEG sizes only (the
 *                           store is not asked per page whether they are written yet)
 *   {state: "ready", ready: true, src, full}  not an upload's key (an older URL): as posted
 * src is the thumbnail's JPEG, full the display size's; srcset names both sizes with their
 * bounds as widths (for a smaller image both are the image's own size). An animated GIF (a
 * WebP at the display size, none at the thumbnail's: imgproc.h) adds animated: true, and its
 * webpSrcset names that one animated WebP; its JPEGs are the first frame. */
json_object *media_image_view(const struct media *m, const char *url);

/* The largest file of kind, in bytes ([media] max_image_bytes, max_video_bytes). */
size_t media_max_bytes(const struct media *m, enum media_kind kind);

#endif
