-- etc/starling-stamp.lua: lighttpd's mod_magnet part of Starling's load shedding ([shed] in
-- starling.conf, docs/operations.md). Run at the raw-URL stage (magnet.attract-raw-url-to in
-- etc/lighttpd.conf.in), before lighttpd queues the request for a backend.
--
-- 1. It stamps each request with the time it arrived. The binary compares X-Request-Start with
--    its own clock when it takes the request: a request that waited too long for a free process
--    is refused at once with 503 and Retry-After. The client's own X-Request-Start, if any, is
--    replaced: only the server's clock counts. Microseconds since the epoch, as Apache's "%t".
-- 2. While the binaries shed, it refuses reads without a login itself, before they reach any
--    queue: a refusal inside a binary still waits for a process, and under a large overload
--    those refusals alone fill the machine. The binaries say so in [shed] signal_file, one line
--    "UNTIL_MS RETRY_AFTER_S" (lib/http/shed.h); its path is $STARLING_SHED_SIGNAL in lighttpd's
--    environment, /run/starling/shed when unset. No file, or a line that has expired: nothing
--    is refused here. Health, static files and media are never refused.
local r = lighty.r
local s, ns = lighty.c.hrtime()
r.req_header["X-Request-Start"] = string.format("t=%d%06d", s, ns // 1000)

local f = io.open(os.getenv("STARLING_SHED_SIGNAL") or "/run/starling/shed", "r")
if not f then
	return 0
end
local until_ms, retry = f:read("n", "n")
f:close()
if not until_ms or not retry or s * 1000 + ns // 1000000 >= until_ms then
	return 0
end

local method = r.req_attr["request.method"]
local path = r.req_attr["request.uri"] or ""
if (method ~= "GET" and method ~= "HEAD") or r.req_header["Authorization"]
    or string.find(r.req_header["Cookie"] or "", "starling_token=", 1, true)
    or string.find(path, "^/api/v1/health") or string.find(path, "^/static/")
    or string.find(path, "^/media/") then
	return 0
end

retry = string.format("%d", retry)
local message = "the site is busy: reads without a login are refused for a moment; try again in "
    .. retry .. " s"
-- The headers every answer of the binaries carries (lib/http/response.c), and a request id of the
-- same form (not in any log line: nothing is logged per refusal).
r.resp_header["Retry-After"] = retry
r.resp_header["Cache-Control"] = "no-store"
r.resp_header["X-Content-Type-Options"] = "nosniff"
r.resp_header["X-Frame-Options"] = "DENY"
r.resp_header["Referrer-Policy"] = "strict-origin-when-cross-origin"
r.resp_header["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'"
r.resp_header["X-Request-Id"] = string.format("shed%d%06d", s, ns // 1000)
if string.find(path, "^/api/") then
	r.resp_header["Content-Type"] = "application/json; charset=utf-8"
	r.resp_body.set({ '{"code":50301,"message":"', message, '","data":null}\n' })
else
	r.resp_header["Content-Type"] = "text/html; charset=utf-8"
	r.resp_body.set({ '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
	    '<meta name="viewport" content="width=device-width, initial-scale=1">',
	    '<title>Busy - Starling</title></head><body><h1>Busy</h1><p>', message,
	    '.</p><p class="error-code">50301</p></body></html>\n' })
end
return 503
