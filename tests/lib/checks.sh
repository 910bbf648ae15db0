# shellcheck shell=sh
# tests/lib/checks.sh: PASS/FAIL lines and their counts, for the shell integration tests
# (sourced by tests/integration/admin.sh and schema.sh). Each script ends by printing
# "$passed passed, $failed failed" and exiting 1 when failed is not 0.

passed=0
failed=0

pass() {
	printf 'PASS: %s\n' "$*"
	passed=$((passed + 1))
}

fail() {
	printf 'FAIL: %s\n' "$*"
	failed=$((failed + 1))
}

# show FILE: print a file indented, to explain a failure.
show() {
	sed 's/^/  | /' "$1"
}
