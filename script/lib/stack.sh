# shellcheck shell=sh disable=SC3043
# script/lib/stack.sh: start and stop Starling's private servers (MariaDB, memcached, lighttpd).
#
# Sourced, never run, by script/server (state under var/) and by tests/integration/suite.sh
# (state under a mktemp -d directory), so that both start the servers in the same way. Both run
# two MariaDB instances and two memcached servers, so that data is spread over more than one.
# POSIX sh plus `local`; works under dash and bash. Callers run with `set -eu`.
#
# Everything lives under one run directory RUN (absolute path, kept short: Unix socket paths
# are limited to 107 bytes). Each MariaDB or memcached instance has a directory of its own, and
# the MariaDB and memcached functions take that directory, DIR; by convention RUN/mariadb-N and
# RUN/memcached-N (N = 0, 1, ...; stack_stop_all finds them by these names). A caller with a
# single instance may pass RUN itself as DIR (tests/integration/schema.sh does).
#   RUN/mariadb-N/mysql/      MariaDB datadir (kept across restarts: data and grants survive)
#   RUN/mariadb-N/mysql.sock  MariaDB socket; root logs in only through it (unix_socket auth)
#   RUN/mariadb-N/tmp/        MariaDB's tmpdir (one per instance: see stack_mariadb_start)
#   RUN/mariadb-N/mariadb.pid, mariadb.log, mariadb-install.log, mariadb-setup.log
#   RUN/memcached-N/memcached.pid, memcached.log
#   RUN/lighttpd.conf         rendered from etc/lighttpd.conf.in
#   RUN/lighttpd.pid, lighttpd.out (lighttpd's own stdout/stderr), lighttpd-error.log,
#   RUN/lighttpd-access.log, RUN/www/ (empty document root), RUN/upload/ (request bodies)
#   RUN/media/                uploaded files ([media] local_dir, served at /media/)
#   RUN/starling-site.sock-N  FastCGI sockets
#   RUN/migrate.log           output of starling-admin migrate (stack_migrate)
#   RUN/worker.pid, RUN/worker.log   starling-worker (stack_worker_start); RUN/worker-ctl
#
# Functions (all take explicit arguments; none reads globals except STACK_* knobs below):
#   stack_free_port                      print a free TCP port on 127.0.0.1
#   stack_free_ports N                   print N distinct free TCP ports on 127.0.0.1
#   stack_port_free PORT                 succeed if nothing listens on 127.0.0.1:PORT
#   stack_gen_password                   print a random password (hex, no quoting issues)
#   stack_prepare RUN                    create RUN and its subdirectories, check path length
#   stack_mariadb_start DIR PORT         init DIR/mysql if absent, start mariadbd, wait for it
#   stack_mariadb_setup DIR DB USER PASS create the account, with every privilege on the shard
#                                        databases DB_NNNN (idempotent)
#   stack_mariadb_up DIR PORT DB USER PASS   the two above, in order
#   stack_backends_start RUN DB USER PASS "MYSQL_PORT..." "MEMCACHED_PORT..."
#                                        RUN/mariadb-N (all at once) and RUN/memcached-N, N=0..
#   stack_migrate RUN CONF SRCDIR ADMIN_BIN   create the shard databases of CONF and apply
#                                        SRCDIR/sql/ to them (starling-admin migrate)
#   stack_mariadb_client DIR [ARGS...]   the mariadb client, as root, through DIR/mysql.sock
#   stack_memcached_start DIR PORT       start memcached and wait for it
#   stack_wait_jobs PID...               wait for background jobs; fail if any failed
#   stack_write_conf FILE BASE_URL SRCDIR "MYSQL_PORT..." DB USER PASS "MEMCACHED_PORT..."
#                    [LOG_LEVEL]         (port lists: one or more ports, blank-separated)
#   stack_render TEMPLATE OUT NAME=VALUE...   fill a shipped etc/ template's @NAME@ placeholders
#   stack_cgi_bins BUILDDIR DIR          copy the FastCGI binaries into DIR as installed
#   stack_static_dir SRCDIR CONF BUILDDIR   the directory /static/ serves (as installed, or the
#                                        build tree's minified copies)
#   stack_built_static SRCDIR BUILDDIR   the build tree's static files (BUILDDIR/static-min)
#   stack_lighttpd_start RUN SRCDIR PORT CONF BUILDDIR   render the config (binaries from
#                                        BUILDDIR/cgi-bin/*/), start, wait for HTTP
#   (Apache in its three set-ups: script/lib/apache.sh, stack_apache_start)
#   stack_unit_exec UNIT [INSTANCE], stack_unit_env UNIT   a rendered systemd unit's ExecStart
#                                        and Environment, which the harness runs
#   stack_unit_value UNIT KEY            one setting of a rendered unit
#   stack_worker_start RUN CONF BIN [UNIT]   start starling-worker BIN with CONF (or as the
#                                        rendered UNIT says), wait until it runs
#   stack_worker_once RUN CONF BIN       run BIN --once (every pending job and task), log appended
#   stack_worker_ctl_write RUN SRCDIR CONF BIN   write RUN/worker-ctl (start|stop|once) for tests
#   stack_alive DIR NAME                 succeed if server NAME (mariadb|memcached|lighttpd|worker)
#                                        runs
#   stack_stop DIR NAME                  stop one server (TERM, bounded wait, KILL)
#   stack_stop_all RUN                   stop the worker, lighttpd, every memcached, every MariaDB
#                                        (in order)
#
# The order for a whole stack: stack_prepare, stack_backends_start, stack_write_conf, stack_migrate
# (the schema goes in through the admin tool, as in production, so it needs the configuration),
# then stack_lighttpd_start and stack_worker_start.
#
# Knobs (environment): STACK_WAIT (seconds to wait for a server to answer; default 60),
# STACK_STOP_WAIT (seconds between TERM and KILL; default 20), STACK_QUIET=1 (fewer messages).
# stack_write_conf also reads STACK_ARGON2_PASSES, STACK_ARGON2_MEMORY_KIB, STACK_SIGNUPS_PER_IP,
# STACK_WRITE_LIMITS (every per-account write limit of [limits], posts to mentions_per_user,
# set to this count: for loaders and benchmarks that write far more than a person; unset, the
# defaults of etc/starling.conf.example), STACK_MEDIA_DIR, STACK_PUSH_MAX_FOLLOWERS,
# STACK_PUSH_INLINE_MAX and STACK_REFRESH_S ([pages] refresh_s).

STACK_WAIT=${STACK_WAIT:-60}
STACK_STOP_WAIT=${STACK_STOP_WAIT:-20}
STACK_QUIET=${STACK_QUIET:-0}
# The FastCGI binaries, cgi-bin/NAME/starling-NAME in a build tree.
STACK_CGI_NAMES="site account post feed upload"

stack_say() {
	[ "$STACK_QUIET" = 1 ] || printf 'stack: %s\n' "$*" >&2
}

stack_err() {
	printf 'stack: error: %s\n' "$*" >&2
}

# stack_log_tail FILE: print the end of a log file to stderr, indented, to explain a failure.
stack_log_tail() {
	if [ -s "$1" ]; then
		printf 'stack: --- last lines of %s ---\n' "$1" >&2
		tail -n 30 "$1" | sed 's/^/  | /' >&2
		printf 'stack: --- end of %s ---\n' "$1" >&2
	else
		printf 'stack: (%s is empty or missing)\n' "$1" >&2
	fi
}

stack_need() {
	for _c in "$@"; do
		if ! command -v "$_c" >/dev/null 2>&1; then
			stack_err "'$_c' not found in PATH; run script/bootstrap"
			return 1
		fi
	done
}

# --- ports and secrets -------------------------------------------------------------------------

stack_free_port() {
	stack_free_ports 1
}

# stack_free_ports N: N distinct free ports, blank-separated, on one line.
stack_free_ports() {
	python3 - "$1" <<'EOF'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))   # all bound at once: the ports differ
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

stack_port_free() {
	python3 - "$1" <<'EOF'
import socket, sys
s = socket.socket()
try:
    s.settimeout(1)
    s.connect(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(0)   # nothing answers: free
sys.exit(1)
EOF
}

stack_gen_password() {
	od -An -tx1 -N18 /dev/urandom | tr -d ' \n'
}

# --- processes ---------------------------------------------------------------------------------

# stack_proc_alive PID: the process runs (exists and is not a zombie awaiting its parent).
stack_proc_alive() {
	kill -0 "$1" 2>/dev/null || return 1
	case "$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null)" in
	Z) return 1 ;;
	esac
}

# stack_pid DIR NAME: print the pid recorded for NAME if that process still runs and is the
# program we started (guards against a stale pid file whose pid was reused); else fail.
stack_pid() {
	local pidfile pid exe
	pidfile="$1/$2.pid"
	[ -s "$pidfile" ] || return 1
	pid=$(sed -n '1{s/[^0-9]//g;p;}' "$pidfile")
	[ -n "$pid" ] || return 1
	stack_proc_alive "$pid" || return 1
	exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
	case "$2:$exe" in
	mariadb:*/mariadbd*|mariadb:*/mysqld*) ;;
	memcached:*/memcached*) ;;
	lighttpd:*/lighttpd*) ;;
	apache:*/apache2*|apache:*/httpd*) ;;
	fcgi-*:*/multiwatch*) ;;
	worker:*/starling-worker*) ;;
	s3rver:*/node*) ;;             # s3rver is a Node.js script
	*:) ;;                          # /proc not readable: trust kill -0
	*) return 1 ;;
	esac
	printf '%s\n' "$pid"
}

stack_alive() {
	stack_pid "$1" "$2" >/dev/null
}

# stack_children PID: print the pids of PID's direct children (from /proc; no procps needed).
stack_children() {
	local parent f line rest
	parent=$1
	for f in /proc/[0-9]*/stat; do
		line=$(cat "$f" 2>/dev/null) || continue
		# Fields after "(comm)": STATE PPID ...; comm may hold spaces, so cut at the last ") ".
		rest=${line##*) }
		rest=${rest#* }
		if [ "${rest%% *}" = "$parent" ]; then
			f=${f#/proc/}
			printf '%s\n' "${f%/stat}"
		fi
	done
}

# stack_wait_gone SECONDS PID...: wait until every PID has exited; fail if one still runs.
stack_wait_gone() {
	local limit i p left
	limit=$(( $1 * 10 ))
	shift
	i=0
	while :; do
		left=""
		for p in "$@"; do
			if stack_proc_alive "$p"; then
				left="$left $p"
			fi
		done
		[ -z "$left" ] && return 0
		i=$((i + 1))
		[ "$i" -ge "$limit" ] && return 1
		sleep 0.1
	done
}

# stack_kill SECONDS PID...: TERM, wait up to SECONDS, then KILL whatever is left.
stack_kill() {
	local wait p
	wait=$1
	shift
	[ $# -gt 0 ] || return 0
	kill -TERM "$@" 2>/dev/null || true
	if ! stack_wait_gone "$wait" "$@"; then
		stack_say "still running after ${wait}s, sending KILL to: $*"
		for p in "$@"; do
			kill -KILL "$p" 2>/dev/null || true
		done
		stack_wait_gone 5 "$@" || true
	fi
}

# stack_stop DIR NAME: stop server NAME of DIR if it runs; remove its pid file in any case.
# For lighttpd, its FastCGI children are stopped too (they would otherwise linger).
stack_stop() {
	local pid kids
	if pid=$(stack_pid "$1" "$2"); then
		kids=""
		if [ "$2" = lighttpd ]; then
			kids=$(stack_children "$pid")
		fi
		stack_say "stopping $2 (pid $pid, $1)"
		stack_kill "$STACK_STOP_WAIT" "$pid"
		# lighttpd signals its FastCGI children on shutdown; give them the time to exit
		# normally (sanitizer leak reports are written then), then insist.
		# shellcheck disable=SC2086
		[ -z "$kids" ] || stack_wait_gone 10 $kids || stack_kill 5 $kids
	fi
	rm -f "$1/$2.pid"
	case "$2" in
	mariadb) rm -f "$1/mysql.sock" "$1/mysql.sock.lock" ;;
	lighttpd) rm -f "$1"/starling-*.sock-* ;;
	esac
}

# stack_stop_all RUN: the worker (first: it uses the others), lighttpd, Apache and the
# proxy-fcgi processes (script/lib/apache.sh), then every
# RUN/memcached-*, then every RUN/mariadb-* (and the memcached and MariaDB of RUN itself, for
# callers with one instance in RUN). The MariaDB instances shut down at the same time (a second
# or so each).
stack_stop_all() {
	local d pids
	stack_stop "$1" worker
	stack_stop "$1" lighttpd
	stack_stop "$1" apache
	for d in "$1"/fcgi-*.pid; do
		d=${d##*/}
		[ "$d" = 'fcgi-*.pid' ] || stack_stop "$1" "${d%.pid}"
	done
	for d in "$1" "$1"/memcached-*; do
		[ ! -d "$d" ] || stack_stop "$d" memcached
	done
	[ ! -d "$1/s3" ] || stack_stop "$1/s3" s3rver
	pids=""
	for d in "$1" "$1"/mariadb-*; do
		if stack_alive "$d" mariadb; then
			stack_stop "$d" mariadb &
			pids="$pids $!"
		else
			[ ! -d "$d" ] || stack_stop "$d" mariadb   # stale pid file and socket
		fi
	done
	# shellcheck disable=SC2086 # one pid per word
	stack_wait_jobs $pids
}

# stack_wait_jobs PID...: wait for each background job (e.g. `stack_mariadb_up ... &`); fail if
# any failed, but only after all have ended, so that none is left starting a server.
stack_wait_jobs() {
	local p rc
	rc=0
	for p in "$@"; do
		wait "$p" || rc=1
	done
	return "$rc"
}

# stack_wait_until PID NAME LOG DESCRIPTION COMMAND...: run COMMAND until it succeeds, for at
# most STACK_WAIT seconds; fail early if process PID (server NAME) exited. On failure print the
# tail of LOG.
stack_wait_until() {
	local pid name log what i limit
	pid=$1 name=$2 log=$3 what=$4
	shift 4
	i=0
	limit=$((STACK_WAIT * 5))
	while ! "$@" >/dev/null 2>&1; do
		if ! stack_proc_alive "$pid"; then
			stack_err "$name exited before it could $what (log: $log)"
			stack_log_tail "$log"
			return 1
		fi
		i=$((i + 1))
		if [ "$i" -ge "$limit" ]; then
			stack_err "$name did not $what within ${STACK_WAIT}s (log: $log)"
			stack_log_tail "$log"
			return 1
		fi
		sleep 0.2
	done
}

stack_tcp_answers() {
	python3 - "$1" <<'EOF'
import socket, sys
socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
EOF
}

stack_http_answers() {
	curl -s -o /dev/null --max-time 2 "$1"
}

# --- run directory -----------------------------------------------------------------------------

stack_prepare() {
	case "$1" in
	/*) ;;
	*) stack_err "run directory must be an absolute path: $1"; return 1 ;;
	esac
	# Longest socket paths below: RUN/starling-site.sock-NN and RUN/mariadb-N/mysql.sock.
	if [ "${#1}" -gt 80 ]; then
		stack_err "run directory path too long for Unix sockets (${#1} > 80 bytes): $1"
		return 1
	fi
	mkdir -p "$1" "$1/www" "$1/upload"
	chmod 700 "$1"
}

# --- MariaDB -----------------------------------------------------------------------------------

# stack_mariadb_client DIR [ARGS...]: the mariadb client as root through DIR/mysql.sock.
stack_mariadb_client() {
	local dir
	dir=$1
	shift
	mariadb --no-defaults --protocol=socket --socket="$dir/mysql.sock" --user=root "$@"
}

# stack_mariadb_start DIR PORT: one MariaDB instance with its datadir, socket, pid file and logs
# in DIR (created if missing), listening on 127.0.0.1:PORT.
stack_mariadb_start() {
	local dir port datadir log pid user
	dir=$1 port=$2
	datadir=$dir/mysql
	log=$dir/mariadb.log
	stack_need mariadbd mariadb-install-db mariadb python3 || return 1
	if [ "${#dir}" -gt 96 ]; then
		stack_err "path too long for the socket $dir/mysql.sock (over 107 bytes)"
		return 1
	fi
	# A tmpdir of its own: at start-up mariadbd (and mariadb-install-db) deletes every #sql*
	# temporary file of its tmpdir, including those of another instance sharing it.
	mkdir -p "$dir/tmp"
	if stack_alive "$dir" mariadb; then
		stack_err "MariaDB already runs from $dir (pid $(stack_pid "$dir" mariadb)); stop it first"
		return 1
	fi
	rm -f "$dir/mariadb.pid" "$dir/mysql.sock" "$dir/mysql.sock.lock"
	if ! stack_port_free "$port"; then
		stack_err "port 127.0.0.1:$port (MariaDB) is already in use"
		return 1
	fi
	user=""
	[ "$(id -u)" -eq 0 ] && user=--user=root

	if [ ! -d "$datadir/mysql" ]; then
		# Install into a scratch directory and rename it at the end, so that an interrupted
		# install never leaves a half-made datadir behind that would be taken as ready.
		stack_say "initialising MariaDB datadir $datadir"
		rm -rf "$datadir.new"
		mkdir -p "$datadir.new"
		# shellcheck disable=SC2086
		if ! mariadb-install-db --no-defaults $user --datadir="$datadir.new" \
			--tmpdir="$dir/tmp" --auth-root-authentication-method=socket --skip-test-db \
			--skip-name-resolve >"$dir/mariadb-install.log" 2>&1; then
			stack_err "mariadb-install-db failed (log: $dir/mariadb-install.log)"
			stack_log_tail "$dir/mariadb-install.log"
			return 1
		fi
		rm -rf "$datadir"
		mv "$datadir.new" "$datadir"
	fi

	stack_say "starting MariaDB on 127.0.0.1:$port (log: $log)"
	# Small buffers: this is a development and test server; fast start, little memory.
	# shellcheck disable=SC2086
	mariadbd --no-defaults $user --datadir="$datadir" --tmpdir="$dir/tmp" \
		--socket="$dir/mysql.sock" --pid-file="$dir/mariadb.pid" \
		--port="$port" --bind-address=127.0.0.1 --skip-networking=0 --skip-name-resolve \
		--log-error="$log" --innodb-buffer-pool-size=32M --innodb-log-file-size=16M \
		--character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
		--max-connections=200 --skip-log-bin </dev/null >>"$log" 2>&1 &
	pid=$!
	# At once (mariadbd writes the same later): stack_stop_all must find a server that is still
	# starting, in a background job (stack_backends_start) when the caller is interrupted.
	echo "$pid" >"$dir/mariadb.pid"
	stack_wait_until "$pid" mariadb "$log" "answer on $dir/mysql.sock" \
		stack_mariadb_client "$dir" -e 'SELECT 1' || { stack_kill 5 "$pid"; return 1; }
	stack_wait_until "$pid" mariadb "$log" "listen on 127.0.0.1:$port" \
		stack_tcp_answers "$port" || { stack_kill 5 "$pid"; return 1; }
	# $! is mariadbd (the shell execs it); rewritten in case mariadbd removed the file.
	echo "$pid" >"$dir/mariadb.pid"
}

# stack_mariadb_setup DIR DB USER PASSWORD: the application account, idempotent. DB is the
# prefix of the shard databases ([mysql] database): the account gets every privilege on DB_*,
# from 127.0.0.1 and localhost, so that starling-admin migrate can create them. No database is
# created here, and none is needed: connections have no default database.
stack_mariadb_setup() {
	local dir db user pass
	dir=$1 db=$2 user=$3 pass=$4
	case "$db$user$pass" in
	*[!A-Za-z0-9_]*) stack_err "database, user and password must be [A-Za-z0-9_]"; return 1 ;;
	esac
	if ! stack_mariadb_client "$dir" >>"$dir/mariadb-setup.log" 2>&1 <<EOF
CREATE USER IF NOT EXISTS '$user'@'127.0.0.1' IDENTIFIED BY '$pass';
CREATE USER IF NOT EXISTS '$user'@'localhost' IDENTIFIED BY '$pass';
ALTER USER '$user'@'127.0.0.1' IDENTIFIED BY '$pass';
ALTER USER '$user'@'localhost' IDENTIFIED BY '$pass';
GRANT ALL PRIVILEGES ON \`${db}\\_%\`.* TO '$user'@'127.0.0.1', '$user'@'localhost';
FLUSH PRIVILEGES;
EOF
	then
		stack_err "creating user '$user' failed (log: $dir/mariadb-setup.log)"
		stack_log_tail "$dir/mariadb-setup.log"
		return 1
	fi
}

# stack_mariadb_up DIR PORT DB USER PASSWORD: start the instance and create the account.
stack_mariadb_up() {
	stack_mariadb_start "$1" "$2" &&
		stack_mariadb_setup "$1" "$3" "$4" "$5"
}

# stack_backends_start RUN DB USER PASSWORD "MYSQL_PORT..." "MEMCACHED_PORT..."
# One MariaDB instance RUN/mariadb-N per MySQL port (all started at once, each with the account)
# and one memcached RUN/memcached-N per memcached port (N from 0). The shard databases come
# afterwards, from stack_migrate.
stack_backends_start() {
	local run port i pids rc
	run=$1
	pids=""
	i=0
	for port in $5; do
		stack_mariadb_up "$run/mariadb-$i" "$port" "$2" "$3" "$4" &
		pids="$pids $!"
		i=$((i + 1))
	done
	rc=0
	i=0
	for port in $6; do
		stack_memcached_start "$run/memcached-$i" "$port" || { rc=1; break; }
		i=$((i + 1))
	done
	# shellcheck disable=SC2086 # one pid per word
	stack_wait_jobs $pids || rc=1
	return "$rc"
}

# stack_migrate RUN CONF SRCDIR ADMIN_BIN: create every shard database CONF names and apply
# SRCDIR/sql/*.sql to each, with `ADMIN_BIN -c CONF -s SRCDIR/sql migrate` (the tool operators
# run; docs/admin.md). Its output goes to RUN/migrate.log, whose end is printed on failure.
stack_migrate() {
	local run conf src bin log
	run=$1 conf=$2 src=$3 bin=$4
	log=$run/migrate.log
	if [ ! -x "$bin" ]; then
		stack_err "$bin is missing or not executable; build it with make"
		return 1
	fi
	stack_say "creating the shard databases and applying $src/sql (log: $log)"
	if ! "$bin" -c "$conf" -s "$src/sql" migrate >>"$log" 2>&1; then
		stack_err "$bin migrate failed (log: $log)"
		stack_log_tail "$log"
		return 1
	fi
	stack_say "$(tail -n 1 "$log")"
}

# stack_test_shards NAME LEVEL SRCDIR ADMIN_BIN [BIN...]: the back ends of a test script NAME
# (tests/dbunit/run.sh, worker.sh): checks the tools and the built BINs, makes RUN (a global: a
# fresh directory under $TMPDIR, removed on exit), starts two MariaDB instances (their ports in the global
# STACK_TEST_MYSQL_PORTS) and one memcached on free ports,
# writes RUN/starling.conf (log level LEVEL) and applies the schema. Exits 99 (automake's hard
# error) when something is missing or does not start.
stack_test_shards() {
	local name level src admin tool bin password
	name=$1 level=$2 src=$3 admin=$4
	shift 4
	for tool in mariadbd mariadb-install-db mariadb memcached python3; do
		if ! command -v "$tool" >/dev/null 2>&1; then
			printf "%s: ERROR: '%s' is not installed; run script/bootstrap\n" "$name" "$tool"
			exit 99
		fi
	done
	for bin in "$admin" "$@"; do
		if [ ! -x "$bin" ]; then
			printf '%s: ERROR: %s is not built\n' "$name" "$bin"
			exit 99
		fi
	done
	RUN=$(mktemp -d "${TMPDIR:-/tmp}/starling-$name.XXXXXX")
	stack_cleanup_on_exit "$RUN"
	stack_prepare "$RUN"
	password=$(stack_gen_password)
	# shellcheck disable=SC2046 # one port per word
	set -- $(stack_free_ports 3)
	STACK_TEST_MYSQL_PORTS="$1 $2"
	if ! stack_backends_start "$RUN" starling starling "$password" "$1 $2" "$3"; then
		printf '%s: ERROR: the servers did not start\n' "$name"
		exit 99
	fi
	stack_write_conf "$RUN/starling.conf" "http://127.0.0.1:1" "$src" "$1 $2" starling starling \
		"$password" "$3" "$level"
	stack_migrate "$RUN" "$RUN/starling.conf" "$src" "$admin" || exit 99
}

# --- memcached ---------------------------------------------------------------------------------

# stack_memcached_start DIR PORT: one memcached on 127.0.0.1:PORT, its pid file and log in DIR.
stack_memcached_start() {
	local dir port log user pid
	dir=$1 port=$2
	log=$dir/memcached.log
	stack_need memcached python3 || return 1
	mkdir -p "$dir"
	if stack_alive "$dir" memcached; then
		stack_err "memcached already runs from $dir (pid $(stack_pid "$dir" memcached)); stop it first"
		return 1
	fi
	rm -f "$dir/memcached.pid"
	if ! stack_port_free "$port"; then
		stack_err "port 127.0.0.1:$port (memcached) is already in use"
		return 1
	fi
	user=""
	[ "$(id -u)" -eq 0 ] && user="-u root"
	stack_say "starting memcached on 127.0.0.1:$port (log: $log)"
	# shellcheck disable=SC2086
	memcached -l 127.0.0.1 -p "$port" -U 0 $user -m 64 -c 1024 -P "$dir/memcached.pid" \
		</dev/null >>"$log" 2>&1 &
	pid=$!
	stack_wait_until "$pid" memcached "$log" "listen on 127.0.0.1:$port" \
		stack_tcp_answers "$port" || { stack_kill 5 "$pid"; return 1; }
	echo "$pid" >"$dir/memcached.pid"
}

# --- S3-compatible store (only for the runs that test S3 storage: docs/media.md) -------------

# Where script/bootstrap installs s3rver (npm), beside the other test tools it pins.
STACK_S3RVER=${STACK_S3RVER:-/usr/local/lib/starling-s3/node_modules/.bin/s3rver}

# stack_s3_start DIR PORT BUCKET: s3rver on 127.0.0.1:PORT, its objects under DIR/data, its pid
# file and log in DIR, with BUCKET made at start-up (path style only: no virtual-host buckets).
# Its account is S3RVER / S3RVER (its built-in one).
stack_s3_start() {
	local dir port bucket log pid
	dir=$1 port=$2 bucket=$3
	log=$dir/s3rver.log
	if [ ! -x "$STACK_S3RVER" ]; then
		stack_err "s3rver is not installed at $STACK_S3RVER; run script/bootstrap"
		return 1
	fi
	mkdir -p "$dir/data"
	if stack_alive "$dir" s3rver; then
		stack_err "s3rver already runs from $dir (pid $(stack_pid "$dir" s3rver)); stop it first"
		return 1
	fi
	if ! stack_port_free "$port"; then
		stack_err "port 127.0.0.1:$port (s3rver) is already in use"
		return 1
	fi
	stack_say "starting s3rver on 127.0.0.1:$port, bucket $bucket (log: $log)"
	"$STACK_S3RVER" -d "$dir/data" -a 127.0.0.1 -p "$port" --no-vhost-buckets \
		--configure-bucket "$bucket" </dev/null >>"$log" 2>&1 &
	pid=$!
	stack_wait_until "$pid" s3rver "$log" "listen on 127.0.0.1:$port" \
		stack_http_answers "http://127.0.0.1:$port/" || { stack_kill 5 "$pid"; return 1; }
	echo "$pid" >"$dir/s3rver.pid"
}

# stack_media_conf: the [media] storage lines: local by default, s3 when STACK_MEDIA_S3_ENDPOINT
# is set (with STACK_MEDIA_S3_BUCKET and STACK_MEDIA_S3_SECRET_FILE; s3rver's account).
stack_media_conf() {
	if [ -z "${STACK_MEDIA_S3_ENDPOINT:-}" ]; then
		printf '%s\n' "; Uploads are PUT to starling-upload and served by lighttpd from here" \
			"; (stack_lighttpd_start)." "storage = local"
		return 0
	fi
	printf '%s\n' "; Uploads are PUT to s3rver (stack_s3_start); the worker processes them there." \
		"storage = s3" "s3_endpoint = $STACK_MEDIA_S3_ENDPOINT" \
		"s3_bucket = $STACK_MEDIA_S3_BUCKET" "s3_path_style = true" \
		"s3_access_key_id = S3RVER" "s3_secret_key_file = $STACK_MEDIA_S3_SECRET_FILE"
}

# --- Starling's configuration ------------------------------------------------------------------

# stack_addresses PORT...: "127.0.0.1:P1, 127.0.0.1:P2, ..." (a list in starling.conf).
stack_addresses() {
	local p out
	out=""
	for p in "$@"; do
		out="${out:+$out, }127.0.0.1:$p"
	done
	printf '%s\n' "$out"
}

# stack_write_limits COUNT: the [limits] lines that set every per-account write limit to COUNT
# (nothing for an empty COUNT: the defaults).
stack_write_limits() {
	local k
	[ -n "$1" ] || return 0
	for k in posts replies reposts likes follows reports mentions mentions_per_user; do
		printf '%s = %s\n' "$k" "$1"
	done
}

# stack_write_conf FILE BASE_URL SRCDIR "MYSQL_PORT..." DB USER PASSWORD "MEMCACHED_PORT..."
#                  [LOG_LEVEL]
# The port lists are blank-separated: one MariaDB instance, one memcached node per port.
# Written with mode 600: it holds the database password.
stack_write_conf() {
	local file tmp dir
	file=$1
	tmp=$file.tmp.$$
	dir=$(dirname "$file")
	# The token key is kept across restarts (sessions survive one); mode 600, as the binaries
	# demand. Mail goes to a maildir next to the configuration: read the codes there.
	if [ ! -s "$dir/token.key" ]; then
		(umask 077 && od -An -tx1 -N48 /dev/urandom | tr -d ' \n' >"$dir/token.key") ||
			{ stack_err "cannot write $dir/token.key"; return 1; }
	fi
	chmod 600 "$dir/token.key"
	mkdir -p "$dir/mail" "${STACK_MEDIA_DIR:-$dir/media}" "$dir/state"
	# Made here, so that it belongs to whoever owns the directory (stack_apache_share gives both
	# to the binaries' account), not to the first process to open it.
	touch "$dir/state/breakers"
	(
		umask 077
		# shellcheck disable=SC2086 # split the port lists
		cat >"$tmp" <<EOF
; Written by script/lib/stack.sh; regenerated at every start (edits are lost).
; Keys and their meaning: etc/starling.conf.example.

[site]
base_url = $2
templates_dir = $3/templates
static_url = /static

[log]
level = ${9:-info}

[pages]
; An open page refreshes its counts and looks for new posts every few seconds, so that the
; browser tests (tests/browser/test_js.py) see it happen (the default is 30).
refresh_s = ${STACK_REFRESH_S:-3}

[mysql]
instances = $(stack_addresses $4)
user = $6
password = $7
database = $5
; Few logical shards (the default is 64): enough to put several on each instance, few enough
; that making and checking their databases keeps the tests and the local start fast.
logical_shards = 8
; Twice the production deadline: a CI machine under the sanitizers must not take a slow
; statement for a hung instance; test_resilience.py still sees it far below the read timeout.
statement_timeout_ms = ${STACK_STATEMENT_TIMEOUT_MS:-2000}

[memcached]
servers = $(stack_addresses $8)

[breaker]
; Shared by every process of the stack; open for a second only, so that the tests that stop an
; instance see it come back soon after it does.
state_file = $dir/state/breakers
open_seconds = ${STACK_BREAKER_OPEN_SECONDS:-1}
max_open_seconds = ${STACK_BREAKER_MAX_OPEN_SECONDS:-2}

[metrics]
; Every process of the stack adds to it; /metrics answers the loopback, as by default.
state_file = $dir/state/metrics

[shed]
; Long budgets: a loaded CI machine under the sanitizers must not shed the tests' requests;
; test_shed.py holds the binaries' processes for longer than the anonymous one.
anonymous_wait_ms = ${STACK_SHED_ANONYMOUS_WAIT_MS:-1500}
wait_ms = ${STACK_SHED_WAIT_MS:-20000}
; Off in the tests (a sanitized request takes longer than its target); the benchmarks set it.
queue_target_ms = ${STACK_SHED_QUEUE_TARGET_MS:-0}
queue_wait_ms = ${STACK_SHED_QUEUE_WAIT_MS:-50}
; Read by lighttpd's etc/starling-stamp.lua (stack_lighttpd_start passes the path).
signal_file = $dir/state/shed-signal

[auth]
token_key_file = $dir/token.key
; argon2id's cost: the defaults unless a test or benchmark lowers it to load accounts quickly.
argon2_passes = ${STACK_ARGON2_PASSES:-2}
argon2_memory_kib = ${STACK_ARGON2_MEMORY_KIB:-19456}

[limits]
signups_per_ip = ${STACK_SIGNUPS_PER_IP:-10}
$(stack_write_limits "${STACK_WRITE_LIMITS:-}")

[mail]
transport = spool
spool_dir = $dir/mail

[media]
$(stack_media_conf)
local_dir = ${STACK_MEDIA_DIR:-$dir/media}
local_url = /media

[timeline]
push_max_followers = ${STACK_PUSH_MAX_FOLLOWERS:-3}
; Below push_max_followers, so that an author with 2 followers is pushed by the worker
; (tests/integration/test_timeline.py).
push_inline_max = ${STACK_PUSH_INLINE_MAX:-1}

[links]
; The link fetcher refuses loopback addresses; tests/integration/test_links.py serves its pages
; on one it allows here (suite.sh picks the port). Empty elsewhere.
allow_hosts = ${STACK_LINKS_ALLOW_HOSTS:-}

[switches]
; Switches set by tests/integration/test_switches.py reach every process within a second; a
; backlog of parked jobs is released a few a second, so that the test sees it gradual.
refresh_seconds = 1
release_per_second = 5
EOF
	) || { stack_err "cannot write $tmp"; return 1; }
	mv -f "$tmp" "$file"
}

# --- lighttpd ----------------------------------------------------------------------------------

# Escape a value for the replacement side of a sed s|||g command.
stack_sed_escape() {
	printf '%s\n' "$1" | sed 's/[\\|&]/\\&/g'
}

# stack_render TEMPLATE OUT NAME=VALUE...: OUT is TEMPLATE (a shipped file of etc/) with every
# @NAME@ replaced by its VALUE; fails if a placeholder is left. The one renderer of every set-up,
# so that the tests run the shipped files, not copies (docs/deploy.md gives the same sed
# command to operators). When STACK_RENDERED is set, TEMPLATE's name is appended to that file:
# tests/integration/etc.sh checks that every file of etc/ was used.
stack_render() {
	local tpl out kv name
	tpl=$1 out=$2
	shift 2
	: >"$out.sed" || { stack_err "cannot write $out.sed"; return 1; }
	for kv in "$@"; do
		name=${kv%%=*}
		printf 's|@%s@|%s|g\n' "$name" "$(stack_sed_escape "${kv#*=}")" >>"$out.sed"
	done
	if ! sed -f "$out.sed" "$tpl" >"$out.tmp"; then
		stack_err "cannot render $tpl into $out"
		rm -f "$out.sed" "$out.tmp"
		return 1
	fi
	rm -f "$out.sed"
	if grep -n '@[A-Z_]*@' "$out.tmp" >&2; then
		stack_err "unknown placeholders left in $out (from $tpl), listed above"
		rm -f "$out.tmp"
		return 1
	fi
	mv -f "$out.tmp" "$out"
	[ -z "${STACK_RENDERED:-}" ] || printf '%s\n' "${tpl##*/}" >>"$STACK_RENDERED"
}

# stack_cgi_bins BUILDDIR DIR: copy the five FastCGI binaries of a build tree (cgi-bin/NAME/)
# into DIR as starling-NAME, the installed layout ($pkglibexecdir) that every config names.
# Copies, not links: a web server running as another user must reach them.
stack_cgi_bins() {
	local bin
	mkdir -p "$2"
	for bin in $STACK_CGI_NAMES; do
		if [ ! -x "$1/cgi-bin/$bin/starling-$bin" ]; then
			stack_err "FastCGI binary $1/cgi-bin/$bin/starling-$bin is missing; build it with make"
			return 1
		fi
		cp -f "$1/cgi-bin/$bin/starling-$bin" "$2/starling-$bin.tmp" &&
			mv -f "$2/starling-$bin.tmp" "$2/starling-$bin" || return 1
	done
}

# stack_conf_value CONF KEY: the last value of KEY in CONF (any section; our keys are unique).
stack_conf_value() {
	sed -n "s/^$2[[:space:]]*=[[:space:]]*//p" "$1" | tail -n 1
}

# stack_built_static SRCDIR BUILDDIR: the static files as make writes them, for /static/:
# BUILDDIR/static-min (the stylesheet and the script minified: Makefile.am). In a tree where
# make has not written them, SRCDIR/static, the commented sources, with a note: the pages work
# the same, only heavier.
stack_built_static() {
	if [ -f "$2/static-min/starling.css" ] && [ -f "$2/static-min/starling.js" ]; then
		printf '%s/static-min\n' "$2"
	else
		stack_say "no $2/static-min (make writes it): /static/ serves $1/static unminified"
		printf '%s/static\n' "$1"
	fi
}

# stack_static_dir SRCDIR CONF BUILDDIR: the directory /static/ serves. The static files beside
# CONF's templates_dir when they are installed there ($pkgdatadir/templates and
# $pkgdatadir/static, as tests/integration/suite.sh copies them for Apache); else, for a
# configuration using the source or the build tree's templates, the build tree's
# (stack_built_static), never the sources in SRCDIR/static.
stack_static_dir() {
	local share
	share=$(stack_conf_value "$2" templates_dir)
	share=$(dirname "${share:-$1/templates}")
	if [ "$share" != "$1" ] && [ "$share" != "$3" ] && [ -d "$share/static" ]; then
		printf '%s/static\n' "$share"
	else
		stack_built_static "$1" "$3"
	fi
}

# stack_lighttpd_start RUN SRCDIR PORT CONF BUILDDIR: render RUN/lighttpd.conf from
# SRCDIR/etc/lighttpd.conf.in, check it, start lighttpd and wait until it answers HTTP.
# lighttpd hands ASAN_OPTIONS, UBSAN_OPTIONS and LSAN_OPTIONS from its own environment to the
# FastCGI binaries it spawns, so set them (e.g. log_path) before calling this.
stack_lighttpd_start() {
	local run src port conf build log pid bin media
	run=$1 src=$2 port=$3 conf=$4 build=$5
	log=$run/lighttpd-error.log
	stack_need lighttpd curl || return 1
	if stack_alive "$run" lighttpd; then
		stack_err "lighttpd already runs from $run (pid $(stack_pid "$run" lighttpd)); stop it first"
		return 1
	fi
	rm -f "$run/lighttpd.pid" "$run"/starling-*.sock-*
	stack_cgi_bins "$build" "$run/cgi-bin" || return 1
	if [ ! -r "$conf" ]; then
		stack_err "Starling configuration $conf is missing"
		return 1
	fi
	if ! stack_port_free "$port"; then
		stack_err "port 127.0.0.1:$port (lighttpd) is already in use"
		return 1
	fi
	# lighttpd serves the uploads from the configuration's [media] local_dir (stack_write_conf
	# puts it beside the configuration).
	media=$(stack_conf_value "$conf" local_dir)
	[ -n "$media" ] || media=$(dirname "$conf")/media
	mkdir -p "$media"
	stack_render "$src/etc/lighttpd.conf.in" "$run/lighttpd.conf" PORT="$port" RUN_DIR="$run" \
		CONF="$conf" CGI_DIR="$run/cgi-bin" \
		STATIC_DIR="$(stack_static_dir "$src" "$conf" "$build")" MEDIA_DIR="$media" \
		STAMP_LUA="$src/etc/starling-stamp.lua" HEADERS_LUA="$src/etc/starling-headers.lua" ||
		return 1
	if ! lighttpd -tt -f "$run/lighttpd.conf" >"$run/lighttpd.out" 2>&1; then
		stack_err "lighttpd rejects $run/lighttpd.conf (rendered from $src/etc/lighttpd.conf.in)"
		stack_log_tail "$run/lighttpd.out"
		return 1
	fi
	stack_say "starting lighttpd on http://127.0.0.1:$port/ (log: $log)"
	STARLING_SHED_SIGNAL=$(stack_conf_value "$conf" signal_file) \
		lighttpd -D -f "$run/lighttpd.conf" </dev/null >>"$run/lighttpd.out" 2>&1 &
	pid=$!
	if ! stack_wait_until "$pid" lighttpd "$log" "answer HTTP on 127.0.0.1:$port" \
		stack_http_answers "http://127.0.0.1:$port/"; then
		stack_log_tail "$run/lighttpd.out"
		stack_kill 5 "$pid"
		return 1
	fi
	echo "$pid" >"$run/lighttpd.pid"
}

# --- starling-worker ---------------------------------------------------------------------------

# --- systemd units ------------------------------------------------------------------------------

# stack_unit_exec UNIT [INSTANCE]: print the ExecStart command of a rendered systemd unit, with
# %i replaced by INSTANCE. The harness runs the shipped units' commands (systemd itself does not
# run here); User= is left out: the harness runs as whoever runs it.
stack_unit_exec() {
	sed -n 's/^ExecStart=//p' "$1" | sed "s|%i|${2:-}|g"
}

# stack_unit_value UNIT KEY: print the value of KEY= in a rendered systemd unit (the last one).
stack_unit_value() {
	sed -n "s/^$2=//p" "$1" | tail -n 1
}

# stack_unit_env UNIT: print the unit's Environment= assignments, one NAME=VALUE per line.
stack_unit_env() {
	sed -n 's/^Environment=//p' "$1"
}

# --- starling-worker ---------------------------------------------------------------------------

# stack_worker_start RUN CONF BIN [UNIT]: BIN (a built tools/starling-worker) in the background with
# CONF, its pid in RUN/worker.pid and its output appended to RUN/worker.log; waits until it has
# logged that its loop started. With UNIT (etc/starling-worker.service.in rendered with
# SBIN_DIR=the directory of BIN and CONF), the command and its environment are the unit's.
# stack_stop RUN worker stops it (SIGTERM: it finishes its job).
stack_worker_start() {
	local run conf bin unit log pid cmd
	run=$1 conf=$2 bin=$3 unit=${4:-}
	log=$run/worker.log
	if [ ! -x "$bin" ]; then
		stack_err "$bin is missing or not executable; build it with make"
		return 1
	fi
	if stack_alive "$run" worker; then
		stack_err "starling-worker already runs from $run (pid $(stack_pid "$run" worker)); stop it first"
		return 1
	fi
	touch "$log"
	stack_say "starting starling-worker (log: $log)"
	if [ -n "$unit" ]; then
		cmd=$(stack_unit_exec "$unit")
		case "$cmd" in
		"$bin" | "$bin "*) ;;
		*) stack_err "$unit runs '$cmd', not $bin"; return 1 ;;
		esac
		# shellcheck disable=SC2046,SC2086 # the unit's words, as systemd splits them
		env $(stack_unit_env "$unit") $cmd --pid-file "$run/worker.pid" </dev/null >>"$log" 2>&1 &
	else
		"$bin" --conf "$conf" --pid-file "$run/worker.pid" </dev/null >>"$log" 2>&1 &
	fi
	pid=$!
	# At once (the worker writes the same): stack_stop_all must find it even while it starts.
	echo "$pid" >"$run/worker.pid"
	# Lines of earlier runs are in the log too: wait for the "started" line of this process.
	stack_wait_until "$pid" starling-worker "$log" "start its loop" \
		grep -q "level=info prog=starling-worker pid=$pid .*started (daemon)" "$log" ||
		{ stack_kill 5 "$pid"; rm -f "$run/worker.pid"; return 1; }
}

# stack_worker_once RUN CONF BIN: BIN --once (every pending job, each periodic task), its output
# appended to RUN/worker.log. Fails as the worker does (a shard unreachable, a task failed).
stack_worker_once() {
	local before rc=0
	before=$(stat -c %s "$1/worker.log" 2>/dev/null || echo 0)
	"$3" --once --conf "$2" </dev/null >>"$1/worker.log" 2>&1 || rc=$?
	if [ "$rc" -ne 0 ]; then
		# What this pass logged that went wrong, where a failed test shows it.
		stack_err "starling-worker --once exited $rc; its warnings and errors:"
		tail -c +"$((before + 1))" "$1/worker.log" | grep -E ' level=(warn|error) ' | tail -n 20 >&2
	fi
	return "$rc"
}

# stack_worker_ctl_write RUN SRCDIR CONF BIN [UNIT]: RUN/worker-ctl start|stop|once, for tests that need
# the worker stopped (jobs then only run at request time) or a pass run now. stop sends SIGTERM
# and waits until the worker has exited (a job in progress is finished first).
stack_worker_ctl_write() {
	cat >"$1/worker-ctl" <<EOF
#!/bin/sh
# Written by script/lib/stack.sh (stack_worker_ctl_write): start|stop|once the worker of $1.
set -eu
STACK_QUIET=1
. "$2/script/lib/stack.sh"
case "\${1:-}" in
start) stack_worker_start "$1" "$3" "$4" "${5:-}" ;;
stop) stack_stop "$1" worker ;;
once) stack_worker_once "$1" "$3" "$4" ;;
*) echo "usage: \$0 start|stop|once" >&2; exit 2 ;;
esac
EOF
	chmod 700 "$1/worker-ctl"
}

# stack_cleanup_on_exit RUN: for test scripts. At exit, also after Ctrl-C or SIGTERM, stop every
# server under RUN and remove RUN (kept for a post-mortem when STARLING_KEEP_RUN=1), keeping the
# script's exit status.
stack_cleanup_on_exit() {
	STACK_CLEANUP_RUN=$1
	trap stack_cleanup_now EXIT
	trap 'stack_say "interrupted"; exit 130' INT
	trap 'stack_say "terminated"; exit 143' TERM
}

# shellcheck disable=SC2317 # run by the EXIT trap
stack_cleanup_now() {
	_status=$?
	set +e
	trap - EXIT INT TERM
	STACK_QUIET=1 stack_stop_all "$STACK_CLEANUP_RUN"
	if [ "${STARLING_KEEP_RUN:-0}" = 1 ]; then
		printf 'stack: kept the run directory %s\n' "$STACK_CLEANUP_RUN" >&2
	else
		rm -rf "$STACK_CLEANUP_RUN"
	fi
	exit "$_status"
}
