/* local.c: the bytes of an upload, with [media] storage = local.
 *
 * PUT /api/v1/upload/local?key&expires&sig, body: the file (any Content-Type; the bytes are
 *   checked, not the header) → {mediaUrl}. No login: the link's signature is the authorization.
 *   40015 for an expired or wrongly signed link, 41300 for a file over its kind's limit, 40014
 *   for bytes that are not what the key's extension says, 40903 when the key was uploaded
 *   already, 404 with s3 storage (the client PUTs to the store instead). */
#include "config.h"

#include <string.h>
#include <time.h>

#include "apierr.h"
#include "media.h"
#include "upload.h"

int
upload_local(struct ctx *ctx)
{
	const struct media *m = ctx->env->media;
	const char *key = params_str(&ctx->params, "key");
	struct buf url = BUF_INIT;
	enum media_kind kind;
	size_t max;
	int rc;

	if (!media_is_local(m))
		return ctx_fail(ctx, APIERR_NOT_FOUND, "uploads go to the object store, not here");
	rc = media_check_upload(m, key, params_str(&ctx->params, "expires"),
	    params_str(&ctx->params, "sig"), (int64_t)time(NULL), &kind);
	if (rc != 0)
		return ctx_fail(ctx, APIERR_UPLOAD_EXPIRED, "the upload URL is expired or its "
		    "signature is wrong; ask upload/sign_image or upload/sign_video for a new one");
	max = media_max_bytes(m, kind);
	rc = media_store_local(m, key, ctx->req.body, ctx->req.body_len);
	switch (rc) {
	case 0:
		media_public_url(m, key, &url);
		ctx_set_data(ctx, json_object_new_object());
		json_object_object_add(ctx->data, "mediaUrl", json_object_new_string(buf_cstr(&url)));
		rc = APIERR_OK;
		break;
	case MEDIA_TOO_LARGE:
		rc = ctx_fail(ctx, APIERR_TOO_LARGE, "the file is %zu bytes; the limit for %s is %zu",
		    ctx->req.body_len, kind == MEDIA_VIDEO ? "videos" : "images", max);
		break;
	case MEDIA_BAD_TYPE:
		rc = ctx_fail(ctx, APIERR_MEDIA_TYPE, "the bytes are not a %s file",
		    strrchr(key, '.') + 1);
		break;
	case MEDIA_EXISTS:
		rc = ctx_fail(ctx, APIERR_UPLOAD_EXISTS, "this upload URL was used already; ask for a "
		    "new one");
		break;
	case MEDIA_OFF:
		rc = ctx_fail(ctx, APIERR_UNAVAILABLE, "uploads are off: [media] local_dir is not set");
		break;
	default:
		rc = APIERR_INTERNAL;
		break;
	}
	buf_free(&url);
	return rc;
}
