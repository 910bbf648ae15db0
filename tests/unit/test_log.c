/* test_log.c: log lines: logfmt format, level filtering, quoting and escaping (one event, one
 * line, one value per field), request ids, the fields of log_fields. */
#include "config.h"

#include "test.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"

/* Output goes to the write end of a pipe; the read end is non-blocking so a test can take
 * exactly what was written so far. */
static int pipefd[2] = { -1, -1 };

static int
setup(void **state)
{
	(void)state;
	if (pipe(pipefd) != 0 || fcntl(pipefd[0], F_SETFL, O_NONBLOCK) != 0)
		return -1;
	log_set_fd(pipefd[1]);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	log_set_fd(-1);
	close(pipefd[0]);
	close(pipefd[1]);
	return 0;
}

/* Everything written since the last call, appended to out (emptied first). */
static void
drain(struct buf *out)
{
	char chunk[4096];
	ssize_t n;

	buf_reset(out);
	while ((n = read(pipefd[0], chunk, sizeof chunk)) > 0)
		buf_append(out, chunk, (size_t)n);
}

/* Checks line is one "ts=<timestamp> level=<level> prog=<prog> pid=<pid> req=<id> msg=" line
 * (logfmt, log.h) with a current UTC timestamp, and returns what follows "msg=" (borrowed from
 * line, with the newline). */
static const char *
check_line(const struct buf *line, const char *prog, const char *level, const char *reqid,
    int where)
{
	char head[256];
	struct tm tm;
	const char *s = buf_cstr(line), *end;
	time_t stamp, now = time(NULL);
	size_t i, hlen;

	if (line->len == 0)
		fail_msg("line %d: nothing was logged", where);
	if (memchr(line->data, '\n', line->len) != line->data + line->len - 1)
		fail_msg("line %d: not exactly one line: \"%s\"", where, s);
	if (memchr(line->data, '\0', line->len) != NULL)
		fail_msg("line %d: a raw NUL byte in the line", where);
	/* ts=2026-11-21T10:46:00Z: digits and separators in place. */
	if (line->len < 24 || strncmp(s, "ts=", 3) != 0)
		fail_msg("line %d: no ts= first: \"%s\"", where, s);
	s += 3;
	for (i = 0; i < 20; i++) {
		const char *shape = "dddd-dd-ddTdd:dd:ddZ";

		if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
			fail_msg("line %d: bad timestamp in \"%s\"", where, s);
	}
	memset(&tm, 0, sizeof tm);
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end != s + 20)
		fail_msg("line %d: timestamp does not parse: \"%s\"", where, s);
	stamp = timegm(&tm);
	if (stamp < now - 5 || stamp > now + 1)
		fail_msg("line %d: timestamp is not now (UTC): \"%s\"", where, s);
	snprintf(head, sizeof head, " level=%s prog=%s pid=%ld req=%s msg=", level, prog,
	    (long)getpid(), reqid);
	hlen = strlen(head);
	if (strncmp(s + 20, head, hlen) != 0)
		fail_msg("line %d: got \"%s\", want the timestamp then \"%s\"", where, s, head);
	return s + 20 + hlen;
}

/* Before log_init the name is "starling" and the level info. (Runs first: the state is global.) */
static void
test_defaults_before_init(void **state)
{
	struct buf out = BUF_INIT;
	const char *msg;

	(void)state;
	log_debug("not written");
	drain(&out);
	assert_int_equal(out.len, 0);
	log_info("written");
	drain(&out);
	msg = check_line(&out, "starling", "info", "-", __LINE__);
	assert_string_equal(msg, "written\n");
	buf_free(&out);
}

/* The exact line for a formatted message. */
static void
test_line_format(void **state)
{
	struct buf out = BUF_INIT;
	const char *msg;

	(void)state;
	log_init("starling-test", LOG_LEVEL_DEBUG);
	log_error("user %s has %d posts", "ada", 42);
	drain(&out);
	msg = check_line(&out, "starling-test", "error", "-", __LINE__);
	assert_string_equal(msg, "\"user ada has 42 posts\"\n");

	/* An empty value is quoted: a parser sees msg="" and not a key without a value. */
	log_warn("%s", "");
	drain(&out);
	msg = check_line(&out, "starling-test", "warn", "-", __LINE__);
	assert_string_equal(msg, "\"\"\n");
	buf_free(&out);
}

/* Each call writes one line of its own. */
static void
test_one_line_per_call(void **state)
{
	struct buf out = BUF_INIT;
	size_t i, lines = 0;

	(void)state;
	log_init("starling-test", LOG_LEVEL_DEBUG);
	log_info("a");
	log_info("b");
	log_debug("c");
	drain(&out);
	for (i = 0; i < out.len; i++)
		lines += out.data[i] == '\n';
	assert_int_equal(lines, 3);
	assert_non_null(strstr(buf_cstr(&out), " level=info prog=starling-test "));
	assert_non_null(strstr(buf_cstr(&out), " req=- msg=a\n"));
	assert_non_null(strstr(buf_cstr(&out), " req=- msg=b\n"));
	assert_non_null(strstr(buf_cstr(&out), " level=debug "));
	assert_non_null(strstr(buf_cstr(&out), " req=- msg=c\n"));
	buf_free(&out);
}

/* A level is written when it is at least as severe as the minimum. */
struct level_row {
	int            line;
	enum log_level min;
	enum log_level level;
	int            written;
};

static const struct level_row level_rows[] = {
	{ __LINE__, LOG_LEVEL_ERROR, LOG_LEVEL_ERROR, 1 },
	{ __LINE__, LOG_LEVEL_ERROR, LOG_LEVEL_WARN,  0 },
	{ __LINE__, LOG_LEVEL_ERROR, LOG_LEVEL_INFO,  0 },
	{ __LINE__, LOG_LEVEL_ERROR, LOG_LEVEL_DEBUG, 0 },
	{ __LINE__, LOG_LEVEL_WARN,  LOG_LEVEL_ERROR, 1 },
	{ __LINE__, LOG_LEVEL_WARN,  LOG_LEVEL_WARN,  1 },
	{ __LINE__, LOG_LEVEL_WARN,  LOG_LEVEL_INFO,  0 },
	{ __LINE__, LOG_LEVEL_WARN,  LOG_LEVEL_DEBUG, 0 },
	{ __LINE__, LOG_LEVEL_INFO,  LOG_LEVEL_ERROR, 1 },
	{ __LINE__, LOG_LEVEL_INFO,  LOG_LEVEL_WARN,  1 },
	{ __LINE__, LOG_LEVEL_INFO,  LOG_LEVEL_INFO,  1 },
	{ __LINE__, LOG_LEVEL_INFO,  LOG_LEVEL_DEBUG, 0 },
	{ __LINE__, LOG_LEVEL_DEBUG, LOG_LEVEL_ERROR, 1 },
	{ __LINE__, LOG_LEVEL_DEBUG, LOG_LEVEL_WARN,  1 },
	{ __LINE__, LOG_LEVEL_DEBUG, LOG_LEVEL_INFO,  1 },
	{ __LINE__, LOG_LEVEL_DEBUG, LOG_LEVEL_DEBUG, 1 },
};

static void
test_level_filtering(void **state)
{
	struct buf out = BUF_INIT;
	const char *msg;
	size_t i;
	int pass;

	(void)state;
	/* Once through log_init, once through log_set_level. */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < sizeof level_rows / sizeof level_rows[0]; i++) {
			const struct level_row *r = &level_rows[i];

			if (pass == 0)
				log_init("lv", r->min);
			else
				log_set_level(r->min);
			log_msg(r->level, "event %zu", i);
			drain(&out);
			if (!r->written) {
				if (out.len != 0)
					fail_msg("line %d: written: \"%s\"", r->line, buf_cstr(&out));
				continue;
			}
			msg = check_line(&out, "lv", log_level_name(r->level), "-", r->line);
			if (strncmp(msg, "\"event ", 7) != 0)
				fail_msg("line %d: message \"%s\"", r->line, msg);
		}
	}
	buf_free(&out);
}

/* A value with a space, '=', a quote, a backslash or a control character is quoted, with those
 * escaped; anything else passes bare. */
struct escape_row {
	int         line;
	const char *msg;
	size_t      len;      /* so a NUL can be part of the message */
	const char *want;     /* the message part of the line, newline included */
};

#define ESC(msg, want) { __LINE__, msg, sizeof msg - 1, want }

static const struct escape_row escape_rows[] = {
	ESC("plain", "plain\n"),
	ESC("plain text", "\"plain text\"\n"),
	ESC("a\nb", "\"a\\nb\"\n"),
	ESC("\n", "\"\\n\"\n"),
	ESC("\r\n", "\"\\r\\n\"\n"),
	ESC("tab\there", "\"tab\\there\"\n"),
	ESC("nul\0byte", "\"nul\\u0000byte\"\n"),
	ESC("\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"\n"),
	ESC("\x1b[31mred\x1b[0m", "\"\\u001b[31mred\\u001b[0m\"\n"),
	/* A backslash is doubled, so "\n" typed by a user cannot pass for an escaped newline. */
	ESC("back\\slash", "\"back\\\\slash\"\n"),
	ESC("\\n", "\"\\\\n\"\n"),
	/* A quote is escaped, so a value cannot end early and forge a field after it. */
	ESC("x\" user=1", "\"x\\\" user=1\"\n"),
	ESC("a=b", "\"a=b\"\n"),
	ESC("\"", "\"\\\"\"\n"),
	/* A forged second line stays inside the first. */
	ESC("ok\nts=2026-01-01T00:00:00Z level=error msg=forged",
	    "\"ok\\nts=2026-01-01T00:00:00Z level=error msg=forged\"\n"),
	/* UTF-8 and other high bytes are not control characters, and need no quotes. */
	ESC("caf\xc3\xa9", "caf\xc3\xa9\n"),
	ESC("caf\xc3\xa9 \xe2\x82\xac", "\"caf\xc3\xa9 \xe2\x82\xac\"\n"),
	ESC("\x80\xff", "\x80\xff\n"),
	ESC(" %s %n ", "\" %s %n \"\n"),
};

static void
test_control_characters_escaped(void **state)
{
	struct buf out = BUF_INIT;
	const char *msg;
	size_t i;

	(void)state;
	log_init("esc", LOG_LEVEL_INFO);
	for (i = 0; i < sizeof escape_rows / sizeof escape_rows[0]; i++) {
		const struct escape_row *r = &escape_rows[i];

		/* %.*s would stop at a NUL; %c writes one, so build the message byte by byte. */
		if (memchr(r->msg, '\0', r->len) != NULL) {
			const char *nul = memchr(r->msg, '\0', r->len);

			log_error("%.*s%c%s", (int)(nul - r->msg), r->msg, 0, nul + 1);
		} else {
			log_error("%s", r->msg);
		}
		drain(&out);
		msg = check_line(&out, "esc", "error", "-", r->line);
		if (strcmp(msg, r->want) != 0)
			fail_msg("line %d: message \"%s\", want \"%s\"", r->line, msg, r->want);
	}
	buf_free(&out);
}

/* A long message is written whole, in one line. */
static void
test_long_message_one_line(void **state)
{
	struct buf out = BUF_INIT;
	char *big = malloc(20001);
	const char *msg;

	(void)state;
	assert_non_null(big);
	memset(big, 'm', 20000);
	big[20000] = '\0';
	big[10000] = '\n';
	log_init("long", LOG_LEVEL_INFO);
	log_warn("%s", big);
	drain(&out);
	msg = check_line(&out, "long", "warn", "-", __LINE__);
	/* Quoted; one newline became two bytes. */
	assert_int_equal(strlen(msg), 1 + 20000 + 1 + 1 + 1);
	assert_memory_equal(msg + 10001, "\\nm", 3);
	free(big);
	buf_free(&out);
}

/* The request id appears on every line until cleared with NULL; it is a copy. */
static void
test_request_id_set_and_cleared(void **state)
{
	struct buf out = BUF_INIT;
	char id[32] = "5f2c9a1e0b7d4c3a";

	(void)state;
	log_init("rid", LOG_LEVEL_INFO);
	assert_string_equal(log_request_id(), "");
	log_set_request_id(id);
	id[0] = 'X';   /* the logger kept its own copy */
	assert_string_equal(log_request_id(), "5f2c9a1e0b7d4c3a");
	log_info("one");
	drain(&out);
	assert_string_equal(check_line(&out, "rid", "info", "5f2c9a1e0b7d4c3a", __LINE__), "one\n");
	log_error("two");
	drain(&out);
	assert_string_equal(check_line(&out, "rid", "error", "5f2c9a1e0b7d4c3a", __LINE__), "two\n");

	log_set_request_id("other-id_2");
	log_info("three");
	drain(&out);
	assert_string_equal(check_line(&out, "rid", "info", "other-id_2", __LINE__), "three\n");

	log_set_request_id(NULL);
	assert_string_equal(log_request_id(), "");
	log_info("four");
	drain(&out);
	assert_string_equal(check_line(&out, "rid", "info", "-", __LINE__), "four\n");

	/* An empty id is no id. */
	log_set_request_id("");
	log_info("five");
	drain(&out);
	assert_string_equal(check_line(&out, "rid", "info", "-", __LINE__), "five\n");
	buf_free(&out);
}

/* Ids longer than 64 bytes are cut at 64. */
static void
test_request_id_truncated_at_64(void **state)
{
	struct buf out = BUF_INIT;
	char id[200], want[65];

	(void)state;
	memset(id, 'a', sizeof id - 1);
	id[sizeof id - 1] = '\0';
	memset(want, 'a', 64);
	want[64] = '\0';
	log_set_request_id(id);
	assert_string_equal(log_request_id(), want);
	log_init("rid", LOG_LEVEL_INFO);
	log_info("x");
	drain(&out);
	assert_string_equal(check_line(&out, "rid", "info", want, __LINE__), "x\n");
	/* Exactly 64 is kept whole. */
	log_set_request_id(want);
	assert_string_equal(log_request_id(), want);
	log_set_request_id(NULL);
	buf_free(&out);
}

/* log_level_parse takes exactly the four names; log_level_name is its inverse. */
struct parse_row {
	int            line;
	const char    *s;
	int            rc;
	enum log_level want;
};

static const struct parse_row parse_rows[] = {
	{ __LINE__, "error", 0, LOG_LEVEL_ERROR },
	{ __LINE__, "warn", 0, LOG_LEVEL_WARN },
	{ __LINE__, "info", 0, LOG_LEVEL_INFO },
	{ __LINE__, "debug", 0, LOG_LEVEL_DEBUG },
	{ __LINE__, "", -1, 0 },
	{ __LINE__, "ERROR", -1, 0 },
	{ __LINE__, "Info", -1, 0 },
	{ __LINE__, "warning", -1, 0 },
	{ __LINE__, "err", -1, 0 },
	{ __LINE__, "debu", -1, 0 },
	{ __LINE__, "debugx", -1, 0 },
	{ __LINE__, " info", -1, 0 },
	{ __LINE__, "info ", -1, 0 },
	{ __LINE__, "info\n", -1, 0 },
	{ __LINE__, "0", -1, 0 },
	{ __LINE__, "?", -1, 0 },
};

static void
test_level_parse_and_name(void **state)
{
	enum log_level got;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof parse_rows / sizeof parse_rows[0]; i++) {
		const struct parse_row *r = &parse_rows[i];

		got = (enum log_level)77;
		rc = log_level_parse(r->s, &got);
		if (rc != r->rc)
			fail_msg("line %d: log_level_parse(\"%s\") = %d, want %d", r->line, r->s, rc,
			    r->rc);
		if (rc == 0 && got != r->want)
			fail_msg("line %d: level %d, want %d", r->line, (int)got, (int)r->want);
		if (rc != 0 && (int)got != 77)
			fail_msg("line %d: a failed parse wrote the level", r->line);
		if (rc == 0 && strcmp(log_level_name(got), r->s) != 0)
			fail_msg("line %d: log_level_name gave \"%s\"", r->line, log_level_name(got));
	}
	assert_string_equal(log_level_name((enum log_level)4), "?");
	assert_string_equal(log_level_name((enum log_level)-1), "?");
}

/* log_set_fd(-1) sends lines back to stderr. */
static void
test_fd_minus_one_restores_stderr(void **state)
{
	struct buf out = BUF_INIT;
	int saved = dup(STDERR_FILENO);

	(void)state;
	assert_true(saved >= 0);
	assert_int_equal(dup2(pipefd[1], STDERR_FILENO), STDERR_FILENO);
	log_set_fd(-1);
	log_init("stderr-test", LOG_LEVEL_INFO);
	log_error("to stderr");
	dup2(saved, STDERR_FILENO);
	close(saved);
	log_set_fd(pipefd[1]);
	drain(&out);
	assert_string_equal(check_line(&out, "stderr-test", "error", "-", __LINE__), "\"to stderr\"\n");
	buf_free(&out);
}

/* log_fields: msg, then each field in order, every value quoted as it needs; a NULL value is "".
 * Below the minimum level nothing is written. */
static void
test_fields(void **state)
{
	struct buf out = BUF_INIT;
	const struct log_field f[] = {
		{ "method", "GET" }, { "route", "/p/:id" }, { "path", "/hashtag/a b\"c" },
		{ "status", "200" }, { "user", NULL }, { "ua", "x\ny" },
	};
	const char *rest;

	(void)state;
	log_init("fields", LOG_LEVEL_INFO);
	log_set_request_id("r1");
	log_fields(LOG_LEVEL_INFO, "request", f, sizeof f / sizeof f[0]);
	drain(&out);
	rest = check_line(&out, "fields", "info", "r1", __LINE__);
	assert_string_equal(rest, "request method=GET route=/p/:id path=\"/hashtag/a b\\\"c\" "
	    "status=200 user=\"\" ua=\"x\\ny\"\n");
	log_fields(LOG_LEVEL_DEBUG, "hidden", f, 1);
	log_fields(LOG_LEVEL_WARN, NULL, NULL, 0);
	drain(&out);
	assert_string_equal(check_line(&out, "fields", "warn", "r1", __LINE__), "\"\"\n");
	log_set_request_id(NULL);
	/* A request id is a value too: quoted when it would break the line. */
	log_set_request_id("a b");
	log_info("x");
	drain(&out);
	assert_non_null(strstr(buf_cstr(&out), " req=\"a b\" msg=x\n"));
	log_set_request_id(NULL);
	buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_before_init),
		cmocka_unit_test(test_line_format),
		cmocka_unit_test(test_one_line_per_call),
		cmocka_unit_test(test_level_filtering),
		cmocka_unit_test(test_control_characters_escaped),
		cmocka_unit_test(test_long_message_one_line),
		cmocka_unit_test(test_request_id_set_and_cleared),
		cmocka_unit_test(test_request_id_truncated_at_64),
		cmocka_unit_test(test_level_parse_and_name),
		cmocka_unit_test(test_fd_minus_one_restores_stderr),
		cmocka_unit_test(test_fields),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
