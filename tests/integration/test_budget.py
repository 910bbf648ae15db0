#!/usr/bin/env python3
"""Round-trip budgets of the read paths (docs/data.md, "Reading a page in a few round trips"),
through the web server, both MariaDB instances and both memcached servers.

Usage: test_budget.py BASE_URL [-k SUBSTRING]

Environment (set by tests/integration/suite.sh):
  STARLING_TEST_MAIL_DIR   the [mail] spool_dir (activation codes of the test's users)
  STARLING_TEST_APP_LOGS   the files the binaries' stderr goes to (blank-separated)

Every access log line ends with "mc=N db=N prep=N" (logfmt: test_access_line_fields checks every
field of the line, docs/operations.md "Logs"): the round trips that request made to
memcached (one per node asked), to MariaDB for statements, and to MariaDB preparing statements
on a process's connections (held to no budget: under plain CGI every request prepares). Each
check makes the request twice (the first warms the cache), then reads the second one's line by
its request ID (X-Request-Id) and holds it to the budget. A page of 20 posts from authors on
both instances, with reposts and quotes among them, is the case the budgets are written for: a
read path that goes back to one key or one statement per post fails here at once. Python
standard library only.
"""

import os
import subprocess
import sys
import time

sys.dont_write_bytecode = True   # keep tests/lib free of __pycache__
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from starling_test import (UserPool, api_post, check, check_envelope, check_eq, get,  # noqa: E402
                           logfmt, run_main, run_sql)

_users = UserPool("b")
_state = {}


def auth(user):
    return {"Authorization": "Bearer " + user["token"], "Cookie": "starling_token=" +
            user["token"]}


def world():
    """A viewer following three authors (both instances among them), 24 posts between them,
    two reposts and a quote of another author's posts, and some likes: made once."""
    if _state:
        return _state
    viewer, a, b, c = _users.across(4)
    for u in (a, b, c):
        check_envelope(api_post("user/follow", {"target_username": u["username"], "flag": 1},
                                viewer["token"]), 200, 0)
    ids = []
    for i in range(24):
        author = (a, b, c)[i % 3]
        r = api_post("post/create", {"content_text": "budget #b%d post %d" % (i % 2, i)},
                     author["token"])
        ids.append(check_envelope(r, 200, 0)["data"]["id"])
    other = _users.get(5)[4]
    orig = check_envelope(api_post("post/create", {"content_text": "an original"},
                                   other["token"]), 200, 0)["data"]["id"]
    check_envelope(api_post("post/repost", {"original_post_id": orig}, a["token"]), 200, 0)
    check_envelope(api_post("post/repost", {"original_post_id": ids[0]}, b["token"]), 200, 0)
    check_envelope(api_post("post/repost", {"original_post_id": orig, "content_text": "quoted"},
                            c["token"]), 200, 0)
    for p in ids[-5:]:
        check_envelope(api_post("post/like", {"post_id": p, "islike": 1}, viewer["token"]),
                       200, 0)
    _state.update(viewer=viewer, authors=(a, b, c), ids=ids)
    return _state


def access_line(request_id):
    """The fields of the request's access log line (logfmt, docs/operations.md "Logs"), waited
    for (the binary writes it after the response)."""
    files = os.environ.get("STARLING_TEST_APP_LOGS", "").split()
    check(files, "STARLING_TEST_APP_LOGS is not set")
    for _ in range(50):
        for f in files:
            try:
                with open(f, errors="replace") as fh:
                    for line in fh:
                        if "req=" + request_id not in line:
                            continue
                        fields = logfmt(line)
                        if fields.get("req") == request_id and fields.get("msg") == "request":
                            return fields
            except FileNotFoundError:
                pass
        time.sleep(0.1)
    raise AssertionError("no access log line for request %s in %s" % (request_id, files))


def line_of(request_id):
    """The memcached and MariaDB round trips of the request's access log line."""
    fields = access_line(request_id)
    return int(fields["mc"]), int(fields["db"])


def within(path, user, mc_max, db_max, want=200):
    """GETs path twice as user (None: a visitor); the second request's round trips must be
    within budget. Returns them."""
    headers = auth(user) if user else None
    get(path, headers)
    r = get(path, headers)
    check(r.status == want, "%s: status %d, want %d" % (path, r.status, want))
    rid = r.header("X-Request-Id")
    check(rid, "%s: no X-Request-Id" % path)
    mc, db = line_of(rid)
    check(mc <= mc_max and db <= db_max,
          "%s: %d memcached and %d MariaDB round trips, budget %d and %d" %
          (path, mc, db, mc_max, db_max))
    return mc, db


def test_home_timeline_and_page():
    w = world()
    data = check_envelope(get("/api/v1/timeline/home", auth(w["viewer"])), 200, 0)["data"]
    check(len(data["posts"]) == 20, "a full page: %d posts" % len(data["posts"]))
    types = {p["type"] for p in data["posts"]}
    check({"repost", "quote"} <= types, "reposts and quotes on the page: %r" % types)
    within("/api/v1/timeline/home", w["viewer"], 8, 3)
    within("/", w["viewer"], HOME_PAGE_MC, 3)
    # The next page reads as few.
    within("/api/v1/timeline/home?cursor=" + data["cursor"], w["viewer"], 8, 3)


def test_post_detail_and_page():
    w = world()
    pid = w["ids"][3]
    within("/api/v1/post/detail?post_id=" + pid, w["viewer"], 5, 1)
    within("/api/v1/post/detail?post_id=" + pid, None, 3, 0)
    within("/p/" + pid, w["viewer"], 8, 3)


# A post with this many replies, from authors on both instances: enough that a view per reply
# (two memcached round trips and a statement each, as /p/:id read them before post_replies
# became one post_view_many) is far over the budget.
THREAD_REPLIES = 8


def test_post_page_with_replies():
    """/p/:id and post/replies view the page's replies as one batch (post_view_many): the
    same budget as a page of a timeline, however many replies there are."""
    w = world()
    a, b, c = w["authors"]
    pid = check_envelope(api_post("post/create", {"content_text": "a thread"}, a["token"]),
                         200, 0)["data"]["id"]
    replies = [check_envelope(api_post("post/reply", {"original_post_id": pid,
                                                      "content_text": "reply %d" % i},
                                       (a, b, c)[i % 3]["token"]), 200, 0)["data"]["id"]
               for i in range(THREAD_REPLIES)]
    check_envelope(api_post("post/like", {"post_id": replies[2], "islike": 1},
                            w["viewer"]["token"]), 200, 0)
    data = check_envelope(get("/api/v1/post/replies?post_id=" + pid, auth(w["viewer"])), 200,
                          0)["data"]
    check([r["id"] for r in data["replies"]] == replies, "every reply, oldest first: %r" %
          [r["id"] for r in data["replies"]])
    # The batch tells each reply's own viewer state and author, as a view of each did.
    check([r["viewer"]["liked"] for r in data["replies"]] == [i == 2 for i in range(len(replies))],
          "liked: only the liked reply")
    check([r["author"]["id"] for r in data["replies"]] ==
          [(a, b, c)[i % 3]["id"] for i in range(THREAD_REPLIES)], "each reply's author")
    # The replies' page: the record, its replies' statement, the batch's two rounds (both
    # memcached nodes each) and, for a viewer, one statement for what they liked and reposted.
    within("/api/v1/post/replies?post_id=" + pid, w["viewer"], 7, 2)
    within("/api/v1/post/replies?post_id=" + pid, None, 5, 1)
    # /p/:id: the post's view as test_post_detail_and_page, then the replies' page as above,
    # the cards' counts and the header's badge (measured 10 and 11 with 8 replies; a view per
    # reply added up to three memcached round trips and a statement for each).
    within("/p/" + pid, w["viewer"], 12, 3)
    within("/p/" + pid, None, 8, 1)


def test_profile_and_stats():
    w = world()
    name = w["authors"][0]["username"]
    within("/api/v1/user/profile?username=" + name, w["viewer"], 5, 0)
    within("/api/v1/user/profile?username=" + name, None, 3, 0)
    within("/api/v1/post/stats?post_ids=" + ",".join(w["ids"][:20]), None, 2, 0)
    within("/u/" + name, w["viewer"], 10, 3)


def test_counts_reflect_a_write_in_the_same_request_flow():
    """The memo never serves a request's own write stale: a like, then the detail and the
    stats of the post show it at once."""
    w = world()
    pid = w["ids"][7]
    get("/api/v1/post/stats?post_ids=" + pid)
    check_envelope(api_post("post/like", {"post_id": pid, "islike": 1}, w["viewer"]["token"]),
                   200, 0)
    d = check_envelope(get("/api/v1/post/detail?post_id=" + pid, auth(w["viewer"])), 200,
                       0)["data"]
    check(d["viewer"]["liked"] is True, "liked at once: %r" % d["viewer"])
    s = check_envelope(get("/api/v1/post/stats?post_ids=" + pid), 200, 0)["data"]
    check(s[pid]["likes"] >= 1, "counted at once: %r" % s)


def statements(r, what):
    """The MariaDB statements of request r (a response), by its access log line."""
    rid = r.header("X-Request-Id")
    check(rid, "%s: no X-Request-Id" % what)
    return line_of(rid)[1]


def test_writes_in_a_bounded_number_of_statements():
    """post/create and post/like run a bounded number of statements, whatever jobs they
    queue: each job the request runs itself costs no claim and no read of its own (job.h). A
    post by an author with one follower (its push runs in the request, under [timeline]
    push_inline_max): the transaction (start, three writes, the jobs' insert, commit), the push
    (the post with its author's count, the followers) and the jobs' outcome: 10. A like: its
    transaction (5), like.sync (a transaction of 4 and a read), notify.like (the notification
    and a read), the jobs' outcome: at most 13 on a post and relations in the cache."""
    w = world()
    author, fan = _users.get(7)[5:7]
    check_envelope(api_post("user/follow", {"target_username": author["username"], "flag": 1},
                            fan["token"]), 200, 0)
    check_envelope(api_post("post/create", {"content_text": "warm"}, author["token"]), 200, 0)
    r = api_post("post/create", {"content_text": "a plain post"}, author["token"])
    pid = check_envelope(r, 200, 0)["data"]["id"]
    n = statements(r, "post/create")
    check(n <= 10, "post/create: %d statements, budget 10" % n)
    # The post and the relations between the two are cached once the viewer reads it.
    get("/api/v1/post/detail?post_id=" + pid, auth(w["viewer"]))
    r = api_post("post/like", {"post_id": pid, "islike": 1}, w["viewer"]["token"])
    check_envelope(r, 200, 0)
    n = statements(r, "post/like")
    check(n <= 13, "post/like: %d statements, budget 13" % n)
    # Taken back, the like runs as many.
    r = api_post("post/like", {"post_id": pid, "islike": 0}, w["viewer"]["token"])
    check_envelope(r, 200, 0)
    n = statements(r, "post/like (taken back)")
    check(n <= 14, "post/like taken back: %d statements, budget 14" % n)
    s = check_envelope(get("/api/v1/post/stats?post_ids=" + pid), 200, 0)["data"]
    check(s[pid]["likes"] == 0, "the like was taken back: %r" % s)


def test_search_one_statement_per_instance():
    """search/posts, search/users and search/hashtags ask each MariaDB instance once, its
    shards as one UNION (db_exec_instance), not once per shard (8 shards on 2 instances); a
    page of posts adds one statement for what the viewer liked and reposted."""
    w = world()
    within("/api/v1/search/posts?q=budget", w["viewer"], 12, 3)
    within("/api/v1/search/posts?q=budget", None, 12, 2)
    within("/api/v1/search/users?q=b", w["viewer"], 12, 2)
    within("/api/v1/search/hashtags?q=b", w["viewer"], 12, 2)
    data = check_envelope(get("/api/v1/search/posts?q=budget", auth(w["viewer"])), 200,
                          0)["data"]
    check(len(data["posts"]) == 20 and data.get("cursor"),
          "a full page from both instances, and a next one: %d posts" % len(data["posts"]))


# The home page: the timeline's 8, its side column's 3 (the trends' and the popular users'
# cached lists, and one multi-get of the popular users' profiles, counters and relations), and
# the header's unread badge, 1 (its cached count, notify_unread_badge).
HOME_PAGE_MC = 8 + 3 + 1


def test_home_side_column_with_popular_users():
    """The home page's side column (trends and popular users, as /explore) with popular users
    to show, some of them not on the timeline: the same budget however many there are (one
    multi-get for them all), and no SQL of its own."""
    w = world()
    ids = [u["id"] for u in w["authors"]] + [_users.get(5)[4]["id"]]
    shard0 = "DATABASE() LIKE '%\\\\_0000'"
    run_sql("; ".join("INSERT IGNORE INTO tb_recommended_user (user_id, sort_order) SELECT %s, "
                      "%d FROM DUAL WHERE %s" % (uid, i, shard0) for i, uid in enumerate(ids)))
    admin = os.environ.get("STARLING_TEST_ADMIN", "")
    check(admin, "STARLING_TEST_ADMIN is not set")
    check(subprocess.run(admin + " compute-trends", shell=True).returncode == 0, "compute-trends")
    try:
        r = get("/", auth(w["viewer"]))
        check(all('href="/u/%s"' % u["username"] in r.text.split('class="side"', 1)[-1]
                  for u in w["authors"]), "the side column shows the popular users")
        within("/", w["viewer"], HOME_PAGE_MC, 3)
    finally:
        run_sql("DELETE FROM tb_recommended_user WHERE user_id IN (%s)" % ",".join(ids))


def test_access_line_fields():
    """Every field of the access line, read back by a logfmt parser: the route's pattern, not the
    path; the user's id; a hostile path quoted so that it stays one field."""
    w = world()
    pid = w["ids"][3]
    r = get("/p/" + pid, auth(w["viewer"]))
    check_eq(r.status, 200, "the post page")
    f = access_line(r.header("X-Request-Id"))
    for key in ("ts", "level", "prog", "pid", "req", "msg", "method", "route", "path", "status",
                "dur_ms", "user", "bytes", "mc", "db", "prep"):
        check(key in f, "access line without %s: %r" % (key, f))
    check_eq((f["level"], f["prog"], f["method"], f["route"], f["path"], f["status"], f["user"]),
             ("info", "starling-post", "GET", "/p/:id", "/p/" + pid, "200", w["viewer"]["id"]),
             "the access line's fields")
    check(float(f["dur_ms"]) >= 0 and int(f["bytes"]) == len(r.body), "dur_ms and bytes: %r" % f)
    # A visitor, on a path with a quote, a space and '=': quoted, and parsed back whole.
    r = get("/u/a%22%20b=c")
    f = access_line(r.header("X-Request-Id"))
    check_eq((f["path"], f["user"], f["status"], f["route"]),
             ('/u/a" b=c', "-", str(r.status), "/u/:username"), "a hostile path")
    check("b" not in f and "c" not in f, "the path forged no field: %r" % f)
    # No route: a 404 of the binary itself.
    r = get("/api/v1/post/nothing")
    check_eq(access_line(r.header("X-Request-Id"))["route"], "-", "no route answered")


TESTS = [
    test_home_timeline_and_page,
    test_home_side_column_with_popular_users,
    test_post_detail_and_page,
    test_post_page_with_replies,
    test_profile_and_stats,
    test_counts_reflect_a_write_in_the_same_request_flow,
    test_writes_in_a_bounded_number_of_statements,
    test_search_one_statement_per_instance,
    test_access_line_fields,
]

if __name__ == "__main__":
    sys.exit(run_main(__doc__, TESTS))
