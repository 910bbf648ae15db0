#!/bin/sh
# tests/integration/worker.sh: starling-worker against two real MariaDB instances and one
# memcached, with Starling's schema (tests/integration/test_worker.py says what is checked).
#
# Starts the servers on free loopback ports under a fresh temporary directory
# (script/lib/stack.sh), writes the configuration (8 shards, 0-3 on the first instance, 4-7 on
# the second), applies sql/ with the built starling-admin migrate, writes RUN/shard-sql (SQL as
# root in one shard's database) and RUN/worker-ctl (stack_worker_ctl_write), and runs
# test_worker.py, which starts and stops the built starling-worker itself.
#
# Run by `make check`; by hand: STARLING_SRCDIR=$PWD STARLING_BUILDDIR=$PWD sh tests/integration/worker.sh
# STARLING_KEEP_RUN=1 keeps the run directory (the workers' logs) for a post-mortem.
# Exit status (automake): 0 passed, 1 failed, 99 when the servers could not be started.
set -eu

SRCDIR=${STARLING_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILDDIR=${STARLING_BUILDDIR:-$SRCDIR}
WORKER_BIN=$BUILDDIR/tools/starling-worker
ADMIN_BIN=$BUILDDIR/tools/starling-admin
export PYTHONDONTWRITEBYTECODE=1

# shellcheck source=../../script/lib/stack.sh
. "$SRCDIR/script/lib/stack.sh"
# shellcheck disable=SC2034 # read by stack.sh
STACK_QUIET=1

stack_test_shards worker info "$SRCDIR" "$ADMIN_BIN" "$WORKER_BIN"

# shard-sql SHARD STATEMENTS: runs STATEMENTS as root in shard SHARD's database (8 shards split
# evenly in order over the two instances: 0-3 on mariadb-0, 4-7 on mariadb-1) and prints the
# rows, tab-separated, without a header.
cat >"$RUN/shard-sql" <<EOF
#!/bin/sh
set -eu
mariadb --no-defaults --socket="$RUN/mariadb-\$((\$1 / 4))/mysql.sock" --user=root --batch \\
	--skip-column-names --database="starling_000\$1" -e "\$2"
EOF
chmod 700 "$RUN/shard-sql"

# The control script the integration suite gives its python tests (suite.sh).
stack_worker_ctl_write "$RUN" "$SRCDIR" "$RUN/starling.conf" "$WORKER_BIN"

STARLING_TEST_RUN=$RUN STARLING_TEST_CONF=$RUN/starling.conf STARLING_TEST_WORKER=$WORKER_BIN \
	STARLING_TEST_MYSQL_PORTS="$STACK_TEST_MYSQL_PORTS" STARLING_TEST_WORKER_CTL=$RUN/worker-ctl \
	python3 "$SRCDIR/tests/integration/test_worker.py"
