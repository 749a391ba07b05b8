/* SPDX-License-Identifier: MIT */
/*
 * dataplane/relay_handq.c: the batched handoff's rings. Items keep what
 * they carry; a pair's ring is FIFO, bounded (full says so, nothing is
 * overwritten) and independent of the other pairs; a wake is asked for
 * once until the consumer took it; and, with a real producer and consumer
 * thread, every item arrives in order with no wake lost (a lost wake hangs
 * the consumer: the test's timeout fails it) and fewer wakes than items.
 */
#include <pthread.h>
#include <semaphore.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "dataplane/relay.h"

static void test_item(void **state)
{
	uint64_t it = rp_handq_item(RP_RELAY_DGRAM, 0xfffe, 70000);

	(void)state;
	assert_int_equal(rp_handq_item_sub(it), RP_RELAY_DGRAM);
	assert_int_equal(rp_handq_item_bid(it), 0xfffe);
	assert_int_equal(rp_handq_item_res(it), 70000);
	it = rp_handq_item(RP_RELAY_BUFBACK, 7, 0);
	assert_int_equal(rp_handq_item_sub(it), RP_RELAY_BUFBACK);
	assert_int_equal(rp_handq_item_bid(it), 7);
	assert_int_equal(rp_handq_item_res(it), 0);
}

static void test_fifo_bounded(void **state)
{
	struct rp_handq_set s;
	uint64_t it;
	unsigned cap;

	(void)state;
	assert_int_equal(rp_handq_init(&s, 3, 100), 0);
	cap = s.mask + 1;
	assert_true(cap >= 100);
	/* twice round the ring: wrap-around keeps the order */
	for (unsigned round = 0; round < 2; round++) {
		for (unsigned i = 0; i < cap; i++)
			assert_true(rp_handq_push(&s, 0, 2, rp_handq_item(RP_RELAY_DGRAM, i, (int)round)));
		assert_false(rp_handq_push(&s, 0, 2, rp_handq_item(RP_RELAY_DGRAM, 0, 0)));
		/* other pairs are not affected: 2 -> 0 is empty, 1 -> 2 takes items */
		assert_false(rp_handq_pop(&s, 2, 0, &it));
		assert_true(rp_handq_push(&s, 1, 2, rp_handq_item(RP_RELAY_BUFBACK, 5, 0)));
		for (unsigned i = 0; i < cap; i++) {
			assert_true(rp_handq_pop(&s, 0, 2, &it));
			assert_int_equal(rp_handq_item_bid(it), i);
			assert_int_equal(rp_handq_item_res(it), (int)round);
		}
		assert_false(rp_handq_pop(&s, 0, 2, &it));
		assert_true(rp_handq_pop(&s, 1, 2, &it));
		assert_int_equal(rp_handq_item_bid(it), 5);
	}
	rp_handq_free(&s);
}

static void test_wake_once(void **state)
{
	struct rp_handq_set s;

	(void)state;
	assert_int_equal(rp_handq_init(&s, 2, 8), 0);
	assert_true(rp_handq_need_wake(&s, 0, 1));
	/* on its way: no second one */
	assert_false(rp_handq_need_wake(&s, 0, 1));
	assert_true(rp_handq_need_wake(&s, 1, 0));	/* the other direction is its own */
	rp_handq_woken(&s, 0, 1);
	assert_true(rp_handq_need_wake(&s, 0, 1));
	/* a wake that never arrived: the next batch asks again */
	rp_handq_wake_lost(&s, 0, 1);
	assert_true(rp_handq_need_wake(&s, 0, 1));
	rp_handq_free(&s);
}

#define N_ITEMS 200000u
#define BATCH 7u

struct run {
	struct rp_handq_set s;
	sem_t wake;		/* the MSG_RING stand-in */
	unsigned wakes;
};

static void *producer(void *arg)
{
	struct run *r = arg;

	for (unsigned i = 0; i < N_ITEMS; i++) {
		while (!rp_handq_push(&r->s, 0, 1, rp_handq_item(RP_RELAY_DGRAM, i & 0xffff, (int)i)))
			;	/* full: the consumer is behind (never in the relay: sized for two pools) */
		if ((i % BATCH == BATCH - 1 || i == N_ITEMS - 1) && rp_handq_need_wake(&r->s, 0, 1)) {
			r->wakes++;
			sem_post(&r->wake);
		}
	}
	return NULL;
}

static void test_threads_no_lost_wake(void **state)
{
	struct run r = { .wakes = 0 };
	pthread_t t;
	unsigned next = 0;
	uint64_t it;

	(void)state;
	assert_int_equal(rp_handq_init(&r.s, 2, 64), 0);
	assert_int_equal(sem_init(&r.wake, 0, 0), 0);
	assert_int_equal(pthread_create(&t, NULL, producer, &r), 0);
	while (next < N_ITEMS) {
		sem_wait(&r.wake);
		rp_handq_woken(&r.s, 0, 1);
		while (rp_handq_pop(&r.s, 0, 1, &it)) {
			assert_int_equal(rp_handq_item_res(it), (int)next);
			next++;
		}
	}
	pthread_join(t, NULL);
	assert_false(rp_handq_pop(&r.s, 0, 1, &it));
	assert_true(r.wakes > 0 && r.wakes <= N_ITEMS / BATCH + 1);
	sem_destroy(&r.wake);
	rp_handq_free(&r.s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_item),
		cmocka_unit_test(test_fifo_bounded),
		cmocka_unit_test(test_wake_once),
		cmocka_unit_test(test_threads_no_lost_wake),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
