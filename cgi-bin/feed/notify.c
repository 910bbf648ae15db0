/* notify.c: notifications, as JSON and as the notifications page (feed.h). */
#include "config.h"

#include "apierr.h"
#include "feed.h"

int
feed_notification_list(struct ctx *ctx)
{
	return ctx_fail(ctx, APIERR_UNAVAILABLE, "not built yet");
}

int
feed_notification_unread(struct ctx *ctx)
{
	return ctx_fail(ctx, APIERR_UNAVAILABLE, "not built yet");
}

int
feed_notification_read(struct ctx *ctx)
{
	return ctx_fail(ctx, APIERR_UNAVAILABLE, "not built yet");
}

int
feed_notifications_page(struct ctx *ctx)
{
	return ctx_fail(ctx, APIERR_UNAVAILABLE, "not built yet");
}

int
feed_notifications_read_form(struct ctx *ctx)
{
	return ctx_fail(ctx, APIERR_UNAVAILABLE, "not built yet");
}
