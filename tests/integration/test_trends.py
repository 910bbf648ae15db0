#!/usr/bin/env python3
"""HTTP tests of trends (/api/v1/trends/hashtags, /api/v1/trends/users and the page /explore)
through the web server, real databases and `starling-admin compute-trends`.

Usage: test_trends.py BASE_URL [-k SUBSTRING]

Environment (set by tests/integration/suite.sh):
  STARLING_TEST_MAIL_DIR    the [mail] spool_dir (activation codes of the test's users)
  STARLING_TEST_SQL         runs SQL in every shard database: yesterday's uses are made by moving
                            today's back a day, and editors' picks are written on shard 0
  STARLING_TEST_ADMIN       the starling-admin command line of the stack (with -c CONF)

The stack runs with the default [trends]: a window of 86400 s and 3 distinct users at least.
Python standard library only.
"""

import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True   # keep tests/lib free of __pycache__
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from starling_test import (UserPool, api_post, check, check_envelope, check_eq,  # noqa: E402
                           get, instance_of, run_main, run_sql)
from codes import METHOD_NOT_ALLOWED  # noqa: E402

ADMIN = os.environ.get("STARLING_TEST_ADMIN", "")
DAY = 86400
SHARD0 = "DATABASE() LIKE '%\\\\_0000'"   # run_sql runs everywhere; picks live on shard 0

_users = UserPool("t")


def compute():
    check(ADMIN, "STARLING_TEST_ADMIN is not set")
    r = subprocess.run(ADMIN + " compute-trends", shell=True, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    out = r.stdout.decode()
    check_eq(r.returncode, 0, "compute-trends exit status (%s)" % out.strip())
    return out


def post(user, text):
    r = api_post("post/create", {"content_text": text}, user["token"])
    return check_envelope(r, 200, 0)["data"]["id"]


def follow(a, b, flag=1):
    check_envelope(api_post("user/follow", {"target_username": b["username"], "flag": flag},
                            a["token"]), 200, 0)


def block(a, b, flag=1):
    check_envelope(api_post("user/block", {"target_username": b["username"], "flag": flag},
                            a["token"]), 200, 0)


def trends(path, user=None):
    h = {"Authorization": "Bearer " + user["token"]} if user else None
    return check_envelope(get("/api/v1/trends/" + path, h), 200, 0)["data"]


def hashtag_id(key):
    rows = run_sql("SELECT id FROM tb_hashtag WHERE tag_key = '%s'" % key)
    check_eq(len(rows), 1, "one row of #%s" % key)
    return rows[0][0]


def backdate_uses(key, seconds):
    """Moves every use of tag key back by seconds (today's uses become yesterday's)."""
    run_sql("UPDATE tb_post_reply_hashtag SET created_at = created_at - %d WHERE hashtag_id = "
            "(SELECT id FROM tb_hashtag WHERE tag_key = '%s')" % (seconds, key))


def test_burst_beats_a_steady_tag_and_picks_come_first():
    us = _users.across(5)
    check({instance_of(u) for u in us} == {0, 1}, "users on both instances")
    stem = os.urandom(3).hex()
    steady, burst, pick = "steady" + stem, "burst" + stem, "pick" + stem
    # Yesterday: four people used the steady tag (and one, twice: uses are not users).
    for u in us[:4]:
        post(u, "#%s yesterday" % steady)
    post(us[0], "#%s again" % steady)
    backdate_uses(steady, DAY + 3600)
    # Today: the same four again, and all five on the new tag at once.
    for u in us[:4]:
        post(u, "#%s today" % steady)
    for u in us:
        post(u, "#%s now" % burst)
    # One user alone cannot make a trend ([trends] min_users = 3).
    lonely = "lonely" + stem
    for i in range(4):
        post(us[0], "#%s %d" % (lonely, i))
    compute()
    got = trends("hashtags")["hashtags"]
    keys = [t["tag"] for t in got]
    check(burst in keys, "the burst trends: %r" % keys)
    check(lonely not in keys, "one user's tag does not")
    b = got[keys.index(burst)]
    check_eq((b["users"], b["uses"], b["pinned"], b["name"]), (5, 5, False, burst),
             "the burst's numbers")
    # The steady tag has as many users today as yesterday: listed (it has enough users) with a
    # score of 0, below the burst.
    check(steady in keys, "the steady tag is listed: %r" % keys)
    check(keys.index(burst) < keys.index(steady), "the burst above the steady tag")
    s = got[keys.index(steady)]
    check_eq((s["users"], s["uses"]), (4, 4), "today's numbers of the steady tag")
    # An editor's pick comes first, even unused today; the cache is refreshed by compute.
    post(us[1], "#%s" % pick)
    hid = hashtag_id(pick)
    run_sql("INSERT INTO tb_recommended_hashtag (hashtag_id, tag_name, sort_order) SELECT %s, "
            "'%s', -1000 FROM DUAL WHERE %s" % (hid, pick.upper(), SHARD0))
    try:
        compute()
        got = trends("hashtags")["hashtags"]
        check_eq((got[0]["tag"], got[0]["name"], got[0]["pinned"]), (pick, pick.upper(), True),
                 "the pick first")
        check([t["tag"] for t in got].count(burst) == 1, "the burst still there, once")
        r = get("/explore")
        check_eq(r.status, 200, "explore")
        check('href="/hashtag/%s"' % burst in r.text, "explore links the trend")
        check_count_words(r.text)
        check('href="/hashtag/%s"' % pick in r.text, "and the pick")
        # A visitor's home page shows the same trends under its welcome.
        r = get("/")
        check_eq(r.status, 200, "the landing page")
        landing = r.text[r.text.find('class="landing-discover"'):]
        check('href="/hashtag/%s"' % burst in landing and 'href="/hashtag/%s"' % pick in landing,
              "the landing page lists the trends")
    finally:
        run_sql("DELETE FROM tb_recommended_hashtag WHERE hashtag_id = %s" % hid)
        compute()


# The words after the counts of /explore, in English: one form for 1, the other for the rest.
COUNT_WORDS = {"person": "people", "post": "posts", "follower": "followers",
               "new follower": "new followers"}


def check_count_words(text):
    """Every count of the page is followed by its word in the form for that count ("1 person",
    "0 people", "2 posts"): lib/i18n's plural forms, chosen by the page handler."""
    seen = re.findall(r'<span class="n">(\d+)</span> ([a-z ]+?)(?= ·|</span>)', text)
    check(seen, "no counts on the page")
    for n, word in seen:
        want = [k for k, v in COUNT_WORDS.items() if word in (k, v)]
        check(want, "count %s is followed by %r, not a known word" % (n, word))
        form = want[0] if n == "1" else COUNT_WORDS[want[0]]
        check_eq(word, form, "the word after %s" % n)


def test_popular_users_by_follower_growth():
    us = _users.across(6)
    a, b, c, d, e, f = us
    # The tests before this one made many follows (some users have dozens of new followers):
    # they are moved out of the window, so the ranking below is this test's alone.
    run_sql("UPDATE tb_user_relationship_reversed SET created_at = created_at - %d WHERE "
            "created_at > UNIX_TIMESTAMP() - %d" % (2 * DAY, 2 * DAY))
    # b gains three followers now, c one; e is an editor's pick without any.
    for u in (a, d, f):
        follow(u, b)
    follow(a, c)
    # Follows made yesterday do not count as growth: c's second follower is backdated.
    follow(d, c)
    run_sql("UPDATE tb_user_relationship_reversed SET created_at = created_at - %d WHERE "
            "user_id = %s AND follower_id = %s" % (DAY + 60, c["id"], d["id"]))
    run_sql("INSERT INTO tb_recommended_user (user_id, sort_order) SELECT %s, -1000 FROM DUAL "
            "WHERE %s" % (e["id"], SHARD0))
    try:
        compute()
        got = trends("users")["users"]
        ids = [u["id"] for u in got]
        check_eq((ids[0], got[0]["pinned"]), (e["id"], True), "the pick first")
        check(b["id"] in ids and c["id"] in ids, "b and c listed: %r" % ids)
        check(ids.index(b["id"]) < ids.index(c["id"]), "b (3 new) above c (1 new)")
        ub, uc = got[ids.index(b["id"])], got[ids.index(c["id"])]
        check_eq((ub["newFollowers"], ub["followers"], ub["pinned"]), (3, 3, False), "b")
        check_eq((uc["newFollowers"], uc["followers"]), (1, 2), "c: one new of two")
        check_eq(sorted(ub), ["avatarUrl", "description", "displayName", "followers", "id",
                              "newFollowers", "pinned", "username"], "public fields only")
        # The viewer themself and users in a block with the viewer are left out.
        check(b["id"] not in [u["id"] for u in trends("users", b)["users"]], "b not to b")
        block(b, f)
        try:
            check(b["id"] not in [u["id"] for u in trends("users", f)["users"]],
                  "b not to f, whom b blocks")
            check(b["id"] in [u["id"] for u in trends("users", a)["users"]], "b to a")
        finally:
            block(b, f, 0)
        r = get("/explore")
        check('href="/u/%s"' % b["username"] in r.text, "explore links b's profile")
        check_count_words(r.text)
        # An unfollow takes the growth back (at the next computation).
        for u in (a, d, f):
            follow(u, b, 0)
        compute()
        check(b["id"] not in [u["id"] for u in trends("users")["users"]], "b after unfollows")
    finally:
        run_sql("DELETE FROM tb_recommended_user WHERE user_id = %s" % e["id"])
        compute()


def test_refusals():
    check_envelope(api_post("trends/hashtags", {}), 405, METHOD_NOT_ALLOWED)
    r = subprocess.run(ADMIN + " compute-trends extra", shell=True, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    check_eq(r.returncode, 2, "a usage error")


TESTS = [v for k, v in sorted(globals().items()) if k.startswith("test_")]


if __name__ == "__main__":
    sys.exit(run_main(__doc__, TESTS))
