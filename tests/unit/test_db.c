/* test_db.c: lib/store/db.c against two real MariaDB instances started by tests/integration/db.sh:
 * shard routing, typed parameters and rows, duplicates, the statement cache, reconnecting after
 * a killed connection, transactions (commit, rollback, lock-wait retry, one shard only, nothing
 * after a failed statement), a statement past its deadline, an instance that is down, and rounds
 * (db_exec_all, db_exec_instances): instances working at the same time, each statement's error
 * and deadline its own, one instance hung while the other answers. Skipped (77) when run without
 * the servers. */
#include "config.h"

#include "test.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <signal.h>
#include <sys/types.h>

#include "clock.h"
#include "conf.h"
#include "buf.h"
#include "db.h"
#include "idlease.h"
#include "shard.h"

static struct conf conf;
static struct db *db;

static const char TABLE[] =
    "CREATE TABLE IF NOT EXISTS t_kv ("
    " k bigint unsigned NOT NULL PRIMARY KEY,"
    " i bigint NULL,"
    " b varbinary(200) NULL,"
    " t varchar(50) CHARACTER SET utf8mb4 NOT NULL DEFAULT ''"
    ") ENGINE=InnoDB;"
    "DELETE FROM t_kv;";

/* A db on the configuration path_env names; its breakers stay open open_s seconds (0: as
 * configured). */
static struct db *
open_db_tuned(const char *path_env, struct conf *c, long open_s)
{
	struct buf err = BUF_INIT;
	const char *path = getenv(path_env);
	struct db *d = NULL;

	conf_defaults(c);
	if (conf_load(c, path, &err) != 0)
		fail_msg("conf: %s", buf_cstr(&err));
	if (open_s > 0)
		c->breaker_open_seconds = open_s;
	d = db_new(c, &err);
	if (d == NULL)
		fail_msg("db_new: %s", buf_cstr(&err));
	buf_free(&err);
	return d;
}

static struct db *
open_db(const char *path_env, struct conf *c)
{
	return open_db_tuned(path_env, c, 0);
}

static void
run_schema_file(const char *name)
{
	struct buf path = BUF_INIT, text = BUF_INIT, err = BUF_INIT;
	const char *src = getenv("STARLING_SRCDIR");

	buf_printf(&path, "%s/sql/%s", src ? src : ".", name);
	if (buf_read_file(&text, buf_cstr(&path), 1 << 20, &err) != 0 ||
	    db_run_script(db, 0, text.data, text.len, &err) != 0)
		fail_msg("%s: %s", buf_cstr(&path), buf_cstr(&err));
	buf_free(&path);
	buf_free(&text);
	buf_free(&err);
}

static int
setup(void **state)
{
	struct buf err = BUF_INIT;
	unsigned s;

	(void)state;
	db = open_db("STARLING_TEST_CONF", &conf);
	for (s = 0; s < 4; s++) {
		if (db_create_shard_database(db, s, &err) != 0 ||
		    db_run_script(db, s, TABLE, strlen(TABLE), &err) != 0)
			fail_msg("shard %u: %s", s, buf_cstr(&err));
	}
	/* The real lease table (and the migration record it writes to), for the idlease tests. */
	run_schema_file("000_schema_migration.sql");
	run_schema_file("007_system.sql");
	run_schema_file("011_id_lease_handover.sql");
	run_schema_file("011_id_lease_handover.sql");   /* twice: the migration is idempotent */
	buf_free(&err);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	db_free(db);
	conf_free(&conf);
	return 0;
}

/* Runs a statement that must succeed. */
static void
exec_ok(unsigned shard, const char *sql, const struct db_val *p, size_t n, struct db_rows *out)
{
	int rc = db_exec(db, shard, sql, p, n, out);

	if (rc != 0)
		fail_msg("shard %u: %d from %s", shard, rc, sql);
}

/* The server's port of the instance that shard lives on. */
static unsigned
shard_port(unsigned shard)
{
	struct db_rows r = DB_ROWS_INIT;
	unsigned port;

	exec_ok(shard, "SELECT @@port", NULL, 0, &r);
	port = (unsigned)db_u64(&r, 0, 0);
	db_rows_free(&r);
	return port;
}

static void
test_shards_go_to_their_instance(void **state)
{
	struct db_rows r = DB_ROWS_INIT;
	unsigned s;
	char want[32];

	(void)state;
	/* The map is 0-1@0, 2-3@1: shards 0,1 on one server, 2,3 on the other. */
	assert_int_equal(shard_port(0), shard_port(1));
	assert_int_equal(shard_port(2), shard_port(3));
	assert_int_not_equal(shard_port(0), shard_port(2));
	snprintf(want, sizeof want, "127.0.0.1:%u", shard_port(2));
	assert_string_equal(db_instance_name(db, 1), want);
	/* A row written on a shard is in that shard's database only. */
	for (s = 0; s < 4; s++)
		exec_ok(s, "INSERT INTO {db}.t_kv (k, i) VALUES (?, ?)",
		    DB_PARAMS(DB_U64(100 + s), DB_I64(s)), NULL);
	for (s = 0; s < 4; s++) {
		exec_ok(s, "SELECT k, i FROM {db}.t_kv WHERE k >= 100 AND k < 200", NULL, 0, &r);
		assert_int_equal(r.nrows, 1);
		assert_int_equal(db_u64(&r, 0, 0), 100 + s);
		assert_int_equal(db_i64(&r, 0, 1), (int64_t)s);
	}
	db_rows_free(&r);
}

/* IN lists are sent at a power-of-two length, never longer than DB_IN_MAX. */
static void
test_in_size(void **state)
{
	static const struct { size_t n, want; int line; } cases[] = {
		{ 0, 1, __LINE__ }, { 1, 1, __LINE__ }, { 2, 2, __LINE__ }, { 3, 4, __LINE__ },
		{ 20, 32, __LINE__ }, { 64, 64, __LINE__ }, { 65, 128, __LINE__ },
		{ 128, 128, __LINE__ }, { 129, DB_IN_MAX, __LINE__ }, { 100000, DB_IN_MAX, __LINE__ },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (db_in_size(cases[i].n) != cases[i].want)
			fail_msg("line %d: db_in_size(%zu) = %zu, want %zu", cases[i].line, cases[i].n,
			    db_in_size(cases[i].n), cases[i].want);
	assert_true(2 * DB_IN_MAX <= DB_MAX_PARAMS);
}

/* db_exec_instance's rows: per statement, what each arm (shard) gave. */
struct seen {
	unsigned calls, rows, shard_rows[4];
	int      stop_after;   /* answer -1 on this call (0: never) */
};

static int
collect(const struct db_rows *r, void *arg)
{
	struct seen *sn = arg;
	size_t i;

	sn->calls++;
	for (i = 0; i < r->nrows; i++) {
		uint64_t s = db_u64(r, i, 0);

		sn->rows++;
		assert_true(s < 4);
		sn->shard_rows[s]++;
		/* Each arm kept its own LIMIT and its own copy of the parameter. */
		assert_int_equal(db_i64(r, i, 1), 7);
	}
	return sn->stop_after != 0 && sn->calls == (unsigned)sn->stop_after ? -1 : 0;
}

static void
test_exec_instance_unions_its_shards(void **state)
{
	static const char sql[] = "SELECT {shard}, ? FROM {db}.t_kv WHERE k >= 300 ORDER BY k LIMIT 2";
	struct db_val seven[200];
	struct buf big = BUF_INIT;
	struct seen sn;
	uint64_t rt;
	unsigned s, k;

	(void)state;
	for (k = 0; k < 200; k++)
		seven[k] = DB_I64(7);
	/* Three rows on every shard: each arm gives two (its LIMIT). */
	for (s = 0; s < 4; s++)
		for (k = 0; k < 3; k++)
			exec_ok(s, "INSERT INTO {db}.t_kv (k) VALUES (?)",
			    DB_PARAMS(DB_U64(300 + k)), NULL);
	/* Instance 1 holds shards 2 and 3: one statement, both arms. */
	memset(&sn, 0, sizeof sn);
	rt = db_round_trips(db);
	assert_int_equal(db_exec_instance(db, 1, sql, seven, 1, collect, &sn), 0);
	assert_int_equal(db_round_trips(db) - rt, 1);
	assert_int_equal(sn.calls, 1);
	assert_int_equal(sn.rows, 4);
	assert_int_equal(sn.shard_rows[0] + sn.shard_rows[1], 0);
	assert_int_equal(sn.shard_rows[2], 2);
	assert_int_equal(sn.shard_rows[3], 2);
	/* 150 parameters an arm: two arms would pass what a statement takes (256), so each arm
	 * is a statement of its own. */
	buf_puts(&big, "SELECT {shard}, ? FROM {db}.t_kv WHERE k >= 300 AND k NOT IN (");
	db_placeholders(&big, 149);
	buf_puts(&big, ") ORDER BY k LIMIT 2");
	memset(&sn, 0, sizeof sn);
	assert_int_equal(db_exec_instance(db, 0, buf_cstr(&big), seven, 150, collect, &sn), 0);
	assert_int_equal(sn.calls, 2);
	assert_int_equal(sn.shard_rows[0], 2);
	assert_int_equal(sn.shard_rows[1], 2);
	/* A collector that stops the walk: -1, and the rows of the statements after it are not
	 * handed over (both statements ran: they go out as one round). */
	memset(&sn, 0, sizeof sn);
	sn.stop_after = 1;
	assert_int_equal(db_exec_instance(db, 0, buf_cstr(&big), seven, 150, collect, &sn), -1);
	assert_int_equal(sn.calls, 1);
	buf_free(&big);
	/* An instance that does not exist holds no shard: nothing to run. */
	memset(&sn, 0, sizeof sn);
	assert_int_equal(db_exec_instance(db, 5, sql, seven, 1, collect, &sn), 0);
	assert_int_equal(sn.calls, 0);
	/* A statement the server refuses: -1. */
	assert_int_equal(db_exec_instance(db, 0, "SELECT {shard} FROM {db}.no_such_table", NULL, 0,
	    collect, &sn), -1);
}

/* ------------------------------------------------------------------------------------------ */
/* Rounds: statements on different instances at the same time. */

/* A statement that sleeps secs on the server and answers its shard. */
static struct db_query
sleeper(unsigned shard, const struct db_val *secs, struct db_rows *out)
{
	return (struct db_query){ .shard = shard, .sql = "SELECT {shard}, SLEEP(?)", .params = secs,
	    .nparams = 1, .out = out };
}

static void
test_round_runs_instances_at_once(void **state)
{
	static const struct db_val one_s[] = { { .type = DB_T_TEXT, .s = "1", .n = 1 } };
	static const struct db_val short_s[] = { { .type = DB_T_TEXT, .s = "0.4", .n = 3 } };
	struct db_rows r[3] = { DB_ROWS_INIT, DB_ROWS_INIT, DB_ROWS_INIT };
	struct db_query q[3];
	uint64_t t0, took, rt;

	(void)state;
	db_set_statement_timeout(db, 3000);
	/* Shards 0 and 2 are on different instances: two 1 s sleeps take 1 s, not 2 (a margin
	 * for a loaded machine: the sum would be 2 s). */
	q[0] = sleeper(0, one_s, &r[0]);
	q[1] = sleeper(2, one_s, &r[1]);
	rt = db_round_trips(db);
	t0 = clock_mono_ms();
	assert_int_equal(db_exec_all(db, q, 2), 0);
	took = clock_mono_ms() - t0;
	assert_true(took >= 950);
	assert_true(took < 1800);
	assert_int_equal(db_round_trips(db) - rt, 2);
	assert_int_equal(q[0].rc, 0);
	assert_int_equal(q[1].rc, 0);
	assert_int_equal(db_u64(&r[0], 0, 0), 0);
	assert_int_equal(db_u64(&r[1], 0, 0), 2);
	/* Shards 0 and 1 share an instance, whose one connection runs one statement at a time: in
	 * order, one after the other, beside shard 2's. */
	q[0] = sleeper(0, short_s, &r[0]);
	q[1] = sleeper(1, short_s, &r[1]);
	q[2] = sleeper(2, short_s, &r[2]);
	t0 = clock_mono_ms();
	assert_int_equal(db_exec_all(db, q, 3), 0);
	took = clock_mono_ms() - t0;
	assert_true(took >= 780);
	assert_true(took < 1200);
	assert_int_equal(db_u64(&r[1], 0, 0), 1);
	assert_int_equal(db_u64(&r[2], 0, 0), 2);
	/* A round of none. */
	assert_int_equal(db_exec_all(db, q, 0), 0);
	db_set_statement_timeout(db, conf.mysql_statement_timeout_ms);
	db_rows_free(&r[0]);
	db_rows_free(&r[1]);
	db_rows_free(&r[2]);
}

static void
test_round_keeps_errors_apart(void **state)
{
	struct db_rows r[4] = { DB_ROWS_INIT, DB_ROWS_INIT, DB_ROWS_INIT, DB_ROWS_INIT };
	struct db_query q[4] = {
		{ .shard = 0, .sql = "SELECT k FROM {db}.no_such_table", .out = &r[0] },
		{ .shard = 2, .sql = "SELECT ?", .params = (struct db_val[]){ DB_I64(42) },
		    .nparams = 1, .out = &r[1] },
		{ .shard = 3, .sql = "INSERT INTO {db}.t_kv (k) VALUES (?)",
		    .params = (struct db_val[]){ DB_U64(700) }, .nparams = 1, .out = &r[2] },
		{ .shard = 9, .sql = "SELECT 1", .out = &r[3] },
	};

	(void)state;
	exec_ok(3, "INSERT INTO {db}.t_kv (k) VALUES (700)", NULL, 0, NULL);
	/* A refused statement, a duplicate and a shard that does not exist, each its own; the
	 * good one is answered. */
	assert_int_equal(db_exec_all(db, q, 4), 3);
	assert_int_equal(q[0].rc, -1);
	assert_int_equal(q[1].rc, 0);
	assert_int_equal(db_i64(&r[1], 0, 0), 42);
	assert_int_equal(q[2].rc, DB_DUPLICATE);
	assert_int_equal(q[3].rc, -1);
	/* Too many parameters: refused before anything is sent. */
	q[1].nparams = DB_MAX_PARAMS + 1;
	assert_int_equal(db_exec_all(db, &q[1], 1), 1);
	assert_int_equal(q[1].rc, -1);
	assert_int_equal(db_instance_state(db, 0, NULL), DB_INSTANCE_UP);
	assert_int_equal(db_instance_state(db, 1, NULL), DB_INSTANCE_UP);
	exec_ok(3, "DELETE FROM {db}.t_kv WHERE k = 700", NULL, 0, NULL);
	db_rows_free(&r[0]);
	db_rows_free(&r[1]);
	db_rows_free(&r[2]);
	db_rows_free(&r[3]);
}

/* A statement over its time on one instance fails alone: the other's answer is kept, and the
 * round ends at the deadline, not when the slow one would. */
static void
test_round_deadline_is_per_statement(void **state)
{
	struct db_rows r[2] = { DB_ROWS_INIT, DB_ROWS_INIT };
	struct db_query q[2];
	uint64_t t0, took;

	(void)state;
	q[0] = sleeper(0, (struct db_val[]){ DB_STR("0.2") }, &r[0]);
	q[1] = sleeper(2, (struct db_val[]){ DB_STR("5") }, &r[1]);
	db_set_statement_timeout(db, 600);
	t0 = clock_mono_ms();
	assert_int_equal(db_exec_all(db, q, 2), 1);
	took = clock_mono_ms() - t0;
	db_set_statement_timeout(db, conf.mysql_statement_timeout_ms);
	assert_int_equal(q[0].rc, 0);
	assert_int_equal(r[0].nrows, 1);
	assert_int_equal(q[1].rc, -1);
	assert_true(took < 2500);
	/* Slow, not hung: the instance still counts as up, and answers. */
	assert_int_equal(db_instance_state(db, 1, NULL), DB_INSTANCE_UP);
	exec_ok(2, "SELECT 1", NULL, 0, &r[1]);
	db_rows_free(&r[0]);
	db_rows_free(&r[1]);
}

/* A batch keeps its own copies: the caller's text and parameters can change after each add. */
static void
test_batch_keeps_copies(void **state)
{
	struct db_batch b = DB_BATCH_INIT;
	struct buf sql = BUF_INIT;
	struct db_val p[1];
	unsigned s;

	(void)state;
	for (s = 0; s < 4; s++) {
		buf_reset(&sql);
		buf_printf(&sql, "SELECT {shard}, ? + %u", s);
		p[0] = DB_I64(10 * s);
		assert_int_equal(db_batch_add(&b, s, buf_cstr(&sql), p, 1), s);
	}
	buf_reset(&sql);
	buf_puts(&sql, "SELEKT");
	p[0] = DB_I64(-1);
	assert_int_equal(db_batch_run(db, &b), 0);
	for (s = 0; s < 4; s++) {
		assert_int_equal(b.q[s].rc, 0);
		assert_int_equal(db_u64(b.q[s].out, 0, 0), s);
		assert_int_equal(db_i64(b.q[s].out, 0, 1), 11 * s);
	}
	db_batch_free(&b);
	assert_int_equal(b.n, 0);
	db_batch_free(&b);   /* twice: empty */
	buf_free(&sql);
}

/* The pid of the MariaDB server of instance i: its pid file is next to its root socket. */
static pid_t
instance_pid(size_t i)
{
	const char *p = getenv("STARLING_TEST_ROOT_SOCKETS");
	char path[1200];
	long pid = 0;
	size_t k, n;
	FILE *f;

	assert_non_null(p);
	for (k = 0; k < i && p != NULL; k++) {
		p = strchr(p, ' ');
		p = p ? p + 1 : NULL;
	}
	assert_non_null(p);
	n = strcspn(p, " ");
	while (n > 0 && p[n - 1] != '/')
		n--;
	snprintf(path, sizeof path, "%.*smariadb.pid", (int)n, p);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%ld", &pid), 1);
	fclose(f);
	return (pid_t)pid;
}

/* One instance hung (SIGSTOP, as test_resilience.py stops one): the other answers within the
 * statement's time, db_exec_instances says which failed, and only the hung one's breaker opens
 * (a db of its own, whose breakers stay open 1 s). */
static void
test_round_survives_a_hung_instance(void **state)
{
	static const char sql[] = "SELECT {shard}, ? FROM {db}.t_kv WHERE k >= 300 ORDER BY k LIMIT 2";
	struct timespec pause = { 0, 100 * 1000 * 1000 };
	pid_t pid = instance_pid(1);
	struct conf c2;
	struct db *d = open_db_tuned("STARLING_TEST_CONF", &c2, 1);
	bool failed[2] = { true, true };
	enum db_instance_state up, down;
	struct seen sn;
	uint64_t t0, took;
	size_t nfailed;
	int tries;

	(void)state;
	memset(&sn, 0, sizeof sn);
	db_set_statement_timeout(d, 500);
	assert_int_equal(db_exec(d, 2, "SELECT 1", NULL, 0, NULL), 0);   /* connected first */
	assert_int_equal(kill(pid, SIGSTOP), 0);
	t0 = clock_mono_ms();
	nfailed = db_exec_instances(d, sql, DB_PARAMS(DB_I64(7)), collect, &sn, failed);
	took = clock_mono_ms() - t0;
	up = db_instance_state(d, 0, NULL);
	down = db_instance_state(d, 1, NULL);
	assert_int_equal(kill(pid, SIGCONT), 0);
	assert_int_equal(nfailed, 1);
	assert_false(failed[0]);
	assert_true(failed[1]);
	/* Instance 0's two shards (test_exec_instance_unions_its_shards left three rows on each),
	 * nothing of the hung one's. */
	assert_int_equal(sn.calls, 1);
	assert_int_equal(sn.shard_rows[0] + sn.shard_rows[1], 4);
	assert_int_equal(sn.shard_rows[2] + sn.shard_rows[3], 0);
	/* The deadline, then a probe connect of at most 300 ms (DB_PROBE_MS) that finds it hung. */
	assert_true(took < 1500);
	assert_int_equal(up, DB_INSTANCE_UP);
	assert_int_equal(down, DB_INSTANCE_DOWN);
	/* Back: once its breaker lets a probe through, its statements reconnect and answer. */
	for (tries = 0; db_exec(d, 2, "SELECT 1", NULL, 0, NULL) != 0; tries++) {
		assert_true(tries < 30);
		nanosleep(&pause, NULL);
	}
	memset(&sn, 0, sizeof sn);
	assert_int_equal(db_exec_instances(d, sql, DB_PARAMS(DB_I64(7)), collect, &sn,
	    failed), 0);
	assert_false(failed[1]);
	assert_int_equal(sn.rows, 8);
	db_free(d);
	conf_free(&c2);
}

static void
test_values_round_trip(void **state)
{
	static const char bytes[] = { 'a', '\0', 'b', '\n', (char)0xff };
	struct db_rows r = DB_ROWS_INIT;

	(void)state;
	exec_ok(1, "INSERT INTO {db}.t_kv (k, i, b, t) VALUES (?, ?, ?, ?)",
	    DB_PARAMS(DB_U64(UINT64_MAX), DB_I64(INT64_MIN), DB_BYTES(bytes, sizeof bytes),
		DB_STR("\xe4\xbd\xa0\xe5\xa5\xbd, Starling")), &r);
	assert_int_equal(r.affected, 1);
	assert_int_equal(r.nrows, 0);
	exec_ok(1, "INSERT INTO {db}.t_kv (k, i, b) VALUES (?, ?, ?)",
	    DB_PARAMS(DB_U64(7), DB_NULL, DB_STR("")), NULL);

	exec_ok(1, "SELECT k, i, b, t FROM {db}.t_kv WHERE k = ?",
	    DB_PARAMS(DB_U64(UINT64_MAX)), &r);
	assert_int_equal(r.nrows, 1);
	assert_int_equal(r.ncols, 4);
	assert_true(db_u64(&r, 0, 0) == UINT64_MAX);
	assert_true(db_i64(&r, 0, 1) == INT64_MIN);
	assert_int_equal(db_len(&r, 0, 2), sizeof bytes);
	assert_memory_equal(db_str(&r, 0, 2), bytes, sizeof bytes);
	assert_string_equal(db_str(&r, 0, 3), "\xe4\xbd\xa0\xe5\xa5\xbd, Starling");

	/* NULL and the empty string stay apart. */
	exec_ok(1, "SELECT i, b, t FROM {db}.t_kv WHERE k = ?", DB_PARAMS(DB_U64(7)),
	    &r);
	assert_int_equal(r.nrows, 1);
	assert_true(db_is_null(&r, 0, 0));
	assert_string_equal(db_str(&r, 0, 0), "");
	assert_false(db_is_null(&r, 0, 1));
	assert_int_equal(db_len(&r, 0, 1), 0);
	/* Out of range cells read as empty, never crash. */
	assert_string_equal(db_str(&r, 5, 0), "");
	assert_true(db_is_null(&r, 0, 9));

	/* No rows: an empty result, not an error. */
	exec_ok(1, "SELECT k FROM {db}.t_kv WHERE k = ?", DB_PARAMS(DB_U64(8)), &r);
	assert_int_equal(r.nrows, 0);
	/* UPDATE reports the rows it changed. */
	exec_ok(1, "UPDATE {db}.t_kv SET i = i WHERE k IN (?, ?)",
	    DB_PARAMS(DB_U64(7), DB_U64(UINT64_MAX)), &r);
	db_rows_free(&r);
}

static void
test_errors(void **state)
{
	struct db_rows r = DB_ROWS_INIT;
	struct db_val v[] = { DB_U64(500), DB_I64(1) };

	(void)state;
	exec_ok(2, "INSERT INTO {db}.t_kv (k, i) VALUES (?, ?)", v, 2, NULL);
	assert_int_equal(db_exec(db, 2, "INSERT INTO {db}.t_kv (k, i) VALUES (?, ?)", v, 2, NULL),
	    DB_DUPLICATE);
	/* The same key on another shard is another row. */
	exec_ok(3, "INSERT INTO {db}.t_kv (k, i) VALUES (?, ?)", v, 2, NULL);
	/* Wrong parameter count, bad SQL, a shard that does not exist. */
	assert_int_equal(db_exec(db, 2, "SELECT k FROM {db}.t_kv WHERE k = ?", v, 2, &r), -1);
	assert_int_equal(db_exec(db, 2, "SELEKT 1", NULL, 0, &r), -1);
	assert_int_equal(db_exec(db, 4, "SELECT 1", NULL, 0, &r), -1);
	/* The connection is still good afterwards. */
	exec_ok(2, "SELECT COUNT(*) FROM {db}.t_kv WHERE k = 500", NULL, 0, &r);
	assert_int_equal(db_u64(&r, 0, 0), 1);
	db_rows_free(&r);
}

/* Prepared statements on the server, over every connection (only the test's exist). */
static uint64_t
server_prepared(unsigned shard)
{
	struct db_rows r = DB_ROWS_INIT;
	uint64_t n;

	exec_ok(shard, "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "
	    "WHERE VARIABLE_NAME = 'PREPARED_STMT_COUNT'", NULL, 0, &r);
	n = db_u64(&r, 0, 0);
	db_rows_free(&r);
	return n;
}

static void
test_statement_cache_is_bounded(void **state)
{
	static const char *const sql[] = {
		"SELECT 1 FROM {db}.t_kv WHERE k = ?", "SELECT 2 FROM {db}.t_kv WHERE k = ?",
		"SELECT 3 FROM {db}.t_kv WHERE k = ?", "SELECT 4 FROM {db}.t_kv WHERE k = ?",
		"SELECT 5 FROM {db}.t_kv WHERE k = ?", "SELECT 6 FROM {db}.t_kv WHERE k = ?",
		"SELECT 7 FROM {db}.t_kv WHERE k = ?", "SELECT 8 FROM {db}.t_kv WHERE k = ?",
		"SELECT 9 FROM {db}.t_kv WHERE k = ?", "SELECT 10 FROM {db}.t_kv WHERE k = ?",
	};
	struct db_rows r = DB_ROWS_INIT;
	size_t i, round;
	unsigned s;

	(void)state;
	/* statement_cache = 8 in the test's configuration: 10 texts on 2 shards of an instance
	 * (20 statements) never keep more than 8 on its connection. */
	for (round = 0; round < 2; round++)
		for (i = 0; i < sizeof sql / sizeof sql[0]; i++)
			for (s = 0; s < 2; s++) {
				exec_ok(s, sql[i], DB_PARAMS(DB_U64(100 + s)), &r);
				assert_int_equal(r.nrows, 1);
				assert_int_equal(db_u64(&r, 0, 0), i + 1);
			}
	assert_true(server_prepared(0) <= 8);
	assert_true(server_prepared(0) >= 2);
	db_rows_free(&r);
}

/* Kills every connection of the application account on the instance of shard, as root through
 * that instance's socket (STARLING_TEST_ROOT_SOCKETS lists them in instance order). */
static void
kill_connections(unsigned shard)
{
	const char *p = getenv("STARLING_TEST_ROOT_SOCKETS");
	size_t inst = shard_instance(db_shards(db), shard), i, n;
	char cmd[1400];

	assert_non_null(p);
	for (i = 0; i < inst && p != NULL; i++) {
		p = strchr(p, ' ');
		p = p ? p + 1 : NULL;
	}
	assert_non_null(p);
	n = strcspn(p, " ");
	snprintf(cmd, sizeof cmd, "mariadb --no-defaults --socket=%.*s --user=root --batch "
	    "--skip-column-names -e \"SELECT CONCAT('KILL ', id, ';') FROM information_schema.PROCESSLIST "
	    "WHERE user = 'starling'\" | mariadb --no-defaults --socket=%.*s --user=root", (int)n, p,
	    (int)n, p);
	assert_int_equal(system(cmd), 0);
}

static void
test_reconnect_after_lost_connection(void **state)
{
	struct db_rows r = DB_ROWS_INIT;
	uint64_t before;
	int rc;

	(void)state;
	exec_ok(0, "SELECT CONNECTION_ID()", NULL, 0, &r);
	before = db_u64(&r, 0, 0);
	kill_connections(0);
	/* A read is repeated on a new connection, with its statement prepared again. */
	exec_ok(0, "SELECT CONNECTION_ID()", NULL, 0, &r);
	assert_true(db_u64(&r, 0, 0) != before);
	exec_ok(0, "SELECT k FROM {db}.t_kv WHERE k = ?", DB_PARAMS(DB_U64(100)), &r);
	assert_int_equal(r.nrows, 1);

	/* A write is never sent twice: after a kill it may fail once, then works, and the row is
	 * there exactly once. */
	kill_connections(0);
	rc = db_exec(db, 0, "INSERT INTO {db}.t_kv (k) VALUES (?)", DB_PARAMS(DB_U64(900)), NULL);
	assert_true(rc == 0 || rc == -1);
	if (rc != 0)
		exec_ok(0, "INSERT INTO {db}.t_kv (k) VALUES (?)", DB_PARAMS(DB_U64(900)),
		    NULL);
	exec_ok(0, "SELECT COUNT(*) FROM {db}.t_kv WHERE k = 900", NULL, 0, &r);
	assert_int_equal(db_u64(&r, 0, 0), 1);
	db_rows_free(&r);
}

/* ------------------------------------------------------------------------------------------ */
/* Transactions */

struct tx_case {
	unsigned shard;       /* where fn writes */
	int      result;      /* what fn returns */
	bool     ignore_fail; /* fn runs a failing statement and returns 0 anyway */
	int      calls;
};

static int
tx_body(struct db *d, void *arg)
{
	struct tx_case *c = arg;

	c->calls++;
	if (db_exec(d, c->shard, "INSERT INTO {db}.t_kv (k, i) VALUES (?, ?)",
	    DB_PARAMS(DB_U64(2000), DB_I64(c->calls)), NULL) != 0)
		return -1;
	if (c->ignore_fail)
		(void)db_exec(d, c->shard, "SELEKT", NULL, 0, NULL);
	return c->result;
}

static uint64_t
count_key(unsigned shard, uint64_t k)
{
	struct db_rows r = DB_ROWS_INIT;
	uint64_t n;

	exec_ok(shard, "SELECT COUNT(*) FROM {db}.t_kv WHERE k = ?", DB_PARAMS(DB_U64(k)),
	    &r);
	n = db_u64(&r, 0, 0);
	db_rows_free(&r);
	return n;
}

static void
test_tx_commit_and_rollback(void **state)
{
	struct tx_case c;

	(void)state;
	/* fn's own result rolls back and is handed back. */
	c = (struct tx_case){ .shard = 2, .result = 5 };
	assert_int_equal(db_tx(db, 2, tx_body, &c), 5);
	assert_int_equal(count_key(2, 2000), 0);
	/* A failed statement that fn ignored still rolls back. */
	c = (struct tx_case){ .shard = 2, .result = 0, .ignore_fail = true };
	assert_int_equal(db_tx(db, 2, tx_body, &c), -1);
	assert_int_equal(count_key(2, 2000), 0);
	/* A statement on another shard is refused, and the whole transaction with it. */
	c = (struct tx_case){ .shard = 3, .result = 0 };
	assert_int_equal(db_tx(db, 2, tx_body, &c), -1);
	assert_int_equal(count_key(3, 2000), 0);
	/* Success commits. */
	c = (struct tx_case){ .shard = 2, .result = 0 };
	assert_int_equal(db_tx(db, 2, tx_body, &c), 0);
	assert_int_equal(count_key(2, 2000), 1);
	assert_int_equal(c.calls, 1);
}

/* A transaction whose fn goes on after a failed statement runs nothing more: its connection may
 * be a new one by then, outside the transaction. */
static int
tx_goes_on(struct db *d, void *arg)
{
	int *after = arg;

	(void)db_exec(d, 2, "SELEKT", NULL, 0, NULL);
	*after = db_exec(d, 2, "INSERT INTO {db}.t_kv (k, i) VALUES (2001, 1)", NULL, 0, NULL);
	return 0;
}

static void
test_tx_stops_after_a_failed_statement(void **state)
{
	int after = 0;

	(void)state;
	assert_int_equal(db_tx(db, 2, tx_goes_on, &after), -1);
	assert_int_equal(after, -1);
	assert_int_equal(count_key(2, 2001), 0);
}

/* A statement past its deadline on an instance that answers fails at once, is killed on the
 * server, and does not count against the instance. */
static void
test_slow_statement_is_killed(void **state)
{
	struct db_rows r = DB_ROWS_INIT;
	struct timespec pause = { 0, 100 * 1000 * 1000 };
	uint64_t t0 = clock_mono_ms();
	int tries;

	(void)state;
	db_set_statement_timeout(db, 300);
	assert_int_equal(db_exec(db, 0, "SELECT SLEEP(5)", NULL, 0, &r), -1);
	assert_true(clock_mono_ms() - t0 < 2000);
	db_set_statement_timeout(db, conf.mysql_statement_timeout_ms);
	assert_int_equal(db_instance_state(db, 0, NULL), DB_INSTANCE_UP);
	for (tries = 0;; tries++) {
		exec_ok(0, "SELECT COUNT(*) FROM information_schema.PROCESSLIST "
		    "WHERE INFO LIKE 'SELECT SLEEP(5)%'", NULL, 0, &r);
		if (db_u64(&r, 0, 0) == 0)
			break;
		assert_true(tries < 20);   /* still running 2 s later: never killed */
		nanosleep(&pause, NULL);
	}
	exec_ok(0, "SELECT 1", NULL, 0, &r);
	db_rows_free(&r);
}

/* Lock-wait retry: a second connection (other) holds a row lock while db's transaction wants it;
 * db's transaction times out, is run again, three times in all, then fails. */
struct lock_case {
	struct db *other;
	int        calls;
};

static int
tx_wants_row(struct db *d, void *arg)
{
	struct lock_case *c = arg;

	c->calls++;
	return db_exec(d, 0, "UPDATE {db}.t_kv SET i = i + 1 WHERE k = 100", NULL, 0, NULL);
}

static int
tx_holds_row(struct db *other, void *arg)
{
	struct lock_case *c = arg;
	struct db_rows r = DB_ROWS_INIT;
	int rc;

	(void)other;
	exec_ok(0, "SET SESSION innodb_lock_wait_timeout = 1", NULL, 0, NULL);
	if (db_exec(c->other, 0, "SELECT i FROM {db}.t_kv WHERE k = 100 FOR UPDATE", NULL, 0, &r) != 0)
		return -1;
	rc = db_tx(db, 0, tx_wants_row, c);
	db_rows_free(&r);
	return rc == -1 ? 0 : -2;
}

static void
test_tx_lock_wait_is_retried(void **state)
{
	struct conf c2;
	struct lock_case lc = { 0 };

	(void)state;
	lc.other = open_db("STARLING_TEST_CONF", &c2);
	/* The server's lock wait timeout (1 s) must come before the statement's own deadline. */
	db_set_statement_timeout(db, 0);
	db_set_statement_timeout(lc.other, 0);
	assert_int_equal(db_tx(lc.other, 0, tx_holds_row, &lc), 0);
	db_set_statement_timeout(db, conf.mysql_statement_timeout_ms);
	assert_int_equal(lc.calls, 3);
	db_free(lc.other);
	conf_free(&c2);
	exec_ok(0, "SET SESSION innodb_lock_wait_timeout = 50", NULL, 0, NULL);
}

/* ------------------------------------------------------------------------------------------ */

static void
test_instance_down(void **state)
{
	struct conf c2;
	struct db *d = open_db("STARLING_TEST_CONF_DOWN", &c2);
	struct buf err = BUF_INIT;
	struct db_rows r = DB_ROWS_INIT;

	(void)state;
	/* Shard 3 is on an instance where nothing listens: a failure, twice (the second without
	 * trying to connect); the others are served. */
	assert_int_equal(db_exec(d, 3, "SELECT 1", NULL, 0, &r), -1);
	assert_int_equal(db_exec(d, 3, "SELECT 1", NULL, 0, &r), -1);
	assert_int_equal(db_exec(d, 0, "SELECT 1", NULL, 0, &r), 0);
	assert_int_equal(db_exec(d, 2, "SELECT 1", NULL, 0, &r), 0);
	assert_int_equal(db_ping(d, 1000, &err), -1);
	assert_non_null(strstr(buf_cstr(&err), db_instance_name(d, 2)));
	assert_null(strstr(buf_cstr(&err), db_instance_name(d, 0)));
	assert_int_equal(db_tx(d, 3, tx_body, &(struct tx_case){ .shard = 3 }), -1);
	db_rows_free(&r);
	buf_free(&err);
	db_free(d);
	conf_free(&c2);
}

static void
test_run_script_reports_errors(void **state)
{
	static const char bad[] = "SELECT 1; SELEKT 2; SELECT 3;";
	struct buf err = BUF_INIT;
	struct db_rows r = DB_ROWS_INIT;

	(void)state;
	assert_int_equal(db_run_script(db, 1, bad, strlen(bad), &err), -1);
	assert_non_null(strstr(buf_cstr(&err), "SELEKT"));
	/* The connection is usable afterwards, with multi-statements off again. */
	exec_ok(1, "SELECT 42", NULL, 0, &r);
	assert_int_equal(db_u64(&r, 0, 0), 42);
	db_rows_free(&r);
	buf_free(&err);
}

/* ------------------------------------------------------------------------------------------ */
/* Worker-number leases */

static time_t fake_now = 1800000000;

static time_t
fake_clock(void)
{
	return fake_now;
}

/* A column of worker's lease row (0 when there is none). */
static uint64_t
lease_col(int worker, const char *col)
{
	struct db_rows r = DB_ROWS_INIT;
	char sql[128];
	uint64_t v;

	snprintf(sql, sizeof sql, "SELECT %s FROM {db}.tb_id_worker_lease WHERE worker = ?", col);
	exec_ok(0, sql, DB_PARAMS(DB_I64(worker)), &r);
	v = r.nrows ? db_u64(&r, 0, 0) : 0;
	db_rows_free(&r);
	return v;
}

static uint64_t
lease_expiry(int worker)
{
	return lease_col(worker, "expires_at");
}

/* Every number but keep held by another process until fake_now + IDLEASE_TTL. */
static void
hold_all_but(int keep)
{
	int w;

	for (w = 0; w < 256; w++)
		if (w != keep)
			exec_ok(0, "INSERT INTO {db}.tb_id_worker_lease (worker, holder, expires_at) "
			    "VALUES (?, 'other', ?) ON DUPLICATE KEY UPDATE holder = 'other', "
			    "expires_at = VALUES(expires_at)", DB_PARAMS(DB_I64(w),
				DB_I64(fake_now + IDLEASE_TTL)), NULL);
}

static void
test_leases_are_distinct_and_renewed(void **state)
{
	struct idlease *a, *b;
	uint64_t ida, idb;
	int wa;

	(void)state;
	exec_ok(0, "DELETE FROM {db}.tb_id_worker_lease", NULL, 0, NULL);
	a = idlease_new(db, fake_clock);
	b = idlease_new(db, fake_clock);
	assert_int_equal(idlease_worker(a), -1);       /* nothing leased before the first ID */
	assert_int_equal(idlease_next_id(a, 3, &ida), 0);
	assert_int_equal(idlease_next_id(b, 3, &idb), 0);
	wa = idlease_worker(a);
	assert_true(wa >= 0 && wa < 256);
	assert_int_not_equal(wa, idlease_worker(b));
	assert_int_equal(id_worker(ida), (unsigned)wa);
	assert_int_equal(id_shard(ida), 3);
	assert_true(ida != idb);
	assert_int_equal(lease_expiry(wa), (uint64_t)fake_now + IDLEASE_TTL);

	/* Before half the lease is gone, no renewal; after, the expiry moves on. */
	fake_now += IDLEASE_TTL / 2 - 1;
	assert_int_equal(idlease_next_id(a, 3, &ida), 0);
	assert_int_equal(lease_expiry(wa), (uint64_t)fake_now - IDLEASE_TTL / 2 + 1 + IDLEASE_TTL);
	fake_now += 1;
	assert_int_equal(idlease_next_id(a, 3, &ida), 0);
	assert_int_equal(lease_expiry(wa), (uint64_t)fake_now + IDLEASE_TTL);
	assert_int_equal(idlease_worker(a), wa);

	/* A lease taken over by someone else (here: rewritten by hand) is given up for another. */
	exec_ok(0, "UPDATE {db}.tb_id_worker_lease SET holder = 'someone else' WHERE worker = ?",
	    DB_PARAMS(DB_I64(wa)), NULL);
	fake_now += IDLEASE_TTL / 2;
	assert_int_equal(idlease_next_id(a, 3, &ida), 0);
	assert_int_not_equal(idlease_worker(a), wa);
	assert_int_equal(id_worker(ida), (unsigned)idlease_worker(a));

	/* Release at exit frees the number at once and keeps the time of its last ID. */
	wa = idlease_worker(a);
	assert_int_equal(idlease_next_id(a, 3, &ida), 0);
	idlease_free(a);
	assert_int_equal(lease_expiry(wa), 0);
	assert_int_equal(lease_col(wa, "last_id_ms"), id_unix_ms(ida));
	/* Every other number held: the next process gets this one in the same second, and its IDs
	 * come after the last one made with it, even one that ran ahead of the clock (here: 5 s,
	 * written by hand). */
	hold_all_but(wa);
	exec_ok(0, "UPDATE {db}.tb_id_worker_lease SET last_id_ms = ? WHERE worker = ?",
	    DB_PARAMS(DB_U64(id_unix_ms(ida) + 5000), DB_I64(wa)), NULL);
	a = idlease_new(db, fake_clock);
	assert_int_equal(idlease_next_id(a, 3, &idb), 0);
	assert_int_equal(idlease_worker(a), wa);
	assert_true(id_unix_ms(idb) == id_unix_ms(ida) + 5001);
	assert_true(idb > ida);
	idlease_free(a);
	/* A number given back without an ID behind it (a row of an older version) is taken too. */
	exec_ok(0, "UPDATE {db}.tb_id_worker_lease SET last_id_ms = 0 WHERE worker = ?",
	    DB_PARAMS(DB_I64(wa)), NULL);
	a = idlease_new(db, fake_clock);
	assert_int_equal(idlease_next_id(a, 3, &ida), 0);
	assert_int_equal(idlease_worker(a), wa);
	idlease_free(a);
	idlease_free(b);
}

static void
test_lease_waits_for_a_free_number(void **state)
{
	struct idlease *a;
	uint64_t id;

	(void)state;
	exec_ok(0, "DELETE FROM {db}.tb_id_worker_lease", NULL, 0, NULL);
	/* Every number held by other processes: no ID (the caller answers 503). */
	hold_all_but(-1);
	a = idlease_new(db, fake_clock);
	assert_int_equal(idlease_next_id(a, 0, &id), -1);
	assert_int_equal(idlease_worker(a), -1);
	/* One lease runs out: it is taken over, and its IDs come after the second the old holder had
	 * to stop in (fake_now is after the real clock, so the IDs run ahead of it). */
	exec_ok(0, "UPDATE {db}.tb_id_worker_lease SET expires_at = ? WHERE worker = 17",
	    DB_PARAMS(DB_I64(fake_now - 1)), NULL);
	assert_int_equal(idlease_next_id(a, 0, &id), 0);
	assert_int_equal(idlease_worker(a), 17);
	assert_int_equal(id_worker(id), 17);
	assert_true(id_unix_ms(id) > (uint64_t)(fake_now - 1) * 1000);
	idlease_free(a);
	exec_ok(0, "DELETE FROM {db}.tb_id_worker_lease", NULL, 0, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shards_go_to_their_instance),
		cmocka_unit_test(test_in_size),
		cmocka_unit_test(test_exec_instance_unions_its_shards),
		cmocka_unit_test(test_round_runs_instances_at_once),
		cmocka_unit_test(test_round_keeps_errors_apart),
		cmocka_unit_test(test_round_deadline_is_per_statement),
		cmocka_unit_test(test_batch_keeps_copies),
		cmocka_unit_test(test_round_survives_a_hung_instance),
		cmocka_unit_test(test_values_round_trip),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_statement_cache_is_bounded),
		cmocka_unit_test(test_reconnect_after_lost_connection),
		cmocka_unit_test(test_tx_commit_and_rollback),
		cmocka_unit_test(test_tx_stops_after_a_failed_statement),
		cmocka_unit_test(test_slow_statement_is_killed),
		cmocka_unit_test(test_tx_lock_wait_is_retried),
		cmocka_unit_test(test_instance_down),
		cmocka_unit_test(test_run_script_reports_errors),
		cmocka_unit_test(test_leases_are_distinct_and_renewed),
		cmocka_unit_test(test_lease_waits_for_a_free_number),
	};

	if (getenv("STARLING_TEST_CONF") == NULL) {
		fprintf(stderr, "test_db: run through tests/integration/db.sh (needs MariaDB)\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
