/* SPDX-License-Identifier: MIT */
/*
 * The receive side of a TCP connection served by RECV_ZC (hardware receive
 * zerocopy, zcrx.h): the counterpart of conn.h's struct rp_rx for
 * connections on the worker that registered the service's zcrx queue.
 *
 * The data stays in the zcrx area; the connection holds a reference per
 * piece until it has been echoed (zcrx_acct.h returns it through the
 * refill ring). Backpressure instead of the pool share: a connection whose
 * held bytes reach its cap, or any connection while the area is exhausted,
 * has its RECV_ZC cancelled (the socket's receive window then closes: the
 * peer waits, nothing is dropped) and is armed again once it has drained.
 * A RECV_ZC that ends on ENOSPC (the CQ was full) is armed again at once;
 * one that ends on ENOMEM (the kernel's copy fallback found the area dry)
 * waits until buffers have gone back (no busy loop against a dry area).
 * With a dmabuf area the kernel cannot copy a segment that arrived on
 * another queue into it: the receive ends on EFAULT having delivered
 * everything before that segment, and the connection goes on with
 * provided-buffer receive (demoted), in order.
 * Worker thread only.
 */
#ifndef RP_ZCRX_RX_H
#define RP_ZCRX_RX_H

#include <stdbool.h>
#include <stdint.h>

#include "dataplane/zcrx_acct.h"

struct io_uring_cqe;
struct rp_worker;
struct rp_svc_inst;

struct rp_zrx {
	uint32_t slot, obj;
	bool armed, cancel_sent;
	bool starved;			/* ended on ENOMEM: armed again once buffers return */
	uint32_t pieces;		/* pieces held: each pins at most one page */
};

/* What a completion brought. */
struct rp_zrx_event {
	bool data;			/* ref/ptr/len: a piece to consume */
	struct rp_zcrx_ref ref;
	const uint8_t *ptr;
	bool eof, failed;		/* the receive ended for good */
	bool demoted;			/* go on with provided buffers (see below) */
};

/* Does this worker serve si's connections by RECV_ZC? */
bool rp_zrx_enabled(const struct rp_worker *w, const struct rp_svc_inst *si);
/* Arm (or, over its cap or with the area exhausted, cancel) the receive.
 * false: no SQE (the ring is broken). */
bool rp_zrx_step(struct rp_worker *w, struct rp_svc_inst *si, struct rp_zrx *z, bool may_read);
void rp_zrx_cancel(struct rp_worker *w, struct rp_svc_inst *si, struct rp_zrx *z);
/* A RECV_ZC completion: counted (rx_bytes, rx_zerocopy_bytes). */
void rp_zrx_complete(struct rp_worker *w, struct rp_svc_inst *si, struct rp_zrx *z,
		     const struct io_uring_cqe *cqe, struct rp_zrx_event *ev);
/* A piece is consumed (its send completed): back to the kernel. */
void rp_zrx_put(struct rp_worker *w, struct rp_zrx *z, const struct rp_zcrx_ref *ref);

#endif
