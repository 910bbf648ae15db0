/* test_graph.c: the cursor of the lists of people (graph_parse_cursor): an ID's decimal digits
 * only, no leading zero, 1 .. UINT64_MAX; and graph_list_page refusing every other cursor with
 * 40004 and a message before it reads anything (the lists themselves are tested through HTTP:
 * tests/integration/test_graph.py). */
#include "config.h"

#include "test.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "apierr.h"
#include "app.h"
#include "graph.h"

struct cursor_row {
	int         line;
	const char *s;
	bool        ok;
	uint64_t    id;
};

static const struct cursor_row cursor_rows[] = {
	{ __LINE__, "1",                      true,  1 },
	{ __LINE__, "9",                      true,  9 },
	{ __LINE__, "10",                     true,  10 },
	{ __LINE__, "117598480012345344",     true,  117598480012345344ULL },
	{ __LINE__, "18446744073709551615",   true,  UINT64_MAX },
	{ __LINE__, "18446744073709551614",   true,  UINT64_MAX - 1 },
	/* Past UINT64_MAX, by one and by far. */
	{ __LINE__, "18446744073709551616",   false, 0 },
	{ __LINE__, "18446744073709551620",   false, 0 },
	{ __LINE__, "99999999999999999999",   false, 0 },
	{ __LINE__, "184467440737095516150",  false, 0 },
	{ __LINE__, "100000000000000000000000000000", false, 0 },
	/* Zero and leading zeros: one row, one cursor. */
	{ __LINE__, "0",                      false, 0 },
	{ __LINE__, "00",                     false, 0 },
	{ __LINE__, "01",                     false, 0 },
	{ __LINE__, "0117598480012345344",    false, 0 },
	/* What strtoull takes and an ID is not. */
	{ __LINE__, "",                       false, 0 },
	{ __LINE__, "-1",                     false, 0 },
	{ __LINE__, "+1",                     false, 0 },
	{ __LINE__, " 1",                     false, 0 },
	{ __LINE__, "1 ",                     false, 0 },
	{ __LINE__, "\t1",                    false, 0 },
	{ __LINE__, "0x10",                   false, 0 },
	{ __LINE__, "1e3",                    false, 0 },
	{ __LINE__, "1.0",                    false, 0 },
	{ __LINE__, "12a",                    false, 0 },
	{ __LINE__, "abc",                    false, 0 },
	{ __LINE__, "１２",                   false, 0 },   /* fullwidth digits */
};

static void
test_parse_cursor(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cursor_rows / sizeof cursor_rows[0]; i++) {
		const struct cursor_row *r = &cursor_rows[i];
		uint64_t id = 42;
		bool ok = graph_parse_cursor(r->s, &id);

		if (ok != r->ok)
			fail_msg("line %d: \"%s\" %s, want %s", r->line, r->s,
			    ok ? "accepted" : "refused", r->ok ? "accepted" : "refused");
		if (ok && id != r->id)
			fail_msg("line %d: \"%s\" read as %llu, want %llu", r->line, r->s,
			    (unsigned long long)id, (unsigned long long)r->id);
		if (!ok && id != 42)
			fail_msg("line %d: \"%s\" refused but *id changed", r->line, r->s);
	}
}

/* Every refused cursor is 40004 with a message naming the cursor, before any database is asked
 * (this ctx has none: a read would crash). */
static void
test_list_refuses_cursor(void **state)
{
	struct ctx ctx;
	json_object *out = NULL;
	size_t i;
	int rc;

	(void)state;
	ctx_init(&ctx, NULL, NULL);
	for (i = 0; i < sizeof cursor_rows / sizeof cursor_rows[0]; i++) {
		const struct cursor_row *r = &cursor_rows[i];

		if (r->ok || *r->s == '\0')
			continue;   /* accepted (or the first page): those read the database */
		rc = graph_list_page(&ctx, GRAPH_FOLLOWERS, 1, r->s, &out);
		if (rc != APIERR_INVALID_PARAM || out != NULL)
			fail_msg("line %d: cursor \"%s\": %d, want %d", r->line, r->s, rc,
			    APIERR_INVALID_PARAM);
		if (strncmp(buf_cstr(&ctx.message), "cursor: ", 8) != 0)
			fail_msg("line %d: cursor \"%s\": message \"%s\"", r->line, r->s,
			    buf_cstr(&ctx.message));
	}
	ctx_free(&ctx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_cursor),
		cmocka_unit_test(test_list_refuses_cursor),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
