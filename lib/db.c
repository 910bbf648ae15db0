/* db.c: connections to the physical instances, the per-connection statement cache, statements
 * with bound parameters, and transactions. The only file that calls the MySQL client library. */
#include "config.h"

#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>

#include "breaker.h"
#include "db.h"
#include "clock.h"
#include "log.h"
#include "shard.h"
#include "xalloc.h"

/* A connection idle for longer than this is pinged before use: the server (wait_timeout) or a
 * firewall may have dropped it, and a write must not be sent into a dead connection whose loss
 * would only show after the statement might have run. */
#define DB_IDLE_PING_MS 30000
/* How often a transaction that hit a deadlock or lock wait timeout is run in all. */
#define DB_TX_ATTEMPTS 3
/* Parameters of one statement; far above any query Starling makes (post/stats: 100 ids). */
/* How long the probe of a half-open breaker waits for its ping (shard_conn). */
#define DB_PROBE_MS 300
/* The most shards one db_exec_instance statement reads: a bound on its text and its plan. */
#define DB_UNION_MAX 64
/* The deadline of a statement when there is none ([mysql] statement_timeout_ms 0: the worker,
 * starling-admin): a day, so that only the library's read and write timeouts bound each wait. */
#define DB_NO_DEADLINE_MS (24ULL * 3600 * 1000)
/* How often a process waiting for an instance looks whether its breaker opened (wait_for). */
#define DB_WAIT_SLICE_MS 50

/* Runs one non-blocking call of the client library to its end, waiting (wait_for) at most until
 * db's deadline: START is the call's _start form (it returns the status to wait for), CONT its
 * _cont function, RET and OBJ what both take. One form for every call: each has its own result
 * and handle types, which a function could only take as void pointers. */
#define DB_NB(db, in, ret, obj, start, cont) do {                                         \
	int nb_status_ = (start);                                                          \
	while (nb_status_ != 0)                                                            \
		nb_status_ = cont(&(ret), (obj), wait_for((db), (in), nb_status_,          \
		    (db)->deadline));                                                      \
} while (0)

/* A prepared statement, kept on its instance's connection, keyed by (SQL text, shard). */
struct db_stmt {
	char           *sql;        /* the text as the caller wrote it, with {db} */
	unsigned        shard;
	uint64_t        hash;
	MYSQL_STMT     *stmt;
	struct db_stmt *chain;      /* next in the same hash bucket */
	struct db_stmt *newer, *older;
};

struct db_instance {
	char            name[300];
	char           *host;       /* NULL for a Unix socket */
	unsigned int    port;
	char           *socket;     /* NULL for TCP */
	MYSQL          *conn;       /* NULL until connected */
	int             slot;       /* its breaker (breaker.h) */
	uint64_t        last_used;  /* ms */
	struct db_stmt **bucket;
	size_t          nbuckets, nstmts;
	struct db_stmt *newest, *oldest;
	uint64_t        errors;     /* connects failed, connections lost: db_instance_failures */
	uint64_t        timeouts;   /* statements past their deadline */
};

struct db {
	const struct conf  *conf;
	struct db_instance *inst;
	size_t              n;
	struct shard_map   *shards;
	struct breaker_map *brk;    /* one breaker per instance, shared by the host's processes */
	struct buf          sql;    /* scratch: SQL with the database name filled in */
	/* The open transaction, if any. */
	bool                in_tx;
	unsigned            tx_shard;
	bool                tx_failed;   /* a statement failed: roll back whatever fn says */
	bool                tx_retry;    /* ... by deadlock or lock wait timeout: run it again */
	uint64_t            round_trips; /* statements and transaction ends: db_round_trips */
	uint64_t            setup_trips; /* prepares and idle pings: db_setup_trips */
	bool                setup;       /* statements count as set-up: db_count_as_setup */
	long                stmt_ms;     /* db_set_statement_timeout; 0: none */
	uint64_t            deadline;    /* of the statement running now (ms, monotonic) */
};

/* ------------------------------------------------------------------------------------------ */
/* The statement cache of one connection: a hash table for lookups and a list for LRU order. */

static uint64_t
stmt_hash(const char *sql, unsigned shard)
{
	uint64_t h = 14695981039346656037ULL ^ shard;

	for (; *sql; sql++) {
		h ^= (unsigned char)*sql;
		h *= 1099511628211ULL;
	}
	return h;
}

static void
lru_unlink(struct db_instance *in, struct db_stmt *s)
{
	if (s->newer)
		s->newer->older = s->older;
	else
		in->newest = s->older;
	if (s->older)
		s->older->newer = s->newer;
	else
		in->oldest = s->newer;
	s->newer = s->older = NULL;
}

static void
lru_push(struct db_instance *in, struct db_stmt *s)
{
	s->older = in->newest;
	s->newer = NULL;
	if (in->newest)
		in->newest->newer = s;
	in->newest = s;
	if (in->oldest == NULL)
		in->oldest = s;
}

static void
stmt_free(struct db_stmt *s)
{
	if (s->stmt)
		mysql_stmt_close(s->stmt);
	free(s->sql);
	free(s);
}

/* Removes s from the cache of in and closes it. */
static void
stmt_drop(struct db_instance *in, struct db_stmt *s)
{
	struct db_stmt **p = &in->bucket[s->hash % in->nbuckets];

	while (*p != s)
		p = &(*p)->chain;
	*p = s->chain;
	lru_unlink(in, s);
	in->nstmts--;
	stmt_free(s);
}

static struct db_stmt *
stmt_find(struct db_instance *in, const char *sql, unsigned shard, uint64_t hash)
{
	struct db_stmt *s;

	if (in->nbuckets == 0)
		return NULL;
	for (s = in->bucket[hash % in->nbuckets]; s; s = s->chain)
		if (s->hash == hash && s->shard == shard && strcmp(s->sql, sql) == 0)
			return s;
	return NULL;
}

/* Closes the connection of in and, with it, every statement prepared on it. */
static void
instance_close(struct db_instance *in)
{
	while (in->oldest)
		stmt_drop(in, in->oldest);
	if (in->conn != NULL) {
		mysql_close(in->conn);
		in->conn = NULL;
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Instances */

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
static short
poll_events(int status)
{
	return (short)((status & MYSQL_WAIT_READ ? POLLIN : 0) |
	    (status & MYSQL_WAIT_WRITE ? POLLOUT : 0) | (status & MYSQL_WAIT_EXCEPT ? POLLPRI : 0));
}

static int
ready_events(short revents)
{
	return (revents & (POLLIN | POLLHUP | POLLERR) ? MYSQL_WAIT_READ : 0) |
	    (revents & POLLOUT ? MYSQL_WAIT_WRITE : 0) | (revents & POLLPRI ? MYSQL_WAIT_EXCEPT : 0);
}

/* Until when (ms) a call of in waiting with status may wait: deadline, or the library's own
 * timeout when the status asks for one and it comes first. */
static uint64_t
wait_until(const struct db_instance *in, int status, uint64_t deadline, uint64_t now)
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
static int
wait_for(const struct db *db, const struct db_instance *in, int status, uint64_t deadline)
{
	struct pollfd p = { .fd = mysql_get_socket(in->conn), .events = poll_events(status) };
	uint64_t now = clock_mono_ms(), until = wait_until(in, status, deadline, now);
	int n = 0;

	while (now < until) {
		n = poll(&p, 1, until - now > DB_WAIT_SLICE_MS ? DB_WAIT_SLICE_MS : (int)(until - now));
		if (n != 0 || breaker_state(db->brk, in->slot, NULL) == BREAKER_OPEN)
			break;
		now = clock_mono_ms();
	}
	if (n <= 0)
		return MYSQL_WAIT_TIMEOUT;
	return ready_events(p.revents);
}

/* Starts the clock of one statement (or transaction boundary): db->deadline, which every wait
 * of its connect, prepare, execute and fetch keeps to. */
static void
deadline_arm(struct db *db)
{
	db->deadline = clock_mono_ms() +
	    (db->stmt_ms > 0 ? (uint64_t)db->stmt_ms : DB_NO_DEADLINE_MS);
}

static bool
deadline_passed(const struct db *db)
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
	 * deadlines of their own (wait_for). */
	mysql_options(in->conn, MYSQL_OPT_NONBLOCK, 0);
	mysql_options(in->conn, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	if (in->host != NULL) {
		unsigned int proto = MYSQL_PROTOCOL_TCP;

		mysql_options(in->conn, MYSQL_OPT_PROTOCOL, &proto);
	}
	status = mysql_real_connect_start(&ret, in->conn, in->host, c->mysql_user,
	    c->mysql_password, NULL, in->port, in->socket, 0);
	while (status != 0)
		status = mysql_real_connect_cont(&ret, in->conn, wait_for(db, in, status, deadline));
	if (ret == NULL) {
		log_error("mysql %s: connect failed: %s", in->name, mysql_error(in->conn));
		in->errors++;
		buf_printf(err, "%s%s: %s", err && err->len ? "; " : "", in->name,
		    mysql_error(in->conn));
		breaker_fail(db->brk, in->slot, mysql_error(in->conn));
		instance_close(in);
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
	why = rc == 0 ? NULL : deadline_passed(db) ? "no answer in time" : mysql_error(in->conn);
	db->deadline = statement;
	if (rc == 0) {
		breaker_ok(db->brk, in->slot);
		return 0;
	}
	buf_printf(err, "%s%s: %s", err && err->len ? "; " : "", in->name, why);
	log_warn("mysql %s: ping failed (%s)", in->name, why);
	breaker_fail(db->brk, in->slot, "ping");
	instance_close(in);
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
static struct db_instance *
shard_conn(struct db *db, unsigned shard)
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
		instance_close(in);
	}
	if (instance_connect(db, in, deadline_left(db, probe ? DB_PROBE_MS : connect_ms(db)),
	    NULL) != 0)
		return NULL;
	in->last_used = clock_mono_ms();
	return in;
}

/* ------------------------------------------------------------------------------------------ */
/* Rows */

static const char *
cell(const struct db_rows *r, size_t row, size_t col)
{
	if (row >= r->nrows || col >= r->ncols)
		return NULL;
	return r->cell[row * r->ncols + col];
}

const char *
db_str(const struct db_rows *r, size_t row, size_t col)
{
	const char *s = cell(r, row, col);

	return s ? s : "";
}

size_t
db_len(const struct db_rows *r, size_t row, size_t col)
{
	return cell(r, row, col) ? r->len[row * r->ncols + col] : 0;
}

bool
db_is_null(const struct db_rows *r, size_t row, size_t col)
{
	return cell(r, row, col) == NULL;
}

uint64_t
db_u64(const struct db_rows *r, size_t row, size_t col)
{
	const char *s = cell(r, row, col);
	char *end;
	unsigned long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return 0;
	v = strtoull(s, &end, 10);
	return *end == '\0' ? (uint64_t)v : 0;
}

int64_t
db_i64(const struct db_rows *r, size_t row, size_t col)
{
	const char *s = cell(r, row, col);
	char *end;
	long long v;

	if (s == NULL || *s == '\0')
		return 0;
	v = strtoll(s, &end, 10);
	return *end == '\0' ? (int64_t)v : 0;
}

void
db_rows_free(struct db_rows *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nrows * r->ncols; i++)
		free(r->cell[i]);
	free(r->cell);
	free(r->len);
	memset(r, 0, sizeof *r);
}

/* ------------------------------------------------------------------------------------------ */
/* Statements */

/* Whether errno says the connection is gone (the statement cache with it). */
static bool
lost_connection(unsigned int e)
{
	return e == CR_SERVER_GONE_ERROR || e == CR_SERVER_LOST || e == ER_CONNECTION_KILLED ||
	    e == ER_UNKNOWN_STMT_HANDLER;
}

/* Whether errno e is the instance failing (gone, lost, timed out), which its breaker counts;
 * not a statement the server refused, nor a statement handle it forgot (a restart: it
 * answers). */
static bool
instance_failure(unsigned int e)
{
	return lost_connection(e) && e != ER_UNKNOWN_STMT_HANDLER;
}

/* Whether a statement that failed with errno e may run again on a fresh connection: only when it
 * surely did not run. "Gone" is seen before the statement is sent; "lost" during it, when it
 * may have run, so only a read is repeated then. */
static bool
safe_to_retry(unsigned int e, const char *sql)
{
	if (e == CR_SERVER_GONE_ERROR || e == ER_UNKNOWN_STMT_HANDLER)
		return true;
	sql += strspn(sql, "(");     /* a UNION of parenthesized arms (db_exec_instance) */
	return lost_connection(e) && strncmp(sql, "SELECT", 6) == 0;
}

/* Appends sql to out with each "{db}" filled in with shard's database (`starling_0007`) and
 * each "{shard}" with its number. */
static void
fill_shard(const struct db *db, const char *sql, unsigned shard, struct buf *out)
{
	const char *p = sql, *q;

	while ((q = strchr(p, '{')) != NULL) {
		buf_append(out, p, (size_t)(q - p));
		if (strncmp(q, "{db}", 4) == 0) {
			buf_putc(out, '`');
			shard_db_name(db->conf->mysql_database, shard, out);
			buf_putc(out, '`');
			p = q + 4;
		} else if (strncmp(q, "{shard}", 7) == 0) {
			buf_printf(out, "%u", shard);
			p = q + 7;
		} else {
			buf_putc(out, '{');
			p = q + 1;
		}
	}
	buf_puts(out, p);
}

/* The cached statement for (sql, shard) on in, prepared now if it is not cached; the least
 * recently used one is closed when the cache is full. NULL on failure with *e set (logged). */
static struct db_stmt *
stmt_get(struct db *db, struct db_instance *in, unsigned shard, const char *sql, unsigned int *e)
{
	uint64_t h = stmt_hash(sql, shard);
	struct db_stmt *s = stmt_find(in, sql, shard, h);
	int rc = 1;

	if (s != NULL) {
		lru_unlink(in, s);
		lru_push(in, s);
		return s;
	}
	buf_reset(&db->sql);
	fill_shard(db, sql, shard, &db->sql);

	s = xcalloc(1, sizeof *s);
	db->setup_trips++;
	s->stmt = mysql_stmt_init(in->conn);
	if (s->stmt != NULL)
		DB_NB(db, in, rc, s->stmt, mysql_stmt_prepare_start(&rc, s->stmt, db->sql.data,
		    (unsigned long)db->sql.len), mysql_stmt_prepare_cont);
	if (s->stmt == NULL || rc != 0) {
		*e = s->stmt ? mysql_stmt_errno(s->stmt) : mysql_errno(in->conn);
		log_error("mysql %s shard %u: prepare failed (%u %s): %.120s", in->name, shard, *e,
		    s->stmt ? mysql_stmt_error(s->stmt) : mysql_error(in->conn), sql);
		stmt_free(s);
		return NULL;
	}
	s->sql = xstrdup(sql);
	s->shard = shard;
	s->hash = h;
	if (in->nstmts >= (size_t)db->conf->mysql_statement_cache)
		stmt_drop(in, in->oldest);
	s->chain = in->bucket[h % in->nbuckets];
	in->bucket[h % in->nbuckets] = s;
	lru_push(in, s);
	in->nstmts++;
	return s;
}

/* Reads every row of the executed statement st (of in), its result stored in the client already
 * (flight_advance), into out (emptied first). Returns 0 or -1 (*e). */
static int
fetch_rows(struct db *db, struct db_instance *in, MYSQL_STMT *st, struct db_rows *out,
    unsigned int *e)
{
	MYSQL_RES *meta = mysql_stmt_result_metadata(st);
	MYSQL_BIND *bind = NULL;
	unsigned long *lens = NULL;
	my_bool *nulls = NULL;
	size_t c, ncols, cap = 0;
	int rc = -1, f = 1;
	my_bool freed = 0;

	db_rows_free(out);
	if (meta == NULL) {
		/* No result set (INSERT, UPDATE...), or an error reading its description. */
		*e = mysql_stmt_errno(st);
		out->affected = (uint64_t)mysql_stmt_affected_rows(st);
		return *e == 0 ? 0 : -1;
	}
	ncols = mysql_num_fields(meta);
	out->ncols = ncols;
	bind = xcalloc(ncols ? ncols : 1, sizeof *bind);
	lens = xcalloc(ncols ? ncols : 1, sizeof *lens);
	nulls = xcalloc(ncols ? ncols : 1, sizeof *nulls);
	/* Zero-length buffers: fetch reports each cell's length, then mysql_stmt_fetch_column reads
	 * it into a buffer of exactly that size. Every type is converted to text. */
	for (c = 0; c < ncols; c++) {
		bind[c].buffer_type = MYSQL_TYPE_STRING;
		bind[c].length = &lens[c];
		bind[c].is_null = &nulls[c];
	}
	if (mysql_stmt_bind_result(st, bind) != 0)
		goto out;
	for (;;) {
		size_t base;

		DB_NB(db, in, f, st, mysql_stmt_fetch_start(&f, st), mysql_stmt_fetch_cont);
		if (f != 0 && f != MYSQL_DATA_TRUNCATED)
			break;

		if (out->nrows == cap) {
			cap = cap ? cap * 2 : 8;
			out->cell = xrealloc(out->cell, cap * ncols * sizeof *out->cell + 1);
			out->len = xrealloc(out->len, cap * ncols * sizeof *out->len + 1);
		}
		base = out->nrows * ncols;
		out->nrows++;
		for (c = 0; c < ncols; c++) {
			MYSQL_BIND one;

			out->cell[base + c] = NULL;
			out->len[base + c] = 0;
			if (nulls[c])
				continue;
			out->cell[base + c] = xmalloc(lens[c] + 1);
			out->len[base + c] = lens[c];
			out->cell[base + c][lens[c]] = '\0';
			if (lens[c] == 0)
				continue;
			memset(&one, 0, sizeof one);
			one.buffer_type = MYSQL_TYPE_STRING;
			one.buffer = out->cell[base + c];
			one.buffer_length = lens[c] + 1;
			if (mysql_stmt_fetch_column(st, &one, (unsigned int)c, 0) != 0)
				goto out;
			out->cell[base + c][lens[c]] = '\0';
		}
	}
	if (f != MYSQL_NO_DATA)
		goto out;
	rc = 0;
out:
	if (rc != 0) {
		*e = mysql_stmt_errno(st);
		db_rows_free(out);
	}
	DB_NB(db, in, freed, st, mysql_stmt_free_result_start(&freed, st),
	    mysql_stmt_free_result_cont);
	mysql_free_result(meta);
	free(bind);
	free(lens);
	free(nulls);
	return rc;
}

/* MYSQL_BIND takes a non-const buffer for input and output alike; parameters are only read. */
static void *
param_buffer(const void *p)
{
	union { const void *c; void *v; } u = { p };

	return u.v;
}

/* The statement on in ran past its deadline (or was given up when the instance's breaker opened
 * meanwhile: nothing more to learn), and its connection, in an unknown state, is closed. A hung
 * instance and a slow statement look alike from here; a new connection within
 * DB_PROBE_MS tells them apart: a hung instance fails it and counts as failing (its breaker), a
 * live one answers, and the statement, still running there, is killed from the new connection
 * so that it costs the server no more. */
static void
statement_overdue(struct db *db, struct db_instance *in, unsigned shard, const char *sql)
{
	unsigned long tid = mysql_thread_id(in->conn);
	char kill[48];
	int rc = 1;

	in->timeouts++;
	instance_close(in);
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
		instance_close(in);
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Rounds: every statement is run as part of one (db_exec is a round of one). Each is started on
 * its instance's connection, then the sockets of all of them are polled together and each is
 * continued as its instance answers, so a round over several instances takes as long as its
 * slowest instance, not the sum of them. One connection runs one statement at a time: two of a
 * round on the same instance run one after the other. */

/* One statement of a round, on its way. */
struct flight {
	struct db_query    *q;
	struct db_instance *in;          /* started: its instance's connection */
	struct db_stmt     *s;
	enum { FL_QUEUED, FL_EXECUTE, FL_STORE, FL_DONE } step;
	int                 status;      /* what the running call waits for (MYSQL_WAIT_*) */
	int                 ret;         /* the running call's result */
	unsigned int        e;
	int                 attempt;     /* 1: run again on a new connection (lost_connection) */
	uint64_t            deadline;    /* the statement's time, from its first start */
	uint64_t            until;       /* when the running call's wait ends (wait_until) */
	unsigned long       lens[DB_MAX_PARAMS];   /* of text parameters, read by the execute */
};

static bool
flight_running(const struct flight *f)
{
	return f->step == FL_EXECUTE || f->step == FL_STORE;
}

/* The instance a queued statement will run on; NULL for a shard that does not exist (its
 * start fails at once). */
static struct db_instance *
flight_instance(const struct db *db, const struct flight *f)
{
	if (f->q->shard >= shard_count(db->shards))
		return NULL;
	return &db->inst[shard_instance(db->shards, f->q->shard)];
}

static void
flight_end(struct db *db, struct flight *f, int rc)
{
	if (rc == 0)
		breaker_ok(db->brk, f->in->slot);
	f->q->rc = rc;
	f->step = FL_DONE;
	f->in = NULL;
	f->s = NULL;
}

/* What a statement that failed (f->e; f->s NULL when its prepare failed) comes to: counted by its
 * instance's breaker when the instance failed, logged, and queued to run again on a new
 * connection when the old one was lost and the statement surely did not run (or is a read),
 * once; else ended with DB_DUPLICATE or -1. Needs db->deadline at the statement's. */
static void
flight_failed(struct db *db, struct flight *f)
{
	struct db_instance *in = f->in;
	const char *sql = f->q->sql;
	unsigned int e = f->e;
	bool retry;

	if (e == ER_DUP_ENTRY) {
		flight_end(db, f, DB_DUPLICATE);
		return;
	}
	if (in->conn != NULL && (deadline_passed(db) ||
	    breaker_state(db->brk, in->slot, NULL) == BREAKER_OPEN)) {
		/* Never run again: the time is up, and it may have run. */
		statement_overdue(db, in, f->q->shard, sql);
		flight_end(db, f, -1);
		return;
	}
	if (instance_failure(e)) {
		in->errors++;
		breaker_fail(db->brk, in->slot, f->s ? mysql_stmt_error(f->s->stmt) : "prepare");
	}
	if (e == ER_LOCK_DEADLOCK || e == ER_LOCK_WAIT_TIMEOUT)
		db->tx_retry = db->in_tx;
	/* A lock conflict inside a transaction is run again (db_tx): a warning, unless every
	 * attempt meets one (db_tx logs that as the error). */
	if (f->s != NULL)
		log_msg(db->tx_retry ? LOG_LEVEL_WARN : LOG_LEVEL_ERROR,
		    "mysql %s shard %u: %u %s: %.120s", in->name, f->q->shard, e,
		    mysql_stmt_error(f->s->stmt), sql);
	if (!lost_connection(e)) {
		flight_end(db, f, -1);
		return;
	}
	/* The connection is gone, and every statement prepared on it: open a new one and prepare
	 * again, unless a transaction was open (it is lost with the connection) or the statement
	 * may have run already (a failed prepare never ran anything). */
	retry = f->attempt == 0 && !db->in_tx && (f->s == NULL || safe_to_retry(e, sql));
	instance_close(in);
	if (!retry) {
		flight_end(db, f, -1);
		return;
	}
	log_warn("mysql %s: reconnecting and preparing again", in->name);
	f->attempt++;
	f->step = FL_QUEUED;
	f->in = NULL;
	f->s = NULL;
}

/* Binds the statement's parameters to f->s. Returns 0 or -1 (f->e). */
static int
flight_bind(struct flight *f)
{
	MYSQL_BIND bind[DB_MAX_PARAMS];
	size_t i, n = f->q->nparams;

	memset(bind, 0, n * sizeof *bind);
	for (i = 0; i < n; i++) {
		const struct db_val *v = &f->q->params[i];

		switch (v->type) {
		case DB_T_NULL:
			bind[i].buffer_type = MYSQL_TYPE_NULL;
			break;
		case DB_T_I64:
			bind[i].buffer_type = MYSQL_TYPE_LONGLONG;
			bind[i].buffer = param_buffer(&v->i);
			break;
		case DB_T_U64:
			bind[i].buffer_type = MYSQL_TYPE_LONGLONG;
			bind[i].buffer = param_buffer(&v->u);
			bind[i].is_unsigned = 1;
			break;
		case DB_T_TEXT:
			f->lens[i] = (unsigned long)v->n;
			bind[i].buffer_type = MYSQL_TYPE_STRING;
			bind[i].buffer = param_buffer(v->s ? v->s : "");
			bind[i].buffer_length = f->lens[i];
			bind[i].length = &f->lens[i];
			break;
		}
	}
	if (n > 0 && mysql_stmt_bind_param(f->s->stmt, bind) != 0) {
		f->e = mysql_stmt_errno(f->s->stmt);
		return -1;
	}
	return 0;
}

/* The running call of f returned status: it waits until its deadline (or the library's own
 * timeout) for that. */
static void
flight_wait(struct flight *f, int status)
{
	f->status = status;
	if (status != 0)
		f->until = wait_until(f->in, status, f->deadline, clock_mono_ms());
}

/* Goes on with f for as long as its calls need no waiting: the execute's end starts reading
 * the whole result into the client (store: the rows come in while other statements of the
 * round are waited for too), the store's end copies the rows out, which then needs no round
 * trip, and ends the statement. */
static void
flight_advance(struct db *db, struct flight *f)
{
	struct db_rows scratch = DB_ROWS_INIT;

	while (f->status == 0 && flight_running(f)) {
		if (f->ret != 0) {
			f->e = mysql_stmt_errno(f->s->stmt);
			flight_failed(db, f);
		} else if (f->step == FL_EXECUTE) {
			f->step = FL_STORE;
			f->ret = 1;
			flight_wait(f, mysql_stmt_store_result_start(&f->ret, f->s->stmt));
		} else if (fetch_rows(db, f->in, f->s->stmt, f->q->out ? f->q->out : &scratch,
		    &f->e) != 0) {
			flight_failed(db, f);
		} else {
			flight_end(db, f, 0);
		}
	}
	db_rows_free(&scratch);
}

/* Starts f: its instance connected and its statement prepared (both can wait, on this instance
 * alone: rare, and within the statement's time), its parameters bound and its execute sent. */
static void
flight_start(struct db *db, struct flight *f)
{
	const struct db_query *q = f->q;

	if (f->attempt == 0) {
		deadline_arm(db);
		f->deadline = db->deadline;
	}
	db->deadline = f->deadline;
	f->e = 0;
	if ((f->in = shard_conn(db, q->shard)) == NULL) {
		f->q->rc = -1;
		f->step = FL_DONE;
		return;
	}
	f->s = stmt_get(db, f->in, q->shard, q->sql, &f->e);
	if (f->s != NULL && mysql_stmt_param_count(f->s->stmt) != q->nparams) {
		log_error("mysql: statement takes %lu parameters, given %zu: %.120s",
		    (unsigned long)mysql_stmt_param_count(f->s->stmt), q->nparams, q->sql);
		f->q->rc = -1;
		f->step = FL_DONE;
		return;
	}
	if (f->s == NULL || flight_bind(f) != 0) {
		flight_failed(db, f);
		return;
	}
	/* The text only, never the parameters (they may hold what users wrote, or secrets): at
	 * level debug, every round trip of a request can be read off its log lines. */
	log_debug("mysql %s shard %u: %.160s", f->in->name, q->shard, q->sql);
	*(db->setup ? &db->setup_trips : &db->round_trips) += 1;
	f->step = FL_EXECUTE;
	f->ret = 1;
	flight_wait(f, mysql_stmt_execute_start(&f->ret, f->s->stmt));
	flight_advance(db, f);
}

/* Starts every queued statement whose instance runs none of the others. Returns how many are
 * not done (running, or queued behind another on their instance). */
static size_t
flights_start(struct db *db, struct flight *fl, size_t n)
{
	size_t i, j, left = 0;

	for (i = 0; i < n; i++) {
		struct db_instance *in = flight_instance(db, &fl[i]);

		if (fl[i].step != FL_QUEUED)
			continue;
		for (j = 0; j < n && !(flight_running(&fl[j]) && fl[j].in == in); j++)
			;
		if (j == n)
			flight_start(db, &fl[i]);
	}
	for (i = 0; i < n; i++)
		left += fl[i].step != FL_DONE;
	return left;
}

/* Waits for the sockets of the running statements together, at most DB_WAIT_SLICE_MS (then the
 * breakers are read, as wait_for does), and continues each one that is ready. One past its time,
 * or whose instance's breaker opened, is continued as timed out, which fails it alone. p and
 * which have room for n. */
static void
flights_poll(struct db *db, struct flight *fl, size_t n, struct pollfd *p, size_t *which)
{
	uint64_t now = clock_mono_ms(), until = now + DB_WAIT_SLICE_MS;
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		if (!flight_running(&fl[i]))
			continue;
		until = fl[i].until < until ? fl[i].until : until;
		p[k] = (struct pollfd){ .fd = mysql_get_socket(fl[i].in->conn),
		    .events = poll_events(fl[i].status) };
		which[k++] = i;
	}
	if (k == 0)
		return;
	if (poll(p, (nfds_t)k, until > now ? (int)(until - now) : 0) < 0)
		for (i = 0; i < k; i++)
			p[i].revents = 0;   /* interrupted: only the times are looked at */
	now = clock_mono_ms();
	for (i = 0; i < k; i++) {
		struct flight *f = &fl[which[i]];
		int events = ready_events(p[i].revents);

		if (events == 0 && now < f->until &&
		    breaker_state(db->brk, f->in->slot, NULL) != BREAKER_OPEN)
			continue;
		db->deadline = f->deadline;
		flight_wait(f, f->step == FL_EXECUTE ?
		    mysql_stmt_execute_cont(&f->ret, f->s->stmt, events ? events : MYSQL_WAIT_TIMEOUT) :
		    mysql_stmt_store_result_cont(&f->ret, f->s->stmt,
			events ? events : MYSQL_WAIT_TIMEOUT));
		flight_advance(db, f);
	}
}

/* Runs q[0..n) whose rc is 0 as one round; each q[i].rc is set. */
static void
run_round(struct db *db, struct db_query *q, size_t n)
{
	struct flight *fl = xcalloc(n ? n : 1, sizeof *fl);
	struct pollfd *p = xcalloc(n ? n : 1, sizeof *p);
	size_t *which = xcalloc(n ? n : 1, sizeof *which);
	size_t i;

	for (i = 0; i < n; i++) {
		fl[i].q = &q[i];
		fl[i].step = q[i].rc == 0 ? FL_QUEUED : FL_DONE;
	}
	while (flights_start(db, fl, n) > 0)
		flights_poll(db, fl, n, p, which);
	free(which);
	free(p);
	free(fl);
}

/* Whether q may not run: for another shard than the open transaction's, after a failed
 * statement of it, or with too many parameters (logged). */
static bool
query_refused(struct db *db, const struct db_query *q)
{
	if (db->in_tx && q->shard != db->tx_shard) {
		log_error("mysql: statement for shard %u inside a transaction on shard %u refused: %.120s",
		    q->shard, db->tx_shard, q->sql);
		return true;
	}
	/* After a failed statement the transaction's connection may be a new one, outside any
	 * transaction: nothing more of it may run. */
	if (db->in_tx && db->tx_failed)
		return true;
	if (q->nparams > DB_MAX_PARAMS) {
		log_error("mysql: %zu parameters, more than %d: %.120s", q->nparams, DB_MAX_PARAMS,
		    q->sql);
		return true;
	}
	return false;
}

size_t
db_exec_all(struct db *db, struct db_query *q, size_t n)
{
	size_t i, failed = 0;

	/* Inside a transaction one at a time, so that one that fails stops the rest. */
	if (db->in_tx && n > 1) {
		for (i = 0; i < n; i++)
			failed += db_exec_all(db, &q[i], 1);
		return failed;
	}
	for (i = 0; i < n; i++)
		q[i].rc = query_refused(db, &q[i]) ? -1 : 0;
	run_round(db, q, n);
	for (i = 0; i < n; i++) {
		if (q[i].rc == -1 && db->in_tx)
			db->tx_failed = true;
		failed += q[i].rc != 0;
	}
	return failed;
}

int
db_exec(struct db *db, unsigned shard, const char *sql, const struct db_val *params,
    size_t nparams, struct db_rows *out)
{
	struct db_query q = { .shard = shard, .sql = sql, .params = params, .nparams = nparams,
	    .out = out };

	db_exec_all(db, &q, 1);
	return q.rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Transactions */

/* Runs a statement that takes no data (BEGIN, COMMIT, ROLLBACK) on in. Returns 0 or -1 (*e). */
static int
simple_query(struct db *db, struct db_instance *in, const char *q, unsigned int *e)
{
	int rc = 1;

	deadline_arm(db);
	DB_NB(db, in, rc, in->conn, mysql_real_query_start(&rc, in->conn, q,
	    (unsigned long)strlen(q)), mysql_real_query_cont);
	if (rc == 0)
		return 0;
	*e = mysql_errno(in->conn);
	log_error("mysql %s: %s failed: %u %s", in->name, q, *e, mysql_error(in->conn));
	if (instance_failure(*e)) {
		in->errors++;
		breaker_fail(db->brk, in->slot, mysql_error(in->conn));
	}
	if (lost_connection(*e))
		instance_close(in);
	return -1;
}

int
db_tx(struct db *db, unsigned shard, db_tx_fn fn, void *arg)
{
	struct db_instance *in;
	unsigned int e = 0;
	int attempt, rc = -1;

	if (db->in_tx) {
		log_error("mysql: nested transaction on shard %u refused", shard);
		return -1;
	}
	for (attempt = 1; attempt <= DB_TX_ATTEMPTS; attempt++) {
		deadline_arm(db);
		in = shard_conn(db, shard);
		db->round_trips += 2;   /* START TRANSACTION, then COMMIT or ROLLBACK */
		if (in == NULL || simple_query(db, in, "START TRANSACTION", &e) != 0)
			return -1;
		db->in_tx = true;
		db->tx_shard = shard;
		db->tx_failed = db->tx_retry = false;
		rc = fn(db, arg);
		if (rc == 0 && db->tx_failed)
			rc = -1;   /* fn went on after a failed statement: never commit half of it */
		db->in_tx = false;
		if (rc == 0) {
			if (in->conn != NULL && simple_query(db, in, "COMMIT", &e) == 0)
				return 0;
			rc = -1;
			db->tx_retry = e == ER_LOCK_DEADLOCK || e == ER_LOCK_WAIT_TIMEOUT;
		}
		/* The single cleanup path: whatever went wrong, nothing of fn stays. */
		if (in->conn != NULL)
			simple_query(db, in, "ROLLBACK", &e);
		if (db->tx_retry && attempt == DB_TX_ATTEMPTS)
			log_error("mysql %s shard %u: deadlock or lock wait timeout in all %d attempts; "
			    "transaction given up", in->name, shard, DB_TX_ATTEMPTS);
		if (!db->tx_retry || attempt == DB_TX_ATTEMPTS)
			break;
		log_warn("mysql %s shard %u: deadlock or lock wait timeout; transaction run again "
		    "(attempt %d of %d)", in->name, shard, attempt + 1, DB_TX_ATTEMPTS);
	}
	return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Administration */

int
db_create_shard_database(struct db *db, unsigned shard, struct buf *err)
{
	struct db_instance *in = (deadline_arm(db), shard_conn(db, shard));
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
	struct db_instance *in = (deadline_arm(db), shard_conn(db, shard));
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
	if (rc != 0 && in->conn != NULL && lost_connection(mysql_errno(in->conn)))
		instance_close(in);
	buf_free(&name);
	return rc;
}

void
db_close_all(struct db *db)
{
	size_t i;

	for (i = 0; i < db->n; i++)
		instance_close(&db->inst[i]);
}

void
db_free(struct db *db)
{
	size_t i;

	if (db == NULL)
		return;
	for (i = 0; i < db->n; i++) {
		instance_close(&db->inst[i]);
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

size_t
db_batch_add(struct db_batch *b, unsigned shard, const char *sql, const struct db_val *params,
    size_t nparams)
{
	size_t i = b->n++;

	b->q = xrealloc(b->q, b->n * sizeof *b->q);
	b->sql = xrealloc(b->sql, b->n * sizeof *b->sql);
	b->params = xrealloc(b->params, b->n * sizeof *b->params);
	b->sql[i] = xstrdup(sql);
	b->params[i] = xcalloc(nparams ? nparams : 1, sizeof **b->params);
	if (nparams > 0)
		memcpy(b->params[i], params, nparams * sizeof **b->params);
	b->q[i] = (struct db_query){ .shard = shard, .sql = b->sql[i], .params = b->params[i],
	    .nparams = nparams, .rc = -1 };
	return i;
}

size_t
db_batch_run(struct db *db, struct db_batch *b)
{
	size_t i;

	/* The rows are placed once every statement is in: the array no longer moves. */
	b->rows = xcalloc(b->n ? b->n : 1, sizeof *b->rows);
	for (i = 0; i < b->n; i++)
		b->q[i].out = &b->rows[i];
	return db_exec_all(db, b->q, b->n);
}

void
db_batch_free(struct db_batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		free(b->sql[i]);
		free(b->params[i]);
		if (b->rows != NULL)
			db_rows_free(&b->rows[i]);
	}
	free(b->q);
	free(b->sql);
	free(b->params);
	free(b->rows);
	memset(b, 0, sizeof *b);
}

/* Adds to b the statements for the shards of instance: the shards' copies of sql as the arms of
 * one UNION ALL, each in parentheses and with its own copy of the nparams parameters, at most
 * DB_UNION_MAX arms and DB_MAX_PARAMS parameters a statement, each sent to its first arm's
 * shard. */
static void
union_add(const struct db *db, size_t instance, const char *sql, const struct db_val *params,
    size_t nparams, struct db_batch *b)
{
	unsigned s, n = shard_count(db->shards), first = 0;
	struct db_val *p = xcalloc(DB_MAX_PARAMS, sizeof *p);
	struct buf text = BUF_INIT;
	size_t arms = 0;
	bool mine;

	for (s = 0; s <= n; s++) {
		mine = s < n && shard_instance(db->shards, s) == instance;
		if (arms > 0 && (s == n || (mine && (arms == DB_UNION_MAX ||
		    (arms + 1) * nparams > DB_MAX_PARAMS)))) {
			db_batch_add(b, first, buf_cstr(&text), p, arms * nparams);
			buf_reset(&text);
			arms = 0;
		}
		if (!mine)
			continue;
		if (arms == 0)
			first = s;
		buf_puts(&text, arms ? " UNION ALL (" : "(");
		fill_shard(db, sql, s, &text);
		buf_putc(&text, ')');
		if (nparams > 0)
			memcpy(p + arms * nparams, params, nparams * sizeof *p);
		arms++;
	}
	buf_free(&text);
	free(p);
}

/* Runs sql on every shard of the instances [lo, hi) in one round, then hands each statement's
 * rows to each in instance order; bad[i - lo] is set for an instance where a statement failed
 * or whose rows were not handed over because each stopped. Returns how many instances are
 * bad. */
static size_t
union_round(struct db *db, size_t lo, size_t hi, const char *sql, const struct db_val *params,
    size_t nparams, db_rows_fn each, void *arg, bool *bad)
{
	struct db_batch b = DB_BATCH_INIT;
	bool stopped = false;
	size_t i, k, nbad = 0;

	if (nparams > DB_MAX_PARAMS) {
		log_error("mysql: %zu parameters, more than %d: %.120s", nparams, DB_MAX_PARAMS, sql);
		for (i = lo; i < hi; i++)
			bad[i - lo] = true;
	} else {
		for (i = lo; i < hi; i++)
			union_add(db, i, sql, params, nparams, &b);
		db_batch_run(db, &b);
	}
	for (i = 0; i < b.n; i++) {
		k = shard_instance(db->shards, b.q[i].shard) - lo;
		if (b.q[i].rc == 0 && !stopped && each != NULL && each(b.q[i].out, arg) != 0)
			stopped = true;
		if (b.q[i].rc != 0 || stopped)
			bad[k] = true;
	}
	for (i = lo; i < hi; i++)
		nbad += bad[i - lo];
	db_batch_free(&b);
	return nbad;
}

int
db_exec_instance(struct db *db, size_t instance, const char *sql, const struct db_val *params,
    size_t nparams, db_rows_fn each, void *arg)
{
	bool bad = false;

	return union_round(db, instance, instance + 1, sql, params, nparams, each, arg, &bad) ? -1 :
	    0;
}

size_t
db_exec_instances(struct db *db, const char *sql, const struct db_val *params, size_t nparams,
    db_rows_fn each, void *arg, bool *failed)
{
	bool *bad = failed ? failed : xcalloc(db->n, sizeof *bad);
	size_t nbad;

	memset(bad, 0, db->n * sizeof *bad);
	nbad = union_round(db, 0, db->n, sql, params, nparams, each, arg, bad);
	if (bad != failed)
		free(bad);
	return nbad;
}

size_t
db_in_size(size_t n)
{
	size_t k = 1;

	while (k < n && k < DB_IN_MAX)
		k *= 2;
	return k;
}

void
db_placeholders(struct buf *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		buf_puts(b, i ? ", ?" : "?");
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
