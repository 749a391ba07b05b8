/* SPDX-License-Identifier: MIT */
/* RECV_ZC receive side of a TCP connection (see zcrx_rx.h). */
#include <errno.h>
#include <liburing.h>

#include "dataplane/conn.h"
#include "dataplane/worker.h"
#include "dataplane/zcrx.h"
#include "dataplane/zcrx_rx.h"

#define CONN_SHARE 8	/* one connection may hold 1/8 of the area */

bool rp_zrx_enabled(const struct rp_worker *w, const struct rp_svc_inst *si)
{
	return w->zcrx && w->zcrx->svc == si->idx && !si->cfg->sockperf;
}

static bool over(const struct rp_worker *w, const struct rp_zrx *z)
{
	return z->pieces >= w->zcrx->acct.n_pages / CONN_SHARE ||
	       rp_zcrx_exhausted(&w->zcrx->acct);
}

void rp_zrx_cancel(struct rp_worker *w, struct rp_svc_inst *si, struct rp_zrx *z)
{
	rp_conn_cancel_recv(w, si, z->obj, z->armed, &z->cancel_sent);
}

bool rp_zrx_step(struct rp_worker *w, struct rp_svc_inst *si, struct rp_zrx *z, bool may_read)
{
	struct io_uring_sqe *sqe;

	if (over(w, z)) {
		rp_zrx_cancel(w, si, z);
		return true;
	}
	if (!may_read || z->armed || z->starved || si->stopping)
		return true;
	if (!(sqe = rp_worker_sqe(w)))
		return false;
	rp_zcrx_prep_recv(sqe, w->zcrx, z->slot);
	io_uring_sqe_set_data64(sqe, rp_svc_ud(RP_OP_RECV, si->idx, z->obj));
	z->armed = true;
	z->cancel_sent = false;
	return true;
}

void rp_zrx_complete(struct rp_worker *w, struct rp_svc_inst *si, struct rp_zrx *z,
		     const struct io_uring_cqe *cqe, struct rp_zrx_event *ev)
{
	*ev = (struct rp_zrx_event){ 0 };
	if (cqe->flags & IORING_CQE_F_MORE) {
		if (cqe->res <= 0 || rp_zcrx_data(w->zcrx, cqe, &ev->ref, &ev->ptr))
			return;	/* not in our area: counted (err_bad_buffer) by the tick */
		ev->data = true;
		z->pieces++;
		rp_count(si->ctr, RP_C_RX_PACKETS, 1);
		rp_count(si->ctr, RP_C_RX_BYTES, ev->ref.len);
		rp_count(si->ctr, RP_C_RX_ZC_BYTES, ev->ref.len);
		return;
	}
	z->armed = false;
	if (cqe->res == -EFAULT && w->zcrx->mem.src == RP_RXZC_SRC_DMABUF) {
		ev->demoted = true;
		rp_dbg("service %s: slot %u: data off the zcrx queue cannot be copied into a dmabuf "
		       "area: the connection goes on with provided buffers", si->cfg->name, z->slot);
		return;
	}
	if (cqe->res == -ENOMEM) {
		z->starved = true;
		w->zcrx->n_starved++;
	}
	switch (rp_zcrx_recv_end(&w->zcrx->acct, cqe->res)) {
	case RP_ZCRX_END_EOF:
		ev->eof = true;
		break;
	case RP_ZCRX_END_ERROR:
		rp_count(si->ctr, cqe->res == -ECONNRESET ? RP_C_ERR_CONN_RESET : RP_C_ERR_RECV, 1);
		ev->failed = true;
		break;
	default:	/* re-armed by the caller's next step; cancelled: by design */
		break;
	}
}

void rp_zrx_put(struct rp_worker *w, struct rp_zrx *z, const struct rp_zcrx_ref *ref)
{
	z->pieces--;
	rp_zcrx_put(&w->zcrx->acct, ref);
}
