/* SPDX-License-Identifier: MIT */
/*
 * Zerocopy policy and the transmit path (see zc.h).
 */
#include <errno.h>
#include <liburing.h>
#include <stdatomic.h>

#include "dataplane/log.h"
#include "dataplane/udata.h"
#include "dataplane/zc.h"

/* ---- policy -------------------------------------------------------------- */

void rp_zc_sock_init(struct rp_zc_sock *zs, const struct rp_zerocopy_cfg *cfg,
		     long svc_override)
{
	*zs = (struct rp_zc_sock){
		.mode = svc_override == RP_UNSET ? cfg->mode : (enum rp_zc_mode)svc_override,
		.threshold = cfg->threshold,
		.sample_every = cfg->sample_every,
		.retry_ms = cfg->fallback_retry_ms,
	};
}

bool rp_zc_on_notif(struct rp_zc_sock *zs, int32_t res, struct rp_counters *c)
{
	if (!((uint32_t)res & IORING_NOTIF_USAGE_ZC_COPIED))
		return false;
	rp_count(c, RP_C_ZC_COPIED, 1);
	/* Notifications of sends made before the switch keep arriving: they
	 * extend it but count as one switch. */
	if (zs->mode != RP_ZC_AUTO || !rp_fallback_trip(&zs->fell_back, zs->retry_ms))
		return false;
	/* No zerocopy send happens while it lasts, so the first one after it
	 * expires is sampled: the retry is judged at once. */
	zs->sample_left = 0;
	rp_count(c, RP_C_ZC_FALLBACKS, 1);
	return true;
}

/* One log line per process; later switches are counted (zc_fallbacks). */
static void log_fallback_once(void)
{
	static atomic_bool logged;

	if (!atomic_exchange(&logged, true))
		rp_info("zerocopy: the kernel copied a zerocopy send (IORING_NOTIF_USAGE_ZC_COPIED, "
			"e.g. a local peer); auto policy switches that connection or UDP peer to copy "
			"sends for zerocopy.fallback-retry-ms (counted in zc_fallbacks)");
}

/* ---- transmit path ------------------------------------------------------- */

struct io_uring_sqe *rp_tx_sqe(struct rp_tx *tx)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(tx->ring);

	if (!sqe) {
		io_uring_submit(tx->ring);
		sqe = io_uring_get_sqe(tx->ring);
	}
	if (sqe && tx->pending)
		(*tx->pending)++;
	return sqe;
}

static int msg_flags(const struct rp_tx_req *req)
{
	return MSG_NOSIGNAL | (req->flags & RP_TX_NOWAIT ? MSG_DONTWAIT : 0);
}

static void prep_zc(struct io_uring_sqe *sqe, const struct rp_bufpool *pool,
		    const struct rp_tx_req *req, void *addr, bool report)
{
	unsigned zc_flags = report ? IORING_SEND_ZC_REPORT_USAGE : 0;
	bool heap_fixed = req->flags & RP_TX_HEAP_FIXED;

	/* caller memory outside the pool is not in the registered region (the
	 * kernel pins it per send), unless it is another worker's pool cloned
	 * into this ring (RP_TX_HEAP_FIXED) */
	if (heap_fixed || (pool->registered && rp_tx_bid_pooled(req->bid)))
		io_uring_prep_send_zc_fixed(sqe, req->fd, addr, req->len, msg_flags(req), zc_flags,
					    heap_fixed ? req->buf_index : rp_buf_reg_index(pool, addr));
	else
		io_uring_prep_send_zc(sqe, req->fd, addr, req->len, msg_flags(req), zc_flags);
}

int rp_tx_send(struct rp_tx *tx, struct rp_zc_sock *zs, const struct rp_tx_req *req)
{
	bool pooled = rp_tx_bid_pooled(req->bid), ext = rp_tx_bid_ext(req->bid);
	bool fixed = req->flags & RP_TX_HEAP_FIXED;
	enum rp_send_kind kind = pooled || ext || fixed ? rp_zc_decide(zs, req->len) : RP_SEND_COPY;
	void *addr = pooled ? (unsigned char *)rp_buf_addr(tx->pool, req->bid) + req->off
			    : (unsigned char *)req->heap + req->off;
	struct io_uring_sqe *sqe = rp_tx_sqe(tx);
	uint64_t data = (req->tag << 16) | (pooled || ext ? req->bid : RP_BID_NONE);

	if (!sqe)
		return -EBUSY;
	if (kind == RP_SEND_COPY) {
		io_uring_prep_send(sqe, req->fd, addr, req->len, msg_flags(req));
		io_uring_sqe_set_data64(sqe, rp_ud(RP_OP_SEND, data));
		rp_count(tx->ctr, RP_C_COPY_SENDS, 1);
	} else {
		prep_zc(sqe, tx->pool, req, addr, kind == RP_SEND_ZC_REPORT);
		io_uring_sqe_set_data64(sqe, rp_ud(RP_OP_SEND_ZC, data));
		rp_count(tx->ctr, RP_C_ZC_SENDS, 1);
	}
	if (req->dst)
		io_uring_prep_send_set_addr(sqe, req->dst, (uint16_t)req->dstlen);
	if (req->flags & RP_TX_FIXED_FILE)
		sqe->flags |= IOSQE_FIXED_FILE;
	if (pooled) {
		rp_buf_sending(tx->pool, req->bid);
		tx->pool->bufs[req->bid].put_on_sent = !!(req->flags & RP_TX_PUT_ON_SENT);
	}
	return 0;
}

static void tx_notif(struct rp_tx *tx, struct rp_zc_sock *zs,
		     const struct io_uring_cqe *cqe, struct rp_tx_event *ev)
{
	ev->what = RP_TX_NOTIF;
	ev->zc = true;
	rp_count(tx->ctr, RP_C_NOTIFS, 1);
	if (zs)
		ev->fell_back = rp_zc_on_notif(zs, cqe->res, tx->ctr);
	else if ((uint32_t)cqe->res & IORING_NOTIF_USAGE_ZC_COPIED)
		rp_count(tx->ctr, RP_C_ZC_COPIED, 1);
	if (ev->fell_back)
		log_fallback_once();
	if (rp_tx_bid_pooled(ev->bid)) {
		rp_buf_notif(tx->pool, ev->bid);
		ev->buf_returned = tx->pool->bufs[ev->bid].state == RP_BUF_FREE;
	}
}

void rp_tx_count_err(struct rp_counters *c, int32_t res, unsigned n)
{
	rp_count(c, res == -EAGAIN ? RP_C_ERR_SEND_FULL : RP_C_ERR_SEND, n);
}

static void tx_sent(struct rp_tx *tx, const struct io_uring_cqe *cqe, struct rp_tx_event *ev)
{
	ev->what = RP_TX_SENT;
	ev->zc = rp_ud_op(cqe->user_data) == RP_OP_SEND_ZC;
	ev->notif_follows = cqe->flags & IORING_CQE_F_MORE;
	if (cqe->res >= 0) {
		rp_count(tx->ctr, RP_C_TX_PACKETS, 1);
		rp_count(tx->ctr, RP_C_TX_BYTES, (uint64_t)cqe->res);
	} else {
		rp_tx_count_err(tx->ctr, cqe->res, 1);
	}
	if (!rp_tx_bid_pooled(ev->bid))
		return;
	rp_buf_sent(tx->pool, ev->bid, ev->notif_follows);
	if (tx->pool->bufs[ev->bid].put_on_sent) {
		rp_buf_put(tx->pool, ev->bid);
		ev->buf_returned = tx->pool->bufs[ev->bid].state == RP_BUF_FREE;
	}
}

void rp_tx_complete(struct rp_tx *tx, struct rp_zc_sock *zs,
		    const struct io_uring_cqe *cqe, struct rp_tx_event *ev)
{
	uint64_t data = rp_ud_data(cqe->user_data);

	*ev = (struct rp_tx_event){
		.bid = rp_tx_ud_bid(data),
		.tag = rp_tx_ud_tag(data),
		.res = cqe->res,
	};
	if (cqe->flags & IORING_CQE_F_NOTIF)
		tx_notif(tx, zs, cqe, ev);
	else
		tx_sent(tx, cqe, ev);
}
