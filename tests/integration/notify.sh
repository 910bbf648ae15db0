#!/bin/sh
# tests/integration/notify.sh: runs the cmocka tests of lib/social/notify.c (tests/unit/test_notify)
# against two real MariaDB instances and one memcached, with Starling's schema, so that its tests
# of the jobs (which skip without the servers, as in the plain unit run) run too.
#
# The servers as tests/dbunit/run.sh starts them (script/lib/stack.sh: 8 shards, 0-3 on the
# first instance, 4-7 on the second).
#
# Run by `make check`; by hand: STARLING_SRCDIR=$PWD STARLING_BUILDDIR=$PWD sh tests/integration/notify.sh
# Exit status (automake): test_notify's, or 99 when the servers could not be started.
set -eu

SRCDIR=${STARLING_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILDDIR=${STARLING_BUILDDIR:-$SRCDIR}
TEST_BIN=$BUILDDIR/tests/unit/test_notify
ADMIN_BIN=$BUILDDIR/tools/starling-admin

# shellcheck source=../../script/lib/stack.sh
. "$SRCDIR/script/lib/stack.sh"
# shellcheck disable=SC2034 # read by stack.sh
STACK_QUIET=1

stack_test_shards notify warn "$SRCDIR" "$ADMIN_BIN" "$TEST_BIN"

STARLING_TEST_CONF=$RUN/starling.conf "$TEST_BIN"
