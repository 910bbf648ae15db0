/* test_mailcode.c: lib/social/mailcode.h without a database: the codes (length, alphabet, every
 * character drawn), the activation link, the message mailcode_send writes into a maildir spool
 * in each language (and the first language for any other), a refused message that logs no code,
 * and the jobs and queues refusing bad payloads or failing with the database down (a loopback
 * port nobody listens on). The jobs on real accounts are tests/integration's. */
#include "config.h"

#include "test.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cache.h"
#include "conf.h"
#include "ctx.h"
#include "db.h"
#include "i18n.h"
#include "idlease.h"
#include "log.h"
#include "mail.h"
#include "mailcode.h"
#include "memcached.h"

#define ALPHABET "ABCDEFGHJKMNPQRSTUVWXYZ2345678"
#define CODE "ABCD2345"
/* Codes drawn to check the alphabet's spread: enough that a modulo bias shows. */
#define CODES 20000

struct fixture {
	struct app_env env;
	char           spool[64];
};

static char *
nowhere(void)
{
	char a[32];

	snprintf(a, sizeof a, "127.0.0.1:%d", free_port());
	return strdup(a);
}

static void
set_str(char **field, const char *value)
{
	free(*field);
	*field = strdup(value);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	struct buf err = BUF_INIT, dir = BUF_INIT;
	struct conf *c = &f->env.conf;
	char *a;

	snprintf(f->spool, sizeof f->spool, "/tmp/test_mailcode.XXXXXX");
	if (mkdtemp(f->spool) == NULL)
		return -1;
	conf_defaults(c);
	a = nowhere();
	set_str(&c->mysql_instances, a);
	free(a);
	a = nowhere();
	set_str(&c->memcached_servers, a);
	free(a);
	set_str(&c->base_url, "https://site.example");
	set_str(&c->site_name, "Starling Test");
	set_str(&c->mail_transport, "spool");
	set_str(&c->mail_spool_dir, f->spool);
	buf_printf(&dir, "%s/templates/i18n", test_srcdir());
	f->env.i18n = i18n_load(buf_cstr(&dir), &err);
	f->env.db = db_new(c, &err);
	f->env.cache = cache_new(c, &err);
	f->env.mail = mail_new(c, &err);
	f->env.ids = f->env.db ? idlease_new(f->env.db, NULL) : NULL;
	if (!f->env.i18n || !f->env.db || !f->env.cache || !f->env.mail || !f->env.ids)
		fail_msg("set-up: %s", buf_cstr(&err));
	buf_free(&err);
	buf_free(&dir);
	*state = f;
	return 0;
}

/* Removes every file of dir/sub. */
static void
empty_dir(const char *dir, const char *sub)
{
	struct buf p = BUF_INIT;
	struct dirent *e;
	DIR *d;

	buf_printf(&p, "%s/%s", dir, sub);
	d = opendir(buf_cstr(&p));
	while (d != NULL && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		buf_reset(&p);
		buf_printf(&p, "%s/%s/%s", dir, sub, e->d_name);
		unlink(buf_cstr(&p));
	}
	if (d != NULL)
		closedir(d);
	buf_reset(&p);
	buf_printf(&p, "%s/%s", dir, sub);
	rmdir(buf_cstr(&p));
	buf_free(&p);
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	idlease_free(f->env.ids);
	mail_free(f->env.mail);
	cache_free(f->env.cache);
	db_free(f->env.db);
	i18n_free(f->env.i18n);
	conf_free(&f->env.conf);
	empty_dir(f->spool, "new");
	empty_dir(f->spool, "tmp");
	empty_dir(f->spool, "cur");
	rmdir(f->spool);
	free(f);
	return 0;
}

/* Moves the one message of the spool's new/ into msg (the caller's), deleting the file. */
static void
take_message(const struct fixture *f, struct buf *msg)
{
	struct buf path = BUF_INIT;
	struct dirent *e;
	char chunk[4096];
	size_t n, count = 0;
	FILE *fp;
	DIR *d;

	buf_printf(&path, "%s/new", f->spool);
	d = opendir(buf_cstr(&path));
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		count++;
		buf_reset(&path);
		buf_printf(&path, "%s/new/%s", f->spool, e->d_name);
		fp = fopen(buf_cstr(&path), "r");
		assert_non_null(fp);
		while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
			buf_append(msg, chunk, n);
		fclose(fp);
		unlink(buf_cstr(&path));
	}
	closedir(d);
	buf_free(&path);
	if (count != 1)
		fail_msg("%zu messages in the spool, want 1", count);
}

/* How many messages the spool's new/ holds. */
static size_t
spooled(const struct fixture *f)
{
	struct buf p = BUF_INIT;
	struct dirent *e;
	size_t files = 0;
	DIR *d;

	buf_printf(&p, "%s/new", f->spool);
	d = opendir(buf_cstr(&p));
	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		files += e->d_name[0] != '.';
	closedir(d);
	buf_free(&p);
	return files;
}

/* ---------------------------------------------------------------------------------------------
 * Codes and links. */

static void
test_new_codes(void **state)
{
	struct buf code = BUF_INIT;
	size_t seen[256] = { 0 }, i, j;
	const double expect = (double)CODES * MAILCODE_LEN / 30;
	double chi2 = 0;

	(void)state;
	/* It appends: what the buffer held stays. */
	buf_puts(&code, "x");
	assert_int_equal(mailcode_new(&code), 0);
	assert_int_equal(code.len, 1 + MAILCODE_LEN);
	assert_int_equal(code.data[0], 'x');
	for (i = 0; i < CODES; i++) {
		buf_reset(&code);
		assert_int_equal(mailcode_new(&code), 0);
		assert_int_equal(code.len, MAILCODE_LEN);
		assert_int_equal(strspn(buf_cstr(&code), ALPHABET), MAILCODE_LEN);
		for (j = 0; j < code.len; j++)
			seen[(unsigned char)code.data[j]]++;
	}
	/* Every character equally likely: Pearson's chi-square over the 30 counts, 29 degrees of
	 * freedom, stays under 70 but once in 30000 runs. Taking a byte modulo 30 without the
	 * rejection would draw 16 characters 9/8 as often as the others: a chi-square near 540. */
	for (i = 0; i < strlen(ALPHABET); i++) {
		double d = (double)seen[(unsigned char)ALPHABET[i]] - expect;

		chi2 += d * d / expect;
	}
	if (chi2 > 70)
		fail_msg("chi-square %.1f over %d draws: the characters are not drawn evenly", chi2,
		    CODES * MAILCODE_LEN);
	/* The look-alikes never. */
	for (i = 0; i < strlen("0O1Il9g"); i++)
		assert_int_equal(seen[(unsigned char)"0O1Il9g"[i]], 0);
	buf_free(&code);
}

static void
test_codes_differ(void **state)
{
	struct buf a = BUF_INIT, b = BUF_INIT;

	(void)state;
	assert_int_equal(mailcode_new(&a), 0);
	assert_int_equal(mailcode_new(&b), 0);
	assert_string_not_equal(buf_cstr(&a), buf_cstr(&b));
	buf_free(&a);
	buf_free(&b);
}

static void
test_activate_link(void **state)
{
	struct fixture *f = *state;
	struct buf link = BUF_INIT;

	buf_puts(&link, "> ");
	mailcode_activate_link(&f->env, "alice_01", CODE, &link);
	assert_string_equal(buf_cstr(&link),
	    "> https://site.example/activate?username=alice_01&code=" CODE);
	buf_free(&link);
}

/* ---------------------------------------------------------------------------------------------
 * mailcode_send. */

struct send_row {
	int         line;
	const char *lang;      /* NULL: none given */
	const char *kind;
	const char *subject;   /* the Subject: line as written */
	const char *body[3];   /* lines the body holds */
};

static const struct send_row send_rows[] = {
	{ __LINE__, "en", "reset", "Subject: Starling Test: Your password reset code\n",
	  { "\nYour code: " CODE "\n", "\nOr open this link:\nhttps://site.example/x\n",
	    "within 30 minutes" } },
	{ __LINE__, "en", "activate", "Subject: Starling Test: Confirm your email address\n",
	  { "\nYour code: " CODE "\n", "valid for 7 days", "\nOr open this link:\n" } },
	/* Another language, or none, reads as the first (English). */
	{ __LINE__, "xx", "reset", "Subject: Starling Test: Your password reset code\n",
	  { "\nYour code: " CODE "\n", NULL, NULL } },
	{ __LINE__, NULL, "activate", "Subject: Starling Test: Confirm your email address\n",
	  { "\nYour code: " CODE "\n", NULL, NULL } },
	/* Chinese: the subject is an RFC 2047 word, the body UTF-8 as it is. */
	{ __LINE__, "zh", "reset", "Subject: =?UTF-8?",
	  { "\n\xe4\xbd\xa0\xe7\x9a\x84\xe9\xaa\x8c\xe8\xaf\x81\xe7\xa0\x81", " " CODE "\n",
	    "https://site.example/x\n" } },
};

static void
test_send(void **state)
{
	struct fixture *f = *state;
	struct buf msg = BUF_INIT;
	size_t i, j;

	for (i = 0; i < sizeof send_rows / sizeof send_rows[0]; i++) {
		const struct send_row *r = &send_rows[i];

		if (mailcode_send(&f->env, r->lang, "bob@example.com", r->kind, CODE,
		    "https://site.example/x") != 0)
			fail_msg("line %d: mailcode_send failed", r->line);
		buf_reset(&msg);
		take_message(f, &msg);
		if (strstr(buf_cstr(&msg), "\nTo: bob@example.com\n") == NULL &&
		    strncmp(buf_cstr(&msg), "To: bob@example.com\n", 20) != 0)
			fail_msg("line %d: no To: line in\n%s", r->line, buf_cstr(&msg));
		if (strstr(buf_cstr(&msg), r->subject) == NULL)
			fail_msg("line %d: no \"%s\" in\n%s", r->line, r->subject, buf_cstr(&msg));
		for (j = 0; j < 3 && r->body[j] != NULL; j++)
			if (strstr(buf_cstr(&msg), r->body[j]) == NULL)
				fail_msg("line %d: no \"%s\" in\n%s", r->line, r->body[j], buf_cstr(&msg));
	}
	buf_free(&msg);
}

/* A message mail_send refuses (a header injection in the address): -1, logged, and neither the
 * log nor the spool holds the code. */
static void
test_send_refused_logs_no_code(void **state)
{
	struct fixture *f = *state;
	char logged[4096];
	FILE *log = tmpfile();
	size_t n;

	assert_non_null(log);
	log_set_fd(fileno(log));
	assert_int_equal(mailcode_send(&f->env, "en", "bob@example.com\nBcc: eve@example.com",
	    "reset", CODE, "https://site.example/x"), -1);
	log_set_fd(-1);
	rewind(log);
	n = fread(logged, 1, sizeof logged - 1, log);
	logged[n] = '\0';
	fclose(log);
	assert_non_null(strstr(logged, "mail (reset) not sent"));
	assert_null(strstr(logged, CODE));
	assert_int_equal(spooled(f), 0);
}

/* ---------------------------------------------------------------------------------------------
 * The jobs and queues, refusing or failing. */

typedef int (*job_fn)(struct app_env *, json_object *, struct buf *);

struct job_row {
	int         line;
	job_fn      fn;
	const char *payload;
	const char *err;
};

static const struct job_row job_rows[] = {
	{ __LINE__, mailcode_reset_job, "{}", "mail.reset: no valid email" },
	{ __LINE__, mailcode_reset_job, "{\"email\":7}", "mail.reset: no valid email" },
	{ __LINE__, mailcode_reset_job, "{\"email\":\"\"}", "mail.reset: no valid email" },
	{ __LINE__, mailcode_reset_job, "{\"email\":\"no-at-sign\"}", "mail.reset: no valid email" },
	{ __LINE__, mailcode_reset_job, "{\"email\":\"a@b.example\\nBcc: c@d.example\"}",
	  "mail.reset: no valid email" },
	{ __LINE__, mailcode_reset_job, "{\"email\":\"bob@example.com\",\"lang\":\"en\"}",
	  "mail.reset: the account could not be read" },
	{ __LINE__, mailcode_activate_job, "{}", "mail.activate: no valid email" },
	{ __LINE__, mailcode_activate_job, "{\"email\":\"x@\"}", "mail.activate: no valid email" },
	{ __LINE__, mailcode_activate_job, "{\"email\":\"bob@example.com\"}",
	  "mail.activate: the account could not be read" },
};

static void
test_jobs_refuse_or_fail(void **state)
{
	struct fixture *f = *state;
	struct buf err = BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof job_rows / sizeof job_rows[0]; i++) {
		const struct job_row *r = &job_rows[i];
		json_object *p = json_tokener_parse(r->payload);
		int rc;

		assert_non_null(p);
		buf_reset(&err);
		buf_puts(&err, "");
		rc = r->fn(&f->env, p, &err);
		if (rc != -1 || strcmp(buf_cstr(&err), r->err) != 0)
			fail_msg("line %d: job = %d (%s), want -1 (%s)", r->line, rc, buf_cstr(&err),
			    r->err);
		json_object_put(p);
	}
	buf_free(&err);
	/* Nothing was mailed. */
	assert_int_equal(spooled(f), 0);
}

static void
test_queues_fail_with_the_database_down(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(mailcode_queue_reset(&f->env, "Bob@Example.com", "en"), -1);
	assert_int_equal(mailcode_queue_activation(&f->env, "bob@example.com", "zh"), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_codes),
		cmocka_unit_test(test_codes_differ),
		cmocka_unit_test(test_activate_link),
		cmocka_unit_test(test_send),
		cmocka_unit_test(test_send_refused_logs_no_code),
		cmocka_unit_test(test_jobs_refuse_or_fail),
		cmocka_unit_test(test_queues_fail_with_the_database_down),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
