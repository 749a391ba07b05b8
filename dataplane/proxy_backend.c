/* SPDX-License-Identifier: MIT */
/*
 * tcp-proxy: the backend side of a new pair (see svc_tcp_proxy.c). With
 * balance: hash the client's address is read first (getsockopt SO_PEERNAME
 * by URING_CMD on the accepted slot, as the acceptor does); a backend is
 * picked (balance.h) among those not tried yet; its socket is made
 * straight into the worker's fixed-file table (IORING_OP_SOCKET, the
 * kernel picks the slot) and connected with a linked timeout
 * (connect-timeout-ms). A failed connect closes that socket and tries the
 * next backend, up to `retries` times, then the client is closed
 * (err_no_backend). These steps name the pair by its client leg until the
 * backend has a slot.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "dataplane/proxy.h"
#include "dataplane/worker.h"

static const struct sockaddr *pc_client_addr(const struct pconn *pc)
{
	return pc->peer_len ? (const struct sockaddr *)&pc->peer : NULL;
}

static void pc_no_backend(struct rp_svc_inst *si, struct pconn *pc)
{
	rp_count(si->ctr, RP_C_ERR_NO_BACKEND, 1);
	rp_dbg("service %s: no backend for the client in slot %u", si->cfg->name,
	       pc->leg[CLI].rx.slot);
	pc->abort = true;	/* the client gets a plain close */
}

/* IORING_OP_SOCKET straight into the fixed-file table; its CQE (named by
 * the client leg) carries the slot. */
static void pc_open_socket(struct rp_worker *w, struct rp_svc_inst *si, struct pconn *pc)
{
	const struct rp_addr *a = &si->cfg->backends[pc->backend].addr;
	struct io_uring_sqe *sqe = rp_worker_sqe(w);

	if (!sqe) {
		pc->abort = true;
		return;
	}
	io_uring_prep_socket_direct_alloc(sqe, a->ss.ss_family, SOCK_STREAM, 0, 0);
	io_uring_sqe_set_data64(sqe, rp_svc_ud(RP_OP_SOCKET, si->idx, pc->leg[CLI].rx.obj));
	pc->state = PC_SOCKET;
	pc->op_pending = true;
}

/* The next backend not tried yet, or the client is closed. */
void proxy_connect_next(struct rp_worker *w, struct rp_svc_inst *si, struct pconn *pc)
{
	struct tcp_proxy *tp = proxy_of(si);
	unsigned attempts = (unsigned)__builtin_popcountll(pc->tried);
	int b = attempts > si->cfg->retries ? -1 :
		rp_balance_pick(&tp->bal, pc->tried, pc_client_addr(pc));

	if (b < 0) {
		pc_no_backend(si, pc);
		return;
	}
	if (attempts)
		rp_count(si->ctr, RP_C_CONNECT_RETRIES, 1);
	pc->backend = b;
	pc->tried |= 1ULL << b;
	pc_open_socket(w, si, pc);
}

/* CONNECT linked to its timeout: both SQEs must go in one submission, or
 * the link would be cut. */
static void leg_connect(struct rp_worker *w, struct rp_svc_inst *si, struct leg *l)
{
	struct pconn *pc = l->pc;
	const struct rp_addr *a = &si->cfg->backends[pc->backend].addr;
	unsigned ms = si->cfg->connect_timeout_ms;
	struct io_uring_sqe *sqe, *tmo;

	if (io_uring_sq_space_left(&w->ring) < 2)
		io_uring_submit(&w->ring);
	if (io_uring_sq_space_left(&w->ring) < 2) {
		pc->abort = true;	/* the ring is broken (rp_worker_sqe says so) */
		return;
	}
	sqe = rp_worker_sqe(w);
	tmo = rp_worker_sqe(w);
	io_uring_prep_connect(sqe, (int)l->rx.slot, (const struct sockaddr *)&a->ss, a->len);
	sqe->flags |= IOSQE_FIXED_FILE | IOSQE_IO_LINK;
	io_uring_sqe_set_data64(sqe, rp_svc_ud(RP_OP_CONNECT, si->idx, l->rx.obj));
	pc->cto = (struct __kernel_timespec){ .tv_sec = ms / 1000,
					      .tv_nsec = (long long)(ms % 1000) * 1000000 };
	io_uring_prep_link_timeout(tmo, &pc->cto, 0);
	io_uring_sqe_set_data64(tmo, rp_svc_ud(RP_OP_CANCEL, si->idx, l->rx.obj));
	pc->state = PC_CONNECTING;
	pc->op_pending = true;
}

/* The backend socket is in our table at res (or failed). */
static void proxy_on_socket_made(struct rp_worker *w, struct rp_svc_inst *si, struct pconn *pc,
				 int res)
{
	struct leg *be = &pc->leg[BE];

	if (res < 0) {
		rp_count(si->ctr, RP_C_ERR_CONNECT, 1);
		proxy_count_backend(w, si, pc, RP_C_ERR_CONNECT, 1);
		proxy_connect_next(w, si, pc);
		return;
	}
	if (pc->abort) {
		rp_worker_close_slot(w, (unsigned)res);
		return;
	}
	if (!proxy_leg_bind(si, be, (uint32_t)res)) {
		rp_err("service %s: the kernel made a socket in slot %u, which is taken: "
		       "client closed", si->cfg->name, (unsigned)res);
		pc->abort = true;
		return;
	}
	proxy_leg_nodelay(w, si, be);
	leg_connect(w, si, be);
}

/* The client's address arrived (balance: hash): res is its length. A
 * client gone already, or a kernel that cannot say, leaves it unset: that
 * client hashes as "no address" (logged once). */
static void proxy_on_peer(struct rp_svc_inst *si, struct pconn *pc, int res)
{
	struct tcp_proxy *tp = proxy_of(si);

	pc->peer_len = res > 0 ? (socklen_t)res : 0;
	if (res >= 0 || tp->peer_warned)
		return;
	rp_warn("service %s: balance: hash: the client's address cannot be read "
		"(getsockopt SO_PEERNAME on the direct descriptor: %s)", si->cfg->name,
		strerror(-res));
	tp->peer_warned = true;
}

/* RP_OP_SOCKET names the client leg and completes the step the pair is
 * in: reading the client's address (PC_PEER), or making the backend's
 * socket (PC_SOCKET). */
void proxy_on_socket(struct rp_worker *w, struct rp_svc_inst *si,
			    const struct io_uring_cqe *cqe)
{
	struct leg *cli = proxy_leg_of(si, cqe);
	struct pconn *pc = cli ? cli->pc : NULL;

	if (!pc)
		return;	/* cannot be: a pair stays while its step is outstanding */
	pc->op_pending = false;
	if (pc->state == PC_PEER) {
		proxy_on_peer(si, pc, cqe->res);
		if (!pc->abort)
			proxy_connect_next(w, si, pc);
	} else {
		proxy_on_socket_made(w, si, pc, cqe->res);
	}
	proxy_progress(w, si, pc);
}

/* A backend that failed: its socket goes (nothing else of it is
 * outstanding), the next one is tried. */
static void pc_backend_failed(struct rp_worker *w, struct rp_svc_inst *si, struct pconn *pc,
			      int res)
{
	struct leg *be = &pc->leg[BE];

	rp_count(si->ctr, RP_C_ERR_CONNECT, 1);
	proxy_count_backend(w, si, pc, RP_C_ERR_CONNECT, 1);
	if (res == -ECANCELED) {
		rp_count(si->ctr, RP_C_CONNECT_TIMEOUTS, 1);
		proxy_count_backend(w, si, pc, RP_C_CONNECT_TIMEOUTS, 1);
	}
	rp_dbg("service %s: backend %s: connect: %s", si->cfg->name,
	       si->cfg->backends[pc->backend].addr.text, strerror(-res));
	rp_worker_close_slot(w, be->rx.slot);
	proxy_leg_unbind(si, be);
	proxy_connect_next(w, si, pc);
}

static void pc_up(struct rp_worker *w, struct rp_svc_inst *si, struct pconn *pc)
{
	rp_count(si->ctr, RP_C_BACKEND_CONNECTS, 1);
	proxy_count_backend(w, si, pc, RP_C_BACKEND_CONNECTS, 1);
	rp_balance_opened(&proxy_of(si)->bal, (unsigned)pc->backend);
	pc->balanced = true;
	pc->state = PC_UP;
	pc->active_ms = w->now_ms;
}

void proxy_on_connect(struct rp_worker *w, struct rp_svc_inst *si,
			     const struct io_uring_cqe *cqe)
{
	struct leg *be = proxy_leg_of(si, cqe);
	struct pconn *pc = be ? be->pc : NULL;

	if (!pc)
		return;
	pc->op_pending = false;
	/* when closing, the progress below closes the socket */
	if (!pc->abort && cqe->res < 0)
		pc_backend_failed(w, si, pc, cqe->res);
	else if (!pc->abort)
		pc_up(w, si, pc);
	proxy_progress(w, si, pc);
}

static int peer_len_of(const struct rp_svc_inst *si)
{
	return si->cfg->listen.ss.ss_family == AF_INET6 ? (int)sizeof(struct sockaddr_in6)
							: (int)sizeof(struct sockaddr_in);
}

/* balance: hash wants the client's address before it picks. */
void proxy_read_peer(struct rp_worker *w, struct rp_svc_inst *si, struct pconn *pc)
{
	struct io_uring_sqe *sqe = rp_worker_sqe(w);

	if (!sqe) {
		pc->abort = true;
		return;
	}
	/* the kernel refuses (EINVAL) a length longer than the address: the
	 * client's family is the listener's */
	io_uring_prep_cmd_sock(sqe, SOCKET_URING_OP_GETSOCKOPT, (int)pc->leg[CLI].rx.slot,
			       SOL_SOCKET, SO_PEERNAME, &pc->peer, peer_len_of(si));
	sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data64(sqe, rp_svc_ud(RP_OP_SOCKET, si->idx, pc->leg[CLI].rx.obj));
	pc->state = PC_PEER;
	pc->op_pending = true;
}
