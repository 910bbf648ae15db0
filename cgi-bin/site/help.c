/* help.c: GET /help, the help page (its text comes from the message catalog). */
#include "config.h"

#include "apierr.h"
#include "site.h"

/* The sections of the help page, in order; each is a heading and a body in the catalog. */
static const char *const sections[] = { "posting", "following", "cw", "bookmarks", "people",
    "privacy", "language", NULL };

enum apierr
site_help(struct ctx *ctx)
{
	json_object *data = json_object_new_object(), *list = json_object_new_array();
	struct buf key = BUF_INIT;
	size_t i;

	json_object_object_add(data, "title", json_object_new_string(ctx_t(ctx, "help.title")));
	for (i = 0; sections[i] != NULL; i++) {
		json_object *s = json_object_new_object();

		json_object_object_add(s, "id", json_object_new_string(sections[i]));
		buf_reset(&key);
		buf_printf(&key, "help.%s_heading", sections[i]);
		json_object_object_add(s, "heading", json_object_new_string(ctx_t(ctx, buf_cstr(&key))));
		buf_reset(&key);
		buf_printf(&key, "help.%s_body", sections[i]);
		json_object_object_add(s, "body", json_object_new_string(ctx_t(ctx, buf_cstr(&key))));
		json_object_array_add(list, s);
	}
	json_object_object_add(data, "sections", list);
	ctx_set_data(ctx, data);
	buf_free(&key);
	return APIERR_OK;
}
