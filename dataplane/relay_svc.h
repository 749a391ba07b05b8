/* SPDX-License-Identifier: MIT */
/*
 * udp-relay's own types, shared by its two files: svc_udp_relay.c
 * (sessions, relaying both ways, the service's ops) and relay_handoff.c
 * (the messages between members: datagrams handed over, buffers handed
 * back, start and quiet). Not an API: nothing else includes it.
 */
#ifndef RP_RELAY_SVC_H
#define RP_RELAY_SVC_H

#include <stdbool.h>
#include <stdint.h>

#include "dataplane/relay.h"
#include "dataplane/udp_sock.h"

struct rp_worker;
struct rp_svc_inst;
struct io_uring_cqe;

/* A message that could not be posted now (outbox full): retried at flush.
 * Only wakes, returns and QUIETs wait here; a DGRAM that finds no room is
 * dropped. */
struct relay_later {
	uint64_t payload;
	unsigned target;
};

/* Health probes of the backends, this worker's own (relay_health.c). */
struct relay_health {
	int fd[RP_BACKENDS_MAX];	/* connected to backend i; -1: none */
	bool waiting[RP_BACKENDS_MAX];	/* a probe was sent, its answer not judged yet */
	bool down[RP_BACKENDS_MAX];	/* the last probe went unanswered */
	uint64_t next_ms;		/* the next round of probes */
};

/* The id of the client -> backend trains in their user_data (gso.h). */
#define RELAY_GSO_UP 1

struct relay {
	struct rp_udp_sock us;		/* the service socket */
	/* client -> backend: one gather list for every session socket (gso.h,
	 * connected); its policies are us.peers' (the backend's host) */
	struct rp_gso up;
	uint32_t up_gen;		/* bumped by every flush of `up` */
	struct rp_worker *w;		/* ours, and our instance: for up's lent_done */
	struct rp_svc_inst *si;
	bool gro;			/* session sockets receive with UDP_GRO */
	bool ready;			/* every member joined */
	bool quiet_sent;		/* told the others we hand nothing more */
	bool hold;			/* one unit of pending until all QUIETs */
	unsigned quiet_got;
	bool left_sent;			/* takeover: told the others LEFT (relay_takeover.c) */
	unsigned left_got;		/* takeover: LEFTs from the others */
	unsigned lent;			/* our buffers other members hold */
	struct msghdr smh;		/* session sockets: room for any address */
	struct rp_relay_group *group;	/* NULL: a group of one */
	struct rp_copyq_set *copy;	/* handoff: copy; NULL: MSG_RING */
	struct rp_handq_set *handq;	/* handoff: msg-ring: the pairs' rings; else NULL */
	bool *wake_due;			/* handq: per member, items pushed since its last wake */
	bool zc_foreign;		/* other members' pools are fixed buffers of our ring */
	bool wake_armed;		/* copy: the read of our eventfd is in the kernel */
	uint64_t wake_val;		/* copy: what that read reads */
	unsigned held;			/* copy: queue slots we relay from now */
	unsigned n_workers;
	/* The backends, as one value: a later reload can replace it whole
	 * (sessions keep their own connected socket and backend index). */
	const struct rp_backend_cfg *be;
	unsigned n_be;
	uint64_t down_until[RP_BACKENDS_MAX];	/* refused: no new sessions until */
	struct relay_health hc;
	struct rp_relay_sessions t;
	struct relay_later *later;
	unsigned n_later, cap_later;
};

/* ---- relay_handoff.c ------------------------------------------------------ */

/* Join the service's group (open): a group of more than one holds the
 * worker's drain until every other member said QUIET. 0 or -ENOMEM. */
int relay_join_group(struct rp_worker *w, struct rp_svc_inst *si, struct relay *r);
/* Hand our buffer bid (a datagram, res as recvmsg reported) to its owner.
 * true: the buffer is lent (it comes back by BUFBACK); false: it is still
 * ours (copied to the owner's queue, or dropped: counted handoff_drops). */
bool relay_hand_over(struct rp_worker *w, struct rp_svc_inst *si, unsigned owner, unsigned bid,
		     int res);
/* Done with a buffer of worker origin (ours: back to the pool), or with
 * slot `bid` of origin's copy queue. */
void relay_buf_done(struct rp_worker *w, struct rp_svc_inst *si, unsigned origin, unsigned bid);
/* Our service socket's receive ended while stopping: tell the others. */
void relay_send_quiet(struct rp_worker *w, struct rp_svc_inst *si);
/* Send message sub (no buffer) to every other member, in order after
 * what we sent them before. */
void relay_tell_others(struct rp_worker *w, struct rp_svc_inst *si, enum rp_relay_sub sub);
/* The batch is done (flush): wake each member we pushed items to, unless
 * a wake is already on its way. */
void relay_send_wakes(struct rp_worker *w, struct rp_svc_inst *si);
/* Messages the outbox had no room for (flush). */
void relay_send_later(struct rp_worker *w, struct relay *r);
/* Stop waiting for the others' QUIET (drain timeout). */
void relay_release_hold(struct rp_worker *w, struct relay *r);
struct relay_dgram;
/* RP_TX_HEAP_FIXED when d lies in another member's pool buffer that is a
 * fixed buffer of our ring (*idx: its index), else 0 (a copy send). */
unsigned relay_foreign_fixed(const struct relay *r, const struct relay_dgram *d, unsigned *idx);
struct rp_tx_event;
/* A send from origin's buffer or copy slot ref completed, or its zerocopy
 * notification came: counted, and the memory goes home after the last. */
void relay_foreign_tx(struct rp_worker *w, struct rp_svc_inst *si, unsigned origin, unsigned ref,
		      const struct rp_tx_event *ev);

/* ---- relay_copy.c: handoff copy, the classic design kept for comparison ---- */

/* Copy our datagram (buffer bid, recvmsg res) to owner's queue. The buffer
 * stays ours. Counted handoffs_out, or handoff_drops when the queue is full. */
void relay_copy_hand_over(struct rp_worker *w, struct rp_svc_inst *si, unsigned owner,
			  unsigned bid, int res);
/* Done with slot of origin's queue (its send completed, or it was dropped). */
void relay_copy_done(struct rp_worker *w, struct rp_svc_inst *si, unsigned origin, unsigned slot);
/* Read our eventfd (again), unless stopping. */
void relay_copy_arm(struct rp_worker *w, struct rp_svc_inst *si);
/* That read completed: relay what the queues hold; read again. */
void relay_copy_on_wake(struct rp_worker *w, struct rp_svc_inst *si, const struct io_uring_cqe *cqe);
/* Before the worker blocks (flush): say so, then take what came meanwhile. */
void relay_copy_flush(struct rp_worker *w, struct rp_svc_inst *si);
/* Relay what origin queued for us (its QUIET came: nothing follows). */
void relay_copy_drain(struct rp_worker *w, struct rp_svc_inst *si, unsigned origin);
/* Stopping: the eventfd read ends (what is queued comes with QUIETs). */
void relay_copy_stop(struct rp_worker *w, struct rp_svc_inst *si);

/* The user_data object of the eventfd read: not 0 (the service socket),
 * not a session ref (their low 16 bits are never 0). */
#define RELAY_OBJ_WAKE 0xffff0000u

/* The tx tag object of a send from another member's memory: origin, this
 * bit, ref (a buffer id or copy slot, below 0x8000: RP_BUFPOOL_MAX). Not 0
 * (the service socket) and never a peer ref (their low 16 bits are a slot
 * + 1 of RP_PEER_SLOTS), so the zerocopy policy of its notification is the
 * socket's own, the one that decided the send (relay_zc_sock). */
#define RELAY_OBJ_FOREIGN 0x8000u
_Static_assert(RP_PEER_SLOTS < RELAY_OBJ_FOREIGN && RP_BUFPOOL_MAX <= RELAY_OBJ_FOREIGN,
	       "relay foreign tags must not collide with peer refs");

static inline uint32_t relay_obj_foreign(unsigned origin, unsigned ref)
{
	return (uint32_t)origin << 16 | RELAY_OBJ_FOREIGN | ref;
}

/* ---- relay_health.c -------------------------------------------------------- */

/* A UDP socket connected to a backend for its probes: fd, or -errno logged. */
int relay_health_socket(const struct rp_svc_inst *si, const struct rp_addr *a);
/* A socket per backend when the service has health-probe. 0 or -errno. */
int relay_health_open(struct rp_svc_inst *si, struct relay *r);
/* Every tick: judge the last round's answers, send the next round. */
void relay_health_tick(struct rp_worker *w, struct rp_svc_inst *si);
void relay_health_close(struct relay *r);

/* ---- svc_udp_relay.c, for the messages ---------------------------------------- */

/* A datagram to relay up, wherever it lies: in a pool buffer (ref: its
 * bid) or a copy queue's slot (ref: the slot). Stays until relay_buf_done. */
struct relay_dgram {
	unsigned origin, ref;
	uint8_t *base;			/* the buffer or slot */
	uint8_t *payload;
	unsigned len;
	unsigned seg;			/* 0: one datagram; else a coalesced receive cut every seg */
	const struct sockaddr *client;
	socklen_t clen;
};

/* Relay a datagram lying in buffer bid of worker origin's pool. */
void relay_up(struct rp_worker *w, struct rp_svc_inst *si, unsigned origin, unsigned bid, int res);
/* Relay d to its session's backend (from where it lies), or drop it. */
void relay_dgram_up(struct rp_worker *w, struct rp_svc_inst *si, const struct relay_dgram *d);
/* End every session on backend be (counted sessions_ended): taken out. */
void relay_end_backend(struct rp_worker *w, struct rp_svc_inst *si, unsigned be);
/* Backend be's counter block (by its slot: a reload keeps a kept
 * backend's counters). */
struct rp_counters *relay_be_ctr(struct rp_worker *w, struct rp_svc_inst *si, unsigned be);
/* Receive (again): the service socket and starved sessions. */
void relay_arm(struct rp_worker *w, struct rp_svc_inst *si);
/* Queue the client -> backend datagrams gathered so far (before a reload
 * replaces the backend table their entries name). */
void relay_up_flush(struct rp_worker *w, struct rp_svc_inst *si);

/* ---- relay_takeover.c: the leaving appliance keeps sessions until answered ---- */

/* SIGUSR2 (svc leave): the service socket leaves its group. */
void relay_takeover_leave(struct rp_worker *w, struct rp_svc_inst *si);
/* svc left(): queue read, every member LEFT, every session answered. */
bool relay_takeover_left(struct rp_worker *w, struct rp_svc_inst *si);
/* RP_RELAY_LEFT from member `from`. */
void relay_takeover_on_left(struct rp_worker *w, struct rp_svc_inst *si, unsigned from);
struct rp_relay_sess;
/* `datagrams` of s went to its backend / came back from it. */
void relay_sess_sent_up(struct rp_relay_sess *s, unsigned datagrams);
void relay_sess_answered(struct rp_relay_sess *s, unsigned datagrams);

/* ---- relay_reload.c ---------------------------------------------------------- */

/* Live reload (svc.h): the new backend table; sessions of kept backends
 * stay where they are, those of removed ones end (their clients move by
 * hash on their next datagram). */
void relay_reload(struct rp_worker *w, struct rp_svc_inst *si, const struct rp_service_cfg *old);

#endif
