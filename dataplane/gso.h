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
 * Completion: the train's SQE carries user_data
 *   rp_ud(RP_OP_SEND_GSO, tag << 16 | RP_GSO_UD(id, train index))
 * and rp_gso_complete() counts and hands every buffer back to the pool.
 * Singles complete through rp_tx_complete() with the tag's object naming
 * the peer (rp_peer_ref), so a zerocopy notification reaches that peer's
 * policy (svc_ops.zc_sock).
 *
 * Connected sockets (rp_gso_init_connected): one gather list for many
 * sockets, each connected to its destination (udp-relay's sessions, one
 * socket per client toward its backend). Every entry names its own socket;
 * a run of entries for one socket rides in one train (no address in the
 * SENDMSG: the socket's own route). dst names the destination for its
 * per-peer policy only and must stay valid until the flush, not the send.
 * A train the kernel refused is sent again datagram by datagram only while
 * the owner says the socket is still the one the entry named (sock_open:
 * its number may have been closed and reused since).
 *
 * Lent memory (mem != NULL): an entry may name memory that is not one of
 * the pool's buffers (udp-relay: a datagram another worker handed over,
 * in that worker's pool or in a copy queue slot). It rides in trains like
 * any entry (the iovec points there: a SENDMSG copies at send time, so a
 * train may span any number of such memories); the gso never puts it in
 * its pool but gives it back with lent_done(arg, lent, res) when the train
 * completed (res: the train's), and a lent entry that leaves alone is a
 * copy send from mem with tx tag `tag | lent` through rp_tx_send (its
 * completion reaches the owner's on_tx, not the gso). Zerocopy is never
 * used for lent memory here: one SEND_ZC names one registered buffer, so
 * a zerocopy send of lent memory stays the owner's, per datagram.
 *
 * Coalesced receives (seg != 0: a UDP_GRO receive, len bytes of datagrams
 * of seg bytes, the last one shorter or equal): the buffer already is a
 * train. It leaves as one SENDMSG with UDP_SEGMENT seg, one iovec, so the
 * peer receives exactly the datagrams the sender sent; when it may not
 * (GSO off for the service or the peer, seg over the family's segment
 * size, the kernel refusing it) it is split: one send per datagram from
 * its slice of the buffer, which goes back to the pool (lent: lent_done,
 * once, with the last send's result) when the last send completed.
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

/* The low 16 bits of a train's user_data: bit 15 a split's send, bits
 * 8..14 the owner's id of the gso (rp_gso_init_connected: an owner with two
 * tells them apart), bits 0..7 the train. */
#define RP_GSO_UD_SPLIT 0x8000u
#define RP_GSO_UD(id, idx) ((uint64_t)(((id) & 0x7fu) << 8 | ((idx) & 0xffu)))
static inline unsigned rp_gso_ud_id(uint64_t ud_data) { return (unsigned)(ud_data >> 8) & 0x7f; }

struct io_uring_cqe;

/* A datagram (or a coalesced receive) waiting for the flush: a pool
 * buffer the gso puts back when its send is done. */
struct rp_gso_reply {
	uint16_t bid;
	uint16_t off;
	uint32_t len;
	const struct sockaddr *dst;	/* inside buffer bid; connected: the peer's name only */
	socklen_t dstlen;
	int fd;				/* connected: the entry's socket; else the gso's */
	uint16_t seg;			/* 0: one datagram; else a coalesced receive */
	uint32_t obj;			/* connected: the owner's name for fd (sock_open) */
	struct rp_counters *ctr;	/* gso_sends/gso_datagrams go here; NULL: tx->ctr */
	const void *mem;		/* not NULL: the payload lies here (lent), not in bid */
	uint32_t lent;			/* mem: the owner's name for it (not 0), see above */
};

/* One SENDMSG in flight, or one split (several sends from one buffer): the
 * iovecs and msghdr must outlive the SQE. */
struct rp_gso_train {
	struct msghdr mh;
	struct iovec iov[RP_GSO_MAX_SEGS];
	uint16_t bids[RP_GSO_MAX_SEGS];
	uint32_t lent[RP_GSO_MAX_SEGS];	/* not 0: iov[i] is lent memory, bids[i] unused */
	union {
		char buf[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr align;
	} cmsg;
	unsigned n;		/* iovecs (buffers) */
	unsigned dgrams;	/* datagrams they carry */
	unsigned left;		/* a split: its sends still to complete */
	int fd;
	uint16_t seg;		/* the entry's seg (one iovec) or 0 */
	uint32_t obj;
	uint32_t peer;		/* rp_peer_ref of its destination, 0: none */
	struct rp_gso_reply one;	/* a split: the coalesced receive it sends */
	int next_free;		/* index, -1 ends the free list */
};

struct rp_gso {
	int fd;			/* -1: connected sockets, one per entry */
	uint64_t tag;		/* RP_TX_TAG_BITS of the owner, returned in user_data */
	unsigned id;		/* in the trains' user_data (RP_GSO_UD) */
	/* connected: does obj still name socket fd? NULL: always */
	bool (*sock_open)(void *arg, uint32_t obj, int fd);
	/* lent memory the gso is done with (res: its train's send result;
	 * -EBUSY: never sent, no SQE); set before an entry with mem is gathered */
	void (*lent_done)(void *arg, uint32_t lent, int res);
	void *arg;
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
 * list (that keeps the order) but leaves as a single send (a coalesced
 * receive: split). */
int rp_gso_init(struct rp_gso *g, int fd, uint64_t tag, bool enabled,
		struct rp_peer_table *peers, struct rp_zc_sock *zs);
/* For connected sockets (see above): entries name their socket; id goes
 * into the trains' user_data; sock_open(arg, obj, fd) may be NULL. */
int rp_gso_init_connected(struct rp_gso *g, uint64_t tag, unsigned id, bool enabled,
			  struct rp_peer_table *peers, struct rp_zc_sock *zs,
			  bool (*sock_open)(void *arg, uint32_t obj, int fd), void *arg);
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
/* Datagrams in a coalesced receive of len bytes cut at seg (0: one). */
static inline unsigned rp_gso_dgrams(unsigned len, unsigned seg)
{
	return seg && len > seg ? (len + seg - 1) / seg : 1;
}
/* The same with every field of the entry (fd: connected only). */
void rp_gso_gather(struct rp_gso *g, struct rp_tx *tx, const struct rp_gso_reply *r);
/* Queue everything gathered, in order (trains and single sends). Singles
 * that find no SQE are counted as err_send and their buffers put back. */
void rp_gso_flush(struct rp_gso *g, struct rp_tx *tx);
/* One CQE whose op is RP_OP_SEND_GSO. */
void rp_gso_complete(struct rp_gso *g, struct rp_tx *tx, const struct io_uring_cqe *cqe);

#endif
