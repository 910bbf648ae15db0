#!/usr/bin/env python3
"""Password hashes through the real stack: new accounts get argon2id at the configured cost; a
PBKDF2 hash of an earlier release still logs in and is replaced by argon2id at that login; a wrong
password changes nothing; a damaged hash refuses the login (401) and is logged.

Usage: test_passwords.py BASE_URL   (run by tests/integration/suite.sh)
"""
import base64
import hashlib
import os
import re
import sys
import time

sys.dont_write_bytecode = True   # keep tests/lib free of __pycache__
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from starling_test import (api_post, app_log_text, check, check_envelope, check_eq,  # noqa: E402
                           new_user, run_main, run_sql)
from codes import UNAUTHORIZED  # noqa: E402

# The test stack's cost (tests/integration/suite.sh: STACK_ARGON2_PASSES, STACK_ARGON2_MEMORY_KIB).
ARGON2 = re.compile(r"^\$argon2id\$v=19\$m=1024,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$")


def stored(user):
    rows = run_sql("SELECT password_hash FROM tb_user WHERE id = %s" % user["id"])
    check_eq(len(rows), 1, "one tb_user row for %s" % user["username"])
    return rows[0][0]


def set_stored(user, text):
    # As hex: run_sql goes through a shell, where '$' means something.
    run_sql("UPDATE tb_user SET password_hash = CONVERT(UNHEX('%s') USING ascii) WHERE id = %s"
            % (text.encode().hex(), user["id"]))


def pbkdf2(password, iterations=1000):
    """The string an earlier release stored (lib/base/password.h)."""
    salt = os.urandom(16)
    key = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations, 32)
    return "pbkdf2-sha256$%d$%s$%s" % (iterations, base64.b64encode(salt).decode(),
                                       base64.b64encode(key).decode())


def login(user, password, status=200, code=0):
    r = api_post("user/login", {"name": user["username"], "password": password})
    return check_envelope(r, status, code)


def test_new_account_hash_is_argon2id():
    u = new_user()
    check(ARGON2.match(stored(u)), "sign-up stored %r" % stored(u)[:40])
    login(u, u["password"])


def test_pbkdf2_hash_logs_in_and_is_replaced():
    u = new_user()
    old = pbkdf2(u["password"])
    set_stored(u, old)
    login(u, u["password"] + "x", 401, UNAUTHORIZED)
    check_eq(stored(u), old, "a wrong password leaves the PBKDF2 hash")
    login(u, u["password"])
    now = stored(u)
    check(ARGON2.match(now), "after the login the hash is argon2id: %r" % now[:40])
    login(u, u["password"])
    check_eq(stored(u), now, "an argon2id hash of today's cost is kept")


def test_other_cost_is_replaced():
    u = new_user(password="correct horse 42")
    # The reference implementation's hash of this password at m=64,t=2 (A_HORSE in
    # tests/unit/test_password.c): it verifies, and the login replaces it at today's cost.
    set_stored(u, "$argon2id$v=19$m=64,t=2,p=1$MDEyMzQ1Njc4OWFiY2RlZg$"
                  "afC0PCd20NMfPg9ZU4oq9qIT93v80bz0uPNwYzTHrvc")
    login(u, "correct horse 42")
    check(ARGON2.match(stored(u)), "the m=64 hash was replaced at today's cost: %r" %
          stored(u)[:40])


def test_damaged_hash_refuses_login():
    u = new_user()
    damaged = "$argon2id$v=19$m=4194304,t=1,p=1$MDEyMzQ1Njc4OWFiY2RlZg$" \
              "LSf8dWS2rDg/5QPLiItELqsao0qJtl8C2FnmF6Ddpms"
    set_stored(u, damaged)
    login(u, u["password"], 401, UNAUTHORIZED)
    check_eq(stored(u), damaged, "a damaged hash is left for the operator")
    want = "user %s: the stored password hash is malformed" % u["id"]
    for _ in range(50):   # the line is written after the answer
        if want in app_log_text():
            break
        time.sleep(0.1)
    check(want in app_log_text(), "logged: %r" % want)


if __name__ == "__main__":
    sys.exit(run_main(__doc__, [test_new_account_hash_is_argon2id,
                                test_pbkdf2_hash_logs_in_and_is_replaced,
                                test_other_cost_is_replaced,
                                test_damaged_hash_refuses_login]))
