#!/bin/sh
# tests/package/deb.sh: the Debian package (debian/) builds, installs, works and goes away.
#
# 1. Builds it from a clean copy of the tree (the files git tracks or would track: no build
#    products, no ./configure run in place) with dpkg-buildpackage -us -uc -b, and runs lintian
#    on the result when it is installed (its whole report shown; only errors fail).
# 2. Installs the .deb with apt-get (its dependencies come from the archive), then checks: the
#    programs are there and run (--version), the manual pages render without a warning, the
#    starling account and the directories exist, the systemd units, tmpfiles and logrotate files
#    are there and valid (systemd-analyze verify, where it is installed), the example
#    configuration is a conffile with no secret in it, and nothing was enabled or started.
#    Installing the same .deb again must go through (the maintainer scripts are idempotent).
# 3. Purges it and checks that the account, its directories and the files are gone.
#
# Needs root (or sudo) for apt-get; installs nothing it needs (.ci/run does: debhelper,
# dpkg-dev, lintian, fakeroot and the build dependencies of debian/control). A starling package
# left installed by an earlier run is purged first, so running it twice works. Starts no
# service. DEB_BUILD_OPTIONS is passed on (parallel=2 unless it says otherwise); KEEP=1 keeps the
# build directory. Exit status (automake): 0 passed, 1 failed, 77 skipped, 99 could not run.
set -u

SRCDIR=${STARLING_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
say() { printf 'deb.sh: %s\n' "$*"; }
failures=0
fail() {
	say "FAIL: $*"
	failures=$((failures + 1))
}
pass() { say "PASS $*"; }
# check WHAT CMD...: passes WHAT when CMD succeeds, else fails it; quiet CMD: CMD without output.
check() {
	what=$1
	shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}
quiet() { "$@" >/dev/null 2>&1; }
absent() { ! quiet "$@"; }
# show FILE: the last lines of a log that explains a failure.
show() { tail -n 40 "$1" | sed 's/^/  | /'; }

if [ ! -f "$SRCDIR/debian/control" ]; then
	say "SKIP: no debian/ in $SRCDIR (a release tarball carries none: build from git)"
	exit 77
fi
for tool in dpkg-buildpackage dh fakeroot apt-get git; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		say "cannot run: $tool is missing (Debian: debhelper dpkg-dev fakeroot git; .ci/run installs them)"
		exit 99
	fi
done
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive

version=$(sed -n '1s/^starling (\([^)]*\)).*/\1/p' "$SRCDIR/debian/changelog")
upstream=${version%-*}
arch=$(dpkg --print-architecture)
deb=starling_${version}_$arch.deb
work=$(mktemp -d "${TMPDIR:-/tmp}/starling-deb.XXXXXX") || exit 99
cleanup() { if [ -n "${KEEP:-}" ]; then say "kept $work"; else rm -rf "$work"; fi; }
trap cleanup EXIT
trap 'exit 1' INT TERM

# purge: takes the package away if it is installed (an earlier run's, or this run's).
purge() {
	if dpkg-query -W -f='${Status}' starling 2>/dev/null | grep -Eq ' (installed|config-files|half-installed|half-configured|unpacked)$'; then
		$sudo apt-get purge -y -q starling >"$work/purge.log" 2>&1 || { show "$work/purge.log"; return 1; }
	fi
}
purge || { say "cannot run: the starling package already installed does not purge"; exit 99; }

# --- 1. build ---------------------------------------------------------------------------------
# The clean copy: what git tracks plus new files not ignored, so an uncommitted debian/ change
# is tested too, and nothing a build in place left (configure, objects, logs).
tree="$work/starling-$upstream"
mkdir "$tree"
(cd "$SRCDIR" && git ls-files -z --cached --others --exclude-standard) |
	(cd "$SRCDIR" && xargs -0 tar -cf - --no-recursion --ignore-failed-read) |
	tar -xf - -C "$tree" || { say "cannot run: copying the tree failed"; exit 99; }
case " ${DEB_BUILD_OPTIONS:-} " in
*" parallel="*) ;;
*) DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:+$DEB_BUILD_OPTIONS }parallel=2" ;;
esac
export DEB_BUILD_OPTIONS
say "building $deb (DEB_BUILD_OPTIONS=$DEB_BUILD_OPTIONS)"
t0=$(date +%s)
if ! (cd "$tree" && dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1; then
	show "$work/build.log"
	fail "dpkg-buildpackage -us -uc -b (its log's end above)"
	exit 1
fi
pass "dpkg-buildpackage -us -uc -b ($(( $(date +%s) - t0 ))s)"
[ -f "$work/$deb" ] || { fail "no $deb was built"; ls "$work"; exit 1; }

if command -v lintian >/dev/null 2>&1; then
	# Every tag is shown; errors fail, warnings are for the maintainers to read.
	lintian --fail-on error "$work"/starling_"$version"_"$arch".changes >"$work/lintian.log" 2>&1
	rc=$?
	sed 's/^/  lintian: /' "$work/lintian.log"
	if [ "$rc" -eq 0 ]; then pass "lintian: no error"; else fail "lintian reports errors (above)"; fi
else
	say "lintian is not installed: its check skipped"
fi

# --- 2. install and check ---------------------------------------------------------------------
# --no-install-recommends: an MTA (Recommends) would start its daemon on install.
if ! $sudo apt-get install -y -q --no-install-recommends "$work/$deb" >"$work/install.log" 2>&1; then
	show "$work/install.log"
	fail "apt-get install ./$deb"
	exit 1
fi
pass "apt-get install ./$deb"

# The programs: the tools answer --version with the package's upstream version; the FastCGI
# binaries (which take no options: they serve requests on their standard input) are there,
# executable, and find every library they link.
for p in /usr/bin/starling-admin /usr/bin/starling-tmpl /usr/sbin/starling-worker; do
	out=$("$p" --version 2>&1)
	case $out in
	"${p##*/} (Starling) $upstream"*) pass "$p --version" ;;
	*) fail "$p --version: want '${p##*/} (Starling) $upstream', got '$out'" ;;
	esac
done
for b in site account post feed upload; do
	p=/usr/libexec/starling/starling-$b
	if [ ! -x "$p" ]; then
		fail "$p: missing or not executable"
	elif ldd "$p" 2>&1 | grep -q 'not found'; then
		fail "$p: libraries not found: $(ldd "$p" | grep 'not found' | tr '\n' ' ')"
	else
		pass "$p"
	fi
done
for d in /usr/share/starling/templates /usr/share/starling/sql /usr/share/starling/static; do
	if [ -n "$(ls -A "$d" 2>/dev/null)" ]; then pass "$d"; else fail "$d: missing or empty"; fi
done

# The manual pages: each of debian/starling.manpages, installed compressed, renders.
while read -r src; do
	page=${src##*/}
	f=/usr/share/man/man${page##*.}/$page.gz
	if [ ! -f "$f" ]; then
		fail "$f is not installed"
	elif LC_ALL=C MANWIDTH=80 man --warnings -l "$f" >"$work/page" 2>"$work/warnings" &&
	    [ ! -s "$work/warnings" ] && grep -q '^NAME' "$work/page"; then
		pass "man -l $f renders without a warning"
	else
		show "$work/warnings"
		fail "man --warnings -l $f"
	fi
done <"$SRCDIR/debian/starling.manpages"

# The account: a system user with its own group, no login shell, and its directories.
entry=$(getent passwd starling)
shell=${entry##*:}
uid=$(printf '%s' "$entry" | cut -d: -f3)
if [ -z "$entry" ]; then
	fail "no starling user"
elif [ "$uid" -ge 1000 ] || [ "$shell" != /usr/sbin/nologin ]; then
	fail "starling is not a system account without a shell: $entry"
else
	pass "user starling ($entry)"
fi
check "group starling" quiet getent group starling
# perms PATH WANT: stat's "mode owner:group" of PATH.
perms() {
	got=$(stat -c '%a %U:%G' "$1" 2>/dev/null)
	if [ "$got" = "$2" ]; then pass "$1 ($2)"; else fail "$1: want $2, got '${got:-missing}'"; fi
}
perms /etc/starling '750 root:starling'
perms /var/lib/starling '755 starling:starling'
perms /var/lib/starling/media '755 starling:starling'
perms /var/lib/starling/lighttpd '750 starling:starling'
if command -v systemd-tmpfiles >/dev/null 2>&1; then
	perms /run/starling '755 starling:starling'
fi

# The example configuration: a conffile, and without a secret (the operator's own
# starling.conf is never the package's).
if dpkg-query -W -f='${Conffiles}\n' starling | grep -q '^ */etc/starling/starling.conf.example '; then
	pass "/etc/starling/starling.conf.example is a conffile"
else
	fail "/etc/starling/starling.conf.example is not a conffile"
fi
if grep -Eq '^(password|s3_access_key_id) *= *[^ ]' /etc/starling/starling.conf.example; then
	fail "the example configuration holds a secret"
else
	pass "the example configuration holds no secret"
fi
check "no /etc/starling/starling.conf (the operator's file, never the package's)" \
	test ! -e /etc/starling/starling.conf

# The units: rendered (no placeholder left), and valid for systemd where it is installed.
unitdir=/lib/systemd/system
for u in starling-worker.service starling-fcgi@.service starling-fcgi@.socket; do
	if [ ! -f "$unitdir/$u" ]; then
		fail "$unitdir/$u is not installed"
	elif grep -n '@[A-Z_]*@' "$unitdir/$u"; then
		fail "$unitdir/$u has a placeholder left"
	else
		pass "$unitdir/$u"
	fi
done
if command -v systemd-analyze >/dev/null 2>&1; then
	# A template is verified as one of its instances: a copy named as the instance.
	mkdir "$work/units"
	cp "$unitdir/starling-worker.service" "$work/units/"
	cp "$unitdir/starling-fcgi@.service" "$work/units/starling-fcgi@starling-site.service"
	cp "$unitdir/starling-fcgi@.socket" "$work/units/starling-fcgi@starling-site.socket"
	for u in "$work"/units/*; do
		if SYSTEMD_LOG_LEVEL=warning systemd-analyze verify "$u" >"$work/verify" 2>&1; then
			pass "systemd-analyze verify ${u##*/}"
		else
			show "$work/verify"
			fail "systemd-analyze verify ${u##*/}"
		fi
	done
else
	say "systemd-analyze is not installed (a container?): the units' verify skipped"
fi
if ls /etc/systemd/system/*.wants/starling* >/dev/null 2>&1; then
	fail "a starling unit was enabled: $(ls /etc/systemd/system/*.wants/starling*)"
else
	pass "no starling unit enabled"
fi
check /usr/lib/tmpfiles.d/starling.conf test -f /usr/lib/tmpfiles.d/starling.conf
if [ ! -f /etc/logrotate.d/starling ]; then
	fail "/etc/logrotate.d/starling is not installed"
elif command -v logrotate >/dev/null 2>&1 &&
    ! logrotate -d -s "$work/logrotate.state" /etc/logrotate.d/starling >"$work/logrotate" 2>&1; then
	show "$work/logrotate"
	fail "logrotate -d rejects /etc/logrotate.d/starling"
else
	pass "/etc/logrotate.d/starling"
fi

# Again: an upgrade to the same version runs every maintainer script once more.
if $sudo dpkg -i "$work/$deb" >"$work/reinstall.log" 2>&1; then
	pass "dpkg -i of the same package again"
else
	show "$work/reinstall.log"
	fail "dpkg -i of the same package again"
fi

# --- 3. purge ---------------------------------------------------------------------------------
if purge; then pass "apt-get purge starling"; else fail "apt-get purge starling"; fi
check "user starling gone" absent getent passwd starling
check "group starling gone" absent getent group starling
check "statoverride of /etc/starling gone" absent dpkg-statoverride --list /etc/starling
for f in /etc/starling /var/lib/starling /run/starling /usr/libexec/starling /usr/share/starling \
    /usr/bin/starling-admin /usr/sbin/starling-worker $unitdir/starling-worker.service \
    $unitdir/starling-fcgi@.service /etc/logrotate.d/starling /usr/lib/tmpfiles.d/starling.conf; do
	check "$f gone" test ! -e "$f"
done

say "$failures failed"
[ "$failures" -eq 0 ]
