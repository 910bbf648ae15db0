/* limit.h: the write limits of an account, and the 429 answer of every rate limit.
 *
 * Each kind of write has its own limit in [limits] (a count and a window in seconds, over a
 * sliding window: lib/http/ratelimit.h), counted by the account's ID:
 *   posts     new posts and quotes (a quote is a post of its own)
 *   replies   replies, on their own counter: a long conversation does not use up posting
 *   reposts   plain reposts
 *   likes     likes (taking one back is never limited)
 *   follows   follows (unfollowing, blocking and muting are never limited: a user must always
 *             be able to get away from someone)
 *   reports   reports of posts and of accounts, together
 *   mentions  every account a post or reply mentions, counted once per post; and
 *   mentions_per_user  how often one account may mention the same account: this is what
 *             protects the mentioned user, whose notifications one sender can no longer flood
 *             however the mentions are spread over posts, replies and quotes
 *
 * A write checks its limits (limit_check) after its input is known to be good and before it
 * writes anything, so a refused request writes nothing; it counts them (limit_count) once it
 * wrote something new, so that failures, repeats that change nothing (a second like) and
 * refused requests cost nothing. Two requests of one account racing past the check can both
 * be done: the overshoot is bounded by how many requests one account has in flight at once.
 */
#ifndef STARLING_LIMIT_H
#define STARLING_LIMIT_H

#include "apierr.h"

#include <stddef.h>

#include "ratelimit.h"

struct ctx;

enum limit_kind {
	LIMIT_POST,
	LIMIT_REPLY,
	LIMIT_REPOST,
	LIMIT_LIKE,
	LIMIT_FOLLOW,
	LIMIT_REPORT,
	LIMIT__COUNT
};

/* Whether ctx->user_id may make one more write of kind that mentions the nmentions accounts in
 * mentions (lowercased usernames, as text_post holds them; NULL and 0 for writes that mention
 * nobody): the kind's limit, the mentions limit and each mentioned account's, all read in one
 * memcached round trip. Returns APIERR_OK, or 42900 through limit_refuse (the caller returns
 * it). When the cache is down, everything passes (logged). */
enum apierr limit_check(struct ctx *ctx, enum limit_kind kind, char *const *mentions, size_t nmentions);

/* Counts, after the write was done, what limit_check let through. */
void limit_count(struct ctx *ctx, enum limit_kind kind, char *const *mentions,
    size_t nmentions);

/* The answer to a request over the limit rl, whose state is st: the X-RateLimit-* and
 * Retry-After headers, a log line, and 42900 with a message that says which limit (what: "posts",
 * "failed logins") and when to try again. Returns 42900. */
enum apierr limit_refuse(struct ctx *ctx, const struct ratelimit *rl, const struct ratelimit_state *st,
    const char *what);

#endif
