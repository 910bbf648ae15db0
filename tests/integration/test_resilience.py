#!/usr/bin/env python3
"""test_resilience.py BASE: one MariaDB instance hangs (SIGSTOP, as a stalled server or a full
disk does: it accepts connections and answers nothing), and then comes back.

While it hangs: the health check answers within a couple of seconds (not the 10 s read timeout
of old) and names instance 1, not instance 0; after the instance's circuit breaker opened
(lib/breaker.h), requests for users stored on instance 0 are served as usual and fast, and those
for users on instance 1 get a clear 503 at once. A home timeline that gathers from both is
served from the shards that answer, says "partial": true (the home page shows a notice), and is
not cached as if complete. After SIGCONT, its breaker's probe finds it again within a few
seconds and its users are served as before, their earlier writes intact, the timeline whole.

$STARLING_TEST_HANG_PIDFILE names the pid file of the instance to hang (the second one, which
holds shards 4-7: tests/integration/suite.sh). The instance is resumed whatever happens.
"""

import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from starling_test import (UserPool, api_post, check, check_envelope, get,  # noqa: E402
                           instance_of, run_main)

POOL = UserPool("rz")
# Far below the read timeout a hung instance would cost without breakers (3 s per statement,
# several statements per request), far above what a healthy request takes on a loaded CI box.
FAST = 2.5
# A request that reaches the hung instance before its breaker opens: the test stack's statement
# deadline (2 s, script/lib/stack.sh) and a 300 ms connect; without deadlines it was the 3 s
# read timeout and a 1 s connect.
FIRST = 3.5


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


def three_users():
    """a and c on instance 0, b on instance 1 (more users are made until the pool has them)."""
    k = 3
    while True:
        us = POOL.get(k)
        first = [u for u in us if instance_of(u) == 0]
        second = [u for u in us if instance_of(u) == 1]
        if len(first) >= 2 and second:
            return first[0], second[0], first[1]
        check(k < 30, "no three users across the instances among %d" % k)
        k += 1


def home(user):
    return get("/api/v1/timeline/home", {"Authorization": "Bearer " + user["token"]})


def texts(doc):
    return [p["contentText"] for p in doc["data"]["posts"]]


def test_hung_instance_isolated():
    a, b, c = three_users()
    check_envelope(api_post("user/follow", {"target_username": b["username"], "flag": 1},
                            a["token"]), 200, 0)
    before = check_envelope(post(b, "written before the hang"), 200, 0)["data"]["id"]
    word = "resil" + os.urandom(4).hex()
    check_envelope(post(c, "c before the hang " + word), 200, 0)
    check("written before the hang" in texts(check_envelope(home(a), 200, 0)),
          "a's timeline lacks b's post before the hang")
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
        # Let the host's breaker open: a few requests that need the hung instance (each waits
        # out a statement's deadline and a 300 ms connect, once: FIRST), then its users get a
        # 503 at once.
        deadline = time.monotonic() + 30
        while True:
            r, secs = timed(lambda: post(b, "during the hang"))
            check(r.status == 503, "b's post during the hang: %d %.200r" % (r.status, r.body))
            check(secs < FIRST, "b's post took %.1f s: more than a statement's deadline" % secs)
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
        # a follows c (both on instance 0), which drops a's cached timeline: the one built now
        # lacks b's shard, so it is partial, served, and not cached.
        check_envelope(api_post("user/follow", {"target_username": c["username"], "flag": 1},
                                a["token"]), 200, 0)
        for _ in range(2):
            r, secs = timed(lambda: home(a))
            doc = check_envelope(r, 200, 0)
            check(doc["data"].get("partial") is True, "a's timeline is not marked partial: %r"
                  % doc["data"])
            check("c before the hang " + word in texts(doc), "a's partial timeline lacks c's post: %r"
                  % texts(doc))
            check(secs < FAST, "a's timeline took %.1f s" % secs)
        # Search asks every instance: the one that answers gives its hits, marked partial.
        doc = check_envelope(get("/api/v1/search/posts?q=" + word), 200, 0)
        check(doc["data"].get("partial") is True, "search is not marked partial: %r" % doc["data"])
        check(texts(doc) == ["c before the hang " + word], "search during the hang: %r" % texts(doc))
        page = get("/search?q=" + word)
        check(page.status == 200 and b'class="notice warning partial"' in page.body,
              "the search page during the hang: %d, no notice" % page.status)
        page = get("/", {"Cookie": "starling_token=" + a["token"]})
        check(page.status == 200, "a's home page during the hang: %d" % page.status)
        check(b'class="notice warning partial"' in page.body,
              "a's home page shows no notice of a partial timeline")
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
    # The partial timeline was not cached: whole again, with b's posts and no mark.
    doc = check_envelope(home(a), 200, 0)
    check("partial" not in doc["data"], "a's timeline still partial after the hang")
    check("written before the hang" in texts(doc) and "c before the hang " + word in texts(doc),
          "a's timeline after the hang: %r" % texts(doc))
    doc = check_envelope(get("/api/v1/search/posts?q=" + word), 200, 0)
    check("partial" not in doc["data"], "search still partial after the hang")


TESTS = [test_hung_instance_isolated]

if __name__ == "__main__":
    sys.exit(run_main(__doc__, TESTS))
