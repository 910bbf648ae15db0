#!/usr/bin/env python3
"""HTTP tests of the rate limits (lib/social/limit.h, lib/http/ratelimit.h) through the web server: each
write limit of an account answers 429 with Retry-After and the X-RateLimit-* headers and writes
nothing; the window slides across the boundary of two fixed windows; only writes that did
something count; unliking and unfollowing are never limited; a form page shows the limit;
failed logins count against the account however it is named; activation guesses are limited
per address too.

Usage: test_limits.py BASE_URL [-k SUBSTRING]

Environment (set by tests/integration/suite.sh):
  STARLING_TEST_MAIL_DIR    the [mail] spool_dir (activation codes of the test's users)
  STARLING_TEST_SQL         runs SQL in every shard database: the rows a refused write must
                            not have written
  STARLING_TEST_MEMCACHED   "host:port host:port": every memcached server
  STARLING_TEST_CONF        the stack's starling.conf: its [limits] (the defaults of
                            etc/starling.conf.example for the keys it does not set)

The limits are far above what a test can reach by writing: 300 posts would take a while, under
plain CGI most of all, and the other tests, which share the stack, run with write limits out of
their way (tests/integration/suite.sh). So a test brings an account to its limit by storing
the counters the binaries keep (lib/http/ratelimit.h: "rl:<kind>:<key>:<window start>", a decimal count,
under the [memcached] key_prefix) on every server, which finds them wherever the ring puts
them, then asks over HTTP; and deletes them to show that the same request then passes. Python
standard library only.
"""

import contextlib
import os
import re
import sys
import time
import urllib.parse

sys.dont_write_bytecode = True   # keep tests/lib free of __pycache__
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from starling_test import (UserPool, api_post, check, check_envelope, check_eq,  # noqa: E402
                           check_status, get, memcached, memcached_servers, new_user,
                           request, run_main, sql_sum)
from codes import BAD_CODE, NOT_FOUND, RATE_LIMITED, UNAUTHORIZED  # noqa: E402

KEY_PREFIX = "starling:"
# Each counter's [limits] keys: its count and its window (a number: fixed in the code), and
# their defaults (lib/base/conf.c, etc/starling.conf.example).
LIMIT_KEYS = {
    "post": ("posts", 300, "posts_window", 10800),
    "reply": ("replies", 300, "replies_window", 10800),
    "repost": ("reposts", 300, "reposts_window", 10800),
    "like": ("likes", 1000, "likes_window", 10800),
    "follow": ("follows", 400, "follows_window", 86400),
    "report": ("reports", 400, "reports_window", 86400),
    "mention": ("mentions", 300, "mentions_window", 10800),
    "mention-user": ("mentions_per_user", 50, "mentions_per_user_window", 3600),
    "login-user": ("failed_logins_per_user", 10, 900, 900),
    "activate-user": ("failed_logins_per_user", 10, 3600, 3600),
    "activate-ip": ("failed_activations_per_ip", 50, 3600, 3600),
}


def stack_limits():
    """{kind: (count, window in seconds)} as the stack's configuration sets them."""
    conf = {}
    path = os.environ.get("STARLING_TEST_CONF", "")
    check(path, "STARLING_TEST_CONF is not set")
    section = None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("["):
                section = line.strip("[]")
            elif section == "limits" and "=" in line and not line.startswith(";"):
                k, v = (x.strip() for x in line.split("=", 1))
                conf[k] = int(v)
    return {kind: (conf.get(n, n_def), w if isinstance(w, int) else conf.get(w, w_def))
            for kind, (n, n_def, w, w_def) in LIMIT_KEYS.items()}


LIMITS = stack_limits() if os.environ.get("STARLING_TEST_CONF") else {}
CLIENT_IP = "127.0.0.1"   # REMOTE_ADDR of the test's requests in every set-up

_users = UserPool("l")


def counter_keys(kind, key, now=None):
    """The keys of kind's counters for key: the previous window's and the current one's."""
    window = LIMITS[kind][1]
    now = int(time.time()) if now is None else now
    start = now - now % window
    return ["%srl:%s:%s:%d" % (KEY_PREFIX, kind, key, s) for s in (start - window, start)]


def store(key, count, ttl):
    for addr in memcached_servers():
        answer = memcached(addr, "set %s 0 %d %d\r\n%d" % (key, ttl, len(str(count)), count))
        check(answer.startswith(b"STORED"), "set %s on %s: %r" % (key, addr, answer))


def seed(kind, key, previous, current):
    """Stores kind's counters for key: previous for the last window, current for this one."""
    window = LIMITS[kind][1]
    prev, cur = counter_keys(kind, key)
    store(prev, previous, 2 * window)
    store(cur, current, 2 * window)


def at_limit(kind, key):
    """key is at kind's limit whichever side of a window boundary the request lands on."""
    limit = LIMITS[kind][0]
    seed(kind, key, limit, limit)


def unseed(kind, key):
    for k in counter_keys(kind, key):
        for addr in memcached_servers():
            memcached(addr, "delete " + k)


@contextlib.contextmanager
def limited(kind, key):
    """key at kind's limit for the length of a with block, whatever happens in it: the users
    are shared by the tests of this file."""
    at_limit(kind, key)
    try:
        yield
    finally:
        unseed(kind, key)


def counted(kind, key):
    """What this window's counter of kind for key holds (0: none)."""
    best = 0
    cur = counter_keys(kind, key)[1]
    for addr in memcached_servers():
        m = re.match(rb"VALUE \S+ \d+ \d+\r\n(\d+)", memcached(addr, "get " + cur))
        if m:
            best = max(best, int(m.group(1)))
    return best


def check_limited(r, kind, what):
    """r is the 429 of kind's limit: the envelope, the headers, a message naming the limit."""
    doc = check_envelope(r, 429, RATE_LIMITED)
    retry = r.header("Retry-After") or ""
    check(retry.isdigit() and 0 < int(retry) <= 2 * LIMITS[kind][1],
          "%s: Retry-After %r" % (r.where, retry))
    check_eq(r.header("X-RateLimit-Limit"), str(LIMITS[kind][0]), r.where + ": X-RateLimit-Limit")
    check_eq(r.header("X-RateLimit-Remaining"), "0", r.where + ": X-RateLimit-Remaining")
    check(int(r.header("X-RateLimit-Reset") or 0) >= int(time.time()),
          r.where + ": X-RateLimit-Reset")
    check("too many " + what in doc["message"] and "try again in %s second" % retry in
          doc["message"], "%s: message %r" % (r.where, doc["message"]))
    return int(retry)


def create(user, text):
    r = api_post("post/create", {"content_text": text}, user["token"])
    return check_envelope(r, 200, 0)["data"]["id"]


def rows(statement):
    return sql_sum(statement)


# --- each write limit ---------------------------------------------------------------------------

def write_cases(u, other, pid):
    """(kind, what, the write as u, the rows it makes) of each limited write."""
    uid = int(u["id"])
    return [
        ("post", "posts", lambda: api_post("post/create", {"content_text": "over"}, u["token"]),
         "SELECT COUNT(*) FROM tb_post WHERE user_id = %d" % uid),
        ("post", "posts", lambda: api_post("post/repost", {"original_post_id": pid,
                                                          "content_text": "a quote"},
                                          u["token"]),
         "SELECT COUNT(*) FROM tb_post WHERE user_id = %d" % uid),
        ("reply", "replies", lambda: api_post("post/reply", {"original_post_id": pid,
                                                            "content_text": "re"},
                                             u["token"]),
         "SELECT COUNT(*) FROM tb_post_reply WHERE user_id = %d" % uid),
        ("repost", "reposts", lambda: api_post("post/repost", {"original_post_id": pid},
                                              u["token"]),
         "SELECT COUNT(*) FROM tb_post WHERE user_id = %d" % uid),
        ("like", "likes", lambda: api_post("post/like", {"post_id": pid, "islike": 1},
                                          u["token"]),
         "SELECT COUNT(*) FROM tb_post_like WHERE liker_id = %d" % uid),
        ("follow", "follows", lambda: api_post("user/follow", {"target_username":
                                                              other["username"], "flag": 1},
                                              u["token"]),
         "SELECT COUNT(*) FROM tb_user_relationship WHERE user_id = %d AND status_follow = 1"
         % uid),
        ("report", "reports", lambda: api_post("post/report", {"post_id": pid,
                                                              "report_reason": 2}, u["token"]),
         "SELECT COUNT(*) FROM tb_reported_content WHERE reporter_id = %d" % uid),
        ("report", "reports", lambda: api_post("user/report", {"target_username":
                                                              other["username"],
                                                              "report_reason": 2}, u["token"]),
         "SELECT COUNT(*) FROM tb_reported_user WHERE reporter_id = %d" % uid),
    ]


def test_each_write_limit_answers_429_and_writes_nothing():
    u, other = _users.get(2)
    pid = create(other, "a post to answer, repost, like and report")
    for kind, what, write, statement in write_cases(u, other, pid):
        before = rows(statement)
        with limited(kind, u["id"]):
            check_limited(write(), kind, what)
            check_eq(rows(statement), before, "rows after a refused %s" % kind)
        # The same write passes once the counters are gone, and is counted.
        try:
            check_envelope(write(), 200, 0)
            check_eq(rows(statement), before + 1, "rows after an allowed %s" % kind)
            check_eq(counted(kind, u["id"]), 1, "%s counted" % kind)
        finally:
            unseed(kind, u["id"])


def test_only_writes_that_did_something_count():
    u, other = _users.get(2)
    pid = create(other, "like me twice")
    like = {"post_id": pid, "islike": 1}
    unseed("like", u["id"])
    try:
        check_envelope(api_post("post/like", like, u["token"]), 200, 0)
        check_envelope(api_post("post/like", like, u["token"]), 200, 0)   # changes nothing
        check_eq(counted("like", u["id"]), 1, "a second like of one post")
        check_envelope(api_post("post/like", {"post_id": "1", "islike": 1}, u["token"]), 404,
                       NOT_FOUND)
        check_eq(counted("like", u["id"]), 1, "a failed like")
    finally:
        unseed("like", u["id"])


def test_taking_back_is_never_limited():
    """Over the likes and follows limits, a user can still unlike, unfollow, block and mute."""
    u, other = _users.get(2)
    pid = create(other, "unlike me")
    likes = "SELECT COUNT(*) FROM tb_post_like WHERE liker_id = %d" % int(u["id"])
    before = rows(likes)
    check_envelope(api_post("post/like", {"post_id": pid, "islike": 1}, u["token"]), 200, 0)
    check_envelope(api_post("user/follow", {"target_username": other["username"], "flag": 1},
                            u["token"]), 200, 0)
    with limited("like", u["id"]), limited("follow", u["id"]):
        check_envelope(api_post("post/like", {"post_id": pid, "islike": 0}, u["token"]), 200, 0)
        for path in ("follow", "mute", "block"):
            flag = 0 if path == "follow" else 1
            check_envelope(api_post("user/" + path, {"target_username": other["username"],
                                                     "flag": flag}, u["token"]), 200, 0)
        check_eq(rows(likes), before, "the like taken back")
        for path in ("block", "mute"):
            check_envelope(api_post("user/" + path, {"target_username": other["username"],
                                                     "flag": 0}, u["token"]), 200, 0)


def test_retry_with_the_same_idempotency_key_gets_its_answer():
    """A client whose post was the last one allowed, and which retries it (a lost answer), gets
    the post it made, not a 429; a new request is refused."""
    u = _users.get(1)[0]
    key = {"Idempotency-Key": "limits-" + os.urandom(6).hex()}
    fields = {"content_text": "made once"}
    first = check_envelope(api_post("post/create", fields, u["token"], headers=key), 200, 0)
    with limited("post", u["id"]):
        again = check_envelope(api_post("post/create", fields, u["token"], headers=key), 200, 0)
        check_eq(again["data"]["id"], first["data"]["id"], "the retry's answer")
        other = {"Idempotency-Key": "limits-" + os.urandom(6).hex()}
        check_limited(api_post("post/create", fields, u["token"], headers=other), "post",
                      "posts")


def test_sliding_window_holds_across_a_boundary():
    """The previous window full and this one empty: a fixed window would let the post through;
    the sliding one counts the share of the previous window still inside the last 3 hours, and
    Retry-After says when that share has shrunk enough."""
    u = new_user(prefix="l")
    limit, window = LIMITS["post"]
    now = int(time.time())
    if window - now % window < 60:     # too close to the next boundary: wait for it
        time.sleep(window - now % window + 1)
        now = int(time.time())
    e = now % window
    # As many as fill the limit with 30 s to spare: prev * (window - e) >= limit * window.
    prev = -(-limit * window // (window - e - 30))
    seed("post", u["id"], prev, 0)
    before = rows("SELECT COUNT(*) FROM tb_post WHERE user_id = %d" % int(u["id"]))
    r = api_post("post/create", {"content_text": "across the boundary"}, u["token"])
    retry = check_limited(r, "post", "posts")
    # The first second at which prev * (window - e') + window <= limit * window.
    at = window - (limit - 1) * window // prev
    want = at - e
    check(abs(retry - want) <= 3, "Retry-After %d, want about %d" % (retry, want))
    check_eq(rows("SELECT COUNT(*) FROM tb_post WHERE user_id = %d" % int(u["id"])), before,
             "posts after the refusal")
    unseed("post", u["id"])


def test_mentions_limits():
    """One account cannot flood another with mentions: past mentions_per_user a post naming
    that account is refused whole; one naming someone else passes. The mentions of a post all
    count against [limits] mentions: a post that would pass it is refused."""
    u, bob, carol = _users.get(3)
    uid = int(u["id"])
    count = "SELECT COUNT(*) FROM tb_post WHERE user_id = %d" % uid
    before = rows(count)
    thread = create(carol, "a thread")
    with limited("mention-user", "%s>%s" % (u["id"], bob["username"].lower())):
        r = api_post("post/create", {"content_text": "hey @%s" % bob["username"]}, u["token"])
        check_limited(r, "mention-user", "mentions of one account")
        r = api_post("post/reply", {"original_post_id": thread,
                                    "content_text": "@%s look" % bob["username"]}, u["token"])
        check_limited(r, "mention-user", "mentions of one account")
        check_eq(rows(count), before, "posts after refused mentions")
        create(u, "hello @%s" % carol["username"])
    limit = LIMITS["mention"][0]
    seed("mention", u["id"], 0, limit - 2)    # (just after a boundary: the previous is 0 too)
    try:
        r = api_post("post/create", {"content_text": "@%s @%s @%s" % (
            bob["username"], carol["username"], u["username"])}, u["token"])
        check_limited(r, "mention", "mentions")
        create(u, "@%s @%s" % (bob["username"], carol["username"]))
        check_eq(counted("mention", u["id"]), limit, "mentions counted")
    finally:
        unseed("mention", u["id"])
    check_eq(rows(count), before + 2, "posts")


def test_form_page_shows_the_limit():
    u, other = _users.get(2)
    pid = create(other, "like me from the page")
    token = get("/help").cookies()["starling_csrf"].value
    likes = "SELECT COUNT(*) FROM tb_post_like WHERE liker_id = %d" % int(u["id"])
    before = rows(likes)
    with limited("like", u["id"]):
        r = request("POST", "/p/%s/like" % pid, body=urllib.parse.urlencode(
            {"islike": "1", "csrf_token": token, "return_to": "/p/%s" % pid}).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded",
                     "Cookie": "starling_token=%s; starling_csrf=%s" % (u["token"], token)})
    check_status(r, 429)
    check((r.header("Content-Type") or "").startswith("text/html"), "the refused form is a page")
    check(int(r.header("Retry-After") or 0) > 0, "Retry-After of the page")
    check("too many likes" in r.text, "the page says which limit: %.500r" % r.text)
    check_eq(rows(likes), before, "likes after the refused form")


# --- the account limits: by the account, not by the name as typed ----------------------------

def test_failed_logins_count_against_the_account_however_named():
    """Failures with the username in two letter cases and the email in two count together: the
    limit of 10 is reached after 10 of them, not 10 of each spelling."""
    u = new_user(prefix="l")
    names = [u["username"], u["username"].upper(), u["email"], u["email"].upper()]
    for i in range(LIMITS["login-user"][0]):
        r = api_post("user/login", {"name": names[i % 4], "password": "wrong %d" % i})
        check_envelope(r, 401, UNAUTHORIZED)
    for name in names:
        r = api_post("user/login", {"name": name, "password": u["password"]})
        check_limited(r, "login-user", "failed logins for this account")
    unseed("login-user", "id:" + u["id"])
    r = api_post("user/login", {"name": u["email"].upper(), "password": u["password"]})
    check_envelope(r, 200, 0)


def test_activation_guesses_limited_per_account_and_address():
    u = new_user(prefix="l", activate=False)
    wrong = {"username": u["username"].upper(), "activate_code": "ABCDEFGH"}
    # Per account, by the username in any letter case.
    at_limit("activate-user", u["username"].lower())
    check_limited(api_post("account/activate", wrong), "activate-user",
                  "wrong activation codes for this account")
    unseed("activate-user", u["username"].lower())
    # Per address, whatever the account: the counter is this address's, so it is removed at
    # once (every test's sign-ups activate from it).
    at_limit("activate-ip", CLIENT_IP)
    try:
        check_limited(api_post("account/activate", wrong), "activate-ip",
                      "wrong activation codes from this address")
    finally:
        unseed("activate-ip", CLIENT_IP)
    check_envelope(api_post("account/activate", wrong), 400, BAD_CODE)
    unseed("activate-user", u["username"].lower())
    unseed("activate-ip", CLIENT_IP)


TESTS = [v for k, v in sorted(globals().items()) if k.startswith("test_") and callable(v)]

if __name__ == "__main__":
    sys.exit(run_main(__doc__, TESTS))
