/* SPDX-License-Identifier: MIT */
/*
 * tcp-proxy with hardware receive zerocopy (services[].rx-zerocopy, zcrx.h):
 * on the worker that registered the service's zcrx queue, the client leg
 * receives by multishot RECV_ZC and what the client sends is forwarded to
 * the backend straight from the zcrx area: the backend leg's send queue
 * holds pieces of the area (struct rp_txq_ent with zc) in arrival order,
 * like pool buffers otherwise.
 *
 * When a piece goes back to the NIC (the refill ring, zcrx_acct.h): once it
 * has been sent in full (or dropped by a reset) AND no send that read it
 * can still read it. A serialized send from the area pins its page
 * (rp_zcrx_pin) from submission until its completion without
 * IORING_CQE_F_MORE, or, for a zerocopy send, until its notification
 * (IORING_CQE_F_NOTIF: until then a retransmission reads the page); the
 * key of the pin travels in the send's user_data (zc.h, RP_TX_EXT) and is
 * released before the leg is looked up, so a notification arriving after
 * its leg was closed still lets the page go. Bundle sends (forward:
 * bundle) are copy sends whose entries stay queued until their bytes are
 * accounted, so they need no pin. The zerocopy policy is the service's
 * (zerocopy:), SEND_ZC from unregistered memory.
 *
 * Backpressure: a client leg holding 1/8 of the area, or any while the
 * area is down to its reserve (pieces waiting for notifications count as
 * held), has its RECV_ZC cancelled: TCP's window closes and the client
 * waits; nothing is dropped (zcrx_rx.h). The backend leg and the reverse
 * direction keep provided buffers (their traffic is not steered to the
 * zcrx queue).
 *
 * A dmabuf area cannot take data the kernel must copy (a segment that
 * arrived on another queue: RECV_ZC ends on EFAULT having delivered
 * everything before it); that leg goes on with provided buffers, in order
 * (zcrx_rx.h: demoted).
 */
#include <errno.h>
#include <liburing.h>

#include "dataplane/proxy.h"
#include "dataplane/worker.h"

void proxy_zc_leg_init(struct rp_worker *w, struct rp_svc_inst *si, struct leg *l)
{
	l->zc = rp_zrx_enabled(w, si);
	l->zrx.slot = l->rx.slot;
	l->zrx.obj = l->rx.obj;
}

bool proxy_rx_step(struct rp_worker *w, struct rp_svc_inst *si, struct leg *l, bool may_read)
{
	return l->zc ? rp_zrx_step(w, si, &l->zrx, may_read)
		     : rp_rx_apply_share(w, si, &l->rx, may_read);
}

void proxy_rx_cancel(struct rp_worker *w, struct rp_svc_inst *si, struct leg *l)
{
	if (l->zc)
		rp_zrx_cancel(w, si, &l->zrx);
	else
		rp_rx_cancel(w, si, &l->rx);
}

void proxy_zc_count_fallback(struct rp_svc_inst *si, const struct leg *l, unsigned n)
{
	if (si->cfg->rx_zc != RP_RXZC_OFF && l == &l->pc->leg[CLI])
		rp_count(si->ctr, RP_C_RX_ZC_FALLBACK_BYTES, n);
}

/* A piece from the client goes to the backend leg's queue, in order. */
static void forward_piece(struct rp_worker *w, struct leg *from, const struct rp_zrx_event *ev)
{
	struct leg *to = &from->pc->leg[BE];
	struct rp_txq_ent e = { .bid = RP_BID_NONE, .heap = (uint8_t *)ev->ptr,
				.len = ev->ref.len, .zc = true, .zref = ev->ref };

	from->pc->active_ms = w->now_ms;
	if (from->pc->abort || to->shut_sent) {
		rp_zrx_put(w, &from->zrx, &ev->ref);
		return;
	}
	if (!to->q.len)
		to->tx_since_ms = w->now_ms;
	if (rp_txq_push(&to->q, e)) {
		rp_zrx_put(w, &from->zrx, &ev->ref);
		from->pc->abort = true;
	}
}

bool proxy_zc_on_recv(struct rp_worker *w, struct rp_svc_inst *si, struct leg *l,
		      const struct io_uring_cqe *cqe)
{
	struct rp_zrx_event ev;

	rp_zrx_complete(w, si, &l->zrx, cqe, &ev);
	if (ev.data)
		forward_piece(w, l, &ev);
	l->rd_eof = l->rd_eof || ev.eof;
	l->zc = !ev.demoted;
	return ev.failed;
}

void proxy_zc_release(struct rp_worker *w, struct leg *to, const struct rp_txq_ent *e)
{
	rp_zrx_put(w, &to->pc->leg[CLI].zrx, &e->zref);
}

int proxy_zc_send(struct rp_worker *w, struct rp_tx *tx, struct leg *l,
		  const struct rp_txq_ent *e, struct rp_tx_req *req)
{
	struct rp_zcrx_acct *a = &w->zcrx->acct;
	uint16_t key = rp_zcrx_pin(a, e->zref.page);
	int ret;

	req->bid = RP_TX_EXT | key;
	req->heap = e->heap;
	ret = rp_tx_send(tx, &l->zs, req);
	if (ret)
		rp_zcrx_unpin(a, key);
	return ret;
}

void proxy_zc_tx_done(struct rp_worker *w, const struct rp_tx_event *ev)
{
	if (!rp_tx_bid_ext(ev->bid) || !w->zcrx)
		return;
	if (ev->what == RP_TX_NOTIF || !ev->notif_follows)
		rp_zcrx_unpin(&w->zcrx->acct, (uint16_t)(ev->bid & ~RP_TX_EXT));
}
