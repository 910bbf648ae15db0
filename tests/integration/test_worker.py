"""starling-worker against real servers, started by tests/integration/worker.sh.

Jobs are written into tb_job by hand, as a request leaves them when it cannot run them itself,
and the built worker runs them: a like's missing half is mended; a job that fails is retried
with its back-off and set aside after JOB_MAX_ATTEMPTS with its last error; a job whose runner
died is put back; --once drains every shard and exits; SIGTERM stops an idle worker at once and a
busy one after its job (a second signal too); two workers never run one job twice (200 jobs);
old done jobs and expired idempotency keys are cleaned up, fresh ones kept; a MariaDB instance
or memcached going down does not stop the worker.

Environment (from worker.sh): STARLING_TEST_RUN (the run directory, with shard-sql),
STARLING_TEST_CONF, STARLING_TEST_WORKER (the binary), STARLING_TEST_MYSQL_PORTS.
"""

import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from starling_test import SRCDIR, Failure, check, check_eq, logfmt, run_tests  # noqa: E402

RUN = os.environ.get("STARLING_TEST_RUN", "")
CONF = os.environ.get("STARLING_TEST_CONF", "")
WORKER = os.environ.get("STARLING_TEST_WORKER", "")
MYSQL_PORTS = os.environ.get("STARLING_TEST_MYSQL_PORTS", "").split()
SHARDS = 8
JOB_MAX_ATTEMPTS = 8          # lib/social/job.h
JOB_BACKOFF_BASE, JOB_BACKOFF_MAX = 10, 3600
DAY = 86400


# --- the databases -----------------------------------------------------------------------------

def sql(shard, statements):
    """Runs statements in shard's database as root; the rows, as lists of strings."""
    out = subprocess.run([os.path.join(RUN, "shard-sql"), str(shard), statements], check=True,
                         capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines()]


def one(shard, query):
    rows = sql(shard, query)
    return rows[0][0] if rows else None


def job_row(shard, job):
    rows = sql(shard, "SELECT state, attempts, run_after, last_error, locked_by FROM tb_job "
               "WHERE id = %d" % job)
    check(rows, "job %d is on shard %d" % (job, shard))
    state, attempts, run_after, last_error, locked_by = rows[0]
    return {"state": int(state), "attempts": int(attempts), "run_after": int(run_after),
            "last_error": last_error, "locked_by": locked_by}


_seq = [0]
ID_EPOCH_MS = 1767225600000


def new_id(shard):
    """An ID of shard (lib/base/id.h layout) that no running process makes: worker number 255."""
    _seq[0] += 1
    ms = int(time.time() * 1000) - ID_EPOCH_MS - 10000 + _seq[0] // 16
    return (ms << 22) | (shard << 12) | (255 << 4) | (_seq[0] % 16)


def queue(shard, type_, payload, state=0, run_after=None, **cols):
    """A tb_job row on shard as job_queue writes it (payload: JSON text). Returns its ID."""
    job = new_id(shard)
    now = int(time.time())
    values = {"id": job, "type": "'%s'" % type_, "payload": "'%s'" % payload, "state": state,
              "run_after": now if run_after is None else run_after, "created_at": now,
              "updated_at": now}
    values.update(cols)
    sql(shard, "INSERT INTO tb_job (%s) VALUES (%s)" % (
        ", ".join(values), ", ".join(str(v) for v in values.values())))
    return job


def harmless(shard, other=None):
    """A job of shard that succeeds without data: the like of a post (on shard other) that does
    not exist. Nothing to mirror, but the handler reads and writes both shards all the same."""
    other = (shard + 3) % SHARDS if other is None else other
    return queue(shard, "like.sync", '{"liker_id":"%d","record_id":"%d"}'
                 % (new_id(shard), new_id(other)))


# --- the worker --------------------------------------------------------------------------------

def once(timeout=60):
    """Runs the worker --once; its exit status and log."""
    p = subprocess.run([WORKER, "--once", "--conf", CONF], capture_output=True, text=True,
                       timeout=timeout)
    return p.returncode, p.stderr


class Daemon:
    """The worker as a daemon, its log in RUN/name.log."""

    def __init__(self, name="daemon"):
        self.log_path = os.path.join(RUN, name + ".log")
        self.pid_file = os.path.join(RUN, name + ".pid")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([WORKER, "--conf", CONF, "--pid-file", self.pid_file],
                                     stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log)
        wait_for(lambda: "started (daemon)" in self.text(), 10, "the worker starts")

    def text(self):
        with open(self.log_path) as f:
            return f.read()

    def stop(self, signals=1, timeout=10):
        """Sends SIGTERM (signals times); returns the exit status and the seconds it took."""
        t0 = time.monotonic()
        for _ in range(signals):
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self.log.close()
        return rc, time.monotonic() - t0


def wait_for(cond, timeout, what):
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise Failure("timed out after %ss waiting until %s" % (timeout, what))
        time.sleep(0.02)


def alive(pid):
    """Whether process pid runs (a zombie does not)."""
    try:
        with open("/proc/%d/status" % pid) as f:
            return "State:\tZ" not in f.read()
    except FileNotFoundError:
        return False


def done(shard, job):
    return job_row(shard, job)["state"] == 2


# --- tests -------------------------------------------------------------------------------------

def test_once_drains_every_shard():
    jobs = [(s, harmless(s)) for s in range(SHARDS) for _ in range(3)]
    rc, log = once()
    check_eq(rc, 0, "exit status of --once (log: %s)" % log)
    for s, j in jobs:
        check_eq(job_row(s, j)["state"], 2, "job %d of shard %d done" % (j, s))
        check("job %d like.sync (shard %d) done" % (j, s) in log, "job %d logged" % j)
    check("started (once)" in log and "stopped" in log, "start and stop logged: " + log)


def test_like_left_by_a_request_is_mended_soon():
    """A like whose job the request could not run: the post's shard lacks its half."""
    author, liker = new_id(5), new_id(2)
    post, like = new_id(5), new_id(2)
    sql(5, "INSERT INTO tb_post (id, user_id, created_at) VALUES (%d, %d, 1);"
        "INSERT INTO tb_post_extended (post_id, user_id) VALUES (%d, %d)"
        % (post, author, post, author))
    sql(2, "INSERT INTO tb_post_like (id, record_id, liker_id, created_at) VALUES (%d, %d, %d, 7)"
        % (like, post, liker))
    d = Daemon()
    try:
        time.sleep(0.5)                             # idle: the job arrives while it sleeps
        t0 = time.monotonic()
        job = queue(2, "like.sync", '{"liker_id":"%d","record_id":"%d"}' % (liker, post))
        wait_for(lambda: done(2, job), 5, "the worker runs the like's job")
        took = time.monotonic() - t0
        check(took < 1.5, "run %.2fs after it was queued (poll_ms is 200)" % took)
        check_eq(sql(5, "SELECT liker_id, like_id FROM tb_post_like_reversed WHERE record_id = %d"
                     % post), [[str(liker), str(like)]], "the reversed row")
        check_eq(one(5, "SELECT count_likes FROM tb_post_extended WHERE post_id = %d" % post),
                 "1", "count_likes")
    finally:
        rc, took = d.stop()
    check_eq(rc, 0, "exit status after SIGTERM while idle")
    check(took < 2, "an idle worker stops at once (%.2fs)" % took)
    check(not os.path.exists(d.pid_file), "pid file removed")
    log = d.text()
    check("job %d like.sync (shard 2) done" % job in log, "the job logged: " + log)
    check("stopping: SIGTERM received" in log and " msg=stopped" in log,
          "the stop logged: " + log[-300:])


def test_failing_job_backs_off_then_is_set_aside():
    # A payload naming a shard that does not exist: the handler fails each time.
    job = queue(1, "like.sync", '{"liker_id":"%d","record_id":"%d"}' % (new_id(1000), new_id(4)))
    for attempt in range(1, JOB_MAX_ATTEMPTS + 1):
        before = int(time.time())
        rc, log = once()
        check_eq(rc, 0, "a failing job is not the worker's failure (attempt %d)" % attempt)
        row = job_row(1, job)
        check_eq(row["attempts"], attempt, "attempts")
        check("like.sync: cannot read the source" in row["last_error"],
              "last_error: %r" % row["last_error"])
        check("job %d like.sync (shard 1, attempt %d): like.sync: cannot read the source"
              % (job, attempt) in log, "the failure logged with the job's ID and type: " + log)
        check("liker_id" not in log, "no payload in the log")
        if attempt < JOB_MAX_ATTEMPTS:
            check_eq(row["state"], 0, "ready again after attempt %d" % attempt)
            wait = min(JOB_BACKOFF_BASE * 2 ** (attempt - 1), JOB_BACKOFF_MAX)
            check(before + wait - 1 <= row["run_after"] <= int(time.time()) + wait + 1,
                  "attempt %d: run_after %d, want about now + %d" % (attempt, row["run_after"],
                                                                     wait))
            # Not before its run_after...
            rc, _ = once()
            check_eq(job_row(1, job)["attempts"], attempt, "not retried before run_after")
            # ...and the test does not wait that long.
            sql(1, "UPDATE tb_job SET run_after = 0 WHERE id = %d" % job)
    check_eq(row["state"], 3, "set aside after %d attempts" % JOB_MAX_ATTEMPTS)
    sql(1, "UPDATE tb_job SET run_after = 0 WHERE id = %d" % job)
    row = job_row(1, job)
    once()
    check_eq(job_row(1, job), row, "a job set aside is never run again, its error kept")

    # An unknown type cannot succeed later: set aside at once.
    job = queue(6, "no.such.type", "{}")
    once()
    row = job_row(6, job)
    check_eq((row["state"], row["attempts"]), (3, 1), "unknown type")
    check_eq(row["last_error"], "unknown job type no.such.type", "its error")


def test_abandoned_job_is_put_back_and_run():
    now = int(time.time())
    stale = harmless(3)
    sql(3, "UPDATE tb_job SET state = 1, locked_by = 'ghost:1', locked_at = %d WHERE id = %d"
        % (now - 10 * DAY, stale))
    held = harmless(3)                     # a runner holds it right now: not taken from it
    sql(3, "UPDATE tb_job SET state = 1, locked_by = 'alive:1', locked_at = %d WHERE id = %d"
        % (now, held))
    rc, log = once()
    check_eq(rc, 0, "exit status")
    row = job_row(3, stale)
    check_eq((row["state"], row["attempts"]), (2, 1), "put back, counted, then done")
    check("1 job(s) put back" in log, "logged: " + log)
    check_eq(job_row(3, held)["state"], 1, "a job claimed just now is left to its runner")
    sql(3, "DELETE FROM tb_job WHERE id = %d" % held)


def test_cleanup_keeps_fresh_rows():
    now = int(time.time())
    old_done = queue(4, "like.sync", "{}", state=2, updated_at=now - 2 * DAY)
    new_done = queue(4, "like.sync", "{}", state=2, updated_at=now - 60)
    old_failed = queue(4, "like.sync", "{}", state=3, updated_at=now - 30 * DAY)
    user = new_id(4)
    sql(4, "INSERT INTO tb_idempotency_key (user_id, idem_key, created_at) VALUES "
        "(%d, 'old', %d), (%d, 'new', %d)" % (user, now - 2 * DAY, user, now - 60))
    rc, log = once()
    check_eq(rc, 0, "exit status")
    ids = {int(r[0]) for r in sql(4, "SELECT id FROM tb_job WHERE id IN (%d, %d, %d)"
                                  % (old_done, new_done, old_failed))}
    check_eq(ids, {new_done, old_failed}, "done a day ago deleted; fresh and failed kept")
    check_eq(sql(4, "SELECT idem_key FROM tb_idempotency_key WHERE user_id = %d" % user),
             [["new"]], "the expired key deleted, the fresh one kept")
    check("shard 4: deleted" in log, "logged: " + log)


def test_two_workers_run_each_job_once():
    a, b = Daemon("worker-a"), Daemon("worker-b")
    stopped = None
    try:
        # All at once (one statement per shard), with both workers polling. The IDs in the
        # payloads differ by their time field (seq << 22), so their shard stays the same.
        # Enough jobs that one worker cannot run them all before the other's first poll, even
        # on a loaded machine (with 200, one worker once ran every job under CI's load).
        n = 600
        first = new_id(0)
        for s in range(SHARDS):
            sql(s, "INSERT INTO tb_job (id, type, payload, run_after, created_at) SELECT "
                "%d + seq, 'like.sync', CONCAT('{\"liker_id\":\"', %d + (seq << 22), "
                "'\",\"record_id\":\"', %d + (seq << 22), '\"}'), 0, 1 FROM seq_1_to_%d"
                % (first + s * 1000, new_id(s), new_id((s + 1) % SHARDS), n // SHARDS))
        jobs = {(s, first + s * 1000 + k) for s in range(SHARDS) for k in range(1, n // SHARDS + 1)}

        def count_done():
            return sum(int(one(s, "SELECT COUNT(*) FROM tb_job WHERE state = 2 AND id BETWEEN "
                                  "%d AND %d" % (first + s * 1000, first + s * 1000 + 999)))
                       for s in range(SHARDS))
        # Stop one worker in the middle of the run, once both have run jobs, twice: it
        # finishes its job and exits 0.
        def ran(d):
            return sum(1 for line in d.text().splitlines()
                       if " like.sync (shard " in line and " done in " in line)
        wait_for(lambda: ran(a) > 0 and ran(b) > 0, 60, "both workers ran a job")
        stopped = a.stop(signals=2)
        wait_for(lambda: count_done() == n, 120, "every job ran")
    finally:
        if stopped is None:
            stopped = a.stop()
        rc_b, _ = b.stop()
    check_eq(stopped[0], 0, "worker a's exit status after two SIGTERMs")
    check_eq(rc_b, 0, "worker b's exit status")
    ours = {j for _, j in jobs}
    runs = {}
    by = {}
    for name, d in (("a", a), ("b", b)):
        for line in d.text().splitlines():
            msg = logfmt(line).get("msg", "")
            if " like.sync (shard " in msg and msg.endswith("ms") and " done in " in msg:
                job = int(msg.split("job ")[1].split(" ")[0])
                if job in ours:
                    runs[job] = runs.get(job, 0) + 1
                    by[name] = by.get(name, 0) + 1
    check_eq(sorted(runs), sorted(ours), "every job ran")
    check_eq({j: c for j, c in runs.items() if c != 1}, {}, "jobs run more than once")
    check(by.get("a", 0) > 0 and by.get("b", 0) > 0, "both workers ran jobs: %r" % by)
    holders = {r[0] for s in range(SHARDS) for r in sql(
        s, "SELECT DISTINCT locked_by FROM tb_job WHERE id BETWEEN %d AND %d"
        % (first + s * 1000, first + s * 1000 + 999))}
    check_eq(len(holders), 2, "two runners recorded: %r" % holders)
    check_eq(sum(int(one(s, "SELECT COUNT(*) FROM tb_job WHERE (state <> 2 OR attempts <> 0) AND "
                         "id BETWEEN %d AND %d" % (first + s * 1000, first + s * 1000 + 999)))
                 for s in range(SHARDS)), 0, "no job running, failed or retried")


def stack(*command):
    """Runs a script/lib/stack.sh function."""
    subprocess.run(["sh", "-c", '. "$0/script/lib/stack.sh"; "$@"', SRCDIR] + list(command),
                   check=True, env=dict(os.environ, STACK_QUIET="1"))


def test_survives_a_database_and_memcached_down():
    d = Daemon()
    try:
        stack("stack_stop", os.path.join(RUN, "mariadb-1"), "mariadb")
        wait_for(lambda: "shard(s) cannot be read" in d.text(), 15, "the worker notices")
        # The shards of the instance that is up (0-3) still have their jobs run.
        job = harmless(0, 3)
        wait_for(lambda: done(0, job), 30, "a job of a shard that is up runs")
        stack("stack_stop", os.path.join(RUN, "memcached-0"), "memcached")
        job = harmless(1, 2)                       # its handler deletes a cache key
        wait_for(lambda: done(1, job), 30, "a job runs with memcached down")
        stack("stack_mariadb_start", os.path.join(RUN, "mariadb-1"), MYSQL_PORTS[1])
        job = harmless(6)
        wait_for(lambda: done(6, job), 30, "the shards of the instance back have their jobs run")
        wait_for(lambda: "every shard can be read again" in d.text(), 15, "recovery logged")
        check(d.proc.poll() is None, "the worker still runs")
    finally:
        rc, _ = d.stop()
    check_eq(rc, 0, "exit status")


def stmt_executed(shard):
    """Prepared statements executed so far by the MariaDB instance of shard (the worker's; the
    tests' own SQL goes through the mysql client, which prepares nothing)."""
    return int(sql(shard, "SHOW GLOBAL STATUS LIKE 'Com_stmt_execute'")[0][1])


def test_idle_poll_is_one_statement_per_instance():
    """An idle worker asks each instance once per poll (poll_ms 200), not once per shard: 8 shards
    over 2 instances used to cost 4 statements per instance per poll."""
    firsts = [0, SHARDS // 2]                      # one shard of each instance (even split)
    d = Daemon()
    try:
        time.sleep(1.5)                            # the start-up tasks (reap, trends, clean-up)
        before = [stmt_executed(s) for s in firsts]
        t0 = time.monotonic()
        time.sleep(2)
        after = [stmt_executed(s) for s in firsts]
        polls = (time.monotonic() - t0) / 0.2 + 1
    finally:
        rc, _ = d.stop()
    check_eq(rc, 0, "exit status")
    for s, b, a in zip(firsts, before, after):
        # At most one per poll, with room for a job that came due meanwhile (a few statements).
        check(a - b <= polls + 8, "instance of shard %d: %d statements in %.0f polls"
              % (s, a - b, polls))
        check(a - b >= 1, "instance of shard %d: the idle worker still polls it" % s)


def test_worker_ctl():
    """$STARLING_TEST_WORKER_CTL, as the integration suite's tests use it."""
    ctl = os.environ["STARLING_TEST_WORKER_CTL"]
    pid_file = os.path.join(RUN, "worker.pid")
    subprocess.run([ctl, "start"], check=True, timeout=30)
    with open(pid_file) as f:
        pid = int(f.read())
    check(alive(pid), "started")
    check_eq(subprocess.run([ctl, "start"], capture_output=True).returncode, 1,
             "a second start is refused")
    job = harmless(7)
    wait_for(lambda: done(7, job), 10, "the started worker runs a job")
    subprocess.run([ctl, "stop"], check=True, timeout=30)
    check(not os.path.exists(pid_file), "pid file gone after stop")
    check(not alive(pid), "stopped")
    job = harmless(7)
    time.sleep(0.5)
    check_eq(job_row(7, job)["state"], 0, "stopped: the job waits")
    subprocess.run([ctl, "once"], check=True, timeout=60)
    check_eq(job_row(7, job)["state"], 2, "once ran it")
    subprocess.run([ctl, "stop"], check=True, timeout=30)   # not running: nothing to do
    check_eq(subprocess.run([ctl, "restart"], capture_output=True).returncode, 2, "usage")


TESTS = [test_worker_ctl, test_idle_poll_is_one_statement_per_instance,
         test_once_drains_every_shard, test_like_left_by_a_request_is_mended_soon,
         test_failing_job_backs_off_then_is_set_aside, test_abandoned_job_is_put_back_and_run,
         test_cleanup_keeps_fresh_rows, test_two_workers_run_each_job_once,
         test_survives_a_database_and_memcached_down]


if __name__ == "__main__":
    if not (RUN and CONF and WORKER):
        print(__doc__)
        sys.exit(2)
    sys.exit(run_tests(TESTS, sys.argv[2] if len(sys.argv) > 2 and sys.argv[1] == "-k" else ""))
