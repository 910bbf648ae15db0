/* test_linkfetch.c: the link fetcher's address checks and allow-list, and its refusals that
 * need no network (schemes, userinfo, addresses that are not public). */
#include "config.h"

#include "test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#include "buf.h"
#include "conf.h"
#include "linkfetch.h"
#include "linkmeta.h"

struct addr_row {
	int         line;
	const char *addr;
	bool        public;
};

static const struct addr_row addr_rows[] = {
	{ __LINE__, "93.184.216.34", true },
	{ __LINE__, "8.8.8.8", true },
	{ __LINE__, "1.1.1.1", true },
	{ __LINE__, "0.0.0.0", false },
	{ __LINE__, "0.1.2.3", false },
	{ __LINE__, "10.0.0.1", false },
	{ __LINE__, "10.255.255.255", false },
	{ __LINE__, "11.0.0.1", true },
	{ __LINE__, "100.64.0.1", false },
	{ __LINE__, "100.127.255.255", false },
	{ __LINE__, "100.128.0.1", true },
	{ __LINE__, "127.0.0.1", false },
	{ __LINE__, "127.1.2.3", false },
	{ __LINE__, "169.254.169.254", false },
	{ __LINE__, "172.15.255.255", true },
	{ __LINE__, "172.16.0.1", false },
	{ __LINE__, "172.31.255.255", false },
	{ __LINE__, "172.32.0.1", true },
	{ __LINE__, "192.0.2.1", false },
	{ __LINE__, "192.168.1.1", false },
	{ __LINE__, "198.18.0.1", false },
	{ __LINE__, "198.51.100.7", false },
	{ __LINE__, "203.0.113.9", false },
	{ __LINE__, "224.0.0.1", false },
	{ __LINE__, "239.255.255.250", false },
	{ __LINE__, "240.0.0.1", false },
	{ __LINE__, "255.255.255.255", false },
	{ __LINE__, "2606:4700:4700::1111", true },
	{ __LINE__, "2001:4860:4860::8888", true },
	{ __LINE__, "::", false },
	{ __LINE__, "::1", false },
	{ __LINE__, "fe80::1", false },
	{ __LINE__, "febf::1", false },
	{ __LINE__, "fc00::1", false },
	{ __LINE__, "fd12:3456::1", false },
	{ __LINE__, "ff02::1", false },
	{ __LINE__, "2001:db8::1", false },
	{ __LINE__, "::ffff:127.0.0.1", false },
	{ __LINE__, "::ffff:10.1.2.3", false },
	{ __LINE__, "::ffff:169.254.169.254", false },
	{ __LINE__, "::ffff:8.8.8.8", true },
	{ __LINE__, "::127.0.0.1", false },      /* IPv4-compatible (deprecated): not 2000::/3 */
	{ __LINE__, "64:ff9b::7f00:1", false },  /* NAT64 of 127.0.0.1 */
	{ __LINE__, "64:ff9b::808:808", true },  /* NAT64 of 8.8.8.8 */
	{ __LINE__, "2002:7f00:1::1", false },   /* 6to4 of 127.0.0.1 */
	{ __LINE__, "2002:0808:0808::1", true },
	{ __LINE__, "2001::1", false },          /* Teredo */
};

static void
test_addresses(void **state)
{
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof addr_rows / sizeof addr_rows[0]; i++) {
		const struct addr_row *r = &addr_rows[i];
		const struct sockaddr *sa;

		memset(&in, 0, sizeof in);
		memset(&in6, 0, sizeof in6);
		if (inet_pton(AF_INET, r->addr, &in.sin_addr) == 1) {
			in.sin_family = AF_INET;
			sa = (const struct sockaddr *)&in;
		} else if (inet_pton(AF_INET6, r->addr, &in6.sin6_addr) == 1) {
			in6.sin6_family = AF_INET6;
			sa = (const struct sockaddr *)&in6;
		} else {
			fail_msg("line %d: not an address", r->line);
			return;
		}
		if (linkfetch_addr_public(sa) != r->public)
			fail_msg("line %d: %s is %s", r->line, r->addr, r->public ? "refused" :
			    "taken for public");
	}
	/* Neither IPv4 nor IPv6: never. */
	memset(&in, 0, sizeof in);
	in.sin_family = AF_UNIX;
	assert_false(linkfetch_addr_public((const struct sockaddr *)&in));
}

static void
test_allow_list(void **state)
{
	(void)state;
	assert_true(linkfetch_host_allowed("127.0.0.1:8081", "127.0.0.1", 8081));
	assert_false(linkfetch_host_allowed("127.0.0.1:8081", "127.0.0.1", 8082));
	assert_false(linkfetch_host_allowed("127.0.0.1:8081", "127.0.0.2", 8081));
	assert_true(linkfetch_host_allowed("a.test:80, 127.0.0.1:8081", "127.0.0.1", 8081));
	assert_true(linkfetch_host_allowed("a.test:80,[::1]:8081", "::1", 8081));
	assert_true(linkfetch_host_allowed("Local.Test:80", "local.test", 80));
	/* An entry without a port, or with junk after it, allows nothing. */
	assert_false(linkfetch_host_allowed("127.0.0.1", "127.0.0.1", 80));
	assert_false(linkfetch_host_allowed("127.0.0.1:80x", "127.0.0.1", 80));
	assert_false(linkfetch_host_allowed("127.0.0.1:8081", "127.0.0.1:8081", 8081));
	assert_false(linkfetch_host_allowed("", "127.0.0.1", 80));
	assert_false(linkfetch_host_allowed(NULL, "127.0.0.1", 80));
}

/* What is refused before any packet: another scheme, userinfo, a loopback, private or
 * metadata address by IP or by a name that resolves to one (localhost), not on the list. */
static void
test_refused_without_network(void **state)
{
	static const char *const urls[] = {
		"ftp://example.com/", "file:///etc/passwd", "javascript:alert(1)", "gopher://x/",
		"http://user@example.com/", "not a url",
		"http://127.0.0.1:1/", "http://[::1]:1/", "http://169.254.169.254/latest/meta-data/",
		"http://10.0.0.1/", "http://0.0.0.0:1/", "http://[::ffff:127.0.0.1]:1/",
		"http://localhost:1/", "http://2130706433:1/",
	};
	struct conf c;
	struct linkmeta m = LINKMETA_INIT;
	struct buf why = BUF_INIT;
	size_t i;

	(void)state;
	conf_defaults(&c);
	for (i = 0; i < sizeof urls / sizeof urls[0]; i++) {
		buf_reset(&why);
		if (linkfetch(&c, urls[i], &m, &why) != LINKFETCH_REFUSED)
			fail_msg("%s: not refused (%s)", urls[i], buf_cstr(&why));
		assert_true(why.len > 0);
		assert_int_equal(m.title.len, 0);
	}
	linkmeta_free(&m);
	buf_free(&why);
	conf_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_allow_list),
		cmocka_unit_test(test_refused_without_network),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
