/* cli.h: what the command-line tools (starling-admin, starling-worker, starling-tmpl) share: one
 * way to read options, one form of usage error and one --version line.
 *
 * Every tool takes -c/--conf FILE, -h/--help and -V/--version, read by getopt_long (long options
 * may be abbreviated and take "--conf=FILE" too). The messages are the tool's own, not getopt's:
 * they start with the tool's name, not with argv[0] (a path under make check), and the usage
 * follows them on stderr. Exit status 2 for a usage error is every tool's convention. */
#ifndef STARLING_CLI_H
#define STARLING_CLI_H

#include <getopt.h>

/* A tool: its name, as every message starts, and its usage text (--help; after an error). Both
 * borrowed: string constants. */
struct cli {
	const char *prog;
	const char *usage;
};

/* What cli_getopt returns besides an option's character. */
enum cli_next {
	CLI_END = 0,          /* no option left: argv[optind] is the first other word */
	CLI_EXIT_OK = -1,     /* --help or --version was printed on stdout: exit 0 */
	CLI_EXIT_USAGE = -2,  /* a usage error was printed on stderr: exit 2 */
};

/* getopt_long over argv with shortopts (which must begin with ':', after a '+' if any, so that a
 * missing argument is told from an unknown option) and longopts (flag NULL in each). Handles 'h'
 * and 'V' itself. Returns the next option's character (optarg set as getopt's), or a
 * cli_next. */
int cli_getopt(const struct cli *t, int argc, char *argv[], const char *shortopts,
    const struct option *longopts);

/* Prints "prog: message" and the usage on stderr (the caller then exits 2). */
void cli_usage_error(const struct cli *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prints "prog (Starling) VERSION" on stdout: what -V/--version answers. */
void cli_version(const struct cli *t);

#endif
