/* test_sigv4.c: SigV4 presigning: AWS's worked example with its intermediate values, path style
 * with a port and keys that need encoding, the object URL, and refused arguments; header
 * signing: AWS's GET and PUT examples, path style, and refused headers. */
#include "config.h"

#include "test.h"

#include <stdio.h>
#include <string.h>

#include "sigv4.h"

#define AWS_KEY_ID "AKIAIOSFODNN7EXAMPLE"
#define AWS_SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
/* 2013-05-24T00:00:00Z */
#define AWS_NOW INT64_C(1369353600)

/* The example of "Authenticating Requests: Using Query Parameters (AWS Signature Version 4)". */
static const struct sigv4_request aws_example = {
	"GET", "https://s3.amazonaws.com", "us-east-1", "examplebucket", false, "test.txt",
	AWS_KEY_ID, AWS_SECRET, AWS_NOW, 86400,
};

static void
trace_free(struct sigv4_trace *t)
{
	buf_free(&t->canonical_request);
	buf_free(&t->string_to_sign);
}

/* Every value the AWS page prints: the canonical request, the string to sign (whose last line is
 * the canonical request's SHA-256), the signature and the whole URL. */
static void
test_aws_example(void **state)
{
	struct sigv4_trace t = { BUF_INIT, BUF_INIT, "" };
	struct buf url = BUF_INIT, err = BUF_INIT;

	(void)state;
	assert_int_equal(sigv4_presign(&aws_example, &url, &t, &err), 0);
	assert_string_equal(buf_cstr(&t.canonical_request),
	    "GET\n"
	    "/test.txt\n"
	    "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2F"
	    "us-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&"
	    "X-Amz-SignedHeaders=host\n"
	    "host:examplebucket.s3.amazonaws.com\n"
	    "\n"
	    "host\n"
	    "UNSIGNED-PAYLOAD");
	assert_string_equal(buf_cstr(&t.string_to_sign),
	    "AWS4-HMAC-SHA256\n"
	    "20130524T000000Z\n"
	    "20130524/us-east-1/s3/aws4_request\n"
	    "3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04");
	assert_string_equal(t.signature,
	    "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
	assert_string_equal(buf_cstr(&url),
	    "https://examplebucket.s3.amazonaws.com/test.txt"
	    "?X-Amz-Algorithm=AWS4-HMAC-SHA256"
	    "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
	    "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
	    "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
	buf_free(&url);
	buf_free(&err);
	trace_free(&t);
}

/* Path style (MinIO) with a port in the endpoint and a key whose segments need encoding. The
 * expected values come from an independent implementation (Python's hmac, hashlib and
 * urllib.parse.quote with safe="-._~/"), not from this code. */
static void
test_path_style_port_encoding(void **state)
{
	static const struct sigv4_request r = {
		"PUT", "http://127.0.0.1:9000/", "us-east-1", "media", true,
		"images/20240102/a b+c&d/\xc3\xa9~x.png", AWS_KEY_ID, AWS_SECRET,
		INT64_C(1704164645) /* 2024-01-02T03:04:05Z */, 1800,
	};
	struct sigv4_trace t = { BUF_INIT, BUF_INIT, "" };
	struct buf url = BUF_INIT;

	(void)state;
	assert_int_equal(sigv4_presign(&r, &url, &t, NULL), 0);
	assert_string_equal(buf_cstr(&t.canonical_request),
	    "PUT\n"
	    "/media/images/20240102/a%20b%2Bc%26d/%C3%A9~x.png\n"
	    "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20240102%2F"
	    "us-east-1%2Fs3%2Faws4_request&X-Amz-Date=20240102T030405Z&X-Amz-Expires=1800&"
	    "X-Amz-SignedHeaders=host\n"
	    "host:127.0.0.1:9000\n"
	    "\n"
	    "host\n"
	    "UNSIGNED-PAYLOAD");
	assert_string_equal(buf_cstr(&t.string_to_sign),
	    "AWS4-HMAC-SHA256\n"
	    "20240102T030405Z\n"
	    "20240102/us-east-1/s3/aws4_request\n"
	    "f05630e4c40e3b6569d22444d31a05c55cbbe5a65dcf57306e08bd71ba628550");
	assert_string_equal(t.signature,
	    "c1e9e7dc5aff309e605a3b3860112388145cef936a36b45db8720e42cd234b6e");
	assert_string_equal(buf_cstr(&url),
	    "http://127.0.0.1:9000/media/images/20240102/a%20b%2Bc%26d/%C3%A9~x.png"
	    "?X-Amz-Algorithm=AWS4-HMAC-SHA256"
	    "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20240102%2Fus-east-1%2Fs3%2Faws4_request"
	    "&X-Amz-Date=20240102T030405Z&X-Amz-Expires=1800&X-Amz-SignedHeaders=host"
	    "&X-Amz-Signature=c1e9e7dc5aff309e605a3b3860112388145cef936a36b45db8720e42cd234b6e");
	buf_free(&url);
	trace_free(&t);
}

/* The signature changes with everything it covers. */
static void
test_signature_covers_inputs(void **state)
{
	struct sigv4_request r;
	struct sigv4_trace base = { BUF_INIT, BUF_INIT, "" };
	struct buf url = BUF_INIT;
	size_t i;

	(void)state;
	assert_int_equal(sigv4_presign(&aws_example, &url, &base, NULL), 0);
	for (i = 0; i < 7; i++) {
		struct sigv4_trace t = { BUF_INIT, BUF_INIT, "" };

		r = aws_example;
		switch (i) {
		case 0: r.method = "PUT"; break;
		case 1: r.key = "test.txu"; break;
		case 2: r.bucket = "examplebucker"; break;
		case 3: r.region = "eu-west-1"; break;
		case 4: r.now++; break;
		case 5: r.expires--; break;
		default: r.secret_key = AWS_SECRET "x"; break;
		}
		assert_int_equal(sigv4_presign(&r, &url, &t, NULL), 0);
		if (strcmp(t.signature, base.signature) == 0)
			fail_msg("change %zu left the signature unchanged", i);
		trace_free(&t);
	}
	buf_free(&url);
	trace_free(&base);
}

struct encode_row {
	int         line;
	const char *in;
	bool        keep_slash;
	const char *want;
};

static const struct encode_row encode_rows[] = {
	{ __LINE__, "AZaz09-._~", false, "AZaz09-._~" },
	{ __LINE__, "a/b", true, "a/b" },
	{ __LINE__, "a/b", false, "a%2Fb" },
	{ __LINE__, "a b", true, "a%20b" },             /* never '+' for a space */
	{ __LINE__, "+=&?#%", true, "%2B%3D%26%3F%23%25" },
	{ __LINE__, "\xe4\xb8\xad", true, "%E4%B8%AD" }, /* UTF-8 bytes, upper-case hex */
	{ __LINE__, "", true, "" },
};

static void
test_uri_encode(void **state)
{
	struct buf out = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof encode_rows / sizeof encode_rows[0]; i++) {
		const struct encode_row *r = &encode_rows[i];

		buf_reset(&out);
		sigv4_uri_encode(r->in, strlen(r->in), r->keep_slash, &out);
		if (strcmp(buf_cstr(&out), r->want) != 0)
			fail_msg("line %d: got %s, want %s", r->line, buf_cstr(&out), r->want);
	}
	buf_free(&out);
}

struct url_row {
	int         line;
	const char *endpoint;
	bool        path_style;
	const char *key;
	const char *want;
};

static const struct url_row url_rows[] = {
	{ __LINE__, "https://s3.amazonaws.com", false, "test.txt",
	    "https://examplebucket.s3.amazonaws.com/test.txt" },
	{ __LINE__, "https://s3.amazonaws.com/", false, "a/b c.png",
	    "https://examplebucket.s3.amazonaws.com/a/b%20c.png" },
	{ __LINE__, "http://minio:9000", true, "images/x.png",
	    "http://minio:9000/examplebucket/images/x.png" },
	{ __LINE__, "http://[::1]:9000", true, "k", "http://[::1]:9000/examplebucket/k" },
};

static void
test_object_url(void **state)
{
	struct sigv4_request r = aws_example;
	struct buf out = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof url_rows / sizeof url_rows[0]; i++) {
		const struct url_row *u = &url_rows[i];

		r.endpoint = u->endpoint;
		r.path_style = u->path_style;
		r.key = u->key;
		buf_reset(&out);
		if (sigv4_object_url(&r, &out, NULL) != 0)
			fail_msg("line %d: refused", u->line);
		if (strcmp(buf_cstr(&out), u->want) != 0)
			fail_msg("line %d: got %s, want %s", u->line, buf_cstr(&out), u->want);
	}
	buf_free(&out);
}

/* Arguments that are refused, each with a message and the URL left as it was. */
struct bad_row {
	int         line;
	const char *field;
	const char *value;
	long        expires;
};

static const struct bad_row bad_rows[] = {
	{ __LINE__, "endpoint", "s3.amazonaws.com", 0 },           /* no scheme */
	{ __LINE__, "endpoint", "ftp://s3.amazonaws.com", 0 },
	{ __LINE__, "endpoint", "https://s3.amazonaws.com/path", 0 },
	{ __LINE__, "endpoint", "https://", 0 },
	{ __LINE__, "endpoint", "https://host:", 0 },
	{ __LINE__, "endpoint", "https://host:123456", 0 },
	{ __LINE__, "endpoint", "https://user@host", 0 },
	{ __LINE__, "bucket", "ab", 0 },
	{ __LINE__, "bucket", "Upper", 0 },
	{ __LINE__, "bucket", "a_b_c", 0 },
	{ __LINE__, "key", "", 0 },
	{ __LINE__, "region", "", 0 },
	{ __LINE__, "region", "us east", 0 },
	{ __LINE__, "method", "get", 0 },
	{ __LINE__, "secret", "", 0 },
	{ __LINE__, "access", "", 0 },
	{ __LINE__, "expires", NULL, 0 },
	{ __LINE__, "expires", NULL, SIGV4_EXPIRES_MAX + 1 },
};

static void
test_refused(void **state)
{
	struct buf url = BUF_INIT, err = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad_rows / sizeof bad_rows[0]; i++) {
		const struct bad_row *b = &bad_rows[i];
		struct sigv4_request r = aws_example;

		if (strcmp(b->field, "endpoint") == 0)
			r.endpoint = b->value;
		else if (strcmp(b->field, "bucket") == 0)
			r.bucket = b->value;
		else if (strcmp(b->field, "key") == 0)
			r.key = b->value;
		else if (strcmp(b->field, "region") == 0)
			r.region = b->value;
		else if (strcmp(b->field, "method") == 0)
			r.method = b->value;
		else if (strcmp(b->field, "secret") == 0)
			r.secret_key = b->value;
		else if (strcmp(b->field, "access") == 0)
			r.access_key_id = b->value;
		else
			r.expires = b->expires;
		buf_reset(&url);
		buf_reset(&err);
		if (sigv4_presign(&r, &url, NULL, &err) != -1)
			fail_msg("line %d: accepted", b->line);
		if (url.len != 0 || err.len == 0)
			fail_msg("line %d: url \"%s\" or no message", b->line, buf_cstr(&url));
	}
	buf_free(&url);
	buf_free(&err);
}

/* The empty body's SHA-256, and "Welcome to Amazon S3."'s: the AWS examples' payloads. */
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define WELCOME_SHA256 "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"

/* One example of "Signature Calculations for the Authorization Header: Transferring Payload in a
 * Single Chunk": its request, the canonical request and signature the page prints. */
struct header_row {
	int                 line;
	const char         *method, *key, *payload;
	struct sigv4_header extra[2];
	size_t              n;
	const char         *canonical, *sts_hash, *signature, *signed_headers;
};

static const struct header_row header_rows[] = {
	{ __LINE__, "GET", "test.txt", EMPTY_SHA256, { { "range", "bytes=0-9" } }, 1,
	  "GET\n/test.txt\n\n"
	  "host:examplebucket.s3.amazonaws.com\n"
	  "range:bytes=0-9\n"
	  "x-amz-content-sha256:" EMPTY_SHA256 "\n"
	  "x-amz-date:20130524T000000Z\n\n"
	  "host;range;x-amz-content-sha256;x-amz-date\n" EMPTY_SHA256,
	  "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972",
	  "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
	  "host;range;x-amz-content-sha256;x-amz-date" },
	/* The extra headers given out of order: the canonical form sorts them. */
	{ __LINE__, "PUT", "test$file.text", WELCOME_SHA256,
	  { { "x-amz-storage-class", "REDUCED_REDUNDANCY" },
	    { "date", "Fri, 24 May 2013 00:00:00 GMT" } }, 2,
	  "PUT\n/test%24file.text\n\n"
	  "date:Fri, 24 May 2013 00:00:00 GMT\n"
	  "host:examplebucket.s3.amazonaws.com\n"
	  "x-amz-content-sha256:" WELCOME_SHA256 "\n"
	  "x-amz-date:20130524T000000Z\n"
	  "x-amz-storage-class:REDUCED_REDUNDANCY\n\n"
	  "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n" WELCOME_SHA256,
	  "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d",
	  "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd",
	  "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class" },
};

static void
test_aws_header_examples(void **state)
{
	struct sigv4_request r = aws_example;
	struct buf err = BUF_INIT, want = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof header_rows / sizeof header_rows[0]; i++) {
		const struct header_row *h = &header_rows[i];
		struct sigv4_trace t = { BUF_INIT, BUF_INIT, "" };
		struct sigv4_signed s = SIGV4_SIGNED_INIT;
		const char *sts;

		r.method = h->method;
		r.key = h->key;
		if (sigv4_sign(&r, h->payload, h->extra, h->n, &s, &t, &err) != 0)
			fail_msg("line %d: %s", h->line, buf_cstr(&err));
		if (strcmp(buf_cstr(&t.canonical_request), h->canonical) != 0)
			fail_msg("line %d: canonical request\n%s", h->line,
			    buf_cstr(&t.canonical_request));
		sts = buf_cstr(&t.string_to_sign);
		if (strlen(sts) < 64 || strcmp(sts + strlen(sts) - 64, h->sts_hash) != 0)
			fail_msg("line %d: string to sign\n%s", h->line, sts);
		if (strcmp(t.signature, h->signature) != 0)
			fail_msg("line %d: signature %s", h->line, t.signature);
		buf_reset(&want);
		buf_printf(&want, "AWS4-HMAC-SHA256 Credential=" AWS_KEY_ID "/20130524/us-east-1/s3/"
		    "aws4_request,SignedHeaders=%s,Signature=%s", h->signed_headers, h->signature);
		assert_string_equal(buf_cstr(&s.authorization), buf_cstr(&want));
		assert_string_equal(s.amz_date, "20130524T000000Z");
		assert_true(strncmp(buf_cstr(&s.url), "https://examplebucket.s3.amazonaws.com/", 39)
		    == 0);
		/* The secret is in none of what goes on the wire or into a log. */
		assert_null(strstr(buf_cstr(&s.authorization), AWS_SECRET));
		trace_free(&t);
		sigv4_signed_free(&s);
	}
	buf_free(&err);
	buf_free(&want);
}

/* Path style with a port (as the worker signs for a local store): the Host signed is the
 * endpoint's authority, the path starts at the bucket, and UNSIGNED-PAYLOAD is taken. */
static void
test_header_path_style(void **state)
{
	struct sigv4_request r = { "PUT", "http://127.0.0.1:4568/", "us-east-1", "media", true,
	    "images/20261121/a b.640.jpg", AWS_KEY_ID, AWS_SECRET, AWS_NOW, 0 };
	struct sigv4_header ct = { "content-type", "image/jpeg" };
	struct sigv4_trace t = { BUF_INIT, BUF_INIT, "" };
	struct sigv4_signed s = SIGV4_SIGNED_INIT;

	(void)state;
	assert_int_equal(sigv4_sign(&r, SIGV4_UNSIGNED_PAYLOAD, &ct, 1, &s, &t, NULL), 0);
	assert_string_equal(buf_cstr(&s.url),
	    "http://127.0.0.1:4568/media/images/20261121/a%20b.640.jpg");
	assert_string_equal(buf_cstr(&t.canonical_request),
	    "PUT\n/media/images/20261121/a%20b.640.jpg\n\n"
	    "content-type:image/jpeg\nhost:127.0.0.1:4568\n"
	    "x-amz-content-sha256:UNSIGNED-PAYLOAD\nx-amz-date:20130524T000000Z\n\n"
	    "content-type;host;x-amz-content-sha256;x-amz-date\nUNSIGNED-PAYLOAD");
	trace_free(&t);
	sigv4_signed_free(&s);
}

struct sign_bad_row {
	int                 line;
	const char         *payload;
	struct sigv4_header h;
	size_t              n;
};

static const struct sign_bad_row sign_bad_rows[] = {
	{ __LINE__, "abc", { "range", "x" }, 0 },                 /* not a hash */
	{ __LINE__, NULL, { "range", "x" }, 0 },
	{ __LINE__, EMPTY_SHA256 "0", { "range", "x" }, 0 },      /* 65 digits */
	{ __LINE__, EMPTY_SHA256, { "Range", "x" }, 1 },          /* upper case */
	{ __LINE__, EMPTY_SHA256, { "host", "evil" }, 1 },        /* ours to set */
	{ __LINE__, EMPTY_SHA256, { "x-amz-date", "1" }, 1 },
	{ __LINE__, EMPTY_SHA256, { "range", "a\nb" }, 1 },       /* header injection */
	{ __LINE__, EMPTY_SHA256, { "range", " x" }, 1 },         /* untrimmed */
	{ __LINE__, EMPTY_SHA256, { "", "x" }, 1 },
	{ __LINE__, EMPTY_SHA256, { "range", NULL }, 1 },
};

static void
test_sign_refused(void **state)
{
	struct buf err = BUF_INIT;
	struct sigv4_request r = aws_example;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof sign_bad_rows / sizeof sign_bad_rows[0]; i++) {
		const struct sign_bad_row *b = &sign_bad_rows[i];
		struct sigv4_signed s = SIGV4_SIGNED_INIT;

		buf_reset(&err);
		if (sigv4_sign(&r, b->payload, &b->h, b->n, &s, NULL, &err) != -1 || err.len == 0 ||
		    s.url.len != 0 || s.authorization.len != 0)
			fail_msg("line %d: taken", b->line);
		assert_null(strstr(buf_cstr(&err), AWS_SECRET));
		sigv4_signed_free(&s);
	}
	/* The checks presigning makes (a bad bucket) apply too. */
	r.bucket = "A";
	assert_int_equal(sigv4_sign(&r, EMPTY_SHA256, NULL, 0, &(struct sigv4_signed)
	    SIGV4_SIGNED_INIT, NULL, NULL), -1);
	buf_free(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aws_example),
		cmocka_unit_test(test_path_style_port_encoding),
		cmocka_unit_test(test_signature_covers_inputs),
		cmocka_unit_test(test_uri_encode),
		cmocka_unit_test(test_object_url),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_aws_header_examples),
		cmocka_unit_test(test_header_path_style),
		cmocka_unit_test(test_sign_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
