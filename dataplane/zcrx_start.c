/* SPDX-License-Identifier: MIT */
/* Start-up decisions for services[].rx-zerocopy (see zcrx_start.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/log.h"
#include "dataplane/steer.h"
#include "dataplane/zcrx_area.h"
#include "dataplane/zcrx_start.h"

void rp_zcrx_verdict(const char *dev, unsigned queue, struct rp_zcrx_verdict *v)
{
	char why[200];
	int ret = rp_zcrx_kernel_probe(why, sizeof(why));

	if (ret) {
		memset(v, 0, sizeof(*v));
		v->why = RP_ZCRX_NO_KERNEL;
		v->err = -ret;
		snprintf(v->text, sizeof(v->text), "%s: %s", dev, why);
		return;
	}
	rp_nic_zcrx_probe(dev, queue, v);
}

/* The area's source, judged after the kernel and before the interface:
 * a dmabuf area needs /dev/udmabuf whatever the NIC. */
static void area_verdict(const struct rp_service_cfg *s, struct rp_zcrx_verdict *v)
{
	char why[200];

	if (v->why == RP_ZCRX_NO_KERNEL || !rp_zcrx_area_probe(s->rx_zc_src, why, sizeof(why)))
		return;
	v->why = RP_ZCRX_NO_DMABUF;
	v->err = ENODEV;
	snprintf(v->text, sizeof(v->text), "%s: %s", s->rx_zc_iface, why);
}

static int judge(const struct rp_config *cfg, unsigned i, struct rp_zcrx_plan *zp)
{
	const struct rp_service_cfg *s = &cfg->services[i];
	struct rp_zcrx_verdict v;

	rp_zcrx_verdict(s->rx_zc_iface, (unsigned)s->rx_zc_queue, &v);
	area_verdict(s, &v);
	if (v.why == RP_ZCRX_USABLE) {
		rp_info("service %s: rx-zerocopy %s: %s", s->name, s->rx_zc == RP_RXZC_ON ? "on" :
			"auto", v.text);
		zp->prepare[s->rx_zc_iface_idx] = s->rx_zc;
		zp->jobs[i] = (struct rp_zcrx_job){ .svc = i, .mode = s->rx_zc,
						    .queue = (unsigned)s->rx_zc_queue,
						    .area_len = s->rx_zc_area,
						    .area_src = s->rx_zc_src,
						    .refill_entries = s->rx_zc_refill };
		snprintf(zp->jobs[i].dev, sizeof(zp->jobs[i].dev), "%s", s->rx_zc_iface);
		return 0;
	}
	if (s->rx_zc == RP_RXZC_ON) {
		rp_err("service %s: rx-zerocopy on (%s:%u:%u) cannot be had: %s [%s]", s->name,
		       cfg->file ? cfg->file : "config", s->rx_zc_mark.line, s->rx_zc_mark.column,
		       v.text, rp_zcrx_why_name(v.why));
		return -1;
	}
	rp_warn("service %s: rx-zerocopy auto: falling back to provided-buffer receive: %s [%s]",
		s->name, v.text, rp_zcrx_why_name(v.why));
	return 0;
}

int rp_zcrx_start_probe(const struct rp_config *cfg, struct rp_zcrx_plan *zp)
{
	int ret = 0;

	zp->prepare = calloc(cfg->n_interfaces + 1, sizeof(*zp->prepare));
	zp->jobs = calloc(cfg->n_services + 1, sizeof(*zp->jobs));
	zp->worker = calloc(cfg->n_services + 1, sizeof(*zp->worker));
	if (!zp->prepare || !zp->jobs || !zp->worker) {
		rp_err("rx-zerocopy: %s", strerror(ENOMEM));
		return -1;
	}
	for (unsigned i = 0; i < cfg->n_services; i++) {
		zp->worker[i] = -1;
		if (cfg->services[i].rx_zc != RP_RXZC_OFF && cfg->services[i].rx_zc_iface_idx >= 0 &&
		    judge(cfg, i, zp))
			ret = -1;
	}
	return ret;
}

static int assign_one(const struct rp_config *cfg, struct rp_zcrx_plan *zp, unsigned i,
		      const struct rp_queue_cpus *qc, unsigned n_workers)
{
	const struct rp_service_cfg *s = &cfg->services[i];
	unsigned g = qc->iface_first[s->rx_zc_iface_idx] + (unsigned)s->rx_zc_queue;
	unsigned w = rp_steer_queue_worker(g, n_workers);

	for (unsigned j = 0; j < i; j++) {
		if (zp->worker[j] != (int)w)
			continue;
		if (s->rx_zc == RP_RXZC_ON) {
			rp_err("service %s: rx-zerocopy on: worker %u already registers the zcrx "
			       "queue of service %s (one per worker: more workers)", s->name, w,
			       cfg->services[j].name);
			return -1;
		}
		rp_warn("service %s: rx-zerocopy auto: falling back to provided-buffer receive: "
			"worker %u already has the zcrx queue of service %s", s->name, w,
			cfg->services[j].name);
		zp->jobs[i].mode = RP_RXZC_OFF;
		return 0;
	}
	zp->worker[i] = (int)w;
	rp_info("service %s: %s rx queue %u (served queue %u) -> worker %u registers zcrx",
		s->name, s->rx_zc_iface, (unsigned)s->rx_zc_queue, g, w);
	return 0;
}

int rp_zcrx_start_assign(const struct rp_config *cfg, struct rp_zcrx_plan *zp,
			 const struct rp_queue_cpus *qc, unsigned n_workers)
{
	for (unsigned i = 0; i < cfg->n_services; i++) {
		int idx = cfg->services[i].rx_zc_iface_idx;

		if (zp->jobs[i].mode == RP_RXZC_OFF)
			continue;
		if (idx < 0 || zp->prepare[idx] == RP_RXZC_OFF) {	/* nicmgr fell back */
			zp->jobs[i].mode = RP_RXZC_OFF;
			continue;
		}
		if (assign_one(cfg, zp, i, qc, n_workers))
			return -1;
	}
	return 0;
}

const struct rp_zcrx_job *rp_zcrx_job_for(const struct rp_zcrx_plan *zp, unsigned n_services,
					  unsigned worker)
{
	for (unsigned i = 0; zp->jobs && i < n_services; i++)
		if (zp->jobs[i].mode != RP_RXZC_OFF && zp->worker[i] == (int)worker)
			return &zp->jobs[i];
	return NULL;
}

void rp_zcrx_plan_free(struct rp_zcrx_plan *zp)
{
	free(zp->prepare);
	free(zp->jobs);
	free(zp->worker);
	memset(zp, 0, sizeof(*zp));
}
