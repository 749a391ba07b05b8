/* SPDX-License-Identifier: MIT */
/*
 * dataplane/balance.c: weighted round-robin shares and spreading, least
 * connections, the hash's stickiness and what removing a backend moves,
 * and exclusion of backends already tried.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/balance.h"

#define N_BE 3

struct fixture {
	struct rp_backend_cfg be[N_BE];
	struct rp_service_cfg cfg;
	struct rp_balancer b;
};

static void backend(struct rp_backend_cfg *be, const char *ip, unsigned port, unsigned weight)
{
	struct sockaddr_in *a = (struct sockaddr_in *)&be->addr.ss;

	memset(be, 0, sizeof(*be));
	a->sin_family = AF_INET;
	a->sin_port = htons(port);
	assert_int_equal(inet_pton(AF_INET, ip, &a->sin_addr), 1);
	be->addr.len = sizeof(*a);
	be->weight = weight;
}

static void setup_fx(struct fixture *f, enum rp_balance policy, unsigned n, const unsigned *w)
{
	memset(f, 0, sizeof(*f));
	for (unsigned i = 0; i < n; i++)
		backend(&f->be[i], "10.0.0.1", 8000 + i, w[i]);
	f->cfg.backends = f->be;
	f->cfg.n_backends = n;
	f->cfg.balance = policy;
	assert_int_equal(rp_balancer_init(&f->b, &f->cfg), 0);
}

static struct sockaddr_in client(unsigned i)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(40000) };

	a.sin_addr.s_addr = htonl(0x0a010000u + i);
	return a;
}

static void test_round_robin_weights(void **state)
{
	static const unsigned w[N_BE] = { 1, 2, 3 };
	struct fixture f;
	unsigned got[N_BE] = { 0 };
	int prev = -1;
	unsigned run = 0, longest = 0;

	(void)state;
	setup_fx(&f, RP_BAL_ROUND_ROBIN, N_BE, w);
	/* every window of sum(weights) picks gives each its weight */
	for (unsigned i = 0; i < 600; i++) {
		int b = rp_balance_pick(&f.b, 0, NULL);

		assert_true(b >= 0 && b < N_BE);
		got[b]++;
		run = b == prev ? run + 1 : 1;
		longest = run > longest ? run : longest;
		prev = b;
	}
	assert_int_equal(got[0], 100);
	assert_int_equal(got[1], 200);
	assert_int_equal(got[2], 300);
	/* smooth: the heaviest (half of all picks) never three times in a row */
	assert_true(longest <= 2);
	rp_balancer_free(&f.b);
}

static void test_exclusion(void **state)
{
	static const unsigned w[N_BE] = { 1, 1, 1 };
	struct fixture f;

	(void)state;
	for (int p = RP_BAL_ROUND_ROBIN; p <= RP_BAL_HASH; p++) {
		struct sockaddr_in c = client(7);

		setup_fx(&f, (enum rp_balance)p, N_BE, w);
		for (unsigned i = 0; i < 20; i++)
			assert_int_equal(rp_balance_pick(&f.b, 0x5, (struct sockaddr *)&c), 1);
		assert_int_equal(rp_balance_pick(&f.b, 0x7, (struct sockaddr *)&c), -1);
		rp_balancer_free(&f.b);
	}
}

static void test_least_connections(void **state)
{
	static const unsigned w[N_BE] = { 1, 1, 2 };
	struct fixture f;

	(void)state;
	setup_fx(&f, RP_BAL_LEAST_CONN, N_BE, w);
	/* open connections as picked: per weight they stay level */
	for (unsigned i = 0; i < 40; i++)
		rp_balance_opened(&f.b, (unsigned)rp_balance_pick(&f.b, 0, NULL));
	assert_int_equal(f.b.open[0], 10);
	assert_int_equal(f.b.open[1], 10);
	assert_int_equal(f.b.open[2], 20);
	/* backend 1 loses five: the next five go there */
	for (unsigned i = 0; i < 5; i++)
		rp_balance_closed(&f.b, 1);
	for (unsigned i = 0; i < 5; i++) {
		int b = rp_balance_pick(&f.b, 0, NULL);

		assert_int_equal(b, 1);
		rp_balance_opened(&f.b, (unsigned)b);
	}
	rp_balancer_free(&f.b);
}

/* The same client always gets the same backend; removing backend 2 moves
 * only the clients that were on it; weights shape the spread. */
static void test_hash(void **state)
{
	static const unsigned w[N_BE] = { 1, 1, 2 };
	struct fixture f, f2;
	unsigned before[1000], got[N_BE] = { 0 };

	(void)state;
	setup_fx(&f, RP_BAL_HASH, N_BE, w);
	setup_fx(&f2, RP_BAL_HASH, 2, w);
	for (unsigned i = 0; i < 1000; i++) {
		struct sockaddr_in c = client(i);
		int b = rp_balance_pick(&f.b, 0, (struct sockaddr *)&c);

		assert_true(b >= 0 && b < N_BE);
		assert_int_equal(rp_balance_pick(&f.b, 0, (struct sockaddr *)&c), b);
		before[i] = (unsigned)b;
		got[b]++;
	}
	assert_true(got[0] > 150 && got[0] < 350);
	assert_true(got[1] > 150 && got[1] < 350);
	assert_true(got[2] > 400 && got[2] < 600);
	for (unsigned i = 0; i < 1000; i++) {
		struct sockaddr_in c = client(i);
		int b = rp_balance_pick(&f2.b, 0, (struct sockaddr *)&c);

		if (before[i] != 2)
			assert_int_equal(b, (int)before[i]);
	}
	rp_balancer_free(&f.b);
	rp_balancer_free(&f2.b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_robin_weights),
		cmocka_unit_test(test_exclusion),
		cmocka_unit_test(test_least_connections),
		cmocka_unit_test(test_hash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
