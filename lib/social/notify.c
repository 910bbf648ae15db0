/* notify.c: notifications (notify.h has the contract, docs/notifications.md the rules). */
#include "config.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apierr.h"
#include "cache.h"
#include "ctx.h"
#include "db.h"
#include "graphread.h"
#include "id.h"
#include "idlease.h"
#include "job.h"
#include "jsonx.h"
#include "log.h"
#include "notify.h"
#include "partial.h"
#include "postview.h"
#include "route.h"
#include "shard.h"
#include "text.h"
#include "user.h"

/* "notifn:<user>" lives this long. Whatever changes the count deletes it (a notification added,
 * withdrawn or brought back, a mark-as-read, and a block or unblock through
 * notify_forget_unread): the time limit only bounds how long a lost delete (memcached down for a
 * moment) can leave the badge wrong. */
#define UNREAD_TTL 60

/* tb_notification.is_read holds two bits. ROW_READ: read. ROW_WITHDRAWN: the event was undone (a
 * like taken back): the row is in no list and no count, but it keeps its place and the event's
 * unique key, so the same like given again brings this row back as it was (read or not, at its
 * old place in the list) instead of telling the recipient a second time. */
#define ROW_READ      1
#define ROW_WITHDRAWN 2

/* Rounds of read, write, read again in notify.like (as lib/social/graph.c's follow.sync): a like
 * that still changes after this many is left to the job's retry. */
#define SYNC_ROUNDS 4

/* What each type is called, and which record its notification shows: the actor's own record
 * (the reply, the quote, the mentioning post) or the recipient's (the liked or reposted one). */
static const struct {
	const char *name;
	bool        shows_record;
} types[] = {
	[NOTIFY_LIKE]    = { "like",    false },
	[NOTIFY_REPLY]   = { "reply",   true },
	[NOTIFY_REPOST]  = { "repost",  false },
	[NOTIFY_QUOTE]   = { "quote",   true },
	[NOTIFY_FOLLOW]  = { "follow",  false },
	[NOTIFY_MENTION] = { "mention", true },
	[NOTIFY_REPORT_DISMISSED] = { "report_dismissed", false },
	[NOTIFY_REPORT_UPHELD]    = { "report_upheld",    false },
};

const char *
notify_type_name(int type)
{
	if (type < NOTIFY_LIKE || type > NOTIFY_REPORT_UPHELD)
		return NULL;
	return types[type].name;
}

void
notify_forget_unread(struct app_env *env, uint64_t user)
{
	char key[40];

	snprintf(key, sizeof key, "notifn:%" PRIu64, user);
	(void)cache_delete(env->cache, key);
}

/* ------------------------------------------------------------------------------------------ */
/* Making notifications */

/* Takes recipient's notification of the event out of the list and the count (withdrawn: the
 * like taken back) or puts it back as it was (the like given again): ROW_WITHDRAWN added to
 * is_read or taken off it, guarded by the bit so that a second move changes nothing. Its row
 * is kept either way, so that the event stays once (uiq_event). Returns -1, 0 (nothing moved)
 * or 1. */
static int
set_withdrawn(struct app_env *env, uint64_t recipient, enum notify_type type, uint64_t actor,
    uint64_t record_id, bool withdrawn)
{
	struct db_rows r = DB_ROWS_INIT;
	int rc = db_exec(env->db, id_shard(recipient), withdrawn ?
	    "UPDATE {db}.tb_notification SET is_read = is_read + ? WHERE user_id = ? AND type = ? "
	    "AND actor_id = ? AND record_id = ? AND is_read < ?" :
	    "UPDATE {db}.tb_notification SET is_read = is_read - ? WHERE user_id = ? AND type = ? "
	    "AND actor_id = ? AND record_id = ? AND is_read >= ?",
	    DB_PARAMS(DB_I64(ROW_WITHDRAWN), DB_U64(recipient), DB_I64(type), DB_U64(actor),
		DB_U64(record_id), DB_I64(ROW_WITHDRAWN)), &r);

	if (rc == 0 && r.affected == 1) {
		notify_forget_unread(env, recipient);
		rc = 1;
	}
	db_rows_free(&r);
	return rc < 0 ? -1 : rc;
}

int
notify_add(struct app_env *env, uint64_t recipient, enum notify_type type, uint64_t actor,
    uint64_t post_id, uint64_t record_id)
{
	struct db_rows r = DB_ROWS_INIT;
	int64_t now = (int64_t)time(NULL);
	uint64_t id;
	int rc;

	if (notify_type_name((int)type) == NULL || actor == 0 || recipient == actor ||
	    !db_id_has_shard(env->db, recipient))
		return 0;
	/* Cached reads: a mute or block made since is deleted from the cache by lib/social/graph.c.
	 * */
	if ((rc = graph_muted(env, recipient, actor)) != 0 ||
	    (rc = graph_blocked_either(env, recipient, actor)) != 0)
		return rc < 0 ? -1 : 0;
	/* The ID on the recipient's shard: the row lives there (data.md). */
	if (idlease_next_id(env->ids, id_shard(recipient), &id) != 0)
		return -1;
	/* uiq_event: the same event (a retried job, a like taken back and given again) once. */
	rc = db_exec(env->db, id_shard(recipient), "INSERT IGNORE INTO {db}.tb_notification "
	    "(id, user_id, type, actor_id, post_id, record_id, is_read, created_at, updated_at) "
	    "VALUES (?, ?, ?, ?, ?, ?, 0, ?, 0)", DB_PARAMS(DB_U64(id), DB_U64(recipient),
		DB_I64(type), DB_U64(actor), DB_U64(post_id), DB_U64(record_id), DB_I64(now)),
	    &r);
	if (rc == 0 && r.affected == 1) {
		notify_forget_unread(env, recipient);
		rc = 1;
	} else if (rc == 0) {
		/* The event is known: bring it back if it was withdrawn, as it was. */
		rc = set_withdrawn(env, recipient, type, actor, record_id, false);
	}
	db_rows_free(&r);
	return rc < 0 ? -1 : rc;
}

/* Withdraws recipient's notification of the event (the like taken back): out of the list and the
 * count, its row kept (ROW_WITHDRAWN). Returns as notify_add. */
static int
withdraw(struct app_env *env, uint64_t recipient, enum notify_type type, uint64_t actor,
    uint64_t record_id)
{
	if (!db_id_has_shard(env->db, recipient))
		return 0;
	return set_withdrawn(env, recipient, type, actor, record_id, true);
}

int
notify_follow(struct app_env *env, uint64_t follower, uint64_t followee)
{
	struct graph_rel rel;
	int rc;

	if (!db_id_has_shard(env->db, follower))
		return 0;
	/* The follower's row is the truth (not "rel:", which a concurrent change may have left
	 * stale for a moment): only a follow that stands now notifies. */
	rc = graph_rel_read(env->db, follower, followee, false, &rel);
	if (rc == 0)
		rc = rel.follow == 1 ? notify_add(env, followee, NOTIFY_FOLLOW, follower, 0, 0) : 0;
	if (rc < 0)
		log_warn("notify: the follow of %" PRIu64 " by %" PRIu64 " was not notified",
		    followee, follower);
	return rc;
}

/* The author of record (0 when it is gone): 1, 0, or -1. */
static int
author_of(struct app_env *env, uint64_t record, uint64_t *author)
{
	json_object *o = NULL;
	int rc = post_get(env, record, &o);

	*author = rc == 1 ? jsonx_id(o, "authorId") : 0;
	json_object_put(o);
	return rc;
}

/* Notifies each user mentioned in rec (post_get's object) once, leaving out those in done[]
 * (the author, and whoever was told of the record already), which it extends. */
static int
notify_mentions(struct app_env *env, json_object *rec, uint64_t *done, size_t *ndone)
{
	json_object *list;
	uint64_t author = jsonx_id(rec, "authorId"), record = jsonx_id(rec, "id"), user;
	size_t i, k, n;
	int rc, failed = 0;

	if (!json_object_object_get_ex(rec, "mentions", &list) ||
	    !json_object_is_type(list, json_type_array))
		return 0;
	n = json_object_array_length(list);
	for (i = 0; i < n && i < TEXT_MAX_MENTIONS; i++) {
		rc = user_id_by_username(env, json_object_get_string(json_object_array_get_idx(list, i)),
		    &user);
		if (rc < 0) {
			failed = -1;
			continue;
		}
		if (rc == 0)
			continue;
		for (k = 0; k < *ndone && done[k] != user; k++)
			;
		if (k < *ndone)
			continue;
		done[(*ndone)++] = user;
		if (notify_add(env, user, NOTIFY_MENTION, author, record, record) < 0)
			failed = -1;
	}
	return failed;
}

int
notify_post_job(struct app_env *env, json_object *payload, struct buf *err)
{
	/* The author, the answered / quoted / reposted author, and each distinct mention. */
	uint64_t done[2 + TEXT_MAX_MENTIONS];
	size_t ndone = 0;
	uint64_t record = job_payload_id(payload, "record_id"), original, author, target = 0;
	json_object *rec = NULL;
	enum notify_type type;
	const char *t;
	int rc;

	if (record == 0) {
		buf_puts(err, "notify.post: record_id is required");
		return -1;
	}
	rc = post_get(env, record, &rec);
	if (rc <= 0) {
		/* Deleted before the job ran: nobody is told of it. */
		if (rc < 0)
			buf_puts(err, "notify.post: cannot read the record");
		return rc;
	}
	author = jsonx_id(rec, "authorId");
	done[ndone++] = author;
	t = jsonx_str(rec, "type");
	original = jsonx_id(rec, "originalId");
	type = strcmp(t, "reply") == 0 ? NOTIFY_REPLY : strcmp(t, "quote") == 0 ? NOTIFY_QUOTE :
	    strcmp(t, "repost") == 0 ? NOTIFY_REPOST : 0;
	rc = 0;
	if (type != 0 && original != 0) {
		/* The answered, quoted or reposted record's author; a deleted one is told nothing. */
		rc = author_of(env, original, &target);
		if (rc > 0 && target != 0) {
			done[ndone++] = target;
			/* A repost is keyed on the original, as a like is: undone and made again (a
			 * new record each time), it tells once. A quote is a post of its own: each
			 * one tells. */
			rc = notify_add(env, target, type, author, original,
			    type == NOTIFY_REPOST ? original : record);
		}
	}
	if (notify_mentions(env, rec, done, &ndone) < 0)
		rc = -1;
	json_object_put(rec);
	if (rc < 0) {
		buf_puts(err, "notify.post: a recipient's shard or the lookups failed");
		return -1;
	}
	return 0;
}

/* Whether liker's like of record stands now (the truth: uiq_liker_record on the liker's shard):
 * 1 yes, 0 no, -1 failure. */
static int
like_stands(struct app_env *env, uint64_t liker, uint64_t record)
{
	struct db_rows r = DB_ROWS_INIT;
	int rc = db_exec(env->db, id_shard(liker), "SELECT 1 FROM {db}.tb_post_like WHERE "
	    "liker_id = ? AND record_id = ?", DB_PARAMS(DB_U64(liker), DB_U64(record)),
	    &r);

	rc = rc != 0 ? -1 : r.nrows > 0;
	db_rows_free(&r);
	return rc;
}

int
notify_like_job(struct app_env *env, json_object *payload, struct buf *err)
{
	static const char failed[] = "notify.like: the like, the record or the recipient's shard "
	    "failed";
	uint64_t liker = job_payload_id(payload, "liker_id");
	uint64_t record = job_payload_id(payload, "record_id"), author = 0;
	json_object *v;
	const char *why = NULL;
	int stands, now, i;

	if (liker == 0 || record == 0 || !db_id_has_shard(env->db, liker)) {
		why = "notify.like: liker_id and record_id are required";
		goto out;
	}
	/* A record deleted meanwhile has nobody to tell; its notifications show it as gone. */
	if ((i = author_of(env, record, &author)) <= 0 || author == 0) {
		why = i < 0 ? failed : NULL;
		goto out;
	}
	/* Read the like, make the notification match, read again: a like given or taken back
	 * between our read and our write (its own job may have run in between) was undone by our
	 * write, so we go once more. Jobs run twice or out of order end the same way: the last one
	 * writes what the like is now. */
	/* The request that queued the job says what it wrote ("like"): the first read, spared
	 * (the read after our write still decides, so a stale word is harmless). */
	if (json_object_object_get_ex(payload, "like", &v) && json_object_is_type(v,
	    json_type_boolean))
		stands = json_object_get_boolean(v);
	else if ((stands = like_stands(env, liker, record)) < 0) {
		why = failed;
		goto out;
	}
	why = "notify.like: the like kept changing";
	for (i = 0; i < SYNC_ROUNDS; i++) {
		if ((stands ? notify_add(env, author, NOTIFY_LIKE, liker, record, record) :
		    withdraw(env, author, NOTIFY_LIKE, liker, record)) < 0 ||
		    (now = like_stands(env, liker, record)) < 0) {
			why = failed;
			break;
		}
		if (now == stands) {
			why = NULL;
			break;
		}
		stands = now;
	}
out:
	if (why != NULL) {
		buf_puts(err, why);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Reading */

/* What a notification shows of its actor; NULL when the account is gone or suspended (its
 * notifications come back with it). */
static int
actor_of(struct app_env *env, uint64_t id, json_object **out)
{
	static const char *const fields[] = { "id", "username", "displayName", "avatarUrl", NULL };

	return user_pick_shown(env, id, fields, out);
}

/* The post a notification shows, as the viewer may see it: APIERR_OK with *out, or with *out
 * NULL when it is deleted or hidden (a block either way with its author, or with the author of
 * the original it embeds), or the failure. */
static int
shown_post(struct ctx *ctx, uint64_t id, json_object **out)
{
	json_object *orig = NULL;
	int rc = post_view(ctx, id, out);

	if (rc == APIERR_NOT_FOUND) {
		/* Not the list's error: the item stays, without its post. */
		buf_reset(&ctx->message);
		*out = NULL;
		return APIERR_OK;
	}
	if (rc != APIERR_OK)
		return rc;
	rc = 0;
	if (json_object_object_get_ex(*out, "original", &orig) && orig != NULL)
		rc = graph_blocked_either(ctx->env, ctx->user_id, jsonx_id(orig, "authorId"));
	if (rc != 0) {
		json_object_put(*out);
		*out = NULL;
	}
	return rc < 0 ? ctx_fail(ctx, APIERR_UNAVAILABLE, NULL) : APIERR_OK;
}

enum { N_ID, N_TYPE, N_ACTOR, N_POST, N_RECORD, N_READ, N_CREATED };

/* The item of row i of a page: APIERR_OK with *out, or *out NULL when it is left out: an actor
 * gone, or in a block with the viewer; or an actor, a block or a post that cannot be read (on a
 * shard that does not answer), noted in *partial. Another failure is returned. */
static int
list_item(struct ctx *ctx, const struct db_rows *r, size_t i, json_object **out, bool *partial)
{
	int type = (int)db_i64(r, i, N_TYPE);
	uint64_t actor_id = db_u64(r, i, N_ACTOR), shown;
	json_object *actor = NULL, *post = NULL;
	int rc;

	*out = NULL;
	if (notify_type_name(type) == NULL)
		return APIERR_OK;
	/* Told before the block, but the block hides every trace of each side from the other. */
	rc = graph_blocked_either(ctx->env, ctx->user_id, actor_id);
	if (rc == 0)
		rc = actor_of(ctx->env, actor_id, &actor);
	if (rc < 0) {
		*partial = true;
		return APIERR_OK;
	}
	if (actor == NULL)
		return APIERR_OK;
	shown = db_u64(r, i, types[type].shows_record ? N_RECORD : N_POST);
	if (shown != 0 && (rc = shown_post(ctx, shown, &post)) != APIERR_OK) {
		json_object_put(actor);
		if (rc != APIERR_UNAVAILABLE)
			return rc;
		/* Not shown as gone: it may well be there, on its shard. */
		buf_reset(&ctx->message);
		*partial = true;
		return APIERR_OK;
	}
	*out = json_object_new_object();
	json_object_object_add(*out, "id", jsonx_id_new(db_u64(r, i, N_ID)));
	json_object_object_add(*out, "type", json_object_new_string(types[type].name));
	json_object_object_add(*out, "actor", actor);
	json_object_object_add(*out, "post", post);
	json_object_object_add(*out, "read",
	    json_object_new_boolean((db_i64(r, i, N_READ) & ROW_READ) != 0));
	json_object_object_add(*out, "createdAt", json_object_new_int64(db_i64(r, i, N_CREATED)));
	return APIERR_OK;
}

enum apierr
notify_list(struct ctx *ctx, uint64_t cursor, json_object **out)
{
	struct db_rows r = DB_ROWS_INIT;
	json_object *list = NULL, *one;
	bool partial = false;
	char next[24];
	size_t i;
	int rc;

	*out = NULL;
	if (!db_id_has_shard(ctx->env->db, ctx->user_id))
		return ctx_fail(ctx, APIERR_UNAUTHORIZED, NULL);
	/* idx_user_id: one range of the user's shard; a row more than a page says there is more. */
	if (db_exec(ctx->env->db, id_shard(ctx->user_id), "SELECT id, type, actor_id, post_id, "
	    "record_id, is_read, created_at FROM {db}.tb_notification WHERE user_id = ? AND id < ? "
	    "AND is_read < ? ORDER BY id DESC LIMIT ?", DB_PARAMS(DB_U64(ctx->user_id),
		DB_U64(cursor ? cursor : UINT64_MAX), DB_I64(ROW_WITHDRAWN),
		DB_I64(NOTIFY_PAGE + 1)), &r) != 0) {
		rc = ctx_fail(ctx, APIERR_UNAVAILABLE, NULL);
		goto out;
	}
	list = json_object_new_array();
	for (i = 0; i < r.nrows && i < NOTIFY_PAGE; i++) {
		if ((rc = list_item(ctx, &r, i, &one, &partial)) != APIERR_OK)
			goto out;
		if (one != NULL)
			json_object_array_add(list, one);
	}
	/* The last row read, shown or not: IDs only grow, so pages neither repeat nor skip. */
	if (r.nrows > NOTIFY_PAGE)
		snprintf(next, sizeof next, "%" PRIu64, db_u64(&r, NOTIFY_PAGE - 1, N_ID));
	else
		snprintf(next, sizeof next, "%s", ROUTE_CURSOR_END);
	*out = json_object_new_object();
	json_object_object_add(*out, "notifications", list);
	json_object_object_add(*out, "cursor", json_object_new_string(next));
	partial_mark(*out, partial);
	list = NULL;
	rc = APIERR_OK;
out:
	json_object_put(list);
	db_rows_free(&r);
	return rc;
}

struct unread_load {
	struct app_env *env;
	uint64_t        user;
};

/* Adds to b, for each shard holding some of the actors of rows r (column 0), the query of which
 * of them block user: their rows about user live on their own shards. The PK's point lookups. */
static void
blockers_queries(struct app_env *env, uint64_t user, const struct db_rows *r, struct db_batch *b)
{
	unsigned shard, nshards = shard_count(db_shards(env->db));
	struct db_val p[1 + NOTIFY_UNREAD_MAX];
	struct buf sql = BUF_INIT;
	size_t i, n;

	for (shard = 0; shard < nshards; shard++) {
		n = 0;
		p[n++] = DB_U64(user);
		buf_reset(&sql);
		buf_puts(&sql, "SELECT user_id FROM {db}.tb_user_relationship WHERE target_user = ? "
		    "AND status_follow = 2 AND user_id IN (");
		for (i = 0; i < r->nrows && n < sizeof p / sizeof p[0]; i++)
			if (id_shard(db_u64(r, i, 0)) == shard) {
				buf_puts(&sql, n > 1 ? ", ?" : "?");
				p[n++] = DB_U64(db_u64(r, i, 0));
			}
		buf_puts(&sql, ")");
		if (n > 1)
			db_batch_add(b, shard, buf_cstr(&sql), p, n);
	}
	buf_free(&sql);
}

/* Marks in blocked[] the rows of r whose actor a blockers query found (its rows b). */
static void
mark_blockers(const struct db_rows *r, const struct db_rows *b, bool *blocked)
{
	size_t i, k;

	for (k = 0; k < b->nrows; k++)
		for (i = 0; i < r->nrows && i < NOTIFY_UNREAD_MAX; i++)
			if (db_u64(r, i, 0) == db_u64(b, k, 0))
				blocked[i] = true;
}

/* Marks in blocked[] every row of r whose actor lives on shard: their blocks could not be read. */
static void
mark_shard(const struct db_rows *r, unsigned shard, bool *blocked)
{
	size_t i;

	for (i = 0; i < r->nrows && i < NOTIFY_UNREAD_MAX; i++)
		if (id_shard(db_u64(r, i, 0)) == shard)
			blocked[i] = true;
}

/* The unread count as "notifn:" keeps it: the newest NOTIFY_UNREAD_MAX unread rows, less those
 * of actors in a block with the user (the list leaves them out too). From the databases, in a
 * few set queries rather than a cached lookup per actor: the user's blocks join on the user's
 * shard; the actors' blocks of the user, one query per shard that holds some of the actors, all
 * in one round.
 * Only the user's shard must answer: the rows of actors on a shard that does not are left out
 * (the list leaves them out too) and the count is CACHE_LOAD_PARTIAL. */
static int
unread_loader(void *arg, struct buf *out)
{
	struct unread_load *l = arg;
	struct db_rows r = DB_ROWS_INIT;
	bool blocked[NOTIFY_UNREAD_MAX] = { false }, partial = false;
	struct db_batch b = DB_BATCH_INIT;
	long count = 0;
	size_t i, k;
	int rc = db_exec(l->env->db, id_shard(l->user), "SELECT t.actor_id, COUNT(*) FROM (SELECT "
	    "actor_id FROM {db}.tb_notification WHERE user_id = ? AND is_read = 0 ORDER BY id DESC "
	    "LIMIT ?) t LEFT JOIN {db}.tb_user_relationship b ON b.user_id = ? AND b.target_user = "
	    "t.actor_id AND b.status_follow = 2 WHERE b.user_id IS NULL GROUP BY t.actor_id",
	    DB_PARAMS(DB_U64(l->user), DB_I64(NOTIFY_UNREAD_MAX), DB_U64(l->user)),
	    &r);

	if (rc != 0) {
		db_rows_free(&r);
		return -1;
	}
	/* The actors' blocks of the user: one round over the shards holding some. */
	blockers_queries(l->env, l->user, &r, &b);
	db_batch_run(l->env->db, &b);
	for (k = 0; k < b.n; k++) {
		if (b.q[k].rc == 0) {
			mark_blockers(&r, b.q[k].out, blocked);
			continue;
		}
		mark_shard(&r, b.q[k].shard, blocked);
		partial = true;
	}
	db_batch_free(&b);
	for (i = 0; i < r.nrows && i < NOTIFY_UNREAD_MAX; i++)
		if (!blocked[i])
			count += db_i64(&r, i, 1);
	db_rows_free(&r);
	buf_printf(out, "%ld", count);
	return partial ? CACHE_LOAD_PARTIAL : 1;
}

/* The count of user from "notifn:" (filled from the databases when cold): 1, with *partial set
 * for a count that left out the notifications of actors on a shard that did not answer, or -1
 * (the user's shard is down). */
static int
unread_get(struct app_env *env, uint64_t user, long *count, bool *partial)
{
	struct unread_load l = { env, user };
	struct buf v = BUF_INIT;
	char key[40], *end;
	int rc;

	*count = 0;
	*partial = false;
	snprintf(key, sizeof key, "notifn:%" PRIu64, user);
	rc = cache_get_or_load(env->cache, key, UNREAD_TTL, unread_loader, &l, &v);
	if (rc == CACHE_LOAD_PARTIAL) {
		*partial = true;
		rc = 1;
	}
	if (rc == 1) {
		*count = strtol(buf_cstr(&v), &end, 10);
		if (*end != '\0' || *count < 0) {
			/* Only this code writes the key: a value that does not parse is dropped. */
			log_error("cache %s: not a count; deleted", key);
			(void)cache_delete(env->cache, key);
			*count = 0;
			rc = -1;
		}
	}
	buf_free(&v);
	return rc == 1 ? 1 : -1;
}

enum apierr
notify_unread(struct ctx *ctx, long *count, bool *partial)
{
	*count = 0;
	*partial = false;
	if (!db_id_has_shard(ctx->env->db, ctx->user_id))
		return ctx_fail(ctx, APIERR_UNAUTHORIZED, NULL);
	if (unread_get(ctx->env, ctx->user_id, count, partial) < 0)
		return ctx_fail(ctx, APIERR_UNAVAILABLE, NULL);
	return APIERR_OK;
}

int
notify_unread_badge(struct app_env *env, uint64_t user, long *count)
{
	bool partial;

	*count = 0;
	if (user == 0 || !db_id_has_shard(env->db, user))
		return 0;
	return unread_get(env, user, count, &partial);
}

enum apierr
notify_read(struct ctx *ctx, uint64_t up_to_id)
{
	struct db_rows r = DB_ROWS_INIT;
	int rc;

	if (!db_id_has_shard(ctx->env->db, ctx->user_id))
		return ctx_fail(ctx, APIERR_UNAUTHORIZED, NULL);
	/* idx_user_unread: only the unread rows up to the ID are touched, the withdrawn ones too,
	 * so that one brought back later comes back read, as everything up to the ID now is. */
	rc = db_exec(ctx->env->db, id_shard(ctx->user_id), "UPDATE {db}.tb_notification SET "
	    "is_read = is_read + ?, updated_at = ? WHERE user_id = ? AND is_read IN (0, ?) AND "
	    "id <= ?", DB_PARAMS(DB_I64(ROW_READ), DB_I64(time(NULL)),
		DB_U64(ctx->user_id), DB_I64(ROW_WITHDRAWN), DB_U64(up_to_id)), &r);
	if (rc == 0 && r.affected > 0)
		notify_forget_unread(ctx->env, ctx->user_id);
	db_rows_free(&r);
	return rc == 0 ? APIERR_OK : ctx_fail(ctx, APIERR_UNAVAILABLE, NULL);
}
