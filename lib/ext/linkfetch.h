/* linkfetch.h: the one fetch of a link card's page (lib/social/linkcard.h), made safe to point at
 * any URL a user wrote (docs/links.md has the reasons).
 *
 *   - http and https only (libcurl is told so for the request and for redirects), no userinfo;
 *   - every address connected to, after DNS, is checked in the socket callback libcurl opens
 *     each connection with (CURLOPT_OPENSOCKETFUNCTION): loopback, private, link-local,
 *     shared (CGNAT), multicast, reserved, documentation and unspecified addresses, IPv4 or
 *     IPv6 (mapped, NAT64 and 6to4 forms by the IPv4 address they carry), are refused before a
 *     socket exists, so a name that resolves to 127.0.0.1 or 169.254.169.254, or changes its
 *     answer between two lookups, never reaches the machine's neighbours;
 *   - redirects are followed here, not by libcurl, at most [links] max_redirects, each hop's URL
 *     checked as the first (scheme, userinfo, allow-list) and its connection by the callback;
 *   - at most [links] max_bytes of the body are read (what is past them is not read at all),
 *     within [links] connect_timeout_ms per connection and timeout_ms for the whole fetch;
 *   - only a 200 answer of Content-Type text/html is read; nothing in it is run (the body only
 *     goes to linkmeta_parse);
 *   - no proxy from the environment, no cookies, no compression, a fixed User-Agent.
 * [links] allow_hosts ("host:port, ...", empty by default) names hosts whose addresses are not
 * checked: for tests against a server on loopback, never for production.
 *
 * Not thread-safe (libcurl's global set-up is made on first use): the worker is one thread. */
#ifndef STARLING_LINKFETCH_H
#define STARLING_LINKFETCH_H

#include <stdbool.h>
#include <sys/socket.h>

#include "buf.h"
#include "conf.h"
#include "linkmeta.h"

/* What a fetch came to; stored as tb_parsed_url.fetch_status. */
enum linkfetch_status {
	LINKFETCH_OK       = 0,   /* a text/html page was read (m filled, maybe empty) */
	LINKFETCH_REFUSED  = 1,   /* not a URL we fetch: scheme, userinfo, an address we refuse */
	LINKFETCH_FAILED   = 2,   /* no answer, an error status, a timeout, too many redirects */
	LINKFETCH_NOT_HTML = 3,   /* an answer of another Content-Type */
};

#define LINKFETCH_USER_AGENT "StarlingLinkCard/1.0 (link preview; one fetch per URL)"

/* Whether an address may be connected to: a public unicast address. */
bool linkfetch_addr_public(const struct sockaddr *sa);

/* Whether host (as in the URL, without brackets for IPv6) and port are on list, a comma- or
 * space-separated list of host:port entries ("127.0.0.1:8081, [::1]:8081"; host names in any
 * case). */
bool linkfetch_host_allowed(const char *list, const char *host, long port);

/* Fetches url by the rules above and reads its head into m (emptied first). why gets a short
 * reason for anything but LINKFETCH_OK (no query string, no body: it is logged and stored). */
enum linkfetch_status linkfetch(const struct conf *conf, const char *url, struct linkmeta *m,
    struct buf *why);

#endif
