/* SPDX-License-Identifier: MIT */
/*
 * Rules of services[].rx-zerocopy (see config.h): the interface it names
 * must be an interfaces[] entry (nicmgr prepares only those, and only their
 * queues have workers), the queue must be one of the served ones, and two
 * services cannot both take one queue (a queue has one zcrx owner).
 */
#include <string.h>

#include "config/errors.h"
#include "config/rules.h"

static int iface_index(const struct rp_config *cfg, const char *name)
{
	for (unsigned i = 0; i < cfg->n_interfaces; i++)
		if (!strcmp(cfg->interfaces[i].name, name))
			return (int)i;
	return -1;
}

static struct rp_mark zc_mark(const struct rp_service_cfg *s)
{
	return s->rx_zc_mark.line ? s->rx_zc_mark : s->mark;
}

static void check_one(const struct rp_config *cfg, struct rp_service_cfg *s,
		      struct rp_cfg_errors *errs)
{
	const struct rp_iface_cfg *ifc;

	if (!s->rx_zc_iface[0]) {
		rp_cfg_error_add(errs, cfg->file, zc_mark(s),
				 "service '%s': rx-zerocopy needs rx-zerocopy-interface "
				 "(the interfaces[] entry whose queue it uses)", s->name);
		return;
	}
	s->rx_zc_iface_idx = iface_index(cfg, s->rx_zc_iface);
	if (s->rx_zc_iface_idx < 0) {
		rp_cfg_error_add(errs, cfg->file, zc_mark(s),
				 "service '%s': rx-zerocopy-interface '%s' is not in interfaces[] "
				 "(nicmgr prepares and workers serve only those)", s->name,
				 s->rx_zc_iface);
		return;
	}
	ifc = &cfg->interfaces[s->rx_zc_iface_idx];
	if (ifc->queues != RP_UNSET && s->rx_zc_queue >= ifc->queues)
		rp_cfg_error_add(errs, cfg->file, zc_mark(s),
				 "service '%s': rx-zerocopy-queue %ld is not served: interface %s "
				 "serves queues 0..%ld", s->name, s->rx_zc_queue, ifc->name,
				 ifc->queues - 1);
}

static void check_distinct(const struct rp_config *cfg, unsigned i, struct rp_cfg_errors *errs)
{
	const struct rp_service_cfg *a = &cfg->services[i];

	for (unsigned j = 0; j < i; j++) {
		const struct rp_service_cfg *b = &cfg->services[j];

		if (b->rx_zc != RP_RXZC_OFF && b->rx_zc_iface_idx == a->rx_zc_iface_idx &&
		    b->rx_zc_queue == a->rx_zc_queue)
			rp_cfg_error_add(errs, cfg->file, zc_mark(a),
					 "service '%s': %s rx queue %ld already has rx-zerocopy "
					 "for service '%s' (one zcrx owner per queue)", a->name,
					 a->rx_zc_iface, a->rx_zc_queue, b->name);
	}
}

void rp_config_check_rx_zc(struct rp_config *cfg, struct rp_cfg_errors *errs)
{
	for (unsigned i = 0; i < cfg->n_services; i++) {
		struct rp_service_cfg *s = &cfg->services[i];

		s->rx_zc_iface_idx = -1;
		if (s->rx_zc == RP_RXZC_OFF)
			continue;
		check_one(cfg, s, errs);
		if (s->rx_zc_iface_idx >= 0)
			check_distinct(cfg, i, errs);
	}
}
