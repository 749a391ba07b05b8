/* SPDX-License-Identifier: MIT */
/*
 * Services: a table with one row per enum rp_svc_type (svc.c), the way the
 * kernel's opdef table names each io_uring operation once. A row is a set of
 * handlers; a worker runs one instance of each configured service. Adding a
 * service = one new file with its struct rp_svc_ops + one row in svc.c.
 *
 * Every SQE a service submits carries, in the 56 bits of user_data beside
 * the op tag (udata.h):  [ service index : 8 ][ object : 32 ][ bid : 16 ]
 * "object" is the service's own (a connection's fixed-file slot for TCP, 0
 * for a UDP socket); the worker uses the index to find the instance, and the
 * transmit path (zc.h) sees index+object as its 40-bit tag.
 */
#ifndef RP_SVC_H
#define RP_SVC_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "dataplane/counters.h"
#include "dataplane/udata.h"
#include "dataplane/zc.h"

struct io_uring_cqe;
struct rp_worker;
struct rp_svc_inst;

typedef void (*rp_svc_cqe_fn)(struct rp_worker *w, struct rp_svc_inst *si,
			      const struct io_uring_cqe *cqe);

struct rp_svc_ops {
	const char *name;
	/* On the worker thread, after the ring and pool exist: sockets, state.
	 * 0 or -errno, with a logged message naming the service and address. */
	int (*open)(struct rp_worker *w, struct rp_svc_inst *si);
	/* Arm accept / receive. Also called to re-arm after pool starvation. */
	void (*arm)(struct rp_worker *w, struct rp_svc_inst *si);
	/* CQEs for this instance, by op. NULL: the op is not used. */
	rp_svc_cqe_fn on_accept, on_recv, on_close;
	/* Outgoing connections (tcp-proxy's backends): IORING_OP_SOCKET into
	 * the fixed-file table, CONNECT, and SHUTDOWN of a sending side. */
	rp_svc_cqe_fn on_socket, on_connect, on_shutdown;
	/* Health checks of those backends (RP_OP_PROBE). */
	rp_svc_cqe_fn on_probe;
	/* Completions of its UDP GSO trains (RP_OP_SEND_GSO, dataplane/gso.h). */
	rp_svc_cqe_fn on_gso;
	/* Bundle sends from its own send buffer rings (RP_OP_SEND_BUNDLE). */
	rp_svc_cqe_fn on_bundle;
	/* A send CQE or notification, already accounted by rp_tx_complete(). */
	void (*on_tx)(struct rp_worker *w, struct rp_svc_inst *si, const struct rp_tx_event *ev);
	/* The zerocopy state of the socket a tag names (NULL if gone). */
	struct rp_zc_sock *(*zc_sock)(struct rp_svc_inst *si, uint64_t object);
	/* A connection the acceptor handed over by MSG_RING (RP_MSG_CONN): it
	 * is in this worker's fixed-file table at `slot`. NULL: the service
	 * takes no handoffs. */
	void (*adopt)(struct rp_worker *w, struct rp_svc_inst *si, uint32_t slot);
	/* After the worker handled a batch of CQEs, before it submits: send what
	 * the service gathered from the batch (e.g. replies coalesced per peer).
	 * NULL: the service sends as it goes. */
	void (*flush)(struct rp_worker *w, struct rp_svc_inst *si);
	/* Every worker tick (w->tick_ms apart, w->now_ms is fresh): enforce
	 * timeouts. NULL: nothing of the service is timed. */
	void (*tick)(struct rp_worker *w, struct rp_svc_inst *si);
	/* The longest a tick may be apart for this service's timeouts to keep
	 * their precision (a quarter of its shortest timeout); 0: no need. */
	unsigned (*tick_wanted_ms)(const struct rp_service_cfg *cfg);
	/* Takeover (`run --takeover` started a successor, takeover.h): leave
	 * the service's SO_REUSEPORT group without losing what is queued on
	 * its socket, and go on serving what is open. NULL: nothing to leave. */
	void (*leave)(struct rp_worker *w, struct rp_svc_inst *si);
	/* After leave: true once nothing more can arrive on its socket and
	 * nothing queued there is unread. NULL: at once. */
	bool (*left)(struct rp_worker *w, struct rp_svc_inst *si);
	/* Shutdown, step 1: stop accepting and receiving; let sends finish and
	 * connections close when drained. The worker exits when nothing is
	 * outstanding. */
	void (*stop)(struct rp_worker *w, struct rp_svc_inst *si);
	/* Shutdown, step 2, once shutdown.drain-timeout-ms has passed: reset
	 * what is still open (a peer that never reads holds its sends forever)
	 * and log what was abandoned. Buffers still come back through their
	 * completions and zerocopy notifications. NULL: nothing of the service
	 * can outlive the drain. */
	void (*abort)(struct rp_worker *w, struct rp_svc_inst *si);
	/* Live reload (dataplane/reload.h), on the worker thread between two
	 * completion batches: si->cfg already is the new service config, `old`
	 * the one it replaces (still valid during the call, freed later). Only
	 * what reload.c lets change live differs (backends, balance, timeouts,
	 * limits of new connections); established connections must go on.
	 * NULL: the service reads what it needs from si->cfg as it goes. */
	void (*reload)(struct rp_worker *w, struct rp_svc_inst *si,
		       const struct rp_service_cfg *old);
	/* After the ring went quiet: free what open() made. */
	void (*destroy)(struct rp_worker *w, struct rp_svc_inst *si);
};

/* One service running on one worker. */
struct rp_svc_inst {
	const struct rp_service_cfg *cfg;
	const struct rp_svc_ops *ops;
	unsigned idx;			/* in cfg->services[] */
	struct rp_counters *ctr;	/* this service's block on this worker */
	bool starved;			/* its receive stopped on -ENOBUFS */
	bool stopping;
	void *priv;			/* the service's own state */
};

/* The table. */
const struct rp_svc_ops *rp_svc_ops_for(enum rp_svc_type type);
extern const struct rp_svc_ops rp_svc_udp_echo;	/* svc_udp_echo.c */
extern const struct rp_svc_ops rp_svc_tcp_echo;	/* svc_tcp_echo.c */
extern const struct rp_svc_ops rp_svc_tcp_proxy;	/* svc_tcp_proxy.c */
extern const struct rp_svc_ops rp_svc_udp_relay;	/* svc_udp_relay.c */

/* ---- user_data layout ---------------------------------------------------- */

static inline uint64_t rp_svc_tag(unsigned svc_idx, uint32_t object)
{
	return ((uint64_t)(svc_idx & 0xff) << 32) | object;
}

static inline unsigned rp_svc_tag_idx(uint64_t tag) { return (unsigned)(tag >> 32) & 0xff; }
static inline uint32_t rp_svc_tag_obj(uint64_t tag) { return (uint32_t)tag; }

static inline uint64_t rp_svc_ud(enum rp_op op, unsigned svc_idx, uint32_t object)
{
	return rp_ud(op, rp_svc_tag(svc_idx, object) << 16);
}

/* ---- counter blocks ------------------------------------------------------ */

/*
 * A worker's counter blocks: [0, n_services) one per service, [n_services]
 * the worker's own, then RP_BACKEND_SLOTS per tcp-proxy or udp-relay service, service
 * after service: backend slot s (rp_backend_cfg.slot) of a service is its
 * block s, exported as service "<service>/<address>" once a backend has
 * it. The layout depends only on what a reload cannot change (the
 * services and their types), so counters of a kept backend continue.
 */
unsigned rp_svc_backend_blocks(const struct rp_config *cfg);
/* Index of backend slot `slot` of service svc in a worker's blocks. */
unsigned rp_svc_backend_block(const struct rp_config *cfg, unsigned svc, unsigned slot);
/* A backend's identity across live reloads is its slot (reload.c gives a
 * kept address its slot again). map[slot] = the backend's index in cfg's
 * list (live ones first, then the removed ones a reload keeps), -1: none.
 * Old backend b's new index is then map[old->backends[b].slot]. */
void rp_svc_backend_slot_map(const struct rp_service_cfg *cfg, int map[RP_BACKEND_SLOTS]);
/* Services of this type forward to backends with counter blocks of their own. */
static inline bool rp_svc_has_backends(enum rp_svc_type t)
{
	return t == RP_SVC_TCP_PROXY || t == RP_SVC_UDP_RELAY;
}

/* ---- helpers shared by services ----------------------------------------- */

/* A socket of the service's type bound to its listen address with
 * SO_REUSEPORT (one per worker). -errno, logged with service and address. */
int rp_svc_socket(const struct rp_svc_inst *si);

#endif
