/* request_json.c: application/json bodies for lib/http/request.c's parser: json-c's strict tokener,
 * then what it lets through (NUL, duplicate names, NaN, member count) (request_int.h). */
#include "config.h"

#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "apierr.h"
#include "request.h"
#include "request_int.h"
#include "utf8.h"
#include "xalloc.h"

/* ---- application/json ---------------------------------------------------------------------- */

/*
 * Finds a NUL character in the strings of a well-formed JSON text, raw or as \u0000, and sets *at.
 * json-c keeps a NUL in values but silently cuts member names at it ("a\u0000b" becomes "a"), so
 * the text is searched rather than the tree. Only called on text json-c accepted, where a backslash
 * only occurs in strings; skipping the escaped character keeps "\\u0000" (a literal backslash)
 * from matching.
 */
static bool
json_find_nul(const char *s, size_t n, size_t *at)
{
	size_t i;

	for (i = 0; i < n; i++) {
		*at = i;
		if (s[i] == '\0')
			return true;
		if (s[i] != '\\' || i + 1 >= n)
			continue;
		if (s[i + 1] == 'u' && n - i >= 6 && memcmp(s + i + 2, "0000", 4) == 0)
			return true;
		i++;
	}
	return false;
}

/* json-c reads NaN and Infinity even in strict mode, and 1e999 as infinity; none is a number a
 * route can store or compare, so they are refused wherever they are nested. */
static bool
json_finite(json_object *o)
{
	size_t i, n;

	switch (json_object_get_type(o)) {
	case json_type_double:
		return isfinite(json_object_get_double(o));
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			if (!json_finite(json_object_array_get_idx(o, i)))
				return false;
		return true;
	case json_type_object: {
		json_object_object_foreach(o, key, val) {
			(void)key;
			if (!json_finite(val))
				return false;
		}
		return true;
	}
	default:
		return true;
	}
}

/* Runs json-c's strict tokener over the whole body; *out is the object, or NULL with an error. */
static int
json_tokenize(const char *body, size_t n, int max_depth, json_object **out, struct buf *err)
{
	struct json_tokener *tok;
	enum json_tokener_error jerr;
	size_t end;
	int rc = APIERR_BAD_JSON;

	*out = NULL;
	/* json-c counts every value on the way down, the top object being 1: {"a":1} is 2 deep and
	 * {"a":{"b":1}} 3. At least 1, or json-c would refuse even "{}". */
	tok = json_tokener_new_ex(max_depth > 0 ? max_depth : 1);
	if (tok == NULL) {
		rc = APIERR_INTERNAL;
		buf_printf(err, "out of memory while parsing the JSON body");
		goto out;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	*out = json_tokener_parse_ex(tok, body, (int)n);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (jerr == json_tokener_error_depth)
		buf_printf(err, "JSON body is nested deeper than %d levels", max_depth);
	else if (jerr == json_tokener_continue)
		buf_printf(err, "malformed JSON body at offset %zu: the body ends before the JSON "
		    "object does", n);
	else if (jerr != json_tokener_success)
		buf_printf(err, "malformed JSON body at offset %zu: %s", end,
		    json_tokener_error_desc(jerr));
	else if (end != n)
		/* Strict json-c refuses trailing bytes other than whitespace and eats that whitespace;
		 * this is the guard should a later version stop doing either. */
		buf_printf(err, "malformed JSON body at offset %zu: unexpected data after the object",
		    end);
	else if (!json_object_is_type(*out, json_type_object))
		buf_printf(err, "JSON body must be an object ({\"name\": value, ...})");
	else
		rc = APIERR_OK;
out:
	if (tok != NULL)
		json_tokener_free(tok);
	if (rc != APIERR_OK) {
		json_object_put(*out);
		*out = NULL;
	}
	return rc;
}

/* Copies the top-level strings, numbers (as json-c prints them) and booleans ("1"/"0") into
 * body_fields, so a route reads form and JSON input alike. */
static void
json_copy_fields(struct request *r)
{
	const char *s;

	json_object_object_foreach(r->json, key, val) {
		switch (json_object_get_type(val)) {
		case json_type_string:
			kvlist_add(&r->body_fields, key, json_object_get_string(val),
			    (size_t)json_object_get_string_len(val));
			break;
		case json_type_int:
		case json_type_double:
			s = json_object_get_string(val);
			kvlist_add(&r->body_fields, key, s, strlen(s));
			break;
		case json_type_boolean:
			kvlist_add(&r->body_fields, key, json_object_get_boolean(val) ? "1" : "0", 1);
			break;
		default:
			break;
		}
	}
}

/* RFC 8259's whitespace, all that may stand between a member name and its ':'. */
static bool
json_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The member name of the JSON string at s (n bytes, both quotes included), decoded into name.
 * Most names hold no escape and are their bytes; the others are decoded by json-c, so that "a"
 * and "\u0061" are one name, as they are to json-c. */
static void
json_name(const char *s, size_t n, struct buf *name)
{
	struct json_tokener *tok;
	json_object *str = NULL;

	buf_reset(name);
	if (memchr(s + 1, '\\', n - 2) == NULL) {
		buf_append(name, s + 1, n - 2);
		return;
	}
	tok = json_tokener_new();
	if (tok != NULL)
		str = json_tokener_parse_ex(tok, s, (int)n);
	if (json_object_is_type(str, json_type_string))
		buf_append(name, json_object_get_string(str), (size_t)json_object_get_string_len(str));
	else
		buf_append(name, s + 1, n - 2);   /* not reached on text json-c took: the raw name */
	json_object_put(str);
	if (tok != NULL)
		json_tokener_free(tok);
}

/*
 * Finds a member name given twice in one object of a well-formed JSON text, at any depth, and
 * sets name to it. json-c keeps the last of the two without a word, where a query or a form
 * naming a parameter twice is refused (route.c): the text is walked once more, as the tree keeps
 * no trace of the first. Only called on text json-c accepted, with no \u0000 in it: a string
 * followed by ':' is then a member name, and strings and nesting are all there is to follow.
 * Each open object's names are kept in a json-c object used as a set (its values null).
 */
static bool
json_find_duplicate(const char *s, size_t n, struct buf *name)
{
	json_object **open = NULL;   /* one per open '{' or '[' (NULL: an array), innermost last */
	size_t depth = 0, cap = 0, i, start, j;
	bool dup = false;

	for (i = 0; i < n && !dup; i++) {
		if (s[i] == '{' || s[i] == '[') {
			if (depth == cap) {
				cap = cap ? 2 * cap : 8;
				open = xrealloc(open, cap * sizeof *open);
			}
			open[depth++] = s[i] == '{' ? json_object_new_object() : NULL;
		} else if ((s[i] == '}' || s[i] == ']') && depth > 0) {
			json_object_put(open[--depth]);
		} else if (s[i] == '"') {
			for (start = i++; i < n && s[i] != '"'; i++)
				if (s[i] == '\\')
					i++;
			for (j = i + 1; j < n && json_space(s[j]); j++)
				;
			if (j >= n || s[j] != ':' || depth == 0 || open[depth - 1] == NULL)
				continue;
			json_name(s + start, i + 1 - start, name);
			if (json_object_object_get_ex(open[depth - 1], buf_cstr(name), NULL))
				dup = true;
			else
				json_object_object_add(open[depth - 1], buf_cstr(name), NULL);
		}
	}
	while (depth > 0)
		json_object_put(open[--depth]);
	free(open);
	return dup;
}

/* Checks what the tokener lets through: member count, NUL characters, a member name twice,
 * non-finite numbers. */
static int
json_check(json_object *o, const char *body, size_t n, size_t max_fields, struct buf *err)
{
	struct buf name = BUF_INIT;
	size_t at;
	int rc = APIERR_OK;

	if ((size_t)json_object_object_length(o) > max_fields) {
		rc = APIERR_BAD_REQUEST;
		buf_printf(err, "too many members in the JSON body: the limit is %zu", max_fields);
		goto out;
	}
	if (json_find_nul(body, n, &at)) {
		rc = APIERR_BAD_ENCODING;
		buf_printf(err, "JSON body has a NUL character (\\u0000) in a string at offset %zu, "
		    "which is not allowed", at);
		goto out;
	}
	if (json_find_duplicate(body, n, &name)) {
		rc = APIERR_BAD_JSON;
		buf_printf(err, "JSON member ");
		request_err_quote(err, buf_cstr(&name), name.len);
		buf_printf(err, " is given more than once in one object; send each name once");
		goto out;
	}
	json_object_object_foreach(o, key, val) {
		if (!json_finite(val)) {
			rc = APIERR_BAD_JSON;
			buf_printf(err, "JSON member ");
			request_err_quote(err, key, strlen(key));
			buf_printf(err, " holds NaN, Infinity or a number too large for a double");
			goto out;
		}
	}
out:
	buf_free(&name);
	return rc;
}

int
request_parse_json(struct request *r, const char *body, size_t n, const struct request_limits *lim,
    struct buf *err)
{
	json_object *o = NULL;
	int rc;

	/* Checked first so json-c never sees invalid UTF-8 (it would copy it into strings as is). */
	if (!utf8_valid(body, n)) {
		rc = APIERR_BAD_UTF8;
		buf_printf(err, "JSON body is not valid UTF-8");
		goto out;
	}
	/* json-c takes an int length; max_body is far below this in any sane configuration. */
	if (n > INT_MAX) {
		rc = APIERR_TOO_LARGE;
		buf_printf(err, "JSON body is %zu bytes; the limit is %d", n, INT_MAX);
		goto out;
	}
	rc = json_tokenize(body, n, lim->max_json_depth, &o, err);
	if (rc != APIERR_OK)
		goto out;
	rc = json_check(o, body, n, lim->max_fields, err);
	if (rc != APIERR_OK)
		goto out;
	r->json = o;
	o = NULL;
	json_copy_fields(r);
out:
	json_object_put(o);
	return rc;
}
