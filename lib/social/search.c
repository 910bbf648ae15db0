/* search.c: search and the hashtag timeline (search.h has the contract, docs/search.md the
 * reasons). */
#include "config.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "apierr.h"
#include "cache.h"
#include "ctx.h"
#include "db.h"
#include "graph.h"
#include "partial.h"
#include "post.h"
#include "route.h"
#include "search.h"
#include "shard.h"
#include "text.h"
#include "user.h"
#include "utf8.h"
#include "valid.h"
#include "xalloc.h"

/* InnoDB's default innodb_ft_min_token_size: shorter words are not in the index. */
#define FT_MIN_CHARS 3
/* A username key is at most this long (tb_username_lookup.username_key). */
#define USERNAME_KEY_MAX 32

/* InnoDB's default stopword list (information_schema.INNODB_FT_DEFAULT_STOPWORD): never in the
 * index, so a required one would make every search fail. */
static const char *const stopwords[] = {
	"a", "about", "an", "are", "as", "at", "be", "by", "com", "de", "en", "for", "from", "how",
	"i", "in", "is", "it", "la", "of", "on", "or", "that", "the", "this", "to", "was", "what",
	"when", "where", "who", "will", "with", "und", "www",
};

/* ---------------------------------------------------------------------------------------------
 * The query side of the FULLTEXT index. */

static bool
stopword(const char *w, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof stopwords / sizeof stopwords[0]; i++)
		if (strlen(stopwords[i]) == n && memcmp(stopwords[i], w, n) == 0)
			return true;
	return false;
}

/* Whether a token of the search form is one of the "cj" tokens text.c writes for CJK text:
 * "cj" and one or two CJK characters. 1 or 2 (the characters), 0 for an ordinary word. The test
 * asks text_search_form itself (a CJK character alone comes back as "cj<c>", a pair as
 * "cj<c1c2> cj<c2>"), so both sides agree on what is CJK by construction. */
static int
cjk_token(const char *t, size_t n)
{
	struct buf f = BUF_INIT;
	size_t chars, rest = n - 2;
	int rc = 0;

	if (n < 3 || memcmp(t, "cj", 2) != 0)
		return 0;
	chars = utf8_count(t + 2, rest);
	if (chars < 1 || chars > 2 || text_search_form(t + 2, rest, &f) != 0)
		goto out;
	if (f.len >= n && memcmp(f.data, t, n) == 0 && (f.len == n || f.data[n] == ' '))
		rc = (int)chars;
out:
	buf_free(&f);
	return rc;
}

/* Adds each indexable word of an ordinary token as a required, quoted term: quoting keeps
 * InnoDB's operators (+ - * " ( ) ~ < > @) inert, and the words are cut where its parser cuts. */
static size_t
add_words(const char *t, size_t n, struct buf *out)
{
	size_t i = 0, start = 0, chars = 0, terms = 0;
	utf8proc_ssize_t len;
	int32_t cp;

	while (i <= n) {
		len = 1;
		cp = -1;
		if (i < n) {
			len = utf8proc_iterate((const utf8proc_uint8_t *)t + i,
			    (utf8proc_ssize_t)(n - i), &cp);
			if (len <= 0) {
				len = 1;
				cp = -1;
			}
		}
		if (i < n && cp >= 0 && text_word_char(cp)) {
			if (chars++ == 0)
				start = i;
		} else if (chars > 0) {
			if (chars >= FT_MIN_CHARS && !stopword(t + start, i - start)) {
				buf_printf(out, "%s+\"", out->len ? " " : "");
				buf_append(out, t + start, i - start);
				buf_putc(out, '"');
				terms++;
			}
			chars = 0;
		}
		i += (size_t)len;
	}
	return terms;
}

int
search_boolean_query(const char *q, size_t n, struct buf *out)
{
	struct buf form = BUF_INIT, terms = BUF_INIT, phrase = BUF_INIT;
	size_t i, j, nterms = 0;
	int kind, rc = -1;

	if (text_search_form(q, n, &form) != 0)
		goto out;
	for (i = 0; i < form.len; i = j + 1) {
		for (j = i; j < form.len && form.data[j] != ' '; j++)
			;
		if (j == i)
			continue;
		kind = cjk_token(form.data + i, j - i);
		if (kind == 2) {
			/* A bigram: part of the run's phrase, which its last character ends. */
			buf_puts(&phrase, phrase.len ? " " : "");
			buf_append(&phrase, form.data + i, j - i);
		} else if (kind == 1 && phrase.len > 0) {
			/* The run's last character alone is only written after a run's end in the text
			 * too, so it is not part of the phrase: "北京" matches inside "北京天安门". */
			buf_printf(&terms, "%s+\"%s\"", terms.len ? " " : "", buf_cstr(&phrase));
			buf_reset(&phrase);
			nterms++;
		} else if (kind == 1) {
			/* One character: every token starting with it, bigram or alone. */
			buf_puts(&terms, terms.len ? " +" : "+");
			buf_append(&terms, form.data + i, j - i);
			buf_putc(&terms, '*');
			nterms++;
		} else {
			nterms += add_words(form.data + i, j - i, &terms);
		}
	}
	if (nterms > 0)
		buf_append(out, terms.data, terms.len);
	rc = (int)nterms;
out:
	buf_free(&phrase);
	buf_free(&terms);
	buf_free(&form);
	return rc;
}

void
search_like_prefix(const char *s, size_t n, struct buf *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '!' || s[i] == '%' || s[i] == '_')
			buf_putc(out, '!');
		buf_putc(out, s[i]);
	}
	buf_putc(out, '%');
}

/* ---------------------------------------------------------------------------------------------
 * What a viewer may see. */

/* Adds the visible views of ids[0..n) (n at most SEARCH_PAGE) to list, loaded together; with
 * partial, those that cannot be read are left out (post_view_many). */
static int
add_views(struct ctx *ctx, const uint64_t *ids, size_t n, json_object *list, bool *partial)
{
	json_object *views[SEARCH_PAGE];
	size_t i;
	int rc;

	if ((rc = post_view_many(ctx, ids, n, views, partial)) != APIERR_OK)
		return rc;
	for (i = 0; i < n; i++)
		if (views[i] != NULL)
			json_object_array_add(list, views[i]);
	return APIERR_OK;
}

/* A record read for a page, with its own author (tb_post.user_id, tb_post_reply_hashtag.user_id)
 * so that mutes are decided before any view is loaded. */
struct hit {
	uint64_t id;
	uint64_t author;
};

/* Copies to ids, in order, the IDs of hits[0..n) (n at most SEARCH_PAGE) whose author the viewer
 * does not mute, and sets *kept. A record is judged by its own author, as the home timeline
 * judges its entries (lib/social/timeline.c author_shown): a quote by someone else of a muted
 * author's post stays. Each author is asked once: a page is often one author's. An author whose
 * mute cannot be read (a shard down) is left out, noted in *partial. */
static void
drop_muted(struct ctx *ctx, const struct hit *hits, size_t n, uint64_t *ids, size_t *kept,
    bool *partial)
{
	bool muted[SEARCH_PAGE];
	size_t i, j;
	int m;

	*kept = 0;
	for (i = 0; i < n && i < SEARCH_PAGE; i++) {
		for (j = 0; j < i && hits[j].author != hits[i].author; j++)
			;
		if (j < i) {
			muted[i] = muted[j];
		} else {
			if ((m = graph_muted(ctx->env, ctx->user_id, hits[i].author)) < 0)
				*partial = true;
			muted[i] = m != 0;
		}
		if (!muted[i])
			ids[(*kept)++] = hits[i].id;
	}
}

/* {<name>: list, cursor: "<last>" or "-1"}, and "partial": true when some shards did not
 * answer: takes list. */
static json_object *
page_of(const char *name, json_object *list, const char *next, bool partial)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, name, list);
	json_object_object_add(o, "cursor", json_object_new_string(next ? next : ROUTE_CURSOR_END));
	partial_mark(o, partial);
	return o;
}

int
search_user_card(struct app_env *env, uint64_t id, json_object **out)
{
	static const char *const fields[] = { "id", "username", "displayName", "avatarUrl",
	    "description", NULL };

	/* Suspended accounts are not offered to anyone. */
	return user_pick_shown(env, id, fields, out);
}

/* ---------------------------------------------------------------------------------------------
 * Posts. */

/* Runs sql on every shard in one concurrent round, one statement per instance
 * (db_exec_instances), each statement's rows to each. An instance that fails is left out, noted
 * in *partial: the answer is what the others hold. Returns APIERR_OK, or APIERR_UNAVAILABLE
 * recorded when no instance answered. */
static int
all_shards(struct ctx *ctx, const char *sql, const struct db_val *p, size_t np, db_rows_fn each,
    void *arg, bool *partial)
{
	size_t n = db_instance_count(ctx->env->db);
	size_t failed = db_exec_instances(ctx->env->db, sql, p, np, each, arg, NULL);

	if (failed == n)
		return ctx_fail(ctx, APIERR_UNAVAILABLE, NULL);
	*partial = *partial || failed > 0;
	return APIERR_OK;
}

static int
cmp_id_desc(const void *a, const void *b)
{
	uint64_t x = ((const struct hit *)a)->id, y = ((const struct hit *)b)->id;

	return x < y ? 1 : x > y ? -1 : 0;
}

/* Per shard, one statement: the newest SEARCH_PAGE + 1 posts and quotes (tb_post) and the newest
 * SEARCH_PAGE + 1 replies (tb_post_reply) below the cursor, each through its own FULLTEXT index,
 * then the newest SEARCH_PAGE + 1 of both: together they hold the shard's part of the page and
 * say whether another one follows. A reply whose thread's post is deleted is gone with it (as
 * post_replies has it); the post is on the same shard (a reply lives with its thread), so that
 * is a primary-key join. A deleted record's search_text is empty already; is_deleted = 0 is
 * what says it is gone, and costs nothing on rows the index found. */
static const char posts_sql[] =
    "SELECT id, user_id FROM ("
    "(SELECT id, user_id FROM {db}.tb_post WHERE MATCH(search_text) AGAINST(? IN BOOLEAN MODE) "
    "AND id < ? AND is_deleted = 0 ORDER BY id DESC LIMIT ?) UNION ALL "
    "(SELECT r.id, r.user_id FROM {db}.tb_post_reply r JOIN {db}.tb_post p ON p.id = r.post_id "
    "WHERE MATCH(r.search_text) AGAINST(? IN BOOLEAN MODE) AND r.id < ? AND r.is_deleted = 0 "
    "AND p.is_deleted = 0 ORDER BY r.id DESC LIMIT ?)) t ORDER BY id DESC LIMIT ?";

/* The hits of the shards, as their statements come in. */
struct hits {
	struct hit *v;
	size_t      n, max;
};

static int
add_hits(const struct db_rows *r, void *arg)
{
	struct hits *h = arg;
	size_t i;

	for (i = 0; i < r->nrows && h->n < h->max; i++) {
		h->v[h->n].id = db_u64(r, i, 0);
		h->v[h->n++].author = db_u64(r, i, 1);
	}
	return 0;
}

enum apierr
search_posts(struct ctx *ctx, const char *q, uint64_t cursor, json_object **out)
{
	unsigned nshards = shard_count(db_shards(ctx->env->db));
	struct buf query = BUF_INIT;
	struct hit *hits = xcalloc((size_t)nshards * (SEARCH_PAGE + 1), sizeof *hits);
	struct hits h = { hits, 0, (size_t)nshards * (SEARCH_PAGE + 1) };
	uint64_t ids[SEARCH_PAGE];
	json_object *list = json_object_new_array();
	uint64_t before = cursor ? cursor : UINT64_MAX;
	size_t n = 0, take, kept;
	bool partial = false;
	char next[24];
	int rc;

	*out = NULL;
	rc = search_boolean_query(q, strlen(q), &query);
	if (rc <= 0) {
		rc = ctx_fail(ctx, APIERR_INVALID_PARAM, "q: no word to search for (words need %d "
		    "letters or more, common English words are not indexed; one Chinese, Japanese "
		    "or Korean character is enough)", FT_MIN_CHARS);
		goto out;
	}
	/* Posts and replies share one ID space (time-ordered), so one ID cursor pages through
	 * both. */
	if ((rc = all_shards(ctx, posts_sql, DB_PARAMS(DB_STR(buf_cstr(&query)),
	    DB_U64(before), DB_I64(SEARCH_PAGE + 1), DB_STR(buf_cstr(&query)), DB_U64(before),
	    DB_I64(SEARCH_PAGE + 1), DB_I64(SEARCH_PAGE + 1)), add_hits, &h, &partial)) !=
	    APIERR_OK)
		goto out;
	n = h.n;
	qsort(hits, n, sizeof *hits, cmp_id_desc);
	take = n > SEARCH_PAGE ? SEARCH_PAGE : n;
	drop_muted(ctx, hits, take, ids, &kept, &partial);
	if ((rc = add_views(ctx, ids, kept, list, &partial)) != APIERR_OK)
		goto out;
	/* The cursor is the last ID read, shown or not, so what was left out is not read again. */
	if (n > SEARCH_PAGE)
		snprintf(next, sizeof next, "%" PRIu64, hits[take - 1].id);
	*out = page_of("posts", list, n > SEARCH_PAGE ? next : NULL, partial);
	list = NULL;
	rc = APIERR_OK;
out:
	json_object_put(list);
	buf_free(&query);
	free(hits);
	return rc;
}

/* ---------------------------------------------------------------------------------------------
 * Users. */

struct name_hit {
	char     *key;    /* lowercased username */
	uint64_t  id;
};

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(((const struct name_hit *)a)->key, ((const struct name_hit *)b)->key);
}

/* A users cursor: a lowercased username as a previous page gave it. */
static bool
name_cursor_ok(const char *c)
{
	size_t i, n = strlen(c);

	if (n == 0 || n > USERNAME_KEY_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!((c[i] >= 'a' && c[i] <= 'z') || (c[i] >= '0' && c[i] <= '9') || c[i] == '_'))
			return false;
	return true;
}

/* Both halves are ordered by the lowercased username as bytes (utf8mb4_bin), the order the
 * merge below sorts in with strcmp; a collation order (where '_' sorts before digits) would not
 * merge. Each half gives SEARCH_PAGE + 1 rows per shard: enough for the page and its "more". */
static const char users_sql[] =
    "(SELECT username_key AS k, user_id FROM {db}.tb_username_lookup WHERE username_key LIKE ? "
    "ESCAPE '!' AND username_key > ? ORDER BY username_key LIMIT ?) UNION ALL "
    "(SELECT LOWER(username) COLLATE utf8mb4_bin AS k, id FROM {db}.tb_user WHERE display_name "
    "LIKE ? ESCAPE '!' AND LOWER(username) COLLATE utf8mb4_bin > ? ORDER BY k LIMIT ?)";

struct name_hits {
	struct name_hit *v;
	size_t           n, max;
};

static int
add_name_hits(const struct db_rows *r, void *arg)
{
	struct name_hits *h = arg;
	size_t i;

	for (i = 0; i < r->nrows && h->n < h->max; i++) {
		h->v[h->n].key = xstrdup(db_str(r, i, 0));
		h->v[h->n++].id = db_u64(r, i, 1);
	}
	return 0;
}

/* The cards of the page and the viewer's relations to them, asked of the nodes in one round:
 * the loop below then finds each in the request's memo instead of a round trip per card. */
static void
prefetch_cards(struct ctx *ctx, const struct name_hit *hits, size_t n)
{
	struct cache_keys ks = CACHE_KEYS_INIT;
	size_t i;

	for (i = 0; i < n && i < 2 * SEARCH_PAGE + 2; i++) {
		user_keys(&ks, hits[i].id);
		graph_keys(&ks, ctx->user_id, hits[i].id);
	}
	(void)cache_keys_prefetch(ctx->env->cache, &ks);
	cache_keys_free(&ks);
}

enum apierr
search_users(struct ctx *ctx, const char *q, const char *cursor, json_object **out)
{
	unsigned nshards = shard_count(db_shards(ctx->env->db));
	struct buf lower = BUF_INIT, name_pat = BUF_INIT, display_pat = BUF_INIT;
	struct name_hit *hits = xcalloc((size_t)nshards * 2 * (SEARCH_PAGE + 1), sizeof *hits);
	struct name_hits h = { hits, 0, (size_t)nshards * 2 * (SEARCH_PAGE + 1) };
	json_object *list = json_object_new_array(), *card;
	const char *after = cursor != NULL ? cursor : "";
	size_t n = 0, i, distinct = 0, last = 0;
	bool partial = false;
	int rc;

	*out = NULL;
	if (*after != '\0' && !name_cursor_ok(after)) {
		rc = ctx_fail(ctx, APIERR_INVALID_PARAM, "cursor: a username from the previous page");
		goto out;
	}
	if (*q == '@')
		q++;
	if (*q == '\0') {
		rc = ctx_fail(ctx, APIERR_INVALID_PARAM, "q: a name to search for");
		goto out;
	}
	valid_lower_ascii(q, strlen(q), &lower);
	search_like_prefix(lower.data, lower.len, &name_pat);
	search_like_prefix(q, strlen(q), &display_pat);
	rc = all_shards(ctx, users_sql, DB_PARAMS(DB_STR(buf_cstr(&name_pat)),
	    DB_STR(after), DB_I64(SEARCH_PAGE + 1), DB_STR(buf_cstr(&display_pat)), DB_STR(after),
	    DB_I64(SEARCH_PAGE + 1)), add_name_hits, &h, &partial);
	n = h.n;
	if (rc != APIERR_OK)
		goto out;
	qsort(hits, n, sizeof *hits, cmp_name);
	prefetch_cards(ctx, hits, n);
	/* A user can come twice: from the username lookup (on the name's shard) and from the
	 * display name (on the user's). Equal keys are next to each other. */
	for (i = 0; i < n; i++) {
		if (i > 0 && strcmp(hits[i].key, hits[i - 1].key) == 0)
			continue;
		if (++distinct > SEARCH_PAGE)
			break;
		last = i;
		/* A card or a block that cannot be read (its shard down): left out. */
		if (search_user_card(ctx->env, hits[i].id, &card) < 0) {
			partial = true;
			continue;
		}
		if (card == NULL)
			continue;
		rc = graph_blocked_either(ctx->env, ctx->user_id, hits[i].id);
		if (rc != 0) {
			json_object_put(card);
			partial = partial || rc < 0;
			continue;
		}
		json_object_array_add(list, card);
	}
	*out = page_of("users", list, distinct > SEARCH_PAGE ? hits[last].key : NULL, partial);
	list = NULL;
	rc = APIERR_OK;
out:
	for (i = 0; i < n; i++)
		free(hits[i].key);
	free(hits);
	json_object_put(list);
	buf_free(&lower);
	buf_free(&name_pat);
	buf_free(&display_pat);
	return rc;
}

/* ---------------------------------------------------------------------------------------------
 * Hashtags. */

struct tag_hit {
	char     *key, *name;
	uint64_t  count;
};

/* The most used first; equal counts by key, so the order never depends on the shard. */
static int
cmp_tag(const void *a, const void *b)
{
	const struct tag_hit *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->key, y->key);
}

/* The key prefix of a typed tag: without '#' and surrounding white space, NFC and case-folded
 * as text.c makes tag keys. Returns 0, or -1 when nothing is left or it is not UTF-8. */
static int
tag_prefix(const char *q, struct buf *out)
{
	utf8proc_uint8_t *m = NULL;
	utf8proc_ssize_t len;
	size_t n;

	while (*q == ' ' || *q == '\t')
		q++;
	if (*q == '#')
		q++;
	n = strlen(q);
	while (n > 0 && (q[n - 1] == ' ' || q[n - 1] == '\t'))
		n--;
	if (n == 0)
		return -1;
	len = utf8proc_map((const utf8proc_uint8_t *)q, (utf8proc_ssize_t)n, &m,
	    (utf8proc_option_t)(UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD));
	if (len <= 0) {
		free(m);
		return -1;
	}
	buf_append(out, m, (size_t)len);
	free(m);
	return 0;
}

struct tag_hits {
	struct tag_hit *v;
	size_t          n, max;
};

static int
add_tag_hits(const struct db_rows *r, void *arg)
{
	struct tag_hits *h = arg;
	size_t i;

	for (i = 0; i < r->nrows && h->n < h->max; i++) {
		h->v[h->n].key = xstrdup(db_str(r, i, 0));
		h->v[h->n].name = xstrdup(db_str(r, i, 1));
		h->v[h->n++].count = db_u64(r, i, 2);
	}
	return 0;
}

enum apierr
search_hashtags(struct ctx *ctx, const char *q, json_object **out)
{
	unsigned nshards = shard_count(db_shards(ctx->env->db));
	struct buf prefix = BUF_INIT, pat = BUF_INIT;
	struct tag_hit *hits = xcalloc((size_t)nshards * SEARCH_TAGS_MAX, sizeof *hits);
	struct tag_hits h = { hits, 0, (size_t)nshards * SEARCH_TAGS_MAX };
	bool partial = false;
	json_object *list = json_object_new_array(), *o;
	size_t n = 0, i;
	int rc;

	*out = NULL;
	if (tag_prefix(q, &prefix) != 0) {
		rc = ctx_fail(ctx, APIERR_INVALID_PARAM, "q: the start of a hashtag");
		goto out;
	}
	search_like_prefix(prefix.data, prefix.len, &pat);
	rc = all_shards(ctx, "SELECT tag_key, tag_name, count_mentions FROM {db}.tb_hashtag WHERE "
	    "tag_key LIKE ? ESCAPE '!' AND count_mentions > 0 ORDER BY count_mentions DESC, tag_key "
	    "LIMIT ?", DB_PARAMS(DB_STR(buf_cstr(&pat)), DB_I64(SEARCH_TAGS_MAX)),
	    add_tag_hits, &h, &partial);
	n = h.n;
	if (rc != APIERR_OK)
		goto out;
	qsort(hits, n, sizeof *hits, cmp_tag);
	for (i = 0; i < n && i < SEARCH_TAGS_MAX; i++) {
		o = json_object_new_object();
		json_object_object_add(o, "tag", json_object_new_string(hits[i].key));
		json_object_object_add(o, "name", json_object_new_string(hits[i].name));
		json_object_object_add(o, "count", json_object_new_int64((int64_t)hits[i].count));
		json_object_array_add(list, o);
	}
	*out = json_object_new_object();
	json_object_object_add(*out, "hashtags", list);
	partial_mark(*out, partial);
	list = NULL;
	rc = APIERR_OK;
out:
	for (i = 0; i < n; i++) {
		free(hits[i].key);
		free(hits[i].name);
	}
	free(hits);
	json_object_put(list);
	buf_free(&prefix);
	buf_free(&pat);
	return rc;
}

enum apierr
search_hashtag_posts(struct ctx *ctx, const char *tag, uint64_t cursor, json_object **out)
{
	struct buf key = BUF_INIT;
	struct db_rows h = DB_ROWS_INIT, r = DB_ROWS_INIT;
	json_object *list = json_object_new_array();
	struct hit hits[SEARCH_PAGE];
	uint64_t ids[SEARCH_PAGE];
	size_t i, take, kept;
	bool partial = false;
	unsigned shard;
	char next[24];
	int rc;

	*out = NULL;
	if (text_tag_key(tag, strlen(tag), &key) != 0) {
		rc = ctx_fail(ctx, APIERR_INVALID_PARAM, "tag: not a hashtag (letters, digits, marks "
		    "or _, not only digits, at most %d characters)", TEXT_TAG_MAX);
		goto out;
	}
	shard = shard_for_key(db_shards(ctx->env->db), key.data, key.len);
	if (db_exec(ctx->env->db, shard, "SELECT id, tag_name, count_mentions FROM {db}.tb_hashtag "
	    "WHERE tag_key = ?", DB_PARAMS(DB_STR(buf_cstr(&key))), &h) != 0) {
		rc = ctx_fail(ctx, APIERR_UNAVAILABLE, NULL);
		goto out;
	}
	if (h.nrows == 0) {
		rc = ctx_fail(ctx, APIERR_NOT_FOUND, "tag: #%s was never used", buf_cstr(&key));
		goto out;
	}
	if (db_exec(ctx->env->db, shard, "SELECT record_id, user_id FROM "
	    "{db}.tb_post_reply_hashtag WHERE hashtag_id = ? AND record_id < ? ORDER BY record_id "
	    "DESC LIMIT ?",
	    DB_PARAMS(DB_U64(db_u64(&h, 0, 0)), DB_U64(cursor ? cursor : UINT64_MAX),
		DB_I64(SEARCH_PAGE + 1)), &r) != 0) {
		rc = ctx_fail(ctx, APIERR_UNAVAILABLE, NULL);
		goto out;
	}
	take = r.nrows > SEARCH_PAGE ? SEARCH_PAGE : r.nrows;
	for (i = 0; i < take; i++) {
		hits[i].id = db_u64(&r, i, 0);
		hits[i].author = db_u64(&r, i, 1);
	}
	drop_muted(ctx, hits, take, ids, &kept, &partial);
	if ((rc = add_views(ctx, ids, kept, list, &partial)) != APIERR_OK)
		goto out;
	if (r.nrows > SEARCH_PAGE)
		snprintf(next, sizeof next, "%" PRIu64, hits[take - 1].id);
	*out = page_of("posts", list, r.nrows > SEARCH_PAGE ? next : NULL, partial);
	list = NULL;
	json_object_object_add(*out, "tag", json_object_new_string(buf_cstr(&key)));
	json_object_object_add(*out, "name", json_object_new_string(db_str(&h, 0, 1)));
	json_object_object_add(*out, "count", json_object_new_int64((int64_t)db_u64(&h, 0, 2)));
	rc = APIERR_OK;
out:
	json_object_put(list);
	db_rows_free(&r);
	db_rows_free(&h);
	buf_free(&key);
	return rc;
}

/* ---------------------------------------------------------------------------------------------
 * Filling tb_post_reply.search_text of replies written before sql/012_reply_search.sql. */

/* Replies read per statement: a short lock-free read, then one small UPDATE each. */
#define REINDEX_BATCH 500

int
search_reindex_replies(struct db *db, unsigned shard, size_t *filled)
{
	struct db_rows r = DB_ROWS_INIT, u = DB_ROWS_INIT;
	struct text_post t = { 0 };
	uint64_t after = 0;
	size_t i;
	int rc = 0;

	*filled = 0;
	/* By ID, from where the last batch ended: a reply whose text makes no search form (or
	 * that changes under us) is passed once, never read again in a loop. */
	do {
		if (db_exec(db, shard, "SELECT id, content_text FROM {db}.tb_post_reply WHERE id > ? "
		    "AND search_text = '' AND content_text <> '' AND is_deleted = 0 ORDER BY id "
		    "LIMIT ?", DB_PARAMS(DB_U64(after), DB_I64(REINDEX_BATCH)),
		    &r) != 0) {
			rc = -1;
			goto out;
		}
		for (i = 0; i < r.nrows; i++) {
			after = db_u64(&r, i, 0);
			/* The stored text was normalized and checked when it was written: no length
			 * limit now (posts_max_chars may have been lowered since). text_prepare makes
			 * the search form exactly as post_reply did, its cut included. */
			if (text_prepare(db_str(&r, i, 1), db_len(&r, i, 1), SIZE_MAX, &t) != TEXT_OK ||
			    *t.search == '\0') {
				text_post_free(&t);
				continue;
			}
			/* The guards leave alone a reply deleted meanwhile (its search_text stays
			 * empty) and one another run filled. */
			rc = db_exec(db, shard, "UPDATE {db}.tb_post_reply SET search_text = ? WHERE "
			    "id = ? AND search_text = '' AND is_deleted = 0",
			    DB_PARAMS(DB_STR(t.search), DB_U64(after)), &u);
			text_post_free(&t);
			if (rc != 0) {
				rc = -1;
				goto out;
			}
			*filled += u.affected == 1;
		}
	} while (r.nrows == REINDEX_BATCH);
out:
	db_rows_free(&r);
	db_rows_free(&u);
	return rc;
}
