/* sigv4.h: AWS Signature Version 4 presigned URLs (query-string authentication) for S3-compatible
 * object stores: AWS, MinIO, Ceph.
 *
 * A presigned URL lets a client GET or PUT one object with no credentials of its own: the query
 * string carries the access key id, the time, the lifetime and a signature that only the holder
 * of the secret key could make. We sign only the Host header (X-Amz-SignedHeaders=host) and use
 * UNSIGNED-PAYLOAD, so the client may send any bytes; what they are is checked where they are
 * used (media.c). Follows "Authenticating Requests: Using Query Parameters (AWS Signature
 * Version 4)" in the Amazon S3 API reference, whose worked example tests/unit/test_sigv4.c
 * reproduces.
 *
 * Return convention: 0 done, -1 a bad argument or an OpenSSL failure, with a message in err. */
#ifndef STARLING_SIGV4_H
#define STARLING_SIGV4_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"

/* The longest lifetime S3 accepts for a presigned URL: seven days. */
#define SIGV4_EXPIRES_MAX 604800L

/* What to sign. Every string is borrowed. */
struct sigv4_request {
	const char *method;        /* "GET", "PUT" (any upper-case token) */
	const char *endpoint;      /* "https://s3.amazonaws.com", "http://127.0.0.1:9000": scheme
	                            * and host, optional port, optional final '/', no path */
	const char *region;        /* "us-east-1" */
	const char *bucket;        /* "examplebucket" */
	bool        path_style;    /* endpoint/bucket/key; else bucket.endpoint-host/key */
	const char *key;           /* the object key, not encoded: "photos/a b.jpg" */
	const char *access_key_id;
	const char *secret_key;
	int64_t     now;           /* Unix seconds: the signing time, X-Amz-Date */
	long        expires;       /* seconds, 1 .. SIGV4_EXPIRES_MAX */
};

/* The intermediate values, for tests and for debugging a store that refuses our signature (the
 * store's error response shows what it computed). */
struct sigv4_trace {
	struct buf canonical_request;
	struct buf string_to_sign;
	char       signature[65];
};

/* Appends the object's URL without a query string ("https://examplebucket.s3.amazonaws.com/
 * test.txt") to url: each key segment RFC 3986-encoded, '/' kept between them. Returns 0, or -1
 * with a message in err (may be NULL) when the endpoint or the bucket is malformed. */
int sigv4_object_url(const struct sigv4_request *r, struct buf *url, struct buf *err);

/* Appends the presigned URL to url. trace, when not NULL, receives the intermediate values (its
 * bufs are appended to; the caller frees them). Returns 0, or -1 with a message in err (may be
 * NULL) and url unchanged. */
int sigv4_presign(const struct sigv4_request *r, struct buf *url, struct sigv4_trace *trace,
    struct buf *err);

/* Appends n bytes of s RFC 3986-encoded as SigV4 wants: unreserved characters (A-Z a-z 0-9
 * - . _ ~) as they are, every other byte as %XX with upper-case hex; '/' kept when keep_slash. */
void sigv4_uri_encode(const char *s, size_t n, bool keep_slash, struct buf *out);

#endif
