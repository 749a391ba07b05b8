/* SPDX-License-Identifier: MIT */
/*
 * Which backend a tcp-proxy connection goes to (services[].balance).
 *
 *   round-robin        smooth weighted round-robin: over any window of
 *                      sum(weights) picks each backend gets its weight, and
 *                      a heavy backend's picks are spread, not bunched.
 *   least-connections  fewest open connections per unit of weight; ties go
 *                      round the list. Counted per worker: each worker
 *                      balances the connections it owns.
 *   hash               weighted rendezvous hashing of the client's IP
 *                      address: every backend gets a score from hash(client,
 *                      backend address) and its weight, the best wins. A
 *                      client keeps its backend as long as that backend is
 *                      in the set; removing one moves only its clients.
 *
 * A retry after a failed connect excludes the backends already tried (a
 * bit mask, hence at most RP_BACKENDS_MAX backends). One balancer per
 * service per worker: no sharing, no locks.
 */
#ifndef RP_BALANCE_H
#define RP_BALANCE_H

#include <stdint.h>
#include <sys/socket.h>

#include "config/config.h"

struct rp_balancer {
	const struct rp_service_cfg *cfg;
	unsigned n;
	long *current;			/* round-robin: running weights */
	unsigned *open;			/* connections open per backend (this worker) */
	unsigned next;			/* least-connections: where ties start */
};

/* 0 or -ENOMEM. */
int rp_balancer_init(struct rp_balancer *b, const struct rp_service_cfg *cfg);
void rp_balancer_free(struct rp_balancer *b);
/* A live reload's backend list (at most RP_BACKENDS_MAX): round-robin
 * starts over, open counts are zero until rp_balance_opened() recounts
 * the connections that stay. Cannot fail. */
void rp_balancer_reset(struct rp_balancer *b, const struct rp_service_cfg *cfg);

/* A backend not in `tried` (bit i: backend i), or -1 when every one was.
 * client: the client's address (hash); NULL hashes as an empty address. */
int rp_balance_pick(struct rp_balancer *b, uint64_t tried, const struct sockaddr *client);

/* splitmix64's finaliser: every input bit reaches every output bit. */
static inline uint64_t rp_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* The hash balance on its own, over any backend table (udp-relay keeps its
 * table as a value of its own): the best of be[0..n) not in mask for this
 * client, or -1. */
int rp_balance_hash_pick(const struct rp_backend_cfg *be, unsigned n, uint64_t mask,
			 const struct sockaddr *client);
/* A well-mixed 64-bit hash of the client's IP address (not its port); 0 for
 * a family other than AF_INET / AF_INET6. */
uint64_t rp_balance_client_hash(const struct sockaddr *sa);

/* A connection to backend i opened / ended (least-connections). */
void rp_balance_opened(struct rp_balancer *b, unsigned i);
void rp_balance_closed(struct rp_balancer *b, unsigned i);

#endif
