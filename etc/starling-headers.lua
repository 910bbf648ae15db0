-- etc/starling-headers.lua: lighttpd's mod_magnet gives the responses lighttpd makes itself the
-- security headers that Starling's own carry (lib/http/response.c, response_security_headers): a 404
-- for a path no route maps, its 413 and 431 and other error pages, static files and media.
--
-- Run as each response starts (magnet.attract-response-start-to in etc/lighttpd.conf.in), for
-- every response, even one for a request lighttpd refused while reading it. A header already
-- there is kept: the binaries send all of these themselves (a page's own Content-Security-Policy
-- above all), and /media/ has its sandbox from mod_setenv, which runs first. The policy is the
-- one of the binaries' JSON answers: nothing lighttpd makes needs to load anything.
-- Cache-Control is left alone (static files are meant to be cached), and
-- Strict-Transport-Security is the TLS set-up's (docs/deploy.md, section 13).
local defaults = {
	["X-Content-Type-Options"] = "nosniff",
	["X-Frame-Options"] = "DENY",
	["Referrer-Policy"] = "strict-origin-when-cross-origin",
	["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'",
}
local h = lighty.r.resp_header
for name, value in pairs(defaults) do
	if h[name] == nil then
		h[name] = value
	end
end
