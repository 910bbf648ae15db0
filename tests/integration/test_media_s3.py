#!/usr/bin/env python3
"""HTTP tests of media processing with S3-compatible storage (docs/media.md, "S3-compatible
storage"), against s3rver, a real store that suite.sh starts on a loopback port for this run
only (tests/integration/s3.sh). The same checks as test_media.py for local storage: a photo with
a GPS position, a camera model and an orientation tag is uploaded with the presigned PUT the API
gives, to its private original's key; posting it queues its processing; starling-worker GETs
the original and PUTs the sizes with signed requests; every size in the bucket is free of the
metadata and upright, the posted URL serves the processed copy, and the page and the API use
the sizes in the bucket. A decompression bomb is refused and its original deleted from the
bucket.

Usage: test_media_s3.py BASE_URL [-k SUBSTRING]

Environment (set by tests/integration/suite.sh):
  STARLING_TEST_S3          "ENDPOINT BUCKET" of the store ([media] storage = s3); without it
                            (a run with local storage) every test is skipped, saying so
  STARLING_TEST_MAIL_DIR    the [mail] spool_dir, to activate the test users
  STARLING_TEST_WORKER_CTL  start|stop|once the stack's starling-worker
  STARLING_TEST_WORKER      starling-worker with the stack's configuration (a wrong key here)

Python standard library only.
"""

import html
import os
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

sys.dont_write_bytecode = True   # keep tests/lib free of __pycache__
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from starling_test import (UserPool, check, check_envelope, check_eq, get,  # noqa: E402
                           run_main)
import test_media as tm  # noqa: E402  (its fixtures and page helpers: the same checks)

S3 = os.environ.get("STARLING_TEST_S3", "").split()
ENDPOINT, BUCKET = (S3 + ["", ""])[:2]

_users = UserPool("s")


def store(url, method="GET", body=None, headers=None):
    """(status, Content-Type, body) of a request to the store itself, with no credentials: what
    a browser or a CDN gets."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers.get("Content-Type"), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read()


def bucket_url(key):
    return "%s/%s/%s" % (ENDPOINT, BUCKET, key)


def upload(user, ext, data):
    """Signs an image upload and PUTs data to the presigned URL; returns (mediaUrl, put URL)."""
    h = {"Authorization": "Bearer " + user["token"]}
    d = check_envelope(get("/api/v1/upload/sign_image?ext=" + ext, headers=h), 200, 0)["data"]
    status, _, body = store(d["url"], "PUT", data, {"Content-Type": "image/" + ext})
    check_eq(status, 200, "PUT to the presigned URL: %r" % body[:400])
    return d["mediaUrl"], d["url"]


def key_of(url):
    prefix = bucket_url("")
    check(url.startswith(prefix), "%s is in the bucket (%s)" % (url, prefix))
    return url[len(prefix):]


def check_clean(url, ctype):
    status, got, body = store(url)
    check_eq(status, 200, "GET %s" % url)
    check_eq(got, ctype, "%s: Content-Type" % url)
    for m in tm.MARKERS:
        check(m not in body, "%s holds %r" % (url, m))
    return body


# --- tests -------------------------------------------------------------------------------------

def test_photo_processed_in_bucket():
    user, = _users.get(1)
    gps = tm.fixture("gps.jpg")
    check(b"Exif" in gps and b"StarlingCam" in gps, "the fixture carries its EXIF")
    tm.worker("stop")
    try:
        url, put = upload(user, "jpg", gps)
        key = key_of(url)
        original = bucket_url("originals/" + key)
        check(urllib.parse.urlsplit(put).path == urllib.parse.urlsplit(original).path,
              "the PUT went to the private original's key: %s" % put)
        check_eq(store(url)[0], 404, "nothing at the public key before processing")
        pid = tm.post(user, url)
        tm.worker("once")
    finally:
        tm.worker("start")
    # The sizes, in the bucket, clean and upright (stored 300 x 200 with orientation 6).
    stem = url.rsplit(".", 1)[0]
    for px in (640, 1600):
        w, h = tm.jpeg_size(check_clean("%s.%d.jpg" % (stem, px), "image/jpeg"))
        check_eq((w, h), (200, 300), "%s.%d.jpg: turned upright" % (stem, px))
        check_clean("%s.%d.webp" % (stem, px), "image/webp")
    # The posted URL serves the processed display size, not the upload.
    check_eq(check_clean(url, "image/jpeg"), store(stem + ".1600.jpg")[2],
             "the posted URL holds the display size")
    # The original is kept at its own key, which no page or API answer names.
    check(b"StarlingCam" in store(original)[2], "the original is kept in the bucket")
    # The page and the API use the sizes in the bucket.
    media = tm.card_media(tm.page(pid), pid)
    check("<picture>" in media, "a <picture> once processed: %r" % media)
    check("originals/" not in media, "the page never names the original: %r" % media)
    src, srcset = tm.attr(media, "img", "src"), tm.attr(media, "img", "srcset")
    check_eq(src, stem + ".640.jpg", "the card's src is the thumbnail in the bucket")
    check_eq(tm.srcset_urls(srcset), [stem + ".640.jpg", stem + ".1600.jpg"], "the srcset")
    image = tm.detail(user, pid).get("image") or {}
    check_eq(image.get("state"), "ready", "post/detail: ready")
    check_eq(image.get("src"), stem + ".640.jpg", "post/detail: src in the bucket")
    check_eq(image.get("full"), stem + ".1600.jpg", "post/detail: full in the bucket")


def test_bomb_deleted_from_bucket():
    user, = _users.get(1)
    tm.worker("stop")
    try:
        url, _ = upload(user, "png", tm.bomb())
        key = key_of(url)
        check_eq(store(bucket_url("originals/" + key))[0], 200, "the bomb was uploaded")
        tm.post(user, url)
        tm.worker("once")
    finally:
        tm.worker("start")
    stem = url.rsplit(".", 1)[0]
    for u in (bucket_url("originals/" + key), url, stem + ".640.jpg", stem + ".1600.jpg"):
        check_eq(store(u)[0], 404, "%s: nothing left behind" % u)


def worker_with_key(key_id):
    """starling-worker --once with the stack's configuration but s3_access_key_id = key_id."""
    m = re.search(r"--conf (\S+)", tm.WORKER)
    check(m, "STARLING_TEST_WORKER names its --conf: %s" % tm.WORKER)
    with open(m.group(1)) as f:
        text = f.read()
    check("s3_access_key_id = S3RVER\n" in text, "the stack's configuration uses s3rver's key")
    path = m.group(1) + ".s3-test"
    with open(path, "w") as f:
        f.write(text.replace("s3_access_key_id = S3RVER\n", "s3_access_key_id = %s\n" % key_id))
    r = subprocess.run(tm.WORKER.replace(m.group(1), path) + " --once", shell=True,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return r.stdout.decode()


def test_store_refusal_retried_and_logged():
    """The worker's requests carry its credentials: with an access key the store does not know,
    the store refuses them, nothing is written, and the job fails (to be retried) with a message
    naming the key and the endpoint, never the secret (s3rver's is "S3RVER")."""
    user, = _users.get(1)
    tm.worker("stop")
    try:
        url, _ = upload(user, "jpg", tm.fixture("gps.jpg"))
        tm.post(user, url)
        log = worker_with_key("NOBODY")
    finally:
        tm.worker("start")
    stem = url.rsplit(".", 1)[0]
    line = [ln for ln in log.splitlines() if "media.process" in ln and key_of(stem) in ln]
    check(line, "the worker logs the failed job with its key: %s" % log[-2000:])
    check(ENDPOINT in line[0] and "HTTP 403" in line[0] and "s3_access_key_id" in line[0],
          "the message names the endpoint, the status and what to check: %s" % line[0])
    check("S3RVER" not in log, "the secret is never logged: %s" % log[-2000:])
    check_eq(store(stem + ".640.jpg")[0], 404, "nothing written with a refused key")


def test_video_public_as_uploaded():
    """Videos are not processed: the presigned PUT writes the public key itself."""
    user, = _users.get(1)
    h = {"Authorization": "Bearer " + user["token"]}
    d = check_envelope(get("/api/v1/upload/sign_video?ext=mp4", headers=h), 200, 0)["data"]
    data = b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom" + b"\0" * 64
    check_eq(store(d["url"], "PUT", data, {"Content-Type": "video/mp4"})[0], 200, "PUT video")
    check_eq(store(d["mediaUrl"])[2], data, "the video at its public URL, as uploaded")
    check("originals/" not in html.unescape(d["url"]), "a video has no private original")


TESTS = [test_photo_processed_in_bucket, test_bomb_deleted_from_bucket,
         test_store_refusal_retried_and_logged, test_video_public_as_uploaded]

if __name__ == "__main__":
    if not ENDPOINT:
        print("SKIP: STARLING_TEST_S3 is not set: this run stores media locally "
              "(tests/integration/s3.sh runs these tests against s3rver)")
        sys.exit(0)
    sys.exit(run_main(__doc__, TESTS))
