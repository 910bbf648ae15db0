/* db.h: the MariaDB/MySQL instances: connections, prepared statements, transactions.
 *
 * Connections: one per physical instance per process, opened lazily on first use and kept for
 * the life of the worker, without a default database (every statement names its shard's
 * database). A lost connection is closed and opened again explicitly: Connector/C's
 * auto-reconnect is left off because it silently invalidates prepared statements and refuses
 * inside a transaction. Timeouts come from [mysql], short. Each instance has a circuit breaker
 * (breaker.h), shared by the processes of the host: after [breaker] failures in a row (connects,
 * lost connections, timeouts) every statement for it fails at once until a probe finds it
 * answering again, so a dead or hung instance costs its first requests a timeout, then a
 * 503 at once for the users stored on it, never a hang, and nothing for the other instances.
 *
 * Statements: SQL text where "{db}" stands for the shard's database ("SELECT ... FROM
 * {db}.tb_user WHERE id = ?"). MySQL binds table names when it prepares a statement, so a
 * statement is prepared once per (SQL, shard) on its instance's connection and kept in a
 * least-recently-used cache of [mysql] statement_cache entries; a lost connection drops them all
 * and they are prepared again on the next use.
 *
 * Rounds: every statement is sent as part of a round (db_exec_all; db_exec is a round of one),
 * in which the statements of different instances run at the same time, each with its own
 * deadline, breaker outcome and result: a read of several shards waits for its slowest
 * instance, not for the sum of them (docs/data.md, "Rounds").
 *
 * Return convention of this layer: <0 failure (logged with the shard and the instance: the
 * caller answers 503), 0 done, DB_DUPLICATE for a duplicate-key error (a unique row that exists
 * already: the caller decides what that means). */
#ifndef STARLING_DB_H
#define STARLING_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "conf.h"

struct db;

#define DB_DUPLICATE 1

/* Parses conf->mysql_instances ("host:port, /path/to.sock, ...") and the shard map; connects to
 * nothing yet. Returns NULL with a message in err when either is malformed. conf is borrowed and
 * must outlive the db. */
struct db *db_new(const struct conf *conf, struct buf *err);

/* Sets the time each statement has, in ms, from its connect to its last row ([mysql]
 * statement_timeout_ms, which db_new takes); 0: none, only each wait is bounded by [mysql]
 * read_timeout and write_timeout. A statement past its time fails; the instance counts as
 * failing only when a new connection cannot be made within a few hundred ms either (a hung
 * instance); otherwise the statement was slow, and it is killed on the server (logged). The
 * worker and starling-admin, whose statements may read whole shards, set 0. */
void db_set_statement_timeout(struct db *db, long ms);

/* The logical shard map (see shard.h), borrowed for the life of the db. */
struct shard_map;
const struct shard_map *db_shards(const struct db *db);
/* Whether id (a user's or a record's: its bits name the shard, id.h) could exist: not 0, and
 * of a shard of the map (an ID may name any of the 1024 the format allows). */
bool db_id_has_shard(const struct db *db, uint64_t id);

/* The number of physical instances, and a printable name of instance i ("127.0.0.1:3306"). */
size_t db_instance_count(const struct db *db);
const char *db_instance_name(const struct db *db, size_t i);

/* Checks that every instance answers (connecting if needed), each ping given up after ms (a
 * connect takes at most [mysql] connect_timeout); an instance whose breaker is open is not
 * tried. Returns 0, or -1 with the instances that did not answer, and why, in err. Every
 * failure is also logged, and counted by the breaker. */
int db_ping(struct db *db, int ms, struct buf *err);
/* The same for one instance. */
int db_ping_instance(struct db *db, size_t i, int ms, struct buf *err);

/* What instance i's breaker says (no round trip): up, down (failing at once; *retry_ms, when
 * not NULL, until the next probe), or probing (the next request tries it). */
enum db_instance_state { DB_INSTANCE_UP, DB_INSTANCE_DOWN, DB_INSTANCE_PROBING };
enum db_instance_state db_instance_state(struct db *db, size_t i, uint64_t *retry_ms);

/* ------------------------------------------------------------------------------------------ */
/* Values: statement parameters. */

enum db_type { DB_T_NULL, DB_T_I64, DB_T_U64, DB_T_TEXT };

struct db_val {
	enum db_type type;
	int64_t      i;
	uint64_t     u;
	const char  *s;      /* DB_T_TEXT: bytes, borrowed until the statement ran */
	size_t       n;
};

#define DB_NULL        ((struct db_val){ .type = DB_T_NULL })
#define DB_I64(x)      ((struct db_val){ .type = DB_T_I64, .i = (int64_t)(x) })
#define DB_U64(x)      ((struct db_val){ .type = DB_T_U64, .u = (uint64_t)(x) })
#define DB_STR(x)      ((struct db_val){ .type = DB_T_TEXT, .s = (x), .n = strlen(x) })
#define DB_BYTES(p, l) ((struct db_val){ .type = DB_T_TEXT, .s = (p), .n = (l) })

/* A statement's parameters and their number, as the two arguments every db_exec-like call takes:
 *   db_exec(db, shard, "... WHERE user_id = ? AND id = ?", DB_PARAMS(DB_U64(u), DB_U64(id)), &r);
 * The compiler counts them (sizeof of the same list: not evaluated twice), so a list and its
 * count cannot disagree. At least one parameter; a statement without any passes NULL, 0. */
#define DB_PARAMS(...) \
	((const struct db_val[]){ __VA_ARGS__ }), \
	(sizeof((const struct db_val[]){ __VA_ARGS__ }) / sizeof(struct db_val))

/* The result of a statement: every row, read in full, every cell as text (numbers as decimal
 * digits), NULL as a NULL pointer. Owned by the caller: DB_ROWS_INIT, then db_rows_free. */
struct db_rows {
	size_t    nrows, ncols;
	char    **cell;      /* nrows * ncols, row-major; each NUL-terminated, or NULL for SQL NULL */
	size_t   *len;
	uint64_t  affected;  /* rows changed by an INSERT/UPDATE/DELETE */
};
#define DB_ROWS_INIT { 0, 0, NULL, NULL, 0 }

/* Cell (row, col): its text ("" for NULL or out of range), and as numbers (0 for NULL, out of
 * range or not a number). */
const char *db_str(const struct db_rows *r, size_t row, size_t col);
size_t db_len(const struct db_rows *r, size_t row, size_t col);
bool db_is_null(const struct db_rows *r, size_t row, size_t col);
uint64_t db_u64(const struct db_rows *r, size_t row, size_t col);
int64_t db_i64(const struct db_rows *r, size_t row, size_t col);
/* Releases the rows and makes r empty again (reusable). */
void db_rows_free(struct db_rows *r);

/* ------------------------------------------------------------------------------------------ */
/* Statements. */

/* What db_exec_instance hands each statement's rows to: returns 0, or -1 to stop (the call
 * then answers -1). The rows are borrowed for the call. */
typedef int (*db_rows_fn)(const struct db_rows *r, void *arg);

/* Runs sql (a SELECT with "{db}" for a shard's database and "{shard}" for its number) on every
 * shard of instance (an index of [mysql] instances) at once: the shards' copies as the arms of
 * one UNION ALL, each in parentheses (so each keeps its ORDER BY and LIMIT) and with its own copy
 * of the nparams parameters. One round trip per instance where one per shard would be many
 * (a very large map takes a statement per 64 shards, or fewer when the parameters would pass
 * 256). each (may be NULL) gets each statement's rows, after all of them ran. Returns 0 (also
 * for an instance without shards: each not called), or -1 (logged; rows already handed over
 * stay handed over). */
int db_exec_instance(struct db *db, size_t instance, const char *sql, const struct db_val *params,
    size_t nparams, db_rows_fn each, void *arg);

/* db_exec_instance on every instance, as one round (db_exec_all): the instances work at the same
 * time, so the call takes as long as the slowest, and one that fails or runs out of time fails
 * alone. each (may be NULL) gets the rows of those that answered, in instance order, after all
 * of them answered or failed; once it returns -1 it gets no more, and the instances whose rows
 * it did not take count as failed. failed (may be NULL; db_instance_count entries) is set for
 * the instances that failed. Returns how many failed (logged): all of them, when the result is
 * db_instance_count, or a partial answer otherwise. */
size_t db_exec_instances(struct db *db, const char *sql, const struct db_val *params,
    size_t nparams, db_rows_fn each, void *arg, bool *failed);

/* The most values one IN list holds (a longer list is sent in chunks of this many), and the
 * length an IN list of n values (1..DB_IN_MAX) is sent with: n rounded up to a power of two, the
 * rest filled with repeats of the last value (harmless in IN). Each distinct length is a
 * statement of its own in every process's cache (db.h, [mysql] statement_cache; some 8 KB of
 * client memory each), so a list of any length costs one of 8 statements, not one of hundreds;
 * and no list passes the 256 parameters a statement takes. */
#define DB_MAX_PARAMS 256   /* the parameters one statement takes */
#define DB_IN_MAX 128
size_t db_in_size(size_t n);

/* Appends the placeholders of n parameters, "?, ?, ?", to b: the IN list of a statement over
 * a batch. */
void db_placeholders(struct buf *b, size_t n);

/* Runs sql (with "{db}" for the database of shard) with nparams parameters on the instance of
 * shard. Rows, if out is not NULL, replace what out held. A connection found lost is reopened
 * and the statement prepared again, once, unless inside a transaction (where the transaction
 * is lost and db_tx answers the failure). Returns 0, DB_DUPLICATE or -1 (logged). */
int db_exec(struct db *db, unsigned shard, const char *sql, const struct db_val *params,
    size_t nparams, struct db_rows *out);

/* One statement of a round (db_exec_all): what db_exec takes, and its result. */
struct db_query {
	unsigned             shard;
	const char          *sql;
	const struct db_val *params;     /* borrowed until the round ends */
	size_t               nparams;
	struct db_rows      *out;        /* may be NULL; its rows replace what it held */
	int                  rc;         /* set by the round: what db_exec would return */
};

/* Runs q[0..n) as one round: each statement is sent to its instance before any answer is
 * waited for, then the connections are polled together and each statement continued as its
 * instance answers, so statements on different instances run at the same time (those on one
 * instance, which has one connection, one after the other, in order). Each has its own
 * deadline ([mysql] statement_timeout_ms from its start), retry, breaker outcome and log line,
 * as db_exec: one instance failing or timing out fails its own statements only. Each counts
 * one round trip (db_round_trips). Inside a transaction they run one at a time, as db_exec.
 * Returns how many did not answer 0 (each q[i].rc says which). */
size_t db_exec_all(struct db *db, struct db_query *q, size_t n);

/* The body of a transaction: statements through db_exec on the transaction's shard only.
 * Returns 0 to commit; anything else rolls back and becomes db_tx's result. */
typedef int (*db_tx_fn)(struct db *db, void *arg);

/* Runs fn inside one transaction on shard: BEGIN, fn, COMMIT, or ROLLBACK when fn or the commit
 * failed (one cleanup path). A deadlock or lock wait timeout runs the whole of fn again, up to
 * three times, so fn must only act through the database. A db_exec on another shard inside fn
 * is refused (-1): a transaction never spans shards, which may move to other instances.
 * Returns fn's result, or -1 when the transaction itself failed. */
int db_tx(struct db *db, unsigned shard, db_tx_fn fn, void *arg);

/* A round gathered statement by statement (db_batch_add), then run (db_batch_run): it keeps
 * copies of each statement's text and parameter list (the bytes of text parameters stay
 * borrowed until the run), and each statement's rows. For reads that need one statement per
 * shard: the shards' instances answer at the same time. DB_BATCH_INIT, then db_batch_free. */
struct db_batch {
	struct db_query *q;        /* after the run: q[i].rc and q[i].out, statement i's result */
	size_t           n;
	char           **sql;      /* owned: q[i].sql */
	struct db_val  **params;   /* owned: q[i].params */
	struct db_rows  *rows;     /* owned: q[i].out */
};
#define DB_BATCH_INIT { NULL, 0, NULL, NULL, NULL }

/* Adds a statement, as db_exec takes it, to b. Returns its index in b->q. */
size_t db_batch_add(struct db_batch *b, unsigned shard, const char *sql,
    const struct db_val *params, size_t nparams);
/* Adds to b one statement per shard among ids[0..n) (sorted by shard; IDs of no shard of the
 * map skipped), per DB_IN_MAX of them: head, the IN list's placeholders, tail, with the IDs
 * (a list padded as db_in_size says) then extra[0..nextra) as parameters. For "the rows of
 * these users / records" read from every shard they live on in one round. */
#define DB_IN_EXTRA_MAX 4
void db_batch_add_in(struct db *db, struct db_batch *b, const uint64_t *ids, size_t n,
    const char *head, const char *tail, const struct db_val *extra, size_t nextra);
/* Runs b's statements as one round (db_exec_all), once. Returns how many did not answer 0. */
size_t db_batch_run(struct db *db, struct db_batch *b);
/* Releases b and its rows, and makes it empty again. */
void db_batch_free(struct db_batch *b);

/* ------------------------------------------------------------------------------------------ */
/* Administration (starling-admin): not for request handlers. */

/* Creates shard's database if it does not exist (utf8mb4). Returns 0 or -1 (message in err). */
int db_create_shard_database(struct db *db, unsigned shard, struct buf *err);

/* Runs a script of several ;-separated statements (a file of sql/) in shard's database and
 * reads every result. Returns 0 or -1 with the server's message in err. */
int db_run_script(struct db *db, unsigned shard, const char *text, size_t len, struct buf *err);

/* Closes every connection (the next use reopens them). */
void db_close_all(struct db *db);

void db_free(struct db *db);

/* How many statements (each execute, transaction start and end) this process has sent to
 * MariaDB so far: the access log shows each request's share, and tests/bench reads it to count
 * round trips per route. */
uint64_t db_round_trips(const struct db *db);
/* How often this process found instance i failing: errors (connects that failed, connections
 * lost, the failures its breaker counts) and timeouts (statements past their deadline, whether
 * the instance then counted as hung or only slow). Both only grow; /metrics sums them over the
 * host (lib/base/metrics.h). */
void db_instance_failures(const struct db *db, size_t i, uint64_t *errors, uint64_t *timeouts);

/* How many round trips this process spent on its connections rather than on statements: each
 * prepare (once per statement and connection), idle ping and statement run under
 * db_count_as_setup. Counted apart because they fall on
 * whichever request comes first to a process (every request under plain CGI), not on a route:
 * the access log shows them as prep=, so a route's db= is the same in every set-up. */
uint64_t db_setup_trips(const struct db *db);

/* Counts the statements that follow as set-up (db_setup_trips) while on: a process's own
 * housekeeping, such as leasing its ID worker number (lib/store/idlease.c), which falls on
 * whichever request comes first. Returns the previous setting, to put back. */
bool db_count_as_setup(struct db *db, bool on);

#endif
