/* test_jobkinds.c: the table of job kinds (lib/app/jobkinds.c) as the outbox finds it once
 * installed (job_install, job_handler_find, job_parked_now in lib/social/job.c), without servers:
 * every type with its owner's handler and its switch, lookups of what is not a type, a table
 * replaced by the next one. Running jobs through the table is tests/dbunit/test_job.c's (with
 * MariaDB). */
#include "config.h"

#include "test.h"

#include <stdbool.h>
#include <string.h>

#include "app.h"
#include "graph.h"
#include "job.h"
#include "jobkinds.h"
#include "linkcard.h"
#include "mailcode.h"
#include "mediajob.h"
#include "notify.h"
#include "postsync.h"
#include "timeline.h"

struct kind_row {
	int            line;
	const char    *type;
	job_handler    run;
	bool           parkable;
	enum switch_id park_switch;
};

/* Every kind docs/worker.md lists ("The jobs"), with the handler of the module that owns it. */
static const struct kind_row kind_rows[] = {
	{ __LINE__, "like.sync",       postsync_like,         false, 0 },
	{ __LINE__, "repost.sync",     postsync_repost,       false, 0 },
	{ __LINE__, "user_reply.sync", postsync_user_reply,   false, 0 },
	{ __LINE__, "hashtag.sync",    postsync_hashtag,      false, 0 },
	{ __LINE__, "follow.sync",     graph_follow_sync,     false, 0 },
	{ __LINE__, "timeline.push",   timeline_push_job,     true,  SWITCH_FANOUT_HOLD },
	{ __LINE__, "timeline.build",  timeline_build_job,    false, 0 },
	{ __LINE__, "notify.post",     notify_post_job,       true,  SWITCH_NOTIFY_OFF },
	{ __LINE__, "notify.like",     notify_like_job,       true,  SWITCH_NOTIFY_OFF },
	{ __LINE__, "mail.reset",      mailcode_reset_job,    false, 0 },
	{ __LINE__, "mail.activate",   mailcode_activate_job, false, 0 },
	{ __LINE__, "link.fetch",      linkcard_job,          false, 0 },
	{ __LINE__, "media.process",   mediajob_run,          false, 0 },
};

static void
test_every_kind_found(void **state)
{
	size_t i;

	(void)state;
	jobkinds_install();
	for (i = 0; i < sizeof kind_rows / sizeof kind_rows[0]; i++) {
		const struct kind_row *r = &kind_rows[i];
		const struct job_kind *k = job_handler_find(r->type);

		if (k == NULL)
			fail_msg("row at line %d: %s not found", r->line, r->type);
		if (strcmp(k->type, r->type) != 0 || k->run != r->run)
			fail_msg("row at line %d: %s found as %s, or with another handler", r->line,
			    r->type, k->type);
		if (k->parkable != r->parkable || (r->parkable && k->park_switch != r->park_switch))
			fail_msg("row at line %d: %s parked otherwise", r->line, r->type);
		if (strlen(k->type) > JOB_TYPE_MAX)
			fail_msg("row at line %d: %s longer than tb_job.type", r->line, r->type);
	}
}

static void
test_what_is_not_a_kind(void **state)
{
	static const struct { int line; const char *type; } rows[] = {
		{ __LINE__, NULL },
		{ __LINE__, "" },
		{ __LINE__, "like" },
		{ __LINE__, "like.sync " },
		{ __LINE__, " like.sync" },
		{ __LINE__, "LIKE.SYNC" },
		{ __LINE__, "like.sync.x" },
		{ __LINE__, "no.such.type" },
	};
	size_t i;

	(void)state;
	jobkinds_install();
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++)
		if (job_handler_find(rows[i].type) != NULL)
			fail_msg("row at line %d: found", rows[i].line);
}

/* With no switches (NULL reads as every switch off), nothing is parked, parkable or not. */
static void
test_nothing_parked_with_switches_off(void **state)
{
	struct app_env env;
	size_t i;

	(void)state;
	memset(&env, 0, sizeof env);
	jobkinds_install();
	for (i = 0; i < sizeof kind_rows / sizeof kind_rows[0]; i++)
		if (job_parked_now(&env, kind_rows[i].type))
			fail_msg("row at line %d: parked", kind_rows[i].line);
	assert_false(job_parked_now(&env, "no.such.type"));
	assert_false(job_parked_now(&env, NULL));
}

static int
other_kind(struct app_env *env, json_object *payload, struct buf *err)
{
	(void)env;
	(void)payload;
	(void)err;
	return 0;
}

/* A later table replaces the earlier one: the runners know only what it lists. */
static void
test_install_replaces(void **state)
{
	static const struct job_kind other[] = {
		{ .type = "other.kind", .run = other_kind },
		{ .type = "like.sync",  .run = other_kind },
	};

	(void)state;
	job_install(other, 2);
	assert_ptr_equal(job_handler_find("other.kind"), &other[0]);
	assert_ptr_equal(job_handler_find("like.sync"), &other[1]);
	assert_null(job_handler_find("follow.sync"));
	/* Only the first n rows. */
	job_install(other, 1);
	assert_null(job_handler_find("like.sync"));
	/* None at all. */
	job_install(NULL, 0);
	assert_null(job_handler_find("other.kind"));
	jobkinds_install();
	assert_true(job_handler_find("like.sync")->run == postsync_like);
	assert_null(job_handler_find("other.kind"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_kind_found),
		cmocka_unit_test(test_what_is_not_a_kind),
		cmocka_unit_test(test_nothing_parked_with_switches_off),
		cmocka_unit_test(test_install_replaces),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
