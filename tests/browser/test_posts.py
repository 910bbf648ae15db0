#!/usr/bin/env python3
"""Browser test: posting in headless chromium, through the real pages and without JavaScript of
our own (every action is a plain form).

Usage: test_posts.py BASE_URL OUT_DIR MAIL_DIR

Two fresh users (made through the API: sign-up, emailed code, activation). The author logs in on
/login, writes a post with a hashtag, a mention, HTML's special characters and an attached PNG in
the home page's compose box, and lands on the post's page: the text is shown as typed (escaped),
the hashtag and mention are links, the image is served and decodes. Then, on that page: like
(the count and the button change), reply (the reply's page links back to the thread, the thread
lists it and counts it), quote (the quote shows the original inside it), pin (the badge), a
compose with a file that is not an image (refused, the text kept), a text of 281 characters
(refused), deleting the quote (gone: 404), the author's profile (the pinned post first, the
replies and likes tabs, a missing user's 404, no follow button for the owner), the page in
Chinese, the page as the other user (report, no delete) and as a visitor (no buttons; on the
profile a login link and no follow button), and then following the author from the profile page
(the button and the followers count change, the followers page lists the follower) and
unfollowing. Texts come from the catalogs
$STARLING_SRCDIR/templates/i18n/{en,zh}.json. OUT_DIR receives a screenshot per step
(posts-NN-STEP.png) and, on a failure, posts-FAILED.png and .html.

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
from starling_test import (Browser, check, check_eq, check_templates_translated,  # noqa: E402
                           get, new_user, png_bytes, run_steps, set_base, t)

TIMEOUT = int(os.environ.get("BROWSER_TIMEOUT", "30"))
TEMPLATES = ["home", "compose", "post", "user", "user_list", "partials/post_card",
             "partials/post_quoted", "partials/compose_form", "partials/profile_header"]

BASE = OUT = MAIL = None
B = None
AUTHOR = READER = None
STATE = {}
shots = [0]


def shot(step):
    shots[0] += 1
    B.screenshot(os.path.join(OUT, "posts-%02d-%s.png" % (shots[0], step)))


def path():
    return urllib.parse.urlsplit(B.url()).path


def wait_path(pattern, what):
    B.wait(lambda: re.fullmatch(pattern, path()) is not None,
           "%s: the browser never reached %s (at %s)" % (what, pattern, B.url()))


def login(user):
    B.get(BASE + "/login")
    B.type("#login-name", user["username"])
    B.type("#login-password", user["password"])
    B.click('form[action="/login"] button[type="submit"]')
    B.wait(lambda: path() != "/login", "login of %s" % user["username"])


def stat(post_id, kind):
    """A count of a card, read in one script call (a page load between finding the element and
    reading it would fail the read); None when the card is not there."""
    n = B.execute("const e = document.querySelector(arguments[0]);"
                  "return e === null ? null : e.textContent;",
                  '#post-%s [data-count="%s"]' % (post_id, kind))
    return None if n is None else int(n)


def test_compose_with_image():
    login(AUTHOR)
    B.get(BASE + "/")
    check_eq(B.count("form.compose textarea[name=content_text]"), 1, "the home page's compose box")
    check_eq(B.attr("form.compose", "enctype"), "multipart/form-data", "compose form encoding")
    text = "Hello #Starling & <b>friends</b> @%s 椋鸟" % READER["username"]
    B.type("#compose-text", text)
    fd, png = tempfile.mkstemp(suffix=".png", dir=OUT)
    with os.fdopen(fd, "wb") as f:
        f.write(png_bytes(96, 48, (29, 155, 240)))
    # A file input takes the path of the file to send.
    B.type("#compose-image", png)
    shot("compose")
    B.click('form[action="/compose"] button[type="submit"]')
    wait_path(r"/p/\d+", "after posting")
    STATE["post"] = path().rsplit("/", 1)[1]
    pid = STATE["post"]
    card = "#post-%s" % pid
    check_eq(B.text(card + " .post-text"), text, "the post's text, shown as typed")
    check_eq(B.count(card + " .post-text b"), 0, "markup in the text stays text")
    check_eq(B.text(card + ' .post-text a[href="/hashtag/starling"]'), "#Starling",
             "the hashtag link")
    check_eq(B.count(card + ' .post-text a[href="/u/%s"]' % READER["username"]), 1,
             "the mention link")
    # The worker processes the image within a poll or two (docs/media.md); the page says so
    # until then, and shows the processed size once it is there.
    def processed():
        B.get(BASE + "/p/" + pid)
        return B.execute("const i = document.querySelector(arguments[0]);"
                         "return i !== null && i.complete && i.naturalWidth;",
                         card + " .media img") == 96
    B.wait(processed, "the attached image is processed, served and decodes")
    src = B.attr(card + " .media img", "src")
    r = get(urllib.parse.urlsplit(src).path)
    check_eq(r.status, 200, "GET of the image")
    check_eq(r.header("Content-Type"), "image/jpeg", "the processed image's type")
    check_eq([stat(pid, k) for k in ("comments", "likes", "reposts", "quotes")], [0, 0, 0, 0],
             "a new post's counts")
    shot("posted")


def test_like():
    pid = STATE["post"]
    card = "#post-%s" % pid
    check_eq(B.text(card + " button.like"), t("post.like"), "the like button")
    like = card + ' form[action="/p/%s/act"] button.like' % pid
    B.click(like)
    B.wait(lambda: stat(pid, "likes") == 1, "the like count after liking")
    check_eq(B.text(card + " button.like"), t("post.unlike"), "the button after liking")
    # Liking twice is the same as once: the button now sends act=unlike, so unlike, then like
    # again.
    check_eq(B.value(like), "unlike", "the button's act after liking")
    B.click(like)
    B.wait(lambda: stat(pid, "likes") == 0, "the like count after unliking")
    B.click(like)
    B.wait(lambda: stat(pid, "likes") == 1, "the like count after liking again")
    shot("liked")


def test_reply():
    pid = STATE["post"]
    B.type("#reply-text", "A reply with <i>tags</i> #Starling")
    B.click('form[action="/p/%s/reply"] button[type="submit"]' % pid)
    # The form is on /p/<pid> itself: wait for another post's page, not the one still shown.
    wait_path(r"/p/(?!%s$)\d+" % pid, "after replying")
    rid = path().rsplit("/", 1)[1]
    check(rid != pid, "the reply has a page of its own")
    STATE["reply"] = rid
    check_eq(B.attr(".thread-link a", "href"), "/p/" + pid, "the reply's link to its thread")
    check_eq(B.count("#post-%s.reply" % rid), 1, "the reply is shown as a reply")
    B.click(".thread-link a")
    wait_path("/p/" + pid, "back to the thread")
    check_eq(B.count(".replies #post-%s" % rid), 1, "the thread lists the reply")
    check_eq(B.text(".replies #post-%s .post-text" % rid), "A reply with <i>tags</i> #Starling",
             "the reply's text")
    check_eq(stat(pid, "comments"), 1, "the post's reply count")
    shot("replied")


def test_quote():
    pid = STATE["post"]
    B.click(".quote-box summary")
    B.type("#quote-text", "Quoting this one")
    B.click('form[action="/p/%s/quote"] button[type="submit"]' % pid)
    wait_path(r"/p/(?!%s$)\d+" % pid, "after quoting")
    qid = path().rsplit("/", 1)[1]
    STATE["quote"] = qid
    check_eq(B.text("#post-%s > .post-main > .post-text" % qid), "Quoting this one",
             "the quote's text (not the quoted original's)")
    check_eq(B.attr("#post-%s blockquote.quoted" % qid, "cite"), "/p/" + pid,
             "the quote embeds its original")
    B.get(BASE + "/p/" + pid)
    check_eq(stat(pid, "quotes"), 1, "the original's quote count")
    shot("quoted")


def test_pin():
    pid = STATE["post"]
    card = "#post-%s" % pid
    check_eq(B.count(card + " .pinned-badge"), 0, "not pinned yet")
    B.click(card + ' form[action="/p/%s/pin"] button' % pid)
    B.wait(lambda: B.count(card + " .pinned-badge") == 1, "the pinned badge")
    check_eq(B.text(card + " button.pin"), t("post.unpin"), "the button after pinning")
    # Replies cannot be pinned: their cards have no pin button.
    check_eq(B.count('form[action="/p/%s/pin"]' % STATE["reply"]), 0, "no pin button on a reply")
    shot("pinned")


def test_refusals_keep_the_text():
    B.get(BASE + "/compose")
    fd, fake = tempfile.mkstemp(suffix=".png", dir=OUT)
    with os.fdopen(fd, "w") as f:
        f.write("this is not a picture\n")
    B.type("#compose-text", "keep me")
    B.type("#compose-image", fake)
    B.click('form[action="/compose"] button[type="submit"]')
    B.wait(lambda: B.count("p.error") == 1, "the error of a fake image")
    check("not a PNG, JPEG or GIF" in B.text("p.error"), "the message names the problem: %r"
          % B.text("p.error"))
    check_eq(B.value("#compose-text"), "keep me", "the text is kept after a refusal")
    shot("fake-image")
    B.type("#compose-text", "é" * 281)
    B.click('form[action="/compose"] button[type="submit"]')
    B.wait(lambda: "too long" in (B.text("p.error") if B.count("p.error") else ""),
           "the error of a 281-character text")
    check_eq(len(B.value("#compose-text")), 281, "the long text is kept to be shortened")
    shot("too-long")


def test_delete():
    qid = STATE["quote"]
    B.get(BASE + "/p/" + qid)
    B.click('form[action="/p/%s/delete"] button' % qid)
    wait_path("/", "after deleting")
    check_eq(get("/p/" + qid).status, 404, "the deleted post's page")
    B.get(BASE + "/p/" + STATE["post"])
    check_eq(stat(STATE["post"], "quotes"), 0, "the original's quotes after the quote is gone")
    shot("deleted")


def test_profile():
    pid, rid = STATE["post"], STATE["reply"]
    B.get(BASE + "/u/" + AUTHOR["username"])
    check_eq(B.text(".profile .handle"), "@" + AUTHOR["username"], "the profile's handle")
    check_eq(B.text(".profile .email"), AUTHOR["email"], "the owner sees their email")
    check_eq(B.attr('.tabs a[aria-current="page"]', "href"), "/u/" + AUTHOR["username"],
             "the posts tab is the current one")
    first = B.attr(".profile-posts article.post", "id")
    check_eq(first, "post-" + pid, "the pinned post comes first")
    check_eq(B.count("#post-%s .pinned-badge" % pid), 1, "the pinned badge on the profile")
    check_eq(B.count(".profile-posts #post-%s" % pid), 1, "the pinned post is not repeated")
    shot("profile")
    B.click(".tabs a.tab-replies")
    B.wait(lambda: B.count(".profile-posts #post-%s" % rid) == 1, "the replies tab lists the reply")
    B.click(".tabs a.tab-likes")
    B.wait(lambda: B.count(".profile-posts #post-%s" % pid) == 1, "the likes tab lists the liked post")
    check_eq(B.count(".profile-actions form"), 0, "no follow, block or mute for the owner")
    r = get("/u/nosuchuser404")
    check_eq(r.status, 404, "a profile that does not exist")
    check("nosuchuser404" in r.text, "the 404 page names the missing user")


def test_chinese():
    B.get(BASE + "/p/" + STATE["post"])
    B.click('.language-form select option[value="zh"]')
    B.click('.language-form button[type="submit"]')
    B.wait(lambda: B.execute("return document.documentElement.lang;") == "zh", "the page in Chinese")
    pid = STATE["post"]
    check_eq(B.text("#post-%s button.like" % pid), t("post.unlike", "zh"), "the like button in Chinese")
    check_eq(B.text("#replies-heading"), t("post.replies_heading", "zh"), "a heading in Chinese")
    shot("zh")
    B.click('.language-form select option[value="en"]')
    B.click('.language-form button[type="submit"]')
    B.wait(lambda: B.execute("return document.documentElement.lang;") == "en", "back in English")


def test_other_user_and_visitor():
    pid = STATE["post"]
    B.get(BASE + "/logout")
    B.click('form[action="/logout"] button[type="submit"]')
    B.wait(lambda: path() != "/logout", "logout")
    B.get(BASE + "/p/" + pid)
    check_eq(B.count("#post-%s .post-actions" % pid), 0, "a visitor gets no buttons")
    check_eq(B.count("form.compose"), 0, "a visitor gets no reply box")
    check_eq(B.text("#post-%s .post-text" % pid).startswith("Hello #Starling"), True,
             "a visitor reads the post")
    shot("visitor")
    B.get(BASE + "/u/" + AUTHOR["username"])
    check_eq(B.count(".profile-actions form"), 0, "a visitor gets no follow button")
    check_eq(B.count('.profile-page a[href="/login"]'), 1, "a visitor gets a login link")
    login(READER)
    B.get(BASE + "/p/" + pid)
    check_eq(B.count('form[action="/p/%s/delete"]' % pid), 0, "no delete on someone else's post")
    check_eq(B.count('form[action="/p/%s/pin"]' % pid), 0, "no pin on someone else's post")
    # The card's Report link opens the post page's report form (the post page's own).
    check_eq(B.attr("#post-%s a.report" % pid, "href"), "/p/%s#report" % pid,
             "the card's Report link")
    B.click("details.report summary")
    B.click('#report-reason-%s option[value="1"]' % pid)
    B.click('form[action="/p/%s/report"] button' % pid)
    B.wait(lambda: B.count("p.notice[role=status]") == 1, "the report's notice")
    check_eq(B.text("p.notice[role=status]"), t("post.reported"), "the report's notice")
    shot("reported")


def followers():
    """The followers count of the profile shown, read in one script call."""
    n = B.execute("const e = document.querySelector('.profile .count-followers');"
                  "return e === null ? null : e.textContent;")
    return None if n is None else int(n)


def test_follow_from_profile():
    profile = "/u/" + AUTHOR["username"]
    B.get(BASE + profile)
    before = followers()
    check_eq(B.text(".profile-actions button.follow"), t("profile.follow"), "the follow button")
    B.click('form[action="%s/follow"] button' % profile)
    B.wait(lambda: followers() == before + 1, "the followers count after following")
    check_eq(path(), profile, "back on the profile")
    check_eq(B.text(".profile-actions button.follow"), t("profile.unfollow"),
             "the button after following")
    shot("followed")
    B.click(".profile a:has(> .count-followers)")
    wait_path(re.escape(profile) + "/followers", "the followers page")
    check_eq(B.text(".user-list .user-item .handle"), "@" + READER["username"],
             "the followers page lists the follower")
    check_eq(B.attr('.tabs a[aria-current="page"]', "href"), profile + "/followers",
             "the followers tab is the current one")
    shot("followers")
    B.click(".user-list-page .back a")
    wait_path(re.escape(profile), "back to the profile")
    B.click('form[action="%s/follow"] button' % profile)
    B.wait(lambda: followers() == before, "the followers count after unfollowing")
    check_eq(B.text(".profile-actions button.follow"), t("profile.follow"),
             "the button after unfollowing")
    B.get(BASE + profile + "/followers")
    check_eq(B.count(".user-list .user-item"), 0, "the follower is gone from the list")
    check_eq(B.text(".people p.empty"), t("user_list.empty_followers"), "the empty list says so")


def on_failure(name):
    B.screenshot(os.path.join(OUT, "posts-FAILED.png"))
    with open(os.path.join(OUT, "posts-FAILED.html"), "w", encoding="utf-8") as f:
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
        return run_steps([test_compose_with_image, test_like, test_reply, test_quote, test_pin,
                          test_refusals_keep_the_text, test_delete, test_profile, test_chinese,
                          test_other_user_and_visitor, test_follow_from_profile], on_failure)


if __name__ == "__main__":
    sys.exit(main())
