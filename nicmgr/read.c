// SPDX-License-Identifier: MIT
/* rp_nic_read: everything about one device, each part with its own status. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nicmgr/family.h"

static int napi_cmp(const void *a, const void *b)
{
	const struct rp_nic_napi *x = a, *y = b;

	return x->v[RP_NAPI_ID] < y->v[RP_NAPI_ID] ? -1 : x->v[RP_NAPI_ID] > y->v[RP_NAPI_ID];
}

/* queue-get on veth names no NAPI; its NAPIs are created one per rx queue
 * in queue order, so with exactly one NAPI per rx queue the order maps
 * them. Marked as inferred wherever it is shown. */
static void napi_infer(struct rp_nic_info *info)
{
	unsigned n_rx = 0, k = 0;

	for (unsigned i = 0; i < info->n_queues; i++) {
		if (info->q[i].type != RP_NIC_QRX)
			continue;
		if (info->q[i].napi_id != RP_NIC_ABSENT)
			return;
		n_rx++;
	}
	if (!n_rx || n_rx != info->n_napi)
		return;
	qsort(info->napi, info->n_napi, sizeof(info->napi[0]), napi_cmp);
	for (unsigned i = 0; i < info->n_queues; i++)
		if (info->q[i].type == RP_NIC_QRX)
			info->q[i].napi_id = info->napi[k++].v[RP_NAPI_ID];
	info->napi_inferred = true;
}

int rp_nic_read(struct rp_nl *nl, const char *dev, struct rp_nic_info *info,
		struct rp_nic_status *st)
{
	memset(info, 0, sizeof(*info));
	if (strlen(dev) >= sizeof(info->dev)) {
		rp_nic_status_set(st, ENAMETOOLONG, "%s: device name too long", dev);
		return -1;
	}
	snprintf(info->dev, sizeof(info->dev), "%s", dev);
	info->ifindex = if_nametoindex(dev);
	if (!info->ifindex) {
		rp_nic_status_set(st, errno, "%s: no such device", dev);
		return -1;
	}
	rp_nic_link_read(nl, info);
	for (unsigned i = 0; i < RP_NIC_SECT__COUNT; i++)
		rp_nic_sect_read(nl, dev, i, &info->sect[i]);
	rp_nic_features_read(nl, dev, &info->feat);
	rp_nic_rss_read(nl, dev, &info->rss);
	rp_nic_ntuple_read(info);
	rp_nic_napi_read(nl, info);
	rp_nic_queues_read(nl, info);
	napi_infer(info);
	rp_nic_irq_read(info);
	return 0;
}
