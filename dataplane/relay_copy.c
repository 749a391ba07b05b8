/* SPDX-License-Identifier: MIT */
/*
 * udp-relay with `handoff: copy` (relay_svc.h): the classic design, kept so
 * the benchmark can compare it with the MSG_RING buffer handoff. A
 * non-owner copies the datagram (client address, length, payload) into the
 * queue of its pair (relay_copyq.h) and puts its buffer back at once. The
 * owner keeps a read of its eventfd in its own ring; on that completion,
 * and before every wait (flush: it says it sleeps, then looks once more),
 * it takes what its queues hold and relays from the copied bytes. A slot is
 * busy until that send completed (relay_buf_done -> relay_copy_done).
 *
 * Shutdown is the MSG_RING path's: READY and QUIET are still messages. A
 * producer pushes nothing after its QUIET (its receive has ended), and the
 * owner takes what the queue holds when the QUIET arrives, so nothing is
 * left in a queue when the owner's hold is released. The queues and
 * eventfds are the group's: they outlive every worker.
 */
#include <errno.h>
#include <string.h>

#include "dataplane/log.h"
#include "dataplane/relay_svc.h"
#include "dataplane/worker.h"

void relay_copy_hand_over(struct rp_worker *w, struct rp_svc_inst *si, unsigned owner,
			  unsigned bid, int res)
{
	struct relay *r = si->priv;
	uint8_t *buf = rp_buf_addr(&w->pool, bid);
	struct io_uring_recvmsg_out *out = io_uring_recvmsg_validate(buf, res, &r->us.mh);
	bool woke;

	if (!out || !rp_copyq_push(r->copy, w->id, owner, io_uring_recvmsg_name(out),
				   out->namelen, io_uring_recvmsg_payload(out, &r->us.mh),
				   io_uring_recvmsg_payload_length(out, res, &r->us.mh), &woke)) {
		rp_count(si->ctr, RP_C_HANDOFF_DROPS, 1);
		return;
	}
	rp_count(si->ctr, RP_C_HANDOFFS_OUT, 1);
	if (woke)
		rp_count(si->ctr, RP_C_HANDOFF_WAKES, 1);
}

void relay_copy_done(struct rp_worker *w, struct rp_svc_inst *si, unsigned origin, unsigned slot)
{
	struct relay *r = si->priv;

	if (!r->held) {
		rp_err("service %s: copy slot %u done but none was held", si->cfg->name, slot);
		return;
	}
	r->held--;
	rp_copyq_done(r->copy, origin, w->id, slot);
}

void relay_copy_drain(struct rp_worker *w, struct rp_svc_inst *si, unsigned origin)
{
	struct relay *r = si->priv;
	struct rp_copyq_dgram d;

	while (rp_copyq_take(r->copy, origin, w->id, &d)) {
		r->held++;
		rp_count(si->ctr, RP_C_HANDOFFS_IN, 1);
		relay_dgram_up(w, si, &(struct relay_dgram){
			.origin = origin, .ref = d.slot, .base = d.base, .payload = d.payload,
			.len = d.len, .client = d.client, .clen = d.clen });
	}
}

static void drain_all(struct rp_worker *w, struct rp_svc_inst *si)
{
	struct relay *r = si->priv;

	for (unsigned k = 0; k < r->n_workers; k++)
		if (k != w->id && rp_copyq_waiting(r->copy, k, w->id))
			relay_copy_drain(w, si, k);
}

void relay_copy_arm(struct rp_worker *w, struct rp_svc_inst *si)
{
	struct relay *r = si->priv;
	struct io_uring_sqe *sqe;

	if (r->wake_armed || si->stopping || !(sqe = rp_worker_sqe(w)))
		return;
	io_uring_prep_read(sqe, rp_copyq_efd(r->copy, w->id), &r->wake_val, sizeof(r->wake_val), 0);
	io_uring_sqe_set_data64(sqe, rp_svc_ud(RP_OP_RECV, si->idx, RELAY_OBJ_WAKE));
	r->wake_armed = true;
}

void relay_copy_on_wake(struct rp_worker *w, struct rp_svc_inst *si, const struct io_uring_cqe *cqe)
{
	struct relay *r = si->priv;

	r->wake_armed = false;
	if (cqe->res < 0 && cqe->res != -ECANCELED)
		rp_warn("service %s: eventfd read: %s", si->cfg->name, strerror(-cqe->res));
	drain_all(w, si);
	relay_copy_arm(w, si);
}

void relay_copy_flush(struct rp_worker *w, struct rp_svc_inst *si)
{
	struct relay *r = si->priv;

	rp_copyq_sleep(r->copy, w->id);
	drain_all(w, si);
}

void relay_copy_stop(struct rp_worker *w, struct rp_svc_inst *si)
{
	struct relay *r = si->priv;
	struct io_uring_sqe *sqe;

	if (!r->wake_armed || !(sqe = rp_worker_sqe(w)))
		return;
	io_uring_prep_cancel64(sqe, rp_svc_ud(RP_OP_RECV, si->idx, RELAY_OBJ_WAKE), 0);
	io_uring_sqe_set_data64(sqe, rp_svc_ud(RP_OP_CANCEL, si->idx, 0));
}
