#!/bin/sh
# tests/dbunit/run.sh: the database unit tests (tests/dbunit/test_*: lib/social/job.c,
# lib/social/user.h, lib/social/graph.h, lib/social/post.h, lib/social/postlist.h,
# lib/social/postsync.h, lib/social/mediajob.h, lib/social/bookmark.h and lib/social/mediaclean.h
# through their public functions) against one set of
# real servers, shared by all.
#
# With $STARLING_TEST_CONF set (a configuration naming running servers with Starling's schema,
# such as script/server's var/starling.conf), the tests reuse those servers: no start-up cost.
# Otherwise this starts two MariaDB instances and one memcached on free loopback ports under a
# fresh temporary directory (8 shards, 0-3 on the first instance, 4-7 on the second), applies
# sql/ with the built starling-admin (script/lib/stack.sh's stack_test_shards), runs every test,
# and stops it all. Each test makes its own users with random names, so the servers may be
# shared and reused; test_job alone needs these fresh servers of that layout (it empties a
# shard's outbox and takes "the next job"), so it runs first, and not at all on servers reused.
#
# Run by `make check`; by hand: STARLING_SRCDIR=$PWD STARLING_BUILDDIR=$PWD sh tests/dbunit/run.sh
# (STARLING_DBUNIT="test_post" runs only the named tests).
# Exit status (automake): 0 all passed, 1 one failed, 99 the servers could not be started.
set -eu

SRCDIR=${STARLING_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILDDIR=${STARLING_BUILDDIR:-$SRCDIR}
ADMIN_BIN=$BUILDDIR/tools/starling-admin
SHARED="test_user test_graph test_post test_postlist test_postsync test_mediajob test_bookmark
test_mediaclean"
if [ -n "${STARLING_DBUNIT:-}" ]; then
	TESTS=$STARLING_DBUNIT
elif [ -n "${STARLING_TEST_CONF:-}" ]; then
	printf 'dbunit: test_job left out: it needs the fresh servers this script starts\n'
	TESTS=$SHARED
else
	TESTS="test_job $SHARED"
fi

bins=""
for t in $TESTS; do
	bins="$bins $BUILDDIR/tests/dbunit/$t"
done

if [ -z "${STARLING_TEST_CONF:-}" ]; then
	# shellcheck source=../../script/lib/stack.sh
	. "$SRCDIR/script/lib/stack.sh"
	# shellcheck disable=SC2034 # read by stack.sh
	STACK_QUIET=1
	# shellcheck disable=SC2086 # one binary per word
	stack_test_shards dbunit warn "$SRCDIR" "$ADMIN_BIN" $bins
	STARLING_TEST_CONF=$RUN/starling.conf
fi
export STARLING_TEST_CONF

status=0
for bin in $bins; do
	printf 'dbunit: == %s\n' "${bin##*/}"
	"$bin" || { printf 'dbunit: FAIL %s\n' "${bin##*/}"; status=1; }
done
exit "$status"
