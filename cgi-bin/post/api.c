/* api.c: the JSON API of posts, /api/v1/post/ (docs/api.md, "Posts"). Every rule is in
 * lib/social/post.c; these handlers only turn parameters into calls and results into data.
 *
 * Writes (login required: 40100 without; 40302 not activated, 40303 suspended; 50300 when a
 * database is down; 42900 over the account's limit for the kind of write, or for mentions, with
 * Retry-After: lib/social/limit.h; undo_repost, unliking, delete and pin are never limited):
 *   POST create {content_text, media?, alt_text?, media_2? alt_text_2? .. media_4?, alt_text_4?,
 *        reply_settings?, content_warning?, sensitive?} → {id}: 40002, 40004 (a fifth medium, an alt text over 1000
 *        characters or without its medium, a video with other media), 40010, 40011,
 *        40010 (also content_warning), 40012, 40013, 40900 (the upload is another post's); Idempotency-Key header (40004 malformed, 42200 reused for another request)
 *   POST reply {original_post_id, content_text, media? .. alt_text_4? (as create), content_warning?,
 *        sensitive?} → {id}: as
 *        create, and 40400 (no such post or reply), 40304 (its thread's reply settings)
 *   POST repost {original_post_id, content_text?, media?, reply_settings?} → {id}: without text or
 *        media a repost (a second one answers the first), with them a quote (as create); 40400
 *   POST undo_repost {post_id}: the repost, or the reposted record; nothing to undo is not an error
 *   POST like {post_id, islike 1|0}: idempotent; 40400 liking a missing or deleted record
 *   POST report {post_id, report_reason 1..255}: once per reporter; 40400
 *   POST delete {post_id}: 40400, 40305 (someone else's)
 *   POST pin {post_id, ispin 1|0 (default 1)}: 40400, 40305 (someone else's, unpinning too),
 *        40004 (pinning a repost or a reply)
 * Reads (visitors too):
 *   GET detail ?post_id → the post (post_view): 40400 for a missing or deleted one
 *   GET stats ?post_ids=id,id,... (1 .. 100) → {"<id>": {comments, likes, reposts, quotes}}:
 *        40004 for a malformed list; unknown and deleted IDs are left out
 *   GET replies ?post_id&cursor → {replies, cursor}: cursor absent (from the start), an ID, or
 *        "-1" (the end: an empty page); 40004 otherwise; 40400 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apierr.h"
#include "post.h"
#include "postapp.h"

/* {id: "<id>"}, the answer of the writes that make a record. */
static int
answer_id(struct ctx *ctx, uint64_t id)
{
	json_object *o = json_object_new_object();
	char s[24];

	snprintf(s, sizeof s, "%" PRIu64, id);
	json_object_object_add(o, "id", json_object_new_string(s));
	ctx_set_data(ctx, o);
	return APIERR_OK;
}

/* The names of the i-th medium's parameters (main.c's MEDIA_PARAMS): "media" and "alt_text",
 * then "media_2" and "alt_text_2" and so on. */
static void
medium_names(size_t i, char media[16], char alt[16])
{
	snprintf(media, 16, i == 0 ? "media" : "media_%zu", i + 1);
	snprintf(alt, 16, i == 0 ? "alt_text" : "alt_text_%zu", i + 1);
}

/* Refuses a numbered medium the table does not declare: one past POST_MEDIA_MAX ("media_5",
 * alt_text_5, ...), or "media_1" (the first is "media"). The table drops an undeclared field,
 * and a fifth image silently left out would surprise its poster more than a 400. */
static int
refuse_extra_media(struct ctx *ctx)
{
	const struct kvlist *f = &ctx->req.body_fields;
	const char *name, *digits;
	size_t i;

	for (i = 0; i < f->n; i++) {
		name = f->items[i].name;
		if (strncmp(name, "media_", 6) == 0)
			digits = name + 6;
		else if (strncmp(name, "alt_text_", 9) == 0)
			digits = name + 9;
		else
			continue;
		if (*digits != '\0' && strspn(digits, "0123456789") == strlen(digits) &&
		    (strlen(digits) > 1 || *digits - '0' > POST_MEDIA_MAX || *digits < '2'))
			return ctx_fail(ctx, APIERR_INVALID_PARAM, "%s: at most %d media a post, named "
			    "media, media_2 .. media_%d (alt_text, alt_text_2 ..)", name, POST_MEDIA_MAX,
			    POST_MEDIA_MAX);
	}
	return APIERR_OK;
}

/* A new post, quote or reply from the parameters and the Idempotency-Key header. The request
 * hash is computed once here (it lives in hash). Returns APIERR_OK, or 40004 for a fifth medium. */
static int
fill_new(struct ctx *ctx, struct post_new *n, char hash[65])
{
	const char *text = params_str(&ctx->params, "content_text");
	char media[16], alt[16];
	size_t i;

	memset(n, 0, sizeof *n);
	n->text = text;
	n->text_len = text ? strlen(text) : 0;
	for (i = 0; i < POST_MEDIA_MAX; i++) {
		medium_names(i, media, alt);
		n->media[i].url = params_str(&ctx->params, media);
		n->media[i].alt = params_str(&ctx->params, alt);
	}
	n->reply_settings = (int)params_int(&ctx->params, "reply_settings", POST_REPLY_EVERYONE);
	n->content_warning = params_str(&ctx->params, "content_warning");
	n->sensitive = params_bool(&ctx->params, "sensitive", false);
	n->original_id = params_id(&ctx->params, "original_post_id");
	n->idem_key = request_header(&ctx->req, "idempotency-key");
	if (n->idem_key != NULL) {
		post_request_hash(ctx, hash);
		n->request_hash = hash;
	}
	return refuse_extra_media(ctx);
}

/* Whether n carries a medium (a repost with one is a quote). */
static bool
has_media(const struct post_new *n)
{
	size_t i;

	for (i = 0; i < POST_MEDIA_MAX; i++)
		if (n->media[i].url != NULL && *n->media[i].url != '\0')
			return true;
	return false;
}

enum apierr
api_create(struct ctx *ctx)
{
	struct post_new n;
	char hash[65];
	uint64_t id;
	int rc;

	if ((rc = fill_new(ctx, &n, hash)) != APIERR_OK)
		return rc;
	n.original_id = 0;
	if ((rc = post_create(ctx, &n, &id)) != APIERR_OK)
		return rc;
	return answer_id(ctx, id);
}

enum apierr
api_reply(struct ctx *ctx)
{
	struct post_new n;
	char hash[65];
	uint64_t id;
	int rc;

	if ((rc = fill_new(ctx, &n, hash)) != APIERR_OK)
		return rc;
	if ((rc = post_reply(ctx, &n, &id)) != APIERR_OK)
		return rc;
	return answer_id(ctx, id);
}

enum apierr
api_repost(struct ctx *ctx)
{
	struct post_new n;
	char hash[65];
	uint64_t id;
	int rc;

	if ((rc = fill_new(ctx, &n, hash)) != APIERR_OK)
		return rc;
	/* With something of its own to say, it is a quote: a post of its own. */
	if (n.text_len > 0 || has_media(&n))
		rc = post_create(ctx, &n, &id);
	else
		rc = post_repost_idem(ctx, n.original_id, n.idem_key, n.request_hash, &id);
	if (rc != APIERR_OK)
		return rc;
	return answer_id(ctx, id);
}

enum apierr
api_undo_repost(struct ctx *ctx)
{
	int rc = post_undo_repost(ctx, params_id(&ctx->params, "post_id"));

	if (rc == APIERR_OK)
		ctx_set_data(ctx, NULL);
	return rc;
}

enum apierr
api_like(struct ctx *ctx)
{
	return post_like(ctx, params_id(&ctx->params, "post_id"),
	    params_int(&ctx->params, "islike", 1) == 1);
}

enum apierr
api_report(struct ctx *ctx)
{
	return post_report(ctx, params_id(&ctx->params, "post_id"),
	    (int)params_int(&ctx->params, "report_reason", 0));
}

enum apierr
api_delete(struct ctx *ctx)
{
	return post_delete(ctx, params_id(&ctx->params, "post_id"));
}

enum apierr
api_pin(struct ctx *ctx)
{
	int rc = post_pin(ctx, params_id(&ctx->params, "post_id"),
	    params_int(&ctx->params, "ispin", 1) == 1);

	if (rc == APIERR_OK)
		ctx_set_data(ctx, json_object_new_object());   /* the seed answers {} */
	return rc;
}

enum apierr
api_detail(struct ctx *ctx)
{
	json_object *o;
	int rc = post_view(ctx, params_id(&ctx->params, "post_id"), &o);

	if (rc == APIERR_OK) {
		post_add_images(ctx, o);
		ctx_set_data(ctx, o);
	}
	return rc;
}

enum apierr
api_stats(struct ctx *ctx)
{
	uint64_t ids[POST_STATS_MAX];
	json_object *o;
	size_t n;
	int rc;

	if (post_parse_ids(params_str(&ctx->params, "post_ids"), ids, POST_STATS_MAX, &n) != 0)
		return ctx_fail(ctx, APIERR_INVALID_PARAM, "post_ids: 1 to %d post IDs separated by "
		    "commas", POST_STATS_MAX);
	if ((rc = post_stats(ctx, ids, n, &o)) != APIERR_OK)
		return rc;
	ctx_set_data(ctx, o);
	return APIERR_OK;
}

enum apierr
api_replies(struct ctx *ctx)
{
	uint64_t cursor;
	json_object *o;
	int rc;

	if (params_cursor(&ctx->params, "cursor", &cursor)) {
		/* The cursor of the last page: nothing more (the post must still exist). */
		if ((rc = post_view(ctx, params_id(&ctx->params, "post_id"), &o)) != APIERR_OK)
			return rc;
		json_object_put(o);
		ctx_set_last_page(ctx, "replies");
		return APIERR_OK;
	}
	if ((rc = post_replies(ctx, params_id(&ctx->params, "post_id"), cursor, &o)) != APIERR_OK)
		return rc;
	post_add_images(ctx, o);
	ctx_set_data(ctx, o);
	return APIERR_OK;
}
