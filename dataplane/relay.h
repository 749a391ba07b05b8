/* SPDX-License-Identifier: MIT */
/*
 * udp-relay: a UDP load balancer (dataplane/svc_udp_relay.c), and the two
 * pieces it is built from:
 *
 *   relay_group.c     who owns a session, and how a worker reaches the
 *                     others (their ring fds and buffer pools), process-wide;
 *   relay_sessions.c  one worker's bounded session table (client address ->
 *                     backend socket), its idle order and its per-client
 *                     counts.
 *
 * Ownership: a session is a client address and port. Its owner is the
 * worker hash(client IP) % workers (rp_relay_owner): every worker computes
 * the same answer from the datagram alone, so no table is shared and no
 * lock is taken. All sessions of one client IP have one owner, which makes
 * the per-client limit exact. A datagram that arrives on another worker
 * (the kernel's reuseport choice, or the CPU that received it) is handed to
 * the owner as an RP_MSG_RELAY message carrying its buffer's reference
 * (worker, buffer id); the owner sends from that memory (zerocopy by fixed
 * index where the policy says so: bufclone.h) and hands the buffer back by
 * another message when the send (and its notification) completed. Both
 * are batched: the references go through a ring per worker pair
 * (relay_handq.h) and one RP_RELAY_KICK message per pair and completion
 * batch, at most one on its way, wakes the receiver. See svc_udp_relay.c.
 * With `handoff: copy` (kept for comparison) the datagram is copied into a
 * queue per worker pair instead (relay_copyq.h, relay_copy.c).
 */
#ifndef RP_RELAY_H
#define RP_RELAY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "config/config.h"
#include "dataplane/bufclone.h"
#include "dataplane/bufpool.h"
#include "dataplane/relay_copyq.h"
#include "dataplane/relay_handq.h"

/* ---- the group (relay_group.c) ------------------------------------------ */

/* What another worker needs to reach this one and read its buffers. */
struct rp_relay_member {
	int ring_fd;
	const struct rp_bufpool *pool;	/* read-only for others: base and size */
};

struct rp_relay_group {
	unsigned n;			/* workers in the group */
	unsigned joined;		/* atomic: members that registered */
	struct rp_relay_member *m;	/* n entries, written once each */
	struct rp_copyq_set *copy;	/* handoff: copy (and n > 1); else NULL */
	/* handoff: msg-ring (and n > 1): every member's pool as fixed buffers
	 * of every member's ring (bufclone.h), for zerocopy sends of handed
	 * datagrams; else NULL */
	struct rp_bufclone *clone;
	/* handoff: msg-ring (and n > 1): the pairs' rings of DGRAM and
	 * BUFBACK items, woken by RP_RELAY_KICK (relay_handq.h); else NULL */
	struct rp_handq_set *handq;
};

/* Before the workers start (appliance): a group per udp-relay service of
 * n_workers. Without it (tests, benchmarks opening services on their own)
 * every worker is a group of one. 0 or -ENOMEM. */
int rp_relay_begin(const struct rp_config *cfg, unsigned n_workers);
void rp_relay_end(void);

/* On the worker thread, from open(): register (and stage the pool for
 * cloning: bufclone.h). Returns the group (NULL: none begun, this worker
 * relays alone) and sets *complete when this call completed it (the caller
 * then tells the others: RP_RELAY_READY). */
struct rp_relay_group *rp_relay_join(unsigned svc, unsigned worker, struct io_uring *ring,
				     const struct rp_bufpool *pool, bool *complete);
/* Every member registered (acquire: their entries may be read). */
bool rp_relay_group_complete(const struct rp_relay_group *g);

/* The worker that owns sessions of this client (its IP address). */
unsigned rp_relay_owner(const struct sockaddr *client, unsigned n_workers);

/* ---- the message (RP_MSG_RELAY payload, 48 bits) ------------------------ */

enum rp_relay_sub {
	RP_RELAY_DGRAM = 1,	/* a datagram for its owner: origin's buffer bid, arg = recvmsg res */
	RP_RELAY_BUFBACK,	/* the owner is done with origin's buffer bid */
	RP_RELAY_READY,		/* the group is complete: start receiving */
	RP_RELAY_QUIET,		/* the sender will hand this worker nothing more */
	RP_RELAY_LEFT,		/* takeover: the sender's socket left its group and is read
				 * to the end: it hands this worker nothing more */
	RP_RELAY_KICK,		/* take what the sender's ring to you holds (bid: the target) */
};

static inline uint64_t rp_relay_msg(enum rp_relay_sub sub, unsigned svc, unsigned worker,
				    unsigned bid)
{
	return (uint64_t)(sub & 0xf) << 44 | (uint64_t)(svc & 0xff) << 36 |
	       (uint64_t)(worker & 0xfff) << 24 | (bid & 0xffff);
}

static inline enum rp_relay_sub rp_relay_msg_sub(uint64_t p) { return (enum rp_relay_sub)(p >> 44 & 0xf); }
static inline unsigned rp_relay_msg_svc(uint64_t p) { return (unsigned)(p >> 36 & 0xff); }
static inline unsigned rp_relay_msg_worker(uint64_t p) { return (unsigned)(p >> 24 & 0xfff); }
static inline unsigned rp_relay_msg_bid(uint64_t p) { return (unsigned)(p & 0xffff); }

/* Once per process, before workers start (rp_worker_init_handlers): the
 * RP_MSG_RELAY handler (svc_udp_relay.c). */
void rp_relay_init_handlers(void);

/* ---- sessions (relay_sessions.c) ---------------------------------------- */

#define RP_RELAY_NIL UINT32_MAX

/* A client address and port (or, for the per-client table, port 0). */
struct rp_relay_key {
	uint16_t family;
	uint16_t port;
	uint32_t scope_id;
	uint8_t addr[16];
};

enum rp_relay_sess_state {
	RP_SESS_FREE,
	RP_SESS_OPEN,		/* in the lookup and the idle order */
	RP_SESS_CLOSING,	/* out of both; waiting for its receive to end */
};

struct rp_relay_sess {
	struct rp_relay_key key;
	union {			/* the client's address, for replies */
		struct sockaddr sa;
		struct sockaddr_in in4;
		struct sockaddr_in6 in6;
	} client;
	socklen_t clen;
	int fd;			/* connected to its backend; -1 before */
	uint16_t gen;		/* bumped when the slot is reused */
	uint8_t state;		/* enum rp_relay_sess_state */
	uint8_t be;		/* backend index in the service's table */
	bool armed;		/* its multishot receive is in the kernel */
	bool starved;		/* that receive ended on -ENOBUFS */
	uint32_t hnext;		/* lookup chain */
	uint32_t prev, next;	/* idle order (least recently used first); free list */
	uint32_t cli;		/* its client's entry */
	uint32_t up_gen;	/* struct relay's up_gen when it last gathered a datagram */
	uint32_t awaiting;	/* datagrams sent up not yet matched by a reply (relay_takeover.c) */
	uint64_t last_ms;
};

struct rp_relay_client {
	struct rp_relay_key key;	/* port 0 */
	unsigned sessions;
	uint32_t hnext;		/* lookup chain; free list */
};

struct rp_relay_sessions {
	struct rp_relay_sess *s;
	struct rp_relay_client *c;
	unsigned cap, per_client;	/* per_client 0: no limit but cap */
	unsigned n_open, n_used;	/* OPEN; OPEN + CLOSING */
	uint32_t *bucket, *cbucket;	/* heads of the lookup chains */
	unsigned mask;			/* buckets - 1 (a power of two) */
	uint32_t free_s, free_c;
	uint32_t lru_head, lru_tail;
	uint64_t seed;			/* keyed hash: clients cannot choose to collide */
};

/* 0 or -ENOMEM. cap sessions, per_client of one IP address (0: no limit). */
int rp_relay_sessions_init(struct rp_relay_sessions *t, unsigned cap, unsigned per_client);
void rp_relay_sessions_free(struct rp_relay_sessions *t);

/* The key of an AF_INET / AF_INET6 address; false for other families. */
bool rp_relay_key_of(const struct sockaddr *sa, socklen_t len, struct rp_relay_key *k);

/* The open session of this client address and port, or NULL. */
struct rp_relay_sess *rp_relay_sess_find(struct rp_relay_sessions *t, const struct rp_relay_key *k);
/* A new open session (fd -1, last_ms now), or NULL with *err: -ENOSPC (cap
 * reached, OPEN and CLOSING together), -EDQUOT (the client's limit). */
struct rp_relay_sess *rp_relay_sess_add(struct rp_relay_sessions *t, const struct rp_relay_key *k,
					const struct sockaddr *sa, socklen_t len, uint64_t now_ms,
					int *err);
/* Used now: to the end of the idle order. */
void rp_relay_sess_touch(struct rp_relay_sessions *t, struct rp_relay_sess *s, uint64_t now_ms);
/* OPEN -> CLOSING: out of the lookup and the idle order, its client's count
 * drops; the slot stays taken until rp_relay_sess_release. */
void rp_relay_sess_close(struct rp_relay_sessions *t, struct rp_relay_sess *s);
/* CLOSING (or OPEN) -> FREE. The caller closed its socket. */
void rp_relay_sess_release(struct rp_relay_sessions *t, struct rp_relay_sess *s);
/* The least recently used open session, or NULL. */
struct rp_relay_sess *rp_relay_sess_oldest(struct rp_relay_sessions *t);
/* A 32-bit handle (never 0) and back; NULL when the slot changed hands. */
uint32_t rp_relay_sess_ref(const struct rp_relay_sessions *t, const struct rp_relay_sess *s);
struct rp_relay_sess *rp_relay_sess_by_ref(struct rp_relay_sessions *t, uint32_t ref);

#endif
