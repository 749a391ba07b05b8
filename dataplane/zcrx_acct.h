/* SPDX-License-Identifier: MIT */
/*
 * zcrx refill-ring and area accounting: the pure half of hardware receive
 * zerocopy (dataplane/zcrx.h has the io_uring half).
 *
 * With io_uring zcrx the NIC writes payload into a user area split into
 * pages (net_iovs). Every RECV_ZC completion names one piece of one page
 * (struct io_uring_zcrx_cqe.off: area id << IORING_ZCRX_AREA_SHIFT | byte
 * offset) and gives userspace one reference on that page; the page goes
 * back to the NIC only once every reference has been returned through the
 * refill ring (one struct io_uring_zcrx_rqe per reference, kernel
 * io_zcrx_ring_refill() drops one user ref per entry). The refill ring is
 * shared memory: the kernel consumes at head, we produce at tail.
 *
 * This module only does bookkeeping over that shared memory and has no
 * io_uring calls, so its unit test (test/unit/dataplane/zcrx_acct_test.c)
 * runs it against a test double of the kernel's side. What it guarantees:
 *   - a reference is never lost: when the ring is full, returns are owed
 *     per page (at most one FIFO slot per page, so the backlog is bounded by
 *     the area) and flushed as soon as the kernel makes room (refill stall);
 *   - a completion outside the area (wrong area id, past its end, crossing
 *     a page) is refused, not returned to the kernel;
 *   - exhaustion is known before the kernel runs dry: when the pages held
 *     (or owed) reach the area minus a reserve, the caller stops reading
 *     connections (backpressure, nothing dropped) until buffers come back;
 *   - how a multishot RECV_ZC ended decides what happens next (ENOSPC on a
 *     full CQ and ENOMEM from the copy fallback are re-armed, not errors);
 *   - a page the kernel may still read is never handed back (forwarding,
 *     tcp-proxy): a send from the area pins its page from submission until
 *     the kernel is done with it (the send's completion, or for a zerocopy
 *     send its IORING_CQE_F_NOTIF: until then a retransmission reads the
 *     page). A piece put while its page is pinned is held back and goes
 *     to the ring when the last pin goes. Pins are counted per key, a
 *     group of 2^pin_shift pages, so that a key fits the 15 bits a send's
 *     user_data has for it (zc.h, RP_TX_EXT): a pin delays the pages of its
 *     group only, never returns one early.
 */
#ifndef RP_ZCRX_ACCT_H
#define RP_ZCRX_ACCT_H

#include <stdbool.h>
#include <stdint.h>

#define RP_ZCRX_PAGE 4096u	/* the kernel's niov size (PAGE_SIZE, rx_buf_len unset) */

/* ---- types ------------------------------------------------------------- */

/* One refill entry, laid out as the kernel's struct io_uring_zcrx_rqe. */
struct rp_zcrx_rqe {
	uint64_t off;
	uint32_t len;
	uint32_t pad;
};

/* Where the refill ring lives: in the region registered with the ifq
 * (offsets from struct io_uring_zcrx_offsets), or in a test double. */
struct rp_zcrx_ring_view {
	uint32_t *khead;		/* the kernel's consumer index (read, acquire) */
	uint32_t *ktail;		/* our producer index (written, release) */
	struct rp_zcrx_rqe *rqes;
	uint32_t entries;		/* a power of two */
};

/* A piece of the area a completion delivered, held until consumed. */
struct rp_zcrx_ref {
	uint32_t page;
	uint32_t off;			/* byte offset in the area */
	uint32_t len;
};

struct rp_zcrx_stats {
	uint64_t taken, returned;	/* references */
	uint64_t refill_stalls;		/* a return found the ring full: owed */
	uint64_t bad_cqes;		/* completions outside the area: refused */
	uint64_t rearms;		/* RECV_ZC re-armed after ENOSPC/ENOMEM */
	uint64_t held_back;		/* puts that waited for a pinned page */
};

/* Pin keys: 0 .. RP_ZCRX_PIN_KEYS - 1 (15 bits, 0x7fff excluded). */
#define RP_ZCRX_PIN_KEYS 0x7fffu

struct rp_zcrx_acct {
	struct rp_zcrx_ring_view rq;
	uint32_t tail;			/* local producer index, published on flush */
	uint64_t area_token;		/* area id bits the kernel gave at registration */
	uint32_t n_pages;
	uint32_t reserve;		/* pages kept free: below this, backpressure */
	uint16_t *refs;			/* per page: references we hold */
	uint16_t *owed;			/* per page: returned by us, not yet on the ring */
	uint32_t *fifo;			/* pages with owed > 0, oldest first */
	uint32_t fifo_head, fifo_len;
	uint32_t pages_busy;		/* pages with refs or owed > 0 */
	uint32_t *pins;			/* per key: sends that may still read its pages */
	uint16_t *held;			/* per page: of refs, puts waiting for its key's pins */
	uint8_t pin_shift;		/* key = page >> pin_shift */
	uint64_t bytes_held;
	struct rp_zcrx_stats st;
};

/* What to do after a multishot RECV_ZC completion without F_MORE. */
enum rp_zcrx_end {
	RP_ZCRX_END_EOF,	/* res 0: the peer closed its side */
	RP_ZCRX_END_REARM,	/* -ENOSPC (CQ full) or -ENOMEM (area dry): arm again */
	RP_ZCRX_END_CANCELED,	/* we cancelled it (backpressure, stop) */
	RP_ZCRX_END_ERROR,	/* anything else: the connection is finished */
};

/* ---- API --------------------------------------------------------------- */

/* 0, -EINVAL (entries not a power of two, area not whole pages or larger
 * than 16-bit refs can count on), -ENOMEM. */
int rp_zcrx_acct_init(struct rp_zcrx_acct *a, const struct rp_zcrx_ring_view *rq,
		      uint64_t area_len, uint64_t area_token, uint32_t reserve_pages);
void rp_zcrx_acct_free(struct rp_zcrx_acct *a);

/* A data completion (cqe->res bytes at zcrx_cqe.off): 0 and *ref, or
 * -EFAULT when it is not inside one page of our area (counted bad_cqes). */
int rp_zcrx_take(struct rp_zcrx_acct *a, uint64_t cqe_off, uint32_t len, struct rp_zcrx_ref *ref);
/* The consumer is done with ref (sent, and that send's completion in):
 * one refill entry now, owed until the ring has room, or held back while
 * a send from its page may still read it (rp_zcrx_pin). */
void rp_zcrx_put(struct rp_zcrx_acct *a, const struct rp_zcrx_ref *ref);
/* A send reading from page is submitted: its key (page >> pin_shift),
 * for the send's user_data. Until rp_zcrx_unpin(key), puts of the
 * key's pages are held back. */
uint16_t rp_zcrx_pin(struct rp_zcrx_acct *a, uint32_t page);
/* The kernel is done with a send that pinned key (its completion without
 * IORING_CQE_F_MORE, or its notification): the last pin lets the held
 * puts of the key's pages go to the ring. An unknown or unpinned key is
 * ignored (a bug elsewhere must not return a page twice). */
void rp_zcrx_unpin(struct rp_zcrx_acct *a, uint16_t key);

/* Move owed returns onto the ring as far as it has room and publish the
 * tail; the number of entries added. Call once per completion batch. */
unsigned rp_zcrx_flush(struct rp_zcrx_acct *a);

/* Refill entries the kernel has not consumed yet. */
uint32_t rp_zcrx_ring_queued(const struct rp_zcrx_acct *a);
/* Pages held or owed reached the area minus the reserve: stop reading. */
bool rp_zcrx_exhausted(const struct rp_zcrx_acct *a);
/* References still out (held or owed): 0 when the area may be torn down. */
uint64_t rp_zcrx_outstanding(const struct rp_zcrx_acct *a);

enum rp_zcrx_end rp_zcrx_recv_end(struct rp_zcrx_acct *a, int res);

#endif
