/* repair.c: starling-admin repair-graph: follows whose two rows disagree, and follow counts that
 * are wrong, mended shard by shard (admin.h). */
#include "config.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "cache.h"
#include "ctx.h"
#include "db.h"
#include "graph.h"
#include "id.h"
#include "idlease.h"
#include "progress.h"
#include "shard.h"
#include "user.h"

#include "admin.h"

/* ------------------------------------------------------------------------------------------ */
/* repair-graph */

/* Rows read per query while scanning a shard's relationship tables. */
#define REPAIR_BATCH 500

/* One pass of repair-graph over a relationship table: scan_sql reads a shard's rows in the
 * order of its primary key (a, b), (a, a, b, limit) -> (a, b, id); other_sql looks for the row
 * of the other side on the other user's shard, (b, a, id) -> a row or none. The pair is
 * (follower, followee) = forward ? (a, b) : (b, a). */
struct repair_pass {
	const char *what;   /* its progress line's name */
	const char *scan_sql;
	const char *other_sql;
	bool        forward;
};

static const struct repair_pass repair_passes[] = {
	/* Every forward follow without its reversed row (or with another id)... */
	{ "repair-graph (follows, pass 1 of 3)",
	    "SELECT user_id, target_user, id FROM {db}.tb_user_relationship WHERE status_follow = 1 "
	    "AND (user_id > ? OR (user_id = ? AND target_user > ?)) ORDER BY user_id, target_user "
	    "LIMIT ?",
	    "SELECT 1 FROM {db}.tb_user_relationship_reversed WHERE user_id = ? AND "
	    "follower_id = ? AND id = ?", true },
	/* ... and every reversed row without a live forward row. */
	{ "repair-graph (followers, pass 2 of 3)",
	    "SELECT user_id, follower_id, id FROM {db}.tb_user_relationship_reversed WHERE "
	    "user_id > ? OR (user_id = ? AND follower_id > ?) ORDER BY user_id, follower_id LIMIT ?",
	    "SELECT 1 FROM {db}.tb_user_relationship WHERE user_id = ? AND target_user = ? "
	    "AND id = ? AND status_follow = 1", false },
};

/* Scans shard with pass in batches; for each row whose other side disagrees, syncs the pair
 * through follow.sync's logic. Adds the rows read to *rows (shown by prog after each batch) and
 * the pairs changed to *mended. Returns 0, or -1 after a database failure. */
static int
repair_scan(struct app_env *env, const struct repair_pass *pass, unsigned shard,
    struct progress *prog, uint64_t *rows, size_t *mended)
{
	struct db_rows r = DB_ROWS_INIT, o = DB_ROWS_INIT;
	struct buf err = BUF_INIT;
	uint64_t a = 0, b = 0, follower, followee, id;
	size_t i;
	bool changed;
	int rc = 0;

	do {
		if (db_exec(env->db, shard, pass->scan_sql, DB_PARAMS(DB_U64(a), DB_U64(a),
		    DB_U64(b), DB_I64(REPAIR_BATCH)), &r) != 0) {
			rc = -1;
			break;
		}
		for (i = 0; i < r.nrows && rc == 0; i++) {
			a = db_u64(&r, i, 0);
			b = db_u64(&r, i, 1);
			id = db_u64(&r, i, 2);
			follower = pass->forward ? a : b;
			followee = pass->forward ? b : a;
			if (id_shard(b) >= shard_count(db_shards(env->db)))
				continue;   /* an ID of no shard: nothing to compare with */
			if (db_exec(env->db, id_shard(b), pass->other_sql, DB_PARAMS(DB_U64(b),
			    DB_U64(a), DB_U64(id)), &o) != 0) {
				rc = -1;
				break;
			}
			if (o.nrows > 0)
				continue;
			buf_reset(&err);
			if (graph_sync_pair(env, follower, followee, &changed, &err) != 0) {
				admin_fail("follow %" PRIu64 " -> %" PRIu64 ": %s", follower, followee,
				    buf_cstr(&err));
				rc = -1;
				break;
			}
			if (changed) {
				admin_report("repair-graph: follow %" PRIu64 " -> %" PRIu64 " mended\n",
				    follower, followee);
				(*mended)++;
			}
		}
		*rows += i;
		progress_step(prog, shard, *rows);
	} while (rc == 0 && r.nrows == REPAIR_BATCH);
	db_rows_free(&r);
	db_rows_free(&o);
	buf_free(&err);
	return rc;
}

/* user_repair_follow_counts's report of each user it corrected. */
static void
count_corrected(uint64_t user, void *arg)
{
	(void)arg;
	admin_report("repair-graph: counts of user %" PRIu64 " corrected\n", user);
}

/* Sets count_followers and count_followings of shard's users to what their rows say. */
static int
repair_counts(struct app_env *env, unsigned shard, size_t *fixed)
{
	long n = user_repair_follow_counts(env, shard, count_corrected, NULL);

	if (n < 0)
		return -1;
	*fixed += (size_t)n;
	return 0;
}

/* Every forward follow without its reversed row (or with another id), every reversed row without
 * a live forward row, then the counts. Each pair is mended by follow.sync's logic, so running it
 * while users follow and unfollow is safe, and running it twice finds nothing the second time. */
int
cmd_repair_graph(struct admin *a)
{
	const struct shard_map *m = db_shards(a->db);
	struct app_env env;
	struct progress prog;
	size_t k, mended = 0, fixed = 0;
	uint64_t rows;
	unsigned s;
	int rc = 0;

	memset(&env, 0, sizeof env);
	env.db = a->db;
	env.cache = a->cache;
	env.ids = idlease_new(a->db, NULL);
	for (k = 0; k < sizeof repair_passes / sizeof repair_passes[0] && rc == 0; k++) {
		admin_progress(a, &prog, repair_passes[k].what, "row read", "rows read");
		rows = 0;
		for (s = 0; s < shard_count(m) && rc == 0; s++)
			if ((rc = repair_scan(&env, &repair_passes[k], s, &prog, &rows, &mended)) == 0)
				progress_shard_done(&prog, s, rows);
		progress_end(&prog);
	}
	/* Counts last: mending a pair may have moved a count that was wrong already. */
	admin_progress(a, &prog, "repair-graph (counts, pass 3 of 3)", "user corrected",
	    "users corrected");
	for (s = 0; s < shard_count(m) && rc == 0; s++)
		if ((rc = repair_counts(&env, s, &fixed)) == 0)
			progress_shard_done(&prog, s, fixed);
	progress_end(&prog);
	idlease_free(env.ids);
	if (rc != 0) {
		admin_fail("repair-graph stopped: a database failed (see the log); run it again");
		return EXIT_FAILED;
	}
	printf("repair-graph: %zu follow%s mended, %zu user%s' counts corrected%s\n", mended,
	    mended == 1 ? "" : "s", fixed, fixed == 1 ? "" : "s",
	    mended + fixed == 0 ? ": nothing to do" : "");
	return EXIT_DONE;
}
