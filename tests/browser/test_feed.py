#!/usr/bin/env python3
"""Browser test: the home timeline in headless chromium, through the real pages.

Usage: test_feed.py BASE_URL OUT_DIR MAIL_DIR

Two fresh users (made through the API). The author writes more posts than a page holds; the
reader follows the author (through the API), logs in on /login, and finds the author's newest
post as a card on /, newest first; the Older link leads to the next page, which goes on exactly
where the first one stopped; a visitor gets the landing page with its login and sign-up links.
Texts come from the catalogs $STARLING_SRCDIR/templates/i18n/{en,zh}.json. OUT_DIR receives a
screenshot per step (feed-NN-STEP.png) and, on a failure, feed-FAILED.png and .html.

Python standard library only. Prints one PASS/FAIL line per step (a failed step skips the rest),
then a summary; the exit status is 1 when a step failed.
"""

import os
import sys
import urllib.parse

sys.dont_write_bytecode = True   # keep tests/lib free of __pycache__
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from starling_test import (Browser, api_post, check, check_envelope, check_eq,  # noqa: E402
                           check_templates_translated, new_user, run_steps, set_base, t)

TIMEOUT = int(os.environ.get("BROWSER_TIMEOUT", "30"))
TEMPLATES = ["home"]
PAGE = 20
POSTS = PAGE + 5

BASE = OUT = MAIL = None
B = None
AUTHOR = READER = None
STATE = {}
shots = [0]


def shot(step):
    shots[0] += 1
    B.screenshot(os.path.join(OUT, "feed-%02d-%s.png" % (shots[0], step)))


def cards():
    """The post IDs of the cards on the page, in order."""
    return B.execute("return Array.from(document.querySelectorAll('section.timeline "
                     "article.post')).map(e => e.id.slice(5));")


def test_visitor_landing():
    B.get(BASE + "/")
    check_eq(B.count('section.landing a[href="/login"]'), 1, "the login link")
    check_eq(B.count('section.landing a[href="/signup"]'), 1, "the sign-up link")
    check_eq(B.text("section.landing h1"), t("home.welcome"), "the welcome")
    check_eq(B.count("section.timeline"), 0, "no timeline for a visitor")
    shot("landing")


def test_follow_and_see_posts():
    made = []
    for i in range(POSTS):
        r = api_post("post/create", {"content_text": "feed post %d" % i}, AUTHOR["token"])
        made.append(check_envelope(r, 200, 0)["data"]["id"])
    STATE["made"] = made
    r = api_post("user/follow", {"target_username": AUTHOR["username"], "flag": 1},
                 READER["token"])
    check_envelope(r, 200, 0)
    B.get(BASE + "/login")
    B.type("#login-name", READER["username"])
    B.type("#login-password", READER["password"])
    B.click('form[action="/login"] button[type="submit"]')
    B.wait(lambda: urllib.parse.urlsplit(B.url()).path != "/login", "login")
    B.get(BASE + "/")
    B.wait(lambda: B.count("section.timeline") == 1, "the timeline on /")
    newest = list(reversed(made))
    check_eq(cards(), newest[:PAGE], "the first page: the author's newest posts, newest first")
    check_eq(B.text("#post-%s .post-text" % made[-1]), "feed post %d" % (POSTS - 1),
             "the newest post's text")
    check_eq(B.count("form.compose textarea[name=content_text]"), 1, "the compose box")
    shot("timeline")


def test_older_link():
    newest = list(reversed(STATE["made"]))
    link = 'section.timeline a[rel="next"]'
    check_eq(B.text(link), t("home.older"), "the Older link")
    href = B.attr(link, "href") or ""
    check(href.endswith("/?cursor=" + newest[PAGE - 1]),
          "the Older link's cursor is the last post shown: %r" % href)
    B.click(link)
    B.wait(lambda: "cursor=" in B.url(), "the older page")
    check_eq(cards(), newest[PAGE:], "the older page goes on where the first stopped")
    check_eq(B.count('section.timeline a[rel="next"]'), 0, "no Older link on the last page")
    check_eq(B.count('section.timeline p.newest a[href="/"]'), 1, "back to the newest")
    shot("older")


def on_failure(name):
    B.screenshot(os.path.join(OUT, "feed-FAILED.png"))
    with open(os.path.join(OUT, "feed-FAILED.html"), "w", encoding="utf-8") as f:
        f.write(B.source())


def main():
    global BASE, OUT, MAIL, B, AUTHOR, READER
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    BASE, OUT, MAIL = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
    set_base(BASE)
    check_templates_translated(TEMPLATES)
    AUTHOR = new_user(MAIL)
    READER = new_user(MAIL)
    with Browser(OUT, timeout=TIMEOUT) as b:
        B = b
        return run_steps([test_visitor_landing, test_follow_and_see_posts, test_older_link],
                         on_failure)


if __name__ == "__main__":
    sys.exit(main())
