/* mail.c: building RFC 5322 messages and handing them to sendmail or a maildir. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "log.h"
#include "mail.h"
#include "utf8.h"
#include "valid.h"
#include "xalloc.h"

enum mail_transport {
	MAIL_SENDMAIL,
	MAIL_DIR,
};

struct mail {
	enum mail_transport transport;
	char *sendmail_path;
	char *spool_dir;
	char *from;          /* the From: header's value, ready to write (encoded-words if needed) */
	char *msgid_host;    /* the part after '@' in Message-ID */
};

/* RFC 5322 2.1.1: a line is at most 998 bytes; a longer body line makes the body go as base64. */
#define MAIL_LINE_MAX 998

/*
 * RFC 2047 encoded-words: "=?UTF-8?B?" + base64 + "?=" is at most 75 characters, and a header
 * line holding encoded-words at most 76. Taking 39 bytes of text per word gives 52 base64
 * characters, a 64-character word, and at most 73 characters on the first line after
 * "Subject: " or "From: ": within both limits on every line.
 */
#define MAIL_WORD_BYTES 39
/* Base64 bodies: 57 bytes per line make the customary 76 characters. */
#define MAIL_B64_LINE_BYTES 57

/* Used for Message-ID when From has no usable host part (.invalid is reserved: RFC 2606). */
#define MAIL_MSGID_FALLBACK "starling.invalid"

/* ------------------------------------------------------------------------------------------- */
/* Header text */

/* True when the n bytes at s are printable ASCII (space to '~'): text that may go into a header
 * as it is. */
static bool
mail_printable(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

/* True when s holds a C0 control character or DEL: CR and LF would end the header line and let
 * the rest of the value forge headers (or a body), the others have no business in a header. */
static bool
mail_has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			return true;
	return false;
}

/* Appends the n bytes at s (valid UTF-8) as RFC 2047 B encoded-words, folded onto continuation
 * lines ("\n "). A word never ends inside a character: RFC 2047 6.3 requires each word to decode
 * to whole characters on its own. */
static void
mail_put_words(struct buf *out, const char *s, size_t n)
{
	unsigned char b64[4 * ((MAIL_WORD_BYTES + 2) / 3) + 1];
	size_t i = 0, take;

	while (i < n) {
		take = n - i < MAIL_WORD_BYTES ? n - i : MAIL_WORD_BYTES;
		/* Back off to the start of the character the cut would split: continuation bytes
		 * are 10xxxxxx, and a character is at most 4 bytes, so this stops well above 0. */
		while (i + take < n && ((unsigned char)s[i + take] & 0xc0) == 0x80)
			take--;
		EVP_EncodeBlock(b64, (const unsigned char *)s + i, (int)take);
		buf_printf(out, "%s=?UTF-8?B?%s?=", i > 0 ? "\n " : "", (const char *)b64);
		i += take;
	}
}

/* Appends "Name: value\n" for unstructured text (Subject). Printable ASCII that fits the 78
 * characters RFC 5322 recommends goes as it is; anything else as encoded-words, as does text
 * holding "=?", which a reader would otherwise try to decode. */
static void
mail_put_text_header(struct buf *out, const char *name, const char *value)
{
	size_t n = strlen(value);

	buf_printf(out, "%s: ", name);
	if (mail_printable(value, n) && strstr(value, "=?") == NULL && strlen(name) + 2 + n <= 78)
		buf_append(out, value, n);
	else
		mail_put_words(out, value, n);
	buf_putc(out, '\n');
}

/* Appends the Date: header for now, in RFC 5322 3.3 form and UTC. The names are spelled out here
 * rather than taken from strftime, whose %a and %b follow the locale. */
static void
mail_put_date(struct buf *out)
{
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug",
		"Sep", "Oct", "Nov", "Dec" };
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	buf_printf(out, "Date: %s, %d %s %04d %02d:%02d:%02d +0000\n", days[tm.tm_wday], tm.tm_mday,
	    months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Writes 2 * nbytes random hex digits and a NUL to out. Returns 0, or -1 when the system has no
 * randomness to give. */
static int
mail_random_hex(char *out, size_t nbytes)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[16];
	size_t i;

	if (nbytes > sizeof raw || RAND_bytes(raw, (int)nbytes) != 1)
		return -1;
	for (i = 0; i < nbytes; i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 0xf];
	}
	out[2 * nbytes] = '\0';
	return 0;
}

/* Appends the body headers, the blank line and the body: line ends made LF (see mail.h), a final
 * LF added, and base64 used when a line is too long for 8bit. */
static void
mail_put_body(struct buf *out, const char *body)
{
	unsigned char b64[4 * (MAIL_B64_LINE_BYTES / 3) + 1];
	struct buf text = BUF_INIT;
	size_t i, line = 0, take;
	bool too_long = false;
	char c;

	for (i = 0; body[i] != '\0'; i++) {
		c = body[i];
		if (c == '\r') {
			if (body[i + 1] == '\n')
				continue;
			c = '\n';
		}
		buf_putc(&text, c);
		line = c == '\n' ? 0 : line + 1;
		if (line > MAIL_LINE_MAX)
			too_long = true;
	}
	if (text.len == 0 || text.data[text.len - 1] != '\n')
		buf_putc(&text, '\n');
	buf_puts(out, "Content-Type: text/plain; charset=UTF-8\n");
	if (!too_long) {
		buf_puts(out, "Content-Transfer-Encoding: 8bit\n\n");
		buf_append(out, text.data, text.len);
		goto out;
	}
	buf_puts(out, "Content-Transfer-Encoding: base64\n\n");
	for (i = 0; i < text.len; i += take) {
		take = text.len - i < MAIL_B64_LINE_BYTES ? text.len - i : MAIL_B64_LINE_BYTES;
		EVP_EncodeBlock(b64, (const unsigned char *)text.data + i, (int)take);
		buf_printf(out, "%s\n", (const char *)b64);
	}
out:
	buf_free(&text);
}

/* Checks to, subject and body and appends the whole message to msg. Returns 0, or -1 with the
 * reason in why. */
static int
mail_build(const struct mail *m, const char *to, const char *subject, const char *body,
    struct buf *msg, struct buf *why)
{
	char msgid[33];
	const char *bad;

	if (mail_has_control(to)) {
		buf_puts(why, "recipient address contains a control character");
		return -1;
	}
	if ((bad = valid_email(to, strlen(to))) != NULL) {
		buf_printf(why, "recipient: %s", bad);
		return -1;
	}
	if (mail_has_control(subject)) {
		buf_puts(why, "subject contains a control character");
		return -1;
	}
	if (strlen(subject) > MAIL_SUBJECT_MAX || !utf8_valid(subject, strlen(subject))) {
		buf_printf(why, "subject must be valid UTF-8 of at most %d bytes", MAIL_SUBJECT_MAX);
		return -1;
	}
	if (strlen(body) > MAIL_BODY_MAX || !utf8_valid(body, strlen(body))) {
		buf_printf(why, "body must be valid UTF-8 of at most %d bytes", MAIL_BODY_MAX);
		return -1;
	}
	/* 128 random bits make the id unique without a counter shared between processes. */
	if (mail_random_hex(msgid, 16) != 0) {
		buf_puts(why, "no randomness for a Message-ID");
		return -1;
	}
	mail_put_date(msg);
	buf_printf(msg, "From: %s\n", m->from);
	buf_printf(msg, "To: %s\n", to);
	mail_put_text_header(msg, "Subject", subject);
	buf_printf(msg, "Message-ID: <%s@%s>\n", msgid, m->msgid_host);
	/* RFC 3834: tells vacation responders and the like not to answer a machine. */
	buf_puts(msg, "Auto-Submitted: auto-generated\n");
	buf_puts(msg, "MIME-Version: 1.0\n");
	mail_put_body(msg, body);
	return 0;
}

/* ------------------------------------------------------------------------------------------- */
/* Transports */

/* Writes all n bytes, going on after partial writes and EINTR. Returns 0, or -1 with errno. */
static int
mail_write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Writes the message into the pipe to sendmail. Returns 0 or an errno value.
 * A sendmail that exits before reading everything makes the write fail with EPIPE, but first the
 * kernel raises SIGPIPE, whose default action kills the whole worker. So SIGPIPE is blocked in
 * this thread around the write, and a SIGPIPE this write raised is taken off the pending set
 * before the old mask comes back (a signal that was pending before is left alone).
 */
static int
mail_write_pipe(int fd, const struct buf *msg)
{
	static const struct timespec zero = { 0, 0 };
	sigset_t pipe_set, old, pending;
	bool was_pending;
	int e = 0;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	was_pending = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1;
	if (mail_write_all(fd, msg->data, msg->len) != 0)
		e = errno;
	if (e == EPIPE && !was_pending)
		while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
			;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return e;
}

/* Closes every file descriptor from lowest on (max_fd: sysconf(_SC_OPEN_MAX), for systems
 * without closefrom). Async-signal-safe. */
static void
mail_close_from(int lowest, int max_fd)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
	(void)max_fd;
	closefrom(lowest);
#else
	int fd;

	for (fd = lowest; fd < max_fd; fd++)
		(void)close(fd);
#endif
}

/*
 * The child side of the sendmail fork: never returns. Between fork and exec only
 * async-signal-safe calls are made, and the child leaves with _exit, never exit: exit would flush
 * the stdio buffers it inherited (a FastCGI response half-written by the parent) a second time.
 * The file descriptors sendmail gets: 0 the read end of the pipe, 1 /dev/null, 2 the worker's
 * stderr (the web server's error log, where sendmail's complaints belong); nothing else, so it
 * holds no database connection, FastCGI socket or pipe write end (which would keep it from ever
 * seeing the end of its input).
 */
static void __attribute__((noreturn))
mail_child_exec(const char *path, int rfd, const sigset_t *none, int max_fd)
{
	static const char cannot_run[] = "starling: cannot run sendmail\n";
	char a0[] = "sendmail", a1[] = "-t", a2[] = "-i";
	char *argv[] = { a0, a1, a2, NULL };
	struct sigaction dfl;
	int null_fd, flags;

	/* dup2 onto the same number is a no-op that keeps O_CLOEXEC, hence the fcntl. */
	if ((rfd != 0 && dup2(rfd, 0) < 0) || fcntl(0, F_SETFD, 0) < 0)
		_exit(127);
	/* fd 0 is taken now, so /dev/null lands on 1 or above. */
	null_fd = open("/dev/null", O_RDWR);
	if (null_fd < 0 || (null_fd != 1 && dup2(null_fd, 1) < 0))
		_exit(127);
	/* A worker started with fd 2 closed may have given the number to one of the pipe's ends
	 * (close-on-exec): then sendmail gets /dev/null there instead. */
	flags = fcntl(2, F_GETFD);
	if ((flags < 0 || (flags & FD_CLOEXEC)) && null_fd != 2 && dup2(null_fd, 2) < 0)
		_exit(127);
	mail_close_from(3, max_fd);
	/* Signal handlers are reset by exec, but an ignored signal stays ignored and the mask is
	 * inherited: sendmail starts with neither. */
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	(void)sigaction(SIGPIPE, &dfl, NULL);
	(void)sigprocmask(SIG_SETMASK, none, NULL);
	execv(path, argv);
	(void)!write(2, cannot_run, sizeof cannot_run - 1);
	_exit(127);
}

/* Pipes msg into `sendmail -t -i` and waits for it. Returns 0 when it exited 0, else -1 with
 * the reason (exit status or signal) in why. */
static int
mail_send_sendmail(const struct mail *m, const struct buf *msg, struct buf *why)
{
	int fds[2] = { -1, -1 }, status = 0, werr, max_fd, rc = -1;
	sigset_t none;
	pid_t pid, w;

	/* Close-on-exec on both ends: the child dups the read end to 0 itself, and a sendmail
	 * started later by another request must not inherit this pipe. */
	if (pipe2(fds, O_CLOEXEC) != 0) {
		buf_printf(why, "cannot create a pipe: %s", strerror(errno));
		goto out;
	}
	/* What the child needs is prepared before the fork: sysconf is not on POSIX's list of
	 * functions that are safe between fork and exec. */
	sigemptyset(&none);
	max_fd = (int)sysconf(_SC_OPEN_MAX);
	pid = fork();
	if (pid < 0) {
		buf_printf(why, "cannot fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0)
		mail_child_exec(m->sendmail_path, fds[0], &none, max_fd);
	(void)close(fds[0]);
	fds[0] = -1;
	werr = mail_write_pipe(fds[1], msg);
	/* sendmail -t -i queues whatever it read once its input ends: after a failed write it must
	 * die before the pipe is closed, or it would send a truncated message. */
	if (werr != 0)
		(void)kill(pid, SIGKILL);
	(void)close(fds[1]);
	fds[1] = -1;
	while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	if (w < 0) {
		/* ECHILD: the process ignores SIGCHLD, so children are reaped by the kernel and
		 * their status is lost. */
		buf_printf(why, "%s: cannot get its exit status: %s", m->sendmail_path,
		    strerror(errno));
		goto out;
	}
	if (werr == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		rc = 0;
		goto out;
	}
	if (WIFEXITED(status))
		buf_printf(why, "%s exited with status %d%s", m->sendmail_path, WEXITSTATUS(status),
		    WEXITSTATUS(status) == 127 ? " (could not be run)" : "");
	else if (WIFSIGNALED(status))
		buf_printf(why, "%s was killed by signal %d", m->sendmail_path, WTERMSIG(status));
	else
		buf_printf(why, "%s ended with wait status %d", m->sendmail_path, status);
	if (werr != 0)
		buf_printf(why, " (writing the message to it failed: %s)", strerror(werr));
out:
	if (fds[0] >= 0)
		(void)close(fds[0]);
	if (fds[1] >= 0)
		(void)close(fds[1]);
	return rc;
}

/* Flushes the directory at path, so a rename into it survives a crash. Returns 0 or -1. */
static int
mail_sync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	(void)close(fd);
	return rc;
}

/*
 * Delivers msg into the maildir: written and fsynced under tmp/, then renamed into new/, so a
 * reader of new/ sees the whole file or nothing (rename is atomic within a file system). The name
 * is time.pid.random: no two processes or calls pick the same one, and O_EXCL would refuse a
 * clash anyway. Files are 0640 (before the umask): they hold secret codes, so never world-
 * readable, but a sender running in the spool directory's group may read them.
 */
static int
mail_send_dir(const struct mail *m, const struct buf *msg, struct buf *why)
{
	struct buf name = BUF_INIT, tmp = BUF_INIT, dst = BUF_INIT;
	char rnd[17];
	int fd = -1, rc = -1;
	bool created = false;

	if (mail_random_hex(rnd, 8) != 0) {
		buf_puts(why, "no randomness for a file name");
		goto out;
	}
	buf_printf(&name, "%lld.%ld.%s", (long long)time(NULL), (long)getpid(), rnd);
	buf_printf(&tmp, "%s/tmp/%s", m->spool_dir, buf_cstr(&name));
	buf_printf(&dst, "%s/new/%s", m->spool_dir, buf_cstr(&name));
	fd = open(buf_cstr(&tmp), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd < 0) {
		buf_printf(why, "%s: cannot create: %s", buf_cstr(&tmp), strerror(errno));
		goto out;
	}
	created = true;
	if (mail_write_all(fd, msg->data, msg->len) != 0 || fsync(fd) != 0) {
		buf_printf(why, "%s: cannot write: %s", buf_cstr(&tmp), strerror(errno));
		goto out;
	}
	/* close can report a late write error (NFS): the file is only good if it succeeds. */
	if (close(fd) != 0) {
		fd = -1;
		buf_printf(why, "%s: cannot write: %s", buf_cstr(&tmp), strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(buf_cstr(&tmp), buf_cstr(&dst)) != 0) {
		buf_printf(why, "%s: cannot rename into new/: %s", buf_cstr(&tmp), strerror(errno));
		goto out;
	}
	created = false;
	rc = 0;
	/* The message is visible in new/ and will be sent: failing now would make the caller send
	 * it twice, so a directory that cannot be flushed is only worth a warning. */
	buf_reset(&name);
	buf_printf(&name, "%s/new", m->spool_dir);
	if (mail_sync_dir(buf_cstr(&name)) != 0)
		log_warn("mail: %s: cannot fsync: %s", buf_cstr(&name), strerror(errno));
out:
	if (fd >= 0)
		(void)close(fd);
	if (created)
		(void)unlink(buf_cstr(&tmp));
	buf_free(&name);
	buf_free(&tmp);
	buf_free(&dst);
	return rc;
}

int
mail_send(struct mail *m, const char *to, const char *subject, const char *body,
    struct buf *err)
{
	struct buf msg = BUF_INIT, why = BUF_INIT;
	int rc = -1;

	if (mail_build(m, to, subject, body, &msg, &why) != 0)
		goto out;
	if (m->transport == MAIL_SENDMAIL)
		rc = mail_send_sendmail(m, &msg, &why);
	else
		rc = mail_send_dir(m, &msg, &why);
out:
	/* why never holds the body or any header value: they may carry the secret code. */
	if (rc != 0) {
		log_error("mail: not sent: %s", buf_cstr(&why));
		buf_printf(err, "mail: not sent: %s", buf_cstr(&why));
	}
	buf_free(&msg);
	buf_free(&why);
	return rc;
}

/* ------------------------------------------------------------------------------------------- */
/* Start-up checks */

/* Makes sure path is an existing directory this process may create files in; creates it (mode
 * 0750 before the umask: see mail_send_dir for the group) when create is true and it is missing.
 * Returns 0, or -1 with "[mail] spool_dir: ..." in err. */
static int
mail_check_dir(const char *path, bool create, struct buf *err)
{
	struct stat st;

	if (create && mkdir(path, 0750) != 0 && errno != EEXIST) {
		buf_printf(err, "[mail] spool_dir: cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	if (stat(path, &st) != 0) {
		buf_printf(err, "[mail] spool_dir: %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		buf_printf(err, "[mail] spool_dir: %s is not a directory", path);
		return -1;
	}
	if (access(path, W_OK | X_OK) != 0) {
		buf_printf(err, "[mail] spool_dir: %s is not writable: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Checks spool_dir and prepares its maildir subdirectories. cur/ is not written by Starling, but
 * a maildir reader (a mail client, Dovecot) expects it. */
static int
mail_setup_dir(struct mail *m, const char *dir, struct buf *err)
{
	static const char *const subdirs[] = { "tmp", "new", "cur" };
	struct buf path = BUF_INIT;
	size_t i;
	int rc = -1;

	if (dir[0] == '\0') {
		buf_puts(err, "[mail] spool_dir: must be set when transport = spool");
		goto out;
	}
	/* A worker's working directory is whatever the web server chose: only an absolute path
	 * means the same directory everywhere. */
	if (dir[0] != '/') {
		buf_printf(err, "[mail] spool_dir: must be an absolute path, not \"%.256s\"", dir);
		goto out;
	}
	if (mail_check_dir(dir, false, err) != 0)
		goto out;
	for (i = 0; i < sizeof subdirs / sizeof subdirs[0]; i++) {
		buf_reset(&path);
		buf_printf(&path, "%s/%s", dir, subdirs[i]);
		if (mail_check_dir(buf_cstr(&path), true, err) != 0)
			goto out;
	}
	m->spool_dir = xstrdup(dir);
	rc = 0;
out:
	buf_free(&path);
	return rc;
}

/* Checks that path names an executable regular file by its absolute path. */
static int
mail_setup_sendmail(struct mail *m, const char *path, struct buf *err)
{
	struct stat st;

	if (path[0] != '/') {
		buf_printf(err, "[mail] sendmail_path: must be an absolute path, not \"%.256s\"", path);
		return -1;
	}
	if (stat(path, &st) != 0) {
		buf_printf(err, "[mail] sendmail_path: %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode) || access(path, X_OK) != 0) {
		buf_printf(err, "[mail] sendmail_path: %s is not an executable file", path);
		return -1;
	}
	m->sendmail_path = xstrdup(path);
	return 0;
}

/*
 * Checks [mail] from and prepares the From: header and the Message-ID host. from is either
 * printable ASCII, written as it is ("Starling <noreply@example.com>", "noreply@example.com"), or
 * "display name <address>" whose display name is UTF-8 (optionally in double quotes): that name
 * is sent as encoded-words, as RFC 2047 5 allows in a phrase.
 */
static int
mail_setup_from(struct mail *m, const char *from, struct buf *err)
{
	const char *lt = strrchr(from, '<'), *addr, *at, *host, *name_end;
	size_t n = strlen(from), addr_len, name_len;
	struct buf hdr = BUF_INIT;
	int rc = -1;

	if (n == 0 || mail_has_control(from) || !utf8_valid(from, n)) {
		buf_puts(err, "[mail] from: must be one line of UTF-8 text");
		goto out;
	}
	if (lt == NULL && !mail_printable(from, n)) {
		buf_puts(err, "[mail] from: a name that is not ASCII needs the address in <...>");
		goto out;
	}
	/* The address: inside the last <...>, which must end the value, or the whole value. */
	addr = from;
	addr_len = n;
	if (lt != NULL) {
		if (from[n - 1] != '>') {
			buf_puts(err, "[mail] from: must end with the address in <...>");
			goto out;
		}
		addr = lt + 1;
		addr_len = (size_t)(from + n - 1 - addr);
	}
	at = memchr(addr, '@', addr_len);
	if (addr_len == 0 || !mail_printable(addr, addr_len) || memchr(addr, ' ', addr_len) ||
	    memchr(addr, '<', addr_len) || memchr(addr, '>', addr_len) || at == NULL ||
	    at == addr || at == addr + addr_len - 1 ||
	    memchr(at + 1, '@', (size_t)(addr + addr_len - at - 1)) != NULL) {
		buf_puts(err, "[mail] from: the address must be name@host, with exactly one @");
		goto out;
	}
	host = at + 1;
	if (strspn(host, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-") ==
	    (size_t)(addr + addr_len - host))
		m->msgid_host = xstrndup(host, (size_t)(addr + addr_len - host));
	else
		m->msgid_host = xstrdup(MAIL_MSGID_FALLBACK);
	if (mail_printable(from, n)) {
		m->from = xstrdup(from);
		rc = 0;
		goto out;
	}
	/* The display name, without the spaces before '<' and without its double quotes. */
	name_end = lt;
	while (name_end > from && name_end[-1] == ' ')
		name_end--;
	name_len = (size_t)(name_end - from);
	if (name_len >= 2 && from[0] == '"' && from[name_len - 1] == '"') {
		from++;
		name_len -= 2;
	}
	/* The address goes on a line of its own, so the last word's line stays within 76. */
	mail_put_words(&hdr, from, name_len);
	buf_printf(&hdr, "\n <%.*s>", (int)addr_len, addr);
	m->from = buf_detach(&hdr);
	rc = 0;
out:
	buf_free(&hdr);
	return rc;
}

struct mail *
mail_new(const struct conf *c, struct buf *err)
{
	struct mail *m = xcalloc(1, sizeof *m);
	const char *transport = c->mail_transport ? c->mail_transport : "";

	if (strcmp(transport, "sendmail") == 0) {
		m->transport = MAIL_SENDMAIL;
		if (mail_setup_sendmail(m, c->mail_sendmail_path ? c->mail_sendmail_path : "",
		    err) != 0)
			goto fail;
	} else if (strcmp(transport, "spool") == 0) {
		m->transport = MAIL_DIR;
		if (mail_setup_dir(m, c->mail_spool_dir ? c->mail_spool_dir : "", err) != 0)
			goto fail;
	} else {
		buf_printf(err, "[mail] transport: must be sendmail or spool, not \"%.32s\"", transport);
		goto fail;
	}
	if (mail_setup_from(m, c->mail_from ? c->mail_from : "", err) != 0)
		goto fail;
	return m;
fail:
	mail_free(m);
	return NULL;
}

void
mail_free(struct mail *m)
{
	if (m == NULL)
		return;
	free(m->sendmail_path);
	free(m->spool_dir);
	free(m->from);
	free(m->msgid_host);
	free(m);
}
