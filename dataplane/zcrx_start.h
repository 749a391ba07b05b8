/* SPDX-License-Identifier: MIT */
/*
 * Start-up decisions for services[].rx-zerocopy (see zcrx.h): before
 * nicmgr runs, each such service's interface queue is judged (kernel,
 * device, header split, ntuple, RSS: read-only); `auto` falls back with the
 * reason in the log, `on` refuses to start with it. After nicmgr, the job
 * goes to the worker that serves the queue, which registers it (a refusal
 * there is the last reason: auto falls back, on fails the worker).
 */
#ifndef RP_ZCRX_START_H
#define RP_ZCRX_START_H

#include "config/config.h"
#include "dataplane/nic_start.h"
#include "dataplane/zcrx.h"

struct rp_zcrx_plan {
	enum rp_rx_zc *prepare;		/* per interface: nicmgr prepares its zcrx queue */
	struct rp_zcrx_job *jobs;	/* per service: mode OFF = none */
	int *worker;			/* per service: the worker given the job, -1 */
};

/* Kernel, then the interface queue (read-only): the full verdict. */
void rp_zcrx_verdict(const char *dev, unsigned queue, struct rp_zcrx_verdict *v);

/* Judge every rx-zerocopy service; 0, or -1 (logged) when an `on` one
 * cannot have it (or out of memory). */
int rp_zcrx_start_probe(const struct rp_config *cfg, struct rp_zcrx_plan *zp);
/* After nicmgr: jobs whose preparation fell back are dropped; the rest go
 * to the worker of their queue (one job per worker). 0 or -1 (logged). */
int rp_zcrx_start_assign(const struct rp_config *cfg, struct rp_zcrx_plan *zp,
			 const struct rp_queue_cpus *qc, unsigned n_workers);
/* Worker i's job, or NULL. */
const struct rp_zcrx_job *rp_zcrx_job_for(const struct rp_zcrx_plan *zp, unsigned n_services,
					  unsigned worker);
void rp_zcrx_plan_free(struct rp_zcrx_plan *zp);

#endif
