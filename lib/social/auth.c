/* auth.c: issuing, checking and revoking login tokens. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "cache.h"
#include "clock.h"
#include "ctx.h"
#include "db.h"
#include "id.h"
#include "jwt.h"
#include "log.h"
#include "shard.h"
#include "user.h"

int
auth_issue(struct app_env *env, uint64_t user_id, int64_t gen, struct buf *token)
{
	json_object *claims = json_object_new_object();
	struct buf jti = BUF_INIT;
	char sub[24];
	int64_t now = (int64_t)time(NULL);
	int rc = -1;

	if (jwt_random_hex(16, &jti) != 0)
		goto out;
	snprintf(sub, sizeof sub, "%" PRIu64, user_id);
	json_object_object_add(claims, "sub", json_object_new_string(sub));
	json_object_object_add(claims, "iat", json_object_new_int64(now));
	json_object_object_add(claims, "nbf", json_object_new_int64(now));
	json_object_object_add(claims, "exp", json_object_new_int64(now + env->conf.auth_token_ttl));
	json_object_object_add(claims, "jti", json_object_new_string(buf_cstr(&jti)));
	json_object_object_add(claims, "gen", json_object_new_int64(gen));
	if (jwt_sign(env->keys, claims, token) == 0)
		rc = 1;
	else
		log_error("auth: cannot sign a token for user %" PRIu64, user_id);
out:
	json_object_put(claims);
	buf_free(&jti);
	return rc;
}

struct revoked_arg {
	struct app_env *env;
	uint64_t        user_id;
	const char     *jti;
};

static int
load_revoked(void *arg, struct buf *out)
{
	struct revoked_arg *a = arg;
	struct db_rows r = DB_ROWS_INIT;
	int rc = db_exec(a->env->db, id_shard(a->user_id),
	    "SELECT 1 FROM {db}.tb_revoked_token WHERE user_id = ? AND jti = ?",
	    DB_PARAMS(DB_U64(a->user_id), DB_STR(a->jti)), &r);

	if (rc == 0 && r.nrows > 0) {
		buf_putc(out, '1');
		rc = 1;
	}
	db_rows_free(&r);
	return rc < 0 ? -1 : rc;
}

static void
revoked_key(const struct auth_session *s, struct buf *key)
{
	buf_printf(key, "revoked:%" PRIu64 ":%s", s->user_id, s->jti);
}

/* The two keys every check reads, the user and the token's revocation, asked of their nodes
 * at once (one round) instead of one after the other. */
static void
prefetch(struct app_env *env, const struct auth_session *s)
{
	struct cache_keys ks = CACHE_KEYS_INIT;
	struct buf key = BUF_INIT;

	user_keys(&ks, s->user_id);
	revoked_key(s, &key);
	cache_keys_add(&ks, "%s", buf_cstr(&key));
	(void)cache_keys_prefetch(env->cache, &ks);
	cache_keys_free(&ks);
	buf_free(&key);
}

/* The generation a token was signed with (*gen): a non-negative integer; a token without the
 * claim (signed before generations existed) is generation 0, the generation of every account
 * until its first password change. Returns 1, or 0 with *why. */
static int
read_gen(json_object *claims, int64_t *gen, const char **why)
{
	json_object *v;

	*gen = 0;
	if (!json_object_object_get_ex(claims, "gen", &v))
		return 1;
	if (!json_object_is_type(v, json_type_int) || (*gen = json_object_get_int64(v)) < 0) {
		*why = "gen is not a credential generation";
		return 0;
	}
	return 1;
}

/* Reads the claims into s (cleared by the caller) and *gen. Returns 1, or 0 with *why. */
static int
read_claims(json_object *claims, struct auth_session *s, int64_t *gen, const char **why)
{
	json_object *v;
	const char *sub, *jti;
	char *end;

	if (!json_object_object_get_ex(claims, "sub", &v) || !json_object_is_type(v, json_type_string)) {
		*why = "no sub claim";
		return 0;
	}
	sub = json_object_get_string(v);
	/* strtoull saturates past 2^64 - 1: ERANGE, or a larger number would name UINT64_MAX. */
	errno = 0;
	s->user_id = strtoull(sub, &end, 10);
	if (*sub < '1' || *sub > '9' || *end != '\0' || errno == ERANGE || s->user_id == 0) {
		*why = "sub is not a user id";
		return 0;
	}
	if (!json_object_object_get_ex(claims, "jti", &v) || !json_object_is_type(v, json_type_string) ||
	    (jti = json_object_get_string(v), strlen(jti) == 0 || strlen(jti) >= sizeof s->jti) ||
	    strspn(jti, "0123456789abcdef") != strlen(jti)) {
		*why = "no valid jti claim";
		return 0;
	}
	snprintf(s->jti, sizeof s->jti, "%s", jti);
	s->iat = json_object_object_get_ex(claims, "iat", &v) ? json_object_get_int64(v) : 0;
	s->exp = json_object_object_get_ex(claims, "exp", &v) ? json_object_get_int64(v) : 0;
	return read_gen(claims, gen, why);
}

/* Whether profile u (user_get) still takes a token of generation gen issued at iat. Returns 1,
 * or 0 with *why. */
static int
user_takes(json_object *u, int64_t iat, int64_t gen, const char **why)
{
	json_object *v;

	if (user_suspended(u, clock_now_s())) {
		*why = "user suspended";
		return 0;
	}
	/* The password changed (or was reset) since the token was signed: the generation read
	 * with the hash the login checked is no longer the account's. (A profile cached by a
	 * build before generations has none: no password changed since, so it is 0.) */
	if ((json_object_object_get_ex(u, "credentialGen", &v) ? json_object_get_int64(v) : 0) !=
	    gen) {
		*why = "token of another credential generation (the password changed)";
		return 0;
	}
	if (json_object_object_get_ex(u, "tokensValidAfter", &v) && iat < json_object_get_int64(v)) {
		*why = "token issued before the user's tokens_valid_after";
		return 0;
	}
	return 1;
}

int
auth_check(struct app_env *env, const char *token, size_t n, int64_t now,
    struct auth_session *s, const char **why)
{
	json_object *claims = NULL, *user = NULL;
	struct buf key = BUF_INIT, val = BUF_INIT;
	struct revoked_arg ra;
	int64_t gen;
	int rc;

	/* Cleared first: whatever way the check ends, *s holds this token's user or nobody, never
	 * what the caller's struct held before (out: clears it again for a refused token). */
	memset(s, 0, sizeof *s);
	if (jwt_verify(env->keys, token, n, now, env->conf.auth_token_leeway, &claims, why) != 0) {
		rc = 0;
		goto out;
	}
	rc = read_claims(claims, s, &gen, why);
	if (rc != 1)
		goto out;
	/* A signed token whose ID names no shard of this site names no user of it: refused like
	 * an unknown user, not a database failure. */
	if (id_shard(s->user_id) >= shard_count(db_shards(env->db))) {
		*why = "sub names no configured shard";
		rc = 0;
		goto out;
	}
	prefetch(env, s);
	rc = user_get(env, s->user_id, &user);
	if (rc != 1) {
		*why = "no such user";
		goto out;
	}
	if ((rc = user_takes(user, s->iat, gen, why)) != 1)
		goto out;
	ra = (struct revoked_arg){ env, s->user_id, s->jti };
	revoked_key(s, &key);
	rc = cache_get_or_load(env->cache, buf_cstr(&key), (unsigned)env->conf.auth_token_ttl,
	    load_revoked, &ra, &val);
	if (rc == 1) {
		*why = "token revoked";
		rc = 0;
	} else if (rc == 0) {
		rc = 1;
	}
out:
	if (rc != 1)
		memset(s, 0, sizeof *s);
	json_object_put(claims);
	json_object_put(user);
	buf_free(&key);
	buf_free(&val);
	return rc;
}

int
auth_revoke(struct app_env *env, const struct auth_session *s)
{
	struct buf key = BUF_INIT;
	int rc;

	rc = db_exec(env->db, id_shard(s->user_id), "INSERT IGNORE INTO {db}.tb_revoked_token "
	    "(user_id, jti, expires_at, created_at) VALUES (?, ?, ?, ?)",
	    DB_PARAMS(DB_U64(s->user_id), DB_STR(s->jti), DB_I64(s->exp),
		DB_I64((int64_t)time(NULL))), NULL);
	if (rc == 0) {
		/* "Not revoked" may be cached: drop it, so the next request loads the new row. */
		revoked_key(s, &key);
		(void)cache_delete(env->cache, buf_cstr(&key));
		rc = 1;
	} else {
		rc = -1;
	}
	buf_free(&key);
	return rc;
}
