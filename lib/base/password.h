/* password.h: password hashes for storage: argon2id (RFC 9106, libsodium) for every new hash;
 * PBKDF2-HMAC-SHA256 (RFC 8018) hashes of earlier releases still verified, and replaced at login.
 *
 * A stored hash describes itself, so the cost can be raised, or the scheme changed, without a
 * flag day. New hashes are the PHC string format libsodium and libargon2 write:
 *
 *   $argon2id$v=19$m=<memory KiB>,t=<passes>,p=1$<salt>$<hash>
 *
 * (salt and hash unpadded base64; about 100 bytes). Earlier releases stored
 *
 *   pbkdf2-sha256$<iterations>$<salt>$<hash>
 *
 * iterations plain decimal (PASSWORD_MIN_ITERATIONS .. PASSWORD_MAX_ITERATIONS, no sign, no
 * leading zero); salt and hash standard base64 (RFC 4648 section 4) with its '=' padding, in
 * canonical form. A successful login with such a hash reports it for rehashing. Store either in
 * a VARCHAR(255). */
#ifndef STARLING_PASSWORD_H
#define STARLING_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* Passwords longer than this are refused: PBKDF2 hashes an over-long password once per iteration
 * block, so without a bound a megabyte "password" would cost a worker seconds of CPU (argon2id
 * reads it once, but one bound serves both). 1024 bytes is far beyond any passphrase. */
#define PASSWORD_MAX_BYTES 1024

/* The PBKDF2 iteration range a stored hash may name: below 1000 a hash is too cheap to be worth
 * storing; above 1e8 one login costs a minute. */
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

/* argon2id's cost ranges, for config ([auth] argon2_passes, argon2_memory_kib) and for stored
 * hashes alike: a damaged or planted record naming 4 GiB must not make one login take a
 * process's memory. libsodium's own floor is 1 pass and 8 KiB; the ceilings are far above
 * OWASP's 2 passes over 19 MiB. */
#define PASSWORD_MIN_PASSES  1L
#define PASSWORD_MAX_PASSES  64L
#define PASSWORD_MIN_MEM_KIB 8L
#define PASSWORD_MAX_MEM_KIB 1048576L

/* The cost of new hashes, and the cost a stored hash must have not to be rehashed. */
struct password_cost {
	long passes;    /* t: passes over the memory, PASSWORD_MIN_PASSES .. PASSWORD_MAX_PASSES */
	long mem_kib;   /* m: memory in KiB, PASSWORD_MIN_MEM_KIB .. PASSWORD_MAX_MEM_KIB */
};

/* Hashes the n bytes at pw (n may be 0; no NUL byte) with argon2id at cost and a fresh random
 * salt, and appends the stored form described above to out (which keeps what it held). Returns
 * 0, or -1 with out unchanged when n > PASSWORD_MAX_BYTES, pw holds a NUL byte, the cost is out
 * of range, or libsodium fails (no memory, no randomness). NUL bytes are refused so that "pw"
 * and "pw\0" cannot be two passwords of which one is stored truncated somewhere. */
int password_hash(const char *pw, size_t n, const struct password_cost *cost, struct buf *out);

/* The same as an earlier release stored it: PBKDF2 with iterations rounds. New accounts never get
 * one; it is here so that the tests can make the hashes earlier releases left in databases. */
int password_hash_pbkdf2(const char *pw, size_t n, long iterations, struct buf *out);

/* Checks the n bytes at pw against stored (a NUL-terminated string made by either function above).
 * Returns
 *    1  match;
 *    0  no match, and also for any pw longer than PASSWORD_MAX_BYTES or holding a NUL byte
 *       (no such password was ever stored, so it cannot match; it is refused before any
 *       hashing);
 *   -1  stored is malformed: unknown scheme; for PBKDF2 iterations out of range or not canonical
 *       decimal, salt or hash not canonical base64, a salt of 0 or more than PASSWORD_SALT_MAX
 *       bytes, a hash that is not PASSWORD_HASH_LEN bytes; for argon2id a version other than 19,
 *       a cost out of the ranges above, more than one lane, or a string libsodium refuses; or
 *       the hashing failed. The caller should log that the user's record is damaged (never the
 *       string).
 * On a match, *rehash (rehash may be NULL) is set true when the stored hash is not in today's
 * form: a PBKDF2 hash, or an argon2id hash of another cost than want. The caller then calls password_hash with the password it just checked and stores the
 * result, so hashes follow the configured scheme and cost. *rehash is false in every other case.
 * The comparison takes the same time wherever the hashes differ. */
int password_verify(const char *pw, size_t n, const char *stored, const struct password_cost *want,
    bool *rehash);

#endif
