/* test_media.c: media URLs: sign and check round trip, every forgery, the previous key, local
 * upload links, sniffing, store-once and size limits (in a temporary directory), s3 URLs. */
#include "config.h"

#include "test.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "jwt.h"
#include "media.h"

#define KEY_A "0123456789abcdef0123456789abcdef-key-a"
#define KEY_B "fedcba9876543210fedcba9876543210-key-b"
/* 2024-01-02T03:04:05Z */
#define NOW INT64_C(1704164645)
#define USER UINT64_C(1234567890123)

static const unsigned char png[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13,
	'I', 'H', 'D', 'R' };
/* The start of an MP4: an ftyp box of 16 bytes. */
static const unsigned char mp4[] = { 0, 0, 0, 0x10, 'f', 't', 'y', 'p', 'i', 's', 'o', 'm', 0, 0,
	0, 0 };

/* A temporary directory per test run, removed at the end. */
static char tmpdir[64];

static void
rm_tree(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	char sub[512];

	if (lstat(path, &st) != 0)
		return;
	if (S_ISDIR(st.st_mode) && (d = opendir(path)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
			rm_tree(sub);
		}
		closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof tmpdir, "/tmp/starling-media-XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	rm_tree(tmpdir);
	return 0;
}

/* A media module from [media] settings (text appended to the config), or NULL. */
static struct media *
make_media(const char *settings, const struct jwt_keys *keys, struct buf *err)
{
	struct conf c;
	struct buf text = BUF_INIT;
	struct media *m = NULL;

	conf_defaults(&c);
	buf_printf(&text, "[site]\nbase_url = http://example.test:8080\n[media]\n%s\n", settings);
	if (conf_parse(&c, text.data, text.len, "t.conf", err) == 0)
		m = media_new(&c, keys, err);
	conf_free(&c);
	buf_free(&text);
	return m;
}

static struct media *
make_local(const struct jwt_keys *keys, const char *extra)
{
	struct buf s = BUF_INIT, err = BUF_INIT;
	struct media *m;

	buf_printf(&s, "storage = local\nlocal_dir = %s\nmax_image_bytes = 2048\n%s", tmpdir,
	    extra ? extra : "local_url = /media\n");
	m = make_media(buf_cstr(&s), keys, &err);
	if (m == NULL)
		fail_msg("media_new: %s", buf_cstr(&err));
	buf_free(&s);
	buf_free(&err);
	return m;
}

static struct jwt_keys *
keys_of(const char *cur, const char *prev)
{
	struct jwt_keys *k = jwt_keys_new(cur, strlen(cur), prev, prev ? strlen(prev) : 0);

	assert_non_null(k);
	return k;
}

/* The value of a query field of url (up to the next '&'), into out. */
static void
query_field(const char *url, const char *name, char *out, size_t size)
{
	char pat[32];
	const char *p, *end;

	snprintf(pat, sizeof pat, "%s=", name);
	p = strstr(url, pat);
	assert_non_null(p);
	p += strlen(pat);
	end = strchr(p, '&');
	snprintf(out, size, "%.*s", (int)(end ? (size_t)(end - p) : strlen(p)), p);
}

/* Signs, uploads through the local link, and checks: the whole local flow. */
static void
test_local_round_trip(void **state)
{
	struct jwt_keys *k = keys_of(KEY_A, NULL);
	struct media *m = make_local(k, NULL);
	struct buf put = BUF_INIT, pub = BUF_INIT, path = BUF_INIT;
	char key[MEDIA_KEY_MAX + 1], expires[32], sig[80];
	enum media_kind kind = MEDIA_VIDEO;
	struct stat st;

	(void)state;
	assert_int_equal(media_sign_upload(m, USER, MEDIA_IMAGE, "png", NOW, &put, &pub), 0);
	assert_true(strncmp(buf_cstr(&put),
	    "http://example.test:8080/api/v1/upload/local?key=images/20240102/", 65) == 0);
	assert_true(strncmp(buf_cstr(&pub), "/media/images/20240102/", 23) == 0);
	assert_int_equal(pub.len, 23 + 24 + 1 + 32 + 4);
	query_field(buf_cstr(&put), "key", key, sizeof key);
	query_field(buf_cstr(&put), "expires", expires, sizeof expires);
	query_field(buf_cstr(&put), "sig", sig, sizeof sig);
	assert_string_equal(key, buf_cstr(&pub) + 7);
	assert_int_equal(strtoll(expires, NULL, 10), media_expires_at(m, NOW));
	assert_int_equal(media_expires_at(m, NOW), NOW + 1800);

	/* Issued, not uploaded yet. */
	assert_int_equal(media_check_url(m, USER, pub.data, pub.len, &kind), MEDIA_MISSING);
	assert_int_equal(media_check_upload(m, key, expires, sig, NOW + 1800, &kind), 0);
	assert_int_equal(kind, MEDIA_IMAGE);
	assert_int_equal(media_store_local(m, key, png, sizeof png), 0);
	kind = MEDIA_VIDEO;
	assert_int_equal(media_check_url(m, USER, pub.data, pub.len, &kind), 0);
	assert_int_equal(kind, MEDIA_IMAGE);
	/* Once only, and the first bytes stay. */
	assert_int_equal(media_store_local(m, key, "\xff\xd8\xff", 3), MEDIA_BAD_TYPE);
	assert_int_equal(media_store_local(m, key, png, sizeof png), MEDIA_EXISTS);
	buf_printf(&path, "%s/%s", tmpdir, key);
	assert_int_equal(stat(buf_cstr(&path), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(st.st_size, sizeof png);

	buf_free(&put);
	buf_free(&pub);
	buf_free(&path);
	media_free(m);
	jwt_keys_free(k);
}

static void
on_stored(void *arg, const char *key)
{
	struct buf *seen = arg;

	buf_printf(seen, "%s;", key);
}

static void
touch(const struct buf *path)
{
	FILE *f = fopen(buf_cstr(path), "w");

	assert_non_null(f);
	fclose(f);
}

static const char *
view_str(json_object *v, const char *name)
{
	json_object *o;

	return json_object_object_get_ex(v, name, &o) ? json_object_get_string(o) : NULL;
}

/* What the worker's files mean (media.h, "Processed images"): the stored hook, the names, the
 * states a page shows, and a key written once even after the worker took its first upload. */
static void
test_processed_files(void **state)
{
	struct jwt_keys *k = keys_of(KEY_A, NULL);
	struct media *m = make_local(k, NULL);
	struct buf put = BUF_INIT, pub = BUF_INIT, seen = BUF_INIT, want = BUF_INIT, p = BUF_INIT;
	char key[MEDIA_KEY_MAX + 1];
	struct media_files f;
	enum media_kind kind;
	json_object *v;

	(void)state;
	media_on_stored(m, on_stored, &seen);
	assert_int_equal(media_sign_upload(m, USER, MEDIA_IMAGE, "png", NOW, &put, &pub), 0);
	query_field(buf_cstr(&put), "key", key, sizeof key);
	assert_int_equal(media_files(m, key, &f), 0);
	buf_printf(&want, "%s/%.16s.orig-%s", tmpdir, key, key + 16);
	assert_string_equal(buf_cstr(&f.original), buf_cstr(&want));
	buf_reset(&want);
	buf_printf(&want, "%s/%.*s.640.jpg", tmpdir, (int)strlen(key) - 4, key);
	assert_string_equal(buf_cstr(&f.thumb), buf_cstr(&want));

	/* Issued only: nothing to show; stored: processing, and the hook saw the key once. */
	v = media_image_view(m, buf_cstr(&pub));
	assert_string_equal(view_str(v, "state"), "failed");
	json_object_put(v);
	assert_int_equal(media_store_local(m, key, png, sizeof png), 0);
	buf_reset(&want);
	buf_printf(&want, "%s;", key);
	assert_string_equal(buf_cstr(&seen), buf_cstr(&want));
	v = media_image_view(m, buf_cstr(&pub));
	assert_string_equal(view_str(v, "state"), "processing");
	assert_null(view_str(v, "src"));
	json_object_put(v);

	/* The worker takes it: the post can still be made, a second PUT is still refused. */
	assert_int_equal(rename(buf_cstr(&f.upload), buf_cstr(&f.original)), 0);
	assert_int_equal(media_check_url(m, USER, pub.data, pub.len, &kind), 0);
	assert_int_equal(media_store_local(m, key, png, sizeof png), MEDIA_EXISTS);
	assert_int_not_equal(access(buf_cstr(&f.upload), F_OK), 0);
	assert_string_equal(buf_cstr(&seen), buf_cstr(&want));

	/* Its sizes written: ready, with both srcsets. */
	buf_printf(&p, "%s.640.webp", buf_cstr(&f.base));
	touch(&p);
	touch(&f.thumb);
	v = media_image_view(m, buf_cstr(&pub));
	assert_string_equal(view_str(v, "state"), "ready");
	buf_reset(&want);
	buf_printf(&want, "%.*s.640.jpg", (int)pub.len - 4, buf_cstr(&pub));
	assert_string_equal(view_str(v, "src"), buf_cstr(&want));
	buf_reset(&want);
	buf_printf(&want, "%.*s.640.webp 640w, %.*s.1600.webp 1600w", (int)pub.len - 4,
	    buf_cstr(&pub), (int)pub.len - 4, buf_cstr(&pub));
	assert_string_equal(view_str(v, "webpSrcset"), buf_cstr(&want));
	assert_non_null(view_str(v, "srcset"));
	json_object_put(v);
	/* Without WebP copies (the media_quality switch): no WebP srcset. */
	assert_int_equal(unlink(buf_cstr(&p)), 0);
	v = media_image_view(m, buf_cstr(&pub));
	assert_null(view_str(v, "webpSrcset"));
	json_object_put(v);
	/* Only an image's key has files. */
	media_files_free(&f);
	assert_int_equal(media_files(m, "videos/20240102/x.mp4", &f), MEDIA_FORGED);

	media_files_free(&f);
	buf_free(&put);
	buf_free(&pub);
	buf_free(&seen);
	buf_free(&want);
	buf_free(&p);
	media_free(m);
	jwt_keys_free(k);
}

/* Every way of changing an issued URL makes it a forgery: the mac covers the user, kind, date,
 * nonce and ext, and the parser takes nothing but the exact shape. */
struct forge_row {
	int         line;
	const char *what;
};

static const struct forge_row forge_rows[] = {
	{ __LINE__, "user" }, { __LINE__, "nonce" }, { __LINE__, "mac" }, { __LINE__, "ext" },
	{ __LINE__, "kind" }, { __LINE__, "date" }, { __LINE__, "prefix" }, { __LINE__, "query" },
	{ __LINE__, "dotdot" }, { __LINE__, "fragment" }, { __LINE__, "upper" },
	{ __LINE__, "truncated" }, { __LINE__, "nul" }, { __LINE__, "slash" }, { __LINE__, "empty" },
	{ __LINE__, "absolute" },
};

static void
test_forgeries(void **state)
{
	struct jwt_keys *k = keys_of(KEY_A, NULL);
	struct media *m = make_local(k, NULL);
	struct buf put = BUF_INIT, pub = BUF_INIT, u = BUF_INIT;
	enum media_kind kind;
	uint64_t user;
	size_t i, slash;
	char *p;

	(void)state;
	assert_int_equal(media_store_upload(m, USER, MEDIA_IMAGE, "png", png, sizeof png, NOW, &pub),
	    0);
	assert_int_equal(media_check_url(m, USER, pub.data, pub.len, &kind), 0);
	slash = (size_t)(strrchr(pub.data, '/') - pub.data);   /* before <nonce>-<mac>.png */
	for (i = 0; i < sizeof forge_rows / sizeof forge_rows[0]; i++) {
		const char *w = forge_rows[i].what;

		buf_reset(&u);
		buf_append(&u, pub.data, pub.len);
		user = USER;
		p = u.data;
		if (strcmp(w, "user") == 0)
			user = USER + 1;
		else if (strcmp(w, "nonce") == 0)
			p[slash + 1] = p[slash + 1] == '0' ? '1' : '0';
		else if (strcmp(w, "mac") == 0)
			p[slash + 26] = p[slash + 26] == '0' ? '1' : '0';
		else if (strcmp(w, "ext") == 0)
			memcpy(p + u.len - 3, "gif", 3);
		else if (strcmp(w, "kind") == 0)
			memcpy(p + 7, "videos", 6);
		else if (strcmp(w, "date") == 0)
			p[slash - 1] = '3';          /* 20240102 -> 20240103 */
		else if (strcmp(w, "prefix") == 0)
			memcpy(p, "/medio", 6);
		else if (strcmp(w, "query") == 0)
			buf_puts(&u, "?x=1");
		else if (strcmp(w, "fragment") == 0)
			buf_puts(&u, "#x");
		else if (strcmp(w, "dotdot") == 0) {
			buf_reset(&u);
			buf_printf(&u, "/media/images/../%s", pub.data + 14);
		} else if (strcmp(w, "upper") == 0)
			p[slash + 26] = 'A';
		else if (strcmp(w, "truncated") == 0)
			u.len--;
		else if (strcmp(w, "nul") == 0)
			buf_append(&u, "\0", 1);
		else if (strcmp(w, "slash") == 0)
			buf_putc(&u, '/');
		else if (strcmp(w, "empty") == 0)
			u.len = 0;
		else {
			buf_reset(&u);
			buf_printf(&u, "http://evil.test%s", pub.data);
		}
		if (media_check_url(m, user, u.data, u.len, &kind) != MEDIA_FORGED)
			fail_msg("line %d: %s: not refused as forged", forge_rows[i].line, w);
	}
	/* The original still passes: the rows changed copies. */
	assert_int_equal(media_check_url(m, USER, pub.data, pub.len, &kind), 0);
	assert_int_equal(media_check_url(m, 0, pub.data, pub.len, &kind), MEDIA_FORGED);
	buf_free(&put);
	buf_free(&pub);
	buf_free(&u);
	media_free(m);
	jwt_keys_free(k);
}

/* After a key rotation, URLs and upload links issued minutes earlier still work; once the old key
 * is gone, they do not. */
static void
test_previous_key(void **state)
{
	struct jwt_keys *ka = keys_of(KEY_A, NULL), *kb = keys_of(KEY_B, KEY_A),
	    *kc = keys_of(KEY_B, NULL);
	struct media *ma = make_local(ka, NULL), *mb = make_local(kb, NULL), *mc = make_local(kc, NULL);
	struct buf put = BUF_INIT, pub = BUF_INIT;
	char key[MEDIA_KEY_MAX + 1], expires[32], sig[80];
	enum media_kind kind;

	(void)state;
	assert_int_equal(media_sign_upload(ma, USER, MEDIA_IMAGE, "gif", NOW, &put, &pub), 0);
	query_field(buf_cstr(&put), "key", key, sizeof key);
	query_field(buf_cstr(&put), "expires", expires, sizeof expires);
	query_field(buf_cstr(&put), "sig", sig, sizeof sig);
	assert_int_equal(media_check_upload(mb, key, expires, sig, NOW, &kind), 0);
	assert_int_equal(media_check_upload(mc, key, expires, sig, NOW, &kind), MEDIA_EXPIRED);
	assert_int_equal(media_store_local(mb, key, "GIF89a\1\0\1\0", 10), 0);
	assert_int_equal(media_check_url(mb, USER, pub.data, pub.len, &kind), 0);
	assert_int_equal(media_check_url(mc, USER, pub.data, pub.len, &kind), MEDIA_FORGED);
	buf_free(&put);
	buf_free(&pub);
	media_free(ma);
	media_free(mb);
	media_free(mc);
	jwt_keys_free(ka);
	jwt_keys_free(kb);
	jwt_keys_free(kc);
}

/* Upload links: expiry, and any change to what they carry. */
static void
test_upload_links(void **state)
{
	struct jwt_keys *k = keys_of(KEY_A, NULL);
	struct media *m = make_local(k, NULL);
	struct buf put = BUF_INIT, pub = BUF_INIT, other = BUF_INIT, opub = BUF_INIT;
	char key[MEDIA_KEY_MAX + 1], okey[MEDIA_KEY_MAX + 1], expires[32], sig[80], bad[80];
	enum media_kind kind;

	(void)state;
	assert_int_equal(media_sign_upload(m, USER, MEDIA_VIDEO, "mp4", NOW, &put, &pub), 0);
	assert_int_equal(media_sign_upload(m, USER, MEDIA_VIDEO, "mp4", NOW, &other, &opub), 0);
	query_field(buf_cstr(&put), "key", key, sizeof key);
	query_field(buf_cstr(&other), "key", okey, sizeof okey);
	query_field(buf_cstr(&put), "expires", expires, sizeof expires);
	query_field(buf_cstr(&put), "sig", sig, sizeof sig);
	assert_true(strncmp(key, "videos/20240102/", 16) == 0);
	assert_string_not_equal(key, okey);     /* a fresh nonce each time */
	assert_int_equal(media_check_upload(m, key, expires, sig, NOW + 1800, &kind), 0);
	assert_int_equal(kind, MEDIA_VIDEO);
	assert_int_equal(media_check_upload(m, key, expires, sig, NOW + 1801, &kind), MEDIA_EXPIRED);
	assert_int_equal(media_check_upload(m, okey, expires, sig, NOW, &kind), MEDIA_EXPIRED);
	assert_int_equal(media_check_upload(m, key, "99999999999", sig, NOW, &kind), MEDIA_EXPIRED);
	assert_int_equal(media_check_upload(m, key, "-1", sig, NOW, &kind), MEDIA_EXPIRED);
	assert_int_equal(media_check_upload(m, key, "", sig, NOW, &kind), MEDIA_EXPIRED);
	snprintf(bad, sizeof bad, "%s", sig);
	bad[0] = bad[0] == '0' ? '1' : '0';
	assert_int_equal(media_check_upload(m, key, expires, bad, NOW, &kind), MEDIA_EXPIRED);
	assert_int_equal(media_check_upload(m, key, expires, "", NOW, &kind), MEDIA_EXPIRED);
	assert_int_equal(media_check_upload(m, "../etc/passwd", expires, sig, NOW, &kind),
	    MEDIA_EXPIRED);
	assert_int_equal(media_check_upload(m, NULL, expires, sig, NOW, &kind), MEDIA_EXPIRED);
	buf_free(&put);
	buf_free(&pub);
	buf_free(&other);
	buf_free(&opub);
	media_free(m);
	jwt_keys_free(k);
}

struct sniff_row {
	int             line;
	enum media_kind kind;
	const char     *ext;
	const char     *bytes;
	size_t          n;
	bool            want;
};

static const struct sniff_row sniff_rows[] = {
	{ __LINE__, MEDIA_IMAGE, "jpg", "\xff\xd8\xff\xe0", 4, true },
	{ __LINE__, MEDIA_IMAGE, "jpeg", "\xff\xd8\xff", 3, true },
	{ __LINE__, MEDIA_IMAGE, "jpg", "\xff\xd8", 2, false },               /* too short */
	{ __LINE__, MEDIA_IMAGE, "jpg", "\x89PNG\r\n\x1a\n", 8, false },      /* a PNG */
	{ __LINE__, MEDIA_IMAGE, "png", "\x89PNG\r\n\x1a\n", 8, true },
	{ __LINE__, MEDIA_IMAGE, "png", "\x89PNG\r\n\x1a", 7, false },
	{ __LINE__, MEDIA_IMAGE, "png", "\x89PNG\n\x1a\n\n", 8, false },      /* line ends mangled */
	{ __LINE__, MEDIA_IMAGE, "gif", "GIF87a", 6, true },
	{ __LINE__, MEDIA_IMAGE, "gif", "GIF89a..", 8, true },
	{ __LINE__, MEDIA_IMAGE, "gif", "GIF88a", 6, false },
	{ __LINE__, MEDIA_IMAGE, "png", "hello, I am text", 16, false },
	{ __LINE__, MEDIA_IMAGE, "png", "", 0, false },
	{ __LINE__, MEDIA_IMAGE, "PNG", "\x89PNG\r\n\x1a\n", 8, false },      /* lower case only */
	{ __LINE__, MEDIA_IMAGE, "webp", "RIFF\0\0\0\0WEBP", 12, false },
	{ __LINE__, MEDIA_IMAGE, "mp4", "\0\0\0\x10" "ftypisom\0\0\0\0", 16, false }, /* kind */
	{ __LINE__, MEDIA_VIDEO, "mp4", "\0\0\0\x10" "ftypisom\0\0\0\0", 16, true },
	{ __LINE__, MEDIA_VIDEO, "mp4", "\0\0\0\x18" "ftypmp42\0\0\0\0isommp42..", 26, true },
	{ __LINE__, MEDIA_VIDEO, "mp4", "\0\0\0\x18" "ftypmp42\0\0\0\0", 16, false }, /* past end */
	{ __LINE__, MEDIA_VIDEO, "mp4", "\0\0\0\x08" "ftypmp42\0\0\0\0", 16, false }, /* too small */
	{ __LINE__, MEDIA_VIDEO, "mp4", "\0\0\0\x11" "ftypmp42\0\0\0\0\0", 17, false },
	{ __LINE__, MEDIA_VIDEO, "mp4", "\0\0\0\x10" "moovmp42\0\0\0\0", 16, false },
	{ __LINE__, MEDIA_VIDEO, "png", "\x89PNG\r\n\x1a\n", 8, false },
};

/* The file names of a day directory, as media-usage classifies them. */
#define STEM "0123456789abcdef01234567-0123456789abcdef0123456789abcdef"
struct file_row {
	int             line;
	enum media_kind kind;
	const char     *name;
	enum media_file want;
	const char     *ext;   /* NULL: no stem either */
};

static const struct file_row file_rows[] = {
	{ __LINE__, MEDIA_IMAGE, STEM ".jpg", MEDIA_FILE_UPLOAD, "jpg" },
	{ __LINE__, MEDIA_IMAGE, STEM ".jpeg", MEDIA_FILE_UPLOAD, "jpeg" },
	{ __LINE__, MEDIA_IMAGE, ".orig-" STEM ".png", MEDIA_FILE_ORIGINAL, "png" },
	{ __LINE__, MEDIA_IMAGE, STEM ".640.jpg", MEDIA_FILE_SIZE, "" },
	{ __LINE__, MEDIA_IMAGE, STEM ".1600.webp", MEDIA_FILE_SIZE, "" },
	{ __LINE__, MEDIA_IMAGE, ".upload-Ab12Cd", MEDIA_FILE_TEMP, NULL },
	{ __LINE__, MEDIA_IMAGE, ".proc-Ab12Cd", MEDIA_FILE_TEMP, NULL },
	{ __LINE__, MEDIA_IMAGE, STEM ".mp4", MEDIA_FILE_OTHER, NULL },       /* not an image's */
	{ __LINE__, MEDIA_IMAGE, STEM ".640.png", MEDIA_FILE_OTHER, NULL },   /* no such size */
	{ __LINE__, MEDIA_IMAGE, STEM ".x640.jpg", MEDIA_FILE_OTHER, NULL },
	{ __LINE__, MEDIA_IMAGE, ".orig-" STEM ".640.jpg", MEDIA_FILE_OTHER, NULL },
	{ __LINE__, MEDIA_IMAGE, "0123-4567.jpg", MEDIA_FILE_OTHER, NULL },  /* stem too short */
	{ __LINE__, MEDIA_IMAGE, "notes.txt", MEDIA_FILE_OTHER, NULL },
	{ __LINE__, MEDIA_IMAGE, "", MEDIA_FILE_OTHER, NULL },
	{ __LINE__, MEDIA_VIDEO, STEM ".mp4", MEDIA_FILE_UPLOAD, "mp4" },
	{ __LINE__, MEDIA_VIDEO, STEM ".640.jpg", MEDIA_FILE_OTHER, NULL },   /* videos have none */
	{ __LINE__, MEDIA_VIDEO, ".orig-" STEM ".mp4", MEDIA_FILE_OTHER, NULL },
};

static void
test_file_kinds(void **state)
{
	struct buf stem = BUF_INIT;
	char ext[5];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof file_rows / sizeof file_rows[0]; i++) {
		const struct file_row *r = &file_rows[i];

		buf_reset(&stem);
		if (media_file_kind(r->kind, r->name, &stem, ext) != r->want)
			fail_msg("line %d: %s: class", r->line, r->name);
		if (r->ext != NULL && (strcmp(buf_cstr(&stem), STEM) != 0 || strcmp(ext, r->ext) != 0))
			fail_msg("line %d: %s: stem %s ext %s", r->line, r->name, buf_cstr(&stem), ext);
		if (r->ext == NULL && stem.len != 0)
			fail_msg("line %d: %s: a stem for no key", r->line, r->name);
	}
	assert_string_equal(media_ext(MEDIA_IMAGE, 0), "jpg");
	assert_null(media_ext(MEDIA_IMAGE, 4));
	assert_string_equal(media_ext(MEDIA_VIDEO, 0), "mp4");
	assert_null(media_ext(MEDIA_VIDEO, 1));
	buf_free(&stem);
}

/* An animated GIF once processed: a WebP at the display size only (imgproc.h), which the view
 * names alone, with animated; a PNG with the same files is not taken for one. */
static void
test_animated_view(void **state)
{
	static const char gif[] = "GIF89a\x01\0\x01\0\0\0\0;";
	struct jwt_keys *k = keys_of(KEY_A, NULL);
	struct media *m = make_local(k, NULL);
	struct buf pub = BUF_INIT, key = BUF_INIT, p = BUF_INIT, want = BUF_INIT;
	struct media_files f;
	json_object *v, *anim;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		buf_reset(&pub);
		buf_reset(&key);
		assert_int_equal(i == 0 ?
		    media_store_upload(m, USER, MEDIA_IMAGE, "gif", gif, sizeof gif - 1, NOW, &pub) :
		    media_store_upload(m, USER, MEDIA_IMAGE, "png", png, sizeof png, NOW, &pub), 0);
		assert_int_equal(media_url_key(m, buf_cstr(&pub), &key), 0);
		assert_int_equal(media_files(m, buf_cstr(&key), &f), 0);
		buf_reset(&p);
		buf_printf(&p, "%s.%d.webp", buf_cstr(&f.base), f.display_px);
		touch(&p);
		touch(&f.thumb);
		v = media_image_view(m, buf_cstr(&pub));
		assert_string_equal(view_str(v, "state"), "ready");
		if (i == 0) {
			buf_reset(&want);
			buf_printf(&want, "%.*s.%d.webp %dw", (int)pub.len - 4, buf_cstr(&pub),
			    f.display_px, f.display_px);
			assert_string_equal(view_str(v, "webpSrcset"), buf_cstr(&want));
			assert_true(json_object_object_get_ex(v, "animated", &anim));
			assert_true(json_object_get_boolean(anim));
		} else {
			assert_null(view_str(v, "webpSrcset"));
			assert_false(json_object_object_get_ex(v, "animated", &anim));
		}
		json_object_put(v);
		media_files_free(&f);
	}
	media_free(m);
	jwt_keys_free(k);
	buf_free(&pub);
	buf_free(&key);
	buf_free(&p);
	buf_free(&want);
}

/* media_remove takes every file of an image, and of a video; run again, it is still fine. */
static void
test_remove(void **state)
{
	struct jwt_keys *k = keys_of(KEY_A, NULL);
	struct media *m = make_local(k, NULL);
	struct buf put = BUF_INIT, pub = BUF_INIT, key = BUF_INIT, p = BUF_INIT;
	static const char *const sizes[] = { "640.jpg", "640.webp", "1600.jpg", "1600.webp" };
	struct media_files f;
	size_t i;

	(void)state;
	assert_int_equal(media_sign_upload(m, USER, MEDIA_IMAGE, "png", NOW, &put, &pub), 0);
	assert_int_equal(media_url_key(m, buf_cstr(&pub), &key), 0);
	assert_int_equal(media_files(m, buf_cstr(&key), &f), 0);
	assert_int_equal(media_store_local(m, buf_cstr(&key), png, sizeof png), 0);
	touch(&f.original);
	for (i = 0; i < 4; i++) {
		buf_reset(&p);
		buf_printf(&p, "%s.%s", buf_cstr(&f.base), sizes[i]);
		touch(&p);
	}
	assert_int_equal(media_remove(m, buf_cstr(&key)), 0);
	assert_int_not_equal(access(buf_cstr(&f.upload), F_OK), 0);
	assert_int_not_equal(access(buf_cstr(&f.original), F_OK), 0);
	for (i = 0; i < 4; i++) {
		buf_reset(&p);
		buf_printf(&p, "%s.%s", buf_cstr(&f.base), sizes[i]);
		assert_int_not_equal(access(buf_cstr(&p), F_OK), 0);
	}
	assert_int_equal(media_remove(m, buf_cstr(&key)), 0);   /* all gone already: fine */
	/* A video: its one file. */
	buf_reset(&put);
	buf_reset(&pub);
	buf_reset(&key);
	assert_int_equal(media_sign_upload(m, USER, MEDIA_VIDEO, "mp4", NOW, &put, &pub), 0);
	assert_int_equal(media_url_key(m, buf_cstr(&pub), &key), 0);
	assert_int_equal(media_store_local(m, buf_cstr(&key), mp4, sizeof mp4), 0);
	buf_reset(&p);
	buf_printf(&p, "%s/%s", tmpdir, buf_cstr(&key));
	assert_int_equal(access(buf_cstr(&p), F_OK), 0);
	assert_int_equal(media_remove(m, buf_cstr(&key)), 0);
	assert_int_not_equal(access(buf_cstr(&p), F_OK), 0);
	/* No key, no URL of this server: refused, nothing touched. */
	assert_int_equal(media_remove(m, "images/../etc/passwd"), MEDIA_FORGED);
	buf_reset(&key);
	assert_int_equal(media_url_key(m, "https://elsewhere.example/a.png", &key), MEDIA_FORGED);
	assert_int_equal(media_url_key(m, NULL, &key), MEDIA_FORGED);
	assert_int_equal(key.len, 0);
	media_files_free(&f);
	media_free(m);
	jwt_keys_free(k);
	buf_free(&put);
	buf_free(&pub);
	buf_free(&key);
	buf_free(&p);
}

static void
test_sniff(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof sniff_rows / sizeof sniff_rows[0]; i++) {
		const struct sniff_row *r = &sniff_rows[i];

		if (media_sniff(r->kind, r->ext, r->bytes, r->n) != r->want)
			fail_msg("line %d: sniff gave %d", r->line, !r->want);
	}
	assert_false(media_sniff(MEDIA_IMAGE, NULL, png, sizeof png));
}

/* Refusals of the local store: size, type, key shape; none leaves a file behind. */
static void
test_store_refusals(void **state)
{
	struct jwt_keys *k = keys_of(KEY_A, NULL);
	struct media *m = make_local(k, NULL);
	struct buf pub = BUF_INIT;
	unsigned char big[2049];
	char path[256];
	DIR *d;
	struct dirent *e;
	int files = 0;

	(void)state;
	memset(big, 0, sizeof big);
	memcpy(big, png, sizeof png);
	assert_int_equal(media_store_upload(m, USER, MEDIA_IMAGE, "png", big, 2049, NOW, &pub),
	    MEDIA_TOO_LARGE);
	assert_int_equal(media_store_upload(m, USER, MEDIA_IMAGE, "png", "plain text, not a png", 21,
	    NOW, &pub), MEDIA_BAD_TYPE);
	assert_int_equal(media_store_upload(m, USER, MEDIA_IMAGE, "bmp", "BM", 2, NOW, &pub),
	    MEDIA_BAD_EXT);
	assert_int_equal(media_store_upload(m, USER, MEDIA_VIDEO, "png", png, sizeof png, NOW, &pub),
	    MEDIA_BAD_EXT);
	assert_int_equal(media_store_local(m, "images/../../etc/x.png", png, sizeof png),
	    MEDIA_FORGED);
	assert_int_equal(media_store_local(m, "", png, sizeof png), MEDIA_FORGED);
	assert_int_equal(pub.len, 0);
	/* Exactly at the limit is accepted. */
	assert_int_equal(media_store_upload(m, USER, MEDIA_IMAGE, "png", big, 2048, NOW, &pub), 0);
	/* Only that one file, no temporary left. */
	snprintf(path, sizeof path, "%s/images/20240102", tmpdir);
	d = opendir(path);
	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.' || (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0))
			files++;
	closedir(d);
	assert_int_equal(files, 1);
	buf_free(&pub);
	media_free(m);
	jwt_keys_free(k);
}

/* Signing refusals, and set-up errors. */
static void
test_settings(void **state)
{
	struct jwt_keys *k = keys_of(KEY_A, NULL);
	struct buf put = BUF_INIT, pub = BUF_INIT, err = BUF_INIT;
	struct media *m;
	static const char *const bad[] = {
		"storage = ftp",
		"local_dir = relative/dir",
		"local_url = /media?x=1",
		"local_url = media",
		"storage = s3\ns3_bucket = b",                              /* no credentials */
		"storage = s3\ns3_bucket = Bad_Bucket\ns3_access_key_id = a\ns3_secret_key_file = /x",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		buf_reset(&err);
		m = make_media(bad[i], k, &err);
		if (m != NULL || err.len == 0)
			fail_msg("accepted: %s", bad[i]);
	}
	/* No local_dir: the binaries start, uploads are off. */
	m = make_media("storage = local", k, &err);
	assert_non_null(m);
	assert_int_equal(media_sign_upload(m, USER, MEDIA_IMAGE, "png", NOW, &put, &pub), MEDIA_OFF);
	assert_int_equal(media_store_upload(m, USER, MEDIA_IMAGE, "png", png, sizeof png, NOW, &pub),
	    MEDIA_OFF);
	media_free(m);
	/* An absolute local_url, trailing slash trimmed. */
	m = make_local(k, "local_url = https://cdn.example/media/\n");
	assert_int_equal(media_sign_upload(m, USER, MEDIA_IMAGE, "JPG", NOW, &put, &pub),
	    MEDIA_BAD_EXT);
	assert_int_equal(media_sign_upload(m, USER, MEDIA_VIDEO, "gif", NOW, &put, &pub),
	    MEDIA_BAD_EXT);
	assert_int_equal(media_sign_upload(m, USER, MEDIA_IMAGE, "jpeg", NOW, &put, &pub), 0);
	assert_true(strncmp(buf_cstr(&pub), "https://cdn.example/media/images/20240102/", 42) == 0);
	assert_true(strcmp(buf_cstr(&pub) + pub.len - 5, ".jpeg") == 0);
	media_free(m);
	media_free(NULL);
	buf_free(&put);
	buf_free(&pub);
	buf_free(&err);
	jwt_keys_free(k);
}

/* s3: media_files names object keys (the original under originals/), and a page links the
 * JPEG sizes at the public URL's prefix, with no WebP (not known without asking the store). */
static void
check_s3_files(const struct media *m, const char *pub)
{
	const char *key = strstr(pub, "images/");
	struct media_files f;
	struct buf want = BUF_INIT;
	json_object *v, *x;

	assert_non_null(key);
	assert_int_equal(media_files(m, key, &f), 0);
	assert_string_equal(buf_cstr(&f.upload), key);
	buf_printf(&want, "originals/%s", key);
	assert_string_equal(buf_cstr(&f.original), buf_cstr(&want));
	buf_reset(&want);
	buf_printf(&want, "%.*s.640.jpg", (int)(strlen(key) - 4), key);
	assert_string_equal(buf_cstr(&f.thumb), buf_cstr(&want));
	media_files_free(&f);

	v = media_image_view(m, pub);
	assert_true(json_object_object_get_ex(v, "state", &x));
	assert_string_equal(json_object_get_string(x), "ready");
	assert_true(json_object_object_get_ex(v, "src", &x));
	buf_reset(&want);
	buf_printf(&want, "%.*s.640.jpg", (int)(strlen(pub) - 4), pub);
	assert_string_equal(json_object_get_string(x), buf_cstr(&want));
	assert_true(json_object_object_get_ex(v, "srcset", &x));
	assert_non_null(strstr(json_object_get_string(x), ".1600.jpg 1600w"));
	assert_false(json_object_object_get_ex(v, "webpSrcset", &x));
	json_object_put(v);
	buf_free(&want);
}

/* s3: a presigned PUT to the object, the public URL, and no local store. */
static void
test_s3(void **state)
{
	struct jwt_keys *k = keys_of(KEY_A, NULL);
	struct buf put = BUF_INIT, pub = BUF_INIT, err = BUF_INIT, s = BUF_INIT;
	char secret[128];
	struct media *m;
	enum media_kind kind;
	const char *q;
	int fd;

	(void)state;
	snprintf(secret, sizeof secret, "%s/secret", tmpdir);
	fd = open(secret, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n", 41), 41);
	close(fd);
	buf_printf(&s, "storage = s3\ns3_endpoint = http://127.0.0.1:9000\ns3_bucket = media\n"
	    "s3_path_style = true\ns3_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
	    "s3_secret_key_file = %s\n", secret);
	m = make_media(buf_cstr(&s), k, &err);
	if (m == NULL)
		fail_msg("media_new: %s", buf_cstr(&err));
	assert_false(media_is_local(m));
	assert_int_equal(media_sign_upload(m, USER, MEDIA_VIDEO, "mp4", NOW, &put, &pub), 0);
	assert_true(strncmp(buf_cstr(&pub), "http://127.0.0.1:9000/media/videos/20240102/", 44) == 0);
	/* The PUT URL is the object URL plus the signature query. */
	q = strchr(buf_cstr(&put), '?');
	assert_non_null(q);
	assert_int_equal((size_t)(q - put.data), pub.len);
	assert_memory_equal(put.data, pub.data, pub.len);
	assert_non_null(strstr(q, "X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20240102%2Fus-east-1%2Fs3"));
	assert_non_null(strstr(q, "&X-Amz-Expires=1800&"));
	assert_non_null(strstr(q, "&X-Amz-Signature="));
	/* No file to look for: issued is enough. */
	assert_int_equal(media_check_url(m, USER, pub.data, pub.len, &kind), 0);
	assert_int_equal(kind, MEDIA_VIDEO);
	assert_int_equal(media_check_url(m, USER + 1, pub.data, pub.len, &kind), MEDIA_FORGED);
	assert_int_equal(media_store_upload(m, USER, MEDIA_VIDEO, "mp4", png, sizeof png, NOW, &pub),
	    MEDIA_NOT_LOCAL);
	assert_int_equal(media_check_upload(m, "k", "1", "s", NOW, &kind), MEDIA_NOT_LOCAL);
	media_free(m);

	/* A CDN in front: public URLs use it, the PUT still goes to the store (virtual host). */
	buf_reset(&s);
	buf_printf(&s, "storage = s3\ns3_bucket = media\ns3_public_url = https://cdn.example/m/\n"
	    "s3_access_key_id = AKIAIOSFODNN7EXAMPLE\ns3_secret_key_file = %s\n", secret);
	m = make_media(buf_cstr(&s), k, &err);
	assert_non_null(m);
	buf_reset(&put);
	buf_reset(&pub);
	assert_int_equal(media_sign_upload(m, USER, MEDIA_IMAGE, "png", NOW, &put, &pub), 0);
	assert_true(strncmp(buf_cstr(&pub), "https://cdn.example/m/images/", 29) == 0);
	/* An image's PUT goes to its private original, never to the public key. */
	assert_true(strncmp(buf_cstr(&put), "https://media.s3.amazonaws.com/originals/images/", 48)
	    == 0);
	assert_int_equal(media_check_url(m, USER, pub.data, pub.len, &kind), 0);
	check_s3_files(m, buf_cstr(&pub));
	media_free(m);

	/* A secret others may read is refused. */
	assert_int_equal(chmod(secret, 0644), 0);
	buf_reset(&err);
	assert_null(make_media(buf_cstr(&s), k, &err));
	assert_non_null(strstr(buf_cstr(&err), "chmod"));
	buf_free(&put);
	buf_free(&pub);
	buf_free(&err);
	buf_free(&s);
	jwt_keys_free(k);
}

/* Derived keys: a label gives its own key, the previous key its own, and none is the token key's
 * HMAC of anything a token or code hash would sign. */
static void
test_derive(void **state)
{
	struct jwt_keys *k = keys_of(KEY_A, NULL), *kb = keys_of(KEY_B, KEY_A);
	unsigned char a[JWT_DERIVED_LEN], b[JWT_DERIVED_LEN], c[JWT_DERIVED_LEN];

	(void)state;
	assert_int_equal(jwt_derive_key(k, false, "one", a), 0);
	assert_int_equal(jwt_derive_key(k, false, "two", b), 0);
	assert_memory_not_equal(a, b, sizeof a);
	assert_int_equal(jwt_derive_key(k, true, "one", c), 1);     /* no previous key */
	assert_int_equal(jwt_derive_key(kb, true, "one", c), 0);
	assert_memory_equal(a, c, sizeof a);                         /* the previous key is KEY_A */
	assert_int_equal(jwt_derive_key(kb, false, "one", c), 0);
	assert_memory_not_equal(a, c, sizeof a);
	assert_int_equal(jwt_derive_key(k, false, NULL, c), -1);
	jwt_keys_free(k);
	jwt_keys_free(kb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_local_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_processed_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forgeries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_previous_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upload_links, setup, teardown),
		cmocka_unit_test(test_sniff),
		cmocka_unit_test(test_file_kinds),
		cmocka_unit_test_setup_teardown(test_animated_view, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_settings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_s3, setup, teardown),
		cmocka_unit_test(test_derive),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
