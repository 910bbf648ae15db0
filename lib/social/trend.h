/* trend.h: trending hashtags and popular users.
 *
 * Trends are computed by starling-worker (trend_compute, every [worker] trends_interval seconds) or by
 * `starling-admin compute-trends`, never by a request: hashtags ranked by how many distinct users
 * used them in the recent window ([trends] window, a day) compared with the window before it (as
 * Mastodon compares today with yesterday), and users by the followers they gained in the recent
 * window. docs/search.md has the formulas. The results are stored on shard 0 (tb_trend_hashtag,
 * tb_trend_user: the database is the truth) and cached ("trends:hashtags", "trends:users",
 * deleted by each computation and kept at most TREND_CACHE_TTL seconds, so editors' changes show
 * within that). Editors' picks come first: tb_recommended_hashtag and tb_recommended_user, by
 * sort_order, marked "pinned"; then the computed ranking without them; TREND_MAX in all.
 *
 * Return convention: APIERR_OK or an apierr code recorded with ctx_fail for functions taking a
 * ctx; otherwise <0 failure (logged), >=0 success. */
#ifndef STARLING_TREND_H
#define STARLING_TREND_H

#include "apierr.h"

#include <json-c/json.h>

struct app_env;
struct ctx;

#define TREND_MAX 20
#define TREND_CACHE_TTL 300

/* {hashtags: [{tag, name, uses, users, pinned}]}: uses and users are those of the recent window
 * (0 for a pick that is not trending). */
enum apierr trend_hashtags(struct ctx *ctx, json_object **out);
/* {users: [{id, username, displayName, avatarUrl, description, followers, newFollowers,
 * pinned}]}: followers is the current count, newFollowers those gained in the recent window.
 * Leaves out users in a block with the viewer, the viewer themself and suspended users. Only
 * the ranking's shard 0 (or the cache) must answer: a user whose card, counters or blocks
 * cannot be read (their shard down) is left out, and the answer has "partial": true
 * (lib/base/partial.h). */
enum apierr trend_users(struct ctx *ctx, json_object **out);

/* Computes both rankings from every shard, stores them on shard 0 in one transaction and
 * deletes the cached lists. Uses env->db, env->cache and env->conf ([trends]). Returns 0, or
 * -1 (logged) with nothing stored: when a shard does not answer (a warning names it and its
 * instance), rankings computed without it would be served as the truth for the next interval,
 * so the previous ones stay and starling-worker tries again (worker.h's WORKER_RETRY_S). */
int trend_compute(struct app_env *env);

#endif
