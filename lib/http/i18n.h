/* i18n.h: the message catalogs every page takes its words from.
 *
 * templates/i18n/<lang>.json holds one catalog per language, a JSON object of nested objects whose
 * leaves are strings. Templates read them as {{t.section.key}}. Every language must have exactly
 * the same keys: a key missing in one catalog stops start-up, so no page can show a hole.
 *
 * A message that depends on a number is a plural message: an object of CLDR plural categories
 * ({"one": "like", "other": "likes"}), holding exactly the categories its language uses (English
 * one and other, Chinese other only: https://cldr.unicode.org/index/cldr-spec/plural-rules).
 * Both catalogs have it under the same key; i18n_plural picks the form for a count. */
#ifndef STARLING_I18N_H
#define STARLING_I18N_H

#include <stdbool.h>

#include <json-c/json.h>

#include "buf.h"

struct i18n;

/* The languages Starling speaks, NULL-terminated: { "en", "zh", NULL }. */
extern const char *const i18n_languages[];

/* True when lang is one of i18n_languages. */
bool i18n_supported(const char *lang);

/* Loads dir/<lang>.json for every language and checks them: each must be an object of objects and
 * strings, with the same keys as the first. Returns NULL with "file: problem" in err otherwise. */
struct i18n *i18n_load(const char *dir, struct buf *err);

/* The whole catalog of lang (a supported language), borrowed: valid until i18n_free. */
json_object *i18n_catalog(const struct i18n *c, const char *lang);

/* The text for a dotted key ("help.title") in lang: borrowed. The key itself when missing, so a
 * mistake shows up on the page instead of crashing it. */
const char *i18n_get(const struct i18n *c, const char *lang, const char *key);

/* The CLDR plural category of the whole number n in lang: "one" or "other" (static). */
const char *i18n_plural_category(const char *lang, long long n);

/* The form of the plural message key for the count n in lang ("post.likes", 1 -> "like"):
 * borrowed. A plain string under key is returned whatever n; the key itself when missing. */
const char *i18n_plural(const struct i18n *c, const char *lang, const char *key, long long n);

/* Chooses the language of a request: the lang cookie when it names a supported language, else the
 * first supported language in Accept-Language (by q-value), else def. Returns a static string. */
const char *i18n_negotiate(const char *cookie, const char *accept_language, const char *def);

void i18n_free(struct i18n *c);

#endif
