/* timeline.c: the home timeline, as JSON and as the home page (feed.h). */
#include "config.h"

#include "apierr.h"
#include "card.h"
#include "feed.h"
#include "page.h"
#include "timeline.h"

int
feed_timeline_home(struct ctx *ctx)
{
	return ctx_fail(ctx, APIERR_UNAVAILABLE, "the home timeline is not built yet");
}

int
feed_home(struct ctx *ctx)
{
	json_object *page = page_new(ctx, "home");

	if (ctx->user_id != 0)
		json_object_object_add(page, "compose", card_compose_form(ctx, "/compose", "compose",
		    "home.compose", true, true, NULL));
	ctx_set_data(ctx, page);
	return APIERR_OK;
}
