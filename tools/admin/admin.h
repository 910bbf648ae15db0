/* admin.h: what the files of starling-admin share (tools/starling-admin.c, the dispatcher, and
 * tools/admin/: one file per command family): its state, the commands' options, and the helpers
 * of tools/admin/common.c. */
#ifndef STARLING_ADMIN_H
#define STARLING_ADMIN_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "cache.h"
#include "conf.h"
#include "db.h"
#include "progress.h"

#define PROG "starling-admin"

enum { EXIT_DONE = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

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
	/* role: what to do ('g'rant, 'r'evoke, 'l'ist), to which username, which role */
	char        role_action;
	const char *role_user;
	const char *role_name;
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

/* What a shard's database holds, as far as migrations go. */
enum shard_state { SHARD_NO_DATABASE, SHARD_NO_TABLE, SHARD_READY };

/* ------------------------------------------------------------------------------------------ */
/* common.c (each function's contract is in its definition's comment) */

/* How long a command waits for an instance to answer a ping. */
int admin_ping_ms(const struct admin *a);
/* "starling-admin: message" on stderr; a result line on stdout, at once, on a clean line. */
void admin_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void admin_report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Starts the progress of a command over the shards (progress.h), as -q says. */
void admin_progress(const struct admin *a, struct progress *p, const char *what, const char *one,
    const char *many);
/* Shards and instances: how messages name them, which shards an instance holds, whether it
 * answers, what a shard's database has recorded. */
void admin_shard_label(const struct admin *a, unsigned s, struct buf *out);
unsigned admin_first_shard(const struct admin *a, size_t i);
int admin_shard_versions(struct admin *a, unsigned s, enum shard_state *state,
    struct db_rows *versions);
bool admin_recorded(const struct db_rows *versions, const char *version);
void admin_db_names(const struct admin *a, unsigned first, unsigned last, struct buf *out);
void admin_instance_ranges(const struct admin *a, size_t i, struct buf *out);
bool admin_instance_up(const struct admin *a, size_t i, struct buf *why);
bool *admin_instances_up(const struct admin *a, const char *not_done, bool *all_up);
/* Decimal digits only, at most max; a time as ISO 8601 in UTC. */
bool admin_parse_u64(const char *s, uint64_t max, uint64_t *out);
void admin_utc_time(int64_t t, struct buf *out);

/* migrate.c: reads every NNN_name.sql of dir into a->mig, sorted. */
int admin_sqldir_load(struct admin *a, const char *dir, struct buf *err);

/* The commands, one file per family: each returns its exit status (EXIT_*). */
int cmd_migrate(struct admin *a);          /* migrate.c */
int cmd_shards(struct admin *a);           /* shards.c */
int cmd_check(struct admin *a);            /* check.c */
int cmd_repair_graph(struct admin *a);     /* repair.c */
/* derived.c: data derived from the posts, computed again at once */
int cmd_compute_trends(struct admin *a);
int cmd_reindex_replies(struct admin *a);
/* jobs.c: the background jobs set aside */
int cmd_jobs(struct admin *a);
int cmd_retry_job(struct admin *a);
int cmd_switch(struct admin *a);           /* switch.c */
int cmd_media_usage(struct admin *a);      /* media.c */
int cmd_role(struct admin *a);             /* role.c */

#endif
