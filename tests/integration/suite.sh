#!/bin/bash
# tests/integration/suite.sh SERVER: the integration suite through one web server and real servers.
#
# SERVER is one of the four set-ups of docs/deploy.md, each started from the shipped files of
# etc/, rendered with test ports and paths (script/lib/stack.sh, script/lib/apache.sh):
#   lighttpd           lighttpd spawning the binaries (etc/lighttpd.conf.in)
#   apache-proxy-fcgi  Apache mod_proxy_fcgi to the binaries under multiwatch, on the sockets of
#                      their socket units (etc/apache-proxy-fcgi.conf.in,
#                      etc/starling-fcgi@.socket.in, etc/starling-fcgi@.service.in)
#   apache-fcgid       shared hosting: Apache mod_fcgid, .htaccess and wrappers
#                      (etc/apache-shared.conf.in, etc/htaccess, etc/starling.fcgi.in)
#   apache-cgi         the same document root through mod_cgid: plain CGI
# tests/integration/lighttpd.sh, apache-proxy-fcgi.sh, apache-fcgid.sh and apache-cgi.sh run it,
# one test of `make check` each, so that no route works under one server and fails under another.
#
# Starts two private MariaDB instances, two memcached servers and the web server on free loopback
# ports under a fresh temporary directory, and starling-worker from its shipped systemd unit
# (etc/starling-worker.service.in), so that every test runs against data spread over more than
# one instance ([mysql] instances and [memcached] servers list both; the shard databases are made
# on both by the built starling-admin migrate, as in production). Then runs:
#   1. tests/integration/test_http.py    (every HTTP behaviour)
#   2. tests/browser/test_help.py        (headless chromium: rendered DOM and a screenshot)
#      then the browser tests of accounts and posts (tests/browser/test_accounts.py,
#      test_posts.py, test_pages.py: the main pages at desktop and phone widths
#      through axe-core, test_multi_image.py: two images with alt texts composed at both
#      widths, test_js.py: static/starling.js in place of page loads,
#      test_keyboard.py: sign-up, post, reply, like and follow with the keyboard alone,
#      test_warnings.py: content warnings, sensitive media and bookmarks, script off and on),
#      tests/integration/test_posts.py, test_graph.py, test_upload.py,
#      test_media.py (images processed by the worker), test_multi_image.py (four images, alt text),
#      test_lists.py, test_profile.py, test_notify.py, test_passwords.py, test_metrics.py,
#      test_feeds.py, test_cards.py (link previews, favicon, robots.txt), test_bookmarks.py,
#      test_content_warning.py, test_post_people.py, test_timeline.py,
#      test_limits.py (the rate limits: 429 for each write), test_search.py,
#      test_trends.py, test_zones.py (the settings' time zone, the cards' times),
#      test_links.py (link cards against a server of its own on loopback),
#      test_budget.py (round trips per request read from the access log),
#      test_moderation.py (roles, the reports queue, suspension; an instance hung for the
#      queue's partial answer),
#      test_switches.py (the operators' degradation switches),
#      tests/browser/test_feed.py, test_discover.py, test_moderate.py (a moderator works
#      through the queue) and, last because it uses up
#      the sign-ups of this address,
#      test_accounts.py
#   3. shared hosting only: the worker's crontab line (etc/crontab.in) runs and exits 0
#   4. degraded: one memcached stopped, then one MariaDB instance stopped too: the health check
#      answers 503 50300 naming the cache, then the database; /help is still served
#   5. checks: no sanitizer report from the FastCGI processes, no crash in the web server's logs
# Everything is stopped and the directory removed at exit, whatever happened.
#
# Run by `make check` with STARLING_SRCDIR and STARLING_BUILDDIR (absolute); by hand:
#   STARLING_SRCDIR=$PWD STARLING_BUILDDIR=$PWD tests/integration/suite.sh apache-fcgid
# STARLING_KEEP_RUN=1 keeps the run directory (logs, configs, screenshot) for a post-mortem.
# STARLING_ONLY="test_posts test_timeline" runs only the named test files (then the degraded
# phases and checks), for a quick loop while changing one part.
# STARLING_SETUPS="lighttpd" runs the suite only for the set-ups it names and skips the others
# (exit 77): .ci/run's make distcheck sets it, since script/test ran all four with sanitizers.
# STARLING_BROWSER_SETUPS (default "lighttpd") names the set-ups that run the browser tests
# (tests/browser/*.py): they test the pages, which do not depend on the web server; the others
# skip them (a file STARLING_ONLY names runs in any set-up). The end of the output is a table
# of the ten slowest test files. docs/testing.md says which tests to run when.
# Exit status (automake): 0 passed, 1 failed, 99 could not run (missing tool or binary).
set -eu

SRCDIR=${STARLING_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILDDIR=${STARLING_BUILDDIR:-$SRCDIR}
SITE_BIN=$BUILDDIR/cgi-bin/site/starling-site
ADMIN_BIN=$BUILDDIR/tools/starling-admin
WORKER_BIN=$BUILDDIR/tools/starling-worker
export STARLING_SRCDIR="$SRCDIR" STARLING_BUILDDIR="$BUILDDIR"
SERVER=${1:-}
# Nothing may be written into the source tree (read-only under make distcheck).
export PYTHONDONTWRITEBYTECODE=1

# shellcheck source=../../script/lib/stack.sh
. "$SRCDIR/script/lib/stack.sh"
# shellcheck source=../../script/lib/apache.sh
. "$SRCDIR/script/lib/apache.sh"
# shellcheck source=../lib/sanitizer.sh
. "$SRCDIR/tests/lib/sanitizer.sh"

say() { printf '%s: %s\n' "${SERVER:-suite}" "$*"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

if [ -n "${STARLING_SETUPS:-}" ] && ! printf ' %s ' "$STARLING_SETUPS" | grep -q " $SERVER "; then
	say "SKIP: STARLING_SETUPS='$STARLING_SETUPS' leaves this set-up out"
	exit 77
fi
# The set-ups that run the browser tests (tests/browser): the pages are the same in every set-up,
# and these tests are the slowest; one set-up is enough unless a test is about a set-up.
BROWSER_SETUPS=${STARLING_BROWSER_SETUPS:-lighttpd}
case "$SERVER" in
lighttpd) web_tools=lighttpd ;;
apache-proxy-fcgi) web_tools="apache2 multiwatch" ;;
apache-fcgid)
	web_tools=apache2
	[ -f "$STACK_APACHE_MODULES/mod_fcgid.so" ] ||
		{ say "ERROR: mod_fcgid is not installed; run script/bootstrap"; exit 99; }
	;;
apache-cgi) web_tools=apache2 ;;
*) say "ERROR: usage: $0 lighttpd|apache-proxy-fcgi|apache-fcgid|apache-cgi"; exit 99 ;;
esac
for tool in mariadbd mariadb-install-db mariadb memcached $web_tools curl python3 chromium chromedriver; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		say "ERROR: '$tool' is not installed; run script/bootstrap"
		exit 99
	fi
done
for bin in "$SITE_BIN" "$ADMIN_BIN" "$WORKER_BIN"; do
	if [ ! -x "$bin" ]; then
		say "ERROR: $bin is not built"
		exit 99
	fi
done

RUN=$(mktemp -d "${TMPDIR:-/tmp}/starling-it.XXXXXX")
failures=0

stack_cleanup_on_exit "$RUN"

# fail WHAT: record a failure and go on, so that one run reports every problem.
fail() {
	say "FAIL: $*"
	failures=$((failures + 1))
}

# The web server's own logs, where the binaries' stderr goes too.
case "$SERVER" in
lighttpd) web_logs="lighttpd-error.log lighttpd.out" ;;
apache-proxy-fcgi) web_logs="apache-error.log apache.out starling-error.log fcgi-site.log fcgi-account.log fcgi-post.log fcgi-feed.log fcgi-upload.log" ;;
*) web_logs="apache-error.log apache.out starling-error.log" ;;
esac

show_logs() {
	for f in $web_logs worker.log; do
		stack_log_tail "$RUN/$f" 2>&1
	done
}

web_start() {
	case "$SERVER" in
	lighttpd) stack_lighttpd_start "$RUN" "$SRCDIR" "$http_port" "$RUN/starling.conf" "$BUILDDIR" ;;
	*) stack_apache_start "$RUN" "$SRCDIR" "${SERVER#apache-}" "$http_port" "$RUN/starling.conf" \
		"$BUILDDIR" ;;
	esac
}

# web_stop: stop the web server and the binaries; fail if it had died during the tests.
web_stop() {
	local name alive=yes
	case "$SERVER" in
	lighttpd) name=lighttpd ;;
	*) name=apache ;;
	esac
	stack_alive "$RUN" "$name" || alive=no
	stack_stop "$RUN" "$name"
	for f in "$RUN"/fcgi-*.pid; do
		[ -e "$f" ] || continue
		f=${f##*/}
		stack_alive "$RUN" "${f%.pid}" || alive=no
		stack_stop "$RUN" "${f%.pid}"
	done
	[ "$alive" = yes ]
}

say "run directory $RUN"
# Sanitizer reports of the FastCGI processes (a --enable-sanitizers build) go to files here.
sanitizer_to "$RUN"

# --- start -------------------------------------------------------------------------------------
t0=$(now)
stack_prepare "$RUN"
password=$(stack_gen_password)
# shellcheck disable=SC2046 # one port per word
set -- $(stack_free_ports 8)
mysql_ports="$1 $2"
memcached_ports="$3 $4"
http_port=$5
# test_links.py serves pages on both: the first is allow-listed for the link fetcher ([links]
# allow_hosts), the second is not (a loopback address it must refuse).
links_ports="$6 $7"
export STACK_LINKS_ALLOW_HOSTS="127.0.0.1:$6"
stack_backends_start "$RUN" starling starling "$password" "$mysql_ports" "$memcached_ports"
# STARLING_MEDIA=s3 (tests/integration/s3.sh): media go to an S3-compatible store, s3rver on a
# loopback port, started only for such a run; the secret is s3rver's own account's.
if [ "${STARLING_MEDIA:-local}" = s3 ]; then
	s3_port=$8
	stack_s3_start "$RUN/s3" "$s3_port" starling-media || fail "s3rver did not start"
	printf 'S3RVER\n' >"$RUN/s3.secret"
	chmod 600 "$RUN/s3.secret"
	export STACK_MEDIA_S3_ENDPOINT=http://127.0.0.1:$s3_port STACK_MEDIA_S3_BUCKET=starling-media \
		STACK_MEDIA_S3_SECRET_FILE=$RUN/s3.secret
	export STARLING_TEST_S3="$STACK_MEDIA_S3_ENDPOINT starling-media"
fi
BASE=http://127.0.0.1:$http_port
# Cheap password hashes (the tests hash hundreds) and a sign-up limit the tests can reach
# (test_accounts.py, last, needs a few dozen of them left after every other file's users).
export STACK_ARGON2_PASSES=1 STACK_ARGON2_MEMORY_KIB=1024 STACK_SIGNUPS_PER_IP=400
# The tests' users write far more than people do (a page of notifications from one sender, a
# hundred follows from one account): every per-account write limit is out of their way.
# test_limits.py reads the limits from the configuration and brings its accounts to them.
export STACK_WRITE_LIMITS=100000
# Shared hosting serves the uploads from the document root.
case "$SERVER" in
apache-fcgid | apache-cgi) export STACK_MEDIA_DIR=$RUN/www/media ;;
esac
# Every file of etc/ that the harness renders is named here (tests/integration/etc.sh).
export STACK_RENDERED=$RUN/rendered
# Under Apache the binaries run as another account (www-data, nobody) which may not reach the
# source tree (a clone under /root): they get the templates and static files in RUN/share, the
# installed layout ($pkgdatadir/templates, $pkgdatadir/static; the static files as make built
# them, minified: stack_built_static).
share=$SRCDIR
case "$SERVER" in
apache-*)
	share=$RUN/share
	mkdir -p "$share/static"
	cp -R "$SRCDIR/templates" "$share/"
	cp "$(stack_built_static "$SRCDIR" "$BUILDDIR")"/* "$share/static/"
	chmod -R a+rX "$share"
	;;
esac
stack_write_conf "$RUN/starling.conf" "$BASE" "$share" "$mysql_ports" starling starling \
	"$password" "$memcached_ports" info
stack_migrate "$RUN" "$RUN/starling.conf" "$SRCDIR" "$ADMIN_BIN"
web_start
# mod_proxy_fcgi: the binaries listen on Unix sockets only the web server's account may open
# (etc/starling-fcgi@.service.in), never on a TCP port.
if [ "$SERVER" = apache-proxy-fcgi ]; then
	web_user=$(stack_apache_accounts proxy-fcgi | cut -d' ' -f3)
	for sock in "$RUN"/fcgi/*.sock; do
		got=$(stat -c '%A %U' "$sock")
		[ "$got" = "srw-rw---- $web_user" ] ||
			fail "$sock is '$got', want 'srw-rw---- $web_user' (only the web server may connect)"
	done
fi
# The worker runs beside the site, as in production, from its shipped systemd unit; tests that
# need it stopped (jobs then run only at request time) call $STARLING_TEST_WORKER_CTL stop, and
# start after.
stack_render "$SRCDIR/etc/starling-worker.service.in" "$RUN/starling-worker.service" \
	CONF="$RUN/starling.conf" SBIN_DIR="$(dirname "$WORKER_BIN")" USER="$(id -un)" \
	GROUP="$(id -gn)"
stack_worker_start "$RUN" "$RUN/starling.conf" "$WORKER_BIN" "$RUN/starling-worker.service"
stack_worker_ctl_write "$RUN" "$SRCDIR" "$RUN/starling.conf" "$WORKER_BIN" \
	"$RUN/starling-worker.service"
export STARLING_TEST_WORKER_CTL=$RUN/worker-ctl
say "stack up in $(since "$t0"): $BASE (MariaDB :$1 :$2, memcached :$3 :$4)"

# --- tests -------------------------------------------------------------------------------------
# Some tests run SQL on every instance (as root, through the socket) where HTTP cannot reach:
# expiring a code, a follow before the graph has its routes, reading tb_job. Its one argument is
# the statements; they run in every shard database.
cat >"$RUN/run-sql" <<EOF
#!/bin/sh
for d in "$RUN"/mariadb-*; do
	for db in \$(mariadb --no-defaults --socket="\$d/mysql.sock" --user=root --batch \
		--skip-column-names -e "SHOW DATABASES LIKE 'starling\\_%'"); do
		mariadb --no-defaults --socket="\$d/mysql.sock" --user=root --batch --skip-column-names \
			--database="\$db" -e "\$1" || exit 1
	done
done
EOF
chmod 700 "$RUN/run-sql"

# What the tests may reach besides HTTP: the mail spool (codes), SQL, the token key (forging
# expired tokens) and the admin tool.
export STARLING_TEST_MAIL_DIR=$RUN/mail STARLING_TEST_SQL=$RUN/run-sql \
	STARLING_TEST_KEY_FILE=$RUN/token.key STARLING_TEST_ADMIN="$ADMIN_BIN -c $RUN/starling.conf" \
	STARLING_TEST_WORKER="$WORKER_BIN --conf $RUN/starling.conf"
# Which set-up this is: a check that one cannot pass by design is skipped there, saying why.
export STARLING_TEST_SERVER=$SERVER

# run_test FILE [ARG...]: the python test SRCDIR/FILE against BASE, with ARGs after BASE; a
# failure is recorded and the run goes on, so that one run reports every problem.
run_test() {
	local file=$1 t1 name
	shift
	# STARLING_ONLY="test_timeline test_posts": run only these files (a developer's quick loop).
	name=$(basename "$file" .py)
	case " ${STARLING_ONLY:-$name} " in
	*" $name "*) ;;
	*) return 0 ;;
	esac
	# The browser tests check pages, which every set-up renders alike: they run in the set-ups
	# of STARLING_BROWSER_SETUPS only, unless STARLING_ONLY names them.
	case "$file" in
	tests/browser/*)
		if [ -z "${STARLING_ONLY:-}" ] && ! printf ' %s ' "$BROWSER_SETUPS" | grep -q " $SERVER "
		then
			say "$file: not in this set-up (STARLING_BROWSER_SETUPS='$BROWSER_SETUPS')"
			return 0
		fi
		;;
	esac
	t1=$(now)
	say "== $file"
	python3 "$SRCDIR/$file" "$BASE" "$@" || fail "$file"
	say "$file took $(since "$t1")"
	# One line per file for the table of the slowest at the end.
	awk -v a="$t1" -v b="$(now)" -v f="$file" 'BEGIN { printf "%.1f %s\n", b - a, f }' \
		>>"$RUN/times"
}

# slowest_tests: the ten test files that took longest in this run, slowest first.
slowest_tests() {
	[ -s "$RUN/times" ] || return 0
	say "== the slowest test files under $SERVER (seconds)"
	sort -rn "$RUN/times" | head -n 10 | while read -r secs file; do
		say "$(printf '%7s  %s' "$secs" "$file")"
	done
}

# browser_dir NAME: a directory for a browser test's screenshots and pages.
browser_dir() {
	mkdir -p "$RUN/browser-$1"
	printf '%s\n' "$RUN/browser-$1"
}

run_test tests/integration/test_http.py
run_test tests/integration/test_openapi.py
run_test tests/browser/test_help.py "$(browser_dir help)"
run_test tests/browser/test_accounts.py "$(browser_dir accounts)" "$RUN/mail"
run_test tests/browser/test_posts.py "$(browser_dir posts)" "$RUN/mail"
run_test tests/browser/test_feed.py "$(browser_dir feed)" "$RUN/mail"
run_test tests/browser/test_pages.py "$(browser_dir pages)" "$RUN/mail"
run_test tests/browser/test_multi_image.py "$(browser_dir multi-image)" "$RUN/mail"
run_test tests/browser/test_js.py "$(browser_dir js)" "$RUN/mail"
run_test tests/browser/test_keyboard.py "$(browser_dir keyboard)" "$RUN/mail"
run_test tests/browser/test_warnings.py "$(browser_dir warnings)" "$RUN/mail"
app_logs=$(for f in $web_logs; do printf '%s ' "$RUN/$f"; done)
STARLING_TEST_APP_LOGS=$app_logs run_test tests/integration/test_media_s3.py
for t in test_posts test_graph test_upload test_media test_multi_image test_lists test_profile \
	test_notify test_passwords \
	test_metrics test_feeds test_cards test_bookmarks test_content_warning test_post_people; do
	STARLING_TEST_APP_LOGS=$app_logs run_test "tests/integration/$t.py"
done
STARLING_TEST_MEMCACHED="127.0.0.1:${memcached_ports%% *} 127.0.0.1:${memcached_ports##* }" \
	run_test tests/integration/test_timeline.py
STARLING_TEST_MEMCACHED="127.0.0.1:${memcached_ports%% *} 127.0.0.1:${memcached_ports##* }" \
	STARLING_TEST_CONF=$RUN/starling.conf run_test tests/integration/test_limits.py
run_test tests/integration/test_search.py
run_test tests/integration/test_trends.py
run_test tests/integration/test_zones.py
STARLING_TEST_LINKS_PORTS=$links_ports STARLING_TEST_BROWSER_DIR=$(browser_dir links) \
	STARLING_TEST_APP_LOGS=$app_logs run_test tests/integration/test_links.py
STARLING_TEST_APP_LOGS=$app_logs run_test tests/integration/test_budget.py
run_test tests/browser/test_discover.py "$(browser_dir discover)"
run_test tests/browser/test_moderate.py "$(browser_dir moderate)"
# One instance hung, then resumed: the others serve on (its breaker, lib/store/breaker.h).
STARLING_TEST_HANG_PIDFILE=$RUN/mariadb-1/mariadb.pid run_test tests/integration/test_resilience.py
# Moderation: roles, the queue (partial with the same instance hung), suspension.
STARLING_TEST_HANG_PIDFILE=$RUN/mariadb-1/mariadb.pid run_test tests/integration/test_moderation.py
# Requests that wait too long for a free process are refused at once (lib/http/shed.h).
STARLING_TEST_SERVER=$SERVER STARLING_TEST_RUN=$RUN run_test tests/integration/test_shed.py
# The operators' degradation switches: each set, checked and cleared (all clear at the end).
STARLING_TEST_SERVER=$SERVER run_test tests/integration/test_switches.py
# Last of the normal phase: it uses up this address's sign-ups.
export STARLING_TEST_SIGNUP_LIMIT=$STACK_SIGNUPS_PER_IP STARLING_TEST_STATE=$RUN/users.json
# (The logs: the sign-ups the limit could not count, memcached unreachable for a moment.)
STARLING_TEST_APP_LOGS=$app_logs run_test tests/integration/test_accounts.py

# Shared hosting runs no daemon: cron starts the worker with --once (etc/crontab.in). Its line,
# rendered, runs what is due and exits 0.
case "$SERVER" in
apache-fcgid | apache-cgi)
	say "== the worker's crontab line (etc/crontab.in)"
	stack_render "$SRCDIR/etc/crontab.in" "$RUN/crontab" CONF="$RUN/starling.conf" \
		SBIN_DIR="$(dirname "$WORKER_BIN")" LOG_DIR="$RUN"
	cron_cmd=$(sed -n '/^[0-9*]/s/^\([^ ]* \)\{5\}//p' "$RUN/crontab")
	if [ -z "$cron_cmd" ]; then
		fail "no crontab line in $RUN/crontab"
	elif ! sh -c "$cron_cmd"; then
		fail "the crontab line failed: $cron_cmd (log: $RUN/starling-worker.log)"
	elif ! grep -q "level=info prog=starling-worker " "$RUN/starling-worker.log"; then
		fail "the crontab line's worker logged nothing to $RUN/starling-worker.log"
	else
		say "ran: $cron_cmd"
	fi
	;;
esac

# One server of each kind is enough to be down: the health check pings every one.
say "== degraded: one memcached killed (memcached-1) in the middle of account updates"
# (test_accounts.py's phases need the users its normal phase saved: not with STARLING_ONLY.)
[ -s "$RUN/users.json" ] || [ -n "${STARLING_ONLY:-}" ] || fail "test_accounts.py saved no users"
if [ -s "$RUN/users.json" ]; then
	STARLING_TEST_KILL_PIDFILE=$RUN/memcached-1/memcached.pid \
		python3 "$SRCDIR/tests/integration/test_accounts.py" "$BASE" --phase cache-killed ||
		fail "test_accounts.py --phase cache-killed"
fi
stack_stop "$RUN/memcached-1" memcached
python3 "$SRCDIR/tests/integration/test_http.py" "$BASE" --phase cache-down ||
	fail "test_http.py --phase cache-down"

say "== degraded: one MariaDB instance stopped too (mariadb-1)"
stack_stop "$RUN/mariadb-1" mariadb
python3 "$SRCDIR/tests/integration/test_http.py" "$BASE" --phase db-down ||
	fail "test_http.py --phase db-down"
if [ -s "$RUN/users.json" ]; then
	STARLING_TEST_MEMCACHED="127.0.0.1:${memcached_ports%% *}" \
		python3 "$SRCDIR/tests/integration/test_accounts.py" "$BASE" --phase db-down ||
		fail "test_accounts.py --phase db-down"
fi

# --- after-checks ------------------------------------------------------------------------------
# The worker lived through the databases and caches going down; stopped now for the sanitizer.
stack_alive "$RUN" worker || fail "starling-worker died during the tests (log: $RUN/worker.log)"
stack_stop "$RUN" worker
# Stop the web server first: its FastCGI processes exit on SIGTERM or SIGUSR1, and
# LeakSanitizer reports then.
web_stop || fail "$SERVER (or a multiwatch process) died during the tests"

# The shipped files this set-up must have run (tests/integration/etc.sh checks that each file
# of etc/ is used by one of them).
say "== the shipped files of etc/ this set-up ran"
case "$SERVER" in
lighttpd) want="lighttpd.conf.in" ;;
apache-proxy-fcgi) want="apache-proxy-fcgi.conf.in starling-fcgi@.service.in starling-fcgi@.socket.in" ;;
*) want="apache-shared.conf.in htaccess starling.fcgi.in crontab.in" ;;
esac
for f in $want starling-worker.service.in; do
	grep -qx "$f" "$RUN/rendered" 2>/dev/null || fail "etc/$f was not rendered and run by $SERVER"
done
say "$(sort -u "$RUN/rendered" | tr '\n' ' ')"

say "== sanitizer reports"
if sanitizer_reports "$RUN"; then
	say "none"
else
	fail "sanitizer reports from the FastCGI processes (above)"
fi

say "== crash lines in the web server's logs"
# lighttpd; then Apache (core, mod_proxy_fcgi, mod_fcgid, mod_cgid).
crash='child exited|child signal|signaled|signalled|terminated by signal|unexpected end-of-file|response not received|failed to start|spawning backend failed|AddressSanitizer|LeakSanitizer|runtime error|Segmentation fault'
crash="$crash|exit signal|End of script output before headers|Premature end of script headers|error reading data from FastCGI server|Error dispatching request|\\(104\\)Connection reset by peer|AH01067|AH01068|AH01075"
logs=""
for f in $web_logs; do
	logs="$logs $RUN/$f"
done
# shellcheck disable=SC2086
if grep -E -n "$crash" $logs 2>/dev/null; then
	fail "crash lines in the logs of $SERVER (above)"
else
	say "none"
fi

slowest_tests
if [ "$failures" -ne 0 ]; then
	say "== logs"
	show_logs
	say "$failures check(s) failed; total $(since "$t0")"
	exit 1
fi
say "all passed; total $(since "$t0")"
exit 0
