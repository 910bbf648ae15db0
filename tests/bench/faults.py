#!/usr/bin/env python3
"""tests/bench/faults.py: the measuring side of the fault and overload benchmark
(tests/bench/faults.sh; docs/operations.md). Python 3 standard library only.

Subcommands:
  health BASE SECONDS OUT        polls /api/v1/health every 0.25 s for SECONDS; writes
                                 "MAX_MS STATUSES" (the slowest answer, the statuses seen)
  row NAME RECORDS HEALTH BASELINE FROM TO UNTOUCHED
                                 one markdown row of the table: RECORDS (openloop's output) of
                                 the requests due between FROM and TO seconds, against the
                                 baseline's RECORDS; UNTOUCHED, a tag suffix ("0": the requests
                                 that need only instance 0) or "-"
  lost RUN RECORDS...            "ACKED LOST": the posts whose post/create was answered 200,
                                 and those of them missing from every shard database of the
                                 MariaDB instances under RUN (mariadb-N/mysql.sock, as root)

openloop records: TAG, due us, latency us, status, code, id (tests/bench/openloop.c).
"""

import glob
import http.client
import os
import subprocess
import sys
import time
import urllib.parse


def records(path, lo=None, hi=None):
    out = []
    with open(path) as f:
        for line in f:
            c = line.rstrip("\n").split("\t")
            if len(c) < 6:
                continue
            due = int(c[1]) / 1e6
            if lo is not None and not lo <= due < hi:
                continue
            out.append({"tag": c[0], "due": due, "ms": int(c[2]) / 1000.0,
                        "status": int(c[3]), "code": int(c[4] or 0), "id": c[5]})
    return out


def pct(values, p):
    if not values:
        return None
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def fmt(x, digits=1):
    return "-" if x is None else "%.*f" % (digits, x)


def ratio(a, b):
    return None if a is None or not b else a / b


def stats(recs, seconds):
    ok = [r for r in recs if 200 <= r["status"] < 400]
    shed = [r for r in recs if r["code"] == 50301]
    kinds = {}
    for r in recs:
        if 200 <= r["status"] < 400 or r["code"] == 50301:
            continue
        k = {0: "timeout", -1: "connection"}.get(r["status"], "%d/%d" % (r["status"], r["code"]))
        kinds[k] = kinds.get(k, 0) + 1
    return {
        "offered": len(recs) / seconds, "served": len(ok) / seconds,
        "p50": pct([r["ms"] for r in ok], 50), "p99": pct([r["ms"] for r in ok], 99),
        "shed": len(shed) / len(recs) if recs else 0.0,
        "shed_p99": pct([r["ms"] for r in shed], 99), "kinds": kinds,
    }


def cmd_row(name, path, health, baseline, lo, hi, untouched):
    lo, hi = float(lo), float(hi)
    seconds = hi - lo
    recs = records(path, lo, hi)
    base = records(baseline, lo, hi)
    s, b = stats(recs, seconds), stats(base, seconds)
    cols = [name, "%.0f" % s["offered"], "%.0f" % s["served"],
            "%s / %s" % (fmt(s["p50"]), fmt(s["p99"])), fmt(ratio(s["p99"], b["p99"]), 2) + "x"]
    if untouched != "-":
        mine = [r for r in recs if r["tag"].endswith(untouched)]
        theirs = [r for r in base if r["tag"].endswith(untouched)]
        su, bu = stats(mine, seconds), stats(theirs, seconds)
        cols.append("%s x / %s x" % (fmt(ratio(su["served"], bu["served"]), 2),
                                     fmt(ratio(su["p99"], bu["p99"]), 2)))
    else:
        cols.append("-")
    cols.append("%.1f%%" % (100 * s["shed"]))
    cols.append(fmt(s["shed_p99"]))
    kinds = ", ".join("%s: %d" % kv for kv in sorted(s["kinds"].items(), key=lambda kv: -kv[1]))
    cols.append(kinds or "none")
    try:
        with open(health) as f:
            hmax, hstat = f.read().split(None, 1)
        cols.append("%s (%s)" % (hmax, hstat.strip()))
    except (OSError, ValueError):
        cols.append("-")
    print("| " + " | ".join(cols) + " |")


def cmd_health(base, seconds, out):
    u = urllib.parse.urlparse(base)
    end = time.monotonic() + float(seconds)
    worst, seen = 0.0, set()
    while time.monotonic() < end:
        t = time.monotonic()
        try:
            c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
            c.request("GET", "/api/v1/health")
            r = c.getresponse()
            r.read()
            seen.add(str(r.status))
            c.close()
        except OSError:
            seen.add("none")
        worst = max(worst, (time.monotonic() - t) * 1000)
        time.sleep(max(0.0, 0.25 - (time.monotonic() - t)))
    with open(out, "w") as f:
        f.write("%.0f %s\n" % (worst, ",".join(sorted(seen))))


def cmd_lost(run, *paths):
    acked = set()
    for p in paths:
        acked |= {r["id"] for r in records(p) if r["tag"].startswith("w") and r["status"] == 200
                  and r["id"]}
    found = set()
    ids = sorted(acked)
    for sock in sorted(glob.glob(os.path.join(run, "mariadb-*", "mysql.sock"))):
        client = ["mariadb", "--no-defaults", "--socket=" + sock, "--user=root", "--batch",
                  "--skip-column-names"]
        dbs = subprocess.run(client + ["-e", "SHOW DATABASES LIKE 'starling\\_%'"],
                             check=True, capture_output=True, text=True).stdout.split()
        for db in dbs:
            for i in range(0, len(ids), 500):
                sql = "SELECT id FROM %s.tb_post WHERE id IN (%s)" % (db, ",".join(ids[i:i + 500]))
                rows = subprocess.run(client + ["-e", sql], check=True, capture_output=True,
                                      text=True).stdout.split()
                found |= set(rows)
    print("%d %d" % (len(acked), len(acked - found)))


def main(argv):
    cmds = {"health": (cmd_health, 3), "row": (cmd_row, 7)}
    if len(argv) >= 3 and argv[1] == "lost":
        cmd_lost(*argv[2:])
        return 0
    if len(argv) < 2 or argv[1] not in cmds or len(argv) - 2 != cmds[argv[1]][1]:
        print(__doc__, file=sys.stderr)
        return 2
    cmds[argv[1]][0](*argv[2:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
