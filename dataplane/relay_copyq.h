/* SPDX-License-Identifier: MIT */
/*
 * udp-relay's `handoff: copy` queues: the classic design kept for
 * comparison with the MSG_RING buffer handoff. One bounded single-producer /
 * single-consumer queue per (origin worker -> owner worker) pair, holding
 * copies of datagrams (client address, length, payload), and one eventfd
 * per owner. Allocated once, before the workers start (relay_group.c);
 * lock-free afterwards (C11 atomics).
 *
 * The wake: an owner about to sleep says so (rp_copyq_sleep) and then looks
 * at its queues once more; a producer writes the owner's eventfd only when
 * it finds that flag set, and clears it. A busy owner therefore costs its
 * producers no syscall, and an owner never sleeps on a queued datagram (each
 * side stores, then fences, then loads the other's word).
 */
#ifndef RP_RELAY_COPYQ_H
#define RP_RELAY_COPYQ_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#define RP_COPYQ_SLOTS 256u	/* per pair; a power of two, slot numbers fit 16 bits */

/* One pair's queue. tail: the producer's; head: the consumer's, published
 * when the owner is done with a slot (its send completed), in order. */
struct rp_copyq {
	_Alignas(64) _Atomic uint32_t tail;	/* slots filled (mod 2^32) */
	_Alignas(64) _Atomic uint32_t head;	/* slots the producer may reuse */
	uint32_t taken;				/* owner only: slots handed to relaying */
	uint8_t done[RP_COPYQ_SLOTS];		/* owner only: slot finished out of order */
	uint8_t *slots;
};

/* One owner's wake. */
struct rp_copyq_owner {
	_Alignas(64) _Atomic uint32_t sleeping;	/* the owner may block: write efd */
	int efd;
};

struct rp_copyq_set {
	unsigned n;			/* workers */
	unsigned payload_max;		/* bytes a slot holds */
	size_t stride;			/* bytes per slot */
	struct rp_copyq *q;		/* n * n: [origin * n + owner] (diagonal unused) */
	struct rp_copyq_owner *o;	/* n */
	uint8_t *mem;			/* every slot */
};

/* A datagram copied into a slot, as the owner reads it. */
struct rp_copyq_dgram {
	const struct sockaddr *client;
	socklen_t clen;
	uint8_t *base;			/* the slot: stays valid until rp_copyq_done */
	uint8_t *payload;
	unsigned len;
	unsigned slot;
};

/* n workers, payloads up to payload_max bytes. 0 or -errno. */
int rp_copyq_init(struct rp_copyq_set *s, unsigned n, unsigned payload_max);
void rp_copyq_free(struct rp_copyq_set *s);

/* Producer (origin): copy the datagram in; wake the owner if it sleeps
 * (*woke). false: the queue is full or the datagram too long; nothing taken. */
bool rp_copyq_push(struct rp_copyq_set *s, unsigned origin, unsigned owner,
		   const struct sockaddr *client, socklen_t clen, const void *payload,
		   unsigned len, bool *woke);

/* Owner: the next datagram origin queued for it, if any. */
bool rp_copyq_take(struct rp_copyq_set *s, unsigned origin, unsigned owner,
		   struct rp_copyq_dgram *d);
/* Owner: done with slot (in any order); the producer gets slots back in order. */
void rp_copyq_done(struct rp_copyq_set *s, unsigned origin, unsigned owner, unsigned slot);
/* Owner: about to block; producers will write its eventfd. */
void rp_copyq_sleep(struct rp_copyq_set *s, unsigned owner);
/* Owner: datagrams of origin not taken yet. */
bool rp_copyq_waiting(struct rp_copyq_set *s, unsigned origin, unsigned owner);

static inline int rp_copyq_efd(const struct rp_copyq_set *s, unsigned owner)
{
	return s->o[owner].efd;
}

#endif
