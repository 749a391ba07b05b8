/* SPDX-License-Identifier: MIT */
/*
 * Inside the echo load generator (echo_load.h): the peer sockets, request
 * framing and round-trip recording shared by the closed loop (echo_load.c)
 * and the open loop (echo_load_open.c).
 */
#ifndef RP_BENCH_ECHO_LOAD_INT_H
#define RP_BENCH_ECHO_LOAD_INT_H

#include <sys/socket.h>

#include "bench/echo_load.h"

#define LOAD_BATCH 64
#define TS_OFF 14			/* the due time follows the sockperf header */
#define SENT_OFF 22			/* then the time it actually left */

/* Messages and buffers for one send or receive call (LOAD_BATCH of `size`). */
struct burst {
	struct mmsghdr msgs[LOAD_BATCH];
	struct iovec iov[LOAD_BATCH];
	unsigned char *bufs;
	unsigned size;
};

/* One client socket: its own source port, its share of the window. */
struct peer {
	int fd;
	unsigned window, outstanding;
	unsigned long long last_ns;	/* last reply (or fill) */
};

/* The generator's sockets, in one epoll set. */
struct peers {
	struct peer *p;
	unsigned n;
	int ep;
	unsigned gso_per_send;		/* 0: no GSO; else requests per GSO send */
	struct burst tx, rx;
	uint64_t seq;
	size_t rtt_cap, sent_cap, lag_cap;
};

/* Open n sockets connected to the server, framed requests of cfg->size;
 * with gso, UDP_SEGMENT on each. 0 or -errno (then everything is closed). */
int peers_open(struct peers *ps, const struct echo_load_cfg *cfg, unsigned n, bool gso);
void peers_close(struct peers *ps);
/* Frame request i of ps->tx: due at `due`, leaving at `sent`. */
void peers_frame_one(struct peers *ps, unsigned i, unsigned long long due, unsigned long long sent);
/* Frame the first n requests of ps->tx, due and leaving at `ts`. */
void peers_frame(struct peers *ps, unsigned n, unsigned long long ts);
/* Receive what one socket has (one recvmmsg); the count, recording each
 * reply's round trip from its due time in lat and, when sent_lat is not
 * NULL, from the time it left in sent_lat. <0: -errno (memory). */
int peers_receive(struct peers *ps, struct peer *p, struct echo_latency *lat,
		  struct echo_latency *sent_lat, unsigned long long now);
double load_thread_cpu_ns(void);
/* Append v to lat (growing it, *cap its room); 0 or -ENOMEM. */
int load_lat_push(struct echo_latency *lat, size_t *cap, double v);

/* A run needs one reply at least: on a loaded machine a short (--quick) run
 * may end before the server got the CPU once, so a run without any goes on
 * this long past its end before it counts as silent. */
#define SILENT_GRACE_NS 5000000000ULL

#endif
