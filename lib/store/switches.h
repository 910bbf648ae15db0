/* switches.h: the operators' degradation switches: named values that turn off or slow down
 * the less important work of the site in a surge (docs/operations.md, "Degradation switches").
 *
 * The truth is the table tb_switch of shard 0 (sql/013_switches.sql), one row per switch that was
 * ever set: name, value, reason, set_by, updated_at. starling-admin switch writes it
 * (switches_store); every process reads the whole table at most every [switches]
 * refresh_seconds and keeps it in its own memory, never in memcached (which may be what failed).
 * A read that fails keeps the last values known (every switch off in a process that never read
 * them), logged once until a read works again; while the breaker of shard 0's instance is not
 * closed, no read is tried (a refresh must never be the request that probes a hung instance).
 * Each value that changes is logged as a warning by the process that sees it (name, old, new,
 * reason, set_by); a process's first read is only logged at debug level, so that plain CGI (a
 * process per request) does not log every request.
 *
 * Switches (the table switches_def gives each one's range):
 *   fanout_hold    0/1  timeline.push jobs are parked (tb_job state 4, lib/social/job.h) instead of
 * run;
 *                       released gradually by starling-worker once off ([switches]
 *                       release_per_second)
 *   search_off     0/1  the search routes answer 503 (cgi-bin/feed/discover.c)
 *   trends_off     0/1  starling-worker does not compute the trends; the last ones are served
 *   notify_off     0/1  notify.post and notify.like jobs are parked, as fanout_hold's
 *   read_only      0/1  every write is refused with 503, but login and logout (lib/app/app.c)
 *   retries_off    0/1  failed jobs wait at least [switches] slow_job_retry seconds; a 503's
 *                       Retry-After is [switches] slow_retry_after
 *   anon_shed  0..100   that percentage of anonymous requests is refused with 503
 *   media_quality 0..100  starling-worker processes new images at this JPEG quality (when lower
 *                       than [media] quality) and skips their WebP copies; 0 (off): full
 *                       quality (lib/social/mediajob.h)
 *
 * Return convention: <0 failure (logged), 0 done. */
#ifndef STARLING_SWITCHES_H
#define STARLING_SWITCHES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"

struct db;

enum switch_id {
	SWITCH_FANOUT_HOLD,
	SWITCH_SEARCH_OFF,
	SWITCH_TRENDS_OFF,
	SWITCH_NOTIFY_OFF,
	SWITCH_READ_ONLY,
	SWITCH_RETRIES_OFF,
	SWITCH_ANON_SHED,
	SWITCH_MEDIA_QUALITY,
	SWITCH_COUNT
};

/* tb_switch.reason is varchar(255) and set_by varchar(128); what we write is shorter. */
#define SWITCH_REASON_MAX 200
#define SWITCH_SET_BY_MAX 127

/* What a switch is: its name, its largest value (1 for an on/off switch; the smallest is 0),
 * and one line saying what it does (for starling-admin switch list). */
struct switch_def {
	const char *name;
	long        max;
	const char *what;
};

/* One switch as tb_switch holds it. */
struct switch_state {
	long    value;
	char    reason[SWITCH_REASON_MAX + 1];
	char    set_by[SWITCH_SET_BY_MAX + 1];
	int64_t updated_at;   /* Unix seconds; 0: never set */
};

/* The definition of id (static). */
const struct switch_def *switches_def(enum switch_id id);

/* The switch named name (exactly, lower case), or -1. */
int switches_find(const char *name);

/* Parses text as a value of switch id into *out: an on/off switch takes on, off, true, false,
 * 1, 0; the others a decimal number in their range (off for 0). Returns NULL, or a static
 * sentence saying what the value must be. */
const char *switches_parse_value(enum switch_id id, const char *text, long *out);

/* Whether text is fit for tb_switch.reason: valid UTF-8 without control characters, at most
 * SWITCH_REASON_MAX bytes (it goes into log lines). */
bool switches_reason_ok(const char *text);

/* ------------------------------------------------------------------------------------------ */
/* A process's copy */

struct switches;

/* A process's switches, all off until read. db (may be NULL: never read, for tests) and conf
 * ([switches] keys) are borrowed and must outlive it. Nothing is read yet. */
struct switches *switches_new(struct db *db, const struct conf *conf);
void switches_free(struct switches *sw);

/* The value of switch id, read again first when [switches] refresh_seconds have passed since
 * the last read (see the top of this file). NULL sw reads as every switch off. */
long switches_get(struct switches *sw, enum switch_id id);
bool switches_on(struct switches *sw, enum switch_id id);

/* Takes next (a whole table, SWITCH_COUNT entries, absent switches at 0) as the process's values,
 * logging each change as a warning (unless first, a process's first read: debug). Returns how
 * many values changed. For the refresh, and for tests. */
size_t switches_update(struct switches *sw, const struct switch_state *next, bool first);

/* The Retry-After of a 503 answer, in seconds: [switches] retry_after, or slow_retry_after while
 * retries_off is on. */
long switches_retry_after(struct switches *sw);

/* The least wait, in seconds, before a failed job's next attempt whose normal back-off is
 * backoff: backoff, or at least [switches] slow_job_retry while retries_off is on. */
long switches_job_delay(struct switches *sw, long backoff);

/* What the request pipeline decides from the switches (lib/app/app.c). */
struct switches_request {
	bool        write;       /* not GET or HEAD */
	bool        logged_in;
	bool        essential;   /* health, login and logout: never refused by a switch */
	const char *client;      /* REMOTE_ADDR, or NULL */
	const char *path;
};
enum switches_verdict { SWITCHES_PASS, SWITCHES_READ_ONLY, SWITCHES_SHED };
enum switches_verdict switches_gate(struct switches *sw, const struct switches_request *rq);

/* Whether anon_shed at percent sheds an anonymous request of client for path: a hash of the two
 * below percent. The same client and path always get the same answer (a retry of a refused
 * page is refused again, so retries do not multiply the load), and different ones spread evenly:
 * percent of them are refused. */
bool switches_shed(long percent, const char *client, const char *path);

/* ------------------------------------------------------------------------------------------ */
/* The table (starling-admin, and the refresh) */

/* Reads tb_switch of shard 0 into out (SWITCH_COUNT entries; switches without a row, or with a
 * value out of their range, at 0; rows of names this build does not know are skipped). Returns
 * 0 or -1. */
int switches_read(struct db *db, struct switch_state *out);

/* Writes switch id's row: value, reason and set_by (both checked by the caller), now. Setting
 * the value it has already rewrites the reason. Returns 0 or -1. */
int switches_store(struct db *db, enum switch_id id, long value, const char *reason,
    const char *set_by);

#endif
