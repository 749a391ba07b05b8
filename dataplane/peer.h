/* SPDX-License-Identifier: MIT */
/*
 * Per-destination send state of a UDP socket: the peer table.
 *
 * Why: a udp-echo worker answers every peer from one socket, but what the
 * kernel reports about a send describes the path to one destination: a
 * zerocopy send copied because that peer is local, a GSO send refused
 * because the route to that peer has a smaller MTU. Switching the whole
 * socket would make one peer decide for all. So each destination host (IP
 * address, all its ports) gets its own zerocopy policy state (struct
 * rp_zc_sock, zc.h: mode, sampling, fallback) and its own GSO switch, both
 * expiring (fallback.h).
 *
 * Bounded: RP_PEER_SETS x RP_PEER_WAYS entries, allocated once per socket,
 * nothing per packet. The table is set-associative: a destination hashes
 * (keyed with a per-table random seed, so that peers cannot choose to
 * collide) to one set of RP_PEER_WAYS entries; a new destination in a full
 * set evicts with the clock (second chance) algorithm over that set: a new
 * entry starts unreferenced, a use marks it, and the hand skips (and
 * unmarks) a marked entry once. Forgetting a peer only loses its
 * fallbacks: it starts again from the configured policy, which is what an
 * expired fallback does anyway.
 *
 * References: an in-flight send names its peer by rp_peer_ref() (slot and
 * generation, 32 bits, fits the tx tag); rp_peer_by_ref() returns NULL once
 * the slot was given to another destination, so a late notification never
 * switches the wrong peer.
 */
#ifndef RP_PEER_H
#define RP_PEER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dataplane/fallback.h"
#include "dataplane/zc.h"

#define RP_PEER_SETS 64		/* a power of two */
#define RP_PEER_WAYS 4
#define RP_PEER_SLOTS (RP_PEER_SETS * RP_PEER_WAYS)

/* A destination host: family and IP address (IPv6: with its scope). Not
 * the port: what the fallbacks record (a local host, the path MTU) is a
 * property of the path to the host, shared by all its sockets. */
struct rp_peer_key {
	uint32_t family;	/* 0: the slot is empty */
	uint32_t scope_id;
	uint8_t addr[16];	/* IPv4: the first 4 bytes */
};

struct rp_peer {
	struct rp_peer_key key;
	uint16_t gen;		/* bumped when the slot changes hands */
	bool referenced;	/* clock bit: used since the hand passed */
	struct rp_zc_sock zs;	/* this destination's zerocopy policy */
	struct rp_fallback gso_off;	/* GSO refused on the path: singles until then */
};

struct rp_peer_table {
	struct rp_peer slot[RP_PEER_SLOTS];
	uint8_t hand[RP_PEER_SETS];	/* per set: the next way the clock looks at */
	uint64_t seed;
	struct rp_zc_sock zs_init;	/* what a new destination starts from */
	unsigned gso_retry_ms;
	uint64_t evictions;	/* for tests and debugging */
};

/* zs_init: the socket's configured policy (copied, sampling state reset). */
void rp_peer_table_init(struct rp_peer_table *t, const struct rp_zc_sock *zs_init,
			unsigned gso_retry_ms);
/* The entry of a destination, inserted (evicting) if new. NULL for an
 * address that is neither AF_INET nor AF_INET6. */
struct rp_peer *rp_peer_get(struct rp_peer_table *t, const struct sockaddr *sa, socklen_t len);
/* Look up without inserting (NULL if absent). */
struct rp_peer *rp_peer_find(struct rp_peer_table *t, const struct sockaddr *sa, socklen_t len);
/* A 32-bit handle for a tx tag: never 0 (0 names no peer). */
uint32_t rp_peer_ref(const struct rp_peer_table *t, const struct rp_peer *p);
/* The entry a handle names, or NULL when the slot has changed hands. */
struct rp_peer *rp_peer_by_ref(struct rp_peer_table *t, uint32_t ref);
/* The kernel refused GSO to this peer: singles for gso_retry_ms. True when
 * this switched it off (count and log switches, not repeats). */
bool rp_peer_gso_refused(struct rp_peer_table *t, struct rp_peer *p);

#endif
