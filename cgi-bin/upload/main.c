/* main.c: starling-upload, upload URLs and local uploads (see upload.h).
 *
 * URL prefix served (the web server maps it here; see docs/routes.md):
 *   /api/v1/upload/ */
#include "config.h"

#include "jobkinds.h"
#include "media.h"
#include "upload.h"

/* The extensions of media.c, as enums so that anything else is a 40004 naming the choices. */
static const char *const image_exts[] = { "jpg", "jpeg", "png", "gif", NULL };
static const char *const video_exts[] = { "mp4", NULL };

static const struct param_spec sign_image_params[] = {
	{ "ext", PARAM_ENUM, PARAM_REQUIRED, 0, 0, image_exts },
	PARAM_END
};
static const struct param_spec sign_video_params[] = {
	{ "ext", PARAM_ENUM, PARAM_REQUIRED, 0, 0, video_exts },
	PARAM_END
};
/* The query of a local upload link; lengths only bound the input, media_check_upload judges. */
static const struct param_spec local_params[] = {
	{ "key",     PARAM_STRING, PARAM_REQUIRED, 1, MEDIA_KEY_MAX, NULL },
	{ "expires", PARAM_STRING, PARAM_REQUIRED, 1, 20, NULL },
	{ "sig",     PARAM_STRING, PARAM_REQUIRED, 1, 64, NULL },
	PARAM_END
};

static const struct route routes[] = {
	{ HTTP_GET, "/api/v1/upload/sign_image", ROUTE_AUTH, upload_sign_image, sign_image_params,
	    NULL },
	{ HTTP_GET, "/api/v1/upload/sign_video", ROUTE_AUTH, upload_sign_video, sign_video_params,
	    NULL },
	/* The signature in the URL is the authorization: no login, and the raw bytes as body. */
	{ HTTP_PUT, "/api/v1/upload/local", ROUTE_RAW | ROUTE_SIGNED, upload_local, local_params,
	    NULL },
};

const struct app upload_app = {
	"starling-upload", routes, sizeof routes / sizeof routes[0],
};

#ifndef STARLING_NO_MAIN
int
main(int argc, char **argv)
{
	jobkinds_install();
	return app_main(&upload_app, argc, argv);
}
#endif
