/* main.c: starling-site, the route group for the site's own pages (help, language) and health.
 *
 * URL prefixes served (the web server maps them here; see docs/routes.md):
 *   /api/v1/health   /api/v1/openapi.json   /help   /language   /metrics   /robots.txt */
#include "config.h"

#include "jobkinds.h"
#include "site.h"

static const char *const languages[] = { "en", "zh", NULL };

static const struct param_spec language_params[] = {
	{ "language",  PARAM_ENUM,   PARAM_REQUIRED, 0, 0, languages },
	{ "return_to", PARAM_STRING, 0,              0, 512, NULL },
	PARAM_END
};

#define ESSENTIAL ROUTE_ESSENTIAL
#define FORM      (ROUTE_HTML | ROUTE_CSRF)

static const struct route routes[] = {
	/* ESSENTIAL: health tells monitors the truth whatever the operators' switches say, and the
	 * language form only sets a cookie. */
	{ HTTP_GET,  "/api/v1/health", ESSENTIAL | ROUTE_NOSHED, site_health,   NULL,            NULL },
	/* The contract itself: static, so neither shed nor switched off (clients read it to learn
	 * what the other routes answer). */
	{ HTTP_GET,  "/api/v1/openapi.json", ESSENTIAL | ROUTE_NOSHED, site_openapi, NULL,     NULL },
	{ HTTP_GET,  "/help",          ROUTE_HTML,       site_help,     NULL,            "help" },
	{ HTTP_POST, "/language",      FORM | ESSENTIAL, site_language, language_params, "help" },
	/* The monitor's view of an overload or a switch: never refused by either. */
	{ HTTP_GET,  "/metrics",       ESSENTIAL | ROUTE_NOSHED, site_metrics, NULL,         NULL },
	/* Static text, as the contract: a crawler's visit costs nothing worth shedding. */
	{ HTTP_GET,  "/robots.txt",    ESSENTIAL | ROUTE_NOSHED, site_robots,  NULL,         NULL },
};

const struct app site_app = {
	"starling-site", routes, sizeof routes / sizeof routes[0],
};

/* The unit tests link this file with -DSTARLING_NO_MAIN and drive site_app in process. */
#ifndef STARLING_NO_MAIN
int
main(int argc, char **argv)
{
	jobkinds_install();
	return app_main(&site_app, argc, argv);
}
#endif
