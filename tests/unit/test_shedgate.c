/* test_shedgate.c: lib/app/shedgate.h's decisions on requests built from their CGI environment:
 * which wait each class may have (a read without a login, a user's request or a write, a route
 * never shed), the 503 with Retry-After and its message, requests without a readable stamp
 * never shed, the budgets lowered while a queue stands, and the signal file written for the web
 * server when reads without a login are refused. The database is a loopback port nobody listens
 * on: never asked, its breakers all closed ("up"). */
#include "config.h"

#include "test.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "apierr.h"
#include "auth.h"
#include "buf.h"
#include "clock.h"
#include "conf.h"
#include "ctx.h"
#include "db.h"
#include "log.h"
#include "memcached.h"
#include "shedgate.h"

static const struct request_limits lim = {
	.max_body = 1024,
	.max_uri = 256,
	.max_fields = 8,
	.max_header = 512,
	.max_json_depth = 4,
};

static enum apierr
noop(struct ctx *ctx)
{
	(void)ctx;
	return APIERR_OK;
}

static const struct route plain = { HTTP_GET, "/x", 0, noop, NULL, NULL };
static const struct route health = { HTTP_GET, "/health", ROUTE_NOSHED, noop, NULL, NULL };
static const struct route upload = { HTTP_POST, "/up", ROUTE_UPLOAD, noop, NULL, NULL };
static const struct app app = { "test-shedgate", &plain, 1 };

static struct app_env env;
static char signal_path[64];

/* [shed] signal_file (the conf owns its strings). */
static void
set_signal_file(const char *path)
{
	free(env.conf.shed_signal_file);
	env.conf.shed_signal_file = strdup(path);
}

static int
setup(void **state)
{
	struct buf err = BUF_INIT;
	char a[32], dir[] = "/tmp/test_shedgate.XXXXXX";

	(void)state;
	conf_defaults(&env.conf);
	snprintf(a, sizeof a, "127.0.0.1:%d", free_port());
	free(env.conf.mysql_instances);
	env.conf.mysql_instances = strdup(a);
	/* Budgets far apart, so no row is near a boundary on a loaded machine; no standing queue
	 * until test_standing_queue asks for one. */
	env.conf.shed_anonymous_wait_ms = 400;
	env.conf.shed_wait_ms = 4000;
	env.conf.shed_queue_target_ms = 0;
	env.conf.shed_retry_after = 7;
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(signal_path, sizeof signal_path, "%s/signal", dir);
	env.db = db_new(&env.conf, &err);
	buf_free(&err);
	return env.db == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char *slash = strrchr(signal_path, '/');

	(void)state;
	unlink(signal_path);
	*slash = '\0';
	rmdir(signal_path);
	db_free(env.db);
	conf_free(&env.conf);
	return 0;
}

/* One request: method, whether it carries a token (Authorization) or the session cookie, and
 * how long ago it reached the web server (ms; < 0: no X-Request-Start). */
struct req {
	const char *method;
	int         credentials;   /* 0 none, 1 Authorization, 2 the session cookie */
	long        waited_ms;
	const char *stamp;         /* instead of a stamp made from waited_ms */
};

/* shedgate_check of r on route (NULL: none found); ctx's message and the response's headers
 * appended to message and headers when they are not NULL. */
static int
check(const struct req *r, const struct route *route, struct buf *message, struct buf *headers)
{
	static char uri[] = "REQUEST_URI=/x", bearer[] = "HTTP_AUTHORIZATION=Bearer whatever",
	    cookie[] = "HTTP_COOKIE=" AUTH_COOKIE "=whatever";
	char method[32], stamp[64], *envp[6] = { NULL };
	struct ctx ctx;
	size_t n = 0;
	int rc;

	ctx_init(&ctx, &app, &env);
	snprintf(method, sizeof method, "REQUEST_METHOD=%s", r->method);
	envp[n++] = method;
	envp[n++] = uri;
	if (r->stamp != NULL)
		snprintf(stamp, sizeof stamp, "HTTP_X_REQUEST_START=%s", r->stamp);
	else
		snprintf(stamp, sizeof stamp, "HTTP_X_REQUEST_START=t=%" PRIu64,
		    clock_wall_us() - (uint64_t)r->waited_ms * 1000);
	if (r->stamp != NULL || r->waited_ms >= 0)
		envp[n++] = stamp;
	if (r->credentials == 1)
		envp[n++] = bearer;
	if (r->credentials == 2)
		envp[n++] = cookie;
	assert_int_equal(request_parse(&ctx.req, envp, NULL, 0, &lim, NULL), APIERR_OK);
	rc = shedgate_check(&ctx, route);
	if (message != NULL)
		buf_puts(message, buf_cstr(&ctx.message));
	if (headers != NULL)
		response_serialize(&ctx.resp, true, headers);
	ctx_free(&ctx);
	return rc;
}

struct row {
	int                 line;
	struct req          req;
	const struct route *route;
	int                 rc;
};

static const struct row rows[] = {
	/* A read without a login: refused past its own, short budget. */
	{ __LINE__, { "GET", 0, 10, NULL },      &plain, APIERR_OK },
	{ __LINE__, { "GET", 0, 3000, NULL },    &plain, APIERR_OVERLOADED },
	{ __LINE__, { "HEAD", 0, 3000, NULL },   &plain, APIERR_OVERLOADED },
	{ __LINE__, { "GET", 0, 3000, NULL },    NULL,   APIERR_OVERLOADED },   /* a 404 to be */
	/* Credentials (checked later, not here) or a write: the longer budget. */
	{ __LINE__, { "GET", 1, 3000, NULL },    &plain, APIERR_OK },
	{ __LINE__, { "GET", 2, 3000, NULL },    &plain, APIERR_OK },
	{ __LINE__, { "POST", 0, 3000, NULL },   &plain, APIERR_OK },
	{ __LINE__, { "GET", 1, 40000, NULL },   &plain, APIERR_OVERLOADED },
	{ __LINE__, { "POST", 0, 40000, NULL },  &plain, APIERR_OVERLOADED },
	/* Never shed: health, and uploads (their wait includes sending the body). */
	{ __LINE__, { "GET", 0, 40000, NULL },   &health, APIERR_OK },
	{ __LINE__, { "POST", 0, 40000, NULL },  &upload, APIERR_OK },
	/* No stamp, one that cannot be read, or one over an hour old (a wrong clock): never. */
	{ __LINE__, { "GET", 0, -1, NULL },      &plain, APIERR_OK },
	{ __LINE__, { "GET", 0, 0, "soon" },     &plain, APIERR_OK },
	{ __LINE__, { "GET", 0, 0, "t=" },       &plain, APIERR_OK },
	{ __LINE__, { "GET", 0, 7200000, NULL }, &plain, APIERR_OK },
	/* From the future (two hosts' clocks): waited nothing. */
	{ __LINE__, { "GET", 0, -1, "t=99999999999999999" }, &plain, APIERR_OK },
};

static void
test_decisions(void **state)
{
	size_t i;

	(void)state;
	set_signal_file("");
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		const struct row *r = &rows[i];
		int rc = check(&r->req, r->route, NULL, NULL);

		if (rc != r->rc)
			fail_msg("line %d: shedgate_check = %d, want %d", r->line, rc, r->rc);
	}
}

static void
test_refusal_says_when(void **state)
{
	struct buf msg = BUF_INIT, hdr = BUF_INIT;
	const struct req anon = { "GET", 0, 3000, NULL }, user = { "POST", 1, 40000, NULL };

	(void)state;
	assert_int_equal(check(&anon, &plain, &msg, &hdr), APIERR_OVERLOADED);
	assert_non_null(strstr(buf_cstr(&hdr), "Retry-After: 7\r\n"));
	assert_non_null(strstr(buf_cstr(&msg), "(at most 400 ms for a read without a login); "
	    "try again in 7 s"));
	buf_reset(&msg);
	buf_reset(&hdr);
	assert_int_equal(check(&user, &plain, &msg, &hdr), APIERR_OVERLOADED);
	assert_non_null(strstr(buf_cstr(&hdr), "Retry-After: 7\r\n"));
	assert_non_null(strstr(buf_cstr(&msg), "(at most 4000 ms for this request)"));
	/* What is let through carries no Retry-After. */
	buf_reset(&hdr);
	assert_int_equal(check(&(struct req){ "GET", 0, 10, NULL }, &plain, NULL, &hdr), APIERR_OK);
	assert_null(strstr(buf_cstr(&hdr), "Retry-After"));
	buf_free(&msg);
	buf_free(&hdr);
}

/* Refusing reads without a login writes the signal file (whole, by rename); refusing a user's
 * request does not: the web server only refuses reads without a login. */
static void
test_signal_file(void **state)
{
	struct stat st;
	char line[64];
	FILE *fp;
	size_t n;

	(void)state;
	set_signal_file(signal_path);
	unlink(signal_path);
	assert_int_equal(check(&(struct req){ "POST", 1, 40000, NULL }, &plain, NULL, NULL),
	    APIERR_OVERLOADED);
	assert_int_not_equal(stat(signal_path, &st), 0);
	assert_int_equal(check(&(struct req){ "GET", 0, 3000, NULL }, &plain, NULL, NULL),
	    APIERR_OVERLOADED);
	fp = fopen(signal_path, "r");
	assert_non_null(fp);
	n = fread(line, 1, sizeof line - 1, fp);
	fclose(fp);
	line[n] = '\0';
	assert_true(n > 0 && line[n - 1] == '\n');
	set_signal_file("");
}

/* A standing queue (every wait over the target for a whole interval) lowers the budgets to the
 * queue's: a read without a login waiting 200 ms, under its own 400 ms, is refused then. */
static void
test_standing_queue(void **state)
{
	const struct req anon = { "GET", 0, 200, NULL };
	int i, rc = APIERR_OK;

	(void)state;
	set_signal_file("");
	assert_int_equal(check(&anon, &plain, NULL, NULL), APIERR_OK);
	env.conf.shed_queue_target_ms = 20;
	/* Three intervals of requests that all waited 200 ms: the queue stands from the second. */
	for (i = 0; i < 30 && rc == APIERR_OK; i++) {
		struct timespec ts = { 0, 15 * 1000000 };

		nanosleep(&ts, NULL);
		rc = check(&anon, &plain, NULL, NULL);
	}
	assert_int_equal(rc, APIERR_OVERLOADED);
	/* A user's request gives way at queue_wait_ms (50 ms by default) meanwhile, not at 4 s. */
	assert_int_equal(check(&(struct req){ "GET", 1, 200, NULL }, &plain, NULL, NULL),
	    APIERR_OVERLOADED);
	assert_int_equal(check(&(struct req){ "GET", 1, 10, NULL }, &plain, NULL, NULL), APIERR_OK);
	env.conf.shed_queue_target_ms = 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decisions),
		cmocka_unit_test(test_refusal_says_when),
		cmocka_unit_test(test_signal_file),
		cmocka_unit_test(test_standing_queue),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
