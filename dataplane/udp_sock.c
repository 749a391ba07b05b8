/* SPDX-License-Identifier: MIT */
/*
 * UDP service sockets and multishot receives (udp_sock.h).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "dataplane/log.h"
#include "dataplane/udp_sock.h"
#include "dataplane/worker.h"

struct rp_tx rp_svc_tx(struct rp_worker *w, struct rp_svc_inst *si)
{
	struct rp_tx tx = w->tx;

	tx.ctr = si->ctr;
	return tx;
}

bool rp_udp_recv_arm(struct rp_worker *w, int fd, struct msghdr *mh, uint64_t ud)
{
	struct io_uring_sqe *sqe = rp_worker_sqe(w);

	if (!sqe)
		return false;
	io_uring_prep_recvmsg_multishot(sqe, fd, mh, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = w->pool.bgid;
	io_uring_sqe_set_data64(sqe, ud);
	return true;
}

unsigned rp_udp_recv_cqe(struct rp_worker *w, struct rp_svc_inst *si,
			 const struct io_uring_cqe *cqe, bool *armed, bool *starved, int *err)
{
	unsigned bid;

	*err = 0;
	if (!(cqe->flags & IORING_CQE_F_MORE))
		*armed = false;
	if (cqe->res < 0) {
		*err = cqe->res;
		if (cqe->res == -ENOBUFS) {
			/* Backpressure: datagrams wait in the socket until buffers return. */
			rp_count(si->ctr, RP_C_ERR_ENOBUFS, 1);
			*starved = true;
			rp_bufpool_starve(&w->pool);
		} else if (cqe->res != -ECANCELED) {
			rp_count(si->ctr, RP_C_ERR_RECV, 1);
			rp_dbg("service %s: recvmsg: %s", si->cfg->name, strerror(-cqe->res));
		}
		return RP_BID_NONE;
	}
	if (!(cqe->flags & IORING_CQE_F_BUFFER))
		return RP_BID_NONE;
	bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
	if (rp_buf_got(&w->pool, bid))
		return bid;
	rp_count(si->ctr, RP_C_ERR_BAD_BUFFER, 1);
	rp_dbg("service %s: kernel returned buffer %u that is not free", si->cfg->name, bid);
	return RP_BID_NONE;
}

int rp_udp_sock_open(struct rp_udp_sock *u, struct rp_worker *w, struct rp_svc_inst *si)
{
	memset(u, 0, sizeof(*u));
	u->fd = rp_svc_socket(si);
	if (u->fd < 0)
		return u->fd;
	u->mh.msg_namelen = si->cfg->listen.len;
	rp_zc_sock_init(&u->zs, &w->cfg->zerocopy, si->cfg->zerocopy);
	rp_peer_table_init(&u->peers, &u->zs, si->cfg->gso_retry_ms);
	if (rp_gso_init(&u->gso, u->fd, rp_svc_tag(si->idx, 0), si->cfg->gso, &u->peers,
			&u->zs) < 0) {
		close(u->fd);
		return -ENOMEM;
	}
	return 0;
}

void rp_udp_sock_arm(struct rp_udp_sock *u, struct rp_worker *w, struct rp_svc_inst *si)
{
	if (!u->armed && !si->stopping)
		u->armed = rp_udp_recv_arm(w, u->fd, &u->mh, rp_svc_ud(RP_OP_RECV, si->idx, 0));
}

void rp_udp_sock_cancel(struct rp_udp_sock *u, struct rp_worker *w, struct rp_svc_inst *si)
{
	struct io_uring_sqe *sqe;

	if (!u->armed || !(sqe = rp_worker_sqe(w)))
		return;
	io_uring_prep_cancel64(sqe, rp_svc_ud(RP_OP_RECV, si->idx, 0), 0);
	io_uring_sqe_set_data64(sqe, rp_svc_ud(RP_OP_CANCEL, si->idx, 0));
}

void rp_udp_sock_flush(struct rp_udp_sock *u, struct rp_worker *w, struct rp_svc_inst *si)
{
	struct rp_tx tx;

	if (!u->gso.n_gather)
		return;
	tx = rp_svc_tx(w, si);
	rp_gso_flush(&u->gso, &tx);
}

void rp_udp_sock_gso_done(struct rp_udp_sock *u, struct rp_worker *w, struct rp_svc_inst *si,
			  const struct io_uring_cqe *cqe)
{
	struct rp_tx tx = rp_svc_tx(w, si);

	rp_gso_complete(&u->gso, &tx, cqe);
}

struct rp_zc_sock *rp_udp_sock_zc(struct rp_udp_sock *u, uint64_t object)
{
	struct rp_peer *p;

	if (!object)
		return &u->zs;
	p = rp_peer_by_ref(&u->peers, (uint32_t)object);
	return p ? &p->zs : NULL;
}

void rp_udp_sock_close(struct rp_udp_sock *u)
{
	rp_gso_destroy(&u->gso);
	close(u->fd);
	u->fd = -1;
}
