/* jwt.c: HS256 login tokens and emailed-code hashes under a current and a previous key. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "jwt.h"
#include "xalloc.h"

/* HMAC-SHA256 output. */
#define MAC_LEN 32
/* base64url of MAC_LEN bytes, unpadded. */
#define MAC_B64_LEN 43
/* A key file may carry this much trailing whitespace beyond the longest key; larger is refused
 * before it is read whole. */
#define KEY_FILE_MAX (JWT_KEY_MAX + 64)
/* Header and payload nesting: ours are flat, and json-c's default of 32 is more than a token
 * needs. */
#define JSON_DEPTH 8
/* Largest time claim: 9999-12-31T23:59:59Z. Bounding the claims keeps exp + leeway and the like
 * from overflowing. */
#define TIME_MAX INT64_C(253402300799)
/* Put before every code hashed: the NUL in it (part of sizeof) never occurs in a token's signing
 * input, which is base64url and a dot, so the two HMAC uses can never produce the same value. */
#define CODE_DOMAIN "starling-code"

struct jwt_key {
	unsigned char *bytes;   /* NULL: no key */
	size_t         len;
	char           kid[JWT_KID_LEN + 1];
};

struct jwt_keys {
	struct jwt_key cur;
	struct jwt_key prev;
};

static const char hexdigits[] = "0123456789abcdef";
static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Writes 2n lowercase hex digits of the n bytes at p, and a NUL, to out. */
static void
hex_encode(const unsigned char *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hexdigits[p[i] >> 4];
		out[2 * i + 1] = hexdigits[p[i] & 0xf];
	}
	out[2 * n] = '\0';
}

/* ---------------------------------------------------------------------------------------------
 * base64url without padding (RFC 7515 section 2). */

static void
b64url_append(struct buf *out, const void *p, size_t n)
{
	const unsigned char *s = p;
	char q[4];
	size_t i;

	for (i = 0; i + 3 <= n; i += 3) {
		q[0] = b64url[s[i] >> 2];
		q[1] = b64url[(s[i] & 0x03) << 4 | s[i + 1] >> 4];
		q[2] = b64url[(s[i + 1] & 0x0f) << 2 | s[i + 2] >> 6];
		q[3] = b64url[s[i + 2] & 0x3f];
		buf_append(out, q, 4);
	}
	if (n - i == 1) {
		q[0] = b64url[s[i] >> 2];
		q[1] = b64url[(s[i] & 0x03) << 4];
		buf_append(out, q, 2);
	} else if (n - i == 2) {
		q[0] = b64url[s[i] >> 2];
		q[1] = b64url[(s[i] & 0x03) << 4 | s[i + 1] >> 4];
		q[2] = b64url[(s[i + 1] & 0x0f) << 2];
		buf_append(out, q, 3);
	}
}

static int
b64url_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/* Decodes len characters at s into out (room for len / 4 * 3 + 2 bytes). Returns the byte count,
 * or -1 unless s is unpadded base64url in canonical form: only the 64 characters, no length that
 * leaves 6 spare bits, and zero bits where the last character has spare ones. Canonical form
 * matters because otherwise one signature would have several spellings, and a token could be
 * altered without breaking it. */
static int
b64url_decode(const char *s, size_t len, unsigned char *out)
{
	uint32_t acc = 0;
	size_t i, n = 0;
	int bits = 0, v;

	if (len % 4 == 1)
		return -1;
	for (i = 0; i < len; i++) {
		if ((v = b64url_value(s[i])) < 0)
			return -1;
		acc = (acc << 6 | (uint32_t)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	if ((acc & ((1u << bits) - 1)) != 0)
		return -1;
	return (int)n;
}

/* ---------------------------------------------------------------------------------------------
 * Keys. */

static int
hmac(const struct jwt_key *key, const void *p, size_t n, unsigned char out[MAC_LEN])
{
	unsigned int len = 0;

	if (HMAC(EVP_sha256(), key->bytes, (int)key->len, p, n, out, &len) == NULL ||
	    len != MAC_LEN)
		return -1;
	return 0;
}

/* Copies n bytes into key and names it. Returns 0, or -1 when n is out of range or OpenSSL
 * fails. */
static int
key_set(struct jwt_key *key, const void *p, size_t n)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (n < JWT_KEY_MIN || n > JWT_KEY_MAX)
		return -1;
	if (EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen < JWT_KID_LEN / 2)
		return -1;
	hex_encode(md, JWT_KID_LEN / 2, key->kid);
	key->bytes = xmalloc(n);
	memcpy(key->bytes, p, n);
	key->len = n;
	return 0;
}

static void
key_wipe(struct jwt_key *key)
{
	if (key->bytes != NULL) {
		OPENSSL_cleanse(key->bytes, key->len);
		free(key->bytes);
	}
	memset(key, 0, sizeof *key);
}

/* Reads the key file at path into key. Returns 0, or -1 with "path: problem" appended to err.
 * The file is read into a stack buffer that is wiped afterwards, rather than a growing struct
 * buf, so no stray copy of the key is left in freed memory. */
static int
key_load(struct jwt_key *key, const char *path, struct buf *err)
{
	unsigned char raw[KEY_FILE_MAX + 1];
	struct stat st;
	size_t len = 0;
	ssize_t got;
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		buf_printf(err, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	/* fstat on the open file, so the mode checked is the mode of what is read. */
	if (fstat(fd, &st) < 0) {
		buf_printf(err, "%s: cannot stat: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		buf_printf(err, "%s: not a regular file", path);
		goto out;
	}
	if (st.st_mode & S_IRWXO) {
		buf_printf(err, "%s: other users may read or write this key file; "
		    "chmod 600 (or 640) it", path);
		goto out;
	}
	while (len < sizeof raw) {
		got = read(fd, raw + len, sizeof raw - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			buf_printf(err, "%s: read error: %s", path, strerror(errno));
			goto out;
		}
		if (got == 0)
			break;
		len += (size_t)got;
	}
	if (len > KEY_FILE_MAX) {
		buf_printf(err, "%s: larger than %d bytes", path, KEY_FILE_MAX);
		goto out;
	}
	while (len > 0 && memchr(" \t\r\n", raw[len - 1], 4) != NULL)
		len--;
	if (len < JWT_KEY_MIN) {
		buf_printf(err, "%s: the key is shorter than %d bytes "
		    "(make one with: openssl rand -base64 48)", path, JWT_KEY_MIN);
		goto out;
	}
	if (len > JWT_KEY_MAX) {
		buf_printf(err, "%s: the key is longer than %d bytes", path, JWT_KEY_MAX);
		goto out;
	}
	if (key_set(key, raw, len) < 0) {
		buf_printf(err, "%s: cannot compute the key id", path);
		goto out;
	}
	rc = 0;
out:
	OPENSSL_cleanse(raw, sizeof raw);
	close(fd);
	return rc;
}

struct jwt_keys *
jwt_keys_load(const char *current_path, const char *previous_path, struct buf *err)
{
	struct jwt_keys *k = xcalloc(1, sizeof *k);
	int rc = -1;

	if (current_path == NULL || *current_path == '\0')
		buf_printf(err, "no token key file is configured");
	else if (key_load(&k->cur, current_path, err) == 0 &&
	    (previous_path == NULL || *previous_path == '\0' ||
	    key_load(&k->prev, previous_path, err) == 0))
		rc = 0;
	if (rc < 0) {
		jwt_keys_free(k);
		k = NULL;
	}
	return k;
}

struct jwt_keys *
jwt_keys_new(const void *cur, size_t n, const void *prev, size_t pn)
{
	struct jwt_keys *k = xcalloc(1, sizeof *k);

	if (cur == NULL || key_set(&k->cur, cur, n) < 0 ||
	    (prev != NULL && pn > 0 && key_set(&k->prev, prev, pn) < 0)) {
		jwt_keys_free(k);
		k = NULL;
	}
	return k;
}

void
jwt_keys_free(struct jwt_keys *k)
{
	if (k == NULL)
		return;
	key_wipe(&k->cur);
	key_wipe(&k->prev);
	free(k);
}

const char *
jwt_keys_kid(const struct jwt_keys *k)
{
	return k->cur.kid;
}

/* ---------------------------------------------------------------------------------------------
 * Tokens. */

int
jwt_sign(const struct jwt_keys *k, struct json_object *claims, struct buf *out)
{
	struct buf tok = BUF_INIT, header = BUF_INIT;
	unsigned char sig[MAC_LEN];
	const char *payload;
	int rc = -1;

	if (!json_object_is_type(claims, json_type_object))
		goto out;
	payload = json_object_to_json_string_ext(claims, JSON_C_TO_STRING_PLAIN);
	/* Checked before encoding so a runaway claims object costs no HMAC. */
	if (payload == NULL || strlen(payload) > JWT_MAX_BYTES)
		goto out;
	/* The kid is hex, so it needs no JSON escaping. */
	buf_printf(&header, "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}", k->cur.kid);
	b64url_append(&tok, header.data, header.len);
	buf_putc(&tok, '.');
	b64url_append(&tok, payload, strlen(payload));
	if (hmac(&k->cur, tok.data, tok.len, sig) < 0)
		goto out;
	buf_putc(&tok, '.');
	b64url_append(&tok, sig, sizeof sig);
	if (tok.len > JWT_MAX_BYTES)
		goto out;
	buf_append(out, tok.data, tok.len);
	rc = 0;
out:
	buf_free(&header);
	buf_free(&tok);
	return rc;
}

/* Parses len bytes as one JSON object, strictly and wholly. Returns a new reference, or NULL.
 * json-c stops reading at a NUL byte, so "{}\0anything" would pass as "{}": NUL bytes are
 * refused up front, and the parse must also end exactly at len (either guard alone catches it;
 * both stay in case a json-c version changes what it does). */
static struct json_object *
parse_object(const unsigned char *text, size_t len)
{
	struct json_tokener *tok;
	struct json_object *o = NULL;

	if (memchr(text, '\0', len) != NULL || (tok = json_tokener_new_ex(JSON_DEPTH)) == NULL)
		return NULL;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, (const char *)text, (int)len);
	if (json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

/* True when v is a JSON string of exactly the len bytes at want (a JSON string may
 * hold "\u0000", so its length is compared, not just its C string). */
static bool
member_is(struct json_object *v, const char *want, size_t len)
{
	return json_object_is_type(v, json_type_string) &&
	    (size_t)json_object_get_string_len(v) == len &&
	    memcmp(json_object_get_string(v), want, len) == 0;
}

/* Reads the time claim name of payload into *t. Returns 1 when present and valid, 0 when absent,
 * -1 when not an integer in 0 .. TIME_MAX (json-c reads integers beyond int64 as INT64_MAX,
 * which this refuses too). */
static int
time_claim(struct json_object *payload, const char *name, int64_t *t)
{
	struct json_object *v;

	if (!json_object_object_get_ex(payload, name, &v))
		return 0;
	if (!json_object_is_type(v, json_type_int))
		return -1;
	*t = json_object_get_int64(v);
	return *t >= 0 && *t <= TIME_MAX ? 1 : -1;
}

/* The time rules of jwt_verify. Returns NULL when they hold, or the reason. */
static const char *
check_times(struct json_object *payload, int64_t now, long leeway)
{
	int64_t t;
	int r;

	/* Each comparison keeps the claim on the side that cannot overflow: claims lie in
	 * 0 .. TIME_MAX and leeway in 0 .. JWT_LEEWAY_MAX, while now is anything. */
	if ((r = time_claim(payload, "exp", &t)) == 0)
		return "token has no exp";
	if (r < 0)
		return "exp is not an integer time";
	if (now > t + leeway)
		return "token has expired";
	if ((r = time_claim(payload, "nbf", &t)) < 0)
		return "nbf is not an integer time";
	if (r > 0 && now < t - leeway)
		return "token is not valid yet (nbf)";
	if ((r = time_claim(payload, "iat", &t)) < 0)
		return "iat is not an integer time";
	if (r > 0 && t - leeway > now)
		return "token was issued in the future (iat)";
	return NULL;
}

/* Picks the keys a header allows: the one its kid names, or without kid the current and then
 * the previous key. Returns how many were put in keys (1 or 2), or 0 with *why set. */
static size_t
header_keys(const struct jwt_keys *k, struct json_object *header, const struct jwt_key *keys[2],
    const char **why)
{
	struct json_object *v;
	size_t n = 0;

	if (!json_object_object_get_ex(header, "alg", &v) || !member_is(v, "HS256", 5)) {
		*why = "alg is not HS256";
		return 0;
	}
	if (json_object_object_get_ex(header, "crit", &v)) {
		*why = "header has crit extensions";
		return 0;
	}
	if (!json_object_object_get_ex(header, "kid", &v)) {
		keys[n++] = &k->cur;
		if (k->prev.bytes != NULL)
			keys[n++] = &k->prev;
		return n;
	}
	if (!json_object_is_type(v, json_type_string))
		*why = "kid is not a string";
	else if (member_is(v, k->cur.kid, JWT_KID_LEN))
		keys[n++] = &k->cur;
	else if (k->prev.bytes != NULL && member_is(v, k->prev.kid, JWT_KID_LEN))
		keys[n++] = &k->prev;
	else
		*why = "unknown kid";
	return n;
}

int
jwt_verify(const struct jwt_keys *k, const char *token, size_t n, int64_t now, long leeway,
    struct json_object **claims, const char **why)
{
	/* Decoded parts are at most 3/4 of the token's JWT_MAX_BYTES. */
	unsigned char head[JWT_MAX_BYTES / 4 * 3 + 2], body[JWT_MAX_BYTES / 4 * 3 + 2];
	unsigned char sig[JWT_MAX_BYTES / 4 * 3 + 2], mac[MAC_LEN];
	const struct jwt_key *keys[2];
	struct json_object *header = NULL, *payload = NULL;
	const char *dot1, *dot2, *end, *reason = NULL;
	int hlen, blen, slen;
	size_t nkeys, i;
	int rc = -1;

	if (claims != NULL)
		*claims = NULL;
	if (leeway < 0 || leeway > JWT_LEEWAY_MAX) {
		reason = "leeway out of range";
		goto out;
	}
	if (token == NULL || n > JWT_MAX_BYTES) {
		reason = "token is too long";
		goto out;
	}
	/* Three parts: header.payload.signature, none empty. */
	end = token + n;
	dot1 = memchr(token, '.', n);
	dot2 = dot1 != NULL ? memchr(dot1 + 1, '.', (size_t)(end - dot1 - 1)) : NULL;
	if (dot2 == NULL || memchr(dot2 + 1, '.', (size_t)(end - dot2 - 1)) != NULL) {
		reason = "token does not have three parts";
		goto out;
	}
	if (dot1 == token || dot2 == dot1 + 1 || dot2 + 1 == end) {
		reason = "token has an empty part";
		goto out;
	}
	hlen = b64url_decode(token, (size_t)(dot1 - token), head);
	blen = b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), body);
	slen = b64url_decode(dot2 + 1, (size_t)(end - dot2 - 1), sig);
	if (hlen < 0 || blen < 0 || slen < 0) {
		reason = "token is not base64url";
		goto out;
	}
	/* The header decides only which key; the algorithm is ours. */
	if ((header = parse_object(head, (size_t)hlen)) == NULL) {
		reason = "header is not a JSON object";
		goto out;
	}
	if ((nkeys = header_keys(k, header, keys, &reason)) == 0)
		goto out;
	if (slen != MAC_LEN) {
		reason = "signature has the wrong length";
		goto out;
	}
	reason = "bad signature";
	for (i = 0; i < nkeys; i++) {
		if (hmac(keys[i], token, (size_t)(dot2 - token), mac) < 0) {
			reason = "cannot compute HMAC";
			goto out;
		}
		if (CRYPTO_memcmp(mac, sig, MAC_LEN) == 0) {
			reason = NULL;
			break;
		}
	}
	if (reason != NULL)
		goto out;
	/* Only now, with the signature good, is the payload worth parsing. */
	if ((payload = parse_object(body, (size_t)blen)) == NULL) {
		reason = "payload is not a JSON object";
		goto out;
	}
	if ((reason = check_times(payload, now, leeway)) != NULL)
		goto out;
	if (claims != NULL) {
		*claims = payload;
		payload = NULL;
	}
	rc = 0;
out:
	json_object_put(header);
	json_object_put(payload);
	if (why != NULL)
		*why = reason;
	return rc;
}

/* ---------------------------------------------------------------------------------------------
 * Emailed codes and random values. */

/* The HMAC of CODE_DOMAIN (with its NUL) and the n bytes of code under key. Returns 0, or -1
 * when n is 0 or beyond JWT_CODE_MAX, or OpenSSL fails. */
static int
code_mac(const struct jwt_key *key, const char *code, size_t n, unsigned char out[MAC_LEN])
{
	unsigned char msg[sizeof CODE_DOMAIN + JWT_CODE_MAX];
	int rc;

	if (code == NULL || n == 0 || n > JWT_CODE_MAX)
		return -1;
	memcpy(msg, CODE_DOMAIN, sizeof CODE_DOMAIN);
	memcpy(msg + sizeof CODE_DOMAIN, code, n);
	rc = hmac(key, msg, sizeof CODE_DOMAIN + n, out);
	/* The code is a secret until used. */
	OPENSSL_cleanse(msg, sizeof msg);
	return rc;
}

int
jwt_code_hash(const struct jwt_keys *k, const char *code, size_t n, char out[65])
{
	unsigned char mac[MAC_LEN];

	if (code_mac(&k->cur, code, n, mac) < 0)
		return -1;
	hex_encode(mac, sizeof mac, out);
	return 0;
}

bool
jwt_code_matches(const struct jwt_keys *k, const char *code, size_t n, const char *stored_hex)
{
	const struct jwt_key *keys[2] = { &k->cur, &k->prev };
	unsigned char mac[MAC_LEN];
	char hex[2 * MAC_LEN + 1];
	size_t i;

	if (stored_hex == NULL || strnlen(stored_hex, 2 * MAC_LEN + 1) != 2 * MAC_LEN ||
	    strspn(stored_hex, hexdigits) != 2 * MAC_LEN)
		return false;
	for (i = 0; i < 2 && keys[i]->bytes != NULL; i++) {
		if (code_mac(keys[i], code, n, mac) < 0)
			return false;
		hex_encode(mac, sizeof mac, hex);
		if (CRYPTO_memcmp(hex, stored_hex, 2 * MAC_LEN) == 0)
			return true;
	}
	return false;
}

/* Put before every label derived from: see jwt_derive_key. */
#define DERIVE_DOMAIN "starling-derive"
#define DERIVE_LABEL_MAX 64

int
jwt_derive_key(const struct jwt_keys *k, bool previous, const char *label,
    unsigned char out[JWT_DERIVED_LEN])
{
	const struct jwt_key *key = previous ? &k->prev : &k->cur;
	unsigned char msg[sizeof DERIVE_DOMAIN + DERIVE_LABEL_MAX];
	size_t n;

	if (label == NULL || (n = strnlen(label, DERIVE_LABEL_MAX + 1)) > DERIVE_LABEL_MAX)
		return -1;
	if (key->bytes == NULL)
		return 1;
	memcpy(msg, DERIVE_DOMAIN, sizeof DERIVE_DOMAIN);
	memcpy(msg + sizeof DERIVE_DOMAIN, label, n);
	return hmac(key, msg, sizeof DERIVE_DOMAIN + n, out);
}

int
jwt_random_hex(size_t nbytes, struct buf *out)
{
	unsigned char raw[JWT_RANDOM_MAX];
	char hex[2 * JWT_RANDOM_MAX + 1];
	int rc = -1;

	if (nbytes == 0 || nbytes > JWT_RANDOM_MAX || RAND_bytes(raw, (int)nbytes) != 1)
		goto out;
	hex_encode(raw, nbytes, hex);
	buf_append(out, hex, 2 * nbytes);
	rc = 0;
out:
	/* These become codes and token ids: leave no copy on the stack. */
	OPENSSL_cleanse(raw, sizeof raw);
	OPENSSL_cleanse(hex, sizeof hex);
	return rc;
}
