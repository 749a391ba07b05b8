/* SPDX-License-Identifier: MIT */
/*
 * The UDP echo load generator of `ringplane bench echo`: one thread,
 * pinned by the caller, `peers` connected sockets (each its own source
 * port, so a server sees that many peers). Three shapes of load:
 *   throughput: closed loop, keep `window` requests in flight (spread over
 *               the peers), count replies per second; each request carries
 *               its send time, so the same run gives the round trip under
 *               that load. With `gso` the generator sends its requests in
 *               UDP GSO trains (one sendmsg for up to 64; the server still
 *               receives separate datagrams), so that it can offer more
 *               than one server CPU can answer;
 *   open:       open loop, requests on a fixed schedule at `rate` per
 *               second (round robin over the peers), each stamped with its
 *               INTENDED send time: a reply's round trip is counted from
 *               when the request should have left, so a server (or a
 *               generator) that falls behind is charged for every request
 *               it delays (no coordinated omission). Each also carries
 *               when it actually left: round trips from there too, to tell
 *               a late generator from a late server. All requests found
 *               due together leave at once, one sendmmsg per peer; each
 *               one's lateness is recorded (send_lag), and how many left
 *               more than ECHO_LOAD_LATE_NS late: a rate the generator could
 *               not hold shows there, not as a slow server. Replies missing
 *               50 ms after the end are lost;
 *   latency:    closed-loop ping-pong on one socket, one request in flight.
 *
 * Every request is a sockperf message (14-byte header: sequence, flags
 * CLIENT|PONG_REQUEST, length; big endian, see dataplane/sockperf.h) with
 * the timestamps after the header, so `sockperf server` answers it like
 * ringplane and the epoll servers do: one client for every server.
 * A lost datagram never stalls a closed-loop run: a peer silent for
 * `loss_timeout_ms` gets its window refilled (throughput), a ping-pong
 * request is resent (latency).
 */
#ifndef RP_BENCH_ECHO_LOAD_H
#define RP_BENCH_ECHO_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define ECHO_LOAD_MIN_SIZE 30		/* sockperf header + due and send times */
#define ECHO_LOAD_MAX_PEERS 1024

struct echo_load_cfg {
	const struct sockaddr *server;
	socklen_t server_len;
	unsigned size;			/* payload bytes, >= ECHO_LOAD_MIN_SIZE */
	unsigned peers;			/* client sockets, 1..ECHO_LOAD_MAX_PEERS */
	unsigned window;		/* throughput: requests in flight, >= peers */
	double rate;			/* open: requests per second */
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
	uint64_t sent, replies;
	uint64_t refills;		/* windows refilled after a silence */
	double seconds, pps;
	double load_cpu;		/* the generator's CPU use, 0..1: near 1, it is the limit */
	bool gso;			/* it did send in GSO trains */
	struct echo_latency rtt;	/* round trips (rtt.rtt_ns: caller frees) */
	struct echo_latency rtt_sent;	/* open: from when each left (caller frees) */
	double send_lag_max_ns;		/* open: latest a request left after its time */
	struct echo_latency send_lag;	/* open: how late each request left (caller frees) */
	uint64_t late;			/* open: requests that left > ECHO_LOAD_LATE_NS late */
	long preempted;			/* open: the thread's involuntary context switches */
	bool realtime;			/* open: the generator ran SCHED_FIFO */
};

/* An open-loop request leaving later than this after its scheduled time
 * means the generator, not the server, set its round trip. */
#define ECHO_LOAD_LATE_NS 100000ULL

/* 0, or -errno (socket trouble). */
int echo_load_throughput(const struct echo_load_cfg *cfg, struct echo_throughput *out);
int echo_load_open(const struct echo_load_cfg *cfg, struct echo_throughput *out);
int echo_load_latency(const struct echo_load_cfg *cfg, struct echo_latency *out);

/* Send one request and wait up to timeout_ms for its echo: 0 when the
 * server answers (used to wait for a server to come up). */
int echo_load_probe(const struct sockaddr *server, socklen_t len, int timeout_ms);

#endif
