#!/usr/bin/env python3
"""HTTP tests of search and the hashtag timeline (/api/v1/search/posts, users, hashtags,
/api/v1/timeline/hashtag, and the pages /search and /hashtag/<tag>) through the web server and
real databases.

Usage: test_search.py BASE_URL [-k SUBSTRING]

Environment (set by tests/integration/suite.sh):
  STARLING_TEST_MAIL_DIR    the [mail] spool_dir (activation codes of the test's users)

Every search visits every shard, so results are checked with words, names and tags made for
this run (random), and users on both MariaDB instances (UserPool.across). Python standard
library only.
"""

import html
import os
import random
import sys
import urllib.parse

sys.dont_write_bytecode = True   # keep tests/lib free of __pycache__
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from starling_test import (Page, UserPool, api_post, check, check_envelope,  # noqa: E402
                           check_eq, check_html_error, check_status, get, instance_of,
                           run_main)
from codes import (BAD_UTF8, INVALID_PARAM, METHOD_NOT_ALLOWED, MISSING_PARAM,  # noqa: E402
                   NOT_FOUND)

PAGE = 20
# Usernames of this run start with it: a prefix search finds exactly the pool (5 + 10 hex = 15).
PREFIX = "q" + os.urandom(2).hex()
_users = UserPool(PREFIX)


def word():
    """A word nobody else has written: letters only, long enough for the FULLTEXT index."""
    return "w" + "".join(random.choice("bcdfghjklmnpqrstvxz") for _ in range(10))


def cjk_pair():
    """Two CJK ideographs chosen at random: a Chinese 'word' no other post of the run holds."""
    return "".join(chr(0x4e00 + random.randrange(0x5000)) for _ in range(2))


def q(s):
    return urllib.parse.quote(s, safe="")


def post(user, text):
    r = api_post("post/create", {"content_text": text}, user["token"])
    return check_envelope(r, 200, 0)["data"]["id"]


def reply(user, to, text):
    r = api_post("post/reply", {"original_post_id": to, "content_text": text}, user["token"])
    return check_envelope(r, 200, 0)["data"]["id"]


def auth(user):
    return {"Authorization": "Bearer " + user["token"]} if user else None


def api(path, user=None, status=200, code=0):
    return check_envelope(get("/api/v1/" + path, auth(user)), status, code)["data"]


def search_ids(text, user=None, cursor=None):
    path = "search/posts?q=" + q(text) + ("&cursor=" + cursor if cursor else "")
    d = api(path, user)
    return [p["id"] for p in d["posts"]], d["cursor"]


def all_pages(fetch):
    """Follows the cursors of fetch(cursor) -> (ids, cursor) to the end."""
    ids, cursor, pages = [], None, 0
    while cursor != "-1":
        got, cursor = fetch(cursor)
        ids += got
        pages += 1
        check(pages < 50, "the cursor never ends")
    return ids, pages


def relate(action, user, target, flag):
    """user/block or user/mute of target by user, flag 1 (on) or 0 (off)."""
    check_envelope(api_post("user/" + action, {"target_username": target["username"],
                                               "flag": flag}, user["token"]), 200, 0)


def block(user, target, flag=1):
    relate("block", user, target, flag)


def mute(user, target, flag=1):
    relate("mute", user, target, flag)


def quote(user, original, text):
    r = api_post("post/repost", {"original_post_id": original, "content_text": text},
                 user["token"])
    return check_envelope(r, 200, 0)["data"]["id"]


# --- posts -------------------------------------------------------------------------------------

def test_posts_across_shards_newest_first_with_pages():
    a, b = _users.across(2)
    check(instance_of(a) != instance_of(b), "the two authors are on different instances")
    w = word()
    made = [post(a if i % 2 else b, "%s number %d" % (w, i)) for i in range(PAGE + 5)]
    first, cursor = search_ids(w)
    check_eq(len(first), PAGE, "first page size")
    check(cursor not in ("", "-1"), "a cursor after a full page: %r" % cursor)
    ids, pages = all_pages(lambda c: search_ids(w, cursor=c))
    check_eq(pages, 2, "pages")
    check_eq(ids, sorted(made, key=int, reverse=True), "every post, newest first, once")
    # Both instances' posts are merged into one order.
    authors = {p["author"]["username"] for p in api("search/posts?q=" + q(w))["posts"]}
    check_eq(authors, {a["username"], b["username"]}, "authors of the first page")
    # Every word is required; order and case do not matter.
    two = post(a, "%s alphabet %s" % (w.upper(), "soup"))
    check_eq(search_ids("soup " + w)[0], [two], "both words")
    check_eq(search_ids(w + " nonexistentword")[0], [], "a word nobody wrote")
    # Operators typed into the box are words, not syntax.
    check_eq(search_ids('+%s -soup "%s' % (w, w))[0][0], two, "operators are inert")
    # The end of the list answers an empty page.
    check_eq(search_ids(w, cursor="-1"), ([], "-1"), "after the last page")


def test_chinese_text():
    a, b = _users.across(2)
    pair = cjk_pair()
    p1 = post(a, "我爱北京天安门")
    p2 = post(b, "今天%s很好" % pair)
    for term in ("北京", "天安门", "京天", "我爱北京天安门"):
        check(p1 in search_ids(term)[0], "%s finds 我爱北京天安门" % term)
    check(p1 not in search_ids("北海")[0], "北海 does not find 北京")
    check_eq(search_ids(pair)[0], [p2], "a CJK word written without spaces")
    check_eq(search_ids(pair + " 今天")[0], [p2], "two CJK words")
    check(p2 in search_ids(pair[0])[0], "one character finds the posts holding it")


def test_deleted_and_blocked_never_appear():
    a, b, c = _users.across(3)
    w = word()
    pa, pb, pc = post(a, w + " from a"), post(b, w + " from b"), post(c, w + " from c")
    check_eq(sorted(search_ids(w)[0]), sorted([pa, pb, pc]), "all three")
    check_envelope(api_post("post/delete", {"post_id": pa}, a["token"]), 200, 0)
    check_eq(sorted(search_ids(w)[0]), sorted([pb, pc]), "the deleted post is gone")
    block(b, c)
    try:
        check_eq(search_ids(w, c)[0], [pc], "c does not see b, who blocks c")
        check_eq(search_ids(w, b)[0], [pb], "b does not see c, whom b blocks")
        check_eq(sorted(search_ids(w, a)[0]), sorted([pb, pc]), "a sees both")
        check_eq(sorted(search_ids(w)[0]), sorted([pb, pc]), "a visitor sees both")
        # A quote of a blocked author's post:
        qid = quote(a, pb, w + " quoted")
        check(qid in search_ids(w, a)[0], "the quote is found")
        # ... and c, in a block with the quoted author, finds the quote's own words with the
        # original shown as gone (as on every other list).
        found = {p["id"]: p for p in api("search/posts?q=" + q(w), c)["posts"]}
        check(qid in found and found[qid]["original"] is None,
              "c finds the quote, its original gone: %r" % found.get(qid))
    finally:
        block(b, c, 0)


# --- replies -----------------------------------------------------------------------------------

def delete(user, record):
    check_envelope(api_post("post/delete", {"post_id": record}, user["token"]), 200, 0)


def test_replies_found_with_posts():
    a, b = _users.across(2)
    w, pair = word(), cjk_pair()
    p = post(a, "%s the post" % w)
    # b's reply lives on the thread's shard (a's instance), b's own posts on the other one.
    r1 = reply(b, p, "%s a reply, %s在这里" % (w.upper(), pair))
    r2 = reply(a, r1, "a reply to the reply: %s" % w)
    other = post(b, "%s on b's shard" % w)
    check(instance_of(a) != instance_of(b), "the two authors are on different instances")
    check_eq(search_ids(w)[0], newest_first([p, r1, r2, other]),
             "posts and replies, merged newest first")
    found = {x["id"]: x for x in api("search/posts?q=" + q(w))["posts"]}
    check_eq((found[r1]["type"], found[r1]["rootId"], found[r1]["author"]["username"]),
             ("reply", p, b["username"]), "a reply is shown as a reply, with its author")
    check_eq(found[r2]["type"], "reply", "a reply to a reply too")
    # Chinese, as posts: a two-character word inside a run, and one character.
    check_eq(search_ids(pair)[0], [r1], "a CJK word of a reply")
    check_eq(search_ids(pair + "在")[0], [r1], "a CJK phrase of a reply")
    check(r1 in search_ids(pair[1])[0], "one character finds the reply holding it")
    # The search page shows the reply's card.
    r = get("/search?q=" + q(pair))
    check_status(r, 200)
    check('id="post-%s"' % r1 in r.text, "the /search page shows the reply")


def test_deleted_replies_and_threads_not_found():
    a, b = _users.across(2)
    w = word()
    p = post(a, "%s the thread" % w)
    keep = reply(b, p, "%s kept" % w)
    gone = reply(b, p, "%s deleted" % w)
    check_eq(search_ids(w)[0], newest_first([p, keep, gone]), "all three before")
    delete(b, gone)
    check_eq(search_ids(w)[0], newest_first([p, keep]), "the deleted reply is gone")
    # A reply whose thread's post is deleted is gone with it (as its thread page is).
    delete(a, p)
    check_eq(search_ids(w)[0], [], "the replies of a deleted post are gone too")


def test_replies_of_muted_and_blocked_authors_left_out():
    v, m, o = _users.across(3)
    w = word()
    p = post(o, "%s a post by another" % w)
    rm = reply(m, p, "%s the muted replies" % w)
    ro = reply(o, rm, "%s another answers the muted" % w)
    every = newest_first([p, rm, ro])
    check_eq(search_ids(w, v)[0], every, "before the mute")
    mute(v, m)
    try:
        # Judged by its own author: o's answer to m's reply stays.
        check_eq(search_ids(w, v), (newest_first([p, ro]), "-1"), "v's search leaves m's reply "
                 "out")
        check_eq(search_ids(w)[0], every, "a visitor's search is unchanged")
        check_eq(search_ids(w, m)[0], every, "the muted user's own search is unchanged")
    finally:
        mute(v, m, 0)
    block(m, v)
    try:
        check_eq(search_ids(w, v)[0], newest_first([p, ro]), "v does not see m, who blocks v")
        check_eq(search_ids(w, m)[0], every, "m sees the others' (v wrote none)")
    finally:
        block(m, v, 0)
    check_eq(search_ids(w, v)[0], every, "unmuted and unblocked: back")


def test_paging_across_posts_and_replies():
    a, b = _users.across(2)
    w = word()
    root_a = post(a, "%s root a" % w)
    root_b = post(b, "%s root b" % w)
    made, by_a = [root_a, root_b], [root_a]
    # Posts and replies in turn, by both authors, on both instances' shards.
    for i in range(PAGE + 3):
        who = a if i % 2 else b
        if i % 3 == 0:
            made.append(post(who, "%s post %d" % (w, i)))
        else:
            made.append(reply(who, root_a if i % 3 == 1 else root_b, "%s reply %d" % (w, i)))
        if who is a:
            by_a.append(made[-1])
    first, cursor = search_ids(w)
    check_eq(first, newest_first(made)[:PAGE], "the first page: the newest %d of both" % PAGE)
    check_eq(cursor, first[-1], "the cursor is the last ID of the page")
    ids, pages = all_pages(lambda c: search_ids(w, cursor=c))
    check_eq(pages, 2, "pages")
    check_eq(ids, newest_first(made), "every post and reply, newest first, once")
    # A muted author's records are skipped without ending the list early.
    v = _users.across(3)[2]
    mute(v, b)
    try:
        ids, pages = all_pages(lambda c: search_ids(w, v, c))
        check_eq(ids, newest_first(by_a), "v's pages: a's posts and replies, b's left out")
        check_eq(pages, 2, "v's pages: as many as a visitor's")
    finally:
        mute(v, b, 0)


# --- users -------------------------------------------------------------------------------------

def users_search(text, user=None, cursor=None, status=200, code=0):
    path = "search/users?q=" + q(text) + ("&cursor=" + q(cursor) if cursor is not None else "")
    return api(path, user, status, code)


def test_users_by_prefix_on_both_instances():
    pool = _users.across(3)
    names = sorted(u["username"].lower() for u in _users.users)
    d = users_search(PREFIX)
    got = [u["username"].lower() for u in d["users"]]
    check_eq(got, names, "the pool, by username")
    check_eq(d["cursor"], "-1", "one page")
    check({instance_of(u) for u in pool} == {0, 1}, "users on both instances")
    check_eq(sorted(d["users"][0]), ["avatarUrl", "description", "displayName", "id", "username"],
             "public fields only")
    check_eq([u["username"].lower() for u in users_search("@" + PREFIX.upper())["users"]],
             names, "case-insensitive, @ ignored")
    # A cursor starts after the name it names.
    check_eq([u["username"].lower() for u in users_search(PREFIX, cursor=names[0])["users"]],
             names[1:], "after the first name")
    check_eq(users_search(PREFIX, cursor="-1"), {"users": [], "cursor": "-1"}, "the end")


def test_users_by_display_name_and_wildcards():
    a, b = _users.across(2)
    tag = os.urandom(3).hex()
    check_envelope(api_post("user/save_info", {"display_name": "Zoë %s_100%%" % tag},
                            a["token"]), 200, 0)
    check_envelope(api_post("user/save_info", {"display_name": "zoe %sx100 b" % tag},
                            b["token"]), 200, 0)
    by = lambda s: sorted(u["username"] for u in users_search(s)["users"])  # noqa: E731
    check_eq(by("zoë " + tag), sorted([a["username"], b["username"]]),
             "display-name prefix, any case and accent")
    check_eq(by("Zoë %s_100%%" % tag), [a["username"]], "a literal _ and %")
    check_eq(by("zoe %s%%" % tag), [], "% matches only itself")
    check_eq(by("zoe %s_" % tag), [a["username"]], "_ matches only itself")
    check_eq(by(PREFIX[:-1] + "_"), [], "_ is no wildcard in a username either")
    check_eq(by("%"), [], "% alone")
    # Blocked users are left out for the blocker and the blocked.
    block(a, b)
    try:
        names = [u["username"] for u in users_search("zoe " + tag, b)["users"]]
        check_eq(names, [b["username"]], "b does not find a, who blocks b")
    finally:
        block(a, b, 0)


# --- hashtags ----------------------------------------------------------------------------------

def test_hashtag_prefix_most_used_first():
    a, b = _users.across(2)
    stem = "tg" + os.urandom(3).hex()
    post(a, "#%sAlpha once" % stem)
    post(a, "#%sbeta one" % stem)
    post(b, "#%sBETA two" % stem)
    tid = post(b, "#%sbeta three" % stem)
    d = api("search/hashtags?q=" + q("#" + stem.upper()))
    check_eq([(t["tag"], t["count"]) for t in d["hashtags"]],
             [(stem + "beta", 3), (stem + "alpha", 1)], "the most used first, by key")
    check_eq(d["hashtags"][1]["name"], stem + "Alpha", "the name as first written")
    check_eq(api("search/hashtags?q=" + q(stem + "%"))["hashtags"], [], "% is no wildcard")
    check_eq(api("search/hashtags?q=" + q(stem[:-1] + "_"))["hashtags"], [], "nor _")
    # A tag whose every post is deleted is no suggestion.
    solo = stem + "solo"
    pid = post(a, "#" + solo)
    check_eq([t["tag"] for t in api("search/hashtags?q=" + solo)["hashtags"]], [solo], "solo")
    check_envelope(api_post("post/delete", {"post_id": pid}, a["token"]), 200, 0)
    check_eq(api("search/hashtags?q=" + solo)["hashtags"], [], "after its post is deleted")
    check(tid, "made")


def timeline(tag, user=None, cursor=None, status=200, code=0):
    path = "timeline/hashtag?tag=" + q(tag) + ("&cursor=" + q(cursor) if cursor else "")
    return api(path, user, status, code)


def test_hashtag_timeline_newest_first_with_pages():
    a, b = _users.across(2)
    tag = "ht" + os.urandom(3).hex()
    made = []
    for i in range(PAGE + 2):
        made.append(post(a if i % 2 else b, "#%s post %d" % (tag.upper() if i == 0 else tag, i)))
    made.append(reply(a, made[0], "a reply with #%s" % tag))
    gone = post(b, "#%s to delete" % tag)
    check_envelope(api_post("post/delete", {"post_id": gone}, b["token"]), 200, 0)
    first = timeline("#" + tag)
    check_eq(first["tag"], tag, "key")
    check_eq(first["name"], tag.upper(), "the name as first written")
    check_eq(len(first["posts"]), PAGE, "first page")
    check_eq(first["posts"][0]["type"], "reply", "the reply is newest")
    ids, pages = all_pages(lambda c: (lambda d: ([p["id"] for p in d["posts"]], d["cursor"]))(
        timeline(tag, cursor=c)))
    check_eq(pages, 2, "pages")
    check_eq(ids, sorted(made, key=int, reverse=True), "posts and replies, newest first, "
             "the deleted one left out")
    # Blocked authors are left out.
    block(a, b)
    try:
        mine = {p["author"]["username"] for p in timeline(tag, a)["posts"]}
        check_eq(mine, {a["username"]}, "a does not see b's posts")
    finally:
        block(a, b, 0)
    timeline("nevertag" + os.urandom(4).hex(), status=404, code=NOT_FOUND)
    timeline("not a tag", status=400, code=INVALID_PARAM)
    timeline("1234", status=400, code=INVALID_PARAM)


# --- mutes -------------------------------------------------------------------------------------

def tag_ids(tag, user=None, cursor=None):
    d = timeline(tag, user, cursor)
    return [p["id"] for p in d["posts"]], d["cursor"]


def newest_first(ids):
    return sorted(ids, key=int, reverse=True)


def test_muted_authors_left_out_of_posts_and_hashtag():
    v, m, o, t = _users.across(4)
    w, tag = word(), "mu" + os.urandom(3).hex()
    pm = post(m, "#%s %s by the muted" % (tag, w))
    po = post(o, "#%s %s by another" % (tag, w))
    rm = reply(m, po, "#%s a reply by the muted" % tag)
    qm = quote(m, po, "#%s %s the muted quotes" % (tag, w))
    qo = quote(o, pm, "#%s %s another quotes the muted" % (tag, w))
    every = newest_first([pm, po, qm, qo])
    every_tag = newest_first([pm, po, rm, qm, qo])
    check_eq(search_ids(w, v)[0], every, "before the mute: everything")
    mute(v, m)
    try:
        # The viewer: m's posts, quotes and replies are gone; o's quote of m's post stays, with
        # its original (a mute is no block).
        check_eq(search_ids(w, v), (newest_first([po, qo]), "-1"), "v's search, muted")
        check_eq(tag_ids(tag, v), (newest_first([po, qo]), "-1"), "v's hashtag page, muted")
        found = {p["id"]: p for p in api("search/posts?q=" + q(w), v)["posts"]}
        check(found[qo]["original"] is not None and found[qo]["original"]["id"] == pm,
              "o's quote shows the muted author's original: %r" % found[qo]["original"])
        # Nobody else is affected: a visitor, a third user, the muted user themself.
        for who, name in ((None, "a visitor"), (t, "a third user"), (m, "the muted user")):
            check_eq(search_ids(w, who)[0], every, "%s's search" % name)
            check_eq(tag_ids(tag, who)[0], every_tag, "%s's hashtag page" % name)
        # The pages, for v's browser session and for a visitor.
        card = 'id="post-%s"'
        for path in ("/search?q=" + q(w), "/hashtag/" + tag):
            mine = get(path, {"Cookie": "starling_token=" + v["token"]})
            check_status(mine, 200)
            check(card % pm not in mine.text and card % qm not in mine.text,
                  "%s: v's page leaves m's posts out" % path)
            check(card % po in mine.text, "%s: v's page shows o's post" % path)
            check(card % pm in get(path).text, "%s: a visitor's page shows m's post" % path)
        # People search still finds the muted user: their profile is where to unmute.
        names = [u["username"] for u in users_search(m["username"], v)["users"]]
        check_eq(names, [m["username"]], "v still finds m in people search")
    finally:
        mute(v, m, 0)
    check_eq(search_ids(w, v)[0], every, "unmuted: back in search")
    check_eq(tag_ids(tag, v)[0], every_tag, "unmuted: back on the hashtag page")


def test_muted_page_then_visible_ones():
    v, m, o = _users.across(3)
    w, tag = word(), "mp" + os.urandom(3).hex()
    # The older posts are visible, the newest full page and more are the muted author's.
    visible = [post(o, "#%s %s visible %d" % (tag, w, i)) for i in range(2)]
    muted = [post(m, "#%s %s muted %d" % (tag, w, i)) for i in range(PAGE + 3)]
    mute(v, m)
    try:
        for name, fetch in (("search", lambda c: search_ids(w, v, c)),
                            ("hashtag", lambda c: tag_ids(tag, v, c))):
            # The first page read only muted posts: empty, but not the last one.
            first, cursor = fetch(None)
            check_eq(first, [], "%s: the first page is all muted" % name)
            check(cursor not in ("", "-1"), "%s: an empty page still has a cursor: %r"
                  % (name, cursor))
            ids, pages = all_pages(fetch)
            check_eq(ids, newest_first(visible), "%s: the visible posts are reached" % name)
            check_eq(pages, 2, "%s: pages" % name)
        # A visitor pages through all of them.
        ids, pages = all_pages(lambda c: search_ids(w, None, c))
        check_eq(ids, newest_first(visible + muted), "a visitor's search")
        ids, pages = all_pages(lambda c: tag_ids(tag, None, c))
        check_eq(ids, newest_first(visible + muted), "a visitor's hashtag page")
    finally:
        mute(v, m, 0)


# --- refusals ----------------------------------------------------------------------------------

def test_bad_inputs():
    for path in ("search/posts", "search/users", "search/hashtags", "timeline/hashtag"):
        d = check_envelope(get("/api/v1/" + path), 400, MISSING_PARAM)
        check(("tag" if "timeline" in path else "q") in get("/api/v1/" + path).json()["message"],
              "%s: the message names the parameter" % path)
    long = "x" * 101
    for path in ("search/posts", "search/users", "search/hashtags"):
        check_envelope(get("/api/v1/%s?q=%s" % (path, long)), 400, INVALID_PARAM)
    check_envelope(get("/api/v1/search/posts?q=%s" % q("字" * 101)), 400, INVALID_PARAM)
    for cursor in ("abc", "0", "-2", "12x", "99999999999999999999999"):
        check_envelope(get("/api/v1/search/posts?q=hello&cursor=" + q(cursor)), 400, INVALID_PARAM)
        check_envelope(get("/api/v1/timeline/hashtag?tag=x&cursor=" + q(cursor)), 400,
                       INVALID_PARAM)
    for cursor in ("A!", "a b", "%", "x" * 40):
        r = get("/api/v1/search/users?q=abc&cursor=" + q(cursor))
        doc = check_envelope(r, 400, INVALID_PARAM)
        check("cursor" in doc["message"], "names the cursor: %r" % doc["message"])
    doc = check_envelope(get("/api/v1/search/posts?q=" + q("the an ab")), 400, INVALID_PARAM)
    check("q:" in doc["message"], "a query with nothing searchable names q: %r" % doc["message"])
    check_envelope(get("/api/v1/search/hashtags?q=%23"), 400, INVALID_PARAM)
    check_envelope(get("/api/v1/search/users?q=%40"), 400, INVALID_PARAM)
    check_envelope(get("/api/v1/search/posts?q=%FF"), 400, BAD_UTF8)
    d = check_envelope(api_post("search/posts", {"q": "x"}), 405, METHOD_NOT_ALLOWED)
    check(d, "405")


# --- pages -------------------------------------------------------------------------------------

def test_pages():
    a, b = _users.across(2)
    tag = "pg" + os.urandom(3).hex()
    made = [post(a if i % 2 else b, "#%s page post %d" % (tag, i)) for i in range(PAGE + 1)]
    r = get("/hashtag/" + tag)
    check_status(r, 200)
    page = Page(r.text)
    check("#" + tag in page.h1, "title: %r" % page.h1)
    for pid in made[-PAGE:]:
        check('id="post-%s"' % pid in r.text, "card of %s" % pid)
    check('id="post-%s"' % made[0] not in r.text, "the oldest is on the next page")
    older = "/hashtag/%s?cursor=%s" % (tag, made[1])
    check('href="%s"' % older in html.unescape(r.text), "Older link: %r" % older)
    r = get(older)
    check_status(r, 200)
    check('id="post-%s"' % made[0] in r.text, "the second page")
    check('rel="next"' not in r.text, "no Older link on the last page")
    check_html_error(get("/hashtag/nevertag" + os.urandom(3).hex()), 404, NOT_FOUND)
    check_html_error(get("/hashtag/" + q("not a tag")), 400, INVALID_PARAM)
    check_html_error(get("/hashtag/%s?cursor=abc" % tag), 400, INVALID_PARAM)
    # Search: the form alone, then results, with the tags that start like the query.
    r = get("/search")
    check_status(r, 200)
    check('name="q"' in r.text and "search-posts" not in r.text, "only the form")
    r = get("/search?q=" + tag)
    check_status(r, 200)
    check('id="post-%s"' % made[-1] in r.text, "found by the word")
    check('href="/hashtag/%s"' % tag in r.text, "the tag box links the hashtag page")
    check('rel="next"' in r.text, "a next page")
    r = get("/search?q=" + q("the <script>alert(1)</script>"))
    check_status(r, 200)
    check("<script>alert" not in r.text and "&lt;script&gt;" in r.text, "the query is escaped")
    r = get("/search?q=" + q("the <i>"))
    check_status(r, 200)
    check('role="alert"' in r.text and 'value="the &lt;i&gt;"' in r.text,
          "nothing searchable: refused, with the form holding the query")
    r = get("/search?type=users&q=" + PREFIX)
    check_status(r, 200)
    check('href="/u/%s"' % a["username"] in r.text, "users link their profiles")
    r = get("/search?type=nobody&q=x")
    check_html_error(r, 400, INVALID_PARAM)
    # The header's search box and links are on every page; Notifications only for a user.
    r = get("/help")
    check('action="/search"' in r.text and 'href="/explore"' in r.text, "header")
    check('href="/notifications"' not in r.text, "no Notifications for a visitor")


TESTS = [v for k, v in sorted(globals().items()) if k.startswith("test_")]


if __name__ == "__main__":
    sys.exit(run_main(__doc__, TESTS))
