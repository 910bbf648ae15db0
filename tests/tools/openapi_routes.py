#!/usr/bin/env python3
"""tests/tools/openapi_routes.py: docs/openapi.json declares exactly the /api/v1 routes of the
route tables (cgi-bin/*/main.c), each with the same method, parameters, types, limits, required
flags and choices, and a login where the table's flags ask for one; and the other way round.

The tables are read from the C source, not from a binary: a route added, a limit changed or a
parameter renamed in main.c fails this until the document says the same. Macros used as limits
(TEXT_PARAM_MAX, TZ_NAME_MAX...) are resolved from the #defines of cgi-bin/ and lib/; one that
cannot be resolved is a failure, never a guess. A last step mutates a copy of the document and
checks that the comparison notices, so this test cannot pass by comparing nothing.

Usage: openapi_routes.py (make check sets STARLING_SRCDIR). Prints PASS/FAIL lines, exit 0 or 1.
"""
import copy
import glob
import json
import os
import re
import sys

SRCDIR = os.environ.get("STARLING_SRCDIR") or os.path.join(os.path.dirname(__file__), "..", "..")
DOC = os.path.join(SRCDIR, "docs", "openapi.json")
ID_REF = "#/components/schemas/Id"
CURSOR_REF = "#/components/schemas/CursorParam"

DEFINE = re.compile(r"^#define\s+([A-Z_][A-Z0-9_]*)\s+(.+?)\s*(?:/\*.*)?$", re.M)
CHOICES = re.compile(r"static const char \*const (\w+)\[\]\s*=\s*\{([^}]*)\};")
SPECS = re.compile(r"static const struct param_spec (\w+)\[\]\s*=\s*\{(.*?)\n\};", re.S)
ROUTES = re.compile(r"static const struct route routes\[\]\s*=\s*\{(.*?)\n\};", re.S)
BRACED = re.compile(r"\{([^{}]*)\}")


def strip_comments(text):
    return re.sub(r"/\*.*?\*/", " ", text, flags=re.S)


def read_defines():
    """{NAME: replacement text} from every header of lib/*/ and every file of cgi-bin/."""
    defs = {}
    for path in sorted(glob.glob(os.path.join(SRCDIR, "lib", "*", "*.h")) +
                       glob.glob(os.path.join(SRCDIR, "cgi-bin", "*", "*.[ch]"))):
        with open(path, encoding="utf-8") as f:
            for name, value in DEFINE.findall(f.read()):
                defs.setdefault(name, value.strip())
    return defs


def number(expr, defs, depth=0):
    """The value of a limit: a number, a macro, or +, -, * and parentheses of them."""
    if depth > 10:
        raise ValueError("macro nesting too deep: %s" % expr)
    tokens = re.findall(r"[A-Za-z_]\w*|\d+|[-+*()]", expr)
    out = []
    for t in tokens:
        if re.fullmatch(r"[A-Za-z_]\w*", t):
            if t not in defs:
                raise ValueError("cannot resolve %s" % t)
            out.append("(%d)" % number(defs[t], defs, depth + 1))
        else:
            out.append(t)
    return int(eval("".join(out), {"__builtins__": {}}))  # digits and operators only


def flag_bits(expr, defs):
    """The ROUTE_* names that a route's flags expression sets, macros expanded."""
    names = set()
    for t in re.findall(r"[A-Za-z_]\w*", expr):
        if t.startswith("ROUTE_"):
            names.add(t)
        elif t in defs:
            names |= flag_bits(defs[t], defs)
        else:
            raise ValueError("cannot resolve flag %s" % t)
    return names


def entries(body, defs, depth=0):
    """The braced entries of a param_spec table's body, macros expanded: one naming an entry
    (IDEM_KEY) or a list of them (MEDIA_PARAMS: MEDIA_1, ALT_1, ...). An unknown name yields ""
    (an unreadable entry for the caller)."""
    if depth > 10:
        raise ValueError("macro nesting too deep: %s" % body)
    for t in re.findall(r"\{[^{}]*\}|[A-Z_][A-Z0-9_]*", body):
        if t.startswith("{"):
            yield t
        elif t != "PARAM_END":
            value = defs.get(t, "")
            if value.startswith("{") and BRACED.fullmatch(value):
                yield value
            elif value:
                yield from entries(value, defs, depth + 1)
            else:
                yield ""


def parse_tables():
    """[(method, path, flags, {name: spec})] of every /api/v1 route, spec a dict with type,
    required, min, max and choices."""
    defs = read_defines()
    routes = []
    for path in sorted(glob.glob(os.path.join(SRCDIR, "cgi-bin", "*", "main.c"))):
        with open(path, encoding="utf-8") as f:
            text = strip_comments(f.read())
        choices = {n: re.findall(r'"([^"]*)"', body) for n, body in CHOICES.findall(text)}
        specs = {}
        for name, body in SPECS.findall(text):
            params = {}
            for t in entries(body, defs):
                m = BRACED.fullmatch(t.strip())
                if m is None:
                    raise ValueError("%s: %s: unreadable entry %r" % (path, name, t))
                f = [x.strip() for x in m.group(1).split(",")]
                if f[0] == "NULL":
                    continue
                params[f[0].strip('"')] = {
                    "type": f[1], "required": "PARAM_REQUIRED" in f[2],
                    "min": number(f[3], defs), "max": number(f[4], defs),
                    "choices": choices.get(f[5]) if f[5] != "NULL" else None,
                }
            specs[name] = params
        table = ROUTES.search(text)
        if table is None:
            raise ValueError("%s: no route table" % path)
        for m in BRACED.finditer(table.group(1)):
            f = [x.strip() for x in m.group(1).split(",")]
            if len(f) != 6 or not f[1].startswith('"/api/v1/'):
                continue
            method = f[0].replace("HTTP_", "").lower()
            params = {} if f[4] == "NULL" else specs[f[4]]
            routes.append((method, f[1].strip('"'), flag_bits(f[2], defs) if f[2] != "0" else set(),
                           params))
    return routes


def declared_params(op, raw):
    """{name: (schema, required)} of an operation: its query parameters (GET, or a raw body),
    or its request body's JSON properties; and the problems in how they are declared."""
    problems = []
    if op.get("requestBody") and not raw:
        content = op["requestBody"].get("content", {})
        schema = content.get("application/json", {}).get("schema", {})
        form = content.get("application/x-www-form-urlencoded", {}).get("schema")
        if form != schema:
            problems.append("the form body's schema differs from the JSON body's")
        req = set(schema.get("required", []))
        return {n: (s, n in req) for n, s in schema.get("properties", {}).items()}, problems
    found = {}
    for p in op.get("parameters", []):
        if p.get("in") == "query":
            found[p["name"]] = (p.get("schema", {}), bool(p.get("required")))
    return found, problems


def compare_param(name, spec, schema, required):
    """What differs between a param_spec and its schema (empty list: nothing)."""
    want = {"PARAM_STRING": {"type": "string"}, "PARAM_INT": {"type": "integer"},
            "PARAM_BOOL": {"type": "boolean"}, "PARAM_ID": {"$ref": ID_REF},
            "PARAM_CURSOR": {"$ref": CURSOR_REF},
            "PARAM_ENUM": {"type": "string", "enum": spec["choices"]}}[spec["type"]]
    if spec["type"] == "PARAM_STRING":
        want["maxLength"] = spec["max"]
        if spec["min"] > 0:
            want["minLength"] = spec["min"]
    elif spec["type"] == "PARAM_INT":
        want["minimum"], want["maximum"] = spec["min"], spec["max"]
    got = {k: v for k, v in schema.items() if k not in ("description", "examples", "default")}
    problems = []
    if got != want:
        problems.append("%s: schema %s, the table says %s" % (name, json.dumps(got),
                                                              json.dumps(want)))
    if required != spec["required"]:
        problems.append("%s: required %s, the table says %s" % (name, required, spec["required"]))
    return problems


def compare(doc, routes):
    """Every difference between the document and the tables, as lines."""
    problems = []
    seen = set()
    for method, path, flags, params in routes:
        seen.add((method, path))
        op = doc.get("paths", {}).get(path, {}).get(method)
        where = "%s %s" % (method.upper(), path)
        if op is None:
            problems.append("%s: in the route tables, not in the document" % where)
            continue
        got, p = declared_params(op, "ROUTE_RAW" in flags)
        problems += ["%s: %s" % (where, x) for x in p]
        for name in sorted(set(got) | set(params)):
            if name not in got:
                problems.append("%s: parameter %s is not in the document" % (where, name))
            elif name not in params:
                problems.append("%s: parameter %s is not in the route table" % (where, name))
            else:
                problems += ["%s: %s" % (where, x)
                             for x in compare_param(name, params[name], *got[name])]
        security = op.get("security", doc.get("security", []))
        anonymous = security == [] or {} in security
        if "ROUTE_AUTH" in flags and anonymous:
            problems.append("%s: needs a login (ROUTE_AUTH), the document lets anyone" % where)
        if "ROUTE_AUTH" not in flags and not anonymous:
            problems.append("%s: open to visitors, the document asks for a login" % where)
    for path, item in doc.get("paths", {}).items():
        for method in item:
            if method in ("get", "post", "put", "delete", "patch") and (method, path) not in seen:
                problems.append("%s %s: in the document, not in the route tables" %
                                (method.upper(), path))
    return problems


def mutants(doc):
    """Copies of doc that each differ from the tables in one way."""
    m1 = copy.deepcopy(doc)
    m1["paths"]["/api/v1/user/profile"]["get"]["parameters"][0]["schema"]["maxLength"] += 1
    m2 = copy.deepcopy(doc)
    del m2["paths"]["/api/v1/post/like"]
    m3 = copy.deepcopy(doc)
    m3["paths"]["/api/v1/timeline/home"]["get"]["security"] = [{}]
    m4 = copy.deepcopy(doc)
    body = m4["paths"]["/api/v1/post/create"]["post"]["requestBody"]["content"]
    body["application/json"]["schema"]["properties"]["extra"] = {"type": "string"}
    return [("a limit changed", m1), ("a route left out", m2), ("a login dropped", m3),
            ("a parameter added", m4)]


def main():
    with open(DOC, encoding="utf-8") as f:
        doc = json.load(f)
    routes = parse_tables()
    failed = 0
    problems = compare(doc, routes)
    for line in problems:
        print("FAIL %s" % line)
    failed += bool(problems)
    if not problems:
        print("PASS docs/openapi.json declares the %d /api/v1 routes of the tables, "
              "parameters alike" % len(routes))
    for what, mutant in mutants(doc):
        if compare(mutant, routes):
            print("PASS the check notices %s" % what)
        else:
            print("FAIL the check does not notice %s" % what)
            failed += 1
    print("%d passed, %d failed" % (1 + len(mutants(doc)) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
