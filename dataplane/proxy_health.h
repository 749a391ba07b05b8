/* SPDX-License-Identifier: MIT */
/*
 * tcp-proxy: active health checks of a service's backends
 * (services[].health-check).
 *
 * Who checks: one worker per service, worker (service index % workers),
 * so every backend is checked once, not once per worker, and each change
 * is counted and logged once. Its checks are TCP connects from its own
 * ring: a plain socket (SO_LINGER 0, so the close is an RST and leaves no
 * TIME_WAIT behind), IORING_OP_CONNECT linked to an IORING_OP_LINK_TIMEOUT
 * of health-check.timeout-ms, then close. A check starts every
 * interval-ms per backend, from the worker's tick. fall failed checks in a
 * row mark a backend down, rise good ones put it back.
 *
 * How the others learn: each worker balances on its own (balance.h) with
 * its own mask of backends marked down, read on the hot path without a
 * lock (it is the worker's own). The checking worker sends its mask to
 * every other running worker by MSG_RING (RP_MSG_HEALTH: the service
 * index and the 64-bit mask in the message's payload and res) whenever it
 * differs from what that worker was last told, right after a change and
 * again at each tick until the message went out (a worker that was still
 * starting, an outbox that was full), and to every worker once per
 * interval-ms whatever it was told, so that no view can stay wrong. A
 * message carries the whole mask, so a late or repeated one is harmless;
 * one sender's messages reach a worker in order (msg.h). Until the first
 * change every worker takes every backend as up.
 *
 * A live reload (proxy_reload.c) renumbers the state by the backends'
 * slots: a kept backend keeps its state (down stays down), an added one
 * starts up, a removed one is forgotten; with checks disabled every
 * backend is up. A check in flight across it is recognised by its
 * generation and ignored. Until every worker has applied the reload and
 * the next full send (interval-ms), a worker's view may be off by that
 * renumbering.
 *
 * Counted on the backend's row ("<service>/<address>"): health_checks,
 * health_check_fails, health_downs, health_ups on the checking worker; the
 * gauge backend_marked_down (1 while marked down) on every worker, its own view.
 */
#ifndef RP_PROXY_HEALTH_H
#define RP_PROXY_HEALTH_H

#include <stdbool.h>
#include <stdint.h>

#include <liburing.h>

#include "dataplane/log.h"
#include "dataplane/msg.h"

struct rp_worker;
struct rp_svc_inst;
struct rp_service_cfg;

/* One backend's checks (checking worker only). */
struct rp_health_probe {
	int fd;				/* the check in flight's socket; -1: none */
	uint32_t gen;			/* of the check in flight, in its user_data */
	uint64_t due_ms;		/* the next check starts at or after this */
	unsigned ok_run, fail_run;	/* checks in a row that succeeded / failed */
	int last_err;			/* the last failed check's -errno, for the log */
	struct __kernel_timespec ts;	/* its linked timeout: read when submitted */
	struct rp_ratelimit log;	/* one state-change line a second per backend */
};

/* One service's health state on one worker. */
struct rp_health {
	const struct rp_service_cfg *cfg;	/* what it was made for */
	bool enabled, prober, stopping;
	uint64_t refresh_ms;		/* prober: tell everyone again at or after this */
	uint64_t down;			/* bit i: backend i is marked down */
	unsigned n;			/* backends */
	unsigned be_block0;		/* backend 0's counter block */
	struct rp_health_probe *probes;	/* prober: n */
	uint64_t *told;			/* prober: per worker, the mask it was last sent */
};

/* 0 or -ENOMEM. */
int rp_health_init(struct rp_health *h, const struct rp_worker *w, const struct rp_svc_inst *si,
		   unsigned be_block0);
void rp_health_free(struct rp_health *h);

/* The backends new connections must not go to (balance.h's `tried`). */
static inline uint64_t rp_health_down(const struct rp_health *h)
{
	return h->down;
}

/* From the service's tick: start the checks that are due, tell the other
 * workers what they have not heard yet. */
void rp_health_tick(struct rp_worker *w, struct rp_svc_inst *si, struct rp_health *h);
/* Shutdown: no new checks; those in flight are cancelled (they end with
 * their CQE, which closes the socket). */
void rp_health_stop(struct rp_worker *w, struct rp_svc_inst *si, struct rp_health *h);
/* The CQE of a check's connect (RP_OP_PROBE). */
void rp_health_on_probe(struct rp_worker *w, struct rp_svc_inst *si, struct rp_health *h,
			const struct io_uring_cqe *cqe);
/* The tick the checks need: a quarter of interval-ms; 0 when disabled. */
unsigned rp_health_tick_wanted_ms(const struct rp_service_cfg *cfg);

/* A live reload replaced si->cfg (old: the config before): the state in
 * the new numbering. 0, or -ENOMEM (the old state is kept). */
int rp_health_reload(struct rp_worker *w, struct rp_svc_inst *si, struct rp_health *h,
		     const struct rp_service_cfg *old);

/* RP_MSG_HEALTH from the checking worker (registered by the worker). */
int rp_health_on_msg(void *worker, const struct rp_msg *m);

#endif
