/* SPDX-License-Identifier: MIT */
/*
 * PROXY protocol v2 headers (see proxy_protocol.h).
 */
#include <netinet/in.h>
#include <string.h>

#include "dataplane/proxy_protocol.h"

const uint8_t rp_pp2_signature[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
};

enum {
	PP2_VERSION = 0x20,
	PP2_CMD_LOCAL = 0x00,
	PP2_CMD_PROXY = 0x01,
	PP2_AF_UNSPEC = 0x00,
	PP2_TCP4 = 0x11,
	PP2_TCP6 = 0x21,
};

/* One endpoint as the header wants it: 4 or 16 address bytes, a port. */
struct pp2_end {
	uint8_t addr[16];
	uint16_t port_be;
};

static size_t put_head(uint8_t *out, uint8_t cmd, uint8_t fam, uint16_t len)
{
	memcpy(out, rp_pp2_signature, sizeof(rp_pp2_signature));
	out[12] = PP2_VERSION | cmd;
	out[13] = fam;
	out[14] = (uint8_t)(len >> 8);
	out[15] = (uint8_t)len;
	return RP_PP2_HDR_LEN;
}

/* The endpoint in 4 (as_v6 false) or 16 bytes (IPv4 written ::ffff:a.b.c.d). */
static void end_of(const struct sockaddr *sa, int as_v6, struct pp2_end *e)
{
	const struct sockaddr_in *s4 = (const void *)sa;
	const struct sockaddr_in6 *s6 = (const void *)sa;

	memset(e, 0, sizeof(*e));
	if (sa->sa_family == AF_INET6) {
		memcpy(e->addr, &s6->sin6_addr, 16);
		e->port_be = s6->sin6_port;
		return;
	}
	if (as_v6) {
		e->addr[10] = e->addr[11] = 0xff;
		memcpy(e->addr + 12, &s4->sin_addr, 4);
	} else {
		memcpy(e->addr, &s4->sin_addr, 4);
	}
	e->port_be = s4->sin_port;
}

static int is_inet(const struct sockaddr *sa)
{
	return sa && (sa->sa_family == AF_INET || sa->sa_family == AF_INET6);
}

size_t rp_pp2_encode(uint8_t out[RP_PP2_MAX], const struct sockaddr *src,
		     const struct sockaddr *dst)
{
	struct pp2_end s, d;
	size_t alen, n;
	int v6;

	if (!is_inet(src) || !is_inet(dst))
		return put_head(out, PP2_CMD_PROXY, PP2_AF_UNSPEC, 0);
	v6 = src->sa_family == AF_INET6 || dst->sa_family == AF_INET6;
	alen = v6 ? 16 : 4;
	end_of(src, v6, &s);
	end_of(dst, v6, &d);
	n = put_head(out, PP2_CMD_PROXY, v6 ? PP2_TCP6 : PP2_TCP4, (uint16_t)(2 * alen + 4));
	memcpy(out + n, s.addr, alen);
	memcpy(out + n + alen, d.addr, alen);
	memcpy(out + n + 2 * alen, &s.port_be, 2);
	memcpy(out + n + 2 * alen + 2, &d.port_be, 2);
	return n + 2 * alen + 4;
}

size_t rp_pp2_encode_local(uint8_t out[RP_PP2_MAX])
{
	return put_head(out, PP2_CMD_LOCAL, PP2_AF_UNSPEC, 0);
}
