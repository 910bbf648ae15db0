/* migrate.c: starling-admin migrate: the sql directory's schema files, the migration lock, and
 * each shard brought up to date (admin.h). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "db.h"
#include "progress.h"
#include "shard.h"
#include "xalloc.h"

#include "admin.h"

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
int
admin_sqldir_load(struct admin *a, const char *dir, struct buf *err)
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
		if ((s = admin_first_shard(a, i)) == NO_SHARD)
			continue;
		if (db_exec(a->db, s, "SELECT GET_LOCK(?, 0), IS_USED_LOCK(?)", p, 2, &r) != 0) {
			admin_fail("%s: cannot take the migration lock %s (server error above)",
			    db_instance_name(a->db, i), buf_cstr(&a->lock_name));
			goto out;
		}
		if (db_u64(&r, 0, 0) != 1) {
			admin_fail("another migration is running: the lock %s on %s is held by "
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
		if ((s = admin_first_shard(a, i)) != NO_SHARD)
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

	admin_shard_label(a, s, &label);
	if (db_create_shard_database(a->db, s, &err) != 0) {
		admin_fail("%s: cannot create the database: %s", buf_cstr(&label), buf_cstr(&err));
		goto out;
	}
	if (admin_shard_versions(a, s, &state, &versions) != 0) {
		admin_fail("%s: cannot read tb_schema_migration (server error above)",
		    buf_cstr(&label));
		goto out;
	}
	for (i = 0; i < a->nmig; i++) {
		const struct migration *m = &a->mig[i];

		if (admin_recorded(&versions, m->version))
			continue;
		if (!migrate_lock_held(a, s)) {
			admin_fail("%s: lost the migration lock %s (connection lost?) before %s; "
			    "run migrate again", buf_cstr(&label), buf_cstr(&a->lock_name),
			    m->file);
			goto out;
		}
		if (db_run_script(a->db, s, m->text.data, m->text.len, &err) != 0) {
			admin_fail("%s: %s/%s failed: %s", buf_cstr(&label), a->sqldir, m->file,
			    buf_cstr(&err));
			goto out;
		}
		/* A file that does not record itself would run again at every migrate, and check
		 * would never pass: stop at the first one. */
		if (admin_shard_versions(a, s, &state, &versions) != 0 ||
		    !admin_recorded(&versions, m->version)) {
			admin_fail("%s: %s/%s ran but did not record itself: it must end with INSERT "
			    "IGNORE INTO tb_schema_migration (version, applied_at) VALUES ('%s', "
			    "UNIX_TIMESTAMP())", buf_cstr(&label), a->sqldir, m->file, m->version);
			goto out;
		}
		admin_report("%s: applied %s\n", buf_cstr(&label), m->version);
		(*applied)++;
	}
	rc = 0;
out:
	db_rows_free(&versions);
	buf_free(&label);
	buf_free(&err);
	return rc;
}

int
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
		if (admin_first_shard(a, i) != NO_SHARD &&
		    db_ping_instance(a->db, i, admin_ping_ms(a), &err) != 0) {
			admin_fail("cannot reach MySQL instance %zu: %s; nothing was done", i,
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
