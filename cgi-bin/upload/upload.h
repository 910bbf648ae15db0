/* upload.h: the handlers of starling-upload, the binary that hands out upload URLs and, with
 * [media] storage = local, takes the uploads themselves (lib/social/media.h, docs/media.md). */
#ifndef STARLING_UPLOAD_H
#define STARLING_UPLOAD_H

#include "apierr.h"

#include "app.h"

/* The binary: its name and route table (main.c). */
extern const struct app upload_app;

/* sign.c */
enum apierr upload_sign_image(struct ctx *ctx);
enum apierr upload_sign_video(struct ctx *ctx);
/* local.c */
enum apierr upload_local(struct ctx *ctx);

#endif
