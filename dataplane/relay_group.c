/* SPDX-License-Identifier: MIT */
/*
 * The udp-relay groups: per service, the workers that relay for it and how
 * to reach each (relay.h). Begun by the appliance before any worker starts,
 * filled by the workers themselves as they open the service (one entry each,
 * written once, published by the `joined` count), read lock-free afterwards.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "dataplane/balance.h"
#include "dataplane/relay.h"

static struct {
	pthread_mutex_t lock;
	unsigned n_svc;
	struct rp_relay_group *g;	/* NULL: not begun; entries with m NULL: not a relay */
} rg = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* handoff: copy: the queues of every worker pair, allocated once here. A
 * slot holds a whole receive buffer's worth of payload. */
static int copy_begin(struct rp_relay_group *g, unsigned n_workers, unsigned payload_max)
{
	int ret;

	if (!(g->copy = calloc(1, sizeof(*g->copy))))
		return -ENOMEM;
	ret = rp_copyq_init(g->copy, n_workers, payload_max);
	if (ret) {
		free(g->copy);
		g->copy = NULL;
	}
	return ret;
}

/* handoff: msg-ring: the staging of every member's pool (bufclone.h). The
 * staging ring itself is made by the first member to stage, on its thread. */
static int clone_begin(struct rp_relay_group *g, unsigned n_workers)
{
	if (!(g->clone = malloc(sizeof(*g->clone))))
		return -ENOMEM;
	return rp_bufclone_init(g->clone, n_workers);
}

/* handoff: msg-ring: the rings of buffer references of every worker pair.
 * A pair's ring holds one pool's lent buffers and the other's returns:
 * sized for two pools, it is never full. */
static int handq_begin(struct rp_relay_group *g, unsigned n_workers, unsigned pool_count)
{
	int ret;

	if (!(g->handq = calloc(1, sizeof(*g->handq))))
		return -ENOMEM;
	ret = rp_handq_init(g->handq, n_workers, 2 * pool_count + 2);
	if (ret) {
		free(g->handq);
		g->handq = NULL;
	}
	return ret;
}

int rp_relay_begin(const struct rp_config *cfg, unsigned n_workers)
{
	int ret;

	rp_relay_end();
	pthread_mutex_lock(&rg.lock);
	rg.n_svc = cfg->n_services;
	rg.g = calloc(rg.n_svc ? rg.n_svc : 1, sizeof(*rg.g));
	ret = rg.g ? 0 : -ENOMEM;
	for (unsigned i = 0; !ret && i < rg.n_svc; i++) {
		if (cfg->services[i].type != RP_SVC_UDP_RELAY)
			continue;
		rg.g[i].n = n_workers;
		if (!(rg.g[i].m = calloc(n_workers ? n_workers : 1, sizeof(*rg.g[i].m))))
			ret = -ENOMEM;
		else if (cfg->services[i].handoff == RP_HANDOFF_COPY && n_workers > 1)
			ret = copy_begin(&rg.g[i], n_workers, cfg->buffers.size);
		else if (n_workers > 1 && !(ret = clone_begin(&rg.g[i], n_workers)))
			ret = handq_begin(&rg.g[i], n_workers, cfg->buffers.count);
	}
	pthread_mutex_unlock(&rg.lock);
	if (ret)
		rp_relay_end();
	return ret;
}

void rp_relay_end(void)
{
	pthread_mutex_lock(&rg.lock);
	for (unsigned i = 0; rg.g && i < rg.n_svc; i++) {
		free(rg.g[i].m);
		if (rg.g[i].copy)
			rp_copyq_free(rg.g[i].copy);
		free(rg.g[i].copy);
		if (rg.g[i].clone)
			rp_bufclone_free(rg.g[i].clone);
		free(rg.g[i].clone);
		if (rg.g[i].handq)
			rp_handq_free(rg.g[i].handq);
		free(rg.g[i].handq);
	}
	free(rg.g);
	rg.g = NULL;
	rg.n_svc = 0;
	pthread_mutex_unlock(&rg.lock);
}

struct rp_relay_group *rp_relay_join(unsigned svc, unsigned worker, struct io_uring *ring,
				     const struct rp_bufpool *pool, bool *complete)
{
	struct rp_relay_group *g = NULL;

	*complete = false;
	pthread_mutex_lock(&rg.lock);
	if (rg.g && svc < rg.n_svc && rg.g[svc].m && worker < rg.g[svc].n) {
		g = &rg.g[svc];
		g->m[worker] = (struct rp_relay_member){ .ring_fd = ring->ring_fd, .pool = pool };
		/* before the count: a member that sees the group complete may
		 * take the staging table at once. A refusal is kept in the
		 * clone (why); takers log it and copy-send. */
		if (g->clone)
			rp_bufclone_stage(g->clone, worker, ring, pool);
		/* release: whoever sees the count sees the entries */
		*complete = __atomic_add_fetch(&g->joined, 1, __ATOMIC_RELEASE) == g->n;
	}
	pthread_mutex_unlock(&rg.lock);
	return g;
}

bool rp_relay_group_complete(const struct rp_relay_group *g)
{
	return !g || __atomic_load_n(&g->joined, __ATOMIC_ACQUIRE) == g->n;
}

unsigned rp_relay_owner(const struct sockaddr *client, unsigned n_workers)
{
	/* the upper half: the backend choice mixes the same hash further */
	return n_workers > 1 ? (unsigned)((rp_balance_client_hash(client) >> 32) % n_workers) : 0;
}
