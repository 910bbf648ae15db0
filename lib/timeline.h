/* timeline.h: the home timeline: the caller's own posts and reposts and those of everyone they
 * follow, newest first (the seed's design, made real: docs/timeline.md).
 *
 * What is cached: "tl:<user_id>" holds the post IDs (with their authors) of the user's pushed
 * timeline, newest first, at most TIMELINE_CACHED of them. It is a copy: the database (the
 * followee lists and tb_post on every author's shard) is the truth, and a missing, evicted or
 * flushed list is rebuilt from it (timeline_build), giving the same timeline as the warm one.
 *
 * Push and pull (Twitter's hybrid fan-out): a new post, quote or repost of an ordinary author is
 * pushed into the cached lists of their followers by the timeline.push job (queued with the post,
 * lib/post.c); an author with at least [timeline] push_max_followers followers is not pushed but
 * pulled: their recent posts are merged in when a follower reads. A list that does not exist is
 * not created by a push (the next read builds it).
 *
 * At read time, whatever the cache says: posts of users the viewer blocked or muted, or who
 * blocked the viewer, deleted posts, and posts of users no longer followed are left out. Pages
 * load their posts with multi-gets, not one query per post.
 *
 * Jobs (lib/job.h's table):
 *   timeline.push  {post_id}  pushes a new post of its author's shard (payload as queued by
 *                  lib/post.c with the post)
 *   timeline.build {user_id}  builds the user's list ahead of time (queued at login)
 *
 * Return convention: APIERR_OK or an apierr code recorded with ctx_fail for functions taking a
 * ctx; otherwise <0 failure (logged), >=0 success. */
#ifndef STARLING_TIMELINE_H
#define STARLING_TIMELINE_H

#include <stdint.h>

#include <json-c/json.h>

#include "app.h"
#include "buf.h"

#define TIMELINE_PAGE   20
#define TIMELINE_CACHED 800

/* A page of ctx->user_id's home timeline below cursor (0: the first page). *out (new reference)
 * is {posts: [post_view objects], cursor: "<last post ID>" or "-1" on the last page}. */
int timeline_home(struct ctx *ctx, uint64_t cursor, json_object **out);

/* Builds user_id's cached list from the database now. Returns 0 or -1. */
int timeline_build(struct app_env *env, uint64_t user_id);

/* Drops user_id's cached list: what they follow, block or mute changed (lib/graph.c). */
void timeline_forget(struct app_env *env, uint64_t user_id);

/* The job handlers (job.h's job_handler). */
int timeline_push_job(struct app_env *env, json_object *payload, struct buf *err);
int timeline_build_job(struct app_env *env, json_object *payload, struct buf *err);

#endif
