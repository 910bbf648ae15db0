#!/bin/sh
# tests/tools/openapi_lint.sh: docs/openapi.json is a valid OpenAPI 3.1 document that passes
# Redocly's strict recommended rules (tests/tools/redocly.yaml). The linter is Redocly CLI, pinned
# and installed from npm by script/bootstrap into STARLING_LINT_DIR (Debian 12 packages no
# OpenAPI linter: docs/openapi.md says why this one). Without it the test is skipped (77), except
# under CI, where bootstrap ran and a missing linter is a failure.
set -u

src=${STARLING_SRCDIR:?set by make check}
dir=${STARLING_LINT_DIR:-/usr/local/lib/starling-lint}
redocly=$dir/node_modules/.bin/redocly
if [ ! -x "$redocly" ]; then
	echo "SKIP no Redocly CLI in $dir (script/bootstrap installs it)"
	[ "${CI:-}" = true ] && exit 1
	exit 77
fi
# No telemetry and no update check: the tests reach no network.
REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_UPDATE_NOTIFIER=1
export REDOCLY_TELEMETRY REDOCLY_SUPPRESS_UPDATE_NOTICE NO_UPDATE_NOTIFIER
# A document the linter must refuse (an operation without responses), so that a linter which
# accepts anything cannot pass this test.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/starling-openapi-lint.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
printf '%s\n' '{"openapi":"3.1.0","info":{"title":"t","version":"1"},' \
	'"paths":{"/x":{"get":{}}}}' >"$tmp/bad.json"
passed=0
failed=0
if "$redocly" lint --config "$src/tests/tools/redocly.yaml" --format=stylish \
    "$src/docs/openapi.json" >"$tmp/out" 2>&1; then
	echo "PASS docs/openapi.json lints clean"
	passed=$((passed + 1))
else
	cat "$tmp/out"
	echo "FAIL docs/openapi.json: lint problems (above)"
	failed=$((failed + 1))
fi
if "$redocly" lint --config "$src/tests/tools/redocly.yaml" "$tmp/bad.json" >"$tmp/out" 2>&1; then
	echo "FAIL the linter accepts an operation without responses"
	failed=$((failed + 1))
else
	echo "PASS the linter refuses an operation without responses"
	passed=$((passed + 1))
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
