/* test_notify.c: the notification types: their names (the API's "type", the rows' numbers of
 * sql/006_notifications.sql) and the sentence each one has on the page in every language. The
 * rules that need the databases are tested over HTTP (tests/integration/test_notify.py). */
#include "config.h"

#include "test.h"

#include <limits.h>
#include <string.h>

#include "buf.h"
#include "i18n.h"
#include "notify.h"

/* The numbers are stored in tb_notification.type: they must never change. */
struct type_row {
	int         line;
	int         type;
	int         stored;
	const char *name;
};

static const struct type_row type_rows[] = {
	{ __LINE__, NOTIFY_LIKE,    1, "like" },
	{ __LINE__, NOTIFY_REPLY,   2, "reply" },
	{ __LINE__, NOTIFY_REPOST,  3, "repost" },
	{ __LINE__, NOTIFY_QUOTE,   4, "quote" },
	{ __LINE__, NOTIFY_FOLLOW,  5, "follow" },
	{ __LINE__, NOTIFY_MENTION, 6, "mention" },
};

static void
test_type_names(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof type_rows / sizeof type_rows[0]; i++) {
		const struct type_row *r = &type_rows[i];
		const char *name = notify_type_name(r->type);

		if (r->type != r->stored)
			fail_msg("line %d: %s is stored as %d, not %d", r->line, r->name, r->type,
			    r->stored);
		if (name == NULL || strcmp(name, r->name) != 0)
			fail_msg("line %d: type %d is named %s, want %s", r->line, r->type,
			    name ? name : "(null)", r->name);
	}
}

/* Values that name no type: a row written by a newer version, or a corrupt one. */
static const struct {
	int line;
	int type;
} unknown_rows[] = {
	{ __LINE__, 0 }, { __LINE__, 7 }, { __LINE__, -1 }, { __LINE__, 255 }, { __LINE__, INT_MAX },
	{ __LINE__, INT_MIN },
};

static void
test_unknown_types(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof unknown_rows / sizeof unknown_rows[0]; i++)
		if (notify_type_name(unknown_rows[i].type) != NULL)
			fail_msg("line %d: type %d has a name", unknown_rows[i].line,
			    unknown_rows[i].type);
}

/* The page says "@bob <sentence>" with the catalog's "notifications.<type>": every type has its
 * own sentence in every language (a missing one would show the key itself). */
static void
test_every_type_has_a_sentence(void **state)
{
	struct buf dir = BUF_INIT, err = BUF_INIT, key = BUF_INIT;
	const char *const *lang;
	struct i18n *c;
	size_t i, j;

	(void)state;
	buf_printf(&dir, "%s/templates/i18n", test_srcdir());
	c = i18n_load(buf_cstr(&dir), &err);
	if (c == NULL)
		fail_msg("%s", buf_cstr(&err));
	for (lang = i18n_languages; *lang != NULL; lang++) {
		for (i = 0; i < sizeof type_rows / sizeof type_rows[0]; i++) {
			const char *s;

			buf_reset(&key);
			buf_printf(&key, "notifications.%s", type_rows[i].name);
			s = i18n_get(c, *lang, buf_cstr(&key));
			if (strcmp(s, buf_cstr(&key)) == 0 || *s == '\0')
				fail_msg("line %d: no %s sentence for %s", type_rows[i].line, *lang,
				    type_rows[i].name);
			/* Two types with one sentence would tell the reader the wrong thing. */
			for (j = 0; j < i; j++) {
				struct buf other = BUF_INIT;

				buf_printf(&other, "notifications.%s", type_rows[j].name);
				if (strcmp(s, i18n_get(c, *lang, buf_cstr(&other))) == 0)
					fail_msg("line %d: %s says the same as %s in %s",
					    type_rows[i].line, type_rows[i].name, type_rows[j].name,
					    *lang);
				buf_free(&other);
			}
		}
	}
	i18n_free(c);
	buf_free(&dir);
	buf_free(&err);
	buf_free(&key);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_unknown_types),
		cmocka_unit_test(test_every_type_has_a_sentence),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
