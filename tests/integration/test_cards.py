#!/usr/bin/env python3
"""Link previews through the real web server: OpenGraph and Twitter-card tags, the canonical link
and the description of post, profile and hashtag pages (lib/app/page.h, page_add_meta). Users' words
come back escaped (quotes, <, &), a 280-character text is cut to 200 characters on a character
boundary, URLs are absolute, and a post the viewer may not see (deleted, blocked) shows nothing of
itself in the tags. The favicon and /robots.txt are served.

Usage: test_cards.py BASE_URL   (run by tests/integration/suite.sh)
"""
import html.parser
import os
import re
import sys
import urllib.parse
import urllib.robotparser
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True   # keep tests/lib free of __pycache__
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from starling_test import (api_post, check, check_envelope, check_eq, check_status,  # noqa: E402
                           get, new_user, png_bytes, request, run_main)

DESCRIPTION_MAX = 200   # PAGE_DESCRIPTION_MAX, lib/app/page.h


class Head(html.parser.HTMLParser):
    """The <meta> and <link> tags of a page: meta {property or name: [content]}, links
    {rel: [href]}. Attribute values come back unescaped, as a crawler reads them."""

    def __init__(self):
        super().__init__()
        self.meta, self.links = {}, {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "meta" and ("property" in a or "name" in a):
            self.meta.setdefault(a.get("property") or a.get("name"), []).append(a.get("content"))
        elif tag == "link" and "rel" in a:
            self.links.setdefault(a["rel"], []).append(a.get("href"))


def head(path, headers=None, status=200):
    r = get(path, headers=headers)
    check_status(r, status)
    h = Head()
    h.feed(r.body.decode())
    return h, r.body.decode()


def one(h, key):
    got = h.meta.get(key) or []
    check_eq(len(got), 1, "one %s tag: %r" % (key, got))
    return got[0]


def post(user, text):
    return check_envelope(api_post("post/create", {"content_text": text}, user["token"]),
                          200, 0)["data"]["id"]


def check_card(h, path, kind):
    """The tags every preview has; returns the canonical URL."""
    canonical = h.links.get("canonical") or []
    check_eq(len(canonical), 1, "one canonical link")
    check(re.match(r"^https?://[^/]+%s$" % re.escape(path), canonical[0]),
          "canonical is absolute and names %s: %r" % (path, canonical[0]))
    check_eq(one(h, "og:url"), canonical[0], "og:url is the canonical URL")
    check_eq(one(h, "og:type"), kind, "og:type")
    check(one(h, "og:site_name"), "og:site_name")
    check_eq(one(h, "og:description"), one(h, "description"), "og:description")
    check_eq(one(h, "twitter:description"), one(h, "description"), "twitter:description")
    check_eq(one(h, "twitter:title"), one(h, "og:title"), "twitter:title")
    return canonical[0]


def test_post_page():
    u = new_user()
    check_envelope(api_post("user/save_info", {"display_name": 'Ann "A" <b>&'}, u["token"]),
                   200, 0)
    tricky = 'say "hi" <script>alert(1)</script> & \'more\'\nsecond line'
    pid = post(u, tricky)
    h, body = head("/p/%s" % pid)
    check_card(h, "/p/%s" % pid, "article")
    check_eq(one(h, "description"), tricky.replace("\n", " "), "the text, one line, unescaped")
    check("<script>alert" not in body, "the text is escaped in the page")
    check_eq(one(h, "og:title"), 'Ann "A" <b>& (@%s)' % u["username"], "og:title names the author")
    check_eq(one(h, "twitter:card"), "summary", "no image: summary")
    check("og:image" not in h.meta, "no image, no og:image")

    # 280 characters of two-byte UTF-8: 199 of them and an ellipsis, not a broken character.
    long_text = ("é" * 139 + " ") * 2
    long_text = long_text[:280]
    pid = post(u, long_text)
    h, _ = head("/p/%s" % pid)
    d = one(h, "description")
    check_eq(len(d), DESCRIPTION_MAX, "the description's length in characters")
    check(d.endswith("…") and long_text.startswith(d[:-1].rstrip()), "cut with an ellipsis: %r"
          % d[-5:])

    # A repost's preview is its original's.
    other = new_user()
    rid = check_envelope(api_post("post/repost", {"original_post_id": pid}, other["token"]),
                         200, 0)["data"]["id"]
    h, _ = head("/p/%s" % rid)
    check_eq(one(h, "description"), d, "the repost shows the original's text")


def test_post_with_image():
    """A post's image is its preview's, absolute, as a large card."""
    u = new_user()
    r = get("/api/v1/upload/sign_image?ext=png", headers={"Authorization": "Bearer " + u["token"]})
    up = check_envelope(r, 200, 0)["data"]
    target = urllib.parse.urlsplit(up["url"])
    check_envelope(request("PUT", target.path + "?" + target.query, body=png_bytes(8, 8),
                           headers={"Content-Type": "image/png"}), 200, 0)
    fields = {"content_text": "a picture", "media": up["mediaUrl"]}
    pid = check_envelope(api_post("post/create", fields, u["token"]), 200, 0)["data"]["id"]
    h, _ = head("/p/%s" % pid)
    image = one(h, "og:image")
    check(re.match(r"^https?://", image) and image.endswith(urllib.parse.urlsplit(
        up["mediaUrl"]).path), "og:image is the post's image, absolute: %r" % image)
    check_eq(one(h, "twitter:image"), image, "twitter:image")
    check_eq(one(h, "twitter:card"), "summary_large_image", "an image: the large card")


def test_hidden_posts_leak_nothing():
    a, b = new_user(), new_user()
    secret = "secret" + os.urandom(4).hex()
    pid = post(a, secret)
    # b is blocked by a: the page is 404 for b, and nothing of the post is in it.
    check_envelope(api_post("user/block", {"target_username": b["username"], "flag": 1},
                            a["token"]), 200, 0)
    h, body = head("/p/%s" % pid, headers={"Cookie": "starling_token=%s" % b["token"]},
                   status=404)
    check(secret not in body, "a blocked viewer's page holds the post's text")
    check("og:title" not in h.meta and "canonical" not in h.links,
          "no preview for a blocked viewer")
    # Deleted: 404 for everyone, with no tags.
    check_envelope(api_post("post/delete", {"post_id": pid}, a["token"]), 200, 0)
    h, body = head("/p/%s" % pid, status=404)
    check(secret not in body and "og:description" not in h.meta, "a deleted post's preview")


def test_profile_and_hashtag_pages():
    u = new_user()
    bio = 'I write "code" & <tests>'
    check_envelope(api_post("user/save_info", {"description": bio}, u["token"]), 200, 0)
    h, _ = head("/u/%s" % u["username"])
    check_card(h, "/u/%s" % u["username"], "profile")
    check_eq(one(h, "description"), bio, "the bio describes the profile")
    h, _ = head("/u/%s?tab=likes" % u["username"])
    check_card(h, "/u/%s?tab=likes" % u["username"], "profile")

    tag = "card" + os.urandom(3).hex()
    post(u, "about #%s" % tag)
    h, _ = head("/hashtag/%s" % tag)
    check_card(h, "/hashtag/%s" % tag, "website")
    check_eq(one(h, "og:title"), "#%s" % tag, "the hashtag's title")
    check(one(h, "description").startswith("#%s: 1 " % tag), "the hashtag's description: %r"
          % one(h, "description"))
    # Pages without a preview of their own carry none.
    h, _ = head("/help")
    check("og:title" not in h.meta and "canonical" not in h.links, "/help has no preview")


def test_favicon():
    h, _ = head("/help")
    icons = h.links.get("icon") or []
    check_eq(len(icons), 1, "one icon link")
    r = get(icons[0])
    check_status(r, 200)
    check((r.header("Content-Type") or "").startswith("image/svg+xml"),
          "favicon Content-Type %r" % r.header("Content-Type"))
    check_eq(ET.fromstring(r.body).tag, "{http://www.w3.org/2000/svg}svg", "the icon is an SVG")


def test_robots_txt():
    r = get("/robots.txt")
    check_status(r, 200)
    check((r.header("Content-Type") or "").startswith("text/plain"),
          "robots.txt Content-Type %r" % r.header("Content-Type"))
    rp = urllib.robotparser.RobotFileParser()
    rp.parse(r.body.decode().splitlines())
    for path, allowed in (("/p/1", True), ("/u/ann", True), ("/hashtag/x", True),
                          ("/u/ann/feed.atom", True), ("/explore", True), ("/help", True),
                          ("/", True), ("/static/starling.css", True),
                          ("/api/v1/post/create", False), ("/api/v1/health", False),
                          ("/settings", False), ("/settings/blocked", False),
                          ("/notifications", False), ("/compose", False), ("/bookmarks", False),
                          ("/search?q=x", False),
                          ("/login", False), ("/metrics", False)):
        check_eq(rp.can_fetch("AnyBot", path), allowed, "robots.txt for %s" % path)
    check_status(get("/robots.txtx"), 404)


if __name__ == "__main__":
    sys.exit(run_main(__doc__, [test_post_page, test_post_with_image,
                                test_hidden_posts_leak_nothing, test_profile_and_hashtag_pages,
                                test_favicon, test_robots_txt]))
