/* partial.h: partial answers, the one spelling of their mark.
 *
 * A read that gathers from several shards (the home timeline, search, hashtag pages,
 * notifications, the lists of people, popular users) is served from the shards that answer
 * when some do not (an instance down or hung: its breaker, lib/store/breaker.h, fails its
 * statements at once). What cannot be read is left out, never shown as missing or as zero; the
 * answer gets "partial": true (a whole answer has no such member); a page shows
 * templates/partials/partial_notice.mustache; and nothing built from it is cached as if whole
 * (cache_get_or_load's CACHE_LOAD_PARTIAL, lib/store/cache.h). The shard a read is about (the
 * viewer's for a timeline or notifications, the listed user's for a list) must still answer:
 * without it the read fails with 503, as before. Which reads may be partial is in docs/api.md. */
#ifndef STARLING_PARTIAL_H
#define STARLING_PARTIAL_H

#include <stdbool.h>

#include <json-c/json.h>

/* Adds "partial": true to the object answer when partial is true; nothing otherwise. */
void partial_mark(json_object *answer, bool partial);

/* Whether answer (an object, or NULL) is marked partial. */
bool partial_of(json_object *answer);

#endif
