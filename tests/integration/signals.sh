#!/bin/sh
# tests/integration/signals.sh: the FastCGI binaries under a web server's process management.
#
# Web servers stop a FastCGI worker with SIGTERM (the FastCGI spec, lighttpd, spawn-fcgi) or
# SIGUSR1 (mod_fcgid; multiwatch, which etc/starling-fcgi@.service.in runs, turns its own SIGTERM
# into SIGUSR1 to its children). A worker must then exit 0, at once when idle, and only after the
# request it is serving has been answered whole. Runs starling-site and starling-post as FastCGI
# servers on a Unix socket (spawn-fcgi), with a configuration whose database and cache are
# unreachable (the routes used answer without them), and checks:
#   1. idle worker: SIGTERM, and SIGUSR1, make it exit 0 within 5 s;
#   2. the signal comes in the middle of a request (tests/lib/fcgi_client.py holds the request:
#      the first half of the body sent, CONTENT_LENGTH declaring the whole; or the first half of
#      the PARAMS stream): the signal is held, not acted on, while the worker waits for the rest
#      (it shows in the process's pending set: that, not a sleep, orders the steps); the worker
#      is still alive; once the rest is sent, the whole response arrives (status line, headers,
#      Content-Length bytes of body, FCGI_END_REQUEST) and is the answer to the WHOLE body (a
#      half body would be malformed JSON, a 400), and only then does the worker exit 0;
#   3. spawn-fcgi -n -s SOCK -- multiwatch -f 3 -- starling-site: the socket on standard input,
#      as the systemd units give it (etc/starling-fcgi@.socket.in, .service.in):
#      two batches of concurrent requests all answered; three requests held at once (so by three
#      processes); SIGTERM to multiwatch reaches every child as SIGUSR1, held; the three requests
#      are then answered whole, each child stops (its log says so) and multiwatch exits 0;
#   4. plain CGI (no FastCGI socket, the request on a pipe and in the environment): one answer,
#      exit 0.
# A sanitizer build (script/test) writes its reports under the run directory; any report fails.
#
# Run by `make check` (STARLING_SRCDIR, STARLING_BUILDDIR); STARLING_KEEP_RUN=1 keeps the run
# directory. Prints one PASS or FAIL line per check, then "N passed, N failed".
# Exit status (automake): 0 passed, 1 failed, 77 a tool is missing (spawn-fcgi, multiwatch,
# python3, Linux /proc), 99 a binary is not built.
set -eu
LC_ALL=C
export LC_ALL

src=${STARLING_SRCDIR:?set by make check}
build=${STARLING_BUILDDIR:?set by make check}
site_bin=$build/cgi-bin/site/starling-site
post_bin=$build/cgi-bin/post/starling-post
fcgi=$src/tests/lib/fcgi_client.py

for b in "$site_bin" "$post_bin"; do
	[ -x "$b" ] || { echo "signals: $b is not built"; exit 99; }
done
for tool in spawn-fcgi multiwatch python3; do
	command -v "$tool" >/dev/null 2>&1 || {
		echo "signals: SKIP: $tool not found; run script/bootstrap"
		exit 77
	}
done
grep -q '^ShdPnd:' "/proc/$$/status" 2>/dev/null || {
	echo "signals: SKIP: needs Linux /proc (pending signals, a process's children)"
	exit 77
}
spawn=$(command -v spawn-fcgi)
multiwatch=$(command -v multiwatch)

# shellcheck source=../lib/checks.sh
. "$src/tests/lib/checks.sh"
# shellcheck source=../lib/sanitizer.sh
. "$src/tests/lib/sanitizer.sh"

run=$(mktemp -d "${TMPDIR:-/tmp}/starling-signals.XXXXXX")
pids=""
cleanup() {
	for p in $pids; do
		! alive "$p" || kill -KILL "$p" 2>/dev/null || true
	done
	if [ "${STARLING_KEEP_RUN:-}" = 1 ]; then
		echo "signals: run directory kept: $run"
	else
		rm -rf "$run"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

mkdir -p "$run/mail" "$run/media"
sanitizer_to "$run"

# The database and cache unreachable; level info so that each worker logs why it stopped.
# shellcheck source=../lib/offline_conf.sh
. "$src/tests/lib/offline_conf.sh"
offline_conf "$run" "$src" info </dev/null
export STARLING_CONF="$run/starling.conf"

# Signal numbers as this system has them (SIGUSR1 is not 10 everywhere).
signum() { python3 -c "import signal, sys; print(int(getattr(signal, 'SIG' + sys.argv[1])))" "$1"; }
sig_term=$(signum TERM)
sig_usr1=$(signum USR1)

# --- helpers -----------------------------------------------------------------------------------

# alive PID: PID runs (a zombie has exited: not alive).
alive() {
	state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}
dead() { ! alive "$1"; }

# held PID SIG: SIG has reached PID and waits in its pending set (shared or per thread), blocked.
held() {
	case $2 in
	TERM) bit=$((1 << (sig_term - 1))) ;;
	USR1) bit=$((1 << (sig_usr1 - 1))) ;;
	esac
	for f in ShdPnd SigPnd; do
		v=$(sed -n "s/^$f:[[:space:]]*//p" "/proc/$1/status" 2>/dev/null)
		[ -n "$v" ] && [ $((0x$v & bit)) -ne 0 ] && return 0
	done
	return 1
}

# all_ready NAME...: every held request NAME has been taken by a worker.
all_ready() {
	for n in "$@"; do
		[ -e "$run/$n.ready" ] || return 1
	done
}

# children PID: the pids of PID's children.
children() { cat "/proc/$1/task/"*/children 2>/dev/null; }
count_children() { [ "$(children "$1" | wc -w)" -eq "$2" ]; }

# within SECONDS CMD...: runs CMD until it succeeds, polling for at most SECONDS.
within() {
	left=$(($1 * 50))
	shift
	until "$@"; do
		left=$((left - 1))
		[ "$left" -gt 0 ] || return 1
		sleep 0.02
	done
}

# start NAME CMD...: CMD as a FastCGI server on $run/NAME.sock (spawn-fcgi execs it: wpid, its
# pid, is CMD's), returning once it has answered a first request: it is then in its accept loop.
start() {
	name=$1
	shift
	sock=$run/$name.sock
	"$spawn" -n -s "$sock" -- "$@" >"$run/$name.out" 2>&1 &
	wpid=$!
	pids="$pids $wpid"
	if ! within 10 test -S "$sock"; then
		fail "$name: no socket: $(cat "$run/$name.out")"
		return 1
	fi
	if ! python3 "$fcgi" --socket "$sock" GET /api/v1/nope >"$run/$name.first" 2>&1; then
		fail "$name: no answer to a first request: $(cat "$run/$name.first")"
		return 1
	fi
}

# stopped NAME PID: PID exits within 5 s, with status 0.
stopped() {
	if ! within 5 dead "$2"; then
		fail "$1: still running 5 s after the signal"
		kill -KILL "$2"
		wait "$2" || true
		return 1
	fi
	st=0
	wait "$2" || st=$?
	[ "$st" -eq 0 ] || { fail "$1: exit status $st, want 0: $(tail -n 3 "$run/$1.out")"; return 1; }
}

# whole FILE STATUS CODE: FILE is one whole response: "Status: STATUS" first, as many body bytes
# as Content-Length says, and the JSON envelope with CODE. Prints what is wrong otherwise.
whole() {
	got=$(head -n 1 "$1" | tr -d '\r')
	[ "$got" = "Status: $2" ] || { echo "status \"$got\", want \"Status: $2\""; return 1; }
	want=$(sed -n 's/^Content-Length: \([0-9]*\)\r$/\1/p' "$1")
	[ -n "$want" ] || { echo "no Content-Length"; return 1; }
	got=$(($(wc -c <"$1") - $(sed -n '1,/^\r$/p' "$1" | wc -c)))
	[ "$got" -eq "$want" ] || { echo "$got body bytes, Content-Length $want"; return 1; }
	grep -q "\"code\":$3," "$1" || { echo "no \"code\":$3 in: $(tail -n 1 "$1")"; return 1; }
}

# hold NAME STAGE URI BODY: a POST of JSON BODY to URI on $sock, taken by a worker (--sync) and
# held at STAGE (params, body) until $run/NAME.go exists; cpid is the client's pid, its response
# goes to $run/NAME.resp.
hold() {
	python3 "$fcgi" --socket "$sock" --sync --pause "$2" --ready "$run/$1.ready" \
		--go "$run/$1.go" --content-type application/json --body "$4" POST "$3" \
		>"$run/$1.resp" 2>"$run/$1.err" &
	cpid=$!
	pids="$pids $cpid"
}

# answered NAME CPID STATUS CODE: the held request NAME (client CPID) got its whole answer.
answered() {
	st=0
	wait "$2" || st=$?
	if [ "$st" -ne 0 ]; then
		fail "$1: request cut: $(cat "$run/$1.err")"
		return 1
	fi
	if ! why=$(whole "$run/$1.resp" "$3" "$4"); then
		fail "$1: $why"
		return 1
	fi
}

# use APP: bin, the binary of APP (site, post), and the request held mid-way: a JSON POST of body
# to uri, answered status and code. A half body is malformed JSON (400, code 40003): only the
# whole one gets these answers, which need no database.
use() {
	case $1 in
	site)
		bin=$site_bin uri=/api/v1/health body='{"probe":1}'
		status="405 Method Not Allowed" code=40500
		;;
	post)
		bin=$post_bin uri=/api/v1/post/create body='{"content_text":"hi"}'
		status="401 Unauthorized" code=40100
		;;
	esac
}

# --- 1. an idle worker -------------------------------------------------------------------------

# idle NAME BIN SIG
idle() {
	start "$1" "$2" || return 0
	kill -"$3" "$wpid"
	stopped "$1" "$wpid" && pass "$1: idle worker, SIG$3: exits 0"
	return 0
}
idle site-idle-term "$site_bin" TERM
idle site-idle-usr1 "$site_bin" USR1
idle post-idle-term "$post_bin" TERM
idle post-idle-usr1 "$post_bin" USR1

# --- 2. a signal in the middle of a request ------------------------------------------------------

# midway NAME APP STAGE SIG: APP (site, post) holding a request at STAGE gets SIG.
midway() {
	name=$1
	use "$2"
	start "$name" "$bin" || return 0
	hold "$name" "$3" "$uri" "$body"
	ok=1
	if ! within 10 test -e "$run/$name.ready"; then
		fail "$name: no worker took the request: $(cat "$run/$name.err")"
		ok=0
	else
		kill -"$4" "$wpid"
		if ! within 5 held "$wpid" "$4"; then
			fail "$name: SIG$4 sent mid-request is not held until the request ends"
			ok=0
		fi
		alive "$wpid" || { fail "$name: the worker exited in the middle of a request"; ok=0; }
	fi
	: >"$run/$name.go"
	answered "$name" "$cpid" "$status" "$code" || ok=0
	stopped "$name" "$wpid" || ok=0
	[ "$ok" = 0 ] || pass "$name: SIG$4 mid-request ($3): whole answer ($status), then exit 0"
	return 0
}
midway site-body-term site body TERM
midway site-body-usr1 site body USR1
midway site-params-term site params TERM
midway site-params-usr1 site params USR1
midway post-body-term post body TERM
midway post-params-usr1 post params USR1

# --- 3. several processes on one socket: spawn-fcgi + multiwatch ---------------------------------

several() {
	name=multi
	use site
	start "$name" "$multiwatch" -f 3 -- "$bin" || return 0
	mpid=$wpid
	if ! within 10 count_children "$mpid" 3; then
		fail "$name: multiwatch did not start 3 children: $(children "$mpid")"
		return 0
	fi
	kids=$(children "$mpid")
	pids="$pids $kids"

	# Two kinds of request at once, 6 connections each.
	python3 "$fcgi" --socket "$sock" --count 60 --parallel 6 GET /help >"$run/many-help" &
	c1=$!
	python3 "$fcgi" --socket "$sock" --count 60 --parallel 6 --content-type application/json \
		--body '{"a":' POST /api/v1/health >"$run/many-bad" || true
	wait "$c1" || true
	help=$(grep -c '^Status: 200 OK$' "$run/many-help" || true)
	bad=$(grep -c '^Status: 400 Bad Request$' "$run/many-bad" || true)
	if [ "$help" -eq 60 ] && [ "$bad" -eq 60 ]; then
		pass "$name: 120 concurrent requests to 3 processes all answered"
	else
		fail "$name: of 60 GET /help $help answered 200, of 60 bad POSTs $bad answered 400:" \
			"$(sort "$run/many-help" "$run/many-bad" | uniq -c)"
	fi

	# One request held per process (a process serves one at a time: all three are busy).
	hold multi-1 body "$uri" "$body"
	h1=$cpid
	hold multi-2 body "$uri" "$body"
	h2=$cpid
	hold multi-3 params "$uri" "$body"
	h3=$cpid
	ok=1
	if ! within 10 all_ready multi-1 multi-2 multi-3; then
		fail "$name: three requests are not taken at once by three processes"
		ok=0
	fi
	kill -TERM "$mpid"
	for k in $kids; do
		if ! within 5 held "$k" USR1; then
			fail "$name: child $k has no SIGUSR1 held after SIGTERM to multiwatch"
			ok=0
		fi
		alive "$k" || { fail "$name: child $k exited in the middle of a request"; ok=0; }
	done
	: >"$run/multi-1.go"
	: >"$run/multi-2.go"
	: >"$run/multi-3.go"
	answered multi-1 "$h1" "$status" "$code" || ok=0
	answered multi-2 "$h2" "$status" "$code" || ok=0
	answered multi-3 "$h3" "$status" "$code" || ok=0
	stopped "$name" "$mpid" || ok=0
	for k in $kids; do
		if alive "$k"; then
			fail "$name: child $k still runs after multiwatch exited"
			ok=0
		elif ! grep -q "prog=starling-site pid=$k .*stopping: asked to by a signal" "$run/$name.out"
		then
			fail "$name: child $k did not stop through its loop's end"
			ok=0
		fi
	done
	[ "$ok" = 0 ] ||
		pass "$name: SIGTERM to multiwatch: 3 held requests answered whole, every process exits"
	return 0
}
several

# --- 4. plain CGI ------------------------------------------------------------------------------

# cgi APP: APP as a CGI program: the whole request in the environment and on a pipe.
cgi() {
	use "$1"
	st=0
	printf '%s' "$body" | env GATEWAY_INTERFACE=CGI/1.1 SERVER_PROTOCOL=HTTP/1.1 \
		REQUEST_METHOD=POST REQUEST_URI="$uri" QUERY_STRING= CONTENT_TYPE=application/json \
		CONTENT_LENGTH=${#body} REMOTE_ADDR=127.0.0.1 "$bin" >"$run/cgi-$1.resp" \
		2>"$run/cgi-$1.err" || st=$?
	if [ "$st" -ne 0 ]; then
		fail "cgi-$1: exit status $st, want 0: $(cat "$run/cgi-$1.err")"
	elif ! why=$(whole "$run/cgi-$1.resp" "$status" "$code"); then
		fail "cgi-$1: $why"
	else
		pass "cgi-$1: plain CGI: one whole answer ($status), exit 0"
	fi
}
cgi site
cgi post

# --- sanitizer reports -------------------------------------------------------------------------

if sanitizer_reports "$run"; then
	pass "no sanitizer report"
else
	fail "sanitizer reports (above)"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
