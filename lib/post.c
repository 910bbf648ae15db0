/* post.c: posts, replies, reposts and quotes, likes, reports, deletion, pinning; their cached
 * content and counts (post.h has the contract, docs/data.md the outbox and the cache keys). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "apierr.h"
#include "cache.h"
#include "ctx.h"
#include "db.h"
#include "graph.h"
#include "id.h"
#include "job.h"
#include "limit.h"
#include "linkcard.h"
#include "log.h"
#include "media.h"
#include "post.h"
#include "shard.h"
#include "switches.h"
#include "text.h"
#include "timeline.h"
#include "user.h"
#include "utf8.h"
#include "valid.h"
#include "xalloc.h"

/* How long copies live in the cache; writes delete them, so this only bounds memory. */
#define POST_TTL 3600
/* Counts filled by a multi-get (post_stats) are plain sets, not lease-guarded like
 * cache_get_or_load: a write that lands between our read and our set leaves an old count behind
 * for at most this long. */
#define POST_STATS_TTL 60
/* The most jobs one write queues: a repost.sync or user_reply.sync and one hashtag.sync per tag. */
/* repost.sync, timeline.push, notify.post, one hashtag.sync per tag and one link.fetch per URL. */
#define POST_MAX_JOBS (3 + TEXT_MAX_TAGS + TEXT_MAX_URLS)
/* Idempotency-Key: 1 .. 64 printable ASCII characters (tb_idempotency_key.idem_key). */
#define IDEM_KEY_MAX 64
/* The columns of media URLs (varchar(255)); a URL we issue is far shorter. */
#define MEDIA_URL_MAX 255

static int64_t
now_s(void)
{
	return (int64_t)time(NULL);
}

static void
id_str(uint64_t id, char out[24])
{
	snprintf(out, 24, "%" PRIu64, id);
}

static json_object *
json_id(uint64_t id)
{
	char s[24];

	id_str(id, s);
	return json_object_new_string(s);
}

/* Deletes "<prefix>:<id>" after a write; failures are logged by the cache (the TTL bounds them). */
static void
forget(struct app_env *env, const char *prefix, uint64_t id)
{
	char key[48];

	snprintf(key, sizeof key, "%s:%" PRIu64, prefix, id);
	(void)cache_delete(env->cache, key);
}

/* Members of a post object (post_get's): an ID member ("0" when absent) and a string. */
static uint64_t
jid(json_object *o, const char *name)
{
	json_object *v;
	const char *s;

	if (!json_object_object_get_ex(o, name, &v) || (s = json_object_get_string(v)) == NULL)
		return 0;
	return strtoull(s, NULL, 10);
}

static const char *
jstr(json_object *o, const char *name)
{
	json_object *v;

	if (!json_object_object_get_ex(o, name, &v))
		return "";
	return json_object_get_string(v);
}

static enum post_type
jtype(json_object *o)
{
	const char *t = jstr(o, "type");

	if (strcmp(t, "repost") == 0)
		return POST_REPOST;
	if (strcmp(t, "quote") == 0)
		return POST_QUOTE;
	if (strcmp(t, "reply") == 0)
		return POST_REPLY;
	return POST_ORIGINAL;
}

static int
unavailable(struct ctx *ctx)
{
	return ctx_fail(ctx, APIERR_UNAVAILABLE, NULL);
}

static int
not_found(struct ctx *ctx)
{
	return ctx_fail(ctx, APIERR_NOT_FOUND, "no such post");
}

/* ------------------------------------------------------------------------------------------ */
/* Reading a record: a post (tb_post) or a reply (tb_post_reply), both on id_shard(id). */

enum { R_USER, R_TYPE, R_ORIGINAL, R_ROOT, R_SETTINGS, R_DELETED, R_HASHTAGS, R_CREATED, R_TEXT,
       R_IMAGE, R_VIDEO, R_ORIGINAL_TYPE };

/* Whether id names a shard that exists: IDs come from clients, and one made up can name any of
 * the 1024 the ID format allows. Such a record does not exist. */
static bool
shard_exists(struct app_env *env, uint64_t id)
{
	return id != 0 && id_shard(id) < shard_count(db_shards(env->db));
}

/* One query for both tables: a record ID is unique across them. For a reply, R_ORIGINAL is the
 * answered reply (0: the root post) and R_ROOT the root post. */
static int
load_row(struct app_env *env, uint64_t id, struct db_rows *r)
{
	if (!shard_exists(env, id)) {
		db_rows_free(r);
		return 0;
	}
	return db_exec(env->db, id_shard(id),
	    "SELECT user_id, post_type, original_id, 0, reply_settings, is_deleted, hashtags, "
	    "created_at, content_text, image_url, video_url, original_type FROM {db}.tb_post WHERE id = ? "
	    "UNION ALL SELECT user_id, 3, parent_reply_id, post_id, 0, is_deleted, hashtags, created_at, "
	    "content_text, image_url, video_url, 0 FROM {db}.tb_post_reply WHERE id = ?",
	    (struct db_val[]){ DB_U64(id), DB_U64(id) }, 2, r);
}

static json_object *
words_array(const char *list)
{
	json_object *a = json_object_new_array();

	while (*list) {
		size_t w = strcspn(list, " ");

		if (w > 0)
			json_object_array_add(a, json_object_new_string_len(list, (int)w));
		list += w;
		list += strspn(list, " ");
	}
	return a;
}

struct load_arg {
	struct app_env *env;
	uint64_t        id;
};

/* The author of a reposted or quoted record, kept in the repost's or quote's object so that a
 * page fetches the original and its author in the same round (0 when it is gone: a reader
 * then finds the original gone too). An author never changes, so the copy never goes stale. */
static uint64_t
original_author(struct app_env *env, uint64_t original)
{
	json_object *o = NULL;
	uint64_t author = post_get(env, original, &o) == 1 ? jid(o, "authorId") : 0;

	json_object_put(o);
	return author;
}

/* The content object of a live record (post.h), as the cache keeps it. */
static int
load_post(void *arg, struct buf *out)
{
	static const char *const types[] = { "post", "repost", "quote", "reply" };
	static const char *const settings[] = { "everyone", "mentioned", "followers" };
	struct load_arg *a = arg;
	struct db_rows r = DB_ROWS_INIT;
	struct text_post t = { 0 };
	json_object *o, *mentions;
	uint64_t original, root;
	int64_t type, set;
	size_t i;

	if (load_row(a->env, a->id, &r) != 0) {
		db_rows_free(&r);
		return -1;
	}
	if (r.nrows == 0 || db_i64(&r, 0, R_DELETED) != 0) {
		db_rows_free(&r);
		return 0;
	}
	type = db_i64(&r, 0, R_TYPE);
	set = db_i64(&r, 0, R_SETTINGS);
	if (type < 0 || type > 3)
		type = 0;
	if (set < 0 || set > 2)
		set = 0;
	original = db_u64(&r, 0, R_ORIGINAL);
	root = a->id;
	if (type == POST_REPLY) {
		root = db_u64(&r, 0, R_ROOT);
		if (original == 0)
			original = root;
	}
	/* Mentions are not stored: the stored text is normalized already, so preparing it again
	 * finds exactly the mentions it was posted with. */
	mentions = json_object_new_array();
	if (text_prepare(db_str(&r, 0, R_TEXT), db_len(&r, 0, R_TEXT), (size_t)-1, &t) == TEXT_OK)
		for (i = 0; i < t.nmentions; i++)
			json_object_array_add(mentions, json_object_new_string(t.mentions[i]));
	text_post_free(&t);

	o = json_object_new_object();
	json_object_object_add(o, "id", json_id(a->id));
	json_object_object_add(o, "type", json_object_new_string(types[type]));
	json_object_object_add(o, "authorId", json_id(db_u64(&r, 0, R_USER)));
	json_object_object_add(o, "contentText", json_object_new_string(db_str(&r, 0, R_TEXT)));
	json_object_object_add(o, "imageUrl", json_object_new_string(db_str(&r, 0, R_IMAGE)));
	json_object_object_add(o, "videoUrl", json_object_new_string(db_str(&r, 0, R_VIDEO)));
	json_object_object_add(o, "hashtags", words_array(db_str(&r, 0, R_HASHTAGS)));
	json_object_object_add(o, "mentions", mentions);
	json_object_object_add(o, "originalId", json_id(original));
	if (type == POST_REPOST || type == POST_QUOTE)
		json_object_object_add(o, "originalAuthorId",
		    json_id(original_author(a->env, original)));
	json_object_object_add(o, "rootId", json_id(root));
	json_object_object_add(o, "replySettings", json_object_new_string(settings[set]));
	json_object_object_add(o, "createdAt", json_object_new_int64(db_i64(&r, 0, R_CREATED)));
	buf_puts(out, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	db_rows_free(&r);
	return 1;
}

int
post_get(struct app_env *env, uint64_t id, json_object **out)
{
	struct load_arg a = { env, id };
	struct buf val = BUF_INIT;
	char key[48];
	int rc;

	*out = NULL;
	if (!shard_exists(env, id))
		return 0;
	snprintf(key, sizeof key, "post:%" PRIu64, id);
	rc = cache_get_or_load(env->cache, key, POST_TTL, load_post, &a, &val);
	if (rc == 1) {
		*out = json_tokener_parse(buf_cstr(&val));
		if (*out == NULL || !json_object_is_type(*out, json_type_object)) {
			/* Only this code writes the key; a copy that does not parse is dropped. */
			log_error("cache %s: not a JSON object; deleted", key);
			json_object_put(*out);
			*out = NULL;
			(void)cache_delete(env->cache, key);
			rc = -1;
		}
	}
	buf_free(&val);
	return rc;
}

/* A live record for an action on it, with a repost standing for its original (liking,
 * reporting, replying to or reposting a repost acts on what it reposted). Returns APIERR_OK with
 * *out, or the failure recorded with ctx_fail. */
static int
resolve(struct app_env *env, uint64_t id, json_object **out)
{
	int rc = post_get(env, id, out);

	if (rc == 1 && jtype(*out) == POST_REPOST) {
		id = jid(*out, "originalId");
		json_object_put(*out);
		rc = post_get(env, id, out);
	}
	return rc;
}

/* resolve, with the failures recorded. */
static int
live_target(struct ctx *ctx, uint64_t id, json_object **out)
{
	int rc = resolve(ctx->env, id, out);

	if (rc < 0)
		return unavailable(ctx);
	if (rc == 0)
		return not_found(ctx);
	return APIERR_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Rules every write shares */

/* Refuses acting on rec (a post_get object: reply, quote, repost, like) when its author and the
 * caller block each other, either way (lib/graph.h). */
static int
check_not_blocked(struct ctx *ctx, json_object *rec)
{
	int rc = graph_blocked_either(ctx->env, ctx->user_id, jid(rec, "authorId"));

	if (rc < 0)
		return unavailable(ctx);
	if (rc > 0)
		return ctx_fail(ctx, APIERR_FORBIDDEN, "you cannot interact with this account's "
		    "posts");
	return APIERR_OK;
}

/* The acting user may write: activated and not suspended (the token check refuses suspended
 * users already; this sees a suspension made since the token was checked through the cache). */
static int
check_writer(struct ctx *ctx, json_object **profile)
{
	json_object *u = NULL, *v;
	int rc = user_get(ctx->env, ctx->user_id, &u);

	if (rc < 0)
		return unavailable(ctx);
	if (rc == 0)
		return ctx_fail(ctx, APIERR_UNAUTHORIZED, NULL);
	if (json_object_object_get_ex(u, "suspended", &v) && json_object_get_boolean(v))
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

/* The text and media of a new post, quote or reply. On APIERR_OK, t holds the prepared text and
 * *image or *video the media URL (borrowed from n). */
static int
check_content(struct ctx *ctx, const struct post_new *n, struct text_post *t, const char **image,
    const char **video)
{
	const char *text = n->text ? n->text : "";
	size_t len = n->text ? n->text_len : 0;
	size_t mlen = n->media ? strlen(n->media) : 0;
	enum media_kind kind;
	int rc;

	*image = *video = "";
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
	if (mlen > 0) {
		if (mlen > MEDIA_URL_MAX)
			return ctx_fail(ctx, APIERR_MEDIA_FORGED, NULL);
		rc = media_check_url(ctx->env->media, ctx->user_id, n->media, mlen, &kind);
		if (rc < 0)
			return unavailable(ctx);
		if (rc == MEDIA_FORGED)
			return ctx_fail(ctx, APIERR_MEDIA_FORGED, NULL);
		if (rc == MEDIA_MISSING)
			return ctx_fail(ctx, APIERR_MEDIA_MISSING, NULL);
		if (kind == MEDIA_IMAGE)
			*image = n->media;
		else
			*video = n->media;
	}
	if (t->len == 0 && mlen == 0)
		return ctx_fail(ctx, APIERR_TEXT_EMPTY, "content_text: empty, and no media attached");
	return APIERR_OK;
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
	int64_t now = now_s();
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
		    (struct db_val[]){ DB_U64(ctx->user_id), DB_STR(key), DB_STR(hash), DB_U64(fresh),
			DB_I64(now) }, 5, NULL);
		if (rc != DB_DUPLICATE)
			break;
		rc = db_exec(ctx->env->db, shard, "SELECT request_hash, result_id, created_at FROM "
		    "{db}.tb_idempotency_key WHERE user_id = ? AND idem_key = ?",
		    (struct db_val[]){ DB_U64(ctx->user_id), DB_STR(key) }, 2, &r);
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
			    (struct db_val[]){ DB_U64(ctx->user_id), DB_STR(key),
				DB_I64(db_i64(&r, 0, 2)) }, 3, NULL);
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
	return rc == 0 ? APIERR_OK : unavailable(ctx);
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
	    (struct db_val[]){ DB_U64(ctx->user_id), DB_STR(key) }, 2, &r) == 0 && r.nrows > 0 &&
	    strcmp(db_str(&r, 0, 0), hash) == 0 &&
	    db_i64(&r, 0, 1) >= now_s() - ctx->env->conf.posts_idempotency_ttl;
	db_rows_free(&r);
	return retry;
}

/* The write limits of a new record (lib/limit.h), unless the request is the retry of one made
 * under the same Idempotency-Key: that writes nothing new and was counted the first time, and a
 * client whose first try was its last allowed one must get its answer, not a 429. */
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

struct jobs {
	unsigned       shard;
	size_t         n;
	struct job_new v[POST_MAX_JOBS];   /* each payload owned here: jobs_free */
};

static void
jobs_free(struct jobs *j)
{
	size_t i;

	for (i = 0; i < j->n; i++)
		json_object_put(j->v[i].payload);
	j->n = 0;
}

/* Adds a job {name: id} (and, for hashtags, tag and name), held: the request runs it after the
 * commit. Returns 0 or -1 (no ID: 503). */
static int
jobs_add(struct ctx *ctx, struct jobs *j, const char *type, const char *name, uint64_t id,
    const char *tag, const char *tag_name)
{
	struct job_new *v = &j->v[j->n];

	if (j->n == POST_MAX_JOBS || ctx_new_id(ctx, j->shard, &v->id) != 0)
		return -1;
	v->type = type;
	v->held = true;
	v->payload = json_object_new_object();
	json_object_object_add(v->payload, name, json_id(id));
	if (tag != NULL) {
		json_object_object_add(v->payload, "tag", json_object_new_string(tag));
		json_object_object_add(v->payload, "name", json_object_new_string(tag_name ? tag_name :
		    tag));
	}
	j->n++;
	return 0;
}

/* One link.fetch per URL of t, for starling-worker (not held: the request never waits for
 * another site; lib/linkcard.h). Returns 0 or -1 (no ID: 503). */
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
static int
jobs_add_tags(struct ctx *ctx, struct jobs *j, uint64_t record, const char *list)
{
	char tag[512];

	while (*list) {
		size_t w = strcspn(list, " ");

		if (w > 0 && w < sizeof tag) {
			memcpy(tag, list, w);
			tag[w] = '\0';
			if (jobs_add(ctx, j, "hashtag.sync", "record_id", record, tag, NULL) != 0)
				return -1;
		}
		list += w;
		list += strspn(list, " ");
	}
	return 0;
}

/* The jobs of every new post, quote or repost (not a reply): into the followers' timelines
 * (lib/timeline.h), held unless *deferred (then starling-worker pushes: the author has many
 * followers, or fanout_hold is on), and, when it tells anyone (a repost or quote tells its original's author; a
 * mention, the mentioned), the notifications (lib/notify.h). A plain post naming nobody has no
 * notify.post: it would read the post back only to find no one to tell. */
static int
jobs_add_new_post(struct ctx *ctx, struct jobs *j, uint64_t post, bool notifies, bool *deferred)
{
	/* While fanout_hold is on the push is left too: the author's own list gets it at once
	 * (timeline_push_own), the job is parked by whichever runner takes it (lib/job.h). */
	*deferred = switches_on(ctx->env->switches, SWITCH_FANOUT_HOLD) ||
	    timeline_push_deferred(ctx->env, ctx->user_id);
	if (jobs_add(ctx, j, "timeline.push", "post_id", post, NULL, NULL) != 0)
		return -1;
	j->v[j->n - 1].held = !*deferred;
	if (notifies && jobs_add(ctx, j, "notify.post", "record_id", post, NULL, NULL) != 0)
		return -1;
	return 0;
}

/* Inside the transaction: every job in one statement. */
static int
jobs_queue(struct db *db, const struct jobs *j)
{
	return job_queue_many(db, j->shard, j->v, j->n);
}

/* After the commit: the held jobs; one that fails is left for starling-worker (job.h). */
static void
jobs_run(struct ctx *ctx, const struct jobs *j)
{
	(void)job_run_held(ctx->env, j->shard, j->v, j->n);
}

/* ------------------------------------------------------------------------------------------ */
/* Posts and quotes */

struct create_tx {
	uint64_t                id, user, original;
	int                     original_type, post_type, reply_settings;
	const char             *text, *search, *hashtags;
	const char             *image, *video;
	struct jobs            *jobs;
	bool                    deferred;   /* the timeline.push is left to starling-worker */
	bool                    inserted;
};

static int
create_tx(struct db *db, void *arg)
{
	struct create_tx *a = arg;
	struct db_rows r = DB_ROWS_INIT;
	unsigned shard = id_shard(a->user);
	int64_t now = now_s();
	int rc;

	a->inserted = false;
	/* INSERT IGNORE by the pre-made ID: a retry of the same request writes nothing. */
	rc = db_exec(db, shard, "INSERT IGNORE INTO {db}.tb_post (id, user_id, post_type, "
	    "original_type, original_id, content_text, search_text, image_url, video_url, hashtags, "
	    "reply_settings, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	    (struct db_val[]){ DB_U64(a->id), DB_U64(a->user), DB_I64(a->post_type),
		DB_I64(a->original_type), DB_U64(a->original), DB_STR(a->text),
		DB_STR(a->search), DB_STR(a->image), DB_STR(a->video), DB_STR(a->hashtags),
		DB_I64(a->reply_settings), DB_I64(now), DB_I64(now) }, 13, &r);
	if (rc != 0 || r.affected != 1)
		goto out;
	a->inserted = true;
	if ((rc = db_exec(db, shard, "INSERT IGNORE INTO {db}.tb_post_extended (post_id, user_id, "
	    "created_at, updated_at) VALUES (?, ?, ?, ?)",
	    (struct db_val[]){ DB_U64(a->id), DB_U64(a->user), DB_I64(now), DB_I64(now) }, 4,
	    NULL)) != 0 ||
	    (rc = db_exec(db, shard, "UPDATE {db}.tb_user_extended SET count_posts = count_posts + 1, "
	    "updated_at = ? WHERE user_id = ?", (struct db_val[]){ DB_I64(now), DB_U64(a->user) }, 2,
	    NULL)) != 0)
		goto out;
	rc = jobs_queue(db, a->jobs);
out:
	db_rows_free(&r);
	return rc == 0 ? 0 : -1;
}

/* After a new tb_post row: its jobs, and the caches that knew it was not there. */
static void
created(struct ctx *ctx, const struct create_tx *a)
{
	if (!a->inserted)
		return;
	jobs_run(ctx, a->jobs);
	/* A push to many followers is the worker's: the request answers without waiting for it,
	 * and does the part the author reads at once. */
	if (a->deferred)
		timeline_push_own(ctx->env, a->id, a->user);
	forget(ctx->env, "userx", a->user);
	forget(ctx->env, "post", a->id);
	forget(ctx->env, "postx", a->id);
}

int
post_create(struct ctx *ctx, const struct post_new *n, uint64_t *id)
{
	struct text_post t = { 0 };
	struct jobs jobs = { .shard = id_shard(ctx->user_id) };
	struct create_tx a = { .user = ctx->user_id, .post_type = POST_ORIGINAL,
	    .reply_settings = n->reply_settings, .text = "", .search = "", .hashtags = "",
	    .image = "", .video = "", .jobs = &jobs };
	json_object *orig = NULL;
	uint64_t fresh;
	size_t i;
	int rc;

	*id = 0;
	if ((rc = check_writer(ctx, NULL)) != APIERR_OK ||
	    (rc = check_content(ctx, n, &t, &a.image, &a.video)) != APIERR_OK)
		goto out;
	a.text = t.text;
	a.search = t.search;
	a.hashtags = t.hashtags;
	if (n->reply_settings < POST_REPLY_EVERYONE || n->reply_settings > POST_REPLY_FOLLOWERS) {
		rc = ctx_fail(ctx, APIERR_INVALID_PARAM, "reply_settings: 0, 1 or 2");
		goto out;
	}
	if (n->original_id != 0) {
		if ((rc = live_target(ctx, n->original_id, &orig)) != APIERR_OK ||
		    (rc = check_not_blocked(ctx, orig)) != APIERR_OK)
			goto out;
		a.post_type = POST_QUOTE;
		a.original = jid(orig, "id");
		a.original_type = jtype(orig) == POST_REPLY;
	}
	/* Last of the checks, first before anything is written (an ID lease included). */
	if ((rc = check_limits(ctx, LIMIT_POST, &t, n->idem_key, n->request_hash)) != APIERR_OK)
		goto out;
	if (ctx_new_id(ctx, id_shard(ctx->user_id), &fresh) != 0) {
		rc = unavailable(ctx);
		goto out;
	}
	if ((rc = idem_claim(ctx, n->idem_key, n->request_hash, fresh, &a.id)) != APIERR_OK)
		goto out;
	if ((a.post_type == POST_QUOTE &&
	    jobs_add(ctx, &jobs, "repost.sync", "post_id", a.id, NULL, NULL) != 0)) {
		rc = unavailable(ctx);
		goto out;
	}
	for (i = 0; i < t.ntags; i++)
		if (jobs_add(ctx, &jobs, "hashtag.sync", "record_id", a.id, t.tags[i].key,
		    t.tags[i].name) != 0) {
			rc = unavailable(ctx);
			goto out;
		}
	if (jobs_add_new_post(ctx, &jobs, a.id, a.post_type == POST_QUOTE || t.nmentions > 0,
	    &a.deferred) != 0 || jobs_add_urls(ctx, &jobs, &t) != 0) {
		rc = unavailable(ctx);
		goto out;
	}
	if (db_tx(ctx->env->db, id_shard(ctx->user_id), create_tx, &a) != 0) {
		rc = unavailable(ctx);
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
	jobs_free(&jobs);
	text_post_free(&t);
	return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Reposts */

/* ctx->user_id's live repost of original, or 0. Returns 0 or -1. */
static int
find_repost(struct ctx *ctx, uint64_t original, uint64_t *id)
{
	struct db_rows r = DB_ROWS_INIT;
	int rc = db_exec(ctx->env->db, id_shard(ctx->user_id), "SELECT id FROM {db}.tb_post WHERE "
	    "user_id = ? AND repost_of = ?", (struct db_val[]){ DB_U64(ctx->user_id), DB_U64(original) },
	    2, &r);

	*id = rc == 0 && r.nrows > 0 ? db_u64(&r, 0, 0) : 0;
	db_rows_free(&r);
	return rc == 0 ? 0 : -1;
}

int
post_repost_idem(struct ctx *ctx, uint64_t original_id, const char *idem_key,
    const char *request_hash, uint64_t *id)
{
	struct jobs jobs = { .shard = id_shard(ctx->user_id) };
	struct create_tx a = { .user = ctx->user_id, .post_type = POST_REPOST, .text = "",
	    .search = "", .hashtags = "", .image = "", .video = "", .jobs = &jobs };
	json_object *orig = NULL;
	uint64_t fresh, existing;
	int rc;

	*id = 0;
	if ((rc = check_writer(ctx, NULL)) != APIERR_OK ||
	    (rc = live_target(ctx, original_id, &orig)) != APIERR_OK ||
	    (rc = check_not_blocked(ctx, orig)) != APIERR_OK)
		goto out;
	a.original = jid(orig, "id");
	a.original_type = jtype(orig) == POST_REPLY;
	if ((rc = check_limits(ctx, LIMIT_REPOST, NULL, idem_key, request_hash)) != APIERR_OK)
		goto out;
	if (ctx_new_id(ctx, id_shard(ctx->user_id), &fresh) != 0) {
		rc = unavailable(ctx);
		goto out;
	}
	if ((rc = idem_claim(ctx, idem_key, request_hash, fresh, &a.id)) != APIERR_OK)
		goto out;
	if (jobs_add(ctx, &jobs, "repost.sync", "post_id", a.id, NULL, NULL) != 0 ||
	    jobs_add_new_post(ctx, &jobs, a.id, true, &a.deferred) != 0 ||
	    db_tx(ctx->env->db, id_shard(ctx->user_id), create_tx, &a) != 0) {
		rc = unavailable(ctx);
		goto out;
	}
	created(ctx, &a);
	if (a.inserted)
		limit_count(ctx, LIMIT_REPOST, NULL, 0);
	*id = a.id;
	/* Not inserted: a live repost of the same record exists (uiq_user_repost), which is the
	 * answer: reposting twice is not an error and makes nothing new. */
	if (!a.inserted) {
		if (find_repost(ctx, a.original, &existing) != 0) {
			rc = unavailable(ctx);
			goto out;
		}
		if (existing != 0)
			*id = existing;
	}
	rc = APIERR_OK;
out:
	json_object_put(orig);
	jobs_free(&jobs);
	return rc;
}

int
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
	const char *set = jstr(root, "replySettings");
	uint64_t author = jid(root, "authorId");
	json_object *me = NULL, *mentions, *v;
	struct db_rows r = DB_ROWS_INIT;
	bool ok = false;
	size_t i;
	int rc = 0;

	if (strcmp(set, "everyone") == 0 || author == ctx->user_id)
		return APIERR_OK;
	if (strcmp(set, "mentioned") == 0) {
		rc = user_get(ctx->env, ctx->user_id, &me);
		if (rc == 1 && json_object_object_get_ex(root, "mentions", &mentions)) {
			struct buf name = BUF_INIT;
			const char *u = jstr(me, "username");

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
		rc = db_exec(ctx->env->db, id_shard(ctx->user_id), "SELECT status_follow FROM "
		    "{db}.tb_user_relationship WHERE user_id = ? AND target_user = ?",
		    (struct db_val[]){ DB_U64(ctx->user_id), DB_U64(author) }, 2, &r);
		ok = rc == 0 && r.nrows > 0 && db_i64(&r, 0, 0) == 1;
		db_rows_free(&r);
	}
	if (rc < 0)
		return unavailable(ctx);
	if (!ok)
		return ctx_fail(ctx, APIERR_REPLY_RESTRICTED, strcmp(set, "mentioned") == 0 ?
		    "only the people mentioned in the post can reply" :
		    "only the people who follow the author can reply");
	return APIERR_OK;
}

struct reply_tx {
	uint64_t                id, user, root, parent;  /* parent: the answered reply, or 0 */
	const struct text_post *t;
	const char             *image, *video;
	struct jobs            *jobs;
	bool                    inserted;
};

static int
reply_tx(struct db *db, void *arg)
{
	struct reply_tx *a = arg;
	struct db_rows r = DB_ROWS_INIT;
	unsigned shard = id_shard(a->root);
	int64_t now = now_s();
	int rc;

	a->inserted = false;
	rc = db_exec(db, shard, "INSERT IGNORE INTO {db}.tb_post_reply (id, user_id, post_id, "
	    "parent_reply_id, content_text, search_text, image_url, video_url, hashtags, created_at, "
	    "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	    (struct db_val[]){ DB_U64(a->id), DB_U64(a->user), DB_U64(a->root), DB_U64(a->parent),
		DB_STR(a->t->text), DB_STR(a->t->search), DB_STR(a->image), DB_STR(a->video),
		DB_STR(a->t->hashtags), DB_I64(now), DB_I64(now) }, 11, &r);
	if (rc != 0 || r.affected != 1)
		goto out;
	a->inserted = true;
	if ((rc = db_exec(db, shard, "INSERT IGNORE INTO {db}.tb_post_reply_extended (post_reply_id, "
	    "user_id, post_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
	    (struct db_val[]){ DB_U64(a->id), DB_U64(a->user), DB_U64(a->root), DB_I64(now),
		DB_I64(now) }, 5, NULL)) != 0 ||
	    (rc = job_bump_count(db, a->parent ? a->parent : a->root, "count_comments", 1,
	    a->parent ? JOB_RECORD_REPLY : JOB_RECORD_POST)) != 0)
		goto out;
	rc = jobs_queue(db, a->jobs);
out:
	db_rows_free(&r);
	return rc == 0 ? 0 : -1;
}

int
post_reply(struct ctx *ctx, const struct post_new *n, uint64_t *id)
{
	struct text_post t = { 0 };
	struct jobs jobs = { .shard = 0 };
	struct reply_tx a = { 0, ctx->user_id, 0, 0, &t, "", "", &jobs, false };
	json_object *parent = NULL, *root = NULL;
	uint64_t fresh;
	size_t i;
	int rc;

	*id = 0;
	if ((rc = check_writer(ctx, NULL)) != APIERR_OK ||
	    (rc = check_content(ctx, n, &t, &a.image, &a.video)) != APIERR_OK ||
	    (rc = live_target(ctx, n->original_id, &parent)) != APIERR_OK ||
	    (rc = check_not_blocked(ctx, parent)) != APIERR_OK)
		goto out;
	if (jtype(parent) == POST_REPLY) {
		a.parent = jid(parent, "id");
		a.root = jid(parent, "rootId");
		/* A reply in a thread whose post was deleted is gone with it. */
		if ((rc = live_target(ctx, a.root, &root)) != APIERR_OK ||
		    (rc = check_not_blocked(ctx, root)) != APIERR_OK)
			goto out;
	} else {
		a.root = jid(parent, "id");
		root = json_object_get(parent);
	}
	if ((rc = check_reply_settings(ctx, root)) != APIERR_OK ||
	    (rc = check_limits(ctx, LIMIT_REPLY, &t, n->idem_key, n->request_hash)) != APIERR_OK)
		goto out;
	/* The reply lives with its thread: its ID (and its jobs) on the root post's shard. */
	jobs.shard = id_shard(a.root);
	if (ctx_new_id(ctx, id_shard(a.root), &fresh) != 0) {
		rc = unavailable(ctx);
		goto out;
	}
	if ((rc = idem_claim(ctx, n->idem_key, n->request_hash, fresh, &a.id)) != APIERR_OK)
		goto out;
	if (jobs_add(ctx, &jobs, "user_reply.sync", "reply_id", a.id, NULL, NULL) != 0) {
		rc = unavailable(ctx);
		goto out;
	}
	for (i = 0; i < t.ntags; i++)
		if (jobs_add(ctx, &jobs, "hashtag.sync", "record_id", a.id, t.tags[i].key,
		    t.tags[i].name) != 0) {
			rc = unavailable(ctx);
			goto out;
		}
	if (jobs_add(ctx, &jobs, "notify.post", "record_id", a.id, NULL, NULL) != 0 ||
	    jobs_add_urls(ctx, &jobs, &t) != 0) {
		rc = unavailable(ctx);
		goto out;
	}
	if (db_tx(ctx->env->db, id_shard(a.root), reply_tx, &a) != 0) {
		rc = unavailable(ctx);
		goto out;
	}
	if (a.inserted) {
		limit_count(ctx, LIMIT_REPLY, t.mentions, t.nmentions);
		jobs_run(ctx, &jobs);
		forget(ctx->env, "postx", a.parent ? a.parent : a.root);
		forget(ctx->env, "post", a.id);
		forget(ctx->env, "postx", a.id);
	}
	*id = a.id;
	rc = APIERR_OK;
out:
	json_object_put(parent);
	json_object_put(root);
	jobs_free(&jobs);
	text_post_free(&t);
	return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Likes and reports */

struct like_tx {
	uint64_t     like_id, liker, record;
	int64_t      now;            /* created_at of the like, told to its like.sync */
	int          content_type;
	bool         like, changed;
	struct jobs *jobs;
};

static int
like_tx(struct db *db, void *arg)
{
	struct like_tx *a = arg;
	struct db_rows r = DB_ROWS_INIT;
	unsigned shard = id_shard(a->liker);
	int64_t now = a->now;
	int rc;

	a->changed = false;
	if (a->like)
		rc = db_exec(db, shard, "INSERT IGNORE INTO {db}.tb_post_like (id, content_type, "
		    "record_id, liker_id, created_at) VALUES (?, ?, ?, ?, ?)",
		    (struct db_val[]){ DB_U64(a->like_id), DB_I64(a->content_type), DB_U64(a->record),
			DB_U64(a->liker), DB_I64(now) }, 5, &r);
	else
		rc = db_exec(db, shard, "DELETE FROM {db}.tb_post_like WHERE liker_id = ? AND "
		    "record_id = ?", (struct db_val[]){ DB_U64(a->liker), DB_U64(a->record) }, 2, &r);
	if (rc != 0 || r.affected != 1)
		goto out;
	a->changed = true;
	rc = db_exec(db, shard, a->like ?
	    "UPDATE {db}.tb_user_extended SET count_likes = count_likes + 1, updated_at = ? "
	    "WHERE user_id = ?" :
	    "UPDATE {db}.tb_user_extended SET count_likes = count_likes - 1, updated_at = ? "
	    "WHERE user_id = ? AND count_likes > 0",
	    (struct db_val[]){ DB_I64(now), DB_U64(a->liker) }, 2, NULL);
	if (rc == 0)
		rc = jobs_queue(db, a->jobs);
out:
	db_rows_free(&r);
	return rc == 0 ? 0 : -1;
}

int
post_like(struct ctx *ctx, uint64_t record_id, bool like)
{
	struct jobs jobs = { .shard = id_shard(ctx->user_id) };
	struct like_tx a = { .liker = ctx->user_id, .record = record_id, .now = now_s(),
	    .like = like, .jobs = &jobs };
	json_object *rec = NULL;
	int rc;

	if ((rc = check_writer(ctx, NULL)) != APIERR_OK)
		goto out;
	rc = resolve(ctx->env, record_id, &rec);
	if (rc < 0) {
		rc = unavailable(ctx);
		goto out;
	}
	/* Unliking a record deleted since is allowed (it takes the like back); liking is not. */
	if (rc == 0 && like) {
		rc = not_found(ctx);
		goto out;
	}
	/* Taking a like back stays allowed after a block. */
	if (like && (rc = check_not_blocked(ctx, rec)) != APIERR_OK)
		goto out;
	if (rec != NULL) {
		a.record = jid(rec, "id");
		a.content_type = jtype(rec) == POST_REPLY;
	}
	/* Taking a like back is never limited. */
	if (like && (rc = limit_check(ctx, LIMIT_LIKE, NULL, 0)) != APIERR_OK)
		goto out;
	if (ctx_new_id(ctx, id_shard(ctx->user_id), &a.like_id) != 0 ||
	    jobs_add(ctx, &jobs, "like.sync", "liker_id", ctx->user_id, NULL, NULL) != 0) {
		rc = unavailable(ctx);
		goto out;
	}
	/* What this request writes, so that the jobs need not read it back first (job.h). */
	json_object_object_add(jobs.v[0].payload, "record_id", json_id(a.record));
	json_object_object_add(jobs.v[0].payload, "like", json_object_new_boolean(like));
	json_object_object_add(jobs.v[0].payload, "like_id", json_id(a.like_id));
	json_object_object_add(jobs.v[0].payload, "content_type",
	    json_object_new_int(a.content_type));
	json_object_object_add(jobs.v[0].payload, "created_at", json_object_new_int64(a.now));
	/* A like notifies its author; taken back, it withdraws that notification (lib/notify.h). */
	if (jobs_add(ctx, &jobs, "notify.like", "liker_id", ctx->user_id, NULL, NULL) != 0) {
		rc = unavailable(ctx);
		goto out;
	}
	json_object_object_add(jobs.v[1].payload, "record_id", json_id(a.record));
	json_object_object_add(jobs.v[1].payload, "like", json_object_new_boolean(like));
	if (db_tx(ctx->env->db, id_shard(ctx->user_id), like_tx, &a) != 0) {
		rc = unavailable(ctx);
		goto out;
	}
	if (a.changed) {
		if (like)
			limit_count(ctx, LIMIT_LIKE, NULL, 0);
		jobs_run(ctx, &jobs);
		forget(ctx->env, "userx", ctx->user_id);
	}
	rc = APIERR_OK;
out:
	json_object_put(rec);
	jobs_free(&jobs);
	return rc;
}

struct report_tx {
	uint64_t id, record, author, reporter;
	int      content_type, reason;
};

static int
report_tx(struct db *db, void *arg)
{
	struct report_tx *a = arg;
	struct db_rows r = DB_ROWS_INIT;
	int64_t now = now_s();
	int rc = db_exec(db, id_shard(a->record), "INSERT IGNORE INTO {db}.tb_reported_content (id, "
	    "content_type, record_id, post_user_id, reporter_id, report_reason, created_at, updated_at) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
	    (struct db_val[]){ DB_U64(a->id), DB_I64(a->content_type), DB_U64(a->record),
		DB_U64(a->author), DB_U64(a->reporter), DB_I64(a->reason), DB_I64(now), DB_I64(now) },
	    8, &r);

	if (rc == 0 && r.affected == 1)
		rc = job_bump_count(db, a->record, "count_reported", 1, a->content_type == 1 ?
		    JOB_RECORD_REPLY : JOB_RECORD_POST);
	db_rows_free(&r);
	return rc == 0 ? 0 : -1;
}

int
post_report(struct ctx *ctx, uint64_t record_id, int reason)
{
	struct report_tx a = { 0, 0, 0, ctx->user_id, 0, reason };
	json_object *rec = NULL;
	int rc;

	if (reason < 1 || reason > 255)
		return ctx_fail(ctx, APIERR_INVALID_PARAM, "report_reason: 1 to 255");
	if ((rc = check_writer(ctx, NULL)) != APIERR_OK ||
	    (rc = live_target(ctx, record_id, &rec)) != APIERR_OK)
		goto out;
	a.record = jid(rec, "id");
	a.author = jid(rec, "authorId");
	a.content_type = jtype(rec) == POST_REPLY;
	if ((rc = limit_check(ctx, LIMIT_REPORT, NULL, 0)) != APIERR_OK)
		goto out;
	/* The report lives with the record, so its count moves in the same transaction. */
	if (ctx_new_id(ctx, id_shard(a.record), &a.id) != 0 ||
	    db_tx(ctx->env->db, id_shard(a.record), report_tx, &a) != 0) {
		rc = unavailable(ctx);
		goto out;
	}
	limit_count(ctx, LIMIT_REPORT, NULL, 0);
	rc = APIERR_OK;
out:
	json_object_put(rec);
	return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Deleting, undoing a repost, pinning */

struct delete_tx {
	uint64_t     id, user, parent;  /* reply: the record whose count_comments it moved */
	bool         reply, deleted;
	struct jobs *jobs;
};

static int
delete_tx(struct db *db, void *arg)
{
	struct delete_tx *a = arg;
	struct db_rows r = DB_ROWS_INIT;
	unsigned shard = id_shard(a->id);
	int64_t now = now_s();
	int rc;

	a->deleted = false;
	/* The guard is_deleted = 0 makes a second (or concurrent) delete change nothing. */
	rc = db_exec(db, shard, a->reply ?
	    "UPDATE {db}.tb_post_reply SET is_deleted = 1, deleted_at = ?, updated_at = ?, "
	    "search_text = '' WHERE id = ? AND is_deleted = 0" :
	    "UPDATE {db}.tb_post SET is_deleted = 1, deleted_at = ?, updated_at = ?, search_text = '' "
	    "WHERE id = ? AND is_deleted = 0",
	    (struct db_val[]){ DB_I64(now), DB_I64(now), DB_U64(a->id) }, 3, &r);
	if (rc != 0 || r.affected != 1)
		goto out;
	a->deleted = true;
	rc = db_exec(db, shard, a->reply ?
	    "UPDATE {db}.tb_post_reply_extended SET is_deleted = 1, deleted_at = ?, updated_at = ? "
	    "WHERE post_reply_id = ?" :
	    "UPDATE {db}.tb_post_extended SET is_deleted = 1, deleted_at = ?, updated_at = ? "
	    "WHERE post_id = ?", (struct db_val[]){ DB_I64(now), DB_I64(now), DB_U64(a->id) }, 3, NULL);
	if (rc != 0)
		goto out;
	if (a->reply) {
		rc = job_bump_count(db, a->parent, "count_comments", -1, JOB_RECORD_UNKNOWN);
	} else {
		/* The author's row is on this shard too (a post lives on its author's shard). */
		rc = db_exec(db, shard, "UPDATE {db}.tb_user_extended SET count_posts = count_posts - 1, "
		    "updated_at = ? WHERE user_id = ? AND count_posts > 0",
		    (struct db_val[]){ DB_I64(now), DB_U64(a->user) }, 2, NULL);
		if (rc == 0)
			rc = db_exec(db, shard, "UPDATE {db}.tb_user_extended SET pinned_post_id = 0, "
			    "updated_at = ? WHERE user_id = ? AND pinned_post_id = ?",
			    (struct db_val[]){ DB_I64(now), DB_U64(a->user), DB_U64(a->id) }, 3, NULL);
	}
	if (rc == 0)
		rc = jobs_queue(db, a->jobs);
out:
	db_rows_free(&r);
	return rc == 0 ? 0 : -1;
}

/* Deletes record id, already checked to be ctx->user_id's (row: its load_row). */
static int
delete_record(struct ctx *ctx, uint64_t id, const struct db_rows *row)
{
	struct jobs jobs = { .shard = id_shard(id) };
	struct delete_tx a = { id, ctx->user_id, 0, false, false, &jobs };
	int64_t type = db_i64(row, 0, R_TYPE);
	int rc = 0;

	a.reply = type == POST_REPLY;
	if (a.reply) {
		a.parent = db_u64(row, 0, R_ORIGINAL) ? db_u64(row, 0, R_ORIGINAL) :
		    db_u64(row, 0, R_ROOT);
		rc = jobs_add(ctx, &jobs, "user_reply.sync", "reply_id", id, NULL, NULL);
	} else if (type == POST_REPOST || type == POST_QUOTE) {
		rc = jobs_add(ctx, &jobs, "repost.sync", "post_id", id, NULL, NULL);
	}
	if (rc == 0)
		rc = jobs_add_tags(ctx, &jobs, id, db_str(row, 0, R_HASHTAGS));
	if (rc != 0 || db_tx(ctx->env->db, id_shard(id), delete_tx, &a) != 0) {
		rc = unavailable(ctx);
		goto out;
	}
	if (a.deleted) {
		jobs_run(ctx, &jobs);
		forget(ctx->env, "post", id);
		forget(ctx->env, "postx", id);
		forget(ctx->env, a.reply ? "postx" : "userx", a.reply ? a.parent : ctx->user_id);
	}
	rc = APIERR_OK;
out:
	jobs_free(&jobs);
	return rc;
}

int
post_delete(struct ctx *ctx, uint64_t id)
{
	struct db_rows r = DB_ROWS_INIT;
	int rc;

	/* From the database, not the cache: the decision to delete is made on the truth. */
	if (load_row(ctx->env, id, &r) != 0)
		rc = unavailable(ctx);
	else if (r.nrows == 0 || db_i64(&r, 0, R_DELETED) != 0)
		rc = not_found(ctx);
	else if (db_u64(&r, 0, R_USER) != ctx->user_id)
		rc = ctx_fail(ctx, APIERR_NOT_OWNER, "only its author can delete a post");
	else
		rc = delete_record(ctx, id, &r);
	db_rows_free(&r);
	return rc;
}

int
post_undo_repost(struct ctx *ctx, uint64_t id)
{
	struct db_rows r = DB_ROWS_INIT;
	uint64_t target = id, repost = 0;
	int rc;

	if (load_row(ctx->env, id, &r) != 0) {
		rc = unavailable(ctx);
		goto out;
	}
	if (r.nrows > 0 && db_i64(&r, 0, R_TYPE) == POST_REPOST) {
		/* My own repost: undo it. Someone else's: I reposted what it reposts, if anything. */
		if (db_u64(&r, 0, R_USER) == ctx->user_id && db_i64(&r, 0, R_DELETED) == 0)
			repost = id;
		target = db_u64(&r, 0, R_ORIGINAL);
	}
	if (repost == 0) {
		if (find_repost(ctx, target, &repost) != 0) {
			rc = unavailable(ctx);
			goto out;
		}
		if (repost == 0) {
			rc = APIERR_OK;   /* nothing to undo */
			goto out;
		}
		if (load_row(ctx->env, repost, &r) != 0 || r.nrows == 0) {
			rc = unavailable(ctx);
			goto out;
		}
	}
	rc = delete_record(ctx, repost, &r);
out:
	db_rows_free(&r);
	return rc;
}

int
post_pin(struct ctx *ctx, uint64_t id, bool pin)
{
	struct db_rows r = DB_ROWS_INIT;
	int64_t type;
	int rc;

	/* Unpinning is checked as pinning is: someone else's post is 403 and a missing one 404,
	 * not a silent 0 that tells the caller nothing true. */
	if (load_row(ctx->env, id, &r) != 0) {
		rc = unavailable(ctx);
		goto out;
	}
	type = r.nrows ? db_i64(&r, 0, R_TYPE) : 0;
	if (r.nrows == 0 || db_i64(&r, 0, R_DELETED) != 0) {
		rc = not_found(ctx);
		goto out;
	}
	if (db_u64(&r, 0, R_USER) != ctx->user_id) {
		rc = ctx_fail(ctx, APIERR_NOT_OWNER, pin ? "you can only pin your own posts" :
		    "you can only unpin your own posts");
		goto out;
	}
	if (!pin) {
		rc = db_exec(ctx->env->db, id_shard(ctx->user_id), "UPDATE {db}.tb_user_extended SET "
		    "pinned_post_id = 0, updated_at = ? WHERE user_id = ? AND pinned_post_id = ?",
		    (struct db_val[]){ DB_I64(now_s()), DB_U64(ctx->user_id), DB_U64(id) }, 3, NULL);
		goto done;
	}
	if (type == POST_REPOST || type == POST_REPLY) {
		rc = ctx_fail(ctx, APIERR_INVALID_PARAM, "post_id: a %s cannot be pinned, only a post "
		    "or a quote", type == POST_REPOST ? "repost" : "reply");
		goto out;
	}
	rc = db_exec(ctx->env->db, id_shard(ctx->user_id), "UPDATE {db}.tb_user_extended SET "
	    "pinned_post_id = ?, updated_at = ? WHERE user_id = ?",
	    (struct db_val[]){ DB_U64(id), DB_I64(now_s()), DB_U64(ctx->user_id) }, 3, NULL);
done:
	if (rc != 0) {
		rc = unavailable(ctx);
		goto out;
	}
	forget(ctx->env, "userx", ctx->user_id);
	rc = APIERR_OK;
out:
	db_rows_free(&r);
	return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Reading: the view, counts, replies */

/* What a post shows of its author; null when the account is gone. */
static int
author_of(struct app_env *env, uint64_t user, json_object **out)
{
	static const char *const fields[] = { "id", "username", "displayName", "avatarUrl",
	    "verified", NULL };

	return user_pick(env, user, fields, out) < 0 ? -1 : 0;
}

void
post_keys(struct cache_keys *ks, uint64_t id)
{
	if (id == 0)
		return;
	cache_keys_add(ks, "post:%" PRIu64, id);
	cache_keys_add(ks, "postx:%" PRIu64, id);
}

/* Adds to ks the keys a view of the content object o reads after o itself (one prefetch, so
 * that they cost one round trip per node together): its counts, its author and the viewer's
 * relations to them; for a repost or quote, the original with its counts, its author (the
 * object names them: originalAuthorId) and the viewer's relations to that author. */
static void
view_keys(struct ctx *ctx, json_object *o, struct cache_keys *ks)
{
	uint64_t author = jid(o, "authorId"), original_author = jid(o, "originalAuthorId");
	enum post_type t = jtype(o);

	post_keys(ks, jid(o, "id"));
	user_keys(ks, author);
	graph_keys(ks, ctx->user_id, author);
	if (t != POST_REPOST && t != POST_QUOTE)
		return;
	post_keys(ks, jid(o, "originalId"));
	user_keys(ks, original_author);
	graph_keys(ks, ctx->user_id, original_author);
}

/* What the viewer did to each of targets[] (n > 0): liked[i], reposted[i]. One statement on
 * the viewer's shard for both, where asking each table apart took two. Returns 0 or -1. */
static int
viewer_did(struct ctx *ctx, const uint64_t *targets, size_t n, bool *liked, bool *reposted)
{
	/* Each list at its padded length (db_in_size) while both fit in one statement. */
	size_t m = 2 * db_in_size(n) + 2 <= DB_MAX_PARAMS ? db_in_size(n) : n;
	struct db_val *p = xcalloc(2 * m + 2, sizeof *p);
	struct buf q = BUF_INIT, in = BUF_INIT;
	struct db_rows r = DB_ROWS_INIT;
	size_t i, k;
	int rc;

	p[0] = p[m + 1] = DB_U64(ctx->user_id);
	db_placeholders(&in, m);
	for (i = 0; i < m; i++)
		p[i + 1] = p[m + 2 + i] = DB_U64(targets[i < n ? i : n - 1]);
	for (i = 0; i < n; i++)
		liked[i] = reposted[i] = false;
	buf_printf(&q, "SELECT 0, record_id FROM {db}.tb_post_like WHERE liker_id = ? AND "
	    "record_id IN (%s) UNION ALL SELECT 1, repost_of FROM {db}.tb_post WHERE user_id = ? "
	    "AND repost_of IN (%s)", buf_cstr(&in), buf_cstr(&in));
	rc = db_exec(ctx->env->db, id_shard(ctx->user_id), buf_cstr(&q), p, 2 * m + 2, &r);
	for (k = 0; rc == 0 && k < r.nrows; k++)
		for (i = 0; i < n; i++)
			if (targets[i] == db_u64(&r, k, 1))
				*(db_i64(&r, k, 0) == 0 ? &liked[i] : &reposted[i]) = true;
	db_rows_free(&r);
	buf_free(&q);
	buf_free(&in);
	free(p);
	return rc == 0 ? 0 : -1;
}

/* Adds {liked, reposted, own} to the view o of a record: what the viewer did to it. */
static void
add_viewer(struct ctx *ctx, json_object *o, bool liked, bool reposted)
{
	json_object *viewer = json_object_new_object();

	json_object_object_add(viewer, "liked", json_object_new_boolean(liked));
	json_object_object_add(viewer, "reposted", json_object_new_boolean(reposted));
	json_object_object_add(viewer, "own", json_object_new_boolean(
	    jid(o, "authorId") == ctx->user_id));
	json_object_object_add(o, "viewer", viewer);
}

/* Adds author (and, for a repost or quote, the embedded original) to the post object o. */
static int
add_author_and_original(struct app_env *env, json_object *o, bool with_original)
{
	json_object *author, *orig = NULL, *orig_author;
	enum post_type t = jtype(o);
	int rc;

	if (author_of(env, jid(o, "authorId"), &author) != 0)
		return -1;
	json_object_object_add(o, "author", author);
	if (!with_original || (t != POST_REPOST && t != POST_QUOTE))
		return 0;
	rc = post_get(env, jid(o, "originalId"), &orig);
	if (rc < 0)
		return -1;
	if (orig != NULL) {
		if (author_of(env, jid(orig, "authorId"), &orig_author) != 0) {
			json_object_put(orig);
			return -1;
		}
		json_object_object_add(orig, "author", orig_author);
	}
	json_object_object_add(o, "original", orig);
	return 0;
}

/* post_view without recording failures: 1 with *out, 0 not found, -1. */
static int
view(struct ctx *ctx, uint64_t id, json_object **out)
{
	struct cache_keys ks = CACHE_KEYS_INIT;
	json_object *o = NULL, *orig;
	uint64_t target;
	bool liked = false, reposted = false;
	int rc = post_get(ctx->env, id, &o);

	*out = NULL;
	if (rc <= 0)
		return rc;
	/* Everything else the view reads, in one round. */
	view_keys(ctx, o, &ks);
	(void)cache_keys_prefetch(ctx->env->cache, &ks);
	cache_keys_free(&ks);
	/* A blocked pair does not see each other's posts: as if deleted. */
	if (ctx->user_id != 0) {
		rc = graph_blocked_either(ctx->env, ctx->user_id, jid(o, "authorId"));
		if (rc != 0) {
			json_object_put(o);
			return rc < 0 ? -1 : 0;
		}
	}
	if (add_author_and_original(ctx->env, o, true) != 0)
		goto fail;
	if (ctx->user_id != 0 && json_object_object_get_ex(o, "original", &orig) && orig != NULL) {
		/* Nor the original a repost or quote embeds: a repost is nothing but its original, so
		 * it goes with it; a quote's own words stay, its original shows as gone (null). */
		rc = graph_blocked_either(ctx->env, ctx->user_id, jid(orig, "authorId"));
		if (rc < 0)
			goto fail;
		if (rc > 0 && jtype(o) == POST_REPOST) {
			json_object_put(o);
			return 0;
		}
		if (rc > 0)
			json_object_object_add(o, "original", NULL);
	}
	if (ctx->user_id != 0) {
		/* Likes and reposts of a repost go to its original (live_target). */
		target = jtype(o) == POST_REPOST ? jid(o, "originalId") : id;
		if (viewer_did(ctx, &target, 1, &liked, &reposted) != 0)
			goto fail;
		add_viewer(ctx, o, liked, reposted);
	}
	*out = o;
	return 1;
fail:
	json_object_put(o);
	return -1;
}

int
post_view(struct ctx *ctx, uint64_t id, json_object **out)
{
	int rc = view(ctx, id, out);

	if (rc < 0)
		return unavailable(ctx);
	if (rc == 0)
		return not_found(ctx);
	return APIERR_OK;
}

int
post_view_listed(struct ctx *ctx, uint64_t id, json_object **out)
{
	int rc = post_view(ctx, id, out);

	if (rc == APIERR_NOT_FOUND) {
		buf_reset(&ctx->message);
		*out = NULL;
		return APIERR_OK;
	}
	return rc;
}

static void
add_stats(json_object *out, uint64_t id, const unsigned long long v[4])
{
	static const char *const names[] = { "comments", "likes", "reposts", "quotes" };
	json_object *o = json_object_new_object();
	char key[24];
	size_t i;

	for (i = 0; i < 4; i++)
		json_object_object_add(o, names[i], json_object_new_int64((int64_t)v[i]));
	id_str(id, key);
	json_object_object_add(out, key, o);
}

/* Adds to b the query of one shard's misses: up to POST_STATS_MAX IDs, each twice (posts and
 * replies), with the placeholders written for the count. */
static void
stats_query(struct db_batch *b, unsigned shard, const uint64_t *ids, size_t n)
{
	struct buf sql = BUF_INIT, in = BUF_INIT;
	size_t m = 2 * db_in_size(n) <= DB_MAX_PARAMS ? db_in_size(n) : n;   /* as viewer_did */
	struct db_val *p = xcalloc(2 * m, sizeof *p);
	size_t i;

	db_placeholders(&in, m);
	for (i = 0; i < m; i++)
		p[i] = p[m + i] = DB_U64(ids[i < n ? i : n - 1]);
	buf_printf(&sql, "SELECT post_id, count_comments, count_likes, count_reposts, count_quote "
	    "FROM {db}.tb_post_extended WHERE post_id IN (%s) AND is_deleted = 0 UNION ALL "
	    "SELECT post_reply_id, count_comments, count_likes, count_reposts, count_quote "
	    "FROM {db}.tb_post_reply_extended WHERE post_reply_id IN (%s) AND is_deleted = 0",
	    buf_cstr(&in), buf_cstr(&in));
	db_batch_add(b, shard, buf_cstr(&sql), p, 2 * m);
	free(p);
	buf_free(&sql);
	buf_free(&in);
}

/* The counts a stats_query read: into out, and set back in the cache. */
static void
stats_apply(struct app_env *env, const struct db_rows *r, json_object *out)
{
	struct buf val = BUF_INIT;
	unsigned long long v[4];
	char key[48];
	size_t i, k;

	for (i = 0; i < r->nrows; i++) {
		for (k = 0; k < 4; k++)
			v[k] = db_u64(r, i, k + 1);
		add_stats(out, db_u64(r, i, 0), v);
		buf_reset(&val);
		buf_printf(&val, "%llu %llu %llu %llu", v[0], v[1], v[2], v[3]);
		snprintf(key, sizeof key, "postx:%" PRIu64, db_u64(r, i, 0));
		(void)cache_set(env->cache, key, val.data, val.len, POST_STATS_TTL);
	}
	buf_free(&val);
}

/* The ids of group (ng of them, all on one shard) as null in out: counts that could not be read,
 * so that a page shows none rather than zeros. */
static void
stats_unread(json_object *out, const uint64_t *group, size_t ng)
{
	char key[24];
	size_t i;

	for (i = 0; i < ng; i++) {
		id_str(group[i], key);
		json_object_object_add(out, key, NULL);
	}
}

int
post_stats(struct ctx *ctx, const uint64_t *ids, size_t n, json_object **out)
{
	return post_stats_some(ctx, ids, n, out, NULL);
}

int
post_stats_some(struct ctx *ctx, const uint64_t *ids, size_t n, json_object **out,
    bool *partial)
{
	char (*keys)[48] = NULL;
	const char **kp = NULL;
	struct buf *vals = NULL;
	bool *hit = NULL, *done = NULL;
	uint64_t *group = NULL;
	size_t *start = NULL, *count = NULL;
	struct db_batch b = DB_BATCH_INIT;
	unsigned long long v[4];
	size_t i, j, k, ng, off;
	int rc = APIERR_OK;

	*out = NULL;
	if (n > POST_STATS_MAX)
		return ctx_fail(ctx, APIERR_INVALID_PARAM, "post_ids: at most %d", POST_STATS_MAX);
	*out = json_object_new_object();
	if (n == 0)
		return APIERR_OK;
	keys = xcalloc(n, sizeof *keys);
	kp = xcalloc(n, sizeof *kp);
	vals = xcalloc(n, sizeof *vals);
	hit = xcalloc(n, sizeof *hit);
	done = xcalloc(n, sizeof *done);
	group = xcalloc(n, sizeof *group);
	start = xcalloc(n, sizeof *start);
	count = xcalloc(n, sizeof *count);
	for (i = 0; i < n; i++) {
		snprintf(keys[i], sizeof keys[i], "postx:%" PRIu64, ids[i]);
		kp[i] = keys[i];
	}
	/* One round trip per memcached node; a failed cache is all misses. */
	if (cache_mget(ctx->env->cache, kp, n, vals, hit) < 0)
		memset(hit, 0, n * sizeof *hit);
	for (i = 0; i < n; i++) {
		if (hit[i] && sscanf(buf_cstr(&vals[i]), "%llu %llu %llu %llu", &v[0], &v[1], &v[2],
		    &v[3]) == 4) {
			add_stats(*out, ids[i], v);
			done[i] = true;
		}
	}
	/* The misses, one query per shard holding some, all in one round: group holds each
	 * query's IDs, from start[k], count[k] of them. */
	for (i = 0, off = 0; i < n; i++) {
		if (done[i])
			continue;
		for (ng = 0, j = i; j < n; j++) {
			if (!done[j] && id_shard(ids[j]) == id_shard(ids[i])) {
				group[off + ng++] = ids[j];
				done[j] = true;
			}
		}
		if (!shard_exists(ctx->env, ids[i]))
			continue;
		start[b.n] = off;
		count[b.n] = ng;
		stats_query(&b, id_shard(ids[i]), group + off, ng);
		off += ng;
	}
	db_batch_run(ctx->env->db, &b);
	for (k = 0; k < b.n; k++) {
		if (b.q[k].rc == 0) {
			stats_apply(ctx->env, b.q[k].out, *out);
			continue;
		}
		if (partial == NULL) {
			rc = unavailable(ctx);
			break;
		}
		/* A shard that does not answer: its records' counts are left out of a page that
		 * gathers from many, which the others' still fill. */
		stats_unread(*out, group + start[k], count[k]);
		*partial = true;
	}
	if (rc != APIERR_OK) {
		json_object_put(*out);
		*out = NULL;
	}
	for (i = 0; i < n; i++)
		buf_free(&vals[i]);
	free(keys);
	free(kp);
	free(vals);
	free(hit);
	free(done);
	free(group);
	free(start);
	free(count);
	db_batch_free(&b);
	return rc;
}

int
post_replies(struct ctx *ctx, uint64_t id, uint64_t cursor, json_object **out)
{
	struct db_rows r = DB_ROWS_INIT;
	json_object *rec = NULL, *root = NULL, *list, *one;
	char next[24];
	size_t i, shown;
	int rc;

	*out = NULL;
	if ((rc = live_target(ctx, id, &rec)) != APIERR_OK)
		return rc;
	id = jid(rec, "id");
	if (jtype(rec) == POST_REPLY) {
		/* A reply's thread is gone with its post. */
		if ((rc = live_target(ctx, jid(rec, "rootId"), &root)) != APIERR_OK)
			goto out;
		rc = db_exec(ctx->env->db, id_shard(id), "SELECT id FROM {db}.tb_post_reply WHERE "
		    "post_id = ? AND parent_reply_id = ? AND id > ? AND is_deleted = 0 ORDER BY id "
		    "LIMIT ?", (struct db_val[]){ DB_U64(jid(rec, "rootId")), DB_U64(id), DB_U64(cursor),
			DB_I64(POST_REPLIES_PAGE + 1) }, 4, &r);
	} else {
		rc = db_exec(ctx->env->db, id_shard(id), "SELECT id FROM {db}.tb_post_reply WHERE "
		    "post_id = ? AND id > ? AND is_deleted = 0 ORDER BY id LIMIT ?",
		    (struct db_val[]){ DB_U64(id), DB_U64(cursor), DB_I64(POST_REPLIES_PAGE + 1) }, 3, &r);
	}
	if (rc != 0) {
		rc = unavailable(ctx);
		goto out;
	}
	list = json_object_new_array();
	*out = json_object_new_object();
	json_object_object_add(*out, "replies", list);
	for (i = shown = 0; i < r.nrows && i < POST_REPLIES_PAGE; i++) {
		rc = view(ctx, db_u64(&r, i, 0), &one);
		if (rc == 0)
			continue;   /* deleted between the query and the read */
		if (rc < 0) {
			json_object_put(*out);
			*out = NULL;
			rc = unavailable(ctx);
			goto out;
		}
		json_object_array_add(list, one);
		shown++;
	}
	if (r.nrows > POST_REPLIES_PAGE)
		id_str(db_u64(&r, POST_REPLIES_PAGE - 1, 0), next);
	else
		snprintf(next, sizeof next, "-1");
	json_object_object_add(*out, "cursor", json_object_new_string(next));
	rc = APIERR_OK;
out:
	json_object_put(rec);
	json_object_put(root);
	db_rows_free(&r);
	return rc;
}

int
post_parse_ids(const char *s, uint64_t *ids, size_t max, size_t *n)
{
	*n = 0;
	if (s == NULL || *s == '\0')
		return -1;
	for (;;) {
		size_t w = strspn(s, "0123456789");
		char *end;

		if (w == 0 || w > 20 || *n == max)
			return -1;
		errno = 0;
		ids[*n] = strtoull(s, &end, 10);
		if (errno != 0 || ids[*n] == 0 || end != s + w)
			return -1;
		(*n)++;
		s += w;
		if (*s == '\0')
			return 0;
		if (*s != ',')
			return -1;
		s++;
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Many views at once: a page of a timeline */

/* The content objects (post_get's) of n records: one multi-get for all of them, the per-id
 * path (with its lease, and its cached "not found") for the misses. objs[i] gets a new
 * reference, or NULL for a missing or deleted record, or one that could not be loaded (its
 * shard down: then failed[i], when failed is not NULL). Returns 0, or -1 when a miss could not
 * be loaded (objs[] then holds what was found; the caller frees it). */
static int
get_many(struct app_env *env, const uint64_t *ids, size_t n, json_object **objs, bool *failed)
{
	char (*keys)[48] = xcalloc(n ? n : 1, sizeof *keys);
	const char **kp = xcalloc(n ? n : 1, sizeof *kp);
	struct buf *vals = xcalloc(n ? n : 1, sizeof *vals);
	bool *hit = xcalloc(n ? n : 1, sizeof *hit);
	size_t i;
	int rc = 0;

	for (i = 0; i < n; i++) {
		objs[i] = NULL;
		snprintf(keys[i], sizeof keys[i], "post:%" PRIu64, ids[i]);
		kp[i] = keys[i];
	}
	/* One round trip per memcached node; a failed cache is all misses. */
	if (n > 0 && cache_mget(env->cache, kp, n, vals, hit) < 0)
		memset(hit, 0, n * sizeof *hit);
	for (i = 0; i < n; i++) {
		if (hit[i]) {
			objs[i] = json_tokener_parse(buf_cstr(&vals[i]));
			if (objs[i] != NULL && json_object_is_type(objs[i], json_type_object))
				continue;
			/* Not ours: post_get drops it and loads the row. */
			json_object_put(objs[i]);
			objs[i] = NULL;
		}
		if (post_get(env, ids[i], &objs[i]) < 0) {
			rc = -1;
			if (failed != NULL)
				failed[i] = true;
		}
	}
	for (i = 0; i < n; i++)
		buf_free(&vals[i]);
	free(keys);
	free(kp);
	free(vals);
	free(hit);
	return rc;
}

/* The distinct users of a page, each looked up once: whether they and the viewer block each
 * other, and what a post shows of them (author_of). */
struct page_users {
	size_t       n;
	uint64_t     id[2 * POST_STATS_MAX];
	int          blocked[2 * POST_STATS_MAX];   /* -2: not asked yet */
	json_object *shown[2 * POST_STATS_MAX];     /* NULL until asked, or for an account gone */
	bool         asked[2 * POST_STATS_MAX];
};

/* The slot of user id (added when new). */
static size_t
page_user(struct page_users *u, uint64_t id)
{
	size_t i;

	for (i = 0; i < u->n; i++)
		if (u->id[i] == id)
			return i;
	u->id[u->n] = id;
	u->blocked[u->n] = -2;
	u->shown[u->n] = NULL;
	u->asked[u->n] = false;
	return u->n++;
}

/* Whether the viewer and user are in a block pair (asked once per page): 1, 0 or -1. */
static int
page_blocked(struct ctx *ctx, struct page_users *u, uint64_t user)
{
	size_t k = page_user(u, user);

	if (ctx->user_id == 0)
		return 0;
	if (u->blocked[k] == -2)
		u->blocked[k] = graph_blocked_either(ctx->env, ctx->user_id, user);
	return u->blocked[k] < 0 ? -1 : u->blocked[k];
}

/* Sets member name of o to a copy of the author object of user (one user_get per page). */
static int
page_add_author(struct app_env *env, struct page_users *u, json_object *o)
{
	size_t k = page_user(u, jid(o, "authorId"));

	if (!u->asked[k]) {
		if (author_of(env, u->id[k], &u->shown[k]) != 0)
			return -1;
		u->asked[k] = true;
	}
	json_object_object_add(o, "author", u->shown[k] == NULL ? NULL :
	    json_object_get(u->shown[k]));
	return 0;
}

/* Drops views[i]: on a partial page (partial not NULL) because what it needs could not be read,
 * noted in *partial; returns 0. Without partial the whole page fails: returns -1. */
static int
drop_unreadable(json_object **views, size_t i, bool *partial)
{
	if (partial == NULL)
		return -1;
	json_object_put(views[i]);
	views[i] = NULL;
	*partial = true;
	return 0;
}

int
post_view_many(struct ctx *ctx, const uint64_t *ids, size_t n, json_object **views,
    bool *partial)
{
	struct cache_keys ks = CACHE_KEYS_INIT;
	struct page_users *users = NULL;
	json_object **orig = NULL;
	uint64_t *oid = NULL, *target = NULL;
	bool *liked = NULL, *reposted = NULL, *failed = NULL, *ofailed = NULL;
	size_t i, k, no;
	int rc = APIERR_OK;

	for (i = 0; i < n; i++)
		views[i] = NULL;
	if (n > POST_STATS_MAX)
		return ctx_fail(ctx, APIERR_INVALID_PARAM, "at most %d posts at once", POST_STATS_MAX);
	if (n == 0)
		return APIERR_OK;
	users = xcalloc(1, sizeof *users);
	orig = xcalloc(n, sizeof *orig);
	oid = xcalloc(n, sizeof *oid);
	target = xcalloc(n, sizeof *target);
	liked = xcalloc(n, sizeof *liked);
	reposted = xcalloc(n, sizeof *reposted);
	failed = xcalloc(n, sizeof *failed);
	ofailed = xcalloc(n, sizeof *ofailed);
	/* The records with their counts in one round (a page that knew them fetched them ahead,
	 * with their authors: then this costs nothing), then everything else the page reads
	 * (authors, relations, originals) in a second one. */
	for (i = 0; i < n; i++)
		post_keys(&ks, ids[i]);
	(void)cache_keys_prefetch(ctx->env->cache, &ks);
	cache_keys_free(&ks);
	if (get_many(ctx->env, ids, n, views, failed) != 0) {
		if (partial == NULL)
			goto fail;
		*partial = true;   /* the records of a shard that is down are left out */
	}
	for (i = 0; i < n; i++)
		if (views[i] != NULL)
			view_keys(ctx, views[i], &ks);
	(void)cache_keys_prefetch(ctx->env->cache, &ks);

	/* A blocked pair does not see each other's posts: as if deleted (as post_view). */
	for (i = 0; i < n; i++) {
		int b = views[i] ? page_blocked(ctx, users, jid(views[i], "authorId")) : 0;

		/* Whether they block each other is unknown: not shown. */
		if (b < 0 && drop_unreadable(views, i, partial) != 0)
			goto fail;
		if (b > 0) {
			json_object_put(views[i]);
			views[i] = NULL;
		}
	}

	/* The originals of reposts and quotes, in a second multi-get. */
	for (i = no = 0; i < n; i++) {
		enum post_type t = views[i] ? jtype(views[i]) : POST_ORIGINAL;

		if (t == POST_REPOST || t == POST_QUOTE)
			oid[no++] = jid(views[i], "originalId");
	}
	if (get_many(ctx->env, oid, no, orig, ofailed) != 0 && partial == NULL)
		goto fail;
	for (i = k = 0; i < n; i++) {
		enum post_type t;
		int b;

		if (views[i] == NULL)
			continue;
		t = jtype(views[i]);
		if (page_add_author(ctx->env, users, views[i]) != 0) {
			if (drop_unreadable(views, i, partial) != 0)
				goto fail;
			k += t == POST_REPOST || t == POST_QUOTE;
			continue;
		}
		if (t != POST_REPOST && t != POST_QUOTE)
			continue;
		/* The original of a blocked pair, as view() does: a repost goes with it, a quote's
		 * own words stay with its original shown as gone. An original that could not be read
		 * is not shown as gone: its repost or quote waits for it. */
		b = orig[k] ? page_blocked(ctx, users, jid(orig[k], "authorId")) : ofailed[k] ? -1 : 0;
		if (b < 0) {
			if (drop_unreadable(views, i, partial) != 0)
				goto fail;
			k++;
			continue;
		}
		if (b > 0 && t == POST_REPOST) {
			json_object_put(views[i]);
			views[i] = NULL;
			k++;
			continue;
		}
		/* Two reposts of one record on a page get a copy each: cards change their views. */
		if (orig[k] != NULL && b == 0) {
			json_object *copy = NULL;

			if (json_object_deep_copy(orig[k], &copy, NULL) != 0 ||
			    page_add_author(ctx->env, users, copy) != 0) {
				json_object_put(copy);
				if (drop_unreadable(views, i, partial) != 0)
					goto fail;
				k++;
				continue;
			}
			json_object_object_add(views[i], "original", copy);
		} else {
			json_object_object_add(views[i], "original", NULL);
		}
		k++;
	}

	/* What the viewer did: one statement for the page, where post_view asks per post. Likes
	 * and reposts of a repost go to its original (live_target). */
	if (ctx->user_id != 0) {
		for (i = 0; i < n; i++)
			target[i] = views[i] == NULL ? 0 : jtype(views[i]) == POST_REPOST ?
			    jid(views[i], "originalId") : ids[i];
		/* Unknown on a partial page: shown as not done (the buttons still work). */
		if (viewer_did(ctx, target, n, liked, reposted) != 0) {
			if (partial == NULL)
				goto fail;
			*partial = true;
			memset(liked, 0, n * sizeof *liked);
			memset(reposted, 0, n * sizeof *reposted);
		}
		for (i = 0; i < n; i++)
			if (views[i] != NULL)
				add_viewer(ctx, views[i], liked[i], reposted[i]);
	}
	goto out;
fail:
	for (i = 0; i < n; i++) {
		json_object_put(views[i]);
		views[i] = NULL;
	}
	rc = unavailable(ctx);
out:
	for (i = 0; users != NULL && i < users->n; i++)
		json_object_put(users->shown[i]);
	for (i = 0; i < n; i++)
		json_object_put(orig[i]);
	free(users);
	free(orig);
	free(oid);
	free(target);
	free(liked);
	free(reposted);
	free(failed);
	free(ofailed);
	cache_keys_free(&ks);
	return rc;
}

/* How far down post_add_images looks. The deepest post of an answer is a notification's post's
 * original: data, notifications, the item, post, original (5); a little room above that. */
#define IMAGES_DEPTH 8

static void
add_images(const struct media *m, json_object *v, int depth)
{
	json_object *url;
	size_t i, n;

	if (depth > IMAGES_DEPTH)
		return;
	if (json_object_is_type(v, json_type_array)) {
		n = json_object_array_length(v);
		for (i = 0; i < n; i++)
			add_images(m, json_object_array_get_idx(v, i), depth + 1);
		return;
	}
	if (!json_object_is_type(v, json_type_object))
		return;
	json_object_object_foreach(v, key, child) {
		(void)key;
		add_images(m, child, depth + 1);
	}
	/* After the walk: adding a key to an object while iterating it is not safe. */
	if (json_object_object_get_ex(v, "imageUrl", &url) &&
	    json_object_is_type(url, json_type_string) && json_object_get_string_len(url) > 0)
		json_object_object_add(v, "image", media_image_view(m, json_object_get_string(url)));
}

void
post_add_images(struct ctx *ctx, json_object *data)
{
	if (ctx->env->media != NULL && data != NULL)
		add_images(ctx->env->media, data, 0);
}
