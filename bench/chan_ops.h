/* SPDX-License-Identifier: MIT */
/*
 * Transports for `bench chan`: one sender, nrx receivers, messages of a
 * fixed size. send() delivers one message to every receiver (fan-out) or,
 * for the multicast variant, to one of them; recv() blocks until receiver
 * rx has a message, or returns -EAGAIN after about 50 ms without one (so a
 * multicast receiver can see that all messages were taken). Each receiver
 * index is used by one thread only.
 */
#ifndef RP_BENCH_CHAN_OPS_H
#define RP_BENCH_CHAN_OPS_H

#include <stddef.h>

struct chan_xp;

struct chan_xp_ops {
	const char *name;
	const char *how;	/* one line for the notes */
	struct chan_xp *(*create)(unsigned nrx, size_t size, const char **why);
	int (*send)(struct chan_xp *x, const void *buf, size_t len);
	int (*recv)(struct chan_xp *x, unsigned rx, void *buf, size_t len);
	void (*destroy)(struct chan_xp *x);
};

extern const struct chan_xp_ops chan_xp_pipe, chan_xp_unix, chan_xp_shm_eventfd,
	chan_xp_ringplane_unicast, chan_xp_ringplane_broadcast, chan_xp_ringplane_broadcast_ref,
	chan_xp_ringplane_multicast;

/* bench/chan_iox.c, built when iceoryx's C binding is installed
 * (RP_HAVE_ICEORYX): start runs this benchmark's own iox-roudi and
 * registers the process (0, or -1 with why); RouDi is stopped once the
 * process has exited (it would kill a process still registered). */
#ifdef RP_HAVE_ICEORYX
extern const struct chan_xp_ops chan_xp_iceoryx;
int chan_iox_start(const char **why);
/* Where RouDi's output goes. */
const char *chan_iox_log(void);
#endif

#endif
