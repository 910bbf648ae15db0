/* health.c: GET /api/v1/health, whether the database and the cache answer.
 *
 * Inputs: none. Answers 200 {"database": "ok", "cache": "ok"}, or 503 (code 50300) with a
 * message naming what is down ("database: instance 1 of 2 down (breaker open, next probe in
 * 800 ms); cache ok"), so a
 * load balancer or monitor can take the node out and an operator knows where to look. Instances
 * are named by their number in [mysql] instances, never by address; the log has the address and
 * the cause.
 *
 * The operators' switches that are on (lib/store/switches.h) are listed: "switches": {"read_only":
 * 1} in the answer, "; switches on: read_only" after a 503's message. They never make it 503: a
 * switch is a decision, not a failure.
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

/* The switches that are on, as {"name": value}, and as "name=value, ..." into text. */
static json_object *
switches_on_list(struct ctx *ctx, struct buf *text)
{
	json_object *on = json_object_new_object();
	int i;

	for (i = 0; i < SWITCH_COUNT; i++) {
		long v = switches_get(ctx->env->switches, (enum switch_id)i);
		const char *name = switches_def((enum switch_id)i)->name;

		if (v == 0)
			continue;
		json_object_object_add(on, name, json_object_new_int64(v));
		buf_printf(text, "%s%s=%ld", text->len ? ", " : "", name, v);
	}
	return on;
}

enum apierr
site_health(struct ctx *ctx)
{
	struct buf down = BUF_INIT, cacheerr = BUF_INIT, on = BUF_INIT;
	json_object *data, *switches;
	size_t ndown;
	int cacherc, code = APIERR_OK;

	ndown = ping_instances(ctx->env->db, &down);
	cacherc = cache_ping(ctx->env->cache, &cacheerr);
	switches = switches_on_list(ctx, &on);
	if (ndown != 0 || cacherc != 0) {
		code = ctx_fail(ctx, APIERR_UNAVAILABLE, "unavailable: database%s%s; cache %s%s%s",
		    ndown ? ": " : " ok", buf_cstr(&down), cacherc ? "down" : "ok",
		    on.len ? "; switches on: " : "", buf_cstr(&on));
		json_object_put(switches);
		goto out;
	}
	data = json_object_new_object();
	json_object_object_add(data, "database", json_object_new_string("ok"));
	json_object_object_add(data, "cache", json_object_new_string("ok"));
	json_object_object_add(data, "switches", switches);
	ctx_set_data(ctx, data);
out:
	buf_free(&on);
	buf_free(&down);
	buf_free(&cacheerr);
	return code;
}
