/* s3obj.c: signed GET, PUT, HEAD and DELETE of one S3 object, over libcurl. */
#include "config.h"

#include <string.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "clock.h"
#include "s3obj.h"
#include "sigv4.h"

/* SHA-256 of the empty body: what GET, HEAD and DELETE sign. */
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
/* Of an error answer we keep this much, enough for S3's <Error><Code>...</Code>. */
#define ERROR_BODY_MAX 4096

/* One request's state, for the callbacks. */
struct xfer {
	CURL       *h;
	struct buf *body;       /* where a 2xx body goes (NULL: dropped) */
	size_t      max;        /* its limit */
	bool        too_large;
	struct buf  error;      /* a non-2xx body, up to ERROR_BODY_MAX */
	const char *up;         /* PUT: the bytes left to send */
	size_t      up_left;
};

static size_t
on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nmemb;
	long code = 0;

	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &code);
	if (code < 200 || code > 299) {
		if (x->error.len + n <= ERROR_BODY_MAX)
			buf_append(&x->error, p, n);
		return n;
	}
	if (x->body == NULL)
		return n;
	if (n > x->max - x->body->len) {
		/* Returning less than given stops the transfer: the rest is never read. */
		x->too_large = true;
		return 0;
	}
	buf_append(x->body, p, n);
	return n;
}

static size_t
on_upload(char *p, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nmemb;

	if (n > x->up_left)
		n = x->up_left;
	memcpy(p, x->up, n);
	x->up += n;
	x->up_left -= n;
	return n;
}

/* The store's <Code> in an error body, or "" (a HEAD has no body). */
static void
error_code(const struct buf *body, struct buf *out)
{
	const char *b = body->len ? buf_cstr(body) : "", *s = strstr(b, "<Code>"), *e;

	if (s != NULL && (e = strstr(s + 6, "</Code>")) != NULL && e - s - 6 < 64) {
		buf_puts(out, " ");
		buf_append(out, s + 6, (size_t)(e - s - 6));
	}
}

static void
sha256_hex(const void *p, size_t n, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];
	unsigned int len = 0, i;

	if (EVP_Digest(p, n, md, &len, EVP_sha256(), NULL) != 1 || len != sizeof md) {
		out[0] = '\0';   /* sigv4_sign then refuses the hash */
		return;
	}
	for (i = 0; i < sizeof md; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[64] = '\0';
}

/* Appends one "Name: value" header to list; NULL when libcurl could not (it then freed none). */
static struct curl_slist *
add_header(struct curl_slist *list, const char *name, const char *value, bool *ok)
{
	struct buf h = BUF_INIT;
	struct curl_slist *l;

	buf_printf(&h, "%s: %s", name, value);
	l = curl_slist_append(list, buf_cstr(&h));
	buf_free(&h);
	if (l == NULL)
		*ok = false;
	return l != NULL ? l : list;
}

/* The request: method on key, with body (PUT) or into x->body, signed. Returns the HTTP status,
 * or -1 with why in err. */
static long
perform(const struct s3obj_store *s, const char *method, const char *key, const char *ctype,
    struct xfer *x, struct buf *err)
{
	struct sigv4_request r = { method, s->endpoint, s->region, s->bucket, s->path_style, key,
	    s->access_key_id, s->secret_key, clock_now_s(), 0 };
	struct sigv4_header ct = { "content-type", ctype };
	struct sigv4_signed sg = SIGV4_SIGNED_INIT;
	struct curl_slist *hdrs = NULL;
	char hash[65] = EMPTY_SHA256;
	long code = -1;
	bool ok = true;
	CURLcode res;

	if (x->up != NULL)
		sha256_hex(x->up, x->up_left, hash);
	if (sigv4_sign(&r, hash, &ct, ctype != NULL ? 1 : 0, &sg, NULL, err) != 0)
		goto out;
	hdrs = add_header(hdrs, "Authorization", buf_cstr(&sg.authorization), &ok);
	hdrs = add_header(hdrs, "x-amz-date", sg.amz_date, &ok);
	hdrs = add_header(hdrs, "x-amz-content-sha256", hash, &ok);
	if (ctype != NULL)
		hdrs = add_header(hdrs, "Content-Type", ctype, &ok);
	/* No "Expect: 100-continue" wait: the store answers at once either way. */
	hdrs = add_header(hdrs, "Expect", "", &ok);
	if (!ok) {
		buf_puts(err, "out of memory");
		goto out;
	}
	curl_easy_setopt(x->h, CURLOPT_URL, buf_cstr(&sg.url));
	curl_easy_setopt(x->h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(x->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(x->h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(x->h, CURLOPT_PROXY, "");     /* not http_proxy: the store is ours */
	curl_easy_setopt(x->h, CURLOPT_TIMEOUT_MS, s->timeout_ms);
	curl_easy_setopt(x->h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(x->h, CURLOPT_WRITEDATA, x);
	if (strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(x->h, CURLOPT_NOBODY, 1L);
	} else if (strcmp(method, "PUT") == 0) {
		curl_easy_setopt(x->h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(x->h, CURLOPT_READFUNCTION, on_upload);
		curl_easy_setopt(x->h, CURLOPT_READDATA, x);
		curl_easy_setopt(x->h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)x->up_left);
	} else if (strcmp(method, "GET") != 0) {
		curl_easy_setopt(x->h, CURLOPT_CUSTOMREQUEST, method);
	}
	res = curl_easy_perform(x->h);
	if (res != CURLE_OK && !(res == CURLE_WRITE_ERROR && x->too_large)) {
		buf_puts(err, curl_easy_strerror(res));
		goto out;
	}
	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &code);
out:
	curl_slist_free_all(hdrs);
	sigv4_signed_free(&sg);
	return code;
}

/* libcurl's process-wide set-up, once (the worker is single-threaded). */
static bool
global_init(void)
{
	static bool ready;

	if (!ready && curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK)
		ready = true;
	return ready;
}

/* One request, its outcome mapped to enum s3obj_rc, and a failure's message naming it. */
static enum s3obj_rc
request(const struct s3obj_store *s, const char *method, const char *key, const char *ctype,
    struct xfer *x, struct buf *err)
{
	struct buf why = BUF_INIT;
	enum s3obj_rc rc = S3OBJ_FAILED;
	long code;

	if (!global_init() || (x->h = curl_easy_init()) == NULL) {
		buf_puts(&why, "libcurl could not start");
		code = -1;
	} else {
		code = perform(s, method, key, ctype, x, &why);
	}
	if (x->too_large)
		rc = S3OBJ_TOO_LARGE;
	else if (code >= 200 && code <= 299)
		rc = S3OBJ_OK;
	else if (code == 404)
		rc = S3OBJ_NOT_FOUND;
	if (rc == S3OBJ_FAILED && code > 0) {
		buf_printf(&why, "HTTP %ld", code);
		error_code(&x->error, &why);
		/* A HEAD's refusal has no body to name the cause: say where to look. */
		if (code == 403)
			buf_puts(&why, " (refused: check [media] s3_access_key_id, the secret key file, "
			    "the region and the clock)");
	}
	if (rc != S3OBJ_OK)
		buf_printf(err, "S3 %s %s bucket %s key %s: %s", method, s->endpoint, s->bucket, key,
		    rc == S3OBJ_NOT_FOUND ? "no such object" : rc == S3OBJ_TOO_LARGE ?
		    "larger than the limit" : buf_cstr(&why));
	if (x->h != NULL)
		curl_easy_cleanup(x->h);
	buf_free(&x->error);
	buf_free(&why);
	return rc;
}

enum s3obj_rc
s3obj_get(const struct s3obj_store *s, const char *key, size_t max, struct buf *body,
    struct buf *err)
{
	struct xfer x = { .body = body, .max = body->len + max, .error = BUF_INIT };
	size_t start = body->len;
	enum s3obj_rc rc = request(s, "GET", key, NULL, &x, err);

	if (rc != S3OBJ_OK && body->data != NULL) {
		/* A refusal keeps nothing of the body. */
		body->len = start;
		body->data[start] = '\0';
	}
	return rc;
}

enum s3obj_rc
s3obj_put(const struct s3obj_store *s, const char *key, const void *p, size_t n,
    const char *ctype, struct buf *err)
{
	struct xfer x = { .up = n ? p : "", .up_left = n, .error = BUF_INIT };

	return request(s, "PUT", key, ctype, &x, err);
}

enum s3obj_rc
s3obj_head(const struct s3obj_store *s, const char *key, struct buf *err)
{
	struct xfer x = { .error = BUF_INIT };

	return request(s, "HEAD", key, NULL, &x, err);
}

enum s3obj_rc
s3obj_delete(const struct s3obj_store *s, const char *key, struct buf *err)
{
	struct xfer x = { .error = BUF_INIT };

	return request(s, "DELETE", key, NULL, &x, err);
}
