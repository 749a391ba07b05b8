/* SPDX-License-Identifier: MIT */
/*
 * udp-relay's copy queues (relay_copyq.h): per worker pair a ring of
 * RP_COPYQ_SLOTS fixed-size slots, filled by the origin, relayed from by
 * the owner. A slot is [struct slot_hdr][payload]; the owner sends straight
 * from the slot, so the slot is busy until that send completed: the owner
 * marks it done and publishes `head` past every leading done slot.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <netinet/in.h>

#include "dataplane/relay_copyq.h"

struct slot_hdr {
	uint32_t len;
	uint32_t clen;
	union {
		struct sockaddr sa;
		struct sockaddr_in6 in6;	/* room for either family */
	} client;
};

#define SLOT_MASK (RP_COPYQ_SLOTS - 1)

static struct rp_copyq *pair(struct rp_copyq_set *s, unsigned origin, unsigned owner)
{
	return &s->q[origin * s->n + owner];
}

static uint8_t *slot_at(const struct rp_copyq_set *s, const struct rp_copyq *q, uint32_t i)
{
	return q->slots + (size_t)(i & SLOT_MASK) * s->stride;
}

int rp_copyq_init(struct rp_copyq_set *s, unsigned n, unsigned payload_max)
{
	size_t per_q;

	*s = (struct rp_copyq_set){ .n = n, .payload_max = payload_max };
	s->stride = (sizeof(struct slot_hdr) + payload_max + 63) & ~(size_t)63;
	per_q = s->stride * RP_COPYQ_SLOTS;
	s->q = aligned_alloc(64, sizeof(*s->q) * n * n);
	s->o = aligned_alloc(64, sizeof(*s->o) * n);
	/* the diagonal has no queue: n * (n - 1) rings of slots */
	s->mem = n > 1 ? malloc(per_q * n * (n - 1)) : NULL;
	if (!s->q || !s->o || (n > 1 && !s->mem)) {
		rp_copyq_free(s);
		return -ENOMEM;
	}
	memset(s->q, 0, sizeof(*s->q) * n * n);
	for (unsigned k = 0, used = 0; k < n * n; k++)
		if (k / n != k % n)
			s->q[k].slots = s->mem + per_q * used++;
	for (unsigned k = 0; k < n; k++)
		s->o[k] = (struct rp_copyq_owner){ .efd = -1 };
	for (unsigned k = 0; k < n; k++) {
		s->o[k].efd = eventfd(0, EFD_CLOEXEC);
		if (s->o[k].efd < 0) {
			int err = -errno;

			rp_copyq_free(s);
			return err;
		}
	}
	return 0;
}

void rp_copyq_free(struct rp_copyq_set *s)
{
	for (unsigned k = 0; s->o && k < s->n; k++)
		if (s->o[k].efd >= 0)
			close(s->o[k].efd);
	free(s->q);
	free(s->o);
	free(s->mem);
	*s = (struct rp_copyq_set){ 0 };
}

/* The owner may be blocking: one eventfd write, by whoever clears the flag. */
static bool wake(struct rp_copyq_owner *o)
{
	uint64_t one = 1;

	/* pairs with rp_copyq_sleep's fence: we stored tail, then look */
	atomic_thread_fence(memory_order_seq_cst);
	if (!atomic_load_explicit(&o->sleeping, memory_order_relaxed) ||
	    !atomic_exchange_explicit(&o->sleeping, 0, memory_order_relaxed))
		return false;
	/* an eventfd write only fails on counter overflow: then it is awake */
	return write(o->efd, &one, sizeof(one)) == sizeof(one);
}

bool rp_copyq_push(struct rp_copyq_set *s, unsigned origin, unsigned owner,
		   const struct sockaddr *client, socklen_t clen, const void *payload,
		   unsigned len, bool *woke)
{
	struct rp_copyq *q = pair(s, origin, owner);
	uint32_t t = atomic_load_explicit(&q->tail, memory_order_relaxed);
	struct slot_hdr *h;

	*woke = false;
	if (len > s->payload_max || clen > sizeof(h->client) ||
	    t - atomic_load_explicit(&q->head, memory_order_acquire) >= RP_COPYQ_SLOTS)
		return false;
	h = (struct slot_hdr *)slot_at(s, q, t);
	h->len = len;
	h->clen = clen;
	memcpy(&h->client, client, clen);
	memcpy(h + 1, payload, len);
	atomic_store_explicit(&q->tail, t + 1, memory_order_release);
	*woke = wake(&s->o[owner]);
	return true;
}

bool rp_copyq_take(struct rp_copyq_set *s, unsigned origin, unsigned owner,
		   struct rp_copyq_dgram *d)
{
	struct rp_copyq *q = pair(s, origin, owner);
	struct slot_hdr *h;

	if (q->taken == atomic_load_explicit(&q->tail, memory_order_acquire))
		return false;
	h = (struct slot_hdr *)slot_at(s, q, q->taken);
	*d = (struct rp_copyq_dgram){ .client = &h->client.sa, .clen = h->clen,
				      .base = (uint8_t *)h, .payload = (uint8_t *)(h + 1),
				      .len = h->len, .slot = q->taken & SLOT_MASK };
	q->taken++;
	return true;
}

void rp_copyq_done(struct rp_copyq_set *s, unsigned origin, unsigned owner, unsigned slot)
{
	struct rp_copyq *q = pair(s, origin, owner);
	uint32_t h = atomic_load_explicit(&q->head, memory_order_relaxed);

	q->done[slot & SLOT_MASK] = 1;
	while (h != q->taken && q->done[h & SLOT_MASK]) {
		q->done[h & SLOT_MASK] = 0;
		h++;
	}
	/* release: our reads of the slots happen before the producer reuses them */
	atomic_store_explicit(&q->head, h, memory_order_release);
}

void rp_copyq_sleep(struct rp_copyq_set *s, unsigned owner)
{
	atomic_store_explicit(&s->o[owner].sleeping, 1, memory_order_relaxed);
	/* pairs with wake(): either the producer sees the flag or we see its tail */
	atomic_thread_fence(memory_order_seq_cst);
}

bool rp_copyq_waiting(struct rp_copyq_set *s, unsigned origin, unsigned owner)
{
	struct rp_copyq *q = pair(s, origin, owner);

	return q->taken != atomic_load_explicit(&q->tail, memory_order_acquire);
}
