#!/usr/bin/env python3
"""Browser test: a post with two images and their alt texts, composed in headless chromium on
/compose without JavaScript of our own (docs/media.md, "Several images").

Usage: test_multi_image.py BASE_URL OUT_DIR MAIL_DIR

A fresh user logs in, and at 1280 px and at 390 px: the compose page has four file inputs, each
labelled, with an alt text field; two PNGs and their alt texts (one with HTML's special
characters) are attached, and the post's page shows both, processed, side by side in the card's
grid, each <img> with its alt text as typed; the page is no wider than the screen at 390 px
and axe-core finds nothing serious in the form or the card. Then posts of three and four images
(through the API) show all of them in their grids at both widths. OUT_DIR receives a screenshot per
width (multi-image-WIDTH-STEP.png) and, on a failure, multi-image-FAILED.png and .html.

Python standard library only. Prints one PASS/FAIL line per step, then a summary; the exit
status is 1 when a step failed.
"""

import os
import re
import sys
import tempfile
import urllib.parse

sys.dont_write_bytecode = True   # keep tests/lib free of __pycache__
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from starling_test import (Browser, api_post, check, check_eq,  # noqa: E402
                           check_templates_translated, get, new_user, png_bytes, request,
                           run_steps, set_base)

TIMEOUT = int(os.environ.get("BROWSER_TIMEOUT", "30"))
TEMPLATES = ["compose", "partials/compose_form", "partials/post_card", "partials/post_image"]

BASE = OUT = MAIL = None
B = None
USER = None


def path():
    return urllib.parse.urlsplit(B.url()).path


def shot(step):
    B.screenshot(os.path.join(OUT, "multi-image-%d-%s.png" % (B.width, step)))


def login(user):
    B.get(BASE + "/login")
    B.type("#login-name", user["username"])
    B.type("#login-password", user["password"])
    B.click('form[action="/login"] button[type="submit"]')
    B.wait(lambda: path() != "/login", "login of %s" % user["username"])


def png_file(w, h, rgb):
    fd, name = tempfile.mkstemp(suffix=".png", dir=OUT)
    with os.fdopen(fd, "wb") as f:
        f.write(png_bytes(w, h, rgb))
    return name


def compose_two(width):
    """Composes two images at width; checks the form, the card's grid and the alt texts."""
    B.set_width(width)
    B.get(BASE + "/compose")
    for sel in ("#compose-image", "#compose-image_2", "#compose-image_3", "#compose-image_4",
                "#compose-alt_text", "#compose-alt_text_4"):
        check_eq(B.count('label[for="%s"]' % sel[1:]), 1, "a label for %s" % sel)
    check_eq(B.attr("form.compose", "enctype"), "multipart/form-data", "the form's encoding")
    if width < Browser.MOBILE_BELOW:
        B.check_no_overflow()
    B.check_axe()
    alts = ['A blue square & a "quote" <b>', "一只红色的长方形 at %d px" % width]
    B.type("#compose-text", "two images at %d px" % width)
    B.type("#compose-image", png_file(64, 64, (29, 155, 240)))
    B.type("#compose-alt_text", alts[0])
    B.type("#compose-image_2", png_file(80, 40, (220, 40, 40)))
    B.type("#compose-alt_text_2", alts[1])
    shot("compose")
    B.click('form[action="/compose"] button[type="submit"]')
    B.wait(lambda: re.fullmatch(r"/p/\d+", path()) is not None, "the post's page")
    card = "#post-%s" % path().rsplit("/", 1)[1]

    def processed():
        B.get(B.url())
        return B.execute("const i = document.querySelectorAll(arguments[0]);"
                         "return i.length === 2 && [...i].every(x => x.complete && "
                         "x.naturalWidth > 0);", card + " .media-grid img")
    B.wait(processed, "both images processed, served and decoded")
    check_eq(B.count(card + " .media-grid-2"), 1, "the grid of two")
    check("}}" not in B.text(card), "no template markup shown on the card: %r" % B.text(card))
    got = B.execute("return [...document.querySelectorAll(arguments[0])].map(i => i.alt);",
                    card + " .media-grid img")
    check_eq(got, alts, "each <img>'s alt text, as typed")
    rects = B.execute("return [...document.querySelectorAll(arguments[0])].map(i => {"
                      "const r = i.getBoundingClientRect(); return [r.left, r.top, r.width];});",
                      card + " .media-grid img")
    check(rects[0][1] == rects[1][1] and rects[0][0] < rects[1][0],
          "side by side at %d px: %r" % (width, rects))
    check(all(r[2] > 50 for r in rects), "each image drawn wide enough: %r" % rects)
    if width < Browser.MOBILE_BELOW:
        B.check_no_overflow()
    B.check_axe()
    shot("posted")


def upload(n):
    """An image uploaded through the API (sign_image, then the PUT): its mediaUrl."""
    h = {"Authorization": "Bearer " + USER["token"]}
    d = get("/api/v1/upload/sign_image?ext=png", headers=h).json()["data"]
    u = urllib.parse.urlsplit(d["url"])
    r = request("PUT", u.path + "?" + u.query, body=png_bytes(40 + 20 * n, 40 + 10 * n,
                (60 * n, 120, 200 - 40 * n)), headers={"Content-Type": "image/png"})
    check_eq(r.status, 200, "the PUT of image %d" % n)
    return d["mediaUrl"]


def check_grid(n):
    """A post of n images (through the API) shows n images in its card's grid, each at least a
    quarter of the card wide, and nothing wider than the screen."""
    f = {"content_text": "%d images" % n}
    for i in range(n):
        f["media" if i == 0 else "media_%d" % (i + 1)] = upload(i)
        f["alt_text" if i == 0 else "alt_text_%d" % (i + 1)] = "image %d of %d" % (i + 1, n)
    r = api_post("post/create", f, USER["token"])
    check_eq(r.status, 200, "post/create with %d images: %.300r" % (n, r.body))
    pid = r.json()["data"]["id"]
    card = "#post-%s" % pid

    def processed():
        B.get(BASE + "/p/" + pid)
        return B.execute("const i = document.querySelectorAll(arguments[0]);"
                         "return i.length === arguments[1] && [...i].every(x => x.complete && "
                         "x.naturalWidth > 0);", card + " .media-grid img", n)
    B.wait(processed, "the %d images processed" % n)
    rects = B.execute("const g = document.querySelector(arguments[0]).getBoundingClientRect();"
                      "return [g.width, ...[...document.querySelectorAll(arguments[1])].map("
                      "i => i.getBoundingClientRect().width)];", card + " .media-grid",
                      card + " .media-grid img")
    check(all(w >= rects[0] / 4 for w in rects[1:]), "%d images, each wide enough: %r" %
          (n, rects))
    if B.width < Browser.MOBILE_BELOW:
        B.check_no_overflow()
    shot("grid-%d" % n)


def test_desktop():
    login(USER)
    compose_two(Browser.DESKTOP)


def test_phone():
    compose_two(Browser.PHONE)


def test_grids_of_three_and_four():
    for width in (Browser.DESKTOP, Browser.PHONE):
        B.set_width(width)
        check_grid(3)
        check_grid(4)


def on_failure(name):
    B.screenshot(os.path.join(OUT, "multi-image-FAILED.png"))
    with open(os.path.join(OUT, "multi-image-FAILED.html"), "w", encoding="utf-8") as f:
        f.write(B.source())


def main():
    global BASE, OUT, MAIL, B, USER
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    BASE, OUT, MAIL = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
    set_base(BASE)
    check_templates_translated(TEMPLATES)
    USER = new_user(MAIL)
    with Browser(OUT, timeout=TIMEOUT) as b:
        B = b
        return run_steps([test_desktop, test_phone, test_grids_of_three_and_four], on_failure)


if __name__ == "__main__":
    sys.exit(main())
