#!/bin/sh
# tests/integration/etc.sh: the files of etc/ are the ones the tests run, and each is valid for
# the program that reads it.
#
# 1. Used: every file of etc/ is rendered by the test harness (script/lib/stack.sh, apache.sh,
#    tests/integration/suite.sh, which runs the whole suite through each web server set-up) or,
#    for starling.conf.example, read by tests/unit/test_conf.c. A file no test uses could drift.
#    (suite.sh itself checks that each set-up rendered the files it should.)
# 2. One map: the route maps of lighttpd, Apache and the .htaccess agree, with no overlapping
#    prefixes (routes_map.py).
# 3. Valid: each template rendered with the paths of an installed host (a prefix under a temporary
#    directory), the way docs/deploy.md renders it, passes its program's own check: lighttpd -tt,
#    apache2 -t (each site, and etc/htaccess inside a <Directory>, where its directives are
#    equally valid), sh -n for the wrapper, the crontab line's five time fields and command, and
#    systemd-analyze verify for the units where systemd is installed.
# 4. The guide's edits: docs/deploy.md's own changes to the rendered lighttpd and Apache files (a
#    public address, the account, TLS, the redirect), applied as it says, still pass the check.
# 5. TLS for real: lighttpd with the guide's TLS block in front of starling-site with [site]
#    https = true: HSTS and Secure cookies over HTTPS, plain HTTP redirected (certbot excepted).
# Exit status (automake): 0 passed, 1 failed, 99 could not run.
set -eu

SRCDIR=${STARLING_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../../script/lib/stack.sh
. "$SRCDIR/script/lib/stack.sh"
# shellcheck source=../../script/lib/apache.sh
. "$SRCDIR/script/lib/apache.sh"
# shellcheck source=../lib/offline_conf.sh
. "$SRCDIR/tests/lib/offline_conf.sh"
# shellcheck source=../lib/sanitizer.sh
. "$SRCDIR/tests/lib/sanitizer.sh"
BUILDDIR=${STARLING_BUILDDIR:-$SRCDIR}

failures=0
say() { printf 'etc.sh: %s\n' "$*"; }
fail() {
	say "FAIL: $*"
	failures=$((failures + 1))
}
pass() { say "PASS $*"; }

for tool in lighttpd apache2 sed awk openssl curl python3; do
	command -v "$tool" >/dev/null 2>&1 || { say "ERROR: '$tool' is not installed; run script/bootstrap"; exit 99; }
done

RUN=$(mktemp -d "${TMPDIR:-/tmp}/starling-etc.XXXXXX")
lighttpd_pid=
cleanup() {
	[ -z "$lighttpd_pid" ] || stack_kill 10 "$lighttpd_pid"
	rm -rf "$RUN"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# --- 1. every file is used ---------------------------------------------------------------------
for f in "$SRCDIR"/etc/* "$SRCDIR"/etc/.[!.]*; do
	[ -f "$f" ] || continue
	name=${f##*/}
	if [ "$name" = starling.conf.example ]; then
		users=$SRCDIR/tests/unit/test_conf.c
	elif [ "$name" = starling-logrotate.in ]; then
		users=$SRCDIR/tests/integration/etc.sh   # rotates real files below
	elif [ "$name" = grafana-starling.json ]; then
		users=$SRCDIR/tests/tools/grafana_check.py   # a dashboard, checked against the metrics
	else
		users="$SRCDIR/script/lib/stack.sh $SRCDIR/script/lib/apache.sh $SRCDIR/tests/integration/suite.sh"
	fi
	# shellcheck disable=SC2086
	if grep -F -q "/etc/$name\"" $users; then
		pass "used_$name"
	else
		fail "etc/$name is not used by any test ($users)"
	fi
done

# --- 2. one route map -------------------------------------------------------------------------
# The three route maps (lighttpd, Apache, .htaccess) send every URL to the same binary, and no
# prefix overlaps another (tests/integration/routes_map.py).
if PYTHONDONTWRITEBYTECODE=1 python3 "$SRCDIR/tests/integration/routes_map.py" "$SRCDIR" |
	sed 's/^/etc.sh: routes: /' >"$RUN/routes.out" && ! grep -q ': FAIL' "$RUN/routes.out"; then
	cat "$RUN/routes.out"
else
	cat "$RUN/routes.out"
	fail "the route maps of etc/ disagree or overlap (above)"
fi

# --- 3. every template is valid ----------------------------------------------------------------
# An installed host's layout, under RUN/root: what docs/deploy.md uses (/usr/local, /etc/starling,
# /run/starling, /var/www/starling, /var/log/...).
root=$RUN/root
prefix=$root/usr/local
conf=$root/etc/starling/starling.conf
cgi=$prefix/libexec/starling
static=$prefix/share/starling/static
media=$root/var/lib/starling/media
docroot=$root/var/www/starling
logs=$root/var/log/starling
sockets=$root/run/starling
mkdir -p "$cgi" "$static" "$media" "$docroot" "$logs" "$sockets" "$prefix/sbin" \
	"$(dirname "$conf")" "$RUN/lighttpd/www" "$RUN/lighttpd/upload"
: >"$conf"
# docs/deploy.md copies the request stamp of load shedding and the security headers' script
# beside lighttpd's configuration.
stamp=$root/etc/lighttpd/starling-stamp.lua
headers=$root/etc/lighttpd/starling-headers.lua
mkdir -p "$(dirname "$stamp")" && cp "$SRCDIR/etc/starling-stamp.lua" "$stamp" &&
	cp "$SRCDIR/etc/starling-headers.lua" "$headers"

# lighttpd
if stack_render "$SRCDIR/etc/lighttpd.conf.in" "$RUN/lighttpd.conf" PORT=8080 \
	RUN_DIR="$RUN/lighttpd" CONF="$conf" CGI_DIR="$cgi" STATIC_DIR="$static" MEDIA_DIR="$media" \
	STAMP_LUA="$stamp" HEADERS_LUA="$headers" &&
	lighttpd -tt -f "$RUN/lighttpd.conf" >"$RUN/lighttpd.out" 2>&1; then
	pass lighttpd.conf.in
else
	cat "$RUN/lighttpd.out" 2>/dev/null || true
	fail "etc/lighttpd.conf.in does not render into a configuration lighttpd accepts"
fi

# apache_check NAME KIND: RUN/site.conf (rendered) inside the server part of KIND, apache2 -t.
apache_check() {
	# shellcheck disable=SC2046 # the web server's account: words 3 and 4
	stack_apache_server_conf "$RUN" "$2" 8080 $(stack_apache_accounts "$2" | cut -d' ' -f3-4)
	if apache2 -t -f "$RUN/apache/httpd.conf" >"$RUN/apache.out" 2>&1; then
		pass "$1"
	else
		cat "$RUN/apache.out"
		fail "Apache ($2) rejects etc/$1, rendered"
	fi
}

if stack_render "$SRCDIR/etc/apache-proxy-fcgi.conf.in" "$RUN/site.conf" PORT=8080 \
	SERVER_NAME=example.org DOC_ROOT="$docroot" SOCKET_DIR="$sockets" STATIC_DIR="$static" \
	MEDIA_DIR="$media" LOG_DIR="$logs" SHED_LUA="$SRCDIR/etc/starling-shed-apache.lua"; then
	apache_check apache-proxy-fcgi.conf.in proxy-fcgi
else
	fail "etc/apache-proxy-fcgi.conf.in does not render"
fi

for kind in fcgid cgi; do
	if [ "$kind" = fcgid ] && [ ! -f "$STACK_APACHE_MODULES/mod_fcgid.so" ]; then
		fail "mod_fcgid is not installed; run script/bootstrap"
		continue
	fi
	if stack_render "$SRCDIR/etc/apache-shared.conf.in" "$RUN/site.conf" PORT=8080 \
		SERVER_NAME=example.org DOC_ROOT="$docroot" LOG_DIR="$logs"; then
		apache_check "apache-shared.conf.in ($kind)" "$kind"
		# The .htaccess, as the contents of the document root's <Directory>.
		{
			printf '<Directory "%s">\n' "$docroot"
			cat "$SRCDIR/etc/htaccess"
			printf '</Directory>\n'
		} >>"$RUN/site.conf"
		apache_check "htaccess ($kind)" "$kind"
	else
		fail "etc/apache-shared.conf.in does not render"
	fi
done

# The wrapper: valid sh that executes the binary it names, with the configuration it names.
stack_render "$SRCDIR/etc/starling.fcgi.in" "$RUN/starling-site.fcgi" CONF="$conf" \
	BIN="$RUN/show-env" || fail "etc/starling.fcgi.in does not render"
# shellcheck disable=SC2016 # a script that prints its own STARLING_CONF
printf '#!/bin/sh\nprintf "%%s\\n" "$STARLING_CONF"\n' >"$RUN/show-env"
chmod 755 "$RUN/show-env" "$RUN/starling-site.fcgi"
if sh -n "$RUN/starling-site.fcgi" && [ "$(env -i "$RUN/starling-site.fcgi")" = "$conf" ]; then
	pass starling.fcgi.in
else
	fail "etc/starling.fcgi.in, rendered, does not run its binary with STARLING_CONF=$conf"
fi

# The crontab: one line, five time fields, then the worker with --once.
stack_render "$SRCDIR/etc/crontab.in" "$RUN/crontab" CONF="$conf" SBIN_DIR="$prefix/sbin" \
	LOG_DIR="$logs" || fail "etc/crontab.in does not render"
lines=$(grep -c -v -E '^[[:space:]]*(#|$)' "$RUN/crontab" || true)
if [ "$lines" = 1 ] && grep -q -E "^([0-9*/,-]+ ){5}.*'$prefix/sbin/starling-worker' --once( |$)" \
	"$RUN/crontab"; then
	pass crontab.in
else
	cat "$RUN/crontab"
	fail "etc/crontab.in: want one line of five time fields running starling-worker --once"
fi

# The logrotate rules: logrotate's own check (-d), then a forced rotation of two logs for real:
# each is copied aside and emptied; an empty log is left alone.
if command -v logrotate >/dev/null 2>&1; then
	mkdir -p "$RUN/rotate"
	stack_render "$SRCDIR/etc/starling-logrotate.in" "$RUN/logrotate.conf" \
		LOG_DIR="$RUN/rotate" USER="$(id -un)" GROUP="$(id -gn)" ||
		fail "etc/starling-logrotate.in does not render"
	echo "an error line" >"$RUN/rotate/lighttpd-error.log"
	echo "an access line" >"$RUN/rotate/lighttpd-access.log"
	: >"$RUN/rotate/empty.log"
	if ! logrotate -d -s "$RUN/logrotate.state" "$RUN/logrotate.conf" >"$RUN/logrotate.out" 2>&1 ||
		grep -q '^error:' "$RUN/logrotate.out"; then
		cat "$RUN/logrotate.out"
		fail "logrotate -d rejects etc/starling-logrotate.in, rendered"
	elif ! logrotate -f -s "$RUN/logrotate.state" "$RUN/logrotate.conf" >"$RUN/logrotate.out" 2>&1; then
		cat "$RUN/logrotate.out"
		fail "logrotate -f fails on etc/starling-logrotate.in, rendered"
	elif [ "$(cat "$RUN/rotate/lighttpd-error.log.1")" != "an error line" ] ||
		[ -s "$RUN/rotate/lighttpd-error.log" ] || [ ! -f "$RUN/rotate/lighttpd-access.log.1" ] ||
		[ -e "$RUN/rotate/empty.log.1" ]; then
		ls -l "$RUN/rotate"
		fail "etc/starling-logrotate.in: want each log copied to .1 and emptied, empty logs left"
	else
		pass starling-logrotate.in
	fi
else
	pass "starling-logrotate.in (no logrotate here to run it)"
fi

# The systemd units: render, then systemd-analyze verify where systemd is installed (not in
# every container); the harness runs their ExecStart either way (suite.sh).
for unit in starling-worker.service starling-fcgi@.service starling-fcgi@.socket; do
	stack_render "$SRCDIR/etc/$unit.in" "$RUN/$unit" CONF="$conf" SBIN_DIR="$prefix/sbin" \
		CGI_DIR="$cgi" SOCKET_DIR=/run/starling PROCS=4 USER=starling GROUP=starling \
		WEB_USER=www-data WEB_GROUP=www-data || { fail "etc/$unit.in does not render"; continue; }
	exe=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$RUN/$unit")
	case "$unit:$exe" in
	*.socket:) ;;
	*:/*) ;;
	*) fail "etc/$unit.in: ExecStart '$exe' is not an absolute path"; continue ;;
	esac
	if command -v systemd-analyze >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
		if systemd-analyze verify "$RUN/$unit" >"$RUN/verify.out" 2>&1; then
			pass "$unit.in (systemd-analyze verify)"
		else
			cat "$RUN/verify.out"
			fail "systemd-analyze verify rejects etc/$unit.in, rendered"
		fi
	else
		pass "$unit.in (rendered; no systemd here to verify it)"
	fi
done

# --- 4. the edits of docs/deploy.md ------------------------------------------------------------
# The guide changes two rendered files by hand: lighttpd's (section 8: listen on every address,
# run as starling; section 13: TLS and the redirect to https) and Apache's (section 13: the
# template's #SSL lines on for a second site, and a redirecting port-80 site). Taken from the
# guide itself, applied the way it says, with a throw-away certificate in place of Let's
# Encrypt's and an account of this machine in place of starling, each still passes its
# program's check: the guide's snippets cannot rot unnoticed.
GUIDE=$SRCDIR/docs/deploy.md
tls=$RUN/tls
mkdir -p "$tls"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=example.org \
	-keyout "$tls/privkey.pem" -out "$tls/fullchain.pem" >"$RUN/openssl.out" 2>&1 ||
	{ cat "$RUN/openssl.out"; fail "openssl cannot make a test certificate"; }
if id www-data >/dev/null 2>&1; then account=www-data; else account=$(id -un); fi
group=$(id -gn "$account")

# guide_heredocs FILE: the here-documents the guide writes or appends to FILE, in order.
guide_heredocs() {
	awk -v a="cat >>$1 <<'EOF'" -v w="cat >$1 <<'EOF'" \
		'$0 == a || $0 == w { f = 1; next } /^EOF$/ { f = 0 } f' "$GUIDE"
}
# guide_sed PATTERN: the guide's sed expression (of a `-e '...'` line) that contains PATTERN.
guide_sed() {
	grep -F -- "$1" "$GUIDE" | sed -n "s/^ *-e '\([^']*\)'.*/\1/p" | head -n 1
}
# for_this_host: the certificate and account of this machine in place of the guide's.
for_this_host() {
	sed -e "s|/etc/letsencrypt/live/example.org/|$tls/|g" \
		-e "s|^server.username = \"starling\"|server.username = \"$account\"|" \
		-e "s|^server.groupname = \"starling\"|server.groupname = \"$group\"|"
}

bind=$(guide_sed 'server.bind')
lighttpd_tls=$(guide_heredocs /etc/lighttpd/lighttpd.conf)
if [ -z "$bind" ] || ! printf '%s\n' "$lighttpd_tls" | grep -q 'ssl.engine'; then
	fail "docs/deploy.md: the lighttpd edits (server.bind, the appended TLS block) are not found"
elif stack_render "$SRCDIR/etc/lighttpd.conf.in" "$RUN/lighttpd-tls.conf" PORT=80 \
	RUN_DIR="$RUN/lighttpd" CONF="$conf" CGI_DIR="$cgi" STATIC_DIR="$static" \
	MEDIA_DIR="$media" STAMP_LUA="$stamp" HEADERS_LUA="$headers" &&
	sed -i -e "$bind" "$RUN/lighttpd-tls.conf" &&
	printf '%s\n' "$lighttpd_tls" | for_this_host >>"$RUN/lighttpd-tls.conf" &&
	grep -q '^server.bind = "0.0.0.0"$' "$RUN/lighttpd-tls.conf" &&
	lighttpd -tt -f "$RUN/lighttpd-tls.conf" >"$RUN/lighttpd-tls.out" 2>&1; then
	pass "docs/deploy.md: lighttpd for a public host with TLS"
else
	cat "$RUN/lighttpd-tls.out" 2>/dev/null || true
	fail "docs/deploy.md: lighttpd.conf edited as the guide says is not accepted by lighttpd"
fi

ssl=$(guide_sed '#SSL')
redirect=$(guide_heredocs /etc/apache2/sites-available/starling-redirect.conf)
if [ -z "$ssl" ] || [ -z "$redirect" ]; then
	fail "docs/deploy.md: the Apache TLS edits (#SSL lines, the redirect site) are not found"
elif stack_render "$SRCDIR/etc/apache-proxy-fcgi.conf.in" "$RUN/site-ssl.conf" PORT=443 \
	SERVER_NAME=example.org DOC_ROOT="$docroot" SOCKET_DIR="$sockets" STATIC_DIR="$static" \
	MEDIA_DIR="$media" LOG_DIR="$logs" SHED_LUA="$SRCDIR/etc/starling-shed-apache.lua" &&
	grep -q '#SSL' "$RUN/site-ssl.conf"; then
	{
		printf 'LoadModule socache_shmcb_module %s/mod_socache_shmcb.so\n' "$STACK_APACHE_MODULES"
		printf 'LoadModule ssl_module %s/mod_ssl.so\n' "$STACK_APACHE_MODULES"
		sed -e "$ssl" "$RUN/site-ssl.conf" | for_this_host
		printf '%s\n' "$redirect"
	} >"$RUN/site.conf"
	if grep -q '^[[:space:]]*SSLEngine on' "$RUN/site.conf"; then
		apache_check "docs/deploy.md: Apache with TLS and the redirect site" proxy-fcgi
	else
		fail "docs/deploy.md: its sed does not turn on the #SSL lines of the template"
	fi
else
	fail "etc/apache-proxy-fcgi.conf.in does not render, or has no #SSL lines"
fi

# --- 5. TLS for real --------------------------------------------------------------------------
# lighttpd with the guide's TLS block (section 13; this test's ports and certificate, IPv4 only)
# in front of starling-site configured with [site] https = true, as the guide's order of steps
# ends. HTTPS answers with HSTS and Secure cookies; plain HTTP is redirected to the same path on
# https, "/" included (not to "/home", see the guide); certbot's challenge is still served over
# plain HTTP. The database and cache are down: /help does not need them.
https_answers() {
	curl -sk -o /dev/null --max-time 2 "$1"
}
# headers URL [CURL_ARG...]: the status line and headers of URL's answer, CRs removed.
headers() {
	_url=$1
	shift
	curl -sk -o /dev/null -D - --max-time 10 "$@" "$_url" | tr -d '\r'
}
# expect WHAT TEXT PATTERN: pass if TEXT has a line matching the extended regex PATTERN, in any
# letter case (HTTP/2 sends header names in lower case).
expect() {
	if printf '%s\n' "$2" | grep -q -i -E "$3"; then
		pass "TLS: $1"
	else
		printf '%s\n' "$2" | sed 's/^/  | /'
		fail "TLS: $1: no line matches /$3/ (above)"
	fi
}

live=$RUN/live
if [ ! -x "$BUILDDIR/cgi-bin/site/starling-site" ]; then
	fail "TLS: $BUILDDIR/cgi-bin/site/starling-site is not built"
elif ! printf '%s\n' "$lighttpd_tls" | grep -q 'ssl.engine'; then
	fail "TLS: no TLS block for lighttpd in docs/deploy.md"
else
	mkdir -p "$live/www/.well-known/acme-challenge" "$live/upload"
	echo certbot-token >"$live/www/.well-known/acme-challenge/t0k3n"
	sanitizer_to "$live"
	offline_conf "$live" "$SRCDIR" warn <<-EOF
	[site]
	https = true
	base_url = https://example.org
	EOF
	# shellcheck disable=SC2046 # two port numbers
	set -- $(stack_free_ports 2)
	http_port=$1 https_port=$2
	stack_cgi_bins "$BUILDDIR" "$live/cgi-bin" &&
		stack_render "$SRCDIR/etc/lighttpd.conf.in" "$live/lighttpd.conf" PORT="$http_port" \
			RUN_DIR="$live" CONF="$live/starling.conf" CGI_DIR="$live/cgi-bin" \
			STATIC_DIR="$(stack_built_static "$SRCDIR" "$BUILDDIR")" \
			MEDIA_DIR="$live/media" \
			STAMP_LUA="$SRCDIR/etc/starling-stamp.lua" \
			HEADERS_LUA="$SRCDIR/etc/starling-headers.lua" ||
		fail "TLS: cannot set up lighttpd"
	# Only the TLS block (the guide's other here-document is for a public host).
	printf '%s\n' "$lighttpd_tls" | sed -n '/^# TLS/,$p' |
		sed -e "s|\"0.0.0.0:443\"|\"127.0.0.1:$https_port\"|" \
			-e '/^\$SERVER\["socket"\] == "\[::\]:443"/,/^}/d' |
		for_this_host >>"$live/lighttpd.conf"
	lighttpd -D -f "$live/lighttpd.conf" </dev/null >"$live/lighttpd.out" 2>&1 &
	lighttpd_pid=$!
	if stack_wait_until "$lighttpd_pid" lighttpd "$live/lighttpd-error.log" \
		"answer HTTPS on 127.0.0.1:$https_port" https_answers "https://127.0.0.1:$https_port/"; then
		h=$(headers "https://127.0.0.1:$https_port/help")
		expect "the page over HTTPS" "$h" '^HTTP/[0-9.]+ 200'
		expect "HSTS over HTTPS" "$h" \
			'^Strict-Transport-Security: max-age=31536000; includeSubDomains$'
		expect "a Secure __Host- cookie over HTTPS" "$h" '^Set-Cookie: __Host-starling_csrf=.*; Path=/.*; Secure'
		h=$(headers "http://127.0.0.1:$http_port/help?lang=zh")
		expect "plain HTTP redirected" "$h" '^HTTP/[0-9.]+ 30[18]'
		expect "to the same path on https" "$h" \
			"^Location: https://127.0.0.1:$http_port/help\\?lang=zh\$"
		h=$(headers "http://127.0.0.1:$http_port/")
		expect "/ redirected to /, not /home" "$h" "^Location: https://127.0.0.1:$http_port/\$"
		body=$(curl -s --max-time 10 "http://127.0.0.1:$http_port/.well-known/acme-challenge/t0k3n")
		if [ "$body" = certbot-token ]; then
			pass "TLS: certbot's challenge served over plain HTTP"
		else
			fail "TLS: certbot's challenge over plain HTTP answered '$body'"
		fi
	else
		stack_log_tail "$live/lighttpd.out"
		fail "TLS: lighttpd with the guide's TLS block did not start"
	fi
	stack_kill 10 "$lighttpd_pid"
	lighttpd_pid=
	sanitizer_reports "$live" || fail "TLS: sanitizer reports from starling-site (above)"
fi

if [ "$failures" -ne 0 ]; then
	say "$failures check(s) failed"
	exit 1
fi
say "all passed"
