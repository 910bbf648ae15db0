/* openapi.c: GET /api/v1/openapi.json, the API's OpenAPI 3.1 contract (docs/openapi.json).
 *
 * The document is compiled in (openapi_doc.c, made from docs/openapi.json by make), so the binary
 * serves the contract it was built with, from a build tree or an install alike, and never reads a
 * file per request. It is the same for everyone and changes only with a new build: shared caches
 * may keep it for an hour. Answers 200 with the document (not an envelope). */
#include "config.h"

#include "apierr.h"
#include "site.h"

/* Long enough to spare clients a download per session, short enough that an upgrade shows. */
#define OPENAPI_MAX_AGE "public, max-age=3600"

enum apierr
site_openapi(struct ctx *ctx)
{
	buf_append(&ctx->resp.body, site_openapi_doc, site_openapi_doc_len);
	response_header(&ctx->resp, "Cache-Control", OPENAPI_MAX_AGE);
	ctx_body_ready(ctx, "application/json; charset=utf-8");
	return APIERR_OK;
}
