/* post_int.h: what post.c and post_act.c share, the two files of the write side of posts (not
 * for other modules: they call post.h). */
#ifndef STARLING_POST_INT_H
#define STARLING_POST_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "apierr.h"
#include "job.h"
#include "text.h"

struct ctx;
struct db;
struct db_val;

/* The most jobs one write queues: a repost.sync or user_reply.sync and one hashtag.sync per tag. */
/* repost.sync, timeline.push, notify.post, one hashtag.sync per tag and one link.fetch per URL. */
#define POST_MAX_JOBS (3 + TEXT_MAX_TAGS + TEXT_MAX_URLS)

/* Jobs queued with a write: IDs made before the transaction, queued inside it, run after. */
struct jobs {
	unsigned       shard;
	size_t         n;
	struct job_new v[POST_MAX_JOBS];   /* each payload owned here: post_jobs_free */
};

enum apierr post_unavailable(struct ctx *ctx);
/* Refuses acting on rec (a post_get object: reply, quote, repost, like) when its author and the
 * caller block each other, either way (lib/social/graph.h). */
enum apierr post_check_not_blocked(struct ctx *ctx, json_object *rec);
/* The acting user may write: activated and not suspended (the token check refuses suspended
 * users already; this sees a suspension made since the token was checked through the cache). */
enum apierr post_check_writer(struct ctx *ctx, json_object **profile);
void post_jobs_free(struct jobs *j);
/* Adds a job {name: id} (and, for hashtags, tag and name), held: the request runs it after the
 * commit. Returns 0 or -1 (no ID: 503). */
int post_jobs_add(struct ctx *ctx, struct jobs *j, const char *type, const char *name, uint64_t id,
    const char *tag, const char *tag_name);
/* One hashtag.sync per tag key of a space-separated list (a stored hashtags column). */
int post_jobs_add_tags(struct ctx *ctx, struct jobs *j, uint64_t record, const char *list);
/* Inside the transaction: every job in one statement. */
int post_jobs_queue(struct db *db, const struct jobs *j);
/* After the commit: the held jobs; one that fails is left for starling-worker (job.h). */
void post_jobs_run(struct ctx *ctx, const struct jobs *j);
/* Inside the transaction, a write's first statement (an INSERT IGNORE by a pre-made ID, an
 * UPDATE guarded by the state it leaves): runs sql with its nparams params on shard, and sets
 * *changed when it changed its one row, which the rest of the write is for; false also after
 * a failure. Returns 0 or -1 (logged). */
int post_exec_once(struct db *db, unsigned shard, const char *sql, const struct db_val *params,
    size_t nparams, bool *changed);
/* ctx->user_id's live repost of original, or 0. Returns 0 or -1. */
int post_find_repost(struct ctx *ctx, uint64_t original, uint64_t *id);

#endif
