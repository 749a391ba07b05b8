/* SPDX-License-Identifier: MIT */
/*
 * tcp-proxy: the backend side of a new pair (see svc_tcp_proxy.c). With
 * balance: hash the client's address is read first (getsockopt SO_PEERNAME
 * by URING_CMD on the accepted slot, as the acceptor does); with a backend
 * that speaks the PROXY protocol, both the client's address and the one
 * it connected to are (this kernel has no URING_CMD getsockname: the
 * accepted slot is installed as a plain descriptor for getpeername and
 * getsockname, then closed). A backend is picked (balance.h) among those
 * not tried yet and not marked down by the health checks
 * (proxy_health.h); its socket is made
 * straight into the worker's fixed-file table (IORING_OP_SOCKET, the
 * kernel picks the slot) and connected with a linked timeout
 * (connect-timeout-ms). A failed connect closes that socket and tries the
 * next backend, up to `retries` times, then the client is closed
 * (err_no_backend). These steps name the pair by its client leg until the
 * backend has a slot. A backend with `proxy-protocol: v2` is sent the
 * PROXY header (proxy_protocol.h) once connected, before the client's leg
 * is read at all (PC_HEADER; its send completes as RP_OP_CONNECT).
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

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
	/* backends marked down are excluded like those tried already */
	int b = attempts > si->cfg->retries ? -1 :
		rp_balance_pick(&tp->bal, pc->tried | rp_health_down(&tp->health),
				pc_client_addr(pc));

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

static void warn_addrs_once(struct rp_svc_inst *si, const char *how, int res)
{
	struct tcp_proxy *tp = proxy_of(si);

	if (tp->peer_warned)
		return;
	rp_warn("service %s: the client's address cannot be read (%s: %s); such clients "
		"hash as no address and get a PROXY header without one", si->cfg->name, how,
		strerror(-res));
	tp->peer_warned = true;
}

/* proxy-protocol: res is a plain descriptor of the client's socket (or
 * -errno): both its addresses, then it is closed (the slot stays). */
static void pc_addrs_from_fd(struct rp_svc_inst *si, struct pconn *pc, int res)
{
	socklen_t pl = sizeof(pc->peer), ll = sizeof(pc->local);

	if (res < 0) {
		warn_addrs_once(si, "IORING_OP_FIXED_FD_INSTALL", res);
		return;
	}
	if (!getpeername(res, (struct sockaddr *)&pc->peer, &pl))
		pc->peer_len = pl;
	if (!getsockname(res, (struct sockaddr *)&pc->local, &ll))
		pc->local_len = ll;
	close(res);
}

/* The client's address arrived (balance: hash): res is its length. A
 * client gone already, or a kernel that cannot say, leaves it unset: that
 * client hashes as "no address" (logged once). */
static void proxy_on_peer(struct rp_svc_inst *si, struct pconn *pc, int res)
{
	if (pc->addrs_by_fd) {
		pc_addrs_from_fd(si, pc, res);
		return;
	}
	pc->peer_len = res > 0 ? (socklen_t)res : 0;
	if (res < 0)
		warn_addrs_once(si, "getsockopt SO_PEERNAME on the direct descriptor", res);
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

	enum rp_counter kind = res == -ECANCELED ? RP_C_CONNECT_TIMEOUTS :
			       res == -ECONNREFUSED ? RP_C_CONNECT_REFUSED : RP_C__COUNT;

	rp_count(si->ctr, RP_C_ERR_CONNECT, 1);
	proxy_count_backend(w, si, pc, RP_C_ERR_CONNECT, 1);
	if (kind != RP_C__COUNT) {
		rp_count(si->ctr, kind, 1);
		proxy_count_backend(w, si, pc, kind, 1);
	}
	rp_dbg("service %s: backend %s: connect: %s", si->cfg->name,
	       si->cfg->backends[pc->backend].addr.text, strerror(-res));
	rp_worker_close_slot(w, be->rx.slot);
	proxy_leg_unbind(si, be);
	proxy_connect_next(w, si, pc);
}

/* What is left of the PROXY header, from the pair's own copy; completes
 * as RP_OP_CONNECT. */
static void pc_send_header(struct rp_worker *w, struct rp_svc_inst *si, struct pconn *pc)
{
	struct leg *be = &pc->leg[BE];
	struct io_uring_sqe *sqe = rp_worker_sqe(w);

	if (!sqe) {
		pc->abort = true;
		return;
	}
	io_uring_prep_send(sqe, (int)be->rx.slot, pc->pp + pc->pp_off, pc->pp_len - pc->pp_off,
			   MSG_NOSIGNAL);
	sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data64(sqe, rp_svc_ud(RP_OP_CONNECT, si->idx, be->rx.obj));
	pc->state = PC_HEADER;
	pc->op_pending = true;
}

static void pc_up(struct rp_worker *w, struct pconn *pc)
{
	pc->state = PC_UP;
	pc->active_ms = w->now_ms;
}

/* Connected: counted; the PROXY header first if the backend wants one. */
static void pc_connected(struct rp_worker *w, struct rp_svc_inst *si, struct pconn *pc)
{
	const struct rp_backend_cfg *bc = &si->cfg->backends[pc->backend];

	rp_count(si->ctr, RP_C_BACKEND_CONNECTS, 1);
	proxy_count_backend(w, si, pc, RP_C_BACKEND_CONNECTS, 1);
	rp_balance_opened(&proxy_of(si)->bal, (unsigned)pc->backend);
	pc->balanced = true;
	if (bc->proxy_protocol != RP_PP_V2) {
		pc_up(w, pc);
		return;
	}
	pc->pp_len = (unsigned)rp_pp2_encode(pc->pp,
		pc->peer_len ? (const struct sockaddr *)&pc->peer : NULL,
		pc->local_len ? (const struct sockaddr *)&pc->local : NULL);
	pc->pp_off = 0;
	pc_send_header(w, si, pc);
}

/* A send of the header completed: the rest of it, or the pair is up. A
 * backend that refused it is gone: the client gets a plain close. */
static void pc_header_sent(struct rp_worker *w, struct rp_svc_inst *si, struct pconn *pc,
			   int res)
{
	if (res <= 0) {
		rp_count(si->ctr, RP_C_ERR_CONN_RESET, 1);
		proxy_count_backend(w, si, pc, RP_C_ERR_CONN_RESET, 1);
		pc->abort = true;
		return;
	}
	pc->pp_off += (unsigned)res;
	if (pc->pp_off < pc->pp_len)
		pc_send_header(w, si, pc);
	else
		pc_up(w, pc);
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
	if (pc->abort)
		;
	else if (pc->state == PC_HEADER)
		pc_header_sent(w, si, pc, cqe->res);
	else if (cqe->res < 0)
		pc_backend_failed(w, si, pc, cqe->res);
	else
		pc_connected(w, si, pc);
	proxy_progress(w, si, pc);
}

static int peer_len_of(const struct rp_svc_inst *si)
{
	return si->cfg->listen.ss.ss_family == AF_INET6 ? (int)sizeof(struct sockaddr_in6)
							: (int)sizeof(struct sockaddr_in);
}

bool proxy_any_pp(const struct rp_service_cfg *cfg)
{
	for (unsigned i = 0; i < cfg->n_backends; i++)
		if (cfg->backends[i].proxy_protocol == RP_PP_V2)
			return true;
	return false;
}

bool proxy_wants_addrs(const struct rp_service_cfg *cfg)
{
	return cfg->balance == RP_BAL_HASH || proxy_any_pp(cfg);
}

/* balance: hash wants the client's address before it picks; the PROXY
 * header wants it and the address the client connected to. */
void proxy_read_peer(struct rp_worker *w, struct rp_svc_inst *si, struct pconn *pc)
{
	struct io_uring_sqe *sqe = rp_worker_sqe(w);

	if (!sqe) {
		pc->abort = true;
		return;
	}
	pc->addrs_by_fd = proxy_of(si)->pp_any;	/* what the completion is */
	if (pc->addrs_by_fd) {
		/* O_CLOEXEC; the slot keeps its own reference */
		io_uring_prep_fixed_fd_install(sqe, (int)pc->leg[CLI].rx.slot, 0);
	} else {
		/* the kernel refuses (EINVAL) a length longer than the address:
		 * the client's family is the listener's */
		io_uring_prep_cmd_sock(sqe, SOCKET_URING_OP_GETSOCKOPT, (int)pc->leg[CLI].rx.slot,
				       SOL_SOCKET, SO_PEERNAME, &pc->peer, peer_len_of(si));
		sqe->flags |= IOSQE_FIXED_FILE;
	}
	io_uring_sqe_set_data64(sqe, rp_svc_ud(RP_OP_SOCKET, si->idx, pc->leg[CLI].rx.obj));
	pc->state = PC_PEER;
	pc->op_pending = true;
}
