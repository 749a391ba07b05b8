/* SPDX-License-Identifier: MIT */
/*
 * udp-relay: a UDP load balancer. Per worker one socket on the service's
 * address (SO_REUSEPORT, local-cpu steering as udp-echo) with one multishot
 * recvmsg from the worker's buffer ring.
 *
 * Sessions: a client address and port, owned by one worker (relay.h:
 * hash of the client IP), with its own UDP socket connected to the backend
 * the client's IP hashes to (weighted rendezvous, balance.h: a backend added
 * or removed moves only its share of clients). The owner alone reads that
 * socket, so every reply lands on the owner's ring: no reply is ever handed
 * over. A reply leaves from the owner's service socket (the service's
 * address) to the client, through the same gather / GSO / order path as
 * udp-echo's replies (gso.h): the client's address is written over the
 * backend's in the reply buffer's name area, so it lives as long as the send.
 *
 * Handoff: a datagram received by a worker that does not own its session
 * goes to the owner as an RP_RELAY_DGRAM work item: (origin worker, buffer
 * id, recvmsg length), in the pair's ring of references (relay_handq.h),
 * woken by one RP_MSG_RELAY/KICK message per completion batch. The owner reads the recvmsg header, the client's
 * address and the payload straight from the origin's pool (the group
 * publishes every member's pool) and sends the payload to the backend from
 * there: every member's pool is also a fixed buffer of every member's ring
 * (bufclone.h), so it is SEND_ZC by index where the zerocopy policy says
 * so, else a copy send from that memory; user space copies nothing. When
 * that send completed (and, zerocopy, its notification came), the owner
 * gives RP_RELAY_BUFBACK to the origin the same way, which puts the buffer
 * back in its pool. Until then the origin counts the buffer lent (bufs_lent) and holds
 * one unit of its `pending`, so it cannot exit with a buffer out.
 *
 * Shutdown: a worker that stopped receiving on its service socket tells
 * every other member RP_RELAY_QUIET (after its last DGRAM to it: msg.c
 * keeps one sender's messages to one target in order). Each member holds
 * one unit of `pending` until it has heard QUIET from all the others, so no
 * ring is closed while a DGRAM may still be on its way to it.
 *
 * Takeover (relay_takeover.c): the service socket leaves its group; the
 * sessions stay until every datagram they relayed has been answered.
 *
 * Start: a member receives nothing until every member joined (the last one
 * to join sends RP_RELAY_READY to the others): before that a datagram's
 * owner might have no ring to hand it to.
 *
 * Batching toward backends: the datagrams the owner relays are gathered
 * (r->up, gso.h's connected mode: one list for every session socket) and
 * queued when the completion batch is done, a run of one session's
 * datagrams as one SENDMSG with UDP_SEGMENT (same size, the last may be
 * shorter), the rest as single sends in their place. Handed-over datagrams
 * join the list too (gso.h's lent entries: the iovec points into the
 * origin's buffer or the copy slot, which goes home when the train
 * completed), so the datagrams one KICK or one drain of a copy queue
 * brings leave in trains, in both handoff designs alike; one the zerocopy
 * policy sends by SEND_ZC from a cloned buffer is sent at once, alone (one
 * SEND_ZC names one registered buffer), after a flush of what the session
 * gathered. A session's order holds (up_may_gather_lent says why). A
 * session's socket is closed only after what was gathered or queued for it
 * was submitted (its number is reused by the next socket()).
 *
 * GRO from backends: when a pool buffer can hold the largest coalesced
 * receive (gro_buf_size), session sockets have UDP_GRO; a receive that
 * carries several datagrams (the UDP_GRO control message gives their size)
 * goes to the client as one train cut at that size, or datagram by datagram
 * when a train may not go (gso.h): the client gets what the backend sent.
 * With smaller buffers a coalesced receive would be cut at the buffer's
 * end, so they stay off and the kernel hands over one datagram each.
 *
 * GRO from clients: the service socket sets UDP_GRO by udp-echo's rule
 * (rp_udp_sock_gro; not with handoff: copy, whose slots hold one
 * datagram). A coalesced receive is one client's datagrams, so one
 * session's: relay_up reads its segment size from the buffer's control
 * message (the same recvmsg layout on every member, so also for a buffer
 * handed over as ONE item) and it is gathered as one entry: a train cut at
 * that size, or split datagram by datagram, a copy send either way (never
 * SEND_ZC: up_may_gather_lent); a lent one goes home once, when its send
 * completed. Counters and the session's `awaiting` go by datagrams.
 */
#include <errno.h>
#include <netinet/udp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dataplane/balance.h"
#include "dataplane/log.h"
#include "dataplane/relay_svc.h"
#include "dataplane/worker.h"

#ifndef UDP_GRO
#define UDP_GRO 104		/* linux/udp.h; glibc's netinet/udp.h may lack it */
#endif

/* The object of a user_data: 0 the service socket, else a session ref. */
static uint32_t ud_object(uint64_t ud_data)
{
	return rp_svc_tag_obj(rp_tx_ud_tag(ud_data));
}

struct rp_counters *relay_be_ctr(struct rp_worker *w, struct rp_svc_inst *si, unsigned be)
{
	const struct relay *r = si->priv;

	return &w->ctr[rp_svc_backend_block(w->cfg, si->idx, r->be[be].slot)];
}

/* ---- sessions ---------------------------------------------------------------- */

static void sess_arm(struct rp_worker *w, struct rp_svc_inst *si, struct rp_relay_sess *s)
{
	struct relay *r = si->priv;

	if (s->armed || s->state != RP_SESS_OPEN ||
	    !rp_udp_recv_arm(w, s->fd, &r->smh,
			     rp_svc_ud(RP_OP_RECV, si->idx, rp_relay_sess_ref(&r->t, s))))
		return;
	s->armed = true;
	s->starved = false;
}

static void sess_gauge(struct rp_svc_inst *si, struct relay *r)
{
	rp_gauge_set(si->ctr, RP_C_SESSIONS_ACTIVE, r->t.n_open);
}

/* Close a session's socket. What was gathered or queued for it is submitted
 * first: an SQE names the socket by number, and the next socket() reuses it. */
static void sess_close_fd(struct rp_worker *w, struct rp_svc_inst *si, struct rp_relay_sess *s)
{
	struct relay *r = si->priv;

	if (s->up_gen == r->up_gen)
		relay_up_flush(w, si);
	if (io_uring_sq_ready(&w->ring))
		io_uring_submit(&w->ring);
	close(s->fd);
	s->fd = -1;
}

/* End a session (counted as `why`): out of the lookup now; its socket is
 * closed once its receive has ended. */
static void sess_end(struct rp_worker *w, struct rp_svc_inst *si, struct rp_relay_sess *s,
		     enum rp_counter why)
{
	struct relay *r = si->priv;
	struct io_uring_sqe *sqe;

	if (s->state == RP_SESS_OPEN) {
		rp_count(si->ctr, why, 1);
		rp_relay_sess_close(&r->t, s);
		sess_gauge(si, r);
	}
	if (s->armed) {
		if ((sqe = rp_worker_sqe(w))) {
			io_uring_prep_cancel64(sqe, rp_svc_ud(RP_OP_RECV, si->idx,
							      rp_relay_sess_ref(&r->t, s)), 0);
			io_uring_sqe_set_data64(sqe, rp_svc_ud(RP_OP_CANCEL, si->idx, 0));
		}
		return;
	}
	if (s->fd >= 0)
		sess_close_fd(w, si, s);
	rp_relay_sess_release(&r->t, s);
}

static bool backend_up(struct rp_worker *w, const struct relay *r, unsigned be)
{
	return r->down_until[be] <= w->now_ms && !r->hc.down[be];
}

void relay_end_backend(struct rp_worker *w, struct rp_svc_inst *si, unsigned be)
{
	struct relay *r = si->priv;

	for (unsigned i = 0; i < r->t.cap; i++)
		if (r->t.s[i].state == RP_SESS_OPEN && r->t.s[i].be == be)
			sess_end(w, si, &r->t.s[i], RP_C_SESSIONS_ENDED);
}

/* The client's backend: the hash over the backends that are up; if none
 * is, over all (a refusal may have been brief). */
static int pick_backend(struct rp_worker *w, struct relay *r, const struct sockaddr *client)
{
	uint64_t down = 0;
	int be;

	for (unsigned i = 0; i < r->n_be; i++)
		if (!backend_up(w, r, i))
			down |= 1ULL << i;
	be = rp_balance_hash_pick(r->be, r->n_be, down, client);
	return be >= 0 ? be : rp_balance_hash_pick(r->be, r->n_be, 0, client);
}

static int sess_connect(const struct relay *r, struct rp_relay_sess *s,
			const struct rp_backend_cfg *be)
{
	int fd = socket(be->addr.ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -errno;
	/* without it (an old kernel) each datagram comes on its own: fine */
	if (r->gro)
		(void)setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)&be->addr.ss, be->addr.len)) {
		int err = -errno;

		close(fd);
		return err;
	}
	s->fd = fd;
	return 0;
}

static void sess_refused(struct rp_svc_inst *si, int err)
{
	rp_count(si->ctr, err == -EDQUOT ? RP_C_CLIENT_REFUSED : RP_C_SESSIONS_REFUSED, 1);
}

/* The client's open session, or a new one connected to its backend. */
static struct rp_relay_sess *sess_get(struct rp_worker *w, struct rp_svc_inst *si,
				      const struct sockaddr *client, socklen_t clen)
{
	struct relay *r = si->priv;
	struct rp_relay_key k;
	struct rp_relay_sess *s;
	int err, be;

	if (!rp_relay_key_of(client, clen, &k)) {
		rp_count(si->ctr, RP_C_ERR_RECV, 1);
		return NULL;
	}
	if ((s = rp_relay_sess_find(&r->t, &k)))
		return s;
	if (!(s = rp_relay_sess_add(&r->t, &k, client, clen, w->now_ms, &err))) {
		sess_refused(si, err);
		return NULL;
	}
	be = pick_backend(w, r, client);
	s->be = (uint8_t)be;
	s->up_gen = r->up_gen - 1;
	err = sess_connect(r, s, &r->be[be]);
	if (err) {
		rp_count(relay_be_ctr(w, si, (unsigned)be), RP_C_ERR_CONNECT, 1);
		rp_dbg("service %s: backend %s: %s", si->cfg->name, r->be[be].addr.text, strerror(-err));
		sess_end(w, si, s, RP_C_SESSIONS_ENDED);
		return NULL;
	}
	rp_count(si->ctr, RP_C_SESSIONS_OPENED, 1);
	rp_count(relay_be_ctr(w, si, (unsigned)be), RP_C_SESSIONS_OPENED, 1);
	sess_gauge(si, r);
	sess_arm(w, si, s);
	return s;
}

/* ---- client -> backend -------------------------------------------------------- */

/*
 * A datagram in buffer bid of worker origin's pool (ours or another
 * member's), res bytes as recvmsg reported, or a coalesced receive: several
 * datagrams of one client (so of one session), relayed as one entry. Relayed to the session's
 * backend from where it lies, or dropped; either way the buffer goes home.
 */
void relay_up(struct rp_worker *w, struct rp_svc_inst *si, unsigned origin, unsigned bid,
		     int res)
{
	struct relay *r = si->priv;
	const struct rp_bufpool *pool = origin == w->id ? &w->pool : r->group->m[origin].pool;
	uint8_t *buf = rp_buf_addr(pool, bid);
	struct io_uring_recvmsg_out *out = io_uring_recvmsg_validate(buf, res, &r->us.mh);
	unsigned len, seg;

	if (!out || (out->flags & MSG_TRUNC)) {
		rp_count(si->ctr, !out ? RP_C_ERR_RECV : RP_C_ERR_TRUNCATED, 1);
		relay_buf_done(w, si, origin, bid);
		return;
	}
	len = io_uring_recvmsg_payload_length(out, res, &r->us.mh);
	/* a coalesced receive: its segment size is in the buffer's own
	 * control message (every member's recvmsg layout is the same) */
	seg = rp_udp_gro_seg(out, &r->us.mh);
	relay_dgram_up(w, si, &(struct relay_dgram){
		.origin = origin, .ref = bid, .base = buf,
		.payload = io_uring_recvmsg_payload(out, &r->us.mh), .len = len,
		.seg = seg < len ? seg : 0,
		.client = io_uring_recvmsg_name(out), .clen = out->namelen });
}

static void up_count(struct rp_worker *w, struct rp_svc_inst *si, struct rp_relay_sess *s,
		     const struct relay_dgram *d)
{
	unsigned n = rp_gso_dgrams(d->len, d->seg);

	rp_count(relay_be_ctr(w, si, s->be), RP_C_TX_PACKETS, n);
	rp_count(relay_be_ctr(w, si, s->be), RP_C_UP_BYTES, d->len);
	relay_sess_sent_up(s, n);
}

/* A datagram for session s, gathered for the flush, which sends it in a
 * train of the session's datagrams or alone: from our own pool (the gso
 * puts the buffer back when that send is done) or lent (another member's
 * buffer or a copy slot, named by its foreign tag: the gso gives it back
 * through up_lent_done, or its single send's completion reaches on_tx).
 * The entry names the backend by its address in the table (valid until the
 * flush: a reload flushes first) and the session by its ref (its socket,
 * should a refused train be sent again). */
static void up_gather(struct rp_worker *w, struct rp_svc_inst *si, struct rp_relay_sess *s,
		      const struct relay_dgram *d)
{
	struct relay *r = si->priv;
	struct rp_tx tx = rp_svc_tx(w, si);
	const struct rp_addr *be = &r->be[s->be].addr;
	bool lent = d->origin != w->id;

	rp_gso_gather(&r->up, &tx, &(struct rp_gso_reply){
		.bid = lent ? 0 : (uint16_t)d->ref,
		.off = lent ? 0 : (uint16_t)(d->payload - d->base), .len = d->len, .dst = (const struct sockaddr *)&be->ss, .dstlen = be->len,
		.fd = s->fd, .seg = (uint16_t)d->seg, .obj = rp_relay_sess_ref(&r->t, s),
		.ctr = relay_be_ctr(w, si, s->be),
		.mem = lent ? d->payload : NULL,
		.lent = lent ? relay_obj_foreign(d->origin, d->ref) : 0 });
	s->up_gen = r->up_gen;
}

/* The gso is done with a handed datagram it carried in a train (or could
 * not send at all: -EBUSY): counted, and the memory goes home. */
static void up_lent_done(void *arg, uint32_t lent, int res)
{
	struct relay *r = arg;

	if (res != -EBUSY)
		rp_count(r->si->ctr, RP_C_HANDOFF_COPY_SENDS, 1);
	if (res >= 0)
		rp_count(r->si->ctr, RP_C_HANDOFF_GSO_DATAGRAMS, 1);
	relay_buf_done(r->w, r->si, lent >> 16, lent & (RELAY_OBJ_FOREIGN - 1));
}

/*
 * May a handed datagram join the gather list (and so a train)? Only with
 * GSO on and when it would be a copy send anyway: a zerocopy send names
 * one registered buffer (the origin's, by fixed index), so it cannot be
 * one iovec of many in a SENDMSG; it keeps its own SEND_ZC.
 *
 * Order per session: the gather list is one list in the order datagrams
 * are relayed, own and handed alike, and a handed datagram sent at once
 * (zerocopy) first flushes what was gathered. One client's datagrams
 * arrive on one worker's socket (the reuseport choice or local-cpu
 * steering is per flow), so a session's datagrams are either all its
 * owner's own or all handed by one origin, through that pair's FIFO ring
 * or queue, and their order is their arrival order. Only a change of
 * steering mid-flow (a socket leaving the group, the flow's CPU moving)
 * could put one session's own and handed datagrams side by side; they are
 * then relayed in the order the owner takes them, as before this batching
 * (the kernel gives no order across two sockets either).
 */
static bool up_may_gather_lent(struct relay *r, const struct relay_dgram *d)
{
	unsigned idx;

	/* A coalesced receive always: it leaves as one SENDMSG with
	 * UDP_SEGMENT (or, GSO off or refused, split into copy sends from
	 * its slices), never SEND_ZC, and its buffer goes home once, after
	 * the send completed. Zerocopy handoffs stay per single datagram. */
	if (d->seg)
		return true;
	return r->up.enabled && (!relay_foreign_fixed(r, d, &idx) ||
				 rp_zc_would_copy(&r->us.zs, d->len));
}

void relay_up_flush(struct rp_worker *w, struct rp_svc_inst *si)
{
	struct relay *r = si->priv;
	struct rp_tx tx;

	r->up_gen++;
	if (!r->up.n_gather)
		return;
	tx = rp_svc_tx(w, si);
	rp_gso_flush(&r->up, &tx);
}

/* The gso's question before it sends a refused train again: is the
 * session's socket still open (its number not given to another)? */
static bool up_sock_open(void *arg, uint32_t obj, int fd)
{
	struct relay *r = arg;
	const struct rp_relay_sess *s = rp_relay_sess_by_ref(&r->t, obj);

	return s && s->fd == fd;
}

void relay_dgram_up(struct rp_worker *w, struct rp_svc_inst *si, const struct relay_dgram *d)
{
	struct relay *r = si->priv;
	bool local = d->origin == w->id;
	struct rp_tx tx = rp_svc_tx(w, si);
	struct rp_relay_sess *s;
	unsigned idx = 0;

	/* stopping: its sessions are ending, and a new one would keep the
	 * worker from draining */
	if (si->stopping) {
		if (!local)
			rp_count(si->ctr, RP_C_HANDOFF_DROPS, 1);
		relay_buf_done(w, si, d->origin, d->ref);
		return;
	}
	s = sess_get(w, si, d->client, d->clen);
	if (!s) {
		relay_buf_done(w, si, d->origin, d->ref);
		return;
	}
	rp_relay_sess_touch(&r->t, s, w->now_ms);
	if (local || up_may_gather_lent(r, d)) {
		up_gather(w, si, s, d);
		up_count(w, si, s, d);
		return;
	}
	/* what the session gathered leaves first */
	if (s->up_gen == r->up_gen)
		relay_up_flush(w, si);
	/* Foreign (another pool's buffer or a copy slot): a send from that
	 * memory, tagged with its origin and ref (bid RP_BID_NONE in user_data
	 * tells on_tx it is foreign); from a cloned pool buffer it is zerocopy
	 * by fixed index where the policy says so (relay_handoff.c). */
	if (rp_tx_send(&tx, &r->us.zs, &(struct rp_tx_req){
			.fd = s->fd, .flags = RP_TX_NOWAIT | relay_foreign_fixed(r, d, &idx),
			.bid = RP_BID_NONE, .heap = d->base, .buf_index = idx,
			.off = (unsigned)(d->payload - d->base), .len = d->len,
			.tag = rp_svc_tag(si->idx, relay_obj_foreign(d->origin, d->ref)) })) {
		rp_count(si->ctr, RP_C_ERR_SEND, 1);
		relay_buf_done(w, si, d->origin, d->ref);
		return;
	}
	up_count(w, si, s, d);
}

/* A datagram (or a coalesced receive: one client's, one session's) on our
 * service socket: relay it, or hand it to its owner, whole, as one item. */
static void on_client_dgram(struct rp_worker *w, struct rp_svc_inst *si, unsigned bid, int res)
{
	struct relay *r = si->priv;
	struct io_uring_recvmsg_out *out = io_uring_recvmsg_validate(rp_buf_addr(&w->pool, bid),
								      res, &r->us.mh);
	unsigned owner, len, n;

	if (out) {
		len = io_uring_recvmsg_payload_length(out, res, &r->us.mh);
		n = rp_gso_dgrams(len, rp_udp_gro_seg(out, &r->us.mh));
		if (n > 1)
			rp_count(si->ctr, RP_C_GRO_RECEIVES, 1);
		rp_count(si->ctr, RP_C_RX_PACKETS, n);
		rp_count(si->ctr, RP_C_RX_BYTES, len);
	}
	/* a bad or truncated datagram is counted and dropped right here */
	owner = out && !(out->flags & MSG_TRUNC) ?
		rp_relay_owner(io_uring_recvmsg_name(out), r->n_workers) : w->id;
	if (owner == w->id) {
		relay_up(w, si, w->id, bid, res);
		return;
	}
	if (!relay_hand_over(w, si, owner, bid, res))
		rp_buf_put(&w->pool, bid);
}

/* ---- backend -> client -------------------------------------------------------- */

static void backend_refused(struct rp_worker *w, struct rp_svc_inst *si, struct rp_relay_sess *s)
{
	struct relay *r = si->priv;

	if (backend_up(w, r, s->be)) {
		rp_count(relay_be_ctr(w, si, s->be), RP_C_BACKEND_DOWN, 1);
		rp_info("service %s: backend %s refused a datagram: no new sessions for %u ms",
			si->cfg->name, r->be[s->be].addr.text, si->cfg->backend_down_ms);
	}
	r->down_until[s->be] = w->now_ms + si->cfg->backend_down_ms;
	sess_end(w, si, s, RP_C_SESSIONS_ENDED);
}

static void reply_dgram(struct rp_worker *w, struct rp_svc_inst *si, struct rp_relay_sess *s,
			unsigned bid, int res)
{
	struct relay *r = si->priv;
	uint8_t *buf = rp_buf_addr(&w->pool, bid);
	struct io_uring_recvmsg_out *out = io_uring_recvmsg_validate(buf, res, &r->smh);
	struct rp_tx tx = rp_svc_tx(w, si);
	uint8_t *payload;
	unsigned len, seg = 0, n;

	if (!out || (out->flags & MSG_TRUNC) || s->state != RP_SESS_OPEN) {
		if (!out || (out->flags & MSG_TRUNC))
			rp_count(si->ctr, !out ? RP_C_ERR_RECV : RP_C_ERR_TRUNCATED, 1);
		rp_buf_put(&w->pool, bid);
		return;
	}
	payload = io_uring_recvmsg_payload(out, &r->smh);
	len = io_uring_recvmsg_payload_length(out, res, &r->smh);
	if ((seg = rp_udp_gro_seg(out, &r->smh)) >= len)
		seg = 0;	/* one datagram */
	if (seg)
		rp_count(relay_be_ctr(w, si, s->be), RP_C_GRO_RECEIVES, 1);
	n = seg ? (len + seg - 1) / seg : 1;
	rp_count(relay_be_ctr(w, si, s->be), RP_C_RX_PACKETS, n);
	relay_sess_answered(s, n);
	rp_count(relay_be_ctr(w, si, s->be), RP_C_DOWN_BYTES, len);
	rp_relay_sess_touch(&r->t, s, w->now_ms);
	/* The name area has room for any address (smh): the client's goes
	 * there, so the destination lives in the buffer as long as the send. */
	memcpy(io_uring_recvmsg_name(out), &s->client, s->clen);
	rp_gso_gather(&r->us.gso, &tx, &(struct rp_gso_reply){
		.bid = (uint16_t)bid, .off = (uint16_t)(payload - buf), .len = len,
		.dst = io_uring_recvmsg_name(out), .dstlen = s->clen, .seg = (uint16_t)seg });
}

static void on_sess_recv(struct rp_worker *w, struct rp_svc_inst *si, const struct io_uring_cqe *cqe)
{
	struct relay *r = si->priv;
	struct rp_relay_sess *s = rp_relay_sess_by_ref(&r->t, ud_object(rp_ud_data(cqe->user_data)));
	unsigned bid;
	bool starved = false;
	int err;

	if (!s) {
		rp_warn("service %s: receive completion for a session that is gone", si->cfg->name);
		return;
	}
	bid = rp_udp_recv_cqe(w, si, cqe, &s->armed, &starved, &err);
	s->starved = starved;
	if (bid != RP_BID_NONE)
		reply_dgram(w, si, s, bid, cqe->res);
	else if (err == -ECONNREFUSED && s->state == RP_SESS_OPEN)
		backend_refused(w, si, s);
	if (s->armed)
		return;
	if (s->state != RP_SESS_OPEN)
		sess_end(w, si, s, RP_C_SESSIONS_ENDED);
	else if (!s->starved && !si->stopping)
		sess_arm(w, si, s);
}

/* ---- the service socket -------------------------------------------------------- */

void relay_arm(struct rp_worker *w, struct rp_svc_inst *si)
{
	struct relay *r = si->priv;

	if (!r->ready || si->stopping)
		return;
	/* sessions whose receive ran out of buffers */
	for (uint32_t i = r->t.lru_head; i != RP_RELAY_NIL; i = r->t.s[i].next)
		if (r->t.s[i].starved)
			sess_arm(w, si, &r->t.s[i]);
	if (r->copy)
		relay_copy_arm(w, si);
	rp_udp_sock_arm(&r->us, w, si);
}

static void on_listen_recv(struct rp_worker *w, struct rp_svc_inst *si, const struct io_uring_cqe *cqe)
{
	struct relay *r = si->priv;
	int err;
	unsigned bid = rp_udp_recv_cqe(w, si, cqe, &r->us.armed, &si->starved, &err);

	if (bid != RP_BID_NONE)
		on_client_dgram(w, si, bid, cqe->res);
	if (r->us.armed)
		return;
	if (si->stopping)
		relay_send_quiet(w, si);
	else if (!si->starved)
		relay_arm(w, si);
}

static void relay_on_recv(struct rp_worker *w, struct rp_svc_inst *si, const struct io_uring_cqe *cqe)
{
	uint32_t obj = ud_object(rp_ud_data(cqe->user_data));

	if (obj == RELAY_OBJ_WAKE)
		relay_copy_on_wake(w, si, cqe);
	else if (obj)
		on_sess_recv(w, si, cqe);
	else
		on_listen_recv(w, si, cqe);
}

/* ---- completions of sends -------------------------------------------------------- */

static void relay_on_tx(struct rp_worker *w, struct rp_svc_inst *si, const struct rp_tx_event *ev)
{
	uint32_t obj = rp_svc_tag_obj(ev->tag);

	if (ev->bid == RP_BID_NONE && (obj & RELAY_OBJ_FOREIGN))
		relay_foreign_tx(w, si, obj >> 16, obj & (RELAY_OBJ_FOREIGN - 1), ev);
}

static void relay_on_gso(struct rp_worker *w, struct rp_svc_inst *si, const struct io_uring_cqe *cqe)
{
	struct relay *r = si->priv;
	struct rp_tx tx;

	if (rp_gso_ud_id(rp_ud_data(cqe->user_data)) != RELAY_GSO_UP) {
		rp_udp_sock_gso_done(&r->us, w, si, cqe);
		return;
	}
	tx = rp_svc_tx(w, si);
	rp_gso_complete(&r->up, &tx, cqe);
}

static void relay_flush(struct rp_worker *w, struct rp_svc_inst *si)
{
	struct relay *r = si->priv;

	if (r->n_later)
		relay_send_later(w, r);
	if (r->copy)
		relay_copy_flush(w, si);
	relay_up_flush(w, si);
	rp_udp_sock_flush(&r->us, w, si);
	/* last: whatever the flushes above gave back goes with this batch */
	if (r->handq)
		relay_send_wakes(w, si);
}

static struct rp_zc_sock *relay_zc_sock(struct rp_svc_inst *si, uint64_t object)
{
	struct relay *r = si->priv;

	/* a send from another member's memory was decided by the socket's
	 * policy (relay_dgram_up): its notification reports to that one */
	return object & RELAY_OBJ_FOREIGN ? &r->us.zs : rp_udp_sock_zc(&r->us, object);
}

/* ---- timeouts, stop, set-up ---------------------------------------------------------- */

static void relay_tick(struct rp_worker *w, struct rp_svc_inst *si)
{
	struct relay *r = si->priv;
	unsigned idle = si->cfg->idle_timeout_ms;
	struct rp_relay_sess *s;

	while (idle && (s = rp_relay_sess_oldest(&r->t)) && w->now_ms - s->last_ms >= idle)
		sess_end(w, si, s, RP_C_SESSIONS_EXPIRED);
	relay_health_tick(w, si);
}

/* A quarter of the idle timeout; the probe interval when probes run. */
static unsigned relay_tick_wanted(const struct rp_service_cfg *cfg)
{
	unsigned idle = cfg->idle_timeout_ms / 4 ? cfg->idle_timeout_ms / 4 : cfg->idle_timeout_ms;
	unsigned probe = cfg->health_probe[0] ? cfg->health_interval_ms : 0;

	return !idle || (probe && probe < idle) ? probe : idle;
}

static void relay_stop(struct rp_worker *w, struct rp_svc_inst *si)
{
	struct relay *r = si->priv;
	struct rp_relay_sess *s;

	if (r->us.armed)
		rp_udp_sock_cancel(&r->us, w, si);
	else
		relay_send_quiet(w, si);
	if (r->copy)
		relay_copy_stop(w, si);
	while ((s = rp_relay_sess_oldest(&r->t)))
		sess_end(w, si, s, RP_C_SESSIONS_ENDED);
}

/* The drain timed out: stop waiting for members that will not say QUIET. */
static void relay_abort(struct rp_worker *w, struct rp_svc_inst *si)
{
	relay_release_hold(w, si->priv);
}

static void relay_free(struct relay *r)
{
	rp_gso_destroy(&r->up);
	rp_relay_sessions_free(&r->t);
	free(r->later);
	free(r->wake_due);
	free(r);
}

/* The name area of a session receive: any address, rounded up to 8 bytes
 * because the kernel puts the control message right after it (the recvmsg
 * header is 16 bytes), and a cmsghdr is read in place. */
#define RELAY_NAME_ROOM ((sizeof(struct sockaddr_in6) + 7) & ~(size_t)7)

/* The buffer a coalesced receive needs: the recvmsg header, the name, the
 * UDP_GRO control message and the largest UDP payload (64 KiB). */
static size_t gro_buf_size(void)
{
	return sizeof(struct io_uring_recvmsg_out) + RELAY_NAME_ROOM + CMSG_SPACE(sizeof(int)) +
	       65535;
}

/* Session sockets: their recvmsg layout, and UDP_GRO when it fits. */
static void relay_rx_layout(struct rp_worker *w, struct rp_svc_inst *si, struct relay *r)
{
	r->gro = w->pool.size >= gro_buf_size();
	r->smh.msg_namelen = RELAY_NAME_ROOM;
	r->smh.msg_controllen = r->gro ? CMSG_SPACE(sizeof(int)) : 0;
	if (w->id == 0)
		rp_info("service %s: backend sockets %s (a coalesced receive needs buffers.size >= %zu)",
			si->cfg->name, r->gro ? "receive with UDP_GRO" : "without UDP_GRO",
			gro_buf_size());
}

static int relay_open(struct rp_worker *w, struct rp_svc_inst *si)
{
	const struct rp_service_cfg *c = si->cfg;
	struct relay *r = calloc(1, sizeof(*r));
	int ret;

	if (!r)
		return -ENOMEM;
	r->be = c->backends;
	r->n_be = c->n_backends;
	relay_rx_layout(w, si, r);
	ret = rp_relay_sessions_init(&r->t, c->max_sessions, c->max_client_sessions);
	if (!ret)
		ret = relay_health_open(si, r);
	if (ret || (ret = rp_udp_sock_open(&r->us, w, si))) {
		relay_health_close(r);
		relay_free(r);
		return ret;
	}
	if (rp_gso_init_connected(&r->up, rp_svc_tag(si->idx, 0), RELAY_GSO_UP, c->gso,
				  &r->us.peers, &r->us.zs, up_sock_open, r)) {
		rp_udp_sock_close(&r->us);
		relay_health_close(r);
		relay_free(r);
		return -ENOMEM;
	}
	r->up.lent_done = up_lent_done;
	/* not with handoff: copy: a queue slot holds one datagram */
	if (c->handoff != RP_HANDOFF_COPY && rp_udp_sock_gro(&r->us, w, si) && w->id == 0)
		rp_info("service %s: service sockets receive with UDP_GRO", c->name);
	r->w = w;
	r->si = si;
	si->priv = r;
	ret = relay_join_group(w, si, r);
	if (ret) {
		rp_udp_sock_close(&r->us);
		relay_health_close(r);
		relay_free(r);
		si->priv = NULL;
	}
	return ret;
}

static void relay_destroy(struct rp_worker *w, struct rp_svc_inst *si)
{
	struct relay *r = si->priv;

	(void)w;
	for (unsigned i = 0; i < r->t.cap; i++)
		if (r->t.s[i].state != RP_SESS_FREE && r->t.s[i].fd >= 0)
			close(r->t.s[i].fd);
	if (r->lent || r->n_later || r->held)
		rp_err("service %s: exiting with %u buffer(s) lent, %u message(s) unsent and "
		       "%u copy slot(s) held", si->cfg->name, r->lent, r->n_later, r->held);
	rp_udp_sock_close(&r->us);
	relay_health_close(r);
	relay_free(r);
	si->priv = NULL;
}

const struct rp_svc_ops rp_svc_udp_relay = {
	.name = "udp-relay",
	.open = relay_open,
	.arm = relay_arm,
	.on_recv = relay_on_recv,
	.on_gso = relay_on_gso,
	.on_tx = relay_on_tx,
	.zc_sock = relay_zc_sock,
	.flush = relay_flush,
	.tick = relay_tick,
	.tick_wanted_ms = relay_tick_wanted,
	.leave = relay_takeover_leave,
	.left = relay_takeover_left,
	.stop = relay_stop,
	.abort = relay_abort,
	.destroy = relay_destroy,
	.reload = relay_reload,
};
