/* SPDX-License-Identifier: MIT */
/*
 * PROXY protocol v2 headers (dataplane/proxy_protocol.h) against the bytes
 * haproxy's doc/proxy-protocol.txt (section 2.2) lays out, written out by
 * hand here: the 12-byte signature, 0x21 (version 2, PROXY) or 0x20
 * (LOCAL), the family byte (0x11 TCP over IPv4, 0x21 TCP over IPv6, 0x00
 * UNSPEC), the address length in network order, then source address,
 * destination address, source port, destination port.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "dataplane/proxy_protocol.h"

#define SIG 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a

static struct sockaddr_in v4(const char *a, uint16_t port)
{
	struct sockaddr_in s = { .sin_family = AF_INET, .sin_port = htons(port) };

	assert_int_equal(inet_pton(AF_INET, a, &s.sin_addr), 1);
	return s;
}

static struct sockaddr_in6 v6(const char *a, uint16_t port)
{
	struct sockaddr_in6 s = { .sin6_family = AF_INET6, .sin6_port = htons(port) };

	assert_int_equal(inet_pton(AF_INET6, a, &s.sin6_addr), 1);
	return s;
}

static void expect_bytes(const uint8_t *got, size_t n, const uint8_t *want, size_t wn)
{
	assert_int_equal(n, wn);
	assert_memory_equal(got, want, wn);
}

/* 192.0.2.1:56324 -> 198.51.100.7:443 */
static void test_ipv4(void **state)
{
	static const uint8_t want[] = {
		SIG, 0x21, 0x11, 0x00, 0x0c,
		0xc0, 0x00, 0x02, 0x01,		/* source address */
		0xc6, 0x33, 0x64, 0x07,		/* destination address */
		0xdc, 0x04,			/* source port 56324 */
		0x01, 0xbb,			/* destination port 443 */
	};
	struct sockaddr_in s = v4("192.0.2.1", 56324), d = v4("198.51.100.7", 443);
	uint8_t out[RP_PP2_MAX];

	(void)state;
	expect_bytes(out, rp_pp2_encode(out, (void *)&s, (void *)&d), want, sizeof(want));
}

/* [2001:db8::1]:40000 -> [2001:db8:0:1::2]:8080 */
static void test_ipv6(void **state)
{
	static const uint8_t want[] = {
		SIG, 0x21, 0x21, 0x00, 0x24,
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0x02,
		0x9c, 0x40,			/* 40000 */
		0x1f, 0x90,			/* 8080 */
	};
	struct sockaddr_in6 s = v6("2001:db8::1", 40000), d = v6("2001:db8:0:1::2", 8080);
	uint8_t out[RP_PP2_MAX];

	(void)state;
	expect_bytes(out, rp_pp2_encode(out, (void *)&s, (void *)&d), want, sizeof(want));
	assert_int_equal(sizeof(want), RP_PP2_MAX);
}

/* One end IPv4, the other IPv6: TCP over IPv6, the IPv4 end mapped. */
static void test_mixed(void **state)
{
	static const uint8_t want[] = {
		SIG, 0x21, 0x21, 0x00, 0x24,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
		0x00, 0x01, 0x00, 0x02,
	};
	struct sockaddr_in s = v4("10.0.0.1", 1);
	struct sockaddr_in6 d = v6("::1", 2);
	uint8_t out[RP_PP2_MAX];

	(void)state;
	expect_bytes(out, rp_pp2_encode(out, (void *)&s, (void *)&d), want, sizeof(want));
}

/* No address known (or not IP): PROXY with family UNSPEC and no
 * address block; a health check's own connection: LOCAL. */
static void test_unspec_and_local(void **state)
{
	static const uint8_t unspec[] = { SIG, 0x21, 0x00, 0x00, 0x00 };
	static const uint8_t local[] = { SIG, 0x20, 0x00, 0x00, 0x00 };
	struct sockaddr un = { .sa_family = AF_UNIX };
	struct sockaddr_in d = v4("10.0.0.1", 80);
	uint8_t out[RP_PP2_MAX];

	(void)state;
	expect_bytes(out, rp_pp2_encode(out, NULL, (void *)&d), unspec, sizeof(unspec));
	expect_bytes(out, rp_pp2_encode(out, &un, (void *)&d), unspec, sizeof(unspec));
	expect_bytes(out, rp_pp2_encode_local(out), local, sizeof(local));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_mixed),
		cmocka_unit_test(test_unspec_and_local),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
