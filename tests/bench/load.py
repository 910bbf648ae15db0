#!/usr/bin/env python3
"""tests/bench/load.py: the data side of the route benchmark (tests/bench/routes.sh).

Python 3 standard library only. Every write goes through Starling's own HTTP API, as users
would make it (sign-up, activation code from the mail spool, login, follow, post, repost, quote,
reply, like), so the data set is what the code itself builds: shards, counters, timelines,
search index, outbox jobs for the worker.

Subcommands (routes.sh runs them in this order):
  load BASE MAILDIR OUT       make the data set; write OUT/state.json and the request lists
                              OUT/req-<route>.tsv that the wrk script replays; print timings
  login-timeline BASE OUT MC  "timeline built at login" for the user following the most
                              accounts: its cached list (tl:<id>) dropped on every memcached
                              node MC (host:port,...), then login, the worker's build, the first
                              page; also a cold read without the worker's help
  mcstats MC                  "HITS MISSES": get_hits and get_misses summed over the nodes
  fault-mix OUT               OUT/req-fault_mix.tsv, the mixed load of tests/bench/faults.sh
  roundtrips START END        the access log lines of the binaries between two sets of byte
                              offsets ("FILE:SIZE ..."): "N MC_MEDIAN DB_MEDIAN MS_MEDIAN BAD"
                              (medians over the requests; BAD: answers of status 500 or more)

Knobs (environment): BENCH_USERS (500), BENCH_POSTS (posts per user, 8), BENCH_FOLLOWS (mean
follows per user, 40), BENCH_HEAVY_FOLLOWS (accounts the login-timeline user follows, 1000,
at most every other user), BENCH_LIKES (likes per post on average, 2), BENCH_LOAD_THREADS (8),
BENCH_SEED (1: the same data set each run).

Request list lines (tab-separated): METHOD, PATH, BODY (may be empty), then "Name: value"
headers.
"""

import concurrent.futures
import hashlib
import http.client
import json
import os
import random
import re
import socket
import statistics
import sys
import threading
import time
import urllib.parse

USERS = int(os.environ.get("BENCH_USERS", "500"))
POSTS_PER_USER = float(os.environ.get("BENCH_POSTS", "8"))
FOLLOWS = float(os.environ.get("BENCH_FOLLOWS", "40"))
HEAVY_FOLLOWS = int(os.environ.get("BENCH_HEAVY_FOLLOWS", "1000"))
LIKES = float(os.environ.get("BENCH_LIKES", "2"))
THREADS = int(os.environ.get("BENCH_LOAD_THREADS", "8"))
SEED = int(os.environ.get("BENCH_SEED", "1"))
PASSWORD = "bench pass 42"

# Words of the posts: ordinary, at least three letters, none a stopword, so that search finds
# them. Drawn zipf-skewed, as words are.
VOCAB = ("river mountain coffee garden window morning planet music winter summer forest "
         "ocean market city train bridge letter camera island valley rocket pencil guitar "
         "silver golden castle dragon harbor meadow thunder lantern compass voyage puzzle "
         "marble canyon glacier orchard festival journey harvest sunrise sunset horizon "
         "breeze candle meteor nebula falcon tiger panda koala otter walrus salmon cedar "
         "maple willow cactus tulip orchid lemon mango cherry pepper ginger basil honey "
         "bread cheese pasta noodle dumpling kettle teapot blanket pillow ladder hammer "
         "engine signal matrix vector kernel socket packet server cache shard").split()
TAGS = ["tag%d" % i for i in range(30)]


def log(msg):
    print("load: " + msg, file=sys.stderr, flush=True)


def zipf_weights(n, s=1.0):
    return [1.0 / (i + 1) ** s for i in range(n)]


# --- HTTP: one keep-alive connection per thread ------------------------------------------------

class Client:
    def __init__(self, base):
        u = urllib.parse.urlparse(base)
        self.host, self.port = u.hostname, u.port or 80
        self.local = threading.local()

    def _conn(self):
        c = getattr(self.local, "conn", None)
        if c is None:
            c = http.client.HTTPConnection(self.host, self.port, timeout=60)
            self.local.conn = c
        return c

    def call(self, method, path, body=None, token=None):
        """(status, parsed JSON or None). Retries once on a dropped keep-alive connection."""
        headers = {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = "Bearer " + token
        for attempt in (0, 1):
            c = self._conn()
            try:
                c.request(method, path, body=data, headers=headers)
                r = c.getresponse()
                raw = r.read()
                if r.getheader("Connection", "").lower() == "close":
                    c.close()
                    self.local.conn = None
                try:
                    doc = json.loads(raw.decode("utf-8"))
                except ValueError:
                    doc = None
                return r.status, doc
            except (http.client.HTTPException, OSError):
                c.close()
                self.local.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def post(self, path, body, token=None):
        return self.call("POST", "/api/v1/" + path, body, token)


class Errors:
    """Failures counted by kind (printed at the end: a benchmark on a half-made data set would
    mislead)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}
        self.samples = {}

    def add(self, kind, status, doc):
        with self.lock:
            self.counts[kind] = self.counts.get(kind, 0) + 1
            self.samples.setdefault(kind, "%s %s" % (status, json.dumps(doc)[:200]))

    def report(self):
        for k, n in sorted(self.counts.items()):
            log("  %d failed %s (first: %s)" % (n, k, self.samples[k]))


def pmap(fn, items, threads=THREADS):
    with concurrent.futures.ThreadPoolExecutor(max_workers=threads) as ex:
        return list(ex.map(fn, items))


# --- mail --------------------------------------------------------------------------------------

_CODE = re.compile(rb"\b([A-HJ-NP-Z2-8]{8})\b")
_TO = re.compile(rb"^To:\s*(?:.*<)?([^<>\s]+@[^<>\s]+?)>?\s*$", re.M | re.I)


def read_codes(maildir):
    """{address: activation code} of every message in the maildir (one pass; the messages are
    small and plain, so a regexp is enough and far quicker than one email parse per user)."""
    codes = {}
    for sub in ("new", "cur"):
        d = os.path.join(maildir, sub)
        try:
            names = os.listdir(d)
        except OSError:
            continue
        for name in names:
            try:
                with open(os.path.join(d, name), "rb") as f:
                    raw = f.read()
            except OSError:
                continue
            to = _TO.search(raw)
            head, _, body = raw.partition(b"\n\n")
            code = _CODE.search(body)
            if to and code:
                codes[to.group(1).decode().lower()] = code.group(1).decode()
    return codes


# --- the data set ------------------------------------------------------------------------------

def cmd_load(base, maildir, out):
    rnd = random.Random(SEED)
    cl = Client(base)
    errs = Errors()
    os.makedirs(out, exist_ok=True)
    t_all = time.monotonic()
    n = max(USERS, 2)
    names = ["bu%05d" % i for i in range(n)]
    users = [{"username": u, "email": u + "@example.com"} for u in names]

    # 1. Sign-ups, then one pass over the mail spool for the codes, then activations and logins.
    t = time.monotonic()

    def signup(u):
        st, doc = cl.post("account/create", {"username": u["username"], "email": u["email"],
                                             "password": PASSWORD})
        if st == 200:
            u["id"] = doc["data"]["id"]
        else:
            errs.add("account/create", st, doc)
    pmap(signup, users)
    users = [u for u in users if "id" in u]
    deadline = time.monotonic() + 30
    while True:
        codes = read_codes(maildir)
        if all(u["email"] in codes for u in users) or time.monotonic() > deadline:
            break
        time.sleep(0.5)

    def activate(u):
        code = codes.get(u["email"])
        if code is None:
            errs.add("activation mail", 0, u["email"])
            return
        st, doc = cl.post("account/activate", {"username": u["username"],
                                               "activate_code": code})
        if st != 200:
            errs.add("account/activate", st, doc)
            return
        st, doc = cl.post("user/login", {"name": u["username"], "password": PASSWORD})
        if st == 200:
            u["token"] = doc["data"]["token"]
        else:
            errs.add("user/login", st, doc)
    pmap(activate, users)
    users = [u for u in users if "token" in u]
    t_users = time.monotonic() - t
    log("%d users signed up, activated and logged in in %.1fs" % (len(users), t_users))
    if len(users) < 2:
        errs.report()
        sys.exit("load: too few users; see the errors above")

    # 2. Follows, zipf-skewed both ways: a few accounts are followed by most people (popularity
    # by rank), and how many accounts a user follows is heavy-tailed too (Pareto). users[0] is
    # the most popular; the last user is the "heavy" viewer of login-timeline, who follows up to
    # BENCH_HEAVY_FOLLOWS accounts.
    t = time.monotonic()
    n = len(users)
    popw = zipf_weights(n)
    follows = []
    for i, u in enumerate(users):
        if i == n - 1:
            k = min(HEAVY_FOLLOWS, n - 1)
            targets = [j for j in range(n) if j != i][:k]
        else:
            k = min(n - 1, max(3, int(rnd.paretovariate(1.5) * FOLLOWS / 3)))
            chosen = set()
            while len(chosen) < k:
                for j in rnd.choices(range(n), weights=popw, k=k):
                    if j != i:
                        chosen.add(j)
                    if len(chosen) >= k:
                        break
            targets = sorted(chosen)
        u["follows"] = len(targets)
        follows += [(i, j) for j in targets]
    rnd.shuffle(follows)

    def follow(p):
        st, doc = cl.post("user/follow", {"target_username": users[p[1]]["username"], "flag": 1},
                          users[p[0]]["token"])
        if st != 200:
            errs.add("user/follow", st, doc)
    pmap(follow, follows)
    t_follows = time.monotonic() - t
    log("%d follows in %.1fs (%.0f/s)" % (len(follows), t_follows,
                                          len(follows) / max(t_follows, 1e-9)))

    # 3. Posts: authors zipf-skewed (milder: s=0.8), words zipf-skewed, a hashtag on a third of
    # them; 10% of the writes are reposts, 5% quotes, 10% replies of earlier posts (those picked
    # zipf-skewed by age rank: recent and early-popular posts gather the reactions). Written in
    # batches so that the reactions have originals to point at.
    t = time.monotonic()
    total = int(n * POSTS_PER_USER)
    authw = zipf_weights(n, 0.8)
    vocw = zipf_weights(len(VOCAB))
    tagw = zipf_weights(len(TAGS))
    posts = []       # ids of posts and quotes (likeable, repostable)
    kinds = {"post": 0, "repost": 0, "quote": 0, "reply": 0}
    lock = threading.Lock()

    def text(r):
        words = r.choices(VOCAB, weights=vocw, k=r.randint(3, 12))
        if r.random() < 0.33:
            words.append("#" + r.choices(TAGS, weights=tagw)[0])
        return " ".join(words)

    def write(job):
        kind, author, body = job
        tok = users[author]["token"]
        path = {"post": "post/create", "quote": "post/repost", "repost": "post/repost",
                "reply": "post/reply"}[kind]
        st, doc = cl.post(path, body, tok)
        if st != 200:
            errs.add(path + " (" + kind + ")", st, doc)
            return
        with lock:
            kinds[kind] += 1
            if kind in ("post", "quote"):
                posts.append(doc["data"]["id"])
    done = 0
    batch = max(50, total // 20)
    while done < total:
        jobs = []
        for _ in range(min(batch, total - done)):
            author = rnd.choices(range(n), weights=authw)[0]
            x = rnd.random()
            if posts and x < 0.25:
                # recent posts first: index from the end, zipf by recency
                orig = posts[-1 - min(len(posts) - 1, int(rnd.paretovariate(1.2)) - 1)]
                if x < 0.10:
                    jobs.append(("repost", author, {"original_post_id": orig}))
                elif x < 0.15:
                    jobs.append(("quote", author, {"original_post_id": orig,
                                                   "content_text": text(rnd)}))
                else:
                    jobs.append(("reply", author, {"original_post_id": orig,
                                                   "content_text": text(rnd)}))
            else:
                jobs.append(("post", author, {"content_text": text(rnd)}))
        pmap(write, jobs)
        done += len(jobs)
    t_posts = time.monotonic() - t
    log("%d writes (%s) in %.1fs (%.0f/s)" % (
        sum(kinds.values()), ", ".join("%d %ss" % (v, k) for k, v in kinds.items()), t_posts,
        sum(kinds.values()) / max(t_posts, 1e-9)))

    # 4. Likes, zipf-skewed over the posts (in creation order: the first ones are the famous
    # ones) and over the likers' activity; each (user, post) pair once.
    t = time.monotonic()
    postw = zipf_weights(len(posts), 0.9)
    pairs = set()
    want = int(len(posts) * LIKES)
    tries = 0
    while len(pairs) < want and tries < want * 5:
        tries += 1
        pairs.add((rnd.choices(range(n), weights=authw)[0],
                   rnd.choices(range(len(posts)), weights=postw)[0]))

    def like(p):
        st, doc = cl.post("post/like", {"post_id": posts[p[1]], "islike": 1},
                          users[p[0]]["token"])
        if st != 200:
            errs.add("post/like", st, doc)
    pmap(like, sorted(pairs, key=lambda p: rnd.random()))
    t_likes = time.monotonic() - t
    log("%d likes in %.1fs (%.0f/s)" % (len(pairs), t_likes, len(pairs) / max(t_likes, 1e-9)))

    errs.report()
    elapsed = time.monotonic() - t_all
    state = {"users": users, "posts": posts, "follows": len(follows), "likes": len(pairs),
             "writes": kinds, "load_seconds": elapsed,
             "phases": {"users": t_users, "follows": t_follows, "posts": t_posts,
                        "likes": t_likes},
             "errors": errs.counts}
    with open(os.path.join(out, "state.json"), "w") as f:
        json.dump(state, f)
    write_requests(state, out, rnd)
    print("loaded %d users, %d follows, %d posts and quotes (%d writes), %d likes in %.1fs" % (
        len(users), len(follows), len(posts), sum(kinds.values()), len(pairs), elapsed))


# --- what wrk replays --------------------------------------------------------------------------

def write_requests(state, out, rnd):
    """One file per route: the requests wrk cycles through (each wrk thread from its own
    offset), chosen the way readers choose: zipf-skewed over posts, users and viewers."""
    users, posts = state["users"], state["posts"]
    n = len(users)
    bearer = lambda u: "Authorization: Bearer " + u["token"]     # noqa: E731
    cookie = lambda u: "Cookie: starling_token=" + u["token"]    # noqa: E731
    # Viewers: the users following the most accounts (the costly timelines), heavy user aside.
    viewers = sorted(users[:-1], key=lambda u: -u["follows"])[:50]
    popw = zipf_weights(n)
    postw = zipf_weights(len(posts), 0.9)
    vocw = zipf_weights(len(VOCAB))
    pick_user = lambda: rnd.choices(users, weights=popw)[0]                # noqa: E731
    pick_post = lambda: posts[rnd.choices(range(len(posts)), weights=postw)[0]]  # noqa: E731
    m = 4000
    files = {}

    def put(route, lines):
        files[route] = lines
        with open(os.path.join(out, "req-%s.tsv" % route), "w") as f:
            for line in lines:
                f.write("\t".join(line) + "\n")

    put("timeline_home", [("GET", "/api/v1/timeline/home", "", bearer(viewers[i % len(viewers)]))
                          for i in range(len(viewers))])
    put("home_page", [("GET", "/", "", cookie(viewers[i % len(viewers)]))
                      for i in range(len(viewers))])
    # The same viewers on the retwis-shaped peer (retwis.php): its auth cookie is retwis_secret.
    retwis = lambda u: "Cookie: auth=" + hashlib.sha1(                  # noqa: E731
        ("retwis-bench:%s" % u["id"]).encode()).hexdigest()
    put("peer_home", [("GET", "/peer/home.php", "", retwis(viewers[i % len(viewers)]))
                      for i in range(len(viewers))])
    qs = []
    for _ in range(m):
        k = 1 if rnd.random() < 0.7 else 2
        qs.append("+".join(rnd.choices(VOCAB, weights=vocw, k=k)))
    put("search_posts", [("GET", "/api/v1/search/posts?q=" + q, "") for q in qs])
    # Writers: many users, so no one account's lists or counters are the bottleneck.
    put("post_create", [("POST", "/api/v1/post/create",
                         json.dumps({"content_text": "bench create %d %s" % (
                             i, " ".join(rnd.choices(VOCAB, weights=vocw, k=6)))}),
                         "Content-Type: application/json", bearer(users[i % n]))
                        for i in range(m)])
    # Likes and unlikes of the same pairs, in turn, so each request changes something.
    likes = []
    for i in range(m // 2):
        u, p = users[rnd.randrange(n)], pick_post()
        for flag in (1, 0):
            likes.append(("POST", "/api/v1/post/like",
                          json.dumps({"post_id": p, "islike": flag}),
                          "Content-Type: application/json", bearer(u)))
    put("post_like", likes)
    put("user_page", [("GET", "/u/" + pick_user()["username"], "") for _ in range(m)])
    put("post_page", [("GET", "/p/" + pick_post(), "") for _ in range(m)])
    put("post_detail", [("GET", "/api/v1/post/detail?post_id=" + pick_post(), "")
                        for _ in range(m)])
    put("user_profile", [("GET", "/api/v1/user/profile?username=" + pick_user()["username"], "")
                         for _ in range(m)])
    put("post_stats", [("GET", "/api/v1/post/stats?post_ids=" + ",".join(
        sorted({pick_post() for _ in range(20)})), "") for _ in range(m)])
    # The zipf read mix of the hit ratio: the read routes above, shuffled together.
    mix = []
    for route in ("timeline_home", "home_page", "user_page", "post_page", "post_detail",
                  "user_profile", "post_stats", "search_posts"):
        src = files[route]
        mix += [src[rnd.randrange(len(src))] for _ in range(m // 4)]
    rnd.shuffle(mix)
    put("read_mix", mix)


# --- timeline built at login -------------------------------------------------------------------

def mc_command(addr, cmd):
    host, port = addr.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(cmd.encode() + b"\r\n")
        buf = b""
        while not (buf.endswith(b"END\r\n") or buf.endswith(b"DELETED\r\n") or
                   buf.endswith(b"NOT_FOUND\r\n") or buf.endswith(b"ERROR\r\n")):
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
        return buf


def cmd_login_timeline(base, out, mc):
    with open(os.path.join(out, "state.json")) as f:
        state = json.load(f)
    u = state["users"][-1]
    nodes = mc.split(",")
    key = "starling:tl:" + u["id"]          # [memcached] key_prefix is the default
    cl = Client(base)

    def drop():
        for a in nodes:
            mc_command(a, "delete " + key)

    def cached():
        # A value, not a lease's placeholder (its data starts with the tag 'v', lib/store/cache.c).
        return any(b"VALUE " in r and r.split(b"\r\n", 2)[1][:1] == b"v"
                   for r in (mc_command(a, "get " + key) for a in nodes))

    def ms(t):
        return (time.monotonic() - t) * 1000
    rows = []
    for _ in range(3):
        # a) login (queues timeline.build for the worker), then the first page at once: the
        # page builds the list itself if the worker has not yet.
        drop()
        t = time.monotonic()
        st, doc = cl.post("user/login", {"name": u["username"], "password": PASSWORD})
        login = ms(t)
        tok = doc["data"]["token"] if st == 200 else u["token"]
        t1 = time.monotonic()
        st2, _ = cl.call("GET", "/api/v1/timeline/home", token=tok)
        first = ms(t1)
        # b) login, then wait for the worker's build (the list appears in memcached).
        drop()
        t = time.monotonic()
        cl.post("user/login", {"name": u["username"], "password": PASSWORD})
        built = None
        while ms(t) < 10000:
            if cached():
                built = ms(t)
                break
            time.sleep(0.002)
        # c) a cold read without the worker: the page builds the list itself.
        drop()
        t = time.monotonic()
        cl.call("GET", "/api/v1/timeline/home", token=tok)
        cold = ms(t)
        t = time.monotonic()
        cl.call("GET", "/api/v1/timeline/home", token=tok)
        warm = ms(t)
        rows.append((login, first, login + first, built, cold, warm, st, st2))
    med = lambda i: statistics.median(r[i] for r in rows if r[i] is not None)  # noqa: E731
    built_ok = [r[3] for r in rows if r[3] is not None]
    print("timeline built at login, user following %d accounts (medians of %d): "
          "login %.1f ms + first timeline/home %.1f ms = %.1f ms; worker's build done %s "
          "after login; cold timeline/home (the read builds it) %.1f ms, warm %.1f ms%s" % (
              u["follows"], len(rows), med(0), med(1), med(2),
              ("%.0f ms" % statistics.median(built_ok)) if built_ok else "never (10 s)",
              med(4), med(5),
              "" if all(r[6] == 200 and r[7] == 200 for r in rows) else " (errors: statuses %s)"
              % [(r[6], r[7]) for r in rows]))


# --- counters ----------------------------------------------------------------------------------

def cmd_mcstats(mc):
    hits = misses = 0
    for a in mc.split(","):
        for line in mc_command(a, "stats").decode().splitlines():
            f = line.split()
            if len(f) == 3 and f[0] == "STAT" and f[1] == "get_hits":
                hits += int(f[2])
            elif len(f) == 3 and f[0] == "STAT" and f[1] == "get_misses":
                misses += int(f[2])
    print(hits, misses)


# The access log line (logfmt, lib/app/app.c's log_access; a path with a space or quote is quoted).
_LINE = re.compile(r'msg=request method=(\S+) route=\S+ path=("(?:[^"\\]|\\.)*"|\S+) '
                   r'status=(\d+) dur_ms=([0-9.]+) user=\S+ bytes=\d+ mc=(\d+) db=(\d+)')


def cmd_roundtrips(start, end):
    """start and end: "FILE:SIZE ..." (routes.sh's logsize), before and after a route's runs."""
    mcs, dbs, mss, bad = [], [], [], 0
    ends = dict(x.rsplit(":", 1) for x in end.split())
    for item in start.split():
        logfile, a = item.rsplit(":", 1)
        b = int(ends.get(logfile, a))
        try:
            with open(logfile, "rb") as f:
                f.seek(int(a))
                data = f.read(max(0, b - int(a))).decode("utf-8", "replace")
        except OSError:
            continue
        for m in _LINE.finditer(data):
            mcs.append(int(m.group(5)))
            dbs.append(int(m.group(6)))
            mss.append(float(m.group(4)))
            if int(m.group(3)) >= 500:
                bad += 1
    if not mcs:
        print("0 - - - 0")
        return
    print("%d %g %g %.2f %d" % (len(mcs), statistics.median(mcs), statistics.median(dbs),
                                statistics.median(mss), bad))


# --- the fault and overload benchmark's mix ----------------------------------------------------

def instance_of(id_):
    """0 or 1: the MariaDB instance of an ID's shard in the benchmark's stack (8 shards, bits
    12..21 of the ID; shards 0-3 on the first instance, 4-7 on the second)."""
    return 0 if ((int(id_) >> 12) & 1023) < 4 else 1


def cmd_fault_mix(out):
    """OUT/req-fault_mix.tsv for tests/bench/openloop.c: a tag first, then a request list line.
    Anonymous post reads (60%: "r0"/"r1" by the post's instance), post pages (10%: "p0"/"p1"),
    logged-in home timelines (20%: "t", which gather from both instances) and posts (10%:
    "w0"/"w1" by the author's instance), zipf-skewed as the route lists are."""
    with open(os.path.join(out, "state.json")) as f:
        state = json.load(f)
    rnd = random.Random(SEED + 7)
    users, posts = state["users"], state["posts"]
    postw = zipf_weights(len(posts), 0.9)
    viewers = sorted(users[:-1], key=lambda u: -u["follows"])[:50]
    lines = []
    for i in range(20000):
        x = rnd.random()
        if x < 0.7:
            p = posts[rnd.choices(range(len(posts)), weights=postw)[0]]
            if x < 0.6:
                lines.append(("r%d" % instance_of(p), "GET", "/api/v1/post/detail?post_id=" + p,
                              ""))
            else:
                lines.append(("p%d" % instance_of(p), "GET", "/p/" + p, ""))
        elif x < 0.9:
            u = viewers[rnd.randrange(len(viewers))]
            lines.append(("t", "GET", "/api/v1/timeline/home", "",
                          "Authorization: Bearer " + u["token"]))
        else:
            u = users[rnd.randrange(len(users))]
            lines.append(("w%d" % instance_of(u["id"]), "POST", "/api/v1/post/create",
                          json.dumps({"content_text": "fault bench %d" % i}),
                          "Content-Type: application/json", "Authorization: Bearer " + u["token"]))
    with open(os.path.join(out, "req-fault_mix.tsv"), "w") as f:
        for line in lines:
            f.write("\t".join(line) + "\n")


def main(argv):
    cmds = {"load": (cmd_load, 3), "login-timeline": (cmd_login_timeline, 3),
            "fault-mix": (cmd_fault_mix, 1),
            "mcstats": (cmd_mcstats, 1), "roundtrips": (cmd_roundtrips, 2)}
    if len(argv) < 2 or argv[1] not in cmds or len(argv) - 2 != cmds[argv[1]][1]:
        print(__doc__, file=sys.stderr)
        return 2
    cmds[argv[1]][0](*argv[2:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
