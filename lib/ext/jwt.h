/* jwt.h: login tokens (JWT, RFC 7519, signed HS256 as in RFC 7515) and hashes of emailed codes,
 * under a current key and the key before the last rotation.
 *
 * The server fixes the algorithm: a token is HMAC-SHA256 or nothing, whatever its header says, so
 * "alg":"none" and algorithm-confusion tricks have nothing to work with. Tokens name their key by
 * "kid" (the first 16 hex digits of SHA-256 of the key: it tells keys apart and reveals nothing
 * usable), so after a rotation tokens signed with the previous key keep working until they expire
 * and tokens of a key that is gone stop working at once.
 *
 * Key material never appears in an error message or a log line, and is wiped when freed. */
#ifndef STARLING_JWT_H
#define STARLING_JWT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "buf.h"

/* Tokens longer than this are refused unread: ours are a few hundred bytes, and the bound keeps a
 * hostile Authorization header from costing more than one small HMAC. */
#define JWT_MAX_BYTES 4096
/* Keys of fewer bytes are refused: HMAC-SHA256 wants at least its output size (RFC 7518 3.2). */
#define JWT_KEY_MIN 32
#define JWT_KEY_MAX 4096
/* Hex digits of a kid. */
#define JWT_KID_LEN 16
/* Emailed codes longer than this are refused by jwt_code_hash and never match: a code is typed
 * by a person, a few dozen characters at most. */
#define JWT_CODE_MAX 256
/* jwt_random_hex gives at most this many bytes (twice as many hex digits). */
#define JWT_RANDOM_MAX 256
/* Leeways above this (seconds) are refused by jwt_verify as a caller bug; config allows
 * 0 .. 600. */
#define JWT_LEEWAY_MAX 3600

struct jwt_keys;

/* Reads the current key from current_path and, unless previous_path is NULL or "", the previous
 * one. A key is its file's content with trailing "\r\n \t" removed (so `openssl rand -base64 48 >
 * file` works), JWT_KEY_MIN .. JWT_KEY_MAX bytes. A file that others may read or write (any of
 * S_IRWXO) is refused: anyone who can read the key can sign tokens for any user. Returns the keys
 * (free with jwt_keys_free), or NULL with "path: problem" appended to err (which may be NULL);
 * the message names the file, never its content. */
struct jwt_keys *jwt_keys_load(const char *current_path, const char *previous_path,
    struct buf *err);
/* Keys from memory (tests, tools): n bytes at cur and pn bytes at prev (prev NULL or pn 0: none),
 * copied, with the same length rules as files. Returns NULL when a key is too short or too long. */
struct jwt_keys *jwt_keys_new(const void *cur, size_t n, const void *prev, size_t pn);
/* Wipes and frees the keys. NULL is accepted. */
void jwt_keys_free(struct jwt_keys *k);
/* The kid of the current key (JWT_KID_LEN hex digits): borrowed, valid until jwt_keys_free. */
const char *jwt_keys_kid(const struct jwt_keys *k);

/* Appends a token carrying claims (a JSON object: borrowed, unchanged; the caller puts in sub,
 * iat, exp, jti...) signed with the current key, under the header
 * {"alg":"HS256","typ":"JWT","kid":"<current kid>"}. Returns 0, or -1 with out unchanged when
 * claims is not an object, the token would exceed JWT_MAX_BYTES (jwt_verify would refuse it), or
 * OpenSSL fails. */
int jwt_sign(const struct jwt_keys *k, struct json_object *claims, struct buf *out);

/* Checks the n bytes at token at time now (Unix seconds), tolerating leeway seconds (0 ..
 * JWT_LEEWAY_MAX) of clock difference. Returns 0 when valid, with *claims a new reference to the
 * payload object that the caller releases with json_object_put and *why NULL; or -1 with *claims
 * NULL and *why a short static English reason for the log (it never quotes the token). claims and
 * why may be NULL when not wanted. Valid means:
 * - at most JWT_MAX_BYTES, three non-empty parts of unpadded base64url in canonical form;
 * - the header is a JSON object whose "alg" is the string "HS256" exactly, without "crit" (we
 *   understand no extension, RFC 7515 4.1.11); its "kid", if any, is a string naming the current
 *   or the previous key; without kid the current key is tried, then the previous one;
 * - the HMAC-SHA256 of the first two parts under that key equals the third (constant time);
 * - the payload is a JSON object with an integer "exp" and now <= exp + leeway; an "nbf", if any,
 *   is an integer and now >= nbf - leeway; an "iat", if any, is an integer and iat <= now + leeway.
 *   Time claims must lie in 0 .. 253402300799 (the year 9999).
 * Header and payload are parsed by json-c in strict mode, the whole text, no NUL byte. */
int jwt_verify(const struct jwt_keys *k, const char *token, size_t n, int64_t now, long leeway,
    struct json_object **claims, const char **why);

/* Writes the HMAC-SHA256, under the current key, of an emailed code (n bytes: activation or
 * password reset) as 64 lowercase hex digits and a NUL into out, for storage in place of the code.
 * The HMAC input starts with "starling-code" and a NUL byte, which a token's signing input can
 * never contain, so a stored code hash can never serve as a token signature. Returns 0, or -1
 * when n > JWT_CODE_MAX or OpenSSL fails. */
int jwt_code_hash(const struct jwt_keys *k, const char *code, size_t n, char out[65]);
/* True when code hashes to stored_hex (64 lowercase hex digits) under the current or the previous
 * key, so a code mailed just before a rotation still works. Constant-time compare; false for a
 * malformed stored_hex, a NULL or a code longer than JWT_CODE_MAX. */
bool jwt_code_matches(const struct jwt_keys *k, const char *code, size_t n,
    const char *stored_hex);

/* Bytes of a key made by jwt_derive_key. */
#define JWT_DERIVED_LEN 32

/* Derives a key for another use of the token keys (media URLs, upload links), so a module that
 * signs something else never holds the token key itself: out = HMAC-SHA256, under the current
 * key (previous false) or the previous one (previous true), of "starling-derive", a NUL byte and
 * label. The NUL keeps the input apart from a token's signing input (base64url and dots) and the
 * label from a code hash's ("starling-code" and a NUL); distinct labels give unrelated keys.
 * Returns 0; 1 when the previous key was asked for and there is none (out untouched); -1 when
 * label is NULL or longer than 64 bytes, or OpenSSL fails. */
int jwt_derive_key(const struct jwt_keys *k, bool previous, const char *label,
    unsigned char out[JWT_DERIVED_LEN]);

/* Appends nbytes (1 .. JWT_RANDOM_MAX) random bytes as lowercase hex to out: token ids (jti) and
 * emailed codes. Returns 0, or -1 with out unchanged when nbytes is out of range or the system
 * has no randomness. */
int jwt_random_hex(size_t nbytes, struct buf *out);

#endif
