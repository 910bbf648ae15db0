#!/bin/sh
# tests/tools/layers.sh: lib/'s folders are its layers, and each includes only its own and those
# below (docs/architecture.md, "Layers"):
#   base    text, numbers, IDs, configuration, logging, password hashing: needs nothing of Starling
#   ext     the kept libraries of the outside world: JWT, S3 signing, mail, the link fetcher
#   store   MariaDB (shards, statements, rounds), memcached, breakers, switches, ID leases
#   http    one request: parsing, routes, responses, CSRF, templates, catalogs, the context, the loop
#   social  the domain: users, the graph, posts, timelines, notifications, search, media, the outbox
#   app     the pipeline, pages and cards, the job kinds' table, the worker's loop
# Fails on a file directly in lib/, a folder not in LAYERS, or an #include "x.h" of a header
# in a higher layer, naming the file, the header and both layers. It first checks itself on a
# planted tree, so that it cannot pass by finding nothing.
set -u

src=${STARLING_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
LAYERS="base ext store http social app"   # lowest first; Makefile.am's LIB_LAYERS, in order

exec python3 - "$src/lib" "$LAYERS" <<'PY'
import os
import re
import sys
import tempfile

include = re.compile(r'^\s*#\s*include\s+"([^"/]+\.h)"', re.M)


def problems(lib, layers):
    """What is wrong with the tree at lib, one line each."""
    out, where = [], {}
    for entry in sorted(os.listdir(lib)):
        path = os.path.join(lib, entry)
        if entry.startswith("."):
            continue     # a build's .deps/, a checkout's dot files
        if os.path.isdir(path):
            if entry not in layers:
                out.append("lib/%s/: a folder that is no layer (LAYERS: %s)"
                           % (entry, " ".join(layers)))
                continue
            for name in os.listdir(path):
                if name.endswith((".c", ".h")):
                    where[name] = entry
        elif entry.endswith((".c", ".h")):
            out.append("lib/%s: a file outside the layers' folders" % entry)
    for name, layer in sorted(where.items()):
        with open(os.path.join(lib, layer, name), errors="replace") as f:
            text = f.read()
        for h in include.findall(text):
            if h in where and layers.index(where[h]) > layers.index(layer):
                out.append("lib/%s/%s (%s) includes %s (%s, a higher layer)"
                           % (layer, name, layer, h, where[h]))
    return out


layers = sys.argv[2].split()
failed = 0

# Makefile.am puts the same folders on the include path (LIB_LAYERS): the two lists agree.
with open(os.path.join(os.path.dirname(sys.argv[1]), "Makefile.am")) as f:
    m = re.search(r"^LIB_LAYERS = (.*)$", f.read(), re.M)
if m is None or m.group(1).split() != layers:
    print("FAIL Makefile.am's LIB_LAYERS (%s) is not LAYERS (%s)"
          % (m.group(1) if m else "absent", " ".join(layers)))
    failed += 1

# The self-test: one upward include, one stray file and one unknown folder, found.
with tempfile.TemporaryDirectory() as tmp:
    for d, name, text in (("base", "buf.h", ""), ("store", "db.h", '#include "buf.h"\n'),
                          ("base", "log.c", '#include "db.h"\n'), ("misc", "x.h", ""),
                          (None, "stray.c", "")):
        path = os.path.join(tmp, d) if d else tmp
        os.makedirs(path, exist_ok=True)
        with open(os.path.join(path, name), "w") as f:
            f.write(text)
    got = problems(tmp, layers)
    want = 3
    if len(got) != want or not any("log.c" in p and "db.h" in p for p in got):
        print("FAIL self-test: a planted tree's %d problems found as %r" % (want, got))
        failed += 1
    else:
        print("PASS self-test: an upward include, a stray file and a stray folder are found")

found = problems(sys.argv[1], layers)
for p in found:
    print("FAIL " + p)
failed += len(found)
if not found:
    print("PASS lib/'s %d layers include only their own and those below" % len(layers))
sys.exit(1 if failed else 0)
PY
