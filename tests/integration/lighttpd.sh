#!/bin/sh
# tests/integration/lighttpd.sh: the integration suite (tests/integration/suite.sh) through lighttpd.
exec "${STARLING_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/suite.sh" lighttpd
