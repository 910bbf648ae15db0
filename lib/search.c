/* search.c: search and the hashtag timeline (search.h). */
#include "config.h"

#include "apierr.h"
#include "search.h"

int
search_posts(struct ctx *ctx, const char *q, uint64_t cursor, json_object **out)
{
	(void)q;
	(void)cursor;
	*out = NULL;
	return ctx_fail(ctx, APIERR_UNAVAILABLE, "search is not built yet");
}

int
search_users(struct ctx *ctx, const char *q, const char *cursor, json_object **out)
{
	(void)q;
	(void)cursor;
	*out = NULL;
	return ctx_fail(ctx, APIERR_UNAVAILABLE, "search is not built yet");
}

int
search_hashtags(struct ctx *ctx, const char *q, json_object **out)
{
	(void)q;
	*out = NULL;
	return ctx_fail(ctx, APIERR_UNAVAILABLE, "search is not built yet");
}

int
search_hashtag_posts(struct ctx *ctx, const char *tag, uint64_t cursor, json_object **out)
{
	(void)tag;
	(void)cursor;
	*out = NULL;
	return ctx_fail(ctx, APIERR_UNAVAILABLE, "search is not built yet");
}
