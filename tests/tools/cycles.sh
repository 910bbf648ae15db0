#!/bin/sh
# tests/tools/cycles.sh: lib/'s modules include each other one way (docs/architecture.md, "Read
# sides and write sides"). Builds the include graph of lib/ (module = file name without .c or
# .h; an edge from each #include "x.h" of another module's header in lib/) and fails on any
# cycle, naming its modules and edges. ALLOWED lists edges that may close a cycle for now; each
# must still exist, so that the list can only shrink. It is empty: the last cycles (lib/app/app.c's
# pipeline and the headers that included app.h; lib/social/job.c's table of handlers) were cut by
# ctx.h with forward declarations and by the table lib/app/jobkinds.c installs at start-up.
set -u

src=${STARLING_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}

ALLOWED=''

exec python3 - "$src/lib" "$ALLOWED" <<'EOF'
import os
import re
import sys

lib, allowed_text = sys.argv[1], sys.argv[2]
allowed = {tuple(line.split()) for line in allowed_text.splitlines() if line.strip()}
include = re.compile(r'^\s*#\s*include\s+"([^"/]+)\.h"', re.M)

# A file of a split module (db_stmt.c, db_int.h: the part before "_" names a module with its
# own header) belongs to that module.
# lib/'s files by name: each lives in its layer's folder, and an #include names no folder.
where = {n: os.path.join(lib, d, n) for d in sorted(os.listdir(lib))
         if os.path.isdir(os.path.join(lib, d)) for n in os.listdir(os.path.join(lib, d))}

def module_of(stem):
    head = stem.split("_", 1)[0]
    if head != stem and head + ".h" in where:
        return head
    return stem

# The graph: module -> the modules whose headers it includes.
edges = {}
for name in sorted(where):
    if not name.endswith((".c", ".h")):
        continue
    mod = module_of(name[:-2])
    with open(where[name], errors="replace") as f:
        text = f.read()
    targets = {module_of(h) for h in include.findall(text) if h + ".h" in where} - {mod}
    edges.setdefault(mod, set()).update(targets)

failed = 0
for a, b in sorted(allowed):
    if b not in edges.get(a, set()):
        print("FAIL allowed edge %s -> %s no longer exists: remove it from ALLOWED" % (a, b))
        failed += 1
    edges.get(a, set()).discard(b)

# Tarjan's strongly connected components, iteratively (no recursion limit to meet).
index, low, on_stack, stack, cycles = {}, {}, set(), [], []
for root in sorted(edges):
    if root in index:
        continue
    work = [(root, iter(sorted(edges[root])))]
    index[root] = low[root] = len(index)
    stack.append(root)
    on_stack.add(root)
    while work:
        v, it = work[-1]
        w = next(it, None)
        if w is not None:
            if w not in index:
                index[w] = low[w] = len(index)
                stack.append(w)
                on_stack.add(w)
                work.append((w, iter(sorted(edges.get(w, ())))))
            elif w in on_stack:
                low[v] = min(low[v], index[w])
            continue
        work.pop()
        if work:
            low[work[-1][0]] = min(low[work[-1][0]], low[v])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

for comp in cycles:
    inside = ["%s -> %s" % (a, b) for a in comp for b in sorted(edges[a]) if b in comp]
    print("FAIL include cycle among %s: %s" % (" ".join(comp), ", ".join(inside)))
    failed += 1
if failed:
    sys.exit(1)
print("PASS no include cycle among lib/'s %d modules (%d edges allowed, each still there)" %
      (len(edges), len(allowed)))
EOF
