/* SPDX-License-Identifier: MIT */
/*
 * tcp-proxy `forward: bundle`: send buffer rings and bundle sends (see
 * proxy_forward.h).
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <liburing.h>

#include "dataplane/proxy.h"
#include "dataplane/worker.h"

#define SENDRING_BGID_BASE 2u	/* group RP_WORKER_BGID (1): the receive ring */
#define SENDRING_MIN 8u
/* The most buffers one bundle send selects (the kernel's PEEK_MAX_IMPORT):
 * a ring of at most this many entries is taken whole by one send. */
#define SENDRING_MAX 256u

static unsigned pow2_at_least(unsigned n)
{
	unsigned p = SENDRING_MIN;

	while (p < n && p < SENDRING_MAX)
		p <<= 1;
	return p;
}

/* The leg's ring: room for every buffer the other leg may hold (its fair
 * share's cap) and one more; should more be queued, they wait in the
 * queue until the ring has room. */
static bool sendring_open(struct rp_worker *w, struct rp_svc_inst *si, struct leg *l)
{
	struct proxy_sendring *s = &l->sr;
	struct tcp_proxy *tp = proxy_of(si);
	int err = -ERANGE;

	if (l->rx.slot + SENDRING_BGID_BASE <= UINT16_MAX) {
		s->entries = pow2_at_least(w->fair.cap + 1);
		s->bgid = (uint16_t)(l->rx.slot + SENDRING_BGID_BASE);
		s->br = io_uring_setup_buf_ring(&w->ring, s->entries, s->bgid,
						IOU_PBUF_RING_INC, &err);
	}
	if (s->br)
		return true;
	s->failed = true;
	if (!tp->bundle_warned)
		rp_warn("service %s: forward: bundle: no send buffer ring for slot %u (%s): "
			"its connections forward serialized", si->cfg->name, l->rx.slot,
			strerror(-err));
	tp->bundle_warned = true;
	return false;
}

/*
 * forward: bundle receives in bundles too (kernel 6.10+): one completion
 * carries the consecutive ring buffers a receive took (conn.h,
 * rp_rx_complete_bufs). ~1.8x serialized in Gbit per proxy CPU-second
 * (README, Receive bundles).
 */
bool proxy_fwd_rx_bundle(const struct rp_worker *w, const struct rp_svc_inst *si)
{
	return si->cfg->forward == RP_FWD_BUNDLE && (w->ring.features & IORING_FEAT_RECVSEND_BUNDLE);
}

bool proxy_fwd_bundled(struct rp_worker *w, struct rp_svc_inst *si, struct leg *l)
{
	if (l->sr.br)
		return true;
	/* set up when there is first something to send; never under a
	 * serialized send in flight (a leg that fell back stays so) */
	if (si->cfg->forward != RP_FWD_BUNDLE || l->sr.failed || l->sending || !l->q.len)
		return false;
	return sendring_open(w, si, l);
}

unsigned proxy_fwd_in_flight(const struct leg *l)
{
	if (!l->sending)
		return 0;
	return l->sr.br ? l->sr.n_pub : 1;
}

static const void *ent_addr(const struct rp_worker *w, const struct rp_txq_ent *e)
{
	const uint8_t *base = e->bid == RP_BID_NONE ? e->heap : rp_buf_addr(&w->pool, e->bid);

	return base + e->off;
}

static void publish(struct rp_worker *w, struct leg *l)
{
	struct proxy_sendring *s = &l->sr;
	int mask = io_uring_buf_ring_mask(s->entries), added = 0;

	while (s->n_pub < l->q.len && s->n_pub < s->entries) {
		const struct rp_txq_ent *e = rp_txq_at(&l->q, s->n_pub);

		/* the buffer id is not used: completions are accounted in bytes */
		io_uring_buf_ring_add(s->br, (void *)ent_addr(w, e), e->len,
				      (unsigned short)(s->tail & (unsigned)mask), mask, added++);
		s->n_pub++;
		s->tail++;
	}
	if (added)
		io_uring_buf_ring_advance(s->br, added);
}

static void arm(struct rp_worker *w, struct rp_svc_inst *si, struct leg *l)
{
	struct io_uring_sqe *sqe = rp_worker_sqe(w);

	if (!sqe) {
		l->pc->abort = true;
		return;
	}
	/* the kernel adds MSG_WAITALL to bundle sends: a completion covers
	 * what it selected unless the socket failed */
	io_uring_prep_send_bundle(sqe, (int)l->rx.slot, 0, MSG_NOSIGNAL);
	sqe->flags |= IOSQE_FIXED_FILE | IOSQE_BUFFER_SELECT;
	sqe->buf_group = l->sr.bgid;
	io_uring_sqe_set_data64(sqe, rp_svc_ud(RP_OP_SEND_BUNDLE, si->idx, l->rx.obj));
	l->sending = true;
}

/*
 * Publish only while no bundle send is in flight: should the send end
 * short, the kernel drops its unsent rest off the ring (see resync()), and
 * that rest can be put back in order only if nothing was published behind
 * it. Data that arrives meanwhile waits in the queue for the next bundle.
 */
void proxy_fwd_push(struct rp_worker *w, struct rp_svc_inst *si, struct leg *l)
{
	if (l->sending)
		return;
	publish(w, l);
	if (l->sr.n_pub)
		arm(w, si, l);
}

/* The kernel sent `bytes` from the front of the ring: the same bytes from
 * the front of the queue. false: more than was published (a kernel or
 * accounting bug: the pair is reset rather than sending garbage). */
static bool consume(struct rp_worker *w, struct rp_svc_inst *si, struct leg *l, unsigned bytes)
{
	rp_count(si->ctr, RP_C_TX_PACKETS, 1);
	rp_count(si->ctr, RP_C_TX_BYTES, bytes);
	while (bytes && l->sr.n_pub) {
		unsigned n = rp_txq_at(&l->q, 0)->len;

		n = n < bytes ? n : bytes;
		if (n == rp_txq_at(&l->q, 0)->len)
			l->sr.n_pub--;	/* popped by proxy_leg_sent */
		proxy_leg_sent(w, si, l, n);
		bytes -= n;
	}
	return !bytes;
}

/*
 * A bundle send ended with published bytes not sent. Measured on 6.18: a
 * bundle send that ends short without an error (the kernel completes the
 * bundle on a short send instead of retrying it) has taken EVERY buffer it
 * selected off the ring, the unsent rest included, even on an incremental
 * ring: the kernel's head is at our tail. Nothing after those bytes was
 * sent (the send ended there and no other is in flight), so publishing
 * them again keeps the stream in order. A kernel that kept them (head
 * short of the tail by exactly what we still count as published) needs
 * nothing; any other head is a disagreement we cannot repair: the pair is
 * reset. false: it was.
 */
static bool resync(struct rp_worker *w, struct rp_svc_inst *si, struct leg *l)
{
	struct proxy_sendring *s = &l->sr;
	uint16_t head = 0, held;
	int ret = io_uring_buf_ring_head(&w->ring, s->bgid, &head);

	held = (uint16_t)((uint16_t)s->tail - head);
	if (!ret && held == 0) {
		s->n_pub = 0;	/* published again by proxy_fwd_push */
		rp_count(si->ctr, RP_C_BUNDLE_RESYNCS, 1);
		return true;
	}
	if (!ret && held == s->n_pub)
		return true;
	rp_err("service %s: slot %u: send ring out of step (kernel head %u, tail %u, %u "
	       "published): pair reset", si->cfg->name, l->rx.slot, head,
	       (unsigned)(uint16_t)s->tail, s->n_pub);
	rp_count(si->ctr, RP_C_ERR_SEND, 1);
	proxy_leg_tx_failed(w, si, l, -EIO);
	return false;
}

void proxy_on_bundle(struct rp_worker *w, struct rp_svc_inst *si, const struct io_uring_cqe *cqe)
{
	struct leg *l = proxy_leg_of(si, cqe);

	if (!l)
		return;
	if (!(cqe->flags & IORING_CQE_F_MORE))
		l->sending = false;
	if (cqe->res > 0 && !consume(w, si, l, (unsigned)cqe->res)) {
		rp_err("service %s: a bundle send on slot %u reports more bytes than were queued",
		       si->cfg->name, l->rx.slot);
		rp_count(si->ctr, RP_C_ERR_SEND, 1);
		proxy_leg_tx_failed(w, si, l, -EIO);
		return;
	}
	/* a send error: the pair is reset */
	if (cqe->res == 0 || (cqe->res < 0 && cqe->res != -ENOBUFS && cqe->res != -ECANCELED)) {
		proxy_leg_tx_failed(w, si, l, cqe->res);
		return;
	}
	/* it ended with bytes unsent (short; -ENOBUFS: the kernel found the
	 * ring empty; -ECANCELED): see what the kernel did with them */
	if (!l->sending && l->sr.n_pub && !resync(w, si, l))
		return;
	proxy_progress(w, si, l->pc);
}

void proxy_fwd_close(struct rp_worker *w, struct leg *l)
{
	struct proxy_sendring *s = &l->sr;

	if (s->br)
		io_uring_free_buf_ring(&w->ring, s->br, s->entries, s->bgid);
	s->br = NULL;
	s->n_pub = 0;
}
