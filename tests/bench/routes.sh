#!/bin/bash
# tests/bench/routes.sh: the route benchmark of issue [G1] (docs/performance.md).
#
# Builds a plain optimized copy of this working tree (no sanitizers, -O2 -g) under var/bench/src,
# starts a private stack on free loopback ports exactly as script/server and the integration
# suite do (script/lib/stack.sh: 2 MariaDB, 2 memcached, lighttpd spawning 2 processes of each
# FastCGI binary as etc/lighttpd.conf.in says, starling-worker), serves a bare C FastCGI hello
# (tests/bench/hello.c) through the same lighttpd as the ceiling, loads a data set through the
# HTTP API (tests/bench/load.py), then runs each route with wrk and prints one markdown table:
# req/s, p50, p99, round trips per request to memcached and MariaDB (the mc= and db= of the
# binaries' access log lines), and the share of the hello's req/s. Then the cache hit ratio of a
# zipf read mix and the RSS of every FastCGI process. Asserts nothing; not part of make check.
#
#   tests/bench/routes.sh                      # from anywhere; state under var/bench/ (ignored)
#   BENCH_USERS=200 BENCH_SECONDS=3 BENCH_RUNS=1 tests/bench/routes.sh    # a quick run
#
# Knobs (environment): BENCH_USERS (500), BENCH_POSTS (posts per user, 8), BENCH_SECONDS (each
# measured wrk run, 5), BENCH_RUNS (3; the table shows medians), BENCH_CONNS (wrk connections,
# 16), BENCH_WARMUP (seconds of warm-up per route, 2), BENCH_KEEP=1 (keep var/bench/run: logs,
# configs, wrk outputs), BENCH_TABLE (also write the table to this file), BENCH_SOAK (after
# the table, serve this many requests of the read mix and print the memory of every binary
# after each quarter; 0, the default, skips it), BENCH_PHP=0 (leave out the PHP peers).
# load.py has more (BENCH_FOLLOWS, BENCH_HEAVY_FOLLOWS, BENCH_LIKES, BENCH_SEED).
#
# Idempotent: every run starts a fresh stack and data set in var/bench/run (whatever an
# interrupted run left there is stopped first); the build in var/bench/src is reused and only
# remade for the files that changed. Everything it starts is stopped at exit, Ctrl-C or TERM.
set -eu
# shellcheck disable=SC2016 # the backquotes in the route labels are markdown, not expansions

SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
BENCH_USERS=${BENCH_USERS:-500}
BENCH_POSTS=${BENCH_POSTS:-8}
BENCH_SECONDS=${BENCH_SECONDS:-5}
BENCH_RUNS=${BENCH_RUNS:-3}
BENCH_CONNS=${BENCH_CONNS:-16}
BENCH_WARMUP=${BENCH_WARMUP:-2}
BENCH_KEEP=${BENCH_KEEP:-0}
BENCH_PHP=${BENCH_PHP:-1}
export BENCH_USERS BENCH_POSTS
BENCH_DIR=$SRCDIR/var/bench
BUILD=$BENCH_DIR/src
RUN=$BENCH_DIR/run

say() { printf 'bench: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# shellcheck source=../../script/lib/stack.sh
. "$SRCDIR/script/lib/stack.sh"
export PYTHONDONTWRITEBYTECODE=1

# --- tools -------------------------------------------------------------------------------------
# php_fpm: the php-fpm program of Debian's php-fpm, or nothing.
php_fpm() {
	command -v php-fpm8.2 || ls /usr/sbin/php-fpm* 2>/dev/null | head -n 1
}
# wrk is the one tool the project does not otherwise need: installed here as script/bootstrap
# installs the others (apt-get, through sudo when not root).
if ! command -v wrk >/dev/null 2>&1; then
	say "installing wrk (apt-get)"
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends wrk >&2 ||
		die "could not install wrk"
fi
# The PHP peers (tests/bench/peer.php, tests/bench/retwis.php): php-fpm with its MySQL, memcached
# and Redis extensions, and redis-server, from Debian; without them (BENCH_PHP=0, or no package)
# their rows are left out.
if [ "$BENCH_PHP" = 1 ] && { [ -z "$(php_fpm)" ] || ! command -v redis-server >/dev/null 2>&1 ||
	! php -m 2>/dev/null | grep -qx redis; }; then
	say "installing php-fpm, php-mysql, php-memcached, php-redis, redis-server for the PHP peers (apt-get)"
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends \
		php-fpm php-mysql php-memcached php-redis redis-server >&2 ||
		say "warning: no PHP peer (install failed)"
fi
for tool in git gcc make autoreconf mariadbd memcached lighttpd curl python3 wrk; do
	command -v "$tool" >/dev/null 2>&1 || die "'$tool' is not installed (run script/bootstrap)"
done

# --- build -------------------------------------------------------------------------------------
# A copy of the working tree (tracked files and new ones not ignored, with uncommitted edits),
# so that the benchmark never runs make in the tree itself, whose build may be configured with
# sanitizers and used by someone else. Only files whose bytes changed are copied (with a fresh
# mtime), so make rebuilds only what they touch.
build() {
	local t0 list
	t0=$(now)
	mkdir -p "$BUILD"
	list=$BENCH_DIR/files
	(cd "$SRCDIR" && git ls-files -z --cached --others --exclude-standard) |
		(cd "$SRCDIR" && xargs -0 -r sh -c 'for f do [ -f "$f" ] && printf "%s\0" "$f"; done; :' sh) \
			>"$list"
	if command -v rsync >/dev/null 2>&1; then
		# -c: compare contents; no -t: a copied file gets the current time, newer than its objects.
		rsync -rlc --from0 --files-from="$list" "$SRCDIR/" "$BUILD/"
	else
		(cd "$SRCDIR" && tar --null -T "$list" -cf -) | tar -xmf - -C "$BUILD"
	fi
	cd "$BUILD"
	if [ ! -x configure ]; then
		say "autoreconf -fi in $BUILD"
		autoreconf -fi >"$BENCH_DIR/autoreconf.log" 2>&1 || {
			stack_log_tail "$BENCH_DIR/autoreconf.log"; die "autoreconf failed"; }
	fi
	if [ ! -f config.status ]; then
		say "configure CFLAGS='-O2 -g' in $BUILD"
		./configure CFLAGS='-O2 -g' >"$BENCH_DIR/configure.log" 2>&1 || {
			stack_log_tail "$BENCH_DIR/configure.log"; die "configure failed"; }
	fi
	say "make -j2 in $BUILD (log: $BENCH_DIR/make.log)"
	make -j2 >"$BENCH_DIR/make.log" 2>&1 || { stack_log_tail "$BENCH_DIR/make.log"; die "make failed"; }
	grep -q 'sanitizers:  *no' "$BENCH_DIR/configure.log" 2>/dev/null ||
		grep -q 'enable_sanitizers=.no' config.status 2>/dev/null ||
		say "warning: could not confirm the bench build is sanitizer-free"
	# The ceiling: not part of make, a bare libfcgi program.
	if [ ! -x tests/bench/hello ] || [ tests/bench/hello.c -nt tests/bench/hello ]; then
		gcc -O2 -Wall -o tests/bench/hello tests/bench/hello.c -lfcgi || die "building hello failed"
	fi
	cd "$SRCDIR"
	say "build ready in $(since "$t0")s"
}

# --- stack -------------------------------------------------------------------------------------
# Ports: 2 MariaDB, 2 memcached, lighttpd.
start_stack() {
	local t0 overlay
	t0=$(now)
	# A run interrupted by KILL may have left servers: stop them, then start afresh.
	if [ -d "$RUN" ]; then
		php_peer_stop
		redis_stop
		STACK_QUIET=1 stack_stop_all "$RUN" || true
		rm -rf "$RUN"
	fi
	stack_prepare "$RUN"
	export STARLING_KEEP_RUN=$BENCH_KEEP   # read by stack_cleanup_now at exit
	stack_cleanup_on_exit "$RUN"
	# php-fpm is no server stack.sh knows: stopped first, then the rest as stack.sh does.
	trap 'php_peer_stop; redis_stop; stack_cleanup_now' EXIT
	password=$(stack_gen_password)
	# shellcheck disable=SC2046 # one port per word
	set -- $(stack_free_ports 6)
	mysql_ports="$1 $2"
	memcached_ports="$3 $4"
	http_port=$5
	REDIS=127.0.0.1:$6
	MC="127.0.0.1:$3,127.0.0.1:$4"
	BASE=http://127.0.0.1:$http_port
	STACK_QUIET=1 stack_backends_start "$RUN" starling starling "$password" "$mysql_ports" \
		"$memcached_ports"
	# Cheap password hashes (loading makes hundreds of accounts: the production 600,000
	# iterations would take minutes, and logins are not what is measured), sign-ups enough for
	# every user from one address, and the production timeline settings (etc/starling.conf.example)
	# rather than stack.sh's tiny test values, so that pushes happen as they would for real.
	export STACK_ARGON2_PASSES=1 STACK_ARGON2_MEMORY_KIB=1024 STACK_SIGNUPS_PER_IP=$((BENCH_USERS + 100))
	# The loader follows up to BENCH_HEAVY_FOLLOWS accounts from one user, and wrk posts and
	# likes as fast as it can: far past what [limits] lets a person write (the limits' own cost,
	# two memcached round trips per write, is still paid).
	export STACK_WRITE_LIMITS=1000000
	export STACK_PUSH_MAX_FOLLOWERS=10000 STACK_PUSH_INLINE_MAX=200
	stack_write_conf "$RUN/starling.conf" "$BASE" "$BUILD" "$mysql_ports" starling starling \
		"$password" "$memcached_ports" info
	STACK_QUIET=1 stack_migrate "$RUN" "$RUN/starling.conf" "$BUILD" "$BUILD/tools/starling-admin"
	# lighttpd from the shipped template, plus one fastcgi.server entry for the hello (same
	# process count as each Starling binary). stack_lighttpd_start renders SRCDIR/etc/
	# lighttpd.conf.in (and serves BUILD's static-min: stack_static_dir): give it a directory
	# holding that template.
	overlay=$RUN/overlay
	mkdir -p "$overlay/etc"
	cp "$BUILD/etc/starling-stamp.lua" "$BUILD/etc/starling-headers.lua" "$overlay/etc/"
	{
		cat "$BUILD/etc/lighttpd.conf.in"
		cat <<'EOF'

# Appended by tests/bench/routes.sh: the bare FastCGI hello (tests/bench/hello.c), the ceiling.
fastcgi.server += (
	"/hello" => ( "hello" => (
		"bin-path" => "@CGI_DIR@/starling-hello",
		"socket" => "@RUN_DIR@/starling-hello.sock",
		"max-procs" => 2,
		"check-local" => "disable",
	)),
)
EOF
		[ -z "$PHP_FPM" ] || cat <<'EOF'

# Appended by tests/bench/routes.sh: the raw PHP-FPM peer (tests/bench/peer.php).
fastcgi.server += (
	"/peer/" => ( "php" => (
		"socket" => "@RUN_DIR@/php-fpm.sock",
		"check-local" => "disable",
	)),
)
EOF
	} >"$overlay/etc/lighttpd.conf.in"
	[ -z "$PHP_FPM" ] || { redis_start; php_peer_start; }
	mkdir -p "$RUN/cgi-bin"
	cp -f "$BUILD/tests/bench/hello" "$RUN/cgi-bin/starling-hello"
	STACK_QUIET=1 stack_lighttpd_start "$RUN" "$overlay" "$http_port" "$RUN/starling.conf" "$BUILD"
	STACK_QUIET=1 stack_worker_start "$RUN" "$RUN/starling.conf" "$BUILD/tools/starling-worker"
	# The binaries' stderr (their access lines with mc= and db=): lighttpd hands its own to
	# them, which is its error log, or its stdout/stderr file (as tests/integration/suite.sh).
	APPLOGS="$RUN/lighttpd-error.log $RUN/lighttpd.out"
	curl -sf "$BASE/hello" >/dev/null || die "the hello does not answer at $BASE/hello"
	# The FastCGI processes as started: any pid missing at the end was respawned by lighttpd
	# (a crash, or an exit), which the report says.
	FCGI_PIDS=$(stack_children "$(stack_pid "$RUN" lighttpd)" | sort -n | tr '\n' ' ')
	curl -sf "$BASE/api/v1/health" >/dev/null || die "the health check fails at $BASE/api/v1/health"
	say "stack up in $(since "$t0")s: $BASE (MariaDB :${mysql_ports% *} :${mysql_ports#* }, memcached $MC)"
}

# --- wrk ---------------------------------------------------------------------------------------
# One Lua script for every route: it replays a request list of load.py (req-ROUTE.tsv), each
# wrk thread from its own offset, so that requests spread over viewers, posts and users.
write_lua() {
	cat >"$RUN/replay.lua" <<'EOF'
-- Written by tests/bench/routes.sh: replays a request list (tab-separated: METHOD, PATH, BODY,
-- then "Name: value" headers), one line after another, each thread from its own offset.
local nthreads = 0
function setup(thread)
	thread:set("id", nthreads)
	nthreads = nthreads + 1
end

local reqs, n, next_i = {}, 0, 1
function init(args)
	for line in io.lines(args[1]) do
		local f = {}
		for x in (line .. "\t"):gmatch("([^\t]*)\t") do f[#f + 1] = x end
		local h = {}
		for i = 4, #f do
			local k, v = f[i]:match("^([^:]+):%s*(.*)$")
			if k then h[k] = v end
		end
		local body = nil
		if f[3] ~= "" then body = f[3] end
		n = n + 1
		reqs[n] = wrk.format(f[1], f[2], h, body)
	end
	next_i = ((id or 0) * 7919) % n + 1
end

function request()
	local r = reqs[next_i]
	next_i = next_i % n + 1
	return r
end
EOF
}

# to_ms VALUE: wrk's "1.23ms", "850.00us", "1.02s" in milliseconds.
to_ms() {
	awk -v v="$1" 'BEGIN {
		if (v ~ /us$/) { sub(/us$/, "", v); printf "%.2f", v / 1000 }
		else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.2f", v }
		else if (v ~ /m$/) { sub(/m$/, "", v); printf "%.2f", v * 60000 }
		else { sub(/s$/, "", v); printf "%.2f", v * 1000 } }'
}

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print a[(NR + 1) / 2]; else printf "%g\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# logsize: the sizes of the files where the binaries' lines may go, as "FILE:SIZE ...".
logsize() {
	local f
	for f in $APPLOGS; do printf '%s:%s ' "$f" "$(stat -c %s "$f" 2>/dev/null || echo 0)"; done
}

# wrk_args ROUTE: the URL and script arguments of a route ("hello" has no list).
wrk_run() {
	local route secs out
	route=$1 secs=$2 out=$3
	if [ "$route" = hello ]; then
		wrk --latency -t2 -c"$BENCH_CONNS" -d"${secs}s" "$BASE/hello" >"$out" 2>&1
	else
		wrk --latency -t2 -c"$BENCH_CONNS" -d"${secs}s" -s "$RUN/replay.lua" "$BASE" \
			-- "$DATA/req-$route.tsv" >"$out" 2>&1
	fi
}

# bench_route ROUTE LABEL: warm-up, BENCH_RUNS measured runs, one table row (medians).
HELLO_RPS=""
bench_route() {
	local route label i out rps p50 p99 start end n mc db bad errs share srv W
	route=$1 label=$2
	W=$RUN/wrk   # wrk's outputs (kept with BENCH_KEEP=1)
	mkdir -p "$W"
	wrk_run "$route" "$BENCH_WARMUP" "$W/$route-warmup.txt" || true
	: >"$W/rps-$route"
	: >"$W/p50-$route"
	: >"$W/p99-$route"
	errs=0
	start=$(logsize)
	[ "$route" != peer_home ] || REDIS_C0=$(redis_commands)
	for i in $(seq "$BENCH_RUNS"); do
		out=$W/$route-$i.txt
		wrk_run "$route" "$BENCH_SECONDS" "$out" || { say "wrk failed on $route:"; cat "$out" >&2; }
		awk '/^Requests\/sec:/ { print $2 }' "$out" >>"$W/rps-$route"
		to_ms "$(awk '$1 == "50%" { print $2 }' "$out")" >>"$W/p50-$route"; echo >>"$W/p50-$route"
		to_ms "$(awk '$1 == "99%" { print $2 }' "$out")" >>"$W/p99-$route"; echo >>"$W/p99-$route"
		errs=$((errs + $(awk '/Non-2xx or 3xx responses:/ { n += $NF } /Socket errors:/ { gsub(/,/, ""); n += $4 + $6 + $8 + $10 } END { print n + 0 }' "$out")))
	done
	sleep 0.3   # the binaries log each line after its response
	end=$(logsize)
	rps=$(median <"$W/rps-$route")
	p50=$(grep . "$W/p50-$route" | median)
	p99=$(grep . "$W/p99-$route" | median)
	if [ "$route" = hello ]; then
		HELLO_RPS=$rps
		mc="-" db="-" srv="-" bad=0
	elif [ "$route" = peer_home ]; then
		# retwis.php: the Redis commands per request, from Redis's own counter.
		mc=$(awk -v c="$(redis_commands)" -v c0="$REDIS_C0" -v n="$(wrk_requests "$W" "$route")" \
			'BEGIN { if (n > 0) printf "%.0f Redis", (c - c0) / n; else print "-" }')
		db="-" srv="-" bad=0
	elif [ "${route#peer_}" != "$route" ]; then
		mc="2 rounds" db="-" srv="-" bad=0   # peer.php: a get, then a multi-get, once cached
	else
		# shellcheck disable=SC2046
		set -- $(python3 "$SRCDIR/tests/bench/load.py" roundtrips "$start" "$end")
		n=$1 mc=$2 db=$3 srv=$4 bad=$5
		[ "$n" -gt 0 ] || say "warning: no access lines for $route in $APPLOGS"
	fi
	share=$(awk -v a="$rps" -v b="$HELLO_RPS" 'BEGIN { if (b > 0) printf "%.1f%%", 100 * a / b; else print "-" }')
	printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$label" \
		"$(printf '%.0f' "$rps")" "$p50" "$p99" "$mc" "$db" "$share" "$srv" \
		"$([ "$errs" -eq 0 ] && [ "$bad" -eq 0 ] && echo 0 || echo "$errs non-2xx ($bad 5xx)")" \
		>>"$TABLE"
	say "$label: $(printf '%.0f' "$rps") req/s, p50 ${p50} ms, p99 ${p99} ms, mc=$mc db=$db, $share of the hello"
}

# hit_ratio: memcached get_hits / (hits + misses) over one run of the zipf read mix.
hit_ratio() {
	local h0 m0 h1 m1
	mkdir -p "$RUN/wrk"
	wrk_run read_mix "$BENCH_WARMUP" "$RUN/wrk/read_mix-warmup.txt" || true
	read -r h0 m0 <<EOF
$(python3 "$SRCDIR/tests/bench/load.py" mcstats "$MC")
EOF
	wrk_run read_mix "$BENCH_SECONDS" "$RUN/wrk/read_mix.txt" || true
	read -r h1 m1 <<EOF
$(python3 "$SRCDIR/tests/bench/load.py" mcstats "$MC")
EOF
	awk -v h=$((h1 - h0)) -v m=$((m1 - m0)) 'BEGIN {
		printf "memcached hit ratio over a zipf read mix (all read routes above, %d gets): %.2f%% (%d hits, %d misses)\n",
			h + m, (h + m) ? 100 * h / (h + m) : 0, h, m }'
}

# rss: every process lighttpd spawned: name, pid, resident set size and the anonymous part of
# it, in KB. RSS also counts the pages of shared libraries (libcrypto, libc, libstdc++ of
# libmemcached) that every process maps from the same page cache; the anonymous memory (heap,
# stacks, the client libraries' buffers) is what each process adds on its own.
rss() {
	local lpid p name kb anon
	lpid=$(stack_pid "$RUN" lighttpd) || return 0
	for p in $(stack_children "$lpid"); do
		# The program's name from its command line (comm is cut at 15 characters).
		name=$(tr '\0' '\n' <"/proc/$p/cmdline" 2>/dev/null | head -n 1) || continue
		name=${name##*/}
		kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null) || continue
		anon=$(awk '/^Anonymous:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null)
		printf '%s %s %s %s\n' "$name" "$p" "$kb" "${anon:--}"
	done | sort
}

# rss_table BEFORE AFTER: the two samples of rss side by side (a process missing from one of
# them was respawned in between: "-").
rss_table() {
	echo
	echo "| FastCGI process | pid | RSS after loading (MB) | RSS at the end (MB) | anonymous at the end (MB) |"
	echo "|---|---:|---:|---:|---:|"
	awk 'NR == FNR { before[$2] = $3; next }
		{ printf "| %s | %s | %s | %.1f | %.1f |\n", $1, $2,
			($2 in before) ? sprintf("%.1f", before[$2] / 1024) : "-", $3 / 1024, $4 / 1024 }' \
		"$1" "$2"
}

# soak N: the zipf read mix until N requests were served, with the largest RSS and anonymous
# memory of each binary's processes after every quarter (BENCH_SOAK; a memory-flatness check,
# not a speed one). One table row per sample.
soak() {
	local n done=0 next step i f names
	n=$1 step=$(( $1 / 4 ))
	next=$step i=0
	mkdir -p "$RUN/wrk"
	rss >"$RUN/soak-0.txt"
	names=$(awk '{ print $1 }' "$RUN/soak-0.txt" | sort -u | grep -v hello | tr '\n' ' ')
	echo
	printf '| requests of the read mix |'
	for f in $names; do printf ' %s RSS / anonymous (MB) |' "$f"; done
	echo
	printf '|---:|'
	for f in $names; do printf -- '---:|'; done
	echo
	soak_row 0 "$RUN/soak-0.txt" "$names"
	while [ "$done" -lt "$n" ]; do
		i=$((i + 1))
		wrk_run read_mix 20 "$RUN/wrk/soak-$i.txt" || true
		done=$((done + $(awk '/ requests in / { print $1 }' "$RUN/wrk/soak-$i.txt")))
		if [ "$done" -ge "$next" ] || [ "$done" -ge "$n" ]; then
			rss >"$RUN/soak-$i.txt"
			soak_row "$done" "$RUN/soak-$i.txt" "$names"
			next=$((next + step))
		fi
	done
}

# soak_row REQUESTS FILE NAMES: one row: the largest RSS and anonymous memory of each binary.
soak_row() {
	awk -v req="$1" -v names="$3" '
		{ if ($3 > rss[$1]) rss[$1] = $3; if ($4 > anon[$1]) anon[$1] = $4 }
		END { printf "| %d |", req; n = split(names, a, " ")
			for (i = 1; i <= n; i++) printf " %.1f / %.1f |", rss[a[i]] / 1024, anon[a[i]] / 1024
			print "" }' "$2"
}

# wrk_requests DIR ROUTE: the requests of the measured runs of ROUTE (wrk's "N requests in").
wrk_requests() {
	cat "$1/$2"-[0-9]*.txt | awk '/ requests in / { n += $1 } END { print n + 0 }'
}

# redis_start: Debian's redis-server on REDIS, in memory only, pid in RUN/redis.pid.
redis_start() {
	redis-server --bind 127.0.0.1 --port "${REDIS#*:}" --daemonize yes --save '' \
		--appendonly no --pidfile "$RUN/redis.pid" --logfile "$RUN/redis.log" --dir "$RUN" ||
		die "redis-server did not start (see $RUN/redis.log)"
	for _ in $(seq 100); do
		redis-cli -p "${REDIS#*:}" ping >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	die "redis-server does not answer on $REDIS (see $RUN/redis.log)"
}

# redis_stop: the redis-server of RUN/redis.pid, if it runs.
redis_stop() {
	local pid
	pid=$(cat "$RUN/redis.pid" 2>/dev/null) || return 0
	case "$(readlink "/proc/$pid/exe" 2>/dev/null)" in
	*/redis-*) kill -TERM "$pid" 2>/dev/null || true ;;
	esac
}

# redis_commands: the commands Redis has served since it started.
redis_commands() {
	redis-cli -p "${REDIS#*:}" info stats | tr -d '\r' |
		awk -F: '$1 == "total_commands_processed" { print $2 }'
}

# php_peer_start: php-fpm with one pool of 2 children (as each Starling binary has 2 processes)
# serving peer.php from the document root (RUN/php-fpm.pid: php_peer_stop). Reads the stack's
# ports and password from start_stack.
php_peer_start() {
	mkdir -p "$RUN/www/peer"
	cp -f "$SRCDIR/tests/bench/peer.php" "$RUN/www/peer/post.php"
	cp -f "$SRCDIR/tests/bench/retwis.php" "$RUN/www/peer/home.php"
	cat >"$RUN/php-fpm.conf" <<EOF
[global]
pid = $RUN/php-fpm.pid
error_log = $RUN/php-fpm.log
daemonize = yes

[peer]
user = $(id -un)
group = $(id -gn)
listen = $RUN/php-fpm.sock
pm = static
pm.max_children = 2
pm.max_requests = 0
clear_env = yes
env[PEER_MYSQL] = 127.0.0.1:${mysql_ports% *},127.0.0.1:${mysql_ports#* }
env[PEER_USER] = starling
env[PEER_PASSWORD] = $password
env[PEER_DATABASE] = starling
env[PEER_SHARDS] = $(awk -F' *= *' '/^logical_shards/ { print $2 }' "$RUN/starling.conf")
env[PEER_MEMCACHED] = $MC
env[PEER_REDIS] = $REDIS
EOF
	"$PHP_FPM" -R -y "$RUN/php-fpm.conf" || die "php-fpm did not start (see $RUN/php-fpm.log)"
	for _ in $(seq 100); do
		[ -S "$RUN/php-fpm.sock" ] && return 0
		sleep 0.1
	done
	die "php-fpm made no socket (see $RUN/php-fpm.log)"
}

# php_peer_stop: the php-fpm of RUN/php-fpm.pid, if it runs (TERM, then KILL after 10 s).
php_peer_stop() {
	local pid i
	pid=$(cat "$RUN/php-fpm.pid" 2>/dev/null) || return 0
	case "$(readlink "/proc/$pid/exe" 2>/dev/null)" in
	*/php-fpm*) ;;
	*) return 0 ;;   # gone, or the number is some other process's now
	esac
	kill -TERM "$pid" 2>/dev/null || return 0
	for i in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
}

# peer_lists: the PHP peer's request lists, the same posts as post/detail's and /p/'s.
peer_lists() {
	sed 's#/api/v1/post/detail?post_id=#/peer/post.php?post_id=#' "$DATA/req-post_detail.tsv" \
		>"$DATA/req-peer_detail.tsv"
	sed 's#\t/p/\([0-9]*\)#\t/peer/post.php?page=1\&post_id=\1#' "$DATA/req-post_page.tsv" \
		>"$DATA/req-peer_page.tsv"
}

# tests/bench/faults.sh sources this file for its build, stack and loading functions
# (BENCH_AS_LIB=1) and runs its own main.
[ -z "${BENCH_AS_LIB:-}" ] || return 0

# --- main --------------------------------------------------------------------------------------
T_ALL=$(now)
PHP_FPM=""
[ "$BENCH_PHP" != 1 ] || PHP_FPM=$(php_fpm)
build
start_stack
DATA=$RUN/data
mkdir -p "$DATA"
write_lua

say "loading $BENCH_USERS users, ~$BENCH_POSTS posts each, through $BASE"
t0=$(now)
LOAD_LINE=$(python3 "$SRCDIR/tests/bench/load.py" load "$BASE" "$RUN/mail" "$DATA")
LOAD_SECS=$(since "$t0")
say "$LOAD_LINE"
# Let the worker finish the jobs the loading left (pushes, counters), so that the reads measure
# a settled site, not one still being written by the worker.
STACK_QUIET=1 stack_worker_once "$RUN" "$RUN/starling.conf" "$BUILD/tools/starling-worker" || true
LOGIN_LINE=$(python3 "$SRCDIR/tests/bench/load.py" login-timeline "$BASE" "$DATA" "$MC")
say "$LOGIN_LINE"
# The retwis-shaped peer's copy of the same users, follows and posts, in its own Redis.
RETWIS_LINE=""
if [ -n "$PHP_FPM" ]; then
	RETWIS_LINE=$(PEER_MYSQL="127.0.0.1:${mysql_ports% *},127.0.0.1:${mysql_ports#* }" \
		PEER_USER=starling PEER_PASSWORD=$password PEER_DATABASE=starling PEER_REDIS=$REDIS \
		PEER_SHARDS=$(awk -F' *= *' '/^logical_shards/ { print $2 }' "$RUN/starling.conf") \
		php "$SRCDIR/tests/bench/retwis.php" load) || die "loading the retwis peer failed"
	say "$RETWIS_LINE"
fi

TABLE=$RUN/table.md
{
	echo "| route | req/s | p50 ms | p99 ms | memcached round trips | MariaDB round trips | share of the hello | server ms (median) | errors |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---|"
} >"$TABLE"
rss >"$RUN/rss-start.txt"
bench_route hello "bare C FastCGI hello"
bench_route timeline_home '`timeline/home` (JSON)'
bench_route home_page '`/` logged in (home page)'
bench_route search_posts '`search/posts`'
bench_route post_create '`post/create`'
bench_route post_like '`post/like`'
bench_route user_page '`/u/<name>` page'
bench_route post_page '`/p/<id>` page'
bench_route post_detail '`post/detail`'
bench_route user_profile '`user/profile`'
bench_route post_stats '`post/stats` (20 ids)'
if [ -n "$PHP_FPM" ]; then
	peer_lists
	bench_route peer_detail 'raw PHP-FPM peer of `post/detail` (peer.php)'
	bench_route peer_page 'raw PHP-FPM peer of the `/p/<id>` page'
	bench_route peer_home 'retwis-shaped PHP + Redis home page, 20 posts (retwis.php)'
fi
HIT_LINE=$(hit_ratio)
rss >"$RUN/rss-end.txt"
RSS_TABLE=$(rss_table "$RUN/rss-start.txt" "$RUN/rss-end.txt")
SOAK_TABLE=""
if [ "${BENCH_SOAK:-0}" -gt 0 ]; then
	say "soak: the read mix for $BENCH_SOAK requests"
	SOAK_TABLE=$(soak "$BENCH_SOAK")
fi

# Errors and warnings the binaries and the worker logged during the run (a benchmark over
# failures would lie): counted, and the first few shown, without their time, pid and request id.
ERR_LINE=$(awk '/ts=[^ ]* level=error / { e++ } /ts=[^ ]* level=warn / { w++ }
	END { printf "%d errors, %d warnings", e, w }' $APPLOGS "$RUN/worker.log")
ERR_SAMPLES=$(grep -hE 'ts=[^ ]* level=(error|warn) ' $APPLOGS "$RUN/worker.log" |
	sed 's/^.*ts=[^ ]* level=\([a-z]*\) prog=\([a-z-]*\) pid=[0-9]* req=[^ ]* msg=/\2 \1: /' |
	cut -c1-220 |
	sort | uniq -c | sort -rn | head -n 5 | sed 's/^ */    /')

# lighttpd's own complaints (a backend that died, a connection refused) and respawns.
LPID=$(stack_pid "$RUN" lighttpd || true)
NOW_PIDS=$( [ -z "$LPID" ] || stack_children "$LPID" | sort -n | tr '\n' ' ')
GONE=0
for p in $FCGI_PIDS; do
	case " $NOW_PIDS " in *" $p "*) ;; *) GONE=$((GONE + 1)) ;; esac
done
LIGHTTPD_SAMPLES=$(grep -v -e 'server started' -e 'server stopped' "$RUN/lighttpd-error.log" |
	grep -v ' req=[^ ]* msg=' | cut -c1-220 | head -n 5 | sed 's/^/    /')

REPORT=$RUN/report.md
{
	echo "Starling route benchmark: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, commit $(git -C "$SRCDIR" rev-parse --short HEAD)$(git -C "$SRCDIR" diff --quiet HEAD -- lib cgi-bin 2>/dev/null || echo ' + uncommitted edits')"
	echo "lighttpd, 2 processes per FastCGI binary, 2 MariaDB, 2 memcached, wrk -t2 -c$BENCH_CONNS on the same machine; ${BENCH_RUNS} run(s) of ${BENCH_SECONDS}s per route after ${BENCH_WARMUP}s of warm-up, medians."
	echo "Data: $LOAD_LINE (loading took ${LOAD_SECS}s through the HTTP API)."
	echo "$LOGIN_LINE"
	[ -z "$RETWIS_LINE" ] || echo "$RETWIS_LINE"
	echo
	cat "$TABLE"
	echo
	echo "$HIT_LINE"
	echo "$RSS_TABLE"
	[ -z "$SOAK_TABLE" ] || printf '%s\n' "$SOAK_TABLE"
	echo
	echo "Logged by the binaries and the worker during the whole run (loading included): $ERR_LINE."
	[ -z "$ERR_SAMPLES" ] || printf '%s\n' "$ERR_SAMPLES"
	echo "FastCGI processes that exited during the run (respawned by lighttpd): $GONE of $(echo "$FCGI_PIDS" | wc -w)."
	[ -z "$LIGHTTPD_SAMPLES" ] || { echo "lighttpd's error log:"; printf '%s\n' "$LIGHTTPD_SAMPLES"; }
	echo "Whole run: $(since "$T_ALL")s."
} >"$REPORT"
cat "$REPORT"
[ -z "${BENCH_TABLE:-}" ] || cp "$REPORT" "$BENCH_TABLE"
