#!/usr/bin/env python3
"""HTTP tests of notifications (/api/v1/notification/list, unread_count, read, and the page
/notifications) through the web server and real databases.

Usage: test_notify.py BASE_URL [-k SUBSTRING]

Environment (set by tests/integration/suite.sh):
  STARLING_TEST_MAIL_DIR    the [mail] spool_dir (activation codes of the test's users)
  STARLING_TEST_SQL         a command that runs SQL as root in every shard database (the rows
                            that HTTP cannot see: notifications left unread by design)
  STARLING_TEST_WORKER_CTL  (optional) the worker's control command: the jobs of actions run
                            at request time; a replayed notify.like is run with "once" (else
                            the daemon runs it)

The actions (like, reply, repost, quote, follow, mention) are made by users on both MariaDB
instances of the stack (UserPool.across), so the notification is written on another instance
than the action. Python standard library only.
"""

import html
import os
import random
import re
import subprocess
import sys
import time
import urllib.parse

sys.dont_write_bytecode = True   # keep tests/lib free of __pycache__
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from starling_test import (Page, UserPool, api_post, catalog, check,  # noqa: E402
                           csrf_unmasked, check_envelope, check_eq, check_html_error, check_status, get,
                           request, run_main, run_sql)
from codes import (BAD_JSON, FORBIDDEN, INVALID_PARAM, MISSING_PARAM, NOT_FOUND,  # noqa: E402
                   UNAUTHORIZED)

PAGE = 20   # NOTIFY_PAGE
ALL = str(2 ** 64 - 1)   # an up_to_id above every ID: "mark all as read"

# Sign-ups are limited per address and the whole suite shares them: four users serve every test.
# Each test looks only at the notifications that appeared since it started (snapshot / fresh),
# and undoes the mutes and blocks it made. Follows notify once per pair, ever, so each test that
# follows uses a pair of its own (noted at the test).
_pool = UserPool("n")


def users():
    """[x0, x1, x2, x3]: x0 on the first MariaDB instance, x1 on the second."""
    return _pool.across(4)


def auth(user):
    return {"Authorization": "Bearer " + user["token"]}


def api(path, fields, user, status=200, code=0):
    return check_envelope(api_post(path, fields, user["token"] if user else None), status,
                          code)["data"]


def create(user, text="hello"):
    return api("post/create", {"content_text": text}, user)["id"]


def listing(user, cursor=None, status=200, code=0):
    path = "/api/v1/notification/list"
    if cursor is not None:
        path += "?cursor=" + urllib.parse.quote(cursor)
    return check_envelope(get(path, auth(user) if user else None), status, code)["data"]


def all_notes(user):
    """Every notification of user, newest first, walking the pages; checks that no page repeats
    one and that IDs only go down."""
    seen, out, cursor = set(), [], None
    for _ in range(100):
        page = listing(user, cursor)
        for n in page["notifications"]:
            check(n["id"] not in seen, "notification %s on two pages" % n["id"])
            check(not out or int(n["id"]) < int(out[-1]["id"]), "not newest first")
            seen.add(n["id"])
            out.append(n)
        cursor = page["cursor"]
        if cursor == "-1":
            return out
    raise AssertionError("more than 100 pages")


def snapshot(user):
    return {n["id"] for n in all_notes(user)}


def fresh(user, before):
    """user's notifications that are not in the snapshot before, newest first."""
    return [n for n in all_notes(user) if n["id"] not in before]


def unread(user):
    r = get("/api/v1/notification/unread_count", auth(user))
    return check_envelope(r, 200, 0)["data"]["count"]


def check_note(n, kind, actor, post_id, what):
    """n is a notification of kind from actor showing post_id (None: no post)."""
    check_eq(n["type"], kind, what + ": type")
    check_eq(n["actor"]["id"], actor["id"], what + ": actor id")
    check_eq(n["actor"]["username"], actor["username"], what + ": actor username")
    check_eq(sorted(n["actor"]), ["avatarUrl", "displayName", "id", "username"],
             what + ": actor fields (nothing private)")
    if post_id is None:
        check(n["post"] is None, what + ": a post on a %s: %r" % (kind, n["post"]))
    else:
        check(n["post"] is not None, what + ": no post")
        check_eq(n["post"]["id"], post_id, what + ": post id")
    check_eq(n["read"], False, what + ": read")
    check(isinstance(n["createdAt"], int) and n["createdAt"] > 0, what + ": createdAt")


def check_only(user, before, kind, actor, post_id, what):
    """Exactly one notification arrived for user since before: kind, from actor, post_id."""
    got = fresh(user, before)
    check_eq([(n["type"], n["actor"]["username"]) for n in got], [(kind, actor["username"])],
             what + ": the new notifications")
    check_note(got[0], kind, actor, post_id, what)
    return got[0]


def by_id(user, note_id):
    """user's notification note_id as the list shows it, or None when it is not listed."""
    return next((n for n in all_notes(user) if n["id"] == note_id), None)


# --- each type ---------------------------------------------------------------------------------

def test_like():
    a, b = users()[:2]
    p = create(a, "like me")
    before_a, before_b = snapshot(a), snapshot(b)
    api("post/like", {"post_id": p, "islike": 1}, b)
    n = check_only(a, before_a, "like", b, p, "b likes a's post")
    check_eq(n["post"]["author"]["id"], a["id"], "the liked post is a's")
    check_eq(fresh(b, before_b), [], "the liker is told nothing")


def test_reply():
    a, b = users()[:2]
    p = create(a, "reply to me")
    before_a, before_b = snapshot(a), snapshot(b)
    r = api("post/reply", {"original_post_id": p, "content_text": "a reply"}, b)["id"]
    n = check_only(a, before_a, "reply", b, r, "b replies to a")
    check_eq(n["post"]["originalId"], p, "the reply shown answers a's post")
    # A reply to the reply tells its author (b), not the thread's author (a, who writes it).
    before_a = snapshot(a)
    r2 = api("post/reply", {"original_post_id": r, "content_text": "reply to the reply"},
             a)["id"]
    check_only(b, before_b, "reply", a, r2, "a replies to b's reply")
    check_eq(fresh(a, before_a), [], "a's own reply tells a nothing")


def test_repost():
    a, b = users()[:2]
    p = create(a, "repost me")
    before = snapshot(a)
    r = api("post/repost", {"original_post_id": p}, b)["id"]
    api("post/repost", {"original_post_id": p}, b)   # the same repost: nothing new
    n = check_only(a, before, "repost", b, p, "b reposts a's post")
    # Undone and made again (a new repost record each time): still the one notification.
    for _ in range(2):
        api("post/undo_repost", {"post_id": r}, b)
        r2 = api("post/repost", {"original_post_id": p}, b)["id"]
        check(r2 != r, "a repost made again is a new record")
        r = r2
    check_eq(check_only(a, before, "repost", b, p, "repost, undo, repost")["id"], n["id"],
             "the same notification")


def test_quote():
    a, b = users()[:2]
    p = create(a, "quote me")
    before = snapshot(a)
    q = api("post/repost", {"original_post_id": p, "content_text": "my take"}, b)["id"]
    n = check_only(a, before, "quote", b, q, "b quotes a's post")
    check_eq(n["post"]["original"]["id"], p, "the quote shown embeds a's post")
    # A quote is a post of its own: the next one tells again, a repost beside them once more.
    q2 = api("post/repost", {"original_post_id": p, "content_text": "second take"}, b)["id"]
    api("post/repost", {"original_post_id": p}, b)
    got = fresh(a, before)
    check_eq([(n["type"], n["post"]["id"]) for n in got],
             [("repost", p), ("quote", q2), ("quote", q)], "two quotes and a repost")


def test_follow():
    # Pair x1 -> x0.
    x0, x1 = users()[:2]
    before_0, before_1 = snapshot(x0), snapshot(x1)
    api("user/follow", {"target_username": x0["username"], "flag": 1}, x1)
    check_only(x0, before_0, "follow", x1, None, "x1 follows x0")
    check_eq(fresh(x1, before_1), [], "the follower is told nothing")


def test_mention():
    a, b, c = users()[:3]
    before_a, before_b, before_c = snapshot(a), snapshot(b), snapshot(c)
    # b mentions a twice (any letter case), c once, and themself: one each, none for b.
    text = "hi @%s and @%s and @%s and @%s" % (a["username"], a["username"].upper(),
                                             c["username"], b["username"])
    p = create(b, text)
    check_only(a, before_a, "mention", b, p, "b mentions a")
    check_only(c, before_c, "mention", b, p, "b mentions c")
    check_eq(fresh(b, before_b), [], "mentioning yourself tells you nothing")
    # A mention of a user who does not exist is not an error.
    create(b, "@nobody_" + os.urandom(3).hex())


def test_reply_mentioning_its_author_tells_once():
    a, b = users()[:2]
    p = create(a, "one notification please")
    before = snapshot(a)
    r = api("post/reply", {"original_post_id": p, "content_text": "@%s yes" % a["username"]},
            b)["id"]
    check_only(a, before, "reply", b, r, "a reply that mentions its author")


def test_deleted_record_shows_null_post():
    a, b = users()[:2]
    p = create(a, "soon gone")
    before = snapshot(a)
    api("post/like", {"post_id": p, "islike": 1}, b)
    api("post/delete", {"post_id": p}, a)
    got = fresh(a, before)
    check_eq(len(got), 1, "the like's notification stays")
    check(got[0]["post"] is None, "a deleted post shows as null: %r" % got[0]["post"])
    # A record deleted before its job runs notifies nobody: a reply to the deleted post is
    # refused, and a like of it too.
    api("post/like", {"post_id": p, "islike": 1}, b, 404, NOT_FOUND)
    check_eq(len(fresh(a, before)), 1, "nothing more")


# --- none for ... ------------------------------------------------------------------------------

def test_none_for_own_actions():
    a = users()[0]
    before = snapshot(a)
    p = create(a, "mine @%s" % a["username"])
    api("post/like", {"post_id": p, "islike": 1}, a)
    api("post/reply", {"original_post_id": p, "content_text": "me again @" + a["username"]}, a)
    api("post/repost", {"original_post_id": p, "content_text": "quoting myself"}, a)
    api("post/repost", {"original_post_id": p}, a)
    api("user/follow", {"target_username": a["username"], "flag": 1}, a, 400, INVALID_PARAM)
    check_eq(fresh(a, before), [], "notifications of your own actions")


def test_none_from_muted_actor():
    # Pair x2 -> x0 (follow while muted).
    a, _, b = users()[:3]
    p = create(a, "muted")
    before = snapshot(a)
    api("user/mute", {"target_username": b["username"], "flag": 1}, a)
    try:
        api("post/like", {"post_id": p, "islike": 1}, b)
        api("post/reply", {"original_post_id": p, "content_text": "hello"}, b)
        api("post/repost", {"original_post_id": p}, b)
        api("post/repost", {"original_post_id": p, "content_text": "quote"}, b)
        create(b, "@" + a["username"])
        api("user/follow", {"target_username": a["username"], "flag": 1}, b)
        check_eq(fresh(a, before), [], "notifications from a muted user")
    finally:
        api("user/mute", {"target_username": b["username"], "flag": 0}, a)
    # Unmuted: the next action notifies again.
    q = create(b, "again @" + a["username"])
    check_only(a, before, "mention", b, q, "after unmuting")
    api("user/follow", {"target_username": a["username"], "flag": 0}, b)


def test_none_from_blocked_actor_either_way():
    a, b = users()[:2]
    p = create(a, "blocked")
    before = snapshot(a)
    # a blocks b: b cannot like or follow a any more, and a mention tells a nothing.
    api("user/block", {"target_username": b["username"], "flag": 1}, a)
    try:
        create(b, "hey @" + a["username"])
        api("post/like", {"post_id": p, "islike": 1}, b, 403, FORBIDDEN)
        api("user/follow", {"target_username": a["username"], "flag": 1}, b, 403, FORBIDDEN)
        check_eq(fresh(a, before), [], "notifications from a user a blocks")
    finally:
        api("user/block", {"target_username": b["username"], "flag": 0}, a)
    api("post/like", {"post_id": p, "islike": 1}, b)
    check_only(a, before, "like", b, p, "unblocked: a like")
    # Now b blocks a: nothing more from b, and the block hides what came before.
    api("user/block", {"target_username": a["username"], "flag": 1}, b)
    try:
        q = create(b, "still @" + a["username"])
        check_eq([n for n in all_notes(a) if n["actor"]["id"] == b["id"]], [],
                 "the block (by the actor) hides the actor's notifications")
        check_eq(run_sql("SELECT id FROM tb_notification WHERE user_id = %s AND record_id = %s"
                         % (a["id"], q)), [], "no row made across a block")
    finally:
        api("user/block", {"target_username": a["username"], "flag": 0}, b)
    check_eq(len(fresh(a, before)), 1, "unblocked: the like is listed again")


# --- once --------------------------------------------------------------------------------------

def test_like_unlike_like_notifies_once():
    a, b = users()[:2]
    p = create(a, "like me twice")
    before = snapshot(a)
    for flag in (1, 0, 1, 0, 1, 1):
        api("post/like", {"post_id": p, "islike": flag}, b)
    check_only(a, before, "like", b, p, "like, unlike, like")


def test_like_taken_back_takes_its_notification():
    a, b = users()[:2]
    api("notification/read", {"up_to_id": ALL}, a)
    p = create(a, "like me, then not")
    before = snapshot(a)
    api("post/like", {"post_id": p, "islike": 1}, b)
    n = check_only(a, before, "like", b, p, "the like")
    check_eq(unread(a), 1, "the like is unread")
    # Taken back: out of the list and the (cached: read just above) count at once.
    api("post/like", {"post_id": p, "islike": 0}, b)
    check_eq(fresh(a, before), [], "the list after the unlike")
    check_eq(unread(a), 0, "the count after the unlike")
    # Given again: the same notification, in its place, unread as it was; never a second one.
    api("post/like", {"post_id": p, "islike": 1}, b)
    back = check_only(a, before, "like", b, p, "liked again")
    check_eq((back["id"], back["createdAt"]), (n["id"], n["createdAt"]),
             "the notification brought back")
    check_eq(unread(a), 1, "the count after the like again")
    # Read, taken back and given again: it comes back read, the count stays at 0.
    api("notification/read", {"up_to_id": n["id"]}, a)
    api("post/like", {"post_id": p, "islike": 0}, b)
    check(by_id(a, n["id"]) is None, "withdrawn again")
    api("post/like", {"post_id": p, "islike": 1}, b)
    check_eq(by_id(a, n["id"])["read"], True, "a read one comes back read")
    check_eq(unread(a), 0, "nothing unread")
    # Withdrawn while unread, then everything marked read: given again, it comes back read.
    q = create(a, "another")
    api("post/like", {"post_id": q, "islike": 1}, b)
    m = [x for x in fresh(a, before) if x["post"]["id"] == q][0]
    api("post/like", {"post_id": q, "islike": 0}, b)
    api("notification/read", {"up_to_id": ALL}, a)
    api("post/like", {"post_id": q, "islike": 1}, b)
    check_eq(by_id(a, m["id"])["read"], True, "marked read while withdrawn")
    check_eq(unread(a), 0, "nothing unread after all")
    # Only the liker's like: another user's like of the same post is a notification of its own.
    c = users()[2]
    api("post/like", {"post_id": p, "islike": 1}, c)
    api("post/like", {"post_id": p, "islike": 0}, b)
    check_eq([(x["type"], x["actor"]["id"]) for x in fresh(a, before) if x["post"]["id"] == p],
             [("like", c["id"])], "b's like withdrawn, c's stays")
    api("post/like", {"post_id": p, "islike": 0}, c)


_job_seq = [0]


def replay_like_job(liker, post):
    """Queues a notify.like of liker's like of post on every shard (run_sql runs everywhere), as
    a retried or late job would run, and waits until the worker (a pass of it run now, and the
    daemon) has run each copy: the job runs many times, after the request's own run."""
    _job_seq[0] += 1
    ms = int(time.time() * 1000) - 1767225600000 - 10000   # lib/base/id.h: a past millisecond
    job = (ms << 22) | (254 << 4) | (_job_seq[0] % 16)     # worker 254: no process makes it
    now = int(time.time())
    run_sql("INSERT INTO tb_job (id, type, payload, state, run_after, created_at, updated_at) "
            "VALUES (%d, 'notify.like', JSON_OBJECT('liker_id', '%s', 'record_id', '%s'), 0, "
            "%d, %d, %d)" % (job, liker["id"], post, now, now, now))
    ctl = os.environ.get("STARLING_TEST_WORKER_CTL")
    if ctl:
        subprocess.run([ctl, "once"], check=True)   # a pass now, beside the daemon
    deadline = time.time() + 60
    while time.time() < deadline:
        states = [r[0] for r in run_sql("SELECT state FROM tb_job WHERE id = %d" % job)]
        if states and all(x in ("2", "3") for x in states):
            check_eq(set(states), {"2"}, "every copy of the job ran without failing")
            return
        time.sleep(0.5)
    raise AssertionError("the worker did not run the notify.like jobs")


def test_like_job_run_again_or_late_matches_the_like():
    a, b = users()[:2]
    p = create(a, "jobs out of order")
    before = snapshot(a)
    api("post/like", {"post_id": p, "islike": 1}, b)
    n = check_only(a, before, "like", b, p, "the like")
    # The like's job again (a retry), many times: nothing new.
    replay_like_job(b, p)
    check_eq(check_only(a, before, "like", b, p, "the like's job again")["id"], n["id"],
             "still the one notification")
    # Taken back, then the like's job late (after the unlike's): it reads the like, which is
    # gone, and leaves the notification withdrawn.
    api("post/like", {"post_id": p, "islike": 0}, b)
    replay_like_job(b, p)
    check_eq(fresh(a, before), [], "a late job of the like taken back")
    check_eq(unread(a) >= 0, True, "the count answers")
    api("post/like", {"post_id": p, "islike": 1}, b)
    check_eq(check_only(a, before, "like", b, p, "liked again")["id"], n["id"], "brought back")
    api("post/like", {"post_id": p, "islike": 0}, b)


def test_follow_unfollow_follow_notifies_once():
    # Pair x0 -> x1.
    x0, x1 = users()[:2]
    before = snapshot(x1)
    for flag in (1, 0, 1, 1):
        api("user/follow", {"target_username": x1["username"], "flag": flag}, x0)
    check_only(x1, before, "follow", x0, None, "follow, unfollow, follow")


def test_unfollow_and_block_notify_nothing():
    # Pair x3 -> x1 (never a follow).
    x1, x3 = users()[1], users()[3]
    before = snapshot(x1)
    api("user/follow", {"target_username": x1["username"], "flag": 0}, x3)
    api("user/block", {"target_username": x1["username"], "flag": 1}, x3)
    api("user/block", {"target_username": x1["username"], "flag": 0}, x3)
    check_eq(fresh(x1, before), [], "an unfollow or a block is not a follow")


# --- unread, read, pages -----------------------------------------------------------------------

def test_unread_and_mark_read_up_to_an_id():
    b, a = users()[:2]
    api("notification/read", {"up_to_id": ALL}, a)
    check_eq(unread(a), 0, "all read to begin with")
    posts = [create(a, "post %d" % i) for i in range(4)]
    for p in posts:
        api("post/like", {"post_id": p, "islike": 1}, b)
    check_eq(unread(a), 4, "four likes unread")
    notes = all_notes(a)[:4]
    check_eq([n["post"]["id"] for n in notes], list(reversed(posts)), "newest first")
    check_eq([n["read"] for n in notes], [False] * 4, "unread")
    # Up to the second oldest: the two newer ones stay unread.
    check_eq(api("notification/read", {"up_to_id": notes[2]["id"]}, a), None, "data")
    check_eq(unread(a), 2, "after marking two read")
    check_eq([n["read"] for n in all_notes(a)[:4]], [False, False, True, True], "read flags")
    api("notification/read", {"up_to_id": notes[2]["id"]}, a)   # again: nothing changes
    check_eq(unread(a), 2, "marking again")
    # Someone else's IDs mark nothing of a's.
    api("notification/read", {"up_to_id": notes[0]["id"]}, b)
    check_eq(unread(a), 2, "b cannot mark a's notifications")
    api("notification/read", {"up_to_id": notes[0]["id"]}, a)
    check_eq(unread(a), 0, "all read")
    check(all(n["read"] for n in all_notes(a)[:4]), "every one read")
    # A later one is unread again.
    p = create(a, "later")
    api("post/like", {"post_id": p, "islike": 1}, b)
    check_eq(unread(a), 1, "a new notification after reading")


def test_pages_without_repeat_or_gap():
    a, b, c = users()[:3]
    before = snapshot(a)
    made = [create(b if i % 2 else c, "@%s number %d" % (a["username"], i))
            for i in range(PAGE + 5)]
    first = listing(a)
    check_eq(len(first["notifications"]), PAGE, "a full first page")
    check_eq([n["post"]["id"] for n in first["notifications"]], list(reversed(made))[:PAGE],
             "the first page: the newest")
    second = listing(a, first["cursor"])
    check_eq([n["post"]["id"] for n in second["notifications"][:5]],
             list(reversed(made))[PAGE:], "the second page goes on where the first stopped")
    got = fresh(a, before)   # all pages: no repeat (all_notes checks)
    check_eq([n["post"]["id"] for n in got], list(reversed(made)), "every mention once")
    # One that arrives between two pages lands on top, not in the next page.
    create(b, "@%s late" % a["username"])
    again = listing(a, first["cursor"])
    check_eq([n["id"] for n in again["notifications"]], [n["id"] for n in
                                                          second["notifications"]],
             "the second page after a new notification")
    check_eq(listing(a, "-1"), {"notifications": [], "cursor": "-1"}, "after the last page")


def test_unread_count_is_capped_and_leaves_out_blocked_actors():
    a, b = users()[3], users()[1]
    api("notification/read", {"up_to_id": ALL}, a)
    # 105 unread mentions from b straight into a's shard (the database where a's row is), with
    # IDs of the first milliseconds of the ID epoch (no real ID has them): the oldest of all;
    # a random worker number keeps them apart from another run's on the same shard.
    run_sql("INSERT INTO tb_notification (id, user_id, type, actor_id, post_id, record_id, "
            "is_read, created_at, updated_at) SELECT (s.seq << 22) | (((u.id >> 12) & 1023) "
            "<< 12) | (%d << 4), u.id, 6, %s, s.seq, s.seq, 0, 1, 0 FROM tb_user u JOIN "
            "seq_1_to_105 s WHERE u.id = %s" % (random.randrange(256), b["id"], a["id"]))
    try:
        check_eq(unread(a), 100, "the count stops at 100 (docs/schema.md)")
        ids = sorted(int(n["id"]) for n in all_notes(a) if int(n["id"]) < 106 << 22)
        check_eq(len(ids), 105, "every one listed")
        api("notification/read", {"up_to_id": str(ids[100])}, a)
        check_eq(unread(a), 4, "after marking all but 4 read")
        # b blocks a: b's notifications leave the list and the count, at once.
        api("user/block", {"target_username": a["username"], "flag": 1}, b)
        try:
            check_eq([n for n in all_notes(a) if n["actor"]["id"] == b["id"]], [],
                     "the list after the block")
            check_eq(unread(a), 0, "the count after the block")
        finally:
            api("user/block", {"target_username": a["username"], "flag": 0}, b)
        check_eq(unread(a), 4, "the count after the unblock")
    finally:
        run_sql("DELETE FROM tb_notification WHERE user_id = %s AND id < %d" % (a["id"],
                                                                                106 << 22))
        api("notification/read", {"up_to_id": ALL}, a)


def test_block_reaches_both_unread_counts_at_once():
    a, b = users()[:2]
    api("notification/read", {"up_to_id": ALL}, a)
    api("notification/read", {"up_to_id": ALL}, b)
    pa, pb = create(a, "a's post"), create(b, "b's post")
    api("post/like", {"post_id": pa, "islike": 1}, b)
    api("post/like", {"post_id": pb, "islike": 1}, a)
    # Read now, so both counts are cached before the block.
    check_eq((unread(a), unread(b)), (1, 1), "each has the other's like unread")
    for blocker, other in ((a, b), (b, a)):
        api("user/block", {"target_username": other["username"], "flag": 1}, blocker)
        try:
            check_eq((unread(a), unread(b)), (0, 0),
                     "%s blocks: both counts at once" % blocker["username"])
        finally:
            api("user/block", {"target_username": other["username"], "flag": 0}, blocker)
        check_eq((unread(a), unread(b)), (1, 1),
                 "%s unblocks: both counts at once" % blocker["username"])
    api("notification/read", {"up_to_id": ALL}, a)
    api("notification/read", {"up_to_id": ALL}, b)


# --- refusals ----------------------------------------------------------------------------------

def test_visitors_get_401():
    check_envelope(get("/api/v1/notification/list"), 401, UNAUTHORIZED)
    check_envelope(get("/api/v1/notification/unread_count"), 401, UNAUTHORIZED)
    check_envelope(api_post("notification/read", {"up_to_id": "1"}), 401, UNAUTHORIZED)
    check_envelope(get("/api/v1/notification/list",
                       {"Authorization": "Bearer not.a.token"}), 401, UNAUTHORIZED)


def test_bad_parameters():
    a = users()[0]
    for bad in ("0", "abc", "-2", "1,2", "99999999999999999999", " 1", "1" * 21):
        doc = check_envelope(get("/api/v1/notification/list?cursor=" + urllib.parse.quote(bad),
                                 auth(a)), 400, INVALID_PARAM)
        check("cursor" in doc["message"], "the message names the cursor: %r" % doc["message"])
    for bad in ("0", "abc", "-1", "1.5", "18446744073709551616", "1e3", ""):
        r = api_post("notification/read", {"up_to_id": bad}, a["token"])
        check_status(r, 400)
        doc = r.json()
        check(doc["code"] in (INVALID_PARAM, MISSING_PARAM) and doc["data"] is None,
              "up_to_id %r: envelope %r" % (bad, doc))
        check("up_to_id" in doc["message"], "the message names up_to_id: %r" % doc["message"])
    doc = check_envelope(api_post("notification/read", {}, a["token"]), 400, MISSING_PARAM)
    check("up_to_id" in doc["message"], "the message names up_to_id: %r" % doc["message"])
    check_envelope(api_post("notification/read", None, a["token"], raw=b"{"), 400, BAD_JSON)
    check_envelope(api_post("notification/read", {"up_to_id": ["1"]}, a["token"]), 400,
                   INVALID_PARAM)


# --- the page ----------------------------------------------------------------------------------

def session(user):
    """The cookies of a logged-in browser: the session and a CSRF token as the site makes
    them."""
    r = get("/help")
    token = r.cookies()["starling_csrf"].value
    return token, "starling_token=%s; starling_csrf=%s" % (user["token"], token)


def form_post(path, fields, cookie):
    body = urllib.parse.urlencode(fields).encode()
    return request("POST", path, body=body, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})


_LI = re.compile(r'<li class="notification notification-([a-z]+)( unread)?" '
                 r'id="notification-([0-9]+)"')


def shown(text):
    """The notifications of a page: {id: (type, unread)}, in order."""
    return {m.group(3): (m.group(1), bool(m.group(2))) for m in _LI.finditer(text)}


def test_page():
    # Pair x2 -> x1.
    a, b = users()[1], users()[2]
    api("notification/read", {"up_to_id": ALL}, a)
    before = snapshot(a)
    p = create(a, "on the page <b>bold</b>")
    api("post/like", {"post_id": p, "islike": 1}, b)
    api("user/follow", {"target_username": a["username"], "flag": 1}, b)
    q = create(b, "hello @" + a["username"])
    new = fresh(a, before)
    check_eq([n["type"] for n in new], ["mention", "follow", "like"], "the new notifications")
    token, cookie = session(a)
    r = get("/notifications", {"Cookie": cookie})
    check_status(r, 200)
    page = Page(r.text)
    text = page.text()
    en = catalog("en")
    check_eq(page.h1[0] if page.h1 else "", en["notifications.title"], "the page's heading")
    for key in ("like", "follow", "mention"):
        check("@%s %s" % (b["username"], en["notifications." + key]) in text,
              "the sentence '@%s %s' is not on the page: %.500r" % (
                  b["username"], en["notifications." + key], text))
    check("<b>bold</b>" not in r.text and "&lt;b&gt;bold&lt;/b&gt;" in r.text,
          "the post's text is escaped on the page")
    check('href="/p/%s"' % p in r.text and 'href="/p/%s"' % q in r.text, "links to the posts")
    check('href="/u/%s"' % b["username"] in r.text, "a link to the actor")
    items = shown(r.text)
    check_eq(list(items)[:3], [n["id"] for n in new], "the page starts with the new ones")
    # Each one's time, as post cards show theirs (lib/app/card.c): a <time> in its sentence, short
    # ("now", "3 m"), with the exact time (UTC: the user set no zone) in its title.
    for n in new:
        check(abs(n["createdAt"] - time.time()) < 600, "createdAt is now: %r" % n["createdAt"])
        t = time.gmtime(n["createdAt"])
        li = r.text.split('id="notification-%s"' % n["id"], 1)[1].split("</p>", 1)[0]
        check(re.search(r'<time datetime="%s" title="%s">(now|\d+ m)</time>' % (
            time.strftime("%Y-%m-%dT%H:%M:%SZ", t), time.strftime("%Y-%m-%d %H:%M UTC", t)), li),
              "the time of %s in its sentence: %.400r" % (n["type"], li))
    check_eq([k for k, v in items.items() if v[1]], [n["id"] for n in new],
             "only the new ones are marked unread")
    forms = [f for f in page.forms if f["action"] == "/notifications/read"]
    check_eq(len(forms), 1, "one mark-read form")
    check_eq(forms[0]["fields"].get("up_to_id"), new[0]["id"], "up_to_id is the newest shown")
    check_eq(csrf_unmasked(forms[0]["fields"].get("csrf_token")), token,
             "the form's CSRF token, unmasked")
    # Without the token: refused (the page again, with the refusal), nothing marked.
    r = form_post("/notifications/read", {"up_to_id": new[0]["id"]}, cookie)
    check_status(r, 403)
    check('role="alert"' in r.text and "CSRF" in r.text, "the refusal is not on the page")
    check_eq(unread(a), 3, "a refused form marks nothing")
    # A wrong ID: refused with the page again, nothing marked.
    r = form_post("/notifications/read", {"up_to_id": "x", "csrf_token": token}, cookie)
    check_status(r, 400)
    check("up_to_id" in r.text, "the refusal names up_to_id")
    check_eq(unread(a), 3, "a refused form marks nothing")
    # With it: 303 back to the page, everything read, the form gone.
    r = form_post("/notifications/read", {"up_to_id": new[0]["id"], "csrf_token": token},
                  cookie)
    check_status(r, 303)
    check_eq(urllib.parse.urlsplit(r.header("Location") or "").path, "/notifications",
             "back to the page")
    check_eq(unread(a), 0, "the form marked all read")
    r = get("/notifications", {"Cookie": cookie})
    check_status(r, 200)
    check_eq([k for k, v in shown(r.text).items() if v[1]], [], "nothing marked unread")
    check_eq([f for f in Page(r.text).forms if f["action"] == "/notifications/read"], [],
             "no mark-read form when all are read")


def test_page_in_chinese_and_older_link():
    a, b = users()[:2]
    before = snapshot(a)
    for i in range(PAGE + 1):
        create(b, "@%s %d" % (a["username"], i))
    check_eq(len(fresh(a, before)), PAGE + 1, "a page and one more")
    _, cookie = session(a)
    r = get("/notifications", {"Cookie": cookie + "; lang=zh"})
    check_status(r, 200)
    zh = catalog("zh")
    check("@%s %s" % (b["username"], zh["notifications.mention"]) in Page(r.text).text(),
          "the Chinese sentence")
    check_eq(list(shown(r.text)), [n["id"] for n in listing(a)["notifications"]],
             "the first page shows the API's first page")
    older = [html.unescape(u) for u in re.findall(r'href="(/notifications\?cursor[^"]*)"',
                                                  r.text)]
    check_eq(older, ["/notifications?cursor=" + listing(a)["cursor"]], "the Older link")
    r = get(older[0], {"Cookie": cookie})
    check_status(r, 200)
    check_eq(list(shown(r.text)), [n["id"] for n in listing(a, listing(a)["cursor"])[
        "notifications"]], "the second page shows the API's second page")
    check_eq(get("/notifications?cursor=abc", {"Cookie": cookie}).status, 400, "bad cursor")


def test_page_needs_login():
    r = get("/notifications")
    check_status(r, 303)
    check_eq(urllib.parse.urlsplit(r.header("Location") or "").path, "/login",
             "a visitor is sent to the login page")
    check_html_error(form_post("/notifications/read", {"up_to_id": "1"}, ""), 401, UNAUTHORIZED)


if __name__ == "__main__":
    sys.exit(run_main(__doc__, [
        test_like, test_reply, test_repost, test_quote, test_follow, test_mention,
        test_reply_mentioning_its_author_tells_once, test_deleted_record_shows_null_post,
        test_none_for_own_actions, test_none_from_muted_actor,
        test_none_from_blocked_actor_either_way, test_like_unlike_like_notifies_once,
        test_like_taken_back_takes_its_notification,
        test_like_job_run_again_or_late_matches_the_like,
        test_follow_unfollow_follow_notifies_once, test_unfollow_and_block_notify_nothing,
        test_unread_and_mark_read_up_to_an_id, test_pages_without_repeat_or_gap,
        test_unread_count_is_capped_and_leaves_out_blocked_actors,
        test_block_reaches_both_unread_counts_at_once, test_visitors_get_401,
        test_bad_parameters, test_page, test_page_in_chinese_and_older_link,
        test_page_needs_login,
    ]))
