/* SPDX-License-Identifier: MIT */
/*
 * Receive coalescing (rp_chan_set_rx_batch, chan/wait.c): with a batch of
 * 32 a sender's first 31 messages make no wake-up call (the broadcast word
 * never moves) and the 32nd wakes the sleeper; a sleeper with the default
 * batch at the same epoch is woken by the first; a partial batch reaches a
 * receiver by its max delay, with no wake-up call; a block-policy ring
 * smaller than the batch does not deadlock. Multicast (format 6): a
 * sleeper is woken at the batch-th message given to it, the others'
 * turns go to it meanwhile, a partial batch arrives by the delay, and a
 * tiny block-policy ring delivers every message exactly once. Run twice by meson: as is
 * (io_uring FUTEX_WAIT) and with RP_CHAN_FORCE_FUTEX=1 (futex(2)).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "chan/internal.h"

#define LONG_DELAY_US	30000000u	/* never reached by a passing test */

static char name[64];

static struct rp_chan *make(enum rp_chan_mode mode, uint32_t slots)
{
	struct rp_chan_params p;
	struct rp_chan_err e;

	rp_chan_params_default(&p);
	p.mode = mode;
	p.slots = slots;
	rp_chan_destroy(name, &e);
	assert_int_equal(rp_chan_create(name, &p, &e), 0);
	return rp_chan_attach(name, RP_CHAN_SENDER, &e);
}

static struct rp_chan *receiver(uint32_t batch, uint32_t delay_us)
{
	struct rp_chan_err e;
	struct rp_chan *rx = rp_chan_attach(name, RP_CHAN_RECEIVER, &e);

	assert_non_null(rx);
	assert_int_equal(rp_chan_set_rx_batch(rx, batch, delay_us), 0);
	return rx;
}

static uint32_t wakes(struct rp_chan *ch)
{
	/* The broadcast word moves once per wake-up call, never otherwise. */
	return atomic_load(&ch->shm->data_futex);
}

/* A multicast receiver's own wait word: moves once per wake-up call. */
static uint32_t rx_word(struct rp_chan *rx)
{
	return atomic_load(&rx->rx[rx->rx_idx].futex);
}

static void wait_for_sleepers(struct rp_chan *ch, uint32_t n)
{
	while (atomic_load(&ch->shm->data_sleepers) < n)
		sched_yield();
}

static int drain(struct rp_chan *rx)
{
	char buf[256];
	int n = 0;

	while (rp_chan_recv(rx, buf, sizeof(buf), NULL) >= 0)
		n++;
	return n;
}

struct sleeper {
	pthread_t t;
	_Atomic pid_t tid;
	struct rp_chan *rx;
	int want, got, rc;
};

/* Wait (no timeout of its own) and receive until `want` messages. */
static void *sleeper_main(void *arg)
{
	struct sleeper *s = arg;

	atomic_store(&s->tid, (pid_t)syscall(SYS_gettid));
	while (s->got < s->want) {
		if ((s->rc = rp_chan_wait(s->rx, -1)) < 0)
			return NULL;
		s->got += drain(s->rx);
	}
	return NULL;
}

/* Is the thread asleep in the kernel (state S)? Counted among the
 * sleepers and asleep: it sleeps in its wait, the loop's only sleep. */
static bool task_sleeps(pid_t tid)
{
	char path[64], buf[256], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	assert_non_null(f = fopen(path, "r"));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	/* "tid (comm) S ...": the state follows the last ')'. */
	return (p = strrchr(buf, ')')) && p[1] == ' ' && p[2] == 'S';
}

static void wait_asleep(struct rp_chan *ch, struct sleeper *s)
{
	pid_t tid;

	while (!(tid = atomic_load(&s->tid)))
		sched_yield();
	while (atomic_load(&ch->shm->data_sleepers) < 1 || !task_sleeps(tid))
		sched_yield();
}

static void sleeper_start(struct sleeper *s, struct rp_chan *rx, int want)
{
	*s = (struct sleeper){ .rx = rx, .want = want };
	assert_int_equal(pthread_create(&s->t, NULL, sleeper_main, s), 0);
}

static int setup(void **state)
{
	(void)state;
	snprintf(name, sizeof(name), "coalesce-%d", (int)getpid());
	print_message("wait backend: %s\n", rp_chan_wait_backend());
	return 0;
}

static int teardown(void **state)
{
	struct rp_chan_err e;

	(void)state;
	rp_chan_destroy(name, &e);
	return 0;
}

static void test_bad_settings(void **state)
{
	struct rp_chan *tx = make(RP_CHAN_UNICAST, 64);
	struct rp_chan_err e;
	struct rp_chan *rx = rp_chan_attach(name, RP_CHAN_RECEIVER, &e);

	(void)state;
	assert_int_equal(rp_chan_set_rx_batch(rx, 32, 1000), -EOPNOTSUPP);
	assert_int_equal(rp_chan_set_rx_batch(rx, 1, 0), 0);
	assert_int_equal(rp_chan_set_rx_batch(rx, 0, 1000), -EINVAL);
	assert_int_equal(rp_chan_set_rx_batch(tx, 1, 0), -EINVAL);
	rp_chan_detach(rx);
	rp_chan_detach(tx);
	/* The modes that coalesce: a batch needs a delay, and is taken with one. */
	for (int m = 0; m < 2; m++) {
		tx = make(m ? RP_CHAN_MULTICAST : RP_CHAN_BROADCAST, 64);
		rx = rp_chan_attach(name, RP_CHAN_RECEIVER, &e);
		assert_int_equal(rp_chan_set_rx_batch(rx, 32, 0), -EINVAL);
		assert_int_equal(rp_chan_set_rx_batch(rx, 32, 1000), 0);
		rp_chan_detach(rx);
		rp_chan_detach(tx);
	}
}

/* Two sleepers with a batch of 4: the first message is the first's turn,
 * the second's turn goes to it as it collects; no wake-up call for 3
 * messages, one (its) at the 4th, and it has all 4, the other none. */
static void test_multicast_collects(void **state)
{
	struct rp_chan *tx = make(RP_CHAN_MULTICAST, 1024);
	struct rp_chan *rx[2] = { receiver(4, LONG_DELAY_US), receiver(4, LONG_DELAY_US) };
	uint32_t v[2];
	int first;

	(void)state;
	first = rx[0]->rx_idx < rx[1]->rx_idx ? 0 : 1;
	for (int i = 0; i < 2; i++)
		assert_int_equal(rp_chan_wait_arm(rx[i], &v[i]), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(rp_chan_send(tx, "x", 1), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(rx_word(rx[i]), v[i]);
	assert_int_equal(rp_chan_send(tx, "x", 1), 0);
	assert_int_not_equal(rx_word(rx[first]), v[first]);
	assert_int_equal(rx_word(rx[!first]), v[!first]);
	for (int i = 0; i < 2; i++)
		rp_chan_wait_disarm(rx[i]);
	assert_int_equal(drain(rx[first]), 4);
	assert_int_equal(drain(rx[!first]), 0);
	for (int i = 0; i < 2; i++)
		rp_chan_detach(rx[i]);
	rp_chan_detach(tx);
}

/* Multicast receivers until `total` reaches the count; each message (its
 * sequence number) marked in `seen`. */
enum { MC_N = 3000, MC_RX = 3 };
struct mc_rx {
	pthread_t t;
	struct rp_chan *rx;
	_Atomic int *total;
	_Atomic unsigned char *seen;
	int rc;
};

static void *mc_main(void *arg)
{
	struct mc_rx *m = arg;
	char buf[256];
	uint32_t seq;
	ssize_t n;

	while (atomic_load(m->total) < MC_N) {
		while ((n = rp_chan_recv(m->rx, buf, sizeof(buf), NULL)) >= 0) {
			memcpy(&seq, buf, sizeof(seq));
			if (n != sizeof(seq) || seq >= MC_N) {
				m->rc = -EBADMSG;
				return NULL;
			}
			atomic_fetch_add(&m->seen[seq], 1);
			atomic_fetch_add(m->total, 1);
		}
		if (n != -EAGAIN) {
			m->rc = (int)n;
			return NULL;
		}
		/* A short wait: the last messages may be the others'. */
		if ((m->rc = rp_chan_wait(m->rx, 20)) == -ETIMEDOUT)
			m->rc = 0;
		else if (m->rc < 0)
			return NULL;
	}
	return NULL;
}

/* Block policy, a ring of 4 slots, batches far larger than the ring, a
 * delay that never expires: every send succeeds and every message is
 * received exactly once (the floor rounds wake a collecting sleeper). */
static void test_multicast_block_tiny_ring(void **state)
{
	struct rp_chan *tx = make(RP_CHAN_MULTICAST, 4);
	static _Atomic unsigned char seen[MC_N];
	_Atomic int total = 0;
	struct mc_rx m[MC_RX];

	(void)state;
	for (int i = 0; i < MC_N; i++)
		atomic_store(&seen[i], 0);
	for (int i = 0; i < MC_RX; i++) {
		m[i] = (struct mc_rx){ .rx = receiver(1000, LONG_DELAY_US), .total = &total,
				       .seen = seen };
		assert_int_equal(pthread_create(&m[i].t, NULL, mc_main, &m[i]), 0);
	}
	for (uint32_t i = 0; i < MC_N; i++)
		assert_int_equal(rp_chan_send(tx, &i, sizeof(i)), 0);
	for (int i = 0; i < MC_RX; i++) {
		pthread_join(m[i].t, NULL);
		assert_int_equal(m[i].rc, 0);
		rp_chan_detach(m[i].rx);
	}
	for (int i = 0; i < MC_N; i++)
		assert_int_equal(atomic_load(&seen[i]), 1);
	assert_int_equal(atomic_load(&total), MC_N);
	assert_int_equal(atomic_load(&tx->shm->send_timeouts), 0);
	rp_chan_detach(tx);
}

/* A sleeping receiver with a batch of 32: no wake-up call for 31
 * messages, one at the 32nd, and then it has all 32. */
static void test_wakes_at_batch(void **state)
{
	struct rp_chan *tx = make(RP_CHAN_BROADCAST, 1024);
	struct rp_chan *rx = receiver(32, LONG_DELAY_US);
	struct sleeper s;

	(void)state;
	sleeper_start(&s, rx, 32);
	wait_asleep(tx, &s);
	for (int i = 0; i < 31; i++)
		assert_int_equal(rp_chan_send(tx, "x", 1), 0);
	assert_int_equal(wakes(tx), 0);
	assert_int_equal(rp_chan_send(tx, "x", 1), 0);
	assert_int_equal(wakes(tx), 1);
	pthread_join(s.t, NULL);
	assert_int_equal(s.rc, 0);
	assert_int_equal(s.got, 32);
	rp_chan_detach(rx);
	rp_chan_detach(tx);
}

/* Receivers share the broadcast word: a sleeper with the default batch
 * (armed at the same epoch) is woken by the first message, so is the
 * batching one; its own next batch starts from where it got to. */
static void test_smallest_batch_decides(void **state)
{
	struct rp_chan *tx = make(RP_CHAN_BROADCAST, 1024);
	struct rp_chan *rx[2] = { receiver(32, LONG_DELAY_US), receiver(1, 0) };
	uint32_t v[2];

	(void)state;
	for (int i = 0; i < 2; i++)
		assert_int_equal(rp_chan_wait_arm(rx[i], &v[i]), 0);
	assert_int_equal(rp_chan_send(tx, "x", 1), 0);
	assert_int_equal(wakes(tx), 1);
	for (int i = 0; i < 2; i++) {
		rp_chan_wait_disarm(rx[i]);
		assert_int_equal(drain(rx[i]), 1);
	}
	/* Only the batching one sleeps now: 31 more make no wake-up. */
	assert_int_equal(rp_chan_wait_arm(rx[0], &v[0]), 0);
	for (int i = 0; i < 31; i++)
		assert_int_equal(rp_chan_send(tx, "x", 1), 0);
	assert_int_equal(wakes(tx), 1);
	assert_int_equal(rp_chan_send(tx, "x", 1), 0);
	assert_int_equal(wakes(tx), 2);
	rp_chan_wait_disarm(rx[0]);
	for (int i = 0; i < 2; i++)
		rp_chan_detach(rx[i]);
	rp_chan_detach(tx);
}

/* The wake-up calls made for rx so far: broadcast's shared word, a
 * multicast receiver's own; each moves once per call, never otherwise. */
static uint32_t wake_calls(struct rp_chan *tx, struct rp_chan *rx)
{
	return tx->mode == RP_CHAN_BROADCAST ? wakes(tx) : rx_word(rx);
}

/* A partial batch arrives by the receiver's max delay: its wait returns
 * with the messages though no sender made a wake-up call. */
static void partial_batch_after_delay(enum rp_chan_mode mode)
{
	struct rp_chan *tx = make(mode, 1024);
	struct rp_chan *rx = receiver(32, 2000);
	uint32_t calls = wake_calls(tx, rx);
	struct sleeper s;

	sleeper_start(&s, rx, 3);
	wait_asleep(tx, &s);
	for (int i = 0; i < 3; i++)
		assert_int_equal(rp_chan_send(tx, "x", 1), 0);
	pthread_join(s.t, NULL);
	assert_int_equal(s.rc, 0);
	assert_int_equal(s.got, 3);
	assert_int_equal(wake_calls(tx, rx), calls);
	rp_chan_detach(rx);
	rp_chan_detach(tx);
}

static void test_partial_batch_after_delay(void **state)
{
	(void)state;
	partial_batch_after_delay(RP_CHAN_BROADCAST);
}

static void test_multicast_partial_after_delay(void **state)
{
	(void)state;
	partial_batch_after_delay(RP_CHAN_MULTICAST);
}

/* Block policy, a ring of 4 slots, receivers asking for batches far
 * larger than the ring with a delay that never expires: every send
 * succeeds (a deadlock would end the sender's wait with -ETIMEDOUT after
 * block_timeout_ms) and every receiver gets every message. */
static void test_block_tiny_ring(void **state)
{
	enum { N = 2000, RX = 2 };
	struct rp_chan *tx = make(RP_CHAN_BROADCAST, 4);
	struct sleeper s[RX];
	struct rp_chan *rx[RX];

	(void)state;
	for (int i = 0; i < RX; i++) {
		rx[i] = receiver(1000, LONG_DELAY_US);
		sleeper_start(&s[i], rx[i], N);
	}
	wait_for_sleepers(tx, RX);
	for (int i = 0; i < N; i++)
		assert_int_equal(rp_chan_send(tx, "x", 1), 0);
	for (int i = 0; i < RX; i++) {
		pthread_join(s[i].t, NULL);
		assert_int_equal(s[i].rc, 0);
		assert_int_equal(s[i].got, N);
		rp_chan_detach(rx[i]);
	}
	assert_int_equal(atomic_load(&tx->shm->send_timeouts), 0);
	rp_chan_detach(tx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_settings),
		cmocka_unit_test(test_wakes_at_batch),
		cmocka_unit_test(test_smallest_batch_decides),
		cmocka_unit_test(test_partial_batch_after_delay),
		cmocka_unit_test(test_block_tiny_ring),
		cmocka_unit_test(test_multicast_collects),
		cmocka_unit_test(test_multicast_partial_after_delay),
		cmocka_unit_test(test_multicast_block_tiny_ring),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
