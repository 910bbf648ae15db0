#!/usr/bin/env python3
"""HTTP tests of the operators' degradation switches (lib/store/switches.h, docs/operations.md):
each one set with `starling-admin switch set`, seen by every process after [switches]
refresh_seconds (1 in the test stack), checked for what it does through the web server, then
cleared and the site checked back to normal.

Usage: test_switches.py BASE_URL [-k SUBSTRING]

Environment (set by tests/integration/suite.sh):
  STARLING_TEST_ADMIN       the starling-admin command line of the stack (with -c CONF)
  STARLING_TEST_MAIL_DIR    the [mail] spool_dir (activation codes of the test's users)
  STARLING_TEST_SQL         a command that runs SQL as root in every shard database (tb_job)
  STARLING_TEST_WORKER_CTL  start|stop|once the stack's starling-worker (its log is beside it)
  STARLING_TEST_SERVER      the set-up (lighttpd, apache-cgi, ...): under plain CGI no process
                            outlives its request, so none keeps values it read before

Every switch is cleared before the first test and after each one, whatever happened, so that a
failure here never leaves the site degraded for the tests that follow. Python standard library
only.
"""

import os
import subprocess
import sys
import time

sys.dont_write_bytecode = True   # keep tests/lib free of __pycache__
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from starling_test import (UserPool, api_post, check, check_envelope, check_eq,  # noqa: E402
                           get, request, run_main, run_sql, sql_sum, t)
from codes import PAUSED, READ_ONLY, SHED  # noqa: E402

ADMIN = os.environ.get("STARLING_TEST_ADMIN", "")
CTL = os.environ.get("STARLING_TEST_WORKER_CTL", "")
SWITCHES = ["fanout_hold", "search_off", "trends_off", "notify_off", "read_only", "retries_off",
            "anon_shed", "media_quality"]
# [switches] refresh_seconds of the stack (script/lib/stack.sh) and a margin: by then every
# process reads the table again on its next request.
SEEN = 2.2

_users = UserPool("w")


def admin(args):
    """starling-admin switch ARGS: (exit status, output)."""
    check(ADMIN, "STARLING_TEST_ADMIN is not set")
    r = subprocess.run(ADMIN + " switch " + args, shell=True, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    return r.returncode, r.stdout.decode()


def switch(args):
    rc, out = admin(args)
    check_eq(rc, 0, "switch %s: exit status (%s)" % (args, out.strip()))
    return out


def set_and_wait(name, value="on", reason="test_switches"):
    switch("set %s %s --reason '%s'" % (name, value, reason))
    time.sleep(SEEN)


def clear_all():
    for name in SWITCHES:
        switch("clear " + name)


def worker(cmd):
    check(CTL, "STARLING_TEST_WORKER_CTL is not set")
    subprocess.run([CTL, cmd], check=True)


def auth(user):
    return {"Authorization": "Bearer " + user["token"]}


def api(path, fields, user, status=200, code=0):
    return check_envelope(api_post(path, fields, user["token"] if user else None), status,
                          code)


def check_503(r, code, words, what):
    """r is a 503 with code, Retry-After and a message holding words (the JSON envelope)."""
    doc = check_envelope(r, 503, code)
    check(words in doc["message"], "%s: message %r lacks %r" % (what, doc["message"], words))
    check(r.header("Retry-After") and r.header("Retry-After").isdigit(),
          "%s: Retry-After is %r" % (what, r.header("Retry-After")))
    return doc


def wait_for(cond, what, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return
        time.sleep(0.25)
    raise AssertionError("%s: not within %d s" % (what, timeout))


def health_switches():
    return check_envelope(get("/api/v1/health"), 200, 0)["data"]["switches"]


def jobs(where):
    return sql_sum("SELECT COUNT(*) FROM tb_job WHERE " + where)


# --- the tool ----------------------------------------------------------------------------------

def test_admin_refuses_bad_input():
    for args, words in [
        ("", "list, set NAME VALUE or clear NAME"),
        ("toggle read_only", "list, set NAME VALUE or clear NAME"),
        ("set nosuch on", "no switch is named \"nosuch\"; the switches are fanout_hold"),
        ("set read_only", "needs a VALUE"),
        ("set read_only 2", "must be on or off"),
        ("set read_only maybe", "must be on or off"),
        ("set anon_shed 101", "from 0 to 100"),
        ("set anon_shed -5", "from 0 to 100"),
        ("set anon_shed 5x", "from 0 to 100"),
        ("clear", "needs the NAME"),
        ("set read_only on extra", "unexpected \"extra\""),
        ("set read_only on --reason", "--reason needs a text"),
        ("set read_only on --reason \"$(printf 'a\\nb')\"", "without control characters"),
        ("list more", "takes nothing more"),
    ]:
        rc, out = admin(args)
        check_eq(rc, 2, "switch %s: exit status (%s)" % (args, out.strip()))
        check(words in out, "switch %s: %r lacks %r" % (args, out, words))
    check_eq(health_switches(), {}, "nothing was set by the refused commands")


def test_list_set_clear_and_health():
    out = switch("list")
    for name in SWITCHES:
        check(("\n" + name + " ") in out, "list lacks %s: %s" % (name, out))
    out = switch("set media_quality 70 --reason 'hook for G6'")
    check("media_quality: off -> 70" in out, "set says what changed: %r" % out)
    out = switch("list")
    line = [x for x in out.splitlines() if x.startswith("media_quality ")][0]
    check(" 70 " in line and "hook for G6" in line and "@" in line,
          "list shows value, reason and who set it: %r" % line)
    time.sleep(SEEN)
    check_eq(health_switches(), {"media_quality": 70}, "health lists the switch on")
    check("switches on" not in get("/api/v1/health").text, "health stays 200 with switches")
    out = switch("clear media_quality")
    check("media_quality: 70 -> off" in out, "clear says what changed: %r" % out)
    out = switch("clear media_quality")
    check("off already" in out, "a second clear changes nothing: %r" % out)
    time.sleep(SEEN)
    check_eq(health_switches(), {}, "health after clear")


# --- the switches ------------------------------------------------------------------------------

def test_read_only():
    a, = _users.get(1)
    before = sql_sum("SELECT COUNT(*) FROM tb_post WHERE user_id = %s" % a["id"])
    set_and_wait("read_only", reason="db maintenance")
    r = api_post("post/create", {"content_text": "written while read-only"}, a["token"])
    check_503(r, READ_ONLY, "is read-only for a while", "post/create")
    check_eq(int(r.header("Retry-After")), 5, "Retry-After ([switches] retry_after)")
    check_503(api_post("post/like", {"post_id": "1", "islike": 1}, a["token"]), READ_ONLY,
              "read-only", "post/like")
    check_eq(sql_sum("SELECT COUNT(*) FROM tb_post WHERE user_id = %s" % a["id"]), before,
             "nothing written")
    # Reads and logging in go on; pages say why writes are refused.
    check_envelope(get("/api/v1/user/posts?username=" + a["username"]), 200, 0)
    check_envelope(get("/api/v1/timeline/home", auth(a)), 200, 0)
    check_envelope(api_post("user/login", {"name": a["username"], "password": a["password"]}),
                   200, 0)
    page = get("/help")
    check_eq(page.status, 200, "a page while read-only")
    check(t("error.readOnly").split(":")[0] in page.text, "the page shows the notice")
    check_eq(health_switches(), {"read_only": 1}, "health")
    # The processes that saw the change logged it (the worker among them).
    log = os.path.join(os.path.dirname(CTL), "worker.log")
    # logfmt: the message is quoted, its quotes escaped (lib/base/log.h).
    wait_for(lambda: r'switch read_only: 0 -> 1 (reason: \"db maintenance\"' in open(log).read(),
             "the worker logs the change")
    switch("clear read_only")
    time.sleep(SEEN)
    check("notice warning switch" not in get("/help").text, "the notice is gone")
    api("post/create", {"content_text": "written after read-only"}, a)


def test_retries_off():
    a, = _users.get(1)
    set_and_wait("read_only")
    set_and_wait("retries_off")
    r = api_post("post/like", {"post_id": "1", "islike": 1}, a["token"])
    check_503(r, READ_ONLY, "read-only", "a write while read-only")
    check_eq(int(r.header("Retry-After")), 120, "Retry-After while retries_off")
    switch("clear read_only")
    # A job that fails (a like.sync without its IDs) waits [switches] slow_job_retry, not 10 s.
    ms = int(time.time() * 1000) - 1767225600000 - 10000   # lib/base/id.h: a past millisecond
    job = (ms << 22) | (253 << 4) | 7                       # worker 253: no process makes it
    now = int(time.time())
    run_sql("INSERT INTO tb_job (id, type, payload, state, run_after, created_at, updated_at) "
            "VALUES (%d, 'like.sync', '{}', 0, %d, %d, %d)" % (job, now, now, now))
    try:
        worker("once")
        wait_for(lambda: jobs("id = %d AND attempts = 1" % job) == 8, "every shard's copy failed")
        check_eq(jobs("id = %d AND state = 0 AND run_after - updated_at >= 1800" % job), 8,
                 "failed jobs wait [switches] slow_job_retry while retries_off is on")
    finally:
        run_sql("DELETE FROM tb_job WHERE id = %d" % job)
    switch("clear retries_off")
    time.sleep(SEEN)
    r = api_post("post/like", {"post_id": "1", "islike": 1}, None)
    check(r.status == 401, "writes answer again: %d" % r.status)


def test_search_off():
    set_and_wait("search_off")
    for path in ["/api/v1/search/posts?q=hello", "/api/v1/search/users?q=wa",
                 "/api/v1/search/hashtags?q=tag"]:
        check_503(get(path), PAUSED, "search is paused by the operators", path)
    page = get("/search?q=hello")
    check_eq(page.status, 503, "the search page while search_off")
    check(page.header("Retry-After"), "the page's Retry-After")
    check(t("search.paused") in page.text, "the page shows the notice")
    check('name="q"' in page.text, "and the form")
    check_eq(get("/search").status, 200, "the form alone is no search")
    check_envelope(get("/api/v1/trends/hashtags"), 200, 0)   # other reads are not paused
    switch("clear search_off")
    time.sleep(SEEN)
    check_envelope(get("/api/v1/search/posts?q=hello"), 200, 0)
    check_eq(get("/search?q=hello").status, 200, "the search page after")


def test_anon_shed():
    a, = _users.get(1)
    path = "/api/v1/user/profile?username=" + a["username"]
    set_and_wait("anon_shed", "100")
    check_503(get(path), SHED, "log in, or try again later", "an anonymous request")
    page = get("/help")
    check_eq(page.status, 503, "an anonymous page")
    check(page.header("Retry-After"), "the page's Retry-After")
    check_envelope(get(path, auth(a)), 200, 0)        # logged in: never shed
    check_envelope(get("/api/v1/health"), 200, 0)     # health: never shed
    check_eq(get("/login").status, 200, "the login page")
    check_envelope(api_post("user/login", {"name": a["username"], "password": a["password"]}),
                   200, 0)
    # A share: the same visitor and path always get the same answer.
    set_and_wait("anon_shed", "50")
    for p in ["/api/v1/user/profile?username=nobody%d" % i for i in range(6)]:
        first = get(p).status
        check(first in (404, 503), "%s: %d" % (p, first))
        for _ in range(3):
            check_eq(get(p).status, first, "the same answer again for " + p)
    switch("clear anon_shed")
    time.sleep(SEEN)
    check_envelope(get(path), 200, 0)
    check_eq(get("/help").status, 200, "the page after")


def home_ids(user):
    doc = check_envelope(get("/api/v1/timeline/home", auth(user)), 200, 0)
    return [p["id"] for p in doc["data"]["posts"]]


def test_fanout_hold():
    author, _, follower = _users.get(3)
    api("user/follow", {"target_username": author["username"], "flag": 1}, follower)
    home_ids(follower)   # the follower's cached list exists: pushes go into it
    set_and_wait("fanout_hold")
    pid = api("post/create", {"content_text": "held fan-out"}, author)["data"]["id"]
    check(pid in home_ids(author), "the author sees their post at once")
    wait_for(lambda: jobs("type = 'timeline.push' AND state = 4 AND "
                          "JSON_VALUE(payload, '$.post_id') = '%s'" % pid) == 1,
             "the push is parked")
    check(pid not in home_ids(follower), "not pushed to the follower while held")
    more = [api("post/create", {"content_text": "held %d" % i}, author)["data"]["id"]
            for i in range(11)]
    wait_for(lambda: jobs("type = 'timeline.push' AND state = 4") >= 12, "12 pushes parked")
    check_envelope(get("/api/v1/timeline/home", auth(follower)), 200, 0)  # reads work
    switch("clear fanout_hold")
    # Released 5 a second ([switches] release_per_second of the stack): never all at once.
    seen = set()

    def drained():
        seen.add(jobs("type = 'timeline.push' AND state = 4"))
        return 0 in seen
    wait_for(drained, "the parked pushes are released", timeout=30)
    check(any(0 < n < 12 for n in seen), "released gradually: parked counts seen %r" % seen)
    wait_for(lambda: pid in home_ids(follower) and more[-1] in home_ids(follower),
             "the follower's timeline has the posts after the release")


def test_notify_off():
    author, liker = _users.get(2)
    pid = api("post/create", {"content_text": "like me later"}, author)["data"]["id"]

    def liked():
        doc = check_envelope(get("/api/v1/notification/list", auth(author)), 200, 0)
        return any(n["type"] == "like" and n["actor"]["id"] == liker["id"] and n["post"] and
                   n["post"]["id"] == pid for n in doc["data"]["notifications"])
    set_and_wait("notify_off")
    api("post/like", {"post_id": pid, "islike": 1}, liker)
    wait_for(lambda: jobs("type = 'notify.like' AND state = 4 AND "
                          "JSON_VALUE(payload, '$.record_id') = '%s'" % pid) == 1,
             "the notification job is parked")
    time.sleep(1)
    check(not liked(), "no notification while notify_off is on")
    switch("clear notify_off")
    wait_for(liked, "the notification after notify_off is cleared")


def test_trends_off():
    sentinel = "switchsentinel%d" % os.getpid()
    set_and_wait("trends_off")
    run_sql("INSERT INTO tb_trend_hashtag (position, hashtag_id, tag_key, tag_name, computed_at) "
            "SELECT 999, 1, '%s', '%s', 1 FROM DUAL WHERE DATABASE() LIKE '%%\\\\_0000'"
            % (sentinel, sentinel))
    try:
        worker("once")
        check_eq(sql_sum("SELECT COUNT(*) FROM tb_trend_hashtag WHERE tag_key = '%s'" % sentinel),
                 1, "no computation while trends_off is on: the last list stays")
        check_envelope(get("/api/v1/trends/hashtags"), 200, 0)
        switch("clear trends_off")
        time.sleep(SEEN)
        worker("once")
        check_eq(sql_sum("SELECT COUNT(*) FROM tb_trend_hashtag WHERE tag_key = '%s'" % sentinel),
                 0, "computed again once trends_off is cleared")
    finally:
        run_sql("DELETE FROM tb_trend_hashtag WHERE tag_key = '%s'" % sentinel)


def test_table_unreadable_keeps_last_values():
    a, = _users.get(1)
    log = os.path.join(os.path.dirname(CTL), "worker.log")
    set_and_wait("read_only", reason="before the table went away")
    # Every process of the site and post binaries reads the table now (a process that never
    # read it knows no value to keep: every switch off).
    for _ in range(30):
        get("/api/v1/health")
        api_post("post/like", {"post_id": "1", "islike": 1}, a["token"])
    run_sql("RENAME TABLE tb_switch TO tb_switch_away")
    try:
        wait_for(lambda: "switches: tb_switch (shard 0) cannot be read; keeping the values last "
                         "read" in open(log).read(), "the worker logs that it keeps its values")
        time.sleep(SEEN)
        if os.environ.get("STARLING_TEST_SERVER") == "apache-cgi":
            # A process per request has read nothing before: every switch off.
            check_eq(health_switches(), {}, "a CGI process that cannot read the table")
        else:
            check_eq(health_switches(), {"read_only": 1}, "the values last read are kept")
            check_503(api_post("post/like", {"post_id": "1", "islike": 1}, a["token"]), READ_ONLY,
                      "read-only", "a write while the table cannot be read")
    finally:
        run_sql("RENAME TABLE tb_switch_away TO tb_switch")
    wait_for(lambda: "switches: tb_switch can be read again" in open(log).read(),
             "the worker logs that the table is back")
    check_eq(health_switches(), {"read_only": 1}, "read again")


def test_all_clear_at_the_end():
    clear_all()
    time.sleep(SEEN)
    check_eq(health_switches(), {}, "no switch is left on")


TESTS = [test_admin_refuses_bad_input, test_list_set_clear_and_health, test_read_only,
         test_retries_off, test_search_off, test_anon_shed, test_fanout_hold, test_notify_off,
         test_trends_off, test_table_unreadable_keeps_last_values, test_all_clear_at_the_end]


def cleared(test):
    """test, then every switch cleared whatever happened (a failure must not leave any on)."""
    def run():
        try:
            test()
        finally:
            clear_all()
    run.__name__ = test.__name__
    return run


if __name__ == "__main__":
    clear_all()
    time.sleep(SEEN)
    sys.exit(run_main(__doc__, [cleared(x) for x in TESTS]))
