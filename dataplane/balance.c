/* SPDX-License-Identifier: MIT */
/*
 * Backend selection for tcp-proxy (see balance.h).
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/balance.h"

int rp_balancer_init(struct rp_balancer *b, const struct rp_service_cfg *cfg)
{
	*b = (struct rp_balancer){ .cfg = cfg, .n = cfg->n_backends };
	/* room for any backend list a reload brings (rp_balancer_reset) */
	b->current = calloc(RP_BACKENDS_MAX, sizeof(*b->current));
	b->open = calloc(RP_BACKENDS_MAX, sizeof(*b->open));
	if (!b->current || !b->open) {
		rp_balancer_free(b);
		return -ENOMEM;
	}
	return 0;
}

void rp_balancer_reset(struct rp_balancer *b, const struct rp_service_cfg *cfg)
{
	b->cfg = cfg;
	b->n = cfg->n_backends;
	b->next = 0;
	memset(b->current, 0, RP_BACKENDS_MAX * sizeof(*b->current));
	memset(b->open, 0, RP_BACKENDS_MAX * sizeof(*b->open));
}

void rp_balancer_free(struct rp_balancer *b)
{
	free(b->current);
	free(b->open);
	b->current = NULL;
	b->open = NULL;
}

static bool tried(uint64_t mask, unsigned i)
{
	return mask >> i & 1;
}

static unsigned weight(const struct rp_balancer *b, unsigned i)
{
	return b->cfg->backends[i].weight;
}

/* Smooth weighted round-robin (every eligible backend gains its weight, the
 * richest is picked and pays the total). */
static int pick_round_robin(struct rp_balancer *b, uint64_t mask)
{
	long total = 0;
	int best = -1;

	for (unsigned i = 0; i < b->n; i++) {
		if (tried(mask, i))
			continue;
		b->current[i] += weight(b, i);
		total += weight(b, i);
		if (best < 0 || b->current[i] > b->current[best])
			best = (int)i;
	}
	if (best >= 0)
		b->current[best] -= total;
	return best;
}

/* open/weight smallest: open_i * w_j < open_j * w_i, no division. */
static int pick_least_conn(struct rp_balancer *b, uint64_t mask)
{
	int best = -1;

	for (unsigned k = 0; k < b->n; k++) {
		unsigned i = (b->next + k) % b->n;

		if (tried(mask, i))
			continue;
		if (best < 0 || (uint64_t)b->open[i] * weight(b, (unsigned)best) <
				(uint64_t)b->open[best] * weight(b, i))
			best = (int)i;
	}
	b->next = (b->next + 1) % (b->n ? b->n : 1);
	return best;
}

static uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		h = rp_mix64(h ^ c[i]);
	return h;
}

/* The client's IP address (not its port: one client, one backend). */
uint64_t rp_balance_client_hash(const struct sockaddr *sa)
{
	const struct sockaddr_in *s4 = (const void *)sa;
	const struct sockaddr_in6 *s6 = (const void *)sa;

	if (sa && sa->sa_family == AF_INET)
		return hash_bytes(4, &s4->sin_addr, sizeof(s4->sin_addr));
	if (sa && sa->sa_family == AF_INET6)
		return hash_bytes(6, &s6->sin6_addr, sizeof(s6->sin6_addr));
	return 0;
}

/* Weighted rendezvous: score = w / -ln(u), u uniform in (0, 1) from
 * hash(client, backend address). The backend's address, not its index,
 * so reordering the list moves nobody. */
int rp_balance_hash_pick(const struct rp_backend_cfg *be, unsigned n, uint64_t mask,
			 const struct sockaddr *client)
{
	uint64_t ch = rp_balance_client_hash(client);
	double best_score = -1;
	int best = -1;

	for (unsigned i = 0; i < n; i++) {
		const struct rp_addr *a = &be[i].addr;
		uint64_t h = hash_bytes(ch, &a->ss, a->len);
		double u = ((double)(h >> 11) + 0.5) / 9007199254740992.0;	/* 2^53 */
		double score = be[i].weight / -log(u);

		if (!tried(mask, i) && score > best_score) {
			best_score = score;
			best = (int)i;
		}
	}
	return best;
}

int rp_balance_pick(struct rp_balancer *b, uint64_t mask, const struct sockaddr *client)
{
	switch (b->cfg->balance) {
	case RP_BAL_LEAST_CONN:
		return pick_least_conn(b, mask);
	case RP_BAL_HASH:
		return rp_balance_hash_pick(b->cfg->backends, b->n, mask, client);
	case RP_BAL_ROUND_ROBIN:
	default:
		return pick_round_robin(b, mask);
	}
}

void rp_balance_opened(struct rp_balancer *b, unsigned i)
{
	if (i < b->n)
		b->open[i]++;
}

void rp_balance_closed(struct rp_balancer *b, unsigned i)
{
	if (i < b->n && b->open[i])
		b->open[i]--;
}
