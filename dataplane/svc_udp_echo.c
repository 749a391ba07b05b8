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
 * Coalesced requests (UDP GRO): with GSO on, no sockperf framing, buffers
 * of at least RP_GRO_MIN_BUF bytes (udp_sock.h's rule, udp-relay's too) and a zerocopy policy that copies
 * datagrams of train size (never, or auto with its default threshold), the
 * socket asks the kernel
 * for them (UDP_GRO): a peer's datagrams that arrive together as one
 * GSO/GRO packet (a client sending trains, a NIC's GRO) reach us as ONE
 * buffer, cut every `seg` bytes (a UDP_GRO control message), instead of
 * one receive and one completion per datagram. The buffer goes back as
 * one train cut at the same size (gso.h), so the peer gets the same
 * datagrams. Smaller buffers cannot take it: a coalesced packet is up to
 * 64 KiB, and one that does not fit would be truncated, its datagrams
 * lost. Sockperf replies are built datagram by datagram, so not there.
 *
 * What the kernel reports about a send (a zerocopy send it copied, a GSO
 * send it refused) concerns the path to one destination, so the policy
 * lives per destination address in a bounded peer table (peer.h) and every
 * such fallback expires (zerocopy.fallback-retry-ms, services[].gso-retry-ms).
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dataplane/log.h"
#include "dataplane/sockperf.h"
#include "dataplane/udp_sock.h"
#include "dataplane/worker.h"

/* The service's state on one worker is its socket (udp_sock.h). */
static int udp_open(struct rp_worker *w, struct rp_svc_inst *si)
{
	struct rp_udp_sock *u = malloc(sizeof(*u));
	int ret;

	if (!u)
		return -ENOMEM;
	ret = rp_udp_sock_open(u, w, si);
	if (ret) {
		free(u);
		return ret;
	}
	(void)rp_udp_sock_gro(u, w, si);
	si->priv = u;
	return 0;
}

static void udp_arm(struct rp_worker *w, struct rp_svc_inst *si)
{
	rp_udp_sock_arm(si->priv, w, si);
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

static void udp_datagram(struct rp_worker *w, struct rp_svc_inst *si, unsigned bid, int res)
{
	struct rp_udp_sock *u = si->priv;
	uint8_t *buf = rp_buf_addr(&w->pool, bid);
	struct io_uring_recvmsg_out *out = io_uring_recvmsg_validate(buf, res, &u->mh);
	struct rp_tx tx = rp_svc_tx(w, si);
	uint8_t *payload;
	unsigned len, seg, n;

	if (!out) {
		rp_count(si->ctr, RP_C_ERR_RECV, 1);
		rp_buf_put(&w->pool, bid);
		return;
	}
	payload = io_uring_recvmsg_payload(out, &u->mh);
	len = io_uring_recvmsg_payload_length(out, res, &u->mh);
	seg = rp_udp_gro_seg(out, &u->mh);
	n = rp_gso_dgrams(len, seg);
	if (n > 1)
		rp_count(si->ctr, RP_C_GRO_RECEIVES, 1);
	rp_count(si->ctr, RP_C_RX_PACKETS, n);
	rp_count(si->ctr, RP_C_RX_BYTES, len);
	if (!udp_should_echo(si, out, payload, len)) {
		rp_buf_put(&w->pool, bid);
		return;
	}
	rp_gso_gather(&u->gso, &tx, &(struct rp_gso_reply){
		.bid = (uint16_t)bid, .off = (uint16_t)(payload - buf), .len = len,
		.dst = io_uring_recvmsg_name(out), .dstlen = out->namelen, .seg = (uint16_t)seg });
}

static void udp_flush(struct rp_worker *w, struct rp_svc_inst *si)
{
	rp_udp_sock_flush(si->priv, w, si);
}

static void udp_on_gso(struct rp_worker *w, struct rp_svc_inst *si, const struct io_uring_cqe *cqe)
{
	rp_udp_sock_gso_done(si->priv, w, si, cqe);
}

static void udp_on_recv(struct rp_worker *w, struct rp_svc_inst *si, const struct io_uring_cqe *cqe)
{
	struct rp_udp_sock *u = si->priv;
	int err;
	unsigned bid = rp_udp_recv_cqe(w, si, cqe, &u->armed, &si->starved, &err);

	if (bid != RP_BID_NONE)
		udp_datagram(w, si, bid, cqe->res);
	if (!u->armed && !si->starved)
		udp_arm(w, si);
}

static struct rp_zc_sock *udp_zc_sock(struct rp_svc_inst *si, uint64_t object)
{
	return rp_udp_sock_zc(si->priv, object);
}

static void udp_stop(struct rp_worker *w, struct rp_svc_inst *si)
{
	rp_udp_sock_cancel(si->priv, w, si);
}

/* Takeover: out of the group; the armed receive reads what is queued. */
static void udp_leave(struct rp_worker *w, struct rp_svc_inst *si)
{
	(void)w;
	rp_udp_sock_leave(si->priv, si);
}

static bool udp_left(struct rp_worker *w, struct rp_svc_inst *si)
{
	(void)w;
	return rp_udp_sock_left(si->priv);
}

static void udp_destroy(struct rp_worker *w, struct rp_svc_inst *si)
{
	(void)w;
	rp_udp_sock_close(si->priv);
	free(si->priv);
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
