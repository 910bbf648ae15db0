-- etc/starling-shed-apache.lua: Apache's part of Starling's load shedding in set-up 2
-- (mod_proxy_fcgi; LuaQuickHandler in etc/apache-proxy-fcgi.conf.in, docs/operations.md,
-- "Refusing at the web server"). The same rule as lighttpd's etc/starling-stamp.lua, in
-- mod_lua's terms: while the binaries shed, they say so in [shed] signal_file, one line
-- "UNTIL_MS RETRY_AFTER_S" (lib/http/shed.h), and reads without a login are refused here, before
-- they reach a binary's queue. Its path is $STARLING_SHED_SIGNAL in Apache's environment
-- (/etc/apache2/envvars), /run/starling/shed when unset. No file, or a line that has expired:
-- nothing is refused. Health, static files and media are never refused. The arrival stamp is
-- mod_headers' (RequestHeader in the same file).
require "apache2"

local function busy(r, retry)
	local message = "the site is busy: reads without a login are refused for a moment; "
	    .. "try again in " .. retry .. " s"
	local h = r.err_headers_out
	r.status = 503
	h["Retry-After"] = retry
	h["Cache-Control"] = "no-store"
	h["X-Content-Type-Options"] = "nosniff"
	h["X-Frame-Options"] = "DENY"
	h["Referrer-Policy"] = "strict-origin-when-cross-origin"
	h["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'"
	h["X-Request-Id"] = string.format("shed%d", r:clock())
	if string.find(r.unparsed_uri, "^/api/") then
		r.content_type = "application/json; charset=utf-8"
		r:puts('{"code":50301,"message":"', message, '","data":null}\n')
	else
		r.content_type = "text/html; charset=utf-8"
		r:puts('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
		    '<meta name="viewport" content="width=device-width, initial-scale=1">',
		    '<title>Busy - Starling</title></head><body><h1>Busy</h1><p>', message,
		    '.</p><p class="error-code">50301</p></body></html>\n')
	end
	return apache2.OK
end

function starling_shed(r)
	local f = io.open(os.getenv("STARLING_SHED_SIGNAL") or "/run/starling/shed", "r")
	if not f then
		return apache2.DECLINED
	end
	local until_ms, retry = f:read("n", "n")
	f:close()
	if not until_ms or not retry or r:clock() // 1000 >= until_ms then
		return apache2.DECLINED
	end
	local uri = r.unparsed_uri or ""
	if (r.method ~= "GET" and r.method ~= "HEAD") or r.headers_in["Authorization"]
	    or string.find(r.headers_in["Cookie"] or "", "starling_token=", 1, true)
	    or string.find(uri, "^/api/v1/health") or string.find(uri, "^/static/")
	    or string.find(uri, "^/media/") then
		return apache2.DECLINED
	end
	return busy(r, string.format("%d", retry))
end
