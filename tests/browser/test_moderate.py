#!/usr/bin/env python3
"""Browser test: a moderator works through the reports queue in headless chromium, through the
real pages (/mod/reports and its forms; no JavaScript of our own).

Usage: test_moderate.py BASE_URL OUT_DIR

Environment (set by tests/integration/suite.sh):
  STARLING_TEST_MAIL_DIR    the [mail] spool_dir (activation codes of the test's users)
  STARLING_TEST_ADMIN       the starling-admin command line of the stack (role grant)

Through the API: an author posts, a reporter reports the post and the author's account, and the
moderator is granted the role. In the browser the moderator logs in, opens /mod/reports, finds
the post's and the account's groups with their counts, deletes the post (back on the queue, its
group gone), then suspends the account for 7 days with a reason (its group gone too); the
author's profile page is then 404 for a visitor. Texts come from the catalogs. OUT_DIR receives
a screenshot per step (moderate-NN-STEP.png) and, on a failure, moderate-FAILED.png and .html.

Python standard library only. Prints one PASS/FAIL line per step (a failed step skips the rest),
then a summary; the exit status is 1 when a step failed.
"""

import os
import subprocess
import sys
import urllib.parse

sys.dont_write_bytecode = True   # keep tests/lib free of __pycache__
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from starling_test import (Browser, api_post, check, check_eq, get,  # noqa: E402
                           check_templates_translated, new_user, run_steps, set_base, t)

TIMEOUT = int(os.environ.get("BROWSER_TIMEOUT", "30"))
TEMPLATES = ["mod_reports", "mod_audit"]
ADMIN = os.environ.get("STARLING_TEST_ADMIN", "")

BASE = OUT = None
B = None
U = {}
STATE = {}
shots = [0]


def shot(step):
    shots[0] += 1
    B.screenshot(os.path.join(OUT, "moderate-%02d-%s.png" % (shots[0], step)))


def path():
    return urllib.parse.urlsplit(B.url()).path


def test_setup():
    r = api_post("post/create", {"content_text": "a post to be reported"}, U["author"]["token"])
    check_eq(r.status, 200, "the author's post")
    STATE["pid"] = r.json()["data"]["id"]
    for fields, route in (({"post_id": STATE["pid"], "report_reason": 3}, "post/report"),
                          ({"target_username": U["author"]["username"], "report_reason": 5},
                           "user/report")):
        check_eq(api_post(route, fields, U["reporter"]["token"]).status, 200, route)
    check(ADMIN, "STARLING_TEST_ADMIN is not set")
    r = subprocess.run("%s role grant %s moderator" % (ADMIN, U["mod"]["username"]), shell=True,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    check_eq(r.returncode, 0, "role grant: %s" % r.stdout.decode().strip())


def test_the_queue():
    B.get(BASE + "/login")
    B.type("#login-name", U["mod"]["username"])
    B.type("#login-password", U["mod"]["password"])
    B.click('form[action="/login"] button[type="submit"]')
    B.wait(lambda: path() != "/login", "login")
    B.get(BASE + "/mod/reports")
    check_eq(B.text("h1"), t("mod.reports_title"), "the queue's title")
    post = 'li.mod-group[data-record-id="%s"]' % STATE["pid"]
    account = 'li.mod-group[data-user-id="%s"]' % U["author"]["id"]
    check_eq(B.count(post), 1, "the reported post's group")
    check_eq(B.count(account), 1, "the reported account's group")
    check(U["reporter"]["username"] not in B.source(), "the reporter is not named")
    shot("queue")


def test_delete_the_post():
    post = 'li.mod-group[data-record-id="%s"]' % STATE["pid"]
    B.type(post + ' input[name="reason"]', "spam")
    B.click(post + ' button[value="delete_post"]')
    B.wait(lambda: path() == "/mod/reports" and B.count(post) == 0, "back, the post's group gone")
    check_eq(get("/api/v1/post/detail?post_id=%s" % STATE["pid"]).status, 404, "the post is gone")
    shot("deleted")


def test_suspend_the_account():
    account = 'li.mod-group[data-user-id="%s"]' % U["author"]["id"]
    B.type(account + ' input[name="reason"]', "harassment")
    B.click(account + ' select[name="until"] option:nth-child(2)')   # 7 days
    check_eq(B.text(account + ' select[name="until"] option:nth-child(2)'), t("mod.suspend_7"),
             "the second choice is 7 days")
    B.click(account + ' button[value="suspend"]')
    B.wait(lambda: path() == "/mod/reports" and B.count(account) == 0,
           "back, the account's group gone")
    check_eq(get("/u/" + U["author"]["username"]).status, 404, "the profile page is gone")
    r = api_post("user/login", {"name": U["author"]["username"],
                                "password": U["author"]["password"]})
    check("harassment" in r.json()["message"] and "UTC" in r.json()["message"],
          "the author is told why and until when: %r" % r.json()["message"])
    shot("suspended")


def on_failure(name):
    B.screenshot(os.path.join(OUT, "moderate-FAILED.png"))
    with open(os.path.join(OUT, "moderate-FAILED.html"), "w", encoding="utf-8") as f:
        f.write(B.source())


def main():
    global BASE, OUT, B
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    BASE, OUT = sys.argv[1].rstrip("/"), sys.argv[2]
    set_base(BASE)
    check_templates_translated(TEMPLATES)
    for k in ("mod", "author", "reporter"):
        U[k] = new_user(prefix="bm")
    with Browser(OUT, timeout=TIMEOUT) as b:
        B = b
        return run_steps([test_setup, test_the_queue, test_delete_the_post,
                          test_suspend_the_account], on_failure)


if __name__ == "__main__":
    sys.exit(main())
