/* route.c: route matching and parameter checking. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "apierr.h"
#include "id.h"
#include "route.h"
#include "utf8.h"

/* Compares one pattern segment with one path segment (both up to '/' or NUL); a ":name" segment
 * matches any non-empty segment and is captured. */
static bool
match_pattern(const char *pat, const char *path, struct kvlist *captures)
{
	size_t ncap = captures->n;

	while (*pat && *path) {
		size_t plen = strcspn(pat, "/"), slen = strcspn(path, "/");

		if (*pat == ':') {
			char name[64];

			if (slen == 0 || plen - 1 >= sizeof name)
				goto fail;
			memcpy(name, pat + 1, plen - 1);
			name[plen - 1] = '\0';
			kvlist_add(captures, name, path, slen);
		} else if (plen != slen || memcmp(pat, path, plen) != 0) {
			goto fail;
		}
		pat += plen;
		path += slen;
		if (*pat != *path)
			goto fail;
		if (*pat == '/') {
			pat++;
			path++;
		}
	}
	if (*pat == '\0' && *path == '\0')
		return true;
fail:
	/* Drop what this pattern captured before it failed. */
	while (captures->n > ncap) {
		captures->n--;
		free(captures->items[captures->n].name);
		free(captures->items[captures->n].value);
	}
	return false;
}

static bool
method_allows(enum http_method route_method, enum http_method m)
{
	return route_method == m || (route_method == HTTP_GET && m == HTTP_HEAD);
}

int
route_match(const struct route *routes, size_t n, enum http_method method, const char *path,
    const struct route **found, struct kvlist *captures, struct buf *allow)
{
	bool path_known = false;
	size_t i;

	*found = NULL;
	for (i = 0; i < n; i++) {
		if (!match_pattern(routes[i].pattern, path, captures))
			continue;
		if (method_allows(routes[i].method, method)) {
			*found = &routes[i];
			return APIERR_OK;
		}
		kvlist_reset(captures);
		if (allow->len)
			buf_puts(allow, ", ");
		buf_puts(allow, request_method_name(routes[i].method));
		if (routes[i].method == HTTP_GET)
			buf_puts(allow, ", HEAD");
		path_known = true;
	}
	return path_known ? APIERR_METHOD_NOT_ALLOWED : APIERR_NOT_FOUND;
}

bool
route_parse_id(const char *s, uint64_t *out)
{
	return id_parse(s, out);
}

static bool
parse_int(const char *s, long long *out)
{
	long long v;
	char *end;

	if (*s == '\0' || strspn(s + (*s == '-'), "0123456789") != strlen(s + (*s == '-')) ||
	    strlen(s) > 20)
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return false;
	*out = v;
	return true;
}

/* Checks value against spec and fills p; returns APIERR_OK or APIERR_INVALID_PARAM with err. */
static int
check_param(const struct param_spec *spec, const char *value, size_t vlen, struct param *p,
    struct buf *err)
{
	const char *const *c;
	size_t count;

	p->name = spec->name;
	p->type = spec->type;
	p->str = value;
	p->num = 0;
	p->id = 0;
	switch (spec->type) {
	case PARAM_STRING:
		count = utf8_count(value, vlen);
		if ((long)count < spec->min || (long)count > spec->max) {
			buf_printf(err, "parameter \"%s\" must be %ld to %ld characters long; got %zu",
			    spec->name, spec->min, spec->max, count);
			return APIERR_INVALID_PARAM;
		}
		return APIERR_OK;
	case PARAM_INT:
		if (!parse_int(value, &p->num) || p->num < spec->min || p->num > spec->max) {
			buf_printf(err, "parameter \"%s\" must be a whole number from %ld to %ld",
			    spec->name, spec->min, spec->max);
			return APIERR_INVALID_PARAM;
		}
		return APIERR_OK;
	case PARAM_ID:
		if (!route_parse_id(value, &p->id)) {
			buf_printf(err, "parameter \"%s\" must be an id (a positive decimal number)",
			    spec->name);
			return APIERR_INVALID_PARAM;
		}
		return APIERR_OK;
	case PARAM_CURSOR:
		if (*value == '\0')
			return APIERR_OK;                /* the first page */
		if (strcmp(value, ROUTE_CURSOR_END) == 0) {
			p->num = 1;
			return APIERR_OK;
		}
		if (!route_parse_id(value, &p->id)) {
			buf_printf(err, "parameter \"%s\" must be the cursor of the previous page "
			    "(an id) or %s", spec->name, ROUTE_CURSOR_END);
			return APIERR_INVALID_PARAM;
		}
		return APIERR_OK;
	case PARAM_BOOL:
		if (strcmp(value, "1") == 0 || strcmp(value, "true") == 0)
			p->num = 1;
		else if (strcmp(value, "0") == 0 || strcmp(value, "false") == 0)
			p->num = 0;
		else {
			buf_printf(err, "parameter \"%s\" must be 1 or 0", spec->name);
			return APIERR_INVALID_PARAM;
		}
		return APIERR_OK;
	case PARAM_ENUM:
		for (c = spec->choices; c && *c; c++)
			if (strcmp(*c, value) == 0)
				return APIERR_OK;
		buf_printf(err, "parameter \"%s\" must be one of:", spec->name);
		for (c = spec->choices; c && *c; c++)
			buf_printf(err, " %s", *c);
		return APIERR_INVALID_PARAM;
	}
	return APIERR_INVALID_PARAM;
}

/* Counts the fields called name; sets *first to the first. */
static size_t
find_field(const struct kvlist *fields, const char *name, const struct kv **first)
{
	size_t i, count = 0;

	*first = NULL;
	for (i = 0; i < fields->n; i++) {
		if (strcmp(fields->items[i].name, name) == 0) {
			if (count++ == 0)
				*first = &fields->items[i];
		}
	}
	return count;
}

int
route_params(const struct route *r, const struct request *req, struct params *out,
    struct buf *err)
{
	const struct kvlist *fields;
	const struct param_spec *spec;
	json_object *member;
	const struct kv *kv;
	int rc;

	out->n = 0;
	if (r->params == NULL)
		return APIERR_OK;
	/* A raw body has no fields: such a route (an upload PUT) takes its parameters from the
	 * query. */
	fields = (req->method == HTTP_GET || req->method == HTTP_HEAD || (r->flags & ROUTE_RAW)) ?
	    &req->query_fields : &req->body_fields;
	for (spec = r->params; spec->name != NULL; spec++) {
		size_t count = find_field(fields, spec->name, &kv);

		if (count > 1) {
			/* Which copy wins differs between proxies and frameworks; refuse both. */
			buf_printf(err, "parameter \"%s\" is given more than once", spec->name);
			return APIERR_INVALID_PARAM;
		}
		if (count == 0 && req->json != NULL && fields == &req->body_fields &&
		    json_object_object_get_ex(req->json, spec->name, &member) && member != NULL) {
			buf_printf(err, "parameter \"%s\" must be a string or a number", spec->name);
			return APIERR_INVALID_PARAM;
		}
		if (count == 0) {
			if (spec->flags & PARAM_REQUIRED) {
				buf_printf(err, "parameter \"%s\" is required", spec->name);
				return APIERR_MISSING_PARAM;
			}
			continue;
		}
		if (out->n == ROUTE_MAX_PARAMS)
			abort(); /* a route declaring too many parameters is a bug in its table */
		rc = check_param(spec, kv->value, kv->vlen, &out->items[out->n], err);
		if (rc != APIERR_OK)
			return rc;
		out->n++;
	}
	return APIERR_OK;
}

const struct param *
params_get(const struct params *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->items[i].name, name) == 0)
			return &p->items[i];
	return NULL;
}

const char *
params_str(const struct params *p, const char *name)
{
	const struct param *q = params_get(p, name);

	return q ? q->str : NULL;
}

long long
params_int(const struct params *p, const char *name, long long def)
{
	const struct param *q = params_get(p, name);

	return q ? q->num : def;
}

uint64_t
params_id(const struct params *p, const char *name)
{
	const struct param *q = params_get(p, name);

	return q ? q->id : 0;
}

bool
params_bool(const struct params *p, const char *name, bool def)
{
	const struct param *q = params_get(p, name);

	return q ? q->num != 0 : def;
}

bool
params_cursor(const struct params *p, const char *name, uint64_t *below)
{
	const struct param *v = params_get(p, name);

	*below = v != NULL && v->type == PARAM_CURSOR ? v->id : 0;
	return v != NULL && v->type == PARAM_CURSOR && v->num == 1;
}
