/* test_s3obj.c: lib/ext/s3obj.h against a store of the test's own: a thread answering one
 * connection on a loopback port with a canned response and keeping the request it read. Checks
 * each method's request line (path style, the key encoded), its headers (Host, the signed
 * payload hash, Content-Type, no Expect), that its Authorization is the signature of what was
 * sent (recomputed with lib/ext/sigv4.h at the request's own X-Amz-Date), a PUT's body; and the
 * outcomes: 2xx, 404, a body over the limit, the store's error code in the message, a 403's hint,
 * a redirect not followed, $http_proxy not used, a refused connection and a store that does not
 * answer in time, none of whose messages holds the secret key or the signature. */
#include "config.h"

#include "test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "s3obj.h"
#include "sigv4.h"

#define KEY_ID  "AKIDTESTSTORE"
#define SECRET  "s3cr3t/Only+The+Test+Knows"
#define BUCKET  "media-test"
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
/* SHA-256 of "abc" (FIPS 180-2's example). */
#define ABC_SHA256 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

/* The store: one listening socket, one connection served by a thread. */
struct store {
	int         fd;
	int         port;
	char        endpoint[40];
	const char *status;      /* "200 OK" */
	const char *body;        /* the response's body ("" for none) */
	bool        silent;      /* read the request, never answer (until the client goes) */
	pthread_t   th;
	struct buf  req;         /* the request as read: head and body */
	size_t      head_len;    /* its head, with the blank line */
	int         served;      /* connections accepted */
};
/* A store not started yet: store_start it; store_free it once its request was looked at. */
#define STORE_INIT { .req = BUF_INIT }

/* The value of a Content-Length header in a request head, or 0. */
static size_t
content_length(const char *head)
{
	const char *p = strcasestr(head, "\r\ncontent-length:");

	return p != NULL ? strtoul(p + 17, NULL, 10) : 0;
}

/* Reads one request (its head, then Content-Length bytes) into s->req. Returns 0 or -1. */
static int
read_request(struct store *s, int c)
{
	char chunk[4096];
	const char *end;
	ssize_t n;

	while (s->head_len == 0 || s->req.len < s->head_len + content_length(buf_cstr(&s->req))) {
		struct pollfd p = { c, POLLIN, 0 };

		if (poll(&p, 1, 5000) != 1 || (n = read(c, chunk, sizeof chunk)) <= 0)
			return -1;
		buf_append(&s->req, chunk, (size_t)n);
		if (s->head_len == 0 && (end = strstr(buf_cstr(&s->req), "\r\n\r\n")) != NULL)
			s->head_len = (size_t)(end - buf_cstr(&s->req)) + 4;
	}
	return 0;
}

static void *
serve(void *arg)
{
	struct store *s = arg;
	struct pollfd p = { s->fd, POLLIN, 0 };
	struct buf out = BUF_INIT;
	char drain[256];
	int c;

	/* One connection, waited for a while: a test that makes none does not hang. */
	if (poll(&p, 1, 5000) != 1 || (c = accept(s->fd, NULL, NULL)) < 0)
		return NULL;
	s->served++;
	if (read_request(s, c) == 0) {
		if (s->silent) {
			/* Until the client gives up and closes: read returns 0 (or fails). */
			while (read(c, drain, sizeof drain) > 0)
				;
		} else {
			buf_printf(&out, "HTTP/1.1 %s\r\nContent-Length: %zu\r\nConnection: close\r\n"
			    "Content-Type: application/xml\r\n\r\n%s", s->status, strlen(s->body),
			    s->body);
			if (write(c, out.data, out.len) != (ssize_t)out.len)
				fprintf(stderr, "test_s3obj: short write of the response\n");
		}
	}
	close(c);
	buf_free(&out);
	return NULL;
}

/* Starts s (STORE_INIT, or stopped: what it read before is dropped), answering status with body
 * (silent: does not answer). */
static void
store_start(struct store *s, const char *status, const char *body, bool silent)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof a;

	buf_free(&s->req);
	memset(s, 0, sizeof *s);
	s->status = status;
	s->body = body;
	s->silent = silent;
	s->req = (struct buf)BUF_INIT;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s->fd >= 0);
	assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(s->fd, 4), 0);
	assert_int_equal(getsockname(s->fd, (struct sockaddr *)&a, &len), 0);
	s->port = ntohs(a.sin_port);
	snprintf(s->endpoint, sizeof s->endpoint, "http://127.0.0.1:%d", s->port);
	assert_int_equal(pthread_create(&s->th, NULL, serve, s), 0);
}

/* Waits for the connection to be served; the request stays in s->req. */
static void
store_stop(struct store *s)
{
	pthread_join(s->th, NULL);
	close(s->fd);
}

static struct s3obj_store
config_of(const char *endpoint, long timeout_ms)
{
	struct s3obj_store c = { endpoint, "us-east-1", BUCKET, true, KEY_ID, SECRET, timeout_ms };

	return c;
}

/* Header name's value in the request s read (the caller's copy, NULL when absent). */
static char *
header(const struct store *s, const char *name)
{
	struct buf pat = BUF_INIT;
	char *head = strndup(s->req.data, s->head_len), *v = NULL, *p, *e;

	buf_printf(&pat, "\r\n%s:", name);
	if ((p = strcasestr(head, buf_cstr(&pat))) != NULL) {
		p += pat.len;
		while (*p == ' ')
			p++;
		e = strstr(p, "\r\n");
		v = strndup(p, (size_t)(e - p));
	}
	free(head);
	buf_free(&pat);
	return v;
}

static void
assert_header(const struct store *s, const char *name, const char *want)
{
	char *v = header(s, name);

	if (v == NULL || strcmp(v, want) != 0)
		fail_msg("%s: \"%s\", not \"%s\"", name, v ? v : "(absent)", want);
	free(v);
}

static void
assert_absent(const struct store *s, const char *name)
{
	char *v = header(s, name);

	if (v != NULL)
		fail_msg("%s: \"%s\", not absent", name, v);
}

/* The request line s read is method, the path-style path of key (as encoded), HTTP/1.1. */
static void
assert_request_line(const struct store *s, const char *method, const char *path)
{
	struct buf want = BUF_INIT;

	buf_printf(&want, "%s /%s/%s HTTP/1.1\r\n", method, BUCKET, path);
	if (s->req.len < want.len || memcmp(s->req.data, want.data, want.len) != 0)
		fail_msg("request line: \"%.*s\"", (int)(strcspn(buf_cstr(&s->req), "\r")),
		    buf_cstr(&s->req));
	buf_free(&want);
}

/* The Authorization s got is the signature of method on key at the request's own X-Amz-Date,
 * with payload hash and Content-Type ctype (NULL: none) signed: what a store recomputes. Also
 * checks the headers every request sends. */
static void
assert_signed(const struct store *s, const char *method, const char *key, const char *hash,
    const char *ctype)
{
	char *date = header(s, "x-amz-date"), *auth = header(s, "authorization");
	struct sigv4_header ct = { "content-type", ctype };
	struct sigv4_signed sg = SIGV4_SIGNED_INIT;
	struct buf err = BUF_INIT, host = BUF_INIT;
	struct tm tm = { 0 };
	struct sigv4_request r = { method, s->endpoint, "us-east-1", BUCKET, true, key, KEY_ID,
	    SECRET, 0, 0 };

	assert_non_null(date);
	assert_non_null(auth);
	assert_non_null(strptime(date, "%Y%m%dT%H%M%SZ", &tm));
	r.now = (int64_t)timegm(&tm);
	/* Signed a moment ago, not at some fixed or stale time. */
	assert_true(r.now > (int64_t)time(NULL) - 60 && r.now <= (int64_t)time(NULL));
	assert_int_equal(sigv4_sign(&r, hash, &ct, ctype != NULL, &sg, NULL, &err), 0);
	assert_string_equal(auth, buf_cstr(&sg.authorization));
	assert_true(strncmp(auth, "AWS4-HMAC-SHA256 Credential=" KEY_ID "/", 29 + sizeof KEY_ID - 1)
	    == 0);
	assert_null(strstr(auth, SECRET));
	buf_printf(&host, "127.0.0.1:%d", s->port);
	assert_header(s, "host", buf_cstr(&host));
	assert_header(s, "x-amz-content-sha256", hash);
	if (ctype != NULL)
		assert_header(s, "content-type", ctype);
	/* No 100-continue round trip, and no ACL header: the bucket policy decides. */
	assert_absent(s, "expect");
	assert_absent(s, "x-amz-acl");
	free(date);
	free(auth);
	sigv4_signed_free(&sg);
	buf_free(&err);
	buf_free(&host);
}

/* An error message names the request, and never the secret key or a signature. */
static void
assert_message(const struct buf *err, const char *method, const struct store *s,
    const char *key, const char *tail)
{
	struct buf want = BUF_INIT;

	buf_printf(&want, "S3 %s %s bucket %s key %s: ", method, s->endpoint, BUCKET, key);
	if (strncmp(buf_cstr(err), buf_cstr(&want), want.len) != 0 ||
	    strstr(buf_cstr(err) + want.len, tail) == NULL)
		fail_msg("message \"%s\": not \"%s...%s...\"", buf_cstr(err), buf_cstr(&want), tail);
	assert_null(strstr(buf_cstr(err), SECRET));
	assert_null(strstr(buf_cstr(err), "Signature="));
	buf_free(&want);
}

static void
test_get(void **state)
{
	struct store s = STORE_INIT;
	struct s3obj_store c;
	struct buf body = BUF_INIT, err = BUF_INIT;

	(void)state;
	store_start(&s, "200 OK", "the object's bytes", false);
	c = config_of(s.endpoint, 5000);
	buf_puts(&body, "kept:");
	assert_int_equal(s3obj_get(&c, "images/a b+c.jpg", 100, &body, &err), S3OBJ_OK);
	store_stop(&s);
	/* Appended, not replaced. */
	assert_string_equal(buf_cstr(&body), "kept:the object's bytes");
	assert_int_equal(err.len, 0);
	assert_request_line(&s, "GET", "images/a%20b%2Bc.jpg");
	assert_signed(&s, "GET", "images/a b+c.jpg", EMPTY_SHA256, NULL);
	buf_free(&body);
	buf_free(&s.req);
	buf_free(&err);
}

/* Over the limit: refused, and the body keeps nothing of it. Exactly the limit is fine. */
static void
test_get_too_large(void **state)
{
	struct store s = STORE_INIT;
	struct s3obj_store c;
	struct buf body = BUF_INIT, err = BUF_INIT;

	(void)state;
	store_start(&s, "200 OK", "0123456789", false);
	c = config_of(s.endpoint, 5000);
	buf_puts(&body, "kept");
	assert_int_equal(s3obj_get(&c, "big", 9, &body, &err), S3OBJ_TOO_LARGE);
	store_stop(&s);
	assert_string_equal(buf_cstr(&body), "kept");
	assert_int_equal(body.len, 4);
	assert_message(&err, "GET", &s, "big", "larger than the limit");

	buf_reset(&err);
	store_start(&s, "200 OK", "0123456789", false);
	c = config_of(s.endpoint, 5000);
	assert_int_equal(s3obj_get(&c, "big", 10, &body, &err), S3OBJ_OK);
	store_stop(&s);
	assert_string_equal(buf_cstr(&body), "kept0123456789");
	buf_free(&body);
	buf_free(&s.req);
	buf_free(&err);
}

static void
test_get_not_found(void **state)
{
	struct store s = STORE_INIT;
	struct s3obj_store c;
	struct buf body = BUF_INIT, err = BUF_INIT;

	(void)state;
	store_start(&s, "404 Not Found", "<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code>"
	    "<Message>The specified key does not exist.</Message></Error>", false);
	c = config_of(s.endpoint, 5000);
	buf_puts(&body, "kept");
	assert_int_equal(s3obj_get(&c, "gone.jpg", 100, &body, &err), S3OBJ_NOT_FOUND);
	store_stop(&s);
	/* The error body is never taken for the object. */
	assert_string_equal(buf_cstr(&body), "kept");
	assert_message(&err, "GET", &s, "gone.jpg", "no such object");
	buf_free(&body);
	buf_free(&s.req);
	buf_free(&err);
}

static void
test_put(void **state)
{
	struct store s = STORE_INIT;
	struct s3obj_store c;
	struct buf err = BUF_INIT;

	(void)state;
	store_start(&s, "200 OK", "", false);
	c = config_of(s.endpoint, 5000);
	assert_int_equal(s3obj_put(&c, "images/x.200.jpg", "abc", 3, "image/jpeg", &err), S3OBJ_OK);
	store_stop(&s);
	assert_request_line(&s, "PUT", "images/x.200.jpg");
	assert_signed(&s, "PUT", "images/x.200.jpg", ABC_SHA256, "image/jpeg");
	assert_header(&s, "content-length", "3");
	/* The bytes sent are the bytes signed. */
	assert_int_equal(s.req.len - s.head_len, 3);
	assert_memory_equal(s.req.data + s.head_len, "abc", 3);

	/* An empty object: the empty body's hash, Content-Length 0. */
	store_start(&s, "200 OK", "", false);
	c = config_of(s.endpoint, 5000);
	assert_int_equal(s3obj_put(&c, "empty", NULL, 0, "text/plain", &err), S3OBJ_OK);
	store_stop(&s);
	assert_signed(&s, "PUT", "empty", EMPTY_SHA256, "text/plain");
	assert_header(&s, "content-length", "0");
	buf_free(&s.req);
	buf_free(&err);
}

static void
test_head_and_delete(void **state)
{
	struct store s = STORE_INIT;
	struct s3obj_store c;
	struct buf err = BUF_INIT;

	(void)state;
	store_start(&s, "200 OK", "", false);
	c = config_of(s.endpoint, 5000);
	assert_int_equal(s3obj_head(&c, "here", &err), S3OBJ_OK);
	store_stop(&s);
	assert_request_line(&s, "HEAD", "here");
	assert_signed(&s, "HEAD", "here", EMPTY_SHA256, NULL);

	store_start(&s, "404 Not Found", "", false);
	c = config_of(s.endpoint, 5000);
	assert_int_equal(s3obj_head(&c, "absent", &err), S3OBJ_NOT_FOUND);
	store_stop(&s);
	assert_message(&err, "HEAD", &s, "absent", "no such object");

	buf_reset(&err);
	store_start(&s, "204 No Content", "", false);
	c = config_of(s.endpoint, 5000);
	assert_int_equal(s3obj_delete(&c, "images/old.jpg", &err), S3OBJ_OK);
	store_stop(&s);
	assert_int_equal(err.len, 0);
	assert_request_line(&s, "DELETE", "images/old.jpg");
	assert_signed(&s, "DELETE", "images/old.jpg", EMPTY_SHA256, NULL);
	buf_free(&s.req);
	buf_free(&err);
}

/* The store's refusals and failures, with its <Code> when it sent one, and where to look for a
 * 403 (a HEAD's has no body). */
static void
test_store_errors(void **state)
{
	static const struct {
		int         line;
		const char *method;
		const char *status;
		const char *body;
		const char *tail;
	} rows[] = {
		{ __LINE__, "GET", "500 Internal Server Error",
		  "<Error><Code>InternalError</Code></Error>", "HTTP 500 InternalError" },
		{ __LINE__, "PUT", "403 Forbidden",
		  "<Error><Code>SignatureDoesNotMatch</Code></Error>",
		  "HTTP 403 SignatureDoesNotMatch (refused: check [media] s3_access_key_id" },
		{ __LINE__, "HEAD", "403 Forbidden", "", "HTTP 403 (refused: check" },
		{ __LINE__, "DELETE", "503 Slow Down", "not xml at all", "HTTP 503" },
		/* A <Code> too long to be one is not quoted. */
		{ __LINE__, "GET", "400 Bad Request", "<Code>" "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx</Code>", "HTTP 400" },
		/* Redirects are not followed: the store is ours, and answers where it is. */
		{ __LINE__, "GET", "301 Moved Permanently", "", "HTTP 301" },
	};
	struct buf body = BUF_INIT, err = BUF_INIT;
	struct s3obj_store c;
	struct store s = STORE_INIT;
	enum s3obj_rc rc;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		buf_reset(&err);
		buf_reset(&body);
		store_start(&s, rows[i].status, rows[i].body, false);
		c = config_of(s.endpoint, 5000);
		if (strcmp(rows[i].method, "GET") == 0)
			rc = s3obj_get(&c, "k", 4096, &body, &err);
		else if (strcmp(rows[i].method, "PUT") == 0)
			rc = s3obj_put(&c, "k", "abc", 3, "image/png", &err);
		else if (strcmp(rows[i].method, "HEAD") == 0)
			rc = s3obj_head(&c, "k", &err);
		else
			rc = s3obj_delete(&c, "k", &err);
		store_stop(&s);
		if (rc != S3OBJ_FAILED)
			fail_msg("line %d: %d", rows[i].line, rc);
		assert_int_equal(s.served, 1);
		assert_int_equal(body.len, 0);
		assert_message(&err, rows[i].method, &s, "k", rows[i].tail);
		if (i == 4 && strstr(buf_cstr(&err), "xxxx") != NULL)
			fail_msg("line %d: %s", rows[i].line, buf_cstr(&err));
	}
	buf_free(&body);
	buf_free(&s.req);
	buf_free(&err);
}

/* A proxy in the environment is not used: the request still reaches the store. */
static void
test_proxy_ignored(void **state)
{
	struct store s = STORE_INIT;
	struct s3obj_store c;
	struct buf err = BUF_INIT;

	(void)state;
	setenv("http_proxy", "http://127.0.0.1:9", 1);
	setenv("HTTP_PROXY", "http://127.0.0.1:9", 1);
	store_start(&s, "200 OK", "", false);
	c = config_of(s.endpoint, 5000);
	assert_int_equal(s3obj_head(&c, "k", &err), S3OBJ_OK);
	store_stop(&s);
	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	assert_int_equal(s.served, 1);
	buf_free(&s.req);
	buf_free(&err);
}

/* Nothing listening, and a store that never answers: failures within the timeout, named. */
static void
test_network_failures(void **state)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof a;
	struct buf body = BUF_INIT, err = BUF_INIT;
	struct s3obj_store c;
	struct store s = STORE_INIT;
	char endpoint[40];
	time_t t0;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	(void)state;
	/* A port just bound and closed: nobody listens there. */
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%d", ntohs(a.sin_port));
	c = config_of(endpoint, 2000);
	assert_int_equal(s3obj_get(&c, "k", 10, &body, &err), S3OBJ_FAILED);
	memcpy(s.endpoint, endpoint, sizeof endpoint);
	assert_message(&err, "GET", &s, "k", "onnect");

	buf_reset(&err);
	store_start(&s, "200 OK", "", true);
	c = config_of(s.endpoint, 300);
	t0 = time(NULL);
	assert_int_equal(s3obj_head(&c, "slow", &err), S3OBJ_FAILED);
	assert_true(time(NULL) - t0 <= 3);
	store_stop(&s);
	assert_message(&err, "HEAD", &s, "slow", "imeout");
	buf_free(&body);
	buf_free(&s.req);
	buf_free(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get),
		cmocka_unit_test(test_get_too_large),
		cmocka_unit_test(test_get_not_found),
		cmocka_unit_test(test_put),
		cmocka_unit_test(test_head_and_delete),
		cmocka_unit_test(test_store_errors),
		cmocka_unit_test(test_proxy_ignored),
		cmocka_unit_test(test_network_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
