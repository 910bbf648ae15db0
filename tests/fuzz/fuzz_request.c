/* fuzz_request.c: the request parser (lib/http/request.c): environment, path, query string,
 * cookies, Content-Length and Content-Type, form, JSON and multipart bodies.
 *
 * An input is a request written as the web server hands it over: CGI variables one per line
 * ("REQUEST_URI=/a?b=1", "HTTP_COOKIE=a=1; b=2", "CONTENT_TYPE=multipart/form-data;
 * boundary=x"), an empty line, then the body, which runs to the end of the input. The body is
 * handed over in a buffer of its own size with no NUL byte after it, so that a read past it is
 * one ASan sees: request.h promises to read body_len bytes and no more, though app.c's bodies
 * happen to end in a NUL. Lines without '=' are ignored; a line is cut at a NUL, as an
 * environment string would be. FUZZ_BODY=fields or FUZZ_BODY=raw chooses what the route takes
 * (default: uploads, which parse every kind of body).
 * The request is parsed twice into the same struct, as a FastCGI worker reuses it: the second
 * parse must give the same answer, owing nothing to the first. request_check (request_check.c)
 * checks each outcome against request.h. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "apierr.h"
#include "buf.h"
#include "fuzz.h"
#include "request.h"
#include "request_check.h"
#include "xalloc.h"

/* More than any request the seeds hold, and bounded so an input cannot cost much. */
#define MAX_ENV 32

/* Small limits, so that an input of a few kilobytes can cross each of them. */
static const struct request_limits base_limits = {
	.max_body = 2048,
	.max_uri = 512,
	.max_fields = 8,
	.max_header = 256,
	.max_json_depth = 6,
	.body = REQUEST_BODY_UPLOAD,
};

struct input {
	char       *env[MAX_ENV + 1];	/* NULL-terminated, as environ */
	size_t      nenv;
	char       *body;		/* a copy of exactly body_len bytes, or NULL */
	size_t      body_len;
	struct request_limits lim;
};

static char *
body_copy(const char *s, size_t n)
{
	char *b;

	if (n == 0)
		return NULL;
	b = xmalloc(n);	/* not xmemdup, which adds a NUL byte */
	memcpy(b, s, n);
	return b;
}

/* Splits data into variables and body. */
static void
input_split(const uint8_t *data, size_t size, struct input *in)
{
	const char *s = (const char *)data, *end = s + size, *nl, *v;
	size_t len;

	memset(in, 0, sizeof *in);
	in->lim = base_limits;
	while (s < end) {
		nl = memchr(s, '\n', (size_t)(end - s));
		len = nl != NULL ? (size_t)(nl - s) : (size_t)(end - s);
		if (len == 0) {
			s++;
			break;
		}
		if (memchr(s, '=', len) != NULL && in->nenv < MAX_ENV)
			in->env[in->nenv++] = xstrndup(s, len);
		s += len + (nl != NULL);
	}
	in->body_len = (size_t)(end - s);
	in->body = body_copy(s, in->body_len);
	v = request_env(in->env, "FUZZ_BODY");
	if (v != NULL && strcmp(v, "fields") == 0)
		in->lim.body = REQUEST_BODY_FIELDS;
	else if (v != NULL && strcmp(v, "raw") == 0)
		in->lim.body = REQUEST_BODY_RAW;
}

static void
input_free(struct input *in)
{
	size_t i;

	for (i = 0; i < in->nenv; i++)
		free(in->env[i]);
	free(in->body);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in;
	struct request r;
	struct buf err = BUF_INIT, path = BUF_INIT;
	char *first_path;
	int rc;

	input_split(data, size, &in);
	request_init(&r);
	rc = request_parse(&r, in.env, in.body, in.body_len, &in.lim, &err);
	request_check(&r, rc, &err, in.body, in.body_len, &in.lim);
	/* Routing reads the path before the body; it must agree with the parse. */
	if (rc == APIERR_OK) {
		FUZZ_CHECK(request_env_path(in.env, &path));
		FUZZ_CHECK(strcmp(buf_cstr(&path), r.path) == 0);
	}
	first_path = xstrdup(r.path);
	FUZZ_CHECK(request_parse(&r, in.env, in.body, in.body_len, &in.lim, &err) == rc);
	request_check(&r, rc, &err, in.body, in.body_len, &in.lim);
	FUZZ_CHECK(strcmp(first_path, r.path) == 0);
	free(first_path);
	request_free(&r);
	buf_free(&err);
	buf_free(&path);
	input_free(&in);
	return 0;
}
