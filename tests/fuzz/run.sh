#!/bin/sh
# tests/fuzz/run.sh: builds the fuzz targets with clang and libFuzzer, and runs them.
#
#   tests/fuzz/run.sh [-t SECONDS] [-m] [-b] [TARGET...]
#     -t SECONDS  the whole run's budget, shared evenly by the targets (default $FUZZ_SECONDS,
#                 else 60); each target gets at least 1 second
#     -m          afterwards, merge what the run found that adds coverage into the saved corpus,
#                 tests/fuzz/corpus/<target>/ (libFuzzer -merge=1), to commit with a fix
#     -b          build only
#     TARGET      conf json jwt linkmeta request text tmpl url utf8 (default: all)
#
# Needs a configured tree for config.h (./configure, or script/test, first): $STARLING_BUILDDIR,
# else the source tree. Builds into $FUZZ_OUT (default <build tree>/tests/fuzz/out) with
# tests/fuzz/fuzz.mk, incrementally. Each target starts from its saved corpus and writes what it
# discovers into $FUZZ_OUT/corpus/<target>/, never into the source tree (unless -m). A crash,
# a leak, a UBSan report, a failed FUZZ_CHECK, an input slower than 10 s or over 2 GB is a
# finding: the input is saved as $FUZZ_OUT/findings/<target>-crash-<sha1> (or -leak-, -timeout-,
# -oom-), shown, and the script exits 1 after running the other targets. Reproduce one with
#   $FUZZ_OUT/fuzz_<target> FILE        or, with any compiler, tests/fuzz/replay_<target> FILE
# Exit status: 0 clean, 1 a finding, 2 cannot build (no clang with libFuzzer: Debian packages
# clang, libclang-rt-dev and llvm).
set -eu

ALL_TARGETS="conf json jwt linkmeta request text tmpl url utf8"
SRCDIR=${STARLING_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILDDIR=${STARLING_BUILDDIR:-$SRCDIR}
OUT=${FUZZ_OUT:-$BUILDDIR/tests/fuzz/out}
CC=${CC:-clang}
seconds=${FUZZ_SECONDS:-60}
merge=no
build_only=no

say() { printf 'fuzz: %s\n' "$*"; }
die() { say "$*" >&2; exit 2; }

while getopts t:mb opt; do
	case $opt in
	t) seconds=$OPTARG ;;
	m) merge=yes ;;
	b) build_only=yes ;;
	*) die "usage: $0 [-t SECONDS] [-m] [-b] [TARGET...]" ;;
	esac
done
shift $((OPTIND - 1))
targets=${*:-$ALL_TARGETS}
for t in $targets; do
	case " $ALL_TARGETS " in
	*" $t "*) ;;
	*) die "unknown target $t (one of: $ALL_TARGETS)" ;;
	esac
done
case $seconds in
'' | *[!0-9]*) die "-t wants a number of seconds, not $seconds" ;;
esac

[ -f "$BUILDDIR/config.h" ] ||
	die "no config.h in $BUILDDIR: run ./configure (or script/test) first"
mkdir -p "$OUT/findings"
# libFuzzer ships with clang's runtime libraries, a package of its own on Debian.
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }\n' \
	>"$OUT/probe.c"
"$CC" -fsanitize=fuzzer,address,undefined "$OUT/probe.c" -o "$OUT/probe" 2>"$OUT/probe.log" ||
	die "$CC cannot build a libFuzzer program (Debian: apt-get install clang libclang-rt-dev llvm); it said: $(head -n 3 "$OUT/probe.log")"
# The project's warnings (and -Werror when configured with it), which clang takes as gcc does.
warn=$(sed -n 's/^STARLING_WARN = //p' "$BUILDDIR/Makefile" 2>/dev/null || true)
say "building $targets with $CC into $OUT"
# shellcheck disable=SC2046
make -s -j"$(nproc 2>/dev/null || echo 2)" -f "$SRCDIR/tests/fuzz/fuzz.mk" SRCDIR="$SRCDIR" \
	BUILDDIR="$BUILDDIR" OUT="$OUT" CC="$CC" ${warn:+WARN="$warn"} \
	$(for t in $targets; do echo "$OUT/fuzz_$t"; done)
[ "$build_only" = no ] || exit 0

# Stack traces with function names and lines.
if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ] && ! command -v llvm-symbolizer >/dev/null 2>&1; then
	for s in /usr/lib/llvm-*/bin/llvm-symbolizer; do
		[ -x "$s" ] && export ASAN_SYMBOLIZER_PATH="$s"
	done
fi
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"

n=$(echo "$targets" | wc -w)
each=$((seconds / n))
[ "$each" -ge 1 ] || each=1
status=0
for t in $targets; do
	mkdir -p "$OUT/corpus/$t"
	dict=""
	[ -f "$SRCDIR/tests/fuzz/$t.dict" ] && dict="-dict=$SRCDIR/tests/fuzz/$t.dict"
	say "$t: ${each}s"
	# Findings of earlier runs stay where they are; only this run's are shown.
	touch "$OUT/$t.stamp"
	# The first directory receives new inputs; the saved corpus is only read.
	# shellcheck disable=SC2086
	if ! "$OUT/fuzz_$t" -max_total_time="$each" -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 -artifact_prefix="$OUT/findings/$t-" $dict \
	    "$OUT/corpus/$t" "$SRCDIR/tests/fuzz/corpus/$t" >"$OUT/$t.log" 2>&1; then
		status=1
		say "$t: FINDING; the end of its log ($OUT/$t.log):"
		tail -n 60 "$OUT/$t.log"
		find "$OUT/findings" -name "$t-*" -newer "$OUT/$t.stamp" | while read -r f; do
			say "input $f ($(wc -c <"$f") bytes), base64:"
			base64 "$f" | head -n 20
		done
		continue
	fi
	grep -E '^stat::(number_of_executed_units|new_units_added):' "$OUT/$t.log" |
		sed "s/^/fuzz: $t: /"
	if [ "$merge" = yes ]; then
		"$OUT/fuzz_$t" -merge=1 "$SRCDIR/tests/fuzz/corpus/$t" "$OUT/corpus/$t" \
			>"$OUT/$t.merge.log" 2>&1
		say "$t: merged into tests/fuzz/corpus/$t: $(grep -o 'added [0-9]* new units' \
			"$OUT/$t.merge.log" || echo 'nothing new')"
	fi
done
[ "$status" -eq 0 ] && say "no findings" || say "findings are in $OUT/findings/"
exit "$status"
