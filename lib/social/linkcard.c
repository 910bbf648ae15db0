/* linkcard.c: link cards, fetched once per URL and read through the cache (linkcard.h). */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "cache.h"
#include "ctx.h"
#include "db.h"
#include "idlease.h"
#include "job.h"
#include "linkcard.h"
#include "linkfetch.h"
#include "linkmeta.h"
#include "log.h"
#include "text.h"

/* The hex SHA-256 of the n bytes at url: tb_parsed_url.url_hash and the cache key's tail. */
static int
url_hash(const char *url, size_t n, char hex[65])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	if (EVP_Digest(url, n, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
		return -1;
	for (i = 0; i < 32; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 0x0f];
	}
	hex[64] = '\0';
	return 0;
}

static int
url_key(const char *url, size_t n, struct buf *key)
{
	char hex[65];

	if (url_hash(url, n, hex) != 0)
		return -1;
	buf_printf(key, "url:%s", hex);
	return 0;
}

void
linkcard_host(const char *url, size_t n, struct buf *out)
{
	const char *p = memchr(url, ':', n);
	size_t i;

	if (p == NULL || (size_t)(url + n - p) < 3 || memcmp(p, "://", 3) != 0)
		return;
	for (i = (size_t)(p - url) + 3; i < n && strchr("/?#", url[i]) == NULL; i++)
		buf_putc(out, url[i] >= 'A' && url[i] <= 'Z' ? (char)(url[i] - 'A' + 'a') : url[i]);
}

/* Whether the string url is one URL, whole, by the rules of lib/social/text.h. */
static bool
whole_url(const char *url)
{
	size_t n = strlen(url), start, end;

	return n > 0 && text_url_find(url, n, 0, &start, &end) && start == 0 && end == n;
}

json_object *
linkcard_payload(const char *url, uint64_t job_id)
{
	json_object *o = json_object_new_object();
	char id[24];

	snprintf(id, sizeof id, "%" PRIu64, job_id);
	json_object_object_add(o, "url", json_object_new_string(url));
	json_object_object_add(o, "job_id", json_object_new_string(id));
	return o;
}

/* ---------------------------------------------------------------------------------------------
 * The job. */

/* 1 when url_hash has its row, 0 when not, -1. */
static int
fetched(struct app_env *env, const char *hash)
{
	struct db_rows r = DB_ROWS_INIT;
	int rc = db_exec(env->db, 0, "SELECT 1 FROM {db}.tb_parsed_url WHERE url_hash = ?",
	    DB_PARAMS(DB_STR(hash)), &r);

	rc = rc != 0 ? -1 : r.nrows > 0;
	db_rows_free(&r);
	return rc;
}

static int
store(struct app_env *env, const char *url, const char *hash, enum linkfetch_status st,
    const struct linkmeta *m, const char *why)
{
	int64_t now = (int64_t)time(NULL);
	char error[129];
	uint64_t id;

	/* fetch_error is varchar(128); the reasons are ASCII and short, the cut only a guard. */
	snprintf(error, sizeof error, "%s", why);
	if (idlease_next_id(env->ids, 0, &id) != 0)
		return -1;
	/* INSERT IGNORE: two workers that fetched the same URL at once store one row. */
	return db_exec(env->db, 0, "INSERT IGNORE INTO {db}.tb_parsed_url (id, url, url_hash, title, "
	    "description, image_url, fetch_status, fetch_error, created_at, updated_at) VALUES "
	    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	    DB_PARAMS(DB_U64(id), DB_STR(url), DB_STR(hash), DB_STR(buf_cstr(&m->title)),
		DB_STR(buf_cstr(&m->description)), DB_STR(buf_cstr(&m->image)), DB_I64(st),
		DB_STR(error), DB_I64(now), DB_I64(now)), NULL) == 0 ? 0 : -1;
}

int
linkcard_job(struct app_env *env, json_object *payload, struct buf *err)
{
	const char *url = job_payload_str(payload, "url"), *job = job_payload_str(payload, "job_id");
	struct linkmeta m = LINKMETA_INIT;
	struct buf why = BUF_INIT, host = BUF_INIT, key = BUF_INIT;
	enum linkfetch_status st;
	char hash[65];
	int rc = -1;

	if (url == NULL || !whole_url(url) || url_hash(url, strlen(url), hash) != 0) {
		buf_puts(err, LINKCARD_JOB ": no valid URL");
		goto out;
	}
	if ((rc = fetched(env, hash)) != 0) {
		if (rc < 0)
			buf_puts(err, LINKCARD_JOB ": tb_parsed_url could not be read");
		rc = rc < 0 ? -1 : 0;
		goto out;
	}
	st = linkfetch(&env->conf, url, &m, &why);
	/* The host only, never the path or query string: they may hold what a user wrote. */
	linkcard_host(url, strlen(url), &host);
	if (st == LINKFETCH_OK)
		log_info("job %s: link card of %s: read", job ? job : "?", buf_cstr(&host));
	else
		log_warn("job %s: link card of %s: not read (%s), stored as such", job ? job : "?",
		    buf_cstr(&host), buf_cstr(&why));
	if (store(env, url, hash, st, &m, buf_cstr(&why)) != 0) {
		buf_puts(err, LINKCARD_JOB ": tb_parsed_url could not be written");
		rc = -1;
		goto out;
	}
	/* A page may have cached "not found" meanwhile: the next one reads the row. */
	if (url_key(url, strlen(url), &key) == 0)
		(void)cache_delete(env->cache, buf_cstr(&key));
	rc = 0;
out:
	linkmeta_free(&m);
	buf_free(&why);
	buf_free(&host);
	buf_free(&key);
	return rc;
}

/* ---------------------------------------------------------------------------------------------
 * Reading. */

void
linkcard_keys(struct cache_keys *ks, const char *url, size_t n)
{
	char hex[65];

	if (url_hash(url, n, hex) == 0)
		cache_keys_add(ks, "url:%s", hex);
}

struct load_arg {
	struct app_env *env;
	const char     *hash;
};

/* The row as the cached JSON {t, d, i, s}. */
static int
load_row(void *arg, struct buf *out)
{
	struct load_arg *a = arg;
	struct db_rows r = DB_ROWS_INIT;
	json_object *o;
	int rc = db_exec(a->env->db, 0, "SELECT title, description, image_url, fetch_status FROM "
	    "{db}.tb_parsed_url WHERE url_hash = ?", DB_PARAMS(DB_STR(a->hash)), &r);

	if (rc != 0 || r.nrows == 0) {
		db_rows_free(&r);
		return rc != 0 ? -1 : 0;
	}
	o = json_object_new_object();
	json_object_object_add(o, "t", json_object_new_string(db_str(&r, 0, 0)));
	json_object_object_add(o, "d", json_object_new_string(db_str(&r, 0, 1)));
	json_object_object_add(o, "i", json_object_new_string(db_str(&r, 0, 2)));
	json_object_object_add(o, "s", json_object_new_int64(db_i64(&r, 0, 3)));
	buf_puts(out, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	db_rows_free(&r);
	return 1;
}

static const char *
field(json_object *o, const char *name)
{
	json_object *v;

	return json_object_object_get_ex(o, name, &v) && json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : "";
}

/* The card of a cached row (o), or NULL when it has nothing to show. */
static json_object *
card_of(json_object *o, const char *url, size_t n)
{
	json_object *c, *s;
	struct buf host = BUF_INIT;

	if (!json_object_object_get_ex(o, "s", &s) || json_object_get_int64(s) != LINKFETCH_OK ||
	    (field(o, "t")[0] == '\0' && field(o, "d")[0] == '\0'))
		return NULL;
	c = json_object_new_object();
	linkcard_host(url, n, &host);
	json_object_object_add(c, "url", json_object_new_string_len(url, (int)n));
	json_object_object_add(c, "host", json_object_new_string(buf_cstr(&host)));
	json_object_object_add(c, "title", json_object_new_string(field(o, "t")));
	json_object_object_add(c, "description", json_object_new_string(field(o, "d")));
	json_object_object_add(c, "image", json_object_new_string(field(o, "i")));
	buf_free(&host);
	return c;
}

int
linkcard_get(struct app_env *env, const char *url, size_t n, json_object **out)
{
	struct buf key = BUF_INIT, val = BUF_INIT;
	char hash[65];
	struct load_arg a = { env, hash };
	json_object *o = NULL;
	int rc = -1;

	*out = NULL;
	if (url_hash(url, n, hash) != 0)
		goto out;
	buf_printf(&key, "url:%s", hash);
	rc = cache_get_or_load(env->cache, buf_cstr(&key), LINKCARD_TTL, load_row, &a, &val);
	if (rc <= 0)
		goto out;
	if ((o = json_tokener_parse(buf_cstr(&val))) == NULL ||
	    !json_object_is_type(o, json_type_object)) {
		log_error("cache %s: not a JSON object; deleted", buf_cstr(&key));
		(void)cache_delete(env->cache, buf_cstr(&key));
		rc = -1;
		goto out;
	}
	*out = card_of(o, url, n);
	rc = *out != NULL;
out:
	json_object_put(o);
	buf_free(&key);
	buf_free(&val);
	return rc;
}
