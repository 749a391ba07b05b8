/* SPDX-License-Identifier: MIT */
/*
 * tcp-echo: per worker one listening socket (SO_REUSEPORT) with a multishot
 * accept straight into the worker's fixed-file table; per connection one
 * multishot recv from the buffer ring, and a send queue that keeps replies in
 * order: one send in flight per connection, short sends continued from where
 * they stopped.
 *
 * A connection's fixed-file slot names it in user_data. The slot is closed
 * only when nothing of the connection is outstanding any more (receive
 * ended, queue drained, every zerocopy notification in), so a slot the kernel
 * hands to a new connection never receives an old connection's completions.
 *
 * Fair share and limits (dataplane/share.h): every pool buffer a connection
 * holds (queued, being sent, awaiting its zerocopy notification) counts
 * against its share; a connection over its share has its multishot receive
 * cancelled and is read again once it has drained. The worker's tick closes
 * connections idle for idle-timeout-ms and resets those whose peer has not
 * taken a byte of pending replies for write-stall-timeout-ms. Connections
 * past limits.connections or max-connections are accepted and closed at
 * once (conns_refused, a rate-limited log line).
 *
 * sockperf mode frames the stream (sockperf.h): requests asking for a reply
 * are answered, others are consumed. Replies are compacted to the front of
 * the receive buffer they lie in and sent from it; a message split across
 * buffers is answered the same way piece by piece (its first piece ends one
 * buffer's send, its last starts the next one's: ordered sends from the
 * buffers). Only a message whose 14-byte header itself is split is
 * answered from a heap copy. A malformed frame closes the connection
 * (err_bad_frame).
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dataplane/log.h"
#include "dataplane/sockperf.h"
#include "dataplane/worker.h"

/* Heap bytes a connection may queue (split sockperf replies) before it is
 * considered abusive and closed: the pool bounds everything else. */
#define CONN_HEAP_MAX (4u << 20)

struct txq_ent {
	unsigned bid;		/* pool buffer, or RP_BID_NONE */
	uint8_t *heap;		/* bid == RP_BID_NONE: owned copy */
	unsigned off, len;	/* what is still to send */
};

/* A connection's name in user_data: its fixed-file slot and a generation,
 * so that a completion of a connection that is gone (a zerocopy
 * notification after a reset closed its slot) never reaches the next
 * connection the kernel puts in the same slot. limits.connections keeps
 * slots below 2^20. */
#define OBJ_SLOT_BITS 20
#define OBJ_SLOT_MASK ((1u << OBJ_SLOT_BITS) - 1)

struct conn {
	uint32_t slot;
	uint32_t obj;			/* slot | generation << OBJ_SLOT_BITS */
	bool recv_armed, eof, abort, cancel_sent, close_sent, sending, starved;
	bool timed_out;			/* idle or write stall: counted once */
	bool grant_spent;		/* the receive filled its grant's buffers: cancel it */
	bool reset;			/* drain timed out: RST, close without waiting */
	bool sp_reply;			/* sockperf: the message being framed is answered */
	unsigned notifs;		/* zerocopy notifications still to come */
	size_t heap_bytes;
	struct rp_zc_sock zs;
	struct rp_share share;		/* pool buffers held, throttling */
	uint64_t active_ms;		/* last byte received or sent */
	uint64_t tx_since_ms;		/* replies pending since, or last taken at */
	struct txq_ent *q;		/* ring of queued sends */
	unsigned q_head, q_len, q_cap;
	struct rp_sp_framer fr;
};

struct tcp_echo {
	int lfd;
	bool accept_armed;
	struct conn **conns;		/* by fixed-file slot */
	unsigned n_slots, n_conns;
	unsigned n_reset;		/* connections reset when the drain timed out */
	uint64_t bytes_abandoned;	/* their replies not sent */
	struct rp_ratelimit refused_log;
	uint32_t next_gen;
};

static void conn_progress(struct rp_worker *w, struct rp_svc_inst *si, struct conn *c);

/* ---- the send queue ------------------------------------------------------ */

static struct txq_ent *q_at(struct conn *c, unsigned i)
{
	return &c->q[(c->q_head + i) % c->q_cap];
}

static int q_push(struct conn *c, struct txq_ent e)
{
	if (c->q_len == c->q_cap) {
		unsigned cap = c->q_cap ? c->q_cap * 2 : 8;
		struct txq_ent *q = malloc(cap * sizeof(*q));

		if (!q)
			return -ENOMEM;
		for (unsigned i = 0; i < c->q_len; i++)
			q[i] = *q_at(c, i);
		free(c->q);
		c->q = q;
		c->q_cap = cap;
		c->q_head = 0;
	}
	c->q[(c->q_head + c->q_len++) % c->q_cap] = e;
	c->heap_bytes += e.heap ? e.len : 0;
	return 0;
}

/* A pool buffer leaves the connection's queue: its share shrinks now, or
 * when the last zerocopy notification frees it (tcp_on_tx). */
static void conn_put_buf(struct rp_worker *w, struct conn *c, unsigned bid)
{
	rp_buf_put(&w->pool, bid);
	if (w->pool.bufs[bid].state == RP_BUF_FREE)
		rp_share_release(&c->share);
}

static void q_release(struct rp_worker *w, struct conn *c, struct txq_ent *e)
{
	if (e->bid != RP_BID_NONE)
		conn_put_buf(w, c, e->bid);
	if (e->heap) {
		c->heap_bytes -= e->len + e->off;
		free(e->heap);
	}
}

static void q_pop(struct rp_worker *w, struct conn *c)
{
	q_release(w, c, q_at(c, 0));
	c->q_head = (c->q_head + 1) % c->q_cap;
	c->q_len--;
}

/* Drop what was not sent yet (the head stays if it is in flight). */
static void q_drop_unsent(struct rp_worker *w, struct conn *c)
{
	unsigned keep = c->sending ? 1 : 0;

	while (c->q_len > keep) {
		struct txq_ent *e = q_at(c, c->q_len - 1);

		q_release(w, c, e);
		c->q_len--;
	}
}

/* Queue a reply; the write-stall clock starts when the queue stops being
 * empty. */
static int conn_queue(struct rp_worker *w, struct conn *c, struct txq_ent e)
{
	if (!c->q_len)
		c->tx_since_ms = w->now_ms;
	return q_push(c, e);
}

/* ---- connection life ----------------------------------------------------- */

static struct tcp_echo *te_of(struct rp_svc_inst *si)
{
	return si->priv;
}

static struct conn *conn_at(struct rp_svc_inst *si, uint64_t obj)
{
	struct tcp_echo *te = te_of(si);
	uint32_t slot = (uint32_t)obj & OBJ_SLOT_MASK;
	struct conn *c = slot < te->n_slots ? te->conns[slot] : NULL;

	return c && c->obj == (uint32_t)obj ? c : NULL;
}

typedef void (*conn_fn)(struct rp_worker *w, struct rp_svc_inst *si, struct conn *c);

/* Every connection once; fn may free the one it is given. */
static void each_conn(struct rp_worker *w, struct rp_svc_inst *si, conn_fn fn)
{
	struct tcp_echo *te = te_of(si);
	unsigned left = te->n_conns;

	for (unsigned s = 0; s < te->n_slots && left; s++) {
		struct conn *c = te->conns[s];

		if (c) {
			left--;
			fn(w, si, c);
		}
	}
}

static void conn_free(struct rp_worker *w, struct rp_svc_inst *si, struct conn *c)
{
	struct tcp_echo *te = te_of(si);

	rp_share_end(&w->fair, &c->share, w->now_ms, si->ctr);
	rp_worker_conn_closed(w);
	te->conns[c->slot] = NULL;
	te->n_conns--;
	rp_sp_framer_free(&c->fr);
	free(c->q);
	free(c);
}

/* The receive's byte limit. The kernel counts bytes, the share buffers, and
 * a receive fills a buffer with what has arrived: often one segment. So
 * the grant's buffers are counted as one MSS of a 1500-byte MTU each: with
 * full buffers the receive ends early and is re-armed (one SQE per few
 * buffers); with segments that small the grant is exact; smaller ones are
 * caught by grant_spent (cancel). */
#define RECV_FILL_MIN 1448u

static uint32_t conn_recv_limit(const struct rp_worker *w, const struct conn *c)
{
	unsigned fill = w->pool.size < RECV_FILL_MIN ? w->pool.size : RECV_FILL_MIN;
	uint64_t bytes = (uint64_t)c->share.grant * fill;

	return bytes > UINT32_MAX ? UINT32_MAX : (uint32_t)bytes;
}

static void conn_arm_recv(struct rp_worker *w, struct rp_svc_inst *si, struct conn *c)
{
	struct io_uring_sqe *sqe = rp_worker_sqe(w);

	if (!sqe) {
		c->abort = true;
		return;
	}
	io_uring_prep_recv_multishot(sqe, (int)c->slot, NULL, 0, 0);
	/* the kernel ends the receive (no F_MORE) once this many bytes came in:
	 * what is left of the connection's share (see share.h) */
	sqe->optlen = conn_recv_limit(w, c);
	sqe->flags |= IOSQE_FIXED_FILE | IOSQE_BUFFER_SELECT;
	sqe->buf_group = w->pool.bgid;
	io_uring_sqe_set_data64(sqe, rp_svc_ud(RP_OP_RECV, si->idx, c->obj));
	c->recv_armed = true;
	c->cancel_sent = false;
	c->grant_spent = false;
}

static void conn_send_head(struct rp_worker *w, struct rp_svc_inst *si, struct conn *c)
{
	struct txq_ent *e = q_at(c, 0);
	struct rp_tx tx = w->tx;

	tx.ctr = si->ctr;
	if (rp_tx_send(&tx, &c->zs, &(struct rp_tx_req){
			.fd = (int)c->slot, .flags = RP_TX_FIXED_FILE, .bid = e->bid,
			.heap = e->heap, .off = e->off, .len = e->len,
			.tag = rp_svc_tag(si->idx, c->obj) })) {
		c->abort = true;
		return;
	}
	c->sending = true;
}

static void conn_cancel_recv(struct rp_worker *w, struct rp_svc_inst *si, struct conn *c)
{
	struct io_uring_sqe *sqe = rp_worker_sqe(w);

	if (!sqe)
		return;
	io_uring_prep_cancel64(sqe, rp_svc_ud(RP_OP_RECV, si->idx, c->obj), 0);
	io_uring_sqe_set_data64(sqe, rp_svc_ud(RP_OP_CANCEL, si->idx, c->obj));
	c->cancel_sent = true;
}

static void conn_close(struct rp_worker *w, struct rp_svc_inst *si, struct conn *c)
{
	struct io_uring_sqe *sqe = rp_worker_sqe(w);

	if (!sqe)
		return;
	io_uring_prep_close_direct(sqe, c->slot);
	io_uring_sqe_set_data64(sqe, rp_svc_ud(RP_OP_CLOSE, si->idx, c->obj));
	c->close_sent = true;
}

/* Fire and forget: a failure leaves the socket as it was, which is safe. */
static void conn_setsockopt(struct rp_worker *w, struct rp_svc_inst *si, struct conn *c,
			    int level, int name, void *val, int len)
{
	struct io_uring_sqe *sqe = rp_worker_sqe(w);

	if (!sqe)
		return;
	io_uring_prep_cmd_sock(sqe, SOCKET_URING_OP_SETSOCKOPT, (int)c->slot, level, name, val, len);
	sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data64(sqe, rp_svc_ud(RP_OP_SOCK_CMD, si->idx, c->obj));
}

/* Arm the receive if the connection may be read: not ending, not starved,
 * and its share grants it buffers (no grant: throttled until it drains). */
static void conn_try_read(struct rp_worker *w, struct rp_svc_inst *si, struct conn *c)
{
	struct rp_share *sh = &c->share;

	if (c->recv_armed || c->eof || c->abort || c->starved || si->stopping)
		return;
	if (sh->throttled && !rp_share_may_resume(&w->fair, sh))
		return;
	if (!rp_share_grant(&w->fair, sh)) {
		rp_share_throttle(&w->fair, sh, w->now_ms, si->ctr);
		return;
	}
	rp_share_resume(&w->fair, sh, w->now_ms, si->ctr);
	conn_arm_recv(w, si, c);
}

/* Over its share, or its grant filled before the kernel's byte limit ended
 * the receive: stop it (the peer's data waits in its socket). Its end
 * re-arms through conn_try_read with a new grant, if any. */
static void conn_apply_share(struct rp_worker *w, struct rp_svc_inst *si, struct conn *c)
{
	struct rp_share *sh = &c->share;

	if (!sh->throttled && rp_share_over(&w->fair, sh))
		rp_share_throttle(&w->fair, sh, w->now_ms, si->ctr);
	if ((sh->throttled || c->grant_spent) && c->recv_armed && !c->cancel_sent)
		conn_cancel_recv(w, si, c);
	conn_try_read(w, si, c);
}

/* The one place that moves a connection on, after any event. A reset
 * connection closes without waiting for its notifications: they come only
 * once the close has freed the socket's queued skbs; no new connection can
 * take the slot meanwhile (the service is stopping). */
static void conn_progress(struct rp_worker *w, struct rp_svc_inst *si, struct conn *c)
{
	bool ending = c->eof || c->abort || si->stopping;

	if (c->abort)
		q_drop_unsent(w, c);
	if (!c->sending && c->q_len)
		conn_send_head(w, si, c);
	if (!ending)
		conn_apply_share(w, si, c);
	if (c->recv_armed && (c->abort || si->stopping) && !c->cancel_sent)
		conn_cancel_recv(w, si, c);
	if (ending && !c->recv_armed && !c->sending && !c->q_len && (!c->notifs || c->reset) &&
	    !c->close_sent)
		conn_close(w, si, c);
}

/* ---- receive ------------------------------------------------------------- */

struct sp_chunk {
	struct rp_worker *w;
	struct conn *c;
	uint8_t *buf;
	unsigned cursor;	/* replies compacted to [0, cursor) */
};

/* A message (or its first piece) decides; its later pieces follow. */
static void sp_on_msg(void *arg, const struct rp_sp_msg *m)
{
	struct sp_chunk *ch = arg;
	struct rp_sp_hdr h;
	uint8_t *copy;

	if (m->part == RP_SP_WHOLE || m->part == RP_SP_FIRST) {
		rp_sp_parse(m->data, &h);
		ch->c->sp_reply = rp_sp_wants_reply(&h);
		if (ch->c->sp_reply)
			rp_sp_make_reply(m->data);
	}
	if (!ch->c->sp_reply)
		return;
	if (m->in_chunk) {
		memmove(ch->buf + ch->cursor, m->data, m->len);
		ch->cursor += m->len;
		return;
	}
	/* A message reassembled in carry completes at the start of a chunk,
	 * before any reply of this chunk: queueing it now keeps the order. */
	copy = malloc(m->len);
	if (!copy || ch->c->heap_bytes + m->len > CONN_HEAP_MAX ||
	    conn_queue(ch->w, ch->c, (struct txq_ent){ .bid = RP_BID_NONE, .heap = copy, .len = m->len })) {
		free(copy);
		ch->c->abort = true;
		return;
	}
	memcpy(copy, m->data, m->len);
}

static void conn_data_sockperf(struct rp_worker *w, struct rp_svc_inst *si, struct conn *c,
			       unsigned bid, unsigned len)
{
	struct sp_chunk ch = { .w = w, .c = c, .buf = rp_buf_addr(&w->pool, bid) };

	if (rp_sp_framer_feed(&c->fr, ch.buf, len, sp_on_msg, &ch)) {
		rp_count(si->ctr, RP_C_ERR_BAD_FRAME, 1);
		c->abort = true;
	}
	if (ch.cursor && !c->abort &&
	    !conn_queue(w, c, (struct txq_ent){ .bid = bid, .len = ch.cursor }))
		return;
	conn_put_buf(w, c, bid);
}

static void conn_data(struct rp_worker *w, struct rp_svc_inst *si, struct conn *c,
		      unsigned bid, unsigned len)
{
	rp_count(si->ctr, RP_C_RX_PACKETS, 1);
	rp_count(si->ctr, RP_C_RX_BYTES, len);
	c->active_ms = w->now_ms;
	if (c->abort || c->eof) {
		conn_put_buf(w, c, bid);
		return;
	}
	if (si->cfg->sockperf) {
		conn_data_sockperf(w, si, c, bid, len);
		return;
	}
	if (conn_queue(w, c, (struct txq_ent){ .bid = bid, .len = len })) {
		conn_put_buf(w, c, bid);
		c->abort = true;
	}
}

static void conn_recv_error(struct rp_worker *w, struct rp_svc_inst *si, struct conn *c, int res)
{
	switch (res) {
	case -ENOBUFS:
		/* Backpressure: the peer's data waits in the socket (TCP flow
		 * control) until buffers come back. */
		rp_count(si->ctr, RP_C_ERR_ENOBUFS, 1);
		c->starved = true;
		si->starved = true;
		rp_bufpool_starve(&w->pool);
		break;
	case -ECANCELED:
		break;
	case -ECONNRESET:
	case -EPIPE:
		rp_count(si->ctr, RP_C_ERR_CONN_RESET, 1);
		c->abort = true;
		break;
	default:
		rp_count(si->ctr, RP_C_ERR_RECV, 1);
		rp_dbg("service %s: recv on slot %u: %s", si->cfg->name, c->slot, strerror(-res));
		c->abort = true;
	}
}

static struct conn *conn_of(struct rp_svc_inst *si, uint64_t ud)
{
	return conn_at(si, rp_svc_tag_obj(rp_tx_ud_tag(rp_ud_data(ud))));
}

static void tcp_on_recv(struct rp_worker *w, struct rp_svc_inst *si, const struct io_uring_cqe *cqe)
{
	struct conn *c = conn_of(si, cqe->user_data);
	bool more = cqe->flags & IORING_CQE_F_MORE;

	if (!c)
		return;
	if (cqe->flags & IORING_CQE_F_BUFFER) {
		unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;

		if (rp_buf_got(&w->pool, bid)) {
			c->grant_spent |= rp_share_took(&w->fair, &c->share) && more;
			conn_data(w, si, c, bid, (unsigned)(cqe->res > 0 ? cqe->res : 0));
		} else {
			rp_count(si->ctr, RP_C_ERR_BAD_BUFFER, 1);
		}
	}
	if (cqe->res == 0)
		c->eof = true;
	else if (cqe->res < 0)
		conn_recv_error(w, si, c, cqe->res);
	else if (more && (c->share.throttled || c->grant_spent))
		c->cancel_sent = false;	/* still receiving: cancel again (harmless if late) */
	if (!more) {
		c->recv_armed = false;
		rp_share_receive_ended(&w->fair, &c->share);
	}
	conn_progress(w, si, c);
}

/* ---- send completions ---------------------------------------------------- */

static void tcp_on_tx(struct rp_worker *w, struct rp_svc_inst *si, const struct rp_tx_event *ev)
{
	struct conn *c = conn_at(si, rp_svc_tag_obj(ev->tag));
	struct txq_ent *e;

	if (!c)
		return;
	if (ev->what == RP_TX_NOTIF) {
		c->notifs--;
		if (ev->buf_returned)
			rp_share_release(&c->share);
		conn_progress(w, si, c);
		return;
	}
	c->sending = false;
	c->notifs += ev->notif_follows;
	e = q_at(c, 0);
	if (ev->res <= 0) {
		/* -EPIPE/-ECONNRESET: the peer vanished; 0: it cannot take more. */
		if (ev->res == -EPIPE || ev->res == -ECONNRESET)
			rp_count(si->ctr, RP_C_ERR_CONN_RESET, 1);
		q_pop(w, c);
		c->abort = true;
	} else {
		c->active_ms = c->tx_since_ms = w->now_ms;
		e->off += (unsigned)ev->res;
		e->len -= (unsigned)ev->res;
		if (!e->len)
			q_pop(w, c);
	}
	conn_progress(w, si, c);
}

static struct rp_zc_sock *tcp_zc_sock(struct rp_svc_inst *si, uint64_t object)
{
	struct conn *c = conn_at(si, object);

	return c ? &c->zs : NULL;
}

/* ---- accept and close ---------------------------------------------------- */

/* After pool starvation or pressure: a connection whose receive stopped
 * receives again, if its share allows. */
static void conn_rearm(struct rp_worker *w, struct rp_svc_inst *si, struct conn *c)
{
	c->starved = false;
	conn_try_read(w, si, c);
}

static void tcp_arm(struct rp_worker *w, struct rp_svc_inst *si)
{
	struct tcp_echo *te = te_of(si);
	struct io_uring_sqe *sqe;

	if (si->stopping)
		return;
	/* with an acceptor (services[].acceptor) connections come by MSG_RING */
	if (!te->accept_armed && te->lfd >= 0 && (sqe = rp_worker_sqe(w))) {
		io_uring_prep_multishot_accept_direct(sqe, te->lfd, NULL, NULL, 0);
		io_uring_sqe_set_data64(sqe, rp_svc_ud(RP_OP_ACCEPT, si->idx, 0));
		te->accept_armed = true;
	}
	each_conn(w, si, conn_rearm);
}

/* sockperf mode answers a message as soon as it is whole, often in pieces
 * (one send per receive buffer): like sockperf's own server, no Nagle, or
 * each piece's short tail would wait for the previous one's ACK. */
static int tcp_nodelay = 1;

/* limits.connections (the worker) and max-connections (this service):
 * false when a new connection would go past either. Counts it if not. */
static bool conn_admit(struct rp_worker *w, struct rp_svc_inst *si)
{
	struct tcp_echo *te = te_of(si);
	unsigned max = si->cfg->max_connections, missed;
	bool svc_full = max && te->n_conns >= max;

	if (!svc_full && rp_worker_conn_open(w))
		return true;
	rp_count(si->ctr, RP_C_CONNS_REFUSED, 1);
	if (rp_ratelimit_ok(&te->refused_log, w->now_ms, 1000, &missed))
		rp_warn("service %s: connection refused: %s (%u) reached on this worker; "
			"%u more refused since the last such line", si->cfg->name,
			svc_full ? "max-connections" : "limits.connections",
			svc_full ? max : w->max_conns, missed);
	return false;
}

static void tcp_new_conn(struct rp_worker *w, struct rp_svc_inst *si, uint32_t slot)
{
	struct tcp_echo *te = te_of(si);
	struct conn *c;

	if (slot >= te->n_slots || te->conns[slot]) {
		rp_err("service %s: accepted into slot %u, which is %s: closed", si->cfg->name,
		       slot, slot >= te->n_slots ? "outside the table" : "taken");
		rp_count(si->ctr, RP_C_ERR_ACCEPT, 1);
		if (slot < te->n_slots)
			return;	/* closing it would close the connection that owns it */
		rp_worker_close_slot(w, slot);
		return;
	}
	if (!conn_admit(w, si)) {
		rp_worker_close_slot(w, slot);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		rp_err("service %s: out of memory for a connection: closed", si->cfg->name);
		rp_worker_conn_closed(w);
		rp_worker_close_slot(w, slot);
		return;
	}
	rp_count(si->ctr, RP_C_CONNS_ACCEPTED, 1);	/* admitted: open = accepted - closed */
	c->slot = slot;
	c->obj = slot | (te->next_gen++ << OBJ_SLOT_BITS);
	c->active_ms = w->now_ms;
	rp_zc_sock_init(&c->zs, &w->cfg->zerocopy, si->cfg->zerocopy);
	rp_sp_framer_init(&c->fr);
	c->fr.pieces = true;
	te->conns[slot] = c;
	te->n_conns++;
	if (si->cfg->sockperf)
		conn_setsockopt(w, si, c, IPPROTO_TCP, TCP_NODELAY, &tcp_nodelay, sizeof(tcp_nodelay));
	conn_progress(w, si, c);
}

static void tcp_on_accept(struct rp_worker *w, struct rp_svc_inst *si, const struct io_uring_cqe *cqe)
{
	struct tcp_echo *te = te_of(si);

	if (!(cqe->flags & IORING_CQE_F_MORE))
		te->accept_armed = false;
	if (cqe->res >= 0)
		tcp_new_conn(w, si, (uint32_t)cqe->res);
	else if (cqe->res == -ENFILE)
		rp_count(si->ctr, RP_C_ERR_NO_SLOT, 1);
	else if (cqe->res != -ECANCELED)
		rp_count(si->ctr, RP_C_ERR_ACCEPT, 1);
	if (!te->accept_armed)
		tcp_arm(w, si);
}

static void tcp_on_close(struct rp_worker *w, struct rp_svc_inst *si, const struct io_uring_cqe *cqe)
{
	struct conn *c = conn_of(si, cqe->user_data);

	if (cqe->res < 0)
		rp_warn("service %s: close of slot %u: %s", si->cfg->name,
			rp_svc_tag_obj(rp_tx_ud_tag(rp_ud_data(cqe->user_data))), strerror(-cqe->res));
	rp_count(si->ctr, RP_C_CONNS_CLOSED, 1);
	if (c)
		conn_free(w, si, c);
}

/* ---- open / stop / destroy ------------------------------------------------ */

static int tcp_open(struct rp_worker *w, struct rp_svc_inst *si)
{
	struct tcp_echo *te = calloc(1, sizeof(*te));

	if (!te || !(te->conns = calloc(w->n_files, sizeof(*te->conns)))) {
		free(te);
		return -ENOMEM;
	}
	te->lfd = si->cfg->acceptor ? -1 : rp_svc_socket(si);
	if (te->lfd < 0 && !si->cfg->acceptor) {
		int ret = te->lfd;
		free(te->conns);
		free(te);
		return ret;
	}
	te->n_slots = w->n_files;
	si->priv = te;
	return 0;
}

static void tcp_stop(struct rp_worker *w, struct rp_svc_inst *si)
{
	struct tcp_echo *te = te_of(si);
	struct io_uring_sqe *sqe;

	if (te->accept_armed && (sqe = rp_worker_sqe(w))) {
		io_uring_prep_cancel64(sqe, rp_svc_ud(RP_OP_ACCEPT, si->idx, 0), 0);
		io_uring_sqe_set_data64(sqe, rp_svc_ud(RP_OP_CANCEL, si->idx, 0));
	}
	each_conn(w, si, conn_progress);
}

/* Only reached with nothing outstanding; a connection left here is one the
 * loop never finished (it failed): give its buffers back all the same. */
static void conn_discard(struct rp_worker *w, struct rp_svc_inst *si, struct conn *c)
{
	c->sending = false;
	q_drop_unsent(w, c);
	conn_free(w, si, c);
}

/* Bytes of replies still queued (the head's unsent rest included). */
static uint64_t q_unsent_bytes(struct conn *c)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < c->q_len; i++)
		n += q_at(c, i)->len;
	return n;
}

/* SO_LINGER 0 makes the close send RST and free the unsent skbs at once
 * (a FIN would wait behind them for a peer that never reads). */
static struct linger linger_rst = { .l_onoff = 1, .l_linger = 0 };

/* Reset: RST, unsent replies dropped, the slot closed without waiting for
 * zerocopy notifications (they come once the close has freed the socket's
 * skbs; the generation in c->obj keeps them from the slot's next owner). */
static void conn_rst(struct rp_worker *w, struct rp_svc_inst *si, struct conn *c)
{
	struct io_uring_sqe *sqe;

	c->abort = c->reset = true;
	conn_setsockopt(w, si, c, SOL_SOCKET, SO_LINGER, &linger_rst, sizeof(linger_rst));
	/* the send a non-reading peer holds (and any receive) end -ECANCELED */
	if ((c->sending || c->recv_armed) && (sqe = rp_worker_sqe(w))) {
		io_uring_prep_cancel_fd(sqe, (int)c->slot,
					IORING_ASYNC_CANCEL_ALL | IORING_ASYNC_CANCEL_FD_FIXED);
		io_uring_sqe_set_data64(sqe, rp_svc_ud(RP_OP_CANCEL, si->idx, c->obj));
	}
	conn_progress(w, si, c);
}

/* The drain timed out: reset what is left, and tally what it abandons. */
static void conn_reset(struct rp_worker *w, struct rp_svc_inst *si, struct conn *c)
{
	struct tcp_echo *te = te_of(si);

	if (c->close_sent || c->reset)
		return;
	te->n_reset++;
	te->bytes_abandoned += q_unsent_bytes(c);
	conn_rst(w, si, c);
}

/* ---- timeouts (the worker's tick) ----------------------------------------- */

static bool elapsed(const struct rp_worker *w, uint64_t since_ms, unsigned timeout_ms)
{
	return timeout_ms && w->now_ms - since_ms >= timeout_ms;
}

/* Idle: nothing pending and nothing received for idle-timeout-ms: a plain
 * close (FIN). Write stall: replies pending and the peer has taken none of
 * them for write-stall-timeout-ms: its window stays shut, so only a reset
 * frees what it holds. */
static void conn_check_timeouts(struct rp_worker *w, struct rp_svc_inst *si, struct conn *c)
{
	const struct rp_service_cfg *sc = si->cfg;

	if (c->timed_out || c->abort || c->close_sent)
		return;
	if (c->q_len && elapsed(w, c->tx_since_ms, sc->write_stall_ms)) {
		c->timed_out = true;
		rp_count(si->ctr, RP_C_WRITE_STALLS, 1);
		rp_dbg("service %s: slot %u: peer took no reply for %u ms: reset", sc->name,
		       c->slot, sc->write_stall_ms);
		conn_rst(w, si, c);
	} else if (!c->q_len && !c->sending && elapsed(w, c->active_ms, sc->idle_timeout_ms)) {
		c->timed_out = true;
		rp_count(si->ctr, RP_C_IDLE_TIMEOUTS, 1);
		c->abort = true;
		conn_progress(w, si, c);
	}
}

static void tcp_tick(struct rp_worker *w, struct rp_svc_inst *si)
{
	each_conn(w, si, conn_check_timeouts);
}

static unsigned quarter(unsigned ms)
{
	return ms ? (ms / 4 ? ms / 4 : 1) : 0;
}

static unsigned tcp_tick_wanted_ms(const struct rp_service_cfg *cfg)
{
	unsigned a = quarter(cfg->idle_timeout_ms), b = quarter(cfg->write_stall_ms);

	return !a ? b : !b ? a : a < b ? a : b;
}

static void tcp_abort(struct rp_worker *w, struct rp_svc_inst *si)
{
	struct tcp_echo *te = te_of(si);

	each_conn(w, si, conn_reset);
	rp_warn("service %s: drain timeout: reset %u connections, abandoning %llu bytes of "
		"replies they had not taken", si->cfg->name, te->n_reset,
		(unsigned long long)te->bytes_abandoned);
}

static void tcp_destroy(struct rp_worker *w, struct rp_svc_inst *si)
{
	struct tcp_echo *te = te_of(si);

	each_conn(w, si, conn_discard);
	if (te->lfd >= 0)
		close(te->lfd);
	free(te->conns);
	free(te);
	si->priv = NULL;
}

const struct rp_svc_ops rp_svc_tcp_echo = {
	.name = "tcp-echo",
	.open = tcp_open,
	.arm = tcp_arm,
	.on_accept = tcp_on_accept,
	.adopt = tcp_new_conn,
	.on_recv = tcp_on_recv,
	.on_close = tcp_on_close,
	.on_tx = tcp_on_tx,
	.zc_sock = tcp_zc_sock,
	.tick = tcp_tick,
	.tick_wanted_ms = tcp_tick_wanted_ms,
	.stop = tcp_stop,
	.abort = tcp_abort,
	.destroy = tcp_destroy,
};
