# shellcheck shell=sh disable=SC3043
# script/lib/apache.sh: Apache 2.4 in front of Starling, for the test harness, in the three ways
# that docs/deploy.md describes. Sourced after script/lib/stack.sh, whose helpers and conventions
# it uses (tests/integration/suite.sh, etc.sh, script/server).
#
#   proxy-fcgi  mod_proxy_fcgi to the binaries, each run by the ExecStart of the shipped unit
#               etc/starling-fcgi@.service.in (multiwatch) on the Unix socket that
#               etc/starling-fcgi@.socket.in describes;
#               the site is etc/apache-proxy-fcgi.conf.in
#   fcgid       shared hosting: etc/apache-shared.conf.in with mod_fcgid; the document root
#               holds etc/htaccess and the wrappers rendered from etc/starling.fcgi.in
#   cgi         the same document root on an Apache with mod_cgid instead of mod_fcgid: plain
#               CGI, one process per request
#
# What a real server gets from Debian's /etc/apache2/apache2.conf and mods-enabled/ (Listen,
# LoadModule, the pid file, the user) is written by stack_apache_server_conf, and the shipped,
# rendered site is Included into it: the Starling part is never a private copy.
#
# Files under RUN: apache/ (httpd.conf, the runtime directory), apache.pid, apache-error.log,
# starling-error.log and starling-access.log (the site's logs), site.conf (the rendered site),
# cgi-bin/ (the binaries), www/ (document root); proxy-fcgi: fcgi/starling-NAME.sock,
# fcgi-NAME.pid, fcgi-NAME.log, starling-fcgi@.service and starling-fcgi@.socket (rendered).
#
# Run as root (CI), Apache's children run as www-data, as on Debian, and so do the binaries that
# Apache starts (fcgid, cgi); the proxy-fcgi binaries run as nobody, the way a dedicated account
# would, behind a socket that only www-data may open. The run directory is opened up for them
# accordingly (stack_apache_share).

STACK_APACHE_MODULES=${STACK_APACHE_MODULES:-/usr/lib/apache2/modules}

# stack_apache_accounts KIND: print "APP_USER APP_GROUP WEB_USER WEB_GROUP". Run as another
# user than root, everything runs as that user.
stack_apache_accounts() {
	local me grp
	if [ "$(id -u)" -ne 0 ]; then
		me=$(id -un) grp=$(id -gn)
		echo "$me $grp $me $grp"
	elif [ "$1" = proxy-fcgi ]; then
		echo "nobody nogroup www-data www-data"
	else
		echo "www-data www-data www-data www-data"
	fi
}

# stack_apache_share RUN CONF APP_USER APP_GROUP: let the binaries' account read the
# configuration and token key (group-readable, as docs/deploy.md asks), write the mail spool,
# the media directory, the breakers' state file and the sanitizer reports, and let every account
# traverse RUN.
stack_apache_share() {
	local run conf dir f
	run=$1 conf=$2
	[ "$(id -u)" -eq 0 ] || return 0
	chmod 711 "$run"
	dir=$(dirname "$conf")
	for f in "$conf" "$dir/token.key"; do
		[ ! -e "$f" ] || { chgrp "$4" "$f" && chmod 640 "$f"; } || return 1
	done
	for f in "$dir/mail" "$(stack_conf_value "$conf" local_dir)" "$run/sanitizer" "$dir/state"; do
		[ -z "$f" ] || [ ! -d "$f" ] || chown -R "$3:$4" "$f" || return 1
	done
	chmod 755 "$run/cgi-bin" "$run/www" 2>/dev/null || true
}

# stack_apache_server_conf RUN KIND PORT WEB_USER WEB_GROUP: RUN/apache/httpd.conf, the server-wide
# part, which Includes RUN/site.conf.
stack_apache_server_conf() {
	local run kind port m
	run=$1 kind=$2 port=$3 m=$STACK_APACHE_MODULES
	mkdir -p "$run/apache"
	{
		cat <<EOF
# Written by script/lib/apache.sh: the server-wide part of a private Apache ($kind). The site
# is a shipped template of etc/, rendered into site.conf and Included at the end.
ServerRoot "$run/apache"
DefaultRuntimeDir "$run/apache"
PidFile "$run/apache/httpd.pid"
Mutex file:$run/apache default
Listen 127.0.0.1:$port
ServerName 127.0.0.1
ErrorLog "$run/apache-error.log"
LogLevel warn
LogFormat "%h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\"" combined
TypesConfig /etc/mime.types
StartServers 1
ServerLimit 4
ThreadsPerChild 16
MaxRequestWorkers 64
MinSpareThreads 16
MaxSpareThreads 48
LoadModule mpm_event_module $m/mod_mpm_event.so
LoadModule authz_core_module $m/mod_authz_core.so
LoadModule mime_module $m/mod_mime.so
LoadModule alias_module $m/mod_alias.so
LoadModule rewrite_module $m/mod_rewrite.so
LoadModule headers_module $m/mod_headers.so
LoadModule env_module $m/mod_env.so
LoadModule dir_module $m/mod_dir.so
# Compression, as the shipped files ask for it (AddOutputFilterByType DEFLATE).
LoadModule filter_module $m/mod_filter.so
LoadModule deflate_module $m/mod_deflate.so
<Directory />
	AllowOverride None
	Require all denied
</Directory>
EOF
		[ "$(id -u)" -ne 0 ] || printf 'User %s\nGroup %s\n' "$4" "$5"
		case "$kind" in
		proxy-fcgi)
			printf 'LoadModule proxy_module %s/mod_proxy.so\n' "$m"
			printf 'LoadModule proxy_fcgi_module %s/mod_proxy_fcgi.so\n' "$m"
			printf 'LoadModule lua_module %s/mod_lua.so\n' "$m"
			;;
		fcgid)
			# mod_fcgid gives its processes only the environment named here: the sanitizer
			# options of the test run (the wrappers name the configuration).
			mkdir -p "$run/apache/fcgid"
			[ "$(id -u)" -ne 0 ] || chown "$4:$5" "$run/apache/fcgid"
			cat <<EOF
LoadModule fcgid_module $m/mod_fcgid.so
FcgidIPCDir "$run/apache/fcgid"
FcgidProcessTableFile "$run/apache/fcgid/shm"
# Debian's "Mutex file:... default" makes mod_fcgid lock with fcntl, and the kernel's deadlock
# check, which sees a threaded process as one owner, then fails a lock under load ("can't lock
# process table ... Resource deadlock avoided", a 500). docs/deploy.md gives hosts the same line.
Mutex pthread fcgid-proctbl fcgid-pipe
EOF
			# shellcheck disable=SC2016 # Apache expands ${...} from its own environment
			[ -z "${ASAN_OPTIONS:-}" ] || echo 'FcgidInitialEnv ASAN_OPTIONS "${ASAN_OPTIONS}"'
			# shellcheck disable=SC2016
			[ -z "${UBSAN_OPTIONS:-}" ] || echo 'FcgidInitialEnv UBSAN_OPTIONS "${UBSAN_OPTIONS}"'
			;;
		cgi)
			printf 'LoadModule cgid_module %s/mod_cgid.so\n' "$m"
			printf 'ScriptSock "%s/apache/cgisock"\n' "$run"
			[ -z "${ASAN_OPTIONS:-}" ] || echo 'PassEnv ASAN_OPTIONS'
			[ -z "${UBSAN_OPTIONS:-}" ] || echo 'PassEnv UBSAN_OPTIONS'
			;;
		esac
		printf 'Include "%s/site.conf"\n' "$run"
	} >"$run/apache/httpd.conf"
}

# stack_fcgi_spawn RUN NAME: starling-NAME under multiwatch, as systemd would start it: the
# socket made as the rendered RUN/starling-fcgi@.socket says (ListenStream, SocketMode, Backlog)
# and given as standard input (StandardInput=socket) to the command of the rendered
# RUN/starling-fcgi@.service, with its environment; pid (multiwatch's) in RUN/fcgi-NAME.pid;
# waits for the socket. As root (CI), the socket gets the socket unit's SocketUser and
# SocketGroup and the command runs as the service's User and Group, as under systemd; otherwise
# everything is whoever runs the harness.
stack_fcgi_spawn() {
	local run unit socket cmd pid sock
	run=$1 unit=$1/starling-fcgi@.service socket=$1/starling-fcgi@.socket
	sock=$(stack_unit_value "$socket" ListenStream | sed "s|%i|starling-$2|g")
	cmd=$(stack_unit_exec "$unit" "starling-$2")
	[ "$(stack_unit_value "$unit" StandardInput)" = socket ] ||
		{ stack_err "$unit: no StandardInput=socket"; return 1; }
	rm -f "$sock"
	# shellcheck disable=SC2046,SC2086 # the unit's words, as systemd splits them
	env $(stack_unit_env "$unit") python3 -c '
import grp, os, pwd, socket, sys
path, mode, backlog, su, sg, user, group = sys.argv[1:8]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
os.chmod(path, int(mode or "0666", 8))
s.listen(int(backlog or 128))
if os.getuid() == 0:
    os.chown(path, pwd.getpwnam(su).pw_uid, grp.getgrnam(sg).gr_gid)
    os.setgroups([])
    os.setgid(grp.getgrnam(group).gr_gid)
    os.setuid(pwd.getpwnam(user).pw_uid)
os.dup2(s.fileno(), 0)
os.execvp(sys.argv[8], sys.argv[8:])' "$sock" "$(stack_unit_value "$socket" SocketMode)" \
		"$(stack_unit_value "$socket" Backlog)" "$(stack_unit_value "$socket" SocketUser)" \
		"$(stack_unit_value "$socket" SocketGroup)" "$(stack_unit_value "$unit" User)" \
		"$(stack_unit_value "$unit" Group)" $cmd \
		</dev/null >>"$run/fcgi-$2.log" 2>&1 &
	pid=$!
	echo "$pid" >"$run/fcgi-$2.pid"
	stack_wait_until "$pid" "starling-$2 (multiwatch)" "$run/fcgi-$2.log" "open $sock" \
		test -S "$sock" || { stack_kill 5 "$pid"; return 1; }
}

# stack_apache_docroot RUN SRCDIR CONF BUILDDIR: the shared-hosting document root RUN/www:
# .htaccess, one wrapper per binary, static/ (stack_static_dir); media/ is [media] local_dir
# (stack_write_conf with STACK_MEDIA_DIR=RUN/www/media).
stack_apache_docroot() {
	local run src conf build name
	run=$1 src=$2 conf=$3 build=$4
	mkdir -p "$run/www/static"
	cp -f "$src/etc/htaccess" "$run/www/.htaccess"
	[ -z "${STACK_RENDERED:-}" ] || echo htaccess >>"$STACK_RENDERED"
	cp -f "$(stack_static_dir "$src" "$conf" "$build")"/* "$run/www/static/"
	for name in $STACK_CGI_NAMES; do
		stack_render "$src/etc/starling.fcgi.in" "$run/www/starling-$name.fcgi" \
			CONF="$conf" BIN="$run/cgi-bin/starling-$name" || return 1
		chmod 755 "$run/www/starling-$name.fcgi"
	done
	mkdir -p "$(stack_conf_value "$conf" local_dir)"
}

# stack_health_answers PORT: Starling's health check answers (200, or 503 naming what is down),
# not the web server's error page.
stack_health_answers() {
	case "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$1/api/v1/health")" in
	200 | 503) return 0 ;;
	*) return 1 ;;
	esac
}

# stack_apache_start RUN SRCDIR KIND PORT CONF BUILDDIR: the binaries of BUILDDIR, Apache of KIND
# (proxy-fcgi|fcgid|cgi) on 127.0.0.1:PORT with CONF; waits until it answers HTTP.
stack_apache_start() {
	local run src kind port conf build pid name media
	run=$1 src=$2 kind=$3 port=$4 conf=$5 build=$6
	stack_need apache2 curl || return 1
	case "$kind" in
	proxy-fcgi) stack_need multiwatch python3 || return 1 ;;
	fcgid | cgi) ;;
	*) stack_err "unknown Apache set-up '$kind' (proxy-fcgi, fcgid or cgi)"; return 1 ;;
	esac
	if stack_alive "$run" apache; then
		stack_err "Apache already runs from $run (pid $(stack_pid "$run" apache)); stop it first"
		return 1
	fi
	if ! stack_port_free "$port"; then
		stack_err "port 127.0.0.1:$port (Apache) is already in use"
		return 1
	fi
	# shellcheck disable=SC2046 # four words
	set -- $(stack_apache_accounts "$kind")
	stack_cgi_bins "$build" "$run/cgi-bin" || return 1
	mkdir -p "$run/www"
	media=$(stack_conf_value "$conf" local_dir)
	case "$kind" in
	proxy-fcgi)
		mkdir -p "$run/fcgi" "$media"
		stack_render "$src/etc/apache-proxy-fcgi.conf.in" "$run/site.conf" PORT="$port" \
			SERVER_NAME=127.0.0.1 DOC_ROOT="$run/www" SOCKET_DIR="$run/fcgi" \
			STATIC_DIR="$(stack_static_dir "$src" "$conf" "$build")" MEDIA_DIR="$media" \
			LOG_DIR="$run" SHED_LUA="$src/etc/starling-shed-apache.lua" || return 1
		stack_render "$src/etc/starling-fcgi@.service.in" "$run/starling-fcgi@.service" \
			CONF="$conf" CGI_DIR="$run/cgi-bin" SOCKET_DIR="$run/fcgi" PROCS=2 \
			USER="$1" GROUP="$2" WEB_USER="$3" WEB_GROUP="$4" || return 1
		stack_render "$src/etc/starling-fcgi@.socket.in" "$run/starling-fcgi@.socket" \
			SOCKET_DIR="$run/fcgi" WEB_USER="$3" WEB_GROUP="$4" || return 1
		;;
	*)
		case "$media" in
		"$run/www/"*) ;;
		*) stack_err "[media] local_dir must be $run/www/media for $kind (STACK_MEDIA_DIR)"; return 1 ;;
		esac
		stack_render "$src/etc/apache-shared.conf.in" "$run/site.conf" PORT="$port" \
			SERVER_NAME=127.0.0.1 DOC_ROOT="$run/www" LOG_DIR="$run" || return 1
		stack_apache_docroot "$run" "$src" "$conf" "$build" || return 1
		;;
	esac
	stack_apache_share "$run" "$conf" "$1" "$2" || return 1
	stack_apache_server_conf "$run" "$kind" "$port" "$3" "$4"
	if ! apache2 -t -f "$run/apache/httpd.conf" >"$run/apache.out" 2>&1; then
		stack_err "Apache rejects $run/apache/httpd.conf (site: $run/site.conf)"
		stack_log_tail "$run/apache.out"
		return 1
	fi
	if [ "$kind" = proxy-fcgi ]; then
		for name in $STACK_CGI_NAMES; do
			stack_fcgi_spawn "$run" "$name" || return 1
		done
	fi
	stack_say "starting Apache ($kind) on http://127.0.0.1:$port/ (log: $run/apache-error.log)"
	STARLING_SHED_SIGNAL=$(stack_conf_value "$conf" signal_file) \
		apache2 -f "$run/apache/httpd.conf" -DFOREGROUND </dev/null >>"$run/apache.out" 2>&1 &
	pid=$!
	echo "$pid" >"$run/apache.pid"
	if ! stack_wait_until "$pid" apache2 "$run/apache-error.log" \
		"answer /api/v1/health on 127.0.0.1:$port" stack_health_answers "$port"; then
		stack_log_tail "$run/apache.out"
		stack_kill 5 "$pid"
		return 1
	fi
}
