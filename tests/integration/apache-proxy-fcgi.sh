#!/bin/sh
# tests/integration/apache-proxy-fcgi.sh: the integration suite (tests/integration/suite.sh) through apache-proxy-fcgi.
exec "${STARLING_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/suite.sh" apache-proxy-fcgi
