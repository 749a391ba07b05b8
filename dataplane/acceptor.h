/* SPDX-License-Identifier: MIT */
/*
 * The acceptor: one small ring on its own thread that accepts TCP
 * connections and hands each to the worker that should own it.
 *
 *   multishot accept, direct into the acceptor's fixed-file table
 *     -> (napi, hash) SOCKET_URING_OP_GETSOCKOPT on the direct descriptor:
 *        SO_INCOMING_NAPI_ID, SO_PEERNAME (no plain fd is ever made)
 *     -> rp_steer_pick() chooses the worker
 *     -> MSG_RING fd passing (rp_msg_send_conn): the kernel installs the
 *        socket in the worker's table (IORING_FILE_INDEX_ALLOC) and posts a
 *        CONN message whose res is the new slot; msg.c closes the
 *        acceptor's slot once that completed.
 *
 * Failures: acceptor table full (accept -ENFILE) or worker table full
 * (handoff -ENFILE): the connection is closed and counted (err_no_slot);
 * the worker's CQ momentarily unable to take a message: retried by msg.c
 * in order; a worker ring gone: the connection is closed, counted.
 *
 * Shutdown: stop the acceptor first (it finishes the handoffs it started),
 * then the workers, so no CONN is ever sent to a worker that has left.
 * The worker side needs one handler: RP_MSG_CONN with arg = its slot and
 * a payload that says which service the connection is for and how it was
 * steered (rp_conn_payload below).
 */
#ifndef RP_ACCEPTOR_H
#define RP_ACCEPTOR_H

#include <stdint.h>

#include "config/config.h"
#include "dataplane/counters.h"
#include "dataplane/steer.h"

#define RP_ACCEPTOR_MAX_TARGETS 256
#define RP_ACCEPTOR_NAPI_SEEN   16	/* distinct NAPI ids counted */

/*
 * A CONN message's 48-bit payload: [ fallback : 1 ][ napi id : 32 ][ svc : 8 ].
 * napi id: SO_INCOMING_NAPI_ID of the socket (napi policy; else 0);
 * fallback: the napi policy knew no queue for it and hashed instead. The
 * worker counts both (napi_local, napi_fallbacks), so a test can see where
 * each connection arrived against where it is served.
 */
struct rp_conn_info {
	unsigned svc;
	unsigned napi_id;
	bool napi_fallback;
};

#define RP_CONN_NAPI_SHIFT 8
#define RP_CONN_FALLBACK   (1ULL << 40)

static inline uint64_t rp_conn_payload(const struct rp_conn_info *ci)
{
	return (ci->svc & 0xffULL) | (uint64_t)ci->napi_id << RP_CONN_NAPI_SHIFT |
	       (ci->napi_fallback ? RP_CONN_FALLBACK : 0);
}

static inline struct rp_conn_info rp_conn_info_of(uint64_t payload)
{
	return (struct rp_conn_info){
		.svc = (unsigned)(payload & 0xff),
		.napi_id = (unsigned)(payload >> RP_CONN_NAPI_SHIFT),
		.napi_fallback = payload & RP_CONN_FALLBACK,
	};
}

struct rp_acceptor_params {
	int listen_fd;			/* listening TCP socket; stays the caller's */
	enum rp_steer_policy policy;
	unsigned n_targets;
	const int *target_ring_fds;	/* worker i's ring fd, n_targets of them */
	unsigned svc;			/* carried by every CONN (8 bits) */
	unsigned files;			/* acceptor's fixed-file table; 0: 1024 */
	int cpu;			/* pin the thread; -1: don't */
	const struct rp_steer_napi *napi;	/* napi id -> rx queue (napi policy) */
	unsigned n_napi;
	/* least-loaded: live connections of worker i (any thread may ask), and
	 * how many handoffs it has adopted so far. The acceptor adds the
	 * handoffs it sent that the worker has not adopted yet: a burst of
	 * accepts would otherwise all see the same loads and go to one worker.
	 * adopted may be NULL (in-flight handoffs then do not count). */
	unsigned (*load)(void *arg, unsigned worker);
	uint64_t (*adopted)(void *arg, unsigned worker);
	void *load_arg;
};

/* Written by the acceptor thread; read them after rp_acceptor_stop(). */
struct rp_acceptor_stats {
	uint64_t accepted;
	uint64_t handed_off;		/* the worker has it (MSG_RING completed) */
	uint64_t per_target[RP_ACCEPTOR_MAX_TARGETS];	/* handoffs started per worker */
	uint64_t err_accept;
	uint64_t err_no_slot;		/* acceptor's or worker's table full */
	uint64_t err_handoff;		/* other handoff failures (worker gone, ...) */
	uint64_t napi_fallbacks;	/* napi policy: no/unknown id, hashed */
	uint64_t retries;		/* MSG_RING retried after EAGAIN/ENOMEM */
	/* napi policy: connections per SO_INCOMING_NAPI_ID seen (the first
	 * RP_ACCEPTOR_NAPI_SEEN distinct ids; 0 = none), where they arrive. */
	struct {
		unsigned napi_id;
		uint64_t conns;
	} napi_seen[RP_ACCEPTOR_NAPI_SEEN];
};

struct rp_acceptor;

/* Start the thread; returns when its ring is armed (0) or failed (-errno,
 * logged). */
int rp_acceptor_start(struct rp_acceptor **out, const struct rp_acceptor_params *p);
/*
 * For the appliance: the acceptor of one configured service (acceptor:
 * true). It listens on svc->listen itself (closed by rp_acceptor_free),
 * steers by svc->steering, and every CONN carries svc_idx. The worker's
 * RP_MSG_CONN handler adopts m->arg as a connection of that service.
 * p supplies the rest: target_ring_fds, n_targets, napi map (the queues
 * nicmgr found: napi id -> queue), load (may be NULL; least-loaded, e.g.
 * the service's live connections on that worker). 0 or -errno (logged
 * with the service's name and address).
 */
int rp_acceptor_start_service(struct rp_acceptor **out, const struct rp_service_cfg *svc,
			      unsigned svc_idx, const struct rp_acceptor_params *p);

/* Stop accepting, finish handoffs in progress, join. 0 or -errno. */
int rp_acceptor_stop(struct rp_acceptor *a);
void rp_acceptor_stats(const struct rp_acceptor *a, struct rp_acceptor_stats *out);
/* After stop. */
void rp_acceptor_free(struct rp_acceptor *a);

#endif
