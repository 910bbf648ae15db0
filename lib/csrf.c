/* csrf.c: CSRF token generation and checking. */
#include "config.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "csrf.h"

const char *
csrf_cookie_name(bool https)
{
	return https ? CSRF_COOKIE_HTTPS : CSRF_COOKIE;
}

int
csrf_new_token(char out[CSRF_TOKEN_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[CSRF_TOKEN_LEN / 2];
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
	    strspn(s, "0123456789abcdef") == CSRF_TOKEN_LEN;
}

bool
csrf_check(const char *cookie, const char *submitted)
{
	if (!csrf_token_wellformed(cookie) || !csrf_token_wellformed(submitted))
		return false;
	return CRYPTO_memcmp(cookie, submitted, CSRF_TOKEN_LEN) == 0;
}
