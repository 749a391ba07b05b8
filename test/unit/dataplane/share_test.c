/* SPDX-License-Identifier: MIT */
/* Fair sharing of a worker's pool (dataplane/share.h): the auto rules,
 * grants out of the credit beyond the reserve, the reserve under pressure,
 * throttling with hysteresis, and the counters. An accounting-only pool
 * (no ring) stands in for the worker's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "dataplane/share.h"

#define COUNT 512u	/* the default config's pool: cap 32, reserve 64 */

struct fixture {
	struct rp_bufpool pool;
	struct rp_fair fair;
	struct rp_counters ctr;
	unsigned next_bid;	/* buffers taken out of the ring so far */
};

static const struct rp_limits_cfg auto_limits = {
	.conn_buffers = RP_UNSET, .reserve_buffers = RP_UNSET, .connections = 4096,
};

static int setup(void **state)
{
	static struct fixture fx;
	struct rp_bufpool_params prm = { .size = 4096, .count = COUNT, .hugepages = RP_HUGE_OFF,
					 .recv_ring = true, .bgid = 1 };
	char err[256];

	fx = (struct fixture){ 0 };
	assert_int_equal(rp_bufpool_init(&fx.pool, NULL, &prm, err, sizeof(err)), 0);
	rp_fair_init(&fx.fair, &fx.pool, &auto_limits);
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	rp_bufpool_destroy(&fx->pool);
	return 0;
}

/* The kernel hands a holder n buffers from the ring. */
static void receive(struct fixture *fx, struct rp_share *s, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		assert_true(rp_buf_got(&fx->pool, fx->next_bid++));
		rp_share_took(&fx->fair, s);
	}
}

static void auto_rules(void **state)
{
	struct rp_limits_cfg set = { .conn_buffers = 10, .reserve_buffers = 5 };

	(void)state;
	assert_int_equal(rp_fair_cap(&auto_limits, 512), 32);
	assert_int_equal(rp_fair_cap(&auto_limits, 32), 4);	/* at least 4 */
	assert_int_equal(rp_fair_reserve(&auto_limits, 512), 64);
	assert_int_equal(rp_fair_cap(&set, 512), 10);
	assert_int_equal(rp_fair_reserve(&set, 512), 5);
}

/* Grants come out of the credit beyond the reserve; once it is granted,
 * every holder still gets one buffer (progress), and the total stays
 * within what the reserve absorbs. */
static void grants_from_credit(void **state)
{
	struct fixture *fx = *state;
	struct rp_share s[20] = { 0 };
	unsigned total = 0;

	for (unsigned i = 0; i < 20; i++) {
		unsigned g = rp_share_grant(&fx->fair, &s[i]);

		assert_int_equal(g, i < 14 ? 32 : 1);	/* 448 = 14 x 32 beyond the reserve */
		total += g;
	}
	assert_int_equal(fx->fair.granted, total);
	assert_true(total <= COUNT - fx->fair.reserve + 20);
	/* a receive that ends gives back what it did not use */
	receive(fx, &s[0], 10);
	assert_int_equal(s[0].held, 10);
	assert_int_equal(s[0].grant, 22);
	rp_share_receive_ended(&fx->fair, &s[0]);
	assert_int_equal(fx->fair.granted, total - 32);
	for (unsigned i = 0; i < 20; i++)
		rp_share_end(&fx->fair, &s[i], 0, &fx->ctr);
	assert_int_equal(fx->fair.granted, 0);
}

/* took() reports a grant used up, so a receive that outran the kernel's
 * byte limit (small segments) is cancelled. */
static void grant_used_up(void **state)
{
	struct fixture *fx = *state;
	struct rp_share s = { 0 };

	assert_int_equal(rp_share_grant(&fx->fair, &s), 32);
	for (unsigned i = 0; i < 31; i++) {
		assert_true(rp_buf_got(&fx->pool, fx->next_bid++));
		assert_false(rp_share_took(&fx->fair, &s));
	}
	assert_true(rp_buf_got(&fx->pool, fx->next_bid++));
	assert_true(rp_share_took(&fx->fair, &s));
	assert_true(rp_share_over(&fx->fair, &s));		/* and at its cap */
	assert_int_equal(rp_share_grant(&fx->fair, &s), 0);	/* no more */
}

/* Under pressure only holders of at most RP_SHARE_FLOOR buffers are read,
 * up to FLOOR + 1; the others stop. */
static void reserve_under_pressure(void **state)
{
	struct fixture *fx = *state;
	struct rp_share hog = { 0 }, small = { 0 }, fresh = { 0 };

	/* the pool down to 40 free: below the reserve of 64 */
	for (unsigned i = 0; i < COUNT - 40; i++)
		assert_true(rp_buf_got(&fx->pool, fx->next_bid++));
	assert_true(rp_fair_under_pressure(&fx->fair));
	receive(fx, &hog, 3);
	receive(fx, &small, 1);
	assert_true(rp_share_over(&fx->fair, &hog));
	assert_false(rp_share_over(&fx->fair, &small));
	assert_int_equal(rp_share_grant(&fx->fair, &hog), 0);
	assert_int_equal(rp_share_grant(&fx->fair, &small), RP_SHARE_FLOOR + 1 - 1);
	assert_int_equal(rp_share_grant(&fx->fair, &fresh), RP_SHARE_FLOOR + 1);
}

/* Throttle and resume: hysteresis at half the cap, time counted, and the
 * worker told once when pressure lifts with someone stopped. */
static void throttle_resume(void **state)
{
	struct fixture *fx = *state;
	struct rp_share s = { 0 };
	unsigned bids = fx->next_bid;

	rp_share_grant(&fx->fair, &s);
	receive(fx, &s, 32);
	rp_share_throttle(&fx->fair, &s, 1000, &fx->ctr);
	rp_share_throttle(&fx->fair, &s, 1001, &fx->ctr);	/* once */
	assert_int_equal(rp_counter_read(&fx->ctr, RP_C_CONNS_THROTTLED), 1);
	assert_int_equal(fx->fair.n_throttled, 1);
	/* drains to 17: above half the cap, not yet */
	for (unsigned i = 0; i < 15; i++) {
		rp_buf_put(&fx->pool, bids + i);
		rp_share_release(&s);
	}
	assert_false(rp_share_may_resume(&fx->fair, &s));
	rp_buf_put(&fx->pool, bids + 15);
	rp_share_release(&s);
	assert_true(rp_share_may_resume(&fx->fair, &s));	/* 16 = cap / 2 */
	rp_share_resume(&fx->fair, &s, 1250, &fx->ctr);
	assert_int_equal(rp_counter_read(&fx->ctr, RP_C_THROTTLED_MS), 250);
	assert_int_equal(fx->fair.n_throttled, 0);
}

static void relieved_once(void **state)
{
	struct fixture *fx = *state;
	struct rp_share s = { 0 };
	unsigned first = fx->next_bid;

	for (unsigned i = 0; i < COUNT - 40; i++)
		assert_true(rp_buf_got(&fx->pool, fx->next_bid++));
	rp_share_throttle(&fx->fair, &s, 0, &fx->ctr);
	assert_false(rp_fair_relieved(&fx->fair));	/* pressure starts */
	for (unsigned i = 0; i < 100; i++)
		rp_buf_put(&fx->pool, first + i);
	assert_true(rp_fair_relieved(&fx->fair));	/* it lifted: re-arm */
	assert_false(rp_fair_relieved(&fx->fair));	/* once */
	rp_share_end(&fx->fair, &s, 10, &fx->ctr);
	assert_int_equal(fx->fair.n_throttled, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(auto_rules),
		cmocka_unit_test_setup_teardown(grants_from_credit, setup, teardown),
		cmocka_unit_test_setup_teardown(grant_used_up, setup, teardown),
		cmocka_unit_test_setup_teardown(reserve_under_pressure, setup, teardown),
		cmocka_unit_test_setup_teardown(throttle_resume, setup, teardown),
		cmocka_unit_test_setup_teardown(relieved_once, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
