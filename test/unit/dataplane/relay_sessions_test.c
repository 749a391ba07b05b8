/* SPDX-License-Identifier: MIT */
/*
 * dataplane/relay_sessions.c and relay_group.c: the session table is
 * bounded (cap, per client), finds what it holds and only that, keeps the
 * idle order, hands out references that die with the slot, frees client
 * entries; the owner of a client is stable, in range, the same for all its
 * ports, and spreads clients over the workers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/relay.h"

static struct sockaddr_in addr(unsigned ip_low, unsigned port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };

	a.sin_addr.s_addr = htonl(0x0a000000u | ip_low);
	return a;
}

static struct rp_relay_sess *add(struct rp_relay_sessions *t, unsigned ip, unsigned port,
				 uint64_t now, int *err)
{
	struct sockaddr_in a = addr(ip, port);
	struct rp_relay_key k;

	assert_true(rp_relay_key_of((struct sockaddr *)&a, sizeof(a), &k));
	return rp_relay_sess_add(t, &k, (struct sockaddr *)&a, sizeof(a), now, err);
}

static struct rp_relay_sess *find(struct rp_relay_sessions *t, unsigned ip, unsigned port)
{
	struct sockaddr_in a = addr(ip, port);
	struct rp_relay_key k;

	assert_true(rp_relay_key_of((struct sockaddr *)&a, sizeof(a), &k));
	return rp_relay_sess_find(t, &k);
}

static void test_bounds(void **state)
{
	struct rp_relay_sessions t;
	int err = 0;

	(void)state;
	assert_int_equal(rp_relay_sessions_init(&t, 8, 3), 0);
	for (unsigned p = 1; p <= 3; p++)
		assert_non_null(add(&t, 1, p, 0, &err));
	assert_null(add(&t, 1, 4, 0, &err));
	assert_int_equal(err, -EDQUOT);
	for (unsigned ip = 2; ip <= 6; ip++)
		assert_non_null(add(&t, ip, 1, 0, &err));
	assert_int_equal(t.n_open, 8);
	assert_null(add(&t, 7, 1, 0, &err));
	assert_int_equal(err, -ENOSPC);
	/* a closing session still holds its slot, not its client's count */
	rp_relay_sess_close(&t, find(&t, 1, 2));
	assert_null(find(&t, 1, 2));
	assert_null(add(&t, 7, 1, 0, &err));
	assert_int_equal(err, -ENOSPC);
	rp_relay_sess_release(&t, &t.s[1]);
	assert_non_null(add(&t, 1, 9, 0, &err));
	assert_null(add(&t, 1, 10, 0, &err));
	assert_int_equal(err, -EDQUOT);
	for (unsigned p = 1; p <= 3; p++)
		assert_true(p == 2 ? !find(&t, 1, p) : find(&t, 1, p) != NULL);
	rp_relay_sessions_free(&t);
}

static void test_idle_order_and_refs(void **state)
{
	struct rp_relay_sessions t;
	struct rp_relay_sess *a, *b, *c;
	uint32_t ref;
	int err;

	(void)state;
	assert_int_equal(rp_relay_sessions_init(&t, 4, 0), 0);
	a = add(&t, 1, 1, 10, &err);
	b = add(&t, 2, 1, 20, &err);
	c = add(&t, 3, 1, 30, &err);
	assert_ptr_equal(rp_relay_sess_oldest(&t), a);
	rp_relay_sess_touch(&t, a, 40);
	assert_ptr_equal(rp_relay_sess_oldest(&t), b);
	rp_relay_sess_close(&t, b);
	assert_ptr_equal(rp_relay_sess_oldest(&t), c);
	ref = rp_relay_sess_ref(&t, b);
	assert_ptr_equal(rp_relay_sess_by_ref(&t, ref), b);	/* closing: still there */
	rp_relay_sess_release(&t, b);
	assert_null(rp_relay_sess_by_ref(&t, ref));
	b = add(&t, 4, 1, 50, &err);				/* the same slot, reused */
	assert_null(rp_relay_sess_by_ref(&t, ref));
	assert_ptr_equal(rp_relay_sess_by_ref(&t, rp_relay_sess_ref(&t, b)), b);
	assert_null(rp_relay_sess_by_ref(&t, 0));
	rp_relay_sessions_free(&t);
}

static void test_churn_frees_clients(void **state)
{
	struct rp_relay_sessions t;
	int err;

	(void)state;
	assert_int_equal(rp_relay_sessions_init(&t, 16, 2), 0);
	for (unsigned round = 0; round < 1000; round++) {
		struct rp_relay_sess *s = add(&t, round, round % 7 + 1, round, &err);

		assert_non_null(s);
		if (t.n_used == t.cap) {
			struct rp_relay_sess *o = rp_relay_sess_oldest(&t);

			rp_relay_sess_close(&t, o);
			rp_relay_sess_release(&t, o);
		}
	}
	assert_int_equal(t.n_open, 15);
	rp_relay_sessions_free(&t);
}

static void test_owner(void **state)
{
	unsigned count[4] = { 0 };

	(void)state;
	for (unsigned ip = 0; ip < 4000; ip++) {
		struct sockaddr_in a = addr(ip, 1000), b = addr(ip, 2000);
		unsigned o = rp_relay_owner((struct sockaddr *)&a, 4);

		assert_true(o < 4);
		assert_int_equal(rp_relay_owner((struct sockaddr *)&b, 4), o);
		assert_int_equal(rp_relay_owner((struct sockaddr *)&a, 1), 0);
		count[o]++;
	}
	for (unsigned i = 0; i < 4; i++)
		assert_true(count[i] > 800 && count[i] < 1200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_idle_order_and_refs),
		cmocka_unit_test(test_churn_frees_clients),
		cmocka_unit_test(test_owner),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
