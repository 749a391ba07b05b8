/* SPDX-License-Identifier: MIT */
/*
 * Reading in place (chan/view.c: rp_chan_peek, rp_chan_release): views of
 * inline and by-reference messages, in order and unchanged while a sender
 * keeps sending into a ring smaller than the stream (block policy: the view
 * holds the floor); a view lapped under the overwrite policy is reported
 * (-ESTALE) and counted; addressed messages for others are walked past;
 * the API's refusals; and a co-tenant scribbling over slot headers, data
 * and references never gets a view pointing outside the handle's own
 * mappings or longer than they are.
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
#include <unistd.h>

#include <cmocka.h>

#include "chan/internal.h"

#define NMSG	20000
#define SLOT	256

static char name[64];

static void make(enum rp_chan_mode mode, enum rp_chan_policy pol, uint32_t slots,
		 uint32_t timeout_ms)
{
	struct rp_chan_params p;
	struct rp_chan_err e;

	rp_chan_params_default(&p);
	p.mode = mode;
	p.policy = pol;
	p.slots = slots;
	p.slot_size = SLOT;
	p.block_timeout_ms = timeout_ms;
	rp_chan_destroy(name, &e);
	assert_int_equal(rp_chan_create(name, &p, &e), 0);
}

static size_t msg_len(uint64_t k)
{
	return 8 + (size_t)(k * 7919 % (SLOT - 8));
}

static void fill(uint8_t *d, uint64_t k)
{
	memcpy(d, &k, 8);
	for (size_t i = 8; i < msg_len(k); i++)
		d[i] = (uint8_t)(k * 31 + i);
}

/* 0 if d holds message k, byte for byte. */
static int check(const uint8_t *d, size_t len, uint64_t k)
{
	uint64_t got;

	if (len != msg_len(k))
		return -1;
	memcpy(&got, d, 8);
	if (got != k)
		return -2;
	for (size_t i = 8; i < len; i++)
		if (d[i] != (uint8_t)(k * 31 + i))
			return -3;
	return 0;
}

/* The view lies inside this handle's slot area, or inside the data of a
 * region it mapped. */
static bool inside(const struct rp_chan *ch, const struct rp_chan_view *v)
{
	const uint8_t *d = v->data;
	const uint8_t *lo = ch->slots, *hi = ch->slots + (size_t)ch->stride * ch->nslots;

	if (d >= lo && d < hi) {
		size_t in_slot = (size_t)(d - lo) % ch->stride;

		return in_slot == RP_CHAN_SLOT_HDR && v->len <= ch->slot_size;
	}
	for (unsigned i = 0; i < RP_CHAN_MAX_REGIONS; i++) {
		const struct rp_chan_rmap *r = &ch->rmap[i];

		if (r->map && d >= r->data && v->len <= r->size &&
		    (size_t)(d - r->data) <= r->size - v->len)
			return true;
	}
	return false;
}

struct sender_arg {
	struct rp_chan *tx;
	bool by_ref;
	int err;
};

/* NMSG messages, inline or from 8 region buffers reused once released. */
static void *sender_main(void *argp)
{
	struct sender_arg *a = argp;
	struct rp_chan_err e;
	uint8_t *reg = a->by_ref ? rp_chan_region_create(a->tx, 8 * SLOT, &e) : NULL;
	uint8_t msg[SLOT];
	uint64_t last[8];

	if (a->by_ref && !reg) {
		a->err = -ENOMEM;
		return NULL;
	}
	for (uint64_t k = 0; k < NMSG && !a->err; k++) {
		unsigned b = (unsigned)(k % 8);

		if (!a->by_ref) {
			fill(msg, k);
			a->err = rp_chan_send(a->tx, msg, msg_len(k));
			continue;
		}
		while (k >= 8 && !rp_chan_released(a->tx, last[b]))
			sched_yield();
		fill(reg + (size_t)b * SLOT, k);
		a->err = rp_chan_send_ref(a->tx, (size_t)b * SLOT, msg_len(k), &last[b]);
	}
	return NULL;
}

struct rx_arg {
	struct rp_chan *ch;
	uint64_t got, bad, lost, outside;
};

/* Every message, in order, read in place twice with a yield in between:
 * a sender rewriting the bytes under the view would show. */
static void *rx_main(void *argp)
{
	struct rx_arg *a = argp;

	while (a->got < NMSG) {
		struct rp_chan_view v;
		ssize_t r = rp_chan_peek(a->ch, &v);

		if (r == -EAGAIN) {
			rp_chan_wait(a->ch, 100);
			continue;
		}
		if (r < 0)
			break;
		a->lost += v.lost;
		a->outside += !inside(a->ch, &v);
		if (check(v.data, v.len, a->got))
			a->bad++;
		sched_yield();
		if (check(v.data, v.len, a->got))
			a->bad++;
		if (rp_chan_release(a->ch, &v))
			a->bad++;
		a->got++;
	}
	return NULL;
}

static void stream(bool by_ref)
{
	struct rp_chan_err e;
	struct sender_arg s = { 0 };
	struct rx_arg rx[2] = { 0 };
	pthread_t st, rt[2];
	struct rp_chan_info *info = malloc(sizeof(*info));

	make(RP_CHAN_BROADCAST, RP_CHAN_BLOCK, 16, 10000);	/* 16 slots: wraps */
	for (int i = 0; i < 2; i++) {
		assert_non_null(rx[i].ch = rp_chan_attach(name, RP_CHAN_RECEIVER, &e));
		assert_int_equal(pthread_create(&rt[i], NULL, rx_main, &rx[i]), 0);
	}
	assert_non_null(s.tx = rp_chan_attach(name, RP_CHAN_SENDER, &e));
	s.by_ref = by_ref;
	assert_int_equal(pthread_create(&st, NULL, sender_main, &s), 0);
	pthread_join(st, NULL);
	for (int i = 0; i < 2; i++)
		pthread_join(rt[i], NULL);
	assert_int_equal(s.err, 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(rx[i].got, NMSG);
		assert_int_equal(rx[i].bad, 0);
		assert_int_equal(rx[i].lost, 0);
		assert_int_equal(rx[i].outside, 0);
	}
	rp_chan_info(s.tx, info);
	assert_int_equal(info->rx[0].received, NMSG);
	assert_int_equal(info->rx[0].lost, 0);
	free(info);
	for (int i = 0; i < 2; i++)
		rp_chan_detach(rx[i].ch);
	rp_chan_detach(s.tx);
	assert_int_equal(rp_chan_destroy(name, &e), 0);
}

static void test_inline_stream(void **state)
{
	(void)state;
	stream(false);
}

static void test_by_ref_stream(void **state)
{
	(void)state;
	stream(true);
}

/* Overwrite policy: a view lapped while open is reported and counted; the
 * receiver goes on from the oldest message still in the ring. */
static void test_overwrite_detected(void **state)
{
	struct rp_chan_err e;
	struct rp_chan *tx, *rx;
	struct rp_chan_view v;
	uint8_t msg[SLOT];
	uint64_t k;

	(void)state;
	make(RP_CHAN_BROADCAST, RP_CHAN_OVERWRITE, 4, 100);
	assert_non_null(rx = rp_chan_attach(name, RP_CHAN_RECEIVER, &e));
	assert_non_null(tx = rp_chan_attach(name, RP_CHAN_SENDER, &e));
	for (k = 0; k < 2; k++) {
		fill(msg, k);
		assert_int_equal(rp_chan_send(tx, msg, msg_len(k)), 0);
	}
	/* Not lapped: released cleanly. */
	assert_int_equal(rp_chan_peek(rx, &v), (ssize_t)msg_len(0));
	assert_int_equal(check(v.data, v.len, 0), 0);
	assert_int_equal(rp_chan_release(rx, &v), 0);
	/* Message 1 viewed; 7 more sent: its slot is rewritten (by 5). */
	assert_int_equal(rp_chan_peek(rx, &v), (ssize_t)msg_len(1));
	for (k = 2; k < 9; k++) {
		fill(msg, k);
		assert_int_equal(rp_chan_send(tx, msg, msg_len(k)), 0);
	}
	assert_int_not_equal(check(v.data, v.len, 1), 0);	/* what it reads now is torn */
	assert_int_equal(rp_chan_release(rx, &v), -ESTALE);
	/* Resumes at the oldest still there (5); 2..4 counted as lost. */
	assert_int_equal(rp_chan_peek(rx, &v), (ssize_t)msg_len(5));
	assert_int_equal(check(v.data, v.len, 5), 0);
	assert_int_equal(v.lost, 3);
	assert_int_equal(rp_chan_release(rx, &v), 0);
	{
		struct rp_chan_info info;

		rp_chan_info(rx, &info);
		assert_int_equal(info.rx[0].lost, 4);		/* 1 (stale) + 2..4 */
		assert_int_equal(info.rx[0].received, 2);	/* 0 and 5 */
	}
	rp_chan_detach(tx);
	rp_chan_detach(rx);
	assert_int_equal(rp_chan_destroy(name, &e), 0);
}

/* Block policy: an open view holds the floor, so a sender that fills the
 * ring times out instead of rewriting it; after the release it goes on. */
static void test_view_holds_block(void **state)
{
	struct rp_chan_err e;
	struct rp_chan *tx, *rx;
	struct rp_chan_view v;
	uint8_t msg[SLOT];

	(void)state;
	make(RP_CHAN_BROADCAST, RP_CHAN_BLOCK, 4, 20);
	assert_non_null(rx = rp_chan_attach(name, RP_CHAN_RECEIVER, &e));
	assert_non_null(tx = rp_chan_attach(name, RP_CHAN_SENDER, &e));
	fill(msg, 0);
	assert_int_equal(rp_chan_send(tx, msg, msg_len(0)), 0);
	assert_int_equal(rp_chan_peek(rx, &v), (ssize_t)msg_len(0));
	for (uint64_t k = 1; k < 4; k++) {
		fill(msg, k);
		assert_int_equal(rp_chan_send(tx, msg, msg_len(k)), 0);
	}
	assert_int_equal(rp_chan_send(tx, msg, 8), -ETIMEDOUT);
	assert_int_equal(check(v.data, v.len, 0), 0);
	assert_int_equal(rp_chan_release(rx, &v), 0);
	assert_int_equal(rp_chan_send(tx, msg, 8), 0);
	rp_chan_detach(tx);
	rp_chan_detach(rx);
	assert_int_equal(rp_chan_destroy(name, &e), 0);
}

/* Messages addressed to another receiver are walked past. */
static void test_addressed(void **state)
{
	struct rp_chan_err e;
	struct rp_chan *tx, *a, *b;
	struct rp_chan_view v;

	(void)state;
	make(RP_CHAN_BROADCAST, RP_CHAN_BLOCK, 16, 100);
	assert_non_null(a = rp_chan_attach(name, RP_CHAN_RECEIVER, &e));
	assert_non_null(b = rp_chan_attach(name, RP_CHAN_RECEIVER, &e));
	assert_non_null(tx = rp_chan_attach(name, RP_CHAN_SENDER, &e));
	assert_int_equal(rp_chan_send_to(tx, rp_chan_rx_id(b), "for-b", 5), 0);
	assert_int_equal(rp_chan_send(tx, "all", 3), 0);
	assert_int_equal(rp_chan_peek(a, &v), 3);
	assert_memory_equal(v.data, "all", 3);
	assert_int_equal(v.lost, 0);
	assert_int_equal(rp_chan_release(a, &v), 0);
	assert_int_equal(rp_chan_peek(b, &v), 5);
	assert_memory_equal(v.data, "for-b", 5);
	assert_int_equal(rp_chan_release(b, &v), 0);
	rp_chan_detach(tx);
	rp_chan_detach(a);
	rp_chan_detach(b);
	assert_int_equal(rp_chan_destroy(name, &e), 0);
}

static void test_api_errors(void **state)
{
	struct rp_chan_err e;
	struct rp_chan *tx, *rx;
	struct rp_chan_view v;
	char buf[SLOT];

	(void)state;
	make(RP_CHAN_UNICAST, RP_CHAN_BLOCK, 4, 100);
	assert_non_null(rx = rp_chan_attach(name, RP_CHAN_RECEIVER, &e));
	assert_int_equal(rp_chan_peek(rx, &v), -EOPNOTSUPP);
	rp_chan_detach(rx);
	make(RP_CHAN_BROADCAST, RP_CHAN_BLOCK, 4, 100);
	assert_non_null(rx = rp_chan_attach(name, RP_CHAN_RECEIVER, &e));
	assert_non_null(tx = rp_chan_attach(name, RP_CHAN_SENDER, &e));
	assert_int_equal(rp_chan_peek(tx, &v), -EINVAL);
	assert_int_equal(rp_chan_peek(rx, &v), -EAGAIN);
	assert_int_equal(rp_chan_release(rx, &v), -EINVAL);	/* none open */
	assert_int_equal(rp_chan_send(tx, "one", 3), 0);
	assert_int_equal(rp_chan_send(tx, "two", 3), 0);
	assert_int_equal(rp_chan_peek(rx, &v), 3);
	assert_int_equal(rp_chan_peek(rx, &v), -EBUSY);
	assert_int_equal(rp_chan_recv(rx, buf, sizeof(buf), NULL), -EBUSY);
	assert_int_equal(rp_chan_wait(rx, 1000), 0);		/* at once */
	assert_int_equal(rp_chan_release(rx, &v), 0);
	/* A view after a copied receive: the next message. */
	assert_int_equal(rp_chan_recv(rx, buf, sizeof(buf), NULL), 3);
	assert_memory_equal(buf, "two", 3);
	assert_int_equal(rp_chan_send(tx, "end", 3), 0);
	assert_int_equal(rp_chan_destroy(name, &e), 0);
	assert_int_equal(rp_chan_peek(rx, &v), 3);		/* drained first */
	assert_int_equal(rp_chan_release(rx, &v), 0);
	assert_int_equal(rp_chan_peek(rx, &v), -EPIPE);
	rp_chan_detach(tx);
	rp_chan_detach(rx);
}

static void scribble(uint8_t *b, size_t len, int n)
{
	for (int k = 0; k < n; k++) {
		size_t at = (size_t)rand() % len;

		b[at] = rand() % 2 ? (uint8_t)rand() : (uint8_t)(rand() % 4);
	}
}

/* A co-tenant rewrites slot headers, data (references included) and the
 * receiver table between and during views: views may be lost or stale,
 * never outside the handle's mappings. */
static void test_fuzzed_slots(void **state)
{
	unsigned views = 0, stale = 0;

	(void)state;
	srand(4242);
	for (int it = 0; it < 300; it++) {
		struct rp_chan_err e;
		struct rp_chan *tx, *rx;
		struct rp_chan_ref ref;
		uint8_t *reg, msg[SLOT];

		make(RP_CHAN_BROADCAST, it % 2 ? RP_CHAN_BLOCK : RP_CHAN_OVERWRITE, 16, 5);
		assert_non_null(rx = rp_chan_attach(name, RP_CHAN_RECEIVER, &e));
		assert_non_null(tx = rp_chan_attach(name, RP_CHAN_SENDER, &e));
		reg = it % 2 ? rp_chan_region_create(tx, 4096, &e) : NULL;
		for (uint64_t k = 0; k < 12; k++) {
			fill(msg, k);
			if (reg && k % 3 == 0) {
				memcpy(reg, msg, msg_len(k));
				rp_chan_send_ref(tx, 0, msg_len(k), NULL);
			} else {
				rp_chan_send(tx, msg, msg_len(k));
			}
		}
		/* Forge a reference in a published slot now and then. */
		if (it % 3 == 0) {
			struct rp_chan_slot *sl = rp_chan_slot_at(tx, (uint64_t)(it % 12));

			ref = (struct rp_chan_ref){ (uint32_t)rand() % 10, (uint32_t)rand() % 3,
						    (uint64_t)rand() << (rand() % 40),
						    (uint64_t)rand() << (rand() % 40) };
			memcpy(sl->data, &ref, sizeof(ref));
			atomic_store(&sl->len, RP_CHAN_LEN_REF | (uint32_t)sizeof(ref));
		}
		scribble(tx->slots, (size_t)tx->stride * tx->nslots, it % 24);
		scribble(tx->map + RP_CHAN_HDR_SIZE, (size_t)RP_CHAN_RX_SIZE * tx->max_rx, it % 4);
		for (int i = 0; i < 30; i++) {
			struct rp_chan_view v;
			ssize_t r = rp_chan_peek(rx, &v);

			if (r < 0)
				break;
			assert_true(inside(rx, &v));
			assert_int_equal((size_t)r, v.len);
			views++;
			/* Read it all, as a caller would, while more arrive. */
			for (size_t j = 0; j < v.len; j++)
				msg[j % SLOT] ^= ((const uint8_t *)v.data)[j];
			if (i % 5 == 0)
				rp_chan_send(tx, msg, 9);
			if (i % 7 == 0)
				scribble(rx->slots, (size_t)rx->stride * rx->nslots, 2);
			stale += rp_chan_release(rx, &v) == -ESTALE;
		}
		rp_chan_detach(rx);
		rp_chan_detach(tx);
	}
	print_message("fuzzed slots: %u views, %u reported stale\n", views, stale);
	assert_true(views > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inline_stream),
		cmocka_unit_test(test_by_ref_stream),
		cmocka_unit_test(test_overwrite_detected),
		cmocka_unit_test(test_view_holds_block),
		cmocka_unit_test(test_addressed),
		cmocka_unit_test(test_api_errors),
		cmocka_unit_test(test_fuzzed_slots),
	};
	struct rp_chan_err e;
	int r;

	snprintf(name, sizeof(name), "view-%d", (int)getpid());
	r = cmocka_run_group_tests(tests, NULL, NULL);
	rp_chan_destroy(name, &e);
	return r;
}
