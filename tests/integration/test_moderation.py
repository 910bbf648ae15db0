#!/usr/bin/env python3
"""HTTP tests of moderation (lib/social/mod.h, docs/moderation.md): roles granted with starling-admin,
the reports queue gathered from both MariaDB instances, the actions on it (dismiss, delete the
post, suspend, lift), the audit log, and what a suspension does (login refused with its reason
and end, tokens dead at once, profile and post hidden, back when lifted or expired).

Usage: test_moderation.py BASE_URL [-k SUBSTRING]

Environment (set by tests/integration/suite.sh):
  STARLING_TEST_ADMIN       the starling-admin command line of the stack (with -c CONF)
  STARLING_TEST_MAIL_DIR    the [mail] spool_dir (activation codes of the test's users)
  STARLING_TEST_SQL         a command that runs SQL as root in every shard database
"""

import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse

sys.dont_write_bytecode = True   # keep tests/lib free of __pycache__
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from starling_test import (Page, UserPool, api_post, check, check_envelope,  # noqa: E402
                           check_eq, get, instance_of, new_user, request, run_main, sql_sum,
                           t)
from waits import wait_for  # noqa: E402
from codes import (FORBIDDEN, INVALID_PARAM, NOT_FOUND, SUSPENDED,  # noqa: E402
                   UNAUTHORIZED)

ADMIN = os.environ.get("STARLING_TEST_ADMIN", "")

# Sign-ups are limited per address (test_accounts.py, last, needs some left): reporters, viewers
# and users without a role come from this pool; only the accounts acted on are made fresh (a
# report is once per reporter and target, so a fresh target keeps each test's reports its own).
_pool = UserPool("mp")
users = _pool.get


def role(args, status=0):
    check(ADMIN, "STARLING_TEST_ADMIN is not set")
    r = subprocess.run(ADMIN + " role " + args, shell=True, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    check_eq(r.returncode, status, "role %s: exit status (%s)" % (args, r.stdout.decode()))
    return r.stdout.decode()


def auth(user):
    return {"Authorization": "Bearer " + user["token"]} if user else None


def mod_get(path, user, status=200, code=0):
    return check_envelope(get("/api/v1/mod/" + path, headers=auth(user)), status, code)


def action(user, status=200, code=0, **fields):
    return check_envelope(api_post("mod/action", fields, user["token"]), status, code)


def report_post(user, pid, reason):
    check_envelope(api_post("post/report", {"post_id": pid, "report_reason": reason},
                            user["token"]), 200, 0)


def report_user(user, target, reason):
    check_envelope(api_post("user/report", {"target_username": target["username"],
                                            "report_reason": reason}, user["token"]), 200, 0)


def create_post(user, text):
    r = api_post("post/create", {"content_text": text}, user["token"])
    return check_envelope(r, 200, 0)["data"]["id"]


def login(user, status=200, code=0):
    r = api_post("user/login", {"name": user["username"], "password": user["password"]})
    return check_envelope(r, status, code)


def fresh(prefix="m"):
    return new_user(prefix=prefix)


_staff = {}


def staff():
    """A moderator and an administrator, made once."""
    if not _staff:
        _staff["mod"], _staff["admin"] = fresh("mm"), fresh("ma")
        role("grant %s moderator" % _staff["mod"]["username"])
        role("grant %s administrator" % _staff["admin"]["username"])
    return _staff["mod"], _staff["admin"]


def test_roles_cli():
    u = users(1)[0]
    out = role("grant %s moderator" % u["username"])
    check("done" in out, "grant: " + out)
    check("nothing to do" in role("grant %s moderator" % u["username"]), "granted twice")
    check(u["id"] in role("list") and "moderator" in role("list"), "listed")
    role("revoke %s moderator" % u["username"])
    check(u["id"] not in role("list"), "revoked: not listed")
    role("grant %s janitor" % u["username"], status=2)
    role("grant nosuchuser%s moderator" % u["id"], status=1)


def test_routes_need_a_role():
    u = users(1)[0]
    mod, _ = staff()
    mod_get("reports", u, 403, FORBIDDEN)
    mod_get("reports", None, 401, UNAUTHORIZED)
    mod_get("audit", mod, 403, FORBIDDEN)     # the audit log: administrators only
    action(u, 403, FORBIDDEN, action="dismiss", target_type="user", target_id=u["id"])
    action(mod, 400, INVALID_PARAM, action="explode", target_type="user", target_id=u["id"])
    action(mod, 400, INVALID_PARAM, action="suspend", target_type="user", target_id=u["id"])
    action(mod, 400, INVALID_PARAM, action="suspend", target_type="user", target_id=u["id"],
           reason="spam", until=int(time.time()) - 10)
    action(mod, 400, INVALID_PARAM, action="delete_post", target_type="user",
           target_id=u["id"], reason="x")
    action(mod, 404, NOT_FOUND, action="dismiss", target_type="user", target_id="1")
    # An ID whose shard bits name no shard of the site: nothing there, not a failure.
    action(mod, 404, NOT_FOUND, action="dismiss", target_type="post",
           target_id="18446744073709551615")
    action(mod, 400, INVALID_PARAM, action="dismiss", target_type="user", target_id="12x")


def find(groups, key, ident):
    return [g for g in groups if g[key]["id"] == ident] if key != "recordId" else \
        [g for g in groups if g["recordId"] == ident]


def test_queue_grouped_and_dismiss_notifies():
    mod, _ = staff()
    author, (r1, r2) = fresh(), users(2)
    pid = create_post(author, "reported post")
    report_post(r1, pid, 3)
    report_post(r2, pid, 5)
    report_user(r1, author, 7)
    q = mod_get("reports", mod)["data"]
    g = find(q["posts"], "recordId", pid)
    check_eq(len(g), 1, "one group for the post")
    check_eq(g[0]["count"], 2, "two reports")
    check_eq(g[0]["reasons"], [3, 5], "reasons")
    check_eq(g[0]["author"]["username"], author["username"], "author shown")
    check("reporter" not in str(g[0]).lower() and r1["id"] not in str(q), "no reporter in queue")
    ga = find(q["accounts"], "user", author["id"])
    check_eq([x["count"] for x in ga], [1], "one account report")
    d = action(mod, action="dismiss", target_type="post", target_id=pid, reason="fine")["data"]
    check_eq(d["settled"], 2, "both reports settled")
    q = mod_get("reports", mod)["data"]
    check_eq(find(q["posts"], "recordId", pid), [], "dismissed: out of the queue")
    check_eq(sql_sum("SELECT COUNT(*) FROM tb_reported_content WHERE record_id = %s AND "
                     "status = 1" % pid), 2, "status dismissed")
    n = check_envelope(get("/api/v1/notification/list", headers=auth(r1)), 200, 0)["data"]
    kinds = [x["type"] for x in n["notifications"]]
    check("report_dismissed" in kinds, "reporter told: %r" % kinds)
    check(get("/api/v1/post/detail?post_id=%s" % pid).status == 200, "dismissed post stays")


def test_delete_post_removes_it():
    mod, admin = staff()
    author, r1 = fresh(), users(1)[0]
    pid = create_post(author, "to be removed")
    report_post(r1, pid, 2)
    before = api("user/profile?username=" + author["username"])["countPosts"]
    r = api_post("mod/action", {"action": "delete_post", "target_type": "post",
                                "target_id": pid, "reason": "spam"}, mod["token"])
    check_envelope(r, 200, 0)
    check_eq(r.header("X-RateLimit-Limit"), "600", "the action is rate limited")
    check_envelope(get("/api/v1/post/detail?post_id=%s" % pid), 404, NOT_FOUND)
    check_eq(api("user/profile?username=" + author["username"])["countPosts"], before - 1,
             "the author's count of posts")
    action(mod, 404, NOT_FOUND, action="delete_post", target_type="post", target_id=pid,
           reason="again")
    n = check_envelope(get("/api/v1/notification/list", headers=auth(r1)), 200, 0)["data"]
    check("report_upheld" in [x["type"] for x in n["notifications"]], "reporter told upheld")
    log = mod_get("audit", admin)["data"]["entries"]
    e = [x for x in log if x["recordId"] == pid]
    check_eq([(x["action"], x["actor"]["id"], x["targetUser"]["id"], x["reason"]) for x in e],
             [("delete_post", mod["id"], author["id"], "spam")], "audit row")


def api(path, user=None, status=200, code=0):
    return check_envelope(get("/api/v1/" + path, headers=auth(user)), status, code)["data"]


def visible(u, viewer, pid, word):
    """Where u (and u's post pid, whose text holds word) shows to viewer, who follows u and
    whom u follows: (viewer's home timeline, search of posts, search of people, the post's
    detail, viewer's following list, viewer's notifications)."""
    home = [p["id"] for p in api("timeline/home", viewer)["posts"]]
    found = [p["id"] for p in api("search/posts?q=" + urllib.parse.quote(word))["posts"]]
    people = [x["id"] for x in api("search/users?q=" + u["username"])["users"]]
    detail = get("/api/v1/post/detail?post_id=%s" % pid, headers=auth(viewer)).status == 200
    following = [x["id"] for x in api("user/following?username=" + viewer["username"])["users"]]
    actors = [n["actor"]["id"] for n in api("notification/list", viewer)["notifications"]]
    return (pid in home, pid in found, u["id"] in people, detail, u["id"] in following,
            u["id"] in actors)


EVERYWHERE = (True,) * 6
NOWHERE = (False,) * 6


def test_suspend_and_lift():
    mod, admin = staff()
    u, viewer = fresh(), users(1)[0]
    for a, b in ((viewer, u), (u, viewer)):
        check_envelope(api_post("user/follow", {"target_username": b["username"], "flag": 1},
                                a["token"]), 200, 0)
    word = "modw" + os.urandom(4).hex()
    pid = create_post(u, "post of a soon suspended user " + word)
    wait_for(lambda: visible(u, viewer, pid, word) == EVERYWHERE,
             "u and the post show everywhere (the follow's notification is the worker's)", 20)
    report_user(viewer, u, 4)
    action(mod, action="suspend", target_type="user", target_id=u["id"], reason="harassment")
    # Tokens stop at once.
    r = api_post("post/create", {"content_text": "still here?"}, u["token"])
    check_envelope(r, 401, UNAUTHORIZED)
    # Login refused, with the reason and the end.
    m = login(u, 403, SUSPENDED)["message"]
    check("harassment" in m and "until a moderator lifts it" in m, "login message: " + m)
    # Hidden from others.
    check_envelope(get("/api/v1/user/profile?username=" + u["username"]), 404, NOT_FOUND)
    check_envelope(get("/api/v1/post/detail?post_id=%s" % pid, headers=auth(viewer)), 404,
                   NOT_FOUND)
    check_eq(visible(u, viewer, pid, word), NOWHERE,
             "home, search of posts and people, detail, lists, notifications: hidden")
    check_eq(get("/u/" + u["username"]).status, 404, "the profile page")
    # The reported user's account never names the reporter: nothing of viewer in the message.
    check(viewer["username"] not in m, "no reporter named")
    action(mod, action="lift", target_type="user", target_id=u["id"], reason="appeal")
    tok = login(u)["data"]["token"]
    check(tok, "logs in again after the lift")
    check_envelope(get("/api/v1/user/profile?username=" + u["username"]), 200, 0)
    check_eq(visible(u, viewer, pid, word), EVERYWHERE, "back everywhere")
    acts = [x["action"] for x in mod_get("audit", admin)["data"]["entries"]
            if x["targetUser"]["id"] == u["id"]]
    check_eq(sorted(acts), ["lift", "suspend"], "both in the audit log")


def test_suspension_expires():
    mod, _ = staff()
    u = fresh()
    until = int(time.time()) + 3
    action(mod, action="suspend", target_type="user", target_id=u["id"], reason="cool off",
           until=until)
    m = login(u, 403, SUSPENDED)["message"]
    check("cool off" in m and "UTC" in m, "an end is shown: " + m)
    time.sleep(4.2)
    login(u)
    check_envelope(get("/api/v1/user/profile?username=" + u["username"]), 200, 0)


def test_moderator_cannot_act_on_admin():
    mod, admin = staff()
    pid = create_post(admin, "by an administrator")
    action(mod, 403, FORBIDDEN, action="suspend", target_type="user", target_id=admin["id"],
           reason="x")
    action(mod, 403, FORBIDDEN, action="delete_post", target_type="post", target_id=pid,
           reason="x")
    check_envelope(get("/api/v1/post/detail?post_id=%s" % pid), 200, 0)
    other = fresh()
    role("grant %s administrator" % other["username"])
    action(admin, action="suspend", target_type="user", target_id=other["id"], reason="test")
    action(admin, action="lift", target_type="user", target_id=other["id"])


def page(path, user, status=200):
    r = get(path, headers={"Cookie": "starling_token=" + user["token"]})
    check_eq(r.status, status, "GET %s: %.300r" % (path, r.body))
    check((r.header("Content-Type") or "").startswith("text/html"), path + ": HTML")
    return r


def form(path, fields, user, csrf=True):
    token = get("/help").cookies()["starling_csrf"].value
    cookie = "starling_token=" + user["token"]
    if csrf:
        fields = dict(fields, csrf_token=token)
        cookie += "; starling_csrf=" + token
    return request("POST", path, body=urllib.parse.urlencode(fields).encode(),
                   headers={"Content-Type": "application/x-www-form-urlencoded",
                            "Cookie": cookie})


def test_pages():
    """The queue page lists a reported account with its forms (CSRF token in each), escapes
    what it shows, and its form acts (303 back to the queue); without the token it is 403; the
    audit page is the administrators'; a user without a role gets 403."""
    mod, admin = staff()
    u, (reporter, nobody) = fresh(), users(2)
    report_user(reporter, u, 6)
    r = page("/mod/reports", mod)
    check(u["username"] in r.text, "the reported account is listed")
    check(reporter["username"] not in r.text, "the reporter is not")
    forms = [f for f in Page(r.text).forms if f["action"] == "/mod/action" and
             f["fields"].get("target_id") == u["id"]]
    check_eq(len(forms), 1, "one form for the account")
    check(forms[0]["fields"].get("csrf_token"), "the form carries the CSRF token")
    page("/mod/reports", nobody, 403)
    page("/mod/audit", mod, 403)
    fields = {"action": "suspend", "target_type": "user", "target_id": u["id"],
              "reason": "<script>x</script>", "until": 0}
    check_eq(form("/mod/action", fields, mod, csrf=False).status, 403, "no CSRF token")
    r = form("/mod/action", fields, mod)
    check_eq(r.status, 303, "the form acts: %.300r" % r.body)
    check_eq(urllib.parse.urlparse(r.header("Location") or "").path, "/mod/reports", "back")
    a = page("/mod/audit", admin)
    check("&lt;script&gt;x&lt;/script&gt;" in a.text and "<script>x</script>" not in a.text,
          "the reason is escaped on the audit page")
    check(re.search(r"<td>20\d\d-\d\d-\d\d \d\d:\d\d UTC</td>", a.text), "times in UTC")
    n = page("/notifications", reporter).text
    check(t("notifications.report_upheld") in n, "the reporter's page tells the outcome")
    check(t("notifications.post_gone") not in n, "an account's outcome names no post as gone")
    r = form("/mod/action", dict(fields, action="suspend", reason=""), mod)
    check_eq(r.status, 400, "a refused action shows the queue again")
    check("a suspension needs one" in r.text, "with the reason of the refusal")
    action(mod, action="lift", target_type="user", target_id=u["id"])


def fresh_on(i):
    """A fresh user on MariaDB instance i: sign-up picks the shard at random, so a few tries."""
    for _ in range(12):
        u = fresh()
        if instance_of(u) == i:
            return u
    raise AssertionError("no sign-up landed on instance %d in 12" % i)


def hung_pid():
    path = os.environ.get("STARLING_TEST_HANG_PIDFILE", "")
    check(path, "STARLING_TEST_HANG_PIDFILE is not set")
    with open(path) as f:
        return int(f.read().split()[0])


def test_queue_partial_with_an_instance_hung():
    """Instance 1 hung (SIGSTOP): the queue is served from instance 0's shards, marked partial;
    whole again once it is resumed. The moderator's own shard must answer (the role is read
    there): a pool user of instance 0, moderator for this test only."""
    mod, there = _pool.across(2)
    reporter = [u for u in users(3) if u is not mod and u is not there][0]
    here = fresh_on(0)
    report_user(reporter, here, 9)
    report_user(reporter, there, 9)
    role("grant %s moderator" % mod["username"])
    try:
        hang_and_resume(mod, here, there)
    finally:
        role("revoke %s moderator" % mod["username"])


def accounts_in_queue(mod, partial):
    """The IDs of the accounts in the queue when it answers 200 and is partial (partial True) or
    whole (False); else None (wait_for asks again)."""
    r = get("/api/v1/mod/reports", headers=auth(mod))
    if r.status != 200 or r.json()["data"].get("partial", False) != partial:
        return None
    return [g["user"]["id"] for g in r.json()["data"]["accounts"]]


def hang_and_resume(mod, here, there):
    pid = hung_pid()
    os.kill(pid, signal.SIGSTOP)
    try:
        ids = wait_for(lambda: accounts_in_queue(mod, True),
                       "a partial queue while instance 1 hangs", 20, 0.5)
        check(here["id"] in ids and there["id"] not in ids, "instance 0's reports only")
    finally:
        os.kill(pid, signal.SIGCONT)
    ids = wait_for(lambda: accounts_in_queue(mod, False), "the queue whole again after SIGCONT",
                   30, 0.5)
    check(here["id"] in ids and there["id"] in ids, "both instances' reports")


TESTS = [v for k, v in sorted(globals().items()) if k.startswith("test_")]


if __name__ == "__main__":
    sys.exit(run_main(__doc__, TESTS))
