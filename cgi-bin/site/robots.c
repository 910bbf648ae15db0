/* robots.c: GET /robots.txt, what crawlers may fetch (RFC 9309).
 *
 * Served by the binary rather than as a static file so that the four set-ups of docs/deploy.md
 * map it the same way as every other route (one line in each route map, checked by
 * tests/integration/routes_map.py), with no alias of its own in each web server. The public
 * pages (posts, profiles, hashtags, their feeds, explore, help) are allowed: they are what a link
 * preview or a search engine should find. Disallowed: the API, the forms and the pages that are
 * one person's own (settings, notifications, compose, bookmarks) or cost a query per visit and
 * show nothing a crawler should keep (search), the operators' /metrics and the moderators' /mod/,
 * and the form paths under /p/ and /u/ (POST only: a crawler gets 405s there). Answers 200 text/plain. */
#include "config.h"

#include <string.h>

#include "apierr.h"
#include "site.h"

/* Long: the file changes only with a new release. */
#define ROBOTS_MAX_AGE "public, max-age=86400"

const char site_robots_txt[] =
	"# Starling: crawlers may read the public pages, not the API or anyone's own pages.\n"
	"User-agent: *\n"
	"Disallow: /api/\n"
	"Disallow: /settings\n"
	"Disallow: /notifications\n"
	"Disallow: /compose\n"
	"Disallow: /bookmarks\n"
	"Disallow: /search\n"
	"Disallow: /login\n"
	"Disallow: /logout\n"
	"Disallow: /signup\n"
	"Disallow: /activate\n"
	"Disallow: /reset\n"
	"Disallow: /language\n"
	"Disallow: /metrics\n"
	"Disallow: /mod/\n"
	"Allow: /\n";

enum apierr
site_robots(struct ctx *ctx)
{
	buf_append(&ctx->resp.body, site_robots_txt, strlen(site_robots_txt));
	response_header(&ctx->resp, "Cache-Control", ROBOTS_MAX_AGE);
	ctx_body_ready(ctx, "text/plain; charset=utf-8");
	return APIERR_OK;
}
