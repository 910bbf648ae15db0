#!/usr/bin/env python3
"""Browser test: the main flows with the keyboard alone (issue G5, item 5; docs/pages.md,
"Keyboard").

Usage: test_keyboard.py BASE_URL OUT_DIR MAIL_DIR

In headless Chromium, four times: page scripts on and off, at 1280 px and on an emulated 390 px
phone. Each time a new user signs up from the landing page, activates the account with the code
of the mail in the Maildir MAIL_DIR, writes a post, replies to another user's post, likes it and
follows its author, with key presses only: Tab and Shift+Tab to reach a control, Enter or Space
to use it, typing into fields. The pages are reached through their links, by Enter. At each step
the focused element (document.activeElement) is the control the step expects; every element the
focus lands on shows it (:focus-visible with an outline or a box shadow); on every page of the
flows Tab goes through every control to the end of the page and Shift+Tab back to the first, so
no widget keeps the focus (a keyboard trap). What each step did is read back through the JSON
API: the account active, the post and the reply written, the like and the follow counted.
OUT_DIR receives a screenshot at each step's end and, on a failure, keyboard-FAILED.png and
.html.

Python standard library only. Prints one PASS/FAIL line per step (a failed step skips the rest),
then a summary; the exit status is 1 when a step failed.
"""

import os
import re
import sys
import urllib.parse

sys.dont_write_bytecode = True   # keep tests/lib free of __pycache__
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from starling_test import (Browser, Failure, api_post, check, check_envelope,  # noqa: E402
                           check_eq, get, mail_text, maildir_wait, new_user, run_steps,
                           set_base)

TIMEOUT = int(os.environ.get("BROWSER_TIMEOUT", "30"))
MAX_TABS = 250   # more Tabs than any page of the flows has controls: past it, focus is stuck
SHIFT, SPACE = "\ue008", "\ue00d"   # WebDriver's codes of those keys (Tab, Enter: Browser's)

BASE = OUT = MAIL = None
B = None
OTHER = None        # the author whose post is replied to, liked, and who is followed
STATE = {}
seen_mail = set()

# The focused element, described for messages and compared by the steps: [tag, id, class,
# name, action of its form, its text], and whether the focus shows: matched by :focus-visible,
# with a visible outline or a box shadow.
_FOCUSED = """
    const e = document.activeElement;
    if (!e || e === document.body || e === document.documentElement) return null;
    const s = getComputedStyle(e), f = e.form || e.closest('form');
    const ring = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) ||
                 (s.boxShadow && s.boxShadow !== 'none');
    return {tag: e.tagName.toLowerCase(), id: e.id, cls: String(e.className),
            name: e.getAttribute('name') || '', href: e.getAttribute('href') || '',
            action: f ? f.getAttribute('action') : '',
            text: (e.textContent || e.value || '').replace(/\\s+/g, ' ').trim().slice(0, 60),
            visible: e.matches(':focus-visible') && ring,
            ring: [s.outlineStyle, s.outlineWidth, s.boxShadow]};"""

# The controls a Tab can reach, in document order (each rendered, enabled, not inside a closed
# <details> but for its summary): what the no-trap check must pass through. arguments[0]: focus
# the last of them (where Shift+Tab starts).
_TABBABLE = """
    const sel = 'a[href], button, input:not([type=hidden]), select, textarea, summary,' +
                ' [tabindex]:not([tabindex="-1"])';
    const all = Array.from(document.querySelectorAll(sel)).filter(e => {
      const d = e.closest('details:not([open])');
      return !e.disabled && e.tabIndex >= 0 && e.getClientRects().length > 0 &&
        (!d || e === d.querySelector('summary'));
    });
    if (arguments[0] && all.length) all[all.length - 1].focus();
    return all.length;"""


# --- keys --------------------------------------------------------------------------------------

def keys(*seq):
    """Presses each key of seq in turn (a key: a character or a WebDriver code), releasing it."""
    acts = []
    for k in seq:
        acts += [{"type": "keyDown", "value": k}, {"type": "keyUp", "value": k}]
    B._call("POST", B._s("/actions"), {"actions": [
        {"type": "key", "id": "keyboard", "actions": acts}]})


def shift_tab():
    B._call("POST", B._s("/actions"), {"actions": [{"type": "key", "id": "keyboard", "actions": [
        {"type": "keyDown", "value": SHIFT}, {"type": "keyDown", "value": B.TAB},
        {"type": "keyUp", "value": B.TAB}, {"type": "keyUp", "value": SHIFT}]}]})


def typed(text):
    """Types text where the focus is, one key press a character."""
    keys(*list(text))


def focused():
    return B.execute(_FOCUSED)


def check_visible(f, where):
    check(f is not None, "%s: the focus is on no control" % where)
    check(f["visible"], "%s: the focus on %s is not visible (outline, box shadow: %r)"
          % (where, describe(f), f["ring"]))


def describe(f):
    if f is None:
        return "nothing"
    return "<%s%s%s> %r" % (f["tag"], "#" + f["id"] if f["id"] else "",
                            "." + f["cls"].split(" ")[0] if f["cls"] else "", f["text"])


def tab_to(want, what, back=False):
    """Presses Tab (Shift+Tab when back) until want(focused) holds; checks that the focus shows
    on every element it passes. Fails after MAX_TABS presses."""
    for _ in range(MAX_TABS):
        shift_tab() if back else keys(B.TAB)
        f = focused()
        if f is None:
            continue   # past the page's ends: the next Tab comes back in
        check_visible(f, "on the way to %s" % what)
        if want(f):
            return f
    raise Failure("%d Tabs did not reach %s on %s (last: %s)" % (MAX_TABS, what, B.url(),
                                                                  describe(focused())))


def check_focus(want, what):
    f = focused()
    check(f is not None and want(f), "the focus should be on %s, is on %s" % (what,
                                                                              describe(f)))
    check_visible(f, what)


def by_id(i):
    return lambda f: f["id"] == i


def submit_of(action):
    return lambda f: f["tag"] == "button" and f["action"] == action


def page_load(key):
    """Presses key (Enter or Space on a link or a submit button) and waits for the next page."""
    B.execute("window.__starlingOldPage = true;")
    keys(key)
    B.wait(B._new_page_loaded, "a new page after the key press")
    top()


def top():
    """Puts the focus before the page's first control, as a page just loaded has it (a page
    reached by a fragment, or after the script moved the focus, starts from its document)."""
    B.execute("document.activeElement && document.activeElement.blur();"
              "window.getSelection().removeAllRanges(); window.scrollTo(0, 0);")


def path():
    return urllib.parse.urlsplit(B.url()).path


def same(a, b):
    """Whether two focused-element descriptions name the same control."""
    return a is not None and b is not None and all(
        a[k] == b[k] for k in ("tag", "id", "cls", "name", "href", "action", "text"))


def check_no_trap(name):
    """From the page's top, Tab passes every control to the end of the page, each with its focus
    showing, and Shift+Tab from the last comes back to the first: no widget keeps the focus."""
    top()
    n = B.execute(_TABBABLE, False)
    order = []
    for _ in range(MAX_TABS):
        keys(B.TAB)
        f = focused()
        if f is None or (order and same(f, order[0])):
            break
        check_visible(f, "%s, Tab %d" % (name, len(order) + 1))
        order.append(f)
    else:
        raise Failure("%s: %d Tabs never left the page (stuck at %s)" % (name, MAX_TABS,
                                                                     describe(focused())))
    check(len(order) >= n, "%s: Tab reached %d of the %d controls, the last %s" % (
        name, len(order), n, describe(order[-1] if order else None)))
    B.execute(_TABBABLE, True)
    steps = 0
    for _ in range(len(order) + 2):
        shift_tab()
        steps += 1
        f = focused()
        check(f is not None, "%s: Shift+Tab %d left the page before its first control" % (
            name, steps))
        check_visible(f, "%s, Shift+Tab %d" % (name, steps))
        if same(f, order[0]):
            break
    check(same(focused(), order[0]) and steps >= len(order) - 1,
          "%s: Shift+Tab from the last control came back to %s after %d presses (%d controls)"
          % (name, describe(focused()), steps, len(order)))
    print("  %s %s: %d controls, Tab and Shift+Tab through all" % (STATE["mode"], name,
                                                                  len(order)))
    top()


# --- the API ------------------------------------------------------------------------------------

def api_get(route, token=None):
    h = {"Authorization": "Bearer " + token} if token else None
    return check_envelope(get("/api/v1/" + route, h), 200, 0)["data"]


def login_token(user):
    r = api_post("user/login", {"name": user["username"], "password": user["password"]})
    return check_envelope(r, 200, 0)["data"]["token"]


# --- the flows -----------------------------------------------------------------------------------

def shot(name):
    B.screenshot(os.path.join(OUT, "keyboard-%s-%s.png" % (STATE["mode"], name)))


def sign_up():
    user = STATE["user"]
    B.get(BASE + "/")
    top()
    check_no_trap("the landing page")
    tab_to(lambda f: f["tag"] == "a" and f["href"] == "/signup" and "button" in f["cls"],
           "the landing page's sign-up link")
    page_load(B.ENTER)
    check_eq(path(), "/signup", "Enter on the sign-up link")
    check_no_trap("/signup")
    tab_to(by_id("signup-username"), "the username field")
    typed(user["username"])
    keys(B.TAB)
    check_focus(by_id("signup-email"), "the email field after the username")
    typed(user["email"])
    keys(B.TAB)
    check_focus(by_id("signup-password"), "the password field after the email")
    typed(user["password"])
    # Back to the email with Shift+Tab, and forward again: the order holds both ways.
    shift_tab()
    check_focus(by_id("signup-email"), "the email field, by Shift+Tab")
    keys(B.TAB)
    check_focus(by_id("signup-password"), "the password field again")
    keys(B.TAB)
    check_focus(submit_of("/signup"), "the sign-up button after the password")
    page_load(B.ENTER)
    check_eq(path(), "/settings", "signed up: the settings page")
    shot("signed-up")
    check_eq(api_get("user/profile?username=" + user["username"])["username"], user["username"],
             "the new account on the server")


def activate():
    """The link of the activation mail opens the form filled in (a mail is not a page to Tab
    through); its button, by Space."""
    user = STATE["user"]
    body = mail_text(maildir_wait(MAIL, user["email"], seen_mail, TIMEOUT))
    link = re.search(r"https?://\S+/activate\?\S+", body)
    check(link, "an activation link in the mail: %r" % body)
    u = urllib.parse.urlsplit(link.group(0))
    B.get(BASE + u.path + "?" + u.query)
    top()
    tab_to(submit_of("/activate"), "the activation button")
    page_load(SPACE)
    check_eq(urllib.parse.parse_qs(urllib.parse.urlsplit(B.url()).query).get("activated"),
             ["1"], "activated")
    user["token"] = login_token(user)
    check_eq(api_get("user/profile?username=" + user["username"], user["token"])["activated"],
             True, "the account active on the server")


def write_post():
    user = STATE["user"]
    tab_to(lambda f: f["tag"] == "a" and f["href"] == "/" and "brand" not in f["cls"],
           "the header's Home link")
    page_load(B.ENTER)
    check_eq(path(), "/", "Enter on Home")
    check_no_trap("the home page")
    tab_to(lambda f: f["tag"] == "textarea", "the compose box")
    text = "typed by keyboard %s" % STATE["mode"]
    typed(text)
    tab_to(lambda f: f["tag"] == "button" and f["action"] == "/compose", "the Post button")
    page_load(B.ENTER)
    posts = api_get("user/posts?username=" + user["username"])["posts"]
    check(posts and posts[0]["contentText"] == text, "the post on the server: %r" % posts[:1])
    shot("posted")


def reply_like_follow():
    user, pid = STATE["user"], STATE["post"]
    # The other user's post, through its link on the profile reached from the search? Simplest
    # way in for a new account whose timeline is empty: the author's profile by its URL, then
    # the post by its time link, Enter.
    B.get(BASE + "/u/" + OTHER["username"])
    top()
    check_no_trap("a profile")
    tab_to(lambda f: f["tag"] == "a" and f["href"] == "/p/" + pid, "the post's link")
    page_load(B.ENTER)
    check_eq(path(), "/p/" + pid, "Enter on the post's link")
    check_no_trap("the post page")
    # Reply.
    tab_to(lambda f: f["tag"] == "textarea" and f["action"] == "/p/%s/reply" % pid,
           "the reply box")
    text = "a keyboard reply %s" % STATE["mode"]
    typed(text)
    tab_to(submit_of("/p/%s/reply" % pid), "the reply button")
    page_load(B.ENTER)
    replies = api_get("post/replies?post_id=" + pid)["replies"]
    check(any(r["contentText"] == text and r["authorId"] == user_id(user) for r in replies),
          "the reply on the server")
    # Like, by Space: with the script, in place (the focus stays on the button); without it,
    # the form's page load.
    B.get(BASE + "/p/" + pid)
    top()
    like = lambda f: (f["tag"] == "button" and f["action"] == "/p/%s/act" % pid and  # noqa: E731
                      f["cls"].split(" ")[0] == "like")
    f = tab_to(like, "the like button")
    before = f["text"]
    if STATE["js"]:
        keys(SPACE)
        B.wait(lambda: (focused() or {}).get("text") not in (None, before),
               "the like button's new words")
        check_focus(like, "the like button, after it")
    else:
        page_load(SPACE)
    B.wait(lambda: api_get("post/detail?post_id=" + pid, user["token"])["viewer"]["liked"],
           "the like on the server")
    shot("liked")
    # Follow: the author's link on the card, Enter, then the profile's follow button.
    followers = api_get("user/profile?username=" + OTHER["username"])["countFollowers"]
    top()
    tab_to(lambda f: f["tag"] == "a" and f["href"] == "/u/" + OTHER["username"] and
           "author" in f["cls"], "the author's link")
    page_load(B.ENTER)
    check_eq(path(), "/u/" + OTHER["username"], "Enter on the author's link")
    action = "/u/%s/follow" % OTHER["username"]
    tab_to(submit_of(action), "the follow button")
    if STATE["js"]:
        keys(B.ENTER)
        B.wait(lambda: B.execute("return document.querySelector('.profile-actions "
                                 "button.follow').getAttribute('aria-pressed') === 'true';"),
               "the follow button pressed")
        check_focus(submit_of(action), "the follow button, after it")
    else:
        page_load(B.ENTER)
    B.wait(lambda: api_get("user/profile?username=" + OTHER["username"])["countFollowers"] ==
           followers + 1, "the follow on the server")
    shot("followed")


def user_id(user):
    if "id" not in user:
        user["id"] = api_get("user/profile?username=" + user["username"])["id"]
    return user["id"]


def flows(js, width):
    """One run of the flows in a browser of its own."""
    global B
    mode = "%s-%d" % ("js" if js else "nojs", width)
    name = "k" + os.urandom(5).hex()
    STATE.update(mode=mode, js=js, user={"username": name, "email": name + "@example.com",
                                         "password": "correct horse 42"})
    with Browser(OUT, width=width, timeout=TIMEOUT, javascript=js) as b:
        B = b
        try:
            sign_up()
            activate()
            write_post()
            reply_like_follow()
        except Exception:
            on_failure()
            raise
        finally:
            B = None


def test_desktop_with_script():
    flows(True, Browser.DESKTOP)


def test_phone_with_script():
    flows(True, Browser.PHONE)


def test_desktop_without_script():
    flows(False, Browser.DESKTOP)


def test_phone_without_script():
    flows(False, Browser.PHONE)


def on_failure(name=None):
    if B is None:
        return
    try:
        B.screenshot(os.path.join(OUT, "keyboard-FAILED.png"))
        with open(os.path.join(OUT, "keyboard-FAILED.html"), "w", encoding="utf-8") as f:
            f.write(B.source())
    except Failure:
        pass


def main():
    global BASE, OUT, MAIL, OTHER
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    BASE, OUT, MAIL = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
    set_base(BASE)
    OTHER = new_user(MAIL, prefix="ko")
    STATE["post"] = check_envelope(api_post("post/create", {
        "content_text": "a post to answer with the keyboard"}, OTHER["token"]), 200, 0)["data"]["id"]
    return run_steps([test_desktop_with_script, test_phone_with_script,
                      test_desktop_without_script, test_phone_without_script])


if __name__ == "__main__":
    sys.exit(main())
