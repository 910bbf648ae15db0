/* sign.c: upload URLs for a logged-in user.
 *
 * GET /api/v1/upload/sign_image?ext=jpg|jpeg|png|gif
 * GET /api/v1/upload/sign_video?ext=mp4
 *   → {url, mediaUrl, method: "PUT", expiresAt}: PUT the file's bytes to url before expiresAt
 *   (Unix seconds), then send mediaUrl as the post's media. 400 (40004) for another ext, 401
 *   without login, 503 when local storage has no [media] local_dir. */
#include "config.h"

#include <time.h>

#include "apierr.h"
#include "log.h"
#include "media.h"
#include "upload.h"

static int
sign(struct ctx *ctx, enum media_kind kind)
{
	struct buf put = BUF_INIT, pub = BUF_INIT;
	int64_t now = (int64_t)time(NULL);
	json_object *d;
	int rc;

	rc = media_sign_upload(ctx->env->media, ctx->user_id, kind, params_str(&ctx->params, "ext"),
	    now, &put, &pub);
	switch (rc) {
	case 0:
		d = json_object_new_object();
		json_object_object_add(d, "url", json_object_new_string(buf_cstr(&put)));
		json_object_object_add(d, "mediaUrl", json_object_new_string(buf_cstr(&pub)));
		json_object_object_add(d, "method", json_object_new_string("PUT"));
		json_object_object_add(d, "expiresAt",
		    json_object_new_int64(media_expires_at(ctx->env->media, now)));
		ctx_set_data(ctx, d);
		rc = APIERR_OK;
		break;
	case MEDIA_BAD_EXT:   /* the enum parameter keeps this from happening */
		rc = ctx_fail(ctx, APIERR_INVALID_PARAM, "ext is not an extension of this kind");
		break;
	case MEDIA_OFF:
		rc = ctx_fail(ctx, APIERR_UNAVAILABLE, "uploads are off: [media] local_dir is not set");
		break;
	default:
		rc = APIERR_INTERNAL;
		break;
	}
	buf_free(&put);
	buf_free(&pub);
	return rc;
}

enum apierr
upload_sign_image(struct ctx *ctx)
{
	return sign(ctx, MEDIA_IMAGE);
}

enum apierr
upload_sign_video(struct ctx *ctx)
{
	return sign(ctx, MEDIA_VIDEO);
}
