/* SPDX-License-Identifier: MIT */
/*
 * The typed message protocol into worker rings, carried by MSG_RING. In the
 * appliance three senders use it: the acceptor hands connections to workers
 * (CONN), the signal thread stops, pings and reloads them (STOP, PING,
 * RELOAD; ring-less), and workers send each other two things: udp-relay
 * datagrams by buffer reference (RELAY, relay.h) and a tcp-proxy's backends
 * marked down by its checking worker (HEALTH, dataplane/proxy_health.h).
 *
 * A message is one CQE posted into the target ring, so it needs no shared
 * queue and no wakeup of its own: the target's io_uring_wait_cqe() is both.
 *
 *   target CQE user_data = rp_ud(RP_OP_MSG, type << 48 | payload)
 *   target CQE res       = 32-bit argument (CONN: the fixed-file slot the
 *                          kernel chose in the target's table)
 *   target CQE flags     = optional, IORING_MSG_RING_FLAGS_PASS (kernel 6.3)
 *
 * Sending side: every worker owns one struct rp_msg_port next to its ring.
 * rp_msg_send*() prepare an SQE on the sender's own SQ (the worker submits
 * with its next batch) and remember the message in a small outbox, so that
 * the sender's own completion (RP_MSG_SENT, seen only by the sender) can
 * retry, bounce or clean up:
 *   - -EAGAIN/-ENOMEM/-EOVERFLOW (target could not take it now): retried
 *     after a backoff timeout (IORING_OP_TIMEOUT, RP_MSG_RETRY), counted,
 *     never dropped. While a message to a target waits for its retry, later
 *     messages to that target are parked behind it, so one sender's messages
 *     reach one target in the order they were sent.
 *   - CONN that the target cannot install (-ENFILE: fixed table full): the
 *     connection is closed and counted (err_no_slot).
 *   - any other error (target ring gone or exiting: -EBADFD, -EBADF): the
 *     message bounces back to the port's on_bounce callback with m->err set,
 *     so the sender can answer or redo it; a CONN's descriptor is closed.
 *     Bounces go to the port, not to the type's handler: the handler table
 *     is for the receiving role, and a sender (an acceptor) may not be one.
 * After a CONN is delivered the sender closes its own slot: the target now
 * holds its own reference (nothing is dup'ed).
 *
 * Ring-less senders (signal handling, control thread) use rp_msg_send_sync().
 *
 * Receiving side: the worker's completion loop hands every RP_OP_MSG CQE to
 * rp_msg_dispatch(), which decodes it and calls the handler registered for
 * its type (one process-wide table, filled before workers start).
 */
#ifndef RP_MSG_H
#define RP_MSG_H

#include <stdbool.h>
#include <stdint.h>

#include <liburing.h>

#include "dataplane/counters.h"
#include "dataplane/log.h"
#include "dataplane/udata.h"

/* ---- types ------------------------------------------------------------- */

enum rp_msg_type {
	RP_MSG_NONE = 0,	/* never sent: a zeroed user_data is not a message */
	RP_MSG_STOP,		/* shut down: drain, close, exit the loop */
	RP_MSG_CONN,		/* connection handoff: res = slot in the target's table */
	RP_MSG_PING,		/* liveness (systemd watchdog): echo the payload back */
	/* A generic item (payload: an id or pointer). The appliance sends none:
	 * the msg-ring benchmark (bench/msg_ring_ops.c), the handoff test tool
	 * and the message unit test carry their traffic in it. */
	RP_MSG_WORK,
	/* tcp-proxy: the backends a service's checking worker has marked down
	 * (dataplane/proxy_health.h). */
	RP_MSG_HEALTH,
	/* Live reload (dataplane/reload.h): payload = the struct rp_cfg_gen to
	 * switch to (a pointer: user addresses fit in 48 bits). */
	RP_MSG_RELOAD,
	/* udp-relay between workers (dataplane/relay.h): a datagram's buffer
	 * reference for its session's owner, the buffer back, start, quiet. */
	RP_MSG_RELAY,
	RP_MSG__COUNT,

	/* Seen only by the sender, on its own ring; never posted to a target. */
	RP_MSG_SENT = 0xfe,	/* our MSG_RING SQE completed: payload = outbox index */
	RP_MSG_RETRY = 0xff,	/* backoff timer expired: payload = outbox index */
};

#define RP_MSG_TYPE_SHIFT   48
#define RP_MSG_PAYLOAD_MASK ((1ULL << RP_MSG_TYPE_SHIFT) - 1)

/* One decoded message. */
struct rp_msg {
	enum rp_msg_type type;
	uint64_t payload;	/* 48 bits: a pointer, an id, a timestamp */
	int32_t arg;		/* the target CQE's res */
	uint32_t cqe_flags;	/* passed through (0 = none asked for) */
	int err;		/* 0: delivered to us; <0: OUR message bounced
				 * back with this -errno (target gone, ...) */
};

/* Per-message-type handler; returns 0, or <0 which the loop logs. */
typedef int (*rp_msg_handler_fn)(void *worker, const struct rp_msg *m);

/* Sender-side statistics of one port (single writer: the owning worker). */
struct rp_msg_port_stats {
	uint64_t sent;		/* SQEs prepared (retries included) */
	uint64_t delivered;	/* sender CQE res >= 0 */
	uint64_t retries;	/* backoff retries after EAGAIN/ENOMEM/EOVERFLOW */
	uint64_t bounced;	/* handed back to our handler with err set */
	uint64_t no_slot;	/* CONN refused: target's fixed file table full */
	uint64_t parked;	/* queued behind a retry to keep pair ordering */
};

struct rp_msg_out;		/* one outbox entry (msg.c) */
struct rp_msg_target;		/* per-target ordering state (msg.c) */

/* The sending half of one worker's ring. Owned by that worker's thread. */
struct rp_msg_port {
	struct io_uring *ring;
	struct rp_counters *counters;	/* optional: err_no_slot */
	struct rp_msg_out *out;
	unsigned cap;
	unsigned free_head;		/* free list through out[i].next */
	unsigned in_flight;		/* outbox entries in use */
	struct rp_msg_target *targets;
	unsigned n_targets, max_targets;
	uint64_t backoff_ns;		/* first retry delay; doubles, capped */
	/* Optional, set after init: our messages that could not be delivered
	 * (m->err < 0; CONN: m->arg is our old slot, already being closed).
	 * NULL: bounces are logged and counted only. */
	rp_msg_handler_fn on_bounce;
	void *owner;			/* first argument of on_bounce */
	/* refused handoffs come with connection floods: one line a second */
	struct rp_ratelimit bounce_log;
	struct rp_msg_port_stats stats;
};

/* ---- encoding ---------------------------------------------------------- */

static inline uint64_t rp_msg_ud(enum rp_msg_type type, uint64_t payload)
{
	return rp_ud(RP_OP_MSG, ((uint64_t)(type & 0xff) << RP_MSG_TYPE_SHIFT) |
				(payload & RP_MSG_PAYLOAD_MASK));
}

static inline enum rp_msg_type rp_msg_ud_type(uint64_t ud)
{
	return (enum rp_msg_type)((rp_ud_data(ud) >> RP_MSG_TYPE_SHIFT) & 0xff);
}

static inline uint64_t rp_msg_ud_payload(uint64_t ud)
{
	return rp_ud_data(ud) & RP_MSG_PAYLOAD_MASK;
}

/* Decode a CQE; false when it is not an RP_OP_MSG completion. */
bool rp_msg_decode(const struct io_uring_cqe *cqe, struct rp_msg *m);
const char *rp_msg_type_name(enum rp_msg_type type);

/* ---- handlers ---------------------------------------------------------- */

/* Set before workers start; NULL removes. Unknown/unhandled types are
 * counted as errors by rp_msg_dispatch (-ENOSYS). */
void rp_msg_set_handler(enum rp_msg_type type, rp_msg_handler_fn fn);

/*
 * Handle one RP_OP_MSG CQE of the ring `port` belongs to: a message for us
 * (calls its handler), or the completion of one of our own sends (retry,
 * bounce, close the handed-off slot). May prepare SQEs on port->ring; the
 * worker submits them with its next batch. Returns the handler's result,
 * 0, or -errno (-EINVAL: not a message CQE, -ENOSYS: no handler).
 */
int rp_msg_dispatch(struct rp_msg_port *port, void *worker,
		    const struct io_uring_cqe *cqe);

/* ---- sending ----------------------------------------------------------- */

/* outbox_cap: messages in flight at once (also bounds parked ones). */
int rp_msg_port_init(struct rp_msg_port *port, struct io_uring *ring,
		     unsigned outbox_cap, struct rp_counters *counters);
/* Outbox entries still waiting for their completion (shutdown drains to 0). */
unsigned rp_msg_port_in_flight(const struct rp_msg_port *port);
void rp_msg_port_fini(struct rp_msg_port *port);

/*
 * Post m (type, payload, arg, cqe_flags) to the ring whose fd is
 * target_ring_fd. 0, -ENOSPC (outbox full: reap completions first), -EBUSY
 * (our SQ is full: submit first), -EINVAL (bad type).
 */
int rp_msg_send(struct rp_msg_port *port, int target_ring_fd, const struct rp_msg *m);

/*
 * Hand the connection in our fixed-file slot src_slot to the target ring
 * (MSG_RING fd passing, IORING_FILE_INDEX_ALLOC: the kernel picks the
 * target's slot and reports it in the target CQE's res). Our slot is closed
 * once the handoff completed (either way); the caller forgets it now.
 */
int rp_msg_send_conn(struct rp_msg_port *port, int target_ring_fd,
		     unsigned src_slot, uint64_t payload);

/*
 * Ring-less send, for threads that own no ring. Uses
 * io_uring_register_sync_msg (IORING_REGISTER_SEND_MSG_RING, kernel >= 6.13,
 * liburing >= 2.12); on an older kernel it falls back to a private
 * one-shot ring per call (slower, same result) and logs that once.
 * Data messages only (no CONN). 0 or -errno.
 */
int rp_msg_send_sync(int target_ring_fd, const struct rp_msg *m);
/* rp_msg_send_sync's fallback on its own (a private ring per message), so
 * tests exercise it on kernels that never need it. */
int rp_msg_send_private_ring(int target_ring_fd, const struct rp_msg *m);

#endif
