/* SPDX-License-Identifier: MIT */
/*
 * zc-tx through the appliance's own transmit path (dataplane/zc.h): buffers
 * from an rp_bufpool, the send decided by an rp_zc_sock policy, submitted by
 * rp_tx_send() with RP_TX_PUT_ON_SENT and accounted by rp_tx_complete(), which
 * recycles each buffer on its send CQE (copy) or its F_NOTIF CQE (zerocopy).
 * The loop around it is the same as the raw reference's
 * (baselines/raw_zc.c), so "ringplane / raw" is the cost of the path.
 *
 * The bench's modes map onto the policy: copy = never, send_zc_fixed =
 * always, auto = auto with the benchmark's threshold. Every zerocopy send asks
 * for a usage report (sample_every = 1), as the benchmark requires; note that
 * auto then switches a socket to copy sends at its first copied report, which
 * is the policy at work (on veth it does).
 */
#include <errno.h>
#include <liburing.h>
#include <stdio.h>
#include <string.h>

#include "bench/zc_tx.h"
#include "dataplane/bufpool.h"
#include "dataplane/counters.h"
#include "dataplane/udata.h"
#include "dataplane/zc.h"

/* The bench's mode -> the policy; -1: not something the appliance does. */
static const int app_policy[ZC_MODE__COUNT] = {
	[ZC_MODE_COPY] = RP_ZC_NEVER,
	[ZC_MODE_SEND_ZC] = -1,
	[ZC_MODE_SEND_ZC_FIXED] = RP_ZC_ALWAYS,
	[ZC_MODE_SENDMSG_ZC] = -1,
	[ZC_MODE_AUTO] = RP_ZC_AUTO,
	[ZC_MODE_MSG_ZEROCOPY] = -1,
};

struct app_tx {
	struct io_uring ring;
	bool ring_ok;
	struct rp_bufpool pool;
	struct rp_counters ctr;
	struct rp_tx tx;
	struct rp_zc_sock zs;
};

static int fail(struct zc_tx_result *r, const char *what, int err)
{
	snprintf(r->err, sizeof(r->err), "appliance tx path: %s: %s", what, strerror(err));
	return -1;
}

static int app_setup(struct app_tx *a, const struct zc_tx_case *c, struct zc_tx_result *r)
{
	const struct rp_zerocopy_cfg zcfg = {
		.mode = (enum rp_zc_mode)app_policy[c->mode],
		.threshold = c->auto_threshold,
		.sample_every = 1,
	};
	const struct rp_bufpool_params prm = {
		.size = c->size, .count = 2 * c->batch, .hugepages = RP_HUGE_OFF,
		.recv_ring = false, .spare = 2 * c->batch,
	};
	struct io_uring_params p = {
		.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
			 IORING_SETUP_CQSIZE,
		.cq_entries = 8 * c->batch < 64 ? 64 : 8 * c->batch,
	};
	int ret;

	ret = io_uring_queue_init_params(c->batch < 8 ? 8 : c->batch, &a->ring, &p);
	if (ret < 0)
		return fail(r, "io_uring_queue_init_params", -ret);
	a->ring_ok = true;
	ret = rp_bufpool_init(&a->pool, &a->ring, &prm, r->err, sizeof(r->err));
	if (ret < 0)
		return -1;
	rp_zc_sock_init(&a->zs, &zcfg, RP_UNSET);
	a->tx = (struct rp_tx){ .ring = &a->ring, .pool = &a->pool, .ctr = &a->ctr };
	return 0;
}

static void app_teardown(struct app_tx *a)
{
	if (!a->ring_ok)
		return;
	rp_bufpool_destroy(&a->pool);
	io_uring_queue_exit(&a->ring);
}

static int app_cqe(void *arg, const struct io_uring_cqe *cqe, struct zc_tx_result *r)
{
	struct app_tx *a = arg;
	struct rp_tx_event ev;
	enum rp_op op = rp_ud_op(cqe->user_data);

	if (op != RP_OP_SEND && op != RP_OP_SEND_ZC)
		return 0;
	rp_tx_complete(&a->tx, &a->zs, cqe, &ev);
	if (ev.what == RP_TX_NOTIF) {
		/* sample_every = 1: each notification reports its send */
		r->notifs++;
		r->zc_sends++;
		if ((uint32_t)ev.res & IORING_NOTIF_USAGE_ZC_COPIED)
			r->zc_copied++;
		return 0;
	}
	if (ev.res < 0) {
		snprintf(r->err, sizeof(r->err), "appliance tx path: %s (buffer %u): %s",
			 ev.zc ? "SEND_ZC" : "SEND", ev.bid, strerror(-ev.res));
		return -1;
	}
	r->requests++;
	r->bytes += (unsigned)ev.res;
	return 0;
}

/* Up to a batch of sends through rp_tx_send(), as many as the pool has. */
static unsigned app_fill(void *arg, const struct zc_tx_case *c)
{
	struct app_tx *a = arg;
	unsigned n = 0;

	while (n < c->batch) {
		unsigned bid = rp_buf_take(&a->pool);

		if (bid == RP_BID_NONE)
			break;
		if (rp_tx_send(&a->tx, &a->zs, &(struct rp_tx_req){
			.fd = c->fd, .bid = bid, .len = c->size, .flags = RP_TX_PUT_ON_SENT }) < 0) {
			rp_buf_put(&a->pool, bid);
			break;
		}
		n++;
	}
	return n;
}

static unsigned app_in_flight(void *arg)
{
	const struct app_tx *a = arg;

	return rp_bufpool_in_flight(&a->pool);
}

static const struct zc_tx_ring_ops app_ops = {
	.name = "appliance tx path", .fill = app_fill, .cqe = app_cqe, .in_flight = app_in_flight,
};

int zc_tx_app_run(const struct zc_tx_case *c, struct zc_tx_result *r)
{
	struct app_tx a = { 0 };
	int ret;

	if (app_policy[c->mode] < 0)
		return fail(r, zc_tx_mode_name(c->mode), EOPNOTSUPP);
	ret = app_setup(&a, c, r);
	for (unsigned bid = 0; ret == 0 && bid < a.pool.count; bid++)
		memset(rp_buf_addr(&a.pool, bid), 0xa5, c->size);
	if (ret == 0)
		ret = zc_tx_ring_loop(&a.ring, &app_ops, &a, c, r);
	app_teardown(&a);
	return ret;
}
