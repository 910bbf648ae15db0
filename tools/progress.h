/* progress.h: how far a long command of starling-admin has got over the shards, on stderr.
 *
 *	migrate: shard 3 of 8, 12 files applied, 0.4 s
 *
 * "shard N of M" counts the shards done or under way from 1 (the shard numbered N-1 is the one
 * being worked on); the count is the total so far; the time is since progress_start. On a
 * terminal the line is redrawn in place (\r), a few times a second at most; otherwise (a log, a
 * pipe, cron) a plain line is written when each shard is done, so that a log shows how far a
 * run got. Quiet prints nothing. Errors are not progress: they are printed whatever this says,
 * after progress_interrupt. */
#ifndef STARLING_PROGRESS_H
#define STARLING_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct progress {
	FILE       *out;
	const char *what;      /* "migrate", "repair-graph (follows, pass 1 of 3)" */
	const char *one;       /* the unit counted: "file applied" */
	const char *many;      /* "files applied" */
	unsigned    shards;    /* M */
	bool        quiet;
	bool        tty;       /* redraw one line; else a line per shard */
	int64_t     start_ms;  /* CLOCK_MONOTONIC */
	int64_t     drawn_ms;  /* when the line was last drawn (tty) */
	size_t      width;     /* columns of the line now on the terminal; 0: none */
};

/* Starts counting at 0 rows, at shard 1 of shards. out is stderr in the tool (a test passes
 * another stream and tty); what, one and many are borrowed (string constants). */
void progress_start(struct progress *p, FILE *out, bool tty, bool quiet, const char *what,
    const char *one, const char *many, unsigned shards);

/* Shard index s (0-based) has got to rows in all: on a terminal, redraws the line if the last
 * drawing is 100 ms old. Nothing elsewhere (a line per batch would flood a log). */
void progress_step(struct progress *p, unsigned s, uint64_t rows);

/* Shard index s is done, rows in all: redraws the line on a terminal, writes it elsewhere. */
void progress_shard_done(struct progress *p, unsigned s, uint64_t rows);

/* Clears the progress line from the terminal, so that the next message (a result on stdout, an
 * error) starts on a clean line; the next step draws it again. The progress that
 * progress_start began last, or nothing when none is under way: messages need not know. */
void progress_interrupt(void);

/* The end: on a terminal, the last drawing stays, and the cursor goes to the next line. */
void progress_end(struct progress *p);

#endif
