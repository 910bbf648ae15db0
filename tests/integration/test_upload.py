#!/usr/bin/env python3
"""HTTP tests of starling-upload (upload URLs and local uploads) through the web server.

Usage: test_upload.py BASE_URL [-k SUBSTRING]

Environment (set by tests/integration/suite.sh):
  STARLING_TEST_MAIL_DIR    the [mail] spool_dir, to activate the test user
  STARLING_TEST_KEY_FILE    the token key: the test makes a correctly signed but expired upload
                            link with it, which the server must refuse
  STARLING_TEST_WORKER_CTL  (optional) start|stop the stack's starling-worker, stopped while the
                            test reads uploads back as they were sent

The server runs with [media] storage = local, local_url = /media, default size limits.
Python standard library only. One PASS/FAIL line per test, then "N passed, M failed".
"""

import hashlib
import hmac
import os
import struct
import subprocess
import sys
import time
import urllib.parse

sys.dont_write_bytecode = True   # keep tests/lib free of __pycache__
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from starling_test import (check, check_envelope, check_eq, get,  # noqa: E402
                           new_user, png_bytes, request, run_tests,
                           set_base)
from codes import (INVALID_PARAM, MEDIA_TYPE, MISSING_PARAM, TOO_LARGE, UNAUTHORIZED,  # noqa: E402
                   UPLOAD_EXISTS, UPLOAD_EXPIRED)

MAIL_DIR = os.environ.get("STARLING_TEST_MAIL_DIR", "")
KEY_FILE = os.environ.get("STARLING_TEST_KEY_FILE", "")
CTL = os.environ.get("STARLING_TEST_WORKER_CTL", "")
MAX_IMAGE = 5242880   # [media] max_image_bytes, the default
USER = {}


JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00" \
      b"\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
MP4 = struct.pack(">I", 24) + b"ftypisom" + b"\x00\x00\x02\x00" + b"isommp41" + \
      struct.pack(">I", 8) + b"free"


def token():
    if "token" not in USER:
        u = new_user(MAIL_DIR)
        USER["id"], USER["name"], USER["token"] = int(u["id"]), u["username"], u["token"]
    return USER["token"]


def sign(kind, ext, status=200, code=0, auth=True):
    h = {"Authorization": "Bearer " + token()} if auth else None
    r = get("/api/v1/upload/sign_%s?ext=%s" % (kind, urllib.parse.quote(ext)), headers=h)
    return check_envelope(r, status, code)["data"]


def local_path(url):
    """The path and query of an absolute upload URL, as request() wants it."""
    u = urllib.parse.urlsplit(url)
    return u.path + "?" + u.query


def put(path, body, ctype="application/octet-stream"):
    return request("PUT", path, body=body, headers={"Content-Type": ctype})


def with_query(path, **changes):
    """path with some query fields replaced."""
    u = urllib.parse.urlsplit(path)
    q = dict(urllib.parse.parse_qsl(u.query))
    q.update(changes)
    return u.path + "?" + urllib.parse.urlencode(q, safe="/")


# --- tests -------------------------------------------------------------------------------------

def test_sign_needs_login():
    sign("image", "png", 401, UNAUTHORIZED, auth=False)
    sign("video", "mp4", 401, UNAUTHORIZED, auth=False)


def test_sign_refuses_other_extensions():
    for kind, ext in (("image", "bmp"), ("image", "PNG"), ("image", "mp4"), ("video", "png"),
                      ("video", "mov"), ("image", "")):
        sign(kind, ext, 400, INVALID_PARAM)
    r = get("/api/v1/upload/sign_image", headers={"Authorization": "Bearer " + token()})
    check_envelope(r, 400, MISSING_PARAM)


def test_sign_answer_shape():
    d = sign("image", "png")
    check_eq(d["method"], "PUT", "method")
    check(d["url"].startswith(os.environ["STARLING_TEST_BASE"] + "/api/v1/upload/local?key=images/"),
          "url %r" % d["url"])
    check(d["mediaUrl"].startswith("/media/images/") and d["mediaUrl"].endswith(".png"),
          "mediaUrl %r" % d["mediaUrl"])
    check(0 < d["expiresAt"] - time.time() <= 1800 + 5, "expiresAt %r" % d["expiresAt"])
    d2 = sign("video", "mp4")
    check(d2["mediaUrl"].startswith("/media/videos/") and d2["mediaUrl"].endswith(".mp4"),
          "video mediaUrl %r" % d2["mediaUrl"])


def worker_stopped(fn):
    """fn, run while the stack's worker is stopped: the worker takes images out of the served
    tree within a poll (docs/media.md, test_media.py), and these tests read the upload itself
    back."""
    def run():
        if CTL:
            subprocess.run([CTL, "stop"], check=True)
        try:
            fn()
        finally:
            if CTL:
                subprocess.run([CTL, "start"], check=True)
    run.__name__ = fn.__name__
    return run


@worker_stopped
def test_upload_then_served_as_uploaded():
    for kind, ext, data, ctype in (("image", "png", png_bytes(), "image/png"),
                                   ("image", "jpg", JPEG, "image/jpeg"),
                                   ("image", "jpeg", JPEG, "image/jpeg"),
                                   ("image", "gif", GIF, "image/gif"),
                                   ("video", "mp4", MP4, "video/mp4")):
        d = sign(kind, ext)
        doc = check_envelope(put(local_path(d["url"]), data, ctype), 200, 0)
        check_eq(doc["data"]["mediaUrl"], d["mediaUrl"], "%s: mediaUrl" % ext)
        r = get(d["mediaUrl"])
        check_eq(r.status, 200, "GET %s" % d["mediaUrl"])
        check_eq(r.body, data, "%s: served bytes" % ext)
        check_eq(r.header("Content-Type"), ctype, "%s: Content-Type" % ext)
        check_eq((r.header("X-Content-Type-Options") or "").lower(), "nosniff",
                 "%s: nosniff" % ext)


def test_not_what_the_extension_says():
    d = sign("image", "png")
    check_envelope(put(local_path(d["url"]), b"just some text, not a picture\n", "image/png"),
                   400, MEDIA_TYPE)
    check_eq(get(d["mediaUrl"]).status, 404, "nothing stored")
    # A JPEG is not a PNG either; the link still works for the real thing afterwards.
    check_envelope(put(local_path(d["url"]), JPEG), 400, MEDIA_TYPE)
    check_envelope(put(local_path(d["url"]), png_bytes()), 200, 0)
    d = sign("video", "mp4")
    check_envelope(put(local_path(d["url"]), GIF), 400, MEDIA_TYPE)


def test_put_with_session_cookie_needs_no_csrf():
    # A browser's fetch() sends the session cookie along; the signed link is the authorization,
    # so no CSRF token is asked for (a cookie-authenticated PUT elsewhere would be 403).
    d = sign("image", "png")
    r = request("PUT", local_path(d["url"]), body=png_bytes(),
                headers={"Content-Type": "image/png", "Cookie": "starling_token=" + token()})
    check_envelope(r, 200, 0)


@worker_stopped
def test_second_put_refused():
    d = sign("image", "gif")
    check_envelope(put(local_path(d["url"]), GIF), 200, 0)
    check_envelope(put(local_path(d["url"]), GIF + b"more"), 409, UPLOAD_EXISTS)
    check_eq(get(d["mediaUrl"]).body, GIF, "the first upload stays")


def test_bad_links_refused():
    d = sign("image", "png")
    e = sign("image", "png")
    path = local_path(d["url"])
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(path).query))
    sig = q["sig"]
    bad = ("0" if sig[0] != "0" else "1") + sig[1:]
    other_key = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(local_path(e["url"])).query))
    for p in (with_query(path, sig=bad),
              with_query(path, expires=str(int(q["expires"]) + 3600)),
              with_query(path, key=other_key["key"]),
              with_query(path, key="images/../../etc/passwd.png"),
              with_query(path, expires="soon")):
        check_envelope(put(p, png_bytes()), 400, UPLOAD_EXPIRED)
    # A correctly signed link whose time is past (made with the server's key, as it would have
    # signed it an hour ago).
    expired = str(int(time.time()) - 60)
    check_envelope(put(with_query(path, expires=expired, sig=link_sig(q["key"], expired)),
                       png_bytes()), 400, UPLOAD_EXPIRED)
    # ...and the same computation for a time still ahead is accepted: the test signs as the
    # server does, so the refusal above was for the time alone.
    ahead = str(int(time.time()) + 60)
    check_envelope(put(with_query(path, expires=ahead, sig=link_sig(q["key"], ahead)),
                       png_bytes()), 200, 0)
    r = request("PUT", "/api/v1/upload/local", body=png_bytes(),
                headers={"Content-Type": "image/png"})
    check_envelope(r, 400, MISSING_PARAM)


def link_sig(key, expires):
    """The sig of a local upload link (lib/social/media.c): HMAC-SHA256 under the media key (derived
    from the token key by jwt_derive_key), truncated to 32 hex digits."""
    with open(KEY_FILE, "rb") as f:
        token_key = f.read().rstrip(b"\r\n \t")
    media_key = hmac.new(token_key, b"starling-derive\0starling-media", hashlib.sha256).digest()
    msg = b"upload\0" + key.encode() + b"\0" + expires.encode()
    return hmac.new(media_key, msg, hashlib.sha256).hexdigest()[:32]


def test_size_limit():
    d = sign("image", "png")
    big = png_bytes() + b"\0" * (MAX_IMAGE + 1 - len(png_bytes()))
    doc = check_envelope(put(local_path(d["url"]), big), 413, TOO_LARGE)
    check(str(MAX_IMAGE) in doc["message"], "message names the limit: %r" % doc["message"])
    exact = png_bytes() + b"\0" * (MAX_IMAGE - len(png_bytes()))
    check_envelope(put(local_path(d["url"]), exact), 200, 0)


def test_media_directory_not_listed():
    d = sign("image", "png")
    check_envelope(put(local_path(d["url"]), png_bytes()), 200, 0)
    day = d["mediaUrl"].rsplit("/", 1)[0] + "/"
    for p in ("/media/", "/media/images/", day):
        r = get(p)
        check(r.status in (403, 404), "%s: status %d, want 403 or 404" % (p, r.status))
        check(b".png" not in r.body, "%s lists files" % p)


TESTS = [v for k, v in sorted(globals().items()) if k.startswith("test_")]


def main(argv):
    args = list(argv[1:])
    pattern, base = "", None
    while args:
        a = args.pop(0)
        if a == "-k" and args:
            pattern = args.pop(0)
        elif base is None:
            base = a
        else:
            print(__doc__, file=sys.stderr)
            return 2
    if not base or not MAIL_DIR or not KEY_FILE:
        print(__doc__, file=sys.stderr)
        return 2
    os.environ["STARLING_TEST_BASE"] = base.rstrip("/")
    set_base(base.rstrip("/"))
    return run_tests(TESTS, pattern)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
