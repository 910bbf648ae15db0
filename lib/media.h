/* media.h: images and videos: presigned upload URLs, and the check that a post's media URL is
 * one this server issued.
 *
 * The bytes never pass through the binaries that serve pages and the API: a client asks
 * upload/sign_image or upload/sign_video for a URL, PUTs the file there, then sends the public
 * URL with its post. Two storages, [media] storage (docs/media.md):
 *   - s3: the PUT URL is an AWS Signature Version 4 presigned URL (lib/sigv4.h) for an
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

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "conf.h"
#include "jwt.h"

struct media;

enum media_kind { MEDIA_IMAGE, MEDIA_VIDEO };

/* Refusals of media_check_url. */
#define MEDIA_FORGED   1  /* not a URL this server issued to this user for this kind */
#define MEDIA_MISSING  2  /* local storage: issued, but the file was never uploaded */

/* Reads [media] from conf (and, for s3, the secret key file, which must not be world-readable).
 * keys is borrowed: it keys the HMACs. Returns NULL with a message in err on a bad setting. */
struct media *media_new(const struct conf *conf, const struct jwt_keys *keys, struct buf *err);
void media_free(struct media *m);

/* Checks that the n bytes at url are the public URL of an object issued to user_id, and tells
 * its kind (an image or a video: the object key says which). Returns 0 with *kind, MEDIA_FORGED,
 * MEDIA_MISSING, or -1. */
int media_check_url(const struct media *m, uint64_t user_id, const char *url, size_t n,
    enum media_kind *kind);

#endif
