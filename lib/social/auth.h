/* auth.h: login tokens: issued at login, checked on every request, revoked at logout.
 *
 * A token is a JWT (jwt.h) signed with HS256 carrying sub (the user's ID, as a string), iat, nbf,
 * exp (iat + [auth] token_ttl), jti (16 random bytes, hex) and gen (the account's credential
 * generation, tb_user.credential_gen, as read together with the password hash the login
 * checked). It is valid when jwt_verify accepts it and, in the database (through the user's
 * cached profile, which lib/social/user.c deletes with every write of the row):
 *   - sub names a shard of this site and a user on it who is not suspended;
 *   - gen is the user's credential generation: a password change or reset moves it on in the
 *     statement that changes the hash, so a token signed by a login that raced the change (it
 *     read the old hash) is refused however the seconds fall. A token without gen (signed
 *     before generations) counts as generation 0, every account's until its first change;
 *   - iat is not before the user's tokens_valid_after ("log out everywhere");
 *   - its jti is not in tb_revoked_token (logout of this one token).
 * Logout is on the server, unlike the seed's: the token is refused from then on, wherever a copy
 * of it is. The revocation row lives until the token's own expiry.
 *
 * API clients send "Authorization: Bearer <token>"; browsers carry it in the AUTH_COOKIE
 * (HttpOnly, SameSite=Lax, Secure under HTTPS).
 *
 * Return convention: 1 valid / done, 0 invalid (with a reason for the log), -1 failure (the
 * database is down: 503). */
#ifndef STARLING_AUTH_H
#define STARLING_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct app_env;
struct auth_session;

#define AUTH_COOKIE "starling_token"

/* Appends a new token for user_id of credential generation gen (user_password_hash's, read with
 * the hash just checked) to token. Returns 1 or -1. */
int auth_issue(struct app_env *env, uint64_t user_id, int64_t gen, struct buf *token);

/* Checks a token (n bytes) at time now. 1 with *s filled, 0 with *why, or -1; *s is cleared
 * (all zero) unless 1. */
int auth_check(struct app_env *env, const char *token, size_t n, int64_t now,
    struct auth_session *s, const char **why);

/* Revokes the one token of s. Returns 1 or -1. */
int auth_revoke(struct app_env *env, const struct auth_session *s);

#endif
