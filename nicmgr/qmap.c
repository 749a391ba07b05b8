// SPDX-License-Identifier: MIT
/* The dataplane's entry: apply an interface's settings, map queues to CPUs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nicmgr/family.h"

static int first_cpu(const char *list)
{
	int cpu;

	return sscanf(list, "%d", &cpu) == 1 ? cpu : -1;
}

void rp_nic_qmap_from_info(const struct rp_nic_info *info, struct rp_nic_qmap *map)
{
	memset(map, 0, sizeof(*map));
	snprintf(map->dev, sizeof(map->dev), "%s", info->dev);
	for (unsigned i = 0; i < info->n_queues && map->n < RP_NIC_QUEUES_MAX; i++) {
		const struct rp_nic_queue *q = &info->q[i];
		struct rp_nic_qmap_entry *m;

		if (q->type != RP_NIC_QRX)
			continue;
		m = &map->q[map->n++];
		m->queue = q->id;
		m->napi_id = q->napi_id;
		m->irq = q->irq;
		m->cpu = q->irq != RP_NIC_ABSENT ? first_cpu(q->cpus) : -1;
		map->has_napi |= q->napi_id != RP_NIC_ABSENT;
		map->has_irq |= q->irq != RP_NIC_ABSENT;
	}
	if (!map->has_napi || !map->has_irq)
		snprintf(map->note, sizeof(map->note),
			 "%s: no %s on this device (%s): using configured CPUs", info->dev,
			 map->has_napi ? "IRQ" : "NAPI/IRQ",
			 info->driver[0] ? info->driver : "software device");
	else
		snprintf(map->note, sizeof(map->note), "%s: %u rx queues mapped to IRQ CPUs",
			 info->dev, map->n);
}

int rp_nic_setup(const char *cfg_file, const struct rp_iface_cfg *cfg, bool dry_run,
		 struct rp_nic_qmap *map, char *err, size_t errlen)
{
	struct rp_nic_info *info = malloc(sizeof(*info));
	struct rp_nic_plan plan = { 0 };
	struct rp_nic_status st = { 0 };
	struct rp_nl nl;
	struct rp_nic_status e;
	int ret = -1;

	if (!info) {
		snprintf(err, errlen, "%s: out of memory", cfg->name);
		return -1;
	}
	if (rp_nl_open(&nl, &e) < 0) {
		snprintf(err, errlen, "%s: %s", cfg->name, e.msg);
		free(info);
		return -1;
	}
	if (rp_nic_read(&nl, cfg->name, info, &st) < 0)
		snprintf(err, errlen, "%s", st.msg);
	else if (rp_nic_plan_make(cfg_file, cfg, info, &plan) < 0)
		snprintf(err, errlen, "%s: %s", cfg->name, strerror(errno));
	else if (!dry_run && rp_nic_plan_apply(&nl, &plan, NULL, &st) < 0)
		snprintf(err, errlen, "%s", st.msg);
	else if (!dry_run && plan.n && rp_nic_read(&nl, cfg->name, info, &st) < 0)
		snprintf(err, errlen, "%s", st.msg);
	else
		ret = 0;
	if (ret == 0) {
		rp_nic_qmap_from_info(info, map);
		/* interfaces[].queues: serve only the first N rx queues */
		if (cfg->queues != RP_UNSET && map->n > (unsigned)cfg->queues)
			map->n = (unsigned)cfg->queues;
	}
	rp_nic_plan_free(&plan);
	rp_nl_close(&nl);
	free(info);
	return ret;
}
