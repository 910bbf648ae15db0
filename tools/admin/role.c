/* role.c: starling-admin role: moderators and administrators (lib/social/mod.h, docs/moderation.md)
 * granted, revoked and listed. */
#include "config.h"

#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctx.h"
#include "idlease.h"
#include "mod.h"
#include "user.h"

#include "admin.h"

/* "user@host" of whoever runs this: the account sudo was run from, else the process's. */
static void
who_grants(char *out, size_t size)
{
	const char *user = getenv("SUDO_USER");
	struct passwd *pw;
	char host[48];

	if (user == NULL || *user == '\0')
		user = (pw = getpwuid(geteuid())) != NULL ? pw->pw_name : "?";
	if (gethostname(host, sizeof host) != 0)
		snprintf(host, sizeof host, "?");
	host[sizeof host - 1] = '\0';
	snprintf(out, size, "%.14s@%s", user, host);
}

static void
print_role(uint64_t user, enum mod_role role, const char *by, int64_t at, void *arg)
{
	struct app_env *env = arg;
	json_object *u = NULL, *v;
	struct buf when = BUF_INIT;

	admin_utc_time(at, &when);
	(void)user_get(env, user, &u);
	printf("%" PRIu64 "\t%s\t%s\t%s\t%s\n", user,
	    u != NULL && json_object_object_get_ex(u, "username", &v) ? json_object_get_string(v) :
	    "?", mod_role_name(role) ? mod_role_name(role) : "?", by, buf_cstr(&when));
	json_object_put(u);
	buf_free(&when);
}

int
cmd_role(struct admin *a)
{
	struct app_env env;
	enum mod_role role = mod_role_parse(a->opt.role_name ? a->opt.role_name : "");
	char by[64];
	uint64_t id = 0;
	int rc;

	memset(&env, 0, sizeof env);
	env.db = a->db;
	env.cache = a->cache;
	if (a->opt.role_action == 'l')
		return mod_roles_each(&env, print_role, &env) == 0 ? EXIT_DONE : EXIT_FAILED;
	if ((rc = user_id_by_username(&env, a->opt.role_user, &id)) != 1) {
		admin_fail(rc < 0 ? "role: the database failed (see the log)" :
		    "role: no user is named \"%.64s\"", a->opt.role_user);
		return EXIT_FAILED;
	}
	who_grants(by, sizeof by);
	rc = mod_role_set(&env, id, role, a->opt.role_action == 'g', by);
	if (rc < 0) {
		admin_fail("role: the database failed (see the log)");
		return EXIT_FAILED;
	}
	admin_report("role %s %s %s: %s", a->opt.role_action == 'g' ? "grant" : "revoke",
	    a->opt.role_user, mod_role_name(role), rc ? "done" : "nothing to do");
	return EXIT_DONE;
}
