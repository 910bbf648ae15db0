#!/usr/bin/env python3
"""Atom feeds (RFC 4287) through the real web server: a profile's and a hashtag's, linked from
their pages; every required element, absolute links, text that survives escaping (markup, an
ampersand, quotes, CJK), newest first, reposts naming the original's author; 404 for no such
user or tag, 400 for a malformed tag.

Usage: test_feeds.py BASE_URL   (run by tests/integration/suite.sh)
"""
import os
import re
import sys
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True   # keep tests/lib free of __pycache__
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from starling_test import (api_post, check, check_envelope, check_eq, check_status,  # noqa: E402
                           get, new_user, run_main)

NS = {"a": "http://www.w3.org/2005/Atom"}
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def post(user, text):
    return check_envelope(api_post("post/create", {"content_text": text}, user["token"]),
                          200, 0)["data"]["id"]


def feed(path):
    r = get(path)
    check_status(r, 200)
    check((r.header("Content-Type") or "").startswith("application/atom+xml"),
          "%s: Content-Type %r" % (path, r.header("Content-Type")))
    root = ET.fromstring(r.body)
    check_eq(root.tag, "{%s}feed" % NS["a"], "the root is an Atom feed")
    for tag in ("id", "title", "updated"):
        check(root.find("a:" + tag, NS) is not None and root.find("a:" + tag, NS).text,
              "%s: feed without %s" % (path, tag))
    check(STAMP.match(root.find("a:updated", NS).text), "feed updated is RFC 3339")
    self_link = [l for l in root.findall("a:link", NS) if l.get("rel") == "self"]
    check(self_link and self_link[0].get("href").endswith(path), "rel=self names %s" % path)
    entries = root.findall("a:entry", NS)
    for e in entries:
        for tag in ("id", "title", "updated", "published"):
            check(e.find("a:" + tag, NS) is not None, "entry without %s" % tag)
        check(e.find("a:author/a:name", NS) is not None, "entry without author/name")
        alt = [l for l in e.findall("a:link", NS) if l.get("rel") == "alternate"]
        check(alt and re.match(r"^https?://[^/]+/p/\d+$", alt[0].get("href")),
              "entry link is an absolute post URL: %r" % [l.attrib for l in alt])
        check_eq(e.find("a:id", NS).text, alt[0].get("href"), "entry id is its page")
    return root, entries


def test_profile_feed():
    u = new_user()
    tag = "feed" + os.urandom(3).hex()
    tricky = 'a <b>bold</b> & "quoted" \'it\' 你好 #%s' % tag
    first = post(u, "first post")
    second = post(u, tricky)
    root, entries = feed("/u/%s/feed.atom" % u["username"])
    check_eq(len(entries), 2, "two posts")
    ids = [e.find("a:id", NS).text.rsplit("/", 1)[1] for e in entries]
    check_eq(ids, [second, first], "newest first")
    check_eq(entries[0].find("a:content", NS).text, tricky, "the text, unescaped by the parser")
    check_eq(entries[0].find("a:content", NS).get("type"), "text", "plain-text content")
    check(entries[0].find("a:title", NS).text.startswith("@%s: " % u["username"]), "title")
    check_eq(entries[0].find("a:author/a:name", NS).text, u["username"], "author name")
    page = get("/u/%s" % u["username"])
    check_status(page, 200)
    check(('type="application/atom+xml"' in page.body.decode() and
           '/u/%s/feed.atom"' % u["username"] in page.body.decode()),
          "the profile page links its feed")
    # A repost says whose post it passes on.
    other = new_user()
    check_envelope(api_post("post/repost", {"original_post_id": second}, other["token"]), 200, 0)
    _, entries = feed("/u/%s/feed.atom" % other["username"])
    check(entries and entries[0].find("a:content", NS).text ==
          "Reposted @%s: %s" % (u["username"], tricky), "the repost entry")
    # The hashtag's feed has the post with the tag.
    _, entries = feed("/hashtag/%s/feed.atom" % tag)
    check_eq([e.find("a:id", NS).text.rsplit("/", 1)[1] for e in entries][:1], [second],
             "the hashtag's feed")
    page = get("/hashtag/%s" % tag)
    check('/hashtag/%s/feed.atom"' % tag in page.body.decode(), "the hashtag page links its feed")


def test_empty_and_refused():
    u = new_user()
    root, entries = feed("/u/%s/feed.atom" % u["username"])
    check_eq(entries, [], "no posts, no entries")
    check_eq(root.find("a:updated", NS).text, "1970-01-01T00:00:00Z", "an empty feed's time")
    check_status(get("/u/nobody%s/feed.atom" % os.urandom(4).hex()), 404)
    check_status(get("/hashtag/never%s/feed.atom" % os.urandom(4).hex()), 404)
    check_status(get("/hashtag/%%20/feed.atom"), 400)


if __name__ == "__main__":
    sys.exit(run_main(__doc__, [test_profile_feed, test_empty_and_refused]))
