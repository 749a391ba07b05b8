/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdlib.h>

#include "dataplane/log.h"
#include "dataplane/nic_start.h"
#include "nicmgr/nicmgr.h"
#include "nicmgr/zcrxq.h"

/* How many of the device's rx queues the config serves: interfaces[].queues,
 * else all of them; a device that lists no queues (some software devices)
 * still gets one worker. */
static unsigned served_queues(const struct rp_iface_cfg *ifc, const struct rp_nic_qmap *map)
{
	unsigned n = map->n ? map->n : 1;

	if (ifc->queues != RP_UNSET && (unsigned long)ifc->queues < n)
		n = (unsigned)ifc->queues;
	return n;
}

/* NAPI ids are u32 in the kernel; anything else means "none". */
static unsigned napi_id(const struct rp_nic_qmap_entry *e)
{
	return e->napi_id > 0 && e->napi_id <= UINT32_MAX ? (unsigned)e->napi_id : 0;
}

static void log_map(const struct rp_nic_qmap *map, unsigned served)
{
	rp_info("%s", map->note);
	for (unsigned q = 0; q < served && q < map->n; q++) {
		const struct rp_nic_qmap_entry *e = &map->q[q];

		rp_info("%s: rx queue %u -> napi %lld -> irq %lld -> cpu %d", map->dev, e->queue,
			(long long)e->napi_id, (long long)e->irq, e->cpu);
	}
}

/* Set up one interface; with its zcrx queue first when asked, and for
 * `auto` again without it if that fails. */
static int setup_one(const struct rp_config *cfg, unsigned i, enum rp_rx_zc *zcrx,
		     struct rp_iface_cfg *ifc, struct rp_nic_qmap *map)
{
	char err[512];

	rp_nic_zcrx_iface(cfg, i, zcrx && zcrx[i] != RP_RXZC_OFF, ifc);
	if (rp_nic_setup(cfg->file, ifc, false, map, err, sizeof(err)) == 0)
		return 0;
	if (!ifc->zcrx || zcrx[i] != RP_RXZC_AUTO) {
		rp_err("interface %s: %s%s", ifc->name, ifc->zcrx ? "rx-zerocopy on: preparing "
		       "the queue failed: " : "", err);
		return -1;
	}
	rp_warn("interface %s: rx-zerocopy auto: preparing rx queue %u failed (%s): falling "
		"back to provided-buffer receive", ifc->name, ifc->zcrx_queue, err);
	zcrx[i] = RP_RXZC_OFF;
	rp_nic_zcrx_iface(cfg, i, false, ifc);
	if (rp_nic_setup(cfg->file, ifc, false, map, err, sizeof(err)) == 0)
		return 0;
	rp_err("interface %s: %s", ifc->name, err);
	return -1;
}

int rp_nic_start(const struct rp_config *cfg, enum rp_rx_zc *zcrx_prepare, struct rp_queue_cpus *qc)
{
	struct rp_nic_qmap *map = malloc(sizeof(*map));
	int ret = 0;

	qc->n = 0;
	if (!map)
		return -1;
	for (unsigned i = 0; i < cfg->n_interfaces && !ret; i++) {
		struct rp_iface_cfg *ifc = malloc(sizeof(*ifc));
		unsigned served;

		if (!ifc) {
			ret = -1;
			break;
		}
		if (i < RP_CPUS_MAX)
			qc->iface_first[i] = qc->n;
		if (setup_one(cfg, i, zcrx_prepare, ifc, map) < 0) {
			free(ifc);
			ret = -1;
			break;
		}
		served = served_queues(ifc, map);
		free(ifc);
		log_map(map, served);
		for (unsigned q = 0; q < served && qc->n < RP_CPUS_MAX; q++, qc->n++) {
			qc->cpu[qc->n] = q < map->n ? map->q[q].cpu : -1;
			qc->napi_id[qc->n] = q < map->n ? napi_id(&map->q[q]) : 0;
		}
	}
	free(map);
	return ret;
}
