/* password.c: PBKDF2-HMAC-SHA256 password hashes in a self-describing string. */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "password.h"

#define SCHEME     "pbkdf2-sha256$"
#define SCHEME_LEN (sizeof SCHEME - 1)

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

/* Reads the iteration field: plain decimal in range, no sign or leading zero (one spelling). */
static int
parse_iterations(const char *s, size_t len, long *out)
{
	long v = 0;
	size_t i;

	/* Nine digits hold PASSWORD_MAX_ITERATIONS; more could only be out of range or overflow. */
	if (len == 0 || len > 9 || s[0] == '0')
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v < PASSWORD_MIN_ITERATIONS || v > PASSWORD_MAX_ITERATIONS)
		return -1;
	*out = v;
	return 0;
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
	if (parse_iterations(it, (size_t)(salt - 1 - it), &st->iterations) < 0)
		return -1;
	if ((n = b64_decode(salt, (size_t)(hash - 1 - salt), st->salt, sizeof st->salt)) < 0)
		return -1;
	st->saltlen = (size_t)n;
	n = b64_decode(hash, (size_t)(end - hash), st->hash, sizeof st->hash);
	return n == PASSWORD_HASH_LEN ? 0 : -1;
}

int
password_hash(const char *pw, size_t n, long iterations, struct buf *out)
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

int
password_verify(const char *pw, size_t n, const char *stored, long want_iterations,
    bool *rehash)
{
	struct stored st;
	unsigned char key[PASSWORD_HASH_LEN];
	int match;

	if (rehash != NULL)
		*rehash = false;
	/* A damaged record is reported as such whatever the password. */
	if (stored == NULL || parse_stored(stored, &st) < 0)
		return -1;
	if (!acceptable(pw, n))
		return 0;
	if (derive(pw, n, st.salt, st.saltlen, st.iterations, key) < 0)
		return -1;
	match = CRYPTO_memcmp(key, st.hash, sizeof key) == 0;
	if (match && rehash != NULL)
		*rehash = st.iterations != want_iterations || st.saltlen != PASSWORD_SALT_LEN;
	return match;
}
