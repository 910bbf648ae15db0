/* atom.c: Atom feeds of posts (atom.h). */
#include "config.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "atom.h"
#include "utf8.h"

/* Characters of text shown in an entry's title after "@name: ". */
#define TITLE_CHARS 80

void
atom_escape(struct buf *out, const char *s)
{
	for (; s != NULL && *s; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '&': buf_puts(out, "&amp;"); break;
		case '<': buf_puts(out, "&lt;"); break;
		case '>': buf_puts(out, "&gt;"); break;
		case '"': buf_puts(out, "&quot;"); break;
		case '\'': buf_puts(out, "&#39;"); break;
		default:
			/* XML 1.0 allows tab, newline and carriage return below space, nothing else. */
			if (c >= 0x20 || c == '\t' || c == '\n' || c == '\r')
				buf_putc(out, (char)c);
		}
	}
}

static const char *
str(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : "";
}

static void
put_time(struct buf *out, const char *tag, int64_t t)
{
	char stamp[32];
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL)
		memset(&tm, 0, sizeof tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
	buf_printf(out, "<%s>%s</%s>\n", tag, stamp, tag);
}

static void
put_link(struct buf *out, const struct atom_feed *f, const char *rel, const char *type,
    const char *path)
{
	buf_printf(out, "<link rel=\"%s\"%s%s%s href=\"", rel, type ? " type=\"" : "",
	    type ? type : "", type ? "\"" : "");
	atom_escape(out, f->base_url);
	atom_escape(out, path);
	buf_puts(out, "\"/>\n");
}

/* The first TITLE_CHARS characters of s (whole UTF-8 sequences), an ellipsis when cut. */
static void
put_title_text(struct buf *out, const char *s)
{
	struct buf cut = BUF_INIT;
	size_t len = strlen(s), i = utf8_prefix(s, len, TITLE_CHARS);

	buf_append(&cut, s, i);
	atom_escape(out, buf_cstr(&cut));
	if (i < len)
		buf_puts(out, "\xe2\x80\xa6");
	buf_free(&cut);
}

static void
put_entry(const struct atom_feed *f, json_object *view, struct buf *out)
{
	json_object *author = json_object_object_get(view, "author"), *shown = view, *orig;
	const char *name = str(author, "displayName"), *user = str(author, "username"), *cw;
	struct buf path = BUF_INIT, text = BUF_INIT, title = BUF_INIT;
	json_object *t;

	/* A repost says whose post it passes on. */
	if (strcmp(str(view, "type"), "repost") == 0 &&
	    json_object_object_get_ex(view, "original", &orig) && orig != NULL) {
		buf_printf(&text, "Reposted @%s: ", str(json_object_object_get(orig, "author"),
		    "username"));
		shown = orig;
	}
	/* Behind a content warning: the title is the warning, as a card shows it closed, and the
	 * content says it first (a feed reader has no details element to hide the text in). */
	buf_puts(&title, buf_cstr(&text));
	cw = str(shown, "contentWarning");
	if (*cw != '\0') {
		buf_printf(&title, "CW: %s", cw);
		buf_printf(&text, "CW: %s\n\n", cw);
	} else {
		buf_puts(&title, str(shown, "contentText"));
	}
	buf_puts(&text, str(shown, "contentText"));
	buf_printf(&path, "/p/%s", str(view, "id"));
	buf_puts(out, "<entry>\n<id>");
	atom_escape(out, f->base_url);
	atom_escape(out, buf_cstr(&path));
	buf_puts(out, "</id>\n<title>@");
	atom_escape(out, user);
	buf_puts(out, ": ");
	put_title_text(out, buf_cstr(&title));
	buf_puts(out, "</title>\n");
	t = json_object_object_get(view, "createdAt");
	put_time(out, "published", json_object_get_int64(t));
	put_time(out, "updated", json_object_get_int64(t));
	buf_puts(out, "<author><name>");
	atom_escape(out, *name ? name : user);
	buf_puts(out, "</name><uri>");
	atom_escape(out, f->base_url);
	buf_puts(out, "/u/");
	atom_escape(out, user);
	buf_puts(out, "</uri></author>\n");
	put_link(out, f, "alternate", "text/html", buf_cstr(&path));
	buf_puts(out, "<content type=\"text\">");
	atom_escape(out, buf_cstr(&text));
	buf_puts(out, "</content>\n</entry>\n");
	buf_free(&path);
	buf_free(&text);
	buf_free(&title);
}

void
atom_render(const struct atom_feed *f, json_object *views, struct buf *out)
{
	size_t i, n = views != NULL ? json_object_array_length(views) : 0;
	int64_t newest = 0;

	for (i = 0; i < n; i++) {
		int64_t t = json_object_get_int64(json_object_object_get(
		    json_object_array_get_idx(views, i), "createdAt"));

		if (t > newest)
			newest = t;
	}
	buf_puts(out, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	    "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n<id>");
	atom_escape(out, f->base_url);
	atom_escape(out, f->page_path);
	buf_puts(out, "</id>\n<title>");
	atom_escape(out, f->title);
	buf_puts(out, "</title>\n");
	put_time(out, "updated", newest);
	put_link(out, f, "self", "application/atom+xml", f->self_path);
	put_link(out, f, "alternate", "text/html", f->page_path);
	buf_puts(out, "<generator>Starling</generator>\n");
	for (i = 0; i < n; i++)
		put_entry(f, json_object_array_get_idx(views, i), out);
	buf_puts(out, "</feed>\n");
}
