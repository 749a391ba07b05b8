/* SPDX-License-Identifier: MIT */
/*
 * udp-relay's part of a live reload (dataplane/reload.h): the worker gets
 * the new service config between two completion batches and swaps in its
 * backend table. Backends are matched by slot (svc.h): a kept one keeps its
 * sessions (their connected sockets, and their index renumbered), its
 * refusal and health state and its counters (by slot); a removed one's
 * sessions end, so their clients are placed by the hash over the new table
 * on their next datagram; an added one gets a probe socket. A re-weighted
 * table moves no live session: weights only decide where new sessions go
 * (consistent hashing: a change moves only the share it must).
 */
#include <string.h>
#include <unistd.h>

#include "dataplane/log.h"
#include "dataplane/relay_svc.h"
#include "dataplane/worker.h"

/* The new health state: kept backends carry theirs, added ones get a
 * socket when probes run (no socket: never probed, so never judged down). */
static void health_move(struct rp_svc_inst *si, struct relay *r, const int *map,
			struct relay_health *hc)
{
	for (unsigned i = 0; i < RP_BACKENDS_MAX; i++)
		hc->fd[i] = -1;
	hc->next_ms = r->hc.next_ms;
	for (unsigned i = 0; i < r->n_be; i++) {
		if (map[i] < 0) {
			if (r->hc.fd[i] >= 0)
				close(r->hc.fd[i]);
			continue;
		}
		hc->fd[map[i]] = r->hc.fd[i];
		hc->waiting[map[i]] = r->hc.waiting[i];
		hc->down[map[i]] = r->hc.down[i];
	}
	for (unsigned i = 0; si->cfg->health_probe[0] && i < si->cfg->n_backends; i++)
		if (hc->fd[i] < 0)
			hc->fd[i] = relay_health_socket(si, &si->cfg->backends[i].addr);
}

void relay_reload(struct rp_worker *w, struct rp_svc_inst *si, const struct rp_service_cfg *old)
{
	struct relay *r = si->priv;
	uint64_t down_until[RP_BACKENDS_MAX] = { 0 };
	struct relay_health hc = { 0 };
	int map[RP_BACKENDS_MAX], by_slot[RP_BACKEND_SLOTS];

	/* r->be is old->backends: valid during this call; gathered datagrams
	 * name their backend by its address there */
	relay_up_flush(w, si);
	rp_svc_backend_slot_map(si->cfg, by_slot);
	for (unsigned i = 0; i < r->n_be; i++) {
		map[i] = by_slot[old->backends[i].slot];
		if ((unsigned)map[i] >= si->cfg->n_backends)
			map[i] = -1;
		if (map[i] < 0)
			relay_end_backend(w, si, i);
		else
			down_until[map[i]] = r->down_until[i];
	}
	for (unsigned i = 0; i < r->t.cap; i++) {
		struct rp_relay_sess *s = &r->t.s[i];

		/* a closing session of a removed backend only waits for its
		 * receive to end: its index is never used again */
		if (s->state != RP_SESS_FREE && s->be < r->n_be && map[s->be] >= 0)
			s->be = (uint8_t)map[s->be];
	}
	health_move(si, r, map, &hc);
	r->hc = hc;
	memcpy(r->down_until, down_until, sizeof(down_until));
	r->be = si->cfg->backends;
	r->n_be = si->cfg->n_backends;
}
