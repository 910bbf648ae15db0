/* loop.c: a binary's process loop: FastCGI requests one after another, or the one request of a
 * plain CGI run; each body read and handed to the pipeline through loop.h's hooks. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>

#include "buf.h"
#include "log.h"
#include "loop.h"
#include "request.h"

extern char **environ;

static volatile sig_atomic_t stop_requested;

/* The signals that ask a worker to stop, into set (see install_signals). */
static void
stop_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGUSR1);
}

static void
on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* SIGTERM (the FastCGI spec, lighttpd, spawn-fcgi) and SIGUSR1 (mod_fcgid's graceful stop, and
 * multiwatch's) ask the worker to finish. serve_fastcgi keeps them blocked except inside ppoll(),
 * while it waits with no connection: there one is taken at once, and one that comes during a
 * request waits for its end. Not inside FCGX_Accept_r: after accept() it waits up to 2 s for a
 * connection's first bytes and then reads the PARAMS, and a signal interrupting either (EINTR; no
 * SA_RESTART) makes libfcgi close the connection unanswered (tests/integration/signals.sh holds
 * a request mid-PARAMS to show it); and one landing just before its accept() went unseen until
 * the next connection. */
static void
install_signals(sigset_t *stopset)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	stop_signals(stopset);
}

/* Reads and discards what a CGI request's body holds, up to want bytes. A CGI server (mod_cgid)
 * writes the whole body to the program before it reads the answer: a program that exits without
 * reading it makes the server drop the connection, and the client never sees the 413. The web
 * server's own limit (LimitRequestBody) bounds this. */
static void
drain_stdin(size_t want)
{
	char chunk[8192];
	size_t n;

	while (want > 0) {
		n = fread(chunk, 1, want < sizeof chunk ? want : sizeof chunk, stdin);
		if (n == 0)
			break;
		want -= n;
	}
}

size_t
loop_declared_length(char *const *envp)
{
	const char *s = request_env(envp, "CONTENT_LENGTH");
	unsigned long long v;
	char *end;

	if (s == NULL || *s == '\0' || strspn(s, "0123456789") != strlen(s))
		return 0;
	errno = 0;
	v = strtoull(s, &end, 10);
	return errno ? SIZE_MAX : (size_t)v;
}

/* Reads the body from a FastCGI stream (in != NULL) or stdin. Returns the bytes read into body; a
 * declared length over max is not read (see app.h, app_handle); under CGI it is drained. */
static const char *
read_body(FCGX_Stream *in, char *const *envp, size_t max, struct buf *body, size_t *len)
{
	size_t want = loop_declared_length(envp);
	char chunk[8192];

	if (want > max) {
		if (in == NULL)
			drain_stdin(want);
		*len = want;
		return NULL;
	}
	while (body->len < want) {
		size_t n = want - body->len < sizeof chunk ? want - body->len : sizeof chunk;
		int got = in ? FCGX_GetStr(chunk, (int)n, in) : (int)fread(chunk, 1, n, stdin);

		if (got <= 0)
			break;
		buf_append(body, chunk, (size_t)got);
	}
	*len = body->len;
	return buf_cstr(body);
}

static void
serve_cgi(struct ctx *ctx, const struct loop_pipeline *p)
{
	struct buf body = BUF_INIT, out = BUF_INIT;
	const char *b;
	size_t len;

	b = read_body(NULL, environ, p->body_limit(ctx, environ), &body, &len);
	p->handle(ctx, environ, b, len, &out);
	fwrite(out.data, 1, out.len, stdout);
	fflush(stdout);
	buf_free(&out);
	buf_free(&body);
}

static int
serve_fastcgi(struct ctx *ctx, const struct loop_pipeline *p)
{
	struct buf body = BUF_INIT, out = BUF_INIT;
	FCGX_Request req;
	sigset_t stopset, waitmask;
	const char *b;
	size_t len;
	int flags, status = 0;

	install_signals(&stopset);
	sigprocmask(SIG_BLOCK, &stopset, &waitmask);
	sigdelset(&waitmask, SIGTERM);
	sigdelset(&waitmask, SIGUSR1);
	FCGX_Init();
	FCGX_InitRequest(&req, 0, 0);
	/* Several processes may share the socket (lighttpd's max-procs, multiwatch, mod_fcgid): all
	 * wake for one connection, and those that lose it must come back to ppoll(), where a signal
	 * reaches them, not sleep in accept() with the signals blocked. */
	flags = fcntl(req.listen_sock, F_GETFL);
	if (flags < 0 || fcntl(req.listen_sock, F_SETFL, flags | O_NONBLOCK) < 0) {
		log_error("cannot make the FastCGI socket non-blocking: %s", strerror(errno));
		status = 1;
	}
	while (status == 0 && !stop_requested) {
		struct pollfd pfd = { req.listen_sock, POLLIN, 0 };
		int rc;

		if (ppoll(&pfd, 1, NULL, &waitmask) < 0) {
			if (errno == EINTR)
				continue;
			log_error("waiting for a connection: %s", strerror(errno));
			break;
		}
		rc = FCGX_Accept_r(&req);
		if (rc == -EAGAIN || rc == -EWOULDBLOCK)
			continue; /* another process took the connection */
		if (rc < 0)
			break;
		b = read_body(req.in, req.envp, p->body_limit(ctx, req.envp), &body, &len);
		p->handle(ctx, req.envp, b, len, &out);
		/* FCGX_PutStr, never FCGX_FPrintF: libfcgi's printf stops silently at %zu. */
		if (FCGX_PutStr(out.data, (int)out.len, req.out) < 0)
			log_warn("client went away before the response was written");
		FCGX_Finish_r(&req);
		buf_reset(&out);
		buf_reset(&body);
	}
	FCGX_Finish_r(&req);
	buf_free(&out);
	buf_free(&body);
	log_info("stopping: %s", stop_requested ? "asked to by a signal" : "accept failed");
	return status;
}

void
loop_hold_signals(sigset_t *saved)
{
	sigset_t stopset;

	stop_signals(&stopset);
	sigprocmask(SIG_BLOCK, &stopset, saved);
}

int
loop_serve(struct ctx *ctx, const struct loop_pipeline *p, const sigset_t *saved)
{
	if (FCGX_IsCGI()) {
		sigprocmask(SIG_SETMASK, saved, NULL);
		serve_cgi(ctx, p);
		return 0;
	}
	return serve_fastcgi(ctx, p);
}
