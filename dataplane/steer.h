/* SPDX-License-Identifier: MIT */
/*
 * Steering: which worker should own a new connection.
 *
 *   napi          the worker serving the NIC queue the connection arrived
 *                 on (SO_INCOMING_NAPI_ID of the accepted socket -> queue ->
 *                 worker), so its packets, socket and ring stay on one CPU.
 *                 An id of 0 (no NAPI: loopback, tap, listener sockets) or
 *                 one no queue was mapped to falls back to hash, counted.
 *   round-robin   next worker in turn.
 *   least-loaded  the worker with the fewest live connections (the caller
 *                 supplies the loads); ties go to the lowest id.
 *   hash          a hash of the 4-tuple: the same flow always lands on the
 *                 same worker.
 *
 * Pure logic: no ring, no socket. One struct rp_steer per acceptor, used by
 * its thread only.
 */
#ifndef RP_STEER_H
#define RP_STEER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "config/config.h"	/* enum rp_steer_policy: a config value */

#define RP_STEER_NAPI_MAX 256	/* NAPI ids (queues) a steer can map */

/* What the acceptor knows about a new connection. */
struct rp_steer_conn {
	const struct sockaddr *local, *peer;	/* AF_INET or AF_INET6 */
	unsigned napi_id;			/* 0: unknown / none */
};

struct rp_steer_napi {
	unsigned napi_id;
	unsigned queue;
};

struct rp_steer_stats {
	uint64_t picks[RP_STEER__COUNT];	/* decisions made by each policy */
	uint64_t napi_fallbacks;		/* napi policy fell back to hash */
};

struct rp_steer {
	enum rp_steer_policy policy;
	unsigned n_workers;
	unsigned rr_next;
	struct rp_steer_napi napi[RP_STEER_NAPI_MAX];
	unsigned n_napi;
	bool fell_back;			/* the last pick was napi's hash fallback */
	struct rp_steer_stats stats;
};

/* The worker that serves rx queue `queue` (napi policy; also how the
 * appliance tells a worker which queues are its own). */
static inline unsigned rp_steer_queue_worker(unsigned queue, unsigned n_workers)
{
	return queue % n_workers;
}

/* "napi", "round-robin", "least-loaded", "hash". */
const char *rp_steer_policy_name(enum rp_steer_policy p);
/* 0 and *out, or -EINVAL for a name not in the table. */
int rp_steer_policy_parse(const char *name, enum rp_steer_policy *out);

/* n_workers >= 1; -EINVAL otherwise. */
int rp_steer_init(struct rp_steer *s, enum rp_steer_policy policy, unsigned n_workers);
/* napi policy: connections with this NAPI id belong to rx queue `queue`,
 * served by worker queue % n_workers. 0, -EINVAL (id 0), -ENOSPC (full). */
int rp_steer_map_napi(struct rp_steer *s, unsigned napi_id, unsigned queue);

/*
 * The worker for a connection. loads[n_workers] (live connections per
 * worker) is read by least-loaded only; others may pass NULL.
 */
unsigned rp_steer_pick(struct rp_steer *s, const struct rp_steer_conn *c,
		       const unsigned *loads);

/* The 4-tuple hash used by the hash policy (exposed for tests and logs). */
uint64_t rp_steer_flow_hash(const struct sockaddr *local, const struct sockaddr *peer);

#endif
