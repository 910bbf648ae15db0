/* linkcard.h: link cards: the title, description and image of the page a post's URL leads to,
 * fetched once per URL by starling-worker and shown on the post's card (docs/links.md).
 *
 * Write side: a post or reply with URLs queues one LINKCARD_JOB per URL (lib/social/post.c), for
 * the worker only (the request never waits for someone else's site). linkcard_job fetches the URL
 * (lib/ext/linkfetch.h: http(s) only, public addresses only, bounded), reads its head
 * (lib/base/linkmeta.h), and stores what it found, or why it found nothing, in tb_parsed_url on
 * shard 0 (one row per URL, by the SHA-256 of its bytes). A row of any status means "fetched": a
 * URL is never fetched twice, whatever came of it.
 *
 * Read side: the card of a post shows its first URL's row, from memcached: key
 * "url:<hex SHA-256 of the URL>" (cache-aside over shard 0, "not found" cached too), one key per
 * URL, gathered by a page with linkcard_keys and fetched with the page's other keys in one
 * multi-get, so a warm page reads no row. The job drops the key after storing, so a card shows
 * within a page load of its fetch.
 *
 * Return convention: <0 failure (logged), 0 nothing, >0 found. */
#ifndef STARLING_LINKCARD_H
#define STARLING_LINKCARD_H

#include <stdint.h>

#include <json-c/json.h>

#include "buf.h"
#include "cache.h"

struct app_env;

#define LINKCARD_JOB "link.fetch"
#define LINKCARD_TTL 86400   /* a row never changes once written: the TTL only bounds memory */

/* The payload of a LINKCARD_JOB for url (borrowed), queued with ID job_id: {url, job_id}. The
 * job ID is in it so that the handler's log lines name it. New object, owned by the caller. */
json_object *linkcard_payload(const char *url, uint64_t job_id);

/* The job handler (lib/app/jobkinds.c's table): payload {url, job_id}. Returns 0 once the URL has
 * its row (fetched now, or before), -1 with why in err when it could not be read or written (the
 * worker tries again later). A fetch that fails is not a failure of the job: its row says so. */
int linkcard_job(struct app_env *env, json_object *payload, struct buf *err);

/* Adds the cache key of the card of url (n bytes) to ks (for a page's prefetch). */
void linkcard_keys(struct cache_keys *ks, const char *url, size_t n);

/* The card of url (n bytes, one URL by lib/social/text.h's rules): 1 with *out a new object {url,
 * host, title, description, image} (image "" when none), 0 when there is nothing to show (not
 * fetched yet, fetched without a title or description, refused, failed), -1 when it could not
 * be read. */
int linkcard_get(struct app_env *env, const char *url, size_t n, json_object **out);

/* The host of url as a card shows it: what stands between "://" and the first '/', '?' or '#',
 * lowercased, appended to out. */
void linkcard_host(const char *url, size_t n, struct buf *out);

#endif
