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
};

struct rp_epoll_echo_stats {
	uint64_t echoed;	/* datagrams sent back */
	uint64_t dropped;	/* replies the socket refused (EAGAIN, errors) */
	uint64_t trains;	/* GSO sends */
};

/* A nonblocking UDP socket bound to addr; fd or -errno. */
int rp_epoll_echo_bind(const struct sockaddr *addr, socklen_t len);

/*
 * Echo on fd until *stop becomes nonzero (checked at least every 100 ms) or
 * a fatal error; returns 0 or -errno. Stats may be NULL. The first form is
 * the plain server with the default batch.
 */
int rp_epoll_echo_serve(int fd, volatile sig_atomic_t *stop,
			struct rp_epoll_echo_stats *stats);
int rp_epoll_echo_serve_cfg(int fd, const struct rp_epoll_echo_cfg *cfg,
			    volatile sig_atomic_t *stop, struct rp_epoll_echo_stats *stats);

#endif
