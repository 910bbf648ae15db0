/* graphread.c: the read side of the social graph: a's row about b through the cache
 * ("rel:<a>:<b>", whose one spelling is here), whether two users block each other, mute, follow.
 * What the read models (post views, timeline, notifications) ask; the writes that change the
 * rows are in graph.c (graph.h), which also uses the row reader and the key's deletion. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cache.h"
#include "ctx.h"
#include "db.h"
#include "graphread.h"
#include "id.h"
#include "shard.h"
#include "xalloc.h"

/* "rel:<a>:<b>" lives this long; every change deletes it, so this only bounds memory. */
#define REL_TTL 3600

/* The one spelling of "rel:<a>:<b>": a's row about b. */
static void
rel_key(uint64_t a, uint64_t b, char key[64])
{
	snprintf(key, 64, "rel:%" PRIu64 ":%" PRIu64, a, b);
}

void
graph_forget_rel(struct app_env *env, uint64_t a, uint64_t b)
{
	char key[64];

	rel_key(a, b, key);
	(void)cache_delete(env->cache, key);
}


int
graph_rel_read(struct db *db, uint64_t a, uint64_t b, bool lock, struct graph_rel *out)
{
	struct db_rows r = DB_ROWS_INIT;
	int rc = db_exec(db, id_shard(a), lock ?
	    "SELECT status_follow, status_mute, id, updated_at FROM {db}.tb_user_relationship "
	    "WHERE user_id = ? AND target_user = ? FOR UPDATE" :
	    "SELECT status_follow, status_mute, id, updated_at FROM {db}.tb_user_relationship "
	    "WHERE user_id = ? AND target_user = ?",
	    DB_PARAMS(DB_U64(a), DB_U64(b)), &r);

	memset(out, 0, sizeof *out);
	if (rc == 0 && r.nrows > 0) {
		out->exists = true;
		out->follow = (int)db_i64(&r, 0, 0);
		out->mute = (int)db_i64(&r, 0, 1);
		out->id = db_u64(&r, 0, 2);
		out->created_at = db_i64(&r, 0, 3);
	}
	db_rows_free(&r);
	return rc == 0 ? 0 : -1;
}

struct rel_load {
	struct app_env *env;
	uint64_t        a, b;
};

static int
rel_loader(void *arg, struct buf *out)
{
	struct rel_load *l = arg;
	struct graph_rel r;

	if (graph_rel_read(l->env->db, l->a, l->b, false, &r) != 0)
		return -1;
	buf_printf(out, "%d %d", r.follow, r.mute);
	return 1;
}

void
graph_keys(struct cache_keys *ks, uint64_t viewer, uint64_t user)
{
	char key[64];

	if (viewer == 0 || user == 0 || viewer == user)
		return;
	rel_key(viewer, user, key);
	cache_keys_add(ks, "%s", key);
	rel_key(user, viewer, key);
	cache_keys_add(ks, "%s", key);
}

/* a's statuses about b through the cache. */
static int
rel_cached(struct app_env *env, uint64_t a, uint64_t b, int *follow, int *mute)
{
	struct rel_load l = { env, a, b };
	struct buf v = BUF_INIT;
	char key[64];
	int rc;

	*follow = *mute = 0;
	if (!db_id_has_shard(env->db, a) || !db_id_has_shard(env->db, b))
		return 0;
	rel_key(a, b, key);
	rc = cache_get_or_load(env->cache, key, REL_TTL, rel_loader, &l, &v);
	if (rc == 1 && sscanf(buf_cstr(&v), "%d %d", follow, mute) != 2)
		*follow = *mute = 0;
	buf_free(&v);
	return rc < 0 ? -1 : 0;
}

int
graph_blocked_either(struct app_env *env, uint64_t a, uint64_t b)
{
	int f1, f2, m;

	if (a == 0 || b == 0 || a == b)
		return 0;
	if (rel_cached(env, a, b, &f1, &m) != 0 || rel_cached(env, b, a, &f2, &m) != 0)
		return -1;
	return f1 == 2 || f2 == 2;
}

int
graph_relation(struct app_env *env, uint64_t a, uint64_t b, int *follow, bool *muted)
{
	int m = 0;

	*follow = 0;
	*muted = false;
	if (a == 0 || b == 0 || a == b)
		return 0;
	if (rel_cached(env, a, b, follow, &m) != 0)
		return -1;
	*muted = m == 1;
	return 0;
}

int
graph_muted(struct app_env *env, uint64_t muter, uint64_t target)
{
	int f, m;

	if (muter == 0 || target == 0 || muter == target)
		return 0;
	if (rel_cached(env, muter, target, &f, &m) != 0)
		return -1;
	return m == 1;
}

/* The first column of sql's rows (one parameter: user) on user's shard, as IDs. */
static int
ids_of(struct app_env *env, uint64_t user, const char *sql, uint64_t **out, size_t *n)
{
	struct db_rows r = DB_ROWS_INIT;
	size_t i;
	int rc;

	*out = NULL;
	*n = 0;
	rc = db_exec(env->db, id_shard(user), sql, DB_PARAMS(DB_U64(user)), &r);
	if (rc == 0) {
		*out = xcalloc(r.nrows + 1, sizeof **out);
		for (i = 0; i < r.nrows; i++)
			(*out)[i] = db_u64(&r, i, 0);
		*n = r.nrows;
	}
	db_rows_free(&r);
	return rc == 0 ? 0 : -1;
}

int
graph_follower_ids(struct app_env *env, uint64_t user, uint64_t **out, size_t *n)
{
	return ids_of(env, user, "SELECT follower_id FROM {db}.tb_user_relationship_reversed "
	    "WHERE user_id = ?", out, n);
}

int
graph_following_ids(struct app_env *env, uint64_t user, uint64_t **out, size_t *n)
{
	return ids_of(env, user, "SELECT target_user FROM {db}.tb_user_relationship "
	    "WHERE user_id = ? AND status_follow = 1", out, n);
}
