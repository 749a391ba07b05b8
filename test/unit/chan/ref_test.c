/* SPDX-License-Identifier: MIT */
/*
 * By-reference messages (chan/region.c): a sender writes messages of up to
 * 64 KiB into 8 buffers of its region and reuses a buffer only once
 * rp_chan_released() says so; receivers read in place (rp_chan_recv_ref)
 * or copy (rp_chan_recv) and check every byte while the sender keeps
 * rewriting the other buffers. A hold that did not hold would show as a
 * changed byte. Also: unicast delivers each exactly once; references a
 * co-tenant forged (bad region, bounds, generation) are lost messages, not
 * crashes; a region needs the block policy; a departed sender's messages
 * stay readable; destroy removes the region files.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "chan/internal.h"

#define NBUF	8
#define BUFSZ	65536
#define NMSG	4000

static char name[64];

static void make(enum rp_chan_mode mode, enum rp_chan_policy pol)
{
	struct rp_chan_params p;
	struct rp_chan_err e;

	rp_chan_params_default(&p);
	p.mode = mode;
	p.policy = pol;
	p.slots = 16;		/* fewer slots than messages: positions wrap */
	p.slot_size = 64;
	p.block_timeout_ms = 10000;
	rp_chan_destroy(name, &e);
	assert_int_equal(rp_chan_create(name, &p, &e), 0);
}

static size_t msg_len(uint64_t k)
{
	return 8 + (size_t)(k * 7919 % (BUFSZ - 8));
}

static uint8_t msg_byte(uint64_t k, size_t i)
{
	return (uint8_t)(k * 31 + i);
}

/* 0 if the message is message k, byte for byte. */
static int check_msg(const uint8_t *d, ssize_t len, uint64_t k)
{
	uint64_t got;

	if (len != (ssize_t)msg_len(k))
		return -1;
	memcpy(&got, d, 8);
	if (got != k)
		return -2;
	for (size_t i = 8; i < (size_t)len; i++)
		if (d[i] != msg_byte(k, i))
			return -3;
	return 0;
}

/* Send NMSG messages by reference, reusing buffer k % NBUF once released. */
static void send_all(struct rp_chan *tx, uint64_t n)
{
	struct rp_chan_err e;
	uint8_t *reg = rp_chan_region_create(tx, NBUF * BUFSZ, &e);
	uint64_t last[NBUF];
	bool used[NBUF] = { false };

	assert_non_null(reg);
	for (uint64_t k = 0; k < n; k++) {
		unsigned b = (unsigned)(k % NBUF);
		uint8_t *p = reg + (size_t)b * BUFSZ;
		size_t len = msg_len(k);

		while (used[b] && !rp_chan_released(tx, last[b]))
			sched_yield();
		memcpy(p, &k, 8);
		for (size_t i = 8; i < len; i++)
			p[i] = msg_byte(k, i);
		assert_int_equal(rp_chan_send_ref(tx, (size_t)b * BUFSZ, len, &last[b]), 0);
		used[b] = true;
	}
}

struct rx_arg {
	struct rp_chan *ch;
	bool in_place;		/* rp_chan_recv_ref, else rp_chan_recv */
	uint64_t n_expect;	/* broadcast: all, in order; unicast: stop at -EPIPE */
	uint64_t got, bad, lost;
	uint8_t *seen;		/* unicast: per message, how often received */
};

static void *rx_main(void *argp)
{
	struct rx_arg *a = argp;
	uint8_t *buf = malloc(BUFSZ);
	uint64_t next = 0;

	for (;;) {
		const void *d = buf;
		uint64_t lost = 0, k;
		ssize_t r = a->in_place ? rp_chan_recv_ref(a->ch, buf, BUFSZ, &d, &lost)
					: rp_chan_recv(a->ch, buf, BUFSZ, &lost);

		a->lost += lost;
		if (r == -EAGAIN) {
			rp_chan_wait(a->ch, 100);
			continue;
		}
		if (r < 0)
			break;
		if (a->in_place && (a->got & 7) == 0)
			sched_yield();	/* hold it a while: the sender must wait */
		memcpy(&k, d, 8);
		if (a->seen) {
			if (k < NMSG)
				a->seen[k]++;
		} else if (k != next) {
			a->bad++;
		}
		if (check_msg(d, r, k))
			a->bad++;
		next = k + 1;
		if (++a->got == a->n_expect && !a->seen)
			break;
	}
	free(buf);
	return NULL;
}

static void run(enum rp_chan_mode mode, unsigned n_rx)
{
	struct rp_chan_err e;
	struct rp_chan *tx;
	struct rx_arg a[3];
	pthread_t t[3];
	uint8_t *seen = mode == RP_CHAN_UNICAST ? calloc(NMSG, 1) : NULL;

	make(mode, RP_CHAN_BLOCK);
	for (unsigned i = 0; i < n_rx; i++) {
		a[i] = (struct rx_arg){ .ch = rp_chan_attach(name, RP_CHAN_RECEIVER, &e),
					.in_place = i != 1, .n_expect = NMSG, .seen = seen };
		assert_non_null(a[i].ch);
	}
	tx = rp_chan_attach(name, RP_CHAN_SENDER, &e);
	assert_non_null(tx);
	for (unsigned i = 0; i < n_rx; i++)
		pthread_create(&t[i], NULL, rx_main, &a[i]);
	send_all(tx, NMSG);
	if (seen) {		/* unicast: drain, then the destroy ends them */
		while (!rp_chan_released(tx, NMSG - 1))
			sched_yield();
		rp_chan_destroy(name, &e);
	}
	for (unsigned i = 0; i < n_rx; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(a[i].bad, 0);
		assert_int_equal(a[i].lost, 0);
		if (!seen)
			assert_int_equal(a[i].got, NMSG);
		rp_chan_detach(a[i].ch);
	}
	for (unsigned k = 0; seen && k < NMSG; k++)
		assert_int_equal(seen[k], 1);
	free(seen);
	rp_chan_detach(tx);
	rp_chan_destroy(name, &e);
}

static void test_broadcast_in_place_and_copied(void **state)
{
	(void)state;
	run(RP_CHAN_BROADCAST, 3);
}

static void test_unicast_once_each(void **state)
{
	(void)state;
	run(RP_CHAN_UNICAST, 2);
}

static void test_multicast_once_each(void **state)
{
	(void)state;
	run(RP_CHAN_MULTICAST, 1);
}

/* A co-tenant's forged references: each one lost, then a good one read. */
static void test_forged_refs(void **state)
{
	struct rp_chan_err e;
	struct rp_chan *tx, *rx;
	uint8_t buf[64];
	const void *d;
	uint64_t lost = 0, pos;
	uint8_t *reg;
	struct rp_chan_ref forged[] = {
		{ .region = 9, .gen = 1, .off = 0, .len = 8 },			/* no such index */
		{ .region = 0, .gen = 1, .off = 4096, .len = 1 },		/* past the end */
		{ .region = 0, .gen = 1, .off = 8, .len = UINT64_MAX - 4 },	/* wraps */
		{ .region = 0, .gen = 7, .off = 0, .len = 8 },			/* other generation */
		{ .region = 1, .gen = 1, .off = 0, .len = 8 },			/* no file */
	};
	(void)state;

	make(RP_CHAN_BROADCAST, RP_CHAN_BLOCK);
	rx = rp_chan_attach(name, RP_CHAN_RECEIVER, &e);
	tx = rp_chan_attach(name, RP_CHAN_SENDER, &e);
	assert_non_null(reg = rp_chan_region_create(tx, 4096, &e));
	memcpy(reg, "by-ref!", 8);
	for (unsigned i = 0; i < sizeof(forged) / sizeof(forged[0]); i++)
		assert_int_equal(rp_chan_send_slot(tx, &forged[i], sizeof(forged[i]),
						   RP_CHAN_LEN_REF | sizeof(forged[i]), NULL, NULL), 0);
	/* a reference-flagged slot of the wrong size: corrupt, lost */
	assert_int_equal(rp_chan_send_slot(tx, "x", 1, RP_CHAN_LEN_REF | 1, NULL, NULL), 0);
	assert_int_equal(rp_chan_send_ref(tx, 0, 8, &pos), 0);
	assert_int_equal(rp_chan_recv_ref(rx, buf, sizeof(buf), &d, &lost), 8);
	assert_string_equal((const char *)d, "by-ref!");
	assert_int_equal(lost, 6);
	assert_false(rp_chan_released(tx, pos));	/* still held */
	assert_int_equal(rp_chan_recv_ref(rx, buf, sizeof(buf), &d, &lost), -EAGAIN);
	assert_true(rp_chan_released(tx, pos));
	/* bounds on the sender's side */
	assert_int_equal(rp_chan_send_ref(tx, 4000, 97, &pos), -EINVAL);
	rp_chan_detach(rx);
	rp_chan_detach(tx);
	rp_chan_destroy(name, &e);
}

static void test_rules_and_files(void **state)
{
	struct rp_chan_err e;
	struct rp_chan *tx, *rx;
	char path[160];
	uint8_t buf[64];
	uint64_t lost, pos;
	uint8_t *reg;
	(void)state;

	make(RP_CHAN_BROADCAST, RP_CHAN_OVERWRITE);
	tx = rp_chan_attach(name, RP_CHAN_SENDER, &e);
	assert_null(rp_chan_region_create(tx, 4096, &e));
	assert_non_null(strstr(e.msg, "block policy"));
	assert_int_equal(rp_chan_send_ref(tx, 0, 1, &pos), -EINVAL);	/* no region */
	rp_chan_detach(tx);

	make(RP_CHAN_BROADCAST, RP_CHAN_BLOCK);
	rx = rp_chan_attach(name, RP_CHAN_RECEIVER, &e);
	tx = rp_chan_attach(name, RP_CHAN_SENDER, &e);
	assert_non_null(reg = rp_chan_region_create(tx, 8192, &e));
	assert_null(rp_chan_region_create(tx, 4096, &e));	/* one per handle */
	memset(reg, 'z', 8192);
	assert_int_equal(rp_chan_send_ref(tx, 0, 8192, &pos), 0);
	assert_int_equal(rp_chan_send_ref(tx, 0, 5, &pos), 0);
	rp_chan_detach(tx);		/* its messages stay readable */
	assert_int_equal(rp_chan_region_path(rx, 0, path, sizeof(path)), 0);
	assert_int_equal(access(path, R_OK), 0);
	/* copying receive: too big for cap is lost, the next one fits */
	assert_int_equal(rp_chan_recv(rx, buf, sizeof(buf), &lost), 5);
	assert_int_equal(lost, 1);
	assert_memory_equal(buf, "zzzzz", 5);
	rp_chan_detach(rx);
	assert_int_equal(rp_chan_destroy(name, &e), 0);
	assert_int_equal(access(path, F_OK), -1);	/* destroy removed it */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_broadcast_in_place_and_copied),
		cmocka_unit_test(test_unicast_once_each),
		cmocka_unit_test(test_multicast_once_each),
		cmocka_unit_test(test_forged_refs),
		cmocka_unit_test(test_rules_and_files),
	};

	snprintf(name, sizeof(name), "ref-%d", (int)getpid());
	return cmocka_run_group_tests(tests, NULL, NULL);
}
