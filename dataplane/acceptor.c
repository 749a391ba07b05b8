/* SPDX-License-Identifier: MIT */
/*
 * The acceptor thread: see acceptor.h. Its completion loop dispatches on
 * the user_data op through a table, like a worker's.
 */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <liburing.h>

#include "dataplane/acceptor.h"
#include "dataplane/log.h"
#include "dataplane/msg.h"

#define ACC_FILES_DEFAULT 1024
#define ACC_OUTBOX        256
#define ACC_RING_ENTRIES  256

/* What a SOCK_CMD completion answers (low byte of its user_data). */
enum acc_query {
	ACC_Q_PEER,		/* SO_PEERNAME */
	ACC_Q_NAPI,		/* SO_INCOMING_NAPI_ID */
};

/* A connection between accept and handoff. */
struct acc_conn {
	unsigned waiting;	/* getsockopt answers still to come */
	unsigned napi_id;
	/* The worker steering chose, once: a handoff that finds the outbox full
	 * is retried to the same worker (picking again would advance
	 * round-robin twice and count a napi fallback twice). */
	bool picked, napi_fallback;
	unsigned target;
	struct sockaddr_storage peer;
};

struct rp_acceptor {
	struct rp_acceptor_params p;
	int *fds;			/* copy of p.target_ring_fds */
	pthread_t thread;
	sem_t started;
	int start_err;
	int ring_fd;
	int own_lfd;			/* listening socket we made, or -1 */

	/* acceptor thread only */
	struct io_uring ring;
	struct rp_msg_port port;
	struct rp_steer steer;
	struct sockaddr_storage local;
	socklen_t peer_len;		/* exact SO_PEERNAME length for the family */
	struct acc_conn *conns;		/* by slot */
	unsigned *backlog;		/* slots waiting for an outbox entry */
	unsigned bl_head, bl_len;
	unsigned n_steering;		/* conns waiting for getsockopt answers */
	unsigned *loads;
	bool accept_armed, stopping;
	struct rp_acceptor_stats st;
	/* what a connection flood causes is logged once a second, counted always */
	struct rp_ratelimit log_handoff, log_no_slot, log_accept;
};

typedef void (*acc_cqe_fn)(struct rp_acceptor *a, const struct io_uring_cqe *cqe);

static struct io_uring_sqe *acc_sqe(struct rp_acceptor *a)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&a->ring);

	if (!sqe && io_uring_submit(&a->ring) >= 0)
		sqe = io_uring_get_sqe(&a->ring);
	if (!sqe)
		rp_err("acceptor: no free SQE even after submitting");
	return sqe;
}

static void acc_close_slot(struct rp_acceptor *a, unsigned slot)
{
	struct io_uring_sqe *sqe = acc_sqe(a);

	if (!sqe)
		return;
	io_uring_prep_close_direct(sqe, slot);
	io_uring_sqe_set_data64(sqe, rp_ud(RP_OP_NONE, 0));
	io_uring_sqe_set_flags(sqe, IOSQE_CQE_SKIP_SUCCESS);
}

/* ---- handoff -------------------------------------------------------------- */

static const unsigned *acc_loads(struct rp_acceptor *a)
{
	if (a->p.policy != RP_STEER_LEAST_LOADED || !a->p.load)
		return NULL;
	for (unsigned w = 0; w < a->p.n_targets; w++) {
		uint64_t sent = a->st.per_target[w];
		uint64_t adopted = a->p.adopted ? a->p.adopted(a->p.load_arg, w) : sent;

		a->loads[w] = a->p.load(a->p.load_arg, w) +
			      (unsigned)(sent > adopted ? sent - adopted : 0);
	}
	return a->loads;
}

static void acc_napi_seen(struct rp_acceptor *a, unsigned napi_id)
{
	for (unsigned i = 0; i < RP_ACCEPTOR_NAPI_SEEN; i++) {
		if (a->st.napi_seen[i].conns && a->st.napi_seen[i].napi_id != napi_id)
			continue;
		a->st.napi_seen[i].napi_id = napi_id;
		a->st.napi_seen[i].conns++;
		return;
	}
}

static void acc_pick(struct rp_acceptor *a, struct acc_conn *c)
{
	struct rp_steer_conn sc = {
		.local = (const struct sockaddr *)&a->local,
		.peer = (const struct sockaddr *)&c->peer,
		.napi_id = c->napi_id,
	};

	c->target = rp_steer_pick(&a->steer, &sc, acc_loads(a));
	c->napi_fallback = a->steer.fell_back;
	c->picked = true;
}

/* 0: sent or given up (closed, counted); -ENOSPC: try again later, to the
 * same worker. */
static int acc_handoff(struct rp_acceptor *a, unsigned slot)
{
	struct acc_conn *c = &a->conns[slot];
	struct rp_conn_info ci;
	unsigned w;
	int ret;

	if (!c->picked)
		acc_pick(a, c);
	w = c->target;
	ci = (struct rp_conn_info){ .svc = a->p.svc, .napi_id = c->napi_id,
				    .napi_fallback = c->napi_fallback };
	ret = rp_msg_send_conn(&a->port, a->fds[w], slot, rp_conn_payload(&ci));

	if (ret == -ENOSPC)
		return ret;
	if (ret < 0) {
		unsigned missed;

		if (rp_ratelimit_now(&a->log_handoff, 1000, &missed))
			rp_err("acceptor: handoff of slot %u to worker %u: %s; connection closed "
			       "(%u more since the last such line)", slot, w, strerror(-ret), missed);
		a->st.err_handoff++;
		acc_close_slot(a, slot);
		return 0;
	}
	a->st.per_target[w]++;
	return 0;
}

static void acc_backlog_push(struct rp_acceptor *a, unsigned slot)
{
	a->backlog[(a->bl_head + a->bl_len++) % a->p.files] = slot;
}

/* Handoffs that waited for a free outbox entry, in accept order. */
static void acc_backlog_drain(struct rp_acceptor *a)
{
	while (a->bl_len && acc_handoff(a, a->backlog[a->bl_head]) == 0) {
		a->bl_head = (a->bl_head + 1) % a->p.files;
		a->bl_len--;
	}
}

static void acc_ready(struct rp_acceptor *a, unsigned slot)
{
	if (a->bl_len || acc_handoff(a, slot) == -ENOSPC)
		acc_backlog_push(a, slot);	/* keep accept order */
}

static int acc_on_bounce(void *owner, const struct rp_msg *m)
{
	struct rp_acceptor *a = owner;

	/* msg.c closed the slot, logged, and counted ENFILE in port stats */
	if (m->type == RP_MSG_CONN && m->err != -ENFILE)
		a->st.err_handoff++;
	return 0;
}

/* ---- steering queries ------------------------------------------------------ */

static bool acc_query(struct rp_acceptor *a, unsigned slot, enum acc_query q)
{
	struct acc_conn *c = &a->conns[slot];
	struct io_uring_sqe *sqe = acc_sqe(a);

	if (!sqe)
		return false;
	if (q == ACC_Q_PEER)
		io_uring_prep_cmd_sock(sqe, SOCKET_URING_OP_GETSOCKOPT, (int)slot, SOL_SOCKET,
				       SO_PEERNAME, &c->peer, (int)a->peer_len);
	else
		io_uring_prep_cmd_sock(sqe, SOCKET_URING_OP_GETSOCKOPT, (int)slot, SOL_SOCKET,
				       SO_INCOMING_NAPI_ID, &c->napi_id, sizeof(c->napi_id));
	sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data64(sqe, rp_ud(RP_OP_SOCK_CMD, (uint64_t)slot << 8 | q));
	c->waiting++;
	return true;
}

/* What each policy needs to know before it can decide (a table, not ifs). */
static const struct {
	bool peer, napi;
} acc_needs[RP_STEER__COUNT] = {
	[RP_STEER_NAPI]		= { .peer = true, .napi = true },	/* peer: hash fallback */
	[RP_STEER_ROUND_ROBIN]	= { 0 },
	[RP_STEER_LEAST_LOADED]	= { 0 },
	[RP_STEER_HASH]		= { .peer = true },
};

static void acc_new_conn(struct rp_acceptor *a, unsigned slot)
{
	struct acc_conn *c = &a->conns[slot];

	*c = (struct acc_conn){ 0 };
	if (acc_needs[a->p.policy].peer)
		acc_query(a, slot, ACC_Q_PEER);
	if (acc_needs[a->p.policy].napi)
		acc_query(a, slot, ACC_Q_NAPI);
	if (c->waiting)
		a->n_steering++;
	else
		acc_ready(a, slot);
}

static void acc_on_sock_cmd(struct rp_acceptor *a, const struct io_uring_cqe *cqe)
{
	uint64_t data = rp_ud_data(cqe->user_data);
	unsigned slot = (unsigned)(data >> 8);
	struct acc_conn *c;

	if (slot >= a->p.files || !a->conns[slot].waiting)
		return;
	c = &a->conns[slot];
	if (cqe->res < 0) {
		/* the peer may have gone already; steer on what we have */
		rp_dbg("acceptor: getsockopt %s on slot %u: %s",
		       (data & 0xff) == ACC_Q_PEER ? "SO_PEERNAME" : "SO_INCOMING_NAPI_ID",
		       slot, strerror(-cqe->res));
		if ((data & 0xff) == ACC_Q_NAPI)
			c->napi_id = 0;
	}
	if (--c->waiting)
		return;
	if (acc_needs[a->p.policy].napi)
		acc_napi_seen(a, c->napi_id);
	a->n_steering--;
	acc_ready(a, slot);
}

/* ---- accept ---------------------------------------------------------------- */

static void acc_arm(struct rp_acceptor *a)
{
	struct io_uring_sqe *sqe;

	if (a->accept_armed || a->stopping || !(sqe = acc_sqe(a)))
		return;
	io_uring_prep_multishot_accept_direct(sqe, a->p.listen_fd, NULL, NULL, 0);
	io_uring_sqe_set_data64(sqe, rp_ud(RP_OP_ACCEPT, 0));
	a->accept_armed = true;
}

static void acc_on_accept(struct rp_acceptor *a, const struct io_uring_cqe *cqe)
{
	unsigned missed;

	if (!(cqe->flags & IORING_CQE_F_MORE))
		a->accept_armed = false;
	if (cqe->res >= 0) {
		a->st.accepted++;
		acc_new_conn(a, (unsigned)cqe->res);
	} else if (cqe->res == -ENFILE) {
		/* the kernel closed the connection it could not place */
		a->st.err_no_slot++;
		if (rp_ratelimit_now(&a->log_no_slot, 1000, &missed))
			rp_err("acceptor: its fixed file table (%u slots) is full: connection closed "
			       "(%u more since the last such line)", a->p.files, missed);
	} else if (cqe->res != -ECANCELED) {
		a->st.err_accept++;
		if (rp_ratelimit_now(&a->log_accept, 1000, &missed))
			rp_warn("acceptor: accept: %s (%u more failures since the last such line)",
				strerror(-cqe->res), missed);
	}
	acc_arm(a);
}

static void acc_begin_stop(struct rp_acceptor *a)
{
	struct io_uring_sqe *sqe;

	if (a->stopping)
		return;
	a->stopping = true;
	if (a->accept_armed && (sqe = acc_sqe(a))) {
		io_uring_prep_cancel64(sqe, rp_ud(RP_OP_ACCEPT, 0), 0);
		io_uring_sqe_set_data64(sqe, rp_ud(RP_OP_CANCEL, 0));
	}
}

static void acc_on_msg(struct rp_acceptor *a, const struct io_uring_cqe *cqe)
{
	struct rp_msg m;
	int ret;

	/* STOP is for the acceptor itself; everything else is our own sends */
	if (rp_msg_decode(cqe, &m) && m.type == RP_MSG_STOP) {
		acc_begin_stop(a);
		return;
	}
	ret = rp_msg_dispatch(&a->port, a, cqe);
	if (ret < 0)
		rp_warn("acceptor: message completion: %s", strerror(-ret));
}

static void acc_on_ignored(struct rp_acceptor *a, const struct io_uring_cqe *cqe)
{
	(void)a;
	(void)cqe;
}

static const acc_cqe_fn acc_handlers[RP_OP__COUNT] = {
	[RP_OP_NONE]     = acc_on_ignored,
	[RP_OP_MSG]      = acc_on_msg,
	[RP_OP_ACCEPT]   = acc_on_accept,
	[RP_OP_CANCEL]   = acc_on_ignored,
	[RP_OP_SOCK_CMD] = acc_on_sock_cmd,
};

/* ---- the thread -------------------------------------------------------------- */

static bool acc_drained(const struct rp_acceptor *a)
{
	return a->stopping && !a->accept_armed && !a->n_steering && !a->bl_len &&
	       !rp_msg_port_in_flight(&a->port);
}

static int acc_loop(struct rp_acceptor *a)
{
	while (!acc_drained(a)) {
		struct io_uring_cqe *cqe;
		unsigned head, n = 0;
		int ret = io_uring_submit_and_wait(&a->ring, 1);

		if (ret < 0 && ret != -EINTR && ret != -EAGAIN && ret != -EBUSY) {
			rp_err("acceptor: io_uring_submit_and_wait: %s", strerror(-ret));
			return ret;
		}
		io_uring_for_each_cqe(&a->ring, head, cqe) {
			enum rp_op op = rp_ud_op(cqe->user_data);

			if ((unsigned)op < RP_OP__COUNT && acc_handlers[op])
				acc_handlers[op](a, cqe);
			else
				rp_warn("acceptor: CQE with unexpected op %u", (unsigned)op);
			n++;
		}
		io_uring_cq_advance(&a->ring, n);
		acc_backlog_drain(a);
	}
	return 0;
}

static int acc_pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return 0;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return -pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static int acc_setup_ring(struct rp_acceptor *a)
{
	int ret = io_uring_queue_init(ACC_RING_ENTRIES, &a->ring,
				      IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN);

	if (ret < 0) {
		rp_err("acceptor: io_uring_queue_init(SINGLE_ISSUER|DEFER_TASKRUN): %s",
		       strerror(-ret));
		return ret;
	}
	ret = io_uring_register_files_sparse(&a->ring, a->p.files);
	if (ret == 0)
		ret = rp_msg_port_init(&a->port, &a->ring, ACC_OUTBOX, NULL);
	if (ret < 0) {
		rp_err("acceptor: fixed files (%u) / message port: %s", a->p.files, strerror(-ret));
		io_uring_queue_exit(&a->ring);
		return ret;
	}
	a->port.on_bounce = acc_on_bounce;
	a->port.owner = a;
	a->ring_fd = a->ring.ring_fd;
	return 0;
}

static int acc_setup(struct rp_acceptor *a)
{
	socklen_t len = sizeof(a->local);
	int ret = acc_pin(a->p.cpu);

	if (ret) {
		rp_err("acceptor: cannot pin to CPU %d: %s", a->p.cpu, strerror(-ret));
		return ret;
	}
	if (getsockname(a->p.listen_fd, (struct sockaddr *)&a->local, &len) < 0) {
		ret = -errno;
		rp_err("acceptor: listening socket %d: %s", a->p.listen_fd, strerror(errno));
		return ret;
	}
	/* SO_PEERNAME wants exactly the address's size, not more */
	a->peer_len = a->local.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
						     : sizeof(struct sockaddr_in);
	ret = rp_steer_init(&a->steer, a->p.policy, a->p.n_targets);
	for (unsigned i = 0; ret == 0 && i < a->p.n_napi; i++)
		ret = rp_steer_map_napi(&a->steer, a->p.napi[i].napi_id, a->p.napi[i].queue);
	if (ret < 0) {
		rp_err("acceptor: steering %s over %u workers: %s",
		       rp_steer_policy_name(a->p.policy), a->p.n_targets, strerror(-ret));
		return ret;
	}
	return acc_setup_ring(a);
}

static void acc_teardown(struct rp_acceptor *a)
{
	a->st.handed_off = a->port.stats.delivered;
	a->st.retries = a->port.stats.retries;
	a->st.err_no_slot += a->port.stats.no_slot;
	a->st.napi_fallbacks = a->steer.stats.napi_fallbacks;
	rp_msg_port_fini(&a->port);
	/* closes any slot still in the table (none after a clean drain) */
	io_uring_unregister_files(&a->ring);
	io_uring_queue_exit(&a->ring);
}

static void *acc_main(void *arg)
{
	struct rp_acceptor *a = arg;
	int ret = acc_setup(a);

	if (ret) {
		a->start_err = ret;
		sem_post(&a->started);
		return NULL;
	}
	acc_arm(a);
	io_uring_submit(&a->ring);
	sem_post(&a->started);
	ret = acc_loop(a);
	acc_teardown(a);
	a->start_err = ret;
	return NULL;
}

/* ---- API --------------------------------------------------------------------- */

static int acc_check(const struct rp_acceptor_params *p)
{
	if (!p->n_targets || p->n_targets > RP_ACCEPTOR_MAX_TARGETS || !p->target_ring_fds ||
	    (unsigned)p->policy >= RP_STEER__COUNT || p->listen_fd < 0)
		return -EINVAL;
	return 0;
}

/* ", NAPI id 12 -> worker 0, 13 -> worker 1" for the start-up log line;
 * empty unless the napi policy has a map. */
static const char *napi_note(const struct rp_acceptor_params *p, char *note, size_t size)
{
	size_t off = 0;

	note[0] = 0;
	for (unsigned i = 0; p->policy == RP_STEER_NAPI && i < p->n_napi && off < size; i++) {
		int k = snprintf(note + off, size - off, "%s%u -> worker %u",
				 i ? ", " : ", NAPI id ", p->napi[i].napi_id,
				 rp_steer_queue_worker(p->napi[i].queue, p->n_targets));
		off += k > 0 ? (size_t)k : 0;
	}
	return note;
}

int rp_acceptor_start(struct rp_acceptor **out, const struct rp_acceptor_params *p)
{
	char note[256];
	struct rp_acceptor *a;
	int ret = acc_check(p);

	if (ret)
		return ret;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->p = *p;
	a->own_lfd = -1;
	if (!a->p.files)
		a->p.files = ACC_FILES_DEFAULT;
	a->fds = malloc(p->n_targets * sizeof(*a->fds));
	a->loads = calloc(p->n_targets, sizeof(*a->loads));
	a->conns = calloc(a->p.files, sizeof(*a->conns));
	a->backlog = calloc(a->p.files, sizeof(*a->backlog));
	if (!a->fds || !a->loads || !a->conns || !a->backlog) {
		rp_acceptor_free(a);
		return -ENOMEM;
	}
	memcpy(a->fds, p->target_ring_fds, p->n_targets * sizeof(*a->fds));
	sem_init(&a->started, 0, 0);
	ret = -pthread_create(&a->thread, NULL, acc_main, a);
	if (ret == 0) {
		while (sem_wait(&a->started) && errno == EINTR)
			;
		ret = a->start_err;
		if (ret)
			pthread_join(a->thread, NULL);
	}
	if (ret) {
		sem_destroy(&a->started);
		rp_acceptor_free(a);
		return ret;
	}
	rp_info("acceptor: ring fd %d, steering %s over %u workers%s", a->ring_fd,
		rp_steer_policy_name(p->policy), p->n_targets, napi_note(p, note, sizeof(note)));
	*out = a;
	return 0;
}

int rp_acceptor_stop(struct rp_acceptor *a)
{
	int ret = rp_msg_send_sync(a->ring_fd, &(struct rp_msg){ .type = RP_MSG_STOP });

	if (ret < 0) {
		rp_err("acceptor: cannot send stop message: %s", strerror(-ret));
		return ret;
	}
	pthread_join(a->thread, NULL);
	sem_destroy(&a->started);
	return a->start_err;
}

void rp_acceptor_stats(const struct rp_acceptor *a, struct rp_acceptor_stats *out)
{
	*out = a->st;
}

void rp_acceptor_free(struct rp_acceptor *a)
{
	if (!a)
		return;
	if (a->own_lfd >= 0)
		close(a->own_lfd);
	free(a->fds);
	free(a->loads);
	free(a->conns);
	free(a->backlog);
	free(a);
}

static int acc_listen(const struct rp_service_cfg *svc)
{
	int one = 1, err, fd = socket(svc->listen.ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	const char *step = "socket";

	if (fd < 0)
		goto fail;
	step = "bind";
	/* SO_REUSEPORT: a successor's acceptor (run --takeover) joins this
	 * listener's group; a plain second run is refused by addr_owner.h. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
	    bind(fd, (const struct sockaddr *)&svc->listen.ss, svc->listen.len))
		goto fail;
	step = "listen";
	if (listen(fd, SOMAXCONN) == 0)
		return fd;
fail:
	err = errno;
	if (fd >= 0)
		close(fd);
	rp_err("service %s: acceptor: %s %s: %s", svc->name, step, svc->listen.text, strerror(err));
	return -err;
}

/* napi steering with nothing to map: say so once, plainly. */
static void acc_warn_no_napi(const struct rp_service_cfg *svc, const struct rp_acceptor_params *p)
{
	if (p->policy == RP_STEER_NAPI && !p->n_napi)
		rp_warn("service %s: steering napi, but no served rx queue has a NAPI id (no "
			"interfaces[], or devices without NAPI: tap, ifb, veth with GRO off): "
			"every connection falls back to hash (napi_fallbacks)", svc->name);
}

int rp_acceptor_start_service(struct rp_acceptor **out, const struct rp_service_cfg *svc,
			      unsigned svc_idx, const struct rp_acceptor_params *p)
{
	struct rp_acceptor_params prm = *p;
	int lfd = acc_listen(svc), ret;

	if (lfd < 0)
		return lfd;
	prm.listen_fd = lfd;
	prm.policy = svc->steering;
	prm.svc = svc_idx;
	prm.cpu = -1;
	acc_warn_no_napi(svc, &prm);
	ret = rp_acceptor_start(out, &prm);
	if (ret) {
		close(lfd);
		return ret;
	}
	(*out)->own_lfd = lfd;
	return 0;
}
