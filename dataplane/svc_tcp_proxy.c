/* SPDX-License-Identifier: MIT */
/*
 * tcp-proxy: every accepted client connection gets a backend connection,
 * opened on the same worker (IORING_OP_SOCKET straight into the fixed-file
 * table, then CONNECT with a linked timeout), and bytes are forwarded both
 * ways until both sides have finished. A client connection is accepted by
 * the worker's own SO_REUSEPORT listener, or (acceptor: true) by the
 * acceptor ring, which hands it to the worker its steering picks (adopt):
 * the pair then lives on that worker, backend connection included.
 *
 * A pair has two legs, the client's and the backend's socket. Each leg has
 * its own multishot receive and fair share (conn.h, share.h): the buffers a
 * leg received count against ITS share until the other leg has sent them,
 * so a slow receiver on one side stops only the sender on the other side,
 * and only that direction (TCP flow control then slows that sender).
 *
 * Forwarding: a leg's send queue holds the other leg's receive buffers in
 * arrival order. `forward: serialized`: one send per leg is in flight,
 * from the buffer itself (copy or zerocopy as the policy says), a short
 * send continues where it stopped. `forward: bundle` (proxy_forward.c):
 * the queue is mirrored into the leg's send buffer ring and bundle sends
 * take from it while more is queued.
 *
 * Half-close: a FIN (receive of 0 bytes) on one leg becomes a
 * shutdown(SHUT_WR) on the other leg once everything received before it
 * has been sent; the other direction keeps flowing. The pair closes when
 * both directions have been shut. A reset or error on either leg, a send
 * the peer refused, a write stall and the drain timeout reset both legs
 * (SO_LINGER 0: RST, unsent data dropped, buffers back at once).
 *
 * The backend side (address read, socket, connect, retries) is
 * proxy_backend.c; the types both files share are proxy.h. With
 * rx-zerocopy, the client leg on the worker of the zcrx queue receives by
 * RECV_ZC and is forwarded from the zcrx area (proxy_zcrx.c).
 *
 * user_data names a leg by its slot and generation (conn.h); the SOCKET
 * step names the client leg, since the backend has no slot yet.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dataplane/events.h"
#include "dataplane/proxy.h"
#include "dataplane/worker.h"

/* TCP_NODELAY on: the kernel reads it when the SQE is issued, so it must
 * outlive the call that queues it. */
static int one = 1;

static struct leg *other(struct leg *l)
{
	return l == &l->pc->leg[CLI] ? &l->pc->leg[BE] : &l->pc->leg[CLI];
}

static struct leg *leg_at(struct rp_svc_inst *si, uint64_t obj)
{
	struct tcp_proxy *tp = proxy_of(si);
	uint32_t slot = rp_conn_obj_slot(obj);
	struct leg *l = slot < tp->n_slots ? tp->legs[slot] : NULL;

	return l && l->rx.obj == (uint32_t)obj ? l : NULL;
}

void proxy_count_backend(struct rp_worker *w, struct rp_svc_inst *si, const struct pconn *pc,
			 enum rp_counter k, uint64_t n)
{
	if (pc->backend >= 0)
		rp_count(&w->ctr[proxy_of(si)->be_block0 + si->cfg->backends[pc->backend].slot], k, n);
}

struct leg *proxy_leg_of(struct rp_svc_inst *si, const struct io_uring_cqe *cqe)
{
	return leg_at(si, rp_conn_cqe_obj(cqe));
}

/* ---- legs and pairs -------------------------------------------------------- */

/* A slot of ours becomes leg l. false: the table has it already (a bug). */
bool proxy_leg_bind(struct rp_svc_inst *si, struct leg *l, uint32_t slot)
{
	struct tcp_proxy *tp = proxy_of(si);

	if (slot >= tp->n_slots || tp->legs[slot])
		return false;
	l->rx.slot = slot;
	l->rx.obj = rp_conn_obj(slot, tp->next_gen++);
	l->open = true;
	tp->legs[slot] = l;
	return true;
}

void proxy_leg_unbind(struct rp_svc_inst *si, struct leg *l)
{
	struct tcp_proxy *tp = proxy_of(si);

	if (l->open && tp->legs[l->rx.slot] == l)
		tp->legs[l->rx.slot] = NULL;
	l->open = false;
}

void proxy_leg_nodelay(struct rp_worker *w, struct rp_svc_inst *si, struct leg *l)
{
	if (si->cfg->nodelay)
		rp_conn_setsockopt(w, si, l->rx.slot, l->rx.obj, IPPROTO_TCP, TCP_NODELAY,
				   &one, sizeof(one));
}

static struct pconn *pc_new(struct rp_worker *w, struct rp_svc_inst *si)
{
	struct tcp_proxy *tp = proxy_of(si);
	struct pconn *pc = calloc(1, sizeof(*pc));

	if (!pc)
		return NULL;
	for (unsigned i = 0; i < 2; i++) {
		pc->leg[i].pc = pc;
		rp_zc_sock_init(&pc->leg[i].zs, &w->cfg->zerocopy, si->cfg->zerocopy);
	}
	pc->backend = -1;
	pc->active_ms = w->now_ms;
	pc->next = tp->pairs;
	if (tp->pairs)
		tp->pairs->prev = pc;
	tp->pairs = pc;
	tp->n_pairs++;
	return pc;
}

/* The time the pair's legs were not read (throttled_ms), on its backend's
 * row too: what is new since the last call. */
static void pc_count_throttled(struct rp_worker *w, struct rp_svc_inst *si, struct pconn *pc)
{
	uint64_t t = pc->leg[CLI].rx.share.throttled_ms + pc->leg[BE].rx.share.throttled_ms;

	proxy_count_backend(w, si, pc, RP_C_THROTTLED_MS, t - pc->throttled_ms_counted);
	pc->throttled_ms_counted = t;
}

static void pc_free(struct rp_worker *w, struct rp_svc_inst *si, struct pconn *pc)
{
	struct tcp_proxy *tp = proxy_of(si);

	for (unsigned i = 0; i < 2; i++) {
		proxy_leg_unbind(si, &pc->leg[i]);
		rp_share_end(&w->fair, &pc->leg[i].rx.share, w->now_ms, si->ctr);
		rp_txq_free(&pc->leg[i].q);
		proxy_fwd_close(w, &pc->leg[i]);
		rp_worker_conn_closed(w);	/* admitted as two slots */
	}
	pc_count_throttled(w, si, pc);
	if (pc->balanced) {
		rp_balance_closed(&tp->bal, (unsigned)pc->backend);
		proxy_count_backend(w, si, pc, RP_C_CONNS_CLOSED, 1);
	}
	if (pc->prev)
		pc->prev->next = pc->next;
	else
		tp->pairs = pc->next;
	if (pc->next)
		pc->next->prev = pc->prev;
	tp->n_pairs--;
	free(pc);
}

typedef void (*pc_fn)(struct rp_worker *w, struct rp_svc_inst *si, struct pconn *pc);

/* Every pair once; fn may free the one it is given. */
static void each_pair(struct rp_worker *w, struct rp_svc_inst *si, pc_fn fn)
{
	struct pconn *pc = proxy_of(si)->pairs, *next;

	for (; pc; pc = next) {
		next = pc->next;
		fn(w, si, pc);
	}
}

/* ---- the send queues --------------------------------------------------------- */

/* A buffer leg l held for sending is done with: it counted against the
 * other leg's share (which received it) until the pool has it back. */
static void leg_put_buf(struct rp_worker *w, struct leg *l, unsigned bid)
{
	rp_buf_put(&w->pool, bid);
	if (w->pool.bufs[bid].state == RP_BUF_FREE)
		rp_share_release(&other(l)->rx.share);
}

/* A queue entry leaves leg l: a pool buffer, or a piece of the zcrx area. */
static void leg_release(struct rp_worker *w, struct leg *l, const struct rp_txq_ent *e)
{
	if (e->zc)
		proxy_zc_release(w, l, e);
	else
		leg_put_buf(w, l, e->bid);
}

static void leg_pop(struct rp_worker *w, struct leg *l)
{
	leg_release(w, l, rp_txq_at(&l->q, 0));
	rp_txq_pop(&l->q);
}

/* Drop what was not sent yet (what a send in flight may read stays). */
static void leg_drop_unsent(struct rp_worker *w, struct leg *l)
{
	unsigned keep = proxy_fwd_in_flight(l);

	while (l->q.len > keep) {
		leg_release(w, l, rp_txq_at(&l->q, l->q.len - 1));
		l->q.len--;
	}
	if (l->sr.n_pub > l->q.len)
		l->sr.n_pub = l->q.len;	/* no send reads the ring again */
}

/* Data leg `from` received goes out on the other leg, in order. */
static void leg_forward(struct rp_worker *w, struct leg *from, unsigned bid, unsigned len)
{
	struct leg *to = other(from);

	from->pc->active_ms = w->now_ms;
	if (!len || from->pc->abort || to->shut_sent) {
		leg_put_buf(w, to, bid);
		return;
	}
	if (!to->q.len)
		to->tx_since_ms = w->now_ms;
	if (rp_txq_push(&to->q, (struct rp_txq_ent){ .bid = bid, .len = len })) {
		leg_put_buf(w, to, bid);
		from->pc->abort = true;
	}
}

static void leg_send_head(struct rp_worker *w, struct rp_svc_inst *si, struct leg *l)
{
	struct rp_txq_ent *e = rp_txq_at(&l->q, 0);
	struct rp_tx tx = w->tx;
	struct rp_tx_req req = { .fd = (int)l->rx.slot, .flags = RP_TX_FIXED_FILE, .bid = e->bid,
				 .off = e->off, .len = e->len, .tag = rp_svc_tag(si->idx, l->rx.obj) };

	tx.ctr = si->ctr;
	if (e->zc ? proxy_zc_send(w, &tx, l, e, &req) : rp_tx_send(&tx, &l->zs, &req)) {
		l->pc->abort = true;
		return;
	}
	l->sending = true;
}

/* The FIN the other leg got, passed on once everything before it is sent. */
static void leg_shutdown(struct rp_worker *w, struct rp_svc_inst *si, struct leg *l)
{
	struct io_uring_sqe *sqe = rp_worker_sqe(w);

	if (!sqe) {
		l->pc->abort = true;
		return;
	}
	io_uring_prep_shutdown(sqe, (int)l->rx.slot, SHUT_WR);
	sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data64(sqe, rp_svc_ud(RP_OP_SHUTDOWN, si->idx, l->rx.obj));
	l->shut_sent = l->shut_pending = true;
}

/* ---- progress ------------------------------------------------------------------ */

/* Both directions shut: the pair is done. */
static bool pc_finished(const struct pconn *pc)
{
	return pc->leg[CLI].shut_sent && !pc->leg[CLI].shut_pending &&
	       pc->leg[BE].shut_sent && !pc->leg[BE].shut_pending;
}

static bool leg_may_read(const struct rp_svc_inst *si, const struct leg *l)
{
	return l->pc->state == PC_UP && !l->rd_eof && !l->pc->abort && !si->stopping;
}

/* Send, pass a FIN on, read or stop reading: one leg's side of things. */
static void leg_step(struct rp_worker *w, struct rp_svc_inst *si, struct leg *l)
{
	struct pconn *pc = l->pc;

	if (!l->open)
		return;
	if (pc->abort)
		leg_drop_unsent(w, l);
	if (proxy_fwd_bundled(w, si, l)) {
		if (!pc->abort)
			proxy_fwd_push(w, si, l);
	} else if (!l->sending && l->q.len) {
		leg_send_head(w, si, l);
	}
	if (other(l)->rd_eof && !l->q.len && !l->sending && !l->shut_sent && !pc->abort)
		leg_shutdown(w, si, l);
	/* forward: bundle receives in bundles too (kernel 6.10+) */
	l->rx.bundle = proxy_fwd_rx_bundle(w, si);
	if (pc->state == PC_UP && !proxy_rx_step(w, si, l, leg_may_read(si, l)))
		pc->abort = true;
	if (pc->abort || si->stopping)
		proxy_rx_cancel(w, si, l);
}

static bool leg_idle(const struct leg *l)
{
	return !l->rx.armed && !l->zrx.armed && !l->sending && !l->q.len && !l->shut_pending &&
	       (!l->notifs || l->pc->reset);
}

/* Close a leg once nothing of it is outstanding (a reset one without
 * waiting for its zerocopy notifications: they come once the close has
 * freed the socket's skbs; the generation keeps them from the slot's next
 * owner). */
static void leg_try_close(struct rp_worker *w, struct rp_svc_inst *si, struct leg *l)
{
	/* an address read, SOCKET or CONNECT names the pair by its legs until
	 * it completes (a connect is cancelled by whoever ends the pair) */
	if (!l->open || l->close_sent || !leg_idle(l) || l->pc->op_pending)
		return;
	l->close_sent = rp_conn_close(w, si, l->rx.slot, l->rx.obj);
}

/* The one place that moves a pair on, after any event. */
void proxy_progress(struct rp_worker *w, struct rp_svc_inst *si, struct pconn *pc)
{
	bool ending;

	leg_step(w, si, &pc->leg[CLI]);
	leg_step(w, si, &pc->leg[BE]);
	ending = pc->abort || si->stopping || pc_finished(pc);
	if (ending) {
		leg_try_close(w, si, &pc->leg[CLI]);
		leg_try_close(w, si, &pc->leg[BE]);
	}
	if (ending && !pc->leg[CLI].open && !pc->leg[BE].open && !pc->op_pending)
		pc_free(w, si, pc);
}

/* RST both legs: unsent data dropped, everything outstanding cancelled. */
static void pc_reset(struct rp_worker *w, struct rp_svc_inst *si, struct pconn *pc)
{
	pc->abort = pc->reset = true;
	for (unsigned i = 0; i < 2; i++) {
		struct leg *l = &pc->leg[i];

		if (!l->open || l->close_sent)
			continue;
		rp_conn_setsockopt(w, si, l->rx.slot, l->rx.obj, SOL_SOCKET, SO_LINGER,
				   &rp_linger_rst, sizeof(rp_linger_rst));
		rp_conn_cancel_all(w, si, l->rx.slot, l->rx.obj);
	}
	proxy_progress(w, si, pc);
}
/* ---- receive, send, shutdown, close ----------------------------------------------------- */

/* A receive completion: its buffers (several with a receive bundle) go
 * to the other leg's queue in order. */
static void proxy_on_recv(struct rp_worker *w, struct rp_svc_inst *si,
			  const struct io_uring_cqe *cqe)
{
	struct leg *l = proxy_leg_of(si, cqe);
	struct rp_rx_bufs b;
	unsigned bid, len;
	int res = cqe->res;

	if (!l)
		return;
	if (l->zc) {	/* RECV_ZC (proxy_zcrx.c) */
		if (proxy_zc_on_recv(w, si, l, cqe))
			pc_reset(w, si, l->pc);
		else
			proxy_progress(w, si, l->pc);
		return;
	}
	rp_rx_complete_bufs(w, si, &l->rx, cqe, &b);
	if (res > 0)
		proxy_zc_count_fallback(si, l, (unsigned)res);
	while (rp_rx_bufs_next(&w->pool, &b, &bid, &len))
		leg_forward(w, l, bid, len);
	if (b.bad)
		res = -EIO;	/* bytes lost: the stream cannot go on */
	if (res == 0) {
		l->rd_eof = true;
	} else if (res < 0 && rp_rx_failed(w, si, &l->rx, res)) {
		if (l == &l->pc->leg[BE])
			proxy_count_backend(w, si, l->pc, RP_C_ERR_CONN_RESET, 1);
		pc_reset(w, si, l->pc);	/* passes the reset on to the other side */
		return;
	}
	proxy_progress(w, si, l->pc);
}

void proxy_leg_sent(struct rp_worker *w, struct rp_svc_inst *si, struct leg *l, unsigned n)
{
	struct rp_txq_ent *e = rp_txq_at(&l->q, 0);
	uint64_t res = n;

	e->off += n;
	e->len -= n;
	l->pc->active_ms = l->tx_since_ms = w->now_ms;
	rp_count(si->ctr, l == &l->pc->leg[BE] ? RP_C_UP_BYTES : RP_C_DOWN_BYTES, res);
	proxy_count_backend(w, si, l->pc, l == &l->pc->leg[BE] ? RP_C_UP_BYTES : RP_C_DOWN_BYTES,
			    res);
	if (!e->len)
		leg_pop(w, l);
}

/* A send failed (-EPIPE/-ECONNRESET: that side is gone; 0: it takes
 * nothing more): both sides are reset, unless this is our own cancel. */
void proxy_leg_tx_failed(struct rp_worker *w, struct rp_svc_inst *si, struct leg *l, int res)
{
	if (res == -EPIPE || res == -ECONNRESET)
		rp_count(si->ctr, RP_C_ERR_CONN_RESET, 1);
	if ((res == -EPIPE || res == -ECONNRESET) && l == &l->pc->leg[BE])
		proxy_count_backend(w, si, l->pc, RP_C_ERR_CONN_RESET, 1);
	if (l->q.len && !proxy_fwd_in_flight(l))
		leg_pop(w, l);	/* the buffer the failed send had */
	if (l->pc->reset)
		proxy_progress(w, si, l->pc);
	else
		pc_reset(w, si, l->pc);
}

static void proxy_on_tx(struct rp_worker *w, struct rp_svc_inst *si, const struct rp_tx_event *ev)
{
	struct leg *l = leg_at(si, rp_svc_tag_obj(ev->tag));

	proxy_zc_tx_done(w, ev);	/* a send from the zcrx area: its page's pin */
	if (!l)
		return;
	if (ev->what == RP_TX_NOTIF) {
		l->notifs--;
		if (ev->buf_returned)
			rp_share_release(&other(l)->rx.share);
		proxy_progress(w, si, l->pc);
		return;
	}
	l->sending = false;
	l->notifs += ev->notif_follows;
	if (ev->res <= 0) {
		proxy_leg_tx_failed(w, si, l, ev->res);
		return;
	}
	proxy_leg_sent(w, si, l, (unsigned)ev->res);
	proxy_progress(w, si, l->pc);
}

static void proxy_on_shutdown(struct rp_worker *w, struct rp_svc_inst *si,
			      const struct io_uring_cqe *cqe)
{
	struct leg *l = proxy_leg_of(si, cqe);

	if (!l)
		return;
	l->shut_pending = false;
	if (cqe->res >= 0)
		rp_count(si->ctr, RP_C_HALF_CLOSES, 1);
	else if (cqe->res != -ENOTCONN)
		rp_dbg("service %s: shutdown of slot %u: %s", si->cfg->name, l->rx.slot,
		       strerror(-cqe->res));
	proxy_progress(w, si, l->pc);
}

static void proxy_on_close(struct rp_worker *w, struct rp_svc_inst *si,
			   const struct io_uring_cqe *cqe)
{
	struct leg *l = proxy_leg_of(si, cqe);

	if (cqe->res < 0)
		rp_warn("service %s: close of slot %u: %s", si->cfg->name,
			rp_conn_obj_slot(rp_conn_cqe_obj(cqe)), strerror(-cqe->res));
	if (!l)
		return;
	if (l == &l->pc->leg[CLI]) {
		rp_count(si->ctr, RP_C_CONNS_CLOSED, 1);
		rp_events_conn(w, si, false, l->rx.obj);
	}
	proxy_fwd_close(w, l);	/* its group id is its slot's, which is free now */
	proxy_leg_unbind(si, l);
	proxy_progress(w, si, l->pc);
}

static struct rp_zc_sock *proxy_zc_sock(struct rp_svc_inst *si, uint64_t object)
{
	struct leg *l = leg_at(si, object);

	return l ? &l->zs : NULL;
}

/* ---- accept ------------------------------------------------------------------------------ */
static void proxy_new_conn(struct rp_worker *w, struct rp_svc_inst *si, uint32_t slot)
{
	struct tcp_proxy *tp = proxy_of(si);
	struct pconn *pc;

	if (slot >= tp->n_slots || tp->legs[slot]) {
		rp_err("service %s: accepted into slot %u, which is %s", si->cfg->name, slot,
		       slot >= tp->n_slots ? "outside the table: closed" : "taken");
		rp_count(si->ctr, RP_C_ERR_ACCEPT, 1);
		if (slot >= tp->n_slots)	/* closing a taken one would close its owner */
			rp_worker_close_slot(w, slot);
		return;
	}
	/* two slots per pair: the client's and its backend's */
	if (!rp_conn_admit(w, si, tp->n_pairs, 2, &tp->refused_log)) {
		rp_worker_close_slot(w, slot);
		return;
	}
	pc = pc_new(w, si);
	if (!pc) {
		rp_err("service %s: out of memory for a connection: closed", si->cfg->name);
		rp_worker_conn_closed(w);
		rp_worker_conn_closed(w);
		rp_worker_close_slot(w, slot);
		return;
	}
	proxy_leg_bind(si, &pc->leg[CLI], slot);
	proxy_zc_leg_init(w, si, &pc->leg[CLI]);
	rp_count(si->ctr, RP_C_CONNS_ACCEPTED, 1);
	rp_events_conn(w, si, true, pc->leg[CLI].rx.obj);
	proxy_leg_nodelay(w, si, &pc->leg[CLI]);
	if (tp->want_addrs)
		proxy_read_peer(w, si, pc);
	else
		proxy_connect_next(w, si, pc);
	proxy_progress(w, si, pc);
}

/* After pool starvation or pressure: legs whose receive stopped read again,
 * if their share allows. */
static void pc_rearm(struct rp_worker *w, struct rp_svc_inst *si, struct pconn *pc)
{
	pc->leg[CLI].rx.starved = pc->leg[BE].rx.starved = pc->leg[CLI].zrx.starved = false;
	proxy_progress(w, si, pc);
}

static void proxy_arm(struct rp_worker *w, struct rp_svc_inst *si)
{
	struct tcp_proxy *tp = proxy_of(si);

	if (si->stopping)
		return;
	rp_conn_arm_accept(w, si, tp->lfd, &tp->accept_armed);
	each_pair(w, si, pc_rearm);
}

static void proxy_on_accept(struct rp_worker *w, struct rp_svc_inst *si,
			    const struct io_uring_cqe *cqe)
{
	struct tcp_proxy *tp = proxy_of(si);
	int slot = rp_conn_accepted(si, cqe, &tp->accept_armed);

	if (slot >= 0)
		proxy_new_conn(w, si, (uint32_t)slot);
	if (!tp->accept_armed)
		proxy_arm(w, si);
}

/* ---- timeouts ----------------------------------------------------------------------------- */

/* The oldest data waiting on either leg, and whether both are quiet. */
static struct rp_conn_clock pc_clock(const struct pconn *pc)
{
	struct rp_conn_clock k = { .quiet = pc->state == PC_UP, .active_ms = pc->active_ms };

	for (unsigned i = 0; i < 2; i++) {
		const struct leg *l = &pc->leg[i];

		k.quiet &= !l->q.len && !l->sending;
		if (l->q.len && (!k.pending || l->tx_since_ms < k.pending_since_ms)) {
			k.pending = true;
			k.pending_since_ms = l->tx_since_ms;
		}
	}
	return k;
}

/* Write stall (one side has taken nothing of what waits for it): both
 * legs reset. Idle (nothing either way): both closed. */
static void pc_check_timeouts(struct rp_worker *w, struct rp_svc_inst *si, struct pconn *pc)
{
	struct rp_conn_clock k;
	enum rp_conn_timeout t;

	pc_count_throttled(w, si, pc);
	if (pc->timed_out || pc->abort)
		return;
	k = pc_clock(pc);
	t = rp_conn_timeout_check(w, si, &k);
	pc->timed_out = t != RP_CONN_IN_TIME;
	if (t != RP_CONN_IN_TIME)	/* on the backend's row too */
		proxy_count_backend(w, si, pc, t == RP_CONN_STALLED ? RP_C_WRITE_STALLS :
					       RP_C_IDLE_TIMEOUTS, 1);
	if (t == RP_CONN_STALLED) {
		pc_reset(w, si, pc);
	} else if (t == RP_CONN_IDLE) {
		pc->abort = true;
		proxy_progress(w, si, pc);
	}
}

static void proxy_tick(struct rp_worker *w, struct rp_svc_inst *si)
{
	each_pair(w, si, pc_check_timeouts);
	rp_health_tick(w, si, &proxy_of(si)->health);
}

/* The connections' timeouts and the health checks' interval. */
static unsigned proxy_tick_wanted_ms(const struct rp_service_cfg *cfg)
{
	unsigned c = rp_conn_tick_wanted_ms(cfg), h = rp_health_tick_wanted_ms(cfg);

	return !c || (h && h < c) ? h : c;
}

/* ---- open / stop / abort / destroy ----------------------------------------------------------- */

static int proxy_open(struct rp_worker *w, struct rp_svc_inst *si)
{
	struct tcp_proxy *tp = calloc(1, sizeof(*tp));
	int ret = -ENOMEM;

	if (!tp || !(tp->legs = calloc(w->n_files, sizeof(*tp->legs))) ||
	    rp_balancer_init(&tp->bal, si->cfg))
		goto fail;
	tp->n_slots = w->n_files;
	tp->be_block0 = rp_svc_backend_block(w->cfg, si->idx, 0);
	tp->want_addrs = proxy_wants_addrs(si->cfg);
	tp->pp_any = proxy_any_pp(si->cfg);
	if (rp_health_init(&tp->health, w, si, tp->be_block0))
		goto fail;
	/* with an acceptor (services[].acceptor) pairs come by MSG_RING: adopt */
	tp->lfd = si->cfg->acceptor ? -1 : rp_svc_socket(si);
	if (tp->lfd < 0 && !si->cfg->acceptor) {
		ret = tp->lfd;
		goto fail;
	}
	si->priv = tp;
	return 0;
fail:
	if (tp) {
		rp_health_free(&tp->health);
		rp_balancer_free(&tp->bal);
		free(tp->legs);
	}
	free(tp);
	return ret;
}

static void pc_stop(struct rp_worker *w, struct rp_svc_inst *si, struct pconn *pc)
{
	if (pc->state != PC_UP)
		pc->abort = true;	/* a client not yet served: closed */
	if (pc->op_pending && pc->leg[BE].open)
		rp_conn_cancel_all(w, si, pc->leg[BE].rx.slot, pc->leg[BE].rx.obj);
	proxy_progress(w, si, pc);
}

static void proxy_stop(struct rp_worker *w, struct rp_svc_inst *si)
{
	rp_conn_cancel_accept(w, si, proxy_of(si)->accept_armed);
	rp_health_stop(w, si, &proxy_of(si)->health);
	each_pair(w, si, pc_stop);
}

/* Takeover: the listener goes (its queue moves to the successor's); the
 * pairs it served carry on. */
static void proxy_leave(struct rp_worker *w, struct rp_svc_inst *si)
{
	rp_conn_leave_listener(w, si, &proxy_of(si)->lfd, proxy_of(si)->accept_armed);
}

static bool proxy_left(struct rp_worker *w, struct rp_svc_inst *si)
{
	(void)w;
	return !proxy_of(si)->accept_armed;
}

static void pc_abandon(struct rp_worker *w, struct rp_svc_inst *si, struct pconn *pc)
{
	struct tcp_proxy *tp = proxy_of(si);

	if (pc->reset)
		return;
	tp->n_reset++;
	tp->bytes_abandoned += rp_txq_bytes(&pc->leg[CLI].q) + rp_txq_bytes(&pc->leg[BE].q);
	pc_reset(w, si, pc);
}

static void proxy_abort(struct rp_worker *w, struct rp_svc_inst *si)
{
	struct tcp_proxy *tp = proxy_of(si);

	each_pair(w, si, pc_abandon);
	rp_warn("service %s: drain timeout: reset %u connection pairs, abandoning %llu bytes "
		"they had not taken; %u pairs still open", si->cfg->name, tp->n_reset,
		(unsigned long long)tp->bytes_abandoned, tp->n_pairs);
}

/* Only reached with nothing outstanding; a pair left here is one the loop
 * never finished (it failed): give its buffers back all the same. */
static void pc_discard(struct rp_worker *w, struct rp_svc_inst *si, struct pconn *pc)
{
	for (unsigned i = 0; i < 2; i++) {
		pc->leg[i].sending = false;
		leg_drop_unsent(w, &pc->leg[i]);
	}
	pc_free(w, si, pc);
}

static void proxy_destroy(struct rp_worker *w, struct rp_svc_inst *si)
{
	struct tcp_proxy *tp = proxy_of(si);

	each_pair(w, si, pc_discard);
	if (tp->lfd >= 0)
		close(tp->lfd);
	rp_health_free(&tp->health);
	rp_balancer_free(&tp->bal);
	free(tp->legs);
	free(tp);
	si->priv = NULL;
}

const struct rp_svc_ops rp_svc_tcp_proxy = {
	.name = "tcp-proxy",
	.open = proxy_open,
	.arm = proxy_arm,
	.on_accept = proxy_on_accept,
	.adopt = proxy_new_conn,
	.on_recv = proxy_on_recv,
	.on_close = proxy_on_close,
	.on_socket = proxy_on_socket,
	.on_connect = proxy_on_connect,
	.on_shutdown = proxy_on_shutdown,
	.on_probe = proxy_on_probe,
	.on_tx = proxy_on_tx,
	.on_bundle = proxy_on_bundle,
	.zc_sock = proxy_zc_sock,
	.tick = proxy_tick,
	.tick_wanted_ms = proxy_tick_wanted_ms,
	.leave = proxy_leave,
	.left = proxy_left,
	.reload = proxy_reload,
	.stop = proxy_stop,
	.abort = proxy_abort,
	.destroy = proxy_destroy,
};
