#!/usr/bin/env python3
"""HTTP tests of links and link cards (docs/links.md) through the web server, the real databases
and starling-worker, against a local HTTP server this test starts.

Usage: test_links.py BASE_URL [-k SUBSTRING]

Environment (set by tests/integration/suite.sh):
  STARLING_TEST_MAIL_DIR    the [mail] spool_dir (activation codes of the test's users)
  STARLING_TEST_SQL         runs SQL in every shard database (tb_parsed_url lives on shard 0)
  STARLING_TEST_WORKER_CTL  start|stop|once the stack's starling-worker
  STARLING_TEST_LINKS_PORTS two free ports on 127.0.0.1: the first is in the stack's
                            [links] allow_hosts (script/lib/stack.sh), the second is not
  STARLING_TEST_APP_LOGS    the binaries' logs (round trips of a warm page, as test_budget.py)
  STARLING_TEST_BROWSER_DIR where the browser check leaves its screenshots (links-*.png)

Both ports get a server of this file. A post's URL to the first becomes a card once the
worker has read the page; a URL to the second (loopback, not allow-listed), a redirect from the
first to the second or to 169.254.169.254, a JSON answer and a page whose title lies past
[links] max_bytes are stored as fetched, with nothing to show. A post page with a card is
checked in headless Chromium at 1280 and 390 px (axe-core, no sideways scrolling). Python
standard library only.
"""

import html
import http.server
import os
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True   # keep tests/lib free of __pycache__
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from starling_test import (Browser, UserPool, api_post, check, check_envelope,  # noqa: E402
                           check_eq, get, run_main, run_sql)
from test_budget import line_of  # noqa: E402

_users = UserPool("l")
PORTS = [int(p) for p in os.environ.get("STARLING_TEST_LINKS_PORTS", "").split()]
HITS = {}            # (port, path) -> requests served
MAX_BYTES = 524288   # [links] max_bytes, the default

PAGE = (b"<!doctype html><html><head><meta charset='utf-8'>"
        b"<title>plain title</title>"
        b"<meta property='og:title' content='A &lt;b&gt;bold&lt;/b&gt; &quot;page&quot;'>"
        b"<meta property='og:description' content='<script>alert(1)</script> and more'>"
        b"<meta property='og:image' content='https://img.example/card.png?a=1&amp;b=2'>"
        b"<script>document.title = '<title>not this</title>'</script>"
        b"</head><body><title>nor this</title></body></html>")


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, ctype, body, headers=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass   # the fetcher stopped reading: what the size limit is for

    def do_GET(self):
        port = self.server.server_address[1]
        path = self.path.split("?")[0]
        HITS[(port, path)] = HITS.get((port, path), 0) + 1
        if path.startswith("/page"):
            self.answer(200, "text/html; charset=utf-8", PAGE)
        elif path.startswith("/wide"):
            self.answer(200, "text/html", b"<title>" + b"W" * 200 + b"</title><meta name="
                        b"description content='" + "长".encode() * 150 + b"'>")
        elif path == "/to-other":
            self.answer(302, "text/html", b"", [("Location", "http://127.0.0.1:%d/page" %
                                                  PORTS[1])])
        elif path == "/to-metadata":
            self.answer(302, "text/html", b"", [("Location",
                                                  "http://169.254.169.254/latest/meta-data/")])
        elif path == "/to-page":
            self.answer(301, "text/html", b"", [("Location", "/page-after-redirect")])
        elif path == "/loop":
            self.answer(302, "text/html", b"", [("Location", "/loop?again")])
        elif path == "/json":
            self.answer(200, "application/json", b'{"title": "<b>json</b>"}')
        elif path == "/empty":
            self.answer(200, "image/png", b"")
        elif path == "/big":
            self.answer(200, "text/html", b"<html><head>" + b" " * (MAX_BYTES + 4096) +
                        b"<title>past the limit</title></head></html>")
        else:
            self.answer(404, "text/html", b"<title>not found</title>")


_servers = []


def servers():
    """The two local servers, started once (threads, stopped with the process)."""
    if not _servers:
        check(len(PORTS) == 2, "STARLING_TEST_LINKS_PORTS lists %r" % PORTS)
        for port in PORTS:
            s = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
            s.daemon_threads = True
            threading.Thread(target=s.serve_forever, daemon=True).start()
            _servers.append(s)
    return _servers


def url(path, port=None):
    servers()
    return "http://127.0.0.1:%d%s" % (port or PORTS[0], path)


def post(text, user=None):
    user = user or _users.get(1)[0]
    r = api_post("post/create", {"content_text": text}, user["token"])
    return check_envelope(r, 200, 0)["data"]["id"]


def row(u, timeout=30):
    """(fetch_status, title, description, image_url) of u's tb_parsed_url row, waited for
    while the worker runs (a pass is run now, beside the daemon)."""
    ctl = os.environ.get("STARLING_TEST_WORKER_CTL", "")
    check(ctl, "STARLING_TEST_WORKER_CTL is not set")
    subprocess.run([ctl, "once"], check=True, stdout=subprocess.DEVNULL)
    q = ("SELECT fetch_status, title, description, image_url FROM tb_parsed_url "
         "WHERE url_hash = SHA2('%s', 256)" % u.replace("'", "''"))
    deadline = time.time() + timeout
    while time.time() < deadline:
        rows = run_sql(q)
        if rows:
            check_eq(len(rows), 1, "one row for %s (shard 0 only)" % u)
            return rows[0] + [""] * (4 - len(rows[0]))
        time.sleep(0.3)
    raise AssertionError("no tb_parsed_url row for %s after %d s" % (u, timeout))


def page(pid):
    r = get("/p/" + pid)
    check_eq(r.status, 200, "/p/%s status" % pid)
    return r.text


# --- links in the text -------------------------------------------------------------------------

def test_urls_become_links_in_pages_not_in_json():
    u = "https://example.com/a/very/long/path/that/goes/on?x=1&y=2"
    pid = post("see %s, and javascript:alert(1) or http://a@b.example" % u)
    body = page(pid)
    href = html.escape(u, quote=True).replace("=", "&#61;").replace("&#x27;", "&#39;")
    check('<a href="%s" rel="nofollow ugc noopener">example.com/a/very/long/path/th\u2026</a>'
          % href in body, "the URL is a shortened link: %s" % body[body.find("post-text"):][:400])
    check("javascript:alert(1) or http://a@b.example" in body,
          "other schemes and userinfo stay text")
    check('href="javascript' not in body, "no javascript: link")
    d = check_envelope(get("/api/v1/post/detail?post_id=" + pid), 200, 0)["data"]
    check_eq(d["contentText"], "see %s, and javascript:alert(1) or http://a@b.example" % u,
             "the API keeps the raw text")


def test_bio_urls_become_links():
    user = _users.get(2)[1]
    check_envelope(api_post("user/save_info", {"description": "my site: https://me.example/"},
                            user["token"]), 200, 0)
    body = get("/u/" + user["username"]).text
    check('<a href="https://me.example/" rel="nofollow ugc noopener">me.example/</a>' in body,
          "the bio links its URL")


# --- the fetch and the card --------------------------------------------------------------------

def test_card_shows_once_fetched_and_is_fetched_once():
    u = url("/page")
    pid = post("a card: " + u)
    st, title, desc, image = row(u)
    check_eq(st, "0", "fetch_status of an allow-listed page")
    check_eq(title, 'A <b>bold</b> "page"', "og:title, decoded")
    check_eq(desc, "<script>alert(1)</script> and more", "og:description, decoded")
    check_eq(image, "https://img.example/card.png?a=1&b=2", "og:image")
    body = page(pid)
    check('class="link-card" href="%s"' % u in body, "the card links the URL")
    check("A &lt;b&gt;bold&lt;/b&gt; &quot;page&quot;" in body, "the title, escaped")
    check("&lt;script&gt;alert(1)&lt;/script&gt; and more" in body, "the description, escaped")
    check("<script>alert" not in body, "nothing of the page is markup")
    check('src="https://img.example/card.png?a&#61;1&amp;b&#61;2"' in body, "the image")
    check(">127.0.0.1:%d<" % PORTS[0] in body, "the host")
    # A second post of the same URL: no second fetch.
    before = HITS.get((PORTS[0], "/page"), 0)
    post("again: " + u)
    row(u)
    time.sleep(1)
    check_eq(HITS.get((PORTS[0], "/page"), 0), before, "the page was fetched once")


def test_warm_card_costs_no_database_round_trip():
    u = url("/page")
    with_link = post("budget " + u)
    row(u)
    plain = post("budget without a link")
    rounds = []
    for pid in (with_link, plain):
        get("/p/" + pid)
        r = get("/p/" + pid)
        rounds.append(line_of(r.header("X-Request-Id")))
    (mc_link, db_link), (mc_plain, db_plain) = rounds
    check(db_link <= db_plain, "a warm card reads no row: %d vs %d statements" % (db_link,
                                                                                  db_plain))
    # Round trips to memcached count once per node asked, so two posts' pages differ by where
    # their keys live: the card's key is held to the post page's budget (test_budget.py).
    check(mc_link <= 8, "its key comes in one multi-get: %d round trips (%d without a card), "
          "budget 8" % (mc_link, mc_plain))


def test_card_in_a_browser():
    """A card with a title of one long word, on a phone and a laptop: axe-core finds nothing
    serious, and the page does not scroll sideways."""
    out = os.environ.get("STARLING_TEST_BROWSER_DIR", "")
    check(out, "STARLING_TEST_BROWSER_DIR is not set")
    u = url("/wide/" + "p" * 120)
    pid = post("wide card " + u)
    check_eq(row(u)[0], "0", "the wide page was read")
    base = sys.argv[1].rstrip("/")   # the BASE_URL run_main was given
    with Browser(out) as b:
        b.get(base + "/p/" + pid)
        check(b.execute("return document.querySelectorAll('.link-card').length;") == 1,
              "one card in the page")
        b.check_axe()
        b.screenshot(os.path.join(out, "links-1280.png"))
        b.set_width(Browser.PHONE)
        b.get(base + "/p/" + pid)
        b.check_axe()
        b.check_no_overflow()
        b.screenshot(os.path.join(out, "links-390.png"))


def test_redirect_followed_within_the_allow_list():
    u = url("/to-page")
    post(u)
    st, title, _, _ = row(u)
    check_eq((st, title), ("0", 'A <b>bold</b> "page"'), "a redirect on the same host")
    check(HITS.get((PORTS[0], "/page-after-redirect"), 0) >= 1, "the target was fetched")


def test_loopback_not_allow_listed_is_refused():
    u = url("/page", PORTS[1])
    pid = post("not allowed " + u)
    st, title, _, _ = row(u)
    check_eq((st, title), ("1", ""), "refused, nothing stored")
    check_eq(HITS.get((PORTS[1], "/page"), 0), 0, "no connection reached the server")
    check("link-card" not in page(pid), "no card")


def test_redirect_to_a_private_address_is_refused():
    for path in ("/to-other", "/to-metadata"):
        u = url(path)
        pid = post("redirect " + u)
        st, title, _, _ = row(u)
        check_eq((st, title), ("1", ""), "%s: refused after the redirect" % path)
        check("link-card" not in page(pid), "%s: no card" % path)
    check_eq(HITS.get((PORTS[1], "/page"), 0), 0, "the other port never saw a request")


def test_redirect_loop_stops():
    u = url("/loop")
    post(u)
    st, _, _, _ = row(u)
    check_eq(st, "2", "too many redirects: failed")
    check(HITS.get((PORTS[0], "/loop"), 0) <= 4, "at most 3 redirects followed")


def test_not_html_and_oversized_store_nothing_harmful():
    u = url("/json")
    pid = post(u)
    st, title, desc, image = row(u)
    check_eq((st, title, desc, image), ("3", "", "", ""), "JSON: not text/html, nothing kept")
    check("link-card" not in page(pid), "no card for JSON")
    u = url("/empty")
    post(u)
    check_eq(row(u)[0], "3", "an empty image: not text/html either")
    u = url("/big")
    pid = post(u)
    st, title, desc, image = row(u)
    check_eq((st, title), ("0", ""), "a page past max_bytes: read up to it, no title past it")
    check("link-card" not in page(pid), "no card without a title or description")


if __name__ == "__main__":
    sys.exit(run_main(__doc__, [
        test_urls_become_links_in_pages_not_in_json,
        test_bio_urls_become_links,
        test_card_shows_once_fetched_and_is_fetched_once,
        test_warm_card_costs_no_database_round_trip,
        test_card_in_a_browser,
        test_redirect_followed_within_the_allow_list,
        test_loopback_not_allow_listed_is_refused,
        test_redirect_to_a_private_address_is_refused,
        test_redirect_loop_stops,
        test_not_html_and_oversized_store_nothing_harmful,
    ]))
