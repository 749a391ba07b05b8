/* SPDX-License-Identifier: MIT */
/*
 * The per-worker buffer pool: one memory region, split into `count` buffers
 * of `size` bytes, registered with the ring as fixed buffer(s) (so sends can
 * use SEND_ZC with IORING_RECVSEND_FIXED_BUF) and, for receive pools, fed to
 * a provided buffer ring (group `bgid`) that multishot receives pick from.
 *
 * Every buffer has exactly one owner; the pool counts buffers per state so a
 * test (or `ringplane stats`) can prove nothing leaked:
 *
 *   FREE ──recv CQE (F_BUFFER) / rp_buf_take──► HANDLER ──rp_buf_sending──► SEND
 *    ▲                                             ▲                          │
 *    │                                             └────── rp_buf_sent ◄──────┘
 *    └── rp_buf_put (no notification pending) ─────┤      (+1 pending notif if the
 *    └── rp_buf_notif (last one) ◄── NOTIF ◄───────┘       send CQE had F_MORE)
 *                                  (rp_buf_put while notifications are pending)
 *
 * FREE means "in the buffer ring" for receive buffers: the kernel takes a
 * provided buffer only when data arrives and posts the CQE at once, so "free"
 * and "kernel (recv)" are one state seen from user space.
 *
 * A receive pool keeps `spare` buffers out of the buffer ring, on a stack, for
 * senders that need a buffer of their own (rp_buf_take); a transmit-only pool
 * (no buffer ring, e.g. the zc-tx benchmark) keeps all of them there. A buffer
 * goes back to where it came from.
 *
 * Exhaustion is backpressure, never growth: when a multishot receive ends with
 * -ENOBUFS the caller marks the pool starved (rp_bufpool_starve); once enough
 * buffers have come back (rp_bufpool_should_rearm) it re-arms its receives.
 *
 * Single-threaded: only the owning worker touches a pool.
 */
#ifndef RP_BUFPOOL_H
#define RP_BUFPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

struct io_uring;
struct io_uring_buf_ring;

enum rp_buf_state {
	RP_BUF_FREE,		/* in the buffer ring, or on the spare stack */
	RP_BUF_HANDLER,		/* user space owns it (received, or taken) */
	RP_BUF_SEND,		/* a send from it is in flight */
	RP_BUF_NOTIF,		/* put back, waiting for zerocopy notification(s) */
	RP_BUF__STATES,
};

#define RP_BID_NONE 0xffffu	/* "no pool buffer" (e.g. a send from heap memory) */
#define RP_BUFPOOL_MAX 32768u	/* buffer ids are 16 bits; 0xffff is RP_BID_NONE */

/* One buffer of a receive completion and the bytes the kernel put in it,
 * as they were when the completion was read (rp_rx_complete_bufs). */
struct rp_rx_piece {
	uint16_t bid;
	uint32_t len;
};

struct rp_buf {
	uint8_t state;		/* enum rp_buf_state */
	uint8_t put_on_sent;	/* rp_tx: hand back to the pool when the send completes */
	uint16_t notifs;	/* zerocopy notifications still to come */
};

struct rp_bufpool {
	unsigned char *base;	/* the region */
	size_t region_len;
	unsigned size;		/* bytes per buffer */
	unsigned count;		/* buffers in total */
	bool hugepages;		/* region is MAP_HUGETLB */
	bool registered;	/* io_uring_register_buffers succeeded */
	unsigned reg_shift;	/* log2 of the bytes per registered iovec: buf_index =
				 * offset >> reg_shift (a shift, not a division, on
				 * every zerocopy send) */
	unsigned n_reg;		/* registered iovecs */

	/* receive side: buffers [0, ring_count) live in the buffer ring */
	struct io_uring *ring;
	struct io_uring_buf_ring *br;
	unsigned ring_count;
	unsigned br_entries;	/* power of two >= ring_count */
	uint16_t bgid;
	/* Which buffer sits at which ring position (ring_bid, by position &
	 * (br_entries - 1)) and where each was last put (ring_pos, by buffer
	 * id; positions are the kernel's 16-bit ring indexes). Buffers come
	 * back in any order, so ring order is not id order; a bundle receive
	 * takes buffers from consecutive positions and names only the first
	 * (rp_buf_ring_next). */
	uint16_t *ring_bid;
	uint16_t *ring_pos;
	/* The buffers of the receive completion being handled, resolved
	 * when it is read (ring_count entries). Resolving them again later
	 * is wrong: buffers given back meanwhile (forwarding the first ones
	 * can reset a pair and drop its queue) are put at the ring's tail,
	 * which can wrap onto the completion's own positions. */
	struct rp_rx_piece *pieces;

	/* spare stack: buffers [ring_count, count) */
	uint16_t *spare;
	unsigned n_spare;

	struct rp_buf *bufs;
	unsigned n_state[RP_BUF__STATES];

	bool starved;		/* a receive stopped on -ENOBUFS */
	unsigned rearm_at;	/* free ring buffers needed to re-arm */
	uint64_t enobufs;	/* times starved */
};

/* What to build. spare: buffers kept out of the buffer ring (all of them when
 * recv_ring is false). */
struct rp_bufpool_params {
	unsigned size;
	unsigned count;
	enum rp_hugepages hugepages;
	bool recv_ring;		/* feed a provided buffer ring (group bgid) */
	uint16_t bgid;
	unsigned spare;
};

/*
 * Map, register (io_uring_register_buffers) and, for receive pools, set up
 * the buffer ring. ring may be NULL for a pool that is only accounted (unit
 * tests): nothing is registered then. On failure returns -errno and writes a
 * sentence into err naming what failed (e.g. RLIMIT_MEMLOCK, its value and
 * the size needed).
 */
int rp_bufpool_init(struct rp_bufpool *p, struct io_uring *ring,
		    const struct rp_bufpool_params *prm, char *err, size_t errlen);
/* Unregister, free the buffer ring and unmap. Safe on a zeroed pool. */
void rp_bufpool_destroy(struct rp_bufpool *p);

static inline void *rp_buf_addr(const struct rp_bufpool *p, unsigned bid)
{
	return p->base + (size_t)bid * p->size;
}

/* The registered buffer index (sqe->buf_index) for memory inside the region. */
static inline unsigned rp_buf_reg_index(const struct rp_bufpool *p, const void *addr)
{
	return p->registered ? (unsigned)((size_t)((const unsigned char *)addr - p->base) >> p->reg_shift)
			     : 0;
}

/* ---- ownership transitions (each updates n_state) ---------------------- */

/*
 * A send moves its buffer five or six times (take, sending, sent, put,
 * notif, give back), so the small moves are inline here: as calls into
 * bufpool.c they cost about as many instructions as the moves themselves
 * (callgrind, bench zc-tx). Only the step that may touch the buffer ring,
 * rp_buf_give_back, stays out of line.
 */
static inline void rp_buf_move(struct rp_bufpool *p, unsigned bid, enum rp_buf_state to)
{
	p->n_state[p->bufs[bid].state]--;
	p->bufs[bid].state = (uint8_t)to;
	p->n_state[to]++;
}

/* -> FREE, back to where it came from (buffer ring or spare stack). The last
 * step of rp_buf_put / rp_buf_notif; not for callers. */
void rp_buf_give_back(struct rp_bufpool *p, unsigned bid);

/* A receive CQE delivered buffer bid (IORING_CQE_F_BUFFER): FREE -> HANDLER.
 * Returns false (and changes nothing) if bid is not a FREE ring buffer. */
bool rp_buf_got(struct rp_bufpool *p, unsigned bid);

/* The buffer k positions after ring buffer bid (which the kernel took):
 * the k-th further buffer of a bundle receive that began with bid. */
static inline unsigned rp_buf_ring_next(const struct rp_bufpool *p, unsigned bid, unsigned k)
{
	return p->ring_bid[(uint16_t)(p->ring_pos[bid] + k) & (p->br_entries - 1)];
}

/* The length the ring entry k positions after bid's has now. The kernel
 * shortens the first entry of a selection to the receive's byte limit
 * (non-incremental rings), so a bundle's buffers are not all full: the one
 * that began a retry the kernel appended to the same completion may be
 * short. What the kernel filled is min(this, what is left of cqe->res). */
unsigned rp_buf_ring_len(const struct rp_bufpool *p, unsigned bid, unsigned k);

/* A spare buffer for a sender: -> HANDLER. Returns RP_BID_NONE when none. */
static inline unsigned rp_buf_take(struct rp_bufpool *p)
{
	unsigned bid;

	if (!p->n_spare)
		return RP_BID_NONE;
	bid = p->spare[--p->n_spare];
	rp_buf_move(p, bid, RP_BUF_HANDLER);
	return bid;
}

/* HANDLER -> SEND. */
static inline void rp_buf_sending(struct rp_bufpool *p, unsigned bid)
{
	rp_buf_move(p, bid, RP_BUF_SEND);
}

/* SEND -> HANDLER; notif_follows: the send CQE had F_MORE (zerocopy). */
static inline void rp_buf_sent(struct rp_bufpool *p, unsigned bid, bool notif_follows)
{
	if (notif_follows)
		p->bufs[bid].notifs++;
	rp_buf_move(p, bid, RP_BUF_HANDLER);
}

/* HANDLER -> FREE, or -> NOTIF while notifications are pending. */
static inline void rp_buf_put(struct rp_bufpool *p, unsigned bid)
{
	if (p->bufs[bid].notifs)
		rp_buf_move(p, bid, RP_BUF_NOTIF);
	else
		rp_buf_give_back(p, bid);
}

/* One F_NOTIF CQE for bid; the last one frees a NOTIF buffer. */
static inline void rp_buf_notif(struct rp_bufpool *p, unsigned bid)
{
	struct rp_buf *b = &p->bufs[bid];

	if (b->notifs)
		b->notifs--;
	if (!b->notifs && b->state == RP_BUF_NOTIF)
		rp_buf_give_back(p, bid);
}

static inline unsigned rp_bufpool_free(const struct rp_bufpool *p)
{
	return p->n_state[RP_BUF_FREE];
}

static inline unsigned rp_bufpool_in_flight(const struct rp_bufpool *p)
{
	return p->count - p->n_state[RP_BUF_FREE];
}

/* Free buffers in the buffer ring (what receives can still use). */
unsigned rp_bufpool_ring_free(const struct rp_bufpool *p);

/* ---- backpressure ------------------------------------------------------- */

/* A multishot receive ended with -ENOBUFS. */
void rp_bufpool_starve(struct rp_bufpool *p);
/* Starved, and enough buffers came back to receive again. */
bool rp_bufpool_should_rearm(const struct rp_bufpool *p);
/* The caller re-armed its receives. */
void rp_bufpool_rearmed(struct rp_bufpool *p);

/* A registration refused for RLIMIT_MEMLOCK: the limit as text ("65536
 * bytes", "unlimited") and how to raise it, for every message that says so. */
const char *rp_memlock_limit(char *buf, size_t n);
#define RP_MEMLOCK_FIX "(raise it: ulimit -l, LimitMEMLOCK= in the systemd unit, or run with " \
		       "CAP_IPC_LOCK)"

#endif
