#!/usr/bin/env python3
"""test_resilience.py BASE: one MariaDB instance hangs (SIGSTOP, as a stalled server or a full
disk does: it accepts connections and answers nothing), and then comes back.

While it hangs: the health check answers within a couple of seconds (not the 10 s read timeout
of old) and names instance 1, not instance 0; after the instance's circuit breaker opened
(lib/store/breaker.h), requests for users stored on instance 0 are served as usual and fast, and those
for users on instance 1 get a clear 503 at once, and so does a post of theirs, alone. Reads
that gather from both (lib/base/partial.h) are served from the shards that answer, say
"partial": true (their pages show a notice), and are not cached as if complete: the home
timeline, search, a's notifications (actors on both instances), a's followers and following,
popular users, a's unread count. A card whose content and author are cached but whose counts
live on the hung instance (d's post, reposted by e and mentioning a) is shown on a's home and
notifications pages without counts, where the other cards keep theirs. Trends are not computed
without instance 1: the previous ones stay, and the failure names its shard and instance. After
SIGCONT, its breaker's probe finds it again within a few seconds and its users are served as
before, their earlier writes intact, every list whole.

$STARLING_TEST_HANG_PIDFILE names the pid file of the instance to hang (the second one, which
holds shards 4-7: tests/integration/suite.sh). The instance is resumed whatever happens.
$STARLING_TEST_SQL (editors' picks on shard 0, the stored trends) and $STARLING_TEST_ADMIN
(compute-trends) are the stack's, as test_trends.py uses them.
"""

import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from starling_test import (UserPool, api_post, check, check_envelope, get,  # noqa: E402
                           instance_of, run_main, run_sql)
from codes import UNAVAILABLE  # noqa: E402
from waits import until, wait_for  # noqa: E402

POOL = UserPool("rz")
# Far below the read timeout a hung instance would cost without breakers (3 s per statement,
# several statements per request), far above what a healthy request takes on a loaded CI box.
FAST = 2.5
# A request that reaches the hung instance before its breaker opens: the test stack's statement
# deadline (2 s, script/lib/stack.sh) and a 300 ms connect; without deadlines it was the 3 s
# read timeout and a 1 s connect.
FIRST = 3.5
NOTICE = b'class="notice warning partial"'
SHARD0 = "DATABASE() LIKE '%\\\\_0000'"   # run_sql runs everywhere; picks live on shard 0


def hung_pid():
    path = os.environ.get("STARLING_TEST_HANG_PIDFILE", "")
    check(path, "STARLING_TEST_HANG_PIDFILE is not set")
    with open(path) as f:
        return int(f.read().split()[0])


def thread_states(pid):
    """The states of pid's threads (/proc/PID/task/*/stat: R, S, T for stopped, ...)."""
    states = set()
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                # The state follows the command's closing parenthesis (which may hold blanks).
                states.add(f.read().rsplit(")", 1)[1].split()[0])
        except FileNotFoundError:
            pass   # a thread that ended
    return states


def wait_stopped(pid):
    """Waits until every thread of pid is stopped: SIGSTOP is delivered asynchronously, and on a
    loaded machine a thread of MariaDB could still answer a ping after kill() returned, so that
    health answered 200 (a flake under apache-fcgid)."""
    wait_for(lambda: thread_states(pid) <= {"T", "t"},
             "instance %d not stopped after SIGSTOP" % pid, 10, 0.05)


def health_once_down():
    """Health with the instance hung: every answer in time (FAST), and a 503 within a few
    seconds (a check may still see the last answered ping). Returns the 503's envelope."""
    end = until(10)
    while True:
        r, secs = timed(lambda: get("/api/v1/health"))
        check(secs < FAST, "health took %.1f s with an instance hung" % secs)
        if r.status == 503:
            return check_envelope(r, 503, UNAVAILABLE)
        check(r.status == 200, "health with an instance hung: %d %.200r" % (r.status, r.body))
        check(time.monotonic() < end, "health still 200 10 s after the instance hung")
        time.sleep(0.2)


def timed(fn):
    t = time.monotonic()
    r = fn()
    return r, time.monotonic() - t


def post(user, text):
    return api_post("post/create", {"content_text": text}, user["token"])


def five_users():
    """a, c and e on instance 0, b and d on instance 1 (more users are made until the pool has
    them)."""
    k = 5
    while True:
        us = POOL.get(k)
        first = [u for u in us if instance_of(u) == 0]
        second = [u for u in us if instance_of(u) == 1]
        if len(first) >= 3 and len(second) >= 2:
            return first[0], second[0], first[1], second[1], first[2]
        check(k < 40, "no five users across the instances among %d" % k)
        k += 1


def home(user):
    return get("/api/v1/timeline/home", {"Authorization": "Bearer " + user["token"]})


def unread(user):
    """user's unread count: the data."""
    return check_envelope(get("/api/v1/notification/unread_count", auth(user)), 200, 0)["data"]


def texts(doc):
    return [p["contentText"] for p in doc["data"]["posts"]]


def ids(doc):
    return [p["id"] for p in doc["data"]["posts"]]


def stats_of(post_id):
    """The mark of a card's counts on a page (templates/partials/post_card.mustache)."""
    return ('data-stats-for="%s"' % post_id).encode()


def auth(user):
    return {"Authorization": "Bearer " + user["token"]} if user else None


def cookie(user):
    return {"Cookie": "starling_token=" + user["token"]}


def compute_trends():
    """starling-admin compute-trends: (exit status, what it printed)."""
    admin = os.environ.get("STARLING_TEST_ADMIN", "")
    check(admin, "STARLING_TEST_ADMIN is not set")
    r = subprocess.run(admin + " compute-trends", shell=True, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=60)
    return r.returncode, r.stdout.decode()


def pick(users, on):
    """Makes users the editors' picks of the popular users (first, in this order), or no more;
    then computes the trends, which drops the cached list."""
    ids = ", ".join(u["id"] for u in users)
    run_sql("DELETE FROM tb_recommended_user WHERE user_id IN (%s) AND %s" % (ids, SHARD0))
    for i, u in enumerate(users if on else []):
        run_sql("INSERT INTO tb_recommended_user (user_id, sort_order) SELECT %s, %d FROM DUAL "
                "WHERE %s" % (u["id"], -1000 + i, SHARD0))
    # Right after the hang (the clean-up of a failed check) the breaker may still be open.
    deadline = until(20)
    while True:
        status, out = compute_trends()
        if status == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    check(status == 0, "compute-trends with every instance up: %d %s" % (status, out.strip()))


def trends_stored():
    """When the rankings on shard 0 were computed (None: there are none)."""
    got = [int(r[0]) for r in run_sql("SELECT MAX(computed_at) FROM tb_trend_user WHERE %s"
                                      % SHARD0) if r[0] != "NULL"]
    return got[0] if got else None


def notes(user):
    """user's first page of notifications: the data."""
    return check_envelope(get("/api/v1/notification/list", auth(user)), 200, 0)["data"]


def actors(doc):
    return {(n["type"], n["actor"]["username"]) for n in doc["notifications"]}


def names(doc):
    return [u["username"] for u in doc["users"]]


def gathered_before_the_hang(a, b, c):
    """What a's notifications, lists and the popular users gather from both instances: b and c
    follow a, b mentions a, c likes a's post; b and c are the editors' picks. Returns a's post."""
    for u in (b, c):
        check_envelope(api_post("user/follow", {"target_username": a["username"], "flag": 1},
                                u["token"]), 200, 0)
    mine = check_envelope(post(a, "a's own post"), 200, 0)["data"]["id"]
    check_envelope(api_post("post/like", {"post_id": mine, "islike": 1}, c["token"]), 200, 0)
    check_envelope(post(b, "hello @%s" % a["username"]), 200, 0)
    want = {("follow", b["username"]), ("follow", c["username"]), ("mention", b["username"]),
            ("like", c["username"])}
    # The requests run their notify jobs; the worker runs one that failed.
    deadline = until(20)
    while not want <= actors(notes(a)):
        check(time.monotonic() < deadline, "a's notifications before the hang: %r"
              % actors(notes(a)))
        time.sleep(0.3)
    pick([b, c], True)
    return mine


def partial_reads(a, b, c, d, e, mine, before, theirs):
    """During the hang, with b's card not cached (b renamed just before): each read that gathers
    from both instances answers 200 with what instance 0 holds and the cache, marked partial;
    b's post alone is 503. d's mention (d's card and post cached) is shown, its card without the
    counts that could not be read."""
    doc = notes(a)
    check(doc.get("partial") is True, "a's notifications are not marked partial: %r" % doc)
    check(actors(doc) == {("follow", c["username"]), ("like", c["username"]),
                          ("mention", d["username"])},
          "a's notifications during the hang: %r" % actors(doc))
    like = [n for n in doc["notifications"] if n["type"] == "like"]
    check(like[0]["post"] is not None and like[0]["post"]["id"] == mine,
          "c's like lacks a's post: %r" % like)
    page = get("/notifications", cookie(a))
    check(page.status == 200, "a's notifications page during the hang: %d" % page.status)
    check(NOTICE in page.body, "a's notifications page shows no partial notice")
    check(c["username"].encode() in page.body and b["username"].encode() not in page.body,
          "a's notifications page during the hang does not show c and not b")
    check(b"d posted this, e reposts it" in page.body and stats_of(theirs) not in page.body,
          "a's notifications page: d's mention missing, or with counts that could not be read")
    check(stats_of(mine) in page.body, "a's notifications page: c's like lacks a's post's counts")
    # a follows b, e and (since the hang) c; b and c follow a.
    shown = {"followers": [c["username"]], "following": [c["username"], e["username"]]}
    for which in ("followers", "following"):
        for viewer in (None, a):
            r = get("/api/v1/user/%s?username=%s" % (which, a["username"]), auth(viewer))
            doc = check_envelope(r, 200, 0)["data"]
            check(doc.get("partial") is True and names(doc) == shown[which] and
                  doc["cursor"] == "-1", "a's %s during the hang: %r" % (which, doc))
        page = get("/u/%s/%s" % (a["username"], which), cookie(a))
        check(page.status == 200 and NOTICE in page.body,
              "a's %s page during the hang: %d, no notice" % (which, page.status))
        check(c["username"].encode() in page.body and b["username"].encode() not in page.body,
              "a's %s page during the hang does not show c alone" % which)
    for viewer in (None, a):
        doc = check_envelope(get("/api/v1/trends/users", auth(viewer)), 200, 0)["data"]
        check(doc.get("partial") is True, "popular users not marked partial: %r" % doc)
        check(c["username"] in names(doc) and b["username"] not in names(doc),
              "popular users during the hang: %r" % names(doc))
    check_envelope(get("/api/v1/trends/hashtags"), 200, 0)
    page = get("/explore")
    check(page.status == 200 and NOTICE in page.body,
          "/explore during the hang: %d, no notice" % page.status)
    # One post: b's answers 503 (its author cannot be read), a's as usual.
    check_envelope(get("/api/v1/post/detail?post_id=" + before), 503, UNAVAILABLE)
    check(get("/p/" + before).status == 503, "b's post page during the hang is not 503")
    check_envelope(get("/api/v1/post/detail?post_id=" + mine), 200, 0)
    # Trends are not computed without instance 1: the command fails and says where.
    status, out = compute_trends()
    check(status == 1, "compute-trends with instance 1 hung: %d %s" % (status, out.strip()))
    check(re.search(r"trends: not computed: shard [4-7] \(instance 1\) does not answer", out),
          "compute-trends does not name the shard and instance: %s" % out.strip())


def unread_during(a, c, during):
    """During the hang: c likes a post a wrote meanwhile, which drops a's cached unread count.
    The unread notifications of b and d (instance 1: b's follow and mention, d's mention) cannot
    be checked for a block on their shards (the count reads the blocks from the databases), so
    the count is that of c's, marked partial. Returns it."""
    check_envelope(api_post("post/like", {"post_id": during, "islike": 1}, c["token"]), 200, 0)
    deadline = until(20)
    while True:
        doc = notes(a)
        likes = [n for n in doc["notifications"] if n["type"] == "like"]
        if len(likes) >= 2:
            break
        check(time.monotonic() < deadline, "c's like during the hang not notified: %r" % doc)
        time.sleep(0.3)
    shown = len([n for n in doc["notifications"]
                 if not n["read"] and n["actor"]["username"] == c["username"]])
    got = unread(a)
    check(got.get("partial") is True and got["count"] == shown,
          "a's unread count during the hang: %r, the list shows %d unread of c" % (got, shown))
    return shown


def whole_after(a, b, c, kept, resumed, counted):
    """Back: nothing of the partial answers was kept, and no ranking was stored while instance 1
    hung (the last ones stayed)."""
    doc = notes(a)
    check("partial" not in doc, "a's notifications still partial after the hang")
    check({("follow", b["username"]), ("mention", b["username"])} <= actors(doc),
          "a's notifications after the hang: %r" % actors(doc))
    got = unread(a)
    check("partial" not in got and got["count"] == counted + 3,
          "a's unread count after the hang: %r (%d during it, b's two, d's one)" % (got, counted))
    doc = check_envelope(get("/api/v1/user/followers?username=" + a["username"]), 200, 0)["data"]
    check("partial" not in doc and names(doc) == [c["username"], b["username"]],
          "a's followers after the hang: %r" % doc)
    doc = check_envelope(get("/api/v1/trends/users"), 200, 0)["data"]
    check("partial" not in doc and names(doc)[:2] == [b["username"], c["username"]],
          "popular users after the hang: %r" % doc)
    stored = trends_stored()
    check(stored == kept or (stored is not None and stored >= resumed),
          "trends stored while instance 1 hung: computed at %r (before: %r, resumed at %d)"
          % (stored, kept, resumed))


def test_hung_instance_isolated():
    a, b, c, d, e = five_users()
    for u in (b, e):
        check_envelope(api_post("user/follow", {"target_username": u["username"], "flag": 1},
                                a["token"]), 200, 0)
    mine = gathered_before_the_hang(a, b, c)
    try:
        hang(a, b, c, d, e, mine, reposted_before_the_hang(a, d, e))
    finally:
        pick([b, c], False)


def reposted_before_the_hang(a, d, e):
    """d (instance 1) mentions a in a post that e (whom a follows) reposts, and a reads their
    timeline and notifications: the post's content and d's card are cached, its counts are not
    (the repost dropped them, and the API's lists do not read them). Returns the ids of d's post
    and of the repost."""
    theirs = check_envelope(post(d, "d posted this, e reposts it, @%s" % a["username"]), 200,
                            0)["data"]["id"]
    rep = check_envelope(api_post("post/repost", {"original_post_id": theirs}, e["token"]), 200,
                         0)["data"]["id"]
    check(rep in ids(check_envelope(home(a), 200, 0)),
          "a's timeline lacks e's repost before the hang")
    deadline = until(20)
    while ("mention", d["username"]) not in actors(notes(a)):
        check(time.monotonic() < deadline, "d's mention of a not notified: %r" % actors(notes(a)))
        time.sleep(0.3)
    return theirs, rep


def home_page_during(a, ours, reposted):
    """a's home page during the hang: the cards it can show, the notice; e's repost as the card of
    d's post without its counts (on instance 1, not cached: not shown, and not as zero); the
    counts of c's post (instance 0) as usual."""
    theirs, rep = reposted
    check(rep in ids(check_envelope(home(a), 200, 0)), "a's partial timeline lacks e's repost")
    page = get("/", cookie(a))
    check(page.status == 200, "a's home page during the hang: %d" % page.status)
    check(NOTICE in page.body, "a's home page shows no notice of a partial timeline")
    check(b"d posted this, e reposts it" in page.body, "a's home page lacks e's repost")
    check(stats_of(theirs) not in page.body, "d's post shows counts that could not be read")
    check(stats_of(ours) in page.body, "c's post on a's home page lacks its counts")


def hang(a, b, c, d, e, mine, reposted):
    before = check_envelope(post(b, "written before the hang"), 200, 0)["data"]["id"]
    word = "resil" + os.urandom(4).hex()
    ours = check_envelope(post(c, "c before the hang " + word), 200, 0)["data"]["id"]
    check("written before the hang" in texts(check_envelope(home(a), 200, 0)),
          "a's timeline lacks b's post before the hang")
    # b renames themself: their cached card is dropped, so reading it needs their shard.
    check_envelope(api_post("user/save_info", {"display_name": "b renamed"}, b["token"]), 200, 0)
    kept = trends_stored()
    pid = hung_pid()
    os.kill(pid, signal.SIGSTOP)
    try:
        wait_stopped(pid)
        doc = health_once_down()
        msg = doc["message"]
        check("instance 1 of 2 down" in msg, "health does not name instance 1: %r" % msg)
        check("instance 0" not in msg, "health names instance 0 as down too: %r" % msg)
        # Let the host's breaker open: a few requests that need the hung instance (each waits
        # out a statement's deadline and a 300 ms connect, once: FIRST), then its users get a
        # 503 at once.
        deadline = until(30)
        while True:
            r, secs = timed(lambda: post(b, "during the hang"))
            check(r.status == 503, "b's post during the hang: %d %.200r" % (r.status, r.body))
            check(secs < FIRST, "b's post took %.1f s: more than a statement's deadline" % secs)
            if secs < 0.5:
                break
            check(time.monotonic() < deadline, "b's requests never failed fast (breaker)")
        check_envelope(r, 503, UNAVAILABLE)
        # Users of the other instance: served, and fast, every time.
        for i in range(5):
            r, secs = timed(lambda: post(a, "a writes on during the hang %d" % i))
            during = check_envelope(r, 200, 0)["data"]["id"]
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
        check(page.status == 200 and NOTICE in page.body,
              "the search page during the hang: %d, no notice" % page.status)
        home_page_during(a, ours, reposted)
        # Notifications, the lists of people, popular users, one post, the trends.
        partial_reads(a, b, c, d, e, mine, before, reposted[0])
        counted = unread_during(a, c, during)
        # Health still in time once the breaker is open (it does not even try).
        r, secs = timed(lambda: get("/api/v1/health"))
        check_envelope(r, 503, UNAVAILABLE)
        check(secs < 1.0, "health took %.1f s with the breaker open" % secs)
        check("breaker open" in r.json()["message"], "health does not say the breaker is open: %r"
              % r.json()["message"])
    finally:
        os.kill(pid, signal.SIGCONT)
    resumed = int(time.time())
    # Back: the probe (open_seconds 1, backing off to 2 in the test stack) finds it.
    deadline = until(20)
    while get("/api/v1/health").status != 200:
        check(time.monotonic() < deadline, "health not back to 200 20 s after the instance resumed")
        time.sleep(0.3)
    deadline = until(20)
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
    whole_after(a, b, c, kept, resumed, counted)


TESTS = [test_hung_instance_isolated]

if __name__ == "__main__":
    sys.exit(run_main(__doc__, TESTS))
