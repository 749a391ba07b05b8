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
	/* also without trains: a coalesced receive is split on a train slot */
	g->trains = calloc(RP_GSO_TRAINS, sizeof(*g->trains));
	if (!g->trains)
		return -ENOMEM;
	for (int i = RP_GSO_TRAINS - 1; i >= 0; i--) {
		g->trains[i].next_free = g->free_head;
		g->free_head = i;
	}
	return 0;
}

int rp_gso_init_connected(struct rp_gso *g, uint64_t tag, unsigned id, bool enabled,
			  struct rp_peer_table *peers, struct rp_zc_sock *zs,
			  bool (*sock_open)(void *arg, uint32_t obj, int fd), void *arg)
{
	int ret = rp_gso_init(g, -1, tag, enabled, peers, zs);

	g->id = id;
	g->sock_open = sock_open;
	g->arg = arg;
	return ret;
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

void rp_gso_gather(struct rp_gso *g, struct rp_tx *tx, const struct rp_gso_reply *r)
{
	if (g->n_gather == RP_GSO_GATHER)
		rp_gso_flush(g, tx);
	g->gather[g->n_gather] = *r;
	if (g->fd >= 0)
		g->gather[g->n_gather].fd = g->fd;
	g->n_gather++;
}

void rp_gso_add(struct rp_gso *g, struct rp_tx *tx, const struct rp_tx_req *req)
{
	rp_gso_gather(g, tx, &(struct rp_gso_reply){
		.bid = (uint16_t)req->bid, .off = (uint16_t)req->off, .len = req->len,
		.dst = req->dst, .dstlen = req->dstlen });
}

/* Connected sockets send to their own destination: no address. */
static const struct sockaddr *send_addr(const struct rp_gso *g, const struct sockaddr *dst)
{
	return g->fd < 0 ? NULL : dst;
}

static struct rp_counters *entry_ctr(const struct rp_tx *tx, const struct rp_gso_reply *r)
{
	return r->ctr ? r->ctr : tx->ctr;
}

/* The datagrams of a coalesced receive (seg != 0). */
static unsigned seg_count(const struct rp_gso_reply *r)
{
	return rp_gso_dgrams(r->len, r->seg);
}

/* Where an entry's payload lies: lent memory, or its pool buffer. */
static void *entry_mem(const struct rp_bufpool *pool, const struct rp_gso_reply *r)
{
	return r->mem ? (void *)r->mem : (unsigned char *)rp_buf_addr(pool, r->bid) + r->off;
}

/* Done with a train's i-th memory: lent memory goes back to its owner,
 * a pool buffer to the pool. */
static void train_put(struct rp_gso *g, struct rp_tx *tx, const struct rp_gso_train *t,
		      unsigned i, int res)
{
	if (t->lent[i])
		g->lent_done(g->arg, t->lent[i], res);
	else
		rp_buf_put(tx->pool, t->bids[i]);
}

/* ---- flush --------------------------------------------------------------- */

/* One socket, one destination (connected: one socket is one destination). */
static bool same_peer(const struct rp_gso_reply *a, const struct rp_gso_reply *b)
{
	return a->fd == b->fd && a->dstlen == b->dstlen && !memcmp(a->dst, b->dst, a->dstlen);
}

/* How many replies from `first` on form one train: same peer, same length,
 * except that the last may be shorter (UDP_SEGMENT cuts at the first's
 * length and lets the tail be short). A coalesced receive is a train of
 * its own. */
static unsigned train_len(const struct rp_gso_reply *first, unsigned avail)
{
	unsigned n = 1, bytes = first->len;

	if (first->seg)
		return 1;
	while (n < avail && n < RP_GSO_MAX_SEGS && bytes + first[n].len <= RP_GSO_MAX_BYTES &&
	       !first[n].seg && same_peer(first, &first[n]) && first[n].len <= first->len) {
		bytes += first[n].len;
		if (first[n++].len < first->len)
			break;
	}
	return n;
}

/* Lent memory alone: a copy send (RP_BID_NONE, not fixed) whose completion
 * reaches the owner by its tag; one that finds no SQE goes back at once. */
static void send_lent(struct rp_gso *g, struct rp_tx *tx, const struct rp_gso_reply *r)
{
	if (rp_tx_send(tx, g->zs, &(struct rp_tx_req){
			.fd = r->fd, .flags = RP_TX_NOWAIT, .bid = RP_BID_NONE, .heap = r->mem,
			.len = r->len, .dst = send_addr(g, r->dst),
			.dstlen = send_addr(g, r->dst) ? r->dstlen : 0, .tag = g->tag | r->lent })) {
		rp_count(tx->ctr, RP_C_ERR_SEND, 1);
		g->lent_done(g->arg, r->lent, -EBUSY);
	}
}

/* Copy or zerocopy, as the peer's policy decides; the tag names the peer so
 * that its zerocopy notification reaches that policy. */
static void send_single(struct rp_gso *g, struct rp_tx *tx, struct rp_peer *peer,
			const struct rp_gso_reply *r)
{
	struct rp_zc_sock *zs = peer ? &peer->zs : g->zs;
	uint64_t tag = g->tag | (peer ? rp_peer_ref(g->peers, peer) : 0);

	if (r->mem) {
		send_lent(g, tx, r);
		return;
	}
	if (rp_tx_send(tx, zs, &(struct rp_tx_req){
			.fd = r->fd, .flags = RP_TX_PUT_ON_SENT | RP_TX_NOWAIT, .bid = r->bid,
			.off = r->off, .len = r->len, .dst = send_addr(g, r->dst),
			.dstlen = send_addr(g, r->dst) ? r->dstlen : 0, .tag = tag })) {
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
	if (!g->enabled || !peer || rp_fallback_active(&peer->gso_off))
		return false;
	/* a coalesced receive is one buffer: copied whatever the policy */
	if (r->seg)
		return r->seg <= rp_gso_max_seg(r->dst->sa_family) && seg_count(r) <= RP_GSO_MAX_SEGS;
	return r->len <= rp_gso_max_seg(r->dst->sa_family) && rp_zc_would_copy(&peer->zs, r->len);
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

static uint64_t train_ud(const struct rp_gso *g, const struct rp_gso_train *t, unsigned flag)
{
	return rp_ud(RP_OP_SEND_GSO, g->tag << 16 | flag |
		     RP_GSO_UD(g->id, (unsigned)(t - g->trains)));
}

static void train_fill(const struct rp_gso *g, struct rp_gso_train *t, struct rp_bufpool *pool,
		       const struct rp_gso_reply *r, unsigned n, uint32_t peer)
{
	struct cmsghdr *cm;

	t->n = n;
	t->dgrams = r->seg ? seg_count(r) : n;
	t->fd = r->fd;
	t->seg = r->seg;
	t->obj = r->obj;
	t->peer = peer;
	t->one = *r;
	for (unsigned i = 0; i < n; i++) {
		t->iov[i] = (struct iovec){ entry_mem(pool, &r[i]), r[i].len };
		t->bids[i] = r[i].bid;
		t->lent[i] = r[i].mem ? r[i].lent : 0;
		if (!r[i].mem)
			rp_buf_sending(pool, r[i].bid);
	}
	t->mh = (struct msghdr){
		.msg_name = (void *)send_addr(g, r->dst),
		.msg_namelen = send_addr(g, r->dst) ? r->dstlen : 0,
		.msg_iov = t->iov, .msg_iovlen = n,
		.msg_control = t->cmsg.buf, .msg_controllen = sizeof(t->cmsg.buf),
	};
	cm = CMSG_FIRSTHDR(&t->mh);
	cm->cmsg_level = SOL_UDP;
	cm->cmsg_type = UDP_SEGMENT;
	cm->cmsg_len = CMSG_LEN(sizeof(uint16_t));
	*(uint16_t *)CMSG_DATA(cm) = (uint16_t)(r->seg ? r->seg : r->len);
}

/* Queue n replies (n >= 2, or one coalesced receive) as one train; false:
 * no train or SQE free. */
static bool send_train(struct rp_gso *g, struct rp_tx *tx, struct rp_peer *peer,
		       const struct rp_gso_reply *r, unsigned n)
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
	train_fill(g, t, tx->pool, r, n, peer ? rp_peer_ref(g->peers, peer) : 0);
	io_uring_prep_sendmsg(sqe, r->fd, &t->mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	io_uring_sqe_set_data64(sqe, train_ud(g, t, 0));
	rp_count(entry_ctr(tx, r), RP_C_GSO_SENDS, 1);
	rp_count(entry_ctr(tx, r), RP_C_GSO_DATAGRAMS, t->dgrams);
	rp_count(tx->ctr, RP_C_COPY_SENDS, t->dgrams);
	return true;
}

/* ---- splits: a coalesced receive sent datagram by datagram ---------------- */

/* A split's last send completed (res: its result): its buffer goes home,
 * to the pool or, lent, to its owner. */
static void split_done(struct rp_gso *g, struct rp_tx *tx, struct rp_gso_train *t, int res)
{
	if (t->one.mem) {
		g->lent_done(g->arg, t->one.lent, res);
	} else {
		rp_buf_sent(tx->pool, t->one.bid, false);
		rp_buf_put(tx->pool, t->one.bid);
	}
	train_give_back(g, t);
}

/* The datagrams a split could not queue: counted, and the buffer goes home
 * with the last of its sends. */
static void split_lost(struct rp_gso *g, struct rp_tx *tx, struct rp_gso_train *t, unsigned n)
{
	rp_count(tx->ctr, RP_C_ERR_SEND, n);
	t->left -= n;
	if (!t->left)
		split_done(g, tx, t, -EBUSY);
}

/* One send per datagram of r, each from its slice of the buffer, all on
 * one train slot (the buffer goes home with the last). */
static void send_split(struct rp_gso *g, struct rp_tx *tx, struct rp_peer *peer,
		       const struct rp_gso_reply *r)
{
	const struct rp_gso_reply one = *r;	/* r may lie in the slot we take */
	struct rp_gso_train *t = train_take(g);
	const unsigned char *base = entry_mem(tx->pool, &one);
	unsigned n = seg_count(&one);

	r = &one;
	if (!t) {
		rp_count(tx->ctr, RP_C_ERR_SEND, n);
		if (r->mem)
			g->lent_done(g->arg, r->lent, -EBUSY);
		else
			rp_buf_put(tx->pool, r->bid);
		return;
	}
	*t = (struct rp_gso_train){ .n = 1, .dgrams = n, .left = n, .fd = r->fd, .seg = r->seg,
				    .obj = r->obj, .one = one, .next_free = t->next_free,
				    .peer = peer ? rp_peer_ref(g->peers, peer) : 0 };
	if (!r->mem)
		rp_buf_sending(tx->pool, r->bid);
	for (unsigned k = 0; k < n; k++) {
		struct io_uring_sqe *sqe = rp_tx_sqe(tx);
		unsigned off = k * r->seg;

		if (!sqe) {
			split_lost(g, tx, t, n - k);
			return;
		}
		io_uring_prep_sendto(sqe, r->fd, base + off, k + 1 < n ? r->seg : r->len - off,
				     MSG_NOSIGNAL | MSG_DONTWAIT, send_addr(g, r->dst),
				     send_addr(g, r->dst) ? r->dstlen : 0);
		io_uring_sqe_set_data64(sqe, train_ud(g, t, RP_GSO_UD_SPLIT));
	}
	rp_count(tx->ctr, RP_C_COPY_SENDS, n);
}

static void send_one(struct rp_gso *g, struct rp_tx *tx, struct rp_peer *peer,
		     const struct rp_gso_reply *r)
{
	if (r->seg)
		send_split(g, tx, peer, r);
	else
		send_single(g, tx, peer, r);
}

void rp_gso_flush(struct rp_gso *g, struct rp_tx *tx)
{
	struct rp_peer *peer = NULL;
	unsigned i = 0;

	while (i < g->n_gather) {
		const struct rp_gso_reply *r = &g->gather[i];
		unsigned n;
		bool train;

		if (!i || !same_peer(r - 1, r))
			peer = rp_peer_get(g->peers, r->dst, r->dstlen);
		train = train_ok(g, peer, r);
		n = train ? train_len(r, g->n_gather - i) : 1;
		if (!train || (n < 2 && !r->seg) || !send_train(g, tx, peer, r, n))
			for (unsigned k = 0; k < n; k++)
				send_one(g, tx, peer, &r[k]);
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

/* May the train's datagrams go out again on its socket? Unconnected: the
 * gso's own socket, always. Connected: only while the owner says obj still
 * names that socket (it may have been closed, its number reused). */
static bool can_resend(const struct rp_gso *g, const struct rp_gso_train *t)
{
	return g->fd >= 0 || !g->sock_open || g->sock_open(g->arg, t->obj, t->fd);
}

/* The kernel would not take the train to this peer: singles for a while,
 * starting with the train's own datagrams (a coalesced receive: split). */
static void train_refused(struct rp_gso *g, struct rp_tx *tx, const struct rp_gso_train *t,
			  int res)
{
	struct rp_peer *peer = t->peer ? rp_peer_by_ref(g->peers, t->peer) : NULL;

	if (peer && rp_peer_gso_refused(g->peers, peer)) {
		rp_count(tx->ctr, RP_C_GSO_FALLBACKS, 1);
		log_refused_once(res);
	}
	if (!can_resend(g, t)) {
		rp_count(tx->ctr, RP_C_ERR_SEND, t->dgrams);
		for (unsigned i = 0; i < t->n; i++)
			train_put(g, tx, t, i, res);
		return;
	}
	if (t->seg) {
		send_split(g, tx, peer, &t->one);
		return;
	}
	for (unsigned i = 0; i < t->n; i++) {
		struct rp_gso_reply r = t->one;

		r.bid = t->bids[i];
		r.len = (uint32_t)t->iov[i].iov_len;
		r.mem = t->lent[i] ? t->iov[i].iov_base : NULL;
		r.lent = t->lent[i];
		if (!r.mem)
			r.off = (uint16_t)((const unsigned char *)t->iov[i].iov_base -
					   (const unsigned char *)rp_buf_addr(tx->pool, r.bid));
		send_single(g, tx, peer, &r);
	}
}

/* One send of a split completed. */
static void split_complete(struct rp_gso *g, struct rp_tx *tx, struct rp_gso_train *t,
			   const struct io_uring_cqe *cqe)
{
	if (cqe->res >= 0) {
		rp_count(tx->ctr, RP_C_TX_PACKETS, 1);
		rp_count(tx->ctr, RP_C_TX_BYTES, (uint64_t)cqe->res);
	} else {
		rp_tx_count_err(tx->ctr, cqe->res, 1);
	}
	if (!--t->left)
		split_done(g, tx, t, cqe->res);
}

void rp_gso_complete(struct rp_gso *g, struct rp_tx *tx, const struct io_uring_cqe *cqe)
{
	uint64_t data = rp_ud_data(cqe->user_data);
	unsigned idx = (unsigned)(data & 0xff);
	struct rp_gso_train *t;

	if (!g->trains || idx >= RP_GSO_TRAINS) {
		rp_err("udp gso: completion for unknown train %u", idx);
		return;
	}
	t = &g->trains[idx];
	if (data & RP_GSO_UD_SPLIT) {
		split_complete(g, tx, t, cqe);
		return;
	}
	for (unsigned i = 0; i < t->n; i++)
		if (!t->lent[i])
			rp_buf_sent(tx->pool, t->bids[i], false);
	if (cqe->res >= 0) {
		rp_count(tx->ctr, RP_C_TX_PACKETS, t->dgrams);
		rp_count(tx->ctr, RP_C_TX_BYTES, (uint64_t)cqe->res);
	} else if (gso_refused(cqe->res)) {
		/* its slot first: a split of a refused coalesced receive takes one */
		train_give_back(g, t);
		train_refused(g, tx, t, cqe->res);
		return;
	} else {
		/* Socket buffer full (-EAGAIN) or out of memory: dropped, as a
		 * UDP send may be. */
		rp_tx_count_err(tx->ctr, cqe->res, t->dgrams);
	}
	for (unsigned i = 0; i < t->n; i++)
		train_put(g, tx, t, i, cqe->res);
	train_give_back(g, t);
}
