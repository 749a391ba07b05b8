/* SPDX-License-Identifier: MIT */
/*
 * Cross-thread message transports for `bench msg-ring`: one sender thread
 * posts 48-bit timestamps, one receiver thread blocks until they arrive. The
 * MSG_RING transports live in bench/msg_ring.c; the classic ones (a queue
 * plus a wakeup) are here, one file per wakeup mechanism, so every variant
 * runs in the same harness loop.
 *
 * Call order: create (any thread), rx_init on the receiver thread, tx_init
 * on the sender thread, send/recv, then fini on each thread and destroy.
 * The init and fini hooks are optional (NULL: nothing per thread).
 */
#ifndef RP_BENCH_WAKE_H
#define RP_BENCH_WAKE_H

#include <stdint.h>

/* A stamp of 0 tells the receiver to stop; real stamps are never 0. */
#define RP_WAKE_STOP 0

struct rp_wake_ops {
	const char *name;
	const char *how;	/* one line for the notes: queue + wakeup used */
	const void *arg;	/* handed to create: one implementation, several variants */
	void *(*create)(const void *arg);
	int (*rx_init)(void *st);
	int (*tx_init)(void *st);
	/* Sender: post one stamp. 0 or -errno. */
	int (*send)(void *st, uint64_t stamp);
	/* Receiver: block until at least one stamp; fill up to max. n or -errno. */
	int (*recv)(void *st, uint64_t *stamps, unsigned max);
	/* Optional: sender's untimed work between two sends (reaping). */
	void (*between)(void *st);
	/* Optional: end the receiver from a thread without tx_init (the sender
	 * failed to start). NULL: send(RP_WAKE_STOP) works from any thread. */
	int (*stop_any)(void *st);
	void (*tx_fini)(void *st);
	void (*rx_fini)(void *st);
	void (*destroy)(void *st);
};

extern const struct rp_wake_ops rp_wake_eventfd;	/* wake_eventfd.c */
extern const struct rp_wake_ops rp_wake_pipe;		/* wake_pipe.c */
extern const struct rp_wake_ops rp_wake_futex;		/* wake_futex.c */

#endif
