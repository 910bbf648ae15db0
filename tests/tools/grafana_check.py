#!/usr/bin/env python3
"""tests/tools/grafana_check.py: etc/grafana-starling.json is a Grafana dashboard over the
metrics Starling exports, and only those.

Checks: the file is JSON (no duplicate key), a dashboard (uid, title, schemaVersion, panels)
whose panels have unique ids, fit the 24-column grid without overlapping, read the dashboard's
data source variable and carry queries with unique refIds and balanced brackets; every metric a
query names is one that lib/base/metrics.c or cgi-bin/site/metrics.c writes (a histogram through its
_bucket, _sum or _count), every one of those is on some panel, and every label a query groups
by is one of the exported labels or Prometheus's own. The metric names are read from the C
source, so a metric renamed or added there fails this until the dashboard follows. A last step
breaks a copy of the dashboard and checks that the checks notice, so this cannot pass by
checking nothing.

Usage: grafana_check.py (make check sets STARLING_SRCDIR). Prints PASS/FAIL lines, exit 0 or 1.
"""
import copy
import json
import os
import re
import sys

SRCDIR = os.environ.get("STARLING_SRCDIR") or os.path.join(os.path.dirname(__file__), "..", "..")
DASHBOARD = SRCDIR + "/etc/grafana-starling.json"
SOURCES = [os.path.join(SRCDIR, "lib", "base", "metrics.c"),
           os.path.join(SRCDIR, "cgi-bin", "site", "metrics.c")]
# The labels /metrics writes, Prometheus's target labels, and the one it renames "instance" to
# when a scraped series carries its own (honor_labels: false, the default).
LABELS = {"binary", "status", "le", "instance", "name", "state", "job", "exported_instance"}
METRIC = re.compile(r"\bstarling_[a-z_]+")
BY = re.compile(r"\b(?:by|without)\s*\(([^)]*)\)")

failures = 0


def report(ok, name, why=""):
    global failures
    print("PASS %s" % name if ok else "FAIL %s: %s" % (name, why))
    failures += 0 if ok else 1


def no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    dup = {k for k in keys if keys.count(k) > 1}
    if dup:
        raise ValueError("duplicate keys %s" % sorted(dup))
    return dict(pairs)


def exported():
    """The metric families the C source writes: the names in its string literals."""
    names = set()
    for path in SOURCES:
        with open(path, encoding="utf-8") as f:
            for literal in re.findall(r'"((?:[^"\\]|\\.)*)"', f.read()):
                names.update(m for m in METRIC.findall(literal) if not m.endswith("_"))
    return names


def family(name, families):
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix) and name[:-len(suffix)] in families:
            return name[:-len(suffix)]
    return name


def balanced(expr):
    depth = {"(": 0, "[": 0, "{": 0}
    close = {")": "(", "]": "[", "}": "{"}
    for c in re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr):
        if c in depth:
            depth[c] += 1
        elif c in close:
            depth[close[c]] -= 1
            if depth[close[c]] < 0:
                return False
    return all(v == 0 for v in depth.values())


def problems(d, families):
    """What is wrong with dashboard d, as a list of sentences (empty: nothing)."""
    out = []
    for key in ("uid", "title", "schemaVersion", "panels"):
        if key not in d:
            out.append("no %s" % key)
    variables = {v.get("name") for v in d.get("templating", {}).get("list", [])}
    if "datasource" not in variables:
        out.append("no datasource variable")
    panels = d.get("panels") or []
    if not panels:
        out.append("no panels")
    ids, cells, used = set(), {}, set()
    for p in panels:
        title = p.get("title", "?")
        if p.get("id") in ids:
            out.append("%s: id %r used twice" % (title, p.get("id")))
        ids.add(p.get("id"))
        g = p.get("gridPos", {})
        if not all(isinstance(g.get(k), int) for k in "xywh") or g["x"] < 0 or \
                g["x"] + g["w"] > 24 or g["w"] <= 0 or g["h"] <= 0:
            out.append("%s: gridPos %r outside the 24 columns" % (title, g))
            continue
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                if (x, y) in cells:
                    out.append("%s overlaps %s" % (title, cells[(x, y)]))
                    break
                cells[(x, y)] = title
            else:
                continue
            break
        if p.get("type") == "row":
            continue
        if p.get("datasource", {}).get("uid") != "${datasource}":
            out.append("%s: not on the datasource variable" % title)
        targets = p.get("targets") or []
        if not targets:
            out.append("%s: no query" % title)
        refs = [t.get("refId") for t in targets]
        if len(set(refs)) != len(refs):
            out.append("%s: refIds %r repeat" % (title, refs))
        for t in targets:
            expr = t.get("expr", "")
            if not balanced(expr):
                out.append("%s: unbalanced brackets in %s" % (title, expr))
            names = METRIC.findall(expr)
            if not names:
                out.append("%s: a query names no starling metric: %s" % (title, expr))
            for n in names:
                f = family(n, families)
                if f not in families:
                    out.append("%s: %s is not exported" % (title, n))
                used.add(f)
            for group in BY.findall(expr):
                for label in filter(None, (s.strip() for s in group.split(","))):
                    if label not in LABELS:
                        out.append("%s: no label %r" % (title, label))
    for f in sorted(families - used):
        out.append("no panel shows %s" % f)
    return out


def main():
    families = exported()
    report(len(families) >= 10, "metric names read from the source", sorted(families))
    try:
        with open(DASHBOARD, encoding="utf-8") as f:
            d = json.load(f, object_pairs_hook=no_duplicates)
        report(isinstance(d, dict), "etc/grafana-starling.json is a JSON object")
    except ValueError as e:
        report(False, "etc/grafana-starling.json is JSON", str(e))
        return 1
    found = problems(d, families)
    report(not found, "the dashboard", "; ".join(found))

    # The checks notice a broken dashboard.
    def broken(change):
        c = copy.deepcopy(d)
        change(c)
        return bool(problems(c, families))
    queries = [p for p in d["panels"] if p.get("targets")]
    mutations = {
        "a metric renamed": lambda c: [t.update(expr=t["expr"].replace(
            "starling_shed_total", "starling_shedded_total")) for p in c["panels"]
            for t in p.get("targets", [])],
        "a panel dropped": lambda c: c["panels"].remove(
            next(p for p in c["panels"] if "starling_jobs_oldest_due_seconds" in
                 json.dumps(p.get("targets")))),
        "an id repeated": lambda c: c["panels"][-1].update(id=c["panels"][1]["id"]),
        "panels overlapping": lambda c: c["panels"][-1].update(
            gridPos=dict(c["panels"][1]["gridPos"])),
        "an unknown label": lambda c: queries and c["panels"][c["panels"].index(queries[0])][
            "targets"][0].update(expr="sum by (route) (rate(starling_requests_total[5m]))"),
        "an unbalanced query": lambda c: c["panels"][c["panels"].index(queries[0])][
            "targets"][0].update(expr="sum(rate(starling_requests_total[5m])"),
    }
    for name, change in mutations.items():
        report(broken(change), "the check notices %s" % name)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
