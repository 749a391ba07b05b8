/* SPDX-License-Identifier: MIT */
/*
 * udp-relay's MSG_RING handoff, batched: per ordered worker pair
 * (from -> to) one bounded single-producer / single-consumer ring of 64-bit
 * work items in process memory, and a flag that says a wake is on its way.
 * An item is a buffer reference, never payload: "relay the datagram in my
 * buffer bid (res bytes)" (DGRAM) or "your buffer bid is yours again"
 * (BUFBACK). The wake is one MSG_RING (RP_RELAY_KICK) into the consumer's
 * ring; the consumer takes every item the ring holds when any message from
 * that producer arrives, so items and messages of one pair keep their order.
 *
 * Wakes are few by construction: a producer pushes during its completion
 * batch and, when the batch is done (rp_handq_need_wake), posts a wake only
 * when none is on its way; the consumer clears the flag before it takes the
 * items (rp_handq_woken). Each side stores, fences, then loads the other's
 * word, so either the producer sees the flag cleared (and wakes again) or
 * the consumer sees the items: nothing is left without a wake.
 *
 * Capacity: the items in (from -> to) are from's buffers lent to `to` and
 * to's buffers going home from `from`, so two pools' worth never fills it
 * (rp_handq_push still says when it would). Allocated once before the
 * workers start (relay_group.c); lock-free afterwards (C11 atomics).
 */
#ifndef RP_RELAY_HANDQ_H
#define RP_RELAY_HANDQ_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* One pair's ring. */
struct rp_handq {
	_Alignas(64) _Atomic uint32_t tail;	/* items pushed (mod 2^32): the producer's */
	_Alignas(64) _Atomic uint32_t head;	/* items taken: the consumer's */
	_Alignas(64) _Atomic uint32_t woken;	/* 1: a wake is posted and not taken yet */
	uint64_t *items;
};

struct rp_handq_set {
	unsigned n;			/* workers */
	uint32_t mask;			/* items per ring - 1 (a power of two - 1) */
	struct rp_handq *q;		/* n * n: [from * n + to] (diagonal unused) */
	uint64_t *mem;			/* every ring's items */
};

/* An item: its kind (relay.h's enum rp_relay_sub: DGRAM or BUFBACK), a
 * buffer id and, for a DGRAM, recvmsg's result. A coalesced receive (UDP
 * GRO on the service socket) is one DGRAM too: its segment size is in the
 * buffer's own UDP_GRO control message, which the owner reads with the
 * same recvmsg layout, so the item needs no field for it. */
static inline uint64_t rp_handq_item(unsigned sub, unsigned bid, int32_t res)
{
	return (uint64_t)(sub & 0xf) << 48 | (uint64_t)(uint32_t)res << 16 | (bid & 0xffff);
}

static inline unsigned rp_handq_item_sub(uint64_t it) { return (unsigned)(it >> 48 & 0xf); }
static inline unsigned rp_handq_item_bid(uint64_t it) { return (unsigned)(it & 0xffff); }
static inline int32_t rp_handq_item_res(uint64_t it) { return (int32_t)(uint32_t)(it >> 16); }

/* n workers; each ring holds at least min_items. 0 or -ENOMEM. */
int rp_handq_init(struct rp_handq_set *s, unsigned n, unsigned min_items);
void rp_handq_free(struct rp_handq_set *s);

/* Producer: false when the ring is full (nothing pushed). */
bool rp_handq_push(struct rp_handq_set *s, unsigned from, unsigned to, uint64_t item);
/* Producer, after its pushes of a batch: true when it must post the wake
 * now (none was on its way; the flag is set for it). */
bool rp_handq_need_wake(struct rp_handq_set *s, unsigned from, unsigned to);
/* Producer: the wake it posted did not arrive (the consumer is gone). */
void rp_handq_wake_lost(struct rp_handq_set *s, unsigned from, unsigned to);

/* Consumer, on a wake: clear the flag, before taking the items. */
void rp_handq_woken(struct rp_handq_set *s, unsigned from, unsigned to);
/* Consumer (or, once the consumer is gone, the producer): the oldest item. */
bool rp_handq_pop(struct rp_handq_set *s, unsigned from, unsigned to, uint64_t *item);

#endif
