/* fuzz_json.c: JSON request bodies, which request_parse hands to request_parse_json
 * (lib/http/request_json.c) to check with json-c's strict tokener and its own guards: UTF-8, depth,
 * member count, NUL characters, a member name twice, NaN and Infinity.
 *
 * An input is the body of a POST with Content-Type application/json, under the default limits
 * of etc/starling.conf.example. Beyond request_check's contract (request_check.c): what is not
 * UTF-8 is refused as such; an accepted body is an object whose top-level scalars are copied
 * into the fields, and which prints back to JSON that json-c reads as the same value. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "apierr.h"
#include "buf.h"
#include "fuzz.h"
#include "request.h"
#include "request_check.h"
#include "utf8.h"

static const struct request_limits limits = {
	.max_body = 1048576,
	.max_uri = 8192,
	.max_fields = 64,
	.max_header = 8192,
	.max_json_depth = 16,
	.body = REQUEST_BODY_FIELDS,
};

/* Every top-level string, number and boolean is a field under its name. */
static void
check_copied(const struct request *r)
{
	size_t scalars = 0;

	json_object_object_foreach(r->json, key, val) {
		switch (json_object_get_type(val)) {
		case json_type_string:
		case json_type_int:
		case json_type_double:
		case json_type_boolean:
			scalars++;
			FUZZ_CHECK(kvlist_find(&r->body_fields, key) != NULL);
			break;
		default:
			break;
		}
	}
	FUZZ_CHECK(r->body_fields.n == scalars);
}

static void
check_round_trip(json_object *o)
{
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	json_object *back = json_tokener_parse(text);

	FUZZ_CHECK(back != NULL && json_object_equal(o, back));
	json_object_put(back);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char method[] = "REQUEST_METHOD=POST", uri[] = "REQUEST_URI=/api/v1/post",
	    type[] = "CONTENT_TYPE=application/json";
	char length[48];
	char *env[] = { method, uri, type, length, NULL };
	const char *body = size > 0 ? (const char *)data : NULL;
	struct request r;
	struct buf err = BUF_INIT;
	int rc;

	snprintf(length, sizeof length, "CONTENT_LENGTH=%zu", size);
	request_init(&r);
	rc = request_parse(&r, env, body, size, &limits, &err);
	request_check(&r, rc, &err, body, size, &limits);
	if (size > 0 && !utf8_valid(body, size))
		FUZZ_CHECK(rc == APIERR_BAD_UTF8);
	if (rc == APIERR_OK && size > 0) {
		FUZZ_CHECK(r.json != NULL);
		check_copied(&r);
		check_round_trip(r.json);
	} else {
		FUZZ_CHECK(r.json == NULL);
	}
	request_free(&r);
	buf_free(&err);
	return 0;
}
