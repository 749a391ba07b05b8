/* SPDX-License-Identifier: MIT */
/*
 * A worker: one thread, pinned to one CPU, owning one io_uring (created on
 * that thread: IORING_SETUP_SINGLE_ISSUER | DEFER_TASKRUN | SUBMIT_ALL |
 * CQSIZE), one buffer pool, a sparse fixed-file table, and one instance of
 * each configured service. Workers share nothing mutable; other threads talk
 * to a worker only by MSG_RING (dataplane/msg.h) and read its counters.
 *
 * The event loop: io_uring_submit_and_wait(1), then every CQE is dispatched
 * on rp_ud_op(user_data) through one table indexed by enum rp_op (worker.c).
 *
 * Every SQE taken through rp_worker_sqe() adds one to `pending`; every CQE
 * without IORING_CQE_F_MORE (except RP_OP_MSG/RP_OP_NONE, which nobody here
 * submitted) takes one off. A zerocopy send counts once: its send CQE has
 * F_MORE, its notification does not. So pending == 0 means no receive, send,
 * notification, accept or close is outstanding: the worker may exit.
 */
#ifndef RP_WORKER_H
#define RP_WORKER_H

#include <liburing.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>

#include "config/config.h"
#include "dataplane/bufpool.h"
#include "dataplane/counters.h"
#include "dataplane/msg.h"
#include "dataplane/share.h"
#include "dataplane/svc.h"
#include "dataplane/zc.h"
#include "dataplane/zcrx.h"

#define RP_WORKER_FILES_SLACK 64	/* fixed-file slots beyond limits.connections: an
					 * accept past the limit still gets a slot, so it can
					 * be closed cleanly and counted (conns_refused) */
#define RP_WORKER_BGID  1	/* buffer group of the receive buffer ring */
#define RP_WORKER_NAPI_MAX 16	/* NAPI ids of the rx queues one worker serves */

enum rp_worker_phase {
	RP_WP_STARTING,
	RP_WP_RUNNING,
	RP_WP_STOPPING,		/* stop received: draining */
	RP_WP_DONE,
	RP_WP_FAILED,		/* start-up or its loop failed; see start_err, fail_reason */
};

#define RP_WORKER_FAIL_REASON 160

struct rp_chan;

struct rp_worker {
	unsigned id;
	int cpu;			/* pinned to; -1: not pinned */
	const struct rp_config *cfg;
	/* All the appliance's workers (this one is peers[id]); NULL: alone.
	 * Only for MSG_RING to a peer: its ring_fd, read once its phase is
	 * RP_WP_RUNNING (dataplane/proxy_health.c). */
	const struct rp_worker *peers;
	unsigned n_peers;
	pthread_t thread;
	sem_t started;			/* posted when phase leaves STARTING */

	struct io_uring ring;
	int ring_fd;			/* for MSG_RING from other threads */
	struct rp_bufpool pool;
	struct rp_tx tx;
	struct rp_msg_port msg;		/* MSG_RING sends from this ring */
	struct rp_fair fair;		/* what one connection may hold of the pool */
	uint64_t now_ms;		/* CLOCK_MONOTONIC, read once per completion batch */
	unsigned tick_ms;		/* period of the timeout tick (0: none) */
	bool tick_armed;
	struct __kernel_timespec tick_ts;
	unsigned n_conns;		/* connections open on this worker, all services */
	unsigned max_conns;		/* limits.connections, after RLIMIT_NOFILE */

	struct rp_svc_inst *svc;	/* cfg->n_services instances */
	unsigned n_svc;
	struct rp_counters *ctr;	/* n_svc + 1 blocks: per service, then worker-level */
	unsigned napi_ids[RP_WORKER_NAPI_MAX];	/* its rx queues' NAPI ids (nicmgr) */
	unsigned n_napi_ids;

	unsigned n_files;		/* fixed-file table size */
	unsigned pending;		/* outstanding operations (see above) */
	bool stop_requested;
	bool reset_requested;		/* the drain timed out: services reset */
	bool leaving;			/* takeover: services left their groups */
	int left;			/* ... and nothing is open or queued (atomic) */
	int phase;			/* enum rp_worker_phase; read by other threads (atomic) */
	int start_err;			/* -errno when phase == RP_WP_FAILED */
	/* Why the loop failed, for the appliance's error line: written before
	 * phase turns RP_WP_FAILED (release), read after it (acquire). */
	char fail_reason[RP_WORKER_FAIL_REASON];
	/* Handed-off slots to close once an SQE is free (on_conn_msg): one bit
	 * per fixed-file slot, so the set can never overflow. */
	uint64_t *close_later;		/* bitmap of n_files slots to close (no SQE was free) */
	unsigned n_close_later;
	unsigned pending_seen;		/* pending, published for the signal thread */
	unsigned bufs_out_seen;		/* buffers not free, published likewise */
	uint64_t pong;			/* the last liveness ping's payload it handled */
	struct rp_chan *events;		/* its sender on the event channel; NULL: none */
	/* Hardware receive zerocopy (dataplane/zcrx.h): what the appliance asks
	 * (NULL: nothing), and the registered queue (NULL: none, or fallback). */
	const struct rp_zcrx_job *zcrx_job;
	struct rp_zcrx *zcrx;
	/* Live reload (reload.h): the generation posted and not applied yet
	 * (worker thread), the last one applied (release store, read by the
	 * control thread), the last one posted (control thread only). */
	const struct rp_cfg_gen *reload_to;
	uint64_t gen_applied;
	uint64_t reload_posted;
};

/* Counter blocks of a worker: [0, n_svc) per service in cfg->services order,
 * [n_svc] the worker-level block (buffers, MSG_RING, ...). */
static inline struct rp_counters *rp_worker_counters(struct rp_worker *w, unsigned *n_blocks)
{
	if (n_blocks)
		*n_blocks = w->n_svc + 1;
	return w->ctr;
}

static inline struct rp_counters *rp_worker_ctr(struct rp_worker *w)
{
	return &w->ctr[w->n_svc];
}

/* Once per process, before any worker starts: the MSG_RING handlers the
 * worker loop needs (RP_MSG_STOP). */
void rp_worker_init_handlers(void);
/* Start the thread; it creates its ring, pool and services, then reports
 * RP_WP_RUNNING or RP_WP_FAILED. rp_worker_wait_started() waits for that. */
int rp_worker_start(struct rp_worker *w);
int rp_worker_wait_started(struct rp_worker *w);
/* What an RP_MSG_STOP asks for (its payload). */
enum rp_stop_kind {
	RP_STOP_DRAIN,		/* stop receiving, let sends finish */
	RP_STOP_RESET,		/* the drain took too long: reset what is still open */
	RP_STOP_LEAVE,		/* takeover: leave the reuseport groups, serve on */
};

/* Ask a worker to shut down gracefully (ring-less MSG_RING; any thread). */
int rp_worker_request_stop(struct rp_worker *w);
/* After shutdown.drain-timeout-ms: services reset the connections that
 * still hold sends (svc_ops.abort); the worker still waits for every
 * completion and zerocopy notification before it frees its buffers. */
int rp_worker_request_reset(struct rp_worker *w);
/* Takeover (takeover.h): services leave their reuseport groups (svc_ops
 * leave) and go on serving what is open; rp_worker_has_left() turns true
 * once no connection is open and nothing is queued (svc_ops left). */
int rp_worker_request_leave(struct rp_worker *w);
bool rp_worker_has_left(const struct rp_worker *w);
/* Liveness for the systemd watchdog: the worker's loop stores seq in
 * w->pong when it handles this message (ring-less MSG_RING; any thread). */
int rp_worker_ping(struct rp_worker *w, uint64_t seq);
/* Switch to a new config generation between two completion batches and
 * store its number in w->gen_applied (ring-less MSG_RING; any thread). */
struct rp_cfg_gen;
int rp_worker_reload(struct rp_worker *w, const struct rp_cfg_gen *gen);
/* Join the thread. Returns 0 when it drained cleanly. */
int rp_worker_join(struct rp_worker *w);
/* Close the handed-off slots on_conn_msg found no SQE for; what still
 * finds none waits for the next call. The loop calls it every iteration
 * (worker thread only; public for its unit test, worker_close_test.c). */
void rp_worker_close_deferred(struct rp_worker *w);
/* Close a fixed-file slot nothing tracks (a refused or untrackable
 * connection): now, or at the end of this loop iteration when no SQE is
 * free; its completion is ignored. */
void rp_worker_close_slot(struct rp_worker *w, unsigned slot);
/* Test builds only (test/net/dataplane/fault_worker_loop.c): a strong
 * definition makes a worker's loop fail on purpose. The shipped binary
 * links worker.c's weak one, which never fails. 0 or -errno. */
int rp_worker_fault_loop(const struct rp_worker *w);

/* ---- for services (worker thread only) --------------------------------- */

/* An SQE, submitting first if the SQ is full; counted in pending. NULL only
 * if the ring is broken (logged). */
struct io_uring_sqe *rp_worker_sqe(struct rp_worker *w);
/* The worker's service instance for a user_data data field, or NULL. */
struct rp_svc_inst *rp_worker_svc(struct rp_worker *w, uint64_t ud_data);
/* Receive buffers came back to a starved pool, or pressure on the pool
 * lifted: services re-arm what they stopped. */
void rp_worker_rearm(struct rp_worker *w);
/* Room for one more connection under limits.connections? Counts it if so. */
bool rp_worker_conn_open(struct rp_worker *w);
void rp_worker_conn_closed(struct rp_worker *w);

#endif
