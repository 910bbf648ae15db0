/* starling-admin: the operator's tool for the shard databases: makes and migrates them, shows
 * where each one lives, checks that a set-up is complete, and lists and retries the background
 * jobs set aside.
 *
 *	starling-admin [OPTIONS] migrate|shards|check|repair-graph|compute-trends|reindex-replies
 *	starling-admin [OPTIONS] jobs [--limit N]
 *	starling-admin [OPTIONS] retry-job ID|--all
 *	starling-admin [OPTIONS] switch list|set NAME VALUE [--reason TEXT]|clear NAME [--reason TEXT]
 *	OPTIONS: -c/--conf CONF, -s/--sql-dir SQLDIR, -q/--quiet, -h/--help, -V/--version
 *
 * CONF is the configuration the binaries read (default: conf_path(), i.e. $STARLING_CONF or the
 * build-time default); SQLDIR holds the schema files (default: $STARLING_SQL_DIR, else the
 * installed copy under STARLING_DATADIR). The options come before the command, the command's
 * own words after it. The commands that go over every shard show how far they got on stderr
 * (progress.h), which --quiet silences. Exit status: 0 done, 1 failure (a server down, a
 * migration failed, check found problems, a shard whose jobs could not be read, retry-job given
 * an ID that is not a job set aside), 2 usage or configuration error. docs/admin.md says
 * how and when to run each command.
 *
 * Every database access goes through lib/db.h, like the binaries', so the tool reaches the
 * instances with exactly the account, timeouts and shard map they use. Nothing printed ever
 * holds the password: only instance addresses and database names. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cache.h"
#include "cli.h"
#include "conf.h"
#include "ctx.h"
#include "db.h"
#include "graph.h"
#include "id.h"
#include "idlease.h"
#include "job.h"
#include "log.h"
#include "progress.h"
#include "search.h"
#include "shard.h"
#include "switches.h"
#include "trend.h"
#include "xalloc.h"

#ifndef STARLING_DATADIR
#define STARLING_DATADIR "/usr/share/starling"
#endif

#define PROG "starling-admin"
#define USAGE \
	"usage: " PROG " [-q] [-c CONF] [-s SQLDIR] COMMAND [ARGS]\n" \
	"  -c, --conf CONF      the configuration (default: $STARLING_CONF, else the build default)\n" \
	"  -s, --sql-dir SQLDIR  the schema files (default: $STARLING_SQL_DIR, else the installed\n" \
	"                       " STARLING_DATADIR "/sql)\n" \
	"  -q, --quiet          no progress lines on stderr (errors are still printed)\n" \
	"  -h, --help           print this help\n" \
	"  -V, --version        print the version\n" \
	"COMMAND:\n" \
	"  migrate  create every shard database and apply the schema files it has not recorded\n" \
	"  shards   print which instance holds which shards, and each instance's health\n" \
	"  check    check the instances, memcached nodes, shard databases and their schema\n" \
	"  repair-graph  mend follows whose two rows disagree, and follow counts that are wrong\n" \
	"  compute-trends  rank the trending hashtags and popular users now (starling-worker does\n" \
	"                  it every [trends] interval)\n" \
	"  reindex-replies  make the search form of replies written before sql/012 (once, when\n" \
	"                  the upgraded binaries run; safe while the site runs and to run again)\n" \
	"  jobs [--limit N]  list the background jobs set aside (failed " \
	STR(JOB_MAX_ATTEMPTS) " times, or of\n" \
	"                  a type this build does not know) on every shard, oldest failure first:\n" \
	"                  ID, shard, type, attempts, when it last failed (UTC), last error; at\n" \
	"                  most N of them (default " STR(JOBS_LIMIT_DEFAULT) ", at most " \
	STR(JOBS_LIMIT_MAX) "); and how many a switch parked\n" \
	"  retry-job ID|--all  put the job set aside with this ID (as jobs prints it), or every one,\n" \
	"                  back to ready with its attempts at 0; starling-worker runs it again (a\n" \
	"                  cause not fixed sets it aside again after its attempts)\n" \
	"  switch list     the operators' degradation switches: value, who set it, when, why\n" \
	"  switch set NAME VALUE [--reason TEXT]  turn a switch on (on/off, or 0-100 for\n" \
	"                  anon_shed and media_quality); every process sees it within [switches]\n" \
	"                  refresh_seconds\n" \
	"  switch clear NAME [--reason TEXT]  turn it off (done already: still exit 0)\n" \
	"migrate, repair-graph, reindex-replies and retry-job --all show \"shard N of M\", the\n" \
	"rows done and the time taken on stderr: one line redrawn on a terminal, else a line per\n" \
	"shard. Exit: 0 done, 1 failure, 2 usage or configuration error.\n"

enum { EXIT_DONE = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

#define STR_(x) #x
#define STR(x)  STR_(x)

/* jobs: how many lines by default and at most (each shard is read up to the limit, then the
 * oldest of them all are kept), and how much of a last_error a line shows. */
#define JOBS_LIMIT_DEFAULT 100
#define JOBS_LIMIT_MAX     1000
#define JOBS_ERROR_WIDTH   120

/* What the commands take after their name. */
struct cmd_opts {
	size_t      limit;   /* jobs --limit */
	bool        all;     /* retry-job --all */
	const char *id;      /* retry-job ID, as given (retry_one checks it) */
	/* switch: what to do ('l'ist, 's'et, 'c'lear), to which switch, the value and why */
	char        sw_action;
	int         sw_id;
	long        sw_value;
	const char *sw_reason;
};

/* A schema file is a few kilobytes of DDL; anything near this is the wrong file. */
#define SQL_FILE_MAX (1024 * 1024)
/* tb_schema_migration.version is varchar(64) (sql/000_schema_migration.sql). */
#define VERSION_MAX 64
/* Appended to [mysql] database for the migration lock's name ("starling_migrate"), so that
 * sites with different prefixes on one instance do not block each other. */
#define LOCK_SUFFIX "_migrate"
/* Shards have no instance of that number: "this instance holds no shard". */
#define NO_SHARD UINT_MAX

/* One schema file of the sql directory. */
struct migration {
	char       *file;      /* "002_posts.sql" */
	char       *version;   /* "002_posts": what the file records in tb_schema_migration */
	struct buf  text;
};

struct admin {
	const char       *sqldir;
	struct conf       conf;
	struct db        *db;
	struct cache     *cache;      /* check only */
	struct migration *mig;        /* sorted by file name */
	size_t            nmig;
	struct buf        lock_name;  /* <database>_migrate */
	struct cmd_opts   opt;
	bool              quiet;      /* -q: no progress lines */
	bool              tty;        /* stderr is a terminal: progress redrawn in place */
};

/* How long a command waits for an instance to answer a ping: as long as any statement may. */
static int
ping_ms(const struct admin *a)
{
	return (int)a->conf.mysql_read_timeout * 1000;
}

/* What a shard's database holds, as far as migrations go. */
enum shard_state { SHARD_NO_DATABASE, SHARD_NO_TABLE, SHARD_READY };

static void
fail_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "starling-admin: message" on stderr, on a line of its own (never after a progress
 * line: quiet or not, errors are printed). */
static void
fail_msg(const char *fmt, ...)
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

static void
report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints a result line on stdout during a long command: on a clean line, and at once, so an
 * operator watching (or a log) sees how far a long run got. */
static void
report(const char *fmt, ...)
{
	va_list ap;

	progress_interrupt();
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

/* Starts the progress of a command over the shards (progress.h): on stderr, as -q says. */
static void
admin_progress(const struct admin *a, struct progress *p, const char *what, const char *one,
    const char *many)
{
	progress_start(p, stderr, a->tty, a->quiet, what, one, many, shard_count(db_shards(a->db)));
}

/* ------------------------------------------------------------------------------------------ */
/* The sql directory */

/* Whether name (a directory entry ending in ".sql") is NNN_word.sql, word of [a-z0-9_]: the
 * number orders the files, and the version must fit tb_schema_migration. */
static bool
migration_name_ok(const char *name)
{
	size_t i, n = strlen(name) - 4;   /* without ".sql" */

	if (n < 5 || n > VERSION_MAX || name[3] != '_')
		return false;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (i < 3 ? !(c >= '0' && c <= '9') :
		    !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

static int
migration_cmp(const void *a, const void *b)
{
	/* Byte order, as the C locale sorts the names. */
	return strcmp(((const struct migration *)a)->file, ((const struct migration *)b)->file);
}

/* Reads every NNN_name.sql of dir into a->mig, sorted by name. Other files (README, an editor's
 * backup "x.sql~") are ignored. Returns 0, or -1 with a message in err: a directory that cannot
 * be read, holds no .sql file, a file with another name, two files of one number (two branches
 * that both added the next migration), or a file that cannot be read or is empty. */
static int
sqldir_load(struct admin *a, const char *dir, struct buf *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct buf path = BUF_INIT;
	size_t i, cap = 0;
	int rc = -1;

	if (d == NULL) {
		buf_printf(err, "%s: cannot read the schema directory: %s", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		struct migration *m;

		if (e->d_name[0] == '.' || !ends_with(e->d_name, ".sql"))
			continue;
		if (!migration_name_ok(e->d_name)) {
			buf_printf(err, "%s/%s: a schema file is named NNN_name.sql (name of a-z, "
			    "0-9, _; at most %d characters without .sql)", dir, e->d_name,
			    VERSION_MAX);
			goto out;
		}
		if (a->nmig == cap) {
			cap = cap ? cap * 2 : 16;
			a->mig = xrealloc(a->mig, cap * sizeof *a->mig);
		}
		m = &a->mig[a->nmig++];
		m->file = xstrdup(e->d_name);
		m->version = xstrndup(e->d_name, strlen(e->d_name) - 4);
		buf_init(&m->text);
	}
	if (a->nmig == 0) {
		buf_printf(err, "%s: no schema file (NNN_name.sql) in it", dir);
		goto out;
	}
	qsort(a->mig, a->nmig, sizeof *a->mig, migration_cmp);
	for (i = 0; i < a->nmig; i++) {
		struct migration *m = &a->mig[i];

		if (i > 0 && memcmp(m->file, a->mig[i - 1].file, 3) == 0) {
			buf_printf(err, "%s: %s and %s have the same number: renumber one", dir,
			    a->mig[i - 1].file, m->file);
			goto out;
		}
		buf_reset(&path);
		buf_printf(&path, "%s/%s", dir, m->file);
		if (buf_read_file(&m->text, buf_cstr(&path), SQL_FILE_MAX, err) != 0)
			goto out;
		if (m->text.len == 0) {
			buf_printf(err, "%s: empty", buf_cstr(&path));
			goto out;
		}
	}
	rc = 0;
out:
	closedir(d);
	buf_free(&path);
	return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Shards and instances */

/* Appends "shard 3 (starling_0003 on 127.0.0.1:3307)": how every message names a shard. */
static void
shard_label(const struct admin *a, unsigned s, struct buf *out)
{
	buf_printf(out, "shard %u (", s);
	shard_db_name(a->conf.mysql_database, s, out);
	buf_printf(out, " on %s)",
	    db_instance_name(a->db, shard_instance(db_shards(a->db), s)));
}

/* The lowest shard held by instance i, or NO_SHARD. db.h reaches an instance through a shard,
 * so an instance that holds none takes no statement (only a ping). */
static unsigned
first_shard(const struct admin *a, size_t i)
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
static int
shard_versions(struct admin *a, unsigned s, enum shard_state *state, struct db_rows *versions)
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

static bool
recorded(const struct db_rows *versions, const char *version)
{
	size_t i;

	for (i = 0; i < versions->nrows; i++)
		if (strcmp(db_str(versions, i, 0), version) == 0)
			return true;
	return false;
}

/* Appends the databases of shards first..last: "starling_0003", or
 * "starling_0003 .. starling_0007". */
static void
db_names(const struct admin *a, unsigned first, unsigned last, struct buf *out)
{
	shard_db_name(a->conf.mysql_database, first, out);
	if (last > first) {
		buf_puts(out, " .. ");
		shard_db_name(a->conf.mysql_database, last, out);
	}
}

/* Appends the shard ranges of instance i to out ("0-2, 5"); nothing when it holds none. */
static void
instance_ranges(const struct admin *a, size_t i, struct buf *out)
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
static bool
instance_up(const struct admin *a, size_t i, struct buf *why)
{
	struct buf cause = BUF_INIT, ranges = BUF_INIT;
	bool up = db_ping_instance(a->db, i, ping_ms(a), &cause) == 0;

	buf_reset(why);
	if (!up) {
		instance_ranges(a, i, &ranges);
		buf_printf(why, "mysql instance %zu (shards %s): %s", i,
		    ranges.len ? buf_cstr(&ranges) : "none", buf_cstr(&cause));
	}
	buf_free(&cause);
	buf_free(&ranges);
	return up;
}

/* ------------------------------------------------------------------------------------------ */
/* migrate */

/* Takes the migration lock on every instance that holds a shard, in instance order, without
 * waiting: a second migrate finds it held and stops before touching anything. The lock belongs
 * to the session, so it also goes when the process dies (a killed migrate blocks nothing).
 * Returns 0, or -1 after printing why. */
static int
migrate_lock(struct admin *a)
{
	struct db_rows r = DB_ROWS_INIT;
	struct db_val p[2];
	size_t i;
	unsigned s;
	int rc = -1;

	p[0] = DB_STR(buf_cstr(&a->lock_name));
	p[1] = p[0];
	for (i = 0; i < db_instance_count(a->db); i++) {
		if ((s = first_shard(a, i)) == NO_SHARD)
			continue;
		if (db_exec(a->db, s, "SELECT GET_LOCK(?, 0), IS_USED_LOCK(?)", p, 2, &r) != 0) {
			fail_msg("%s: cannot take the migration lock %s (server error above)",
			    db_instance_name(a->db, i), buf_cstr(&a->lock_name));
			goto out;
		}
		if (db_u64(&r, 0, 0) != 1) {
			fail_msg("another migration is running: the lock %s on %s is held by "
			    "connection %s; nothing was done, run migrate again once it has "
			    "finished",
			    buf_cstr(&a->lock_name), db_instance_name(a->db, i),
			    db_is_null(&r, 0, 1) ? "(gone)" : db_str(&r, 0, 1));
			goto out;
		}
	}
	rc = 0;
out:
	db_rows_free(&r);
	return rc;
}

/* Whether this process still holds the migration lock on shard s's instance: a connection that
 * was lost and opened again by db.c has lost its lock with it. */
static bool
migrate_lock_held(struct admin *a, unsigned s)
{
	struct db_rows r = DB_ROWS_INIT;
	struct db_val p = DB_STR(buf_cstr(&a->lock_name));
	bool held;

	held = db_exec(a->db, s, "SELECT IS_USED_LOCK(?) = CONNECTION_ID()", &p, 1, &r) == 0 &&
	    db_u64(&r, 0, 0) == 1;
	db_rows_free(&r);
	return held;
}

/* Releases what migrate_lock took (closing the connections would too; this says so at once). */
static void
migrate_unlock(struct admin *a)
{
	struct db_val p = DB_STR(buf_cstr(&a->lock_name));
	size_t i;
	unsigned s;

	for (i = 0; i < db_instance_count(a->db); i++)
		if ((s = first_shard(a, i)) != NO_SHARD)
			(void)db_exec(a->db, s, "SELECT RELEASE_LOCK(?)", &p, 1, NULL);
}

/* Brings shard s up to date: its database, then every file it has not recorded, in order. Each
 * file records itself as its last statement, so a run killed at any point leaves the files it
 * finished recorded and the one it was in unrecorded, and that one is idempotent: the next run
 * simply applies it again. Adds the files applied to *applied. Returns 0, or -1 after printing
 * which shard, instance and file failed, and the server's error. */
static int
migrate_shard(struct admin *a, unsigned s, size_t *applied)
{
	struct buf label = BUF_INIT, err = BUF_INIT;
	struct db_rows versions = DB_ROWS_INIT;
	enum shard_state state;
	size_t i;
	int rc = -1;

	shard_label(a, s, &label);
	if (db_create_shard_database(a->db, s, &err) != 0) {
		fail_msg("%s: cannot create the database: %s", buf_cstr(&label), buf_cstr(&err));
		goto out;
	}
	if (shard_versions(a, s, &state, &versions) != 0) {
		fail_msg("%s: cannot read tb_schema_migration (server error above)",
		    buf_cstr(&label));
		goto out;
	}
	for (i = 0; i < a->nmig; i++) {
		const struct migration *m = &a->mig[i];

		if (recorded(&versions, m->version))
			continue;
		if (!migrate_lock_held(a, s)) {
			fail_msg("%s: lost the migration lock %s (connection lost?) before %s; "
			    "run migrate again", buf_cstr(&label), buf_cstr(&a->lock_name),
			    m->file);
			goto out;
		}
		if (db_run_script(a->db, s, m->text.data, m->text.len, &err) != 0) {
			fail_msg("%s: %s/%s failed: %s", buf_cstr(&label), a->sqldir, m->file,
			    buf_cstr(&err));
			goto out;
		}
		/* A file that does not record itself would run again at every migrate, and check
		 * would never pass: stop at the first one. */
		if (shard_versions(a, s, &state, &versions) != 0 ||
		    !recorded(&versions, m->version)) {
			fail_msg("%s: %s/%s ran but did not record itself: it must end with INSERT "
			    "IGNORE INTO tb_schema_migration (version, applied_at) VALUES ('%s', "
			    "UNIX_TIMESTAMP())", buf_cstr(&label), a->sqldir, m->file, m->version);
			goto out;
		}
		report("%s: applied %s\n", buf_cstr(&label), m->version);
		(*applied)++;
	}
	rc = 0;
out:
	db_rows_free(&versions);
	buf_free(&label);
	buf_free(&err);
	return rc;
}

static int
cmd_migrate(struct admin *a)
{
	struct buf err = BUF_INIT;
	struct progress prog;
	unsigned s, n = shard_count(db_shards(a->db));
	size_t i, applied = 0;
	int rc = EXIT_FAILED;

	/* Every instance first: a migration that can only reach some of them would leave the
	 * shards at different versions for no reason. */
	for (i = 0; i < db_instance_count(a->db); i++) {
		if (first_shard(a, i) != NO_SHARD && db_ping_instance(a->db, i, ping_ms(a), &err) != 0) {
			fail_msg("cannot reach MySQL instance %zu: %s; nothing was done", i,
			    buf_cstr(&err));
			goto out;
		}
	}
	if (migrate_lock(a) != 0)
		goto out;
	admin_progress(a, &prog, "migrate", "file applied", "files applied");
	for (s = 0; s < n; s++) {
		if (migrate_shard(a, s, &applied) != 0) {
			progress_end(&prog);
			goto unlock;
		}
		progress_shard_done(&prog, s, applied);
	}
	progress_end(&prog);
	if (applied == 0)
		printf("migrate: nothing to apply: all %u shards have all %zu files of %s\n", n,
		    a->nmig, a->sqldir);
	else
		printf("migrate: applied %zu files; all %u shards have all %zu files of %s\n",
		    applied, n, a->nmig, a->sqldir);
	rc = EXIT_DONE;
unlock:
	migrate_unlock(a);
out:
	buf_free(&err);
	return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* shards */

static int
cmd_shards(struct admin *a)
{
	const struct shard_map *m = db_shards(a->db);
	struct buf err = BUF_INIT, name = BUF_INIT;
	struct db_rows r = DB_ROWS_INIT;
	unsigned s, last, n = shard_count(m);
	size_t i, ninst = db_instance_count(a->db);
	int rc = EXIT_DONE;

	db_names(a, 0, n - 1, &name);
	printf("%u logical shards (databases %s) over %zu instance%s:\n", n, buf_cstr(&name),
	    ninst, ninst == 1 ? "" : "s");
	/* The map, a line per run of consecutive shards on one instance. */
	for (s = 0; s < n; s = last + 1) {
		size_t inst = shard_instance(m, s);

		for (last = s; last + 1 < n && shard_instance(m, last + 1) == inst; last++)
			;
		buf_reset(&name);
		db_names(a, s, last, &name);
		if (last > s)
			printf("  %u-%u -> %s  (%s)\n", s, last, db_instance_name(a->db, inst),
			    buf_cstr(&name));
		else
			printf("  %u -> %s  (%s)\n", s, db_instance_name(a->db, inst),
			    buf_cstr(&name));
	}
	for (i = 0; i < ninst; i++) {
		buf_reset(&err);
		buf_reset(&name);
		instance_ranges(a, i, &name);
		if (db_ping_instance(a->db, i, ping_ms(a), &err) != 0) {
			/* err names the instance already. */
			printf("instance %zu: DOWN: %s\n", i, buf_cstr(&err));
			rc = EXIT_FAILED;
		} else if ((s = first_shard(a, i)) == NO_SHARD) {
			printf("instance %zu %s: ok, holds no shard\n", i,
			    db_instance_name(a->db, i));
		} else if (db_exec(a->db, s, "SELECT VERSION()", NULL, 0, &r) != 0) {
			printf("instance %zu %s: answers ping, but SELECT VERSION() failed (error "
			    "above)\n", i, db_instance_name(a->db, i));
			rc = EXIT_FAILED;
		} else {
			printf("instance %zu %s: ok, %s, shards %s\n", i,
			    db_instance_name(a->db, i), db_str(&r, 0, 0), buf_cstr(&name));
		}
	}
	if (rc != EXIT_DONE)
		fail_msg("shards: an instance is down or failing (above)");
	db_rows_free(&r);
	buf_free(&err);
	buf_free(&name);
	return rc;
}

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

	shard_label(a, s, &label);
	if (shard_versions(a, s, &state, &versions) != 0) {
		problem(count, "%s: cannot read what it holds (server error above)",
		    buf_cstr(&label));
		goto out;
	}
	if (state == SHARD_NO_DATABASE) {
		problem(count, "%s: database missing (run " PROG " migrate)", buf_cstr(&label));
		goto out;
	}
	for (i = 0; i < a->nmig; i++)
		if (!recorded(&versions, a->mig[i].version))
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

static int
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
		if (!(up[i] = instance_up(a, i, &err)))
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
		if (db_exec(env->db, shard, pass->scan_sql, (struct db_val[]){ DB_U64(a), DB_U64(a),
		    DB_U64(b), DB_I64(REPAIR_BATCH) }, 4, &r) != 0) {
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
			if (db_exec(env->db, id_shard(b), pass->other_sql, (struct db_val[]){ DB_U64(b),
			    DB_U64(a), DB_U64(id) }, 3, &o) != 0) {
				rc = -1;
				break;
			}
			if (o.nrows > 0)
				continue;
			buf_reset(&err);
			if (graph_sync_pair(env, follower, followee, &changed, &err) != 0) {
				fail_msg("follow %" PRIu64 " -> %" PRIu64 ": %s", follower, followee,
				    buf_cstr(&err));
				rc = -1;
				break;
			}
			if (changed) {
				report("repair-graph: follow %" PRIu64 " -> %" PRIu64 " mended\n",
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

/* Sets count_followers and count_followings of shard's users to what their rows say, where they
 * differ, and drops the cached counters of those users. */
static int
repair_counts(struct app_env *env, unsigned shard, size_t *fixed)
{
	static const char *const counted =
	    "(SELECT COUNT(*) FROM {db}.tb_user_relationship_reversed r WHERE r.user_id = e.user_id)";
	static const char *const counting =
	    "(SELECT COUNT(*) FROM {db}.tb_user_relationship f WHERE f.user_id = e.user_id AND "
	    "f.status_follow = 1)";
	struct db_rows r = DB_ROWS_INIT;
	struct buf sql = BUF_INIT;
	char key[40];
	size_t i;
	int rc;

	buf_printf(&sql, "SELECT e.user_id FROM {db}.tb_user_extended e WHERE count_followers <> %s "
	    "OR count_followings <> %s", counted, counting);
	rc = db_exec(env->db, shard, buf_cstr(&sql), NULL, 0, &r);
	for (i = 0; i < r.nrows && rc == 0; i++) {
		buf_reset(&sql);
		buf_printf(&sql, "UPDATE {db}.tb_user_extended e SET count_followers = %s, "
		    "count_followings = %s WHERE e.user_id = ?", counted, counting);
		rc = db_exec(env->db, shard, buf_cstr(&sql),
		    (struct db_val[]){ DB_U64(db_u64(&r, i, 0)) }, 1, NULL);
		if (rc == 0) {
			report("repair-graph: counts of user %s corrected\n", db_str(&r, i, 0));
			snprintf(key, sizeof key, "userx:%s", db_str(&r, i, 0));
			(void)cache_delete(env->cache, key);
			(*fixed)++;
		}
	}
	db_rows_free(&r);
	buf_free(&sql);
	return rc == 0 ? 0 : -1;
}

/* Every forward follow without its reversed row (or with another id), every reversed row without
 * a live forward row, then the counts. Each pair is mended by follow.sync's logic, so running it
 * while users follow and unfollow is safe, and running it twice finds nothing the second time. */
static int
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
		fail_msg("repair-graph stopped: a database failed (see the log); run it again");
		return EXIT_FAILED;
	}
	printf("repair-graph: %zu follow%s mended, %zu user%s' counts corrected%s\n", mended,
	    mended == 1 ? "" : "s", fixed, fixed == 1 ? "" : "s",
	    mended + fixed == 0 ? ": nothing to do" : "");
	return EXIT_DONE;
}

/* compute-trends: what starling-worker runs every [trends] interval, at once (after editors
 * changed their picks' numbers, or to see a ranking without waiting). */
static int
cmd_compute_trends(struct admin *a)
{
	struct app_env env;

	memset(&env, 0, sizeof env);
	/* A shallow copy: env is not freed, the admin's own conf is. */
	env.conf = a->conf;
	env.db = a->db;
	env.cache = a->cache;
	if (trend_compute(&env) != 0) {
		fail_msg("compute-trends: a database failed (see the log); run it again");
		return EXIT_FAILED;
	}
	printf("compute-trends: done\n");
	return EXIT_DONE;
}

/* ------------------------------------------------------------------------------------------ */
/* jobs, retry-job: the background jobs set aside (lib/job.h) */

/* Reads s, decimal digits only (no sign, no blank: what jobs prints), into *out. Returns false
 * for anything else, or a number over max. */
static bool
parse_u64(const char *s, uint64_t max, uint64_t *out)
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
static bool *
instances_up(const struct admin *a, const char *not_done, bool *all_up)
{
	size_t i, n = db_instance_count(a->db);
	bool *up = xcalloc(n, sizeof *up);
	struct buf why = BUF_INIT;

	*all_up = true;
	for (i = 0; i < n; i++) {
		if ((up[i] = instance_up(a, i, &why)))
			continue;
		fail_msg("%s; %s", buf_cstr(&why), not_done);
		*all_up = false;
	}
	buf_free(&why);
	return up;
}

/* Appends t as ISO 8601 in UTC: "2026-11-21T10:46:00Z". */
static void
utc_time(int64_t t, struct buf *out)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char s[32];

	if (gmtime_r(&tt, &tm) == NULL || strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(s, sizeof s, "@%" PRId64, t);
	buf_puts(out, s);
}

/* One job a line, columns as the header; type and last_error escaped (job_error_shown): rows may
 * have been written by hand, and a control character must not reach the terminal. */
static void
jobs_print(const struct job_failed_list *l)
{
	struct buf type = BUF_INIT, when = BUF_INIT, error = BUF_INIT;
	size_t i;

	printf("%-20s %5s  %-20s %8s  %-20s  %s\n", "ID", "SHARD", "TYPE", "ATTEMPTS",
	    "FAILED (UTC)", "LAST ERROR");
	for (i = 0; i < l->n; i++) {
		const struct job_failed *j = &l->v[i];

		buf_reset(&type);
		buf_reset(&when);
		buf_reset(&error);
		job_error_shown(&type, j->type, JOB_TYPE_MAX);
		utc_time(j->failed_at, &when);
		job_error_shown(&error, j->last_error, JOBS_ERROR_WIDTH);
		printf("%-20" PRIu64 " %5u  %-20s %8u  %-20s  %s\n", j->id, j->shard,
		    buf_cstr(&type), j->attempts, buf_cstr(&when), buf_cstr(&error));
	}
	buf_free(&type);
	buf_free(&when);
	buf_free(&error);
}

/* Every shard's jobs set aside, the oldest failures first. Each shard gives its oldest limit,
 * and the list is trimmed to limit after each, so it never holds more than twice the limit
 * however many shards there are. An instance down or a shard that cannot be read is reported
 * and skipped: the others are listed, and the exit status is 1. */
static int
cmd_jobs(struct admin *a)
{
	const struct shard_map *m = db_shards(a->db);
	struct job_failed_list list = JOB_FAILED_LIST_INIT;
	struct buf label = BUF_INIT;
	size_t limit = a->opt.limit;
	const char *partial;
	long n, parked, total = 0, total_parked = 0;
	unsigned s;
	bool ok, *up = instances_up(a, "their jobs are not listed", &ok);

	for (s = 0; s < shard_count(m); s++) {
		if (!up[shard_instance(m, s)])
			continue;
		if ((n = job_count_failed(a->db, s)) < 0 ||
		    (parked = job_count_parked(a->db, s)) < 0 ||
		    (n > 0 && job_list_failed(a->db, s, limit, &list) < 0)) {
			buf_reset(&label);
			shard_label(a, s, &label);
			fail_msg("%s: cannot read its jobs (server error above); not listed",
			    buf_cstr(&label));
			ok = false;
			continue;
		}
		total += n;
		total_parked += parked;
		job_failed_list_trim(&list, limit);
	}
	if (list.n > 0)
		jobs_print(&list);
	/* Shards not read are not counted: the count says so. */
	partial = ok ? "" : " on the shards that could be read";
	if (total == 0)
		printf("jobs: no job set aside%s\n", partial);
	else if ((size_t)total > list.n)
		printf("jobs: %ld jobs set aside%s, %zu shown: the oldest failures (--limit %zu)\n",
		    total, partial, list.n, limit);
	else
		printf("jobs: %ld job%s set aside%s\n", total, total == 1 ? "" : "s", partial);
	if (total_parked > 0)
		printf("jobs: %ld job%s parked by a switch%s (fanout_hold, notify_off: switch list); "
		    "released a few a second once it is off\n", total_parked,
		    total_parked == 1 ? "" : "s", partial);
	free(up);
	job_failed_list_free(&list);
	buf_free(&label);
	return ok ? EXIT_DONE : EXIT_FAILED;
}

/* Why job id of shard was not put back, from job_retry's state. */
static const char *
not_retried(int state)
{
	switch (state) {
	case JOB_READY:
		return "is ready already (queued, or waiting for its next attempt)";
	case JOB_RUNNING:
		return "is running now";
	case JOB_DONE:
		return "is done";
	case -1:
		return "does not exist (done and cleaned up, or not an ID that jobs printed)";
	default:
		return "is in an unknown state";
	}
}

/* retry-job ID: the shard is the ID's own (a job's ID is made on the shard that queues it). */
static int
retry_one(struct admin *a, const char *arg)
{
	unsigned s, n = shard_count(db_shards(a->db));
	struct buf label = BUF_INIT;
	int rc = EXIT_FAILED, state = -1;
	uint64_t id;

	if (!parse_u64(arg, UINT64_MAX, &id) || id == 0) {
		/* Quoted escaped and cut: it may come from a script, with anything in it. */
		job_error_shown(&label, arg, 64);
		fail_msg("retry-job: \"%s\" is not a job ID (the decimal number in the first column "
		    "of jobs); nothing changed", buf_cstr(&label));
		goto out;
	}
	if ((s = id_shard(id)) >= n) {
		fail_msg("retry-job: %" PRIu64 " is no job ID of this site: it names shard %u, and "
		    "there are %u (0-%u); nothing changed", id, s, n, n - 1);
		goto out;
	}
	shard_label(a, s, &label);
	switch (job_retry(a->db, s, id, &state)) {
	case 1:
		printf("retry-job: job %" PRIu64 " on %s is ready again; starling-worker runs it on "
		    "its next pass\n", id, buf_cstr(&label));
		rc = EXIT_DONE;
		break;
	case 0:
		fail_msg("retry-job: job %" PRIu64 " on %s %s: only a job set aside is retried; "
		    "nothing changed", id, buf_cstr(&label), not_retried(state));
		break;
	default:
		fail_msg("retry-job: %s: cannot put job %" PRIu64 " back (server error above)",
		    buf_cstr(&label), id);
		break;
	}
out:
	buf_free(&label);
	return rc;
}

/* retry-job --all: shard by shard; one that cannot be reached is reported, the others done. */
static int
retry_all(struct admin *a)
{
	const struct shard_map *m = db_shards(a->db);
	struct buf label = BUF_INIT;
	struct progress prog;
	long n, total = 0;
	unsigned s;
	bool ok, *up = instances_up(a, "their jobs are not retried", &ok);

	admin_progress(a, &prog, "retry-job", "job ready again", "jobs ready again");
	for (s = 0; s < shard_count(m); s++) {
		if (!up[shard_instance(m, s)])
			continue;
		buf_reset(&label);
		shard_label(a, s, &label);
		if ((n = job_retry_all(a->db, s)) < 0) {
			fail_msg("retry-job: %s: cannot put its jobs back (server error above)",
			    buf_cstr(&label));
			ok = false;
		} else if (n > 0) {
			report("retry-job: %s: %ld job%s ready again\n", buf_cstr(&label), n,
			    n == 1 ? "" : "s");
			total += n;
		}
		progress_shard_done(&prog, s, (uint64_t)total);
	}
	progress_end(&prog);
	if (total == 0)
		printf("retry-job: no job set aside%s\n", ok ? "" : " on the shards that could be read");
	else
		printf("retry-job: %ld job%s ready again; starling-worker runs them on its next pass\n",
		    total, total == 1 ? "" : "s");
	free(up);
	buf_free(&label);
	return ok ? EXIT_DONE : EXIT_FAILED;
}

static int
cmd_retry_job(struct admin *a)
{
	return a->opt.all ? retry_all(a) : retry_one(a, a->opt.id);
}

/* ------------------------------------------------------------------------------------------ */
/* switch: the operators' degradation switches (lib/switches.h, docs/operations.md) */

/* "user@host" of whoever runs this: the account sudo was run from, else the process's. */
static void
who_sets(char *out, size_t size)
{
	const char *user = getenv("SUDO_USER");
	struct passwd *pw;
	char host[64];

	if (user == NULL || *user == '\0')
		user = (pw = getpwuid(geteuid())) != NULL ? pw->pw_name : "?";
	if (gethostname(host, sizeof host) != 0)
		snprintf(host, sizeof host, "?");
	host[sizeof host - 1] = '\0';
	snprintf(out, size, "%s@%s", user, host);
}

static void
switch_value_shown(enum switch_id id, long v, struct buf *out)
{
	if (switches_def(id)->max == 1)
		buf_puts(out, v ? "on" : "off");
	else if (v == 0)
		buf_puts(out, "off");
	else
		buf_printf(out, "%ld", v);
}

static int
switch_list(struct admin *a, const struct switch_state *st)
{
	struct buf when = BUF_INIT, value = BUF_INIT;
	int i;

	printf("%-14s %-5s  %-20s  %-24s  %s\n", "NAME", "VALUE", "SINCE (UTC)", "SET BY",
	    "REASON");
	for (i = 0; i < SWITCH_COUNT; i++) {
		buf_reset(&when);
		buf_reset(&value);
		switch_value_shown((enum switch_id)i, st[i].value, &value);
		if (st[i].updated_at > 0)
			utc_time(st[i].updated_at, &when);
		else
			buf_puts(&when, "-");
		printf("%-14s %-5s  %-20s  %-24s  %s\n", switches_def((enum switch_id)i)->name,
		    buf_cstr(&value), buf_cstr(&when), st[i].set_by[0] ? st[i].set_by : "-",
		    st[i].reason[0] ? st[i].reason : switches_def((enum switch_id)i)->what);
	}
	printf("(every process reads them every %ld s: [switches] refresh_seconds)\n",
	    a->conf.switches_refresh_seconds);
	buf_free(&when);
	buf_free(&value);
	return EXIT_DONE;
}

/* switch list | set | clear: one read of tb_switch (shard 0), then the write, if any. */
static int
cmd_switch(struct admin *a)
{
	struct switch_state st[SWITCH_COUNT];
	struct buf was = BUF_INIT, now = BUF_INIT;
	enum switch_id id = (enum switch_id)a->opt.sw_id;
	const char *name;
	char by[SWITCH_SET_BY_MAX + 1];
	int rc = EXIT_FAILED;

	if (switches_read(a->db, st) != 0) {
		fail_msg("switch: cannot read tb_switch on shard 0 (server error above; did migrate "
		    "run?)");
		return EXIT_FAILED;
	}
	if (a->opt.sw_action == 'l')
		return switch_list(a, st);
	name = switches_def(id)->name;
	switch_value_shown(id, st[id].value, &was);
	switch_value_shown(id, a->opt.sw_value, &now);
	if (a->opt.sw_action == 'c' && st[id].value == 0) {
		printf("switch %s: off already; nothing changed\n", name);
		rc = EXIT_DONE;
		goto out;
	}
	who_sets(by, sizeof by);
	if (switches_store(a->db, id, a->opt.sw_value, a->opt.sw_reason ? a->opt.sw_reason : "",
	    by) != 0) {
		fail_msg("switch %s: cannot write tb_switch on shard 0 (server error above); nothing "
		    "changed", name);
		goto out;
	}
	printf("switch %s: %s -> %s (set by %s%s%s); every process sees it within %ld s\n", name,
	    buf_cstr(&was), buf_cstr(&now), by, a->opt.sw_reason ? ": " : "",
	    a->opt.sw_reason ? a->opt.sw_reason : "", a->conf.switches_refresh_seconds);
	rc = EXIT_DONE;
out:
	buf_free(&was);
	buf_free(&now);
	return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* reindex-replies: the search form of replies written before sql/012_reply_search.sql */

/* Shard by shard (search_reindex_replies); one that cannot be reached is reported, the others
 * done. Safe while the site runs, and to run again: a second run finds nothing to fill. */
static int
cmd_reindex_replies(struct admin *a)
{
	const struct shard_map *m = db_shards(a->db);
	struct buf label = BUF_INIT;
	struct progress prog;
	size_t n, total = 0;
	unsigned s;
	bool ok, *up = instances_up(a, "their replies are not reindexed", &ok);

	admin_progress(a, &prog, "reindex-replies", "reply indexed", "replies indexed");
	for (s = 0; s < shard_count(m); s++) {
		if (!up[shard_instance(m, s)])
			continue;
		buf_reset(&label);
		shard_label(a, s, &label);
		if (search_reindex_replies(a->db, s, &n) != 0) {
			fail_msg("reindex-replies: %s: stopped after %zu repl%s (server error above); "
			    "run it again", buf_cstr(&label), n, n == 1 ? "y" : "ies");
			ok = false;
		} else if (n > 0) {
			report("reindex-replies: %s: %zu repl%s indexed\n", buf_cstr(&label), n,
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

/* ------------------------------------------------------------------------------------------ */
/* Set-up */

/* How the usage errors and --help are printed (cli.h). */
static const struct cli cli = { PROG, USAGE };

/* The words a command takes after its name (the global options taken out), into opt: 0, or -1
 * after cli_usage_error. */
typedef int (*cmd_parse_fn)(int n, char **w, struct cmd_opts *opt);

/* jobs [--limit N] */
static int
parse_jobs(int n, char **w, struct cmd_opts *opt)
{
	uint64_t v;
	int i;

	for (i = 0; i < n; i++) {
		if (strcmp(w[i], "--limit") != 0) {
			cli_usage_error(&cli, "jobs: unknown argument \"%s\" (jobs [--limit N])",
			    w[i]);
			return -1;
		}
		if (++i == n || !parse_u64(w[i], JOBS_LIMIT_MAX, &v) || v == 0) {
			cli_usage_error(&cli, "jobs: --limit needs a number from 1 to %d",
			    JOBS_LIMIT_MAX);
			return -1;
		}
		opt->limit = (size_t)v;
	}
	return 0;
}

/* retry-job ID|--all. The ID is checked when it is used (retry_one): one that names no job set
 * aside, malformed or not, is a failure (exit 1), like an unknown one, not a usage error. */
static int
parse_retry_job(int n, char **w, struct cmd_opts *opt)
{
	if (n == 1 && strcmp(w[0], "--all") == 0)
		opt->all = true;
	else if (n == 1 && strcmp(w[0], "--") != 0 && (w[0][0] != '-' || w[0][1] == '\0'))
		opt->id = w[0];
	else if (n == 0)
		cli_usage_error(&cli, "retry-job needs a job ID (as jobs prints it) or --all");
	else if (n == 1)
		cli_usage_error(&cli, "retry-job: unknown option %s", w[0]);
	else
		cli_usage_error(&cli, "retry-job takes one job ID or --all, not %d arguments", n);
	return opt->all || opt->id != NULL ? 0 : -1;
}

/* switch list | set NAME VALUE [--reason TEXT] | clear NAME [--reason TEXT]: every name, value
 * and reason checked here, before anything is read. */
static int
parse_switch(int n, char **w, struct cmd_opts *opt)
{
	const char *why;
	int k = 0;

	if (n == 0 || (strcmp(w[0], "list") != 0 && strcmp(w[0], "set") != 0 &&
	    strcmp(w[0], "clear") != 0)) {
		cli_usage_error(&cli, "switch needs list, set NAME VALUE or clear NAME");
		return -1;
	}
	opt->sw_action = w[0][0];
	if (opt->sw_action == 'l') {
		if (n > 1) {
			cli_usage_error(&cli, "switch list takes nothing more, not \"%s\"", w[1]);
			return -1;
		}
		return 0;
	}
	/* The words after the action: NAME, VALUE (set), and --reason TEXT anywhere after. */
	for (k = 1; k < n; k++) {
		if (strcmp(w[k], "--reason") == 0) {
			if (++k == n || !switches_reason_ok(w[k])) {
				cli_usage_error(&cli, "switch: --reason needs a text of at most %d "
				    "bytes, without control characters", SWITCH_REASON_MAX);
				return -1;
			}
			opt->sw_reason = w[k];
		} else if (opt->sw_id < 0) {
			if ((opt->sw_id = switches_find(w[k])) < 0) {
				struct buf names = BUF_INIT;
				int i;

				for (i = 0; i < SWITCH_COUNT; i++)
					buf_printf(&names, "%s%s", i ? ", " : "",
					    switches_def((enum switch_id)i)->name);
				cli_usage_error(&cli, "switch: no switch is named \"%.64s\"; the "
				    "switches are %s", w[k], buf_cstr(&names));
				buf_free(&names);
				return -1;
			}
		} else if (opt->sw_action == 's' && opt->sw_value < 0) {
			if ((why = switches_parse_value((enum switch_id)opt->sw_id, w[k],
			    &opt->sw_value)) != NULL) {
				cli_usage_error(&cli, "switch set %s: the value \"%.64s\" %s",
				    switches_def((enum switch_id)opt->sw_id)->name, w[k], why);
				return -1;
			}
		} else {
			cli_usage_error(&cli, "switch %s: unexpected \"%.64s\"", w[0], w[k]);
			return -1;
		}
	}
	if (opt->sw_id < 0) {
		cli_usage_error(&cli, "switch %s needs the NAME of a switch", w[0]);
		return -1;
	}
	if (opt->sw_action == 's' && opt->sw_value < 0) {
		cli_usage_error(&cli, "switch set %s needs a VALUE",
		    switches_def((enum switch_id)opt->sw_id)->name);
		return -1;
	}
	if (opt->sw_action == 'c')
		opt->sw_value = 0;
	return 0;
}

struct command {
	const char  *name;
	int        (*run)(struct admin *a);
	cmd_parse_fn parse;         /* NULL: the command takes no argument */
	bool         needs_sql;     /* reads the sql directory */
	bool         needs_cache;   /* talks to memcached */
};

static const struct command commands[] = {
	{ "migrate", cmd_migrate, NULL, true,  false },
	{ "shards",  cmd_shards,  NULL, false, false },
	{ "check",   cmd_check,   NULL, true,  true  },
	{ "repair-graph", cmd_repair_graph, NULL, false, true },
	{ "compute-trends", cmd_compute_trends, NULL, false, true },
	{ "reindex-replies", cmd_reindex_replies, NULL, false, false },
	{ "jobs", cmd_jobs, parse_jobs, false, false },
	{ "retry-job", cmd_retry_job, parse_retry_job, false, false },
	{ "switch", cmd_switch, parse_switch, false, false },
};

struct args {
	const char           *conf;
	const char           *sqldir;
	bool                  quiet;
	const struct command *command;
	struct cmd_opts       opt;
};

/* Fills a from argv: the options (cli.h) up to the first other word, which is the command, and
 * every word after it the command's (its parse reads them: "jobs --limit 5"). Returns 0, or a
 * cli_next after --help or --version (CLI_EXIT_OK) or a usage error (CLI_EXIT_USAGE). */
static int
parse_args(int argc, char *argv[], struct args *a)
{
	static const struct option opts[] = {
		{ "conf",    required_argument, NULL, 'c' },
		{ "sql-dir", required_argument, NULL, 's' },
		{ "quiet",   no_argument,       NULL, 'q' },
		{ "help",    no_argument,       NULL, 'h' },
		{ "version", no_argument,       NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *name;
	char **words;
	size_t k;
	int c, n;

	/* '+': the options stop at the command, so that its own (--limit, --all) are its own. */
	while ((c = cli_getopt(&cli, argc, argv, "+:c:s:qhV", opts)) > 0) {
		if (c == 'q') {
			a->quiet = true;
			continue;
		}
		if (*optarg == '\0') {
			cli_usage_error(&cli, "-%c needs a path", c);
			return CLI_EXIT_USAGE;
		}
		if (c == 'c')
			a->conf = optarg;
		else
			a->sqldir = optarg;
	}
	if (c != CLI_END)
		return c;
	if (optind == argc) {
		cli_usage_error(&cli, "no command given");
		return CLI_EXIT_USAGE;
	}
	name = argv[optind];
	words = argv + optind + 1;
	n = argc - optind - 1;
	for (k = 0; k < sizeof commands / sizeof commands[0]; k++)
		if (strcmp(name, commands[k].name) == 0)
			a->command = &commands[k];
	if (a->command == NULL) {
		cli_usage_error(&cli, "unknown command \"%s\"", name);
		return CLI_EXIT_USAGE;
	}
	if (a->command->parse != NULL)
		return a->command->parse(n, words, &a->opt) == 0 ? 0 : CLI_EXIT_USAGE;
	if (n > 0 && words[0][0] == '-' && words[0][1] != '\0') {
		cli_usage_error(&cli, "unknown option %s (the options come before the command)",
		    words[0]);
		return CLI_EXIT_USAGE;
	}
	if (n > 0) {
		cli_usage_error(&cli, "one command only; \"%s\" is one too many", words[0]);
		return CLI_EXIT_USAGE;
	}
	return 0;
}

/* Loads what the command needs: the configuration, the database client, and the sql directory
 * or the memcached client when the command uses them. Returns 0, or -1 with a message in err
 * (a configuration problem: exit 2). */
static int
admin_setup(struct admin *a, const struct args *args, struct buf *err)
{
	conf_defaults(&a->conf);
	if (conf_load(&a->conf, args->conf, err) != 0)
		return -1;
	log_set_level(a->conf.log_level);
	if ((a->db = db_new(&a->conf, err)) == NULL) {
		/* db_new's messages name the key; say which file it came from. */
		buf_printf(err, " (in %s)", args->conf);
		return -1;
	}
	/* Migrations and repairs read whole shards: only the read timeout bounds them. */
	db_set_statement_timeout(a->db, 0);
	buf_printf(&a->lock_name, "%s" LOCK_SUFFIX, a->conf.mysql_database);
	if (args->command->needs_sql && sqldir_load(a, a->sqldir, err) != 0)
		return -1;
	if (args->command->needs_cache && (a->cache = cache_new(&a->conf, err)) == NULL) {
		buf_printf(err, " (in %s)", args->conf);
		return -1;
	}
	return 0;
}

static void
admin_free(struct admin *a)
{
	size_t i;

	for (i = 0; i < a->nmig; i++) {
		free(a->mig[i].file);
		free(a->mig[i].version);
		buf_free(&a->mig[i].text);
	}
	free(a->mig);
	cache_free(a->cache);
	db_free(a->db);
	conf_free(&a->conf);
	buf_free(&a->lock_name);
}

int
main(int argc, char *argv[])
{
	struct args args = {
		.opt = { .limit = JOBS_LIMIT_DEFAULT, .sw_id = -1, .sw_value = -1 },
	};
	struct admin a;
	struct buf err = BUF_INIT;
	const char *env;
	int rc;

	memset(&a, 0, sizeof a);
	log_init(PROG, LOG_LEVEL_INFO);
	if ((rc = parse_args(argc, argv, &args)) != 0)
		return rc == CLI_EXIT_OK ? EXIT_DONE : EXIT_USAGE;
	if (args.conf == NULL)
		args.conf = conf_path();
	if (args.sqldir == NULL)
		args.sqldir = (env = getenv("STARLING_SQL_DIR")) != NULL && *env ? env :
		    STARLING_DATADIR "/sql";
	a.sqldir = args.sqldir;
	a.opt = args.opt;
	a.quiet = args.quiet;
	a.tty = isatty(STDERR_FILENO) == 1;
	if (admin_setup(&a, &args, &err) != 0) {
		fail_msg("%s", buf_cstr(&err));
		rc = EXIT_USAGE;
	} else {
		rc = args.command->run(&a);
	}
	if (fflush(stdout) != 0) {
		fail_msg("writing the output: %s", strerror(errno));
		rc = EXIT_FAILED;
	}
	admin_free(&a);
	buf_free(&err);
	return rc;
}
