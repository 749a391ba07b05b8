/* SPDX-License-Identifier: MIT */
/*
 * Guarded mappings: a co-tenant with write access to a channel file (or to a
 * sender's region file) can truncate it under our mappings; the next access
 * to a page past the new end raises SIGBUS, which would kill the reader. The
 * design is wl_shm's (libwayland-server, wl_shm_buffer_begin_access): a
 * SIGBUS handler that, when the faulting address lies in a mapping we guard,
 * maps anonymous zero pages over that whole mapping (MAP_FIXED) and flags
 * its handle broken, then returns, so the faulting access reads zeros and
 * completes. The library checks the flag around every operation and
 * returns -EIO (rp_chan_broken says what happened). Any other SIGBUS goes
 * to the handler that was installed before ours, or to the default action.
 *
 * The table is a fixed array the handler reads lock-free: an entry is
 * published (state ACTIVE, release) only once its range and flag are
 * written, and retired (state FREE) before its range is unmapped. A handle
 * is used by one thread at a time and its mappings are touched only through
 * it (or, for in-place reads, by that thread before its next receive), so a
 * fault in a mapping cannot race its own removal.
 *
 * The handler is installed by the first attach, and again by a later attach
 * (or region mapping) that finds another SIGBUS handler in its place (a
 * test framework's, say), each time chaining to the one it replaces; with
 * SA_SIGINFO (the faulting address), SA_ONSTACK (a program that set up an
 * alternate signal stack keeps using it) and SA_RESTART (a SIGBUS sent with
 * kill(2) and passed on does not make unrelated system calls fail with
 * EINTR). It calls only mmap(2), sigaction(2), raise(3) and lock-free
 * atomics, all async-signal-safe in practice (mmap is a plain system call).
 * A program that installs its own SIGBUS handler while channels are
 * attached replaces ours until the next attach: it must call the previous
 * one for addresses it does not own (as we do), or a truncation crashes
 * its readers again.
 */
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "chan/internal.h"

#define GUARD_MAX	1024	/* mappings guarded at a time, per process */

enum { GUARD_FREE, GUARD_BUSY, GUARD_ACTIVE };

struct guard {
	_Atomic uint32_t state;
	uint32_t bit;
	uintptr_t start, end;
	_Atomic uint32_t *flag;
};

static struct guard guards[GUARD_MAX];
static struct sigaction old_action;
static pthread_mutex_t install_lock = PTHREAD_MUTEX_INITIALIZER;

/* Not ours: the previous handler, or its default action. */
static void pass_on(int sig, siginfo_t *si, void *uc)
{
	if (old_action.sa_flags & SA_SIGINFO) {
		if (old_action.sa_sigaction) {
			old_action.sa_sigaction(sig, si, uc);
			return;
		}
	} else if (old_action.sa_handler != SIG_DFL && old_action.sa_handler != SIG_IGN) {
		old_action.sa_handler(sig);
		return;
	}
	/* Default (or ignored, which the kernel does not honour for a fault):
	 * put it back. A fault re-executes the access on return and dies of it
	 * with the usual core; a SIGBUS sent by someone is raised again. */
	sigaction(SIGBUS, &old_action, NULL);
	if (si->si_code <= 0)
		raise(SIGBUS);
}

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	uintptr_t a = (uintptr_t)si->si_addr;

	if (si->si_code > 0) {	/* raised by the kernel for a fault */
		for (unsigned i = 0; i < GUARD_MAX; i++) {
			struct guard *g = &guards[i];

			if (atomic_load_explicit(&g->state, memory_order_acquire) != GUARD_ACTIVE ||
			    a < g->start || a >= g->end)
				continue;
			if (mmap((void *)g->start, g->end - g->start, PROT_READ | PROT_WRITE,
				 MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED)
				break;	/* cannot repair: die as we would have */
			atomic_fetch_or_explicit(g->flag, g->bit, memory_order_relaxed);
			return;
		}
	}
	pass_on(sig, si, uc);
}

static bool ours(const struct sigaction *a)
{
	return (a->sa_flags & SA_SIGINFO) && a->sa_sigaction == on_sigbus;
}

/* Ours the current SIGBUS handler, chaining to the one it replaced? Under
 * the lock, so two first attaches cannot chain ours to ours. */
static bool install(void)
{
	struct sigaction sa, cur;
	bool ok = true;

	pthread_mutex_lock(&install_lock);
	if (sigaction(SIGBUS, NULL, &cur) || !ours(&cur)) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_sigbus;
		sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
		sigemptyset(&sa.sa_mask);
		ok = sigaction(SIGBUS, &sa, &cur) == 0;
		if (ok && !ours(&cur))
			old_action = cur;
	}
	pthread_mutex_unlock(&install_lock);
	return ok;
}

int rp_chan_guard_add(const void *start, size_t len, _Atomic uint32_t *flag, uint32_t bit)
{
	long page = sysconf(_SC_PAGESIZE);

	if (!install())
		return 0;
	for (unsigned i = 0; i < GUARD_MAX; i++) {
		struct guard *g = &guards[i];
		uint32_t free_ = GUARD_FREE;

		if (!atomic_compare_exchange_strong_explicit(&g->state, &free_, GUARD_BUSY,
							     memory_order_acquire, memory_order_relaxed))
			continue;
		g->start = (uintptr_t)start;
		/* Whole pages: the mapping covers them, the replacement too. */
		g->end = ((uintptr_t)start + len + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
		g->flag = flag;
		g->bit = bit;
		/* Release: the handler sees the fields once it sees ACTIVE. */
		atomic_store_explicit(&g->state, GUARD_ACTIVE, memory_order_release);
		return (int)i + 1;
	}
	return 0;
}

void rp_chan_guard_remove(int id)
{
	if (id > 0 && id <= GUARD_MAX)
		atomic_store_explicit(&guards[id - 1].state, GUARD_FREE, memory_order_release);
}
