/* fuzz_jwt.c: login token verification (lib/ext/jwt.c, jwt_verify) and emailed-code hashes.
 *
 * The first byte of an input chooses the mode, the rest is its text:
 *   bit 0     0: the text is a token, verified as sent (what an Authorization header or the
 *             login cookie brings); 1: the text is a header and a payload, split at the first
 *             newline, which this harness encodes and signs itself, so that the checks behind
 *             the signature (the header's alg, crit and kid, the payload's times) are reached
 *   bits 1-2  the key that signs: the current one (0 and 3), the previous one, or one the
 *             server never had
 *   bits 3-4  the time now: 1700000000, 0, INT64_MIN or INT64_MAX ("now is anything")
 *   bits 5-7  the leeway: 0, 1, 60, 600, 3600, and 3601, -1 and 30 (the first two refused)
 * A signed token's verdict is compared with reference_verdict below, which restates the rules
 * of jwt.h from the JSON. A token taken as sent must be refused unless it is one of the seeds
 * signed with the fuzz keys; either way a success must hand back claims and a failure a reason.
 * The token text is also an emailed code: its hash must match it and nothing else. */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "buf.h"
#include "fuzz.h"
#include "jwt.h"

/* The keys every run uses (tests/fuzz/corpus/jwt/ holds tokens signed with them). */
#define KEY_CURRENT  "fuzz-current-key-0123456789abcdef-0123456789"
#define KEY_PREVIOUS "fuzz-previous-key-0123456789abcdef-012345678"
#define KEY_STRANGER "fuzz-stranger-key-0123456789abcdef-012345678"
/* As in jwt.c: 9999-12-31T23:59:59Z, and the nesting a header or payload may have. */
#define TIME_MAX INT64_C(253402300799)
#define JSON_DEPTH 8

static const int64_t nows[4] = { 1700000000, 0, INT64_MIN, INT64_MAX };
static const long leeways[8] = { 0, 1, 60, 600, 3600, 3601, -1, 30 };

static struct jwt_keys *keys;
static char kid_previous[JWT_KID_LEN + 1], kid_stranger[JWT_KID_LEN + 1];

static void
teardown(void)
{
	jwt_keys_free(keys);
}

static void
kid_of(const char *key, char kid[JWT_KID_LEN + 1])
{
	struct jwt_keys *k = jwt_keys_new(key, strlen(key), NULL, 0);

	FUZZ_CHECK(k != NULL);
	memcpy(kid, jwt_keys_kid(k), JWT_KID_LEN + 1);
	jwt_keys_free(k);
}

static void
setup(void)
{
	if (keys != NULL)
		return;
	keys = jwt_keys_new(KEY_CURRENT, strlen(KEY_CURRENT), KEY_PREVIOUS, strlen(KEY_PREVIOUS));
	FUZZ_CHECK(keys != NULL);
	kid_of(KEY_PREVIOUS, kid_previous);
	kid_of(KEY_STRANGER, kid_stranger);
	atexit(teardown);
}

/* base64url without padding, written apart from jwt.c's so the two do not share a mistake. */
static void
b64url(struct buf *out, const unsigned char *p, size_t n)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	uint32_t acc = 0;
	size_t i;
	int bits = 0;

	for (i = 0; i < n; i++) {
		acc = acc << 8 | p[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			buf_putc(out, a[(acc >> bits) & 0x3f]);
		}
	}
	if (bits > 0)
		buf_putc(out, a[(acc << (6 - bits)) & 0x3f]);
}

/* header.payload.signature under key. */
static void
sign(struct buf *tok, const char *key, const char *h, size_t hn, const char *p, size_t pn)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;

	b64url(tok, (const unsigned char *)h, hn);
	buf_putc(tok, '.');
	b64url(tok, (const unsigned char *)p, pn);
	FUZZ_CHECK(HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)tok->data,
	    tok->len, mac, &maclen) != NULL);
	buf_putc(tok, '.');
	b64url(tok, mac, maclen);
}

/* The n bytes at s as one JSON object, read as jwt.c reads them, or NULL. */
static json_object *
object(const char *s, size_t n)
{
	struct json_tokener *tok = json_tokener_new_ex(JSON_DEPTH);
	json_object *o;

	FUZZ_CHECK(tok != NULL);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = memchr(s, '\0', n) != NULL ? NULL : json_tokener_parse_ex(tok, s, (int)n);
	if (o != NULL && (json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != n || !json_object_is_type(o, json_type_object))) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

static bool
string_is(json_object *o, const char *name, const char *want)
{
	json_object *v;

	return json_object_object_get_ex(o, name, &v) && json_object_is_type(v, json_type_string) &&
	    (size_t)json_object_get_string_len(v) == strlen(want) &&
	    strcmp(json_object_get_string(v), want) == 0;
}

/* -1: malformed; 0: absent; 1: *t set. 128-bit arithmetic below, so no rule can overflow. */
static int
time_of(json_object *o, const char *name, __int128 *t)
{
	json_object *v;
	int64_t x;

	if (!json_object_object_get_ex(o, name, &v))
		return 0;
	if (!json_object_is_type(v, json_type_int))
		return -1;
	x = json_object_get_int64(v);
	if (x < 0 || x > TIME_MAX)
		return -1;
	*t = x;
	return 1;
}

static bool
times_hold(json_object *p, int64_t now, long leeway)
{
	__int128 t, n = now;
	int r;

	if (time_of(p, "exp", &t) != 1 || n > t + leeway)
		return false;
	if ((r = time_of(p, "nbf", &t)) < 0 || (r > 0 && n < t - leeway))
		return false;
	if ((r = time_of(p, "iat", &t)) < 0 || (r > 0 && t - leeway > n))
		return false;
	return true;
}

/* jwt.h's rules for a token signed with key (0 current, 1 previous, 2 stranger). */
static bool
reference_verdict(const char *h, size_t hn, const char *p, size_t pn, int key, size_t toklen,
    int64_t now, long leeway)
{
	json_object *head = NULL, *pay = NULL, *v;
	bool ok = false;

	if (leeway < 0 || leeway > JWT_LEEWAY_MAX || toklen > JWT_MAX_BYTES || hn == 0 || pn == 0)
		goto out;
	if ((head = object(h, hn)) == NULL || !string_is(head, "alg", "HS256") ||
	    json_object_object_get_ex(head, "crit", &v))
		goto out;
	if (json_object_object_get_ex(head, "kid", &v)) {
		if (!(key == 0 && string_is(head, "kid", jwt_keys_kid(keys))) &&
		    !(key == 1 && string_is(head, "kid", kid_previous)))
			goto out;
	} else if (key == 2) {
		goto out;
	}
	if ((pay = object(p, pn)) == NULL)
		goto out;
	ok = times_hold(pay, now, leeway);
out:
	json_object_put(head);
	json_object_put(pay);
	return ok;
}

/* Runs jwt_verify both with and without its optional outputs; they must agree. */
static int
verify(const char *tok, size_t n, int64_t now, long leeway)
{
	/* Not NULL, so that a failure that forgot to clear it shows. */
	json_object *claims = (json_object *)(uintptr_t)1, *v;
	const char *why = "unset";
	int rc = jwt_verify(keys, tok, n, now, leeway, &claims, &why);

	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc == 0) {
		FUZZ_CHECK(why == NULL && json_object_is_type(claims, json_type_object));
		FUZZ_CHECK(json_object_object_get_ex(claims, "exp", &v) &&
		    json_object_is_type(v, json_type_int));
	} else {
		FUZZ_CHECK(why != NULL && why[0] != '\0' && claims == NULL);
	}
	json_object_put(claims);
	FUZZ_CHECK(jwt_verify(keys, tok, n, now, leeway, NULL, NULL) == rc);
	return rc;
}

static void
check_code(const char *s, size_t n)
{
	char hex[65];

	if (n == 0 || n > JWT_CODE_MAX) {
		FUZZ_CHECK(jwt_code_hash(keys, s, n, hex) == -1);
		return;
	}
	FUZZ_CHECK(jwt_code_hash(keys, s, n, hex) == 0);
	FUZZ_CHECK(strlen(hex) == 64 && strspn(hex, "0123456789abcdef") == 64);
	FUZZ_CHECK(jwt_code_matches(keys, s, n, hex));
	/* One byte less, or one hex digit changed, and it is another code. */
	FUZZ_CHECK(!jwt_code_matches(keys, s, n - 1, hex));
	hex[n % 64] = hex[n % 64] == '0' ? '1' : '0';
	FUZZ_CHECK(!jwt_code_matches(keys, s, n, hex));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const signers[3] = { KEY_CURRENT, KEY_PREVIOUS, KEY_STRANGER };
	const char *text = (const char *)data + 1, *nl;
	size_t n = size > 0 ? size - 1 : 0, hn;
	struct buf tok = BUF_INIT;
	unsigned flags = size > 0 ? data[0] : 0;
	int key = (int)((flags >> 1) & 3) % 3;
	int64_t now = nows[(flags >> 3) & 3];
	long leeway = leeways[(flags >> 5) & 7];
	int rc;

	setup();
	if ((flags & 1) == 0) {
		(void)verify(text, n, now, leeway);
		check_code(text, n);
		goto out;
	}
	nl = memchr(text, '\n', n);
	hn = nl != NULL ? (size_t)(nl - text) : n;
	sign(&tok, signers[key], text, hn, nl != NULL ? nl + 1 : "", nl != NULL ? n - hn - 1 : 0);
	rc = verify(tok.data, tok.len, now, leeway);
	FUZZ_CHECK((rc == 0) == reference_verdict(text, hn, nl != NULL ? nl + 1 : "",
	    nl != NULL ? n - hn - 1 : 0, key, tok.len, now, leeway));
out:
	buf_free(&tok);
	return 0;
}
