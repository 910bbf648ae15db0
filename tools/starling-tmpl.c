/* starling-tmpl: renders one template of a directory with JSON data, for template authors.
 *
 *	starling-tmpl --dir DIR NAME DATA.json
 *
 * Loads DIR exactly as the site does at start-up (so a syntax error or a missing partial fails
 * here first, with the same file:line message), reads DATA.json ("-" for stdin) and writes the
 * rendered page to stdout. Exits 0 on success, 1 on any error, 2 on a usage error. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "buf.h"
#include "tmpl.h"

#define USAGE "usage: starling-tmpl --dir DIR NAME DATA.json   (DATA.json may be - for stdin)\n"

/* Test data is hand-written or a captured request context; anything past this is a mistake
 * (the wrong file), and reading it whole would only waste memory. */
#define DATA_MAX (16 * 1024 * 1024)

/* json-c nests no deeper than this by default either; said here so the limit is visible. */
#define DATA_MAX_DEPTH 64

struct args {
	const char	*dir;
	const char	*name;
	const char	*data;
};

static void
usage_error(const char *msg)
{
	if (msg != NULL)
		fprintf(stderr, "starling-tmpl: %s\n", msg);
	fputs(USAGE, stderr);
}

/* Returns 0 with a filled in, 1 after printing help, 2 after a usage error. */
static int
parse_args(int argc, char *argv[], struct args *a)
{
	const char *pos[2];
	int i, npos = 0, opts = 1;

	for (i = 1; i < argc; i++) {
		const char *s = argv[i];

		if (opts && (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0)) {
			fputs(USAGE, stdout);
			return 1;
		} else if (opts && strcmp(s, "--") == 0) {
			opts = 0;
		} else if (opts && strcmp(s, "--dir") == 0) {
			if (++i == argc) {
				usage_error("--dir needs a directory");
				return 2;
			}
			a->dir = argv[i];
		} else if (opts && strncmp(s, "--dir=", 6) == 0) {
			a->dir = s + 6;
		} else if (opts && s[0] == '-' && s[1] != '\0') {
			fprintf(stderr, "starling-tmpl: unknown option %s\n", s);
			usage_error(NULL);
			return 2;
		} else if (npos < 2) {
			pos[npos++] = s;
		} else {
			usage_error("too many arguments");
			return 2;
		}
	}
	if (a->dir == NULL || *a->dir == '\0' || npos != 2) {
		usage_error(NULL);
		return 2;
	}
	a->name = pos[0];
	a->data = pos[1];
	return 0;
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
	struct args a = { NULL, NULL, NULL };
	struct buf err = BUF_INIT, text = BUF_INIT, out = BUF_INIT;
	struct tmpl_set *set = NULL;
	json_object *data = NULL;
	int rc;

	if ((rc = parse_args(argc, argv, &a)) != 0)
		return rc == 1 ? 0 : 2;
	rc = 1;
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
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "starling-tmpl: %s\n", buf_cstr(&err));
	json_object_put(data);
	tmpl_set_free(set);
	buf_free(&out);
	buf_free(&text);
	buf_free(&err);
	return rc;
}
