/* SPDX-License-Identifier: MIT */
/*
 * Many senders, many receivers, each mode: 4 sender threads x MSGS messages
 * and 3 receiver threads, each with its own handle (its own mapping of the
 * file, as separate processes would have). Checked: nothing lost, nothing
 * duplicated, every sender's messages in its order at every receiver, each
 * payload intact. Unicast and multicast: each message received exactly once
 * overall; broadcast: every receiver gets all of them. And broadcast with the
 * overwrite policy on a 64-slot ring with slowed receivers: no torn or
 * reordered message, and at each receiver every message either received
 * or counted as lost.
 *
 * MSGS: 1,000,000 per sender in both trees (RP_CHAN_TEST_MSGS overrides).
 * No timing thresholds: a receiver that sees no progress for STALL_S seconds
 * fails the test instead of hanging it.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "chan/chan.h"

#define SENDERS 4
#define RECEIVERS 3
#define STALL_S 60

#define DEFAULT_MSGS 1000000u

struct msg {
	uint32_t sender;
	uint32_t len_check;
	uint64_t seq;
	uint64_t check;
};

struct run {
	char name[64];
	enum rp_chan_mode mode;
	enum rp_chan_policy policy;
	uint32_t msgs;
	_Atomic uint64_t total;			/* received, all receivers */
	_Atomic uint64_t dups, disorder, bad, lost, send_fail, stalled;
	_Atomic unsigned senders_done;
	_Atomic uint8_t *seen[SENDERS];		/* exactly-once bitmaps (byte per msg) */
};

struct rx_arg {
	struct run *run;
	struct rp_chan *ch;
	uint64_t got, lost;
};

static uint64_t check_of(uint32_t sender, uint64_t seq)
{
	return (seq + 1) * 0x9e3779b97f4a7c15ull ^ (uint64_t)sender << 56;
}

static uint32_t test_msgs(void)
{
	const char *s = getenv("RP_CHAN_TEST_MSGS");

	return s ? (uint32_t)strtoul(s, NULL, 10) : DEFAULT_MSGS;
}

static void *sender(void *arg)
{
	struct run *run = ((void **)arg)[0];
	uint32_t id = (uint32_t)(uintptr_t)((void **)arg)[1];
	struct rp_chan_err e;
	struct rp_chan *ch = rp_chan_attach(run->name, RP_CHAN_SENDER, &e);

	if (!ch) {
		fprintf(stderr, "sender attach: %s\n", e.msg);
		atomic_fetch_add(&run->send_fail, 1);
		return NULL;
	}
	for (uint64_t i = 0; i < run->msgs; i++) {
		struct msg m = { id, sizeof(m), i, check_of(id, i) };
		int r = rp_chan_send(ch, &m, sizeof(m));

		if (r) {
			fprintf(stderr, "sender %u: message %lu: %s\n", id, (unsigned long)i, strerror(-r));
			atomic_fetch_add(&run->send_fail, 1);
			break;
		}
	}
	rp_chan_detach(ch);
	atomic_fetch_add(&run->senders_done, 1);
	return NULL;
}

static uint64_t expected_for(const struct run *run)
{
	return (uint64_t)SENDERS * run->msgs;
}

/* One message: order per sender, payload, once-only. */
static void account(struct rx_arg *a, const struct msg *m, ssize_t n, int64_t *last)
{
	struct run *run = a->run;

	if (n != sizeof(*m) || m->sender >= SENDERS || m->seq >= run->msgs ||
	    m->check != check_of(m->sender, m->seq) || m->len_check != sizeof(*m)) {
		atomic_fetch_add(&run->bad, 1);
		return;
	}
	if ((int64_t)m->seq <= last[m->sender] ||
	    (run->mode == RP_CHAN_BROADCAST && run->policy == RP_CHAN_BLOCK &&
	     (int64_t)m->seq != last[m->sender] + 1))
		atomic_fetch_add(&run->disorder, 1);
	last[m->sender] = (int64_t)m->seq;
	if (run->mode != RP_CHAN_BROADCAST && atomic_fetch_add(&run->seen[m->sender][m->seq], 1))
		atomic_fetch_add(&run->dups, 1);
	a->got++;
	atomic_fetch_add_explicit(&run->total, 1, memory_order_relaxed);
}

static bool finished(struct rx_arg *a)
{
	if (a->run->policy == RP_CHAN_OVERWRITE)	/* read until the senders are done */
		return false;
	if (a->run->mode == RP_CHAN_BROADCAST)
		return a->got >= expected_for(a->run);
	return atomic_load(&a->run->total) >= expected_for(a->run);
}

static void *receiver(void *arg)
{
	struct rx_arg *a = arg;
	int64_t last[SENDERS] = { -1, -1, -1, -1 };
	time_t last_progress = time(NULL);
	uint64_t before = 0;
	struct msg m;
	char buf[64];

	while (!finished(a)) {
		/* Overwrite runs: read before trying, so once all senders are
		 * done everything they sent is seen before stopping. */
		bool senders_done = atomic_load(&a->run->senders_done) == SENDERS;
		uint64_t lost;
		ssize_t n = rp_chan_recv(a->ch, buf, sizeof(buf), &lost);

		a->lost += lost;
		if (lost && a->run->policy == RP_CHAN_BLOCK)
			atomic_fetch_add(&a->run->lost, lost);
		if (n >= 0) {
			memcpy(&m, buf, sizeof(m));
			account(a, &m, n, last);
			if (a->run->policy == RP_CHAN_OVERWRITE && a->got % 256 == 0)
				usleep(50);	/* slow: the senders lap it */
			continue;
		}
		if (n != -EAGAIN || senders_done)
			break;
		rp_chan_wait(a->ch, 100);
		if (a->got != before) {
			before = a->got;
			last_progress = time(NULL);
		} else if (time(NULL) - last_progress > STALL_S) {
			atomic_fetch_add(&a->run->stalled, 1);
			break;
		}
	}
	return NULL;
}

static void run_mode(enum rp_chan_mode mode, enum rp_chan_policy policy)
{
	static struct run run;
	struct rx_arg rx[RECEIVERS];
	pthread_t st[SENDERS], rt[RECEIVERS];
	void *sargs[SENDERS][2];
	struct rp_chan_params p;
	struct rp_chan_err e;

	memset(&run, 0, sizeof(run));
	snprintf(run.name, sizeof(run.name), "stress-%s-%d", rp_chan_mode_name(mode), (int)getpid());
	run.mode = mode;
	run.policy = policy;
	run.msgs = test_msgs();
	for (int s = 0; s < SENDERS; s++)
		assert_non_null(run.seen[s] = calloc(run.msgs, 1));
	rp_chan_params_default(&p);
	p.mode = mode;
	p.policy = policy;
	p.slots = policy == RP_CHAN_BLOCK ? 4096 : 64;
	p.slot_size = 64;
	p.block_timeout_ms = STALL_S * 1000;
	rp_chan_destroy(run.name, &e);
	assert_int_equal(rp_chan_create(run.name, &p, &e), 0);
	/* Receivers first: broadcast and multicast deliver what is sent after
	 * a receiver attached. */
	for (int r = 0; r < RECEIVERS; r++) {
		rx[r] = (struct rx_arg){ .run = &run };
		assert_non_null(rx[r].ch = rp_chan_attach(run.name, RP_CHAN_RECEIVER, &e));
		assert_int_equal(pthread_create(&rt[r], NULL, receiver, &rx[r]), 0);
	}
	for (int s = 0; s < SENDERS; s++) {
		sargs[s][0] = &run;
		sargs[s][1] = (void *)(uintptr_t)s;
		assert_int_equal(pthread_create(&st[s], NULL, sender, sargs[s]), 0);
	}
	for (int s = 0; s < SENDERS; s++)
		pthread_join(st[s], NULL);
	for (int r = 0; r < RECEIVERS; r++)
		pthread_join(rt[r], NULL);

	print_message("%s/%s: %u x %u messages, %d receivers: received %lu (per receiver %lu %lu %lu)\n",
		      rp_chan_mode_name(mode), rp_chan_policy_name(policy), SENDERS, run.msgs, RECEIVERS,
		      (unsigned long)run.total, (unsigned long)rx[0].got, (unsigned long)rx[1].got,
		      (unsigned long)rx[2].got);
	assert_int_equal(run.send_fail, 0);
	assert_int_equal(run.stalled, 0);
	assert_int_equal(run.bad, 0);
	assert_int_equal(run.lost, 0);
	assert_int_equal(run.dups, 0);
	assert_int_equal(run.disorder, 0);
	if (policy == RP_CHAN_OVERWRITE) {
		/* Every message received once or counted lost, at each receiver. */
		for (int r = 0; r < RECEIVERS; r++) {
			print_message("  receiver %d: %lu received, %lu lost\n", r,
				      (unsigned long)rx[r].got, (unsigned long)rx[r].lost);
			assert_int_equal(rx[r].got + rx[r].lost, expected_for(&run));
		}
	} else if (mode == RP_CHAN_BROADCAST) {
		for (int r = 0; r < RECEIVERS; r++)
			assert_int_equal(rx[r].got, expected_for(&run));
	} else {
		assert_int_equal(run.total, expected_for(&run));
		for (int s = 0; s < SENDERS; s++)
			for (uint32_t i = 0; i < run.msgs; i++)
				assert_int_equal(run.seen[s][i], 1);
	}
	if (mode == RP_CHAN_MULTICAST)	/* round-robin: everyone got a share */
		for (int r = 0; r < RECEIVERS; r++)
			assert_true(rx[r].got > 0);
	for (int r = 0; r < RECEIVERS; r++)
		rp_chan_detach(rx[r].ch);
	assert_int_equal(rp_chan_destroy(run.name, &e), 0);
	for (int s = 0; s < SENDERS; s++)
		free((void *)run.seen[s]);
}

static void test_unicast(void **state)   { (void)state; run_mode(RP_CHAN_UNICAST, RP_CHAN_BLOCK); }
static void test_broadcast(void **state) { (void)state; run_mode(RP_CHAN_BROADCAST, RP_CHAN_BLOCK); }
static void test_multicast(void **state) { (void)state; run_mode(RP_CHAN_MULTICAST, RP_CHAN_BLOCK); }
/* 4 senders lapping 3 slowed receivers on a 64-slot ring: no torn message
 * (payload checks), per-sender order, every message received or counted. */
static void test_broadcast_overwrite(void **state)
{
	(void)state;
	run_mode(RP_CHAN_BROADCAST, RP_CHAN_OVERWRITE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unicast),
		cmocka_unit_test(test_broadcast),
		cmocka_unit_test(test_multicast),
		cmocka_unit_test(test_broadcast_overwrite),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
