/* common.c: what starling-admin's commands share: its messages, progress lines, and how it names
 * and reaches shards and instances (admin.h). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "db.h"
#include "progress.h"
#include "shard.h"
#include "xalloc.h"

#include "admin.h"

/* How long a command waits for an instance to answer a ping: as long as any statement may. */
int
admin_ping_ms(const struct admin *a)
{
	return (int)a->conf.mysql_read_timeout * 1000;
}

/* Prints "starling-admin: message" on stderr, on a line of its own (never after a progress
 * line: quiet or not, errors are printed). */
void
admin_fail(const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	progress_interrupt();
	fprintf(stderr, PROG ": %s\n", buf_cstr(&b));
	buf_free(&b);
}

/* Prints a result line on stdout during a long command: on a clean line, and at once, so an
 * operator watching (or a log) sees how far a long run got. */
void
admin_report(const char *fmt, ...)
{
	va_list ap;

	progress_interrupt();
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

/* Starts the progress of a command over the shards (progress.h): on stderr, as -q says. */
void
admin_progress(const struct admin *a, struct progress *p, const char *what, const char *one,
    const char *many)
{
	progress_start(p, stderr, a->tty, a->quiet, what, one, many, shard_count(db_shards(a->db)));
}

/* ------------------------------------------------------------------------------------------ */
/* Shards and instances */

/* Appends "shard 3 (starling_0003 on 127.0.0.1:3307)": how every message names a shard. */
void
admin_shard_label(const struct admin *a, unsigned s, struct buf *out)
{
	buf_printf(out, "shard %u (", s);
	shard_db_name(a->conf.mysql_database, s, out);
	buf_printf(out, " on %s)",
	    db_instance_name(a->db, shard_instance(db_shards(a->db), s)));
}

/* The lowest shard held by instance i, or NO_SHARD. db.h reaches an instance through a shard,
 * so an instance that holds none takes no statement (only a ping). */
unsigned
admin_first_shard(const struct admin *a, size_t i)
{
	const struct shard_map *m = db_shards(a->db);
	unsigned s;

	for (s = 0; s < shard_count(m); s++)
		if (shard_instance(m, s) == i)
			return s;
	return NO_SHARD;
}

/* Finds out whether shard s's database and its tb_schema_migration exist and, when they do,
 * reads the recorded versions into versions (one column; emptied otherwise). Through
 * information_schema rather than by reading the table and taking the error: db_exec answers a
 * missing table (1146) like any failure, -1 and an error in the log. Returns 0, or -1 when a
 * query failed (db_exec logged the server's error). */
int
admin_shard_versions(struct admin *a, unsigned s, enum shard_state *state, struct db_rows *versions)
{
	struct buf name = BUF_INIT;
	struct db_rows r = DB_ROWS_INIT;
	struct db_val p[2];
	int rc = -1;

	db_rows_free(versions);
	shard_db_name(a->conf.mysql_database, s, &name);
	p[0] = DB_STR(buf_cstr(&name));
	p[1] = p[0];
	if (db_exec(a->db, s, "SELECT "
	    "(SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?), "
	    "(SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? "
	    "AND TABLE_NAME = 'tb_schema_migration')", p, 2, &r) != 0)
		goto out;
	if (db_u64(&r, 0, 0) == 0)
		*state = SHARD_NO_DATABASE;
	else if (db_u64(&r, 0, 1) == 0)
		*state = SHARD_NO_TABLE;
	else if (db_exec(a->db, s, "SELECT version FROM {db}.tb_schema_migration", NULL, 0,
	    versions) != 0)
		goto out;
	else
		*state = SHARD_READY;
	rc = 0;
out:
	db_rows_free(&r);
	buf_free(&name);
	return rc;
}

bool
admin_recorded(const struct db_rows *versions, const char *version)
{
	size_t i;

	for (i = 0; i < versions->nrows; i++)
		if (strcmp(db_str(versions, i, 0), version) == 0)
			return true;
	return false;
}

/* Appends the databases of shards first..last: "starling_0003", or
 * "starling_0003 .. starling_0007". */
void
admin_db_names(const struct admin *a, unsigned first, unsigned last, struct buf *out)
{
	shard_db_name(a->conf.mysql_database, first, out);
	if (last > first) {
		buf_puts(out, " .. ");
		shard_db_name(a->conf.mysql_database, last, out);
	}
}

/* Appends the shard ranges of instance i to out ("0-2, 5"); nothing when it holds none. */
void
admin_instance_ranges(const struct admin *a, size_t i, struct buf *out)
{
	const struct shard_map *m = db_shards(a->db);
	unsigned s = 0, n = shard_count(m), first;
	bool any = false;

	while (s < n) {
		if (shard_instance(m, s) != i) {
			s++;
			continue;
		}
		for (first = s; s + 1 < n && shard_instance(m, s + 1) == i; s++)
			;
		buf_printf(out, "%s%u", any ? ", " : "", first);
		if (s > first)
			buf_printf(out, "-%u", s);
		any = true;
		s++;
	}
}

/* Pings instance i. Returns true when it answers; else false, with why (emptied first) holding
 * the line that reports it: "mysql instance 1 (shards 3-7): <the client's error>". */
bool
admin_instance_up(const struct admin *a, size_t i, struct buf *why)
{
	struct buf cause = BUF_INIT, ranges = BUF_INIT;
	bool up = db_ping_instance(a->db, i, admin_ping_ms(a), &cause) == 0;

	buf_reset(why);
	if (!up) {
		admin_instance_ranges(a, i, &ranges);
		buf_printf(why, "mysql instance %zu (shards %s): %s", i,
		    ranges.len ? buf_cstr(&ranges) : "none", buf_cstr(&cause));
	}
	buf_free(&cause);
	buf_free(&ranges);
	return up;
}

/* Reads s, decimal digits only (no sign, no blank: what jobs prints), into *out. Returns false
 * for anything else, or a number over max. */
bool
admin_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9' || strspn(s, "0123456789") != strlen(s))
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return false;
	*out = (uint64_t)v;
	return true;
}

/* Which instances answer: up[i], allocated for db_instance_count. Each one down is reported on
 * stderr, saying what is not done with it (not_done: "their jobs are not listed"). Returns up, and
 * true in *all_up when none is down. */
bool *
admin_instances_up(const struct admin *a, const char *not_done, bool *all_up)
{
	size_t i, n = db_instance_count(a->db);
	bool *up = xcalloc(n, sizeof *up);
	struct buf why = BUF_INIT;

	*all_up = true;
	for (i = 0; i < n; i++) {
		if ((up[i] = admin_instance_up(a, i, &why)))
			continue;
		admin_fail("%s; %s", buf_cstr(&why), not_done);
		*all_up = false;
	}
	buf_free(&why);
	return up;
}

/* Appends t as ISO 8601 in UTC: "2026-11-21T10:46:00Z". */
void
admin_utc_time(int64_t t, struct buf *out)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char s[32];

	if (gmtime_r(&tt, &tm) == NULL || strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(s, sizeof s, "@%" PRId64, t);
	buf_puts(out, s);
}
