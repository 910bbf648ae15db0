/* request_check.c: what request_parse promises, as checks (request_check.h). */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "apierr.h"
#include "fuzz.h"
#include "request_check.h"
#include "utf8.h"

/* Text a route may hand to C string functions and put in a page: UTF-8 without NUL. */
static bool
is_text(const char *s, size_t n)
{
	return strlen(s) == n && utf8_valid(s, n);
}

/* Messages quote at most about 64 bytes of input (ECHO_MAX in request.c), so they stay short
 * whatever the request's size: no 400 is a way to make the server echo a large input. */
#define MESSAGE_MAX 512

/* A message for a client and a log line: UTF-8 without control characters, and short. */
static void
check_message(const struct buf *err)
{
	size_t i;

	FUZZ_CHECK(err->len > 0 && err->len <= MESSAGE_MAX && is_text(err->data, err->len));
	for (i = 0; i < err->len; i++)
		FUZZ_CHECK((unsigned char)err->data[i] >= 0x20 && err->data[i] != 0x7f);
}

/* Names of query, form and multipart fields are not empty; a JSON member's may be ({"":1}). */
static void
check_fields(const struct kvlist *l, size_t max, bool json)
{
	size_t i;

	FUZZ_CHECK(l->n <= max);
	for (i = 0; i < l->n; i++) {
		FUZZ_CHECK(json || l->items[i].name[0] != '\0');
		FUZZ_CHECK(is_text(l->items[i].name, strlen(l->items[i].name)));
		FUZZ_CHECK(is_text(l->items[i].value, l->items[i].vlen));
	}
}

/* Cookies are kept as sent, but split: no name is empty, and no piece holds a ';'. */
static void
check_cookies(const struct kvlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		FUZZ_CHECK(l->items[i].name[0] != '\0');
		FUZZ_CHECK(strchr(l->items[i].name, ';') == NULL);
		FUZZ_CHECK(memchr(l->items[i].value, ';', l->items[i].vlen) == NULL);
	}
}

static void
check_files(const struct request *r, const char *body, size_t n)
{
	size_t i, j;

	for (i = 0; i < r->nfiles; i++) {
		const struct request_file *f = &r->files[i];

		FUZZ_CHECK(f->name[0] != '\0' && is_text(f->name, strlen(f->name)));
		FUZZ_CHECK(utf8_valid(f->filename, strlen(f->filename)));
		FUZZ_CHECK(strpbrk(f->content_type, "ABCDEFGHIJKLMNOPQRSTUVWXYZ;") == NULL);
		/* Borrowed from the body, inside it. */
		FUZZ_CHECK(f->data >= body && f->len <= n && (size_t)(f->data - body) <= n - f->len);
		FUZZ_CHECK(request_file(r, f->name) == f);
		for (j = 0; j < r->body_fields.n; j++)
			FUZZ_CHECK(strcmp(r->body_fields.items[j].name, f->name) != 0);
	}
}

void
request_check(const struct request *r, int rc, const struct buf *err, const char *body,
    size_t n, const struct request_limits *lim)
{
	size_t i;

	FUZZ_CHECK(r->method_name != NULL && r->path != NULL && r->query != NULL &&
	    r->content_type != NULL && r->remote_addr != NULL && r->host != NULL);
	FUZZ_CHECK(request_parse_code_known(rc));
	if (rc != APIERR_OK) {
		check_message(err);
		return;
	}
	FUZZ_CHECK(err->len == 0);
	FUZZ_CHECK(r->path[0] == '/' && is_text(r->path, strlen(r->path)));
	FUZZ_CHECK(strpbrk(r->content_type, "ABCDEFGHIJKLMNOPQRSTUVWXYZ;") == NULL);
	for (i = 0; i < r->headers.n; i++)
		FUZZ_CHECK(r->headers.items[i].vlen <= lim->max_header);
	check_fields(&r->query_fields, lim->max_fields, false);
	check_fields(&r->body_fields, lim->max_fields, r->json != NULL);
	check_cookies(&r->cookies);
	check_files(r, body, n);
	FUZZ_CHECK(r->body_len == n && (n == 0 || r->body == body));
	if (r->json != NULL) {
		FUZZ_CHECK(json_object_is_type(r->json, json_type_object));
		FUZZ_CHECK(strcmp(r->content_type, "application/json") == 0);
		FUZZ_CHECK((size_t)json_object_object_length(r->json) <= lim->max_fields);
	}
}
