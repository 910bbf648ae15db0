/* bookmark.c: adding and removing bookmarks (bookmark.h has the contract). */
#include "config.h"

#include <json-c/json.h>

#include "apierr.h"
#include "bookmark.h"
#include "clock.h"
#include "ctx.h"
#include "db.h"
#include "id.h"
#include "jsonx.h"
#include "postview.h"

/* The record a bookmark of id names: a repost's original, else id itself. *target is id when
 * the record cannot be seen (gone, or hidden by a block): a removal then still takes it back.
 * Returns APIERR_OK when it can be seen, 404 (no ctx_fail: the caller decides), or 503. */
static int
target_of(struct ctx *ctx, uint64_t id, uint64_t *target)
{
	json_object *v = NULL;
	int rc = post_view_listed(ctx, id, &v);

	*target = id;
	if (rc != APIERR_OK)
		return rc;
	if (v == NULL)
		return APIERR_NOT_FOUND;
	if (post_jtype(v) == POST_REPOST)
		*target = jsonx_id(v, "originalId");
	json_object_put(v);
	return APIERR_OK;
}

enum apierr
bookmark_set(struct ctx *ctx, uint64_t record_id, bool on)
{
	uint64_t target, id = 0;
	int rc = target_of(ctx, record_id, &target);

	if (rc == APIERR_NOT_FOUND && on)
		return post_not_found(ctx);
	if (rc != APIERR_OK && rc != APIERR_NOT_FOUND)
		return rc;
	if (on && ctx_new_id(ctx, id_shard(ctx->user_id), &id) != 0)
		return ctx_fail(ctx, APIERR_UNAVAILABLE, NULL);
	/* INSERT IGNORE on the unique (user, record): a second add keeps the first row, and so its
	 * place in the list. */
	if (on)
		rc = db_exec(ctx->env->db, id_shard(ctx->user_id), "INSERT IGNORE INTO "
		    "{db}.tb_bookmark (id, user_id, record_id, created_at) VALUES (?, ?, ?, ?)",
		    DB_PARAMS(DB_U64(id), DB_U64(ctx->user_id), DB_U64(target),
			DB_I64(clock_now_s())), NULL);
	else
		rc = db_exec(ctx->env->db, id_shard(ctx->user_id), "DELETE FROM {db}.tb_bookmark "
		    "WHERE user_id = ? AND record_id = ?",
		    DB_PARAMS(DB_U64(ctx->user_id), DB_U64(target)), NULL);
	return rc == 0 ? APIERR_OK : ctx_fail(ctx, APIERR_UNAVAILABLE, NULL);
}
