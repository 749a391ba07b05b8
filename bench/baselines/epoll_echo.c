/* SPDX-License-Identifier: MIT */
/*
 * The epoll + recvmmsg/sendmmsg reference echo (see epoll_echo.h). Written
 * for the benchmark: it does what a tuned non-io_uring server does, no more.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "bench/baselines/epoll_echo.h"
#include "bench/baselines/epoll_gso.h"

/* One receive batch: `batch` buffers and their messages; with GSO, the
 * outgoing trains too. */
struct batch {
	unsigned n;
	struct mmsghdr *msgs;
	struct iovec *iov;
	struct sockaddr_storage *peers;
	char *bufs;
	struct rp_epoll_gso_out out;	/* gso only */
	unsigned *datagrams;		/* gso only: replies per outgoing entry */
	char (*rx_cmsg)[64];		/* gro only: room for each UDP_GRO message */
	unsigned *seg;			/* gro only: each message's segment size */
};

#ifndef UDP_GRO
#define UDP_GRO 104	/* linux/udp.h */
#endif

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

static void batch_free(struct batch *b)
{
	free(b->msgs);
	free(b->iov);
	free(b->peers);
	free(b->bufs);
	free(b->out.msgs);
	free(b->out.cmsg);
	free(b->datagrams);
	free(b->rx_cmsg);
	free(b->seg);
}

static int batch_alloc(struct batch *b, const struct rp_epoll_echo_cfg *cfg)
{
	unsigned n = cfg->batch;

	*b = (struct batch){ .n = n };
	b->msgs = calloc(n, sizeof(*b->msgs));
	b->iov = calloc(n, sizeof(*b->iov));
	b->peers = calloc(n, sizeof(*b->peers));
	b->bufs = malloc((size_t)n * RP_EPOLL_ECHO_MAX);
	if (cfg->gso) {
		b->out = (struct rp_epoll_gso_out){ .msgs = calloc(n, sizeof(*b->out.msgs)),
						    .cmsg = calloc(n, sizeof(*b->out.cmsg)), .cap = n };
		b->datagrams = calloc(n, sizeof(*b->datagrams));
	}
	if (cfg->gro) {
		b->rx_cmsg = calloc(n, sizeof(*b->rx_cmsg));
		b->seg = calloc(n, sizeof(*b->seg));
	}
	if (!b->msgs || !b->iov || !b->peers || !b->bufs ||
	    (cfg->gso && (!b->out.msgs || !b->out.cmsg || !b->datagrams)) ||
	    (cfg->gro && (!b->rx_cmsg || !b->seg))) {
		batch_free(b);
		return -ENOMEM;
	}
	return 0;
}

/* Re-arm every message for receiving: full buffer, room for any peer. */
static void batch_reset(struct batch *b)
{
	for (unsigned i = 0; i < b->n; i++) {
		b->iov[i] = (struct iovec){ b->bufs + (size_t)i * RP_EPOLL_ECHO_MAX, RP_EPOLL_ECHO_MAX };
		b->msgs[i].msg_hdr = (struct msghdr){
			.msg_name = &b->peers[i], .msg_namelen = sizeof(b->peers[i]),
			.msg_iov = &b->iov[i], .msg_iovlen = 1,
		};
		if (b->rx_cmsg) {
			b->msgs[i].msg_hdr.msg_control = b->rx_cmsg[i];
			b->msgs[i].msg_hdr.msg_controllen = sizeof(b->rx_cmsg[i]);
		}
	}
}

/* gro: each received message's segment size, 0 for one datagram. */
static void read_segs(struct batch *b, unsigned n, struct rp_epoll_echo_stats *st)
{
	for (unsigned i = 0; b->seg && i < n; i++) {
		b->seg[i] = rp_epoll_gro_seg(&b->msgs[i].msg_hdr, b->msgs[i].msg_len);
		if (b->seg[i]) {
			st->gro_recvs++;
			st->gro_dgrams += (b->msgs[i].msg_len + b->seg[i] - 1) / b->seg[i];
		}
	}
}

/* sendmmsg all n messages; a full socket buffer drops the rest, like a UDP
 * server under overload does. Returns how many messages left. */
static unsigned send_all(int fd, struct mmsghdr *msgs, unsigned n)
{
	unsigned sent = 0;

	while (sent < n) {
		int r = sendmmsg(fd, msgs + sent, n - sent, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		sent += (unsigned)r;
	}
	return sent;
}

/* Send back n received datagrams, each to its sender, with its length:
 * one message each, or (gso) trains and singles. */
static void echo_back(int fd, struct batch *b, unsigned n, struct rp_epoll_echo_stats *st)
{
	unsigned entries = n, sent;

	if (b->datagrams) {
		entries = rp_epoll_gso_build(&b->out, b->msgs, b->iov, b->seg, n, b->datagrams);
	} else {
		for (unsigned i = 0; i < n; i++)
			b->iov[i].iov_len = b->msgs[i].msg_len;
	}
	sent = send_all(fd, b->datagrams ? b->out.msgs : b->msgs, entries);
	for (unsigned i = 0; i < entries; i++) {
		unsigned k = b->datagrams ? b->datagrams[i] : 1;

		if (i < sent) {
			st->echoed += k;
			st->trains += k > 1;
		} else {
			st->dropped += k;
		}
	}
}

/* Drain the socket until it would block; 0 or -errno. */
static int drain(int fd, struct batch *b, struct rp_epoll_echo_stats *st)
{
	for (;;) {
		int n;

		batch_reset(b);
		n = recvmmsg(fd, b->msgs, b->n, MSG_DONTWAIT, NULL);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -errno;
		read_segs(b, (unsigned)n, st);
		echo_back(fd, b, (unsigned)n, st);
		if ((unsigned)n < b->n)
			return 0;
	}
}

int rp_epoll_echo_serve_cfg(int fd, const struct rp_epoll_echo_cfg *cfg,
			    volatile sig_atomic_t *stop, struct rp_epoll_echo_stats *stats)
{
	struct rp_epoll_echo_stats local = { 0 };
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
	struct batch b;
	int ep, err;

	if (!cfg->batch || cfg->batch > RP_EPOLL_ECHO_BATCH_MAX || (cfg->gro && !cfg->gso))
		return -EINVAL;
	/* the reference must really get what ringplane gets: no silent fallback */
	if (cfg->gro && setsockopt(fd, IPPROTO_UDP, UDP_GRO, &(int){ 1 }, sizeof(int)) < 0)
		return -errno;
	if (!stats)
		stats = &local;
	err = batch_alloc(&b, cfg);
	if (err)
		return err;
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		err = -errno;
	while (!err && !*stop) {
		int n = epoll_wait(ep, &ev, 1, 100);

		if (n < 0 && errno != EINTR)
			err = -errno;
		else if (n > 0)
			err = drain(fd, &b, stats);
	}
	if (ep >= 0)
		close(ep);
	batch_free(&b);
	return err;
}

int rp_epoll_echo_serve(int fd, volatile sig_atomic_t *stop, struct rp_epoll_echo_stats *stats)
{
	const struct rp_epoll_echo_cfg cfg = { .batch = RP_EPOLL_ECHO_BATCH };

	return rp_epoll_echo_serve_cfg(fd, &cfg, stop, stats);
}
