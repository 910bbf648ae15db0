/* csrf.h: CSRF tokens for HTML forms (the double-submit cookie pattern).
 *
 * Every HTML page makes sure the browser holds a random token in the starling_csrf cookie
 * (HttpOnly, SameSite=Lax) and puts the same token in its forms' hidden csrf_token field. A form
 * post is accepted only when the two match. Another site can make a browser send the cookie, but
 * cannot read it, so it cannot put the token in the form. SameSite=Lax already keeps the cookie
 * off most cross-site posts; the token covers the rest (older browsers, same-site subdomains).
 * JSON API calls authenticate with a bearer token, which a browser never attaches by itself.
 *
 * Over HTTPS the cookie is named with the __Host- prefix: browsers then take it only when it is
 * Secure, for Path=/ and without Domain (ctx_cookie sets it so), so neither a sibling subdomain
 * nor a plain-HTTP answer can plant a token of its own choosing (cookie tossing). Over plain HTTP
 * (a development site) a browser would refuse such a cookie, so the plain name is used there.
 * The token is rotated at login (ctx_csrf_rotate): one known to someone before the session began
 * (planted, or read off a shared machine) is worth nothing after it.
 *
 * Pages go out compressed (etc/: mod_deflate), and a secret repeated in every compressed answer
 * beside text an attacker can place in it (a search, a post) can be read off the answers' sizes
 * (BREACH). So a page's forms never carry the token itself but a masked form of it, made afresh
 * for each answer (csrf_mask): a random mask and the token XORed with it. No two answers hold the
 * same bytes, and csrf_check takes either form for the cookie's token. */
#ifndef STARLING_CSRF_H
#define STARLING_CSRF_H

#include <stdbool.h>

#define CSRF_COOKIE       "starling_csrf"
#define CSRF_COOKIE_HTTPS "__Host-starling_csrf"
#define CSRF_FIELD  "csrf_token"
/* 32 random bytes as lowercase hex. */
#define CSRF_TOKEN_LEN 64
/* The masked form: the 32 bytes of a mask, then the token's 32 bytes XORed with it, as unpadded
 * base64url (RFC 4648 section 5): 64 bytes in 86 characters, 42 fewer than hex in each form of
 * a page. */
#define CSRF_MASKED_LEN 86

/* The cookie's name for a site served over https or not ([site] https): static. */
const char *csrf_cookie_name(bool https);
/* Writes a fresh token (CSRF_TOKEN_LEN hex digits and a NUL) to out. Returns 0, or -1 when the
 * system has no randomness to give (the caller answers 500). */
int csrf_new_token(char out[CSRF_TOKEN_LEN + 1]);
/* True when s has the shape of a token (so a cookie we did not set is replaced, not trusted). */
bool csrf_token_wellformed(const char *s);
/* Writes a masked form of token (CSRF_MASKED_LEN characters and a NUL) to out, with a fresh
 * random mask. Returns 0, or -1 when token is not well-formed or the system has no randomness
 * (out is then ""). */
int csrf_mask(const char *token, char out[CSRF_MASKED_LEN + 1]);
/* True when cookie is a well-formed token and submitted is that token, or a masked form of it
 * (csrf_mask); compared in constant time. NULLs give false. */
bool csrf_check(const char *cookie, const char *submitted);

#endif
