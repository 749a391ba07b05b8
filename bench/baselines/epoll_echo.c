/* SPDX-License-Identifier: MIT */
/*
 * The epoll + recvmmsg/sendmmsg reference echo (see epoll_echo.h). Written
 * for the benchmark: it does what a tuned non-io_uring server does, no more.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "bench/baselines/epoll_echo.h"

struct batch {
	struct mmsghdr msgs[RP_EPOLL_ECHO_BATCH];
	struct iovec iov[RP_EPOLL_ECHO_BATCH];
	struct sockaddr_storage peers[RP_EPOLL_ECHO_BATCH];
	char *bufs;
};

int rp_epoll_echo_bind(const struct sockaddr *addr, socklen_t len)
{
	int fd = socket(addr->sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1, err;

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, addr, len) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* Re-arm every message for receiving: full buffer, room for any peer. */
static void batch_reset(struct batch *b)
{
	for (unsigned i = 0; i < RP_EPOLL_ECHO_BATCH; i++) {
		b->iov[i] = (struct iovec){ b->bufs + (size_t)i * RP_EPOLL_ECHO_MAX, RP_EPOLL_ECHO_MAX };
		b->msgs[i].msg_hdr = (struct msghdr){
			.msg_name = &b->peers[i], .msg_namelen = sizeof(b->peers[i]),
			.msg_iov = &b->iov[i], .msg_iovlen = 1,
		};
	}
}

/* Send back n received datagrams, each to its sender, with its length. */
static void echo_back(int fd, struct batch *b, int n, struct rp_epoll_echo_stats *st)
{
	int sent = 0, r;

	for (int i = 0; i < n; i++)
		b->iov[i].iov_len = b->msgs[i].msg_len;
	while (sent < n) {
		r = sendmmsg(fd, b->msgs + sent, (unsigned)(n - sent), 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			/* A full socket buffer drops the rest, like a UDP
			 * server under overload does. */
			st->dropped += (uint64_t)(n - sent);
			return;
		}
		sent += r;
		st->echoed += (uint64_t)r;
	}
}

/* Drain the socket until it would block; 0 or -errno. */
static int drain(int fd, struct batch *b, struct rp_epoll_echo_stats *st)
{
	for (;;) {
		int n;

		batch_reset(b);
		n = recvmmsg(fd, b->msgs, RP_EPOLL_ECHO_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -errno;
		echo_back(fd, b, n, st);
		if (n < RP_EPOLL_ECHO_BATCH)
			return 0;
	}
}

int rp_epoll_echo_serve(int fd, volatile sig_atomic_t *stop,
			struct rp_epoll_echo_stats *stats)
{
	struct rp_epoll_echo_stats local = { 0 };
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
	struct batch *b = calloc(1, sizeof(*b));
	int ep = epoll_create1(EPOLL_CLOEXEC), err = 0;

	if (!stats)
		stats = &local;
	if (!b || ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		err = b ? -errno : -ENOMEM;
	if (!err && !(b->bufs = malloc((size_t)RP_EPOLL_ECHO_BATCH * RP_EPOLL_ECHO_MAX)))
		err = -ENOMEM;
	while (!err && !*stop) {
		int n = epoll_wait(ep, &ev, 1, 100);

		if (n < 0 && errno != EINTR)
			err = -errno;
		else if (n > 0)
			err = drain(fd, b, stats);
	}
	if (ep >= 0)
		close(ep);
	if (b)
		free(b->bufs);
	free(b);
	return err;
}
