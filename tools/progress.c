/* progress.c: the progress lines of starling-admin's long commands (progress.h). */
#include "config.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "progress.h"

/* How often a terminal line is redrawn at most: often enough to look alive, rarely enough that
 * a slow terminal (ssh) does not slow the work down. */
#define REDRAW_MS 100

/* The progress under way, for progress_interrupt: messages are printed from everywhere in the
 * tool (and a one-shot process has one run at a time). */
static struct progress *current;

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
progress_start(struct progress *p, FILE *out, bool tty, bool quiet, const char *what,
    const char *one, const char *many, unsigned shards)
{
	*p = (struct progress){
		.out = out, .what = what, .one = one, .many = many, .shards = shards,
		.quiet = quiet, .tty = tty, .start_ms = now_ms(),
	};
	current = p;
}

/* Appends "what: shard N of M, R units, T s". */
static void
progress_line(const struct progress *p, unsigned s, uint64_t rows, struct buf *out)
{
	int64_t ms = now_ms() - p->start_ms;

	buf_printf(out, "%s: shard %u of %u, %" PRIu64 " %s, %" PRId64 ".%" PRId64 " s", p->what,
	    s + 1, p->shards, rows, rows == 1 ? p->one : p->many, ms / 1000, ms % 1000 / 100);
}

/* Draws the line over the one shown: \r, the line, blanks over what is left of a longer one,
 * and \r again, so that a message of the database layer (which knows nothing of this line)
 * is written over it from the first column rather than after it. */
static void
draw(struct progress *p, unsigned s, uint64_t rows)
{
	struct buf line = BUF_INIT;
	size_t len;

	progress_line(p, s, rows, &line);
	len = line.len;
	while (line.len < p->width)
		buf_putc(&line, ' ');
	fprintf(p->out, "\r%s\r", buf_cstr(&line));
	fflush(p->out);
	p->width = len;
	p->drawn_ms = now_ms();
	buf_free(&line);
}

void
progress_step(struct progress *p, unsigned s, uint64_t rows)
{
	if (p->quiet || !p->tty || now_ms() - p->drawn_ms < REDRAW_MS)
		return;
	draw(p, s, rows);
}

void
progress_shard_done(struct progress *p, unsigned s, uint64_t rows)
{
	struct buf line = BUF_INIT;

	if (p->quiet)
		return;
	if (p->tty) {
		draw(p, s, rows);
		return;
	}
	progress_line(p, s, rows, &line);
	fprintf(p->out, "%s\n", buf_cstr(&line));
	fflush(p->out);
	buf_free(&line);
}

void
progress_interrupt(void)
{
	struct progress *p = current;

	if (p == NULL || p->width == 0)
		return;
	fprintf(p->out, "\r%*s\r", (int)p->width, "");
	fflush(p->out);
	p->width = 0;
	p->drawn_ms = 0;   /* drawn again at the next step */
}

void
progress_end(struct progress *p)
{
	if (p->width > 0)
		fputc('\n', p->out);
	fflush(p->out);
	p->width = 0;
	if (current == p)
		current = NULL;
}
