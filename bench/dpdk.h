/* SPDX-License-Identifier: MIT */
/*
 * `ringplane bench dpdk`: ringplane's UDP reflector against DPDK testpmd on
 * the same veth link, with the same generator and the same pinning. What
 * its files share:
 *
 *   dpdk.c       the run: knobs, the case grid, ratios, notes, plots
 *   dpdk_link.c  the veth pair between two private namespaces, its MTU,
 *                offloads and NAPI threads (pinned like a NIC's IRQs)
 *   dpdk_gen.c   the generator: raw frames on an AF_PACKET socket, every
 *                one carrying a marker (run, phase, sequence, send time),
 *                replies counted at its receive side by that marker
 *   dpdk_refl.c  the reflectors: ringplane udp-echo, testpmd macswap on
 *                net_af_packet / net_af_xdp, the kernel recvmmsg/sendmmsg
 *                loop; started one at a time in the peer namespace
 *   dpdk_tx.c    TX only: ringplane's zerocopy sender vs testpmd flowgen
 */
#ifndef RP_BENCH_DPDK_H
#define RP_BENCH_DPDK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bench/netns.h"

struct rp_bench_ctx;

#define DPDK_TESTPMD "dpdk-testpmd"
#define DPDK_PORT 7007			/* the L4 reflectors' UDP port */
#define DPDK_SPORT_BASE 20000		/* flow i sends from port base + i */
#define DPDK_MAX_FLOWS 4096

/* ---- the link (dpdk_link.c) ----------------------------------------------- */

/* The link MTU a case of `size`-byte UDP payloads runs at: 1500 when the
 * datagram fits, else 3000 (still under veth's XDP limit), else 9000. */
unsigned dpdk_mtu_for(unsigned size);

struct dpdk_link {
	struct bench_netns ns;		/* self: generator; peer: reflector */
	char gen_if[16], refl_if[16];
	unsigned gen_cpu, refl_cpu;
	unsigned mtu;
	uint8_t gen_mac[6], refl_mac[6];
	uint32_t gen_ip, refl_ip;	/* network order; only in frames and
					 * on the reflector for L4 variants */
	int gen_ifindex;
};

/* Create the namespaces and the pair (MTU 1500, IPv6 off, GRO on, threaded
 * NAPI pinned to each side's CPU). 0, or -1 with err. */
int dpdk_link_up(struct dpdk_link *l, unsigned gen_cpu, unsigned refl_cpu,
		 char *err, size_t errlen);
void dpdk_link_down(struct dpdk_link *l);
int dpdk_link_mtu(struct dpdk_link *l, unsigned mtu, char *err, size_t errlen);
/* Pin the NAPI threads of both devices again (XDP attach may make new
 * ones). 0, or -1 with err. */
int dpdk_link_pin_napi(struct dpdk_link *l, char *err, size_t errlen);
/* UDP datagrams the reflector namespace dropped for a full socket receive
 * buffer so far (UdpRcvbufErrors). */
double dpdk_link_refl_rcvbuf_errors(const struct dpdk_link *l);
/* The reflector side's NAPI thread(s): their CPU time in ns. */
double dpdk_link_refl_napi_ns(const struct dpdk_link *l);
/* L4 reflectors need an address (and a neighbour for the generator); DPDK
 * ones must not have one (the kernel would answer with ICMP). */
int dpdk_link_refl_addr(struct dpdk_link *l, bool on, char *err, size_t errlen);
/* TX-only through a UDP socket: the generator side gets an address. */
int dpdk_link_gen_addr(struct dpdk_link *l, bool on, char *err, size_t errlen);
/*
 * Both devices up, not promiscuous, NAPI threads pinned: as before a
 * testpmd ran. Its PMDs take a device down when they stop, which drops
 * its neighbour entries (even permanent ones) and may make new NAPI
 * threads, so every repetition starts from here. 0, or -1 with err.
 */
int dpdk_link_reset(struct dpdk_link *l, char *err, size_t errlen);
/* Detach any XDP program from the reflector device (after af_xdp). */
void dpdk_link_xdp_off(struct dpdk_link *l);

/*
 * Fork a child in namespace `which`, pinned to `cpu`, with stdin from
 * `in_fd` and stdout + stderr to `out_fd` (-1: leave), that execs argv.
 * The pid, or -1 with err.
 */
pid_t dpdk_spawn(const struct dpdk_link *l, enum bench_ns_which which, unsigned cpu,
		 int in_fd, int out_fd, char *const argv[], char *err, size_t errlen);
/* Wait for a child; its exit status (or 128 + signal), -1 on waitpid error. */
int dpdk_wait(pid_t pid);
/* CPU time (ns) of every thread of a process, from /proc/PID/task/N/schedstat. */
double dpdk_proc_cpu_ns(pid_t pid);

/* ---- the generator (dpdk_gen.c) ------------------------------------------- */

struct dpdk_gen {
	const struct dpdk_link *link;
	unsigned size;			/* UDP payload bytes, >= DPDK_MARK_LEN */
	unsigned flows;			/* source ports */
	unsigned batch;
	int tx_fd, rx_fd;
	uint32_t run_id, phase;
	uint64_t seq;
	uint8_t *frames;		/* batch frames of frame_len bytes */
	unsigned frame_len;
	void *rx;			/* receive buffers (dpdk_gen.c) */
};

struct dpdk_gen_stats {
	uint64_t sent, received;
	uint64_t send_errors;		/* frames the device refused */
	double seconds;			/* the sending window */
	double gen_cpu;			/* generator thread's CPU use, 0..1 */
	double *rtt_ns;			/* paced runs: malloc'd, caller frees */
	size_t n_rtt;
};

int dpdk_gen_open(struct dpdk_gen *g, const struct dpdk_link *l, unsigned size,
		  unsigned flows, char *err, size_t errlen);
void dpdk_gen_close(struct dpdk_gen *g);
/* Send as fast as possible for `seconds`, count replies; 0 or -errno.
 * Then dpdk_gen_finish() counts the late ones. */
int dpdk_gen_flood(struct dpdk_gen *g, double seconds, struct dpdk_gen_stats *st);
/* Send `rate` frames/s on a fixed schedule, one round trip per reply
 * (dpdk_gen_finish() included). */
int dpdk_gen_paced(struct dpdk_gen *g, double rate, double seconds, struct dpdk_gen_stats *st);
/* Count replies still arriving for 100 ms, then start a new phase (replies
 * to earlier frames are ignored from then on). 0 or -errno. */
int dpdk_gen_finish(struct dpdk_gen *g, struct dpdk_gen_stats *st);
/* Until a reflection comes back (true) or timeout_ms passes. */
bool dpdk_gen_probe(struct dpdk_gen *g, int timeout_ms);

/* ---- the reflectors (dpdk_refl.c) ------------------------------------------ */

enum dpdk_refl_kind {
	DPDK_REFL_RINGPLANE,		/* udp-echo, L4 */
	DPDK_REFL_AF_PACKET,		/* testpmd macswap, L2 */
	DPDK_REFL_AF_XDP,		/* testpmd macswap, L2 */
	DPDK_REFL_KERNEL,		/* recvmmsg/sendmmsg loop, L4 */
	DPDK_REFL__COUNT,
};

struct dpdk_refl {
	enum dpdk_refl_kind kind;
	pid_t pid;
	int stdin_fd;			/* testpmd: closing it stops the run */
	char log[64];			/* testpmd's output, for errors */
	unsigned size;
};

const char *dpdk_refl_name(enum dpdk_refl_kind k);
/* Why this reflector cannot carry `size`-byte payloads here, or NULL. */
const char *dpdk_refl_unsupported(enum dpdk_refl_kind k, unsigned size);
/* Start it on l->refl_cpu for `size`-byte payloads; 0 or -1 with err. */
int dpdk_refl_start(struct dpdk_refl *r, struct dpdk_link *l, enum dpdk_refl_kind k,
		    unsigned size, char *err, size_t errlen);
/* L4 reflectors: set the receive buffer of their UDP sockets to `bytes`
 * (net.core.rmem_default's job); how many sockets, or -1. */
int dpdk_refl_rcvbuf(const struct dpdk_refl *r, int bytes);
/* Its CPU time so far, ns (process threads + the reflector's NAPI thread). */
double dpdk_refl_cpu_ns(const struct dpdk_refl *r, const struct dpdk_link *l);
/* Why it did not answer: testpmd's last output lines. */
void dpdk_refl_why(const struct dpdk_refl *r, char *out, size_t len);
/* Stop it; 0, or -1 with err (did not stop cleanly). */
int dpdk_refl_stop(struct dpdk_refl *r, struct dpdk_link *l, char *err, size_t errlen);

/* testpmd's argv for a vdev on `ifname` (shared by reflector and flowgen);
 * strings in `buf`. The caller appends forwarding options after "--". */
struct dpdk_argv {
	char *v[40];
	unsigned n;
	char buf[1024];
	size_t used;
};
void dpdk_testpmd_argv(struct dpdk_argv *a, bool af_xdp, const char *ifname,
		       unsigned cpu, unsigned mtu, const char *tag);
/* Remove the (empty) runtime directory of a testpmd run with this tag. */
void dpdk_testpmd_cleanup(const char *tag);
void dpdk_argv_add(struct dpdk_argv *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- TX only (dpdk_tx.c) --------------------------------------------------- */

/* Run the TX-only cases at these sizes; 0 or -1. */
int dpdk_tx_run(struct rp_bench_ctx *ctx, struct dpdk_link *l, const unsigned *sizes,
		unsigned n_sizes, double seconds);

#endif
