/* password.c: argon2id password hashes (libsodium), and the PBKDF2-HMAC-SHA256 ones of earlier
 * releases, in self-describing strings. */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sodium.h>

#include "password.h"

#define SCHEME     "pbkdf2-sha256$"
#define SCHEME_LEN (sizeof SCHEME - 1)
/* The only argon2 form written or read: argon2id, version 0x13 (19), its cost fields first. */
#define ARGON2     "$argon2id$v=19$m="
#define ARGON2_LEN (sizeof ARGON2 - 1)

/* Characters of padded base64 for n bytes. */
#define B64_LEN(n) (4 * (((n) + 2) / 3))

/* What a stored string says. */
struct stored {
	long          iterations;
	unsigned char salt[PASSWORD_SALT_MAX];
	size_t        saltlen;
	unsigned char hash[PASSWORD_HASH_LEN];
};

/* True for a password password_hash accepts (see password.h). */
static bool
acceptable(const char *pw, size_t n)
{
	return n <= PASSWORD_MAX_BYTES && (n == 0 || memchr(pw, '\0', n) == NULL);
}

/* The PASSWORD_HASH_LEN byte key of pw for salt and iterations. Returns 0, or -1 when OpenSSL
 * fails. The callers bound every length far below INT_MAX, which is what OpenSSL takes. */
static int
derive(const char *pw, size_t n, const unsigned char *salt, size_t saltlen, long iterations,
    unsigned char out[PASSWORD_HASH_LEN])
{
	return PKCS5_PBKDF2_HMAC(n ? pw : "", (int)n, salt, (int)saltlen, (int)iterations,
	    EVP_sha256(), PASSWORD_HASH_LEN, out) == 1 ? 0 : -1;
}

/* Appends the padded base64 of n (at most PASSWORD_SALT_MAX) bytes to out. */
static void
b64_append(struct buf *out, const unsigned char *p, size_t n)
{
	unsigned char text[B64_LEN(PASSWORD_SALT_MAX) + 1];

	buf_append(out, text, (size_t)EVP_EncodeBlock(text, p, (int)n));
}

/* Decodes len characters at s into out, which has room for max (at most PASSWORD_SALT_MAX) bytes.
 * Returns the byte count (1 .. max), or -1 unless s is exactly the padded base64 that
 * b64_append writes for those bytes. EVP_DecodeBlock alone is lenient (it skips surrounding
 * blanks, keeps padding bytes, ignores stray low bits), so the result is encoded again and must
 * give back s: one hash has one spelling. */
static int
b64_decode(const char *s, size_t len, unsigned char *out, size_t max)
{
	unsigned char raw[B64_LEN(PASSWORD_SALT_MAX) / 4 * 3];
	unsigned char again[B64_LEN(PASSWORD_SALT_MAX) + 1];
	size_t n, pad = 0;
	int got;

	if (len == 0 || len % 4 != 0 || len > B64_LEN(max))
		return -1;
	while (pad < 2 && s[len - 1 - pad] == '=')
		pad++;
	got = EVP_DecodeBlock(raw, (const unsigned char *)s, (int)len);
	if (got < 0 || (size_t)got != len / 4 * 3)
		return -1;
	/* At least one byte: got is 3 or more, pad at most 2. */
	n = (size_t)got - pad;
	if (n > max)
		return -1;
	if ((size_t)EVP_EncodeBlock(again, raw, (int)n) != len || memcmp(again, s, len) != 0)
		return -1;
	memcpy(out, raw, n);
	return (int)n;
}

/* Reads len characters at s as plain decimal within min .. max, with no sign or leading zero (one
 * spelling). Returns 0, or -1. */
static int
parse_decimal(const char *s, size_t len, long min, long max, long *out)
{
	long v = 0;
	size_t i;

	/* Nine digits hold every bound used here; more could only be out of range or overflow. */
	if (len == 0 || len > 9 || s[0] == '0')
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static bool
cost_ok(const struct password_cost *c)
{
	return c->passes >= PASSWORD_MIN_PASSES && c->passes <= PASSWORD_MAX_PASSES &&
	    c->mem_kib >= PASSWORD_MIN_MEM_KIB && c->mem_kib <= PASSWORD_MAX_MEM_KIB;
}

/* Reads the cost of "$argon2id$v=19$m=M,t=T,p=1$..." into c, within the ranges of password.h.
 * Returns 0, or -1 for another form. The salt and hash that follow are libsodium's to check. */
static int
parse_argon2(const char *text, struct password_cost *c)
{
	size_t len = strnlen(text, PASSWORD_STORED_MAX + 1);
	const char *m, *t, *end = text + len;

	if (len > PASSWORD_STORED_MAX || len < ARGON2_LEN || memcmp(text, ARGON2, ARGON2_LEN) != 0)
		return -1;
	m = text + ARGON2_LEN;
	if ((t = memchr(m, ',', (size_t)(end - m))) == NULL ||
	    parse_decimal(m, (size_t)(t - m), PASSWORD_MIN_MEM_KIB, PASSWORD_MAX_MEM_KIB,
	    &c->mem_kib) < 0 || strncmp(t, ",t=", 3) != 0)
		return -1;
	t += 3;
	if ((m = memchr(t, ',', (size_t)(end - t))) == NULL ||
	    parse_decimal(t, (size_t)(m - t), PASSWORD_MIN_PASSES, PASSWORD_MAX_PASSES,
	    &c->passes) < 0)
		return -1;
	/* One lane: libsodium computes no other, and p=1 is what OWASP's figures assume. */
	return strncmp(m, ",p=1$", 5) == 0 ? 0 : -1;
}

/* Splits "pbkdf2-sha256$iterations$salt$hash" into st. Returns 0, or -1 when malformed. */
static int
parse_stored(const char *text, struct stored *st)
{
	size_t len = strnlen(text, PASSWORD_STORED_MAX + 1);
	const char *it, *salt, *hash, *end = text + len;
	int n;

	if (len > PASSWORD_STORED_MAX || len < SCHEME_LEN || memcmp(text, SCHEME, SCHEME_LEN) != 0)
		return -1;
	it = text + SCHEME_LEN;
	if ((salt = memchr(it, '$', (size_t)(end - it))) == NULL)
		return -1;
	salt++;
	if ((hash = memchr(salt, '$', (size_t)(end - salt))) == NULL)
		return -1;
	hash++;
	/* A further '$' ends up inside the hash field, where base64 refuses it. */
	if (parse_decimal(it, (size_t)(salt - 1 - it), PASSWORD_MIN_ITERATIONS,
	    PASSWORD_MAX_ITERATIONS, &st->iterations) < 0)
		return -1;
	if ((n = b64_decode(salt, (size_t)(hash - 1 - salt), st->salt, sizeof st->salt)) < 0)
		return -1;
	st->saltlen = (size_t)n;
	n = b64_decode(hash, (size_t)(end - hash), st->hash, sizeof st->hash);
	return n == PASSWORD_HASH_LEN ? 0 : -1;
}

int
password_hash(const char *pw, size_t n, const struct password_cost *cost, struct buf *out)
{
	char text[crypto_pwhash_STRBYTES];

	if (!acceptable(pw, n) || !cost_ok(cost) || sodium_init() < 0)
		return -1;
	if (crypto_pwhash_str_alg(text, n ? pw : "", n, (unsigned long long)cost->passes,
	    (size_t)cost->mem_kib * 1024, crypto_pwhash_ALG_ARGON2ID13) != 0)
		return -1;
	buf_puts(out, text);
	sodium_memzero(text, sizeof text);
	return 0;
}

int
password_hash_pbkdf2(const char *pw, size_t n, long iterations, struct buf *out)
{
	unsigned char salt[PASSWORD_SALT_LEN], key[PASSWORD_HASH_LEN];

	if (!acceptable(pw, n) || iterations < PASSWORD_MIN_ITERATIONS ||
	    iterations > PASSWORD_MAX_ITERATIONS)
		return -1;
	if (RAND_bytes(salt, sizeof salt) != 1 || derive(pw, n, salt, sizeof salt, iterations, key) < 0)
		return -1;
	/* Appended only now, so a failure leaves out as it was. */
	buf_printf(out, SCHEME "%ld$", iterations);
	b64_append(out, salt, sizeof salt);
	buf_putc(out, '$');
	b64_append(out, key, sizeof key);
	return 0;
}

/* password_verify for an earlier release's PBKDF2 hash: a match always asks for a re-hash. */
static int
verify_pbkdf2(const char *pw, size_t n, const char *stored, bool *rehash)
{
	struct stored st;
	unsigned char key[PASSWORD_HASH_LEN];
	int match;

	/* A damaged record is reported as such whatever the password. */
	if (parse_stored(stored, &st) < 0)
		return -1;
	if (!acceptable(pw, n))
		return 0;
	if (derive(pw, n, st.salt, st.saltlen, st.iterations, key) < 0)
		return -1;
	match = CRYPTO_memcmp(key, st.hash, sizeof key) == 0;
	*rehash = match;
	return match;
}

/* password_verify for argon2id. libsodium answers -1 both for no match and for a string it cannot
 * read; crypto_pwhash_str_needs_rehash, which reads the whole string (salt and hash included)
 * without hashing, tells the two apart first. */
static int
verify_argon2(const char *pw, size_t n, const char *stored, const struct password_cost *want,
    bool *rehash)
{
	struct password_cost got;
	int stale;

	if (parse_argon2(stored, &got) < 0 || sodium_init() < 0)
		return -1;
	stale = crypto_pwhash_str_needs_rehash(stored, (unsigned long long)want->passes,
	    (size_t)want->mem_kib * 1024);
	if (stale < 0)
		return -1;
	if (!acceptable(pw, n) || crypto_pwhash_str_verify(stored, n ? pw : "", n) != 0)
		return 0;
	*rehash = stale != 0;
	return 1;
}

int
password_verify(const char *pw, size_t n, const char *stored, const struct password_cost *want,
    bool *rehash)
{
	bool ignored = false;

	if (rehash == NULL)
		rehash = &ignored;
	*rehash = false;
	if (stored == NULL)
		return -1;
	if (strncmp(stored, SCHEME, SCHEME_LEN) == 0)
		return verify_pbkdf2(pw, n, stored, rehash);
	return verify_argon2(pw, n, stored, want, rehash);
}
