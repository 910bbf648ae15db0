#!/bin/sh
# tests/tools/codes.sh: tests/lib/codes.py, the error codes' names the Python tests use, says what
# lib/base/apierr.h and lib/base/apierr.c say: the same names (APIERR_ dropped) with the same
# numbers, each in apierr.c's table, none missing on either side. No server is needed.
set -u

src=${STARLING_SRCDIR:?set by make check}
exec python3 - "$src" <<'PY'
import os
import re
import sys

src = sys.argv[1]
sys.path.insert(0, os.path.join(src, "tests", "lib"))
sys.dont_write_bytecode = True
import codes  # noqa: E402

with open(os.path.join(src, "lib", "base", "apierr.h")) as f:
    enum = {n: int(v) for n, v in re.findall(r"\bAPIERR_(\w+)\s*=\s*(\d+)\s*,", f.read())}
with open(os.path.join(src, "lib", "base", "apierr.c")) as f:
    table = set(re.findall(r"\{\s*APIERR_(\w+)\s*,", f.read()))
py = {n: v for n, v in vars(codes).items() if re.fullmatch(r"[A-Z][A-Z0-9_]*", n)}
problems = []
if not enum:
    problems.append("no APIERR_ codes found in lib/base/apierr.h")
for n, v in sorted(py.items()):
    if n not in enum:
        problems.append("codes.py: %s is not in lib/base/apierr.h" % n)
    elif enum[n] != v:
        problems.append("codes.py: %s = %d, lib/base/apierr.h says %d" % (n, v, enum[n]))
    if n not in table:
        problems.append("codes.py: %s is not in lib/base/apierr.c's table" % n)
for n in sorted(set(enum) - set(py)):
    problems.append("codes.py lacks %s = %d (lib/base/apierr.h)" % (n, enum[n]))
if len(set(py.values())) != len(py):
    problems.append("codes.py: two names share a number")
for p in problems:
    print("FAIL " + p)
print("%s: %d names checked against lib/base/apierr.h and lib/base/apierr.c" %
      ("FAIL" if problems else "PASS", len(py)))
sys.exit(1 if problems else 0)
PY
