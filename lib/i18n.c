/* i18n.c: message catalogs and language negotiation. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "i18n.h"
#include "xalloc.h"

const char *const i18n_languages[] = { "en", "zh", NULL };

#define NLANG 2

struct i18n {
	json_object *catalogs[NLANG];
};

static int
lang_index(const char *lang)
{
	int i;

	for (i = 0; i18n_languages[i] != NULL; i++)
		if (strcmp(i18n_languages[i], lang) == 0)
			return i;
	return -1;
}

bool
i18n_supported(const char *lang)
{
	return lang != NULL && lang_index(lang) >= 0;
}

/* Checks that every leaf of a is a string and that a and b have the same keys; prefix is the
 * dotted path so far. Returns 0 or -1 with err. */
static int
same_shape(json_object *a, json_object *b, const char *fa, const char *fb, struct buf *prefix,
    struct buf *err)
{
	size_t plen = prefix->len;
	int rc = 0;

	json_object_object_foreach(a, key, va) {
		json_object *vb = NULL;

		prefix->len = plen;
		buf_printf(prefix, "%s%s", plen ? "." : "", key);
		if (!json_object_object_get_ex(b, key, &vb)) {
			buf_printf(err, "%s: key \"%s\" is missing (it is in %s)", fb, buf_cstr(prefix), fa);
			rc = -1;
			break;
		}
		if (json_object_is_type(va, json_type_object) && json_object_is_type(vb, json_type_object)) {
			rc = same_shape(va, vb, fa, fb, prefix, err);
		} else if (!json_object_is_type(va, json_type_object) &&
		    !json_object_is_type(va, json_type_string)) {
			buf_printf(err, "%s: \"%s\" must be a string or an object", fa, buf_cstr(prefix));
			rc = -1;
		} else if (json_object_get_type(va) != json_object_get_type(vb)) {
			/* a holds a valid string or object here, so b is the side that differs. */
			buf_printf(err, "%s: \"%s\" must be %s, as in %s", fb, buf_cstr(prefix),
			    json_object_is_type(va, json_type_object) ? "an object" : "a string", fa);
			rc = -1;
		}
		if (rc != 0)
			break;
	}
	prefix->len = plen;
	if (prefix->data)
		prefix->data[plen] = '\0';
	return rc;
}

/* Catalogs are small; anything larger is the wrong file. */
#define CATALOG_MAX (1024 * 1024)

/* Parses a whole file as one strict JSON value: json_object_from_file would accept trailing
 * garbage such as a second object or a leftover merge-conflict marker. */
static json_object *
parse_file(const char *path, struct buf *err)
{
	struct buf text = BUF_INIT;
	json_tokener *tok = NULL;
	json_object *o = NULL;

	if (buf_read_file(&text, path, CATALOG_MAX, err) != 0)
		goto out;
	tok = json_tokener_new();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, buf_cstr(&text), (int)text.len);
	if (o == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    strspn(text.data + json_tokener_get_parse_end(tok), " \t\r\n") !=
	    text.len - json_tokener_get_parse_end(tok)) {
		enum json_tokener_error e = json_tokener_get_error(tok);

		buf_printf(err, "%s: cannot read or parse: %s", path,
		    o != NULL ? "text after the JSON value" :
		    e == json_tokener_continue ? "the JSON ends too early" : json_tokener_error_desc(e));
		json_object_put(o);
		o = NULL;
	}
out:
	if (tok != NULL)
		json_tokener_free(tok);
	buf_free(&text);
	return o;
}

struct i18n *
i18n_load(const char *dir, struct buf *err)
{
	struct i18n *c = xcalloc(1, sizeof *c);
	struct buf path[NLANG] = { BUF_INIT, BUF_INIT }, prefix = BUF_INIT;
	int i;

	for (i = 0; i < NLANG; i++) {
		buf_printf(&path[i], "%s/%s.json", dir, i18n_languages[i]);
		c->catalogs[i] = parse_file(buf_cstr(&path[i]), err);
		if (c->catalogs[i] == NULL)
			goto fail;
		if (!json_object_is_type(c->catalogs[i], json_type_object)) {
			buf_printf(err, "%s: must hold a JSON object", buf_cstr(&path[i]));
			goto fail;
		}
	}
	/* Both directions, so a key present only in the second catalog is caught too. */
	for (i = 1; i < NLANG; i++) {
		if (same_shape(c->catalogs[0], c->catalogs[i], buf_cstr(&path[0]), buf_cstr(&path[i]),
		    &prefix, err) != 0 ||
		    same_shape(c->catalogs[i], c->catalogs[0], buf_cstr(&path[i]), buf_cstr(&path[0]),
		    &prefix, err) != 0)
			goto fail;
	}
	for (i = 0; i < NLANG; i++)
		buf_free(&path[i]);
	buf_free(&prefix);
	return c;
fail:
	for (i = 0; i < NLANG; i++)
		buf_free(&path[i]);
	buf_free(&prefix);
	i18n_free(c);
	return NULL;
}

json_object *
i18n_catalog(const struct i18n *c, const char *lang)
{
	int i = lang_index(lang);

	return c->catalogs[i < 0 ? 0 : i];
}

const char *
i18n_get(const struct i18n *c, const char *lang, const char *key)
{
	json_object *o = i18n_catalog(c, lang);
	const char *p = key;

	while (o != NULL && *p) {
		size_t n = strcspn(p, ".");
		char part[64];

		if (n >= sizeof part)
			return key;
		memcpy(part, p, n);
		part[n] = '\0';
		if (!json_object_object_get_ex(o, part, &o))
			return key;
		p += n + (p[n] == '.');
	}
	return o && json_object_is_type(o, json_type_string) ? json_object_get_string(o) : key;
}

/* The q-value of an Accept-Language item's parameters (";q=0.5"); 1 when absent. */
static double
item_quality(const char *params, size_t n)
{
	const char *q = NULL;
	size_t i;

	for (i = 0; i + 1 < n; i++) {
		if ((params[i] == 'q' || params[i] == 'Q') && params[i + 1] == '=') {
			q = params + i + 2;
			break;
		}
	}
	if (q == NULL)
		return 1.0;
	return strtod(q, NULL);
}

const char *
i18n_negotiate(const char *cookie, const char *accept_language, const char *def)
{
	const char *p = accept_language, *best = NULL;
	double bestq = 0.0;
	int i;

	if (cookie != NULL && (i = lang_index(cookie)) >= 0)
		return i18n_languages[i];
	while (p != NULL && *p) {
		size_t n = strcspn(p, ","), tag;

		while (n && (*p == ' ' || *p == '\t'))
			p++, n--;
		tag = strcspn(p, ";-_, \t");
		if (tag > n)
			tag = n;
		for (i = 0; i18n_languages[i] != NULL; i++) {
			if (strlen(i18n_languages[i]) == tag && strncasecmp(p, i18n_languages[i], tag) == 0) {
				double q = item_quality(p + tag, n - tag);

				if (q > bestq) {
					bestq = q;
					best = i18n_languages[i];
				}
			}
		}
		p += n;
		if (*p == ',')
			p++;
	}
	if (best != NULL)
		return best;
	i = def ? lang_index(def) : -1;
	return i18n_languages[i < 0 ? 0 : i];
}

void
i18n_free(struct i18n *c)
{
	int i;

	if (c == NULL)
		return;
	for (i = 0; i < NLANG; i++)
		json_object_put(c->catalogs[i]);
	free(c);
}
