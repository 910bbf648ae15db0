/* switches.c: the degradation switches: their table on shard 0, each process's copy of it, and
 * what the request pipeline and the worker decide from them. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "log.h"
#include "shard.h"
#include "switches.h"
#include "utf8.h"
#include "xalloc.h"

/* tb_switch lives on shard 0, as tb_id_worker_lease: one truth for every process. */
#define SWITCH_SHARD 0

static const struct switch_def defs[SWITCH_COUNT] = {
	[SWITCH_FANOUT_HOLD]   = { "fanout_hold", 1,
	    "new posts reach followers' cached timelines later (released gradually when off)" },
	[SWITCH_SEARCH_OFF]    = { "search_off", 1, "the search routes answer 503" },
	[SWITCH_TRENDS_OFF]    = { "trends_off", 1,
	    "the worker stops computing trends; the last ones are served" },
	[SWITCH_NOTIFY_OFF]    = { "notify_off", 1,
	    "notifications of posts and likes wait (they are made once off)" },
	[SWITCH_READ_ONLY]     = { "read_only", 1, "every write but login and logout answers 503" },
	[SWITCH_RETRIES_OFF]   = { "retries_off", 1,
	    "failed jobs wait much longer; 503 answers ask clients to wait longer" },
	[SWITCH_ANON_SHED]     = { "anon_shed", 100,
	    "this percentage of requests of visitors not logged in answers 503" },
	[SWITCH_MEDIA_QUALITY] = { "media_quality", 100,
	    "new images are processed at this quality (when lower than [media] quality) and without WebP" },
};

const struct switch_def *
switches_def(enum switch_id id)
{
	return &defs[id];
}

int
switches_find(const char *name)
{
	int i;

	for (i = 0; name != NULL && i < SWITCH_COUNT; i++)
		if (strcmp(defs[i].name, name) == 0)
			return i;
	return -1;
}

const char *
switches_parse_value(enum switch_id id, const char *text, long *out)
{
	static const char *const on[] = { "on", "true", "1" }, *const off[] = { "off", "false", "0" };
	const struct switch_def *d = &defs[id];
	char *end;
	long v;
	size_t i;

	for (i = 0; i < sizeof off / sizeof off[0]; i++)
		if (strcmp(text, off[i]) == 0) {
			*out = 0;
			return NULL;
		}
	if (d->max == 1) {
		for (i = 0; i < sizeof on / sizeof on[0]; i++)
			if (strcmp(text, on[i]) == 0) {
				*out = 1;
				return NULL;
			}
		return "must be on or off (or 1, 0, true, false)";
	}
	/* Digits only: no sign, no space, no "0x", nothing after. */
	if (*text == '\0' || strspn(text, "0123456789") != strlen(text) || strlen(text) > 9)
		return d->max == 100 ? "must be a whole number from 0 to 100 (or off)" :
		    "must be a whole number in its range (or off)";
	errno = 0;
	v = strtol(text, &end, 10);
	if (errno != 0 || v > d->max)
		return d->max == 100 ? "must be a whole number from 0 to 100 (or off)" :
		    "must be a whole number in its range (or off)";
	*out = v;
	return NULL;
}

bool
switches_reason_ok(const char *text)
{
	size_t i, n = strlen(text);

	if (n > SWITCH_REASON_MAX || !utf8_valid(text, n))
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f)
			return false;
	return true;
}

bool
switches_shed(long percent, const char *client, const char *path)
{
	/* FNV-1a over "client\0path": cheap, and spreads addresses that differ in one byte. */
	uint32_t h = 2166136261u;
	const char *parts[2] = { client ? client : "", path ? path : "" };
	size_t i;

	if (percent <= 0)
		return false;
	if (percent >= 100)
		return true;
	for (i = 0; i < 2; i++) {
		const unsigned char *p = (const unsigned char *)parts[i];

		for (; *p; p++)
			h = (h ^ *p) * 16777619u;
		h = (h ^ 0) * 16777619u;
	}
	return (long)(h % 100) < percent;
}

/* ------------------------------------------------------------------------------------------ */
/* A process's copy */

struct switches {
	struct db           *db;
	const struct conf   *conf;
	struct switch_state  now[SWITCH_COUNT];
	bool                 loaded;    /* read once at least */
	bool                 failing;   /* the last read failed (logged once) */
	int64_t              next;      /* monotonic seconds: read again from then on */
};

struct switches *
switches_new(struct db *db, const struct conf *conf)
{
	struct switches *sw = xcalloc(1, sizeof *sw);

	sw->db = db;
	sw->conf = conf;
	return sw;
}

void
switches_free(struct switches *sw)
{
	free(sw);
}

static int64_t
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

size_t
switches_update(struct switches *sw, const struct switch_state *next, bool first)
{
	size_t i, changed = 0;

	for (i = 0; i < SWITCH_COUNT; i++) {
		const struct switch_state *o = &sw->now[i], *n = &next[i];

		if (o->value == n->value)
			continue;
		changed++;
		log_msg(first ? LOG_LEVEL_DEBUG : LOG_LEVEL_WARN,
		    "switch %s: %ld -> %ld (reason: \"%s\", set by %s)", defs[i].name, o->value,
		    n->value, n->reason, n->set_by[0] ? n->set_by : "?");
	}
	memcpy(sw->now, next, sizeof sw->now);
	return changed;
}

/* Reads the table again when due; keeps what it knew when it cannot. */
static void
refresh(struct switches *sw)
{
	struct switch_state next[SWITCH_COUNT];
	int64_t t = mono_s();
	size_t inst;
	bool setup;
	int rc;

	if (sw->db == NULL || (sw->loaded && t < sw->next) || (sw->failing && t < sw->next))
		return;
	sw->next = t + (sw->conf ? sw->conf->switches_refresh_seconds : 2);
	inst = shard_instance(db_shards(sw->db), SWITCH_SHARD);
	if (db_instance_state(sw->db, inst, NULL) != DB_INSTANCE_UP) {
		rc = -1;
	} else {
		/* The process's housekeeping, not the request's route (db.h). */
		setup = db_count_as_setup(sw->db, true);
		rc = switches_read(sw->db, next);
		(void)db_count_as_setup(sw->db, setup);
	}
	if (rc != 0) {
		if (!sw->failing)
			log_warn("switches: tb_switch (shard %d) cannot be read; keeping %s", SWITCH_SHARD,
			    sw->loaded ? "the values last read" : "every switch off");
		sw->failing = true;
		return;
	}
	if (sw->failing)
		log_info("switches: tb_switch can be read again");
	sw->failing = false;
	(void)switches_update(sw, next, !sw->loaded);
	sw->loaded = true;
}

long
switches_get(struct switches *sw, enum switch_id id)
{
	if (sw == NULL || (unsigned)id >= SWITCH_COUNT)
		return 0;
	refresh(sw);
	return sw->now[id].value;
}

bool
switches_on(struct switches *sw, enum switch_id id)
{
	return switches_get(sw, id) != 0;
}

long
switches_retry_after(struct switches *sw)
{
	if (sw == NULL || sw->conf == NULL)
		return 5;
	return switches_on(sw, SWITCH_RETRIES_OFF) ? sw->conf->switches_slow_retry_after :
	    sw->conf->switches_retry_after;
}

long
switches_job_delay(struct switches *sw, long backoff)
{
	long slow;

	if (sw == NULL || sw->conf == NULL || !switches_on(sw, SWITCH_RETRIES_OFF))
		return backoff;
	slow = sw->conf->switches_slow_job_retry;
	return backoff > slow ? backoff : slow;
}

enum switches_verdict
switches_gate(struct switches *sw, const struct switches_request *rq)
{
	if (rq->essential)
		return SWITCHES_PASS;
	if (rq->write && switches_on(sw, SWITCH_READ_ONLY))
		return SWITCHES_READ_ONLY;
	if (!rq->logged_in && switches_shed(switches_get(sw, SWITCH_ANON_SHED), rq->client,
	    rq->path))
		return SWITCHES_SHED;
	return SWITCHES_PASS;
}

/* ------------------------------------------------------------------------------------------ */
/* The table */

int
switches_read(struct db *db, struct switch_state *out)
{
	struct db_rows r = DB_ROWS_INIT;
	size_t i;
	int id;

	memset(out, 0, SWITCH_COUNT * sizeof *out);
	if (db_exec(db, SWITCH_SHARD, "SELECT name, value, reason, set_by, updated_at FROM "
	    "{db}.tb_switch", NULL, 0, &r) != 0) {
		db_rows_free(&r);
		return -1;
	}
	for (i = 0; i < r.nrows; i++) {
		int64_t v = db_i64(&r, i, 1);

		if ((id = switches_find(db_str(&r, i, 0))) < 0)
			continue;   /* a switch of a newer build */
		if (v < 0 || v > defs[id].max) {
			log_warn("switch %s: value %" PRId64 " in tb_switch is out of range (0 .. %ld); "
			    "taken as 0", defs[id].name, v, defs[id].max);
			v = 0;
		}
		out[id].value = (long)v;
		snprintf(out[id].reason, sizeof out[id].reason, "%s", db_str(&r, i, 2));
		snprintf(out[id].set_by, sizeof out[id].set_by, "%s", db_str(&r, i, 3));
		out[id].updated_at = db_i64(&r, i, 4);
	}
	db_rows_free(&r);
	return 0;
}

int
switches_store(struct db *db, enum switch_id id, long value, const char *reason,
    const char *set_by)
{
	int64_t now = (int64_t)time(NULL);

	return db_exec(db, SWITCH_SHARD, "INSERT INTO {db}.tb_switch (name, value, reason, set_by, "
	    "updated_at) VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE value = VALUES(value), "
	    "reason = VALUES(reason), set_by = VALUES(set_by), updated_at = VALUES(updated_at)",
	    DB_PARAMS(DB_STR(defs[id].name), DB_I64(value), DB_STR(reason), DB_STR(set_by),
		DB_I64(now)), NULL) == 0 ? 0 : -1;
}
