#!/usr/bin/env python3
"""HTTP tests of the home timeline (GET /api/v1/timeline/home and the home page /) through the
web server, both MariaDB instances and both memcached servers.

Usage: test_timeline.py BASE_URL [-k SUBSTRING]

Environment (set by tests/integration/suite.sh):
  STARLING_TEST_MAIL_DIR    the [mail] spool_dir (activation codes of the test's users)
  STARLING_TEST_SQL         a command that runs SQL in every shard database (the truth the
                            timelines are checked against; old posts written in bulk)
  STARLING_TEST_MEMCACHED   "host:port host:port": every memcached server (flush_all, and
                            deleting one cached list as an eviction would)
  STARLING_TEST_WORKER_CTL  optional: start|stop|once the test stack's starling-worker; the
                            cold-cache test runs with it stopped
The stack's [timeline] push_max_followers is 3 (script/lib/stack.sh): an author with 3 or more
followers is pulled at read time, not pushed. Its push_inline_max is 1: the push of an author
with 2 followers is left to starling-worker, one with at most 1 is pushed by the request.

What a timeline must be is read from the database (tb_post, tb_user_relationship): the posts of
the viewer and of everyone they follow, not muted, not blocking or blocked, not deleted, newest
first. Python standard library only. One PASS/FAIL line per test, then "N passed, M failed".
"""

import html
import json
import os
import subprocess
import sys
import time

sys.dont_write_bytecode = True   # keep tests/lib free of __pycache__
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from starling_test import (UserPool, api_post, check, check_envelope, check_eq, get,  # noqa: E402
                           instance_of, memcached, memcached_servers, run_main, run_sql)
from codes import INVALID_PARAM, UNAUTHORIZED  # noqa: E402

PAGE = 20
PUSH_MAX_FOLLOWERS = 3
PUSH_INLINE_MAX = 1
KEY_PREFIX = "starling:"

_users = UserPool("t")
# Fresh users whose follower counts only the push tests set (the pool above gathers follows
# test after test).
_fresh = UserPool("tq")


# --- helpers -----------------------------------------------------------------------------------

def auth(user):
    return {"Authorization": "Bearer " + user["token"]}


def home(user, cursor=None, status=200, code=0):
    """One page of user's timeline (the envelope's data)."""
    path = "/api/v1/timeline/home"
    if cursor is not None:
        path += "?cursor=" + cursor
    r = get(path, auth(user) if user else None)
    return check_envelope(r, status, code)["data"]


def all_pages(user, between=None):
    """Every post ID of user's timeline, page by page; each page at most PAGE posts, the
    cursor the last ID of its page, no ID twice. between(n) runs after page n."""
    ids, cursor, n = [], None, 0
    while True:
        d = home(user, cursor)
        got = [p["id"] for p in d["posts"]]
        check(len(got) <= PAGE, "page %d has %d posts" % (n, len(got)))
        ids += got
        n += 1
        if d["cursor"] == "-1":
            break
        check(got, "page %d is empty but has a cursor %s" % (n, d["cursor"]))
        check_eq(d["cursor"], got[-1], "cursor of page %d" % n)
        cursor = d["cursor"]
        if between:
            between(n)
        check(n < 200, "more than 200 pages")
    check_eq(len(ids), len(set(ids)), "no post twice in the timeline")
    return ids


def ids_list(rows):
    return [r[0] for r in rows]


def truth(user):
    """The timeline user must see, newest first, from the database."""
    u = int(user["id"])
    followed = set(ids_list(run_sql(
        "SELECT target_user FROM tb_user_relationship WHERE user_id = %d AND status_follow = 1 "
        "AND status_mute = 0" % u)))
    blockers = set(ids_list(run_sql(
        "SELECT user_id FROM tb_user_relationship WHERE target_user = %d AND status_follow = 2"
        % u)))
    authors = (followed - blockers) | {str(u)}
    rows = run_sql("SELECT id FROM tb_post WHERE is_deleted = 0 AND user_id IN (%s)"
                   % ", ".join(sorted(authors)))
    return sorted(ids_list(rows), key=int, reverse=True)


def post(user, text):
    r = api_post("post/create", {"content_text": text}, user["token"])
    return check_envelope(r, 200, 0)["data"]["id"]


def act(path, user, target, flag):
    r = api_post("user/" + path, {"target_username": target["username"], "flag": flag},
                 user["token"])
    check_envelope(r, 200, 0)


def flush_all():
    for addr in memcached_servers():
        check(memcached(addr, "flush_all").startswith(b"OK"), "flush_all on " + addr)


def evict_list(user):
    """Deletes user's cached list on every server, as an eviction would (the rest stays)."""
    answers = [memcached(a, "delete %stl:%s" % (KEY_PREFIX, user["id"]))
               for a in memcached_servers()]
    return b"DELETED\r\n" in answers


def worker(cmd):
    ctl = os.environ.get("STARLING_TEST_WORKER_CTL", "")
    if ctl:
        subprocess.run([ctl, cmd], check=True)


def first_page_ids(user):
    return [p["id"] for p in home(user)["posts"]]


# --- errors ------------------------------------------------------------------------------------

def test_visitor_and_bad_cursors():
    v, = _users.get(1)
    home(None, status=401, code=UNAUTHORIZED)
    for bad in ["abc", "0", "12x", "-2", "1,2", "99999999999999999999"]:
        home(v, bad, 400, INVALID_PARAM)
    d = home(v, "-1")
    check_eq((d["posts"], d["cursor"]), ([], "-1"), "past the last page")
    r = api_post("timeline/home", {}, v["token"])
    check_eq(r.status, 405, "POST on the timeline")


# --- order and pages ---------------------------------------------------------------------------

def test_pages_in_order_while_posts_arrive():
    v, b, c = _users.across(3)
    check(instance_of(b) != instance_of(v) or instance_of(c) != instance_of(v),
          "the authors are on both instances")
    act("follow", v, b, 1)
    act("follow", v, c, 1)
    made = []
    for i in range(15):
        for u in (b, c, v):
            made.append(post(u, "order %d by %s" % (i, u["username"])))
    want = truth(v)
    check_eq(want[:45], list(reversed(made)), "the 45 new posts are the newest, in order")
    arrived = []

    def between(n):
        # New posts between page requests are newer than every cursor: no repeat, no gap.
        arrived.append(post(b if n % 2 else c, "arrived after page %d" % n))
    got = all_pages(v, between)
    check_eq(got, want, "the pages, end to end")
    if len(want) == 45:
        check_eq(len(arrived), 2, "three pages of 20, 20 and 5")
    check_eq(first_page_ids(v)[:len(arrived)], list(reversed(arrived)),
             "the posts that arrived meanwhile head the first page")
    check_eq(all_pages(v), truth(v), "again, from the warm list")


def test_own_and_followed_posts_carry_their_views():
    v, b = _users.across(2)
    act("follow", v, b, 1)
    pid = post(b, "viewed post")
    page = home(v)["posts"]
    mine = [p for p in page if p["id"] == pid]
    check_eq(len(mine), 1, "b's post on v's first page")
    p = mine[0]
    check_eq(p["author"]["username"], b["username"], "author")
    check_eq(p["contentText"], "viewed post", "text")
    check_eq(p["viewer"], {"liked": False, "reposted": False, "bookmarked": False,
                            "own": False}, "viewer")
    check_envelope(api_post("post/like", {"post_id": pid, "islike": 1}, v["token"]), 200, 0)
    p = [x for x in home(v)["posts"] if x["id"] == pid][0]
    check_eq(p["viewer"]["liked"], True, "liked, seen on the timeline")


# --- mute, block, unfollow, delete ---------------------------------------------------------------

def test_mute_block_unfollow_delete():
    v, b, c = _users.across(3)
    act("follow", v, b, 1)
    act("follow", v, c, 1)
    pb, pc = post(b, "from b"), post(c, "from c")
    first = first_page_ids(v)
    check(pb in first and pc in first, "both posts shown")

    act("mute", v, c, 1)
    check(pc not in first_page_ids(v), "muted: c's post gone")
    check_eq(all_pages(v), truth(v), "muted, whole timeline")
    act("mute", v, c, 0)
    check(pc in first_page_ids(v), "unmuted: back")

    act("block", c, v, 1)       # c blocks v: gone, and the follow ends
    check(pc not in first_page_ids(v), "blocked by c: gone")
    check_eq(all_pages(v), truth(v), "blocked, whole timeline")
    act("block", c, v, 0)
    act("follow", v, c, 1)
    check(pc in first_page_ids(v), "unblocked and followed again: back")

    act("block", v, b, 1)       # v blocks b
    check(pb not in first_page_ids(v), "v blocks b: gone")
    act("block", v, b, 0)
    act("follow", v, b, 1)
    check(pb in first_page_ids(v), "v unblocks and follows b again")

    act("follow", v, b, 0)
    check(pb not in first_page_ids(v), "unfollowed: gone")
    check_eq(all_pages(v), truth(v), "unfollowed, whole timeline")
    act("follow", v, b, 1)
    check(pb in first_page_ids(v), "followed again: back")

    check_envelope(api_post("post/delete", {"post_id": pb}, b["token"]), 200, 0)
    check(pb not in first_page_ids(v), "deleted: gone")
    check_eq(all_pages(v), truth(v), "after the delete, whole timeline")


def test_pushed_post_of_an_unfollowed_author_is_left_out():
    """A push that raced an unfollow lands in the list; the read leaves it out."""
    v, b = _users.across(2)
    act("follow", v, b, 1)
    home(v)                                  # the list is cached
    act("follow", v, b, 0)
    home(v)                                  # rebuilt without b
    # The reversed row comes back as if follow.sync had not run yet: b's next post is pushed
    # to v's list though v no longer follows b.
    run_sql("INSERT IGNORE INTO tb_user_relationship_reversed (user_id, follower_id, id, "
            "created_at) SELECT id, %s, id, 0 FROM tb_user WHERE id = %s" % (v["id"], b["id"]))
    try:
        pid = post(b, "pushed after the unfollow")
        check(pid not in first_page_ids(v), "an author no longer followed is left out")
        check_eq(all_pages(v), truth(v), "whole timeline")
    finally:
        run_sql("DELETE FROM tb_user_relationship_reversed WHERE user_id = %s AND "
                "follower_id = %s" % (b["id"], v["id"]))


# --- reposts and quotes ------------------------------------------------------------------------

def test_reposts_and_quotes_appear():
    v, b, c = _users.across(3)
    act("follow", v, b, 1)
    original = post(c, "an original by c")
    r = api_post("post/repost", {"original_post_id": original}, b["token"])
    repost = check_envelope(r, 200, 0)["data"]["id"]
    r = api_post("post/repost", {"original_post_id": original, "content_text": "b quotes"},
                 b["token"])
    quote = check_envelope(r, 200, 0)["data"]["id"]
    page = {p["id"]: p for p in home(v)["posts"]}
    check(repost in page and quote in page, "the repost and the quote of b are shown")
    check_eq(page[repost]["type"], "repost", "repost type")
    check_eq(page[quote]["type"], "quote", "quote type")
    for pid in (repost, quote):
        check_eq(page[pid]["original"]["id"], original, "embedded original")
        check_eq(page[pid]["original"]["author"]["username"], c["username"], "its author")
    check_eq(all_pages(v), truth(v), "whole timeline")
    # The viewer blocks the original's author: the repost goes with its original, the quote's
    # own words stay with the original shown as gone (as post/detail and every list show it).
    act("block", v, c, 1)
    try:
        page = {p["id"]: p for p in home(v)["posts"]}
        check(repost not in page, "a repost of a blocked author's post goes with it")
        check(quote in page and page[quote]["original"] is None,
              "the quote stays, its original gone: %r" % page.get(quote))
    finally:
        act("block", v, c, 0)


# --- push and pull ------------------------------------------------------------------------------

def test_high_follower_author_is_pulled_at_read():
    us = _users.across(PUSH_MAX_FOLLOWERS + 2)
    star, v, followers = us[0], us[1], us[2:]
    for u in [v] + followers:
        act("follow", u, star, 1)
    count = check_envelope(get("/api/v1/user/profile?username=" + star["username"]), 200,
                           0)["data"]["countFollowers"]
    check(count >= PUSH_MAX_FOLLOWERS, "star has %d followers" % count)
    before = home(v)                         # v's list is cached now, without the new post
    check(before is not None, "first read")
    pid = post(star, "from a star")
    check_eq(first_page_ids(v)[0], pid, "pulled and merged at read")
    for u in followers:
        check(pid in first_page_ids(u), "pulled for every follower")
    check_eq(all_pages(v), truth(v), "whole timeline")
    # An ordinary author with a cached list: pushed.
    home(star)
    act("follow", star, v, 1)
    home(star)
    pid2 = post(v, "to the star's timeline")
    check_eq(first_page_ids(star)[0], pid2, "pushed into a cached list")


def push_job_state(pid):
    """The state of post pid's timeline.push job (0 ready, 2 done), read from tb_job."""
    rows = run_sql("SELECT state FROM tb_job WHERE type = 'timeline.push' AND "
                   "JSON_VALUE(payload, '$.post_id') = '%s'" % pid)
    check_eq(len(rows), 1, "one timeline.push job for post %s" % pid)
    return int(rows[0][0])


def pushed_with_worker_stopped(n_followers):
    """A fresh author with n_followers fresh followers, whose lists are cached, posts while the
    worker is stopped. Returns (author, followers, post ID); the worker is stopped on return."""
    us = _fresh.get(len(_fresh.users) + n_followers + 1)[-(n_followers + 1):]
    author, followers = us[0], us[1:]
    for u in followers:
        act("follow", u, author, 1)
    check_eq(check_envelope(get("/api/v1/user/profile?username=" + author["username"]), 200,
                            0)["data"]["countFollowers"], n_followers, "followers of the author")
    for u in followers + [author]:
        home(u)                              # every list cached, without the new post
    check(os.environ.get("STARLING_TEST_WORKER_CTL"), "STARLING_TEST_WORKER_CTL is not set")
    worker("stop")
    return author, followers, post(author, "pushed by whom?")


def test_push_above_inline_max_is_left_to_the_worker():
    try:
        author, followers, pid = pushed_with_worker_stopped(PUSH_INLINE_MAX + 1)
        # The request answered without pushing: the job is still ready, the followers' cached
        # lists lack the post; the author's own list has it at once.
        check_eq(push_job_state(pid), 0, "the push job is left queued")
        for u in followers:
            check(pid not in first_page_ids(u), "not pushed by the request")
        check_eq(first_page_ids(author)[0], pid, "the author's own timeline has it at once")
        worker("once")
    finally:
        worker("start")
    check_eq(push_job_state(pid), 2, "the worker ran the push")
    for u in followers:
        check_eq(first_page_ids(u)[0], pid, "pushed by the worker into a cached list")
        check_eq(all_pages(u), truth(u), "whole timeline")


def test_push_up_to_inline_max_runs_in_the_request():
    try:
        author, followers, pid = pushed_with_worker_stopped(PUSH_INLINE_MAX)
        check_eq(push_job_state(pid), 2, "the request ran the push")
        for u in followers:
            check_eq(first_page_ids(u)[0], pid, "pushed by the request into a cached list")
        check_eq(first_page_ids(author)[0], pid, "the author's own timeline")
    finally:
        worker("start")


# --- cold caches -------------------------------------------------------------------------------

def test_same_after_flush_and_eviction():
    v, b, c = _users.across(3)
    act("follow", v, b, 1)
    act("follow", v, c, 1)
    for i in range(3):
        post(b, "warm %d" % i)
        post(c, "warm %d" % i)
    warm = all_pages(v)
    check_eq(warm, truth(v), "warm timeline")
    worker("stop")
    try:
        flush_all()
        check_eq(all_pages(v), warm, "after flush_all on every memcached server")
        home(v)
        check(evict_list(v), "the list was cached (and is now evicted)")
        check_eq(all_pages(v), warm, "after the list alone was evicted")
        flush_all()
        pid = post(b, "posted while the cache was empty")
        check_eq(first_page_ids(v)[0], pid, "a post made on a cold cache")
        check_eq(all_pages(v), truth(v), "cold, whole timeline")
    finally:
        worker("start")


def bulk_old_posts(author, n):
    """n old posts of author written straight into their shard (IDs as lib/base/id.h makes them,
    a day ago, with worker 255, which no test process leases)."""
    ms = int(time.time() * 1000) - 1767225600000 - 86400000
    shard = (int(author["id"]) >> 12) & 1023
    base = (ms << 22) | (shard << 12) | (255 << 4)
    run_sql("INSERT INTO tb_post (id, user_id, content_text, created_at) "
            "SELECT %d + (s.n << 22), u.id, CONCAT('bulk ', s.n), %d FROM "
            "(WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < %d) "
            "SELECT n FROM seq) s JOIN tb_user u ON u.id = %s"
            % (base, ms // 1000 + 1767225600, n, author["id"]))


def test_deep_pages_below_the_cached_list():
    """More posts than a cached list holds (800): the pages below it come from the database,
    with the same order and nothing lost."""
    x, y = _users.across(2)[::-1]
    bulk_old_posts(y, 830)
    act("follow", x, y, 1)
    post(y, "new on top of the old ones")
    want = truth(x)
    check(len(want) > 830, "%d posts" % len(want))
    check_eq(all_pages(x), want, "every page, through the cache's end")
    flush_all()
    check_eq(all_pages(x), want, "again on a cold cache")


# --- the home page -----------------------------------------------------------------------------

def test_home_page():
    v, b = _users.across(2)
    r = get("/")
    check_eq(r.status, 200, "visitor's home page")
    body = r.text
    check('href="/login"' in body and 'href="/signup"' in body, "landing: login and sign-up")
    check("landing-discover" in body, "the landing page's discover section")
    act("follow", v, b, 1)
    for i in range(PAGE):
        post(b, "filler %d" % i)      # the first two pages meet between two plain posts
    text = "home page <b>post</b> %s" % os.urandom(3).hex()
    pid = post(b, text)
    r = get("/", auth(v))
    check_eq(r.status, 200, "logged-in home page")
    body = r.text
    check("/p/" + pid in body, "b's post has its card on /")
    check("home page &lt;b&gt;post&lt;/b&gt;" in body, "its text escaped")
    check('name="content_text"' in body, "the compose box")
    check_eq(get("/?cursor=abc", auth(v)).status, 400, "a bad page cursor")
    want = truth(v)
    check(len(want) > PAGE, "more than a page")
    # Attribute values come escaped ("/" and "=" may be character references).
    check('rel="next" href="/?cursor=%s"' % want[PAGE - 1] in html.unescape(body),
          "the Older link, to below the last post shown")
    r = get("/?cursor=" + want[PAGE - 1], auth(v))
    check_eq(r.status, 200, "the older page")
    check('id="post-%s"' % want[PAGE] in r.text, "the older page starts below the cursor")
    check('id="post-%s"' % want[PAGE - 1] not in r.text, "and not at the cursor")


def test_record_cached_before_the_warnings():
    """A post cached before sql/019 (its JSON without contentWarning and sensitive, as the old
    code wrote it) is answered with both, empty, by the single and the batch reads."""
    a, = _users.get(1)
    pid = check_envelope(api_post("post/create", {"content_text": "cached long ago"}, a["token"]),
                         200, 0)["data"]["id"]
    d = check_envelope(get("/api/v1/post/detail?post_id=" + pid), 200, 0)["data"]
    old = {k: v for k, v in d.items() if k not in ("contentWarning", "sensitive", "author",
                                                      "viewer", "original", "image")}
    old["contentText"] = "from the cache"   # so the answer shows the copy was the one read
    body = "v" + json.dumps(old, separators=(",", ":"))   # "v": a value (lib/store/cache_int.h)
    # Set on both servers: the one the key hashes to serves it, the other never asks.
    for addr in memcached_servers():
        check(memcached(addr, "set %spost:%s 0 300 %d\r\n%s" % (KEY_PREFIX, pid,
                        len(body.encode()), body)).startswith(b"STORED"), "set on " + addr)
    d = check_envelope(get("/api/v1/post/detail?post_id=" + pid), 200, 0)["data"]
    check_eq((d["contentText"], d["contentWarning"], d["sensitive"]),
             ("from the cache", "", False), "detail of the old cached copy")
    posts = check_envelope(get("/api/v1/user/posts?username=" + a["username"]), 200,
                           0)["data"]["posts"]
    mine = [p for p in posts if p["id"] == pid]
    check(mine and mine[0]["contentText"] == "from the cache" and
          mine[0]["contentWarning"] == "" and mine[0]["sensitive"] is False,
          "the batch read of the old cached copy: %r" % mine)


TESTS = [
    test_record_cached_before_the_warnings,
    test_visitor_and_bad_cursors,
    test_pages_in_order_while_posts_arrive,
    test_own_and_followed_posts_carry_their_views,
    test_mute_block_unfollow_delete,
    test_pushed_post_of_an_unfollowed_author_is_left_out,
    test_reposts_and_quotes_appear,
    test_high_follower_author_is_pulled_at_read,
    test_push_above_inline_max_is_left_to_the_worker,
    test_push_up_to_inline_max_runs_in_the_request,
    test_same_after_flush_and_eviction,
    test_deep_pages_below_the_cached_list,
    test_home_page,
]


if __name__ == "__main__":
    sys.exit(run_main(__doc__, TESTS))
