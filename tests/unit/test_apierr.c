/* test_apierr.c: codes map to status code/100 (unknown: 500), messages, reason phrases. */
#include "config.h"

#include "test.h"

#include <limits.h>
#include <string.h>

#include "apierr.h"

/* Every code of the table, with the status and reason phrase it must answer with. */
struct code_row {
	int         line;
	int         code;
	int         status;
	const char *reason;
};

static const struct code_row code_rows[] = {
	{ __LINE__, APIERR_BAD_REQUEST,        400, "Bad Request" },
	{ __LINE__, APIERR_BAD_ENCODING,       400, "Bad Request" },
	{ __LINE__, APIERR_BAD_UTF8,           400, "Bad Request" },
	{ __LINE__, APIERR_BAD_JSON,           400, "Bad Request" },
	{ __LINE__, APIERR_INVALID_PARAM,      400, "Bad Request" },
	{ __LINE__, APIERR_MISSING_PARAM,      400, "Bad Request" },
	{ __LINE__, APIERR_UNAUTHORIZED,       401, "Unauthorized" },
	{ __LINE__, APIERR_FORBIDDEN,          403, "Forbidden" },
	{ __LINE__, APIERR_CSRF,               403, "Forbidden" },
	{ __LINE__, APIERR_NOT_FOUND,          404, "Not Found" },
	{ __LINE__, APIERR_METHOD_NOT_ALLOWED, 405, "Method Not Allowed" },
	{ __LINE__, APIERR_CONFLICT,           409, "Conflict" },
	{ __LINE__, APIERR_TOO_LARGE,          413, "Content Too Large" },
	{ __LINE__, APIERR_URI_TOO_LONG,       414, "URI Too Long" },
	{ __LINE__, APIERR_UNSUPPORTED_MEDIA,  415, "Unsupported Media Type" },
	{ __LINE__, APIERR_IDEMPOTENCY_REUSED, 422, "Unprocessable Content" },
	{ __LINE__, APIERR_REPLY_RESTRICTED,   403, "Forbidden" },
	{ __LINE__, APIERR_TEXT_TOO_LONG,      400, "Bad Request" },
	{ __LINE__, APIERR_HEADERS_TOO_LARGE,  431, "Request Header Fields Too Large" },
	{ __LINE__, APIERR_INTERNAL,           500, "Internal Server Error" },
	{ __LINE__, APIERR_UNAVAILABLE,        503, "Service Unavailable" },
};

static void
test_table_codes_map_to_code_div_100(void **state)
{
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof code_rows / sizeof code_rows[0]; i++) {
		const struct code_row *r = &code_rows[i];
		const char *msg = apierr_message(r->code);

		if (apierr_status(r->code) != r->status || r->status != r->code / 100)
			fail_msg("line %d: apierr_status(%d) = %d, want %d", r->line, r->code,
			    apierr_status(r->code), r->status);
		if (strcmp(apierr_reason(r->status), r->reason) != 0)
			fail_msg("line %d: apierr_reason(%d) = \"%s\", want \"%s\"", r->line,
			    r->status, apierr_reason(r->status), r->reason);
		/* Each code has its own message; only APIERR_INTERNAL says "internal error". */
		if (msg == NULL || *msg == '\0')
			fail_msg("line %d: no message for %d", r->line, r->code);
		if (r->code != APIERR_INTERNAL && strcmp(msg, "internal error") == 0)
			fail_msg("line %d: %d has the unknown-code message", r->line, r->code);
		for (j = 0; j < i; j++)
			if (code_rows[j].code == r->code ||
			    strcmp(apierr_message(code_rows[j].code), msg) == 0)
				fail_msg("line %d: code or message repeats line %d", r->line,
				    code_rows[j].line);
	}
}

/* Some messages read exactly as the API documentation shows them. */
static void
test_default_messages(void **state)
{
	(void)state;
	assert_string_equal(apierr_message(APIERR_OK), "ok");
	assert_string_equal(apierr_message(APIERR_NOT_FOUND), "not found");
	assert_string_equal(apierr_message(APIERR_UNAUTHORIZED), "login required");
	assert_string_equal(apierr_message(APIERR_INTERNAL), "internal error");
	assert_non_null(strstr(apierr_message(APIERR_CSRF), "CSRF"));
}

/* Success is 200. */
static void
test_ok_is_200(void **state)
{
	(void)state;
	assert_int_equal(apierr_status(APIERR_OK), 200);
	assert_string_equal(apierr_reason(200), "OK");
}

/* Codes that are not in the table are internal errors, even when code/100 looks like a status. */
struct unknown_row {
	int line;
	int code;
};

static const struct unknown_row unknown_rows[] = {
	{ __LINE__, 1 },
	{ __LINE__, -1 },
	{ __LINE__, 99 },
	{ __LINE__, 200 },
	{ __LINE__, 404 },          /* a status, not a code */
	{ __LINE__, 20000 },
	{ __LINE__, 39999 },
	{ __LINE__, 40007 },        /* the next 400 detail, not (yet) in the table */
	{ __LINE__, 40099 },
	{ __LINE__, 40101 },
	{ __LINE__, 40401 },
	{ __LINE__, 41800 },
	{ __LINE__, 42901 },
	{ __LINE__, 50001 },
	{ __LINE__, 60000 },
	{ __LINE__, -40400 },
	{ __LINE__, INT_MAX },
	{ __LINE__, INT_MIN },
};

static void
test_unknown_codes_are_500(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof unknown_rows / sizeof unknown_rows[0]; i++) {
		const struct unknown_row *r = &unknown_rows[i];

		if (apierr_status(r->code) != 500)
			fail_msg("line %d: apierr_status(%d) = %d, want 500", r->line, r->code,
			    apierr_status(r->code));
		if (strcmp(apierr_message(r->code), "internal error") != 0)
			fail_msg("line %d: apierr_message(%d) = \"%s\"", r->line, r->code,
			    apierr_message(r->code));
	}
}

/* Reason phrases of the statuses the site answers with outside the code table. */
struct reason_row {
	int         line;
	int         status;
	const char *reason;
};

static const struct reason_row reason_rows[] = {
	{ __LINE__, 200, "OK" },
	{ __LINE__, 201, "Created" },
	{ __LINE__, 204, "No Content" },
	{ __LINE__, 301, "Moved Permanently" },
	{ __LINE__, 302, "Found" },
	{ __LINE__, 303, "See Other" },
	{ __LINE__, 304, "Not Modified" },
	{ __LINE__, 429, "Too Many Requests" },
};

static void
test_reason_phrases(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof reason_rows / sizeof reason_rows[0]; i++) {
		const struct reason_row *r = &reason_rows[i];

		if (strcmp(apierr_reason(r->status), r->reason) != 0)
			fail_msg("line %d: apierr_reason(%d) = \"%s\", want \"%s\"", r->line,
			    r->status, apierr_reason(r->status), r->reason);
	}
}

/* A status without a phrase still gets a non-empty one, so a Status line is never malformed. */
static void
test_unknown_status_has_a_reason(void **state)
{
	static const int statuses[] = { 0, -1, 100, 199, 418, 451, 499, 501, 599, 999, INT_MAX,
	    INT_MIN };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
		const char *r = apierr_reason(statuses[i]);

		if (r == NULL || *r == '\0' || strpbrk(r, "\r\n") != NULL)
			fail_msg("status %d: no usable reason phrase", statuses[i]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_codes_map_to_code_div_100),
		cmocka_unit_test(test_default_messages),
		cmocka_unit_test(test_ok_is_200),
		cmocka_unit_test(test_unknown_codes_are_500),
		cmocka_unit_test(test_reason_phrases),
		cmocka_unit_test(test_unknown_status_has_a_reason),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
