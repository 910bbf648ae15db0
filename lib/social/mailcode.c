/* mailcode.c: emailed codes: making them, their messages, and the reset-code job. */
#include "config.h"

#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "clock.h"
#include "ctx.h"
#include "db.h"
#include "i18n.h"
#include "idlease.h"
#include "job.h"
#include "jwt.h"
#include "log.h"
#include "mail.h"
#include "mailcode.h"
#include "shard.h"
#include "user.h"
#include "valid.h"

int
mailcode_new(struct buf *out)
{
	/* 30 characters: no 0 O, 1 I l, 9 g (the seed's rule), all upper case so that case does
	 * not matter when typing. */
	static const char alphabet[] = "ABCDEFGHJKMNPQRSTUVWXYZ2345678";
	unsigned char r[32];
	size_t i, got = 0;

	while (got < MAILCODE_LEN) {
		if (RAND_bytes(r, sizeof r) != 1)
			return -1;
		/* Rejection sampling: 240 = 8 * 30, so every character is equally likely. */
		for (i = 0; i < sizeof r && got < MAILCODE_LEN; i++) {
			if (r[i] >= 240)
				continue;
			buf_putc(out, alphabet[r[i] % 30]);
			got++;
		}
	}
	OPENSSL_cleanse(r, sizeof r);
	return 0;
}

int
mailcode_send(struct app_env *env, const char *lang, const char *to, const char *kind,
    const char *code, const char *link)
{
	struct buf key = BUF_INIT, subject = BUF_INIT, body = BUF_INIT, err = BUF_INIT;
	int rc;

	if (lang == NULL || !i18n_supported(lang))
		lang = i18n_languages[0];
	buf_printf(&key, "mail.%s.subject", kind);
	buf_printf(&subject, "%s: %s", env->conf.site_name, i18n_get(env->i18n, lang,
	    buf_cstr(&key)));
	buf_reset(&key);
	buf_printf(&key, "mail.%s.body", kind);
	buf_printf(&body, "%s\n\n%s %s\n\n%s\n%s\n", i18n_get(env->i18n, lang, buf_cstr(&key)),
	    i18n_get(env->i18n, lang, "mail.code"), code, i18n_get(env->i18n, lang, "mail.link"),
	    link);
	rc = mail_send(env->mail, to, buf_cstr(&subject), buf_cstr(&body), &err);
	if (rc != 0)
		log_error("mail (%s) not sent: %s", kind, buf_cstr(&err));
	OPENSSL_cleanse(body.data, body.len);
	buf_free(&key);
	buf_free(&subject);
	buf_free(&body);
	buf_free(&err);
	return rc;
}

void
mailcode_activate_link(struct app_env *env, const char *username, const char *code,
    struct buf *out)
{
	buf_printf(out, "%s/activate?username=%s&code=%s", env->conf.base_url, username, code);
}

/* ------------------------------------------------------------------------------------------ */
/* Jobs queued for an address, and reset codes */

/* Queues a job of type {email, lang} on the shard of the address's lookup row: known from the
 * address alone, account or not, so the request's work does not depend on it. */
static int
queue_for_email(struct app_env *env, const char *type, const char *email, const char *lang)
{
	struct buf lower = BUF_INIT;
	json_object *payload = NULL;
	unsigned shard;
	uint64_t id;
	int rc = -1;

	valid_lower_ascii(email, strlen(email), &lower);
	shard = shard_for_key(db_shards(env->db), lower.data, lower.len);
	if (idlease_next_id(env->ids, shard, &id) != 0)
		goto out;
	payload = json_object_new_object();
	json_object_object_add(payload, "email", json_object_new_string(email));
	json_object_object_add(payload, "lang", json_object_new_string(lang));
	rc = job_queue_alone(env->db, shard, id, type, payload);
out:
	if (rc != 0)
		log_error("a %s job for an address could not be queued", type);
	json_object_put(payload);
	buf_free(&lower);
	return rc;
}

int
mailcode_queue_reset(struct app_env *env, const char *email, const char *lang)
{
	return queue_for_email(env, "mail.reset", email, lang);
}

int
mailcode_queue_activation(struct app_env *env, const char *email, const char *lang)
{
	return queue_for_email(env, "mail.activate", email, lang);
}

/* Whether the account id may get a code: it exists and is not suspended. 1, 0 or -1. */
static int
may_reset(struct app_env *env, uint64_t id)
{
	json_object *u = NULL;
	int rc = user_get(env, id, &u);

	if (rc == 1 && user_suspended(u, clock_now_s()))
		rc = 0;
	json_object_put(u);
	return rc;
}

int
mailcode_reset_job(struct app_env *env, json_object *payload, struct buf *err)
{
	const char *email = job_payload_str(payload, "email"), *lang = job_payload_str(payload, "lang");
	struct buf code = BUF_INIT, link = BUF_INIT;
	char hash[65];
	uint64_t id = 0;
	int rc;

	if (email == NULL || valid_email(email, strlen(email)) != NULL) {
		buf_puts(err, "mail.reset: no valid email");
		return -1;
	}
	rc = user_id_by_email(env, email, &id);
	if (rc == 1)
		rc = may_reset(env, id);
	if (rc <= 0) {
		if (rc < 0)
			buf_puts(err, "mail.reset: the account could not be read");
		return rc;
	}
	rc = -1;
	if (mailcode_new(&code) != 0 || jwt_code_hash(env->keys, code.data, code.len, hash) != 0) {
		buf_puts(err, "mail.reset: no code could be made");
		goto out;
	}
	if (user_reset_create(env, id, email, hash, (int64_t)time(NULL) + MAILCODE_RESET_TTL) < 0) {
		buf_puts(err, "mail.reset: the code could not be stored");
		goto out;
	}
	buf_printf(&link, "%s/reset?sent=1", env->conf.base_url);
	if (mailcode_send(env, lang, email, "reset", buf_cstr(&code), buf_cstr(&link)) != 0) {
		buf_puts(err, "mail.reset: the message was not handed over (mail log)");
		goto out;
	}
	log_info("user %llu: reset code sent", (unsigned long long)id);
	rc = 0;
out:
	OPENSSL_cleanse(code.data, code.len);
	buf_free(&code);
	buf_free(&link);
	return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* New activation codes */

/* The account of email that may get a new activation code: it exists, is not active and is not
 * suspended. 1 with *id and the username appended to username, 0 (no such account: nothing to
 * do), or -1. */
static int
waiting_account(struct app_env *env, const char *email, uint64_t *id, struct buf *username)
{
	struct buf stored = BUF_INIT;
	json_object *u = NULL, *v;
	int64_t expires = 0;
	bool active = false;
	int rc = user_id_by_email(env, email, id);

	if (rc == 1)
		rc = user_activation(env, *id, &stored, &expires, &active);
	if (rc == 1 && active)
		rc = 0;
	if (rc == 1)
		rc = user_get(env, *id, &u);
	if (rc == 1 && user_suspended(u, clock_now_s()))
		rc = 0;
	if (rc == 1 && json_object_object_get_ex(u, "username", &v))
		buf_puts(username, json_object_get_string(v));
	json_object_put(u);
	buf_free(&stored);
	return rc;
}

int
mailcode_activate_job(struct app_env *env, json_object *payload, struct buf *err)
{
	const char *email = job_payload_str(payload, "email"), *lang = job_payload_str(payload, "lang");
	struct buf code = BUF_INIT, link = BUF_INIT, username = BUF_INIT;
	char hash[65];
	uint64_t id = 0;
	int rc;

	if (email == NULL || valid_email(email, strlen(email)) != NULL) {
		buf_puts(err, "mail.activate: no valid email");
		return -1;
	}
	if ((rc = waiting_account(env, email, &id, &username)) <= 0) {
		if (rc < 0)
			buf_puts(err, "mail.activate: the account could not be read");
		goto out;
	}
	rc = -1;
	if (mailcode_new(&code) != 0 || jwt_code_hash(env->keys, code.data, code.len, hash) != 0) {
		buf_puts(err, "mail.activate: no code could be made");
		goto out;
	}
	/* The new code replaces the old one: only the latest mail's code works. */
	if (user_set_activation(env, id, hash, (int64_t)time(NULL) + MAILCODE_ACTIVATE_TTL) < 0) {
		buf_puts(err, "mail.activate: the code could not be stored");
		goto out;
	}
	mailcode_activate_link(env, buf_cstr(&username), buf_cstr(&code), &link);
	if (mailcode_send(env, lang, email, "activate", buf_cstr(&code), buf_cstr(&link)) != 0) {
		buf_puts(err, "mail.activate: the message was not handed over (mail log)");
		goto out;
	}
	log_info("user %llu: new activation code sent", (unsigned long long)id);
	rc = 0;
out:
	OPENSSL_cleanse(code.data, code.len);
	buf_free(&code);
	buf_free(&link);
	buf_free(&username);
	return rc;
}
