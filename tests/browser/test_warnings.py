#!/usr/bin/env python3
"""Browser test: content warnings and sensitive media in headless chromium, with JavaScript off
and on (docs/pages.md, "Content warnings, sensitive media and bookmarks").

Usage: test_warnings.py BASE_URL OUT_DIR MAIL_DIR

A user posts, through the API, a text behind a content warning with a sensitive image. For each
mode (page scripts off, then on) a visitor opens the post's page: the details element is closed,
its summary (the warning) shows and the text does not (checkVisibility); a click on the summary
opens it and shows the text; the image is blurred (computed filter) until the "show" box is
ticked (Space on it), then not. Then the author, logged in, bookmarks the post from its card
and finds it on /bookmarks (a plain form without script, the JSON API with it), and posts from
the compose page with a warning. OUT_DIR receives a screenshot
per step and, on a failure, warnings-FAILED.png and .html.
"""

import os
import re
import sys
import urllib.parse

sys.dont_write_bytecode = True   # keep tests/lib free of __pycache__
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from starling_test import (Browser, api_post, check, check_envelope, check_eq,  # noqa: E402
                           check_templates_translated, get, new_user, png_bytes, request,
                           run_steps, set_base, t)
from waits import wait_for  # noqa: E402

TIMEOUT = int(os.environ.get("BROWSER_TIMEOUT", "30"))
TEMPLATES = ["bookmarks", "partials/post_card", "partials/post_quoted", "partials/compose_form"]
WARNING = "spoilers <b>ahead</b>"
TEXT = "the butler did it"

BASE = OUT = MAIL = None
B = None
STATE = {}
shots = [0]


def shot(step):
    shots[0] += 1
    B.screenshot(os.path.join(OUT, "warnings-%02d-%s-%s.png" % (shots[0], STATE["mode"], step)))


def make_post():
    u = new_user(MAIL)
    r = get("/api/v1/upload/sign_image?ext=png", headers={"Authorization": "Bearer " + u["token"]})
    up = check_envelope(r, 200, 0)["data"]
    target = urllib.parse.urlsplit(up["url"])
    check_envelope(request("PUT", target.path + "?" + target.query, body=png_bytes(64, 32),
                           headers={"Content-Type": "image/png"}), 200, 0)
    fields = {"content_text": TEXT, "content_warning": WARNING, "media": up["mediaUrl"],
              "sensitive": True}
    pid = check_envelope(api_post("post/create", fields, u["token"]), 200, 0)["data"]["id"]

    def ready():
        d = check_envelope(get("/api/v1/post/detail?post_id=" + pid), 200, 0)["data"]
        return d.get("image", {}).get("ready")
    wait_for(ready, "the image is processed", 60, every=0.5)
    return u, pid


def visible(css):
    """Whether the element is rendered: checkVisibility() sees through a closed details element's
    slot (content-visibility), where client rects may still be reported."""
    return B.execute("const e = document.querySelector(arguments[0]);"
                     "return e !== null && e.checkVisibility() && e.getClientRects().length > 0;",
                     css)


def test_details_closed_then_opened():
    pid = STATE["post"]
    card = "#post-%s" % pid
    B.get(BASE + "/p/" + pid)
    check_eq(B.text(card + " details.cw > summary"), WARNING, "the summary is the warning, as text")
    check_eq(B.execute("return document.querySelector(arguments[0]).open;", card + " details.cw"),
             False, "the details element starts closed")
    check(not visible(card + " .post-text"), "the text is hidden while closed")
    shot("closed")
    B.click(card + " details.cw > summary")
    B.wait(lambda: visible(card + " .post-text"), "the text shows once opened")
    check_eq(B.text(card + " .post-text"), TEXT, "the text")
    shot("opened")


def test_sensitive_blurred_until_revealed():
    card = "#post-%s" % STATE["post"]
    img = card + " .sensitive .media img"
    flt = "return getComputedStyle(document.querySelector(arguments[0])).filter;"
    check(re.match(r"blur\(", B.execute(flt, img) or ""), "blurred: %r" % B.execute(flt, img))
    # As a keyboard user does: Space on the focused checkbox (its label is not focusable, and
    # with page scripts off the harness clicks with the keyboard).
    B.execute("document.querySelector(arguments[0]).focus();", card + " .sensitive .reveal")
    B.press(" ")
    B.wait(lambda: B.execute(flt, img) == "none", "not blurred after the label is clicked")
    shot("revealed")


def test_bookmark_from_the_card():
    author, pid = STATE["author"], STATE["post"]
    B.get(BASE + "/login")
    B.type("#login-name", author["username"])
    B.type("#login-password", author["password"])
    B.click('form[action="/login"] button[type="submit"]')
    B.wait(lambda: urllib.parse.urlsplit(B.url()).path != "/login", "login")
    B.get(BASE + "/p/" + pid)
    button = "#post-%s button.bookmark" % pid
    on = t("post.unbookmark")
    B.click(button)
    B.wait(lambda: B.count(button) == 1 and B.text(button) == on, "the button after bookmarking")
    B.get(BASE + "/bookmarks")
    check_eq(B.count("#post-%s" % pid), 1, "the post is on /bookmarks")
    check_eq(B.text("#post-%s details.cw > summary" % pid), WARNING, "still behind its warning")
    shot("bookmarks")
    B.click(button)
    if STATE["mode"] == "js":
        # In place: the button flips, the card stays until the next load.
        B.wait(lambda: B.count(button) == 1 and B.text(button) == t("post.bookmark"),
               "the button after removing")
    else:
        # The form comes back to the list, which no longer holds the post.
        B.wait(lambda: B.count("#post-%s" % pid) == 0, "the post leaves /bookmarks")
        check_eq(B.text(".bookmark-posts p.empty"), t("bookmarks.empty"), "the empty list")


def test_compose_with_a_warning():
    """The compose page's warning field (logged in by the step before): the new post's page
    shows it closed."""
    B.get(BASE + "/compose")
    text = "composed behind a warning (%s)" % STATE["mode"]
    B.type("#compose-text", text)
    B.type("#compose-cw", "composed cw")
    B.click('form[action="/compose"] button[type="submit"]')
    B.wait(lambda: re.fullmatch(r"/p/\d+", urllib.parse.urlsplit(B.url()).path),
           "the new post's page")
    pid = urllib.parse.urlsplit(B.url()).path.rsplit("/", 1)[1]
    card = "#post-%s" % pid
    check_eq(B.text(card + " details.cw > summary"), "composed cw", "the warning from the form")
    check(not visible(card + " .post-text"), "the text hidden behind it")
    shot("composed")


def on_failure(name):
    B.screenshot(os.path.join(OUT, "warnings-FAILED.png"))
    with open(os.path.join(OUT, "warnings-FAILED.html"), "w", encoding="utf-8") as f:
        f.write(B.source())


def main():
    global BASE, OUT, MAIL, B
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    BASE, OUT, MAIL = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
    set_base(BASE)
    check_templates_translated(TEMPLATES)
    STATE["author"], STATE["post"] = make_post()
    rc = 0
    for mode, js in (("nojs", False), ("js", True)):
        STATE["mode"] = mode
        with Browser(OUT, timeout=TIMEOUT, javascript=js) as b:
            B = b
            # A fresh profile each: the second mode starts logged out, as the first did.
            rc |= run_steps([test_details_closed_then_opened,
                             test_sensitive_blurred_until_revealed,
                             test_bookmark_from_the_card, test_compose_with_a_warning],
                            on_failure)
    return rc


if __name__ == "__main__":
    sys.exit(main())
