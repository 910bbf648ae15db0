/* test_password.c: password hashes, argon2id and the PBKDF2 of earlier releases: round trip,
 * salts, format, rehash, known answers, limits and malformed stored strings. Costs stay near the
 * minimum so the tests run fast. */
#include "config.h"

#include "test.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "buf.h"
#include "password.h"

#define ITER 1000L

/* argon2id at its cheapest, and another cost. */
static const struct password_cost CHEAP = { 1, 8 };
static const struct password_cost OTHER = { 2, 8 };

/* Known answers made by the reference implementation (libargon2, argon2id_hash_encoded), not by
 * libsodium: password "pw" (A_GOOD) and "correct horse 42" (A_HORSE), salt "0123456789abcdef". */
#define A_SALT  "MDEyMzQ1Njc4OWFiY2RlZg"
#define A_GOOD  "$argon2id$v=19$m=8,t=1,p=1$" A_SALT "$LSf8dWS2rDg/5QPLiItELqsao0qJtl8C2FnmF6Ddpms"
#define A_HORSE "$argon2id$v=19$m=64,t=2,p=1$" A_SALT "$afC0PCd20NMfPg9ZU4oq9qIT93v80bz0uPNwYzTHrvc"

/* A stored string made outside this code, as a second known answer and the base of the malformed
 * table: password "pw", salt "0123456789abcdef", 1000 iterations, computed with
 *   openssl kdf -keylen 32 -kdfopt digest:SHA256 -kdfopt pass:pw \
 *       -kdfopt salt:0123456789abcdef -kdfopt iter:1000 PBKDF2 */
#define PW     "pw"
#define SALT   "MDEyMzQ1Njc4OWFiY2RlZg=="
#define HASH   "g4BiOBrcHGnGTAdCcoA+WrLOFA69L2c9HA5vVpt2o7A="
#define GOOD   "pbkdf2-sha256$1000$" SALT "$" HASH

/* Splits stored at '$' into at most 6 fields (copies in f, each up to 127 bytes); returns how
 * many there were. */
static size_t
split(const char *stored, char f[6][128])
{
	size_t n = 0, len;
	const char *p = stored, *d;

	while (n < 6) {
		d = strchr(p, '$');
		len = d ? (size_t)(d - p) : strlen(p);
		if (len >= 128)
			len = 127;
		memcpy(f[n], p, len);
		f[n][len] = '\0';
		n++;
		if (d == NULL)
			break;
		p = d + 1;
	}
	return n;
}

/* Appends the padded base64 of n bytes: how the tests build stored strings of their own. */
static void
b64(struct buf *out, const unsigned char *p, size_t n)
{
	unsigned char text[256];

	assert_true(n <= 180);
	buf_append(out, text, (size_t)EVP_EncodeBlock(text, p, (int)n));
}

/* Hash then verify, for passwords of every shape up to the longest allowed. */
struct pw_row {
	int         line;
	const char *pw;
	size_t      n;
};

static char long_pw[PASSWORD_MAX_BYTES];

static const struct pw_row pw_rows[] = {
	{ __LINE__, "", 0 },
	{ __LINE__, "a", 1 },
	{ __LINE__, "correct horse battery staple", 28 },
	{ __LINE__, "p\xc3\xa4ssw\xc3\xb6rd \xe5\xaf\x86\xe7\xa0\x81", 17 },
	{ __LINE__, "\x01\xff\x7f", 3 },     /* bytes, not text */
	{ __LINE__, "$$$", 3 },           /* the separator in the password changes nothing */
	{ __LINE__, long_pw, sizeof long_pw },
};

static void
test_round_trip(void **state)
{
	struct buf out = BUF_INIT;
	bool rehash;
	size_t i;
	int rc;

	(void)state;
	memset(long_pw, 'x', sizeof long_pw);
	for (i = 0; i < sizeof pw_rows / sizeof pw_rows[0]; i++) {
		const struct pw_row *r = &pw_rows[i];

		buf_reset(&out);
		if (password_hash_pbkdf2(r->pw, r->n, ITER, &out) != 0)
			fail_msg("line %d: password_hash_pbkdf2 failed", r->line);
		rehash = false;
		rc = password_verify(r->pw, r->n, buf_cstr(&out), &CHEAP, &rehash);
		if (rc != 1 || !rehash)
			fail_msg("line %d: PBKDF2 gave %d rehash %d, want 1 and 1", r->line, rc, rehash);
		buf_reset(&out);
		if (password_hash(r->pw, r->n, &CHEAP, &out) != 0)
			fail_msg("line %d: password_hash failed", r->line);
		rehash = true;
		rc = password_verify(r->pw, r->n, buf_cstr(&out), &CHEAP, &rehash);
		if (rc != 1 || rehash)
			fail_msg("line %d: verify gave %d rehash %d, want 1 and 0", r->line, rc, rehash);
		/* One byte less, or one byte changed, is another password. */
		if (r->n > 0 && (rc = password_verify(r->pw, r->n - 1, buf_cstr(&out), &CHEAP, NULL)) != 0)
			fail_msg("line %d: a prefix verifies (%d)", r->line, rc);
		if (r->n > 0) {
			char *changed = malloc(r->n);

			assert_non_null(changed);
			memcpy(changed, r->pw, r->n);
			changed[r->n - 1] ^= 1;
			rc = password_verify(changed, r->n, buf_cstr(&out), &CHEAP, NULL);
			free(changed);
			if (rc != 0)
				fail_msg("line %d: a changed password verifies (%d)", r->line, rc);
		}
	}
	buf_free(&out);
}

/* Near misses of one password all fail, and leave rehash false even when the cost changed. */
static const struct pw_row wrong_rows[] = {
	{ __LINE__, "", 0 },
	{ __LINE__, "Tr0ub4dor&", 9 },
	{ __LINE__, "Tr0ub4dor&33", 12 },
	{ __LINE__, "tr0ub4dor&3", 11 },
	{ __LINE__, "Tr0ub4dor&3 ", 12 },
	{ __LINE__, " Tr0ub4dor&3", 12 },
	{ __LINE__, "Tr0ub4dor&3\0", 12 },
	{ __LINE__, "Tr0ub4dor&4", 11 },
};

static void
test_wrong_password(void **state)
{
	struct buf out = BUF_INIT;
	bool rehash;
	size_t i;
	int rc;

	(void)state;
	assert_int_equal(password_hash("Tr0ub4dor&3", 11, &CHEAP, &out), 0);
	for (i = 0; i < sizeof wrong_rows / sizeof wrong_rows[0]; i++) {
		const struct pw_row *r = &wrong_rows[i];

		rehash = true;
		rc = password_verify(r->pw, r->n, buf_cstr(&out), &OTHER, &rehash);
		if (rc != 0 || rehash)
			fail_msg("line %d: gave %d rehash %d, want 0 and 0", r->line, rc, rehash);
	}
	assert_int_equal(password_verify("Tr0ub4dor&3", 11, buf_cstr(&out), &CHEAP, NULL), 1);
	buf_free(&out);
}

/* Each hash has its own salt: the same password never gives the same string twice. */
static void
test_salts_differ(void **state)
{
	struct buf out[16];
	char fi[6][128], fj[6][128];
	size_t i, j, at;

	(void)state;
	for (i = 0; i < 16; i++) {
		buf_init(&out[i]);
		/* Eight argon2id hashes, then eight PBKDF2: salt and hash are the last two fields. */
		if (i < 8)
			assert_int_equal(password_hash("same", 4, &CHEAP, &out[i]), 0);
		else
			assert_int_equal(password_hash_pbkdf2("same", 4, ITER, &out[i]), 0);
		assert_int_equal(password_verify("same", 4, buf_cstr(&out[i]), &CHEAP, NULL), 1);
		at = i < 8 ? 4 : 2;
		assert_int_equal(split(buf_cstr(&out[i]), fi), at + 2);
		for (j = i < 8 ? 0 : 8; j < i; j++) {
			split(buf_cstr(&out[j]), fj);
			if (strcmp(fi[at], fj[at]) == 0 || strcmp(fi[at + 1], fj[at + 1]) == 0)
				fail_msg("hashes %zu and %zu share a salt or a hash", j, i);
		}
	}
	for (i = 0; i < 16; i++)
		buf_free(&out[i]);
}

/* The stored form: scheme, the iterations asked for, a 16-byte salt and a 32-byte hash in padded
 * standard base64; appended after what out held. */
static const struct { int line; long iterations; } format_rows[] = {
	{ __LINE__, PASSWORD_MIN_ITERATIONS },
	{ __LINE__, 1001 },
	{ __LINE__, 4096 },
};

static void
test_format(void **state)
{
	struct buf out = BUF_INIT;
	unsigned char raw[64];
	char f[6][128], want[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof format_rows / sizeof format_rows[0]; i++) {
		int line = format_rows[i].line;

		buf_reset(&out);
		buf_puts(&out, "kept:");
		assert_int_equal(password_hash_pbkdf2("pw", 2, format_rows[i].iterations, &out), 0);
		if (strncmp(buf_cstr(&out), "kept:", 5) != 0)
			fail_msg("line %d: what out held was lost", line);
		if (split(buf_cstr(&out) + 5, f) != 4)
			fail_msg("line %d: %s does not have four fields", line, buf_cstr(&out));
		snprintf(want, sizeof want, "%ld", format_rows[i].iterations);
		if (strcmp(f[0], "pbkdf2-sha256") != 0 || strcmp(f[1], want) != 0)
			fail_msg("line %d: scheme %s iterations %s", line, f[0], f[1]);
		/* 16 bytes: 24 characters ending "=="; 32 bytes: 44 ending "=". */
		if (strlen(f[2]) != 24 || strcmp(f[2] + 22, "==") != 0 ||
		    EVP_DecodeBlock(raw, (const unsigned char *)f[2], 24) != 18)
			fail_msg("line %d: salt %s is not 16 bytes of base64", line, f[2]);
		if (strlen(f[3]) != 44 || f[3][43] != '=' || f[3][42] == '=' ||
		    EVP_DecodeBlock(raw, (const unsigned char *)f[3], 44) != 33)
			fail_msg("line %d: hash %s is not 32 bytes of base64", line, f[3]);
		assert_int_equal(password_verify("pw", 2, buf_cstr(&out) + 5, &CHEAP, NULL), 1);
	}
	buf_free(&out);
}

/* rehash is true only on a match whose stored form is not today's: a PBKDF2 hash whatever its
 * count, an argon2id hash of another cost. */
static void
test_rehash(void **state)
{
	static const struct password_cost more_mem = { 1, 16 };
	struct buf out = BUF_INIT, old = BUF_INIT;
	bool rehash;

	(void)state;
	assert_int_equal(password_hash("pw", 2, &CHEAP, &out), 0);
	rehash = true;
	assert_int_equal(password_verify("pw", 2, buf_cstr(&out), &CHEAP, &rehash), 1);
	assert_false(rehash);
	assert_int_equal(password_verify("pw", 2, buf_cstr(&out), &OTHER, &rehash), 1);
	assert_true(rehash);
	rehash = false;
	assert_int_equal(password_verify("pw", 2, buf_cstr(&out), &more_mem, &rehash), 1);
	assert_true(rehash);
	/* Lowering the cost upgrades too: the configured cost is the truth. */
	rehash = false;
	assert_int_equal(password_verify("correct horse 42", 16, A_HORSE, &CHEAP, &rehash), 1);
	assert_true(rehash);
	/* Every PBKDF2 hash, even at its highest count, is replaced. */
	assert_int_equal(password_hash_pbkdf2("pw", 2, 5000, &old), 0);
	rehash = false;
	assert_int_equal(password_verify("pw", 2, buf_cstr(&old), &CHEAP, &rehash), 1);
	assert_true(rehash);
	/* No match: nothing to re-hash with. */
	assert_int_equal(password_verify("pX", 2, buf_cstr(&out), &OTHER, &rehash), 0);
	assert_false(rehash);
	assert_int_equal(password_verify("pX", 2, buf_cstr(&old), &CHEAP, &rehash), 0);
	assert_false(rehash);
	/* Malformed: neither. */
	rehash = true;
	assert_int_equal(password_verify("pw", 2, "nonsense", &OTHER, &rehash), -1);
	assert_false(rehash);
	buf_free(&out);
	buf_free(&old);
}

/* The reference implementation's strings verify here: the stored form is the standard one. */
static void
test_argon2_known_answers(void **state)
{
	bool rehash = true;

	(void)state;
	assert_int_equal(password_verify(PW, 2, A_GOOD, &CHEAP, &rehash), 1);
	assert_false(rehash);
	assert_int_equal(password_verify("pX", 2, A_GOOD, &CHEAP, NULL), 0);
	assert_int_equal(password_verify("", 0, A_GOOD, &CHEAP, NULL), 0);
	assert_int_equal(password_verify("correct horse 42", 16, A_HORSE, &CHEAP, NULL), 1);
	assert_int_equal(password_verify("correct horse 43", 16, A_HORSE, &CHEAP, NULL), 0);
}

/* The stored form of a new hash: argon2id, version 19, the cost asked for, one lane, after what
 * out held; a 16-byte salt and a 32-byte hash in unpadded base64 (22 and 43 characters). */
static void
test_argon2_format(void **state)
{
	static const struct password_cost cost = { 3, 32 };
	struct buf out = BUF_INIT;
	char f[6][128];

	(void)state;
	buf_puts(&out, "kept:");
	assert_int_equal(password_hash("pw", 2, &cost, &out), 0);
	assert_int_equal(strncmp(buf_cstr(&out), "kept:", 5), 0);
	assert_int_equal(split(buf_cstr(&out) + 5, f), 6);
	assert_string_equal(f[0], "");
	assert_string_equal(f[1], "argon2id");
	assert_string_equal(f[2], "v=19");
	assert_string_equal(f[3], "m=32,t=3,p=1");
	assert_int_equal(strlen(f[4]), 22);
	assert_int_equal(strlen(f[5]), 43);
	assert_int_equal(password_verify("pw", 2, buf_cstr(&out) + 5, &cost, NULL), 1);
	buf_free(&out);
}

/* RFC 7914 section 11 gives PBKDF2-HMAC-SHA256 with dkLen 64. The first 32 bytes are the key of
 * dkLen 32 (PBKDF2's first block), so a stored string built from them, with the RFC's salt and
 * count, must verify with the RFC's password: the known answer goes through password_verify. */
struct kat {
	int                 line;
	const char         *pw, *salt;
	long                c;
	unsigned char       dk[64];
	int                 want;   /* password_verify with the right password */
};

static const struct kat kats[] = {
	/* c = 80000 is in range; the 4-byte salt is not ours, so a match asks for a re-hash. */
	{ __LINE__, "Password", "NaCl", 80000, {
	    0x4d, 0xdc, 0xd8, 0xf6, 0x0b, 0x98, 0xbe, 0x21, 0x83, 0x0c, 0xee, 0x5e, 0xf2, 0x27, 0x01, 0xf9,
	    0x64, 0x1a, 0x44, 0x18, 0xd0, 0x4c, 0x04, 0x14, 0xae, 0xff, 0x08, 0x87, 0x6b, 0x34, 0xab, 0x56,
	    0xa1, 0xd4, 0x25, 0xa1, 0x22, 0x58, 0x33, 0x54, 0x9a, 0xdb, 0x84, 0x1b, 0x51, 0xc9, 0xb3, 0x17,
	    0x6a, 0x27, 0x2b, 0xde, 0xbb, 0xa1, 0xd0, 0x78, 0x47, 0x8f, 0x62, 0xb3, 0x97, 0xf3, 0x3c, 0x8d,
	}, 1 },
	/* c = 1 is below PASSWORD_MIN_ITERATIONS: correct bytes, still a malformed record. */
	{ __LINE__, "passwd", "salt", 1, {
	    0x55, 0xac, 0x04, 0x6e, 0x56, 0xe3, 0x08, 0x9f, 0xec, 0x16, 0x91, 0xc2, 0x25, 0x44, 0xb6, 0x05,
	    0xf9, 0x41, 0x85, 0x21, 0x6d, 0xde, 0x04, 0x65, 0xe6, 0x8b, 0x9d, 0x57, 0xc2, 0x0d, 0xac, 0xbc,
	    0x49, 0xca, 0x9c, 0xcc, 0xf1, 0x79, 0xb6, 0x45, 0x99, 0x16, 0x64, 0xb3, 0x9d, 0x77, 0xef, 0x31,
	    0x7c, 0x71, 0xb8, 0x45, 0xb1, 0xe3, 0x0b, 0xd5, 0x09, 0x11, 0x20, 0x41, 0xd3, 0xa1, 0x97, 0x83,
	}, -1 },
};

/* "pbkdf2-sha256$c$b64(salt)$b64(n bytes of key)". */
static void
kat_stored(struct buf *out, const struct kat *k, const unsigned char *key, size_t n)
{
	buf_reset(out);
	buf_printf(out, "pbkdf2-sha256$%ld$", k->c);
	b64(out, (const unsigned char *)k->salt, strlen(k->salt));
	buf_putc(out, '$');
	b64(out, key, n);
}

static void
test_known_answers(void **state)
{
	struct buf s = BUF_INIT;
	bool rehash;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof kats / sizeof kats[0]; i++) {
		const struct kat *k = &kats[i];
		size_t n = strlen(k->pw);
		int wrong = k->want == 1 ? 0 : k->want;

		kat_stored(&s, k, k->dk, 32);
		rehash = false;
		rc = password_verify(k->pw, n, buf_cstr(&s), &CHEAP, &rehash);
		if (rc != k->want)
			fail_msg("line %d: %s gave %d, want %d", k->line, buf_cstr(&s), rc, k->want);
		if (rc == 1 && !rehash)
			fail_msg("line %d: a 4-byte salt did not ask for a re-hash", k->line);
		if ((rc = password_verify("x", 1, buf_cstr(&s), &CHEAP, NULL)) != wrong)
			fail_msg("line %d: wrong password gave %d, want %d", k->line, rc, wrong);
		/* The second block is not the key of dkLen 32. */
		kat_stored(&s, k, k->dk + 32, 32);
		if ((rc = password_verify(k->pw, n, buf_cstr(&s), &CHEAP, NULL)) != wrong)
			fail_msg("line %d: second half gave %d, want %d", k->line, rc, wrong);
		/* All 64 bytes: a hash of the wrong length. */
		kat_stored(&s, k, k->dk, 64);
		if ((rc = password_verify(k->pw, n, buf_cstr(&s), &CHEAP, NULL)) != -1)
			fail_msg("line %d: 64-byte hash gave %d, want -1", k->line, rc);
	}
	/* The string made by the openssl command line (see GOOD). */
	assert_int_equal(password_verify(PW, 2, GOOD, &CHEAP, NULL), 1);
	buf_free(&s);
}

/* password_hash refuses what it must, and leaves out as it was. */
static const struct { int line; size_t n; long iterations; int want; } hash_rows[] = {
	{ __LINE__, PASSWORD_MAX_BYTES, ITER, 0 },
	{ __LINE__, PASSWORD_MAX_BYTES + 1, ITER, -1 },
	{ __LINE__, (size_t)-1, ITER, -1 },
	{ __LINE__, 4, PASSWORD_MIN_ITERATIONS - 1, -1 },
	{ __LINE__, 4, PASSWORD_MAX_ITERATIONS + 1, -1 },
	{ __LINE__, 4, 0, -1 },
	{ __LINE__, 4, -1000, -1 },
	{ __LINE__, 4, 2147483648L, -1 },
};

static const struct { int line; size_t n; struct password_cost cost; int want; } cost_rows[] = {
	{ __LINE__, PASSWORD_MAX_BYTES, { 1, 8 }, 0 },
	{ __LINE__, PASSWORD_MAX_BYTES + 1, { 1, 8 }, -1 },
	{ __LINE__, 4, { 0, 8 }, -1 },
	{ __LINE__, 4, { PASSWORD_MAX_PASSES + 1, 8 }, -1 },
	{ __LINE__, 4, { 1, PASSWORD_MIN_MEM_KIB - 1 }, -1 },
	{ __LINE__, 4, { 1, PASSWORD_MAX_MEM_KIB + 1 }, -1 },
	{ __LINE__, 4, { -1, -1 }, -1 },
};

static void
test_hash_refuses(void **state)
{
	static char pw[PASSWORD_MAX_BYTES + 1];
	struct buf out = BUF_INIT;
	size_t i;
	int rc;

	(void)state;
	memset(pw, 'p', sizeof pw);
	for (i = 0; i < sizeof hash_rows / sizeof hash_rows[0]; i++) {
		buf_reset(&out);
		buf_puts(&out, "kept");
		rc = password_hash_pbkdf2(pw, hash_rows[i].n, hash_rows[i].iterations, &out);
		if (rc != hash_rows[i].want)
			fail_msg("line %d: gave %d, want %d", hash_rows[i].line, rc, hash_rows[i].want);
		if (rc < 0 && strcmp(buf_cstr(&out), "kept") != 0)
			fail_msg("line %d: out changed on failure", hash_rows[i].line);
	}
	for (i = 0; i < sizeof cost_rows / sizeof cost_rows[0]; i++) {
		buf_reset(&out);
		buf_puts(&out, "kept");
		rc = password_hash(pw, cost_rows[i].n, &cost_rows[i].cost, &out);
		if (rc != cost_rows[i].want)
			fail_msg("line %d: gave %d, want %d", cost_rows[i].line, rc, cost_rows[i].want);
		if (rc < 0 && strcmp(buf_cstr(&out), "kept") != 0)
			fail_msg("line %d: out changed on failure", cost_rows[i].line);
	}
	buf_free(&out);
}

/* A password beyond PASSWORD_MAX_BYTES never matches, even one whose first 1024 bytes would. */
static void
test_verify_refuses_long_password(void **state)
{
	static char pw[PASSWORD_MAX_BYTES + 1];
	struct buf out = BUF_INIT;

	(void)state;
	memset(pw, 'p', sizeof pw);
	assert_int_equal(password_hash(pw, PASSWORD_MAX_BYTES, &CHEAP, &out), 0);
	assert_int_equal(password_verify(pw, PASSWORD_MAX_BYTES, buf_cstr(&out), &CHEAP, NULL), 1);
	assert_int_equal(password_verify(pw, PASSWORD_MAX_BYTES + 1, buf_cstr(&out), &CHEAP, NULL), 0);
	assert_int_equal(password_verify(pw, (size_t)-1, buf_cstr(&out), &CHEAP, NULL), 0);
	/* A damaged record stays -1 whatever the password. */
	assert_int_equal(password_verify(pw, PASSWORD_MAX_BYTES + 1, "x", &CHEAP, NULL), -1);
	buf_free(&out);
}

/* A NUL byte anywhere is refused: HMAC pads keys with zeros, so "pw\0" would pass for "pw" (and
 * "\0" for ""). */
static const struct pw_row nul_rows[] = {
	{ __LINE__, "\0", 1 },
	{ __LINE__, "pw\0", 3 },
	{ __LINE__, "pw\0\0", 4 },
	{ __LINE__, "\0pw", 3 },
	{ __LINE__, "p\0w", 3 },
};

static void
test_nul_refused(void **state)
{
	struct buf out = BUF_INIT, empty = BUF_INIT;
	size_t i;
	int rc;

	(void)state;
	assert_int_equal(password_hash("", 0, &CHEAP, &empty), 0);
	for (i = 0; i < sizeof nul_rows / sizeof nul_rows[0]; i++) {
		const struct pw_row *r = &nul_rows[i];

		buf_reset(&out);
		if ((rc = password_hash(r->pw, r->n, &CHEAP, &out)) != -1 || out.len != 0)
			fail_msg("line %d: password_hash gave %d", r->line, rc);
		if ((rc = password_hash_pbkdf2(r->pw, r->n, ITER, &out)) != -1 || out.len != 0)
			fail_msg("line %d: password_hash_pbkdf2 gave %d", r->line, rc);
		if ((rc = password_verify(r->pw, r->n, A_GOOD, &CHEAP, NULL)) != 0)
			fail_msg("line %d: verify against argon2id \"pw\" gave %d", r->line, rc);
		if ((rc = password_verify(r->pw, r->n, GOOD, &CHEAP, NULL)) != 0)
			fail_msg("line %d: verify against \"pw\" gave %d", r->line, rc);
		if ((rc = password_verify(r->pw, r->n, buf_cstr(&empty), &CHEAP, NULL)) != 0)
			fail_msg("line %d: verify against \"\" gave %d", r->line, rc);
	}
	buf_free(&out);
	buf_free(&empty);
}

/* Stored strings checked with the right password, so -1 cannot hide behind a mismatch. */
struct stored_row {
	int         line;
	const char *stored;
	int         want;
};

#define PRE "pbkdf2-sha256$1000$"

static const struct stored_row stored_rows[] = {
	{ __LINE__, GOOD, 1 },
	/* Scheme. */
	{ __LINE__, "", -1 },
	{ __LINE__, "pbkdf2-sha256", -1 },
	{ __LINE__, "pbkdf2-sha256$", -1 },
	{ __LINE__, "pbkdf2-sha512$1000$" SALT "$" HASH, -1 },
	{ __LINE__, "PBKDF2-SHA256$1000$" SALT "$" HASH, -1 },
	{ __LINE__, "$pbkdf2-sha256$1000$" SALT "$" HASH, -1 },     /* passlib's spelling */
	{ __LINE__, "pbkdf2_sha256$1000$" SALT "$" HASH, -1 },      /* Django's */
	{ __LINE__, " " GOOD, -1 },
	/* Fields. */
	{ __LINE__, PRE SALT, -1 },
	{ __LINE__, PRE SALT "$", -1 },
	{ __LINE__, PRE "$" HASH, -1 },
	{ __LINE__, PRE SALT "$" HASH "$", -1 },
	{ __LINE__, PRE SALT "$" HASH "$x", -1 },
	{ __LINE__, PRE SALT "$$" HASH, -1 },
	/* Iterations. */
	{ __LINE__, "pbkdf2-sha256$$" SALT "$" HASH, -1 },
	{ __LINE__, "pbkdf2-sha256$999$" SALT "$" HASH, -1 },
	{ __LINE__, "pbkdf2-sha256$100000001$" SALT "$" HASH, -1 },
	{ __LINE__, "pbkdf2-sha256$01000$" SALT "$" HASH, -1 },
	{ __LINE__, "pbkdf2-sha256$+1000$" SALT "$" HASH, -1 },
	{ __LINE__, "pbkdf2-sha256$-1000$" SALT "$" HASH, -1 },
	{ __LINE__, "pbkdf2-sha256$ 1000$" SALT "$" HASH, -1 },
	{ __LINE__, "pbkdf2-sha256$1000 $" SALT "$" HASH, -1 },
	{ __LINE__, "pbkdf2-sha256$1e3$" SALT "$" HASH, -1 },
	{ __LINE__, "pbkdf2-sha256$0x3e8$" SALT "$" HASH, -1 },
	{ __LINE__, "pbkdf2-sha256$1,000$" SALT "$" HASH, -1 },
	{ __LINE__, "pbkdf2-sha256$18446744073709552616$" SALT "$" HASH, -1 },   /* 2^64 + 1000 */
	{ __LINE__, "pbkdf2-sha256$1001$" SALT "$" HASH, 0 },        /* well-formed, other count */
	/* Salt. */
	{ __LINE__, PRE "MDEyMzQ1Njc4OWFiY2RlZg$" HASH, -1 },         /* unpadded */
	{ __LINE__, PRE "MDEyMzQ1Njc4OWFiY2RlZg=$" HASH, -1 },
	{ __LINE__, PRE "MDEyMzQ1Njc4OWFiY2RlZg===$" HASH, -1 },
	{ __LINE__, PRE "MDEyMzQ1Njc4OWFiY2RlZh==$" HASH, -1 },       /* stray low bits */
	{ __LINE__, PRE "MDEyMzQ1Njc4OWFi=2RlZg==$" HASH, -1 },
	{ __LINE__, PRE "MDEyMzQ1Njc4OWFi Y2RlZg==$" HASH, -1 },
	{ __LINE__, PRE " MDEyMzQ1Njc4OWFiY2RlZg==$" HASH, -1 },
	{ __LINE__, PRE "MDEyMzQ1Njc4OWFiY2RlZg==\n$" HASH, -1 },
	{ __LINE__, PRE "MDEyMzQ1Njc4OWFi.2RlZg==$" HASH, -1 },
	{ __LINE__, PRE "====$" HASH, -1 },
	{ __LINE__, PRE "A===$" HASH, -1 },
	/* 64 bytes is the longest salt read (and this hash does not match it); 65 is too long. */
	{ __LINE__, PRE "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVm"
	    "MDEyMzQ1Njc4OWFiY2RlZg==$" HASH, 0 },
	{ __LINE__, PRE "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVm"
	    "MDEyMzQ1Njc4OWFiY2RlZng=$" HASH, -1 },
	/* Hash. */
	{ __LINE__, PRE SALT "$g4BiOBrcHGnGTAdCcoA+WrLOFA69L2c9HA5vVpt2o7A", -1 },   /* unpadded */
	{ __LINE__, PRE SALT "$g4BiOBrcHGnGTAdCcoA+WrLOFA69L2c9HA5vVpt2o7B=", -1 },  /* low bits */
	{ __LINE__, PRE SALT "$g4BiOBrcHGnGTAdCcoA-WrLOFA69L2c9HA5vVpt2o7A=", -1 },  /* base64url */
	{ __LINE__, PRE SALT "$g4BiOBrcHGnGTAdCcoA+WrLOFA69L2c9HA5vVpt2o7A=\n", -1 },
	{ __LINE__, PRE SALT "$g4BiOBrcHGnGTAdCcoA+WrLOFA69L2c9HA5vVpt2o7A= ", -1 },
	{ __LINE__, PRE SALT "$g4BiOBrcHGnGTAdCcoA+WrLOFA69L2c9HA5vVpt2ow==", -1 },  /* 31 bytes */
	{ __LINE__, PRE SALT "$g4BiOBrcHGnGTAdCcoA+WrLOFA69L2c9HA5vVpt2o7AA", -1 },  /* 33 bytes */
	{ __LINE__, PRE SALT "$", -1 },
	{ __LINE__, PRE SALT "$" SALT, -1 },
	/* argon2id: the reference string, then each part changed. */
#define A_PRE "$argon2id$v=19$m=8,t=1,p=1$"
#define A_HASH "$LSf8dWS2rDg/5QPLiItELqsao0qJtl8C2FnmF6Ddpms"
	{ __LINE__, A_GOOD, 1 },
	{ __LINE__, A_PRE A_SALT "$MSf8dWS2rDg/5QPLiItELqsao0qJtl8C2FnmF6Ddpms", 0 },
	{ __LINE__, A_PRE A_SALT "$LSf8dWS2rDg/5QPLiItELqsao0qJtl8C2FnmF6Ddpmt", -1 },  /* low bits */
	{ __LINE__, "$argon2id$v=19$m=8,t=2,p=1$" A_SALT A_HASH, 0 },   /* other cost: other hash */
	{ __LINE__, "$argon2i$v=19$m=8,t=1,p=1$" A_SALT A_HASH, -1 },
	{ __LINE__, "$argon2d$v=19$m=8,t=1,p=1$" A_SALT A_HASH, -1 },
	{ __LINE__, "$argon2id$v=16$m=8,t=1,p=1$" A_SALT A_HASH, -1 },
	{ __LINE__, "$argon2id$m=8,t=1,p=1$" A_SALT A_HASH, -1 },
	{ __LINE__, "$argon2id$v=19$m=8,t=1,p=2$" A_SALT A_HASH, -1 },
	{ __LINE__, "$argon2id$v=19$m=7,t=1,p=1$" A_SALT A_HASH, -1 },
	{ __LINE__, "$argon2id$v=19$m=08,t=1,p=1$" A_SALT A_HASH, -1 },
	{ __LINE__, "$argon2id$v=19$m=4194304,t=1,p=1$" A_SALT A_HASH, -1 },   /* 4 GiB: refused unread */
	{ __LINE__, "$argon2id$v=19$m=8,t=0,p=1$" A_SALT A_HASH, -1 },
	{ __LINE__, "$argon2id$v=19$m=8,t=65,p=1$" A_SALT A_HASH, -1 },
	{ __LINE__, "$argon2id$v=19$t=1,m=8,p=1$" A_SALT A_HASH, -1 },
	{ __LINE__, "$argon2id$v=19$m=8,t=1,p=1,x=1$" A_SALT A_HASH, -1 },
	{ __LINE__, "$argon2id$v=19$m=8,t=1,p=1", -1 },
	{ __LINE__, A_PRE A_SALT, -1 },
	{ __LINE__, A_PRE "$" A_HASH, -1 },
	{ __LINE__, A_PRE A_SALT "$", -1 },
	{ __LINE__, A_PRE A_SALT "$L!f8dWS2rDg/5QPLiItELqsao0qJtl8C2FnmF6Ddpms", -1 },
	{ __LINE__, " " A_GOOD, -1 },
	{ __LINE__, "$ARGON2ID$v=19$m=8,t=1,p=1$" A_SALT A_HASH, -1 },
};

static void
test_stored_strings(void **state)
{
	bool rehash;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof stored_rows / sizeof stored_rows[0]; i++) {
		const struct stored_row *r = &stored_rows[i];

		rehash = true;
		rc = password_verify(PW, 2, r->stored, &CHEAP, &rehash);
		if (rc != r->want)
			fail_msg("line %d: gave %d, want %d", r->line, rc, r->want);
		/* A PBKDF2 match is always re-hashed; A_GOOD has today's cost. */
		if (rehash != (rc == 1 && strncmp(r->stored, "pbkdf2", 6) == 0))
			fail_msg("line %d: rehash %d", r->line, rehash);
	}
	assert_int_equal(password_verify(PW, 2, NULL, &CHEAP, NULL), -1);
	/* Far beyond PASSWORD_STORED_MAX: refused without being read to its end. */
	{
		struct buf huge = BUF_INIT;

		buf_puts(&huge, GOOD);
		while (huge.len < 100000)
			buf_putc(&huge, 'A');
		assert_int_equal(password_verify(PW, 2, buf_cstr(&huge), &CHEAP, NULL), -1);
		buf_free(&huge);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_wrong_password),
		cmocka_unit_test(test_salts_differ),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_rehash),
		cmocka_unit_test(test_argon2_known_answers),
		cmocka_unit_test(test_argon2_format),
		cmocka_unit_test(test_known_answers),
		cmocka_unit_test(test_hash_refuses),
		cmocka_unit_test(test_verify_refuses_long_password),
		cmocka_unit_test(test_nul_refused),
		cmocka_unit_test(test_stored_strings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
