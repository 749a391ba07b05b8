/* SPDX-License-Identifier: MIT */
/*
 * Inside `ringplane bench echo`: the run (echo.c: knobs, cases, ratios,
 * plots) and its servers (echo_servers.c: the forked children).
 */
#ifndef RP_BENCH_ECHO_INT_H
#define RP_BENCH_ECHO_INT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <sys/types.h>

struct rp_bench_ctx;
struct echo_server;
struct rp_epoll_echo_stats;

/* One server process of the run. */
struct echo_running {
	const struct echo_server *def;
	const char *variant;
	struct sockaddr_in addr;	/* 127.0.0.1:its port */
	pid_t pid;			/* 0: not started */
	unsigned cpu;
	unsigned batch;			/* recvmmsg batch = buffers (epoll); buffers.count (ringplane) */
	struct rp_epoll_echo_stats *stats; /* epoll servers: shared with the child; else NULL */
};

#define ECHO_MAX_SERVERS 8

/* The server variants, in table order: how many, and the name of each. */
unsigned echo_server_count(void);
const char *echo_server_name(unsigned i);
/* How the variant runs, for the JSON parameters. */
const char *echo_server_about(unsigned i);

/* Start server i (its variant) pinned to cpu; 0, or -1 after rp_bench_fail(). */
int echo_server_start(struct rp_bench_ctx *ctx, unsigned i, unsigned cpu, unsigned batch,
		      struct echo_running *r);
void echo_server_stop(struct rp_bench_ctx *ctx, struct echo_running *r);


#endif
