/* test_mail.c: the messages mail_send builds (headers, RFC 2047 words, body encodings), what it
 * refuses, mail_new's checks, and both transports: a real maildir and a real sendmail script. */
#include "config.h"

#include "test.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "buf.h"
#include "conf.h"
#include "log.h"
#include "mail.h"
#include "utf8.h"
#include "xalloc.h"

/* Every body sent here carries this; it must never show up in an error or a log line. */
#define SECRET "code 493817-S3CR3T"
#define BODY   "Your " SECRET ".\r\nIt expires in 24 hours.\r\n"
#define TO     "user@example.com"
#define FROM   "Starling <noreply@example.org>"

/* ------------------------------------------------------------------------------------------- */
/* Files and directories */

static char *
make_tmpdir(void)
{
	const char *tmp = getenv("TMPDIR");
	struct buf d = BUF_INIT;

	buf_printf(&d, "%s/test_mail.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(d.data));
	return buf_detach(&d);
}

static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Removes dir and everything in it, and frees the name. */
static void
remove_tree(char *dir)
{
	assert_int_equal(nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
	free(dir);
}

/* Writes dir/name with text and exactly the given mode (no umask). */
static void
write_file(const char *dir, const char *name, const char *text, mode_t mode)
{
	struct buf path = BUF_INIT;
	int fd;

	buf_printf(&path, "%s/%s", dir, name);
	fd = open(buf_cstr(&path), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(close(fd), 0);
	assert_int_equal(chmod(buf_cstr(&path), mode), 0);
	buf_free(&path);
}

/* Appends the contents of dir/name to out. */
static void
read_into(const char *dir, const char *name, struct buf *out)
{
	struct buf path = BUF_INIT, err = BUF_INIT;

	buf_printf(&path, "%s/%s", dir, name);
	if (buf_read_file(out, buf_cstr(&path), 16 * 1024 * 1024, &err) != 0)
		fail_msg("%s", buf_cstr(&err));
	buf_free(&path);
	buf_free(&err);
}

/* The number of entries in dir/sub other than . and ..; the name of the last one in name. */
static size_t
count_entries(const char *dir, const char *sub, struct buf *name)
{
	struct buf path = BUF_INIT;
	struct dirent *e;
	size_t n = 0;
	DIR *d;

	buf_printf(&path, "%s/%s", dir, sub);
	d = opendir(buf_cstr(&path));
	if (d == NULL)
		fail_msg("%s: %s", buf_cstr(&path), strerror(errno));
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		n++;
		if (name != NULL) {
			buf_reset(name);
			buf_puts(name, e->d_name);
		}
	}
	closedir(d);
	buf_free(&path);
	return n;
}

/* Moves the one message of the maildir spool into msg (tmp/ must be empty and new/ hold exactly
 * one file, which is removed); its permission bits go to mode when not NULL. */
static void
take_message(const char *spool, struct buf *msg, mode_t *mode)
{
	struct buf name = BUF_INIT, path = BUF_INIT;
	struct stat st;
	size_t n;

	assert_int_equal(count_entries(spool, "tmp", NULL), 0);
	n = count_entries(spool, "new", &name);
	if (n != 1)
		fail_msg("%zu files in new/, want 1", n);
	buf_printf(&path, "%s/new/%s", spool, buf_cstr(&name));
	assert_int_equal(stat(buf_cstr(&path), &st), 0);
	if (mode != NULL)
		*mode = st.st_mode & 07777;
	buf_reset(msg);
	buf_reset(&name);
	buf_printf(&name, "new/%s", buf_cstr(&path) + strlen(spool) + 5);
	read_into(spool, buf_cstr(&name), msg);
	assert_int_equal(unlink(buf_cstr(&path)), 0);
	buf_free(&name);
	buf_free(&path);
}

/* ------------------------------------------------------------------------------------------- */
/* Configuration and log capture */

static void
set_field(char **field, const char *value)
{
	if (value == NULL)
		return;
	free(*field);
	*field = xstrdup(value);
}

/* The defaults with the [mail] keys that are not NULL set; "@DIR@" at the start of a path stands
 * for spool. Fields are set directly rather than parsed, so values can hold CR and LF. */
static void
conf_mail(struct conf *c, const char *dir, const char *transport, const char *sendmail,
    const char *spool, const char *from)
{
	const char *paths[2] = { sendmail, spool };
	char **fields[2];
	struct buf p = BUF_INIT;
	size_t i;

	conf_defaults(c);
	fields[0] = &c->mail_sendmail_path;
	fields[1] = &c->mail_spool_dir;
	set_field(&c->mail_transport, transport);
	set_field(&c->mail_from, from);
	for (i = 0; i < 2; i++) {
		if (paths[i] == NULL)
			continue;
		buf_reset(&p);
		if (strncmp(paths[i], "@DIR@", 5) == 0)
			buf_printf(&p, "%s%s", dir, paths[i] + 5);
		else
			buf_puts(&p, paths[i]);
		set_field(fields[i], buf_cstr(&p));
	}
	buf_free(&p);
}

/* Log lines go to an unlinked temporary file until log_capture_end hands them over. */
static int
log_capture_start(void)
{
	char path[] = "/tmp/test_mail_log.XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(unlink(path), 0);
	log_set_fd(fd);
	return fd;
}

static void
log_capture_end(int fd, struct buf *out)
{
	char chunk[4096];
	ssize_t n;

	log_set_fd(-1);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	while ((n = read(fd, chunk, sizeof chunk)) > 0)
		buf_append(out, chunk, (size_t)n);
	assert_int_equal(close(fd), 0);
}

/* ------------------------------------------------------------------------------------------- */
/* Reading messages back */

/* The value of header name in msg, folded lines joined (the "\n" dropped, the space kept).
 * Fails unless the header appears exactly once in the header section. */
static void
header_value(const char *msg, const char *name, struct buf *out)
{
	const char *end = strstr(msg, "\n\n"), *p = msg, *found = NULL, *v;
	size_t nlen = strlen(name);

	assert_non_null(end);
	while (p < end) {
		if (strncmp(p, name, nlen) == 0 && p[nlen] == ':' && p[nlen + 1] == ' ') {
			if (found != NULL)
				fail_msg("header %s appears twice", name);
			found = p;
		}
		p = strchr(p, '\n') + 1;
	}
	if (found == NULL)
		fail_msg("no header %s in:\n%s", name, msg);
	buf_reset(out);
	for (v = found + nlen + 2; !(*v == '\n' && v[1] != ' ' && v[1] != '\t'); v++)
		if (*v != '\n')
			buf_putc(out, *v);
}

/* Appends the base64 text (n bytes, no line breaks) decoded. */
static void
b64_decode(const char *s, size_t n, struct buf *out)
{
	unsigned char *raw = xmalloc(n / 4 * 3 + 1);
	int len;

	if (n % 4 != 0)
		fail_msg("base64 of %zu characters", n);
	len = EVP_DecodeBlock(raw, (const unsigned char *)s, (int)n);
	assert_true(len >= 0);
	/* EVP_DecodeBlock counts the padding as zero bytes. */
	if (n >= 1 && s[n - 1] == '=')
		len--;
	if (n >= 2 && s[n - 2] == '=')
		len--;
	buf_append(out, raw, (size_t)len);
	free(raw);
}

/*
 * Decodes the RFC 2047 "=?UTF-8?B?...?=" words in a header value into out, dropping the white
 * space between two adjacent words (RFC 2047 6.2), as a mail reader would. Fails on a word longer
 * than 75 characters or one that does not decode to whole UTF-8 characters by itself.
 */
static void
decode_words(const char *v, struct buf *out)
{
	static const char open[] = "=?UTF-8?B?";
	struct buf word = BUF_INIT;
	const char *end, *q;

	while (*v != '\0') {
		if (strncmp(v, open, sizeof open - 1) != 0) {
			buf_putc(out, *v++);
			continue;
		}
		end = strstr(v + sizeof open - 1, "?=");
		assert_non_null(end);
		if (end + 2 - v > 75)
			fail_msg("encoded-word of %td characters: %.80s", end + 2 - v, v);
		buf_reset(&word);
		b64_decode(v + sizeof open - 1, (size_t)(end - v - (sizeof open - 1)), &word);
		if (!utf8_valid(word.data ? word.data : "", word.len))
			fail_msg("encoded-word splits a character: %.80s", v);
		buf_append(out, word.data, word.len);
		v = end + 2;
		for (q = v; *q == ' ' || *q == '\t'; q++)
			;
		if (strncmp(q, open, sizeof open - 1) == 0)
			v = q;
	}
	buf_free(&word);
}

/* The lines of header name in the raw message (the first and its continuations) are at most max
 * characters each. */
static void
check_header_lines(const char *msg, const char *name, size_t max)
{
	struct buf start = BUF_INIT;
	const char *p, *nl;

	buf_printf(&start, "\n%s: ", name);
	p = strstr(msg, buf_cstr(&start));
	assert_non_null(p);
	p++;
	do {
		nl = strchr(p, '\n');
		assert_non_null(nl);
		if ((size_t)(nl - p) > max)
			fail_msg("header line of %td characters: %.*s", nl - p, (int)(nl - p), p);
		p = nl + 1;
	} while (*p == ' ');
	buf_free(&start);
}

/* The body of the message: everything after the first empty line. */
static const char *
body_of(const char *msg)
{
	const char *p = strstr(msg, "\n\n");

	assert_non_null(p);
	return p + 2;
}

/* ------------------------------------------------------------------------------------------- */
/* The dir transport and the message format */

/* A sender for a fresh maildir; *dir gets its path (remove_tree it). */
static struct mail *
dir_mail(char **dir, const char *from)
{
	struct buf err = BUF_INIT;
	struct conf c;
	struct mail *m;

	*dir = make_tmpdir();
	conf_mail(&c, *dir, "spool", NULL, "@DIR@", from);
	m = mail_new(&c, &err);
	if (m == NULL)
		fail_msg("mail_new: %s", buf_cstr(&err));
	conf_free(&c);
	buf_free(&err);
	return m;
}

/* The n messages in dir/new have n different Message-IDs. */
static void
check_distinct_message_ids(const char *dir, size_t n)
{
	struct buf path = BUF_INIT, msg = BUF_INIT, v = BUF_INIT;
	char **ids = xcalloc(n, sizeof *ids);
	struct dirent *e;
	size_t k = 0, i, j;
	DIR *d;

	buf_printf(&path, "%s/new", dir);
	d = opendir(buf_cstr(&path));
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		assert_true(k < n);
		buf_reset(&msg);
		read_into(buf_cstr(&path), e->d_name, &msg);
		header_value(buf_cstr(&msg), "Message-ID", &v);
		ids[k++] = xstrdup(buf_cstr(&v));
	}
	closedir(d);
	assert_int_equal(k, n);
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (strcmp(ids[i], ids[j]) == 0)
				fail_msg("Message-ID %s twice", ids[i]);
	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	buf_free(&path);
	buf_free(&msg);
	buf_free(&v);
}

static void
test_dir_message(void **state)
{
	static const char *const subdirs[] = { "tmp", "new", "cur" };
	struct buf msg = BUF_INIT, v = BUF_INIT, err = BUF_INIT;
	struct stat st;
	struct tm tm;
	const char *end;
	char *dir;
	struct mail *m = dir_mail(&dir, FROM);
	struct conf c;
	mode_t mode;
	size_t i;

	(void)state;
	/* mail_new made the maildir. */
	for (i = 0; i < 3; i++) {
		buf_reset(&v);
		buf_printf(&v, "%s/%s", dir, subdirs[i]);
		assert_int_equal(stat(buf_cstr(&v), &st), 0);
		assert_true(S_ISDIR(st.st_mode));
	}
	assert_int_equal(mail_send(m, TO, "Activate your account", BODY, &err), 0);
	assert_int_equal(err.len, 0);
	take_message(dir, &msg, &mode);
	/* Never readable by everyone: the body holds a secret code. */
	assert_int_equal(mode & 007, 0);
	/* LF line ends only (see mail.h). */
	assert_null(strchr(buf_cstr(&msg), '\r'));

	header_value(buf_cstr(&msg), "From", &v);
	assert_string_equal(buf_cstr(&v), FROM);
	header_value(buf_cstr(&msg), "To", &v);
	assert_string_equal(buf_cstr(&v), TO);
	header_value(buf_cstr(&msg), "Subject", &v);
	assert_string_equal(buf_cstr(&v), "Activate your account");
	header_value(buf_cstr(&msg), "MIME-Version", &v);
	assert_string_equal(buf_cstr(&v), "1.0");
	header_value(buf_cstr(&msg), "Content-Type", &v);
	assert_string_equal(buf_cstr(&v), "text/plain; charset=UTF-8");
	header_value(buf_cstr(&msg), "Content-Transfer-Encoding", &v);
	assert_string_equal(buf_cstr(&v), "8bit");
	header_value(buf_cstr(&msg), "Auto-Submitted", &v);
	assert_string_equal(buf_cstr(&v), "auto-generated");
	/* Message-ID: 32 random hex digits at the host of From. */
	header_value(buf_cstr(&msg), "Message-ID", &v);
	assert_int_equal(v.len, 1 + 32 + strlen("@example.org>"));
	assert_int_equal(v.data[0], '<');
	assert_int_equal(strspn(v.data + 1, "0123456789abcdef"), 32);
	assert_string_equal(v.data + 33, "@example.org>");
	/* Date: RFC 5322 form, UTC, and now. */
	header_value(buf_cstr(&msg), "Date", &v);
	memset(&tm, 0, sizeof tm);
	end = strptime(buf_cstr(&v), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	if (end == NULL || *end != '\0')
		fail_msg("Date: %s", buf_cstr(&v));
	assert_true(labs((long)(timegm(&tm) - time(NULL))) < 120);
	/* The body, with its CRLFs made LF. */
	assert_string_equal(body_of(buf_cstr(&msg)),
	    "Your " SECRET ".\nIt expires in 24 hours.\n");

	/* A second mail_new on the existing maildir is fine, and every message gets its own file
	 * and Message-ID. */
	mail_free(m);
	conf_mail(&c, dir, "spool", NULL, "@DIR@", FROM);
	m = mail_new(&c, &err);
	conf_free(&c);
	assert_non_null(m);
	for (i = 0; i < 20; i++)
		assert_int_equal(mail_send(m, TO, "Hi", BODY, &err), 0);
	assert_int_equal(count_entries(dir, "new", NULL), 20);
	assert_int_equal(count_entries(dir, "tmp", NULL), 0);
	check_distinct_message_ids(dir, 20);
	mail_free(m);
	remove_tree(dir);
	buf_free(&msg);
	buf_free(&v);
	buf_free(&err);
}

/* Subjects: how they go out (raw or as words), and that they decode back to what was given. */
struct subject_row {
	int         line;
	const char *subject;
	bool        raw;
};

#define R10(c) c c c c c c c c c c
#define R50(c) R10(c) R10(c) R10(c) R10(c) R10(c)

static const struct subject_row subject_rows[] = {
	{ __LINE__, "Activate your account", true },
	{ __LINE__, "", true },
	/* "Subject: " + 69 = 78 characters, the most RFC 5322 recommends: raw; one more, words. */
	{ __LINE__, R50("s") "sssssssssssssssssss", true },
	{ __LINE__, R50("s") "ssssssssssssssssssss", false },
	{ __LINE__, R10("long ") R10("words "), false },
	/* Text that looks like an encoded-word must not be decoded by the reader. */
	{ __LINE__, "Contains =?UTF-8?B?Zm9v?= literally", false },
	{ __LINE__, "=?", false },
	/* 激活你的椋鸟账户 */
	{ __LINE__, "\xe6\xbf\x80\xe6\xb4\xbb\xe4\xbd\xa0\xe7\x9a\x84\xe6\xa4\x8b\xe9\xb8\x9f"
	    "\xe8\xb4\xa6\xe6\x88\xb7", false },
	/* 你的验证码：请在二十四小时内输入此验证码以完成注册，过期后需要重新申请。谢谢！ */
	{ __LINE__, "\xe4\xbd\xa0\xe7\x9a\x84\xe9\xaa\x8c\xe8\xaf\x81\xe7\xa0\x81\xef\xbc\x9a"
	    "\xe8\xaf\xb7\xe5\x9c\xa8\xe4\xba\x8c\xe5\x8d\x81\xe5\x9b\x9b\xe5\xb0\x8f\xe6\x97\xb6"
	    "\xe5\x86\x85\xe8\xbe\x93\xe5\x85\xa5\xe6\xad\xa4\xe9\xaa\x8c\xe8\xaf\x81\xe7\xa0\x81"
	    "\xe4\xbb\xa5\xe5\xae\x8c\xe6\x88\x90\xe6\xb3\xa8\xe5\x86\x8c\xef\xbc\x8c\xe8\xbf\x87"
	    "\xe6\x9c\x9f\xe5\x90\x8e\xe9\x9c\x80\xe8\xa6\x81\xe9\x87\x8d\xe6\x96\xb0\xe7\x94\xb3"
	    "\xe8\xaf\xb7\xe3\x80\x82\xe8\xb0\xa2\xe8\xb0\xa2\xef\xbc\x81", false },
	/* Mixed widths: 1, 2, 3 and 4 bytes per character. */
	{ __LINE__, "Starling \xc3\xbc \xe4\xb8\xad\xe6\x96\x87 " R10("\xf0\x9f\x98\x80")
	    R10("\xf0\x9f\x98\x80"), false },
	/* MAIL_SUBJECT_MAX bytes. */
	{ __LINE__, R50("0123456789") "012345678901", false },
};

/* Sends subject through m, reads the message back and returns its decoded subject in out; the
 * raw Subject: value goes to raw. */
static void
send_subject(struct mail *m, const char *dir, const char *subject, struct buf *raw,
    struct buf *out)
{
	struct buf msg = BUF_INIT, err = BUF_INIT;

	if (mail_send(m, TO, subject, BODY, &err) != 0)
		fail_msg("mail_send: %s", buf_cstr(&err));
	take_message(dir, &msg, NULL);
	header_value(buf_cstr(&msg), "Subject", raw);
	buf_reset(out);
	decode_words(buf_cstr(raw), out);
	/* RFC 2047 2: a line holding encoded-words is at most 76 characters; RFC 5322 2.1.1
	 * recommends 78 for all. */
	check_header_lines(buf_cstr(&msg), "Subject", strstr(buf_cstr(raw), "=?UTF-8?B?") ? 76 : 78);
	assert_string_equal(body_of(buf_cstr(&msg)), "Your " SECRET ".\nIt expires in 24 hours.\n");
	buf_free(&msg);
	buf_free(&err);
}

static void
test_subject_encoding(void **state)
{
	struct buf raw = BUF_INIT, out = BUF_INIT;
	char *dir;
	struct mail *m = dir_mail(&dir, FROM);
	size_t i;

	(void)state;
	assert_int_equal(strlen(subject_rows[sizeof subject_rows / sizeof subject_rows[0] - 1]
	    .subject), MAIL_SUBJECT_MAX);
	for (i = 0; i < sizeof subject_rows / sizeof subject_rows[0]; i++) {
		const struct subject_row *r = &subject_rows[i];
		bool is_raw;

		send_subject(m, dir, r->subject, &raw, &out);
		is_raw = strcmp(buf_cstr(&raw), r->subject) == 0;
		if (is_raw != r->raw)
			fail_msg("line %d: sent %s: %s", r->line, is_raw ? "raw" : "encoded",
			    buf_cstr(&raw));
		if (strcmp(buf_cstr(&out), r->subject) != 0)
			fail_msg("line %d: decodes to \"%s\"", r->line, buf_cstr(&out));
	}
	mail_free(m);
	remove_tree(dir);
	buf_free(&raw);
	buf_free(&out);
}

/* Characters of every width at every offset against the word boundaries: no word may end in
 * the middle of one (decode_words checks each word alone), and the whole comes back. */
static void
test_subject_never_splits_characters(void **state)
{
	static const char *const chars[] = { "\xc3\xa9", "\xe4\xb8\xad", "\xf0\x9f\x98\x80" };
	struct buf subject = BUF_INIT, raw = BUF_INIT, out = BUF_INIT;
	char *dir;
	struct mail *m = dir_mail(&dir, FROM);
	size_t c, lead, k;

	(void)state;
	for (c = 0; c < sizeof chars / sizeof chars[0]; c++) {
		for (lead = 0; lead < 4; lead++) {
			buf_reset(&subject);
			for (k = 0; k < lead; k++)
				buf_putc(&subject, 'x');
			for (k = 0; k < 40; k++)
				buf_puts(&subject, chars[c]);
			send_subject(m, dir, buf_cstr(&subject), &raw, &out);
			if (strcmp(buf_cstr(&out), buf_cstr(&subject)) != 0)
				fail_msg("char %zu, lead %zu: decodes to \"%s\"", c, lead,
				    buf_cstr(&out));
		}
	}
	mail_free(m);
	remove_tree(dir);
	buf_free(&subject);
	buf_free(&raw);
	buf_free(&out);
}

/* From: written as configured when ASCII, a UTF-8 display name as words; the Message-ID host
 * taken from its address when it is a plain host name. */
struct from_row {
	int         line;
	const char *from;
	const char *decoded;     /* From: as a reader shows it */
	bool        raw;
	const char *msgid_host;
};

static const struct from_row from_rows[] = {
	{ __LINE__, FROM, FROM, true, "example.org" },
	{ __LINE__, "noreply@example.org", "noreply@example.org", true, "example.org" },
	{ __LINE__, "\"Starling Team\" <noreply@example.org>", "\"Starling Team\" <noreply@example.org>",
	    true, "example.org" },
	{ __LINE__, "Starling <noreply@localhost>", "Starling <noreply@localhost>", true,
	    "localhost" },
	{ __LINE__, "Starling <noreply@[192.0.2.1]>", "Starling <noreply@[192.0.2.1]>", true,
	    "starling.invalid" },
	{ __LINE__, "Starling <noreply@exa_mple.org>", "Starling <noreply@exa_mple.org>", true,
	    "starling.invalid" },
	/* 椋鸟 */
	{ __LINE__, "\xe6\xa4\x8b\xe9\xb8\x9f <noreply@example.org>",
	    "\xe6\xa4\x8b\xe9\xb8\x9f <noreply@example.org>", false, "example.org" },
	{ __LINE__, "\"\xe6\xa4\x8b\xe9\xb8\x9f\xe7\xbd\x91\" <noreply@example.org>",
	    "\xe6\xa4\x8b\xe9\xb8\x9f\xe7\xbd\x91 <noreply@example.org>", false, "example.org" },
	{ __LINE__, "\xe6\xa4\x8b\xe9\xb8\x9f   <a@example.org>",
	    "\xe6\xa4\x8b\xe9\xb8\x9f <a@example.org>", false, "example.org" },
	{ __LINE__, R10("\xe6\xa4\x8b\xe9\xb8\x9f") " <a@example.org>",
	    R10("\xe6\xa4\x8b\xe9\xb8\x9f") " <a@example.org>", false, "example.org" },
};

static void
test_from_header(void **state)
{
	struct buf msg = BUF_INIT, v = BUF_INIT, out = BUF_INIT, err = BUF_INIT, want = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof from_rows / sizeof from_rows[0]; i++) {
		const struct from_row *r = &from_rows[i];
		char *dir;
		struct mail *m = dir_mail(&dir, r->from);

		if (mail_send(m, TO, "Hi", BODY, &err) != 0)
			fail_msg("line %d: %s", r->line, buf_cstr(&err));
		take_message(dir, &msg, NULL);
		header_value(buf_cstr(&msg), "From", &v);
		if ((strcmp(buf_cstr(&v), r->from) == 0) != r->raw)
			fail_msg("line %d: From: %s", r->line, buf_cstr(&v));
		buf_reset(&out);
		decode_words(buf_cstr(&v), &out);
		if (strcmp(buf_cstr(&out), r->decoded) != 0)
			fail_msg("line %d: From: decodes to %s", r->line, buf_cstr(&out));
		check_header_lines(buf_cstr(&msg), "From", 76);
		header_value(buf_cstr(&msg), "Message-ID", &v);
		buf_reset(&want);
		buf_printf(&want, "@%s>", r->msgid_host);
		if (strstr(buf_cstr(&v), buf_cstr(&want)) == NULL)
			fail_msg("line %d: Message-ID: %s", r->line, buf_cstr(&v));
		mail_free(m);
		remove_tree(dir);
	}
	buf_free(&msg);
	buf_free(&v);
	buf_free(&out);
	buf_free(&err);
	buf_free(&want);
}

/* Bodies: line ends made LF, a last LF added. */
struct body_row {
	int         line;
	const char *body;
	const char *sent;
};

static const struct body_row body_rows[] = {
	{ __LINE__, "", "\n" },
	{ __LINE__, "one line", "one line\n" },
	{ __LINE__, "one line\n", "one line\n" },
	{ __LINE__, "a\r\nb\r\n", "a\nb\n" },
	{ __LINE__, "a\rb", "a\nb\n" },              /* a lone CR is a line end too */
	{ __LINE__, "a\r\rb\r", "a\n\nb\n" },
	{ __LINE__, "\r\n\r\n", "\n\n" },
	{ __LINE__, ".\n..\n", ".\n..\n" },          /* dots are left alone: sendmail -i */
	{ __LINE__, "\xe4\xbd\xa0\xe5\xa5\xbd\r\n" SECRET, "\xe4\xbd\xa0\xe5\xa5\xbd\n" SECRET "\n" },
};

static void
test_body_line_ends(void **state)
{
	struct buf msg = BUF_INIT, v = BUF_INIT, err = BUF_INIT;
	char *dir;
	struct mail *m = dir_mail(&dir, FROM);
	size_t i;

	(void)state;
	for (i = 0; i < sizeof body_rows / sizeof body_rows[0]; i++) {
		const struct body_row *r = &body_rows[i];

		if (mail_send(m, TO, "Hi", r->body, &err) != 0)
			fail_msg("line %d: %s", r->line, buf_cstr(&err));
		take_message(dir, &msg, NULL);
		header_value(buf_cstr(&msg), "Content-Transfer-Encoding", &v);
		assert_string_equal(buf_cstr(&v), "8bit");
		if (strcmp(body_of(buf_cstr(&msg)), r->sent) != 0)
			fail_msg("line %d: body \"%s\"", r->line, body_of(buf_cstr(&msg)));
	}
	mail_free(m);
	remove_tree(dir);
	buf_free(&msg);
	buf_free(&v);
	buf_free(&err);
}

/* A line longer than RFC 5322's 998 bytes cannot go as 8bit: the body goes as base64 in lines
 * of at most 76, and decodes to the text. The longest line decides. */
struct long_row {
	int         line;
	size_t      len;      /* bytes of the long line */
	const char *cte;
};

static const struct long_row long_rows[] = {
	{ __LINE__, 998, "8bit" },
	{ __LINE__, 999, "base64" },
	{ __LINE__, 5000, "base64" },
};

static void
test_body_long_lines(void **state)
{
	struct buf msg = BUF_INIT, v = BUF_INIT, err = BUF_INIT, body = BUF_INIT, joined = BUF_INIT;
	struct buf decoded = BUF_INIT;
	const char *p, *nl;
	char *dir;
	struct mail *m = dir_mail(&dir, FROM);
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof long_rows / sizeof long_rows[0]; i++) {
		const struct long_row *r = &long_rows[i];

		buf_reset(&body);
		buf_puts(&body, "short\r\n");
		for (k = 0; k < r->len; k++)
			buf_putc(&body, (char)('a' + k % 26));
		buf_puts(&body, "\r\n" SECRET "\n");
		if (mail_send(m, TO, "Hi", buf_cstr(&body), &err) != 0)
			fail_msg("line %d: %s", r->line, buf_cstr(&err));
		take_message(dir, &msg, NULL);
		header_value(buf_cstr(&msg), "Content-Transfer-Encoding", &v);
		if (strcmp(buf_cstr(&v), r->cte) != 0)
			fail_msg("line %d: %s", r->line, buf_cstr(&v));
		buf_reset(&decoded);
		if (strcmp(r->cte, "8bit") == 0) {
			buf_puts(&decoded, body_of(buf_cstr(&msg)));
		} else {
			buf_reset(&joined);
			for (p = body_of(buf_cstr(&msg)); *p; p = nl + 1) {
				nl = strchr(p, '\n');
				assert_non_null(nl);
				if (nl - p > 76)
					fail_msg("line %d: base64 line of %td", r->line, nl - p);
				buf_append(&joined, p, (size_t)(nl - p));
			}
			b64_decode(joined.data, joined.len, &decoded);
		}
		/* The sent text is the body with CRLF made LF. */
		buf_reset(&v);
		for (k = 0; k < body.len; k++)
			if (body.data[k] != '\r')
				buf_putc(&v, body.data[k]);
		if (strcmp(buf_cstr(&decoded), buf_cstr(&v)) != 0)
			fail_msg("line %d: body differs", r->line);
	}
	mail_free(m);
	remove_tree(dir);
	buf_free(&msg);
	buf_free(&v);
	buf_free(&err);
	buf_free(&body);
	buf_free(&joined);
	buf_free(&decoded);
}

/* Bodies up to MAIL_BODY_MAX bytes go; one byte more does not. */
static void
test_body_size_limit(void **state)
{
	struct buf body = BUF_INIT, err = BUF_INIT, msg = BUF_INIT;
	char *dir;
	struct mail *m = dir_mail(&dir, FROM);
	size_t k;
	int fd;

	(void)state;
	for (k = 0; k < MAIL_BODY_MAX; k++)
		buf_putc(&body, k % 80 == 79 || k == MAIL_BODY_MAX - 1 ? '\n' : 'b');
	assert_int_equal(mail_send(m, TO, "Hi", buf_cstr(&body), &err), 0);
	take_message(dir, &msg, NULL);
	assert_string_equal(body_of(buf_cstr(&msg)), buf_cstr(&body));
	buf_putc(&body, 'b');
	fd = log_capture_start();
	assert_int_equal(mail_send(m, TO, "Hi", buf_cstr(&body), &err), -1);
	log_capture_end(fd, &msg);
	assert_non_null(strstr(buf_cstr(&err), "at most"));
	assert_int_equal(count_entries(dir, "new", NULL), 0);
	mail_free(m);
	remove_tree(dir);
	buf_free(&body);
	buf_free(&err);
	buf_free(&msg);
}

/* ------------------------------------------------------------------------------------------- */
/* Refusals */

struct refuse_row {
	int         line;
	const char *to;
	const char *subject;
	const char *body;
	const char *expect;
};

#define CTL_TO  "recipient address contains a control character"
#define CTL_SUB "subject contains a control character"
#define AT      "exactly one @"
#define SUB_UTF "subject must be valid UTF-8"
#define BODY_UTF "body must be valid UTF-8"

static const struct refuse_row refuse_rows[] = {
	/* Header injection through the recipient. */
	{ __LINE__, TO "\r\nBcc: victim@example.net", "Hi", BODY, CTL_TO },
	{ __LINE__, TO "\nBcc: victim@example.net", "Hi", BODY, CTL_TO },
	{ __LINE__, TO "\r", "Hi", BODY, CTL_TO },
	{ __LINE__, TO "\n", "Hi", BODY, CTL_TO },
	{ __LINE__, "\n" TO, "Hi", BODY, CTL_TO },
	{ __LINE__, TO "\t", "Hi", BODY, CTL_TO },
	/* ... and through the subject. */
	{ __LINE__, TO, "Hi\r\nBcc: victim@example.net", BODY, CTL_SUB },
	{ __LINE__, TO, "Hi\nBcc: victim@example.net", BODY, CTL_SUB },
	{ __LINE__, TO, "Hi\n\nA forged body", BODY, CTL_SUB },
	{ __LINE__, TO, "Hi\r", BODY, CTL_SUB },
	{ __LINE__, TO, "\nHi", BODY, CTL_SUB },
	{ __LINE__, TO, "Hi\x1b[1m", BODY, CTL_SUB },
	{ __LINE__, TO, "Hi\tthere", BODY, CTL_SUB },
	{ __LINE__, TO, "Hi\x7f", BODY, CTL_SUB },
	/* Recipients that are not one plain address. */
	{ __LINE__, "", "Hi", BODY, AT },
	{ __LINE__, "userexample.com", "Hi", BODY, AT },
	{ __LINE__, "user@@example.com", "Hi", BODY, AT },
	{ __LINE__, "a@b@example.com", "Hi", BODY, AT },
	{ __LINE__, "a@example.com, b@example.com", "Hi", BODY, AT },
	{ __LINE__, "Name <user@example.com>", "Hi", BODY, "recipient" },
	{ __LINE__, "user@example.com b@example.net", "Hi", BODY, "recipient" },
	{ __LINE__, "user@localhost", "Hi", BODY, "recipient" },
	/* Subjects and bodies that are not UTF-8 or too long. */
	{ __LINE__, TO, "\xff\xfe", BODY, SUB_UTF },
	{ __LINE__, TO, "Hi \xe6\xbf", BODY, SUB_UTF },
	{ __LINE__, TO, "Hi \xed\xa0\x80", BODY, SUB_UTF },
	{ __LINE__, TO, R50("0123456789") "0123456789012", BODY, "at most 512 bytes" },
	{ __LINE__, TO, "Hi", SECRET " \xff", BODY_UTF },
	{ __LINE__, TO, "Hi", SECRET " \xc0\xaf", BODY_UTF },
	{ __LINE__, TO, "Hi", SECRET " \xed\xa0\x80", BODY_UTF },
	{ __LINE__, TO, "Hi", SECRET " \xe4\xbd", BODY_UTF },
};

/* Each is refused with its reason, nothing reaches the maildir, the failure is logged, and the
 * body's secret appears in neither the error nor the log. */
static void
test_refusals(void **state)
{
	struct buf err = BUF_INIT, log = BUF_INIT;
	char *dir;
	struct mail *m = dir_mail(&dir, FROM);
	size_t i;
	int fd;

	(void)state;
	for (i = 0; i < sizeof refuse_rows / sizeof refuse_rows[0]; i++) {
		const struct refuse_row *r = &refuse_rows[i];
		int rc;

		buf_reset(&err);
		buf_reset(&log);
		fd = log_capture_start();
		rc = mail_send(m, r->to, r->subject, r->body, &err);
		log_capture_end(fd, &log);
		if (rc != -1)
			fail_msg("line %d: sent", r->line);
		if (strstr(buf_cstr(&err), r->expect) == NULL)
			fail_msg("line %d: error \"%s\", want \"%s\"", r->line, buf_cstr(&err),
			    r->expect);
		if (strstr(buf_cstr(&log), "mail: not sent") == NULL ||
		    strstr(buf_cstr(&log), r->expect) == NULL)
			fail_msg("line %d: log \"%s\"", r->line, buf_cstr(&log));
		if (strstr(buf_cstr(&err), "493817") || strstr(buf_cstr(&log), "493817"))
			fail_msg("line %d: the secret leaked", r->line);
		if (count_entries(dir, "new", NULL) != 0 || count_entries(dir, "tmp", NULL) != 0)
			fail_msg("line %d: something was written", r->line);
	}
	/* err may be NULL. */
	fd = log_capture_start();
	assert_int_equal(mail_send(m, "nope", "Hi", BODY, NULL), -1);
	log_capture_end(fd, &log);
	mail_free(m);
	mail_free(NULL);
	remove_tree(dir);
	buf_free(&err);
	buf_free(&log);
}

/* A maildir that breaks after start-up: the message is refused with a reason and no half-written
 * file is left in tmp/. */
static void
test_dir_failures(void **state)
{
	struct buf err = BUF_INIT, path = BUF_INIT;
	char *dir;
	struct mail *m = dir_mail(&dir, FROM);
	int fd;

	(void)state;
	/* new/ replaced by a file: the rename fails after tmp/ got the message. */
	buf_printf(&path, "%s/new", dir);
	assert_int_equal(rmdir(buf_cstr(&path)), 0);
	write_file(dir, "new", "", 0600);
	fd = log_capture_start();
	assert_int_equal(mail_send(m, TO, "Hi", BODY, &err), -1);
	log_capture_end(fd, &path);
	assert_non_null(strstr(buf_cstr(&err), "cannot rename into new/"));
	assert_int_equal(count_entries(dir, "tmp", NULL), 0);
	/* tmp/ gone: nothing can be created. */
	buf_reset(&path);
	buf_printf(&path, "%s/tmp", dir);
	assert_int_equal(rmdir(buf_cstr(&path)), 0);
	buf_reset(&err);
	fd = log_capture_start();
	assert_int_equal(mail_send(m, TO, "Hi", BODY, &err), -1);
	log_capture_end(fd, &path);
	assert_non_null(strstr(buf_cstr(&err), "cannot create"));
	mail_free(m);
	remove_tree(dir);
	buf_free(&err);
	buf_free(&path);
}

/* ------------------------------------------------------------------------------------------- */
/* mail_new */

struct new_row {
	int         line;
	const char *transport;   /* NULL: the default for this and the fields below */
	const char *sendmail;
	const char *spool;
	const char *from;
	const char *expect;      /* a piece of the error, or NULL: must succeed */
};

static const struct new_row new_rows[] = {
	{ __LINE__, "smtp", NULL, NULL, NULL, "[mail] transport: must be sendmail or spool" },
	{ __LINE__, "", NULL, NULL, NULL, "[mail] transport: must be sendmail or spool" },
	{ __LINE__, "Dir", NULL, NULL, NULL, "[mail] transport" },
	{ __LINE__, "spool", NULL, "", NULL, "[mail] spool_dir: must be set" },
	{ __LINE__, "spool", NULL, "relative/spool", NULL, "[mail] spool_dir: must be an absolute path" },
	{ __LINE__, "spool", NULL, "@DIR@/missing", NULL, "missing: No such file or directory" },
	{ __LINE__, "spool", NULL, "@DIR@/plain", NULL, "[mail] spool_dir: " },
	{ __LINE__, "spool", NULL, "@DIR@/plain", NULL, "is not a directory" },
	{ __LINE__, "sendmail", "sendmail", NULL, NULL,
	    "[mail] sendmail_path: must be an absolute path" },
	{ __LINE__, "sendmail", "bin/sendmail", NULL, NULL, "must be an absolute path" },
	{ __LINE__, "sendmail", "", NULL, NULL, "must be an absolute path" },
	{ __LINE__, "sendmail", "@DIR@/missing", NULL, NULL,
	    "[mail] sendmail_path: " },
	{ __LINE__, "sendmail", "@DIR@/missing", NULL, NULL, "No such file or directory" },
	{ __LINE__, "sendmail", "@DIR@/plain", NULL, NULL,
	    "[mail] sendmail_path: " },
	{ __LINE__, "sendmail", "@DIR@/plain", NULL, NULL, "is not an executable file" },
	{ __LINE__, "sendmail", "@DIR@/sub", NULL, NULL, "is not an executable file" },
	/* From. */
	{ __LINE__, "spool", NULL, "@DIR@", "", "[mail] from: must be one line of UTF-8 text" },
	{ __LINE__, "spool", NULL, "@DIR@", FROM "\r\nBcc: victim@example.net", "[mail] from: must be one line" },
	{ __LINE__, "spool", NULL, "@DIR@", FROM "\n", "[mail] from: must be one line" },
	{ __LINE__, "spool", NULL, "@DIR@", "Starling\r<noreply@example.org>", "[mail] from: must be one line" },
	{ __LINE__, "spool", NULL, "@DIR@", "Starling\t<noreply@example.org>", "[mail] from: must be one line" },
	{ __LINE__, "spool", NULL, "@DIR@", "\xff <noreply@example.org>", "[mail] from: must be one line" },
	{ __LINE__, "spool", NULL, "@DIR@", "noreply", "[mail] from: the address" },
	{ __LINE__, "spool", NULL, "@DIR@", "noreply@", "[mail] from: the address" },
	{ __LINE__, "spool", NULL, "@DIR@", "@example.org", "[mail] from: the address" },
	{ __LINE__, "spool", NULL, "@DIR@", "a@b@example.org", "[mail] from: the address" },
	{ __LINE__, "spool", NULL, "@DIR@", "Starling <>", "[mail] from: the address" },
	{ __LINE__, "spool", NULL, "@DIR@", "Starling <no reply@example.org>", "[mail] from: the address" },
	{ __LINE__, "spool", NULL, "@DIR@", "Starling <n\xc3\xb6reply@example.org>", "[mail] from: the address" },
	{ __LINE__, "spool", NULL, "@DIR@", "Starling <noreply@example.org", "must end with the address in <...>" },
	{ __LINE__, "spool", NULL, "@DIR@", FROM " x", "must end with the address in <...>" },
	{ __LINE__, "spool", NULL, "@DIR@", "\xe6\xa4\x8b\xe9\xb8\x9f noreply@example.org",
	    "needs the address in <...>" },
	/* Only the chosen transport's key is checked. */
	{ __LINE__, "spool", "relative", "@DIR@", NULL, NULL },
	{ __LINE__, "sendmail", "@DIR@/exe", "relative", NULL, NULL },
	{ __LINE__, "spool", NULL, "@DIR@/sub", FROM, NULL },
};

static void
test_new_checks(void **state)
{
	struct buf err = BUF_INIT, path = BUF_INIT;
	char *dir = make_tmpdir();
	struct mail *m;
	struct conf c;
	size_t i;

	(void)state;
	write_file(dir, "plain", "#!/bin/sh\nexit 0\n", 0644);
	write_file(dir, "exe", "#!/bin/sh\nexit 0\n", 0755);
	buf_printf(&path, "%s/sub", dir);
	assert_int_equal(mkdir(buf_cstr(&path), 0755), 0);
	for (i = 0; i < sizeof new_rows / sizeof new_rows[0]; i++) {
		const struct new_row *r = &new_rows[i];

		buf_reset(&err);
		conf_mail(&c, dir, r->transport, r->sendmail, r->spool, r->from);
		m = mail_new(&c, &err);
		conf_free(&c);
		if (r->expect == NULL && m == NULL)
			fail_msg("line %d: refused: %s", r->line, buf_cstr(&err));
		if (r->expect != NULL && m != NULL)
			fail_msg("line %d: accepted", r->line);
		if (r->expect != NULL && strstr(buf_cstr(&err), r->expect) == NULL)
			fail_msg("line %d: error \"%s\", want \"%s\"", r->line, buf_cstr(&err),
			    r->expect);
		mail_free(m);
	}
	/* err may be NULL. */
	conf_mail(&c, dir, "smtp", NULL, NULL, NULL);
	assert_null(mail_new(&c, NULL));
	conf_free(&c);
	remove_tree(dir);
	buf_free(&err);
	buf_free(&path);
}

/* A spool directory the process cannot write to is refused at start-up. root writes anywhere,
 * so this cannot be shown as root. */
static void
test_new_unwritable_spool(void **state)
{
	struct buf err = BUF_INIT;
	char *dir;
	struct conf c;

	(void)state;
	if (geteuid() == 0)
		skip();
	dir = make_tmpdir();
	assert_int_equal(chmod(dir, 0500), 0);
	conf_mail(&c, dir, "spool", NULL, "@DIR@", NULL);
	assert_null(mail_new(&c, &err));
	assert_non_null(strstr(buf_cstr(&err), "is not writable"));
	conf_free(&c);
	assert_int_equal(chmod(dir, 0700), 0);
	remove_tree(dir);
	buf_free(&err);
}

/* ------------------------------------------------------------------------------------------- */
/* The sendmail transport, through real scripts */

/* A sender whose sendmail is a shell script with the given text, written into a fresh *dir. */
static struct mail *
script_mail(char **dir, const char *script)
{
	struct buf err = BUF_INIT;
	struct conf c;
	struct mail *m;

	*dir = make_tmpdir();
	write_file(*dir, "sendmail", script, 0755);
	conf_mail(&c, *dir, "sendmail", "@DIR@/sendmail", NULL, FROM);
	m = mail_new(&c, &err);
	if (m == NULL)
		fail_msg("mail_new: %s", buf_cstr(&err));
	conf_free(&c);
	buf_free(&err);
	return m;
}

/* SIGPIPE is neither blocked nor pending: mail_send left the signal state as it found it. */
static void
assert_sigpipe_clean(int line)
{
	sigset_t set;

	assert_int_equal(sigprocmask(SIG_BLOCK, NULL, &set), 0);
	if (sigismember(&set, SIGPIPE))
		fail_msg("line %d: SIGPIPE left blocked", line);
	assert_int_equal(sigpending(&set), 0);
	if (sigismember(&set, SIGPIPE))
		fail_msg("line %d: SIGPIPE left pending", line);
}

/* The identity of fd (device, inode), or zeros when it is closed. */
static void
fd_identity(int fd, dev_t *dev, ino_t *ino)
{
	struct stat st;

	*dev = 0;
	*ino = 0;
	if (fstat(fd, &st) == 0) {
		*dev = st.st_dev;
		*ino = st.st_ino;
	}
}

/*
 * The message arrives on sendmail's standard input, with -t -i and nothing else as arguments;
 * sendmail's stdout is /dev/null; a descriptor the worker holds open (a database or FastCGI
 * socket, say) is not inherited; and the worker's own stdin and stdout are what they were.
 */
static void
test_sendmail_delivers(void **state)
{
	struct buf script = BUF_INIT, err = BUF_INIT, got = BUF_INIT, v = BUF_INIT;
	dev_t dev0, dev1, dev0b, dev1b;
	ino_t ino0, ino1, ino0b, ino1b;
	char *dir = make_tmpdir();
	struct mail *m;
	bool have_proc = access("/proc/self/fd", F_OK) == 0;
	int extra;

	(void)state;
	/* A descriptor without close-on-exec, below 10 where the shell keeps none of its own. */
	extra = open("/dev/null", O_RDONLY);
	assert_true(extra >= 3 && extra < 10);
	buf_printf(&script,
	    "#!/bin/sh\n"
	    "printf '%%s\\n' \"$@\" > '%s/args'\n"
	    "if [ -e /proc/$$/fd/%d ]; then echo open; else echo closed; fi > '%s/fd'\n"
	    "o=$(readlink /proc/$$/fd/1)\n"
	    "echo \"$o\" > '%s/stdout'\n"
	    "cat > '%s/out'\n", dir, extra, dir, dir, dir);
	write_file(dir, "sendmail", buf_cstr(&script), 0755);
	{
		struct conf c;

		conf_mail(&c, dir, "sendmail", "@DIR@/sendmail", NULL, FROM);
		m = mail_new(&c, &err);
		conf_free(&c);
	}
	assert_non_null(m);
	fd_identity(0, &dev0, &ino0);
	fd_identity(1, &dev1, &ino1);
	if (mail_send(m, TO, "\xe4\xbd\xa0\xe5\xa5\xbd", BODY, &err) != 0)
		fail_msg("mail_send: %s", buf_cstr(&err));
	fd_identity(0, &dev0b, &ino0b);
	fd_identity(1, &dev1b, &ino1b);
	assert_true(dev0 == dev0b && ino0 == ino0b);
	assert_true(dev1 == dev1b && ino1 == ino1b);
	assert_int_equal(close(extra), 0);
	assert_sigpipe_clean(__LINE__);

	read_into(dir, "args", &got);
	assert_string_equal(buf_cstr(&got), "-t\n-i\n");
	if (have_proc) {
		buf_reset(&got);
		read_into(dir, "fd", &got);
		assert_string_equal(buf_cstr(&got), "closed\n");
		buf_reset(&got);
		read_into(dir, "stdout", &got);
		assert_string_equal(buf_cstr(&got), "/dev/null\n");
	}
	buf_reset(&got);
	read_into(dir, "out", &got);
	header_value(buf_cstr(&got), "To", &v);
	assert_string_equal(buf_cstr(&v), TO);
	header_value(buf_cstr(&got), "From", &v);
	assert_string_equal(buf_cstr(&v), FROM);
	header_value(buf_cstr(&got), "Subject", &v);
	assert_string_equal(buf_cstr(&v), "=?UTF-8?B?5L2g5aW9?=");
	assert_null(strchr(buf_cstr(&got), '\r'));
	assert_string_equal(body_of(buf_cstr(&got)), "Your " SECRET ".\nIt expires in 24 hours.\n");
	mail_free(m);
	remove_tree(dir);
	buf_free(&script);
	buf_free(&err);
	buf_free(&got);
	buf_free(&v);
}

/* A worker started with some of its standard descriptors closed: the pipe then gets low numbers.
 * sendmail must still read the message on its stdin (when the read end already sits at 0, dup2
 * would leave its close-on-exec flag set), and have an fd 2 (/dev/null when the worker has
 * none) rather than a closed one that its next open would take. */
struct stdio_row {
	int  line;
	int  closed[3];      /* which of 0, 1, 2 the worker has closed */
};

static const struct stdio_row stdio_rows[] = {
	{ __LINE__, { 1, 1, 1 } },
	{ __LINE__, { 1, 0, 0 } },
	{ __LINE__, { 0, 0, 1 } },
	{ __LINE__, { 1, 1, 0 } },
	{ __LINE__, { 0, 1, 1 } },
};

static void
test_sendmail_with_stdio_closed(void **state)
{
	struct buf script = BUF_INIT, err = BUF_INIT, got = BUF_INIT, v = BUF_INIT;
	bool have_proc = access("/proc/self/fd", F_OK) == 0;
	char *dir = make_tmpdir();
	int saved[3], fd, rc;
	struct mail *m;
	struct conf c;
	size_t i;

	(void)state;
	buf_printf(&script, "#!/bin/sh\ncat > '%s/out'\no=$(readlink /proc/$$/fd/2)\n"
	    "echo \"$o\" > '%s/fd2'\n", dir, dir);
	write_file(dir, "sendmail", buf_cstr(&script), 0755);
	conf_mail(&c, dir, "sendmail", "@DIR@/sendmail", NULL, FROM);
	m = mail_new(&c, &err);
	conf_free(&c);
	assert_non_null(m);
	for (i = 0; i < sizeof stdio_rows / sizeof stdio_rows[0]; i++) {
		const struct stdio_row *r = &stdio_rows[i];

		/* No assertion may run while stdout or stderr is closed. */
		for (fd = 0; fd < 3; fd++)
			saved[fd] = fcntl(fd, F_DUPFD_CLOEXEC, 10);
		for (fd = 0; fd < 3; fd++)
			if (r->closed[fd])
				(void)close(fd);
		buf_reset(&err);
		rc = mail_send(m, TO, "Hi", BODY, &err);
		for (fd = 0; fd < 3; fd++) {
			if (saved[fd] >= 0) {
				(void)dup2(saved[fd], fd);
				(void)close(saved[fd]);
			}
		}
		if (rc != 0)
			fail_msg("line %d: mail_send: %s", r->line, buf_cstr(&err));
		buf_reset(&got);
		read_into(dir, "out", &got);
		header_value(buf_cstr(&got), "To", &v);
		assert_string_equal(buf_cstr(&v), TO);
		if (strcmp(body_of(buf_cstr(&got)), "Your " SECRET ".\nIt expires in 24 hours.\n"))
			fail_msg("line %d: body \"%s\"", r->line, body_of(buf_cstr(&got)));
		buf_reset(&got);
		read_into(dir, "fd2", &got);
		if (have_proc && r->closed[2] && strcmp(buf_cstr(&got), "/dev/null\n") != 0)
			fail_msg("line %d: sendmail's fd 2 is \"%s\"", r->line, buf_cstr(&got));
	}
	mail_free(m);
	remove_tree(dir);
	buf_free(&script);
	buf_free(&err);
	buf_free(&got);
	buf_free(&v);
}

/* sendmail scripts that fail, and the piece of the error that must say how. */
struct fail_row {
	int         line;
	const char *script;
	bool        big;         /* a body larger than a pipe holds, so writing blocks */
	const char *expect;
};

static const struct fail_row fail_rows[] = {
	{ __LINE__, "#!/bin/sh\ncat >/dev/null\nexit 75\n", false, "exited with status 75" },
	{ __LINE__, "#!/bin/sh\ncat >/dev/null\nexit 1\n", true, "exited with status 1" },
	/* Exits without reading: the write fails with EPIPE, and SIGPIPE must not kill us. */
	{ __LINE__, "#!/bin/sh\nexit 3\n", true, "exited with status 3" },
	/* Closes its input and would exit 0 later: a message it did not read is not sent, so it
	 * is killed rather than left to queue a truncated one. */
	{ __LINE__, "#!/bin/sh\nexec 0<&-\nexec sleep 5\n", true,
	    "killed by signal 9 (writing the message to it failed: Broken pipe)" },
	{ __LINE__, "#!/bin/sh\ncat >/dev/null\nkill -TERM $$\n", false, "killed by signal 15" },
	/* Cannot be executed at all (the interpreter is missing). */
	{ __LINE__, "#!/nonexistent/interpreter\n", false, "status 127 (could not be run)" },
};

static void
test_sendmail_failures(void **state)
{
	struct buf err = BUF_INIT, log = BUF_INIT, big = BUF_INIT;
	size_t i, k;
	int fd, rc;

	(void)state;
	/* 256 KiB: four times what a Linux pipe holds. */
	for (k = 0; k < 256 * 1024; k++)
		buf_putc(&big, k % 64 == 63 ? '\n' : 'x');
	buf_puts(&big, SECRET "\n");
	for (i = 0; i < sizeof fail_rows / sizeof fail_rows[0]; i++) {
		const struct fail_row *r = &fail_rows[i];
		char *dir;
		struct mail *m = script_mail(&dir, r->script);

		buf_reset(&err);
		buf_reset(&log);
		fd = log_capture_start();
		rc = mail_send(m, TO, "Hi", r->big ? buf_cstr(&big) : BODY, &err);
		log_capture_end(fd, &log);
		if (rc != -1)
			fail_msg("line %d: sent", r->line);
		if (strstr(buf_cstr(&err), r->expect) == NULL)
			fail_msg("line %d: error \"%s\", want \"%s\"", r->line, buf_cstr(&err),
			    r->expect);
		if (strstr(buf_cstr(&log), r->expect) == NULL)
			fail_msg("line %d: log \"%s\"", r->line, buf_cstr(&log));
		if (strstr(buf_cstr(&err), "493817") || strstr(buf_cstr(&log), "493817"))
			fail_msg("line %d: the secret leaked", r->line);
		assert_sigpipe_clean(r->line);
		mail_free(m);
		remove_tree(dir);
	}
	buf_free(&err);
	buf_free(&log);
	buf_free(&big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dir_message),
		cmocka_unit_test(test_subject_encoding),
		cmocka_unit_test(test_subject_never_splits_characters),
		cmocka_unit_test(test_from_header),
		cmocka_unit_test(test_body_line_ends),
		cmocka_unit_test(test_body_long_lines),
		cmocka_unit_test(test_body_size_limit),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_dir_failures),
		cmocka_unit_test(test_new_checks),
		cmocka_unit_test(test_new_unwritable_spool),
		cmocka_unit_test(test_sendmail_delivers),
		cmocka_unit_test(test_sendmail_with_stdio_closed),
		cmocka_unit_test(test_sendmail_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
