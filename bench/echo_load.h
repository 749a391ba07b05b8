/* SPDX-License-Identifier: MIT */
/*
 * The UDP echo load generator of `ringplane bench echo`: one thread, one
 * connected socket, pinned by the caller. Two shapes of load:
 *   throughput: keep `window` requests outstanding, count replies per second;
 *               each request carries its send time, so the same run gives
 *               the round trip under that load. With `gso` the generator
 *               sends its requests in UDP GSO trains (one sendmsg for up
 *               to 64; the server still receives separate datagrams), so
 *               that it can offer more than one server CPU can answer;
 *   latency:    closed-loop ping-pong, each request carrying its send time,
 *               one round-trip time per reply.
 * A lost datagram never stalls a run: after `loss_timeout_ms` without a reply
 * the window is refilled (throughput) or the request resent (latency).
 */
#ifndef RP_BENCH_ECHO_LOAD_H
#define RP_BENCH_ECHO_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct echo_load_cfg {
	const struct sockaddr *server;
	socklen_t server_len;
	unsigned size;			/* payload bytes, >= 8 */
	unsigned window;		/* throughput: requests in flight */
	double seconds;			/* measuring time */
	int loss_timeout_ms;
	bool gso;			/* throughput: send requests in UDP GSO trains */
};

struct echo_latency {
	double *rtt_ns;			/* malloc'd; caller frees */
	size_t n;
	uint64_t resent;
};

struct echo_throughput {
	uint64_t replies;
	uint64_t refills;		/* windows refilled after a silence */
	double seconds, pps;
	double load_cpu;		/* the generator's CPU use, 0..1: near 1, it is the limit */
	bool gso;			/* it did send in GSO trains */
	struct echo_latency rtt;	/* round trips under load (rtt.rtt_ns: caller frees) */
};

/* 0, or -errno (socket trouble). */
int echo_load_throughput(const struct echo_load_cfg *cfg, struct echo_throughput *out);
int echo_load_latency(const struct echo_load_cfg *cfg, struct echo_latency *out);

/* Send one datagram and wait up to timeout_ms for its echo: 0 when the
 * server answers (used to wait for a server to come up). */
int echo_load_probe(const struct sockaddr *server, socklen_t len, int timeout_ms);

#endif
