/* tz.c: time zones by their IANA names (tz.h).
 *
 * The C library converts to a zone only through the process's TZ: setenv("TZ"), tzset(), then
 * localtime_r. That races in a threaded process (another thread's localtime would see the other
 * zone mid-change), but every Starling binary handles one request at a time in one thread (the
 * FastCGI loop of lib/http/loop.c, the worker's loop), so setting TZ per conversion is safe here,
 * and cheaper and smaller than parsing TZif files ourselves. TZ is left at the last zone used
 * (glibc's tzset reads the zone's file again only when TZ changes, so a page of cards in one zone
 * reads it once); nothing else in Starling calls localtime or mktime: every other time is UTC
 * (gmtime_r, timegm). */
#include "config.h"

#include "tz.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"

/* Where the names live: $TZDIR as the C library honours it, else glibc's default. */
static const char *
zoneinfo_dir(void)
{
	const char *d = getenv("TZDIR");

	return d != NULL && *d != '\0' ? d : "/usr/share/zoneinfo";
}

/* Whether name has the shape of a zone name: no '.', so no way out of the zoneinfo directory. */
static bool
name_shape(const char *name)
{
	size_t i, len = strlen(name);

	if (len == 0 || len > TZ_NAME_MAX)
		return false;
	for (i = 0; i < len; i++) {
		char c = name[i];
		bool part_start = i == 0 || name[i - 1] == '/';

		/* No empty part (an absolute path, "//") and no option-like "-x". */
		if (part_start && (c == '-' || c == '/'))
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '_' || c == '+' || c == '-' || c == '/'))
			return false;
	}
	return name[len - 1] != '/';
}

/* Whether path is a regular file starting with "TZif" (RFC 8536). */
static bool
tzif_file(const char *path)
{
	char magic[4];
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	bool ok = false;

	if (fd < 0)
		return false;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && read(fd, magic, 4) == 4)
		ok = memcmp(magic, "TZif", 4) == 0;
	close(fd);
	return ok;
}

bool
tz_valid(const char *name)
{
	struct buf path = BUF_INIT;
	bool ok;

	if (name == NULL || !name_shape(name))
		return false;
	if (strcmp(name, "UTC") == 0)
		return true;
	buf_printf(&path, "%s/%s", zoneinfo_dir(), name);
	ok = tzif_file(buf_cstr(&path));
	buf_free(&path);
	return ok;
}

/* Makes zone the process's TZ, unless it is already. */
static void
use_zone(const char *zone)
{
	const char *cur = getenv("TZ");

	if (cur != NULL && strcmp(cur, zone) == 0)
		return;
	setenv("TZ", zone, 1);
	tzset();
}

int
tz_local(time_t t, const char *zone, struct tm *tm, char *abbr, size_t n)
{
	const char *cur = getenv("TZ");
	/* A TZ this module set was checked when it was set: a page's cards open no file each. */
	bool ok = zone != NULL && ((cur != NULL && strcmp(cur, zone) == 0) || tz_valid(zone));

	use_zone(ok ? zone : "UTC");
	if (localtime_r(&t, tm) == NULL)
		memset(tm, 0, sizeof *tm);
	/* Copied while TZ still names the zone: tm_zone points into tzset's data. */
	if (abbr != NULL && n > 0 && strftime(abbr, n, "%Z", tm) == 0)
		abbr[0] = '\0';
	return ok ? 0 : -1;
}
