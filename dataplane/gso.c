/* SPDX-License-Identifier: MIT */
/*
 * UDP GSO trains (see gso.h).
 */
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/gso.h"
#include "dataplane/log.h"
#include "dataplane/udata.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103		/* linux/udp.h; glibc's netinet/udp.h may lack it */
#endif

int rp_gso_init(struct rp_gso *g, int fd, uint64_t tag, bool enabled,
		struct rp_peer_table *peers, struct rp_zc_sock *zs)
{
	*g = (struct rp_gso){ .fd = fd, .tag = tag, .enabled = enabled, .peers = peers,
			      .zs = zs, .free_head = -1 };
	if (!enabled)
		return 0;
	g->trains = calloc(RP_GSO_TRAINS, sizeof(*g->trains));
	if (!g->trains)
		return -ENOMEM;
	for (int i = RP_GSO_TRAINS - 1; i >= 0; i--) {
		g->trains[i].next_free = g->free_head;
		g->free_head = i;
	}
	return 0;
}

void rp_gso_destroy(struct rp_gso *g)
{
	free(g->trains);
	g->trains = NULL;
}

unsigned rp_gso_max_seg(int family)
{
	return family == AF_INET6 ? RP_GSO_MAX_SEG6 : RP_GSO_MAX_SEG4;
}

static void gather(struct rp_gso *g, struct rp_tx *tx, const struct rp_tx_req *req, unsigned seg)
{
	if (g->n_gather == RP_GSO_GATHER)
		rp_gso_flush(g, tx);
	g->gather[g->n_gather++] = (struct rp_gso_reply){
		.bid = (uint16_t)req->bid, .off = (uint16_t)req->off, .len = req->len,
		.dst = req->dst, .dstlen = req->dstlen, .seg = (uint16_t)seg,
	};
}

void rp_gso_add(struct rp_gso *g, struct rp_tx *tx, const struct rp_tx_req *req)
{
	gather(g, tx, req, 0);
}

void rp_gso_add_gro(struct rp_gso *g, struct rp_tx *tx, const struct rp_tx_req *req,
		    unsigned seg)
{
	gather(g, tx, req, rp_gso_dgrams(req->len, seg) > 1 ? seg : 0);
}

/* ---- flush --------------------------------------------------------------- */

static bool same_peer(const struct rp_gso_reply *a, const struct rp_gso_reply *b)
{
	return a->dstlen == b->dstlen && !memcmp(a->dst, b->dst, a->dstlen);
}

/* How many replies from `first` on form one train: same peer, same length,
 * except that the last may be shorter (UDP_SEGMENT cuts at the first's
 * length and lets the tail be short). */
static unsigned train_len(const struct rp_gso_reply *first, unsigned avail)
{
	unsigned n = 1, bytes = first->len;

	while (n < avail && n < RP_GSO_MAX_SEGS && bytes + first[n].len <= RP_GSO_MAX_BYTES &&
	       !first[n].seg && same_peer(first, &first[n]) && first[n].len <= first->len) {
		bytes += first[n].len;
		if (first[n++].len < first->len)
			break;
	}
	return n;
}

/* Copy or zerocopy, as the peer's policy decides; the tag names the peer so
 * that its zerocopy notification reaches that policy. */
static void send_single(struct rp_gso *g, struct rp_tx *tx, struct rp_peer *peer,
			const struct rp_gso_reply *r)
{
	struct rp_zc_sock *zs = peer ? &peer->zs : g->zs;
	uint64_t tag = g->tag | (peer ? rp_peer_ref(g->peers, peer) : 0);

	if (rp_tx_send(tx, zs, &(struct rp_tx_req){
			.fd = g->fd, .flags = RP_TX_PUT_ON_SENT | RP_TX_NOWAIT, .bid = r->bid,
			.off = r->off, .len = r->len, .dst = r->dst, .dstlen = r->dstlen,
			.tag = tag })) {
		rp_count(tx->ctr, RP_C_ERR_SEND, 1);
		rp_buf_put(tx->pool, r->bid);
	}
}

/* May r start a train? GSO on for the service and the peer, a segment that
 * fits the family's MTU, and a reply the peer's policy copies (zerocopy
 * sends keep their per-buffer notifications). The rest of a train is the
 * same peer with lengths <= r's, so the same answer holds for them. */
static bool train_ok(const struct rp_gso *g, struct rp_peer *peer, const struct rp_gso_reply *r)
{
	unsigned seg = r->seg ? r->seg : r->len;

	return g->trains && peer && seg <= rp_gso_max_seg(r->dst->sa_family) &&
	       !rp_fallback_active(&peer->gso_off) && rp_zc_would_copy(&peer->zs, seg);
}

static struct rp_gso_train *train_take(struct rp_gso *g)
{
	struct rp_gso_train *t;

	if (g->free_head < 0)
		return NULL;
	t = &g->trains[g->free_head];
	g->free_head = t->next_free;
	g->in_flight++;
	return t;
}

static void train_give_back(struct rp_gso *g, struct rp_gso_train *t)
{
	t->next_free = g->free_head;
	g->free_head = (int)(t - g->trains);
	g->in_flight--;
}

static void train_fill(struct rp_gso_train *t, struct rp_bufpool *pool,
		       const struct rp_gso_reply *r, unsigned n)
{
	struct cmsghdr *cm;

	t->n = n;
	t->dgrams = r->seg ? rp_gso_dgrams(r->len, r->seg) : n;
	t->seg = r->seg;
	t->split_left = 0;
	for (unsigned i = 0; i < n; i++) {
		t->iov[i] = (struct iovec){ (unsigned char *)rp_buf_addr(pool, r[i].bid) + r[i].off,
					    r[i].len };
		t->bids[i] = r[i].bid;
		rp_buf_sending(pool, r[i].bid);
	}
	t->mh = (struct msghdr){
		.msg_name = (void *)r->dst, .msg_namelen = r->dstlen,
		.msg_iov = t->iov, .msg_iovlen = n,
		.msg_control = t->cmsg.buf, .msg_controllen = sizeof(t->cmsg.buf),
	};
	cm = CMSG_FIRSTHDR(&t->mh);
	cm->cmsg_level = SOL_UDP;
	cm->cmsg_type = UDP_SEGMENT;
	cm->cmsg_len = CMSG_LEN(sizeof(uint16_t));
	*(uint16_t *)CMSG_DATA(cm) = (uint16_t)(r->seg ? r->seg : r->len);
}

/* Queue n >= 2 replies (or one coalesced one) as one train; false: no
 * train or SQE free. */
static bool send_train(struct rp_gso *g, struct rp_tx *tx, const struct rp_gso_reply *r,
		       unsigned n)
{
	struct rp_gso_train *t = train_take(g);
	struct io_uring_sqe *sqe;

	if (!t)
		return false;
	sqe = rp_tx_sqe(tx);
	if (!sqe) {
		train_give_back(g, t);
		return false;
	}
	train_fill(t, tx->pool, r, n);
	io_uring_prep_sendmsg(sqe, g->fd, &t->mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	io_uring_sqe_set_data64(sqe, rp_ud(RP_OP_SEND_GSO, g->tag << 16 | (uint64_t)(t - g->trains)));
	rp_count(tx->ctr, RP_C_GSO_SENDS, 1);
	rp_count(tx->ctr, RP_C_COPY_SENDS, t->dgrams);
	return true;
}

/* ---- coalesced replies sent datagram by datagram -------------------------- */

/* The datagrams of t's one coalesced buffer (HANDLER), one copy send each,
 * in order; t owns the buffer until the last completes. What finds no SQE
 * is counted err_send; with nothing queued the buffer goes back at once. */
static void split_send(struct rp_gso *g, struct rp_tx *tx, struct rp_gso_train *t)
{
	unsigned char *p = t->iov[0].iov_base;
	unsigned left = (unsigned)t->iov[0].iov_len, seg = t->seg;

	t->split_left = 0;
	rp_buf_sending(tx->pool, t->bids[0]);
	for (unsigned i = 0; i < t->dgrams; i++, p += seg, left -= seg) {
		struct io_uring_sqe *sqe = rp_tx_sqe(tx);

		if (!sqe) {
			rp_count(tx->ctr, RP_C_ERR_SEND, t->dgrams - i);
			break;
		}
		io_uring_prep_sendto(sqe, g->fd, p, left < seg ? left : seg,
				     MSG_NOSIGNAL | MSG_DONTWAIT, t->mh.msg_name, t->mh.msg_namelen);
		io_uring_sqe_set_data64(sqe, rp_ud(RP_OP_SEND_GSO,
						   g->tag << 16 | (uint64_t)(t - g->trains)));
		rp_count(tx->ctr, RP_C_COPY_SENDS, 1);
		t->split_left++;
	}
	if (t->split_left)
		return;
	rp_buf_sent(tx->pool, t->bids[0], false);
	rp_buf_put(tx->pool, t->bids[0]);
	train_give_back(g, t);
}

/* A coalesced reply that may not (or could not) go as a train. */
static void send_split(struct rp_gso *g, struct rp_tx *tx, const struct rp_gso_reply *r)
{
	struct rp_gso_train *t = train_take(g);

	if (!t) {
		rp_count(tx->ctr, RP_C_ERR_SEND, rp_gso_dgrams(r->len, r->seg));
		rp_buf_put(tx->pool, r->bid);
		return;
	}
	train_fill(t, tx->pool, r, 1);
	rp_buf_sent(tx->pool, r->bid, false);	/* train_fill marked it sending */
	split_send(g, tx, t);
}

/* One CQE of a split send. */
static void split_done(struct rp_gso *g, struct rp_tx *tx, struct rp_gso_train *t, int res)
{
	if (res >= 0) {
		rp_count(tx->ctr, RP_C_TX_PACKETS, 1);
		rp_count(tx->ctr, RP_C_TX_BYTES, (uint64_t)res);
	} else {
		rp_tx_count_err(tx->ctr, res, 1);
	}
	if (--t->split_left)
		return;
	rp_buf_sent(tx->pool, t->bids[0], false);
	rp_buf_put(tx->pool, t->bids[0]);
	train_give_back(g, t);
}

void rp_gso_flush(struct rp_gso *g, struct rp_tx *tx)
{
	struct rp_peer *peer = NULL;
	unsigned i = 0;

	while (i < g->n_gather) {
		const struct rp_gso_reply *r = &g->gather[i];
		unsigned n;

		if (!i || !same_peer(r - 1, r))
			peer = rp_peer_get(g->peers, r->dst, r->dstlen);
		if (r->seg) {
			if (!train_ok(g, peer, r) || !send_train(g, tx, r, 1))
				send_split(g, tx, r);
			i++;
			continue;
		}
		n = train_ok(g, peer, r) ? train_len(r, g->n_gather - i) : 1;
		if (n < 2 || !send_train(g, tx, r, n))
			for (unsigned k = 0; k < n; k++)
				send_single(g, tx, peer, &r[k]);
		i += n;
	}
	g->n_gather = 0;
}

/* ---- completion ---------------------------------------------------------- */

/* Errors that say "not with GSO here", as opposed to "not now". */
static bool gso_refused(int res)
{
	return res == -EINVAL || res == -EIO || res == -EMSGSIZE || res == -EOPNOTSUPP ||
	       res == -ENOPROTOOPT;
}

static void log_refused_once(int res)
{
	static atomic_bool logged;

	if (!atomic_exchange(&logged, true))
		rp_warn("udp gso: the kernel refused a UDP_SEGMENT send (%s): such peers are answered "
			"datagram by datagram for gso-retry-ms (counted in gso_fallbacks)",
			strerror(-res));
}

/* The kernel would not take the train to this peer: singles for a while,
 * starting with the train's own datagrams. */
static void train_refused(struct rp_gso *g, struct rp_tx *tx, struct rp_gso_train *t,
			  int res)
{
	struct rp_peer *peer = rp_peer_get(g->peers, t->mh.msg_name, t->mh.msg_namelen);

	if (peer && rp_peer_gso_refused(g->peers, peer)) {
		rp_count(tx->ctr, RP_C_GSO_FALLBACKS, 1);
		log_refused_once(res);
	}
	if (t->seg) {
		split_send(g, tx, t);	/* keeps t until its sends complete */
		return;
	}
	for (unsigned i = 0; i < t->n; i++) {
		const unsigned char *base = rp_buf_addr(tx->pool, t->bids[i]);

		send_single(g, tx, peer, &(struct rp_gso_reply){
			.bid = t->bids[i], .off = (uint16_t)((const unsigned char *)t->iov[i].iov_base - base),
			.len = (uint32_t)t->iov[i].iov_len, .dst = t->mh.msg_name,
			.dstlen = t->mh.msg_namelen });
	}
}

void rp_gso_complete(struct rp_gso *g, struct rp_tx *tx, const struct io_uring_cqe *cqe)
{
	unsigned idx = (unsigned)(rp_ud_data(cqe->user_data) & 0xffff);
	struct rp_gso_train *t;

	if (!g->trains || idx >= RP_GSO_TRAINS) {
		rp_err("udp gso: completion for unknown train %u", idx);
		return;
	}
	t = &g->trains[idx];
	if (t->split_left) {
		split_done(g, tx, t, cqe->res);
		return;
	}
	for (unsigned i = 0; i < t->n; i++)
		rp_buf_sent(tx->pool, t->bids[i], false);
	if (cqe->res >= 0) {
		rp_count(tx->ctr, RP_C_TX_PACKETS, t->dgrams);
		rp_count(tx->ctr, RP_C_TX_BYTES, (uint64_t)cqe->res);
	} else if (gso_refused(cqe->res)) {
		train_refused(g, tx, t, cqe->res);
		if (!t->seg)
			train_give_back(g, t);
		return;
	} else {
		/* Socket buffer full (-EAGAIN) or out of memory: dropped, as a
		 * UDP send may be. */
		rp_tx_count_err(tx->ctr, cqe->res, t->dgrams);
	}
	for (unsigned i = 0; i < t->n; i++)
		rp_buf_put(tx->pool, t->bids[i]);
	train_give_back(g, t);
}
