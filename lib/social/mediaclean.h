/* mediaclean.h: the clean-up of local uploads: those never attached to a post after a grace
 * period, and those of deleted posts, removed by starling-worker (docs/media.md, "Clean-up").
 *
 * The one owner of tb_media (sql/016_media.sql), a row per upload on shard_for_key(key):
 *   0 uploaded   written when the upload is stored (mediaclean_note)
 *   1 attached   a post or reply took it (mediaclean_attach), record_id says which
 *   2 released   that record was deleted (the media.release job)
 *   3 sweeping   marked by the sweep, whose files are being removed
 *   4 kept       a profile's avatar or banner: never swept (an old one is not tracked)
 * An upload is swept when it has been 0 or 2 for [media] orphan_grace seconds.
 *
 * Mark, then sweep: the sweep first turns due rows to 3 in one statement, then removes each
 * one's files, then its row. An attach only takes a row in state 0 or 2, so a post can never
 * take an upload whose files are going (its UPDATE and the sweep's mark serialise on the row);
 * and a crash after the mark leaves the row at 3, which the next sweep finishes (a file already
 * gone is fine). Files first, row last: a row deleted first would leave files no one can find.
 *
 * One upload is attached to one record: a second post with the same mediaUrl is refused, so
 * the deletion of its one record is what releases it (a visible post never loses its media).
 * Uploads stored before tb_media existed, and S3 storage, have no row and are never swept.
 *
 * Return convention: <0 failure (logged), 0 done, >0 a refusal named below. */
#ifndef STARLING_MEDIACLEAN_H
#define STARLING_MEDIACLEAN_H

#include <stdint.h>

#include <json-c/json.h>

#include "buf.h"

struct app_env;
struct db;

#define MEDIACLEAN_JOB "media.release"

/* Refusals of mediaclean_attach and mediaclean_keep. */
#define MEDIACLEAN_TAKEN 1   /* attached to another record already */
#define MEDIACLEAN_GONE  2   /* being swept (or swept): its files are going */

/* Rows a sweep takes per shard at once: one short statement each, so a backlog never holds
 * many rows' locks; the sweep goes on batch after batch up to MEDIACLEAN_RUN_MAX per shard. */
#define MEDIACLEAN_BATCH   50
#define MEDIACLEAN_RUN_MAX 2000

/* Notes the upload key (just stored) in state 0. Returns 0 or -1: without its row the upload is
 * simply never swept. */
int mediaclean_note(struct app_env *env, const char *key);

/* Attaches the upload at url (a mediaUrl media_check_url took) to record_id (a new post's or
 * reply's ID, made before its row: a retry of the same request attaches it again, fine). An
 * upload without a row (older, or not local) is fine too. With s3 storage (no rows) it and
 * mediaclean_keep queue an image's processing instead (media_uploaded: the first sign that the
 * browser PUT it). Returns 0, MEDIACLEAN_TAKEN,
 * MEDIACLEAN_GONE or -1. */
int mediaclean_attach(struct app_env *env, const char *url, uint64_t record_id);

/* Keeps the upload at url for good: a profile's avatar or banner. Returns 0, MEDIACLEAN_GONE
 * or -1. */
int mediaclean_keep(struct app_env *env, const char *url);

/* The media.release job {record_id}: once the record is deleted (read again: a live one is
 * left alone), the rows of its images (every one of media_json) and video, if still attached
 * to it, become released. */
int mediaclean_release_job(struct app_env *env, json_object *payload, struct buf *err);

/* One sweep of shard s at now (Unix seconds): marks and removes due uploads in batches.
 * Returns how many uploads were removed, or -1 (some could not be: logged; tried again at the
 * next sweep). Local storage only (0 otherwise). */
long mediaclean_sweep(struct app_env *env, unsigned s, int64_t now);

/* What tb_media of shard s holds, for starling-admin media-usage. */
struct mediaclean_counts {
	uint64_t by_state[5];   /* rows per state (above) */
	uint64_t due;           /* rows the next sweep removes: 0 or 2 for grace seconds, and 3 */
	uint64_t waiting;       /* 0 or 2, not due yet */
};
/* Fills c from shard s, due as of now with grace seconds. Returns 0 or -1. */
int mediaclean_counts(struct db *db, unsigned s, int64_t now, long grace,
    struct mediaclean_counts *c);

#endif
