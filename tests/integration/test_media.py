#!/usr/bin/env python3
"""HTTP tests of media processing (docs/media.md, "Processing"): a photo with a GPS position, a
camera model and an orientation tag is uploaded and posted; the post page says it is processing
until starling-worker has run; then every size it links to is served without any of that
metadata, the original is not served at all, and the page's <picture> points at the sizes.
A decompression bomb is deleted by the worker; the media_quality switch skips WebP. The JSON
API says the same as the pages: each post object with an imageUrl carries "image", its state
(processing, ready, failed) and, once ready, the sizes' URLs.

Usage: test_media.py BASE_URL [-k SUBSTRING]

Environment (set by tests/integration/suite.sh):
  STARLING_TEST_MAIL_DIR    the [mail] spool_dir, to activate the test users
  STARLING_TEST_WORKER_CTL  start|stop|once the stack's starling-worker
  STARLING_TEST_ADMIN       starling-admin with the stack's configuration (the switch)
  STARLING_TEST_WORKER      starling-worker with the stack's configuration (--queue-media)
  STARLING_TEST_SQL         runs SQL in every shard (drops a job, as if queued before processing)
  STARLING_TEST_APP_LOGS    the binaries' access logs (their round trips, as test_budget reads them)

The worker is stopped while a test looks at an image before processing, and started again at
the end. Python standard library only.
"""

import html
import os
import re
import struct
import subprocess
import sys
import urllib.parse
import zlib

sys.dont_write_bytecode = True   # keep tests/lib free of __pycache__
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from starling_test import (UserPool, api_post, check, check_envelope, check_eq,  # noqa: E402
                           get, request, run_main, run_sql, sql_sum, t)

SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
CTL = os.environ.get("STARLING_TEST_WORKER_CTL", "")
ADMIN = os.environ.get("STARLING_TEST_ADMIN", "")
WORKER = os.environ.get("STARLING_TEST_WORKER", "")
# What no served copy may hold: the EXIF block, the camera, and the fixture's comment.
MARKERS = [b"Exif", b"StarlingCam", b"Starling Optics", b"secret", b"GPS"]

_users = UserPool("m")


def fixture(name):
    with open(os.path.join(SRC, "tests", "golden", "media", name), "rb") as f:
        return f.read()


def worker(cmd):
    check(CTL, "STARLING_TEST_WORKER_CTL is not set")
    subprocess.run([CTL, cmd], check=True)


def upload(user, ext, data):
    """Signs an image upload, PUTs data; returns the mediaUrl."""
    h = {"Authorization": "Bearer " + user["token"]}
    d = check_envelope(get("/api/v1/upload/sign_image?ext=" + ext, headers=h), 200, 0)["data"]
    u = urllib.parse.urlsplit(d["url"])
    check_envelope(request("PUT", u.path + "?" + u.query, body=data,
                           headers={"Content-Type": "image/" + ext}), 200, 0)
    return d["mediaUrl"]


def post(user, media):
    doc = check_envelope(api_post("post/create", {"content_text": "a photo", "media": media},
                                  user["token"]), 200, 0)
    return doc["data"]["id"]


def page(pid):
    r = get("/p/%s" % pid)
    check_eq(r.status, 200, "GET /p/%s" % pid)
    return r.body.decode()


def card_media(body, pid):
    """The <p class="media"> of the post's own card, or ""."""
    m = re.search(r'id="post-%s".*?</article>' % pid, body, re.S)
    check(m, "post %s has no card on its page" % pid)
    media = re.search(r'<p class="media[^"]*">.*?</p>', m.group(0), re.S)
    return media.group(0) if media else ""


def srcset_urls(attr):
    return [html.unescape(part.strip().split(" ")[0]) for part in attr.split(",")]


def attr(markup, tag, name, extra=""):
    m = re.search(r'<%s%s[^>]*\s%s="([^"]*)"' % (tag, extra, name), markup)
    return html.unescape(m.group(1)) if m else None


def hidden(url):
    """The original's name once the worker took it (media.h): /media/images/D/.orig-N-M.ext."""
    head, name = url.rsplit("/", 1)
    return head + "/.orig-" + name


def check_clean(url, ctype):
    r = get(url)
    check_eq(r.status, 200, "GET %s" % url)
    check_eq(r.header("Content-Type"), ctype, "%s: Content-Type" % url)
    for m in MARKERS:
        check(m not in r.body, "%s holds %r" % (url, m))
    return r.body


def auth(user):
    return {"Authorization": "Bearer " + user["token"]} if user else None


def detail(user, pid):
    return check_envelope(get("/api/v1/post/detail?post_id=" + pid, auth(user)), 200,
                          0)["data"]


def listed(path, user, pid):
    """Post pid as the list at path (a GET answering {posts}) shows it."""
    posts = check_envelope(get(path, auth(user)), 200, 0)["data"]["posts"]
    for p in posts:
        if p["id"] == pid:
            return p
    raise AssertionError("post %s is not in %s: %r" % (pid, path, [p["id"] for p in posts]))


def check_not_ready(image, state, what):
    check(image is not None, "%s: an image object" % what)
    check_eq(image.get("state"), state, "%s: state" % what)
    check_eq(image.get("ready"), False, "%s: ready" % what)
    for k in ("src", "full", "srcset", "webpSrcset"):
        check(k not in image, "%s: no %s while %s: %r" % (what, k, state, image))


# --- tests -------------------------------------------------------------------------------------

def test_photo_processed_and_stripped():
    user, = _users.get(1)
    gps = fixture("gps.jpg")
    check(b"Exif" in gps and b"StarlingCam" in gps, "the fixture carries its EXIF")
    worker("stop")
    try:
        url = upload(user, "jpg", gps)
        pid = post(user, url)
        media = card_media(page(pid), pid)
        check(t("post.media_processing") in html.unescape(media),
              "before processing the card says so: %r" % media)
        check("<img" not in media, "no image before processing: %r" % media)
        worker("once")
    finally:
        worker("start")
    media = card_media(page(pid), pid)
    check("<picture>" in media, "a <picture> once processed: %r" % media)
    jpeg_set = attr(media, "img", "srcset")
    webp_set = attr(media, "source", "srcset", ' type="image/webp"')
    src = attr(media, "img", "src")
    check(jpeg_set and webp_set and src, "srcset, the WebP source and src: %r" % media)
    check(attr(media, "img", "sizes"), "sizes on the img")
    jpegs, webps = srcset_urls(jpeg_set), srcset_urls(webp_set)
    check_eq(len(jpegs), 2, "two JPEG sizes")
    check_eq(len(webps), 2, "two WebP sizes")
    check(src in jpegs, "src is one of the sizes")
    stem = url.rsplit(".", 1)[0]
    for u in jpegs + webps:
        check(u.startswith(stem + "."), "%s is a size of %s" % (u, url))
    for u in jpegs:
        body = check_clean(u, "image/jpeg")
        # Upright: the photo was stored 300 x 200 with orientation 6.
        w, h = jpeg_size(body)
        check_eq((w, h), (200, 300), "%s: turned upright" % u)
    for u in webps:
        check_clean(u, "image/webp")
    # The original is never served again: its hidden name is refused, and its own name (the
    # posted imageUrl, an avatar's or a banner's URL) now serves the display size, processed.
    r = get(hidden(url))
    check(r.status in (403, 404), "GET %s: %d, want 403 or 404" % (hidden(url), r.status))
    check(b"StarlingCam" not in r.body, "%s: the original's bytes" % hidden(url))
    check_eq(check_clean(url, "image/jpeg"), get(stem + ".1600.jpg").body,
             "the posted URL serves the display size")


def test_api_image_states():
    """post/detail says processing before the worker ran, then ready with the sizes' URLs, and
    the same image object is in timeline/home, user/posts, user/likes, a quote's original and
    the notification of the quote."""
    user, other = _users.get(2)
    worker("stop")
    try:
        url = upload(user, "jpg", fixture("gps.jpg"))
        pid = post(user, url)
        d = detail(user, pid)
        check_eq(d["imageUrl"], url, "imageUrl is the URL as posted")
        check_not_ready(d.get("image"), "processing", "detail before the worker")
        quote = check_envelope(api_post("post/repost", {"original_post_id": pid,
                                                        "content_text": "look at this"},
                                        other["token"]), 200, 0)["data"]["id"]
        check_not_ready(detail(other, quote)["original"].get("image"), "processing",
                        "a quote's original before the worker")
        worker("once")
    finally:
        worker("start")
    d = detail(user, pid)
    image = d.get("image")
    check(image, "an image object: %r" % d)
    check_eq(image["state"], "ready", "state once processed")
    check_eq(image["ready"], True, "ready once processed")
    check(image.get("sizes"), "sizes: %r" % image)
    jpegs, webps = srcset_urls(image["srcset"]), srcset_urls(image["webpSrcset"])
    check_eq(len(jpegs), 2, "two JPEG sizes")
    check_eq(len(webps), 2, "two WebP sizes")
    check(image["src"] in jpegs and image["full"] in jpegs, "src and full are sizes: %r" % image)
    check(image["src"] != image["full"], "src (thumbnail) and full differ: %r" % image)
    for u in jpegs:
        check_clean(u, "image/jpeg")
    for u in webps:
        check_clean(u, "image/webp")
    # Kept as posted for older clients: it serves the processed display size, never the original.
    check_eq(d["imageUrl"], url, "imageUrl is still the URL as posted")
    check_eq(check_clean(url, "image/jpeg"), get(image["full"]).body,
             "the posted URL serves the display size")
    check_eq(listed("/api/v1/timeline/home", user, pid).get("image"), image,
             "timeline/home's image")
    check_eq(listed("/api/v1/user/posts?username=" + user["username"], None, pid).get("image"),
             image, "user/posts' image")
    q = detail(other, quote)
    check_eq(q["original"].get("image"), image, "the quote's original's image")
    check("image" not in q, "the quote itself has no image: %r" % q)
    check_eq(listed("/api/v1/user/posts?username=" + other["username"], other,
                    quote)["original"].get("image"), image, "user/posts: the quote's original")
    check_envelope(api_post("post/like", {"post_id": pid, "islike": 1}, other["token"]), 200, 0)
    check_eq(listed("/api/v1/user/likes?username=" + other["username"], None, pid).get("image"),
             image, "user/likes' image")
    # A notification embeds its post: the quote, with the photo as its original.
    items = check_envelope(get("/api/v1/notification/list", auth(user)), 200,
                           0)["data"]["notifications"]
    shown = [n["post"] for n in items if n.get("post") and n["post"]["id"] == quote]
    check(shown, "the quote's notification: %r" % items)
    check_eq(shown[0]["original"].get("image"), image, "notification/list: the original's image")


def test_image_within_budget():
    """image is read from the files, so test_budget's budgets hold for posts with images: a
    home timeline of six (and a quote of one) would be over its budget with one more memcached
    or MariaDB round trip per image."""
    from test_budget import within   # one reader of the access log's counts
    user, = _users.get(1)
    pids = [post(user, upload(user, "jpg", fixture("gps.jpg"))) for _ in range(6)]
    check_envelope(api_post("post/repost", {"original_post_id": pids[0], "content_text": "q"},
                            user["token"]), 200, 0)
    check(detail(None, pids[-1]).get("image"), "an image object")
    within("/api/v1/post/detail?post_id=" + pids[-1], user, 5, 1)
    within("/api/v1/post/detail?post_id=" + pids[-1], None, 3, 0)
    within("/api/v1/timeline/home", user, 8, 3)


def jpeg_size(data):
    """(width, height) from a JPEG's SOF marker."""
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            i += 1
            continue
        marker, seg = data[i + 1], struct.unpack(">H", data[i + 2:i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            h, w = struct.unpack(">HH", data[i + 5:i + 9])
            return w, h
        i += 2 + seg
    raise AssertionError("no SOF marker")


def bomb():
    """A PNG of a few KB declaring 30000 x 30000 pixels."""
    def chunk(kind, payload):
        return (struct.pack(">I", len(payload)) + kind + payload +
                struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * (4 * (1 + 3 * 30000)), 9)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) +
            chunk(b"IEND", b""))


def test_bomb_deleted():
    user, = _users.get(1)
    data = bomb()
    check(len(data) < 16384, "the bomb is small: %d bytes" % len(data))
    worker("stop")
    try:
        url = upload(user, "png", data)
        pid = post(user, url)
        worker("once")
    finally:
        worker("start")
    for u in (url, hidden(url), url.rsplit(".", 1)[0] + ".640.jpg"):
        check(get(u).status in (403, 404), "%s: nothing left behind" % u)
    check_not_ready(detail(user, pid).get("image"), "failed", "post/detail of a refused image")
    media = card_media(page(pid), pid)
    check_eq(media, "", "a refused image shows nothing")


def admin(args):
    check(ADMIN, "STARLING_TEST_ADMIN is not set")
    r = subprocess.run(ADMIN + " switch " + args, shell=True, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    check_eq(r.returncode, 0, "switch %s: %s" % (args, r.stdout.decode().strip()))


def test_quality_switch_skips_webp():
    user, = _users.get(1)
    gps = fixture("gps.jpg")
    admin("set media_quality 30 --reason test_media")
    worker("stop")
    try:
        low = upload(user, "jpg", gps)
        pid = post(user, low)
        worker("once")
    finally:
        admin("clear media_quality")
        worker("start")
    media = card_media(page(pid), pid)
    check("<img" in media, "processed under the switch: %r" % media)
    check('type="image/webp"' not in media, "no WebP source under the switch: %r" % media)
    stem = low.rsplit(".", 1)[0]
    check_eq(get(stem + ".640.webp").status, 404, "no WebP file under the switch")
    check_clean(stem + ".640.jpg", "image/jpeg")


def test_backlog_queued():
    """An image uploaded before processing existed (a file at its key, no job) is queued by
    starling-worker --queue-media, then processed like any other."""
    user, = _users.get(1)
    check(WORKER, "STARLING_TEST_WORKER is not set")
    worker("stop")
    try:
        old = upload(user, "jpg", fixture("gps.jpg"))
        # The file's name: json-c writes the key's slashes as "\/" in the payload.
        name = old.rsplit("/", 1)[1]
        # As before this change: no job for the upload.
        run_sql("DELETE FROM tb_job WHERE type = 'media.process' AND state = 0")
        check_eq(sql_sum("SELECT COUNT(*) FROM tb_job WHERE type = 'media.process' AND "
                         "state = 0"), 0, "no job left")
        pid = post(user, old)
        r = subprocess.run(WORKER + " --queue-media", shell=True, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
        out = r.stdout.decode()
        check_eq(r.returncode, 0, "--queue-media: %s" % out)
        check(re.search(r"[1-9]\d* image\(s\) queued", out), "--queue-media says: %s" % out)
        check(sql_sum("SELECT COUNT(*) FROM tb_job WHERE type = 'media.process' AND state = 0 "
                      "AND payload LIKE '%%%s%%'" % name) == 1, "its job queued once")
        worker("once")
        # A second run finds nothing left: the sizes exist (the served name is a processed copy).
        r = subprocess.run(WORKER + " --queue-media", shell=True, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
        check(" 0 image(s) queued" in r.stdout.decode(), "nothing left: %s" % r.stdout.decode())
    finally:
        worker("start")
    media = card_media(page(pid), pid)
    check("<picture>" in media, "the old image processed: %r" % media)
    check_clean(old.rsplit(".", 1)[0] + ".1600.jpg", "image/jpeg")


def gif(frames, w, h):
    """An animated GIF of frames frames of w x h, each one colour of a four-colour table, made
    here (no binary fixture). Its LZW data is "uncompressed": a clear code before every two
    pixels keeps the code width at 3 bits, so no compressor is needed."""
    out = bytearray(b"GIF89a" + struct.pack("<HHBBB", w, h, 0x81, 0, 0))
    out += bytes([0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 0, 255])
    out += b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"        # loop for ever
    for i in range(frames):
        out += b"\x21\xf9\x04\x04" + struct.pack("<H", 10) + b"\x00\x00"  # 0.1 s a frame
        out += b"\x2c" + struct.pack("<HHHHB", 0, 0, w, h, 0) + b"\x02"
        codes = []
        for j in range(w * h):
            if j % 2 == 0:
                codes.append(4)                                  # clear
            codes.append(i % 4)
        codes.append(5)                                          # end
        acc = nbits = 0
        data = bytearray()
        for c in codes:
            acc |= c << nbits
            nbits += 3
            while nbits >= 8:
                data.append(acc & 0xff)
                acc >>= 8
                nbits -= 8
        if nbits:
            data.append(acc)
        for k in range(0, len(data), 255):
            out += bytes([len(data[k:k + 255])]) + data[k:k + 255]
        out += b"\x00"
    return bytes(out + b"\x3b")


def webp_chunks(body):
    """The chunk types of a RIFF WebP file."""
    check(body[:4] == b"RIFF" and body[8:12] == b"WEBP", "a WebP file")
    types, i = [], 12
    while i + 8 <= len(body):
        n = struct.unpack("<I", body[i + 4:i + 8])[0]
        types.append(body[i:i + 4])
        i += 8 + n + (n & 1)
    return types


def test_animated_gif():
    """An animated GIF is served as an animated WebP at the display size (<picture>'s WebP
    source, the API's animated: true) with its first frame as the JPEGs; one of more frames than
    [media] max_frames (made 3 here by configuration) is refused and deleted."""
    user, = _users.get(1)
    worker("stop")
    try:
        anim = upload(user, "gif", gif(4, 40, 30))
        pid = post(user, anim)
        worker("once")
        big = upload(user, "gif", gif(4, 40, 30))
        big_pid = post(user, big)
        r = subprocess.run(worker_with(max_frames=3) + " --once", shell=True,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        log = r.stdout.decode()
        check_eq(r.returncode, 0, "worker --once: %s" % log[-2000:])
    finally:
        worker("start")
    image = detail(user, pid)["image"]
    check_eq(image.get("state"), "ready", "the animation is processed: %r" % image)
    check_eq(image.get("animated"), True, "the API says animated: %r" % image)
    stem = anim.rsplit(".", 1)[0]
    check_eq(srcset_urls(image["webpSrcset"]), [stem + ".1600.webp"], "one animated WebP")
    body = check_clean(stem + ".1600.webp", "image/webp")
    chunks = webp_chunks(body)
    check(b"ANIM" in chunks and chunks.count(b"ANMF") == 4, "animated, 4 frames: %r" % chunks)
    check_eq(get(stem + ".640.webp").status, 404, "no WebP thumbnail for an animation")
    check_clean(stem + ".640.jpg", "image/jpeg")
    media = card_media(page(pid), pid)
    check_eq(attr(media, "source", "srcset", ' type="image/webp"'), stem + ".1600.webp 1600w",
             "the card's WebP source is the animation: %r" % media)
    check_eq(attr(media, "img", "src"), stem + ".640.jpg", "the still for browsers without WebP")
    check("the animation has 4 frames; the limit is 3 ([media] max_frames)" in log,
          "the worker says why it refused: %s" % log[-2000:])
    check_not_ready(detail(user, big_pid).get("image"), "failed", "an animation over the limit")
    for u in files_of(big):
        check(get(u).status in (403, 404), "%s: nothing left of a refused animation" % u)


def media_key(url):
    """The object key of a local mediaUrl ("/media/images/D/N-M.jpg" -> "images/D/N-M.jpg")."""
    return url.split("/media/", 1)[1]


def media_state(url):
    """tb_media's state of url's upload (its row is on one shard), or None without a row."""
    rows = run_sql("SELECT state FROM tb_media WHERE media_key = '%s'" % media_key(url))
    check(len(rows) <= 1, "one row for %s: %r" % (url, rows))
    return int(rows[0][0]) if rows else None


def files_of(url):
    """Every URL of an image's files: the served name, its four sizes, the hidden original."""
    stem = url.rsplit(".", 1)[0]
    return [url, hidden(url)] + ["%s.%d.%s" % (stem, px, ext) for px in (640, 1600)
                                 for ext in ("jpg", "webp")]


def worker_with(**media):
    """starling-worker with the stack's configuration and these [media] keys changed: a copy of
    the file beside it (its paths stay valid)."""
    check(WORKER, "STARLING_TEST_WORKER is not set")
    m = re.search(r"--conf (\S+)", WORKER)
    check(m, "STARLING_TEST_WORKER names its --conf: %s" % WORKER)
    with open(m.group(1)) as f:
        text = f.read()
    extra = "".join("%s = %s\n" % kv for kv in media.items())
    check("[media]\n" in text, "the stack's configuration has a [media] section")
    path = m.group(1) + ".media-test"
    with open(path, "w") as f:
        f.write(text.replace("[media]\n", "[media]\n" + extra, 1))
    return WORKER.replace(m.group(1), path)


def media_usage():
    check(ADMIN, "STARLING_TEST_ADMIN is not set")
    r = subprocess.run(ADMIN + " media-usage", shell=True, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    out = r.stdout.decode()
    check_eq(r.returncode, 0, "media-usage: %s" % out)
    lines = {ln.split()[0]: ln.split() for ln in out.splitlines() if ln and ln[0] != "m"}
    check("SHARD" in lines and "all" in lines, "media-usage prints a table: %s" % out)
    # The "all" line by its header's names (the three BYTES columns left out).
    return {h: v for h, v in zip(lines["SHARD"], lines["all"]) if h != "BYTES"}, out


def test_cleanup():
    """Clean-up (docs/media.md): an upload never posted, and the files of a deleted post, are
    removed by the worker once [media] orphan_grace has passed (made 0 here by configuration);
    a visible post's image and a profile's avatar stay; an upload is one post's only."""
    user, = _users.get(1)
    gps = fixture("gps.jpg")
    worker("stop")
    try:
        orphan, gone, kept, avatar = (upload(user, "jpg", gps) for _ in range(4))
        gone_pid = post(user, gone)
        post(user, kept)
        check_envelope(api_post("user/save_info", {"avatar_url": avatar}, user["token"]), 200, 0)
        check_eq([media_state(u) for u in (orphan, gone, kept, avatar)], [0, 1, 1, 4],
                 "tb_media: uploaded, attached, attached, kept")
        r = api_post("post/create", {"content_text": "again", "media": kept}, user["token"])
        check_envelope(r, 409, 40900)
        # Processed, with the stack's grace (a day): the clean-up runs and removes nothing.
        worker("once")
        for u in (orphan, gone, kept, avatar):
            check_eq(get(u.rsplit(".", 1)[0] + ".640.jpg").status, 200, "%s processed, kept" % u)
        before, _ = media_usage()
        check(int(before["WAITING"]) >= 1, "media-usage: the orphan waits: %r" % before)
        check_envelope(api_post("post/delete", {"post_id": gone_pid}, user["token"]), 200, 0)
        check_eq(media_state(gone), 2, "the deleted post's upload is released")
        r = subprocess.run(worker_with(orphan_grace=0) + " --once", shell=True,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        check_eq(r.returncode, 0, "worker --once: %s" % r.stdout.decode()[-2000:])
    finally:
        worker("start")
    for u in (orphan, gone):
        for f in files_of(u):
            check(get(f).status in (403, 404), "%s: removed" % f)
        check_eq(media_state(u), None, "%s: its row removed after its files" % u)
    for u in (kept, avatar):
        for f in files_of(u)[:1] + files_of(u)[2:]:
            check_eq(get(f).status, 200, "%s: a visible post's or profile's file stays" % f)
    check_eq(media_state(kept), 1, "the visible post's upload stays attached")
    r = api_post("post/create", {"content_text": "late", "media": orphan}, user["token"])
    check_envelope(r, 400, 40013)
    after, out = media_usage()
    check_eq(int(after["DUE"]), 0, "nothing due after the sweep: %s" % out)
    check(int(after["SIZES"]) >= 8, "the kept images' sizes are counted: %s" % out)


TESTS = [test_photo_processed_and_stripped, test_api_image_states, test_image_within_budget,
         test_bomb_deleted, test_quality_switch_skips_webp, test_backlog_queued,
         test_animated_gif, test_cleanup]

if __name__ == "__main__":
    sys.exit(run_main(__doc__, TESTS))
