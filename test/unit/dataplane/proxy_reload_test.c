/* SPDX-License-Identifier: MIT */
/*
 * dataplane/proxy_reload.c: a reload renumbers the pairs' backends by
 * slot (a kept backend's new index, a removed one's place after the live
 * ones), renumbers the retries' exclusions, and the balancer recounts the
 * connections open to live backends and never picks a removed one.
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

#include "dataplane/proxy.h"
#include "dataplane/svc.h"

static struct rp_backend_cfg backend(unsigned port, unsigned weight, unsigned slot)
{
	struct rp_backend_cfg be = { .weight = weight, .slot = slot };
	struct sockaddr_in *a = (struct sockaddr_in *)&be.addr.ss;

	a->sin_family = AF_INET;
	a->sin_port = htons(port);
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	be.addr.len = sizeof(*a);
	return be;
}

static void link_pair(struct tcp_proxy *tp, struct pconn *pc, int backend, uint64_t tried,
		      bool balanced)
{
	*pc = (struct pconn){ .backend = backend, .tried = tried, .balanced = balanced };
	pc->next = tp->pairs;
	tp->pairs = pc;
}

static void test_renumber(void **state)
{
	/* A (slot 0), B (slot 1) -> B, C (slot 2) weight 3; A stays after them */
	struct rp_backend_cfg old_be[2] = { backend(7100, 1, 0), backend(7101, 1, 1) };
	struct rp_backend_cfg new_be[3] = { backend(7101, 1, 1), backend(7102, 3, 2),
					    backend(7100, 0, 0) };
	struct rp_service_cfg old = { .backends = old_be, .n_backends = 2, .n_backends_all = 2 };
	struct rp_service_cfg now = { .backends = new_be, .n_backends = 2, .n_backends_all = 3 };
	struct tcp_proxy tp = { 0 };
	struct rp_svc_inst si = { .cfg = &old, .priv = &tp };
	struct pconn on_a, on_b, connecting;
	unsigned got[3] = { 0 };

	(void)state;
	assert_int_equal(rp_balancer_init(&tp.bal, &old), 0);
	link_pair(&tp, &on_a, 0, 1, true);
	link_pair(&tp, &on_b, 1, 2, true);
	link_pair(&tp, &connecting, 1, 3, false);	/* tried A, now on B */
	rp_balance_opened(&tp.bal, 0);
	rp_balance_opened(&tp.bal, 1);

	si.cfg = &now;
	proxy_reload(NULL, &si, &old);
	assert_int_equal(on_a.backend, 2);		/* removed: after the live ones */
	assert_int_equal(on_b.backend, 0);
	assert_int_equal(connecting.backend, 0);
	assert_int_equal(connecting.tried, 1);		/* B only: A is no candidate */
	assert_int_equal(tp.bal.n, 2);
	assert_int_equal(tp.bal.open[0], 1);		/* on_b; on_a's backend is gone */
	assert_int_equal(tp.bal.open[1], 0);
	/* new connections: B:C 1:3, never the removed A */
	for (unsigned i = 0; i < 400; i++) {
		int b = rp_balance_pick(&tp.bal, 0, NULL);

		assert_true(b >= 0 && b < 2);
		got[b]++;
	}
	assert_int_equal(got[0], 100);
	assert_int_equal(got[1], 300);
	/* closing a pair of the removed backend leaves the live counts alone */
	rp_balance_closed(&tp.bal, 2);
	assert_int_equal(tp.bal.open[0], 1);
	assert_int_equal(tp.bal.open[1], 0);

	/* A comes back (its slot again): its pair is counted as open on it */
	{
		struct rp_backend_cfg back_be[2] = { backend(7100, 1, 0), backend(7101, 1, 1) };
		struct rp_service_cfg again = { .backends = back_be, .n_backends = 2,
						.n_backends_all = 2 };

		si.cfg = &again;
		proxy_reload(NULL, &si, &now);
		assert_int_equal(on_a.backend, 0);
		assert_int_equal(on_b.backend, 1);
		assert_int_equal(tp.bal.open[0], 1);
		assert_int_equal(tp.bal.open[1], 1);
	}
	rp_balancer_free(&tp.bal);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_renumber),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
