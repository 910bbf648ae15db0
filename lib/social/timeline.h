/* timeline.h: the home timeline: the caller's own posts and reposts and those of everyone they
 * follow, newest first (the seed's design, made real: docs/timeline.md).
 *
 * What is cached: "tl:<user_id>" holds the post IDs (with their authors) of the user's pushed
 * timeline: the newest TIMELINE_CACHED at build time, then one entry per push (the format is at
 * the end of this file), with the set of users followed at build time. "ul:<author>" holds the
 * recent post IDs of a pulled author. Both are copies: the database (the followee lists and
 * tb_post on every author's shard) is the truth, and a missing, evicted or flushed list is
 * rebuilt from it, giving the same timeline as the warm one; pages below the oldest cached entry
 * are read from the database.
 *
 * Push and pull (Twitter's hybrid fan-out): a new post, quote or repost of an ordinary author is
 * pushed into the cached lists of their followers by the timeline.push job (queued with the post,
 * lib/social/post.c); an author with at least [timeline] push_max_followers followers is not pushed
 * but pulled: their recent posts are merged in when a follower reads. A list that does not exist
 * is not created by a push (the next read builds it).
 *
 * At read time, whatever the cache says: posts of users the viewer blocked or muted, or who
 * blocked the viewer, deleted posts, and posts of users no longer followed are left out. Pages
 * load their posts with multi-gets, not one query per post.
 *
 * Jobs (lib/social/job.h's table):
 *   timeline.push  {post_id}  pushes a new post of its author's shard (payload as queued by
 *                  lib/social/post.c with the post): the appends of one push are one batch
 *                  (cache_append_many), a round trip per memcached node; run by the request
 *                  unless timeline_push_deferred leaves it to starling-worker
 *   timeline.build {user_id}  builds the user's list ahead of time (queued at login)
 *
 * Return convention: APIERR_OK or an apierr code recorded with ctx_fail for functions taking a
 * ctx; otherwise <0 failure (logged), >=0 success. */
#ifndef STARLING_TIMELINE_H
#define STARLING_TIMELINE_H

#include "apierr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "buf.h"

struct app_env;
struct ctx;

#define TIMELINE_PAGE   20
#define TIMELINE_CACHED 800

/* A page of ctx->user_id's home timeline below cursor (0: the first page), and above since
 * (0: no bound; a page's newest post, to learn what came after it). *out (new reference)
 * is {posts: [post_view objects], cursor: "<last post ID>" or "-1" on the last page}. The next
 * page holds exactly the posts below the cursor, so posts made meanwhile (all newer) cause no
 * repeat and no gap; with since, "-1" also says no newer post is left out of this page.
 * When some of the shards it reads from do not answer (an instance down), the page is made of
 * what the others hold and *out also has "partial": true; nothing of it is cached. Only the
 * viewer's own shard is needed (whom they follow): without it, 503. */
enum apierr timeline_home(struct ctx *ctx, uint64_t cursor, uint64_t since, json_object **out);

/* Makes sure user_id's cached list exists, building it from the database when it does not (an
 * existing list is kept: pushes keep it current). Returns 0 or -1. */
int timeline_build(struct app_env *env, uint64_t user_id);

/* Queues a timeline.build job for user_id on their shard (at login, in ctx's request), unless
 * their list is cached already; starling-worker runs it, and with the worker down the first
 * read builds the list. A failure is only logged: logging in does not depend on it. */
void timeline_queue_build(struct ctx *ctx, uint64_t user_id);

/* Drops user_id's cached list: what they follow, block or mute changed (lib/social/graph.c). */
void timeline_forget(struct app_env *env, uint64_t user_id);

/*
 * Whether a new post, quote or repost of author leaves its timeline.push job to starling-worker
 * instead of the request (lib/social/post.c asks this before queueing the job, which it queues held
 * or ready accordingly): true when the author has more than [timeline] push_inline_max followers
 * and fewer than push_max_followers (a pulled author's push touches only their own lists, so it
 * runs at once), by the cached counters ("userx:", lib/social/user.h). False also when the count
 * cannot be read (the request then runs the job, as every other job). When it says so, the request
 * calls timeline_push_own after the commit.
 */
bool timeline_push_deferred(struct app_env *env, uint64_t author);

/* The part of a deferred push the author reads at once: their own list, and dropping
 * "ul:<author>". The worker's run of the job does it again (an entry twice: readers drop
 * repeats) and pushes to the followers. */
void timeline_push_own(struct app_env *env, uint64_t post, uint64_t author);

/* The job handlers (job.h's job_handler). */
int timeline_push_job(struct app_env *env, json_object *payload, struct buf *err);
int timeline_build_job(struct app_env *env, json_object *payload, struct buf *err);

/*
 * The cached list, exposed for its unit test (tests/unit/test_timeline.c). "tl:<user_id>" is
 * binary, big-endian:
 *   byte 0      TIMELINE_LIST_VERSION (another value: dropped and rebuilt)
 *   byte 1      flags: TIMELINE_COMPLETE when the list holds every post of its authors (there
 *               were fewer than TIMELINE_CACHED); else older posts are read from the database
 *   bytes 2-5   nfollow, bytes 6-9 npulled
 *   nfollow x 8 the users followed when the list was built, ascending (the list is dropped on
 *               every follow, block or mute change, so this is the current set)
 *   npulled x 8 those of them with at least push_max_followers followers (pulled at read)
 *   then 16-byte entries (post ID, author ID): the build's, newest first, then one per push,
 *   appended in whatever order the pushes ran (cache_append); readers sort and drop repeats.
 */
#define TIMELINE_LIST_VERSION 1
#define TIMELINE_COMPLETE     1
#define TIMELINE_ENTRY_SIZE   16

struct timeline_entry {
	uint64_t post, author;
};

struct timeline_list {
	bool                   complete;
	uint64_t              *follow;   /* ascending */
	size_t                 nfollow;
	uint64_t              *pulled;
	size_t                 npulled;
	struct timeline_entry *e;
	size_t                 n;
	bool                   partial;  /* built while some shards did not answer: not cached */
};
#define TIMELINE_LIST_INIT { false, NULL, 0, NULL, 0, NULL, 0, false }

/* Appends the encoding of l to out (follow must be ascending). */
void timeline_list_encode(const struct timeline_list *l, struct buf *out);
/* Appends the encoding of one entry (what a push appends) to out. */
void timeline_entry_encode(uint64_t post, uint64_t author, struct buf *out);
/* Parses len bytes into l (emptied first; its arrays are owned by l). Returns 0, or -1 for
 * bytes that are not a list of this version (l then empty). */
int timeline_list_decode(const void *data, size_t len, struct timeline_list *l);
void timeline_list_free(struct timeline_list *l);
/* Sorts n entries newest first and drops repeated post IDs; returns how many are left. */
size_t timeline_entries_sort(struct timeline_entry *e, size_t n);

#endif
