/* db_round.c: rounds, the concurrent part of lib/store/db.c's module: db_exec_all, db_exec and
 * db_batch start statements on several instances at once and poll their sockets together;
 * db_exec_instance(s) read every shard of an instance in one statement. (db_int.h) */
#include "config.h"

#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>
#include <mysqld_error.h>

#include "breaker.h"
#include "id.h"
#include "buf.h"
#include "db.h"
#include "db_int.h"
#include "clock.h"
#include "log.h"
#include "shard.h"
#include "xalloc.h"

/* The most shards one db_exec_instance statement reads: a bound on its text and its plan. */
#define DB_UNION_MAX 64

/* MYSQL_BIND takes a non-const buffer for input and output alike; parameters are only read. */
static void *
param_buffer(const void *p)
{
	union { const void *c; void *v; } u = { p };

	return u.v;
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
	int                 attempt;     /* 1: run again on a new connection (db_lost_connection) */
	uint64_t            deadline;    /* the statement's time, from its first start */
	uint64_t            until;       /* when the running call's wait ends (db_wait_until) */
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
	if (in->conn != NULL && (db_deadline_passed(db) ||
	    breaker_state(db->brk, in->slot, NULL) == BREAKER_OPEN)) {
		/* Never run again: the time is up, and it may have run. */
		db_statement_overdue(db, in, f->q->shard, sql);
		flight_end(db, f, -1);
		return;
	}
	if (db_instance_failing(e)) {
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
	if (!db_lost_connection(e)) {
		flight_end(db, f, -1);
		return;
	}
	/* The connection is gone, and every statement prepared on it: open a new one and prepare
	 * again, unless a transaction was open (it is lost with the connection) or the statement
	 * may have run already (a failed prepare never ran anything). */
	retry = f->attempt == 0 && !db->in_tx && (f->s == NULL || db_safe_to_retry(e, sql));
	db_instance_close(in);
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
		f->until = db_wait_until(f->in, status, f->deadline, clock_mono_ms());
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
		} else if (db_fetch_rows(db, f->in, f->s->stmt, f->q->out ? f->q->out : &scratch,
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
		db_deadline_arm(db);
		f->deadline = db->deadline;
	}
	db->deadline = f->deadline;
	f->e = 0;
	if ((f->in = db_shard_conn(db, q->shard)) == NULL) {
		f->q->rc = -1;
		f->step = FL_DONE;
		return;
	}
	f->s = db_stmt_get(db, f->in, q->shard, q->sql, &f->e);
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
 * breakers are read, as db_wait_for does), and continues each one that is ready. One past its time,
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
		    .events = db_poll_events(fl[i].status) };
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
		int events = db_ready_events(p[i].revents);

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

void
db_batch_add_in(struct db *db, struct db_batch *b, const uint64_t *ids, size_t n,
    const char *head, const char *tail, const struct db_val *extra, size_t nextra)
{
	struct db_val p[DB_IN_MAX + DB_IN_EXTRA_MAX];
	struct buf sql = BUF_INIT;
	size_t i, j, k, m;

	if (nextra > DB_IN_EXTRA_MAX) {
		log_error("db_batch_add_in: %zu extra parameters, at most %d", nextra,
		    DB_IN_EXTRA_MAX);
		return;
	}
	for (i = 0; i < n; i = j) {
		for (j = i; j < n && j - i < DB_IN_MAX && id_shard(ids[j]) == id_shard(ids[i]); j++)
			continue;
		if (!db_id_has_shard(db, ids[i]))
			continue;
		m = db_in_size(j - i);
		buf_reset(&sql);
		buf_puts(&sql, head);
		db_placeholders(&sql, m);
		buf_puts(&sql, tail);
		for (k = 0; k < m; k++)
			p[k] = DB_U64(ids[i + k < j ? i + k : j - 1]);
		memcpy(p + m, extra, nextra * sizeof *p);
		db_batch_add(b, id_shard(ids[i]), buf_cstr(&sql), p, m + nextra);
	}
	buf_free(&sql);
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
		db_fill_shard(db, sql, s, &text);
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
