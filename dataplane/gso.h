/* SPDX-License-Identifier: MIT */
/*
 * UDP GSO trains and the order of UDP replies.
 *
 * Why trains: a UDP echo server spends nearly all of its time in the
 * kernel, one trip down the stack per datagram (perf: 98% kernel at 64 B).
 * Replies that a CQE batch produces for one peer, all of one size, can
 * leave in ONE IORING_OP_SENDMSG whose iovecs point at the datagrams' own
 * pool buffers and whose UDP_SEGMENT control message tells the kernel the
 * datagram size: the stack is walked once and the skb is cut into
 * datagrams at the latest point (the device, or the receiving socket on
 * loopback/veth). The peer receives ordinary separate datagrams.
 *
 * Order: EVERY reply of the socket goes through the gather list, whatever
 * its size and send mode: rp_gso_add() while the worker handles a CQE
 * batch, rp_gso_flush() when the batch is done (svc_ops.flush). The flush
 * walks the list in arrival order and queues, on the one SQ, either a
 * train (a run of consecutive replies to the same address with the same
 * length; the last may be shorter, as UDP_SEGMENT allows) or a single send
 * (rp_tx_send: copy or zerocopy as the peer's policy decides). A reply
 * that may not ride in a train (too large, zerocopy, GSO off) is a single
 * in its place, so it can no longer overtake smaller replies that wait
 * for the flush. Every send carries MSG_DONTWAIT (RP_TX_NOWAIT): io_uring
 * issues the SQEs inline in SQ order, and a send that finds the socket
 * buffer full completes with -EAGAIN (dropped, counted err_send_full, as
 * UDP may) instead of being parked on poll, where a later send to the same
 * peer could overtake it.
 *
 * Per peer (peer.h): whether a reply is copied or sent zerocopy is the
 * destination's own policy, and GSO can be switched off for one
 * destination. A train the kernel refuses (EINVAL/EIO/EMSGSIZE/EOPNOTSUPP:
 * a route with a smaller MTU, no checksum offload) is sent again datagram
 * by datagram from the same buffers when its CQE arrives, and that peer
 * gets singles for services[].gso-retry-ms (gso_fallbacks counts the
 * switches, logged once); other peers keep their trains. The one order
 * exception: replies to that peer queued behind the refused train in the
 * same flush leave before its resent datagrams (once per peer per retry
 * period).
 *
 * Segment size: a segment must fit the path MTU or the kernel refuses the
 * train. The socket is unconnected and answers peers on any route, so no
 * single path MTU can be asked for (IP_MTU needs a connected socket); the
 * limit is per family for a 1500-byte MTU (IPv4 1472 = 1500-20-8, IPv6
 * 1452 = 1500-40-8), and a peer behind a smaller MTU is caught by the
 * per-peer refusal above. Larger replies go out as singles (fragmented by
 * the kernel as any datagram would be).
 *
 * Coalesced requests (UDP GRO, udp-echo with buffers of 64 KiB): the
 * kernel may hand over several datagrams of one peer in ONE buffer, cut
 * every `seg` bytes (the last may be shorter). Such a reply is gathered
 * as one entry with its seg (rp_gso_add_gro) and leaves, in its place, as
 * one train of one iovec cut at seg: the datagrams go back as the peer
 * sent them, and the buffer never needs to be split. Where a train may
 * not go (the peer's GSO off, a segment too large for the MTU limit, a
 * zerocopy-sized segment) and when the kernel refuses the train, the
 * buffer is sent as `split` datagrams: one copy send per segment, all
 * owned by one train slot that puts the buffer back after the last.
 *
 * Completion: the train's SQE carries user_data
 *   rp_ud(RP_OP_SEND_GSO, tag << 16 | train index)
 * and rp_gso_complete() counts and hands every buffer back to the pool.
 * Singles complete through rp_tx_complete() with the tag's object naming
 * the peer (rp_peer_ref), so a zerocopy notification reaches that peer's
 * policy (svc_ops.zc_sock).
 */
#ifndef RP_GSO_H
#define RP_GSO_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "dataplane/peer.h"
#include "dataplane/zc.h"

#define RP_GSO_MAX_SEGS 64	/* <= the kernel's UDP_MAX_SEGMENTS */
#define RP_GSO_MAX_SEG4 1472	/* a datagram that fits a 1500-byte IPv4 MTU */
#define RP_GSO_MAX_SEG6 1452	/* ... and IPv6 MTU (40-byte header) */
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
	uint16_t seg;			/* coalesced datagrams of seg bytes; 0: one datagram */
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
	unsigned dgrams;	/* datagrams it carries (n, or a coalesced buffer's) */
	unsigned split_left;	/* split sends of a coalesced buffer still in flight */
	uint16_t seg;		/* coalesced: the datagram size; 0 otherwise */
	int next_free;		/* index, -1 ends the free list */
};

struct rp_gso {
	int fd;
	uint64_t tag;		/* RP_TX_TAG_BITS of the owner, returned in user_data */
	bool enabled;		/* services[].gso: trains at all */
	struct rp_peer_table *peers;	/* per-destination policy (the owner's) */
	struct rp_zc_sock *zs;	/* for an address the peer table cannot key */
	unsigned n_gather;
	struct rp_gso_reply gather[RP_GSO_GATHER];
	struct rp_gso_train *trains;	/* RP_GSO_TRAINS */
	int free_head;
	unsigned in_flight;
};

/* 0 or -ENOMEM. enabled=false: every reply still goes through the gather
 * list (that keeps the order) but leaves as a single send. */
int rp_gso_init(struct rp_gso *g, int fd, uint64_t tag, bool enabled,
		struct rp_peer_table *peers, struct rp_zc_sock *zs);
/* After every train completed (nothing in flight). */
void rp_gso_destroy(struct rp_gso *g);

/* The largest datagram a train may carry to an address of this family. */
unsigned rp_gso_max_seg(int family);

/*
 * Gather a reply (a pool buffer, RP_TX_PUT_ON_SENT) for the next flush:
 * req's bid, off, len and dst are used; socket, flags and tag are the
 * gso's own. Flushes first when the gather list is full.
 */
void rp_gso_add(struct rp_gso *g, struct rp_tx *tx, const struct rp_tx_req *req);
/* The same for a buffer of coalesced datagrams of seg bytes (UDP GRO; the
 * last may be shorter): they go back as datagrams of seg bytes. */
void rp_gso_add_gro(struct rp_gso *g, struct rp_tx *tx, const struct rp_tx_req *req,
		    unsigned seg);
/* Datagrams in a coalesced buffer of len bytes cut at seg (0: one). */
static inline unsigned rp_gso_dgrams(unsigned len, unsigned seg)
{
	return seg && len > seg ? (len + seg - 1) / seg : 1;
}
/* Queue everything gathered, in order (trains and single sends). Singles
 * that find no SQE are counted as err_send and their buffers put back. */
void rp_gso_flush(struct rp_gso *g, struct rp_tx *tx);
/* One CQE whose op is RP_OP_SEND_GSO. */
void rp_gso_complete(struct rp_gso *g, struct rp_tx *tx, const struct io_uring_cqe *cqe);

#endif
