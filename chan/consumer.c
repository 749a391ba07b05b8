/* SPDX-License-Identifier: MIT */
/*
 * Receiving. Every read is a seqlock read of one slot: the sequence says the
 * slot holds the wanted position, published; the copy is kept only if the
 * sequence is unchanged after it. Lengths are checked against the handle's
 * own slot size before any copy: a co-tenant writing garbage into the ring
 * costs messages (counted as lost), never a bad access.
 *
 *   unicast    the receivers share the consumer head: copy first, then CAS
 *              the head forward; the loser of the CAS drops its copy. A
 *              sender reuses the slot only after the head passed it, so the
 *              winning copy is complete by then.
 *   broadcast  a private cursor per receiver, published in its table entry
 *              for the senders' floor; every 16 messages (or when a sender
 *              waits for room) the receiver advances the shared floor to the
 *              slowest live cursor (the lazy tail).
 *   multicast  broadcast's walk; a receiver keeps the messages addressed to
 *              it or to no live receiver, and takes each by a CAS on the
 *              slot's claim, so each is received once.
 */
#include <errno.h>
#include <string.h>

#include "chan/internal.h"

#define FLOOR_EVERY	16	/* messages between a receiver's floor refreshes */
#define RECV_TRIES	256	/* unicast: lost head races per call before -EAGAIN */

enum slot_read { READ_OK, READ_EMPTY, READ_LAPPED, READ_CORRUPT };

struct slot_copy {
	uint32_t len, target;
};

static enum slot_read read_slot(struct rp_chan *ch, uint64_t pos, void *buf,
				struct slot_copy *out)
{
	struct rp_chan_slot *sl = rp_chan_slot_at(ch, pos);
	uint64_t want = rp_chan_seq_ready(pos);
	/* Acquire: pairs with the sender's release publish. */
	uint64_t s1 = atomic_load_explicit(&sl->seq, memory_order_acquire), s2;
	uint32_t n;

	if (s1 != want)
		return s1 > want ? READ_LAPPED : READ_EMPTY;
	out->len = atomic_load_explicit(&sl->len, memory_order_relaxed);
	out->target = atomic_load_explicit(&sl->target, memory_order_relaxed);
	n = out->len & ~RP_CHAN_LEN_REF;
	/* The copy may race a sender that laps this slot (overwrite policy):
	 * it is validated below and thrown away if so. */
	if (n <= ch->slot_size)
		memcpy(buf, sl->data, n);
	/* Seqlock reader: the acquire fence keeps the copy's loads before the
	 * second sequence load. */
	atomic_thread_fence(memory_order_acquire);
	s2 = atomic_load_explicit(&sl->seq, memory_order_relaxed);
	if (s2 != s1)
		return READ_LAPPED;
	if (out->target == RP_CHAN_TARGET_HOLE)
		return READ_CORRUPT;	/* a dead sender's position: lost */
	if (n > ch->slot_size || ((out->len & RP_CHAN_LEN_REF) && n != sizeof(struct rp_chan_ref)))
		return READ_CORRUPT;
	return READ_OK;
}

uint64_t rp_chan_floor_refresh(struct rp_chan *ch)
{
	struct rp_chan_shm *s = ch->shm;
	uint64_t h = atomic_load_explicit(&s->head, memory_order_acquire);
	uint64_t t, fl, m;

	if (ch->mode == RP_CHAN_UNICAST)
		return h;
	m = rp_chan_live_mask(ch);
	t = atomic_load_explicit(&s->tail, memory_order_acquire);
	fl = t;
	while (m) {
		/* Acquire: that receiver's copies below its cursor are done. A
		 * cursor past t (it read on after t was loaded) or wildly off
		 * cannot lower the floor below a real position. */
		uint64_t c = atomic_load_explicit(&ch->rx[__builtin_ctzll(m)].cursor,
						  memory_order_acquire);

		if (c < fl && t - c <= (uint64_t)ch->nslots * 2)
			fl = c;
		m &= m - 1;
	}
	/* Release: senders that acquire the head see those copies finished.
	 * The head only moves forward. */
	while (fl > h && !atomic_compare_exchange_weak_explicit(&s->head, &h, fl,
								 memory_order_release,
								 memory_order_relaxed))
		;
	return fl > h ? fl : h;
}

static void count_lost(struct rp_chan *ch, uint64_t n, uint64_t *lost)
{
	struct rp_chan_shm_rx *r = &ch->rx[ch->rx_idx];

	*lost += n;
	atomic_store_explicit(&r->lost, atomic_load_explicit(&r->lost, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

static void count_received(struct rp_chan *ch)
{
	struct rp_chan_shm_rx *r = &ch->rx[ch->rx_idx];

	/* Only this receiver writes its counters: no RMW needed. */
	atomic_store_explicit(&r->received,
			      atomic_load_explicit(&r->received, memory_order_relaxed) + 1,
			      memory_order_relaxed);
}

/* Where a lapped reader resumes: the oldest position still in the ring. */
static uint64_t resume_pos(struct rp_chan *ch, uint64_t pos)
{
	uint64_t t = atomic_load_explicit(&ch->shm->tail, memory_order_relaxed);
	uint64_t oldest = t > ch->nslots ? t - ch->nslots : 0;

	return oldest > pos + 1 ? oldest : pos + 1;
}

static void senders_may_go(struct rp_chan *ch)
{
	uint64_t fl;

	/* Relaxed: a sender sleeps at most ROOM_POLL_MS between checks, so a
	 * stale zero here delays it by that much, never forever. */
	if (!atomic_load_explicit(&ch->shm->space_sleepers, memory_order_relaxed))
		return;
	/* Wake blocked senders once half the ring is free, not per message:
	 * one wake-up then lets them send a batch. */
	fl = rp_chan_floor_refresh(ch);
	if (atomic_load_explicit(&ch->shm->tail, memory_order_relaxed) - fl <= ch->nslots / 2)
		rp_chan_wake_senders(ch);
}

static ssize_t recv_shared(struct rp_chan *ch, void *buf, uint64_t *lost)
{
	struct slot_copy c;

	for (int i = 0; i < RECV_TRIES; i++) {
		uint64_t h = atomic_load_explicit(&ch->shm->head, memory_order_acquire), next = h + 1;
		enum slot_read r = read_slot(ch, h, buf, &c);

		if (r == READ_EMPTY)
			return -EAGAIN;
		if (r == READ_LAPPED)
			next = resume_pos(ch, h);
		/* A reference: marked held before the head passes it. */
		if (r == READ_OK && (c.len & RP_CHAN_LEN_REF))
			rp_chan_hold_set(ch, h);
		/* Release: the copy is complete before a sender sees the slot
		 * free. A failed CAS: another receiver took h; drop the copy. */
		if (!atomic_compare_exchange_strong_explicit(&ch->shm->head, &h, next,
							     memory_order_release,
							     memory_order_relaxed)) {
			rp_chan_hold_clear(ch);
			continue;
		}
		senders_may_go(ch);
		if (r != READ_OK) {
			count_lost(ch, next - h, lost);
			continue;
		}
		count_received(ch);
		return c.len;
	}
	return -EAGAIN;
}

static void advance(struct rp_chan *ch, uint64_t to)
{
	ch->cursor = to;
	/* Release: senders' floor (acquire) sees this receiver's copy done. */
	atomic_store_explicit(&ch->rx[ch->rx_idx].cursor, to, memory_order_release);
	if (++ch->since_floor >= FLOOR_EVERY) {
		ch->since_floor = 0;
		rp_chan_floor_refresh(ch);
	}
	senders_may_go(ch);
}

/* Multicast: is this message this receiver's to take? */
static bool mine(struct rp_chan *ch, uint64_t pos, uint32_t target)
{
	struct rp_chan_slot *sl = rp_chan_slot_at(ch, pos);
	uint64_t open = rp_chan_claim_open(pos);

	if (target != (uint32_t)ch->rx_idx && target < 64 &&
	    (rp_chan_live_mask(ch) & (1ull << target)))
		return false;	/* a live receiver's */
	return atomic_compare_exchange_strong_explicit(&sl->claim, &open,
						       rp_chan_claim_taken(pos),
						       memory_order_relaxed, memory_order_relaxed);
}

/* Addressed (rp_chan_send_to): this receiver's entry, this generation. */
static bool to_me(const struct rp_chan *ch, uint32_t target)
{
	return target == rp_chan_target_to(ch->rx_gen, (unsigned)ch->rx_idx);
}

/* A walk looks at most a ring of slots per call: everything that was in the
 * ring when it began (a sender publishing without pause cannot keep a call
 * going), so -EAGAIN means nothing for this receiver was there. A multicast
 * receiver may walk past long runs of others' messages (producer.c gives a
 * sleeper's turns to receivers awake). */
static ssize_t recv_cursor(struct rp_chan *ch, void *buf, uint64_t *lost)
{
	struct slot_copy c;
	bool take;

	for (uint32_t i = 0; i <= ch->nslots; i++) {
		uint64_t pos = ch->cursor;
		enum slot_read r = read_slot(ch, pos, buf, &c);

		if (r == READ_EMPTY)
			return -EAGAIN;
		if (r != READ_OK) {
			uint64_t to = r == READ_LAPPED ? resume_pos(ch, pos) : pos + 1;

			count_lost(ch, to - pos, lost);
			advance(ch, to);
			continue;
		}
		/* A reference: marked held before the cursor passes it. */
		if (c.len & RP_CHAN_LEN_REF)
			rp_chan_hold_set(ch, pos);
		/* Claim before advancing: once the cursor moves on, a sender
		 * may reuse the slot and the claim would fail. */
		if (rp_chan_target_is_to(c.target))
			take = to_me(ch, c.target);
		else
			take = ch->mode != RP_CHAN_MULTICAST || mine(ch, pos, c.target);
		advance(ch, pos + 1);
		if (!take) {
			rp_chan_hold_clear(ch);
			continue;
		}
		count_received(ch);
		return c.len;
	}
	return -EAGAIN;
}

/*
 * The next message for this receiver: an inline one copied into buf, or a
 * reference resolved to its bytes (held: copied into buf and released when
 * copy is set, else left for the caller to read in place until its next
 * receive). A reference that cannot be resolved, or copied into cap bytes,
 * is a lost message.
 */
static ssize_t recv_next(struct rp_chan *ch, void *buf, size_t cap, bool copy,
			 const void **data, uint64_t *gap)
{
	struct rp_chan_ref ref;
	const void *d;
	ssize_t r;

	for (;;) {
		r = ch->mode == RP_CHAN_UNICAST ? recv_shared(ch, buf, gap) : recv_cursor(ch, buf, gap);
		if (r < 0 || !((uint32_t)r & RP_CHAN_LEN_REF)) {
			*data = buf;
			return r;
		}
		memcpy(&ref, buf, sizeof(ref));
		d = rp_chan_ref_resolve(ch, &ref);
		if (d && !copy) {
			*data = d;
			return (ssize_t)ref.len;
		}
		if (d && ref.len <= cap) {
			memcpy(buf, d, ref.len);
			rp_chan_hold_clear(ch);
			*data = buf;
			return (ssize_t)ref.len;
		}
		rp_chan_hold_clear(ch);
		count_lost(ch, 1, gap);
	}
}

static ssize_t recv_common(struct rp_chan *ch, void *buf, size_t cap, bool copy,
			   const void **data, uint64_t *lost)
{
	uint64_t gap = 0;
	bool destroyed;
	ssize_t r;

	if (ch->role != RP_CHAN_RECEIVER || ch->rx_idx < 0 || cap < ch->slot_size)
		return -EINVAL;
	if (rp_chan_is_broken(ch))
		return -EIO;
	if (ch->viewing)	/* view.c: the cursor is held at the view */
		return -EBUSY;
	/* What the previous receive handed out by reference is done with. */
	rp_chan_hold_clear(ch);
	/* Read before trying: what was sent before the destroy is drained. */
	destroyed = atomic_load_explicit(&ch->shm->destroyed, memory_order_acquire);
	r = recv_next(ch, buf, cap, copy, data, &gap);
	if (lost)
		*lost = gap;
	/* A file truncated during the receive (SIGBUS, guard.c): what was
	 * read may be the zeros that replaced it. */
	if (rp_chan_is_broken(ch))
		return -EIO;
	if (r == -EAGAIN && destroyed)
		return -EPIPE;
	return r;
}

ssize_t rp_chan_recv(struct rp_chan *ch, void *buf, size_t cap, uint64_t *lost)
{
	const void *data;

	return recv_common(ch, buf, cap, true, &data, lost);
}

ssize_t rp_chan_recv_ref(struct rp_chan *ch, void *buf, size_t cap, const void **data,
			 uint64_t *lost)
{
	return recv_common(ch, buf, cap, false, data, lost);
}

/*
 * A sender that died between marking its slot "writing" and publishing it
 * would stop every receiver at that position for good. A receiver that
 * waited there in vain checks the writer's pid; if it is gone, it publishes
 * the slot as a hole, which every receiver then counts as one lost message.
 * (A sender that died between taking the position and marking the slot
 * cannot be told from a slow one: not handled.)
 */
bool rp_chan_repair_hole(struct rp_chan *ch)
{
	uint64_t pos = ch->mode == RP_CHAN_UNICAST
		? atomic_load_explicit(&ch->shm->head, memory_order_acquire) : ch->cursor;
	struct rp_chan_slot *sl = rp_chan_slot_at(ch, pos);
	uint64_t want = rp_chan_seq_writing(pos);

	/* Acquire: pairs with the writer's release mark, so `sender` is its. */
	if (atomic_load_explicit(&sl->seq, memory_order_acquire) != want ||
	    !rp_chan_pid_gone(atomic_load_explicit(&sl->sender, memory_order_relaxed)))
		return false;
	atomic_store_explicit(&sl->len, 0, memory_order_relaxed);
	atomic_store_explicit(&sl->target, RP_CHAN_TARGET_HOLE, memory_order_relaxed);
	/* Release: the hole marks are visible with the publish. Another
	 * receiver may have repaired it first: either way it is published. */
	atomic_compare_exchange_strong_explicit(&sl->seq, &want, rp_chan_seq_ready(pos),
						memory_order_release, memory_order_relaxed);
	return true;
}

bool rp_chan_rx_ready(struct rp_chan *ch)
{
	uint64_t pos = ch->mode == RP_CHAN_UNICAST
		? atomic_load_explicit(&ch->shm->head, memory_order_relaxed) : ch->cursor;
	struct rp_chan_slot *sl = rp_chan_slot_at(ch, pos);

	return atomic_load_explicit(&sl->seq, memory_order_relaxed) >= rp_chan_seq_ready(pos) ||
	       atomic_load_explicit(&ch->shm->destroyed, memory_order_relaxed);
}

/* view.c reads in place with the same cursor and counters. */
void rp_chan_cursor_advance(struct rp_chan *ch, uint64_t to)
{
	advance(ch, to);
}

void rp_chan_count_lost(struct rp_chan *ch, uint64_t n, uint64_t *lost)
{
	count_lost(ch, n, lost);
}

void rp_chan_count_received(struct rp_chan *ch)
{
	count_received(ch);
}

uint64_t rp_chan_resume_pos(struct rp_chan *ch, uint64_t pos)
{
	return resume_pos(ch, pos);
}
