/* starling-worker: the background worker (docs/worker.md): runs the jobs the requests left for
 * later, and the periodic tasks (trends, clean-ups).
 *
 *	starling-worker [--once] [-c|--conf PATH] [--pid-file PATH]
 *	starling-worker --queue-media [-c|--conf PATH]
 *	starling-worker -h|--help | -V|--version
 *
 * Reads the configuration the binaries read (-c/--conf, else $STARLING_CONF, else the build-time
 * default) with the same set-up as they do (app_env_new), and stays in the foreground, logging to
 * stderr: a service manager (etc/starling-worker.service) or a shell runs it in the background.
 * --once runs every pending job and each periodic task once, then exits: the cron mode of a
 * shared host where no daemon may run. --pid-file writes the process ID there while it runs.
 * SIGTERM or SIGINT stop it after the current job (lib/app/worker.h). --queue-media queues the
 * processing of every image uploaded before processing existed (lib/social/mediajob.h), then exits.
 *
 * Exit status: 0 stopped by a signal, or --once did everything; 1 --once could not reach every
 * shard or a task failed, or the pid file could not be written; 2 usage or configuration error. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <mysql.h>

#include "app.h"
#include "buf.h"
#include "cli.h"
#include "conf.h"
#include "imgproc.h"
#include "jobkinds.h"
#include "log.h"
#include "mediajob.h"
#include "worker.h"

#define PROG "starling-worker"
#define USAGE \
	"usage: " PROG " [--once] [-c PATH] [--pid-file PATH]\n" \
	"      --once           run every pending job and each periodic task once, then exit\n" \
	"                       (cron)\n" \
	"  -c, --conf PATH      the configuration (default: $STARLING_CONF, else the build\n" \
	"                       default)\n" \
	"      --pid-file PATH  write the process ID there while running\n" \
	"      --queue-media    queue the processing of images uploaded before it existed, then\n" \
	"                       exit\n" \
	"  -h, --help           print this help\n" \
	"  -V, --version        print the version\n" \
	"Stops after the current job on SIGTERM or SIGINT. Exit: 0 done, 1 failure, 2 usage or\n" \
	"configuration error.\n"

enum { EXIT_DONE = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

struct args {
	bool        once;
	bool        queue_media;
	const char *conf;
	const char *pid_file;
};

static const struct cli cli = { PROG, USAGE };

/* Returns 0 to run, or a cli_next: CLI_EXIT_OK after --help or --version, CLI_EXIT_USAGE after
 * a usage error (printed). */
static int
parse_args(int argc, char *argv[], struct args *a)
{
	/* --once, --queue-media and --pid-file have no short form: 'o', 'm' and 'p' only name them
	 * here. */
	static const struct option opts[] = {
		{ "once",     no_argument,       NULL, 'o' },
		{ "queue-media", no_argument,    NULL, 'm' },
		{ "conf",     required_argument, NULL, 'c' },
		{ "pid-file", required_argument, NULL, 'p' },
		{ "help",     no_argument,       NULL, 'h' },
		{ "version",  no_argument,       NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = cli_getopt(&cli, argc, argv, ":c:hV", opts)) > 0) {
		if (c == 'o') {
			a->once = true;
		} else if (c == 'm') {
			a->queue_media = true;
		} else if (*optarg == '\0') {
			cli_usage_error(&cli, "%s needs a path", c == 'c' ? "--conf" : "--pid-file");
			return CLI_EXIT_USAGE;
		} else if (c == 'c') {
			a->conf = optarg;
		} else {
			a->pid_file = optarg;
		}
	}
	if (c != CLI_END)
		return c;
	if (optind < argc) {
		cli_usage_error(&cli, "unexpected argument \"%s\"", argv[optind]);
		return CLI_EXIT_USAGE;
	}
	return 0;
}

/* Writes "PID\n" to path. Returns 0, or -1 (logged). */
static int
pid_file_write(const char *path)
{
	struct buf text = BUF_INIT;
	int fd, rc = -1;

	buf_printf(&text, "%ld\n", (long)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, text.data, text.len) != (ssize_t)text.len)
		log_error("cannot write the pid file %s: %s", path, strerror(errno));
	else
		rc = 0;
	if (fd >= 0 && close(fd) != 0 && rc == 0) {
		log_error("cannot write the pid file %s: %s", path, strerror(errno));
		rc = -1;
	}
	buf_free(&text);
	return rc;
}

int
main(int argc, char *argv[])
{
	/* No routes: app_env_new then loads only what every binary needs (the handlers of jobs use
	 * the same database, cache, ID and mail clients as requests). */
	static const struct app worker_app = { PROG, NULL, 0 };
	struct args args = { false, false, NULL, NULL };
	struct buf err = BUF_INIT;
	struct app_env *env = NULL;
	long queued;
	int rc;

	log_init(PROG, LOG_LEVEL_INFO);
	jobkinds_install();
	if ((rc = parse_args(argc, argv, &args)) != 0)
		return rc == CLI_EXIT_OK ? EXIT_DONE : EXIT_USAGE;
	if (args.conf == NULL)
		args.conf = conf_path();
	if (mysql_library_init(0, NULL, NULL) != 0) {
		log_error("cannot initialise the MySQL client library");
		return EXIT_FAILED;
	}
	env = app_env_new(&worker_app, args.conf, &err);
	if (env == NULL) {
		log_error("cannot start: %s", buf_cstr(&err));
		rc = EXIT_USAGE;
		goto out;
	}
	/* Images are decoded here only: the FastCGI binaries queue media.process, never run it. */
	if (imgproc_init(argv[0], &err) != 0) {
		log_error("cannot start: %s", buf_cstr(&err));
		rc = EXIT_FAILED;
		goto out;
	}
	mediajob_set_processor(imgproc_process);
	if (args.queue_media) {
		queued = mediajob_queue_backlog(env);
		if (queued >= 0)
			log_info("media: %ld image(s) queued for processing", queued);
		rc = queued >= 0 ? EXIT_DONE : EXIT_FAILED;
		goto out;
	}
	/* A job's statement may read a whole shard (trends, repairs): only the read timeout. */
	db_set_statement_timeout(env->db, 0);
	if (args.pid_file != NULL && pid_file_write(args.pid_file) != 0) {
		rc = EXIT_FAILED;
		goto out;
	}
	rc = worker_run(env, args.once ? WORKER_ONCE : WORKER_DAEMON) == 0 ? EXIT_DONE : EXIT_FAILED;
	if (args.pid_file != NULL)
		(void)unlink(args.pid_file);
out:
	app_env_free(env);
	mysql_library_end();
	buf_free(&err);
	return rc;
}
