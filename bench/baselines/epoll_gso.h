/* SPDX-License-Identifier: MIT */
/*
 * The epoll reference server's UDP GSO replies (see epoll_echo.h): a
 * received batch turned into one sendmmsg of trains and singles.
 */
#ifndef RP_EPOLL_GSO_H
#define RP_EPOLL_GSO_H

#include <stdint.h>
#include <sys/socket.h>

#define RP_EPOLL_GSO_SEGS 64		/* as dataplane/gso.h */
#define RP_EPOLL_GSO_SEG_MAX 1472
#define RP_EPOLL_GSO_BYTES 65000

/* Where the outgoing messages are built: `cap` entries each. */
struct rp_epoll_gso_out {
	struct mmsghdr *msgs;
	char (*cmsg)[64];		/* one UDP_SEGMENT control message per entry */
	unsigned cap;
};

/*
 * Group the n received messages (msg_len set, iov[i] their buffers, each
 * msg_name its sender) into trains and singles in `o`; returns the number of
 * entries, *datagrams[i] how many replies entry i carries (o->cap of them).
 * seg (NULL: no GRO) gives each message's UDP_GRO segment size, 0 for one
 * datagram: a coalesced message is an entry of its own, its buffer cut at
 * that size.
 */
unsigned rp_epoll_gso_build(struct rp_epoll_gso_out *o, struct mmsghdr *in, struct iovec *iov,
			    const unsigned *seg, unsigned n, unsigned *datagrams);

/* The UDP_GRO segment size a received message carries; 0: one datagram. */
unsigned rp_epoll_gro_seg(const struct msghdr *mh, unsigned len);

#endif
