/* sigv4.c: AWS Signature Version 4 for S3-compatible stores: presigned URLs and signed headers. */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sigv4.h"

/* HMAC-SHA256 and SHA-256 output. */
#define MAC_LEN 32
/* The service S3 signs as, and the fixed parts of the scope. */
#define SERVICE "s3"
#define ALGORITHM "AWS4-HMAC-SHA256"
#define TERMINATOR "aws4_request"
/* Bounds that keep every string we sign small and well-formed; S3's own are the same or lower. */
#define BUCKET_MIN 3
#define BUCKET_MAX 63
#define KEY_MAX 1024
#define REGION_MAX 64
#define SECRET_MAX 256
/* "YYYYMMDDTHHMMSSZ" and "YYYYMMDD" with their NULs. */
#define AMZDATE_LEN 17
#define DATE_LEN 9

static const char hexdigits[] = "0123456789abcdef";

/* The parts of the endpoint: "https://" and "host:port" (pointers into the endpoint string). */
struct endpoint {
	const char *scheme;      /* "http://" or "https://", as written */
	size_t      scheme_len;
	const char *authority;   /* host[:port] */
	size_t      authority_len;
};

void
sigv4_uri_encode(const char *s, size_t n, bool keep_slash, struct buf *out)
{
	static const char upper[] = "0123456789ABCDEF";
	size_t i;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~' || (c == '/' && keep_slash)) {
			buf_putc(out, (char)c);
		} else {
			buf_putc(out, '%');
			buf_putc(out, upper[c >> 4]);
			buf_putc(out, upper[c & 0xf]);
		}
	}
}

static void
hex_append(const unsigned char *p, size_t n, struct buf *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		buf_putc(out, hexdigits[p[i] >> 4]);
		buf_putc(out, hexdigits[p[i] & 0xf]);
	}
}

static int
hmac(const void *key, size_t klen, const void *p, size_t n, unsigned char out[MAC_LEN])
{
	unsigned int len = 0;

	if (HMAC(EVP_sha256(), key, (int)klen, p, n, out, &len) == NULL || len != MAC_LEN)
		return -1;
	return 0;
}

/* "https://host[:port][/]": a host of letters, digits, '.', '-' (or an IPv6 literal in brackets)
 * and a port of digits. A path is refused: S3 paths start at the bucket or the key. */
static bool
parse_endpoint(const char *s, struct endpoint *e)
{
	size_t n, host;

	if (s == NULL)
		return false;
	if (strncmp(s, "https://", 8) == 0)
		e->scheme_len = 8;
	else if (strncmp(s, "http://", 7) == 0)
		e->scheme_len = 7;
	else
		return false;
	e->scheme = s;
	e->authority = s + e->scheme_len;
	if (*e->authority == '[') {
		host = strspn(e->authority + 1, "0123456789abcdefABCDEF:");
		if (e->authority[1 + host] != ']')
			return false;
		host += 2;
	} else {
		host = strspn(e->authority, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789.-");
	}
	if (host == 0)
		return false;
	n = host;
	if (e->authority[n] == ':') {
		size_t digits = strspn(e->authority + n + 1, "0123456789");

		if (digits == 0 || digits > 5)
			return false;
		n += 1 + digits;
	}
	e->authority_len = n;
	return e->authority[n] == '\0' || strcmp(e->authority + n, "/") == 0;
}

/* S3's bucket naming rules, which also make a bucket a valid DNS label sequence for virtual-host
 * style: 3 to 63 lower-case letters, digits, '.' and '-'. */
static bool
valid_bucket(const char *b)
{
	size_t n = b ? strlen(b) : 0;

	return n >= BUCKET_MIN && n <= BUCKET_MAX &&
	    strspn(b, "abcdefghijklmnopqrstuvwxyz0123456789.-") == n;
}

/* Checks r and fills e; on failure a message in err. */
static int
check_request(const struct sigv4_request *r, struct endpoint *e, struct buf *err)
{
	size_t klen = r->key ? strlen(r->key) : 0;

	if (!parse_endpoint(r->endpoint, e)) {
		buf_printf(err, "S3 endpoint must be http:// or https:// then a host and optional port, "
		    "with no path");
		return -1;
	}
	if (!valid_bucket(r->bucket)) {
		buf_printf(err, "S3 bucket must be 3 to 63 lower-case letters, digits, '.' or '-'");
		return -1;
	}
	if (klen == 0 || klen > KEY_MAX) {
		buf_printf(err, "S3 object key must be 1 to %d bytes", KEY_MAX);
		return -1;
	}
	return 0;
}

/* The Host header the client will send, and the path of the object. */
static void
host_and_path(const struct sigv4_request *r, const struct endpoint *e, struct buf *host,
    struct buf *path)
{
	if (!r->path_style) {
		buf_puts(host, r->bucket);
		buf_putc(host, '.');
	}
	buf_append(host, e->authority, e->authority_len);
	buf_putc(path, '/');
	if (r->path_style) {
		buf_puts(path, r->bucket);
		buf_putc(path, '/');
	}
	sigv4_uri_encode(r->key, strlen(r->key), true, path);
}

int
sigv4_object_url(const struct sigv4_request *r, struct buf *url, struct buf *err)
{
	struct buf host = BUF_INIT, path = BUF_INIT;
	struct endpoint e;
	int rc = -1;

	if (check_request(r, &e, err) != 0)
		goto out;
	host_and_path(r, &e, &host, &path);
	buf_append(url, e.scheme, e.scheme_len);
	buf_append(url, host.data, host.len);
	buf_append(url, path.data, path.len);
	rc = 0;
out:
	buf_free(&host);
	buf_free(&path);
	return rc;
}

/* The signing key: HMAC chain over date, region, service and terminator (the SigV4 spec), so a
 * leaked signing key is good for one day, one region and one service only. */
static int
signing_key(const char *secret, const char *date, const char *region, unsigned char out[MAC_LEN])
{
	unsigned char k[MAC_LEN];
	char first[sizeof "AWS4" + SECRET_MAX];
	size_t slen = strlen(secret);
	int rc = -1;

	if (slen > SECRET_MAX)
		goto out;
	memcpy(first, "AWS4", 4);
	memcpy(first + 4, secret, slen);
	if (hmac(first, 4 + slen, date, strlen(date), k) != 0 ||
	    hmac(k, MAC_LEN, region, strlen(region), k) != 0 ||
	    hmac(k, MAC_LEN, SERVICE, strlen(SERVICE), k) != 0 ||
	    hmac(k, MAC_LEN, TERMINATOR, strlen(TERMINATOR), out) != 0)
		goto out;
	rc = 0;
out:
	OPENSSL_cleanse(first, sizeof first);
	OPENSSL_cleanse(k, sizeof k);
	return rc;
}

/* The checks every signed request shares, and its time: amzdate "YYYYMMDDTHHMMSSZ" and date
 * "YYYYMMDD". Fills e. Returns 0, or -1 with a message in err. */
static int
check_signed(const struct sigv4_request *r, struct endpoint *e, char amzdate[AMZDATE_LEN],
    char date[DATE_LEN], struct buf *err)
{
	struct tm tm;
	time_t t = (time_t)r->now;

	if (check_request(r, e, err) != 0)
		return -1;
	if (r->method == NULL || *r->method == '\0' ||
	    strspn(r->method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != strlen(r->method)) {
		buf_printf(err, "SigV4 method must be an upper-case HTTP method");
		return -1;
	}
	if (r->region == NULL || *r->region == '\0' || strlen(r->region) > REGION_MAX ||
	    strspn(r->region, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(r->region)) {
		buf_printf(err, "S3 region must be 1 to %d lower-case letters, digits or '-'",
		    REGION_MAX);
		return -1;
	}
	if (r->access_key_id == NULL || *r->access_key_id == '\0' || r->secret_key == NULL ||
	    *r->secret_key == '\0' || strlen(r->secret_key) > SECRET_MAX) {
		buf_printf(err, "S3 access key id and secret key are required");
		return -1;
	}
	if (gmtime_r(&t, &tm) == NULL || strftime(amzdate, AMZDATE_LEN, "%Y%m%dT%H%M%SZ",
	    &tm) != AMZDATE_LEN - 1) {
		buf_printf(err, "signing time out of range");
		return -1;
	}
	memcpy(date, amzdate, 8);
	date[8] = '\0';
	return 0;
}

/* The signature of canonical request creq (hex, into sig), through the string to sign made of
 * amzdate and scope. trace, when not NULL, receives creq and the string to sign. Returns 0, or
 * -1 with a message in err. */
static int
sign_canonical(const struct sigv4_request *r, const char *amzdate, const char *date,
    const struct buf *scope, const struct buf *creq, char sig[2 * MAC_LEN + 1],
    struct sigv4_trace *trace, struct buf *err)
{
	struct buf sts = BUF_INIT, hex = BUF_INIT;
	unsigned char md[MAC_LEN], key[MAC_LEN], mac[MAC_LEN];
	unsigned int mdlen = 0;
	int rc = -1;

	if (EVP_Digest(creq->data, creq->len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != MAC_LEN) {
		buf_printf(err, "SHA-256 failed");
		goto out;
	}
	buf_printf(&sts, ALGORITHM "\n%s\n", amzdate);
	buf_append(&sts, scope->data, scope->len);
	buf_putc(&sts, '\n');
	hex_append(md, sizeof md, &sts);
	if (signing_key(r->secret_key, date, r->region, key) != 0 ||
	    hmac(key, sizeof key, sts.data, sts.len, mac) != 0) {
		buf_printf(err, "HMAC-SHA256 failed");
		goto out;
	}
	hex_append(mac, sizeof mac, &hex);
	memcpy(sig, hex.data, 2 * MAC_LEN);
	sig[2 * MAC_LEN] = '\0';
	if (trace != NULL) {
		buf_append(&trace->canonical_request, creq->data, creq->len);
		buf_append(&trace->string_to_sign, sts.data, sts.len);
		memcpy(trace->signature, sig, sizeof trace->signature);
	}
	rc = 0;
out:
	OPENSSL_cleanse(key, sizeof key);
	buf_free(&sts);
	buf_free(&hex);
	return rc;
}

int
sigv4_presign(const struct sigv4_request *r, struct buf *url, struct sigv4_trace *trace,
    struct buf *err)
{
	struct buf host = BUF_INIT, path = BUF_INIT, query = BUF_INIT, creq = BUF_INIT;
	struct buf scope = BUF_INIT;
	char amzdate[AMZDATE_LEN], date[DATE_LEN], sig[2 * MAC_LEN + 1];
	struct endpoint e;
	int rc = -1;

	if (check_signed(r, &e, amzdate, date, err) != 0)
		goto out;
	if (r->expires < 1 || r->expires > SIGV4_EXPIRES_MAX) {
		buf_printf(err, "presigned URL lifetime must be 1 to %ld seconds", SIGV4_EXPIRES_MAX);
		goto out;
	}
	host_and_path(r, &e, &host, &path);
	buf_printf(&scope, "%s/%s/" SERVICE "/" TERMINATOR, date, r->region);

	/* The query, its parameters in byte order of their names (they are written sorted). */
	buf_puts(&query, "X-Amz-Algorithm=" ALGORITHM "&X-Amz-Credential=");
	sigv4_uri_encode(r->access_key_id, strlen(r->access_key_id), false, &query);
	buf_puts(&query, "%2F");
	sigv4_uri_encode(scope.data, scope.len, false, &query);
	buf_printf(&query, "&X-Amz-Date=%s&X-Amz-Expires=%ld&X-Amz-SignedHeaders=host", amzdate,
	    r->expires);

	/* Canonical request: method, path, query, headers, signed headers, payload hash. */
	buf_printf(&creq, "%s\n", r->method);
	buf_append(&creq, path.data, path.len);
	buf_putc(&creq, '\n');
	buf_append(&creq, query.data, query.len);
	buf_puts(&creq, "\nhost:");
	buf_append(&creq, host.data, host.len);
	buf_puts(&creq, "\n\nhost\n" SIGV4_UNSIGNED_PAYLOAD);
	if (sign_canonical(r, amzdate, date, &scope, &creq, sig, trace, err) != 0)
		goto out;

	buf_append(url, e.scheme, e.scheme_len);
	buf_append(url, host.data, host.len);
	buf_append(url, path.data, path.len);
	buf_putc(url, '?');
	buf_append(url, query.data, query.len);
	buf_printf(url, "&X-Amz-Signature=%s", sig);
	rc = 0;
out:
	buf_free(&host);
	buf_free(&path);
	buf_free(&query);
	buf_free(&creq);
	buf_free(&scope);
	return rc;
}

static int
header_cmp(const void *a, const void *b)
{
	return strcmp(((const struct sigv4_header *)a)->name,
	    ((const struct sigv4_header *)b)->name);
}

/* Whether h is a header we can sign as given: a lower-case token name that is none of the three
 * sigv4_sign adds, and a value without control characters or surrounding blanks (the canonical
 * form would change it otherwise). */
static bool
valid_header(const struct sigv4_header *h)
{
	size_t n = h->name ? strlen(h->name) : 0, v = h->value ? strlen(h->value) : 0, i;

	if (n == 0 || strspn(h->name, "abcdefghijklmnopqrstuvwxyz0123456789-") != n ||
	    strcmp(h->name, "host") == 0 || strcmp(h->name, "x-amz-date") == 0 ||
	    strcmp(h->name, "x-amz-content-sha256") == 0 || h->value == NULL)
		return false;
	for (i = 0; i < v; i++)
		if ((unsigned char)h->value[i] < 0x20 || h->value[i] == 0x7f)
			return false;
	return v == 0 || (h->value[0] != ' ' && h->value[v - 1] != ' ');
}

/* Whether s is 64 lower-case hex digits or UNSIGNED-PAYLOAD. */
static bool
valid_payload_hash(const char *s)
{
	return s != NULL && ((strlen(s) == 2 * MAC_LEN &&
	    strspn(s, hexdigits) == 2 * MAC_LEN) || strcmp(s, SIGV4_UNSIGNED_PAYLOAD) == 0);
}

int
sigv4_sign(const struct sigv4_request *r, const char *payload_sha256,
    const struct sigv4_header *extra, size_t n, struct sigv4_signed *out,
    struct sigv4_trace *trace, struct buf *err)
{
	struct buf host = BUF_INIT, path = BUF_INIT, creq = BUF_INIT, scope = BUF_INIT;
	struct buf names = BUF_INIT;
	struct sigv4_header h[SIGV4_HEADERS_MAX + 3];
	char amzdate[AMZDATE_LEN], date[DATE_LEN], sig[2 * MAC_LEN + 1];
	struct endpoint e;
	size_t i, nh = 0;
	int rc = -1;

	if (check_signed(r, &e, amzdate, date, err) != 0)
		goto out;
	if (!valid_payload_hash(payload_sha256)) {
		buf_printf(err, "SigV4 payload hash must be 64 hex digits or " SIGV4_UNSIGNED_PAYLOAD);
		goto out;
	}
	if (n > SIGV4_HEADERS_MAX) {
		buf_printf(err, "SigV4: at most %d extra headers", SIGV4_HEADERS_MAX);
		goto out;
	}
	host_and_path(r, &e, &host, &path);
	for (i = 0; i < n; i++) {
		if (!valid_header(&extra[i])) {
			buf_printf(err, "SigV4: header %zu must be a lower-case name (not host or "
			    "x-amz-*-date/sha256) and a trimmed value without control characters", i);
			goto out;
		}
		h[nh++] = extra[i];
	}
	h[nh++] = (struct sigv4_header){ "host", buf_cstr(&host) };
	h[nh++] = (struct sigv4_header){ "x-amz-content-sha256", payload_sha256 };
	h[nh++] = (struct sigv4_header){ "x-amz-date", amzdate };
	/* Canonical headers are in byte order of their (lower-case) names. */
	qsort(h, nh, sizeof h[0], header_cmp);
	buf_printf(&scope, "%s/%s/" SERVICE "/" TERMINATOR, date, r->region);

	/* Canonical request: method, path, empty query, headers, signed headers, payload hash. */
	buf_printf(&creq, "%s\n", r->method);
	buf_append(&creq, path.data, path.len);
	buf_puts(&creq, "\n\n");
	for (i = 0; i < nh; i++) {
		buf_printf(&creq, "%s:%s\n", h[i].name, h[i].value);
		buf_printf(&names, "%s%s", i ? ";" : "", h[i].name);
	}
	buf_printf(&creq, "\n%s\n%s", buf_cstr(&names), payload_sha256);
	if (sign_canonical(r, amzdate, date, &scope, &creq, sig, trace, err) != 0)
		goto out;

	buf_append(&out->url, e.scheme, e.scheme_len);
	buf_append(&out->url, host.data, host.len);
	buf_append(&out->url, path.data, path.len);
	buf_printf(&out->authorization, ALGORITHM " Credential=%s/%s,SignedHeaders=%s,"
	    "Signature=%s", r->access_key_id, buf_cstr(&scope), buf_cstr(&names), sig);
	memcpy(out->amz_date, amzdate, sizeof out->amz_date);
	rc = 0;
out:
	buf_free(&host);
	buf_free(&path);
	buf_free(&creq);
	buf_free(&scope);
	buf_free(&names);
	return rc;
}

void
sigv4_signed_free(struct sigv4_signed *s)
{
	if (s == NULL)
		return;
	buf_free(&s->url);
	buf_free(&s->authorization);
}
