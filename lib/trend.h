/* trend.h: trending hashtags and popular users.
 *
 * Trends are computed by starling-worker (trend_compute, every [trends] interval seconds), never
 * by a request: hashtags ranked by how many distinct users used them in the recent window
 * compared with the day before (as Mastodon does), and users by follower growth. The results are
 * stored on shard 0 (the database is the truth) and cached ("trends:hashtags", "trends:users").
 * Editors' picks come first: tb_recommended_hashtag and tb_recommended_user, by sort_order.
 *
 * Return convention: APIERR_OK or an apierr code recorded with ctx_fail for functions taking a
 * ctx; otherwise <0 failure (logged), >=0 success. */
#ifndef STARLING_TREND_H
#define STARLING_TREND_H

#include <json-c/json.h>

#include "app.h"

#define TREND_MAX 20

/* {hashtags: [{tag, name, uses, users, pinned}]} */
int trend_hashtags(struct ctx *ctx, json_object **out);
/* {users: [{id, username, displayName, avatarUrl, description, followers}]}, leaving out users
 * in a block with the viewer and the viewer themself. */
int trend_users(struct ctx *ctx, json_object **out);

/* Computes both rankings from every shard and stores them. Returns 0 or -1. */
int trend_compute(struct app_env *env);

#endif
