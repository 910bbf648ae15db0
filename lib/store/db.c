/* db.c: connections to the physical instances, the per-connection statement cache, the deadline
 * and the waits of every call, administration and the counters. Statements, rows and transactions
 * are in db_stmt.c, rounds (statements run concurrently) in db_round.c; db_int.h is what the three
 * share. The only files that call the MySQL client library. */
#include "config.h"

#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mysql.h>

#include "breaker.h"
#include "db.h"
#include "db_int.h"
#include "clock.h"
#include "id.h"
#include "log.h"
#include "shard.h"
#include "xalloc.h"

/* A connection idle for longer than this is pinged before use: the server (wait_timeout) or a
 * firewall may have dropped it, and a write must not be sent into a dead connection whose loss
 * would only show after the statement might have run. */
#define DB_IDLE_PING_MS 30000
/* How long the probe of a half-open breaker waits for its ping (db_shard_conn). */
#define DB_PROBE_MS 300
/* The deadline of a statement when there is none ([mysql] statement_timeout_ms 0: the worker,
 * starling-admin): a day, so that only the library's read and write timeouts bound each wait. */
#define DB_NO_DEADLINE_MS (24ULL * 3600 * 1000)

/* ------------------------------------------------------------------------------------------ */
/* Instances */

/* Closes the connection of in and, with it, every statement prepared on it. */
void
db_instance_close(struct db_instance *in)
{
	while (in->oldest)
		db_stmt_drop(in, in->oldest);
	if (in->conn != NULL) {
		mysql_close(in->conn);
		in->conn = NULL;
	}
}

/* Parses one "host:port" or "/socket" entry of n bytes. */
static int
parse_instance(const char *s, size_t n, struct db_instance *in, struct buf *err)
{
	const char *colon;
	char *end;
	unsigned long port;

	memset(in, 0, sizeof *in);
	if (n > 0 && s[0] == '/') {
		in->socket = xstrndup(s, n);
		snprintf(in->name, sizeof in->name, "%s", in->socket);
		return 0;
	}
	colon = memchr(s, ':', n);
	if (colon == NULL || colon == s || colon + 1 == s + n) {
		buf_printf(err, "[mysql] instances: \"%.*s\" is not host:port or a socket path", (int)n, s);
		return -1;
	}
	port = strtoul(colon + 1, &end, 10);
	if (end != s + n || port == 0 || port > 65535) {
		buf_printf(err, "[mysql] instances: bad port in \"%.*s\"", (int)n, s);
		return -1;
	}
	in->host = xstrndup(s, (size_t)(colon - s));
	in->port = (unsigned int)port;
	snprintf(in->name, sizeof in->name, "%s:%u", in->host, in->port);
	return 0;
}

struct db *
db_new(const struct conf *conf, struct buf *err)
{
	struct db *db = xcalloc(1, sizeof *db);
	const char *p = conf->mysql_instances;

	db->conf = conf;
	db->stmt_ms = conf->mysql_statement_timeout_ms;
	while (*p) {
		size_t n;

		p += strspn(p, " ,");
		n = strcspn(p, ",");
		while (n > 0 && p[n - 1] == ' ')
			n--;
		if (n == 0)
			break;
		db->inst = xrealloc(db->inst, (db->n + 1) * sizeof *db->inst);
		if (parse_instance(p, n, &db->inst[db->n], err) != 0) {
			db_free(db);
			return NULL;
		}
		db->n++;
		p += strcspn(p, ",");
	}
	if (db->n == 0) {
		buf_puts(err, "[mysql] instances: no instance listed");
		db_free(db);
		return NULL;
	}
	/* A map that leaves a shard without an instance must stop start-up, not a request. */
	db->shards = shard_map_new((unsigned)conf->mysql_logical_shards, db->n, conf->mysql_shard_map,
	    err);
	if (db->shards == NULL) {
		db_free(db);
		return NULL;
	}
	db->brk = breaker_map_open(conf);
	for (size_t i = 0; i < db->n; i++) {
		struct buf name = BUF_INIT;

		buf_printf(&name, "mysql %s", db->inst[i].name);
		db->inst[i].slot = breaker_slot(db->brk, buf_cstr(&name));
		buf_free(&name);
	}
	return db;
}

const struct shard_map *
db_shards(const struct db *db)
{
	return db->shards;
}

bool
db_id_has_shard(const struct db *db, uint64_t id)
{
	return id != 0 && id_shard(id) < shard_count(db->shards);
}

size_t
db_instance_count(const struct db *db)
{
	return db->n;
}

const char *
db_instance_name(const struct db *db, size_t i)
{
	return i < db->n ? db->inst[i].name : "";
}

/* The poll(2) events a non-blocking call's status waits for, and the status its _cont call is
 * given for the events poll found. */
short
db_poll_events(int status)
{
	return (short)((status & MYSQL_WAIT_READ ? POLLIN : 0) |
	    (status & MYSQL_WAIT_WRITE ? POLLOUT : 0) | (status & MYSQL_WAIT_EXCEPT ? POLLPRI : 0));
}

int
db_ready_events(short revents)
{
	return (revents & (POLLIN | POLLHUP | POLLERR) ? MYSQL_WAIT_READ : 0) |
	    (revents & POLLOUT ? MYSQL_WAIT_WRITE : 0) | (revents & POLLPRI ? MYSQL_WAIT_EXCEPT : 0);
}

/* Until when (ms) a call of in waiting with status may wait: deadline, or the library's own
 * timeout when the status asks for one and it comes first. */
uint64_t
db_wait_until(const struct db_instance *in, int status, uint64_t deadline, uint64_t now)
{
	uint64_t lib;

	if (!(status & MYSQL_WAIT_TIMEOUT))
		return deadline;
	lib = now + mysql_get_timeout_value_ms(in->conn);
	return lib < deadline ? lib : deadline;
}

/* Waits until the socket of in's connection is ready as a non-blocking call's status asks, or
 * until deadline (ms). Returns the events for its _cont call: MYSQL_WAIT_TIMEOUT when the time
 * is up (or the library's own timeout, whichever comes first), which makes the call fail as
 * timed out; so it does as soon as the instance's breaker opens while this process waits
 * (checked every DB_WAIT_SLICE_MS): another process found the instance failing, and this one
 * need not wait out its own deadline to learn it too. */
int
db_wait_for(const struct db *db, const struct db_instance *in, int status, uint64_t deadline)
{
	struct pollfd p = { .fd = mysql_get_socket(in->conn), .events = db_poll_events(status) };
	uint64_t now = clock_mono_ms(), until = db_wait_until(in, status, deadline, now);
	int n = 0;

	while (now < until) {
		n = poll(&p, 1, until - now > DB_WAIT_SLICE_MS ? DB_WAIT_SLICE_MS : (int)(until - now));
		if (n != 0 || breaker_state(db->brk, in->slot, NULL) == BREAKER_OPEN)
			break;
		now = clock_mono_ms();
	}
	if (n <= 0)
		return MYSQL_WAIT_TIMEOUT;
	return db_ready_events(p.revents);
}

/* Starts the clock of one statement (or transaction boundary): db->deadline, which every wait
 * of its connect, prepare, execute and fetch keeps to. */
void
db_deadline_arm(struct db *db)
{
	db->deadline = clock_mono_ms() +
	    (db->stmt_ms > 0 ? (uint64_t)db->stmt_ms : DB_NO_DEADLINE_MS);
}

bool
db_deadline_passed(const struct db *db)
{
	return clock_mono_ms() >= db->deadline;
}

/* The milliseconds left of the statement's time, at most cap (a connect's own bound), at least
 * 1. */
static int
deadline_left(const struct db *db, int cap)
{
	uint64_t now = clock_mono_ms();

	if (now >= db->deadline)
		return 1;
	return db->deadline - now < (uint64_t)cap ? (int)(db->deadline - now) : cap;
}

void
db_set_statement_timeout(struct db *db, long ms)
{
	db->stmt_ms = ms > 0 ? ms : 0;
}

/* The deadline of an ordinary connect: the configured connect timeout. */
static int
connect_ms(const struct db *db)
{
	return (int)db->conf->mysql_connect_timeout * 1000;
}

/* Opens the connection of in if it is not open, without a default database, giving up after ms
 * (the handshake too: a hung server accepts the TCP connection and never greets). Returns 0 or
 * -1 (logged, counted by the breaker, and told in err when err is not NULL). */
static int
instance_connect(const struct db *db, struct db_instance *in, int ms, struct buf *err)
{
	const struct conf *c = db->conf;
	unsigned int ct = (unsigned int)c->mysql_connect_timeout;
	unsigned int rt = (unsigned int)c->mysql_read_timeout;
	unsigned int wt = (unsigned int)c->mysql_write_timeout;
	my_bool off = 0;
	uint64_t deadline = clock_mono_ms() + (uint64_t)(ms > 0 ? ms : 1);
	MYSQL *ret = NULL;
	int status;

	if (in->conn != NULL)
		return 0;
	in->conn = mysql_init(NULL);
	if (in->conn == NULL) {
		buf_printf(err, "%s: out of memory", in->name);
		return -1;
	}
	mysql_options(in->conn, MYSQL_OPT_CONNECT_TIMEOUT, &ct);
	mysql_options(in->conn, MYSQL_OPT_READ_TIMEOUT, &rt);
	mysql_options(in->conn, MYSQL_OPT_WRITE_TIMEOUT, &wt);
	mysql_options(in->conn, MYSQL_OPT_RECONNECT, &off);
	/* Allows the non-blocking calls beside the blocking ones: connects and pings have
	 * deadlines of their own (db_wait_for). */
	mysql_options(in->conn, MYSQL_OPT_NONBLOCK, 0);
	mysql_options(in->conn, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	if (in->host != NULL) {
		unsigned int proto = MYSQL_PROTOCOL_TCP;

		mysql_options(in->conn, MYSQL_OPT_PROTOCOL, &proto);
	}
	status = mysql_real_connect_start(&ret, in->conn, in->host, c->mysql_user,
	    c->mysql_password, NULL, in->port, in->socket, 0);
	while (status != 0)
		status = mysql_real_connect_cont(&ret, in->conn, db_wait_for(db, in, status, deadline));
	if (ret == NULL) {
		log_error("mysql %s: connect failed: %s", in->name, mysql_error(in->conn));
		in->errors++;
		buf_printf(err, "%s%s: %s", err && err->len ? "; " : "", in->name,
		    mysql_error(in->conn));
		breaker_fail(db->brk, in->slot, mysql_error(in->conn));
		db_instance_close(in);
		return -1;
	}
	breaker_ok(db->brk, in->slot);
	in->last_used = clock_mono_ms();
	if (in->nbuckets == 0) {
		/* Twice the cache size: short chains without a rehash. */
		in->nbuckets = (size_t)c->mysql_statement_cache * 2;
		in->bucket = xcalloc(in->nbuckets, sizeof *in->bucket);
	}
	return 0;
}

/* Whether the instance's breaker lets a request through; if not, says so in err. */
static bool
instance_allowed(struct db *db, struct db_instance *in, struct buf *err)
{
	uint64_t retry;

	if (breaker_allow(db->brk, in->slot, NULL))
		return true;
	breaker_state(db->brk, in->slot, &retry);
	buf_printf(err, "%s%s: down (breaker open, next probe in %llu ms)",
	    err && err->len ? "; " : "", in->name, (unsigned long long)retry);
	return false;
}

/* mysql_ping on the open connection of in, given up after ms: a hung instance answers nothing,
 * and the blocking call would wait out the whole read timeout. Returns 0, or -1 (the connection
 * is closed: after a timeout its state is unknown). */
/* Pings the open connection of in within db's deadline (the statement's time, or the one
 * ping_within sets). Returns 0 when it answered. */
static int
idle_ping(struct db *db, struct db_instance *in)
{
	int rc = 1;

	DB_NB(db, in, rc, in->conn, mysql_ping_start(&rc, in->conn), mysql_ping_cont);
	return rc;
}

static int
ping_within(struct db *db, struct db_instance *in, int ms, struct buf *err)
{
	uint64_t statement = db->deadline;   /* a probe's ping comes inside a statement's time */
	const char *why;
	int rc;

	db->deadline = clock_mono_ms() + (uint64_t)(ms > 0 ? ms : 1);
	rc = idle_ping(db, in);
	why = rc == 0 ? NULL : db_deadline_passed(db) ? "no answer in time" : mysql_error(in->conn);
	db->deadline = statement;
	if (rc == 0) {
		breaker_ok(db->brk, in->slot);
		return 0;
	}
	buf_printf(err, "%s%s: %s", err && err->len ? "; " : "", in->name, why);
	log_warn("mysql %s: ping failed (%s)", in->name, why);
	breaker_fail(db->brk, in->slot, "ping");
	db_instance_close(in);
	return -1;
}

int
db_ping_instance(struct db *db, size_t i, int ms, struct buf *err)
{
	struct db_instance *in;

	if (i >= db->n)
		return -1;
	in = &db->inst[i];
	if (!instance_allowed(db, in, err))
		return -1;
	if (in->conn != NULL)
		return ping_within(db, in, ms, err) == 0 ? (in->last_used = clock_mono_ms(), 0) : -1;
	if (instance_connect(db, in, ms, err) != 0)
		return -1;
	in->last_used = clock_mono_ms();
	return 0;
}

int
db_ping(struct db *db, int ms, struct buf *err)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < db->n; i++)
		if (db_ping_instance(db, i, ms, err) != 0)
			rc = -1;
	return rc;
}

enum db_instance_state
db_instance_state(struct db *db, size_t i, uint64_t *retry_ms)
{
	if (i >= db->n)
		return DB_INSTANCE_UP;
	switch (breaker_state(db->brk, db->inst[i].slot, retry_ms)) {
	case BREAKER_OPEN:      return DB_INSTANCE_DOWN;
	case BREAKER_HALF_OPEN: return DB_INSTANCE_PROBING;
	case BREAKER_CLOSED:    break;
	}
	return DB_INSTANCE_UP;
}

/* The instance of shard, connected (pinged first if idle for long). NULL when the shard is out of
 * range or the instance cannot be reached (logged). */
struct db_instance *
db_shard_conn(struct db *db, unsigned shard)
{
	struct db_instance *in;
	bool probe = false;

	if (shard >= shard_count(db->shards)) {
		log_error("mysql: shard %u does not exist (%u shards)", shard, shard_count(db->shards));
		return NULL;
	}
	in = &db->inst[shard_instance(db->shards, shard)];
	/* Inside a transaction the instance was let through when it began (asking again would
	 * refuse a half-open breaker's probe its own next statement). A probe first pings with a
	 * short deadline: an instance still hung then costs it DB_PROBE_MS, not a read timeout. */
	if (!db->in_tx && !breaker_allow(db->brk, in->slot, &probe)) {
		log_debug("mysql %s shard %u: breaker open; failing at once", in->name, shard);
		return NULL;
	}
	if (probe && in->conn != NULL) {
		if (ping_within(db, in, DB_PROBE_MS, NULL) != 0)
			return NULL;
		in->last_used = clock_mono_ms();
	}
	if (in->conn != NULL && !db->in_tx && clock_mono_ms() - in->last_used > DB_IDLE_PING_MS &&
	    (db->setup_trips++, idle_ping(db, in) != 0)) {
		log_warn("mysql %s: idle connection lost (%s); reconnecting", in->name,
		    mysql_error(in->conn));
		db_instance_close(in);
	}
	if (instance_connect(db, in, deadline_left(db, probe ? DB_PROBE_MS : connect_ms(db)),
	    NULL) != 0)
		return NULL;
	in->last_used = clock_mono_ms();
	return in;
}


/* The statement on in ran past its deadline (or was given up when the instance's breaker opened
 * meanwhile: nothing more to learn), and its connection, in an unknown state, is closed. A hung
 * instance and a slow statement look alike from here; a new connection within
 * DB_PROBE_MS tells them apart: a hung instance fails it and counts as failing (its breaker), a
 * live one answers, and the statement, still running there, is killed from the new connection
 * so that it costs the server no more. */
void
db_statement_overdue(struct db *db, struct db_instance *in, unsigned shard, const char *sql)
{
	unsigned long tid = mysql_thread_id(in->conn);
	char kill[48];
	int rc = 1;

	in->timeouts++;
	db_instance_close(in);
	if (breaker_state(db->brk, in->slot, NULL) == BREAKER_OPEN) {
		log_warn("mysql %s shard %u: statement given up: the instance's breaker opened "
		    "while it waited: %.120s", in->name, shard, sql);
		return;
	}
	if (instance_connect(db, in, DB_PROBE_MS, NULL) != 0) {
		log_error("mysql %s shard %u: no answer within %ld ms, nor to a new connection: the "
		    "instance counts as failing: %.120s", in->name, shard, db->stmt_ms, sql);
		breaker_fail(db->brk, in->slot, "statement deadline");
		return;
	}
	log_warn("mysql %s shard %u: statement over its %ld ms; the instance answers, so it is "
	    "killed as slow: %.120s", in->name, shard, db->stmt_ms, sql);
	snprintf(kill, sizeof kill, "KILL QUERY %lu", tid);
	db->deadline = clock_mono_ms() + DB_PROBE_MS;
	DB_NB(db, in, rc, in->conn, mysql_real_query_start(&rc, in->conn, kill,
	    (unsigned long)strlen(kill)), mysql_real_query_cont);
	if (rc != 0) {
		log_warn("mysql %s: %s failed: %s", in->name, kill, mysql_error(in->conn));
		db_instance_close(in);
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Administration */

int
db_create_shard_database(struct db *db, unsigned shard, struct buf *err)
{
	struct db_instance *in = (db_deadline_arm(db), db_shard_conn(db, shard));
	struct buf q = BUF_INIT;
	int rc = -1;

	if (in == NULL) {
		buf_printf(err, "shard %u: instance not reachable", shard);
		return -1;
	}
	/* The name comes from [mysql] database, checked to be [A-Za-z0-9_] (conf.c): an identifier
	 * cannot be a bound parameter. */
	buf_puts(&q, "CREATE DATABASE IF NOT EXISTS `");
	shard_db_name(db->conf->mysql_database, shard, &q);
	buf_puts(&q, "` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci");
	if (mysql_real_query(in->conn, q.data, (unsigned long)q.len) != 0) {
		buf_printf(err, "%s: %s", in->name, mysql_error(in->conn));
		goto out;
	}
	rc = 0;
out:
	buf_free(&q);
	return rc;
}

int
db_run_script(struct db *db, unsigned shard, const char *text, size_t len, struct buf *err)
{
	struct db_instance *in = (db_deadline_arm(db), db_shard_conn(db, shard));
	struct buf name = BUF_INIT;
	int rc = -1, status;

	if (in == NULL) {
		buf_printf(err, "shard %u: instance not reachable", shard);
		return -1;
	}
	shard_db_name(db->conf->mysql_database, shard, &name);
	if (mysql_select_db(in->conn, name.data) != 0 ||
	    mysql_set_server_option(in->conn, MYSQL_OPTION_MULTI_STATEMENTS_ON) != 0) {
		buf_printf(err, "%s %s: %s", in->name, name.data, mysql_error(in->conn));
		goto out;
	}
	status = mysql_real_query(in->conn, text, (unsigned long)len);
	/* Every statement's result must be read, or the connection stays out of step. */
	for (;;) {
		MYSQL_RES *res;

		if (status != 0) {
			buf_printf(err, "%s %s: %s", in->name, name.data, mysql_error(in->conn));
			break;
		}
		res = mysql_store_result(in->conn);
		if (res != NULL)
			mysql_free_result(res);
		else if (mysql_field_count(in->conn) != 0) {
			status = 1;
			continue;
		}
		status = mysql_next_result(in->conn);
		if (status == -1) {
			rc = 0;
			break;
		}
	}
	if (mysql_set_server_option(in->conn, MYSQL_OPTION_MULTI_STATEMENTS_OFF) != 0 && rc == 0) {
		buf_printf(err, "%s: %s", in->name, mysql_error(in->conn));
		rc = -1;
	}
out:
	if (rc != 0 && in->conn != NULL && db_lost_connection(mysql_errno(in->conn)))
		db_instance_close(in);
	buf_free(&name);
	return rc;
}

void
db_close_all(struct db *db)
{
	size_t i;

	for (i = 0; i < db->n; i++)
		db_instance_close(&db->inst[i]);
}

void
db_free(struct db *db)
{
	size_t i;

	if (db == NULL)
		return;
	for (i = 0; i < db->n; i++) {
		db_instance_close(&db->inst[i]);
		free(db->inst[i].bucket);
		free(db->inst[i].host);
		free(db->inst[i].socket);
	}
	free(db->inst);
	shard_map_free(db->shards);
	breaker_map_free(db->brk);
	buf_free(&db->sql);
	free(db);
}

void
db_instance_failures(const struct db *db, size_t i, uint64_t *errors, uint64_t *timeouts)
{
	*errors = db != NULL && i < db->n ? db->inst[i].errors : 0;
	*timeouts = db != NULL && i < db->n ? db->inst[i].timeouts : 0;
}

uint64_t
db_round_trips(const struct db *db)
{
	return db == NULL ? 0 : db->round_trips;
}

bool
db_count_as_setup(struct db *db, bool on)
{
	bool was;

	if (db == NULL)
		return false;
	was = db->setup;
	db->setup = on;
	return was;
}

uint64_t
db_setup_trips(const struct db *db)
{
	return db == NULL ? 0 : db->setup_trips;
}
