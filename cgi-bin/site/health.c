/* health.c: GET /api/v1/health, whether the database and the cache answer.
 *
 * Inputs: none. Answers 200 {"database": "ok", "cache": "ok"}, or 503 (code 50300) with a
 * message naming what is down ("database: instance 1 of 2 down (breaker open, next probe in
 * 800 ms); cache ok"), so a
 * load balancer or monitor can take the node out and an operator knows where to look. Instances
 * are named by their number in [mysql] instances, never by address; the log has the address and
 * the cause.
 *
 * It answers within about a second whatever hangs: an instance whose breaker is open is not
 * tried, and each ping gives up after HEALTH_PING_MS (db.h). */
#include "config.h"

#include "apierr.h"
#include "site.h"

#define HEALTH_PING_MS 400

/* Pings every instance; appends "instance N of M down" for each that is down to down, with
 * its breaker's state when open. Returns the number down. */
static size_t
ping_instances(struct db *db, struct buf *down)
{
	struct buf err = BUF_INIT;
	size_t i, n = 0, m = db_instance_count(db);

	for (i = 0; i < m; i++) {
		uint64_t retry;

		buf_reset(&err);
		if (db_ping_instance(db, i, HEALTH_PING_MS, &err) == 0)
			continue;
		buf_printf(down, "%sinstance %zu of %zu down", n++ ? ", " : "", i, m);
		if (db_instance_state(db, i, &retry) == DB_INSTANCE_DOWN)
			buf_printf(down, " (breaker open, next probe in %llu ms)", (unsigned long long)retry);
	}
	buf_free(&err);
	return n;
}

int
site_health(struct ctx *ctx)
{
	struct buf down = BUF_INIT, cacheerr = BUF_INIT;
	json_object *data;
	size_t ndown;
	int cacherc, code = APIERR_OK;

	ndown = ping_instances(ctx->env->db, &down);
	cacherc = cache_ping(ctx->env->cache, &cacheerr);
	if (ndown != 0 || cacherc != 0) {
		code = ctx_fail(ctx, APIERR_UNAVAILABLE, "unavailable: database%s%s; cache %s",
		    ndown ? ": " : " ok", buf_cstr(&down), cacherc ? "down" : "ok");
		goto out;
	}
	data = json_object_new_object();
	json_object_object_add(data, "database", json_object_new_string("ok"));
	json_object_object_add(data, "cache", json_object_new_string("ok"));
	ctx_set_data(ctx, data);
out:
	buf_free(&down);
	buf_free(&cacheerr);
	return code;
}
