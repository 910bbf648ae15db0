#!/usr/bin/env python3
"""HTTP tests of the social graph (/api/v1/user/follow, block, mute, report and the lists) through
the web server and real databases.

Usage: test_graph.py BASE_URL [-k SUBSTRING]

Environment (set by tests/integration/suite.sh):
  STARLING_TEST_MAIL_DIR    the [mail] spool_dir (activation codes of the test's users)
  STARLING_TEST_SQL         a command that runs SQL (argument: the statements) as root in every
                            shard database of every instance: the rows and jobs HTTP cannot see
  STARLING_TEST_ADMIN       the starling-admin command line of the stack (with -c CONF)

The stack has 8 shards, 0-3 on the first MariaDB instance and 4-7 on the second; the tests check
that their users cover both. Python standard library only.
"""

import os
import subprocess
import sys

sys.dont_write_bytecode = True   # keep tests/lib free of __pycache__
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from starling_test import (UserPool, api_post, check, check_envelope,  # noqa: E402
                           check_eq, get, instance_of, new_user, parallel, profile,
                           run_main, run_sql, sql_sum)
from codes import (BAD_JSON, CONFLICT, FORBIDDEN, INVALID_PARAM, MISSING_PARAM,  # noqa: E402
                   NOT_FOUND, SUSPENDED, UNAUTHORIZED)

ADMIN = os.environ.get("STARLING_TEST_ADMIN", "")
PAGE = 20

_users = UserPool("g")
_pool = _users.users
users = _users.get


def pair_across():
    """Two users of the pool on different MariaDB instances (the pool holds at least 4: some
    tests take a third user from it)."""
    users(4)
    a, b = _users.across(2)
    return a, b


def act(path, user, target, flag=None, status=200, code=0, **extra):
    fields = {"target_username": target["username"] if isinstance(target, dict) else target}
    if flag is not None:
        fields["flag"] = flag
    fields.update(extra)
    r = api_post("user/" + path, fields, user["token"] if user else None)
    return check_envelope(r, status, code)


def follow(a, b, flag=1, **kw):
    return act("follow", a, b, flag, **kw)


def forward(a, b):
    """status_follow of a's row about b (None: no row), read from every shard."""
    rows = run_sql("SELECT status_follow FROM tb_user_relationship WHERE user_id = %d AND "
                   "target_user = %d" % (int(a["id"]), int(b["id"])))
    return int(rows[0][0]) if rows else None


def reversed_rows(a, b):
    """How many reversed rows say a follows b."""
    return sql_sum("SELECT COUNT(*) FROM tb_user_relationship_reversed WHERE user_id = %d AND "
                   "follower_id = %d" % (int(b["id"]), int(a["id"])))


def check_follow_state(a, b, following, what):
    check_eq(forward(a, b) == 1, following, what + ": forward row")
    check_eq(reversed_rows(a, b), 1 if following else 0, what + ": reversed row")


def check_counts(u, followers, followings, what):
    p = profile(u)
    check_eq((p["countFollowers"], p["countFollowings"]), (followers, followings), what)


def listing(path, user=None, status=200, code=0):
    h = {"Authorization": "Bearer " + user["token"]} if user else None
    return check_envelope(get("/api/v1/user/" + path, headers=h), status, code)["data"]


# --- follow ------------------------------------------------------------------------------------

def test_follow_unfollow_repeated_across_instances():
    a, b = pair_across()
    base_a, base_b = profile(a), profile(b)
    for i in range(3):
        follow(a, b, 1)
        follow(a, b, 1)   # a repeat changes nothing
        check_follow_state(a, b, True, "after follow %d" % i)
        check_counts(b, base_b["countFollowers"] + 1, base_b["countFollowings"], "b followed")
        check_counts(a, base_a["countFollowers"], base_a["countFollowings"] + 1, "a follows")
        follow(a, b, 0)
        follow(a, b, 0)
        check_follow_state(a, b, False, "after unfollow %d" % i)
        check_counts(b, base_b["countFollowers"], base_b["countFollowings"], "b unfollowed")
        check_counts(a, base_a["countFollowers"], base_a["countFollowings"], "a unfollowed")


def test_follow_interleaved_both_ways():
    a, b = pair_across()
    follow(a, b, 1)
    follow(b, a, 1)
    follow(a, b, 0)
    follow(b, a, 0)
    follow(b, a, 1)
    check_follow_state(a, b, False, "a unfollowed b")
    check_follow_state(b, a, True, "b follows a")
    check_counts(a, 1, 0, "a: followed by b")
    check_counts(b, 0, 1, "b: follows a")
    follow(b, a, 0)
    check_counts(a, 0, 0, "a: nothing")


def test_follow_concurrent():
    """Many follow and unfollow requests of one pair at once: the rows and counts end matching
    the last state, whatever the order."""
    a, b = pair_across()
    parallel([lambda f=f: follow(a, b, f) for f in [1, 0] * 6])
    follow(a, b, 1)
    check_follow_state(a, b, True, "after the burst and a follow")
    check_counts(b, profile(b)["countFollowers"], 0, "b")   # b follows nobody
    check_eq(profile(b)["countFollowers"],
             sql_sum("SELECT COUNT(*) FROM tb_user_relationship_reversed WHERE user_id = %s"
                     % b["id"]), "b's count matches its rows")
    check_eq(profile(a)["countFollowings"],
             sql_sum("SELECT COUNT(*) FROM tb_user_relationship WHERE status_follow = 1 AND "
                     "user_id = %s" % a["id"]), "a's count matches its rows")
    follow(a, b, 0)
    check_follow_state(a, b, False, "unfollowed")


def test_follow_errors():
    a, b = users(2)
    follow(a, a, 1, status=400, code=INVALID_PARAM)
    follow(a, "nobody_" + os.urandom(4).hex(), 1, status=404, code=NOT_FOUND)
    follow(None, b, 1, status=401, code=UNAUTHORIZED)
    follow(a, b, 2, status=400, code=INVALID_PARAM)
    act("follow", a, b, status=400, code=MISSING_PARAM)                 # no flag
    check_envelope(api_post("user/follow", {"flag": 1}, a["token"]), 400, MISSING_PARAM)
    check_envelope(api_post("user/follow", None, a["token"], raw=b"{"), 400, BAD_JSON)
    follow(a, "x" * 65, 1, status=400, code=INVALID_PARAM)


def test_follow_suspended_refused():
    a, b = users(2)
    s = new_user(prefix="g")
    run_sql("UPDATE tb_user SET suspended = 1 WHERE id = %s" % s["id"])
    # The profile is cached: a write through the app drops the copy.
    check_envelope(api_post("user/save_info", {"description": "suspended"}, s["token"]), 200, 0)
    r = follow(a, s, 1, status=403, code=SUSPENDED)
    check("suspended" in r["message"], "message names the reason: %r" % r["message"])
    check_eq(forward(a, s), None, "no row written")
    follow(a, s, 0)                                             # unfollowing is always fine
    act("block", b, s, 1)                                       # so is blocking
    act("block", b, s, 0)


def test_follow_jobs_done():
    check_eq(sql_sum("SELECT COUNT(*) FROM tb_job WHERE type = 'follow.sync' AND state <> 2"),
             0, "follow.sync jobs not done")


# --- lists -------------------------------------------------------------------------------------

def test_lists_three_pages_with_inserts():
    us = users(2 * PAGE + 6)
    star, fans, late = us[0], us[1:2 * PAGE + 2], us[2 * PAGE + 2:]
    for f in fans:
        follow(f, star, 1)
        follow(star, f, 1)
    for path in ("followers?username=" + star["username"],
                 "following?username=" + star["username"]):
        seen = []
        cursor = ""
        for page in range(3):
            d = listing(path + ("&cursor=" + cursor if cursor else ""))
            if page < 2:
                check_eq(len(d["users"]), PAGE, "page %d size" % page)
            seen += [u["id"] for u in d["users"]]
            cursor = d["cursor"]
            for u in d["users"]:
                check_eq(sorted(u.keys()), ["avatarUrl", "description", "displayName", "id",
                                            "username"], "public fields only")
            # New rows between the requests land above the cursor: no repeat, no gap.
            f = late[page]
            if path.startswith("followers"):
                follow(f, star, 1)
            else:
                follow(star, f, 1)
        check_eq(cursor, "-1", path + ": last page")
        check_eq(len(seen), len(set(seen)), path + ": no repeat")
        check_eq(set(seen), {f["id"] for f in fans}, path + ": no gap")
        check_eq(seen, [f["id"] for f in reversed(fans)], path + ": newest first")
    listing("followers?username=" + star["username"] + "&cursor=abc", status=400,
            code=INVALID_PARAM)
    listing("followers?username=nobody" + os.urandom(4).hex(), status=404, code=NOT_FOUND)
    listing("followers", status=400, code=MISSING_PARAM)


# --- block, mute, report -----------------------------------------------------------------------

def test_block_removes_follows_and_refuses_follow():
    a, b = pair_across()
    follow(a, b, 1)
    follow(b, a, 1)
    act("block", a, b, 1)
    act("block", a, b, 1)
    check_eq(forward(a, b), 2, "a blocks b")
    check_follow_state(b, a, False, "b's follow of a ended")
    check_eq(reversed_rows(a, b), 0, "a's follow of b ended")
    check_counts(a, 0, 0, "a")
    check_counts(b, 0, 0, "b")
    r = follow(b, a, 1, status=403, code=FORBIDDEN)
    check_eq(r["message"], "you cannot follow this account", "the block is not told")
    follow(a, b, 1, status=409, code=CONFLICT)
    blocked = listing("blocked", a)
    check_eq([u["id"] for u in blocked["users"]][:1], [b["id"]], "a's blocked list")
    listing("blocked", status=401, code=UNAUTHORIZED)
    act("block", a, b, 0)
    check_eq(forward(a, b), 0, "unblocked")
    follow(b, a, 1)
    check_follow_state(b, a, True, "b may follow again")
    follow(b, a, 0)


def post_call(path, fields, user, status=200, code=0):
    return check_envelope(api_post("post/" + path, fields, user["token"]), status, code)["data"]


def detail(pid, user=None, status=200, code=0):
    h = {"Authorization": "Bearer " + user["token"]} if user else None
    return check_envelope(get("/api/v1/post/detail?post_id=%s" % pid, headers=h), status, code)


def test_block_in_posts():
    """The blocked user cannot reply to, quote, repost or like the blocker's posts, and neither
    sees the other's posts; a visitor and a third user still do."""
    a, b = pair_across()
    c = [u for u in _pool if u not in (a, b)][0]
    pa = post_call("create", {"content_text": "by the blocker"}, a)["id"]
    pb = post_call("create", {"content_text": "by the blocked"}, b)["id"]
    act("block", a, b, 1)
    try:
        block_in_posts(a, b, c, pa, pb)
    finally:
        act("block", a, b, 0)
    detail(pa, b, 200, 0)
    post_call("like", {"post_id": pa, "islike": 1}, b)
    post_call("like", {"post_id": pa, "islike": 0}, b)


def block_in_posts(a, b, c, pa, pb):
    refused = [("reply", {"original_post_id": pa, "content_text": "hi"}),
               ("repost", {"original_post_id": pa, "content_text": "a quote"}),
               ("repost", {"original_post_id": pa}),
               ("like", {"post_id": pa, "islike": 1})]
    for path, fields in refused:
        post_call(path, fields, b, 403, FORBIDDEN)
        post_call(path, dict(fields, **{"original_post_id" if "original_post_id" in fields
                                        else "post_id": pb}), a, 403, FORBIDDEN)
    detail(pa, b, 404, NOT_FOUND)
    detail(pb, a, 404, NOT_FOUND)
    detail(pa, None, 200, 0)
    detail(pa, c, 200, 0)
    post_call("like", {"post_id": pa, "islike": 1}, c)
    # Profiles too: each side's posts tab, as the other sees it, leaves them out; so does the
    # likes tab of a third user who liked the blocker's post, and a repost of it.
    def tab_ids(tab, owner, viewer):
        h = {"Authorization": "Bearer " + viewer["token"]} if viewer else None
        r = get("/api/v1/user/%s?username=%s" % (tab, owner["username"]), headers=h)
        posts = check_envelope(r, 200, 0)["data"]["posts"]
        return [p["id"] for p in posts] + [p["original"]["id"] for p in posts
                                           if p.get("original")]
    check(pa not in tab_ids("posts", a, b), "the blocker's post in their profile, seen by b")
    check(pb not in tab_ids("posts", b, a), "the blocked user's post in their profile, seen by a")
    check(pa in tab_ids("posts", a, None), "a visitor still sees the blocker's posts")
    check(pa not in tab_ids("likes", c, b), "c's like of the blocker's post, seen by b")
    check(pa in tab_ids("likes", c, c), "c sees their own like")
    post_call("repost", {"original_post_id": pa}, c)
    check(pa not in tab_ids("posts", c, b), "c's repost of the blocker's post, seen by b")
    check(pa in tab_ids("posts", c, None), "c's repost, seen by a visitor")


def test_mute():
    a, b = users(2)
    act("mute", a, b, 1)
    act("mute", a, b, 1)
    check_eq(run_sql("SELECT status_mute FROM tb_user_relationship WHERE user_id = %s AND "
                     "target_user = %s" % (a["id"], b["id"])), [["1"]], "muted")
    check_eq([u["id"] for u in listing("muted", a)["users"]][:1], [b["id"]], "muted list")
    act("mute", a, b, 0)
    check(b["id"] not in [u["id"] for u in listing("muted", a)["users"]], "unmuted")
    act("mute", a, a, 1, status=400, code=INVALID_PARAM)


def test_report_once_per_reporter():
    a, b, c = users(3)
    act("report", a, b, report_reason=3)
    act("report", a, b, report_reason=4)
    act("report", c, b, report_reason=3)
    check_eq(sql_sum("SELECT COUNT(*) FROM tb_reported_user WHERE user_id = %s" % b["id"]), 2,
             "two reporters, two rows")
    act("report", a, b, report_reason=0, status=400, code=INVALID_PARAM)
    act("report", a, b, report_reason=256, status=400, code=INVALID_PARAM)
    act("report", a, b, status=400, code=MISSING_PARAM)
    act("report", a, a, report_reason=1, status=400, code=INVALID_PARAM)


# --- repair-graph ------------------------------------------------------------------------------

def repair_graph():
    check(ADMIN, "STARLING_TEST_ADMIN is not set")
    r = subprocess.run(ADMIN + " repair-graph", shell=True, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    out = r.stdout.decode()
    check_eq(r.returncode, 0, "repair-graph exit status: " + out)
    return out


def test_repair_graph():
    """A half-written pair (one row deleted by hand, each side in turn) is found and mended, the
    counts come right, and a second run has nothing to do."""
    a, b = pair_across()
    repair_graph()                      # whatever earlier tests left: start from a clean graph
    follow(a, b, 0)
    pa, pb = profile(a), profile(b)
    ca = (pa["countFollowers"], pa["countFollowings"])
    cb = (pb["countFollowers"], pb["countFollowings"])
    follow(a, b, 1)
    # The reversed row lost: the forward row says a follows b.
    run_sql("DELETE FROM tb_user_relationship_reversed WHERE user_id = %s AND follower_id = %s"
            % (b["id"], a["id"]))
    out = repair_graph()
    check("follow %s -> %s mended" % (a["id"], b["id"]) in out, "mended: " + out)
    check_follow_state(a, b, True, "after repair")
    check_counts(b, cb[0] + 1, cb[1], "b's counts after repair")
    check("nothing to do" in repair_graph(), "second run")
    # The forward row lost (a stray reversed row): the follow is gone.
    run_sql("DELETE FROM tb_user_relationship WHERE user_id = %s AND target_user = %s"
            % (a["id"], b["id"]))
    out = repair_graph()
    check("follow %s -> %s mended" % (a["id"], b["id"]) in out, "stray reversed row: " + out)
    check_follow_state(a, b, False, "after the second repair")
    check_counts(b, cb[0], cb[1], "b's counts")
    check_counts(a, ca[0], ca[1], "a's counts")
    check("nothing to do" in repair_graph(), "run twice")


TESTS = [v for k, v in sorted(globals().items()) if k.startswith("test_") and
         k != "test_follow_jobs_done"] + [test_follow_jobs_done]


if __name__ == "__main__":
    sys.exit(run_main(__doc__, TESTS))
