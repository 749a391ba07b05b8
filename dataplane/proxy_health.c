/* SPDX-License-Identifier: MIT */
/*
 * tcp-proxy: active health checks (see proxy_health.h for who checks and
 * how the other workers learn).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dataplane/events.h"
#include "dataplane/proxy.h"
#include "dataplane/proxy_health.h"
#include "dataplane/worker.h"

/* RP_MSG_HEALTH: payload = service index (8 bits) | mask bits 0..39 << 8;
 * res = mask bits 40..63 (so res is never negative). */
#define HEALTH_SVC_BITS 8
#define HEALTH_LOW_BITS 40
/* A check's user_data object: backend index (6 bits) | generation << 6. */
#define CHECK_B_BITS 6

/* Generations of checks, all services of all workers: a check's CQE that
 * outlived its health state (a reload) never matches a later check. */
static uint32_t check_gen(void)
{
	static uint32_t next;

	return __atomic_add_fetch(&next, 1, __ATOMIC_RELAXED) & ((1u << (32 - CHECK_B_BITS)) - 1);
}

static uint64_t msg_payload(unsigned svc, uint64_t mask)
{
	return (svc & 0xff) | (mask & ((1ULL << HEALTH_LOW_BITS) - 1)) << HEALTH_SVC_BITS;
}

static uint64_t msg_mask(const struct rp_msg *m)
{
	return m->payload >> HEALTH_SVC_BITS | (uint64_t)(uint32_t)m->arg << HEALTH_LOW_BITS;
}

/* Backend b's row: its slot, which a reload keeps for the same address. */
static struct rp_counters *be_ctr(struct rp_worker *w, const struct rp_health *h, unsigned b)
{
	return &w->ctr[h->be_block0 + h->cfg->backends[b].slot];
}

static unsigned n_workers(const struct rp_worker *w)
{
	return w->peers && w->n_peers ? w->n_peers : 1;
}

int rp_health_init(struct rp_health *h, const struct rp_worker *w, const struct rp_svc_inst *si,
		   unsigned be_block0)
{
	const struct rp_service_cfg *cfg = si->cfg;

	*h = (struct rp_health){ .cfg = cfg, .enabled = cfg->health.enabled, .n = cfg->n_backends,
				 .be_block0 = be_block0 };
	h->prober = h->enabled && si->idx % n_workers(w) == w->id;
	if (!h->prober)
		return 0;
	h->probes = calloc(h->n ? h->n : 1, sizeof(*h->probes));
	h->told = calloc(n_workers(w), sizeof(*h->told));
	if (!h->probes || !h->told) {
		rp_health_free(h);
		return -ENOMEM;
	}
	for (unsigned b = 0; b < h->n; b++)
		h->probes[b].fd = -1;
	return 0;
}

void rp_health_free(struct rp_health *h)
{
	for (unsigned b = 0; h->probes && b < h->n; b++)
		if (h->probes[b].fd >= 0)
			close(h->probes[b].fd);
	free(h->probes);
	free(h->told);
	h->probes = NULL;
	h->told = NULL;
}

unsigned rp_health_tick_wanted_ms(const struct rp_service_cfg *cfg)
{
	if (!cfg->health.enabled)
		return 0;
	return cfg->health.interval_ms >= 4 ? cfg->health.interval_ms / 4 : 1;
}

/* ---- telling the other workers ------------------------------------------- */

/* Every running worker that has not heard the current mask gets it (with
 * `all`, every running worker); one whose message could not go now (outbox
 * or SQ full, still starting) is tried again at the next tick. */
static void health_sync(struct rp_worker *w, const struct rp_svc_inst *si, struct rp_health *h,
			bool all)
{
	for (unsigned i = 0; w->peers && i < w->n_peers; i++) {
		const struct rp_worker *p = &w->peers[i];
		struct rp_msg m = { .type = RP_MSG_HEALTH, .payload = msg_payload(si->idx, h->down),
				    .arg = (int32_t)(h->down >> HEALTH_LOW_BITS) };

		if (i == w->id || (h->told[i] == h->down && !all) ||
		    __atomic_load_n(&p->phase, __ATOMIC_ACQUIRE) != RP_WP_RUNNING)
			continue;
		if (rp_msg_send(&w->msg, p->ring_fd, &m) == 0)
			h->told[i] = h->down;
	}
}

/* This worker's view: the mask, and the gauge of every backend it changed. */
static void health_apply(struct rp_worker *w, struct rp_health *h, uint64_t mask)
{
	if (h->n < 64)
		mask &= (1ULL << h->n) - 1;
	for (unsigned b = 0; b < h->n; b++)
		if ((mask ^ h->down) >> b & 1)
			rp_gauge_set(be_ctr(w, h, b), RP_C_BACKEND_MARKED_DOWN, mask >> b & 1);
	h->down = mask;
}

int rp_health_on_msg(void *worker, const struct rp_msg *m)
{
	struct rp_worker *w = worker;
	unsigned svc = (unsigned)(m->payload & 0xff);
	struct rp_svc_inst *si = svc < w->n_svc ? &w->svc[svc] : NULL;

	if (!si || si->ops != &rp_svc_tcp_proxy || !si->priv)
		return -EINVAL;	/* not a tcp-proxy here: the sender's bug, logged */
	health_apply(w, &proxy_of(si)->health, msg_mask(m));
	return 0;
}

/* ---- checks ------------------------------------------------------------------ */

static const char *check_error(int res)
{
	return res == -ECANCELED ? "no connection within health-check.timeout-ms" : strerror(-res);
}

static void log_change(const struct rp_worker *w, const struct rp_svc_inst *si,
		       struct rp_health_probe *p, unsigned b, bool down)
{
	const struct rp_health_cfg *hc = &si->cfg->health;
	const char *addr = si->cfg->backends[b].addr.text;
	unsigned missed;

	if (!rp_ratelimit_ok(&p->log, w->now_ms, 1000, &missed))
		return;
	if (down)
		rp_warn("service %s: backend %s marked down: %u health checks in a row failed "
			"(last: %s); %u earlier changes not logged", si->cfg->name, addr, hc->fall,
			check_error(p->last_err), missed);
	else
		rp_info("service %s: backend %s back up: %u health checks in a row succeeded; "
			"%u earlier changes not logged", si->cfg->name, addr, hc->rise, missed);
}

static void set_down(struct rp_worker *w, struct rp_svc_inst *si, struct rp_health *h,
		     unsigned b, bool down)
{
	uint64_t bit = 1ULL << b;

	rp_count(be_ctr(w, h, b), down ? RP_C_HEALTH_DOWNS : RP_C_HEALTH_UPS, 1);
	health_apply(w, h, down ? h->down | bit : h->down & ~bit);
	log_change(w, si, &h->probes[b], b, down);
	rp_events_backend(w, si, si->cfg->backends[b].addr.text, !down,
			  down ? check_error(h->probes[b].last_err) : NULL);
	health_sync(w, si, h, false);
}

/* One check's outcome: res 0 connected, else -errno (-ECANCELED: timed out). */
static void check_done(struct rp_worker *w, struct rp_svc_inst *si, struct rp_health *h,
		       unsigned b, int res)
{
	struct rp_health_probe *p = &h->probes[b];
	const struct rp_health_cfg *hc = &si->cfg->health;
	bool down = h->down >> b & 1;

	rp_count(be_ctr(w, h, b), RP_C_HEALTH_CHECKS, 1);
	if (res < 0) {
		rp_count(be_ctr(w, h, b), RP_C_HEALTH_FAILS, 1);
		p->last_err = res;
		p->ok_run = 0;
		if (++p->fail_run >= hc->fall && !down)
			set_down(w, si, h, b, true);
	} else {
		p->fail_run = 0;
		if (++p->ok_run >= hc->rise && down)
			set_down(w, si, h, b, false);
	}
}

/* A plain socket (not a fixed file: checks take no connection slot), its
 * close an RST, and a CONNECT linked to its timeout, both in one submission
 * so that the link holds. */
static void check_start(struct rp_worker *w, struct rp_svc_inst *si, struct rp_health *h,
			unsigned b)
{
	struct rp_health_probe *p = &h->probes[b];
	const struct rp_addr *a = &si->cfg->backends[b].addr;
	unsigned ms = si->cfg->health.timeout_ms;
	struct io_uring_sqe *sqe, *tmo;
	int fd;

	if (io_uring_sq_space_left(&w->ring) < 2)
		io_uring_submit(&w->ring);
	if (io_uring_sq_space_left(&w->ring) < 2)
		return;	/* the next tick tries again */
	p->due_ms = w->now_ms + si->cfg->health.interval_ms;
	fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		check_done(w, si, h, b, -errno);
		return;
	}
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &rp_linger_rst, sizeof(rp_linger_rst));
	sqe = rp_worker_sqe(w);
	tmo = rp_worker_sqe(w);
	io_uring_prep_connect(sqe, fd, (const struct sockaddr *)&a->ss, a->len);
	sqe->flags |= IOSQE_IO_LINK;
	p->gen = check_gen();
	io_uring_sqe_set_data64(sqe, rp_svc_ud(RP_OP_PROBE, si->idx, b | p->gen << CHECK_B_BITS));
	p->ts = (struct __kernel_timespec){ .tv_sec = ms / 1000,
					    .tv_nsec = (long long)(ms % 1000) * 1000000 };
	io_uring_prep_link_timeout(tmo, &p->ts, 0);
	io_uring_sqe_set_data64(tmo, rp_ud(RP_OP_CANCEL, 0));
	p->fd = fd;
}

void rp_health_tick(struct rp_worker *w, struct rp_svc_inst *si, struct rp_health *h)
{
	bool all;

	if (!h->prober || h->stopping)
		return;
	for (unsigned b = 0; b < h->n; b++)
		if (h->probes[b].fd < 0 && w->now_ms >= h->probes[b].due_ms)
			check_start(w, si, h, b);
	all = w->now_ms >= h->refresh_ms;
	if (all)
		h->refresh_ms = w->now_ms + si->cfg->health.interval_ms;
	health_sync(w, si, h, all);
}

void rp_health_on_probe(struct rp_worker *w, struct rp_svc_inst *si, struct rp_health *h,
			const struct io_uring_cqe *cqe)
{
	uint32_t obj = rp_conn_cqe_obj(cqe), b = obj & ((1u << CHECK_B_BITS) - 1);
	struct rp_health_probe *p = h->probes && b < h->n ? &h->probes[b] : NULL;

	if (!p || p->fd < 0 || p->gen != obj >> CHECK_B_BITS)
		return;	/* a check of a health state that was replaced: its fd is closed */
	close(p->fd);
	p->fd = -1;
	if (!h->stopping)
		check_done(w, si, h, b, cqe->res > 0 ? 0 : cqe->res);
}

void rp_health_stop(struct rp_worker *w, struct rp_svc_inst *si, struct rp_health *h)
{
	(void)si;
	h->stopping = true;
	for (unsigned b = 0; h->probes && b < h->n; b++) {
		struct io_uring_sqe *sqe;

		if (h->probes[b].fd < 0 || !(sqe = rp_worker_sqe(w)))
			continue;
		io_uring_prep_cancel_fd(sqe, h->probes[b].fd, 0);
		io_uring_sqe_set_data64(sqe, rp_ud(RP_OP_CANCEL, 0));
	}
}

int rp_health_reload(struct rp_worker *w, struct rp_svc_inst *si, struct rp_health *h,
		     const struct rp_service_cfg *old)
{
	struct rp_health nh;
	int map[RP_BACKEND_SLOTS];
	int ret;

	if (!h->enabled && !si->cfg->health.enabled) {
		h->cfg = si->cfg;	/* unchecked before and after: every backend up */
		h->n = si->cfg->n_backends;
		return 0;
	}
	ret = rp_health_init(&nh, w, si, h->be_block0);
	if (ret)
		return ret;	/* the old state stays, for the old numbering */
	rp_svc_backend_slot_map(si->cfg, map);
	for (unsigned i = 0; i < h->n; i++) {
		/* old live backend i's index in the new config, if live there */
		int j = map[old->backends[i].slot];

		if ((unsigned)j >= si->cfg->n_backends)
			j = -1;

		rp_gauge_set(be_ctr(w, h, i), RP_C_BACKEND_MARKED_DOWN, 0);
		if (j < 0 || !nh.enabled)
			continue;	/* removed, or unchecked from now on: up */
		nh.down |= (h->down >> i & 1) << j;
		if (nh.prober && h->probes) {
			nh.probes[j] = h->probes[i];
			nh.probes[j].fd = -1;	/* its check in flight is ignored (generation) */
		}
	}
	for (unsigned j = 0; j < nh.n; j++)
		rp_gauge_set(be_ctr(w, &nh, j), RP_C_BACKEND_MARKED_DOWN, nh.down >> j & 1);
	rp_health_free(h);
	*h = nh;
	return 0;
}

void proxy_on_probe(struct rp_worker *w, struct rp_svc_inst *si, const struct io_uring_cqe *cqe)
{
	rp_health_on_probe(w, si, &proxy_of(si)->health, cqe);
}
