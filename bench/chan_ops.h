/* SPDX-License-Identifier: MIT */
/*
 * Transports for `bench chan`: one sender, nrx receivers, messages of a
 * fixed size. send() delivers one message to every receiver (fan-out) or,
 * for the multicast variant, to one of them; recv() blocks until receiver
 * rx has a message and does w with it (below), or returns -EAGAIN after
 * about 50 ms without one (so a multicast receiver can see that all
 * messages were taken). Each receiver index is used by one thread only.
 */
#ifndef RP_BENCH_CHAN_OPS_H
#define RP_BENCH_CHAN_OPS_H

#include <stddef.h>
#include <stdint.h>

struct chan_xp;

/*
 * What a receiver does with each message (fan-out: the rx_work knob; p2p and
 * wake copy, they need the bytes back). Every mechanism gets the same work,
 * done where the message lies:
 *   copy  into the receiver's own buffer (read() for pipe and unix does it)
 *   none  nothing beyond what the mechanism forces: pipe and unix read()
 *         into a buffer, ringplane unicast and multicast receive into one
 *         (rp_chan_recv); shared memory read in place is not touched
 *   sum   every byte added up, in place (shared memory) or in the buffer
 *         read() filled
 */
enum chan_rx_work { CHAN_RX_COPY, CHAN_RX_NONE, CHAN_RX_SUM };

/* Do w with msg (len bytes): buf is the receiver's buffer (copy's target;
 * msg itself for mechanisms that copied already); sums go to *acc. */
void chan_rx_use(enum chan_rx_work w, const void *msg, void *buf, size_t len, uint64_t *acc);

struct chan_xp_ops {
	const char *name;
	const char *how;	/* one line for the notes */
	struct chan_xp *(*create)(unsigned nrx, size_t size, const char **why);
	int (*send)(struct chan_xp *x, const void *buf, size_t len);
	int (*recv)(struct chan_xp *x, unsigned rx, void *buf, size_t len, enum chan_rx_work w,
		    uint64_t *acc);
	void (*destroy)(struct chan_xp *x);
};

extern const struct chan_xp_ops chan_xp_pipe, chan_xp_unix, chan_xp_shm_eventfd,
	chan_xp_ringplane_unicast, chan_xp_ringplane_broadcast, chan_xp_ringplane_broadcast_ref,
	chan_xp_ringplane_multicast;

/*
 * Receive coalescing (the rx_batch knob): the _batch variants' receivers
 * ask to be woken only once `batch` messages wait, or after delay_us
 * asleep. ringplane: rp_chan_set_rx_batch; shm_eventfd: the same rule in
 * its own ring (the sender writes the eventfd only once a sleeper's batch
 * is there or its ring is full; the reader's poll times out at delay_us).
 * Pipes and sockets have no such mechanism. Set before the run's creates.
 */
extern const struct chan_xp_ops chan_xp_shm_eventfd_batch, chan_xp_ringplane_broadcast_batch;
extern const struct chan_xp_ops chan_xp_ringplane_multicast_batch;
void chan_xp_set_rx_batch(unsigned batch, unsigned delay_us);

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
