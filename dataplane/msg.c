/* SPDX-License-Identifier: MIT */
/*
 * MSG_RING messages between worker rings: see msg.h for the protocol.
 *
 * The outbox is a fixed array owned by one worker: an entry lives from
 * rp_msg_send*() until our own completion says the message is delivered (or
 * bounced), so nothing allocates on the hot path and a message can always be
 * retried from what the entry remembers.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/log.h"
#include "dataplane/msg.h"

#define RP_MSG_NIL          UINT32_MAX
#define RP_MSG_BACKOFF_NS   10000ULL		/* first retry after 10 us */
#define RP_MSG_BACKOFF_MAX  10000000ULL		/* never wait more than 10 ms */

enum rp_out_state {
	OUT_FREE,
	OUT_IN_FLIGHT,		/* SQE prepared, waiting for RP_MSG_SENT */
	OUT_WAIT_RETRY,		/* backoff timeout armed, waiting for RP_MSG_RETRY */
	OUT_PARKED,		/* behind a retry to the same target */
};

struct rp_msg_out {
	struct rp_msg msg;
	int target_fd;
	int src_slot;		/* CONN: our fixed-file slot; -1 otherwise */
	unsigned target;	/* index in port->targets */
	unsigned next;		/* free list, or the target's parked FIFO */
	unsigned attempts;
	enum rp_out_state state;
	struct __kernel_timespec backoff;	/* must live until the timeout completes */
};

/*
 * Ordering per target: while `blocked`, exactly one message to this target
 * is in flight or waiting for its retry; the rest wait in the FIFO and are
 * sent one at a time, each after the previous one was delivered.
 */
struct rp_msg_target {
	int fd;
	bool blocked;
	unsigned blocker;	/* the one entry in flight or waiting to retry */
	unsigned head, tail;	/* parked FIFO through out[i].next */
	unsigned early_tail;	/* last re-queued entry sent before the block */
};

static const char *const rp_msg_names[RP_MSG__COUNT] = {
	[RP_MSG_NONE]			= "none",
	[RP_MSG_STOP]			= "stop",
	[RP_MSG_CONN]			= "conn",
	[RP_MSG_PING]			= "ping",
	[RP_MSG_WORK]			= "work",
	[RP_MSG_HEALTH]			= "health",
	[RP_MSG_RELOAD]			= "reload",
	[RP_MSG_RELAY]			= "relay",
};

/* Process-wide: every worker runs the same code. Written before the
 * workers start (thread creation orders it), read-only afterwards. */
static rp_msg_handler_fn rp_msg_handlers[RP_MSG__COUNT];

const char *rp_msg_type_name(enum rp_msg_type type)
{
	if (type == RP_MSG_SENT)
		return "sent";
	if (type == RP_MSG_RETRY)
		return "retry";
	if ((unsigned)type >= RP_MSG__COUNT || !rp_msg_names[type])
		return "unknown";
	return rp_msg_names[type];
}

static bool rp_msg_type_valid(enum rp_msg_type type)
{
	return type > RP_MSG_NONE && type < RP_MSG__COUNT;
}

bool rp_msg_decode(const struct io_uring_cqe *cqe, struct rp_msg *m)
{
	if (rp_ud_op(cqe->user_data) != RP_OP_MSG)
		return false;
	*m = (struct rp_msg){
		.type = rp_msg_ud_type(cqe->user_data),
		.payload = rp_msg_ud_payload(cqe->user_data),
		.arg = cqe->res,
		.cqe_flags = cqe->flags,
	};
	return true;
}

void rp_msg_set_handler(enum rp_msg_type type, rp_msg_handler_fn fn)
{
	if (rp_msg_type_valid(type))
		rp_msg_handlers[type] = fn;
}

static int rp_msg_call(void *worker, const struct rp_msg *m)
{
	rp_msg_handler_fn fn = rp_msg_handlers[m->type];

	if (!fn) {
		rp_warn("msg: no handler for message type %s (%d)",
			rp_msg_type_name(m->type), m->type);
		return -ENOSYS;
	}
	return fn(worker, m);
}

/* ---- port and outbox --------------------------------------------------- */

int rp_msg_port_init(struct rp_msg_port *port, struct io_uring *ring,
		     unsigned outbox_cap, struct rp_counters *counters)
{
	if (!outbox_cap || outbox_cap >= RP_MSG_NIL)
		return -EINVAL;
	*port = (struct rp_msg_port){
		.ring = ring,
		.counters = counters,
		.cap = outbox_cap,
		.max_targets = outbox_cap,
		.backoff_ns = RP_MSG_BACKOFF_NS,
	};
	port->out = calloc(outbox_cap, sizeof(*port->out));
	port->targets = calloc(port->max_targets, sizeof(*port->targets));
	if (!port->out || !port->targets) {
		rp_msg_port_fini(port);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < outbox_cap; i++)
		port->out[i].next = i + 1 < outbox_cap ? i + 1 : RP_MSG_NIL;
	port->free_head = 0;
	return 0;
}

unsigned rp_msg_port_in_flight(const struct rp_msg_port *port)
{
	return port->in_flight;
}

void rp_msg_port_fini(struct rp_msg_port *port)
{
	if (port->in_flight)
		rp_warn("msg: port closed with %u message(s) not completed", port->in_flight);
	free(port->out);
	free(port->targets);
	port->out = NULL;
	port->targets = NULL;
	port->cap = port->in_flight = 0;
}

static struct rp_msg_out *rp_out_alloc(struct rp_msg_port *port)
{
	struct rp_msg_out *o;

	if (port->free_head == RP_MSG_NIL)
		return NULL;
	o = &port->out[port->free_head];
	port->free_head = o->next;
	port->in_flight++;
	return o;
}

static void rp_out_free(struct rp_msg_port *port, struct rp_msg_out *o)
{
	o->state = OUT_FREE;
	o->next = port->free_head;
	port->free_head = (unsigned)(o - port->out);
	port->in_flight--;
}

static unsigned rp_out_index(const struct rp_msg_port *port, const struct rp_msg_out *o)
{
	return (unsigned)(o - port->out);
}

/* The target's ordering slot; targets are few (one per worker). */
static int rp_target_find(struct rp_msg_port *port, int fd)
{
	for (unsigned i = 0; i < port->n_targets; i++)
		if (port->targets[i].fd == fd)
			return (int)i;
	if (port->n_targets == port->max_targets)
		return -ENOSPC;
	port->targets[port->n_targets] = (struct rp_msg_target){
		.fd = fd, .head = RP_MSG_NIL, .tail = RP_MSG_NIL,
		.early_tail = RP_MSG_NIL,
	};
	return (int)port->n_targets++;
}

static void rp_target_park(struct rp_msg_port *port, struct rp_msg_out *o)
{
	struct rp_msg_target *t = &port->targets[o->target];
	unsigned idx = rp_out_index(port, o);

	o->state = OUT_PARKED;
	o->next = RP_MSG_NIL;
	if (t->tail == RP_MSG_NIL)
		t->head = idx;
	else
		port->out[t->tail].next = idx;
	t->tail = idx;
	port->stats.parked++;
}

/*
 * A message that was already in flight when the target became blocked, and
 * then failed too: it was sent before everything parked, so it goes before
 * them (after earlier ones of its kind, which complete in send order).
 */
static void rp_target_requeue_early(struct rp_msg_port *port, struct rp_msg_out *o)
{
	struct rp_msg_target *t = &port->targets[o->target];
	unsigned idx = rp_out_index(port, o);
	unsigned *link = t->early_tail == RP_MSG_NIL ? &t->head : &port->out[t->early_tail].next;

	o->state = OUT_PARKED;
	o->next = *link;
	*link = idx;
	if (o->next == RP_MSG_NIL)
		t->tail = idx;
	t->early_tail = idx;
	port->stats.parked++;
}

static struct rp_msg_out *rp_target_unpark(struct rp_msg_port *port, struct rp_msg_target *t)
{
	struct rp_msg_out *o;

	if (t->head == RP_MSG_NIL)
		return NULL;
	o = &port->out[t->head];
	if (t->early_tail == t->head)
		t->early_tail = RP_MSG_NIL;
	t->head = o->next;
	if (t->head == RP_MSG_NIL)
		t->tail = RP_MSG_NIL;
	return o;
}

/* An SQE from our own ring; when the SQ is full, submit what is queued
 * (we are the ring's only submitter) and try once more. */
static struct io_uring_sqe *rp_msg_get_sqe(struct io_uring *ring)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe && io_uring_submit(ring) >= 0)
		sqe = io_uring_get_sqe(ring);
	return sqe;
}

/* Prepare the MSG_RING SQE for an outbox entry. */
static int rp_out_submit(struct rp_msg_port *port, struct rp_msg_out *o)
{
	struct io_uring_sqe *sqe = rp_msg_get_sqe(port->ring);
	uint64_t target_ud = rp_msg_ud(o->msg.type, o->msg.payload);

	if (!sqe)
		return -EBUSY;
	if (o->src_slot >= 0)
		io_uring_prep_msg_ring_fd_alloc(sqe, o->target_fd, o->src_slot, target_ud, 0);
	else if (o->msg.cqe_flags)
		io_uring_prep_msg_ring_cqe_flags(sqe, o->target_fd, (unsigned)o->msg.arg,
						 target_ud, 0, o->msg.cqe_flags);
	else
		io_uring_prep_msg_ring(sqe, o->target_fd, (unsigned)o->msg.arg, target_ud, 0);
	io_uring_sqe_set_data64(sqe, rp_msg_ud(RP_MSG_SENT, rp_out_index(port, o)));
	o->state = OUT_IN_FLIGHT;
	o->attempts++;
	port->stats.sent++;
	return 0;
}

static int rp_msg_queue(struct rp_msg_port *port, int target_fd, int src_slot,
			const struct rp_msg *m)
{
	struct rp_msg_out *o;
	int t, ret;

	if (!rp_msg_type_valid(m->type))
		return -EINVAL;
	t = rp_target_find(port, target_fd);
	if (t < 0)
		return t;
	o = rp_out_alloc(port);
	if (!o)
		return -ENOSPC;
	*o = (struct rp_msg_out){
		.msg = *m, .target_fd = target_fd, .src_slot = src_slot,
		.target = (unsigned)t, .next = RP_MSG_NIL,
	};
	o->msg.payload &= RP_MSG_PAYLOAD_MASK;
	o->msg.err = 0;
	if (port->targets[t].blocked) {
		rp_target_park(port, o);
		return 0;
	}
	ret = rp_out_submit(port, o);
	if (ret < 0)
		rp_out_free(port, o);
	return ret;
}

int rp_msg_send(struct rp_msg_port *port, int target_ring_fd, const struct rp_msg *m)
{
	if (m->type == RP_MSG_CONN)
		return -EINVAL;		/* a CONN carries a descriptor: rp_msg_send_conn */
	return rp_msg_queue(port, target_ring_fd, -1, m);
}

int rp_msg_send_conn(struct rp_msg_port *port, int target_ring_fd,
		     unsigned src_slot, uint64_t payload)
{
	struct rp_msg m = { .type = RP_MSG_CONN, .payload = payload };

	if (src_slot > INT32_MAX)
		return -EINVAL;
	return rp_msg_queue(port, target_ring_fd, (int)src_slot, &m);
}

/* ---- our own completions ----------------------------------------------- */

/* Close the slot we handed off (or failed to): fire and forget, errors only. */
static void rp_msg_close_slot(struct rp_msg_port *port, int slot)
{
	struct io_uring_sqe *sqe = rp_msg_get_sqe(port->ring);

	if (!sqe) {
		rp_err("msg: cannot close fixed slot %d: submission queue full", slot);
		return;
	}
	io_uring_prep_close_direct(sqe, (unsigned)slot);
	io_uring_sqe_set_data64(sqe, rp_ud(RP_OP_NONE, 0));
	io_uring_sqe_set_flags(sqe, IOSQE_CQE_SKIP_SUCCESS);
}

static bool rp_msg_retryable(int res)
{
	return res == -EAGAIN || res == -ENOMEM || res == -EOVERFLOW || res == -EBUSY;
}

static int rp_msg_arm_retry(struct rp_msg_port *port, struct rp_msg_out *o)
{
	/* doubles per failed attempt; a parked entry has made none yet */
	unsigned doublings = o->attempts > 1 ? o->attempts - 1 : 0;
	uint64_t ns = port->backoff_ns << (doublings < 10 ? doublings : 10);
	struct io_uring_sqe *sqe = rp_msg_get_sqe(port->ring);

	if (ns > RP_MSG_BACKOFF_MAX)
		ns = RP_MSG_BACKOFF_MAX;
	if (!sqe)
		return -EBUSY;
	o->backoff.tv_sec = (long long)(ns / 1000000000ULL);
	o->backoff.tv_nsec = (long long)(ns % 1000000000ULL);
	io_uring_prep_timeout(sqe, &o->backoff, 0, 0);
	io_uring_sqe_set_data64(sqe, rp_msg_ud(RP_MSG_RETRY, rp_out_index(port, o)));
	o->state = OUT_WAIT_RETRY;
	port->stats.retries++;
	return 0;
}

/* The target is gone or refused for good: give the message back. */
static int rp_msg_bounce(struct rp_msg_port *port, struct rp_msg_out *o, int res)
{
	struct rp_msg m = o->msg;
	unsigned missed;

	m.err = res;
	port->stats.bounced++;
	if (o->src_slot >= 0) {
		m.arg = o->src_slot;
		if (res == -ENFILE) {
			port->stats.no_slot++;
			if (port->counters)
				rp_count(port->counters, RP_C_ERR_NO_SLOT, 1);
		}
		if (rp_ratelimit_now(&port->bounce_log, 1000, &missed))
			rp_err("msg: connection handoff to ring fd %d %s; connection closed "
			       "(%u more since the last such line)", o->target_fd,
			       res == -ENFILE ? "refused: its fixed file table is full (ENFILE)"
					      : "failed", missed);
		rp_msg_close_slot(port, o->src_slot);
	} else {
		rp_warn("msg: %s message to ring fd %d bounced: %s",
			rp_msg_type_name(m.type), o->target_fd, strerror(-res));
	}
	if (!port->on_bounce)
		return 0;	/* nobody to answer: counted and logged above */
	return port->on_bounce(port->owner, &m);
}

/* The target's next parked message, if any; else the target is unblocked. */
static void rp_msg_unpark_next(struct rp_msg_port *port, struct rp_msg_target *t)
{
	struct rp_msg_out *next = rp_target_unpark(port, t);

	if (!next) {
		t->blocked = false;
		return;
	}
	t->blocker = rp_out_index(port, next);
	if (rp_out_submit(port, next) < 0 && rp_msg_arm_retry(port, next) < 0) {
		rp_msg_bounce(port, next, -EBUSY);
		rp_out_free(port, next);
		rp_msg_unpark_next(port, t);
	}
}

static int rp_msg_sent(struct rp_msg_port *port, struct rp_msg_out *o, int res)
{
	struct rp_msg_target *t = &port->targets[o->target];
	unsigned idx = rp_out_index(port, o);
	bool was_blocker = t->blocked && t->blocker == idx;
	int ret = 0;

	if (rp_msg_retryable(res)) {
		if (t->blocked && !was_blocker) {
			rp_target_requeue_early(port, o);
			return 0;
		}
		/* later messages to this target now wait behind this one */
		t->blocked = true;
		t->blocker = idx;
		if (rp_msg_arm_retry(port, o) == 0)
			return 0;
		was_blocker = true;
		res = -EBUSY;	/* could not even arm the timer: bounce */
	}
	if (res >= 0) {
		port->stats.delivered++;
		if (o->src_slot >= 0)
			rp_msg_close_slot(port, o->src_slot);
	} else {
		ret = rp_msg_bounce(port, o, res);
	}
	rp_out_free(port, o);
	if (was_blocker)
		rp_msg_unpark_next(port, t);
	return ret;
}

static int rp_msg_retry(struct rp_msg_port *port, struct rp_msg_out *o)
{
	if (rp_out_submit(port, o) == 0)
		return 0;
	if (rp_msg_arm_retry(port, o) == 0)
		return 0;
	return rp_msg_sent(port, o, -EBUSY);
}

int rp_msg_dispatch(struct rp_msg_port *port, void *worker,
		    const struct io_uring_cqe *cqe)
{
	struct rp_msg m;
	struct rp_msg_out *o;

	if (!rp_msg_decode(cqe, &m))
		return -EINVAL;
	if (rp_msg_type_valid(m.type))
		return rp_msg_call(worker, &m);
	if (m.type != RP_MSG_SENT && m.type != RP_MSG_RETRY) {
		rp_warn("msg: unknown message type %d (user_data 0x%llx)", m.type,
			(unsigned long long)cqe->user_data);
		return -ENOSYS;
	}
	if (!port || m.payload >= port->cap) {
		rp_err("msg: completion for outbox entry %llu this ring does not have",
		       (unsigned long long)m.payload);
		return -EINVAL;
	}
	o = &port->out[m.payload];
	if (m.type == RP_MSG_SENT && o->state == OUT_IN_FLIGHT)
		return rp_msg_sent(port, o, cqe->res);
	if (m.type == RP_MSG_RETRY && o->state == OUT_WAIT_RETRY)
		return rp_msg_retry(port, o);
	rp_err("msg: %s completion for outbox entry %llu in state %d",
	       rp_msg_type_name(m.type), (unsigned long long)m.payload, o->state);
	return -EINVAL;
}

/* ---- ring-less sending ------------------------------------------------- */

/* 0: not tried yet, 1: register_sync_msg works, -1: kernel lacks it. */
static atomic_int rp_sync_msg_state;

static void rp_msg_prep_data(struct io_uring_sqe *sqe, int target_fd, const struct rp_msg *m)
{
	uint64_t ud = rp_msg_ud(m->type, m->payload);

	if (m->cqe_flags)
		io_uring_prep_msg_ring_cqe_flags(sqe, target_fd, (unsigned)m->arg, ud, 0,
						 m->cqe_flags);
	else
		io_uring_prep_msg_ring(sqe, target_fd, (unsigned)m->arg, ud, 0);
}

/* Kernels before 6.13: a private ring for this one message. */
int rp_msg_send_private_ring(int target_fd, const struct rp_msg *m)
{
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	int ret = io_uring_queue_init(2, &ring, 0);

	if (ret < 0)
		return ret;
	rp_msg_prep_data(io_uring_get_sqe(&ring), target_fd, m);
	ret = io_uring_submit_and_wait(&ring, 1);
	if (ret >= 0)
		ret = io_uring_wait_cqe(&ring, &cqe);
	if (ret >= 0) {
		ret = cqe->res < 0 ? cqe->res : 0;
		io_uring_cqe_seen(&ring, cqe);
	}
	io_uring_queue_exit(&ring);
	return ret;
}

int rp_msg_send_sync(int target_ring_fd, const struct rp_msg *m)
{
	struct io_uring_sqe sqe;
	int ret;

	if (!rp_msg_type_valid(m->type) || m->type == RP_MSG_CONN)
		return -EINVAL;
	if (atomic_load(&rp_sync_msg_state) >= 0) {
		memset(&sqe, 0, sizeof(sqe));
		rp_msg_prep_data(&sqe, target_ring_fd, m);
		ret = io_uring_register_sync_msg(&sqe);
		/* EINVAL for an unknown register opcode: a kernel before 6.13 */
		if (ret != -EINVAL || atomic_load(&rp_sync_msg_state) == 1) {
			if (ret == 0)
				atomic_store(&rp_sync_msg_state, 1);
			return ret;
		}
		atomic_store(&rp_sync_msg_state, -1);
		rp_warn("msg: io_uring_register_sync_msg unavailable (needs kernel >= 6.13); "
			"ring-less messages use a private ring per message");
	}
	return rp_msg_send_private_ring(target_ring_fd, m);
}
