/* SPDX-License-Identifier: MIT */
/*
 * The raw liburing reference loop for the zc-tx benchmark: what a careful
 * programmer writes directly on liburing, with nothing of the appliance in
 * between, so that "appliance / raw" shows what the appliance's transmit path
 * costs. Modelled on the shape of liburing's examples/send-zerocopy.c and the
 * SEND_ZC series' benchmark: submit a batch of sends, wait for the batch's
 * completions, repeat.
 *
 * It keeps the appliance's buffer discipline so the comparison is fair: a
 * pool of 2 x batch buffers; a buffer is reused only when the kernel is done
 * with it (the send CQE for a copy, the F_NOTIF CQE for a zerocopy send).
 * Every zerocopy send asks IORING_SEND_ZC_REPORT_USAGE, so each notification
 * says whether the kernel copied after all.
 *
 * The ring is set up like a worker's: SINGLE_ISSUER | DEFER_TASKRUN, on the
 * calling thread, and sends carry MSG_NOSIGNAL as the appliance's do.
 */
#include <errno.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "bench/zc_tx.h"

struct raw_zc {
	struct io_uring ring;
	bool ring_ok;
	unsigned char *mem;
	unsigned stride, nbufs;
	unsigned *free_ids;		/* stack of buffer ids the kernel is done with */
	unsigned n_free;
	struct iovec *iov;		/* per buffer: registration, and SENDMSG_ZC */
	struct msghdr *msg;
	enum zc_tx_mode mode;		/* auto already resolved for this size */
	bool zerocopy;
};

typedef void (*raw_prep_fn)(struct io_uring_sqe *sqe, const struct raw_zc *t, int fd,
			    unsigned bid);

static void prep_copy(struct io_uring_sqe *sqe, const struct raw_zc *t, int fd, unsigned bid)
{
	io_uring_prep_send(sqe, fd, t->iov[bid].iov_base, t->iov[bid].iov_len, MSG_NOSIGNAL);
}

static void prep_send_zc(struct io_uring_sqe *sqe, const struct raw_zc *t, int fd, unsigned bid)
{
	io_uring_prep_send_zc(sqe, fd, t->iov[bid].iov_base, t->iov[bid].iov_len, MSG_NOSIGNAL,
			      IORING_SEND_ZC_REPORT_USAGE);
}

static void prep_send_zc_fixed(struct io_uring_sqe *sqe, const struct raw_zc *t, int fd,
			       unsigned bid)
{
	io_uring_prep_send_zc_fixed(sqe, fd, t->iov[bid].iov_base, t->iov[bid].iov_len, MSG_NOSIGNAL,
				    IORING_SEND_ZC_REPORT_USAGE, bid);
}

static void prep_sendmsg_zc(struct io_uring_sqe *sqe, const struct raw_zc *t, int fd,
			    unsigned bid)
{
	io_uring_prep_sendmsg_zc(sqe, fd, &t->msg[bid], MSG_NOSIGNAL);
	/* the zerocopy flags live in ioprio for every SEND*_ZC opcode */
	sqe->ioprio |= IORING_SEND_ZC_REPORT_USAGE;
}

/* Indexed by the resolved mode; NULL: not a mode of this loop. */
static const raw_prep_fn raw_prep[ZC_MODE__COUNT] = {
	[ZC_MODE_COPY] = prep_copy,
	[ZC_MODE_SEND_ZC] = prep_send_zc,
	[ZC_MODE_SEND_ZC_FIXED] = prep_send_zc_fixed,
	[ZC_MODE_SENDMSG_ZC] = prep_sendmsg_zc,
};

static enum zc_tx_mode resolve_mode(const struct zc_tx_case *c)
{
	if (c->mode != ZC_MODE_AUTO)
		return c->mode;
	return c->size >= c->auto_threshold ? ZC_MODE_SEND_ZC_FIXED : ZC_MODE_COPY;
}

static int fail(struct zc_tx_result *r, const char *what, int err)
{
	snprintf(r->err, sizeof(r->err), "raw loop: %s: %s", what, strerror(err));
	return -1;
}

static int raw_setup(struct raw_zc *t, const struct zc_tx_case *c, struct zc_tx_result *r)
{
	struct io_uring_params p = {
		.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
			 IORING_SETUP_CQSIZE,
	};
	int ret;

	t->mode = resolve_mode(c);
	t->zerocopy = t->mode != ZC_MODE_COPY;
	t->nbufs = 2 * c->batch;
	/* at most two CQEs per buffer (send + notification) are ever pending */
	p.cq_entries = 4 * t->nbufs < 64 ? 64 : 4 * t->nbufs;
	t->mem = zc_tx_buffers(c->size, t->nbufs, &t->stride);
	t->free_ids = calloc(t->nbufs, sizeof(*t->free_ids));
	t->iov = calloc(t->nbufs, sizeof(*t->iov));
	t->msg = calloc(t->nbufs, sizeof(*t->msg));
	if (!t->mem || !t->free_ids || !t->iov || !t->msg)
		return fail(r, "buffers", ENOMEM);
	for (unsigned i = 0; i < t->nbufs; i++) {
		t->iov[i] = (struct iovec){ t->mem + (size_t)i * t->stride, c->size };
		t->msg[i] = (struct msghdr){ .msg_iov = &t->iov[i], .msg_iovlen = 1 };
		t->free_ids[t->n_free++] = i;
	}
	ret = io_uring_queue_init_params(c->batch < 8 ? 8 : c->batch, &t->ring, &p);
	if (ret < 0)
		return fail(r, "io_uring_queue_init_params", -ret);
	t->ring_ok = true;
	ret = io_uring_register_buffers(&t->ring, t->iov, t->nbufs);
	if (ret < 0)
		return fail(r, "io_uring_register_buffers", -ret);
	return 0;
}

static void raw_teardown(struct raw_zc *t)
{
	/* the ring first: it holds the registered pages */
	if (t->ring_ok)
		io_uring_queue_exit(&t->ring);
	zc_tx_buffers_free(t->mem, t->stride, t->nbufs);
	free(t->free_ids);
	free(t->iov);
	free(t->msg);
}

/* One CQE: count it, and give its buffer back when the kernel is done. */
static int raw_cqe(void *arg, const struct io_uring_cqe *cqe, struct zc_tx_result *r)
{
	struct raw_zc *t = arg;
	unsigned bid = (unsigned)cqe->user_data;

	if (cqe->flags & IORING_CQE_F_NOTIF) {
		/* every zerocopy send asked for a report: one per notification */
		r->notifs++;
		r->zc_sends++;
		if ((uint32_t)cqe->res & IORING_NOTIF_USAGE_ZC_COPIED)
			r->zc_copied++;
		t->free_ids[t->n_free++] = bid;
		return 0;
	}
	/* without F_MORE no notification follows: the buffer is back now */
	if (!(cqe->flags & IORING_CQE_F_MORE))
		t->free_ids[t->n_free++] = bid;
	if (cqe->res < 0) {
		snprintf(r->err, sizeof(r->err), "raw loop: %s (buffer %u): %s",
			 zc_tx_mode_name(t->mode), bid, strerror(-cqe->res));
		return -1;
	}
	r->requests++;
	r->bytes += (unsigned)cqe->res;
	return 0;
}

/* Queue up to a batch of sends, as many as buffers are free. */
static unsigned raw_fill(void *arg, const struct zc_tx_case *c)
{
	struct raw_zc *t = arg;
	unsigned n = 0;

	while (n < c->batch && t->n_free) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&t->ring);
		unsigned bid = t->free_ids[--t->n_free];

		raw_prep[t->mode](sqe, t, c->fd, bid);
		sqe->user_data = bid;
		n++;
	}
	return n;
}

static unsigned raw_in_flight(void *arg)
{
	const struct raw_zc *t = arg;

	return t->nbufs - t->n_free;
}

static const struct zc_tx_ring_ops raw_ops = {
	.name = "raw loop", .fill = raw_fill, .cqe = raw_cqe, .in_flight = raw_in_flight,
};

int raw_zc_run(const struct zc_tx_case *c, struct zc_tx_result *r)
{
	struct raw_zc t = { 0 };
	int ret = raw_setup(&t, c, r);

	if (ret == 0 && !raw_prep[t.mode])
		ret = fail(r, zc_tx_mode_name(c->mode), EOPNOTSUPP);
	if (ret == 0)
		ret = zc_tx_ring_loop(&t.ring, &raw_ops, &t, c, r);
	raw_teardown(&t);
	return ret;
}
