#!/usr/bin/env python3
"""Content warnings and sensitive media through the web server and real databases: the API's
content_warning and sensitive parameters on create, reply and quote, their checks (at most 100
characters after NFC, UTF-8 without control characters), contentWarning and sensitive in the
JSON, and the pages: a warned post's text and media inside <details><summary>, the warning
escaped, sensitive media inside .sensitive with its checkbox, the compose and reply forms'
fields, and a reply posted with a warning from the form.

Usage: test_content_warning.py BASE_URL   (run by tests/integration/suite.sh)
"""
import os
import re
import sys
import urllib.parse

sys.dont_write_bytecode = True   # keep tests/lib free of __pycache__
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from starling_test import (UserPool, api_post, check, check_envelope, check_eq,  # noqa: E402
                           check_status, get, png_bytes, request, run_main)
from codes import BAD_UTF8, TEXT_TOO_LONG  # noqa: E402

WARNING_MAX = 100   # POST_WARNING_MAX, lib/social/post.h

_users = UserPool("cw")


def create(user, fields, path="post/create"):
    return check_envelope(api_post(path, fields, user["token"]), 200, 0)["data"]["id"]


def detail(pid, user=None):
    h = {"Authorization": "Bearer " + user["token"]} if user else None
    return check_envelope(get("/api/v1/post/detail?post_id=" + pid, headers=h), 200, 0)["data"]


def session(user):
    token = get("/help").cookies()["starling_csrf"].value
    return token, "starling_token=%s; starling_csrf=%s" % (user["token"], token)


def page(path, user=None):
    h = {"Cookie": session(user)[1]} if user else None
    r = get(path, headers=h)
    check_status(r, 200)
    return r.text


def card_of(text, pid):
    """The <article> of post pid in a page's HTML."""
    m = re.search(r'<article class="post[^"]*" id="post-%s".*?</article>' % pid, text, re.S)
    check(m, "no card of %s in the page" % pid)
    return m.group(0)


def test_api_fields_and_defaults():
    a, = _users.get(1)
    plain = create(a, {"content_text": "no warning here"})
    d = detail(plain)
    check_eq(d["contentWarning"], "", "contentWarning of a post without one")
    check_eq(d["sensitive"], False, "sensitive of a post without it")
    warned = create(a, {"content_text": "the ending of the film", "content_warning": "  spoilers ",
                        "sensitive": True})
    d = detail(warned)
    check_eq(d["contentWarning"], "spoilers", "the warning, trimmed as a text is")
    check_eq(d["sensitive"], True, "sensitive")
    check_eq(d["contentText"], "the ending of the film", "the text is still in the JSON")
    # A reply and a quote carry their own.
    r = create(a, {"original_post_id": warned, "content_text": "agreed",
                   "content_warning": "more spoilers"}, "post/reply")
    check_eq(detail(r)["contentWarning"], "more spoilers", "a reply's warning")
    q = create(a, {"original_post_id": plain, "content_text": "quoting",
                   "content_warning": "quote cw"}, "post/repost")
    d = detail(q)
    check_eq((d["type"], d["contentWarning"]), ("quote", "quote cw"), "a quote's warning")
    check_eq(d["original"]["contentWarning"], "", "its original's own (none)")


def test_api_checks():
    a, = _users.get(1)
    # 100 characters after NFC: "e" + U+0301 is one; 100 CJK characters (300 bytes) are fine.
    ok = create(a, {"content_text": "x", "content_warning": "e\u0301" * WARNING_MAX})
    check_eq(detail(ok)["contentWarning"], "\u00e9" * WARNING_MAX, "normalized to NFC")
    ok = create(a, {"content_text": "x", "content_warning": "警" * WARNING_MAX})
    check_eq(len(detail(ok)["contentWarning"]), WARNING_MAX, "100 CJK characters")
    for path, extra in (("post/create", {}), ("post/reply", {"original_post_id": ok})):
        fields = dict(extra, content_text="x", content_warning="w" * (WARNING_MAX + 1))
        doc = check_envelope(api_post(path, fields, a["token"]), 400, TEXT_TOO_LONG)
        check("content_warning" in doc["message"], "%s: the message names the field: %r"
              % (path, doc["message"]))
        fields["content_warning"] = "bell\u0007"
        check_envelope(api_post(path, fields, a["token"]), 400, BAD_UTF8)
    # Nothing was made by the refused requests: the newest post is still ok.
    r = get("/api/v1/user/posts?username=" + a["username"])
    check_eq(check_envelope(r, 200, 0)["data"]["posts"][0]["id"], ok, "no post from a refusal")


def test_card_hides_behind_details():
    a, b = _users.get(2)
    hostile = '<b>"gore"</b> & <script>x</script>'
    pid = create(a, {"content_text": "behind the warning", "content_warning": hostile})
    for who in (None, b):
        card = card_of(page("/p/" + pid, who), pid)
        m = re.search(r'<details class="cw"><summary>(.*?)</summary>(.*?)</details>', card, re.S)
        check(m, "a details element in the card: %.600s" % card)
        check_eq(m.group(1), "&lt;b&gt;&quot;gore&quot;&lt;/b&gt; &amp; &lt;script&gt;x&lt;/script&gt;",
                 "the warning, escaped")
        check("behind the warning" in m.group(2), "the text is inside the details element")
        check("<details" not in card.split("</details>", 1)[1], "one details element")
    # The home timeline of the author shows it the same way.
    card = card_of(page("/", a), pid)
    check('<details class="cw">' in card, "the home card has the details element")
    plain = create(a, {"content_text": "nothing to hide"})
    check("<details" not in card_of(page("/p/" + plain), plain), "no details without a warning")
    # The link preview says what the closed card says: the warning, not the text.
    text = page("/p/" + pid)
    desc = re.search(r'<meta name="description" content="([^"]*)"', text)
    check(desc and "behind the warning" not in desc.group(1) and "gore" in desc.group(1),
          "the description is the warning: %r" % (desc and desc.group(1)))
    check("behind the warning" not in text.split("<body", 1)[0], "the text is not in the head")


def upload(user):
    r = get("/api/v1/upload/sign_image?ext=png", headers={"Authorization": "Bearer " + user["token"]})
    up = check_envelope(r, 200, 0)["data"]
    target = urllib.parse.urlsplit(up["url"])
    check_envelope(request("PUT", target.path + "?" + target.query, body=png_bytes(8, 8),
                           headers={"Content-Type": "image/png"}), 200, 0)
    return up["mediaUrl"]


def test_sensitive_media():
    a, = _users.get(1)
    pid = create(a, {"content_text": "a picture", "media": upload(a), "sensitive": 1})
    check_eq(detail(pid)["sensitive"], True, "sensitive with an image")
    card = card_of(page("/p/" + pid), pid)
    m = re.search(r'<div class="sensitive"><input type="checkbox" id="reveal-%s" class="reveal">'
                  r'<label for="reveal-%s">[^<]+</label>(.*?)</div>' % (pid, pid), card, re.S)
    check(m, "the media inside .sensitive after its checkbox: %.800s" % card)
    check('class="media' in m.group(1), "the media is inside")
    check("<details" not in card, "sensitive alone: no details element")
    check('property="og:image"' not in page("/p/" + pid), "no preview image of sensitive media")
    css = get("/static/starling.css")
    if css.status == 200:
        check(b".reveal:checked" in css.body, "the stylesheet unblurs on the checkbox")
    plain = create(a, {"content_text": "another", "media": upload(a)})
    check('class="sensitive"' not in card_of(page("/p/" + plain), plain), "not sensitive: no blur")


def test_forms():
    a, b = _users.get(2)
    compose = page("/compose", a)
    for name in ('name="content_warning"', 'name="sensitive"'):
        check(name in compose, "the compose form has %s" % name)
    pid = create(a, {"content_text": "reply to me"})
    text = page("/p/" + pid, b)
    reply_form = re.search(r'<form[^>]*action="/p/%s/reply".*?</form>' % pid, text, re.S)
    check(reply_form and 'name="content_warning"' in reply_form.group(0),
          "the reply form has the warning field")
    token, cookie = session(b)
    body = urllib.parse.urlencode({"csrf_token": token, "content_text": "a warned reply",
                                   "content_warning": "mild peril",
                                   "idempotency_key": os.urandom(8).hex()}).encode()
    r = request("POST", "/p/%s/reply" % pid, body=body, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
    check_status(r, 303)
    rid = r.headers.get("Location", "").rsplit("/", 1)[-1]
    check(rid.isdigit(), "sent on to the reply: %r" % r.headers.get("Location"))
    check_eq(detail(rid)["contentWarning"], "mild peril", "the form's warning is stored")
    # Over the limit from the form: the page again, 400, with the message.
    body = urllib.parse.urlencode({"csrf_token": token, "content_text": "too long a warning",
                                   "content_warning": "w" * (WARNING_MAX + 1),
                                   "idempotency_key": os.urandom(8).hex()}).encode()
    r = request("POST", "/p/%s/reply" % pid, body=body, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
    check_status(r, 400)
    check("100" in r.text, "the page says the limit")


TESTS = [test_api_fields_and_defaults, test_api_checks, test_card_hides_behind_details,
         test_sensitive_media, test_forms]

if __name__ == "__main__":
    sys.exit(run_main(__doc__, TESTS))
