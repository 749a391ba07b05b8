/* SPDX-License-Identifier: MIT */
/*
 * A send buffer ring per socket (seed 001: provided buffers for send, with
 * bundles). What is to be sent on one socket is published, in stream
 * order, in a provided buffer ring of its own; a send with
 * IOSQE_BUFFER_SELECT | IORING_RECVSEND_BUNDLE takes, in ring order, as
 * many of those buffers as are there when it runs: one request moves many
 * buffers, and the ring keeps them in order.
 *
 * The entries point into the worker's registered pool (the other side's
 * receive buffers): nothing is copied. The ring only lists them; the pool
 * still owns them, and the caller keeps its own ordered list (rp_txq) to
 * know which buffers a completion of N bytes consumed.
 *
 * Every send carries MSG_WAITALL: the kernel retries a short send itself
 * and a completion covers whole buffers (a partly sent buffer would be
 * consumed from the ring all the same, and its rest lost). Only an error
 * ends a send early, and then the connection is reset anyway.
 *
 * The buffer group id is the socket's fixed-file slot + 2 (group 1 is the
 * worker's receive ring): unique per worker with no allocator. A slot that
 * does not fit 16 bits gets no ring (the caller sends one buffer at a time).
 */
#ifndef RP_SENDRING_H
#define RP_SENDRING_H

#include <stdbool.h>
#include <stdint.h>

struct io_uring;
struct io_uring_buf_ring;
struct io_uring_sqe;

struct rp_sendring {
	struct io_uring_buf_ring *br;	/* NULL: none */
	unsigned entries;		/* a power of two */
	uint16_t bgid;
	unsigned published;		/* in the ring, not yet taken by a send */
};

/* 0, or -errno (then s->br stays NULL). entries is rounded up to a power
 * of two. */
int rp_sendring_open(struct rp_sendring *s, struct io_uring *ring, unsigned slot,
		     unsigned entries);
void rp_sendring_close(struct rp_sendring *s, struct io_uring *ring);

static inline bool rp_sendring_full(const struct rp_sendring *s)
{
	return s->published == s->entries;
}

/* Publish one buffer (addr, len) as buffer id bid. The ring must not be
 * full. */
void rp_sendring_add(struct rp_sendring *s, void *addr, unsigned len, unsigned bid);
/* A send of everything published: fixed-file slot fd. */
void rp_sendring_prep_send(struct io_uring_sqe *sqe, const struct rp_sendring *s, int fd);
/* A send completed having taken n buffers of the ring. */
static inline void rp_sendring_taken(struct rp_sendring *s, unsigned n)
{
	s->published = n > s->published ? 0 : s->published - n;
}

#endif
