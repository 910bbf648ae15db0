/* post.c: the write side of posts: creating posts, replies, reposts and quotes, with their
 * transactions, invalidations and jobs, and the rules every write shares (post.h has the
 * contract, docs/data.md the outbox and the cache keys; likes, reports, deletion and pins are in
 * post_act.c, the reads in postview.c). */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "apierr.h"
#include "cache.h"
#include "ctx.h"
#include "clock.h"
#include "db.h"
#include "graphread.h"
#include "id.h"
#include "job.h"
#include "jsonx.h"
#include "limit.h"
#include "linkcard.h"
#include "media.h"
#include "mediaclean.h"
#include "post.h"
#include "post_int.h"
#include "shard.h"
#include "switches.h"
#include "text.h"
#include "timeline.h"
#include "user.h"
#include "utf8.h"
#include "valid.h"

/* Idempotency-Key: 1 .. 64 printable ASCII characters (tb_idempotency_key.idem_key). */
#define IDEM_KEY_MAX 64
/* The columns of media URLs (varchar(255)); a URL we issue is far shorter. */
#define MEDIA_URL_MAX 255


enum apierr
post_unavailable(struct ctx *ctx)
{
	return ctx_fail(ctx, APIERR_UNAVAILABLE, NULL);
}

/* ------------------------------------------------------------------------------------------ */
/* Rules every write shares */

/* Refuses acting on rec (a post_get object: reply, quote, repost, like) when its author and the
 * caller block each other, either way (lib/social/graph.h). */
enum apierr
post_check_not_blocked(struct ctx *ctx, json_object *rec)
{
	int rc = graph_blocked_either(ctx->env, ctx->user_id, jsonx_id(rec, "authorId"));

	if (rc < 0)
		return post_unavailable(ctx);
	if (rc > 0)
		return ctx_fail(ctx, APIERR_FORBIDDEN, "you cannot interact with this account's "
		    "posts");
	return APIERR_OK;
}

/* The acting user may write: activated and not suspended (the token check refuses suspended
 * users already; this sees a suspension made since the token was checked through the cache). */
enum apierr
post_check_writer(struct ctx *ctx, json_object **profile)
{
	json_object *u = NULL, *v;
	int rc = user_get(ctx->env, ctx->user_id, &u);

	if (rc < 0)
		return post_unavailable(ctx);
	if (rc == 0)
		return ctx_fail(ctx, APIERR_UNAUTHORIZED, NULL);
	if (user_suspended(u, clock_now_s()))
		rc = ctx_fail(ctx, APIERR_SUSPENDED, NULL);
	else if (!json_object_object_get_ex(u, "activated", &v) || !json_object_get_boolean(v))
		rc = ctx_fail(ctx, APIERR_NOT_ACTIVATED, NULL);
	else
		rc = APIERR_OK;
	if (rc == APIERR_OK && profile != NULL)
		*profile = u;
	else
		json_object_put(u);
	return rc;
}

/* The checked media of a new record, as its row stores them. */
struct media_row {
	const char *image;   /* image_url: the first image's URL, or "" (borrowed from the post_new) */
	const char *video;   /* video_url, or "" */
	struct buf  json;    /* media_json: [{url, alt}] of every image; empty: none (NULL) */
	size_t      n;       /* how many media (images, or the one video) */
	const char *urls[POST_MEDIA_MAX];
};

#define MEDIA_ROW_INIT { "", "", BUF_INIT, 0, { NULL } }

static void
media_row_free(struct media_row *m)
{
	buf_free(&m->json);
}

/* The media_json column's value: NULL for a record without images, as before the column. */
static struct db_val
media_row_val(const struct media_row *m)
{
	return m->json.len > 0 ? DB_BYTES(m->json.data, m->json.len) : DB_NULL;
}

/* Checks an image's alt text (i: its place, for the message): UTF-8, no control characters
 * (it becomes an attribute on one line), at most POST_ALT_MAX characters. The parameter tables
 * bound it too; this is the rule for every caller. */
static int
check_alt(struct ctx *ctx, size_t i, const char *alt)
{
	size_t n = strlen(alt), k;
	char name[16];

	snprintf(name, sizeof name, i == 0 ? "alt_text" : "alt_text_%zu", i + 1);
	if (!utf8_valid(alt, n))
		return ctx_fail(ctx, APIERR_BAD_UTF8, "%s: not valid UTF-8", name);
	for (k = 0; k < n; k++)
		if ((unsigned char)alt[k] < 0x20 || alt[k] == 0x7f)
			return ctx_fail(ctx, APIERR_INVALID_PARAM, "%s: holds a control character",
			    name);
	if (utf8_count(alt, n) > POST_ALT_MAX)
		return ctx_fail(ctx, APIERR_INVALID_PARAM, "%s: too long; at most %d characters",
		    name, POST_ALT_MAX);
	return APIERR_OK;
}

/* Checks the i-th medium of n (its URL issued to this user, its alt text) and adds it to m. */
static int
check_medium(struct ctx *ctx, const struct post_medium *p, size_t i, struct media_row *m,
    json_object *images)
{
	const char *alt = p->alt ? p->alt : "";
	size_t len = strlen(p->url), k;
	enum media_kind kind;
	json_object *o;
	int rc;

	if (len > MEDIA_URL_MAX)
		return ctx_fail(ctx, APIERR_MEDIA_FORGED, NULL);
	for (k = 0; k < m->n; k++)
		if (strcmp(m->urls[k], p->url) == 0)
			return ctx_fail(ctx, APIERR_INVALID_PARAM, "media: the same file twice in one "
			    "post");
	rc = media_check_url(ctx->env->media, ctx->user_id, p->url, len, &kind);
	if (rc < 0)
		return post_unavailable(ctx);
	if (rc == MEDIA_FORGED)
		return ctx_fail(ctx, APIERR_MEDIA_FORGED, NULL);
	if (rc == MEDIA_MISSING)
		return ctx_fail(ctx, APIERR_MEDIA_MISSING, NULL);
	if (kind == MEDIA_VIDEO && (m->n > 0 || *alt != '\0'))
		return ctx_fail(ctx, APIERR_INVALID_PARAM, "media: a video is posted alone, without "
		    "other media or alt text");
	if (*m->video != '\0')
		return ctx_fail(ctx, APIERR_INVALID_PARAM, "media: a video is posted alone");
	if ((rc = check_alt(ctx, i, alt)) != APIERR_OK)
		return rc;
	m->urls[m->n++] = p->url;
	if (kind == MEDIA_VIDEO) {
		m->video = p->url;
		return APIERR_OK;
	}
	if (*m->image == '\0')
		m->image = p->url;
	o = json_object_new_object();
	json_object_object_add(o, "url", json_object_new_string(p->url));
	json_object_object_add(o, "alt", json_object_new_string(alt));
	json_object_array_add(images, o);
	return APIERR_OK;
}

/* The media of n, in order, into m (media_row_free it whatever the outcome). */
static int
check_media(struct ctx *ctx, const struct post_new *n, struct media_row *m)
{
	json_object *images = json_object_new_array();
	int rc = APIERR_OK;
	size_t i;

	for (i = 0; i < POST_MEDIA_MAX && rc == APIERR_OK; i++)
		if (n->media[i].url != NULL && *n->media[i].url != '\0')
			rc = check_medium(ctx, &n->media[i], i, m, images);
		else if (n->media[i].alt != NULL && *n->media[i].alt != '\0')
			rc = ctx_fail(ctx, APIERR_INVALID_PARAM, i == 0 ? "alt_text: no media to "
			    "describe" : "alt_text_%zu: no media_%zu to describe", i + 1, i + 1);
	if (rc == APIERR_OK && json_object_array_length(images) > 0)
		buf_puts(&m->json, json_object_to_json_string_ext(images, JSON_C_TO_STRING_PLAIN |
		    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(images);
	return rc;
}

/* The text and media of a new post, quote or reply. On APIERR_OK, t holds the prepared text and
 * m the media (URLs borrowed from n). */
static int
check_content(struct ctx *ctx, const struct post_new *n, struct text_post *t,
    struct media_row *m)
{
	const char *text = n->text ? n->text : "";
	size_t len = n->text ? n->text_len : 0;
	int rc;

	rc = text_prepare(text, len, (size_t)ctx->env->conf.posts_max_chars, t);
	if (rc == TEXT_BAD_UTF8)
		return utf8_valid(text, len) ?
		    ctx_fail(ctx, APIERR_INVALID_PARAM, "content_text: holds a control character") :
		    ctx_fail(ctx, APIERR_BAD_UTF8, "content_text: not valid UTF-8");
	if (rc == TEXT_TOO_LONG)
		return ctx_fail(ctx, APIERR_TEXT_TOO_LONG, "content_text: too long; at most %ld "
		    "characters", ctx->env->conf.posts_max_chars);
	if (rc != TEXT_OK)
		return ctx_fail(ctx, APIERR_INTERNAL, NULL);
	if ((rc = check_media(ctx, n, m)) != APIERR_OK)
		return rc;
	if (t->len == 0 && m->n == 0)
		return ctx_fail(ctx, APIERR_TEXT_EMPTY, "content_text: empty, and no media attached");
	return APIERR_OK;
}

/* The content warning of a new post, quote or reply into *w (prepared as a text is: NFC, trimmed,
 * counted in characters; w->len 0 for none). The API and the form share the messages. */
static int
check_warning(struct ctx *ctx, const struct post_new *n, struct text_post *w)
{
	const char *s = n->content_warning ? n->content_warning : "";
	int rc = text_prepare(s, strlen(s), POST_WARNING_MAX, w);

	if (rc == TEXT_BAD_UTF8)
		return ctx_fail(ctx, APIERR_BAD_UTF8, "content_warning: not valid UTF-8, or "
		    "holds a control character");
	if (rc == TEXT_TOO_LONG)
		return ctx_fail(ctx, APIERR_TEXT_TOO_LONG, "content_warning: too long; at most %d "
		    "characters", POST_WARNING_MAX);
	return rc == TEXT_OK ? APIERR_OK : ctx_fail(ctx, APIERR_INTERNAL, NULL);
}

/* Attaches the media of new record id (checked by check_content) for the clean-up
 * (lib/social/mediaclean.h): after the ID is made, before the row is written, so that the sweep can
 * never remove what a post is about to show. A retry of the same request attaches the same ID
 * again. A refusal after some were attached leaves those attached to an ID with no row (kept,
 * as docs/media.md says of a post that fails to be written). */
static int
attach_media(struct ctx *ctx, const struct media_row *m, uint64_t id)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < m->n && rc == 0; i++)
		rc = mediaclean_attach(ctx->env, m->urls[i], id);
	if (rc == MEDIACLEAN_TAKEN)
		return ctx_fail(ctx, APIERR_CONFLICT, "media: attached to another post already; upload "
		    "the file again for this one");
	if (rc == MEDIACLEAN_GONE)
		return ctx_fail(ctx, APIERR_MEDIA_MISSING, "media: removed by the clean-up (never "
		    "posted within [media] orphan_grace); upload the file again");
	return rc == 0 ? APIERR_OK : post_unavailable(ctx);
}

static bool
idem_key_valid(const char *k)
{
	size_t i, n = strlen(k);

	if (n == 0 || n > IDEM_KEY_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (k[i] < 0x21 || k[i] > 0x7e)
			return false;
	return true;
}

/*
 * The Idempotency-Key of a request that makes a record with the pre-made ID fresh: claims the
 * key for this user with fresh, before anything is written (so a crash later, or a concurrent
 * retry, finds the same ID). Returns APIERR_OK with *id: fresh, or the ID an earlier request
 * with the same key and the same request claimed (the caller then writes it again with INSERT
 * IGNORE, which completes a request that died half-way and changes nothing otherwise); or the
 * failure (42200 for the key used with another request).
 */
static int
idem_claim(struct ctx *ctx, const char *key, const char *hash, uint64_t fresh, uint64_t *id)
{
	struct db_rows r = DB_ROWS_INIT;
	unsigned shard = id_shard(ctx->user_id);
	int64_t now = clock_now_s();
	char own[65];
	int rc = -1, tries;

	*id = fresh;
	if (key == NULL)
		return APIERR_OK;
	if (!idem_key_valid(key))
		return ctx_fail(ctx, APIERR_INVALID_PARAM,
		    "Idempotency-Key: 1 to %d printable ASCII characters", IDEM_KEY_MAX);
	if (hash == NULL) {
		post_request_hash(ctx, own);
		hash = own;
	}
	/* A few rounds: the row may be purged (expired) between our insert and our read. */
	for (tries = 0; tries < 3; tries++) {
		rc = db_exec(ctx->env->db, shard, "INSERT INTO {db}.tb_idempotency_key (user_id, idem_key, "
		    "request_hash, result_id, created_at) VALUES (?, ?, ?, ?, ?)",
		    DB_PARAMS(DB_U64(ctx->user_id), DB_STR(key), DB_STR(hash), DB_U64(fresh),
			DB_I64(now)), NULL);
		if (rc != DB_DUPLICATE)
			break;
		rc = db_exec(ctx->env->db, shard, "SELECT request_hash, result_id, created_at FROM "
		    "{db}.tb_idempotency_key WHERE user_id = ? AND idem_key = ?",
		    DB_PARAMS(DB_U64(ctx->user_id), DB_STR(key)), &r);
		if (rc != 0)
			break;
		if (r.nrows == 0) {
			rc = -1;    /* deleted meanwhile (expired): claim it again */
			continue;
		}
		if (db_i64(&r, 0, 2) < now - ctx->env->conf.posts_idempotency_ttl) {
			/* Expired, not yet purged: the key is free again. */
			rc = db_exec(ctx->env->db, shard, "DELETE FROM {db}.tb_idempotency_key WHERE "
			    "user_id = ? AND idem_key = ? AND created_at = ?",
			    DB_PARAMS(DB_U64(ctx->user_id), DB_STR(key),
				DB_I64(db_i64(&r, 0, 2))), NULL);
			if (rc != 0)
				break;
			rc = -1;
			continue;
		}
		if (strcmp(db_str(&r, 0, 0), hash) != 0) {
			db_rows_free(&r);
			return ctx_fail(ctx, APIERR_IDEMPOTENCY_REUSED, NULL);
		}
		*id = db_u64(&r, 0, 1);
		break;
	}
	db_rows_free(&r);
	return rc == 0 ? APIERR_OK : post_unavailable(ctx);
}

/* Whether key was claimed by this user for this same request (a retry) and is still live:
 * true, or false (not claimed, claimed for another request, expired, or the database failed:
 * idem_claim then says which). Reads only. */
static bool
idem_retry(struct ctx *ctx, const char *key, const char *hash)
{
	struct db_rows r = DB_ROWS_INIT;
	char own[65];
	bool retry;

	if (key == NULL || !idem_key_valid(key))
		return false;
	if (hash == NULL) {
		post_request_hash(ctx, own);
		hash = own;
	}
	retry = db_exec(ctx->env->db, id_shard(ctx->user_id), "SELECT request_hash, created_at FROM "
	    "{db}.tb_idempotency_key WHERE user_id = ? AND idem_key = ?",
	    DB_PARAMS(DB_U64(ctx->user_id), DB_STR(key)), &r) == 0 && r.nrows > 0 &&
	    strcmp(db_str(&r, 0, 0), hash) == 0 &&
	    db_i64(&r, 0, 1) >= clock_now_s() - ctx->env->conf.posts_idempotency_ttl;
	db_rows_free(&r);
	return retry;
}

/* The write limits of a new record (lib/social/limit.h), unless the request is the retry of one
 * made under the same Idempotency-Key: that writes nothing new and was counted the first time, and
 * a client whose first try was its last allowed one must get its answer, not a 429. */
static int
check_limits(struct ctx *ctx, enum limit_kind kind, const struct text_post *t,
    const char *idem_key, const char *request_hash)
{
	if (idem_retry(ctx, idem_key, request_hash))
		return APIERR_OK;
	return limit_check(ctx, kind, t ? t->mentions : NULL, t ? t->nmentions : 0);
}

void
post_request_hash(const struct ctx *ctx, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	struct buf in = BUF_INIT;
	size_t k;

	/* Method, path, then the route's declared parameters as checked (length-prefixed, so no
	 * value can pass for two): the body's formatting and undeclared fields (a CSRF token) do
	 * not make two requests different. */
	buf_printf(&in, "%s\n%s\n", ctx->req.method_name ? ctx->req.method_name : "",
	    ctx->req.path ? ctx->req.path : "");
	for (k = 0; k < ctx->params.n; k++) {
		const struct param *p = &ctx->params.items[k];
		const char *v = p->str ? p->str : "";

		buf_printf(&in, "%s=%zu:%s\n", p->name, strlen(v), v);
	}
	if (EVP_Digest(in.data, in.len, md, &mdlen, EVP_sha256(), NULL) != 1)
		mdlen = 0;
	for (i = 0; i < mdlen && i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[2 * i] = '\0';
	buf_free(&in);
}

/* ------------------------------------------------------------------------------------------ */
/* Jobs queued with a write: IDs made before the transaction, queued inside it, run after. */

void
post_jobs_free(struct jobs *j)
{
	size_t i;

	for (i = 0; i < j->n; i++)
		json_object_put(j->v[i].payload);
	j->n = 0;
}

/* Adds a job {name: id} (and, for hashtags, tag and name), held: the request runs it after the
 * commit. Returns 0 or -1 (no ID: 503). */
int
post_jobs_add(struct ctx *ctx, struct jobs *j, const char *type, const char *name, uint64_t id,
    const char *tag, const char *tag_name)
{
	struct job_new *v = &j->v[j->n];

	if (j->n == POST_MAX_JOBS || ctx_new_id(ctx, j->shard, &v->id) != 0)
		return -1;
	v->type = type;
	v->held = true;
	v->payload = json_object_new_object();
	json_object_object_add(v->payload, name, jsonx_id_new(id));
	if (tag != NULL) {
		json_object_object_add(v->payload, "tag", json_object_new_string(tag));
		json_object_object_add(v->payload, "name", json_object_new_string(tag_name ? tag_name :
		    tag));
	}
	j->n++;
	return 0;
}

/* One link.fetch per URL of t, for starling-worker (not held: the request never waits for
 * another site; lib/social/linkcard.h). Returns 0 or -1 (no ID: 503). */
static int
jobs_add_urls(struct ctx *ctx, struct jobs *j, const struct text_post *t)
{
	size_t i;

	for (i = 0; i < t->nurls; i++) {
		struct job_new *v = &j->v[j->n];

		if (j->n == POST_MAX_JOBS || ctx_new_id(ctx, j->shard, &v->id) != 0)
			return -1;
		v->type = LINKCARD_JOB;
		v->held = false;
		v->payload = linkcard_payload(t->urls[i], v->id);
		j->n++;
	}
	return 0;
}

/* One hashtag.sync per tag key of a space-separated list (a stored hashtags column). */
int
post_jobs_add_tags(struct ctx *ctx, struct jobs *j, uint64_t record, const char *list)
{
	char tag[512];

	while (*list) {
		size_t w = strcspn(list, " ");

		if (w > 0 && w < sizeof tag) {
			memcpy(tag, list, w);
			tag[w] = '\0';
			if (post_jobs_add(ctx, j, "hashtag.sync", "record_id", record, tag, NULL) != 0)
				return -1;
		}
		list += w;
		list += strspn(list, " ");
	}
	return 0;
}

/* The jobs of every new post, quote or repost (not a reply): into the followers' timelines
 * (lib/social/timeline.h), held unless *deferred (then starling-worker pushes: the author has many
 * followers, or fanout_hold is on), and, when it tells anyone (a repost or quote tells its
 * original's author; a mention, the mentioned), the notifications (lib/social/notify.h). A plain
 * post naming nobody has no notify.post: it would read the post back only to find no one to tell.
 * */
static int
jobs_add_new_post(struct ctx *ctx, struct jobs *j, uint64_t post, bool notifies, bool *deferred)
{
	/* While fanout_hold is on the push is left too: the author's own list gets it at once
	 * (timeline_push_own), the job is parked by whichever runner takes it (lib/social/job.h).
	 * */
	*deferred = switches_on(ctx->env->switches, SWITCH_FANOUT_HOLD) ||
	    timeline_push_deferred(ctx->env, ctx->user_id);
	if (post_jobs_add(ctx, j, "timeline.push", "post_id", post, NULL, NULL) != 0)
		return -1;
	j->v[j->n - 1].held = !*deferred;
	if (notifies && post_jobs_add(ctx, j, "notify.post", "record_id", post, NULL, NULL) != 0)
		return -1;
	return 0;
}

/* Inside the transaction: every job in one statement. */
int
post_jobs_queue(struct db *db, const struct jobs *j)
{
	return job_queue_many(db, j->shard, j->v, j->n);
}

/* After the commit: the held jobs; one that fails is left for starling-worker (job.h). */
void
post_jobs_run(struct ctx *ctx, const struct jobs *j)
{
	(void)job_run_held(ctx->env, j->shard, j->v, j->n);
}

/* A write's first statement: whether it changed its one row is what the rest of the
 * transaction hangs on, because a retry (or a concurrent twin) must change nothing more. */
int
post_exec_once(struct db *db, unsigned shard, const char *sql, const struct db_val *params,
    size_t nparams, bool *changed)
{
	struct db_rows r = DB_ROWS_INIT;
	int rc = db_exec(db, shard, sql, params, nparams, &r);

	*changed = rc == 0 && r.affected == 1;
	db_rows_free(&r);
	return rc == 0 ? 0 : -1;
}

/* One hashtag.sync per tag of t, for record id. Returns 0 or -1 (no ID: 503). */
static int
jobs_add_text_tags(struct ctx *ctx, struct jobs *j, uint64_t id, const struct text_post *t)
{
	size_t i;

	for (i = 0; i < t->ntags; i++)
		if (post_jobs_add(ctx, j, "hashtag.sync", "record_id", id, t->tags[i].key,
		    t->tags[i].name) != 0)
			return -1;
	return 0;
}

/* A new post's or reply's ID, made on shard (where its row and jobs go): a fresh one, or the
 * one an earlier try of the same Idempotency-Key claimed; then its media are attached to it,
 * before the row is written (attach_media says why). Answers the failure itself. */
static enum apierr
claim_new_id(struct ctx *ctx, unsigned shard, const struct post_new *n,
    const struct media_row *m, uint64_t *id)
{
	uint64_t fresh;
	int rc;

	if (ctx_new_id(ctx, shard, &fresh) != 0)
		return post_unavailable(ctx);
	if ((rc = idem_claim(ctx, n->idem_key, n->request_hash, fresh, id)) != APIERR_OK)
		return rc;
	return attach_media(ctx, m, *id);
}

/* ------------------------------------------------------------------------------------------ */
/* Posts and quotes */

struct create_tx {
	uint64_t                id, user, original;
	int                     original_type, post_type, reply_settings;
	const char             *text, *search, *hashtags;
	const struct media_row *media;
	const char             *warning;    /* the content warning, "" for none */
	bool                    sensitive;
	struct jobs            *jobs;
	bool                    deferred;   /* the timeline.push is left to starling-worker */
	bool                    inserted;
};

static int
create_tx(struct db *db, void *arg)
{
	struct create_tx *a = arg;
	unsigned shard = id_shard(a->user);
	int64_t now = clock_now_s();

	/* INSERT IGNORE by the pre-made ID: a retry of the same request writes nothing. */
	if (post_exec_once(db, shard, "INSERT IGNORE INTO {db}.tb_post (id, user_id, post_type, "
	    "original_type, original_id, content_text, search_text, image_url, video_url, "
	    "media_json, hashtags, reply_settings, content_warning, is_sensitive, created_at, "
	    "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	    DB_PARAMS(DB_U64(a->id), DB_U64(a->user), DB_I64(a->post_type),
		DB_I64(a->original_type), DB_U64(a->original), DB_STR(a->text),
		DB_STR(a->search), DB_STR(a->media->image), DB_STR(a->media->video),
		media_row_val(a->media), DB_STR(a->hashtags), DB_I64(a->reply_settings),
		DB_STR(a->warning), DB_I64(a->sensitive ? 1 : 0), DB_I64(now), DB_I64(now)),
	    &a->inserted) != 0)
		return -1;
	if (!a->inserted)
		return 0;
	return db_exec(db, shard, "INSERT IGNORE INTO {db}.tb_post_extended (post_id, user_id, "
	    "created_at, updated_at) VALUES (?, ?, ?, ?)",
	    DB_PARAMS(DB_U64(a->id), DB_U64(a->user), DB_I64(now), DB_I64(now)), NULL) != 0 ||
	    user_count_move(db, a->user, USER_COUNT_POSTS, 1) != 0 ||
	    post_jobs_queue(db, a->jobs) != 0 ? -1 : 0;
}

/* After a new tb_post row: its jobs, and the caches that knew it was not there. */
static void
created(struct ctx *ctx, const struct create_tx *a)
{
	if (!a->inserted)
		return;
	post_jobs_run(ctx, a->jobs);
	/* A push to many followers is the worker's: the request answers without waiting for it,
	 * and does the part the author reads at once. */
	if (a->deferred)
		timeline_push_own(ctx->env, a->id, a->user);
	user_counts_forget(ctx->env, a->user);
	post_forget(ctx->env, a->id);
	post_counts_forget(ctx->env, a->id);
}

enum apierr
post_create(struct ctx *ctx, const struct post_new *n, uint64_t *id)
{
	struct text_post t = { 0 }, w = { 0 };
	struct jobs jobs = { .shard = id_shard(ctx->user_id) };
	struct media_row m = MEDIA_ROW_INIT;
	struct create_tx a = { .user = ctx->user_id, .post_type = POST_ORIGINAL,
	    .reply_settings = n->reply_settings, .text = "", .search = "", .hashtags = "",
	    .media = &m, .warning = "", .sensitive = n->sensitive, .jobs = &jobs };
	json_object *orig = NULL;
	int rc;

	*id = 0;
	if ((rc = post_check_writer(ctx, NULL)) != APIERR_OK ||
	    (rc = check_content(ctx, n, &t, &m)) != APIERR_OK ||
	    (rc = check_warning(ctx, n, &w)) != APIERR_OK)
		goto out;
	a.warning = w.text;
	a.text = t.text;
	a.search = t.search;
	a.hashtags = t.hashtags;
	if (n->reply_settings < POST_REPLY_EVERYONE || n->reply_settings > POST_REPLY_FOLLOWERS) {
		rc = ctx_fail(ctx, APIERR_INVALID_PARAM, "reply_settings: 0, 1 or 2");
		goto out;
	}
	if (n->original_id != 0) {
		if ((rc = post_live(ctx, n->original_id, &orig)) != APIERR_OK ||
		    (rc = post_check_not_blocked(ctx, orig)) != APIERR_OK)
			goto out;
		a.post_type = POST_QUOTE;
		a.original = jsonx_id(orig, "id");
		a.original_type = post_jtype(orig) == POST_REPLY;
	}
	/* Last of the checks, first before anything is written (an ID lease included). */
	if ((rc = check_limits(ctx, LIMIT_POST, &t, n->idem_key, n->request_hash)) != APIERR_OK)
		goto out;
	if ((rc = claim_new_id(ctx, id_shard(ctx->user_id), n, &m, &a.id)) != APIERR_OK)
		goto out;
	if ((a.post_type == POST_QUOTE &&
	    post_jobs_add(ctx, &jobs, "repost.sync", "post_id", a.id, NULL, NULL) != 0) ||
	    jobs_add_text_tags(ctx, &jobs, a.id, &t) != 0 ||
	    jobs_add_new_post(ctx, &jobs, a.id, a.post_type == POST_QUOTE || t.nmentions > 0,
	    &a.deferred) != 0 || jobs_add_urls(ctx, &jobs, &t) != 0) {
		rc = post_unavailable(ctx);
		goto out;
	}
	if (db_tx(ctx->env->db, id_shard(ctx->user_id), create_tx, &a) != 0) {
		rc = post_unavailable(ctx);
		goto out;
	}
	created(ctx, &a);
	/* Not inserted: the retry of an Idempotency-Key, already counted. */
	if (a.inserted)
		limit_count(ctx, LIMIT_POST, t.mentions, t.nmentions);
	*id = a.id;
	rc = APIERR_OK;
out:
	json_object_put(orig);
	post_jobs_free(&jobs);
	media_row_free(&m);
	text_post_free(&t);
	text_post_free(&w);
	return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Reposts */

/* ctx->user_id's live repost of original, or 0. Returns 0 or -1. */
int
post_find_repost(struct ctx *ctx, uint64_t original, uint64_t *id)
{
	struct db_rows r = DB_ROWS_INIT;
	int rc = db_exec(ctx->env->db, id_shard(ctx->user_id), "SELECT id FROM {db}.tb_post WHERE "
	    "user_id = ? AND repost_of = ?", DB_PARAMS(DB_U64(ctx->user_id), DB_U64(original)), &r);

	*id = rc == 0 && r.nrows > 0 ? db_u64(&r, 0, 0) : 0;
	db_rows_free(&r);
	return rc == 0 ? 0 : -1;
}

enum apierr
post_repost_idem(struct ctx *ctx, uint64_t original_id, const char *idem_key,
    const char *request_hash, uint64_t *id)
{
	static const struct media_row none = MEDIA_ROW_INIT;
	struct jobs jobs = { .shard = id_shard(ctx->user_id) };
	struct create_tx a = { .user = ctx->user_id, .post_type = POST_REPOST, .text = "",
	    .search = "", .hashtags = "", .media = &none, .warning = "", .jobs = &jobs };
	json_object *orig = NULL;
	uint64_t fresh, existing;
	int rc;

	*id = 0;
	if ((rc = post_check_writer(ctx, NULL)) != APIERR_OK ||
	    (rc = post_live(ctx, original_id, &orig)) != APIERR_OK ||
	    (rc = post_check_not_blocked(ctx, orig)) != APIERR_OK)
		goto out;
	a.original = jsonx_id(orig, "id");
	a.original_type = post_jtype(orig) == POST_REPLY;
	if ((rc = check_limits(ctx, LIMIT_REPOST, NULL, idem_key, request_hash)) != APIERR_OK)
		goto out;
	if (ctx_new_id(ctx, id_shard(ctx->user_id), &fresh) != 0) {
		rc = post_unavailable(ctx);
		goto out;
	}
	if ((rc = idem_claim(ctx, idem_key, request_hash, fresh, &a.id)) != APIERR_OK)
		goto out;
	if (post_jobs_add(ctx, &jobs, "repost.sync", "post_id", a.id, NULL, NULL) != 0 ||
	    jobs_add_new_post(ctx, &jobs, a.id, true, &a.deferred) != 0 ||
	    db_tx(ctx->env->db, id_shard(ctx->user_id), create_tx, &a) != 0) {
		rc = post_unavailable(ctx);
		goto out;
	}
	created(ctx, &a);
	if (a.inserted)
		limit_count(ctx, LIMIT_REPOST, NULL, 0);
	*id = a.id;
	/* Not inserted: a live repost of the same record exists (uiq_user_repost), which is the
	 * answer: reposting twice is not an error and makes nothing new. */
	if (!a.inserted) {
		if (post_find_repost(ctx, a.original, &existing) != 0) {
			rc = post_unavailable(ctx);
			goto out;
		}
		if (existing != 0)
			*id = existing;
	}
	rc = APIERR_OK;
out:
	json_object_put(orig);
	post_jobs_free(&jobs);
	return rc;
}

enum apierr
post_repost(struct ctx *ctx, uint64_t original_id, uint64_t *id)
{
	return post_repost_idem(ctx, original_id, NULL, NULL, id);
}

/* ------------------------------------------------------------------------------------------ */
/* Replies */

/* Whether ctx->user_id may reply to root (post_get's object) under its reply_settings. */
static int
check_reply_settings(struct ctx *ctx, json_object *root)
{
	const char *set = jsonx_str(root, "replySettings");
	uint64_t author = jsonx_id(root, "authorId");
	json_object *me = NULL, *mentions, *v;
	struct graph_rel rel;
	bool ok = false;
	size_t i;
	int rc = 0;

	if (strcmp(set, "everyone") == 0 || author == ctx->user_id)
		return APIERR_OK;
	if (strcmp(set, "mentioned") == 0) {
		rc = user_get(ctx->env, ctx->user_id, &me);
		if (rc == 1 && json_object_object_get_ex(root, "mentions", &mentions)) {
			struct buf name = BUF_INIT;
			const char *u = jsonx_str(me, "username");

			valid_lower_ascii(u, strlen(u), &name);
			for (i = 0; i < json_object_array_length(mentions) && !ok; i++) {
				v = json_object_array_get_idx(mentions, i);
				ok = strcmp(json_object_get_string(v), buf_cstr(&name)) == 0;
			}
			buf_free(&name);
		}
		json_object_put(me);
	} else {
		/* The follow is on the replier's shard: the source of truth of following. */
		rc = graph_rel_read(ctx->env->db, ctx->user_id, author, false, &rel);
		ok = rc == 0 && rel.follow == 1;
	}
	if (rc < 0)
		return post_unavailable(ctx);
	if (!ok)
		return ctx_fail(ctx, APIERR_REPLY_RESTRICTED, strcmp(set, "mentioned") == 0 ?
		    "only the people mentioned in the post can reply" :
		    "only the people who follow the author can reply");
	return APIERR_OK;
}

struct reply_tx {
	uint64_t                id, user, root, parent;  /* parent: the answered reply, or 0 */
	const struct text_post *t;
	const struct media_row *media;
	struct jobs            *jobs;
	bool                    inserted;
	const char             *warning;    /* as create_tx's */
	bool                    sensitive;
};

static int
reply_tx(struct db *db, void *arg)
{
	struct reply_tx *a = arg;
	unsigned shard = id_shard(a->root);
	int64_t now = clock_now_s();

	if (post_exec_once(db, shard, "INSERT IGNORE INTO {db}.tb_post_reply (id, user_id, "
	    "post_id, parent_reply_id, content_text, search_text, image_url, video_url, media_json, "
	    "hashtags, content_warning, is_sensitive, created_at, updated_at) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	    DB_PARAMS(DB_U64(a->id), DB_U64(a->user), DB_U64(a->root), DB_U64(a->parent),
		DB_STR(a->t->text), DB_STR(a->t->search), DB_STR(a->media->image),
		DB_STR(a->media->video), media_row_val(a->media), DB_STR(a->t->hashtags),
		DB_STR(a->warning), DB_I64(a->sensitive ? 1 : 0),
		DB_I64(now), DB_I64(now)), &a->inserted) != 0)
		return -1;
	if (!a->inserted)
		return 0;
	return db_exec(db, shard, "INSERT IGNORE INTO {db}.tb_post_reply_extended (post_reply_id, "
	    "user_id, post_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
	    DB_PARAMS(DB_U64(a->id), DB_U64(a->user), DB_U64(a->root), DB_I64(now),
		DB_I64(now)), NULL) != 0 ||
	    job_bump_count(db, a->parent ? a->parent : a->root, "count_comments", 1,
	    a->parent ? JOB_RECORD_REPLY : JOB_RECORD_POST) != 0 ||
	    post_jobs_queue(db, a->jobs) != 0 ? -1 : 0;
}

enum apierr
post_reply(struct ctx *ctx, const struct post_new *n, uint64_t *id)
{
	struct text_post t = { 0 }, w = { 0 };
	struct jobs jobs = { .shard = 0 };
	struct media_row m = MEDIA_ROW_INIT;
	struct reply_tx a = { .user = ctx->user_id, .t = &t, .media = &m, .jobs = &jobs,
	    .warning = "", .sensitive = n->sensitive };
	json_object *parent = NULL, *root = NULL;
	int rc;

	*id = 0;
	if ((rc = post_check_writer(ctx, NULL)) != APIERR_OK ||
	    (rc = check_content(ctx, n, &t, &m)) != APIERR_OK ||
	    (rc = check_warning(ctx, n, &w)) != APIERR_OK ||
	    (rc = post_live(ctx, n->original_id, &parent)) != APIERR_OK ||
	    (rc = post_check_not_blocked(ctx, parent)) != APIERR_OK)
		goto out;
	a.warning = w.text;
	if (post_jtype(parent) == POST_REPLY) {
		a.parent = jsonx_id(parent, "id");
		a.root = jsonx_id(parent, "rootId");
		/* A reply in a thread whose post was deleted is gone with it. */
		if ((rc = post_live(ctx, a.root, &root)) != APIERR_OK ||
		    (rc = post_check_not_blocked(ctx, root)) != APIERR_OK)
			goto out;
	} else {
		a.root = jsonx_id(parent, "id");
		root = json_object_get(parent);
	}
	if ((rc = check_reply_settings(ctx, root)) != APIERR_OK ||
	    (rc = check_limits(ctx, LIMIT_REPLY, &t, n->idem_key, n->request_hash)) != APIERR_OK)
		goto out;
	/* The reply lives with its thread: its ID (and its jobs) on the root post's shard. */
	jobs.shard = id_shard(a.root);
	if ((rc = claim_new_id(ctx, id_shard(a.root), n, &m, &a.id)) != APIERR_OK)
		goto out;
	if (post_jobs_add(ctx, &jobs, "user_reply.sync", "reply_id", a.id, NULL, NULL) != 0 ||
	    jobs_add_text_tags(ctx, &jobs, a.id, &t) != 0 ||
	    post_jobs_add(ctx, &jobs, "notify.post", "record_id", a.id, NULL, NULL) != 0 ||
	    jobs_add_urls(ctx, &jobs, &t) != 0) {
		rc = post_unavailable(ctx);
		goto out;
	}
	if (db_tx(ctx->env->db, id_shard(a.root), reply_tx, &a) != 0) {
		rc = post_unavailable(ctx);
		goto out;
	}
	if (a.inserted) {
		limit_count(ctx, LIMIT_REPLY, t.mentions, t.nmentions);
		post_jobs_run(ctx, &jobs);
		post_counts_forget(ctx->env, a.parent ? a.parent : a.root);
		post_forget(ctx->env, a.id);
		post_counts_forget(ctx->env, a.id);
	}
	*id = a.id;
	rc = APIERR_OK;
out:
	json_object_put(parent);
	json_object_put(root);
	post_jobs_free(&jobs);
	media_row_free(&m);
	text_post_free(&t);
	text_post_free(&w);
	return rc;
}

