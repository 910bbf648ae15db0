/* cache_append.c: appends to cached lists (cache_append_many), over a pipelined text-protocol
 * connection of its own to each node (cache_int.h). */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libmemcached/memcached.h>

#include "cache.h"
#include "cache_int.h"
#include "log.h"
#include "xalloc.h"

/* ------------------------------------------------------------------------------------------ */
/* Appending to lists: a pipeline of its own */

/*
 * libmemcached waits for each append's answer before it sends the next one, so n appends cost n
 * round trips. Its "noreply" mode gives the answers up (and memcached still sends some errors
 * then, which libmemcached would read as the answer to a later request on that connection); its
 * buffered mode applies to sets only. cache_append_many needs every answer, so it speaks
 * memcached's text protocol itself, on a connection of its own to each node: all of a node's
 * requests are written at once and the answers read as they arrive, one line each, in order
 * (memcached answers the requests of a connection in the order it read them). Writing and
 * reading overlap (poll), so a batch larger than the socket buffers cannot deadlock against a
 * node waiting for us to read.
 *
 * memcached answers NOT_STORED both to an append to a missing key and to one that would make
 * the value larger than its item size; the first means "not cached, fine", the second that the
 * list now lacks the entry and must be dropped. So each append is preceded by a meta-get of the
 * key's client flags ("mg <key> f": "HD f<flags>" when the key exists, EN when not; memcached
 * 1.6 and later) in the same batch: NOT_STORED after HD is a refusal, and an append to a lease's
 * placeholder (FLAG_LEASE: the list is being built) is answered -1 too, so that the caller drops
 * the key instead of leaving a placeholder with bytes behind it that no fill can replace. A key deleted between the two gets -1 (dropped once
 * more: harmless); a key made between them was built from the database after the write that the
 * append carries, so it misses nothing.
 */

/* How much is read at a time; an answer is a short line. */
#define PIPE_READ 16384

/* Records why nd's pipelined connection failed, for the log and cache_ping. */
static void
pipe_why(struct node *nd, const char *what, int e)
{
	buf_reset(&nd->why);
	buf_printf(&nd->why, "%s%s%s", what, e ? ": " : "", e ? strerror(e) : "");
}

/* Waits until fd is ready for events, at most ms. Returns >0 ready, 0 timed out, -1 (errno). */
static int
pipe_wait(int fd, short events, long ms, short *revents)
{
	struct pollfd p = { fd, events, 0 };
	int r;

	do
		r = poll(&p, 1, (int)ms);
	while (r < 0 && errno == EINTR);
	*revents = p.revents;
	return r;
}

/* Connects to nd with the connect timeout of cache.h. Returns 0 (nd->pipe_fd open), or -1 with
 * why in nd->why. */
static int
pipe_connect(struct cache *c, struct node *nd)
{
	struct addrinfo hints, *res = NULL, *ai;
	char port[8];
	int fd = -1, e = 0, one = 1, gai;
	socklen_t elen = sizeof e;
	short rev;

	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(port, sizeof port, "%u", (unsigned)nd->port);
	if ((gai = getaddrinfo(nd->host, port, &hints, &res)) != 0) {
		buf_reset(&nd->why);
		buf_printf(&nd->why, "cannot resolve: %s", gai_strerror(gai));
		return -1;
	}
	for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd < 0) {
			e = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		e = errno;
		if (e == EINPROGRESS) {
			int r = pipe_wait(fd, POLLOUT, c->conf->memcached_timeout_ms, &rev);

			e = r == 0 ? ETIMEDOUT : r < 0 ? errno : 0;
			if (e == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) != 0)
				e = errno;
			if (e == 0)
				break;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		pipe_why(nd, "connect", e);
		return -1;
	}
	/* Small requests and answers: no waiting for a full segment. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	nd->pipe_fd = fd;
	return 0;
}

/* Sends req on nd's pipelined connection and reads until in holds `want` answer lines, or the
 * node fails. Returns how many complete lines in holds (`want` when all came); on a failure, why
 * is in nd->why, the connection is closed (answers may still be in flight on it), and
 * *timed_out says whether the node stopped answering rather than refused or broke. */
static size_t
pipe_exchange(struct cache *c, struct node *nd, const struct buf *req, size_t want,
    struct buf *in, bool *timed_out)
{
	size_t sent = 0, lines = 0, scanned = 0;
	ssize_t k;
	short rev;
	int r;

	*timed_out = false;
	c->round_trips++;
	while (lines < want) {
		r = pipe_wait(nd->pipe_fd, (short)(POLLIN | (sent < req->len ? POLLOUT : 0)),
		    c->conf->memcached_timeout_ms, &rev);
		if (r <= 0) {
			*timed_out = r == 0;
			pipe_why(nd, "append pipeline", r == 0 ? ETIMEDOUT : errno);
			goto failed;
		}
		if ((rev & POLLOUT) && sent < req->len) {
			k = send(nd->pipe_fd, req->data + sent, req->len - sent, MSG_NOSIGNAL);
			if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
				pipe_why(nd, "append pipeline: send", errno);
				goto failed;
			}
			sent += k > 0 ? (size_t)k : 0;
		}
		if (rev & (POLLIN | POLLHUP | POLLERR)) {
			buf_grow(in, PIPE_READ);
			k = recv(nd->pipe_fd, in->data + in->len, PIPE_READ, 0);
			if (k == 0 || (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)) {
				pipe_why(nd, k == 0 ? "append pipeline: closed by the node" :
				    "append pipeline: recv", k == 0 ? 0 : errno);
				goto failed;
			}
			in->len += k > 0 ? (size_t)k : 0;
			in->data[in->len] = '\0';
			for (; scanned + 1 < in->len; scanned++)
				if (in->data[scanned] == '\r' && in->data[scanned + 1] == '\n')
					lines++;
		}
	}
	return lines;
failed:
	cache_pipe_close(nd);
	return lines < want ? lines : want;
}

/* The appends of one node: the prefixed keys full[idx[0..k)] (lengths lens[]), value n bytes;
 * each answer goes to res[idx[i]], and the hit count to *appended. */
struct append_batch {
	const char *const *full;
	const size_t      *lens;
	const void        *value;
	size_t             n;
	int               *res;
	int                appended;
};

/* Writes the requests of keys idx[0..k) into req. */
static void
append_requests(const struct append_batch *b, const size_t *idx, size_t k, struct buf *req)
{
	size_t i;

	buf_reset(req);
	for (i = 0; i < k; i++) {
		buf_puts(req, "mg ");
		buf_append(req, b->full[idx[i]], b->lens[idx[i]]);
		/* " f": its client flags, which mark a lease's placeholder. "append <key> <flags>
		 * <exptime> <bytes>": flags and exptime are ignored by append (the value keeps its
		 * own); the data block follows. */
		buf_puts(req, " f\r\nappend ");
		buf_append(req, b->full[idx[i]], b->lens[idx[i]]);
		buf_printf(req, " 0 0 %zu\r\n", b->n);
		buf_append(req, b->value, b->n);
		buf_puts(req, "\r\n");
	}
}

/* The next answer line of in at *p: its length, *p moved past it. pipe_exchange counted the
 * "\r\n" of every line handed here, and in ends with a NUL. */
static size_t
answer_line(const char **p, const char **line)
{
	const char *end = *p;

	while (end[0] != '\r' || end[1] != '\n')
		end++;
	*line = *p;
	*p = end + 2;
	return (size_t)(end - *line);
}

static bool
answer_is(const char *line, size_t len, const char *want)
{
	return len == strlen(want) && memcmp(line, want, len) == 0;
}

/* Reads the answers of keys idx[0..got) (two lines each: the meta-get's and the append's) from
 * in into b->res. A refused append (too large, or a server error) is logged; the node answered,
 * so it stays in. */
static void
append_answers(struct node *nd, struct append_batch *b, const size_t *idx, size_t got,
    const struct buf *in)
{
	const char *p = in->data, *mg, *ap;
	size_t i, mlen, alen;

	for (i = 0; i < got; i++) {
		mlen = answer_line(&p, &mg);
		alen = answer_line(&p, &ap);
		/* A list being built: the append landed on the builder's placeholder, whose fill then
		 * fails, leaving the placeholder for readers to wait on. Dropped instead (-1): the
		 * builder's fill fails cleanly and the next reader builds it, with this entry. */
		if (answer_is(mg, mlen, "HD f1")) {
			b->res[idx[i]] = -1;
			continue;
		}
		if (answer_is(ap, alen, "STORED")) {
			b->res[idx[i]] = 1;
			b->appended++;
			continue;
		}
		if (answer_is(ap, alen, "NOT_STORED") && answer_is(mg, mlen, "EN")) {
			b->res[idx[i]] = 0;
			continue;
		}
		b->res[idx[i]] = -1;
		log_warn("cache: append %.*s on %s refused: %.*s%s", (int)b->lens[idx[i]],
		    b->full[idx[i]], nd->name, (int)(alen < 200 ? alen : 200), ap,
		    answer_is(mg, mlen, "HD f0") ? " (the value would be too large)" : "");
		/* Anything but these means the two ends may no longer agree on where an answer
		 * starts: the next batch starts on a new connection. */
		if (!answer_is(ap, alen, "NOT_STORED") && !answer_is(ap, alen, "ERROR") &&
		    (alen < 12 || memcmp(ap, "SERVER_ERROR", 12) != 0))
			cache_pipe_close(nd);
	}
}

/* Appends b->value to keys idx[0..k) on node nd, one round trip when it answers. A connection
 * this process had open may be stale (the node restarted since): when it breaks, the keys not
 * answered yet are tried once more on a fresh one, as cache_on_node does (not after a timeout or a
 * failed connect). What a broken connection did not answer may have been applied all the same;
 * sent again, it is appended twice, which readers of such lists must accept (cache.h). A node
 * that still fails is taken out of the ring (logged) and its keys get -1. */
static void
append_node(struct cache *c, struct node *nd, struct append_batch *b, size_t *idx, size_t k)
{
	struct buf req = BUF_INIT, in = BUF_INIT;
	size_t got, i;
	bool timed_out = false, fresh = false;

	while (k > 0) {
		if (nd->pipe_fd < 0) {
			if (pipe_connect(c, nd) != 0)
				break;
			fresh = true;
		}
		append_requests(b, idx, k, &req);
		buf_reset(&in);
		got = pipe_exchange(c, nd, &req, 2 * k, &in, &timed_out) / 2;
		append_answers(nd, b, idx, got, &in);
		idx += got;
		k -= got;
		if (k == 0 || timed_out || fresh)
			break;
	}
	if (k > 0) {
		for (i = 0; i < k; i++)
			b->res[idx[i]] = -1;
		cache_failed(c, nd, "multi-append", NULL, MEMCACHED_CONNECTION_FAILURE);
	}
	buf_free(&req);
	buf_free(&in);
}

int
cache_append_many(struct cache *c, const char *const *keys, size_t nkeys, const void *value,
    size_t n, int *res)
{
	size_t m = nkeys ? nkeys : 1, i, j, k;
	const char **full = xcalloc(m, sizeof *full);
	size_t *lens = xcalloc(m, sizeof *lens), *offs = xcalloc(m, sizeof *offs);
	size_t *idx = xcalloc(m, sizeof *idx);
	struct node **owners = xcalloc(m, sizeof *owners);
	struct append_batch b = { full, lens, value, n, res, 0 };
	struct buf all = BUF_INIT;

	for (i = 0; i < nkeys; i++)
		res[i] = -1;
	if (n > CACHE_VALUE_MAX) {
		log_error("cache: refusing to append %zu bytes to %zu keys", n, nkeys);
		b.appended = -1;
		goto out;
	}
	/* All prefixed keys in one buffer; offsets, not pointers, because it grows. */
	for (i = 0; i < nkeys; i++) {
		if (cache_make_key(c, keys[i]) != 0) {
			b.appended = -1;
			goto out;
		}
		offs[i] = all.len;
		lens[i] = c->key.len;
		buf_append(&all, c->key.data, c->key.len + 1);
		cache_memo_forget(c, buf_cstr(&c->key));
	}
	if (nkeys == 0)
		goto out;
	cache_probe_due(c);
	for (i = 0; i < nkeys; i++) {
		full[i] = all.data + offs[i];
		owners[i] = cache_owner(c, full[i], lens[i]);
	}
	/* Node by node, each key once; a key of no node (every node out) stays -1. */
	for (j = 0; j < c->n; j++) {
		for (i = k = 0; i < nkeys; i++)
			if (owners[i] == &c->nodes[j])
				idx[k++] = i;
		if (k > 0)
			append_node(c, &c->nodes[j], &b, idx, k);
	}
out:
	free(full);
	free(lens);
	free(offs);
	free(idx);
	free(owners);
	buf_free(&all);
	return b.appended;
}

int
cache_append(struct cache *c, const char *key, const void *value, size_t n)
{
	int res;

	/* A batch of one: the same answers, and the same "too large" check. */
	return cache_append_many(c, &key, 1, value, n, &res) < 0 ? -1 : res;
}
