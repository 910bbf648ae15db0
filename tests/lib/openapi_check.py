"""Every /api/v1 answer the tests receive, held to docs/openapi.json (the API's contract).

starling_test.request() hands each response here; problem() says what in it the document does not
allow (None: nothing), and the test fails with that. So the document cannot drift from what the
binaries answer: a member renamed, a type changed, a status or an error code left undocumented
shows in the first test that meets it.

What is checked, for a path under /api/v1/ (the query left out):
  - a documented route and method: the body against the schema of the response for that status
    ("200", else "4XX"/"5XX", else "default"); a status the operation does not declare is a
    problem. Error envelopes must also carry a code whose status is the HTTP status (code / 100).
  - any other path or method (404, 405): the body must be the documented Error envelope.
  - HEAD answers and empty bodies have nothing to check. A 4xx or 5xx that is not JSON comes from
    the web server itself (a body over its limit, a gateway timeout), not from Starling: skipped.
    A 2xx that is not JSON is a problem.

Schemas are JSON Schema 2020-12 (OpenAPI 3.1), validated with python3-jsonschema (Debian's 4.10
or later): each check validates against {"$ref": <the schema's JSON pointer>} inside the whole
document, so the document's own "#/components/..." references resolve without any resolver API.
"""

import json
import os

SRCDIR = os.environ.get("STARLING_SRCDIR") or os.path.abspath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
PREFIX = "/api/v1/"

_doc = None
_validators = {}


def document():
    """docs/openapi.json, parsed once."""
    global _doc
    if _doc is None:
        with open(os.path.join(SRCDIR, "docs", "openapi.json"), encoding="utf-8") as f:
            _doc = json.load(f)
    return _doc


def _escape(token):
    return token.replace("~", "~0").replace("/", "~1")


def _validator(pointer):
    """A validator of the schema at JSON pointer (a "#/..." string) in the document."""
    v = _validators.get(pointer)
    if v is None:
        import jsonschema  # python3-jsonschema; only the API checks need it
        root = dict(document())
        root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        root["$ref"] = pointer
        v = jsonschema.Draft202012Validator(root)
        _validators[pointer] = v
    return v


def _response_pointer(path, method, status):
    """(pointer to the JSON schema of the answer, None) or (None, why there is none)."""
    doc = document()
    op = doc.get("paths", {}).get(path, {}).get(method.lower())
    if op is None:
        return "#/components/schemas/Error", None
    responses = op.get("responses", {})
    for key in (str(status), "%dXX" % (status // 100), "default"):
        if key in responses:
            break
    else:
        return None, "status %d is not declared for %s %s" % (status, method, path)
    pointer = "#/paths/%s/%s/responses/%s" % (_escape(path), method.lower(), key)
    resp = responses[key]
    if "$ref" in resp:
        pointer = resp["$ref"]
        resp = doc
        for token in pointer[2:].split("/"):
            resp = resp[token.replace("~1", "/").replace("~0", "~")]
    if "application/json" not in resp.get("content", {}):
        return None, "the document declares no JSON body for status %d of %s %s" % (
            status, method, path)
    return pointer + "/content/application~1json/schema", None


def problem(method, target, status, content_type, body):
    """What docs/openapi.json does not allow in this answer to method target (the request line's
    target, query included), as one line; None when it conforms or is not an API answer."""
    path = target.split("?", 1)[0]
    if not path.startswith(PREFIX) or method == "HEAD" or not body:
        return None
    if not (content_type or "").lower().startswith("application/json"):
        if status >= 400:
            return None
        return "openapi: a %d answer that is not JSON (%r)" % (status, content_type)
    try:
        answer = json.loads(body.decode("utf-8"))
    except ValueError as e:
        return "openapi: the body is not JSON (%s)" % e
    pointer, why = _response_pointer(path, method, status)
    if pointer is None:
        return "openapi: " + why
    errors = list(_validator(pointer).iter_errors(answer))
    if errors:
        import jsonschema.exceptions
        e = jsonschema.exceptions.best_match(errors)
        where = "/".join(str(p) for p in e.absolute_path) or "(the body)"
        return "openapi: %s: %s (schema %s; %d problem(s)); body: %.300s" % (
            where, e.message[:300], pointer, len(errors), body)
    code = answer.get("code") if isinstance(answer, dict) else None
    if status >= 400 and isinstance(code, int) and code // 100 != status:
        return "openapi: code %d with HTTP status %d" % (code, status)
    return None
