/* SPDX-License-Identifier: MIT */
/*
 * udp-echo: per worker one UDP socket (SO_REUSEPORT) with one multishot
 * recvmsg picking buffers from the worker's buffer ring. Each datagram is
 * answered to its sender from the very buffer it arrived in: the payload and
 * the sender's address both live in that buffer (io_uring_recvmsg_out
 * layout), so the reply needs no copy in user space and, at or above the
 * zerocopy threshold, none in the kernel either.
 *
 * A datagram larger than a buffer arrives truncated (MSG_TRUNC): it is
 * counted (err_truncated) and NOT echoed, since a client checking its echo
 * would take the shortened copy for corruption. In sockperf mode only
 * messages asking for a reply (PONG_REQUEST) are answered, with the CLIENT
 * bit cleared; a datagram whose header length disagrees with its size is a
 * bad frame (err_bad_frame) and dropped.
 *
 * Every reply is gathered while the worker handles a CQE batch and sent,
 * in arrival order, when it is done (flush, gso.h): consecutive equal-size
 * replies to one peer leave as one UDP GSO send (unless the service sets
 * `gso: false`), the others as single copy or zerocopy sends in their
 * place, so the replies to one peer leave in the order of its requests
 * whatever their sizes.
 *
 * What the kernel reports about a send (a zerocopy send it copied, a GSO
 * send it refused) concerns the path to one destination, so the policy
 * lives per destination address in a bounded peer table (peer.h) and every
 * such fallback expires (zerocopy.fallback-retry-ms, services[].gso-retry-ms).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dataplane/gso.h"
#include "dataplane/log.h"
#include "dataplane/peer.h"
#include "dataplane/sockperf.h"
#include "dataplane/worker.h"

struct udp_echo {
	int fd;
	bool armed;		/* the multishot recvmsg is in the kernel */
	struct msghdr mh;	/* the layout template recvmsg fills each buffer by */
	struct rp_zc_sock zs;	/* the service's policy: what a new peer starts from */
	struct rp_peer_table peers;
	struct rp_gso gso;
};

static int udp_open(struct rp_worker *w, struct rp_svc_inst *si)
{
	struct udp_echo *u = calloc(1, sizeof(*u));

	if (!u)
		return -ENOMEM;
	u->fd = rp_svc_socket(si);
	if (u->fd < 0) {
		int ret = u->fd;
		free(u);
		return ret;
	}
	u->mh.msg_namelen = si->cfg->listen.len;
	rp_zc_sock_init(&u->zs, &w->cfg->zerocopy, si->cfg->zerocopy);
	rp_peer_table_init(&u->peers, &u->zs, si->cfg->gso_retry_ms);
	if (rp_gso_init(&u->gso, u->fd, rp_svc_tag(si->idx, 0), si->cfg->gso, &u->peers,
			&u->zs) < 0) {
		close(u->fd);
		free(u);
		return -ENOMEM;
	}
	si->priv = u;
	return 0;
}

static void udp_arm(struct rp_worker *w, struct rp_svc_inst *si)
{
	struct udp_echo *u = si->priv;
	struct io_uring_sqe *sqe;

	if (u->armed || si->stopping || !(sqe = rp_worker_sqe(w)))
		return;
	io_uring_prep_recvmsg_multishot(sqe, u->fd, &u->mh, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = w->pool.bgid;
	io_uring_sqe_set_data64(sqe, rp_svc_ud(RP_OP_RECV, si->idx, 0));
	u->armed = true;
}

/* The receive ended or failed; decide whether and when to receive again. */
static void udp_recv_error(struct rp_worker *w, struct rp_svc_inst *si, int res)
{
	if (res == -ENOBUFS) {
		/* Backpressure: datagrams wait in the socket until buffers return. */
		rp_count(si->ctr, RP_C_ERR_ENOBUFS, 1);
		si->starved = true;
		rp_bufpool_starve(&w->pool);
	} else if (res != -ECANCELED) {
		rp_count(si->ctr, RP_C_ERR_RECV, 1);
		rp_dbg("service %s: recvmsg: %s", si->cfg->name, strerror(-res));
	}
}

/* Is this datagram to be answered? Turns a sockperf request into its reply. */
static bool udp_should_echo(struct rp_svc_inst *si, struct io_uring_recvmsg_out *out,
			    uint8_t *payload, unsigned len)
{
	struct rp_sp_hdr h;

	if (out->flags & MSG_TRUNC) {
		rp_count(si->ctr, RP_C_ERR_TRUNCATED, 1);
		return false;
	}
	if (!si->cfg->sockperf)
		return true;
	if (len < RP_SP_HDR_LEN || !rp_sp_parse(payload, &h) || h.len != len) {
		rp_count(si->ctr, RP_C_ERR_BAD_FRAME, 1);
		return false;
	}
	if (!rp_sp_wants_reply(&h))
		return false;
	rp_sp_make_reply(payload);
	return true;
}

/* The worker's tx context, counting into this service's block. */
static struct rp_tx svc_tx(struct rp_worker *w, struct rp_svc_inst *si)
{
	struct rp_tx tx = w->tx;

	tx.ctr = si->ctr;
	return tx;
}

static void udp_datagram(struct rp_worker *w, struct rp_svc_inst *si, unsigned bid, int res)
{
	struct udp_echo *u = si->priv;
	uint8_t *buf = rp_buf_addr(&w->pool, bid);
	struct io_uring_recvmsg_out *out = io_uring_recvmsg_validate(buf, res, &u->mh);
	struct rp_tx tx = svc_tx(w, si);
	struct rp_tx_req req;
	uint8_t *payload;
	unsigned len;

	if (!out) {
		rp_count(si->ctr, RP_C_ERR_RECV, 1);
		rp_buf_put(&w->pool, bid);
		return;
	}
	payload = io_uring_recvmsg_payload(out, &u->mh);
	len = io_uring_recvmsg_payload_length(out, res, &u->mh);
	rp_count(si->ctr, RP_C_RX_PACKETS, 1);
	rp_count(si->ctr, RP_C_RX_BYTES, len);
	if (!udp_should_echo(si, out, payload, len)) {
		rp_buf_put(&w->pool, bid);
		return;
	}
	req = (struct rp_tx_req){
		.fd = u->fd, .flags = RP_TX_PUT_ON_SENT, .bid = bid,
		.off = (unsigned)(payload - buf), .len = len,
		.dst = io_uring_recvmsg_name(out), .dstlen = out->namelen,
	};
	rp_gso_add(&u->gso, &tx, &req);
}

static void udp_flush(struct rp_worker *w, struct rp_svc_inst *si)
{
	struct udp_echo *u = si->priv;
	struct rp_tx tx;

	if (!u->gso.n_gather)
		return;
	tx = svc_tx(w, si);
	rp_gso_flush(&u->gso, &tx);
}

static void udp_on_gso(struct rp_worker *w, struct rp_svc_inst *si, const struct io_uring_cqe *cqe)
{
	struct udp_echo *u = si->priv;
	struct rp_tx tx = svc_tx(w, si);

	rp_gso_complete(&u->gso, &tx, cqe);
}

static void udp_on_recv(struct rp_worker *w, struct rp_svc_inst *si, const struct io_uring_cqe *cqe)
{
	struct udp_echo *u = si->priv;

	if (!(cqe->flags & IORING_CQE_F_MORE))
		u->armed = false;
	if (cqe->res < 0)
		udp_recv_error(w, si, cqe->res);
	else if (cqe->flags & IORING_CQE_F_BUFFER) {
		unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;

		if (rp_buf_got(&w->pool, bid)) {
			udp_datagram(w, si, bid, cqe->res);
		} else {
			rp_count(si->ctr, RP_C_ERR_BAD_BUFFER, 1);
			rp_dbg("service %s: kernel returned buffer %u that is not free", si->cfg->name, bid);
		}
	}
	if (!u->armed && !si->starved)
		udp_arm(w, si);
}

/* object: the peer a send was made for (rp_peer_ref), 0 for none. NULL once
 * that peer was evicted: its late notification switches nobody. */
static struct rp_zc_sock *udp_zc_sock(struct rp_svc_inst *si, uint64_t object)
{
	struct udp_echo *u = si->priv;
	struct rp_peer *p;

	if (!object)
		return &u->zs;
	p = rp_peer_by_ref(&u->peers, (uint32_t)object);
	return p ? &p->zs : NULL;
}

static void udp_stop(struct rp_worker *w, struct rp_svc_inst *si)
{
	struct udp_echo *u = si->priv;
	struct io_uring_sqe *sqe;

	if (!u->armed || !(sqe = rp_worker_sqe(w)))
		return;
	io_uring_prep_cancel64(sqe, rp_svc_ud(RP_OP_RECV, si->idx, 0), 0);
	io_uring_sqe_set_data64(sqe, rp_svc_ud(RP_OP_CANCEL, si->idx, 0));
}

/* Takeover: out of the group; the armed receive reads what is queued. */
static void udp_leave(struct rp_worker *w, struct rp_svc_inst *si)
{
	struct udp_echo *u = si->priv;

	(void)w;
	if (rp_svc_udp_leave(si, u->fd))
		rp_warn("service %s: still in its reuseport group: datagrams that reach it "
			"after the drain are lost", si->cfg->name);
}

static bool udp_left(struct rp_worker *w, struct rp_svc_inst *si)
{
	(void)w;
	return rp_svc_udp_queue_empty(((struct udp_echo *)si->priv)->fd);
}

static void udp_destroy(struct rp_worker *w, struct rp_svc_inst *si)
{
	struct udp_echo *u = si->priv;

	(void)w;
	rp_gso_destroy(&u->gso);
	close(u->fd);
	free(u);
	si->priv = NULL;
}

const struct rp_svc_ops rp_svc_udp_echo = {
	.name = "udp-echo",
	.open = udp_open,
	.arm = udp_arm,
	.on_recv = udp_on_recv,
	.on_gso = udp_on_gso,
	.flush = udp_flush,
	.zc_sock = udp_zc_sock,
	.leave = udp_leave,
	.left = udp_left,
	.stop = udp_stop,
	.destroy = udp_destroy,
};
