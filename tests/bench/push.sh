#!/bin/sh
# push.sh: the timeline push benchmark (tests/bench/bench_push.c) against two private memcached
# servers on free loopback ports, as the push meets them in production (two nodes). Prints the
# medians; asserts nothing; not part of make check. Run from the build directory after make:
#   tests/bench/push.sh [runs]
set -eu
bench=${BENCH_PUSH:-tests/bench/bench_push}
[ -x "$bench" ] || { echo "push.sh: $bench not built (run make)" >&2; exit 2; }
command -v memcached >/dev/null || { echo "push.sh: memcached not found" >&2; exit 2; }

# A loopback port nobody listens on now: the kernel's pick for a socket bound to port 0.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || :; done
}
trap cleanup EXIT INT TERM

servers=
for i in 1 2; do
	port=$(free_port)
	memcached -l 127.0.0.1 -p "$port" -U 0 -m 256 -u "$(id -un)" &
	pids="$pids $!"
	servers="${servers:+$servers, }127.0.0.1:$port"
done
# Until both take connections.
for i in $(seq 50); do
	ok=1
	for s in $(echo "$servers" | tr -d ,); do
		python3 -c 'import socket, sys; h, p = sys.argv[1].rsplit(":", 1); socket.create_connection((h, int(p)), 1)' \
			"$s" 2>/dev/null || ok=0
	done
	[ "$ok" = 1 ] && break
	sleep 0.1
done
echo "memcached: $servers"
"$bench" "$servers" "${1:-7}"
