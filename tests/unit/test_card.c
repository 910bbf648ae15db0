/* test_card.c: the counts a card shows (lib/card.h): the page's post_stats entry when there is
 * one, zeros for a record it does not know, and none at all when they could not be read (null:
 * their shard down, on a page that gathers from many), never zeros then; a repost's card shows
 * its original's. With the counts, the words after each in their plural form ("1 reply",
 * "2 likes"; Chinese has one form), from the shipped catalogs. */
#include "config.h"

#include "test.h"

#include <stdbool.h>
#include <string.h>

#include <json-c/json.h>

#include "app.h"
#include "buf.h"
#include "card.h"
#include "i18n.h"

#define COUNTS "{\"comments\":1,\"likes\":2,\"reposts\":3,\"quotes\":4}"
#define ZEROS  "{\"comments\":0,\"likes\":0,\"reposts\":0,\"quotes\":0}"
/* The words of COUNTS and of ZEROS in English and of COUNTS in Chinese (templates/i18n). */
#define WORDS_EN "{\"comments\":\"reply\",\"likes\":\"likes\",\"reposts\":\"reposts\"," \
    "\"quotes\":\"quotes\"}"
#define WORDS_ZEROS "{\"comments\":\"replies\",\"likes\":\"likes\",\"reposts\":\"reposts\"," \
    "\"quotes\":\"quotes\"}"
#define WORDS_ZH "{\"comments\":\"条回复\",\"likes\":\"个喜欢\",\"reposts\":\"次转发\"," \
    "\"quotes\":\"次引用\"}"
#define POST7  "{\"id\":\"7\",\"type\":\"post\",\"contentText\":\"hi\",\"rootId\":\"7\"}"

/* The page's counts (NULL: none read, as for a page without posts), a post_view object, the
 * request's language, and the card's "stats" and "statsWords" (NULL: no such member) and id. */
struct stats_row {
	int         line;
	const char *stats;
	const char *view;
	const char *lang;
	const char *want;
	const char *words;
	const char *id;
};

static const struct stats_row stats_rows[] = {
	{ __LINE__, "{\"7\":" COUNTS "}", POST7, "en", COUNTS, WORDS_EN,    "7" },
	{ __LINE__, "{\"7\":" COUNTS "}", POST7, "zh", COUNTS, WORDS_ZH,    "7" },
	{ __LINE__, "{\"7\":null}",       POST7, "en", NULL,   NULL,        "7" },
	{ __LINE__, "{\"8\":null}",       POST7, "en", ZEROS,  WORDS_ZEROS, "7" },
	{ __LINE__, "{}",                 POST7, "en", ZEROS,  WORDS_ZEROS, "7" },
	{ __LINE__, NULL,                 POST7, "en", ZEROS,  WORDS_ZEROS, "7" },
	/* A repost is its original's card, with the original's counts (or none). */
	{ __LINE__, "{\"7\":" COUNTS "}",
	  "{\"id\":\"9\",\"type\":\"repost\",\"author\":{\"username\":\"e\"},\"original\":" POST7 "}",
	  "en", COUNTS, WORDS_EN, "7" },
	{ __LINE__, "{\"7\":null,\"9\":" COUNTS "}",
	  "{\"id\":\"9\",\"type\":\"repost\",\"author\":{\"username\":\"e\"},\"original\":" POST7 "}",
	  "en", NULL, NULL, "7" },
};

static json_object *
parse(int line, const char *s)
{
	json_object *o = s ? json_tokener_parse(s) : NULL;

	if (s != NULL && o == NULL)
		fail_msg("line %d: the row's JSON does not parse: %s", line, s);
	return o;
}

/* Fails the row unless card's member key is want (NULL: no such member). */
static void
check_member(int line, json_object *card, const char *key, const char *want_text)
{
	json_object *got = NULL, *want = parse(line, want_text);
	bool has = json_object_object_get_ex(card, key, &got);

	if (want == NULL && has)
		fail_msg("line %d: %s %s, want none", line, key, json_object_to_json_string(got));
	if (want != NULL && (!has || !json_object_equal(got, want)))
		fail_msg("line %d: %s %s, want %s", line, key,
		    has ? json_object_to_json_string(got) : "(none)", want_text);
	json_object_put(want);
}

static void
test_card_stats(void **state)
{
	struct app_env env;
	struct ctx ctx;
	struct buf dir = BUF_INIT, err = BUF_INIT;
	size_t i;

	(void)state;
	memset(&env, 0, sizeof env);
	memset(&ctx, 0, sizeof ctx);
	buf_printf(&dir, "%s/templates/i18n", test_srcdir());
	env.i18n = i18n_load(buf_cstr(&dir), &err);
	if (env.i18n == NULL)
		fail_msg("%s", buf_cstr(&err));
	ctx.env = &env;
	for (i = 0; i < sizeof stats_rows / sizeof stats_rows[0]; i++) {
		const struct stats_row *r = &stats_rows[i];
		struct card_set c = CARD_SET_INIT;
		json_object *card, *id;

		ctx.lang = r->lang;
		c.ctx = &ctx;
		c.stats = parse(r->line, r->stats);
		card = card_make(&c, parse(r->line, r->view));
		if (card == NULL)
			fail_msg("line %d: no card", r->line);
		if (!json_object_object_get_ex(card, "id", &id) ||
		    strcmp(json_object_get_string(id), r->id) != 0)
			fail_msg("line %d: the card of %s, want %s", r->line,
			    json_object_get_string(id), r->id);
		check_member(r->line, card, "stats", r->want);
		check_member(r->line, card, "statsWords", r->words);
		json_object_put(card);
		card_set_free(&c);
	}
	i18n_free(env.i18n);
	buf_free(&dir);
	buf_free(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_card_stats),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
