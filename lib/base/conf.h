/* conf.h: Starling's configuration, read once at process start from an INI-style file.
 *
 * Every key, its type, default and allowed range live in one table in conf.c, and
 * etc/starling.conf.example documents each of them; tests/unit/test_conf.c checks that the two
 * agree. A file with an unknown section or key, a repeated key or a bad value is refused as a
 * whole, with a message naming the file, the line, the key and the problem: a binary with a wrong
 * configuration must not start. */
#ifndef STARLING_CONF_H
#define STARLING_CONF_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "log.h"
#include "password.h"

struct conf {
	/* [site] */
	char          *site_name;
	char          *base_url;
	bool           https;
	char          *default_language;
	char          *templates_dir;
	char          *static_url;
	/* [log] */
	enum log_level log_level;
	/* [http] */
	long           max_body_bytes;
	long           max_uri_bytes;
	long           max_fields;
	long           max_header_bytes;
	long           max_json_depth;
	/* [mysql] */
	char          *mysql_instances;
	char          *mysql_user;
	char          *mysql_password;
	char          *mysql_database;
	long           mysql_logical_shards;
	char          *mysql_shard_map;
	long           mysql_connect_timeout;
	long           mysql_read_timeout;
	long           mysql_write_timeout;
	long           mysql_statement_timeout_ms;
	long           mysql_statement_cache;
	/* [memcached] */
	char          *memcached_servers;
	long           memcached_timeout_ms;
	char          *memcached_key_prefix;
	long           memcached_dead_timeout;
	/* [breaker] */
	char          *breaker_state_file;
	long           breaker_failures;
	long           breaker_open_seconds;
	long           breaker_max_open_seconds;
	/* [shed] */
	long           shed_anonymous_wait_ms;
	long           shed_wait_ms;
	long           shed_queue_target_ms;
	long           shed_queue_wait_ms;
	long           shed_retry_after;
	char          *shed_signal_file;
	/* [metrics] */
	char          *metrics_state_file;
	char          *metrics_allow;
	/* [auth] */
	long           auth_password_iterations;   /* read and ignored: see conf.c */
	struct password_cost auth_password_cost;
	char          *auth_token_key_file;
	char          *auth_previous_token_key_file;
	long           auth_token_ttl;
	long           auth_token_leeway;
	/* [limits] */
	long           limit_signups_per_ip;
	long           limit_failed_logins_per_user;
	long           limit_failed_logins_per_ip;
	long           limit_reset_codes_per_email;
	long           limit_failed_activations_per_ip;
	/* Writes per account: a count, and the window in seconds it holds over
	 * (lib/social/limit.h). */
	long           limit_posts, limit_posts_window;
	long           limit_replies, limit_replies_window;
	long           limit_reposts, limit_reposts_window;
	long           limit_likes, limit_likes_window;
	long           limit_follows, limit_follows_window;
	long           limit_reports, limit_reports_window;
	long           limit_mentions, limit_mentions_window;
	long           limit_mentions_per_user, limit_mentions_per_user_window;
	/* [mail] */
	char          *mail_transport;
	char          *mail_sendmail_path;
	char          *mail_from;
	char          *mail_spool_dir;
	/* [media] */
	char          *media_storage;
	long           media_url_ttl;
	long           media_max_image_bytes;
	long           media_max_video_bytes;
	char          *media_local_dir;
	char          *media_local_url;
	char          *media_s3_endpoint;
	char          *media_s3_region;
	char          *media_s3_bucket;
	bool           media_s3_path_style;
	char          *media_s3_access_key_id;
	char          *media_s3_secret_key_file;
	char          *media_s3_public_url;
	/* [pages] */
	long           pages_refresh_s;
	long           media_thumb_px;      /* processed sizes' bounds (lib/social/imgproc.h) */
	long           media_display_px;
	long           media_quality;
	long           media_max_pixels;
	long           media_process_seconds;
	long           media_max_frames;    /* an animated GIF's limits (lib/social/imgproc.h) */
	long           media_max_anim_pixels;
	long           media_orphan_grace;  /* seconds: the clean-up (lib/social/mediaclean.h) */
	/* [posts] */
	long           posts_max_chars;
	long           posts_idempotency_ttl;
	/* [timeline] */
	long           timeline_push_max_followers;
	long           timeline_push_inline_max;
	/* [worker] */
	long           worker_poll_ms;
	long           worker_trends_interval;
	long           worker_cleanup_interval;
	long           worker_lock_timeout;
	/* [links] (lib/ext/linkfetch.h, docs/links.md) */
	char          *links_allow_hosts;
	long           links_max_bytes;
	long           links_connect_timeout_ms;
	long           links_timeout_ms;
	long           links_max_redirects;
	/* [trends] (lib/social/trend.h, docs/search.md) */
	long           trends_window;
	long           trends_min_users;
	/* [switches] (lib/store/switches.h, docs/operations.md) */
	long           switches_refresh_seconds;
	long           switches_release_per_second;
	long           switches_retry_after;
	long           switches_slow_retry_after;
	long           switches_slow_job_retry;
};

/* Sets every field to its default (strings are allocated; conf_free releases them). */
void conf_defaults(struct conf *c);

/* Parses text (len bytes) as a configuration on top of the defaults; origin names the file in
 * messages. Returns 0, or -1 with "origin:line: [section] key: problem" in err; on -1 c still holds
 * only valid values and must be freed with conf_free. */
int conf_parse(struct conf *c, const char *text, size_t len, const char *origin, struct buf *err);

/* Reads and parses the file at path (see conf_parse). A file that cannot be read is an error too. */
int conf_load(struct conf *c, const char *path, struct buf *err);

/* The file the binaries read: $STARLING_CONF when set and not empty, else the build-time default
 * (./configure --with-default-conf). Static or environment storage; do not free. */
const char *conf_path(void);

void conf_free(struct conf *c);

/* For tests and docs: the number of keys, and the i-th key's section, name and default as text. */
size_t conf_key_count(void);
void conf_key_info(size_t i, const char **section, const char **name, const char **def);

#endif
