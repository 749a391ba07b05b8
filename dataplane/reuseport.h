/* SPDX-License-Identifier: MIT */
/*
 * CPU-local delivery in a SO_REUSEPORT group (services[].local-cpu).
 *
 * Without the acceptor every worker opens its own socket on the service's
 * address (svc.c rp_svc_socket) and the kernel picks one per datagram or
 * connection by flow hash, so a packet that NIC queue q delivered on CPU c
 * usually ends up with a worker on another CPU. A classic BPF program
 * attached with SO_ATTACH_REUSEPORT_CBPF chooses instead: it loads the CPU
 * the packet is processed on (SKF_AD_CPU) and returns the group index of the
 * socket whose worker is pinned to that CPU.
 *
 * Kernel facts this relies on (probed on 6.18 with two sockets on
 * 127.0.0.1, and checked again by the reuseport unit test):
 *  - a socket's index in the group is the order it joined: bind() for UDP,
 *    listen() for TCP (a TCP socket bound first but listening second is
 *    index 1);
 *  - the program attached through any one socket serves the whole group;
 *  - an index >= the group's size makes the kernel use its hash.
 *
 * Workers start one at a time (appliance.c waits for each to report before
 * starting the next) and each opens its services in order, so a service's
 * sockets join in worker order. The module does not assume that: it records,
 * for each join, the CPU the joining thread is pinned to, and attaches the
 * program when the last expected socket has joined.
 */
#ifndef RP_REUSEPORT_H
#define RP_REUSEPORT_H

#include <linux/filter.h>
#include <stddef.h>

#include "config/config.h"

struct rp_svc_inst;

/* Largest group steered: the program is 2 instructions per socket + 3, and
 * the kernel takes at most BPF_MAXINSNS (4096). */
#define RP_REUSEPORT_MAX_SOCKS 1024
#define RP_REUSEPORT_PROG_LEN(n) (2 * (n) + 3)

/* ---- the program (no global state; unit-tested) ------------------------- */

/*
 * The program for a group whose socket i is served on cpus[i]:
 *     A = cpu;  if A == cpus[0] return 0; ... ; return A % n
 * A CPU without a socket of its own goes to socket cpu % n: deterministic,
 * and it spreads CPUs without a worker evenly. Returns the number of
 * instructions written, or -EINVAL (n is 0 or too large, or prog too short).
 */
int rp_reuseport_prog(const int *cpus, unsigned n, struct sock_filter *prog, unsigned max);

/* Why this layout cannot be steered by CPU, in why; 0 if it can: every
 * socket's CPU is known (>= 0: its worker is pinned to exactly one CPU) and
 * no CPU has two sockets (the program could pick only one of them). */
int rp_reuseport_layout_problem(const int *cpus, unsigned n, char *why, size_t len);

/* Attach the program to fd's group. 0 or -errno. */
int rp_reuseport_attach(int fd, const int *cpus, unsigned n);

/* The CPU the calling thread is pinned to; -1 if it may run on several. */
int rp_reuseport_thread_cpu(void);

/* ---- groups of the running appliance ------------------------------------ */

/* Before the workers start: every service without acceptor expects one
 * socket per worker. Until this is called rp_reuseport_join() does nothing
 * (benchmarks and tests that open service sockets on their own). */
int rp_reuseport_begin(const struct rp_config *cfg, unsigned n_workers);
/* From rp_svc_socket(), on the worker thread, after bind (and listen): the
 * socket fd of service si joined its group. When it completes the group the
 * program is attached (or why not is logged). 0, or -errno when local-cpu
 * is `on` and the group cannot be steered (logged). */
int rp_reuseport_join(const struct rp_svc_inst *si, int fd);
/* After begin, for `run --takeover`: the groups hold another appliance's
 * sockets too; detach its program and steer by SO_INCOMING_CPU instead of
 * group indices (see takeover_join in reuseport.c, and takeover.h). */
void rp_reuseport_set_takeover(void);
/* After the appliance stopped (or failed to start): forget the groups. */
void rp_reuseport_end(void);

#endif
