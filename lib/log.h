/* log.h: one line per event on stderr, which the web server keeps in its error log.
 *
 * Line format (one write(2) each, so lines of concurrent workers never interleave):
 *   2026-11-21T10:46:00Z starling-site[1234] error req=5f2c9a1e0b7d4c3a: message
 * Control characters in the message are escaped (\n, \xHH), so a hostile value cannot forge a line.
 * Never pass a password, token, code or cookie value to these functions. */
#ifndef STARLING_LOG_H
#define STARLING_LOG_H

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

void log_msg(enum log_level l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
