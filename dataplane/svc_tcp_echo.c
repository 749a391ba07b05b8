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

#include "dataplane/conn.h"
#include "dataplane/events.h"
#include "dataplane/log.h"
#include "dataplane/sockperf.h"
#include "dataplane/worker.h"
#include "dataplane/zcrx_rx.h"

/* Heap bytes a connection may queue (split sockperf replies) before it is
 * considered abusive and closed: the pool bounds everything else. */
#define CONN_HEAP_MAX (4u << 20)

/* A connection is named in user_data by rx.obj (slot and generation,
 * conn.h); its receive side and fair share are rx. */
struct conn {
	struct rp_rx rx;
	bool eof, abort, close_sent, sending;
	bool timed_out;			/* idle or write stall: counted once */
	bool reset;			/* drain timed out: RST, close without waiting */
	bool sp_reply;			/* sockperf: the message being framed is answered */
	unsigned notifs;		/* zerocopy notifications still to come */
	size_t heap_bytes;
	struct rp_zc_sock zs;
	uint64_t active_ms;		/* last byte received or sent */
	uint64_t tx_since_ms;		/* replies pending since, or last taken at */
	struct rp_txq q;		/* queued replies, in order */
	struct rp_sp_framer fr;
	bool zc;			/* received by RECV_ZC (zrx), not rx's buffer ring */
	struct rp_zrx zrx;
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

static struct rp_txq_ent *q_at(struct conn *c, unsigned i)
{
	return rp_txq_at(&c->q, i);
}

static int q_push(struct conn *c, struct rp_txq_ent e)
{
	int ret = rp_txq_push(&c->q, e);

	if (!ret)
		c->heap_bytes += e.heap ? e.len : 0;
	return ret;
}

/* A pool buffer leaves the connection's queue: its share shrinks now, or
 * when the last zerocopy notification frees it (tcp_on_tx). */
static void conn_put_buf(struct rp_worker *w, struct conn *c, unsigned bid)
{
	rp_buf_put(&w->pool, bid);
	if (w->pool.bufs[bid].state == RP_BUF_FREE)
		rp_share_release(&c->rx.share);
}

static void q_release(struct rp_worker *w, struct conn *c, struct rp_txq_ent *e)
{
	if (e->zc) {	/* consumed: its area piece goes back through the refill ring */
		rp_zrx_put(w, &c->zrx, &e->zref);
		return;
	}
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
	rp_txq_pop(&c->q);
}

/* Drop what was not sent yet (the head stays if it is in flight). */
static void q_drop_unsent(struct rp_worker *w, struct conn *c)
{
	unsigned keep = c->sending ? 1 : 0;

	while (c->q.len > keep) {
		q_release(w, c, q_at(c, c->q.len - 1));
		c->q.len--;
	}
}

/* Queue a reply; the write-stall clock starts when the queue stops being
 * empty. */
static int conn_queue(struct rp_worker *w, struct conn *c, struct rp_txq_ent e)
{
	if (!c->q.len)
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
	uint32_t slot = rp_conn_obj_slot(obj);
	struct conn *c = slot < te->n_slots ? te->conns[slot] : NULL;

	return c && c->rx.obj == (uint32_t)obj ? c : NULL;
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

	rp_share_end(&w->fair, &c->rx.share, w->now_ms, si->ctr);
	rp_worker_conn_closed(w);
	te->conns[c->rx.slot] = NULL;
	te->n_conns--;
	rp_sp_framer_free(&c->fr);
	rp_txq_free(&c->q);
	free(c);
}

static void conn_send_head(struct rp_worker *w, struct rp_svc_inst *si, struct conn *c)
{
	struct rp_txq_ent *e = q_at(c, 0);
	struct rp_tx tx = w->tx;

	tx.ctr = si->ctr;
	if (rp_tx_send(&tx, &c->zs, &(struct rp_tx_req){
			.fd = (int)c->rx.slot, .flags = RP_TX_FIXED_FILE, .bid = e->bid,
			.heap = e->heap, .off = e->off, .len = e->len,
			.tag = rp_svc_tag(si->idx, c->rx.obj) })) {
		c->abort = true;
		return;
	}
	c->sending = true;
}

static void conn_close(struct rp_worker *w, struct rp_svc_inst *si, struct conn *c)
{
	c->close_sent = rp_conn_close(w, si, c->rx.slot, c->rx.obj);
}

static void conn_setsockopt(struct rp_worker *w, struct rp_svc_inst *si, struct conn *c,
			    int level, int name, void *val, int len)
{
	rp_conn_setsockopt(w, si, c->rx.slot, c->rx.obj, level, name, val, len);
}

/* Read it if it is not ending and its share grants buffers (no grant:
 * throttled until it drains). */
static void conn_try_read(struct rp_worker *w, struct rp_svc_inst *si, struct conn *c)
{
	bool ok = c->zc ? rp_zrx_step(w, si, &c->zrx, true) : rp_rx_try_read(w, si, &c->rx);

	if (!c->eof && !c->abort && !ok)
		c->abort = true;
}

/* The receive side after any event: by its share, or for RECV_ZC by the
 * area it holds; cancelled when the connection ends. */
static void conn_rx_step(struct rp_worker *w, struct rp_svc_inst *si, struct conn *c, bool ending)
{
	if (!ending && !(c->zc ? rp_zrx_step(w, si, &c->zrx, true) :
			 rp_rx_apply_share(w, si, &c->rx, true)))
		c->abort = true;
	if (!(c->abort || si->stopping))
		return;
	if (c->zc)
		rp_zrx_cancel(w, si, &c->zrx);
	else
		rp_rx_cancel(w, si, &c->rx);
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
	if (!c->sending && c->q.len)
		conn_send_head(w, si, c);
	conn_rx_step(w, si, c, ending);
	if (ending && !c->rx.armed && !c->zrx.armed && !c->sending && !c->q.len &&
	    (!c->notifs || c->reset) &&
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
	    conn_queue(ch->w, ch->c, (struct rp_txq_ent){ .bid = RP_BID_NONE, .heap = copy, .len = m->len })) {
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
	    !conn_queue(w, c, (struct rp_txq_ent){ .bid = bid, .len = ch.cursor }))
		return;
	conn_put_buf(w, c, bid);
}

static void conn_data(struct rp_worker *w, struct rp_svc_inst *si, struct conn *c,
		      unsigned bid, unsigned len)
{
	c->active_ms = w->now_ms;
	if (c->abort || c->eof) {
		conn_put_buf(w, c, bid);
		return;
	}
	if (si->cfg->rx_zc != RP_RXZC_OFF)
		rp_count(si->ctr, RP_C_RX_ZC_FALLBACK_BYTES, len);
	if (si->cfg->sockperf) {
		conn_data_sockperf(w, si, c, bid, len);
		return;
	}
	if (conn_queue(w, c, (struct rp_txq_ent){ .bid = bid, .len = len })) {
		conn_put_buf(w, c, bid);
		c->abort = true;
	}
}

/* A RECV_ZC piece: echoed straight from the area (a copy send: the area
 * is not a registered buffer), returned once that send has completed. */
static void conn_data_zc(struct rp_worker *w, struct rp_svc_inst *si, struct conn *c,
			 const struct rp_zrx_event *ev)
{
	struct rp_txq_ent e = { .bid = RP_BID_NONE, .heap = (uint8_t *)ev->ptr,
				.len = ev->ref.len, .zc = true, .zref = ev->ref };

	c->active_ms = w->now_ms;
	if (c->abort || c->eof || conn_queue(w, c, e)) {
		rp_zrx_put(w, &c->zrx, &ev->ref);
		c->abort = c->abort || !c->eof;
	}
	(void)si;
}

static void tcp_on_recv_zc(struct rp_worker *w, struct rp_svc_inst *si, struct conn *c,
			   const struct io_uring_cqe *cqe)
{
	struct rp_zrx_event ev;

	rp_zrx_complete(w, si, &c->zrx, cqe, &ev);
	if (ev.data)
		conn_data_zc(w, si, c, &ev);
	c->eof = c->eof || ev.eof;
	c->abort = c->abort || ev.failed;
	c->zc = !ev.demoted;	/* dmabuf area: see zcrx_rx.h */
	conn_progress(w, si, c);
}

static void tcp_on_recv(struct rp_worker *w, struct rp_svc_inst *si, const struct io_uring_cqe *cqe)
{
	struct conn *c = conn_at(si, rp_conn_cqe_obj(cqe));
	unsigned bid;

	if (!c)
		return;
	if (c->zc) {
		tcp_on_recv_zc(w, si, c, cqe);
		return;
	}
	bid = rp_rx_complete(w, si, &c->rx, cqe);
	if (bid != RP_BID_NONE)
		conn_data(w, si, c, bid, (unsigned)(cqe->res > 0 ? cqe->res : 0));
	if (cqe->res == 0)
		c->eof = true;
	else if (cqe->res < 0 && rp_rx_failed(w, si, &c->rx, cqe->res))
		c->abort = true;
	conn_progress(w, si, c);
}

/* ---- send completions ---------------------------------------------------- */

static void tcp_on_tx(struct rp_worker *w, struct rp_svc_inst *si, const struct rp_tx_event *ev)
{
	struct conn *c = conn_at(si, rp_svc_tag_obj(ev->tag));
	struct rp_txq_ent *e;

	if (!c)
		return;
	if (ev->what == RP_TX_NOTIF) {
		c->notifs--;
		if (ev->buf_returned)
			rp_share_release(&c->rx.share);
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
	c->rx.starved = c->zrx.starved = false;
	conn_try_read(w, si, c);
}

static void tcp_arm(struct rp_worker *w, struct rp_svc_inst *si)
{
	struct tcp_echo *te = te_of(si);

	if (si->stopping)
		return;
	/* with an acceptor (services[].acceptor) connections come by MSG_RING */
	rp_conn_arm_accept(w, si, te->lfd, &te->accept_armed);
	each_conn(w, si, conn_rearm);
}

/* sockperf mode answers a message as soon as it is whole, often in pieces
 * (one send per receive buffer): like sockperf's own server, no Nagle, or
 * each piece's short tail would wait for the previous one's ACK. */
static int tcp_nodelay = 1;

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
	if (!rp_conn_admit(w, si, te->n_conns, 1, &te->refused_log)) {
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
	c->rx.slot = c->zrx.slot = slot;
	c->rx.obj = c->zrx.obj = rp_conn_obj(slot, te->next_gen++);
	c->zc = rp_zrx_enabled(w, si);
	c->active_ms = w->now_ms;
	rp_zc_sock_init(&c->zs, &w->cfg->zerocopy, si->cfg->zerocopy);
	rp_sp_framer_init(&c->fr);
	c->fr.pieces = true;
	te->conns[slot] = c;
	te->n_conns++;
	rp_events_conn(w, si, true, c->rx.obj);
	if (si->cfg->sockperf)
		conn_setsockopt(w, si, c, IPPROTO_TCP, TCP_NODELAY, &tcp_nodelay, sizeof(tcp_nodelay));
	conn_progress(w, si, c);
}

static void tcp_on_accept(struct rp_worker *w, struct rp_svc_inst *si, const struct io_uring_cqe *cqe)
{
	struct tcp_echo *te = te_of(si);
	int slot = rp_conn_accepted(si, cqe, &te->accept_armed);

	if (slot >= 0)
		tcp_new_conn(w, si, (uint32_t)slot);
	if (!te->accept_armed)
		tcp_arm(w, si);
}

static void tcp_on_close(struct rp_worker *w, struct rp_svc_inst *si, const struct io_uring_cqe *cqe)
{
	struct conn *c = conn_at(si, rp_conn_cqe_obj(cqe));

	if (cqe->res < 0)
		rp_warn("service %s: close of slot %u: %s", si->cfg->name,
			rp_conn_obj_slot(rp_conn_cqe_obj(cqe)), strerror(-cqe->res));
	rp_count(si->ctr, RP_C_CONNS_CLOSED, 1);
	rp_events_conn(w, si, false, rp_conn_cqe_obj(cqe));
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
	rp_conn_cancel_accept(w, si, te_of(si)->accept_armed);
	each_conn(w, si, conn_progress);
}

/* Takeover: the listener goes (its queue moves to the successor's); the
 * connections it served carry on. */
static void tcp_leave(struct rp_worker *w, struct rp_svc_inst *si)
{
	rp_conn_leave_listener(w, si, &te_of(si)->lfd, te_of(si)->accept_armed);
}

static bool tcp_left(struct rp_worker *w, struct rp_svc_inst *si)
{
	(void)w;
	return !te_of(si)->accept_armed;
}

/* Only reached with nothing outstanding; a connection left here is one the
 * loop never finished (it failed): give its buffers back all the same. */
static void conn_discard(struct rp_worker *w, struct rp_svc_inst *si, struct conn *c)
{
	c->sending = false;
	q_drop_unsent(w, c);
	conn_free(w, si, c);
}

/* Reset: RST, unsent replies dropped, the slot closed without waiting for
 * zerocopy notifications (they come once the close has freed the socket's
 * skbs; the generation in c->rx.obj keeps them from the slot's next owner). */
static void conn_rst(struct rp_worker *w, struct rp_svc_inst *si, struct conn *c)
{
	c->abort = c->reset = true;
	conn_setsockopt(w, si, c, SOL_SOCKET, SO_LINGER, &rp_linger_rst, sizeof(rp_linger_rst));
	/* the send a non-reading peer holds (and any receive) end -ECANCELED */
	if (c->sending || c->rx.armed || c->zrx.armed)
		rp_conn_cancel_all(w, si, c->rx.slot, c->rx.obj);
	conn_progress(w, si, c);
}

/* The drain timed out: reset what is left, and tally what it abandons. */
static void conn_reset(struct rp_worker *w, struct rp_svc_inst *si, struct conn *c)
{
	struct tcp_echo *te = te_of(si);

	if (c->close_sent || c->reset)
		return;
	te->n_reset++;
	te->bytes_abandoned += rp_txq_bytes(&c->q);
	conn_rst(w, si, c);
}

/* ---- timeouts (the worker's tick) ----------------------------------------- */

/* Idle: a plain close (FIN). Write stall (replies pending, none taken):
 * a reset. */
static void conn_check_timeouts(struct rp_worker *w, struct rp_svc_inst *si, struct conn *c)
{
	enum rp_conn_timeout t;

	if (c->timed_out || c->abort || c->close_sent)
		return;
	t = rp_conn_timeout_check(w, si, &(struct rp_conn_clock){
		.pending = c->q.len, .pending_since_ms = c->tx_since_ms,
		.quiet = !c->q.len && !c->sending, .active_ms = c->active_ms });
	c->timed_out = t != RP_CONN_IN_TIME;
	if (t == RP_CONN_STALLED) {
		rp_dbg("service %s: slot %u: peer took no reply for %u ms: reset", si->cfg->name,
		       c->rx.slot, si->cfg->write_stall_ms);
		conn_rst(w, si, c);
	} else if (t == RP_CONN_IDLE) {
		c->abort = true;
		conn_progress(w, si, c);
	}
}

static void tcp_tick(struct rp_worker *w, struct rp_svc_inst *si)
{
	each_conn(w, si, conn_check_timeouts);
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
	.tick_wanted_ms = rp_conn_tick_wanted_ms,
	.leave = tcp_leave,
	.left = tcp_left,
	.stop = tcp_stop,
	.abort = tcp_abort,
	.destroy = tcp_destroy,
};
