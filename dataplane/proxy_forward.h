/* SPDX-License-Identifier: MIT */
/*
 * tcp-proxy `forward: bundle` (seed 001): a send buffer ring per leg.
 *
 * A leg's send queue (struct rp_txq, the other leg's receive buffers in
 * arrival order) is mirrored into a provided buffer ring of the leg's own
 * (group id = its fixed-file slot + 2, incremental consumption,
 * IOU_PBUF_RING_INC), and one IORING_RECVSEND_BUNDLE send with
 * IOSQE_BUFFER_SELECT takes every buffer published: one SQE and one
 * completion move many buffers. The kernel consumes a ring strictly in
 * order, so the byte stream stays ordered.
 *
 * What this kernel (6.18) does not get right, measured (tcp_proxy's 100
 * half-closing clients lost and reordered data; a debug trace of ring
 * head vs tail per completion showed it), and what is done about it:
 *   - a bundle send that ends short without an error has taken EVERY
 *     buffer it selected off the ring, the unsent rest included, even on
 *     an incremental ring (the kernel's ring head is at the end of its
 *     selection). The kernel's ring head is read back
 *     (io_uring_buf_ring_head) and that rest published again (counted
 *     bundle_resyncs); any other disagreement resets the pair;
 *   - the rest can only be put back in front if nothing was published
 *     behind it: so buffers are published only while no send is in flight
 *     (data arriving meanwhile waits in the queue and goes with the next
 *     bundle). Receives, sends and the two directions still never wait
 *     for each other; one bundle per direction is in flight.
 * Completions are therefore accounted in BYTES, never by buffer id: the
 * queue is consumed front to back by cqe->res. A leg whose ring cannot be
 * set up (kernel < 6.12, or no group id left) forwards serialized instead
 * (logged once per service).
 *
 * A buffer published to the ring stays held (counted against the
 * receiving leg's fair share) until the completions have covered all its
 * bytes, and is never given back while a bundle send is in flight (the
 * kernel may be reading it): a slow reader keeps the other leg throttled
 * exactly as in serialized mode.
 *
 * A FIN is passed on only after the last bundle send completed and the
 * queue is empty (every byte before it went out).
 */
#ifndef RP_PROXY_FORWARD_H
#define RP_PROXY_FORWARD_H

#include <stdbool.h>
#include <stdint.h>

struct io_uring_buf_ring;
struct io_uring_cqe;
struct rp_worker;
struct rp_svc_inst;
struct leg;

struct proxy_sendring {
	struct io_uring_buf_ring *br;	/* NULL: none (yet, or serialized) */
	unsigned entries;		/* ring size, a power of two */
	uint16_t bgid;
	unsigned n_pub;			/* queue entries (from the head) in the ring */
	unsigned tail;			/* ring entries published in all */
	bool failed;			/* setup failed: this leg forwards serialized */
};

/* Does the service receive in bundles (forward: bundle, and the kernel
 * has IORING_FEAT_RECVSEND_BUNDLE)? */
bool proxy_fwd_rx_bundle(const struct rp_worker *w, const struct rp_svc_inst *si);
/* Does leg l forward with bundles (service says so, its ring works)? */
bool proxy_fwd_bundled(struct rp_worker *w, struct rp_svc_inst *si, struct leg *l);
/* Publish what is queued and not yet in the ring; arm a bundle send if
 * none is in flight. */
void proxy_fwd_push(struct rp_worker *w, struct rp_svc_inst *si, struct leg *l);
/* Queue entries the kernel may be reading now (kept when a pair aborts). */
unsigned proxy_fwd_in_flight(const struct leg *l);
/* RP_OP_SEND_BUNDLE completions. */
void proxy_on_bundle(struct rp_worker *w, struct rp_svc_inst *si, const struct io_uring_cqe *cqe);
/* The leg is gone: its ring is unregistered (nothing may be in flight). */
void proxy_fwd_close(struct rp_worker *w, struct leg *l);

#endif
