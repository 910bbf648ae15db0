/* page.c: helpers for handlers that serve both the API and a page (page.h). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "apierr.h"
#include "page.h"

json_object *
page_new(struct ctx *ctx, const char *section)
{
	json_object *page = json_object_new_object();
	char key[64];

	snprintf(key, sizeof key, "%s.title", section);
	json_object_object_add(page, "title", json_object_new_string(ctx_t(ctx, key)));
	return page;
}

int
page_done(struct ctx *ctx, const char *path, json_object *data)
{
	if (page_html(ctx)) {
		json_object_put(data);
		ctx_redirect(ctx, path);
	} else {
		ctx_set_data(ctx, data);
	}
	return APIERR_OK;
}

bool
page_html(const struct ctx *ctx)
{
	return ctx->route != NULL && (ctx->route->flags & ROUTE_HTML);
}

bool
page_local_path(const char *p)
{
	return p != NULL && p[0] == '/' && p[1] != '/' && p[1] != '\\' && strpbrk(p, "\r\n") == NULL;
}
