/* jobkinds.h: the one table of every kind of job (job.h's struct job_kind), above the domain
 * modules that own their handlers: the outbox (lib/social/job.c) runs what this table names and
 * includes none of them. Each binary that runs jobs (the FastCGI binaries, whose requests run
 * the jobs they hold; starling-worker) calls jobkinds_install() at start-up, before its first
 * request or job.
 *
 * Types and payloads (JSON objects; IDs as strings), with the module that owns each:
 *   like.sync, repost.sync, user_reply.sync, hashtag.sync   the posts' mirrors (postsync.h)
 *   follow.sync    {follower_id, followee_id}  tb_user_relationship (follower's shard) →
 *                  tb_user_relationship_reversed + count_followers (graph.h)
 *   timeline.push  {post_id}               a new post into its author's followers' cached
 *                  timelines; parked while fanout_hold is on (timeline.h)
 *   timeline.build {user_id}               a user's cached timeline built ahead (timeline.h)
 *   notify.post    {record_id}             the notifications of a new post, quote, repost or
 *                  reply; parked while notify_off is on (notify.h)
 *   notify.like    {liker_id, record_id}   the like's notification made to match the like;
 *                  parked while notify_off is on (notify.h)
 *   mail.reset     {email, lang}           not a sync job: a password-reset code for the account
 *                  of email, if any, stored and mailed by starling-worker, never by the request,
 *                  whose work and time then do not depend on the address (mailcode.h)
 *   mail.activate  {email, lang}           the same for a new activation code: mailed to the
 *                  account of email if it is neither active nor suspended (mailcode.h)
 *   link.fetch     {url, job_id}           not a sync job: the link card of a URL in a new post
 *                  or reply, fetched once by starling-worker (never by the request) and stored
 *                  in tb_parsed_url on shard 0 (linkcard.h)
 *   media.process  {key}                   not a sync job: an uploaded image processed into its
 *                  sizes by starling-worker only (the one binary that links libvips); queued
 *                  ready, never held (mediajob.h)
 *   media.release  {record_id}             a sync job: the upload of a deleted post or reply
 *                  released in tb_media (the key's shard), for the worker's clean-up to remove
 *                  after [media] orphan_grace; nothing while the record is live (mediaclean.h)
 *
 * A new kind: its handler (a job_handler) in the module that owns its data, one row in
 * lib/app/jobkinds.c's table, its line here and in docs/worker.md ("The jobs"). */
#ifndef STARLING_JOBKINDS_H
#define STARLING_JOBKINDS_H

/* Installs the table (job_install) for the process's life. */
void jobkinds_install(void);

#endif
