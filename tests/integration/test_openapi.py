#!/usr/bin/env python3
"""The API's contract: GET /api/v1/openapi.json serves docs/openapi.json, byte for byte, as
cacheable JSON through the real web server; and the check that holds every API answer of the
tests to it (tests/lib/openapi_check.py) refuses answers the document does not allow.

Usage: test_openapi.py BASE_URL   (run by tests/integration/suite.sh)
"""
import json
import os
import sys

sys.dont_write_bytecode = True   # keep tests/lib free of __pycache__
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import openapi_check  # noqa: E402
from starling_test import (SRCDIR, check, check_common_headers, check_envelope,  # noqa: E402
                           check_eq, check_status, get, request, run_main)

PATH = "/api/v1/openapi.json"


def source():
    with open(os.path.join(SRCDIR, "docs", "openapi.json"), "rb") as f:
        return f.read()


def test_served():
    r = get(PATH)
    check_status(r, 200)
    check_common_headers(r)
    check_eq((r.header("Content-Type") or "").lower().replace(" ", ""),
             "application/json;charset=utf-8", "Content-Type")
    cache = r.header("Cache-Control") or ""
    check("public" in cache and "max-age=3600" in cache, "cacheable: Cache-Control %r" % cache)
    check(r.body == source(), "the body is docs/openapi.json as built (%d bytes, the source %d)"
          % (len(r.body), len(source())))
    doc = json.loads(r.body)
    check_eq(doc["openapi"], "3.1.0", "OpenAPI version")
    check(PATH in doc["paths"] and "/api/v1/post/detail" in doc["paths"],
          "the document lists the routes, itself included")


def test_head_and_methods():
    r = request("HEAD", PATH)
    check_status(r, 200)
    check_eq(r.body, b"", "HEAD has no body")
    r = request("POST", PATH, body=b"{}", headers={"Content-Type": "application/json"})
    check_envelope(r, 405, 40500)
    check("GET" in (r.header("Allow") or ""), "Allow: %r" % r.header("Allow"))


def test_check_refuses():
    """The answers' check is not a rubber stamp: it finds what the document does not allow."""
    ok = {"code": 0, "message": "ok", "data": {"id": "12"}}
    problem = openapi_check.problem
    js = "application/json; charset=utf-8"
    check(problem("POST", "/api/v1/post/create", 200, js, json.dumps(ok).encode()) is None,
          "a new post's id conforms")
    bad = [
        ("a number for an ID", "POST", "/api/v1/post/create", 200,
         {"code": 0, "message": "ok", "data": {"id": 12}}),
        ("a member missing", "GET", "/api/v1/post/detail?post_id=1", 200,
         {"code": 0, "message": "ok", "data": {"id": "1", "type": "post"}}),
        ("an envelope member more", "POST", "/api/v1/post/like", 200,
         {"code": 0, "message": "ok", "data": None, "extra": 1}),
        ("an undocumented error code", "GET", "/api/v1/health", 503,
         {"code": 50399, "message": "x", "data": None}),
        ("a code of another status", "GET", "/api/v1/post/detail?post_id=1", 404,
         {"code": 40004, "message": "x", "data": None}),
        ("an error with data", "GET", "/api/v1/nothing/here", 404,
         {"code": 40400, "message": "x", "data": {}}),
        ("a status not declared", "GET", "/api/v1/health", 302,
         {"code": 0, "message": "ok", "data": None}),
    ]
    for what, method, target, status, body in bad:
        got = problem(method, target, status, js, json.dumps(body).encode())
        check(got is not None, "the check lets %s through" % what)
    check(problem("GET", "/api/v1/health", 200, "text/html", b"<p>") is not None,
          "the check lets a page through as an API answer")
    check(problem("GET", "/help", 200, "text/html", b"<p>") is None, "pages are not checked")


if __name__ == "__main__":
    sys.exit(run_main(__doc__, [test_served, test_head_and_methods, test_check_refuses]))
