/* tz.h: time zones by their IANA names ("Asia/Shanghai"), for showing a time where its reader is.
 *
 * A name is only ever taken from the system's zoneinfo (/usr/share/zoneinfo, or $TZDIR): a name
 * a user typed or a cookie sent is checked by tz_valid before it is used, so nothing else reaches
 * the C library's TZ parser (which would read any path, or take "EST5EDT,M3.2.0" rules). */
#ifndef STARLING_TZ_H
#define STARLING_TZ_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* The longest name taken: the longest IANA names are about 30 bytes; tb_user.time_zone holds 64. */
#define TZ_NAME_MAX 64

/* Whether name is a zone of the system's zoneinfo: "UTC", or at most TZ_NAME_MAX bytes of
 * letters, digits and "_+-", in '/'-separated parts none of which is empty or starts with '-'
 * (no '.', so no "..", and no absolute path), naming a regular file that starts with the TZif magic. NULL, "" and
 * anything else are refused. */
bool tz_valid(const char *name);

/* t in zone (a name tz_valid accepts) into *tm, and, with abbr (n bytes), the zone's
 * abbreviation at t ("CST", "EDT", "+0545"). Returns 0, or -1 for a zone tz_valid refuses (then
 * *tm and abbr are t in UTC). Not thread-safe: see tz.c. */
int tz_local(time_t t, const char *zone, struct tm *tm, char *abbr, size_t n);

#endif
