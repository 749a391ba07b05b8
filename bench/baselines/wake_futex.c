/* SPDX-License-Identifier: MIT */
/*
 * Baseline: lock-free SPSC queue + futex. The sender pushes, bumps a
 * sequence word and calls FUTEX_WAKE only when the receiver said it is
 * going to sleep, so a busy receiver costs the sender no system call (the
 * best case for a hand-made queue). The receiver announces itself, checks
 * the queue once more, and FUTEX_WAITs on the sequence it saw.
 */
#include <errno.h>
#include <linux/futex.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench/baselines/spsc.h"
#include "bench/baselines/wake.h"

struct wake_futex {
	struct rp_spsc q;
	_Alignas(64) _Atomic uint32_t seq;	/* bumped per message */
	_Atomic uint32_t sleeping;		/* receiver is (about to be) in FUTEX_WAIT */
};

static long futex(_Atomic uint32_t *addr, int op, uint32_t val)
{
	return syscall(SYS_futex, addr, op | FUTEX_PRIVATE_FLAG, val, NULL, NULL, 0);
}

static void *fx_create(const void *arg)
{
	struct wake_futex *w = aligned_alloc(64, sizeof(*w));

	(void)arg;
	if (!w)
		return NULL;
	atomic_init(&w->q.head, 0);
	atomic_init(&w->q.tail, 0);
	atomic_init(&w->seq, 0);
	atomic_init(&w->sleeping, 0);
	return w;
}

static int fx_send(void *st, uint64_t stamp)
{
	struct wake_futex *w = st;

	if (!rp_spsc_push(&w->q, stamp))
		return -ENOBUFS;
	atomic_fetch_add(&w->seq, 1);	/* seq_cst: ordered before reading sleeping */
	if (atomic_load(&w->sleeping) && futex(&w->seq, FUTEX_WAKE, 1) < 0)
		return -errno;
	return 0;
}

static int fx_recv(void *st, uint64_t *stamps, unsigned max)
{
	struct wake_futex *w = st;
	unsigned n;

	for (;;) {
		uint32_t seq = atomic_load(&w->seq);

		n = rp_spsc_pop(&w->q, stamps, max);
		if (n)
			return (int)n;
		atomic_store(&w->sleeping, 1);
		/* a push between our pop and here changed seq: WAIT returns at once */
		if (futex(&w->seq, FUTEX_WAIT, seq) < 0 && errno != EAGAIN && errno != EINTR) {
			atomic_store(&w->sleeping, 0);
			return -errno;
		}
		atomic_store(&w->sleeping, 0);
	}
}

static void fx_destroy(void *st)
{
	free(st);
}

const struct rp_wake_ops rp_wake_futex = {
	.name = "futex_spsc",
	.how = "futex_spsc: lock-free SPSC queue, FUTEX_WAKE only when the receiver sleeps, receiver FUTEX_WAITs",
	.create = fx_create,
	.send = fx_send,
	.recv = fx_recv,
	.destroy = fx_destroy,
};
