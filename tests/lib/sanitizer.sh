# shellcheck shell=sh
# tests/lib/sanitizer.sh: the reports of a --enable-sanitizers build (script/test), as files in a
# test's run directory, for the tests that run the binaries as servers would
# (tests/integration/suite.sh, signals.sh): a report there fails the test, whatever the binary
# answered.

# sanitizer_to DIR: from now on AddressSanitizer and UBSan write their reports under DIR/sanitizer
# (made here). Exports ASAN_OPTIONS and UBSAN_OPTIONS, which the web servers and spawn-fcgi pass on
# to the binaries they start (etc/lighttpd.conf.in, script/lib/apache.sh); options already set
# are kept.
sanitizer_to() {
	mkdir -p "$1/sanitizer"
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$1/sanitizer/asan"
	UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$1/sanitizer/ubsan"
	export ASAN_OPTIONS UBSAN_OPTIONS
}

# sanitizer_reports DIR: prints every report written under DIR/sanitizer, each after a line
# naming its file; returns 1 when there is one, 0 when there is none.
sanitizer_reports() {
	_reports=$(find "$1/sanitizer" -type f -size +0 2>/dev/null | sort)
	[ -n "$_reports" ] || return 0
	for _r in $_reports; do
		echo "--- $_r"
		cat "$_r"
	done
	return 1
}
