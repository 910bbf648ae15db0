#!/usr/bin/env python3
"""urlmap.py: docs/architecture.md's table "Where a URL's code is" says, for every route of every
binary (the route tables of cgi-bin/*/main.c), which file holds its handler. Fails on a route the
table lacks, a row no route has, or a handler in another file than the table says; with --print,
writes the table as it should be (to paste after a change)."""
import glob
import os
import re
import sys

SRCDIR = os.environ.get("STARLING_SRCDIR") or os.path.join(os.path.dirname(__file__), "..", "..")
DOC = os.path.join(SRCDIR, "docs", "architecture.md")
ROUTE = re.compile(r'\{\s*HTTP_(GET|POST|PUT|DELETE|PATCH)\s*,\s*"([^"]+)"\s*,[^,]+,\s*([a-z_0-9]+)\s*,')
BEGIN, END = "<!-- urlmap: begin -->", "<!-- urlmap: end -->"


def routes():
    """[(method, path, binary, handler file)] of every route table, in table order."""
    out = []
    for main in sorted(glob.glob(os.path.join(SRCDIR, "cgi-bin", "*", "main.c"))):
        group = os.path.basename(os.path.dirname(main))
        files = sorted(glob.glob(os.path.join(os.path.dirname(main), "*.c")))
        with open(main, encoding="utf-8") as f:
            text = f.read()
        for method, path, handler in ROUTE.findall(text):
            defined = re.compile(r"^%s\(" % re.escape(handler), re.M)
            where = [fn for fn in files if defined.search(open(fn, encoding="utf-8").read())]
            if len(where) != 1:
                sys.exit("FAIL %s %s: handler %s defined in %d files of cgi-bin/%s/"
                         % (method, path, handler, len(where), group))
            out.append((method, path, "starling-" + group,
                        "cgi-bin/%s/%s" % (group, os.path.basename(where[0])), handler))
    return out


def table(rs):
    lines = ["| method | path | binary | handler |", "|---|---|---|---|"]
    lines += ["| %s | `%s` | %s | `%s` (`%s`) |" % r for r in rs]
    return "\n".join(lines)


def main():
    want = table(routes())
    if "--print" in sys.argv:
        print(want)
        return 0
    with open(DOC, encoding="utf-8") as f:
        doc = f.read()
    if BEGIN not in doc or END not in doc:
        print("FAIL docs/architecture.md has no %s ... %s section" % (BEGIN, END))
        return 1
    have = doc.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    if have != want:
        h, w = set(have.splitlines()), set(want.splitlines())
        for line in sorted(w - h):
            print("FAIL missing or different in docs/architecture.md: " + line)
        for line in sorted(h - w):
            print("FAIL no such route or handler: " + line)
        print("(tests/tools/urlmap.py --print writes the table as it should be)")
        return 1
    print("PASS docs/architecture.md names the handler file of all %d routes" % len(want.splitlines()[2:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
