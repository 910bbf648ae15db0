/* postsync.h: the outbox's jobs of posts (job.h): each makes the other shard's half of a write
 * match the source of truth on the writer's shard. lib/app/jobkinds.c lists them in the job table.
 *
 * Every job here is a "sync" job: it reads the source of truth and makes the other shard match
 * it (INSERT IGNORE / DELETE, with the counter moved only when a row changed). So a job run twice
 * changes nothing, and jobs of the same pair may run in any order: the last one to run writes
 * what the source says now. A handler reads the source again after writing and writes again if
 * it changed meanwhile (a concurrent opposite change whose own job ran in between), so two jobs
 * running at the same time still end with the other shard matching the source.
 *
 * Types and payloads (JSON objects; IDs as strings):
 *   like.sync      {liker_id, record_id}   tb_post_like (liker's shard) →
 *                  tb_post_like_reversed + count_likes (record's shard); deletes "postx:<record>";
 *                  lib/social/post.c adds what the request wrote (like: true or false, and like_id,
 *                  content_type, created_at), which stands in for the first read of the like
 *   repost.sync    {post_id}               a repost or quote, live or deleted (reposter's shard) →
 *                  tb_post_repost_reversed + count_reposts / count_quote (original's shard);
 *                  deletes "postx:<original>"
 *   user_reply.sync {reply_id}             a reply, live or deleted (thread's shard) →
 *                  tb_user_reply (replier's shard)
 *   hashtag.sync   {record_id, tag, name}  a post or reply, live and carrying the tag key in its
 *                  hashtags column (its shard) → tb_hashtag (made on the tag's shard, name as
 *                  first written), tb_post_reply_hashtag + count_mentions (shard_for_key(tag))
 *
 * Each is a job_handler (job.h): payload borrowed; returns 0, or -1 with why in err (a missing
 * or malformed member, or a shard that cannot be read or written: retried by the outbox). */
#ifndef STARLING_POSTSYNC_H
#define STARLING_POSTSYNC_H

#include <json-c/json.h>

/* Only passed along: a forward declaration, not the pipeline's header. */
struct app_env;
struct buf;

int postsync_like(struct app_env *env, json_object *payload, struct buf *err);
int postsync_repost(struct app_env *env, json_object *payload, struct buf *err);
int postsync_user_reply(struct app_env *env, json_object *payload, struct buf *err);
int postsync_hashtag(struct app_env *env, json_object *payload, struct buf *err);

#endif
