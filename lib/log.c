/* log.c: one-line event logging to stderr. */
#include "config.h"

#include <stdarg.h>
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

/* Copies s into b with control characters escaped, so one event is always one line. */
static void
put_escaped(struct buf *b, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\n')
			buf_puts(b, "\\n");
		else if (c == '\\')
			buf_puts(b, "\\\\");
		else if (c < 0x20 || c == 0x7f)
			buf_printf(b, "\\x%02x", c);
		else
			buf_putc(b, (char)c);
	}
}

void
log_msg(enum log_level l, const char *fmt, ...)
{
	struct buf msg = BUF_INIT, line = BUF_INIT;
	char stamp[32];
	time_t now;
	struct tm tm;
	va_list ap;

	if (l > log_min)
		return;
	va_start(ap, fmt);
	buf_vprintf(&msg, fmt, ap);
	va_end(ap);

	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
	buf_printf(&line, "%s %s[%ld] %s req=%s: ", stamp, log_prog, (long)getpid(),
	    log_level_name(l), log_reqid[0] ? log_reqid : "-");
	put_escaped(&line, msg.data ? msg.data : "", msg.len);
	buf_putc(&line, '\n');
	(void)!write(log_fd >= 0 ? log_fd : STDERR_FILENO, line.data, line.len);
	buf_free(&line);
	buf_free(&msg);
}
