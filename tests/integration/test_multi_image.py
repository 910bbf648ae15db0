#!/usr/bin/env python3
"""HTTP tests of posts with several images (docs/media.md, "Several images"): up to four images,
each with its alt text, through the JSON API (post/create, reply, repost as a quote) and the
compose form (multipart, no JavaScript). The API answers them in order as "media", each with its
alt text and its processing state; the card shows each as an <img> whose alt attribute is the
poster's text, escaped (or, without one, who posted it). A fifth image, an alt text of 1,001
characters and an alt text without its image are refused with a 400 naming the field; a post
with one image (and one written before media_json existed) reads as before; deleting a post
releases every one of its uploads for the clean-up.

Usage: test_multi_image.py BASE_URL [-k SUBSTRING]

Environment (set by tests/integration/suite.sh):
  STARLING_TEST_MAIL_DIR    the [mail] spool_dir, to activate the test users
  STARLING_TEST_SQL         runs SQL in every shard (tb_media's states; an older row)

Python standard library only.
"""

import html
import os
import re
import sys
import time
import urllib.parse

sys.dont_write_bytecode = True   # keep tests/lib free of __pycache__
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from starling_test import (UserPool, api_post, check, check_envelope, check_eq,  # noqa: E402
                           get, png_bytes, request, run_main, run_sql, t)

_users = UserPool("mi")
# Hostile alt text: it must come back as text in the attribute, never as markup.
HOSTILE = '"><script>alert(1)</script> & \'x\''
NAMES = [("media", "alt_text")] + [("media_%d" % i, "alt_text_%d" % i) for i in (2, 3, 4)]


def upload(user, n=0):
    """Signs an image upload and PUTs a small PNG (its colour from n, so each file differs);
    returns the mediaUrl."""
    h = {"Authorization": "Bearer " + user["token"]}
    d = check_envelope(get("/api/v1/upload/sign_image?ext=png", headers=h), 200, 0)["data"]
    u = urllib.parse.urlsplit(d["url"])
    check_envelope(request("PUT", u.path + "?" + u.query, body=png_bytes(8 + n, 6, (n * 40, 0, 0)),
                           headers={"Content-Type": "image/png"}), 200, 0)
    return d["mediaUrl"]


def fields(urls, alts, text="four photos"):
    """post/create's fields for urls with alts (in the order of NAMES)."""
    f = {"content_text": text}
    for (m, a), url, alt in zip(NAMES, urls, alts):
        f[m] = url
        if alt is not None:
            f[a] = alt
    return f


def detail(user, pid):
    return check_envelope(get("/api/v1/post/detail?post_id=" + pid,
                              {"Authorization": "Bearer " + user["token"]}), 200, 0)["data"]


def media_state(url):
    """tb_media's state of url's upload (its row is on one shard), or None without a row."""
    rows = run_sql("SELECT state FROM tb_media WHERE media_key = '%s'" % url.split("/media/", 1)[1])
    check(len(rows) <= 1, "one row for %s: %r" % (url, rows))
    return int(rows[0][0]) if rows else None


def wait_ready(user, pid, n):
    """The post's detail once its n images are processed by the stack's worker (seconds)."""
    for _ in range(60):
        d = detail(user, pid)
        if len(d.get("media", [])) == n and all(m.get("ready") for m in d["media"]):
            return d
        time.sleep(0.5)
    raise AssertionError("post %s: images not processed: %r" % (pid, d.get("media")))


def card_imgs(body, pid):
    """The <img> tags of the post's own card on its page."""
    m = re.search(r'id="post-%s".*?</article>' % pid, body, re.S)
    check(m, "post %s has no card on its page" % pid)
    return m.group(0), re.findall(r"<img [^>]*>", m.group(0))


def alt_of(img):
    m = re.search(r'\salt="([^"]*)"', img)
    check(m, "an alt attribute: %s" % img)
    return html.unescape(m.group(1))


def check_medium(m, url, alt, what):
    check_eq(m.get("url"), url, what + ": url")
    check_eq(m.get("alt"), alt, what + ": alt")
    check(isinstance(m.get("processing"), bool), what + ": processing is a boolean: %r" % m)
    check(m.get("state") in ("processing", "ready"), what + ": state: %r" % m)
    check("thumbUrl" in m, what + ": thumbUrl: %r" % m)


# --- tests -------------------------------------------------------------------------------------

def test_four_images_round_trip():
    """Four images with alt texts (one hostile, one Chinese, one empty, one of 1,000 characters)
    come back in order in the API, and as four <img> on the card with those alt texts, escaped;
    the empty one gets the default."""
    user, = _users.get(1)
    urls = [upload(user, i) for i in range(4)]
    long_alt = "é" * 1000   # 1,000 characters, 2,000 bytes: the limit counts characters
    alts = [HOSTILE, "一只猫在窗台上", "", long_alt]
    r = api_post("post/create", fields(urls, alts), user["token"])
    pid = check_envelope(r, 200, 0)["data"]["id"]
    d = detail(user, pid)
    check_eq(d["imageUrl"], urls[0], "imageUrl: the first image, for older clients")
    check_eq(len(d["media"]), 4, "four media")
    for i, (m, url, alt) in enumerate(zip(d["media"], urls, alts)):
        check_medium(m, url, alt, "media[%d]" % i)
    d = wait_ready(user, pid, 4)
    for i, m in enumerate(d["media"]):
        check_eq(m["processing"], False, "media[%d] processed" % i)
        check(m["thumbUrl"].endswith(".640.jpg"), "media[%d]: thumbUrl %r" % (i, m["thumbUrl"]))
    r = get("/p/%s" % pid)
    check_eq(r.status, 200, "the post's page")
    card, imgs = card_imgs(r.body.decode(), pid)
    check_eq(len(imgs), 4, "four <img> on the card: %s" % card[:2000])
    check('class="media-grid media-grid-4"' in card, "the grid of four")
    check("<script>alert" not in card, "the hostile alt text is escaped")
    check("{{" not in card and "}}" not in card, "no template markup left on the card")
    check_eq([alt_of(i) for i in imgs],
             [HOSTILE, alts[1], "%s @%s" % (t("post.image_by"), user["username"]), long_alt],
             "the alt attributes, in order")
    # The home timeline answers the same media.
    posts = check_envelope(get("/api/v1/user/posts?username=" + user["username"]), 200,
                           0)["data"]["posts"]
    listed = [p for p in posts if p["id"] == pid]
    check_eq([m["alt"] for m in listed[0]["media"]], alts, "user/posts: the alt texts")


def test_refusals():
    """A fifth image, an alt text of 1,001 characters, an alt text without its image and the same
    file twice are 400s naming the field; nothing is posted."""
    user, = _users.get(1)
    urls = [upload(user, i) for i in range(4)]
    f = fields(urls, [None] * 4)
    f["media_5"] = urls[0]
    r = check_envelope(api_post("post/create", f, user["token"]), 400, 40004)
    check("media_5" in r["message"], "the message names media_5: %r" % r["message"])
    f = fields(urls[:1], [None])
    f["media_1"] = urls[1]
    r = check_envelope(api_post("post/create", f, user["token"]), 400, 40004)
    check("media_1" in r["message"], "the message names media_1: %r" % r["message"])
    f = fields(urls[:2], ["fine", "x" * 1001])
    r = check_envelope(api_post("post/create", f, user["token"]), 400, 40004)
    check("alt_text_2" in r["message"], "the message names alt_text_2: %r" % r["message"])
    f = fields(urls[:1], [None])
    f["alt_text_3"] = "an image that is not there"
    r = check_envelope(api_post("post/create", f, user["token"]), 400, 40004)
    check("alt_text_3" in r["message"], "the message names alt_text_3: %r" % r["message"])
    r = check_envelope(api_post("post/create", fields([urls[0], urls[0]], [None, None]),
                                user["token"]), 400, 40004)
    check("twice" in r["message"], "the same file twice: %r" % r["message"])
    r = check_envelope(api_post("post/create", fields(urls[:1], ["bad\x01"]), user["token"]),
                       400, 40004)
    check("alt_text" in r["message"], "a control character: %r" % r["message"])
    for u in urls:
        check_eq(media_state(u), 0, "%s: still unattached after the refusals" % u)


def test_one_image_as_before():
    """A post with the one "media" of before answers imageUrl, image and a media of one with no
    alt text; so does a row written before media_json (NULL), on its page too."""
    user, = _users.get(1)
    url = upload(user)
    pid = check_envelope(api_post("post/create", {"content_text": "one", "media": url},
                                  user["token"]), 200, 0)["data"]["id"]
    # As a row from before sql/017_post_media.sql: no media_json (read first after this).
    old = upload(user, 1)
    opid = check_envelope(api_post("post/create", {"content_text": "old", "media": old},
                                   user["token"]), 200, 0)["data"]["id"]
    run_sql("UPDATE tb_post SET media_json = NULL WHERE id = %s" % opid)
    for p, u in ((pid, url), (opid, old)):
        d = detail(user, p)
        check_eq(d["imageUrl"], u, "imageUrl")
        check(d.get("image", {}).get("state") in ("processing", "ready"), "image: %r" % d)
        check_eq(len(d["media"]), 1, "one medium")
        check_medium(d["media"][0], u, "", "media[0]")
    wait_ready(user, opid, 1)
    card, imgs = card_imgs(get("/p/%s" % opid).body.decode(), opid)
    check_eq(len(imgs), 1, "one <img> on the older post's card")
    check_eq(alt_of(imgs[0]), "%s @%s" % (t("post.image_by"), user["username"]), "default alt")


def test_replies_and_quotes():
    """A reply and a quote take several images with alt texts too."""
    user, = _users.get(1)
    pid = check_envelope(api_post("post/create", {"content_text": "root"}, user["token"]), 200,
                         0)["data"]["id"]
    for path in ("post/reply", "post/repost"):
        urls = [upload(user, i) for i in range(2)]
        f = fields(urls, ["first " + path, "second"], text="with images")
        f["original_post_id"] = pid
        rid = check_envelope(api_post(path, f, user["token"]), 200, 0)["data"]["id"]
        d = detail(user, rid)
        check_eq(d["type"], "reply" if path == "post/reply" else "quote", path + ": type")
        check_eq([m["alt"] for m in d["media"]], ["first " + path, "second"], path + ": alts")


def multipart(path, user, text, files, alts):
    """POST of a compose form as a browser sends it: multipart, files [(field, bytes)], alts
    {field: text}, with the session and CSRF cookies."""
    token = get("/help").cookies()["starling_csrf"].value
    boundary = "starlingmultiimage"
    parts = [("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n"
              % (boundary, k, v)).encode() for k, v in
             [("csrf_token", token), ("content_text", text)] + list(alts.items())]
    for field, data in files:
        parts.append(('--%s\r\nContent-Disposition: form-data; name="%s"; filename="a.png"\r\n'
                      'Content-Type: image/png\r\n\r\n' % (boundary, field)).encode() + data +
                     b"\r\n")
    body = b"".join(parts) + ("--%s--\r\n" % boundary).encode()
    return request("POST", path, body=body, headers={
        "Content-Type": "multipart/form-data; boundary=" + boundary,
        "Cookie": "starling_token=%s; starling_csrf=%s" % (user["token"], token)})


def test_compose_form_two_images():
    """The compose page has four file inputs, each with its alt text field; posting two files
    with alt texts (and two inputs left empty) makes a post of two images in order; the reply
    form takes an image too."""
    user, = _users.get(1)
    r = get("/compose", {"Cookie": "starling_token=" + user["token"]})
    body = r.body.decode()
    for f, a in (("image", "alt_text"), ("image_2", "alt_text_2"), ("image_4", "alt_text_4")):
        check('name="%s" type="file"' % f in body, "/compose: a file input %s" % f)
        check('name="%s" type="text" maxlength="1000"' % a in body, "/compose: an input %s" % a)
    r = multipart("/compose", user, "two from the form",
                  [("image", png_bytes(5, 5)), ("image_2", png_bytes(6, 6)),
                   ("image_3", b""), ("image_4", b"")],
                  {"alt_text": "left <b>one</b>", "alt_text_2": "right one"})
    check_eq(r.status, 303, "the form posts: %.300r" % r.body)
    pid = r.header("Location").rsplit("/", 1)[1]
    d = detail(user, pid)
    check_eq([m["alt"] for m in d["media"]], ["left <b>one</b>", "right one"], "the form's alts")
    r = multipart("/p/%s/reply" % pid, user, "a reply with a picture",
                  [("image", png_bytes(7, 7))], {"alt_text": "a reply's image"})
    check_eq(r.status, 303, "the reply form posts: %.300r" % r.body)
    rid = r.header("Location").rsplit("/", 1)[1]
    check_eq([m["alt"] for m in detail(user, rid)["media"]], ["a reply's image"], "reply alt")


def test_delete_releases_all():
    """Each of the four uploads is attached to its post, and all four are released when it is
    deleted (the clean-up then removes them after its grace: test_media.py test_cleanup)."""
    user, = _users.get(1)
    urls = [upload(user, i) for i in range(4)]
    pid = check_envelope(api_post("post/create", fields(urls, ["a", "b", "c", "d"]),
                                  user["token"]), 200, 0)["data"]["id"]
    check_eq([media_state(u) for u in urls], [1, 1, 1, 1], "all four attached")
    r = api_post("post/create", fields([urls[3]], [None], text="again"), user["token"])
    check_envelope(r, 409, 40900)
    check_envelope(api_post("post/delete", {"post_id": pid}, user["token"]), 200, 0)
    check_eq([media_state(u) for u in urls], [2, 2, 2, 2], "all four released")


TESTS = [test_four_images_round_trip, test_refusals, test_one_image_as_before,
         test_replies_and_quotes, test_compose_form_two_images, test_delete_releases_all]

if __name__ == "__main__":
    sys.exit(run_main(__doc__, TESTS))
