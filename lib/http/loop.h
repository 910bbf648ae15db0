/* loop.h: a binary's process loop, under FastCGI (request after request until a stop signal) or
 * plain CGI (one request): it reads each request's body, up to the limit the pipeline sets, and
 * writes the answer the pipeline built.
 *
 * The loop knows nothing of the pipeline above it (app.h): app_main hands it the pipeline's two
 * entry points as hooks, so the calls go one way, down into the loop and back up through them. */
#ifndef STARLING_LOOP_H
#define STARLING_LOOP_H

#include <signal.h>
#include <stddef.h>

struct buf;
struct ctx;

/* The pipeline as the loop sees it (app.h has the contracts: app_body_limit, app_handle). */
struct loop_pipeline {
	/* The most body bytes the request in envp may send; a declared length over it is not read. */
	size_t (*body_limit)(struct ctx *ctx, char *const *envp);
	/* Answers one request, appending the complete CGI response to out. body is NULL when the
	 * declared length (body_len) was over body_limit. */
	void (*handle)(struct ctx *ctx, char *const *envp, const char *body, size_t body_len,
	    struct buf *out);
};

/* Blocks SIGTERM and SIGUSR1 for the process's start-up, saving the mask before into saved: a
 * stop signal during start-up (loading the configuration and templates) is held, and the FastCGI
 * loop acts on it before its first connection, instead of the default action killing the process
 * with status 143. */
void loop_hold_signals(sigset_t *saved);

/* Answers requests with ctx (borrowed) through p until a stop signal (FastCGI), or the one request
 * of a CGI run, which gets the signal mask saved back (CGI keeps the default actions). Returns the
 * process's exit status: 0, or 1 when the FastCGI socket cannot be used. */
int loop_serve(struct ctx *ctx, const struct loop_pipeline *p, const sigset_t *saved);

/* The request's CONTENT_LENGTH in envp, for reading its body; a malformed one reads as 0 (the
 * pipeline's request_parse reports it), one too large for a size_t as SIZE_MAX. */
size_t loop_declared_length(char *const *envp);

#endif
