/* SPDX-License-Identifier: MIT */
/*
 * Addressed messages (rp_chan_send_to): on a broadcast and on a multicast
 * channel with three receivers, a sender mixes messages addressed to each
 * receiver with ordinary ones; each receiver gets exactly the messages
 * addressed to it, in order, plus what the mode gives it of the others.
 * An id of a receiver that left is refused (-ENOENT), and a message
 * addressed to an earlier receiver of an entry is not taken by the next
 * one; unicast channels cannot address (-EINVAL).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "chan/internal.h"

#define NRX 3
#define NMSG 600

static char name[64];

static void make(enum rp_chan_mode mode)
{
	struct rp_chan_params p;
	struct rp_chan_err e;

	rp_chan_params_default(&p);
	p.mode = mode;
	p.slots = 1024;		/* all of it fits: one thread sends, then reads */
	p.slot_size = 32;
	rp_chan_destroy(name, &e);
	assert_int_equal(rp_chan_create(name, &p, &e), 0);
}

/* Message k: "to R k" addressed to receiver R = k % (NRX + 1), or "all k"
 * when R == NRX. */
static void run(enum rp_chan_mode mode)
{
	struct rp_chan_err e;
	struct rp_chan *tx, *rx[NRX];
	uint32_t id[NRX];
	char buf[32], want[32];
	unsigned got_to[NRX] = { 0 }, got_all = 0;

	make(mode);
	tx = rp_chan_attach(name, RP_CHAN_SENDER, &e);
	for (int r = 0; r < NRX; r++) {
		assert_non_null(rx[r] = rp_chan_attach(name, RP_CHAN_RECEIVER, &e));
		id[r] = rp_chan_rx_id(rx[r]);
		assert_true(id[r] != 0);
	}
	for (unsigned k = 0; k < NMSG; k++) {
		unsigned r = k % (NRX + 1);

		if (r == NRX) {
			snprintf(buf, sizeof(buf), "all %u", k);
			assert_int_equal(rp_chan_send(tx, buf, strlen(buf)), 0);
		} else {
			snprintf(buf, sizeof(buf), "to %u %u", r, k);
			assert_int_equal(rp_chan_send_to(tx, id[r], buf, strlen(buf)), 0);
		}
	}
	for (int r = 0; r < NRX; r++) {
		unsigned next_to = (unsigned)r;	/* the next k addressed to r */
		ssize_t n;

		while ((n = rp_chan_recv(rx[r], buf, sizeof(buf), NULL)) >= 0) {
			buf[n] = 0;
			if (!strncmp(buf, "all ", 4)) {
				got_all++;
				continue;
			}
			snprintf(want, sizeof(want), "to %d %u", r, next_to);
			assert_string_equal(buf, want);
			next_to += NRX + 1;
			got_to[r]++;
		}
		assert_int_equal(n, -EAGAIN);
		assert_int_equal(got_to[r], NMSG / (NRX + 1));
	}
	/* broadcast: every receiver gets every ordinary one; multicast: once */
	assert_int_equal(got_all, (mode == RP_CHAN_BROADCAST ? NRX : 1) * NMSG / (NRX + 1));

	/* receiver 1 leaves; a newcomer takes its entry */
	rp_chan_detach(rx[1]);
	assert_int_equal(rp_chan_send_to(tx, id[1], "x", 1), -ENOENT);
	assert_non_null(rx[1] = rp_chan_attach(name, RP_CHAN_RECEIVER, &e));
	assert_true(rp_chan_rx_id(rx[1]) != id[1]);
	assert_int_equal(rp_chan_rx_id(rx[1]) & 0xff, id[1] & 0xff);
	/* a forged message for the old id: the newcomer walks past it */
	{
		uint32_t old = rp_chan_target_to(id[1] >> 8, id[1] & 0xff);

		assert_int_equal(rp_chan_send_slot(tx, "old", 3, 3, &old, NULL), 0);
	}
	assert_int_equal(rp_chan_send_to(tx, rp_chan_rx_id(rx[1]), "new", 3), 0);
	assert_int_equal(rp_chan_recv(rx[1], buf, sizeof(buf), NULL), 3);
	assert_memory_equal(buf, "new", 3);
	for (int r = 0; r < NRX; r++)
		rp_chan_detach(rx[r]);
	rp_chan_detach(tx);
	rp_chan_destroy(name, &e);
}

static void test_broadcast(void **state)
{
	(void)state;
	run(RP_CHAN_BROADCAST);
}

static void test_multicast(void **state)
{
	(void)state;
	run(RP_CHAN_MULTICAST);
}

static void test_unicast_refuses(void **state)
{
	struct rp_chan_err e;
	struct rp_chan *tx, *rx;
	(void)state;

	make(RP_CHAN_UNICAST);
	tx = rp_chan_attach(name, RP_CHAN_SENDER, &e);
	rx = rp_chan_attach(name, RP_CHAN_RECEIVER, &e);
	assert_int_equal(rp_chan_send_to(tx, rp_chan_rx_id(rx), "x", 1), -EINVAL);
	assert_int_equal(rp_chan_rx_id(tx), 0);
	rp_chan_detach(rx);
	rp_chan_detach(tx);
	rp_chan_destroy(name, &e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_broadcast),
		cmocka_unit_test(test_multicast),
		cmocka_unit_test(test_unicast_refuses),
	};

	snprintf(name, sizeof(name), "to-%d", (int)getpid());
	return cmocka_run_group_tests(tests, NULL, NULL);
}
