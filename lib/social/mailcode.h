/* mailcode.h: the codes Starling emails (account activation, password reset): making one,
 * writing its message, and the job that sends a reset code.
 *
 * A reset code is asked for by email address, by anyone: what the request does must not depend
 * on whether the address has an account, or its answer (and its time) would tell. So the request
 * only queues a "mail.reset" job (mailcode_queue_reset), the same for every address, and
 * starling-worker does the rest (mailcode_reset_job): it looks the address up and, for an account
 * that is not suspended, stores a new code (tb_user_reset, its keyed hash only) and mails it. The
 * code itself is never stored in clear, not even in the job's payload: the job makes it.
 *
 * A new activation code is asked for the same way (mailcode_queue_activation, a "mail.activate"
 * job): the answer and the work must not tell whether an address has an account, or whether it
 * is active.
 *
 * Return convention: 0 done, -1 failure (logged, or in err for a job). */
#ifndef STARLING_MAILCODE_H
#define STARLING_MAILCODE_H

#include <json-c/json.h>

#include "buf.h"

struct app_env;

/* Characters in a code: 30^8, about 6.6e11, with a few guesses per code (docs/auth.md). */
#define MAILCODE_LEN 8
/* How long a reset code is good for: 30 minutes. */
#define MAILCODE_RESET_TTL 1800
/* How long an activation code is good for: a week, since people read their email late. */
#define MAILCODE_ACTIVATE_TTL (7 * 24 * 3600)

/* Appends a fresh code: MAILCODE_LEN characters from an alphabet without look-alikes (no 0/O,
 * 1/I/l, 9/g), all upper case. Returns 0, or -1 when the system has no randomness to give. */
int mailcode_new(struct buf *out);

/* Sends a message from the catalog of lang ("en", "zh"; another reads as the first language):
 * the subject "mail.<kind>.subject" after the site's name, the intro "mail.<kind>.body", then
 * the code and link. All borrowed. Returns 0, or -1 (logged, never the code). */
int mailcode_send(struct app_env *env, const char *lang, const char *to, const char *kind,
    const char *code, const char *link);

/* Appends the activation page's link for username (a valid username) and code, which fills the
 * form in. */
void mailcode_activate_link(struct app_env *env, const char *username, const char *code,
    struct buf *out);

/* Queues a "mail.reset" job for email (valid_email; as typed) in lang, on the shard of the
 * address's lookup row, ready for starling-worker (never run by the request). Returns 0 or -1
 * (the database is down). */
int mailcode_queue_reset(struct app_env *env, const char *email, const char *lang);

/* The "mail.reset" job {email, lang}: a new code for the account of email, unless there is none
 * or it is suspended (then nothing, and done). Run twice, it sends two codes, of which the later
 * is the one that works (user_reset_latest): harmless. Returns 0, or -1 with why in err. */
int mailcode_reset_job(struct app_env *env, json_object *payload, struct buf *err);

/* Queues a "mail.activate" job for email as mailcode_queue_reset does: the same work whatever
 * the address, known, unknown, active or not. Returns 0 or -1 (the database is down). */
int mailcode_queue_activation(struct app_env *env, const char *email, const char *lang);

/* The "mail.activate" job {email, lang}: a new activation code, replacing the old one, mailed
 * to the account of email if it is neither active nor suspended (else nothing, and done).
 * Returns 0, or -1 with why in err. */
int mailcode_activate_job(struct app_env *env, json_object *payload, struct buf *err);

#endif
