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
	# "-- env VAR=x TOOL ARGS": the tool under an environment, named in full.
	if [ "${1:-}" = env ]; then
		"$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	else
		"$tool" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	fi
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
# -d is --dir; without either, the directory is [site] templates_dir of the configuration.
check short_dir_option 0 '<h1>&lt;b&gt;T&lt;/b&gt;</h1>' '' -- -d "$src/templates" help "$tmp/page.json"
check dir_equals_form 0 '<h1>&lt;b&gt;T&lt;/b&gt;</h1>' '' -- --dir="$src/templates" help "$tmp/page.json"
printf '[site]\ntemplates_dir = %s\n' "$src/templates" >"$tmp/site.conf"
check dir_from_conf 0 '<h1>&lt;b&gt;T&lt;/b&gt;</h1>' '' -- -c "$tmp/site.conf" help "$tmp/page.json"
check dir_from_STARLING_CONF 0 '<h1>&lt;b&gt;T&lt;/b&gt;</h1>' '' -- \
    env STARLING_CONF="$tmp/site.conf" "$tool" help "$tmp/page.json"
printf '[site]\ntemplates_dir = %s\n' "$tmp/broken" >"$tmp/broken.conf"
check dir_beats_conf 0 '<h1>&lt;b&gt;T&lt;/b&gt;</h1>' '' -- -c "$tmp/broken.conf" -d "$src/templates" help "$tmp/page.json"
check conf_dir_is_loaded 1 '' 'broken.mustache:1' -- -c "$tmp/broken.conf" help "$tmp/page.json"
printf '[site]\nbogus = 1\n' >"$tmp/bad.conf"
check bad_conf_is_a_configuration_error 2 '' 'bad.conf:2: [site] unknown key bogus' -- -c "$tmp/bad.conf" help "$tmp/page.json"
check usage_without_args 2 '' 'usage: starling-tmpl' --
check usage_one_arg 2 '' 'starling-tmpl: needs a template NAME and DATA.json' -- -d "$src/templates" help
check usage_extra_args 2 '' 'starling-tmpl: too many arguments' -- --dir "$src/templates" help "$tmp/page.json" extra

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
