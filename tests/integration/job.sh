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

stack_test_shards job warn "$SRCDIR" "$ADMIN_BIN" "$TEST_BIN"

STARLING_TEST_CONF=$RUN/starling.conf "$TEST_BIN"
