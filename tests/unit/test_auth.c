/* test_auth.c: lib/social/auth.h without a database: what auth_issue signs, every token auth_check
 * refuses before it asks a server (bad signature, expiry, each malformed claim, an ID of no
 * shard), and that a refused or failed check leaves the caller's session cleared, never with a
 * stale or half-read user. The database and memcached are loopback ports nobody listens on, so
 * the one check that gets that far fails (-1, the 503) at once; the checks against real rows
 * (suspension, generations, revocation) are tests/integration's. */
#include "config.h"

#include "test.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "buf.h"
#include "cache.h"
#include "conf.h"
#include "ctx.h"
#include "db.h"
#include "id.h"
#include "jwt.h"
#include "memcached.h"

static const char KEY[] = "0123456789abcdef0123456789abcdef-test-key";
static const char OTHER_KEY[] = "another key of at least thirty-two bytes!";

struct fixture {
	struct app_env env;
};

static char *
nowhere(void)
{
	char a[32];

	snprintf(a, sizeof a, "127.0.0.1:%d", free_port());
	return strdup(a);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	struct buf err = BUF_INIT;

	conf_defaults(&f->env.conf);
	free(f->env.conf.mysql_instances);
	f->env.conf.mysql_instances = nowhere();
	free(f->env.conf.memcached_servers);
	f->env.conf.memcached_servers = nowhere();
	f->env.db = db_new(&f->env.conf, &err);
	f->env.cache = cache_new(&f->env.conf, &err);
	f->env.keys = jwt_keys_new(KEY, strlen(KEY), NULL, 0);
	if (f->env.db == NULL || f->env.cache == NULL || f->env.keys == NULL)
		fail_msg("set-up: %s", buf_cstr(&err));
	buf_free(&err);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	jwt_keys_free(f->env.keys);
	cache_free(f->env.cache);
	db_free(f->env.db);
	conf_free(&f->env.conf);
	free(f);
	return 0;
}

/* A session full of what a previous request left, so that a check that leaves it alone shows. */
static void
stale(struct auth_session *s)
{
	memset(s, 0x5a, sizeof *s);
	s->jti[sizeof s->jti - 1] = '\0';
}

static void
assert_cleared(const struct auth_session *s, int line)
{
	static const struct auth_session zero;

	if (memcmp(s, &zero, sizeof zero) != 0)
		fail_msg("line %d: the session was not cleared (user %" PRIu64 ", jti \"%.8s...\")", line,
		    s->user_id, s->jti);
}

/* A token of the test key with the claims of the JSON text claims. */
static void
sign(const struct fixture *f, const char *claims, struct buf *token)
{
	json_object *c = json_tokener_parse(claims);

	assert_non_null(c);
	buf_reset(token);
	assert_int_equal(jwt_sign(f->env.keys, c, token), 0);
	json_object_put(c);
}

/* ---------------------------------------------------------------------------------------------
 * auth_issue. */

static void
test_issue_claims(void **state)
{
	struct fixture *f = *state;
	struct buf token = BUF_INIT;
	json_object *claims = NULL, *v;
	const char *why = NULL;
	int64_t now = (int64_t)time(NULL), iat;

	assert_int_equal(auth_issue(&f->env, UINT64_C(18446744073709551615), 7, &token), 1);
	assert_int_equal(jwt_verify(f->env.keys, token.data, token.len, now, 0, &claims, &why), 0);
	/* sub is the whole 64-bit ID as a string (a JSON number would lose digits in JavaScript). */
	assert_true(json_object_object_get_ex(claims, "sub", &v));
	assert_true(json_object_is_type(v, json_type_string));
	assert_string_equal(json_object_get_string(v), "18446744073709551615");
	assert_true(json_object_object_get_ex(claims, "iat", &v));
	iat = json_object_get_int64(v);
	assert_true(iat >= now - 5 && iat <= now + 5);
	assert_true(json_object_object_get_ex(claims, "nbf", &v));
	assert_int_equal(json_object_get_int64(v), iat);
	assert_true(json_object_object_get_ex(claims, "exp", &v));
	assert_int_equal(json_object_get_int64(v), iat + f->env.conf.auth_token_ttl);
	assert_true(json_object_object_get_ex(claims, "gen", &v));
	assert_int_equal(json_object_get_int64(v), 7);
	assert_true(json_object_object_get_ex(claims, "jti", &v));
	assert_int_equal(strlen(json_object_get_string(v)), 32);
	assert_int_equal(strspn(json_object_get_string(v), "0123456789abcdef"), 32);
	json_object_put(claims);
	buf_free(&token);
}

static void
test_issue_fresh_jti(void **state)
{
	struct fixture *f = *state;
	struct buf a = BUF_INIT, b = BUF_INIT;

	assert_int_equal(auth_issue(&f->env, 1, 0, &a), 1);
	assert_int_equal(auth_issue(&f->env, 1, 0, &b), 1);
	/* Same user, same second: only the jti tells the two apart, and logout revokes by it. */
	assert_string_not_equal(buf_cstr(&a), buf_cstr(&b));
	buf_free(&a);
	buf_free(&b);
}

/* ---------------------------------------------------------------------------------------------
 * auth_check: refusals before any server. */

#define JTI "\"jti\":\"0123456789abcdef\""
#define TIMES "\"iat\":1800000000,\"exp\":1800003600"
#define NOW 1800000100

struct refuse_row {
	int         line;
	const char *claims;   /* signed with the test key */
	const char *why;      /* auth_check's reason */
};

static const struct refuse_row refuse_rows[] = {
	{ __LINE__, "{" JTI "," TIMES "}", "no sub claim" },
	{ __LINE__, "{\"sub\":42," JTI "," TIMES "}", "no sub claim" },
	{ __LINE__, "{\"sub\":null," JTI "," TIMES "}", "no sub claim" },
	{ __LINE__, "{\"sub\":\"\"," JTI "," TIMES "}", "sub is not a user id" },
	{ __LINE__, "{\"sub\":\"0\"," JTI "," TIMES "}", "sub is not a user id" },
	{ __LINE__, "{\"sub\":\"042\"," JTI "," TIMES "}", "sub is not a user id" },
	{ __LINE__, "{\"sub\":\"-1\"," JTI "," TIMES "}", "sub is not a user id" },
	{ __LINE__, "{\"sub\":\"+1\"," JTI "," TIMES "}", "sub is not a user id" },
	{ __LINE__, "{\"sub\":\" 1\"," JTI "," TIMES "}", "sub is not a user id" },
	{ __LINE__, "{\"sub\":\"1 \"," JTI "," TIMES "}", "sub is not a user id" },
	{ __LINE__, "{\"sub\":\"12x\"," JTI "," TIMES "}", "sub is not a user id" },
	{ __LINE__, "{\"sub\":\"1e3\"," JTI "," TIMES "}", "sub is not a user id" },
	/* Past 2^64 - 1: strtoull saturates to UINT64_MAX, which must not stand for this ID. */
	{ __LINE__, "{\"sub\":\"18446744073709551616\"," JTI "," TIMES "}", "sub is not a user id" },
	{ __LINE__, "{\"sub\":\"99999999999999999999999\"," JTI "," TIMES "}",
	  "sub is not a user id" },
	{ __LINE__, "{\"sub\":\"1\"," TIMES "}", "no valid jti claim" },
	{ __LINE__, "{\"sub\":\"1\",\"jti\":7," TIMES "}", "no valid jti claim" },
	{ __LINE__, "{\"sub\":\"1\",\"jti\":\"\"," TIMES "}", "no valid jti claim" },
	{ __LINE__, "{\"sub\":\"1\",\"jti\":\"ABCDEF\"," TIMES "}", "no valid jti claim" },
	{ __LINE__, "{\"sub\":\"1\",\"jti\":\"12 34\"," TIMES "}", "no valid jti claim" },
	/* 65 hex digits: one more than the session holds. */
	{ __LINE__, "{\"sub\":\"1\",\"jti\":\"0123456789abcdef0123456789abcdef0123456789abcdef"
	  "0123456789abcdef0\"," TIMES "}", "no valid jti claim" },
	{ __LINE__, "{\"sub\":\"1\"," JTI "," TIMES ",\"gen\":-1}", "gen is not a credential generation" },
	{ __LINE__, "{\"sub\":\"1\"," JTI "," TIMES ",\"gen\":\"3\"}",
	  "gen is not a credential generation" },
	{ __LINE__, "{\"sub\":\"1\"," JTI "," TIMES ",\"gen\":1.5}",
	  "gen is not a credential generation" },
	/* A user ID of shard 1023, which a one-shard site does not have: ms 1, shard 1023. */
	{ __LINE__, "{\"sub\":\"8384512\"," JTI "," TIMES "}", "sub names no configured shard" },
	{ __LINE__, "{\"sub\":\"18446744073709551615\"," JTI "," TIMES "}",
	  "sub names no configured shard" },
};

static void
test_check_refuses_claims(void **state)
{
	struct fixture *f = *state;
	struct buf token = BUF_INIT;
	struct auth_session s;
	size_t i;

	assert_int_equal(id_shard(8384512), 1023);
	for (i = 0; i < sizeof refuse_rows / sizeof refuse_rows[0]; i++) {
		const struct refuse_row *r = &refuse_rows[i];
		const char *why = NULL;
		int rc;

		sign(f, r->claims, &token);
		stale(&s);
		rc = auth_check(&f->env, token.data, token.len, NOW, &s, &why);
		if (rc != 0 || why == NULL || strcmp(why, r->why) != 0)
			fail_msg("line %d: auth_check = %d (%s), want 0 (%s)", r->line, rc,
			    why ? why : "no reason", r->why);
		assert_cleared(&s, r->line);
	}
	buf_free(&token);
}

/* Tokens jwt_verify refuses: the session must be cleared all the same. */
static void
test_check_refuses_tokens(void **state)
{
	struct fixture *f = *state;
	struct buf token = BUF_INIT, forged = BUF_INIT;
	struct jwt_keys *other = jwt_keys_new(OTHER_KEY, strlen(OTHER_KEY), NULL, 0);
	json_object *c = json_tokener_parse("{\"sub\":\"1\"," JTI "," TIMES "}");
	struct auth_session s;
	const char *why;

	assert_non_null(other);
	sign(f, "{\"sub\":\"1\"," JTI "," TIMES "}", &token);
	assert_int_equal(jwt_sign(other, c, &forged), 0);

	/* Expired: exp + the leeway is past. */
	why = NULL;
	stale(&s);
	assert_int_equal(auth_check(&f->env, token.data, token.len,
	    1800003600 + f->env.conf.auth_token_leeway + 1, &s, &why), 0);
	assert_non_null(why);
	assert_cleared(&s, __LINE__);

	/* Signed by a key this site does not have. */
	why = NULL;
	stale(&s);
	assert_int_equal(auth_check(&f->env, forged.data, forged.len, NOW, &s, &why), 0);
	assert_non_null(why);
	assert_cleared(&s, __LINE__);

	/* Not a token at all, and nothing. */
	why = NULL;
	stale(&s);
	assert_int_equal(auth_check(&f->env, "not.a.token", 11, NOW, &s, &why), 0);
	assert_non_null(why);
	assert_cleared(&s, __LINE__);
	why = NULL;
	stale(&s);
	assert_int_equal(auth_check(&f->env, "", 0, NOW, &s, &why), 0);
	assert_non_null(why);
	assert_cleared(&s, __LINE__);

	/* A good token, cut by one byte. */
	why = NULL;
	stale(&s);
	assert_int_equal(auth_check(&f->env, token.data, token.len - 1, NOW, &s, &why), 0);
	assert_cleared(&s, __LINE__);

	json_object_put(c);
	jwt_keys_free(other);
	buf_free(&token);
	buf_free(&forged);
}

/* A well-formed token for a user on shard 0, with the servers down: a failure (-1, which the
 * pipeline answers 503), not "invalid" (401), and no session. */
static void
test_check_servers_down(void **state)
{
	struct fixture *f = *state;
	struct buf token = BUF_INIT;
	struct auth_session s;
	const char *why = NULL;

	assert_int_equal(auth_issue(&f->env, id_compose(1, 0, 0, 0), 0, &token), 1);
	stale(&s);
	assert_int_equal(auth_check(&f->env, token.data, token.len, (int64_t)time(NULL), &s, &why),
	    -1);
	assert_cleared(&s, __LINE__);
	buf_free(&token);
}

/* auth_revoke with the database down: -1, so logout can say it failed. */
static void
test_revoke_servers_down(void **state)
{
	struct fixture *f = *state;
	struct auth_session s = { .user_id = id_compose(1, 0, 0, 0), .jti = "abcdef", .exp = NOW };

	assert_int_equal(auth_revoke(&f->env, &s), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_issue_claims),
		cmocka_unit_test(test_issue_fresh_jti),
		cmocka_unit_test(test_check_refuses_claims),
		cmocka_unit_test(test_check_refuses_tokens),
		cmocka_unit_test(test_check_servers_down),
		cmocka_unit_test(test_revoke_servers_down),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
