#!/usr/bin/env python3
"""Browser test: the main pages as people see them, on a laptop and on a phone, with and without
JavaScript, checked by axe-core.

Usage: test_pages.py BASE_URL OUT_DIR MAIL_DIR

Two fresh users (made through the API). The author posts through the home page's compose box
with an image; the reader follows the author, likes the post and replies to it. Then each main
page (landing, login, sign-up, home, post page, profile, search, explore, help; logged in also
notifications, settings and compose), logged out and logged in, at 1280 px and at 390 px (an
emulated phone): axe-core (tests/lib/starling_test.py, Browser.check_axe) finds no serious or
critical violation; the first thing a keyboard reaches is the "Skip to content" link to the
main element; the page has one <h1>; and at 390 px no page is wider than a 360 or 390 px screen.
The same in Chinese, logged out and in. Also: the post page's counts say "1 like" and "1 reply"
(plural forms, both languages), images have alt text naming their author, the accent colour
reaches 4.5:1 on white, the keyboard's first Tab shows the skip link with an outline and Enter
on it moves the focus into the page, and logging in with page scripts off (JavaScript
disabled) lands on the home timeline. The layout: three columns at 1280 px (navigation,
timeline, trends and people), one at 390 px; every card has its name, @handle, avatar (the
generated one: the name's initial), an icon from static/icons.svg on each action and a short
time with the exact one in its title; with prefers-color-scheme: dark emulated, the colours keep
4.5:1 and every page passes axe-core again at both widths. With STARLING_SCREENSHOTS=DIR, the
README's screenshots are written there (test_readme_screenshots). Texts come from
$STARLING_SRCDIR/templates/i18n/{en,zh}.json. OUT_DIR receives a screenshot of each page at
each width (pages-WIDTH-NAME.png) and, on a failure, pages-FAILED.png and .html.

Python standard library only. Prints one PASS/FAIL line per step (a failed step skips the rest),
then a summary; the exit status is 1 when a step failed.
"""

import os
import re
import sys
import tempfile
import urllib.parse

sys.dont_write_bytecode = True   # keep tests/lib free of __pycache__
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from starling_test import (Browser, api_post, check, check_eq,  # noqa: E402
                           check_templates_translated, new_user, png_bytes, run_steps, set_base,
                           t)

TIMEOUT = int(os.environ.get("BROWSER_TIMEOUT", "30"))
TEMPLATES = ["layout", "partials/header", "partials/post_card", "partials/post_quoted", "post",
             "home", "hashtag", "search"]

BASE = OUT = MAIL = None
B = None
AUTHOR = READER = None
STATE = {}


def path():
    return urllib.parse.urlsplit(B.url()).path


def api(route, fields, user):
    r = api_post(route, fields, user["token"])
    check_eq(r.status, 200, "%s: %.300r" % (route, r.body))
    return r.json()["data"]


def login(browser, user):
    browser.get(BASE + "/login")
    browser.type("#login-name", user["username"])
    browser.type("#login-password", user["password"])
    browser.click('form[action="/login"] button[type="submit"]')
    browser.wait(lambda: urllib.parse.urlsplit(browser.url()).path != "/login",
                 "login of %s" % user["username"])


def language(lang):
    B.click('.language-form select option[value="%s"]' % lang)
    B.click('.language-form button[type="submit"]')
    B.wait(lambda: B.execute("return document.documentElement.lang;") == lang,
           "the page in %s" % lang)


def logout():
    B.get(BASE + "/logout")
    B.click('form[action="/logout"] button[type="submit"]')
    B.wait(lambda: path() == "/login", "log out")


# The first element a Tab press reaches, and where it leads.
_FIRST_FOCUSABLE = """
    const f = document.querySelector('a[href], button, input:not([type=hidden]), select,' +
                                     'textarea, [tabindex]');
    return f ? [f.tagName.toLowerCase(), f.getAttribute('href'), f.textContent.trim()] : null;"""


def check_page(name, url, lang="en"):
    """The checks every main page passes at the browser's current width."""
    B.get(BASE + url)
    B.screenshot(os.path.join(OUT, "pages-%d-%s.png" % (B.width, name)))
    check_eq(B.execute(_FIRST_FOCUSABLE), ["a", "#main", t("nav.skip", lang)],
             "%s: the first focusable element (the skip link)" % name)
    check_eq(B.execute("const m = document.getElementById('main');"
                       "return m && m.tagName.toLowerCase();"), "main",
             "%s: the skip link's target" % name)
    check_eq(B.count("h1"), 1, "%s: <h1> elements" % name)
    B.check_axe()
    if B.width < Browser.MOBILE_BELOW:
        B.check_no_overflow()


def pages_out():
    return [("landing", "/"), ("login", "/login"), ("signup", "/signup"),
            ("post", "/p/" + STATE["post"]), ("profile", "/u/" + AUTHOR["username"]),
            ("search", "/search?q=starling"), ("explore", "/explore"), ("help", "/help"),
            ("warned", "/p/" + STATE["warned"]), ("likers", "/p/%s/likes" % STATE["post"])]


def pages_in():
    return [("home", "/"), ("post", "/p/" + STATE["post"]),
            ("profile", "/u/" + AUTHOR["username"]), ("search", "/search?q=starling"),
            ("notifications", "/notifications"), ("settings", "/settings"),
            ("compose", "/compose"), ("explore", "/explore"), ("bookmarks", "/bookmarks"),
            ("warned", "/p/" + STATE["warned"])]


# --- the steps ---------------------------------------------------------------------------------

def test_author_posts_with_an_image():
    login(B, AUTHOR)
    check_eq(path(), "/", "where logging in lands")
    B.type("#compose-text", "Pages test #starling 椋鸟")
    fd, png = tempfile.mkstemp(suffix=".png", dir=OUT)
    with os.fdopen(fd, "wb") as f:
        f.write(png_bytes(64, 32, (20, 100, 200)))
    B.type("#compose-image", png)
    B.click('form[action="/compose"] button[type="submit"]')
    B.wait(lambda: re.fullmatch(r"/p/\d+", path()) is not None, "the post's page after posting")
    STATE["post"] = path().rsplit("/", 1)[1]
    api("user/follow", {"target_username": AUTHOR["username"], "flag": 1}, READER)
    api("post/like", {"post_id": STATE["post"], "islike": 1}, READER)
    api("post/reply", {"original_post_id": STATE["post"], "content_text": "a reply"}, READER)
    # A post behind a content warning (its details element through axe too), bookmarked by the
    # author so that /bookmarks has a card.
    STATE["warned"] = api("post/create", {"content_text": "behind a warning",
                                          "content_warning": "a warning"}, READER)["id"]
    api("post/bookmark", {"post_id": STATE["warned"]}, AUTHOR)


def counts_text(pid):
    return B.execute("return Array.from(document.querySelectorAll(arguments[0]))"
                     ".map(li => li.textContent.replace(/\\s+/g, ' ').trim());",
                     "#post-%s .post-stats li" % pid)


def test_plural_forms():
    pid = STATE["post"]
    B.get(BASE + "/p/" + pid)
    got = counts_text(pid)
    # One of each catalog's plural forms: one reply, one like; no repost, no quote (other).
    check_eq(got, ["1 " + t("post.replies.one"), "0 " + t("post.reposts.other"),
                   "0 " + t("post.quotes.other"), "1 " + t("post.likes.one")],
             "the post's counts in English")
    check_eq(got[3], "1 like", "the like count")
    language("zh")
    check_eq(counts_text(pid)[3], "1 " + t("post.likes.other", "zh"), "the like count in Chinese")
    language("en")


def test_image_alt_names_the_author():
    pid = STATE["post"]
    alt = B.attr("#post-%s .media img" % pid, "alt")
    check_eq(alt, "%s @%s" % (t("post.image_by"), AUTHOR["username"]), "the image's alt text")


def test_accent_contrast_and_focus():
    # The accent on white: WCAG 2 contrast ratio from the computed colour of a text link.
    ratio = B.execute("""
        const a = document.querySelector('.post-text a');
        const rgb = getComputedStyle(a).color.match(/\\d+/g).slice(0, 3).map(Number);
        const lum = c => { c /= 255; return c <= 0.03928 ? c / 12.92 :
                                            Math.pow((c + 0.055) / 1.055, 2.4); };
        const l = 0.2126 * lum(rgb[0]) + 0.7152 * lum(rgb[1]) + 0.0722 * lum(rgb[2]);
        return (1.05) / (l + 0.05);""")
    check(ratio >= 4.5, "the accent colour's contrast on white is %.2f:1, want 4.5:1" % ratio)
    # A keyboard user: the first Tab shows the skip link, outlined; Enter goes to the page.
    B.get(BASE + "/p/" + STATE["post"])
    check(B.execute("return document.querySelector('.skip-link').getBoundingClientRect()"
                    ".bottom <= 0;"), "the skip link shows before a keyboard reaches it")
    B.press(B.TAB)
    got = B.execute("""
        const e = document.activeElement, s = getComputedStyle(e), r = e.getBoundingClientRect();
        return [e.className, s.outlineStyle, parseFloat(s.outlineWidth), r.top >= 0];""")
    check_eq(got[0], "skip-link", "what the first Tab reaches")
    check(got[1] != "none" and got[2] >= 2 and got[3],
          "the focused skip link is not visible with an outline: %r" % got)
    B.press(B.ENTER)
    B.wait(lambda: B.execute("return location.hash === '#main' && "
                             "document.activeElement.id === 'main';"),
           "the skip link moves the focus to the main element")
    B.press(B.TAB)
    got = B.execute("""
        const e = document.activeElement, s = getComputedStyle(e);
        return [!!e.closest('main'), s.outlineStyle, parseFloat(s.outlineWidth)];""")
    check(got[0] and got[1] != "none" and got[2] >= 2,
          "the next Tab after the skip link: inside main, outlined: %r" % got)


def test_pages_logged_in_desktop():
    for name, url in pages_in():
        check_page(name, url)


# The boxes of the home page's columns: [left, top, right, bottom] of each selector's element.
_BOXES = """
    return arguments[0].map(s => { const e = document.querySelector(s);
      if (!e) return null; const r = e.getBoundingClientRect();
      return [r.left, r.top + scrollY, r.right, r.bottom + scrollY]; });"""
COLUMNS = [".site-header", ".home-main", "aside.side"]


def test_layout_three_columns():
    """1280 px: navigation at the left, the timeline, trends and people at the right, side by
    side; 390 px: one column, in that order, and nothing wider than a 360 px screen."""
    B.get(BASE + "/")
    nav, timeline, side = B.execute(_BOXES, COLUMNS)
    check(nav and timeline and side, "the three columns: %r" % [nav, timeline, side])
    check(nav[2] <= timeline[0] and timeline[2] <= side[0],
          "side by side at %d px: %r" % (B.width, [nav, timeline, side]))
    check(side[1] < timeline[3] and nav[1] < timeline[3], "the columns start together")
    check(timeline[2] - timeline[0] >= 500, "a timeline %d px wide" % (timeline[2] - timeline[0]))
    B.set_width(Browser.PHONE)
    try:
        B.get(BASE + "/")
        nav, timeline, side = B.execute(_BOXES, COLUMNS)
        check(nav[3] <= timeline[1] and timeline[3] <= side[1],
              "one column at %d px: %r" % (B.width, [nav, timeline, side]))
        check(abs(timeline[0] - side[0]) < 1, "the side column under the timeline")
        B.check_no_overflow()
    finally:
        B.set_width(Browser.DESKTOP)


# Every card of the page: [display name, handle, avatar kind, the generated avatar's initial,
# each action button's [icon (the sprite view its ::before masks with), icon width, its text],
# the time's [datetime, title, text]].
_CARDS = """
    return Array.from(document.querySelectorAll('article.post')).map(c => {
      const q = s => c.querySelector(s), a = q('.post-avatar .avatar'), tm = q('.post-head time');
      return [(q('.post-head .display-name') || {}).textContent,
              (q('.post-head .handle') || {}).textContent,
              a ? a.tagName.toLowerCase() : null,
              a && a.querySelector('text') ? a.querySelector('text').textContent : null,
              Array.from(c.querySelectorAll(':scope > .post-main > .post-actions > form > button,' +
                                            ':scope > .post-main > .post-actions > a.report'))
                .map(b => { const i = getComputedStyle(b, '::before'),
                                  u = /url\("?([^")]*)"?\)/.exec(i.maskImage);
                            return [u && new URL(u[1]).pathname + new URL(u[1]).hash,
                                    i.content !== 'none' ? parseFloat(i.width) : 0,
                                    b.textContent.trim()]; }),
              tm ? [tm.getAttribute('datetime'), tm.getAttribute('title'),
                    tm.textContent.trim()] : null]; });"""


def test_cards_avatars_icons_times():
    """Each card: the name and @handle, an avatar (generated: the name's initial), an icon
    from the sprite on each action with its text as the name, and a short time with the exact
    one in its title."""
    B.get(BASE + "/p/" + STATE["post"])
    cards = B.execute(_CARDS)
    check(len(cards) >= 2, "the post and its reply: %r" % cards)
    sprite = B.execute_async("const done = arguments[arguments.length - 1];"
                             "fetch(arguments[0]).then(r => r.text()).then(done, e => done(''));",
                             BASE + "/static/icons.svg")
    for name, handle, kind, initial, buttons, when in cards:
        check(name and name.strip() and handle and handle.startswith("@"),
              "the name and handle: %r %r" % (name, handle))
        check_eq(kind, "svg", "a generated avatar for %s" % handle)
        check_eq(initial, handle[1].upper(), "the avatar's initial for %s" % handle)
        check(buttons, "the card's actions")
        for href, width, text in buttons:
            check(href and href.startswith("/static/icons.svg#") and
                  ('id="%s"' % href.split("#")[1]) in sprite, "an icon of the sprite: %r" % href)
            check(width > 0, "the icon %s is drawn" % href)
            check(text, "the button with %s has a name" % href)
        check(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", when[0]), "datetime %r" % when[0])
        check(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", when[1]), "title %r" % when[1])
        check(re.fullmatch(r"now|\d+ m", when[2]), "the short time %r" % when[2])


def _luminance(rgb):
    def lin(c):
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    return 0.2126 * lin(rgb[0]) + 0.7152 * lin(rgb[1]) + 0.0722 * lin(rgb[2])


def _contrast(a, b):
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


_COLOURS = """
    const rgb = (e, p) => getComputedStyle(document.querySelector(e))[p]
      .match(/\d+/g).slice(0, 3).map(Number);
    return [rgb('body', 'backgroundColor'), rgb('body', 'color'), rgb('.post-text a', 'color'),
            rgb('.post-head .handle', 'color'), rgb('.post-actions button', 'color')];"""


def color_scheme(dark):
    B._cdp("Emulation.setEmulatedMedia",
           features=[{"name": "prefers-color-scheme", "value": "dark" if dark else "light"}])


def test_dark_theme():
    """prefers-color-scheme: dark turns the pages dark, every text colour keeps 4.5:1 on the
    background, and axe-core finds nothing serious at both widths, logged in and out."""
    color_scheme(True)
    try:
        B.get(BASE + "/p/" + STATE["post"])
        bg, ink, accent, muted, button = B.execute(_COLOURS)
        check(_luminance(bg) < 0.05, "a dark background: %r" % bg)
        for what, c in (("text", ink), ("links", accent), ("muted text", muted),
                        ("buttons", button)):
            ratio = _contrast(c, bg)
            check(ratio >= 4.5, "dark theme: %s %.2f:1 on the background, want 4.5:1" %
                  (what, ratio))
        for width in (Browser.DESKTOP, Browser.PHONE):
            B.set_width(width)
            for name, url in pages_in():
                check_page(name + "-dark", url)
        logout()
        for name, url in pages_out():
            check_page(name + "-dark", url)
        login(B, AUTHOR)
    finally:
        color_scheme(False)
        B.set_width(Browser.DESKTOP)


def test_readme_screenshots():
    """With STARLING_SCREENSHOTS=DIR: the home page, a post page and a profile, at 1280 and at
    390 px (at 1x, so that each stays small), as DIR/{home,post,profile}-{desktop,phone}.png
    for the README (docs/screenshots/). Without it, nothing."""
    out = os.environ.get("STARLING_SCREENSHOTS")
    if not out:
        return
    os.makedirs(out, exist_ok=True)
    logout()
    login(B, READER)
    shots = [("home", "/"), ("post", "/p/" + STATE["post"]),
             ("profile", "/u/" + AUTHOR["username"])]
    try:
        for kind, width in (("desktop", Browser.DESKTOP), ("phone", Browser.PHONE)):
            B.set_width(width)
            if width < Browser.MOBILE_BELOW:
                B._cdp("Emulation.setDeviceMetricsOverride", width=width, height=844,
                       deviceScaleFactor=1, mobile=True)
            for name, url in shots:
                B.get(BASE + url)
                B.screenshot(os.path.join(out, "%s-%s.png" % (name, kind)))
    finally:
        B.set_width(Browser.DESKTOP)
        logout()
        login(B, AUTHOR)


def test_pages_logged_in_phone():
    B.set_width(Browser.PHONE)
    for name, url in pages_in():
        check_page(name, url)
    # One column: the header's search box is as wide as the content, not squeezed beside it.
    B.get(BASE + "/")
    w = B.execute("return [document.querySelector('.header-search').getBoundingClientRect()"
                  ".width, document.documentElement.clientWidth];")
    check(w[0] >= w[1] * 0.8, "the header's search box on a phone is %d of %d px" % tuple(w))


def test_pages_logged_out_phone():
    logout()
    for name, url in pages_out():
        check_page(name, url)


def test_pages_logged_out_desktop():
    B.set_width(Browser.DESKTOP)
    for name, url in pages_out():
        check_page(name, url)


def test_pages_in_chinese():
    """The same checks in Chinese: other words, other widths of words (CJK lines break
    anywhere), the same rules."""
    B.get(BASE + "/help")
    language("zh")
    for width in (Browser.PHONE, Browser.DESKTOP):
        B.set_width(width)
        for name, url in pages_out():
            check_page(name + "-zh", url, "zh")
    login(B, AUTHOR)
    for width in (Browser.PHONE, Browser.DESKTOP):
        B.set_width(width)
        for name, url in pages_in():
            check_page(name + "-zh-in", url, "zh")


def test_without_javascript():
    """Scripts off: logging in still lands on the home timeline, and the phone layout holds."""
    with Browser(OUT, width=Browser.PHONE, timeout=TIMEOUT, javascript=False) as nojs:
        login(nojs, READER)
        check_eq(urllib.parse.urlsplit(nojs.url()).path, "/", "where logging in lands")
        check_eq(nojs.count("main form.compose"), 1, "the home timeline's compose box")
        check(nojs.count("#post-%s" % STATE["post"]) == 1,
              "the followed author's post on the home timeline")
        nojs.check_no_overflow()
        nojs.check_axe()
        nojs.screenshot(os.path.join(OUT, "pages-nojs-home.png"))


def on_failure(name):
    B.screenshot(os.path.join(OUT, "pages-FAILED.png"))
    with open(os.path.join(OUT, "pages-FAILED.html"), "w", encoding="utf-8") as f:
        f.write(B.source())


def main():
    global BASE, OUT, MAIL, B, AUTHOR, READER
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    BASE, OUT, MAIL = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
    set_base(BASE)
    check_templates_translated(TEMPLATES)
    AUTHOR = new_user(MAIL, prefix="pa")
    READER = new_user(MAIL, prefix="pr")
    with Browser(OUT, timeout=TIMEOUT) as b:
        B = b
        return run_steps([test_author_posts_with_an_image, test_plural_forms,
                          test_image_alt_names_the_author, test_accent_contrast_and_focus,
                          test_pages_logged_in_desktop, test_layout_three_columns,
                          test_cards_avatars_icons_times, test_dark_theme,
                          test_readme_screenshots, test_pages_logged_in_phone,
                          test_pages_logged_out_phone, test_pages_logged_out_desktop,
                          test_pages_in_chinese, test_without_javascript], on_failure)


if __name__ == "__main__":
    sys.exit(main())
