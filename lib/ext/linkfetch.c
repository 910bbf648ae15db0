/* linkfetch.c: the safe fetch of a link card's page (linkfetch.h). */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "linkfetch.h"
#include "log.h"

/* ---------------------------------------------------------------------------------------------
 * Addresses. */

/* The IPv4 blocks nobody on the internet may make us connect to (RFC 6890 and its updates):
 * address and prefix length, host byte order. */
static const struct {
	uint32_t net;
	unsigned bits;
} v4_refused[] = {
	{ 0x00000000, 8 },    /* 0.0.0.0/8: "this network", 0.0.0.0 included */
	{ 0x0a000000, 8 },    /* 10/8 private */
	{ 0x64400000, 10 },   /* 100.64/10 shared (CGNAT) */
	{ 0x7f000000, 8 },    /* 127/8 loopback */
	{ 0xa9fe0000, 16 },   /* 169.254/16 link-local (cloud metadata at 169.254.169.254) */
	{ 0xac100000, 12 },   /* 172.16/12 private */
	{ 0xc0000000, 24 },   /* 192.0.0/24 IETF protocol assignments */
	{ 0xc0000200, 24 },   /* 192.0.2/24 documentation */
	{ 0xc0586300, 24 },   /* 192.88.99/24 6to4 relays */
	{ 0xc0a80000, 16 },   /* 192.168/16 private */
	{ 0xc6120000, 15 },   /* 198.18/15 benchmarking */
	{ 0xc6336400, 24 },   /* 198.51.100/24 documentation */
	{ 0xcb007100, 24 },   /* 203.0.113/24 documentation */
	{ 0xe0000000, 4 },    /* 224/4 multicast */
	{ 0xf0000000, 4 },    /* 240/4 reserved, 255.255.255.255 included */
};

static bool
v4_public(uint32_t a)
{
	size_t i;

	for (i = 0; i < sizeof v4_refused / sizeof v4_refused[0]; i++)
		if ((a & (0xffffffffu << (32 - v4_refused[i].bits))) == v4_refused[i].net)
			return false;
	return true;
}

static uint32_t
v4_at(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* IPv6: only global unicast (2000::/3), less what is not really global; the forms that carry
 * an IPv4 address are judged by it (an IPv4-mapped ::ffff:127.0.0.1 is 127.0.0.1 to the kernel,
 * a NAT64 64:ff9b::a00:1 reaches 10.0.0.1 through the gateway). */
static bool
v6_public(const unsigned char *a)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const unsigned char nat64[12] = { 0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0 };

	if (memcmp(a, mapped, 12) == 0 || memcmp(a, nat64, 12) == 0)
		return v4_public(v4_at(a + 12));
	if (a[0] == 0x20 && a[1] == 0x02)                       /* 2002::/16 6to4 */
		return v4_public(v4_at(a + 2));
	if ((a[0] & 0xe0) != 0x20)   /* not 2000::/3: ::, ::1, fc00::/7, fe80::/10, ff00::/8... */
		return false;
	if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8)   /* 2001:db8::/32 */
		return false;
	if (a[0] == 0x20 && a[1] == 0x01 && a[2] < 0x02)   /* 2001::/23 IETF: Teredo, ORCHID... */
		return false;
	return true;
}

bool
linkfetch_addr_public(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;

		return v4_public(ntohl(in->sin_addr.s_addr));
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;

		return v6_public(in6->sin6_addr.s6_addr);
	}
	return false;   /* AF_UNIX or anything else: never */
}

bool
linkfetch_host_allowed(const char *list, const char *host, long port)
{
	const char *p = list, *colon;
	size_t w, hlen = strlen(host), elen;
	char *end;
	long eport;

	while (p != NULL && *p != '\0') {
		p += strspn(p, ", \t");
		w = strcspn(p, ", \t");
		for (colon = p + w; colon > p && colon[-1] != ':'; colon--)
			;
		colon = colon > p ? colon - 1 : NULL;
		if (colon != NULL) {
			eport = strtol(colon + 1, &end, 10);
			elen = (size_t)(colon - p);
			/* "[::1]:8081": the brackets are not part of the host. */
			if (elen >= 2 && p[0] == '[' && p[elen - 1] == ']') {
				if (elen - 2 == hlen && strncasecmp(p + 1, host, hlen) == 0 &&
				    end == p + w && eport == port)
					return true;
			} else if (elen == hlen && strncasecmp(p, host, hlen) == 0 && end == p + w &&
			    eport == port) {
				return true;
			}
		}
		p += w;
	}
	return false;
}

/* ---------------------------------------------------------------------------------------------
 * The fetch. */

struct fetch {
	CURL       *h;
	size_t      max;          /* bytes of body kept */
	bool        allow;        /* this hop's host is on the allow-list: its addresses pass */
	bool        refused;      /* the socket callback refused an address */
	bool        not_html;
	bool        full;         /* max bytes read: the rest is not */
	struct buf  body;
};

static curl_socket_t
open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct fetch *f = arg;

	if (purpose != CURLSOCKTYPE_IPCXN)
		return CURL_SOCKET_BAD;
	if (!f->allow && !linkfetch_addr_public(&a->addr)) {
		f->refused = true;
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype, a->protocol);
}

/* text/html, with or without parameters (charset), in any case. */
static bool
is_html(const char *ctype)
{
	return ctype != NULL && strncasecmp(ctype, "text/html", 9) == 0 &&
	    (ctype[9] == '\0' || ctype[9] == ';' || ctype[9] == ' ');
}

/* The body of a 200 text/html answer, up to f->max bytes; returning less than given stops the
 * transfer (libcurl answers CURLE_WRITE_ERROR), which is how the other answers and the rest
 * of a long page are never read. A redirect's body is read and dropped (it is small, and
 * stopping would drop the connection too). */
static size_t
on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	struct fetch *f = arg;
	size_t n = size * nmemb, room;
	long code = 0;
	char *ctype = NULL;

	curl_easy_getinfo(f->h, CURLINFO_RESPONSE_CODE, &code);
	if (code >= 300 && code < 400)
		return n;
	if (code != 200)
		return 0;
	curl_easy_getinfo(f->h, CURLINFO_CONTENT_TYPE, &ctype);
	if (!is_html(ctype)) {
		f->not_html = true;
		return 0;
	}
	room = f->max - f->body.len;
	if (n >= room) {
		buf_append(&f->body, p, room);
		f->full = true;
		return 0;
	}
	buf_append(&f->body, p, n);
	return n;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The scheme, host and port of url, if it is one we fetch: http(s), a host, no userinfo.
 * Returns 0, or -1 with why. */
static int
check_url(const char *url, struct buf *host, long *port, struct buf *why)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *h = NULL, *user = NULL, *p = NULL;
	int rc = -1;

	if (u == NULL || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT) != CURLUE_OK) {
		buf_puts(why, "not a URL");
		goto out;
	}
	if (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0) {
		buf_puts(why, "not http or https");
		goto out;
	}
	if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK) {
		buf_puts(why, "userinfo in the URL");
		goto out;
	}
	buf_reset(host);
	/* CURLU gives an IPv6 host with its brackets; the allow-list is written without. */
	if (h[0] == '[' && strlen(h) > 2)
		buf_append(host, h + 1, strlen(h) - 2);
	else
		buf_puts(host, h);
	*port = strtol(p, NULL, 10);
	rc = 0;
out:
	curl_free(scheme);
	curl_free(h);
	curl_free(user);
	curl_free(p);
	curl_url_cleanup(u);
	return rc;
}

/* The options every hop shares. */
static void
set_options(CURL *h, const struct conf *conf, struct fetch *f)
{
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_PROXY, "");     /* not http_proxy and friends */
	curl_easy_setopt(h, CURLOPT_USERAGENT, LINKFETCH_USER_AGENT);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, conf->links_connect_timeout_ms);
	curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, f);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, f);
}

/* One hop: GET url. Returns LINKFETCH_OK with the body in f, or with *next set (owned) for a
 * redirect; any other status with why. */
static enum linkfetch_status
hop(const struct conf *conf, struct fetch *f, const char *url, uint64_t deadline, char **next,
    struct buf *why)
{
	struct buf host = BUF_INIT;
	long port = 0, code = 0;
	uint64_t now = now_ms();
	char *loc = NULL, *ctype = NULL;
	CURLcode res;
	enum linkfetch_status st = LINKFETCH_REFUSED;

	*next = NULL;
	if (check_url(url, &host, &port, why) != 0)
		goto out;
	st = LINKFETCH_FAILED;
	if (now >= deadline) {
		buf_puts(why, "timed out");
		goto out;
	}
	f->allow = linkfetch_host_allowed(conf->links_allow_hosts, buf_cstr(&host), port);
	f->refused = f->not_html = f->full = false;
	buf_reset(&f->body);
	curl_easy_setopt(f->h, CURLOPT_URL, url);
	curl_easy_setopt(f->h, CURLOPT_TIMEOUT_MS, (long)(deadline - now));
	res = curl_easy_perform(f->h);
	curl_easy_getinfo(f->h, CURLINFO_RESPONSE_CODE, &code);
	/* An empty body never reached on_body, which checks the type of the others. */
	if (code == 200 && res == CURLE_OK &&
	    (curl_easy_getinfo(f->h, CURLINFO_CONTENT_TYPE, &ctype) != CURLE_OK || !is_html(ctype)))
		f->not_html = true;
	if (f->refused) {
		buf_puts(why, "an address that is not public");
		st = LINKFETCH_REFUSED;
	} else if (f->not_html) {
		buf_puts(why, "not text/html");
		st = LINKFETCH_NOT_HTML;
	} else if (code >= 300 && code < 400 && res == CURLE_OK) {
		if (curl_easy_getinfo(f->h, CURLINFO_REDIRECT_URL, &loc) != CURLE_OK || loc == NULL)
			buf_printf(why, "HTTP %ld without a Location", code);
		else {
			*next = strdup(loc);
			st = *next != NULL ? LINKFETCH_OK : LINKFETCH_FAILED;
		}
	} else if (code != 200) {
		if (code != 0)
			buf_printf(why, "HTTP %ld", code);
		else
			buf_puts(why, curl_easy_strerror(res));
	} else if (res != CURLE_OK && !(res == CURLE_WRITE_ERROR && f->full)) {
		buf_puts(why, curl_easy_strerror(res));
	} else {
		st = LINKFETCH_OK;
	}
out:
	buf_free(&host);
	return st;
}

enum linkfetch_status
linkfetch(const struct conf *conf, const char *url, struct linkmeta *m, struct buf *why)
{
	static bool curl_ready;
	struct fetch f = { .max = (size_t)conf->links_max_bytes, .body = BUF_INIT };
	uint64_t deadline = now_ms() + (uint64_t)conf->links_timeout_ms;
	char *cur = NULL, *next = NULL;
	enum linkfetch_status st = LINKFETCH_FAILED;
	long hops;

	linkmeta_free(m);
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			buf_puts(why, "libcurl could not start");
			return LINKFETCH_FAILED;
		}
		curl_ready = true;
	}
	if ((f.h = curl_easy_init()) == NULL) {
		buf_puts(why, "libcurl could not start");
		return LINKFETCH_FAILED;
	}
	set_options(f.h, conf, &f);
	for (hops = 0; ; hops++) {
		st = hop(conf, &f, cur ? cur : url, deadline, &next, why);
		free(cur);
		cur = next;
		if (st != LINKFETCH_OK || next == NULL)
			break;
		if (hops == conf->links_max_redirects) {
			buf_printf(why, "more than %ld redirects", conf->links_max_redirects);
			st = LINKFETCH_FAILED;
			break;
		}
	}
	if (st == LINKFETCH_OK)
		linkmeta_parse(f.body.data ? f.body.data : "", f.body.len, m);
	free(cur);
	buf_free(&f.body);
	curl_easy_cleanup(f.h);
	return st;
}
