/* SPDX-License-Identifier: MIT */
/*
 * UDP GSO trains: replies coalesced per peer into one send.
 *
 * Why: a UDP echo server spends nearly all of its time in the kernel, one
 * trip down the stack per datagram (perf: 98% kernel at 64 B). Replies that
 * a CQE batch produces for one peer, all of one size, can leave in ONE
 * IORING_OP_SENDMSG whose iovecs point at the datagrams' own pool buffers
 * and whose UDP_SEGMENT control message tells the kernel the datagram size:
 * the stack is walked once and the skb is cut into datagrams at the latest
 * point (the device, or the receiving socket on loopback/veth). The peer
 * receives ordinary separate datagrams.
 *
 * How: a service gathers each reply with rp_gso_add() while the worker
 * handles a CQE batch, and sends them with rp_gso_flush() when the batch is
 * done (svc_ops.flush). The flush walks the gathered replies in arrival
 * order; a run of consecutive replies to the same address with the same
 * length (the last one may be shorter, as UDP_SEGMENT allows) becomes a
 * train; a reply alone goes out through rp_tx_send() as before. Order per
 * peer is kept: everything is queued on the one SQ in arrival order.
 *
 * Only replies the zerocopy policy would COPY are coalesced (zerocopy sends
 * keep their per-buffer notifications, zc.h), and only up to
 * RP_GSO_MAX_SEG bytes each, so a segment fits a 1500-byte MTU.
 *
 * Completion: the train's SQE carries user_data
 *   rp_ud(RP_OP_SEND_GSO, tag << 16 | train index)
 * and rp_gso_complete() counts and hands every buffer back to the pool. A
 * train the kernel refuses (EINVAL/EIO/EMSGSIZE/EOPNOTSUPP: no GSO on this
 * route, a smaller MTU, no checksum offload) is sent again datagram by
 * datagram from the same buffers, and GSO is switched off for the socket
 * (gso_fallbacks, logged once): nothing is lost.
 */
#ifndef RP_GSO_H
#define RP_GSO_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "dataplane/zc.h"

#define RP_GSO_MAX_SEGS 64	/* <= the kernel's UDP_MAX_SEGMENTS */
#define RP_GSO_MAX_SEG 1472	/* a datagram that fits a 1500-byte IPv4 MTU */
#define RP_GSO_MAX_BYTES 65000	/* a train stays below the 64 KiB IP limit */
#define RP_GSO_GATHER 256	/* replies gathered before an early flush */
#define RP_GSO_TRAINS 64	/* trains in flight per socket */

struct io_uring_cqe;

/* A reply waiting for the flush: a rp_tx_req with RP_TX_PUT_ON_SENT. */
struct rp_gso_reply {
	uint16_t bid;
	uint16_t off;
	uint32_t len;
	const struct sockaddr *dst;	/* inside buffer bid */
	socklen_t dstlen;
};

/* One SENDMSG in flight: the iovecs and msghdr must outlive the SQE. */
struct rp_gso_train {
	struct msghdr mh;
	struct iovec iov[RP_GSO_MAX_SEGS];
	uint16_t bids[RP_GSO_MAX_SEGS];
	union {
		char buf[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr align;
	} cmsg;
	unsigned n;
	int next_free;		/* index, -1 ends the free list */
};

struct rp_gso {
	int fd;
	uint64_t tag;		/* RP_TX_TAG_BITS of the owner, returned in user_data */
	bool off;		/* disabled by config or by a refused train */
	unsigned n_gather;
	struct rp_gso_reply gather[RP_GSO_GATHER];
	struct rp_gso_train *trains;	/* RP_GSO_TRAINS */
	int free_head;
	unsigned in_flight;
};

/* 0 or -ENOMEM. enabled=false: every reply goes out alone (rp_gso_add
 * declines). */
int rp_gso_init(struct rp_gso *g, int fd, uint64_t tag, bool enabled);
/* After every train completed (nothing in flight). */
void rp_gso_destroy(struct rp_gso *g);

/*
 * Gather a reply for the next flush. Returns false when it is no candidate
 * (GSO off, too large, or the policy would send it zerocopy): the caller
 * sends it itself. May flush first when the gather list is full.
 */
bool rp_gso_add(struct rp_gso *g, struct rp_tx *tx, struct rp_zc_sock *zs,
		const struct rp_tx_req *req);
/* Queue everything gathered (trains and single sends). Singles that find no
 * SQE are counted as err_send and their buffers put back. */
void rp_gso_flush(struct rp_gso *g, struct rp_tx *tx, struct rp_zc_sock *zs);
/* One CQE whose op is RP_OP_SEND_GSO. */
void rp_gso_complete(struct rp_gso *g, struct rp_tx *tx, struct rp_zc_sock *zs,
		     const struct io_uring_cqe *cqe);

#endif
