-- etc/starling-stamp.lua: lighttpd's mod_magnet stamps each request with the time it arrived,
-- for Starling's load shedding ([shed] in starling.conf, docs/operations.md). The binary
-- compares X-Request-Start with its own clock when it takes the request: a request that waited
-- too long for a free process is refused at once with 503 and Retry-After.
--
-- Run at the raw-URL stage (magnet.attract-raw-url-to in etc/lighttpd.conf.in), before lighttpd
-- queues the request for a backend. The client's own X-Request-Start, if any, is replaced: only
-- the server's clock counts. Microseconds since the epoch, as Apache's "%t" gives them.
local s, ns = lighty.c.hrtime()
lighty.r.req_header["X-Request-Start"] = string.format("t=%d%06d", s, ns // 1000)
