"""What the Python test scripts of Starling share (standard library only).

Used by tests/integration/test_http.py and tests/browser/test_help.py, which put this directory
on sys.path from their own location:

  Failure, check, check_eq   a failed expectation, and the checks that raise it
  Page                       the parts of an HTML page the tests look at (title, h1, forms, text)
  load_catalog, catalog      the message catalogs $STARLING_SRCDIR/templates/i18n/LANG.json
  catalog_texts              a catalog's texts that can be looked for in a page
  run_tests                  runs test functions: one PASS/FAIL line each, then "N passed, M failed"

SRCDIR is $STARLING_SRCDIR, or else the checkout this file is in.
"""

import html.parser
import http.client
import http.cookies
import json
import os
import re
import traceback
import urllib.parse

SRCDIR = os.environ.get("STARLING_SRCDIR") or os.path.abspath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


# --- checks ------------------------------------------------------------------------------------

class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


def check_eq(got, want, what):
    if got != want:
        raise Failure("%s: got %r, want %r" % (what, got, want))


# --- HTML --------------------------------------------------------------------------------------

class Page(html.parser.HTMLParser):
    """The parts of a page the tests look at."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.html_lang = None
        self.title = ""
        self.h1 = []
        self.has_header = False
        self.has_footer = False
        self.forms = []            # [{"action", "method", "fields": {name: value}, "in_footer"}]
        self.texts = []
        self._stack = []
        self._form = None
        self._footer_depth = 0
        self.feed(text)
        self.close()
        self.title = " ".join(self.title.split())
        self.h1 = [" ".join(h.split()) for h in self.h1]

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "html":
            self.html_lang = a.get("lang")
        elif tag == "header":
            self.has_header = True
        elif tag == "footer":
            self.has_footer = True
            self._footer_depth += 1
        elif tag == "form":
            self._form = {"action": a.get("action", ""), "method": a.get("method", "get").lower(),
                          "fields": {}, "in_footer": self._footer_depth > 0}
            self.forms.append(self._form)
        elif tag in ("input", "select", "button", "textarea") and self._form is not None:
            if a.get("name"):
                self._form["fields"].setdefault(a["name"], a.get("value", ""))
        elif tag == "h1":
            self.h1.append("")
        if tag not in ("input", "meta", "link", "br", "img", "hr"):
            self._stack.append(tag)

    def handle_endtag(self, tag):
        if tag == "footer":
            self._footer_depth -= 1
        elif tag == "form":
            self._form = None
        if tag in self._stack:
            while self._stack and self._stack.pop() != tag:
                pass

    def handle_data(self, data):
        if "title" in self._stack:
            self.title += data
        if "h1" in self._stack and self.h1:
            self.h1[-1] += data
        self.texts.append(data)

    def text(self):
        return " ".join(" ".join(self.texts).split())

    def footer_forms(self):
        return [f for f in self.forms if f["in_footer"]]

    def footer_language_form(self):
        """The first form inside <footer> that posts to /language, or None."""
        for f in self.footer_forms():
            if f["action"].split("?")[0] == "/language":
                return f
        return None


# --- catalogs ----------------------------------------------------------------------------------

def load_catalog(lang):
    """templates/i18n/LANG.json flattened: {"a.b.c": text}."""
    path = os.path.join(SRCDIR, "templates", "i18n", lang + ".json")
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        raise Failure("cannot load the catalog %s: %s" % (path, e))
    flat = {}

    def walk(prefix, node):
        if isinstance(node, dict):
            for k, v in node.items():
                walk(prefix + k + ".", v)
        elif isinstance(node, str):
            flat[prefix[:-1]] = node
    walk("", doc)
    return flat


_catalogs = {}


def catalog(lang):
    if lang not in _catalogs:
        _catalogs[lang] = load_catalog(lang)
    return _catalogs[lang]


def catalog_texts(lang="en"):
    """{key: text} of the catalog's texts that a page can show as they are: stripped, two
    characters or more, without {{placeholders}}."""
    texts = {}
    for k, v in catalog(lang).items():
        v = v.strip()
        if len(v) >= 2 and "{{" not in v:
            texts[k] = v
    return texts


# --- HTTP --------------------------------------------------------------------------------------

class Response:
    def __init__(self, status, headers, body, method, path):
        self.status = status
        self.headers = headers          # http.client.HTTPMessage
        self.body = body                # bytes
        self.where = "%s %s" % (method, path)

    @property
    def text(self):
        return self.body.decode("utf-8", errors="replace")

    def header(self, name):
        return self.headers.get(name)

    def cookies(self):
        """The cookies set by Set-Cookie headers: {name: morsel}."""
        jar = {}
        for line in self.headers.get_all("Set-Cookie") or []:
            c = http.cookies.SimpleCookie()
            c.load(line)
            for name, morsel in c.items():
                jar[name] = morsel
        return jar

    def json(self):
        ctype = (self.header("Content-Type") or "").lower()
        check(ctype.startswith("application/json"),
              "%s: Content-Type %r is not JSON; body: %.300r" % (self.where, ctype, self.body))
        try:
            return json.loads(self.body.decode("utf-8"))
        except ValueError as e:
            raise Failure("%s: body is not JSON (%s): %.300r" % (self.where, e, self.body))


TIMEOUT = 30  # seconds per request; sanitizer builds are slow to start
BASE = None  # urllib.parse result of the base URL: set_base()


def set_base(url):
    """Where request() sends to: "http://127.0.0.1:PORT"."""
    global BASE
    BASE = urllib.parse.urlparse(url)
    return BASE


def request(method, path, body=None, headers=None):
    """path is sent as is (no quoting), so tests can send malformed escapes."""
    conn = http.client.HTTPConnection(BASE.hostname, BASE.port or 80, timeout=TIMEOUT)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        hdrs = dict(headers or {})
        if body is not None:
            hdrs.setdefault("Content-Length", str(len(body)))
        for k, v in hdrs.items():
            conn.putheader(k, v)
        conn.endheaders(body)
        r = conn.getresponse()
        data = r.read()
        return Response(r.status, r.headers, data, method, path)
    finally:
        conn.close()


def get(path, headers=None):
    return request("GET", path, headers=headers)


def check_status(r, want):
    check(r.status == want, "%s: status %d, want %d; body: %.400r" % (r.where, r.status, want,
                                                                     r.body))


def check_common_headers(r):
    """What every response of the binaries carries."""
    check_eq((r.header("X-Content-Type-Options") or "").lower(), "nosniff",
             "%s: X-Content-Type-Options" % r.where)
    csp = r.header("Content-Security-Policy") or ""
    check("default-src" in csp, "%s: Content-Security-Policy %r lacks default-src" % (r.where, csp))
    rid = r.header("X-Request-Id") or ""
    check(re.fullmatch(r"[A-Za-z0-9._-]{8,64}", rid) is not None,
          "%s: X-Request-Id missing or odd: %r" % (r.where, rid))


def check_envelope(r, status, code):
    """A JSON error (or success) envelope: {"code", "message", "data"}."""
    check_status(r, status)
    check_common_headers(r)
    check_eq((r.header("Content-Type") or "").lower().replace(" ", ""),
             "application/json;charset=utf-8", "%s: Content-Type" % r.where)
    doc = r.json()
    check(isinstance(doc, dict), "%s: envelope is not an object: %r" % (r.where, doc))
    check_eq(sorted(doc), ["code", "data", "message"], "%s: envelope keys" % r.where)
    check_eq(doc["code"], code, "%s: code" % r.where)
    check(isinstance(doc["message"], str) and doc["message"].strip(),
          "%s: empty message: %r" % (r.where, doc))
    if code != 0:
        check(doc["data"] is None, "%s: data of an error is not null: %r" % (r.where, doc))
    return doc


def check_html_error(r, status, code):
    """An error outside /api/: an HTML page (the layout's error page) naming the code."""
    check_status(r, status)
    check_common_headers(r)
    ctype = (r.header("Content-Type") or "").lower()
    check(ctype.startswith("text/html"), "%s: Content-Type %r, want text/html" % (r.where, ctype))
    check("<html" in r.text.lower(), "%s: not an HTML page: %.300r" % (r.where, r.body))
    check(str(code) in r.text, "%s: the page does not show the code %d" % (r.where, code))


# --- runner ------------------------------------------------------------------------------------

def run_tests(tests, pattern=""):
    """Runs each test function (named test_NAME) whose NAME contains pattern; prints
    "PASS NAME" or "FAIL NAME: why" for each, then "N passed, M failed". Returns the exit
    status: 1 when a test failed, else 0."""
    passed = failed = 0
    for t in tests:
        name = t.__name__[len("test_"):]
        if pattern and pattern not in name:
            continue
        try:
            t()
        except Failure as e:
            failed += 1
            print("FAIL %s: %s" % (name, e), flush=True)
        except Exception:  # a crash of the test itself, or a dropped connection
            failed += 1
            print("FAIL %s: %s" % (name, traceback.format_exc().rstrip()), flush=True)
        else:
            passed += 1
            print("PASS %s" % name, flush=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0
