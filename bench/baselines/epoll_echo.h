/* SPDX-License-Identifier: MIT */
/*
 * The reference UDP echo server the echo benchmark measures ringplane
 * against: what a careful programmer writes without io_uring. One thread,
 * nonblocking socket, epoll for readiness, recvmmsg/sendmmsg in batches of
 * RP_EPOLL_ECHO_BATCH datagrams of up to RP_EPOLL_ECHO_MAX bytes.
 */
#ifndef RP_EPOLL_ECHO_H
#define RP_EPOLL_ECHO_H

#include <signal.h>
#include <stdint.h>
#include <sys/socket.h>

#define RP_EPOLL_ECHO_BATCH 64
#define RP_EPOLL_ECHO_MAX   65536

struct rp_epoll_echo_stats {
	uint64_t echoed;	/* datagrams sent back */
	uint64_t dropped;	/* replies the socket refused (EAGAIN, errors) */
};

/* A nonblocking UDP socket bound to addr; fd or -errno. */
int rp_epoll_echo_bind(const struct sockaddr *addr, socklen_t len);

/*
 * Echo on fd until *stop becomes nonzero (checked at least every 100 ms) or
 * a fatal error; returns 0 or -errno. Stats may be NULL.
 */
int rp_epoll_echo_serve(int fd, volatile sig_atomic_t *stop,
			struct rp_epoll_echo_stats *stats);

#endif
