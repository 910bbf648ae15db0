/* health.c: GET /api/v1/health, whether the database and the cache answer.
 *
 * Inputs: none. Answers 200 {"database": "ok", "cache": "ok"}, or 503 (code 50300) with a
 * message naming what is down, so a load balancer or monitor can take the node out. */
#include "config.h"

#include "apierr.h"
#include "site.h"

int
site_health(struct ctx *ctx)
{
	struct buf dberr = BUF_INIT, cacheerr = BUF_INIT;
	json_object *data;
	int dbrc, cacherc, code = APIERR_OK;

	dbrc = db_ping(ctx->env->db, &dberr);
	cacherc = cache_ping(ctx->env->cache, &cacheerr);
	if (dbrc != 0 || cacherc != 0) {
		/* Which instance failed and why is in the log; the client learns only what is down,
		 * not the addresses behind it. */
		code = ctx_fail(ctx, APIERR_UNAVAILABLE, "unavailable: database %s, cache %s",
		    dbrc ? "down" : "ok", cacherc ? "down" : "ok");
		goto out;
	}
	data = json_object_new_object();
	json_object_object_add(data, "database", json_object_new_string("ok"));
	json_object_object_add(data, "cache", json_object_new_string("ok"));
	ctx_set_data(ctx, data);
out:
	buf_free(&dberr);
	buf_free(&cacheerr);
	return code;
}
