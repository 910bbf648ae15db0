/* notify.c: notifications (notify.h). */
#include "config.h"

#include "apierr.h"
#include "notify.h"

int
notify_add(struct app_env *env, uint64_t recipient, enum notify_type type, uint64_t actor,
    uint64_t post_id, uint64_t record_id)
{
	(void)env;
	(void)recipient;
	(void)type;
	(void)actor;
	(void)post_id;
	(void)record_id;
	return 0;
}

int
notify_follow(struct app_env *env, uint64_t follower, uint64_t followee)
{
	(void)env;
	(void)follower;
	(void)followee;
	return 0;
}

int
notify_list(struct ctx *ctx, uint64_t cursor, json_object **out)
{
	(void)cursor;
	*out = NULL;
	return ctx_fail(ctx, APIERR_UNAVAILABLE, "notifications are not built yet");
}

int
notify_unread(struct ctx *ctx, long *count)
{
	*count = 0;
	return ctx_fail(ctx, APIERR_UNAVAILABLE, "notifications are not built yet");
}

int
notify_read(struct ctx *ctx, uint64_t up_to_id)
{
	(void)up_to_id;
	return ctx_fail(ctx, APIERR_UNAVAILABLE, "notifications are not built yet");
}

int
notify_post_job(struct app_env *env, json_object *payload, struct buf *err)
{
	(void)env;
	(void)payload;
	(void)err;
	return 0;
}

int
notify_like_job(struct app_env *env, json_object *payload, struct buf *err)
{
	(void)env;
	(void)payload;
	(void)err;
	return 0;
}
