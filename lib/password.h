/* password.h: password hashes for storage (PBKDF2-HMAC-SHA256, RFC 8018), with upgrade at login.
 *
 * A stored hash describes itself, so the iteration count can be raised later without a flag day:
 *
 *   pbkdf2-sha256$<iterations>$<salt>$<hash>
 *
 * iterations is plain decimal (PASSWORD_MIN_ITERATIONS .. PASSWORD_MAX_ITERATIONS, no sign, no
 * leading zero); salt and hash are standard base64 (RFC 4648 section 4, alphabet A-Z a-z 0-9 + /)
 * with its '=' padding, in canonical form. '$' is not in that alphabet, so the fields split
 * unambiguously. New hashes use a PASSWORD_SALT_LEN byte random salt and a PASSWORD_HASH_LEN byte
 * derived key (one SHA-256 block: a longer key would double the defender's work, not the
 * attacker's). A hash is about 100 bytes: store it in a VARCHAR(255). */
#ifndef STARLING_PASSWORD_H
#define STARLING_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* Passwords longer than this are refused: PBKDF2 hashes an over-long password once per iteration
 * block, so without a bound a megabyte "password" would cost a worker seconds of CPU. 1024 bytes
 * is far beyond any passphrase. */
#define PASSWORD_MAX_BYTES 1024

/* The iteration range accepted anywhere (config's [auth] password_iterations has the same one):
 * below 1000 a hash is too cheap to be worth storing; above 1e8 one login costs a minute. */
#define PASSWORD_MIN_ITERATIONS 1000L
#define PASSWORD_MAX_ITERATIONS 100000000L

#define PASSWORD_SALT_LEN 16
#define PASSWORD_HASH_LEN 32
/* Salts read from a stored hash may be 1 .. PASSWORD_SALT_MAX bytes: a salt only has to be
 * unique, its length does not change the work of a check, and hashes from other PBKDF2 systems
 * (or the RFC 7914 test vectors) carry other lengths. Such hashes are re-hashed at login. */
#define PASSWORD_SALT_MAX 64
/* A stored string longer than this is malformed before it is even split. */
#define PASSWORD_STORED_MAX 256

/* Hashes the n bytes at pw (n may be 0; no NUL byte) with a fresh random salt and iterations
 * rounds, and appends the stored form described above to out (which keeps what it held). Returns
 * 0, or -1 with out unchanged when n > PASSWORD_MAX_BYTES, pw holds a NUL byte, iterations is out
 * of range, or OpenSSL fails (no randomness). NUL bytes are refused because HMAC pads its key with
 * zeros: "pw" and "pw\0" would be one password. */
int password_hash(const char *pw, size_t n, long iterations, struct buf *out);

/* Checks the n bytes at pw against stored (a NUL-terminated string made by password_hash).
 * Returns
 *    1  match;
 *    0  no match, and also for any pw longer than PASSWORD_MAX_BYTES or holding a NUL byte
 *       (password_hash never stored such a password, so it cannot match; it is refused before
 *       any hashing);
 *   -1  stored is malformed: unknown scheme, iterations out of range or not canonical decimal,
 *       salt or hash not canonical base64, a salt of 0 or more than PASSWORD_SALT_MAX bytes, a
 *       hash that is not PASSWORD_HASH_LEN bytes, or anything else out of place; or OpenSSL
 *       failed. The caller should log that the user's record is damaged (never the string).
 * On a match, *rehash (rehash may be NULL) is set true when the stored hash is not in today's form:
 * its iteration count differs from want_iterations or its salt is not PASSWORD_SALT_LEN bytes. The
 * caller then calls password_hash with the password it just checked and stores the result, so
 * hashes follow the configured cost. *rehash is false in every other case. The comparison takes
 * the same time wherever the hashes differ. */
int password_verify(const char *pw, size_t n, const char *stored, long want_iterations,
    bool *rehash);

#endif
