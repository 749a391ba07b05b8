/* SPDX-License-Identifier: MIT */
/*
 * The receiver table: registering, detaching, and detecting receivers whose
 * process died. A dead receiver must block nobody: its cursor would hold a
 * block-policy ring full forever, and multicast would keep assigning it
 * messages. Any attached process may detach it once the pid is gone.
 *
 * Liveness is the pid's: pidfd_open + poll says whether the process has
 * exited (also while it is an unreaped zombie, which kill(pid, 0) would call
 * alive). Limits: pids of another pid namespace are not comparable, and a
 * pid reused within the check interval looks alive.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "chan/internal.h"

uint64_t rp_chan_live_mask(const struct rp_chan *ch)
{
	uint64_t all = ch->max_rx == 64 ? ~0ull : (1ull << ch->max_rx) - 1;

	/* Acquire: the entry's cursor and owner were written before its bit
	 * was set (release in register). Masked: the word is shared, a bit
	 * past max_receivers must never index the table. */
	return atomic_load_explicit(&ch->shm->live_mask, memory_order_acquire) & all;
}

bool rp_chan_pid_gone(pid_t pid)
{
	struct pollfd p = { .events = POLLIN };
	int fd, n;

	if (pid <= 0)
		return true;
	fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0) {
		if (errno == ESRCH)
			return true;
		/* No pidfd (old kernel, seccomp): kill(0) is the best left. */
		return kill(pid, 0) < 0 && errno == ESRCH;
	}
	p.fd = fd;
	n = poll(&p, 1, 0);
	close(fd);
	return n == 1;
}

static int claim_free_bit(struct rp_chan *ch)
{
	uint64_t all = ch->max_rx == 64 ? ~0ull : (1ull << ch->max_rx) - 1;
	uint64_t m = atomic_load_explicit(&ch->shm->alloc_mask, memory_order_relaxed);

	while ((m & all) != all) {
		int i = __builtin_ctzll(~m & all);

		/* Acquire: what the entry's previous owner wrote is done. */
		if (atomic_compare_exchange_weak_explicit(&ch->shm->alloc_mask, &m, m | (1ull << i),
							  memory_order_acquire, memory_order_relaxed))
			return i;
	}
	return -1;
}

int rp_chan_rx_register(struct rp_chan *ch, struct rp_chan_err *e)
{
	struct rp_chan_shm_rx *r;
	uint32_t gen;
	uint64_t head;
	int i = claim_free_bit(ch);

	if (i < 0 && rp_chan_reap(ch) > 0)
		i = claim_free_bit(ch);
	if (i < 0) {
		rp_chan_errf(e, "%s: all %u receiver entries are taken by live receivers",
			     ch->path, ch->max_rx);
		return -EBUSY;
	}
	r = &ch->rx[i];
	gen = atomic_fetch_add_explicit(&r->gen, 1, memory_order_relaxed) + 1;
	atomic_store_explicit(&r->owner, (uint64_t)gen << 32 | (uint32_t)getpid(),
			      memory_order_relaxed);
	atomic_store_explicit(&r->sleeping, 0, memory_order_relaxed);
	atomic_store_explicit(&r->received, 0, memory_order_relaxed);
	atomic_store_explicit(&r->lost, 0, memory_order_relaxed);
	atomic_store_explicit(&r->hold, 0, memory_order_relaxed);
	/* Not the previous owner's batch (multicast coalescing, wait.c). */
	atomic_store_explicit(&r->batch, 0, memory_order_relaxed);
	atomic_store_explicit(&r->pending, 0, memory_order_relaxed);
	/* A new receiver gets what is sent from now on. */
	ch->cursor = atomic_load_explicit(&ch->shm->tail, memory_order_acquire);
	atomic_store_explicit(&r->cursor, ch->cursor, memory_order_relaxed);
	ch->rx_idx = i;
	ch->rx_gen = gen;
	/* seq_cst: from here on every sender's floor includes this cursor. A
	 * floor computed just before may already be past it; start there, so
	 * a position overwritten meanwhile is not waited for. */
	atomic_fetch_or_explicit(&ch->shm->live_mask, 1ull << i, memory_order_seq_cst);
	head = atomic_load_explicit(&ch->shm->head, memory_order_seq_cst);
	if (ch->mode != RP_CHAN_UNICAST && head > ch->cursor && head - ch->cursor < ch->nslots) {
		ch->cursor = head;
		atomic_store_explicit(&r->cursor, head, memory_order_release);
	}
	return 0;
}

/* Detach entry idx if its owner is still `owner`. */
static bool detach_entry(struct rp_chan *ch, int idx, uint64_t owner)
{
	struct rp_chan_shm_rx *r = &ch->rx[idx];
	uint64_t bit = 1ull << idx;

	if (!atomic_compare_exchange_strong_explicit(&r->owner, &owner, 0,
						     memory_order_acq_rel, memory_order_relaxed))
		return false;
	atomic_fetch_and_explicit(&ch->shm->live_mask, ~bit, memory_order_release);
	/* A receiver that died asleep still counts as a sleeper: take it off,
	 * or every send would pay a wake-up syscall for nobody. */
	if (atomic_exchange_explicit(&r->sleeping, 0, memory_order_relaxed))
		atomic_fetch_sub_explicit(&ch->shm->data_sleepers, 1, memory_order_relaxed);
	atomic_fetch_and_explicit(&ch->shm->alloc_mask, ~bit, memory_order_release);
	/* Its cursor no longer holds the floor: blocked senders may go on. */
	rp_chan_floor_refresh(ch);
	rp_chan_wake_senders(ch);
	return true;
}

void rp_chan_rx_unregister(struct rp_chan *ch, int idx)
{
	uint64_t owner = atomic_load_explicit(&ch->rx[idx].owner, memory_order_relaxed);

	/* Ours unless a co-tenant reaped or rewrote it: then nothing to do. */
	if ((pid_t)(uint32_t)owner == getpid())
		detach_entry(ch, idx, owner);
	ch->rx_idx = -1;
}

int rp_chan_reap(struct rp_chan *ch)
{
	uint64_t m = rp_chan_live_mask(ch);
	int n = 0;

	if (ch->rx_idx >= 0)	/* a receiver: also a dead sender's hole */
		rp_chan_repair_hole(ch);
	if (rp_chan_is_broken(ch))	/* touching the file found it truncated */
		return -EIO;
	while (m) {
		int i = __builtin_ctzll(m);
		uint64_t owner = atomic_load_explicit(&ch->rx[i].owner, memory_order_relaxed);

		m &= m - 1;
		if (owner && rp_chan_pid_gone((pid_t)(uint32_t)owner) && detach_entry(ch, i, owner))
			n++;
	}
	return n;
}
