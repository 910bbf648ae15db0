#!/usr/bin/env python3
"""Browser test: Debian's chromium, headless, renders BASE_URL/help.

Usage: test_help.py BASE_URL OUT_DIR

OUT_DIR (must exist) receives the browser profile and help.png. Expected texts come from
$STARLING_SRCDIR/templates/i18n/en.json. Environment: CHROMIUM (browser command, default
chromium), BROWSER_TIMEOUT (seconds per browser run, default 90).

Python standard library only. Prints one PASS/FAIL line per test, then "N passed, M failed";
the exit status is 1 when a test failed.
"""

import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import zlib

sys.dont_write_bytecode = True   # keep tests/lib free of __pycache__
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from starling_test import Failure, Page, catalog_texts, check, run_tests  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM", "chromium")
TIMEOUT = int(os.environ.get("BROWSER_TIMEOUT", "90"))
WIDTH, HEIGHT = 1280, 900

BASE = OUT = None


def chromium(*args):
    """Runs chromium headless with a fresh profile; returns its stdout. Kills the whole process
    group (chromium forks helpers) when it overruns TIMEOUT."""
    exe = shutil.which(CHROMIUM)
    check(exe, "%s not found in PATH (Debian: chromium; run script/bootstrap)" % CHROMIUM)
    profile = tempfile.mkdtemp(prefix="chromium-", dir=OUT)
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--disable-extensions",
           "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio",
           "--user-data-dir=" + profile] + list(args)
    env = dict(os.environ, HOME=profile)   # keep chromium's caches out of the real home
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                         env=env, start_new_session=True)
    try:
        out, err = p.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        raise Failure("chromium did not finish within %ds: %s" % (TIMEOUT, " ".join(cmd)))
    finally:
        try:
            os.killpg(p.pid, signal.SIGKILL)   # helpers that outlive the browser
        except ProcessLookupError:
            pass
        shutil.rmtree(profile, ignore_errors=True)
    if p.returncode != 0:
        raise Failure("chromium exited with %d; stderr: %s" % (p.returncode,
                                                             err.decode(errors="replace")[-2000:]))
    return out.decode("utf-8", errors="replace")


def test_rendered_dom():
    dom = Page(chromium("--dump-dom", BASE + "/help"))
    texts = list(catalog_texts("en").values())
    check(dom.title, "the rendered page has no title")
    check(any(t in dom.title for t in texts),
          "the title %r holds no text of en.json" % dom.title)
    check(dom.h1 and dom.h1[0], "the rendered page has no <h1>")
    check(any(t in dom.h1[0] for t in texts),
          "the heading %r holds no text of en.json" % dom.h1[0])
    form = dom.footer_language_form()
    check(form, "no form posting to /language in the footer (footer forms: %r)"
          % dom.footer_forms())
    check("language" in form["fields"] and "csrf_token" in form["fields"],
          "the language form lacks the language or csrf_token field: %r" % form)


def png_info(path):
    """(width, height, distinct byte values of the decoded scanlines) of a PNG file."""
    with open(path, "rb") as f:
        data = f.read()
    check(data[:8] == b"\x89PNG\r\n\x1a\n", "%s is not a PNG" % path)
    pos, idat, width, height = 8, b"", 0, 0
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", chunk[:8])
        elif kind == b"IDAT":
            idat += chunk
        elif kind == b"IEND":
            break
        pos += 12 + length
    return width, height, len(set(zlib.decompress(idat)))


def test_screenshot():
    path = os.path.join(OUT, "help.png")
    if os.path.exists(path):
        os.unlink(path)
    chromium("--screenshot=" + path, "--window-size=%d,%d" % (WIDTH, HEIGHT), BASE + "/help")
    check(os.path.exists(path), "chromium wrote no screenshot at %s" % path)
    size = os.path.getsize(path)
    check(size > 5000, "the screenshot %s is only %d bytes" % (path, size))
    width, height, distinct = png_info(path)
    check((width, height) == (WIDTH, HEIGHT),
          "the screenshot is %dx%d, want %dx%d" % (width, height, WIDTH, HEIGHT))
    check(distinct > 8, "the screenshot looks blank (%d distinct byte values)" % distinct)


TESTS = [test_rendered_dom, test_screenshot]


def main(argv):
    global BASE, OUT
    if len(argv) != 3 or not os.path.isdir(argv[2]):
        print(__doc__, file=sys.stderr)
        return 2
    BASE, OUT = argv[1].rstrip("/"), os.path.abspath(argv[2])
    return run_tests(TESTS)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
