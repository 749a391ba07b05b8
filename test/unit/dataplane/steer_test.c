/* SPDX-License-Identifier: MIT */
/*
 * dataplane/steer.c: every policy's decision, the hash's stability and
 * spread, and the napi policy's fallback to hash.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/steer.h"

#define N_CONNS 10000

static struct sockaddr_in v4(const char *ip, unsigned port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };

	assert_int_equal(inet_pton(AF_INET, ip, &a.sin_addr), 1);
	return a;
}

static struct rp_steer_conn conn(const struct sockaddr_in *local, const struct sockaddr_in *peer,
				 unsigned napi_id)
{
	return (struct rp_steer_conn){
		.local = (const struct sockaddr *)local,
		.peer = (const struct sockaddr *)peer,
		.napi_id = napi_id,
	};
}

static void test_policy_names(void **state)
{
	enum rp_steer_policy p;
	struct rp_steer s;

	(void)state;
	for (unsigned i = 0; i < RP_STEER__COUNT; i++) {
		assert_int_equal(rp_steer_policy_parse(rp_steer_policy_name(i), &p), 0);
		assert_int_equal(p, i);
	}
	assert_int_equal(rp_steer_policy_parse("round_robin", &p), -EINVAL);
	assert_int_equal(rp_steer_policy_parse("", &p), -EINVAL);
	assert_string_equal(rp_steer_policy_name(RP_STEER__COUNT), "unknown");
	assert_int_equal(rp_steer_init(&s, RP_STEER_HASH, 0), -EINVAL);
	assert_int_equal(rp_steer_init(&s, RP_STEER__COUNT, 2), -EINVAL);
}

static void test_round_robin_even(void **state)
{
	struct sockaddr_in l = v4("10.0.0.1", 7007), r = v4("10.0.0.2", 40000);
	struct rp_steer_conn c = conn(&l, &r, 0);
	unsigned count[2] = { 0, 0 };
	struct rp_steer s;

	(void)state;
	assert_int_equal(rp_steer_init(&s, RP_STEER_ROUND_ROBIN, 2), 0);
	for (unsigned i = 0; i < N_CONNS; i++) {
		unsigned w = rp_steer_pick(&s, &c, NULL);

		assert_true(w < 2);
		assert_int_equal(w, i % 2);
		count[w]++;
	}
	assert_int_equal(count[0], N_CONNS / 2);
	assert_int_equal(count[1], N_CONNS / 2);
	assert_int_equal(s.stats.picks[RP_STEER_ROUND_ROBIN], N_CONNS);
}

static void test_hash_stable_and_spread(void **state)
{
	struct sockaddr_in l = v4("10.0.0.1", 7007);
	unsigned count[2] = { 0, 0 };
	struct rp_steer s, s2;

	(void)state;
	assert_int_equal(rp_steer_init(&s, RP_STEER_HASH, 2), 0);
	assert_int_equal(rp_steer_init(&s2, RP_STEER_HASH, 2), 0);
	for (unsigned i = 0; i < N_CONNS; i++) {
		char ip[32];
		struct sockaddr_in r;

		snprintf(ip, sizeof(ip), "10.0.%u.%u", (i / 250) % 250, i % 250 + 1);
		r = v4(ip, 32768 + i % 20000);
		struct rp_steer_conn c = conn(&l, &r, 0);
		unsigned w = rp_steer_pick(&s, &c, NULL);

		/* the same 4-tuple, asked again and by another steer: same worker */
		assert_int_equal(rp_steer_pick(&s, &c, NULL), w);
		assert_int_equal(rp_steer_pick(&s2, &c, NULL), w);
		count[w]++;
	}
	/* a fixed set of flows, so this is a property of the hash, not luck */
	assert_true(count[0] >= N_CONNS / 2 * 9 / 10 && count[1] >= N_CONNS / 2 * 9 / 10);
}

static void test_hash_sees_every_field(void **state)
{
	struct sockaddr_in l = v4("10.0.0.1", 7007), r = v4("10.0.0.2", 40000);
	uint64_t h = rp_steer_flow_hash((struct sockaddr *)&l, (struct sockaddr *)&r);
	struct sockaddr_in l2 = l, r2 = r, r3 = r;
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(1) };

	(void)state;
	l2.sin_port = htons(7008);
	r2.sin_port = htons(40001);
	r3.sin_addr.s_addr ^= htonl(1);
	assert_true(h != rp_steer_flow_hash((struct sockaddr *)&l2, (struct sockaddr *)&r));
	assert_true(h != rp_steer_flow_hash((struct sockaddr *)&l, (struct sockaddr *)&r2));
	assert_true(h != rp_steer_flow_hash((struct sockaddr *)&l, (struct sockaddr *)&r3));
	/* IPv6 hashes its address and port too */
	uint64_t h6 = rp_steer_flow_hash((struct sockaddr *)&a6, (struct sockaddr *)&a6);
	a6.sin6_addr.s6_addr[15] = 1;
	assert_true(h6 != rp_steer_flow_hash((struct sockaddr *)&a6, (struct sockaddr *)&a6));
}

static void test_least_loaded(void **state)
{
	struct sockaddr_in l = v4("10.0.0.1", 7007), r = v4("10.0.0.2", 40000);
	struct rp_steer_conn c = conn(&l, &r, 0);
	unsigned loads[4] = { 5, 3, 7, 3 };
	struct rp_steer s;

	(void)state;
	assert_int_equal(rp_steer_init(&s, RP_STEER_LEAST_LOADED, 4), 0);
	assert_int_equal(rp_steer_pick(&s, &c, loads), 1);	/* tie 1/3: lowest id */
	loads[1] = 9;
	assert_int_equal(rp_steer_pick(&s, &c, loads), 3);
	/* a caller that knows no loads gets an even spread */
	assert_int_equal(rp_steer_pick(&s, &c, NULL), 0);
	assert_int_equal(rp_steer_pick(&s, &c, NULL), 1);
}

static void test_napi_map_and_fallback(void **state)
{
	struct sockaddr_in l = v4("10.0.0.1", 7007), r = v4("10.0.0.2", 40000);
	struct rp_steer s, h;
	unsigned hashed;

	(void)state;
	assert_int_equal(rp_steer_init(&s, RP_STEER_NAPI, 2), 0);
	assert_int_equal(rp_steer_init(&h, RP_STEER_HASH, 2), 0);
	for (unsigned q = 0; q < 4; q++)
		assert_int_equal(rp_steer_map_napi(&s, 8193 + q, q), 0);
	assert_int_equal(rp_steer_map_napi(&s, 0, 1), -EINVAL);

	for (unsigned q = 0; q < 4; q++) {
		struct rp_steer_conn c = conn(&l, &r, 8193 + q);

		assert_int_equal(rp_steer_pick(&s, &c, NULL), q % 2);
		assert_false(s.fell_back);	/* the acceptor tells the worker so */
	}
	assert_int_equal(s.stats.napi_fallbacks, 0);

	/* no id, or an id no queue was mapped to: the hash decides, counted */
	struct rp_steer_conn none = conn(&l, &r, 0), stray = conn(&l, &r, 9999);

	hashed = rp_steer_pick(&h, &none, NULL);
	assert_int_equal(rp_steer_pick(&s, &none, NULL), hashed);
	assert_int_equal(rp_steer_pick(&s, &stray, NULL), hashed);
	assert_true(s.fell_back);
	assert_int_equal(s.stats.napi_fallbacks, 2);

	/* remapping an id moves it; the table has a limit */
	assert_int_equal(rp_steer_map_napi(&s, 8193, 1), 0);
	struct rp_steer_conn c0 = conn(&l, &r, 8193);
	assert_int_equal(rp_steer_pick(&s, &c0, NULL), 1);
	for (unsigned i = s.n_napi; i < RP_STEER_NAPI_MAX; i++)
		assert_int_equal(rp_steer_map_napi(&s, 20000 + i, i), 0);
	assert_int_equal(rp_steer_map_napi(&s, 40000, 0), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_names),
		cmocka_unit_test(test_round_robin_even),
		cmocka_unit_test(test_hash_stable_and_spread),
		cmocka_unit_test(test_hash_sees_every_field),
		cmocka_unit_test(test_least_loaded),
		cmocka_unit_test(test_napi_map_and_fallback),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
