/* switch.c: starling-admin switch: the operators' degradation switches (lib/store/switches.h,
 * docs/operations.md), listed, set and cleared (admin.h). */
#include "config.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "buf.h"
#include "switches.h"

#include "admin.h"

/* ------------------------------------------------------------------------------------------ */
/* switch: the operators' degradation switches (lib/store/switches.h, docs/operations.md) */

/* "user@host" of whoever runs this: the account sudo was run from, else the process's. */
static void
who_sets(char *out, size_t size)
{
	const char *user = getenv("SUDO_USER");
	struct passwd *pw;
	char host[64];

	if (user == NULL || *user == '\0')
		user = (pw = getpwuid(geteuid())) != NULL ? pw->pw_name : "?";
	if (gethostname(host, sizeof host) != 0)
		snprintf(host, sizeof host, "?");
	host[sizeof host - 1] = '\0';
	snprintf(out, size, "%s@%s", user, host);
}

static void
switch_value_shown(enum switch_id id, long v, struct buf *out)
{
	if (switches_def(id)->max == 1)
		buf_puts(out, v ? "on" : "off");
	else if (v == 0)
		buf_puts(out, "off");
	else
		buf_printf(out, "%ld", v);
}

static int
switch_list(struct admin *a, const struct switch_state *st)
{
	struct buf when = BUF_INIT, value = BUF_INIT;
	int i;

	printf("%-14s %-5s  %-20s  %-24s  %s\n", "NAME", "VALUE", "SINCE (UTC)", "SET BY",
	    "REASON");
	for (i = 0; i < SWITCH_COUNT; i++) {
		buf_reset(&when);
		buf_reset(&value);
		switch_value_shown((enum switch_id)i, st[i].value, &value);
		if (st[i].updated_at > 0)
			admin_utc_time(st[i].updated_at, &when);
		else
			buf_puts(&when, "-");
		printf("%-14s %-5s  %-20s  %-24s  %s\n", switches_def((enum switch_id)i)->name,
		    buf_cstr(&value), buf_cstr(&when), st[i].set_by[0] ? st[i].set_by : "-",
		    st[i].reason[0] ? st[i].reason : switches_def((enum switch_id)i)->what);
	}
	printf("(every process reads them every %ld s: [switches] refresh_seconds)\n",
	    a->conf.switches_refresh_seconds);
	buf_free(&when);
	buf_free(&value);
	return EXIT_DONE;
}

/* switch list | set | clear: one read of tb_switch (shard 0), then the write, if any. */
int
cmd_switch(struct admin *a)
{
	struct switch_state st[SWITCH_COUNT];
	struct buf was = BUF_INIT, now = BUF_INIT;
	enum switch_id id = (enum switch_id)a->opt.sw_id;
	const char *name;
	char by[SWITCH_SET_BY_MAX + 1];
	int rc = EXIT_FAILED;

	if (switches_read(a->db, st) != 0) {
		admin_fail("switch: cannot read tb_switch on shard 0 (server error above; did migrate "
		    "run?)");
		return EXIT_FAILED;
	}
	if (a->opt.sw_action == 'l')
		return switch_list(a, st);
	name = switches_def(id)->name;
	switch_value_shown(id, st[id].value, &was);
	switch_value_shown(id, a->opt.sw_value, &now);
	if (a->opt.sw_action == 'c' && st[id].value == 0) {
		printf("switch %s: off already; nothing changed\n", name);
		rc = EXIT_DONE;
		goto out;
	}
	who_sets(by, sizeof by);
	if (switches_store(a->db, id, a->opt.sw_value, a->opt.sw_reason ? a->opt.sw_reason : "",
	    by) != 0) {
		admin_fail("switch %s: cannot write tb_switch on shard 0 (server error above); nothing "
		    "changed", name);
		goto out;
	}
	printf("switch %s: %s -> %s (set by %s%s%s); every process sees it within %ld s\n", name,
	    buf_cstr(&was), buf_cstr(&now), by, a->opt.sw_reason ? ": " : "",
	    a->opt.sw_reason ? a->opt.sw_reason : "", a->conf.switches_refresh_seconds);
	rc = EXIT_DONE;
out:
	buf_free(&was);
	buf_free(&now);
	return rc;
}
