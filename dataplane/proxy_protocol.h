/* SPDX-License-Identifier: MIT */
/*
 * The PROXY protocol, version 2 (haproxy's doc/proxy-protocol.txt, section
 * 2.2): a binary header a proxy sends first on its connection to a backend,
 * so the backend learns who the client was.
 *
 *   12 bytes  signature  \r\n\r\n\0\r\nQUIT\n
 *    1 byte   version 2 (high nibble) | command: 0 LOCAL, 1 PROXY
 *    1 byte   family (1 AF_INET, 2 AF_INET6, 0 UNSPEC) << 4 | 1 (STREAM)
 *    2 bytes  length of what follows, network order
 *   then      source address, destination address, source port,
 *             destination port (12 bytes for IPv4, 36 for IPv6)
 *
 * tcp-proxy sends PROXY with the client's address as the source and the
 * address the client connected to as the destination (proxy_backend.c).
 * No TLVs are sent. Pure functions: no state, any thread.
 */
#ifndef RP_PROXY_PROTOCOL_H
#define RP_PROXY_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define RP_PP2_HDR_LEN	16	/* signature, version/command, family, length */
#define RP_PP2_MAX	(RP_PP2_HDR_LEN + 36)	/* the IPv6 header, the longest we send */

extern const uint8_t rp_pp2_signature[12];

/*
 * PROXY for a relayed connection from src (the client) to dst (the address
 * it connected to). Both AF_INET: TCP over IPv4; both AF_INET6: TCP over
 * IPv6; one of each: TCP over IPv6, the IPv4 one written IPv4-mapped. A
 * NULL or other family gives UNSPEC (the backend then keeps the
 * connection's own addresses, as the spec says). Returns the length written.
 */
size_t rp_pp2_encode(uint8_t out[RP_PP2_MAX], const struct sockaddr *src,
		     const struct sockaddr *dst);

/* LOCAL: a connection of the proxy's own (a health check), no addresses. */
size_t rp_pp2_encode_local(uint8_t out[RP_PP2_MAX]);

#endif
