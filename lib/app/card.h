/* card.h: a post as a page shows it: a post_view() object (post.h) turned into the data of
 * templates/partials/post_card.mustache, and the compose form of partials/compose_form.
 *
 * Every page that lists posts (the post page, profiles, the home timeline, hashtag and search
 * pages) goes through here, so a card looks and acts the same everywhere: the text as HTML
 * (text_html: escaped, with hashtag, mention and URL links), the time, the links, which buttons
 * apply, the counts of one post_stats() call per page (the seed's split: content from the
 * content cache, counts from the counts cache), and the link card of the text's first URL
 * (lib/social/linkcard.h: its cache keys fetched for the whole page in one multi-get).
 *
 * A page that gathers from many shards (the home timeline, hashtag and search pages,
 * notifications) is served when the counts of some of its posts cannot be read (their shard
 * down, the counts not cached): those cards show no counts (not zeros), and the page is partial
 * (lib/base/partial.h). A page about one post or one user needs them all: without them it fails. */
#ifndef STARLING_CARD_H
#define STARLING_CARD_H

#include "apierr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "tz.h"

struct ctx;

/* What every card of one page shares. */
struct card_set {
	struct ctx  *ctx;
	json_object *stats;       /* post_stats() of every record on the page; owned */
	uint64_t     pinned;      /* the pinned post that gets its badge, 0 for none */
	bool         partial;     /* some counts could not be read: their cards show none */
	time_t       now;         /* what the times are relative to; 0: the clock's */
	char         zone[TZ_NAME_MAX + 1]; /* where they are shown (tz.h); "": UTC */
};
#define CARD_SET_INIT { NULL, NULL, 0, false, 0, "" }

/* Fills c for the views (borrowed) of one page: their counts, their link cards' cache keys
 * (prefetched into the request's memo), and the pinned post of owner
 * (0: none), which gets its badge: the viewer's own on a post page, the profile's owner's on a
 * profile. Returns APIERR_OK, or an apierr code recorded with ctx_fail. */
int card_set_init(struct card_set *c, struct ctx *ctx, json_object *const *views, size_t nviews,
    uint64_t owner);
/* card_set_init for a page that gathers from many shards: counts that cannot be read are left
 * out and c->partial set, instead of failing the page. */
int card_set_gather(struct card_set *c, struct ctx *ctx, json_object *const *views,
    size_t nviews, uint64_t owner);
void card_set_free(struct card_set *c);

/* The card of a post_view object (taken): a repost becomes its original's card with repostedBy.
 * NULL for a repost whose original is gone: there is nothing left to show. */
json_object *card_make(const struct card_set *c, json_object *view);

/* The cards of an array of post_view objects (borrowed), as one page: *out is a new array
 * (reposts of deleted originals left out). owner as card_set_init. With partial (not NULL) the
 * page gathers from many shards (card_set_gather), and *partial is set when some counts could
 * not be read (it is never cleared). Returns APIERR_OK or an apierr code recorded with
 * ctx_fail. */
enum apierr card_list(struct ctx *ctx, json_object *views, uint64_t owner, json_object **out,
    bool *partial);

/* Adds to o (a post_view object, a notification: anything with createdAt in Unix seconds) its
 * time as every page of c shows it: time, the short form in c's language relative to c->now
 * ("now", "3 m", "2 h", "5 d", then "Dec 1" or "Dec 1, 2025" after a week), timeTitle, the
 * exact time in c->zone ("2026-11-21 17:30 CST (Asia/Shanghai)", for the title on hover), and
 * timeIso (UTC, for <time datetime>). card_set_init and card_set_gather fill c->now and
 * c->zone (the viewer's setting, else the browser's starling_tz cookie, else UTC). */
void card_time(const struct card_set *c, json_object *o);

/* Adds to user (a user object with id, username, displayName and avatarUrl) the generated
 * avatar partials/avatar shows when avatarUrl is empty: avatar: {initial, the first character of
 * the display name (else the username), capitalised; color, one of a palette by id}. Nothing
 * for a user with an avatarUrl, or a NULL. */
void card_avatar(json_object *user);

/* Adds to a user object (user_public) descriptionHtml: its bio as text_html makes a post's
 * text (escaped, with its URLs, hashtags and mentions linked), for a raw insertion. */
void card_bio(json_object *user);

/* A form object for partials/compose_form.mustache; section names its catalog texts
 * ("<section>_heading", "_placeholder", "_submit"). text: what was typed, after a refusal.
 * Carries a fresh idempotency key, so one rendered form makes at most one post. */
json_object *card_compose_form(struct ctx *ctx, const char *action, const char *form_id,
    const char *section, bool with_media, bool with_settings, const char *text);

#endif
