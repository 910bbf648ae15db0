/* db_int.h: what the files of lib/store/db.c's module share (db.c, db_stmt.c, db_round.c): the
 * connection and statement-cache structures, the wait of every non-blocking call, and the
 * helpers each file lends the others. Internal: nothing outside those files includes it. */
#ifndef STARLING_DB_INT_H
#define STARLING_DB_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <mysql.h>

#include "buf.h"
#include "db.h"

/* How often a process waiting for an instance looks whether its breaker opened (db_wait_for). */
#define DB_WAIT_SLICE_MS 50

/* Runs one non-blocking call of the client library to its end, waiting (db_wait_for) at most until
 * db's deadline: START is the call's _start form (it returns the status to wait for), CONT its
 * _cont function, RET and OBJ what both take. One form for every call: each has its own result
 * and handle types, which a function could only take as void pointers. */
#define DB_NB(db, in, ret, obj, start, cont) do {                                         \
	int nb_status_ = (start);                                                          \
	while (nb_status_ != 0)                                                            \
		nb_status_ = cont(&(ret), (obj), db_wait_for((db), (in), nb_status_,          \
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
/* db.c: connections and the waits (each function's comment is at its definition). */

/* Closes in's connection and every statement prepared on it. */
void db_instance_close(struct db_instance *in);
/* The poll(2) events a non-blocking call's status waits for; the status poll's revents give. */
short db_poll_events(int status);
int db_ready_events(short revents);
/* Until when (ms) a call of in waiting with status may wait. */
uint64_t db_wait_until(const struct db_instance *in, int status, uint64_t deadline, uint64_t now);
/* Waits for in's socket as status asks, at most until deadline; the status for the _cont call. */
int db_wait_for(const struct db *db, const struct db_instance *in, int status, uint64_t deadline);
/* Starts the clock of one statement or transaction end; whether it ran out. */
void db_deadline_arm(struct db *db);
bool db_deadline_passed(const struct db *db);
/* The connected instance of shard, or NULL (logged). */
struct db_instance *db_shard_conn(struct db *db, unsigned shard);
/* The statement on in ran past its deadline: closes the connection, kills the statement. */
void db_statement_overdue(struct db *db, struct db_instance *in, unsigned shard, const char *sql);

/* ------------------------------------------------------------------------------------------ */
/* db_stmt.c: statements on one connection. */

/* Removes s from in's statement cache and closes it. */
void db_stmt_drop(struct db_instance *in, struct db_stmt *s);
/* What a client errno e means: the connection gone; the instance failing (its breaker counts
 * it); the statement sql safe to run again on a fresh connection. */
bool db_lost_connection(unsigned int e);
bool db_instance_failing(unsigned int e);
bool db_safe_to_retry(unsigned int e, const char *sql);
/* Appends sql to out with {db} and {shard} filled in for shard. */
void db_fill_shard(const struct db *db, const char *sql, unsigned shard, struct buf *out);
/* The cached statement for (sql, shard) on in, prepared now if need be; NULL and *e on failure. */
struct db_stmt *db_stmt_get(struct db *db, struct db_instance *in, unsigned shard, const char *sql,
    unsigned int *e);
/* Reads every row of the executed statement st into out. Returns 0 or -1 (*e). */
int db_fetch_rows(struct db *db, struct db_instance *in, MYSQL_STMT *st, struct db_rows *out,
    unsigned int *e);

#endif
