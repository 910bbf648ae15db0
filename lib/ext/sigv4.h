/* sigv4.h: AWS Signature Version 4 for S3-compatible object stores (AWS, MinIO, Ceph): presigned
 * URLs (query-string authentication) for clients, and signed requests (the Authorization header)
 * for starling-worker, which reads originals and writes processed sizes (lib/ext/s3obj.h).
 *
 * A presigned URL lets a client GET or PUT one object with no credentials of its own: the query
 * string carries the access key id, the time, the lifetime and a signature that only the holder
 * of the secret key could make. We sign only the Host header (X-Amz-SignedHeaders=host) and use
 * UNSIGNED-PAYLOAD, so the client may send any bytes; what they are is checked where they are
 * used (media.c). Follows "Authenticating Requests: Using Query Parameters (AWS Signature
 * Version 4)" in the Amazon S3 API reference, whose worked example tests/unit/test_sigv4.c
 * reproduces. Signed requests follow "Signature Calculations for the Authorization Header:
 * Transferring Payload in a Single Chunk", whose GET and PUT examples it reproduces too.
 *
 * Return convention: 0 done, -1 a bad argument or an OpenSSL failure, with a message in err. */
#ifndef STARLING_SIGV4_H
#define STARLING_SIGV4_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"

/* The longest lifetime S3 accepts for a presigned URL: seven days. */
#define SIGV4_EXPIRES_MAX 604800L
/* The payload hash of a request whose body is not signed (presigned URLs always are so). */
#define SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
/* Extra headers sigv4_sign takes at most: S3 requests need a few (content-type, range). */
#define SIGV4_HEADERS_MAX 8

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
	long        expires;       /* presigning only: seconds, 1 .. SIGV4_EXPIRES_MAX */
};

/* One header to sign: name lower case, value as sent (no surrounding blanks). Borrowed. */
struct sigv4_header {
	const char *name;
	const char *value;
};

/* A signed request, as sigv4_sign makes it (sigv4_signed_free frees it; start from
 * SIGV4_SIGNED_INIT). The request must send the Host of url, these two headers, the extra
 * headers signed, and x-amz-content-sha256 as given. */
struct sigv4_signed {
	struct buf url;            /* the object's URL, no query */
	struct buf authorization;  /* the Authorization header's value */
	char       amz_date[17];   /* the X-Amz-Date header's value */
};
#define SIGV4_SIGNED_INIT { BUF_INIT, BUF_INIT, "" }

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

/* Signs request r (r->expires unused) with an Authorization header: the headers signed are host,
 * x-amz-content-sha256 (payload_sha256: the body's SHA-256 in lower-case hex, or
 * SIGV4_UNSIGNED_PAYLOAD), x-amz-date and the n extra ones (at most SIGV4_HEADERS_MAX, see struct
 * sigv4_header). Appends to out's bufs; trace as for sigv4_presign. Returns 0, or -1 with a
 * message in err (may be NULL). The secret is never written to out, trace or err. */
int sigv4_sign(const struct sigv4_request *r, const char *payload_sha256,
    const struct sigv4_header *extra, size_t n, struct sigv4_signed *out,
    struct sigv4_trace *trace, struct buf *err);
void sigv4_signed_free(struct sigv4_signed *s);

/* Appends n bytes of s RFC 3986-encoded as SigV4 wants: unreserved characters (A-Z a-z 0-9
 * - . _ ~) as they are, every other byte as %XX with upper-case hex; '/' kept when keep_slash. */
void sigv4_uri_encode(const char *s, size_t n, bool keep_slash, struct buf *out);

#endif
