#!/bin/sh
# tests/integration/job.sh: runs the cmocka tests of lib/job.c (tests/unit/test_job) against two
# real MariaDB instances and one memcached, with Starling's schema.
#
# Starts the servers on free loopback ports under a fresh temporary directory
# (script/lib/stack.sh), writes the configuration (8 shards, 0-3 on the first instance, 4-7 on
# the second), applies sql/ with the built starling-admin migrate, and runs test_job with
# STARLING_TEST_CONF pointing at the configuration.
#
# Run by `make check`; by hand: STARLING_SRCDIR=$PWD STARLING_BUILDDIR=$PWD sh tests/integration/job.sh
# Exit status (automake): test_job's, or 99 when the servers could not be started.
set -eu

SRCDIR=${STARLING_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILDDIR=${STARLING_BUILDDIR:-$SRCDIR}
TEST_BIN=$BUILDDIR/tests/unit/test_job
ADMIN_BIN=$BUILDDIR/tools/starling-admin

# shellcheck source=../../script/lib/stack.sh
. "$SRCDIR/script/lib/stack.sh"
# shellcheck disable=SC2034 # read by stack.sh
STACK_QUIET=1

say() { printf 'job.sh: %s\n' "$*"; }

for tool in mariadbd mariadb-install-db mariadb memcached python3; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		say "ERROR: '$tool' is not installed; run script/bootstrap"
		exit 99
	fi
done
for bin in "$TEST_BIN" "$ADMIN_BIN"; do
	if [ ! -x "$bin" ]; then
		say "ERROR: $bin is not built"
		exit 99
	fi
done

RUN=$(mktemp -d "${TMPDIR:-/tmp}/starling-job.XXXXXX")
stack_cleanup_on_exit "$RUN"
stack_prepare "$RUN"
password=$(stack_gen_password)
# shellcheck disable=SC2046 # one port per word
set -- $(stack_free_ports 3)
if ! stack_backends_start "$RUN" starling starling "$password" "$1 $2" "$3"; then
	say "ERROR: the servers did not start"
	exit 99
fi
stack_write_conf "$RUN/starling.conf" "http://127.0.0.1:1" "$SRCDIR" "$1 $2" starling starling \
	"$password" "$3" warn
stack_migrate "$RUN" "$RUN/starling.conf" "$SRCDIR" "$ADMIN_BIN" || exit 99

STARLING_TEST_CONF=$RUN/starling.conf "$TEST_BIN"
