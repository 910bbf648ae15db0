#!/bin/sh
# tests/install/installcheck.sh: checks an installed Starling for real (`make installcheck`,
# which `make distcheck` runs on its own install): every program is there and runs (--help,
# --version), every template, catalog, schema file, static file, document, manual page and
# example the source tree has was installed unchanged (the static files as make built them),
# man finds the pages, and the installed binaries find their templates and schema files through
# the directories built into them, with a configuration that does not name those directories.
#
# Makefile.am passes the directories (make's own values, so `make installcheck prefix=...` and
# DESTDIR work) and the program lists. With DESTDIR the tree is not where the binaries were
# built to look, so the built-in defaults cannot be checked: the configuration then names the
# templates directory and starling-admin gets -s, and a note says so.
#
# No server is needed: the binaries are run as CGI programs (one request each), and the shard
# databases are an absent Unix socket, so start-up and every page that needs no data can be
# checked, and the tools must fail at the database, after everything else loaded.
set -u

for v in srcdir builddir bindir sbindir pkglibexecdir pkgdatadir docdir sysconfdir mandir \
    pkglibexec_programs bin_programs sbin_programs; do
	eval "test -n \"\${$v:-}\"" || { echo "installcheck: $v is not set (run make installcheck)" >&2; exit 2; }
done
root=${DESTDIR:-}
EXEEXT=${EXEEXT:-}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/starling-installcheck.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM
passed=0
failed=0

pass() {
	passed=$((passed + 1))
}

# fail WHAT [FILE]: counts a failure, prints it and the first lines of FILE.
fail() {
	echo "FAIL $1"
	if [ $# -gt 1 ] && [ -s "$2" ]; then
		head -n 8 "$2" | sed 's/^/  | /'
	fi
	failed=$((failed + 1))
}

# ---------------------------------------------------------------------------------------------
# Programs: the lists are Makefile.am's, so a new binary is checked without editing this file.
for entry in "pkglibexecdir:$pkglibexec_programs" "bindir:$bin_programs" "sbindir:$sbin_programs"; do
	var=${entry%%:*}
	eval "dir=\$$var"
	for p in ${entry#*:}; do
		f="$root$dir/${p##*/}"
		case $f in *"$EXEEXT") ;; *) f="$f$EXEEXT" ;; esac
		if [ -f "$f" ] && [ -x "$f" ]; then pass; else fail "program $f: missing or not executable"; fi
	done
done

# ---------------------------------------------------------------------------------------------
# Data: every file of the source tree, found by globbing rather than from the hand-written lists
# of Makefile.am, so a file left out of them fails here (an installed site would miss it).

# same SRC DEST: DEST exists and is byte for byte SRC.
same() {
	if [ ! -f "$2" ]; then
		fail "not installed: ${1#"$srcdir"/} (expected at $2)"
	elif ! cmp -s "$1" "$2"; then
		fail "installed copy differs from ${1#"$srcdir"/}: $2"
	else
		pass
	fi
}

# each DESTDIR PATTERN...: `same` for every file matching the patterns (a pattern that matches
# nothing is a failure: the source tree has these).
each() {
	dest=$1
	shift
	for pat in "$@"; do
		for f in "$srcdir"/$pat; do
			if [ -f "$f" ]; then
				same "$f" "$dest/${f##*/}"
			else
				fail "nothing matches $srcdir/$pat"
			fi
		done
	done
}

data="$root$pkgdatadir"
each "$data/templates" 'templates/*.mustache'
each "$data/templates/partials" 'templates/partials/*.mustache'
each "$data/templates/i18n" 'templates/i18n/*.json'
each "$data/sql" 'sql/*.sql'
# The static files are installed as make built them (static-min/: the stylesheet and the script
# minified), one for each file of static/.
for f in "$srcdir"/static/*; do
	same "$builddir/static-min/${f##*/}" "$data/static/${f##*/}"
done
each "$root$docdir" README.md
each "$root$docdir/docs" 'docs/*.md'
each "$root$docdir/examples" 'etc/*'
each "$root$sysconfdir/starling" etc/starling.conf.example
for sec in 1 5 8; do
	each "$root$mandir/man$sec" "man/*.$sec"
done

# ---------------------------------------------------------------------------------------------
# The tools run from the install.

# run NAME WANT_STATUS OUT_HAS ERR_HAS -- COMMAND...: runs COMMAND in an empty environment
# (stdin /dev/null), compares the status, and looks for OUT_HAS in stdout and ERR_HAS in stderr
# (empty: not checked).
run() {
	name=$1 want=$2 out_has=$3 err_has=$4
	shift 5
	env -i PATH=/usr/bin:/bin "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	got=$?
	if [ "$got" -ne "$want" ]; then
		cat "$tmp/out" "$tmp/err" >"$tmp/both"
		fail "$name: exit status $got, want $want" "$tmp/both"
	elif [ -n "$out_has" ] && ! grep -qF -- "$out_has" "$tmp/out"; then
		fail "$name: stdout lacks \"$out_has\"" "$tmp/out"
	elif [ -n "$err_has" ] && ! grep -qF -- "$err_has" "$tmp/err"; then
		fail "$name: stderr lacks \"$err_has\"" "$tmp/err"
	else
		pass
	fi
}

admin="$root$bindir/starling-admin$EXEEXT"
tmpl="$root$bindir/starling-tmpl$EXEEXT"
worker="$root$sbindir/starling-worker$EXEEXT"

# --help names the schema directory built in: it must be where the schema files were installed.
run "starling-admin --help" 0 "$pkgdatadir/sql" '' -- "$admin" --help
run "starling-admin with an unknown command" 2 '' 'usage: starling-admin' -- "$admin" nosuch
run "starling-worker --help" 0 'usage: starling-worker' '' -- "$worker" --help
run "starling-tmpl --help" 0 'usage: starling-tmpl' '' -- "$tmpl" --help
for p in "$admin" "$worker" "$tmpl"; do
	run "${p##*/} --version" 0 "${p##*/} (Starling) " '' -- "$p" --version
done
# man finds the installed pages by name (MANPATH: the install's, alone).
if command -v man >/dev/null 2>&1; then
	for page in starling-admin.8 starling-worker.8 starling-tmpl.1 starling.conf.5; do
		run "man ${page%.*} from the install" 0 'NAME' '' -- MANPATH="$root$mandir" \
		    MANWIDTH=80 man "${page##*.}" "${page%.*}"
	done
fi

# starling-tmpl renders an installed template, escaping the data.
cat >"$tmp/help.json" <<'JSON'
{"page": {"title": "<b>T</b>", "sections": [{"id": "a", "heading": "H1", "body": "x & y"}]},
 "t": {"help": {"intro": "Intro", "contents": "Contents"}}}
JSON
run "starling-tmpl renders the installed help template" 0 '<h1>&lt;b&gt;T&lt;/b&gt;</h1>' '' -- \
    "$tmpl" --dir "$data/templates" help "$tmp/help.json"

# ---------------------------------------------------------------------------------------------
# A minimal configuration: no templates_dir (the built-in default), databases that cannot be
# reached, mail spooled and media in the scratch directory, a fresh token key of mode 600.
(umask 077 && head -c 48 /dev/urandom >"$tmp/token.key") || { fail "cannot write a token key"; exit 1; }
mkdir -p "$tmp/mail/new" "$tmp/mail/cur" "$tmp/mail/tmp" "$tmp/media"
{
	echo '[site]'
	if [ -n "$root" ]; then
		echo "templates_dir = $data/templates"
	fi
	echo '[mysql]'
	echo "instances = $tmp/no-such-mysql.sock"
	echo '[memcached]'
	echo 'servers = 127.0.0.1:1'
	echo '[auth]'
	echo "token_key_file = $tmp/token.key"
	echo '[mail]'
	echo 'transport = spool'
	echo "spool_dir = $tmp/mail"
	echo '[media]'
	echo "local_dir = $tmp/media"
} >"$tmp/starling.conf"
sqlopt=""
if [ -n "$root" ]; then
	echo "note: DESTDIR is set: the configuration names the templates directory and starling-admin"
	echo "      gets -s; the directories built into the binaries are checked only without DESTDIR"
	sqlopt="-s $data/sql"
fi

# starling-admin reads every installed schema file (a bad or missing one is exit 2 before any
# connection), then stops at the database it cannot reach: exit 1.
# shellcheck disable=SC2086
run "starling-admin migrate finds the installed schema files" 1 '' 'cannot reach MySQL instance 0' -- \
    "$admin" -c "$tmp/starling.conf" $sqlopt migrate

# The worker loads the configuration and the templates as the binaries do, then cannot read any
# shard: exit 1 (2 would be a configuration or start-up failure).
run "starling-worker --once starts from the install" 1 '' 'started (once)' -- \
    STARLING_CONF="$tmp/starling.conf" "$worker" --once

# Each FastCGI binary, run as CGI, checks at start-up that every template its routes need is
# there, then answers one request. The pages chosen need no database.
#   binary           URI               status  found in the body
cat >"$tmp/pages" <<'EOF'
starling-site     /help              200     <h1>
starling-account  /login             200     <form
starling-feed     /                  200     <html
starling-post     /compose           303     -
starling-upload   /api/v1/upload/x   404     "code":
EOF
while read -r bin uri status body; do
	run "$bin GET $uri" 0 "Status: $status" '' -- STARLING_CONF="$tmp/starling.conf" \
	    REQUEST_METHOD=GET REQUEST_URI="$uri" SERVER_PROTOCOL=HTTP/1.1 GATEWAY_INTERFACE=CGI/1.1 \
	    "$root$pkglibexecdir/$bin$EXEEXT"
	cp "$tmp/out" "$tmp/page"
	if [ "$body" != "-" ]; then
		if grep -qF -- "$body" "$tmp/page"; then pass; else fail "$bin GET $uri: body lacks $body" "$tmp/page"; fi
	fi
	# Every static file a page links to was installed.
	for s in $(grep -o '/static/[A-Za-z0-9._/-]*' "$tmp/page" | sort -u); do
		if [ -f "$data/static/${s#/static/}" ]; then pass; else fail "$bin GET $uri links $s, not installed"; fi
	done
done <"$tmp/pages"

echo "installcheck: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
