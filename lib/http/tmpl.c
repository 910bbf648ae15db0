/* tmpl.c: Mustache templates, compiled once into node trees and rendered from json-c values.
 *
 * A template is parsed once, when the worker starts, into a tree of nodes: text, {{name}},
 * {{{name}}}, sections, inverted sections and partials. Names are split at their dots then, so a
 * render only walks the tree and looks keys up; it never scans template text again.
 *
 * Choices the spec leaves open (tmpl.h has the contract):
 *   - Falsy, like JavaScript: missing, null, false, "", 0, 0.0 (and NaN) and []. {} is truthy.
 *   - A section over a truthy scalar pushes the scalar, so {{.}} inside it prints it.
 *   - {{name}} of an object or array prints nothing. Such a tag is a template bug, and printing
 *     the value as JSON would dump every field of it (a user's e-mail, say) into the page.
 *   - A name found with a JSON null value stops the lookup there, as a missing key does not.
 *   - Adding a template under a name the set already holds replaces it; a failed compile
 *     leaves the old one in place.
 *   - Error messages are appended to err, like every other module's; err may be NULL. */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "tmpl.h"
#include "xalloc.h"

/* Starling's templates are hand-written pages of a few KiB. Anything past 1 MiB is a file put in
 * the wrong directory (a dump, a build artefact), and bounding it bounds start-up time and memory. */
#define TMPL_MAX_SIZE (1024 * 1024)

/* tmpl.h promises this: only a recursive partial gets that deep, and it would otherwise run until
 * the stack ran out. */
#define TMPL_MAX_PARTIAL_DEPTH 32

/* Rendering recurses once per nested section. Real pages nest a handful; the bound keeps a
 * malformed or generated template from turning into deep recursion at render time. */
#define TMPL_MAX_NEST 100

/* Bounds recursion through the template directory; a symlink loop would otherwise never end. */
#define TMPL_MAX_DIR_DEPTH 16

enum node_kind {
	NODE_TEXT,
	NODE_VAR,	/* {{name}}: escaped */
	NODE_RAW,	/* {{{name}}} and {{&name}} */
	NODE_SECTION,	/* {{#name}} */
	NODE_INVERTED,	/* {{^name}} */
	NODE_PARTIAL	/* {{>name}} */
};

struct node;

struct nodelist {
	struct node	**v;
	size_t		  n;
	size_t		  cap;
};

struct node {
	enum node_kind	 kind;
	/* The node starts a line of the template, so an indented partial indents it. */
	int		 bol;
	unsigned	 line;
	/* Text: the bytes. Tags: the name as written (partials are looked up by it, messages
	 * quote it). */
	char		*text;
	size_t		 len;
	/* The name split at its dots, pointing into names; nparts is 0 for {{.}}. */
	char		**parts;
	size_t		 nparts;
	char		*names;
	/* Partials alone on their line: the whitespace before the tag, which the spec has us put
	 * in front of every line of the partial. */
	int		 standalone;
	char		*indent;
	size_t		 indentlen;
	struct nodelist	 kids;		/* sections */
};

struct tmpl {
	char		*name;
	char		*file;		/* for messages: the path it came from, or its name */
	struct nodelist	 root;
};

/* Templates sorted by name: a set holds tens of them, so a binary search is as fast as a hash
 * and the load checks run in a stable order, which keeps error messages reproducible. */
struct tmpl_set {
	struct tmpl	**v;
	size_t		  n;
	size_t		  cap;
};

/* ----------------------------------------------------------------------------------------------
 * Errors */


/* ----------------------------------------------------------------------------------------------
 * Nodes */

static void node_free(struct node *n);

static void
nodelist_add(struct nodelist *l, struct node *n)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->v = xrealloc(l->v, l->cap * sizeof *l->v);
	}
	l->v[l->n++] = n;
}

static void
nodelist_free(struct nodelist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		node_free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

static void
node_free(struct node *n)
{
	if (n == NULL)
		return;
	nodelist_free(&n->kids);
	free(n->text);
	free(n->parts);
	free(n->names);
	free(n->indent);
	free(n);
}

static void
tmpl_free_one(struct tmpl *t)
{
	if (t == NULL)
		return;
	nodelist_free(&t->root);
	free(t->name);
	free(t->file);
	free(t);
}

/* ----------------------------------------------------------------------------------------------
 * The set */

/* Index of name in the set, or of where it would go (*found says which). */
static size_t
set_index(const struct tmpl_set *set, const char *name, int *found)
{
	size_t lo = 0, hi = set->n;

	*found = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, set->v[mid]->name);

		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static const struct tmpl *
set_find(const struct tmpl_set *set, const char *name)
{
	int found;
	size_t i = set_index(set, name, &found);

	return found ? set->v[i] : NULL;
}

/* Takes t; replaces a template of the same name. */
static void
set_insert(struct tmpl_set *set, struct tmpl *t)
{
	int found;
	size_t i = set_index(set, t->name, &found);

	if (found) {
		tmpl_free_one(set->v[i]);
		set->v[i] = t;
		return;
	}
	if (set->n == set->cap) {
		set->cap = set->cap ? set->cap * 2 : 16;
		set->v = xrealloc(set->v, set->cap * sizeof *set->v);
	}
	memmove(&set->v[i + 1], &set->v[i], (set->n - i) * sizeof *set->v);
	set->v[i] = t;
	set->n++;
}

struct tmpl_set *
tmpl_set_new(void)
{
	return xcalloc(1, sizeof(struct tmpl_set));
}

void
tmpl_set_free(struct tmpl_set *set)
{
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < set->n; i++)
		tmpl_free_one(set->v[i]);
	free(set->v);
	free(set);
}

int
tmpl_set_has(const struct tmpl_set *set, const char *name)
{
	return set != NULL && name != NULL && set_find(set, name) != NULL;
}

/* ----------------------------------------------------------------------------------------------
 * Compiling */

struct parser {
	const char	*src;
	size_t		 len;
	const char	*file;
	struct buf	*err;
	/* Line counting moves forward only: line is the number of the line holding lineoff. */
	unsigned	 line;
	size_t		 lineoff;
	/* Open sections, innermost last; open[0] is unused so the root list is lists[0]. */
	struct node	*open[TMPL_MAX_NEST + 1];
	struct nodelist	*lists[TMPL_MAX_NEST + 1];
	size_t		 depth;
};

/* What one tag says, before it becomes a node. */
struct tag {
	char		 sigil;		/* 0 for {{name}}, '{' for {{{name}}}, else # ^ / ! > & */
	size_t		 start;		/* offset of the opening {{ */
	size_t		 end;		/* offset just past the closing }} or }}} */
	const char	*name;
	size_t		 namelen;
};

static unsigned
line_at(struct parser *p, size_t off)
{
	const char *nl;

	while (p->lineoff < off &&
	    (nl = memchr(p->src + p->lineoff, '\n', off - p->lineoff)) != NULL) {
		p->line++;
		p->lineoff = (size_t)(nl - p->src) + 1;
	}
	if (p->lineoff < off)
		p->lineoff = off;
	return p->line;
}

static int
at_line_start(const struct parser *p, size_t off)
{
	return off == 0 || p->src[off - 1] == '\n';
}

/* Offset of the next "}}" at or after off, or len. Written out because memmem is not in C11. */
static size_t
find_close(const struct parser *p, size_t off)
{
	const char *s;

	while (off + 1 < p->len && (s = memchr(p->src + off, '}', p->len - off - 1)) != NULL) {
		off = (size_t)(s - p->src);
		if (s[1] == '}')
			return off;
		off++;
	}
	return p->len;
}

static size_t
find_open(const struct parser *p, size_t off)
{
	const char *s;

	while (off + 1 < p->len && (s = memchr(p->src + off, '{', p->len - off - 1)) != NULL) {
		off = (size_t)(s - p->src);
		if (s[1] == '{')
			return off;
		off++;
	}
	return p->len;
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Reads the tag at t->start (which holds "{{"). Returns 0 or -1 with the message set. */
static int
parse_tag(struct parser *p, struct tag *t)
{
	size_t i = t->start + 2, close;
	const char *s;
	size_t n;

	if (i < p->len && p->src[i] == '{') {
		close = find_close(p, i + 1);
		if (close == p->len) {
			buf_printf(p->err, "%s:%u: unclosed tag: \"{{{\" without \"}}}\"", p->file,
			    line_at(p, t->start));
			return -1;
		}
		if (close + 2 >= p->len || p->src[close + 2] != '}') {
			buf_printf(p->err, "%s:%u: \"{{{\" closed by \"}}\": a raw tag needs \"}}}\"",
			    p->file, line_at(p, t->start));
			return -1;
		}
		t->sigil = '{';
		t->end = close + 3;
		i++;
	} else {
		close = find_close(p, i);
		if (close == p->len) {
			buf_printf(p->err, "%s:%u: unclosed tag: \"{{\" without \"}}\"", p->file,
			    line_at(p, t->start));
			return -1;
		}
		t->end = close + 2;
		while (i < close && is_space(p->src[i]))
			i++;
		t->sigil = 0;
		if (i < close && strchr("#^/!>&=<$", p->src[i]) != NULL)
			t->sigil = p->src[i++];
	}
	s = p->src + i;
	n = close - i;
	while (n > 0 && is_space(s[0])) {
		s++;
		n--;
	}
	while (n > 0 && is_space(s[n - 1]))
		n--;
	t->name = s;
	t->namelen = n;
	return 0;
}

/* Tags that can stand alone on their line; the line then disappears from the output. */
static int
may_stand_alone(char sigil)
{
	return sigil == '#' || sigil == '^' || sigil == '/' || sigil == '!' || sigil == '>';
}

/* If the tag is alone on its line (only blanks around it), sets *linestart to the line's first
 * byte and *next to the first byte of the following line (or the end) and returns 1. */
static int
standalone(const struct parser *p, const struct tag *t, size_t *linestart, size_t *next)
{
	size_t a = t->start, b = t->end;

	while (a > 0 && is_blank(p->src[a - 1]))
		a--;
	if (!at_line_start(p, a))
		return 0;
	while (b < p->len && is_blank(p->src[b]))
		b++;
	if (b < p->len && p->src[b] == '\r' && b + 1 < p->len && p->src[b + 1] == '\n')
		b += 2;
	else if (b < p->len && p->src[b] == '\n')
		b++;
	else if (b != p->len)
		return 0;
	*linestart = a;
	*next = b;
	return 1;
}

static struct node *
node_new(struct parser *p, enum node_kind kind, size_t off)
{
	struct node *n = xcalloc(1, sizeof *n);

	n->kind = kind;
	n->line = line_at(p, off);
	n->bol = at_line_start(p, off);
	return n;
}

static void
add_text(struct parser *p, size_t from, size_t to)
{
	struct node *n;

	if (from == to)
		return;
	n = node_new(p, NODE_TEXT, from);
	n->text = xmemdup(p->src + from, to - from);
	n->len = to - from;
	nodelist_add(p->lists[p->depth], n);
}

/* Names hold no blanks, braces or NULs: such a name is always a typo, such as a missing "}}". */
static int
check_name(struct parser *p, const struct tag *t, int dotted)
{
	size_t i;

	if (t->namelen == 0) {
		buf_printf(p->err, "%s:%u: empty tag name", p->file, line_at(p, t->start));
		return -1;
	}
	for (i = 0; i < t->namelen; i++) {
		char c = t->name[i];

		if (is_space(c) || c == '{' || c == '}' || c == '\0')
			goto bad;
		/* "a..b", ".a" and "a." name nothing; "." alone is the current item. */
		if (dotted && c == '.' && t->namelen > 1 &&
		    (i == 0 || i + 1 == t->namelen || t->name[i + 1] == '.'))
			goto bad;
	}
	return 0;
bad:
	buf_printf(p->err, "%s:%u: bad tag name \"%.*s\"", p->file, line_at(p, t->start),
	    (int)t->namelen, t->name);
	return -1;
}

/* Splits the name at its dots, once, so renders only look keys up. */
static void
split_name(struct node *n)
{
	size_t i, k = 0;

	if (n->len == 1 && n->text[0] == '.')
		return;
	n->names = xmemdup(n->text, n->len);
	n->nparts = 1;
	for (i = 0; i < n->len; i++)
		if (n->names[i] == '.')
			n->nparts++;
	n->parts = xmalloc(n->nparts * sizeof *n->parts);
	n->parts[k++] = n->names;
	for (i = 0; i < n->len; i++) {
		if (n->names[i] == '.') {
			n->names[i] = '\0';
			n->parts[k++] = n->names + i + 1;
		}
	}
}

static int
open_section(struct parser *p, struct node *n)
{
	if (p->depth == TMPL_MAX_NEST) {
		buf_printf(p->err, "%s:%u: sections nested more than %d deep", p->file, n->line,
		    TMPL_MAX_NEST);
		node_free(n);
		return -1;
	}
	nodelist_add(p->lists[p->depth], n);
	p->depth++;
	p->open[p->depth] = n;
	p->lists[p->depth] = &n->kids;
	return 0;
}

static int
close_section(struct parser *p, const struct tag *t)
{
	const struct node *open = p->open[p->depth];

	if (p->depth == 0) {
		buf_printf(p->err, "%s:%u: \"{{/%.*s}}\" closes no open section", p->file,
		    line_at(p, t->start), (int)t->namelen, t->name);
		return -1;
	}
	if (open->len != t->namelen || memcmp(open->text, t->name, t->namelen) != 0) {
		buf_printf(p->err, "%s:%u: \"{{/%.*s}}\" does not close section \"%s\" (opened on line %u)",
		    p->file, line_at(p, t->start), (int)t->namelen, t->name, open->text,
		    open->line);
		return -1;
	}
	p->depth--;
	return 0;
}

/* Turns one parsed tag into a node (or closes a section). linestart is where the tag's line
 * begins when the tag stands alone, else (size_t)-1. */
static int
add_tag(struct parser *p, const struct tag *t, size_t linestart)
{
	struct node *n;
	enum node_kind kind;

	/* A comment or {{/name}} that starts a line but shares it with more makes no node, yet an
	 * indented partial still owes that line its indentation: an empty text node carries it. */
	if ((t->sigil == '!' || t->sigil == '/') && linestart == (size_t)-1 &&
	    at_line_start(p, t->start))
		nodelist_add(p->lists[p->depth], node_new(p, NODE_TEXT, t->start));

	switch (t->sigil) {
	case '!':
		return 0;
	case '=':
		buf_printf(p->err, "%s:%u: set-delimiter tags (\"{{=\") are not supported",
		    p->file, line_at(p, t->start));
		return -1;
	case '<':
	case '$':
		buf_printf(p->err, "%s:%u: template inheritance (\"{{%c\") is not supported",
		    p->file, line_at(p, t->start), t->sigil);
		return -1;
	case '/':
		if (check_name(p, t, 1) < 0)
			return -1;
		return close_section(p, t);
	case '>':
		kind = NODE_PARTIAL;
		break;
	case '#':
		kind = NODE_SECTION;
		break;
	case '^':
		kind = NODE_INVERTED;
		break;
	case '{':
	case '&':
		kind = NODE_RAW;
		break;
	default:
		kind = NODE_VAR;
		break;
	}
	if (check_name(p, t, kind != NODE_PARTIAL) < 0)
		return -1;
	n = node_new(p, kind, t->start);
	n->text = xmemdup(t->name, t->namelen);
	n->len = t->namelen;
	if (linestart != (size_t)-1)
		n->bol = 0;	/* its line is gone from the output */
	if (kind == NODE_PARTIAL) {
		if (linestart != (size_t)-1) {
			/* The partial indents its own lines, its first included. */
			n->standalone = 1;
			n->indentlen = t->start - linestart;
			n->indent = xmemdup(p->src + linestart, n->indentlen);
		}
		nodelist_add(p->lists[p->depth], n);
		return 0;
	}
	split_name(n);
	if (kind == NODE_SECTION || kind == NODE_INVERTED)
		return open_section(p, n);
	nodelist_add(p->lists[p->depth], n);
	return 0;
}

/* Parses p->src into root. Returns 0, or -1 with the message in p->err. */
static int
compile(struct parser *p, struct nodelist *root)
{
	size_t pos = 0;

	p->lists[0] = root;
	p->line = 1;
	if (p->len > TMPL_MAX_SIZE) {
		buf_printf(p->err, "%s: template larger than %d bytes", p->file, TMPL_MAX_SIZE);
		return -1;
	}
	while (pos < p->len) {
		struct tag t = { 0 };
		size_t linestart = (size_t)-1, next, textend;

		t.start = find_open(p, pos);
		if (t.start == p->len) {
			add_text(p, pos, p->len);
			break;
		}
		if (parse_tag(p, &t) < 0)
			return -1;
		next = t.end;
		textend = t.start;
		if (may_stand_alone(t.sigil) && standalone(p, &t, &linestart, &next))
			textend = linestart;
		add_text(p, pos, textend);
		if (add_tag(p, &t, linestart) < 0)
			return -1;
		pos = next;
	}
	if (p->depth > 0) {
		buf_printf(p->err, "%s:%u: unclosed section \"%s\"", p->file, p->open[p->depth]->line,
		    p->open[p->depth]->text);
		return -1;
	}
	return 0;
}

/* Compiles src into a new template. Returns it, or NULL with the message in err. */
static struct tmpl *
tmpl_compile(const char *name, const char *file, const char *src, size_t len, struct buf *err)
{
	struct parser p = { 0 };
	struct tmpl *t = xcalloc(1, sizeof *t);

	t->name = xstrdup(name);
	t->file = xstrdup(file);
	p.src = src;
	p.len = len;
	p.file = file;
	p.err = err;
	if (compile(&p, &t->root) < 0) {
		tmpl_free_one(t);
		return NULL;
	}
	return t;
}

int
tmpl_set_add(struct tmpl_set *set, const char *name, const char *src, size_t len,
    struct buf *err)
{
	struct tmpl *t = tmpl_compile(name, name, src, len, err);

	if (t == NULL)
		return -1;
	set_insert(set, t);
	return 0;
}

/* ----------------------------------------------------------------------------------------------
 * Loading a directory */

/* Reads a whole template file into out, refusing more than TMPL_MAX_SIZE bytes. */
/* Loads path (a file ending in .mustache) as the template named by path[rel..] minus the suffix. */
static int
load_file(struct tmpl_set *set, const char *path, size_t rel, struct buf *err)
{
	struct buf src = BUF_INIT;
	char *name = NULL;
	struct tmpl *t;
	int rc = -1;

	if (buf_read_file(&src, path, TMPL_MAX_SIZE, err) < 0)
		goto out;
	name = xstrndup(path + rel, strlen(path + rel) - strlen(".mustache"));
	if ((t = tmpl_compile(name, path, buf_cstr(&src), src.len, err)) == NULL)
		goto out;
	set_insert(set, t);
	rc = 0;
out:
	free(name);
	buf_free(&src);
	return rc;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
is_template_file(const char *name)
{
	size_t n = strlen(name), s = strlen(".mustache");

	return n > s && strcmp(name + n - s, ".mustache") == 0;
}

/* Lists dir's entries, dot-files left out, sorted so loads are reproducible. */
static int
list_dir(const char *dir, char ***names, size_t *count, struct buf *err)
{
	DIR *d;
	struct dirent *de;
	size_t cap = 0;

	*names = NULL;
	*count = 0;
	if ((d = opendir(dir)) == NULL) {
		buf_printf(err, "%s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (*count == cap) {
			cap = cap ? cap * 2 : 16;
			*names = xrealloc(*names, cap * sizeof **names);
		}
		(*names)[(*count)++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (*count > 0)
		qsort(*names, *count, sizeof **names, cmp_names);
	return 0;
}

/* Loads every template under path (a buffer we extend and trim as we go down). rel is where
 * template names start in it. */
static int
load_dir(struct tmpl_set *set, struct buf *path, size_t rel, int depth, struct buf *err)
{
	char **names = NULL;
	size_t count = 0, i, base = path->len;
	struct stat st;
	int rc = -1;

	if (depth > TMPL_MAX_DIR_DEPTH) {
		buf_printf(err, "%s: directories nested more than %d deep (a symlink loop?)",
		    buf_cstr(path), TMPL_MAX_DIR_DEPTH);
		return -1;
	}
	if (list_dir(buf_cstr(path), &names, &count, err) < 0)
		return -1;
	for (i = 0; i < count; i++) {
		path->len = base;
		if (base > 0 && path->data[base - 1] != '/')
			buf_putc(path, '/');
		buf_puts(path, names[i]);
		if (stat(buf_cstr(path), &st) < 0) {
			buf_printf(err, "%s: %s", buf_cstr(path), strerror(errno));
			goto out;
		}
		if (S_ISDIR(st.st_mode)) {
			if (load_dir(set, path, rel, depth + 1, err) < 0)
				goto out;
		} else if (S_ISREG(st.st_mode) && is_template_file(names[i])) {
			if (load_file(set, buf_cstr(path), rel, err) < 0)
				goto out;
		}
	}
	rc = 0;
out:
	path->len = base;
	if (path->data)
		path->data[base] = '\0';
	for (i = 0; i < count; i++)
		free(names[i]);
	free(names);
	return rc;
}

/* Every {{>name}} under l must name a template of the set. */
static int
check_partials(const struct tmpl_set *set, const struct tmpl *t, const struct nodelist *l,
    struct buf *err)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		const struct node *n = l->v[i];

		if (n->kind == NODE_PARTIAL && set_find(set, n->text) == NULL) {
			buf_printf(err, "%s:%u: partial \"%s\" names no template", t->file, n->line,
			    n->text);
			return -1;
		}
		if (check_partials(set, t, &n->kids, err) < 0)
			return -1;
	}
	return 0;
}

struct tmpl_set *
tmpl_set_load(const char *dir, struct buf *err)
{
	struct tmpl_set *set = tmpl_set_new();
	struct buf path = BUF_INIT;
	size_t i, rel;

	buf_puts(&path, dir);
	/* Names start after "dir/", however many slashes the caller wrote. */
	while (path.len > 1 && path.data[path.len - 1] == '/')
		path.data[--path.len] = '\0';
	rel = path.len + (path.len > 0 && path.data[path.len - 1] != '/');
	if (load_dir(set, &path, rel, 0, err) < 0)
		goto fail;
	for (i = 0; i < set->n; i++)
		if (check_partials(set, set->v[i], &set->v[i]->root, err) < 0)
			goto fail;
	buf_free(&path);
	return set;
fail:
	buf_free(&path);
	tmpl_set_free(set);
	return NULL;
}

/* ----------------------------------------------------------------------------------------------
 * Rendering */

/* The context stack lives on the C stack: one frame per section entered, innermost first. */
struct ctx {
	json_object		*v;
	const struct ctx	*up;
};

struct render {
	const struct tmpl_set	*set;
	struct buf		*out;
	struct buf		*err;
	/* Put at the start of every line of the partial being rendered (standalone partials). */
	const char		*indent;
	size_t			 indentlen;
	int			 depth;		/* partials entered */
};

static int render_list(struct render *r, const struct nodelist *l, const struct ctx *c);

/* The value a tag names, or NULL for missing and null alike. The first part is looked for
 * through the stack, innermost first; the rest only inside what it found (the spec: a broken
 * chain does not fall back to outer contexts). */
static json_object *
lookup(const struct node *n, const struct ctx *c)
{
	json_object *v = NULL;
	size_t i;

	if (n->nparts == 0)
		return c->v;
	for (; c != NULL; c = c->up)
		if (json_object_is_type(c->v, json_type_object) &&
		    json_object_object_get_ex(c->v, n->parts[0], &v))
			break;
	if (c == NULL)
		return NULL;
	for (i = 1; i < n->nparts; i++)
		if (!json_object_is_type(v, json_type_object) ||
		    !json_object_object_get_ex(v, n->parts[i], &v))
			return NULL;
	return v;
}

static int
truthy(json_object *v)
{
	double d;

	switch (json_object_get_type(v)) {
	case json_type_null:
		return 0;
	case json_type_boolean:
		return json_object_get_boolean(v);
	case json_type_int:
		/* Not get_int64: a uint64 above INT64_MAX must stay truthy. */
		return json_object_get_uint64(v) != 0 || json_object_get_int64(v) != 0;
	case json_type_double:
		d = json_object_get_double(v);
		return d != 0.0 && !isnan(d);
	case json_type_string:
		return json_object_get_string_len(v) > 0;
	case json_type_array:
		return json_object_array_length(v) > 0;
	case json_type_object:
		return 1;
	}
	return 0;
}

void
tmpl_escape_html(struct buf *out, const char *s, size_t n)
{
	size_t i, run = 0;
	const char *ent;

	for (i = 0; i < n; i++) {
		switch (s[i]) {
		case '&':  ent = "&amp;";  break;
		case '<':  ent = "&lt;";   break;
		case '>':  ent = "&gt;";   break;
		case '"':  ent = "&quot;"; break;
		case '\'': ent = "&#39;";  break;
		case '`':  ent = "&#96;";  break;
		case '=':  ent = "&#61;";  break;
		default:   continue;
		}
		buf_append(out, s + run, i - run);
		buf_puts(out, ent);
		run = i + 1;
	}
	buf_append(out, s + run, n - run);
}

static void
put_indent(struct render *r, const struct node *n)
{
	if (n->bol && r->indentlen > 0)
		buf_append(r->out, r->indent, r->indentlen);
}

/* Text, with the partial indentation after each of its newlines but a final one (the next node,
 * if there is one, starts a line and indents itself). */
static void
render_text(struct render *r, const struct node *n)
{
	const char *s = n->text, *end, *nl;

	put_indent(r, n);
	/* The empty node a comment leaves to carry a line's indentation has no text at all: NULL,
	 * to which not even 0 may be added. */
	if (n->len == 0)
		return;
	end = s + n->len;
	if (r->indentlen == 0) {
		buf_append(r->out, s, n->len);
		return;
	}
	while ((nl = memchr(s, '\n', (size_t)(end - s))) != NULL && nl + 1 < end) {
		buf_append(r->out, s, (size_t)(nl + 1 - s));
		buf_append(r->out, r->indent, r->indentlen);
		s = nl + 1;
	}
	buf_append(r->out, s, (size_t)(end - s));
}

static void
render_var(struct render *r, const struct node *n, const struct ctx *c)
{
	json_object *v = lookup(n, c);
	const char *s;
	size_t len;

	put_indent(r, n);
	switch (json_object_get_type(v)) {
	case json_type_string:
		s = json_object_get_string(v);
		len = (size_t)json_object_get_string_len(v);
		break;
	case json_type_int:
	case json_type_double:
	case json_type_boolean:
		s = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
		len = strlen(s);
		break;
	default:
		/* null, missing, and objects and arrays (see the top of the file). */
		return;
	}
	if (n->kind == NODE_RAW)
		buf_append(r->out, s, len);
	else
		tmpl_escape_html(r->out, s, len);
}

static int
render_section(struct render *r, const struct node *n, const struct ctx *c)
{
	json_object *v = lookup(n, c);
	struct ctx inner = { v, c };
	size_t i, len;

	put_indent(r, n);
	if (n->kind == NODE_INVERTED)
		return truthy(v) ? 0 : render_list(r, &n->kids, c);
	if (!truthy(v))
		return 0;
	if (!json_object_is_type(v, json_type_array))
		return render_list(r, &n->kids, &inner);
	len = json_object_array_length(v);
	for (i = 0; i < len; i++) {
		inner.v = json_object_array_get_idx(v, i);
		if (render_list(r, &n->kids, &inner) < 0)
			return -1;
	}
	return 0;
}

static int
render_partial(struct render *r, const struct node *n, const struct ctx *c)
{
	const struct tmpl *t = set_find(r->set, n->text);
	const char *saved = r->indent;
	size_t savedlen = r->indentlen;
	struct buf both = BUF_INIT;
	int rc;

	put_indent(r, n);
	if (t == NULL) {
		buf_printf(r->err, "unknown partial \"%s\"", n->text);
		return -1;
	}
	if (r->depth >= TMPL_MAX_PARTIAL_DEPTH) {
		buf_printf(r->err, "partials nested more than %d deep (at \"%s\")",
		    TMPL_MAX_PARTIAL_DEPTH, n->text);
		return -1;
	}
	/* Only a standalone partial is indented, by its own blanks and those of the partials
	 * around it; an inline one starts mid-line, so indenting its first line would be wrong. */
	if (!n->standalone) {
		r->indent = NULL;
		r->indentlen = 0;
	} else if (savedlen > 0 && n->indentlen > 0) {
		buf_append(&both, saved, savedlen);
		buf_append(&both, n->indent, n->indentlen);
		r->indent = both.data;
		r->indentlen = both.len;
	} else if (n->indentlen > 0) {
		r->indent = n->indent;
		r->indentlen = n->indentlen;
	}
	r->depth++;
	rc = render_list(r, &t->root, c);
	r->depth--;
	r->indent = saved;
	r->indentlen = savedlen;
	buf_free(&both);
	return rc;
}

static int
render_list(struct render *r, const struct nodelist *l, const struct ctx *c)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		const struct node *n = l->v[i];

		switch (n->kind) {
		case NODE_TEXT:
			render_text(r, n);
			break;
		case NODE_VAR:
		case NODE_RAW:
			render_var(r, n, c);
			break;
		case NODE_SECTION:
		case NODE_INVERTED:
			if (render_section(r, n, c) < 0)
				return -1;
			break;
		case NODE_PARTIAL:
			if (render_partial(r, n, c) < 0)
				return -1;
			break;
		}
	}
	return 0;
}

int
tmpl_render(const struct tmpl_set *set, const char *name, json_object *ctx, struct buf *out,
    struct buf *err)
{
	struct render r = { 0 };
	struct ctx root = { ctx, NULL };
	const struct tmpl *t = set_find(set, name);

	if (t == NULL) {
		buf_printf(err, "unknown template \"%s\"", name);
		return -1;
	}
	r.set = set;
	r.out = out;
	r.err = err;
	return render_list(&r, &t->root, &root);
}
