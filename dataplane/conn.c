/* SPDX-License-Identifier: MIT */
/*
 * What every TCP service's connections have in common (see conn.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dataplane/conn.h"
#include "dataplane/worker.h"

uint32_t rp_conn_cqe_obj(const struct io_uring_cqe *cqe)
{
	return rp_svc_tag_obj(rp_tx_ud_tag(rp_ud_data(cqe->user_data)));
}

/* ---- the send queue -------------------------------------------------------- */

int rp_txq_push(struct rp_txq *t, struct rp_txq_ent e)
{
	if (t->len == t->cap) {
		unsigned cap = t->cap ? t->cap * 2 : 8;
		struct rp_txq_ent *q = malloc(cap * sizeof(*q));

		if (!q)
			return -ENOMEM;
		for (unsigned i = 0; i < t->len; i++)
			q[i] = *rp_txq_at(t, i);
		free(t->q);
		t->q = q;
		t->cap = cap;
		t->head = 0;
	}
	t->q[(t->head + t->len++) % t->cap] = e;
	return 0;
}

void rp_txq_pop(struct rp_txq *t)
{
	t->head = (t->head + 1) % t->cap;
	t->len--;
}

uint64_t rp_txq_bytes(const struct rp_txq *t)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < t->len; i++)
		n += rp_txq_at(t, i)->len;
	return n;
}

void rp_txq_free(struct rp_txq *t)
{
	free(t->q);
	*t = (struct rp_txq){ 0 };
}

/* ---- the receive side ------------------------------------------------------ */

/* The receive's byte limit. The kernel counts bytes, the share buffers, and
 * a receive fills a buffer with what has arrived: often one segment. So
 * the grant's buffers are counted as one MSS of a 1500-byte MTU each (a
 * receive bundle's as full ones, see below): with
 * full buffers the receive ends early and is re-armed (one SQE per few
 * buffers); with segments that small the grant is exact; smaller ones are
 * caught by grant_spent (cancel). */
#define RECV_FILL_MIN 1448u

static uint32_t recv_limit(const struct rp_worker *w, const struct rp_rx *rx)
{
	unsigned fill = w->pool.size < RECV_FILL_MIN ? w->pool.size : RECV_FILL_MIN;
	uint64_t bytes;

	/* A receive bundle fills every buffer of a completion but its last:
	 * counted full, the limit matches the grant but for those last
	 * buffers, which grant_spent catches like small segments. */
	if (rx->bundle)
		fill = w->pool.size;
	bytes = (uint64_t)rx->share.grant * fill;

	return bytes > UINT32_MAX ? UINT32_MAX : (uint32_t)bytes;
}

static bool rx_arm(struct rp_worker *w, struct rp_svc_inst *si, struct rp_rx *rx)
{
	struct io_uring_sqe *sqe = rp_worker_sqe(w);

	if (!sqe)
		return false;
	io_uring_prep_recv_multishot(sqe, (int)rx->slot, NULL, 0, 0);
	/* the kernel ends the receive (no F_MORE) once this many bytes came in:
	 * what is left of the connection's share (see share.h) */
	sqe->optlen = recv_limit(w, rx);
	if (rx->bundle)
		sqe->ioprio |= IORING_RECVSEND_BUNDLE;
	sqe->flags |= IOSQE_FIXED_FILE | IOSQE_BUFFER_SELECT;
	sqe->buf_group = w->pool.bgid;
	io_uring_sqe_set_data64(sqe, rp_svc_ud(RP_OP_RECV, si->idx, rx->obj));
	rx->armed = true;
	rx->cancel_sent = false;
	rx->grant_spent = false;
	return true;
}

bool rp_rx_try_read(struct rp_worker *w, struct rp_svc_inst *si, struct rp_rx *rx)
{
	struct rp_share *sh = &rx->share;

	if (rx->armed || rx->starved || si->stopping)
		return true;
	if (sh->throttled && !rp_share_may_resume(&w->fair, sh))
		return true;
	if (!rp_share_grant(&w->fair, sh)) {
		rp_share_throttle(&w->fair, sh, w->now_ms, si->ctr);
		return true;
	}
	rp_share_resume(&w->fair, sh, w->now_ms, si->ctr);
	return rx_arm(w, si, rx);
}

void rp_conn_cancel_recv(struct rp_worker *w, struct rp_svc_inst *si, uint32_t obj, bool armed,
			 bool *cancel_sent)
{
	struct io_uring_sqe *sqe;

	if (!armed || *cancel_sent || !(sqe = rp_worker_sqe(w)))
		return;
	io_uring_prep_cancel64(sqe, rp_svc_ud(RP_OP_RECV, si->idx, obj), 0);
	io_uring_sqe_set_data64(sqe, rp_svc_ud(RP_OP_CANCEL, si->idx, obj));
	*cancel_sent = true;
}

void rp_rx_cancel(struct rp_worker *w, struct rp_svc_inst *si, struct rp_rx *rx)
{
	rp_conn_cancel_recv(w, si, rx->obj, rx->armed, &rx->cancel_sent);
}

bool rp_rx_apply_share(struct rp_worker *w, struct rp_svc_inst *si, struct rp_rx *rx,
		       bool may_read)
{
	struct rp_share *sh = &rx->share;

	if (!sh->throttled && rp_share_over(&w->fair, sh))
		rp_share_throttle(&w->fair, sh, w->now_ms, si->ctr);
	if (sh->throttled || rx->grant_spent)
		rp_rx_cancel(w, si, rx);
	return !may_read || rp_rx_try_read(w, si, rx);
}

/* Buffer k of a receive that began with bid0 and the bytes in it, of the
 * `left` still to place: every buffer of a bundle is filled to its ring
 * entry's length (see rp_buf_ring_len) but the last. 0: the receive
 * cannot have used it. */
static unsigned buf_at(const struct rp_bufpool *p, unsigned bid0, unsigned k, unsigned left,
		       unsigned *bid)
{
	unsigned len;

	if (!p->ring_bid || bid0 >= p->ring_count)	/* no ring (unit tests), or a bad id */
		len = k ? 0 : left;
	else
		len = rp_buf_ring_len(p, bid0, k);
	*bid = k ? rp_buf_ring_next(p, bid0, k) : bid0;
	return len < left ? len : left;
}

bool rp_rx_bufs_next(const struct rp_bufpool *p, struct rp_rx_bufs *b, unsigned *bid,
		     unsigned *len)
{
	if (b->i >= b->n)
		return false;
	if (p->pieces) {	/* resolved when the completion was read */
		*bid = p->pieces[b->i].bid;
		*len = p->pieces[b->i].len;
		b->i++;
	} else {		/* no ring (unit tests): one buffer */
		*len = buf_at(p, b->bid0, b->i++, b->left, bid);
	}
	b->left -= *len;
	return true;
}

void rp_rx_complete_bufs(struct rp_worker *w, struct rp_svc_inst *si, struct rp_rx *rx,
			 const struct io_uring_cqe *cqe, struct rp_rx_bufs *b)
{
	bool more = cqe->flags & IORING_CQE_F_MORE;

	*b = (struct rp_rx_bufs){ .res = cqe->res > 0 ? (unsigned)cqe->res : 0 };
	if (cqe->flags & IORING_CQE_F_BUFFER) {
		unsigned left = b->res, bid, len;

		b->bid0 = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
		/* at least the first buffer (a 0-byte one too); then until
		 * res is placed, at most one ring's worth */
		do {
			len = buf_at(&w->pool, b->bid0, b->n, left, &bid);
			if ((b->n && !len) || b->n >= w->pool.ring_count ||
			    !rp_buf_got(&w->pool, bid)) {
				rp_count(si->ctr, RP_C_ERR_BAD_BUFFER, 1);
				b->bad = true;
				break;
			}
			rx->grant_spent |= rp_share_took(&w->fair, &rx->share) && more;
			if (w->pool.pieces)
				w->pool.pieces[b->n] = (struct rp_rx_piece){ (uint16_t)bid, len };
			b->n++;
			left -= len;
		} while (left);
		b->left = b->res;
		if (b->n) {
			rp_count(si->ctr, RP_C_RX_PACKETS, 1);
			rp_count(si->ctr, RP_C_RX_BYTES, b->res);
		}
		if (b->n > 1)
			rp_count(si->ctr, RP_C_RX_BUNDLES, 1);
	} else if (cqe->res > 0) {
		/* Bytes without a buffer: how 6.18 would report a bundle
		 * receive cancelled while its second pass waited (io_sendrecv_fail
		 * posts the first pass's bytes; its buffers are off the ring but
		 * unnamed). Never seen in the traces; the stream cannot go on. */
		rp_count(si->ctr, RP_C_ERR_BAD_BUFFER, 1);
		b->bad = true;
	}
	if (cqe->res > 0 && more && (rx->share.throttled || rx->grant_spent))
		rx->cancel_sent = false;	/* still receiving: cancel again (harmless if late) */
	if (!more) {
		rx->armed = false;
		rp_share_receive_ended(&w->fair, &rx->share);
	}
}

unsigned rp_rx_complete(struct rp_worker *w, struct rp_svc_inst *si, struct rp_rx *rx,
			const struct io_uring_cqe *cqe)
{
	struct rp_rx_bufs b;

	rp_rx_complete_bufs(w, si, rx, cqe, &b);
	return b.n ? b.bid0 : RP_BID_NONE;
}

bool rp_rx_failed(struct rp_worker *w, struct rp_svc_inst *si, struct rp_rx *rx, int res)
{
	switch (res) {
	case -ENOBUFS:
		/* Backpressure: the peer's data waits in the socket (TCP flow
		 * control) until buffers come back. */
		rp_count(si->ctr, RP_C_ERR_ENOBUFS, 1);
		rx->starved = true;
		si->starved = true;
		rp_bufpool_starve(&w->pool);
		return false;
	case -ECANCELED:
		return false;
	case -ECONNRESET:
	case -EPIPE:
		rp_count(si->ctr, RP_C_ERR_CONN_RESET, 1);
		return true;
	default:
		rp_count(si->ctr, RP_C_ERR_RECV, 1);
		rp_dbg("service %s: recv on slot %u: %s", si->cfg->name, rx->slot, strerror(-res));
		return true;
	}
}

/* ---- socket operations on a slot --------------------------------------------- */

struct linger rp_linger_rst = { .l_onoff = 1, .l_linger = 0 };

void rp_conn_setsockopt(struct rp_worker *w, struct rp_svc_inst *si, uint32_t slot,
			uint32_t obj, int level, int name, void *val, int len)
{
	struct io_uring_sqe *sqe = rp_worker_sqe(w);

	if (!sqe)
		return;
	io_uring_prep_cmd_sock(sqe, SOCKET_URING_OP_SETSOCKOPT, (int)slot, level, name, val, len);
	sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data64(sqe, rp_svc_ud(RP_OP_SOCK_CMD, si->idx, obj));
}

void rp_conn_cancel_all(struct rp_worker *w, struct rp_svc_inst *si, uint32_t slot,
			uint32_t obj)
{
	struct io_uring_sqe *sqe = rp_worker_sqe(w);

	if (!sqe)
		return;
	io_uring_prep_cancel_fd(sqe, (int)slot,
				IORING_ASYNC_CANCEL_ALL | IORING_ASYNC_CANCEL_FD_FIXED);
	io_uring_sqe_set_data64(sqe, rp_svc_ud(RP_OP_CANCEL, si->idx, obj));
}

bool rp_conn_close(struct rp_worker *w, struct rp_svc_inst *si, uint32_t slot, uint32_t obj)
{
	struct io_uring_sqe *sqe = rp_worker_sqe(w);

	if (!sqe)
		return false;
	io_uring_prep_close_direct(sqe, slot);
	io_uring_sqe_set_data64(sqe, rp_svc_ud(RP_OP_CLOSE, si->idx, obj));
	return true;
}

/* ---- accepting ------------------------------------------------------------------ */

void rp_conn_arm_accept(struct rp_worker *w, struct rp_svc_inst *si, int lfd, bool *armed)
{
	struct io_uring_sqe *sqe;

	if (*armed || lfd < 0 || si->stopping || !(sqe = rp_worker_sqe(w)))
		return;
	io_uring_prep_multishot_accept_direct(sqe, lfd, NULL, NULL, 0);
	io_uring_sqe_set_data64(sqe, rp_svc_ud(RP_OP_ACCEPT, si->idx, 0));
	*armed = true;
}

int rp_conn_accepted(struct rp_svc_inst *si, const struct io_uring_cqe *cqe, bool *armed)
{
	if (!(cqe->flags & IORING_CQE_F_MORE))
		*armed = false;
	if (cqe->res >= 0)
		return cqe->res;
	if (cqe->res == -ENFILE)
		rp_count(si->ctr, RP_C_ERR_NO_SLOT, 1);
	else if (cqe->res != -ECANCELED)
		rp_count(si->ctr, RP_C_ERR_ACCEPT, 1);
	return -1;
}

void rp_conn_cancel_accept(struct rp_worker *w, struct rp_svc_inst *si, bool armed)
{
	struct io_uring_sqe *sqe;

	if (!armed || !(sqe = rp_worker_sqe(w)))
		return;
	io_uring_prep_cancel64(sqe, rp_svc_ud(RP_OP_ACCEPT, si->idx, 0), 0);
	io_uring_sqe_set_data64(sqe, rp_svc_ud(RP_OP_CANCEL, si->idx, 0));
}

void rp_conn_leave_listener(struct rp_worker *w, struct rp_svc_inst *si, int *lfd, bool armed)
{
	rp_conn_cancel_accept(w, si, armed);
	if (*lfd >= 0)
		close(*lfd);	/* the armed accept holds the file until it ends */
	*lfd = -1;
}

/* ---- limits and timeouts ------------------------------------------------------- */

bool rp_conn_admit(struct rp_worker *w, struct rp_svc_inst *si, unsigned n_open,
		   unsigned slots, struct rp_ratelimit *log)
{
	unsigned max = si->cfg->max_connections, missed, got = 0;
	bool svc_full = max && n_open >= max;

	while (!svc_full && got < slots && rp_worker_conn_open(w))
		got++;
	if (got == slots)
		return true;
	while (got--)
		rp_worker_conn_closed(w);
	rp_count(si->ctr, RP_C_CONNS_REFUSED, 1);
	if (rp_ratelimit_ok(log, w->now_ms, 1000, &missed))
		rp_warn("service %s: connection refused: %s (%u) reached on this worker; "
			"%u more refused since the last such line", si->cfg->name,
			svc_full ? "max-connections" : "limits.connections",
			svc_full ? max : w->max_conns, missed);
	return false;
}

static unsigned quarter(unsigned ms)
{
	return ms ? (ms / 4 ? ms / 4 : 1) : 0;
}

unsigned rp_conn_tick_wanted_ms(const struct rp_service_cfg *cfg)
{
	unsigned a = quarter(cfg->idle_timeout_ms), b = quarter(cfg->write_stall_ms);

	return !a ? b : !b ? a : a < b ? a : b;
}

enum rp_conn_timeout rp_conn_timeout_check(const struct rp_worker *w, struct rp_svc_inst *si,
					   const struct rp_conn_clock *k)
{
	const struct rp_service_cfg *sc = si->cfg;

	if (k->pending && rp_conn_elapsed(w->now_ms, k->pending_since_ms, sc->write_stall_ms)) {
		rp_count(si->ctr, RP_C_WRITE_STALLS, 1);
		return RP_CONN_STALLED;
	}
	if (k->quiet && rp_conn_elapsed(w->now_ms, k->active_ms, sc->idle_timeout_ms)) {
		rp_count(si->ctr, RP_C_IDLE_TIMEOUTS, 1);
		return RP_CONN_IDLE;
	}
	return RP_CONN_IN_TIME;
}
