#!/usr/bin/env python3
"""GET /metrics through the real web server: the Prometheus text format, counts that move with
traffic and add up over every process of the host (each binary runs several, or one per request
under plain CGI), and refused (404) to an address outside [metrics] allow.

Usage: test_metrics.py BASE_URL   (run by tests/integration/suite.sh)
"""
import os
import re
import sys

sys.dont_write_bytecode = True   # keep tests/lib free of __pycache__
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from starling_test import (check, check_eq, check_status, get, new_user, parallel,  # noqa: E402
                           request, run_main)

SERIES = re.compile(r'^([a-z_]+)(\{[^}]*\})? (-?[0-9.e+-]+|\+Inf|NaN)$')


def scrape():
    r = get("/metrics")
    check_status(r, 200)
    check((r.header("Content-Type") or "").startswith("text/plain; version=0.0.4"),
          "Content-Type %r" % r.header("Content-Type"))
    values, typed = {}, set()
    for line in r.body.decode().splitlines():
        if line.startswith("# TYPE "):
            typed.add(line.split()[2])
            continue
        if line.startswith("#"):
            continue
        m = SERIES.match(line)
        check(m, "not a series line: %r" % line)
        family = re.sub(r"_(bucket|sum|count)$", "", m.group(1))
        check(m.group(1) in typed or family in typed, "no TYPE line before %r" % line)
        values[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return values


def delta(before, after, series):
    return after.get(series, 0) - before.get(series, 0)


def test_format_and_gauges():
    v = scrape()
    check_eq(v.get("starling_metrics_shared"), 1.0, "the counts are the host's")
    for i in (0, 1):
        check_eq(v.get('starling_mysql_instance_up{instance="%d"}' % i), 1.0, "instance %d up" % i)
    check('starling_switch{name="read_only"}' in v, "switch gauges: %r" % sorted(v)[:5])
    for state in ("ready", "running", "failed", "parked"):
        check('starling_jobs{state="%s"}' % state in v, "jobs in state %s" % state)
    check_eq(v.get("starling_jobs_unread_shards"), 0.0, "every shard's jobs read")


def site_total(values):
    """starling-site's requests of every status."""
    return sum(v for k, v in values.items()
               if k.startswith('starling_requests_total{binary="starling-site",'))


def test_counts_add_up_over_processes():
    """Requests spread over the binary's processes (4 at once); the next scrape counts every one,
    whichever process answers it: the scrape before also counts itself, after it answered. On a
    loaded machine a few may be shed (503): they are counted all the same."""
    before = scrape()
    n, statuses = 40, []
    parallel([lambda: [statuses.append(get("/help").status) for _ in range(n // 4)]
              for _ in range(4)])
    check(set(statuses) <= {200, 503}, "statuses of /help: %r" % sorted(set(statuses)))
    after = scrape()
    check_eq(site_total(after) - site_total(before), n + 1, "starling-site requests: %d /help "
             "and the scrape before" % n)
    site200 = 'starling_requests_total{binary="starling-site",status="200"}'
    check_eq(delta(before, after, site200), statuses.count(200) + 1, "the 200s among them")
    count = 'starling_request_duration_seconds_count{binary="starling-site"}'
    check_eq(delta(before, after, count), n + 1, "the histogram counts every request")
    inf = 'starling_request_duration_seconds_bucket{binary="starling-site",le="+Inf"}'
    check_eq(after[inf], after[count], "+Inf bucket is the count")


def test_other_binaries_and_cache():
    before = scrape()
    u = new_user()
    h = {"Authorization": "Bearer " + u["token"]}
    for _ in range(3):
        check_status(get("/api/v1/timeline/home", h), 200)
    check_status(get("/api/v1/post/detail?post_id=1"), 404)
    after = scrape()
    check(delta(before, after, 'starling_requests_total{binary="starling-feed",status="200"}')
          >= 3, "feed 200s counted")
    check(delta(before, after, 'starling_requests_total{binary="starling-post",status="404"}')
          >= 1, "post 404 counted")
    check(delta(before, after, 'starling_cache_keys_total{binary="starling-feed"}') > 0,
          "the timeline asked memcached for keys")
    check(delta(before, after, 'starling_cache_hits_total{binary="starling-feed"}') > 0,
          "and found some (the second and third reads)")
    check(delta(before, after, 'starling_mysql_round_trips_total{binary="starling-account"}') > 0,
          "sign-up and login ran statements")


def test_refused_to_other_addresses():
    r = request("GET", "/metrics", source="127.0.0.2")
    check_status(r, 404)
    check(b"starling_requests_total" not in r.body, "no counters in the refusal")
    check_status(request("GET", "/help", source="127.0.0.2"), 200)


if __name__ == "__main__":
    sys.exit(run_main(__doc__, [test_format_and_gauges, test_counts_add_up_over_processes,
                                test_other_binaries_and_cache, test_refused_to_other_addresses]))
