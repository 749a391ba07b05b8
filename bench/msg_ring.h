/* SPDX-License-Identifier: MIT */
/*
 * Internal to `ringplane bench msg-ring` (bench/msg_ring*.c):
 *   msg_ring_ops.c  the MSG_RING transports (one rp_wake_ops per variant)
 *   msg_ring_env.c  the machine around them: the idle condition
 *                   (/dev/cpu_dma_latency) and the receiver CPU's wake-up
 *                   counters (IPIs received, halts entered)
 *   msg_ring.c      the run: threads, repetitions, goals, plots
 */
#ifndef RP_BENCH_MSG_RING_H
#define RP_BENCH_MSG_RING_H

#include <stdbool.h>
#include <stddef.h>

#include "bench/baselines/wake.h"

/* ---- transports (msg_ring_ops.c) --------------------------------------- */

/* The reference variant the goals are judged on. */
extern const struct rp_wake_ops rp_mr_raw;
/* Every MSG_RING variant, rp_mr_raw first. */
extern const struct rp_wake_ops *const rp_mr_variants[];
extern const unsigned rp_mr_n_variants;

/*
 * Can the sender name the target ring through its fixed file table
 * (IOSQE_FIXED_FILE)? Tries to register a ring fd; writes what happened
 * into buf (one sentence for the notes). true when it can.
 */
bool rp_mr_fixed_target_probe(char *buf, size_t len);

/* ---- environment (msg_ring_env.c) -------------------------------------- */

/* Wake-up counters of one CPU; a field is -1 when this machine lacks it. */
struct rp_mr_cpu_count {
	long long ipis;		/* function-call + reschedule interrupts (/proc/interrupts) */
	long long halts;	/* entries into cpuidle states other than POLL */
};
void rp_mr_cpu_count(unsigned cpu, struct rp_mr_cpu_count *out);

/*
 * Keep every CPU out of idle states with an exit latency (what cyclictest
 * does): write 0 to /dev/cpu_dma_latency and keep the fd open. Returns the
 * fd, or -errno (not root, no such device). Closing it restores.
 */
int rp_mr_no_idle_hold(void);
void rp_mr_no_idle_release(int fd);

#endif
