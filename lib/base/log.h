/* log.h: one line per event on stderr, which the web server keeps in its error log.
 *
 * Every line is logfmt (key=value pairs separated by one space), so a log tool reads each field
 * without a pattern of its own; one write(2) each, so lines of concurrent workers never
 * interleave:
 *   ts=2026-11-21T10:46:00Z level=error prog=starling-site pid=1234 req=5f2c9a1e0b7d4c3a msg="db down"
 * The first five fields are always there, in that order (req=- outside a request); msg follows,
 * then the fields of log_fields. A value is written bare when it is one run of printable
 * characters without '=', '"' or '\'; else it is quoted, with '"' and '\' escaped by a
 * backslash and control characters as \n, \r, \t or \u00XX, so a hostile value can neither
 * forge a line nor a field. docs/operations.md ("Logs") lists the fields.
 * Never pass a password, token, code or cookie value to these functions. */
#ifndef STARLING_LOG_H
#define STARLING_LOG_H

#include <stddef.h>

struct buf;

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

/* Sets the program name (borrowed: pass a string that lives as long as the process) and the least
 * severe level that is written. Before log_init, the name is "starling" and the level info. */
void log_init(const char *prog, enum log_level min);
void log_set_level(enum log_level min);
/* Parses "error", "warn", "info" or "debug"; returns 0, or -1 for anything else. */
int log_level_parse(const char *s, enum log_level *out);
const char *log_level_name(enum log_level l);
/* The request id put on every line until cleared with NULL; copied (at most 64 bytes). */
void log_set_request_id(const char *id);
const char *log_request_id(void);
/* Redirects output to fd (tests); -1 restores stderr. */
void log_set_fd(int fd);

/* A line whose msg is fmt's text. */
void log_msg(enum log_level l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One field of log_fields: key a fixed name of the program ([a-z_]+, never from input), value
 * any text (NULL is written as ""). Both borrowed. */
struct log_field {
	const char *key;
	const char *value;
};

/* A line with msg and then the n fields f, in order (the access log line: lib/app/app.c). */
void log_fields(enum log_level l, const char *msg, const struct log_field *f, size_t n);

/* Appends s (n bytes) to b as a logfmt value: bare or quoted, escaped as above. For the tests and
 * for other writers of logfmt lines. */
void log_put_value(struct buf *b, const char *s, size_t n);

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
