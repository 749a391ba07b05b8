/* SPDX-License-Identifier: MIT */
/*
 * Steering policies: see steer.h. One function per policy, chosen through
 * a table indexed by enum rp_steer_policy.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "dataplane/steer.h"

typedef unsigned (*rp_steer_fn)(struct rp_steer *s, const struct rp_steer_conn *c,
				const unsigned *loads);

/* ---- the 4-tuple hash --------------------------------------------------- */

/* 64-bit finalizer (splitmix64): every input bit moves every output bit, so
 * flows that differ only in a port still spread evenly modulo small n. */
static uint64_t rp_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static uint64_t rp_hash_bytes(uint64_t h, const void *p, size_t len)
{
	const unsigned char *b = p;

	while (len) {
		uint64_t word = 0;
		size_t n = len < sizeof(word) ? len : sizeof(word);

		memcpy(&word, b, n);
		h = rp_mix64(h ^ word);
		b += n;
		len -= n;
	}
	return h;
}

/* Address and port of one end; anything else hashes as its family alone. */
static uint64_t rp_hash_addr(uint64_t h, const struct sockaddr *sa)
{
	if (!sa)
		return rp_mix64(h);
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		h = rp_hash_bytes(h, &in->sin_addr, sizeof(in->sin_addr));
		return rp_hash_bytes(h, &in->sin_port, sizeof(in->sin_port));
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		h = rp_hash_bytes(h, &in6->sin6_addr, sizeof(in6->sin6_addr));
		return rp_hash_bytes(h, &in6->sin6_port, sizeof(in6->sin6_port));
	}
	return rp_mix64(h ^ sa->sa_family);
}

uint64_t rp_steer_flow_hash(const struct sockaddr *local, const struct sockaddr *peer)
{
	return rp_hash_addr(rp_hash_addr(0x9e3779b97f4a7c15ULL, local), peer);
}

/* ---- policies ----------------------------------------------------------- */

static unsigned rp_steer_hash(struct rp_steer *s, const struct rp_steer_conn *c,
			      const unsigned *loads)
{
	(void)loads;
	return (unsigned)(rp_steer_flow_hash(c->local, c->peer) % s->n_workers);
}

static unsigned rp_steer_round_robin(struct rp_steer *s, const struct rp_steer_conn *c,
				     const unsigned *loads)
{
	unsigned w = s->rr_next;

	(void)c;
	(void)loads;
	s->rr_next = (w + 1) % s->n_workers;
	return w;
}

static unsigned rp_steer_least_loaded(struct rp_steer *s, const struct rp_steer_conn *c,
				      const unsigned *loads)
{
	unsigned best = 0;

	if (!loads)	/* caller knows no loads: spreading evenly is the next best */
		return rp_steer_round_robin(s, c, loads);
	for (unsigned w = 1; w < s->n_workers; w++)
		if (loads[w] < loads[best])
			best = w;
	return best;
}

static unsigned rp_steer_napi(struct rp_steer *s, const struct rp_steer_conn *c,
			      const unsigned *loads)
{
	for (unsigned i = 0; c->napi_id && i < s->n_napi; i++)
		if (s->napi[i].napi_id == c->napi_id)
			return rp_steer_queue_worker(s->napi[i].queue, s->n_workers);
	s->stats.napi_fallbacks++;
	s->fell_back = true;
	return rp_steer_hash(s, c, loads);
}

static const struct {
	const char *name;
	rp_steer_fn pick;
} rp_steer_table[RP_STEER__COUNT] = {
	[RP_STEER_NAPI]		= { "napi",		rp_steer_napi },
	[RP_STEER_ROUND_ROBIN]	= { "round-robin",	rp_steer_round_robin },
	[RP_STEER_LEAST_LOADED]	= { "least-loaded",	rp_steer_least_loaded },
	[RP_STEER_HASH]		= { "hash",		rp_steer_hash },
};

const char *rp_steer_policy_name(enum rp_steer_policy p)
{
	return (unsigned)p < RP_STEER__COUNT ? rp_steer_table[p].name : "unknown";
}

int rp_steer_policy_parse(const char *name, enum rp_steer_policy *out)
{
	for (unsigned p = 0; p < RP_STEER__COUNT; p++) {
		if (strcmp(name, rp_steer_table[p].name) == 0) {
			*out = (enum rp_steer_policy)p;
			return 0;
		}
	}
	return -EINVAL;
}

int rp_steer_init(struct rp_steer *s, enum rp_steer_policy policy, unsigned n_workers)
{
	if (!n_workers || (unsigned)policy >= RP_STEER__COUNT)
		return -EINVAL;
	*s = (struct rp_steer){ .policy = policy, .n_workers = n_workers };
	return 0;
}

int rp_steer_map_napi(struct rp_steer *s, unsigned napi_id, unsigned queue)
{
	if (!napi_id)
		return -EINVAL;
	for (unsigned i = 0; i < s->n_napi; i++) {
		if (s->napi[i].napi_id == napi_id) {
			s->napi[i].queue = queue;
			return 0;
		}
	}
	if (s->n_napi == RP_STEER_NAPI_MAX)
		return -ENOSPC;
	s->napi[s->n_napi++] = (struct rp_steer_napi){ .napi_id = napi_id, .queue = queue };
	return 0;
}

unsigned rp_steer_pick(struct rp_steer *s, const struct rp_steer_conn *c,
		       const unsigned *loads)
{
	s->stats.picks[s->policy]++;
	s->fell_back = false;
	return rp_steer_table[s->policy].pick(s, c, loads);
}
