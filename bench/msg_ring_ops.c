/* SPDX-License-Identifier: MIT */
/*
 * The MSG_RING transports of `bench msg-ring`, one rp_wake_ops per variant.
 * They differ in one setting each from the reference `msg_ring` (sender ring
 * SINGLE_ISSUER, receiver ring SINGLE_ISSUER|DEFER_TASKRUN as ringplane's
 * workers, IOSQE_CQE_SKIP_SUCCESS, one submit per message), so the table
 * shows what each setting buys:
 *   msg_ring_tx0       sender ring without setup flags
 *   msg_ring_txdt      sender ring SINGLE_ISSUER|DEFER_TASKRUN|NO_SQARRAY
 *   msg_ring_regfd     sender ring fd registered (io_uring_register_ring_fd)
 *   msg_ring_sync      no sender ring: rp_msg_send_sync
 *                      (io_uring_register_sync_msg)
 *   msg_ring_plain_rx  receiver ring without DEFER_TASKRUN: the kernel posts
 *                      the CQE from the sender's side instead of queueing
 *                      task work for the receiver to run
 *   msg_ring_port      ringplane's rp_msg_send (dataplane/msg.c)
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <liburing.h>

#include "bench/msg_ring.h"
#include "dataplane/msg.h"

#define MR_RING_ENTRIES 256
#define MR_OUTBOX       256
#define MR_WORKER_FLAGS (IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN)

struct mr_cfg {
	unsigned rx_flags;	/* receiver ring setup flags */
	unsigned tx_flags;	/* sender ring setup flags */
	bool reg_fd;		/* register the sender ring's fd */
	bool port;		/* send through rp_msg_send */
};

struct mr_ring {
	const struct mr_cfg *cfg;
	struct io_uring rx, tx;
	_Atomic int rx_fd;		/* published by the receiver thread */
	struct rp_msg_port port;	/* msg_ring_port only */
};

static void *mr_create(const void *arg)
{
	struct mr_ring *r = calloc(1, sizeof(*r));

	if (r)
		r->cfg = arg;
	return r;
}

static int mr_rx_init(void *st)
{
	struct mr_ring *r = st;
	int ret = io_uring_queue_init(MR_RING_ENTRIES, &r->rx, r->cfg->rx_flags);

	if (ret == 0)
		atomic_store(&r->rx_fd, r->rx.ring_fd);
	return ret;
}

static int mr_tx_init(void *st)
{
	struct mr_ring *r = st;
	int ret = io_uring_queue_init(MR_RING_ENTRIES, &r->tx, r->cfg->tx_flags);

	if (ret < 0)
		return ret;
	if (r->cfg->reg_fd) {
		ret = io_uring_register_ring_fd(&r->tx);
		ret = ret == 1 ? 0 : ret < 0 ? ret : -EIO;
	}
	if (ret == 0 && r->cfg->port)
		ret = rp_msg_port_init(&r->port, &r->tx, MR_OUTBOX, NULL);
	if (ret < 0)
		io_uring_queue_exit(&r->tx);
	return ret;
}

/* Our own completions: only failures for the raw variants (SKIP_SUCCESS;
 * a lost message shows as delivered < sent), every send for the port
 * variant (msg.c frees its outbox entry). */
static void mr_reap(struct mr_ring *r)
{
	struct io_uring_cqe *cqe;

	while (io_uring_peek_cqe(&r->tx, &cqe) == 0) {
		if (r->cfg->port)
			rp_msg_dispatch(&r->port, NULL, cqe);
		io_uring_cqe_seen(&r->tx, cqe);
	}
}

static void mr_between_port(void *st)
{
	mr_reap(st);
}

static struct rp_msg mr_msg(uint64_t stamp)
{
	return (struct rp_msg){
		.type = stamp == RP_WAKE_STOP ? RP_MSG_STOP : RP_MSG_WORK,
		.payload = stamp,
	};
}

/* Ring-less: the thread that calls this owns no ring. */
static int mr_send_sync(void *st, uint64_t stamp)
{
	struct mr_ring *r = st;
	struct rp_msg m = mr_msg(stamp);

	return rp_msg_send_sync(r->rx_fd, &m);
}

static int mr_stop_any(void *st)
{
	return mr_send_sync(st, RP_WAKE_STOP);
}

static int mr_send_raw(void *st, uint64_t stamp)
{
	struct mr_ring *r = st;
	struct io_uring_sqe *sqe = io_uring_get_sqe(&r->tx);
	struct rp_msg m = mr_msg(stamp);
	int ret;

	if (!sqe)
		return -EBUSY;
	io_uring_prep_msg_ring(sqe, r->rx_fd, 0, rp_msg_ud(m.type, m.payload), 0);
	io_uring_sqe_set_flags(sqe, IOSQE_CQE_SKIP_SUCCESS);
	ret = io_uring_submit(&r->tx);
	return ret < 0 ? ret : 0;
}

static int mr_send_port(void *st, uint64_t stamp)
{
	struct mr_ring *r = st;
	struct rp_msg m = mr_msg(stamp);
	int ret = rp_msg_send(&r->port, r->rx_fd, &m);

	if (ret == 0)
		ret = io_uring_submit(&r->tx);
	return ret < 0 ? ret : 0;
}

static int mr_recv(void *st, uint64_t *stamps, unsigned max)
{
	struct mr_ring *r = st;
	struct io_uring_cqe *cqe;
	unsigned head, n = 0, seen = 0;
	int ret = io_uring_wait_cqe(&r->rx, &cqe);

	if (ret < 0)
		return ret;
	io_uring_for_each_cqe(&r->rx, head, cqe) {
		struct rp_msg m;

		if (n == max)
			break;
		seen++;
		if (!rp_msg_decode(cqe, &m))
			continue;
		stamps[n++] = m.type == RP_MSG_STOP ? RP_WAKE_STOP : m.payload;
	}
	io_uring_cq_advance(&r->rx, seen);
	return (int)n;
}

static void mr_tx_fini(void *st)
{
	struct mr_ring *r = st;

	if (r->cfg->port) {
		while (rp_msg_port_in_flight(&r->port)) {
			io_uring_submit_and_wait(&r->tx, 1);
			mr_reap(r);
		}
		rp_msg_port_fini(&r->port);
	} else {
		mr_reap(r);
	}
	io_uring_queue_exit(&r->tx);
}

static void mr_rx_fini(void *st)
{
	struct mr_ring *r = st;

	io_uring_queue_exit(&r->rx);
}

/* ---- the variants ------------------------------------------------------- */

#define MR_OPS(NAME, HOW, CFG, SEND)						\
	{ .name = NAME, .how = HOW, .arg = CFG, .create = mr_create,		\
	  .rx_init = mr_rx_init, .tx_init = mr_tx_init, .send = SEND,		\
	  .recv = mr_recv, .stop_any = mr_stop_any, .tx_fini = mr_tx_fini,	\
	  .rx_fini = mr_rx_fini, .destroy = free }

static const struct mr_cfg mr_cfg_ref = { MR_WORKER_FLAGS, IORING_SETUP_SINGLE_ISSUER };
static const struct mr_cfg mr_cfg_tx0 = { MR_WORKER_FLAGS, 0 };
static const struct mr_cfg mr_cfg_txdt = {
	MR_WORKER_FLAGS, MR_WORKER_FLAGS | IORING_SETUP_NO_SQARRAY };
static const struct mr_cfg mr_cfg_regfd = {
	MR_WORKER_FLAGS, IORING_SETUP_SINGLE_ISSUER, .reg_fd = true };
static const struct mr_cfg mr_cfg_plain_rx = { 0, IORING_SETUP_SINGLE_ISSUER };
static const struct mr_cfg mr_cfg_port = {
	MR_WORKER_FLAGS, IORING_SETUP_SINGLE_ISSUER, .port = true };

const struct rp_wake_ops rp_mr_raw = MR_OPS("msg_ring",
	"msg_ring: io_uring_prep_msg_ring + IOSQE_CQE_SKIP_SUCCESS, one submit per message, "
	"sender ring SINGLE_ISSUER; receiver io_uring_wait_cqe on SINGLE_ISSUER|DEFER_TASKRUN",
	&mr_cfg_ref, mr_send_raw);

static const struct rp_wake_ops mr_tx0 = MR_OPS("msg_ring_tx0",
	"msg_ring_tx0: as msg_ring, sender ring without setup flags", &mr_cfg_tx0, mr_send_raw);

static const struct rp_wake_ops mr_txdt = MR_OPS("msg_ring_txdt",
	"msg_ring_txdt: as msg_ring, sender ring SINGLE_ISSUER|DEFER_TASKRUN|NO_SQARRAY",
	&mr_cfg_txdt, mr_send_raw);

static const struct rp_wake_ops mr_regfd = MR_OPS("msg_ring_regfd",
	"msg_ring_regfd: as msg_ring, sender ring fd registered (io_uring_register_ring_fd)",
	&mr_cfg_regfd, mr_send_raw);

static const struct rp_wake_ops mr_sync = {
	.name = "msg_ring_sync",
	.how = "msg_ring_sync: no sender ring, rp_msg_send_sync (io_uring_register_sync_msg) "
	       "per message",
	.arg = &mr_cfg_ref, .create = mr_create, .rx_init = mr_rx_init,
	.send = mr_send_sync, .recv = mr_recv, .rx_fini = mr_rx_fini, .destroy = free,
};

static const struct rp_wake_ops mr_plain_rx = MR_OPS("msg_ring_plain_rx",
	"msg_ring_plain_rx: as msg_ring, receiver ring without SINGLE_ISSUER|DEFER_TASKRUN "
	"(the sender's MSG_RING posts the CQE itself)", &mr_cfg_plain_rx, mr_send_raw);

static const struct rp_wake_ops mr_port = {
	.name = "msg_ring_port",
	.how = "msg_ring_port: ringplane's rp_msg_send (outbox entry + typed user_data) + submit; "
	       "sender reaps its own CQEs between sends, untimed",
	.arg = &mr_cfg_port, .create = mr_create, .rx_init = mr_rx_init,
	.tx_init = mr_tx_init, .send = mr_send_port, .recv = mr_recv,
	.between = mr_between_port, .stop_any = mr_stop_any,
	.tx_fini = mr_tx_fini, .rx_fini = mr_rx_fini, .destroy = free,
};

const struct rp_wake_ops *const rp_mr_variants[] = {
	&rp_mr_raw, &mr_tx0, &mr_txdt, &mr_regfd, &mr_sync, &mr_plain_rx, &mr_port,
};
const unsigned rp_mr_n_variants = sizeof(rp_mr_variants) / sizeof(rp_mr_variants[0]);

/* ---- can a target ring live in the sender's fixed file table? ---------- */

bool rp_mr_fixed_target_probe(char *buf, size_t len)
{
	struct io_uring target, sender;
	int ret = io_uring_queue_init(2, &target, 0);

	if (ret == 0) {
		ret = io_uring_queue_init(2, &sender, 0);
		if (ret == 0) {
			ret = io_uring_register_files(&sender, &target.ring_fd, 1);
			io_uring_queue_exit(&sender);
		}
		io_uring_queue_exit(&target);
	}
	if (ret == 0)
		snprintf(buf, len, "target ring in the sender's fixed file table: "
			 "io_uring_register_files accepted a ring fd (not measured yet)");
	else
		snprintf(buf, len, "target ring in the sender's fixed file table "
			 "(IOSQE_FIXED_FILE): not possible here, io_uring_register_files of a "
			 "ring fd fails with %s (the kernel keeps io_uring fds out of fixed "
			 "tables), so no such variant", strerror(-ret));
	return ret == 0;
}
