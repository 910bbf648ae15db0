/* openloop.c: the load generator of tests/bench/faults.sh (docs/operations.md, "The fault and
 * overload benchmark").
 *
 * Open loop: request i is due at start + i / RATE whatever happened to the ones before, as
 * real clients arrive, and its latency counts from when it was due, so a server that stalls is
 * charged for every request that waited (closed-loop tools such as wrk stop sending when the
 * server stops answering, and so hide the stall: "coordinated omission"). Up to CONNS
 * keep-alive connections; a request due when all are busy waits in the generator, on the
 * clock. RATE 0 is closed loop instead (CONNS connections, each sending its next request when
 * the last is answered): how the benchmark measures capacity.
 *
 *   openloop HOST PORT REQUESTS RATE SECONDS CONNS OUT
 *
 * REQUESTS: lines of TAG, METHOD, PATH, BODY, then "Name: value" headers (a body's
 * Content-Type among them), tab-separated, cycled through in order. OUT gets one line per request: TAG, due (us from the start),
 * latency (us), HTTP status (0: no answer within 10 s; -1: connection failed), the envelope's
 * "code", and the "id" of its data (what post/create made), tab-separated.
 *
 * Benchmark code, not part of Starling: built by faults.sh with gcc, never installed. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define TIMEOUT_US (10 * 1000000LL)
#define MAX_CONNS  4096

struct req {
	char  *tag;
	char  *raw;    /* the whole HTTP request */
	size_t len;
};

struct rec {
	int       req;
	long long due, latency; /* due: monotonic us (written relative to the start) */
	int       status, code;
	char      id[24];
};

struct conn {
	int       fd;
	int       busy;     /* a request is on it */
	int       rec;      /* its record */
	size_t    sent;
	char     *in;
	size_t    in_len, in_cap;
};

static struct req  *reqs;
static size_t       nreqs;
static struct rec  *recs;
static size_t       nrecs, caprecs;
static struct conn  conns[MAX_CONNS];
static int          nconns, maxconns, ep;
static struct sockaddr_in addr;

static long long
now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

/* A whole number in [lo, hi] from s, or exit with usage status 2 naming what. */
static long
number(const char *s, long lo, long hi, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "openloop: %s must be a whole number in %ld..%ld, not \"%s\"\n", what,
		    lo, hi, s);
		exit(2);
	}
	return v;
}

static void
die(const char *what)
{
	perror(what);
	exit(1);
}

static void
load(const char *path, const char *host)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (f == NULL)
		die(path);
	while ((n = getline(&line, &cap, f)) > 0) {
		char *field[32], *p = line, *out = NULL;
		int nf = 0, i;
		size_t outlen = 0;
		FILE *m;

		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		while (nf < 32 && p != NULL) {
			field[nf++] = p;
			p = strchr(p, '\t');
			if (p != NULL)
				*p++ = '\0';
		}
		if (nf < 4)
			continue;
		m = open_memstream(&out, &outlen);
		fprintf(m, "%s %s HTTP/1.1\r\nHost: %s\r\n", field[1], field[2], host);
		for (i = 4; i < nf; i++)
			fprintf(m, "%s\r\n", field[i]);
		if (field[3][0] != '\0')
			fprintf(m, "Content-Length: %zu\r\n", strlen(field[3]));
		fprintf(m, "\r\n%s", field[3]);
		fclose(m);
		reqs = realloc(reqs, (nreqs + 1) * sizeof *reqs);
		reqs[nreqs].tag = strdup(field[0]);
		reqs[nreqs].raw = out;
		reqs[nreqs].len = outlen;
		nreqs++;
	}
	free(line);
	fclose(f);
	if (nreqs == 0) {
		fprintf(stderr, "openloop: no requests in %s\n", path);
		exit(1);
	}
}

static int
new_record(long long due)
{
	if (nrecs == caprecs) {
		caprecs = caprecs ? caprecs * 2 : 4096;
		recs = realloc(recs, caprecs * sizeof *recs);
	}
	memset(&recs[nrecs], 0, sizeof recs[nrecs]);
	recs[nrecs].req = (int)(nrecs % nreqs);
	recs[nrecs].due = due;
	recs[nrecs].status = -1;
	return (int)nrecs++;
}

static void
conn_close(struct conn *c)
{
	if (c->fd >= 0) {
		epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	c->fd = -1;
	c->busy = 0;
	c->in_len = 0;
}

static int
conn_open(struct conn *c)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLET, .data.ptr = c };
	int one = 1;

	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (c->fd < 0)
		return -1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect(c->fd, (struct sockaddr *)&addr, sizeof addr) < 0 && errno != EINPROGRESS) {
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
	return 0;
}

static void
finish(struct conn *c, int status, long long t)
{
	struct rec *r = &recs[c->rec];

	r->status = status;
	r->latency = t - r->due;
	c->busy = 0;
}

static void
try_send(struct conn *c)
{
	const struct req *q = &reqs[recs[c->rec].req];

	while (c->sent < q->len) {
		ssize_t n = send(c->fd, q->raw + c->sent, q->len - c->sent, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN || errno == ENOTCONN)
				return;
			finish(c, -1, now_us());
			conn_close(c);
			return;
		}
		c->sent += (size_t)n;
	}
}

static void
start(struct conn *c, int rec)
{
	c->busy = 1;
	c->rec = rec;
	c->sent = 0;
	c->in_len = 0;
	if (c->fd < 0 && conn_open(c) != 0) {
		finish(c, -1, now_us());
		return;
	}
	try_send(c);
}

/* The envelope's code and data id, read loosely from the body (no JSON parser needed); for an
 * HTML error page (templates/error.mustache), the code in its "error-code" line. */
static void
scan_body(struct rec *r, const char *body, size_t len)
{
	static const char html[] = "class=\"error-code\">";
	const char *p = memmem(body, len, "\"code\":", 7);
	const char *id = memmem(body, len, "\"id\":\"", 6);
	const char *h = memmem(body, len, html, sizeof html - 1);
	size_t i;

	if (p != NULL)
		r->code = (int)strtol(p + 7, NULL, 10);
	else if (h != NULL) {
		for (h += sizeof html - 1; h < body + len && (*h < '1' || *h > '9') && *h != '<'; h++)
			continue;
		if (h < body + len && *h != '<')
			r->code = (int)strtol(h, NULL, 10);
	}
	if (id != NULL) {
		id += 6;
		for (i = 0; i + 1 < sizeof r->id && id + i < body + len && id[i] >= '0' &&
		    id[i] <= '9'; i++)
			r->id[i] = id[i];
		r->id[i] = '\0';
	}
}

/* A whole response in c->in (with eof, whatever came before the server closed): finish it and
 * keep the connection for the next unless the server closes it. */
static void
try_parse(struct conn *c, int eof)
{
	char *hend = memmem(c->in, c->in_len, "\r\n\r\n", 4), *cl;
	size_t head, body_len = 0;
	int status, keep = 1;

	if (hend == NULL)
		return;
	head = (size_t)(hend - c->in) + 4;
	c->in[head - 1] = '\0';
	if (sscanf(c->in, "HTTP/1.%*d %d", &status) != 1)
		status = -1;
	cl = strcasestr(c->in, "\r\ncontent-length:");
	if (cl != NULL)
		body_len = (size_t)strtoul(cl + 17, NULL, 10);
	if (strcasestr(c->in, "\r\nconnection: close") != NULL || cl == NULL)
		keep = 0;
	c->in[head - 1] = '\n';
	if (!eof && (cl == NULL || c->in_len < head + body_len))
		return;
	scan_body(&recs[c->rec], c->in + head, c->in_len - head);
	finish(c, status, now_us());
	if (!keep)
		conn_close(c);
	c->in_len = 0;
}

static void
on_read(struct conn *c)
{
	for (;;) {
		ssize_t n;

		if (c->in_cap - c->in_len < 65536) {
			c->in_cap = c->in_cap ? c->in_cap * 2 : 131072;
			c->in = realloc(c->in, c->in_cap);
		}
		n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len - 1, 0);
		if (n > 0) {
			c->in_len += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EAGAIN)
			break;
		/* closed or failed */
		if (c->busy) {
			c->in[c->in_len] = '\0';
			if (c->in_len > 0)
				try_parse(c, 1);
			if (c->busy)
				finish(c, -1, now_us());
		}
		conn_close(c);
		return;
	}
	if (c->busy && c->in_len > 0) {
		c->in[c->in_len] = '\0';
		try_parse(c, 0);
	}
}

static struct conn *
idle_conn(void)
{
	int i;

	for (i = 0; i < nconns; i++)
		if (!conns[i].busy)
			return &conns[i];
	if (nconns < maxconns) {
		conns[nconns].fd = -1;
		return &conns[nconns++];
	}
	return NULL;
}

static void
expire(long long t)
{
	int i;

	for (i = 0; i < nconns; i++)
		if (conns[i].busy && t - recs[conns[i].rec].due > TIMEOUT_US) {
			finish(&conns[i], 0, t);
			conn_close(&conns[i]);
		}
}

int
main(int argc, char **argv)
{
	double rate;
	long long t0, end, t, next_due;
	size_t sent = 0, backlog_head = 0;
	int *backlog = NULL;
	size_t backlog_len = 0, backlog_cap = 0;
	FILE *out;
	size_t i;

	if (argc != 8) {
		fprintf(stderr, "usage: openloop HOST PORT REQUESTS RATE SECONDS CONNS OUT\n");
		return 2;
	}
	memset(&addr, 0, sizeof addr);
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)number(argv[2], 1, 65535, "PORT"));
	if (inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1) {
		fprintf(stderr, "openloop: %s is not an IPv4 address\n", argv[1]);
		return 2;
	}
	load(argv[3], argv[1]);
	rate = atof(argv[4]);
	maxconns = (int)number(argv[6], 1, MAX_CONNS, "CONNS");
	ep = epoll_create1(0);
	t0 = now_us();
	end = t0 + (long long)(atof(argv[5]) * 1e6);
	for (;;) {
		struct epoll_event evs[256];
		struct timespec ts;
		long long wait_us;
		int n, busy = 0;

		t = now_us();
		/* New requests: due ones (open loop), or one per idle connection (closed loop). */
		if (rate > 0) {
			while (t < end && (next_due = t0 + (long long)((double)sent * 1e6 / rate)) <= t) {
				if (backlog_len == backlog_cap) {
					backlog_cap = backlog_cap ? backlog_cap * 2 : 4096;
					backlog = realloc(backlog, backlog_cap * sizeof *backlog);
				}
				backlog[backlog_len++] = new_record(next_due);
				sent++;
			}
		} else if (t < end) {
			struct conn *c;

			while ((c = idle_conn()) != NULL)
				start(c, new_record(t));
		}
		while (backlog_head < backlog_len) {
			struct conn *c = idle_conn();

			if (c == NULL)
				break;
			start(c, backlog[backlog_head++]);
		}
		for (i = 0; i < (size_t)nconns; i++)
			busy += conns[i].busy;
		if (t >= end && busy == 0 && backlog_head == backlog_len)
			break;
		if (t >= end + TIMEOUT_US + 1000000)
			break;
		/* Sleep until the next request is due, to the microsecond (epoll_pwait2): a wait
		 * rounded down to whole milliseconds spun a core of the two at 1,000 req/s and
		 * more, which the server under test then lacked. Requests waiting for a free
		 * connection wait for an answer, not in a spin either. */
		wait_us = 5000;
		if (rate > 0 && t < end) {
			long long d = t0 + (long long)((double)sent * 1e6 / rate) - t;

			wait_us = d <= 0 ? 0 : d < 5000 ? d : 5000;
		}
		ts.tv_sec = 0;
		ts.tv_nsec = (long)wait_us * 1000;
		n = epoll_pwait2(ep, evs, 256, &ts, NULL);
		for (i = 0; i < (size_t)(n > 0 ? n : 0); i++) {
			struct conn *c = evs[i].data.ptr;

			if (c->fd < 0)
				continue;
			if ((evs[i].events & EPOLLOUT) && c->busy)
				try_send(c);
			if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				on_read(c);
		}
		expire(now_us());
	}
	/* Recorded times are relative to the start; whatever never got a connection failed. */
	t = now_us();
	for (i = 0; i < nrecs; i++)
		if (recs[i].status == -1 && recs[i].latency == 0)
			recs[i].latency = t - recs[i].due;
	out = fopen(argv[7], "w");
	if (out == NULL)
		die(argv[7]);
	for (i = 0; i < nrecs; i++)
		fprintf(out, "%s\t%lld\t%lld\t%d\t%d\t%s\n", reqs[recs[i].req].tag, recs[i].due - t0,
		    recs[i].latency, recs[i].status, recs[i].code, recs[i].id);
	fclose(out);
	return 0;
}
