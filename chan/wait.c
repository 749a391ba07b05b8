/* SPDX-License-Identifier: MIT */
/*
 * Sleeping and waking on the channel's futex words.
 *
 * Receivers: a sleeper flags itself in its table entry and counts itself in
 * data_sleepers, reads its wait word (the word's epoch), announces that
 * epoch as the one it sleeps at (`armed`), re-checks for a message, and
 * only then sleeps on the word with the value it read. Senders publish,
 * then look at data_sleepers: zero means no syscall at all; otherwise they
 * wake only if a receiver armed at the word's current epoch, by moving the
 * word to the next epoch (CAS) and FUTEX_WAKE. So a sleep costs senders one
 * wake-up call, however many messages are sent before the woken receiver
 * runs, drains the ring and arms again (once per batch, as a pipe wakes its
 * reader only when it was empty). Broadcast receivers share one word
 * (every message is for all of them: one wake-up call wakes them all;
 * data_armed is the newest epoch any of them armed at, an atomic max);
 * unicast and multicast receivers each have their own, so a message wakes
 * only the receiver it is for (multicast) or one sleeper (unicast), not all
 * of them. The two sides are the store-then-load pattern on different
 * words, so both need sequential consistency between their store and their
 * load (a fence): then either the sender sees the sleeper's epoch, or the
 * sleeper's re-check sees the message. A sender that loses the CAS leaves
 * the wake-up to the one that won; a sleeper that armed at the new epoch
 * after that is seen by a later sender's check or sees the message itself.
 * A bump between the sleeper's read and its sleep makes the kernel refuse
 * the sleep (value changed), so no wake-up is lost.
 *
 * Receive coalescing (broadcast; rp_chan_set_rx_batch), the channel's
 * interrupt coalescing: a receiver may ask to be woken only once `batch`
 * messages wait for it, or after max_delay_us asleep. Per receiver, but
 * the broadcast word is shared and a wake-up wakes every sleeper on it, so
 * a sleeper also announces the tail it wants to be woken at (its cursor +
 * its batch) in data_wake, which keeps the smallest such tail of the
 * current epoch: the most impatient sleeper decides (a receiver with the
 * default batch of 1 wakes everyone at the first message, as before). A
 * sender skips the wake-up while the tail is below it. data_wake is one
 * more store before the sleeper's fence and one more load after the
 * sender's, so the argument above holds: a sender that missed the
 * sleeper's target is seen by its re-check. A batch is capped at half the
 * ring, so a sleeper's target comes before the ring is full (a block
 * sender never waits for a receiver waiting for it); a sender that finds
 * the ring full anyway wakes everyone (producer.c). Its sleep is cut at
 * max_delay_us, so a partial batch waits that long at most.
 *
 * Multicast receive coalescing: a multicast receiver sleeps on its own
 * word, and is woken only for messages it is given, so the count is its
 * own: arming a sleep it announces its batch and zeroes `pending`; a
 * sender that gives a message to it while it sleeps counts it there and
 * wakes it at the batch-th. With round-robin turns each of n sleepers
 * would collect a message in n, and the floor rounds (producer.c) would
 * wake them half a ring later with a handful each; instead a sleeper's
 * turn goes to a sleeper already collecting (producer.c: pick_target), so
 * one collects a whole batch and the others are not woken at all. A
 * sleeper's oldest message holds the floor: once it is half a ring
 * behind, the floor round wakes it whatever its count, so a block sender
 * never waits for a batch. The same argument as above holds: the batch
 * and count are stored before the sleeper's fence, read after the
 * sender's.
 *
 * The futex words live in a MAP_SHARED file: shared futexes (no
 * FUTEX_PRIVATE_FLAG / FUTEX2_PRIVATE), keyed by the page, so processes
 * mapping the file at different addresses meet on the same word.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <liburing.h>

#include "chan/internal.h"

#define UD_FUTEX 1
#define UD_TIMEOUT 2

static pthread_once_t probe_once = PTHREAD_ONCE_INIT;
static bool uring_futex;
static char backend[192];

static void probe(void)
{
	struct io_uring_probe *p;
	const char *why = NULL;

	if (getenv("RP_CHAN_FORCE_FUTEX"))
		why = "RP_CHAN_FORCE_FUTEX is set";
	else if (!(p = io_uring_get_probe()))
		why = "io_uring is not available (io_uring_get_probe failed)";
	else {
		if (!io_uring_opcode_supported(p, IORING_OP_FUTEX_WAIT))
			why = "the kernel lacks IORING_OP_FUTEX_WAIT (6.7+)";
		io_uring_free_probe(p);
	}
	uring_futex = !why;
	if (why) {
		snprintf(backend, sizeof(backend), "futex(2): %s", why);
		fprintf(stderr, "ringplane chan: receivers wait with futex(2): %s\n", why);
	} else {
		snprintf(backend, sizeof(backend), "io_uring FUTEX_WAIT");
	}
}

const char *rp_chan_wait_backend(void)
{
	pthread_once(&probe_once, probe);
	return backend;
}

/* Waits are timed in microseconds (a coalescing receiver's max delay);
 * negative: no limit. */
static int futex_wait_us(_Atomic uint32_t *word, uint32_t val, int64_t timeout_us)
{
	struct timespec ts = { .tv_sec = timeout_us / 1000000,
			       .tv_nsec = (long)(timeout_us % 1000000) * 1000 };

	if (syscall(SYS_futex, word, FUTEX_WAIT, val, timeout_us < 0 ? NULL : &ts, NULL, 0) == 0)
		return 0;
	return -errno;
}

int rp_chan_futex_wait(_Atomic uint32_t *word, uint32_t val, int timeout_ms)
{
	return futex_wait_us(word, val, timeout_ms < 0 ? -1 : (int64_t)timeout_ms * 1000);
}

static void futex_wake_all(_Atomic uint32_t *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

static void wake_word(_Atomic uint32_t *w)
{
	atomic_fetch_add_explicit(w, 1, memory_order_relaxed);
	futex_wake_all(w);
}

/* Wake the sleepers of word w if one armed at its current epoch: once per
 * sleep, not once per message. */
static void wake_armed(_Atomic uint32_t *w, _Atomic uint32_t *armed)
{
	uint32_t e = atomic_load_explicit(w, memory_order_relaxed);

	if (atomic_load_explicit(armed, memory_order_relaxed) != e)
		return;		/* woken already; or arming: its re-check sees the message */
	if (atomic_compare_exchange_strong_explicit(w, &e, e + 1, memory_order_relaxed,
						    memory_order_relaxed))
		futex_wake_all(w);
}

/* A batch never asks for more than half the ring (above). */
static uint32_t batch_of(const struct rp_chan *ch)
{
	return ch->rx_batch < ch->nslots / 2 ? ch->rx_batch : ch->nslots / 2;
}

/* Broadcast: announce the tail this sleeper wants to be woken at, keeping
 * the smallest of epoch e's sleepers (wrap-safe compares). A newer epoch
 * there: the word moved since we read it, the kernel refuses our sleep. */
static void arm_target(struct rp_chan *ch, uint32_t e)
{
	_Atomic uint64_t *w = &ch->shm->data_wake;
	uint32_t t = (uint32_t)(ch->cursor + batch_of(ch));
	uint64_t cur = atomic_load_explicit(w, memory_order_relaxed);

	do {
		uint32_t ce = (uint32_t)(cur >> 32);

		if (ce == e + 1 && (int32_t)(t - (uint32_t)cur) >= 0)
			return;
		if (ce != e + 1 && (int32_t)(e + 1 - ce) < 0)
			return;
	} while (!atomic_compare_exchange_weak_explicit(w, &cur, (uint64_t)(e + 1) << 32 | t,
							memory_order_relaxed, memory_order_relaxed));
}

/* Announce the epoch a sleeper sleeps at; broadcast's shared word keeps
 * the newest (wrap-safe compare), so a late arming at an older epoch does
 * not hide a sleeper at the current one. */
static void arm_max(_Atomic uint32_t *a, uint32_t e)
{
	uint32_t cur = atomic_load_explicit(a, memory_order_relaxed);

	while ((int32_t)(e - cur) > 0 &&
	       !atomic_compare_exchange_weak_explicit(a, &cur, e, memory_order_relaxed,
						      memory_order_relaxed))
		;
}

static void arm_epoch(struct rp_chan *ch, uint32_t e)
{
	struct rp_chan_shm_rx *r = &ch->rx[ch->rx_idx];

	if (ch->mode != RP_CHAN_BROADCAST) {
		/* Multicast: a new count for this sleep. A sender's increment
		 * for the previous sleep lost here only delays the wake-up, by
		 * max_delay_us at most. */
		if (ch->mode == RP_CHAN_MULTICAST) {
			atomic_store_explicit(&r->pending, 0, memory_order_relaxed);
			atomic_store_explicit(&r->batch, batch_of(ch), memory_order_relaxed);
		}
		atomic_store_explicit(&r->armed, e, memory_order_relaxed);
		return;
	}
	arm_target(ch, e);
	arm_max(&ch->shm->data_armed, e);
}

/* Broadcast: wake the sleepers unless every one at the current epoch asked
 * for a batch the tail has not reached. */
static void wake_broadcast(struct rp_chan *ch)
{
	struct rp_chan_shm *s = ch->shm;
	uint32_t e = atomic_load_explicit(&s->data_futex, memory_order_relaxed);
	uint64_t w = atomic_load_explicit(&s->data_wake, memory_order_relaxed);
	uint32_t tail = (uint32_t)atomic_load_explicit(&s->tail, memory_order_relaxed);

	if ((uint32_t)(w >> 32) == e + 1 && (int32_t)(tail - (uint32_t)w) < 0)
		return;
	wake_armed(&s->data_futex, &s->data_armed);
}

int rp_chan_set_rx_batch(struct rp_chan *ch, uint32_t batch, uint32_t max_delay_us)
{
	if (ch->role != RP_CHAN_RECEIVER || batch < 1 || (batch > 1 && !max_delay_us))
		return -EINVAL;
	if (batch > 1 && ch->mode == RP_CHAN_UNICAST)
		return -EOPNOTSUPP;
	ch->rx_batch = batch;
	ch->rx_delay_us = batch > 1 ? max_delay_us : 0;
	return 0;
}

static _Atomic uint32_t *wait_word(struct rp_chan *ch)
{
	return ch->mode == RP_CHAN_BROADCAST ? &ch->shm->data_futex : &ch->rx[ch->rx_idx].futex;
}

static bool rx_sleeps(struct rp_chan *ch, int i)
{
	return atomic_load_explicit(&ch->rx[i].sleeping, memory_order_relaxed);
}

static void wake_rx(struct rp_chan *ch, unsigned i)
{
	wake_armed(&ch->rx[i].futex, &ch->rx[i].armed);
}

/* Multicast coalescing: has sleeper i now got the batch it asked for?
 * Counts this message. */
static bool batch_full(struct rp_chan *ch, unsigned i)
{
	struct rp_chan_shm_rx *r = &ch->rx[i];
	uint32_t b = atomic_load_explicit(&r->batch, memory_order_relaxed);

	if (b <= 1)
		return true;
	return atomic_fetch_add_explicit(&r->pending, 1, memory_order_relaxed) + 1 >= b;
}

/* Unicast and multicast: the target if it is live (asleep or not: if
 * awake it will look by itself; asleep with a batch not yet full, it
 * wakes by its batch or its delay), else the first sleeper (if it was
 * woken already and has not run yet, it will take this message too). */
static void wake_one(struct rp_chan *ch, uint32_t target)
{
	uint64_t m = rp_chan_live_mask(ch);

	if (target < 64 && (m & (1ull << target))) {
		if (rx_sleeps(ch, (int)target) && batch_full(ch, target))
			wake_rx(ch, target);
		return;
	}
	for (; m; m &= m - 1) {
		int i = __builtin_ctzll(m);

		if (rx_sleeps(ch, i)) {
			wake_rx(ch, (unsigned)i);
			return;
		}
	}
}

void rp_chan_wake_receivers(struct rp_chan *ch, uint32_t target)
{
	/* The sender's half of the pattern above: the publish before, the
	 * sleeper count and flags after. Acquire: a sleeper's flag was set
	 * before it counted itself. */
	atomic_thread_fence(memory_order_seq_cst);
	if (!atomic_load_explicit(&ch->shm->data_sleepers, memory_order_acquire))
		return;
	if (ch->mode == RP_CHAN_BROADCAST)
		wake_broadcast(ch);
	else
		wake_one(ch, ch->mode == RP_CHAN_MULTICAST ? target : RP_CHAN_TARGET_ANY);
}

void rp_chan_wake_behind(struct rp_chan *ch, uint64_t pos, uint32_t dist, bool force)
{
	atomic_thread_fence(memory_order_seq_cst);
	for (uint64_t m = rp_chan_live_mask(ch); m; m &= m - 1) {
		unsigned i = (unsigned)__builtin_ctzll(m);
		uint64_t c = atomic_load_explicit(&ch->rx[i].cursor, memory_order_relaxed);

		/* Signed: a cursor past pos (it read on) is not behind. */
		if ((int64_t)(pos - c) < (int64_t)dist)
			continue;
		if (force)
			wake_word(&ch->rx[i].futex);
		else if (rx_sleeps(ch, (int)i))
			wake_rx(ch, i);
	}
}

void rp_chan_wake_all(struct rp_chan *ch)
{
	atomic_thread_fence(memory_order_seq_cst);
	wake_word(&ch->shm->data_futex);
	for (uint64_t m = rp_chan_live_mask(ch); m; m &= m - 1)
		wake_word(&ch->rx[__builtin_ctzll(m)].futex);
}

uint32_t rp_chan_space_arm(struct rp_chan *ch)
{
	uint32_t v = atomic_load_explicit(&ch->shm->space_futex, memory_order_seq_cst);

	arm_max(&ch->shm->space_armed, v);
	return v;
}

void rp_chan_wake_senders_armed(struct rp_chan *ch)
{
	/* Relaxed: a sender polls every ROOM_POLL_MS, a miss costs that. */
	if (atomic_load_explicit(&ch->shm->space_sleepers, memory_order_relaxed))
		wake_armed(&ch->shm->space_futex, &ch->shm->space_armed);
}

void rp_chan_wake_senders(struct rp_chan *ch)
{
	struct rp_chan_shm *s = ch->shm;

	if (!atomic_load_explicit(&s->space_sleepers, memory_order_relaxed))
		return;
	atomic_fetch_add_explicit(&s->space_futex, 1, memory_order_relaxed);
	futex_wake_all(&s->space_futex);
}

int rp_chan_wait_arm(struct rp_chan *ch, uint32_t *val)
{
	struct rp_chan_shm *s = ch->shm;

	if (ch->role != RP_CHAN_RECEIVER || ch->rx_idx < 0)
		return -EINVAL;
	if (rp_chan_is_broken(ch))
		return -EIO;
	atomic_store_explicit(&ch->rx[ch->rx_idx].sleeping, 1, memory_order_relaxed);
	/* Release: a sender that sees the count sees the flag. */
	atomic_fetch_add_explicit(&s->data_sleepers, 1, memory_order_release);
	/* The epoch to sleep at, announced; the receiver's half: the flag,
	 * count and epoch before, the re-check after. */
	*val = atomic_load_explicit(wait_word(ch), memory_order_relaxed);
	arm_epoch(ch, *val);
	atomic_thread_fence(memory_order_seq_cst);
	if (!rp_chan_rx_ready(ch) && !rp_chan_is_broken(ch))
		return 0;
	/* Ready, or truncated under us: the next receive says which. */
	rp_chan_wait_disarm(ch);
	return 1;
}

void rp_chan_wait_disarm(struct rp_chan *ch)
{
	/* Exchange: a reaper that found this entry dead may have taken the
	 * count back already (it cannot, while we live, but a co-tenant may
	 * have cleared the flag): decrement once at most. */
	if (ch->rx_idx >= 0 &&
	    atomic_exchange_explicit(&ch->rx[ch->rx_idx].sleeping, 0, memory_order_relaxed))
		atomic_fetch_sub_explicit(&ch->shm->data_sleepers, 1, memory_order_relaxed);
}

void rp_chan_prep_wait(struct rp_chan *ch, struct io_uring_sqe *sqe, uint32_t val)
{
	io_uring_prep_futex_wait(sqe, (uint32_t *)(uintptr_t)wait_word(ch), val,
				 FUTEX_BITSET_MATCH_ANY, FUTEX2_SIZE_U32, 0);
}

void rp_chan_waitv_fill(struct rp_chan *ch, struct futex_waitv *wv, uint32_t val)
{
	memset(wv, 0, sizeof(*wv));
	wv->val = val;
	wv->uaddr = (uintptr_t)wait_word(ch);
	wv->flags = FUTEX2_SIZE_U32;
}

static struct io_uring *wait_ring(struct rp_chan *ch)
{
	if (ch->wring)
		return ch->wring;
	if (!(ch->wring = calloc(1, sizeof(*ch->wring))))
		return NULL;
	if (io_uring_queue_init(4, ch->wring, 0)) {
		free(ch->wring);
		ch->wring = NULL;
	}
	return ch->wring;
}

/* One FUTEX_WAIT, linked to a timeout when there is one; reap both CQEs. */
static int wait_uring(struct io_uring *ring, struct rp_chan *ch, uint32_t v, int64_t timeout_us)
{
	struct __kernel_timespec kts = { .tv_sec = timeout_us / 1000000,
					 .tv_nsec = (long long)(timeout_us % 1000000) * 1000 };
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct io_uring_cqe *cqe;
	unsigned want = timeout_us < 0 ? 1 : 2;
	int res = 0, r;

	rp_chan_prep_wait(ch, sqe, v);
	io_uring_sqe_set_data64(sqe, UD_FUTEX);
	if (timeout_us >= 0) {
		sqe->flags |= IOSQE_IO_LINK;
		sqe = io_uring_get_sqe(ring);
		io_uring_prep_link_timeout(sqe, &kts, 0);
		io_uring_sqe_set_data64(sqe, UD_TIMEOUT);
	}
	/* Submit and sleep in one enter; the linked timeout's CQE (if any)
	 * follows at once, as the pair completes together. */
	while ((r = io_uring_submit_and_wait(ring, 1)) == -EINTR)
		;
	if (r < 0)
		return r;
	for (unsigned got = 0; got < want; got++) {
		while ((r = io_uring_wait_cqe(ring, &cqe)) == -EINTR)
			;
		if (r)
			return r;
		if (cqe->user_data == UD_FUTEX)
			res = cqe->res;
		io_uring_cqe_seen(ring, cqe);
	}
	return res == -ECANCELED ? -ETIMEDOUT : res;
}

static int wait_once(struct rp_chan *ch, int64_t timeout_us)
{
	struct io_uring *ring = NULL;
	uint32_t v = 0;
	int r = 0;

	if (timeout_us == 0 || (r = rp_chan_wait_arm(ch, &v)) == 1)
		return rp_chan_rx_ready(ch) ? 0 : -ETIMEDOUT;
	if (r < 0)
		return r;
	if (uring_futex)
		ring = wait_ring(ch);
	r = ring ? wait_uring(ring, ch, v, timeout_us)
		 : futex_wait_us(wait_word(ch), v, timeout_us);
	rp_chan_wait_disarm(ch);
	if (r == -ETIMEDOUT && !rp_chan_rx_ready(ch) && !rp_chan_is_broken(ch))
		return -ETIMEDOUT;
	/* Woken, value changed (-EAGAIN), or a signal: look again. */
	return 0;
}

/*
 * Waits are cut into HOLE_CHECK_MS pieces: after each piece without a
 * message, the receiver checks whether the sender of the slot it waits at
 * died mid-write (rp_chan_repair_hole), which would otherwise block it
 * forever. A coalescing receiver's pieces are its max delay: one that
 * ends with messages waiting (fewer than its batch) returns them.
 */
#define HOLE_CHECK_US 1000000

int rp_chan_wait(struct rp_chan *ch, int timeout_ms)
{
	int64_t left = timeout_ms < 0 ? -1 : (int64_t)timeout_ms * 1000;
	int64_t most = ch->rx_batch > 1 && ch->rx_delay_us < HOLE_CHECK_US
		? ch->rx_delay_us : HOLE_CHECK_US;
	int r;

	if (ch->role != RP_CHAN_RECEIVER)
		return -EINVAL;
	pthread_once(&probe_once, probe);
	for (;;) {
		int64_t piece = left < 0 || left > most ? most : left;

		/* Truncated (guard.c): nothing will wake us on zero pages. */
		if (rp_chan_is_broken(ch))
			return -EIO;
		if ((r = wait_once(ch, piece)) != -ETIMEDOUT)
			return rp_chan_is_broken(ch) ? -EIO : r;
		if (rp_chan_repair_hole(ch) || rp_chan_is_broken(ch))
			return rp_chan_is_broken(ch) ? -EIO : 0;
		if (left >= 0 && (left -= piece) <= 0)
			return -ETIMEDOUT;
	}
}

void rp_chan_wait_release(struct rp_chan *ch)
{
	if (!ch->wring)
		return;
	io_uring_queue_exit(ch->wring);
	free(ch->wring);
	ch->wring = NULL;
}
