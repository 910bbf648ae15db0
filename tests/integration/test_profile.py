#!/usr/bin/env python3
"""HTTP tests of the profile: what each viewer sees of it (privacy), the pages /u/<name> with their
follow, block, mute and report forms, /u/<name>/following and /followers, and what a block hides
on every read path of lists and replies, through the web server and real databases.

Usage: test_profile.py BASE_URL [-k SUBSTRING]

Environment (set by tests/integration/suite.sh):
  STARLING_TEST_MAIL_DIR    the [mail] spool_dir (activation codes of the test's users)
  STARLING_TEST_SQL         a command that runs SQL as root in every shard database: the report
                            rows, and list rows of accounts that are gone

The stack has 8 shards, 0-3 on the first MariaDB instance and 4-7 on the second; the tests that
involve blocks take users from both (UserPool.across). Python standard library only.
"""

import html
import os
import re
import sys
import time
import urllib.parse

sys.dont_write_bytecode = True   # keep tests/lib free of __pycache__
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from starling_test import (Page, UserPool, api_post, check, check_envelope,  # noqa: E402
                           csrf_unmasked,
                           check_eq, check_html_error, get, instance_of, png_bytes, profile,
                           request, run_main, run_sql, sql_sum)
from codes import INVALID_PARAM, NOT_FOUND  # noqa: E402
from waits import wait_for  # noqa: E402

PAGE = 20
# IDs of accounts that do not exist (rows of gone accounts in the lists' tests): on shard 0 (bits
# 12..21), far above any ID made now.
GONE = 0xF000000000000000

_users = UserPool("f")
users = _users.get


def across(n):
    """n users (at least 3) with both MariaDB instances among the first two."""
    return _users.across(n)


# --- helpers -----------------------------------------------------------------------------------

def bearer(user):
    return {"Authorization": "Bearer " + user["token"]} if user else None


def api_get(path, user=None, status=200, code=0):
    return check_envelope(get("/api/v1/" + path, headers=bearer(user)), status, code)["data"]


def api(path, fields, user, status=200, code=0):
    return check_envelope(api_post(path, fields, user["token"]), status, code)["data"]


def csrf_token():
    """A CSRF token as the site makes them (the cookie of any page)."""
    return get("/help").cookies()["starling_csrf"].value


def page(path, user=None, status=200):
    """GET of a page as user (the session cookie, as a browser sends it) or a visitor: the
    response, checked for status and HTML."""
    h = {"Cookie": "starling_token=" + user["token"]} if user else {}
    r = get(path, headers=h)
    check(r.status == status, "GET %s: status %d, want %d: %.300r" % (path, r.status, status,
                                                                     r.body))
    check((r.header("Content-Type") or "").startswith("text/html"), "GET %s: not HTML" % path)
    return r


def form(path, fields, user, csrf=True):
    """POST of a form as user, as a browser sends it: the session cookie, the CSRF cookie and the
    token in the body (csrf False: neither)."""
    token = csrf_token()
    cookie = "starling_token=" + user["token"]
    if csrf:
        fields = dict(fields, csrf_token=token)
        cookie += "; starling_csrf=" + token
    return request("POST", path, body=urllib.parse.urlencode(fields).encode(),
                   headers={"Content-Type": "application/x-www-form-urlencoded",
                            "Cookie": cookie})


def check_sent_to(r, path):
    check(r.status == 303, "%s: status %d, want 303: %.300r" % (r.where, r.status, r.body))
    check_eq(urllib.parse.urlparse(r.header("Location") or "").path, path, r.where + ": Location")


def forms_of(r, user):
    """{action: form} of the profile forms for user's profile in page r."""
    base = "/u/" + user["username"] + "/"
    return {f["action"][len(base):]: f for f in Page(r.text).forms
            if f["action"].startswith(base)}


def span(r, cls):
    """The text of the first <span|dd class="cls"> of page r (None when there is none)."""
    m = re.search(r'<(?:span|dd) class="%s">(?:<a [^>]*>)?([^<]*)<' % re.escape(cls), r.text)
    return m.group(1) if m else None


def count(r, which):
    return int(span(r, "count-" + which))


def list_ids(r):
    """The user IDs a people page lists, in order."""
    return re.findall(r'<li class="user-item" data-user-id="(\d+)"', r.text)


def older(r):
    m = re.search(r'<a rel="next" href="([^"]*)"', r.text)
    return html.unescape(m.group(1)) if m else None


# --- privacy -----------------------------------------------------------------------------------

SECRET_WORDS = re.compile(r"password|hash|code|token|secret|salt", re.I)


def check_no_secrets(obj, what):
    if isinstance(obj, dict):
        for k, v in obj.items():
            check(not SECRET_WORDS.search(k), "%s: member %r" % (what, k))
            check_no_secrets(v, what)
    elif isinstance(obj, list):
        for v in obj:
            check_no_secrets(v, what)


def test_privacy_email_and_birth_date():
    """Each combination of the birth-date flags, as seen by the owner, another logged-in user and
    a visitor, through user/profile and the profile page; the email only for its owner; never a
    secret."""
    owner, other, _ = users(3)
    dob = {"year": 1937, "month": 11, "day": 29}
    for flags in [(1, 0, 1), (0, 1, 0), (0, 0, 0), (1, 1, 1)]:
        shown = dict(zip(("year", "month", "day"), flags))
        api("user/save_info", {"dob_year": dob["year"], "dob_month": dob["month"],
                               "dob_day": dob["day"], "is_visible_dob_year": flags[0],
                               "is_visible_dob_month": flags[1], "is_visible_dob_day": flags[2]},
            owner)
        for viewer, name in ((owner, "owner"), (other, "other user"), (None, "visitor")):
            what = "%s, flags %r" % (name, flags)
            self = viewer is owner
            p = api_get("user/profile?username=" + owner["username"], viewer)
            check_no_secrets(p, what)
            check("tokensValidAfter" not in p, what + ": tokensValidAfter")
            check_eq(p.get("email"), owner["email"] if self else None, what + ": email")
            for part, key in (("year", "dobYear"), ("month", "dobMonth"), ("day", "dobDay")):
                want = dob[part] if self or shown[part] else None
                check_eq(p.get(key), want, "%s: %s" % (what, key))
                flag = "isVisibleDob" + part.capitalize()
                check_eq(p.get(flag), bool(shown[part]) if self else None, what + ": " + flag)

            r = page("/u/" + owner["username"], viewer)
            check_eq(span(r, "email"), owner["email"] if self else None, what + ": page email")
            check(self or owner["email"] not in r.text, what + ": the email is on the page")
            for part in ("year", "month", "day"):
                want = str(dob[part]) if self or shown[part] else None
                check_eq(span(r, "dob-" + part), want, "%s: page %s" % (what, part))
            check_eq('class="dob"' in r.text, self or any(flags), what + ": birth date shown")


# --- the profile page and its forms ------------------------------------------------------------

def test_profile_forms_by_viewer():
    """A visitor gets a login link and no forms; the owner no forms; another user all four, in
    the state they are in."""
    a, b, _ = users(3)
    r = page("/u/" + b["username"])
    check_eq(forms_of(r, b), {}, "visitor: no forms")
    check('href="/login"' in r.text, "visitor: a login link")
    r = page("/u/" + b["username"], b)
    check_eq(forms_of(r, b), {}, "owner: no forms")
    check('href="/settings"' in r.text, "owner: the edit link")
    r = page("/u/" + b["username"], a)
    fs = forms_of(r, b)
    check_eq(sorted(fs), ["block", "follow", "mute", "report"], "another user's forms")
    for name, f in fs.items():
        check_eq(f["method"], "post", name + ": method")
        check(csrf_unmasked(f["fields"].get("csrf_token")), name + ": csrf_token (masked)")
        check_eq(f["fields"].get("return_to"), "/u/" + b["username"], name + ": return_to")
    check_eq(fs["follow"]["fields"].get("flag"), "1", "not following: a follow button")
    check_eq(fs["block"]["fields"].get("flag"), "1", "not blocked: a block button")
    check_eq(fs["mute"]["fields"].get("flag"), "1", "not muted: a mute button")
    check("report_reason" in fs["report"]["fields"], "the report form has its reasons")


def test_follow_form_and_counts():
    a, b = across(3)[:2]
    path = "/u/" + b["username"]
    before = count(page(path), "followers")
    a_following = count(page("/u/" + a["username"]), "following")
    check_sent_to(form(path + "/follow", {"flag": 1, "return_to": path}, a), path)
    r = page(path, a)
    check_eq(forms_of(r, b)["follow"]["fields"].get("flag"), "0", "following: unfollow button")
    check('class="follow on"' in r.text, "the unfollow button is marked on")
    check_eq(count(r, "followers"), before + 1, "followers count")
    check_eq(count(page("/u/" + a["username"]), "following"), a_following + 1, "a's following")
    check_eq(profile(b)["countFollowers"], before + 1, "the API agrees")
    # A repeat is idempotent, and return_to may name another local page.
    check_sent_to(form(path + "/follow", {"flag": 1, "return_to": "/u/" + a["username"]}, a),
                  "/u/" + a["username"])
    check_eq(count(page(path), "followers"), before + 1, "a repeat changes nothing")
    # A return_to that leaves the site goes to the profile instead.
    for bad in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        check_sent_to(form(path + "/follow", {"flag": 0, "return_to": bad}, a), path)
    r = page(path, a)
    check_eq(forms_of(r, b)["follow"]["fields"].get("flag"), "1", "unfollowed")
    check_eq(count(r, "followers"), before, "followers count back")


def test_block_and_mute_forms():
    a, b = across(3)[:2]
    path = "/u/" + b["username"]
    form(path + "/follow", {"flag": 1, "return_to": path}, a)
    check_sent_to(form(path + "/mute", {"flag": 1, "return_to": path}, a), path)
    r = page(path, a)
    check_eq(forms_of(r, b)["mute"]["fields"].get("flag"), "0", "muted: an unmute button")
    check('class="notice relation-note"' in r.text, "muted: the note")
    check_eq(forms_of(r, b)["follow"]["fields"].get("flag"), "0", "mute keeps the follow")
    check_sent_to(form(path + "/block", {"flag": 1, "return_to": path}, a), path)
    r = page(path, a)
    fs = forms_of(r, b)
    check_eq(fs["block"]["fields"].get("flag"), "0", "blocked: an unblock button")
    check("follow" not in fs, "blocked: no follow button")
    check_eq(count(r, "followers"), profile(b)["countFollowers"], "counts as the API's")
    check_eq(sql_sum("SELECT COUNT(*) FROM tb_user_relationship WHERE user_id = %s AND "
                     "target_user = %s AND status_follow = 2" % (a["id"], b["id"])), 1,
             "the block row")
    # The blocked user's view of the blocker: the follow button is there, the form is refused
    # with the page again (403) saying so, without telling about the block.
    r = page("/u/" + a["username"], b)
    check_eq(forms_of(r, a)["follow"]["fields"].get("flag"), "1", "b is not told")
    r = form("/u/" + a["username"] + "/follow", {"flag": 1, "return_to": "/u/" + a["username"]},
             b)
    check_eq(r.status, 403, "refused follow: status")
    check('role="alert"' in r.text and "you cannot follow this account" in r.text,
          "refused follow: the message on the page: %.300r" % r.text)
    check_eq(forms_of(r, a)["follow"]["fields"].get("flag"), "1", "the profile again, with forms")
    # Every form of the page shown again (the language switch in the footer too) comes back to
    # the profile, not to the refused form's URL, which answers POST only.
    backs = {f["fields"].get("return_to") for f in Page(r.text).forms if "return_to" in f["fields"]}
    check_eq(backs, {"/u/" + a["username"]}, "return_to of the forms on the page shown again")
    # The blocker following the user they block: 409, the page again.
    r = form(path + "/follow", {"flag": 1, "return_to": path}, a)
    check_eq(r.status, 409, "the blocker's follow: status")
    check('role="alert"' in r.text, "the blocker's follow: a message")
    check_sent_to(form(path + "/block", {"flag": 0, "return_to": path}, a), path)
    check_sent_to(form(path + "/mute", {"flag": 0, "return_to": path}, a), path)
    fs = forms_of(page(path, a), b)
    check_eq((fs["block"]["fields"].get("flag"), fs["mute"]["fields"].get("flag"),
              fs["follow"]["fields"].get("flag")), ("1", "1", "1"),
             "unblocked and unmuted; the block ended the follow")


def test_report_form():
    a, b, c = users(3)
    path = "/u/" + c["username"]
    rows = "SELECT COUNT(*) FROM tb_reported_user WHERE user_id = %s" % c["id"]
    before = sql_sum(rows)
    r = form(path + "/report", {"report_reason": 2, "return_to": path}, a)
    check_sent_to(r, path)
    check("reported=1" in r.header("Location"), "sent to the thanks")
    r = page(path + "?reported=1", a)
    check('role="status"' in r.text and "report was received" in r.text, "the thanks")
    form(path + "/report", {"report_reason": 3, "return_to": path}, a)
    check_eq(sql_sum(rows), before + 1, "one row per reporter")
    for bad in ({"report_reason": 0}, {"report_reason": 256}, {"report_reason": "x"}, {}):
        r = form(path + "/report", dict(bad, return_to=path), b)
        check_eq(r.status, 400, "report %r: status" % bad)
        check('role="alert"' in r.text and "report_reason" in r.text,
              "report %r: the page says what was wrong" % bad)
    check_eq(sql_sum(rows), before + 1, "refused reports wrote nothing")


def test_form_errors():
    a, b, _ = users(3)
    path = "/u/" + b["username"]
    # No CSRF token: refused, nothing changed.
    followers = profile(b)["countFollowers"]
    r = form(path + "/follow", {"flag": 1, "return_to": path}, a, csrf=False)
    check_eq(r.status, 403, "no CSRF token")
    check_eq(profile(b)["countFollowers"], followers, "no follow without the token")
    # No login: to the login page or 401, never a change.
    r = request("POST", path + "/follow", body=b"flag=1",
                headers={"Content-Type": "application/x-www-form-urlencoded"})
    check(r.status in (401, 403, 303), "no login: status %d" % r.status)
    check_eq(profile(b)["countFollowers"], followers, "no follow without a login")
    # A missing or malformed flag: the page again with the message.
    for bad in ({}, {"flag": "2"}, {"flag": "yes"}):
        r = form(path + "/follow", dict(bad, return_to=path), a)
        check_eq(r.status, 400, "flag %r: status" % bad)
        check('role="alert"' in r.text and "flag" in r.text, "flag %r: message" % bad)
    # Oneself: refused with the message, on one's own profile.
    r = form("/u/" + a["username"] + "/follow", {"flag": 1}, a)
    check_eq(r.status, 400, "following oneself")
    check('role="alert"' in r.text, "following oneself: message")
    # An unknown user: a 404 page naming them, for every form and page.
    nobody = "nobody" + os.urandom(4).hex()
    for action in ("follow", "block", "mute"):
        r = form("/u/%s/%s" % (nobody, action), {"flag": 1}, a)
        check_html_error(r, 404, NOT_FOUND)
    check_html_error(form("/u/%s/report" % nobody, {"report_reason": 1}, a), 404, NOT_FOUND)
    for p in ("", "/following", "/followers"):
        r = get("/u/" + nobody + p)
        check_html_error(r, 404, NOT_FOUND)
        check("@" + nobody in r.text, "the 404 page names the user")
    # GET of a form's URL is not a page.
    check_eq(get(path + "/follow").status, 405, "GET of a form")
    # A malformed cursor of a people page: 400.
    check_eq(get(path + "/followers?cursor=abc").status, 400, "malformed cursor")
    # Hostile names never come back raw.
    r = get("/u/%3Cscript%3Ealert(1)%3C%2Fscript%3E/followers")
    check("<script>alert(1)" not in r.text, "the name is escaped")


# --- the lists of people -----------------------------------------------------------------------

def test_people_pages_match_the_api():
    """/u/<name>/followers and /following list what the API lists, page by page, through the
    "Older" links (the API's cursors). Rows of accounts that are gone fill the pages, so that
    three accounts span two pages: a page may show fewer than 20 and still not be the last."""
    star, a, b = across(3)
    fans = [a, b]
    for f in fans:
        api("user/follow", {"target_username": star["username"], "flag": 1}, f)
        api("user/follow", {"target_username": f["username"], "flag": 1}, star)
    # PAGE rows of accounts that do not exist, just below the newest real row of each list, in
    # the star's own shard database only (the one holding its tb_user row): page one shows b and
    # is full of rows it leaves out; page two shows a.
    top_rev = max(int(r[0]) for r in run_sql(
        "SELECT MAX(id) FROM tb_user_relationship_reversed WHERE user_id = %s" % star["id"])
        if r[0] != "NULL")
    top_fwd = max(int(r[0]) for r in run_sql(
        "SELECT MAX(id) FROM tb_user_relationship WHERE user_id = %s AND status_follow = 1"
        % star["id"]) if r[0] != "NULL")
    here = "WHERE EXISTS (SELECT 1 FROM tb_user WHERE id = %s)" % star["id"]
    stmts = []
    for i in range(PAGE):
        stmts.append("INSERT INTO tb_user_relationship_reversed (user_id, follower_id, id, "
                     "created_at) SELECT %s, %d, %d, 0 FROM DUAL %s"
                     % (star["id"], GONE + i, top_rev - 1 - i, here))
        stmts.append("INSERT INTO tb_user_relationship (user_id, target_user, status_follow, "
                     "status_mute, id, mute_id, created_at, updated_at) SELECT %s, %d, 1, 0, %d, "
                     "0, 0, 0 FROM DUAL %s" % (star["id"], GONE + i, top_fwd - 1 - i, here))
    run_sql("; ".join(stmts))
    try:
        for which in ("followers", "following"):
            path = "/u/%s/%s" % (star["username"], which)
            api_pages, cursor = [], ""
            while cursor != "-1":
                d = api_get("user/%s?username=%s&cursor=%s" % (which, star["username"], cursor))
                api_pages.append(([u["id"] for u in d["users"]], d["cursor"]))
                cursor = d["cursor"]
                check(len(api_pages) < 5, which + ": no end")
            check_eq(len(api_pages), 2, which + ": two pages in the API")
            url, shown = path, []
            for ids, cursor in api_pages:
                r = page(url)
                check_eq(list_ids(r), ids, "%s: %s lists the API's page" % (which, url))
                shown += ids
                nxt = older(r)
                if cursor == "-1":
                    check_eq(nxt, None, which + ": no Older link on the last page")
                else:
                    check_eq(nxt, "%s?cursor=%s" % (path, cursor), which + ": the Older link")
                    url = nxt
            check_eq(sorted(shown), sorted(f["id"] for f in fans), which + ": everyone, once")
            check_eq(shown, [b["id"], a["id"]], which + ": newest first")
            r = page(path)
            check('aria-current="page"' in r.text, which + ": the current list is marked")
            check('href="/u/%s"' % star["username"] in r.text, which + ": back to the profile")
    finally:
        run_sql("DELETE FROM tb_user_relationship_reversed WHERE user_id = %s AND follower_id >= "
                "%d; DELETE FROM tb_user_relationship WHERE user_id = %s AND target_user >= %d"
                % (star["id"], GONE, star["id"], GONE))
    # The header links to both lists, with the counts.
    r = page("/u/" + star["username"])
    check('href="/u/%s/followers"' % star["username"] in r.text, "a link to the followers")
    check('href="/u/%s/following"' % star["username"] in r.text, "a link to the following")
    check_eq(count(r, "followers"), profile(star)["countFollowers"], "the count")
    r = page("/u/%s/followers" % a["username"])
    check("No followers yet." in r.text or list_ids(r), "an empty list says so")
    for f in fans:
        api("user/follow", {"target_username": star["username"], "flag": 0}, f)
        api("user/follow", {"target_username": f["username"], "flag": 0}, star)


# --- the settings' lists of blocked and muted accounts ----------------------------------------

def test_blocked_and_muted_pages_undo():
    """/settings links to /settings/blocked and /settings/muted; each lists the API's
    user/blocked or user/muted, fields escaped, with an Unblock or Unmute form (CSRF, flag 0,
    return_to back to the list) that undoes it."""
    a, b, c = across(3)
    api("user/save_info", {"display_name": "<i>b</i>"}, b)
    block(a, b, True)
    api("user/mute", {"target_username": c["username"], "flag": 1}, a)
    try:
        r = page("/settings", a)
        for path in ("/settings/blocked", "/settings/muted"):
            check('href="%s"' % path in r.text, "/settings links to " + path)
        for path, who, action, api_list in (("/settings/blocked", b, "block", "blocked"),
                                            ("/settings/muted", c, "mute", "muted")):
            r = page(path, a)
            check_eq(list_ids(r), [u["id"] for u in api_get("user/" + api_list, a)["users"]],
                     path + ": the API's list")
            check_eq(list_ids(r), [who["id"]], path + ": lists " + who["username"])
            f = {x["action"]: x for x in Page(r.text).forms}.get(
                "/u/%s/%s" % (who["username"], action))
            check(f is not None, path + ": no %s form: %.400r" % (action, r.text))
            check_eq((f["fields"].get("flag"), f["fields"].get("return_to")), ("0", path),
                     path + ": the form's flag and return_to")
            check(f["fields"].get("csrf_token"), path + ": the form's CSRF token")
        check("&lt;i&gt;b&lt;/i&gt;" in page("/settings/blocked", a).text and
              "<i>b</i>" not in page("/settings/blocked", a).text, "the name escaped")
        r = form("/u/%s/block" % b["username"], {"flag": 0, "return_to": "/settings/blocked"}, a)
        check_sent_to(r, "/settings/blocked")
        r = page("/settings/blocked", a)
        check_eq(list_ids(r), [], "unblocked: gone from the list")
        check("You have not blocked anyone." in r.text, "an empty list says so")
        r = form("/u/%s/mute" % c["username"], {"flag": 0, "return_to": "/settings/muted"}, a,
                 csrf=False)
        check_eq(r.status, 403, "unmute without the CSRF token")
        r = form("/u/%s/mute" % c["username"], {"flag": 0, "return_to": "/settings/muted"}, a)
        check_sent_to(r, "/settings/muted")
        check_eq(list_ids(page("/settings/muted", a)), [], "unmuted: gone from the list")
    finally:
        block(a, b, False)
        api("user/mute", {"target_username": c["username"], "flag": 0}, a)
        api("user/save_info", {"display_name": b["username"]}, b)


def test_blocked_page_pages_and_refusals():
    """The blocked page pages as the API does: rows of accounts that are gone fill the first
    page (shown as nobody), the "Older" link carries the API's cursor to the second. A cursor
    that is not one of the list's is a 400 page; a visitor is sent to log in."""
    a, b = across(2)[:2]
    block(a, b, True)
    top = max(int(r[0]) for r in run_sql(
        "SELECT MAX(id) FROM tb_user_relationship WHERE user_id = %s" % a["id"])
        if r[0] != "NULL")
    here = "WHERE EXISTS (SELECT 1 FROM tb_user WHERE id = %s)" % a["id"]
    run_sql("; ".join(
        "INSERT INTO tb_user_relationship (user_id, target_user, status_follow, status_mute, id, "
        "mute_id, created_at, updated_at) SELECT %s, %d, 2, 0, %d, 0, 0, 0 FROM DUAL %s"
        % (a["id"], GONE + i, top + 1 + i, here) for i in range(PAGE)))
    try:
        first = api_get("user/blocked", a)
        check_eq(first["users"], [], "API: a first page of gone accounts")
        r = page("/settings/blocked", a)
        check_eq(list_ids(r), [], "page one shows nobody")
        check_eq(older(r), "/settings/blocked?cursor=" + first["cursor"], "the Older link")
        r = page(older(r), a)
        check_eq(list_ids(r), [b["id"]], "page two")
        check_eq(older(r), None, "no Older link on the last page")
        for bad in ("01", "abc", "-2", "0"):
            check_html_error(page("/settings/blocked?cursor=" + bad, a, status=400), 400,
                             INVALID_PARAM)
    finally:
        run_sql("DELETE FROM tb_user_relationship WHERE user_id = %s AND target_user >= %d"
                % (a["id"], GONE))
        block(a, b, False)
    r = get("/settings/muted")
    check_eq((r.status, r.header("Location")), (303, "/login?return_to=/settings/muted"),
             "a visitor")


# --- avatar and banner by upload ---------------------------------------------------------------

def images_form(user, files, csrf=True):
    """POST /settings/images as a browser sends it: multipart, files {field: (name, bytes)}."""
    token = csrf_token()
    boundary = "starlingtestboundary"
    parts = []
    if csrf:
        parts.append(('--%s\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n%s\r\n'
                      % (boundary, token)).encode())
    for field, (name, data) in files.items():
        parts.append(('--%s\r\nContent-Disposition: form-data; name="%s"; filename="%s"\r\n'
                      'Content-Type: application/octet-stream\r\n\r\n' % (boundary, field, name)
                      ).encode() + data + b"\r\n")
    body = b"".join(parts) + ("--%s--\r\n" % boundary).encode()
    cookie = "starling_token=" + user["token"] + ("; starling_csrf=" + token if csrf else "")
    return request("POST", "/settings/images", body=body, headers={
        "Content-Type": "multipart/form-data; boundary=" + boundary, "Cookie": cookie})


def served(url):
    """GET url: the response when it is 200, None for a 404 (the worker moving the image);
    any other status fails."""
    r = get(url)
    check(r.status in (200, 404), "%s: %d %r" % (url, r.status, r.body[:8]))
    return r if r.status == 200 else None


def test_avatar_and_banner_by_upload():
    """/settings has file inputs for the avatar and the banner, no typed URLs; the upload stores
    each image chosen (served under /media/) and the profile shows both, the banner decorative
    (alt=""). A file that is no image, no file at all or no CSRF token change nothing."""
    a = users(1)[0]
    r = page("/settings", a)
    check('enctype="multipart/form-data"' in r.text and 'name="avatar" type="file"' in r.text and
          'name="banner" type="file"' in r.text, "/settings: no file inputs")
    check('name="avatar_url"' not in r.text, "/settings still asks for a typed avatar URL")
    before = profile(a)
    check_eq(images_form(a, {"avatar": ("a.png", png_bytes(2, 2))}, csrf=False).status, 403,
             "without the CSRF token")
    # Refused: the settings page again, with why.
    for files, why in (({"avatar": ("notes.png", b"just some text, not an image")},
                        "not a PNG, JPEG or GIF image"),
                       ({"avatar": ("", b""), "banner": ("", b"")}, "choose an image file")):
        r = images_form(a, files)
        check_eq(r.status, 400, "refused: %.300r" % r.body)
        check('role="alert"' in r.text and why in r.text, "the refusal says why: %r" % why)
        check('name="banner" type="file"' in r.text, "the form again")
    check_eq((profile(a)["avatarUrl"], profile(a)["bannerUrl"]),
             (before["avatarUrl"], before["bannerUrl"]), "nothing changed by the refusals")
    r = images_form(a, {"avatar": ("me.png", png_bytes(3, 3, (0, 0, 255))),
                        "banner": ("wide.png", png_bytes(6, 2, (0, 128, 0)))})
    check_sent_to(r, "/settings")
    now = profile(a)
    for key in ("avatarUrl", "bannerUrl"):
        check(now[key].startswith("/media/images/") and now[key].endswith(".png"),
              "%s: %r" % (key, now[key]))
        # The upload as it came, or (once starling-worker processed it, docs/media.md) its
        # display size, a JPEG without metadata, at the same URL; nothing for the moment the
        # worker moves it (404, as test_posts allows), so the test waits that moment out.
        got = wait_for(lambda: served(now[key]), "%s is not served" % key, 10)
        check(got.body[:8] == b"\x89PNG\r\n\x1a\n" or got.body[:3] == b"\xff\xd8\xff",
              "%s is served: %d %r" % (key, got.status, got.body[:8]))
    check(now["avatarUrl"] != now["bannerUrl"], "two images")
    r = page("/u/" + a["username"])
    check('<img class="banner" src="%s" alt=""' % now["bannerUrl"] in r.text,
          "the profile shows no banner: %.500r" % r.text)
    check('src="%s"' % now["avatarUrl"] in r.text, "the profile shows the avatar")
    # Only the banner this time: the avatar stays.
    check_sent_to(images_form(a, {"banner": ("b.png", png_bytes(4, 2))}), "/settings")
    check_eq(profile(a)["avatarUrl"], now["avatarUrl"], "the avatar stays")
    check(profile(a)["bannerUrl"] != now["bannerUrl"], "a new banner")
    # The API takes an upload's mediaUrl of this user, not another's.
    api("user/save_info", {"avatar_url": now["bannerUrl"]}, a)
    check_eq(profile(a)["avatarUrl"], now["bannerUrl"], "save_info with an own mediaUrl")
    other = users(2)[1]
    api("user/save_info", {"avatar_url": now["avatarUrl"]}, other, 400, INVALID_PARAM)
    api("user/save_info", {"avatar_url": now["avatarUrl"]}, a)


# --- the header's unread badge ----------------------------------------------------------------

BADGE = re.compile(r'<a href="/notifications">[^<]*<span class="badge unread-badge">([^<]*)'
                   r'<span class="visually-hidden"> ([^<]*)</span></span></a>')


def unread_count(user, want):
    """Waits for user's unread count (API) to be want: the notifications are made by jobs."""
    deadline = time.time() + 10
    while True:
        n = api_get("notification/unread_count", user)["count"]
        if n == want or time.time() > deadline:
            check_eq(n, want, "unread_count")
            return
        time.sleep(0.2)


def test_unread_badge_in_the_header():
    """The header's Notifications link carries the unread count, heard as "2 unread" (en) or
    "2 条未读" (zh); none at 0 unread, none for a visitor."""
    a, b, c = across(3)
    api("notification/read", {"up_to_id": "18446744073709551615"}, a)
    unread_count(a, 0)
    check_eq(BADGE.search(page("/", a).text), None, "no badge at 0 unread")
    # Likes of a new post: new notifications (a follow made again brings back a read one).
    pid = api("post/create", {"content_text": "badge " + str(time.time())}, a)["id"]
    for f in (b, c):
        api("post/like", {"post_id": pid, "islike": 1}, f)
    try:
        unread_count(a, 2)
        for path in ("/", "/settings", "/u/" + b["username"]):
            m = BADGE.search(page(path, a).text)
            check(m, "%s: no badge: %.600r" % (path, page(path, a).text))
            check_eq(m.groups(), ("2", "unread"), path + ": the badge")
        r = get("/", headers={"Cookie": "starling_token=%s; lang=zh" % a["token"]})
        check_eq(BADGE.search(r.text).groups(), ("2", "条未读"), "the badge in Chinese")
        check_eq(BADGE.search(page("/help").text), None, "no badge for a visitor")
        api("notification/read", {"up_to_id": "18446744073709551615"}, a)
        check_eq(BADGE.search(page("/", a).text), None, "no badge once read")
    finally:
        api("post/delete", {"post_id": pid}, a)


# --- what a block hides ------------------------------------------------------------------------

def block(a, b, on):
    api("user/block", {"target_username": b["username"], "flag": 1 if on else 0}, a)


def test_block_hides_people_in_lists():
    """The followers and following lists leave out a user in a block pair with the viewer, in
    the API and on the pages, whoever blocked whom; others still see them."""
    v, x, star = across(3)
    api("user/follow", {"target_username": star["username"], "flag": 1}, x)
    api("user/follow", {"target_username": x["username"], "flag": 1}, star)

    def listed(which, viewer):
        ids = [u["id"] for u in api_get("user/%s?username=%s" % (which, star["username"]),
                                        viewer)["users"]]
        on_page = list_ids(page("/u/%s/%s" % (star["username"], which), viewer))
        check_eq(on_page, ids, which + ": the page lists what the API does")
        return x["id"] in ids

    try:
        for blocker, blocked in ((v, x), (x, v)):
            block(blocker, blocked, True)
            for which in ("followers", "following"):
                check(not listed(which, v), "%s: x shown to v (blocker %s)" % (
                    which, "v" if blocker is v else "x"))
                check(listed(which, None), which + ": a visitor sees x")
                check(listed(which, star), which + ": the owner sees x")
            block(blocker, blocked, False)
            for which in ("followers", "following"):
                check(listed(which, v), which + ": unblocked, v sees x again")
        # The blocker's own blocked list is not filtered.
        block(v, x, True)
        check_eq([u["id"] for u in api_get("user/blocked", v)["users"]][:1], [x["id"]],
                 "the blocked list shows whom v blocks")
    finally:
        block(v, x, False)
        api("user/follow", {"target_username": star["username"], "flag": 0}, x)
        api("user/follow", {"target_username": x["username"], "flag": 0}, star)


def test_block_hides_replies_and_originals():
    """post/replies (and the post page) leave out replies by a user in a block pair with the
    viewer; a quote of such a user's post shows original null, a repost of it is gone."""
    v, x, s = across(3)
    check(instance_of(v) != instance_of(x), "v and x on different instances")
    post = api("post/create", {"content_text": "a thread by s"}, s)["id"]
    by_x = api("post/reply", {"original_post_id": post, "content_text": "x answers"}, x)["id"]
    by_s = api("post/reply", {"original_post_id": post, "content_text": "s answers"}, s)["id"]
    of_x = api("post/create", {"content_text": "x's own post"}, x)["id"]
    quote = api("post/repost", {"original_post_id": of_x, "content_text": "s quotes x"}, s)["id"]
    repost = api("post/repost", {"original_post_id": of_x}, s)["id"]

    def replies(viewer):
        return [p["id"] for p in api_get("post/replies?post_id=%s" % post, viewer)["replies"]]

    def on_page(pid, viewer):
        return 'id="post-%s"' % pid in page("/p/%s" % post, viewer).text

    def detail(pid, viewer, status=200, code=0):
        return api_get("post/detail?post_id=%s" % pid, viewer, status, code)

    def posts_tab(viewer):
        return {p["id"]: p for p in api_get("user/posts?username=" + s["username"],
                                            viewer)["posts"]}

    check_eq(replies(v), [by_x, by_s], "before the block")
    check_eq(detail(quote, v)["original"]["id"], of_x, "before: the quote embeds x's post")
    try:
        for blocker, blocked in ((v, x), (x, v)):
            block(blocker, blocked, True)
            what = "blocker " + ("v" if blocker is v else "x")
            check_eq(replies(v), [by_s], what + ": x's reply left out for v")
            check_eq(replies(None), [by_x, by_s], what + ": a visitor sees both")
            check_eq(replies(s), [by_x, by_s], what + ": the author sees both")
            check(not on_page(by_x, v) and on_page(by_s, v), what + ": the post page for v")
            check(on_page(by_x, None), what + ": the post page for a visitor")
            q = detail(quote, v)
            check_eq(q["original"], None, what + ": the quote's original hidden from v")
            check_eq(q["contentText"], "s quotes x", what + ": the quote itself stays")
            check_eq(detail(quote, None)["original"]["id"], of_x, what + ": visitor sees it")
            detail(repost, v, 404, NOT_FOUND)
            check_eq(detail(repost, s)["original"]["id"], of_x, what + ": s sees the repost")
            tab = posts_tab(v)
            check(repost not in tab, what + ": the repost left out of s's tab for v")
            check(quote in tab and tab[quote]["original"] is None,
                  what + ": the quote in s's tab for v, without its original")
            check_eq(posts_tab(None)[quote]["original"]["id"], of_x, what + ": visitor's tab")
            block(blocker, blocked, False)
        check_eq(replies(v), [by_x, by_s], "unblocked: both again")
        check_eq(detail(quote, v)["original"]["id"], of_x, "unblocked: the original again")
    finally:
        block(v, x, False)
        block(x, v, False)


TESTS = [v for k, v in sorted(globals().items()) if k.startswith("test_")]


if __name__ == "__main__":
    sys.exit(run_main(__doc__, TESTS))
