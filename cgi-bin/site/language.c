/* language.c: POST /language, the language switch in every page's footer.
 *
 * Inputs: language (en|zh, required), return_to (a local path to go back to), csrf_token.
 * Answers 303 to return_to (or /help) with the lang cookie set; 400 for a bad language; 403
 * without a valid CSRF token. Signed-in users will also get the choice stored in their account
 * (user/change_language); the cookie covers visitors. */
#include "config.h"

#include <string.h>

#include "apierr.h"
#include "page.h"
#include "site.h"

/* A year: the choice is a preference, not a session. */
#define LANG_COOKIE_MAX_AGE (365L * 24 * 3600)

enum apierr
site_language(struct ctx *ctx)
{
	const char *lang = params_str(&ctx->params, "language");
	const char *back = params_str(&ctx->params, "return_to");

	ctx_cookie(ctx, "lang", lang, LANG_COOKIE_MAX_AGE);
	ctx_redirect(ctx, page_local_path(back) ? back : "/help");
	return APIERR_OK;
}
