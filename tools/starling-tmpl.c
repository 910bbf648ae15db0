/* starling-tmpl: renders one template of a directory with JSON data, for template authors.
 *
 *	starling-tmpl [-d|--dir DIR] [-c|--conf CONF] NAME DATA.json
 *	starling-tmpl -h|--help | -V|--version
 *
 * Loads DIR exactly as the site does at start-up (so a syntax error or a missing partial fails
 * here first, with the same file:line message), reads DATA.json ("-" for stdin) and writes the
 * rendered page to stdout. Without --dir, the directory is the site's: [site] templates_dir of
 * the configuration (-c, else $STARLING_CONF, else the build default), or the installed one.
 * Exits 0 on success, 1 on any error, 2 on a usage or configuration error. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "buf.h"
#include "cli.h"
#include "conf.h"
#include "tmpl.h"
#include "xalloc.h"

#ifndef STARLING_DATADIR
#define STARLING_DATADIR "/usr/share/starling"
#endif

#define PROG "starling-tmpl"
#define USAGE \
	"usage: " PROG " [-d DIR | -c CONF] NAME DATA.json   (DATA.json may be - for stdin)\n" \
	"  -d, --dir DIR    the templates (default: the site's, [site] templates_dir of CONF)\n" \
	"  -c, --conf CONF  the configuration whose templates to use without --dir (default:\n" \
	"                   $STARLING_CONF, else the build default)\n" \
	"  -h, --help       print this help\n" \
	"  -V, --version    print the version\n" \
	"Exit: 0 rendered, 1 failure, 2 usage or configuration error.\n"

/* Test data is hand-written or a captured request context; anything past this is a mistake
 * (the wrong file), and reading it whole would only waste memory. */
#define DATA_MAX (16 * 1024 * 1024)

/* json-c nests no deeper than this by default either; said here so the limit is visible. */
#define DATA_MAX_DEPTH 64

enum { EXIT_DONE = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

struct args {
	const char	*dir;
	const char	*conf;
	const char	*name;
	const char	*data;
};

static const struct cli cli = { PROG, USAGE };

/* Returns 0 with a filled in, or a cli_next: CLI_EXIT_OK after --help or --version,
 * CLI_EXIT_USAGE after a usage error (printed). */
static int
parse_args(int argc, char *argv[], struct args *a)
{
	static const struct option opts[] = {
		{ "dir",     required_argument, NULL, 'd' },
		{ "conf",    required_argument, NULL, 'c' },
		{ "help",    no_argument,       NULL, 'h' },
		{ "version", no_argument,       NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = cli_getopt(&cli, argc, argv, ":d:c:hV", opts)) > 0) {
		if (*optarg == '\0') {
			cli_usage_error(&cli, "-%c needs a path", c);
			return CLI_EXIT_USAGE;
		}
		if (c == 'd')
			a->dir = optarg;
		else
			a->conf = optarg;
	}
	if (c != CLI_END)
		return c;
	if (argc - optind != 2) {
		cli_usage_error(&cli, argc - optind < 2 ? "needs a template NAME and DATA.json" :
		    "too many arguments");
		return CLI_EXIT_USAGE;
	}
	a->name = argv[optind];
	a->data = argv[optind + 1];
	return 0;
}

/* The site's templates directory, as the binaries find it (lib/app/app.c): [site] templates_dir of
 * the configuration at path, else the installed copy. Returns it (the caller frees), or NULL
 * with a message in err. */
static char *
site_templates_dir(const char *path, struct buf *err)
{
	struct conf c;
	char *dir = NULL;

	conf_defaults(&c);
	if (conf_load(&c, path, err) == 0)
		dir = xstrdup(c.templates_dir[0] ? c.templates_dir : STARLING_DATADIR "/templates");
	conf_free(&c);
	return dir;
}

/* Parses the whole of text as one JSON value. Returns it (the caller puts it), or NULL with a
 * message in err. */
static json_object *
parse_data(const char *path, const struct buf *text, struct buf *err)
{
	json_tokener *tok = json_tokener_new_ex(DATA_MAX_DEPTH);
	json_object *v = NULL;
	enum json_tokener_error e;
	size_t used;

	if (tok == NULL) {
		buf_printf(err, "out of memory");
		return NULL;
	}
	v = json_tokener_parse_ex(tok, buf_cstr(text), (int)text->len);
	e = json_tokener_get_error(tok);
	if (e == json_tokener_continue) {
		buf_printf(err, "%s: invalid JSON: unexpected end of data", path);
		goto fail;
	}
	if (e != json_tokener_success) {
		buf_printf(err, "%s: invalid JSON: %s", path, json_tokener_error_desc(e));
		goto fail;
	}
	/* Only blanks may follow the value: "{} {}" is two values, not data. */
	for (used = json_tokener_get_parse_end(tok); used < text->len; used++) {
		if (strchr(" \t\r\n", text->data[used]) == NULL) {
			buf_printf(err, "%s: invalid JSON: text after the value", path);
			goto fail;
		}
	}
	json_tokener_free(tok);
	return v;
fail:
	json_object_put(v);
	json_tokener_free(tok);
	return NULL;
}

int
main(int argc, char *argv[])
{
	struct args a = { NULL, NULL, NULL, NULL };
	struct buf err = BUF_INIT, text = BUF_INIT, out = BUF_INIT;
	struct tmpl_set *set = NULL;
	json_object *data = NULL;
	char *site_dir = NULL;
	int rc;

	if ((rc = parse_args(argc, argv, &a)) != 0)
		return rc == CLI_EXIT_OK ? EXIT_DONE : EXIT_USAGE;
	if (a.dir == NULL) {
		if ((site_dir = site_templates_dir(a.conf ? a.conf : conf_path(), &err)) == NULL) {
			rc = EXIT_USAGE;
			goto out;
		}
		a.dir = site_dir;
	}
	rc = EXIT_FAILED;
	if ((set = tmpl_set_load(a.dir, &err)) == NULL)
		goto out;
	if (!tmpl_set_has(set, a.name)) {
		buf_printf(&err, "%s: no template \"%s\"", a.dir, a.name);
		goto out;
	}
	if (buf_read_file(&text, a.data, DATA_MAX, &err) < 0)
		goto out;
	if ((data = parse_data(strcmp(a.data, "-") == 0 ? "stdin" : a.data, &text, &err)) == NULL)
		goto out;
	if (tmpl_render(set, a.name, data, &out, &err) < 0)
		goto out;
	/* Nothing is written unless the whole render worked: half a page is worse than none. */
	if (fwrite(out.data ? out.data : "", 1, out.len, stdout) != out.len || fflush(stdout) != 0) {
		buf_printf(&err, "writing output: %s", strerror(errno));
		goto out;
	}
	rc = EXIT_DONE;
out:
	if (rc != EXIT_DONE)
		fprintf(stderr, PROG ": %s\n", buf_cstr(&err));
	json_object_put(data);
	tmpl_set_free(set);
	free(site_dir);
	buf_free(&out);
	buf_free(&text);
	buf_free(&err);
	return rc;
}
