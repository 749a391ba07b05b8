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

int rp_relay_begin(const struct rp_config *cfg, unsigned n_workers)
{
	bool oom;

	rp_relay_end();
	pthread_mutex_lock(&rg.lock);
	rg.n_svc = cfg->n_services;
	rg.g = calloc(rg.n_svc ? rg.n_svc : 1, sizeof(*rg.g));
	oom = !rg.g;
	for (unsigned i = 0; !oom && i < rg.n_svc; i++) {
		if (cfg->services[i].type != RP_SVC_UDP_RELAY)
			continue;
		rg.g[i].n = n_workers;
		oom = !(rg.g[i].m = calloc(n_workers ? n_workers : 1, sizeof(*rg.g[i].m)));
	}
	pthread_mutex_unlock(&rg.lock);
	if (oom) {
		rp_relay_end();
		return -ENOMEM;
	}
	return 0;
}

void rp_relay_end(void)
{
	pthread_mutex_lock(&rg.lock);
	for (unsigned i = 0; rg.g && i < rg.n_svc; i++)
		free(rg.g[i].m);
	free(rg.g);
	rg.g = NULL;
	rg.n_svc = 0;
	pthread_mutex_unlock(&rg.lock);
}

struct rp_relay_group *rp_relay_join(unsigned svc, unsigned worker, int ring_fd,
				     const struct rp_bufpool *pool, bool *complete)
{
	struct rp_relay_group *g = NULL;

	*complete = false;
	pthread_mutex_lock(&rg.lock);
	if (rg.g && svc < rg.n_svc && rg.g[svc].m && worker < rg.g[svc].n) {
		g = &rg.g[svc];
		g->m[worker] = (struct rp_relay_member){ .ring_fd = ring_fd, .pool = pool };
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
