/* csrf.c: CSRF token generation, masking and checking. */
#include "config.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "csrf.h"

/* The token's bytes, and the length of their masked form in padded standard base64 (what
 * OpenSSL's EVP_EncodeBlock writes; its "==" is dropped for base64url). */
#define RAW_LEN (CSRF_TOKEN_LEN / 2)
#define B64_LEN (4 * ((2 * RAW_LEN + 2) / 3))

static const char hex[] = "0123456789abcdef";
static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

const char *
csrf_cookie_name(bool https)
{
	return https ? CSRF_COOKIE_HTTPS : CSRF_COOKIE;
}

int
csrf_new_token(char out[CSRF_TOKEN_LEN + 1])
{
	unsigned char raw[RAW_LEN];
	size_t i;

	if (RAND_bytes(raw, sizeof raw) != 1)
		return -1;
	for (i = 0; i < sizeof raw; i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 0xf];
	}
	out[CSRF_TOKEN_LEN] = '\0';
	return 0;
}

bool
csrf_token_wellformed(const char *s)
{
	return s != NULL && strlen(s) == CSRF_TOKEN_LEN &&
	    strspn(s, hex) == CSRF_TOKEN_LEN;
}

/* The bytes a well-formed token spells; false for anything else. */
static bool
token_bytes(const char *s, unsigned char out[RAW_LEN])
{
	size_t i;

	if (!csrf_token_wellformed(s))
		return false;
	for (i = 0; i < RAW_LEN; i++)
		out[i] = (unsigned char)((strchr(hex, s[2 * i]) - hex) << 4 |
		    (strchr(hex, s[2 * i + 1]) - hex));
	return true;
}

int
csrf_mask(const char *token, char out[CSRF_MASKED_LEN + 1])
{
	unsigned char t[RAW_LEN], both[2 * RAW_LEN], b64[B64_LEN + 1];
	size_t i;

	out[0] = '\0';
	if (!token_bytes(token, t) || RAND_bytes(both, RAW_LEN) != 1)
		return -1;
	for (i = 0; i < RAW_LEN; i++)
		both[RAW_LEN + i] = t[i] ^ both[i];
	EVP_EncodeBlock(b64, both, sizeof both);
	for (i = 0; i < CSRF_MASKED_LEN; i++)
		out[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : (char)b64[i];
	out[CSRF_MASKED_LEN] = '\0';
	return 0;
}

/*
 * The token a masked form holds; false unless s is exactly CSRF_MASKED_LEN characters of
 * base64url in canonical form (the last character's four unused bits zero, so each token's
 * masked form has one spelling only).
 */
static bool
unmask(const char *s, unsigned char out[RAW_LEN])
{
	unsigned char b64[B64_LEN + 1], both[B64_LEN / 4 * 3];
	size_t i;

	if (s == NULL || strlen(s) != CSRF_MASKED_LEN || strspn(s, b64url) != CSRF_MASKED_LEN ||
	    ((strchr(b64url, s[CSRF_MASKED_LEN - 1]) - b64url) & 0x0f) != 0)
		return false;
	for (i = 0; i < CSRF_MASKED_LEN; i++)
		b64[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : (unsigned char)s[i];
	memset(b64 + CSRF_MASKED_LEN, '=', B64_LEN - CSRF_MASKED_LEN);
	b64[B64_LEN] = '\0';
	/* EVP_DecodeBlock counts the padding as bytes too: 66 for 64 bytes and "==". */
	if (EVP_DecodeBlock(both, b64, B64_LEN) != (int)sizeof both)
		return false;
	for (i = 0; i < RAW_LEN; i++)
		out[i] = both[i] ^ both[RAW_LEN + i];
	return true;
}

bool
csrf_check(const char *cookie, const char *submitted)
{
	unsigned char want[RAW_LEN], got[RAW_LEN];

	if (!token_bytes(cookie, want) || (!token_bytes(submitted, got) && !unmask(submitted, got)))
		return false;
	return CRYPTO_memcmp(want, got, RAW_LEN) == 0;
}
