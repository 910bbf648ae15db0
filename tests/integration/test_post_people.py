#!/usr/bin/env python3
"""Who liked and who reposted a post, through the web server and real databases (across both
MariaDB instances): GET /api/v1/post/likers and reposters, newest first (paged by graph_list's
cursors, tested with the follower lists), a repost standing for its original, quotes not reposts, users in a block pair with the
viewer left out, a record the viewer may not see 404; and the pages /p/:id/likes and
/p/:id/reposts, linked from the post page, names escaped.

Usage: test_post_people.py BASE_URL   (run by tests/integration/suite.sh)
"""
import os
import sys
import urllib.parse

sys.dont_write_bytecode = True   # keep tests/lib free of __pycache__
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from starling_test import (UserPool, api_post, check, check_envelope, check_eq,  # noqa: E402
                           check_status, get, run_main)
from codes import INVALID_PARAM, MISSING_PARAM, NOT_FOUND  # noqa: E402

_users = UserPool("pp")


def call(path, fields, user):
    return check_envelope(api_post(path, fields, user["token"]), 200, 0)["data"]


def people(kind, pid, viewer=None, cursor=None, status=200, code=0):
    q = {"post_id": pid}
    if cursor is not None:
        q["cursor"] = cursor
    h = {"Authorization": "Bearer " + viewer["token"]} if viewer else None
    r = get("/api/v1/post/%s?%s" % (kind, urllib.parse.urlencode(q)), headers=h)
    return check_envelope(r, status, code)["data"]


def walk(kind, pid, viewer=None):
    out, cursor = [], None
    for _ in range(10):
        page = people(kind, pid, viewer, cursor)
        out += [u["username"] for u in page["users"]]
        cursor = page["cursor"]
        if cursor == "-1":
            return out
    raise AssertionError("no end after 10 pages")


def test_likers_and_reposters():
    us = _users.across(4)
    author, x, y, z = us
    pid = call("post/create", {"content_text": "who likes this"}, author)["id"]
    for u in (x, y, z):
        call("post/like", {"post_id": pid, "islike": 1}, u)
    check_eq(walk("likers", pid), [z["username"], y["username"], x["username"]],
             "likers, newest first")
    call("post/like", {"post_id": pid, "islike": 0}, y)
    check_eq(walk("likers", pid), [z["username"], x["username"]], "an unlike leaves the list")
    rp = call("post/repost", {"original_post_id": pid}, x)["id"]
    call("post/repost", {"original_post_id": pid, "content_text": "a quote is not a repost"}, z)
    check_eq(walk("reposters", pid), [x["username"]], "reposters: the repost, not the quote")
    check_eq(walk("likers", rp), walk("likers", pid), "a repost stands for its original")
    # z blocks the viewer y: z is left out of y's lists, not of others'.
    call("user/block", {"target_username": y["username"], "flag": 1}, z)
    check_eq(walk("likers", pid, y), [x["username"]], "a user in a block pair is left out")
    check_eq(walk("likers", pid, x), [z["username"], x["username"]], "others still see z")
    # The author blocks y: the post is hidden from y, so are its lists.
    call("user/block", {"target_username": y["username"], "flag": 1}, author)
    people("likers", pid, y, status=404, code=NOT_FOUND)
    people("reposters", pid, y, status=404, code=NOT_FOUND)
    call("user/block", {"target_username": y["username"], "flag": 0}, author)
    call("user/block", {"target_username": y["username"], "flag": 0}, z)


def test_errors():
    a, = _users.get(1)
    pid = call("post/create", {"content_text": "errors"}, a)["id"]
    check_envelope(get("/api/v1/post/likers"), 400, MISSING_PARAM)
    people("likers", "999999999999", status=404, code=NOT_FOUND)
    people("reposters", pid, cursor="01", status=400, code=INVALID_PARAM)
    call("post/delete", {"post_id": pid}, a)
    people("likers", pid, status=404, code=NOT_FOUND)


def test_pages():
    a, b = _users.get(2)
    call("user/save_info", {"display_name": "<i>Bee</i> & co"}, b)
    pid = call("post/create", {"content_text": "the page of people"}, a)["id"]
    call("post/like", {"post_id": pid, "islike": 1}, b)
    r = get("/p/" + pid)
    check_status(r, 200)
    check('href="/p/%s/likes"' % pid in r.text and 'href="/p/%s/reposts"' % pid in r.text,
          "the post page links to its lists")
    r = get("/p/%s/likes" % pid)
    check_status(r, 200)
    check('href="/u/%s"' % b["username"] in r.text, "the liker is listed")
    check("&lt;i&gt;Bee&lt;/i&gt; &amp; co" in r.text and "<i>Bee" not in r.text,
          "the display name escaped")
    check('href="/p/%s"' % pid in r.text, "a link back to the post")
    r = get("/p/%s/reposts" % pid)
    check_status(r, 200)
    check('class="empty"' in r.text, "no reposts: the empty text")
    check_status(get("/p/999999999999/likes"), 404)
    check_status(get("/p/%s/likes?cursor=x" % pid), 400)


TESTS = [test_likers_and_reposters, test_errors, test_pages]

if __name__ == "__main__":
    sys.exit(run_main(__doc__, TESTS))
