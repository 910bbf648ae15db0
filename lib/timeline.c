/* timeline.c: the home timeline (timeline.h). */
#include "config.h"

#include "apierr.h"
#include "timeline.h"

int
timeline_home(struct ctx *ctx, uint64_t cursor, json_object **out)
{
	(void)cursor;
	*out = NULL;
	return ctx_fail(ctx, APIERR_UNAVAILABLE, "the home timeline is not built yet");
}

int
timeline_build(struct app_env *env, uint64_t user_id)
{
	(void)env;
	(void)user_id;
	return 0;
}

void
timeline_forget(struct app_env *env, uint64_t user_id)
{
	(void)env;
	(void)user_id;
}

int
timeline_push_job(struct app_env *env, json_object *payload, struct buf *err)
{
	(void)env;
	(void)payload;
	(void)err;
	return 0;
}

int
timeline_build_job(struct app_env *env, json_object *payload, struct buf *err)
{
	(void)env;
	(void)payload;
	(void)err;
	return 0;
}
