/* SPDX-License-Identifier: MIT */
/*
 * Waiting: a receiver waits for channel messages and other completions in
 * one io_uring (SINGLE_ISSUER|DEFER_TASKRUN, like a worker's); FUTEX_WAITV
 * across two channels; senders make no wake-up when nobody sleeps (the futex
 * word is only bumped for sleepers); a multicast or unicast message wakes
 * one receiver, not all; a multicast sleeper no message is for is never
 * woken and holds no sender back; rp_chan_wait with a timeout. Run twice
 * by meson: as is, and with RP_CHAN_FORCE_FUTEX=1 (the futex(2) fallback).
 */
#include <errno.h>
#include <linux/futex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <liburing.h>

#include "chan/internal.h"

static char name[2][64];

static enum rp_chan_mode make_mode = RP_CHAN_BROADCAST;

static struct rp_chan *make(int i, enum rp_chan_role role)
{
	struct rp_chan_params p;
	struct rp_chan_err e;

	if (role == RP_CHAN_SENDER) {
		rp_chan_params_default(&p);
		p.mode = make_mode;
		rp_chan_destroy(name[i], &e);
		assert_int_equal(rp_chan_create(name[i], &p, &e), 0);
	}
	return rp_chan_attach(name[i], role, &e);
}

static int setup(void **state)
{
	(void)state;
	for (int i = 0; i < 2; i++)
		snprintf(name[i], sizeof(name[i]), "wait-%d-%d", (int)getpid(), i);
	print_message("wait backend: %s\n", rp_chan_wait_backend());
	return 0;
}

static int teardown(void **state)
{
	struct rp_chan_err e;

	(void)state;
	for (int i = 0; i < 2; i++)
		rp_chan_destroy(name[i], &e);
	return 0;
}

static void test_no_wake_without_sleepers(void **state)
{
	struct rp_chan *tx = make(0, RP_CHAN_SENDER), *rx = make(0, RP_CHAN_RECEIVER);
	char buf[256];
	uint32_t v;

	(void)state;
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(rp_chan_send(tx, "x", 1), 0);
		assert_int_equal(rp_chan_recv(rx, buf, sizeof(buf), NULL), 1);
	}
	/* Nobody slept: the word never moved, so no FUTEX_WAKE was made. */
	assert_int_equal(atomic_load(&tx->shm->data_futex), 0);
	assert_int_equal(rp_chan_wait_arm(rx, &v), 0);
	assert_int_equal(atomic_load(&tx->shm->data_sleepers), 1);
	assert_int_equal(rp_chan_send(tx, "x", 1), 0);
	assert_int_equal(atomic_load(&tx->shm->data_futex), 1);
	rp_chan_wait_disarm(rx);
	assert_int_equal(atomic_load(&tx->shm->data_sleepers), 0);
	/* Armed with a message waiting: 1, nothing armed. */
	assert_int_equal(rp_chan_wait_arm(rx, &v), 1);
	assert_int_equal(atomic_load(&tx->shm->data_sleepers), 0);
	rp_chan_detach(rx);
	rp_chan_detach(tx);
}

/* Multicast: a message wakes only the receiver it is for; unicast: one
 * sleeper, not all. Read from the receivers' own wait words. */
static void test_wake_only_the_target(void **state)
{
	struct rp_chan *tx, *rx[2];
	uint32_t v;

	(void)state;
	for (int mode = RP_CHAN_UNICAST; mode <= RP_CHAN_MULTICAST; mode += 2) {
		make_mode = (enum rp_chan_mode)mode;
		tx = make(0, RP_CHAN_SENDER);
		for (int i = 0; i < 2; i++) {
			rx[i] = make(0, RP_CHAN_RECEIVER);
			assert_int_equal(rp_chan_wait_arm(rx[i], &v), 0);
		}
		/* Position 0 goes to the first live receiver (multicast); the
		 * first sleeper is woken (unicast): rx[0] either way. */
		assert_int_equal(rp_chan_send(tx, "x", 1), 0);
		assert_int_equal(atomic_load(&tx->rx[rx[0]->rx_idx].futex), 1);
		assert_int_equal(atomic_load(&tx->rx[rx[1]->rx_idx].futex), 0);
		assert_int_equal(atomic_load(&tx->shm->data_futex), 0);
		for (int i = 0; i < 2; i++) {
			rp_chan_wait_disarm(rx[i]);
			rp_chan_detach(rx[i]);
		}
		rp_chan_detach(tx);
	}
	make_mode = RP_CHAN_BROADCAST;
}

/*
 * Multicast: a sleeping receiver that no message is for is never woken,
 * and does not hold the floor back (format 4: its cursor is moved past the
 * others' messages for it). Receiver a is awake and takes every message
 * (b's turns go to it, as b sleeps); b sleeps through 10 rings of them.
 * Before, the floor waited on b's cursor: b was woken to walk past them
 * (its wait word moved), and since b never ran, a block-policy sender
 * timed out once the ring was full, and an overwrite one lapped b, which
 * then counted a's messages as its own losses. Both policies, then b gets
 * a message of its own (woken for it: its word moves once) with no loss.
 */
static void test_multicast_sleeper_not_woken(void **state)
{
	enum rp_chan_policy pol[] = { RP_CHAN_BLOCK, RP_CHAN_OVERWRITE };
	struct rp_chan *tx, *a, *b;
	struct rp_chan_params p;
	struct rp_chan_err e;
	char buf[64];
	uint64_t lost;
	uint32_t v;

	(void)state;
	for (unsigned k = 0; k < 2; k++) {
		rp_chan_params_default(&p);
		p.mode = RP_CHAN_MULTICAST;
		p.policy = pol[k];
		p.slots = 16;
		p.slot_size = 64;
		p.block_timeout_ms = 20;	/* the old behaviour fails fast */
		rp_chan_destroy(name[0], &e);
		assert_int_equal(rp_chan_create(name[0], &p, &e), 0);
		tx = rp_chan_attach(name[0], RP_CHAN_SENDER, &e);
		a = rp_chan_attach(name[0], RP_CHAN_RECEIVER, &e);
		b = rp_chan_attach(name[0], RP_CHAN_RECEIVER, &e);
		assert_non_null(tx);
		assert_non_null(a);
		assert_non_null(b);
		assert_int_equal(rp_chan_wait_arm(b, &v), 0);
		for (int i = 0; i < 160; i++) {
			assert_int_equal(rp_chan_send(tx, "a", 1), 0);
			assert_int_equal(rp_chan_recv(a, buf, sizeof(buf), &lost), 1);
			assert_int_equal(lost, 0);
		}
		assert_int_equal(atomic_load(&tx->rx[b->rx_idx].futex), 0);
		/* The floor went on with a, past b's cursor of before. */
		assert_true(atomic_load(&tx->shm->head) >= 160 - 16);
		rp_chan_wait_disarm(b);
		assert_int_equal(rp_chan_recv(b, buf, sizeof(buf), &lost), -EAGAIN);
		assert_int_equal(lost, 0);
		/* b's own message: a gone, b is the only receiver. */
		rp_chan_detach(a);
		assert_int_equal(rp_chan_wait_arm(b, &v), 0);
		assert_int_equal(rp_chan_send(tx, "b", 1), 0);
		assert_int_equal(atomic_load(&tx->rx[b->rx_idx].futex), 1);
		rp_chan_wait_disarm(b);
		assert_int_equal(rp_chan_recv(b, buf, sizeof(buf), &lost), 1);
		assert_int_equal(buf[0], 'b');
		assert_int_equal(lost, 0);
		assert_int_equal(atomic_load(&tx->rx[b->rx_idx].lost), 0);
		rp_chan_detach(b);
		rp_chan_detach(tx);
	}
}

static struct io_uring_cqe *next_cqe(struct io_uring *ring)
{
	struct io_uring_cqe *cqe;

	assert_int_equal(io_uring_submit_and_wait(ring, 1) >= 0, 1);
	assert_int_equal(io_uring_peek_cqe(ring, &cqe), 0);
	return cqe;
}

/* One ring: a read on a pipe (standing in for network completions) and the
 * channel's futex wait. Each wakes the ring with its own CQE. */
static void test_one_ring(void **state)
{
	struct rp_chan *tx, *rx;
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	char buf[256], pb[8];
	int pfd[2];
	uint32_t v;

	(void)state;
	if (strncmp(rp_chan_wait_backend(), "io_uring", 8))
		skip();
	tx = make(0, RP_CHAN_SENDER);
	rx = make(0, RP_CHAN_RECEIVER);
	assert_int_equal(pipe(pfd), 0);
	assert_int_equal(io_uring_queue_init(8, &ring, IORING_SETUP_SINGLE_ISSUER |
					     IORING_SETUP_DEFER_TASKRUN), 0);
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read(sqe, pfd[0], pb, sizeof(pb), 0);
	io_uring_sqe_set_data64(sqe, 1);
	assert_int_equal(rp_chan_wait_arm(rx, &v), 0);
	sqe = io_uring_get_sqe(&ring);
	rp_chan_prep_wait(rx, sqe, v);
	io_uring_sqe_set_data64(sqe, 2);
	assert_int_equal(io_uring_submit(&ring), 2);
	/* Sent from this thread: the wait is in the kernel, not a thread. */
	assert_int_equal(rp_chan_send(tx, "hello", 5), 0);
	cqe = next_cqe(&ring);
	assert_int_equal(cqe->user_data, 2);
	assert_int_equal(cqe->res, 0);
	io_uring_cqe_seen(&ring, cqe);
	rp_chan_wait_disarm(rx);
	assert_int_equal(rp_chan_recv(rx, buf, sizeof(buf), NULL), 5);
	assert_int_equal(write(pfd[1], "net", 3), 3);
	cqe = next_cqe(&ring);
	assert_int_equal(cqe->user_data, 1);
	assert_int_equal(cqe->res, 3);
	io_uring_cqe_seen(&ring, cqe);
	io_uring_queue_exit(&ring);
	close(pfd[0]);
	close(pfd[1]);
	rp_chan_detach(rx);
	rp_chan_detach(tx);
}

/* FUTEX_WAITV over two channels: a message on the second wakes it with
 * that channel's index. */
static void test_waitv(void **state)
{
	struct rp_chan *tx[2], *rx[2];
	struct futex_waitv wv[2];
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	uint32_t v;

	(void)state;
	if (strncmp(rp_chan_wait_backend(), "io_uring", 8))
		skip();
	for (int i = 0; i < 2; i++) {
		tx[i] = make(i, RP_CHAN_SENDER);
		rx[i] = make(i, RP_CHAN_RECEIVER);
		assert_int_equal(rp_chan_wait_arm(rx[i], &v), 0);
		rp_chan_waitv_fill(rx[i], &wv[i], v);
	}
	assert_int_equal(io_uring_queue_init(4, &ring, 0), 0);
	io_uring_prep_futex_waitv(io_uring_get_sqe(&ring), wv, 2, 0);
	assert_int_equal(io_uring_submit(&ring), 1);
	assert_int_equal(rp_chan_send(tx[1], "b", 1), 0);
	assert_int_equal(io_uring_wait_cqe(&ring, &cqe), 0);
	assert_int_equal(cqe->res, 1);		/* the index of the woken word */
	io_uring_cqe_seen(&ring, cqe);
	io_uring_queue_exit(&ring);
	for (int i = 0; i < 2; i++) {
		rp_chan_wait_disarm(rx[i]);
		rp_chan_detach(rx[i]);
		rp_chan_detach(tx[i]);
	}
}

static void test_wait_timeout(void **state)
{
	struct rp_chan *tx = make(0, RP_CHAN_SENDER), *rx = make(0, RP_CHAN_RECEIVER);

	(void)state;
	assert_int_equal(rp_chan_wait(rx, 0), -ETIMEDOUT);
	assert_int_equal(rp_chan_wait(rx, 20), -ETIMEDOUT);
	assert_int_equal(atomic_load(&tx->shm->data_sleepers), 0);
	assert_int_equal(rp_chan_send(tx, "x", 1), 0);
	assert_int_equal(rp_chan_wait(rx, 20), 0);
	assert_int_equal(rp_chan_wait(tx, 20), -EINVAL);
	rp_chan_detach(rx);
	rp_chan_detach(tx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_wake_without_sleepers),
		cmocka_unit_test(test_wake_only_the_target),
		cmocka_unit_test(test_multicast_sleeper_not_woken),
		cmocka_unit_test(test_one_ring),
		cmocka_unit_test(test_waitv),
		cmocka_unit_test(test_wait_timeout),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
