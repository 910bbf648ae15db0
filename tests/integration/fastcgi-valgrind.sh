#!/bin/sh
# tests/integration/fastcgi-valgrind.sh: a long-lived FastCGI worker must not leak or touch bad
# memory. Runs starling-site, starling-post, starling-upload and starling-feed in turn under valgrind as FastCGI
# servers on a Unix socket (spawn-fcgi), sends each a few hundred requests of every kind through
# cgi-fcgi (good pages, errors, forms, multipart and raw bodies, oversized and malformed ones,
# the failure paths of a database that is down), stops it with SIGTERM as a web server would,
# and fails on any leak or memory error. Also runs starling-site as plain CGI, once per request,
# the way a shared host without FastCGI would.
#
# Valgrind cannot run an AddressSanitizer build: under `script/test` (sanitizers on) this test is
# skipped, and `make distcheck` (a plain build, run by .ci/run) runs it.
set -eu

src=${STARLING_SRCDIR:?set by make check}
build=${STARLING_BUILDDIR:?set by make check}
bin="$build/cgi-bin/site/starling-site"
post_bin="$build/cgi-bin/post/starling-post"
upload_bin="$build/cgi-bin/upload/starling-upload"
feed_bin="$build/cgi-bin/feed/starling-feed"
rounds=${STARLING_VALGRIND_ROUNDS:-40}

fail() { echo "fastcgi-valgrind: FAIL: $*"; exit 1; }

if [ "${STARLING_SANITIZERS:-no}" = yes ]; then
	echo "fastcgi-valgrind: SKIP: this build has the sanitizers; make distcheck runs it on a plain one"
	exit 77
fi
command -v valgrind >/dev/null 2>&1 || fail "valgrind not found; run script/bootstrap"

for tool in cgi-fcgi spawn-fcgi; do
	command -v "$tool" >/dev/null 2>&1 || fail "$tool not found; run script/bootstrap"
done
for b in "$bin" "$post_bin" "$upload_bin" "$feed_bin"; do
	[ -x "$b" ] || fail "$b not built"
done

run=$(mktemp -d "${TMPDIR:-/tmp}/starling-vg.XXXXXX")
pid=""
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -rf "$run"
}
trap cleanup EXIT INT TERM

# The database and cache unreachable: the health route exercises its failure path without
# waiting. Small limits, so that oversized bodies and images are cheap to send.
# shellcheck source=../lib/offline_conf.sh
. "$src/tests/lib/offline_conf.sh"
offline_conf "$run" "$src" error <<CONF
[http]
max_body_bytes = 4096
[media]
max_image_bytes = 2048
CONF
export STARLING_CONF="$run/starling.conf"

# request METHOD URI [CONTENT_TYPE BODY]: one request through cgi-fcgi; prints the status line.
request() {
	(
		export REQUEST_METHOD="$1" REQUEST_URI="$2" SERVER_PROTOCOL=HTTP/1.1
		export QUERY_STRING="${2#*\?}"
		[ "$QUERY_STRING" != "$2" ] || QUERY_STRING=""
		export HTTP_COOKIE="starling_csrf=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
		if [ $# -ge 4 ]; then
			export CONTENT_TYPE="$3" CONTENT_LENGTH="${#4}"
			printf '%s' "$4" | cgi-fcgi -bind -connect "$run/sock"
		else
			cgi-fcgi -bind -connect "$run/sock" </dev/null
		fi
	) | head -n 1 | tr -d '\r'
}

expect() {
	want=$1
	shift
	got=$(request "$@")
	[ "$got" = "Status: $want" ] || fail "$* answered \"$got\", want \"Status: $want\""
}

vg="$(command -v valgrind) --quiet --leak-check=full --show-leak-kinds=definite,indirect"
vg="$vg --errors-for-leak-kinds=definite,indirect --error-exitcode=42 --log-file=$run/valgrind.log"

# worker NAME BIN ROUNDS_FN: BIN under valgrind as a FastCGI server; ROUNDS_FN sends one round of
# requests, $rounds times; then SIGTERM, which must end the worker cleanly (status 0) with
# nothing for valgrind to report.
worker() {
	name=$1
	rm -f "$run/sock" "$run/valgrind.log"
	# shellcheck disable=SC2086
	spawn-fcgi -n -s "$run/sock" -- $vg "$2" >"$run/worker.out" 2>&1 &
	pid=$!
	i=0
	while [ ! -S "$run/sock" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -S "$run/sock" ] || fail "$name did not open its socket: $(cat "$run/worker.out")"
	i=0
	while [ $i -lt "$rounds" ]; do
		"$3"
		i=$((i + 1))
	done
	kill -TERM "$pid"
	status=0
	wait "$pid" || status=$?
	pid=""
	if [ "$status" -ne 0 ] || [ -s "$run/valgrind.log" ]; then
		echo "fastcgi-valgrind: $name exit status $status; valgrind says:"
		cat "$run/valgrind.log"
		fail "leaks or memory errors in $name"
	fi
	echo "PASS ${name}_no_leaks ($rounds rounds, clean exit on SIGTERM)"
}

big=$(head -c 5000 /dev/zero | tr '\0' 'a')
token=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef

site_round() {
	expect "200 OK" GET /help
	expect "200 OK" HEAD /help
	expect "503 Service Unavailable" GET /api/v1/health
	expect "404 Not Found" GET "/api/v1/nope?x=1"
	expect "404 Not Found" GET "/%3Cscript%3E"
	expect "405 Method Not Allowed" POST /api/v1/health application/json '{"a":1}'
	expect "400 Bad Request" GET "/api/v1/health?q=%zz"
	expect "400 Bad Request" POST /api/v1/health application/json '{"a":'
	expect "415 Unsupported Media Type" POST /language text/plain hello
	expect "413 Content Too Large" POST /language application/x-www-form-urlencoded "$big"
	expect "403 Forbidden" POST /language application/x-www-form-urlencoded "language=zh"
	expect "303 See Other" POST /language application/x-www-form-urlencoded \
		"language=zh&return_to=%2Fhelp&csrf_token=$token"
}

# A multipart form with a text field and a file part, and a broken one (no closing boundary).
crlf=$(printf '\r\n_')
crlf=${crlf%_}
form="--b1${crlf}Content-Disposition: form-data; name=\"content_text\"${crlf}${crlf}hi #tag${crlf}"
form="$form--b1${crlf}Content-Disposition: form-data; name=\"image\"; filename=\"a.png\"${crlf}"
form="${form}Content-Type: image/png${crlf}${crlf}not a png${crlf}--b1--${crlf}"
broken="--b1${crlf}Content-Disposition: form-data; name=\"content_text\"${crlf}${crlf}hi"

post_round() {
	expect "303 See Other" GET /compose
	expect "404 Not Found" GET /p/abc
	expect "503 Service Unavailable" GET /p/123
	expect "503 Service Unavailable" GET "/api/v1/post/detail?post_id=123"
	expect "400 Bad Request" GET "/api/v1/post/stats?post_ids=1,x"
	expect "401 Unauthorized" POST /api/v1/post/create application/json '{"content_text":"hi"}'
	expect "401 Unauthorized" POST /compose "multipart/form-data; boundary=b1" "$form"
	expect "400 Bad Request" POST /compose "multipart/form-data; boundary=b1" "$broken"
	expect "415 Unsupported Media Type" POST /api/v1/post/like "multipart/form-data; boundary=b1" "$form"
}

upload_round() {
	expect "401 Unauthorized" GET "/api/v1/upload/sign_image?ext=png"
	expect "400 Bad Request" PUT "/api/v1/upload/local?key=images/20260101/x.png&expires=1&sig=00" \
		image/png "not a png"
	expect "400 Bad Request" PUT "/api/v1/upload/local" image/png "not a png"
}

feed_round() {
	expect "200 OK" GET /
	expect "303 See Other" GET /notifications
	expect "401 Unauthorized" GET /api/v1/timeline/home
	expect "401 Unauthorized" GET /api/v1/notification/unread_count
	expect "400 Bad Request" GET /api/v1/search/posts
	expect "400 Bad Request" GET "/search?type=nope"
	expect "401 Unauthorized" POST /notifications/read application/x-www-form-urlencoded "up_to_id=1"
}

# --- FastCGI: one worker, many requests -----------------------------------------------------
worker starling_site "$bin" site_round
worker starling_post "$post_bin" post_round
worker starling_upload "$upload_bin" upload_round
worker starling_feed "$feed_bin" feed_round

# --- plain CGI: one process per request ------------------------------------------------------
out=$(REQUEST_METHOD=GET REQUEST_URI=/help QUERY_STRING= $vg "$bin" </dev/null)
printf '%s\n' "$out" | head -n 1 | grep -q '^Status: 200 OK' || fail "plain CGI /help: $(printf '%s' "$out" | head -n 3)"
printf '%s' "$out" | grep -q '<h1>Help</h1>' || fail "plain CGI /help lacks the page"
[ ! -s "$run/valgrind.log" ] || { cat "$run/valgrind.log"; fail "valgrind errors under plain CGI"; }
out=$(printf '{"a":' | REQUEST_METHOD=POST REQUEST_URI=/api/v1/health QUERY_STRING= \
	CONTENT_TYPE=application/json CONTENT_LENGTH=5 $vg "$bin")
printf '%s' "$out" | grep -q '"code":40003' || fail "plain CGI malformed JSON: $out"
echo "PASS plain_cgi"
echo "5 passed, 0 failed"
