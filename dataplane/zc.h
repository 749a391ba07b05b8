/* SPDX-License-Identifier: MIT */
/*
 * Zerocopy policy per socket, and the transmit path every sender uses.
 *
 * Policy (struct rp_zc_sock, one per socket):
 *   never   copy sends only.
 *   always  SEND_ZC / SENDMSG_ZC from the fixed buffer for every send; when
 *           the kernel reports it copied anyway, count zc_copied, keep going.
 *   auto    copy below `threshold` bytes, zerocopy at or above. One in
 *           `sample_every` zerocopy sends asks IORING_SEND_ZC_REPORT_USAGE;
 *           when a notification says IORING_NOTIF_USAGE_ZC_COPIED (the skb
 *           looped back to a local socket, or was fragmented) the policy
 *           switches to copy sends for `fallback_retry_ms` (zerocopy.
 *           fallback-retry-ms; 0: for good), then samples again: zerocopy
 *           that copies pays for the notification and gains nothing
 *           (zc_fallbacks counts switches, logged once), but the path that
 *           made it copy may change (fallback.h).
 *
 * Whose policy: a TCP connection has its own rp_zc_sock. A UDP socket
 * answers many peers, so the UDP echo keeps one rp_zc_sock per destination
 * address in its peer table (peer.h): one local peer's copy report switches
 * that peer only. Both expire the same way (struct rp_fallback).
 *
 * Transmit path (usable without a worker or a service, e.g. the zc-tx
 * benchmark): rp_tx_send() submits a send of pool buffer `bid` (offset, len)
 * on a socket, copy or zerocopy as the socket's policy decides, to an
 * optional destination address. Its CQEs carry user_data
 *   rp_ud(RP_OP_SEND or RP_OP_SEND_ZC, tag << 16 | bid)
 * and the caller hands each such CQE to rp_tx_complete(), which moves the
 * buffer through its states (bufpool.h), counts (tx_packets/bytes,
 * copy_sends, zc_sends, notifs, zc_copied, zc_fallbacks, err_send) and says
 * what happened in a struct rp_tx_event. With RP_TX_PUT_ON_SENT the buffer
 * goes back to the pool by itself: on the send CQE for a copy send, on its
 * F_NOTIF CQE for a zerocopy send. Exactly one F_NOTIF follows every
 * zerocopy send CQE that has IORING_CQE_F_MORE.
 *
 * Minimal tx-only use:
 *   struct rp_tx tx = { .ring = &ring, .pool = &pool, .ctr = &ctr };
 *   rp_zc_sock_init(&zs, &cfg->zerocopy, RP_UNSET);
 *   bid = rp_buf_take(&pool); memcpy(rp_buf_addr(&pool, bid), ...);
 *   rp_tx_send(&tx, &zs, &(struct rp_tx_req){ .fd = fd, .bid = bid, .len = n,
 *              .dst = sa, .dstlen = salen, .flags = RP_TX_PUT_ON_SENT });
 *   ... io_uring_submit_and_wait; for each cqe: rp_tx_complete(&tx, &zs, cqe, &ev);
 */
#ifndef RP_ZC_H
#define RP_ZC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "config/config.h"
#include "dataplane/bufpool.h"
#include "dataplane/counters.h"
#include "dataplane/fallback.h"

struct io_uring;
struct io_uring_cqe;

/* ---- policy -------------------------------------------------------------- */

enum rp_send_kind {
	RP_SEND_COPY,
	RP_SEND_ZC,
	RP_SEND_ZC_REPORT,	/* zerocopy + IORING_SEND_ZC_REPORT_USAGE */
};

struct rp_zc_sock {
	enum rp_zc_mode mode;
	unsigned threshold;
	unsigned sample_every;	/* 0: never ask for usage reports */
	unsigned retry_ms;	/* how long a fallback lasts; 0: for good */
	struct rp_fallback fell_back;	/* auto switched to copy until then */
	unsigned sample_left;	/* zerocopy sends before the next sampled one */
};

/* svc_override: RP_UNSET, or an enum rp_zc_mode that replaces cfg->mode. */
void rp_zc_sock_init(struct rp_zc_sock *zs, const struct rp_zerocopy_cfg *cfg,
		     long svc_override);
/*
 * The two per-send decisions are inline: they run on every send, and as
 * calls into zc.c they cost more instructions than they execute (callgrind,
 * bench zc-tx-goals).
 */

/* Would a send of len bytes be a copy? (Only side effect: an expired
 * fallback is cleared.) */
static inline bool rp_zc_would_copy(struct rp_zc_sock *zs, size_t len)
{
	return zs->mode == RP_ZC_NEVER || (zs->mode == RP_ZC_AUTO && len < zs->threshold) ||
	       rp_fallback_active(&zs->fell_back);
}

/* How to send len bytes now. Counts the decision for sampling. */
static inline enum rp_send_kind rp_zc_decide(struct rp_zc_sock *zs, size_t len)
{
	if (rp_zc_would_copy(zs, len))
		return RP_SEND_COPY;
	if (!zs->sample_every)
		return RP_SEND_ZC;
	/* A countdown, not a modulo: a 64-bit division costs more cycles than
	 * the rest of the decision. sample_left starts at 0, so the first
	 * zerocopy send of a socket is sampled: a loopback peer is then found
	 * out at once, not sample_every sends later. */
	if (zs->sample_left) {
		zs->sample_left--;
		return RP_SEND_ZC;
	}
	zs->sample_left = zs->sample_every - 1;
	return RP_SEND_ZC_REPORT;
}
/*
 * A notification's res. Returns true when this notification switched the
 * policy to copy sends (auto only; for retry_ms); counts zc_copied /
 * zc_fallbacks in c.
 */
bool rp_zc_on_notif(struct rp_zc_sock *zs, int32_t res, struct rp_counters *c);

/* ---- transmit path ------------------------------------------------------- */

struct rp_tx {
	struct io_uring *ring;
	struct rp_bufpool *pool;
	struct rp_counters *ctr;
	unsigned *pending;	/* optional: +1 per SQE (the worker's outstanding count) */
};

enum {
	RP_TX_FIXED_FILE = 1u << 0,	/* fd is a fixed-file slot */
	RP_TX_PUT_ON_SENT = 1u << 1,	/* fire and forget: the pool takes the buffer back */
	/* MSG_DONTWAIT: a full socket buffer fails the send with -EAGAIN
	 * (counted err_send_full) instead of parking it on poll, where a later
	 * send could overtake it. UDP uses this to keep replies in SQ order. */
	RP_TX_NOWAIT = 1u << 2,
	/* .heap lies in fixed buffer .buf_index of the ring (another worker's
	 * pool cloned into it: bufclone.h): zerocopy as the policy decides,
	 * the caller keeps the memory until the send and its notification. */
	RP_TX_HEAP_FIXED = 1u << 3,
};

/*
 * A send from memory the caller owns and keeps in place until the kernel
 * is done with it (the zcrx area, dataplane/proxy_zcrx.c): bid
 * RP_TX_EXT | cookie with .heap. Unlike a heap copy it may go zerocopy
 * (SEND_ZC from unregistered memory, by the socket's policy); the 15-bit
 * cookie comes back in the events' bid, so the caller knows which memory
 * a completion or notification is about. Pool ids stay below
 * RP_BUFPOOL_MAX (0x8000), so the two never meet.
 */
#define RP_TX_EXT 0x8000u
#define RP_TX_EXT_COOKIE_MAX 0x7ffeu	/* RP_TX_EXT | 0x7fff would be RP_BID_NONE */

static inline bool rp_tx_bid_pooled(unsigned bid) { return bid < RP_BUFPOOL_MAX; }
static inline bool rp_tx_bid_ext(unsigned bid)
{
	return bid >= RP_TX_EXT && bid != RP_BID_NONE;
}

struct rp_tx_req {
	int fd;
	unsigned flags;
	unsigned bid;			/* pool buffer, RP_BID_NONE or RP_TX_EXT|cookie with .heap */
	const void *heap;		/* bid not a pool id: send from here (RP_BID_NONE: a copy,
					 * unless RP_TX_HEAP_FIXED) */
	unsigned buf_index;		/* RP_TX_HEAP_FIXED: the fixed buffer heap lies in */
	unsigned off, len;		/* within buffer bid */
	const struct sockaddr *dst;	/* UDP destination or NULL; must stay valid until
					 * the send CQE (e.g. inside the same buffer) */
	socklen_t dstlen;
	uint64_t tag;			/* 40 bits for the caller, returned in events */
};

#define RP_TX_TAG_BITS 40

enum rp_tx_what {
	RP_TX_SENT,		/* the send completed (res = bytes or -errno) */
	RP_TX_NOTIF,		/* a zerocopy buffer-free notification */
};

struct rp_tx_event {
	enum rp_tx_what what;
	unsigned bid;		/* RP_BID_NONE for heap sends, RP_TX_EXT|cookie */
	uint64_t tag;
	int32_t res;
	bool zc;		/* it was a zerocopy send */
	bool notif_follows;	/* RP_TX_SENT with F_MORE */
	bool buf_returned;	/* the pool has the buffer back */
	bool fell_back;		/* RP_TX_NOTIF switched the socket to copy */
};

/* A free SQE, submitting once to make room; counted in tx->pending. NULL
 * when the SQ is still full. */
struct io_uring_sqe *rp_tx_sqe(struct rp_tx *tx);
/* Queue one send SQE (not submitted). 0, or -EBUSY when the SQ is full even
 * after a submit (the caller retries later). */
int rp_tx_send(struct rp_tx *tx, struct rp_zc_sock *zs, const struct rp_tx_req *req);
/* Count n sends that failed with res (< 0): err_send_full for -EAGAIN, else
 * err_send. */
void rp_tx_count_err(struct rp_counters *c, int32_t res, unsigned n);
/* Account one CQE whose op is RP_OP_SEND or RP_OP_SEND_ZC. zs may be NULL
 * when the socket is gone (late notification after close). */
void rp_tx_complete(struct rp_tx *tx, struct rp_zc_sock *zs,
		    const struct io_uring_cqe *cqe, struct rp_tx_event *ev);

static inline uint64_t rp_tx_ud_tag(uint64_t ud_data) { return ud_data >> 16; }
static inline unsigned rp_tx_ud_bid(uint64_t ud_data) { return (unsigned)(ud_data & 0xffff); }

#endif
