/* user.c: accounts on their shards, with the lookups and the cached profile. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "cache.h"
#include "ctx.h"
#include "clock.h"
#include "db.h"
#include "id.h"
#include "idlease.h"
#include "log.h"
#include "shard.h"
#include "user.h"
#include "valid.h"
#include "xalloc.h"

/* How long copies live in the cache; writes delete them, so this only bounds memory. */
#define USER_TTL   3600
/* A lookup row whose user row never appeared (a sign-up that died between the two) is taken
 * over by a new sign-up after this long: longer than any sign-up takes. */
#define ORPHAN_GRACE 600

/* The profile columns, in SELECT order, and their JSON names. */
enum col_kind { COL_ID, COL_STR, COL_INT, COL_BOOL };
static const struct {
	const char    *column, *json;
	enum col_kind  kind;
} cols[] = {
	{ "id",                   "id",               COL_ID },
	{ "username",             "username",         COL_STR },
	{ "email",                "email",            COL_STR },
	{ "display_name",         "displayName",      COL_STR },
	{ "banner_url",           "bannerUrl",        COL_STR },
	{ "avatar_url",           "avatarUrl",        COL_STR },
	{ "description",          "description",      COL_STR },
	{ "website",              "website",          COL_STR },
	{ "location",             "location",         COL_STR },
	{ "language",             "language",         COL_STR },
	{ "time_zone",            "timeZone",         COL_STR },
	{ "dob_year",             "dobYear",          COL_INT },
	{ "dob_month",            "dobMonth",         COL_INT },
	{ "dob_day",              "dobDay",           COL_INT },
	{ "is_visible_dob_year",  "isVisibleDobYear", COL_BOOL },
	{ "is_visible_dob_month", "isVisibleDobMonth", COL_BOOL },
	{ "is_visible_dob_day",   "isVisibleDobDay",  COL_BOOL },
	{ "verified",             "verified",         COL_BOOL },
	{ "suspended",            "suspended",        COL_BOOL },
	{ "suspended_until",      "suspendedUntil",   COL_INT },
	{ "suspension_reason",    "suspensionReason", COL_STR },
	{ "is_activated",         "activated",        COL_BOOL },
	{ "tokens_valid_after",   "tokensValidAfter", COL_INT },
	{ "credential_gen",       "credentialGen",    COL_INT },
	{ "created_at",           "createdAt",        COL_INT },
	{ "updated_at",           "updatedAt",        COL_INT },
};
#define NCOLS (sizeof cols / sizeof cols[0])

static const char SELECT_PROFILE[] =
    "SELECT id, username, email, display_name, banner_url, avatar_url, description, website, "
    "location, language, time_zone, dob_year, dob_month, dob_day, is_visible_dob_year, "
    "is_visible_dob_month, is_visible_dob_day, verified, suspended, suspended_until, suspension_reason, is_activated, "
    "tokens_valid_after, credential_gen, created_at, updated_at FROM {db}.tb_user WHERE id = ?";

static unsigned
user_shard(uint64_t id)
{
	return id_shard(id);
}

/* Deletes a cached key after a write; failures are logged by the cache (the TTL bounds them). */
static void
forget(struct app_env *env, const char *prefix, const char *key)
{
	struct buf k = BUF_INIT;

	buf_printf(&k, "%s:%s", prefix, key);
	(void)cache_delete(env->cache, buf_cstr(&k));
	buf_free(&k);
}

static void
forget_user(struct app_env *env, uint64_t id)
{
	char s[24];

	snprintf(s, sizeof s, "%" PRIu64, id);
	forget(env, "user", s);
}

/* ------------------------------------------------------------------------------------------ */
/* The profile */

struct load_arg {
	struct app_env *env;
	uint64_t        id;
};

static int
load_profile(void *arg, struct buf *out)
{
	struct load_arg *a = arg;
	struct db_rows r = DB_ROWS_INIT;
	json_object *o;
	size_t i;
	int rc;

	rc = db_exec(a->env->db, user_shard(a->id), SELECT_PROFILE, DB_PARAMS(DB_U64(a->id)), &r);
	if (rc != 0 || r.nrows == 0) {
		db_rows_free(&r);
		return rc != 0 ? -1 : 0;
	}
	o = json_object_new_object();
	for (i = 0; i < NCOLS; i++) {
		json_object *v = NULL;

		switch (cols[i].kind) {
		case COL_ID:
		case COL_STR:
			v = json_object_new_string_len(db_str(&r, 0, i), (int)db_len(&r, 0, i));
			break;
		case COL_INT:
			v = json_object_new_int64(db_i64(&r, 0, i));
			break;
		case COL_BOOL:
			v = json_object_new_boolean(db_i64(&r, 0, i) != 0);
			break;
		}
		json_object_object_add(o, cols[i].json, v);
	}
	buf_puts(out, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	db_rows_free(&r);
	return 1;
}

void
user_keys(struct cache_keys *ks, uint64_t id)
{
	if (id != 0)
		cache_keys_add(ks, "user:%" PRIu64, id);
}

/* The cached profile object of id ("user:<id>", filled from the database on a miss) as text in
 * val. Returns 1, 0 (no such user), or -1. */
static int
profile_text(struct app_env *env, uint64_t id, struct buf *val)
{
	struct load_arg a = { env, id };
	struct buf key = BUF_INIT;
	int rc;

	buf_printf(&key, "user:%" PRIu64, id);
	rc = cache_get_or_load(env->cache, buf_cstr(&key), USER_TTL, load_profile, &a, val);
	buf_free(&key);
	return rc;
}

/* text parsed as the profile object of id, or NULL (logged; the cached copy, which only this
 * code writes, is dropped). */
static json_object *
profile_parse(struct app_env *env, uint64_t id, const char *text)
{
	json_object *o = json_tokener_parse(text);
	char key[40];

	if (o != NULL && json_object_is_type(o, json_type_object))
		return o;
	snprintf(key, sizeof key, "user:%" PRIu64, id);
	log_error("cache %s: not a JSON object; deleted", key);
	json_object_put(o);
	(void)cache_delete(env->cache, key);
	return NULL;
}

int
user_get(struct app_env *env, uint64_t id, json_object **out)
{
	struct buf val = BUF_INIT;
	int rc;

	*out = NULL;
	if (id == 0)
		return 0;
	rc = profile_text(env, id, &val);
	if (rc == 1 && (*out = profile_parse(env, id, buf_cstr(&val))) == NULL)
		rc = -1;
	buf_free(&val);
	return rc;
}

/* The profile objects this process parsed last, one slot per hash of the id, each
 * with the exact text it came from. A page shows the authors of twenty posts, and parsing their
 * profiles was a sixth of a home timeline's instructions: user_pick parses a profile only when
 * the cache's text differs from the slot's. Reusing the object is exact (the same bytes parse to
 * the same object), so the cache's text stays the only truth, and nothing outlives a change of
 * it. The objects are never changed (user_pick only shares their values, which nothing in
 * Starling changes in place). About 1.5 KB a slot. */
#define USER_PARSED_SLOTS 128

static struct {
	uint64_t     id;
	char        *text;
	json_object *obj;
} parsed[USER_PARSED_SLOTS];

/* The profile object of id for text: the slot's, or text parsed into the slot. Borrowed until
 * the next call; NULL when text does not parse. */
static json_object *
profile_shared(struct app_env *env, uint64_t id, const struct buf *text)
{
	/* IDs share their low bits (the shard and sequence fields, lib/base/id.h): mixed first. */
	size_t k = (size_t)((id * 0x9E3779B97F4A7C15ull) >> 57) % USER_PARSED_SLOTS;
	json_object *o;

	if (parsed[k].id == id && parsed[k].obj != NULL && strcmp(parsed[k].text, buf_cstr(text)) == 0)
		return parsed[k].obj;
	if ((o = profile_parse(env, id, buf_cstr(text))) == NULL)
		return NULL;
	json_object_put(parsed[k].obj);
	free(parsed[k].text);
	parsed[k].id = id;
	parsed[k].text = xstrdup(buf_cstr(text));
	parsed[k].obj = o;
	return o;
}

/* The one body of user_pick and user_pick_shown (shown: 0 for a suspended account). */
static int
pick(struct app_env *env, uint64_t id, const char *const *fields, bool shown, json_object **out)
{
	struct buf val = BUF_INIT;
	json_object *u, *v;
	int rc;

	*out = NULL;
	if (id == 0)
		return 0;
	rc = profile_text(env, id, &val);
	if (rc == 1 && (u = profile_shared(env, id, &val)) == NULL)
		rc = -1;
	if (rc == 1 && shown && user_suspended(u, clock_now_s()))
		rc = 0;
	if (rc == 1) {
		*out = json_object_new_object();
		for (; *fields != NULL; fields++)
			if (json_object_object_get_ex(u, *fields, &v))
				json_object_object_add(*out, *fields, json_object_get(v));
	}
	buf_free(&val);
	return rc;
}

int
user_pick(struct app_env *env, uint64_t id, const char *const *fields, json_object **out)
{
	return pick(env, id, fields, false, out);
}

int
user_pick_shown(struct app_env *env, uint64_t id, const char *const *fields, json_object **out)
{
	return pick(env, id, fields, true, out);
}

/* "userx:<id>": the counters and the pin of tb_user_extended, as load_counts reads them. */
#define COUNTS_KEY_SIZE 32
static const char *
counts_key(char out[COUNTS_KEY_SIZE], uint64_t id)
{
	snprintf(out, COUNTS_KEY_SIZE, "userx:%" PRIu64, id);
	return out;
}

static int
load_counts(void *arg, struct buf *out)
{
	struct load_arg *a = arg;
	struct db_rows r = DB_ROWS_INIT;
	int rc = db_exec(a->env->db, user_shard(a->id), "SELECT count_followers, count_followings, "
	    "count_posts, count_likes, pinned_post_id FROM {db}.tb_user_extended WHERE user_id = ?",
	    DB_PARAMS(DB_U64(a->id)), &r);

	if (rc == 0 && r.nrows > 0) {
		buf_printf(out, "%s %s %s %s %s", db_str(&r, 0, 0), db_str(&r, 0, 1), db_str(&r, 0, 2),
		    db_str(&r, 0, 3), db_str(&r, 0, 4));
		rc = 1;
	}
	db_rows_free(&r);
	return rc < 0 ? -1 : rc;
}

void
user_profile_keys(struct cache_keys *ks, uint64_t id)
{
	if (id == 0)
		return;
	user_keys(ks, id);
	cache_keys_add(ks, "userx:%" PRIu64, id);     /* counts_key's */
}

int
user_profile(struct app_env *env, uint64_t id, uint64_t viewer, json_object **out)
{
	struct cache_keys ks = CACHE_KEYS_INIT;
	json_object *u = NULL;
	int rc;

	*out = NULL;
	user_profile_keys(&ks, id);
	(void)cache_keys_prefetch(env->cache, &ks);
	cache_keys_free(&ks);
	if ((rc = user_get(env, id, &u)) != 1)
		return rc;
	/* A suspended account is gone for everyone else until the suspension ends. */
	if (id != viewer && user_suspended(u, clock_now_s())) {
		json_object_put(u);
		return 0;
	}
	*out = user_public(u, id == viewer);
	json_object_put(u);
	if (user_add_counts(env, id, *out) < 0) {
		json_object_put(*out);
		*out = NULL;
		return -1;
	}
	return 1;
}

int
user_add_counts(struct app_env *env, uint64_t id, json_object *profile)
{
	static const char *const names[] = {
		"countFollowers", "countFollowings", "countPosts", "countLikes",
	};
	struct load_arg a = { env, id };
	struct buf key = BUF_INIT, val = BUF_INIT;
	unsigned long long v[5] = { 0 };
	char pinned[24], ckey[COUNTS_KEY_SIZE];
	size_t i;
	int rc;

	buf_puts(&key, counts_key(ckey, id));
	rc = cache_get_or_load(env->cache, buf_cstr(&key), USER_TTL, load_counts, &a, &val);
	if (rc == 1 && sscanf(buf_cstr(&val), "%llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
	    &v[4]) != 5) {
		log_error("cache %s: malformed counters; deleted", buf_cstr(&key));
		(void)cache_delete(env->cache, buf_cstr(&key));
		rc = -1;
	}
	if (rc >= 0) {
		for (i = 0; i < 4; i++)
			json_object_object_add(profile, names[i], json_object_new_int64((int64_t)v[i]));
		snprintf(pinned, sizeof pinned, "%llu", v[4]);
		json_object_object_add(profile, "pinnedPostId", json_object_new_string(pinned));
	}
	buf_free(&key);
	buf_free(&val);
	return rc;
}

json_object *
user_public(json_object *u, bool self)
{
	static const char *const always[] = {
		"id", "username", "displayName", "bannerUrl", "avatarUrl", "description", "website",
		"location", "verified", "createdAt",
	};
	static const char *const own[] = {
		"email", "language", "timeZone", "suspended", "suspendedUntil", "suspensionReason",
		"activated", "updatedAt",
		"isVisibleDobYear", "isVisibleDobMonth", "isVisibleDobDay",
	};
	static const struct { const char *part, *flag; } dob[] = {
		{ "dobYear", "isVisibleDobYear" }, { "dobMonth", "isVisibleDobMonth" },
		{ "dobDay", "isVisibleDobDay" },
	};
	json_object *o = json_object_new_object(), *v;
	size_t i;

	for (i = 0; i < sizeof always / sizeof always[0]; i++)
		if (json_object_object_get_ex(u, always[i], &v))
			json_object_object_add(o, always[i], json_object_get(v));
	for (i = 0; self && i < sizeof own / sizeof own[0]; i++)
		if (json_object_object_get_ex(u, own[i], &v))
			json_object_object_add(o, own[i], json_object_get(v));
	for (i = 0; i < sizeof dob / sizeof dob[0]; i++) {
		json_object *flag = NULL;

		if (!json_object_object_get_ex(u, dob[i].part, &v))
			continue;
		json_object_object_get_ex(u, dob[i].flag, &flag);
		if (self || json_object_get_boolean(flag))
			json_object_object_add(o, dob[i].part, json_object_get(v));
	}
	return o;
}

/* ------------------------------------------------------------------------------------------ */
/* Lookups */

struct lookup {
	const char *table, *column, *cache_prefix;
};
static const struct lookup BY_USERNAME = { "tb_username_lookup", "username_key", "uname" };
static const struct lookup BY_EMAIL = { "tb_email_lookup", "email_key", "email" };

struct lookup_arg {
	struct app_env      *env;
	const struct lookup *lk;
	const char          *key;   /* lowercased */
};

static unsigned
lookup_shard(struct app_env *env, const char *key)
{
	return shard_for_key(db_shards(env->db), key, strlen(key));
}

static int
load_lookup(void *arg, struct buf *out)
{
	struct lookup_arg *a = arg;
	struct db_rows r = DB_ROWS_INIT;
	struct buf sql = BUF_INIT;
	int rc;

	buf_printf(&sql, "SELECT user_id FROM {db}.%s WHERE %s = ?", a->lk->table, a->lk->column);
	rc = db_exec(a->env->db, lookup_shard(a->env, a->key), buf_cstr(&sql),
	    DB_PARAMS(DB_STR(a->key)), &r);
	if (rc == 0 && r.nrows > 0) {
		buf_puts(out, db_str(&r, 0, 0));
		rc = 1;
	}
	db_rows_free(&r);
	buf_free(&sql);
	return rc < 0 ? -1 : rc;
}

static int
lookup_id(struct app_env *env, const struct lookup *lk, const char *name, uint64_t *id)
{
	struct buf key = BUF_INIT, ckey = BUF_INIT, val = BUF_INIT;
	struct lookup_arg a = { env, lk, NULL };
	int rc;

	*id = 0;
	valid_lower_ascii(name, strlen(name), &key);
	a.key = buf_cstr(&key);
	if (key.len == 0 || key.len > 255) {
		rc = 0;
		goto out;
	}
	buf_printf(&ckey, "%s:%s", lk->cache_prefix, a.key);
	rc = cache_get_or_load(env->cache, buf_cstr(&ckey), USER_TTL, load_lookup, &a, &val);
	if (rc == 1) {
		*id = strtoull(buf_cstr(&val), NULL, 10);
		rc = *id != 0;
	}
out:
	buf_free(&key);
	buf_free(&ckey);
	buf_free(&val);
	return rc;
}

int
user_id_by_username(struct app_env *env, const char *username, uint64_t *id)
{
	return lookup_id(env, &BY_USERNAME, username, id);
}

int
user_id_by_email(struct app_env *env, const char *email, uint64_t *id)
{
	return lookup_id(env, &BY_EMAIL, email, id);
}

/* Whether user id has a row (for orphaned lookup rows). */
static int
user_exists(struct app_env *env, uint64_t id)
{
	struct db_rows r = DB_ROWS_INIT;
	int rc = db_exec(env->db, user_shard(id), "SELECT 1 FROM {db}.tb_user WHERE id = ?",
	    DB_PARAMS(DB_U64(id)), &r);

	if (rc == 0)
		rc = r.nrows > 0;
	db_rows_free(&r);
	return rc;
}

/* Claims key (lowercased) for id in lk. Returns 1 claimed, 0 taken, -1. A row left by a sign-up
 * that died before writing its user is taken over once ORPHAN_GRACE has passed. */
static int
claim(struct app_env *env, const struct lookup *lk, const char *key, uint64_t id)
{
	struct buf sql = BUF_INIT;
	struct db_rows r = DB_ROWS_INIT;
	unsigned shard = lookup_shard(env, key);
	int64_t now = clock_now_s();
	uint64_t owner;
	int rc;

	buf_printf(&sql, "INSERT INTO {db}.%s (%s, user_id, created_at) VALUES (?, ?, ?)",
	    lk->table, lk->column);
	rc = db_exec(env->db, shard, buf_cstr(&sql),
	    DB_PARAMS(DB_STR(key), DB_U64(id), DB_I64(now)), NULL);
	if (rc != DB_DUPLICATE) {
		rc = rc == 0 ? 1 : -1;
		goto out;
	}
	buf_reset(&sql);
	buf_printf(&sql, "SELECT user_id, created_at FROM {db}.%s WHERE %s = ?", lk->table,
	    lk->column);
	rc = db_exec(env->db, shard, buf_cstr(&sql), DB_PARAMS(DB_STR(key)), &r);
	if (rc != 0 || r.nrows == 0) {
		rc = rc != 0 ? -1 : 0;
		goto out;
	}
	owner = db_u64(&r, 0, 0);
	if (db_i64(&r, 0, 1) > now - ORPHAN_GRACE || (rc = user_exists(env, owner)) != 0) {
		rc = rc < 0 ? -1 : 0;
		goto out;
	}
	buf_reset(&sql);
	buf_printf(&sql, "UPDATE {db}.%s SET user_id = ?, created_at = ? WHERE %s = ? AND user_id = ?",
	    lk->table, lk->column);
	rc = db_exec(env->db, shard, buf_cstr(&sql),
	    DB_PARAMS(DB_U64(id), DB_I64(now), DB_STR(key), DB_U64(owner)), &r);
	if (rc == 0 && r.affected == 1)
		log_warn("%s: took over a lookup row of user %" PRIu64 ", who was never created",
		    lk->table, owner);
	rc = rc != 0 ? -1 : (int)(r.affected == 1);
out:
	db_rows_free(&r);
	buf_free(&sql);
	return rc;
}

static void
unclaim(struct app_env *env, const struct lookup *lk, const char *key, uint64_t id)
{
	struct buf sql = BUF_INIT;

	buf_printf(&sql, "DELETE FROM {db}.%s WHERE %s = ? AND user_id = ?", lk->table, lk->column);
	if (db_exec(env->db, lookup_shard(env, key), buf_cstr(&sql),
	    DB_PARAMS(DB_STR(key), DB_U64(id)), NULL) != 0)
		log_error("%s: could not release the claim of user %" PRIu64 " (left for the reaper)",
		    lk->table, id);
	buf_free(&sql);
}

struct reserved_arg {
	struct app_env *env;
	const char     *key;
};

static int
load_reserved(void *arg, struct buf *out)
{
	struct reserved_arg *a = arg;
	struct db_rows r = DB_ROWS_INIT;
	int rc = db_exec(a->env->db, 0,
	    "SELECT 1 FROM {db}.tb_reserved_username WHERE reserved_username = ?",
	    DB_PARAMS(DB_STR(a->key)), &r);

	if (rc == 0 && r.nrows > 0) {
		buf_putc(out, '1');
		rc = 1;
	}
	db_rows_free(&r);
	return rc < 0 ? -1 : rc;
}

static int
is_reserved(struct app_env *env, const char *key)
{
	struct reserved_arg a = { env, key };
	struct buf ckey = BUF_INIT, val = BUF_INIT;
	int rc;

	buf_printf(&ckey, "reserved:%s", key);
	rc = cache_get_or_load(env->cache, buf_cstr(&ckey), USER_TTL, load_reserved, &a, &val);
	buf_free(&ckey);
	buf_free(&val);
	return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Sign-up */

struct create_arg {
	const struct user_new *n;
	uint64_t               id;
	int64_t                now;
};

static int
create_rows(struct db *db, void *arg)
{
	struct create_arg *a = arg;
	unsigned shard = user_shard(a->id);

	if (db_exec(db, shard, "INSERT INTO {db}.tb_user (id, username, email, password_hash, "
	    "language, activate_code_hash, activate_expires_at, created_at, updated_at) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
	    DB_PARAMS(DB_U64(a->id), DB_STR(a->n->username), DB_STR(a->n->email),
		DB_STR(a->n->password_hash), DB_STR(a->n->language), DB_STR(a->n->activate_hash),
		DB_I64(a->n->activate_expires_at), DB_I64(a->now), DB_I64(a->now)), NULL) != 0)
		return -1;
	return db_exec(db, shard, "INSERT INTO {db}.tb_user_extended (user_id, created_at, "
	    "updated_at) VALUES (?, ?, ?)",
	    DB_PARAMS(DB_U64(a->id), DB_I64(a->now), DB_I64(a->now)), NULL) == 0 ? 0 : -1;
}

int
user_create(struct app_env *env, const struct user_new *n, uint64_t *id)
{
	struct buf uname = BUF_INIT, email = BUF_INIT;
	struct create_arg a = { n, 0, clock_now_s() };
	uint32_t r;
	int rc;

	valid_lower_ascii(n->username, strlen(n->username), &uname);
	valid_lower_ascii(n->email, strlen(n->email), &email);
	rc = is_reserved(env, buf_cstr(&uname));
	if (rc != 0) {
		rc = rc < 0 ? -1 : USER_RESERVED;
		goto out;
	}
	/* A random shard: users spread evenly, and nothing about a user predicts where. */
	if (RAND_bytes((unsigned char *)&r, sizeof r) != 1) {
		rc = -1;
		goto out;
	}
	if (idlease_next_id(env->ids, r % shard_count(db_shards(env->db)), &a.id) != 0) {
		rc = -1;
		goto out;
	}
	rc = claim(env, &BY_USERNAME, buf_cstr(&uname), a.id);
	if (rc != 1) {
		rc = rc < 0 ? -1 : USER_NAME_TAKEN;
		goto out;
	}
	rc = claim(env, &BY_EMAIL, buf_cstr(&email), a.id);
	if (rc != 1) {
		unclaim(env, &BY_USERNAME, buf_cstr(&uname), a.id);
		rc = rc < 0 ? -1 : USER_EMAIL_TAKEN;
		goto out;
	}
	if (db_tx(env->db, user_shard(a.id), create_rows, &a) != 0) {
		unclaim(env, &BY_EMAIL, buf_cstr(&email), a.id);
		unclaim(env, &BY_USERNAME, buf_cstr(&uname), a.id);
		rc = -1;
		goto out;
	}
	/* "Not found" may be cached for either name from before. */
	forget(env, "uname", buf_cstr(&uname));
	forget(env, "email", buf_cstr(&email));
	*id = a.id;
	rc = 1;
out:
	buf_free(&uname);
	buf_free(&email);
	return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Updates: the database, then the cached copy goes. */

/* Runs an UPDATE of the user's row and forgets the cached profile. Returns 1 (a row changed), 0
 * (none did) or -1. */
static int
update_user(struct app_env *env, uint64_t id, const char *sql, const struct db_val *p, size_t n)
{
	struct db_rows r = DB_ROWS_INIT;
	int rc = db_exec(env->db, user_shard(id), sql, p, n, &r);

	if (rc == 0) {
		rc = r.affected > 0;
		forget_user(env, id);
	} else {
		rc = -1;
	}
	db_rows_free(&r);
	return rc;
}

int
user_password_hash(struct app_env *env, uint64_t id, struct buf *hash, int64_t *gen)
{
	struct db_rows r = DB_ROWS_INIT;
	int rc = db_exec(env->db, user_shard(id), "SELECT password_hash, credential_gen FROM "
	    "{db}.tb_user WHERE id = ?", DB_PARAMS(DB_U64(id)), &r);

	if (rc == 0 && r.nrows > 0) {
		buf_puts(hash, db_str(&r, 0, 0));
		*gen = db_i64(&r, 0, 1);
		rc = 1;
	}
	db_rows_free(&r);
	return rc < 0 ? -1 : rc;
}

int
user_set_password(struct app_env *env, uint64_t id, const char *hash, int64_t gen)
{
	/* One statement changes the hash and moves the generation on (from the one the caller
	 * read, unless USER_ANY_GEN): a login that checked the old hash and signs its token
	 * meanwhile signs the old generation, which every request then refuses (lib/social/auth.c),
	 * whatever the clocks say. */
	if (gen == USER_ANY_GEN)
		return update_user(env, id, "UPDATE {db}.tb_user SET password_hash = ?, "
		    "credential_gen = credential_gen + 1, updated_at = ? WHERE id = ?",
		    DB_PARAMS(DB_STR(hash), DB_I64(clock_now_s()), DB_U64(id)));
	return update_user(env, id, "UPDATE {db}.tb_user SET password_hash = ?, "
	    "credential_gen = credential_gen + 1, updated_at = ? WHERE id = ? AND credential_gen = ?",
	    DB_PARAMS(DB_STR(hash), DB_I64(clock_now_s()), DB_U64(id), DB_I64(gen)));
}

int
user_rehash_password(struct app_env *env, uint64_t id, const char *hash, int64_t gen)
{
	/* Only while the generation is the one whose hash was checked: a password changed
	 * meanwhile is never overwritten by a hash of the old one. */
	return update_user(env, id, "UPDATE {db}.tb_user SET password_hash = ?, updated_at = ? "
	    "WHERE id = ? AND credential_gen = ?",
	    DB_PARAMS(DB_STR(hash), DB_I64(clock_now_s()), DB_U64(id), DB_I64(gen)));
}

int
user_revoke_tokens(struct app_env *env, uint64_t id)
{
	int64_t now = clock_now_s();

	return update_user(env, id, "UPDATE {db}.tb_user SET tokens_valid_after = ?, updated_at = ? "
	    "WHERE id = ?", DB_PARAMS(DB_I64(now), DB_I64(now), DB_U64(id)));
}

int
user_suspend(struct app_env *env, uint64_t id, int64_t until, const char *reason)
{
	int64_t now = clock_now_s();

	/* tokens_valid_after moves on in the same statement: every session ends now, and stays
	 * ended when the suspension is lifted (the user logs in again). */
	return update_user(env, id, "UPDATE {db}.tb_user SET suspended = 1, suspended_until = ?, "
	    "suspension_reason = ?, tokens_valid_after = ?, updated_at = ? WHERE id = ?",
	    DB_PARAMS(DB_I64(until), DB_STR(reason), DB_I64(now), DB_I64(now), DB_U64(id)));
}

int
user_unsuspend(struct app_env *env, uint64_t id)
{
	return update_user(env, id, "UPDATE {db}.tb_user SET suspended = 0, suspended_until = 0, "
	    "suspension_reason = '', updated_at = ? WHERE id = ? AND suspended = 1",
	    DB_PARAMS(DB_I64(clock_now_s()), DB_U64(id)));
}

bool
user_suspended(json_object *u, int64_t now)
{
	json_object *v;
	int64_t until;

	if (!json_object_object_get_ex(u, "suspended", &v) || !json_object_get_boolean(v))
		return false;
	/* A profile cached by a build before 018 has no end: until lifted. */
	until = json_object_object_get_ex(u, "suspendedUntil", &v) ? json_object_get_int64(v) : 0;
	return until == 0 || now < until;
}

int
user_activation(struct app_env *env, uint64_t id, struct buf *code_hash, int64_t *expires_at,
    bool *activated)
{
	struct db_rows r = DB_ROWS_INIT;
	int rc = db_exec(env->db, user_shard(id), "SELECT activate_code_hash, activate_expires_at, "
	    "is_activated FROM {db}.tb_user WHERE id = ?", DB_PARAMS(DB_U64(id)), &r);

	if (rc == 0 && r.nrows > 0) {
		buf_puts(code_hash, db_str(&r, 0, 0));
		*expires_at = db_i64(&r, 0, 1);
		*activated = db_i64(&r, 0, 2) != 0;
		rc = 1;
	}
	db_rows_free(&r);
	return rc < 0 ? -1 : rc;
}

int
user_activate(struct app_env *env, uint64_t id)
{
	return update_user(env, id, "UPDATE {db}.tb_user SET is_activated = 1, "
	    "activate_code_hash = '', updated_at = ? WHERE id = ? AND is_activated = 0",
	    DB_PARAMS(DB_I64(clock_now_s()), DB_U64(id)));
}

int
user_set_activation(struct app_env *env, uint64_t id, const char *code_hash, int64_t expires_at)
{
	return update_user(env, id, "UPDATE {db}.tb_user SET activate_code_hash = ?, "
	    "activate_expires_at = ?, updated_at = ? WHERE id = ? AND is_activated = 0",
	    DB_PARAMS(DB_STR(code_hash), DB_I64(expires_at), DB_I64(clock_now_s()), DB_U64(id)));
}

int
user_set_language(struct app_env *env, uint64_t id, const char *lang)
{
	return update_user(env, id, "UPDATE {db}.tb_user SET language = ?, updated_at = ? "
	    "WHERE id = ?", DB_PARAMS(DB_STR(lang), DB_I64(clock_now_s()), DB_U64(id)));
}

int
user_set_time_zone(struct app_env *env, uint64_t id, const char *zone)
{
	return update_user(env, id, "UPDATE {db}.tb_user SET time_zone = ?, updated_at = ? "
	    "WHERE id = ?", DB_PARAMS(DB_STR(zone), DB_I64(clock_now_s()), DB_U64(id)));
}

int
user_save_info(struct app_env *env, uint64_t id, const struct user_info *in)
{
	return update_user(env, id, "UPDATE {db}.tb_user SET display_name = ?, banner_url = ?, "
	    "avatar_url = ?, location = ?, website = ?, description = ?, dob_year = ?, "
	    "dob_month = ?, dob_day = ?, is_visible_dob_year = ?, is_visible_dob_month = ?, "
	    "is_visible_dob_day = ?, updated_at = ? WHERE id = ?",
	    DB_PARAMS(DB_STR(in->display_name), DB_STR(in->banner_url),
		DB_STR(in->avatar_url), DB_STR(in->location), DB_STR(in->website),
		DB_STR(in->description), DB_I64(in->dob_year), DB_I64(in->dob_month),
		DB_I64(in->dob_day), DB_I64(in->visible_year), DB_I64(in->visible_month),
		DB_I64(in->visible_day), DB_I64(clock_now_s()), DB_U64(id)));
}

/* ------------------------------------------------------------------------------------------ */
/* Reset codes */

int
user_reset_create(struct app_env *env, uint64_t user_id, const char *email, const char *code_hash,
    int64_t expires_at)
{
	uint64_t rid;
	int64_t now = clock_now_s();

	if (idlease_next_id(env->ids, user_shard(user_id), &rid) != 0)
		return -1;
	return db_exec(env->db, user_shard(user_id), "INSERT INTO {db}.tb_user_reset (id, user_id, "
	    "email, reset_code_hash, expires_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
	    DB_PARAMS(DB_U64(rid), DB_U64(user_id), DB_STR(email), DB_STR(code_hash),
		DB_I64(expires_at), DB_I64(now), DB_I64(now)), NULL) == 0 ? 1 : -1;
}

int
user_reset_latest(struct app_env *env, uint64_t user_id, struct user_reset *out)
{
	struct db_rows r = DB_ROWS_INIT;
	int rc = db_exec(env->db, user_shard(user_id), "SELECT id, reset_code_hash, attempts, "
	    "expires_at, used_at FROM {db}.tb_user_reset WHERE user_id = ? ORDER BY id DESC LIMIT 1",
	    DB_PARAMS(DB_U64(user_id)), &r);

	memset(out, 0, sizeof *out);
	if (rc == 0 && r.nrows > 0) {
		out->id = db_u64(&r, 0, 0);
		snprintf(out->code_hash, sizeof out->code_hash, "%s", db_str(&r, 0, 1));
		out->attempts = (int)db_i64(&r, 0, 2);
		out->expires_at = db_i64(&r, 0, 3);
		out->used_at = db_i64(&r, 0, 4);
		rc = 1;
	}
	db_rows_free(&r);
	return rc < 0 ? -1 : rc;
}

int
user_reset_failed(struct app_env *env, uint64_t user_id, uint64_t reset_id)
{
	return db_exec(env->db, user_shard(user_id), "UPDATE {db}.tb_user_reset SET attempts = "
	    "attempts + 1, updated_at = ? WHERE id = ? AND attempts < 255",
	    DB_PARAMS(DB_I64(clock_now_s()), DB_U64(reset_id)), NULL) == 0 ? 1 : -1;
}

int
user_reset_use(struct app_env *env, uint64_t user_id, uint64_t reset_id)
{
	struct db_rows r = DB_ROWS_INIT;
	int64_t now = clock_now_s();
	int rc = db_exec(env->db, user_shard(user_id), "UPDATE {db}.tb_user_reset SET used_at = ?, "
	    "updated_at = ? WHERE id = ? AND used_at = 0",
	    DB_PARAMS(DB_I64(now), DB_I64(now), DB_U64(reset_id)), &r);

	if (rc == 0)
		rc = r.affected == 1;
	else
		rc = -1;
	db_rows_free(&r);
	return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* The counters and the pin */

static const char *const count_column[] = {
	[USER_COUNT_FOLLOWERS]  = "count_followers",
	[USER_COUNT_FOLLOWINGS] = "count_followings",
	[USER_COUNT_POSTS]      = "count_posts",
	[USER_COUNT_LIKES]      = "count_likes",
};

int
user_count_move(struct db *db, uint64_t user, enum user_count c, int delta)
{
	struct buf sql = BUF_INIT;
	int rc;

	if (delta > 0)
		buf_printf(&sql, "UPDATE {db}.tb_user_extended SET %s = %s + 1, updated_at = ? "
		    "WHERE user_id = ?", count_column[c], count_column[c]);
	else
		buf_printf(&sql, "UPDATE {db}.tb_user_extended SET %s = %s - 1, updated_at = ? "
		    "WHERE user_id = ? AND %s > 0", count_column[c], count_column[c], count_column[c]);
	rc = db_exec(db, user_shard(user), buf_cstr(&sql),
	    DB_PARAMS(DB_I64(clock_now_s()), DB_U64(user)), NULL);
	buf_free(&sql);
	return rc == 0 ? 0 : -1;
}

int
user_pin(struct db *db, uint64_t user, uint64_t post)
{
	return db_exec(db, user_shard(user), "UPDATE {db}.tb_user_extended SET pinned_post_id = ?, "
	    "updated_at = ? WHERE user_id = ?",
	    DB_PARAMS(DB_U64(post), DB_I64(clock_now_s()), DB_U64(user)), NULL) == 0 ? 0 : -1;
}

int
user_unpin_if(struct db *db, uint64_t user, uint64_t post)
{
	return db_exec(db, user_shard(user), "UPDATE {db}.tb_user_extended SET pinned_post_id = 0, "
	    "updated_at = ? WHERE user_id = ? AND pinned_post_id = ?",
	    DB_PARAMS(DB_I64(clock_now_s()), DB_U64(user), DB_U64(post)), NULL) == 0 ? 0 : -1;
}

void
user_counts_forget(struct app_env *env, uint64_t user)
{
	char key[COUNTS_KEY_SIZE];

	if (env->cache != NULL)
		(void)cache_delete(env->cache, counts_key(key, user));
}

void
user_note_login(struct app_env *env, uint64_t user)
{
	(void)db_exec(env->db, user_shard(user), "UPDATE {db}.tb_user_extended SET last_login = ? "
	    "WHERE user_id = ?", DB_PARAMS(DB_I64(clock_now_s()), DB_U64(user)), NULL);
}

size_t
user_with_followers(struct app_env *env, const uint64_t *users, size_t n, int64_t min,
    uint64_t **out, size_t *nout)
{
	struct db_batch b = DB_BATCH_INIT;
	const struct db_rows *r;
	size_t i, k, failed = 0;

	db_batch_add_in(env->db, &b, users, n, "SELECT user_id FROM {db}.tb_user_extended WHERE "
	    "user_id IN (", ") AND count_followers >= ?", DB_PARAMS(DB_I64(min)));
	db_batch_run(env->db, &b);
	for (i = 0; i < b.n; i++) {
		if (b.q[i].rc != 0) {
			failed++;
			continue;
		}
		r = b.q[i].out;
		*out = xrealloc(*out, (*nout + r->nrows + 1) * sizeof **out);
		for (k = 0; k < r->nrows; k++)
			(*out)[(*nout)++] = db_u64(r, k, 0);
	}
	db_batch_free(&b);
	return failed;
}

long
user_repair_follow_counts(struct app_env *env, unsigned shard,
    void (*each)(uint64_t user, void *arg), void *arg)
{
	static const char *const counted =
	    "(SELECT COUNT(*) FROM {db}.tb_user_relationship_reversed r WHERE r.user_id = e.user_id)";
	static const char *const counting =
	    "(SELECT COUNT(*) FROM {db}.tb_user_relationship f WHERE f.user_id = e.user_id AND "
	    "f.status_follow = 1)";
	struct db_rows r = DB_ROWS_INIT;
	struct buf sql = BUF_INIT;
	long fixed = 0;
	uint64_t user;
	size_t i;
	int rc;

	buf_printf(&sql, "SELECT e.user_id FROM {db}.tb_user_extended e WHERE count_followers <> %s "
	    "OR count_followings <> %s", counted, counting);
	rc = db_exec(env->db, shard, buf_cstr(&sql), NULL, 0, &r);
	for (i = 0; i < r.nrows && rc == 0; i++) {
		user = db_u64(&r, i, 0);
		buf_reset(&sql);
		buf_printf(&sql, "UPDATE {db}.tb_user_extended e SET count_followers = %s, "
		    "count_followings = %s WHERE e.user_id = ?", counted, counting);
		rc = db_exec(env->db, shard, buf_cstr(&sql), DB_PARAMS(DB_U64(user)), NULL);
		if (rc == 0) {
			user_counts_forget(env, user);
			if (each != NULL)
				each(user, arg);
			fixed++;
		}
	}
	db_rows_free(&r);
	buf_free(&sql);
	return rc == 0 ? fixed : -1;
}
