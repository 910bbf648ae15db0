#!/usr/bin/env python3
"""HTTP tests of the profile's lists (/api/v1/user/posts, replies, likes) through the web server
and real databases.

Usage: test_lists.py BASE_URL [-k SUBSTRING]

Environment (set by tests/integration/suite.sh):
  STARLING_TEST_MAIL_DIR    the [mail] spool_dir (activation codes of the test's users)

Python standard library only. One PASS/FAIL line per test, then "N passed, M failed".
"""

import os
import sys
import urllib.parse

sys.dont_write_bytecode = True   # keep tests/lib free of __pycache__
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from starling_test import (UserPool, api_post, check, check_envelope, check_eq, get,  # noqa: E402
                           run_main)
from codes import INVALID_PARAM, MISSING_PARAM, NOT_FOUND  # noqa: E402

PAGE = 20

# --- helpers -----------------------------------------------------------------------------------

_users = UserPool("l")
users = _users.get


def call(path, fields, user):
    """A POST to /api/v1/post/PATH as user, which must succeed; returns the envelope's data."""
    return check_envelope(api_post("post/" + path, fields, user["token"]), 200, 0)["data"]


def create(user, text):
    return call("create", {"content_text": text}, user)["id"]


def reply(user, to, text):
    return call("reply", {"original_post_id": to, "content_text": text}, user)["id"]


def like(user, pid, on=True):
    call("like", {"post_id": pid, "islike": 1 if on else 0}, user)


def tab(name, username, cursor=None, viewer=None, status=200, code=0):
    """One page of a tab: the envelope's data ({posts, cursor}) or, for an error, None."""
    q = {"username": username}
    if cursor is not None:
        q["cursor"] = cursor
    h = {"Authorization": "Bearer " + viewer["token"]} if viewer else None
    r = get("/api/v1/user/%s?%s" % (name, urllib.parse.urlencode(q)), headers=h)
    data = check_envelope(r, status, code)["data"]
    if code == 0:
        check_eq(sorted(data), ["cursor", "posts"], "%s: members" % name)
    return data


def ids(page):
    return [p["id"] for p in page["posts"]]


def walk(name, username, between=None):
    """Every page of a tab from the first to cursor "-1": the pages (lists of IDs). between(i) runs
    after page i is read, before the next request."""
    pages, cursor = [], None
    while True:
        page = tab(name, username, cursor)
        pages.append(ids(page))
        check(len(page["posts"]) <= PAGE + 1, "%s: page of %d" % (name, len(page["posts"])))
        cursor = page["cursor"]
        if cursor == "-1":
            return pages
        check(len(pages) < 10, "%s: no end after 10 pages" % name)
        if between:
            between(len(pages) - 1)


# --- the tabs ----------------------------------------------------------------------------------

def test_each_tab_newest_first():
    a, b, _ = users(3)
    b1, b2 = create(b, "b one"), create(b, "b two")
    p1 = create(a, "a first")
    q1 = call("repost", {"original_post_id": b1, "content_text": "a quotes"}, a)["id"]
    r1 = call("repost", {"original_post_id": b2}, a)["id"]
    p2 = create(a, "a last")
    rp1, rp2 = reply(a, b1, "a answers one"), reply(a, b2, "a answers two")
    like(a, b2)
    like(a, rp1)   # a reply can be liked too
    like(a, b1)

    page = tab("posts", a["username"])
    # Earlier tests may have left older posts of a below these.
    check_eq(ids(page)[:4], [p2, r1, q1, p1], "posts tab")
    check_eq([p["type"] for p in page["posts"][:4]], ["post", "repost", "quote", "post"],
             "types")
    check_eq({p["author"]["username"] for p in page["posts"]}, {a["username"]}, "authors")
    check_eq(page["posts"][1]["original"]["id"], b2, "the repost embeds its original")
    check_eq(page["cursor"], "-1", "one page only")
    check("pinned" not in page["posts"][0], "nothing pinned yet")

    page = tab("replies", a["username"])
    check_eq(ids(page)[:2], [rp2, rp1], "replies tab")
    check_eq({p["type"] for p in page["posts"]}, {"reply"}, "reply types")
    check_eq(page["cursor"], "-1", "replies: one page")

    page = tab("likes", a["username"], viewer=a)
    check_eq(ids(page)[:3], [b1, rp1, b2], "likes tab: newest like first")
    check_eq({p["viewer"]["liked"] for p in page["posts"]}, {True}, "the liker sees liked")
    check("viewer" not in tab("likes", a["username"])["posts"][0], "a visitor has no viewer")

    # Another user's tabs do not leak into these: b's posts tab has b's posts only.
    check_eq(ids(tab("posts", b["username"]))[:2], [b2, b1], "b's posts")
    check_eq(ids(tab("replies", b["username"])), [], "b wrote no reply")


def test_deleted_and_unliked_disappear():
    a, b, _ = users(3)
    keep, gone = create(a, "stays"), create(a, "goes")
    b_post = create(b, "to answer and like")
    b_gone = create(b, "liked, then deleted by b")
    r_keep, r_gone = reply(a, b_post, "reply stays"), reply(a, b_post, "reply goes")
    like(a, b_post)
    like(a, b_gone)
    check({keep, gone} <= set(ids(tab("posts", a["username"]))), "both posts listed first")
    check({r_keep, r_gone} <= set(ids(tab("replies", a["username"]))), "both replies listed")
    check({b_post, b_gone} <= set(ids(tab("likes", a["username"]))), "both likes listed")

    call("delete", {"post_id": gone}, a)
    call("delete", {"post_id": r_gone}, a)
    like(a, b_post, False)
    call("delete", {"post_id": b_gone}, b)

    posts, replies = ids(tab("posts", a["username"])), ids(tab("replies", a["username"]))
    likes = ids(tab("likes", a["username"]))
    check(keep in posts and gone not in posts, "deleted post: %r" % posts)
    check(r_keep in replies and r_gone not in replies, "deleted reply: %r" % replies)
    check(b_post not in likes, "unliked post still in likes: %r" % likes)
    check(b_gone not in likes, "a liked post deleted by its author still in likes: %r" % likes)


def test_pagination_with_inserts_and_pin():
    """Three pages of posts and of likes, with new rows added between the requests: every item
    that existed at the first request comes exactly once, in order; nothing added later
    appears (it is newer than the cursor); the pinned post heads page one only."""
    _, _, c = users(3)
    made = [create(c, "post %d" % i) for i in range(2 * PAGE + 5)]
    pinned = made[PAGE + 3]   # would fall on page two
    call("pin", {"post_id": pinned, "ispin": 1}, c)
    later = []

    def insert(i):
        later.append(create(c, "added after page %d" % i))

    pages = walk("posts", c["username"], insert)
    check_eq(len(pages), 3, "pages of posts")
    first = tab("posts", c["username"])["posts"][0]
    check_eq(first.get("pinned"), True, "the pinned post is flagged")
    flat = [i for p in pages for i in p]
    check_eq(flat[0], pinned, "the pinned post comes first")
    check_eq(flat[1:], [i for i in reversed(made) if i != pinned], "no repeat, no gap, in order")
    check_eq(len(later), 2, "posts added between the pages")

    for i in made:
        like(c, i)
    liked_later = []

    def like_more(i):
        liked_later.append(later[i])
        like(c, later[i])

    pages = walk("likes", c["username"], like_more)
    check_eq(len(pages), 3, "pages of likes")
    check_eq([i for p in pages for i in p], list(reversed(made)), "likes: no repeat, no gap")
    check_eq(ids(tab("likes", c["username"]))[:2], list(reversed(liked_later)),
             "the later likes head a new first page")

    call("pin", {"post_id": pinned, "ispin": 0}, c)
    check("pinned" not in tab("posts", c["username"])["posts"][0], "unpinned: not flagged")


def test_errors():
    a, _, _ = users(3)
    for name in ("posts", "replies", "likes"):
        tab(name, "nobody" + os.urandom(4).hex(), status=404, code=NOT_FOUND)
        r = get("/api/v1/user/%s" % name)
        check_envelope(r, 400, MISSING_PARAM)
        for bad in ("abc", "0", "-2", "1,2", " 5", "99999999999999999999"):
            tab(name, a["username"], bad, status=400, code=INVALID_PARAM)
        # The cursor of the last page answers an empty last page; an unknown user is still 404.
        check_eq(tab(name, a["username"], "-1"), {"posts": [], "cursor": "-1"}, "-1 cursor")
        tab(name, "nobody" + os.urandom(4).hex(), "-1", status=404, code=NOT_FOUND)
        # An empty cursor is the first page.
        check_eq(tab(name, a["username"], ""), tab(name, a["username"]), "empty cursor")
    r = api_post("user/posts", {"username": a["username"]})
    check_eq(r.status, 405, "POST is not allowed")


TESTS = [v for k, v in sorted(globals().items()) if k.startswith("test_")]


if __name__ == "__main__":
    sys.exit(run_main(__doc__, TESTS))
