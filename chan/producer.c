/* SPDX-License-Identifier: MIT */
/*
 * Sending: take a position by CAS on the tail, write the slot as a seqlock
 * writer, publish, wake sleepers if any said they sleep.
 *
 * Block policy: a position is taken only while it is less than a ring ahead
 * of the floor (unicast: the shared consumer head; broadcast and multicast:
 * the slowest live receiver's cursor), so nothing unread is overwritten. A
 * full ring makes the sender wait (reaping dead receivers meanwhile) for at
 * most block_timeout_ms.
 * Overwrite policy: positions are taken without looking at the floor; the
 * readers' seqlock check turns an overwrite into a counted gap.
 */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chan/internal.h"

#define ROOM_POLL_MS	1	/* a blocked sender re-checks at least this often */
#define REAP_EVERY_MS	10	/* and looks for dead receivers this often */
#define FLOOR_ROUND_EVERY 16	/* multicast: messages between floor rounds */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t floor_of(struct rp_chan *ch)
{
	/* Acquire: the receivers' copies of everything below the floor are
	 * finished before this sender reuses those slots. */
	return atomic_load_explicit(&ch->shm->head, memory_order_acquire);
}

static bool ring_full(struct rp_chan *ch, uint64_t t)
{
	/* Signed: a floor past a stale t means room (t will be re-read). */
	if ((int64_t)(t - floor_of(ch)) < (int64_t)ch->nslots)
		return false;
	if (ch->mode == RP_CHAN_UNICAST)
		return true;
	if ((int64_t)(t - rp_chan_floor_refresh(ch)) < (int64_t)ch->nslots)
		return false;
	/* Multicast: sleepers' cursors moved past what is not theirs. */
	if (ch->mode != RP_CHAN_MULTICAST || !rp_chan_skip_sleepers(ch))
		return true;
	return (int64_t)(t - rp_chan_floor_refresh(ch)) >= (int64_t)ch->nslots;
}

/* Sleep until the floor may have moved, ROOM_POLL_MS at most. */
static void sleep_for_room(struct rp_chan *ch, uint64_t t)
{
	struct rp_chan_shm *s = ch->shm;
	uint32_t v;

	/* seq_cst pairs with the receivers' check of space_sleepers: either
	 * they see this sleeper, or the re-check below sees their progress.
	 * (They check it relaxed, so a rare miss costs one poll period.) The
	 * value slept at is announced (space_armed): receivers wake once per
	 * sleep, not on every message they take until this sender runs. */
	atomic_fetch_add_explicit(&s->space_sleepers, 1, memory_order_seq_cst);
	v = rp_chan_space_arm(ch);
	atomic_thread_fence(memory_order_seq_cst);
	if (ring_full(ch, t) && !atomic_load_explicit(&s->destroyed, memory_order_relaxed)) {
		/* Sleepers holding the floor: multicast's still behind (ring_full
		 * moved the others on) have something to take: wake them, armed
		 * or not; broadcast receivers may wait for a batch (wait.c:
		 * receive coalescing) that this full ring will never complete. */
		if (ch->mode == RP_CHAN_MULTICAST)
			rp_chan_wake_behind(ch, t, ch->nslots / 2, true);
		else if (ch->mode == RP_CHAN_BROADCAST)
			rp_chan_wake_all(ch);
		rp_chan_futex_wait(&s->space_futex, v, ROOM_POLL_MS);
	}
	atomic_fetch_sub_explicit(&s->space_sleepers, 1, memory_order_relaxed);
}

static int wait_for_room(struct rp_chan *ch, uint64_t t, uint64_t *deadline, uint64_t *next_reap)
{
	uint64_t now = now_ms();

	if (atomic_load_explicit(&ch->shm->destroyed, memory_order_relaxed))
		return -EPIPE;
	if (!*deadline) {
		*deadline = now + ch->block_timeout_ms;
		*next_reap = now;
	}
	if (now >= *deadline) {
		atomic_fetch_add_explicit(&ch->shm->send_timeouts, 1, memory_order_relaxed);
		return -ETIMEDOUT;
	}
	if (now >= *next_reap) {
		rp_chan_reap(ch);
		*next_reap = now + REAP_EVERY_MS;
	}
	sleep_for_room(ch, t);
	return 0;
}

static int64_t take_position(struct rp_chan *ch)
{
	uint64_t deadline = 0, next_reap = 0;
	uint64_t t = atomic_load_explicit(&ch->shm->tail, memory_order_relaxed);
	int r;

	for (;;) {
		if (ch->policy == RP_CHAN_BLOCK && ring_full(ch, t)) {
			if ((r = wait_for_room(ch, t, &deadline, &next_reap)))
				return r;
			t = atomic_load_explicit(&ch->shm->tail, memory_order_relaxed);
			continue;
		}
		/* Relaxed: the tail only hands out positions; what is written
		 * there is published by the slot's own sequence (release). */
		if (atomic_compare_exchange_weak_explicit(&ch->shm->tail, &t, t + 1,
							  memory_order_relaxed, memory_order_relaxed))
			return (int64_t)t;
	}
}

/* A sender a whole lap behind may still be writing this slot (overwrite
 * policy, or a broadcast with no receiver: nothing holds the floor). Wait
 * for it, at most block_timeout_ms: it may have died mid-write. */
static void wait_lapped_writer(struct rp_chan *ch, struct rp_chan_slot *sl, uint64_t pos)
{
	uint64_t until = 0;
	uint64_t s;

	while (((s = atomic_load_explicit(&sl->seq, memory_order_acquire)) & 3) == 1 &&
	       s < rp_chan_seq_writing(pos)) {
		if (!until)
			until = now_ms() + ch->block_timeout_ms;
		else if (now_ms() >= until)
			return;
		sched_yield();
	}
}

/* A sleeper coalescing its wake-ups (wait.c) that was given a message of
 * its batch already: it is woken by its batch or its delay, not by this
 * message, so its turn-takers' messages add to its batch. */
static bool collecting(struct rp_chan_shm_rx *r)
{
	return atomic_load_explicit(&r->batch, memory_order_relaxed) > 1 &&
	       atomic_load_explicit(&r->pending, memory_order_relaxed) > 0;
}

/* Multicast: will receiver i take a message without a wake-up of its
 * own? It is awake, or was woken already and has not run yet (its epoch
 * moved past the one it armed at: it drains what is there when it runs),
 * or is collecting a batch (above), and it keeps up: its cursor within half a ring of pos, so a receiver
 * busy with a long job, or long in the run queue, is not handed more than
 * it can take before the ring fills. (A quarter ring woke a cascade of
 * receivers on a busy machine, each woken one waiting for a CPU long
 * enough to fall behind: 0.11 receiver wake-ups per message at 16
 * receivers on 2 vCPUs, 0.075 with half.) */
static bool takes_without_wake(struct rp_chan *ch, unsigned i, uint64_t pos)
{
	struct rp_chan_shm_rx *r = &ch->rx[i];

	if (pos - atomic_load_explicit(&r->cursor, memory_order_relaxed) > ch->nslots / 2)
		return false;
	return !atomic_load_explicit(&r->sleeping, memory_order_relaxed) ||
	       atomic_load_explicit(&r->armed, memory_order_relaxed) !=
	       atomic_load_explicit(&r->futex, memory_order_relaxed) ||
	       collecting(r);
}

/* Multicast: the receiver this position goes to, round-robin by position
 * over the receivers live now (no shared counter to contend on). When its
 * turn falls on a sleeper while another receiver will take a message
 * without a wake-up (takes_without_wake), the message goes to the next
 * such receiver in round-robin order instead: waking a sleeper per message
 * (every message, with many receivers) costs the sender a wake-up call and
 * the CPU it is preempted for, while an awake receiver takes it on its
 * way, and one already woken takes a batch when it runs. Only a hint: a
 * receiver seen awake may be falling asleep; the wake-up after the publish
 * covers that. */
static uint32_t pick_target(struct rp_chan *ch, uint64_t pos)
{
	uint64_t m = rp_chan_live_mask(ch), rest;
	unsigned k;
	uint32_t t;

	if (!m)
		return RP_CHAN_TARGET_ANY;
	k = (unsigned)(pos % (unsigned)__builtin_popcountll(m));
	for (rest = m; k--;)
		rest &= rest - 1;
	t = (uint32_t)__builtin_ctzll(rest);
	/* Nobody asleep: no entry to read. The sleeper count's line changes
	 * once per sleep; a receiver's entry is written by its walk. */
	if (!atomic_load_explicit(&ch->shm->data_sleepers, memory_order_relaxed) ||
	    !atomic_load_explicit(&ch->rx[t].sleeping, memory_order_relaxed))
		return t;
	/* The one that took the last such turn, if it still would: a scan
	 * reads every entry (5% of all CPU with 16 receivers on one CPU). */
	if (ch->turn_hint != t && (m >> ch->turn_hint & 1) &&
	    takes_without_wake(ch, ch->turn_hint, pos))
		return ch->turn_hint;
	/* The receivers after t, then those before it. */
	for (rest &= rest - 1; rest; rest &= rest - 1)
		if (takes_without_wake(ch, (unsigned)__builtin_ctzll(rest), pos))
			return ch->turn_hint = (unsigned)__builtin_ctzll(rest);
	for (rest = m & ((1ull << t) - 1); rest; rest &= rest - 1)
		if (takes_without_wake(ch, (unsigned)__builtin_ctzll(rest), pos))
			return ch->turn_hint = (unsigned)__builtin_ctzll(rest);
	return t;
}

static uint32_t write_slot(struct rp_chan *ch, uint64_t pos, const void *buf, size_t len,
			   uint32_t stored, const uint32_t *to)
{
	struct rp_chan_slot *sl = rp_chan_slot_at(ch, pos);
	uint64_t want = rp_chan_seq_writing(pos);
	uint32_t target = to ? *to
		: ch->mode == RP_CHAN_MULTICAST ? pick_target(ch, pos) : RP_CHAN_TARGET_ANY;

	wait_lapped_writer(ch, sl, pos);
	/* Who writes, before the mark (release): a receiver stuck at a slot
	 * marked "writing" can tell whether its writer died. */
	atomic_store_explicit(&sl->sender, ch->pid, memory_order_relaxed);
	/* Seqlock writer: mark the slot odd, then a release fence so no data
	 * store below becomes visible before the mark. */
	atomic_store_explicit(&sl->seq, want, memory_order_release);
	atomic_thread_fence(memory_order_release);
	atomic_store_explicit(&sl->claim, rp_chan_claim_open(pos), memory_order_relaxed);
	atomic_store_explicit(&sl->len, stored, memory_order_relaxed);
	atomic_store_explicit(&sl->target, target, memory_order_relaxed);
	memcpy(sl->data, buf, len);
	/* Release: the data is complete before a reader sees it published. If
	 * a sender a lap ahead took the slot meanwhile (overwrite policy,
	 * bounded wait expired), the CAS fails and this message is the one
	 * overwritten. */
	atomic_compare_exchange_strong_explicit(&sl->seq, &want, rp_chan_seq_ready(pos),
						memory_order_release, memory_order_relaxed);
	return target;
}

/* Multicast: a receiver is woken only for its own messages, but its cursor
 * is part of the floor. Once half the ring is behind the floor, move the
 * sleepers' cursors past the positions that hold nothing for them
 * (skip.c), then wake those that still hold it back, which have something
 * to take (once per sleep; only while that backlog lasts, not per message
 * in normal flow). Not left to the awake receivers: each would do the same
 * on its walk. */
static void multicast_floor(struct rp_chan *ch, uint64_t pos)
{
	int64_t half = ch->nslots / 2;

	/* Signed: a floor past pos (refreshed meanwhile) is no backlog. A
	 * round reads every receiver's entry: while an awake receiver holds
	 * the floor, not on every message. */
	if ((int64_t)(pos - floor_of(ch)) < half || (int64_t)(pos - ch->floor_next) < 0)
		return;
	ch->floor_next = pos + FLOOR_ROUND_EVERY;
	if ((int64_t)(pos - rp_chan_floor_refresh(ch)) < half)
		return;
	if (!atomic_load_explicit(&ch->shm->data_sleepers, memory_order_relaxed))
		return;
	if (rp_chan_skip_sleepers(ch) && (int64_t)(pos - rp_chan_floor_refresh(ch)) < half)
		return;
	rp_chan_wake_behind(ch, pos, (uint32_t)half, false);
}

int rp_chan_send_slot(struct rp_chan *ch, const void *buf, size_t len, uint32_t stored,
		      const uint32_t *to, uint64_t *pos)
{
	int64_t p;
	uint32_t target;

	if (ch->role != RP_CHAN_SENDER)
		return -EINVAL;
	if (len > ch->slot_size)
		return -EMSGSIZE;
	if (rp_chan_is_broken(ch))
		return -EIO;
	if (atomic_load_explicit(&ch->shm->destroyed, memory_order_relaxed))
		return -EPIPE;
	if ((p = take_position(ch)) < 0)
		return rp_chan_is_broken(ch) ? -EIO : (int)p;
	target = write_slot(ch, (uint64_t)p, buf, len, stored, to);
	rp_chan_wake_receivers(ch, rp_chan_target_is_to(target) ? target & 0xff : target);
	if (ch->mode == RP_CHAN_MULTICAST)
		multicast_floor(ch, (uint64_t)p);
	/* Truncated while we wrote (SIGBUS, guard.c): the message went to zero
	 * pages nobody reads. */
	if (rp_chan_is_broken(ch))
		return -EIO;
	if (pos)
		*pos = (uint64_t)p;
	return 0;
}

int rp_chan_send(struct rp_chan *ch, const void *buf, size_t len)
{
	return rp_chan_send_slot(ch, buf, len, (uint32_t)len, NULL, NULL);
}

uint32_t rp_chan_rx_id(const struct rp_chan *ch)
{
	return ch->rx_idx < 0 ? 0 : ch->rx_gen << 8 | (uint32_t)ch->rx_idx;
}

int rp_chan_send_to(struct rp_chan *ch, uint32_t rx_id, const void *buf, size_t len)
{
	unsigned idx = rx_id & 0xff;
	uint32_t to = rp_chan_target_to(rx_id >> 8, idx);
	uint64_t owner;

	if (ch->mode == RP_CHAN_UNICAST || idx >= ch->max_rx)
		return -EINVAL;
	owner = atomic_load_explicit(&ch->rx[idx].owner, memory_order_relaxed);
	if (!(rp_chan_live_mask(ch) & (1ull << idx)) || (uint32_t)(owner >> 32) != rx_id >> 8)
		return -ENOENT;
	return rp_chan_send_slot(ch, buf, len, (uint32_t)len, &to, NULL);
}
