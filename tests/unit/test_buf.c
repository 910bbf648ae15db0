/* test_buf.c: buffers: appends, printf, embedded NULs, reset across BUF_KEEP_MAX, detach. */
#include "config.h"

#include "test.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"

/* The invariants every buffer keeps: len fits in cap, data is NUL-terminated after len. */
static void
check_invariants(const struct buf *b, int line)
{
	if (b->data == NULL) {
		if (b->len != 0 || b->cap != 0)
			fail_msg("line %d: no data but len %zu cap %zu", line, b->len, b->cap);
		return;
	}
	if (b->len >= b->cap)
		fail_msg("line %d: len %zu does not leave room for the NUL in cap %zu", line, b->len,
		    b->cap);
	if (b->data[b->len] != '\0')
		fail_msg("line %d: data is not NUL-terminated at len %zu", line, b->len);
}

/* A zeroed buffer and one from buf_init are empty, and buf_cstr never gives NULL. */
static void
test_zeroed_buffer_is_empty(void **state)
{
	struct buf a = BUF_INIT, b;

	(void)state;
	memset(&b, 0xa5, sizeof b);
	buf_init(&b);
	assert_null(a.data);
	assert_int_equal(a.len, 0);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	assert_non_null(buf_cstr(&a));
	assert_string_equal(buf_cstr(&a), "");
	/* Reset, free and free(NULL) of an empty buffer are harmless. */
	buf_reset(&a);
	assert_string_equal(buf_cstr(&a), "");
	buf_free(&a);
	buf_free(&a);
	buf_free(NULL);
	assert_null(a.data);
}

/* One append: its bytes (with explicit length, so NULs count) onto a prefix. */
struct append_row {
	int         line;
	const char *prefix;
	const char *bytes;
	size_t      n;
};

#define APPEND(prefix, bytes) { __LINE__, prefix, bytes, sizeof bytes - 1 }

static const struct append_row append_rows[] = {
	APPEND("", ""),
	APPEND("abc", ""),                     /* appending nothing changes nothing */
	APPEND("", "x"),
	APPEND("", "\0"),                      /* a lone NUL is one byte of content */
	APPEND("", "a\0b\0c"),
	APPEND("a\0", "\0b"),                  /* the prefix below is appended with strlen: "a" */
	APPEND("", "\xff\xfe\x80"),            /* any byte value */
	/* Around the first allocation (64 bytes, one for the NUL). */
	APPEND("", "012345678901234567890123456789012345678901234567890123456789012"),   /* 63 */
	APPEND("", "0123456789012345678901234567890123456789012345678901234567890123"),  /* 64 */
	APPEND("x", "012345678901234567890123456789012345678901234567890123456789012"),  /* 1+63 */
	APPEND("0123456789012345678901234567890123456789012345678901234567890",
	    "abc\0def"),                      /* grows in the middle of the new bytes */
};

static void
test_append_keeps_every_byte(void **state)
{
	size_t i, plen;

	(void)state;
	for (i = 0; i < sizeof append_rows / sizeof append_rows[0]; i++) {
		const struct append_row *r = &append_rows[i];
		struct buf b = BUF_INIT;

		plen = strlen(r->prefix);
		buf_puts(&b, r->prefix);
		buf_append(&b, r->bytes, r->n);
		check_invariants(&b, r->line);
		if (b.len != plen + r->n)
			fail_msg("line %d: len %zu, want %zu", r->line, b.len, plen + r->n);
		if (memcmp(b.data, r->prefix, plen) != 0 || memcmp(b.data + plen, r->bytes, r->n) != 0)
			fail_msg("line %d: contents differ", r->line);
		buf_free(&b);
	}
}

/* Appending many small pieces crosses several reallocations without losing a byte. */
static void
test_append_across_many_growths(void **state)
{
	struct buf b = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < 3 * BUF_KEEP_MAX; i++) {
		buf_putc(&b, (char)(i % 251));
		if (b.len != i + 1)
			fail_msg("after %zu bytes len is %zu", i + 1, b.len);
	}
	check_invariants(&b, __LINE__);
	for (i = 0; i < b.len; i++)
		if ((unsigned char)b.data[i] != i % 251)
			fail_msg("byte %zu is %u, want %zu", i, (unsigned char)b.data[i], i % 251);
	buf_free(&b);
}

/* buf_putc('\0') and buf_puts("") are content and nothing respectively. */
static void
test_putc_nul_counts_puts_empty_does_not(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	buf_puts(&b, "");
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_cstr(&b), "");
	buf_putc(&b, 'a');
	buf_putc(&b, '\0');
	buf_putc(&b, 'b');
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.data, "a\0b", 4);
	/* buf_cstr stops at the embedded NUL, as C strings do; len stays the truth. */
	assert_string_equal(buf_cstr(&b), "a");
	buf_free(&b);
}

/* buf_printf appends formatted text; the arguments cover the retry path (output longer than the
 * room left) and every boundary around the first allocation. */
struct printf_row {
	int         line;
	const char *prefix;
	const char *s;
	int         n;
	const char *want;   /* the whole buffer afterwards */
};

#define PRINTF(prefix, s, n, want) { __LINE__, prefix, s, n, want }

static const struct printf_row printf_rows[] = {
	PRINTF("", "", 0, "[|0]"),
	PRINTF("", "abc", -1, "[abc|-1]"),
	PRINTF("pre", "x", INT_MIN, "pre[x|-2147483648]"),
	PRINTF("", "y", INT_MAX, "[y|2147483647]"),
	PRINTF("", "%s%n%%", 7, "[%s%n%%|7]"),   /* a directive in an argument is only text */
	/* 60 bytes of prefix: the output no longer fits in the 64 first allocated. */
	PRINTF("012345678901234567890123456789012345678901234567890123456789", "ab", 5,
	    "012345678901234567890123456789012345678901234567890123456789[ab|5]"),
	/* Output of exactly 64 bytes, longer than the 64 of room buf_vprintf first makes sure of. */
	PRINTF("", "0123456789012345678901234567890123456789012345678901234567", 1,
	    "[0123456789012345678901234567890123456789012345678901234567|1]"),
};

static void
test_printf_appends_formatted_text(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof printf_rows / sizeof printf_rows[0]; i++) {
		const struct printf_row *r = &printf_rows[i];
		struct buf b = BUF_INIT;

		buf_puts(&b, r->prefix);
		buf_printf(&b, "[%s|%d]", r->s, r->n);
		check_invariants(&b, r->line);
		if (strcmp(buf_cstr(&b), r->want) != 0 || b.len != strlen(r->want))
			fail_msg("line %d: got \"%s\" (len %zu), want \"%s\"", r->line, buf_cstr(&b),
			    b.len, r->want);
		buf_free(&b);
	}
}

/* Output far longer than any earlier allocation takes the second vsnprintf, with a fresh va_list. */
static void
test_printf_long_output(void **state)
{
	struct buf b = BUF_INIT;
	char *big = malloc(100001);
	size_t i;

	(void)state;
	assert_non_null(big);
	memset(big, 'z', 100000);
	big[100000] = '\0';
	buf_puts(&b, "<");
	buf_printf(&b, "%s|%s|%d", big, "tail", 42);
	check_invariants(&b, __LINE__);
	assert_int_equal(b.len, 1 + 100000 + strlen("|tail|42"));
	assert_int_equal(b.data[0], '<');
	for (i = 1; i <= 100000; i++)
		if (b.data[i] != 'z')
			fail_msg("byte %zu is %d", i, b.data[i]);
	assert_string_equal(b.data + 100001, "|tail|42");
	free(big);
	buf_free(&b);
}

/* %c with 0 writes a NUL byte that len counts, and printing nothing leaves a valid empty string. */
static void
test_printf_embedded_nul_and_empty(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	buf_printf(&b, "%s", "");
	assert_int_equal(b.len, 0);
	assert_non_null(b.data);
	assert_string_equal(buf_cstr(&b), "");
	buf_printf(&b, "a%cb", 0);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.data, "a\0b", 4);
	buf_free(&b);
}

/* buf_vprintf, reached through a va_list of the caller's own. */
static void __attribute__((format(printf, 2, 3)))
call_vprintf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

static void
test_vprintf_takes_a_va_list(void **state)
{
	struct buf b = BUF_INIT;
	char long_s[200];

	(void)state;
	memset(long_s, 'q', sizeof long_s - 1);
	long_s[sizeof long_s - 1] = '\0';
	call_vprintf(&b, "%d-%s-%zu", 7, long_s, (size_t)9);
	assert_int_equal(b.len, 1 + 1 + 199 + 1 + 1);
	assert_int_equal(b.data[0], '7');
	assert_int_equal(b.data[b.len - 1], '9');
	buf_free(&b);
}

/* buf_grow makes room without changing the contents; the room is then used without reallocating. */
struct grow_row {
	int    line;
	size_t before;   /* bytes already in the buffer */
	size_t extra;
};

static const struct grow_row grow_rows[] = {
	{ __LINE__, 0, 0 },
	{ __LINE__, 0, 1 },
	{ __LINE__, 0, 63 },
	{ __LINE__, 0, 64 },
	{ __LINE__, 10, 54 },
	{ __LINE__, 10, 1000 },
	{ __LINE__, 100, BUF_KEEP_MAX },
};

static void
test_grow_makes_room_in_place(void **state)
{
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof grow_rows / sizeof grow_rows[0]; i++) {
		const struct grow_row *r = &grow_rows[i];
		struct buf b = BUF_INIT;
		char *data;

		for (k = 0; k < r->before; k++)
			buf_putc(&b, (char)('a' + k % 26));
		buf_grow(&b, r->extra);
		if (b.cap < r->before + r->extra + 1)
			fail_msg("line %d: cap %zu after grow(%zu) with len %zu", r->line, b.cap,
			    r->extra, r->before);
		if (b.len != r->before)
			fail_msg("line %d: grow changed len to %zu", r->line, b.len);
		for (k = 0; k < r->before; k++)
			if (b.data[k] != (char)('a' + k % 26))
				fail_msg("line %d: grow changed byte %zu", r->line, k);
		data = b.data;
		for (k = 0; k < r->extra; k++)
			buf_putc(&b, 'x');
		if (r->extra && b.data != data)
			fail_msg("line %d: appending the grown room reallocated", r->line);
		if (b.len > 0)   /* an empty grown buffer is test_cstr_after_grow_is_empty's case */
			check_invariants(&b, r->line);
		buf_free(&b);
	}
}

/* A buffer that grew but holds nothing is still empty: buf_cstr gives "", not the uninitialized
 * bytes of the new allocation. (Fails on buf.c as of writing: buf_grow does not terminate.) */
static void
test_cstr_after_grow_is_empty(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	buf_grow(&b, 100);
	assert_int_equal(b.len, 0);
	assert_non_null(b.data);
	if (b.data[0] != '\0') {
		buf_free(&b);
		fail_msg("buf_cstr after buf_grow on an empty buffer is not \"\"");
	}
	assert_string_equal(buf_cstr(&b), "");
	buf_free(&b);
}

/* buf_reset empties; it keeps memory up to BUF_KEEP_MAX and frees what grew past it. */
struct reset_row {
	int    line;
	size_t n;      /* bytes appended before the reset */
	int    kept;   /* whether the memory is kept */
};

static const struct reset_row reset_rows[] = {
	{ __LINE__, 0, 1 },
	{ __LINE__, 1, 1 },
	{ __LINE__, 1000, 1 },
	{ __LINE__, BUF_KEEP_MAX - 1, 1 },   /* plus the NUL: exactly BUF_KEEP_MAX allocated */
	{ __LINE__, BUF_KEEP_MAX, 0 },       /* the NUL no longer fits: it grew past */
	{ __LINE__, BUF_KEEP_MAX + 1, 0 },
	{ __LINE__, 10 * BUF_KEEP_MAX, 0 },
};

static void
test_reset_keeps_small_frees_large(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof reset_rows / sizeof reset_rows[0]; i++) {
		const struct reset_row *r = &reset_rows[i];
		struct buf b = BUF_INIT;
		char *chunk = malloc(r->n + 1);
		char *data;
		size_t cap;

		assert_non_null(chunk);
		memset(chunk, 'r', r->n);
		if (r->n)
			buf_append(&b, chunk, r->n);
		data = b.data;
		cap = b.cap;
		buf_reset(&b);
		if (b.len != 0 || strcmp(buf_cstr(&b), "") != 0)
			fail_msg("line %d: not empty after reset", r->line);
		check_invariants(&b, r->line);
		if (r->kept && (b.data != data || b.cap != cap))
			fail_msg("line %d: %zu bytes (cap %zu) not kept", r->line, r->n, cap);
		if (!r->kept && (b.data != NULL || b.cap != 0))
			fail_msg("line %d: %zu bytes (cap %zu) kept past BUF_KEEP_MAX", r->line, r->n,
			    cap);
		/* Reusable either way. */
		buf_puts(&b, "again");
		assert_string_equal(buf_cstr(&b), "again");
		assert_int_equal(b.len, 5);
		buf_free(&b);
		free(chunk);
	}
}

/* buf_detach hands over the bytes, NUL-terminated, and leaves an empty reusable buffer. */
static void
test_detach_hands_over_contents(void **state)
{
	struct buf b = BUF_INIT;
	char *p;

	(void)state;
	/* Never NULL, even for a buffer that never allocated. */
	p = buf_detach(&b);
	assert_non_null(p);
	assert_string_equal(p, "");
	free(p);

	buf_append(&b, "x\0y", 3);
	p = buf_detach(&b);
	assert_memory_equal(p, "x\0y", 4);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	assert_string_equal(buf_cstr(&b), "");
	buf_puts(&b, "next");
	assert_string_equal(buf_cstr(&b), "next");
	buf_free(&b);
	free(p);

	/* A buffer reset to empty detaches to "". */
	buf_puts(&b, "gone");
	buf_reset(&b);
	p = buf_detach(&b);
	assert_string_equal(p, "");
	free(p);
}

/* buf_free releases and leaves the buffer empty and usable. */
static void
test_free_leaves_reusable_buffer(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	buf_puts(&b, "one");
	buf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	buf_puts(&b, "two");
	assert_string_equal(buf_cstr(&b), "two");
	buf_free(&b);
}

/* A query value keeps the unreserved bytes and '/', and encodes every other byte, UTF-8 and
 * control bytes included. */
static void
test_query_value_encoding(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	buf_put_query_value(&b, "/p/123-a_b.c~d");
	assert_string_equal(buf_cstr(&b), "/p/123-a_b.c~d");
	buf_reset(&b);
	buf_put_query_value(&b, "/hashtag/caf\xc3\xa9?x=1&y=#\t %");
	assert_string_equal(buf_cstr(&b), "/hashtag/caf%C3%A9%3Fx%3D1%26y%3D%23%09%20%25");
	buf_reset(&b);
	buf_put_query_value(&b, "");
	assert_string_equal(buf_cstr(&b), "");
	buf_free(&b);
}

/* Checks that put encodes in as want; line is the table row's. */
static void
expect_encoded(int line, void (*put)(struct buf *, const char *), const char *in, const char *want)
{
	struct buf b = BUF_INIT;

	put(&b, in);
	if (strcmp(buf_cstr(&b), want) != 0)
		fail_msg("line %d: \"%s\" encoded as \"%s\", want \"%s\"", line, in, buf_cstr(&b),
		    want);
	buf_free(&b);
}

/* A URL component keeps only the unreserved bytes: '/' is encoded too, so a tag holding one
 * stays one path segment; every other byte as in a query value. Each row is checked against
 * both encoders, with the line that wrote it. */
static void
test_url_component_encoding(void **state)
{
	static const struct {
		int         line;
		const char *in, *component, *query;
	} rows[] = {
		{ __LINE__, "/hashtag/a/b", "%2Fhashtag%2Fa%2Fb", "/hashtag/a/b" },
		{ __LINE__, "Az09-._~caf\xc3\xa9", "Az09-._~caf%C3%A9", "Az09-._~caf%C3%A9" },
		{ __LINE__, "?#&= %\t\x7f\xff", "%3F%23%26%3D%20%25%09%7F%FF",
		    "%3F%23%26%3D%20%25%09%7F%FF" },
		{ __LINE__, "", "", "" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		expect_encoded(rows[i].line, buf_put_url_component, rows[i].in, rows[i].component);
		expect_encoded(rows[i].line, buf_put_query_value, rows[i].in, rows[i].query);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zeroed_buffer_is_empty),
		cmocka_unit_test(test_append_keeps_every_byte),
		cmocka_unit_test(test_append_across_many_growths),
		cmocka_unit_test(test_putc_nul_counts_puts_empty_does_not),
		cmocka_unit_test(test_printf_appends_formatted_text),
		cmocka_unit_test(test_printf_long_output),
		cmocka_unit_test(test_printf_embedded_nul_and_empty),
		cmocka_unit_test(test_vprintf_takes_a_va_list),
		cmocka_unit_test(test_grow_makes_room_in_place),
		cmocka_unit_test(test_cstr_after_grow_is_empty),
		cmocka_unit_test(test_reset_keeps_small_frees_large),
		cmocka_unit_test(test_detach_hands_over_contents),
		cmocka_unit_test(test_free_leaves_reusable_buffer),
		cmocka_unit_test(test_query_value_encoding),
		cmocka_unit_test(test_url_component_encoding),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
