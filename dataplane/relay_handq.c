/* SPDX-License-Identifier: MIT */
/*
 * udp-relay's handoff rings (relay_handq.h): a power-of-two ring of 64-bit
 * items per worker pair. An item is copied out when taken, so a slot is
 * free again at once (unlike a copy queue's slot, nothing is sent from it).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/relay_handq.h"

static struct rp_handq *pair(struct rp_handq_set *s, unsigned from, unsigned to)
{
	return &s->q[from * s->n + to];
}

int rp_handq_init(struct rp_handq_set *s, unsigned n, unsigned min_items)
{
	uint32_t items = 64;

	while (items < min_items && items < (1u << 30))
		items <<= 1;
	*s = (struct rp_handq_set){ .n = n, .mask = items - 1 };
	s->q = aligned_alloc(64, sizeof(*s->q) * n * n);
	/* the diagonal has no ring: n * (n - 1) of them */
	s->mem = n > 1 ? calloc((size_t)items * n * (n - 1), sizeof(*s->mem)) : NULL;
	if (!s->q || (n > 1 && !s->mem)) {
		rp_handq_free(s);
		return -ENOMEM;
	}
	memset(s->q, 0, sizeof(*s->q) * n * n);
	for (unsigned k = 0, used = 0; k < n * n; k++)
		if (k / n != k % n)
			s->q[k].items = s->mem + (size_t)items * used++;
	return 0;
}

void rp_handq_free(struct rp_handq_set *s)
{
	free(s->q);
	free(s->mem);
	*s = (struct rp_handq_set){ 0 };
}

bool rp_handq_push(struct rp_handq_set *s, unsigned from, unsigned to, uint64_t item)
{
	struct rp_handq *q = pair(s, from, to);
	uint32_t t = atomic_load_explicit(&q->tail, memory_order_relaxed);

	if (t - atomic_load_explicit(&q->head, memory_order_acquire) > s->mask)
		return false;
	q->items[t & s->mask] = item;
	/* release: the consumer that sees the tail sees the item */
	atomic_store_explicit(&q->tail, t + 1, memory_order_release);
	return true;
}

bool rp_handq_need_wake(struct rp_handq_set *s, unsigned from, unsigned to)
{
	struct rp_handq *q = pair(s, from, to);

	/* pairs with rp_handq_woken's fence: our tail is stored, then we look */
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&q->woken, memory_order_relaxed))
		return false;
	atomic_store_explicit(&q->woken, 1, memory_order_relaxed);
	return true;
}

void rp_handq_wake_lost(struct rp_handq_set *s, unsigned from, unsigned to)
{
	atomic_store_explicit(&pair(s, from, to)->woken, 0, memory_order_relaxed);
}

void rp_handq_woken(struct rp_handq_set *s, unsigned from, unsigned to)
{
	atomic_store_explicit(&pair(s, from, to)->woken, 0, memory_order_relaxed);
	/* pairs with rp_handq_need_wake: either the producer sees the flag
	 * cleared and wakes us again, or we see its tail */
	atomic_thread_fence(memory_order_seq_cst);
}

bool rp_handq_pop(struct rp_handq_set *s, unsigned from, unsigned to, uint64_t *item)
{
	struct rp_handq *q = pair(s, from, to);
	uint32_t h = atomic_load_explicit(&q->head, memory_order_relaxed);

	if (h == atomic_load_explicit(&q->tail, memory_order_acquire))
		return false;
	*item = q->items[h & s->mask];
	/* release: our read of the slot happens before the producer reuses it */
	atomic_store_explicit(&q->head, h + 1, memory_order_release);
	return true;
}
