/* cli.c: the command-line tools' shared option reading, usage errors and --version. */
#include "config.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* How the offending option was written, for a message: "--conf" of the long word "--conf" or
 * "--conf=x", else "-c" (getopt puts the character in optopt). Cut to size, and control
 * characters shown as '?': the word may come from a script, and must not reach a terminal. */
static void
option_written(char *word, int opt, char *out, size_t size)
{
	char *p;

	if (word != NULL && strncmp(word, "--", 2) == 0)
		snprintf(out, size, "%.*s", (int)strcspn(word, "="), word);
	else
		snprintf(out, size, "-%c", opt);
	for (p = out; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

/* Whether name (without "--") is one of longopts, in full. */
static bool
known_long(const struct option *longopts, const char *name)
{
	for (; longopts->name != NULL; longopts++)
		if (strcmp(longopts->name, name) == 0)
			return true;
	return false;
}

int
cli_getopt(const struct cli *t, int argc, char *argv[], const char *shortopts,
    const struct option *longopts)
{
	char name[64], *word;
	int c, before = optind;
	bool is_long;

	opterr = 0;   /* the messages below, not getopt's (which name argv[0]) */
	c = getopt_long(argc, argv, shortopts, longopts, NULL);
	/* The word just read: getopt_long moves optind past a word once it has read all of it, so
	 * an optind that did not move means the middle of a cluster of short options ("-xq"). */
	word = optind > before ? argv[optind - 1] : optind < argc ? argv[optind] : NULL;
	is_long = word != NULL && strncmp(word, "--", 2) == 0;
	switch (c) {
	case -1:
		return CLI_END;
	case 'h':
		fputs(t->usage, stdout);
		return CLI_EXIT_OK;
	case 'V':
		cli_version(t);
		return CLI_EXIT_OK;
	case ':':
		option_written(is_long ? word : NULL, optopt, name, sizeof name);
		cli_usage_error(t, "%s needs a value", name);
		return CLI_EXIT_USAGE;
	case '?':
		option_written(is_long ? word : NULL, optopt, name, sizeof name);
		/* A long option may also be given a value it does not take ("--help=x"). */
		if (is_long && strchr(word, '=') != NULL && known_long(longopts, name + 2))
			cli_usage_error(t, "%s takes no value", name);
		else
			cli_usage_error(t, "unknown option %s", name);
		return CLI_EXIT_USAGE;
	default:
		return c;
	}
}

void
cli_usage_error(const struct cli *t, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", t->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fputs(t->usage, stderr);
}

void
cli_version(const struct cli *t)
{
	printf("%s (Starling) %s\n", t->prog, PACKAGE_VERSION);
}
