/* mediajob.h: the media.process job: an uploaded image taken out of the served tree and
 * processed into its sizes by starling-worker (docs/media.md, "Processing").
 *
 * Queued by every binary that stores an upload (media_on_stored, installed by mediajob_install
 * at set-up): one job per upload key, ready for the worker, never run by the request (decoding
 * is the worker's: no FastCGI binary links libvips). Payload {key}, on shard_for_key(key).
 *
 * The job (local storage; media.h names the files): links the upload to its hidden name and
 * removes the served one (from then on the original is never served), processes the hidden
 * original into the sizes through the processor starling-worker installed (imgproc_process),
 * at [media] quality, or under the media_quality switch at the switch's value (when lower) and
 * without WebP. A refused image (not an image, a bomb, truncated, too slow) is deleted and the
 * job is done: trying again cannot help; a failure of the machine (a full disk) is retried.
 * Idempotent: once the sizes are there, it only makes sure the served name is gone; with
 * neither an upload nor an original left, there is nothing to do.
 *
 * With s3 storage (docs/media.md, "Processing with S3") the same steps go through signed
 * requests (lib/ext/s3obj.h): queued when a post or a profile takes the upload (media_uploaded),
 * the job GETs the private original (MEDIA_S3_ORIGINALS + key; a 404 fails the job, retried),
 * processes it in a private temporary directory and PUTs the sizes and the processed copy at
 * the key, the thumbnail's JPEG last; a refused image's original is deleted. */
#ifndef STARLING_MEDIAJOB_H
#define STARLING_MEDIAJOB_H

#include <json-c/json.h>

#include "buf.h"
#include "imgproc.h"

struct app_env;

/* The processor: imgproc_process's shape (imgproc.h). */
typedef enum imgproc_rc (*mediajob_processor)(const struct imgproc_opts *o, const char *src,
    const char *ext, const char *base, struct buf *err);

/* Installs the processor of this process (starling-worker: imgproc_process). Without one the
 * job fails (and stays queued for a worker). Once, at start-up. */
void mediajob_set_processor(mediajob_processor fn);

/* Makes every upload stored through env->media queue its media.process job. Once, after
 * env->media is made (lib/app/app.c). */
void mediajob_install(struct app_env *env);

/* Queues media.process for key (an image's object key). Failures are logged: the image then
 * stays "processing" until the job is queued by hand. Returns 0 or -1. */
int mediajob_queue(struct app_env *env, const char *key);

/* Queues media.process for every image under [media] local_dir still at its served name with
 * no sizes: the uploads of before processing existed (and any whose job was lost). starling-worker
 * --queue-media; run once after upgrading. Returns how many were queued, or -1 (logged). */
long mediajob_queue_backlog(struct app_env *env);

/* The media.process handler (lib/app/jobkinds.c's table). */
int mediajob_run(struct app_env *env, json_object *payload, struct buf *err);

/* The options the job processes with now: [media] sizes and quality, lowered and without WebP
 * while the media_quality switch is on (its value the quality). */
void mediajob_opts(struct app_env *env, struct imgproc_opts *o);

#endif
