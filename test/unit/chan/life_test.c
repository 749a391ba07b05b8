/* SPDX-License-Identifier: MIT */
/*
 * Lifecycle and misbehaving peers: destroy while senders and receivers are
 * attached (also one asleep), a receiver SIGKILLed while reading that must
 * stop blocking a block-policy sender once detected, access by another user
 * (refused without permission, attached with group permission), and the
 * overwrite policy: a slow receiver sees counted gaps and never a torn
 * message; a sender killed mid-write leaves a hole receivers skip.
 */
#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "chan/internal.h"
#include "test/unit/child.h"

#define OTHER_UID 65534		/* nobody */
#define TEST_GID 4242		/* a group only the test gives */

static char name[64];

static void make(enum rp_chan_mode mode, enum rp_chan_policy pol, uint32_t slots,
		 uint32_t timeout_ms, mode_t perm, gid_t gid)
{
	struct rp_chan_params p;
	struct rp_chan_err e;

	rp_chan_params_default(&p);
	p.mode = mode;
	p.policy = pol;
	p.slots = slots;
	p.slot_size = 64;
	p.block_timeout_ms = timeout_ms;
	p.perm = perm;
	p.gid = gid;
	rp_chan_destroy(name, &e);
	assert_int_equal(rp_chan_create(name, &p, &e), 0);
}

static int setup(void **state)
{
	(void)state;
	snprintf(name, sizeof(name), "life-%d", (int)getpid());
	return 0;
}

static int teardown(void **state)
{
	struct rp_chan_err e;

	(void)state;
	rp_chan_destroy(name, &e);
	return 0;
}

static void *sleeper(void *arg)
{
	return (void *)(intptr_t)rp_chan_wait(arg, -1);
}

static void test_destroy_while_attached(void **state)
{
	struct rp_chan *tx, *rx, *rx2;
	struct rp_chan_err e;
	pthread_t t;
	void *ret;
	char buf[64];

	(void)state;
	make(RP_CHAN_BROADCAST, RP_CHAN_BLOCK, 16, 1000, 0600, (gid_t)-1);
	assert_non_null(tx = rp_chan_attach(name, RP_CHAN_SENDER, &e));
	assert_non_null(rx = rp_chan_attach(name, RP_CHAN_RECEIVER, &e));
	assert_non_null(rx2 = rp_chan_attach(name, RP_CHAN_RECEIVER, &e));
	for (int i = 0; i < 3; i++)
		assert_int_equal(rp_chan_send(tx, "m", 1), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(rp_chan_recv(rx2, buf, sizeof(buf), NULL), 1);
	/* rx2 sleeps with nothing to read: the destroy must wake it. */
	assert_int_equal(pthread_create(&t, NULL, sleeper, rx2), 0);
	usleep(10000);
	assert_int_equal(rp_chan_destroy(name, &e), 0);
	pthread_join(t, &ret);
	assert_int_equal((intptr_t)ret, 0);
	assert_int_equal(rp_chan_send(tx, "m", 1), -EPIPE);
	for (int i = 0; i < 3; i++)	/* what was sent before is drained */
		assert_int_equal(rp_chan_recv(rx, buf, sizeof(buf), NULL), 1);
	assert_int_equal(rp_chan_recv(rx, buf, sizeof(buf), NULL), -EPIPE);
	assert_int_equal(rp_chan_wait(rx, -1), 0);	/* no sleep on a dead channel */
	assert_null(rp_chan_attach(name, RP_CHAN_RECEIVER, &e));
	assert_non_null(strstr(e.msg, "no such channel"));
	rp_chan_detach(rx2);
	rp_chan_detach(rx);
	rp_chan_detach(tx);
}

/* Child: attach, tell the parent, read slowly until killed. */
static void slow_reader(int ready_fd)
{
	struct rp_chan_err e;
	struct rp_chan *rx = rp_chan_attach(name, RP_CHAN_RECEIVER, &e);
	char buf[64];

	if (!rx)
		_exit(1);
	if (write(ready_fd, "r", 1) != 1)
		_exit(2);
	for (;;) {
		if (rp_chan_recv(rx, buf, sizeof(buf), NULL) == -EAGAIN)
			rp_chan_wait(rx, 10);
		usleep(2000);
	}
}

/* A broadcast block channel of 8 slots: a slow reader holds the floor, the
 * sender blocks; the reader is SIGKILLed (and left an unreaped zombie
 * while the sender goes on): once detected it blocks nobody, and a live
 * receiver still gets every message in order. */
static void test_killed_receiver(void **state)
{
	struct rp_chan *tx, *rx;
	struct rp_chan_info info;
	struct rp_chan_err e;
	int pfd[2], status;
	char c, buf[64];
	pid_t pid;
	unsigned got = 0;

	(void)state;
	make(RP_CHAN_BROADCAST, RP_CHAN_BLOCK, 8, 60000, 0600, (gid_t)-1);
	assert_non_null(tx = rp_chan_attach(name, RP_CHAN_SENDER, &e));
	assert_non_null(rx = rp_chan_attach(name, RP_CHAN_RECEIVER, &e));
	assert_int_equal(pipe(pfd), 0);
	assert_true((pid = fork()) >= 0);
	if (pid == 0)
		slow_reader(pfd[1]);
	assert_int_equal(read(pfd[0], &c, 1), 1);
	/* Let it read a few, then kill it wherever it is. */
	for (int i = 0; i < 6; i++)
		assert_int_equal(rp_chan_send(tx, &i, sizeof(i)), 0);
	usleep(5000);
	kill(pid, SIGKILL);
	for (int i = 6; i < 200; i++) {
		ssize_t n;

		assert_int_equal(rp_chan_send(tx, &i, sizeof(i)), 0);
		while ((n = rp_chan_recv(rx, buf, sizeof(buf), NULL)) > 0) {
			assert_int_equal(*(int *)buf, (int)got);
			got++;
		}
	}
	while (rp_chan_recv(rx, buf, sizeof(buf), NULL) > 0)
		got++;
	assert_int_equal(got, 200);
	rp_chan_info(tx, &info);
	assert_int_equal(info.n_rx, 1);
	assert_int_equal(info.send_timeouts, 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	rp_chan_detach(rx);
	rp_chan_detach(tx);
}

/* As another user: refused, or attached thanks to the group. */
static int as_other(bool with_group)
{
	gid_t g = TEST_GID;
	struct rp_chan_err e;
	struct rp_chan *ch;

	if (setgroups(with_group ? 1 : 0, &g) || setgid(OTHER_UID) || setuid(OTHER_UID))
		return 10;
	ch = rp_chan_attach(name, RP_CHAN_RECEIVER, &e);
	if (!with_group)
		return ch ? 11 : strstr(e.msg, "Permission denied") ? 0 : 12;
	if (!ch)
		return 13;
	rp_chan_detach(ch);
	return 0;
}

static int other_refused(void) { return as_other(false); }
static int other_in_group(void) { return as_other(true); }

static void test_access(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		print_message("not root: cannot become another user, skipped\n");
		skip();
	}
	make(RP_CHAN_BROADCAST, RP_CHAN_BLOCK, 16, 100, 0600, (gid_t)-1);
	rp_assert_child_ok(other_refused);
	make(RP_CHAN_BROADCAST, RP_CHAN_BLOCK, 16, 100, 0660, TEST_GID);
	rp_assert_child_ok(other_refused);
	rp_assert_child_ok(other_in_group);
}

struct ow_stats {
	struct rp_chan *rx;
	uint64_t got, lost, torn, disorder;
	_Atomic bool done;
};

static void *ow_reader(void *arg)
{
	struct ow_stats *s = arg;
	uint64_t buf[8], last = 0;
	bool any = false;

	for (;;) {
		/* Read before trying: once the sender is done, everything it
		 * sent is visible to the receive below. */
		bool fin = atomic_load(&s->done);
		uint64_t lost;
		ssize_t n = rp_chan_recv(s->rx, buf, sizeof(buf), &lost);

		s->lost += lost;
		if (n < 0) {
			if (fin)
				break;
			rp_chan_wait(s->rx, 10);
			continue;
		}
		/* Every word of a message carries its number: a torn copy
		 * mixes two. */
		for (int k = 1; k < 8; k++)
			if (buf[k] != buf[0] * 0x9e3779b97f4a7c15ull + (uint64_t)k)
				s->torn++;
		if (any && buf[0] <= last)
			s->disorder++;
		any = true;
		last = buf[0];
		s->got++;
		if (s->got % 64 == 0)
			usleep(100);	/* slow: the sender laps it */
	}
	return NULL;
}

static void test_overwrite_gaps(void **state)
{
	struct ow_stats s = { 0 };
	struct rp_chan *tx;
	struct rp_chan_err e;
	uint64_t buf[8], lost;
	pthread_t t;
	const uint64_t n = 200000;

	(void)state;
	make(RP_CHAN_BROADCAST, RP_CHAN_OVERWRITE, 8, 100, 0600, (gid_t)-1);
	assert_non_null(tx = rp_chan_attach(name, RP_CHAN_SENDER, &e));
	assert_non_null(s.rx = rp_chan_attach(name, RP_CHAN_RECEIVER, &e));
	/* Lapped before reading at all: one counted gap, then the newest 8. */
	for (uint64_t i = 0; i < 100; i++) {
		for (int k = 0; k < 8; k++)
			buf[k] = k ? i * 0x9e3779b97f4a7c15ull + (uint64_t)k : i;
		assert_int_equal(rp_chan_send(tx, buf, sizeof(buf)), 0);
	}
	assert_int_equal(rp_chan_recv(s.rx, buf, sizeof(buf), &lost), sizeof(buf));
	assert_int_equal(lost, 92);
	assert_int_equal(buf[0], 92);
	while (rp_chan_recv(s.rx, buf, sizeof(buf), NULL) > 0)
		;
	/* Concurrent: the sender never waits, the reader loses and counts. */
	assert_int_equal(pthread_create(&t, NULL, ow_reader, &s), 0);
	for (uint64_t i = 100; i < 100 + n; i++) {
		for (int k = 0; k < 8; k++)
			buf[k] = k ? i * 0x9e3779b97f4a7c15ull + (uint64_t)k : i;
		assert_int_equal(rp_chan_send(tx, buf, sizeof(buf)), 0);
	}
	atomic_store(&s.done, true);
	pthread_join(t, NULL);
	print_message("overwrite: %lu received, %lu lost (counted), %lu torn\n",
		      (unsigned long)s.got, (unsigned long)s.lost, (unsigned long)s.torn);
	assert_int_equal(s.torn, 0);
	assert_int_equal(s.disorder, 0);
	assert_int_equal(s.got + s.lost, n);
	rp_chan_detach(s.rx);
	rp_chan_detach(tx);
}

/* Child: take the next position and mark its slot "writing", as a sender
 * does, then die before publishing. */
static void die_mid_write(void)
{
	struct rp_chan_err e;
	struct rp_chan *tx = rp_chan_attach(name, RP_CHAN_SENDER, &e);
	uint64_t pos;
	struct rp_chan_slot *sl;

	if (!tx)
		_exit(1);
	pos = atomic_fetch_add(&tx->shm->tail, 1);
	sl = rp_chan_slot_at(tx, pos);
	atomic_store(&sl->sender, getpid());
	atomic_store(&sl->seq, rp_chan_seq_writing(pos));
	_exit(0);
}

/* A sender killed mid-write leaves a hole; receivers wait there, find its
 * pid gone, skip it as one lost message and get what came after. */
static void test_dead_sender_hole(void **state)
{
	(void)state;
	for (int mode = RP_CHAN_UNICAST; mode <= RP_CHAN_MULTICAST; mode++) {
		struct rp_chan *tx, *rx;
		struct rp_chan_err e;
		uint64_t lost = 0;
		char buf[64];
		pid_t pid;
		ssize_t n;

		make((enum rp_chan_mode)mode, RP_CHAN_BLOCK, 16, 1000, 0600, (gid_t)-1);
		assert_non_null(rx = rp_chan_attach(name, RP_CHAN_RECEIVER, &e));
		assert_non_null(tx = rp_chan_attach(name, RP_CHAN_SENDER, &e));
		assert_true((pid = fork()) >= 0);
		if (pid == 0)
			die_mid_write();
		assert_int_equal(waitpid(pid, NULL, 0), pid);
		assert_int_equal(rp_chan_send(tx, "after", 5), 0);
		assert_int_equal(rp_chan_recv(rx, buf, sizeof(buf), NULL), -EAGAIN);
		/* The wait finds the hole (after its first 1 s piece). */
		assert_int_equal(rp_chan_wait(rx, 5000), 0);
		n = rp_chan_recv(rx, buf, sizeof(buf), &lost);
		assert_int_equal(n, 5);
		assert_int_equal(lost, 1);
		assert_memory_equal(buf, "after", 5);
		rp_chan_detach(tx);
		rp_chan_detach(rx);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_destroy_while_attached),
		cmocka_unit_test(test_killed_receiver),
		cmocka_unit_test(test_access),
		cmocka_unit_test(test_overwrite_gaps),
		cmocka_unit_test(test_dead_sender_hole),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
