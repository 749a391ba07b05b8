/* SPDX-License-Identifier: MIT */
/*
 * tcp-proxy's forwarding from the zcrx area (dataplane/proxy_zcrx.c), its
 * wiring end to end against FAKE_KERNEL_RQ (fake_kernel_rq.h, the test
 * double of the kernel's refill ring): a RECV_ZC completion (a CQE32 made
 * here, as the kernel's io_zcrx_queue_cqe writes it) becomes an entry of
 * the backend leg's queue pointing into the area; the proxy's send of it
 * is prepared on a real ring (only prepared: nothing is submitted) and its
 * completion and notification are made from that SQE's user_data, as the
 * kernel returns it. What the double's per-page user references show:
 * a page goes back only after the send completed and, for a zerocopy
 * send, its notification came, including when the pair is gone by then.
 */
#include <liburing.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dataplane/proxy.h"
#include "dataplane/worker.h"
#include "test/unit/dataplane/fake_kernel_rq.h"

struct fx {
	struct fake_kernel_rq k;
	struct rp_zcrx z;
	struct rp_worker w;
	struct rp_service_cfg scfg;
	struct rp_counters ctr;
	struct rp_svc_inst si;
	struct pconn pc;
	struct io_uring ring;
	struct rp_bufpool pool;
	struct rp_tx tx;
	uint8_t area[PAGES * RP_ZCRX_PAGE];
};

static struct fx *fx_new(enum rp_zc_mode mode)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct rp_zerocopy_cfg zc = { .mode = mode, .threshold = 1 };
	struct rp_zcrx_ring_view v;

	assert_non_null(f);
	fake_init(&f->k, 16, 0);
	v = fake_view(&f->k);
	assert_int_equal(rp_zcrx_acct_init(&f->z.acct, &v, sizeof(f->area), TOKEN, 0), 0);
	f->z.area = f->area;
	f->z.area_len = sizeof(f->area);
	f->z.mem.src = RP_RXZC_SRC_MEMORY;
	f->w.zcrx = &f->z;
	f->si = (struct rp_svc_inst){ .cfg = &f->scfg, .idx = 0, .ctr = &f->ctr };
	for (unsigned i = 0; i < 2; i++) {
		f->pc.leg[i].pc = &f->pc;
		rp_zc_sock_init(&f->pc.leg[i].zs, &zc, RP_UNSET);
	}
	f->pc.leg[CLI].rx.slot = 4;
	f->pc.leg[CLI].rx.obj = rp_conn_obj(4, 1);
	proxy_zc_leg_init(&f->w, &f->si, &f->pc.leg[CLI]);
	assert_true(f->pc.leg[CLI].zc);
	assert_int_equal(io_uring_queue_init(64, &f->ring, 0), 0);	/* room for every send */
	f->tx = (struct rp_tx){ .ring = &f->ring, .pool = &f->pool, .ctr = &f->ctr };
	return f;
}

static void fx_free(struct fx *f)
{
	assert_int_equal(f->k.bad_entries, 0);
	rp_txq_free(&f->pc.leg[BE].q);
	io_uring_queue_exit(&f->ring);
	rp_zcrx_acct_free(&f->z.acct);
	free(f->k.rqes);
	free(f);
}

/* The kernel delivers len bytes at `at` of page: one RECV_ZC CQE32. */
static void recv_piece(struct fx *f, uint32_t page, uint32_t at, uint32_t len)
{
	struct io_uring_cqe cqe[2] = { { .res = (int32_t)len, .flags = IORING_CQE_F_MORE } };
	struct io_uring_zcrx_cqe *zc = (struct io_uring_zcrx_cqe *)&cqe[1];

	zc->off = fake_deliver(&f->k, page, at);
	assert_false(proxy_zc_on_recv(&f->w, &f->si, &f->pc.leg[CLI], cqe));
}

/* The backend leg sends (part of) its head entry: the SQE's user_data. */
static uint64_t send_head(struct fx *f, unsigned len, uint8_t want_opcode)
{
	struct leg *be = &f->pc.leg[BE];
	struct rp_txq_ent *e = rp_txq_at(&be->q, 0);
	struct rp_tx_req req = { .fd = 9, .bid = e->bid, .off = e->off, .len = len, .tag = 1 };
	struct io_uring_sqe *sqe;

	assert_true(e->zc);
	assert_int_equal(proxy_zc_send(&f->w, &f->tx, be, e, &req), 0);
	/* the SQE it prepared: the last one queued (never submitted) */
	sqe = &f->ring.sq.sqes[(f->ring.sq.sqe_tail - 1) & f->ring.sq.ring_mask];
	assert_int_equal(sqe->opcode, want_opcode);
	assert_true(sqe->addr == (uintptr_t)(e->heap + e->off));
	return sqe->user_data;
}

/* The kernel completes that send (res bytes, more: a notification follows). */
static void complete(struct fx *f, uint64_t ud, int32_t res, bool more)
{
	struct io_uring_cqe cqe = { .user_data = ud, .res = res,
				    .flags = more ? IORING_CQE_F_MORE : 0 };
	struct rp_tx_event ev;

	rp_tx_complete(&f->tx, &f->pc.leg[BE].zs, &cqe, &ev);
	proxy_zc_tx_done(&f->w, &ev);
	if (res > 0) {	/* what proxy_leg_sent does with the head */
		struct rp_txq_ent *e = rp_txq_at(&f->pc.leg[BE].q, 0);

		e->off += (unsigned)res;
		e->len -= (unsigned)res;
		if (!e->len) {
			proxy_zc_release(&f->w, &f->pc.leg[BE], e);
			rp_txq_pop(&f->pc.leg[BE].q);
		}
	}
}

static void notify(struct fx *f, uint64_t ud)
{
	struct io_uring_cqe cqe = { .user_data = ud, .flags = IORING_CQE_F_NOTIF };
	struct rp_tx_event ev;

	rp_tx_complete(&f->tx, NULL, &cqe, &ev);	/* its leg may be gone: no zc state */
	proxy_zc_tx_done(&f->w, &ev);
}

static uint32_t kernel_refs(struct fx *f, uint32_t page)
{
	fake_consume(&f->k, 16);
	return f->k.user_refs[page];
}

/* A zerocopy send of a whole piece: the page comes back with the
 * notification, not with the completion. */
static void test_zc_send_notif(void **state)
{
	struct fx *f = fx_new(RP_ZC_ALWAYS);
	struct rp_txq_ent *e;
	uint64_t ud;

	(void)state;
	recv_piece(f, 3, 100, 1400);
	assert_int_equal(f->pc.leg[BE].q.len, 1);
	e = rp_txq_at(&f->pc.leg[BE].q, 0);
	assert_true(e->heap == f->area + 3 * RP_ZCRX_PAGE + 100);
	assert_int_equal(e->len, 1400);
	assert_int_equal(rp_counter_read(&f->ctr, RP_C_RX_ZC_BYTES), 1400);
	ud = send_head(f, 1400, IORING_OP_SEND_ZC);
	complete(f, ud, 1400, true);
	assert_int_equal(f->pc.leg[BE].q.len, 0);	/* sent in full */
	assert_int_equal(kernel_refs(f, 3), 1);		/* but not back yet */
	notify(f, ud);
	assert_int_equal(kernel_refs(f, 3), 0);
	assert_int_equal(f->pc.leg[CLI].zrx.pieces, 0);
	assert_int_equal(rp_zcrx_outstanding(&f->z.acct), 0);
	fx_free(f);
}

/* Copy sends, one piece in two: back after the second completion. */
static void test_copy_sends_partial(void **state)
{
	struct fx *f = fx_new(RP_ZC_NEVER);
	uint64_t ud;

	(void)state;
	recv_piece(f, 5, 0, 3000);
	ud = send_head(f, 3000, IORING_OP_SEND);
	complete(f, ud, 1000, false);			/* short */
	assert_int_equal(kernel_refs(f, 5), 1);
	ud = send_head(f, 2000, IORING_OP_SEND);
	complete(f, ud, 2000, false);
	assert_int_equal(kernel_refs(f, 5), 0);
	fx_free(f);
}

/* Two pieces, zerocopy, notifications in reverse order; then a reset drops
 * a piece whose page a pending notification still pins, and the pair is
 * gone when that notification comes: it still lets the page go. */
static void test_notifs_reversed_and_after_reset(void **state)
{
	struct fx *f = fx_new(RP_ZC_ALWAYS);
	uint64_t ud1, ud2, ud3;

	(void)state;
	recv_piece(f, 1, 0, 2000);
	recv_piece(f, 2, 0, 2000);
	recv_piece(f, 2, 2000, 500);	/* the same page again */
	ud1 = send_head(f, 2000, IORING_OP_SEND_ZC);
	complete(f, ud1, 2000, true);
	ud2 = send_head(f, 2000, IORING_OP_SEND_ZC);
	complete(f, ud2, 2000, true);
	notify(f, ud2);
	assert_int_equal(kernel_refs(f, 2), 1);		/* the third piece holds it */
	assert_int_equal(kernel_refs(f, 1), 1);
	notify(f, ud1);
	assert_int_equal(kernel_refs(f, 1), 0);
	ud3 = send_head(f, 500, IORING_OP_SEND_ZC);
	complete(f, ud3, 200, true);			/* short: 300 bytes unsent */
	/* the pair is reset: its unsent piece is dropped (leg_drop_unsent) */
	proxy_zc_release(&f->w, &f->pc.leg[BE], rp_txq_at(&f->pc.leg[BE].q, 0));
	rp_txq_pop(&f->pc.leg[BE].q);
	assert_int_equal(kernel_refs(f, 2), 1);		/* a retransmission may read it */
	notify(f, ud3);
	assert_int_equal(kernel_refs(f, 2), 0);
	assert_int_equal(rp_zcrx_outstanding(&f->z.acct), 0);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zc_send_notif),
		cmocka_unit_test(test_copy_sends_partial),
		cmocka_unit_test(test_notifs_reversed_and_after_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
