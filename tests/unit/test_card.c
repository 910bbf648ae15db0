/* test_card.c: the counts a card shows (lib/app/card.h): the page's post_stats entry when there is
 * one, zeros for a record it does not know, and none at all when they could not be read (null:
 * their shard down, on a page that gathers from many), never zeros then; a repost's card shows
 * its original's. With the counts, the words after each in their plural form ("1 reply",
 * "2 likes"; Chinese has one form), from the shipped catalogs. And its time: "3 m", "2 h", "5 d",
 * then a date in the viewer's zone, with the exact time there for the title. */
#include "config.h"

#include "test.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* A card's time (card_time) as the page's language and zone show it, seen at NOW. */
#define NOW 1768478400LL /* 2026-01-15 12:00 UTC */
struct time_row {
	int         line;
	long long   created;
	const char *lang, *zone;
	const char *time, *title, *iso;
};

static const struct time_row time_rows[] = {
	{ __LINE__, NOW - 30, "en", "UTC", "now", "2026-01-15 11:59 UTC", "2026-01-15T11:59:30Z" },
	{ __LINE__, NOW - 30, "zh", "UTC", "刚刚", "2026-01-15 11:59 UTC", "2026-01-15T11:59:30Z" },
	/* A time ahead of the clock (another host's) is "now", not "-1 m". */
	{ __LINE__, NOW + 100, "en", "", "now", "2026-01-15 12:01 UTC", "2026-01-15T12:01:40Z" },
	{ __LINE__, NOW - 180, "en", "UTC", "3 m", "2026-01-15 11:57 UTC", "2026-01-15T11:57:00Z" },
	{ __LINE__, NOW - 180, "zh", "UTC", "3 分钟", "2026-01-15 11:57 UTC", "2026-01-15T11:57:00Z" },
	{ __LINE__, NOW - 3599, "en", "UTC", "59 m", "2026-01-15 11:00 UTC", "2026-01-15T11:00:01Z" },
	{ __LINE__, NOW - 7200, "en", "Asia/Shanghai", "2 h", "2026-01-15 18:00 CST (Asia/Shanghai)",
	  "2026-01-15T10:00:00Z" },
	{ __LINE__, NOW - 7200, "zh", "America/New_York", "2 小时",
	  "2026-01-15 05:00 EST (America/New_York)", "2026-01-15T10:00:00Z" },
	{ __LINE__, NOW - 5 * 86400, "en", "UTC", "5 d", "2026-01-10 12:00 UTC", "2026-01-10T12:00:00Z" },
	{ __LINE__, NOW - 5 * 86400, "zh", "UTC", "5 天", "2026-01-10 12:00 UTC", "2026-01-10T12:00:00Z" },
	/* After a week, the date; the day is the zone's: 20:00 UTC is the next morning in Shanghai. */
	{ __LINE__, NOW - 8 * 86400, "en", "UTC", "Jan 7", "2026-01-07 12:00 UTC", "2026-01-07T12:00:00Z" },
	{ __LINE__, 1767816000, "en", "UTC", "Jan 7", "2026-01-07 20:00 UTC", "2026-01-07T20:00:00Z" },
	{ __LINE__, 1767816000, "en", "Asia/Shanghai", "Jan 8", "2026-01-08 04:00 CST (Asia/Shanghai)",
	  "2026-01-07T20:00:00Z" },
	{ __LINE__, 1767816000, "zh", "Asia/Shanghai", "1月8日", "2026-01-08 04:00 CST (Asia/Shanghai)",
	  "2026-01-07T20:00:00Z" },
	/* Another year's date says its year. */
	{ __LINE__, 1764547200, "en", "UTC", "Dec 1, 2025", "2025-12-01 00:00 UTC", "2025-12-01T00:00:00Z" },
	{ __LINE__, 1764547200, "zh", "Asia/Shanghai", "2025年12月1日",
	  "2025-12-01 08:00 CST (Asia/Shanghai)", "2025-12-01T00:00:00Z" },
	{ __LINE__, 1764547200, "en", "America/New_York", "Nov 30, 2025",
	  "2025-11-30 19:00 EST (America/New_York)", "2025-12-01T00:00:00Z" },
};

static void
check_str(int line, json_object *o, const char *key, const char *want)
{
	json_object *v;
	const char *got = json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;

	if (got == NULL || strcmp(got, want) != 0)
		fail_msg("line %d: %s \"%s\", want \"%s\"", line, key, got ? got : "(none)", want);
}

static void
test_card_time(void **state)
{
	struct app_env env;
	struct ctx ctx;
	struct buf dir = BUF_INIT, err = BUF_INIT;
	size_t i;

	(void)state;
	if (access("/usr/share/zoneinfo/Asia/Shanghai", R_OK) != 0)
		skip();
	memset(&env, 0, sizeof env);
	memset(&ctx, 0, sizeof ctx);
	buf_printf(&dir, "%s/templates/i18n", test_srcdir());
	env.i18n = i18n_load(buf_cstr(&dir), &err);
	if (env.i18n == NULL)
		fail_msg("%s", buf_cstr(&err));
	ctx.env = &env;
	for (i = 0; i < sizeof time_rows / sizeof time_rows[0]; i++) {
		const struct time_row *r = &time_rows[i];
		struct card_set c = CARD_SET_INIT;
		json_object *o = json_object_new_object();

		ctx.lang = r->lang;
		c.ctx = &ctx;
		c.now = (time_t)NOW;
		snprintf(c.zone, sizeof c.zone, "%s", r->zone);
		json_object_object_add(o, "createdAt", json_object_new_int64(r->created));
		card_time(&c, o);
		check_str(r->line, o, "time", r->time);
		check_str(r->line, o, "timeTitle", r->title);
		check_str(r->line, o, "timeIso", r->iso);
		json_object_put(o);
	}
	i18n_free(env.i18n);
	buf_free(&dir);
	buf_free(&err);
}

/* The generated avatar (card_avatar): the name's first character, whole and capitalised, in a
 * colour of the palette chosen by id; none for a user with a picture. */
struct avatar_row {
	int         line;
	const char *user;
	const char *initial;     /* NULL: no avatar member */
};

static const struct avatar_row avatar_rows[] = {
	{ __LINE__, "{\"id\":\"5\",\"username\":\"bob\",\"displayName\":\"alice\",\"avatarUrl\":\"\"}", "A" },
	{ __LINE__, "{\"id\":\"5\",\"username\":\"bob\",\"displayName\":\"\"}", "B" },
	{ __LINE__, "{\"id\":\"6\",\"username\":\"u1\",\"displayName\":\"椋鸟\"}", "椋" },
	{ __LINE__, "{\"id\":\"7\",\"username\":\"u2\",\"displayName\":\"Émile\"}", "É" },
	{ __LINE__, "{\"id\":\"8\",\"username\":\"u3\",\"displayName\":\"<b>\"}", "<" },
	{ __LINE__, "{\"id\":\"9\"}", "?" },
	{ __LINE__, "{\"id\":\"5\",\"displayName\":\"alice\",\"avatarUrl\":\"https://x/a.png\"}", NULL },
};

static void
test_card_avatar(void **state)
{
	char *color5 = NULL;
	size_t i;

	(void)state;
	card_avatar(NULL);
	for (i = 0; i < sizeof avatar_rows / sizeof avatar_rows[0]; i++) {
		const struct avatar_row *r = &avatar_rows[i];
		json_object *u = parse(r->line, r->user), *a = NULL, *v;
		const char *color;

		card_avatar(u);
		if (!json_object_object_get_ex(u, "avatar", &a)) {
			if (r->initial != NULL)
				fail_msg("line %d: no avatar", r->line);
			json_object_put(u);
			continue;
		}
		if (r->initial == NULL)
			fail_msg("line %d: an avatar for a user with a picture", r->line);
		check_str(r->line, a, "initial", r->initial);
		color = json_object_object_get_ex(a, "color", &v) ? json_object_get_string(v) : "";
		if (strlen(color) != 7 || color[0] != '#')
			fail_msg("line %d: colour %s", r->line, color);
		/* The same id, the same colour, whatever the name. */
		if (strcmp(json_object_get_string(json_object_object_get(u, "id")), "5") == 0) {
			if (color5 != NULL && strcmp(color5, color) != 0)
				fail_msg("line %d: id 5 in %s and %s", r->line, color5, color);
			color5 = color5 ? color5 : strdup(color);
		}
		json_object_put(u);
	}
	free(color5);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_card_stats),
		cmocka_unit_test(test_card_time),
		cmocka_unit_test(test_card_avatar),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
