#!/bin/sh
# tests/tools/man.sh: the manual pages of man/ render without a warning, are installed, and say
# what the programs do: each tool's page lists exactly the options its --help lists,
# starling-admin(8) exactly the commands of its usage, and starling.conf(5) exactly the keys and
# defaults of lib/base/conf.c (through tests/tools/conf-keys).
set -u

src=${STARLING_SRCDIR:?set by make check}
build=${STARLING_BUILDDIR:?set by make check}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/starling-man.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
passed=0
failed=0

pass() {
	echo "PASS $1"
	passed=$((passed + 1))
}

# fail WHAT [FILE]: a failure, with the first lines of FILE.
fail() {
	echo "FAIL $1"
	if [ $# -gt 1 ] && [ -s "$2" ]; then
		head -n 20 "$2" | sed 's/^/  | /'
	fi
	failed=$((failed + 1))
}

# same WHAT WANT GOT: the two files hold the same lines; else the difference.
same() {
	if diff "$2" "$3" >"$tmp/diff"; then
		pass "$1"
	else
		fail "$1 (< wanted, > in the page):" "$tmp/diff"
	fi
}

if ! command -v man >/dev/null 2>&1; then
	echo "ERROR: man is not installed (Debian: man-db, groff-base); run script/bootstrap"
	exit 99
fi

# --- every page renders, without a warning, and is installed -----------------------------------
pages=$(cd "$src" && ls man/*.[0-9])
for p in $pages; do
	# LC_ALL=C: a locale missing on the machine is a warning of man itself, not of the page.
	if LC_ALL=C MANWIDTH=80 man --warnings -l "$src/$p" >"$tmp/page" 2>"$tmp/warnings" &&
	    [ ! -s "$tmp/warnings" ] && grep -q '^NAME' "$tmp/page"; then
		pass "$p renders without a warning"
	else
		fail "$p: man --warnings -l:" "$tmp/warnings"
	fi
	if sed -n '/^dist_man_MANS/,/[^\\]$/p' "$src/Makefile.am" | grep -q -F "$p"; then
		pass "$p is in Makefile.am's dist_man_MANS (installed, in the tarball)"
	else
		fail "$p is not in Makefile.am's dist_man_MANS"
	fi
done

# The options of one line of roff or of --help: "-c", "--conf", one a line, sorted.
options() {
	sed 's/\\-/-/g; s/\\f[BIRP]//g' | grep -o -E '(^|[ ,"|[])--?[A-Za-z][A-Za-z-]*' |
	    sed 's/^[ ,"|[]//' | sort -u
}

# section PAGE NAME: the roff lines of the section .SH NAME of PAGE.
section() {
	awk -v want="$2" '/^\.SH / { on = ($2 == want) ; next } on' "$1"
}

# --- each tool's options: --help and its page agree ------------------------------------------
for t in starling-admin.8 starling-worker.8 starling-tmpl.1; do
	tool=${t%.*}
	"$build/tools/$tool" --help >"$tmp/help" 2>&1
	# The option lines of --help: indented, starting with a dash; the option column only.
	grep -E '^ +-' "$tmp/help" | sed 's/^ *//; s/  .*//' | options >"$tmp/help.opts"
	# The tags of the page's OPTIONS: the line after each .TP.
	section "$src/man/$t" OPTIONS | awk 'tag { print; tag = 0 } /^\.TP/ { tag = 1 }' |
	    options >"$tmp/page.opts"
	if [ -s "$tmp/help.opts" ]; then
		same "$t lists the options of $tool --help" "$tmp/help.opts" "$tmp/page.opts"
	else
		fail "$tool --help lists no option" "$tmp/help"
	fi
	for o in -c --conf -h --help -V --version; do
		if grep -q -x -e "$o" "$tmp/page.opts"; then
			pass "$t has $o"
		else
			fail "$t lacks $o, which every tool takes"
		fi
	done
done

# --- starling-admin's commands: its usage and its page agree ---------------------------------
"$build/tools/starling-admin" --help | awk '/^COMMAND:/ { on = 1; next } on && /^  [a-z]/ { print $1 }
    on && /^[^ ]/ { on = 0 }' | sort -u >"$tmp/help.cmds"
section "$src/man/starling-admin.8" COMMANDS | sed -n 's/^\.SS "\{0,1\}\([a-z\\-]*\).*/\1/p' |
    sed 's/\\-/-/g' | sort -u >"$tmp/page.cmds"
if [ "$(wc -l <"$tmp/help.cmds")" -ge 9 ]; then
	same "starling-admin.8 describes exactly the commands of its usage" "$tmp/help.cmds" \
	    "$tmp/page.cmds"
else
	fail "starling-admin --help: fewer commands than there are (the test reads it wrong?)" \
	    "$tmp/help.cmds"
fi

# --- starling.conf(5): every key of lib/base/conf.c, with its default, and no other
# ----------------
"$build/tests/tools/conf-keys" | sort >"$tmp/conf.keys"
# An entry: ".SS [section]", then a .TP whose tag is "\fBkey\fR = \fIdefault\fR" or
# "\fBkey\fR = (empty)".
awk '
	/^\.SS \[[a-z0-9_]+\]$/ { sec = substr($2, 2, length($2) - 2); next }
	/^\.S[HS] / { sec = "" }
	tag && sec != "" {
		line = $0
		if (match(line, /^\\fB[a-z0-9_]+\\fR = /)) {
			key = substr(line, 4, RLENGTH - 3 - 6)
			def = substr(line, RLENGTH + 1)
			if (def == "(empty)") def = ""
			else if (def ~ /^\\fI.*\\fR$/) def = substr(def, 4, length(def) - 6)
			else def = "?" def
			gsub(/\\-/, "-", def)
			gsub(/\\e/, "\\", def)
			printf "%s\t%s\t%s\n", sec, key, def
		} else {
			printf "%s\t?\tan entry of [%s] not written \\fBkey\\fR = \\fIdefault\\fR: %s\n", sec, sec, line
		}
	}
	{ tag = /^\.TP/ }
' "$src/man/starling.conf.5" | sort >"$tmp/page.keys"
if [ "$(wc -l <"$tmp/conf.keys")" -ge 50 ]; then
	same "starling.conf.5 lists every key of lib/base/conf.c with its default, and no other" \
	    "$tmp/conf.keys" "$tmp/page.keys"
else
	fail "conf-keys printed too few keys" "$tmp/conf.keys"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
