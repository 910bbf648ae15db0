"""What the Python test scripts of Starling share (standard library only).

Used by tests/integration/test_http.py and tests/browser/test_*.py, which put this directory on
sys.path from their own location:

  Failure, check, check_eq   a failed expectation, and the checks that raise it
  Page                       the parts of an HTML page the tests look at (title, h1, forms, text)
  load_catalog, catalog      the message catalogs $STARLING_SRCDIR/templates/i18n/LANG.json
  catalog_texts              a catalog's texts that can be looked for in a page
  template_catalog_keys      the {{t.KEY}} names the templates use, by template
  set_base, request, get     HTTP requests to the server under test (Response), and the
  check_status, check_*      checks on what it answers
  run_tests                  runs test functions: one PASS/FAIL line each, then "N passed, M failed"
  run_steps                  runs the steps of one flow in order: a failed step skips the rest
  Browser                    headless chromium driven through chromedriver (W3C WebDriver):
                             phone and desktop widths, scripts off, overflow and axe-core checks
  maildir_wait               the next message in a Maildir (the site's mail in tests), parsed
  mail_text                  a message's text/plain body, decoded
  api_post, new_user         a JSON POST to the API; a new user (activated and logged in)

SRCDIR is $STARLING_SRCDIR, or else the checkout this file is in; BUILDDIR $STARLING_BUILDDIR,
or else SRCDIR; STATIC_DIR the directory /static/ serves (the build tree's static-min/).
"""

import atexit
import base64
import email
import email.policy
import html.parser
import http.client
import http.cookies
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
import zlib

import openapi_check
from waits import SLOW

SRCDIR = os.environ.get("STARLING_SRCDIR") or os.path.abspath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BUILDDIR = os.environ.get("STARLING_BUILDDIR") or SRCDIR
# What /static/ serves under the harness: the build tree's copies, the stylesheet and the script
# minified (Makefile.am, static-min/), or the sources where make has not written them
# (script/lib/stack.sh, stack_built_static).
STATIC_DIR = (os.path.join(BUILDDIR, "static-min")
              if os.path.isfile(os.path.join(BUILDDIR, "static-min", "starling.css"))
              else os.path.join(SRCDIR, "static"))


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


def t(key, lang="en"):
    """The text of catalog key in lang; a missing key fails the test."""
    text = catalog(lang).get(key)
    check(text, "the %s catalog has no %s" % (lang, key))
    return text


_PLURAL_FORM = re.compile(r"\.(zero|one|two|few|many|other)$")


def catalog_has(lang, key):
    """True when a template's {{t.KEY}} is translated in lang: KEY is there, or KEY is a plural
    form (X.one) that lang does not use (Chinese has only X.other; the template renders "")."""
    if catalog(lang).get(key) is not None:
        return True
    return bool(_PLURAL_FORM.search(key)) and \
        catalog(lang).get(_PLURAL_FORM.sub(".other", key)) is not None


def check_templates_translated(names):
    """Every catalog key the templates names read ({{t.KEY}}) is in every language's catalog
    (catalog_has)."""
    used = set().union(*template_catalog_keys(names).values())
    for lang in ("en", "zh"):
        missing = sorted(k for k in used if not catalog_has(lang, k))
        check(not missing, "keys used by the templates but missing in %s: %s" % (lang, missing))


_T_NAME = re.compile(r"\{\{\{?\s*[#^/&]?\s*t\.([A-Za-z0-9_.]+)\s*\}?\}\}")


def template_catalog_keys(names=None):
    """{template name: set of catalog keys it reads as {{t.KEY}}}, for every *.mustache under
    $STARLING_SRCDIR/templates (or only the names given, such as "signup", "partials/header")."""
    root = os.path.join(SRCDIR, "templates")
    found = {}
    for d, _, files in os.walk(root):
        for f in files:
            if not f.endswith(".mustache"):
                continue
            path = os.path.join(d, f)
            name = os.path.relpath(path, root)[:-len(".mustache")].replace(os.sep, "/")
            if names is not None and name not in names:
                continue
            with open(path, encoding="utf-8") as fh:
                found[name] = set(_T_NAME.findall(fh.read()))
    return found


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


TIMEOUT = 30 * SLOW  # seconds per request; sanitizer builds are slow to start
BASE = None  # urllib.parse result of the base URL: set_base()


def set_base(url):
    """Where request() sends to: "http://127.0.0.1:PORT"."""
    global BASE
    BASE = urllib.parse.urlparse(url)
    return BASE


def request(method, path, body=None, headers=None, source=None):
    """path is sent as is (no quoting), so tests can send malformed escapes. source: the local
    address to send from (another loopback address, 127.0.0.2, looks like another client)."""
    conn = http.client.HTTPConnection(BASE.hostname, BASE.port or 80, timeout=TIMEOUT,
                                      source_address=(source, 0) if source else None)
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
        resp = Response(r.status, r.headers, data, method, path)
        # Every API answer must be one docs/openapi.json allows (tests/lib/openapi_check.py).
        bad = openapi_check.problem(method, path, r.status, resp.header("Content-Type"), data)
        check(bad is None, "%s: %s" % (resp.where, bad))
        return resp
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


# --- users -------------------------------------------------------------------------------------

# --- runner ------------------------------------------------------------------------------------

def run_one(t):
    """Runs test t (named test_NAME); prints "PASS NAME" or "FAIL NAME: why". True if it passed."""
    name = t.__name__[len("test_"):]
    try:
        t()
    except Failure as e:
        print("FAIL %s: %s" % (name, e), flush=True)
        return False
    except Exception:  # a crash of the test itself, or a dropped connection
        print("FAIL %s: %s" % (name, traceback.format_exc().rstrip()), flush=True)
        return False
    print("PASS %s" % name, flush=True)
    return True


def run_main(doc, tests):
    """The main of an HTTP test file: `NAME.py BASE_URL [-k SUBSTRING]` runs tests (functions
    named test_NAME) against BASE_URL, those whose NAME contains SUBSTRING with -k; prints doc
    when the URL is missing. Returns the exit status."""
    argv = sys.argv
    if len(argv) < 2:
        print(doc)
        return 2
    set_base(argv[1])
    pattern = argv[3] if len(argv) > 3 and argv[2] == "-k" else ""
    try:
        return run_tests(tests, pattern)
    except Failure as e:
        print("FAIL: %s" % e)
        return 1


def run_tests(tests, pattern=""):
    """Runs each test function (named test_NAME) whose NAME contains pattern; prints
    "PASS NAME" or "FAIL NAME: why" for each, then "N passed, M failed". Returns the exit
    status: 1 when a test failed, else 0."""
    passed = failed = 0
    for t in tests:
        if pattern and pattern not in t.__name__[len("test_"):]:
            continue
        if run_one(t):
            passed += 1
        else:
            failed += 1
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


def run_steps(steps, on_failure=None):
    """Runs the steps of one flow in order (functions named test_NAME, each relying on the ones
    before it): "PASS NAME" or "FAIL NAME: why" for each until one fails, then "SKIP NAME" for
    the rest, and "N passed, M failed, K skipped". on_failure(name) is called once after a failure
    (for a screenshot); its own errors are printed, not raised. Returns 1 when a step failed."""
    passed = failed = skipped = 0
    for t in steps:
        name = t.__name__[len("test_"):]
        if failed:
            skipped += 1
            print("SKIP %s: an earlier step failed" % name, flush=True)
            continue
        if run_one(t):
            passed += 1
        else:
            failed += 1
        if failed and on_failure is not None:
            try:
                on_failure(name)
            except Exception:
                print("  (after the failure: %s)" % traceback.format_exc().rstrip(), flush=True)
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed else 0


# --- browser: chromium through chromedriver ----------------------------------------------------

def free_port():
    """A TCP port free on 127.0.0.1 now (the kernel's choice; another process could take it
    before it is used, which Browser.start survives by trying again)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """Headless chromium driven by chromedriver through the W3C WebDriver protocol (JSON over
    HTTP, https://www.w3.org/TR/webdriver2/), with urllib only.

        with Browser(out_dir) as b:
            b.get(url); b.type("#name", "x"); b.click("button[type=submit]"); b.wait_path("/next")

    Elements are named by CSS selectors; each call finds its element afresh, so no reference
    outlives a page load. start() runs chromedriver (in a process group of its own) on a free
    port and opens a session with a fresh profile under out_dir; close() ends the session, kills
    chromedriver's process group and then every process still using that profile: the browser
    and its helpers never outlive the test, whatever happened (close also runs at interpreter
    exit and on SIGTERM, SIGINT and SIGHUP). Environment: CHROMIUM (browser, default chromium),
    CHROMEDRIVER (default chromedriver).

    Modes: width=Browser.PHONE (390) emulates a phone (a mobile viewport that honours the page's
    <meta name=viewport>, touch, a 3x screen), Browser.DESKTOP (1280, the default) a laptop;
    set_width() switches between them on an open session. javascript=False runs the browser
    with page scripts off, as for a visitor who turned them off (<noscript> applies; WebDriver's
    own scripts, which the methods below use to read the page, still run). check_no_overflow() fails when the page
    is wider than the screen at phone widths. check_axe() runs axe-core in the page."""

    ELEMENT = "element-6066-11e4-a52e-4f735466cecf"   # the W3C name of an element reference
    PHONE, DESKTOP = 390, 1280
    # Below this, a width is a phone's: headless chromium cannot make a window narrower than
    # about 500 px, so those widths are emulated (Emulation.setDeviceMetricsOverride) instead.
    MOBILE_BELOW = 600

    def __init__(self, out_dir, width=DESKTOP, height=900, timeout=30, lang="en-US",
                 javascript=True):
        self.out_dir = out_dir
        self.width, self.height, self.timeout, self.lang = width, height, timeout, lang
        self.javascript = javascript
        self.proc = None
        self.port = None
        self.session = None
        self.profile = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.close()

    # process management

    def start(self):
        driver = shutil.which(os.environ.get("CHROMEDRIVER", "chromedriver"))
        check(driver, "chromedriver not found in PATH (Debian: chromium-driver; run "
              "script/bootstrap)")
        chromium = shutil.which(os.environ.get("CHROMIUM", "chromium"))
        check(chromium, "chromium not found in PATH (Debian: chromium; run script/bootstrap)")
        self.profile = tempfile.mkdtemp(prefix="chromium-", dir=self.out_dir)
        _install_cleanup(self)
        last = None
        for _ in range(3):   # the free port may be taken before chromedriver binds it
            self.port = free_port()
            log = open(os.path.join(self.out_dir, "chromedriver.log"), "ab")
            self.proc = subprocess.Popen(
                [driver, "--port=%d" % self.port, "--allowed-ips=127.0.0.1"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                env=dict(os.environ, HOME=self.profile), start_new_session=True)
            log.close()
            try:
                self._wait_ready()
                break
            except Failure as e:
                last = e
                self._kill_driver()
        else:
            raise last
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "timeouts": {"pageLoad": self.timeout * 1000, "script": self.timeout * 1000,
                         "implicit": 0},
            "goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--disable-quic", "--no-first-run", "--no-default-browser-check",
                         "--disable-background-networking", "--disable-component-update",
                         "--disable-sync", "--disable-extensions", "--mute-audio",
                         "--hide-scrollbars", "--password-store=basic",
                         "--lang=" + self.lang,
                         "--window-size=%d,%d" % (max(self.width, self.MOBILE_BELOW),
                                                  self.height),
                         "--user-data-dir=" + self.profile],
                "prefs": {"intl.accept_languages": self.lang,
                          "credentials_enable_service": False,
                          "profile.password_manager_enabled": False},
            },
        }}}
        if self.width < self.MOBILE_BELOW:
            caps["capabilities"]["alwaysMatch"]["goog:chromeOptions"]["mobileEmulation"] = {
                "deviceMetrics": {"width": self.width, "height": self.height, "pixelRatio": 3,
                                  "mobile": True, "touch": True}}
        self.session = self._call("POST", "/session", caps)["sessionId"]
        if not self.javascript:
            self._scripts(False)

    def _scripts(self, on):
        """Lets the pages' scripts run, or not, from the next one on. Through DevTools rather
        than --blink-settings=scriptEnabled=false, which axe-core (its promises and timers)
        could never be let through."""
        self._cdp("Emulation.setScriptExecutionDisabled", value=not on)

    def _cdp(self, cmd, **params):
        return self._call("POST", self._s("/goog/cdp/execute"), {"cmd": cmd, "params": params})

    def _wait_ready(self):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise Failure("chromedriver exited with %d (see chromedriver.log)"
                              % self.proc.returncode)
            try:
                if self._call("GET", "/status", timeout=2).get("ready"):
                    return
            except (OSError, Failure):
                pass
            time.sleep(0.1)
        raise Failure("chromedriver did not answer on port %d within 20s" % self.port)

    def _kill_driver(self):
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        self.proc = None

    def _kill_profile_users(self):
        """Kills the processes whose command line names this browser's profile directory: the
        browser and its helpers, which may have left chromedriver's process group."""
        if not self.profile:
            return
        mark = ("--user-data-dir=" + self.profile).encode()
        for pid in os.listdir("/proc"):
            if not pid.isdigit() or int(pid) == os.getpid():
                continue
            try:
                with open("/proc/%s/cmdline" % pid, "rb") as f:
                    args = f.read().split(b"\0")
            except OSError:
                continue
            if mark in args:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def close(self):
        if self.session is not None and self.proc is not None and self.proc.poll() is None:
            try:
                self._call("DELETE", "/session/" + self.session, timeout=10)
            except Exception:
                pass   # killed below anyway
        self.session = None
        self._kill_driver()
        self._kill_profile_users()
        if self.profile:
            shutil.rmtree(self.profile, ignore_errors=True)
            self.profile = None

    # the protocol

    def _call(self, method, path, body=None, timeout=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.port, path), data=data,
                                     method=method,
                                     headers={"Content-Type": "application/json; charset=utf-8"})
        try:
            with urllib.request.urlopen(req, timeout=timeout or self.timeout + 30) as r:
                doc = json.loads(r.read().decode("utf-8"))
        except urllib.error.HTTPError as e:
            try:
                v = json.loads(e.read().decode("utf-8", "replace")).get("value", {})
                why = "%s: %s" % (v.get("error"), (v.get("message") or "").splitlines()[0])
            except ValueError:
                why = "HTTP %d" % e.code
            raise Failure("WebDriver %s %s: %s" % (method, path.split("/", 3)[-1], why))
        return doc.get("value")

    def _s(self, path):
        return "/session/%s%s" % (self.session, path)

    def _find(self, css):
        els = self._call("POST", self._s("/elements"), {"using": "css selector", "value": css})
        check(els, "no element matches %r on %s" % (css, self.url()))
        return els[0][self.ELEMENT]

    # what tests use

    def get(self, url):
        self._call("POST", self._s("/url"), {"url": url})

    def url(self):
        return self._call("GET", self._s("/url"))

    def title(self):
        return self._call("GET", self._s("/title"))

    def source(self):
        return self._call("GET", self._s("/source"))

    def count(self, css):
        return len(self._call("POST", self._s("/elements"), {"using": "css selector", "value": css}))

    def text(self, css):
        """The rendered text of the first element matching css."""
        return self._call("GET", self._s("/element/%s/text" % self._find(css)))

    def value(self, css):
        """The current value of a form control (what would be submitted)."""
        return self._call("GET", self._s("/element/%s/property/value" % self._find(css)))

    def attr(self, css, name):
        return self._call("GET", self._s("/element/%s/attribute/%s" % (self._find(css), name)))

    def type(self, css, text):
        """Clears the control, then types text into it as a user would."""
        el = self._find(css)
        self._call("POST", self._s("/element/%s/clear" % el), {})
        self._call("POST", self._s("/element/%s/value" % el), {"text": text})

    # True when clicking the element loads another page: a link (not to a fragment of this one),
    # or a submit button of a form the browser's own checks let through, unless static/
    # starling.js sends that form itself (data-enhanced: the page stays, updated in place).
    _NAVIGATES = """
        const e = arguments[0], a = e.closest('a[href]');
        if (a) return !a.getAttribute('href').startsWith('#');
        const b = e.closest('button, input[type=submit], input[type=image]');
        if (!b || !b.form || (b.type !== 'submit' && b.type !== 'image')) return false;
        if (b.form.hasAttribute('data-enhanced')) return false;
        return b.form.noValidate || b.formNoValidate || b.form.checkValidity();"""

    def click(self, css):
        """Clicks the first element matching css. When that loads another page (a link, a form
        submitted), returns only once the new page has loaded, so what the test reads next is
        the new page, never the old one while the browser replaces it (chromedriver does not
        always wait for a form's answer; under plain CGI it comes late)."""
        el = self._find(css)
        ref = {self.ELEMENT: el}
        navigates = self.execute(self._NAVIGATES, ref)
        if navigates:
            self.execute("window.__starlingOldPage = true;")
        if self.javascript:
            self._call("POST", self._s("/element/%s/click" % el), {})
        else:
            # With page scripts off, chromedriver's click never returns: a keyboard user's
            # Enter on the focused link or button does the same.
            self.execute("arguments[0].focus();", ref)
            self.press(self.ENTER)
        if navigates:
            self.wait(self._new_page_loaded, "a new page after clicking %r" % css)

    def _new_page_loaded(self):
        try:
            return self.execute("return window.__starlingOldPage === undefined && "
                                "document.readyState === 'complete';")
        except Failure:
            return False   # the script ran into the page being replaced: not yet

    def execute(self, script, *args):
        return self._call("POST", self._s("/execute/sync"), {"script": script, "args": list(args)})

    TAB, ENTER = "\ue004", "\ue007"   # WebDriver's codes of those keys

    def press(self, key):
        """Presses and releases key (a character, or TAB, ENTER) where the focus is, as a
        keyboard does: focus moves, :focus-visible applies."""
        self._call("POST", self._s("/actions"), {"actions": [{
            "type": "key", "id": "keyboard",
            "actions": [{"type": "keyDown", "value": key}, {"type": "keyUp", "value": key}]}]})

    def execute_async(self, script, *args):
        """Runs script with a callback as its last argument; returns what it passes to it."""
        return self._call("POST", self._s("/execute/async"), {"script": script,
                                                              "args": list(args)})

    def set_width(self, width, height=None):
        """Gives the page a viewport width CSS pixels wide from now on (this page and the next
        ones): a phone's (emulated, mobile) below MOBILE_BELOW, else a desktop window's."""
        self.width, self.height = width, height or self.height
        if width < self.MOBILE_BELOW:
            self._cdp("Emulation.setDeviceMetricsOverride", width=width, height=self.height,
                      deviceScaleFactor=3, mobile=True)
        else:
            self._cdp("Emulation.clearDeviceMetricsOverride")
            self._call("POST", self._s("/window/rect"), {"width": width, "height": self.height})

    def viewport(self):
        """[layout viewport width, document width] in CSS pixels."""
        return self.execute("return [document.documentElement.clientWidth, "
                            "document.documentElement.scrollWidth];")

    # What sticks out of the viewport, for a failure message: the outermost elements whose
    # right edge passes it.
    _WIDE = """
        const w = document.documentElement.clientWidth, out = [];
        for (const e of document.body.querySelectorAll('*')) {
          const r = e.getBoundingClientRect();
          if (r.right > w + 0.5 && !(e.parentElement && out.includes(e.parentElement)))
            out.push(e);
        }
        return out.slice(0, 5).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
          (e.className ? '.' + String(e.className).split(' ')[0] : '') +
          ' right=' + Math.round(e.getBoundingClientRect().right));"""

    def check_no_overflow(self, widths=(360, 390)):
        """Fails unless the current page fits each of widths without scrolling sideways
        (document.documentElement.scrollWidth <= the viewport's width), then puts the
        browser's width back. The page is laid out again at each width, not reloaded (a page
        that answered a form post would be posted again)."""
        back = self.width
        try:
            for w in widths:
                self.set_width(w)
                client, scroll = self.viewport()
                check(client == w, "the viewport is %d px wide, want %d" % (client, w))
                check(scroll <= client, "%s overflows a %d px screen: %d px wide; sticking out: "
                      "%s" % (self.url(), w, scroll, self.execute(self._WIDE)))
        finally:
            self.set_width(back)

    # axe.run over the whole document; answers its violations, each cut to what a failure
    # message needs (the rule, its impact, its help text and the first few elements).
    _AXE_RUN = """
        const done = arguments[arguments.length - 1];
        axe.run(document, {resultTypes: ['violations']}).then(
          r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ': ' +
              (n.failureSummary || '').split('\\n').slice(1, 2).join('').trim())}))),
          e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));"""

    def axe_violations(self, impacts=("serious", "critical")):
        """axe-core's violations on the current page whose impact is one of impacts: a list of
        {id, impact, help, nodes}. Injects axe-core (axe_source()) through WebDriver, which
        works whatever the page's CSP says; with page scripts off, they are let through for
        the run only (the page's own scripts, skipped when it loaded, stay skipped)."""
        if not self.javascript:
            self._scripts(True)
        try:
            if not self.execute("return typeof window.axe === 'object';"):
                self.execute(axe_source() + "\n;return true;")
            found = self.execute_async(self._AXE_RUN)
        finally:
            if not self.javascript:
                self._scripts(False)
        return [v for v in found if v["impact"] in impacts]

    def check_axe(self, allow=()):
        """Fails when axe-core finds a serious or critical violation on the current page,
        other than the rule ids in allow (each allowed id needs a comment at the caller saying
        why it cannot be fixed)."""
        found = [v for v in self.axe_violations() if v["id"] not in allow]
        check(not found, "axe-core at %d px on %s: %s" % (self.width, self.url(), "; ".join(
            "%s (%s, %s): %s" % (v["id"], v["impact"], v["help"], " | ".join(v["nodes"]))
            for v in found)))

    def screenshot(self, path):
        png = base64.b64decode(self._call("GET", self._s("/screenshot")))
        with open(path, "wb") as f:
            f.write(png)
        return path

    def wait(self, cond, what, timeout=None):
        """Polls cond() until it is true; raises Failure(what) after timeout seconds. A cond that
        looks at a page while the browser replaces it (a form just submitted; slower under
        plain CGI) may find its element gone between two calls: that counts as not yet."""
        deadline = time.monotonic() + (timeout or self.timeout) * SLOW
        while True:
            try:
                if cond():
                    return
            except Failure as e:
                if "stale element" not in str(e) and "no such element" not in str(e):
                    raise
            if time.monotonic() > deadline:
                raise Failure("%s (now at %s)" % (what, self.url()))
            time.sleep(0.1)


# Where script/bootstrap installs axe-core (npm), unless AXE_CORE_JS names another axe.min.js.
AXE_CORE_JS = "/usr/local/lib/starling-test/node_modules/axe-core/axe.min.js"
_axe = []


def axe_source():
    """The text of axe.min.js (read once): $AXE_CORE_JS, else where script/bootstrap put it."""
    if not _axe:
        path = os.environ.get("AXE_CORE_JS") or AXE_CORE_JS
        check(os.path.isfile(path), "axe-core not found at %s (npm: axe-core; run "
              "script/bootstrap, or set AXE_CORE_JS)" % path)
        with open(path, encoding="utf-8") as f:
            _axe.append(f.read())
    return _axe[0]


_live_browsers = []


def _install_cleanup(browser):
    """Makes sure browser.close() runs at exit, including on SIGTERM, SIGINT and SIGHUP (a
    harness timing out); installed once per process."""
    if not _live_browsers:
        atexit.register(lambda: [b.close() for b in list(_live_browsers)])

        def on_signal(sig, frame):
            raise SystemExit(128 + sig)   # unwinds through with-blocks, then atexit
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, on_signal)
    _live_browsers.append(browser)


# --- mail --------------------------------------------------------------------------------------

def maildir_wait(mail_dir, to, seen, timeout=30):
    """The first message in the Maildir mail_dir (its new/ and cur/) addressed to `to` (exact
    address, any letter case) whose file name is not in seen, parsed (email.message.EmailMessage);
    adds its file name to seen. Waits up to timeout seconds for one to arrive."""
    deadline = time.monotonic() + timeout * SLOW
    while True:
        for sub in ("new", "cur"):
            d = os.path.join(mail_dir, sub)
            try:
                names = sorted(os.listdir(d))
            except OSError:
                continue
            for name in names:
                if name in seen or name.startswith("."):
                    continue
                try:   # a reader may move it from new/ to cur/ meanwhile: seen on the next pass
                    with open(os.path.join(d, name), "rb") as f:
                        msg = email.message_from_binary_file(f, policy=email.policy.default)
                except OSError:
                    continue
                addrs = [a.addr_spec.lower() for h in msg.get_all("To", []) for a in h.addresses]
                if to.lower() in addrs:
                    seen.add(name)
                    return msg
        if time.monotonic() > deadline:
            raise Failure("no mail to %s in %s/new or cur within %ds" % (to, mail_dir, timeout))
        time.sleep(0.2)


def mail_text(msg):
    """The text/plain body of msg, decoded from its transfer encoding and charset."""
    part = msg.get_body(preferencelist=("plain",))
    check(part is not None, "the message %r has no text/plain part" % msg.get("Subject"))
    return part.get_content()


# --- users -------------------------------------------------------------------------------------

def api_post(path, fields, token=None, headers=None, raw=None):
    """POST /api/v1/PATH with a JSON body (raw: these bytes instead), as the holder of token."""
    h = {"Content-Type": "application/json"}
    if token:
        h["Authorization"] = "Bearer " + token
    h.update(headers or {})
    body = raw if raw is not None else json.dumps(fields).encode()
    return request("POST", "/api/v1/" + path, body=body, headers=h)


class UserPool:
    """Users shared by the tests of one file, made on first use with new_user (sign-ups are
    limited per address, so tests reuse them). pool.get(n): the first n."""

    def __init__(self, prefix):
        self.prefix = prefix
        self.users = []

    def get(self, n):
        while len(self.users) < n:
            self.users.append(new_user(prefix=self.prefix))
        return self.users[:n]

    def across(self, n):
        """n users of the pool (n >= 2) with both MariaDB instances among them: shards are
        picked at random at sign-up, so more users are made until both instances hold one."""
        k = n
        while k <= n + 24:
            us = self.get(k)
            first = [u for u in us if instance_of(u) == 0]
            second = [u for u in us if instance_of(u) == 1]
            if first and second:
                rest = [u for u in us if u is not first[0] and u is not second[0]]
                return [first[0], second[0]] + rest[:n - 2]
            k += 1
        raise Failure("users all on one instance: %r" % [u["id"] for u in us])


def instance_of(user_or_id):
    """0 or 1: the MariaDB instance of an ID's shard in the test stack (8 shards, bits 12..21 of
    the ID; shards 0-3 on the first instance, 4-7 on the second: tests/integration/suite.sh)."""
    i = int(user_or_id["id"] if isinstance(user_or_id, dict) else user_or_id)
    return 0 if ((i >> 12) & 1023) < 4 else 1


def profile(user):
    """user/profile of user (a new_user dict), as a visitor sees it."""
    return check_envelope(get("/api/v1/user/profile?username=" + user["username"]), 200,
                          0)["data"]


def run_sql(statements):
    """Runs statements in every shard database of the stack with the script named by
    $STARLING_TEST_SQL (tests/integration/suite.sh writes it); the rows printed, as lists of
    fields."""
    script = os.environ.get("STARLING_TEST_SQL", "")
    check(script, "STARLING_TEST_SQL is not set")
    out = subprocess.run(script + " " + json.dumps(statements), shell=True, check=True,
                         stdout=subprocess.PIPE).stdout.decode()
    return [line.split("\t") for line in out.splitlines() if line.strip()]


def memcached_servers():
    """The test stack's memcached servers, from $STARLING_TEST_MEMCACHED ("host:port ...")."""
    servers = os.environ.get("STARLING_TEST_MEMCACHED", "").split()
    check(len(servers) >= 2, "STARLING_TEST_MEMCACHED lists %r" % servers)
    return servers


def memcached(addr, command):
    """One command of memcached's text protocol (with its data, CRLF-separated) to the server
    at addr "host:port"; the start of the answer."""
    host, port = addr.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(command.encode() + b"\r\n")
        return s.recv(256)


def app_log_text():
    """Everything the binaries have logged so far: the files of $STARLING_TEST_APP_LOGS
    (tests/integration/suite.sh sets it for the tests that read logs)."""
    text = ""
    for f in os.environ.get("STARLING_TEST_APP_LOGS", "").split():
        try:
            with open(f, errors="replace") as fh:
                text += fh.read()
        except FileNotFoundError:
            pass
    return text


_LOGFMT_PAIR = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|[^ ]*)')
_LOGFMT_ESC = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


def logfmt(line):
    """The fields of one log line (lib/base/log.h, logfmt: key=value, quoted values unescaped) as a
    dict, read from "ts=" on (a web server may put a prefix of its own before it); {} for a line
    that is none of ours."""
    start = line.find("ts=")
    if start < 0:
        return {}
    fields = {}
    for key, value in _LOGFMT_PAIR.findall(line[start:].rstrip("\n")):
        if value.startswith('"'):
            value = re.sub(r'\\(u[0-9a-f]{4}|.)', lambda m: chr(int(m.group(1)[1:], 16))
                           if len(m.group(1)) == 5 else _LOGFMT_ESC.get(m.group(1), m.group(1)),
                           value[1:-1])
        fields.setdefault(key, value)
    return fields


def sql_sum(statement):
    """The sum over every shard database of a one-number query."""
    return sum(int(row[0]) for row in run_sql(statement))


def parallel(fns):
    """Runs the functions at once, one thread each; re-raises the first failure."""
    import threading
    errors = []

    def wrap(f):
        try:
            f()
        except Exception as e:   # noqa: BLE001 (re-raised below)
            errors.append(e)
    threads = [threading.Thread(target=wrap, args=(f,)) for f in fns]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def png_bytes(width=1, height=1, rgb=(255, 0, 0)):
    """A real PNG of width x height pixels of one colour (8-bit RGB, no filter)."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))
    row = b"\x00" + bytes(rgb) * width
    return (b"\x89PNG\r\n\x1a\n" +
            chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(row * height)) + chunk(b"IEND", b""))


_CODE = re.compile(r"\b([A-HJ-NP-Z2-8]{8})\b")


def new_user(mail_dir=None, activate=True, password="correct horse 42", prefix="u"):
    """Signs up a fresh user, activates the account with the emailed code (unless activate is
    False) and logs in. mail_dir is the [mail] spool_dir ($STARLING_TEST_MAIL_DIR by default).
    Returns {"username", "email", "password", "id", "token"} (id as a string)."""
    mail_dir = mail_dir or os.environ.get("STARLING_TEST_MAIL_DIR", "")
    username = prefix + os.urandom(5).hex()
    addr = username + "@example.com"
    r = api_post("account/create", {"username": username, "email": addr, "password": password})
    check(r.status == 200, "sign-up of %s: status %d: %.300r" % (username, r.status, r.body))
    if activate:
        check(mail_dir, "new_user: no mail directory (STARLING_TEST_MAIL_DIR)")
        msg = maildir_wait(mail_dir, addr, set())
        found = _CODE.search(mail_text(msg))
        check(found, "no activation code in the message to %s" % addr)
        r = api_post("account/activate", {"username": username, "activate_code": found.group(1)})
        check(r.status == 200, "activation of %s: status %d: %.300r" % (username, r.status,
                                                                       r.body))
    r = api_post("user/login", {"name": username, "password": password})
    check(r.status == 200, "login of %s: status %d: %.300r" % (username, r.status, r.body))
    token = r.json()["data"]["token"]
    r = get("/api/v1/user/profile?username=" + username,
            headers={"Authorization": "Bearer " + token})
    check(r.status == 200, "profile of %s: status %d" % (username, r.status))
    return {"username": username, "email": addr, "password": password,
            "id": r.json()["data"]["id"], "token": token}


def csrf_unmasked(field):
    """The token a form's csrf_token holds, as the cookie spells it: pages carry it masked, a
    fresh mask for each answer (lib/http/csrf.h: base64url of the mask, then the token XORed with it),
    so it never repeats in compressed pages (BREACH). None for anything else."""
    if not re.fullmatch(r"[A-Za-z0-9_-]{86}", field or ""):
        return None
    raw = base64.urlsafe_b64decode(field + "==")
    return bytes(a ^ b for a, b in zip(raw[:32], raw[32:])).hex()
