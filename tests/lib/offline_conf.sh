# shellcheck shell=sh
# tests/lib/offline_conf.sh: a Starling configuration whose database and cache are unreachable,
# for tests that run a binary alone (tests/integration/fastcgi-valgrind.sh, signals.sh).

# offline_conf DIR SRCDIR LEVEL: write DIR/starling.conf (MariaDB and memcached on port 1, which
# refuses at once, so failure paths run without waiting; log level LEVEL), a token key and the
# mail and media directories beside it. Extra sections or keys come on stdin and are appended
# (a section may be named again, a key may not).
offline_conf() {
	(umask 077 && od -An -tx1 -N48 /dev/urandom | tr -d ' \n' >"$1/token.key")
	mkdir -p "$1/mail" "$1/media"
	{
		cat <<CONF
[site]
templates_dir = $2/templates
[log]
level = $3
[mysql]
instances = 127.0.0.1:1
connect_timeout = 1
[memcached]
servers = 127.0.0.1:1
timeout_ms = 100
[auth]
token_key_file = $1/token.key
[mail]
transport = spool
spool_dir = $1/mail
[media]
storage = local
local_dir = $1/media
CONF
		cat
	} >"$1/starling.conf"
}
