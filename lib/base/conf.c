/* conf.c: the configuration table and its INI parser. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "xalloc.h"

#ifndef STARLING_DEFAULT_CONF
#define STARLING_DEFAULT_CONF "/etc/starling/starling.conf"
#endif
#ifndef STARLING_DATADIR
#define STARLING_DATADIR "/usr/share/starling"
#endif

/* A configuration file is a few kilobytes; anything far larger is a mistake (a wrong path). */
#define CONF_MAX_FILE (1024 * 1024)

enum conf_type { CT_STRING, CT_IDENT, CT_URL, CT_BOOL, CT_LONG, CT_LEVEL, CT_LANG, CT_LIST };

struct conf_key {
	const char     *section;
	const char     *name;
	enum conf_type  type;
	size_t          offset;
	const char     *def;
	long            min, max;   /* CT_LONG range; CT_STRING/CT_LIST/CT_URL maximum length */
};

#define F(field) offsetof(struct conf, field)
/* A write limit's two keys: NAME (events) and NAME_window (seconds). */
#define LIMIT_KEYS(name, field, count, window) \
	{ "limits", name, CT_LONG, F(field), count, 1, 1000000 }, \
	{ "limits", name "_window", CT_LONG, F(field##_window), window, 1, 604800 }

/* Every key with its default. Why each default is what it is: see etc/starling.conf.example. */
static const struct conf_key keys[] = {
	{ "site", "name",             CT_STRING, F(site_name),        "Starling", 0, 64 },
	{ "site", "base_url",         CT_URL,    F(base_url),         "http://127.0.0.1:8080", 0, 255 },
	{ "site", "https",            CT_BOOL,   F(https),            "false", 0, 0 },
	{ "site", "default_language", CT_LANG,   F(default_language), "en", 0, 0 },
	{ "site", "templates_dir",    CT_STRING, F(templates_dir),    "", 0, 4096 },
	{ "site", "static_url",       CT_STRING, F(static_url),       "/static", 0, 255 },
	{ "log",  "level",            CT_LEVEL,  F(log_level),        "info", 0, 0 },
	{ "http", "max_body_bytes",   CT_LONG,   F(max_body_bytes),   "1048576", 1024, 67108864 },
	{ "http", "max_uri_bytes",    CT_LONG,   F(max_uri_bytes),    "8192", 256, 65536 },
	{ "http", "max_fields",       CT_LONG,   F(max_fields),       "64", 1, 10000 },
	{ "http", "max_header_bytes", CT_LONG,   F(max_header_bytes), "8192", 256, 65536 },
	{ "http", "max_json_depth",   CT_LONG,   F(max_json_depth),   "16", 2, 64 },
	{ "mysql", "instances",       CT_LIST,   F(mysql_instances),  "127.0.0.1:3306", 0, 4096 },
	{ "mysql", "user",            CT_STRING, F(mysql_user),       "starling", 0, 80 },
	{ "mysql", "password",        CT_STRING, F(mysql_password),   "", 0, 256 },
	{ "mysql", "database",        CT_IDENT,  F(mysql_database),   "starling", 0, 48 },
	{ "mysql", "logical_shards",  CT_LONG,   F(mysql_logical_shards), "64", 1, 1024 },
	{ "mysql", "shard_map",       CT_STRING, F(mysql_shard_map),  "", 0, 4096 },
	{ "mysql", "connect_timeout", CT_LONG,   F(mysql_connect_timeout), "1", 1, 300 },
	{ "mysql", "read_timeout",    CT_LONG,   F(mysql_read_timeout),    "3", 1, 300 },
	{ "mysql", "write_timeout",   CT_LONG,   F(mysql_write_timeout),   "3", 1, 300 },
	{ "mysql", "statement_timeout_ms", CT_LONG, F(mysql_statement_timeout_ms), "500", 0, 300000 },
	{ "mysql", "statement_cache", CT_LONG,   F(mysql_statement_cache), "256", 8, 16384 },
	{ "memcached", "servers",     CT_LIST,   F(memcached_servers), "127.0.0.1:11211", 0, 4096 },
	{ "memcached", "timeout_ms",  CT_LONG,   F(memcached_timeout_ms), "500", 10, 60000 },
	{ "memcached", "key_prefix",  CT_STRING, F(memcached_key_prefix), "starling:", 0, 32 },
	{ "memcached", "dead_timeout", CT_LONG,  F(memcached_dead_timeout), "30", 1, 3600 },
	{ "breaker", "state_file",    CT_STRING, F(breaker_state_file), "", 0, 4096 },
	{ "breaker", "failures",      CT_LONG,   F(breaker_failures),   "2", 1, 1000 },
	{ "breaker", "open_seconds",  CT_LONG,   F(breaker_open_seconds), "5", 1, 3600 },
	{ "breaker", "max_open_seconds", CT_LONG, F(breaker_max_open_seconds), "60", 1, 86400 },
	{ "shed", "anonymous_wait_ms", CT_LONG, F(shed_anonymous_wait_ms), "100", 0, 600000 },
	{ "shed", "wait_ms",           CT_LONG, F(shed_wait_ms),           "1000", 0, 600000 },
	{ "shed", "queue_target_ms",   CT_LONG, F(shed_queue_target_ms),   "20", 0, 600000 },
	{ "shed", "queue_wait_ms",     CT_LONG, F(shed_queue_wait_ms),     "50", 0, 600000 },
	{ "shed", "retry_after",       CT_LONG, F(shed_retry_after),       "2", 1, 3600 },
	{ "shed", "signal_file",       CT_STRING, F(shed_signal_file),     "", 0, 4096 },
	/* No longer used (new hashes are argon2id's); still read, so that older files load. */
	{ "metrics", "state_file",    CT_STRING, F(metrics_state_file), "", 0, 4096 },
	{ "metrics", "allow",         CT_STRING, F(metrics_allow), "127.0.0.1, ::1", 0, 4096 },
	{ "auth", "password_iterations", CT_LONG, F(auth_password_iterations), "600000", 1000, 100000000 },
	{ "auth", "argon2_passes",    CT_LONG,   F(auth_password_cost.passes), "2", PASSWORD_MIN_PASSES,
	                                                                       PASSWORD_MAX_PASSES },
	{ "auth", "argon2_memory_kib", CT_LONG,  F(auth_password_cost.mem_kib), "19456",
	                                                PASSWORD_MIN_MEM_KIB, PASSWORD_MAX_MEM_KIB },
	{ "auth", "token_key_file",   CT_STRING, F(auth_token_key_file), "/etc/starling/token.key", 0, 4096 },
	{ "auth", "previous_token_key_file", CT_STRING, F(auth_previous_token_key_file), "", 0, 4096 },
	{ "auth", "token_ttl",        CT_LONG,   F(auth_token_ttl),   "2592000", 300, 31536000 },
	{ "auth", "token_leeway",     CT_LONG,   F(auth_token_leeway), "60", 0, 600 },
	{ "limits", "signups_per_ip",        CT_LONG, F(limit_signups_per_ip), "10", 1, 1000000 },
	{ "limits", "failed_logins_per_user", CT_LONG, F(limit_failed_logins_per_user), "10", 1, 1000000 },
	{ "limits", "failed_logins_per_ip",   CT_LONG, F(limit_failed_logins_per_ip), "50", 1, 1000000 },
	{ "limits", "reset_codes_per_email",  CT_LONG, F(limit_reset_codes_per_email), "3", 1, 1000000 },
	{ "limits", "failed_activations_per_ip", CT_LONG, F(limit_failed_activations_per_ip), "50", 1,
	                                                                                  1000000 },
	/* Writes per account. Windows are at most a week: a counter lives two windows, and
	 * memcached reads a TTL past 30 days as a date. */
	LIMIT_KEYS("posts",   limit_posts,   "300",  "10800"),
	LIMIT_KEYS("replies", limit_replies, "300",  "10800"),
	LIMIT_KEYS("reposts", limit_reposts, "300",  "10800"),
	LIMIT_KEYS("likes",   limit_likes,   "1000", "10800"),
	LIMIT_KEYS("follows", limit_follows, "400",  "86400"),
	LIMIT_KEYS("reports", limit_reports, "400",  "86400"),
	LIMIT_KEYS("mentions", limit_mentions, "300", "10800"),
	LIMIT_KEYS("mentions_per_user", limit_mentions_per_user, "50", "3600"),
	{ "mail", "transport",        CT_STRING, F(mail_transport),   "sendmail", 0, 16 },
	{ "mail", "sendmail_path",    CT_STRING, F(mail_sendmail_path), "/usr/sbin/sendmail", 0, 4096 },
	{ "mail", "from",             CT_STRING, F(mail_from),        "Starling <noreply@localhost>", 0, 255 },
	{ "mail", "spool_dir",        CT_STRING, F(mail_spool_dir),   "", 0, 4096 },
	{ "media", "storage",         CT_STRING, F(media_storage),     "local", 0, 8 },
	{ "media", "url_ttl",         CT_LONG,   F(media_url_ttl),     "1800", 60, 86400 },
	{ "media", "max_image_bytes", CT_LONG,   F(media_max_image_bytes), "5242880", 1024, 67108864 },
	{ "media", "max_video_bytes", CT_LONG,   F(media_max_video_bytes), "52428800", 1024, 67108864 },
	{ "media", "local_dir",       CT_STRING, F(media_local_dir),   "", 0, 4096 },
	{ "media", "local_url",       CT_STRING, F(media_local_url),   "/media", 0, 255 },
	{ "media", "s3_endpoint",     CT_STRING, F(media_s3_endpoint), "https://s3.amazonaws.com", 0, 255 },
	{ "media", "s3_region",       CT_STRING, F(media_s3_region),   "us-east-1", 0, 64 },
	{ "media", "s3_bucket",       CT_STRING, F(media_s3_bucket),   "", 0, 63 },
	{ "media", "s3_path_style",   CT_BOOL,   F(media_s3_path_style), "false", 0, 0 },
	{ "media", "s3_access_key_id", CT_STRING, F(media_s3_access_key_id), "", 0, 128 },
	{ "media", "s3_secret_key_file", CT_STRING, F(media_s3_secret_key_file), "", 0, 4096 },
	{ "media", "s3_public_url",   CT_STRING, F(media_s3_public_url), "", 0, 255 },
	/* How often an open page refreshes its counts and looks for new posts (static/starling.js):
	 * every open page costs one small request per period; 0 turns both off. */
	{ "pages", "refresh_s",       CT_LONG,   F(pages_refresh_s),   "30", 0, 3600 },
	{ "media", "thumb_px",        CT_LONG,   F(media_thumb_px),    "640", 64, 4096 },
	{ "media", "display_px",      CT_LONG,   F(media_display_px),  "1600", 64, 8192 },
	{ "media", "quality",         CT_LONG,   F(media_quality),     "80", 1, 100 },
	{ "media", "max_pixels",      CT_LONG,   F(media_max_pixels),  "50000000", 1, 500000000 },
	{ "media", "process_seconds", CT_LONG,   F(media_process_seconds), "20", 1, 600 },
	/* An animated GIF's frames, and its pixels in all (frames x width x height): what its
	 * decoding and WebP encoding cost grows with both. 300 frames is 10 s at 30 frames a
	 * second; 50 million pixels is 200 frames of 500 x 500, a few seconds of one core. */
	{ "media", "max_frames",      CT_LONG,   F(media_max_frames),  "300", 2, 10000 },
	{ "media", "max_anim_pixels", CT_LONG,   F(media_max_anim_pixels), "50000000", 1, 500000000 },
	/* A day: a user who uploads, then writes the post for a while (or loses the page and comes
	 * back) still finds the upload; at most 30 days of orphans wait. 0 sweeps at the next run
	 * (the tests). */
	{ "media", "orphan_grace",    CT_LONG,   F(media_orphan_grace), "86400", 0, 2592000 },
	{ "posts", "max_chars",       CT_LONG,   F(posts_max_chars),   "280", 1, 280 },
	{ "posts", "idempotency_ttl", CT_LONG,   F(posts_idempotency_ttl), "86400", 86400, 2592000 },
	{ "timeline", "push_max_followers", CT_LONG, F(timeline_push_max_followers), "10000", 1,
	                                                                                  100000000 },
	/* 200 appends are one pipelined round trip per memcached node and a few milliseconds: the
	 * request that posts can afford them; more is starling-worker's (docs/timeline.md). */
	{ "timeline", "push_inline_max", CT_LONG, F(timeline_push_inline_max), "200", 0, 100000000 },
	{ "worker", "poll_ms",        CT_LONG,   F(worker_poll_ms),    "200", 10, 60000 },
	{ "worker", "trends_interval", CT_LONG,  F(worker_trends_interval), "300", 10, 86400 },
	{ "worker", "cleanup_interval", CT_LONG, F(worker_cleanup_interval), "3600", 60, 604800 },
	{ "worker", "lock_timeout",   CT_LONG,   F(worker_lock_timeout), "300", 10, 86400 },
	/* The link cards' fetcher (lib/ext/linkfetch.h, docs/links.md): the allow-list is for tests
	 * only; the limits keep one fetch small and short whatever the page does. */
	{ "links", "allow_hosts",     CT_STRING, F(links_allow_hosts), "", 0, 4096 },
	{ "links", "max_bytes",       CT_LONG,   F(links_max_bytes),   "524288", 1024, 16777216 },
	{ "links", "connect_timeout_ms", CT_LONG, F(links_connect_timeout_ms), "3000", 100, 60000 },
	{ "links", "timeout_ms",      CT_LONG,   F(links_timeout_ms),  "10000", 500, 120000 },
	{ "links", "max_redirects",   CT_LONG,   F(links_max_redirects), "3", 0, 10 },
	{ "trends", "window",         CT_LONG,   F(trends_window),     "86400", 3600, 604800 },
	{ "trends", "min_users",      CT_LONG,   F(trends_min_users),  "3", 1, 1000000 },
	{ "switches", "refresh_seconds", CT_LONG, F(switches_refresh_seconds), "2", 1, 300 },
	{ "switches", "release_per_second", CT_LONG, F(switches_release_per_second), "50", 1, 1000000 },
	{ "switches", "retry_after",  CT_LONG,   F(switches_retry_after), "5", 1, 3600 },
	{ "switches", "slow_retry_after", CT_LONG, F(switches_slow_retry_after), "120", 1, 86400 },
	{ "switches", "slow_job_retry", CT_LONG, F(switches_slow_job_retry), "1800", 60, 86400 },
};

#define NKEYS (sizeof keys / sizeof keys[0])

static void *
field(struct conf *c, const struct conf_key *k)
{
	return (char *)c + k->offset;
}

static bool
parse_long(const char *s, long *out)
{
	char *end;
	long v;

	if (*s == '\0' || isspace((unsigned char)*s))
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return false;
	*out = v;
	return true;
}

/* Checks value against k and stores it; returns NULL, or a static description of the problem. */
static const char *
set_value(struct conf *c, const struct conf_key *k, const char *value)
{
	size_t len = strlen(value);
	long v;

	switch (k->type) {
	case CT_BOOL:
		if (strcmp(value, "true") == 0 || strcmp(value, "yes") == 0 || strcmp(value, "1") == 0)
			*(bool *)field(c, k) = true;
		else if (strcmp(value, "false") == 0 || strcmp(value, "no") == 0 ||
		    strcmp(value, "0") == 0)
			*(bool *)field(c, k) = false;
		else
			return "must be true or false";
		return NULL;
	case CT_LONG:
		if (!parse_long(value, &v))
			return "must be a whole number";
		if (v < k->min || v > k->max)
			return "is out of range (see etc/starling.conf.example)";
		*(long *)field(c, k) = v;
		return NULL;
	case CT_LEVEL:
		if (log_level_parse(value, (enum log_level *)field(c, k)) != 0)
			return "must be error, warn, info or debug";
		return NULL;
	case CT_LANG:
		if (strcmp(value, "en") != 0 && strcmp(value, "zh") != 0)
			return "must be en or zh";
		break;
	case CT_URL:
		if (strncmp(value, "http://", 7) != 0 && strncmp(value, "https://", 8) != 0)
			return "must start with http:// or https://";
		if (len > 8 && value[len - 1] == '/')
			return "must not end with a slash";
		break;
	case CT_LIST:
		if (len == 0)
			return "must name at least one server";
		break;
	case CT_IDENT:
		/* Used to build SQL identifiers (database names), which cannot be bound. */
		if (len == 0 || strspn(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789_") != len)
			return "must be letters, digits and _ only";
		break;
	case CT_STRING:
		break;
	}
	if (k->max > 0 && (long)len > k->max)
		return "is too long";
	free(*(char **)field(c, k));
	*(char **)field(c, k) = xstrdup(value);
	return NULL;
}

void
conf_defaults(struct conf *c)
{
	size_t i;

	memset(c, 0, sizeof *c);
	for (i = 0; i < NKEYS; i++) {
		const char *problem = set_value(c, &keys[i], keys[i].def);

		if (problem != NULL)
			abort(); /* a default that fails its own check is a bug in the table */
	}
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static const struct conf_key *
find_key(const char *section, const char *name)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static bool
known_section(const char *section)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].section, section) == 0)
			return true;
	return false;
}

/* Parses one line (already without its newline); returns 0 or -1 with err filled. */
static int
parse_line(struct conf *c, char *line, char *section, size_t section_size, bool *seen,
    const char *where, struct buf *err)
{
	const struct conf_key *k;
	const char *problem;
	char *eq, *name, *value;

	line = trim(line);
	if (*line == '\0' || *line == ';' || *line == '#')
		return 0;
	if (*line == '[') {
		char *close = strchr(line, ']');

		if (close == NULL || close[1] != '\0') {
			buf_printf(err, "%s: malformed section header", where);
			return -1;
		}
		*close = '\0';
		name = trim(line + 1);
		if (!known_section(name)) {
			buf_printf(err, "%s: unknown section [%.64s]", where, name);
			return -1;
		}
		snprintf(section, section_size, "%s", name);
		return 0;
	}
	eq = strchr(line, '=');
	if (eq == NULL) {
		buf_printf(err, "%s: expected \"key = value\"", where);
		return -1;
	}
	*eq = '\0';
	name = trim(line);
	value = trim(eq + 1);
	if (*section == '\0') {
		buf_printf(err, "%s: key %.64s outside any [section]", where, name);
		return -1;
	}
	k = find_key(section, name);
	if (k == NULL) {
		buf_printf(err, "%s: [%s] unknown key %.64s", where, section, name);
		return -1;
	}
	if (seen[k - keys]) {
		buf_printf(err, "%s: [%s] %s is set twice", where, section, name);
		return -1;
	}
	seen[k - keys] = true;
	problem = set_value(c, k, value);
	if (problem != NULL) {
		/* The value is not echoed: it may be a password. */
		buf_printf(err, "%s: [%s] %s %s", where, section, name, problem);
		return -1;
	}
	return 0;
}

int
conf_parse(struct conf *c, const char *text, size_t len, const char *origin, struct buf *err)
{
	bool seen[NKEYS] = { false };
	char section[32] = "";
	char *copy = xmemdup(text, len), *line = copy, *nl;
	struct buf where = BUF_INIT;
	size_t lineno = 0;
	int rc = 0;

	if (memchr(text, '\0', len) != NULL) {
		buf_printf(err, "%s: contains a NUL byte; not a text file", origin);
		rc = -1;
		goto out;
	}
	while (line != NULL) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		lineno++;
		buf_reset(&where);
		buf_printf(&where, "%s:%zu", origin, lineno);
		if (parse_line(c, line, section, sizeof section, seen, buf_cstr(&where), err) != 0) {
			rc = -1;
			goto out;
		}
		line = nl ? nl + 1 : NULL;
	}
out:
	buf_free(&where);
	free(copy);
	return rc;
}

int
conf_load(struct conf *c, const char *path, struct buf *err)
{
	struct buf text = BUF_INIT;
	int rc = -1;

	if (buf_read_file(&text, path, CONF_MAX_FILE, err) == 0)
		rc = conf_parse(c, buf_cstr(&text), text.len, path, err);
	buf_free(&text);
	return rc;
}

const char *
conf_path(void)
{
	const char *p = getenv("STARLING_CONF");

	return p && *p ? p : STARLING_DEFAULT_CONF;
}

void
conf_free(struct conf *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < NKEYS; i++) {
		if (keys[i].type == CT_STRING || keys[i].type == CT_IDENT || keys[i].type == CT_URL ||
		    keys[i].type == CT_LANG || keys[i].type == CT_LIST) {
			free(*(char **)field(c, &keys[i]));
			*(char **)field(c, &keys[i]) = NULL;
		}
	}
}

size_t
conf_key_count(void)
{
	return NKEYS;
}

void
conf_key_info(size_t i, const char **section, const char **name, const char **def)
{
	*section = keys[i].section;
	*name = keys[i].name;
	*def = keys[i].def;
}
