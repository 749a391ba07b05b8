/* SPDX-License-Identifier: MIT */
/*
 * Multicast: a sleeping receiver does not hold the floor back.
 *
 * A multicast receiver is woken only for a message it is to take, yet its
 * cursor is part of the floor (the slowest live cursor) that block-policy
 * senders wait on: until it walks past the others' messages, the floor
 * stays behind it. Waking every sleeper to walk (what senders did before
 * format 4) costs a wake-up per sleeper per half ring, and on a machine
 * with fewer CPUs than receivers each one preempts the sender.
 *
 * Instead, whoever moves the floor moves a sleeper's cursor on for it: it
 * reads the published slots from that cursor on, as a receiver would
 * (seqlock reads), and stops at the first position the receiver could take
 * or would count (one assigned or addressed to its entry, one whose
 * receiver left and is not yet claimed, a hole, a corrupt or lapped slot)
 * or at the first position not yet published. Every position passed is one
 * the receiver would have walked past without taking or counting it, so
 * the skip changes neither what it receives nor what it counts as lost. The
 * cursor is moved by a CAS from the value read, so a receiver that woke and
 * moved meanwhile keeps its own; multicast receivers advance their cursor
 * by CAS and adopt one moved forward under them (consumer.c).
 *
 * What a skip assumes of the others: a message passed because it was
 * assigned to another live receiver is that receiver's to take. If that
 * receiver leaves before reading it, only receivers still behind it can
 * claim it (as before, for those that had walked past it).
 */
#include <string.h>

#include "chan/internal.h"

struct sleeper {
	unsigned idx;
	uint64_t cursor;
	uint64_t stop;		/* the first position it could take; UINT64_MAX: none yet */
};

struct slot_view {
	uint32_t len, target;
	uint64_t claim;
};

/* A published slot's header, read as a seqlock reader. false: not published
 * at pos (not yet, or lapped) or changed while read. */
static bool peek_slot(const struct rp_chan *ch, uint64_t pos, struct slot_view *v)
{
	struct rp_chan_slot *sl = rp_chan_slot_at(ch, pos);
	uint64_t want = rp_chan_seq_ready(pos);

	/* Acquire: pairs with the sender's release publish. */
	if (atomic_load_explicit(&sl->seq, memory_order_acquire) != want)
		return false;
	v->len = atomic_load_explicit(&sl->len, memory_order_relaxed);
	v->target = atomic_load_explicit(&sl->target, memory_order_relaxed);
	v->claim = atomic_load_explicit(&sl->claim, memory_order_relaxed);
	atomic_thread_fence(memory_order_acquire);
	return atomic_load_explicit(&sl->seq, memory_order_relaxed) == want;
}

/* Who could take (or would have to count) the message at pos: every
 * receiver (TAKERS_ALL), the one entry *one (TAKERS_ONE), or none. Errs on
 * the side of yes: a stop only costs the skip its length. One answer per
 * slot, not one per slot and sleeper: a round over a ring with 16
 * sleepers was 16 x 256 checks, ~10% of all CPU with 16 receivers on one
 * CPU. */
enum takers { TAKERS_NONE, TAKERS_ONE, TAKERS_ALL };

static enum takers takers_of(const struct rp_chan *ch, uint64_t live, uint64_t pos,
			     const struct slot_view *v, unsigned *one)
{
	uint32_t n = v->len & ~RP_CHAN_LEN_REF;

	if (v->target == RP_CHAN_TARGET_HOLE || n > ch->slot_size ||
	    ((v->len & RP_CHAN_LEN_REF) && n != sizeof(struct rp_chan_ref)))
		return TAKERS_ALL;	/* counted as lost by every receiver */
	*one = v->target & 0xff;
	if (rp_chan_target_is_to(v->target))	/* this entry's, of any generation */
		return TAKERS_ONE;
	if (v->target < 64 && (live & (1ull << v->target)))
		return TAKERS_ONE;	/* a live receiver's */
	/* No receiver, or one that left: whoever claims it first. */
	if (v->claim == rp_chan_claim_open(pos))
		return TAKERS_ALL;
	return v->target < 64 ? TAKERS_ONE : TAKERS_NONE;
}

/* The sleepers whose cursor lies behind the tail, within a ring of it (a
 * cursor elsewhere is a co-tenant's scribble: left alone). */
static unsigned find_sleepers(const struct rp_chan *ch, uint64_t live, uint64_t tail,
			      struct sleeper *s)
{
	unsigned n = 0;

	for (uint64_t m = live; m; m &= m - 1) {
		unsigned i = (unsigned)__builtin_ctzll(m);
		uint64_t c;

		if (!atomic_load_explicit(&ch->rx[i].sleeping, memory_order_relaxed))
			continue;
		c = atomic_load_explicit(&ch->rx[i].cursor, memory_order_acquire);
		if (c < tail && tail - c <= ch->nslots)
			s[n++] = (struct sleeper){ i, c, UINT64_MAX };
	}
	return n;
}

/* Sleeper k's first position it could take is pos, if not found before. */
static unsigned stop_at(struct sleeper *s, uint64_t pos)
{
	if (s->stop != UINT64_MAX || s->cursor > pos)
		return 0;
	s->stop = pos;
	return 1;
}

int rp_chan_skip_sleepers(struct rp_chan *ch)
{
	struct sleeper s[RP_CHAN_MAX_RECEIVERS];
	int8_t by_idx[256];	/* entry index -> its sleeper, -1 none */
	uint64_t live = rp_chan_live_mask(ch);
	uint64_t tail = atomic_load_explicit(&ch->shm->tail, memory_order_acquire);
	uint64_t pos = tail;
	unsigned n = find_sleepers(ch, live, tail, s), pending = n, one;
	int moved = 0;

	memset(by_idx, -1, sizeof(by_idx));
	for (unsigned k = 0; k < n; k++) {
		pos = s[k].cursor < pos ? s[k].cursor : pos;
		by_idx[s[k].idx] = (int8_t)k;
	}
	/* One pass over [slowest sleeper, tail): at most a ring of slots. */
	for (struct slot_view v; pos < tail && pending && peek_slot(ch, pos, &v); pos++) {
		switch (takers_of(ch, live, pos, &v, &one)) {
		case TAKERS_ALL:
			for (unsigned k = 0; k < n; k++)
				pending -= stop_at(&s[k], pos);
			break;
		case TAKERS_ONE:
			if (by_idx[one] >= 0)
				pending -= stop_at(&s[by_idx[one]], pos);
			break;
		case TAKERS_NONE:
			break;
		}
	}
	/* pos: the first position not checked (unpublished, lapped, or tail). */
	for (unsigned k = 0; k < n; k++) {
		uint64_t to = s[k].stop < pos ? s[k].stop : pos;

		/* Release: the slot reads above are done before a floor that
		 * includes this cursor lets a sender reuse those slots. */
		if (to > s[k].cursor &&
		    atomic_compare_exchange_strong_explicit(&ch->rx[s[k].idx].cursor, &s[k].cursor,
							    to, memory_order_release,
							    memory_order_relaxed))
			moved++;
	}
	return moved;
}
