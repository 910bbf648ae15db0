/* shedgate.h: the load-shedding stage of the pipeline (app.h), over the rules of shed.h: a request
 * that waited longer for its process than its class may is refused before any work is done for
 * it. Each process keeps its own counts and its view of its binary's queue (static: one process,
 * one count), and tells the web server to refuse reads without a login while a queue stands
 * (shed.h, "The web server's part"). */
#ifndef STARLING_SHEDGATE_H
#define STARLING_SHEDGATE_H

#include "apierr.h"

struct ctx;
struct route;

/* APIERR_OK, or APIERR_OVERLOADED with Retry-After and the message set in ctx when the request
 * waited too long. r is the route found before parsing (NULL: none, an anonymous 404 to be). */
enum apierr shedgate_check(struct ctx *ctx, const struct route *r);

/* Logs what this process shed in the last period, when it shed something (never per request:
 * a line for each refusal would cost an overloaded host a write each). */
void shedgate_log(struct ctx *ctx);

#endif
