/* timeline.c: the home timeline (timeline.h has the contract, docs/timeline.md the design). */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apierr.h"
#include "cache.h"
#include "ctx.h"
#include "db.h"
#include "graphread.h"
#include "id.h"
#include "job.h"
#include "log.h"
#include "partial.h"
#include "postview.h"
#include "route.h"
#include "shard.h"
#include "timeline.h"
#include "user.h"
#include "xalloc.h"

/* A cached list lives this long after it was built (pushes keep its TTL). It bounds the memory
 * of users who left, and how long an author who crossed push_max_followers since the build
 * stays "pushed" in this list (docs/timeline.md). */
#define TL_TTL 3600
/* "ul:<author>": the recent post IDs of a pulled author, deleted by every push of theirs; the
 * TTL only bounds memory. */
#define UL_TTL    3600
#define UL_CACHED 200
/* A list that grew this long by pushes is dropped after the read: its next read rebuilds it
 * at TIMELINE_CACHED entries. */
#define TL_MAX_ENTRIES (2 * TIMELINE_CACHED)
/* IDs keep bit 63 clear (id.h): below this is "no bound". */
#define NO_BOUND ((uint64_t)INT64_MAX)
/* Database fallback below the cached entries: rows read per query round. */
#define DB_PAGE (2 * TIMELINE_PAGE)

/* ------------------------------------------------------------------------------------------ */
/* The list's encoding (timeline.h) */

static void
put_u32(struct buf *b, uint32_t v)
{
	unsigned char p[4];
	int i;

	for (i = 3; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)(v & 0xff);
	buf_append(b, p, 4);
}

static void
put_u64(struct buf *b, uint64_t v)
{
	unsigned char p[8];
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)(v & 0xff);
	buf_append(b, p, 8);
}

static uint64_t
get_be(const unsigned char *p, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

void
timeline_entry_encode(uint64_t post, uint64_t author, struct buf *out)
{
	put_u64(out, post);
	put_u64(out, author);
}

void
timeline_list_encode(const struct timeline_list *l, struct buf *out)
{
	size_t i;

	buf_putc(out, (char)TIMELINE_LIST_VERSION);
	buf_putc(out, l->complete ? (char)TIMELINE_COMPLETE : 0);
	put_u32(out, (uint32_t)l->nfollow);
	put_u32(out, (uint32_t)l->npulled);
	for (i = 0; i < l->nfollow; i++)
		put_u64(out, l->follow[i]);
	for (i = 0; i < l->npulled; i++)
		put_u64(out, l->pulled[i]);
	for (i = 0; i < l->n; i++)
		timeline_entry_encode(l->e[i].post, l->e[i].author, out);
}

void
timeline_list_free(struct timeline_list *l)
{
	if (l == NULL)
		return;
	free(l->follow);
	free(l->pulled);
	free(l->e);
	*l = (struct timeline_list)TIMELINE_LIST_INIT;
}

int
timeline_list_decode(const void *data, size_t len, struct timeline_list *l)
{
	const unsigned char *p = data;
	uint64_t nf, np;
	size_t i, ids;

	timeline_list_free(l);
	if (len < 10 || p[0] != TIMELINE_LIST_VERSION || (p[1] & ~TIMELINE_COMPLETE) != 0)
		return -1;
	nf = get_be(p + 2, 4);
	np = get_be(p + 6, 4);
	/* Sizes checked against len before any allocation: a garbled count cannot ask for more
	 * memory than the value holds. */
	if (nf > (len - 10) / 8 || np > (len - 10) / 8 - nf)
		return -1;
	ids = 10 + 8 * (size_t)(nf + np);
	if ((len - ids) % TIMELINE_ENTRY_SIZE != 0)
		return -1;
	l->complete = p[1] & TIMELINE_COMPLETE;
	l->nfollow = (size_t)nf;
	l->npulled = (size_t)np;
	l->n = (len - ids) / TIMELINE_ENTRY_SIZE;
	l->follow = xcalloc(l->nfollow ? l->nfollow : 1, sizeof *l->follow);
	l->pulled = xcalloc(l->npulled ? l->npulled : 1, sizeof *l->pulled);
	l->e = xcalloc(l->n ? l->n : 1, sizeof *l->e);
	for (i = 0; i < l->nfollow; i++)
		l->follow[i] = get_be(p + 10 + 8 * i, 8);
	for (i = 0; i < l->npulled; i++)
		l->pulled[i] = get_be(p + 10 + 8 * (l->nfollow + i), 8);
	for (i = 0; i < l->n; i++) {
		l->e[i].post = get_be(p + ids + TIMELINE_ENTRY_SIZE * i, 8);
		l->e[i].author = get_be(p + ids + TIMELINE_ENTRY_SIZE * i + 8, 8);
	}
	for (i = 1; i < l->nfollow; i++) {
		if (l->follow[i - 1] >= l->follow[i]) {
			timeline_list_free(l);
			return -1;
		}
	}
	return 0;
}

static int
entry_newer_first(const void *a, const void *b)
{
	const struct timeline_entry *x = a, *y = b;

	return x->post < y->post ? 1 : x->post > y->post ? -1 : 0;
}

size_t
timeline_entries_sort(struct timeline_entry *e, size_t n)
{
	size_t i, k;

	if (n == 0)
		return 0;
	qsort(e, n, sizeof *e, entry_newer_first);
	for (i = k = 1; i < n; i++)
		if (e[i].post != e[k - 1].post)
			e[k++] = e[i];
	return k;
}

static int
u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* By shard, then by ID: the authors of one shard side by side. */
static int
by_shard(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	if (id_shard(x) != id_shard(y))
		return id_shard(x) < id_shard(y) ? -1 : 1;
	return u64_cmp(a, b);
}

static bool
has_id(const uint64_t *sorted, size_t n, uint64_t id)
{
	return n > 0 && bsearch(&id, sorted, n, sizeof id, u64_cmp) != NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* The database: the truth the lists are copies of */

/* A query of one shard failed: on a read that may be partial (partial not NULL) noted there,
 * and the read goes on with the other shards (returns true); else the read fails. */
static bool
shard_skipped(bool *partial)
{
	if (partial == NULL)
		return false;
	*partial = true;
	return true;
}

/*
 * The newest posts, quotes and reposts (not replies; live ones) of the n authors below the ID
 * below, at most limit of them, newest first, in *out (realloc'd; *nout entries). One query per
 * shard holding some of the authors, per DB_IN_MAX of them (each query's newest limit: their
 * merge holds the newest limit overall), all in one round (the instances answer at the same
 * time). *complete says that nothing older exists: no shard had more than it gave. A shard that
 * fails is skipped when partial is not NULL (shard_skipped).
 * Returns 0 or -1.
 */
static int
db_posts(struct app_env *env, const uint64_t *authors, size_t n, uint64_t below, size_t limit,
    struct timeline_entry **out, size_t *nout, bool *complete, bool *partial)
{
	uint64_t *a = xcalloc(n ? n : 1, sizeof *a);
	struct db_batch b = DB_BATCH_INIT;
	const struct db_rows *r;
	size_t i, k, got = 0;
	int rc = 0;

	*out = NULL;
	*nout = 0;
	*complete = true;
	memcpy(a, authors, n * sizeof *a);
	qsort(a, n, sizeof *a, by_shard);
	db_batch_add_in(env->db, &b, a, n, "SELECT id, user_id FROM {db}.tb_post WHERE user_id IN (",
	    ") AND is_deleted = 0 AND id < ? ORDER BY id DESC LIMIT ?",
	    DB_PARAMS(DB_U64(below), DB_I64(limit)));
	db_batch_run(env->db, &b);
	for (i = 0; i < b.n; i++) {
		if (b.q[i].rc != 0) {
			if (!shard_skipped(partial)) {
				rc = -1;
				break;
			}
			continue;
		}
		r = b.q[i].out;
		if (r->nrows >= limit)
			*complete = false;
		*out = xrealloc(*out, (got + r->nrows + 1) * sizeof **out);
		for (k = 0; k < r->nrows; k++) {
			(*out)[got].post = db_u64(r, k, 0);
			(*out)[got++].author = db_u64(r, k, 1);
		}
	}
	got = timeline_entries_sort(*out, got);
	if (got > limit) {
		got = limit;
		*complete = false;
	}
	*nout = got;
	db_batch_free(&b);
	free(a);
	return rc;
}

/* Those of the n users (sorted by shard) with at least push_max_followers followers, appended
 * to l->pulled. One query per shard, per DB_IN_MAX users, in one round; a shard that fails is
 * skipped, noted in l->partial (its users' posts cannot be read either). */
static void
db_pulled(struct app_env *env, const uint64_t *users, size_t n, struct timeline_list *l)
{
	if (user_with_followers(env, users, n, env->conf.timeline_push_max_followers, &l->pulled,
	    &l->npulled) > 0)
		l->partial = true;
}

/* Builds user's list from the database: whom they follow, which of those are pulled, and the
 * newest TIMELINE_CACHED posts of them all and of the user. The user's own shard must answer;
 * other shards that do not are left out, and l->partial says so. Returns 0 or -1 (l then
 * empty). */
static int
list_build(struct app_env *env, uint64_t user, struct timeline_list *l)
{
	uint64_t *authors = NULL;
	size_t n;
	int rc;

	timeline_list_free(l);
	if ((rc = graph_following_ids(env, user, &l->follow, &l->nfollow)) != 0)
		goto out;
	authors = xcalloc(l->nfollow + 1, sizeof *authors);
	qsort(l->follow, l->nfollow, sizeof *l->follow, u64_cmp);
	memcpy(authors, l->follow, l->nfollow * sizeof *authors);
	authors[l->nfollow] = user;
	n = l->nfollow + 1;
	qsort(authors, n, sizeof *authors, by_shard);
	db_pulled(env, authors, n, l);
	rc = db_posts(env, authors, n, NO_BOUND, TIMELINE_CACHED, &l->e, &l->n, &l->complete,
	    &l->partial);
	if (l->partial)
		log_warn("timeline of %" PRIu64 ": built without the shards that did not answer; "
		    "served, not cached", user);
out:
	if (rc != 0) {
		log_error("timeline of %" PRIu64 ": cannot build it from the database", user);
		timeline_list_free(l);
	}
	free(authors);
	return rc == 0 ? 0 : -1;
}

/* ------------------------------------------------------------------------------------------ */
/* The cache */

static void
tl_key(uint64_t user, char key[48])
{
	snprintf(key, 48, "tl:%" PRIu64, user);
}

static void
ul_key(uint64_t author, char key[48])
{
	snprintf(key, 48, "ul:%" PRIu64, author);
}

struct tl_load {
	struct app_env *env;
	uint64_t        user;
};

static int
tl_loader(void *arg, struct buf *out)
{
	struct tl_load *a = arg;
	struct timeline_list l = TIMELINE_LIST_INIT;
	int rc;

	if (list_build(a->env, a->user, &l) != 0)
		return -1;
	timeline_list_encode(&l, out);
	rc = l.partial ? CACHE_LOAD_PARTIAL : 1;
	timeline_list_free(&l);
	return rc;
}

/* user's list: the cached one, or built (and cached, under a lease: cache_get_or_load) on a
 * miss; a list built without some shards is used, not cached (l->partial). Returns 0 or -1. */
static int
list_get(struct app_env *env, uint64_t user, struct timeline_list *l)
{
	struct tl_load a = { env, user };
	struct buf v = BUF_INIT;
	char key[48];
	int rc;

	tl_key(user, key);
	rc = cache_get_or_load(env->cache, key, TL_TTL, tl_loader, &a, &v);
	if ((rc == 1 || rc == CACHE_LOAD_PARTIAL) && timeline_list_decode(v.data, v.len, l) != 0) {
		/* Another version, or bytes appended to something else: built again. */
		log_warn("cache %s: not a timeline list; rebuilt", key);
		(void)cache_delete(env->cache, key);
		rc = list_build(env, user, l) == 0 ? 1 : -1;
	} else if (rc == CACHE_LOAD_PARTIAL) {
		l->partial = true;
		rc = 1;
	}
	buf_free(&v);
	return rc == 1 ? 0 : -1;
}

/* "ul:<author>": byte 0 is 1 when the list holds every post of the author, then their post IDs
 * (8 bytes each), newest first. */
struct ul_load {
	struct app_env *env;
	uint64_t        author;
};

static int
ul_loader(void *arg, struct buf *out)
{
	struct ul_load *a = arg;
	struct timeline_entry *e = NULL;
	bool complete;
	size_t i, n;

	if (db_posts(a->env, &a->author, 1, NO_BOUND, UL_CACHED, &e, &n, &complete, NULL) != 0) {
		free(e);
		return -1;
	}
	buf_putc(out, complete ? 1 : 0);
	for (i = 0; i < n; i++)
		put_u64(out, e[i].post);
	free(e);
	return 1;
}

/* Adds the recent posts of the pulled authors to *c (*n entries, realloc'd): one multi-get for
 * all their lists, cache_get_or_load for the misses. *floor is raised to the oldest post of a
 * list that is not complete: below it, only the database knows. An author whose list cannot be
 * loaded (their shard down) is left out, noted in *partial. */
static void
add_pulled(struct app_env *env, const struct timeline_list *l, struct timeline_entry **c,
    size_t *n, uint64_t *floor, bool *partial)
{
	size_t np = l->npulled, i, k, m;
	char (*keys)[48] = xcalloc(np ? np : 1, sizeof *keys);
	const char **kp = xcalloc(np ? np : 1, sizeof *kp);
	struct buf *vals = xcalloc(np ? np : 1, sizeof *vals);
	bool *hit = xcalloc(np ? np : 1, sizeof *hit);

	for (i = 0; i < np; i++) {
		ul_key(l->pulled[i], keys[i]);
		kp[i] = keys[i];
	}
	if (np > 0 && cache_mget(env->cache, kp, np, vals, hit) < 0)
		memset(hit, 0, np * sizeof *hit);
	for (i = 0; i < np; i++) {
		struct ul_load a = { env, l->pulled[i] };

		if (!hit[i] || vals[i].len % 8 != 1) {
			buf_reset(&vals[i]);
			if (cache_get_or_load(env->cache, keys[i], UL_TTL, ul_loader, &a, &vals[i]) != 1 ||
			    vals[i].len % 8 != 1) {
				*partial = true;
				continue;
			}
		}
		m = vals[i].len / 8;
		*c = xrealloc(*c, (*n + m + 1) * sizeof **c);
		for (k = 0; k < m; k++) {
			(*c)[*n].post = get_be((const unsigned char *)vals[i].data + 1 + 8 * k, 8);
			(*c)[(*n)++].author = l->pulled[i];
		}
		if (vals[i].data[0] != 1 && m > 0 &&
		    get_be((const unsigned char *)vals[i].data + 1 + 8 * (m - 1), 8) > *floor)
			*floor = get_be((const unsigned char *)vals[i].data + 1 + 8 * (m - 1), 8);
	}
	for (i = 0; i < np; i++)
		buf_free(&vals[i]);
	free(keys);
	free(kp);
	free(vals);
	free(hit);
}

int
timeline_build(struct app_env *env, uint64_t user_id)
{
	struct timeline_list l = TIMELINE_LIST_INIT;
	int rc;

	if (!db_id_has_shard(env->db, user_id))
		return -1;
	rc = list_get(env, user_id, &l);
	timeline_list_free(&l);
	return rc;
}

void
timeline_forget(struct app_env *env, uint64_t user_id)
{
	char key[48];

	tl_key(user_id, key);
	(void)cache_delete(env->cache, key);
}

/* ------------------------------------------------------------------------------------------ */
/* Reading a page */

/* Whether the viewer is shown an author's posts (asked once per author and page). */
struct author_ok {
	size_t    n, cap;
	uint64_t *id;
	bool     *ok;
};

/* The viewer themself; anyone they follow (the set of the list), unless either blocks the
 * other or the viewer mutes them. An author whose relations cannot be read (their shard down)
 * is not shown, noted in *partial. Returns 1 shown, 0 not. */
static int
author_shown(struct app_env *env, const struct timeline_list *l, uint64_t viewer,
    struct author_ok *memo, uint64_t author, bool *partial)
{
	size_t i;
	int b, m;

	for (i = 0; i < memo->n; i++)
		if (memo->id[i] == author)
			return memo->ok[i];
	if (author != viewer && !has_id(l->follow, l->nfollow, author)) {
		b = 1;    /* no longer followed: a push that raced the unfollow */
	} else if (author == viewer) {
		b = 0;
	} else {
		if ((b = graph_blocked_either(env, viewer, author)) < 0 ||
		    (m = graph_muted(env, viewer, author)) < 0) {
			*partial = true;
			b = 1;
		} else {
			b = b || m;
		}
	}
	if (memo->n == memo->cap) {
		memo->cap = memo->cap ? 2 * memo->cap : 16;
		memo->id = xrealloc(memo->id, memo->cap * sizeof *memo->id);
		memo->ok = xrealloc(memo->ok, memo->cap * sizeof *memo->ok);
	}
	memo->id[memo->n] = author;
	memo->ok[memo->n++] = !b;
	return !b;
}

/* The candidates of a page, newest first: the cached and pulled entries down to floor, then
 * the database below it, a round at a time. */
struct source {
	struct timeline_entry *e;
	size_t                 n, pos;
	uint64_t               floor;    /* 0: nothing older exists beyond e */
};

/* Refills s from the database below min(below, s->floor) once the cached entries ran out. */
static int
source_refill(struct app_env *env, const struct timeline_list *l, uint64_t viewer,
    uint64_t below, struct source *s, bool *partial)
{
	uint64_t *authors = xcalloc(l->nfollow + 1, sizeof *authors);
	bool complete;
	int rc;

	memcpy(authors, l->follow, l->nfollow * sizeof *authors);
	authors[l->nfollow] = viewer;
	if (s->floor < below)
		below = s->floor;
	free(s->e);
	rc = db_posts(env, authors, l->nfollow + 1, below, DB_PAGE, &s->e, &s->n, &complete,
	    partial);
	s->pos = 0;
	s->floor = complete || s->n == 0 ? 0 : s->e[s->n - 1].post;
	free(authors);
	return rc;
}

/* Drops the candidates of s at or below since (0: none), newest first as they are: a page of
 * posts newer than since ends there, so nothing older is read from the database either. */
static void
source_cut(struct source *s, uint64_t since)
{
	size_t i;

	if (since == 0)
		return;
	for (i = s->pos; i < s->n && s->e[i].post > since; i++)
		;
	if (i < s->n || (s->floor != 0 && s->floor <= since)) {
		s->n = i;
		s->floor = 0;
	}
}

/* How many candidates the first round of a page fetches ahead: the page, and a few for the
 * posts the walk leaves out (a muted author, a deleted post). More are read as the walk needs
 * them. */
#define PREFETCH_AHEAD (TIMELINE_PAGE + TIMELINE_PAGE / 4)

/* Fetches what the walk and post_view_many read first for the next candidates of s, in one
 * round (cache.h's prefetch): the posts with their counts, their authors and the viewer's
 * relations to them. */
static void
prefetch_ahead(struct ctx *ctx, const struct source *s)
{
	struct cache_keys ks = CACHE_KEYS_INIT;
	size_t i;

	for (i = s->pos; i < s->n && i < s->pos + PREFETCH_AHEAD; i++) {
		post_keys(&ks, s->e[i].post);
		user_keys(&ks, s->e[i].author);
		graph_keys(&ks, ctx->user_id, s->e[i].author);
	}
	(void)cache_keys_prefetch(ctx->env->cache, &ks);
	cache_keys_free(&ks);
}

enum apierr
timeline_home(struct ctx *ctx, uint64_t cursor, uint64_t since, json_object **out)
{
	struct app_env *env = ctx->env;
	struct timeline_list l = TIMELINE_LIST_INIT;
	struct source s = { NULL, 0, 0, 0 };
	struct author_ok memo = { 0, 0, NULL, NULL };
	json_object *views[TIMELINE_PAGE], *posts = NULL;
	uint64_t ids[TIMELINE_PAGE], below = cursor ? cursor : NO_BOUND, last = 0;
	size_t i, k, shown = 0, nids;
	char key[48], next[24];
	bool partial = false;
	int rc = APIERR_OK;

	*out = NULL;
	if (list_get(env, ctx->user_id, &l) != 0) {
		rc = ctx_fail(ctx, APIERR_UNAVAILABLE, NULL);
		goto out;
	}
	if (l.n > TL_MAX_ENTRIES) {
		tl_key(ctx->user_id, key);
		(void)cache_delete(env->cache, key);
	}
	/* The cached entries, exact down to the oldest of a list that is not complete. */
	s.floor = 0;
	for (i = 0; !l.complete && i < l.n; i++)
		if (s.floor == 0 || l.e[i].post < s.floor)
			s.floor = l.e[i].post;
	s.e = xcalloc(l.n + 1, sizeof *s.e);
	memcpy(s.e, l.e, l.n * sizeof *s.e);
	s.n = l.n;
	partial = l.partial;
	add_pulled(env, &l, &s.e, &s.n, &s.floor, &partial);
	s.n = timeline_entries_sort(s.e, s.n);
	for (k = i = 0; i < s.n; i++)
		if (s.e[i].post < below && s.e[i].post >= s.floor)
			s.e[k++] = s.e[i];
	s.n = k;
	source_cut(&s, since);

	posts = json_object_new_array();
	prefetch_ahead(ctx, &s);
	while (shown < TIMELINE_PAGE) {
		/* The next candidates of authors the viewer is shown, no more than the page lacks:
		 * the page never reads past its last post, which becomes the cursor. */
		for (nids = 0; nids < TIMELINE_PAGE - shown && s.pos < s.n; s.pos++)
			if (author_shown(env, &l, ctx->user_id, &memo, s.e[s.pos].author, &partial))
				ids[nids++] = s.e[s.pos].post;
		if (nids == 0) {
			/* This source ran out. */
			if (s.floor == 0)
				break;  /* nothing older anywhere */
			if (source_refill(env, &l, ctx->user_id, below, &s, &partial) != 0) {
				rc = ctx_fail(ctx, APIERR_UNAVAILABLE, NULL);
				goto out;
			}
			source_cut(&s, since);
			prefetch_ahead(ctx, &s);
			continue;
		}
		if ((rc = post_view_many(ctx, ids, nids, views, &partial)) != APIERR_OK)
			goto out;
		for (i = 0; i < nids; i++) {
			if (views[i] == NULL)
				continue;   /* deleted, or a block the page learnt of just now */
			json_object_array_add(posts, views[i]);
			last = ids[i];
			shown++;
		}
	}
	/* A full page has a next one while candidates are left here or in the database. */
	if (shown == TIMELINE_PAGE && (s.pos < s.n || s.floor != 0))
		snprintf(next, sizeof next, "%" PRIu64, last);
	else
		snprintf(next, sizeof next, "%s", ROUTE_CURSOR_END);
	*out = json_object_new_object();
	json_object_object_add(*out, "posts", posts);
	json_object_object_add(*out, "cursor", json_object_new_string(next));
	partial_mark(*out, partial);
	posts = NULL;
out:
	json_object_put(posts);
	timeline_list_free(&l);
	free(s.e);
	free(memo.id);
	free(memo.ok);
	return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Jobs */

/* Appends (post, author) to user's list if it is cached. A list that took no append (too
 * large, or a failed node) is dropped, so it is rebuilt whole instead of missing the post. */
static void
push_to(struct app_env *env, uint64_t user, const struct buf *e)
{
	char key[48];

	tl_key(user, key);
	if (cache_append(env->cache, key, e->data, e->len) < 0)
		(void)cache_delete(env->cache, key);
}

/* The same into the lists of the n followers: one batch (cache_append_many), so one round trip
 * per memcached node, not one per follower; the lists that took no append are dropped, one
 * delete each (many only when a node failed: then the push is slow, never wrong). */
static void
push_to_many(struct app_env *env, const uint64_t *followers, size_t n, const struct buf *e)
{
	char (*keys)[48] = xcalloc(n ? n : 1, sizeof *keys);
	const char **kp = xcalloc(n ? n : 1, sizeof *kp);
	int *res = xcalloc(n ? n : 1, sizeof *res);
	size_t i;

	for (i = 0; i < n; i++) {
		tl_key(followers[i], keys[i]);
		kp[i] = keys[i];
	}
	if (n > 0)
		(void)cache_append_many(env->cache, kp, n, e->data, e->len, res);
	for (i = 0; i < n; i++)
		if (res[i] < 0)
			(void)cache_delete(env->cache, keys[i]);
	free(keys);
	free(kp);
	free(res);
}

/* The part of a push the author reads: their own list, and their pulled copy "ul:<author>"
 * (dropped first: readers load it again with the post). */
static void
push_author(struct app_env *env, uint64_t author, const struct buf *e)
{
	char key[48];

	ul_key(author, key);
	(void)cache_delete(env->cache, key);
	push_to(env, author, e);
}

int
timeline_push_job(struct app_env *env, json_object *payload, struct buf *err)
{
	struct buf e = BUF_INIT;
	uint64_t post = job_payload_id(payload, "post_id"), author, *followers = NULL;
	int64_t nfollowers;
	size_t n = 0;
	int rc = -1, live;

	if (!db_id_has_shard(env->db, post)) {
		buf_puts(err, "timeline.push: post_id missing or on no shard");
		return -1;
	}
	/* The count from the database, not the cache: it decides push or pull. */
	if ((live = post_push_facts(env, post, &author, &nfollowers)) < 0)
		goto db_failed;
	if (live == 0) {
		rc = 0;     /* deleted before its push (or not a post): nothing to show anywhere */
		goto out;
	}
	timeline_entry_encode(post, author, &e);
	push_author(env, author, &e);
	if (nfollowers >= env->conf.timeline_push_max_followers) {
		rc = 0;     /* pulled by each follower at read time */
		goto out;
	}
	if (graph_follower_ids(env, author, &followers, &n) != 0)
		goto db_failed;
	push_to_many(env, followers, n, &e);
	rc = 0;
	goto out;
db_failed:
	buf_printf(err, "timeline.push of %" PRIu64 ": the database failed", post);
out:
	free(followers);
	buf_free(&e);
	return rc;
}

bool
timeline_push_deferred(struct app_env *env, uint64_t author)
{
	json_object *counts = json_object_new_object(), *v;
	long long n = -1;

	/* From the cached counters: this only chooses who runs the push (the job reads the
	 * database before it pushes or leaves the post to be pulled). */
	if (user_add_counts(env, author, counts) == 1 &&
	    json_object_object_get_ex(counts, "countFollowers", &v))
		n = json_object_get_int64(v);
	json_object_put(counts);
	/* A pulled author's push touches their own lists only: cheap, so it runs at once too. */
	return n > env->conf.timeline_push_inline_max && n < env->conf.timeline_push_max_followers;
}

void
timeline_push_own(struct app_env *env, uint64_t post, uint64_t author)
{
	struct buf e = BUF_INIT;

	timeline_entry_encode(post, author, &e);
	push_author(env, author, &e);
	buf_free(&e);
}

int
timeline_build_job(struct app_env *env, json_object *payload, struct buf *err)
{
	uint64_t user = job_payload_id(payload, "user_id");

	if (!db_id_has_shard(env->db, user)) {
		buf_puts(err, "timeline.build: user_id missing or on no shard");
		return -1;
	}
	if (timeline_build(env, user) != 0) {
		buf_printf(err, "timeline.build of %" PRIu64 ": the database failed", user);
		return -1;
	}
	return 0;
}

void
timeline_queue_build(struct ctx *ctx, uint64_t user_id)
{
	json_object *payload = NULL;
	struct buf v = BUF_INIT;
	uint64_t id;
	unsigned shard = id_shard(user_id);
	char key[48], idtext[24];

	/* A list that is cached is kept current by pushes: nothing to build. */
	tl_key(user_id, key);
	if (cache_get(ctx->env->cache, key, &v) == 1)
		goto out;
	if (ctx_new_id(ctx, shard, &id) != 0)
		goto failed;
	snprintf(idtext, sizeof idtext, "%" PRIu64, user_id);
	payload = json_object_new_object();
	json_object_object_add(payload, "user_id", json_object_new_string(idtext));
	if (job_queue_alone(ctx->env->db, shard, id, "timeline.build", payload) != 0)
		goto failed;
	goto out;
failed:
	log_warn("timeline of %" PRIu64 ": could not queue its build; the first read builds it",
	    user_id);
out:
	json_object_put(payload);
	buf_free(&v);
}
