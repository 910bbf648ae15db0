/* test_card.c: the counts a card shows (lib/card.h): the page's post_stats entry when there is
 * one, zeros for a record it does not know, and none at all when they could not be read (null:
 * their shard down, on a page that gathers from many), never zeros then; a repost's card shows
 * its original's. */
#include "config.h"

#include "test.h"

#include <stdbool.h>
#include <string.h>

#include <json-c/json.h>

#include "app.h"
#include "card.h"

#define COUNTS "{\"comments\":1,\"likes\":2,\"reposts\":3,\"quotes\":4}"
#define ZEROS  "{\"comments\":0,\"likes\":0,\"reposts\":0,\"quotes\":0}"
#define POST7  "{\"id\":\"7\",\"type\":\"post\",\"contentText\":\"hi\",\"rootId\":\"7\"}"

/* The page's counts (NULL: none read, as for a page without posts), a post_view object, and the
 * card's "stats" (NULL: no such member) and id. */
struct stats_row {
	int         line;
	const char *stats;
	const char *view;
	const char *want;
	const char *id;
};

static const struct stats_row stats_rows[] = {
	{ __LINE__, "{\"7\":" COUNTS "}", POST7, COUNTS, "7" },
	{ __LINE__, "{\"7\":null}",       POST7, NULL,   "7" },
	{ __LINE__, "{\"8\":null}",       POST7, ZEROS,  "7" },
	{ __LINE__, "{}",                 POST7, ZEROS,  "7" },
	{ __LINE__, NULL,                 POST7, ZEROS,  "7" },
	/* A repost is its original's card, with the original's counts (or none). */
	{ __LINE__, "{\"7\":" COUNTS "}",
	  "{\"id\":\"9\",\"type\":\"repost\",\"author\":{\"username\":\"e\"},\"original\":" POST7 "}",
	  COUNTS, "7" },
	{ __LINE__, "{\"7\":null,\"9\":" COUNTS "}",
	  "{\"id\":\"9\",\"type\":\"repost\",\"author\":{\"username\":\"e\"},\"original\":" POST7 "}",
	  NULL, "7" },
};

static json_object *
parse(int line, const char *s)
{
	json_object *o = s ? json_tokener_parse(s) : NULL;

	if (s != NULL && o == NULL)
		fail_msg("line %d: the row's JSON does not parse: %s", line, s);
	return o;
}

static void
test_card_stats(void **state)
{
	struct ctx ctx;
	size_t i;

	(void)state;
	memset(&ctx, 0, sizeof ctx);
	for (i = 0; i < sizeof stats_rows / sizeof stats_rows[0]; i++) {
		const struct stats_row *r = &stats_rows[i];
		struct card_set c = CARD_SET_INIT;
		json_object *card, *got = NULL, *want = parse(r->line, r->want), *id;
		bool has;

		c.ctx = &ctx;
		c.stats = parse(r->line, r->stats);
		card = card_make(&c, parse(r->line, r->view));
		if (card == NULL)
			fail_msg("line %d: no card", r->line);
		has = json_object_object_get_ex(card, "stats", &got);
		if (!json_object_object_get_ex(card, "id", &id) ||
		    strcmp(json_object_get_string(id), r->id) != 0)
			fail_msg("line %d: the card of %s, want %s", r->line,
			    json_object_get_string(id), r->id);
		if (want == NULL && has)
			fail_msg("line %d: stats %s, want none", r->line,
			    json_object_to_json_string(got));
		if (want != NULL && (!has || !json_object_equal(got, want)))
			fail_msg("line %d: stats %s, want %s", r->line,
			    has ? json_object_to_json_string(got) : "(none)", r->want);
		json_object_put(want);
		json_object_put(card);
		card_set_free(&c);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_card_stats),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
