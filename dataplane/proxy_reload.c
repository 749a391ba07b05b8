/* SPDX-License-Identifier: MIT */
/*
 * tcp-proxy's part of a live reload (reload.h): the new backend list and
 * balancing take over between two completion batches. Pairs name their
 * backend by its index in si->cfg->backends, so every pair is renumbered
 * through the backends' slots (a backend's identity across reloads): a
 * kept backend gets its new index, a removed one its place after the live
 * ones, where the balancer never looks; its connections go on until they
 * end. New connections follow the new list and weights at once. The
 * balancer is reset and recounts the connections open to live backends
 * (least-connections); retries of a connect in progress exclude the
 * backends tried so far, renumbered the same way.
 */
#include <string.h>

#include "dataplane/proxy.h"
#include "dataplane/worker.h"

#define NONE (-1)

static int renumber(const struct rp_service_cfg *old, const int *map, int b)
{
	return b < 0 || (unsigned)b >= old->n_backends_all ? NONE : map[old->backends[b].slot];
}

/* The backends tried (bit i: live backend i), in the new numbering. */
static uint64_t renumber_tried(const struct rp_service_cfg *old, const struct rp_service_cfg *now,
			       const int *map, uint64_t tried)
{
	uint64_t out = 0;

	for (unsigned i = 0; i < old->n_backends && i < 64; i++) {
		int j = tried >> i & 1 ? renumber(old, map, (int)i) : NONE;

		if (j >= 0 && (unsigned)j < now->n_backends)
			out |= 1ULL << j;
	}
	return out;
}

void proxy_reload(struct rp_worker *w, struct rp_svc_inst *si, const struct rp_service_cfg *old)
{
	struct tcp_proxy *tp = proxy_of(si);
	int map[RP_BACKEND_SLOTS];

	rp_svc_backend_slot_map(si->cfg, map);
	/* a backend's PROXY protocol may have changed: what new pairs read first */
	tp->want_addrs = proxy_wants_addrs(si->cfg);
	tp->pp_any = proxy_any_pp(si->cfg);
	if (rp_health_reload(w, si, &tp->health, old))
		rp_err("service %s: reload: out of memory for the health state: the old one "
		       "is kept (its numbering may be off until the next reload)", si->cfg->name);
	rp_balancer_reset(&tp->bal, si->cfg);
	for (struct pconn *pc = tp->pairs; pc; pc = pc->next) {
		pc->backend = renumber(old, map, pc->backend);
		pc->tried = renumber_tried(old, si->cfg, map, pc->tried);
		if (pc->balanced && pc->backend >= 0)
			rp_balance_opened(&tp->bal, (unsigned)pc->backend);
	}
}
