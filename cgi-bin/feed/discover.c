/* discover.c: hashtag pages, search, trends and popular users, as JSON and as pages (feed.h). */
#include "config.h"

#include "apierr.h"
#include "feed.h"

int
feed_timeline_hashtag(struct ctx *ctx)
{
	return ctx_fail(ctx, APIERR_UNAVAILABLE, "not built yet");
}

int
feed_search_posts(struct ctx *ctx)
{
	return ctx_fail(ctx, APIERR_UNAVAILABLE, "not built yet");
}

int
feed_search_users(struct ctx *ctx)
{
	return ctx_fail(ctx, APIERR_UNAVAILABLE, "not built yet");
}

int
feed_search_hashtags(struct ctx *ctx)
{
	return ctx_fail(ctx, APIERR_UNAVAILABLE, "not built yet");
}

int
feed_trends_hashtags(struct ctx *ctx)
{
	return ctx_fail(ctx, APIERR_UNAVAILABLE, "not built yet");
}

int
feed_trends_users(struct ctx *ctx)
{
	return ctx_fail(ctx, APIERR_UNAVAILABLE, "not built yet");
}

int
feed_hashtag_page(struct ctx *ctx)
{
	return ctx_fail(ctx, APIERR_UNAVAILABLE, "not built yet");
}

int
feed_search_page(struct ctx *ctx)
{
	return ctx_fail(ctx, APIERR_UNAVAILABLE, "not built yet");
}

int
feed_explore_page(struct ctx *ctx)
{
	return ctx_fail(ctx, APIERR_UNAVAILABLE, "not built yet");
}
