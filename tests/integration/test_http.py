#!/usr/bin/env python3
"""HTTP tests of starling-site through the web server (lighttpd or Apache) in front of it.

Usage: test_http.py BASE_URL [--phase normal|cache-down|db-down] [-k SUBSTRING]

  normal      (default) everything up: status, headers and bodies of every behaviour
  cache-down  one memcached server stopped (of two), MariaDB up: the health check must say the
              cache is down (it pings every node)
  db-down     one memcached server and one MariaDB instance stopped: the health check must say
              the database is down (it pings every instance)

Environment: STARLING_TEST_SERVER, the set-up under test (lighttpd, apache-proxy-fcgi,
apache-fcgid, apache-cgi; tests/integration/suite.sh sets it): a check that a set-up cannot pass
by design is skipped there, with the reason printed (SKIP_UNDER).

Texts of pages are not hard-coded: they come from the message catalogs
$STARLING_SRCDIR/templates/i18n/{en,zh}.json (STARLING_SRCDIR defaults to this checkout).

Python standard library only. Prints one PASS/FAIL line per test, then "N passed, M failed";
the exit status is 1 when a test failed.
"""

import gzip
import http.client
import http.cookies
import json
import os
import re
import socket
import sys
import urllib.parse

sys.dont_write_bytecode = True   # keep tests/lib free of __pycache__
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import starling_test  # noqa: E402
from starling_test import (STATIC_DIR, TIMEOUT, Failure, Page, Response, catalog,  # noqa: E402
                           csrf_unmasked,
                           catalog_texts, check, check_common_headers, check_envelope, check_eq,
                           check_html_error, check_status, get, request, run_tests, set_base)
from codes import (BAD_ENCODING, BAD_JSON, BAD_UTF8, CSRF, METHOD_NOT_ALLOWED,  # noqa: E402
                   NOT_FOUND, TOO_LARGE, UNAVAILABLE, UNSUPPORTED_MEDIA)

SANE_REQUEST_ID = "it-0123456789abcdef"


# --- HTML --------------------------------------------------------------------------------------

def check_page(r):
    check_status(r, 200)
    check_common_headers(r)
    ctype = (r.header("Content-Type") or "").lower().replace(" ", "")
    check_eq(ctype, "text/html;charset=utf-8", "%s: Content-Type" % r.where)
    return Page(r.text)


def raw_get(target):
    """GET of target (bytes) exactly as given: http.client sends only ASCII request lines, and a
    client may send any byte. A connection closed without an answer is a failure."""
    host = "%s:%d" % (starling_test.BASE.hostname, starling_test.BASE.port or 80)
    with socket.create_connection((starling_test.BASE.hostname, starling_test.BASE.port or 80),
                                  timeout=TIMEOUT) as s:
        s.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: " + host.encode() +
                  b"\r\nConnection: close\r\n\r\n")
        r = http.client.HTTPResponse(s, method="GET")
        where = "GET " + target.decode("latin-1")
        try:
            r.begin()
        except (http.client.RemoteDisconnected, ConnectionError) as e:
            raise Failure("%s: the connection was closed without an answer (%s)" % (where, e))
        return Response(r.status, r.headers, r.read(), "GET", target.decode("latin-1"))


# What the binaries send on every response (lib/http/response.c), which the web server must add to
# the responses it makes itself; the policy is the one for anything but a page.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def check_security_headers(r, csp_has):
    """Each security header once, with its value; one Content-Security-Policy, holding csp_has
    (two policies would both be enforced, the stricter breaking a page)."""
    for name, want in SECURITY_HEADERS.items():
        check_eq(r.headers.get_all(name) or [], [want], "%s: %s" % (r.where, name))
    csp = r.headers.get_all("Content-Security-Policy") or []
    check(len(csp) == 1 and csp_has in csp[0],
          "%s: Content-Security-Policy %r, want one holding %r" % (r.where, csp, csp_has))


# --- catalogs ----------------------------------------------------------------------------------

def catalog_key_in(text, lang="en"):
    """The key whose text (the longest such, without {{placeholders}}) occurs in text."""
    best = None
    for k, v in catalog_texts(lang).items():
        if v in text and (best is None or len(v) > len(best[1])):
            best = (k, v)
    return best[0] if best else None


def check_language(page, lang, where):
    """page (en) or its zh twin: its title and heading are the lang texts of the catalog keys
    that the English page shows."""
    en = check_page(get("/help"))
    key_title = catalog_key_in(en.title)
    check(key_title, "GET /help: no text of en.json in the title %r" % en.title)
    check(en.h1, "GET /help: no <h1>")
    key_h1 = catalog_key_in(en.h1[0])
    check(key_h1, "GET /help: no text of en.json in the heading %r" % en.h1[0])
    want_title = catalog(lang)[key_title].strip()
    want_h1 = catalog(lang)[key_h1].strip()
    check(want_title in page.title,
          "%s: title %r lacks %s's %r (%s)" % (where, page.title, lang, want_title, key_title))
    check(page.h1 and want_h1 in page.h1[0],
          "%s: heading %r lacks %s's %r (%s)" % (where, page.h1, lang, want_h1, key_h1))
    if page.html_lang is not None:
        check(page.html_lang.split("-")[0] == lang,
              "%s: <html lang=%r>, want %s" % (where, page.html_lang, lang))


def has_cjk(s):
    return re.search("[\u4e00-\u9fff]", s) is not None


# --- tests: everything up ----------------------------------------------------------------------

def test_health_ok():
    r = get("/api/v1/health")
    doc = check_envelope(r, 200, 0)
    check_eq(doc["message"], "ok", "message")
    # No operator switch is on outside test_switches.py (which clears them all when it ends).
    check_eq(doc["data"], {"database": "ok", "cache": "ok", "switches": {}}, "data")


def test_request_id_echoed_when_sane():
    r = get("/api/v1/health", {"X-Request-Id": SANE_REQUEST_ID})
    check_status(r, 200)
    check_eq(r.header("X-Request-Id"), SANE_REQUEST_ID, "X-Request-Id echoed")


def test_request_id_replaced_when_hostile():
    bad = "x<script>" + "a" * 200
    r = get("/api/v1/health", {"X-Request-Id": bad})
    check_status(r, 200)
    check_common_headers(r)
    check(r.header("X-Request-Id") != bad, "a hostile X-Request-Id was echoed")


def test_request_ids_differ():
    a = get("/api/v1/health").header("X-Request-Id")
    b = get("/api/v1/health").header("X-Request-Id")
    check(a and b and a != b, "two requests got the same X-Request-Id %r" % a)


def test_help_english():
    r = get("/help")
    page = check_page(r)
    check(page.has_header, "GET /help: the layout's <header> is missing")
    check(page.has_footer, "GET /help: the layout's <footer> is missing")
    check(page.title, "GET /help: empty <title>")
    check_language(page, "en", "GET /help")
    check(not has_cjk(page.title), "GET /help: the English title has Chinese text")


def test_help_chinese_by_cookie():
    page = check_page(get("/help", {"Cookie": "lang=zh"}))
    check_language(page, "zh", "GET /help (lang=zh)")
    check(has_cjk(page.text()), "GET /help (lang=zh): no Chinese text on the page")
    check(page.has_header and page.has_footer, "GET /help (lang=zh): layout header/footer")


def test_help_bad_lang_cookie_falls_back():
    page = check_page(get("/help", {"Cookie": "lang=\"><script>x"}))
    check_language(page, "en", "GET /help (lang=junk)")


def test_help_sets_csrf_cookie_and_field():
    r = get("/help")
    check_page(r)
    cookies = r.cookies()
    check("starling_csrf" in cookies, "GET /help: no starling_csrf cookie set")
    token = cookies["starling_csrf"].value
    check(re.fullmatch(r"[0-9a-f]{64}", token), "starling_csrf %r is not 64 hex digits" % token)
    check(cookies["starling_csrf"]["httponly"], "starling_csrf is not HttpOnly")
    check((cookies["starling_csrf"]["samesite"] or "").lower() in ("lax", "strict"),
          "starling_csrf has no SameSite")
    form = Page(r.text).footer_language_form()
    check(form is not None, "GET /help: no form posting to /language in the footer")
    check_eq(form["method"], "post", "language form method")
    check("language" in form["fields"], "language form has no 'language' field: %r" % form)
    field = form["fields"].get("csrf_token")
    check(field != token, "the form holds the cookie's token as it is (BREACH: csrf.h)")
    check_eq(csrf_unmasked(field), token, "language form's csrf_token, unmasked")
    again = Page(get("/help", {"Cookie": "starling_csrf=" + token}).text).footer_language_form()
    check(again["fields"].get("csrf_token") != field, "the same mask in two answers")
    check_eq(csrf_unmasked(again["fields"].get("csrf_token")), token, "the second answer's, unmasked")


def test_compression():
    """Pages, the stylesheet, the script and the icons go out gzip-compressed to a client that
    accepts it (etc/: mod_deflate), with Vary: Accept-Encoding, and decompress to what a client
    that does not ask gets plain. A page's CSRF field differs between the two answers (masked
    afresh each time: the BREACH defence, lib/http/csrf.h), nothing else does."""
    token = get("/help").cookies()["starling_csrf"].value
    field = re.compile(rb'name="csrf_token" value="[A-Za-z0-9_-]{86}"')
    for path in ("/help", "/static/starling.css", "/static/starling.js", "/static/icons.svg"):
        headers = {"Cookie": "starling_csrf=" + token}
        plain = get(path, headers)
        check_status(plain, 200)
        check(plain.header("Content-Encoding") is None, "%s: compressed unasked" % path)
        r = get(path, dict(headers, **{"Accept-Encoding": "gzip"}))
        check_status(r, 200)
        check_eq(r.header("Content-Encoding"), "gzip", path + ": Content-Encoding")
        check("accept-encoding" in (r.header("Vary") or "").lower(),
              "%s: Vary %r" % (path, r.header("Vary")))
        body = gzip.decompress(r.body)
        check(len(r.body) < len(body), "%s: %d bytes compressed from %d" % (
            path, len(r.body), len(body)))
        if path == "/help":
            check(field.search(body) and field.sub(b"", body) == field.sub(b"", plain.body),
                  "/help: the same page but its CSRF field")
            check(field.search(body).group(0) != field.search(plain.body).group(0),
                  "/help: the same masked CSRF field in two answers")
        else:
            check(body == plain.body, path + ": the same bytes decompressed")


def test_not_found_api():
    check_envelope(get("/api/v1/healthx"), 404, NOT_FOUND)
    check_envelope(get("/api/v1/health/x"), 404, NOT_FOUND)


def test_not_found_html():
    check_html_error(get("/helpx"), 404, NOT_FOUND)


def test_method_not_allowed():
    r = request("POST", "/api/v1/health", body=b"")
    check_envelope(r, 405, METHOD_NOT_ALLOWED)
    allow = r.header("Allow") or ""
    check("GET" in allow.upper(), "405 without an Allow header naming GET: %r" % allow)


def test_bad_percent_encoding():
    check_envelope(get("/api/v1/health?q=%zz"), 400, BAD_ENCODING)


def test_bad_utf8():
    check_envelope(get("/api/v1/health?q=%C0%AF"), 400, BAD_UTF8)


def test_raw_byte_in_query():
    """A query byte that is not UTF-8, sent raw (0xff, not "%FF"), gets the binary's 400 in every
    set-up; lighttpd once ran a UTF-8 regex over every query to map "/" and dropped the
    connection instead."""
    for target in (b"/api/v1/search/posts?q=\xff", b"/api/v1/health?q=a\xffb"):
        check_envelope(raw_get(target), 400, BAD_UTF8)
    check_html_error(raw_get(b"/?q=\xff"), 400, BAD_UTF8)
    check_html_error(raw_get(b"/?\xff"), 400, BAD_UTF8)
    # "/" is still the home page, with or without a query; "/home" itself is not.
    for path in ("/", "/?x=1"):
        r = get(path)
        check_status(r, 200)
        check_common_headers(r)
    check_status(get("/home"), 404)


def test_repeated_json_member():
    """A JSON member given twice is refused with its name, as a parameter given twice in a
    query or a form is: json-c alone would keep the last."""
    for body, name in ((b'{"q":"a","q":"b"}', '"q"'),
                       (b'{"a":{"x":1,"x":2}}', '"x"'),
                       (b'{"q":"a","\\u0071":"b"}', '"q"')):
        r = request("POST", "/api/v1/health", body=body,
                    headers={"Content-Type": "application/json"})
        doc = check_envelope(r, 400, BAD_JSON)
        check(name in doc["message"] and "more than once" in doc["message"],
              "%s %r: message %r does not name %s" % (r.where, body, doc["message"], name))
    r = request("POST", "/api/v1/health", body=b'{"q":"a","o":{"q":"b"}}',
                headers={"Content-Type": "application/json"})
    # one name in two objects is two names: parsed, then routed
    check_envelope(r, 405, METHOD_NOT_ALLOWED)


def test_malformed_json():
    r = request("POST", "/api/v1/health", body=b'{"a":',
                headers={"Content-Type": "application/json"})
    check_envelope(r, 400, BAD_JSON)


def test_unsupported_content_type():
    r = request("POST", "/api/v1/health", body=b"hello",
                headers={"Content-Type": "text/plain"})
    check_envelope(r, 415, UNSUPPORTED_MEDIA)


def test_body_too_large():
    # Past [http] max_body_bytes (1 MiB), within the web server's limit (64 KiB more): the
    # binary's envelope.
    body = b"[" + b"0," * (512 * 1024 + 1024) + b"0]"
    r = request("POST", "/api/v1/health", body=body,
                headers={"Content-Type": "application/json"})
    check_envelope(r, 413, TOO_LARGE)


def test_web_server_limit_is_tight():
    """A body no route takes is refused by the web server before a binary reads it (etc/:
    max_body_bytes + 64 KiB outside the upload routes), with the security headers; the upload
    routes take more (their own limit is max_video_bytes). Shared hosting (set-ups 3 and 4)
    has one limit for all routes: the .htaccess tells them apart after Apache applied it."""
    if os.environ.get("STARLING_TEST_SERVER") in ("apache-fcgid", "apache-cgi"):
        print("skip: one web server limit for all routes under .htaccess")
        return
    body = b"x" * (2 * 1024 * 1024)
    r = request("POST", "/api/v1/post/create", body=body,
                headers={"Content-Type": "application/x-www-form-urlencoded"})
    check_status(r, 413)
    check_eq((r.header("X-Content-Type-Options") or "").lower(), "nosniff",
             "%s: X-Content-Type-Options" % r.where)
    # The same body to the upload form reaches the binary: it answers (401, no login) itself.
    r = request("POST", "/compose", body=body,
                headers={"Content-Type": "application/x-www-form-urlencoded"})
    check(r.status != 413, "%s: /compose refused a 2 MiB body (status %d): its limit is the "
          "upload one" % (r.where, r.status))


def _csrf_token():
    r = get("/help")
    check_page(r)
    token = r.cookies().get("starling_csrf")
    check(token is not None, "GET /help: no starling_csrf cookie")
    form = Page(r.text).footer_language_form()
    check(form is not None, "GET /help: no language form")
    check_eq(csrf_unmasked(form["fields"].get("csrf_token")), token.value, "form csrf_token, unmasked")
    return token.value


def _post_language(fields, cookie):
    body = urllib.parse.urlencode(fields).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if cookie:
        headers["Cookie"] = cookie
    return request("POST", "/language", body=body, headers=headers)


def test_language_form_switches():
    token = _csrf_token()
    r = _post_language({"language": "zh", "csrf_token": token}, "starling_csrf=" + token)
    check_status(r, 303)
    check_common_headers(r)
    check(r.header("Location"), "303 without Location")
    loc = urllib.parse.urlsplit(r.header("Location"))
    check(loc.netloc in ("", starling_test.BASE.netloc), "redirect leaves the site: %r" % r.header("Location"))
    lang = r.cookies().get("lang")
    check(lang is not None and lang.value == "zh", "POST /language: no lang=zh cookie: %r"
          % r.headers.get_all("Set-Cookie"))
    page = check_page(get("/help", {"Cookie": "starling_csrf=%s; lang=zh" % token}))
    check_language(page, "zh", "GET /help after switching")
    r = _post_language({"language": "en", "csrf_token": token}, "starling_csrf=%s; lang=zh" % token)
    check_status(r, 303)
    lang = r.cookies().get("lang")
    check(lang is not None and lang.value == "en", "switching back: no lang=en cookie")


def _check_refused(r):
    check_html_error(r, 403, CSRF)
    check("lang" not in r.cookies(), "a refused POST /language set the lang cookie")


def test_language_without_token():
    token = _csrf_token()
    _check_refused(_post_language({"language": "zh"}, "starling_csrf=" + token))


def test_language_with_wrong_token():
    token = _csrf_token()
    wrong = ("0" if token[0] != "0" else "1") + token[1:]
    _check_refused(_post_language({"language": "zh", "csrf_token": wrong},
                                  "starling_csrf=" + token))


def test_language_without_cookie():
    token = _csrf_token()
    _check_refused(_post_language({"language": "zh", "csrf_token": token}, None))


def test_language_unknown_value():
    token = _csrf_token()
    r = _post_language({"language": "xx", "csrf_token": token}, "starling_csrf=" + token)
    check(400 <= r.status < 500, "POST /language language=xx: status %d, want 4xx" % r.status)
    check_common_headers(r)
    check("lang" not in r.cookies(), "language=xx set a lang cookie")


def test_language_return_to_stays_local():
    """The language form goes back to return_to only when it is a path of this site. Browsers drop
    TAB and line breaks from a Location before they read it, so "/<TAB>/evil.example" is the
    site evil.example: such a return_to goes to /help instead."""
    token = _csrf_token()
    for back, want in (("/explore", "/explore"), ("/p/1?x=2#post-1", "/p/1"),
                       ("/\t/evil.example", "/help"), ("/\t\t/evil.example/x", "/help"),
                       ("/\n/evil.example", "/help"), ("/\r\n/evil.example", "/help"),
                       ("/ /evil.example", "/help"), ("/\\evil.example", "/help"),
                       ("//evil.example", "/help"), ("https://evil.example/", "/help")):
        r = _post_language({"language": "en", "return_to": back, "csrf_token": token},
                           "starling_csrf=" + token)
        what = "POST /language return_to=%r" % back
        check(r.status == 303, "%s: status %d, want 303" % (what, r.status))
        loc = r.header("Location") or ""
        check(not any(c in loc for c in "\t\r\n\\ ") and "evil" not in loc,
              "%s: Location %r" % (what, loc))
        got = urllib.parse.urlsplit(loc)
        check_eq((got.scheme, got.netloc, got.path), ("", "", want), what + ": Location")


def test_hostile_input_escaped():
    for path in ("/help?q=<script>alert(1)</script>",
                 "/help?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
                 "/help/%3Cscript%3Ealert(1)%3C%2Fscript%3E",
                 "/helpx?q=%22%3E%3Cimg%20src=x%20onerror=alert(1)%3E"):
        r = get(path)
        check(r.status in (200, 400, 404), "GET %s: status %d" % (path, r.status))
        check_common_headers(r)
        low = r.text.lower()
        check("<script>alert(1)" not in low, "GET %s reflects raw <script>" % path)
        check("<img src=x" not in low, "GET %s reflects a raw <img>" % path)


def test_static_file():
    """/static/ serves the files as make built them (minified), not the sources."""
    names = sorted(n for n in os.listdir(STATIC_DIR) if n.endswith(".css"))
    check(names, "no CSS file in %s" % STATIC_DIR)
    r = get("/static/" + names[0])
    check_status(r, 200)
    check((r.header("Content-Type") or "").startswith("text/css"),
          "/static/%s: Content-Type %r" % (names[0], r.header("Content-Type")))
    with open(os.path.join(STATIC_DIR, names[0]), "rb") as f:
        check_eq(r.body, f.read(), "/static/%s body (%s)" % (names[0], STATIC_DIR))
    check_status(get("/static/no-such-file.css"), 404)


def test_server_404_has_security_headers():
    """A path that no route maps is the web server's own 404 (no X-Request-Id: not a binary's
    answer), with the security headers the binaries send."""
    for path in ("/no-such-page", "/static/no-such-file.css", "/no/such/dir/"):
        r = get(path)
        check_status(r, 404)
        check(r.header("X-Request-Id") is None,
              "%s: X-Request-Id %r: a binary answered, not the web server" %
              (r.where, r.header("X-Request-Id")))
        check_security_headers(r, "default-src 'none'")


def test_server_refusal_has_security_headers():
    """A header too large for the web server is refused by it (431, or Apache's 400) before any
    route, with the security headers too."""
    r = get("/help", {"X-Padding": "a" * 20000})
    check(r.status in (400, 431), "%s with a 20000-byte header: status %d, want 431 or 400" %
          (r.where, r.status))
    check(r.header("X-Request-Id") is None, "%s: a binary answered" % r.where)
    check_security_headers(r, "default-src 'none'")


def test_security_headers_not_doubled():
    """The web server's headers go only where a response lacks them: a page keeps its own policy,
    alone, and a static file gets them too."""
    check_security_headers(get("/help"), "script-src 'self'")
    check_security_headers(get("/api/v1/health"), "default-src 'none'")
    names = sorted(n for n in os.listdir(STATIC_DIR) if n.endswith(".css"))
    r = get("/static/" + names[0])
    check_status(r, 200)
    check_security_headers(r, "default-src 'none'")


# Checks a set-up cannot pass by design: {test: ({set-up, ...}, why)}; docs/deploy.md says more.
SKIP_UNDER = {
    test_server_refusal_has_security_headers: (
        {"apache-fcgid", "apache-cgi"},
        "on shared hosting Apache refuses an oversized header before it reads the .htaccess "
        "that adds the headers; only the host's own configuration could"),
}


NORMAL = [
    test_health_ok,
    test_request_id_echoed_when_sane,
    test_request_id_replaced_when_hostile,
    test_request_ids_differ,
    test_help_english,
    test_help_chinese_by_cookie,
    test_help_bad_lang_cookie_falls_back,
    test_help_sets_csrf_cookie_and_field,
    test_compression,
    test_not_found_api,
    test_not_found_html,
    test_method_not_allowed,
    test_bad_percent_encoding,
    test_bad_utf8,
    test_raw_byte_in_query,
    test_repeated_json_member,
    test_malformed_json,
    test_unsupported_content_type,
    test_body_too_large,
    test_web_server_limit_is_tight,
    test_language_form_switches,
    test_language_without_token,
    test_language_with_wrong_token,
    test_language_without_cookie,
    test_language_unknown_value,
    test_language_return_to_stays_local,
    test_hostile_input_escaped,
    test_static_file,
    test_server_404_has_security_headers,
    test_server_refusal_has_security_headers,
    test_security_headers_not_doubled,
]


# --- tests: degraded ---------------------------------------------------------------------------

def test_health_cache_down():
    doc = check_envelope(get("/api/v1/health"), 503, UNAVAILABLE)
    msg = doc["message"].lower()
    check("cache" in msg or "memcached" in msg, "503 message does not name the cache: %r" % msg)


def test_health_database_down():
    doc = check_envelope(get("/api/v1/health"), 503, UNAVAILABLE)
    msg = doc["message"].lower()
    check(any(w in msg for w in ("database", "mariadb", "mysql")),
          "503 message does not name the database: %r" % msg)


def test_help_still_served():
    # Pages that need neither the database nor the cache keep working.
    check_page(get("/help"))


PHASES = {
    "normal": NORMAL,
    "cache-down": [test_health_cache_down, test_help_still_served],
    "db-down": [test_health_database_down, test_help_still_served],
}


def main(argv):
    args = list(argv[1:])
    phase, pattern = "normal", ""
    base = None
    while args:
        a = args.pop(0)
        if a == "--phase" and args:
            phase = args.pop(0)
        elif a == "-k" and args:
            pattern = args.pop(0)
        elif base is None and not a.startswith("-"):
            base = a
        else:
            print(__doc__, file=sys.stderr)
            return 2
    base = base or os.environ.get("STARLING_BASE_URL")
    if not base or phase not in PHASES:
        print(__doc__, file=sys.stderr)
        return 2
    set_base(base.rstrip("/"))
    server = os.environ.get("STARLING_TEST_SERVER", "")
    tests = []
    for t in PHASES[phase]:
        under, why = SKIP_UNDER.get(t, (set(), ""))
        if server in under:
            print("SKIP %s under %s: %s" % (t.__name__[len("test_"):], server, why), flush=True)
        else:
            tests.append(t)
    return run_tests(tests, pattern)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
