#!/bin/bash
# tests/bench/faults.sh: the fault and overload benchmark of issue [G2] (docs/operations.md).
#
# Builds the tree and starts the route benchmark's stack (tests/bench/routes.sh's functions:
# lighttpd with 2 processes per binary, 2 MariaDB, 2 memcached, the worker; production
# [shed] and [breaker] settings), loads a data set through the API, measures the capacity of a
# mixed load (tests/bench/load.py fault-mix: anonymous post reads and pages, logged-in home
# timelines, posts) with closed-loop clients, then drives it open loop (tests/bench/openloop.c:
# a fixed arrival rate, latency counted from when each request was due) through each scenario:
#
#   baseline        half the capacity, nothing wrong
#   hung MariaDB    instance 1 stopped (SIGSTOP) for the middle 10 s, then resumed
#   killed MariaDB  instance 1 killed (SIGKILL) for the middle 10 s, then started again
#   hung memcached  node 1 stopped for the middle 10 s
#   overload 2x     twice the capacity
#   overload 5x     five times the capacity
#
# and prints one table: offered and served req/s, p50/p99 of the answered requests and the p99
# against the baseline's, the requests that need only instance 0 (served and p99 against the
# baseline's same requests), the share shed (503, code 50301) and how fast it was refused, the
# other error kinds, health's slowest answer, and the acknowledged posts lost (checked in every
# shard database after all scenarios). Asserts nothing; not part of make check.
#
#   tests/bench/faults.sh                    # ~6 minutes
#   FAULT_SECONDS=10 BENCH_USERS=100 tests/bench/faults.sh      # a quick run
#
# Knobs (environment): BENCH_USERS (200), BENCH_POSTS (8), FAULT_SECONDS (each scenario, 20;
# the fault lasts its middle half), FAULT_CONNS (open-loop connections at most, 512),
# FAULT_SCENARIOS (the names above to run, e.g. "baseline killed_db"; all by default), and
# [shed]'s budgets STACK_SHED_ANONYMOUS_WAIT_MS (100) and STACK_SHED_WAIT_MS (1000), its
# queue_target_ms STACK_SHED_QUEUE_TARGET_MS (20) and queue_wait_ms STACK_SHED_QUEUE_WAIT_MS
# (50), and [mysql] statement_timeout_ms
# STACK_STATEMENT_TIMEOUT_MS (500). State in
# var/bench/faults (BENCH_KEEP=1 keeps it); do not run it beside routes.sh (they share the
# build in var/bench/src).
set -eu

export BENCH_USERS=${BENCH_USERS:-200} BENCH_PHP=0
FAULT_SECONDS=${FAULT_SECONDS:-20}
FAULT_CONNS=${FAULT_CONNS:-512}
FAULT_SCENARIOS=${FAULT_SCENARIOS:-baseline hung_db killed_db hung_mc overload_2x overload_5x}
BENCH_AS_LIB=1
# shellcheck source=routes.sh
. "$(cd "$(dirname "$0")" && pwd)/routes.sh"
RUN=$BENCH_DIR/faults
PHP_FPM=""

# The production settings of etc/starling.conf.example, not the test stack's short ones.
export STACK_SHED_ANONYMOUS_WAIT_MS=${STACK_SHED_ANONYMOUS_WAIT_MS:-100}
export STACK_SHED_WAIT_MS=${STACK_SHED_WAIT_MS:-1000}
export STACK_SHED_QUEUE_TARGET_MS=${STACK_SHED_QUEUE_TARGET_MS:-20}
export STACK_SHED_QUEUE_WAIT_MS=${STACK_SHED_QUEUE_WAIT_MS:-50}
export STACK_BREAKER_OPEN_SECONDS=5 STACK_BREAKER_MAX_OPEN_SECONDS=60
export STACK_STATEMENT_TIMEOUT_MS=${STACK_STATEMENT_TIMEOUT_MS:-500}

# openloop RATE SECONDS CONNS OUT: the mix at RATE req/s (0: closed loop) for SECONDS.
openloop() {
	"$BUILD/tests/bench/openloop" 127.0.0.1 "${BASE##*:}" "$DATA/req-fault_mix.tsv" "$1" "$2" \
		"$3" "$4"
}

# settle: until health answers 200 (breakers closed, nodes back), at most 90 s.
settle() {
	local i
	for i in $(seq 180); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/api/v1/health")" = 200 ] && return 0
		sleep 0.5
	done
	say "warning: health still not 200 after 90 s"
}

# want NAME: whether FAULT_SCENARIOS has it.
want() {
	case " $FAULT_SCENARIOS " in *" $1 "*) return 0 ;; esac
	return 1
}

# scenario NAME RATE FAULT_START FAULT_STOP: openloop at RATE for FAULT_SECONDS with the health
# poller beside it; FAULT_START and FAULT_STOP (shell commands) at a quarter and three quarters.
scenario() {
	local name=$1 rate=$2 pid hpid q
	want "$name" || return 0
	q=$(awk -v s="$FAULT_SECONDS" 'BEGIN { printf "%.2f", s / 4 }')
	say "scenario $name: $rate req/s for $FAULT_SECONDS s"
	python3 "$SRCDIR/tests/bench/faults.py" health "$BASE" "$FAULT_SECONDS" "$RUN/health-$name" &
	hpid=$!
	openloop "$rate" "$FAULT_SECONDS" "$FAULT_CONNS" "$RUN/rec-$name.tsv" &
	pid=$!
	if [ -n "$3" ]; then
		sleep "$q"
		eval "$3"
		sleep "$(awk -v q="$q" 'BEGIN { print 2 * q }')"
		eval "$4"
	fi
	wait "$pid" "$hpid"
	settle
}

build
if [ ! -x "$BUILD/tests/bench/openloop" ] ||
	[ "$BUILD/tests/bench/openloop.c" -nt "$BUILD/tests/bench/openloop" ]; then
	gcc -O2 -Wall -Wextra -o "$BUILD/tests/bench/openloop" "$BUILD/tests/bench/openloop.c" ||
		die "building openloop failed"
fi
start_stack
DATA=$RUN/data
mkdir -p "$DATA"
say "loading $BENCH_USERS users through $BASE"
python3 "$SRCDIR/tests/bench/load.py" load "$BASE" "$RUN/mail" "$DATA" >&2
STACK_QUIET=1 stack_worker_once "$RUN" "$RUN/starling.conf" "$BUILD/tools/starling-worker" || true
python3 "$SRCDIR/tests/bench/load.py" fault-mix "$DATA"

# Capacity: 16 closed-loop clients (as the route benchmark's wrk), after a warm-up.
openloop 0 3 16 "$RUN/warmup.tsv"
openloop 0 5 16 "$RUN/capacity.tsv"
CAP=$(awk -F'\t' '$4 >= 200 && $4 < 400 { n++ } END { printf "%d", n / 5 }' "$RUN/capacity.tsv")
[ "$CAP" -gt 0 ] || die "no request of the mix was answered (see $RUN)"
say "capacity of the mix: $CAP req/s"
# The ceiling of any answer through a FastCGI process, a refusal included: the route
# benchmark's bare C hello (tests/bench/hello.c) through the same lighttpd, same clients.
printf 'h\tGET\t/hello\t\n' >"$DATA/req-hello.tsv"
"$BUILD/tests/bench/openloop" 127.0.0.1 "${BASE##*:}" "$DATA/req-hello.tsv" 0 5 16 \
	"$RUN/hello.tsv"
HELLO=$(awk -F'\t' '$4 == 200 { n++ } END { printf "%d", n / 5 }' "$RUN/hello.tsv")
say "a bare FastCGI hello: $HELLO req/s"

db1=$(cat "$RUN/mariadb-1/mariadb.pid")
mc1=$(cat "$RUN/memcached-1/memcached.pid")
scenario baseline $((CAP / 2)) "" ""
scenario hung_db $((CAP / 2)) "kill -STOP $db1" "kill -CONT $db1"
scenario killed_db $((CAP / 2)) "kill -KILL $db1" \
	"STACK_QUIET=1 stack_mariadb_start '$RUN/mariadb-1' '${mysql_ports#* }' >/dev/null"
scenario hung_mc $((CAP / 2)) "kill -STOP $mc1" "kill -CONT $mc1"
scenario overload_2x $((CAP * 2)) "" ""
scenario overload_5x $((CAP * 5)) "" ""

lo=$(awk -v s="$FAULT_SECONDS" 'BEGIN { print s / 4 }')
hi=$(awk -v s="$FAULT_SECONDS" 'BEGIN { print 3 * s / 4 }')
row() {
	want "$2" || return 0
	python3 "$SRCDIR/tests/bench/faults.py" row "$1" "$RUN/rec-$2.tsv" "$RUN/health-$2" \
		"$RUN/rec-baseline.tsv" "$3" "$4" "$5"
}
set -- $(python3 "$SRCDIR/tests/bench/faults.py" lost "$RUN" "$RUN"/rec-*.tsv)
{
	echo "Starling fault and overload benchmark: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, commit $(git -C "$SRCDIR" rev-parse --short HEAD)"
	echo "lighttpd, 2 processes per binary, 2 MariaDB, 2 memcached; $BENCH_USERS users; mix: 60% anonymous post/detail, 10% /p/<id>, 20% logged-in timeline/home, 10% post/create"
	echo "capacity of the mix (16 closed-loop clients): $CAP req/s (a bare FastCGI hello through the same lighttpd: $HELLO req/s); each scenario $FAULT_SECONDS s open loop, the fault (and the columns but the last) over its middle $(awk -v s="$FAULT_SECONDS" 'BEGIN { print s / 2 }') s; [shed] $STACK_SHED_ANONYMOUS_WAIT_MS / $STACK_SHED_WAIT_MS ms, standing queue $STACK_SHED_QUEUE_TARGET_MS / $STACK_SHED_QUEUE_WAIT_MS ms; [mysql] statement_timeout_ms $STACK_STATEMENT_TIMEOUT_MS"
	echo
	echo "| scenario | offered req/s | served req/s | p50 / p99 ms (answered) | p99 vs baseline | needing only instance 0: served / p99 vs baseline | shed | shed p99 ms | other errors | health slowest ms (statuses) |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---|---|"
	row "baseline ($((CAP / 2))/s)" baseline "$lo" "$hi" 0
	row "MariaDB instance 1 hung" hung_db "$lo" "$hi" 0
	row "MariaDB instance 1 killed" killed_db "$lo" "$hi" 0
	row "memcached node 1 hung" hung_mc "$lo" "$hi" -
	row "overload 2x ($((CAP * 2))/s)" overload_2x 0 "$FAULT_SECONDS" -
	row "overload 5x ($((CAP * 5))/s)" overload_5x 0 "$FAULT_SECONDS" -
	echo
	echo "Acknowledged posts (post/create answered 200) over all scenarios: $1; missing from the databases afterwards: $2."
} | tee "$RUN/table.md"
[ -z "${BENCH_TABLE:-}" ] || cp "$RUN/table.md" "$BENCH_TABLE"
