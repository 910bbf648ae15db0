/* starling-admin: the operator's tool for the shard databases: makes and migrates them, shows
 * where each one lives, checks that a set-up is complete, and lists and retries the background
 * jobs set aside.
 *
 *	starling-admin [OPTIONS] migrate|shards|check|repair-graph|compute-trends|reindex-replies
 *	starling-admin [OPTIONS] jobs [--limit N]
 *	starling-admin [OPTIONS] retry-job ID|--all
 *	starling-admin [OPTIONS] switch list|set NAME VALUE [--reason TEXT]|clear NAME [--reason TEXT]
 *	starling-admin [OPTIONS] media-usage
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
 * Every database access goes through lib/store/db.h, like the binaries', so the tool reaches the
 * instances with exactly the account, timeouts and shard map they use. Nothing printed ever
 * holds the password: only instance addresses and database names.
 *
 * This file is the dispatcher (options, the command table, set-up); each command family is a file
 * of tools/admin/ (admin.h). */
#include "config.h"

#include <errno.h>
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
#include "job.h"
#include "log.h"
#include "mod.h"
#include "switches.h"

#include "admin.h"

#ifndef STARLING_DATADIR
#define STARLING_DATADIR "/usr/share/starling"
#endif

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
	"  role list|grant USER ROLE|revoke USER ROLE  moderators and administrators\n" \
	"  switch list     the operators' degradation switches: value, who set it, when, why\n" \
	"  switch set NAME VALUE [--reason TEXT]  turn a switch on (on/off, or 0-100 for\n" \
	"                  anon_shed and media_quality); every process sees it within [switches]\n" \
	"                  refresh_seconds\n" \
	"  switch clear NAME [--reason TEXT]  turn it off (done already: still exit 0)\n" \
	"  media-usage     local storage per shard: files and bytes of originals, processed sizes\n" \
	"                  and videos; uploads attached, kept (profiles), waiting for [media]\n" \
	"                  orphan_grace, and due for starling-worker's clean-up\n" \
	"migrate, repair-graph, reindex-replies and retry-job --all show \"shard N of M\", the\n" \
	"rows done and the time taken on stderr: one line redrawn on a terminal, else a line per\n" \
	"shard. Exit: 0 done, 1 failure, 2 usage or configuration error.\n"

#define STR_(x) #x
#define STR(x)  STR_(x)

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
		if (++i == n || !admin_parse_u64(w[i], JOBS_LIMIT_MAX, &v) || v == 0) {
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

/* role list | grant USER ROLE | revoke USER ROLE */
static int
parse_role(int n, char **w, struct cmd_opts *opt)
{
	if (n == 1 && strcmp(w[0], "list") == 0) {
		opt->role_action = 'l';
		return 0;
	}
	if (n == 3 && (strcmp(w[0], "grant") == 0 || strcmp(w[0], "revoke") == 0) &&
	    mod_role_parse(w[2]) != MOD_NONE) {
		opt->role_action = w[0][0];
		opt->role_user = w[1];
		opt->role_name = w[2];
		return 0;
	}
	cli_usage_error(&cli, "role needs list, or grant|revoke USERNAME moderator|administrator");
	return -1;
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
	{ "media-usage", cmd_media_usage, NULL, false, false },
	{ "role", cmd_role, parse_role, false, true },
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
	if (args->command->needs_sql && admin_sqldir_load(a, a->sqldir, err) != 0)
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
		admin_fail("%s", buf_cstr(&err));
		rc = EXIT_USAGE;
	} else {
		rc = args.command->run(&a);
	}
	if (fflush(stdout) != 0) {
		admin_fail("writing the output: %s", strerror(errno));
		rc = EXIT_FAILED;
	}
	admin_free(&a);
	buf_free(&err);
	return rc;
}
