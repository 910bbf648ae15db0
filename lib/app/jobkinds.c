/* jobkinds.c: the table of every kind of job, installed into the outbox at start-up
 * (jobkinds.h). */
#include "config.h"

#include <stddef.h>

#include "graph.h"
#include "job.h"
#include "jobkinds.h"
#include "linkcard.h"
#include "mailcode.h"
#include "mediaclean.h"
#include "mediajob.h"
#include "notify.h"
#include "postsync.h"
#include "timeline.h"

/* Parked by a switch: the fan-out of posts into timelines, and the notifications of posts and
 * likes, are what a surge can wait for (docs/operations.md, "Degradation switches"). */
static const struct job_kind kinds[] = {
	{ .type = "like.sync",       .run = postsync_like },
	{ .type = "repost.sync",     .run = postsync_repost },
	{ .type = "user_reply.sync", .run = postsync_user_reply },
	{ .type = "hashtag.sync",    .run = postsync_hashtag },
	{ .type = "follow.sync",     .run = graph_follow_sync },
	{ .type = "timeline.push",   .run = timeline_push_job,
	  .parkable = true, .park_switch = SWITCH_FANOUT_HOLD },
	{ .type = "timeline.build",  .run = timeline_build_job },
	{ .type = "notify.post",     .run = notify_post_job,
	  .parkable = true, .park_switch = SWITCH_NOTIFY_OFF },
	{ .type = "notify.like",     .run = notify_like_job,
	  .parkable = true, .park_switch = SWITCH_NOTIFY_OFF },
	{ .type = "mail.reset",      .run = mailcode_reset_job },
	{ .type = "mail.activate",   .run = mailcode_activate_job },
	{ .type = LINKCARD_JOB,      .run = linkcard_job },
	{ .type = "media.process",   .run = mediajob_run },
	{ .type = MEDIACLEAN_JOB,    .run = mediaclean_release_job },
};

void
jobkinds_install(void)
{
	job_install(kinds, sizeof kinds / sizeof kinds[0]);
}
