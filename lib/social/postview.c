/* postview.c: the read side of the post module: a record's cached content (post_get), a post as
 * its viewer sees it (post_view, post_view_many: one body for both), counts, replies; what the
 * write side (post.c) and the read models (timeline, notify, search) share. postview.h has the
 * contract. It calls only read sides below it (graphread, user), never a write or a fan-out. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apierr.h"
#include "cache.h"
#include "clock.h"
#include "ctx.h"
#include "db.h"
#include "graphread.h"
#include "id.h"
#include "jsonx.h"
#include "log.h"
#include "media.h"
#include "postview.h"
#include "route.h"
#include "shard.h"
#include "text.h"
#include "user.h"
#include "xalloc.h"

/* How long copies live in the cache; writes delete them, so this only bounds memory. */
#define POST_TTL 3600
/* Counts filled by a multi-get (post_stats) are plain sets, not lease-guarded like
 * cache_get_or_load: a write that lands between our read and our set leaves an old count behind
 * for at most this long. */
#define POST_STATS_TTL 60

/* The two keys of a record: "post:<id>" (its object, post_get) and "postx:<id>" (its counts,
 * post_stats). Only this file builds them; writers drop them with post_forget and
 * post_counts_forget. */
#define POST_KEY_SIZE 48
static char *
record_key(char out[POST_KEY_SIZE], uint64_t id)
{
	snprintf(out, POST_KEY_SIZE, "post:%" PRIu64, id);
	return out;
}

static char *
counts_key(char out[POST_KEY_SIZE], uint64_t id)
{
	snprintf(out, POST_KEY_SIZE, "postx:%" PRIu64, id);
	return out;
}

void
post_forget(struct app_env *env, uint64_t id)
{
	char key[POST_KEY_SIZE];

	if (env->cache != NULL)
		(void)cache_delete(env->cache, record_key(key, id));
}

void
post_counts_forget(struct app_env *env, uint64_t id)
{
	char key[POST_KEY_SIZE];

	if (env->cache != NULL)
		(void)cache_delete(env->cache, counts_key(key, id));
}

enum post_type
post_jtype(json_object *o)
{
	const char *t = jsonx_str(o, "type");

	if (strcmp(t, "repost") == 0)
		return POST_REPOST;
	if (strcmp(t, "quote") == 0)
		return POST_QUOTE;
	if (strcmp(t, "reply") == 0)
		return POST_REPLY;
	return POST_ORIGINAL;
}

enum apierr
post_not_found(struct ctx *ctx)
{
	return ctx_fail(ctx, APIERR_NOT_FOUND, "no such post");
}

/* ------------------------------------------------------------------------------------------ */
/* Reading a record: a post (tb_post) or a reply (tb_post_reply), both on id_shard(id). */

/* One query for both tables: a record ID is unique across them. */
int
post_row(struct app_env *env, uint64_t id, struct db_rows *r)
{
	if (!db_id_has_shard(env->db, id)) {
		db_rows_free(r);
		return 0;
	}
	return db_exec(env->db, id_shard(id),
	    "SELECT user_id, post_type, original_id, 0, reply_settings, is_deleted, hashtags, "
	    "created_at, content_text, image_url, video_url, original_type, media_json, "
	    "content_warning, is_sensitive FROM {db}.tb_post WHERE id = ? "
	    "UNION ALL SELECT user_id, 3, parent_reply_id, post_id, 0, is_deleted, hashtags, created_at, "
	    "content_text, image_url, video_url, 0, media_json, content_warning, is_sensitive "
	    "FROM {db}.tb_post_reply WHERE id = ?",
	    DB_PARAMS(DB_U64(id), DB_U64(id)), r);
}

int
post_push_facts(struct app_env *env, uint64_t post, uint64_t *author, int64_t *followers)
{
	struct db_rows r = DB_ROWS_INIT;
	int rc = 0;

	*author = 0;
	*followers = 0;
	if (!db_id_has_shard(env->db, post))
		return 0;
	if (db_exec(env->db, id_shard(post), "SELECT p.user_id, COALESCE(x.count_followers, 0) "
	    "FROM {db}.tb_post p LEFT JOIN {db}.tb_user_extended x ON x.user_id = p.user_id "
	    "WHERE p.id = ? AND p.is_deleted = 0", DB_PARAMS(DB_U64(post)), &r) != 0)
		rc = -1;
	else if (r.nrows > 0) {
		*author = db_u64(&r, 0, 0);
		*followers = db_i64(&r, 0, 1);
		rc = 1;
	}
	db_rows_free(&r);
	return rc;
}

static json_object *
words_array(const char *list)
{
	json_object *a = json_object_new_array();

	while (*list) {
		size_t w = strcspn(list, " ");

		if (w > 0)
			json_object_array_add(a, json_object_new_string_len(list, (int)w));
		list += w;
		list += strspn(list, " ");
	}
	return a;
}

struct load_arg {
	struct app_env *env;
	uint64_t        id;
};

/* The author of a reposted or quoted record, kept in the repost's or quote's object so that a
 * page fetches the original and its author in the same round (0 when it is gone: a reader
 * then finds the original gone too). An author never changes, so the copy never goes stale. */
static uint64_t
original_author(struct app_env *env, uint64_t original)
{
	json_object *o = NULL;
	uint64_t author = post_get(env, original, &o) == 1 ? jsonx_id(o, "authorId") : 0;

	json_object_put(o);
	return author;
}

/* The content object of a live record (post.h), as the cache keeps it. */
static int
load_post(void *arg, struct buf *out)
{
	static const char *const types[] = { "post", "repost", "quote", "reply" };
	static const char *const settings[] = { "everyone", "mentioned", "followers" };
	struct load_arg *a = arg;
	struct db_rows r = DB_ROWS_INIT;
	struct text_post t = { 0 };
	json_object *o, *mentions;
	uint64_t original, root;
	int64_t type, set;
	size_t i;

	if (post_row(a->env, a->id, &r) != 0) {
		db_rows_free(&r);
		return -1;
	}
	if (r.nrows == 0 || db_i64(&r, 0, POST_R_DELETED) != 0) {
		db_rows_free(&r);
		return 0;
	}
	type = db_i64(&r, 0, POST_R_TYPE);
	set = db_i64(&r, 0, POST_R_SETTINGS);
	if (type < 0 || type > 3)
		type = 0;
	if (set < 0 || set > 2)
		set = 0;
	original = db_u64(&r, 0, POST_R_ORIGINAL);
	root = a->id;
	if (type == POST_REPLY) {
		root = db_u64(&r, 0, POST_R_ROOT);
		if (original == 0)
			original = root;
	}
	/* Mentions are not stored: the stored text is normalized already, so preparing it again
	 * finds exactly the mentions it was posted with. */
	mentions = json_object_new_array();
	if (text_prepare(db_str(&r, 0, POST_R_TEXT), db_len(&r, 0, POST_R_TEXT), (size_t)-1,
	    &t) == TEXT_OK)
		for (i = 0; i < t.nmentions; i++)
			json_object_array_add(mentions, json_object_new_string(t.mentions[i]));
	text_post_free(&t);

	o = json_object_new_object();
	json_object_object_add(o, "id", jsonx_id_new(a->id));
	json_object_object_add(o, "type", json_object_new_string(types[type]));
	json_object_object_add(o, "authorId", jsonx_id_new(db_u64(&r, 0, POST_R_USER)));
	json_object_object_add(o, "contentText", json_object_new_string(db_str(&r, 0, POST_R_TEXT)));
	json_object_object_add(o, "imageUrl", json_object_new_string(db_str(&r, 0, POST_R_IMAGE)));
	json_object_object_add(o, "videoUrl", json_object_new_string(db_str(&r, 0, POST_R_VIDEO)));
	json_object_object_add(o, "media", post_row_media(&r, 0));
	json_object_object_add(o, "contentWarning",
	    json_object_new_string(db_str(&r, 0, POST_R_WARNING)));
	json_object_object_add(o, "sensitive",
	    json_object_new_boolean(db_i64(&r, 0, POST_R_SENSITIVE) != 0));
	json_object_object_add(o, "hashtags", words_array(db_str(&r, 0, POST_R_HASHTAGS)));
	json_object_object_add(o, "mentions", mentions);
	json_object_object_add(o, "originalId", jsonx_id_new(original));
	if (type == POST_REPOST || type == POST_QUOTE)
		json_object_object_add(o, "originalAuthorId",
		    jsonx_id_new(original_author(a->env, original)));
	json_object_object_add(o, "rootId", jsonx_id_new(root));
	json_object_object_add(o, "replySettings", json_object_new_string(settings[set]));
	json_object_object_add(o, "createdAt", json_object_new_int64(db_i64(&r, 0, POST_R_CREATED)));
	buf_puts(out, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	db_rows_free(&r);
	return 1;
}

/* A cached record's JSON as an object, or NULL when it is not one. A copy cached before
 * sql/019 (at most POST_TTL old) has no contentWarning and sensitive: they are added as the
 * record has them (none), so every answer carries both. */
static json_object *
record_parse(const char *s)
{
	json_object *o = json_tokener_parse(s);

	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return NULL;
	}
	if (!json_object_object_get_ex(o, "contentWarning", NULL))
		json_object_object_add(o, "contentWarning", json_object_new_string(""));
	if (!json_object_object_get_ex(o, "sensitive", NULL))
		json_object_object_add(o, "sensitive", json_object_new_boolean(false));
	return o;
}

int
post_get(struct app_env *env, uint64_t id, json_object **out)
{
	struct load_arg a = { env, id };
	struct buf val = BUF_INIT;
	char key[48];
	int rc;

	*out = NULL;
	if (!db_id_has_shard(env->db, id))
		return 0;
	record_key(key, id);
	rc = cache_get_or_load(env->cache, key, POST_TTL, load_post, &a, &val);
	if (rc == 1) {
		*out = record_parse(buf_cstr(&val));
		if (*out == NULL) {
			/* Only this code writes the key; a copy that does not parse is dropped. */
			log_error("cache %s: not a JSON object; deleted", key);
			(void)cache_delete(env->cache, key);
			rc = -1;
		}
	}
	buf_free(&val);
	return rc;
}

int
post_resolve(struct app_env *env, uint64_t id, json_object **out)
{
	int rc = post_get(env, id, out);

	if (rc == 1 && post_jtype(*out) == POST_REPOST) {
		id = jsonx_id(*out, "originalId");
		json_object_put(*out);
		rc = post_get(env, id, out);
	}
	return rc;
}

enum apierr
post_live(struct ctx *ctx, uint64_t id, json_object **out)
{
	int rc = post_resolve(ctx->env, id, out);

	if (rc < 0)
		return ctx_fail(ctx, APIERR_UNAVAILABLE, NULL);
	if (rc == 0)
		return post_not_found(ctx);
	return APIERR_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Reading: the view, counts, replies */

/* What a post shows of its author; null when the account is gone. */
static int
author_of(struct app_env *env, uint64_t user, json_object **out)
{
	static const char *const fields[] = { "id", "username", "displayName", "avatarUrl",
	    "verified", NULL };

	return user_pick(env, user, fields, out) < 0 ? -1 : 0;
}

void
post_keys(struct cache_keys *ks, uint64_t id)
{
	if (id == 0)
		return;
	cache_keys_add(ks, "post:%" PRIu64, id);     /* record_key's */
	cache_keys_add(ks, "postx:%" PRIu64, id);    /* counts_key's */
}

/* Adds to ks the keys a view of the content object o reads after o itself (one prefetch, so
 * that they cost one round trip per node together): its counts, its author and the viewer's
 * relations to them; for a repost or quote, the original with its counts, its author (the
 * object names them: originalAuthorId) and the viewer's relations to that author. */
static void
view_keys(struct ctx *ctx, json_object *o, struct cache_keys *ks)
{
	uint64_t author = jsonx_id(o, "authorId"), original_author = jsonx_id(o, "originalAuthorId");
	enum post_type t = post_jtype(o);

	post_keys(ks, jsonx_id(o, "id"));
	user_keys(ks, author);
	graph_keys(ks, ctx->user_id, author);
	if (t != POST_REPOST && t != POST_QUOTE)
		return;
	post_keys(ks, jsonx_id(o, "originalId"));
	user_keys(ks, original_author);
	graph_keys(ks, ctx->user_id, original_author);
}

/* What the viewer did to a record: the first column of each part of viewer_did's statement. */
enum { DID_LIKED, DID_REPOSTED, DID_BOOKMARKED, DID__MAX };

/* The parts of viewer_did's statement, each a list of the records the viewer did it to, all on
 * the viewer's shard; each is followed by the placeholders of the targets and ")". */
static const char *const did_sql[DID__MAX] = {
	[DID_LIKED] = "SELECT 0, record_id FROM {db}.tb_post_like WHERE liker_id = ? AND "
	    "record_id IN (",
	[DID_REPOSTED] = "SELECT 1, repost_of FROM {db}.tb_post WHERE user_id = ? AND "
	    "repost_of IN (",
	[DID_BOOKMARKED] = "SELECT 2, record_id FROM {db}.tb_bookmark WHERE user_id = ? AND "
	    "record_id IN (",
};

/* Parts first .. first + nparts - 1 of did_sql as one UNION ALL over m placeholders each, into
 * did (as viewer_did's). Returns 0 or -1. */
static int
viewer_did_parts(struct ctx *ctx, const uint64_t *targets, size_t n, size_t m, size_t first,
    size_t nparts, bool *did)
{
	struct db_val *p = xcalloc(nparts * (m + 1), sizeof *p);
	struct buf q = BUF_INIT, in = BUF_INIT;
	struct db_rows r = DB_ROWS_INIT;
	size_t i, j, k;
	int64_t kind;
	int rc;

	db_placeholders(&in, m);
	for (j = 0; j < nparts; j++) {
		if (j > 0)
			buf_puts(&q, " UNION ALL ");
		buf_printf(&q, "%s%s)", did_sql[first + j], buf_cstr(&in));
		p[j * (m + 1)] = DB_U64(ctx->user_id);
		for (i = 0; i < m; i++)
			p[j * (m + 1) + 1 + i] = DB_U64(targets[i < n ? i : n - 1]);
	}
	rc = db_exec(ctx->env->db, id_shard(ctx->user_id), buf_cstr(&q), p, nparts * (m + 1), &r);
	for (k = 0; rc == 0 && k < r.nrows; k++) {
		kind = db_i64(&r, k, 0);
		for (i = 0; kind >= 0 && kind < DID__MAX && i < n; i++)
			if (targets[i] == db_u64(&r, k, 1))
				did[i * DID__MAX + (size_t)kind] = true;
	}
	db_rows_free(&r);
	buf_free(&q);
	buf_free(&in);
	free(p);
	return rc == 0 ? 0 : -1;
}

/* What the viewer did to each of targets[] (n > 0, at most POST_STATS_MAX): did[i * DID__MAX +
 * DID_*]. As few statements on the viewer's shard as the parameters allow: one for a page of a
 * timeline (each list at its padded length, db_in_size), two for a hundred records. Returns 0 or
 * -1. */
static int
viewer_did(struct ctx *ctx, const uint64_t *targets, size_t n, bool *did)
{
	size_t m = DID__MAX * (db_in_size(n) + 1) <= DB_MAX_PARAMS ? db_in_size(n) : n;
	size_t per = DB_MAX_PARAMS / (m + 1), j;

	if (per == 0)
		return -1;   /* more targets than one statement takes: not a page's (n <= 100) */
	if (per > DID__MAX)
		per = DID__MAX;
	for (j = 0; j < n * DID__MAX; j++)
		did[j] = false;
	for (j = 0; j < DID__MAX; j += per)
		if (viewer_did_parts(ctx, targets, n, m, j, j + per > DID__MAX ? DID__MAX - j : per,
		    did) != 0)
			return -1;
	return 0;
}

/* Adds {liked, reposted, bookmarked, own} to the view o of a record: what the viewer did to it
 * (did: its DID__MAX flags). */
static void
add_viewer(struct ctx *ctx, json_object *o, const bool *did)
{
	json_object *viewer = json_object_new_object();

	json_object_object_add(viewer, "liked", json_object_new_boolean(did[DID_LIKED]));
	json_object_object_add(viewer, "reposted", json_object_new_boolean(did[DID_REPOSTED]));
	json_object_object_add(viewer, "bookmarked",
	    json_object_new_boolean(did[DID_BOOKMARKED]));
	json_object_object_add(viewer, "own", json_object_new_boolean(
	    jsonx_id(o, "authorId") == ctx->user_id));
	json_object_object_add(o, "viewer", viewer);
}

/* The single view is the batch view with one id (one body for the rules of what a viewer sees):
 * post_view_many answers NULL for a record that is gone or hidden from the viewer. */
enum apierr
post_view(struct ctx *ctx, uint64_t id, json_object **out)
{
	int rc = post_view_many(ctx, &id, 1, out, NULL);

	if (rc == APIERR_OK && *out == NULL)
		return post_not_found(ctx);
	return rc;
}

enum apierr
post_view_listed(struct ctx *ctx, uint64_t id, json_object **out)
{
	int rc = post_view(ctx, id, out);

	if (rc == APIERR_NOT_FOUND) {
		buf_reset(&ctx->message);
		*out = NULL;
		return APIERR_OK;
	}
	return rc;
}

static void
add_stats(json_object *out, uint64_t id, const unsigned long long v[4])
{
	static const char *const names[] = { "comments", "likes", "reposts", "quotes" };
	json_object *o = json_object_new_object();
	char key[24];
	size_t i;

	for (i = 0; i < 4; i++)
		json_object_object_add(o, names[i], json_object_new_int64((int64_t)v[i]));
	id_format(id, key);
	json_object_object_add(out, key, o);
}

/* Adds to b the query of one shard's misses: up to POST_STATS_MAX IDs, each twice (posts and
 * replies), with the placeholders written for the count. */
static void
stats_query(struct db_batch *b, unsigned shard, const uint64_t *ids, size_t n)
{
	struct buf sql = BUF_INIT, in = BUF_INIT;
	size_t m = 2 * db_in_size(n) <= DB_MAX_PARAMS ? db_in_size(n) : n;   /* as viewer_did */
	struct db_val *p = xcalloc(2 * m, sizeof *p);
	size_t i;

	db_placeholders(&in, m);
	for (i = 0; i < m; i++)
		p[i] = p[m + i] = DB_U64(ids[i < n ? i : n - 1]);
	buf_printf(&sql, "SELECT post_id, count_comments, count_likes, count_reposts, count_quote "
	    "FROM {db}.tb_post_extended WHERE post_id IN (%s) AND is_deleted = 0 UNION ALL "
	    "SELECT post_reply_id, count_comments, count_likes, count_reposts, count_quote "
	    "FROM {db}.tb_post_reply_extended WHERE post_reply_id IN (%s) AND is_deleted = 0",
	    buf_cstr(&in), buf_cstr(&in));
	db_batch_add(b, shard, buf_cstr(&sql), p, 2 * m);
	free(p);
	buf_free(&sql);
	buf_free(&in);
}

/* The counts a stats_query read: into out, and set back in the cache. */
static void
stats_apply(struct app_env *env, const struct db_rows *r, json_object *out)
{
	struct buf val = BUF_INIT;
	unsigned long long v[4];
	char key[48];
	size_t i, k;

	for (i = 0; i < r->nrows; i++) {
		for (k = 0; k < 4; k++)
			v[k] = db_u64(r, i, k + 1);
		add_stats(out, db_u64(r, i, 0), v);
		buf_reset(&val);
		buf_printf(&val, "%llu %llu %llu %llu", v[0], v[1], v[2], v[3]);
		counts_key(key, db_u64(r, i, 0));
		(void)cache_set(env->cache, key, val.data, val.len, POST_STATS_TTL);
	}
	buf_free(&val);
}

/* The ids of group (ng of them, all on one shard) as null in out: counts that could not be read,
 * so that a page shows none rather than zeros. */
static void
stats_unread(json_object *out, const uint64_t *group, size_t ng)
{
	char key[24];
	size_t i;

	for (i = 0; i < ng; i++) {
		id_format(group[i], key);
		json_object_object_add(out, key, NULL);
	}
}

enum apierr
post_stats(struct ctx *ctx, const uint64_t *ids, size_t n, json_object **out)
{
	return post_stats_some(ctx, ids, n, out, NULL);
}

enum apierr
post_stats_some(struct ctx *ctx, const uint64_t *ids, size_t n, json_object **out,
    bool *partial)
{
	char (*keys)[POST_KEY_SIZE] = NULL;
	const char **kp = NULL;
	struct buf *vals = NULL;
	bool *hit = NULL, *done = NULL;
	uint64_t *group = NULL;
	size_t *start = NULL, *count = NULL;
	struct db_batch b = DB_BATCH_INIT;
	unsigned long long v[4];
	size_t i, j, k, ng, off;
	int rc = APIERR_OK;

	*out = NULL;
	if (n > POST_STATS_MAX)
		return ctx_fail(ctx, APIERR_INVALID_PARAM, "post_ids: at most %d", POST_STATS_MAX);
	*out = json_object_new_object();
	if (n == 0)
		return APIERR_OK;
	keys = xcalloc(n, sizeof *keys);
	kp = xcalloc(n, sizeof *kp);
	vals = xcalloc(n, sizeof *vals);
	hit = xcalloc(n, sizeof *hit);
	done = xcalloc(n, sizeof *done);
	group = xcalloc(n, sizeof *group);
	start = xcalloc(n, sizeof *start);
	count = xcalloc(n, sizeof *count);
	for (i = 0; i < n; i++) {
		counts_key(keys[i], ids[i]);
		kp[i] = keys[i];
	}
	/* One round trip per memcached node; a failed cache is all misses. */
	if (cache_mget(ctx->env->cache, kp, n, vals, hit) < 0)
		memset(hit, 0, n * sizeof *hit);
	for (i = 0; i < n; i++) {
		if (hit[i] && sscanf(buf_cstr(&vals[i]), "%llu %llu %llu %llu", &v[0], &v[1], &v[2],
		    &v[3]) == 4) {
			add_stats(*out, ids[i], v);
			done[i] = true;
		}
	}
	/* The misses, one query per shard holding some, all in one round: group holds each
	 * query's IDs, from start[k], count[k] of them. */
	for (i = 0, off = 0; i < n; i++) {
		if (done[i])
			continue;
		for (ng = 0, j = i; j < n; j++) {
			if (!done[j] && id_shard(ids[j]) == id_shard(ids[i])) {
				group[off + ng++] = ids[j];
				done[j] = true;
			}
		}
		if (!db_id_has_shard(ctx->env->db, ids[i]))
			continue;
		start[b.n] = off;
		count[b.n] = ng;
		stats_query(&b, id_shard(ids[i]), group + off, ng);
		off += ng;
	}
	db_batch_run(ctx->env->db, &b);
	for (k = 0; k < b.n; k++) {
		if (b.q[k].rc == 0) {
			stats_apply(ctx->env, b.q[k].out, *out);
			continue;
		}
		if (partial == NULL) {
			rc = ctx_fail(ctx, APIERR_UNAVAILABLE, NULL);
			break;
		}
		/* A shard that does not answer: its records' counts are left out of a page that
		 * gathers from many, which the others' still fill. */
		stats_unread(*out, group + start[k], count[k]);
		*partial = true;
	}
	if (rc != APIERR_OK) {
		json_object_put(*out);
		*out = NULL;
	}
	for (i = 0; i < n; i++)
		buf_free(&vals[i]);
	free(keys);
	free(kp);
	free(vals);
	free(hit);
	free(done);
	free(group);
	free(start);
	free(count);
	db_batch_free(&b);
	return rc;
}

enum apierr
post_replies(struct ctx *ctx, uint64_t id, uint64_t cursor, json_object **out)
{
	struct db_rows r = DB_ROWS_INIT;
	json_object *rec = NULL, *root = NULL, *list, *views[POST_REPLIES_PAGE];
	uint64_t ids[POST_REPLIES_PAGE] = { 0 };
	char next[24];
	size_t i, k;
	int rc;

	*out = NULL;
	if ((rc = post_live(ctx, id, &rec)) != APIERR_OK)
		return rc;
	id = jsonx_id(rec, "id");
	if (post_jtype(rec) == POST_REPLY) {
		/* A reply's thread is gone with its post. */
		if ((rc = post_live(ctx, jsonx_id(rec, "rootId"), &root)) != APIERR_OK)
			goto out;
		rc = db_exec(ctx->env->db, id_shard(id), "SELECT id FROM {db}.tb_post_reply WHERE "
		    "post_id = ? AND parent_reply_id = ? AND id > ? AND is_deleted = 0 ORDER BY id "
		    "LIMIT ?", DB_PARAMS(DB_U64(jsonx_id(rec, "rootId")), DB_U64(id),
			DB_U64(cursor), DB_I64(POST_REPLIES_PAGE + 1)), &r);
	} else {
		rc = db_exec(ctx->env->db, id_shard(id), "SELECT id FROM {db}.tb_post_reply WHERE "
		    "post_id = ? AND id > ? AND is_deleted = 0 ORDER BY id LIMIT ?",
		    DB_PARAMS(DB_U64(id), DB_U64(cursor), DB_I64(POST_REPLIES_PAGE + 1)), &r);
	}
	if (rc != 0) {
		rc = ctx_fail(ctx, APIERR_UNAVAILABLE, NULL);
		goto out;
	}
	/* The page's replies as one batch view: a reply deleted between the query and the read,
	 * or hidden from the viewer, comes back NULL and is left out. */
	for (i = 0; i < r.nrows && i < POST_REPLIES_PAGE; i++)
		ids[i] = db_u64(&r, i, 0);
	if ((rc = post_view_many(ctx, ids, i, views, NULL)) != APIERR_OK)
		goto out;
	list = json_object_new_array();
	*out = json_object_new_object();
	json_object_object_add(*out, "replies", list);
	for (k = 0; k < i; k++)
		if (views[k] != NULL)
			json_object_array_add(list, views[k]);
	if (r.nrows > POST_REPLIES_PAGE)
		id_format(db_u64(&r, POST_REPLIES_PAGE - 1, 0), next);
	else
		snprintf(next, sizeof next, "%s", ROUTE_CURSOR_END);
	json_object_object_add(*out, "cursor", json_object_new_string(next));
	rc = APIERR_OK;
out:
	json_object_put(rec);
	json_object_put(root);
	db_rows_free(&r);
	return rc;
}

int
post_parse_ids(const char *s, uint64_t *ids, size_t max, size_t *n)
{
	*n = 0;
	if (s == NULL || *s == '\0')
		return -1;
	for (;;) {
		size_t w = strspn(s, "0123456789");
		char *end;

		if (w == 0 || w > 20 || *n == max)
			return -1;
		errno = 0;
		ids[*n] = strtoull(s, &end, 10);
		if (errno != 0 || ids[*n] == 0 || end != s + w)
			return -1;
		(*n)++;
		s += w;
		if (*s == '\0')
			return 0;
		if (*s != ',')
			return -1;
		s++;
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Many views at once: a page of a timeline */

/* The content objects (post_get's) of n records: one multi-get for all of them, the per-id
 * path (with its lease, and its cached "not found") for the misses. objs[i] gets a new
 * reference, or NULL for a missing or deleted record, or one that could not be loaded (its
 * shard down: then failed[i], when failed is not NULL). Returns 0, or -1 when a miss could not
 * be loaded (objs[] then holds what was found; the caller frees it). */
static int
get_many(struct app_env *env, const uint64_t *ids, size_t n, json_object **objs, bool *failed)
{
	char (*keys)[POST_KEY_SIZE] = xcalloc(n ? n : 1, sizeof *keys);
	const char **kp = xcalloc(n ? n : 1, sizeof *kp);
	struct buf *vals = xcalloc(n ? n : 1, sizeof *vals);
	bool *hit = xcalloc(n ? n : 1, sizeof *hit);
	size_t i;
	int rc = 0;

	for (i = 0; i < n; i++) {
		objs[i] = NULL;
		record_key(keys[i], ids[i]);
		kp[i] = keys[i];
	}
	/* One round trip per memcached node; a failed cache is all misses. */
	if (n > 0 && cache_mget(env->cache, kp, n, vals, hit) < 0)
		memset(hit, 0, n * sizeof *hit);
	for (i = 0; i < n; i++) {
		if (hit[i]) {
			if ((objs[i] = record_parse(buf_cstr(&vals[i]))) != NULL)
				continue;
			/* Not ours: post_get drops it and loads the row. */
		}
		if (post_get(env, ids[i], &objs[i]) < 0) {
			rc = -1;
			if (failed != NULL)
				failed[i] = true;
		}
	}
	for (i = 0; i < n; i++)
		buf_free(&vals[i]);
	free(keys);
	free(kp);
	free(vals);
	free(hit);
	return rc;
}

/* The distinct users of a page, each looked up once: whether they and the viewer block each
 * other, and what a post shows of them (author_of). */
struct page_users {
	size_t       n;
	uint64_t     id[2 * POST_STATS_MAX];
	int          blocked[2 * POST_STATS_MAX];   /* -2: not asked yet */
	json_object *shown[2 * POST_STATS_MAX];     /* NULL until asked, or for an account gone */
	bool         asked[2 * POST_STATS_MAX];
};

/* The slot of user id (added when new). */
static size_t
page_user(struct page_users *u, uint64_t id)
{
	size_t i;

	for (i = 0; i < u->n; i++)
		if (u->id[i] == id)
			return i;
	u->id[u->n] = id;
	u->blocked[u->n] = -2;
	u->shown[u->n] = NULL;
	u->asked[u->n] = false;
	return u->n++;
}

/* Whether user's posts are hidden from the viewer: the account suspended (to everyone but
 * itself: lib/social/user.h user_suspended; its cached profile, which the page prefetched with its
 * author), or the two in a block pair. 1, 0 or -1. */
static int
hidden_from(struct ctx *ctx, uint64_t user)
{
	json_object *p = NULL;
	int rc;

	if (user != ctx->user_id) {
		rc = user_get(ctx->env, user, &p);
		if (rc == 1)
			rc = user_suspended(p, clock_now_s());
		json_object_put(p);
		if (rc != 0)
			return rc;
	}
	return ctx->user_id == 0 ? 0 : graph_blocked_either(ctx->env, ctx->user_id, user);
}

/* hidden_from, asked once per page per user. */
static int
page_blocked(struct ctx *ctx, struct page_users *u, uint64_t user)
{
	size_t k = page_user(u, user);

	if (u->blocked[k] == -2)
		u->blocked[k] = hidden_from(ctx, user);
	return u->blocked[k] < 0 ? -1 : u->blocked[k];
}

/* Sets member name of o to a copy of the author object of user (one user_get per page). */
static int
page_add_author(struct app_env *env, struct page_users *u, json_object *o)
{
	size_t k = page_user(u, jsonx_id(o, "authorId"));

	if (!u->asked[k]) {
		if (author_of(env, u->id[k], &u->shown[k]) != 0)
			return -1;
		u->asked[k] = true;
	}
	json_object_object_add(o, "author", u->shown[k] == NULL ? NULL :
	    json_object_get(u->shown[k]));
	return 0;
}

/* Drops views[i]: on a partial page (partial not NULL) because what it needs could not be read,
 * noted in *partial; returns 0. Without partial the whole page fails: returns -1. */
static int
drop_unreadable(json_object **views, size_t i, bool *partial)
{
	if (partial == NULL)
		return -1;
	json_object_put(views[i]);
	views[i] = NULL;
	*partial = true;
	return 0;
}

enum apierr
post_view_many(struct ctx *ctx, const uint64_t *ids, size_t n, json_object **views,
    bool *partial)
{
	struct cache_keys ks = CACHE_KEYS_INIT;
	struct page_users *users = NULL;
	json_object **orig = NULL;
	uint64_t *oid = NULL, *target = NULL;
	bool *did = NULL, *failed = NULL, *ofailed = NULL;
	size_t i, k, no;
	int rc = APIERR_OK;

	for (i = 0; i < n; i++)
		views[i] = NULL;
	if (n > POST_STATS_MAX)
		return ctx_fail(ctx, APIERR_INVALID_PARAM, "at most %d posts at once", POST_STATS_MAX);
	if (n == 0)
		return APIERR_OK;
	users = xcalloc(1, sizeof *users);
	orig = xcalloc(n, sizeof *orig);
	oid = xcalloc(n, sizeof *oid);
	target = xcalloc(n, sizeof *target);
	did = xcalloc(n * DID__MAX, sizeof *did);
	failed = xcalloc(n, sizeof *failed);
	ofailed = xcalloc(n, sizeof *ofailed);
	/* The records in one round (a page that knew them fetched them ahead, with their authors:
	 * then this costs nothing), then everything else the page reads (counts, authors,
	 * relations, originals) in a second one. The counts wait for the second round, as the
	 * single view always had them: asked with the records, they would cost a round of their own
	 * when a single record's two keys live on different nodes. */
	if (get_many(ctx->env, ids, n, views, failed) != 0) {
		if (partial == NULL)
			goto fail;
		*partial = true;   /* the records of a shard that is down are left out */
	}
	for (i = 0; i < n; i++)
		if (views[i] != NULL)
			view_keys(ctx, views[i], &ks);
	(void)cache_keys_prefetch(ctx->env->cache, &ks);

	/* A blocked pair does not see each other's posts: as if deleted (as post_view). */
	for (i = 0; i < n; i++) {
		int b = views[i] ? page_blocked(ctx, users, jsonx_id(views[i], "authorId")) : 0;

		/* Whether they block each other is unknown: not shown. */
		if (b < 0 && drop_unreadable(views, i, partial) != 0)
			goto fail;
		if (b > 0) {
			json_object_put(views[i]);
			views[i] = NULL;
		}
	}

	/* The originals of reposts and quotes, in a second multi-get. */
	for (i = no = 0; i < n; i++) {
		enum post_type t = views[i] ? post_jtype(views[i]) : POST_ORIGINAL;

		if (t == POST_REPOST || t == POST_QUOTE)
			oid[no++] = jsonx_id(views[i], "originalId");
	}
	if (get_many(ctx->env, oid, no, orig, ofailed) != 0 && partial == NULL)
		goto fail;
	for (i = k = 0; i < n; i++) {
		enum post_type t;
		int b;

		if (views[i] == NULL)
			continue;
		t = post_jtype(views[i]);
		if (page_add_author(ctx->env, users, views[i]) != 0) {
			if (drop_unreadable(views, i, partial) != 0)
				goto fail;
			k += t == POST_REPOST || t == POST_QUOTE;
			continue;
		}
		if (t != POST_REPOST && t != POST_QUOTE)
			continue;
		/* The original of a blocked pair, as view() does: a repost goes with it, a quote's
		 * own words stay with its original shown as gone. An original that could not be read
		 * is not shown as gone: its repost or quote waits for it. */
		b = orig[k] ? page_blocked(ctx, users, jsonx_id(orig[k], "authorId")) : ofailed[k] ? -1 : 0;
		if (b < 0) {
			if (drop_unreadable(views, i, partial) != 0)
				goto fail;
			k++;
			continue;
		}
		if (b > 0 && t == POST_REPOST) {
			json_object_put(views[i]);
			views[i] = NULL;
			k++;
			continue;
		}
		/* Two reposts of one record on a page get a copy each: cards change their views. */
		if (orig[k] != NULL && b == 0) {
			json_object *copy = NULL;

			if (json_object_deep_copy(orig[k], &copy, NULL) != 0 ||
			    page_add_author(ctx->env, users, copy) != 0) {
				json_object_put(copy);
				if (drop_unreadable(views, i, partial) != 0)
					goto fail;
				k++;
				continue;
			}
			json_object_object_add(views[i], "original", copy);
		} else {
			json_object_object_add(views[i], "original", NULL);
		}
		k++;
	}

	/* What the viewer did: one statement for the page, where post_view asks per post. Likes
	 * and reposts of a repost go to its original (post_live). */
	if (ctx->user_id != 0) {
		for (i = 0; i < n; i++)
			target[i] = views[i] == NULL ? 0 : post_jtype(views[i]) == POST_REPOST ?
			    jsonx_id(views[i], "originalId") : ids[i];
		/* Unknown on a partial page: shown as not done (the buttons still work). */
		if (viewer_did(ctx, target, n, did) != 0) {
			if (partial == NULL)
				goto fail;
			*partial = true;
			memset(did, 0, n * DID__MAX * sizeof *did);
		}
		for (i = 0; i < n; i++)
			if (views[i] != NULL)
				add_viewer(ctx, views[i], &did[i * DID__MAX]);
	}
	goto out;
fail:
	for (i = 0; i < n; i++) {
		json_object_put(views[i]);
		views[i] = NULL;
	}
	rc = ctx_fail(ctx, APIERR_UNAVAILABLE, NULL);
out:
	for (i = 0; users != NULL && i < users->n; i++)
		json_object_put(users->shown[i]);
	for (i = 0; i < n; i++)
		json_object_put(orig[i]);
	free(users);
	free(orig);
	free(oid);
	free(target);
	free(did);
	free(failed);
	free(ofailed);
	cache_keys_free(&ks);
	return rc;
}

/* How far down post_add_images looks. The deepest post of an answer is a notification's post's
 * original: data, notifications, the item, post, original (5); a little room above that. */
#define IMAGES_DEPTH 8

static void
add_images(const struct media *m, json_object *v, int depth)
{
	json_object *url;
	size_t i, n;

	if (depth > IMAGES_DEPTH)
		return;
	if (json_object_is_type(v, json_type_array)) {
		n = json_object_array_length(v);
		for (i = 0; i < n; i++)
			add_images(m, json_object_array_get_idx(v, i), depth + 1);
		return;
	}
	if (!json_object_is_type(v, json_type_object))
		return;
	json_object_object_foreach(v, key, child) {
		(void)key;
		add_images(m, child, depth + 1);
	}
	/* After the walk: adding a key to an object while iterating it is not safe. */
	if (json_object_object_get_ex(v, "imageUrl", &url) &&
	    json_object_is_type(url, json_type_string) && json_object_get_string_len(url) > 0) {
		json_object_object_add(v, "image", media_image_view(m, json_object_get_string(url)));
		post_media_view(m, v);
	}
}

json_object *
post_row_media(const struct db_rows *r, size_t i)
{
	const char *json = db_str(r, i, POST_R_MEDIA), *image = db_str(r, i, POST_R_IMAGE);
	json_object *a = *json ? json_tokener_parse(json) : NULL, *o;

	if (a != NULL && json_object_is_type(a, json_type_array))
		return a;
	json_object_put(a);
	a = json_object_new_array();
	if (*image == '\0')
		return a;
	o = json_object_new_object();
	json_object_object_add(o, "url", json_object_new_string(image));
	json_object_object_add(o, "alt", json_object_new_string(""));
	json_object_array_add(a, o);
	return a;
}

/* Copies view's members into medium (a {url, alt} of a post's media), with thumbUrl and
 * processing. */
static void
medium_view(const struct media *m, json_object *medium)
{
	json_object *view = media_image_view(m, jsonx_str(medium, "url")), *src;

	json_object_object_foreach(view, key, val)
		json_object_object_add(medium, key, json_object_get(val));
	json_object_object_add(medium, "thumbUrl", json_object_object_get_ex(view, "src", &src) ?
	    json_object_get(src) : json_object_new_null());
	json_object_object_add(medium, "processing", json_object_new_boolean(
	    strcmp(jsonx_str(view, "state"), "processing") == 0));
	json_object_put(view);
}

void
post_media_view(const struct media *m, json_object *post)
{
	json_object *media, *url, *o;
	size_t i, n;

	if (m == NULL || !json_object_is_type(post, json_type_object))
		return;
	if (!json_object_object_get_ex(post, "media", &media)) {
		/* A cached object from before the media array: its one image. */
		if (!json_object_object_get_ex(post, "imageUrl", &url) ||
		    json_object_get_string_len(url) == 0)
			return;
		media = json_object_new_array();
		o = json_object_new_object();
		json_object_object_add(o, "url", json_object_get(url));
		json_object_object_add(o, "alt", json_object_new_string(""));
		json_object_array_add(media, o);
		json_object_object_add(post, "media", media);
	}
	if (!json_object_is_type(media, json_type_array))
		return;
	n = json_object_array_length(media);
	for (i = 0; i < n; i++) {
		o = json_object_array_get_idx(media, i);
		if (json_object_is_type(o, json_type_object) && *jsonx_str(o, "url") != '\0')
			medium_view(m, o);
	}
}

void
post_add_images(struct ctx *ctx, json_object *data)
{
	if (ctx->env->media != NULL && data != NULL)
		add_images(ctx->env->media, data, 0);
}