/* SPDX-License-Identifier: MIT */
/*
 * The reference UDP echo servers the echo benchmark measures ringplane
 * against: what a careful programmer writes without io_uring. One thread,
 * nonblocking socket, epoll for readiness, recvmmsg/sendmmsg in batches of
 * `batch` datagrams of up to RP_EPOLL_ECHO_MAX bytes (`batch` buffers).
 *
 * With `gso`, the same kernel feature ringplane's udp-echo uses
 * (dataplane/gso.h): the replies of one receive batch that go to one peer
 * with one length (the last may be shorter) leave as one train, a message
 * whose iovecs are the received buffers and whose UDP_SEGMENT control
 * message cuts it into datagrams (epoll_gso.c); trains and single replies
 * of a batch all leave in one sendmmsg, in arrival order. Same limits as
 * ringplane: 64 segments, 65000 bytes, segments of at most 1472 bytes.
 *
 * With `gro` too (needs gso; ringplane turns it on under the same
 * condition: GSO replies, 64 KiB buffers), the socket has UDP_GRO: the
 * datagrams of one peer that arrive together as one GSO/GRO packet (a
 * client sending trains) come up as ONE buffer of one recvmmsg entry, cut
 * every `gso_size` bytes (the UDP_GRO control message), and go back in
 * their place in the same sendmmsg as one train of that buffer cut at the
 * same size: what ringplane's rp_gso_add_gro does.
 */
#ifndef RP_EPOLL_ECHO_H
#define RP_EPOLL_ECHO_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#define RP_EPOLL_ECHO_BATCH 64		/* the default batch */
#define RP_EPOLL_ECHO_BATCH_MAX 4096
#define RP_EPOLL_ECHO_MAX   65536

struct rp_epoll_echo_cfg {
	unsigned batch;		/* datagrams per recvmmsg, 1..RP_EPOLL_ECHO_BATCH_MAX */
	bool gso;		/* replies to one peer in UDP GSO trains */
	bool gro;		/* with gso: receive coalesced datagrams (UDP_GRO) */
};

struct rp_epoll_echo_stats {
	uint64_t echoed;	/* datagrams sent back */
	uint64_t dropped;	/* replies the socket refused (EAGAIN, errors) */
	uint64_t trains;	/* GSO sends */
	uint64_t gro_recvs;	/* receives that carried more than one datagram */
	uint64_t gro_dgrams;	/* the datagrams those carried */
};

/* A nonblocking UDP socket bound to addr; fd or -errno. */
int rp_epoll_echo_bind(const struct sockaddr *addr, socklen_t len);

/*
 * The stats may live in memory another process reads while the server
 * runs (the bench maps them shared): every counter is one aligned 64-bit
 * store, updated once per batch.
 *
 * Echo on fd until *stop becomes nonzero (checked at least every 100 ms) or
 * a fatal error; returns 0 or -errno. Stats may be NULL. The first form is
 * the plain server with the default batch.
 */
int rp_epoll_echo_serve(int fd, volatile sig_atomic_t *stop,
			struct rp_epoll_echo_stats *stats);
int rp_epoll_echo_serve_cfg(int fd, const struct rp_epoll_echo_cfg *cfg,
			    volatile sig_atomic_t *stop, struct rp_epoll_echo_stats *stats);

#endif
