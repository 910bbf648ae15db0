#!/usr/bin/env python3
"""Browser test: an account's whole life in headless chromium, through the real pages.

Usage: test_accounts.py BASE_URL OUT_DIR MAIL_DIR

Signs up a fresh user, reads the activation email from the Maildir MAIL_DIR (where the site's
mail goes in tests), asks for a new code with the "send me a new code" form (a second mail, a
new code), activates the account through the newest emailed link, logs out, logs in with the
email address (landing on the home timeline, then Settings through the header), saves a display name, switches the language to Chinese, tries to sign up again with
the same username in other letter case (refused, the form filled in again but for the password),
logs out, resets the password with an emailed code (a wrong code first), and logs in with the new
password. Every step checks what a user would see; texts come from the catalogs
$STARLING_SRCDIR/templates/i18n/{en,zh}.json. OUT_DIR (must exist) receives a screenshot per step
(accounts-NN-STEP.png), and on a failure accounts-FAILED.png and accounts-FAILED.html, plus
chromedriver.log. Environment: CHROMIUM, CHROMEDRIVER (commands), BROWSER_TIMEOUT (seconds to
wait for a page or a mail, default 30).

Python standard library only. Prints one PASS/FAIL line per step (a failed step skips the rest:
each builds on the one before), then a summary; the exit status is 1 when a step failed.
"""

import os
import re
import secrets
import sys
import urllib.parse

sys.dont_write_bytecode = True   # keep tests/lib free of __pycache__
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from starling_test import (Browser, Failure, catalog_has, check, check_eq,  # noqa: E402
                           mail_text, maildir_wait, png_bytes, run_steps, t,
                           template_catalog_keys)

TIMEOUT = int(os.environ.get("BROWSER_TIMEOUT", "30"))
# The templates this test covers, and the partials every page shows.
TEMPLATES = ["signup", "activate", "reset", "login", "logout", "settings", "partials/header",
             "partials/footer", "partials/resend_form", "hidden_list", "layout"]

BASE = OUT = MAIL = None
B = None            # the Browser
# The user of this run: a fresh name each time, so runs against one database never collide
# ("b" first, so that it never starts with a digit).
# The password has a letter and a digit whatever the random part holds, as the rules want.
USER = {"username": "b" + secrets.token_hex(4),
        "password": "pw-" + secrets.token_urlsafe(12) + "-7a"}
USER["email"] = USER["username"] + "@example.test"
# A display name with HTML's special characters and Chinese: it must come back exactly.
DISPLAY_NAME = "Tester & <b>椋鸟</b>"
seen_mail = set()
shots = [0]


def path_and_query():
    u = urllib.parse.urlsplit(B.url())
    return u.path, urllib.parse.parse_qs(u.query)


def shot(step):
    shots[0] += 1
    B.screenshot(os.path.join(OUT, "accounts-%02d-%s.png" % (shots[0], step)))


def submit(form_action):
    """Clicks the submit button of the form posting to form_action."""
    B.click('form[action="%s"] button[type="submit"]' % form_action)


def wait_path(path, what):
    B.wait(lambda: path_and_query()[0] == path, "%s: the browser never reached %s" % (what, path))


def header_links():
    return B.execute("return Array.from(document.querySelectorAll('header.site-header nav a'))"
                     ".map(a => [a.getAttribute('href'), a.textContent.trim()]);")


def check_logged_in(lang="en"):
    links = header_links()
    check(["/logout", t("nav.logout", lang)] in links and ["/settings", t("nav.settings", lang)]
          in links and not any(h == "/login" for h, _ in links),
          "the header of a logged-in user should link to settings and log out only: %r" % links)


def check_logged_out(lang="en"):
    links = header_links()
    check(["/login", t("nav.login", lang)] in links and ["/signup", t("nav.signup", lang)]
          in links and not any(h == "/logout" for h, _ in links),
          "the header of a visitor should link to log in and sign up only: %r" % links)


def check_form_basics():
    """Every form of the page posts with a CSRF token, and every visible control has a label
    tied to it (a screen reader says what to type)."""
    problems = B.execute("""
        const out = [];
        for (const f of document.querySelectorAll('main form')) {
          if (f.method !== 'post') out.push(f.getAttribute('action') + ': not a post');
          const tok = f.querySelector('input[type=hidden][name=csrf_token]');
          if (!tok || !tok.value) out.push(f.getAttribute('action') + ': no csrf_token');
          for (const c of f.querySelectorAll('input, select, textarea')) {
            if (c.type === 'hidden' || c.hidden || !c.name) continue;
            if (!c.labels || c.labels.length === 0) out.push(c.name + ': no label');
          }
        }
        return out;""")
    check(not problems, "form problems on %s: %s" % (B.url(), problems))


# --- the steps ---------------------------------------------------------------------------------

def test_templates_use_known_catalog_keys():
    """A {{t.KEY}} missing from a catalog renders as nothing: no test below would notice."""
    missing = sorted("%s: %s" % (name, key)
                     for name, keys in template_catalog_keys(TEMPLATES).items()
                     for key in keys if not catalog_has("en", key) or not catalog_has("zh", key))
    check(not missing, "templates use keys missing from en.json or zh.json: %s" % missing)
    check_eq(sorted(template_catalog_keys(TEMPLATES)), sorted(TEMPLATES), "templates found")


def test_signup():
    B.get(BASE + "/signup")
    check_eq(B.text("main h1"), t("signup.title"), "the sign-up heading")
    # The stylesheet loaded and applies (a missing one leaves a page that still "works").
    check_eq(B.execute("return getComputedStyle(document.querySelector('.form button'))"
                       ".borderTopLeftRadius !== '0px';"), True,
             "the form styles of starling.css do not apply")
    check_logged_out()
    check_form_basics()
    check_eq(B.attr("#signup-password", "autocomplete"), "new-password",
             "the password field's autocomplete")
    B.type("#signup-username", USER["username"])
    B.type("#signup-email", USER["email"])
    B.type("#signup-password", USER["password"])
    submit("/signup")
    wait_path("/settings", "after signing up")
    check_eq(path_and_query()[1].get("welcome"), ["1"], "the welcome flag after signing up")
    check(t("settings.welcome") in B.text("main"), "no welcome notice on the settings page")
    check(t("settings.not_activated") in B.text("#not-activated"),
          "no 'confirm your email' notice for a new account")
    check_eq(B.text("main .username"), "@" + USER["username"], "the username shown in settings")
    check_logged_in()
    shot("signed-up")


def test_activation_mail():
    msg = maildir_wait(MAIL, USER["email"], seen_mail, TIMEOUT)
    check(t("mail.activate.subject") in str(msg["Subject"]),
          "the subject %r lacks %r" % (str(msg["Subject"]), t("mail.activate.subject")))
    body = mail_text(msg)
    for key in ("mail.activate.body", "mail.code", "mail.link"):
        check(t(key) in body, "the activation mail lacks %s: %r" % (key, body))
    links = re.findall(r"https?://\S+/activate\?\S+", body)
    check(len(links) == 1, "want one activation link in the mail, found %r" % links)
    link = urllib.parse.urlsplit(links[0])
    q = urllib.parse.parse_qs(link.query)
    check_eq(q.get("username"), [USER["username"]], "the link's username")
    code = (q.get("code") or [""])[0]
    check(re.fullmatch(r"[A-Z2-8]{8}", code), "the link's code %r is not 8 code characters" % code)
    code_line = re.search(re.escape(t("mail.code")) + r"\s*(\S+)", body)
    check(code_line and code_line.group(1) == code,
          "the code written in the mail differs from the link's: %r" % body)
    check(USER["password"] not in body, "the activation mail holds the password")
    # The link names the configured base URL; open the same page on the server under test.
    USER["activate_path"] = link.path + "?" + link.query
    USER["code"] = code


def test_resend_code():
    """The "send me a new code" form of /activate: the notice, then a new mail whose code is
    new; the activation below uses it."""
    B.get(BASE + "/activate")
    check_form_basics()
    B.check_axe()
    B.check_no_overflow()
    check_eq(B.text("#resend-heading"), t("resend.heading"), "the resend form's heading")
    B.type("#resend-email", USER["email"])
    shot("resend-form")
    submit("/activate/resend")
    wait_path("/activate", "after asking for a new code")
    check_eq(path_and_query()[1].get("resent"), ["1"], "the resent flag")
    check(t("resend.sent") in B.text("main"), "no notice after asking for a new code")
    old = USER["code"]
    test_activation_mail()
    check(USER["code"] != old, "the new mail has the old code %s" % old)
    shot("resent")


def test_activate():
    B.get(BASE + USER["activate_path"])
    check_eq(B.text("main h1"), t("activate.title"), "the activation heading")
    check_form_basics()
    # Opening the link must change nothing: the account is active only after the post.
    check_eq(B.value("#activate-username"), USER["username"], "the prefilled username")
    check_eq(B.value("#activate-code"), USER["code"], "the prefilled code")
    shot("activate-form")
    submit("/activate")
    wait_path("/settings", "after activating")
    check_eq(path_and_query()[1].get("activated"), ["1"], "the activated flag")
    check_eq(B.count("#not-activated"), 0, "the 'confirm your email' notice after activation")
    shot("activated")


def test_logout():
    B.get(BASE + "/logout")
    check_eq(B.text("main h1"), t("logout.title"), "the log-out heading")
    check_form_basics()
    submit("/logout")
    wait_path("/login", "after logging out")
    check_logged_out()
    # The session is over on the server too: settings now wants a login.
    B.get(BASE + "/settings")
    check_eq(B.count("#not-activated") + B.count('form[action="/settings/info"]'), 0,
             "the settings page after logging out")
    B.get(BASE + "/login")
    shot("logged-out")


def test_login_with_email():
    check_eq(B.text("main h1"), t("login.title"), "the log-in heading")
    check_form_basics()
    check_eq(B.attr("#login-password", "autocomplete"), "current-password",
             "the password field's autocomplete")
    B.type("#login-name", USER["email"].upper())   # an email address in any letter case
    B.type("#login-password", USER["password"])
    submit("/login")
    # Logging in lands on the home timeline (its compose box), not on settings.
    wait_path("/", "after logging in")
    check_logged_in()
    check_eq(B.count("main form.compose"), 1, "the home timeline's compose box after logging in")
    B.click('header.site-header nav a[href="/settings"]')
    wait_path("/settings", "the settings link of the header")
    check_eq(B.text("main .email"), USER["email"], "the email shown in settings")
    shot("logged-in")


def test_display_name_saved():
    check_form_basics()
    B.type("#settings-display-name", DISPLAY_NAME)
    submit("/settings/info")
    B.wait(lambda: path_and_query()[1].get("saved") == ["1"],
           "saving the profile did not come back to /settings?saved=1")
    check(t("settings.saved") in B.text("main"), "no 'saved' notice after saving the profile")
    B.get(BASE + "/settings")
    check_eq(B.value("#settings-display-name"), DISPLAY_NAME, "the display name after a reload")
    check_eq(B.count("main b"), 0, "the display name's markup was not escaped")
    shot("profile-saved")


def choose_file(css, path):
    """Puts the file at path into the file input css, as a user choosing it would (WebDriver
    sends a file input's value as the path; clearing one is not allowed)."""
    el = B._find(css)
    B._call("POST", B._s("/element/%s/value" % el), {"text": path})


def test_settings_images_and_lists():
    """From /settings: an avatar and a banner chosen by upload show on the profile; the links
    to the lists of blocked and muted accounts lead to pages that say nobody is there yet.
    Every page passes axe-core and fits a phone."""
    B.get(BASE + "/settings")
    for name, rgb in (("avatar", (0, 0, 255)), ("banner", (0, 128, 0))):
        path = os.path.join(OUT, "accounts-%s.png" % name)
        with open(path, "wb") as f:
            f.write(png_bytes(8, 4, rgb))
        choose_file("#settings-" + name, path)
    submit("/settings/images")
    B.wait(lambda: path_and_query()[1].get("saved") == ["1"],
           "uploading the images did not come back to /settings?saved=1")
    check_eq(B.count("main img.banner-preview"), 1, "the banner on the settings page")
    B.get(BASE + "/u/" + USER["username"])
    check(B.attr(".profile img.banner", "src").startswith(BASE + "/media/images/") or
          B.attr(".profile img.banner", "src").startswith("/media/images/"),
          "the profile's banner: %r" % B.attr(".profile img.banner", "src"))
    check_eq(B.attr(".profile img.banner", "alt"), "", "the banner is decorative")
    B.wait(lambda: B.execute("const i = document.querySelector('.profile img.banner');"
                             "return i.complete && i.naturalWidth === 8;"), "the banner image loads")
    B.check_axe()
    shot("profile-banner")
    for which in ("blocked", "muted"):
        B.get(BASE + "/settings")
        B.click('main a[href="/settings/%s"]' % which)
        wait_path("/settings/" + which, "the %s link of the settings" % which)
        check_eq(B.text("main h1"), t("hidden.%s_title" % which), "the %s heading" % which)
        check_eq(B.text("main .empty"), t("hidden.%s_empty" % which), "nobody %s yet" % which)
        B.check_axe()
        B.check_no_overflow()
        shot(which)
    B.get(BASE + "/settings")   # where the next step starts


def test_language_zh():
    B.click('#settings-language option[value="zh"]')
    submit("/settings/language")
    B.wait(lambda: path_and_query()[1].get("saved") == ["1"],
           "changing the language did not come back to /settings?saved=1")
    check_eq(B.execute("return document.documentElement.lang;"), "zh", "<html lang>")
    check_eq(B.text("main h1"), t("settings.title", "zh"), "the settings heading in Chinese")
    check_logged_in("zh")
    check_eq(B.value("#settings-display-name"), DISPLAY_NAME, "the display name in Chinese")
    shot("chinese")


def test_duplicate_username_refused():
    B.get(BASE + "/signup")
    check_eq(B.text("main h1"), t("signup.title", "zh"), "the sign-up heading in Chinese")
    other_email = "other-" + USER["email"]
    B.type("#signup-username", USER["username"].upper())
    B.type("#signup-email", other_email)
    B.type("#signup-password", USER["password"])
    submit("/signup")
    B.wait(lambda: B.count('p.error[role="alert"]') > 0,
           "no error shown for a username taken in other letter case")
    check_eq(path_and_query()[0], "/signup", "the page after a refused sign-up")
    check(B.text('p.error[role="alert"]').strip(), "the error message is empty")
    check_eq(B.value("#signup-email"), other_email, "the email filled in again")
    check_eq(B.value("#signup-username"), USER["username"].upper(), "the username filled in again")
    check_eq(B.value("#signup-password"), "", "the password filled in again (it must not be)")
    check_eq(B.count("#signup-password[value]"), 0, "a value attribute on the password field")
    check(USER["password"] not in B.source(), "the page holds the password")
    shot("duplicate-refused")


def log_out(lang):
    B.get(BASE + "/logout")
    check_eq(B.text("main h1"), t("logout.title", lang), "the log-out heading")
    submit("/logout")
    wait_path("/login", "after logging out")
    check_logged_out(lang)


def test_logout_in_chinese():
    log_out("zh")
    shot("logged-out-zh")


def test_reset_code_requested():
    B.get(BASE + "/reset")
    check_eq(B.text("main h1"), t("reset.title", "zh"), "the reset heading in Chinese")
    check_form_basics()
    check_eq(B.count("#reset-sent"), 0, "the 'code sent' notice before asking for a code")
    B.type("#reset-send-email", USER["email"])
    submit("/reset/send")
    B.wait(lambda: path_and_query()[1].get("sent") == ["1"],
           "asking for a reset code did not come back to /reset?sent=1")
    check_eq(B.text("#reset-sent"), t("reset.sent", "zh"), "the 'code sent' notice")
    shot("reset-sent")


def test_reset_mail():
    msg = maildir_wait(MAIL, USER["email"], seen_mail, TIMEOUT)
    # The mail speaks the language of the page that asked for it.
    check(t("mail.reset.subject", "zh") in str(msg["Subject"]),
          "the subject %r lacks %r" % (str(msg["Subject"]), t("mail.reset.subject", "zh")))
    body = mail_text(msg)
    check(t("mail.reset.body", "zh") in body, "the reset mail lacks its text: %r" % body)
    m = re.search(re.escape(t("mail.code", "zh")) + r"\s*([A-Z2-8]{8})\b", body)
    check(m, "no code in the reset mail: %r" % body)
    USER["reset_code"] = m.group(1)


def test_reset_wrong_code_refused():
    wrong = "A" * 8 if USER["reset_code"] != "A" * 8 else "B" * 8
    B.type("#reset-email", USER["email"])
    B.type("#reset-code", wrong)
    B.type("#reset-password", "new-" + USER["password"])
    submit("/reset/password")
    B.wait(lambda: B.count('p.error[role="alert"]') > 0, "no error shown for a wrong reset code")
    check_eq(B.value("#reset-email"), USER["email"], "the email filled in again")
    check_eq(B.value("#reset-code"), wrong, "the code filled in again")
    check_eq(B.value("#reset-password"), "", "the password filled in again (it must not be)")
    shot("reset-wrong-code")


def test_reset_password():
    USER["password"] = "new-" + USER["password"]
    B.type("#reset-email", USER["email"])
    B.type("#reset-code", USER["reset_code"].lower())   # codes may be typed in any case
    B.type("#reset-password", USER["password"])
    submit("/reset/password")
    wait_path("/login", "after setting a new password")
    check_eq(path_and_query()[1].get("reset"), ["1"], "the reset flag")
    check(t("login.reset_done", "zh") in B.text("main"), "no 'password changed' notice")
    shot("reset-done")


def test_login_with_new_password():
    B.type("#login-name", USER["username"])
    B.type("#login-password", USER["password"])
    submit("/login")
    wait_path("/", "after logging in with the new password")
    check_logged_in("zh")
    log_out("zh")
    shot("logged-out-end")


STEPS = [test_templates_use_known_catalog_keys, test_signup, test_activation_mail, test_resend_code,
         test_activate,
         test_logout, test_login_with_email, test_display_name_saved,
         test_settings_images_and_lists, test_language_zh,
         test_duplicate_username_refused, test_logout_in_chinese, test_reset_code_requested,
         test_reset_mail, test_reset_wrong_code_refused, test_reset_password,
         test_login_with_new_password]


def on_failure(step):
    """Keeps what the browser showed when a step failed."""
    if B is None or B.session is None:
        return
    B.screenshot(os.path.join(OUT, "accounts-FAILED.png"))
    with open(os.path.join(OUT, "accounts-FAILED.html"), "w", encoding="utf-8") as f:
        f.write("<!-- %s at %s -->\n%s" % (step, B.url(), B.source()))
    print("  at %s; screenshot and page in %s/accounts-FAILED.*" % (B.url(), OUT), flush=True)


def main(argv):
    global BASE, OUT, MAIL, B
    if len(argv) != 4 or not os.path.isdir(argv[2]):
        print(__doc__, file=sys.stderr)
        return 2
    BASE, OUT, MAIL = argv[1].rstrip("/"), os.path.abspath(argv[2]), argv[3]
    print("user %s" % USER["username"], flush=True)
    try:
        with Browser(OUT, timeout=TIMEOUT) as B:
            return run_steps(STEPS, on_failure)
    except Failure as e:   # the browser could not start
        print("FAIL browser: %s" % e, flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
