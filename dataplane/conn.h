/* SPDX-License-Identifier: MIT */
/*
 * What every TCP service's connections have in common (tcp-echo, tcp-proxy):
 *
 *   - a name in user_data: the fixed-file slot plus a generation, so that a
 *     completion of a connection that is gone (a zerocopy notification after
 *     a reset closed its slot) never reaches the next connection the kernel
 *     puts in the same slot;
 *   - a send queue of pieces of pool buffers (or heap copies) still to send,
 *     in order;
 *   - a receive side under the worker's fair share (dataplane/share.h): a
 *     multishot receive armed with a grant as the kernel's byte limit,
 *     cancelled when the connection is over its share, re-armed once it
 *     has drained;
 *   - the fire-and-forget socket operations on a slot (setsockopt, cancel,
 *     close) and the connection limits and timeouts of the service config.
 *
 * Worker thread only, like everything a worker owns.
 */
#ifndef RP_CONN_H
#define RP_CONN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dataplane/log.h"
#include "dataplane/share.h"
#include "dataplane/svc.h"
#include "dataplane/zcrx_acct.h"

struct io_uring_cqe;
struct rp_worker;

/* ---- names --------------------------------------------------------------- */

/* limits.connections keeps slots below 2^20; the generation takes the rest. */
#define RP_CONN_SLOT_BITS 20
#define RP_CONN_SLOT_MASK ((1u << RP_CONN_SLOT_BITS) - 1)

static inline uint32_t rp_conn_obj(uint32_t slot, uint32_t gen)
{
	return (slot & RP_CONN_SLOT_MASK) | gen << RP_CONN_SLOT_BITS;
}

static inline uint32_t rp_conn_obj_slot(uint64_t obj)
{
	return (uint32_t)obj & RP_CONN_SLOT_MASK;
}

/* The object a service CQE names (receive, close, send: same layout). */
uint32_t rp_conn_cqe_obj(const struct io_uring_cqe *cqe);

/* ---- the send queue -------------------------------------------------------- */

struct rp_txq_ent {
	unsigned bid;		/* pool buffer, or RP_BID_NONE */
	uint8_t *heap;		/* bid == RP_BID_NONE: owned copy, or with zc the zcrx area */
	unsigned off, len;	/* what is still to send */
	bool zc;		/* heap points into the zcrx area: zref goes back, not free() */
	struct rp_zcrx_ref zref;
};

/* A ring that doubles when full. Its length is bounded by the pool: every
 * entry but heap copies (which their service bounds) holds a pool buffer. */
struct rp_txq {
	struct rp_txq_ent *q;
	unsigned head, len, cap;
};

static inline struct rp_txq_ent *rp_txq_at(const struct rp_txq *t, unsigned i)
{
	return &t->q[(t->head + i) % t->cap];
}

/* 0 or -ENOMEM. */
int rp_txq_push(struct rp_txq *t, struct rp_txq_ent e);
/* Drop the head (its owner released what it held). */
void rp_txq_pop(struct rp_txq *t);
uint64_t rp_txq_bytes(const struct rp_txq *t);
void rp_txq_free(struct rp_txq *t);

/* ---- the receive side ------------------------------------------------------ */

struct rp_rx {
	uint32_t slot, obj;
	bool armed;		/* a multishot receive is outstanding */
	bool cancel_sent;
	bool grant_spent;	/* it filled its grant's buffers: cancel it */
	bool starved;		/* it ended on -ENOBUFS: re-armed by the worker */
	bool bundle;		/* arm it as a receive bundle (IORING_RECVSEND_BUNDLE):
				 * a completion may carry several buffers; only for a
				 * caller of rp_rx_complete_bufs */
	struct rp_share share;	/* pool buffers held, throttling */
};

/*
 * Arm the multishot receive if the share grants buffers (else the
 * connection is throttled until it drains). The caller has decided that
 * the connection wants data. false: no SQE (the ring is broken).
 */
bool rp_rx_try_read(struct rp_worker *w, struct rp_svc_inst *si, struct rp_rx *rx);
/* After anything that changed what it holds: over its share, or its grant
 * filled before the kernel's byte limit ended the receive: cancel the
 * receive; otherwise read if may_read. false: no SQE. */
bool rp_rx_apply_share(struct rp_worker *w, struct rp_svc_inst *si, struct rp_rx *rx,
		       bool may_read);
void rp_rx_cancel(struct rp_worker *w, struct rp_svc_inst *si, struct rp_rx *rx);
/* Cancel the receive named obj (RP_OP_RECV) once: any receive side's. */
void rp_conn_cancel_recv(struct rp_worker *w, struct rp_svc_inst *si, uint32_t obj, bool armed,
			 bool *cancel_sent);

/*
 * A receive CQE: the buffer it delivered, now held by the connection
 * (RP_BID_NONE: none, or one the kernel did not own, counted
 * err_bad_buffer); counts rx_packets/rx_bytes; ends the armed state when
 * the receive ended. The caller looks at cqe->res for EOF and errors.
 */
unsigned rp_rx_complete(struct rp_worker *w, struct rp_svc_inst *si, struct rp_rx *rx,
			const struct io_uring_cqe *cqe);
/*
 * The buffers one receive CQE delivered, in stream order. A receive bundle
 * (rx->bundle) fills consecutive buffers of the ring, every one but the
 * last full, and the CQE names only the first: the rest are found by ring
 * position (rp_buf_ring_next), their count from cqe->res. They are
 * resolved once, when the CQE is read, into the pool's pieces[]: by the
 * time the caller forwards the later ones, buffers given back meanwhile
 * may have been put on the ring at those very positions.
 */
struct rp_rx_bufs {
	unsigned n;		/* buffers now held by the connection */
	unsigned bid0;		/* the first */
	unsigned res;		/* bytes in all */
	bool bad;		/* one was not the kernel's (counted err_bad_buffer),
				 * or the ring ran out before res: n stops there, the
				 * data after it is lost */
	unsigned i, left;	/* rp_rx_bufs_next's cursor */
};

/* rp_rx_complete for a receive that may be a bundle: the buffers in *b
 * (each counted against the share). */
void rp_rx_complete_bufs(struct rp_worker *w, struct rp_svc_inst *si, struct rp_rx *rx,
			 const struct io_uring_cqe *cqe, struct rp_rx_bufs *b);

/* The next of b's buffers in stream order and the bytes in it (as
 * resolved by rp_rx_complete_bufs; valid until the next receive CQE is
 * read); false after the last. */
bool rp_rx_bufs_next(const struct rp_bufpool *p, struct rp_rx_bufs *b, unsigned *bid,
		     unsigned *len);

/* A receive's error: true when the connection is finished (reset, error),
 * false for -ENOBUFS (starved: backpressure) and -ECANCELED. */
bool rp_rx_failed(struct rp_worker *w, struct rp_svc_inst *si, struct rp_rx *rx, int res);

/* ---- socket operations on a slot --------------------------------------------- */

/* SO_LINGER 0: the close sends RST and frees unsent data at once. */
extern struct linger rp_linger_rst;

/* Fire and forget: a failure leaves the socket as it was. */
void rp_conn_setsockopt(struct rp_worker *w, struct rp_svc_inst *si, uint32_t slot,
			uint32_t obj, int level, int name, void *val, int len);
/* Cancel everything outstanding on the slot (receive, send, connect). */
void rp_conn_cancel_all(struct rp_worker *w, struct rp_svc_inst *si, uint32_t slot,
			uint32_t obj);
/* close_direct, completing with RP_OP_CLOSE for obj. false: no SQE. */
bool rp_conn_close(struct rp_worker *w, struct rp_svc_inst *si, uint32_t slot, uint32_t obj);

/* ---- accepting ------------------------------------------------------------------ */

/* A multishot accept straight into the fixed-file table on lfd, unless one
 * is armed, the service is stopping, or lfd < 0 (an acceptor ring hands
 * connections over instead). */
void rp_conn_arm_accept(struct rp_worker *w, struct rp_svc_inst *si, int lfd, bool *armed);
/* An accept CQE: the slot it filled, or -1 (counted err_no_slot or
 * err_accept); *armed is cleared when the multishot accept ended. */
int rp_conn_accepted(struct rp_svc_inst *si, const struct io_uring_cqe *cqe, bool *armed);
void rp_conn_cancel_accept(struct rp_worker *w, struct rp_svc_inst *si, bool armed);
/* Takeover: cancel the accept and close the listener (*lfd = -1). The
 * kernel releases it once the accept is gone; with net.ipv4.tcp_migrate_req
 * the connections queued on it (and half-open handshakes) then move to a
 * listener still in its reuseport group instead of being reset. */
void rp_conn_leave_listener(struct rp_worker *w, struct rp_svc_inst *si, int *lfd, bool armed);

/* ---- limits and timeouts ------------------------------------------------------- */

/* limits.connections (the worker, `slots` fixed-file slots) and the
 * service's max-connections against its n_open: false (counted
 * conns_refused, logged at most once a second) when a new connection
 * would go past either. Counts the slots with the worker if not. */
bool rp_conn_admit(struct rp_worker *w, struct rp_svc_inst *si, unsigned n_open,
		   unsigned slots, struct rp_ratelimit *log);
/* The tick a TCP service's idle and write-stall timeouts need. */
unsigned rp_conn_tick_wanted_ms(const struct rp_service_cfg *cfg);

static inline bool rp_conn_elapsed(uint64_t now_ms, uint64_t since_ms, unsigned timeout_ms)
{
	return timeout_ms && now_ms - since_ms >= timeout_ms;
}

/* What the tick needs to know of a connection. */
struct rp_conn_clock {
	bool pending;			/* data waits for the peer to take it */
	uint64_t pending_since_ms;	/* since then nothing of it was taken */
	bool quiet;			/* nothing pending, nothing being sent */
	uint64_t active_ms;		/* last byte received or sent */
};

enum rp_conn_timeout {
	RP_CONN_IN_TIME,
	RP_CONN_STALLED,	/* write-stall-timeout-ms: the peer's window stays shut;
				 * only a reset frees what it holds */
	RP_CONN_IDLE,		/* idle-timeout-ms without traffic: a plain close */
};

/* Which timeout the connection has reached, counted (write_stalls,
 * idle_timeouts); the caller resets or closes it. */
enum rp_conn_timeout rp_conn_timeout_check(const struct rp_worker *w, struct rp_svc_inst *si,
					   const struct rp_conn_clock *k);

#endif
