/* log.c: one-line event logging to stderr, in logfmt (log.h). */
#include "config.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"

static const char *log_prog = "starling";
static enum log_level log_min = LOG_LEVEL_INFO;
static char log_reqid[65];
static int log_fd = -1;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void
log_init(const char *prog, enum log_level min)
{
	log_prog = prog;
	log_min = min;
}

void
log_set_level(enum log_level min)
{
	log_min = min;
}

int
log_level_parse(const char *s, enum log_level *out)
{
	size_t i;

	for (i = 0; i < sizeof level_names / sizeof level_names[0]; i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

const char *
log_level_name(enum log_level l)
{
	if ((size_t)l >= sizeof level_names / sizeof level_names[0])
		return "?";
	return level_names[l];
}

void
log_set_request_id(const char *id)
{
	if (id == NULL)
		log_reqid[0] = '\0';
	else
		snprintf(log_reqid, sizeof log_reqid, "%s", id);
}

const char *
log_request_id(void)
{
	return log_reqid;
}

void
log_set_fd(int fd)
{
	log_fd = fd;
}

/* Whether s must be quoted to be one logfmt value: empty, or holding a space, a control
 * character, '=', '"' or '\\' (bytes above 0x7f, UTF-8, are plain characters). */
static bool
needs_quotes(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return true;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= ' ' || c == 0x7f || c == '=' || c == '"' || c == '\\')
			return true;
	}
	return false;
}

void
log_put_value(struct buf *b, const char *s, size_t n)
{
	size_t i;

	if (!needs_quotes(s, n)) {
		buf_append(b, s, n);
		return;
	}
	buf_putc(b, '"');
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			buf_putc(b, '\\');
			buf_putc(b, (char)c);
		} else if (c == '\n') {
			buf_puts(b, "\\n");
		} else if (c == '\r') {
			buf_puts(b, "\\r");
		} else if (c == '\t') {
			buf_puts(b, "\\t");
		} else if (c < 0x20 || c == 0x7f) {
			buf_printf(b, "\\u%04x", c);
		} else {
			buf_putc(b, (char)c);
		}
	}
	buf_putc(b, '"');
}

/* Writes the line: the five fixed fields, msg (n bytes), then the fields f. */
static void
write_line(enum log_level l, const char *msg, size_t len, const struct log_field *f, size_t n)
{
	struct buf line = BUF_INIT;
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	size_t i;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
	buf_printf(&line, "ts=%s level=%s prog=", stamp, log_level_name(l));
	log_put_value(&line, log_prog, strlen(log_prog));
	buf_printf(&line, " pid=%ld req=", (long)getpid());
	log_put_value(&line, log_reqid[0] ? log_reqid : "-", strlen(log_reqid[0] ? log_reqid : "-"));
	buf_puts(&line, " msg=");
	log_put_value(&line, msg, len);
	for (i = 0; i < n; i++) {
		const char *v = f[i].value ? f[i].value : "";

		buf_printf(&line, " %s=", f[i].key);
		log_put_value(&line, v, strlen(v));
	}
	buf_putc(&line, '\n');
	(void)!write(log_fd >= 0 ? log_fd : STDERR_FILENO, line.data, line.len);
	buf_free(&line);
}

void
log_msg(enum log_level l, const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	va_list ap;

	if (l > log_min)
		return;
	va_start(ap, fmt);
	buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	write_line(l, msg.data ? msg.data : "", msg.len, NULL, 0);
	buf_free(&msg);
}

void
log_fields(enum log_level l, const char *msg, const struct log_field *f, size_t n)
{
	if (l > log_min)
		return;
	write_line(l, msg ? msg : "", msg ? strlen(msg) : 0, f, n);
}
