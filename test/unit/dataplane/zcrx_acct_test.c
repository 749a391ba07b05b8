/* SPDX-License-Identifier: MIT */
/*
 * zcrx refill-ring and area accounting (dataplane/zcrx_acct.h) against
 * FAKE_KERNEL_RQ (fake_kernel_rq.h), a test double of the kernel's side of
 * the shared refill ring. No io_uring is involved: the double is the only
 * "kernel" here.
 *
 * The forwarding tests (tcp-proxy) play the send side by hand with the
 * same calls the proxy makes (dataplane/proxy_zcrx.c): rp_zcrx_pin when a
 * send from the area is submitted, rp_zcrx_unpin on its completion without
 * IORING_CQE_F_MORE or on its notification (IORING_CQE_F_NOTIF), rp_zcrx_put
 * when a piece is fully sent; the double then shows what the kernel got.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dataplane/zcrx_acct.h"

#include "test/unit/dataplane/fake_kernel_rq.h"

/* ---- fixture ---------------------------------------------------------------- */

struct fx {
	struct fake_kernel_rq k;
	struct rp_zcrx_acct a;
};

static void fx_init(struct fx *f, uint32_t entries, uint32_t start, uint32_t reserve)
{
	struct rp_zcrx_ring_view v;

	fake_init(&f->k, entries, start);
	v = fake_view(&f->k);
	assert_int_equal(rp_zcrx_acct_init(&f->a, &v, PAGES * RP_ZCRX_PAGE, TOKEN, reserve), 0);
}

static void fx_free(struct fx *f)
{
	rp_zcrx_acct_free(&f->a);
	free(f->k.rqes);
}

static struct rp_zcrx_ref take(struct fx *f, uint32_t page, uint32_t at, uint32_t len)
{
	struct rp_zcrx_ref r;

	assert_int_equal(rp_zcrx_take(&f->a, fake_deliver(&f->k, page, at), len, &r), 0);
	return r;
}

/* Every reference is back with the kernel, none twice, none held here. */
static void assert_all_back(struct fx *f)
{
	while (fake_consume(&f->k, f->k.entries))
		rp_zcrx_flush(&f->a);
	assert_int_equal(fake_refs_total(&f->k), 0);
	assert_int_equal(f->k.bad_entries, 0);
	assert_int_equal(f->a.pages_busy, 0);
	assert_int_equal(rp_zcrx_outstanding(&f->a), 0);
}

/* ---- tests ------------------------------------------------------------------ */

/* Many more returns than ring entries, with the u32 indices wrapping past
 * 2^32 too: every reference gets back to the kernel, none twice. */
static void test_wrap_around(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f, 8, UINT32_MAX - 5, 0);
	for (unsigned i = 0; i < 1000; i++) {
		struct rp_zcrx_ref r = take(&f, i % PAGES, (i * 100) % 3000, 100);

		rp_zcrx_put(&f.a, &r);
		if (i % 3 == 2)
			fake_consume(&f.k, 8);
	}
	rp_zcrx_flush(&f.a);
	while (fake_consume(&f.k, 8))
		rp_zcrx_flush(&f.a);
	assert_true(f.k.head < 1000);	/* it wrapped */
	assert_int_equal(fake_refs_total(&f.k), 0);
	assert_int_equal(f.k.bad_entries, 0);
	assert_int_equal(rp_zcrx_outstanding(&f.a), 0);
	assert_int_equal(f.a.st.returned, 1000);
	assert_int_equal(f.a.pages_busy, 0);
	fx_free(&f);
}

/* The kernel does not consume: returns are owed, counted as stalls, and
 * all reach the ring once it makes room; a page owed several times takes
 * one FIFO slot and gets one entry per reference. */
static void test_ring_full_owed(void **state)
{
	struct rp_zcrx_ref r[12];
	struct fx f;

	(void)state;
	fx_init(&f, 4, 0, 0);
	for (unsigned i = 0; i < 12; i++)
		r[i] = take(&f, i % 3, i * 8, 8);	/* pages 0,1,2, four refs each */
	for (unsigned i = 0; i < 12; i++)
		rp_zcrx_put(&f.a, &r[i]);
	assert_int_equal(rp_zcrx_ring_queued(&f.a), 4);
	assert_int_equal(f.a.st.refill_stalls, 8);
	assert_int_equal(f.a.fifo_len, 3);	/* pages, not references */
	assert_int_equal(fake_refs_total(&f.k), 12);
	for (unsigned round = 0; round < 3; round++) {
		assert_int_equal(fake_consume(&f.k, 4), 4);
		assert_int_equal(rp_zcrx_flush(&f.a), round < 2 ? 4 : 0);
	}
	assert_int_equal(fake_refs_total(&f.k), 0);
	assert_int_equal(f.k.bad_entries, 0);
	assert_int_equal(f.a.fifo_len, 0);
	assert_int_equal(rp_zcrx_outstanding(&f.a), 0);
	fx_free(&f);
}

/* Exhaustion: the pages we hold reach the area minus the reserve; one
 * page coming back lifts it. Nothing is dropped on the way. */
static void test_exhaustion(void **state)
{
	struct rp_zcrx_ref r[PAGES];
	struct fx f;

	(void)state;
	fx_init(&f, 64, 0, 2);
	for (unsigned i = 0; i < PAGES - 2; i++) {
		assert_false(rp_zcrx_exhausted(&f.a));
		r[i] = take(&f, i, 0, RP_ZCRX_PAGE);
	}
	assert_true(rp_zcrx_exhausted(&f.a));
	assert_int_equal(f.a.bytes_held, (uint64_t)(PAGES - 2) * RP_ZCRX_PAGE);
	rp_zcrx_put(&f.a, &r[5]);
	assert_false(rp_zcrx_exhausted(&f.a));
	/* a page still owed (ring full) counts as held */
	f.a.rq.entries = 1;
	fake_consume(&f.k, 64);
	r[5] = take(&f, 5, 0, 16);
	rp_zcrx_put(&f.a, &r[0]);	/* fills the 1-entry ring */
	r[0] = take(&f, 0, 0, 16);
	rp_zcrx_put(&f.a, &r[1]);	/* owed */
	assert_int_equal(f.a.fifo_len, 1);
	r[1] = take(&f, 15, 0, 16);
	assert_true(rp_zcrx_exhausted(&f.a));
	fx_free(&f);
}

/* Returns in another order than the completions came: each page loses
 * exactly the references returned for it. */
static void test_out_of_order(void **state)
{
	struct rp_zcrx_ref a, b, c, d;
	struct fx f;

	(void)state;
	fx_init(&f, 16, 0, 0);
	a = take(&f, 7, 0, 1000);
	b = take(&f, 7, 1000, 1000);	/* same page, second reference */
	c = take(&f, 2, 0, 4096);
	d = take(&f, 9, 4000, 96);
	rp_zcrx_put(&f.a, &d);
	rp_zcrx_put(&f.a, &b);
	fake_consume(&f.k, 16);
	assert_int_equal(f.k.user_refs[9], 0);
	assert_int_equal(f.k.user_refs[7], 1);	/* a still holds it */
	assert_int_equal(f.k.user_refs[2], 1);
	assert_int_equal(f.a.pages_busy, 2);
	rp_zcrx_put(&f.a, &c);
	rp_zcrx_put(&f.a, &a);
	fake_consume(&f.k, 16);
	assert_int_equal(fake_refs_total(&f.k), 0);
	assert_int_equal(f.k.bad_entries, 0);
	assert_int_equal(f.a.bytes_held, 0);
	/* a second return of the same piece never reaches the kernel */
	rp_zcrx_put(&f.a, &a);
	assert_int_equal(rp_zcrx_ring_queued(&f.a), 0);
	fx_free(&f);
}

/* Completions that are not inside one page of this area are refused. */
static void test_bad_cqes(void **state)
{
	struct rp_zcrx_ref r;
	struct fx f;

	(void)state;
	fx_init(&f, 16, 0, 0);
	assert_int_equal(rp_zcrx_take(&f.a, (UINT64_C(1) << 48) | 0, 10, &r), -EFAULT);
	assert_int_equal(rp_zcrx_take(&f.a, TOKEN | (PAGES * RP_ZCRX_PAGE), 10, &r), -EFAULT);
	assert_int_equal(rp_zcrx_take(&f.a, TOKEN | 4000, 200, &r), -EFAULT);
	assert_int_equal(rp_zcrx_take(&f.a, TOKEN | 0, 0, &r), -EFAULT);
	assert_int_equal(f.a.st.bad_cqes, 4);
	assert_int_equal(rp_zcrx_outstanding(&f.a), 0);
	fx_free(&f);
}

/* How a multishot RECV_ZC ended: ENOSPC (CQ overflow) and ENOMEM (the
 * copy fallback found the area dry) re-arm; EOF, cancel, errors do not. */
static void test_recv_end(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f, 16, 0, 0);
	assert_int_equal(rp_zcrx_recv_end(&f.a, -ENOSPC), RP_ZCRX_END_REARM);
	assert_int_equal(rp_zcrx_recv_end(&f.a, -ENOMEM), RP_ZCRX_END_REARM);
	assert_int_equal(rp_zcrx_recv_end(&f.a, 0), RP_ZCRX_END_EOF);
	assert_int_equal(rp_zcrx_recv_end(&f.a, -ECANCELED), RP_ZCRX_END_CANCELED);
	assert_int_equal(rp_zcrx_recv_end(&f.a, -ECONNRESET), RP_ZCRX_END_ERROR);
	assert_int_equal(f.a.st.rearms, 2);
	fx_free(&f);
}

/* ---- forwarding: refill only after the send completed and, for a zerocopy
 * send, its notification arrived ------------------------------------------- */

/* A zerocopy send (completion with F_MORE): the piece is fully sent, but
 * the kernel may still read the page until the notification; only then
 * does the refill entry appear. */
static void test_fwd_zc_waits_for_notif(void **state)
{
	struct rp_zcrx_ref r;
	uint16_t key;
	struct fx f;

	(void)state;
	fx_init(&f, 16, 0, 0);
	r = take(&f, 4, 100, 1400);
	key = rp_zcrx_pin(&f.a, r.page);	/* SEND_ZC submitted */
	/* its completion: all 1400 bytes, F_MORE: a notification follows */
	rp_zcrx_put(&f.a, &r);			/* the piece is fully sent */
	assert_int_equal(rp_zcrx_ring_queued(&f.a), 0);
	fake_consume(&f.k, 16);
	assert_int_equal(f.k.user_refs[4], 1);	/* the kernel did not get it back */
	assert_int_equal(f.a.pages_busy, 1);	/* still counts as held */
	assert_int_equal(f.a.st.held_back, 1);
	rp_zcrx_unpin(&f.a, key);		/* IORING_CQE_F_NOTIF */
	assert_int_equal(rp_zcrx_ring_queued(&f.a), 1);
	assert_all_back(&f);
	fx_free(&f);
}

/* A copy send: its completion (no F_MORE) ends the pin, and the put that
 * follows goes straight to the ring. */
static void test_fwd_copy_send(void **state)
{
	struct rp_zcrx_ref r;
	struct fx f;

	(void)state;
	fx_init(&f, 16, 0, 0);
	r = take(&f, 9, 0, 4096);
	rp_zcrx_unpin(&f.a, rp_zcrx_pin(&f.a, r.page));	/* submitted, completed */
	rp_zcrx_put(&f.a, &r);
	assert_int_equal(rp_zcrx_ring_queued(&f.a), 1);
	assert_int_equal(f.a.st.held_back, 0);
	assert_all_back(&f);
	fx_free(&f);
}

/* A piece sent in two short zerocopy sends, another piece in one; the
 * notifications come in another order than the sends. Each page goes back
 * exactly when its last notification is in, not one earlier. */
static void test_fwd_partial_sends_notifs_out_of_order(void **state)
{
	struct rp_zcrx_ref a, b;
	uint16_t ka1, ka2, kb;
	struct fx f;

	(void)state;
	fx_init(&f, 16, 0, 0);
	a = take(&f, 1, 0, 3000);
	b = take(&f, 2, 0, 2000);
	ka1 = rp_zcrx_pin(&f.a, a.page);	/* a: 1000 bytes went, F_MORE */
	ka2 = rp_zcrx_pin(&f.a, a.page);	/* a: the other 2000, F_MORE */
	rp_zcrx_put(&f.a, &a);
	kb = rp_zcrx_pin(&f.a, b.page);		/* b: all of it, F_MORE */
	rp_zcrx_put(&f.a, &b);
	assert_int_equal(rp_zcrx_ring_queued(&f.a), 0);
	rp_zcrx_unpin(&f.a, kb);		/* b's notification first */
	fake_consume(&f.k, 16);
	assert_int_equal(f.k.user_refs[2], 0);
	assert_int_equal(f.k.user_refs[1], 1);
	rp_zcrx_unpin(&f.a, ka2);		/* a's second send */
	fake_consume(&f.k, 16);
	assert_int_equal(f.k.user_refs[1], 1);	/* its first send may still read it */
	rp_zcrx_unpin(&f.a, ka1);
	assert_all_back(&f);
	/* a notification too many, or of a key never pinned: nothing returned twice */
	rp_zcrx_unpin(&f.a, ka1);
	rp_zcrx_unpin(&f.a, 5000);
	assert_int_equal(rp_zcrx_ring_queued(&f.a), 0);
	fx_free(&f);
}

/* Pages waiting for notifications count as held: the area reaches
 * exhaustion (the receive stops: backpressure, nothing dropped) and is
 * relieved when the notifications come; held pieces owed to a full ring
 * get there too. */
static void test_fwd_exhaustion_and_full_ring(void **state)
{
	struct rp_zcrx_ref r[PAGES];
	uint16_t key[PAGES];
	struct fx f;

	(void)state;
	fx_init(&f, 4, 0, 4);
	for (unsigned i = 0; i < PAGES - 4; i++) {
		r[i] = take(&f, i, 0, 2048);
		key[i] = rp_zcrx_pin(&f.a, i);
		rp_zcrx_put(&f.a, &r[i]);	/* sent, notification pending */
	}
	assert_true(rp_zcrx_exhausted(&f.a));
	assert_int_equal(f.a.bytes_held, 0);	/* the consumers are done with all of it */
	for (unsigned i = 0; i < PAGES - 4; i++)
		rp_zcrx_unpin(&f.a, key[i]);
	/* 4 pages went to the ring; the 8 owed to it still count as held */
	assert_false(rp_zcrx_exhausted(&f.a));
	assert_int_equal(f.a.pages_busy, PAGES - 4 - 4);
	assert_int_equal(rp_zcrx_ring_queued(&f.a), 4);
	assert_int_equal(f.a.st.refill_stalls, PAGES - 4 - 4);
	assert_all_back(&f);
	fx_free(&f);
}

/* A large area: keys name groups of pages so that every key fits 15 bits;
 * a pin holds the pages of its group, no others. */
static void test_fwd_pin_groups(void **state)
{
	const uint32_t pages = 3 * RP_ZCRX_PIN_KEYS;	/* needs 2-bit groups: 4 pages a key */
	struct fake_kernel_rq k;
	struct rp_zcrx_ring_view v;
	struct rp_zcrx_acct a;
	struct rp_zcrx_ref r0, r3, r4, rl;
	uint16_t key;

	(void)state;
	fake_init(&k, 64, 0);
	v = fake_view(&k);
	assert_int_equal(rp_zcrx_acct_init(&a, &v, (uint64_t)pages * RP_ZCRX_PAGE, TOKEN, 0), 0);
	assert_int_equal(a.pin_shift, 2);
	assert_int_equal(rp_zcrx_take(&a, TOKEN | 0, 10, &r0), 0);
	assert_int_equal(rp_zcrx_take(&a, TOKEN | (3 * RP_ZCRX_PAGE), 10, &r3), 0);
	assert_int_equal(rp_zcrx_take(&a, TOKEN | (4 * RP_ZCRX_PAGE), 10, &r4), 0);
	assert_int_equal(rp_zcrx_take(&a, TOKEN | ((uint64_t)(pages - 1) * RP_ZCRX_PAGE), 10,
				      &rl), 0);
	assert_true(rp_zcrx_pin(&a, pages - 1) < RP_ZCRX_PIN_KEYS);
	rp_zcrx_unpin(&a, (uint16_t)((pages - 1) >> 2));
	key = rp_zcrx_pin(&a, 0);
	rp_zcrx_put(&a, &r3);		/* same group as page 0: held */
	rp_zcrx_put(&a, &r4);		/* next group: straight back */
	rp_zcrx_put(&a, &rl);
	assert_int_equal(rp_zcrx_ring_queued(&a), 2);
	rp_zcrx_put(&a, &r0);
	rp_zcrx_unpin(&a, key);
	assert_int_equal(rp_zcrx_ring_queued(&a), 4);
	assert_int_equal(rp_zcrx_outstanding(&a), 0);
	rp_zcrx_acct_free(&a);
	free(k.rqes);
}

static void test_init_refuses(void **state)
{
	struct fake_kernel_rq k;
	struct rp_zcrx_ring_view v;
	struct rp_zcrx_acct a;

	(void)state;
	fake_init(&k, 8, 0);
	v = fake_view(&k);
	v.entries = 6;
	assert_int_equal(rp_zcrx_acct_init(&a, &v, PAGES * RP_ZCRX_PAGE, TOKEN, 0), -EINVAL);
	v.entries = 8;
	assert_int_equal(rp_zcrx_acct_init(&a, &v, 1000, TOKEN, 0), -EINVAL);
	assert_int_equal(rp_zcrx_acct_init(&a, &v, PAGES * RP_ZCRX_PAGE, TOKEN | 1, 0), -EINVAL);
	assert_int_equal(rp_zcrx_acct_init(&a, &v, PAGES * RP_ZCRX_PAGE, TOKEN, PAGES), -EINVAL);
	free(k.rqes);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wrap_around),
		cmocka_unit_test(test_ring_full_owed),
		cmocka_unit_test(test_exhaustion),
		cmocka_unit_test(test_out_of_order),
		cmocka_unit_test(test_bad_cqes),
		cmocka_unit_test(test_recv_end),
		cmocka_unit_test(test_init_refuses),
		cmocka_unit_test(test_fwd_zc_waits_for_notif),
		cmocka_unit_test(test_fwd_copy_send),
		cmocka_unit_test(test_fwd_partial_sends_notifs_out_of_order),
		cmocka_unit_test(test_fwd_exhaustion_and_full_ring),
		cmocka_unit_test(test_fwd_pin_groups),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
