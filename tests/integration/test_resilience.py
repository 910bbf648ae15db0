#!/usr/bin/env python3
"""test_resilience.py BASE: one MariaDB instance hangs (SIGSTOP, as a stalled server or a full
disk does: it accepts connections and answers nothing), and then comes back.

While it hangs: the health check answers within a couple of seconds (not the 10 s read timeout
of old) and names instance 1, not instance 0; after the instance's circuit breaker opened
(lib/breaker.h), requests for users stored on instance 0 are served as usual and fast, and those
for users on instance 1 get a clear 503 at once. After SIGCONT, its breaker's probe finds it
again within a few seconds and its users are served as before, their earlier writes intact.

$STARLING_TEST_HANG_PIDFILE names the pid file of the instance to hang (the second one, which
holds shards 4-7: tests/integration/suite.sh). The instance is resumed whatever happens.
"""

import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from starling_test import (UserPool, api_post, check, check_envelope, get,  # noqa: E402
                           run_main)

POOL = UserPool("rz")
# Far below the read timeout a hung instance would cost without breakers (3 s per statement,
# several statements per request), far above what a healthy request takes on a loaded CI box.
FAST = 2.5


def hung_pid():
    path = os.environ.get("STARLING_TEST_HANG_PIDFILE", "")
    check(path, "STARLING_TEST_HANG_PIDFILE is not set")
    with open(path) as f:
        return int(f.read().split()[0])


def timed(fn):
    t = time.monotonic()
    r = fn()
    return r, time.monotonic() - t


def post(user, text):
    return api_post("post/create", {"content_text": text}, user["token"])


def test_hung_instance_isolated():
    a, b = POOL.across(2)[:2]    # a on instance 0, b on instance 1
    before = check_envelope(post(b, "written before the hang"), 200, 0)["data"]["id"]
    pid = hung_pid()
    os.kill(pid, signal.SIGSTOP)
    try:
        # Health: in time, naming the hung instance only.
        r, secs = timed(lambda: get("/api/v1/health"))
        doc = check_envelope(r, 503, 50300)
        check(secs < FAST, "health took %.1f s with an instance hung" % secs)
        msg = doc["message"]
        check("instance 1 of 2 down" in msg, "health does not name instance 1: %r" % msg)
        check("instance 0" not in msg, "health names instance 0 as down too: %r" % msg)
        # Let the host's breaker open: a few requests that need the hung instance (each may wait
        # out a timeout, once), then its users get a 503 at once.
        deadline = time.monotonic() + 30
        while True:
            r, secs = timed(lambda: post(b, "during the hang"))
            check(r.status == 503, "b's post during the hang: %d %.200r" % (r.status, r.body))
            if secs < 0.5:
                break
            check(time.monotonic() < deadline, "b's requests never failed fast (breaker)")
        check_envelope(r, 503, 50300)
        # Users of the other instance: served, and fast, every time.
        for i in range(5):
            r, secs = timed(lambda: post(a, "a writes on during the hang %d" % i))
            check_envelope(r, 200, 0)
            check(secs < FAST, "a's post %d took %.1f s with the other instance hung" % (i, secs))
        r, secs = timed(lambda: get("/api/v1/user/profile?username=" + a["username"]))
        check_envelope(r, 200, 0)
        # Health still in time once the breaker is open (it does not even try).
        r, secs = timed(lambda: get("/api/v1/health"))
        check_envelope(r, 503, 50300)
        check(secs < 1.0, "health took %.1f s with the breaker open" % secs)
        check("breaker open" in r.json()["message"], "health does not say the breaker is open: %r"
              % r.json()["message"])
    finally:
        os.kill(pid, signal.SIGCONT)
    # Back: the probe (open_seconds 1, backing off to 2 in the test stack) finds it.
    deadline = time.monotonic() + 20
    while get("/api/v1/health").status != 200:
        check(time.monotonic() < deadline, "health not back to 200 20 s after the instance resumed")
        time.sleep(0.3)
    deadline = time.monotonic() + 20
    while True:
        r = post(b, "after the hang")
        if r.status == 200:
            break
        check(r.status == 503, "b's post after the hang: %d %.200r" % (r.status, r.body))
        check(time.monotonic() < deadline, "b's posts refused 20 s after the instance resumed")
        time.sleep(0.3)
    got = check_envelope(get("/api/v1/post/detail?post_id=" + before), 200, 0)["data"]
    check(got["contentText"] == "written before the hang", "b's earlier post: %r" % got)


TESTS = [test_hung_instance_isolated]

if __name__ == "__main__":
    sys.exit(run_main(__doc__, TESTS))
