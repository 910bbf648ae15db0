#!/usr/bin/env python3
"""Bookmarks through the web server and real databases (across both MariaDB instances): add and
remove are idempotent; the list is the caller's own, newest bookmark first, paged by cursor
without repeats; a repost stands for its original; a deleted post and one whose author and the
user block each other leave the list (and come back on unblock); viewer.bookmarked on every
view; the errors; the page /bookmarks and the cards' bookmark button (a form with the CSRF
token, without script).

Usage: test_bookmarks.py BASE_URL   (run by tests/integration/suite.sh)
"""
import os
import re
import sys
import urllib.parse

sys.dont_write_bytecode = True   # keep tests/lib free of __pycache__
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from starling_test import (Page, UserPool, api_post, check, check_envelope, check_eq,  # noqa: E402
                           check_status, get, request, run_main)
from codes import INVALID_PARAM, MISSING_PARAM, NOT_FOUND, UNAUTHORIZED  # noqa: E402

PAGE = 20   # POSTLIST_PAGE, lib/social/postlist.h

_users = UserPool("bm")


def call(path, fields, user, status=200, code=0):
    return check_envelope(api_post("post/" + path, fields, user["token"]), status, code)["data"]


def create(user, text):
    return call("create", {"content_text": text}, user)["id"]


def bookmark(user, pid, on=True, status=200, code=0):
    return call("bookmark", {"post_id": pid, "isbookmark": 1 if on else 0}, user, status, code)


def listing(user, cursor=None, status=200, code=0):
    q = "" if cursor is None else "?cursor=" + urllib.parse.quote(cursor)
    r = get("/api/v1/post/bookmarks" + q, headers={"Authorization": "Bearer " + user["token"]})
    return check_envelope(r, status, code)["data"]


def ids(user):
    """Every bookmarked ID, walking the pages to cursor "-1"."""
    out, cursor = [], None
    for _ in range(10):
        page = listing(user, cursor)
        out += [p["id"] for p in page["posts"]]
        cursor = page["cursor"]
        if cursor == "-1":
            return out
    raise AssertionError("no end of the list after 10 pages")


def detail(pid, user):
    r = get("/api/v1/post/detail?post_id=" + pid, headers={"Authorization": "Bearer " + user["token"]})
    return check_envelope(r, 200, 0)["data"]


def test_add_remove_idempotent_and_private():
    a, b, c = _users.across(3)   # a and b on different MariaDB instances
    p1, p2 = create(b, "first to keep"), create(b, "second to keep")
    check_eq(bookmark(a, p1), None, "bookmark answers null")
    bookmark(a, p2)
    bookmark(a, p1)                                   # again: no change, no move to the top
    check_eq(ids(a), [p2, p1], "newest bookmark first; a second add keeps the first's place")
    check_eq(detail(p1, a)["viewer"]["bookmarked"], True, "viewer.bookmarked for a")
    check_eq(detail(p1, c)["viewer"]["bookmarked"], False, "another viewer's own state")
    check_eq(ids(c), [], "bookmarks are private: c's list is c's own")
    check_eq(ids(b), [], "and the author is not told")
    bookmark(a, p1, False)
    bookmark(a, p1, False)                            # removing twice is fine
    check_eq(ids(a), [p2], "removed")
    # A repost stands for its original: bookmarking it bookmarks the original.
    rp = call("repost", {"original_post_id": p1}, c)["id"]
    bookmark(a, rp)
    check_eq(ids(a), [p1, p2], "the repost's original is bookmarked")
    bookmark(a, rp, False)
    check_eq(ids(a), [p2], "and removed through the repost")
    for pid in ids(a):
        bookmark(a, pid, False)


def test_pages_by_cursor():
    a, b = _users.across(2)
    made = [create(b, "paged %d" % i) for i in range(PAGE + 5)]
    for pid in made:
        bookmark(a, pid)
    first = listing(a)
    check_eq(len(first["posts"]), PAGE, "a full first page")
    check(first["cursor"] != "-1", "a next page")
    extra = create(b, "bookmarked between pages")
    bookmark(a, extra)                                # newer: not on the next page
    second = listing(a, first["cursor"])
    got = [p["id"] for p in first["posts"]] + [p["id"] for p in second["posts"]]
    check_eq(got, made[::-1], "every bookmark once, newest first, across the pages")
    check_eq(second["cursor"], "-1", "the last page")
    check_eq(listing(a, "-1"), {"posts": [], "cursor": "-1"}, "after the end: an empty page")
    for pid in made + [extra]:
        bookmark(a, pid, False)


def test_deleted_and_blocked_leave_the_list():
    a, b = _users.across(2)
    keep, gone = create(b, "stays"), create(b, "will be deleted")
    bookmark(a, keep)
    bookmark(a, gone)
    call("delete", {"post_id": gone}, b)
    check_eq(ids(a), [keep], "a deleted post leaves the list")
    bookmark(a, gone, False)                          # removing a deleted one is not an error
    bookmark(a, gone, status=404, code=NOT_FOUND)     # adding one is
    # b blocks a: b's posts leave a's list, and cannot be bookmarked; unblocked, back again.
    call_user = lambda who, flag: check_envelope(api_post(  # noqa: E731
        "user/block", {"target_username": a["username"], "flag": flag}, who["token"]), 200, 0)
    call_user(b, 1)
    check_eq(ids(a), [], "a post whose author blocks the user is not shown")
    other = create(b, "after the block")
    bookmark(a, other, status=404, code=NOT_FOUND)
    call_user(b, 0)
    check_eq(ids(a), [keep], "unblocked: the bookmark shows again")
    bookmark(a, keep, False)


def test_errors():
    a, = _users.get(1)
    pid = create(a, "errors")
    check_envelope(api_post("post/bookmark", {"post_id": pid}), 401, UNAUTHORIZED)
    check_envelope(get("/api/v1/post/bookmarks"), 401, UNAUTHORIZED)
    call("bookmark", {}, a, 400, MISSING_PARAM)
    call("bookmark", {"post_id": "abc"}, a, 400, INVALID_PARAM)
    call("bookmark", {"post_id": pid, "isbookmark": 2}, a, 400, INVALID_PARAM)
    call("bookmark", {"post_id": "999999999999"}, a, 404, NOT_FOUND)
    listing(a, "x1", 400, INVALID_PARAM)
    bookmark(a, pid)                                  # isbookmark defaults to 1
    check_eq(ids(a), [pid], "isbookmark defaults to adding")
    bookmark(a, pid, False)


def session(user):
    token = get("/help").cookies()["starling_csrf"].value
    return token, "starling_token=%s; starling_csrf=%s" % (user["token"], token)


def test_page_and_card_button():
    a, b = _users.across(2)
    pid = create(b, "bookmark me from the card <b>&</b>")
    token, cookie = session(a)
    r = get("/p/" + pid, headers={"Cookie": cookie})
    check_status(r, 200)
    forms = [f for f in Page(r.text).forms if f["action"] == "/p/%s/act" % pid]
    check(forms and "csrf_token" in forms[0]["fields"], "the card's act form with its token")
    check(re.search(r'<button class="bookmark" name="act" value="bookmark">', r.text),
          "the bookmark button, off")
    check('href="/bookmarks"' in r.text, "the navigation links to /bookmarks")
    form = {"act": "bookmark", "csrf_token": token}
    hdr = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
    r = request("POST", "/p/%s/act" % pid, body=urllib.parse.urlencode(form).encode(), headers=hdr)
    check_status(r, 303)
    check_eq(ids(a), [pid], "bookmarked from the form")
    r = get("/bookmarks", headers={"Cookie": cookie})
    check_status(r, 200)
    check('id="post-%s"' % pid in r.text, "the page shows the card")
    check("&lt;b&gt;&amp;&lt;/b&gt;" in r.text, "its text escaped")
    check(re.search(r'<button class="bookmark on" name="act" value="unbookmark">', r.text),
          "the button is on")
    # Without the CSRF token: refused, nothing changes.
    r = request("POST", "/p/%s/act" % pid, body=b"act=unbookmark", headers=hdr)
    check_eq(r.status, 403, "no token: 403")
    check_eq(ids(a), [pid], "still bookmarked")
    form["act"] = "unbookmark"
    r = request("POST", "/p/%s/act" % pid, body=urllib.parse.urlencode(form).encode(), headers=hdr)
    check_status(r, 303)
    check_eq(ids(a), [], "removed from the form")
    r = get("/bookmarks", headers={"Cookie": cookie})
    check("id=\"post-%s\"" % pid not in r.text and 'class="empty"' in r.text, "an empty list")
    r = get("/bookmarks")
    check(r.status in (302, 303), "a visitor is sent to log in: %d" % r.status)


TESTS = [test_add_remove_idempotent_and_private, test_pages_by_cursor,
         test_deleted_and_blocked_leave_the_list, test_errors, test_page_and_card_button]

if __name__ == "__main__":
    sys.exit(run_main(__doc__, TESTS))
