#!/bin/sh
# tests/integration/apache-cgi.sh: the integration suite (tests/integration/suite.sh) through apache-cgi.
exec "${STARLING_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/suite.sh" apache-cgi
