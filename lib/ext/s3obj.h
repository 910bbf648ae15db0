/* s3obj.h: signed requests on one object of an S3-compatible store (GET, PUT, HEAD, DELETE), for
 * starling-worker, which reads uploaded originals and writes their processed sizes
 * (docs/media.md, "S3-compatible storage"). Signed with lib/ext/sigv4.h's Authorization header.
 *
 * Every error message names the method, the endpoint, the bucket and the key, and the store's
 * error code when it sent one (its XML <Code>): never the secret key or the signature.
 *
 * Return convention: enum s3obj_rc (0 done, >0 a refusal named below, <0 a failure: the network,
 * the store's 5xx, a signature refused). */
#ifndef STARLING_S3OBJ_H
#define STARLING_S3OBJ_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* The store and the credentials. Every string borrowed. */
struct s3obj_store {
	const char *endpoint;       /* "http://127.0.0.1:9000", as lib/ext/sigv4.h takes it */
	const char *region;
	const char *bucket;
	bool        path_style;
	const char *access_key_id;
	const char *secret_key;
	long        timeout_ms;     /* the whole request, connection included */
};

enum s3obj_rc {
	S3OBJ_FAILED    = -1,
	S3OBJ_OK        = 0,
	S3OBJ_NOT_FOUND = 1,        /* 404: no such object */
	S3OBJ_TOO_LARGE = 2,        /* s3obj_get: more than max bytes; nothing kept */
};

/* GETs object key into body (appended), at most max bytes. */
enum s3obj_rc s3obj_get(const struct s3obj_store *s, const char *key, size_t max,
    struct buf *body, struct buf *err);

/* PUTs the n bytes at p as object key with Content-Type ctype, the payload signed (its SHA-256),
 * so a store checks that the bytes it got are the bytes we signed. Objects are written with no
 * ACL: whether they are public is the bucket policy's say (docs/media.md). */
enum s3obj_rc s3obj_put(const struct s3obj_store *s, const char *key, const void *p, size_t n,
    const char *ctype, struct buf *err);

/* Whether object key exists: S3OBJ_OK, S3OBJ_NOT_FOUND or S3OBJ_FAILED. */
enum s3obj_rc s3obj_head(const struct s3obj_store *s, const char *key, struct buf *err);

/* Deletes object key (S3 answers 204 for a key already gone too). */
enum s3obj_rc s3obj_delete(const struct s3obj_store *s, const char *key, struct buf *err);

#endif
