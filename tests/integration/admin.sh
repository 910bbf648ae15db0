#!/bin/sh
# tests/integration/admin.sh: starling-admin (migrate, shards, check, jobs, retry-job,
# reindex-replies) against two real MariaDB instances and two memcached servers.
#
# Starts them on free loopback ports under a fresh temporary directory (script/lib/stack.sh), with
# a configuration of 8 logical shards mapped "0-2@0, 3-7@1", and checks:
#   - usage errors; check before migrate fails and names every missing database;
#   - migrate applies every sql/ file to every shard, in order, and makes exactly starling_0000..
#     0002 on the first instance and starling_0003..0007 on the second; check then passes;
#   - the schema dump of every shard is the same (modulo the database name); a second migrate
#     applies nothing and changes no byte of any dump;
#   - a migrate killed (SIGKILL) halfway is completed by the next one, to the same dumps;
#   - while another session holds the migration lock, migrate refuses and changes nothing;
#   - a new migration file is applied alone, to every shard; check notices versions that the
#     schema files do not know; a failing file and a file that does not record itself stop
#     migrate with the shard, instance, file and server error;
#   - bad sql directories and bad configurations are refused (exit 2), unreachable or refusing
#     instances are reported (exit 1), and the password never appears in any output;
#   - shards prints the ranges and both instances;
#   - jobs and retry-job: a job of an unknown type, run by starling-worker --once, is set aside
#     and listed (each field, one line, control characters escaped, oldest first, --limit);
#     retry-job ID puts it back to ready (then jobs lists none; a second retry-job refuses), the
#     worker sets it aside again; bad IDs (unknown, of no shard, malformed, a done job) fail with
#     a message and change nothing, usage errors exit 2; retry-job --all puts back every one;
#   - reindex-replies fills the search form of live replies that have none (as post_reply writes
#     it), leaves deleted and filled ones alone, finds nothing the second time;
#   - with a memcached or a MariaDB instance stopped, check and shards fail naming it; jobs,
#     retry-job --all and reindex-replies name it and still handle the other instance's shards.
# Everything is stopped and the directory removed at exit, whatever happened.
#
# Run by `make check` with STARLING_SRCDIR and STARLING_BUILDDIR (absolute); by hand:
#   STARLING_SRCDIR=$PWD STARLING_BUILDDIR=$PWD sh tests/integration/admin.sh
# STARLING_KEEP_RUN=1 keeps the run directory (outputs, dumps, server logs) for a post-mortem.
# Prints one PASS or FAIL line per check, then "N passed, N failed".
# Exit status (automake): 0 passed, 1 failed, 99 could not run (missing tool, server did not start).
# shellcheck disable=SC3043 # `local`: dash and bash have it (script/lib/stack.sh uses it too)
set -eu
LC_ALL=C
export LC_ALL

SRCDIR=${STARLING_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILDDIR=${STARLING_BUILDDIR:-$SRCDIR}
ADMIN=$BUILDDIR/tools/starling-admin
WORKER=$BUILDDIR/tools/starling-worker

# shellcheck source=../../script/lib/stack.sh
. "$SRCDIR/script/lib/stack.sh"
# shellcheck disable=SC2034 # read by stack.sh
STACK_QUIET=1

say() { printf 'admin.sh: %s\n' "$*"; }

for tool in mariadbd mariadb-install-db mariadb mariadb-dump memcached python3; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		say "ERROR: '$tool' is not installed; run script/bootstrap"
		exit 99
	fi
done
for bin in "$ADMIN" "$WORKER"; do
	if [ ! -x "$bin" ]; then
		say "ERROR: $bin is not built"
		exit 99
	fi
done

RUN=$(mktemp -d "${TMPDIR:-/tmp}/starling-admin.XXXXXX")
# shellcheck source=../lib/checks.sh
. "$SRCDIR/tests/lib/checks.sh"

stack_cleanup_on_exit "$RUN"

# --- helpers -----------------------------------------------------------------------------------

# Every output of the tool is kept under RUN/out, numbered, so that the password check at the
# end sees all of them.
mkdir -p "$RUN/out"
nout=0

# admin ARGS...: run starling-admin; its stdout and stderr go to the file $out, its exit status
# to $rc.
admin() {
	nout=$((nout + 1))
	out=$RUN/out/$nout
	printf '$ starling-admin %s\n' "$*" >"$out.cmd"
	rc=0
	"$ADMIN" "$@" >"$out" 2>&1 || rc=$?
}

# admin_apart ARGS...: as admin, but stderr apart from stdout: stdout in $out, stderr in $out.err.
admin_apart() {
	nout=$((nout + 1))
	out=$RUN/out/$nout
	printf '$ starling-admin %s\n' "$*" >"$out.cmd"
	rc=0
	"$ADMIN" "$@" >"$out" 2>"$out.err" || rc=$?
}

# expect_rc WHAT WANT: the last admin run exited with WANT and no sanitizer complained.
expect_rc() {
	if [ "$rc" = "$2" ] && ! cat "$out" "$out.err" 2>/dev/null |
	    grep -q -E 'Sanitizer|runtime error'; then
		pass "$1 (exit $rc)"
	else
		fail "$1: exit $rc, want $2; output:"
		show "$out"
	fi
}

# expect_out WHAT PATTERN: the last admin output has a line matching the extended regex.
expect_out() {
	if grep -q -E -e "$2" "$out"; then
		pass "$1"
	else
		fail "$1: no line matches /$2/ in:"
		show "$out"
	fi
}

# expect_no_out WHAT PATTERN: ... and no line matching this one.
expect_no_out() {
	if grep -E -e "$2" "$out" >"$out.unwanted"; then
		fail "$1: unexpected lines:"
		show "$out.unwanted"
	else
		pass "$1"
	fi
}

# expect_err WHAT PATTERN: the last admin_apart's stderr has a line matching the extended regex.
expect_err() {
	if grep -q -E -e "$2" "$out.err"; then
		pass "$1"
	else
		fail "$1: no line matches /$2/ in stderr:"
		show "$out.err"
	fi
}

# expect_no_err WHAT PATTERN: ... and no line matching this one (".": stderr is empty).
expect_no_err() {
	if grep -E -e "$2" "$out.err" >"$out.unwanted"; then
		fail "$1: unexpected lines on stderr:"
		show "$out.unwanted"
	else
		pass "$1"
	fi
}

# A progress line of starling-admin (tools/progress.h): "what: shard N of 8, COUNT UNIT, T.T s".
progress_re() {   # progress_re WHAT N COUNT UNIT: the regex of one such line
	printf '^%s: shard %s of 8, %s %s, [0-9]+\\.[0-9] s$' "$1" "$2" "$3" "$4"
}

# applied: the "shard S (...): applied FILE" lines of the last output.
applied() {
	grep '^shard [0-9]* (.*): applied ' "$out" || true
}

# sql N STATEMENTS: run statements as root on instance N; print the rows, tab-separated.
sql() {
	stack_mariadb_client "$RUN/mariadb-$1" --batch --skip-column-names -e "$2"
}

# expect_sql WHAT N STATEMENTS WANT: the rows of STATEMENTS on instance N are exactly WANT.
expect_sql() {
	if got=$(sql "$2" "$3" 2>&1) && [ "$got" = "$4" ]; then
		pass "$1"
	else
		fail "$1: got '$got', want '$4'"
	fi
}

# The instance of shard S in this test's map, "0-2@0, 3-7@1".
instance_of() {
	if [ "$1" -le 2 ]; then echo 0; else echo 1; fi
}

# dump_all DIR: the schema of every shard into DIR/starling_000S (raw) and DIR/starling_000S.norm
# (database name replaced, for comparing shards with each other).
dump_all() {
	local s db
	mkdir -p "$1"
	for s in 0 1 2 3 4 5 6 7; do
		db=starling_000$s
		if ! mariadb-dump --no-defaults --protocol=socket --user=root \
			--socket="$RUN/mariadb-$(instance_of "$s")/mysql.sock" --no-data \
			--skip-dump-date --skip-comments "$db" >"$1/$db" 2>"$1/$db.err"; then
			fail "mariadb-dump of $db"
			show "$1/$db.err"
		fi
		sed 's/starling_[0-9][0-9][0-9][0-9]/DATABASE/g' "$1/$db" >"$1/$db.norm"
	done
}

# same_dumps WHAT DIR1 DIR2: the raw dumps of every shard are byte-identical in both; shows the
# difference of the first shard that differs.
same_dumps() {
	local s db bad
	bad=""
	for s in 7 6 5 4 3 2 1 0; do
		db=starling_000$s
		cmp -s "$2/$db" "$3/$db" || bad="$db $bad"
	done
	if [ -z "$bad" ]; then
		pass "$1"
	else
		fail "$1: these differ: $bad"
		db=${bad%% *}
		diff -u "$2/$db" "$3/$db" | sed 's/^/  | /' | head -n 40 || true
	fi
}

# wait_lock_free: until no session holds the migration lock on either instance (a killed
# client's session ends a moment after the kill).
wait_lock_free() {
	local i
	i=0
	while [ "$(sql 0 "SELECT IS_USED_LOCK('starling_migrate')")$(sql 1 \
		"SELECT IS_USED_LOCK('starling_migrate')")" != NULLNULL ]; do
		i=$((i + 1))
		[ "$i" -lt 100 ] || return 1
		sleep 0.1
	done
}

# --- start -------------------------------------------------------------------------------------
say "run directory $RUN"
stack_prepare "$RUN"
password=$(stack_gen_password)
# shellcheck disable=SC2046 # one port per word
set -- $(stack_free_ports 5)
P0=$1 P1=$2 M0=$3 M1=$4 DEAD=$5
if ! stack_backends_start "$RUN" starling starling "$password" "$P0 $P1" "$M0 $M1"; then
	say "ERROR: the servers did not start"
	exit 99
fi

CONF=$RUN/starling.conf
(
	umask 077
	cat >"$CONF" <<EOF
[mysql]
instances = 127.0.0.1:$P0, 127.0.0.1:$P1
user = starling
password = $password
database = starling
logical_shards = 8
shard_map = 0-2@0, 3-7@1
connect_timeout = 2

[memcached]
servers = 127.0.0.1:$M0, 127.0.0.1:$M1
EOF
)
SQL=$SRCDIR/sql
files=""
for f in "$SQL"/*.sql; do
	f=${f##*/}
	files="$files ${f%.sql}"
done
# shellcheck disable=SC2086 # one name per word
nfiles=$(printf '%s\n' $files | wc -l)

# --- usage -------------------------------------------------------------------------------------
admin -c "$CONF"
expect_rc "no command is a usage error" 2
expect_out "... which says so" "no command given"
admin -c "$CONF" frobnicate
expect_rc "an unknown command is a usage error" 2
admin -c "$CONF" shards check
expect_rc "two commands are a usage error" 2
admin -x shards
expect_rc "an unknown option is a usage error" 2
admin --help
expect_rc "--help" 0
expect_out "--help prints the usage" "^usage: starling-admin "

# --- before migrate ----------------------------------------------------------------------------
admin -c "$CONF" -s "$SQL" check
expect_rc "check fails before migrate" 1
for s in 0 1 2 3 4 5 6 7; do
	p=$P0
	[ "$(instance_of $s)" = 0 ] || p=$P1
	expect_out "check names starling_000$s on 127.0.0.1:$p as missing" \
		"^shard $s \(starling_000$s on 127.0.0.1:$p\): database missing"
done
expect_out "check counts 8 problems" "^check: 8 problems$"

# --- migrate -----------------------------------------------------------------------------------
admin -c "$CONF" -s "$SQL" migrate
expect_rc "migrate" 0
want=$(for s in 0 1 2 3 4 5 6 7; do
	p=$P0
	[ "$(instance_of $s)" = 0 ] || p=$P1
	for f in $files; do
		echo "shard $s (starling_000$s on 127.0.0.1:$p): applied $f"
	done
done)
if [ "$(applied)" = "$want" ]; then
	pass "migrate applied each of the $nfiles files to each shard, shard by shard, by name"
else
	fail "migrate's applied lines differ from (<) the expected ones"
	printf '%s\n' "$want" >"$RUN/applied.want"
	applied | diff "$RUN/applied.want" - | sed 's/^/  | /' || true
fi
# stderr is no terminal here: a plain progress line as each shard is done, with the total so far.
if [ "$(grep -c -E "$(progress_re migrate '[1-8]' '[0-9]+' 'files applied')" "$out")" = 8 ]; then
	pass "... showing its progress, a line per shard"
else
	fail "... want 8 progress lines (migrate: shard N of 8, ...) in:"
	show "$out"
fi
expect_out "... the last one with every file of every shard" \
	"$(progress_re migrate 8 $((8 * nfiles)) 'files applied')"
expect_sql "instance 0 holds exactly starling_0000..0002 (no database 'starling')" 0 \
	"SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'starling%'
	 ORDER BY 1" "starling_0000
starling_0001
starling_0002"
expect_sql "instance 1 holds exactly starling_0003..0007" 1 \
	"SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'starling%'
	 ORDER BY 1" "starling_0003
starling_0004
starling_0005
starling_0006
starling_0007"
# shellcheck disable=SC2086 # one name per word
want=$(printf '%s\n' $files)
for s in 0 3 7; do
	expect_sql "starling_000$s: tb_schema_migration lists every file" "$(instance_of $s)" \
		"SELECT version FROM starling_000$s.tb_schema_migration ORDER BY version" "$want"
done

admin -c "$CONF" -s "$SQL" check
expect_rc "check passes after migrate" 0
expect_out "... and says so" "^check: ok$"
STARLING_CONF=$CONF STARLING_SQL_DIR=$SQL admin check
expect_rc "check with the configuration and sql dir from STARLING_CONF and STARLING_SQL_DIR" 0

dump_all "$RUN/dump1"
# shellcheck disable=SC2016 # backquotes of SQL
if grep -q 'CREATE TABLE `tb_user`' "$RUN/dump1/starling_0000"; then
	pass "the dump holds the tables"
else
	fail "the dump of starling_0000 has no tb_user"
	show "$RUN/dump1/starling_0000"
fi
bad=""
for s in 1 2 3 4 5 6 7; do
	cmp -s "$RUN/dump1/starling_0000.norm" "$RUN/dump1/starling_000$s.norm" ||
		bad="$bad starling_000$s"
done
if [ -z "$bad" ]; then
	pass "every shard has the same schema (dumps identical modulo the database name)"
else
	fail "schemas differ from starling_0000's:$bad"
fi

admin -c "$CONF" -s "$SQL" migrate
expect_rc "migrate again" 0
expect_no_out "... applies nothing" "^shard .*: applied "
expect_out "... and says so" "^migrate: nothing to apply"
expect_out "... showing its progress" "$(progress_re migrate 8 0 'files applied')"
admin_apart -q -c "$CONF" -s "$SQL" migrate
expect_rc "migrate -q" 0
expect_no_err "... prints nothing on stderr" "."
expect_out "... and its result on stdout" "^migrate: nothing to apply"
admin_apart --quiet -c "$CONF" repair-graph
expect_rc "repair-graph --quiet" 0
expect_no_err "... prints nothing on stderr" "."
expect_out "... and its result on stdout" "^repair-graph: 0 follows mended, .*: nothing to do$"
dump_all "$RUN/dump2"
same_dumps "... and leaves every dump byte-identical" "$RUN/dump1" "$RUN/dump2"

# repair-graph goes over every shard three times: each pass shows its progress, on stderr.
admin_apart -c "$CONF" repair-graph
expect_rc "repair-graph" 0
expect_out "... finds nothing to mend" "^repair-graph: 0 follows mended, 0 users' counts corrected: nothing to do$"
for p in "follows, pass 1 of 3" "followers, pass 2 of 3"; do
	expect_err "... shows pass $p, shard by shard" \
		"$(progress_re "repair-graph \\($p\\)" 1 0 'rows read')"
	expect_err "... to the last shard" "$(progress_re "repair-graph \\($p\\)" 8 0 'rows read')"
done
expect_err "... then the counts" "$(progress_re 'repair-graph \(counts, pass 3 of 3\)' 8 0 'users corrected')"
if [ "$(grep -c . "$out.err")" = 24 ]; then
	pass "... and prints nothing else there (8 lines a pass)"
else
	fail "... want 24 lines on stderr, got:"
	show "$out.err"
fi

# --- killed halfway ----------------------------------------------------------------------------
# Shard 1 (instance 0) and shard 6 (instance 1) go; migrate is killed as soon as shard 1's
# database is back (its directory appears in the datadir), long before shard 6.
sql 0 "DROP DATABASE starling_0001"
sql 1 "DROP DATABASE starling_0006"
"$ADMIN" -c "$CONF" -s "$SQL" migrate >"$RUN/out/killed" 2>&1 &
mpid=$!
i=0
while [ ! -d "$RUN/mariadb-0/mysql/starling_0001" ] && [ "$i" -lt 3000 ]; do
	sleep 0.01
	i=$((i + 1))
done
kill -KILL "$mpid" 2>/dev/null || true
status=0
# (Braces: the shell's "Killed" notice goes to /dev/null too, not into the log.)
{ wait "$mpid"; } 2>/dev/null || status=$?
if [ "$status" = 137 ]; then
	pass "migrate killed with SIGKILL halfway"
else
	fail "migrate was not killed halfway (exit $status)"
	show "$RUN/out/killed"
fi
admin -c "$CONF" -s "$SQL" check
expect_rc "check fails after the killed migrate" 1
expect_out "... starling_0006 is still missing" "^shard 6 .*database missing"
if wait_lock_free; then
	pass "the killed migrate's lock went with its sessions"
else
	fail "the migration lock is still held after the kill"
fi
admin -c "$CONF" -s "$SQL" migrate
expect_rc "migrate after the killed one" 0
applied | grep -v '^shard [16] ' >"$RUN/other" || true
if [ -s "$RUN/other" ]; then
	fail "migrate after the kill applied files to other shards"
	show "$RUN/other"
else
	pass "... touches only shards 1 and 6"
fi
if [ "$(grep -c '^shard 6 .*: applied ' "$out")" = "$nfiles" ]; then
	pass "... applies every file to shard 6"
else
	fail "shard 6 did not get every file"
	show "$out"
fi
dump_all "$RUN/dump3"
same_dumps "... and the dumps are identical to before" "$RUN/dump1" "$RUN/dump3"
admin -c "$CONF" -s "$SQL" check
expect_rc "check passes after the resumed migrate" 0

# --- two migrations at once --------------------------------------------------------------------
# Another session holds the lock on instance 1, as a migrate running there would: this one must
# stop before doing anything, on instance 0 too.
sql 0 "DROP DATABASE starling_0002"
sql 1 "DROP DATABASE starling_0004"
stack_mariadb_client "$RUN/mariadb-1" -e \
	"SELECT GET_LOCK('starling_migrate', 0); SELECT SLEEP(120)" >/dev/null 2>&1 &
holder=$!
i=0
holder_id=NULL
while [ "$holder_id" = NULL ] && [ "$i" -lt 100 ]; do
	sleep 0.1
	holder_id=$(sql 1 "SELECT IS_USED_LOCK('starling_migrate')")
	i=$((i + 1))
done
admin -c "$CONF" -s "$SQL" migrate
expect_rc "migrate while another session holds the lock" 1
expect_out "... refuses, naming the instance and the holder" \
	"another migration is running: the lock starling_migrate on 127.0.0.1:$P1 is held by \
connection $holder_id;"
expect_no_out "... applies nothing" "^shard .*: applied "
expect_sql "... and creates nothing on instance 0" 0 \
	"SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'starling_0002'" 0
expect_sql "... nor on instance 1" 1 \
	"SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'starling_0004'" 0
sql 1 "KILL $holder_id" || true
wait "$holder" 2>/dev/null || true
wait_lock_free || true
admin -c "$CONF" -s "$SQL" migrate
expect_rc "migrate once the lock is free" 0
dump_all "$RUN/dump4"
same_dumps "... and the dumps are identical to before" "$RUN/dump1" "$RUN/dump4"

# --- shards ------------------------------------------------------------------------------------
admin -c "$CONF" shards
expect_rc "shards" 0
expect_out "shards prints the range on instance 0" \
	"^  0-2 -> 127.0.0.1:$P0  \(starling_0000 \.\. starling_0002\)$"
expect_out "shards prints the range on instance 1" \
	"^  3-7 -> 127.0.0.1:$P1  \(starling_0003 \.\. starling_0007\)$"
expect_out "shards says instance 0 is ok, with its version" \
	"^instance 0 127.0.0.1:$P0: ok, [0-9]+\.[0-9]+.*, shards 0-2$"
expect_out "shards says instance 1 is ok, with its version" \
	"^instance 1 127.0.0.1:$P1: ok, [0-9]+\.[0-9]+.*, shards 3-7$"
sed 's/^shard_map = .*/shard_map = 0-6@0, 7-7@1/' "$CONF" >"$RUN/one-sided.conf"
admin -c "$RUN/one-sided.conf" shards
expect_rc "shards with another map" 0
expect_out "... prints a range of one shard" "^  7 -> 127.0.0.1:$P1  \(starling_0007\)$"
sed 's/^shard_map = .*/shard_map = 0-7@0/' "$CONF" >"$RUN/one-sided.conf"
admin -c "$RUN/one-sided.conf" shards
expect_rc "shards with an instance that holds no shard" 0
expect_out "... says so" "^instance 1 127.0.0.1:$P1: ok, holds no shard$"

# --- jobs set aside ----------------------------------------------------------------------------
# A job is set aside the real way: a row of a type this build does not know, run by
# starling-worker --once, fails for good at its first attempt. The worker needs a whole
# configuration (templates, token key): stack_write_conf's, with this test's shard map.
mkdir -p "$RUN/worker"
stack_write_conf "$RUN/worker/starling.conf" "http://127.0.0.1:1" "$SRCDIR" "$P0 $P1" \
	starling starling "$password" "$M0 $M1" warn
sed -i 's/^logical_shards = 8$/logical_shards = 8\nshard_map = 0-2@0, 3-7@1/' \
	"$RUN/worker/starling.conf"

# job_id SHARD SEQ: a job ID made on SHARD (lib/base/id.h: milliseconds, shard, worker, sequence).
job_id() {
	echo $(((5000 << 22) | ($1 << 12) | $2))
}

# worker_once WHAT: starling-worker --once runs every ready job.
worker_once() {
	if "$WORKER" --once --conf "$RUN/worker/starling.conf" </dev/null \
		>>"$RUN/worker.log" 2>&1; then
		pass "$1"
	else
		fail "$1: starling-worker --once failed; its log:"
		show "$RUN/worker.log"
	fi
}

# job_row SHARD ID: state and attempts of a job.
job_row() {
	sql "$(instance_of "$1")" "SELECT state, attempts FROM starling_000$1.tb_job WHERE id = $2"
}

admin -c "$CONF" jobs
expect_rc "jobs with none set aside" 0
expect_out "... says so" "^jobs: no job set aside$"

J1=$(job_id 1 1)
sql 0 "INSERT INTO starling_0001.tb_job (id, type, payload, state, run_after, created_at,
	updated_at) VALUES ($J1, 'admin.unknown', '{}', 0, 0, 0, 0)"
worker_once "starling-worker --once runs a job of an unknown type"
expect_sql "... which is set aside at once" 0 \
	"SELECT state, attempts FROM starling_0001.tb_job WHERE id = $J1" "3	1"
admin -c "$CONF" jobs
expect_rc "jobs with one job set aside" 0
expect_out "... prints a header" "^ID +SHARD +TYPE +ATTEMPTS +FAILED \(UTC\) +LAST ERROR$"
expect_out "... lists it: ID, shard, type, attempts, when (UTC), last error" \
	"^$J1 +1 +admin\.unknown +1 +20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]Z +unknown job type admin\.unknown$"
expect_out "... and counts it" "^jobs: 1 job set aside$"

admin -c "$CONF" retry-job "$J1"
expect_rc "retry-job ID" 0
expect_out "... says it is ready again, naming its shard" \
	"^retry-job: job $J1 on shard 1 \(starling_0001 on 127.0.0.1:$P0\) is ready again"
expect_sql "... which it is, its attempts at 0" 0 \
	"SELECT state, attempts FROM starling_0001.tb_job WHERE id = $J1" "0	0"
admin -c "$CONF" jobs
expect_rc "jobs after the retry" 0
expect_out "... lists none" "^jobs: no job set aside$"
admin -c "$CONF" retry-job "$J1"
expect_rc "retry-job of a job that is ready" 1
expect_out "... says why, and that nothing changed" \
	"^starling-admin: retry-job: job $J1 on shard 1 .* is ready already .*nothing changed$"
worker_once "starling-worker --once runs the job again"
expect_sql "... its cause not fixed, it is set aside again" 0 \
	"SELECT state, attempts FROM starling_0001.tb_job WHERE id = $J1" "3	1"

# Rows as they may be written by hand: a last_error with control characters and far too long,
# failed long ago (listed first); a done job (never listed).
J5=$(job_id 5 1)
J6=$(job_id 6 1)
long=$(printf 'x%.0s' $(seq 1 300))
sql 1 "INSERT INTO starling_0005.tb_job (id, type, payload, state, attempts, last_error,
	updated_at) VALUES ($J5, 'like.sync', '{}', 3, 8, CONCAT('line one', CHAR(10),
	CHAR(27), '[2J', '$long'), 1000);
	INSERT INTO starling_0006.tb_job (id, type, payload, state, attempts, updated_at)
	VALUES ($J6, 'like.sync', '{}', 2, 1, 2000)"
admin -c "$CONF" jobs
expect_rc "jobs with two jobs set aside on two instances" 0
expect_out "... the oldest failure first, its control characters escaped, cut" \
	"^$J5 +5 +like\.sync +8 +1970-01-01T00:16:40Z +line one\\\\n\\\\x1b\[2Jx+\.\.\.$"
if [ "$(grep -c -E '^[0-9]+ ' "$out")" = 2 ] &&
	[ "$(grep -E '^[0-9]+ ' "$out" | head -n 1 | cut -d' ' -f1)" = "$J5" ] &&
	[ "$(awk 'length > 300' "$out")" = "" ]; then
	pass "... one line each, oldest first, none too long"
else
	fail "jobs did not print two lines, oldest first, each short:"
	show "$out"
fi
expect_no_out "... and not the done job" "^$J6 "
expect_out "... counts them" "^jobs: 2 jobs set aside$"
admin -c "$CONF" jobs --limit 1
expect_rc "jobs --limit 1" 0
if [ "$(grep -c -E '^[0-9]+ ' "$out")" = 1 ] && grep -q "^$J5 " "$out"; then
	pass "... lists only the oldest"
else
	fail "jobs --limit 1 did not list only the oldest:"
	show "$out"
fi
expect_out "... and says how many there are" "^jobs: 2 jobs set aside, 1 shown"

# Jobs parked by a switch (state 4) are counted, not listed: they have not failed.
J7=$(job_id 7 1)
sql 1 "INSERT INTO starling_0007.tb_job (id, type, payload, state, updated_at)
	VALUES ($J7, 'timeline.push', '{}', 4, 3000)"
admin -c "$CONF" jobs
expect_rc "jobs with a parked job" 0
expect_out "... counts it, naming the switches" "^jobs: 1 job parked by a switch \(fanout_hold"
expect_no_out "... and does not list it" "^$J7 "
sql 1 "DELETE FROM starling_0007.tb_job WHERE id = $J7"
admin -c "$CONF" jobs
expect_no_out "... none parked: no such line" "parked"

# Bad IDs: nothing changes.
for c in "$(job_id 2 9):does not exist" "$(job_id 9 1):names shard 9, and there are 8" \
	"12abc:is not a job ID" "0:is not a job ID" "99999999999999999999:is not a job ID" \
	"$J6:is done"; do
	admin -c "$CONF" retry-job "${c%%:*}"
	expect_rc "retry-job ${c%%:*}" 1
	expect_out "... says it ${c#*:}, nothing changed" "${c#*:}.*nothing changed"
done
expect_sql "... the done job is untouched" 1 \
	"SELECT state, attempts FROM starling_0006.tb_job WHERE id = $J6" "2	1"
admin -c "$CONF" retry-job
expect_rc "retry-job without an argument is a usage error" 2
expect_out "... which says so" "retry-job needs a job ID"
admin -c "$CONF" retry-job "$J1" "$J5"
expect_rc "retry-job with two IDs is a usage error" 2
for c in "--limit" "--limit 0" "--limit 1001" "--limit x" "extra"; do
	# shellcheck disable=SC2086 # the words of c
	admin -c "$CONF" jobs $c
	expect_rc "jobs $c is a usage error" 2
done

admin -c "$CONF" retry-job --all
expect_rc "retry-job --all" 0
expect_out "... puts back the one of shard 1" "^retry-job: shard 1 \(.*\): 1 job ready again$"
expect_out "... and the one of shard 5" "^retry-job: shard 5 \(.*\): 1 job ready again$"
expect_out "... and counts them" "^retry-job: 2 jobs ready again"
expect_out "... showing its progress to the last shard" \
	"$(progress_re retry-job 8 2 'jobs ready again')"
expect_sql "... the job of shard 1 is ready" 0 \
	"SELECT state, attempts FROM starling_0001.tb_job WHERE id = $J1" "0	0"
expect_sql "... and so is the one of shard 5, the done one untouched" 1 \
	"SELECT id, state, attempts FROM starling_0005.tb_job UNION ALL
	 SELECT id, state, attempts FROM starling_0006.tb_job ORDER BY id" "$J5	0	0
$J6	2	1"
admin -c "$CONF" jobs
expect_out "jobs after retry-job --all lists none" "^jobs: no job set aside$"
admin -c "$CONF" retry-job --all
expect_rc "retry-job --all with none set aside" 0
expect_out "... says so" "^retry-job: no job set aside$"
sql 0 "DELETE FROM starling_0001.tb_job"
sql 1 "DELETE FROM starling_0005.tb_job; DELETE FROM starling_0006.tb_job"

# --- reindex-replies ---------------------------------------------------------------------------
# Replies written before sql/012_reply_search.sql have no search form: reindex-replies makes it
# with the tokenizer post_reply uses (case folded, CJK as "cj" bigrams), and only for live replies
# that lack one. (The IDs are job_id's: any ID of the shard will do. The client's character set
# is utf8mb4 wherever the text is not ASCII: under LC_ALL=C it would be latin1.)
R1=$(job_id 1 11) R2=$(job_id 1 12) R3=$(job_id 1 13) R4=$(job_id 1 14) R5=$(job_id 5 15)
reply_row() {   # reply_row ID TEXT SEARCH_TEXT IS_DELETED: a tb_post_reply row's values
	printf "(%s, 1, 1, '%s', '%s', %s)" "$1" "$2" "$3" "$4"
}
sql 0 "SET NAMES utf8mb4; INSERT INTO starling_0001.tb_post_reply (id, user_id, post_id, content_text, search_text,
	is_deleted) VALUES $(reply_row "$R1" 'Hello 我爱北京' '' 0), $(reply_row "$R2" 'Gone WORDS' '' 1),
	$(reply_row "$R3" 'Indexed already' 'left alone' 0), $(reply_row "$R4" '' '' 0)"
sql 1 "SET NAMES utf8mb4; INSERT INTO starling_0005.tb_post_reply (id, user_id, post_id, content_text, search_text,
	is_deleted) VALUES $(reply_row "$R5" 'Straße ÉTÉ' '' 0)"
admin -c "$CONF" reindex-replies extra
expect_rc "reindex-replies takes no argument" 2
admin -c "$CONF" reindex-replies
expect_rc "reindex-replies" 0
expect_out "... names shard 1 and its count" \
	"^reindex-replies: shard 1 \(starling_0001 on 127.0.0.1:$P0\): 1 reply indexed$"
expect_out "... and shard 5" "^reindex-replies: shard 5 \(starling_0005 on 127.0.0.1:$P1\): 1 reply indexed$"
expect_out "... and the total" "^reindex-replies: 2 replies indexed$"
expect_sql "... fills the live replies without a search form, as post_reply writes it" 0 \
	"SET NAMES utf8mb4; SELECT id, search_text FROM starling_0001.tb_post_reply WHERE id IN ($R1, $R2, $R3, $R4)
	 ORDER BY id" "$R1	hello cj我爱 cj爱北 cj北京 cj京
$R2	
$R3	left alone
$R4	"
expect_sql "... on the other instance too" 1 \
	"SET NAMES utf8mb4; SELECT search_text FROM starling_0005.tb_post_reply WHERE id = $R5" "strasse été"
expect_sql "... which FULLTEXT finds" 0 \
	"SET NAMES utf8mb4; SELECT id FROM starling_0001.tb_post_reply WHERE MATCH(search_text)
	 AGAINST('+\"cj北京\" +\"hello\"' IN BOOLEAN MODE)" "$R1"
admin -c "$CONF" reindex-replies
expect_rc "reindex-replies again" 0
expect_out "... has nothing to do" "^reindex-replies: nothing to do$"
expect_no_out "... and names no shard" "^reindex-replies: shard [0-9]+ \("
expect_out "... but shows its progress, shard by shard" "$(progress_re reindex-replies 8 0 'replies indexed')"
# On a terminal (script(1) gives it one), one line redrawn in place: every shard's drawing on one
# line of output, each after a carriage return, and a newline at the end only.
if command -v script >/dev/null 2>&1; then
	nout=$((nout + 1))
	out=$RUN/out/$nout
	script -q -e -c "'$ADMIN' -c '$CONF' reindex-replies" /dev/null >"$out" 2>&1 </dev/null || true
	cr=$(printf '\r')
	if grep -q "${cr}reindex-replies: shard 1 of 8, .*${cr}reindex-replies: shard 8 of 8, 0 replies indexed, [0-9.]* s *${cr}" "$out"; then
		pass "reindex-replies on a terminal redraws one progress line"
	else
		fail "reindex-replies on a terminal: no line redrawn from shard 1 to 8 in:"
		od -c "$out" | head -n 20 | sed 's/^/  | /'
	fi
	expect_out "... and still prints its result" "^reindex-replies: nothing to do"
else
	say "note: no script(1): the terminal form of the progress is not checked"
fi

# --- schema files ------------------------------------------------------------------------------
# A new migration: applied alone, to every shard.
cp -R "$SQL" "$RUN/sql-new"
cat >"$RUN/sql-new/900_admin_test.sql" <<'EOF'
-- 900_admin_test.sql: a migration added after the others (tests/integration/admin.sh).
CREATE TABLE IF NOT EXISTS tb_admin_test (
  id bigint unsigned NOT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
ALTER TABLE tb_admin_test ADD COLUMN IF NOT EXISTS note varchar(20) NOT NULL DEFAULT '';
INSERT IGNORE INTO tb_schema_migration (version, applied_at)
VALUES ('900_admin_test', UNIX_TIMESTAMP());
EOF
admin -c "$CONF" -s "$RUN/sql-new" check
expect_rc "check with a new schema file" 1
expect_out "... names it as not applied" "^shard 5 \(.*\): not applied: 900_admin_test "
admin -c "$CONF" -s "$RUN/sql-new" migrate
expect_rc "migrate with a new schema file" 0
if [ "$(grep -c ': applied 900_admin_test$' "$out")" = 8 ] &&
	[ "$(applied | wc -l)" = 8 ]; then
	pass "... applies it, and only it, to each of the 8 shards"
else
	fail "migrate of the new file applied something else"
	show "$out"
fi
expect_sql "... which has its table" 1 \
	"SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'starling_0007'
	 AND TABLE_NAME = 'tb_admin_test'" 2
admin -c "$CONF" -s "$SQL" check
expect_rc "check with schema files older than the databases" 1
expect_out "... names the version they do not know" \
	"^shard 0 \(.*\): recorded but not in $SQL: 900_admin_test "

# A file that fails: migrate stops at the first shard, naming shard, instance, file and error.
cp -R "$RUN/sql-new" "$RUN/sql-broken"
printf 'CREATE TABLE tb_broken (\n' >"$RUN/sql-broken/901_broken.sql"
admin -c "$CONF" -s "$RUN/sql-broken" migrate
expect_rc "migrate with a broken file" 1
expect_out "... names shard, instance, file and the server's error" \
	"^starling-admin: shard 0 \(starling_0000 on 127.0.0.1:$P0\): \
$RUN/sql-broken/901_broken.sql failed: .*SQL syntax"
expect_no_out "... and goes no further" "^shard 1 "
admin_apart -q -c "$CONF" -s "$RUN/sql-broken" migrate
expect_rc "migrate -q with a broken file" 1
expect_err "... still prints the error" "^starling-admin: shard 0 \(.*\): .*901_broken.sql failed: "
expect_no_err "... and no progress" "shard [0-9]+ of 8"

# A file that does not record itself would run at every migrate.
cp -R "$RUN/sql-new" "$RUN/sql-norecord"
printf 'CREATE TABLE IF NOT EXISTS tb_norecord (id int PRIMARY KEY);\n' \
	>"$RUN/sql-norecord/901_norecord.sql"
admin -c "$CONF" -s "$RUN/sql-norecord" migrate
expect_rc "migrate with a file that does not record itself" 1
expect_out "... says so" "901_norecord.sql ran but did not record itself"

# Directories that are not a set of migrations: refused before any database is touched.
mkdir -p "$RUN/sql-empty" "$RUN/sql-badname" "$RUN/sql-twice" "$RUN/sql-emptyfile"
echo 'not a migration' >"$RUN/sql-empty/README"
cp "$SQL/000_schema_migration.sql" "$RUN/sql-badname/"
echo 'SELECT 1;' >"$RUN/sql-badname/1_short.sql"
cp "$SQL/000_schema_migration.sql" "$SQL/001_users.sql" "$RUN/sql-twice/"
cp "$SQL/001_users.sql" "$RUN/sql-twice/001_again.sql"
: >"$RUN/sql-emptyfile/000_nothing.sql"
for c in "sql-empty:no schema file" "sql-badname:1_short.sql: a schema file is named NNN_name.sql" \
	"sql-twice:001_again.sql and 001_users.sql have the same number" \
	"sql-emptyfile:000_nothing.sql: empty" "sql-missing:cannot read the schema directory"; do
	admin -c "$CONF" -s "$RUN/${c%%:*}" migrate
	expect_rc "migrate refuses $RUN/${c%%:*}" 2
	expect_out "... saying: ${c#*:}" "${c#*:}"
done
cp "$SQL"/*.sql "$RUN/sql-badname/"
echo 'SELECT 1;' >"$RUN/sql-badname/002_Upper.sql"
rm -f "$RUN/sql-badname/1_short.sql"
admin -c "$CONF" -s "$RUN/sql-badname" check
expect_rc "check refuses a file name with capitals" 2

# Every schema file is installed (Makefile.am's dist_sql_DATA), or an installed tool misses it.
for f in $files; do
	if grep -q "sql/$f.sql" "$SRCDIR/Makefile.am"; then
		pass "Makefile.am installs sql/$f.sql"
	else
		fail "sql/$f.sql is not in dist_sql_DATA in Makefile.am"
	fi
done

# --- configurations ----------------------------------------------------------------------------
sed 's/^connect_timeout = 2$/connect_timeout = 2\nbogus = 1/' "$CONF" >"$RUN/unknown-key.conf"
admin -c "$RUN/unknown-key.conf" shards
expect_rc "a configuration with an unknown key" 2
expect_out "... is refused naming the file, line and key" \
	"^starling-admin: $RUN/unknown-key.conf:[0-9]+: \[mysql\] unknown key bogus"
sed 's/^shard_map = .*/shard_map = 0-2@0, 3-6@1/' "$CONF" >"$RUN/bad-map.conf"
admin -c "$RUN/bad-map.conf" -s "$SQL" check
expect_rc "a shard map that leaves a shard out" 2
expect_out "... is refused naming the key" "shard_map.*shard 7"
admin -c "$RUN/nonexistent.conf" shards
expect_rc "a configuration file that does not exist" 2

sed -e "s/^instances = .*/instances = 127.0.0.1:$DEAD/" -e '/^shard_map/d' "$CONF" >"$RUN/dead.conf"
for c in migrate check shards; do
	admin -c "$RUN/dead.conf" -s "$SQL" "$c"
	expect_rc "$c with an instance where nothing listens" 1
	expect_out "... names it" "127.0.0.1:$DEAD.*(connect|Connection refused)"
done
sed "s/^password = .*/password = Wrong${password}x/" "$CONF" >"$RUN/wrong-password.conf"
admin -c "$RUN/wrong-password.conf" -s "$SQL" check
expect_rc "check with a wrong password" 1
expect_out "... reports the refusal for each instance" "^mysql instance 1 .*Access denied"
admin -c "$RUN/wrong-password.conf" -s "$SQL" migrate
expect_rc "migrate with a wrong password" 1

# --- servers down ------------------------------------------------------------------------------
# (With the schema files the databases have: the memcached node must be the only problem.)
stack_stop "$RUN/memcached-1" memcached
admin -c "$CONF" -s "$RUN/sql-new" check
expect_rc "check with memcached-1 stopped" 1
expect_out "... names it" "^memcached 127.0.0.1:$M1: "
expect_no_out "... and only it" "^memcached 127.0.0.1:$M0"
expect_out "... one problem" "^check: 1 problem$"

# A job set aside on each instance, for jobs and retry-job with instance 1 down.
J4=$(job_id 4 1)
sql 0 "INSERT INTO starling_0001.tb_job (id, type, payload, state, attempts, last_error,
	updated_at) VALUES ($J1, 'admin.unknown', '{}', 3, 1, 'unknown job type admin.unknown', 3000)"
sql 1 "INSERT INTO starling_0004.tb_job (id, type, payload, state, attempts, last_error,
	updated_at) VALUES ($J4, 'admin.unknown', '{}', 3, 1, 'unknown job type admin.unknown', 3000)"
stack_stop "$RUN/mariadb-1" mariadb
admin -c "$CONF" shards
expect_rc "shards with instance 1 stopped" 1
expect_out "... names it as down" "^instance 1: DOWN: 127.0.0.1:$P1: "
expect_out "... and instance 0 as ok" "^instance 0 127.0.0.1:$P0: ok"
admin -c "$CONF" -s "$SQL" check
expect_rc "check with instance 1 stopped" 1
expect_out "... names it and its shards" "^mysql instance 1 \(shards 3-7\): 127.0.0.1:$P1: "
admin -c "$CONF" -s "$SQL" migrate
expect_rc "migrate with instance 1 stopped" 1
expect_out "... names it and does nothing" \
	"cannot reach MySQL instance 1: 127.0.0.1:$P1: .*nothing was done"
admin -c "$CONF" jobs
expect_rc "jobs with instance 1 stopped" 1
expect_out "... names it and its shards" \
	"^starling-admin: mysql instance 1 \(shards 3-7\): 127.0.0.1:$P1: .*their jobs are not listed$"
expect_out "... still lists instance 0's" "^$J1 +1 +admin\.unknown "
expect_out "... and counts only what it could read" \
	"^jobs: 1 job set aside on the shards that could be read$"
admin -c "$CONF" retry-job "$J4"
expect_rc "retry-job of a job on instance 1, stopped" 1
expect_out "... names the shard and instance" \
	"^starling-admin: retry-job: shard 4 \(starling_0004 on 127.0.0.1:$P1\): cannot put job $J4 back"
admin -c "$CONF" retry-job --all
expect_rc "retry-job --all with instance 1 stopped" 1
expect_out "... names it" "^starling-admin: mysql instance 1 \(shards 3-7\): .*not retried$"
expect_out "... and puts back instance 0's" "^retry-job: shard 1 \(.*\): 1 job ready again$"
expect_sql "... which is ready" 0 \
	"SELECT state, attempts FROM starling_0001.tb_job WHERE id = $J1" "0	0"

sql 0 "UPDATE starling_0001.tb_post_reply SET search_text = '' WHERE id = $R1"
admin -c "$CONF" reindex-replies
expect_rc "reindex-replies with instance 1 stopped" 1
expect_out "... names it" "^starling-admin: mysql instance 1 \(shards 3-7\): .*not reindexed$"
expect_out "... and does instance 0's" \
	"^reindex-replies: 1 reply indexed on the shards that could be read$"
admin_apart -q -c "$CONF" reindex-replies
expect_rc "reindex-replies -q with instance 1 stopped" 1
expect_err "... still names it" "^starling-admin: mysql instance 1 \(shards 3-7\): .*not reindexed$"
expect_no_err "... and shows no progress" "shard [0-9]+ of 8"
expect_sql "... whose reply has its search form again" 0 \
	"SET NAMES utf8mb4; SELECT search_text FROM starling_0001.tb_post_reply WHERE id = $R1" \
	"hello cj我爱 cj爱北 cj北京 cj京"

# --- secrets -----------------------------------------------------------------------------------
if grep -r -l -F "$password" "$RUN/out" >"$RUN/leaks"; then
	fail "the password appears in the output of:"
	show "$RUN/leaks"
else
	pass "the password appears in no output ($nout runs)"
fi

printf '%s passed, %s failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
