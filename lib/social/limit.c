/* limit.c: the write limits of an account ([limits] in config), and the 429 of every limit. */
#include "config.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "apierr.h"
#include "ctx.h"
#include "limit.h"
#include "log.h"
#include "xalloc.h"

/* A limit's counter name, its name in messages, and where its count and window are in the
 * configuration. */
struct limit_spec {
	const char *kind;
	const char *what;
	size_t      count, window;
};

#define F(field) offsetof(struct conf, field)

static const struct limit_spec specs[LIMIT__COUNT] = {
	[LIMIT_POST]   = { "post",   "posts",   F(limit_posts),   F(limit_posts_window) },
	[LIMIT_REPLY]  = { "reply",  "replies", F(limit_replies), F(limit_replies_window) },
	[LIMIT_REPOST] = { "repost", "reposts", F(limit_reposts), F(limit_reposts_window) },
	[LIMIT_LIKE]   = { "like",   "likes",   F(limit_likes),   F(limit_likes_window) },
	[LIMIT_FOLLOW] = { "follow", "follows", F(limit_follows), F(limit_follows_window) },
	[LIMIT_REPORT] = { "report", "reports", F(limit_reports), F(limit_reports_window) },
};
static const struct limit_spec mentions_spec = { "mention", "mentions", F(limit_mentions),
	F(limit_mentions_window) };
static const struct limit_spec mention_user_spec = { "mention-user", "mentions of one account",
	F(limit_mentions_per_user), F(limit_mentions_per_user_window) };

static long
conf_long(const struct conf *conf, size_t offset)
{
	return *(const long *)(const void *)((const char *)conf + offset);
}

/* The limits one write falls under, as asks for ratelimit_peek_many: its kind's, then (when it
 * mentions anyone) the mentions limit and each mentioned account's. Owns the keys. */
struct plan {
	size_t                    n;
	struct ratelimit         *rl;
	const struct limit_spec **spec;
	struct ratelimit_ask     *asks;
	struct buf               *keys;
};

static void
plan_add(struct plan *p, const struct conf *conf, const struct limit_spec *s, unsigned events)
{
	size_t i = p->n++;

	p->spec[i] = s;
	p->rl[i] = (struct ratelimit){ s->kind, (unsigned)conf_long(conf, s->count),
	    (unsigned)conf_long(conf, s->window) };
	p->asks[i] = (struct ratelimit_ask){ &p->rl[i], NULL, events, { 0 } };
}

static void
plan_new(struct ctx *ctx, enum limit_kind kind, char *const *mentions, size_t nmentions,
    struct plan *p)
{
	const struct conf *conf = &ctx->env->conf;
	size_t i, max = 2 + nmentions;

	p->n = 0;
	p->rl = xcalloc(max, sizeof *p->rl);
	p->spec = xcalloc(max, sizeof *p->spec);
	p->asks = xcalloc(max, sizeof *p->asks);
	p->keys = xcalloc(max, sizeof *p->keys);
	plan_add(p, conf, &specs[kind], 1);
	if (nmentions > 0)
		plan_add(p, conf, &mentions_spec, (unsigned)nmentions);
	for (i = 0; i < nmentions; i++)
		plan_add(p, conf, &mention_user_spec, 1);
	/* By the account's ID: whatever name it was reached by. A mentioned account by the
	 * lowercased name (one name, one account). */
	for (i = 0; i < p->n; i++) {
		buf_printf(&p->keys[i], "%" PRIu64, ctx->user_id);
		if (p->spec[i] == &mention_user_spec)
			buf_printf(&p->keys[i], ">%s", mentions[i - 2]);
		p->asks[i].key = buf_cstr(&p->keys[i]);
	}
}

static void
plan_free(struct plan *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		buf_free(&p->keys[i]);
	free(p->rl);
	free(p->spec);
	free(p->asks);
	free(p->keys);
}

enum apierr
limit_check(struct ctx *ctx, enum limit_kind kind, char *const *mentions, size_t nmentions)
{
	struct plan p;
	struct ratelimit_ask *over;
	int rc = APIERR_OK;

	plan_new(ctx, kind, mentions, nmentions, &p);
	over = ratelimit_peek_many(ctx->env->cache, p.asks, p.n, time(NULL));
	if (over != NULL)
		rc = limit_refuse(ctx, over->rl, &over->st, p.spec[over - p.asks]->what);
	plan_free(&p);
	return rc;
}

void
limit_count(struct ctx *ctx, enum limit_kind kind, char *const *mentions, size_t nmentions)
{
	struct plan p;
	time_t now = time(NULL);
	size_t i;

	plan_new(ctx, kind, mentions, nmentions, &p);
	for (i = 0; i < p.n; i++)
		ratelimit_add(ctx->env->cache, p.asks[i].rl, p.asks[i].key, p.asks[i].n, now);
	plan_free(&p);
}

/* A window's length for people: "3 hours", "15 minutes", "1 day", "90 seconds". */
static void
duration(unsigned s, struct buf *out)
{
	static const struct { unsigned secs; const char *unit; } units[] = {
		{ 86400, "day" }, { 3600, "hour" }, { 60, "minute" }, { 1, "second" },
	};
	size_t i = 0;

	while (s % units[i].secs != 0)
		i++;
	buf_printf(out, "%u %s%s", s / units[i].secs, units[i].unit, s == units[i].secs ? "" : "s");
}

enum apierr
limit_refuse(struct ctx *ctx, const struct ratelimit *rl, const struct ratelimit_state *st,
    const char *what)
{
	struct buf window = BUF_INIT;
	int rc;

	ratelimit_headers(st, time(NULL), &ctx->resp);
	duration(rl->window, &window);
	/* The line carries the request ID, which the access log ties to the account. */
	log_info("rate limit %s reached: at most %u every %s", rl->kind, rl->limit,
	    buf_cstr(&window));
	rc = ctx_fail(ctx, APIERR_RATE_LIMITED, "too many %s: at most %u every %s; try again in %u "
	    "second%s", what, rl->limit, buf_cstr(&window), st->retry_after,
	    st->retry_after == 1 ? "" : "s");
	buf_free(&window);
	return rc;
}
