/* test_progress.c: starling-admin's progress lines (tools/progress.c): a line per shard where
 * stderr is no terminal, one line redrawn in place on a terminal, nothing when quiet, and a clean
 * line for the messages in between. */
#include "config.h"

#include "test.h"

#include <stdio.h>
#include <string.h>

#include "progress.h"

/* What the progress wrote since the last call (the stream's whole text, from offset *seen). */
static const char *
written(FILE *f, char **text, size_t *seen)
{
	static char part[1024];
	size_t len;

	fflush(f);
	len = strlen(*text + *seen);
	assert_true(len < sizeof part);
	memcpy(part, *text + *seen, len + 1);
	*seen += len;
	return part;
}

struct stream {
	FILE  *f;
	char  *text;
	size_t size, seen;
};

static void
stream_open(struct stream *s)
{
	memset(s, 0, sizeof *s);
	s->f = open_memstream(&s->text, &s->size);
	assert_non_null(s->f);
}

static const char *
stream_new(struct stream *s)
{
	return written(s->f, &s->text, &s->seen);
}

static void
stream_close(struct stream *s)
{
	fclose(s->f);
	free(s->text);
}

/* line (what was written) is lead, want, a time ("T.T s"), blanks (over a longer line before),
 * then end. */
static void
check_line(const char *line, const char *lead, const char *want, const char *end, int at)
{
	size_t n = strlen(lead), m = strlen(want), k = strlen(end), len = strlen(line);
	const char *t = line + n + m;

	if (len >= n + m + k && strcmp(line + len - k, end) == 0)
		len -= k;
	else
		fail_msg("line %d: got \"%s\", which does not end with the right character", at, line);
	while (len > 0 && line[len - 1] == ' ')
		len--;
	if (strncmp(line, lead, n) != 0 || strncmp(line + n, want, m) != 0 || len < n + m + 5 ||
	    strncmp(line + len - 2, " s", 2) != 0 || t[0] < '0' || t[0] > '9')
		fail_msg("line %d: got \"%s\", want \"%s%sT.T s%s\"", at, line, lead, want, end);
}

/* Not a terminal: nothing while a shard is under way, a line when it is done. */
static void
test_plain_lines_per_shard(void **state)
{
	struct progress p;
	struct stream s;

	(void)state;
	stream_open(&s);
	progress_start(&p, s.f, false, false, "migrate", "file applied", "files applied", 8);
	progress_step(&p, 0, 1);
	assert_string_equal(stream_new(&s), "");
	progress_shard_done(&p, 0, 1);
	check_line(stream_new(&s), "", "migrate: shard 1 of 8, 1 file applied, ", "\n", __LINE__);
	progress_shard_done(&p, 7, 12);
	check_line(stream_new(&s), "", "migrate: shard 8 of 8, 12 files applied, ", "\n", __LINE__);
	/* Messages need no room: the lines are whole. */
	progress_interrupt();
	progress_end(&p);
	assert_string_equal(stream_new(&s), "");
	stream_close(&s);
}

/* A terminal: one line, drawn over itself, cleared for a message, ended with a newline. */
static void
test_terminal_line_redrawn(void **state)
{
	struct progress p;
	struct stream s;
	char blank[80];
	const char *got;
	size_t width;

	(void)state;
	stream_open(&s);
	progress_start(&p, s.f, true, false, "repair-graph", "row read", "rows read", 2);
	progress_step(&p, 0, 500);
	got = stream_new(&s);
	check_line(got, "\r", "repair-graph: shard 1 of 2, 500 rows read, ", "\r", __LINE__);
	width = strlen(got) - 2;
	/* Drawn a moment ago: the next batch does not draw again... */
	progress_step(&p, 0, 1000);
	assert_string_equal(stream_new(&s), "");
	/* ... but the end of a shard does, over the whole of the longer line before. */
	progress_shard_done(&p, 0, 1);
	got = stream_new(&s);
	check_line(got, "\r", "repair-graph: shard 1 of 2, 1 row read, ", "\r", __LINE__);
	assert_int_equal(strlen(got) - 2, width);
	assert_int_equal(got[width], ' ');
	/* A message clears the line it is about to follow... */
	width = p.width;
	progress_interrupt();
	got = stream_new(&s);
	assert_int_equal(strlen(got), width + 2);
	memset(blank, ' ', width);
	blank[width] = '\0';
	assert_true(got[0] == '\r' && strncmp(got + 1, blank, width) == 0 && got[width + 1] == '\r');
	/* ... and the next step draws it again at once. */
	progress_step(&p, 1, 1200);
	check_line(stream_new(&s), "\r", "repair-graph: shard 2 of 2, 1200 rows read, ", "\r",
	    __LINE__);
	progress_end(&p);
	assert_string_equal(stream_new(&s), "\n");
	/* Over: a message has nothing to clear. */
	progress_interrupt();
	assert_string_equal(stream_new(&s), "");
	stream_close(&s);
}

/* Quiet: nothing, on a terminal or not. */
static void
test_quiet_prints_nothing(void **state)
{
	struct progress p;
	struct stream s;
	int tty;

	(void)state;
	for (tty = 0; tty < 2; tty++) {
		stream_open(&s);
		progress_start(&p, s.f, tty, true, "retry-job", "job ready again", "jobs ready again",
		    4);
		progress_step(&p, 0, 3);
		progress_shard_done(&p, 0, 3);
		progress_interrupt();
		progress_end(&p);
		assert_string_equal(stream_new(&s), "");
		stream_close(&s);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_lines_per_shard),
		cmocka_unit_test(test_terminal_line_redrawn),
		cmocka_unit_test(test_quiet_prints_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
