/* SPDX-License-Identifier: MIT */
/* Zerocopy policy decisions: threshold, sampling, switch on COPIED and its
 * expiry (the same for a TCP connection and a UDP peer). */
#include <liburing.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "dataplane/zc.h"

static struct rp_zerocopy_cfg cfg(enum rp_zc_mode mode)
{
	return (struct rp_zerocopy_cfg){ .mode = mode, .threshold = 4096, .sample_every = 4 };
}

static void auto_threshold(void **state)
{
	struct rp_zerocopy_cfg c = cfg(RP_ZC_AUTO);
	struct rp_zc_sock zs;

	(void)state;
	rp_zc_sock_init(&zs, &c, RP_UNSET);
	assert_int_equal(rp_zc_decide(&zs, 4095), RP_SEND_COPY);
	assert_int_equal(rp_zc_decide(&zs, 4096), RP_SEND_ZC_REPORT);	/* first is sampled */
	assert_int_equal(rp_zc_decide(&zs, 9000), RP_SEND_ZC);
	assert_int_equal(rp_zc_decide(&zs, 9000), RP_SEND_ZC);
	assert_int_equal(rp_zc_decide(&zs, 9000), RP_SEND_ZC);
	assert_int_equal(rp_zc_decide(&zs, 9000), RP_SEND_ZC_REPORT);	/* 1 in 4 */
	assert_int_equal(rp_zc_decide(&zs, 100), RP_SEND_COPY);	/* copies do not count */
	assert_int_equal(rp_zc_decide(&zs, 9000), RP_SEND_ZC);
}

static void auto_switches_on_copied(void **state)
{
	struct rp_zerocopy_cfg c = cfg(RP_ZC_AUTO);
	struct rp_counters ctr = { 0 };
	struct rp_zc_sock zs;

	(void)state;
	rp_zc_sock_init(&zs, &c, RP_UNSET);
	assert_false(rp_zc_on_notif(&zs, 0, &ctr));		/* real zerocopy */
	assert_int_equal(rp_zc_decide(&zs, 8192), RP_SEND_ZC_REPORT);
	assert_true(rp_zc_on_notif(&zs, (int32_t)IORING_NOTIF_USAGE_ZC_COPIED, &ctr));
	assert_int_equal(rp_counter_read(&ctr, RP_C_ZC_COPIED), 1);
	assert_int_equal(rp_counter_read(&ctr, RP_C_ZC_FALLBACKS), 1);
	assert_int_equal(rp_zc_decide(&zs, 65536), RP_SEND_COPY);	/* retry 0: for good */
	assert_int_equal(zs.fell_back.until_ms, UINT64_MAX);
	/* late notifications of earlier sends: counted, no second switch */
	assert_false(rp_zc_on_notif(&zs, (int32_t)IORING_NOTIF_USAGE_ZC_COPIED, &ctr));
	assert_int_equal(rp_counter_read(&ctr, RP_C_ZC_COPIED), 2);
	assert_int_equal(rp_counter_read(&ctr, RP_C_ZC_FALLBACKS), 1);
}

static void always_never_switches(void **state)
{
	struct rp_zerocopy_cfg c = cfg(RP_ZC_ALWAYS);
	struct rp_counters ctr = { 0 };
	struct rp_zc_sock zs;

	(void)state;
	rp_zc_sock_init(&zs, &c, RP_UNSET);
	assert_int_equal(rp_zc_decide(&zs, 1), RP_SEND_ZC_REPORT);	/* no threshold */
	assert_false(rp_zc_on_notif(&zs, (int32_t)IORING_NOTIF_USAGE_ZC_COPIED, &ctr));
	assert_int_equal(rp_counter_read(&ctr, RP_C_ZC_COPIED), 1);
	assert_int_equal(rp_counter_read(&ctr, RP_C_ZC_FALLBACKS), 0);
	assert_int_equal(rp_zc_decide(&zs, 1), RP_SEND_ZC);
}

static void never_and_override(void **state)
{
	struct rp_zerocopy_cfg c = cfg(RP_ZC_AUTO);
	struct rp_zc_sock zs;

	(void)state;
	rp_zc_sock_init(&zs, &c, RP_ZC_NEVER);		/* per-service override */
	assert_int_equal(rp_zc_decide(&zs, 1 << 20), RP_SEND_COPY);
	c.sample_every = 0;				/* never ask for reports */
	rp_zc_sock_init(&zs, &c, RP_ZC_ALWAYS);
	assert_int_equal(rp_zc_decide(&zs, 10), RP_SEND_ZC);
	assert_int_equal(rp_zc_decide(&zs, 10), RP_SEND_ZC);
}

/* fallback-retry-ms: copy sends until the time is over, then zerocopy
 * again, and that first zerocopy send is sampled so that a peer that still
 * copies is found out at once. */
static void fallback_expires(void **state)
{
	struct rp_zerocopy_cfg c = cfg(RP_ZC_AUTO);
	struct rp_counters ctr = { 0 };
	struct rp_zc_sock zs;
	uint64_t now = rp_clock_ms();

	(void)state;
	c.fallback_retry_ms = 60000;
	rp_zc_sock_init(&zs, &c, RP_UNSET);
	assert_int_equal(rp_zc_decide(&zs, 8192), RP_SEND_ZC_REPORT);
	assert_int_equal(rp_zc_decide(&zs, 8192), RP_SEND_ZC);		/* sample_left 2 */
	assert_true(rp_zc_on_notif(&zs, (int32_t)IORING_NOTIF_USAGE_ZC_COPIED, &ctr));
	assert_true(zs.fell_back.until_ms >= now + 60000);
	assert_int_equal(rp_zc_decide(&zs, 8192), RP_SEND_COPY);
	zs.fell_back.until_ms = now - 1;	/* as if 60 s had passed */
	assert_int_equal(rp_zc_decide(&zs, 8192), RP_SEND_ZC_REPORT);
	assert_int_equal(zs.fell_back.until_ms, 0);
	/* copied again: a second switch */
	assert_true(rp_zc_on_notif(&zs, (int32_t)IORING_NOTIF_USAGE_ZC_COPIED, &ctr));
	assert_int_equal(rp_counter_read(&ctr, RP_C_ZC_FALLBACKS), 2);
}

/* The expiring switch itself, on a given clock. */
static void fallback_clock(void **state)
{
	struct rp_fallback f = { 0 };

	(void)state;
	assert_false(rp_fallback_active_at(&f, 1000));
	assert_true(rp_fallback_trip_at(&f, 1000, 500));
	assert_true(rp_fallback_active_at(&f, 1499));
	assert_false(rp_fallback_trip_at(&f, 1200, 500));	/* already on: extended, no switch */
	assert_true(rp_fallback_active_at(&f, 1699));
	assert_false(rp_fallback_active_at(&f, 1700));		/* over: cleared */
	assert_int_equal(f.until_ms, 0);
	assert_true(rp_fallback_trip_at(&f, 2000, 500));	/* a new switch */
	assert_true(rp_fallback_trip_at(&f, 5000, 0));		/* expired at 2500; 0: for good */
	assert_true(rp_fallback_active_at(&f, UINT64_MAX - 1));
}

/* A send from caller memory (RP_TX_EXT, the zcrx area): zerocopy by the
 * policy but never from the registered region, the cookie back in both
 * the completion and the notification, no pool buffer touched. */
static void ext_memory_sends(void **state)
{
	struct rp_zerocopy_cfg c = cfg(RP_ZC_ALWAYS);
	struct rp_bufpool pool = { .registered = true };	/* no buffers: must not be used */
	struct rp_counters ctr = { 0 };
	struct io_uring ring;
	struct rp_tx tx = { .ring = &ring, .pool = &pool, .ctr = &ctr };
	struct io_uring_sqe *sqe;
	struct io_uring_cqe cqe = { 0 };
	struct rp_tx_event ev;
	struct rp_zc_sock zs;
	static char area[4096];

	(void)state;
	assert_int_equal(io_uring_queue_init(8, &ring, 0), 0);
	rp_zc_sock_init(&zs, &c, RP_UNSET);
	assert_true(rp_tx_bid_ext(RP_TX_EXT | 5) && !rp_tx_bid_ext(RP_BID_NONE) &&
		    !rp_tx_bid_pooled(RP_TX_EXT) && rp_tx_bid_pooled(RP_BUFPOOL_MAX - 1));
	assert_int_equal(rp_tx_send(&tx, &zs, &(struct rp_tx_req){ .fd = 3, .bid = RP_TX_EXT | 5,
			 .heap = area, .off = 100, .len = 1000, .tag = 77 }), 0);
	sqe = &ring.sq.sqes[0];
	assert_int_equal(sqe->opcode, IORING_OP_SEND_ZC);
	assert_false(sqe->ioprio & IORING_RECVSEND_FIXED_BUF);
	assert_true(sqe->addr == (uintptr_t)(area + 100));
	/* RP_BID_NONE stays a copy, whatever the policy */
	assert_int_equal(rp_tx_send(&tx, &zs, &(struct rp_tx_req){ .fd = 3, .bid = RP_BID_NONE,
			 .heap = area, .len = 1000, .tag = 77 }), 0);
	assert_int_equal(ring.sq.sqes[1].opcode, IORING_OP_SEND);

	cqe.user_data = sqe->user_data;
	cqe.res = 1000;
	cqe.flags = IORING_CQE_F_MORE;
	rp_tx_complete(&tx, &zs, &cqe, &ev);
	assert_int_equal(ev.what, RP_TX_SENT);
	assert_int_equal(ev.bid, RP_TX_EXT | 5);
	assert_int_equal(ev.tag, 77);
	assert_true(ev.zc && ev.notif_follows && !ev.buf_returned);
	cqe.res = 0;
	cqe.flags = IORING_CQE_F_NOTIF;
	rp_tx_complete(&tx, &zs, &cqe, &ev);
	assert_int_equal(ev.what, RP_TX_NOTIF);
	assert_int_equal(ev.bid, RP_TX_EXT | 5);
	assert_false(ev.buf_returned);
	io_uring_queue_exit(&ring);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(auto_threshold),
		cmocka_unit_test(auto_switches_on_copied),
		cmocka_unit_test(always_never_switches),
		cmocka_unit_test(never_and_override),
		cmocka_unit_test(fallback_expires),
		cmocka_unit_test(fallback_clock),
		cmocka_unit_test(ext_memory_sends),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
