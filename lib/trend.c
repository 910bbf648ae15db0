/* trend.c: trending hashtags and popular users (trend.h). */
#include "config.h"

#include "apierr.h"
#include "trend.h"

int
trend_hashtags(struct ctx *ctx, json_object **out)
{
	*out = NULL;
	return ctx_fail(ctx, APIERR_UNAVAILABLE, "trends are not built yet");
}

int
trend_users(struct ctx *ctx, json_object **out)
{
	*out = NULL;
	return ctx_fail(ctx, APIERR_UNAVAILABLE, "trends are not built yet");
}

int
trend_compute(struct app_env *env)
{
	(void)env;
	return 0;
}
