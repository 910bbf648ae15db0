#!/usr/bin/env python3
"""HTTP tests of time zones and the cards' times (lib/base/tz.h, lib/app/card.c) through the web server:
the settings' time-zone field (POST /api/v1/user/change_time_zone and the form POST
/settings/time_zone) saves a name of the system's zoneinfo and refuses anything else with 400
40004 and a message naming the field; a card's time is short ("now", "3 m"; "刚刚" in Chinese)
with the exact time in the title, in the viewer's zone: their setting, else the starling_tz
cookie (checked the same way), else UTC.

Usage: test_zones.py BASE_URL [-k SUBSTRING]

Environment (set by tests/integration/suite.sh):
  STARLING_TEST_MAIL_DIR   the [mail] spool_dir (activation codes of the test's users)

Python standard library only (zoneinfo for the expected wall clocks).
"""

import datetime
import html
import os
import re
import sys
import urllib.parse
import zoneinfo

sys.dont_write_bytecode = True   # keep tests/lib free of __pycache__
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from starling_test import (UserPool, api_post, check, check_envelope, check_eq,  # noqa: E402
                           get, request, run_main)
from codes import INVALID_PARAM, MISSING_PARAM, UNAUTHORIZED  # noqa: E402

_users = UserPool("z")
_state = {}

BAD_NAMES = ["Mars/Olympus_Mons", "../../../etc/passwd", "/etc/localtime", "Asia//Shanghai",
             ":Asia/Shanghai", "EST5EDT,M3.2.0,M11.1.0", "CST-8", "Asia", "<script>x</script>",
             "Asia/Shanghai ", "A" * 65]


def own_zone(user):
    r = get("/api/v1/user/profile?username=" + user["username"],
            {"Authorization": "Bearer " + user["token"]})
    return check_envelope(r, 200, 0)["data"]["timeZone"]


def session(user, extra=""):
    """The cookies of a logged-in browser: the session and a CSRF token as the site makes
    them."""
    token = get("/help").cookies()["starling_csrf"].value
    return token, "starling_token=%s; starling_csrf=%s%s" % (user["token"], token, extra)


def form_post(path, fields, cookie):
    return request("POST", path, body=urllib.parse.urlencode(fields).encode(), headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})


def a_post():
    """A post made just now by a user without a zone: (author, id, createdAt)."""
    if not _state:
        author = _users.get(3)[2]
        r = api_post("post/create", {"content_text": "what time is it"}, author["token"])
        d = check_envelope(r, 200, 0)["data"]
        _state.update(author=author, id=d["id"])
        d = check_envelope(get("/api/v1/post/detail?post_id=" + d["id"]), 200, 0)["data"]
        _state["at"] = d["createdAt"]
    return _state["author"], _state["id"], _state["at"]


_TIME = re.compile(r'<time datetime="([^"]+)" title="([^"]+)">([^<]+)</time>')


def card_time(pid, cookie=""):
    """The post page's own card's <time>: (datetime, title, text)."""
    r = get("/p/" + pid, {"Cookie": cookie} if cookie else None)
    check_eq(r.status, 200, "the post page")
    card = r.text.split('id="post-%s"' % pid, 1)[1]
    m = _TIME.search(card)
    check(m, "no <time> in the card: %.500r" % card)
    return m.group(1), html.unescape(m.group(2)), html.unescape(m.group(3))


def exact(at, zone):
    """What the title says for Unix time at in zone: "2026-12-07 22:33 CST (Asia/Shanghai)"."""
    t = datetime.datetime.fromtimestamp(at, zoneinfo.ZoneInfo(zone))
    return t.strftime("%Y-%m-%d %H:%M ") + t.tzname() + ("" if zone == "UTC" else
                                                         " (%s)" % zone)


def test_api_saves_and_clears_a_zone():
    u = _users.get(1)[0]
    check_eq(own_zone(u), "", "no zone at first")
    for zone in ("Asia/Shanghai", "America/New_York", "UTC", ""):
        check_envelope(api_post("user/change_time_zone", {"time_zone": zone}, u["token"]), 200, 0)
        check_eq(own_zone(u), zone, "the zone saved")


def test_api_refuses_what_is_not_a_zone():
    u = _users.get(2)[1]
    check_envelope(api_post("user/change_time_zone", {"time_zone": "Europe/London"}, u["token"]),
                   200, 0)
    for bad in BAD_NAMES:
        doc = check_envelope(api_post("user/change_time_zone", {"time_zone": bad}, u["token"]),
                             400, INVALID_PARAM)
        check("time_zone" in doc["message"], "the message names the field: %r" % doc["message"])
        check_eq(own_zone(u), "Europe/London", "the zone after refusing %r" % bad)
    check_envelope(api_post("user/change_time_zone", {}, u["token"]), 400, MISSING_PARAM)
    check_envelope(api_post("user/change_time_zone", {"time_zone": "UTC"}), 401, UNAUTHORIZED)


def test_settings_form():
    u = _users.get(2)[1]
    token, cookie = session(u)
    r = form_post("/settings/time_zone", {"time_zone": "America/New_York", "csrf_token": token},
                  cookie)
    check_eq(r.status, 303, "a saved zone goes back to the settings")
    check_eq(r.header("Location"), "/settings?saved=1", "where to")
    page = get("/settings", {"Cookie": cookie}).text
    check('name="time_zone" type="text" maxlength="64"\n          value="America/New_York"' in
          page, "the field shows the saved zone")
    # Refused: the page again with why, and the typed name (escaped) to correct.
    r = form_post("/settings/time_zone", {"time_zone": "<b>Mars</b>", "csrf_token": token},
                  cookie)
    check_eq(r.status, 400, "a bad name is refused")
    check('role="alert">time_zone: not a time zone' in r.text, "the refusal says why: %.300r" %
          r.text[r.text.find("<main"):][:600])
    check("&lt;b&gt;Mars&lt;/b&gt;" in r.text and "<b>Mars</b>" not in r.text,
          "the typed name shown escaped")
    check_eq(own_zone(u), "America/New_York", "the zone after the refusal")
    # Without the CSRF token: nothing changes.
    r = form_post("/settings/time_zone", {"time_zone": "Asia/Tokyo"}, cookie)
    check_eq(r.status, 403, "no CSRF token")
    check_eq(own_zone(u), "America/New_York", "the zone after a forged post")


def test_card_time_in_the_viewers_zone():
    author, pid, at = a_post()
    iso, title, text = card_time(pid)
    check_eq(iso, datetime.datetime.fromtimestamp(at, datetime.timezone.utc)
             .strftime("%Y-%m-%dT%H:%M:%SZ"), "datetime: UTC")
    check_eq(title, exact(at, "UTC"), "a visitor without a cookie: UTC")
    check(re.fullmatch(r"now|\d+ m", text), "the short time: %r" % text)
    # A visitor's browser zone, from the cookie (encoded or not); a bad one is ignored.
    for value in ("Asia%2FShanghai", "Asia/Shanghai"):
        check_eq(card_time(pid, "starling_tz=" + value)[1], exact(at, "Asia/Shanghai"),
                 "the cookie's zone (%s)" % value)
    for value in ("..%2F..%2Fetc%2Fpasswd", "CST-8", "Mars%2FBase", "%ZZ", "UTC%00"):
        check_eq(card_time(pid, "starling_tz=" + value)[1], exact(at, "UTC"),
                 "a bad cookie (%s): UTC" % value)
    # A logged-in viewer's own setting comes before the cookie.
    viewer = _users.get(3)[0]
    check_envelope(api_post("user/change_time_zone", {"time_zone": "America/New_York"},
                            viewer["token"]), 200, 0)
    cookie = "starling_token=%s; starling_tz=Asia%%2FShanghai" % viewer["token"]
    check_eq(card_time(pid, cookie)[1], exact(at, "America/New_York"), "the viewer's setting")
    check_envelope(api_post("user/change_time_zone", {"time_zone": ""}, viewer["token"]), 200, 0)
    check_eq(card_time(pid, cookie)[1], exact(at, "Asia/Shanghai"),
             "no setting: the browser's cookie")


def test_short_times_in_both_languages():
    _, pid, _ = a_post()
    check(re.fullmatch(r"now|\d+ m", card_time(pid, "lang=en")[2]), "English")
    text = card_time(pid, "lang=zh")[2]
    check(re.fullmatch(r"刚刚|\d+ 分钟", text), "Chinese: %r" % text)


TESTS = [
    test_api_saves_and_clears_a_zone,
    test_api_refuses_what_is_not_a_zone,
    test_settings_form,
    test_card_time_in_the_viewers_zone,
    test_short_times_in_both_languages,
]

if __name__ == "__main__":
    sys.exit(run_main(__doc__, TESTS))
