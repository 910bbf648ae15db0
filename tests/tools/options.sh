#!/bin/sh
# tests/tools/options.sh: the three tools read their options one way (tools/cli.c): -c/--conf,
# -h/--help and -V/--version in each, long options also as --name=value, and every bad option a
# message naming the tool and the option, the usage on stderr, and exit 2. No server is needed:
# the configurations given do not load, which each tool must report as a configuration error.
set -u

build=${STARLING_BUILDDIR:?set by make check}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/starling-options.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
passed=0
failed=0
version=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$build/config.h")
if [ -z "$version" ]; then
	echo "FAIL no PACKAGE_VERSION in $build/config.h"
	exit 1
fi

# check NAME WANT_STATUS WANT_OUT WANT_ERR -- COMMAND...: runs COMMAND (stdin /dev/null);
# compares the status, and looks for the fixed strings WANT_OUT in stdout and WANT_ERR in stderr
# (empty: not checked; "-": must be empty).
check() {
	name=$1 want=$2 out_has=$3 err_has=$4
	shift 5
	"$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	got=$?
	if [ "$got" -eq "$want" ] && has "$tmp/out" "$out_has" && has "$tmp/err" "$err_has" &&
	    ! grep -q -E 'Sanitizer|runtime error' "$tmp/err"; then
		echo "PASS $name"
		passed=$((passed + 1))
	else
		echo "FAIL $name: status $got (want $want)"
		sed 's/^/  out: /' "$tmp/out" | head -n 5
		sed 's/^/  err: /' "$tmp/err" | head -n 5
		failed=$((failed + 1))
	fi
}

# has FILE WANT: FILE holds the fixed string WANT ("" anything, "-" nothing).
has() {
	case $2 in
	'') true ;;
	-) [ ! -s "$1" ] ;;
	*) grep -qF -- "$2" "$1" ;;
	esac
}

echo '{}' >"$tmp/data.json"
# TOOL:WORDS: the tool, and what it needs besides its options to get as far as the configuration.
for t in "tools/starling-admin:shards" "tools/starling-worker:--once" \
    "tools/starling-tmpl:help $tmp/data.json"; do
	bin=$build/${t%%:*}
	tool=${t%%:*}
	tool=${tool##*/}
	words=${t#*:}
	for v in -V --version; do
		check "$tool $v prints its name and version" 0 "$tool (Starling) $version" - -- "$bin" $v
		if [ "$(cat "$tmp/out")" != "$tool (Starling) $version" ]; then
			echo "FAIL $tool $v: more than the version line"
			failed=$((failed + 1))
		fi
	done
	for h in -h --help; do
		check "$tool $h prints the usage on stdout" 0 "usage: $tool " - -- "$bin" $h
		for o in "-c, --conf" "-h, --help" "-V, --version"; do
			check "$tool $h lists $o" 0 "$o" - -- "$bin" $h
		done
	done
	check "$tool: an unknown long option" 2 - "$tool: unknown option --bogus" -- "$bin" --bogus
	check "... is followed by the usage" 2 - "usage: $tool " -- "$bin" --bogus
	check "$tool: an unknown option's control characters are not echoed" 2 - \
	    "$tool: unknown option --bo?gus" -- "$bin" "--bo$(printf '\033')gus"
	check "$tool: an unknown short option" 2 - "$tool: unknown option -Z" -- "$bin" -Z
	check "$tool: -c without its value" 2 - "$tool: -c needs a value" -- "$bin" -c
	check "$tool: --conf without its value" 2 - "$tool: --conf needs a value" -- "$bin" --conf
	check "$tool: --help=x" 2 - "$tool: --help takes no value" -- "$bin" --help=x
	# shellcheck disable=SC2086 # the words of words
	check "$tool: an empty --conf=" 2 - "$tool: " -- "$bin" --conf= $words
	# The configuration is read (and found missing) as -c FILE and as --conf=FILE.
	# shellcheck disable=SC2086
	check "$tool -c FILE reads FILE" 2 - "$tmp/none.conf" -- "$bin" -c "$tmp/none.conf" $words
	# shellcheck disable=SC2086
	check "$tool --conf=FILE reads FILE" 2 - "$tmp/none.conf" -- "$bin" --conf="$tmp/none.conf" $words
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
