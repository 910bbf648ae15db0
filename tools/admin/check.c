/* check.c: starling-admin check: the instances, memcached nodes, shard databases and their
 * schema, each problem on its line (admin.h). */
#include "config.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cache.h"
#include "db.h"
#include "shard.h"
#include "xalloc.h"

#include "admin.h"

/* ------------------------------------------------------------------------------------------ */
/* check */

/* Prints one problem on its line and counts it. */
static void
problem(size_t *count, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
problem(size_t *count, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	(*count)++;
}

/* One node of cache_ping's message ("host:port: why", n bytes), unless it is a node that
 * answered: when one node is down, cache_ping also lists the others, with libmemcached's last
 * message for them, "SUCCESS". */
static void
cache_problem(size_t *count, const char *p, size_t n)
{
	static const char ok[] = ": SUCCESS";

	if (n >= sizeof ok - 1 && memcmp(p + n - (sizeof ok - 1), ok, sizeof ok - 1) == 0)
		return;
	problem(count, "memcached %.*s", (int)n, p);
}

/* The memcached nodes: cache_ping puts every failing node in one message, "a: why; b: why";
 * a line each. */
static void
check_cache(struct admin *a, size_t *count)
{
	struct buf err = BUF_INIT;
	const char *p, *q;

	if (cache_ping(a->cache, &err) != 0) {
		for (p = buf_cstr(&err); (q = strstr(p, "; ")) != NULL; p = q + 2)
			cache_problem(count, p, (size_t)(q - p));
		cache_problem(count, p, strlen(p));
	}
	buf_free(&err);
}

/* Whether version is one of the sql directory's files. */
static bool
known_version(const struct admin *a, const char *version)
{
	size_t i;

	for (i = 0; i < a->nmig; i++)
		if (strcmp(a->mig[i].version, version) == 0)
			return true;
	return false;
}

/* Shard s: its database exists and has recorded exactly the files of the sql directory. */
static void
check_shard(struct admin *a, unsigned s, size_t *count)
{
	struct buf label = BUF_INIT, list = BUF_INIT;
	struct db_rows versions = DB_ROWS_INIT;
	enum shard_state state;
	size_t i, j;

	admin_shard_label(a, s, &label);
	if (admin_shard_versions(a, s, &state, &versions) != 0) {
		problem(count, "%s: cannot read what it holds (server error above)",
		    buf_cstr(&label));
		goto out;
	}
	if (state == SHARD_NO_DATABASE) {
		problem(count, "%s: database missing (run " PROG " migrate)", buf_cstr(&label));
		goto out;
	}
	for (i = 0; i < a->nmig; i++)
		if (!admin_recorded(&versions, a->mig[i].version))
			buf_printf(&list, "%s%s", list.len ? ", " : "", a->mig[i].version);
	if (list.len)
		problem(count, "%s: not applied: %s (run " PROG " migrate)", buf_cstr(&label),
		    buf_cstr(&list));
	/* Versions these files do not know: the database is newer than this copy of sql/ (an old
	 * release's files, or the wrong -s). */
	buf_reset(&list);
	for (j = 0; j < versions.nrows; j++)
		if (!known_version(a, db_str(&versions, j, 0)))
			buf_printf(&list, "%s%s", list.len ? ", " : "", db_str(&versions, j, 0));
	if (list.len)
		problem(count, "%s: recorded but not in %s: %s (schema files older than the "
		    "database?)", buf_cstr(&label), a->sqldir, buf_cstr(&list));
out:
	db_rows_free(&versions);
	buf_free(&label);
	buf_free(&list);
}

int
cmd_check(struct admin *a)
{
	const struct shard_map *m = db_shards(a->db);
	struct buf err = BUF_INIT;
	size_t i, count = 0, ninst = db_instance_count(a->db);
	unsigned s;
	bool *up = xcalloc(ninst, sizeof *up);

	printf("check: %zu MySQL instance%s, %u shards, %zu schema files in %s\n", ninst,
	    ninst == 1 ? "" : "s", shard_count(m), a->nmig, a->sqldir);
	for (i = 0; i < ninst; i++)
		if (!(up[i] = admin_instance_up(a, i, &err)))
			problem(&count, "%s", buf_cstr(&err));
	check_cache(a, &count);
	/* The shards of a down instance are already counted in its problem. */
	for (s = 0; s < shard_count(m); s++)
		if (up[shard_instance(m, s)])
			check_shard(a, s, &count);
	if (count == 0)
		printf("check: ok\n");
	else
		printf("check: %zu problem%s\n", count, count == 1 ? "" : "s");
	free(up);
	buf_free(&err);
	return count == 0 ? EXIT_DONE : EXIT_FAILED;
}
