#!/usr/bin/env python3
"""Browser test: search, hashtag pages and explore in headless chromium, through the real pages
(plain links and GET forms, no JavaScript of our own).

Usage: test_discover.py BASE_URL OUT_DIR

Environment (set by tests/integration/suite.sh):
  STARLING_TEST_MAIL_DIR    the [mail] spool_dir (activation codes of the test's users)
  STARLING_TEST_ADMIN       the starling-admin command line of the stack (compute-trends)

Three fresh users (made through the API) post a word and a hashtag made for this run; trends are
computed. A visitor searches the word from the header's search box and lands on /search with the
post's card; follows the hashtag link inside the card to /hashtag/<tag>; opens Explore from the
header and finds the tag among the trends. Then a logged-in user sees Notifications in the header
and searches people, in Chinese too. Texts come from the catalogs
$STARLING_SRCDIR/templates/i18n/{en,zh}.json. OUT_DIR receives a screenshot per step
(discover-NN-STEP.png) and, on a failure, discover-FAILED.png and .html.

Python standard library only. Prints one PASS/FAIL line per step (a failed step skips the rest),
then a summary; the exit status is 1 when a step failed.
"""

import os
import random
import subprocess
import sys
import urllib.parse

sys.dont_write_bytecode = True   # keep tests/lib free of __pycache__
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from starling_test import (Browser, api_post, check, check_eq,  # noqa: E402
                           check_templates_translated, new_user, run_steps, set_base, t)

TIMEOUT = int(os.environ.get("BROWSER_TIMEOUT", "30"))
TEMPLATES = ["search", "hashtag", "explore", "partials/header"]
ADMIN = os.environ.get("STARLING_TEST_ADMIN", "")

BASE = OUT = None
B = None
USERS = []
STATE = {}
shots = [0]


def shot(step):
    shots[0] += 1
    B.screenshot(os.path.join(OUT, "discover-%02d-%s.png" % (shots[0], step)))


def path():
    return urllib.parse.urlsplit(B.url()).path


def wait_path(want, what):
    B.wait(lambda: path() == want, "%s: the browser never reached %s (at %s)" % (what, want,
                                                                             B.url()))


def test_setup():
    word = "w" + "".join(random.choice("bcdfghjklmnpqrstvxz") for _ in range(10))
    tag = "disc" + os.urandom(3).hex()
    ids = []
    for u in USERS:
        r = api_post("post/create", {"content_text": "%s with #%s" % (word, tag)}, u["token"])
        check_eq(r.status, 200, "post of %s" % u["username"])
        ids.append(r.json()["data"]["id"])
    check(ADMIN, "STARLING_TEST_ADMIN is not set")
    r = subprocess.run(ADMIN + " compute-trends", shell=True, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    check_eq(r.returncode, 0, "compute-trends: %s" % r.stdout.decode().strip())
    STATE.update(word=word, tag=tag, ids=ids)


def test_search_from_the_header():
    B.get(BASE + "/help")
    B.type("#header-q", STATE["word"])
    B.click(".header-search button[type=submit]")
    wait_path("/search", "the header's search")
    B.wait(lambda: B.count("article.post") == len(USERS), "the three cards")
    for pid in STATE["ids"]:
        check_eq(B.count("#post-%s" % pid), 1, "the card of %s" % pid)
    check_eq(B.value("#search-q"), STATE["word"], "the box keeps the query")
    shot("search")


def test_hashtag_link_from_a_card():
    pid = STATE["ids"][0]
    link = '#post-%s .post-text a[href="/hashtag/%s"]' % (pid, STATE["tag"])
    check_eq(B.count(link), 1, "the card's hashtag link")
    B.click(link)
    wait_path("/hashtag/" + STATE["tag"], "the hashtag link")
    check_eq(B.text("h1"), "#" + STATE["tag"], "the hashtag page's title")
    B.wait(lambda: B.count("article.post") == len(USERS), "the tag's cards")
    shot("hashtag")


def test_explore_lists_the_trend():
    B.click('.site-header a[href="/explore"]')
    wait_path("/explore", "Explore in the header")
    check_eq(B.text("h1"), t("explore.title"), "the title")
    trend = 'ol.trend-list a[href="/hashtag/%s"]' % STATE["tag"]
    check_eq(B.count(trend), 1, "the tag among the trends")
    check_eq(B.text(trend), "#" + STATE["tag"], "the trend's name")
    shot("explore")
    B.click(trend)
    wait_path("/hashtag/" + STATE["tag"], "the trend's link")


def test_logged_in_header_and_people():
    user = USERS[0]
    B.get(BASE + "/login")
    B.type("#login-name", user["username"])
    B.type("#login-password", user["password"])
    B.click('form[action="/login"] button[type="submit"]')
    B.wait(lambda: path() != "/login", "login")
    check_eq(B.count('.site-header a[href="/notifications"]'), 1, "Notifications in the header")
    B.get(BASE + "/search")
    B.type("#search-q", USERS[1]["username"].upper())
    B.click('.search-form input[value="users"]')
    B.click(".search-form button[type=submit]")
    B.wait(lambda: "type=users" in B.url(), "the people search")
    check_eq(B.count('.search-users a[href="/u/%s"]' % USERS[1]["username"]), 1,
             "the user found by the start of the name, in any case")
    shot("people")


def test_chinese():
    B.get(BASE + "/explore")
    B.click('.language-form select option[value="zh"]')
    B.click('.language-form button[type="submit"]')
    B.wait(lambda: B.execute("return document.documentElement.lang;") == "zh", "the page in Chinese")
    check_eq(B.text("h1"), t("explore.title", "zh"), "the title in Chinese")
    check_eq(B.attr("#header-q", "placeholder"), t("nav.search_placeholder", "zh"),
             "the search box in Chinese")
    B.type("#header-q", "ab")
    B.click(".header-search button[type=submit]")
    wait_path("/search", "the header's search")
    check_eq(B.text("p.hint"), t("search.hint", "zh"), "the hint, for a query with nothing to search")
    shot("chinese")
    B.click('.language-form select option[value="en"]')
    B.click('.language-form button[type="submit"]')
    B.wait(lambda: B.execute("return document.documentElement.lang;") == "en", "back in English")


def on_failure(name):
    B.screenshot(os.path.join(OUT, "discover-FAILED.png"))
    with open(os.path.join(OUT, "discover-FAILED.html"), "w", encoding="utf-8") as f:
        f.write(B.source())


def main():
    global BASE, OUT, B
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    BASE, OUT = sys.argv[1].rstrip("/"), sys.argv[2]
    set_base(BASE)
    check_templates_translated(TEMPLATES)
    USERS.extend(new_user() for _ in range(3))
    with Browser(OUT, timeout=TIMEOUT) as b:
        B = b
        return run_steps([test_setup, test_search_from_the_header, test_hashtag_link_from_a_card,
                          test_explore_lists_the_trend, test_logged_in_header_and_people,
                          test_chinese], on_failure)


if __name__ == "__main__":
    sys.exit(main())
