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

enum apierr
upload_local(struct ctx *ctx)
{
	const struct media *m = ctx->env->media;
	const char *key = params_str(&ctx->params, "key");
	struct buf url = BUF_INIT, msg = BUF_INIT;
	enum media_kind kind;
	int rc;

	if (!media_is_local(m))
		return ctx_fail(ctx, APIERR_NOT_FOUND, "uploads go to the object store, not here");
	rc = media_check_upload(m, key, params_str(&ctx->params, "expires"),
	    params_str(&ctx->params, "sig"), (int64_t)time(NULL), &kind);
	if (rc != 0)
		return ctx_fail(ctx, APIERR_UPLOAD_EXPIRED, "the upload URL is expired or its "
		    "signature is wrong; ask upload/sign_image or upload/sign_video for a new one");
	rc = media_store_local(m, key, ctx->req.body, ctx->req.body_len);
	if (rc == 0) {
		media_public_url(m, key, &url);
		ctx_set_data(ctx, json_object_new_object());
		json_object_object_add(ctx->data, "mediaUrl", json_object_new_string(buf_cstr(&url)));
		rc = APIERR_OK;
	} else {
		rc = media_apierr(m, rc, kind, strrchr(key, '.') + 1, ctx->req.body_len, &msg);
		rc = ctx_fail(ctx, rc, "%s", buf_cstr(&msg));
	}
	buf_free(&url);
	buf_free(&msg);
	return rc;
}
