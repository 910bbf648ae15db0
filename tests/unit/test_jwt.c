/* test_jwt.c: HS256 tokens (RFC 7515 A.1 and A.5 examples, round trip, tampering, key rotation,
 * header and payload rules, time edges, malformed tokens, size limit), key files, code hashes and
 * random hex. Tokens the tests need signed in odd shapes are built here with OpenSSL directly, so
 * a refusal can only come from the rule under test. */
#include "config.h"

#include "test.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "buf.h"
#include "jwt.h"

/* RFC 7515 appendix A.1: the JWK "k" value (base64url), and the token's three parts. Its header
 * is {"typ":"JWT",\r\n "alg":"HS256"} (no kid), its payload
 * {"iss":"joe",\r\n "exp":1300819380,\r\n "http://example.com/is_root":true}. */
#define A1_KEY "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1" \
	"Z9CAow"
#define A1H    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
#define A1P    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9p" \
	"c19yb290Ijp0cnVlfQ"
#define A1S    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
#define A1     A1H "." A1P "." A1S
#define A1_EXP INT64_C(1300819380)
/* RFC 7515 appendix A.5: the header {"alg":"none"}. */
#define A5H    "eyJhbGciOiJub25lIn0"

/* Test keys, each at least JWT_KEY_MIN bytes. */
#define K1 "first test key: thirty-two bytes or more"
#define K2 "second test key, also long enough to use"
#define K3 "third test key, the one after two rotations"

#define NOW INT64_C(1700000000)
/* The latest time claim accepted: 9999-12-31T23:59:59Z. */
#define FAR INT64_C(253402300799)

/* ---------------------------------------------------------------------------------------------
 * Helpers, built on OpenSSL rather than on jwt.c. */

/* Appends unpadded base64url of n bytes: OpenSSL's base64 with the two characters swapped. */
static void
b64url(struct buf *out, const void *p, size_t n)
{
	unsigned char *text = malloc(4 * (n / 3 + 1) + 1);
	int i, len;

	assert_non_null(text);
	len = EVP_EncodeBlock(text, p, (int)n);
	for (i = 0; i < len && text[i] != '='; i++) {
		if (text[i] == '+')
			text[i] = '-';
		else if (text[i] == '/')
			text[i] = '_';
	}
	buf_append(out, text, (size_t)i);
	free(text);
}

/* Decodes unpadded base64url (well-formed: test data) into out; returns the byte count. */
static size_t
unb64url(const char *s, unsigned char *out, size_t room)
{
	struct buf std = BUF_INIT;
	size_t i, len = strlen(s), pad = (4 - len % 4) % 4;
	int n;

	for (i = 0; i < len; i++)
		buf_putc(&std, s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i]);
	for (i = 0; i < pad; i++)
		buf_putc(&std, '=');
	assert_true(std.len / 4 * 3 <= room);
	n = EVP_DecodeBlock(out, (const unsigned char *)std.data, (int)std.len);
	assert_true(n >= 0 && (size_t)n >= pad);
	buf_free(&std);
	return (size_t)n - pad;
}

/* Appends a token of the given header and payload bytes, signed HS256 with the klen bytes of
 * key. */
static void
make_token(struct buf *out, const char *header, size_t hlen, const char *payload, size_t plen,
    const void *key, size_t klen)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	size_t start = out->len;

	b64url(out, header, hlen);
	buf_putc(out, '.');
	b64url(out, payload, plen);
	assert_non_null(HMAC(EVP_sha256(), key, (int)klen,
	    (const unsigned char *)out->data + start, out->len - start, mac, &maclen));
	buf_putc(out, '.');
	b64url(out, mac, maclen);
}

/* Copies tmpl with every "$KID" replaced by kid and every "$PREV" by prev. */
static void
subst_kid(struct buf *out, const char *tmpl, const char *kid, const char *prev)
{
	for (; *tmpl != '\0'; tmpl++) {
		if (strncmp(tmpl, "$KID", 4) == 0) {
			buf_puts(out, kid);
			tmpl += 3;
		} else if (strncmp(tmpl, "$PREV", 5) == 0) {
			buf_puts(out, prev);
			tmpl += 4;
		} else {
			buf_putc(out, *tmpl);
		}
	}
}

/* jwt_verify, checking the contract on both outcomes: claims and why are set as promised. */
static int
verify(const struct jwt_keys *k, const char *tok, size_t n, int64_t now, long leeway,
    const char **why, json_object **claims_out)
{
	json_object *claims = (json_object *)1;
	const char *w = "unset";
	int rc;

	rc = jwt_verify(k, tok, n, now, leeway, &claims, &w);
	if (rc == 0) {
		assert_non_null(claims);
		assert_true(json_object_is_type(claims, json_type_object));
		assert_null(w);
	} else {
		assert_int_equal(rc, -1);
		assert_null(claims);
		assert_non_null(w);
		/* A reason is short English (so it cannot carry a token either). */
		assert_true(strlen(w) > 0 && strlen(w) < 64);
	}
	if (claims_out != NULL)
		*claims_out = claims;
	else
		json_object_put(claims);
	if (why != NULL)
		*why = w;
	return rc;
}

static int64_t
claim_int(json_object *o, const char *name)
{
	json_object *v;

	assert_true(json_object_object_get_ex(o, name, &v));
	return json_object_get_int64(v);
}

/* A signed token with claims {"sub":sub,"exp":exp}, appended to out. */
static void
sign_simple(const struct jwt_keys *k, const char *sub, int64_t exp, struct buf *out)
{
	json_object *c = json_object_new_object();

	json_object_object_add(c, "sub", json_object_new_string(sub));
	json_object_object_add(c, "exp", json_object_new_int64(exp));
	assert_int_equal(jwt_sign(k, c, out), 0);
	json_object_put(c);
}

static struct jwt_keys *
a1_keys(const char *prev)
{
	unsigned char key[128];
	size_t n = unb64url(A1_KEY, key, sizeof key);

	assert_int_equal(n, 64);
	return prev ? jwt_keys_new(prev, strlen(prev), key, n) : jwt_keys_new(key, n, NULL, 0);
}

/* ---------------------------------------------------------------------------------------------
 * RFC 7515 examples. */

/* A.1 verifies at times up to exp (+ leeway), with the example key current or previous, and not
 * after; its claims come back. */
static const struct {
	int     line;
	int64_t now;
	long    leeway;
	int     want;
} a1_rows[] = {
	{ __LINE__, 0, 0, 0 },
	{ __LINE__, A1_EXP - 86400, 0, 0 },
	{ __LINE__, A1_EXP, 0, 0 },
	{ __LINE__, A1_EXP + 1, 0, -1 },
	{ __LINE__, A1_EXP + 60, 60, 0 },
	{ __LINE__, A1_EXP + 61, 60, -1 },
	{ __LINE__, A1_EXP + JWT_LEEWAY_MAX, JWT_LEEWAY_MAX, 0 },
	{ __LINE__, NOW, 600, -1 },
	{ __LINE__, INT64_MAX, 600, -1 },
	{ __LINE__, INT64_MIN, 600, 0 },
};

static void
test_rfc7515_a1(void **state)
{
	struct jwt_keys *keys[2] = { a1_keys(NULL), a1_keys(K1) };
	json_object *claims, *v;
	const char *why;
	size_t i, j;
	int rc;

	(void)state;
	for (j = 0; j < 2; j++) {
		assert_non_null(keys[j]);
		for (i = 0; i < sizeof a1_rows / sizeof a1_rows[0]; i++) {
			rc = verify(keys[j], A1, strlen(A1), a1_rows[i].now, a1_rows[i].leeway, &why,
			    NULL);
			if (rc != a1_rows[i].want)
				fail_msg("line %d (keys %zu): gave %d (%s), want %d", a1_rows[i].line, j,
				    rc, why ? why : "", a1_rows[i].want);
			if (rc < 0 && strstr(why, "expired") == NULL)
				fail_msg("line %d: refused for \"%s\", not expiry", a1_rows[i].line, why);
		}
	}
	assert_int_equal(verify(keys[0], A1, strlen(A1), A1_EXP, 0, NULL, &claims), 0);
	assert_true(json_object_object_get_ex(claims, "iss", &v));
	assert_string_equal(json_object_get_string(v), "joe");
	assert_int_equal(claim_int(claims, "exp"), A1_EXP);
	assert_true(json_object_object_get_ex(claims, "http://example.com/is_root", &v));
	assert_true(json_object_get_boolean(v));
	json_object_put(claims);
	/* claims and why may be NULL. */
	assert_int_equal(jwt_verify(keys[0], A1, strlen(A1), A1_EXP, 0, NULL, NULL), 0);
	assert_int_equal(jwt_verify(keys[0], A1, strlen(A1), A1_EXP + 1, 0, NULL, NULL), -1);
	/* Without the example key, it is just a bad signature. */
	jwt_keys_free(keys[1]);
	keys[1] = jwt_keys_new(K1, strlen(K1), K2, strlen(K2));
	assert_int_equal(verify(keys[1], A1, strlen(A1), A1_EXP, 0, &why, NULL), -1);
	assert_string_equal(why, "bad signature");
	jwt_keys_free(keys[0]);
	jwt_keys_free(keys[1]);
}

/* A.5, the unsecured JWS: refused as it is (empty signature) and with A.1's valid signature
 * under it, though the example key is loaded. */
static void
test_rfc7515_a5_none(void **state)
{
	struct jwt_keys *k = a1_keys(NULL);
	const char *why;

	(void)state;
	assert_int_equal(verify(k, A5H "." A1P ".", strlen(A5H "." A1P "."), A1_EXP, 0, &why, NULL),
	    -1);
	assert_non_null(strstr(why, "empty part"));
	assert_int_equal(verify(k, A5H "." A1P "." A1S, strlen(A5H "." A1P "." A1S), A1_EXP, 0, &why,
	    NULL), -1);
	assert_non_null(strstr(why, "alg"));
	/* And "alg":"none" with a correct HS256 signature under the example key. */
	{
		struct buf t = BUF_INIT;
		unsigned char key[128];
		size_t n = unb64url(A1_KEY, key, sizeof key);

		make_token(&t, "{\"alg\":\"none\"}", 14, "{\"exp\":1300819380}", 18, key, n);
		assert_int_equal(verify(k, t.data, t.len, A1_EXP, 0, &why, NULL), -1);
		assert_non_null(strstr(why, "alg"));
		buf_free(&t);
	}
	jwt_keys_free(k);
}

/* ---------------------------------------------------------------------------------------------
 * Our own tokens. */

/* jwt_sign writes exactly our header, the claims as given, unpadded base64url, and verifies. */
static void
test_sign_verify_round_trip(void **state)
{
	struct jwt_keys *k = jwt_keys_new(K1, strlen(K1), NULL, 0);
	struct buf tok = BUF_INIT, jti = BUF_INIT, want = BUF_INIT;
	json_object *c = json_object_new_object(), *got, *v;
	unsigned char raw[JWT_MAX_BYTES];
	const char *dot1, *dot2;
	char part[JWT_MAX_BYTES];
	size_t n;

	(void)state;
	assert_int_equal(jwt_random_hex(16, &jti), 0);
	json_object_object_add(c, "sub", json_object_new_string("1234567890"));
	json_object_object_add(c, "iat", json_object_new_int64(NOW));
	json_object_object_add(c, "exp", json_object_new_int64(NOW + 3600));
	json_object_object_add(c, "jti", json_object_new_string(buf_cstr(&jti)));
	json_object_object_add(c, "name", json_object_new_string("</script>\xc3\xa9"));
	buf_puts(&tok, "kept");
	assert_int_equal(jwt_sign(k, c, &tok), 0);
	assert_memory_equal(tok.data, "kept", 4);
	assert_int_equal(strspn(tok.data + 4, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_."), tok.len - 4);

	/* Header: exactly ours, with the current kid. */
	dot1 = strchr(tok.data + 4, '.');
	dot2 = strchr(dot1 + 1, '.');
	assert_non_null(dot2);
	assert_null(strchr(dot2 + 1, '.'));
	assert_int_equal(strlen(dot2 + 1), 43);
	memcpy(part, tok.data + 4, (size_t)(dot1 - tok.data - 4));
	part[dot1 - tok.data - 4] = '\0';
	n = unb64url(part, raw, sizeof raw);
	buf_printf(&want, "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}", jwt_keys_kid(k));
	assert_int_equal(n, want.len);
	assert_memory_equal(raw, want.data, n);

	assert_int_equal(verify(k, tok.data + 4, tok.len - 4, NOW, 0, NULL, &got), 0);
	assert_true(json_object_object_get_ex(got, "sub", &v));
	assert_string_equal(json_object_get_string(v), "1234567890");
	assert_int_equal(claim_int(got, "exp"), NOW + 3600);
	assert_int_equal(claim_int(got, "iat"), NOW);
	assert_true(json_object_object_get_ex(got, "jti", &v));
	assert_string_equal(json_object_get_string(v), buf_cstr(&jti));
	assert_true(json_object_object_get_ex(got, "name", &v));
	assert_string_equal(json_object_get_string(v), "</script>\xc3\xa9");
	json_object_put(got);
	/* The claims object is borrowed: unchanged and still ours. */
	assert_int_equal(json_object_object_length(c), 5);

	json_object_put(c);
	buf_free(&tok);
	buf_free(&jti);
	buf_free(&want);
	jwt_keys_free(k);
}

/* jwt_sign wants an object, and leaves out alone when it refuses. */
static void
test_sign_refuses_non_objects(void **state)
{
	struct jwt_keys *k = jwt_keys_new(K1, strlen(K1), NULL, 0);
	json_object *bad[] = { NULL, json_object_new_array(), json_object_new_string("{}"),
	    json_object_new_int(1) };
	struct buf out = BUF_INIT;
	size_t i;

	(void)state;
	buf_puts(&out, "kept");
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (jwt_sign(k, bad[i], &out) != -1)
			fail_msg("claims %zu was signed", i);
		json_object_put(bad[i]);
	}
	assert_string_equal(buf_cstr(&out), "kept");
	buf_free(&out);
	jwt_keys_free(k);
}

/* Any single changed character, in any part, breaks the token. */
static void
test_tampered(void **state)
{
	struct jwt_keys *k = jwt_keys_new(K1, strlen(K1), NULL, 0);
	struct buf tok = BUF_INIT, other = BUF_INIT, mixed = BUF_INIT;
	const char *why;
	size_t i, tried = 0;
	char was;

	(void)state;
	sign_simple(k, "alice", NOW + 60, &tok);
	sign_simple(k, "mallory", NOW + 60, &other);
	assert_int_equal(verify(k, tok.data, tok.len, NOW, 0, NULL, NULL), 0);
	for (i = 0; i < tok.len; i++) {
		if (tok.data[i] == '.')
			continue;
		was = tok.data[i];
		tok.data[i] = was == 'A' ? 'B' : 'A';
		if (verify(k, tok.data, tok.len, NOW, 0, &why, NULL) != -1)
			fail_msg("changing byte %zu still verifies", i);
		tok.data[i] = was;
		tried++;
	}
	assert_true(tried > 100);
	/* Mallory's payload under Alice's header and signature. */
	buf_append(&mixed, tok.data, (size_t)(strchr(tok.data, '.') - tok.data + 1));
	buf_append(&mixed, strchr(other.data, '.') + 1,
	    (size_t)(strrchr(other.data, '.') - strchr(other.data, '.') - 1));
	buf_puts(&mixed, strrchr(tok.data, '.'));
	assert_int_equal(verify(k, mixed.data, mixed.len, NOW, 0, &why, NULL), -1);
	assert_string_equal(why, "bad signature");
	/* Unchanged, it still verifies (the loop restored every byte). */
	assert_int_equal(verify(k, tok.data, tok.len, NOW, 0, NULL, NULL), 0);
	buf_free(&tok);
	buf_free(&other);
	buf_free(&mixed);
	jwt_keys_free(k);
}

/* Rotation: K1, then K2 with K1 previous, then K3 with K2 previous. */
static void
test_key_rotation(void **state)
{
	struct jwt_keys *k1 = jwt_keys_new(K1, strlen(K1), NULL, 0);
	struct jwt_keys *k2 = jwt_keys_new(K2, strlen(K2), K1, strlen(K1));
	struct jwt_keys *k3 = jwt_keys_new(K3, strlen(K3), K2, strlen(K2));
	struct buf t1 = BUF_INIT, t2 = BUF_INIT, h = BUF_INIT, forged = BUF_INIT;
	const char *payload = "{\"exp\":1700000060}";
	const char *why;

	(void)state;
	assert_non_null(k1);
	assert_non_null(k2);
	assert_non_null(k3);
	assert_string_not_equal(jwt_keys_kid(k1), jwt_keys_kid(k2));
	sign_simple(k1, "u", NOW + 60, &t1);
	sign_simple(k2, "u", NOW + 60, &t2);
	/* After one rotation, both tokens work. */
	assert_int_equal(verify(k2, t1.data, t1.len, NOW, 0, NULL, NULL), 0);
	assert_int_equal(verify(k2, t2.data, t2.len, NOW, 0, NULL, NULL), 0);
	/* Not before it: k1 knows nothing of K2. */
	assert_int_equal(verify(k1, t2.data, t2.len, NOW, 0, &why, NULL), -1);
	assert_string_equal(why, "unknown kid");
	/* After two, K1 is gone and its tokens with it. */
	assert_int_equal(verify(k3, t1.data, t1.len, NOW, 0, &why, NULL), -1);
	assert_string_equal(why, "unknown kid");
	assert_int_equal(verify(k3, t2.data, t2.len, NOW, 0, NULL, NULL), 0);

	/* A kid selects one key: the current kid with the previous key's signature fails. */
	subst_kid(&h, "{\"alg\":\"HS256\",\"kid\":\"$KID\"}", jwt_keys_kid(k2), "");
	make_token(&forged, h.data, h.len, payload, strlen(payload), K1, strlen(K1));
	assert_int_equal(verify(k2, forged.data, forged.len, NOW, 0, &why, NULL), -1);
	assert_string_equal(why, "bad signature");
	/* Without a kid, current then previous are tried; a removed key is not. */
	buf_reset(&forged);
	make_token(&forged, "{\"alg\":\"HS256\"}", 15, payload, strlen(payload), K1, strlen(K1));
	assert_int_equal(verify(k2, forged.data, forged.len, NOW, 0, NULL, NULL), 0);
	assert_int_equal(verify(k3, forged.data, forged.len, NOW, 0, &why, NULL), -1);
	assert_string_equal(why, "bad signature");

	buf_free(&t1);
	buf_free(&t2);
	buf_free(&h);
	buf_free(&forged);
	jwt_keys_free(k1);
	jwt_keys_free(k2);
	jwt_keys_free(k3);
}

/* Headers, each correctly signed with K1 (current; K2 previous), under a valid payload. "$KID"
 * stands for K1's kid, "$PREV" for K2's. */
struct header_row {
	int         line;
	const char *header;
	size_t      len;      /* 0: strlen */
	int         want;
	const char *why;      /* part of the reason when refused */
};

static const struct header_row header_rows[] = {
	{ __LINE__, "{\"alg\":\"HS256\"}", 0, 0, NULL },
	{ __LINE__, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}", 0, 0, NULL },
	{ __LINE__, "{\"typ\":\"JWT\",\"alg\":\"HS256\",\"kid\":\"$KID\"}", 0, 0, NULL },
	{ __LINE__, "{\"alg\":\"HS256\",\"typ\":\"anything\",\"x\":[[1]]}", 0, 0, NULL },
	{ __LINE__, " {\r\n\t\"alg\" : \"HS256\" } ", 0, 0, NULL },
	/* The algorithm is ours. */
	{ __LINE__, "{\"alg\":\"none\"}", 0, -1, "alg" },
	{ __LINE__, "{\"alg\":\"None\"}", 0, -1, "alg" },
	{ __LINE__, "{\"alg\":\"HS512\"}", 0, -1, "alg" },
	{ __LINE__, "{\"alg\":\"HS384\"}", 0, -1, "alg" },
	{ __LINE__, "{\"alg\":\"RS256\"}", 0, -1, "alg" },
	{ __LINE__, "{\"alg\":\"ES256\"}", 0, -1, "alg" },
	{ __LINE__, "{\"alg\":\"hs256\"}", 0, -1, "alg" },
	{ __LINE__, "{\"alg\":\"Hs256\"}", 0, -1, "alg" },
	{ __LINE__, "{\"alg\":\"HS256 \"}", 0, -1, "alg" },
	{ __LINE__, "{\"alg\":\" HS256\"}", 0, -1, "alg" },
	{ __LINE__, "{\"alg\":\"HS25\"}", 0, -1, "alg" },
	{ __LINE__, "{\"alg\":\"HS2560\"}", 0, -1, "alg" },
	{ __LINE__, "{\"alg\":\"HS256\\u0000\"}", 0, -1, "alg" },
	{ __LINE__, "{\"alg\":\"\"}", 0, -1, "alg" },
	{ __LINE__, "{\"alg\":256}", 0, -1, "alg" },
	{ __LINE__, "{\"alg\":null}", 0, -1, "alg" },
	{ __LINE__, "{\"alg\":true}", 0, -1, "alg" },
	{ __LINE__, "{\"alg\":[\"HS256\"]}", 0, -1, "alg" },
	{ __LINE__, "{\"alg\":{\"HS256\":1}}", 0, -1, "alg" },
	{ __LINE__, "{\"ALG\":\"HS256\"}", 0, -1, "alg" },
	{ __LINE__, "{\"typ\":\"JWT\"}", 0, -1, "alg" },
	{ __LINE__, "{}", 0, -1, "alg" },
	{ __LINE__, "{\"alg\":\"HS256\",\"crit\":[\"exp\"]}", 0, -1, "crit" },
	/* kid. */
	{ __LINE__, "{\"alg\":\"HS256\",\"kid\":\"$PREV\"}", 0, -1, "bad signature" },
	{ __LINE__, "{\"alg\":\"HS256\",\"kid\":\"0000000000000000\"}", 0, -1, "unknown kid" },
	{ __LINE__, "{\"alg\":\"HS256\",\"kid\":\"\"}", 0, -1, "unknown kid" },
	{ __LINE__, "{\"alg\":\"HS256\",\"kid\":\"$KID \"}", 0, -1, "unknown kid" },
	{ __LINE__, "{\"alg\":\"HS256\",\"kid\":\"$KID$KID\"}", 0, -1, "unknown kid" },
	{ __LINE__, "{\"alg\":\"HS256\",\"kid\":\"$KID\\u0000\"}", 0, -1, "unknown kid" },
	{ __LINE__, "{\"alg\":\"HS256\",\"kid\":42}", 0, -1, "kid" },
	{ __LINE__, "{\"alg\":\"HS256\",\"kid\":null}", 0, -1, "kid" },
	{ __LINE__, "{\"alg\":\"HS256\",\"kid\":[\"$KID\"]}", 0, -1, "kid" },
	/* Not a JSON object, or not strict JSON, or not all of it. */
	{ __LINE__, "not json", 0, -1, "header" },
	{ __LINE__, "[\"HS256\"]", 0, -1, "header" },
	{ __LINE__, "[{\"alg\":\"HS256\"}]", 0, -1, "header" },
	{ __LINE__, "\"HS256\"", 0, -1, "header" },
	{ __LINE__, "null", 0, -1, "header" },
	{ __LINE__, "{\"alg\":\"HS256\",}", 0, -1, "header" },
	{ __LINE__, "{'alg':'HS256'}", 0, -1, "header" },
	{ __LINE__, "{alg:\"HS256\"}", 0, -1, "header" },
	{ __LINE__, "{\"alg\":\"HS256\"", 0, -1, "header" },
	{ __LINE__, "{\"alg\":\"HS256\"}x", 0, -1, "header" },
	{ __LINE__, "{\"alg\":\"HS256\"}{}", 0, -1, "header" },
	{ __LINE__, "{\"alg\":\"HS256\"}\0garbage", 24, -1, "header" },
	{ __LINE__, "{\"alg\":\"HS256\",\"x\":[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]}", 0, -1, "header" },
};

static const char header_payload[] = "{\"sub\":\"1\",\"exp\":1700000000}";

static void
test_header_rules(void **state)
{
	struct jwt_keys *k = jwt_keys_new(K1, strlen(K1), K2, strlen(K2));
	struct jwt_keys *k2 = jwt_keys_new(K2, strlen(K2), NULL, 0);
	struct buf h = BUF_INIT, tok = BUF_INIT;
	const char *why;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof header_rows / sizeof header_rows[0]; i++) {
		const struct header_row *r = &header_rows[i];

		buf_reset(&h);
		buf_reset(&tok);
		if (r->len > 0)
			buf_append(&h, r->header, r->len);
		else
			subst_kid(&h, r->header, jwt_keys_kid(k), jwt_keys_kid(k2));
		make_token(&tok, h.data, h.len, header_payload, strlen(header_payload), K1, strlen(K1));
		rc = verify(k, tok.data, tok.len, NOW, 0, &why, NULL);
		if (rc != r->want)
			fail_msg("line %d: gave %d (%s), want %d", r->line, rc, rc ? why : "valid",
			    r->want);
		if (rc < 0 && strstr(why, r->why) == NULL)
			fail_msg("line %d: refused for \"%s\", want \"%s\"", r->line, why, r->why);
	}
	buf_free(&h);
	buf_free(&tok);
	jwt_keys_free(k);
	jwt_keys_free(k2);
}

/* Time claims at and one second past every edge, with and without leeway; NOW is the clock.
 * Offsets are from NOW; ABSENT leaves the claim out. */
#define ABSENT INT64_MIN

static const struct {
	int         line;
	int64_t     exp, nbf, iat;
	long        leeway;
	int         want;
	const char *why;
} time_rows[] = {
	{ __LINE__, 0, ABSENT, ABSENT, 0, 0, NULL },
	{ __LINE__, -1, ABSENT, ABSENT, 0, -1, "expired" },
	{ __LINE__, 3600, ABSENT, ABSENT, 0, 0, NULL },
	{ __LINE__, -60, ABSENT, ABSENT, 60, 0, NULL },
	{ __LINE__, -61, ABSENT, ABSENT, 60, -1, "expired" },
	{ __LINE__, -600, ABSENT, ABSENT, 600, 0, NULL },
	{ __LINE__, -601, ABSENT, ABSENT, 600, -1, "expired" },
	{ __LINE__, -NOW, ABSENT, ABSENT, 0, -1, "expired" },              /* exp 0 */
	{ __LINE__, FAR - NOW, ABSENT, ABSENT, 0, 0, NULL },                /* the latest exp */
	{ __LINE__, FAR - NOW + 1, ABSENT, ABSENT, 0, -1, "exp" },
	/* nbf: not before. */
	{ __LINE__, 60, 0, ABSENT, 0, 0, NULL },
	{ __LINE__, 60, 1, ABSENT, 0, -1, "nbf" },
	{ __LINE__, 60, -3600, ABSENT, 0, 0, NULL },
	{ __LINE__, 60, 60, ABSENT, 60, 0, NULL },
	{ __LINE__, 60, 61, ABSENT, 60, -1, "nbf" },
	{ __LINE__, 60, -NOW, ABSENT, 0, 0, NULL },                        /* nbf 0 */
	/* iat: not issued in the future. */
	{ __LINE__, 60, ABSENT, 0, 0, 0, NULL },
	{ __LINE__, 60, ABSENT, 1, 0, -1, "iat" },
	{ __LINE__, 60, ABSENT, -86400, 0, 0, NULL },
	{ __LINE__, 60, ABSENT, 60, 60, 0, NULL },
	{ __LINE__, 60, ABSENT, 61, 60, -1, "iat" },
	{ __LINE__, 60, ABSENT, -NOW, 0, 0, NULL },                        /* iat 0 */
	{ __LINE__, 60, ABSENT, -NOW - 1, 0, -1, "iat" },                  /* iat -1 */
	/* All three at their edges together. */
	{ __LINE__, -60, 60, 60, 60, 0, NULL },
	{ __LINE__, -60, 60, 61, 60, -1, "iat" },
};

static void
test_time_rules(void **state)
{
	struct jwt_keys *k = jwt_keys_new(K1, strlen(K1), NULL, 0);
	struct buf p = BUF_INIT, tok = BUF_INIT;
	const char *why;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof time_rows / sizeof time_rows[0]; i++) {
		buf_reset(&p);
		buf_reset(&tok);
		buf_printf(&p, "{\"sub\":\"1\",\"exp\":%" PRId64, NOW + time_rows[i].exp);
		if (time_rows[i].nbf != ABSENT)
			buf_printf(&p, ",\"nbf\":%" PRId64, NOW + time_rows[i].nbf);
		if (time_rows[i].iat != ABSENT)
			buf_printf(&p, ",\"iat\":%" PRId64, NOW + time_rows[i].iat);
		buf_putc(&p, '}');
		make_token(&tok, "{\"alg\":\"HS256\"}", 15, p.data, p.len, K1, strlen(K1));
		rc = verify(k, tok.data, tok.len, NOW, time_rows[i].leeway, &why, NULL);
		if (rc != time_rows[i].want)
			fail_msg("line %d: %s gave %d (%s), want %d", time_rows[i].line, p.data, rc,
			    rc ? why : "valid", time_rows[i].want);
		if (rc < 0 && strstr(why, time_rows[i].why) == NULL)
			fail_msg("line %d: refused for \"%s\", want \"%s\"", time_rows[i].line, why,
			    time_rows[i].why);
	}
	/* The leeway itself must be sane. */
	buf_reset(&tok);
	make_token(&tok, "{\"alg\":\"HS256\"}", 15, "{\"exp\":1700000000}", 18, K1, strlen(K1));
	assert_int_equal(verify(k, tok.data, tok.len, NOW, 0, NULL, NULL), 0);
	assert_int_equal(verify(k, tok.data, tok.len, NOW, JWT_LEEWAY_MAX, NULL, NULL), 0);
	assert_int_equal(verify(k, tok.data, tok.len, NOW, -1, &why, NULL), -1);
	assert_non_null(strstr(why, "leeway"));
	assert_int_equal(verify(k, tok.data, tok.len, NOW, JWT_LEEWAY_MAX + 1, &why, NULL), -1);
	assert_non_null(strstr(why, "leeway"));
	buf_free(&p);
	buf_free(&tok);
	jwt_keys_free(k);
}

/* Payloads that are not a JSON object, or whose time claims are not integers in range. */
static const struct {
	int         line;
	const char *payload;
	size_t      len;     /* 0: strlen */
	const char *why;     /* NULL: valid */
} payload_rows[] = {
	{ __LINE__, "{\"exp\":1700000000}", 0, NULL },
	{ __LINE__, "{\"exp\":1700000000,\"sub\":{\"deep\":[1,2,{\"x\":null}]}}", 0, NULL },
	{ __LINE__, "{}", 0, "no exp" },
	{ __LINE__, "{\"sub\":\"1\"}", 0, "no exp" },
	{ __LINE__, "{\"EXP\":1700000000}", 0, "no exp" },
	{ __LINE__, "{\"exp\":\"1700000000\"}", 0, "exp" },
	{ __LINE__, "{\"exp\":1700000000.0}", 0, "exp" },
	{ __LINE__, "{\"exp\":1.7e9}", 0, "exp" },
	{ __LINE__, "{\"exp\":1700000000.5}", 0, "exp" },
	{ __LINE__, "{\"exp\":null}", 0, "exp" },
	{ __LINE__, "{\"exp\":true}", 0, "exp" },
	{ __LINE__, "{\"exp\":[1700000000]}", 0, "exp" },
	{ __LINE__, "{\"exp\":-1}", 0, "exp" },
	{ __LINE__, "{\"exp\":253402300800}", 0, "exp" },
	{ __LINE__, "{\"exp\":9223372036854775807}", 0, "exp" },
	{ __LINE__, "{\"exp\":18446744073709551615}", 0, "exp" },
	{ __LINE__, "{\"exp\":99999999999999999999999}", 0, "exp" },
	{ __LINE__, "{\"exp\":-9223372036854775808}", 0, "exp" },
	{ __LINE__, "{\"exp\":1700000000,\"nbf\":\"0\"}", 0, "nbf" },
	{ __LINE__, "{\"exp\":1700000000,\"nbf\":0.5}", 0, "nbf" },
	{ __LINE__, "{\"exp\":1700000000,\"nbf\":null}", 0, "nbf" },
	{ __LINE__, "{\"exp\":1700000000,\"nbf\":-1}", 0, "nbf" },
	{ __LINE__, "{\"exp\":1700000000,\"iat\":1e9}", 0, "iat" },
	{ __LINE__, "{\"exp\":1700000000,\"iat\":false}", 0, "iat" },
	{ __LINE__, "{\"exp\":1700000000,\"iat\":99999999999999999999}", 0, "iat" },
	{ __LINE__, "[]", 0, "payload" },
	{ __LINE__, "[{\"exp\":1700000000}]", 0, "payload" },
	{ __LINE__, "1700000000", 0, "payload" },
	{ __LINE__, "null", 0, "payload" },
	{ __LINE__, "\"{}\"", 0, "payload" },
	{ __LINE__, "{\"exp\":1700000000", 0, "payload" },
	{ __LINE__, "{\"exp\":1700000000,}", 0, "payload" },
	{ __LINE__, "{\"exp\":1700000000}x", 0, "payload" },
	{ __LINE__, "{\"exp\":1700000000}\0x", 20, "payload" },
	{ __LINE__, "{\"exp\":0x6553F100}", 0, "payload" },
	{ __LINE__, "{\"exp\":NaN}", 0, "exp" },    /* json-c reads NaN even when strict */
};

static void
test_payload_rules(void **state)
{
	struct jwt_keys *k = jwt_keys_new(K1, strlen(K1), NULL, 0);
	struct buf tok = BUF_INIT;
	const char *why;
	size_t i, len;
	int rc;

	(void)state;
	for (i = 0; i < sizeof payload_rows / sizeof payload_rows[0]; i++) {
		len = payload_rows[i].len ? payload_rows[i].len : strlen(payload_rows[i].payload);
		buf_reset(&tok);
		make_token(&tok, "{\"alg\":\"HS256\"}", 15, payload_rows[i].payload, len, K1, strlen(K1));
		rc = verify(k, tok.data, tok.len, NOW, 0, &why, NULL);
		if (rc != (payload_rows[i].why ? -1 : 0))
			fail_msg("line %d: gave %d (%s)", payload_rows[i].line, rc, rc ? why : "valid");
		if (rc < 0 && strstr(why, payload_rows[i].why) == NULL)
			fail_msg("line %d: refused for \"%s\", want \"%s\"", payload_rows[i].line, why,
			    payload_rows[i].why);
	}
	buf_free(&tok);
	jwt_keys_free(k);
}

/* Tokens broken in shape, built from A.1 (which verifies with its key at A1_EXP). */
static const struct {
	int         line;
	const char *token;
	const char *why;
} shape_rows[] = {
	{ __LINE__, A1, NULL },
	{ __LINE__, "", "three parts" },
	{ __LINE__, ".", "three parts" },
	{ __LINE__, "..", "empty part" },
	{ __LINE__, "...", "three parts" },
	{ __LINE__, A1H, "three parts" },
	{ __LINE__, A1H "." A1P, "three parts" },
	{ __LINE__, A1H "." A1P "." A1S ".", "three parts" },
	{ __LINE__, A1H "." A1P "." A1S "." A1S, "three parts" },
	{ __LINE__, A1H "." A1H "." A1P "." A1S, "three parts" },
	{ __LINE__, "." A1P "." A1S, "empty part" },
	{ __LINE__, A1H ".." A1S, "empty part" },
	{ __LINE__, A1H "." A1P ".", "empty part" },
	/* Padding, the other base64 alphabet, blanks, stray bits. */
	{ __LINE__, A1H "=." A1P "." A1S, "base64url" },
	{ __LINE__, A1H "." A1P "==." A1S, "base64url" },
	{ __LINE__, A1H "." A1P "." A1S "=", "base64url" },
	{ __LINE__, A1H "." A1P "." "dBjftJeZ4CVP+mB92K27uhbUJU1p1r_wW1gFWFOEjXk", "base64url" },
	{ __LINE__, A1H "." A1P "." "dBjftJeZ4CVP-mB92K27uhbUJU1p1r/wW1gFWFOEjXk", "base64url" },
	{ __LINE__, "+yJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9." A1P "." A1S, "base64url" },
	{ __LINE__, A1H "." A1P "." A1S "\n", "base64url" },
	{ __LINE__, " " A1, "base64url" },
	{ __LINE__, A1H " ." A1P "." A1S, "base64url" },
	{ __LINE__, A1H "." A1P "." "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXl", "base64url" },
	{ __LINE__, A1H "." A1P "." A1S "A", "length" },           /* 33 bytes */
	{ __LINE__, A1H "." A1P "." A1S "AA", "base64url" },       /* 45 characters: 6 bits over */
	{ __LINE__, A1H "." A1P "." A1S "AAA", "length" },         /* 34 bytes */
	{ __LINE__, A1H "." A1P "." "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjQ", "length" },
	{ __LINE__, A1H "." A1P "." "AA", "length" },
	{ __LINE__, A1H "." A1P "." "A", "base64url" },
};

static void
test_malformed_tokens(void **state)
{
	struct jwt_keys *k = a1_keys(NULL);
	struct buf huge = BUF_INIT;
	const char *why;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof shape_rows / sizeof shape_rows[0]; i++) {
		const char *t = shape_rows[i].token;

		rc = verify(k, t, strlen(t), A1_EXP, 0, &why, NULL);
		if (rc != (shape_rows[i].why ? -1 : 0))
			fail_msg("line %d: gave %d (%s)", shape_rows[i].line, rc, rc ? why : "valid");
		if (rc < 0 && strstr(why, shape_rows[i].why) == NULL)
			fail_msg("line %d: refused for \"%s\", want \"%s\"", shape_rows[i].line, why,
			    shape_rows[i].why);
	}
	/* n is the truth: a valid token followed by more bytes than n counts is fine, and a token
	 * cut short by n is not. */
	assert_int_equal(verify(k, A1 "garbage", strlen(A1), A1_EXP, 0, NULL, NULL), 0);
	assert_int_equal(verify(k, A1, strlen(A1) - 1, A1_EXP, 0, NULL, NULL), -1);
	assert_int_equal(jwt_verify(k, NULL, 0, A1_EXP, 0, NULL, &why), -1);
	/* Huge: refused on its length alone. */
	buf_puts(&huge, A1H "." A1P "." A1S);
	while (huge.len <= JWT_MAX_BYTES)
		buf_putc(&huge, 'A');
	assert_int_equal(verify(k, huge.data, huge.len, A1_EXP, 0, &why, NULL), -1);
	assert_non_null(strstr(why, "too long"));
	buf_free(&huge);
	jwt_keys_free(k);
}

/* The largest token jwt_sign makes verifies; one byte of claims more and it refuses to sign, and
 * verify refuses the same token built by hand. */
static void
test_size_limit(void **state)
{
	struct jwt_keys *k = jwt_keys_new(K1, strlen(K1), NULL, 0);
	struct buf tok = BUF_INIT, pad = BUF_INIT, h = BUF_INIT;
	json_object *c = NULL;
	size_t last_ok = 0;
	const char *why;

	(void)state;
	/* Start near the limit: the header and signature take about 120 characters. */
	while (pad.len < 2800)
		buf_putc(&pad, 'x');
	for (;;) {
		json_object_put(c);
		c = json_object_new_object();
		json_object_object_add(c, "exp", json_object_new_int64(NOW));
		json_object_object_add(c, "pad", json_object_new_string(buf_cstr(&pad)));
		buf_reset(&tok);
		if (jwt_sign(k, c, &tok) != 0)
			break;
		assert_true(tok.len <= JWT_MAX_BYTES);
		assert_int_equal(verify(k, tok.data, tok.len, NOW, 0, NULL, NULL), 0);
		last_ok = tok.len;
		buf_putc(&pad, 'x');
	}
	/* Base64 grows by 4 characters per 3 bytes, so the last good one is within 2 of the limit. */
	assert_true(last_ok > 0 && last_ok + 2 >= JWT_MAX_BYTES);
	assert_int_equal(tok.len, 0);
	subst_kid(&h, "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"$KID\"}", jwt_keys_kid(k), "");
	make_token(&tok, h.data, h.len, json_object_to_json_string_ext(c, JSON_C_TO_STRING_PLAIN),
	    strlen(json_object_to_json_string_ext(c, JSON_C_TO_STRING_PLAIN)), K1, strlen(K1));
	assert_true(tok.len > JWT_MAX_BYTES);
	assert_int_equal(verify(k, tok.data, tok.len, NOW, 0, &why, NULL), -1);
	assert_non_null(strstr(why, "too long"));
	json_object_put(c);
	buf_free(&tok);
	buf_free(&pad);
	buf_free(&h);
	jwt_keys_free(k);
}

/* ---------------------------------------------------------------------------------------------
 * Keys. */

/* kid = the first 16 hex digits of SHA-256 of the key; lengths are checked. */
static void
test_keys_new(void **state)
{
	static char big[JWT_KEY_MAX + 1];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	struct jwt_keys *k;
	char want[JWT_KID_LEN + 1];
	size_t i;

	(void)state;
	assert_int_equal(EVP_Digest(K1, strlen(K1), md, &mdlen, EVP_sha256(), NULL), 1);
	for (i = 0; i < JWT_KID_LEN / 2; i++)
		snprintf(want + 2 * i, 3, "%02x", md[i]);
	k = jwt_keys_new(K1, strlen(K1), NULL, 0);
	assert_non_null(k);
	assert_string_equal(jwt_keys_kid(k), want);
	jwt_keys_free(k);

	memset(big, 'k', sizeof big);
	assert_null(jwt_keys_new(NULL, 0, NULL, 0));
	assert_null(jwt_keys_new(big, JWT_KEY_MIN - 1, NULL, 0));
	assert_null(jwt_keys_new(big, JWT_KEY_MAX + 1, NULL, 0));
	assert_null(jwt_keys_new(big, JWT_KEY_MIN, big, JWT_KEY_MIN - 1));
	assert_null(jwt_keys_new(big, JWT_KEY_MIN, big, JWT_KEY_MAX + 1));
	k = jwt_keys_new(big, JWT_KEY_MIN, big, JWT_KEY_MAX);
	assert_non_null(k);
	jwt_keys_free(k);
	/* prev with pn 0 is no previous key. */
	k = jwt_keys_new(big, JWT_KEY_MAX, K1, 0);
	assert_non_null(k);
	jwt_keys_free(k);
	jwt_keys_free(NULL);
}

static char *
make_tmpdir(void)
{
	const char *tmp = getenv("TMPDIR");
	struct buf d = BUF_INIT;

	buf_printf(&d, "%s/test_jwt.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(d.data));
	return buf_detach(&d);
}

/* Writes n bytes to dir/name with mode; returns the path (caller frees). */
static char *
put_key(const char *dir, const char *name, const char *content, size_t n, mode_t mode)
{
	struct buf p = BUF_INIT;
	FILE *f;

	buf_printf(&p, "%s/%s", dir, name);
	f = fopen(p.data, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(content, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(p.data, mode), 0);
	return buf_detach(&p);
}

/* Key files: content and mode, and what loading them gives. The keys hold the marker SECRET, so
 * a message quoting them would be caught. */
#define KEY32 "SECRET-0123456789abcdef-0123456"    /* 31 bytes; "x" makes 32 */

static const struct {
	int         line;
	const char *content;
	mode_t      mode;
	const char *kid_of;   /* valid: the bytes whose kid the key must have; NULL: refused */
	const char *err;      /* part of the message when refused */
} file_rows[] = {
	{ __LINE__, KEY32 "x", 0600, KEY32 "x", NULL },
	{ __LINE__, KEY32 "x", 0400, KEY32 "x", NULL },
	{ __LINE__, KEY32 "x", 0640, KEY32 "x", NULL },
	{ __LINE__, KEY32 "x", 0660, KEY32 "x", NULL },
	{ __LINE__, KEY32 "x\n", 0600, KEY32 "x", NULL },
	{ __LINE__, KEY32 "x \t\r\n\n", 0600, KEY32 "x", NULL },
	{ __LINE__, KEY32 "x\n\n\n", 0600, KEY32 "x", NULL },
	{ __LINE__, " " KEY32 "x", 0600, " " KEY32 "x", NULL },     /* leading blanks are key */
	{ __LINE__, KEY32 " x", 0600, KEY32 " x", NULL },
	{ __LINE__, KEY32 "x", 0644, NULL, "chmod 600" },
	{ __LINE__, KEY32 "x", 0604, NULL, "chmod 600" },
	{ __LINE__, KEY32 "x", 0602, NULL, "chmod 600" },
	{ __LINE__, KEY32 "x", 0601, NULL, "chmod 600" },
	{ __LINE__, KEY32 "x", 0666, NULL, "chmod 600" },
	{ __LINE__, KEY32, 0600, NULL, "shorter than 32" },
	{ __LINE__, KEY32 "\n", 0600, NULL, "shorter than 32" },
	{ __LINE__, KEY32 "\r\n", 0600, NULL, "shorter than 32" },
	{ __LINE__, "", 0600, NULL, "shorter than 32" },
	{ __LINE__, "\n\n\n", 0600, NULL, "shorter than 32" },
};

static void
test_key_files(void **state)
{
	char *dir = make_tmpdir(), *path;
	struct buf err = BUF_INIT, missing = BUF_INIT;
	struct jwt_keys *k, *want;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof file_rows / sizeof file_rows[0]; i++) {
		path = put_key(dir, "token.key", file_rows[i].content, strlen(file_rows[i].content),
		    file_rows[i].mode);
		buf_reset(&err);
		k = jwt_keys_load(path, NULL, &err);
		if (file_rows[i].kid_of != NULL) {
			if (k == NULL)
				fail_msg("line %d: refused: %s", file_rows[i].line, buf_cstr(&err));
			want = jwt_keys_new(file_rows[i].kid_of, strlen(file_rows[i].kid_of), NULL, 0);
			if (strcmp(jwt_keys_kid(k), jwt_keys_kid(want)) != 0)
				fail_msg("line %d: kid differs from the trimmed key's", file_rows[i].line);
			jwt_keys_free(want);
		} else {
			if (k != NULL)
				fail_msg("line %d: loaded", file_rows[i].line);
			if (strstr(buf_cstr(&err), path) == NULL ||
			    strstr(buf_cstr(&err), file_rows[i].err) == NULL)
				fail_msg("line %d: message \"%s\"", file_rows[i].line, buf_cstr(&err));
			if (strstr(buf_cstr(&err), "SECRET") != NULL)
				fail_msg("line %d: message shows the key", file_rows[i].line);
		}
		jwt_keys_free(k);
		assert_int_equal(unlink(path), 0);
		free(path);
	}

	/* A missing file, a directory, and err may be NULL. */
	buf_printf(&missing, "%s/nope.key", dir);
	buf_reset(&err);
	assert_null(jwt_keys_load(missing.data, NULL, &err));
	assert_non_null(strstr(buf_cstr(&err), missing.data));
	buf_reset(&err);
	assert_null(jwt_keys_load(dir, NULL, &err));
	assert_non_null(strstr(buf_cstr(&err), "not a regular file"));
	assert_null(jwt_keys_load(missing.data, NULL, NULL));
	buf_reset(&err);
	assert_null(jwt_keys_load("", NULL, &err));
	assert_true(err.len > 0);
	assert_null(jwt_keys_load(NULL, NULL, NULL));
	buf_free(&missing);
	assert_int_equal(rmdir(dir), 0);
	free(dir);
	buf_free(&err);
}

/* Long keys: JWT_KEY_MAX bytes (with trailing newlines) load, one more byte does not, nor does a
 * file too large to be a key whatever its blanks. */
static void
test_key_file_sizes(void **state)
{
	static char content[JWT_KEY_MAX + 200];
	char *dir = make_tmpdir(), *path;
	struct buf err = BUF_INIT;
	struct jwt_keys *k, *want;

	(void)state;
	memset(content, 'k', sizeof content);
	path = put_key(dir, "k", content, JWT_KEY_MAX, 0600);
	k = jwt_keys_load(path, NULL, &err);
	assert_non_null(k);
	want = jwt_keys_new(content, JWT_KEY_MAX, NULL, 0);
	assert_string_equal(jwt_keys_kid(k), jwt_keys_kid(want));
	jwt_keys_free(k);
	jwt_keys_free(want);
	unlink(path);
	free(path);

	memset(content + JWT_KEY_MAX, '\n', 64);
	path = put_key(dir, "k", content, JWT_KEY_MAX + 64, 0600);
	k = jwt_keys_load(path, NULL, &err);
	assert_non_null(k);
	jwt_keys_free(k);
	unlink(path);
	free(path);

	path = put_key(dir, "k", content, JWT_KEY_MAX + 65, 0600);
	assert_null(jwt_keys_load(path, NULL, &err));
	assert_non_null(strstr(buf_cstr(&err), "larger than"));
	unlink(path);
	free(path);

	content[JWT_KEY_MAX] = 'k';
	buf_reset(&err);
	path = put_key(dir, "k", content, JWT_KEY_MAX + 1, 0600);
	assert_null(jwt_keys_load(path, NULL, &err));
	assert_non_null(strstr(buf_cstr(&err), "longer than"));
	unlink(path);
	free(path);

	assert_int_equal(rmdir(dir), 0);
	free(dir);
	buf_free(&err);
}

/* The previous key file: optional, but held to the same rules when named; tokens of keys loaded
 * from files verify like those of the same bytes from memory. */
static void
test_key_files_previous(void **state)
{
	char *dir = make_tmpdir(), *cur, *prev, *open_prev;
	struct buf err = BUF_INIT, tok = BUF_INIT;
	struct jwt_keys *k, *mem;

	(void)state;
	cur = put_key(dir, "cur.key", K2 "\n", strlen(K2) + 1, 0600);
	prev = put_key(dir, "prev.key", K1 "\n", strlen(K1) + 1, 0640);
	open_prev = put_key(dir, "open.key", K1, strlen(K1), 0644);

	k = jwt_keys_load(cur, "", &err);
	assert_non_null(k);
	jwt_keys_free(k);
	k = jwt_keys_load(cur, open_prev, &err);
	assert_null(k);
	assert_non_null(strstr(buf_cstr(&err), open_prev));
	buf_reset(&err);
	assert_null(jwt_keys_load(cur, "/nonexistent/prev.key", &err));
	assert_non_null(strstr(buf_cstr(&err), "/nonexistent/prev.key"));

	k = jwt_keys_load(cur, prev, &err);
	assert_non_null(k);
	mem = jwt_keys_new(K1, strlen(K1), NULL, 0);
	sign_simple(mem, "u", NOW, &tok);
	assert_int_equal(verify(k, tok.data, tok.len, NOW, 0, NULL, NULL), 0);
	buf_reset(&tok);
	sign_simple(k, "u", NOW, &tok);
	jwt_keys_free(mem);
	mem = jwt_keys_new(K2, strlen(K2), NULL, 0);
	assert_int_equal(verify(mem, tok.data, tok.len, NOW, 0, NULL, NULL), 0);
	jwt_keys_free(mem);
	jwt_keys_free(k);

	unlink(cur);
	unlink(prev);
	unlink(open_prev);
	free(cur);
	free(prev);
	free(open_prev);
	assert_int_equal(rmdir(dir), 0);
	free(dir);
	buf_free(&err);
	buf_free(&tok);
}

/* ---------------------------------------------------------------------------------------------
 * Emailed codes and random hex. */

/* The construction itself: HMAC-SHA256(key, "starling-code" NUL code), computed here. */
static void
code_mac_here(const char *key, const char *code, char out[65])
{
	unsigned char msg[512], mac[EVP_MAX_MD_SIZE];
	unsigned int len = 0, i;
	size_t n = strlen(code);

	memcpy(msg, "starling-code", 14);
	memcpy(msg + 14, code, n);
	assert_non_null(HMAC(EVP_sha256(), key, (int)strlen(key), msg, 14 + n, mac, &len));
	for (i = 0; i < len; i++)
		snprintf(out + 2 * i, 3, "%02x", mac[i]);
}

static void
test_code_hash(void **state)
{
	struct jwt_keys *k1 = jwt_keys_new(K1, strlen(K1), NULL, 0);
	struct jwt_keys *k2 = jwt_keys_new(K2, strlen(K2), K1, strlen(K1));
	struct jwt_keys *k3 = jwt_keys_new(K3, strlen(K3), K2, strlen(K2));
	char h1[65], h2[65], here[65], upper[65];
	static char long_code[JWT_CODE_MAX + 1];
	size_t i;

	(void)state;
	assert_int_equal(jwt_code_hash(k1, "483920", 6, h1), 0);
	assert_int_equal(strlen(h1), 64);
	assert_int_equal(strspn(h1, "0123456789abcdef"), 64);
	code_mac_here(K1, "483920", here);
	assert_string_equal(h1, here);
	assert_true(jwt_code_matches(k1, "483920", 6, h1));
	/* Near misses. */
	assert_false(jwt_code_matches(k1, "483921", 6, h1));
	assert_false(jwt_code_matches(k1, "48392", 5, h1));
	assert_false(jwt_code_matches(k1, "4839200", 7, h1));
	assert_false(jwt_code_matches(k1, "483920\0", 7, h1));
	assert_false(jwt_code_matches(k1, "", 0, h1));
	assert_false(jwt_code_matches(k1, NULL, 6, h1));
	/* Malformed stored values never match. */
	for (i = 0; i < 65; i++)
		upper[i] = (char)(h1[i] >= 'a' && h1[i] <= 'f' ? h1[i] - 32 : h1[i]);
	assert_false(jwt_code_matches(k1, "483920", 6, upper));
	assert_false(jwt_code_matches(k1, "483920", 6, NULL));
	assert_false(jwt_code_matches(k1, "483920", 6, ""));
	memcpy(here, h1, 65);
	here[63] = '\0';
	assert_false(jwt_code_matches(k1, "483920", 6, here));
	{
		char longer[66];

		memcpy(longer, h1, 64);
		longer[64] = '0';
		longer[65] = '\0';
		assert_false(jwt_code_matches(k1, "483920", 6, longer));
	}
	/* Another key gives another hash; one rotation later the code still matches, two not. */
	assert_int_equal(jwt_code_hash(k2, "483920", 6, h2), 0);
	assert_string_not_equal(h1, h2);
	assert_true(jwt_code_matches(k2, "483920", 6, h1));
	assert_true(jwt_code_matches(k2, "483920", 6, h2));
	assert_false(jwt_code_matches(k3, "483920", 6, h1));
	assert_true(jwt_code_matches(k3, "483920", 6, h2));
	assert_false(jwt_code_matches(k1, "483920", 6, h2));
	/* Lengths: 1 .. JWT_CODE_MAX. */
	memset(long_code, 'c', sizeof long_code);
	assert_int_equal(jwt_code_hash(k1, long_code, JWT_CODE_MAX, h2), 0);
	assert_true(jwt_code_matches(k1, long_code, JWT_CODE_MAX, h2));
	assert_int_equal(jwt_code_hash(k1, long_code, JWT_CODE_MAX + 1, h2), -1);
	assert_false(jwt_code_matches(k1, long_code, JWT_CODE_MAX + 1, h2));
	assert_int_equal(jwt_code_hash(k1, "", 0, h2), -1);
	jwt_keys_free(k1);
	jwt_keys_free(k2);
	jwt_keys_free(k3);
}

/* A code hash is never a token signature: a token whose signing input is the code is refused
 * even when its signature is set to the code's hash. */
static void
test_code_hash_is_not_a_signature(void **state)
{
	struct jwt_keys *k = jwt_keys_new(K1, strlen(K1), NULL, 0);
	struct buf tok = BUF_INIT, input = BUF_INIT;
	unsigned char raw[32];
	char hex[65];
	size_t i;
	unsigned int byte;

	(void)state;
	b64url(&input, "{\"alg\":\"HS256\"}", 15);
	buf_putc(&input, '.');
	b64url(&input, "{\"exp\":1700000000}", 18);
	assert_int_equal(jwt_code_hash(k, input.data, input.len, hex), 0);
	for (i = 0; i < 32; i++) {
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &byte), 1);
		raw[i] = (unsigned char)byte;
	}
	buf_append(&tok, input.data, input.len);
	buf_putc(&tok, '.');
	b64url(&tok, raw, sizeof raw);
	assert_int_equal(verify(k, tok.data, tok.len, NOW, 0, NULL, NULL), -1);
	buf_free(&tok);
	buf_free(&input);
	jwt_keys_free(k);
}

static const struct { int line; size_t n; int want; } random_rows[] = {
	{ __LINE__, 1, 0 },
	{ __LINE__, 16, 0 },
	{ __LINE__, JWT_RANDOM_MAX, 0 },
	{ __LINE__, 0, -1 },
	{ __LINE__, JWT_RANDOM_MAX + 1, -1 },
	{ __LINE__, (size_t)-1, -1 },
};

static void
test_random_hex(void **state)
{
	struct buf out = BUF_INIT, again = BUF_INIT;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof random_rows / sizeof random_rows[0]; i++) {
		buf_reset(&out);
		buf_puts(&out, "x");
		rc = jwt_random_hex(random_rows[i].n, &out);
		if (rc != random_rows[i].want)
			fail_msg("line %d: gave %d", random_rows[i].line, rc);
		if (rc == 0 && (out.len != 1 + 2 * random_rows[i].n ||
		    strspn(out.data + 1, "0123456789abcdef") != 2 * random_rows[i].n))
			fail_msg("line %d: got \"%s\"", random_rows[i].line, out.data);
		if (rc < 0 && strcmp(out.data, "x") != 0)
			fail_msg("line %d: out changed on failure", random_rows[i].line);
	}
	buf_reset(&out);
	assert_int_equal(jwt_random_hex(16, &out), 0);
	assert_int_equal(jwt_random_hex(16, &again), 0);
	assert_string_not_equal(out.data, again.data);
	buf_free(&out);
	buf_free(&again);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc7515_a1),
		cmocka_unit_test(test_rfc7515_a5_none),
		cmocka_unit_test(test_sign_verify_round_trip),
		cmocka_unit_test(test_sign_refuses_non_objects),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_key_rotation),
		cmocka_unit_test(test_header_rules),
		cmocka_unit_test(test_time_rules),
		cmocka_unit_test(test_payload_rules),
		cmocka_unit_test(test_malformed_tokens),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_keys_new),
		cmocka_unit_test(test_key_files),
		cmocka_unit_test(test_key_file_sizes),
		cmocka_unit_test(test_key_files_previous),
		cmocka_unit_test(test_code_hash),
		cmocka_unit_test(test_code_hash_is_not_a_signature),
		cmocka_unit_test(test_random_hex),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
