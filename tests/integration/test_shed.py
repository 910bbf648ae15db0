#!/usr/bin/env python3
"""test_shed.py BASE: load shedding ([shed], lib/http/shed.h) in the web server set-up under test.

The processes that serve starling-post's routes are held (SIGSTOP) while requests arrive, so
that those requests wait in the web server's queue, as they do when more arrive than the
processes can serve; then they are let go. The web server stamped each request when it arrived
(X-Request-Start: etc/starling-stamp.lua for lighttpd, RequestHeader for Apache):
- anonymous reads that waited longer than [shed] anonymous_wait_ms (1.5 s in the test stack)
  are refused at once with 503, code 50301, Retry-After and a message saying how long they
  waited (the JSON envelope for the API, the error page for a page);
- a logged-in read and a write that waited as long are served (their budget, wait_ms, is 20 s),
  and the write is really written;
- afterwards the same anonymous read is served again;
- a client cannot forge the stamp: an old X-Request-Start sent by the client is replaced by the
  web server's own, so the request is served.

What is held depends on the set-up: lighttpd's and spawn-fcgi's long-lived starling-post
processes; under mod_fcgid also its process manager (else it would start fresh processes for
the queue); under plain CGI the mod_cgid daemon that starts each request's process.
$STARLING_TEST_SERVER names the set-up and $STARLING_TEST_RUN the stack's directory (the held
processes are this stack's only). They are let go whatever happens.
"""

import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from starling_test import (UserPool, api_post, check, check_envelope, check_html_error,  # noqa
                           get, run_main)
from codes import OVERLOADED  # noqa: E402

POOL = UserPool("sh")
# Longer than the test stack's anonymous budget (script/lib/stack.sh: 1.5 s), far shorter than
# its budget for writes and logged-in requests (20 s).
HOLD = 3.0


def proc_text(pid, name):
    try:
        with open("/proc/%d/%s" % (pid, name), "rb") as f:
            return f.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


def pids():
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def ours(pid, run):
    """Whether process pid belongs to this stack (its configuration lies in run)."""
    return run in proc_text(pid, "environ") or run in proc_text(pid, "cmdline")


def post_processes(run):
    found = []
    for pid in pids():
        try:
            exe = os.readlink("/proc/%d/exe" % pid)
        except OSError:
            continue
        if os.path.basename(exe) == "starling-post" and ours(pid, run):
            found.append(pid)
    return found


def parent(pid):
    stat = proc_text(pid, "stat")
    return int(stat.rsplit(")", 1)[1].split()[1])


def cgid_daemon(run):
    """The mod_cgid daemon: the process holding the listening socket RUN/apache/cgisock.PID."""
    inodes = set()
    with open("/proc/net/unix") as f:
        for line in f:
            cols = line.split()
            if len(cols) >= 8 and cols[7].startswith(os.path.join(run, "apache", "cgisock")):
                inodes.add(cols[6])
    check(inodes, "no mod_cgid socket under %s/apache" % run)
    holders = []
    for pid in pids():
        try:
            fds = os.listdir("/proc/%d/fd" % pid)
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in inodes:
                holders.append(pid)
                break
    check(holders, "no process holds the mod_cgid socket")
    return holders


def to_hold(server, run):
    if server == "apache-cgi":
        return cgid_daemon(run)
    procs = post_processes(run)
    check(procs, "no starling-post process of this stack is running (%s)" % server)
    if server == "apache-fcgid":
        procs += sorted({parent(p) for p in procs})
    return procs


def detail(post_id, token=None):
    headers = {"Authorization": "Bearer " + token} if token else None
    return get("/api/v1/post/detail?post_id=%s" % post_id, headers)


def retry_after(r):
    v = r.header("Retry-After") or ""
    check(v.isdigit() and int(v) >= 1, "%s: Retry-After %r, want whole seconds" % (r.where, v))


def test_queued_requests_are_shed_by_class():
    server = os.environ.get("STARLING_TEST_SERVER", "")
    run = os.environ.get("STARLING_TEST_RUN", "")
    check(server and run, "STARLING_TEST_SERVER and STARLING_TEST_RUN must be set")
    user = POOL.get(1)[0]
    token = user["token"]
    post_id = check_envelope(api_post("post/create", {"content_text": "shed me not"}, token),
                             200, 0)["data"]["id"]
    check_envelope(detail(post_id), 200, 0)

    results = {}

    def send(name, fn):
        def run_it():
            results[name] = fn()
        return threading.Thread(target=run_it)

    threads = [
        send("anon1", lambda: detail(post_id)),
        send("anon2", lambda: detail(post_id)),
        send("page", lambda: get("/p/%s" % post_id)),
        send("user", lambda: detail(post_id, token)),
        send("write", lambda: api_post("post/create", {"content_text": "written in a queue"},
                                       token)),
    ]
    held = to_hold(server, run)
    for pid in held:
        os.kill(pid, signal.SIGSTOP)
    try:
        for t in threads:
            t.start()
            time.sleep(0.05)
        time.sleep(HOLD)
    finally:
        for pid in held:
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
    for t in threads:
        t.join()

    # The processes that refused anonymous reads told the web server to refuse them too, for a
    # moment (lib/http/shed.h, "The web server's part"): a line "UNTIL_MS RETRY_AFTER_S" that ends
    # on its own SHED_SIGNAL_MS (200 ms) after it was written.
    until_ms, retry = read_signal(run)
    now_ms = time.time() * 1000
    check(now_ms - HOLD * 2000 < until_ms <= now_ms + 200 + 50,
          "signal until %d ms, now %d ms: not within the hold and 200 ms after it"
          % (until_ms, now_ms))
    check(retry == 2, "signal Retry-After %d, want [shed] retry_after (2)" % retry)
    time.sleep(max(0, until_ms - now_ms) / 1000 + 0.05)

    for name in ("anon1", "anon2"):
        r = results[name]
        doc = check_envelope(r, 503, OVERLOADED)
        retry_after(r)
        check("waited" in doc["message"] and "ms" in doc["message"],
              "%s: the message does not say how long it waited: %r" % (name, doc["message"]))
    check_html_error(results["page"], 503, OVERLOADED)
    retry_after(results["page"])
    check_envelope(results["user"], 200, 0)
    written = check_envelope(results["write"], 200, 0)["data"]["id"]
    doc = check_envelope(detail(written), 200, 0)
    check(doc["data"]["contentText"] == "written in a queue",
          "the write admitted from the queue is not stored: %r" % doc["data"])
    # The queue is gone: the same anonymous read is served again.
    check_envelope(detail(post_id), 200, 0)


def signal_path(run):
    return os.path.join(run, "state", "shed-signal")


def read_signal(run):
    try:
        with open(signal_path(run)) as f:
            words = f.read().split()
    except OSError as e:
        check(False, "no signal written for the web server: %s" % e)
    check(len(words) == 2 and all(w.isdigit() for w in words),
          "signal %r is not UNTIL_MS RETRY_AFTER_S" % words)
    return int(words[0]), int(words[1])


def write_signal(run, until_ms, retry):
    tmp = signal_path(run) + ".test"
    with open(tmp, "w") as f:
        f.write("%d %d\n" % (until_ms, retry))
    os.rename(tmp, signal_path(run))


def test_web_server_refuses_while_signalled():
    """lighttpd's etc/starling-stamp.lua and Apache's etc/starling-shed-apache.lua (set-up 2)
    refuse reads without a login themselves while the signal holds: at once, with the
    binaries' 503, code, Retry-After and page; the others pass. Set-ups 3 and 4 (.htaccess)
    cannot load a script there (docs/deploy.md, section 15)."""
    server = os.environ.get("STARLING_TEST_SERVER", "")
    run = os.environ.get("STARLING_TEST_RUN", "")
    if server not in ("lighttpd", "apache-proxy-fcgi"):
        print("skip: set-ups 3 and 4 shed inside the binaries only (%s)" % server)
        return
    user = POOL.get(1)[0]
    token = user["token"]
    post_id = check_envelope(api_post("post/create", {"content_text": "signalled"}, token),
                             200, 0)["data"]["id"]
    write_signal(run, time.time() * 1000 + 20000, 7)
    try:
        started = time.time()
        r = detail(post_id)
        doc = check_envelope(r, 503, OVERLOADED)
        check(r.header("Retry-After") == "7", "Retry-After %r, want the signal's 7"
              % r.header("Retry-After"))
        check("without a login" in doc["message"], "message %r" % doc["message"])
        check("waited" not in doc["message"],
              "a binary answered (%r): the web server should have" % doc["message"])
        page = get("/p/%s" % post_id)
        check_html_error(page, 503, OVERLOADED)
        check(page.header("Retry-After") == "7", "page Retry-After %r" % page.header("Retry-After"))
        check(time.time() - started < 5, "refusals took %.1f s" % (time.time() - started))
        # Health, static files, logged-in reads and writes are not the web server's to refuse.
        check_envelope(get("/api/v1/health"), 200, 0)
        check(get("/static/starling.css").status == 200, "static file refused")
        check_envelope(detail(post_id, token), 200, 0)
        check_envelope(api_post("post/create", {"content_text": "written while signalled"},
                                token), 200, 0)
        # An expired line refuses nothing.
        write_signal(run, time.time() * 1000 - 1, 7)
        check_envelope(detail(post_id), 200, 0)
        # Nor does garbage in the file.
        with open(signal_path(run), "w") as f:
            f.write("soon\n")
        check_envelope(detail(post_id), 200, 0)
    finally:
        try:
            os.unlink(signal_path(run))
        except OSError:
            pass
    check_envelope(detail(post_id), 200, 0)


def test_client_cannot_forge_the_stamp():
    user = POOL.get(1)[0]
    post_id = check_envelope(api_post("post/create", {"content_text": "stamped"}, user["token"]),
                             200, 0)["data"]["id"]
    old = "t=%d" % int((time.time() - 30) * 1e6)
    r = get("/api/v1/post/detail?post_id=%s" % post_id, {"X-Request-Start": old})
    check_envelope(r, 200, 0)


if __name__ == "__main__":
    sys.exit(run_main(__doc__, [test_queued_requests_are_shed_by_class,
                                test_web_server_refuses_while_signalled,
                                test_client_cannot_forge_the_stamp]))
