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

/* The plural categories each language's messages have, in i18n_languages' order: CLDR's rules
 * for whole numbers (English "1 like", "2 likes"; Chinese has one form). */
static const char *const plural_forms[NLANG][3] = {
	{ "one", "other", NULL },
	{ "other", NULL, NULL },
};

/* Every category CLDR names: an object with "other" and only these keys is a plural message. */
static const char *const plural_categories[] = { "zero", "one", "two", "few", "many", "other",
    NULL };

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

static bool
in_list(const char *const *list, const char *s)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

static bool
is_plural(json_object *o)
{
	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "other", NULL))
		return false;
	json_object_object_foreach(o, key, v) {
		if (!in_list(plural_categories, key) || !json_object_is_type(v, json_type_string))
			return false;
	}
	return true;
}

/* Checks that the plural message o (at prefix in file f) has exactly the categories of the
 * language lang_i. Returns 0 or -1 with err. */
static int
check_plural(json_object *o, int lang_i, const char *f, const struct buf *prefix, struct buf *err)
{
	const char *const *want = plural_forms[lang_i];
	int nwant = 0;

	while (want[nwant] != NULL)
		nwant++;
	json_object_object_foreach(o, key, v) {
		(void)v;
		if (!in_list(want, key)) {
			buf_printf(err, "%s: plural \"%s\" has \"%s\", which %s does not use", f,
			    buf_cstr(prefix), key, i18n_languages[lang_i]);
			return -1;
		}
	}
	/* Only categories of want, no duplicates (JSON objects): so all of them iff as many. */
	if (json_object_object_length(o) != nwant) {
		buf_printf(err, "%s: plural \"%s\" must have the forms", f, buf_cstr(prefix));
		for (; *want != NULL; want++)
			buf_printf(err, " \"%s\"", *want);
		return -1;
	}
	return 0;
}

/* Checks that every leaf of a is a string or a plural message, and that a and b have the same
 * keys, a plural message where the other has one (with the categories of each file's
 * language: ia, ib); prefix is the dotted path so far. Returns 0 or -1 with err. */
static int
same_shape(json_object *a, json_object *b, int ia, int ib, const char *fa, const char *fb,
    struct buf *prefix, struct buf *err)
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
		if (is_plural(va) || is_plural(vb)) {
			if (!is_plural(va) || !is_plural(vb)) {
				buf_printf(err, "%s: \"%s\" must be a plural message (an object of "
				    "\"one\", \"other\"...) in both catalogs, as in %s",
				    is_plural(va) ? fb : fa, buf_cstr(prefix), is_plural(va) ? fa : fb);
				rc = -1;
			} else if (check_plural(va, ia, fa, prefix, err) != 0 ||
			    check_plural(vb, ib, fb, prefix, err) != 0) {
				rc = -1;
			}
		} else if (json_object_is_type(va, json_type_object) &&
		    json_object_is_type(vb, json_type_object)) {
			rc = same_shape(va, vb, ia, ib, fa, fb, prefix, err);
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
		if (same_shape(c->catalogs[0], c->catalogs[i], 0, i, buf_cstr(&path[0]),
		    buf_cstr(&path[i]), &prefix, err) != 0 ||
		    same_shape(c->catalogs[i], c->catalogs[0], i, 0, buf_cstr(&path[i]),
		    buf_cstr(&path[0]), &prefix, err) != 0)
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

/* The value under a dotted key in lang's catalog (borrowed), or NULL. */
static json_object *
lookup(const struct i18n *c, const char *lang, const char *key)
{
	json_object *o = i18n_catalog(c, lang);
	const char *p = key;

	while (o != NULL && *p) {
		size_t n = strcspn(p, ".");
		char part[64];

		if (n >= sizeof part)
			return NULL;
		memcpy(part, p, n);
		part[n] = '\0';
		if (!json_object_object_get_ex(o, part, &o))
			return NULL;
		p += n + (p[n] == '.');
	}
	return o;
}

const char *
i18n_get(const struct i18n *c, const char *lang, const char *key)
{
	json_object *o = lookup(c, lang, key);

	return o && json_object_is_type(o, json_type_string) ? json_object_get_string(o) : key;
}

const char *
i18n_plural_category(const char *lang, long long n)
{
	int i = lang != NULL ? lang_index(lang) : -1;

	/* English (and the default): "one" for exactly 1, CLDR's rule for whole numbers. */
	if (i <= 0)
		return n == 1 ? "one" : "other";
	return "other";
}

const char *
i18n_plural(const struct i18n *c, const char *lang, const char *key, long long n)
{
	json_object *o = lookup(c, lang, key), *form = NULL;

	if (o != NULL && json_object_is_type(o, json_type_string))
		return json_object_get_string(o);
	/* The load checked each plural message has every category its language uses. */
	if (o != NULL && json_object_object_get_ex(o, i18n_plural_category(lang, n), &form) &&
	    json_object_is_type(form, json_type_string))
		return json_object_get_string(form);
	return key;
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
