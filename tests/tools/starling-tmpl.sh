#!/bin/sh
# tests/tools/starling-tmpl.sh: the template preview tool renders real templates with JSON data,
# and fails with a message and a non-zero status on every kind of bad input.
set -u

src=${STARLING_SRCDIR:?set by make check}
tool="${STARLING_BUILDDIR:?set by make check}/tools/starling-tmpl"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/starling-tmpl.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
passed=0
failed=0

# check NAME WANT_STATUS WANT_OUT WANT_ERR -- ARGS...: runs the tool; compares status, and looks
# for WANT_OUT in stdout and WANT_ERR in stderr (empty: not checked).
check() {
	name=$1 want=$2 out_has=$3 err_has=$4
	shift 5
	"$tool" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	got=$?
	if [ "$got" -eq "$want" ] &&
	    { [ -z "$out_has" ] || grep -qF -- "$out_has" "$tmp/out"; } &&
	    { [ -z "$err_has" ] || grep -qF -- "$err_has" "$tmp/err"; }; then
		echo "PASS $name"
		passed=$((passed + 1))
	else
		echo "FAIL $name: status $got (want $want)"
		sed 's/^/  out: /' "$tmp/out" | head -n 5
		sed 's/^/  err: /' "$tmp/err" | head -n 5
		failed=$((failed + 1))
	fi
}

cat >"$tmp/page.json" <<'JSON'
{"page": {"title": "<b>T</b>", "sections": [{"id": "a", "heading": "H1", "body": "x & y"}]},
 "t": {"help": {"intro": "Intro", "contents": "Contents"}}}
JSON
printf '{"page": ' >"$tmp/bad.json"
printf '{{#open}}never closed\n' >"$tmp/broken.mustache"
mkdir "$tmp/broken" && cp "$tmp/broken.mustache" "$tmp/broken/"

check renders_help_escaped 0 '<h1>&lt;b&gt;T&lt;/b&gt;</h1>' '' -- --dir "$src/templates" help "$tmp/page.json"
check escapes_ampersand 0 'x &amp; y' '' -- --dir "$src/templates" help "$tmp/page.json"
check unknown_template 1 '' 'starling-tmpl: ' -- --dir "$src/templates" nosuch "$tmp/page.json"
check malformed_json 1 '' 'starling-tmpl: ' -- --dir "$src/templates" help "$tmp/bad.json"
check missing_data_file 1 '' 'starling-tmpl: ' -- --dir "$src/templates" help "$tmp/none.json"
check syntax_error_names_file 1 '' 'broken.mustache:1' -- --dir "$tmp/broken" broken "$tmp/page.json"
check missing_dir 1 '' 'starling-tmpl: ' -- --dir "$tmp/nodir" help "$tmp/page.json"
check usage_without_args 2 '' 'usage: starling-tmpl' --
check usage_extra_args 2 '' 'usage: starling-tmpl' -- --dir "$src/templates" help "$tmp/page.json" extra

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
