#!/bin/sh
# tests/tools/headers.sh: the library's headers keep the layers apart (docs/architecture.md,
# "Layers"). No header under lib/ includes app.h, the pipeline at the top: a domain header that
# passes a struct ctx along declares it or includes ctx.h. And the request context (ctx.h, ctx.c)
# and the loop (loop.h, loop.c) reach, through every include they make and the ones those make,
# only the base, store and HTTP modules, never a domain module or the pipeline. The script first
# checks itself on a planted violation of each rule, so that it cannot pass by finding nothing.
set -u

src=${STARLING_SRCDIR:?set by make check}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/starling-headers.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
passed=0
failed=0

# Headers under lib/ that may include app.h: none today. A header listed here must say why.
APP_H_ALLOWED=""
# What the context and the loop may reach: the base, store and HTTP headers (no domain module, no
# ext module: crypto, S3, mail). A new module below the domain is added here.
LOW="apierr.h atom.h buf.h clock.h conf.h kv.h log.h password.h shmfile.h utf8.h valid.h xalloc.h
breaker.h cache.h db.h id.h idlease.h memo.h metrics.h shard.h switches.h
csrf.h ctx.h i18n.h loop.h request.h response.h route.h shed.h tmpl.h"
LOW=$(echo $LOW)   # one line, for the case patterns below

# includes FILE: the local headers FILE includes, one a line.
includes() {
	sed -n 's/^#include "\([^"]*\)".*/\1/p' "$1"
}

# app_h_includers DIR: the headers in DIR that include app.h and are not allowed to.
app_h_includers() {
	for h in "$1"/*.h; do
		name=${h##*/}
		case " $APP_H_ALLOWED app.h " in *" $name "*) continue ;; esac
		if includes "$h" | grep -qx 'app\.h'; then
			echo "$name"
		fi
	done
}

# reach DIR FILE...: every header of DIR the FILEs include, directly or through other headers.
reach() {
	dir=$1
	shift
	seen=""
	todo=$(for f in "$@"; do includes "$dir/$f"; done)
	while [ -n "$todo" ]; do
		next=""
		for h in $todo; do
			case " $seen " in *" $h "*) continue ;; esac
			seen="$seen $h"
			[ -f "$dir/$h" ] && next="$next $(includes "$dir/$h")"
		done
		todo=$next
	done
	echo "$seen"
}

# above_low DIR FILE...: the headers the FILEs reach that are not in LOW (nor config.h).
above_low() {
	for h in $(reach "$@"); do
		case " $LOW config.h " in *" $h "*) ;; *) echo "$h" ;; esac
	done
}

# check NAME WANT GOT: WANT and GOT are lists of file names ("" for none).
check() {
	if [ "$(echo $2)" = "$(echo $3)" ]; then
		echo "PASS $1"
		passed=$((passed + 1))
	else
		echo "FAIL $1: got [$(echo $3)], want [$(echo $2)]"
		failed=$((failed + 1))
	fi
}

# The checks themselves, on a planted lib/: a domain header with app.h, a context that reaches a
# domain module through a low header.
mkdir "$tmp/lib"
printf '#include "ctx.h"\n' >"$tmp/lib/user.h"
printf '#include <stdint.h>\n#include "app.h"\n' >"$tmp/lib/post.h"
printf '#include "ctx.h"\n#include "user.h"\n' >"$tmp/lib/app.h"
printf '#include "buf.h"\n#include "request.h"\n' >"$tmp/lib/ctx.h"
printf '#include "ctx.h"\n' >"$tmp/lib/ctx.c"
printf '\n' >"$tmp/lib/buf.h"
printf '#include "buf.h"\n#include "notify.h"\n' >"$tmp/lib/request.h"
printf '#include "buf.h"\n' >"$tmp/lib/notify.h"
check "self-test: a header that includes app.h is found" "post.h" "$(app_h_includers "$tmp/lib")"
check "self-test: a domain header reached through a low one is found" "notify.h" \
    "$(above_low "$tmp/lib" ctx.c)"

# The library, seen flat (its layers' folders are one include path: an #include names no folder).
mkdir "$tmp/flat"
for f in "$src"/lib/*/*.[ch]; do
	ln -s "$f" "$tmp/flat/${f##*/}"
done
check "no header under lib/ includes app.h" "" "$(app_h_includers "$tmp/flat")"
check "ctx.h and ctx.c reach only base, store and HTTP headers" "" \
    "$(above_low "$tmp/flat" ctx.h ctx.c)"
check "loop.h and loop.c reach only base, store and HTTP headers" "" \
    "$(above_low "$tmp/flat" loop.h loop.c)"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
