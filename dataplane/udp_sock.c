/* SPDX-License-Identifier: MIT */
/*
 * UDP service sockets and multishot receives (udp_sock.h).
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <string.h>
#include <unistd.h>

#include "dataplane/log.h"
#include "dataplane/udp_sock.h"
#include "dataplane/worker.h"

#ifndef UDP_GRO
#define UDP_GRO 104		/* linux/udp.h; glibc's netinet/udp.h may lack it */
#endif

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

/* ---- coalesced receives ------------------------------------------------- */

bool rp_udp_sock_gro(struct rp_udp_sock *u, struct rp_worker *w, struct rp_svc_inst *si)
{
	int one = 1;

	/* only where every datagram a train may carry is a copy anyway: a
	 * coalesced buffer that may not ride a train leaves as copies */
	if (!si->cfg->gso || si->cfg->sockperf || w->cfg->buffers.size < RP_GRO_MIN_BUF ||
	    !rp_zc_would_copy(&u->zs, RP_GSO_MAX_SEG4))
		return false;
	if (setsockopt(u->fd, IPPROTO_UDP, UDP_GRO, &one, sizeof(one))) {
		rp_dbg("service %s: UDP_GRO: %s", si->cfg->name, strerror(errno));
		return false;
	}
	u->mh.msg_controllen = CMSG_SPACE(sizeof(int));
	return true;
}

unsigned rp_udp_gro_seg(struct io_uring_recvmsg_out *out, struct msghdr *mh)
{
	struct cmsghdr *cm;
	int seg;

	if (!mh->msg_controllen)
		return 0;
	for (cm = io_uring_recvmsg_cmsg_firsthdr(out, mh); cm;
	     cm = io_uring_recvmsg_cmsg_nexthdr(out, mh, cm))
		if (cm->cmsg_level == SOL_UDP && cm->cmsg_type == UDP_GRO &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(int))) {
			memcpy(&seg, CMSG_DATA(cm), sizeof(seg));
			return seg > 0 && seg <= UINT16_MAX ? (unsigned)seg : 0;
		}
	return 0;
}

/* ---- takeover (takeover.h) ----------------------------------------------- */

/* A wildcard address as the loopback of its family; the port stays. */
static void wildcard_to_loopback(struct sockaddr_storage *ss)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET && in->sin_addr.s_addr == htonl(INADDR_ANY))
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else if (ss->ss_family == AF_INET6 && IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr))
		in6->sin6_addr = in6addr_loopback;
}

static int udp_connect_self(int fd)
{
	struct sockaddr_storage self;
	socklen_t len = sizeof(self);

	if (getsockname(fd, (struct sockaddr *)&self, &len))
		return -errno;
	wildcard_to_loopback(&self);
	return connect(fd, (const struct sockaddr *)&self, len) ? -errno : 0;
}

void rp_udp_sock_leave(struct rp_udp_sock *u, struct rp_svc_inst *si)
{
	int ret = udp_connect_self(u->fd);

	if (ret)
		rp_warn("service %s: takeover: cannot connect its socket to itself (%s): it stays "
			"in its reuseport group, and datagrams that reach it after the drain are "
			"lost", si->cfg->name, strerror(-ret));
}

bool rp_udp_sock_left(const struct rp_udp_sock *u)
{
	char b;

	return recv(u->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT | MSG_TRUNC) < 0 &&
	       (errno == EAGAIN || errno == EWOULDBLOCK);
}
