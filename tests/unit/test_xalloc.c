/* test_xalloc.c: lib/base/xalloc.h: what each wrapper gives back (zero sizes, NULL in, copies that
 * stop at n or at the NUL, contents kept by a realloc), and that a size nobody can have aborts
 * with one line naming what was asked, never wrapping around to a small allocation. The deaths
 * run in a forked child whose stderr the test reads. */
#include "config.h"

#include "test.h"

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "xalloc.h"

/* Under AddressSanitizer a failed malloc reports and exits by default; the wrappers' own
 * out-of-memory path is what these tests are about, so malloc must return NULL as it does
 * without the sanitizer. (ASAN_OPTIONS from make check still apply on top of this.) */
const char *__asan_default_options(void);
const char *
__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}

/* ---------------------------------------------------------------------------------------------
 * What comes back. */

static void
test_zero_sizes(void **state)
{
	char *p = xmalloc(0), *q = xcalloc(0, 0), *r = xcalloc(0, 8), *s = xcalloc(8, 0);

	(void)state;
	/* Never NULL, even for nothing: callers do not check. */
	assert_non_null(p);
	assert_non_null(q);
	assert_non_null(r);
	assert_non_null(s);
	free(p);
	free(q);
	free(r);
	free(s);
}

static void
test_calloc_zeroes(void **state)
{
	unsigned char *p = xcalloc(100, 7);
	size_t i;

	(void)state;
	for (i = 0; i < 700; i++)
		assert_int_equal(p[i], 0);
	free(p);
}

static void
test_realloc_keeps_contents(void **state)
{
	char *p = xrealloc(NULL, 4);   /* NULL: a plain allocation */
	char *q;

	(void)state;
	memcpy(p, "abc", 4);
	p = xrealloc(p, 1 << 20);
	assert_string_equal(p, "abc");
	p[(1 << 20) - 1] = 'z';
	/* Down to zero: a valid (tiny) block, not freed behind the caller's back. */
	q = xrealloc(p, 0);
	assert_non_null(q);
	free(q);
}

struct dup_row {
	int         line;
	const char *in;     /* NULL: NULL in */
	size_t      n;      /* xstrndup's bound, xmemdup's length */
	const char *want;   /* NULL: NULL out */
	size_t      want_len;
};

static const struct dup_row strndup_rows[] = {
	{ __LINE__, NULL,    5, NULL,   0 },
	{ __LINE__, "",      5, "",     0 },
	{ __LINE__, "hello", 0, "",     0 },
	{ __LINE__, "hello", 3, "hel",  3 },
	{ __LINE__, "hello", 5, "hello", 5 },
	{ __LINE__, "hi",    SIZE_MAX, "hi", 2 },   /* a bound far past the NUL: stops there */
};

static void
test_strndup(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof strndup_rows / sizeof strndup_rows[0]; i++) {
		const struct dup_row *r = &strndup_rows[i];
		char *got = xstrndup(r->in, r->n);

		if (r->want == NULL) {
			if (got != NULL)
				fail_msg("line %d: xstrndup(NULL) = \"%s\", want NULL", r->line, got);
			continue;
		}
		if (got == NULL || strcmp(got, r->want) != 0 || strlen(got) != r->want_len)
			fail_msg("line %d: xstrndup = \"%s\", want \"%s\"", r->line, got ? got : "(null)",
			    r->want);
		free(got);
	}
	assert_null(xstrdup(NULL));
}

static void
test_strndup_reads_no_further_than_n(void **state)
{
	/* Not NUL-terminated: the sanitizers catch a read of a fourth byte. */
	char *b = xmalloc(3), *got;

	(void)state;
	memcpy(b, "abc", 3);
	got = xstrndup(b, 3);
	assert_string_equal(got, "abc");
	free(got);
	free(b);
}

static void
test_memdup(void **state)
{
	char *p = xmemdup("a\0b", 3), *e = xmemdup(NULL, 0), *s = xstrdup("copy");

	(void)state;
	/* The bytes as given, NUL inside and all, then a NUL. */
	assert_memory_equal(p, "a\0b\0", 4);
	assert_string_equal(e, "");
	assert_string_equal(s, "copy");
	free(p);
	free(e);
	free(s);
}

/* ---------------------------------------------------------------------------------------------
 * Sizes nobody can have. */

enum call { CALL_MALLOC, CALL_CALLOC, CALL_REALLOC, CALL_MEMDUP };

struct death_row {
	int         line;
	enum call   call;
	size_t      a, b;    /* n, or nmemb and size */
	const char *msg;     /* the last line on stderr (a sanitizer may warn before it) */
};

#define SMAX "18446744073709551615"
#define SHALF "9223372036854775808"

static const struct death_row death_rows[] = {
	{ __LINE__, CALL_MALLOC, SIZE_MAX, 0,
	  "starling: out of memory allocating " SMAX " bytes\n" },
	{ __LINE__, CALL_REALLOC, SIZE_MAX, 0,
	  "starling: out of memory allocating " SMAX " bytes\n" },
	/* n + 1 would be 0: the copy must not become a 1-byte block and a huge memcpy. */
	{ __LINE__, CALL_MEMDUP, SIZE_MAX, 0,
	  "starling: out of memory allocating " SMAX " + 1 bytes\n" },
	{ __LINE__, CALL_MEMDUP, SIZE_MAX - 1, 0,
	  "starling: out of memory allocating 18446744073709551614 + 1 bytes\n" },
	/* The product overflows: the message says what was asked, not the wrapped product (0). */
	{ __LINE__, CALL_CALLOC, 2, (size_t)1 << 63,
	  "starling: out of memory allocating 2 x " SHALF " bytes\n" },
	{ __LINE__, CALL_CALLOC, SIZE_MAX, SIZE_MAX,
	  "starling: out of memory allocating " SMAX " x " SMAX " bytes\n" },
	{ __LINE__, CALL_CALLOC, 1, SIZE_MAX,
	  "starling: out of memory allocating " SMAX " bytes\n" },
	{ __LINE__, CALL_CALLOC, SIZE_MAX, 1,
	  "starling: out of memory allocating " SMAX " x 1 bytes\n" },
};

static void
call(const struct death_row *r)
{
	static const char src[1];
	void *p = NULL;

	switch (r->call) {
	case CALL_MALLOC:
		p = xmalloc(r->a);
		break;
	case CALL_CALLOC:
		p = xcalloc(r->a, r->b);
		break;
	case CALL_REALLOC:
		p = xrealloc(xmalloc(8), r->a);
		break;
	case CALL_MEMDUP:
		/* Only the wrapper's arithmetic is on trial: it must abort before reading src. */
		p = xmemdup(src, r->a);
		break;
	}
	free(p);
}

/* Runs r in a child with stderr into msg (cap bytes, NUL-terminated). Returns the wait status. */
static int
run_child(const struct death_row *r, char *msg, size_t cap)
{
	int fds[2], status = 0;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		dup2(fds[1], STDERR_FILENO);
		call(r);
		_exit(0);   /* it came back: the parent says so */
	}
	close(fds[1]);
	while (got + 1 < cap && (n = read(fds[0], msg + got, cap - 1 - got)) > 0)
		got += (size_t)n;
	msg[got] = '\0';
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

/* Whether the text ends with the whole line line (its "\n" included). */
static bool
last_line_is(const char *text, const char *line)
{
	size_t n = strlen(text), k = strlen(line);

	return n >= k && strcmp(text + n - k, line) == 0 && (n == k || text[n - k - 1] == '\n');
}

static void
test_impossible_sizes_abort(void **state)
{
	char msg[4096];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof death_rows / sizeof death_rows[0]; i++) {
		const struct death_row *r = &death_rows[i];
		int status = run_child(r, msg, sizeof msg);

		if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT)
			fail_msg("line %d: the child did not abort (status %#x); it said:\n%s", r->line,
			    status, msg);
		if (!last_line_is(msg, r->msg))
			fail_msg("line %d: stderr\n%s\nwant\n%s", r->line, msg, r->msg);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zero_sizes),
		cmocka_unit_test(test_calloc_zeroes),
		cmocka_unit_test(test_realloc_keeps_contents),
		cmocka_unit_test(test_strndup),
		cmocka_unit_test(test_strndup_reads_no_further_than_n),
		cmocka_unit_test(test_memdup),
		cmocka_unit_test(test_impossible_sizes_abort),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
