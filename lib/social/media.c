/* media.c: upload URLs that prove who they were issued to, type sniffing, and local storage. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "apierr.h"
#include "log.h"
#include "media.h"
#include "s3obj.h"
#include "sigv4.h"
#include "xalloc.h"

/* Random bytes of a key's nonce: 96 bits, so two uploads never pick the same key by chance. */
#define NONCE_BYTES 12
#define NONCE_HEX (2 * NONCE_BYTES)
/* Hex digits kept of an HMAC-SHA256: 128 bits, beyond any guessing, and a shorter URL. */
#define MAC_HEX 32
/* The jwt_derive_key label: media MACs are made with a key of their own, never the token key. */
#define KEY_LABEL "starling-media"
/* The first part of each HMAC input, so a key's mac can never serve as an upload link's sig. */
#define OBJECT_DOMAIN "object"
#define UPLOAD_DOMAIN "upload"
/* The route of local uploads (cgi-bin/upload). */
#define LOCAL_UPLOAD_PATH "/api/v1/upload/local"
/* An S3 secret access key is 40 characters; the file may hold a newline more. */
#define SECRET_FILE_MAX 256

static const char hexdigits[] = "0123456789abcdef";

static const char *const image_exts[] = { "jpg", "jpeg", "png", "gif", NULL };
static const char *const video_exts[] = { "mp4", NULL };

struct media {
	bool           local;
	unsigned char  keys[2][JWT_DERIVED_LEN];  /* derived from the current and previous key */
	int            nkeys;
	long           url_ttl;
	size_t         max_image, max_video;
	char          *prefix;       /* public URL of a key without the key: ".../media/" */
	/* local */
	char          *local_dir;    /* "" when not set: uploads are off */
	char          *upload_url;   /* base_url + LOCAL_UPLOAD_PATH */
	int            thumb_px, display_px;   /* processed sizes' bounds */
	media_stored_fn stored;       /* media_on_stored */
	void          *stored_arg;
	/* s3 */
	char          *endpoint, *region, *bucket, *access_key_id, *secret;
	bool           path_style;
};

/* A key's parts, parsed: "images/20240102/<nonce>-<mac>.png". */
struct key_parts {
	enum media_kind kind;
	char            date[9];
	char            nonce[NONCE_HEX + 1];
	char            mac[MAC_HEX + 1];
	char            ext[5];
};

static const char *
kind_dir(enum media_kind kind)
{
	return kind == MEDIA_VIDEO ? "videos" : "images";
}

static bool
ext_allowed(enum media_kind kind, const char *ext, size_t n)
{
	const char *const *e;

	for (e = kind == MEDIA_VIDEO ? video_exts : image_exts; *e != NULL; e++)
		if (strlen(*e) == n && memcmp(*e, ext, n) == 0)
			return true;
	return false;
}

/* n lower-case hex digits at s. */
static bool
is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* Parses exactly the n bytes at s as a key this module makes; anything else (a query string, a
 * "..", an upper-case letter, another extension) is not one. */
static bool
parse_key(const char *s, size_t n, struct key_parts *k)
{
	size_t i, extlen;

	if (n < 7 + 9 + NONCE_HEX + 1 + MAC_HEX + 2 || n > MEDIA_KEY_MAX)
		return false;
	if (memcmp(s, "images/", 7) == 0)
		k->kind = MEDIA_IMAGE;
	else if (memcmp(s, "videos/", 7) == 0)
		k->kind = MEDIA_VIDEO;
	else
		return false;
	s += 7;
	n -= 7;
	for (i = 0; i < 8; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	if (s[8] != '/')
		return false;
	memcpy(k->date, s, 8);
	k->date[8] = '\0';
	s += 9;
	n -= 9;
	if (!is_hex(s, NONCE_HEX) || s[NONCE_HEX] != '-')
		return false;
	memcpy(k->nonce, s, NONCE_HEX);
	k->nonce[NONCE_HEX] = '\0';
	s += NONCE_HEX + 1;
	n -= NONCE_HEX + 1;
	if (!is_hex(s, MAC_HEX) || s[MAC_HEX] != '.')
		return false;
	memcpy(k->mac, s, MAC_HEX);
	k->mac[MAC_HEX] = '\0';
	s += MAC_HEX + 1;
	extlen = n - MAC_HEX - 1;
	if (extlen >= sizeof k->ext || !ext_allowed(k->kind, s, extlen))
		return false;
	memcpy(k->ext, s, extlen);
	k->ext[extlen] = '\0';
	return true;
}

/* HMAC-SHA256 of the n bytes at p under key, as MAC_HEX hex digits and a NUL. */
static int
mac_hex(const unsigned char key[JWT_DERIVED_LEN], const void *p, size_t n,
    char out[MAC_HEX + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	size_t i;

	if (HMAC(EVP_sha256(), key, JWT_DERIVED_LEN, p, n, md, &len) == NULL ||
	    len < MAC_HEX / 2)
		return -1;
	for (i = 0; i < MAC_HEX / 2; i++) {
		out[2 * i] = hexdigits[md[i] >> 4];
		out[2 * i + 1] = hexdigits[md[i] & 0xf];
	}
	out[MAC_HEX] = '\0';
	return 0;
}

/* The mac of a key: over the user id, kind, date, nonce and ext, NUL-separated so that no two
 * different tuples give the same input. */
static int
object_mac(const unsigned char key[JWT_DERIVED_LEN], uint64_t user_id, const struct key_parts *k,
    char out[MAC_HEX + 1])
{
	struct buf msg = BUF_INIT;
	int rc;

	buf_puts(&msg, OBJECT_DOMAIN);
	buf_printf(&msg, "%c%" PRIu64 "%c%s%c%s%c%s%c%s", 0, user_id, 0, kind_dir(k->kind), 0,
	    k->date, 0, k->nonce, 0, k->ext);
	rc = mac_hex(key, msg.data, msg.len, out);
	buf_free(&msg);
	return rc;
}

/* The sig of a local upload link: over the key and its expiry time. */
static int
upload_mac(const unsigned char key[JWT_DERIVED_LEN], const char *objkey, const char *expires,
    char out[MAC_HEX + 1])
{
	struct buf msg = BUF_INIT;
	int rc;

	buf_puts(&msg, UPLOAD_DOMAIN);
	buf_printf(&msg, "%c%s%c%s", 0, objkey, 0, expires);
	rc = mac_hex(key, msg.data, msg.len, out);
	buf_free(&msg);
	return rc;
}

/* Whether want (MAC_HEX digits) is the mac under one of the keys, made by calc. Constant time
 * for each key: the time taken says nothing of how many digits were right. */
static bool
mac_matches(const struct media *m, const char *want,
    int (*calc)(const unsigned char *, const void *, char *), const void *arg)
{
	char got[MAC_HEX + 1];
	int i;

	for (i = 0; i < m->nkeys; i++)
		if (calc(m->keys[i], arg, got) == 0 && CRYPTO_memcmp(got, want, MAC_HEX) == 0)
			return true;
	return false;
}

/* ------------------------------------------------------------------------------------------ */
/* Set-up */

/* A copy of s without trailing slashes. */
static char *
dup_trimmed(const char *s)
{
	size_t n = strlen(s);

	while (n > 0 && s[n - 1] == '/')
		n--;
	return xstrndup(s, n);
}

/* local_url: a path ("/media") or an absolute http(s) URL, with nothing a URL would have to
 * escape, and no query or fragment (keys are appended to it). */
static bool
valid_url_prefix(const char *s)
{
	size_t n = strlen(s);

	if (n > 0 && s[0] != '/' && strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0)
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	    "-._~:/@!$&'()*+,;=%[]") == n;
}

/* Reads the S3 secret key file: not readable by others, like the token key file. */
static int
read_secret(const char *path, char **out, struct buf *err)
{
	struct buf b = BUF_INIT;
	struct stat st;
	int rc = -1;

	if (stat(path, &st) != 0) {
		buf_printf(err, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (st.st_mode & S_IRWXO) {
		buf_printf(err, "%s: other users may read or write this key file; chmod 600 (or 640) it",
		    path);
		goto out;
	}
	if (buf_read_file(&b, path, SECRET_FILE_MAX, err) != 0)
		goto out;
	while (b.len > 0 && strchr("\r\n \t", b.data[b.len - 1]) != NULL)
		b.data[--b.len] = '\0';
	if (b.len == 0 || memchr(b.data, '\0', b.len) != NULL) {
		buf_printf(err, "%s: the secret access key is empty or not text", path);
		goto out;
	}
	*out = xmemdup(b.data, b.len);
	rc = 0;
out:
	OPENSSL_cleanse(b.data, b.cap);
	buf_free(&b);
	return rc;
}

static int
setup_local(struct media *m, const struct conf *conf, struct buf *err)
{
	char *base;

	if (conf->media_local_dir[0] != '\0' && conf->media_local_dir[0] != '/') {
		buf_printf(err, "[media] local_dir must be an absolute path");
		return -1;
	}
	if (!valid_url_prefix(conf->media_local_url)) {
		buf_printf(err, "[media] local_url must be a path (/media) or an http(s) URL, without "
		    "characters a URL would escape");
		return -1;
	}
	m->local_dir = dup_trimmed(conf->media_local_dir);
	base = dup_trimmed(conf->media_local_url);
	m->prefix = xmalloc(strlen(base) + 2);
	memcpy(m->prefix, base, strlen(base));
	memcpy(m->prefix + strlen(base), "/", 2);
	free(base);
	base = dup_trimmed(conf->base_url);
	m->upload_url = xmalloc(strlen(base) + sizeof LOCAL_UPLOAD_PATH);
	memcpy(m->upload_url, base, strlen(base));
	memcpy(m->upload_url + strlen(base), LOCAL_UPLOAD_PATH, sizeof LOCAL_UPLOAD_PATH);
	free(base);
	return 0;
}

static int
setup_s3(struct media *m, const struct conf *conf, struct buf *err)
{
	struct sigv4_request r = { "PUT", conf->media_s3_endpoint, conf->media_s3_region,
	    conf->media_s3_bucket, conf->media_s3_path_style, "k", NULL, NULL, 0, 1 };
	struct buf url = BUF_INIT;
	int rc = -1;

	if (conf->media_s3_bucket[0] == '\0' || conf->media_s3_access_key_id[0] == '\0' ||
	    conf->media_s3_secret_key_file[0] == '\0') {
		buf_printf(err, "[media] storage = s3 needs s3_bucket, s3_access_key_id and "
		    "s3_secret_key_file");
		goto out;
	}
	if (sigv4_object_url(&r, &url, err) != 0)
		goto out;
	if (conf->media_s3_public_url[0] != '\0') {
		if (!valid_url_prefix(conf->media_s3_public_url) ||
		    conf->media_s3_public_url[0] == '/') {
			buf_printf(err, "[media] s3_public_url must be an http(s) URL");
			goto out;
		}
		buf_reset(&url);
		buf_puts(&url, conf->media_s3_public_url);
		while (url.len > 0 && url.data[url.len - 1] == '/')
			url.data[--url.len] = '\0';
		buf_puts(&url, "/k");
	}
	url.data[--url.len] = '\0';   /* drop the "k": what remains is the prefix of every key */
	m->prefix = buf_detach(&url);
	if (read_secret(conf->media_s3_secret_key_file, &m->secret, err) != 0)
		goto out;
	m->endpoint = xstrdup(conf->media_s3_endpoint);
	m->region = xstrdup(conf->media_s3_region);
	m->bucket = xstrdup(conf->media_s3_bucket);
	m->access_key_id = xstrdup(conf->media_s3_access_key_id);
	m->path_style = conf->media_s3_path_style;
	rc = 0;
out:
	buf_free(&url);
	return rc;
}

struct media *
media_new(const struct conf *conf, const struct jwt_keys *keys, struct buf *err)
{
	struct media *m = xcalloc(1, sizeof *m);
	int rc;

	if (jwt_derive_key(keys, false, KEY_LABEL, m->keys[0]) != 0) {
		buf_printf(err, "cannot derive the media key");
		goto fail;
	}
	m->nkeys = 1;
	rc = jwt_derive_key(keys, true, KEY_LABEL, m->keys[1]);
	if (rc < 0) {
		buf_printf(err, "cannot derive the media key");
		goto fail;
	}
	if (rc == 0)
		m->nkeys = 2;
	m->url_ttl = conf->media_url_ttl;
	m->max_image = (size_t)conf->media_max_image_bytes;
	m->max_video = (size_t)conf->media_max_video_bytes;
	m->thumb_px = (int)conf->media_thumb_px;
	m->display_px = (int)conf->media_display_px;
	if (strcmp(conf->media_storage, "local") == 0) {
		m->local = true;
		if (setup_local(m, conf, err) != 0)
			goto fail;
	} else if (strcmp(conf->media_storage, "s3") == 0) {
		if (setup_s3(m, conf, err) != 0)
			goto fail;
	} else {
		buf_printf(err, "[media] storage must be local or s3");
		goto fail;
	}
	return m;
fail:
	media_free(m);
	return NULL;
}

void
media_free(struct media *m)
{
	if (m == NULL)
		return;
	OPENSSL_cleanse(m->keys, sizeof m->keys);
	if (m->secret != NULL)
		OPENSSL_cleanse(m->secret, strlen(m->secret));
	free(m->secret);
	free(m->prefix);
	free(m->local_dir);
	free(m->upload_url);
	free(m->endpoint);
	free(m->region);
	free(m->bucket);
	free(m->access_key_id);
	free(m);
}

bool
media_is_local(const struct media *m)
{
	return m->local;
}

void
media_public_url(const struct media *m, const char *key, struct buf *out)
{
	buf_puts(out, m->prefix);
	buf_puts(out, key);
}

size_t
media_max_bytes(const struct media *m, enum media_kind kind)
{
	return kind == MEDIA_VIDEO ? m->max_video : m->max_image;
}

int
media_apierr(const struct media *m, int rc, enum media_kind kind, const char *ext, size_t n,
    struct buf *msg)
{
	switch (rc) {
	case MEDIA_TOO_LARGE:
		buf_printf(msg, "the file is %zu bytes; the limit for %s is %zu", n,
		    kind == MEDIA_VIDEO ? "videos" : "images", media_max_bytes(m, kind));
		return APIERR_TOO_LARGE;
	case MEDIA_BAD_TYPE:
	case MEDIA_BAD_EXT:
		buf_printf(msg, "the bytes are not a %s file", ext);
		return APIERR_MEDIA_TYPE;
	case MEDIA_EXISTS:
		buf_puts(msg, "this upload URL was used already; ask for a new one");
		return APIERR_UPLOAD_EXISTS;
	case MEDIA_OFF:
		buf_puts(msg, "uploads are off: [media] local_dir is not set");
		return APIERR_UNAVAILABLE;
	case MEDIA_NOT_LOCAL:
		buf_puts(msg, "files go straight to the object store here: upload them with "
		    "upload/sign_image or upload/sign_video");
		return APIERR_INVALID_PARAM;
	default:
		buf_puts(msg, apierr_message(APIERR_INTERNAL));
		return APIERR_INTERNAL;
	}
}

int64_t
media_expires_at(const struct media *m, int64_t now)
{
	return now + m->url_ttl;
}

/* ------------------------------------------------------------------------------------------ */
/* Issuing and checking */

/* Adapters for mac_matches. */
struct object_arg {
	uint64_t                user_id;
	const struct key_parts *k;
};

static int
calc_object(const unsigned char *key, const void *arg, char *out)
{
	const struct object_arg *a = arg;

	return object_mac(key, a->user_id, a->k, out);
}

struct upload_arg {
	const char *key, *expires;
};

static int
calc_upload(const unsigned char *key, const void *arg, char *out)
{
	const struct upload_arg *a = arg;

	return upload_mac(key, a->key, a->expires, out);
}

/* Makes a new key for user_id into key. Returns 0, MEDIA_BAD_EXT or -1. */
static int
new_key(const struct media *m, uint64_t user_id, enum media_kind kind, const char *ext,
    int64_t now, struct buf *key)
{
	unsigned char raw[NONCE_BYTES];
	struct key_parts k;
	time_t t = (time_t)now;
	struct tm tm;
	size_t i;

	if (ext == NULL || !ext_allowed(kind, ext, strlen(ext)))
		return MEDIA_BAD_EXT;
	if (user_id == 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(k.date, sizeof k.date, "%Y%m%d", &tm) != 8) {
		log_error("media: no key for user %" PRIu64 " at %" PRId64, user_id, now);
		return -1;
	}
	if (RAND_bytes(raw, sizeof raw) != 1) {
		log_error("media: no randomness for a key");
		return -1;
	}
	for (i = 0; i < NONCE_BYTES; i++) {
		k.nonce[2 * i] = hexdigits[raw[i] >> 4];
		k.nonce[2 * i + 1] = hexdigits[raw[i] & 0xf];
	}
	k.nonce[NONCE_HEX] = '\0';
	k.kind = kind;
	snprintf(k.ext, sizeof k.ext, "%s", ext);
	if (object_mac(m->keys[0], user_id, &k, k.mac) != 0) {
		log_error("media: HMAC failed");
		return -1;
	}
	buf_printf(key, "%s/%s/%s-%s.%s", kind_dir(kind), k.date, k.nonce, k.mac, k.ext);
	return 0;
}

int
media_sign_upload(const struct media *m, uint64_t user_id, enum media_kind kind,
    const char *ext, int64_t now, struct buf *put_url, struct buf *public_url)
{
	struct buf key = BUF_INIT, put = BUF_INIT, err = BUF_INIT;
	char expires[24], sig[MAC_HEX + 1];
	int rc;

	if (ext == NULL || !ext_allowed(kind, ext, strlen(ext)))
		return MEDIA_BAD_EXT;
	if (m->local && m->local_dir[0] == '\0')
		return MEDIA_OFF;
	rc = new_key(m, user_id, kind, ext, now, &key);
	if (rc != 0)
		goto out;
	rc = -1;
	if (m->local) {
		snprintf(expires, sizeof expires, "%" PRId64, media_expires_at(m, now));
		if (upload_mac(m->keys[0], buf_cstr(&key), expires, sig) != 0) {
			log_error("media: HMAC failed");
			goto out;
		}
		buf_printf(&put, "%s?key=", m->upload_url);
		sigv4_uri_encode(key.data, key.len, true, &put);
		buf_printf(&put, "&expires=%s&sig=%s", expires, sig);
	} else {
		struct buf obj = BUF_INIT;
		struct sigv4_request r = { "PUT", m->endpoint, m->region, m->bucket, m->path_style,
		    NULL, m->access_key_id, m->secret, now, m->url_ttl };

		/* An image goes to its private original's key (never public: docs/media.md), a video
		 * to its public key (videos are served as they come). */
		if (kind == MEDIA_IMAGE)
			buf_puts(&obj, MEDIA_S3_ORIGINALS);
		buf_append(&obj, key.data, key.len);
		r.key = buf_cstr(&obj);
		rc = sigv4_presign(&r, &put, NULL, &err);
		buf_free(&obj);
		rc = rc == 0 ? 0 : -1;
		if (rc != 0) {
			log_error("media: cannot presign: %s", buf_cstr(&err));
			goto out;
		}
	}
	buf_append(put_url, put.data, put.len);
	buf_puts(public_url, m->prefix);
	buf_append(public_url, key.data, key.len);
	rc = 0;
out:
	buf_free(&key);
	buf_free(&put);
	buf_free(&err);
	return rc;
}

/* Whether the image of the n bytes at key (not found at its upload name) was taken by the
 * worker already: its hidden original or its sizes are there. A post made seconds after its
 * upload must not fail because the worker was quicker. */
static bool
taken_by_worker(const struct media *m, const char *key, size_t n)
{
	struct media_files f;
	struct buf k = BUF_INIT;
	bool taken = false;

	buf_append(&k, key, n);
	if (media_files(m, buf_cstr(&k), &f) == 0)
		taken = access(buf_cstr(&f.original), F_OK) == 0 || access(buf_cstr(&f.thumb), F_OK) == 0;
	media_files_free(&f);
	buf_free(&k);
	return taken;
}

int
media_check_url(const struct media *m, uint64_t user_id, const char *url, size_t n,
    enum media_kind *kind)
{
	size_t plen = strlen(m->prefix);
	struct object_arg arg;
	struct key_parts k;
	struct buf path = BUF_INIT;
	struct stat st;
	int rc = MEDIA_FORGED;

	if (url == NULL || user_id == 0 || n <= plen || memcmp(url, m->prefix, plen) != 0 ||
	    !parse_key(url + plen, n - plen, &k))
		goto out;
	arg.user_id = user_id;
	arg.k = &k;
	if (!mac_matches(m, k.mac, calc_object, &arg))
		goto out;
	if (m->local) {
		/* Issued, but was it uploaded? A post must not show a broken image. */
		buf_printf(&path, "%s/", m->local_dir);
		buf_append(&path, url + plen, n - plen);
		if (m->local_dir[0] == '\0' || ((stat(buf_cstr(&path), &st) != 0 ||
		    !S_ISREG(st.st_mode)) && !taken_by_worker(m, url + plen, n - plen))) {
			rc = MEDIA_MISSING;
			goto out;
		}
	}
	*kind = k.kind;
	rc = 0;
out:
	buf_free(&path);
	return rc;
}

int
media_check_upload(const struct media *m, const char *key, const char *expires,
    const char *sig, int64_t now, enum media_kind *kind)
{
	struct upload_arg arg = { key, expires };
	struct key_parts k;
	size_t elen;
	int64_t when = 0;

	if (!m->local)
		return MEDIA_NOT_LOCAL;
	if (key == NULL || expires == NULL || sig == NULL || !parse_key(key, strlen(key), &k))
		return MEDIA_EXPIRED;
	elen = strlen(expires);
	/* 18 digits cannot overflow an int64_t; a real expiry time has 10. */
	if (elen == 0 || elen > 18 || strspn(expires, "0123456789") != elen ||
	    strlen(sig) != MAC_HEX || !is_hex(sig, MAC_HEX))
		return MEDIA_EXPIRED;
	if (!mac_matches(m, sig, calc_upload, &arg))
		return MEDIA_EXPIRED;
	for (; *expires != '\0'; expires++)
		when = when * 10 + (*expires - '0');
	if (now > when)
		return MEDIA_EXPIRED;
	*kind = k.kind;
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Bytes */

bool
media_sniff(enum media_kind kind, const char *ext, const void *p, size_t n)
{
	static const unsigned char png[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	const unsigned char *b = p;
	uint32_t box;

	if (ext == NULL || !ext_allowed(kind, ext, strlen(ext)) || p == NULL)
		return false;
	if (strcmp(ext, "jpg") == 0 || strcmp(ext, "jpeg") == 0)
		return n >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff;
	if (strcmp(ext, "png") == 0)
		return n >= sizeof png && memcmp(b, png, sizeof png) == 0;
	if (strcmp(ext, "gif") == 0)
		return n >= 6 && (memcmp(b, "GIF87a", 6) == 0 || memcmp(b, "GIF89a", 6) == 0);
	/* mp4: the file starts with its ftyp box: a 32-bit big-endian size, "ftyp", the major brand
	 * and minor version, then whole 4-byte compatible brands, all within the file. */
	if (n < MEDIA_SNIFF_MIN || memcmp(b + 4, "ftyp", 4) != 0)
		return false;
	box = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	return box >= 16 && box <= n && box % 4 == 0;
}

/* Makes dir unless it exists. */
static int
make_dir(const char *dir)
{
	if (mkdir(dir, 0755) == 0 || errno == EEXIST)
		return 0;
	log_error("media: cannot create %s: %s", dir, strerror(errno));
	return -1;
}

int
media_write_all(int fd, const void *data, size_t n)
{
	const unsigned char *p = data;
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Whether the stored files are this process's to write and remove: 0, MEDIA_NOT_LOCAL with s3
 * storage (the bytes are the bucket's), MEDIA_OFF with local storage but no local_dir (a path
 * made from "" would be relative to wherever the process runs). */
static int
files_here(const struct media *m)
{
	if (!m->local)
		return MEDIA_NOT_LOCAL;
	return m->local_dir[0] == '\0' ? MEDIA_OFF : 0;
}

int
media_store_local(const struct media *m, const char *key, const void *p, size_t n)
{
	struct buf dir = BUF_INIT, tmp = BUF_INIT, dst = BUF_INIT;
	struct key_parts k;
	int fd = -1, rc = files_here(m);
	bool created = false;

	if (rc != 0)
		return rc;
	rc = -1;   /* what each failure from here to the link answers */
	if (key == NULL || !parse_key(key, strlen(key), &k))
		return MEDIA_FORGED;
	if (n > media_max_bytes(m, k.kind))
		return MEDIA_TOO_LARGE;
	if (!media_sniff(k.kind, k.ext, p, n))
		return MEDIA_BAD_TYPE;
	buf_printf(&dir, "%s/%s", m->local_dir, kind_dir(k.kind));
	if (make_dir(buf_cstr(&dir)) != 0)
		goto out;
	buf_printf(&dir, "/%s", k.date);
	if (make_dir(buf_cstr(&dir)) != 0)
		goto out;
	/* The temporary file sits beside its final name, so link() stays within one file system. */
	buf_printf(&tmp, "%s/.upload-XXXXXX", buf_cstr(&dir));
	buf_printf(&dst, "%s/%s", m->local_dir, key);
	fd = mkstemp(tmp.data);
	if (fd < 0) {
		log_error("media: cannot create a file in %s: %s", buf_cstr(&dir), strerror(errno));
		goto out;
	}
	created = true;
	if (media_write_all(fd, p, n) != 0 || fchmod(fd, 0644) != 0 || fsync(fd) != 0) {
		log_error("media: cannot write %s: %s", buf_cstr(&tmp), strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		log_error("media: cannot write %s: %s", buf_cstr(&tmp), strerror(errno));
		goto out;
	}
	fd = -1;
	/* link() fails with EEXIST rather than replace: the first upload of a key wins for good. */
	if (link(tmp.data, buf_cstr(&dst)) != 0) {
		if (errno == EEXIST)
			rc = MEDIA_EXISTS;
		else
			log_error("media: cannot link %s: %s", buf_cstr(&dst), strerror(errno));
		goto out;
	}
	/* The worker may have taken the first upload of this key out of the served tree already
	 * (media.h): the key is written once all the same. Checked after the link, so it is never
	 * missed: the worker removes the served name only once the hidden one exists. */
	if (k.kind == MEDIA_IMAGE && taken_by_worker(m, key, strlen(key))) {
		if (unlink(buf_cstr(&dst)) != 0)
			log_warn("media: cannot remove %s: %s", buf_cstr(&dst), strerror(errno));
		rc = MEDIA_EXISTS;
		goto out;
	}
	rc = 0;
	if (m->stored != NULL)
		m->stored(m->stored_arg, key);
out:
	if (fd >= 0)
		close(fd);
	/* The temporary name goes whatever happened; once linked, the file lives on as the key. */
	if (created && unlink(tmp.data) != 0)
		log_warn("media: cannot remove %s: %s", tmp.data, strerror(errno));
	buf_free(&dir);
	buf_free(&tmp);
	buf_free(&dst);
	return rc;
}

int
media_store_upload(const struct media *m, uint64_t user_id, enum media_kind kind,
    const char *ext, const void *p, size_t n, int64_t now, struct buf *public_url)
{
	struct buf key = BUF_INIT;
	int rc;

	if ((rc = files_here(m)) != 0)
		return rc;
	rc = new_key(m, user_id, kind, ext, now, &key);
	if (rc == 0)
		rc = media_store_local(m, buf_cstr(&key), p, n);
	if (rc == 0) {
		buf_puts(public_url, m->prefix);
		buf_append(public_url, key.data, key.len);
	}
	buf_free(&key);
	return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Processed images */

void
media_on_stored(struct media *m, media_stored_fn fn, void *arg)
{
	m->stored = fn;
	m->stored_arg = arg;
}

void
media_uploaded(const struct media *m, const char *key)
{
	if (!m->local && m->stored != NULL)
		m->stored(m->stored_arg, key);
}

bool
media_s3_store(const struct media *m, long timeout_ms, struct s3obj_store *s)
{
	if (m->local)
		return false;
	*s = (struct s3obj_store){
		.endpoint = m->endpoint, .region = m->region, .bucket = m->bucket,
		.path_style = m->path_style, .access_key_id = m->access_key_id,
		.secret_key = m->secret, .timeout_ms = timeout_ms,
	};
	return true;
}

int
media_files(const struct media *m, const char *key, struct media_files *f)
{
	struct key_parts k;
	size_t dir;

	memset(f, 0, sizeof *f);
	if (m->local && m->local_dir[0] == '\0')
		return MEDIA_OFF;
	if (key == NULL || !parse_key(key, strlen(key), &k) || k.kind != MEDIA_IMAGE)
		return MEDIA_FORGED;
	dir = strlen("images/") + 9;   /* "images/YYYYMMDD/" */
	if (m->local) {
		buf_printf(&f->upload, "%s/%s", m->local_dir, key);
		buf_printf(&f->original, "%s/%.*s.orig-%s", m->local_dir, (int)dir, key, key + dir);
		buf_printf(&f->base, "%s/%.*s", m->local_dir, (int)(strlen(key) - strlen(k.ext) - 1),
		    key);
	} else {
		buf_puts(&f->upload, key);
		buf_printf(&f->original, MEDIA_S3_ORIGINALS "%s", key);
		buf_printf(&f->base, "%.*s", (int)(strlen(key) - strlen(k.ext) - 1), key);
	}
	buf_printf(&f->thumb, "%s.%d.jpg", buf_cstr(&f->base), m->thumb_px);
	snprintf(f->ext, sizeof f->ext, "%s", k.ext);
	f->thumb_px = m->thumb_px;
	f->display_px = m->display_px;
	return 0;
}

void
media_files_free(struct media_files *f)
{
	if (f == NULL)
		return;
	buf_free(&f->upload);
	buf_free(&f->original);
	buf_free(&f->base);
	buf_free(&f->thumb);
}

/* The path of one size of f: base.<px>.<type> (lib/social/imgproc.h names them so). */
static void
size_path(const struct media_files *f, int px, const char *type, struct buf *out)
{
	buf_printf(out, "%s.%d.%s", buf_cstr(&f->base), px, type);
}

/* Whether the n bytes at s are "<nonce>-<mac>", a key's stem. */
static bool
is_stem(const char *s, size_t n)
{
	return n == NONCE_HEX + 1 + MAC_HEX && is_hex(s, NONCE_HEX) && s[NONCE_HEX] == '-' &&
	    is_hex(s + NONCE_HEX + 1, MAC_HEX);
}

/* Whether s is a size's suffix: "<px>.jpg" or "<px>.webp", px digits. */
static bool
is_size_suffix(const char *s)
{
	size_t d = strspn(s, "0123456789");

	return d > 0 && d < 6 && (strcmp(s + d, ".jpg") == 0 || strcmp(s + d, ".webp") == 0);
}

const char *
media_ext(enum media_kind kind, size_t i)
{
	const char *const *v = kind == MEDIA_IMAGE ? image_exts : video_exts;
	size_t n = 0;

	while (v[n] != NULL)
		n++;
	return i < n ? v[i] : NULL;
}

enum media_file
media_file_kind(enum media_kind kind, const char *name, struct buf *stem, char ext[5])
{
	const char *s = name, *dot;
	bool orig = false;
	size_t n;

	ext[0] = '\0';
	if (strncmp(name, ".upload-", 8) == 0 || strncmp(name, ".proc-", 6) == 0)
		return MEDIA_FILE_TEMP;
	if (kind == MEDIA_IMAGE && strncmp(name, ".orig-", 6) == 0) {
		s += 6;
		orig = true;
	}
	if ((dot = strchr(s, '.')) == NULL || !is_stem(s, (size_t)(dot - s)))
		return MEDIA_FILE_OTHER;
	n = (size_t)(dot - s);
	if (!orig && kind == MEDIA_IMAGE && is_size_suffix(dot + 1)) {
		buf_append(stem, s, n);
		return MEDIA_FILE_SIZE;
	}
	if (strlen(dot + 1) >= 5 || !ext_allowed(kind, dot + 1, strlen(dot + 1)))
		return MEDIA_FILE_OTHER;
	buf_append(stem, s, n);
	memcpy(ext, dot + 1, strlen(dot + 1) + 1);
	return orig ? MEDIA_FILE_ORIGINAL : MEDIA_FILE_UPLOAD;
}

int
media_url_key(const struct media *m, const char *url, struct buf *key)
{
	size_t plen = strlen(m->prefix), n = url ? strlen(url) : 0;
	struct key_parts k;

	if (n <= plen || memcmp(url, m->prefix, plen) != 0 || !parse_key(url + plen, n - plen, &k))
		return MEDIA_FORGED;
	buf_append(key, url + plen, n - plen);
	return 0;
}

/* Removes the file at path; one already gone is fine. Returns 0 or -1 (logged). */
static int
remove_path(const struct buf *path)
{
	if (unlink(buf_cstr(path)) == 0 || errno == ENOENT)
		return 0;
	log_error("media: cannot remove %s: %s", buf_cstr(path), strerror(errno));
	return -1;
}

/* Removes every file of image f, in the order that keeps what a page reads consistent: the
 * served name first (it stops serving at once), then the thumbnail's JPEG (from then on
 * media_image_view says "failed", so no page links a size being removed), then the other
 * sizes, the original last. */
static int
remove_image(const struct media_files *f)
{
	static const char *const types[] = { "webp", "jpg" };
	struct buf p = BUF_INIT;
	int px[2] = { f->thumb_px, f->display_px };
	int rc = 0;
	size_t i, j;

	if (remove_path(&f->upload) != 0 || remove_path(&f->thumb) != 0)
		rc = -1;
	for (i = 0; i < 2; i++)
		for (j = 0; j < sizeof types / sizeof types[0]; j++) {
			buf_reset(&p);
			size_path(f, px[i], types[j], &p);
			if (remove_path(&p) != 0)
				rc = -1;
		}
	if (remove_path(&f->original) != 0)
		rc = -1;
	buf_free(&p);
	return rc;
}

int
media_remove(const struct media *m, const char *key)
{
	struct media_files f;
	struct key_parts k;
	struct buf p = BUF_INIT;
	int rc;

	if ((rc = files_here(m)) != 0)
		return rc;
	if (key == NULL || !parse_key(key, strlen(key), &k))
		return MEDIA_FORGED;
	if (k.kind == MEDIA_VIDEO) {
		buf_printf(&p, "%s/%s", m->local_dir, key);
		rc = remove_path(&p);
		buf_free(&p);
		return rc;
	}
	rc = media_files(m, key, &f);
	if (rc == 0)
		rc = remove_image(&f);
	media_files_free(&f);
	return rc;
}

/* Appends "URL px" of one size: url is the posted URL, whose ".ext" is replaced. */
static void
size_url(const char *url, const char *ext, int px, const char *type, struct buf *out)
{
	buf_printf(out, "%.*s.%d.%s", (int)(strlen(url) - strlen(ext) - 1), url, px, type);
}

/* The "URL 640w, URL 1600w" of one type. */
static void
srcset(const struct media_files *f, const char *url, const char *type, struct buf *out)
{
	size_url(url, f->ext, f->thumb_px, type, out);
	buf_printf(out, " %dw, ", f->thumb_px);
	size_url(url, f->ext, f->display_px, type, out);
	buf_printf(out, " %dw", f->display_px);
}

static void
add_buf(json_object *o, const char *name, const struct buf *b)
{
	json_object_object_add(o, name, json_object_new_string_len(b->len ? b->data : "",
	    (int)b->len));
}

/* Adds webpSrcset to o when f has WebP copies: both sizes, or for an animated GIF (a WebP at the
 * display size only, imgproc.h) that one, with animated: true. v is scratch. */
static void
add_webp(json_object *o, const struct media_files *f, const char *url, struct buf *v)
{
	struct buf path = BUF_INIT;

	size_path(f, f->thumb_px, "webp", &path);
	buf_reset(v);
	if (access(buf_cstr(&path), F_OK) == 0) {
		srcset(f, url, "webp", v);
		add_buf(o, "webpSrcset", v);
	} else if (strcmp(f->ext, "gif") == 0) {
		/* Only a GIF may be animated: one more stat for those alone. */
		buf_reset(&path);
		size_path(f, f->display_px, "webp", &path);
		if (access(buf_cstr(&path), F_OK) == 0) {
			size_url(url, f->ext, f->display_px, "webp", v);
			buf_printf(v, " %dw", f->display_px);
			add_buf(o, "webpSrcset", v);
			json_object_object_add(o, "animated", json_object_new_boolean(1));
		}
	}
	buf_free(&path);
}

json_object *
media_image_view(const struct media *m, const char *url)
{
	json_object *o = json_object_new_object();
	size_t plen = strlen(m->prefix), n = url ? strlen(url) : 0;
	struct media_files f;
	struct buf path = BUF_INIT, v = BUF_INIT;
	const char *state;
	bool ready;

	memset(&f, 0, sizeof f);
	if (n <= plen || memcmp(url, m->prefix, plen) != 0 || media_files(m, url + plen, &f) != 0) {
		/* Not a key at all (an older profile URL): shown as posted. */
		json_object_object_add(o, "state", json_object_new_string("ready"));
		json_object_object_add(o, "ready", json_object_new_boolean(1));
		json_object_object_add(o, "src", json_object_new_string(url ? url : ""));
		json_object_object_add(o, "full", json_object_new_string(url ? url : ""));
		media_files_free(&f);
		return o;
	}
	/* s3: the sizes are taken as there, with no request to the store for each image of a
	 * page (a round trip each); the worker writes them seconds after the post (docs/media.md,
	 * "Limits"). Local: the thumbnail's JPEG says so; neither sizes nor an original: the
	 * worker refused it and deleted it. */
	ready = !m->local || access(buf_cstr(&f.thumb), F_OK) == 0;
	state = ready ? "ready" : access(buf_cstr(&f.original), F_OK) == 0 ||
	    access(buf_cstr(&f.upload), F_OK) == 0 ? "processing" : "failed";
	json_object_object_add(o, "state", json_object_new_string(state));
	json_object_object_add(o, "ready", json_object_new_boolean(ready));
	json_object_object_add(o, "processing", json_object_new_boolean(*state == 'p'));
	if (ready) {
		size_url(url, f.ext, f.thumb_px, "jpg", &v);
		add_buf(o, "src", &v);
		buf_reset(&v);
		size_url(url, f.ext, f.display_px, "jpg", &v);
		add_buf(o, "full", &v);
		buf_reset(&v);
		srcset(&f, url, "jpg", &v);
		add_buf(o, "srcset", &v);
		/* Whether WebP copies exist is not known without asking the store (the quality
		 * switch skips them, an animation has one): s3 links the JPEGs only. */
		if (m->local)
			add_webp(o, &f, url, &v);
		buf_reset(&v);
		/* A card is at most the page's column (main: 40rem) wide; narrower screens
		 * take the whole width. */
		buf_puts(&v, "(max-width: 40rem) 100vw, 40rem");
		add_buf(o, "sizes", &v);
	}
	media_files_free(&f);
	buf_free(&path);
	buf_free(&v);
	return o;
}
