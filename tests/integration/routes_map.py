#!/usr/bin/env python3
"""The route-to-binary maps of the shipped web server configurations agree, and none overlaps.

    routes_map.py SRCDIR

Reads the three maps as the servers do: lighttpd's fastcgi.server keys (URL prefixes) and its
paths mapped exactly ($HTTP["url"] == "/" with a fastcgi.server of its own, etc/lighttpd.conf.in;
compared without the query, as lighttpd does), Apache's ProxyPassMatch patterns
(etc/apache-proxy-fcgi.conf.in) and the .htaccess RewriteRules (etc/htaccess, matched against the
path without its leading slash, as mod_rewrite does in a directory). Then:
  - no lighttpd prefix is a prefix of another's (one URL, one binary, whatever the order);
  - for every prefix, the prefix itself, with "x" and with "/x" appended, and for "/", "/static/x",
    "/media/x" and paths no route has, the three maps name the same binary (or none);
  - every binary of cgi-bin/ has at least one route.
Prints one PASS or FAIL line per check; exit status 0 or 1.
"""
import os
import re
import sys

SRC = sys.argv[1] if len(sys.argv) > 1 else os.getcwd()
failures = 0


def check(cond, name, why=""):
    global failures
    if cond:
        print("PASS %s" % name)
    else:
        failures += 1
        print("FAIL %s: %s" % (name, why))


def read(name):
    with open(os.path.join(SRC, "etc", name), encoding="utf-8") as f:
        return f.read()


def lighttpd_map():
    text = read("lighttpd.conf.in")
    block = text[text.index("fastcgi.server = ("):]
    prefixes = re.findall(r'^\s*"([^"]+)"\s*=>\s*\(\s*"(starling-[a-z]+)"', block, re.M)
    exact = re.findall(r'^\$HTTP\["url"\] == "([^"]+)" \{\s*fastcgi\.server = \(\s*"[^"]+"\s*=>'
                       r'\s*\(\s*"(starling-[a-z]+)"', text, re.M)
    return prefixes, exact


def lighttpd_binary(path, prefixes, exact):
    path = path.split("?", 1)[0]
    for url, binary in exact:
        if path == url:
            return binary
    for prefix, binary in prefixes:
        if path.startswith(prefix):
            return binary
    return None


def apache_map():
    return re.findall(r'^\s*ProxyPassMatch "([^"]+)" "unix:[^|]*/(starling-[a-z]+)\.sock\|',
                      read("apache-proxy-fcgi.conf.in"), re.M)


def htaccess_map():
    return re.findall(r'^RewriteRule (\S+) (starling-[a-z]+)\.fcgi \[END\]', read("htaccess"),
                      re.M)


def first_match(rules, path):
    for pattern, binary in rules:
        if re.search(pattern, path):
            return binary
    return None


def main():
    prefixes, exact = lighttpd_map()
    apache = apache_map()
    htaccess = htaccess_map()
    check(len(prefixes) >= 10, "lighttpd_map_read", "found %d prefixes" % len(prefixes))
    check(exact, "lighttpd_exact_paths_read", "no $HTTP[\"url\"] == \"/\" block")
    check(len(apache) >= 5, "apache_map_read", "found %d patterns" % len(apache))
    check(len(htaccess) >= 5, "htaccess_map_read", "found %d rules" % len(htaccess))

    overlaps = [(a, b) for a, _ in prefixes for b, _ in prefixes if a != b and b.startswith(a)]
    check(not overlaps, "no_overlapping_prefixes", "prefix of another: %r" % overlaps)

    probes = ["/", "/?a=1", "/?\xff", "/static/starling.css", "/media/images/x.png", "/nothing",
              "/api/v1/nothing", "/starling-site.fcgi"]
    for prefix, _ in prefixes:
        probes += [prefix, prefix + "x", prefix.rstrip("/") + "/x"]
    disagree = []
    for probe in probes:
        path = probe.split("?", 1)[0]
        want = lighttpd_binary(probe, prefixes, exact)
        got_apache = first_match(apache, path)
        got_htaccess = first_match(htaccess, path[1:])
        if not want == got_apache == got_htaccess:
            disagree.append("%s: lighttpd %s, apache %s, htaccess %s"
                            % (probe, want, got_apache, got_htaccess))
    check(not disagree, "maps_agree (%d paths)" % len(probes), "; ".join(disagree))
    check(lighttpd_binary("/static/starling.css", prefixes, exact) is None,
          "static_files_not_routed", "/static/ goes to a binary")

    binaries = {"starling-" + d for d in os.listdir(os.path.join(SRC, "cgi-bin"))
                if os.path.isdir(os.path.join(SRC, "cgi-bin", d))}
    for name, rules in (("lighttpd", [(p, b) for p, b in prefixes]), ("apache", apache),
                        ("htaccess", htaccess)):
        missing = binaries - {b for _, b in rules}
        check(not missing, "every_binary_routed_%s" % name, "no route: %s" % sorted(missing))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
