/* derived.c: starling-admin compute-trends and reindex-replies: data derived from the posts,
 * computed again at once (admin.h). */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ctx.h"
#include "db.h"
#include "progress.h"
#include "search.h"
#include "shard.h"
#include "trend.h"

#include "admin.h"

/* compute-trends: what starling-worker runs every [trends] interval, at once (after editors
 * changed their picks' numbers, or to see a ranking without waiting). */
int
cmd_compute_trends(struct admin *a)
{
	struct app_env env;

	memset(&env, 0, sizeof env);
	/* A shallow copy: env is not freed, the admin's own conf is. */
	env.conf = a->conf;
	env.db = a->db;
	env.cache = a->cache;
	if (trend_compute(&env) != 0) {
		admin_fail("compute-trends: a database failed (see the log); run it again");
		return EXIT_FAILED;
	}
	printf("compute-trends: done\n");
	return EXIT_DONE;
}

/* ------------------------------------------------------------------------------------------ */
/* reindex-replies: the search form of replies written before sql/012_reply_search.sql */

/* Shard by shard (search_reindex_replies); one that cannot be reached is reported, the others
 * done. Safe while the site runs, and to run again: a second run finds nothing to fill. */
int
cmd_reindex_replies(struct admin *a)
{
	const struct shard_map *m = db_shards(a->db);
	struct buf label = BUF_INIT;
	struct progress prog;
	size_t n, total = 0;
	unsigned s;
	bool ok, *up = admin_instances_up(a, "their replies are not reindexed", &ok);

	admin_progress(a, &prog, "reindex-replies", "reply indexed", "replies indexed");
	for (s = 0; s < shard_count(m); s++) {
		if (!up[shard_instance(m, s)])
			continue;
		buf_reset(&label);
		admin_shard_label(a, s, &label);
		if (search_reindex_replies(a->db, s, &n) != 0) {
			admin_fail("reindex-replies: %s: stopped after %zu repl%s (server error above); "
			    "run it again", buf_cstr(&label), n, n == 1 ? "y" : "ies");
			ok = false;
		} else if (n > 0) {
			admin_report("reindex-replies: %s: %zu repl%s indexed\n", buf_cstr(&label), n,
			    n == 1 ? "y" : "ies");
		}
		total += n;
		progress_shard_done(&prog, s, total);
	}
	progress_end(&prog);
	if (total == 0)
		printf("reindex-replies: nothing to do%s\n",
		    ok ? "" : " on the shards that could be read");
	else
		printf("reindex-replies: %zu repl%s indexed%s\n", total, total == 1 ? "y" : "ies",
		    ok ? "" : " on the shards that could be read");
	free(up);
	buf_free(&label);
	return ok ? EXIT_DONE : EXIT_FAILED;
}
