/* db_stmt.c: one statement on one connection: the text with its shard's database filled in,
 * prepared (cached on the connection), bound, executed and its rows read; the rows' accessors;
 * failures classified for the breakers and retries; and transactions. Part of lib/store/db.c's
 * module (db_int.h). */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>

#include "breaker.h"
#include "db.h"
#include "db_int.h"
#include "log.h"
#include "shard.h"
#include "xalloc.h"

/* How often a transaction that hit a deadlock or lock wait timeout is run in all. */
#define DB_TX_ATTEMPTS 3

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
void
db_stmt_drop(struct db_instance *in, struct db_stmt *s)
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
bool
db_lost_connection(unsigned int e)
{
	return e == CR_SERVER_GONE_ERROR || e == CR_SERVER_LOST || e == ER_CONNECTION_KILLED ||
	    e == ER_UNKNOWN_STMT_HANDLER;
}

/* Whether errno e is the instance failing (gone, lost, timed out), which its breaker counts;
 * not a statement the server refused, nor a statement handle it forgot (a restart: it
 * answers). */
bool
db_instance_failing(unsigned int e)
{
	return db_lost_connection(e) && e != ER_UNKNOWN_STMT_HANDLER;
}

/* Whether a statement that failed with errno e may run again on a fresh connection: only when it
 * surely did not run. "Gone" is seen before the statement is sent; "lost" during it, when it
 * may have run, so only a read is repeated then. */
bool
db_safe_to_retry(unsigned int e, const char *sql)
{
	if (e == CR_SERVER_GONE_ERROR || e == ER_UNKNOWN_STMT_HANDLER)
		return true;
	sql += strspn(sql, "(");     /* a UNION of parenthesized arms (db_exec_instance) */
	return db_lost_connection(e) && strncmp(sql, "SELECT", 6) == 0;
}

/* Appends sql to out with each "{db}" filled in with shard's database (`starling_0007`) and
 * each "{shard}" with its number. */
void
db_fill_shard(const struct db *db, const char *sql, unsigned shard, struct buf *out)
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
struct db_stmt *
db_stmt_get(struct db *db, struct db_instance *in, unsigned shard, const char *sql,
    unsigned int *e)
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
	db_fill_shard(db, sql, shard, &db->sql);

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
		db_stmt_drop(in, in->oldest);
	s->chain = in->bucket[h % in->nbuckets];
	in->bucket[h % in->nbuckets] = s;
	lru_push(in, s);
	in->nstmts++;
	return s;
}

/* Reads every row of the executed statement st (of in), its result stored in the client already
 * (flight_advance), into out (emptied first). Returns 0 or -1 (*e). */
int
db_fetch_rows(struct db *db, struct db_instance *in, MYSQL_STMT *st, struct db_rows *out,
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

/* ------------------------------------------------------------------------------------------ */
/* Transactions */

/* Runs a statement that takes no data (BEGIN, COMMIT, ROLLBACK) on in. Returns 0 or -1 (*e). */
static int
simple_query(struct db *db, struct db_instance *in, const char *q, unsigned int *e)
{
	int rc = 1;

	db_deadline_arm(db);
	DB_NB(db, in, rc, in->conn, mysql_real_query_start(&rc, in->conn, q,
	    (unsigned long)strlen(q)), mysql_real_query_cont);
	if (rc == 0)
		return 0;
	*e = mysql_errno(in->conn);
	log_error("mysql %s: %s failed: %u %s", in->name, q, *e, mysql_error(in->conn));
	if (db_instance_failing(*e)) {
		in->errors++;
		breaker_fail(db->brk, in->slot, mysql_error(in->conn));
	}
	if (db_lost_connection(*e))
		db_instance_close(in);
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
		db_deadline_arm(db);
		in = db_shard_conn(db, shard);
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
