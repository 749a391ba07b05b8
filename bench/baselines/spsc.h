/* SPDX-License-Identifier: MIT */
/*
 * A single-producer single-consumer queue of 64-bit values (C11 atomics):
 * the userspace queue the eventfd and futex baselines pair with their
 * wakeup. Head and tail live on their own cache lines so the two threads do
 * not share a line except to publish.
 */
#ifndef RP_BENCH_SPSC_H
#define RP_BENCH_SPSC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define RP_SPSC_SIZE 65536u	/* power of two; ~0.6 s of backlog at 100K/s */

struct rp_spsc {
	_Alignas(64) _Atomic uint32_t head;	/* next to write; producer's */
	_Alignas(64) _Atomic uint32_t tail;	/* next to read; consumer's */
	_Alignas(64) uint64_t slot[RP_SPSC_SIZE];
};

static inline bool rp_spsc_push(struct rp_spsc *q, uint64_t v)
{
	uint32_t head = atomic_load_explicit(&q->head, memory_order_relaxed);
	uint32_t tail = atomic_load_explicit(&q->tail, memory_order_acquire);

	if (head - tail == RP_SPSC_SIZE)
		return false;
	q->slot[head & (RP_SPSC_SIZE - 1)] = v;
	atomic_store_explicit(&q->head, head + 1, memory_order_release);
	return true;
}

/* Up to max values; returns how many. */
static inline unsigned rp_spsc_pop(struct rp_spsc *q, uint64_t *out, unsigned max)
{
	uint32_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
	uint32_t head = atomic_load_explicit(&q->head, memory_order_acquire);
	unsigned n = 0;

	while (tail != head && n < max)
		out[n++] = q->slot[tail++ & (RP_SPSC_SIZE - 1)];
	atomic_store_explicit(&q->tail, tail, memory_order_release);
	return n;
}

#endif
