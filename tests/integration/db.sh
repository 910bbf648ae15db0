#!/bin/sh
# tests/integration/db.sh: runs the cmocka tests of lib/store/db.c (tests/unit/test_db) against two
# real MariaDB instances.
#
# Starts two private MariaDB instances on free loopback ports under a fresh temporary directory
# (script/lib/stack.sh) with an application account, writes a configuration naming both, and
# runs test_db with STARLING_TEST_CONF pointing at it and STARLING_TEST_ROOT_SOCKETS naming each
# instance's root socket (the test kills its own connections through it). The shard databases
# and tables are the test's own: this checks the data-access layer, not the schema.
#
# Run by `make check`; by hand: STARLING_SRCDIR=$PWD STARLING_BUILDDIR=$PWD sh tests/integration/db.sh
# Exit status (automake): test_db's, or 99 when the servers could not be started.
set -eu

SRCDIR=${STARLING_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILDDIR=${STARLING_BUILDDIR:-$SRCDIR}
TEST_BIN=$BUILDDIR/tests/unit/test_db
export STARLING_SRCDIR="$SRCDIR"   # test_db reads sql/ from it

# shellcheck source=../../script/lib/stack.sh
. "$SRCDIR/script/lib/stack.sh"
# shellcheck disable=SC2034 # read by stack.sh
STACK_QUIET=1

say() { printf 'db.sh: %s\n' "$*"; }

for tool in mariadbd mariadb-install-db mariadb python3; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		say "ERROR: '$tool' is not installed; run script/bootstrap"
		exit 99
	fi
done
if [ ! -x "$TEST_BIN" ]; then
	say "ERROR: $TEST_BIN is not built"
	exit 99
fi

RUN=$(mktemp -d "${TMPDIR:-/tmp}/starling-db.XXXXXX")
stack_cleanup_on_exit "$RUN"
stack_prepare "$RUN"
password=$(stack_gen_password)
# shellcheck disable=SC2046 # one port per word
set -- $(stack_free_ports 3)
ports="$1 $2"
dead_port=$3

i=0
pids=""
for port in $ports; do
	( stack_mariadb_start "$RUN/mariadb-$i" "$port" &&
		stack_mariadb_setup "$RUN/mariadb-$i" starling starling "$password" ) &
	pids="$pids $!"
	i=$((i + 1))
done
# shellcheck disable=SC2086 # one pid per word
if ! stack_wait_jobs $pids; then
	say "ERROR: MariaDB did not start"
	exit 99
fi

# Four shards: 0-1 on the first instance, 2-3 on the second.
umask 077
cat >"$RUN/starling.conf" <<EOF
[mysql]
instances = $(stack_addresses $ports)
user = starling
password = $password
database = starling
logical_shards = 4
shard_map = 0-1@0, 2-3@1
connect_timeout = 2
read_timeout = 5
write_timeout = 5
statement_cache = 8
EOF
# The same, with a third instance where nothing listens (the down-instance tests).
sed "s/^instances = .*/instances = $(stack_addresses $ports $dead_port)/; s/^shard_map = .*/shard_map = 0-1@0, 2-2@1, 3-3@2/" \
	"$RUN/starling.conf" >"$RUN/starling-down.conf"

STARLING_TEST_CONF=$RUN/starling.conf \
STARLING_TEST_CONF_DOWN=$RUN/starling-down.conf \
STARLING_TEST_ROOT_SOCKETS="$RUN/mariadb-0/mysql.sock $RUN/mariadb-1/mysql.sock" \
	"$TEST_BIN"
