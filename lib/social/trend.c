/* trend.c: trending hashtags and popular users (trend.h has the contract, docs/search.md the
 * formulas). */
#include "config.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apierr.h"
#include "cache.h"
#include "ctx.h"
#include "db.h"
#include "graph.h"
#include "log.h"
#include "partial.h"
#include "search.h"
#include "shard.h"
#include "text.h"
#include "trend.h"
#include "user.h"
#include "xalloc.h"

/* The global top TREND_MAX is among the shards' own tops, since a tag lives on one shard. The
 * shards rank by a DECIMAL score and the merge by a double, so each gives a few more than needed
 * for the two to agree at the edge. */
#define TAG_CANDIDATES (TREND_MAX * 5)

static const char *const key_hashtags = "trends:hashtags";
static const char *const key_users = "trends:users";

/* ---------------------------------------------------------------------------------------------
 * Computing. */

struct tag_trend {
	uint64_t  id;
	char     *key, *name;
	uint64_t  uses, users, prev;
	double    score;
};

struct user_trend {
	uint64_t id, gained;
};

/* The score of a tag (docs/search.md, "Trends"): how far today's distinct users exceed
 * yesterday's, squared and weighed by yesterday's (at least 1), so a tag out of nowhere beats one
 * that was already as big, and a steady tag scores 0. */
static double
tag_score(uint64_t users, uint64_t prev)
{
	double d;

	if (users <= prev)
		return 0;
	d = (double)(users - prev);
	return d * d / (double)(prev > 0 ? prev : 1);
}

/* Best first; ties by distinct users, then uses, then key, so the order never depends on the
 * shards' order. */
static int
cmp_tag(const void *a, const void *b)
{
	const struct tag_trend *x = a, *y = b;

	if (x->score != y->score)
		return x->score < y->score ? 1 : -1;
	if (x->users != y->users)
		return x->users < y->users ? 1 : -1;
	if (x->uses != y->uses)
		return x->uses < y->uses ? 1 : -1;
	return strcmp(x->key, y->key);
}

static int
cmp_user(const void *a, const void *b)
{
	const struct user_trend *x = a, *y = b;

	if (x->gained != y->gained)
		return x->gained < y->gained ? 1 : -1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Per shard: the uses of each tag since prev_start (idx_created_at covers it), split at
 * recent_start; the tag's own row is on the same shard. */
static const char tags_sql[] =
    "SELECT h.id, h.tag_key, h.tag_name, t.uses, t.users, t.prev_users FROM (SELECT hashtag_id, "
    "SUM(created_at >= ?) AS uses, COUNT(DISTINCT IF(created_at >= ?, user_id, NULL)) AS users, "
    "COUNT(DISTINCT IF(created_at < ?, user_id, NULL)) AS prev_users FROM "
    "{db}.tb_post_reply_hashtag WHERE created_at >= ? GROUP BY hashtag_id) t JOIN {db}.tb_hashtag "
    "h ON h.id = t.hashtag_id WHERE t.users >= ? ORDER BY IF(t.users > t.prev_users, (t.users - "
    "t.prev_users) * (t.users - t.prev_users) / GREATEST(t.prev_users, 1), 0) DESC, t.users DESC, "
    "t.uses DESC, h.tag_key LIMIT ?";

/* Per shard: followers gained since recent_start, per followee (idx_created_at covers it). Only
 * live follows have a row, so an unfollow takes its follow back out. */
static const char users_sql[] =
    "SELECT user_id, COUNT(*) AS n FROM {db}.tb_user_relationship_reversed WHERE created_at >= ? "
    "GROUP BY user_id ORDER BY n DESC, user_id LIMIT ?";

struct store {
	struct tag_trend  *tags;
	size_t             ntags;
	struct user_trend *users;
	size_t             nusers;
	int64_t            now;
};

/* Replaces both rankings on shard 0, in one transaction: a reader sees the old lists or the new
 * ones, never a mix. */
static int
store_tx(struct db *db, void *arg)
{
	struct store *st = arg;
	size_t i;

	if (db_exec(db, 0, "DELETE FROM {db}.tb_trend_hashtag", NULL, 0, NULL) != 0 ||
	    db_exec(db, 0, "DELETE FROM {db}.tb_trend_user", NULL, 0, NULL) != 0)
		return -1;
	for (i = 0; i < st->ntags && i < TREND_MAX; i++) {
		const struct tag_trend *t = &st->tags[i];
		char score[32];

		/* db_val has no double: the score goes as text, which MariaDB converts. */
		snprintf(score, sizeof score, "%.6f", t->score);
		if (db_exec(db, 0, "INSERT INTO {db}.tb_trend_hashtag (position, hashtag_id, tag_key, "
		    "tag_name, uses, users, prev_users, score, computed_at) VALUES (?, ?, ?, ?, ?, ?, "
		    "?, ?, ?)", DB_PARAMS(DB_U64(i), DB_U64(t->id), DB_STR(t->key),
			DB_STR(t->name), DB_U64(t->uses), DB_U64(t->users), DB_U64(t->prev),
			DB_STR(score), DB_I64(st->now)), NULL) != 0)
			return -1;
	}
	for (i = 0; i < st->nusers && i < TREND_MAX; i++)
		if (db_exec(db, 0, "INSERT INTO {db}.tb_trend_user (position, user_id, new_followers, "
		    "computed_at) VALUES (?, ?, ?, ?)", DB_PARAMS(DB_U64(i),
			DB_U64(st->users[i].id), DB_U64(st->users[i].gained), DB_I64(st->now)),
		    NULL) != 0)
			return -1;
	return 0;
}

/* Adds the tags of rows r (a tags_sql's) to st. */
static void
add_tags(struct store *st, const struct db_rows *r)
{
	size_t i;

	for (i = 0; i < r->nrows; i++) {
		struct tag_trend *t = &st->tags[st->ntags++];

		t->id = db_u64(r, i, 0);
		t->key = xstrdup(db_str(r, i, 1));
		t->name = xstrdup(db_str(r, i, 2));
		t->uses = db_u64(r, i, 3);
		t->users = db_u64(r, i, 4);
		t->prev = db_u64(r, i, 5);
		t->score = tag_score(t->users, t->prev);
	}
}

/* Adds the users of rows r (a users_sql's) to st. */
static void
add_users(struct store *st, const struct db_rows *r)
{
	size_t i;

	for (i = 0; i < r->nrows; i++) {
		st->users[st->nusers].id = db_u64(r, i, 0);
		st->users[st->nusers++].gained = db_u64(r, i, 1);
	}
}

int
trend_compute(struct app_env *env)
{
	unsigned s, nshards = shard_count(db_shards(env->db));
	struct store st = { NULL, 0, NULL, 0, (int64_t)time(NULL) };
	struct db_batch b = DB_BATCH_INIT;
	int64_t window = env->conf.trends_window;
	int64_t recent = st.now - window, prev = st.now - 2 * window;
	size_t i;
	int rc = -1;

	st.tags = xcalloc((size_t)nshards * TAG_CANDIDATES, sizeof *st.tags);
	st.users = xcalloc((size_t)nshards * TREND_MAX, sizeof *st.users);
	/* Both statements of every shard in one round: the instances work at the same time. */
	for (s = 0; s < nshards; s++) {
		db_batch_add(&b, s, tags_sql, DB_PARAMS(DB_I64(recent), DB_I64(recent),
		    DB_I64(recent), DB_I64(prev), DB_I64(env->conf.trends_min_users),
		    DB_I64(TAG_CANDIDATES)));
		db_batch_add(&b, s, users_sql, DB_PARAMS(DB_I64(recent), DB_I64(TREND_MAX)));
	}
	db_batch_run(env->db, &b);
	for (i = 0; i < b.n; i++)
		if (b.q[i].rc != 0) {
			s = b.q[i].shard;
			goto shard_down;
		}
	for (i = 0; i + 1 < b.n; i += 2) {
		add_tags(&st, b.q[i].out);
		add_users(&st, b.q[i + 1].out);
	}
	qsort(st.tags, st.ntags, sizeof *st.tags, cmp_tag);
	qsort(st.users, st.nusers, sizeof *st.users, cmp_user);
	if (db_tx(env->db, 0, store_tx, &st) != 0) {
		log_error("trends: not stored (shard 0 failed); the previous rankings stay");
		goto out;
	}
	/* After the commit: a reader that fills the cache now reads the new rows. A failed delete
	 * only leaves the old lists for at most TREND_CACHE_TTL. */
	(void)cache_delete(env->cache, key_hashtags);
	(void)cache_delete(env->cache, key_users);
	log_info("trends: %zu hashtag%s, %zu user%s ranked", st.ntags < TREND_MAX ? st.ntags :
	    TREND_MAX, st.ntags == 1 ? "" : "s", st.nusers < TREND_MAX ? st.nusers : TREND_MAX,
	    st.nusers == 1 ? "" : "s");
	rc = 0;
	goto out;
shard_down:
	/* Rankings without this shard's tags and follows would be served as the truth until the
	 * next computation: nothing is stored, and the caller tries again later. */
	log_warn("trends: not computed: shard %u (instance %zu) does not answer; the previous "
	    "rankings stay", s, shard_instance(db_shards(env->db), s));
out:
	for (i = 0; i < st.ntags; i++) {
		free(st.tags[i].key);
		free(st.tags[i].name);
	}
	free(st.tags);
	free(st.users);
	db_batch_free(&b);
	return rc;
}

/* ---------------------------------------------------------------------------------------------
 * Reading: the lists as cached, the same for every viewer. */

static bool
seen(json_object *list, const char *member, const char *id)
{
	size_t i, n = json_object_array_length(list);
	json_object *v;

	for (i = 0; i < n; i++)
		if (json_object_object_get_ex(json_object_array_get_idx(list, i), member, &v) &&
		    strcmp(json_object_get_string(v), id) == 0)
			return true;
	return false;
}

static json_object *
tag_item(const char *id, const char *key, const char *name, uint64_t uses, uint64_t users,
    bool pinned)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "hashtagId", json_object_new_string(id));
	json_object_object_add(o, "tag", json_object_new_string(key));
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "uses", json_object_new_int64((int64_t)uses));
	json_object_object_add(o, "users", json_object_new_int64((int64_t)users));
	json_object_object_add(o, "pinned", json_object_new_boolean(pinned));
	return o;
}

/* cache_loader of "trends:hashtags": the picks (their key from the ranking, or made from the
 * copied name), then the ranking without them. */
static int
load_hashtags(void *arg, struct buf *out)
{
	struct app_env *env = arg;
	struct db_rows r = DB_ROWS_INIT;
	json_object *list = json_object_new_array();
	struct buf key = BUF_INIT;
	size_t i;
	int rc = -1;

	if (db_exec(env->db, 0, "SELECT r.hashtag_id, r.tag_name, t.tag_key, t.uses, t.users FROM "
	    "{db}.tb_recommended_hashtag r LEFT JOIN {db}.tb_trend_hashtag t ON t.hashtag_id = "
	    "r.hashtag_id ORDER BY r.sort_order, r.hashtag_id LIMIT ?",
	    DB_PARAMS(DB_I64(TREND_MAX)), &r) != 0)
		goto out;
	for (i = 0; i < r.nrows; i++) {
		buf_reset(&key);
		if (db_is_null(&r, i, 2)) {
			/* An editor's pick that is not trending: its key is its name's. */
			if (text_tag_key(db_str(&r, i, 1), db_len(&r, i, 1), &key) != 0)
				continue;
		} else {
			buf_puts(&key, db_str(&r, i, 2));
		}
		json_object_array_add(list, tag_item(db_str(&r, i, 0), buf_cstr(&key),
		    db_str(&r, i, 1), db_u64(&r, i, 3), db_u64(&r, i, 4), true));
	}
	if (db_exec(env->db, 0, "SELECT hashtag_id, tag_key, tag_name, uses, users FROM "
	    "{db}.tb_trend_hashtag ORDER BY position LIMIT ?",
	    DB_PARAMS(DB_I64(TREND_MAX)), &r) != 0)
		goto out;
	for (i = 0; i < r.nrows && json_object_array_length(list) < TREND_MAX; i++)
		if (!seen(list, "hashtagId", db_str(&r, i, 0)))
			json_object_array_add(list, tag_item(db_str(&r, i, 0), db_str(&r, i, 1),
			    db_str(&r, i, 2), db_u64(&r, i, 3), db_u64(&r, i, 4), false));
	buf_puts(out, json_object_to_json_string_ext(list, JSON_C_TO_STRING_PLAIN));
	rc = 1;
out:
	json_object_put(list);
	db_rows_free(&r);
	buf_free(&key);
	return rc;
}

static json_object *
user_item(const char *id, uint64_t gained, bool pinned)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "newFollowers", json_object_new_int64((int64_t)gained));
	json_object_object_add(o, "pinned", json_object_new_boolean(pinned));
	return o;
}

/* cache_loader of "trends:users": [{id, newFollowers, pinned}], the picks first. */
static int
load_users(void *arg, struct buf *out)
{
	struct app_env *env = arg;
	struct db_rows r = DB_ROWS_INIT;
	json_object *list = json_object_new_array();
	size_t i;
	int rc = -1;

	if (db_exec(env->db, 0, "SELECT r.user_id, COALESCE(t.new_followers, 0) FROM "
	    "{db}.tb_recommended_user r LEFT JOIN {db}.tb_trend_user t ON t.user_id = r.user_id "
	    "ORDER BY r.sort_order, r.user_id LIMIT ?", DB_PARAMS(DB_I64(TREND_MAX)),
	    &r) != 0)
		goto out;
	for (i = 0; i < r.nrows; i++)
		json_object_array_add(list, user_item(db_str(&r, i, 0), db_u64(&r, i, 1), true));
	if (db_exec(env->db, 0, "SELECT user_id, new_followers FROM {db}.tb_trend_user ORDER BY "
	    "position LIMIT ?",
	    DB_PARAMS(DB_I64(TREND_MAX)), &r) != 0)
		goto out;
	for (i = 0; i < r.nrows && json_object_array_length(list) < TREND_MAX; i++)
		if (!seen(list, "id", db_str(&r, i, 0)))
			json_object_array_add(list, user_item(db_str(&r, i, 0), db_u64(&r, i, 1),
			    false));
	buf_puts(out, json_object_to_json_string_ext(list, JSON_C_TO_STRING_PLAIN));
	rc = 1;
out:
	json_object_put(list);
	db_rows_free(&r);
	return rc;
}

/* The cached list under key (cache-aside with load): APIERR_OK with *out (a new array), or the
 * failure recorded. */
static int
cached_list(struct ctx *ctx, const char *key, cache_loader load, json_object **out)
{
	struct buf v = BUF_INIT;
	int rc = cache_get_or_load(ctx->env->cache, key, TREND_CACHE_TTL, load, ctx->env, &v);

	*out = NULL;
	if (rc == 1)
		*out = json_tokener_parse(buf_cstr(&v));
	buf_free(&v);
	if (*out == NULL || !json_object_is_type(*out, json_type_array)) {
		if (rc == 1)
			log_error("trends: the cached %s is not a list", key);
		json_object_put(*out);
		*out = NULL;
		return ctx_fail(ctx, APIERR_UNAVAILABLE, NULL);
	}
	return APIERR_OK;
}

enum apierr
trend_hashtags(struct ctx *ctx, json_object **out)
{
	json_object *list, *item;
	size_t i, n;
	int rc = cached_list(ctx, key_hashtags, load_hashtags, &list);

	*out = NULL;
	if (rc != APIERR_OK)
		return rc;
	/* hashtagId is for the merge above; clients name a tag by its key. */
	n = json_object_array_length(list);
	for (i = 0; i < n; i++) {
		item = json_object_array_get_idx(list, i);
		json_object_object_del(item, "hashtagId");
	}
	*out = json_object_new_object();
	json_object_object_add(*out, "hashtags", list);
	return APIERR_OK;
}

/* The card of a popular user (item: {id, newFollowers, pinned} of the cached list) as the viewer
 * sees it, with followers, newFollowers and pinned: 1 with *out (new), 0 when it is not shown
 * (the viewer themself, a block pair, a suspended or gone account), -1 when it cannot be read
 * (the user's shard down). */
static int
popular_card(struct ctx *ctx, json_object *item, json_object **out)
{
	json_object *counts, *v;
	uint64_t id;
	int r;

	*out = NULL;
	id = strtoull(json_object_get_string(json_object_object_get(item, "id")), NULL, 10);
	if (id == ctx->user_id)
		return 0;
	if ((r = graph_blocked_either(ctx->env, ctx->user_id, id)) != 0)
		return r < 0 ? -1 : 0;
	if ((r = search_user_card(ctx->env, id, out)) != 1)
		return r;
	/* Of the counters, only the followers join the public card. */
	counts = json_object_new_object();
	r = user_add_counts(ctx->env, id, counts);
	if (r >= 0 && json_object_object_get_ex(counts, "countFollowers", &v))
		json_object_object_add(*out, "followers", json_object_get(v));
	json_object_put(counts);
	if (r < 0) {
		json_object_put(*out);
		*out = NULL;
		return -1;
	}
	json_object_object_add(*out, "newFollowers",
	    json_object_get(json_object_object_get(item, "newFollowers")));
	json_object_object_add(*out, "pinned",
	    json_object_get(json_object_object_get(item, "pinned")));
	return 1;
}

/* Reads ahead, in one multi-get, what popular_card reads of every user of list (their profiles
 * and counters, their relations to the viewer): the list costs a round trip per node, not one
 * per user, wherever it is shown (/explore, the home page's side column). */
static void
prefetch_cards(struct ctx *ctx, json_object *list)
{
	struct cache_keys ks = CACHE_KEYS_INIT;
	size_t i, n = json_object_array_length(list);

	for (i = 0; i < n; i++) {
		uint64_t id = strtoull(json_object_get_string(json_object_object_get(
		    json_object_array_get_idx(list, i), "id")), NULL, 10);

		user_profile_keys(&ks, id);
		graph_keys(&ks, ctx->user_id, id);
	}
	if (ks.n > 0)
		cache_keys_prefetch(ctx->env->cache, &ks);
	cache_keys_free(&ks);
}

enum apierr
trend_users(struct ctx *ctx, json_object **out)
{
	json_object *list = NULL, *users, *card;
	bool partial = false;
	size_t i, n;
	int rc = cached_list(ctx, key_users, load_users, &list);

	*out = NULL;
	if (rc != APIERR_OK)
		return rc;
	users = json_object_new_array();
	n = json_object_array_length(list);
	prefetch_cards(ctx, list);
	for (i = 0; i < n; i++) {
		rc = popular_card(ctx, json_object_array_get_idx(list, i), &card);
		/* A user on a shard that does not answer is left out, not the whole list: the
		 * ranking itself was read (from the cache or shard 0). */
		partial = partial || rc < 0;
		if (rc > 0)
			json_object_array_add(users, card);
	}
	*out = json_object_new_object();
	json_object_object_add(*out, "users", users);
	partial_mark(*out, partial);
	json_object_put(list);
	return APIERR_OK;
}
