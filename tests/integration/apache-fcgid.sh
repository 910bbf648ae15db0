#!/bin/sh
# tests/integration/apache-fcgid.sh: the integration suite (tests/integration/suite.sh) through apache-fcgid.
exec "${STARLING_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/suite.sh" apache-fcgid
