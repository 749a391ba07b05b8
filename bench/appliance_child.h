/* SPDX-License-Identifier: MIT */
/*
 * A benchmark's server child running the appliance in-process: the config
 * comes as generated YAML, the child runs until SIGTERM. Shared by the
 * benchmarks that fork ringplane as their server (echo, handoff).
 */
#ifndef RP_BENCH_APPLIANCE_CHILD_H
#define RP_BENCH_APPLIANCE_CHILD_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct rp_bench_ctx;

/* One forked server on 127.0.0.1, pinned to one CPU. */
struct rp_bench_child {
	const char *what;		/* variant name, for messages */
	int sock_type;			/* SOCK_DGRAM or SOCK_STREAM: the free port's kind */
	unsigned cpu;
	struct sockaddr_in *addr;	/* filled before the fork: 127.0.0.1:free port */
	int (*serve)(void *arg);	/* in the child: its exit code */
	bool (*ready)(void *arg);	/* in the parent: true once it answers */
	void *arg;
};

/* A free port on 127.0.0.1 (the kernel's pick, released for a server to
 * bind) in *a; 0 or -errno. */
int rp_bench_free_port(int sock_type, struct sockaddr_in *a);

/*
 * Pick the port, fork, run serve() in the child, and wait (up to 10 s,
 * paced probes) until ready(). The child's pid, or -1 after rp_bench_fail().
 */
pid_t rp_bench_child_start(struct rp_bench_ctx *ctx, const struct rp_bench_child *c);

/* In the child: load `yaml` (named `name` in errors), run the appliance;
 * the exit code for _exit(): 0 after a clean stop, 1 on any failure. */
int rp_bench_appliance_serve(const char *name, const char *yaml, size_t len);

/* In the parent: SIGTERM, then wait; a child that does not stop in 10 s is
 * killed. Either, or an unclean exit, becomes a note naming `what`. */
void rp_bench_child_stop(struct rp_bench_ctx *ctx, const char *what, pid_t pid);

/* In the child: the epoll + recvmmsg/sendmmsg echo server (bench/baselines)
 * on addr until SIGTERM; the exit code (what names the benchmark in errors). */
int rp_bench_epoll_echo_child(const char *what, const struct sockaddr_in *addr);

/* CPU time (user + system, all threads) process pid has used, in ns; 0 if
 * it cannot be read. A server's cost per packet holds up better than its
 * rate on a busy machine. */
double rp_bench_process_cpu_ns(pid_t pid);

#endif
