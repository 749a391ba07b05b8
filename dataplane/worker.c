/* SPDX-License-Identifier: MIT */
/*
 * A worker thread: its ring, its pool, its services, and the completion loop
 * that dispatches every CQE through one table indexed by enum rp_op.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "dataplane/acceptor.h"
#include "dataplane/events.h"
#include "dataplane/log.h"
#include "dataplane/napi.h"
#include "dataplane/proxy_health.h"
#include "dataplane/reload.h"
#include "dataplane/relay.h"
#include "dataplane/worker.h"

typedef void (*rp_cqe_fn)(struct rp_worker *w, const struct io_uring_cqe *cqe);

/* ---- helpers for services ------------------------------------------------ */

struct io_uring_sqe *rp_worker_sqe(struct rp_worker *w)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&w->ring);

	if (!sqe) {
		io_uring_submit(&w->ring);
		sqe = io_uring_get_sqe(&w->ring);
	}
	if (!sqe) {
		rp_err("worker %u: no free SQE even after submitting", w->id);
		return NULL;
	}
	w->pending++;
	return sqe;
}

struct rp_svc_inst *rp_worker_svc(struct rp_worker *w, uint64_t ud_data)
{
	unsigned idx = rp_svc_tag_idx(rp_tx_ud_tag(ud_data));

	return idx < w->n_svc ? &w->svc[idx] : NULL;
}

/* arm() is idempotent: a service re-arms only what it had stopped (its
 * starved receive, connections whose share let them be read again). */
void rp_worker_rearm(struct rp_worker *w)
{
	rp_bufpool_rearmed(&w->pool);
	for (unsigned i = 0; i < w->n_svc; i++) {
		struct rp_svc_inst *si = &w->svc[i];

		if (!si->stopping) {
			si->starved = false;
			si->ops->arm(w, si);
		}
	}
}

bool rp_worker_conn_open(struct rp_worker *w)
{
	if (w->n_conns >= w->max_conns)
		return false;
	w->n_conns++;
	return true;
}

void rp_worker_conn_closed(struct rp_worker *w)
{
	if (w->n_conns)
		w->n_conns--;
}

/* ---- the tick: one timeout, re-armed, drives every service's timeouts ---- */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The slowest tick that keeps every service's timeouts within a quarter of
 * their length; none if nothing is timed. */
static unsigned tick_period_ms(const struct rp_worker *w)
{
	unsigned ms = 0;

	for (unsigned i = 0; i < w->n_svc; i++) {
		const struct rp_svc_ops *ops = w->svc[i].ops;
		unsigned want = ops->tick_wanted_ms ? ops->tick_wanted_ms(w->svc[i].cfg) : 0;

		if (want && (!ms || want < ms))
			ms = want;
	}
	if (ms && ms < 10)
		ms = 10;
	return ms > 1000 ? 1000 : ms;
}

static void arm_tick(struct rp_worker *w)
{
	struct io_uring_sqe *sqe;

	if (!w->tick_ms || w->tick_armed || w->stop_requested || !(sqe = rp_worker_sqe(w)))
		return;
	w->tick_ts = (struct __kernel_timespec){ .tv_sec = w->tick_ms / 1000,
					      .tv_nsec = (long long)(w->tick_ms % 1000) * 1000000 };
	/* One-shot, re-armed by on_tick: a multishot timeout is off the
	 * kernel's timeout list between its expiry and the task work that
	 * re-arms it, so a remove landing there finds nothing (-ENOENT) and
	 * the timeout then lives on, holding the drain open for ever. A
	 * one-shot one always ends: removed, or fired and not re-armed.
	 * tick_ts is read when the SQE is submitted (io_timeout_prep). */
	io_uring_prep_timeout(sqe, &w->tick_ts, 0, 0);
	io_uring_sqe_set_data64(sqe, rp_ud(RP_OP_TIMEOUT, 0));
	w->tick_armed = true;
}

static void cancel_tick(struct rp_worker *w)
{
	struct io_uring_sqe *sqe;

	if (!w->tick_armed || !(sqe = rp_worker_sqe(w)))
		return;
	io_uring_prep_timeout_remove(sqe, rp_ud(RP_OP_TIMEOUT, 0), 0);
	io_uring_sqe_set_data64(sqe, rp_ud(RP_OP_CANCEL, 0));
}

static void on_tick(struct rp_worker *w, const struct io_uring_cqe *cqe)
{
	w->tick_armed = false;
	if (cqe->res != -ETIME && cqe->res != -ECANCELED && cqe->res < 0)
		rp_warn("worker %u: tick timeout: %s", w->id, strerror(-cqe->res));
	if (w->stop_requested)
		return;
	for (unsigned i = 0; i < w->n_svc; i++)
		if (w->svc[i].ops->tick && !w->svc[i].stopping)
			w->svc[i].ops->tick(w, &w->svc[i]);
	arm_tick(w);
}

/* ---- the dispatch table -------------------------------------------------- */

static void on_ignored(struct rp_worker *w, const struct io_uring_cqe *cqe)
{
	(void)w;
	(void)cqe;
}

static void on_msg(struct rp_worker *w, const struct io_uring_cqe *cqe)
{
	int ret = rp_msg_dispatch(&w->msg, w, cqe);

	if (ret < 0)
		rp_warn("worker %u: MSG_RING message type %s: %s", w->id,
			rp_msg_type_name(rp_msg_ud_type(cqe->user_data)), strerror(-ret));
}

static struct rp_svc_inst *cqe_svc(struct rp_worker *w, const struct io_uring_cqe *cqe)
{
	struct rp_svc_inst *si = rp_worker_svc(w, rp_ud_data(cqe->user_data));

	if (!si)
		rp_warn("worker %u: CQE for unknown service (user_data 0x%llx, res %d)", w->id,
			(unsigned long long)cqe->user_data, cqe->res);
	return si;
}

/* Which service handler an op goes to. */
static rp_svc_cqe_fn svc_handler(const struct rp_svc_ops *ops, enum rp_op op)
{
	switch (op) {
	case RP_OP_ACCEPT: return ops->on_accept;
	case RP_OP_RECV:   return ops->on_recv;
	case RP_OP_CLOSE:  return ops->on_close;
	case RP_OP_SEND_GSO: return ops->on_gso;
	case RP_OP_SOCKET: return ops->on_socket;
	case RP_OP_CONNECT: return ops->on_connect;
	case RP_OP_SHUTDOWN: return ops->on_shutdown;
	case RP_OP_SEND_BUNDLE: return ops->on_bundle;
	case RP_OP_PROBE:  return ops->on_probe;
	default:           return NULL;
	}
}

static void on_svc_cqe(struct rp_worker *w, const struct io_uring_cqe *cqe)
{
	struct rp_svc_inst *si = cqe_svc(w, cqe);
	rp_svc_cqe_fn fn = si ? svc_handler(si->ops, rp_ud_op(cqe->user_data)) : NULL;

	if (fn)
		fn(w, si, cqe);
}

static void on_tx(struct rp_worker *w, const struct io_uring_cqe *cqe)
{
	struct rp_svc_inst *si = cqe_svc(w, cqe);
	uint64_t tag = rp_tx_ud_tag(rp_ud_data(cqe->user_data));
	struct rp_tx tx = w->tx;
	struct rp_tx_event ev;

	if (!si)
		return;
	tx.ctr = si->ctr;	/* traffic counts per service */
	rp_tx_complete(&tx, si->ops->zc_sock(si, rp_svc_tag_obj(tag)), cqe, &ev);
	if (si->ops->on_tx)
		si->ops->on_tx(w, si, &ev);
}

/* Cancels and closes of our own: a failure is worth a line, nothing else. */
static void on_cancel(struct rp_worker *w, const struct io_uring_cqe *cqe)
{
	if (cqe->res < 0 && cqe->res != -ENOENT && cqe->res != -EALREADY)
		rp_dbg("worker %u: cancel: %s", w->id, strerror(-cqe->res));
}

static const rp_cqe_fn cqe_handlers[RP_OP__COUNT] = {
	[RP_OP_NONE]     = on_ignored,
	[RP_OP_MSG]      = on_msg,
	[RP_OP_ACCEPT]   = on_svc_cqe,
	[RP_OP_RECV]     = on_svc_cqe,
	[RP_OP_SEND]     = on_tx,
	[RP_OP_SEND_ZC]  = on_tx,
	[RP_OP_SEND_GSO] = on_svc_cqe,
	[RP_OP_CLOSE]    = on_svc_cqe,
	[RP_OP_CANCEL]   = on_cancel,
	[RP_OP_TIMEOUT]  = on_tick,
	[RP_OP_SOCK_CMD] = on_ignored,
	[RP_OP_SOCKET]   = on_svc_cqe,
	[RP_OP_CONNECT]  = on_svc_cqe,
	[RP_OP_SHUTDOWN] = on_svc_cqe,
	[RP_OP_SEND_BUNDLE] = on_svc_cqe,
	[RP_OP_PROBE]    = on_svc_cqe,
};

/* Completions of SQEs someone on this ring submitted through rp_worker_sqe()
 * or rp_tx_send(); MSG_RING traffic is msg.c's to account. */
static bool counted(enum rp_op op)
{
	return op != RP_OP_MSG && op != RP_OP_NONE;
}

static void dispatch(struct rp_worker *w, const struct io_uring_cqe *cqe)
{
	enum rp_op op = rp_ud_op(cqe->user_data);

	if ((unsigned)op >= RP_OP__COUNT || !cqe_handlers[op]) {
		rp_warn("worker %u: CQE with unknown op %u (user_data 0x%llx, res %d)", w->id,
			(unsigned)op, (unsigned long long)cqe->user_data, cqe->res);
		return;
	}
	if (counted(op) && !(cqe->flags & IORING_CQE_F_MORE))
		w->pending--;
	cqe_handlers[op](w, cqe);
}

/* ---- stop ---------------------------------------------------------------- */

static void reset_services(struct rp_worker *w)
{
	if (w->reset_requested)
		return;
	w->reset_requested = true;
	rp_warn("worker %u: drain timeout: resetting what still holds %u outstanding "
		"operations; waiting for every completion and zerocopy notification", w->id,
		w->pending);
	for (unsigned i = 0; i < w->n_svc; i++)
		if (w->svc[i].ops->abort)
			w->svc[i].ops->abort(w, &w->svc[i]);
}

static void stop_services(struct rp_worker *w)
{
	if (w->stop_requested)
		return;
	w->stop_requested = true;
	__atomic_store_n(&w->phase, RP_WP_STOPPING, __ATOMIC_RELEASE);
	rp_info("worker %u: stopping: no new connections or receives; draining %u "
		"outstanding operations", w->id, w->pending);
	cancel_tick(w);
	for (unsigned i = 0; i < w->n_svc; i++) {
		w->svc[i].stopping = true;
		w->svc[i].ops->stop(w, &w->svc[i]);
	}
}

/* Takeover: out of the groups; a tick (100 ms if none) re-checks left. */
static void leave_services(struct rp_worker *w)
{
	if (w->leaving || w->stop_requested)
		return;
	w->leaving = true;
	rp_info("worker %u: takeover: leaving the reuseport groups; serving the %u open "
		"connections until they end", w->id, w->n_conns);
	for (unsigned i = 0; i < w->n_svc; i++)
		if (w->svc[i].ops->leave)
			w->svc[i].ops->leave(w, &w->svc[i]);
	if (!w->tick_ms) {
		w->tick_ms = 100;
		arm_tick(w);
	}
}

/* After each batch while leaving: nothing open, nothing queued? */
static void check_left(struct rp_worker *w)
{
	if (!w->leaving || w->n_conns || __atomic_load_n(&w->left, __ATOMIC_RELAXED))
		return;
	for (unsigned i = 0; i < w->n_svc; i++)
		if (w->svc[i].ops->left && !w->svc[i].ops->left(w, &w->svc[i]))
			return;
	rp_info("worker %u: takeover: left every group, nothing open or queued", w->id);
	__atomic_store_n(&w->left, 1, __ATOMIC_RELEASE);
}

/* RP_STOP_RESET implies the stop: stop first, so nothing new starts. */
static int on_stop_msg(void *worker, const struct rp_msg *m)
{
	struct rp_worker *w = worker;

	if (m->payload == RP_STOP_LEAVE) {
		leave_services(w);
		return 0;
	}
	stop_services(w);
	if (m->payload == RP_STOP_RESET)
		reset_services(w);
	return 0;
}

/* Answered from the loop itself: a worker stuck in a handler answers
 * nothing, and the appliance then stops the watchdog pings. */
static int on_ping_msg(void *worker, const struct rp_msg *m)
{
	struct rp_worker *w = worker;

	__atomic_store_n(&w->pong, m->payload, __ATOMIC_RELEASE);
	return 0;
}

/* Kept until the batch is through: the switch happens between batches. */
static int on_reload_msg(void *worker, const struct rp_msg *m)
{
	struct rp_worker *w = worker;

	w->reload_to = (const struct rp_cfg_gen *)(uintptr_t)m->payload;
	return 0;
}

/* Between two completion batches: nothing of a handler is half done. SQEs
 * prepared in the batch may point into the old config (a backend's
 * address): submitted first, the kernel has copied what they name. Then
 * each service switches (ops->reload), the tick follows the new timeouts,
 * and the number goes back to the control thread, which frees the old
 * generation once every worker has let go of it. */
static void apply_reload(struct rp_worker *w)
{
	const struct rp_cfg_gen *g = w->reload_to;

	w->reload_to = NULL;
	io_uring_submit(&w->ring);
	for (unsigned i = 0; i < w->n_svc; i++) {
		struct rp_svc_inst *si = &w->svc[i];
		const struct rp_service_cfg *old = si->cfg;

		si->cfg = &g->cfg.services[i];
		if (si->ops->reload)
			si->ops->reload(w, si, old);
	}
	w->tick_ms = tick_period_ms(w);
	arm_tick(w);
	__atomic_store_n(&w->gen_applied, g->seq, __ATOMIC_RELEASE);
}

static bool own_napi_id(const struct rp_worker *w, unsigned napi_id)
{
	for (unsigned i = 0; napi_id && i < w->n_napi_ids; i++)
		if (w->napi_ids[i] == napi_id)
			return true;
	return false;
}

/* napi steering, seen from where the connection landed: did it arrive on
 * one of our queues, or did the acceptor have to hash it? */
static void count_napi(struct rp_worker *w, struct rp_svc_inst *si,
		       const struct rp_conn_info *ci)
{
	if (ci->napi_fallback)
		rp_count(si->ctr, RP_C_NAPI_FALLBACKS, 1);
	else if (own_napi_id(w, ci->napi_id))
		rp_count(si->ctr, RP_C_NAPI_LOCAL, 1);
}

static bool bit_test(const uint64_t *set, unsigned i)
{
	return set[i / 64] >> (i % 64) & 1;
}

static void bit_set(uint64_t *set, unsigned i)
{
	set[i / 64] |= 1ULL << (i % 64);
}

static void bit_clear(uint64_t *set, unsigned i)
{
	set[i / 64] &= ~(1ULL << (i % 64));
}

/* Close a fixed-file slot of ours; with no SQE free right now, remember it
 * and close it at the end of this loop iteration (rp_worker_close_deferred). */
void rp_worker_close_slot(struct rp_worker *w, unsigned slot)
{
	struct io_uring_sqe *sqe = slot < w->n_files ? rp_worker_sqe(w) : NULL;

	if (!sqe) {
		if (slot < w->n_files && !bit_test(w->close_later, slot)) {
			bit_set(w->close_later, slot);
			w->n_close_later++;
		}
		return;
	}
	io_uring_prep_close_direct(sqe, slot);
	io_uring_sqe_set_data64(sqe, rp_ud(RP_OP_CANCEL, 0));
}

/* The slots rp_worker_close_slot() could not close yet; what still finds no SQE
 * stays for the next iteration. */
void rp_worker_close_deferred(struct rp_worker *w)
{
	for (unsigned slot = 0; w->n_close_later && slot < w->n_files; slot++) {
		struct io_uring_sqe *sqe;

		if (!bit_test(w->close_later, slot))
			continue;
		sqe = rp_worker_sqe(w);
		if (!sqe)
			return;
		bit_clear(w->close_later, slot);
		w->n_close_later--;
		io_uring_prep_close_direct(sqe, slot);
		io_uring_sqe_set_data64(sqe, rp_ud(RP_OP_CANCEL, 0));
	}
}

/* A connection from the acceptor (dataplane/acceptor.h): arg is its slot in
 * our table, the payload names the service (rp_conn_info). Nobody to take
 * it (stopping, no such service): close it, never leak it. */
static int on_conn_msg(void *worker, const struct rp_msg *m)
{
	struct rp_worker *w = worker;
	struct rp_conn_info ci = rp_conn_info_of(m->payload);
	struct rp_svc_inst *si = ci.svc < w->n_svc ? &w->svc[ci.svc] : NULL;

	if (si && si->ops->adopt && !si->stopping) {
		count_napi(w, si, &ci);
		si->ops->adopt(w, si, (uint32_t)m->arg);
		return 0;
	}
	rp_warn("worker %u: connection handed to service %u that cannot take it: closed",
		w->id, ci.svc);
	rp_worker_close_slot(w, (unsigned)m->arg);
	return 0;
}

int rp_worker_request_stop(struct rp_worker *w)
{
	return rp_msg_send_sync(w->ring_fd, &(struct rp_msg){ .type = RP_MSG_STOP,
							       .payload = RP_STOP_DRAIN });
}

int rp_worker_request_leave(struct rp_worker *w)
{
	return rp_msg_send_sync(w->ring_fd, &(struct rp_msg){ .type = RP_MSG_STOP,
							       .payload = RP_STOP_LEAVE });
}

bool rp_worker_has_left(const struct rp_worker *w)
{
	return __atomic_load_n(&w->left, __ATOMIC_ACQUIRE);
}

int rp_worker_ping(struct rp_worker *w, uint64_t seq)
{
	return rp_msg_send_sync(w->ring_fd, &(struct rp_msg){ .type = RP_MSG_PING,
							       .payload = seq });
}

int rp_worker_reload(struct rp_worker *w, const struct rp_cfg_gen *gen)
{
	/* the pointer travels in 48 bits of user_data (msg.h) */
	if ((uintptr_t)gen & ~(uintptr_t)RP_MSG_PAYLOAD_MASK)
		return -EOVERFLOW;
	return rp_msg_send_sync(w->ring_fd, &(struct rp_msg){ .type = RP_MSG_RELOAD,
							       .payload = (uintptr_t)gen });
}

int rp_worker_request_reset(struct rp_worker *w)
{
	return rp_msg_send_sync(w->ring_fd, &(struct rp_msg){ .type = RP_MSG_STOP,
							       .payload = RP_STOP_RESET });
}

/* ---- the loop ------------------------------------------------------------ */

static bool drained(struct rp_worker *w)
{
	return w->stop_requested && w->pending == 0 && rp_msg_port_in_flight(&w->msg) == 0 &&
	       w->n_close_later == 0;
}

/* The loop cannot go on: say why, once, for the log and the appliance. */
static int loop_failed(struct rp_worker *w, const char *what, int err)
{
	snprintf(w->fail_reason, sizeof(w->fail_reason), "%s: %s", what, strerror(-err));
	rp_err("worker %u: %s", w->id, w->fail_reason);
	return err;
}

static void publish(struct rp_worker *w)
{
	struct rp_counters *c = rp_worker_ctr(w);

	rp_gauge_set(c, RP_C_BUFS_FREE, rp_bufpool_free(&w->pool));
	rp_gauge_set(c, RP_C_BUFS_IN_FLIGHT, rp_bufpool_in_flight(&w->pool));
	rp_gauge_set(c, RP_C_ERR_CQ_DROPPED, IO_URING_READ_ONCE(*w->ring.cq.koverflow));
	__atomic_store_n(&w->pending_seen, w->pending, __ATOMIC_RELAXED);
	__atomic_store_n(&w->bufs_out_seen, rp_bufpool_in_flight(&w->pool), __ATOMIC_RELAXED);
}

/* Services that gather a batch's replies send them now, before the submit. */
static void flush_services(struct rp_worker *w)
{
	for (unsigned i = 0; i < w->n_svc; i++)
		if (w->svc[i].ops->flush)
			w->svc[i].ops->flush(w, &w->svc[i]);
}

static int run_loop(struct rp_worker *w)
{
	while (!drained(w)) {
		struct io_uring_cqe *cqe;
		unsigned head, n = 0;
		bool relieved;
		int ret = io_uring_submit_and_wait(&w->ring, 1);

		if (ret < 0 && ret != -EINTR && ret != -EAGAIN && ret != -EBUSY)
			return loop_failed(w, "io_uring_submit_and_wait", ret);
		w->now_ms = now_ms();
		io_uring_for_each_cqe(&w->ring, head, cqe) {
			dispatch(w, cqe);
			n++;
		}
		io_uring_cq_advance(&w->ring, n);
		/* the kernel holds back what did not fit (FEAT_NODROP) and hands
		 * it over on the next enter: counted, so cq-factor can be sized */
		if (IO_URING_READ_ONCE(*w->ring.sq.kflags) & IORING_SQ_CQ_OVERFLOW)
			rp_count(rp_worker_ctr(w), RP_C_CQ_OVERFLOWS, 1);
		if (w->reload_to)
			apply_reload(w);
		flush_services(w);
		check_left(w);
		rp_worker_close_deferred(w);
		relieved = rp_fair_relieved(&w->fair) | rp_zcrx_worker_tick(w);
		if (relieved || rp_bufpool_should_rearm(&w->pool))
			rp_worker_rearm(w);
		publish(w);
	}
	return 0;
}

/* ---- start-up and tear-down (on the worker thread) ---------------------- */

static int pin(struct rp_worker *w)
{
	cpu_set_t set;
	int ret;

	if (w->cpu < 0)
		return 0;
	CPU_ZERO(&set);
	CPU_SET(w->cpu, &set);
	ret = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	if (ret)
		rp_err("worker %u: cannot pin to CPU %d: %s", w->id, w->cpu, strerror(ret));
	return -ret;
}

/* limits.connections plus the slack that lets a connection past the limit
 * be accepted and closed cleanly. The kernel refuses a file table larger
 * than RLIMIT_NOFILE (the appliance raises the soft limit to the hard one at
 * start): then the limit shrinks to fit, and the log says so. */
static unsigned file_table_size(struct rp_worker *w)
{
	unsigned want = w->cfg->limits.connections + RP_WORKER_FILES_SLACK;
	struct rlimit rl;

	w->max_conns = w->cfg->limits.connections;
	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= want)
		return want;
	w->max_conns = rl.rlim_cur > 2 * RP_WORKER_FILES_SLACK ?
		       (unsigned)rl.rlim_cur - RP_WORKER_FILES_SLACK : (unsigned)rl.rlim_cur / 2;
	if (w->id == 0)
		rp_warn("limits.connections is %u, but RLIMIT_NOFILE (%llu) allows only %u per "
			"worker's fixed-file table: raise it (ulimit -n, LimitNOFILE= in the unit)",
			w->cfg->limits.connections, (unsigned long long)rl.rlim_cur, w->max_conns);
	return (unsigned)rl.rlim_cur;
}

static int setup_ring(struct rp_worker *w)
{
	const struct rp_workers_cfg *wc = &w->cfg->workers;
	struct io_uring_params p = {
		.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
			 IORING_SETUP_SUBMIT_ALL | IORING_SETUP_CQSIZE,
		.cq_entries = wc->ring_entries * wc->cq_factor,
	};
	int ret;

	if (w->zcrx_job)	/* RECV_ZC completions carry a struct io_uring_zcrx_cqe */
		p.flags |= IORING_SETUP_CQE32;
	ret = io_uring_queue_init_params(wc->ring_entries, &w->ring, &p);

	if (ret < 0) {
		rp_err("worker %u: io_uring_queue_init(%u entries, CQ %u, SINGLE_ISSUER|"
		       "DEFER_TASKRUN|SUBMIT_ALL): %s", w->id, wc->ring_entries, p.cq_entries,
		       strerror(-ret));
		return ret;
	}
	w->ring_fd = w->ring.ring_fd;
	w->n_files = file_table_size(w);
	w->close_later = calloc((w->n_files + 63) / 64, sizeof(*w->close_later));
	ret = w->close_later ? io_uring_register_files_sparse(&w->ring, w->n_files) : -ENOMEM;
	if (ret < 0) {
		rp_err("worker %u: io_uring_register_files_sparse(%u): %s", w->id,
		       w->n_files, strerror(-ret));
		free(w->close_later);
		w->close_later = NULL;
		io_uring_queue_exit(&w->ring);
		return ret;
	}
	rp_napi_setup(&w->ring, wc);
	return 0;
}

/* A multishot recvmsg puts its header and the sender's address in the buffer
 * ahead of the payload: room for both, so buffers.size bytes of datagram fit. */
#define RP_RECVMSG_HEADROOM (sizeof(struct io_uring_recvmsg_out) + sizeof(struct sockaddr_storage))

static int setup_pool(struct rp_worker *w)
{
	const struct rp_buffers_cfg *bc = &w->cfg->buffers;
	struct rp_bufpool_params prm = {
		.size = bc->size + RP_RECVMSG_HEADROOM, .count = bc->count, .hugepages = bc->hugepages,
		.recv_ring = true, .bgid = RP_WORKER_BGID,
	};
	char err[512];
	int ret = rp_bufpool_init(&w->pool, &w->ring, &prm, err, sizeof(err));

	if (ret < 0) {
		rp_err("worker %u: buffers: %s", w->id, err);
		return ret;
	}
	w->tx = (struct rp_tx){ .ring = &w->ring, .pool = &w->pool,
				.ctr = rp_worker_ctr(w), .pending = &w->pending };
	rp_fair_init(&w->fair, &w->pool, &w->cfg->limits);
	return 0;
}

static int open_services(struct rp_worker *w)
{
	for (unsigned i = 0; i < w->n_svc; i++) {
		struct rp_svc_inst *si = &w->svc[i];
		int ret;

		*si = (struct rp_svc_inst){
			.cfg = &w->cfg->services[i],
			.ops = rp_svc_ops_for(w->cfg->services[i].type),
			.idx = i,
			.ctr = &w->ctr[i],
		};
		ret = si->ops->open(w, si);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static void close_services(struct rp_worker *w)
{
	for (unsigned i = 0; i < w->n_svc; i++)
		if (w->svc[i].ops && w->svc[i].priv)
			w->svc[i].ops->destroy(w, &w->svc[i]);
}

static void teardown(struct rp_worker *w)
{
	close_services(w);
	rp_msg_port_fini(&w->msg);
	rp_bufpool_destroy(&w->pool);
	io_uring_unregister_files(&w->ring);
	io_uring_queue_exit(&w->ring);
	rp_zcrx_worker_close(w);	/* after the exit: the kernel let go of the area */
	free(w->close_later);
	w->close_later = NULL;
	rp_events_detach(w->events);
	w->events = NULL;
}

/* Messages in flight from this ring: a few unless a udp-relay hands
 * datagrams over, up to one per SQE of a batch. */
static unsigned msg_outbox_cap(const struct rp_worker *w)
{
	for (unsigned i = 0; i < w->cfg->n_services; i++)
		if (w->cfg->services[i].type == RP_SVC_UDP_RELAY)
			return w->cfg->workers.ring_entries > 64 ? w->cfg->workers.ring_entries : 64;
	return 64;
}

static int setup(struct rp_worker *w)
{
	int ret = pin(w);

	if (ret || (ret = setup_ring(w)))
		return ret;
	ret = setup_pool(w);
	if (!ret)
		ret = rp_msg_port_init(&w->msg, &w->ring, msg_outbox_cap(w), rp_worker_ctr(w));
	if (!ret)
		ret = rp_zcrx_worker_open(w);
	if (!ret)
		ret = open_services(w);
	if (ret)
		teardown(w);
	else
		w->events = rp_events_attach(w->cfg);
	return ret;
}

static void set_phase(struct rp_worker *w, enum rp_worker_phase ph)
{
	__atomic_store_n(&w->phase, ph, __ATOMIC_RELEASE);
}

static void *worker_main(void *arg)
{
	struct rp_worker *w = arg;
	int ret;

	rp_log_set_worker((int)w->id);
	ret = setup(w);
	if (ret) {
		w->start_err = ret;
		set_phase(w, RP_WP_FAILED);
		sem_post(&w->started);
		return NULL;
	}
	w->now_ms = now_ms();
	for (unsigned i = 0; i < w->n_svc; i++)
		w->svc[i].ops->arm(w, &w->svc[i]);
	w->tick_ms = tick_period_ms(w);
	arm_tick(w);
	set_phase(w, RP_WP_RUNNING);
	sem_post(&w->started);

	ret = rp_worker_fault_loop(w);
	ret = ret ? loop_failed(w, "fault injected by the test build", ret) : run_loop(w);
	publish(w);
	/* The last word on buffers (the shutdown test asserts free == total). */
	rp_info("worker %u: exiting: buffers free %u/%u", w->id, rp_bufpool_free(&w->pool),
		w->pool.count);
	teardown(w);
	set_phase(w, ret ? RP_WP_FAILED : RP_WP_DONE);
	return NULL;
}

/* ---- API for the appliance ----------------------------------------------- */

__attribute__((weak)) int rp_worker_fault_loop(const struct rp_worker *w)
{
	(void)w;
	return 0;
}

void rp_worker_init_handlers(void)
{
	rp_msg_set_handler(RP_MSG_STOP, on_stop_msg);
	rp_msg_set_handler(RP_MSG_CONN, on_conn_msg);
	rp_msg_set_handler(RP_MSG_PING, on_ping_msg);
	rp_msg_set_handler(RP_MSG_HEALTH, rp_health_on_msg);
	rp_msg_set_handler(RP_MSG_RELOAD, on_reload_msg);
	rp_relay_init_handlers();
}

int rp_worker_start(struct rp_worker *w)
{
	int ret;

	w->n_svc = w->cfg->n_services;
	w->svc = calloc(w->n_svc ? w->n_svc : 1, sizeof(*w->svc));
	if (!w->svc)
		return -ENOMEM;
	__atomic_store_n(&w->phase, RP_WP_STARTING, __ATOMIC_RELAXED);	/* peers may look */
	sem_init(&w->started, 0, 0);
	ret = pthread_create(&w->thread, NULL, worker_main, w);
	if (ret) {
		free(w->svc);
		w->svc = NULL;
		return -ret;
	}
	return 0;
}

int rp_worker_wait_started(struct rp_worker *w)
{
	while (sem_wait(&w->started) && errno == EINTR)
		;
	return __atomic_load_n(&w->phase, __ATOMIC_ACQUIRE) == RP_WP_FAILED ? w->start_err : 0;
}

int rp_worker_join(struct rp_worker *w)
{
	int ret;

	pthread_join(w->thread, NULL);
	ret = __atomic_load_n(&w->phase, __ATOMIC_ACQUIRE) == RP_WP_DONE ? 0 : -1;
	sem_destroy(&w->started);
	free(w->svc);
	w->svc = NULL;
	return ret;
}
